/* SPDX-License-Identifier: MIT */
/*
 * AArch64 stage-1 translation (src/xlat/arm64.c): table-driven tests on
 * synthetic descriptor tables in a memory buffer.  Every descriptor is
 * commented with its path.  Expected values are worked out by hand from
 * the Arm ARM (DDI 0487) D8 descriptor formats and the TCR_EL1 field
 * encodings, not taken from the engine.
 */
#include "test.h"

#define MEM_SIZE 0x80000u
#include "xlat_cases.h"

static mem M;

/* Descriptor bits (D8.3). */
#define TABLE 0x3u                     /* bits 1:0 = 11 at levels 0-2 */
#define PAGE  0x3u                     /* bits 1:0 = 11 at level 3 */
#define BLOCK 0x1u                     /* bits 1:0 = 01 at levels 1-2 */
#define AP1   0x40u                    /* EL0 accessible */
#define AP2   0x80u                    /* read-only */
#define AF    0x400u
#define NG    0x800u
#define UXN   (UINT64_C(1) << 54)
#define PXN   (UINT64_C(1) << 53)

/* TCR_EL1 fields. */
#define T0SZ(n)  ((uint64_t)(n))
#define T1SZ(n)  ((uint64_t)(n) << 16)
#define EPD1     (UINT64_C(1) << 23)
#define TG0_4K   (UINT64_C(0) << 14)
#define TG0_64K  (UINT64_C(1) << 14)
#define TG0_16K  (UINT64_C(2) << 14)
#define TG1_16K  (UINT64_C(1) << 30)
#define TG1_4K   (UINT64_C(2) << 30)
#define TG1_64K  (UINT64_C(3) << 30)
#define IPS(n)   ((uint64_t)(n) << 32)
#define TBI0     (UINT64_C(1) << 37)
#define TBI1     (UINT64_C(1) << 38)

#define NP HVS_E_NOTPRESENT
#define F_NP HVS_XLAT_FAULT_NOT_PRESENT
#define F_NC HVS_XLAT_FAULT_NONCANONICAL
#define F_RS HVS_XLAT_FAULT_RESERVED
#define F_AS HVS_XLAT_FAULT_ADDRESS_SIZE
#define F_DIS HVS_XLAT_FAULT_DISABLED

/* 4 KiB granule, 48-bit VAs both halves, TBI0 only, 48-bit IPS. */
static const hvs_paging_regs regs4k = {
	.arch = HVS_XLAT_ARCH_ARM64,
	.sctlr = 0x30d0199d, /* M set */
	.tcr = T0SZ(16) | T1SZ(16) | TG0_4K | TG1_4K | IPS(5) | TBI0,
	.ttbr0 = 0x1000,
	.ttbr1 = UINT64_C(0x0042000000002001), /* ASID 0x42, BADDR 0x2000, CnP */
};

static void build_4k(void)
{
	memset(&M, 0, sizeof M);
	put64(&M, 0x1000 + 0 * 8, 0x3000 | TABLE);             /* TTBR0 L0[0] -> L1 @0x3000 */
	put64(&M, 0x3000 + 0 * 8, 0x4000 | TABLE);             /* L0[0]/L1[0] -> L2 @0x4000 */
	put64(&M, 0x3000 + 1 * 8, 0x40000000 | BLOCK | AF);    /* L0[0]/L1[1] -> 1 GiB block @0x40000000 */
	put64(&M, 0x4000 + 0 * 8, 0x5000 | TABLE);             /* L0[0]/L1[0]/L2[0] -> L3 @0x5000 */
	put64(&M, 0x4000 + 1 * 8, 0xa00000 | BLOCK | AF | AP2); /* L0[0]/L1[0]/L2[1] -> 2 MiB block @0xa00000, read-only */
	/* L0[0]/L1[0]/L2[3] = 0: invalid */
	put64(&M, 0x5000 + 0 * 8, 0x8000 | PAGE | AF | AP1 | UXN); /* .../L2[0]/L3[0] -> page @0x8000 (EL0, UXN) */
	put64(&M, 0x5000 + 1 * 8, 0x9000 | BLOCK);             /* .../L2[0]/L3[1]: 01 at level 3 is reserved */
	put64(&M, 0x5000 + 2 * 8, UINT64_C(0x100000000000) | PAGE | AF | NG); /* .../L2[0]/L3[2] -> page @2^44 */
	put64(&M, 0x2000 + 511 * 8, 0x6000 | TABLE);           /* TTBR1 L0[511] -> L1 @0x6000 */
	put64(&M, 0x6000 + 511 * 8, 0x7000 | TABLE);           /* TTBR1 L0[511]/L1[511] -> L2 @0x7000 */
	put64(&M, 0x7000 + 0 * 8, 0x1000000 | BLOCK | AF | PXN); /* TTBR1 .../L2[0] -> 2 MiB block @0x1000000 */
	memcpy(M.b + 0x8ffc, "arm!", 4);
}

