/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/xlat.h
 * Guest-virtual to guest-physical address translation for every paging
 * mode: x86 32-bit (4 KiB and 4 MiB pages), PAE, x64 4-level and 5-level
 * (LA57), and ARM64 (TTBR0/TTBR1, 4/16/64 KiB granules).
 *
 * Format and rules: docs/format/paging.md.
 *
 * The engine knows nothing about files.  It reads page tables through a
 * caller-supplied physical-read callback (the way libaddrxlat serves
 * libkdumpfile), so it works over saved states, ELF cores and raw images
 * alike.  It keeps no global state; one thread at a time per handle.
 *
 * Untrusted-input contract: page-table bytes are hostile.  Every entry is
 * decoded with explicit shifts; reserved bits, address-size violations and
 * malformed descriptors are reported as faults, never trusted; walks are
 * bounded by the number of paging levels (at most 5 reads per
 * translation).  The map walker recurses at most 5 levels deep, skips
 * tables it already found empty, and gives up with HVS_E_CORRUPT after
 * 2^30 entries, so aliased hostile tables cannot make it run away; it
 * allocates nothing.
 *
 * Error model for translations:
 *  - HVS_OK            the address is mapped; the GPA is valid.
 *  - HVS_E_NOTPRESENT  the address is not mapped.  hvs_xlat_last_fault()
 *                      says why (not present at level L, non-canonical,
 *                      reserved bit at level L, address size, walk
 *                      disabled) and the unmapped-region size says how far
 *                      the caller may skip.
 *  - HVS_E_NODATA      a page-table page could not be read (not in the
 *                      image).  This is NOT "not mapped": the answer is
 *                      unknown.  The read callback's own status (for
 *                      example HVS_E_IO) is passed through unchanged.
 */
#ifndef HVS_XLAT_H
#define HVS_XLAT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Physical-read callback: copy @p len bytes at guest-physical address
 * @p gpa into @p buf.  The engine asks for 4 or 8 bytes per page-table
 * entry and, in hvs_xlat_read(), for runs that never cross a page.
 * @return HVS_OK when all @p len bytes were copied; HVS_E_NODATA when the
 *         address is not backed by the image; any other status (HVS_E_IO
 *         ...) is passed through to the caller of the engine unchanged.
 */
typedef hvs_status (*hvs_read_phys_fn)(void *ud, uint64_t gpa, void *buf,
				       size_t len);

/** Paging mode.  AUTO asks hvs_xlat_new() to detect it from the registers. */
typedef enum hvs_paging_mode {
	HVS_PAGING_AUTO = 0,    /**< detect from the registers (the default) */
	HVS_PAGING_NONE,        /**< paging off: GVA == GPA */
	HVS_PAGING_X86_32,      /**< 2-level 32-bit paging, 4 KiB / 4 MiB pages */
	HVS_PAGING_X86_PAE,     /**< 3-level PAE, 4 KiB / 2 MiB pages */
	HVS_PAGING_X64_4LEVEL,  /**< 4-level IA-32e, 4 KiB / 2 MiB / 1 GiB */
	HVS_PAGING_X64_5LEVEL,  /**< 5-level IA-32e (CR4.LA57) */
	HVS_PAGING_ARM64        /**< AArch64 stage 1, EL1&0 regime */
} hvs_paging_mode;

/**
 * Short name of a mode: "auto", "none", "x86-32", "pae", "x64-4level",
 * "x64-5level", "arm64".
 * @return a static string; never NULL ("unknown" for other values).
 */
HVS_API const char *hvs_paging_mode_name(hvs_paging_mode mode);

/** Architecture hint for the registers in hvs_paging_regs. */
typedef enum hvs_xlat_arch {
	HVS_XLAT_ARCH_AUTO = 0, /**< x86 if any of CR0/CR3/CR4/EFER is non-zero,
				     else ARM64 if any ARM64 field is non-zero */
	HVS_XLAT_ARCH_X86,      /**< x86 and x64 (the CR/EFER fields apply) */
	HVS_XLAT_ARCH_ARM64     /**< AArch64 (the TTBR/TCR/SCTLR fields apply) */
} hvs_xlat_arch;

/** hvs_paging_regs.have bits: which privilege-level fields are valid. */
#define HVS_REGS_HAVE_CPL     0x1u  /**< @c cpl holds the saved CPL */
#define HVS_REGS_HAVE_SS_ATTR 0x2u  /**< @c ss_attr holds SS access rights */
#define HVS_REGS_HAVE_CS_SEL  0x4u  /**< @c cs_sel holds the CS selector */
#define HVS_REGS_HAVE_PSTATE  0x8u  /**< @c pstate holds PSTATE/CPSR */

