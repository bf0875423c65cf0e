/* SPDX-License-Identifier: MIT */
/*
 * ELF core writer: the layout QEMU's dump-guest-memory writes (QEMU
 * dump/dump.c, target/i386/arch_dump.c, target/arm/arch_dump.c), so that
 * gdb, crash, drgn, libkdumpfile and volatility3 read it as they read
 * QEMU's cores.  docs/convert.md has the exact layout; in short:
 *
 *   ELF64 header (ET_CORE, ELFDATA2LSB, e_machine by architecture)
 *   program headers: PT_NOTE first, then one PT_LOAD per guest-physical
 *     range (p_paddr = p_vaddr = GPA, p_filesz = p_memsz = size, RWX);
 *     more than 0xfffe of them use PN_XNUM with one section header
 *   notes (4-byte aligned name and desc, gABI "Note Section"):
 *     x86_64/i386: NT_PRSTATUS ("CORE", type 1) for every VP, then one
 *       QEMUCPUState ("QEMU", type 0, version 1, 0x1b8 bytes) for every VP;
 *     aarch64: NT_PRSTATUS and NT_FPREGSET ("CORE", type 2) per VP;
 *     then "HVSAVEDSTATE" type 0: JSON metadata of the source;
 *     then the input's "VMCOREINFO" note when the input is an ELF core;
 *   guest memory, each range at a 4 KiB aligned file offset.
 *
 * pr_pid is the VP position + 1 (QEMU's cpu_index + 1): gdb names the
 * threads after it.  Registers the image lacks are written as 0.
 */
#include <inttypes.h>
#include <string.h>

#include "convert/cvt_priv.h"
#include "convert/sbuf.h"
#include "hvs/image.h"
#include "mem/elf_layout.h"
#include "mem/image_int.h"
#include "util/bytes.h"
#include "util/ovf.h"

/* Header sizes of the ELF64 file this writer lays out. */
enum { EHDR_SIZE = 64, PHDR_SIZE = 56, SHDR_SIZE = 64 };

/* Read a register of the active VTL; 0 when the image does not hold it. */
static uint64_t reg_lo(hvs_image *img, uint32_t vp, hvs_reg r, uint64_t *hi)
{
	hvs_regval v;
	if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, r, &v) != HVS_OK)
		v.lo = v.hi = 0;
	if (hi)
		*hi = v.hi;
	return v.lo;
}

static uint64_t seg_sel(hvs_image *img, uint32_t vp, hvs_reg r)
{
	uint64_t hi;
	reg_lo(img, vp, r, &hi);
	return (hi >> 32) & 0xffff;
}

/* Append one note: header, name (NUL-terminated, padded), desc (padded). */
static void put_note(hvs__sbuf *b, const char *name, uint32_t type, const void *desc,
		     uint32_t descsz)
{
	uint8_t h[12];
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	static const uint8_t zero[4];
	hvs__put_le32(h, namesz);
	hvs__put_le32(h + 4, descsz);
	hvs__put_le32(h + 8, type);
	hvs__sbuf_bytes(b, h, 12);
	hvs__sbuf_bytes(b, name, namesz);
	hvs__sbuf_bytes(b, zero, (4 - namesz % 4) % 4);
	hvs__sbuf_bytes(b, desc, descsz);
	hvs__sbuf_bytes(b, zero, (4 - descsz % 4) % 4);
}

/* x86_64 struct elf_prstatus: pr_pid at 32, pr_reg (user_regs_struct) at 112. */
static void prstatus_x64(hvs_image *img, uint32_t vp, uint8_t *d)
{
	unsigned i;
	memset(d, 0, PRSTATUS_X86_64_SIZE);
	hvs__put_le32(d + 32, vp + 1);
	for (i = 0; i < 27; i++) {
		uint64_t v = 0;
		switch (hvs__elf_x64_pr_reg[i]) {
		case ELF_PR_ORIG_AX: v = 0; break; /* QEMU writes 0 too */
		case ELF_PR_CS: v = seg_sel(img, vp, HVS_REG_X64_CS); break;
		case ELF_PR_SS: v = seg_sel(img, vp, HVS_REG_X64_SS); break;
		case ELF_PR_FS_BASE: v = reg_lo(img, vp, HVS_REG_X64_FS, NULL); break;
		case ELF_PR_GS_BASE: v = reg_lo(img, vp, HVS_REG_X64_GS, NULL); break;
		case ELF_PR_DS: v = seg_sel(img, vp, HVS_REG_X64_DS); break;
		case ELF_PR_ES: v = seg_sel(img, vp, HVS_REG_X64_ES); break;
		case ELF_PR_FS: v = seg_sel(img, vp, HVS_REG_X64_FS); break;
		case ELF_PR_GS: v = seg_sel(img, vp, HVS_REG_X64_GS); break;
		default: v = reg_lo(img, vp, (hvs_reg)hvs__elf_x64_pr_reg[i], NULL); break;
		}
		hvs__put_le64(d + PRSTATUS_REG_OFF64 + 8 * i, v);
	}
}

