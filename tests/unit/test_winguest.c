/* SPDX-License-Identifier: MIT */
/*
 * Self-test of the Windows-like guest fixture (tests/data/winguest): what
 * the other tests rely on is checked against the linker's own output,
 * not against this library's PE or PDB code:
 *  - every section lies in guest memory as a loader maps it: the bytes at
 *    base + VirtualAddress equal the file's raw data (the rest zero), with
 *    the protections its characteristics ask for;
 *  - the kernel data sits at the addresses llvm-pdbutil gives for the
 *    public symbols (section:offset, sections from llvm-readobj) and holds
 *    what a debugger expects: KdDebuggerDataBlock ("KDBG", KernBase,
 *    PsLoadedModuleList ...), the module list, KiProcessorBlock and the
 *    KPRCB context pointers, the IDT gates, KUSER_SHARED_DATA at both
 *    addresses;
 *  - the registers: VP 0 in kernel mode at KiIdleLoop with GS = KiPcr, VP 1
 *    in user mode, IDTR = KiIdt, LSTAR = KiSystemCall64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "winguest_util.h"

typedef struct pdbinfo {
	char *pubs;    /* llvm-pdbutil dump --publics */
	char *secs;    /* llvm-readobj --sections of the image */
	uint64_t base;
} pdbinfo;

/* Virtual address of public symbol @name: "addr = SSSS:OOOO" (decimal). */
static int pub(const pdbinfo *p, const char *name, uint64_t *va)
{
	char pat[128];
	const char *s, *b;
	unsigned sec, off, i;
	uint64_t rva;

	snprintf(pat, sizeof pat, "`%s`", name);
	s = strstr(p->pubs, pat);
	if (!s || !(s = strstr(s, "addr = ")) || sscanf(s, "addr = %u:%u", &sec, &off) != 2)
		return 0;
	for (b = p->secs, i = 0; i < sec; i++)
		if (!(b = wg_block(b + (i != 0), "Section")))
			return 0;
	if (!wg_field(b, "VirtualAddress", &rva))
		return 0;
	*va = p->base + rva + off;
	return 1;
}

static int load_info(pdbinfo *p, const char *image, const char *pdb, uint64_t base)
{
	p->pubs = wg_run(wg_tool("pdbutil"), "dump --publics", wg_file(pdb));
	p->secs = wg_run(wg_tool("readobj"), "--sections", wg_file(image));
	p->base = base;
	return p->pubs && p->secs;
}

static void free_info(pdbinfo *p)
{
	free(p->pubs);
	free(p->secs);
}

#define NEED_FIXTURE()                                                         \
	do {                                                                   \
		if (!wg_file("winguest.vmrs"))                                 \
			SKIP("winguest fixture not built (needs clang and lld; " \
			     "ctest -R winguest_fixture)");                    \
		if (!wg_tool("readobj") || !wg_tool("pdbutil"))                \
			SKIP("llvm-readobj / llvm-pdbutil not found");         \
	} while (0)

static uint64_t rd(hvs_image *img, uint32_t vp, uint64_t va, size_t n)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;
	size_t i;

	if (hvs_vp_read(img, vp, va, b, n, NULL) != HVS_OK)
		return 0xDEADDEADDEADDEADull;
	for (i = n; i-- > 0;)
		v = v << 8 | b[i];
	return v;
}

/* VA ranges the builder writes as a loader or the booting kernel would
 * (the IDT gates, the module entries' loader fields). */
typedef struct skip {
	uint64_t va, len;
} skip;

static int skipped(const skip *sk, size_t n, uint64_t va)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (va >= sk[i].va && va - sk[i].va < sk[i].len)
			return 1;
	return 0;
}

/* Sections of @file at @base in VP @vp's memory, byte for byte, except
 * the @nsk ranges in @sk. */
static void check_mapped(hvs_image *img, uint32_t vp, const char *file, uint64_t base,
			 const skip *sk, size_t nsk)
{
	char *ro = wg_run(wg_tool("readobj"), "--sections", wg_file(file));
	uint8_t *data, *mem;
	size_t len;
	const char *b;
	uint64_t vsize, rva, raw, off, fl;

	data = test_read_file(wg_file(file), &len);
	CHECK(ro && data);
	mem = malloc(0x100000);
	CHECK(mem);
	for (b = wg_block(ro, "Section"); b; b = wg_block(b + 1, "Section")) {
		uint64_t n, i;
		hvs_xlat_walk w;

		CHECK(wg_field(b, "VirtualSize", &vsize) && wg_field(b, "VirtualAddress", &rva) &&
		      wg_field(b, "RawDataSize", &raw) && wg_field(b, "PointerToRawData", &off) &&
		      wg_field(b, "Characteristics", &fl));
		CHECK(vsize <= 0x100000 && off + raw <= len);
		CHECK_OK(hvs_vp_read(img, vp, base + rva, mem, vsize, NULL));
		n = raw < vsize ? raw : vsize;
		for (i = 0; i < vsize; i++) {
			if (skipped(sk, nsk, base + rva + i))
				continue;
			if (mem[i] != (i < n ? data[off + i] : 0)) {
				test__fail(__FILE__, __LINE__, "%s: VA 0x%" PRIx64 ": 0x%02x, file 0x%02x",
					   file, base + rva + i, mem[i], i < n ? data[off + i] : 0);
				break;
			}
		}
		/* Protections: execute and write as the section asks. */
		CHECK_OK(hvs_vp_trace(img, vp, base + rva, &w));
		CHECK_EQ(!(w.flags & HVS_XLAT_F_NX), !!(fl & 0x20000000));
		CHECK_EQ(!!(w.flags & HVS_XLAT_F_WRITE), !!(fl & 0x80000000));
		CHECK_EQ(w.flags & HVS_XLAT_F_USER, 0);
	}
	free(mem);
	free(data);
	free(ro);
}

