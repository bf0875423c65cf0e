/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the translation engine (src/xlat): random page-table bytes, a
 * paging mode, registers and a VA, all carved from the input.
 *
 * Input: [0] mode (low 3 bits) and flags, [1] ARM64 TCR variant,
 * [2..9] VA, [10..17] CR3/TTBR0, [18..25] CR4 bits/TCR, [26..33] TTBR1,
 * then guest-physical memory from GPA 0 (an hvs_source over the bytes).
 *
 * Invariants checked (a violation traps):
 *  - translate returns OK, NOTPRESENT or NODATA only;
 *  - OK: power-of-two page size >= 4 KiB, GPA and VA agree below it,
 *    unmapped size 0, no fault recorded;
 *  - NOTPRESENT: a fault kind, an unmapped size > 0, and the last byte of
 *    that unmapped region is not mapped either;
 *  - the stepwise walk reaches the same answer as translate;
 *  - a read reports done <= len, and done == len on success;
 *  - every region the map walker lists translates to the same GPA and
 *    page size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"

#define HDR 34

static hvs_status src_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	hvs_source *src = ud;
	size_t done = 0;
	hvs_status s = src->read_at(src->ud, gpa, buf, len, &done);
	return s == HVS_OK && done == len ? HVS_OK : HVS_E_NODATA;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;
	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

typedef struct mapck {
	hvs_xlat *x;
	unsigned n;
	int merged; /* regions may span several mappings */
} mapck;

static hvs_status check_region(void *ud, const hvs_xlat_region *r)
{
	mapck *m = ud;
	uint64_t gpa = 0, ps = 0;
	if (++m->n > 64)
		return HVS_E_BUFSIZE; /* enough: stop the walk */
	ASSERT(r->size != 0);
	if (r->flags & HVS_XLAT_F_NODATA)
		return HVS_OK;
	ASSERT(hvs_xlat_translate(m->x, r->gva, &gpa, &ps, NULL) == HVS_OK);
	ASSERT(gpa == r->gpa);
	if (m->merged || hvs_xlat_mode(m->x) == HVS_PAGING_NONE)
		ASSERT(ps <= r->size);
	else
		ASSERT(ps == r->size);
	return HVS_OK;
}

