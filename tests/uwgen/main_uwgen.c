/* SPDX-License-Identifier: MIT */
/*
 * hvs-uwgen: run the unwinder fixture's call chain in the Unicorn emulator
 * and save what it left as a saved state (tests/data/uwguest/README.md).
 *
 *   hvs-uwgen OUT.vmrs OUT.truth UWA.EXE UWB.DLL UWC.DLL
 *
 * The three images are mapped at their linked bases (/FIXED) with a
 * minimal loader of its own (not the library's PE code).  The chain is
 * run once per stop (deep in a leaf, inside the prologue and the
 * epilogue of an assembly function and of a compiled one: stops[]), each
 * run on its own stack, until the stop is about to execute.  The true frames come from the emulator alone: a code hook
 * sees every call instruction (E8, FF /2) and records the return address,
 * the RSP the caller has after the return, and the callee-saved registers
 * at the call; an entry is dropped when execution reaches its return
 * address with its RSP (a ret, or the fixture's interrupt-style return).
 * No unwind data is read here.
 *
 * Output: a .vmrs with one VP per stop (x64 long mode, 4-level page
 * tables mapping the images, the table page and the stacks), and a text
 * file of the true frames:
 *   vp N frames K
 *   f I RIP RSP RBX RBP RSI RDI R12 R13 R14 R15 XMM6lo XMM6hi .. XMM15hi
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "hvs/hvs.h"
#include "gen_vmrs.h"

#define PAGE 0x1000ull
#define TABLE_VA 0x30000000ull
#define STACK_VA 0x20000000ull
#define STACK_SIZE 0x200000ull     /* per run */
#define NRUNS 5
#define RAM_SIZE 0x1000000ull      /* 16 MiB */
#define PT_POOL 0x100000ull
#define PT_POOL_END 0x200000ull
#define IMG_GPA 0x200000ull
#define MAX_SHADOW 256
#define NCHAIN 12

static const char *const chain[NCHAIN] = {
	"a_main", "b_c1", "c_push", "a_c2", "b_large16", "c_fp", "b_raise",
	"a_huge", "c_chain", "c_raise_err", "b_c3", "a_leaf"
};
/* Stops: at an exported label (runs 0-2: deep in the leaf, inside
 * b_large16's prologue, inside c_push's epilogue), before the third
 * instruction of the compiled a_c2 (inside its prologue, two pushes done:
 * run 3), and after the first pop of the compiled b_c1's epilogue (run 4). */
static const char *const stops[NRUNS] = { "uw_stop_deep", "uw_stop_prolog",
					  "uw_stop_epilog", "a_c2", "b_c1" };
enum { STOP_LABEL, STOP_IN_PROLOG, STOP_IN_EPILOG };
static const int stop_kind[NRUNS] = { STOP_LABEL, STOP_LABEL, STOP_LABEL,
				      STOP_IN_PROLOG, STOP_IN_EPILOG };
/* Unicorn ids of the callee-saved registers, in the truth file's order. */
static const int nv_gpr[8] = { UC_X86_REG_RBX, UC_X86_REG_RBP, UC_X86_REG_RSI,
			       UC_X86_REG_RDI, UC_X86_REG_R12, UC_X86_REG_R13,
			       UC_X86_REG_R14, UC_X86_REG_R15 };
static const int all_gpr[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15
};

typedef struct regs {
	uint64_t rip, rsp, gpr[16], rflags;
	uint64_t nv[8];
	uint64_t xmm[16][2];
} regs;

typedef struct image {
	uint8_t *mem;
	uint64_t base;
	uint32_t size, exp_rva, exp_size;
} image;

static image img[3];
static uint8_t *ram;
static uint64_t pool = PT_POOL;

