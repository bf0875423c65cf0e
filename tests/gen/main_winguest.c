/* SPDX-License-Identifier: MIT */
/*
 * hvs-winguest: build the Windows-like guest saved state from the fake
 * kernel and driver images (tests/data/winguest/README.md).
 *
 *   hvs-winguest OUT.vmrs NTKRNLMP.EXE HVSDRV.SYS
 *
 * It does what a boot loader and the kernel's early start would: maps
 * both images section by section at their linked bases (they are linked
 * /FIXED, so no relocation is needed) behind real x64 4-level page tables
 * with per-section protections, fills the IDT gates and the module
 * entries' SizeOfImage / CheckSum / TimeDateStamp / ExceptionTable from
 * the images, aliases KUSER_SHARED_DATA at 0xFFFFF78000000000 and
 * 0x7FFE0000, gives VP 0 a kernel stack and VP 1 a user process, and adds
 * pages meant to mislead an image scanner (a 2 MiB large page, "MZ" pages
 * that are no images, a page whose GPA is not in the saved memory).
 *
 * On purpose, the PE files are read here with a minimal loader of its own
 * and not with the library's PE parser (src/pe), so that the fixture does
 * not depend on the code it tests.  Layout constants:
 * tests/data/winguest/layout.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "gen_vmrs.h"
#include "../data/winguest/layout.h"

#define PAGE 0x1000ull

/* x64 page-table entry bits (Intel SDM Vol.3 4.5). */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_PS 0x80ull
#define PTE_G 0x100ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

/* Section characteristics (PE Format). */
#define SCN_EXEC 0x20000000u
#define SCN_WRITE 0x80000000u

static uint8_t *ram;              /* guest-physical memory [0, WG_RAM_SIZE) */
static uint64_t pool = WG_TABLE_POOL;

