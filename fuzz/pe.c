/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the PE parser and the image scanner (src/pe).
 *
 * Input: [0] flags (bit 0: also parse as a mapped image; bit 1: scan),
 * then the image bytes.  The bytes are parsed
 *  - as a PE file (hvs_pe_open_source, file layout),
 *  - as an image mapped at VA 0 (hvs_pe_open with a callback over the
 *    bytes; reads past the end are "not present"),
 *  - and scanned as physical memory with paging off (GVA == GPA), from
 *    the top down, standalone address 0 first.
 * Every directory is decoded after a successful open.
 *
 * Invariants checked (a violation traps):
 *  - statuses are those the header documents;
 *  - after an open: at most 96 sections, SizeOfImage in (0, 2 GiB],
 *    SizeOfHeaders <= SizeOfImage, every section inside SizeOfImage;
 *  - exports: NumberOfNames <= NumberOfFunctions <= 2^20, every name and
 *    forwarder NUL-terminated and at most 1024 bytes;
 *  - .pdata: sorted, begin < end <= SizeOfImage, and lookup of each
 *    begin finds that entry;
 *  - scan: bases page-aligned (or standalone), in [0, len), reported in
 *    descending order after the standalone one, sizes non-zero.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

typedef struct buf {
	const uint8_t *p;
	size_t n;
} buf;

/* Mapped-image reads: bytes past the end are not present. */
static hvs_status mem_read(void *ud, uint64_t va, void *out, size_t len,
			   size_t *done)
{
	const buf *b = ud;
	size_t k;

	*done = 0;
	if (va >= b->n)
		return HVS_E_NOTPRESENT;
	k = b->n - (size_t)va < len ? b->n - (size_t)va : len;
	memcpy(out, b->p + va, k);
	*done = k;
	return k == len ? HVS_OK : HVS_E_NOTPRESENT;
}

static hvs_status phys_read(void *ud, uint64_t gpa, void *out, size_t len)
{
	size_t done;

	return mem_read(ud, gpa, out, len, &done) == HVS_OK ? HVS_OK : HVS_E_NODATA;
}

static int known(hvs_status s)
{
	return s == HVS_OK || s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED ||
	       s == HVS_E_NOTPRESENT || s == HVS_E_NODATA || s == HVS_E_NOTFOUND ||
	       s == HVS_E_NOMEM;
}

static void check_str(const char *s)
{
	ASSERT(s && strlen(s) <= HVS_PE_MAX_NAME);
}

