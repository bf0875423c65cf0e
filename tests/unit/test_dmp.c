/* SPDX-License-Identifier: MIT */
/*
 * Windows crash dump builders (src/convert/dmp.h): DUMP_HEADER64 field by
 * field for both dump types, the run merging of a full dump, the summary
 * header and bitmap of a bitmap dump, the AMD64 CONTEXT layout, and the
 * KDBG parse, decode and tag scan.
 *
 * Expected offsets are the literal numbers of spec/format.md 9.1-9.4
 * (KDMP's static asserts, volatility3's crash64.json / crash_common.json /
 * kdbg.json); the KDBG decode vectors were computed with volatility3's
 * own rol/bswap_64 (framework/objects/utility.py) applied as its KTIMER
 * DPC decode does (same KdCopyDataBlock-style obfuscation):
 *   e = rol(q ^ never, never & 0xff); e = bswap_64(e ^ addr); e ^ always
 */
#include "test.h"

#include "convert/dmp.h"
#include "util/bytes.h"

static const hvs__alloc A; /* zero: the C library */

/* ------------------------------------------------------------ header -- */

static void fill_info(hvs__dmp_header_info *in, uint32_t type, const hvs__dmp_run *runs,
		      size_t nruns, const uint8_t *ctx)
{
	memset(in, 0, sizeof *in);
	in->dump_type = type;
	in->major_version = 0xF;
	in->minor_version = 19041;
	in->dtb = 0x1aa000;
	in->pfn_db = 0xFFFFF8016AC12345ull;
	in->ps_loaded_module_list = 0xFFFFF8016AC2A000ull;
	in->ps_active_process_head = 0xFFFFF8016AC2B000ull;
	in->machine = 0x8664;
	in->nprocs = 3;
	in->bugcheck_code = 0x161;
	in->bugcheck_param[0] = 0x11;
	in->bugcheck_param[3] = 0x44;
	in->kdbg = 0xFFFFF8016AC0A3B0ull;
	in->runs = runs;
	in->nruns = nruns;
	in->context = ctx;
	in->exception_code = 0x80000003u;
	in->exception_flags = 1;
	in->exception_address = 0xFFFFF8016A801234ull;
	in->required_space = 0x123456000ull;
	in->system_time = 0x01DA0B0C0D0E0F10ull;
	in->system_uptime = 0x55667788ull;
	in->comment = "hvsavedstate test";
	in->product_type = 3;
	in->suite_mask = 0x110;
}

static void test_dmp__header_full(void)
{
	static uint8_t h[HVS__DMP_HEADER_SIZE];
	uint8_t ctx[HVS__DMP_CONTEXT_SIZE];
	hvs__dmp_run runs[2] = { { 0, 0x9f }, { 0x100, 0x7f00 } };
	hvs__dmp_header_info in;
	size_t i;

	for (i = 0; i < sizeof ctx; i++)
		ctx[i] = (uint8_t)(i * 7 + 1);
	fill_info(&in, 1, runs, 2, ctx);
	CHECK_OK(hvs__dmp_build_header(h, &in));
	CHECK_MEM(h, "PAGEDU64", 8);
	CHECK_EQ(hvs__le32(h + 0x000), 0x45474150);
	CHECK_EQ(hvs__le32(h + 0x004), 0x34365544);
	CHECK_EQ(hvs__le32(h + 0x008), 0xF);
	CHECK_EQ(hvs__le32(h + 0x00C), 19041);
	CHECK_EQ(hvs__le64(h + 0x010), 0x1aa000);
	CHECK_EQ(hvs__le64(h + 0x018), 0xFFFFF8016AC12345ull);
	CHECK_EQ(hvs__le64(h + 0x020), 0xFFFFF8016AC2A000ull);
	CHECK_EQ(hvs__le64(h + 0x028), 0xFFFFF8016AC2B000ull);
	CHECK_EQ(hvs__le32(h + 0x030), 0x8664);
	CHECK_EQ(hvs__le32(h + 0x034), 3);
	CHECK_EQ(hvs__le32(h + 0x038), 0x161);
	CHECK_EQ(hvs__le32(h + 0x03C), 0);
	CHECK_EQ(hvs__le64(h + 0x040), 0x11);
	CHECK_EQ(hvs__le64(h + 0x048), 0);
	CHECK_EQ(hvs__le64(h + 0x050), 0);
	CHECK_EQ(hvs__le64(h + 0x058), 0x44);
	for (i = 0x60; i < 0x80; i++)
		CHECK_EQ(h[i], 0); /* VersionUser */
	CHECK_EQ(hvs__le64(h + 0x080), 0xFFFFF8016AC0A3B0ull);
	/* PHYSICAL_MEMORY_DESCRIPTOR64 at 0x88: runs, pad, u64 pages at +8. */
	CHECK_EQ(hvs__le32(h + 0x088), 2);
	CHECK_EQ(hvs__le32(h + 0x08C), 0);
	CHECK_EQ(hvs__le64(h + 0x090), 0x9f + 0x7f00);
	CHECK_EQ(hvs__le64(h + 0x098), 0);
	CHECK_EQ(hvs__le64(h + 0x0A0), 0x9f);
	CHECK_EQ(hvs__le64(h + 0x0A8), 0x100);
	CHECK_EQ(hvs__le64(h + 0x0B0), 0x7f00);
	for (i = 0x0B8; i < 0x348; i++)
		CHECK_EQ(h[i], 0);
	CHECK_MEM(h + 0x348, ctx, sizeof ctx);
	for (i = 0x348 + 0x4D0; i < 0xF00; i++)
		CHECK_EQ(h[i], 0);
	/* EXCEPTION_RECORD64 at 0xF00. */
	CHECK_EQ(hvs__le32(h + 0xF00), 0x80000003u);
	CHECK_EQ(hvs__le32(h + 0xF04), 1);
	CHECK_EQ(hvs__le64(h + 0xF08), 0);
	CHECK_EQ(hvs__le64(h + 0xF10), 0xFFFFF8016A801234ull);
	CHECK_EQ(hvs__le32(h + 0xF18), 0);
	CHECK_EQ(hvs__le32(h + 0xF98), 1);
	CHECK_EQ(hvs__le32(h + 0xF9C), 0);
	CHECK_EQ(hvs__le64(h + 0xFA0), 0x123456000ull);
	CHECK_EQ(hvs__le64(h + 0xFA8), 0x01DA0B0C0D0E0F10ull);
	CHECK_STR((const char *)h + 0xFB0, "hvsavedstate test");
	CHECK_EQ(hvs__le64(h + 0x1030), 0x55667788ull);
	CHECK_EQ(hvs__le32(h + 0x1038), 0);
	CHECK_EQ(hvs__le32(h + 0x103C), 0);
	CHECK_EQ(hvs__le32(h + 0x1040), 3);
	CHECK_EQ(hvs__le32(h + 0x1044), 0x110);
	for (i = 0x1048; i < HVS__DMP_HEADER_SIZE; i++)
		CHECK_EQ(h[i], 0);
}