/**
 * The registers that define one address space of one virtual processor
 * (per VP and per VTL: pass that VTL's registers).  A value type; zero it
 * and fill what you have.  Fields of the other architecture are ignored.
 */
typedef struct hvs_paging_regs {
	hvs_xlat_arch arch;   /**< architecture hint (AUTO: see the enum) */
	hvs_paging_mode mode; /**< AUTO to detect, or an override */
	/** x86: MAXPHYADDR (reserved-bit checks); 0 means 52. */
	unsigned maxphyaddr;
	/* x86 / x64 */
	uint64_t cr0, cr3, cr4, efer;
	/* AArch64 (EL1 registers) */
	uint64_t ttbr0, ttbr1, tcr, sctlr;
	/* privilege level for hvs_xlat_in_kernel(); see @c have */
	uint32_t have;        /**< HVS_REGS_HAVE_* bits */
	uint32_t cpl;         /**< saved CPL (0..3) */
	uint32_t ss_attr;     /**< SS access rights, VMX/Hyper-V layout: DPL in
				   bits 6:5 (QEMU's descriptor flags >> 8) */
	uint32_t cs_sel;      /**< CS selector; RPL in bits 1:0 */
	uint64_t pstate;      /**< AArch64 PSTATE/SPSR/CPSR: EL in bits 3:2,
				   bit 4 set for AArch32 */
} hvs_paging_regs;

/**
 * Detect the paging mode from the registers (ignores @c regs->mode).
 * x86: CR0.PG (bit 31) clear -> NONE; CR4.PAE (bit 5) clear -> X86_32;
 * EFER.LMA (bit 10) or EFER.LME (bit 8) set -> X64_4LEVEL, or X64_5LEVEL
 * when CR4.LA57 (bit 12) is set; otherwise X86_PAE.  ARM64: SCTLR_EL1.M
 * (bit 0) clear -> NONE, else ARM64.  Infallible.
 * @param regs  the registers (arch AUTO: see hvs_xlat_arch); NULL gives
 *              NONE.
 * @return the mode; never HVS_PAGING_AUTO.
 */
HVS_API hvs_paging_mode hvs_xlat_detect_mode(const hvs_paging_regs *regs);

/**
 * Is the processor in kernel mode?  x86: CR0.PE clear (real mode) ->
 * kernel; else the saved CPL, or SS.DPL (the architectural copy of the
 * CPL), or the CS selector's RPL, in that order of preference; kernel
 * when it is 0.  ARM64: the exception level in PSTATE bits 3:2, kernel
 * when EL >= 1 (AArch32 state, bit 4: kernel unless mode bits are USR).
 * @param out   receives 1 (kernel) or 0 (user).
 * @param regs  the registers, with @c have telling which fields are set.
 * @return HVS_OK; HVS_E_NOTFOUND when the registers hold no privilege
 *         information; HVS_E_INVALID for NULL arguments.
 */
HVS_API hvs_status hvs_xlat_in_kernel(int *out, const hvs_paging_regs *regs);

/** A translation context: registers, a read callback and a cache. */
typedef struct hvs_xlat hvs_xlat;

/** hvs_xlat_new() flags. */
/** Do not report reserved bits in entries as faults (QEMU's and
 *  libaddrxlat's permissive walk: reserved bits are ignored). */
#define HVS_XLAT_NO_RSVD_CHECK 0x1u
/** Disable the translation cache (the TLB and the last-entry-per-level
 *  cache): every translation reads every entry through the callback. */
#define HVS_XLAT_NO_CACHE      0x2u

/**
 * Create a translation context.
 * @param out    receives the context; release with hvs_xlat_free().
 * @param regs   the paging registers (copied).  mode AUTO detects.
 * @param read   physical-read callback, called with @p ud.
 * @param ud     callback data; borrowed, must outlive the context.
 * @param flags  HVS_XLAT_* flags.
 * @param alloc  allocator, or NULL for malloc.
 * @return HVS_OK; HVS_E_INVALID (NULL argument, or a mode that does not
 *         fit the architecture); HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_xlat_new(hvs_xlat **out, const hvs_paging_regs *regs,
				hvs_read_phys_fn read, void *ud, unsigned flags,
				const hvs_allocator *alloc);

/**
 * Release a context.  The read callback's @c ud is not touched.
 * @param x  the context, or NULL (no-op).
 */
