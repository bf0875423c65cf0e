/* SPDX-License-Identifier: MIT */
/*
 * The image <-> translation glue (include/hvs/vp.h, src/xlat/image_xlat.c)
 * on a raw image holding hand-made x64 4-level page tables: registers
 * supplied with hvs_image_set_reg(), the per-VP engine cache invalidated
 * by register and mode changes, forced paging modes, missing registers,
 * reads across pages, traces and the map walker.  Entries follow Intel
 * SDM Vol.3 4.5 (P bit 0, R/W bit 1, address bits 51:12).
 */
#include "test.h"

static uint8_t mem[0x6000];

static void put64(uint8_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * GPA 0x1000 PML4: [0] -> PDPT 0x2000 (P|RW)
 * GPA 0x2000 PDPT: [0] -> PD 0x3000
 * GPA 0x3000 PD:   [0] -> PT 0x4000
 * GPA 0x4000 PT:   [5] -> page 0x0000, [6] -> page 0x1000 (VA 0x5000, 0x6000)
 * GPA 0x5000: data bytes i & 0xff; page 0 bytes 0xA0 + (i & 0xf).
 */
static void fill(void)
{
	size_t i;
	memset(mem, 0, sizeof mem);
	for (i = 0; i < 0x1000; i++)
		mem[i] = (uint8_t)(0xA0 + (i & 0xf));
	put64(mem + 0x1000, 0x2003);
	put64(mem + 0x2000, 0x3003);
	put64(mem + 0x3000, 0x4003);
	put64(mem + 0x4000 + 5 * 8, 0x0003);
	put64(mem + 0x4000 + 6 * 8, 0x1003);
}

static hvs_status open_raw(hvs_image **img, hvs_source *src)
{
	hvs_image_opts o;
	memset(&o, 0, sizeof o);
	o.format = HVS_FORMAT_RAW;
	fill();
	if (hvs_source_from_memory(src, mem, sizeof mem) != HVS_OK)
		return HVS_E_INVALID;
	return hvs_image_open_source(img, src, &o);
}

static hvs_status set(hvs_image *img, hvs_reg r, uint64_t v)
{
	hvs_regval rv = { v, 0 };
	return hvs_image_set_reg(img, 0, HVS_VTL_ACTIVE, r, &rv);
}

static void test_vp__translate_and_invalidate(void)
{
	hvs_image *img;
	hvs_source src;
	uint64_t gpa, ps, unm;
	hvs_paging_mode m;
	const hvs_xlat_fault *f;

	CHECK_OK(open_raw(&img, &src));
	CHECK_OK(hvs_image_add_vps(img, 1, HVS_ARCH_X64));
	/* No registers yet: the glue names the first one missing. */
	CHECK_STATUS(hvs_vp_translate(img, 0, 0x5000, &gpa, NULL, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "cr3") != NULL);
	CHECK_OK(set(img, HVS_REG_X64_CR3, 0x1000));
	CHECK_STATUS(hvs_vp_translate(img, 0, 0x5000, &gpa, NULL, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "cr0") != NULL);
	/* CR0.PG|PE, CR4.PAE, EFER.LME|LMA: 4-level paging (SDM Vol.3 4.1.1). */
	CHECK_OK(set(img, HVS_REG_X64_CR0, 0x80000001));
	CHECK_OK(set(img, HVS_REG_X64_CR4, 0x20));
	CHECK_OK(set(img, HVS_REG_X64_EFER, 0x500));
	CHECK_OK(hvs_image_get_paging_mode(img, 0, &m));
	CHECK_EQ(m, HVS_PAGING_X64_4LEVEL);
	CHECK_OK(hvs_vp_translate(img, 0, 0x5123, &gpa, &ps, &unm));
	CHECK_EQ(gpa, 0x123);
	CHECK_EQ(ps, 0x1000);
	CHECK_EQ(unm, 0);
	CHECK_OK(hvs_vp_translate(img, 0, 0x6fff, &gpa, &ps, NULL));
	CHECK_EQ(gpa, 0x1fff);
	/* PT[7] is empty: not present at level 1, the rest of the 4 KiB page. */
	CHECK_STATUS(hvs_vp_translate(img, 0, 0x7010, &gpa, &ps, &unm), HVS_E_NOTPRESENT);
	CHECK_EQ(unm, 0xff0);
	f = hvs_vp_last_fault(img, 0);
	CHECK(f != NULL);
	CHECK_EQ(f->kind, HVS_XLAT_FAULT_NOT_PRESENT);
	CHECK_EQ(f->level, 1);
	CHECK_EQ(f->entry_gpa, 0x4000 + 7 * 8);

	/* A new CR3 must not be answered from the old context's cache:
	 * with PML4 = 0x2000 the walk reaches PT "0x4000" as a PD whose
	 * entry 0 is empty. */
	CHECK_OK(set(img, HVS_REG_X64_CR3, 0x2000));
	CHECK_STATUS(hvs_vp_translate(img, 0, 0x5123, &gpa, NULL, NULL), HVS_E_NOTPRESENT);
	CHECK_OK(set(img, HVS_REG_X64_CR3, 0x1000));
	CHECK_OK(hvs_vp_translate(img, 0, 0x5123, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0x123);

	/* Forced modes: NONE is the identity; AUTO restores detection. */
	CHECK_OK(hvs_image_set_paging_mode(img, 0, HVS_PAGING_NONE));
	CHECK_OK(hvs_image_get_paging_mode(img, 0, &m));
	CHECK_EQ(m, HVS_PAGING_NONE);
	CHECK_OK(hvs_vp_translate(img, 0, 0x5123, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0x5123);
	CHECK_OK(hvs_image_set_paging_mode(img, 0, HVS_PAGING_AUTO));
	CHECK_OK(hvs_vp_translate(img, 0, 0x5123, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0x123);
	CHECK_STATUS(hvs_image_set_paging_mode(img, 1, HVS_PAGING_NONE), HVS_E_INVALID);
	CHECK_STATUS(hvs_image_set_paging_mode(img, 0, (hvs_paging_mode)99), HVS_E_INVALID);
	CHECK_STATUS(hvs_vp_translate(img, 1, 0, NULL, NULL, NULL), HVS_E_INVALID);
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_vp__read_trace_maps(void)
{
	hvs_image *img;
	hvs_source src;
	uint8_t buf[32];
	size_t done, i;
	hvs_xlat_walk w;
	hvs_xlat *x;

	CHECK_OK(open_raw(&img, &src));
	CHECK_OK(hvs_image_add_vps(img, 1, HVS_ARCH_X64));
	CHECK_OK(set(img, HVS_REG_X64_CR3, 0x1000));
	CHECK_OK(set(img, HVS_REG_X64_CR0, 0x80000001));
	CHECK_OK(set(img, HVS_REG_X64_CR4, 0x20));
	/* No EFER on an x64 VP: long mode is assumed (vp.h). */
	CHECK_OK(hvs_vp_xlat(img, 0, &x));
	CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_X64_4LEVEL);

	/* Across the page boundary: VA 0x5ff8 -> GPA 0xff8, VA 0x6000 -> 0x1000. */
	CHECK_OK(hvs_vp_read(img, 0, 0x5ff8, buf, 16, &done));
	CHECK_EQ(done, 16);
	for (i = 0; i < 8; i++)
		CHECK_EQ(buf[i], 0xA0 + ((0xff8 + i) & 0xf));
	CHECK_EQ(buf[8], 0x03); /* GPA 0x1000: the PML4 entry's low byte */
	CHECK_EQ(buf[9], 0x20);
	/* Into the unmapped page: partial progress. */
	CHECK_STATUS(hvs_vp_read(img, 0, 0x6ff0, buf, 32, &done), HVS_E_NOTPRESENT);
	CHECK_EQ(done, 16);

	CHECK_OK(hvs_vp_trace(img, 0, 0x6010, &w));
	CHECK_EQ(w.done, 1);
	CHECK_EQ(w.gpa, 0x1010);
	CHECK_EQ(w.nsteps, 4);
	CHECK_STR(w.steps[0].name, "PML4E");
	CHECK_EQ(w.steps[0].entry_gpa, 0x1000);
	CHECK_EQ(w.steps[0].entry, 0x2003);
	CHECK_STR(w.steps[3].name, "PTE");
	CHECK_EQ(w.steps[3].entry_gpa, 0x4030);
	CHECK_EQ(w.steps[3].entry, 0x1003);
	CHECK_STATUS(hvs_vp_trace(img, 0, 0x8000000000ull, &w), HVS_E_NOTPRESENT);
	CHECK_EQ(w.nsteps, 1);
	CHECK_EQ(w.fault.level, 4);
	hvs_image_close(img);
	hvs_source_close(&src);
}

typedef struct regions {
	hvs_xlat_region r[8];
	int n;
} regions;

static hvs_status collect(void *ud, const hvs_xlat_region *r)
{
	regions *c = ud;
	if (c->n < 8)
		c->r[c->n] = *r;
	c->n++;
	return HVS_OK;
}

static void test_vp__map_walk(void)
{
	hvs_image *img;
	hvs_source src;
	regions c;

	CHECK_OK(open_raw(&img, &src));
	CHECK_OK(hvs_image_add_vps(img, 1, HVS_ARCH_X64));
	CHECK_OK(set(img, HVS_REG_X64_CR3, 0x1000));
	CHECK_OK(set(img, HVS_REG_X64_CR0, 0x80000001));
	CHECK_OK(set(img, HVS_REG_X64_CR4, 0x20));
	CHECK_OK(set(img, HVS_REG_X64_EFER, 0x500));
	memset(&c, 0, sizeof c);
	CHECK_OK(hvs_vp_map_walk(img, 0, 0, UINT64_MAX, 0, collect, &c));
	CHECK_EQ(c.n, 2);
	CHECK_EQ(c.r[0].gva, 0x5000);
	CHECK_EQ(c.r[0].gpa, 0x0);
	CHECK_EQ(c.r[0].size, 0x1000);
	CHECK_EQ(c.r[1].gva, 0x6000);
	CHECK_EQ(c.r[1].gpa, 0x1000);
	/* Contiguous in VA and PA with equal flags: one merged region. */
	memset(&c, 0, sizeof c);
	CHECK_OK(hvs_vp_map_walk(img, 0, 0, UINT64_MAX, HVS_XLAT_MAP_MERGE, collect, &c));
	CHECK_EQ(c.n, 1);
	CHECK_EQ(c.r[0].size, 0x2000);
	hvs_image_close(img);
	hvs_source_close(&src);
}

/* An ARM64 VP needs TTBR0/TTBR1/TCR/SCTLR; each missing one is named. */
static void test_vp__arm64_missing(void)
{
	hvs_image *img;
	hvs_source src;
	hvs_paging_regs pr;
	hvs_regval v = { 0, 0 };

	CHECK_OK(open_raw(&img, &src));
	CHECK_OK(hvs_image_add_vps(img, 1, HVS_ARCH_ARM64));
	CHECK_STATUS(hvs_vp_paging_regs(img, 0, &pr, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "ttbr0_el1") != NULL);
	CHECK_OK(hvs_image_set_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_TTBR0_EL1, &v));
	CHECK_OK(hvs_image_set_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_TTBR1_EL1, &v));
	CHECK_STATUS(hvs_vp_paging_regs(img, 0, &pr, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "tcr_el1") != NULL);
	CHECK_OK(hvs_image_set_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_TCR_EL1, &v));
	CHECK_STATUS(hvs_vp_paging_regs(img, 0, &pr, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "sctlr_el1") != NULL);
	/* A forced mode needs no SCTLR. */
	CHECK_OK(hvs_image_set_paging_mode(img, 0, HVS_PAGING_ARM64));
	CHECK_OK(hvs_vp_paging_regs(img, 0, &pr, NULL));
	CHECK_EQ(pr.arch, HVS_XLAT_ARCH_ARM64);
	CHECK_EQ(pr.mode, HVS_PAGING_ARM64);
	hvs_image_close(img);
	hvs_source_close(&src);
}

/* Allocation failures anywhere (open, VPs, registers, the engine context)
 * give HVS_E_NOMEM and leak nothing. */
static void test_vp__oom(void)
{
	long i;
	int reached = 0;
	for (i = 1; i < 100 && !reached; i++) {
		test_failalloc fa;
		hvs_image *img = NULL;
		hvs_source src;
		hvs_image_opts o;
		hvs_status s;
		uint64_t gpa = 0;
		test_failalloc_init(&fa, i);
		memset(&o, 0, sizeof o);
		o.format = HVS_FORMAT_RAW;
		o.base.alloc = &fa.a;
		fill();
		CHECK_OK(hvs_source_from_memory(&src, mem, sizeof mem));
		s = hvs_image_open_source(&img, &src, &o);
		if (s == HVS_OK)
			s = hvs_image_add_vps(img, 1, HVS_ARCH_X64);
		if (s == HVS_OK)
			s = set(img, HVS_REG_X64_CR3, 0x1000);
		if (s == HVS_OK)
			s = set(img, HVS_REG_X64_CR0, 0x80000001);
		if (s == HVS_OK)
			s = set(img, HVS_REG_X64_CR4, 0x20);
		if (s == HVS_OK)
			s = hvs_vp_translate(img, 0, 0x5123, &gpa, NULL, NULL);
		if (s == HVS_OK) {
			CHECK_EQ(gpa, 0x123);
			reached = 1;
		} else {
			CHECK_STATUS(s, HVS_E_NOMEM);
		}
		hvs_image_close(img);
		hvs_source_close(&src);
		CHECK_EQ(fa.live, 0);
	}
	CHECK(reached);
	CHECK(i > 4);
}

TEST_MAIN(TEST(test_vp__translate_and_invalidate), TEST(test_vp__read_trace_maps),
	  TEST(test_vp__map_walk), TEST(test_vp__arm64_missing), TEST(test_vp__oom))
