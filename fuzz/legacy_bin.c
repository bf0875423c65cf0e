/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the legacy .bin container (src/vmrs/legacy_bin.c) through
 * a memory hvs_source.  Invariants: open failures carry a message; an
 * opened file has blocks sorted by number without duplicates, every blob
 * inside the file and after the header page, raw size = blocks x 1 MiB;
 * every block decodes or fails with CORRUPT and a message, and a decoded
 * block consumed no more than its data size.  Non-fatal findings reach
 * the problem sink with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "vmrs/legacy_bin.h"

#define FAIL(what)                                                             \
	do {                                                                   \
		fprintf(stderr, "legacy_bin invariant: %s\n", what);           \
		abort();                                                       \
	} while (0)

static void sink(void *ud, hvs_status kind, uint64_t off, const char *msg)
{
	(void)kind;
	(void)off;
	if (!msg || !*msg)
		FAIL("empty problem message");
	++*(unsigned long *)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvs_source src;
	hvs__legacy_bin *b = NULL;
	hvs_open_opts o;
	char msg[HVS_ERRMSG_MAX];
	unsigned long problems = 0;
	static uint8_t out[HVS__RAMBLOCK_SIZE];
	hvs_status st;

	if (hvs_source_from_memory(&src, data, size) != HVS_OK)
		return 0;
	memset(&o, 0, sizeof o);
	o.errbuf = msg;
	o.errbuf_size = sizeof msg;
	o.problem = sink;
	o.problem_ud = &problems;
	msg[0] = 0;
	st = hvs__legacy_bin_open(&b, &src, &o);
	if (st != HVS_OK) {
		if (b || !msg[0])
			FAIL("failed open without a message or with a handle");
		hvs_source_close(&src);
		return 0;
	}
	if (hvs__legacy_bin_raw_size(b) != (uint64_t)b->nblocks << 20)
		FAIL("raw size");
	for (size_t i = 0; i < b->nblocks; i++) {
		const hvs__lbin_block *k = &b->blocks[i];
		hvs__ramblock_stats stats;
		if (i && b->blocks[i - 1].n >= k->n)
			FAIL("blocks not sorted or duplicated");
		if (k->off < 0x1000 || k->off + k->alloc_size > size ||
		    k->data_size > k->alloc_size)
			FAIL("blob outside the file");
		if (hvs__legacy_bin_find(b, k->n) != k)
			FAIL("find");
		if (i >= 8)
			continue; /* decoding is checked on the first blocks */
		st = hvs__legacy_bin_read_block(b, k->n, out, &stats);
		if (st != HVS_OK && (st != HVS_E_CORRUPT || !b->err.msg[0]))
			FAIL("block error without CORRUPT or a message");
		if (st == HVS_OK && stats.consumed > k->data_size)
			FAIL("consumed past the data size");
	}
	hvs__legacy_bin_close(b);
	hvs_source_close(&src);
	return 0;
}