static hvs_xlat *new_x(const hvs_paging_regs *r)
{
	hvs_xlat *x = NULL;
	if (hvs_xlat_new(&x, r, mem_read, &M, 0, NULL) != HVS_OK)
		return NULL;
	return x;
}

static void test_xlat_arm64__granule_4k(void)
{
	static const xcase c[] = {
		{ 0x123, HVS_OK, 0x8123, 0x1000, 0, 0 },
		{ 0x1010, NP, 0xff0, 0, F_RS, 3 },                         /* L3[1] */
		{ 0x2008, HVS_OK, UINT64_C(0x100000000008), 0x1000, 0, 0 },
		{ 0x3000, NP, 0x1000, 0, F_NP, 3 },                        /* L3[3] */
		{ 0x212345, HVS_OK, 0xa12345, 0x200000, 0, 0 },            /* 2 MiB block */
		{ 0x612345, NP, 0x800000 - 0x612345, 0, F_NP, 2 },         /* L2[3] */
		{ 0x40000010, HVS_OK, 0x40000010, 0x40000000, 0, 0 },      /* 1 GiB block */
		{ UINT64_C(0x8000000000), NP, UINT64_C(0x8000000000), 0, F_NP, 0 }, /* L0[1] */
		/* TBI0: tag 0x5a ignored */
		{ UINT64_C(0x5a00000000212345), HVS_OK, 0xa12345, 0x200000, 0, 0 },
		/* bit 48 set below bit 55: outside TTBR0's 48 bits; next
		 * valid VA is tag window 0x01 (TBI0) */
		{ UINT64_C(0x0001000000000000), NP, UINT64_C(0x00ff000000000000), 0, F_NC, -1 },
		/* TTBR1, no TBI1: bits 63:48 must all be ones */
		{ UINT64_C(0xffffffffc0001234), HVS_OK, 0x1001234, 0x200000, 0, 0 },
		{ UINT64_C(0xffffffffc0200000), NP, 0x200000, 0, F_NP, 2 },
		{ UINT64_C(0xffff000000000000), NP, UINT64_C(0x8000000000), 0, F_NP, 0 },
		{ UINT64_C(0x5affffffc0000000), NP, 0x40000000, 0, F_NC, -1 },
	};
	hvs_xlat *x;

	build_4k();
	x = new_x(&regs4k);
	CHECK(x != NULL);
	CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_ARM64);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	hvs_xlat_free(x);
}

