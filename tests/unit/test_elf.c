/* SPDX-License-Identifier: MIT */
/*
 * ELF core backend (src/mem/elf.c, docs/format/elf.md) on ELF files built
 * in memory: PT_LOAD ranges (sorting, merging, p_memsz tails, overlaps,
 * bounds), extended program-header numbering, the per-vCPU notes of
 * x86_64, i386 and aarch64 (NT_PRSTATUS, NT_FPREGSET, QEMU's CPU state)
 * with the register layouts of Linux's elf_prstatus and QEMU's
 * QEMUCPUState, malformed notes, truncation at every offset and
 * allocation failures.
 *
 * Set HVS_ELF_CORPUS=<dir> to also write the built files there (the seed
 * corpus of fuzz/elf_open.c was made this way).
 */
#include "test.h"

/* ------------------------------------------------------------ builder */

typedef struct buf {
	uint8_t d[16384];
	size_t n;
} buf;

static void put16(uint8_t *p, uint64_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint64_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;
	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* One note to emit. */
typedef struct tnote {
	const char *name;
	uint32_t type;
	const uint8_t *desc;
	uint32_t descsz;
} tnote;

/* One PT_LOAD: @size bytes at @gpa, filled with bytes (gpa + i) * 3. */
typedef struct tload {
	uint64_t gpa, size, memsz;
	int share_prev; /* 1: place right after the previous load's data */
} tload;

typedef struct tcore {
	int is64;
	uint16_t machine;
	const tload *loads;
	size_t nloads;
	const tnote *notes;
	size_t nnotes;
} tcore;

static uint8_t pattern(uint64_t gpa) { return (uint8_t)(gpa * 3 + (gpa >> 12)); }

/* Lay out: ELF header, program headers (PT_NOTE first), notes, data. */
static void build(buf *b, const tcore *c)
{
	size_t ehsz = c->is64 ? 64 : 52, phsz = c->is64 ? 56 : 32;
	size_t nph = c->nloads + (c->nnotes ? 1 : 0), i, pos, noteoff, notesz = 0;
	uint8_t *e = b->d;
	memset(b, 0, sizeof *b);
	memcpy(e, "\x7f" "ELF", 4);
	e[4] = c->is64 ? 2 : 1;
	e[5] = 1;
	e[6] = 1;
	put16(e + 16, 4); /* ET_CORE */
	put16(e + 18, c->machine);
	put32(e + 20, 1);
	if (c->is64) {
		put64(e + 32, ehsz);
		put16(e + 52, ehsz);
		put16(e + 54, phsz);
		put16(e + 56, nph);
	} else {
		put32(e + 28, ehsz);
		put16(e + 40, ehsz);
		put16(e + 42, phsz);
		put16(e + 44, nph);
	}
	pos = ehsz + nph * phsz;
	noteoff = pos;
	for (i = 0; i < c->nnotes; i++) {
		const tnote *t = &c->notes[i];
		size_t nl = strlen(t->name) + 1;
		put32(b->d + pos, nl);
		put32(b->d + pos + 4, t->descsz);
		put32(b->d + pos + 8, t->type);
		memcpy(b->d + pos + 12, t->name, nl);
		pos += 12 + ((nl + 3) & ~(size_t)3);
		if (t->desc)
			memcpy(b->d + pos, t->desc, t->descsz);
		pos += (t->descsz + 3) & ~(size_t)3;
	}
	notesz = pos - noteoff;
	pos = (pos + 15) & ~(size_t)15;
	{
		uint8_t *ph = b->d + ehsz;
		size_t last_end = pos;
		if (c->nnotes) {
			put32(ph, 4);
			if (c->is64) {
				put64(ph + 8, noteoff);
				put64(ph + 32, notesz);
				put64(ph + 40, notesz);
			} else {
				put32(ph + 4, noteoff);
				put32(ph + 16, notesz);
				put32(ph + 20, notesz);
			}
			ph += phsz;
		}
		for (i = 0; i < c->nloads; i++, ph += phsz) {
			const tload *l = &c->loads[i];
			size_t off = l->share_prev ? last_end : pos, k;
			if (off + l->size > sizeof b->d) {
				test__fail(__FILE__, __LINE__, "build: load %zu does not fit", i);
				return;
			}
			put32(ph, 1);
			if (c->is64) {
				put32(ph + 4, 7);
				put64(ph + 8, off);
				put64(ph + 16, l->gpa);
				put64(ph + 24, l->gpa);
				put64(ph + 32, l->size);
				put64(ph + 40, l->memsz ? l->memsz : l->size);
			} else {
				put32(ph + 4, off);
				put32(ph + 8, l->gpa);
				put32(ph + 12, l->gpa);
				put32(ph + 16, l->size);
				put32(ph + 20, l->memsz ? l->memsz : l->size);
				put32(ph + 24, 7);
			}
			for (k = 0; k < l->size; k++)
				b->d[off + k] = pattern(l->gpa + k);
			last_end = off + l->size;
			if (last_end > pos)
				pos = last_end;
			/* Leave a 16-byte hole between loads unless the next shares. */
			if (i + 1 < c->nloads && !c->loads[i + 1].share_prev)
				pos += 16;
		}
	}
	b->n = pos;
}

static void maybe_write_corpus(const char *name, const buf *b)
{
	const char *dir = getenv("HVS_ELF_CORPUS");
	char path[1024];
	if (!dir)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	test_write_file(path, b->d, b->n);
}

static hvs_status open_buf(hvs_image **img, hvs_source *src, const uint8_t *d, size_t n,
			   char *err, size_t errn, const hvs_allocator *a)
{
	hvs_image_opts o;
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = errn;
	o.base.alloc = a;
	if (hvs_source_from_memory(src, d, n) != HVS_OK)
		return HVS_E_INVALID;
	return hvs_image_open_source(img, src, &o);
}

/* ------------------------------------------------------- note payloads */

/* x86_64 elf_prstatus (336 bytes): pr_reg at 112, 27 u64 (user_64.h):
 * value of slot i = 0x1000 + i, with cs 0x33, ss 0x2b, fs_base/gs_base. */
static void make_prstatus_x64(uint8_t *d)
{
	unsigned i;
	memset(d, 0, 336);
	for (i = 0; i < 27; i++)
		put64(d + 112 + 8 * i, 0x1000 + i);
	put64(d + 112 + 17 * 8, 0x33);   /* cs: RPL 3 */
	put64(d + 112 + 20 * 8, 0x2b);   /* ss */
	put64(d + 112 + 21 * 8, 0x7f0000001000ull); /* fs_base */
	put64(d + 112 + 22 * 8, 0x7f0000002000ull); /* gs_base */
	put64(d + 112 + 25 * 8, 0x53);   /* fs selector */
}

/* i386 elf_prstatus (144 bytes): pr_reg at 72, 17 u32 (user_32.h). */
static void make_prstatus_i386(uint8_t *d)
{
	unsigned i;
	memset(d, 0, 144);
	for (i = 0; i < 17; i++)
		put32(d + 72 + 4 * i, 0xc0000000u + i);
	put32(d + 72 + 13 * 4, 0x60); /* xcs: RPL 0 */
	put32(d + 72 + 16 * 4, 0x68); /* xss */
}

/* aarch64 elf_prstatus (392 bytes): pr_reg at 112: x0..x30, sp, pc, pstate. */
static void make_prstatus_arm64(uint8_t *d, uint64_t pstate)
{
	unsigned i;
	memset(d, 0, 392);
	for (i = 0; i < 31; i++)
		put64(d + 112 + 8 * i, 0xa000 + i);
	put64(d + 112 + 31 * 8, 0xffff800008001000ull); /* sp */
	put64(d + 112 + 32 * 8, 0xffffc00000123456ull); /* pc */
	put64(d + 112 + 33 * 8, pstate);
}

/* user_fpsimd_state (528 bytes): vregs[32] (16 bytes), fpsr, fpcr, 8 reserved. */
static void make_fpsimd(uint8_t *d)
{
	unsigned i;
	memset(d, 0, 528);
	for (i = 0; i < 32; i++) {
		put64(d + 16 * i, 0x1111000000000000ull + i);
		put64(d + 16 * i + 8, 0x2222000000000000ull + i);
	}
	put32(d + 512, 0x8000010);
	put32(d + 516, 0x3000000);
}

/*
 * QEMUCPUState v1 (0x1b8 bytes; QEMU target/i386/arch_dump.c): rax.. at
 * 8 as 0x100 + i, rip 136, rflags 144, segments from 152 (24 bytes each:
 * selector, limit, flags, pad, base), gdt 344, idt 368, cr[5] 392,
 * kernel_gs_base 432.  @ss_flags is SS's descriptor flags word.
 */
static void make_qemu_state(uint8_t *d, uint32_t ss_flags)
{
	unsigned i;
	memset(d, 0, 0x1b8);
	put32(d, 1);
	put32(d + 4, 0x1b8);
	for (i = 0; i < 16; i++)
		put64(d + 8 + 8 * i, 0x100 + i);
	put64(d + 136, 0xffffffff81000000ull);
	put64(d + 144, 0x246);
	for (i = 0; i < 8; i++) {
		uint8_t *s = d + 152 + 24 * i;
		put32(s, 0x10 + 8 * i);
		put32(s + 4, 0xfffff);
		put32(s + 8, 0x00af9b00);
		put64(s + 16, 0x10000ull * (i + 1));
	}
	put32(d + 272 + 8, ss_flags); /* ss */
	put32(d + 344 + 4, 0x7f);
	put64(d + 344 + 16, 0xfffffe0000001000ull);
	put32(d + 368 + 4, 0xfff);
	put64(d + 368 + 16, 0xfffffe0000000000ull);
	put64(d + 392, 0x80050033);
	put64(d + 392 + 8, 0xdead); /* cr1: reserved, not kept */
	put64(d + 392 + 16, 0x207000);
	put64(d + 392 + 24, 0x1000);
	put64(d + 392 + 32, 0x6f0);
	put64(d + 432, 0xffff888000000000ull);
}

static uint8_t prs_x64[2][336], qemu_st[0x1b8], prs_i386[144], prs_arm[2][392], fpsimd[528];

static void i386_core(buf *b);

static const tload x64_loads[] = {
	{ 0x10000, 0x1000, 0, 0 },
	{ 0x11000, 0x800, 0, 1 },       /* adjacent in GPA and file: merged */
	{ 0x1000, 0x1000, 0x3000, 0 },  /* memsz > filesz: [0x2000, 0x4000) unbacked */
	{ 0x100000000ull, 0x1000, 0, 0 },
};

static void x64_core(buf *b)
{
	tnote notes[4];
	tcore c;
	make_prstatus_x64(prs_x64[0]);
	make_prstatus_x64(prs_x64[1]);
	put64(prs_x64[1] + 112 + 16 * 8, 0x401000); /* rip of vCPU 1 */
	make_qemu_state(qemu_st, 0x00cf9300);      /* SS DPL 0 */
	notes[0] = (tnote){ "CORE", 1, prs_x64[0], 336 };
	notes[1] = (tnote){ "CORE", 1, prs_x64[1], 336 };
	notes[2] = (tnote){ "QEMU", 0, qemu_st, 0x1b8 };
	notes[3] = (tnote){ "VMCOREINFO", 0, (const uint8_t *)"OSRELEASE=6.1\n", 14 };
	c = (tcore){ 1, 62, x64_loads, 4, notes, 4 };
	build(b, &c);
}

/* ------------------------------------------------------------- tests */

static buf B;

static void test_elf__x64_ranges(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	const hvs_mem_range *r;
	uint8_t got[0x1800];
	size_t done, i;

	x64_core(&B);
	maybe_write_corpus("x64_core", &B);
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	CHECK_EQ(hvs_image_get_format(img), HVS_FORMAT_ELF);
	/* 4 PT_LOADs, two merged: 3 ranges sorted by GPA, raw in GPA order. */
	CHECK_EQ(hvs_image_range_count(img), 3);
	r = hvs_image_ranges(img);
	CHECK_EQ(r[0].gpa, 0x1000);
	CHECK_EQ(r[0].size, 0x1000);
	CHECK_EQ(r[0].raw_offset, 0);
	CHECK_EQ(r[1].gpa, 0x10000);
	CHECK_EQ(r[1].size, 0x1800);
	CHECK_EQ(r[1].raw_offset, 0x1000);
	CHECK_EQ(r[2].gpa, 0x100000000ull);
	CHECK_EQ(r[2].raw_offset, 0x2800);
	CHECK_EQ(hvs_image_raw_size(img), 0x3800);
	/* The merged range reads across the former boundary. */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x10000, got, 0x1800, &done));
	CHECK_EQ(done, 0x1800);
	for (i = 0; i < 0x1800; i++)
		CHECK_EQ(got[i], pattern(0x10000 + i));
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x100000ff0ull, got, 16, &done));
	CHECK_EQ(got[15], pattern(0x100000fffull));
	/* p_memsz beyond p_filesz is not backed: partial read, then NODATA. */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0x1ff0, got, 32, &done), HVS_E_NODATA);
	CHECK_EQ(done, 16);
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0x2000, got, 1, &done), HVS_E_NODATA);
	/* Raw space: GPA order. */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_RAW, 0x1000, got, 4, &done));
	CHECK_EQ(got[0], pattern(0x10000));
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_elf__x64_registers(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	hvs_regval v;
	hvs_partition_info pi;
	int k;

	x64_core(&B);
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	CHECK_EQ(hvs_image_vp_count(img), 2);
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.arch, HVS_ARCH_X64);
	/* VP 0: the QEMU note wins: rax = 0x100, rbx 0x101 ... */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RAX, &v));
	CHECK_EQ(v.lo, 0x100);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RBP, &v));
	CHECK_EQ(v.lo, 0x107);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_R15, &v));
	CHECK_EQ(v.lo, 0x10f);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &v));
	CHECK_EQ(v.lo, 0xffffffff81000000ull);
	/* CS: selector 0x10, limit 0xfffff, flags 0x00af9b00 -> attr 0xa09b. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CS, &v));
	CHECK_EQ(v.lo, 0x10000);
	CHECK_EQ(v.hi, 0xa09b0010000fffffull);
	/* TR is the 8th segment: selector 0x48, base 0x80000. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_TR, &v));
	CHECK_EQ(v.lo, 0x80000);
	CHECK_EQ((v.hi >> 32) & 0xffff, 0x48);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_SS, &v));
	CHECK_EQ(v.hi >> 48, 0xc093);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_GDTR, &v));
	CHECK_EQ(v.lo, 0x7f);
	CHECK_EQ(v.hi, 0xfffffe0000001000ull);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_IDTR, &v));
	CHECK_EQ(v.lo, 0xfff);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR2, &v));
	CHECK_EQ(v.lo, 0x207000);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &v));
	CHECK_EQ(v.lo, 0x1000);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR4, &v));
	CHECK_EQ(v.lo, 0x6f0);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_KERNEL_GS_BASE, &v));
	CHECK_EQ(v.lo, 0xffff888000000000ull);
	/* CPL from SS.DPL (0), although CS.RPL in NT_PRSTATUS was 3. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CPL, &v));
	CHECK_EQ(v.lo, 0);
	CHECK_OK(hvs_image_in_kernel(img, 0, &k));
	CHECK_EQ(k, 1);
	CHECK_STATUS(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_EFER, &v),
		     HVS_E_NOTFOUND);

	/* VP 1: NT_PRSTATUS only (user_regs_struct order). */
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_R15, &v));
	CHECK_EQ(v.lo, 0x1000);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RBX, &v));
	CHECK_EQ(v.lo, 0x1005);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RAX, &v));
	CHECK_EQ(v.lo, 0x100a);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RDI, &v));
	CHECK_EQ(v.lo, 0x100e);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &v));
	CHECK_EQ(v.lo, 0x401000);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RFLAGS, &v));
	CHECK_EQ(v.lo, 0x1012);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_RSP, &v));
	CHECK_EQ(v.lo, 0x1013);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_FS, &v));
	CHECK_EQ(v.lo, 0x7f0000001000ull);
	CHECK_EQ((v.hi >> 32) & 0xffff, 0x53);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_GS, &v));
	CHECK_EQ(v.lo, 0x7f0000002000ull);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CPL, &v));
	CHECK_EQ(v.lo, 3);
	CHECK_OK(hvs_image_in_kernel(img, 1, &k));
	CHECK_EQ(k, 0);
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_elf__i386_elf32(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	hvs_regval v;
	hvs_partition_info pi;

	i386_core(&B);
	maybe_write_corpus("i386_elf32", &B);
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.arch, HVS_ARCH_X86);
	CHECK_EQ(hvs_image_range_count(img), 1);
	CHECK_EQ(hvs_image_ranges(img)[0].gpa, 0x100000);
	/* ebx ecx edx esi edi ebp eax ...: zero-extended into the X64 ids. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RBX, &v));
	CHECK_EQ(v.lo, 0xc0000000u);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RAX, &v));
	CHECK_EQ(v.lo, 0xc0000006u);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &v));
	CHECK_EQ(v.lo, 0xc000000cu);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RFLAGS, &v));
	CHECK_EQ(v.lo, 0xc000000eu);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RSP, &v));
	CHECK_EQ(v.lo, 0xc000000fu);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CS, &v));
	CHECK_EQ((v.hi >> 32) & 0xffff, 0x60);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CPL, &v));
	CHECK_EQ(v.lo, 0);
	CHECK_STATUS(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_R8, &v),
		     HVS_E_NOTFOUND);
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_elf__arm64(void)
{
	static const tload loads[] = { { 0x40000000, 0x2000, 0, 0 } };
	tnote n[4];
	tcore c;
	hvs_image *img;
	hvs_source src;
	char err[256];
	hvs_regval v;
	hvs_vp_info vi;
	int k;

	make_prstatus_arm64(prs_arm[0], 0x60000000); /* EL0t */
	make_prstatus_arm64(prs_arm[1], 0x400000c5); /* EL1h */
	make_fpsimd(fpsimd);
	n[0] = (tnote){ "CORE", 1, prs_arm[0], 392 };
	n[1] = (tnote){ "CORE", 2, fpsimd, 528 };
	n[2] = (tnote){ "CORE", 1, prs_arm[1], 392 };
	n[3] = (tnote){ "CORE", 2, fpsimd, 528 };
	c = (tcore){ 1, 183, loads, 1, n, 4 };
	build(&B, &c);
	maybe_write_corpus("arm64_core", &B);
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	CHECK_EQ(hvs_image_vp_count(img), 2);
	CHECK_OK(hvs_image_vp_info(img, 1, &vi));
	CHECK_EQ(vi.arch, HVS_ARCH_ARM64);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_X0, &v));
	CHECK_EQ(v.lo, 0xa000);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_X28, &v));
	CHECK_EQ(v.lo, 0xa01c);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_FP, &v));
	CHECK_EQ(v.lo, 0xa01d);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_LR, &v));
	CHECK_EQ(v.lo, 0xa01e);
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_PC, &v));
	CHECK_EQ(v.lo, 0xffffc00000123456ull);
	/* EL0t: sp is SP_EL0; EL1h (PSTATE.SP = 1): SP_EL1. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_SP_EL0, &v));
	CHECK_EQ(v.lo, 0xffff800008001000ull);
	CHECK_STATUS(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_SP_EL1, &v),
		     HVS_E_NOTFOUND);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_ARM64_SP_EL1, &v));
	CHECK_EQ(v.lo, 0xffff800008001000ull);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_ARM64_CPSR, &v));
	CHECK_EQ(v.lo, 0x400000c5);
	CHECK_OK(hvs_image_in_kernel(img, 0, &k));
	CHECK_EQ(k, 0);
	CHECK_OK(hvs_image_in_kernel(img, 1, &k));
	CHECK_EQ(k, 1);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_ARM64_Q31, &v));
	CHECK_EQ(v.lo, 0x111100000000001full);
	CHECK_EQ(v.hi, 0x222200000000001full);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_ARM64_FPSR, &v));
	CHECK_EQ(v.lo, 0x8000010);
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_ARM64_FPCR, &v));
	CHECK_EQ(v.lo, 0x3000000);
	/* The core has no TTBR/TCR: translation says what is missing. */
	CHECK_STATUS(hvs_vp_translate(img, 0, 0x1000, NULL, NULL, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_image_errmsg(img), "ttbr0_el1") != NULL);
	hvs_image_close(img);
	hvs_source_close(&src);
}

