/* SPDX-License-Identifier: MIT */
/*
 * Random but valid page tables for the translation tests and benchmark
 * (test_xlat_kdump.c, bench/bench_xlat.c).  Header-only, test code.
 *
 * xg_build() fills a memory buffer with a random tree of tables for one
 * paging mode, records every leaf (VA, size), and describes the tree in
 * the form libaddrxlat's ADDRXLAT_PGT method wants (pte format, field
 * sizes), so both engines can walk the same bytes.  Entries are valid
 * for both engines: no reserved bits, leaves only at levels both allow,
 * random attribute and ignored bits elsewhere.  A few table pointers
 * point outside the buffer on purpose (both engines must say "no data").
 */
#ifndef HVS_TEST_XLAT_GEN_H
#define HVS_TEST_XLAT_GEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/xlat.h"

/* Test-side identifiers of the generated layouts. */
enum {
	XG_X86_32, XG_PAE, XG_X64_4, XG_X64_5,
	XG_ARM_4K48, XG_ARM_4K39, XG_ARM_16K47, XG_ARM_64K42,
	XG_COUNT
};

static const char *const xg_names[XG_COUNT] = {
	"x86-32", "pae", "x64-4level", "x64-5level",
	"arm64-4k-48", "arm64-4k-39", "arm64-16k-47", "arm64-64k-42"
};

typedef struct xg_level {
	unsigned bits;   /* index bits */
	unsigned shift;  /* VA shift of the index */
	int leaf_ok;     /* may hold a (large) leaf */
} xg_level;

typedef struct xg_leaf {
	uint64_t va, size;
} xg_leaf;

typedef struct xg {
	uint8_t *mem;
	size_t mem_size;
	size_t brk;            /* next free byte (bump allocator) */
	uint64_t rng;
	int layout;
	int arm;
	unsigned esize;        /* entry bytes */
	unsigned nlevels;
	xg_level lv[6];
	unsigned vbits;        /* VA bits translated */
	unsigned budget;       /* tables still allowed */
	hvs_paging_regs regs;
	uint64_t root;
	/* libaddrxlat paging form: fieldsz[0] = page shift, then lowest
	 * level first */
	unsigned short fieldsz[8];
	unsigned nfields;
	xg_leaf *leaves;
	size_t nleaves, cap;
} xg;

static inline uint64_t xg_rand(xg *g)
{
	/* xorshift64* (Vigna) */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * UINT64_C(2685821657736338717);
}

static inline void xg_put(xg *g, uint64_t gpa, uint64_t v)
{
	unsigned i;
	for (i = 0; i < g->esize; i++)
		g->mem[gpa + i] = (uint8_t)(v >> (8 * i));
}

/* Allocate @bytes aligned to @align; 0 when the buffer is full. */
static inline uint64_t xg_alloc(xg *g, size_t bytes, size_t align)
{
	size_t at = (g->brk + align - 1) & ~(align - 1);
	if (at + bytes > g->mem_size)
		return 0;
	g->brk = at + bytes;
	return at;
}

static inline void xg_add_leaf(xg *g, uint64_t va, uint64_t size)
{
	if (g->nleaves == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		xg_leaf *n = realloc(g->leaves, cap * sizeof *n);
		if (!n)
			return;
		g->leaves = n;
		g->cap = cap;
	}
	g->leaves[g->nleaves].va = va;
	g->leaves[g->nleaves].size = size;
	g->nleaves++;
}

/* A random page frame for a leaf of @size bytes, below 2^@pabits. */
static inline uint64_t xg_frame(xg *g, uint64_t size, unsigned pabits)
{
	uint64_t pa = xg_rand(g) & ((UINT64_C(1) << pabits) - 1);
	return pa & ~(size - 1);
}

/* Encode a non-present entry: random bits with bit 0 clear. */
static inline uint64_t xg_absent(xg *g)
{
	uint64_t v = (xg_rand(g) & 3) == 0 ? 0 : xg_rand(g) & ~UINT64_C(1);
	if (g->esize == 4)
		v &= 0xFFFFFFFEu;
	return v;
}

/* x86 attribute bits that neither engine interprets as address or PS. */
static inline uint64_t xg_x86_attrs(xg *g, int leaf_last)
{
	uint64_t a = xg_rand(g) & 0xE7Eu; /* RW US PWT PCD A D, 9-11 */
	if (leaf_last)
		a |= xg_rand(g) & 0x180u; /* PAT, G in PTEs */
	if (g->esize == 8 && g->layout != XG_PAE)
		a |= xg_rand(g) & UINT64_C(0x07F0000000000000); /* 58:52 ignored */
	if (g->esize == 8)
		a |= xg_rand(g) & (UINT64_C(1) << 63); /* XD (EFER.NXE=1) */
	return a;
}