static void test_xlat_arm64__trace(void)
{
	hvs_xlat_walk w;
	hvs_xlat *x;
	hvs_status s;

	build_4k();
	x = new_x(&regs4k);
	CHECK(x != NULL);
	CHECK_OK(hvs_xlat_walk_init(x, &w, UINT64_C(0xffffffffc0001234)));
	do {
		s = hvs_xlat_walk_step(x, &w);
	} while (s == HVS_OK && !w.done);
	CHECK_OK(s);
	CHECK_EQ(w.nsteps, 3);
	CHECK_STR(w.steps[0].name, "L0");
	CHECK_EQ(w.steps[0].entry_gpa, 0x2ff8); /* ASID and CnP masked */
	CHECK_EQ(w.steps[0].entry, 0x6003);
	CHECK_EQ(w.steps[0].span, UINT64_C(1) << 39);
	CHECK_STR(w.steps[1].name, "L1");
	CHECK_EQ(w.steps[1].entry_gpa, 0x6ff8);
	CHECK_STR(w.steps[2].name, "L2");
	CHECK_EQ(w.steps[2].entry_gpa, 0x7000);
	CHECK_EQ(w.steps[2].level, 2);
	CHECK_EQ(w.steps[2].flags, HVS_XLAT_F_PRESENT | HVS_XLAT_F_LEAF |
				   HVS_XLAT_F_LARGE | HVS_XLAT_F_WRITE |
				   HVS_XLAT_F_ACCESSED | HVS_XLAT_F_GLOBAL |
				   HVS_XLAT_F_PXN);
	CHECK_EQ(w.gpa, 0x1001234);
	hvs_xlat_free(x);
}

static void test_xlat_arm64__ips_and_epd(void)
{
	hvs_paging_regs r = regs4k;
	hvs_xlat *x;
	uint64_t um = 0;

	build_4k();
	/* IPS 44 bits: L3[2]'s OA 2^44 is an address size fault. */
	r.tcr = (r.tcr & ~IPS(7)) | IPS(4);
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, 0x2008, NULL, NULL, &um), NP);
	CHECK_EQ(hvs_xlat_last_fault(x)->kind, F_AS);
	CHECK_EQ(hvs_xlat_last_fault(x)->level, 3);
	CHECK_EQ(hvs_xlat_last_fault(x)->entry_gpa, 0x5010);
	CHECK_EQ(um, 0xff8);
	hvs_xlat_free(x);
	/* EPD1: the TTBR1 half is not walked at all. */
	r = regs4k;
	r.tcr |= EPD1;
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, UINT64_C(0xffffffffc0000000), NULL,
					NULL, &um), NP);
	CHECK_EQ(hvs_xlat_last_fault(x)->kind, F_DIS);
	CHECK_EQ(um, 0x40000000);
	hvs_xlat_free(x);
	/* TBI1: a tagged kernel address translates. */
	r = regs4k;
	r.tcr |= TBI1;
	x = new_x(&r);
	CHECK(x != NULL);
	{
		uint64_t gpa = 0;
		CHECK_OK(hvs_xlat_translate(x, UINT64_C(0xf0ffffffc0000010),
					    &gpa, NULL, NULL));
		CHECK_EQ(gpa, 0x1000010);
	}
	hvs_xlat_free(x);
}

/* 16 KiB granule, 36-bit VAs (T0SZ 28): start level 2, 2048-entry L2,
 * 32 MiB blocks (D8.2 table for 16 KiB granule). */
static void test_xlat_arm64__granule_16k(void)
{
	static const xcase c[] = {
		{ 0x4010, HVS_OK, 0x20010, 0x4000, 0, 0 },
		{ 0x8000, NP, 0x4000, 0, F_NP, 3 },
		{ 0x2001234, HVS_OK, 0x2001234, 0x2000000, 0, 0 },
		{ UINT64_C(0xffffffff0), NP, 0x10, 0, F_NP, 2 },            /* L2[2047] */
		{ UINT64_C(0x1000000000), NP, UINT64_C(0xffffffe000000000), 0, F_NC, -1 },
		{ UINT64_C(0xfffffff000000000), NP, UINT64_C(0x1000000000), 0, F_DIS, -1 },
	};
	hvs_paging_regs r = {
		.arch = HVS_XLAT_ARCH_ARM64, .sctlr = 1,
		.tcr = T0SZ(28) | T1SZ(28) | TG0_16K | TG1_16K | EPD1 | IPS(2),
		.ttbr0 = 0x10000,
	};
	hvs_xlat *x;

	memset(&M, 0, sizeof M);
	put64(&M, 0x10000 + 0 * 8, 0x14000 | TABLE);           /* L2[0] -> L3 @0x14000 */
	put64(&M, 0x10000 + 1 * 8, 0x2000000 | BLOCK | AF);    /* L2[1] -> 32 MiB block @0x2000000 */
	put64(&M, 0x14000 + 1 * 8, 0x20000 | PAGE | AF);       /* L2[0]/L3[1] -> 16 KiB page @0x20000 */
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	hvs_xlat_free(x);
}

