/* SPDX-License-Identifier: MIT */
/*
 * ELF core backend: the memory and processor state of a guest dumped by
 * QEMU's dump-guest-memory (or any little-endian ELF32/ELF64 ET_CORE whose
 * PT_LOAD segments carry guest-physical addresses in p_paddr).
 *
 * Layout and every note decoded here: docs/format/elf.md.
 *  - PT_LOAD segments become guest-physical ranges (docs/format/elf.md 2):
 *    p_filesz bytes from p_offset at GPA p_paddr; bytes past p_filesz up
 *    to p_memsz were not captured and stay unbacked.  Raw offsets are
 *    assigned in GPA order; reads go through hvs__extent_ops.
 *  - PT_NOTE segments (docs/format/elf.md 3): per vCPU CORE/NT_PRSTATUS
 *    (x86_64, i386, aarch64 pr_reg), CORE/NT_FPREGSET (aarch64), QEMU's
 *    "QEMU" CPU-state note (x86, with segments, descriptor tables and
 *    control registers) and the guest's VMCOREINFO.
 * Every offset and size comes from the file and is checked against the
 * file size before use; counts are capped (ELF_MAX_*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/elf_layout.h"
#include "mem/image_int.h"


/* Caps (docs/format/elf.md 5): far above what a VM produces. */
#define ELF_MAX_PHDRS (1u << 24)       /* program headers */
#define ELF_MAX_NOTE_BYTES (64u << 20) /* one PT_NOTE segment */
#define ELF_MAX_VCPUS 4096u            /* hvs__image_add_vp's own cap */


/* One PT_LOAD, before merging; @index and @at name it in messages. */
typedef struct elf_load {
	uint64_t gpa, size, off;
	uint64_t at;    /* file offset of its program header */
	uint32_t index; /* program header number */
} elf_load;

/* One PT_NOTE segment. */
typedef struct elf_note_seg {
	uint64_t off, size, align;
} elf_note_seg;

/* The parts of the ELF header this reader needs, decoded. */
typedef struct elf_hdr {
	int is64;
	uint16_t type, machine;
	uint64_t phoff, shoff;
	uint32_t phentsize, shentsize, phnum;
} elf_hdr;

/* Backend state: only the VMCOREINFO text is kept (reads use extents). */
typedef struct elf_be {
	char *vmcoreinfo;
	size_t vmcoreinfo_len;
} elf_be;

int hvs__elf_probe(const uint8_t *head, size_t n)
{
	/* "\x7fELF" (gABI e_ident[EI_MAG0..3]); the open checks the rest. */
	return n >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' &&
	       head[3] == 'F';
}

/* Read exactly @len bytes at @off, CORRUPT when the file is too short. */
static hvs_status read_exact(hvs_image *img, uint64_t off, void *buf, size_t len,
			     const char *what)
{
	size_t got = 0;
	hvs_status s = img->src.read_at(img->src.ud, off, buf, len, &got);
	if (s == HVS_E_NODATA || (s == HVS_OK && got < len))
		return HVS_CORRUPT(&img->err,
				   "%s: 0x%zx bytes at file offset 0x%" PRIx64
				   " run past the end of the file", what, len, off);
	if (s != HVS_OK)
		return hvs__err_set(&img->err, s, "%s: read of 0x%zx bytes at file offset 0x%" PRIx64
				    " failed", what, len, off);
	return HVS_OK;
}