HVS_API void hvs_xlat_free(hvs_xlat *x);

/**
 * Replace the registers (another VP, VTL or process) and flush the cache.
 * @param x     the context.
 * @param regs  the new registers (copied); mode AUTO detects.
 * @return HVS_OK or HVS_E_INVALID (as hvs_xlat_new()); on error the
 *         context keeps its previous registers.
 */
HVS_API hvs_status hvs_xlat_set_regs(hvs_xlat *x, const hvs_paging_regs *regs);

/**
 * The mode in use (detected or overridden).  Infallible.
 * @param x  the context (NULL gives HVS_PAGING_NONE).
 * @return the mode; never HVS_PAGING_AUTO.
 */
HVS_API hvs_paging_mode hvs_xlat_mode(const hvs_xlat *x);

/**
 * Forget every cached translation and page-table entry (call after the
 * guest memory behind the callback changed).
 * @param x  the context, or NULL (no-op).
 */
HVS_API void hvs_xlat_flush(hvs_xlat *x);

/**
 * Message describing the last failure ("VA 0x1000: not present: PTE
 * entry 0x0 at GPA 0x5008").  Fault messages are formatted on this call
 * (translating unmapped addresses costs no printf), hence the non-const
 * handle.
 * @param x  the context (NULL gives "").
 * @return a NUL-terminated string, borrowed: valid until the next call
 *         on @p x; never NULL.
 */
HVS_API const char *hvs_xlat_errmsg(hvs_xlat *x);

/** Why an address is not mapped. */
typedef enum hvs_xlat_fault_kind {
	HVS_XLAT_FAULT_NONE = 0,     /**< no fault */
	HVS_XLAT_FAULT_NOT_PRESENT,  /**< entry at @c level not present/invalid */
	HVS_XLAT_FAULT_NONCANONICAL, /**< VA outside the translatable ranges
					  (x64 canonical form, 32-bit modes
					  above 4 GiB, ARM64 TTBR select) */
	HVS_XLAT_FAULT_RESERVED,     /**< reserved bit set, or a reserved
					  descriptor encoding, at @c level */
	HVS_XLAT_FAULT_ADDRESS_SIZE, /**< ARM64: output address above
					  TCR.IPS at @c level */
	HVS_XLAT_FAULT_DISABLED      /**< ARM64: TCR.EPD0/EPD1 disable the
					  walk for this half */
} hvs_xlat_fault_kind;

/** Details of a failed translation. */
typedef struct hvs_xlat_fault {
	hvs_xlat_fault_kind kind;
	int level;          /**< paging level of the faulting entry (x86:
				 5 PML5E .. 1 PTE; ARM64: 0..3), or -1 */
	uint64_t entry_gpa; /**< GPA of the faulting entry (0 if none) */
	uint64_t entry;     /**< its raw value */
} hvs_xlat_fault;

/**
 * Fault of the last hvs_xlat_translate() (kind NONE after success).
 * @param x  the context.
 * @return borrowed pointer into @p x, valid until it is freed; never NULL.
 */
HVS_API const hvs_xlat_fault *hvs_xlat_last_fault(const hvs_xlat *x);

/**
 * Short name of a fault kind ("not present", "non-canonical address",
 * ...).
 * @return a static string; never NULL.
 */
HVS_API const char *hvs_xlat_fault_name(hvs_xlat_fault_kind kind);

/**
 * Translate a guest-virtual address.
 * @param x              the context.
 * @param gva            the address (ARM64: tags in bits 63:56 are
 *                       ignored where TCR.TBI0/TBI1 say so).
 * @param gpa_out        receives the GPA on success (may be NULL).
 * @param page_size_out  receives the size of the mapping that contains
 *                       @p gva (4 KiB, 2 MiB, 4 MiB, 1 GiB; ARM64 also
 *                       16/64 KiB, 32/512 MiB, 4 TiB) (may be NULL).
 * @param unmapped_out   on HVS_E_NOTPRESENT receives the number of bytes
 *                       from @p gva to the end of the unmapped region that
 *                       contains it (the span of the missing entry, e.g.
 *                       the rest of a 2 MiB region for a non-present PDE;
 *                       for a non-canonical address, the distance to the
 *                       next translatable address; always > 0).  0 on
 *                       success, like the Hyper-V SDK.  May be NULL.
 * @return HVS_OK; HVS_E_NOTPRESENT (not mapped; see hvs_xlat_last_fault());
 *         HVS_E_NODATA (a table page is not in the image) or the status
 *         of the read callback; HVS_E_INVALID for a NULL context.
 */
