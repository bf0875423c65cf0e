/* SPDX-License-Identifier: MIT */
/*
 * XPRESS "plain LZ77" (MS-XCA 2.3 compression, 2.4.4 decompression), the
 * codec of compressed RamBlock pages (format.md 4.2, 4.3;
 * docs/format/ramblock.md "XPRESS").
 *
 * Stream: groups of 32 items, each group preceded by a u32 LE flag word
 * read from bit 31 down.  Bit 0 = one literal byte; bit 1 = a match: u16
 * m, distance (m >> 3) + 1 (1..8192), length (m & 7) + 3, with length
 * extensions through a half byte shared by two consecutive long matches,
 * then one byte, then u16 / u32 (MS-XCA 2.4.4).  The encoder pads the last
 * flag word with 1-bits: a match flag met with the input exhausted ends
 * the stream.
 *
 * The decoder is the hot path of every memory read from a compressed
 * saved state (185 of 64,512 pages of the sample, but every page of a
 * busy guest), so it is written for speed (docs/format/ramblock.md
 * "Performance"): runs of literal flags are found with count-leading-zeros
 * and copied in one fixed 32-byte memcpy, matches with distance >= 8 copy
 * 8 bytes at a time when the output has room for the overshoot, shorter
 * periods copy from a whole number of periods back, long distance-1 runs
 * become memset.  Every bound is checked before the copy that needs it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

hvs_status hvs__codec_fail(hvs__err *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return HVS_E_CORRUPT;
}

/* Count leading zero bits of a non-zero word. */
static inline unsigned clz32(uint32_t v)
{
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_clz(v);
#else
	unsigned n = 0;
	while (!(v & 0x80000000u)) {
		v <<= 1;
		n++;
	}
	return n;
#endif
}

/* The stream ended (at a padding match flag or for want of a flag word)
 * before the expected output size was reached. */
static hvs_status short_stream(hvs__err *err, const char *why, size_t ipos,
			       size_t in_len, size_t produced, size_t out_len)
{
	return hvs__codec_fail(err,
			       "XPRESS: stream ends at input offset 0x%zx of 0x%zx (%s) "
			       "after %zu of %zu output bytes",
			       ipos, in_len, why, produced, out_len);
}

