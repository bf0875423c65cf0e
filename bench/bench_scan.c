/* SPDX-License-Identifier: MIT */
/*
 * Image-scan rate (src/pe/scan.c): GiB of mapped address space scanned per
 * second.
 *
 *   bench_scan [GiB] [dir] [raw|mixed]   (default 1 GiB in /tmp, raw)
 *
 * Writes a saved state of GiB guest RAM (raw RamBlocks, or token streams
 * with XPRESS pages: "mixed") whose x64 4-level
 * page tables map all of it at 0xFFFF800000000000 with 4 KiB pages (a
 * kernel's direct map), with a small valid PE image every 16 MiB, then:
 *   1. scans VP 0's whole 64-bit space with hvs_pe_scan_vp (end to end:
 *      page-table walk, one 64-byte read per mapped page through the saved
 *      state, the images parsed) -> GiB/s of mapped space;
 *   2. the same scan over the guest memory held in a buffer
 *      (hvs_pe_scan_xlat with a memcpy read callback): the scanner's own
 *      cost without the saved-state reader;
 *   3. for comparison, the naive method on that buffer: translate every
 *      page of the mapped range alone (hvs_xlat_translate) and read its
 *      first bytes -- which would also have to step through the whole
 *      unmapped space page by page, here skipped by scanning only the
 *      mapped range.
 * Each figure is the best of three runs.  The file is deleted at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "hvs/hvs.h"

#define PAGE 4096ull
#define KVA 0xFFFF800000000000ull
#define PT_BASE 0x100000ull /* page tables at [1 MiB, ...) */

static uint64_t gib = 1;
static hvs_vmrs_encoding enc = HVS_VMRS_ENC_RAW;

/* GPA of the page table pages: PML4 0x1000, PDPT 0x2000, PDs 0x3000+,
 * PTs from PT_BASE (one per 2 MiB of RAM). */
static uint64_t npd(void) { return gib; }
static uint64_t npt(void) { return gib * 512; }

static void put64(uint8_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A minimal valid PE32+ header page: no sections, SizeOfImage one page. */
static void pe_page(uint8_t *p)
{
	memset(p, 0, PAGE);
	p[0] = 'M';
	p[1] = 'Z';
	p[0x3c] = 0x40;
	memcpy(p + 0x40, "PE\0\0\x64\x86", 6);
	p[0x40 + 20] = 0xF0;               /* SizeOfOptionalHeader */
	p[0x58] = 0x0B;
	p[0x59] = 0x02;                    /* magic 0x20B */
	p[0x58 + 56 + 1] = 0x10;           /* SizeOfImage 0x1000 */
	p[0x58 + 60 + 1] = 0x02;           /* SizeOfHeaders 0x200 */
	p[0x58 + 108] = 16;                /* NumberOfRvaAndSizes */
}

/* Content of the guest page at @gpa. */
static void fill_page(uint64_t gpa, uint8_t *p)
{
	uint64_t i;

	if (gpa == 0x1000) {                        /* PML4[256] -> PDPT */
		memset(p, 0, PAGE);
		put64(p + 256 * 8, 0x2000 | 3);
	} else if (gpa == 0x2000) {                 /* PDPT[i] -> PD i */
		memset(p, 0, PAGE);
		for (i = 0; i < npd(); i++)
			put64(p + i * 8, (0x3000 + i * PAGE) | 3);
	} else if (gpa >= 0x3000 && gpa < 0x3000 + npd() * PAGE) {
		uint64_t pd = (gpa - 0x3000) / PAGE;    /* PD entries -> PTs */
		for (i = 0; i < 512; i++)
			put64(p + i * 8, (PT_BASE + (pd * 512 + i) * PAGE) | 3);
	} else if (gpa >= PT_BASE && gpa < PT_BASE + npt() * PAGE) {
		uint64_t pt = (gpa - PT_BASE) / PAGE;   /* PTEs: identity + KVA */
		for (i = 0; i < 512; i++)
			put64(p + i * 8, ((pt * 512 + i) * PAGE) | 0x103);
	} else if (gpa % (16ull << 20) == 0xF00000) {
		pe_page(p);                         /* an image every 16 MiB */
	} else {
		for (i = 0; i < PAGE; i += 8)
			put64(p + i, (gpa + i) * 0x9E3779B97F4A7C15ull);
	}
}

static hvs_status mem_cb(void *ud, uint64_t gpa, void *buf, size_t len)
{
	size_t off;
	(void)ud;
	for (off = 0; off < len; off += PAGE)
		fill_page(gpa + off, (uint8_t *)buf + off);
	return HVS_OK;
}

static int write_state(const char *path)
{
	hvs_vmrs_writer *w = NULL;
	hvs_vmrs_writer_opts o;
	char err[HVS_ERRMSG_MAX] = "";
	static const struct { hvs_reg r; uint64_t v; } regs[] = {
		{ HVS_REG_X64_CR0, 0x80050033 }, { HVS_REG_X64_CR3, 0x1000 },
		{ HVS_REG_X64_CR4, 0x3506F8 }, { HVS_REG_X64_EFER, 0xD01 },
	};
	hvs_status s;
	size_t i;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.encoding = enc;
	s = hvs_vmrs_writer_create(&w, path, &o);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_add_vp(w, 0, 1);
	for (i = 0; s == HVS_OK && i < sizeof regs / sizeof regs[0]; i++) {
		hvs_regval v = { regs[i].v, 0 };
		s = hvs_vmrs_writer_set_reg(w, 0, 0, regs[i].r, &v);
	}
	if (s == HVS_OK)
		s = hvs_vmrs_writer_add_range(w, 0, gib << 30);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_write_memory_cb(w, mem_cb, NULL);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_finish(w);
	if (s != HVS_OK)
		fprintf(stderr, "write %s: %s %s\n", path, err, w ? hvs_vmrs_writer_errmsg(w) : "");
	hvs_vmrs_writer_close(w);
	return s == HVS_OK;
}

static uint8_t *ram;

static hvs_status ram_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	(void)ud;
	if (gpa >= gib << 30 || len > (gib << 30) - gpa)
		return HVS_E_NODATA;
	memcpy(buf, ram + gpa, len);
	return HVS_OK;
}