static inline uint64_t xg_arm_attrs(xg *g, int table)
{
	if (table)
		return xg_rand(g) & UINT64_C(0xF800000000000000); /* 63:59 */
	/* lower attributes 11:2, upper 54:52 and software 58:55 */
	return (xg_rand(g) & 0xFFCu) | (xg_rand(g) & UINT64_C(0x07F0000000000000));
}

/* Fill the table at @table for level @l covering VA @base. */
static inline void xg_fill(xg *g, uint64_t table, unsigned l, uint64_t base)
{
	const xg_level *lv = &g->lv[l];
	uint64_t n = UINT64_C(1) << lv->bits, i;
	uint64_t span = UINT64_C(1) << lv->shift;
	int last = l + 1 == g->nlevels;
	/* Fewer present entries near the top keep the tree bounded. */
	unsigned pct = l == 0 ? 30 : 55;

	for (i = 0; i < n; i++) {
		uint64_t va = base + i * span, e;
		unsigned r = (unsigned)(xg_rand(g) % 100);
		if (r >= pct) {
			xg_put(g, table + i * g->esize, xg_absent(g));
			continue;
		}
		if (!last && g->budget &&
		    (!lv->leaf_ok || (xg_rand(g) % 100) < 60)) {
			/* a next-level table */
			const xg_level *nl = &g->lv[l + 1];
			size_t bytes = ((size_t)1 << nl->bits) * g->esize;
			uint64_t t;
			if (xg_rand(g) % 100 == 0) {
				/* dangling: outside the buffer */
				t = (g->mem_size + (xg_rand(g) & 0xFFFFF000u)) &
				    ~(uint64_t)(bytes < 4096 ? 4095 : bytes - 1);
				if (g->esize == 4)
					t &= 0xFFFFF000u;
				if (!t)
					t = 0xFFFFF000u;
			} else {
				t = xg_alloc(g, bytes, bytes < 4096 ? 4096 : bytes);
				if (!t) {
					xg_put(g, table + i * g->esize, xg_absent(g));
					continue;
				}
				g->budget--;
				xg_fill(g, t, l + 1, va);
			}
			if (g->arm)
				e = t | 3 | xg_arm_attrs(g, 1);
			else if (g->layout == XG_PAE && l == 0)
				e = t | 1 | (xg_rand(g) & 0xE18u); /* PWT PCD 9-11 */
			else
				e = t | 1 | (xg_x86_attrs(g, 0) & ~UINT64_C(0x180));
			xg_put(g, table + i * g->esize, e);
			continue;
		}
		if (!last && !lv->leaf_ok) {
			xg_put(g, table + i * g->esize, xg_absent(g));
			continue;
		}
		/* a leaf */
		if (g->arm) {
			uint64_t oa = xg_frame(g, span, 48);
			e = oa | (last ? 3 : 1) | xg_arm_attrs(g, 0);
		} else if (g->layout == XG_X86_32) {
			if (last) {
				e = xg_frame(g, span, 32) | 1 | xg_x86_attrs(g, 1);
			} else {
				/* 4 MiB page: PA 31:22 plus PSE-36 bits 20:13 */
				e = (xg_rand(g) & 0xFFC00000u) |
				    (xg_rand(g) & 0x1FE000u) | 0x81 |
				    (xg_x86_attrs(g, 0) & 0x17Eu);
			}
		} else {
			unsigned pab = 52;
			e = xg_frame(g, span, pab) | 1 | xg_x86_attrs(g, last);
			if (!last)
				e = (e & ~UINT64_C(0x1000)) | 0x80; /* PS; bit 12 (PAT) off */
		}
		if (g->esize == 4)
			e &= 0xFFFFFFFFu;
		xg_put(g, table + i * g->esize, e);
		xg_add_leaf(g, va, span);
	}
}

/*
 * Build a random tree for @layout into @mem (zeroed here).  @tables caps
 * the number of tables.  Returns 0 when @mem is too small.
 */