static void test_dmp__header_bitmap_and_limits(void)
{
	static uint8_t h[HVS__DMP_HEADER_SIZE];
	hvs__dmp_run runs[HVS__DMP_MAX_RUNS + 1];
	hvs__dmp_header_info in;
	char longc[300];
	size_t i;

	for (i = 0; i <= HVS__DMP_MAX_RUNS; i++) {
		runs[i].base_page = 0x10 * i;
		runs[i].page_count = 1 + i;
	}
	memset(longc, 'x', sizeof longc - 1);
	longc[sizeof longc - 1] = 0;
	fill_info(&in, 5, runs, HVS__DMP_MAX_RUNS, NULL);
	in.comment = longc;
	CHECK_OK(hvs__dmp_build_header(h, &in));
	CHECK_EQ(hvs__le32(h + 0xF98), 5);
	CHECK_EQ(hvs__le32(h + 0x088), 42);
	/* The 42nd run ends at 0x88 + 0x10 + 42 * 16 = 0x348 - 12: inside
	 * the 700-byte PhysicalMemoryBlockBuffer, before ContextRecord. */
	CHECK_EQ(hvs__le64(h + 0x088 + 0x10 + 41 * 16), 0x10 * 41);
	CHECK_EQ(hvs__le64(h + 0x088 + 0x18 + 41 * 16), 42);
	CHECK(0x88 + 0x10 + 42 * 16 <= 0x88 + 700);
	CHECK_EQ(hvs__le64(h + 0x090), 42 * 43 / 2);
	/* No context given: ContextRecord stays zero. */
	for (i = 0x348; i < 0xF00; i++)
		CHECK_EQ(h[i], 0);
	/* Comment truncated to 127 characters plus the NUL. */
	CHECK_EQ(strlen((const char *)h + 0xFB0), 127);
	CHECK_EQ(h[0xFB0 + 127], 0);
	/* 43 runs do not fit. */
	in.nruns = HVS__DMP_MAX_RUNS + 1;
	CHECK_STATUS(hvs__dmp_build_header(h, &in), HVS_E_INVALID);
}

/* -------------------------------------------------------------- runs -- */

static void test_dmp__runs_merge(void)
{
	hvs_mem_range r[50];
	hvs__dmp_run *runs;
	size_t n, i;
	uint64_t gaps;

	/* 3 ranges, one not page aligned at either end, two sharing a page. */
	r[0] = (hvs_mem_range){ 0, 0xA0000, 0 };
	r[1] = (hvs_mem_range){ 0x100800, 0x1000, 0 };     /* pages 0x100-0x101 */
	r[2] = (hvs_mem_range){ 0x101800, 0x800, 0 };      /* page 0x101 again */
	CHECK_OK(hvs__dmp_make_runs(&A, r, 3, 42, &runs, &n, &gaps));
	CHECK_EQ(n, 2);
	CHECK_EQ(runs[0].base_page, 0);
	CHECK_EQ(runs[0].page_count, 0xA0);
	CHECK_EQ(runs[1].base_page, 0x100);
	CHECK_EQ(runs[1].page_count, 2);
	CHECK_EQ(gaps, 0);
	free(runs);

	/* 45 one-page ranges with gaps 10, 11, 12, ... pages: the three
	 * smallest gaps (after ranges 0, 1, 2) are absorbed first. */
	{
		uint64_t pfn = 0;
		for (i = 0; i < 45; i++) {
			r[i] = (hvs_mem_range){ pfn << 12, 0x1000, i << 12 };
			pfn += 1 + 10 + i;
		}
	}
	CHECK_OK(hvs__dmp_make_runs(&A, r, 45, 42, &runs, &n, &gaps));
	CHECK_EQ(n, 42);
	CHECK_EQ(runs[0].base_page, 0);
	/* pages 0 .. end of range 3: 1+10 + 1+11 + 1+12 + 1 = 37 */
	CHECK_EQ(runs[0].page_count, 37);
	CHECK_EQ(gaps, 10 + 11 + 12);
	CHECK_EQ(runs[1].base_page, r[4].gpa >> 12);
	CHECK_EQ(runs[1].page_count, 1);
	CHECK_EQ(runs[41].base_page, r[44].gpa >> 12);
	CHECK_EQ(hvs__dmp_run_pages(runs, n), 45 + 33);
	free(runs);

	/* max 1: everything becomes one run. */
	CHECK_OK(hvs__dmp_make_runs(&A, r, 45, 1, &runs, &n, &gaps));
	CHECK_EQ(n, 1);
	CHECK_EQ(runs[0].page_count, (r[44].gpa >> 12) + 1);
	free(runs);
	CHECK_STATUS(hvs__dmp_make_runs(&A, r, 45, 0, &runs, &n, &gaps), HVS_E_INVALID);
}

