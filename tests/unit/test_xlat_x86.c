/* SPDX-License-Identifier: MIT */
/*
 * x86 paging (src/xlat/x86.c): table-driven tests on synthetic page
 * tables in a memory buffer (libkdumpfile tests/addrxlat-x86_64-4l
 * style).  Every entry is commented with its path.  Expected values are
 * worked out by hand from the Intel SDM Vol.3A chapter 4 entry formats,
 * not taken from the engine.
 */
#include "test.h"

#define MEM_SIZE 0x20000u
#include "xlat_cases.h"

#define P  0x1u
#define RW 0x2u
#define US 0x4u
#define A  0x20u
#define D  0x40u
#define PS 0x80u
#define G  0x100u
#define NX (UINT64_C(1) << 63)

static mem M;

/* IA-32e tables shared by the 4-level and 5-level tests. */
static void build_long(void)
{
	memset(&M, 0, sizeof M);
	put64(&M, 0x1000 + 0x000 * 8, 0x2000 | P | RW | US);    /* PML4[0] -> PDPT @0x2000 */
	put64(&M, 0x1000 + 0x1ff * 8, 0x3000 | P | RW);         /* PML4[0x1ff] -> PDPT @0x3000 (kernel) */
	put64(&M, 0x2000 + 0 * 8, 0x4000 | P | RW | US);        /* PML4[0]/PDPT[0] -> PD @0x4000 */
	put64(&M, 0x2000 + 1 * 8, 0x40000000 | P | RW | PS);    /* PML4[0]/PDPT[1] -> 1 GiB page @0x40000000 */
	put64(&M, 0x2000 + 2 * 8, 0x80000000 | P | RW | PS | (1u << 13)); /* PML4[0]/PDPT[2] -> 1 GiB page, reserved bit 13 */
	put64(&M, 0x4000 + 0 * 8, 0x5000 | P | RW | US);        /* PML4[0]/PDPT[0]/PD[0] -> PT @0x5000 */
	put64(&M, 0x4000 + 1 * 8, 0xa00000 | P | RW | A | D | PS); /* PML4[0]/PDPT[0]/PD[1] -> 2 MiB page @0xa00000 */
	put64(&M, 0x4000 + 2 * 8, 0x100000 | P | RW | US);      /* PML4[0]/PDPT[0]/PD[2] -> PT @0x100000 (not in the image) */
	/* PML4[0]/PDPT[0]/PD[3] = 0: not present */
	put64(&M, 0x4000 + 4 * 8, 0xc00000 | P | RW | PS | (1u << 20)); /* PML4[0]/PDPT[0]/PD[4] -> 2 MiB page, reserved bit 20 */
	put64(&M, 0x5000 + 0 * 8, 0x8000 | P | RW | US | NX);   /* .../PD[0]/PT[0] -> 4 KiB page @0x8000, no-execute */
	/* .../PD[0]/PT[1] = 0: not present */
	put64(&M, 0x5000 + 2 * 8, 0x9000 | P | RW | US | A | D); /* .../PD[0]/PT[2] -> 4 KiB page @0x9000 */
	put64(&M, 0x5000 + 3 * 8, 0xb000 | P | US);             /* .../PD[0]/PT[3] -> 4 KiB page @0xb000, read-only */
	put64(&M, 0x5000 + 4 * 8, UINT64_C(0xFFFFFFFFFF000) | P); /* .../PD[0]/PT[4] -> page @2^52-4K (PA bit 51 set) */
	put64(&M, 0x3000 + 0x1fe * 8, 0x6000 | P | RW);         /* PML4[0x1ff]/PDPT[0x1fe] -> PD @0x6000 */
	put64(&M, 0x6000 + 0 * 8, 0x1000000 | P | RW | PS | G); /* PML4[0x1ff]/PDPT[0x1fe]/PD[0] -> 2 MiB page @0x1000000 */
	put64(&M, 0x6000 + 1 * 8, 0x1200000 | P | RW | PS | G); /* PML4[0x1ff]/PDPT[0x1fe]/PD[1] -> 2 MiB page @0x1200000 */
	/* 5-level root */
	put64(&M, 0x7000 + 0x000 * 8, 0x1000 | P | RW | US);    /* PML5[0] -> PML4 @0x1000 */
	put64(&M, 0x7000 + 0x1ff * 8, 0x1000 | P | RW);         /* PML5[0x1ff] -> PML4 @0x1000 */
	/* data */
	memcpy(M.b + 0x8000 + 0xff0, "ABCDEFGHIJKLMNOP", 16);
	memcpy(M.b + 0x9000, "QRSTUVWX", 8);
}