/* Open @b and expect @want; the message must name something. */
static void expect(const buf *b, hvs_status want, const char *msg_part)
{
	hvs_image *img = NULL;
	hvs_source src;
	char err[512] = "";
	hvs_status s = open_buf(&img, &src, b->d, b->n, err, sizeof err, NULL);
	hvs_source_close(&src);
	if (s != want)
		test__fail(__FILE__, __LINE__, "status %s, want %s (%s)", hvs_strerror(s),
			   hvs_strerror(want), err);
	CHECK_STATUS(s, want);
	CHECK(img == NULL);
	if (msg_part && !strstr(err, msg_part))
		test__fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err, msg_part);
}

static void test_elf__header_errors(void)
{
	x64_core(&B);
	B.d[5] = 2; /* big-endian */
	expect(&B, HVS_E_UNSUPPORTED, "little-endian");
	x64_core(&B);
	B.d[4] = 3; /* bad class */
	expect(&B, HVS_E_CORRUPT, "class");
	x64_core(&B);
	put16(B.d + 16, 2); /* ET_EXEC */
	expect(&B, HVS_E_UNSUPPORTED, "ET_CORE");
	x64_core(&B);
	put32(B.d + 20, 2); /* e_version */
	expect(&B, HVS_E_UNSUPPORTED, "e_version");
	x64_core(&B);
	put16(B.d + 54, 40); /* e_phentsize too small */
	expect(&B, HVS_E_CORRUPT, "e_phentsize");
	x64_core(&B);
	put16(B.d + 56, 300); /* program headers past EOF */
	expect(&B, HVS_E_CORRUPT, "program header table");
	x64_core(&B);
	put64(B.d + 32, 0xfffffffffffffff0ull); /* e_phoff wraps */
	expect(&B, HVS_E_CORRUPT, "program header table");
}