/* Decode and check the ELF header (gABI "ELF Header"; docs/format/elf.md 1). */
static hvs_status parse_ehdr(hvs_image *img, elf_hdr *h, uint64_t fsize)
{
	uint8_t e[64];
	size_t need;
	memset(h, 0, sizeof *h);
	HVS_TRY(read_exact(img, 0, e, 16, "ELF identification"));
	if (e[4] != ELFCLASS32 && e[4] != ELFCLASS64)
		return HVS_CORRUPT(&img->err, "ELF header: class %u at offset 4 is neither "
				   "ELFCLASS32 (1) nor ELFCLASS64 (2)", e[4]);
	if (e[5] != ELFDATA2LSB)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "ELF header: data encoding %u at offset 5: only little-endian "
				    "(ELFDATA2LSB) cores are supported", e[5]);
	h->is64 = e[4] == ELFCLASS64;
	need = h->is64 ? 64 : 52;
	HVS_TRY(read_exact(img, 0, e, need, "ELF header"));
	h->type = hvs__le16(e + 16);
	h->machine = hvs__le16(e + 18);
	if (hvs__le32(e + 20) != 1)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "ELF header: e_version %u, expected 1 (EV_CURRENT)",
				    hvs__le32(e + 20));
	if (h->type != ET_CORE)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "ELF header: e_type %u is not ET_CORE (4): not a memory dump",
				    h->type);
	if (h->is64) {
		h->phoff = hvs__le64(e + 32);
		h->shoff = hvs__le64(e + 40);
		h->phentsize = hvs__le16(e + 54);
		h->phnum = hvs__le16(e + 56);
		h->shentsize = hvs__le16(e + 58);
	} else {
		h->phoff = hvs__le32(e + 28);
		h->shoff = hvs__le32(e + 32);
		h->phentsize = hvs__le16(e + 42);
		h->phnum = hvs__le16(e + 44);
		h->shentsize = hvs__le16(e + 46);
	}
	if (h->phentsize < (h->is64 ? 56u : 32u))
		return HVS_CORRUPT(&img->err, "ELF header: e_phentsize %u is smaller than a "
				   "program header (%u bytes)", h->phentsize, h->is64 ? 56u : 32u);
	/*
	 * More than 0xfffe headers: e_phnum is PN_XNUM and the count is in
	 * sh_info of section header 0 (gABI "Extended numbering"; QEMU's
	 * dump.c writes it this way for guests with many memory regions).
	 */
	if (h->phnum == PN_XNUM) {
		uint8_t sh[4];
		uint64_t at;
		if (h->shentsize < (h->is64 ? 64u : 40u) ||
		    hvs__add_u64(h->shoff, h->is64 ? 44 : 28, &at))
			return HVS_CORRUPT(&img->err, "ELF header: e_phnum is PN_XNUM but section "
					   "header 0 (offset 0x%" PRIx64 ", entry size %u) is invalid",
					   h->shoff, h->shentsize);
		HVS_TRY(read_exact(img, at, sh, 4, "section header 0 (sh_info)"));
		h->phnum = hvs__le32(sh);
	}
	if (h->phnum > ELF_MAX_PHDRS)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "ELF header: %u program headers (at most %u)", h->phnum,
				    ELF_MAX_PHDRS);
	{
		uint64_t tbl;
		if (hvs__mul_u64(h->phnum, h->phentsize, &tbl) ||
		    !hvs__in_bounds(h->phoff, tbl, fsize))
			return HVS_CORRUPT(&img->err, "program header table (%u x %u bytes at "
					   "offset 0x%" PRIx64 ") runs past the end of the file "
					   "(0x%" PRIx64 " bytes)", h->phnum, h->phentsize,
					   h->phoff, fsize);
	}
	return HVS_OK;
}

/*
 * GPA order; at equal GPAs the larger segment first, so that a segment
 * contained in another always sorts after it (add_loads relies on it);
 * then header order, so that the result does not depend on qsort.
 */