/* ------------------------------------------------------------ bitmap -- */

static void test_dmp__bitmap(void)
{
	hvs_mem_range r[3] = {
		{ 0, 0x3000, 0 },            /* PFN 0-2 */
		{ 0x9000, 0x1800, 0x3000 },  /* PFN 9-10 (partial) */
		{ 0x41000, 0x1000, 0x4800 }, /* PFN 0x41 */
	};
	uint8_t *b;
	size_t len, i;
	uint64_t pages, bits;

	CHECK_OK(hvs__dmp_make_bitmap(&A, r, 3, &b, &len, &pages, &bits));
	CHECK_EQ(len, 0x1000);
	CHECK_MEM(b, "FDMPDUMP", 8);
	CHECK_EQ(hvs__le32(b + 0x00), 0x504D4446);
	CHECK_EQ(hvs__le32(b + 0x04), 0x504D5544);
	CHECK_EQ(hvs__le32(b + 0x08), 0);
	for (i = 0x0C; i < 0x20; i++)
		CHECK_EQ(b[i], 0);
	CHECK_EQ(hvs__le64(b + 0x20), 0x3000); /* first page at file 0x3000 */
	CHECK_EQ(hvs__le64(b + 0x28), 6);
	CHECK_EQ(hvs__le64(b + 0x30), 0x42);
	CHECK_EQ(pages, 6);
	CHECK_EQ(bits, 0x42);
	/* bit i of byte j = PFN 8j + i */
	CHECK_EQ(b[0x38], 0x07);
	CHECK_EQ(b[0x39], 0x06);
	for (i = 2; i < 8; i++)
		CHECK_EQ(b[0x38 + i], 0);
	CHECK_EQ(b[0x38 + 8], 0x02);
	for (i = 0x38 + 9; i < len; i++)
		CHECK_EQ(b[i], 0);
	free(b);

	/* A bitmap that needs more than a page of summary. */
	{
		hvs_mem_range big = { 0, 0x800000000ull, 0 }; /* 32 GiB: 8 Mi pages */
		CHECK_OK(hvs__dmp_make_bitmap(&A, &big, 1, &b, &len, &pages, &bits));
		CHECK_EQ(bits, 0x800000);
		CHECK_EQ(len, 0x101000); /* 0x38 + 1 MiB rounded to pages */
		CHECK_EQ(hvs__le64(b + 0x20), 0x2000 + 0x101000);
		CHECK_EQ(b[0x38], 0xFF);
		CHECK_EQ(b[0x38 + 0x100000 - 1], 0xFF);
		CHECK_EQ(b[0x38 + 0x100000], 0);
		free(b);
	}
	{
		hvs_mem_range huge = { 1ull << 44, 0x1000, 0 };
		CHECK_STATUS(hvs__dmp_make_bitmap(&A, &huge, 1, &b, &len, &pages, &bits),
			     HVS_E_UNSUPPORTED);
	}
}

/* ----------------------------------------------------------- CONTEXT -- */