static hvs_xlat *new_x(const hvs_paging_regs *r, unsigned flags)
{
	hvs_xlat *x = NULL;
	if (hvs_xlat_new(&x, r, mem_read, &M, flags, NULL) != HVS_OK)
		return NULL;
	return x;
}

static const hvs_paging_regs long4 = {
	.cr0 = 0x80050033, .cr3 = 0x1000, .cr4 = 0x6f0, .efer = 0xd01
};

#define NP HVS_E_NOTPRESENT
#define F_NP HVS_XLAT_FAULT_NOT_PRESENT
#define F_NC HVS_XLAT_FAULT_NONCANONICAL
#define F_RS HVS_XLAT_FAULT_RESERVED

static void test_xlat_x86__long4(void)
{
	static const xcase c[] = {
		{ 0x0, HVS_OK, 0x8000, 0x1000, 0, 0 },
		{ 0xfff, HVS_OK, 0x8fff, 0x1000, 0, 0 },
		{ 0x1abc, NP, 0x1000 - 0xabc, 0, F_NP, 1 },           /* PT[1] */
		{ 0x2010, HVS_OK, 0x9010, 0x1000, 0, 0 },
		{ 0x3000, HVS_OK, 0xb000, 0x1000, 0, 0 },
		{ 0x4008, HVS_OK, UINT64_C(0xFFFFFFFFFF008), 0x1000, 0, 0 },
		{ 0x5000, NP, 0x1000, 0, F_NP, 1 },                   /* PT[5] */
		{ 0x212345, HVS_OK, 0xa12345, 0x200000, 0, 0 },       /* 2 MiB */
		{ 0x612345, NP, 0x800000 - 0x612345, 0, F_NP, 2 },    /* PD[3] */
		{ 0x812345, NP, 0xa00000 - 0x812345, 0, F_RS, 2 },    /* PD[4] */
		{ 0x40012345, HVS_OK, 0x40012345, 0x40000000, 0, 0 }, /* 1 GiB */
		{ 0x80001000, NP, 0x40000000 - 0x1000, 0, F_RS, 3 },  /* PDPT[2] */
		{ 0xc0000000, NP, 0x40000000, 0, F_NP, 3 },           /* PDPT[3] */
		{ UINT64_C(0x8000000000), NP, UINT64_C(0x8000000000), 0, F_NP, 4 }, /* PML4[1] */
		{ UINT64_C(0x7fffffffffff), NP, 1, 0, F_NP, 4 },      /* PML4[0xff] */
		{ UINT64_C(0x800000000000), NP, UINT64_C(0xffff000000000000), 0, F_NC, -1 },
		{ UINT64_C(0xffff7fffffffffff), NP, 1, 0, F_NC, -1 },
		{ UINT64_C(0xffff800000000000), NP, UINT64_C(0x8000000000), 0, F_NP, 4 }, /* PML4[0x100] */
		{ UINT64_C(0xffffffff80001234), HVS_OK, 0x1001234, 0x200000, 0, 0 },
		{ UINT64_C(0xffffffff80200000), HVS_OK, 0x1200000, 0x200000, 0, 0 },
		{ UINT64_C(0xffffffff80400000), NP, 0x200000, 0, F_NP, 2 }, /* PD@0x6000[2] */
		{ UINT64_C(0xffffffffc0000000), NP, 0x40000000, 0, F_NP, 3 }, /* PDPT@0x3000[0x1ff] */
	};
	hvs_xlat *x;
	uint64_t gpa;

	build_long();
	x = new_x(&long4, HVS_XLAT_NO_CACHE);
	CHECK(x != NULL);
	CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_X64_4LEVEL);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	/* PD[2] points at a PT outside the image: NODATA, not "not mapped". */
	CHECK_STATUS(hvs_xlat_translate(x, 0x400000, &gpa, NULL, NULL),
		     HVS_E_NODATA);
	hvs_xlat_free(x);
}