hvs_status hvs__xpress_decompress(const uint8_t *in, size_t in_len,
				  uint8_t *out, size_t out_len, hvs__err *err)
{
	const uint8_t *ip = in;
	const uint8_t *const ie = in + in_len;
	uint8_t *op = out;
	uint8_t *const oe = out + out_len;
	/* Byte whose high nibble is the next long match's length (MS-XCA
	 * 2.4.4 "LastLengthHalfByte"); NULL when none is pending. */
	const uint8_t *half = NULL;
	uint32_t flags = 0;
	unsigned nbits = 0;

	/*
	 * Fast loop: while at least 48 input bytes (a flag word, 32
	 * literals and the longest match encoding) and 64 output bytes
	 * remain, no item can run off either end, so literals are copied
	 * 32 bytes at a time and matches 8 bytes at a time without per-item
	 * bounds checks.  An item that needs a check that could fail
	 * (distance, length, minimum extended length) is rewound and
	 * handed to the careful loop below, which decodes it again and
	 * either finishes the stream or reports the precise error.
	 */
	if (in_len >= 64 && out_len >= 80) {
		const uint8_t *const ie_fast = ie - 48;
		uint8_t *const oe_fast = oe - 64;
		while (ip < ie_fast && op < oe_fast) {
			const uint8_t *item_ip, *item_half, *src;
			uint32_t item_flags;
			unsigned item_nbits, m, n;
			size_t dist, l;
			uint64_t len;

			if (nbits == 0) {
				flags = hvs__le32(ip);
				ip += 4;
				nbits = 32;
			}
			/* Items come as "literals (maybe none), then a match",
			 * handled in one pass without a literal-or-match branch:
			 * an empty run costs one 32-byte copy, cheaper than the
			 * mispredictions of alternating streams (bench_codec:
			 * code-like pages 1.07 -> 1.46 GB/s, text 2.7 -> 2.0). */
			{
				n = flags ? clz32(flags) : 32;
				if (n > nbits)
					n = nbits;
				memcpy(op, ip, 32);
				op += n;
				ip += n;
				flags = (uint32_t)((uint64_t)flags << n);
				nbits -= n;
				if (nbits == 0)
					continue;
				/* Within a group a literal run always ends in a
				 * match: go straight to it. */
			}
			item_ip = ip;
			item_half = half;
			item_flags = flags;
			item_nbits = nbits;
			flags <<= 1;
			nbits--;
			m = hvs__le16(ip);
			ip += 2;
			dist = (size_t)(m >> 3) + 1;
			len = m & 7;
			if (len == 7) {
				if (!half) {
					half = ip;
					len = *ip++ & 15u;
				} else {
					len = *half >> 4;
					half = NULL;
				}
				if (len == 15) {
					len = *ip++;
					if (len == 255) {
						len = hvs__le16(ip);
						ip += 2;
						if (len == 0) {
							len = hvs__le32(ip);
							ip += 4;
						}
						if (len < 15 + 7)
							goto rewind;
						len -= 15 + 7;
					}
					len += 15;
				}
				len += 7;
			}
			len += 3;
			/* op may be up to 32 bytes into the margin: keep 16
			 * bytes of room for the wild copy's overshoot. */
			if (dist > (size_t)(op - out) || len + 16 > (uint64_t)(oe - op))
				goto rewind;
			l = (size_t)len;
			src = op - dist;
			if (dist >= 8) {
				/* 8-byte steps, the first 16 bytes unconditionally
				 * (most matches are short); dist >= 8 keeps each
				 * step's source written before it is read. */
				uint8_t *d = op + 16;
				memcpy(op, src, 8);
				memcpy(op + 8, src + 8, 8);
				for (src += 16; d < op + l; d += 8, src += 8)
					memcpy(d, src, 8);
			} else if (dist == 1 && l > 32) {
				memset(op, *src, l); /* long run of one byte */
			} else {
				/* Period dist < 8: build the first 8 bytes one by
				 * one, then copy 8-byte steps from a whole number
				 * of periods back (>= 8 bytes, so no overlap). */
				static const uint8_t back[8] = { 0, 8, 8, 9, 8, 10, 12, 14 };
				uint8_t *d = op + 8;
				size_t i, per = back[dist];
				for (i = 0; i < 8; i++)
					op[i] = src[i];
				for (; d < op + l; d += 8)
					memcpy(d, d - per, 8);
			}
			op += l;
			continue;
rewind:
			ip = item_ip;
			half = item_half;
			flags = item_flags;
			nbits = item_nbits;
			break;
		}
	}

	/* Careful loop: the stream's tail, and any item the fast loop
	 * declined.  Every read and write is checked first. */
	while (op != oe) {
		const uint8_t *mp;
		uint64_t len;
		size_t dist, produced;
		unsigned m;

		if (nbits == 0) {
			if ((size_t)(ie - ip) < 4)
				return short_stream(err, "no room for a flag word",
						    (size_t)(ip - in), in_len,
						    (size_t)(op - out), out_len);
			flags = hvs__le32(ip);
			ip += 4;
			nbits = 32;
		}
		if (!(flags & 0x80000000u)) {
			/* A run of 0 flags: that many literals, copied at once.
			 * Bits below the valid ones are 0, so cap by nbits. */
			unsigned n = flags ? clz32(flags) : 32;
			size_t k, iroom = (size_t)(ie - ip), oroom = (size_t)(oe - op);
			if (n > nbits)
				n = nbits;
			k = n < oroom ? n : oroom; /* the output may end inside */
			if (k > iroom)
				return hvs__codec_fail(
					err,
					"XPRESS: literal at input offset 0x%zx: input ends "
					"(0x%zx bytes) after %zu of %zu output bytes",
					in_len, in_len, (size_t)(op - out) + iroom, out_len);
			if (iroom >= 32 && oroom >= 32)
				memcpy(op, ip, 32); /* fixed size: one or two vector moves */
			else
				memcpy(op, ip, k);
			op += k;
			ip += k;
			flags = (uint32_t)((uint64_t)flags << n);
			nbits -= n;
			continue;
		}

		/* A match flag. */
		flags <<= 1;
		nbits--;
		if (ip == ie)
			/* MS-XCA: a match flag at the exact end of input is the
			 * end of the stream (the encoder's 1-bit padding). */
			return short_stream(err, "end marker", (size_t)(ip - in),
					    in_len, (size_t)(op - out), out_len);
		mp = ip;
		if ((size_t)(ie - ip) < 2)
			return hvs__codec_fail(err,
					       "XPRESS: match at input offset 0x%zx: "
					       "needs 2 bytes, 1 left",
					       (size_t)(mp - in));
		m = hvs__le16(ip);
		ip += 2;
		dist = (size_t)(m >> 3) + 1;
		len = m & 7;
		if (len == 7) {
			/* Length extension, MS-XCA 2.4.4: shared half byte, then
			 * a byte, then u16, then u32. */
			if (!half) {
				if (ip == ie)
					goto trunc_len;
				half = ip;
				len = *ip++ & 15u;
			} else {
				len = *half >> 4;
				half = NULL;
			}
			if (len == 15) {
				if (ip == ie)
					goto trunc_len;
				len = *ip++;
				if (len == 255) {
					if ((size_t)(ie - ip) < 2)
						goto trunc_len;
					len = hvs__le16(ip);
					ip += 2;
					if (len == 0) {
						if ((size_t)(ie - ip) < 4)
							goto trunc_len;
						len = hvs__le32(ip);
						ip += 4;
					}
					if (len < 15 + 7)
						return hvs__codec_fail(
							err,
							"XPRESS: match at input offset 0x%zx: "
							"extended length %" PRIu64
							" below the minimum 22",
							(size_t)(mp - in), len);
					len -= 15 + 7;
				}
				len += 15;
			}
			len += 7;
		}
		len += 3;
		produced = (size_t)(op - out);
		if (dist > produced)
			return hvs__codec_fail(err,
					       "XPRESS: match at input offset 0x%zx: distance "
					       "%zu reaches before the output start (%zu "
					       "bytes produced)",
					       (size_t)(mp - in), dist, produced);
		if (len > (uint64_t)(oe - op))
			return hvs__codec_fail(err,
					       "XPRESS: match at input offset 0x%zx: length "
					       "%" PRIu64 " overruns the output (%zu of %zu "
					       "bytes left)",
					       (size_t)(mp - in), len,
					       (size_t)(oe - op), out_len);
		{
			const uint8_t *src = op - dist;
			size_t l = (size_t)len;
			if (dist >= 8 && (size_t)(oe - op) >= l + 8) {
				/* Wild copy: 8 bytes per step, may write up to 7
				 * bytes past op + l (inside the buffer, rewritten
				 * later).  dist >= 8 keeps each step's source
				 * and destination apart. */
				uint8_t *d = op;
				uint8_t *const de = op + l;
				do {
					memcpy(d, src, 8);
					d += 8;
					src += 8;
				} while (d < de);
			} else if (dist >= l) {
				memcpy(op, src, l);
			} else if (dist == 1) {
				memset(op, *src, l); /* run-length: the common zero run */
			} else {
				/* Short overlapping distance: byte by byte, as the
				 * specification copies. */
				size_t i;
				for (i = 0; i < l; i++)
					op[i] = src[i];
			}
			op += l;
		}
	}
	return HVS_OK;

trunc_len:
	return hvs__codec_fail(err,
			       "XPRESS: match length extension at input offset 0x%zx "
			       "runs past the input end (0x%zx)",
			       (size_t)(ip - in), in_len);
}