static int cmp_load(const void *a, const void *b)
{
	const elf_load *x = a, *y = b;
	if (x->gpa != y->gpa)
		return x->gpa < y->gpa ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Walk the program headers: collect PT_LOADs (checked against the file)
 * and PT_NOTEs.  Arrays are owned by the caller (freed on every path).
 */
static hvs_status scan_phdrs(hvs_image *img, const elf_hdr *h, uint64_t fsize,
			     elf_load **loads, size_t *nloads, elf_note_seg **notes,
			     size_t *nnotes)
{
	size_t capl = 0, capn = 0;
	uint32_t i;
	for (i = 0; i < h->phnum; i++) {
		uint8_t p[56];
		uint64_t at = h->phoff + (uint64_t)i * h->phentsize; /* checked in parse_ehdr */
		uint32_t type;
		uint64_t off, paddr, filesz, align, end;
		HVS_TRY(read_exact(img, at, p, h->is64 ? 56 : 32, "program header"));
		type = hvs__le32(p);
		if (h->is64) {
			off = hvs__le64(p + 8);
			paddr = hvs__le64(p + 24);
			filesz = hvs__le64(p + 32);
			align = hvs__le64(p + 48);
		} else {
			off = hvs__le32(p + 4);
			paddr = hvs__le32(p + 12);
			filesz = hvs__le32(p + 16);
			align = hvs__le32(p + 28);
		}
		/*
		 * p_memsz is not read: bytes past p_filesz were not captured
		 * (QEMU's paging=false dumps have memsz == filesz) and stay
		 * unbacked, so a read there is HVS_E_NODATA (elf.md 2).
		 */
		if (type != PT_LOAD && type != PT_NOTE)
			continue;
		if (!hvs__in_bounds(off, filesz, fsize))
			return HVS_CORRUPT(&img->err,
					   "program header %u (at file offset 0x%" PRIx64
					   "): segment of 0x%" PRIx64 " bytes at offset 0x%" PRIx64
					   " runs past the end of the file (0x%" PRIx64 " bytes)",
					   i, at, filesz, off, fsize);
		if (filesz == 0)
			continue;
		if (type == PT_LOAD) {
			if (hvs__add_u64(paddr, filesz - 1, &end))
				return HVS_CORRUPT(&img->err,
						   "program header %u: PT_LOAD at physical address "
						   "0x%" PRIx64 " + 0x%" PRIx64 " wraps around",
						   i, paddr, filesz);
			if (hvs__grow(&img->alloc, (void **)loads, &capl, *nloads + 1,
				      sizeof **loads) != HVS_OK)
				return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			(*loads)[*nloads].gpa = paddr;
			(*loads)[*nloads].size = filesz;
			(*loads)[*nloads].off = off;
			(*loads)[*nloads].at = at;
			(*loads)[*nloads].index = i;
			(*nloads)++;
		} else {
			if (filesz > ELF_MAX_NOTE_BYTES)
				return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
						    "program header %u: PT_NOTE of 0x%" PRIx64
						    " bytes (at most 0x%x)", i, filesz,
						    ELF_MAX_NOTE_BYTES);
			if (hvs__grow(&img->alloc, (void **)notes, &capn, *nnotes + 1,
				      sizeof **notes) != HVS_OK)
				return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			(*notes)[*nnotes].off = off;
			(*notes)[*nnotes].size = filesz;
			(*notes)[*nnotes].align = align;
			(*nnotes)++;
		}
	}
	return HVS_OK;
}

/* Last GPA of a segment (inclusive: a segment may end at 2^64). */
static uint64_t load_last(const elf_load *l)
{
	return l->gpa + (l->size - 1); /* no wrap: checked in scan_phdrs */
}

/*
 * Turn the PT_LOADs into image ranges: sorted by GPA, runs adjacent in
 * both GPA and file offset merged, raw offsets assigned in GPA order
 * (docs/format/elf.md 2).
 *
 * Overlaps: a segment whose physical span lies entirely inside another
 * is ignored (its bytes are read from the containing one) and reported
 * as a note through the problem sink.  Linux kdump vmcores need this:
 * the crash kernel's ELF headers give the kernel text its own PT_LOAD
 * whose p_paddr aliases part of a System RAM segment (Linux
 * kernel/crash_core.c crash_prepare_elf64_headers(), kexec-tools
 * kexec/crashdump-elf.c), and /proc/vmcore and makedumpfile keep it.
 * A partial overlap has no sound reading (which copy holds the bytes?)
 * and stays CORRUPT.  Inclusive last addresses keep a segment that ends
 * at 2^64 exact.
 */
static hvs_status add_loads(hvs_image *img, elf_load *l, size_t n, const hvs_image_opts *o)
{
	size_t i, j;
	uint64_t raw = 0;
	char msg[256];
	if (n > 1) /* l is NULL without PT_LOADs: qsort's pointer must not be */
		qsort(l, n, sizeof *l, cmp_load);
	for (i = 0; i < n; i = j) {
		uint64_t gpa = l[i].gpa, size = l[i].size, off = l[i].off;
		/* The segment merged last: sorting puts any overlap inside it. */
		const elf_load *cur = &l[i];
		for (j = i + 1; j < n; j++) {
			uint64_t last = gpa + (size - 1);
			if (l[j].gpa <= last) {
				if (load_last(&l[j]) > last)
					return HVS_CORRUPT(
						&img->err,
						"program headers %u and %u: PT_LOAD segments overlap "
						"partly: physical [0x%" PRIx64 ", 0x%" PRIx64 "] and "
						"[0x%" PRIx64 ", 0x%" PRIx64 "] (one inside the other "
						"is accepted, a partial overlap is not)",
						cur->index, l[j].index, cur->gpa, load_last(cur),
						l[j].gpa, load_last(&l[j]));
				if (o && o->base.problem) {
					snprintf(msg, sizeof msg,
						 "program header %u: PT_LOAD at physical [0x%" PRIx64
						 ", 0x%" PRIx64 "] lies inside program header %u's "
						 "and is ignored", l[j].index, l[j].gpa,
						 load_last(&l[j]), cur->index);
					o->base.problem(o->base.problem_ud, HVS_OK, l[j].at, msg);
				}
				continue;
			}
			if (last == UINT64_MAX || l[j].gpa != last + 1 || l[j].off != off + size)
				break;
			size += l[j].size;
			cur = &l[j];
		}
		HVS_TRY(hvs__image_add_range(img, gpa, size, raw, off));
		raw += size;
	}
	img->raw_size = raw;
	return HVS_OK;
}