static void test_xlat_x86__long4_maxphyaddr(void)
{
	hvs_paging_regs r = long4;
	hvs_xlat *x;
	uint64_t um = 0;

	build_long();
	/* MAXPHYADDR 40: PT[4]'s address bits 51:40 become reserved. */
	r.maxphyaddr = 40;
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, 0x4008, NULL, NULL, &um), NP);
	CHECK_EQ(hvs_xlat_last_fault(x)->kind, F_RS);
	CHECK_EQ(hvs_xlat_last_fault(x)->level, 1);
	CHECK_EQ(hvs_xlat_last_fault(x)->entry_gpa, 0x5020);
	CHECK_EQ(um, 0xff8);
	hvs_xlat_free(x);
	/* The permissive walk ignores reserved bits: PD[4] then maps. */
	x = new_x(&r, HVS_XLAT_NO_RSVD_CHECK);
	CHECK(x != NULL);
	{
		uint64_t gpa = 0;
		CHECK_OK(hvs_xlat_translate(x, 0x812345, &gpa, NULL, NULL));
		/* PD[4] = 0xc00000 | bit 20 | flags: 2 MiB base 0xc00000
		 * (bits 20:13 are below the 2 MiB alignment). */
		CHECK_EQ(gpa, 0xc12345);
	}
	hvs_xlat_free(x);
}

static void test_xlat_x86__nx_without_nxe(void)
{
	hvs_paging_regs r = long4;
	hvs_xlat *x;

	build_long();
	r.efer = 0x500; /* LME|LMA, NXE clear: bit 63 is reserved */
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, 0x10, NULL, NULL, NULL), NP);
	CHECK_EQ(hvs_xlat_last_fault(x)->kind, F_RS);
	CHECK_EQ(hvs_xlat_last_fault(x)->level, 1);
	hvs_xlat_free(x);
}

static void test_xlat_x86__long5(void)
{
	static const xcase c[] = {
		{ 0x2010, HVS_OK, 0x9010, 0x1000, 0, 0 },
		{ UINT64_C(0xffffffff80001234), HVS_OK, 0x1001234, 0x200000, 0, 0 },
		/* canonical in 5-level, PML5[0]/PML4[0x100] not present */
		{ UINT64_C(0x800000000000), NP, UINT64_C(0x8000000000), 0, F_NP, 4 },
		/* PML5[1] not present: a 256 TiB region */
		{ UINT64_C(0x1000000000000), NP, UINT64_C(0x1000000000000), 0, F_NP, 5 },
		/* bit 56 set, bits 63:57 clear: non-canonical */
		{ UINT64_C(0x0100000000000000), NP, UINT64_C(0xfe00000000000000), 0, F_NC, -1 },
		{ UINT64_C(0xfeffffffffffffff), NP, 1, 0, F_NC, -1 },
	};
	hvs_paging_regs r = long4;
	hvs_xlat *x;

	build_long();
	r.cr3 = 0x7000;
	r.cr4 |= 1u << 12; /* LA57 */
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_X64_5LEVEL);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	hvs_xlat_free(x);
}

