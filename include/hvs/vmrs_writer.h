/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/vmrs_writer.h
 * Write a complete Hyper-V saved state (.vmrs): the HyperVStorage
 * container with the version keys, the guest RAM (RamMemoryBlock<N>
 * range descriptors and RamBlock<N> 1 MiB blocks, raw or token-stream
 * encoded) and the processor state (the partition_state chunk stream) of
 * any number of virtual processors and VTLs, for x64 or ARM64.
 *
 * Used for test fixtures (tests/gen, the hvs-gen tool) and for converting
 * other guest images to .vmrs.  What the writer emits, and which choices
 * follow openvmm's DLL-validated writer and which are ours:
 * docs/format/savedstate-writing.md.
 *
 * Usage:
 *   1. hvs_vmrs_writer_create();
 *   2. in any order: hvs_vmrs_writer_add_vp(), _set_reg(), _set_active_vtl(),
 *      _set_guest_os_id(), and hvs_vmrs_writer_add_range() for every GPA
 *      range (ascending, page-aligned, gaps allowed);
 *   3. the memory of all ranges, in range order: hvs_vmrs_writer_write_memory()
 *      (pushed in pieces of any size) and/or hvs_vmrs_writer_write_memory_cb()
 *      (pulled from a callback).  No range may be added after the first
 *      memory byte; registers may still be set;
 *   4. hvs_vmrs_writer_finish(), then hvs_vmrs_writer_close().
 *
 * Memory is streamed: the writer holds one 1 MiB block (plus its encoded
 * form) at a time and hands each finished block to the container, so a
 * multi-GiB state is written in bounded memory.
 *
 * Errors: every function returns HVS_E_INVALID for misuse (bad argument,
 * wrong call order; the message says which), HVS_E_NOMEM, or HVS_E_IO
 * from the file.  After a failure other than HVS_E_INVALID the writer is
 * unusable: only hvs_vmrs_writer_close() may follow.  Thread rules: one
 * thread at a time per writer.
 */
#ifndef HVS_VMRS_WRITER_H
#define HVS_VMRS_WRITER_H

#include "common.h"
#include "regs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A saved state being written.  Opaque. */
typedef struct hvs_vmrs_writer hvs_vmrs_writer;

/** How RamBlock<N> values are stored (format.md 3.3, 4.1). */
typedef enum hvs_vmrs_encoding {
	/** Every block a raw 1 MiB value (what openvmm writes). */
	HVS_VMRS_ENC_RAW = 0,
	/**
	 * Every page an XPRESS page token (size prefix + XPRESS stream; a
	 * page that does not shrink is stored raw with prefix 4096), then
	 * the end token.  A block whose stream would reach 1 MiB is stored
	 * raw instead (a 1 MiB value is always read as raw).
	 */
	HVS_VMRS_ENC_XPRESS = 1,
	/**
	 * Best choice per page: a page that repeats one 8-byte pattern is a
	 * fill token (0xFFFFFFFE; a run of two or more pages with the same
	 * pattern shares one 0xFFFFFFFD run token), otherwise XPRESS when
	 * it shrinks, else raw.  Blocks that would not shrink below 1 MiB
	 * are stored raw.
	 */
	HVS_VMRS_ENC_MIXED = 2
} hvs_vmrs_encoding;

/** Processor vendor written into the PROLOG chunk (format.md 5.3). */
typedef enum hvs_vmrs_vendor {
	HVS_VMRS_VENDOR_DEFAULT = 0, /**< Intel for x64, ARM for ARM64 (as openvmm) */
	HVS_VMRS_VENDOR_INTEL = 1,   /**< on disk 1 */
	HVS_VMRS_VENDOR_AMD = 2,     /**< on disk 0 */
	HVS_VMRS_VENDOR_HYGON = 3,   /**< on disk 2 */
	HVS_VMRS_VENDOR_ARM = 4      /**< on disk 0x10 */
} hvs_vmrs_vendor;

/** Default VM version: 9.0 (format.md 3.1; test.VMRS has 0x900). */
#define HVS_VMRS_DEFAULT_VM_VERSION 0x0900u
/** Highest VTL number the writer accepts, plus one. */
#define HVS_VMRS_MAX_VTLS 16u
/** Highest VP index the writer accepts, plus one (Hyper-V's VP limit). */
#define HVS_VMRS_MAX_VP_INDEX 2048u