static void test_elf__load_errors(void)
{
	/* [0x1000, 0x1fff] and [0x1800, 0x27ff]: neither inside the other. */
	static const tload overlap[] = { { 0x1000, 0x1000, 0, 0 }, { 0x1800, 0x1000, 0, 0 } };
	/* Same start, header 1 longer: sorted first, header 0 inside it (a
	 * note), then header 2 overlaps header 1 partly. */
	static const tload overlap2[] = { { 0x1000, 0x800, 0, 0 }, { 0x1000, 0xc00, 0, 0 },
					  { 0x1800, 0x800, 0, 0 } };
	static const tload wrap[] = { { 0xfffffffffffff800ull, 0x1000, 0, 0 } };
	tcore c;
	/* Partly overlapping PT_LOADs: the message names both headers and spans. */
	c = (tcore){ 1, 62, overlap, 2, NULL, 0 };
	build(&B, &c);
	maybe_write_corpus("partial_overlap", &B);
	expect(&B, HVS_E_CORRUPT,
	       "program headers 0 and 1: PT_LOAD segments overlap partly: physical "
	       "[0x1000, 0x1fff] and [0x1800, 0x27ff]");
	c = (tcore){ 1, 62, overlap2, 3, NULL, 0 };
	build(&B, &c);
	expect(&B, HVS_E_CORRUPT,
	       "program headers 1 and 2: PT_LOAD segments overlap partly: physical "
	       "[0x1000, 0x1bff] and [0x1800, 0x1fff]");
	/* A PT_LOAD whose physical range wraps. */
	c = (tcore){ 1, 62, wrap, 1, NULL, 0 };
	build(&B, &c);
	expect(&B, HVS_E_CORRUPT, "wraps");
	/* A PT_LOAD past the end of the file: p_filesz of the second load. */
	x64_core(&B);
	put64(B.d + 64 + 56 * 2 + 32, 0x100000);
	expect(&B, HVS_E_CORRUPT, "past the end of the file");
	/* p_offset past the end. */
	x64_core(&B);
	put64(B.d + 64 + 56 * 1 + 8, 0x7fffffffffffffffull);
	expect(&B, HVS_E_CORRUPT, "past the end of the file");
}