static void test_xlat_x86__trace(void)
{
	hvs_paging_regs r = long4;
	hvs_xlat_walk w;
	hvs_xlat *x;
	hvs_status s;

	build_long();
	r.cr3 = 0x7000;
	r.cr4 |= 1u << 12;
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_OK(hvs_xlat_walk_init(x, &w, UINT64_C(0xffffffff80001234)));
	CHECK_EQ(w.nsteps, 0);
	CHECK_OK(hvs_xlat_walk_step(x, &w));
	CHECK_EQ(w.done, 0);
	CHECK_STR(w.steps[0].name, "PML5E");
	CHECK_EQ(w.steps[0].entry_gpa, 0x7ff8); /* PML5[0x1ff] */
	CHECK_EQ(w.steps[0].entry, 0x1003);
	CHECK_EQ(w.steps[0].span, UINT64_C(1) << 48);
	do {
		s = hvs_xlat_walk_step(x, &w);
	} while (s == HVS_OK && !w.done);
	CHECK_OK(s);
	CHECK_EQ(w.nsteps, 4);
	CHECK_STR(w.steps[1].name, "PML4E");
	CHECK_EQ(w.steps[1].entry_gpa, 0x1ff8); /* PML4[0x1ff] */
	CHECK_EQ(w.steps[1].entry, 0x3003);
	CHECK_STR(w.steps[2].name, "PDPTE");
	CHECK_EQ(w.steps[2].entry_gpa, 0x3ff0); /* PDPT[0x1fe] */
	CHECK_EQ(w.steps[2].entry, 0x6003);
	CHECK_STR(w.steps[3].name, "PDE");
	CHECK_EQ(w.steps[3].entry_gpa, 0x6000); /* PD[0] */
	CHECK_EQ(w.steps[3].entry, 0x1000183);
	CHECK_EQ(w.steps[3].level, 2);
	CHECK_EQ(w.steps[3].flags, HVS_XLAT_F_PRESENT | HVS_XLAT_F_WRITE |
				   HVS_XLAT_F_LEAF | HVS_XLAT_F_LARGE |
				   HVS_XLAT_F_GLOBAL);
	CHECK_EQ(w.gpa, 0x1001234);
	CHECK_EQ(w.page_size, 0x200000);
	/* a finished walk takes no more steps */
	CHECK_STATUS(hvs_xlat_walk_step(x, &w), HVS_E_INVALID);
	/* a failing walk records the not-present entry */
	CHECK_OK(hvs_xlat_walk_init(x, &w, 0x1000));
	do {
		s = hvs_xlat_walk_step(x, &w);
	} while (s == HVS_OK && !w.done);
	CHECK_STATUS(s, NP);
	CHECK_EQ(w.nsteps, 5);
	CHECK_STR(w.steps[4].name, "PTE");
	CHECK_EQ(w.steps[4].entry_gpa, 0x5008);
	CHECK_EQ(w.steps[4].entry, 0);
	CHECK_EQ(w.fault.kind, F_NP);
	CHECK_EQ(w.unmapped_size, 0x1000);
	hvs_xlat_free(x);
}

/* PAE: PDPT at CR3 bits 31:5, four PDPTEs, 2 MiB and 4 KiB pages. */
static void build_pae(void)
{
	memset(&M, 0, sizeof M);
	put64(&M, 0x1020, 0x2000 | P);                          /* PDPTE[0] -> PD @0x2000 */
	/* PDPTE[1] @0x1028 = 0: not present */
	put64(&M, 0x1030, 0x3000 | P | RW);                     /* PDPTE[2] -> PD @0x3000, reserved bit 1 */
	put64(&M, 0x1038, 0x4000 | P);                          /* PDPTE[3] -> PD @0x4000 */
	put64(&M, 0x2000 + 0 * 8, 0x5000 | P | RW | US);        /* PDPTE[0]/PD[0] -> PT @0x5000 */
	put64(&M, 0x2000 + 1 * 8, UINT64_C(0x100600000) | P | RW | PS | NX); /* PDPTE[0]/PD[1] -> 2 MiB @0x100600000 */
	put64(&M, 0x5000 + 0 * 8, UINT64_C(0x123456000) | P | RW | US); /* PDPTE[0]/PD[0]/PT[0] -> 4 KiB @0x123456000 */
	put64(&M, 0x4000 + 0x1ff * 8, 0xe00000 | P | RW | PS); /* PDPTE[3]/PD[0x1ff] -> 2 MiB @0xe00000 */
	put64(&M, 0x4000 + 0x1fe * 8, 0xc00000 | P | RW | PS | (UINT64_C(1) << 52)); /* PDPTE[3]/PD[0x1fe]: bit 52 reserved */
}

