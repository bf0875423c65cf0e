/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: LZNT1 decompression (src/codec/lznt1.c).  Input: u16 LE
 * output capacity (capped at 20 KiB), then the stream.  Invariants: the
 * produced count never exceeds the capacity, errors are CORRUPT with an
 * offset, decoded output round-trips through the compressor, and the raw
 * input bytes round-trip too (compressor on arbitrary data).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

#define FAIL(what)                                                             \
	do {                                                                   \
		fprintf(stderr, "lznt1 invariant: %s\n", what);                \
		abort();                                                       \
	} while (0)

/* Compress @p and decompress it again: must give @p back. */
static void roundtrip(const uint8_t *p, size_t n)
{
	size_t cap = hvs__lznt1_bound(n), clen, dn;
	uint8_t *c = malloc(cap), *d = malloc(n ? n : 1);
	if (!c || !d)
		FAIL("malloc");
	if (hvs__lznt1_compress(p, n, c, cap, &clen) != HVS_OK)
		FAIL("compress failed within its bound");
	if (hvs__lznt1_decompress(c, clen, d, n, &dn, NULL) != HVS_OK || dn != n ||
	    memcmp(d, p, n) != 0)
		FAIL("round trip differs");
	free(c);
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, done = 12345;
	uint8_t *out;
	hvs__err e;
	hvs_status st;

	if (size < 2)
		return 0;
	cap = hvs__le16(data) % (20480 + 1);
	data += 2;
	size -= 2;
	out = malloc(cap ? cap : 1);
	if (!out)
		FAIL("malloc");
	e.msg[0] = 0;
	st = hvs__lznt1_decompress(data, size, out, cap, &done, &e);
	if (done > cap)
		FAIL("produced more than the capacity");
	if (st != HVS_OK && (st != HVS_E_CORRUPT || !strstr(e.msg, "offset 0x")))
		FAIL("error without CORRUPT status or an offset");
	if (st == HVS_OK)
		roundtrip(out, done);
	if (size <= 9000)
		roundtrip(data, size);
	free(out);
	return 0;
}