/* Problem sink of the contained-segment test: counts the notes. */
typedef struct sink_log {
	unsigned n;
	hvs_status kind;
	uint64_t offset;
	char first[256], msg[256];
} sink_log;

static void log_problem(void *ud, hvs_status kind, uint64_t offset, const char *msg)
{
	sink_log *l = ud;
	l->n++;
	l->kind = kind;
	l->offset = offset;
	snprintf(l->n == 1 ? l->first : l->msg, sizeof l->msg, "%s", msg);
}

/*
 * A Linux kdump vmcore gives the kernel text its own PT_LOAD (listed
 * first) whose p_paddr aliases a System RAM segment (kernel/crash_core.c
 * crash_prepare_elf64_headers).  Here: text [0x100800, 0x100fff] inside
 * RAM [0x100000, 0x100fff], which is followed by RAM [0x101000, 0x101fff]
 * adjacent in GPA and file (merged across the ignored one), plus a
 * duplicate of the high segment.  The contained copies' file bytes are
 * overwritten to show that reads come from the containing segment.
 */
static void test_elf__contained_load(void)
{
	static const tload loads[] = {
		{ 0x100800, 0x800, 0, 0 },     /* header 0: "kernel text" alias */
		{ 0x100000, 0x1000, 0, 0 },    /* header 1: RAM */
		{ 0x101000, 0x1000, 0, 1 },    /* header 2: RAM, adjacent: merged */
		{ 0x200000, 0x400, 0, 0 },     /* header 3 */
		{ 0x200000, 0x400, 0, 0 },     /* header 4: the same span again */
	};
	tcore c = { 1, 62, loads, 5, NULL, 0 };
	hvs_image *img;
	hvs_source src;
	hvs_image_opts o;
	sink_log log;
	char err[256] = "";
	const hvs_mem_range *r;
	uint8_t got[0x2000];
	size_t done, i;
	uint64_t off0, off4;

	build(&B, &c);
	maybe_write_corpus("kdump_contained", &B);
	/* No sink: opens all the same. */
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	CHECK_EQ(hvs_image_range_count(img), 2);
	hvs_image_close(img);
	hvs_source_close(&src);

	/* Scribble over the ignored segments' bytes (p_offset at 64 + 56 * i + 8). */
	off0 = get64(B.d + 64 + 8);
	off4 = get64(B.d + 64 + 56 * 4 + 8);
	memset(B.d + off0, 0xee, 0x800);
	memset(B.d + off4, 0xee, 0x400);
	memset(&o, 0, sizeof o);
	memset(&log, 0, sizeof log);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	o.base.problem = log_problem;
	o.base.problem_ud = &log;
	CHECK_OK(hvs_source_from_memory(&src, B.d, B.n));
	CHECK_OK(hvs_image_open_source(&img, &src, &o));
	/* Two notes (headers 0 and 4), the last for header 4 at 64 + 4 * 56. */
	CHECK_EQ(log.n, 2);
	CHECK_STR(log.first, "program header 0: PT_LOAD at physical [0x100800, 0x100fff] "
			     "lies inside program header 1's and is ignored");
	CHECK_EQ(log.kind, HVS_OK);
	CHECK_EQ(log.offset, 64 + 4 * 56);
	CHECK_STR(log.msg, "program header 4: PT_LOAD at physical [0x200000, 0x2003ff] "
			   "lies inside program header 3's and is ignored");
	/* RAM merged into one range, the duplicate gone: 0x2000 + 0x400 raw bytes. */
	CHECK_EQ(hvs_image_range_count(img), 2);
	r = hvs_image_ranges(img);
	CHECK_EQ(r[0].gpa, 0x100000);
	CHECK_EQ(r[0].size, 0x2000);
	CHECK_EQ(r[0].raw_offset, 0);
	CHECK_EQ(r[1].gpa, 0x200000);
	CHECK_EQ(r[1].size, 0x400);
	CHECK_EQ(r[1].raw_offset, 0x2000);
	CHECK_EQ(hvs_image_raw_size(img), 0x2400);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x100000, got, 0x2000, &done));
	for (i = 0; i < 0x2000; i++)
		CHECK_EQ(got[i], pattern(0x100000 + i));
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x200000, got, 0x400, &done));
	for (i = 0; i < 0x400; i++)
		CHECK_EQ(got[i], pattern(0x200000 + i));
	hvs_image_close(img);
	hvs_source_close(&src);
}