/* 64 KiB granule, 42-bit VAs (T0SZ 22), 52-bit OA (IPS 6, FEAT_LPA):
 * start level 2 with 8192 entries, 512 MiB blocks, PA 51:48 in
 * descriptor bits 15:12 and TTBR bits 5:2. */
static void test_xlat_arm64__granule_64k_lpa(void)
{
	static const xcase c[] = {
		{ 0x10123, HVS_OK, UINT64_C(0x5000000040123), 0x10000, 0, 0 },
		{ 0x20000, NP, 0x10000, 0, F_NP, 3 },
		{ 0x20000010, HVS_OK, 0x60000010, 0x20000000, 0, 0 },
		{ 0x40000000, NP, 0x20000000, 0, F_NP, 2 },
	};
	hvs_paging_regs r = {
		.arch = HVS_XLAT_ARCH_ARM64, .sctlr = 1,
		.tcr = T0SZ(22) | T1SZ(22) | TG0_64K | TG1_64K | EPD1 | IPS(6),
		.ttbr0 = 0x20000,
	};
	hvs_xlat *x;
	uint64_t gpa = 0;

	memset(&M, 0, sizeof M);
	put64(&M, 0x20000 + 0 * 8, 0x30000 | TABLE);           /* L2[0] -> L3 @0x30000 */
	put64(&M, 0x20000 + 1 * 8, 0x60000000 | BLOCK | AF);   /* L2[1] -> 512 MiB block @0x60000000 */
	put64(&M, 0x30000 + 1 * 8, 0x40000 | (UINT64_C(5) << 12) | PAGE | AF); /* L2[0]/L3[1] -> page @0x5000000040000 */
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	hvs_xlat_free(x);
	/* 48-bit IPS: bits 15:12 are not address bits. */
	r.tcr = (r.tcr & ~IPS(7)) | IPS(5);
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK_OK(hvs_xlat_translate(x, 0x10123, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0x40123);
	hvs_xlat_free(x);
	/* 52-bit: TTBR0 bits 5:2 = 1 put the table at PA 2^48 + 0x20000. */
	r.tcr = (r.tcr & ~IPS(7)) | IPS(6);
	r.ttbr0 = 0x20000 | (1u << 2);
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, 0x10123, &gpa, NULL, NULL),
		     HVS_E_NODATA);
	CHECK_EQ(M.last_gpa, UINT64_C(0x1000000020000));
	hvs_xlat_free(x);

	/* 52-bit VAs (T0SZ 12): start level 1 with 1024 entries of 4 TiB;
	 * a level-1 block is legal only with the 52-bit OA (FEAT_LPA). */
	memset(&M, 0, sizeof M);
	put64(&M, 0x20000 + 1 * 8, UINT64_C(0x40000000000) | BLOCK | AF); /* L1[1] -> 4 TiB block @2^42 */
	r.tcr = T0SZ(12) | T1SZ(12) | TG0_64K | TG1_64K | EPD1 | IPS(6);
	r.ttbr0 = 0x20000;
	x = new_x(&r);
	CHECK(x != NULL);
	{
		uint64_t ps = 0;
		CHECK_OK(hvs_xlat_translate(x, UINT64_C(0x40000001234), &gpa,
					    &ps, NULL));
		CHECK_EQ(gpa, UINT64_C(0x40000001234));
		CHECK_EQ(ps, UINT64_C(1) << 42);
	}
	hvs_xlat_free(x);
	/* 48-bit VAs and IPS: start level 1 with 64 entries; L1[1] is the
	 * same block descriptor, now a reserved encoding (no FEAT_LPA). */
	r.tcr = T0SZ(16) | T1SZ(16) | TG0_64K | TG1_64K | EPD1 | IPS(5);
	x = new_x(&r);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, UINT64_C(0x40000001234), NULL, NULL,
					NULL), HVS_E_NOTPRESENT);
	CHECK_EQ(hvs_xlat_last_fault(x)->kind, F_RS); /* L1[1]: block not allowed */
	CHECK_EQ(hvs_xlat_last_fault(x)->level, 1);
	hvs_xlat_free(x);
}