static uint64_t found;

static int on_found(void *ud, const hvs_pe_found *f)
{
	(void)ud;
	(void)f;
	found++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char path[1024];
	hvs_image *img = NULL;
	hvs_xlat *x = NULL;
	hvs_paging_regs r;
	hvs_pe_scan_stats st;
	double best[3] = { 1e30, 1e30, 1e30 }, t0, dt, gb;
	uint64_t va, acc = 0;
	int run;

	if (argc > 1)
		gib = strtoull(argv[1], NULL, 0);
	if (argc > 3 && !strcmp(argv[3], "mixed"))
		enc = HVS_VMRS_ENC_MIXED;
	if (gib < 1 || gib > 4) {
		fprintf(stderr, "usage: bench_scan [GiB 1..4] [dir]\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/bench_scan_%d.vmrs", dir, (int)gib);
	t0 = bench_now();
	if (!write_state(path))
		return 1;
	printf("wrote %s (%" PRIu64 " GiB, %s) in %.1f s\n", path, gib,
	       enc == HVS_VMRS_ENC_RAW ? "raw blocks" : "token streams", bench_now() - t0);
	if (hvs_image_open(&img, path, NULL) != HVS_OK) {
		fprintf(stderr, "open failed\n");
		return 1;
	}
	ram = malloc(gib << 30);
	if (!ram || hvs_image_read(img, HVS_SPACE_GPA, 0, ram, gib << 30, NULL) != HVS_OK) {
		fprintf(stderr, "cannot hold the guest memory\n");
		return 1;
	}
	memset(&r, 0, sizeof r);
	r.arch = HVS_XLAT_ARCH_X86;
	r.cr0 = 0x80050033;
	r.cr3 = 0x1000;
	r.cr4 = 0x3506F8;
	r.efer = 0xD01;
	if (hvs_xlat_new(&x, &r, ram_read, NULL, 0, NULL) != HVS_OK)
		return 1;
	for (run = 0; run < 3; run++) {
		/* 1. end to end through the saved state (a fresh cache). */
		hvs_image_close(img);
		img = NULL;
		hvs_image_open(&img, path, NULL);
		found = 0;
		t0 = bench_now();
		if (hvs_pe_scan_vp(img, 0, ~0ull, 0, NULL, 0, on_found, NULL, &st) != HVS_OK ||
		    found != gib * 64 || st.mapped_bytes != gib << 30) {
			fprintf(stderr, "scan: found %" PRIu64 ", mapped 0x%" PRIx64 "\n",
				found, st.mapped_bytes);
			return 1;
		}
		dt = bench_now() - t0;
		if (dt < best[0])
			best[0] = dt;
		/* 2. the scanner over memory. */
		found = 0;
		t0 = bench_now();
		hvs_pe_scan_xlat(x, ram_read, NULL, ~0ull, 0, NULL, 0, on_found, NULL, &st);
		dt = bench_now() - t0;
		if (found != gib * 64)
			return 1;
		if (dt < best[1])
			best[1] = dt;
		/* 3. naive: translate each page of the mapped range, read 64 bytes. */
		t0 = bench_now();
		for (va = KVA + (gib << 30) - PAGE;; va -= PAGE) {
			uint64_t gpa;
			uint8_t b[64];

			if (hvs_xlat_translate(x, va, &gpa, NULL, NULL) == HVS_OK &&
			    ram_read(NULL, gpa, b, sizeof b) == HVS_OK)
				acc += b[0] == 'M';
			if (va == KVA)
				break;
		}
		dt = bench_now() - t0;
		if (dt < best[2])
			best[2] = dt;
	}
	gb = (double)gib;
	printf("mapped address space: %" PRIu64 " GiB in 4 KiB pages, %" PRIu64
	       " images; whole 64-bit space scanned\n", gib, gib * 64);
	printf("scan through the saved state (hvs_pe_scan_vp):  %.3f s  %.2f GiB/s\n",
	       best[0], gb / best[0]);
	printf("scan over memory (hvs_pe_scan_xlat):            %.3f s  %.2f GiB/s\n",
	       best[1], gb / best[1]);
	printf("naive per-page translate + read, mapped range:  %.3f s  %.2f GiB/s (%" PRIu64 ")\n",
	       best[2], gb / best[2], acc / 3);
	hvs_xlat_free(x);
	hvs_image_close(img);
	free(ram);
	remove(path);
	return 0;
}