/* A core with notes but no PT_LOAD (seen by the fuzzer: qsort on NULL):
 * it opens with no memory, and its VP registers are still there. */
static void test_elf__no_loads(void)
{
	tnote notes[1];
	tcore c;
	hvs_image *img;
	hvs_source src;
	char err[256] = "";
	uint8_t b;
	size_t done;
	make_prstatus_x64(prs_x64[0]);
	notes[0] = (tnote){ "CORE", 1, prs_x64[0], 336 };
	c = (tcore){ 1, 62, NULL, 0, notes, 1 };
	build(&B, &c);
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	CHECK_EQ(hvs_image_range_count(img), 0);
	CHECK_EQ(hvs_image_raw_size(img), 0);
	CHECK_EQ(hvs_image_vp_count(img), 1);
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0, &b, 1, &done), HVS_E_NODATA);
	hvs_image_close(img);
	hvs_source_close(&src);
}

static void test_elf__note_errors(void)
{
	size_t note0 = 64 + 5 * 56; /* first note header of x64_core */
	x64_core(&B);
	put32(B.d + note0, 0xfffffff0u); /* namesz huge */
	expect(&B, HVS_E_CORRUPT, "past the end of its PT_NOTE");
	x64_core(&B);
	put32(B.d + note0 + 4, 0x10000); /* descsz past the segment */
	expect(&B, HVS_E_CORRUPT, "past the end of its PT_NOTE");
	x64_core(&B);
	put32(B.d + note0 + 4, 0xffffffffu); /* descsz wraps with alignment */
	expect(&B, HVS_E_CORRUPT, "past the end of its PT_NOTE");
	x64_core(&B);
	put32(B.d + note0 + 4, 328); /* NT_PRSTATUS of the wrong size (8 bytes less) */
	expect(&B, HVS_E_CORRUPT, "NT_PRSTATUS");
	x64_core(&B);
	/* PT_NOTE p_filesz leaves a partial header at its end. */
	{
		/* Note segment: 2 x (12 + 8 + 336) + (12 + 8 + 440) + (12 + 12 + 16). */
		uint64_t sz = 2 * (12 + 8 + 336) + (12 + 8 + 440) + (12 + 12 + 16);
		put64(B.d + 64 + 32, sz + 4);
		expect(&B, HVS_E_CORRUPT, "a header needs 12");
	}
	/* QEMU note: version 2, then a size field too small. */
	x64_core(&B);
	put32(B.d + note0 + 2 * (12 + 8 + 336) + 20, 2);
	expect(&B, HVS_E_UNSUPPORTED, "version 2");
	x64_core(&B);
	put32(B.d + note0 + 2 * (12 + 8 + 336) + 24, 0x100);
	expect(&B, HVS_E_CORRUPT, "size field");
	x64_core(&B);
	put32(B.d + note0 + 2 * (12 + 8 + 336) + 24, 0x1c0); /* larger than the note */
	expect(&B, HVS_E_CORRUPT, "size field");
}