static inline int xg_build(xg *g, int layout, uint8_t *mem, size_t mem_size,
		    unsigned tables, uint64_t seed)
{
	static const struct {
		int arm;
		unsigned esize, nlevels, vbits;
		xg_level lv[6];
	} L[XG_COUNT] = {
		{ 0, 4, 2, 32, { { 10, 22, 1 }, { 10, 12, 1 } } },
		{ 0, 8, 3, 32, { { 2, 30, 0 }, { 9, 21, 1 }, { 9, 12, 1 } } },
		{ 0, 8, 4, 48, { { 9, 39, 0 }, { 9, 30, 1 }, { 9, 21, 1 }, { 9, 12, 1 } } },
		{ 0, 8, 5, 57, { { 9, 48, 0 }, { 9, 39, 0 }, { 9, 30, 1 }, { 9, 21, 1 }, { 9, 12, 1 } } },
		{ 1, 8, 4, 48, { { 9, 39, 0 }, { 9, 30, 1 }, { 9, 21, 1 }, { 9, 12, 1 } } },
		{ 1, 8, 3, 39, { { 9, 30, 1 }, { 9, 21, 1 }, { 9, 12, 1 } } },
		{ 1, 8, 3, 47, { { 11, 36, 0 }, { 11, 25, 1 }, { 11, 14, 1 } } },
		{ 1, 8, 2, 42, { { 13, 29, 1 }, { 13, 16, 1 } } },
	};
	unsigned i;
	size_t top_bytes;

	memset(g, 0, sizeof *g);
	memset(mem, 0, mem_size);
	g->mem = mem;
	g->mem_size = mem_size;
	g->rng = seed ? seed : 1;
	g->layout = layout;
	g->arm = L[layout].arm;
	g->esize = L[layout].esize;
	g->nlevels = L[layout].nlevels;
	g->vbits = L[layout].vbits;
	g->budget = tables;
	memcpy(g->lv, L[layout].lv, sizeof g->lv);
	g->brk = 0x1000; /* keep GPA 0 unused */

	/* libaddrxlat field sizes: page shift, then lowest level first */
	g->nfields = g->nlevels + 1;
	g->fieldsz[0] = (unsigned short)g->lv[g->nlevels - 1].shift;
	for (i = 0; i < g->nlevels; i++)
		g->fieldsz[i + 1] = (unsigned short)g->lv[g->nlevels - 1 - i].bits;

	top_bytes = ((size_t)1 << g->lv[0].bits) * g->esize;
	if (layout == XG_PAE) {
		/* the PDPT is 32-byte aligned anywhere in a page */
		g->root = xg_alloc(g, 4096, 4096);
		if (!g->root)
			return 0;
		g->root += (xg_rand(g) % 128) * 32;
	} else {
		g->root = xg_alloc(g, top_bytes, top_bytes < 4096 ? 4096 : top_bytes);
		if (!g->root)
			return 0;
	}
	xg_fill(g, g->root, 0, 0);

	memset(&g->regs, 0, sizeof g->regs);
	if (g->arm) {
		/* TCR: T0SZ, TG0 (0=4K, 1=64K, 2=16K), EPD1, IPS=48 bits */
		unsigned g0 = g->lv[g->nlevels - 1].shift;
		uint64_t tg0 = g0 == 12 ? 0 : g0 == 16 ? 1 : 2;
		g->regs.arch = HVS_XLAT_ARCH_ARM64;
		g->regs.sctlr = 1;
		g->regs.tcr = (uint64_t)(64 - g->vbits) | tg0 << 14 |
			      UINT64_C(1) << 23 | UINT64_C(5) << 32;
		g->regs.ttbr0 = g->root | (xg_rand(g) & UINT64_C(0xFFFF000000000000));
	} else {
		g->regs.arch = HVS_XLAT_ARCH_X86;
		g->regs.cr0 = 0x80050033;
		g->regs.cr3 = g->root;
		g->regs.cr4 = layout == XG_X86_32 ? 0x690 : 0x6f0; /* PSE / PAE */
		if (layout == XG_X64_5)
			g->regs.cr4 |= 0x1000; /* LA57 */
		g->regs.efer = layout >= XG_X64_4 ? 0xd01 : 0x800; /* NXE (+LME/LMA) */
	}
	return 1;
}

/* A test address: inside a random leaf (half the time) or anywhere in
 * the translated VA range (sign-extended for IA-32e). */
static inline uint64_t xg_pick(xg *g)
{
	uint64_t va;
	if (g->nleaves && (xg_rand(g) & 1)) {
		const xg_leaf *l = &g->leaves[xg_rand(g) % g->nleaves];
		va = l->va + (xg_rand(g) & (l->size - 1));
	} else {
		va = xg_rand(g) & ((UINT64_C(1) << g->vbits) - 1);
	}
	if (!g->arm && g->vbits > 32 && (va >> (g->vbits - 1)) & 1)
		va |= ~UINT64_C(0) << g->vbits;
	return va;
}

/* Read callback over the buffer (HVS_E_NODATA outside). */
static inline hvs_status xg_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	const xg *g = ud;
	if (gpa >= g->mem_size || len > g->mem_size - gpa)
		return HVS_E_NODATA;
	memcpy(buf, g->mem + gpa, len);
	return HVS_OK;
}

#endif