static void test_dmp__context_layout(void)
{
	hvs__dmp_regs r;
	uint8_t c[HVS__DMP_CONTEXT_SIZE];
	unsigned i;
	uint32_t flags;

	memset(&r, 0, sizeof r);
	for (i = 0; i < HVS_REG_COUNT; i++) {
		if (hvs_reg_arch((hvs_reg)i) != HVS_ARCH_X64)
			continue;
		r.have[i] = 1;
		r.val[i].lo = 0x1111000000000000ull | (uint64_t)i << 8 | i;
		r.val[i].hi = 0x2222000000000000ull | (uint64_t)i << 8 | i;
	}
	/* Segments: hi = limit | selector << 32 | attributes << 48. */
	r.val[HVS_REG_X64_CS].hi = 0xFFFFFFFFull | 0x10ull << 32 | 0xA09Bull << 48;
	r.val[HVS_REG_X64_DS].hi = 0x2Bull << 32;
	r.val[HVS_REG_X64_ES].hi = 0x2Bull << 32 | 1;
	r.val[HVS_REG_X64_FS].hi = 0x53ull << 32;
	r.val[HVS_REG_X64_GS].hi = 0x2Bull << 32 | 0xC0F3ull << 48;
	r.val[HVS_REG_X64_SS].hi = 0x18ull << 32;
	r.val[HVS_REG_X64_RFLAGS].lo = 0x246;
	/* FP: FCW 0x037F, FSW 0x3800, FTW 0x81, FOP 0x07DD; FP RIP. */
	r.val[HVS_REG_X64_FP_CONTROL_STATUS].lo =
		0x037Full | 0x3800ull << 16 | 0x81ull << 32 | 0x07DDull << 48;
	r.val[HVS_REG_X64_FP_CONTROL_STATUS].hi = 0xFFFFF8016A801000ull;
	r.val[HVS_REG_X64_XMM_CONTROL_STATUS].lo = 0xFFFFF8016AC00010ull;
	r.val[HVS_REG_X64_XMM_CONTROL_STATUS].hi = 0x1F80ull | 0xFFFFull << 32;
	r.val[HVS_REG_X64_FPMMX3].lo = 0xC000000000000000ull;
	r.val[HVS_REG_X64_FPMMX3].hi = 0x4000; /* 2.0L; upper bits not stored */

	flags = hvs__dmp_encode_context(c, &r);
	CHECK_EQ(flags, 0x0010001F);
	CHECK_EQ(hvs__le32(c + 0x30), 0x0010001F);
	for (i = 0; i < 0x30; i++)
		CHECK_EQ(c[i], 0); /* P1Home-P6Home */
	CHECK_EQ(hvs__le32(c + 0x34), 0x1F80);
	CHECK_EQ(hvs__le16(c + 0x38), 0x10);
	CHECK_EQ(hvs__le16(c + 0x3A), 0x2B);
	CHECK_EQ(hvs__le16(c + 0x3C), 0x2B);
	CHECK_EQ(hvs__le16(c + 0x3E), 0x53);
	CHECK_EQ(hvs__le16(c + 0x40), 0x2B);
	CHECK_EQ(hvs__le16(c + 0x42), 0x18);
	CHECK_EQ(hvs__le32(c + 0x44), 0x246);
	CHECK_EQ(hvs__le64(c + 0x48), r.val[HVS_REG_X64_DR0].lo);
	CHECK_EQ(hvs__le64(c + 0x50), r.val[HVS_REG_X64_DR1].lo);
	CHECK_EQ(hvs__le64(c + 0x58), r.val[HVS_REG_X64_DR2].lo);
	CHECK_EQ(hvs__le64(c + 0x60), r.val[HVS_REG_X64_DR3].lo);
	CHECK_EQ(hvs__le64(c + 0x68), r.val[HVS_REG_X64_DR6].lo);
	CHECK_EQ(hvs__le64(c + 0x70), r.val[HVS_REG_X64_DR7].lo);
	CHECK_EQ(hvs__le64(c + 0x78), r.val[HVS_REG_X64_RAX].lo);
	CHECK_EQ(hvs__le64(c + 0x80), r.val[HVS_REG_X64_RCX].lo);
	CHECK_EQ(hvs__le64(c + 0x88), r.val[HVS_REG_X64_RDX].lo);
	CHECK_EQ(hvs__le64(c + 0x90), r.val[HVS_REG_X64_RBX].lo);
	CHECK_EQ(hvs__le64(c + 0x98), r.val[HVS_REG_X64_RSP].lo);
	CHECK_EQ(hvs__le64(c + 0xA0), r.val[HVS_REG_X64_RBP].lo);
	CHECK_EQ(hvs__le64(c + 0xA8), r.val[HVS_REG_X64_RSI].lo);
	CHECK_EQ(hvs__le64(c + 0xB0), r.val[HVS_REG_X64_RDI].lo);
	CHECK_EQ(hvs__le64(c + 0xB8), r.val[HVS_REG_X64_R8].lo);
	CHECK_EQ(hvs__le64(c + 0xF0), r.val[HVS_REG_X64_R15].lo);
	CHECK_EQ(hvs__le64(c + 0xF8), r.val[HVS_REG_X64_RIP].lo);
	/* FltSave (XMM_SAVE_AREA32) at 0x100. */
	CHECK_EQ(hvs__le16(c + 0x100), 0x037F);
	CHECK_EQ(hvs__le16(c + 0x102), 0x3800);
	CHECK_EQ(c[0x104], 0x81);
	CHECK_EQ(c[0x105], 0);
	CHECK_EQ(hvs__le16(c + 0x106), 0x07DD);
	CHECK_EQ(hvs__le64(c + 0x108), 0xFFFFF8016A801000ull);
	CHECK_EQ(hvs__le64(c + 0x110), 0xFFFFF8016AC00010ull);
	CHECK_EQ(hvs__le32(c + 0x118), 0x1F80);
	CHECK_EQ(hvs__le32(c + 0x11C), 0xFFFF);
	CHECK_EQ(hvs__le64(c + 0x120), r.val[HVS_REG_X64_FPMMX0].lo);
	CHECK_EQ(hvs__le64(c + 0x128), r.val[HVS_REG_X64_FPMMX0].hi & 0xFFFF);
	CHECK_EQ(hvs__le64(c + 0x150), 0xC000000000000000ull);
	CHECK_EQ(hvs__le64(c + 0x158), 0x4000);
	CHECK_EQ(hvs__le64(c + 0x190), r.val[HVS_REG_X64_FPMMX7].lo);
	CHECK_EQ(hvs__le64(c + 0x1A0), r.val[HVS_REG_X64_XMM0].lo);
	CHECK_EQ(hvs__le64(c + 0x1A8), r.val[HVS_REG_X64_XMM0].hi);
	CHECK_EQ(hvs__le64(c + 0x290), r.val[HVS_REG_X64_XMM15].lo);
	CHECK_EQ(hvs__le64(c + 0x298), r.val[HVS_REG_X64_XMM15].hi);
	/* Rest of FltSave, VectorRegister, VectorControl, DebugControl and
	 * the LBR fields: no source register, zero. */
	for (i = 0x2A0; i < HVS__DMP_CONTEXT_SIZE; i++)
		CHECK_EQ(c[i], 0);

	/* Flags name only complete groups. */
	r.have[HVS_REG_X64_DR6] = 0;
	r.have[HVS_REG_X64_R9] = 0;
	flags = hvs__dmp_encode_context(c, &r);
	CHECK_EQ(flags, 0x0010000D);
	memset(&r, 0, sizeof r);
	CHECK_EQ(hvs__dmp_encode_context(c, &r), 0x00100000);
}

/* -------------------------------------------------------------- KDBG -- */

static void test_dmp__kdbg_decode_vectors(void)
{
	/* Independent: volatility3 utility.rol / bswap_64 (see the top). */
	static const struct {
		uint64_t enc, dec;
	} v[] = {
		{ 0x0123456789ABCDEFull, 0x0370b779322380eaull },
		{ 0x4742444B00000368ull, 0x45f779d2bb0f818bull },
		{ 0xFFFFF8016A800000ull, 0xfd9f7a52d1453d36ull },
	};
	const uint64_t never = 0x1F2E3D4C5B6A7988ull, always = 0xA5B4C3D2E1F00718ull;
	const uint64_t addr = 0xFFFFF8016AC0A3B8ull;
	uint8_t b[8 * 3 + 3];
	size_t i;

	for (i = 0; i < 3; i++)
		hvs__put_le64(b + 8 * i, v[i].enc);
	memset(b + 24, 0xAB, 3);
	hvs__dmp_kdbg_decode(b, sizeof b, never, always, addr);
	for (i = 0; i < 3; i++)
		CHECK_EQ(hvs__le64(b + 8 * i), v[i].dec);
	CHECK_EQ(b[24], 0xAB); /* the tail that is not a whole u64 is left */
	hvs__dmp_kdbg_encode(b, sizeof b, never, always, addr);
	for (i = 0; i < 3; i++)
		CHECK_EQ(hvs__le64(b + 8 * i), v[i].enc);
}