/* Report "what: arg" and exit (a test tool, not the library). */
static void die(const char *what, const char *arg)
{
	fprintf(stderr, "hvs-winguest: %s%s%s\n", what, arg ? ": " : "",
		arg ? arg : "");
	exit(1);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

/* ------------------------------------------------------ page tables */

static uint64_t new_table(void)
{
	uint64_t t = pool;

	if (pool + PAGE > WG_TABLE_POOL_END)
		die("page-table pool exhausted", NULL);
	pool += PAGE;
	memset(ram + t, 0, PAGE);
	return t;
}

/* The entry for @va at @level (4 PML4E .. 1 PTE), creating tables above. */
static uint8_t *entry(uint64_t cr3, uint64_t va, int level, int user)
{
	uint64_t table = cr3;
	int l;

	for (l = 4;; l--) {
		uint8_t *e = ram + table + ((va >> (12 + 9 * (l - 1))) & 511) * 8;
		uint64_t v;

		if (l == level)
			return e;
		v = rd64(e);
		if (!(v & PTE_P)) {
			v = new_table() | PTE_P | PTE_RW | PTE_A;
			wr64(e, v);
		}
		if (user)
			wr64(e, rd64(e) | PTE_US);
		table = v & PTE_ADDR;
	}
}

/* Map [va, va+size) to [gpa, ...) with 4 KiB pages and leaf @flags. */
static void map(uint64_t cr3, uint64_t va, uint64_t gpa, uint64_t size,
		uint64_t flags)
{
	uint64_t off;

	for (off = 0; off < size; off += PAGE)
		wr64(entry(cr3, va + off, 1, !!(flags & PTE_US)),
		     ((gpa + off) & PTE_ADDR) | flags | PTE_P | PTE_A);
}

/* ----------------------------------------------------------- images */

typedef struct image {
	const char *path;
	uint8_t *mem;          /* SizeOfImage bytes, mapped layout */
	uint64_t base, gpa;
	uint32_t size, hdr_size, entry, timestamp, checksum;
	uint32_t pdata_rva, pdata_size;
	unsigned nsec;
	struct { char name[9]; uint32_t rva, vsize, flags; } sec[32];
} image;

/* Read a PE file and lay it out as a loader maps it. */
static void load(image *im, const char *path, uint64_t want_base, uint64_t gpa)
{
	FILE *f = fopen(path, "rb");
	uint8_t *file;
	long n;
	uint32_t lfanew, opt, i;
	const uint8_t *o, *s;

	if (!f)
		die("cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0x200 || n > 64 << 20)
		die("implausible size", path);
	file = malloc((size_t)n);
	if (!file || fread(file, 1, (size_t)n, f) != (size_t)n)
		die("read failed", path);
	fclose(f);
	lfanew = rd32(file + 0x3c);
	if (file[0] != 'M' || file[1] != 'Z' || lfanew > (uint32_t)n - 0x200 ||
	    memcmp(file + lfanew, "PE\0\0", 4))
		die("not a PE image", path);
	im->path = path;
	im->nsec = rd16(file + lfanew + 6);
	im->timestamp = rd32(file + lfanew + 8);
	opt = rd16(file + lfanew + 20);
	o = file + lfanew + 24;
	if (rd16(o) != 0x20b || im->nsec > 32)
		die("not a PE32+ image with <= 32 sections", path);
	im->entry = rd32(o + 16);
	im->base = rd64(o + 24);
	im->size = rd32(o + 56);
	im->hdr_size = rd32(o + 60);
	im->checksum = rd32(o + 64);
	im->pdata_rva = rd32(o + 112 + 3 * 8);
	im->pdata_size = rd32(o + 112 + 3 * 8 + 4);
	if (im->base != want_base)
		die("not linked at the layout.h base (/BASE /FIXED)", path);
	if (im->size > 0x200000 || im->hdr_size > (uint32_t)n)
		die("image too large for the fixture", path);
	im->mem = calloc(1, im->size);
	if (!im->mem)
		die("out of memory", NULL);
	memcpy(im->mem, file, im->hdr_size);
	s = o + opt;
	for (i = 0; i < im->nsec; i++, s += 40) {
		uint32_t rva = rd32(s + 12), vsize = rd32(s + 8);
		uint32_t raw = rd32(s + 16), off = rd32(s + 20);
		uint32_t len = raw < vsize ? raw : vsize;

		memcpy(im->sec[i].name, s, 8);
		im->sec[i].name[8] = '\0';
		im->sec[i].rva = rva;
		im->sec[i].vsize = vsize;
		im->sec[i].flags = rd32(s + 36);
		if ((uint64_t)rva + vsize > im->size || (uint64_t)off + len > (uint64_t)n)
			die("section outside the image or file", path);
		memcpy(im->mem + rva, file + off, len);
	}
	free(file);
	im->gpa = gpa;
}

/* Map the image: headers read-only, sections by their characteristics. */
static void map_image(const image *im, uint64_t cr3)
{
	unsigned i;

	map(cr3, im->base, im->gpa, (im->hdr_size + PAGE - 1) & ~(PAGE - 1),
	    PTE_G | PTE_NX);
	for (i = 0; i < im->nsec; i++) {
		uint64_t fl = PTE_G;
		uint64_t len = ((uint64_t)im->sec[i].vsize + PAGE - 1) & ~(PAGE - 1);

		if (!(im->sec[i].flags & SCN_EXEC))
			fl |= PTE_NX;
		if (im->sec[i].flags & SCN_WRITE)
			fl |= PTE_RW | PTE_D;
		map(cr3, im->base + im->sec[i].rva, im->gpa + im->sec[i].rva, len, fl);
	}
}

/* Image offset of virtual address @va inside @im (fatal if outside). */
static uint8_t *at(const image *im, uint64_t va, uint32_t len)
{
	if (va < im->base || va - im->base + len > im->size)
		die("hand-off table points outside the image", im->path);
	return im->mem + (va - im->base);
}

/* Fill the module entry at @va of the kernel from @im, as the loader does. */
static void fill_ldr(image *k, uint64_t va, const image *im)
{
	uint8_t *e = at(k, va, 0xA0);

	wr64(e + 0x10, im->pdata_rva ? im->base + im->pdata_rva : 0); /* ExceptionTable */
	wr32(e + 0x18, im->pdata_size);                               /* ExceptionTableSize */
	wr64(e + 0x38, im->base + im->entry);                         /* EntryPoint */
	wr32(e + 0x40, im->size);                                     /* SizeOfImage */
	wr32(e + 0x78, im->checksum);                                 /* CheckSum */
	wr32(e + 0x98, im->size);                                     /* SizeOfImageNotRounded */
	wr32(e + 0x9C, im->timestamp);                                /* TimeDateStamp */
}

/* --------------------------------------------------------- registers */

static hvs_status set(hvs_vmrs_writer *w, uint32_t vp, hvs_reg r, uint64_t lo,
		      uint64_t hi)
{
	hvs_regval v;

	v.lo = lo;
	v.hi = hi;
	return hvs_vmrs_writer_set_reg(w, vp, 0, r, &v);
}

/* Segment register: base, limit, selector, attributes (regs.h packing). */
static hvs_status seg(hvs_vmrs_writer *w, uint32_t vp, hvs_reg r, uint64_t base,
		      uint32_t limit, uint16_t sel, uint16_t attr)
{
	return set(w, vp, r, base, limit | (uint64_t)sel << 32 | (uint64_t)attr << 48);
}

int main(int argc, char **argv)
{
	static image k, d;
	hvs_vmrs_writer_opts o;
	hvs_vmrs_writer *w = NULL;
	char err[HVS_ERRMSG_MAX] = "";
	uint8_t *fix;
	uint64_t fixva = 0, idt, kusd, gdt, pcr[WG_VP_COUNT], rsp0;
	uint32_t vp, i;
	unsigned r;
	hvs_status st;

	uint64_t os_id = WG_GUEST_OS_ID;

	/* GUEST_OS_ID: another VTL0 guest OS id for the same memory (tests of
	 * what is done for a guest that says it is not Windows). */
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: hvs-winguest OUT.vmrs NTKRNLMP.EXE HVSDRV.SYS [GUEST_OS_ID]\n");
		return 2;
	}
	if (argc == 5) {
		char *end;
		os_id = strtoull(argv[4], &end, 0);
		if (end == argv[4] || *end)
			die("GUEST_OS_ID is not a number", argv[4]);
	}
	ram = calloc(1, WG_RAM_SIZE);
	if (!ram)
		die("out of memory", NULL);
	load(&k, argv[2], WG_KERNEL_BASE, WG_KERNEL_GPA);
	load(&d, argv[3], WG_DRIVER_BASE, WG_DRIVER_GPA);

	/* The hand-off table (nt.h WG_FIXUP_TABLE) in section .hvsfix. */
	for (i = 0; i < k.nsec; i++)
		if (!strcmp(k.sec[i].name, ".hvsfix"))
			fixva = k.base + k.sec[i].rva;
	if (!fixva)
		die("no .hvsfix section", argv[2]);
	fix = at(&k, fixva, 0x858);
	if (rd64(fix) != WG_FIXUP_MAGIC)
		die(".hvsfix magic mismatch", argv[2]);
	idt = rd64(fix + 8);
	for (i = 0; i < 256; i++) {
		uint64_t h = rd64(fix + 16 + 8 * i);
		uint8_t *g = at(&k, idt + 16 * i, 16);

		if (!h)
			continue;
		/* 64-bit interrupt gate: selector KGDT64_R0_CODE, type 0xE,
		 * present; DPL 3 for the vectors user mode may raise. */
		wr16(g, (uint16_t)h);
		wr16(g + 2, 0x10);
		wr16(g + 4, (uint16_t)(0x8E00 | ((i == 3 || i == 4 || i == 0x29 ||
						   i == 0x2C || i == 0x2D || i == 0x2E)
						  ? 0x6000 : 0)));
		wr16(g + 6, (uint16_t)(h >> 16));
		wr32(g + 8, (uint32_t)(h >> 32));
		wr32(g + 12, 0);
	}
	gdt = rd64(fix + 2080);
	for (vp = 0; vp < WG_VP_COUNT; vp++)
		pcr[vp] = rd64(fix + 2096 + 8 * vp);
	fill_ldr(&k, rd64(fix + 2112), &k);
	fill_ldr(&k, rd64(fix + 2120), &d);
	kusd = rd64(fix + 2128);
	if (kusd & (PAGE - 1))
		die("KUSER_SHARED_DATA not page-aligned", argv[2]);

	memcpy(ram + k.gpa, k.mem, k.size);
	memcpy(ram + d.gpa, d.mem, d.size);

	/* Kernel half, in the System address space. */
	memset(ram + WG_CR3_SYSTEM, 0, PAGE);
	memset(ram + WG_CR3_USER, 0, PAGE);
	map_image(&k, WG_CR3_SYSTEM);
	map_image(&d, WG_CR3_SYSTEM);
	map(WG_CR3_SYSTEM, WG_KUSD_VA, k.gpa + (kusd - k.base), PAGE, PTE_G | PTE_NX);
	map(WG_CR3_SYSTEM, WG_KSTACK_VA, WG_KSTACK_GPA, WG_KSTACK_SIZE,
	    PTE_G | PTE_NX | PTE_RW | PTE_D);
	/* A 2 MiB page of data (PS at the PDE): a region without images. */
	wr64(entry(WG_CR3_SYSTEM, WG_LARGE_VA, 2, 0),
	     WG_LARGE_GPA | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS | PTE_G | PTE_NX);
	for (i = 0; i < 0x200000; i += 8)
		wr64(ram + WG_LARGE_GPA + i, 0x4C4152474550ull ^ i); /* "PEGRAL" ^ i */
	/* Decoys: "MZ" without "PE\0\0"; a PE with SizeOfImage 0; an
	 * e_lfanew far out; then a hole, then a page outside saved memory. */
	map(WG_CR3_SYSTEM, WG_DECOY_VA, WG_DECOY_GPA, 3 * PAGE, PTE_G | PTE_NX);
	map(WG_CR3_SYSTEM, WG_DECOY_VA + 4 * PAGE, 0x7FF000000ull, PAGE, PTE_G | PTE_NX);
	memcpy(ram + WG_DECOY_GPA, "MZ", 2);
	wr32(ram + WG_DECOY_GPA + 0x3c, 0x80);
	memcpy(ram + WG_DECOY_GPA + 0x80, "NE\0\0", 4);
	memcpy(ram + WG_DECOY_GPA + PAGE, "MZ", 2);
	wr32(ram + WG_DECOY_GPA + PAGE + 0x3c, 0x40);
	memcpy(ram + WG_DECOY_GPA + PAGE + 0x40, "PE\0\0\x64\x86", 6);
	wr16(ram + WG_DECOY_GPA + PAGE + 0x40 + 20, 0xF0);  /* SizeOfOptionalHeader */
	wr16(ram + WG_DECOY_GPA + PAGE + 0x40 + 24, 0x20B); /* SizeOfImage stays 0 */
	memcpy(ram + WG_DECOY_GPA + 2 * PAGE, "MZ", 2);
	wr32(ram + WG_DECOY_GPA + 2 * PAGE + 0x3c, 0x7FFFFFF0);

	/* The user process shares the kernel half (PML4 entries 256..511). */
	memcpy(ram + WG_CR3_USER + 256 * 8, ram + WG_CR3_SYSTEM + 256 * 8, 256 * 8);
	map(WG_CR3_USER, WG_USER_CODE_VA, WG_USER_GPA, PAGE, PTE_US);
	map(WG_CR3_USER, WG_USER_STACK_VA, WG_USER_GPA + PAGE, PAGE,
	    PTE_US | PTE_RW | PTE_D | PTE_NX);
	map(WG_CR3_USER, WG_USER_TEB_VA, WG_USER_GPA + 2 * PAGE, PAGE,
	    PTE_US | PTE_RW | PTE_D | PTE_NX);
	map(WG_CR3_USER, WG_KUSD_USER_VA, k.gpa + (kusd - k.base), PAGE, PTE_US | PTE_NX);
	/* User code: "jmp $" then int3 padding; TEB: NT_TIB with Self. */
	memset(ram + WG_USER_GPA, 0xCC, PAGE);
	ram[WG_USER_GPA] = 0xEB;
	ram[WG_USER_GPA + 1] = 0xFE;
	wr64(ram + WG_USER_GPA + 2 * PAGE + 0x08, WG_USER_STACK_VA + PAGE);
	wr64(ram + WG_USER_GPA + 2 * PAGE + 0x10, WG_USER_STACK_VA);
	wr64(ram + WG_USER_GPA + 2 * PAGE + 0x30, WG_USER_TEB_VA);
	/* VP 0's stack: a return address into KiSystemStartup's call site is
	 * not needed; RSP just lies inside the mapped stack. */
	rsp0 = WG_KSTACK_VA + WG_KSTACK_SIZE - 0x38;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.arch = HVS_ARCH_X64;
	o.vendor = HVS_VMRS_VENDOR_INTEL;
	o.encoding = HVS_VMRS_ENC_MIXED;
	o.savedstate_type = "Normal";
	st = hvs_vmrs_writer_create(&w, argv[1], &o);
	if (st != HVS_OK)
		die("cannot create the output", err);
	for (vp = 0; vp < WG_VP_COUNT && st == HVS_OK; vp++) {
		st = hvs_vmrs_writer_add_vp(w, vp, 1);
		for (r = 0; r < HVS_REG_COUNT && st == HVS_OK; r++) {
			hvs_regval v;

			if (hvs_reg_kind((hvs_reg)r) == HVS_REGKIND_NONE ||
			    hvs_reg_arch((hvs_reg)r) != HVS_ARCH_X64)
				continue;
			gen_std_reg(HVS_ARCH_X64, vp, 0, (hvs_reg)r, &v);
			st = hvs_vmrs_writer_set_reg(w, vp, 0, (hvs_reg)r, &v);
		}
	}
	/* Both VPs: the kernel's IDT, GDT and syscall entry. */
	for (vp = 0; vp < WG_VP_COUNT && st == HVS_OK; vp++) {
		st = set(w, vp, HVS_REG_X64_IDTR, 0xFFF, idt);
		if (st == HVS_OK)
			st = set(w, vp, HVS_REG_X64_GDTR, rd16(fix + 2088), gdt);
		if (st == HVS_OK)
			st = set(w, vp, HVS_REG_X64_LSTAR, rd64(fix + 2064), 0);
		if (st == HVS_OK)
			st = set(w, vp, HVS_REG_X64_CR4, 0x3506F8, 0);
	}
	/* VP 0: kernel mode in KiIdleLoop, GS = its KPCR. */
	if (st == HVS_OK)
		st = set(w, 0, HVS_REG_X64_RIP, rd64(fix + 2072), 0);
	if (st == HVS_OK)
		st = set(w, 0, HVS_REG_X64_RSP, rsp0, 0);
	if (st == HVS_OK)
		st = set(w, 0, HVS_REG_X64_CR3, WG_CR3_SYSTEM, 0);
	if (st == HVS_OK)
		st = seg(w, 0, HVS_REG_X64_CS, 0, 0, 0x10, 0x209B);
	if (st == HVS_OK)
		st = seg(w, 0, HVS_REG_X64_SS, 0, 0xFFFFFFFF, 0x18, 0xC093);
	if (st == HVS_OK)
		st = seg(w, 0, HVS_REG_X64_GS, pcr[0], 0xFFFFFFFF, 0x2B, 0xC0F3);
	if (st == HVS_OK)
		st = set(w, 0, HVS_REG_X64_KERNEL_GS_BASE, 0, 0);
	/* VP 1: user mode in hvsuser.exe, GS = its TEB, KPCR swapped out. */
	if (st == HVS_OK)
		st = set(w, 1, HVS_REG_X64_RIP, WG_USER_CODE_VA, 0);
	if (st == HVS_OK)
		st = set(w, 1, HVS_REG_X64_RSP, WG_USER_STACK_VA + PAGE - 0x28, 0);
	if (st == HVS_OK)
		st = set(w, 1, HVS_REG_X64_CR3, WG_CR3_USER, 0);
	if (st == HVS_OK)
		st = seg(w, 1, HVS_REG_X64_CS, 0, 0xFFFFFFFF, 0x33, 0x20FB);
	if (st == HVS_OK)
		st = seg(w, 1, HVS_REG_X64_SS, 0, 0xFFFFFFFF, 0x2B, 0xC0F3);
	if (st == HVS_OK)
		st = seg(w, 1, HVS_REG_X64_GS, WG_USER_TEB_VA, 0xFFFFFFFF, 0x2B, 0xC0F3);
	if (st == HVS_OK)
		st = set(w, 1, HVS_REG_X64_KERNEL_GS_BASE, pcr[1], 0);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_set_guest_os_id(w, 0, os_id);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_add_range(w, 0, WG_RAM_SIZE);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_write_memory(w, ram, WG_RAM_SIZE);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_finish(w);
	if (st != HVS_OK)
		fprintf(stderr, "hvs-winguest: %s\n", hvs_vmrs_writer_errmsg(w));
	hvs_vmrs_writer_close(w);
	free(ram);
	free(k.mem);
	free(d.mem);
	return st == HVS_OK ? 0 : 1;
}