static void test_winguest__images_mapped(void)
{
	hvs_image *img = NULL;
	uint32_t vp;
	uint8_t hdr[0x200], *file;
	size_t len;
	pdbinfo k;
	skip sk[3];

	NEED_FIXTURE();
	memset(&k, 0, sizeof k);
	CHECK(load_info(&k, "ntkrnlmp.exe", "ntkrnlmp.pdb", WG_KERNEL_BASE));
	CHECK(pub(&k, "KiIdt", &sk[0].va) && pub(&k, "KiKernelLdrEntry", &sk[1].va) &&
	      pub(&k, "KiDriverLdrEntry", &sk[2].va));
	sk[0].len = 256 * 16;
	sk[1].len = sk[2].len = 0xA0;
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	for (vp = 0; vp < WG_VP_COUNT && !test__failed; vp++) {
		check_mapped(img, vp, "ntkrnlmp.exe", WG_KERNEL_BASE, sk, 3);
		check_mapped(img, vp, "hvsdrv.sys", WG_DRIVER_BASE, NULL, 0);
	}
	free_info(&k);
	/* The headers too. */
	file = test_read_file(wg_file("hvsdrv.sys"), &len);
	CHECK(file && len >= sizeof hdr);
	CHECK_OK(hvs_vp_read(img, 0, WG_DRIVER_BASE, hdr, sizeof hdr, NULL));
	CHECK_MEM(hdr, file, sizeof hdr);
	free(file);
	hvs_image_close(img);
}

static void test_winguest__kernel_data(void)
{
	hvs_image *img = NULL;
	pdbinfo k;
	uint64_t kdbg, lml, aph, pfn, kpb, kpcr, ctx, idt, pf, e, v;
	uint16_t off;
	char name[64];
	uint8_t b[64];
	int i;

	NEED_FIXTURE();
	memset(&k, 0, sizeof k);
	CHECK(load_info(&k, "ntkrnlmp.exe", "ntkrnlmp.pdb", WG_KERNEL_BASE));
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	CHECK(pub(&k, "KdDebuggerDataBlock", &kdbg) && pub(&k, "PsLoadedModuleList", &lml) &&
	      pub(&k, "PsActiveProcessHead", &aph) && pub(&k, "MmPfnDatabase", &pfn) &&
	      pub(&k, "KiProcessorBlock", &kpb) && pub(&k, "KiPcr", &kpcr) &&
	      pub(&k, "KiProcessorContext", &ctx) && pub(&k, "KiIdt", &idt) &&
	      pub(&k, "KiPageFault", &pf));
	/* KDDEBUGGER_DATA64 at the offsets of spec/format.md 9.4. */
	CHECK_EQ(rd(img, 0, kdbg + 0x10, 4), 0x4742444B); /* "KDBG" */
	CHECK_EQ(rd(img, 0, kdbg + 0x14, 4), 0x368);
	CHECK_EQ(rd(img, 0, kdbg + 0x18, 8), WG_KERNEL_BASE);
	CHECK_EQ(rd(img, 0, kdbg + 0x48, 8), lml);
	CHECK_EQ(rd(img, 0, kdbg + 0x50, 8), aph);
	CHECK_EQ(rd(img, 0, kdbg + 0xC0, 8), pfn);
	CHECK_EQ(rd(img, 0, pfn, 8), WG_PFN_DB_VA);
	CHECK_EQ(rd(img, 0, kdbg + 0x218, 8), kpb);
	/* PsLoadedModuleList: the kernel, then the driver, then back. */
	e = rd(img, 0, lml, 8);
	for (i = 0; i < 2; i++) {
		uint64_t base = i ? WG_DRIVER_BASE : WG_KERNEL_BASE;
		const char *want = i ? "hvsdrv.sys" : "ntoskrnl.exe";
		uint64_t buf, n, j;

		CHECK_EQ(rd(img, 0, e + 0x30, 8), base);            /* DllBase */
		CHECK(rd(img, 0, e + 0x40, 4) >= 0x1000);           /* SizeOfImage */
		n = rd(img, 0, e + 0x58, 2);                        /* BaseDllName.Length */
		buf = rd(img, 0, e + 0x60, 8);
		CHECK(n == 2 * strlen(want) && n < sizeof b);
		CHECK_OK(hvs_vp_read(img, 0, buf, b, n, NULL));
		for (j = 0; j < n / 2; j++)
			name[j] = (char)b[2 * j];
		name[n / 2] = '\0';
		CHECK_STR(name, want);
		e = rd(img, 0, e, 8);                               /* Flink */
	}
	CHECK_EQ(e, lml);
	/* KiProcessorBlock[i] -> KiPcr[i].Prcb; Prcb + OffsetPrcbContext ->
	 * KiProcessorContext[i] (0x4D0 bytes each). */
	off = (uint16_t)rd(img, 0, kdbg + 0x338, 2);
	for (i = 0; i < WG_VP_COUNT; i++) {
		uint64_t prcb = rd(img, 0, kpb + 8 * (uint64_t)i, 8);

		CHECK_EQ(rd(img, 0, prcb - 0x180 + 0x18, 8), prcb - 0x180); /* KPCR.Self */
		CHECK_EQ(rd(img, 0, prcb + 0x24, 4), (uint64_t)i);         /* Number */
		CHECK_EQ(rd(img, 0, prcb + off, 8), ctx + 0x4D0 * (uint64_t)i);
		if (i == 0)
			CHECK_EQ(prcb - 0x180, kpcr);
	}
	/* IDT gate 0xE -> KiPageFault, selector 0x10, present interrupt gate. */
	CHECK_OK(hvs_vp_read(img, 0, idt + 16 * 0xE, b, 16, NULL));
	v = (uint64_t)(b[0] | b[1] << 8) | (uint64_t)(b[6] | b[7] << 8) << 16 |
	    (uint64_t)(b[8] | b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24) << 32;
	CHECK_EQ(v, pf);
	CHECK_EQ(b[2] | b[3] << 8, 0x10);
	CHECK_EQ(b[5], 0x8E);
	/* KUSER_SHARED_DATA: kernel address (VP 0) and user alias (VP 1). */
	CHECK_EQ(rd(img, 0, WG_KUSD_VA + 0x260, 4), WG_BUILD);
	CHECK_EQ(rd(img, 0, WG_KUSD_VA + 0x26C, 4), 10);
	CHECK_EQ(rd(img, 1, WG_KUSD_USER_VA + 0x260, 4), WG_BUILD);
	CHECK_EQ(rd(img, 1, WG_KUSD_USER_VA + 0x26A, 2), 9);
	hvs_image_close(img);
	free_info(&k);
}