/** Options for hvs_vmrs_writer_create(); zero-initialise. */
typedef struct hvs_vmrs_writer_opts {
	/** Allocator for the writer and its container; NULL for malloc. */
	const hvs_allocator *alloc;
	/** Receives the message when create fails (may be NULL). */
	char *errbuf;
	size_t errbuf_size;
	/** HVS_ARCH_X64 (also for 0 / UNKNOWN and X86) or HVS_ARCH_ARM64. */
	hvs_arch arch;
	/** Vendor in the PROLOG chunk; ARM is only valid for ARM64 and vice versa. */
	hvs_vmrs_vendor vendor;
	/**
	 * /savedstate/VmVersion and /configuration/properties/version,
	 * (major << 8) | minor.  0 means HVS_VMRS_DEFAULT_VM_VERSION.  Only
	 * the > 5.0 key layout is written: values below 0x0600 fail with
	 * HVS_E_UNSUPPORTED.
	 */
	uint32_t vm_version;
	/** RamBlock encoding. */
	hvs_vmrs_encoding encoding;
	/**
	 * Value of /savedstate/type ("Normal", "Snapshot", "Fast",
	 * "FastWithHandleTransfer"; format.md 3.1).  NULL or "" writes no
	 * such key.  Copied.
	 */
	const char *savedstate_type;
} hvs_vmrs_writer_opts;

/**
 * Start writing a saved state at @p path (created or truncated).
 * @param out   receives the writer; release with hvs_vmrs_writer_close().
 * @param opts  NULL for all defaults (x64, Intel, 9.0, raw blocks).
 * @return HVS_OK, HVS_E_INVALID, HVS_E_UNSUPPORTED (vm_version < 0x600),
 *         HVS_E_IO, HVS_E_NOMEM.  The message is in opts->errbuf.
 */
HVS_API hvs_status hvs_vmrs_writer_create(hvs_vmrs_writer **out, const char *path,
					  const hvs_vmrs_writer_opts *opts);

/** Detail of the last failure on this writer ("" if none).  Borrowed. */
HVS_API const char *hvs_vmrs_writer_errmsg(const hvs_vmrs_writer *w);

/**
 * Add a virtual processor.  VPs are written in the order added; the first
 * one is the "BSP" of the VP_INDICES chunk.
 * @param vp_index  hardware VP index, < HVS_VMRS_MAX_VP_INDEX, unique.
 * @param vtl_mask  VTLs with register state (bit n = VTL n, n < 16);
 *                  0 means VTL0 only.  A VP with more than one VTL gets
 *                  VP_VTL_CONTROL_PAGE chunks (see _set_active_vtl()).
 * @return HVS_OK, HVS_E_INVALID (duplicate or out-of-range index, called
 *         after finish), HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_vmrs_writer_add_vp(hvs_vmrs_writer *w, uint32_t vp_index,
					  uint32_t vtl_mask);

/**
 * Set which VTL was running on a VP when it was saved: its control-page
 * chunk gets VtlIsRunnable = 1, the other VTLs' 0.  Default: the lowest
 * VTL of the VP.  Has no effect on a VP with one VTL (no control page).
 * @param vp_index  an index given to hvs_vmrs_writer_add_vp().
 * @return HVS_OK or HVS_E_INVALID (no such VP, or VTL not in its mask).
 */
HVS_API hvs_status hvs_vmrs_writer_set_active_vtl(hvs_vmrs_writer *w,
						  uint32_t vp_index, uint32_t vtl);