/* A KDBG image like a Windows 10 kernel's (offsets of format.md 9.4). */
static void make_kdbg(uint8_t *k, uint64_t va)
{
	memset(k, 0, 0x368);
	hvs__put_le64(k + 0x00, 0);
	hvs__put_le32(k + 0x10, 0x4742444B);
	hvs__put_le32(k + 0x14, 0x368);
	hvs__put_le64(k + 0x18, va & ~0xFFFFFull);              /* KernBase */
	hvs__put_le64(k + 0x48, 0xFFFFF8016AC2A000ull);         /* PsLoadedModuleList */
	hvs__put_le64(k + 0x50, 0xFFFFF8016AC2B000ull);         /* PsActiveProcessHead */
	hvs__put_le64(k + 0xC0, 0xFFFFF8016AC2C000ull);         /* MmPfnDatabase */
	hvs__put_le64(k + 0x218, 0xFFFFF8016AC2D000ull);        /* KiProcessorBlock */
	hvs__put_le16(k + 0x2BC, 0x40);
	hvs__put_le16(k + 0x338, 0x6E8);
}

static void test_dmp__kdbg_parse(void)
{
	uint8_t k[0x368];
	hvs__dmp_kdbg d;
	const char *why;
	const uint64_t va = 0xFFFFF8016AC0A3B0ull;

	make_kdbg(k, va);
	CHECK_OK(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why));
	CHECK_EQ(d.va, va);
	CHECK_EQ(d.size, 0x368);
	CHECK_EQ(d.kern_base, 0xFFFFF8016AC00000ull);
	CHECK_EQ(d.ps_loaded_module_list, 0xFFFFF8016AC2A000ull);
	CHECK_EQ(d.ps_active_process_head, 0xFFFFF8016AC2B000ull);
	CHECK_EQ(d.mm_pfn_database, 0xFFFFF8016AC2C000ull);
	CHECK_EQ(d.ki_processor_block, 0xFFFFF8016AC2D000ull);
	CHECK_EQ(d.off_prcb_procstate_context, 0x40);
	CHECK_EQ(d.off_prcb_context, 0x6E8);

	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, 0x33F, va, &why), HVS_E_CORRUPT);
	k[0x10] = 'k';
	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why), HVS_E_CORRUPT);
	CHECK(strstr(why, "OwnerTag"));
	make_kdbg(k, va);
	hvs__put_le32(k + 0x14, 0x2000);
	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why), HVS_E_CORRUPT);
	CHECK(strstr(why, "Size"));
	make_kdbg(k, va);
	hvs__put_le64(k + 0x18, va + 0x1000); /* KernBase above the block */
	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why), HVS_E_CORRUPT);
	CHECK(strstr(why, "KernBase"));
	make_kdbg(k, va);
	hvs__put_le64(k + 0x18, (va & ~0xFFFFFull) - (65ull << 20));
	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why), HVS_E_CORRUPT);
	make_kdbg(k, va);
	hvs__put_le64(k + 0x50, 0x00007FF700001000ull);
	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why), HVS_E_CORRUPT);
	CHECK(strstr(why, "PsActiveProcessHead"));
	make_kdbg(k, va);
	hvs__put_le64(k + 0x08, 0x1234);
	CHECK_STATUS(hvs__dmp_kdbg_parse(&d, k, sizeof k, va, &why), HVS_E_CORRUPT);
	CHECK(strstr(why, "list"));
}

/* --- a tiny x64 guest in a byte array, for the scan and symbol tests -- */

#define G_SIZE (8u << 20)
typedef struct guest {
	uint8_t *mem;
	uint64_t next_table;
	hvs_xlat *x;
	unsigned reads;
} guest;

static hvs_status g_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	guest *g = ud;
	g->reads++;
	if (gpa >= G_SIZE || len > G_SIZE - gpa)
		return HVS_E_NODATA;
	memcpy(buf, g->mem + gpa, len);
	return HVS_OK;
}

/* Map the 4 KiB page at @va to @gpa under the PML4 at @root (tables
 * taken from g->next_table upwards). */