static void test_elf__fpregset_first(void)
{
	static const tload loads[] = { { 0x40000000, 0x1000, 0, 0 } };
	tnote n[1];
	tcore c;
	make_fpsimd(fpsimd);
	n[0] = (tnote){ "CORE", 2, fpsimd, 528 };
	c = (tcore){ 1, 183, loads, 1, n, 1 };
	build(&B, &c);
	expect(&B, HVS_E_CORRUPT, "before any NT_PRSTATUS");
}

/* Extended numbering: e_phnum = PN_XNUM, the count in section 0's sh_info. */
static void test_elf__pn_xnum(void)
{
	hvs_image *img;
	hvs_source src;
	char err[256];
	size_t sh;
	x64_core(&B);
	sh = (B.n + 7) & ~(size_t)7;
	memset(B.d + B.n, 0, sh + 64 - B.n);
	put32(B.d + sh + 44, 5); /* sh_info: 5 program headers */
	B.n = sh + 64;
	put64(B.d + 40, sh);     /* e_shoff */
	put16(B.d + 58, 64);     /* e_shentsize */
	put16(B.d + 60, 1);      /* e_shnum */
	put16(B.d + 56, 0xffff); /* e_phnum = PN_XNUM */
	maybe_write_corpus("pn_xnum", &B);
	CHECK_OK(open_buf(&img, &src, B.d, B.n, err, sizeof err, NULL));
	CHECK_EQ(hvs_image_range_count(img), 3);
	CHECK_EQ(hvs_image_vp_count(img), 2);
	hvs_image_close(img);
	hvs_source_close(&src);
	/* A section header table that is not there. */
	put64(B.d + 40, 0x100000);
	expect(&B, HVS_E_CORRUPT, "section header 0");
}

