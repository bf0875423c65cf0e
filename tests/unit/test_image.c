/* SPDX-License-Identifier: MIT */
/*
 * Image core: the raw backend, the range map, reads across ranges and gaps
 * with partial progress, raw-offset reads, the register store, VTL and
 * architecture overrides, and the privilege-level rules.
 */
#include "test.h"
#include "mem/image_int.h"

/* 64 KiB "file": byte i = (i * 7 + i / 256) & 0xFF. */
static uint8_t file[0x10000];

static void fill_file(void)
{
	size_t i;
	for (i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(i * 7 + i / 256);
}

/* Layout: GPA 0x1000..0x3000 <- file 0x8000; GPA 0x10000..0x14000 <- file 0x0. */
static const hvs_raw_extent layout[] = {
	{ 0x10000, 0x4000, 0x0000 },
	{ 0x1000, 0x2000, 0x8000 },
};

static hvs_status open_raw(hvs_image **img, hvs_source *src, char *err, size_t errn)
{
	hvs_image_opts o;
	memset(&o, 0, sizeof o);
	o.format = HVS_FORMAT_RAW;
	o.raw_layout = layout;
	o.raw_layout_count = 2;
	o.base.errbuf = err;
	o.base.errbuf_size = errn;
	if (hvs_source_from_memory(src, file, sizeof file) != HVS_OK)
		return HVS_E_NOMEM;
	return hvs_image_open_source(img, src, &o);
}

static void test_image__raw_ranges(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	const hvs_mem_range *r;
	uint64_t raw;

	fill_file();
	CHECK_OK(open_raw(&img, &src, err, sizeof err));
	CHECK_EQ(hvs_image_get_format(img), HVS_FORMAT_RAW);
	CHECK_STR(hvs_image_format_name(HVS_FORMAT_RAW), "raw");
	CHECK_EQ(hvs_image_range_count(img), 2);
	r = hvs_image_ranges(img);
	/* Sorted by GPA; raw offsets assigned in GPA order. */
	CHECK_EQ(r[0].gpa, 0x1000);
	CHECK_EQ(r[0].size, 0x2000);
	CHECK_EQ(r[0].raw_offset, 0);
	CHECK_EQ(r[1].gpa, 0x10000);
	CHECK_EQ(r[1].raw_offset, 0x2000);
	CHECK_EQ(hvs_image_raw_size(img), 0x6000);
	CHECK_OK(hvs_image_gpa_to_raw(img, 0x10010, &raw));
	CHECK_EQ(raw, 0x2010);
	CHECK_STATUS(hvs_image_gpa_to_raw(img, 0x3000, &raw), HVS_E_NODATA);
	CHECK_EQ(hvs_image_vp_count(img), 0);
	CHECK(hvs_image_store(img) == NULL);
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_image__reads(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	uint8_t buf[0x3000];
	size_t done;

	fill_file();
	CHECK_OK(open_raw(&img, &src, err, sizeof err));
	/* Inside one range. */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x1ff8, buf, 16, &done));
	CHECK_EQ(done, 16);
	CHECK_MEM(buf, file + 0x8ff8, 16);
	/* Up to the end of a range and into the gap: partial progress. */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0x2ff0, buf, 0x20, &done),
		     HVS_E_NODATA);
	CHECK_EQ(done, 0x10);
	CHECK_MEM(buf, file + 0x9ff0, 0x10);
	CHECK(strstr(hvs_image_errmsg(img), "0x3000") != NULL);
	/* Starting in the gap: nothing read. */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0x5000, buf, 1, &done), HVS_E_NODATA);
	CHECK_EQ(done, 0);
	/* Raw space is contiguous across the GPA gap. */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_RAW, 0x1ff0, buf, 0x20, &done));
	CHECK_EQ(done, 0x20);
	CHECK_MEM(buf, file + 0x9ff0, 0x10);
	CHECK_MEM(buf + 0x10, file + 0x0, 0x10);
	/* Raw read past the end: short. */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_RAW, 0x5ff0, buf, 0x20, &done), HVS_E_NODATA);
	CHECK_EQ(done, 0x10);
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_RAW, 0x6000, buf, 1, &done), HVS_E_NODATA);
	CHECK_EQ(done, 0);
	/* Other spaces are not memory of the image. */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GVA, 0, buf, 1, &done), HVS_E_INVALID);
	/* Zero-length reads succeed. */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x1000, buf, 0, &done));
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_image__bad_layout(void)
{
	static const hvs_raw_extent overlap[] = { { 0x0, 0x2000, 0 }, { 0x1000, 0x1000, 0 } };
	static const hvs_raw_extent past[] = { { 0x0, 0x20000, 0 } };
	static const hvs_raw_extent wrap[] = { { UINT64_MAX - 0xfff, 0x2000, 0 } };
	const hvs_raw_extent *cases[] = { overlap, past, wrap };
	const size_t counts[] = { 2, 1, 1 };
	const hvs_status want[] = { HVS_E_CORRUPT, HVS_E_INVALID, HVS_E_INVALID };
	size_t i;
	fill_file();
	for (i = 0; i < 3; i++) {
		hvs_image *img = NULL;
		hvs_source src;
		hvs_image_opts o;
		char err[256] = "";
		memset(&o, 0, sizeof o);
		o.format = HVS_FORMAT_RAW;
		o.raw_layout = cases[i];
		o.raw_layout_count = counts[i];
		o.base.errbuf = err;
		o.base.errbuf_size = sizeof err;
		CHECK_OK(hvs_source_from_memory(&src, file, sizeof file));
		CHECK_STATUS(hvs_image_open_source(&img, &src, &o), want[i]);
		CHECK(img == NULL);
		CHECK(err[0] != '\0');
		hvs_source_close(&src);
	}
}