/* i386 struct elf_prstatus: pr_pid at 24, pr_reg (17 x u32) at 72. */
static void prstatus_x86(hvs_image *img, uint32_t vp, uint8_t *d)
{
	unsigned i;
	memset(d, 0, PRSTATUS_I386_SIZE);
	hvs__put_le32(d + 24, vp + 1);
	for (i = 0; i < 17; i++) {
		uint64_t v;
		switch (hvs__elf_x86_pr_reg[i]) {
		case ELF_PR_ORIG_AX: v = 0; break;
		case ELF_PR_CS: v = seg_sel(img, vp, HVS_REG_X64_CS); break;
		case ELF_PR_SS: v = seg_sel(img, vp, HVS_REG_X64_SS); break;
		case ELF_PR_DS: v = seg_sel(img, vp, HVS_REG_X64_DS); break;
		case ELF_PR_ES: v = seg_sel(img, vp, HVS_REG_X64_ES); break;
		case ELF_PR_FS: v = seg_sel(img, vp, HVS_REG_X64_FS); break;
		case ELF_PR_GS: v = seg_sel(img, vp, HVS_REG_X64_GS); break;
		default: v = reg_lo(img, vp, (hvs_reg)hvs__elf_x86_pr_reg[i], NULL); break;
		}
		hvs__put_le32(d + PRSTATUS_REG_OFF32 + 4 * i, (uint32_t)v);
	}
}

/* One QEMUCPUSegment {selector, limit, flags, pad (u32 each), base u64}. */
static void qemu_seg(hvs_image *img, uint32_t vp, hvs_reg r, uint8_t *s)
{
	uint64_t hi, base = reg_lo(img, vp, r, &hi);
	hvs__put_le32(s, (uint32_t)((hi >> 32) & 0xffff));
	hvs__put_le32(s + 4, (uint32_t)hi);
	/* QEMU's flags: the descriptor's high dword = VMX access rights << 8. */
	hvs__put_le32(s + 8, (uint32_t)(((hi >> 48) & 0xF0FF) << 8));
	hvs__put_le64(s + 16, base);
}

/* QEMUCPUState version 1 (QEMU target/i386/arch_dump.c). */
static void qemu_state(hvs_image *img, uint32_t vp, uint8_t *d)
{
	uint64_t hi, lo;
	unsigned i;
	memset(d, 0, QEMU_CPUSTATE_SIZE);
	hvs__put_le32(d, 1);
	hvs__put_le32(d + 4, QEMU_CPUSTATE_SIZE);
	for (i = 0; i < 16; i++)
		hvs__put_le64(d + 8 + 8 * i, reg_lo(img, vp, hvs__elf_qemu_gpr[i], NULL));
	hvs__put_le64(d + 136, reg_lo(img, vp, HVS_REG_X64_RIP, NULL));
	hvs__put_le64(d + 144, reg_lo(img, vp, HVS_REG_X64_RFLAGS, NULL));
	for (i = 0; i < 8; i++)
		qemu_seg(img, vp, hvs__elf_qemu_seg[i], d + 152 + 24 * i);
	/* GDT, IDT: limit at +4, base at +16 (regs.h: limit lo, base hi). */
	lo = reg_lo(img, vp, HVS_REG_X64_GDTR, &hi);
	hvs__put_le32(d + 344 + 4, (uint32_t)(lo & 0xffff));
	hvs__put_le64(d + 344 + 16, hi);
	lo = reg_lo(img, vp, HVS_REG_X64_IDTR, &hi);
	hvs__put_le32(d + 368 + 4, (uint32_t)(lo & 0xffff));
	hvs__put_le64(d + 368 + 16, hi);
	hvs__put_le64(d + 392, reg_lo(img, vp, HVS_REG_X64_CR0, NULL));
	hvs__put_le64(d + 392 + 16, reg_lo(img, vp, HVS_REG_X64_CR2, NULL));
	hvs__put_le64(d + 392 + 24, reg_lo(img, vp, HVS_REG_X64_CR3, NULL));
	hvs__put_le64(d + 392 + 32, reg_lo(img, vp, HVS_REG_X64_CR4, NULL));
	hvs__put_le64(d + 432, reg_lo(img, vp, HVS_REG_X64_KERNEL_GS_BASE, NULL));
}

