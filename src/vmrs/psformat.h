/* SPDX-License-Identifier: MIT */
/*
 * On-disk constants of a saved VM (docs/format/savedstate.md, from
 * format.md sections 3 and 5): key names, the RamMemoryBlock descriptor,
 * and the partition_state blob (envelope + chunk stream).  File values:
 * never renumber.  Offsets of chunk payload fields are relative to the
 * chunk START (the 16-byte chunk header included), as format.md gives them,
 * so payload field X of a chunk at c is at c + X.
 */
#ifndef HVS_VMRS_PSFORMAT_H
#define HVS_VMRS_PSFORMAT_H

/* ---- Key paths (format.md 3.1). VmVersion > 5.0 layout: */
#define HVS_KEY_VMVERSION "/savedstate/VmVersion"
#define HVS_KEY_CONFIG_VERSION "/configuration/properties/version"
#define HVS_KEY_SAVEDSTATE_TYPE "/savedstate/type"
#define HVS_KEY_PARTITION_STATE "/savedstate/savedVM/partition_state"
#define HVS_KEY_RAM_MEMORY_BLOCK_FMT "/savedstate/RamMemoryBlock%u"
#define HVS_KEY_RAM_BLOCK_FMT "/savedstate/RamBlock%llu"
/* VM version <= 5.0 (Microsoft's loader: < 0x600): */
#define HVS_KEY_PARTITION_STATE_V5 "/savedVM/partition_state"
#define HVS_KEY_RAM_MEMORY_BLOCK_FMT_V5 "RamMemoryBlock/%u/"
#define HVS_KEY_RAM_BLOCK_FMT_V5 "RamBlock/%llu/"
#define HVS_VMVERSION_NEW_LAYOUT 0x0600u

/* ---- RamMemoryBlock<N> descriptor (Array, 48 bytes; 40 for VM 4.0). */
enum {
	HVS_RMB_OFF_VERSION = 0x00,      /* u32 SavedStateVersion (<= 3) */
	HVS_RMB_OFF_FLAGS = 0x04,        /* u32 */
	HVS_RMB_OFF_PAGE_COUNT = 0x08,   /* u64 PageCountTotal */
	HVS_RMB_OFF_MBP_START = 0x10,    /* u64 MbpIndexStart (RAM-sequence page) */
	HVS_RMB_OFF_GPA_START = 0x18,    /* u64 GpaIndexStart (guest page number) */
	HVS_RMB_OFF_VNODE = 0x20,        /* u32 VirtualNode (< 64) */
	HVS_RMB_OFF_PAD = 0x24,          /* u32 */
	HVS_RMB_OFF_KSR_BLOCK = 0x28,    /* u64 KsrBlockId */
	HVS_RMB_SIZE = 0x30,
	HVS_RMB_SIZE_V4 = 0x28
};
#define HVS_RMB_MAX_VERSION 3u
#define HVS_RMB_FLAG_HOT_ADDED 0x1u
#define HVS_RMB_FLAG_SGX 0x2u
#define HVS_RMB_FLAG_VTL2 0x4u
#define HVS_RMB_FLAG_SPECIFIC_PURPOSE 0x8u
#define HVS_RMB_FLAGS_KNOWN 0xFu

/* ---- RAM blocks: 1 MiB of the RAM sequence each (256 pages of 4 KiB). */
#define HVS_PAGE_SIZE 4096u
#define HVS_RAM_BLOCK_SIZE 0x100000u
#define HVS_RAM_BLOCK_PAGES 256u

/* ---- partition_state envelope (24 bytes). */
enum {
	HVS_PS_OFF_DESCRIPTOR_SIZE = 0x00, /* u64 (24) */
	HVS_PS_OFF_HEADER_SIZE = 0x08,     /* u64; chunks start at header_size + 16 */
	HVS_PS_OFF_TOTAL_SIZE = 0x10,      /* u64 blob length */
	HVS_PS_ENVELOPE_SIZE = 0x18
};
#define HVS_PS_CHUNKS_BIAS 16u

/* ---- Chunk header: u32 id, u32 data length, 8 bytes padding. */
enum {
	HVS_CH_OFF_ID = 0x00,
	HVS_CH_OFF_LEN = 0x04,
	HVS_CH_HEADER_SIZE = 0x10
};