static void test_image__unknown_format(void)
{
	hvs_image *img = NULL;
	hvs_source src;
	hvs_image_opts o;
	char err[256] = "";
	static const uint8_t junk[8] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	hvs_open_reason why = HVS_REASON_NONE;
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	o.base.reason = &why;
	CHECK_OK(hvs_source_from_memory(&src, junk, sizeof junk));
	CHECK_STATUS(hvs_image_open_source(&img, &src, &o), HVS_E_UNSUPPORTED);
	CHECK_EQ(why, HVS_REASON_NOT_RECOGNISED);
	CHECK(strstr(err, "de ad be ef") != NULL);
	hvs_source_close(&src);
	CHECK_STATUS(hvs_image_open(&img, test_tmp_path("no-such-image"), &o), HVS_E_IO);
	CHECK(strstr(err, "no-such-image") != NULL);
}

static void test_image__registers(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	hvs_regval v = { 0, 0 }, got;
	hvs_vp_info vi;
	int k;

	fill_file();
	CHECK_OK(open_raw(&img, &src, err, sizeof err));
	CHECK_STATUS(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &got),
		     HVS_E_INVALID);
	CHECK_OK(hvs_image_add_vps(img, 2, HVS_ARCH_X64));
	CHECK_STATUS(hvs_image_add_vps(img, 1, HVS_ARCH_X64), HVS_E_INVALID);
	CHECK_EQ(hvs_image_vp_count(img), 2);
	/* Nothing saved yet. */
	CHECK_STATUS(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &got),
		     HVS_E_NOTFOUND);
	v.lo = 0x1aa000;
	CHECK_OK(hvs_image_set_reg(img, 1, 0, HVS_REG_X64_CR3, &v));
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &got));
	CHECK_EQ(got.lo, 0x1aa000);
	CHECK_STATUS(hvs_image_get_reg(img, 1, 0, HVS_REG_X64_CR4, &got), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "cr4") != NULL);
	/* Sentinel ids are not registers. */
	CHECK_STATUS(hvs_image_get_reg(img, 1, 0, (hvs_reg)66, &got), HVS_E_INVALID);
	CHECK_STATUS(hvs_image_get_reg(img, 5, 0, HVS_REG_X64_CR3, &got), HVS_E_INVALID);
	CHECK_STATUS(hvs_image_get_reg(img, 1, 16, HVS_REG_X64_CR3, &got), HVS_E_INVALID);
	/* VTL 1 state and forcing it active. */
	CHECK_STATUS(hvs_image_set_active_vtl(img, 1, 1), HVS_E_NOTFOUND);
	v.lo = 0x2bb000;
	CHECK_OK(hvs_image_set_reg(img, 1, 1, HVS_REG_X64_CR3, &v));
	CHECK_OK(hvs_image_vp_info(img, 1, &vi));
	CHECK_EQ(vi.vtl_mask, 3);
	CHECK_OK(hvs_image_set_active_vtl(img, 1, 1));
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &got));
	CHECK_EQ(got.lo, 0x2bb000);
	CHECK_OK(hvs_image_get_reg(img, 1, 0, HVS_REG_X64_CR3, &got));
	CHECK_EQ(got.lo, 0x1aa000);
	/* Privilege level: CPL pseudo-register first, then SS.DPL, then CS.RPL. */
	CHECK_STATUS(hvs_image_in_kernel(img, 0, &k), HVS_E_NOTFOUND);
	v.lo = 0;
	v.hi = 0x10ull << 32 | (uint64_t)0xA09B << 48; /* CS 0x10, DPL 0 */
	CHECK_OK(hvs_image_set_reg(img, 0, 0, HVS_REG_X64_CS, &v));
	CHECK_OK(hvs_image_in_kernel(img, 0, &k));
	CHECK_EQ(k, 1);
	v.hi = 0x2bull << 32 | (uint64_t)0xC0F3 << 48; /* SS 0x2b, DPL 3 */
	CHECK_OK(hvs_image_set_reg(img, 0, 0, HVS_REG_X64_SS, &v));
	CHECK_OK(hvs_image_in_kernel(img, 0, &k));
	CHECK_EQ(k, 0);
	v.lo = 0;
	v.hi = 0;
	CHECK_OK(hvs_image_set_reg(img, 0, 0, HVS_REG_X64_CPL, &v));
	CHECK_OK(hvs_image_in_kernel(img, 0, &k));
	CHECK_EQ(k, 1);
	/* Architecture: EFER.LMA clear makes an x86 VP unless forced. */
	CHECK_OK(hvs_image_set_arch(img, 0, HVS_ARCH_UNKNOWN));
	v.lo = 0x500; /* LME | LMA */
	CHECK_OK(hvs_image_set_reg(img, 0, 0, HVS_REG_X64_EFER, &v));
	CHECK_OK(hvs_image_vp_info(img, 0, &vi));
	CHECK_EQ(vi.arch, HVS_ARCH_X64);
	v.lo = 0x100; /* LME only: not yet in long mode */
	CHECK_OK(hvs_image_set_reg(img, 0, 0, HVS_REG_X64_EFER, &v));
	CHECK_OK(hvs_image_vp_info(img, 0, &vi));
	CHECK_EQ(vi.arch, HVS_ARCH_X86);
	CHECK_OK(hvs_image_set_arch(img, 0, HVS_ARCH_X64));
	CHECK_OK(hvs_image_vp_info(img, 0, &vi));
	CHECK_EQ(vi.arch, HVS_ARCH_X64);
	/* An ARM64 register on an x64 VP. */
	CHECK_STATUS(hvs_image_get_reg(img, 0, 0, HVS_REG_ARM64_PC, &got), HVS_E_INVALID);
	/* Nested host mode needs saved host state. */
	CHECK_STATUS(hvs_image_set_nested_host_mode(img, 0, 1, NULL), HVS_E_NOTFOUND);
	CHECK_EQ(hvs_image_chunk_count(img), 0);
	CHECK(hvs_image_chunk(img, 0) == NULL);
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_image__reg_names(void)
{
	hvs_reg r;
	CHECK_STR(hvs_reg_name(HVS_REG_X64_RAX), "rax");
	CHECK_EQ(HVS_REG_X64_CR3, 46);      /* SDK REGISTER_ID X64_RegisterCr3 */
	CHECK_EQ(HVS_REG_X64_GDTR, 65);
	CHECK_EQ(HVS_REG_ARM64_X0, 67);
	CHECK_EQ(HVS_REG_ARM64_PC, 98);
	CHECK_EQ(HVS_REG_ARM64_CPSR, 101);
	CHECK_EQ(HVS_REG_ARM64_TTBR1_EL1, 142);
	CHECK_EQ(HVS_REG_ARM64_CNTV_CTL_EL0, 157);
	CHECK(hvs_reg_name((hvs_reg)66) == NULL);
	CHECK(hvs_reg_name((hvs_reg)158) == NULL);
	CHECK(hvs_reg_name(HVS_REG_COUNT) == NULL);
	CHECK_EQ(hvs_reg_kind(HVS_REG_X64_CS), HVS_REGKIND_SEGMENT);
	CHECK_EQ(hvs_reg_kind(HVS_REG_X64_IDTR), HVS_REGKIND_TABLE);
	CHECK_EQ(hvs_reg_kind(HVS_REG_X64_XMM15), HVS_REGKIND_U128);
	CHECK_EQ(hvs_reg_kind(HVS_REG_ARM64_Q31), HVS_REGKIND_U128);
	CHECK_EQ(hvs_reg_kind((hvs_reg)66), HVS_REGKIND_NONE);
	CHECK_EQ(hvs_reg_arch(HVS_REG_ARM64_ELR_EL2), HVS_ARCH_ARM64);
	CHECK_EQ(hvs_reg_arch(HVS_REG_X64_XCR0), HVS_ARCH_X64);
	CHECK_OK(hvs_reg_lookup("CR3", &r));
	CHECK_EQ(r, HVS_REG_X64_CR3);
	CHECK_OK(hvs_reg_lookup("eip", &r));
	CHECK_EQ(r, HVS_REG_X64_RIP);
	CHECK_OK(hvs_reg_lookup("ttbr1_el1", &r));
	CHECK_EQ(r, HVS_REG_ARM64_TTBR1_EL1);
	CHECK_STATUS(hvs_reg_lookup("cr9", &r), HVS_E_NOTFOUND);
	CHECK_STR(hvs_arch_name(HVS_ARCH_ARM64), "arm64");
}