/* VP position for the @k-th per-vCPU note, creating VPs up to it. */
static hvs_status vp_for(hvs_image *img, uint32_t k, hvs__regset **rs)
{
	if (k >= ELF_MAX_VCPUS)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "more than %u per-vCPU notes", ELF_MAX_VCPUS);
	while (img->nvps <= k)
		HVS_TRY(hvs__image_add_vp(img, img->nvps, NULL));
	*rs = hvs__image_regset(img, k, 0, 1);
	if (!*rs)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	return HVS_OK;
}

const int16_t hvs__elf_x64_pr_reg[27] = {
	HVS_REG_X64_R15, HVS_REG_X64_R14, HVS_REG_X64_R13, HVS_REG_X64_R12,
	HVS_REG_X64_RBP, HVS_REG_X64_RBX, HVS_REG_X64_R11, HVS_REG_X64_R10,
	HVS_REG_X64_R9, HVS_REG_X64_R8, HVS_REG_X64_RAX, HVS_REG_X64_RCX,
	HVS_REG_X64_RDX, HVS_REG_X64_RSI, HVS_REG_X64_RDI, ELF_PR_ORIG_AX,
	HVS_REG_X64_RIP, ELF_PR_CS, HVS_REG_X64_RFLAGS, HVS_REG_X64_RSP,
	ELF_PR_SS, ELF_PR_FS_BASE, ELF_PR_GS_BASE, ELF_PR_DS, ELF_PR_ES,
	ELF_PR_FS, ELF_PR_GS
};

const int16_t hvs__elf_x86_pr_reg[17] = {
	HVS_REG_X64_RBX, HVS_REG_X64_RCX, HVS_REG_X64_RDX, HVS_REG_X64_RSI,
	HVS_REG_X64_RDI, HVS_REG_X64_RBP, HVS_REG_X64_RAX, ELF_PR_DS,
	ELF_PR_ES, ELF_PR_FS, ELF_PR_GS, ELF_PR_ORIG_AX,
	HVS_REG_X64_RIP, ELF_PR_CS, HVS_REG_X64_RFLAGS, HVS_REG_X64_RSP,
	ELF_PR_SS
};

const hvs_reg hvs__elf_qemu_gpr[16] = {
	HVS_REG_X64_RAX, HVS_REG_X64_RBX, HVS_REG_X64_RCX, HVS_REG_X64_RDX,
	HVS_REG_X64_RSI, HVS_REG_X64_RDI, HVS_REG_X64_RSP, HVS_REG_X64_RBP,
	HVS_REG_X64_R8, HVS_REG_X64_R9, HVS_REG_X64_R10, HVS_REG_X64_R11,
	HVS_REG_X64_R12, HVS_REG_X64_R13, HVS_REG_X64_R14, HVS_REG_X64_R15
};

const hvs_reg hvs__elf_qemu_seg[8] = {
	HVS_REG_X64_CS, HVS_REG_X64_DS, HVS_REG_X64_ES, HVS_REG_X64_FS,
	HVS_REG_X64_GS, HVS_REG_X64_SS, HVS_REG_X64_LDTR, HVS_REG_X64_TR
};

/*
 * NT_PRSTATUS on x86: general registers, and selector-only segment
 * registers (base for FS/GS from fs_base/gs_base; limit and access rights
 * unknown, left 0).  The QEMU note, when present, replaces the segments
 * with complete values.  CPL = CS.RPL (Intel SDM Vol.3 5.5).
 */