/* An ELF32 i386 core (one PT_LOAD, one NT_PRSTATUS). */
static void i386_core(buf *b)
{
	static const tload loads[] = { { 0x100000, 0x1000, 0, 0 } };
	tnote n[1];
	tcore c;
	make_prstatus_i386(prs_i386);
	n[0] = (tnote){ "CORE", 1, prs_i386, 144 };
	c = (tcore){ 0, 3, loads, 1, n, 1 };
	build(b, &c);
}

/* Every truncated prefix of @full fails cleanly: UNSUPPORTED before the
 * magic, CORRUPT after it. */
static void truncate_all(const buf *full)
{
	size_t n;
	for (n = 0; n < full->n; n++) {
		hvs_image *img = NULL;
		hvs_source src;
		char err[256];
		hvs_status s = open_buf(&img, &src, full->d, n, err, sizeof err, NULL);
		hvs_source_close(&src);
		if (s != (n < 4 ? HVS_E_UNSUPPORTED : HVS_E_CORRUPT))
			test__fail(__FILE__, __LINE__, "length %zu: %s (%s)", n, hvs_strerror(s), err);
		CHECK_STATUS(s, n < 4 ? HVS_E_UNSUPPORTED : HVS_E_CORRUPT);
		CHECK(img == NULL);
	}
}