HVS_API hvs_status hvs_xlat_translate(hvs_xlat *x, uint64_t gva,
				      uint64_t *gpa_out,
				      uint64_t *page_size_out,
				      uint64_t *unmapped_out);

/**
 * Read guest-virtual memory across page boundaries.
 * @param x     the context.
 * @param gva   first address.
 * @param buf   receives the bytes.
 * @param len   bytes wanted.
 * @param done  receives the number of bytes copied (may be NULL); on an
 *              error it tells how far the read got (kdump_read style).
 * @return HVS_OK when all @p len bytes were read; HVS_E_NOTPRESENT when
 *         an address is not mapped; HVS_E_NODATA (or the callback's
 *         status) when a page table or a data page is not in the image.
 */
HVS_API hvs_status hvs_xlat_read(hvs_xlat *x, uint64_t gva, void *buf,
				 size_t len, size_t *done);

/* ------------------------------------------------------------ stepwise */

/** Decoded entry flags (hvs_xlat_step.flags, hvs_xlat_region.flags). */
#define HVS_XLAT_F_PRESENT  0x001u /**< x86 P / ARM64 valid */
#define HVS_XLAT_F_WRITE    0x002u /**< x86 R/W / ARM64 AP[2] clear */
#define HVS_XLAT_F_USER     0x004u /**< x86 U/S / ARM64 AP[1] set (EL0) */
#define HVS_XLAT_F_NX       0x008u /**< x86 XD (bit 63, EFER.NXE) / ARM64 UXN */
#define HVS_XLAT_F_ACCESSED 0x010u /**< x86 A / ARM64 AF */
#define HVS_XLAT_F_DIRTY    0x020u /**< x86 D (leaf entries) */
#define HVS_XLAT_F_GLOBAL   0x040u /**< x86 G (leaf) / ARM64 nG clear */
#define HVS_XLAT_F_LEAF     0x080u /**< the entry maps memory (page/block) */
#define HVS_XLAT_F_LARGE    0x100u /**< leaf above the last level (PS/block) */
#define HVS_XLAT_F_PXN      0x200u /**< ARM64 PXN */
/** Map walker only: a page table at @c gpa could not be read, so the
 *  region's mappings are unknown (the region is not mapped-for-sure). */
#define HVS_XLAT_F_NODATA   0x400u

/** Maximum number of recorded steps (5-level paging + 1). */
#define HVS_XLAT_MAX_STEPS 6

/** One level of a walk: what was read and what it means. */
typedef struct hvs_xlat_step {
	const char *name;   /**< "PML5E", "PML4E", "PDPTE", "PDE", "PTE",
				 ARM64 "L0".."L3" (static strings) */
	int level;          /**< x86 5..1, ARM64 0..3 */
	uint64_t entry_gpa; /**< GPA of the entry */
	uint64_t entry;     /**< raw value (32-bit modes: zero-extended) */
	uint64_t span;      /**< bytes of VA one entry at this level covers */
	uint32_t flags;     /**< HVS_XLAT_F_* decoded from this entry alone */
} hvs_xlat_step;

/**
 * State and trace of a stepwise walk (addrxlat_step_t model): a value the
 * caller owns.  Start with hvs_xlat_walk_init(), then call
 * hvs_xlat_walk_step() until @c done is set or it fails.  Fields named
 * priv_* are internal state.
 */
typedef struct hvs_xlat_walk {
	uint64_t gva;           /**< the address being translated */
	int done;               /**< 1 when @c gpa and @c page_size are valid */
	uint64_t gpa;           /**< result (when done) */
	uint64_t page_size;     /**< result mapping size (when done) */
	uint32_t flags;         /**< HVS_XLAT_F_* combined over the path (x86:
				     W and U ANDed, NX ORed; ARM64 with the
				     APTable/XNTable limits) */
	uint64_t unmapped_size; /**< on HVS_E_NOTPRESENT: see translate */
	hvs_xlat_fault fault;   /**< on HVS_E_NOTPRESENT: the reason */
	unsigned nsteps;        /**< entries read so far */
	hvs_xlat_step steps[HVS_XLAT_MAX_STEPS];
	/* internal state */
	uint64_t priv_table;    /**< GPA of the table to index next */
	uint64_t priv_va;       /**< the VA with tags/sign stripped */
	int priv_level;         /**< level of the next entry */
	int priv_half;          /**< ARM64: 0 TTBR0, 1 TTBR1 */
} hvs_xlat_walk;