static void put_prstatus_x86(hvs__regset *rs, const uint8_t *d, int is64)
{
	const int16_t *map = is64 ? hvs__elf_x64_pr_reg : hvs__elf_x86_pr_reg;
	unsigned n = is64 ? 27 : 17, i;
	const uint8_t *r = d + (is64 ? PRSTATUS_REG_OFF64 : PRSTATUS_REG_OFF32);
	uint64_t v[27], fs_base = 0, gs_base = 0;
	for (i = 0; i < n; i++)
		v[i] = is64 ? hvs__le64(r + 8 * i) : hvs__le32(r + 4 * i);
	if (is64) {
		fs_base = v[21];
		gs_base = v[22];
	}
	for (i = 0; i < n; i++) {
		int id = map[i];
		uint64_t sel = v[i] & 0xffff;
		switch (id) {
		case ELF_PR_ORIG_AX: case ELF_PR_FS_BASE: case ELF_PR_GS_BASE:
			break;
		case ELF_PR_CS:
			hvs__regset_put(rs, HVS_REG_X64_CS, 0, sel << 32);
			hvs__regset_put(rs, HVS_REG_X64_CPL, sel & 3, 0);
			break;
		case ELF_PR_SS: hvs__regset_put(rs, HVS_REG_X64_SS, 0, sel << 32); break;
		case ELF_PR_DS: hvs__regset_put(rs, HVS_REG_X64_DS, 0, sel << 32); break;
		case ELF_PR_ES: hvs__regset_put(rs, HVS_REG_X64_ES, 0, sel << 32); break;
		case ELF_PR_FS: hvs__regset_put(rs, HVS_REG_X64_FS, fs_base, sel << 32); break;
		case ELF_PR_GS: hvs__regset_put(rs, HVS_REG_X64_GS, gs_base, sel << 32); break;
		default: hvs__regset_put(rs, (hvs_reg)id, v[i], 0); break;
		}
	}
}

/*
 * NT_PRSTATUS on aarch64: pr_reg = struct user_pt_regs (Linux
 * arch/arm64/include/uapi/asm/ptrace.h): x0..x30, sp, pc, pstate.  The sp
 * is the stack pointer in use: SP_EL0 at EL0 or with PSTATE.SP (bit 0)
 * clear ("EL1t"), else SP_EL1 (Arm ARM D1.6.2, SPSel).
 */
static void put_prstatus_arm64(hvs__regset *rs, const uint8_t *d)
{
	const uint8_t *r = d + PRSTATUS_REG_OFF64;
	uint64_t sp = hvs__le64(r + 31 * 8), pc = hvs__le64(r + 32 * 8);
	uint64_t pstate = hvs__le64(r + 33 * 8);
	unsigned i;
	for (i = 0; i < 29; i++)
		hvs__regset_put(rs, (hvs_reg)(HVS_REG_ARM64_X0 + i), hvs__le64(r + 8 * i), 0);
	hvs__regset_put(rs, HVS_REG_ARM64_FP, hvs__le64(r + 29 * 8), 0);
	hvs__regset_put(rs, HVS_REG_ARM64_LR, hvs__le64(r + 30 * 8), 0);
	hvs__regset_put(rs, HVS_REG_ARM64_PC, pc, 0);
	hvs__regset_put(rs, HVS_REG_ARM64_CPSR, pstate, 0);
	if (((pstate >> 2) & 3) == 0 || (pstate & 1) == 0)
		hvs__regset_put(rs, HVS_REG_ARM64_SP_EL0, sp, 0);
	else
		hvs__regset_put(rs, HVS_REG_ARM64_SP_EL1, sp, 0);
}

/* NT_FPREGSET on aarch64: struct user_fpsimd_state: vregs[32], fpsr, fpcr. */
static void put_fpsimd_arm64(hvs__regset *rs, const uint8_t *d)
{
	unsigned i;
	for (i = 0; i < 32; i++)
		hvs__regset_put(rs, (hvs_reg)(HVS_REG_ARM64_Q0 + i), hvs__le64(d + 16 * i),
				hvs__le64(d + 16 * i + 8));
	hvs__regset_put(rs, HVS_REG_ARM64_FPSR, hvs__le32(d + 512), 0);
	hvs__regset_put(rs, HVS_REG_ARM64_FPCR, hvs__le32(d + 516), 0);
}

/*
 * One QEMUCPUSegment {selector u32, limit u32, flags u32, pad u32, base
 * u64} as a SEGMENT register value.  QEMU's flags are the descriptor's
 * high dword (type 8-11, S 12, DPL 13-14, P 15, AVL 20, L 21, D/B 22,
 * G 23; Intel SDM Vol.3 3.4.5); bits 8-15 and 20-23 shifted down by 8 are
 * the VMX access-rights layout (type 0-3 ... G 15) regs.h uses.
 */
static void put_qemu_seg(hvs__regset *rs, hvs_reg reg, const uint8_t *s)
{
	uint64_t sel = hvs__le32(s) & 0xffff, limit = hvs__le32(s + 4);
	uint64_t attr = (hvs__le32(s + 8) >> 8) & 0xF0FF;
	hvs__regset_put(rs, reg, hvs__le64(s + 16), limit | sel << 32 | attr << 48);
}