static void test_xlat_arm64__detect_and_el(void)
{
	hvs_paging_regs r;
	int k = -1;

	memset(&r, 0, sizeof r);
	/* aarch64-tcg guest: SCTLR 0x200000034f4d91d (M set) -> armv8 */
	r.sctlr = UINT64_C(0x200000034f4d91d);
	r.tcr = UINT64_C(0x500074b5503510);
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_ARM64);
	r.sctlr = 0x30d00800; /* reset value: MMU off */
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_NONE);
	CHECK_STATUS(hvs_xlat_in_kernel(&k, &r), HVS_E_NOTFOUND);
	r.have = HVS_REGS_HAVE_PSTATE;
	r.pstate = 0x60000000;      /* EL0t (guest vCPU 0) */
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 0);
	r.pstate = 0x400000c5;      /* EL1h (guest vCPU 1) */
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 1);
	r.pstate = 0x10;            /* AArch32 User */
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 0);
	r.pstate = 0x13;            /* AArch32 Supervisor */
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 1);
}

static void test_xlat_arm64__map_walk(void)
{
	static const struct { uint64_t gva, gpa, size; uint32_t flags; } want[] = {
		{ 0x0, 0x8000, 0x1000, 0xdf },                      /* L3[0]: P W U NX A G LEAF */
		{ 0x2000, UINT64_C(0x100000000000), 0x1000, 0x93 }, /* L3[2]: P W A LEAF (nG) */
		{ 0x200000, 0xa00000, 0x200000, 0x1d1 },            /* L2[1]: P A G LEAF LARGE */
		{ 0x40000000, 0x40000000, 0x40000000, 0x1d3 },      /* L1[1]: P W A G LEAF LARGE */
		{ UINT64_C(0xffffffffc0000000), 0x1000000, 0x200000, 0x3d3 }, /* + PXN */
	};
	rlist l;
	hvs_xlat *x;
	size_t i;

	build_4k();
	x = new_x(&regs4k);
	CHECK(x != NULL);
	memset(&l, 0, sizeof l);
	CHECK_OK(hvs_xlat_map_walk(x, 0, ~UINT64_C(0), 0, collect, &l));
	CHECK_EQ(l.n, sizeof want / sizeof want[0]);
	for (i = 0; i < l.n; i++) {
		CHECK_EQ(l.r[i].gva, want[i].gva);
		CHECK_EQ(l.r[i].gpa, want[i].gpa);
		CHECK_EQ(l.r[i].size, want[i].size);
		CHECK_EQ(l.r[i].flags, want[i].flags);
	}
	hvs_xlat_free(x);
}

TEST_MAIN(TEST(test_xlat_arm64__granule_4k), TEST(test_xlat_arm64__trace),
	  TEST(test_xlat_arm64__ips_and_epd), TEST(test_xlat_arm64__granule_16k),
	  TEST(test_xlat_arm64__granule_64k_lpa),
	  TEST(test_xlat_arm64__detect_and_el), TEST(test_xlat_arm64__map_walk))
