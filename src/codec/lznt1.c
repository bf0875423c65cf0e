/* SPDX-License-Identifier: MIT */
/*
 * LZNT1 (MS-XCA 2.5; format.md 4.4; docs/format/ramblock.md "LZNT1").
 *
 * Hyper-V RamBlocks use XPRESS, not LZNT1 (format.md 4.2), but one
 * public decoder keeps an LZNT1 path and a comment in another calls the
 * codec LZNT1, so this decoder exists to recognise and read such data
 * should it ever appear.  Not a hot path: written for clarity.
 *
 * Stream: chunks, each a u16 LE header (bits 0-11 body size - 1, bits
 * 12-14 signature 3, bit 15 compressed) and a body that decompresses to at
 * most 4096 bytes on its own (matches never reach into earlier chunks).
 * A zero header ends the stream.  Compressed bodies are groups of a flag
 * byte (bit 0 first) and 8 items: literal bytes or u16 tokens whose
 * offset/length split depends on the bytes already produced in the chunk.
 */
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

#define LZNT1_CHUNK 4096u

/* Bits of a token taken by the offset for @n bytes already in the chunk:
 * max(4, ceil(log2 n)) (MS-XCA 2.5.1.1). */
static unsigned off_bits(size_t n)
{
	unsigned k = 4;
	while (((size_t)1 << k) < n)
		k++;
	return k;
}

/* Decompress the compressed chunk body in[bpos, bend) to out + *opos,
 * advancing *opos; input offsets in messages are relative to @in. */
static hvs_status chunk_decompress(const uint8_t *in, size_t bpos, size_t bend,
				   uint8_t *out, size_t *opos, size_t out_cap,
				   hvs__err *err)
{
	size_t cs = *opos, op = *opos;
	size_t ip = bpos;
	const char *what;

	/* A partial last group is normal: the loop ends with the body. */
	while (ip < bend) {
		unsigned flag = in[ip++], i;
		for (i = 0; i < 8 && ip < bend; i++, flag >>= 1) {
			if (!(flag & 1)) {
				if (op - cs >= LZNT1_CHUNK || op >= out_cap) {
					what = op >= out_cap ? "output" : "4096-byte chunk";
					goto overrun;
				}
				out[op++] = in[ip++];
			} else {
				size_t n = op - cs, dist, len, j;
				unsigned k, t;
				if (bend - ip < 2)
					return hvs__codec_fail(
						err,
						"LZNT1: token at input offset 0x%zx: needs 2 "
						"bytes, chunk body has 1",
						ip);
				t = hvs__le16(in + ip);
				/* The split depends on n, so a token cannot be
				 * decoded before the chunk holds a byte. */
				if (n == 0)
					return hvs__codec_fail(
						err,
						"LZNT1: token at input offset 0x%zx: match "
						"before any byte of the chunk",
						ip);
				k = off_bits(n);
				dist = (size_t)(t >> (16 - k)) + 1;
				len = (size_t)(t & ((1u << (16 - k)) - 1)) + 3;
				if (dist > n)
					return hvs__codec_fail(
						err,
						"LZNT1: token at input offset 0x%zx: distance "
						"%zu reaches before the chunk start (%zu bytes "
						"in chunk)",
						ip, dist, n);
				if (len > LZNT1_CHUNK - n || len > out_cap - op) {
					what = len > out_cap - op ? "output" : "4096-byte chunk";
					goto overrun;
				}
				/* Byte by byte: overlapping copies (dist < len)
				 * repeat the pattern, as MS-XCA specifies. */
				for (j = 0; j < len; j++)
					out[op + j] = out[op + j - dist];
				op += len;
				ip += 2;
			}
		}
	}
	*opos = op;
	return HVS_OK;

overrun:
	return hvs__codec_fail(err,
			       "LZNT1: item at input offset 0x%zx overruns the %s "
			       "(%zu bytes in chunk, %zu of %zu output bytes used)",
			       ip, what, op - cs, op, out_cap);
}

hvs_status hvs__lznt1_decompress(const uint8_t *in, size_t in_len,
				 uint8_t *out, size_t out_cap, size_t *out_done,
				 hvs__err *err)
{
	size_t ip = 0, op = 0;

	*out_done = 0;
	while (ip < in_len) {
		unsigned h;
		size_t body;
		if (in_len - ip < 2)
			return hvs__codec_fail(err,
					       "LZNT1: chunk header at input offset 0x%zx: "
					       "needs 2 bytes, 1 left",
					       ip);
		/* Header: bits 0-11 body size - 1, 12-14 signature, 15 flag. */
		h = hvs__le16(in + ip);
		if (h == 0)
			break; /* end of stream (MS-XCA 2.5.2) */
		if (((h >> 12) & 7) != 3)
			return hvs__codec_fail(err,
					       "LZNT1: chunk header 0x%04x at input offset "
					       "0x%zx: signature %u, expected 3",
					       h, ip, (h >> 12) & 7);
		/* The body must lie wholly in the input: chunks are decoded from
		 * [ip + 2, ip + 2 + body) without further input checks. */
		body = (size_t)(h & 0xFFF) + 1;
		if (body > in_len - ip - 2)
			return hvs__codec_fail(err,
					       "LZNT1: chunk at input offset 0x%zx: body of "
					       "%zu bytes overruns the input (%zu left)",
					       ip, body, in_len - ip - 2);
		if (h & 0x8000) {
			HVS_TRY(chunk_decompress(in, ip + 2, ip + 2 + body, out, &op,
						 out_cap, err));
		} else {
			/* Stored chunk: the body is the data. */
			if (body > out_cap - op)
				return hvs__codec_fail(err,
						       "LZNT1: stored chunk at input offset "
						       "0x%zx: %zu bytes overrun the output "
						       "(%zu left)",
						       ip, body, out_cap - op);
			memcpy(out + op, in + ip + 2, body);
			op += body;
		}
		ip += 2 + body;
		*out_done = op;
	}
	*out_done = op;
	return HVS_OK;
}