static void test_elf__truncation_elf32(void)
{
	static buf full;
	i386_core(&full);
	truncate_all(&full);
}

/* Every truncated prefix fails cleanly: UNSUPPORTED before the magic, else CORRUPT. */
static void test_elf__truncation(void)
{
	size_t n;
	buf full;
	x64_core(&full);
	for (n = 0; n < full.n; n++) {
		hvs_image *img = NULL;
		hvs_source src;
		char err[256];
		hvs_status s = open_buf(&img, &src, full.d, n, err, sizeof err, NULL);
		hvs_source_close(&src);
		if (s != (n < 4 ? HVS_E_UNSUPPORTED : HVS_E_CORRUPT))
			test__fail(__FILE__, __LINE__, "length %zu: %s (%s)", n, hvs_strerror(s), err);
		CHECK_STATUS(s, n < 4 ? HVS_E_UNSUPPORTED : HVS_E_CORRUPT);
		CHECK(img == NULL);
	}
}

/* Every allocation failure gives NOMEM and leaks nothing. */
static void test_elf__oom(void)
{
	long i;
	x64_core(&B);
	for (i = 1; i < 200; i++) {
		test_failalloc fa;
		hvs_image *img = NULL;
		hvs_source src;
		char err[256];
		hvs_status s;
		test_failalloc_init(&fa, i);
		s = open_buf(&img, &src, B.d, B.n, err, sizeof err, &fa.a);
		if (s != HVS_OK)
			hvs_source_close(&src);
		if (s == HVS_OK) {
			/* The glue allocates too: translation needs CR3 etc. */
			hvs_vp_translate(img, 0, 0, NULL, NULL, NULL);
			hvs_image_close(img);
			hvs_source_close(&src);
			CHECK_EQ(fa.live, 0);
			break;
		}
		CHECK_STATUS(s, HVS_E_NOMEM);
		CHECK_EQ(fa.live, 0);
	}
	CHECK(i > 3 && i < 200);
}

/* Format forced to ELF and detection by magic agree; raw is never probed. */
static void test_elf__forced_format(void)
{
	hvs_image *img;
	hvs_source src;
	hvs_image_opts o;
	x64_core(&B);
	memset(&o, 0, sizeof o);
	o.format = HVS_FORMAT_ELF;
	CHECK_OK(hvs_source_from_memory(&src, B.d, B.n));
	CHECK_OK(hvs_image_open_source(&img, &src, &o));
	CHECK_EQ(hvs_image_get_format(img), HVS_FORMAT_ELF);
	CHECK_STR(hvs_image_format_name(hvs_image_get_format(img)), "elf");
	hvs_image_close(img);
	hvs_source_close(&src);
}

TEST_MAIN(TEST(test_elf__x64_ranges), TEST(test_elf__x64_registers),
	  TEST(test_elf__i386_elf32), TEST(test_elf__arm64), TEST(test_elf__header_errors),
	  TEST(test_elf__load_errors), TEST(test_elf__contained_load), TEST(test_elf__no_loads),
	  TEST(test_elf__note_errors),
	  TEST(test_elf__fpregset_first), TEST(test_elf__pn_xnum), TEST(test_elf__truncation),
	  TEST(test_elf__truncation_elf32),
	  TEST(test_elf__oom), TEST(test_elf__forced_format))