static void g_map_root(guest *g, uint64_t root, uint64_t va, uint64_t gpa)
{
	uint64_t table = root;
	int level;
	for (level = 4; level > 1; level--) {
		unsigned idx = (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
		uint8_t *e = g->mem + table + 8 * idx;
		if (!(hvs__le64(e) & 1)) {
			g->next_table += 0x1000;
			hvs__put_le64(e, g->next_table | 3);
		}
		table = hvs__le64(e) & 0x000FFFFFFFFFF000ull;
	}
	hvs__put_le64(g->mem + table + 8 * ((va >> 12) & 511), gpa | 3);
}

static void g_map(guest *g, uint64_t va, uint64_t gpa)
{
	g_map_root(g, 0x1000, va, gpa);
}

static int g_init(guest *g)
{
	hvs_paging_regs pr;
	memset(g, 0, sizeof *g);
	g->mem = calloc(1, G_SIZE);
	if (!g->mem)
		return 0;
	g->next_table = 0x1000;
	memset(&pr, 0, sizeof pr);
	pr.arch = HVS_XLAT_ARCH_X86;
	pr.cr0 = 0x80000001;
	pr.cr3 = 0x1000;
	pr.cr4 = 0x20;
	pr.efer = 0xD00;
	return hvs_xlat_new(&g->x, &pr, g_read, g, 0, NULL) == HVS_OK;
}

static void g_free(guest *g)
{
	hvs_xlat_free(g->x);
	free(g->mem);
}

static void test_dmp__kdbg_scan(void)
{
	guest g;
	hvs__dmp_kdbg d;
	static uint8_t buf[HVS__KDBG_MAX_SIZE];
	size_t len;
	uint64_t pages, i;
	const uint64_t kbase = 0xFFFFF8016A800000ull;
	const uint64_t kdbg_va = kbase + 0x40FF8; /* crosses a page: tag in the next */
	uint64_t hint;

	CHECK(g_init(&g));
	/* Kernel image: 128 pages at GPA 0x200000; a hole of unmapped pages
	 * in the middle; the KDBG in page 0x40/0x41. */
	for (i = 0; i < 128; i++)
		if (i < 0x20 || i >= 0x30)
			g_map(&g, kbase + i * 0x1000, 0x200000 + i * 0x1000);
	/* A decoy tag with a bad Size, and one with a bad KernBase. */
	hvs__put_le32(g.mem + 0x200000 + 0x3010, 0x4742444B);
	hvs__put_le32(g.mem + 0x200000 + 0x3014, 0x20);
	make_kdbg(g.mem + 0x200000 + 0x5000, kbase + 0x5000);
	hvs__put_le64(g.mem + 0x200000 + 0x5018, 0x1000);
	make_kdbg(g.mem + 0x200000 + 0x40FF8, kbase);
	hvs__put_le64(g.mem + 0x200000 + 0x40FF8 + 0x18, kbase);

	hint = kbase + 0x7123; /* e.g. LSTAR */
	{
		uint64_t hints[3] = { 0x7FF700001000ull, hint, hint + 0x100 };
		CHECK_OK(hvs__dmp_kdbg_scan(&A, &d, buf, &len, g.x, g_read, &g, hints, 3,
					    &pages));
	}
	CHECK_EQ(d.va, kdbg_va);
	CHECK_EQ(d.kern_base, kbase);
	CHECK_EQ(d.ps_loaded_module_list, 0xFFFFF8016AC2A000ull);
	CHECK_EQ(d.ki_processor_block, 0xFFFFF8016AC2D000ull);
	CHECK_EQ(d.off_prcb_context, 0x6E8);
	CHECK_EQ(len, 0x368);
	CHECK_EQ(hvs__le32(buf + 0x10), 0x4742444B);
	/* Pages 0..0x41 less the 16 unmapped ones were read, each once. */
	CHECK_EQ(pages, 0x42 - 0x10);

	/* No hint in the kernel half: nothing scanned. */
	{
		uint64_t h2 = 0x1000;
		CHECK_STATUS(hvs__dmp_kdbg_scan(&A, &d, buf, &len, g.x, g_read, &g, &h2, 1,
						&pages), HVS_E_NOTFOUND);
		CHECK_EQ(pages, 0);
	}
	/* Tag destroyed: not found, every mapped page of the window read. */
	g.mem[0x200000 + 0x40FF8 + 0x10] = 0;
	CHECK_STATUS(hvs__dmp_kdbg_scan(&A, &d, buf, &len, g.x, g_read, &g, &hint, 1,
					&pages), HVS_E_NOTFOUND);
	CHECK_EQ(pages, 128 - 16);
	g_free(&g);
}

static void test_dmp__kdbg_symbols(void)
{
	guest g;
	hvs__dmp_kdbg d;
	static uint8_t buf[HVS__KDBG_MAX_SIZE];
	uint8_t plain[0x368];
	size_t len;
	const char *why;
	const uint64_t kbase = 0xFFFFF8016A800000ull;
	hvs__dmp_kdsyms s = {
		kbase + 0x10FF0, /* KdDebuggerDataBlock, crosses a page */
		kbase + 0x12000, /* KiWaitNever */
		kbase + 0x12008, /* KiWaitAlways */
		kbase + 0x12010, /* KdpDataBlockEncoded */
	};
	const uint64_t never = 0x1F2E3D4C5B6A7988ull, always = 0xA5B4C3D2E1F00718ull;
	uint64_t i;

	CHECK(g_init(&g));
	for (i = 0; i < 0x20; i++)
		g_map(&g, kbase + i * 0x1000, 0x200000 + i * 0x1000);
	make_kdbg(plain, kbase + 0x10FF0);
	hvs__put_le64(plain + 0x18, kbase);
	memcpy(g.mem + 0x210FF0, plain, sizeof plain);
	hvs__put_le64(g.mem + 0x212000, never);
	hvs__put_le64(g.mem + 0x212008, always);
	g.mem[0x212010] = 1;

	/* Plain block (debugger attached): read as is. */
	CHECK_OK(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why));
	CHECK_EQ(d.decoded, 0);
	CHECK_EQ(len, 0x368);
	CHECK_EQ(d.kern_base, kbase);

	/* Encoded in memory with the inverse of the formula. */
	hvs__dmp_kdbg_encode(g.mem + 0x210FF0, sizeof plain, never, always, s.kdp_data_block_encoded);
	CHECK(hvs__le32(g.mem + 0x211000) != 0x4742444B);
	CHECK_OK(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why));
	CHECK_EQ(d.decoded, 1);
	CHECK_EQ(len, 0x368);
	CHECK_MEM(buf, plain, sizeof plain);
	CHECK_EQ(d.va, s.kd_debugger_data_block);
	CHECK_EQ(d.ps_active_process_head, 0xFFFFF8016AC2B000ull);
	/* The scan cannot see an encoded block. */
	{
		uint64_t pages;
		CHECK_STATUS(hvs__dmp_kdbg_scan(&A, &d, buf, &len, g.x, g_read, &g,
						&s.kd_debugger_data_block, 1, &pages),
			     HVS_E_NOTFOUND);
	}
	/* Wrong key: the decoded tag is wrong. */
	hvs__put_le64(g.mem + 0x212000, never ^ 1);
	CHECK_STATUS(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why), HVS_E_CORRUPT);
	CHECK(strstr(why, "tag"));
	/* A decode key missing: the encoded block cannot be read. */
	hvs__put_le64(g.mem + 0x212000, never);
	s.ki_wait_always = 0;
	CHECK_STATUS(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why), HVS_E_NOTFOUND);
	CHECK(strstr(why, "encoded"));
	/* Encoded-looking bytes but KdpDataBlockEncoded 0: not a KDBG. */
	s.ki_wait_always = kbase + 0x12008;
	g.mem[0x212010] = 0;
	CHECK_STATUS(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why), HVS_E_CORRUPT);
	/* No KdDebuggerDataBlock: nothing read. */
	s.kd_debugger_data_block = 0;
	CHECK_STATUS(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why), HVS_E_NOTFOUND);
	/* The plain block needs no keys. */
	memcpy(g.mem + 0x210FF0, plain, sizeof plain);
	s.kd_debugger_data_block = kbase + 0x10FF0;
	s.ki_wait_never = s.ki_wait_always = s.kdp_data_block_encoded = 0;
	CHECK_OK(hvs__dmp_kdbg_from_symbols(&d, buf, &len, g.x, &s, &why));
	CHECK_EQ(d.decoded, 0);
	g_free(&g);
}