/* ---------------------------------------------------------- compressor */

/* LZ77 parameters: an 8 KiB window is the format's limit (13-bit
 * distance field); the chain depth trades ratio for speed. */
#define XP_WINDOW 8192u
#define XP_HASH_BITS 14
#define XP_CHAIN_MAX 48
#define XP_NICE 512u   /* stop searching once a match is this long */

size_t hvs__xpress_bound(size_t n)
{
	/* Each item costs at most one byte per output byte (literal) or less
	 * (a match of >= 3 bytes costs <= 2.5 + extension bytes, always fewer
	 * than its length); plus a flag word per 32 items and the final one. */
	return n + 4 * (n / 32) + 8;
}

/* Hash of the 3 bytes at @p (Knuth multiplicative). */
static inline uint32_t xp_hash(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return (v * 2654435761u) >> (32 - XP_HASH_BITS);
}

/* Encoder output state: position, flag word being filled, half byte. */
typedef struct xp_out {
	uint8_t *buf;
	size_t cap, pos;
	size_t flag_pos;   /* where the current group's flag word goes */
	uint32_t flags;
	unsigned nflags;   /* items in the current group */
	size_t half_pos;   /* byte with a free high nibble, or SIZE_MAX */
} xp_out;

/* Record one flag bit; a full group's word is written and the next one
 * reserved at once (MS-XCA 2.3), so the word precedes its items. */
static int xp_flag(xp_out *o, unsigned bit)
{
	o->flags = o->flags << 1 | bit;
	if (++o->nflags == 32) {
		hvs__put_le32(o->buf + o->flag_pos, o->flags);
		if (o->cap - o->pos < 4)
			return -1;
		o->flag_pos = o->pos;
		o->pos += 4;
		o->flags = 0;
		o->nflags = 0;
	}
	return 0;
}