/*
 * QEMU's x86 CPU state note ("QEMU", type 0), QEMUCPUState version 1
 * (QEMU target/i386/arch_dump.c; docs/format/elf.md 3.4):
 *   0 version u32, 4 size u32, 8 rax rbx rcx rdx rsi rdi rsp rbp r8..r15
 *   (16 x u64), 136 rip, 144 rflags, 152 cs ds es fs gs ss ldt tr gdt idt
 *   (10 x 24-byte QEMUCPUSegment), 392 cr[0..4], 432 kernel_gs_base.
 */
static hvs_status put_qemu_state(hvs_image *img, hvs__regset *rs, const uint8_t *d,
				 uint32_t n, uint64_t at)
{
	uint32_t ver, size;
	unsigned i;
	if (n < 8)
		return HVS_CORRUPT(&img->err, "QEMU CPU-state note at file offset 0x%" PRIx64
				   ": 0x%x bytes, too short for its header", at, n);
	ver = hvs__le32(d);
	size = hvs__le32(d + 4);
	if (ver != 1)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "QEMU CPU-state note at file offset 0x%" PRIx64
				    ": version %u (only 1 is known)", at, ver);
	if (size < QEMU_CPUSTATE_SIZE || size > n)
		return HVS_CORRUPT(&img->err, "QEMU CPU-state note at file offset 0x%" PRIx64
				   ": size field 0x%x, expected at least 0x%x and at most the "
				   "note's 0x%x bytes", at, size, QEMU_CPUSTATE_SIZE, n);
	for (i = 0; i < 16; i++)
		hvs__regset_put(rs, hvs__elf_qemu_gpr[i], hvs__le64(d + 8 + 8 * i), 0);
	hvs__regset_put(rs, HVS_REG_X64_RIP, hvs__le64(d + 136), 0);
	hvs__regset_put(rs, HVS_REG_X64_RFLAGS, hvs__le64(d + 144), 0);
	for (i = 0; i < 8; i++)
		put_qemu_seg(rs, hvs__elf_qemu_seg[i], d + 152 + 24 * i);
	/* GDT and IDT reuse QEMUCPUSegment: limit at +4, base at +16. */
	hvs__regset_put(rs, HVS_REG_X64_GDTR, hvs__le32(d + 344 + 4) & 0xffff,
			hvs__le64(d + 344 + 16));
	hvs__regset_put(rs, HVS_REG_X64_IDTR, hvs__le32(d + 368 + 4) & 0xffff,
			hvs__le64(d + 368 + 16));
	/* cr[1] is reserved and not kept. */
	hvs__regset_put(rs, HVS_REG_X64_CR0, hvs__le64(d + 392), 0);
	hvs__regset_put(rs, HVS_REG_X64_CR2, hvs__le64(d + 392 + 16), 0);
	hvs__regset_put(rs, HVS_REG_X64_CR3, hvs__le64(d + 392 + 24), 0);
	hvs__regset_put(rs, HVS_REG_X64_CR4, hvs__le64(d + 392 + 32), 0);
	hvs__regset_put(rs, HVS_REG_X64_KERNEL_GS_BASE, hvs__le64(d + 432), 0);
	/*
	 * CPL: QEMU's note has no CPL.  In protected mode it equals SS.DPL
	 * (Intel SDM Vol.3 5.5); in real mode (CR0.PE clear) it is 0.
	 */
	if (hvs__le64(d + 392) & 1)
		hvs__regset_put(rs, HVS_REG_X64_CPL, (hvs__le32(d + 272 + 8) >> 13) & 3, 0);
	else
		hvs__regset_put(rs, HVS_REG_X64_CPL, 0, 0);
	return HVS_OK;
}

/* Note being decoded, for the handlers. */
typedef struct note {
	const char *name;   /* NUL-terminated within namesz, or "" */
	uint32_t namesz, type, descsz;
	const uint8_t *desc;
	uint64_t at;        /* file offset of the note header */
} note;

typedef hvs_status (*note_fn)(hvs_image *img, const elf_hdr *h, const note *n,
			      uint32_t *counter);