/*
 * aarch64 struct elf_prstatus: pr_pid at 32, pr_reg (user_pt_regs: x0..x30,
 * sp, pc, pstate) at 112.  sp is the one in use: SP_EL0 at EL0 or with
 * PSTATE.SP clear, else SP_EL1 (the reader's rule, src/mem/elf.c).
 */
static void prstatus_arm64(hvs_image *img, uint32_t vp, uint8_t *d)
{
	uint64_t pstate = reg_lo(img, vp, HVS_REG_ARM64_CPSR, NULL), sp;
	unsigned i;
	memset(d, 0, PRSTATUS_ARM64_SIZE);
	hvs__put_le32(d + 32, vp + 1);
	for (i = 0; i < 29; i++)
		hvs__put_le64(d + 112 + 8 * i, reg_lo(img, vp, (hvs_reg)(HVS_REG_ARM64_X0 + i), NULL));
	hvs__put_le64(d + 112 + 29 * 8, reg_lo(img, vp, HVS_REG_ARM64_FP, NULL));
	hvs__put_le64(d + 112 + 30 * 8, reg_lo(img, vp, HVS_REG_ARM64_LR, NULL));
	if (((pstate >> 2) & 3) == 0 || (pstate & 1) == 0)
		sp = reg_lo(img, vp, HVS_REG_ARM64_SP_EL0, NULL);
	else
		sp = reg_lo(img, vp, HVS_REG_ARM64_SP_EL1, NULL);
	hvs__put_le64(d + 112 + 31 * 8, sp);
	hvs__put_le64(d + 112 + 32 * 8, reg_lo(img, vp, HVS_REG_ARM64_PC, NULL));
	hvs__put_le64(d + 112 + 33 * 8, pstate);
}

/* aarch64 struct user_fpsimd_state: vregs[32] (u128), fpsr, fpcr, 8 reserved. */
static void fpsimd_arm64(hvs_image *img, uint32_t vp, uint8_t *d)
{
	unsigned i;
	memset(d, 0, FPSIMD_SIZE);
	for (i = 0; i < 32; i++) {
		uint64_t hi, lo = reg_lo(img, vp, (hvs_reg)(HVS_REG_ARM64_Q0 + i), &hi);
		hvs__put_le64(d + 16 * i, lo);
		hvs__put_le64(d + 16 * i + 8, hi);
	}
	hvs__put_le32(d + 512, (uint32_t)reg_lo(img, vp, HVS_REG_ARM64_FPSR, NULL));
	hvs__put_le32(d + 516, (uint32_t)reg_lo(img, vp, HVS_REG_ARM64_FPCR, NULL));
}

/* The architecture of the core: x64 when any VP runs in long mode. */
static hvs_arch core_arch(hvs_image *img)
{
	hvs_partition_info pi;
	uint32_t n = hvs_image_vp_count(img), v;
	hvs_arch a = HVS_ARCH_UNKNOWN;
	for (v = 0; v < n; v++) {
		hvs_vp_info vi;
		if (hvs_image_vp_info(img, v, &vi) != HVS_OK)
			continue;
		if (vi.arch == HVS_ARCH_ARM64 || vi.arch == HVS_ARCH_X64)
			return vi.arch;
		if (vi.arch == HVS_ARCH_X86)
			a = HVS_ARCH_X86;
	}
	if (a != HVS_ARCH_UNKNOWN)
		return a;
	memset(&pi, 0, sizeof pi);
	hvs_image_partition_info(img, &pi);
	return pi.arch != HVS_ARCH_UNKNOWN ? pi.arch : HVS_ARCH_X64;
}

