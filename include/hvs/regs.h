/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/regs.h
 * Virtual-processor registers: one id space for x64 and ARM64.
 *
 * Ids 0..65 and 67..157 have the numbers of the SDK's REGISTER_ID
 * (10.0.22000+), so the SDK layer maps them one to one; 66 and 158 are
 * the SDK's sentinels and name no register here.  Ids from 159 on are
 * registers the saved state holds but the SDK does not name.
 *
 * Values are 16 bytes (hvs_regval).  Scalars use lo; 128-bit registers
 * (XMM, Q, x87 FPMMX) use lo and hi; the structured ones are packed as the
 * SDK's VIRTUAL_PROCESSOR_REGISTER union is laid out in memory:
 *  - SEGMENT: lo = base; hi = limit | selector << 32 | attributes << 48
 *    (attributes in the VMX access-rights layout: type 0-3, S 4, DPL 5-6,
 *    P 7, AVL 12, L 13, D/B 14, G 15);
 *  - TABLE: lo = limit (16 bits); hi = base;
 *  - FP_CONTROL: lo = FCW | FSW << 16 | FTW << 32 | FOP << 48;
 *    hi = last FP instruction pointer;
 *  - XMM_CONTROL: lo = last FP data pointer; hi = MXCSR | MXCSR_MASK << 32.
 */