/**
 * Begin a walk of @p gva: checks the address (canonical form, TTBR
 * selection) and sets the root table.  Reads no memory.  The steps use
 * the last-entry-per-level cache (cleared by hvs_xlat_flush()), not the
 * TLB, so a trace always shows the entries of a full walk.
 * @param x    the context.
 * @param w    caller-owned walk state; cleared and filled.
 * @param gva  the address to translate.
 * @return HVS_OK (call hvs_xlat_walk_step(); @c done is already set when
 *         paging is off); HVS_E_NOTPRESENT (non-canonical or walk
 *         disabled: @c fault and @c unmapped_size set); HVS_E_INVALID.
 */
HVS_API hvs_status hvs_xlat_walk_init(hvs_xlat *x, hvs_xlat_walk *w,
				      uint64_t gva);

/**
 * Read and decode the next entry, appending it to @c w->steps.
 * @param x  the context the walk was started with.
 * @param w  the walk state (its priv_* fields are validated first).
 * @return HVS_OK (check @c w->done); HVS_E_NOTPRESENT (fault recorded);
 *         HVS_E_NODATA or the callback's status when the entry could not
 *         be read (the failed step is not recorded); HVS_E_INVALID when
 *         the walk is already finished.
 */
HVS_API hvs_status hvs_xlat_walk_step(hvs_xlat *x, hvs_xlat_walk *w);

/* -------------------------------------------------------- map walker */

/** One mapped region of an address space. */
typedef struct hvs_xlat_region {
	uint64_t gva;    /**< first address */
	uint64_t gpa;    /**< GPA of @c gva (the table GPA for F_NODATA) */
	uint64_t size;   /**< bytes */
	uint32_t flags;  /**< HVS_XLAT_F_* combined over the path */
} hvs_xlat_region;

/** Map-walker callback: return HVS_OK to go on; anything else stops the
 *  walk and is returned by hvs_xlat_map_walk(). */
typedef hvs_status (*hvs_xlat_region_fn)(void *ud, const hvs_xlat_region *r);

/** hvs_xlat_map_walk() flags. */
/** Merge neighbours that are contiguous in VA and PA with equal flags. */
#define HVS_XLAT_MAP_MERGE  0x1u
/** Fail with the read status on an unreadable table instead of reporting
 *  it as an F_NODATA region and going on. */
#define HVS_XLAT_MAP_STRICT 0x2u

/**
 * List every mapped region that overlaps [@p first, @p last] (whole
 * mappings, not clipped) in ascending VA order (QEMU `info tlb`),
 * skipping non-present entries whole (a missing PML4E skips 512 GiB at
 * once).  Entries with reserved bits are treated as not present.  ARM64
 * lists the untagged aliases only (tag 0x00 for TTBR0, 0xff for TTBR1).
 * Tables are read 4 KiB at a time through the callback; the cache is not
 * used.  Paging off: one identity region [first, last].
 * @param x      the context.
 * @param first  lowest VA of interest.
 * @param last   highest VA of interest (inclusive; >= @p first).
 * @param flags  HVS_XLAT_MAP_* flags.
 * @param cb     called once per region, in ascending VA order; the
 *               region pointer is valid during the call only.
 * @param ud     passed to @p cb.
 * @return HVS_OK; the callback's status; with HVS_XLAT_MAP_STRICT, the read
 *         status of an unreadable table; HVS_E_CORRUPT when more than
 *         2^30 entries would be examined; HVS_E_INVALID.
 */
HVS_API hvs_status hvs_xlat_map_walk(hvs_xlat *x, uint64_t first,
				     uint64_t last, unsigned flags,
				     hvs_xlat_region_fn cb, void *ud);

/** Cache statistics (for benchmarks and `hvs xlat --stats`). */
typedef struct hvs_xlat_stats {
	uint64_t hits, misses, reads;
} hvs_xlat_stats;

/**
 * Copy the counters: TLB hits and misses, and callback reads of page
 * tables (by walks and by the map walker).
 * @param x    the context (NULL gives zeros).
 * @param out  receives the counters.
 */
HVS_API void hvs_xlat_get_stats(const hvs_xlat *x, hvs_xlat_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* HVS_XLAT_H */