/* Shadow stack of calls, kept by the code hook. */
static struct { uint64_t ret, rsp; regs r; } shadow[MAX_SHADOW];
static int nshadow;
static uint64_t stop_at;
static int stop_mode;
static int arm;              /* STOP_IN_PROLOG: instructions left to run */
static uint64_t watch_ret;   /* STOP_IN_EPILOG: b_c1's return address of its call */
static int after_ret, popped;
static regs stop_regs;
static int stopped;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "hvs-uwgen: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr64(uint8_t *p, uint64_t v) { int i; for (i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

/* A loader's mapping of a PE32+ file (headers and sections at RVAs). */
static void load(image *im, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *file;
	long n;
	uint32_t pe, nsec, opt, i;

	if (!f)
		die("cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = malloc((size_t)n);
	if (!file || fread(file, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", path);
	fclose(f);
	pe = rd32(file + 0x3c);
	if (n < 0x400 || memcmp(file + pe, "PE\0\0", 4) || rd16(file + pe + 24) != 0x20B)
		die("not a PE32+ image", path);
	nsec = rd16(file + pe + 6);
	opt = rd16(file + pe + 20);
	im->base = rd64(file + pe + 24 + 24);
	im->size = rd32(file + pe + 24 + 56);
	im->exp_rva = rd32(file + pe + 24 + 112);
	im->exp_size = rd32(file + pe + 24 + 116);
	im->mem = calloc(1, im->size);
	if (!im->mem)
		die("out of memory", NULL);
	memcpy(im->mem, file, rd32(file + pe + 24 + 60));
	for (i = 0; i < nsec; i++) {
		const uint8_t *s = file + pe + 24 + opt + 40 * i;
		uint32_t rva = rd32(s + 12), raw = rd32(s + 16), off = rd32(s + 20);

		if (raw > im->size - rva)
			raw = im->size - rva;
		if (off + (uint64_t)raw > (uint64_t)n)
			die("section past the end of the file", path);
		memcpy(im->mem + rva, file + off, raw);
	}
	free(file);
}

/* Address of an exported name, 0 if none. */
static uint64_t export_va(const image *im, const char *name)
{
	const uint8_t *d = im->mem + im->exp_rva;
	uint32_t nn, i, names, ords, funcs;

	if (!im->exp_rva)
		return 0;
	nn = rd32(d + 24);
	funcs = rd32(d + 28);
	names = rd32(d + 32);
	ords = rd32(d + 36);
	for (i = 0; i < nn; i++)
		if (!strcmp((const char *)im->mem + rd32(im->mem + names + 4 * i), name))
			return im->base + rd32(im->mem + funcs + 4 * rd16(im->mem + ords + 2 * i));
	return 0;
}

static uint64_t find(const char *name)
{
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t va = export_va(&img[i], name);

		if (va)
			return va;
	}
	die("no export", name);
	return 0;
}

static void read_regs(uc_engine *uc, regs *r)
{
	int i;

	memset(r, 0, sizeof *r);
	uc_reg_read(uc, UC_X86_REG_RIP, &r->rip);
	uc_reg_read(uc, UC_X86_REG_RSP, &r->rsp);
	uc_reg_read(uc, UC_X86_REG_EFLAGS, &r->rflags);
	for (i = 0; i < 16; i++)
		uc_reg_read(uc, all_gpr[i], &r->gpr[i]);
	for (i = 0; i < 8; i++)
		uc_reg_read(uc, nv_gpr[i], &r->nv[i]);
	for (i = 0; i < 16; i++)
		uc_reg_read(uc, UC_X86_REG_XMM0 + i, r->xmm[i]);
}

/* Is the instruction a near call (E8 rel32, FF /2)? */
static int is_call(const uint8_t *b, uint32_t size)
{
	uint32_t i = 0;

	while (i < size && ((b[i] >= 0x40 && b[i] <= 0x4F) || b[i] == 0x2E || b[i] == 0x3E))
		i++;
	if (i < size && b[i] == 0xE8)
		return 1;
	return i + 1 < size && b[i] == 0xFF && ((b[i + 1] >> 3) & 7) == 2;
}

static void hook_code(uc_engine *uc, uint64_t address, uint32_t size, void *ud)
{
	uint8_t b[16];
	uint64_t rsp;

	(void)ud;
	uc_reg_read(uc, UC_X86_REG_RSP, &rsp);
	while (nshadow > 0 && shadow[nshadow - 1].ret == address &&
	       shadow[nshadow - 1].rsp == rsp)
		nshadow--;
	if (size > sizeof b || uc_mem_read(uc, address, b, size) != UC_ERR_OK)
		return;
	if (stop_mode == STOP_IN_PROLOG && address == stop_at)
		arm = 3;
	if (stop_mode == STOP_IN_EPILOG && watch_ret && address == watch_ret)
		after_ret = 1;
	if ((stop_mode == STOP_LABEL && address == stop_at) ||
	    (stop_mode == STOP_IN_PROLOG && arm && --arm == 0) ||
	    (stop_mode == STOP_IN_EPILOG && popped)) {
		read_regs(uc, &stop_regs);
		stopped = 1;
		uc_emu_stop(uc);
		return;
	}
	/* A pop of b_c1 after its call returned: its epilogue. */
	if (stop_mode == STOP_IN_EPILOG && after_ret && address >= stop_at &&
	    address < stop_at + 0x100 &&
	    ((b[0] >= 0x58 && b[0] <= 0x5F) || (b[0] == 0x41 && b[1] >= 0x58 && b[1] <= 0x5F)))
		popped = 1;
	if (stop_mode == STOP_IN_EPILOG && !watch_ret && is_call(b, size) &&
	    address >= stop_at && address < stop_at + 0x100)
		watch_ret = address + size;
	if (is_call(b, size)) {
		if (nshadow >= MAX_SHADOW)
			die("call chain too deep", NULL);
		shadow[nshadow].ret = address + size;
		shadow[nshadow].rsp = rsp;
		read_regs(uc, &shadow[nshadow].r);
		nshadow++;
	}
}

static void check(uc_err e, const char *what)
{
	if (e != UC_ERR_OK)
		die(what, uc_strerror(e));
}

/* ----------------------------------------------------- page tables */

static uint64_t new_table(void)
{
	uint64_t t = pool;

	if (pool + PAGE > PT_POOL_END)
		die("page-table pool exhausted", NULL);
	pool += PAGE;
	memset(ram + t, 0, PAGE);
	return t;
}

static void map(uint64_t cr3, uint64_t va, uint64_t gpa, uint64_t size)
{
	uint64_t off;

	for (off = 0; off < size; off += PAGE) {
		uint64_t table = cr3, v = va + off;
		int l;

		for (l = 4; l > 1; l--) {
			uint8_t *e = ram + table + ((v >> (12 + 9 * (l - 1))) & 511) * 8;

			if (!(rd64(e) & 1))
				wr64(e, new_table() | 0x27);
			table = rd64(e) & 0x000FFFFFFFFFF000ull;
		}
		wr64(ram + table + ((v >> 12) & 511) * 8, ((gpa + off) & ~0xFFFull) | 0x63);
	}
}

static hvs_status set(hvs_vmrs_writer *w, uint32_t vp, hvs_reg r, uint64_t lo, uint64_t hi)
{
	hvs_regval v;

	v.lo = lo;
	v.hi = hi;
	return hvs_vmrs_writer_set_reg(w, vp, 0, r, &v);
}

int main(int argc, char **argv)
{
	uc_engine *uc;
	uc_hook h;
	uint64_t table[NCHAIN], gpa, cr3;
	regs truth_top[NRUNS];
	static struct { uint64_t ret, rsp; regs r; } saved[NRUNS][MAX_SHADOW];
	int nsaved[NRUNS];
	hvs_vmrs_writer_opts o;
	hvs_vmrs_writer *w = NULL;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_status st = HVS_OK;
	FILE *tf;
	int i, r, k;
	unsigned reg;

	if (argc != 6) {
		fprintf(stderr, "usage: hvs-uwgen OUT.vmrs OUT.truth UWA.EXE UWB.DLL UWC.DLL\n");
		return 2;
	}
	for (i = 0; i < 3; i++)
		load(&img[i], argv[3 + i]);
	check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), "uc_open");
	for (i = 0; i < 3; i++) {
		uint64_t sz = (img[i].size + PAGE - 1) & ~(PAGE - 1);

		check(uc_mem_map(uc, img[i].base, sz, UC_PROT_ALL), "map image");
		check(uc_mem_write(uc, img[i].base, img[i].mem, img[i].size), "write image");
	}
	check(uc_mem_map(uc, TABLE_VA, PAGE, UC_PROT_READ | UC_PROT_WRITE), "map table");
	check(uc_mem_map(uc, STACK_VA, STACK_SIZE * NRUNS, UC_PROT_READ | UC_PROT_WRITE),
	      "map stack");
	for (i = 0; i < NCHAIN; i++)
		table[i] = find(chain[i]);
	{
		uint8_t t[NCHAIN * 8];

		for (i = 0; i < NCHAIN; i++)
			wr64(t + 8 * i, table[i]);
		check(uc_mem_write(uc, TABLE_VA, t, sizeof t), "write table");
	}
	check(uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)hook_code, NULL, 1, 0), "hook");

	for (r = 0; r < NRUNS; r++) {
		uint64_t top = STACK_VA + STACK_SIZE * (uint64_t)(r + 1) - 0x100;
		uint64_t zero = 0, v;

		/* Distinct starting values for every register of every run. */
		for (i = 0; i < 16; i++) {
			v = 0x1000000000000000ull * (uint64_t)(r + 1) + 0x0101010101ull * (uint64_t)(i + 1);
			uc_reg_write(uc, all_gpr[i], &v);
		}
		for (i = 0; i < 16; i++) {
			uint64_t x[2] = { 0x3FF0000000000000ull + (uint64_t)(r * 16 + i),
					  0xABCD000000000000ull | (uint64_t)(r << 8 | i) };

			uc_reg_write(uc, UC_X86_REG_XMM0 + i, x);
		}
		v = top;
		uc_reg_write(uc, UC_X86_REG_RSP, &v);
		check(uc_mem_write(uc, top, &zero, 8), "write return address");
		v = TABLE_VA;
		uc_reg_write(uc, UC_X86_REG_RCX, &v);
		v = 1;
		uc_reg_write(uc, UC_X86_REG_RDX, &v);
		nshadow = 0;
		stopped = 0;
		stop_at = find(stops[r]);
		stop_mode = stop_kind[r];
		arm = after_ret = popped = 0;
		watch_ret = 0;
		check(uc_emu_start(uc, table[0], 0, 0, 5000000), "emulation");
		if (!stopped)
			die("the chain did not reach", stops[r]);
		truth_top[r] = stop_regs;
		nsaved[r] = nshadow;
		memcpy(saved[r], shadow, sizeof shadow[0] * (size_t)nshadow);
	}

	/* Guest memory: page tables, the images, the table, the stacks. */
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		die("out of memory", NULL);
	cr3 = new_table();
	gpa = IMG_GPA;
	for (i = 0; i < 3; i++) {
		uint64_t sz = (img[i].size + PAGE - 1) & ~(PAGE - 1);

		check(uc_mem_read(uc, img[i].base, ram + gpa, img[i].size), "read image");
		map(cr3, img[i].base, gpa, sz);
		gpa += sz;
	}
	check(uc_mem_read(uc, TABLE_VA, ram + gpa, PAGE), "read table");
	map(cr3, TABLE_VA, gpa, PAGE);
	gpa += PAGE;
	gpa = (gpa + 0xFFFFF) & ~0xFFFFFull;
	if (gpa + STACK_SIZE * NRUNS > RAM_SIZE)
		die("guest memory too small", NULL);
	check(uc_mem_read(uc, STACK_VA, ram + gpa, STACK_SIZE * NRUNS), "read stacks");
	map(cr3, STACK_VA, gpa, STACK_SIZE * NRUNS);

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.arch = HVS_ARCH_X64;
	o.vendor = HVS_VMRS_VENDOR_INTEL;
	o.encoding = HVS_VMRS_ENC_MIXED;
	o.savedstate_type = "Normal";
	if (hvs_vmrs_writer_create(&w, argv[1], &o) != HVS_OK)
		die("cannot create the output", err);
	for (r = 0; r < NRUNS && st == HVS_OK; r++) {
		const regs *t = &truth_top[r];

		st = hvs_vmrs_writer_add_vp(w, (uint32_t)r, 1);
		for (reg = 0; reg < HVS_REG_COUNT && st == HVS_OK; reg++) {
			hvs_regval v;

			if (hvs_reg_kind((hvs_reg)reg) == HVS_REGKIND_NONE ||
			    hvs_reg_arch((hvs_reg)reg) != HVS_ARCH_X64)
				continue;
			/* Even VPs are in kernel mode in gen_std_reg: use VP 0's set. */
			gen_std_reg(HVS_ARCH_X64, 0, 0, (hvs_reg)reg, &v);
			st = hvs_vmrs_writer_set_reg(w, (uint32_t)r, 0, (hvs_reg)reg, &v);
		}
		for (i = 0; i < 16 && st == HVS_OK; i++)
			st = set(w, (uint32_t)r, (hvs_reg)(HVS_REG_X64_RAX + i), t->gpr[i], 0);
		for (i = 0; i < 16 && st == HVS_OK; i++)
			st = set(w, (uint32_t)r, (hvs_reg)(HVS_REG_X64_XMM0 + i), t->xmm[i][0],
				 t->xmm[i][1]);
		if (st == HVS_OK)
			st = set(w, (uint32_t)r, HVS_REG_X64_RIP, t->rip, 0);
		if (st == HVS_OK)
			st = set(w, (uint32_t)r, HVS_REG_X64_RFLAGS, t->rflags, 0);
		if (st == HVS_OK)
			st = set(w, (uint32_t)r, HVS_REG_X64_CR3, cr3, 0);
	}
	if (st == HVS_OK)
		st = hvs_vmrs_writer_add_range(w, 0, RAM_SIZE);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_write_memory(w, ram, RAM_SIZE);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_finish(w);
	if (st != HVS_OK)
		die("writer", hvs_vmrs_writer_errmsg(w));
	hvs_vmrs_writer_close(w);

	tf = fopen(argv[2], "w");
	if (!tf)
		die("cannot create", argv[2]);
	for (r = 0; r < NRUNS; r++) {
		/* Frame 0 is the stop; frame k (k >= 1) is where the k-th
		 * newest call returns to.  The oldest call is a_main's, whose
		 * own return address (0) is the bottom of the stack. */
		int n = nsaved[r];

		fprintf(tf, "vp %d frames %d\n", r, n + 1);
		for (k = 0; k <= n; k++) {
			const regs *x = k ? &saved[r][n - k].r : &truth_top[r];
			uint64_t rip = k ? saved[r][n - k].ret : x->rip;
			uint64_t rsp = k ? saved[r][n - k].rsp : x->rsp;

			fprintf(tf, "f %d %016" PRIx64 " %016" PRIx64, k, rip, rsp);
			for (i = 0; i < 8; i++)
				fprintf(tf, " %016" PRIx64, x->nv[i]);
			for (i = 6; i < 16; i++)
				fprintf(tf, " %016" PRIx64 " %016" PRIx64, x->xmm[i][0], x->xmm[i][1]);
			fprintf(tf, "\n");
		}
	}
	if (fclose(tf))
		die("cannot write", argv[2]);
	uc_close(uc);
	free(ram);
	for (i = 0; i < 3; i++)
		free(img[i].mem);
	return 0;
}