#ifndef HVS_REGS_H
#define HVS_REGS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** X(suffix, id, "name", kind, arch) for every register. */
#define HVS_REG_LIST(X) \
	X(X64_RAX, 0, "rax", U64, X64) \
	X(X64_RCX, 1, "rcx", U64, X64) \
	X(X64_RDX, 2, "rdx", U64, X64) \
	X(X64_RBX, 3, "rbx", U64, X64) \
	X(X64_RSP, 4, "rsp", U64, X64) \
	X(X64_RBP, 5, "rbp", U64, X64) \
	X(X64_RSI, 6, "rsi", U64, X64) \
	X(X64_RDI, 7, "rdi", U64, X64) \
	X(X64_R8, 8, "r8", U64, X64) \
	X(X64_R9, 9, "r9", U64, X64) \
	X(X64_R10, 10, "r10", U64, X64) \
	X(X64_R11, 11, "r11", U64, X64) \
	X(X64_R12, 12, "r12", U64, X64) \
	X(X64_R13, 13, "r13", U64, X64) \
	X(X64_R14, 14, "r14", U64, X64) \
	X(X64_R15, 15, "r15", U64, X64) \
	X(X64_RIP, 16, "rip", U64, X64) \
	X(X64_RFLAGS, 17, "rflags", U64, X64) \
	X(X64_XMM0, 18, "xmm0", U128, X64) \
	X(X64_XMM1, 19, "xmm1", U128, X64) \
	X(X64_XMM2, 20, "xmm2", U128, X64) \
	X(X64_XMM3, 21, "xmm3", U128, X64) \
	X(X64_XMM4, 22, "xmm4", U128, X64) \
	X(X64_XMM5, 23, "xmm5", U128, X64) \
	X(X64_XMM6, 24, "xmm6", U128, X64) \
	X(X64_XMM7, 25, "xmm7", U128, X64) \
	X(X64_XMM8, 26, "xmm8", U128, X64) \
	X(X64_XMM9, 27, "xmm9", U128, X64) \
	X(X64_XMM10, 28, "xmm10", U128, X64) \
	X(X64_XMM11, 29, "xmm11", U128, X64) \
	X(X64_XMM12, 30, "xmm12", U128, X64) \
	X(X64_XMM13, 31, "xmm13", U128, X64) \
	X(X64_XMM14, 32, "xmm14", U128, X64) \
	X(X64_XMM15, 33, "xmm15", U128, X64) \
	X(X64_FPMMX0, 34, "fpmmx0", U128, X64) \
	X(X64_FPMMX1, 35, "fpmmx1", U128, X64) \
	X(X64_FPMMX2, 36, "fpmmx2", U128, X64) \
	X(X64_FPMMX3, 37, "fpmmx3", U128, X64) \
	X(X64_FPMMX4, 38, "fpmmx4", U128, X64) \
	X(X64_FPMMX5, 39, "fpmmx5", U128, X64) \
	X(X64_FPMMX6, 40, "fpmmx6", U128, X64) \
	X(X64_FPMMX7, 41, "fpmmx7", U128, X64) \
	X(X64_FP_CONTROL_STATUS, 42, "fp_control_status", FP_CONTROL, X64) \
	X(X64_XMM_CONTROL_STATUS, 43, "xmm_control_status", XMM_CONTROL, X64) \
	X(X64_CR0, 44, "cr0", U64, X64) \
	X(X64_CR2, 45, "cr2", U64, X64) \
	X(X64_CR3, 46, "cr3", U64, X64) \
	X(X64_CR4, 47, "cr4", U64, X64) \
	X(X64_CR8, 48, "cr8", U64, X64) \
	X(X64_EFER, 49, "efer", U64, X64) \
	X(X64_DR0, 50, "dr0", U64, X64) \
	X(X64_DR1, 51, "dr1", U64, X64) \
	X(X64_DR2, 52, "dr2", U64, X64) \
	X(X64_DR3, 53, "dr3", U64, X64) \
	X(X64_DR6, 54, "dr6", U64, X64) \
	X(X64_DR7, 55, "dr7", U64, X64) \
	X(X64_ES, 56, "es", SEGMENT, X64) \
	X(X64_CS, 57, "cs", SEGMENT, X64) \
	X(X64_SS, 58, "ss", SEGMENT, X64) \
	X(X64_DS, 59, "ds", SEGMENT, X64) \
	X(X64_FS, 60, "fs", SEGMENT, X64) \
	X(X64_GS, 61, "gs", SEGMENT, X64) \
	X(X64_LDTR, 62, "ldtr", SEGMENT, X64) \
	X(X64_TR, 63, "tr", SEGMENT, X64) \
	X(X64_IDTR, 64, "idtr", TABLE, X64) \
	X(X64_GDTR, 65, "gdtr", TABLE, X64) \
	X(ARM64_X0, 67, "x0", U64, ARM64) \
	X(ARM64_X1, 68, "x1", U64, ARM64) \
	X(ARM64_X2, 69, "x2", U64, ARM64) \
	X(ARM64_X3, 70, "x3", U64, ARM64) \
	X(ARM64_X4, 71, "x4", U64, ARM64) \
	X(ARM64_X5, 72, "x5", U64, ARM64) \
	X(ARM64_X6, 73, "x6", U64, ARM64) \
	X(ARM64_X7, 74, "x7", U64, ARM64) \
	X(ARM64_X8, 75, "x8", U64, ARM64) \
	X(ARM64_X9, 76, "x9", U64, ARM64) \
	X(ARM64_X10, 77, "x10", U64, ARM64) \
	X(ARM64_X11, 78, "x11", U64, ARM64) \
	X(ARM64_X12, 79, "x12", U64, ARM64) \
	X(ARM64_X13, 80, "x13", U64, ARM64) \
	X(ARM64_X14, 81, "x14", U64, ARM64) \
	X(ARM64_X15, 82, "x15", U64, ARM64) \
	X(ARM64_X16, 83, "x16", U64, ARM64) \
	X(ARM64_X17, 84, "x17", U64, ARM64) \
	X(ARM64_X18, 85, "x18", U64, ARM64) \
	X(ARM64_X19, 86, "x19", U64, ARM64) \
	X(ARM64_X20, 87, "x20", U64, ARM64) \
	X(ARM64_X21, 88, "x21", U64, ARM64) \
	X(ARM64_X22, 89, "x22", U64, ARM64) \
	X(ARM64_X23, 90, "x23", U64, ARM64) \
	X(ARM64_X24, 91, "x24", U64, ARM64) \
	X(ARM64_X25, 92, "x25", U64, ARM64) \
	X(ARM64_X26, 93, "x26", U64, ARM64) \
	X(ARM64_X27, 94, "x27", U64, ARM64) \
	X(ARM64_X28, 95, "x28", U64, ARM64) \
	X(ARM64_FP, 96, "fp", U64, ARM64) \
	X(ARM64_LR, 97, "lr", U64, ARM64) \
	X(ARM64_PC, 98, "pc", U64, ARM64) \
	X(ARM64_SP_EL0, 99, "sp_el0", U64, ARM64) \
	X(ARM64_SP_EL1, 100, "sp_el1", U64, ARM64) \
	X(ARM64_CPSR, 101, "cpsr", U64, ARM64) \
	X(ARM64_Q0, 102, "q0", U128, ARM64) \
	X(ARM64_Q1, 103, "q1", U128, ARM64) \
	X(ARM64_Q2, 104, "q2", U128, ARM64) \
	X(ARM64_Q3, 105, "q3", U128, ARM64) \
	X(ARM64_Q4, 106, "q4", U128, ARM64) \
	X(ARM64_Q5, 107, "q5", U128, ARM64) \
	X(ARM64_Q6, 108, "q6", U128, ARM64) \
	X(ARM64_Q7, 109, "q7", U128, ARM64) \
	X(ARM64_Q8, 110, "q8", U128, ARM64) \
	X(ARM64_Q9, 111, "q9", U128, ARM64) \
	X(ARM64_Q10, 112, "q10", U128, ARM64) \
	X(ARM64_Q11, 113, "q11", U128, ARM64) \
	X(ARM64_Q12, 114, "q12", U128, ARM64) \
	X(ARM64_Q13, 115, "q13", U128, ARM64) \
	X(ARM64_Q14, 116, "q14", U128, ARM64) \
	X(ARM64_Q15, 117, "q15", U128, ARM64) \
	X(ARM64_Q16, 118, "q16", U128, ARM64) \
	X(ARM64_Q17, 119, "q17", U128, ARM64) \
	X(ARM64_Q18, 120, "q18", U128, ARM64) \
	X(ARM64_Q19, 121, "q19", U128, ARM64) \
	X(ARM64_Q20, 122, "q20", U128, ARM64) \
	X(ARM64_Q21, 123, "q21", U128, ARM64) \
	X(ARM64_Q22, 124, "q22", U128, ARM64) \
	X(ARM64_Q23, 125, "q23", U128, ARM64) \
	X(ARM64_Q24, 126, "q24", U128, ARM64) \
	X(ARM64_Q25, 127, "q25", U128, ARM64) \
	X(ARM64_Q26, 128, "q26", U128, ARM64) \
	X(ARM64_Q27, 129, "q27", U128, ARM64) \
	X(ARM64_Q28, 130, "q28", U128, ARM64) \
	X(ARM64_Q29, 131, "q29", U128, ARM64) \
	X(ARM64_Q30, 132, "q30", U128, ARM64) \
	X(ARM64_Q31, 133, "q31", U128, ARM64) \
	X(ARM64_FPSR, 134, "fpsr", U64, ARM64) \
	X(ARM64_FPCR, 135, "fpcr", U64, ARM64) \
	X(ARM64_ESR_EL1, 136, "esr_el1", U64, ARM64) \
	X(ARM64_SPSR_EL1, 137, "spsr_el1", U64, ARM64) \
	X(ARM64_FAR_EL1, 138, "far_el1", U64, ARM64) \
	X(ARM64_PAR_EL1, 139, "par_el1", U64, ARM64) \
	X(ARM64_ELR_EL1, 140, "elr_el1", U64, ARM64) \
	X(ARM64_TTBR0_EL1, 141, "ttbr0_el1", U64, ARM64) \
	X(ARM64_TTBR1_EL1, 142, "ttbr1_el1", U64, ARM64) \
	X(ARM64_VBAR_EL1, 143, "vbar_el1", U64, ARM64) \
	X(ARM64_SCTLR_EL1, 144, "sctlr_el1", U64, ARM64) \
	X(ARM64_ACTLR_EL1, 145, "actlr_el1", U64, ARM64) \
	X(ARM64_TCR_EL1, 146, "tcr_el1", U64, ARM64) \
	X(ARM64_MAIR_EL1, 147, "mair_el1", U64, ARM64) \
	X(ARM64_AMAIR_EL1, 148, "amair_el1", U64, ARM64) \
	X(ARM64_TPIDR_EL0, 149, "tpidr_el0", U64, ARM64) \
	X(ARM64_TPIDRRO_EL0, 150, "tpidrro_el0", U64, ARM64) \
	X(ARM64_TPIDR_EL1, 151, "tpidr_el1", U64, ARM64) \
	X(ARM64_CONTEXTIDR_EL1, 152, "contextidr_el1", U64, ARM64) \
	X(ARM64_CPACR_EL1, 153, "cpacr_el1", U64, ARM64) \
	X(ARM64_CSSELR_EL1, 154, "csselr_el1", U64, ARM64) \
	X(ARM64_CNTKCTL_EL1, 155, "cntkctl_el1", U64, ARM64) \
	X(ARM64_CNTV_CVAL_EL0, 156, "cntv_cval_el0", U64, ARM64) \
	X(ARM64_CNTV_CTL_EL0, 157, "cntv_ctl_el0", U64, ARM64) \
	X(X64_XCR0, 159, "xcr0", U64, X64) \
	X(X64_CPL, 160, "cpl", U64, X64) \
	X(X64_KERNEL_GS_BASE, 161, "kernel_gs_base", U64, X64) \
	X(X64_APIC_BASE, 162, "apic_base", U64, X64) \
	X(X64_STAR, 163, "star", U64, X64) \
	X(X64_LSTAR, 164, "lstar", U64, X64) \
	X(X64_CSTAR, 165, "cstar", U64, X64) \
	X(X64_SFMASK, 166, "sfmask", U64, X64) \
	X(X64_TSC, 167, "tsc", U64, X64) \
	X(ARM64_ELR_EL2, 168, "elr_el2", U64, ARM64) \
	X(ARM64_SPSR_EL2, 169, "spsr_el2", U64, ARM64) \
	X(ARM64_VMPIDR_EL2, 170, "vmpidr_el2", U64, ARM64) \
	X(ARM64_VPIDR_EL2, 171, "vpidr_el2", U64, ARM64) \
	X(ARM64_AFSR0_EL1, 172, "afsr0_el1", U64, ARM64) \
	X(ARM64_AFSR1_EL1, 173, "afsr1_el1", U64, ARM64)