/* Emit a match of @len >= 3 bytes at distance @dist (1..8192). */
static int xp_match(xp_out *o, size_t dist, size_t len)
{
	size_t l = len - 3;
	unsigned m = (unsigned)(dist - 1) << 3;
	/* Exact size: match word, a new nibble byte unless one is pending,
	 * then 1, 3 or 7 extension bytes (so that hvs__xpress_bound holds). */
	size_t need = 2;
	if (l >= 7) {
		need += o->half_pos == SIZE_MAX;
		if (l >= 7 + 15)
			need += l - 22 < 255 ? 1 : (uint64_t)len - 3 <= 0xFFFF ? 3 : 7;
	}
	if (o->cap - o->pos < need)
		return -1;
	if (l < 7) {
		hvs__put_le16(o->buf + o->pos, (uint16_t)(m | l));
		o->pos += 2;
		return xp_flag(o, 1);
	}
	hvs__put_le16(o->buf + o->pos, (uint16_t)(m | 7));
	o->pos += 2;
	l -= 7;
	{
		unsigned nib = l < 15 ? (unsigned)l : 15u;
		if (o->half_pos == SIZE_MAX) {
			o->buf[o->pos] = (uint8_t)nib;
			o->half_pos = o->pos++;
		} else {
			o->buf[o->half_pos] |= (uint8_t)(nib << 4);
			o->half_pos = SIZE_MAX;
		}
	}
	if (l >= 15) {
		l -= 15;
		if (l < 255) {
			o->buf[o->pos++] = (uint8_t)l;
		} else {
			/* Wide forms carry length - 3 (MS-XCA 2.3). */
			uint64_t v = (uint64_t)len - 3;
			o->buf[o->pos++] = 255;
			if (v <= 0xFFFF) {
				hvs__put_le16(o->buf + o->pos, (uint16_t)v);
				o->pos += 2;
			} else {
				hvs__put_le16(o->buf + o->pos, 0);
				hvs__put_le32(o->buf + o->pos + 2, (uint32_t)v);
				o->pos += 6;
			}
		}
	}
	return xp_flag(o, 1);
}

hvs_status hvs__xpress_compress(const uint8_t *in, size_t in_len, uint8_t *out,
				size_t out_cap, size_t *out_len)
{
	uint32_t *head = NULL, *prev = NULL;
	xp_out o;
	size_t p = 0;
	hvs_status st = HVS_OK;

	*out_len = 0;
	/* Positions are kept as u32 + 1; lengths fit the u32 field. */
	if ((uint64_t)in_len >= UINT32_MAX)
		return HVS_E_INVALID;
	if (out_cap < 4)
		return HVS_E_BUFSIZE;
	head = calloc((size_t)1 << XP_HASH_BITS, sizeof *head);
	prev = calloc(XP_WINDOW, sizeof *prev);
	if (!head || !prev) {
		st = HVS_E_NOMEM;
		goto out;
	}
	o.buf = out;
	o.cap = out_cap;
	o.flag_pos = 0;
	o.pos = 4;
	o.flags = 0;
	o.nflags = 0;
	o.half_pos = SIZE_MAX;

	while (p < in_len) {
		size_t best_len = 0, best_dist = 0;
		if (in_len - p >= 3) {
			uint32_t h = xp_hash(in + p);
			uint32_t cand = head[h];
			unsigned depth = XP_CHAIN_MAX;
			size_t maxlen = in_len - p;
			while (cand && depth--) {
				size_t c = cand - 1, l = 0;
				if (p - c > XP_WINDOW)
					break;
				if (in[c + best_len] == in[p + best_len] ||
				    best_len == 0) {
					while (l < maxlen && in[c + l] == in[p + l])
						l++;
					if (l > best_len) {
						best_len = l;
						best_dist = p - c;
						if (l >= XP_NICE || l == maxlen)
							break;
					}
				}
				{
					uint32_t nx = prev[c & (XP_WINDOW - 1)];
					if (nx >= cand) /* stale slot: chains go back */
						break;
					cand = nx;
				}
			}
			prev[p & (XP_WINDOW - 1)] = head[h];
			head[h] = (uint32_t)p + 1;
		}
		if (best_len >= 3) {
			size_t q;
			if (xp_match(&o, best_dist, best_len)) {
				st = HVS_E_BUFSIZE;
				goto out;
			}
			/* Insert the covered positions so later matches find them. */
			for (q = p + 1; q < p + best_len && in_len - q >= 3; q++) {
				uint32_t h = xp_hash(in + q);
				prev[q & (XP_WINDOW - 1)] = head[h];
				head[h] = (uint32_t)q + 1;
			}
			p += best_len;
		} else {
			if (o.pos >= o.cap) {
				st = HVS_E_BUFSIZE;
				goto out;
			}
			o.buf[o.pos++] = in[p++];
			if (xp_flag(&o, 0)) {
				st = HVS_E_BUFSIZE;
				goto out;
			}
		}
	}
	/* Pad the open group with 1-bits (at least one: the end marker). */
	{
		unsigned free_bits = 32 - o.nflags;
		uint32_t f = free_bits == 32 ? 0xFFFFFFFFu
					     : (o.flags << free_bits) |
						       ((1u << free_bits) - 1);
		hvs__put_le32(o.buf + o.flag_pos, f);
	}
	*out_len = o.pos;
out:
	free(head);
	free(prev);
	return st;
}