static void test_xlat_x86__pae(void)
{
	static const xcase c[] = {
		{ 0x10, HVS_OK, UINT64_C(0x123456010), 0x1000, 0, 0 },
		{ 0x1000, NP, 0x1000, 0, F_NP, 1 },
		{ 0x200345, HVS_OK, UINT64_C(0x100600345), 0x200000, 0, 0 },
		{ 0x40000005, NP, 0x3ffffffb, 0, F_NP, 3 },            /* PDPTE[1] */
		{ 0x80000000, NP, 0x40000000, 0, F_RS, 3 },            /* PDPTE[2] */
		{ 0xffe00010, HVS_OK, 0xe00010, 0x200000, 0, 0 },
		{ 0xffc00000, NP, 0x200000, 0, F_RS, 2 },              /* PD[0x1fe] */
		{ 0xc0000000, NP, 0x200000, 0, F_NP, 2 },              /* PD[0] of PDPTE[3] */
		{ UINT64_C(0x100000000), NP, UINT64_C(0xffffffff00000000), 0, F_NC, -1 },
	};
	hvs_paging_regs r = { .cr0 = 0x80050033, .cr3 = 0x1020, .cr4 = 0x6f0,
			      .efer = 0x800 };
	hvs_xlat *x;

	build_pae();
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_X86_PAE);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	hvs_xlat_free(x);
	/* Without EFER.NXE the XD bit of PD[1] is reserved. */
	r.efer = 0;
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, 0x200345, NULL, NULL, NULL), NP);
	CHECK_EQ(hvs_xlat_last_fault(x)->kind, F_RS);
	CHECK_EQ(hvs_xlat_last_fault(x)->level, 2);
	hvs_xlat_free(x);
}

/* 32-bit paging: 4-byte entries, 4 MiB pages with CR4.PSE, PSE-36. */
static void build_32(void)
{
	memset(&M, 0, sizeof M);
	put32(&M, 0x1000 + 0 * 4, 0x2000 | P | RW | US);        /* PD[0] -> PT @0x2000 */
	put32(&M, 0x1000 + 1 * 4, 0x800000 | P | RW | PS);      /* PD[1] -> 4 MiB @0x800000 */
	put32(&M, 0x1000 + 2 * 4, 0xc00000 | P | RW | PS | (0x12u << 13)); /* PD[2] -> 4 MiB @0x1200c00000 (PSE-36) */
	put32(&M, 0x1000 + 3 * 4, 0x400000 | P | RW | PS | (1u << 21)); /* PD[3]: reserved bit 21 */
	/* PD[0x300] = 0: not present */
	put32(&M, 0x2000 + 5 * 4, 0x7000 | P | RW);             /* PD[0]/PT[5] -> 4 KiB @0x7000 */
}

static void test_xlat_x86__x86_32(void)
{
	static const xcase c[] = {
		{ 0x5123, HVS_OK, 0x7123, 0x1000, 0, 0 },
		{ 0x6000, NP, 0x1000, 0, F_NP, 1 },
		{ 0x401234, HVS_OK, 0x801234, 0x400000, 0, 0 },
		{ 0x800010, HVS_OK, UINT64_C(0x1200c00010), 0x400000, 0, 0 },
		{ 0xc00000, NP, 0x400000, 0, F_RS, 2 },
		{ 0xc0001000, NP, 0x3ff000, 0, F_NP, 2 },
		{ UINT64_C(0x100000000), NP, UINT64_C(0xffffffff00000000), 0, F_NC, -1 },
	};
	hvs_paging_regs r = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x10 };
	hvs_xlat *x;

	build_32();
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_X86_32);
	CHECK(run_cases(x, c, sizeof c / sizeof c[0]));
	hvs_xlat_free(x);
	/* CR4.PSE clear: PD[1]'s bit 7 is ignored, it points at a page
	 * table at 0x800000, which is not in the image. */
	r.cr4 = 0;
	x = new_x(&r, 0);
	CHECK(x != NULL);
	CHECK_STATUS(hvs_xlat_translate(x, 0x401234, NULL, NULL, NULL),
		     HVS_E_NODATA);
	hvs_xlat_free(x);
}