/** Register ids (HVS_REG_X64_RAX, HVS_REG_ARM64_PC, ...). */
typedef enum hvs_reg {
#define HVS__REG_ENUM(s, id, name, kind, arch) HVS_REG_##s = id,
	HVS_REG_LIST(HVS__REG_ENUM)
#undef HVS__REG_ENUM
	HVS_REG_COUNT = 174  /**< one past the highest id */
} hvs_reg;

/** How a register's 16-byte value is packed (see the file comment). */
typedef enum hvs_regkind {
	HVS_REGKIND_NONE = 0, /**< not a register (SDK sentinels 66, 158) */
	HVS_REGKIND_U64,
	HVS_REGKIND_U128,
	HVS_REGKIND_SEGMENT,
	HVS_REGKIND_TABLE,
	HVS_REGKIND_FP_CONTROL,
	HVS_REGKIND_XMM_CONTROL
} hvs_regkind;

/** Processor architecture. */
typedef enum hvs_arch {
	HVS_ARCH_UNKNOWN = 0,
	HVS_ARCH_X86 = 1,   /**< x86 running in 32-bit (or real) mode */
	HVS_ARCH_X64 = 2,   /**< x86-64 in long mode */
	HVS_ARCH_ARM64 = 3
} hvs_arch;

/** A register value (16 bytes; packing per hvs_regkind). */
typedef struct hvs_regval {
	uint64_t lo;
	uint64_t hi;
} hvs_regval;

/** Lower-case architectural name ("rax", "cr3", "ttbr1_el1"), or NULL for an invalid id. */
HVS_API const char *hvs_reg_name(hvs_reg reg);
/** Packing of a register's value; HVS_REGKIND_NONE for an invalid id. */
HVS_API hvs_regkind hvs_reg_kind(hvs_reg reg);
/** HVS_ARCH_X64 or HVS_ARCH_ARM64 (x86 guests use the X64 ids), UNKNOWN if invalid. */
HVS_API hvs_arch hvs_reg_arch(hvs_reg reg);
/**
 * Look a register up by name (case-insensitive; "eax"-style 32-bit x86
 * names map to the X64 register).
 * @return HVS_OK or HVS_E_NOTFOUND.
 */
HVS_API hvs_status hvs_reg_lookup(const char *name, hvs_reg *out);
/** Name of an architecture ("x86", "x64", "arm64", "unknown"). */
HVS_API const char *hvs_arch_name(hvs_arch arch);

#ifdef __cplusplus
}
#endif
#endif /* HVS_REGS_H */