/* Pass 1: CORE notes (NT_PRSTATUS opens a vCPU; NT_FPREGSET belongs to it). */
static hvs_status note_core(hvs_image *img, const elf_hdr *h, const note *n,
			    uint32_t *counter)
{
	hvs__regset *rs;
	uint32_t want;
	if (strcmp(n->name, "CORE") != 0)
		return HVS_OK;
	if (n->type == NT_PRSTATUS) {
		switch (h->machine) {
		case EM_X86_64: want = PRSTATUS_X86_64_SIZE; break;
		case EM_386: want = PRSTATUS_I386_SIZE; break;
		case EM_AARCH64: want = PRSTATUS_ARM64_SIZE; break;
		default: return HVS_OK; /* registers of other machines are not decoded */
		}
		if (n->descsz != want)
			return HVS_CORRUPT(&img->err, "NT_PRSTATUS note at file offset 0x%" PRIx64
					   ": 0x%x bytes, expected 0x%x for e_machine %u",
					   n->at, n->descsz, want, h->machine);
		HVS_TRY(vp_for(img, *counter, &rs));
		(*counter)++;
		if (h->machine == EM_AARCH64)
			put_prstatus_arm64(rs, n->desc);
		else
			put_prstatus_x86(rs, n->desc, h->machine == EM_X86_64);
	} else if (n->type == NT_FPREGSET && h->machine == EM_AARCH64) {
		if (*counter == 0)
			return HVS_CORRUPT(&img->err, "NT_FPREGSET note at file offset 0x%" PRIx64
					   " comes before any NT_PRSTATUS", n->at);
		if (n->descsz < FPSIMD_SIZE - 8) /* the 8 reserved tail bytes may be absent */
			return HVS_CORRUPT(&img->err, "NT_FPREGSET note at file offset 0x%" PRIx64
					   ": 0x%x bytes, expected 0x%x", n->at, n->descsz,
					   FPSIMD_SIZE);
		rs = hvs__image_regset(img, *counter - 1, 0, 0);
		if (rs)
			put_fpsimd_arm64(rs, n->desc);
	}
	return HVS_OK;
}

/* Pass 2: QEMU CPU-state notes (the k-th belongs to vCPU k) and VMCOREINFO. */
static hvs_status note_qemu(hvs_image *img, const elf_hdr *h, const note *n,
			    uint32_t *counter)
{
	hvs__regset *rs;
	if (strcmp(n->name, "VMCOREINFO") == 0) {
		elf_be *be = img->be;
		if (!be->vmcoreinfo) {
			be->vmcoreinfo = hvs__malloc(&img->alloc, (size_t)n->descsz + 1);
			if (!be->vmcoreinfo)
				return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			memcpy(be->vmcoreinfo, n->desc, n->descsz);
			be->vmcoreinfo[n->descsz] = '\0';
			be->vmcoreinfo_len = n->descsz;
		}
		return HVS_OK;
	}
	if (strcmp(n->name, "QEMU") != 0 || n->type != 0)
		return HVS_OK;
	if (h->machine != EM_X86_64 && h->machine != EM_386)
		return HVS_OK; /* QEMU writes this note for x86 only */
	HVS_TRY(vp_for(img, *counter, &rs));
	(*counter)++;
	return put_qemu_state(img, rs, n->desc, n->descsz, n->at);
}

/*
 * Iterate over the notes of one PT_NOTE segment (gABI "Note Section":
 * namesz, descsz, type, then name and desc each padded to the note
 * alignment: 4, or 8 when the segment's p_align is 8).
 */
static hvs_status walk_notes(hvs_image *img, const elf_hdr *h, const uint8_t *buf,
			     const elf_note_seg *seg, note_fn fn, uint32_t *counter)
{
	uint64_t pos = 0, al = seg->align == 8 ? 8 : 4;
	while (pos < seg->size) {
		note n;
		uint64_t name_off, desc_off, next;
		char namebuf[32];
		if (seg->size - pos < 12)
			return HVS_CORRUPT(&img->err, "note at file offset 0x%" PRIx64
					   ": %" PRIu64 " bytes left in PT_NOTE, a header needs 12",
					   seg->off + pos, seg->size - pos);
		n.namesz = hvs__le32(buf + pos);
		n.descsz = hvs__le32(buf + pos + 4);
		n.type = hvs__le32(buf + pos + 8);
		n.at = seg->off + pos;
		name_off = pos + 12;
		if (hvs__align_up(name_off + n.namesz, al, &desc_off) ||
		    hvs__align_up(desc_off + n.descsz, al, &next) ||
		    desc_off + n.descsz > seg->size || name_off + n.namesz > seg->size)
			return HVS_CORRUPT(&img->err, "note at file offset 0x%" PRIx64
					   ": name (0x%x bytes) or descriptor (0x%x bytes) runs "
					   "past the end of its PT_NOTE (0x%" PRIx64 " bytes)",
					   n.at, n.namesz, n.descsz, seg->size);
		/* Names are NUL-terminated strings; compare only sane ones. */
		namebuf[0] = '\0';
		if (n.namesz > 0 && n.namesz <= sizeof namebuf &&
		    buf[name_off + n.namesz - 1] == '\0')
			memcpy(namebuf, buf + name_off, n.namesz);
		n.name = namebuf;
		n.desc = buf + desc_off;
		HVS_TRY(fn(img, h, &n, counter));
		/* The last note may omit its final padding. */
		pos = next < seg->size ? next : seg->size;
	}
	return HVS_OK;
}