/* Decode every directory of an open image and check the invariants. */
static void exercise(hvs_pe *pe)
{
	const hvs_pe_headers *h = hvs_pe_get_headers(pe);
	const hvs_pe_section *s;
	const hvs_pe_exports *x;
	const hvs_pe_export *e;
	const hvs_pe_debug_entry *d;
	const hvs_pe_codeview *cv;
	const hvs_pe_runtime_function *rf, *f;
	hvs_pe_dir dir;
	uint8_t tmp[64];
	size_t n, i, done;
	hvs_status st;
	char g[50];

	ASSERT(h->image_size > 0 && h->image_size <= HVS_PE_MAX_IMAGE_SIZE);
	ASSERT(h->headers_size <= h->image_size);
	s = hvs_pe_sections(pe, &n);
	ASSERT(n <= HVS_PE_MAX_SECTIONS && n == h->section_count);
	for (i = 0; i < n; i++) {
		uint64_t span = s[i].virtual_size ? s[i].virtual_size : s[i].raw_size;
		ASSERT((uint64_t)s[i].rva + span <= h->image_size);
	}
	for (i = 0; i < HVS_PE_DIR_COUNT; i++) {
		st = hvs_pe_get_dir(pe, (unsigned)i, &dir);
		ASSERT(st == HVS_OK || st == HVS_E_NOTFOUND);
	}
	st = hvs_pe_read_rva(pe, h->entry_rva, tmp, sizeof tmp, &done);
	ASSERT(known(st) && done <= sizeof tmp);
	st = hvs_pe_get_exports(pe, &x);
	ASSERT(known(st));
	if (st == HVS_OK) {
		ASSERT(x->name_count <= x->function_count);
		ASSERT(x->function_count <= HVS_PE_MAX_EXPORTS);
		check_str(x->dll_name);
		for (i = 0; i < x->function_count; i++) {
			if (x->entries[i].name)
				check_str(x->entries[i].name);
			if (x->entries[i].forwarder)
				check_str(x->entries[i].forwarder);
		}
		st = hvs_pe_find_export(pe, "a", &e);
		ASSERT(st == HVS_OK || st == HVS_E_NOTFOUND);
	}
	st = hvs_pe_get_debug(pe, &d, &n);
	ASSERT(known(st));
	if (st == HVS_OK)
		ASSERT(n <= HVS_PE_MAX_DEBUG);
	st = hvs_pe_get_codeview(pe, &cv);
	ASSERT(known(st));
	if (st == HVS_OK) {
		check_str(cv->pdb_name);
		ASSERT(hvs_pe_format_guid(cv->guid, cv->age, 1, g, sizeof g) == HVS_OK);
	}
	st = hvs_pe_get_runtime_functions(pe, &rf, &n);
	ASSERT(known(st));
	if (st == HVS_OK) {
		for (i = 0; i < n; i++) {
			ASSERT(rf[i].begin_rva < rf[i].end_rva);
			ASSERT(rf[i].end_rva <= h->image_size);
			ASSERT(!i || rf[i - 1].begin_rva <= rf[i].begin_rva);
			ASSERT(hvs_pe_find_runtime_function(pe, rf[i].begin_rva, &f) == HVS_OK);
			ASSERT(f->begin_rva <= rf[i].begin_rva && rf[i].begin_rva < f->end_rva);
		}
	}
}

typedef struct scanck {
	size_t len;
	uint64_t last;
	int n;
} scanck;

static int on_found(void *ud, const hvs_pe_found *f)
{
	scanck *c = ud;

	ASSERT(f->base < c->len && f->size > 0);
	if (!f->standalone) {
		ASSERT((f->base & 0xFFF) == 0);
		ASSERT(c->n == 0 || f->base < c->last);
		c->last = f->base;
		c->n++;
	}
	if (f->name)
		check_str(f->name);
	if (f->has_codeview)
		check_str(f->pdb_name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvs_source src;
	hvs_pe *pe = NULL;
	buf b;
	uint8_t flags;
	hvs_status st;

	if (size < 1)
		return 0;
	flags = data[0];
	b.p = data + 1;
	b.n = size - 1;
	if (hvs_source_from_memory(&src, b.p, b.n) != HVS_OK)
		return 0;
	st = hvs_pe_open_source(&pe, &src, NULL);
	ASSERT(known(st));
	if (st == HVS_OK)
		exercise(pe);
	hvs_pe_close(pe);
	pe = NULL;
	if (flags & 1) {
		st = hvs_pe_open(&pe, 0, mem_read, &b, NULL);
		ASSERT(known(st));
		if (st == HVS_OK)
			exercise(pe);
		hvs_pe_close(pe);
	}
	hvs_source_close(&src);
	if ((flags & 2) && b.n) {
		hvs_paging_regs r;
		hvs_xlat *x = NULL;
		scanck c;
		uint64_t sa = 0;

		memset(&r, 0, sizeof r);
		r.arch = HVS_XLAT_ARCH_X86;
		r.mode = HVS_PAGING_NONE;
		if (hvs_xlat_new(&x, &r, phys_read, &b, 0, NULL) == HVS_OK) {
			memset(&c, 0, sizeof c);
			c.len = b.n;
			st = hvs_pe_scan_xlat(x, phys_read, &b, b.n - 1, 0, &sa, 1,
					      on_found, &c, NULL);
			ASSERT(st == HVS_OK || st == HVS_E_NOMEM);
			hvs_xlat_free(x);
		}
	}
	return 0;
}
