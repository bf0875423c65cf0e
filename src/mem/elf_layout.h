/* SPDX-License-Identifier: MIT */
/*
 * The ELF core layouts that both the reader (src/mem/elf.c) and the ELF
 * core writer (src/convert/elfcore.c) follow: gABI constants, the sizes of
 * the note payloads, and the register order of NT_PRSTATUS pr_reg and of
 * QEMU's CPU-state note (docs/format/elf.md 3).  One definition, so that
 * what we write is by construction what we read.
 */
#ifndef HVS_MEM_ELF_LAYOUT_H
#define HVS_MEM_ELF_LAYOUT_H

#include <stdint.h>

#include "hvs/regs.h"

/* ELF constants (System V gABI, "ELF Header" and "Program Header"). */
enum {
	ELFCLASS32 = 1,
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	ET_CORE = 4,
	EM_386 = 3,
	EM_X86_64 = 62,
	EM_AARCH64 = 183,
	PT_LOAD = 1,
	PT_NOTE = 4,
	PN_XNUM = 0xffff,
	NT_PRSTATUS = 1,
	NT_FPREGSET = 2
};

/* Sizes of the note payloads (docs/format/elf.md 3.x). */
#define PRSTATUS_X86_64_SIZE 336u /* struct elf_prstatus, x86_64 */
#define PRSTATUS_I386_SIZE 144u   /* struct elf_prstatus, i386 */
#define PRSTATUS_ARM64_SIZE 392u  /* struct elf_prstatus, aarch64 */
#define PRSTATUS_REG_OFF64 112u   /* pr_reg in the 64-bit layouts */
#define PRSTATUS_REG_OFF32 72u    /* pr_reg in the i386 layout */
#define FPSIMD_SIZE 528u          /* struct user_fpsimd_state, aarch64 */
#define QEMU_CPUSTATE_SIZE 0x1b8u /* QEMUCPUState version 1 */

/*
 * Slots of user_regs_struct that are not a whole register of ours: the
 * negative entries of hvs__elf_x64_pr_reg / hvs__elf_x86_pr_reg.
 */
enum {
	ELF_PR_ORIG_AX = -1, /* orig_rax / orig_eax: not machine state */
	ELF_PR_CS = -2,      /* segment selectors */
	ELF_PR_SS = -3,
	ELF_PR_FS_BASE = -4, /* x86_64 only */
	ELF_PR_GS_BASE = -5, /* x86_64 only */
	ELF_PR_DS = -6,
	ELF_PR_ES = -7,
	ELF_PR_FS = -8,
	ELF_PR_GS = -9
};

/*
 * x86_64 user_regs_struct in NT_PRSTATUS pr_reg (Linux
 * arch/x86/include/asm/user_64.h): 27 u64 in this order; an hvs_reg or an
 * ELF_PR_* slot.
 */
extern const int16_t hvs__elf_x64_pr_reg[27];
/* i386 user_regs_struct (asm/user_32.h): 17 u32 in this order. */
extern const int16_t hvs__elf_x86_pr_reg[17];

/*
 * QEMUCPUState version 1 (QEMU target/i386/arch_dump.c): 0 version u32,
 * 4 size u32, 8 the 16 general registers in hvs__elf_qemu_gpr order,
 * 136 rip, 144 rflags, 152 the 8 segments of hvs__elf_qemu_seg then gdt and
 * idt (10 x 24-byte QEMUCPUSegment), 392 cr[0..4], 432 kernel_gs_base.
 */
extern const hvs_reg hvs__elf_qemu_gpr[16];
extern const hvs_reg hvs__elf_qemu_seg[8];

#endif
