/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the RamBlock token stream (src/codec/ramblock.c).  The
 * whole input is the stream.  Invariants: an error is CORRUPT and names an
 * offset; a stream the full decoder accepts also indexes, and every page
 * decoded alone through the index equals the same page of the full
 * decode; a stream whose framing the indexer rejects is rejected by the
 * decoder too; the consumed count stays inside the input.  Inputs
 * starting with 'E' instead build a block from the remaining bytes and
 * per-page kinds, encode it and check the decode gives it back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

#define FAIL(what)                                                             \
	do {                                                                   \
		fprintf(stderr, "ramblock invariant: %s\n", what);             \
		abort();                                                       \
	} while (0)

/* Encode a block made from @data (pages of repeated input slices, zero
 * pages and patterns) with kinds taken from the input, decode, compare. */
static void encode_roundtrip(const uint8_t *data, size_t size)
{
	/* Static buffers: a fresh 1 MiB per run costs page faults. */
	static uint8_t blk[HVS__RAMBLOCK_SIZE], out[HVS__RAMBLOCK_SIZE];
	static uint8_t s[HVS__RAMBLOCK_ENCODE_BOUND];
	uint8_t kinds[256];
	size_t n;
	hvs_status st;
	for (unsigned p = 0; p < 256; p++) {
		uint8_t sel = size ? data[p % size] : 0;
		uint8_t *pg = blk + (size_t)p * 4096;
		/* Data pages only in the first 8 (compressing under the
		 * fuzzing instrumentation is slow); the rest are fills. */
		if ((sel & 3) == 0 || size == 0 || p >= 8) {
			memset(pg, sel >> 2 & 1 ? 0xAB : 0, 4096);
			kinds[p] = (uint8_t)((sel >> 3) % 6); /* any kind */
		} else {
			for (size_t i = 0; i < 4096; i++)
				pg[i] = data[(i * (sel & 3) + p) % size];
			kinds[p] = (uint8_t)((sel >> 3) % 3 == 0 ? HVS__RB_RAW
				   : (sel >> 3) % 3 == 1 ? HVS__RB_XPRESS
							 : HVS__RB_SIZED);
		}
	}
	st = hvs__ramblock_encode(blk, kinds, s, HVS__RAMBLOCK_ENCODE_BOUND, &n);
	if (st != HVS_OK)
		FAIL("encode failed");
	if (hvs__ramblock_decode(s, n, out, 0, NULL, NULL) != HVS_OK ||
	    memcmp(out, blk, HVS__RAMBLOCK_SIZE) != 0)
		FAIL("encode round trip differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static hvs__ramblock_index idx;
	static uint8_t out[HVS__RAMBLOCK_SIZE];
	uint8_t pg[4096];
	hvs__ramblock_stats stats;
	hvs__err e;
	hvs_status st, ist;

	if (size >= 1 && data[0] == 'E') {
		encode_roundtrip(data + 1, size > 4097 ? 4096 : size - 1);
		return 0;
	}
	e.msg[0] = 0;
	st = hvs__ramblock_decode(data, size, out, 0x1000, &stats, &e);
	if (st != HVS_OK && (st != HVS_E_CORRUPT || !strstr(e.msg, "offset 0x")))
		FAIL("error without CORRUPT status or an offset");
	if (stats.consumed > size)
		FAIL("consumed past the input");
	ist = hvs__ramblock_index_build(&idx, data, size, 0x1000, &e);
	if (ist != HVS_OK && st == HVS_OK)
		FAIL("decoder accepts a stream the indexer rejects");
	if (ist != HVS_OK && (ist != HVS_E_CORRUPT || !strstr(e.msg, "offset 0x")))
		FAIL("index error without CORRUPT status or an offset");
	if (st == HVS_OK) {
		for (unsigned p = 0; p < 256; p++) {
			hvs_status ps = hvs__ramblock_decode_page(&idx, data, size, p,
								  pg, 0, &e);
			if (ps == HVS_E_UNSUPPORTED)
				continue;
			if (ps != HVS_OK)
				FAIL("page decode fails on a valid stream");
			if (memcmp(pg, out + (size_t)p * 4096, 4096) != 0)
				FAIL("page decode differs from the block decode");
		}
	}
	return 0;
}