/* Run both note passes over every PT_NOTE segment. */
static hvs_status parse_notes(hvs_image *img, const elf_hdr *h,
			      const elf_note_seg *segs, size_t nsegs)
{
	static const note_fn passes[2] = { note_core, note_qemu };
	uint32_t counters[2] = { 0, 0 };
	hvs_status s = HVS_OK;
	size_t i, p;
	for (p = 0; p < 2 && s == HVS_OK; p++) {
		for (i = 0; i < nsegs && s == HVS_OK; i++) {
			uint8_t *buf = hvs__malloc(&img->alloc, (size_t)segs[i].size);
			if (!buf)
				return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			s = read_exact(img, segs[i].off, buf, (size_t)segs[i].size, "PT_NOTE");
			if (s == HVS_OK)
				s = walk_notes(img, h, buf, &segs[i], passes[p], &counters[p]);
			hvs__free(&img->alloc, buf);
		}
	}
	return s;
}

static void elf_close(hvs_image *img)
{
	elf_be *be = img->be;
	if (!be)
		return;
	hvs__free(&img->alloc, be->vmcoreinfo);
	hvs__free(&img->alloc, be);
	img->be = NULL;
}

/* Reads use the extent reader; close frees the VMCOREINFO copy. */
static hvs_status elf_read_raw(hvs_image *img, uint64_t off, void *buf, size_t len,
			       size_t *done)
{
	return hvs__extent_ops.read_raw(img, off, buf, len, done);
}

static const hvs__image_ops elf_ops_rd = { "elf", elf_read_raw, NULL, elf_close };

hvs_status hvs__elf_open(hvs_image *img, const hvs_image_opts *o)
{
	uint64_t fsize = img->src.size(img->src.ud);
	elf_hdr h;
	elf_load *loads = NULL;
	elf_note_seg *notes = NULL;
	size_t nloads = 0, nnotes = 0;
	hvs_status s;

	img->be = hvs__calloc(&img->alloc, 1, sizeof(elf_be));
	if (!img->be)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	/* Set ops now so that close frees the backend state on failure too. */
	img->ops = &elf_ops_rd;
	s = parse_ehdr(img, &h, fsize);
	if (s == HVS_OK)
		s = scan_phdrs(img, &h, fsize, &loads, &nloads, &notes, &nnotes);
	if (s == HVS_OK)
		s = add_loads(img, loads, nloads, o);
	if (s == HVS_OK)
		s = parse_notes(img, &h, notes, nnotes);
	hvs__free(&img->alloc, loads);
	hvs__free(&img->alloc, notes);
	if (s != HVS_OK)
		return s;
	switch (h.machine) {
	case EM_X86_64: img->part.arch = HVS_ARCH_X64; break;
	case EM_386: img->part.arch = HVS_ARCH_X86; break;
	case EM_AARCH64: img->part.arch = HVS_ARCH_ARM64; break;
	default: break;
	}
	img->part.vtl_mask = img->nvps ? 1u : 0u;
	img->format = HVS_FORMAT_ELF;
	return HVS_OK;
}

/*
 * The VMCOREINFO note of an ELF input (the guest kernel's own text,
 * "KEY=VALUE\n" lines), for writers that carry it over (src/convert).
 * NULL when the image is not an ELF core or has no such note.
 */
const char *hvs__elf_vmcoreinfo(const hvs_image *img, size_t *len)
{
	const elf_be *be;
	if (!img || img->format != HVS_FORMAT_ELF || img->ops != &elf_ops_rd || !img->be)
		return NULL;
	be = img->be;
	if (!be->vmcoreinfo)
		return NULL;
	if (len)
		*len = be->vmcoreinfo_len;
	return be->vmcoreinfo;
}