static void check_one(hvs_xlat *x, uint64_t va)
{
	uint64_t gpa = 0, ps = 0, um = 0;
	hvs_xlat_walk w;
	hvs_status s, ws;
	const hvs_xlat_fault *f;
	unsigned guard = 0;

	s = hvs_xlat_translate(x, va, &gpa, &ps, &um);
	ASSERT(s == HVS_OK || s == HVS_E_NOTPRESENT || s == HVS_E_NODATA);
	f = hvs_xlat_last_fault(x);
	if (s == HVS_OK) {
		ASSERT(ps >= 4096 && (ps & (ps - 1)) == 0);
		ASSERT(((gpa ^ va) & (ps - 1)) == 0);
		ASSERT(um == 0);
		ASSERT(f->kind == HVS_XLAT_FAULT_NONE);
	} else if (s == HVS_E_NOTPRESENT) {
		hvs_xlat_fault_kind kind = f->kind;
		ASSERT(kind != HVS_XLAT_FAULT_NONE);
		ASSERT(um > 0);
		if (va + (um - 1) >= va)
			ASSERT(hvs_xlat_translate(x, va + (um - 1), NULL, NULL,
						  NULL) == HVS_E_NOTPRESENT);
		(void)hvs_xlat_errmsg(x);
	}
	/* the stepwise walk agrees */
	ws = hvs_xlat_walk_init(x, &w, va);
	while (ws == HVS_OK && !w.done && guard++ < 8)
		ws = hvs_xlat_walk_step(x, &w);
	ASSERT(ws == s);
	ASSERT(w.nsteps <= HVS_XLAT_MAX_STEPS);
	if (s == HVS_OK) {
		ASSERT(w.done && w.gpa == gpa && w.page_size == ps);
	} else if (s == HVS_E_NOTPRESENT) {
		hvs_status s2 = hvs_xlat_translate(x, va, NULL, NULL, &um);
		ASSERT(s2 == HVS_E_NOTPRESENT);
		ASSERT(w.unmapped_size == um);
		ASSERT(w.fault.kind == hvs_xlat_last_fault(x)->kind);
		ASSERT(w.fault.level == hvs_xlat_last_fault(x)->level);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const hvs_paging_mode modes[8] = {
		HVS_PAGING_X86_32, HVS_PAGING_X86_PAE, HVS_PAGING_X64_4LEVEL,
		HVS_PAGING_X64_5LEVEL, HVS_PAGING_ARM64, HVS_PAGING_ARM64,
		HVS_PAGING_NONE, HVS_PAGING_AUTO
	};
	hvs_paging_regs r;
	hvs_source src;
	hvs_xlat *x = NULL;
	uint64_t va, a, b, c;
	unsigned flags;
	uint8_t buf[64];
	size_t done = 0;
	mapck m;
	hvs_status s;

	if (size < HDR)
		return 0;
	memset(&r, 0, sizeof r);
	va = get64(data + 2);
	a = get64(data + 10);
	b = get64(data + 18);
	c = get64(data + 26);
	r.mode = modes[data[0] & 7];
	flags = (data[0] & 0x8) ? HVS_XLAT_NO_RSVD_CHECK : 0;
	if (data[0] & 0x10)
		flags |= HVS_XLAT_NO_CACHE;
	if (r.mode == HVS_PAGING_ARM64) {
		r.arch = HVS_XLAT_ARCH_ARM64;
		r.sctlr = 1;
		r.ttbr0 = a;
		r.ttbr1 = c;
		/* mostly-sane TCR from byte 1, or raw bits from the input */
		if (data[1] & 0x80)
			r.tcr = b;
		else
			r.tcr = (uint64_t)(16 + (data[1] & 0x1F)) |
				(uint64_t)(16 + (data[1] & 0x1F)) << 16 |
				(uint64_t)((data[1] >> 5) & 3) << 14 |
				(uint64_t)((data[1] >> 5) & 3) << 30 |
				(b & UINT64_C(0x0000007F00800080));
	} else {
		r.arch = HVS_XLAT_ARCH_X86;
		r.cr0 = 0x80050033;
		r.cr3 = a;
		r.cr4 = b & 0x1030;        /* PSE, PAE, LA57 */
		r.efer = b >> 32 & 0xd01; /* LME, LMA, NXE, SCE */
		r.maxphyaddr = (unsigned)(c & 0x3F);
	}
	if (hvs_source_from_memory(&src, data + HDR, size - HDR) != HVS_OK)
		return 0;
	s = hvs_xlat_new(&x, &r, src_read, &src, flags, NULL);
	if (s != HVS_OK) {
		ASSERT(s == HVS_E_INVALID);
		hvs_source_close(&src);
		return 0;
	}
	check_one(x, va);
	check_one(x, va ^ UINT64_C(0xFFFF800000000000));
	check_one(x, va & 0xFFFFFFFF);

	s = hvs_xlat_read(x, va, buf, sizeof buf, &done);
	ASSERT(done <= sizeof buf);
	ASSERT(s != HVS_OK || done == sizeof buf);

	m.x = x;
	m.n = 0;
	m.merged = 0;
	s = hvs_xlat_map_walk(x, 0, ~UINT64_C(0), 0, check_region, &m);
	ASSERT(s == HVS_OK || s == HVS_E_BUFSIZE || s == HVS_E_CORRUPT);
	m.n = 0;
	m.merged = 1;
	s = hvs_xlat_map_walk(x, va & ~UINT64_C(0xFFF), va | 0xFFFFF,
			      HVS_XLAT_MAP_MERGE, check_region, &m);
	ASSERT(s == HVS_OK || s == HVS_E_BUFSIZE || s == HVS_E_CORRUPT ||
	       s == HVS_E_INVALID);
	hvs_xlat_free(x);
	hvs_source_close(&src);
	return 0;
}