static void test_xlat_x86__detect(void)
{
	/* Register values from the QEMU guests in ../shared/guests (QEMU's
	 * own paging_mode in brackets) and SDM table 4-1. */
	hvs_paging_regs r;
	memset(&r, 0, sizeof r);
	r.cr0 = 0x80050033; r.cr4 = 0x6f0; r.efer = 0x800;          /* pae */
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_X86_PAE);
	r.efer = 0xd01;                                             /* long4 */
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_X64_4LEVEL);
	r.cr4 = 0x16f0;                                             /* long5 */
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_X64_5LEVEL);
	r.cr4 = 0x690; r.efer = 0;                                  /* 32bit */
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_X86_32);
	r.cr0 = 0x60000011;                                         /* PG clear */
	CHECK_EQ(hvs_xlat_detect_mode(&r), HVS_PAGING_NONE);
	CHECK_STR(hvs_paging_mode_name(HVS_PAGING_X64_5LEVEL), "x64-5level");
	/* An override wins over detection; an ARM64 mode on x86 registers
	 * is refused. */
	{
		hvs_xlat *x = NULL;
		build_long();
		r.cr0 = 0x80050033; r.cr3 = 0x1000; r.cr4 = 0x6f0;
		r.efer = 0xd01; r.mode = HVS_PAGING_NONE;
		x = new_x(&r, 0);
		CHECK(x != NULL);
		CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_NONE);
		{
			uint64_t gpa = 0;
			CHECK_OK(hvs_xlat_translate(x, 0x123456789, &gpa, NULL, NULL));
			CHECK_EQ(gpa, 0x123456789);
		}
		r.mode = HVS_PAGING_ARM64;
		r.arch = HVS_XLAT_ARCH_X86;
		CHECK_STATUS(hvs_xlat_set_regs(x, &r), HVS_E_INVALID);
		CHECK_EQ(hvs_xlat_mode(x), HVS_PAGING_NONE);
		hvs_xlat_free(x);
	}
}

static void test_xlat_x86__in_kernel(void)
{
	hvs_paging_regs r;
	int k = -1;
	memset(&r, 0, sizeof r);
	r.cr0 = 0x80050033;
	CHECK_STATUS(hvs_xlat_in_kernel(&k, &r), HVS_E_NOTFOUND);
	/* QEMU's SS flags 0x00cf9300 (DPL 0) -> attributes 0xcf93;
	 * 0x00cff300 (DPL 3) -> 0xcff3. */
	r.have = HVS_REGS_HAVE_SS_ATTR;
	r.ss_attr = 0xcf93;
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 1);
	r.ss_attr = 0xcff3;
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 0);
	/* The saved CPL wins. */
	r.have |= HVS_REGS_HAVE_CPL;
	r.cpl = 0;
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 1);
	/* CS RPL only: 0x33 (user code, RPL 3), 0x10 (kernel). */
	r.have = HVS_REGS_HAVE_CS_SEL;
	r.cs_sel = 0x33;
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 0);
	r.cs_sel = 0x10;
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 1);
	/* Real mode is privileged whatever the selectors say. */
	r.cr0 = 0x10;
	r.cs_sel = 0xf003;
	CHECK_OK(hvs_xlat_in_kernel(&k, &r));
	CHECK_EQ(k, 1);
	CHECK_STATUS(hvs_xlat_in_kernel(NULL, &r), HVS_E_INVALID);
}