static void test_winguest__registers(void)
{
	hvs_image *img = NULL;
	pdbinfo k;
	hvs_regval r;
	uint64_t idle, sc, kpcr, idt, gdt, kpb;
	int kern;

	NEED_FIXTURE();
	memset(&k, 0, sizeof k);
	CHECK(load_info(&k, "ntkrnlmp.exe", "ntkrnlmp.pdb", WG_KERNEL_BASE));
	CHECK(pub(&k, "KiIdleLoop", &idle) && pub(&k, "KiSystemCall64", &sc) &&
	      pub(&k, "KiPcr", &kpcr) && pub(&k, "KiIdt", &idt) && pub(&k, "KiGdt", &gdt) &&
	      pub(&k, "KiProcessorBlock", &kpb));
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	CHECK_EQ(hvs_image_vp_count(img), WG_VP_COUNT);
	CHECK_OK(hvs_image_in_kernel(img, 0, &kern));
	CHECK_EQ(kern, 1);
	CHECK_OK(hvs_image_in_kernel(img, 1, &kern));
	CHECK_EQ(kern, 0);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &r));
	CHECK_EQ(r.lo, idle);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &r));
	CHECK_EQ(r.lo, WG_CR3_SYSTEM);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_GS, &r));
	CHECK_EQ(r.lo, kpcr);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_KERNEL_GS_BASE, &r));
	/* KiPcr[1] = KiProcessorBlock[1] - 0x180 (the KPRCB's offset in the KPCR). */
	CHECK_EQ(r.lo, rd(img, 0, kpb + 8, 8) - 0x180);
	CHECK_EQ(rd(img, 1, r.lo + 0x18, 8), r.lo);       /* KiPcr[1].Self */
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &r));
	CHECK_EQ(r.lo, WG_USER_CODE_VA);
	CHECK_EQ(rd(img, 1, r.lo, 2), 0xFEEB);              /* jmp $ */
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &r));
	CHECK_EQ(r.lo, WG_CR3_USER);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_LSTAR, &r));
	CHECK_EQ(r.lo, sc);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_IDTR, &r));
	CHECK_EQ(r.hi, idt);
	CHECK_EQ(r.lo, 0xFFF);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_GDTR, &r));
	CHECK_EQ(r.hi, gdt);
	/* The kernel's stack: RSP of VP 0 is mapped and writable. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RSP, &r));
	CHECK(r.lo >= WG_KSTACK_VA && r.lo < WG_KSTACK_VA + WG_KSTACK_SIZE);
	hvs_image_close(img);
	free_info(&k);
}

TEST_MAIN(TEST(test_winguest__images_mapped), TEST(test_winguest__kernel_data),
	  TEST(test_winguest__registers))