/* The metadata note's JSON: where the memory and registers came from. */
static void metadata(struct hvs__cvt *c, hvs__sbuf *m, hvs_arch arch)
{
	hvs_image *img = hvs__cvt_image(c);
	hvs_partition_info pi;
	unsigned i;
	memset(&pi, 0, sizeof pi);
	hvs_image_partition_info(img, &pi);
	hvs__sbuf_printf(m, "{\"writer\": \"hvsavedstate %s\", \"source_format\": ", hvs_version());
	hvs__sbuf_json_str(m, hvs_image_format_name(hvs_image_get_format(img)));
	hvs__sbuf_printf(m, ", \"arch\": \"%s\", \"vps\": %u, \"ranges\": %zu, "
			 "\"raw_size\": %" PRIu64 ", \"vm_version\": %u, \"vtl_mask\": %u, "
			 "\"vendor\": %u, \"guest_os_id\": {",
			 hvs_arch_name(arch), hvs_image_vp_count(img), hvs_image_range_count(img),
			 hvs_image_raw_size(img), pi.vm_version, pi.vtl_mask, pi.vendor);
	for (i = 0; i < HVS_VTL_COUNT; i++)
		if (pi.guest_os_id_mask & (1u << i))
			hvs__sbuf_printf(m, "%s\"%u\": \"0x%" PRIx64 "\"",
					 (pi.guest_os_id_mask & ((1u << i) - 1)) ? ", " : "", i,
					 pi.guest_os_id[i]);
	hvs__sbuf_printf(m, "}}");
}

/* Name and type of the metadata note. */
#define HVS_NOTE_NAME "HVSAVEDSTATE"
#define HVS_NOTE_TYPE 0u