static void test_xlat_x86__cache(void)
{
	hvs_xlat_stats st;
	hvs_xlat *x;
	uint64_t gpa = 0, ps = 0;

	build_long();
	x = new_x(&long4, 0);
	CHECK(x != NULL);
	CHECK_OK(hvs_xlat_translate(x, 0x212345, &gpa, &ps, NULL));
	CHECK_OK(hvs_xlat_translate(x, 0x212fff, &gpa, &ps, NULL));
	CHECK_EQ(gpa, 0xa12fff);
	CHECK_EQ(ps, 0x200000);
	hvs_xlat_get_stats(x, &st);
	CHECK_EQ(st.hits, 1);
	CHECK_EQ(st.misses, 1);
	CHECK_EQ(st.reads, 3);
	/* After the tables change, flush makes the change visible. */
	put64(&M, 0x4000 + 1 * 8, 0xe00000 | P | RW | PS); /* PD[1] -> 2 MiB @0xe00000 */
	CHECK_OK(hvs_xlat_translate(x, 0x212345, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0xa12345); /* stale, from the cache */
	hvs_xlat_flush(x);
	CHECK_OK(hvs_xlat_translate(x, 0x212345, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0xe12345);
	/* faults are never cached */
	CHECK_STATUS(hvs_xlat_translate(x, 0x1000, NULL, NULL, NULL), NP);
	CHECK_STATUS(hvs_xlat_translate(x, 0x1000, NULL, NULL, NULL), NP);
	hvs_xlat_free(x);
}

static void test_xlat_x86__read(void)
{
	hvs_xlat *x;
	char buf[32];
	size_t done = 99;

	build_long();
	x = new_x(&long4, 0);
	CHECK(x != NULL);
	/* VA 0xff0..0xfff is GPA 0x8ff0 (PT[0]); VA 0x1000 is not present */
	CHECK_STATUS(hvs_xlat_read(x, 0xff0, buf, 32, &done), NP);
	CHECK_EQ(done, 16);
	CHECK_MEM(buf, "ABCDEFGHIJKLMNOP", 16);
	/* VA 0x2000 -> GPA 0x9000 */
	CHECK_OK(hvs_xlat_read(x, 0x2000, buf, 8, &done));
	CHECK_EQ(done, 8);
	CHECK_MEM(buf, "QRSTUVWX", 8);
	/* VA 0x4000 maps GPA 2^52-4K: the data page is not in the image */
	CHECK_STATUS(hvs_xlat_read(x, 0x4000, buf, 8, &done), HVS_E_NODATA);
	CHECK_EQ(done, 0);
	/* across PT[2] -> PT[3]: GPA 0x9ffc.. then 0xb000.. */
	memcpy(M.b + 0x9ffc, "1234", 4);
	memcpy(M.b + 0xb000, "5678", 4);
	CHECK_OK(hvs_xlat_read(x, 0x2ffc, buf, 8, &done));
	CHECK_EQ(done, 8);
	CHECK_MEM(buf, "12345678", 8);
	hvs_xlat_free(x);
}

static void test_xlat_x86__map_walk(void)
{
	/* Every present, well-formed leaf of build_long() in VA order;
	 * PD[4] and PDPT[2] have reserved bits and map nothing. */
	static const struct { uint64_t gva, gpa, size; uint32_t flags; } want[] = {
		{ 0x0, 0x8000, 0x1000, 0x08f },                     /* PT[0]: P W U NX LEAF */
		{ 0x2000, 0x9000, 0x1000, 0x0b7 },                  /* PT[2]: P W U A D LEAF */
		{ 0x3000, 0xb000, 0x1000, 0x085 },                  /* PT[3]: P U LEAF */
		{ 0x4000, UINT64_C(0xFFFFFFFFFF000), 0x1000, 0x081 }, /* PT[4]: P LEAF */
		{ 0x200000, 0xa00000, 0x200000, 0x1b3 },            /* PD[1]: P W A D LEAF LARGE */
		{ 0x400000, 0x100000, 0x200000, HVS_XLAT_F_NODATA }, /* PD[2]: PT unreadable */
		{ 0x40000000, 0x40000000, 0x40000000, 0x183 },      /* PDPT[1]: P W LEAF LARGE */
		{ UINT64_C(0xffffffff80000000), 0x1000000, 0x200000, 0x1c3 }, /* P W G LEAF LARGE */
		{ UINT64_C(0xffffffff80200000), 0x1200000, 0x200000, 0x1c3 },
	};
	rlist l;
	hvs_xlat *x;
	size_t i;

	build_long();
	x = new_x(&long4, 0);
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
	/* merged: the two kernel 2 MiB pages are contiguous in VA and PA */
	memset(&l, 0, sizeof l);
	CHECK_OK(hvs_xlat_map_walk(x, 0, ~UINT64_C(0), HVS_XLAT_MAP_MERGE,
				   collect, &l));
	CHECK_EQ(l.n, 8);
	CHECK_EQ(l.r[7].gva, UINT64_C(0xffffffff80000000));
	CHECK_EQ(l.r[7].size, 0x400000);
	/* a range: only the kernel half */
	memset(&l, 0, sizeof l);
	CHECK_OK(hvs_xlat_map_walk(x, UINT64_C(0xffff800000000000),
				   ~UINT64_C(0), 0, collect, &l));
	CHECK_EQ(l.n, 2);
	/* strict: the unreadable PT is an error */
	memset(&l, 0, sizeof l);
	CHECK_STATUS(hvs_xlat_map_walk(x, 0, ~UINT64_C(0), HVS_XLAT_MAP_STRICT,
				       collect, &l), HVS_E_NODATA);
	hvs_xlat_free(x);
}

static void test_xlat_x86__map_walk_aliased(void)
{
	/* Hostile aliasing: every entry of each level points at the one
	 * table of the next level and the last level is empty, so there are
	 * 512^4 paths to a table that maps nothing.  The walker must finish
	 * at once (each empty table is scanned once) with no region. */
	hvs_paging_regs r = long4;
	hvs_xlat_stats st;
	hvs_xlat *x;
	rlist l;
	unsigned i;

	memset(&M, 0, sizeof M);
	for (i = 0; i < 512; i++) {
		put64(&M, 0x1000 + i * 8, 0x2000 | P | RW); /* PML5[i] -> PML4 @0x2000 */
		put64(&M, 0x2000 + i * 8, 0x3000 | P | RW); /* PML4[i] -> PDPT @0x3000 */
		put64(&M, 0x3000 + i * 8, 0x4000 | P | RW); /* PDPT[i] -> PD @0x4000 */
		put64(&M, 0x4000 + i * 8, 0x5000 | P | RW); /* PD[i] -> PT @0x5000 */
	}
	/* PT @0x5000: all 512 entries 0 (not present) */
	r.cr3 = 0x1000;
	r.cr4 |= 1u << 12;
	x = new_x(&r, 0);
	CHECK(x != NULL);
	memset(&l, 0, sizeof l);
	CHECK_OK(hvs_xlat_map_walk(x, 0, ~UINT64_C(0), 0, collect, &l));
	CHECK_EQ(l.n, 0);
	hvs_xlat_get_stats(x, &st);
	CHECK_EQ(st.reads, 5); /* one read per distinct table */
	hvs_xlat_free(x);
}

static void test_xlat_x86__set_regs(void)
{
	hvs_paging_regs r = long4;
	hvs_xlat *x;
	uint64_t gpa = 0;

	build_long();
	x = new_x(&long4, 0);
	CHECK(x != NULL);
	CHECK_OK(hvs_xlat_translate(x, 0x2010, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0x9010);
	/* Another address space, CR3 = 0x7000, over the same memory; VA
	 * 0x2010 has indices 0, 0, 0, 2:
	 * PML4 @0x7000[0] -> PDPT @0x1000; PDPT @0x1000[0] -> PD @0x2000;
	 * PD @0x2000[0] -> PT @0x4000; PT @0x4000[2] = 0x100000|P|RW|US. */
	r.cr3 = 0x7000;
	CHECK_OK(hvs_xlat_set_regs(x, &r));
	CHECK_OK(hvs_xlat_translate(x, 0x2010, &gpa, NULL, NULL));
	CHECK_EQ(gpa, 0x100010);
	hvs_xlat_free(x);
}

static void test_xlat_x86__oom_and_args(void)
{
	test_failalloc fa;
	hvs_xlat *x = (hvs_xlat *)&fa;
	test_failalloc_init(&fa, 1);
	CHECK_STATUS(hvs_xlat_new(&x, &long4, mem_read, &M, 0, &fa.a),
		     HVS_E_NOMEM);
	CHECK(x == NULL);
	CHECK_STATUS(hvs_xlat_new(&x, NULL, mem_read, &M, 0, NULL),
		     HVS_E_INVALID);
	CHECK_STATUS(hvs_xlat_new(&x, &long4, NULL, &M, 0, NULL),
		     HVS_E_INVALID);
	CHECK_STATUS(hvs_xlat_translate(NULL, 0, NULL, NULL, NULL),
		     HVS_E_INVALID);
	hvs_xlat_free(NULL);
}

TEST_MAIN(TEST(test_xlat_x86__long4), TEST(test_xlat_x86__long4_maxphyaddr),
	  TEST(test_xlat_x86__nx_without_nxe), TEST(test_xlat_x86__long5),
	  TEST(test_xlat_x86__trace), TEST(test_xlat_x86__pae),
	  TEST(test_xlat_x86__x86_32), TEST(test_xlat_x86__detect),
	  TEST(test_xlat_x86__in_kernel), TEST(test_xlat_x86__cache),
	  TEST(test_xlat_x86__read), TEST(test_xlat_x86__map_walk),
	  TEST(test_xlat_x86__map_walk_aliased), TEST(test_xlat_x86__set_regs),
	  TEST(test_xlat_x86__oom_and_args))