static void test_image__oom(void)
{
	long n;
	fill_file();
	for (n = 1; n < 200; n++) {
		test_failalloc fa;
		hvs_image *img = NULL;
		hvs_source src;
		hvs_image_opts o;
		hvs_status s;
		test_failalloc_init(&fa, n);
		memset(&o, 0, sizeof o);
		o.base.alloc = &fa.a;
		o.format = HVS_FORMAT_RAW;
		o.raw_layout = layout;
		o.raw_layout_count = 2;
		CHECK_OK(hvs_source_from_memory(&src, file, sizeof file));
		s = hvs_image_open_source(&img, &src, &o);
		if (s == HVS_OK) {
			s = hvs_image_add_vps(img, 3, HVS_ARCH_X64);
			if (s == HVS_OK) {
				hvs_regval v = { 1, 0 };
				s = hvs_image_set_reg(img, 2, 1, HVS_REG_X64_RAX, &v);
			}
		}
		CHECK(s == HVS_OK || s == HVS_E_NOMEM);
		hvs_image_close(img);
		hvs_source_close(&src);
		CHECK_EQ(fa.live, 0);
		if (s == HVS_OK)
			break;
	}
	CHECK(n < 200);
}

TEST_MAIN(TEST(test_image__raw_ranges), TEST(test_image__reads),
	  TEST(test_image__bad_layout), TEST(test_image__unknown_format),
	  TEST(test_image__registers), TEST(test_image__reg_names), TEST(test_image__oom))