/* ---------------------------------------------------------- compressor */

size_t hvs__lznt1_bound(size_t n)
{
	return n + 2 * (n / LZNT1_CHUNK + 1) + 2;
}

/* Hash of the 3 bytes at @p for the chunk's match finder. */
static unsigned hash3(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return (v * 2654435761u) >> 20; /* 12 bits */
}

/* Compress one chunk (<= 4096 bytes) into @body; returns its size or 0
 * when it does not fit in @cap (then the caller stores the chunk).
 * Greedy matching over hash chains (depth 32) inside the chunk: matches
 * never cross chunks (MS-XCA 2.5). */
static size_t chunk_compress(const uint8_t *c, size_t n, uint8_t *body,
			     size_t cap)
{
	uint16_t head[4096], prev[LZNT1_CHUNK];
	size_t p = 0, o = 0, q;

	/* Positions are stored + 1 so that 0 means "none". */
	memset(head, 0, sizeof head);
	while (p < n) {
		size_t flag_pos = o, i;
		unsigned flag = 0;
		if (o >= cap)
			return 0;
		o++;
		for (i = 0; i < 8 && p < n; i++) {
			size_t best_len = 0, best_dist = 0;
			unsigned k = off_bits(p);
			if (p > 0 && n - p >= 3) {
				size_t maxd = (size_t)1 << k;
				size_t maxl = ((size_t)1 << (16 - k)) - 1 + 3;
				unsigned cand = head[hash3(c + p)], depth = 32;
				if (maxl > n - p)
					maxl = n - p;
				while (cand && depth--) {
					size_t cp = (size_t)cand - 1, l = 0;
					if (p - cp > maxd)
						break;
					while (l < maxl && c[cp + l] == c[p + l])
						l++;
					if (l > best_len) {
						best_len = l;
						best_dist = p - cp;
						if (l == maxl)
							break;
					}
					cand = prev[cp];
				}
			}
			if (best_len >= 3) {
				unsigned t = (unsigned)(best_dist - 1) << (16 - k) |
					     (unsigned)(best_len - 3);
				if (cap - o < 2)
					return 0;
				hvs__put_le16(body + o, (uint16_t)t);
				o += 2;
				flag |= 1u << i;
			} else {
				if (o >= cap)
					return 0;
				body[o++] = c[p];
				best_len = 1;
			}
			/* Insert every covered position into the chains. */
			for (q = p; q < p + best_len; q++) {
				if (n - q >= 3) {
					unsigned h = hash3(c + q);
					prev[q] = head[h];
					head[h] = (uint16_t)(q + 1);
				}
			}
			p += best_len;
		}
		body[flag_pos] = (uint8_t)flag;
	}
	return o;
}

hvs_status hvs__lznt1_compress(const uint8_t *in, size_t in_len, uint8_t *out,
			       size_t out_cap, size_t *out_len)
{
	uint8_t body[LZNT1_CHUNK];
	size_t ip = 0, op = 0;

	*out_len = 0;
	while (ip < in_len) {
		/* Chunks are compressed independently, 4 KiB of input each. */
		size_t n = in_len - ip < LZNT1_CHUNK ? in_len - ip : LZNT1_CHUNK;
		/* Keep a compressed body only when it is smaller than the data. */
		size_t b = chunk_compress(in + ip, n, body, n - 1);
		if (b) {
			if (out_cap - op < 2 + b)
				return HVS_E_BUFSIZE;
			hvs__put_le16(out + op, (uint16_t)(0x8000 | 0x3000 | (b - 1)));
			memcpy(out + op + 2, body, b);
			op += 2 + b;
		} else {
			if (out_cap - op < 2 + n)
				return HVS_E_BUFSIZE;
			hvs__put_le16(out + op, (uint16_t)(0x3000 | (n - 1)));
			memcpy(out + op + 2, in + ip, n);
			op += 2 + n;
		}
		ip += n;
	}
	/* A zero header ends the stream (decoders also stop at input end). */
	if (out_cap - op < 2)
		return HVS_E_BUFSIZE;
	hvs__put_le16(out + op, 0);
	*out_len = op + 2;
	return HVS_OK;
}