/**
 * Set a register of VP @p vp_index, VTL @p vtl.  Registers never set are
 * written as 0.  @p val is packed as described in hvs/regs.h.  Accepted
 * ids: the registers of the writer's architecture that a chunk holds:
 *  - x64: RAX..RFLAGS (GP chunk), XMM0-15, FPMMX0-7, FP_CONTROL_STATUS,
 *    XMM_CONTROL_STATUS (FP chunk), CR0 CR2 CR3 CR4 CR8 EFER, DR0-3 DR6
 *    DR7, ES..TR (segment chunk), CPL (the u8 at +0x90 of the segment
 *    chunk; default CS.selector & 3 when CPL is never set), IDTR GDTR,
 *    XCR0, and the VIRTUAL_MSRS slots TSC [0], KERNEL_GS_BASE [1],
 *    APIC_BASE [2], STAR [7], LSTAR [8], CSTAR [9], SFMASK [10] (slot
 *    meanings low confidence, format.md 5.3);
 *  - ARM64: X0-X28 FP LR SP_EL0 SP_EL1 ESR_EL1 SPSR_EL1 FAR_EL1 PAR_EL1
 *    ELR_EL1 ELR_EL2 SPSR_EL2 AFSR0_EL1 AFSR1_EL1 (GP chunk), the 16
 *    system registers of the control chunk, TTBR0/1_EL1 VBAR_EL1, Q0-Q31
 *    FPSR FPCR.  PC is stored as ELR_EL2 and CPSR as SPSR_EL2 (the
 *    reader's assumption, format.md 5.5 [?]): setting PC sets ELR_EL2.
 * @return HVS_OK or HVS_E_INVALID (no such VP or VTL, a register of the
 *         other architecture, or one no chunk holds).
 */
HVS_API hvs_status hvs_vmrs_writer_set_reg(hvs_vmrs_writer *w, uint32_t vp_index,
					   uint32_t vtl, hvs_reg reg,
					   const hvs_regval *val);

/**
 * Set the partition's guest OS id (HV_X64_MSR_GUEST_OS_ID) for @p vtl:
 * the OS_ID chunk.  VTL0's id goes in the OS_ID chunk after PROLOG
 * (written as 0 when never set, as openvmm does); another VTL's id, when
 * set, goes in an OS_ID chunk right after that VTL's PARTITION_VTL chunk
 * (our choice, see the docs).
 * @return HVS_OK or HVS_E_INVALID (vtl >= 16).
 */
HVS_API hvs_status hvs_vmrs_writer_set_guest_os_id(hvs_vmrs_writer *w,
						   uint32_t vtl, uint64_t os_id);

/**
 * Declare a guest-physical RAM range [gpa, gpa + size).  Ranges must be
 * added in ascending order without overlap; gaps between them (an MMIO
 * hole) are not saved.  Each range becomes one RamMemoryBlock<N> and
 * starts on a fresh RamBlock; the last block of a range is zero-padded.
 * @param gpa   page-aligned (4 KiB).
 * @param size  page-aligned, non-zero.
 * @return HVS_OK, HVS_E_INVALID (alignment, order, overlap, overflow, or
 *         memory already written), HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_vmrs_writer_add_range(hvs_vmrs_writer *w, uint64_t gpa,
					     uint64_t size);

/**
 * Append the next @p len bytes of guest memory, in range order (the
 * ranges concatenated, gaps excluded).  @p data NULL writes zeros.
 * @return HVS_OK, HVS_E_INVALID (more bytes than the ranges hold),
 *         HVS_E_IO, HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_vmrs_writer_write_memory(hvs_vmrs_writer *w,
						const void *data, size_t len);

/**
 * Callback that fills @p buf with @p len bytes of guest memory at @p gpa.
 * [gpa, gpa + len) lies inside one declared range; len <= 1 MiB.
 * Return HVS_OK, or any error status to abort the write (it is returned
 * by hvs_vmrs_writer_write_memory_cb()).
 */
typedef hvs_status (*hvs_vmrs_read_fn)(void *ud, uint64_t gpa, void *buf,
				       size_t len);

/**
 * Write all the memory not written yet, reading it from @p read.
 * @return HVS_OK, the callback's error, HVS_E_IO, HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_vmrs_writer_write_memory_cb(hvs_vmrs_writer *w,
						   hvs_vmrs_read_fn read, void *ud);

/**
 * Write the partition_state blob, the container's tables and headers,
 * and flush.  All declared memory must have been written.  After this
 * only hvs_vmrs_writer_close() may be called.
 * A writer without VPs writes a partition_state with an empty VP list.
 * @return HVS_OK, HVS_E_INVALID (memory incomplete), HVS_E_IO, HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_vmrs_writer_finish(hvs_vmrs_writer *w);

/**
 * Release the writer (NULL-safe).  Without a successful finish the file
 * is left incomplete (no reader accepts it: its headers are written last).
 */
HVS_API void hvs_vmrs_writer_close(hvs_vmrs_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* HVS_VMRS_WRITER_H */