hvs_status hvs__convert_elf(struct hvs__cvt *c)
{
	hvs_image *img = hvs__cvt_image(c);
	const hvs_mem_range *r = hvs_image_ranges(img);
	size_t nr = hvs_image_range_count(img), i, vmci_len = 0;
	uint32_t nvp = hvs_image_vp_count(img), v;
	hvs_arch arch = core_arch(img);
	uint16_t machine = arch == HVS_ARCH_ARM64 ? EM_AARCH64 : arch == HVS_ARCH_X86 ? EM_386
										  : EM_X86_64;
	uint8_t desc[FPSIMD_SIZE > QEMU_CPUSTATE_SIZE ? FPSIMD_SIZE : QEMU_CPUSTATE_SIZE];
	uint8_t eh[EHDR_SIZE], ph[PHDR_SIZE], sh[SHDR_SIZE];
	const char *vmci = hvs__elf_vmcoreinfo(img, &vmci_len);
	uint64_t phnum, phoff = EHDR_SIZE, shoff = 0, note_off, data_off, off;
	hvs__sbuf notes, meta;
	hvs_status s = HVS_OK;
	int xnum;

	/* Notes first: their size decides where memory starts. */
	hvs__sbuf_init(&notes, hvs__cvt_alloc(c));
	hvs__sbuf_init(&meta, hvs__cvt_alloc(c));
	if (arch == HVS_ARCH_ARM64) {
		for (v = 0; v < nvp; v++) {
			prstatus_arm64(img, v, desc);
			put_note(&notes, "CORE", NT_PRSTATUS, desc, PRSTATUS_ARM64_SIZE);
			fpsimd_arm64(img, v, desc);
			put_note(&notes, "CORE", NT_FPREGSET, desc, FPSIMD_SIZE);
		}
	} else {
		for (v = 0; v < nvp; v++) {
			if (arch == HVS_ARCH_X86) {
				prstatus_x86(img, v, desc);
				put_note(&notes, "CORE", NT_PRSTATUS, desc, PRSTATUS_I386_SIZE);
			} else {
				prstatus_x64(img, v, desc);
				put_note(&notes, "CORE", NT_PRSTATUS, desc, PRSTATUS_X86_64_SIZE);
			}
		}
		for (v = 0; v < nvp; v++) {
			qemu_state(img, v, desc);
			put_note(&notes, "QEMU", 0, desc, QEMU_CPUSTATE_SIZE);
		}
	}
	metadata(c, &meta, arch);
	if (!meta.failed)
		put_note(&notes, HVS_NOTE_NAME, HVS_NOTE_TYPE, meta.p, (uint32_t)meta.len);
	if (vmci && vmci_len <= UINT32_MAX) {
		put_note(&notes, "VMCOREINFO", 0, vmci, (uint32_t)vmci_len);
		hvs__cvt_note(c, "vmcoreinfo_bytes", vmci_len);
	} else if (hvs_image_get_format(img) == HVS_FORMAT_ELF) {
		hvs__cvt_underived(c, "VMCOREINFO", "the input ELF core has no VMCOREINFO note");
	} else {
		hvs__cvt_underived(c, "VMCOREINFO",
				   "only an ELF input carries one (the guest kernel writes it)");
	}
	hvs__sbuf_free(&meta);
	if (notes.failed) {
		hvs__sbuf_free(&notes);
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for the ELF notes");
	}

	/* Headers: PN_XNUM (gABI "Extended numbering") past 0xfffe phdrs. */
	phnum = (uint64_t)nr + 1;
	xnum = phnum >= PN_XNUM;
	note_off = phoff + phnum * PHDR_SIZE;
	if (xnum) {
		shoff = note_off;
		note_off += SHDR_SIZE;
	}
	data_off = (note_off + notes.len + 4095) & ~(uint64_t)4095;
	memset(eh, 0, sizeof eh);
	eh[0] = 0x7f; eh[1] = 'E'; eh[2] = 'L'; eh[3] = 'F';
	eh[4] = ELFCLASS64;
	eh[5] = ELFDATA2LSB;
	eh[6] = 1;  /* EV_CURRENT */
	hvs__put_le16(eh + 16, ET_CORE);
	hvs__put_le16(eh + 18, machine);
	hvs__put_le32(eh + 20, 1);
	hvs__put_le64(eh + 32, phoff);
	hvs__put_le64(eh + 40, shoff);
	hvs__put_le16(eh + 52, EHDR_SIZE);
	hvs__put_le16(eh + 54, PHDR_SIZE);
	hvs__put_le16(eh + 56, xnum ? PN_XNUM : (uint16_t)phnum);
	hvs__put_le16(eh + 58, xnum ? SHDR_SIZE : 0);
	hvs__put_le16(eh + 60, xnum ? 1 : 0);
	s = hvs__cvt_write(c, 0, eh, sizeof eh);
	if (s == HVS_OK && xnum) {
		memset(sh, 0, sizeof sh);
		hvs__put_le32(sh + 44, (uint32_t)phnum); /* sh_info = real e_phnum */
		s = hvs__cvt_write(c, shoff, sh, sizeof sh);
	}
	/* PT_NOTE */
	memset(ph, 0, sizeof ph);
	hvs__put_le32(ph, PT_NOTE);
	hvs__put_le64(ph + 8, note_off);
	hvs__put_le64(ph + 32, notes.len);
	hvs__put_le64(ph + 40, notes.len);
	if (s == HVS_OK)
		s = hvs__cvt_write(c, phoff, ph, sizeof ph);
	if (s == HVS_OK)
		s = hvs__cvt_write(c, note_off, notes.p, notes.len);
	hvs__sbuf_free(&notes);
	/* PT_LOADs: ranges back to back from data_off, each 4 KiB aligned. */
	off = data_off;
	for (i = 0; i < nr && s == HVS_OK; i++) {
		memset(ph, 0, sizeof ph);
		hvs__put_le32(ph, PT_LOAD);
		hvs__put_le32(ph + 4, 7); /* PF_R | PF_W | PF_X, as QEMU */
		hvs__put_le64(ph + 8, off);
		hvs__put_le64(ph + 16, r[i].gpa);
		hvs__put_le64(ph + 24, r[i].gpa);
		hvs__put_le64(ph + 32, r[i].size);
		hvs__put_le64(ph + 40, r[i].size);
		s = hvs__cvt_write(c, phoff + (uint64_t)(i + 1) * PHDR_SIZE, ph, sizeof ph);
		if (hvs__add_u64(off, r[i].size, &off) || hvs__add_u64(off, 4095, &off))
			return hvs__cvt_err(c, HVS_E_INVALID, "ELF file offsets overflow");
		off &= ~(uint64_t)4095;
	}
	off = data_off;
	for (i = 0; i < nr && s == HVS_OK; i++) {
		s = hvs__cvt_copy_gpa(c, r[i].gpa, r[i].size, off);
		hvs__cvt_range_done(c);
		off = (off + r[i].size + 4095) & ~(uint64_t)4095;
	}
	hvs__cvt_note(c, "e_machine", machine);
	return s;
}
