/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: XPRESS plain-LZ77 decompression (src/codec/xpress.c).
 * Input: u16 LE expected output size (capped at 16 KiB), then the stream.
 * Invariants beyond "no crash": the optimised decoder agrees exactly with
 * a plain reference decoder written from MS-XCA 2.4.4 here (status and
 * every output byte), every error message names an offset, and decoded
 * output re-compresses into a stream that decodes back to it.  The output
 * buffer is allocated to the exact size so ASan sees any overrun.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

#define FAIL(what)                                                             \
	do {                                                                   \
		fprintf(stderr, "xpress invariant: %s\n", what);               \
		abort();                                                       \
	} while (0)

/* Reference decoder, one item at a time, exactly as MS-XCA 2.4.4 reads
 * (with the caller-known output size of format.md 4.3 step 4). */
static int ref_decode(const uint8_t *in, size_t n, uint8_t *out, size_t olen)
{
	size_t ip = 0, op = 0, half = 0;
	int have_half = 0;
	uint32_t flags = 0;
	int count = 0;
	while (op < olen) {
		uint64_t len;
		size_t dist, i;
		unsigned m;
		if (count == 0) {
			if (n - ip < 4)
				return -1;
			flags = hvs__le32(in + ip);
			ip += 4;
			count = 32;
		}
		count--;
		if (!(flags & (1u << count))) {
			if (ip >= n)
				return -1;
			out[op++] = in[ip++];
			continue;
		}
		if (ip == n)
			return -1; /* end marker, but output short */
		if (n - ip < 2)
			return -1;
		m = hvs__le16(in + ip);
		ip += 2;
		dist = (m >> 3) + 1;
		len = m & 7;
		if (len == 7) {
			if (!have_half) {
				if (ip >= n)
					return -1;
				half = ip++;
				len = in[half] & 15;
				have_half = 1;
			} else {
				len = in[half] >> 4;
				have_half = 0;
			}
			if (len == 15) {
				if (ip >= n)
					return -1;
				len = in[ip++];
				if (len == 255) {
					if (n - ip < 2)
						return -1;
					len = hvs__le16(in + ip);
					ip += 2;
					if (len == 0) {
						if (n - ip < 4)
							return -1;
						len = hvs__le32(in + ip);
						ip += 4;
					}
					if (len < 22)
						return -1;
					len -= 22;
				}
				len += 15;
			}
			len += 7;
		}
		len += 3;
		if (dist > op || len > olen - op)
			return -1;
		for (i = 0; i < len; i++, op++)
			out[op] = out[op - dist];
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t olen;
	uint8_t *out, *ref, *c, *back;
	size_t clen;
	hvs__err e;
	hvs_status st;
	int rs;

	if (size < 2)
		return 0;
	olen = hvs__le16(data) % (16384 + 1);
	data += 2;
	size -= 2;
	out = malloc(olen ? olen : 1);
	ref = malloc(olen ? olen : 1);
	if (!out || !ref)
		FAIL("malloc");
	e.msg[0] = 0;
	st = hvs__xpress_decompress(data, size, out, olen, &e);
	rs = ref_decode(data, size, ref, olen);
	if ((st == HVS_OK) != (rs == 0))
		FAIL("status differs from the reference decoder");
	if (st != HVS_OK && (st != HVS_E_CORRUPT || !strstr(e.msg, "offset 0x")))
		FAIL("error without CORRUPT status or an offset");
	if (st == HVS_OK) {
		if (memcmp(out, ref, olen) != 0)
			FAIL("output differs from the reference decoder");
		/* Round trip through the compressor. */
		c = malloc(hvs__xpress_bound(olen));
		back = malloc(olen ? olen : 1);
		if (!c || !back)
			FAIL("malloc");
		if (hvs__xpress_compress(out, olen, c, hvs__xpress_bound(olen), &clen) !=
		    HVS_OK)
			FAIL("compress failed within its bound");
		if (hvs__xpress_decompress(c, clen, back, olen, NULL) != HVS_OK ||
		    memcmp(back, out, olen) != 0)
			FAIL("round trip differs");
		free(c);
		free(back);
	}
	free(out);
	free(ref);
	return 0;
}