static hvs_status fake_resolve(void *ud, const char *name, uint64_t *va)
{
	static const char *const names[4] = { "KdDebuggerDataBlock", "KiWaitNever",
					      "KiWaitAlways", "KdpDataBlockEncoded" };
	int have = *(int *)ud, i;
	for (i = 0; i < have; i++)
		if (strcmp(name, names[i]) == 0) {
			*va = 0xFFFFF80000000000ull + 0x100 * (unsigned)i;
			return HVS_OK;
		}
	return HVS_E_NOTFOUND;
}

static void test_dmp__kdsyms_resolve(void)
{
	hvs__dmp_kdsyms s;
	int have = 4;
	CHECK_OK(hvs__dmp_kdsyms_resolve(&s, fake_resolve, &have));
	CHECK_EQ(s.kd_debugger_data_block, 0xFFFFF80000000000ull);
	CHECK_EQ(s.ki_wait_never, 0xFFFFF80000000100ull);
	CHECK_EQ(s.ki_wait_always, 0xFFFFF80000000200ull);
	CHECK_EQ(s.kdp_data_block_encoded, 0xFFFFF80000000300ull);
	have = 3; /* KdpDataBlockEncoded missing: no decode keys at all */
	CHECK_OK(hvs__dmp_kdsyms_resolve(&s, fake_resolve, &have));
	CHECK_EQ(s.kd_debugger_data_block, 0xFFFFF80000000000ull);
	CHECK_EQ(s.ki_wait_never, 0);
	CHECK_EQ(s.ki_wait_always, 0);
	CHECK_EQ(s.kdp_data_block_encoded, 0);
	have = 0;
	CHECK_STATUS(hvs__dmp_kdsyms_resolve(&s, fake_resolve, &have), HVS_E_NOTFOUND);
	CHECK_EQ(s.kd_debugger_data_block, 0);
	CHECK_STATUS(hvs__dmp_kdsyms_resolve(&s, NULL, NULL), HVS_E_NOTFOUND);
}

/* ------------------------------------------- whole writer, KVA shadow -- */

static hvs_status set64(hvs_image *img, hvs_reg r, uint64_t lo, uint64_t hi)
{
	hvs_regval v;
	v.lo = lo;
	v.hi = hi;
	return hvs_image_set_reg(img, 0, HVS_VTL_ACTIVE, r, &v);
}

/*
 * format.md 9.5 with KVA shadow: the only VP is in user mode and its CR3
 * (0x2000) does not map KUSER_SHARED_DATA; its KERNEL_GS_BASE points at
 * the KPCR, whose page +0x7000 the user tables do map and which holds the
 * kernel CR3 (0x1000).  The dump's DirectoryTableBase must be 0x1000, and
 * the KUSER_SHARED_DATA facts are read through it.
 */