/* ---- Chunk ids (format.md 5.3). */
#define HVS_CH_PROLOG 0x00000000u
#define HVS_CH_CPUID_DATA 0x20000000u
#define HVS_CH_OS_ID 0x20001000u
#define HVS_CH_HYPERCALL_MSR 0x20002000u
#define HVS_CH_REFERENCE_TSC 0x20003000u
#define HVS_CH_PARTITION_VTL 0x20008000u
#define HVS_CH_PARTITION_VSM_CONFIG 0x2000A000u
#define HVS_CH_VP_INDICES 0x30000000u
#define HVS_CH_VP 0x30001000u
#define HVS_CH_VP_CORE 0x30003000u
#define HVS_CH_VP_GP 0x30005000u
#define HVS_CH_VP_FP 0x30006000u
#define HVS_CH_VP_CR 0x30007000u
#define HVS_CH_VP_DEBUG 0x30008000u
#define HVS_CH_VP_SEGMENT 0x30009000u
#define HVS_CH_VP_TABLE 0x3000A000u
#define HVS_CH_VP_VIRTUAL_MSRS 0x3000B000u
#define HVS_CH_VP_MTRR 0x3000C000u
#define HVS_CH_VP_XSAVE_CONTROL 0x3000D000u
#define HVS_CH_VP_XSAVE_STATE 0x3000E100u
#define HVS_CH_VP_SYNIC_APIC 0x3000F000u
#define HVS_CH_VP_SYNIC_MSRS 0x30010000u
#define HVS_CH_VP_SYNTH_TIMERS 0x30011000u
#define HVS_CH_VP_VTL_CONTROL_PAGE 0x30018000u
#define HVS_CH_VP_VTL 0x3001A000u
#define HVS_CH_VP_NESTED_BASE 0x30021000u
#define HVS_CH_VP_NESTED_CURRENT_VMCS 0x30023000u
#define HVS_CH_EPILOG 0xF0000000u

/* PROLOG payload (chunk-relative offsets). */
#define HVS_PROLOG_TAG 0x50546475u /* 'duTP' */
enum {
	HVS_PROLOG_OFF_TAG = 0x10,      /* u32 */
	HVS_PROLOG_OFF_SUMMARY = 0x14,  /* u8 IsSummarySaveState */
	HVS_PROLOG_OFF_VENDOR = 0x18,   /* u32 processor vendor */
	HVS_PROLOG_DATA_SIZE = 4080     /* payload length openvmm writes */
};
#define HVS_VENDOR_AMD 0u
#define HVS_VENDOR_INTEL 1u
#define HVS_VENDOR_HYGON 2u
#define HVS_VENDOR_ARM 0x10u

/* Register chunk payload sizes (x64). */
#define HVS_CH_X64_GP_SIZE 144u      /* 18 x u64: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 RIP RFLAGS */
#define HVS_CH_X64_FP_SIZE 416u      /* XMM0-15, ST0-7, FpControlStatus, XmmControlStatus */
#define HVS_CH_X64_CR_SIZE 48u       /* CR0 CR2 CR3 CR4 CR8 EFER */
#define HVS_CH_X64_DEBUG_SIZE 48u    /* DR0 DR1 DR2 DR3 DR6 DR7 */
#define HVS_CH_X64_SEGMENT_SIZE 144u /* 8 x {u64 base,u32 limit,u16 sel,u16 attr}: ES CS SS DS FS GS LDTR TR; u8 CPL at +0x90 */
#define HVS_CH_X64_TABLE_SIZE 32u    /* IDTR, GDTR: {u16 pad[3], u16 limit, u64 base} */
#define HVS_CH_XSAVE_CONTROL_SIZE 64u/* XCR0 + 7 reserved */
#define HVS_CH_X64_VMSR_SIZE 96u     /* 12 x u64, meaning partly guessed (L) */
/* Offsets inside the x64 chunks (chunk-relative). */
enum {
	HVS_X64_FP_OFF_XMM = 0x10,
	HVS_X64_FP_OFF_ST = 0x110,
	HVS_X64_FP_OFF_FPCS = 0x190, /* u16 FCW, u16 FSW, u8 FTW, u8 rsvd, u16 FOP, u64 FPU IP */
	HVS_X64_FP_OFF_XMMCS = 0x1A0,/* u64 FPU DP, u32 MXCSR, u32 MXCSR_MASK */
	HVS_X64_SEG_OFF_CPL = 0x90
};

/* ARM64 chunk payload sizes (format.md 5.5; M confidence). */
#define HVS_CH_ARM64_GP_SIZE 336u    /* X0-X28 FP LR ELR_EL2 SPSR_EL2 ESR FAR... */
#define HVS_CH_ARM64_CR_SIZE 128u    /* 16 x u64 system registers */
#define HVS_CH_ARM64_TABLE_SIZE 32u  /* TTBR0 TTBR1 VBAR pad */
#define HVS_CH_ARM64_FP_SIZE 528u    /* Q0-Q31, FPSR, FPCR */

/* VP_VTL_CONTROL_PAGE: 24 bytes of VP-assist VTL control, u8 VtlIsRunnable at +0x28. */
#define HVS_VTLCP_OFF_RUNNABLE 0x28u
#define HVS_CH_VTL_CONTROL_PAGE_SIZE 48u
/* Its DataLength: 24 + u8 + 7 pad = 32 (the 48 above is the whole chunk,
 * header included; openvmm VsmSaveChunkVpVtlControlPage). */
#define HVS_CH_VTL_CONTROL_PAGE_DATA 32u
/* DataLength of the marker chunks openvmm writes: OS_ID {u64, 8 pad},
 * PARTITION_VTL / VP_VTL {u8, 15 pad}, VP {u32, 12 pad}. */
#define HVS_CH_MARKER_SIZE 16u

#endif