static void test_dmp__kva_shadow_cr3(void)
{
	guest g;
	const uint64_t kpcr = 0xFFFFF80012340000ull;
	char raw[1024], out[1024];
	hvs_image_opts io;
	hvs_image *img = NULL;
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	uint8_t *h = NULL;
	size_t n = 0, i;
	int shadow_note = 0;

	CHECK(g_init(&g));
	g.next_table = 0x2000; /* user PML4 at 0x2000, tables above */
	/* KUSER_SHARED_DATA (GPA 0x100000): kernel tables only. */
	g_map_root(&g, 0x1000, HVS__KUSD_VA, 0x100000);
	hvs__put_le32(g.mem + 0x100000 + 0x260, 20348);  /* NtBuildNumber */
	hvs__put_le32(g.mem + 0x100000 + 0x264, 3);      /* NtProductType: server */
	hvs__put_le32(g.mem + 0x100000 + 0x26C, 10);     /* NtMajorVersion */
	hvs__put_le32(g.mem + 0x100000 + 0x2D0, 0x110);  /* SuiteMask */
	/* KPCR + 0x7000 (GPA 0x107000): both tables; holds the kernel CR3. */
	g_map_root(&g, 0x1000, kpcr + 0x7000, 0x107000);
	g_map_root(&g, 0x2000, kpcr + 0x7000, 0x107000);
	hvs__put_le64(g.mem + 0x107000, 0x1000);
	/* Something user mode in the user tables. */
	g_map_root(&g, 0x2000, 0x7FF700000000ull, 0x108000);

	snprintf(raw, sizeof raw, "%s", test_tmp_path("kvashadow.raw"));
	CHECK(test_write_file(raw, g.mem, 0x200000) == 0);
	g_free(&g);
	memset(&io, 0, sizeof io);
	io.format = HVS_FORMAT_RAW;
	CHECK_OK(hvs_image_open(&img, raw, &io));
	CHECK_OK(hvs_image_add_vps(img, 1, HVS_ARCH_X64));
	CHECK_OK(set64(img, HVS_REG_X64_CR0, 0x80050033, 0));
	CHECK_OK(set64(img, HVS_REG_X64_CR3, 0x2000, 0));
	CHECK_OK(set64(img, HVS_REG_X64_CR4, 0x20, 0));
	CHECK_OK(set64(img, HVS_REG_X64_EFER, 0xD01, 0));
	CHECK_OK(set64(img, HVS_REG_X64_CPL, 3, 0));
	CHECK_OK(set64(img, HVS_REG_X64_CS, 0, 0xFFFFFFFFull | 0x33ull << 32 | 0x20FBull << 48));
	CHECK_OK(set64(img, HVS_REG_X64_RIP, 0x7FF700000010ull, 0));
	CHECK_OK(set64(img, HVS_REG_X64_KERNEL_GS_BASE, kpcr, 0));

	snprintf(out, sizeof out, "%s", test_tmp_path("kvashadow.dmp"));
	memset(&o, 0, sizeof o);
	o.flags = HVS_CONVERT_FORCE;
	CHECK_OK(hvs_convert(img, out, HVS_CONVERT_DMP, &o, &r));
	for (i = 0; i < r->note_count; i++)
		if (strcmp(r->notes[i].name, "kernel_cr3") == 0 && r->notes[i].value == 0x1000)
			shadow_note = 1;
	CHECK(shadow_note);
	for (i = 0; i < r->underived_count; i++)
		CHECK(strncmp(r->underived[i].field, "DirectoryTableBase", 18) != 0);
	hvs_convert_result_free(r);

	hvs_image_close(img);

	h = test_read_file(out, &n);
	CHECK(h && n == 0x2000 + 0x200000);
	CHECK_EQ(hvs__le64(h + 0x10), 0x1000);         /* DirectoryTableBase */
	CHECK_EQ(hvs__le32(h + 0x08), 0xF);
	CHECK_EQ(hvs__le32(h + 0x0C), 20348);
	CHECK_EQ(hvs__le32(h + 0x34), 1);
	CHECK_EQ(hvs__le32(h + 0x1040), 3);
	CHECK_EQ(hvs__le32(h + 0x1044), 0x110);
	CHECK_EQ(hvs__le64(h + 0x348 + 0xF8), 0x7FF700000010ull); /* VP 0 RIP */
	CHECK_EQ(hvs__le16(h + 0x348 + 0x38), 0x33);
	CHECK_EQ(hvs__le64(h + 0xF10), 0x7FF700000010ull);
	CHECK_EQ(hvs__le64(h + 0xFA0), n);
	/* Page data: GPA 0x107000 at 0x2000 + 0x107000. */
	CHECK_EQ(hvs__le64(h + 0x2000 + 0x107000), 0x1000);
	free(h);
	remove(out);
	remove(raw);
}

/* Out of memory at each allocation of the builders: HVS_E_NOMEM, nothing
 * leaked, and success once the allocations are allowed. */
static void test_dmp__oom(void)
{
	hvs_mem_range r[3] = { { 0, 0x3000, 0 }, { 0x9000, 0x1800, 0x3000 },
			       { 0x41000, 0x1000, 0x4800 } };
	long k;
	for (k = 1; k <= 3; k++) { /* fail the k-th allocation */
		test_failalloc fa;
		hvs__alloc a;
		hvs__dmp_run *runs = NULL;
		uint8_t *b = NULL;
		size_t n, len;
		uint64_t gaps, pages, bits;
		hvs_status s1, s2;
		test_failalloc_init(&fa, k);
		hvs__alloc_init(&a, &fa.a);
		s1 = hvs__dmp_make_runs(&a, r, 3, 2, &runs, &n, &gaps);
		s2 = hvs__dmp_make_bitmap(&a, r, 3, &b, &len, &pages, &bits);
		if (k == 1) {
			CHECK_STATUS(s1, HVS_E_NOMEM);
			CHECK(!runs);
		} else {
			CHECK_OK(s1);
			CHECK_EQ(n, 2);
		}
		if (k <= 2) {
			CHECK_STATUS(s2, HVS_E_NOMEM);
			CHECK(!b);
		} else {
			CHECK_OK(s2);
			CHECK_EQ(pages, 6);
		}
		hvs__free(&a, runs);
		hvs__free(&a, b);
		CHECK_EQ(fa.live, 0);
	}
	/* The scan's two allocations. */
	for (k = 1; k <= 3; k++) {
		guest g;
		test_failalloc fa;
		hvs__alloc a;
		hvs__dmp_kdbg d;
		static uint8_t buf[HVS__KDBG_MAX_SIZE];
		size_t len;
		uint64_t hint = 0xFFFFF8016A800000ull, pages;
		hvs_status st;
		CHECK(g_init(&g));
		g_map(&g, hint, 0x200000);
		make_kdbg(g.mem + 0x200100, hint);
		hvs__put_le64(g.mem + 0x200100 + 0x18, hint);
		test_failalloc_init(&fa, k);
		hvs__alloc_init(&a, &fa.a);
		st = hvs__dmp_kdbg_scan(&a, &d, buf, &len, g.x, g_read, &g, &hint, 1, &pages);
		g_free(&g);
		if (k <= 2)
			CHECK_STATUS(st, HVS_E_NOMEM);
		else
			CHECK_OK(st);
		CHECK_EQ(fa.live, 0);
	}
}

TEST_MAIN(TEST(test_dmp__header_full), TEST(test_dmp__header_bitmap_and_limits),
	  TEST(test_dmp__runs_merge), TEST(test_dmp__bitmap),
	  TEST(test_dmp__context_layout), TEST(test_dmp__kdbg_decode_vectors),
	  TEST(test_dmp__kdbg_parse), TEST(test_dmp__kdbg_scan),
	  TEST(test_dmp__kdbg_symbols), TEST(test_dmp__kdsyms_resolve),
	  TEST(test_dmp__kva_shadow_cr3), TEST(test_dmp__oom))
