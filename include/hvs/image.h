/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/image.h
 * A guest image: the guest-physical memory and the virtual-processor
 * state of one VM, from any input this library reads:
 *  - a Hyper-V saved state (.vmrs, Windows 10 / Server 2016 and later);
 *  - a legacy .bin (memory) with its .vsv (processor state);
 *  - an ELF core as written by QEMU's dump-guest-memory;
 *  - a raw memory image with a caller-given layout.
 *
 * Memory is a sorted list of guest-physical ranges, each mapped onto the
 * "raw saved memory": every saved byte in saved order, gaps (the MMIO
 * hole) excluded.  Reads are lazy: nothing proportional to guest RAM is
 * allocated at open; compressed blocks are decoded on demand into a
 * bounded cache.
 *
 * Ownership: hvs_image_open() returns a handle released with
 * hvs_image_close(); arrays and strings returned by getters are borrowed
 * until the image is closed.  Thread rules: one thread at a time per
 * image (docs/threading.md).
 */
#ifndef HVS_IMAGE_H
#define HVS_IMAGE_H

#include "common.h"
#include "regs.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open guest image.  Opaque. */
typedef struct hvs_image hvs_image;

/** Input formats. */
typedef enum hvs_image_format {
	HVS_FORMAT_UNKNOWN = 0, /**< detect from the file's first bytes */
	HVS_FORMAT_VMRS,        /**< HyperVStorage saved state (.vmrs) */
	HVS_FORMAT_BIN,         /**< legacy .bin memory (+ .vsv) */
	HVS_FORMAT_ELF,         /**< ELF core (QEMU dump-guest-memory) */
	HVS_FORMAT_RAW          /**< raw memory with a layout */
} hvs_image_format;

/** Short name of a format ("vmrs", "bin", "elf", "raw", "unknown"). */
HVS_API const char *hvs_image_format_name(hvs_image_format f);

/**
 * A guest-physical range: [gpa, gpa + size) holds raw saved memory
 * [raw_offset, raw_offset + size).
 */
typedef struct hvs_mem_range {
	uint64_t gpa;
	uint64_t size;
	uint64_t raw_offset;
} hvs_mem_range;

/** A raw-image extent: [gpa, gpa + size) is at @p file_offset of the file. */
typedef struct hvs_raw_extent {
	uint64_t gpa;
	uint64_t size;
	uint64_t file_offset;
} hvs_raw_extent;

/** Options for hvs_image_open(); zero-initialise. */
typedef struct hvs_image_opts {
	/** Allocator, errbuf, flags and problem sink (see hvs_open_opts). */
	hvs_open_opts base;
	/** Force a format instead of detecting it (required for RAW). */
	hvs_image_format format;
	/**
	 * Legacy .bin: the companion .vsv with the processor state.  NULL
	 * looks for "<name>.vsv" beside the .bin; if none is there the
	 * image has memory only (no VPs).
	 */
	const char *vsv_path;
	/** Raw images: the layout.  NULL: one range from GPA 0 over the file. */
	const hvs_raw_extent *raw_layout;
	size_t raw_layout_count;
	/**
	 * Decoded-block cache limit in memory blocks (1 MiB each).  0 takes
	 * the default, HVS_IMAGE_DEFAULT_CACHE_BLOCKS.
	 */
	uint64_t cache_blocks;
} hvs_image_opts;

/** Default cache limit: 64 blocks (64 MiB). */
#define HVS_IMAGE_DEFAULT_CACHE_BLOCKS 64u

/**
 * Open a guest image from a file.
 * @param out   receives the handle; release with hvs_image_close().
 * @param path  the file (.vmrs, .bin, ELF core, raw image).
 * @param opts  NULL for defaults.
 * @return HVS_OK; HVS_E_IO (cannot open or read; errbuf says why);
 *         HVS_E_UNSUPPORTED (format not recognised, or a saved state this
 *         library cannot read, e.g. encrypted); HVS_E_CORRUPT;
 *         HVS_E_NOTFOUND (a saved-state file without the keys a saved VM
 *         must have: configuration-only file, running VM without memory,
 *         missing partition state — the message says which);
 *         HVS_E_NOMEM.  Failure detail goes to opts->base.errbuf.
 */
HVS_API hvs_status hvs_image_open(hvs_image **out, const char *path,
				  const hvs_image_opts *opts);

/**
 * Open a guest image from a caller's source (borrowed: it must outlive
 * the image).  Legacy .bin images opened this way have no .vsv unless
 * opts->vsv_path is set.
 */
HVS_API hvs_status hvs_image_open_source(hvs_image **out, const hvs_source *src,
					 const hvs_image_opts *opts);

/** Close an image (NULL-safe). */
HVS_API void hvs_image_close(hvs_image *img);

/** Detail of the last failure on this image ("" if none).  Borrowed. */
HVS_API const char *hvs_image_errmsg(const hvs_image *img);

/** Format of the open image. */
HVS_API hvs_image_format hvs_image_get_format(const hvs_image *img);

/**
 * The HyperVStorage container under a .vmrs (or the .vsv of a legacy
 * pair), for key-level access; NULL for other formats.  Borrowed.
 */
HVS_API hvs_store *hvs_image_store(const hvs_image *img);

/* ------------------------------------------------------------ memory -- */

/** Number of guest-physical ranges. */
HVS_API size_t hvs_image_range_count(const hvs_image *img);

/** The ranges, sorted by gpa, non-overlapping.  Borrowed. */
HVS_API const hvs_mem_range *hvs_image_ranges(const hvs_image *img);

/** Total bytes of raw saved memory (the sum of the range sizes). */
HVS_API uint64_t hvs_image_raw_size(const hvs_image *img);

/**
 * Read guest memory.
 * @param space  HVS_SPACE_GPA (guest-physical) or HVS_SPACE_RAW (offset
 *               in the raw saved memory).
 * @param done   receives the bytes read (may be NULL).
 * @return HVS_OK when all @p len bytes were read; HVS_E_NODATA when the
 *         read reaches an address no range covers (a gap, or the end):
 *         *done counts the bytes before it; HVS_E_CORRUPT when a memory
 *         block cannot be decoded; HVS_E_IO; HVS_E_INVALID.
 */
HVS_API hvs_status hvs_image_read(hvs_image *img, hvs_space space, uint64_t addr,
				  void *buf, size_t len, size_t *done);

/**
 * Offset in the raw saved memory of a guest-physical address.
 * @return HVS_OK or HVS_E_NODATA (no range covers @p gpa).
 */
HVS_API hvs_status hvs_image_gpa_to_raw(const hvs_image *img, uint64_t gpa,
					uint64_t *raw);

/**
 * Set how many decoded memory blocks (1 MiB each) the image keeps.
 * 0 drops the cache (one block is still held while it is being read).
 */
HVS_API hvs_status hvs_image_set_cache_limit(hvs_image *img, uint64_t blocks);
/** The cache limit in blocks. */
HVS_API uint64_t hvs_image_cache_limit(const hvs_image *img);

/* ---------------------------------------------------- processor state -- */

/** Use the VP's active (possibly forced) VTL. */
#define HVS_VTL_ACTIVE (-1)
/** Highest VTL number plus one. */
#define HVS_VTL_COUNT 16

/** Partition-wide facts. */
typedef struct hvs_partition_info {
	hvs_arch arch;            /**< architecture of the partition */
	uint32_t vendor;          /**< saved processor vendor: 0 AMD, 1 Intel, 2 Hygon,
	                               0x10 ARM; UINT32_MAX unknown */
	uint32_t vtl_mask;        /**< VTLs enabled on the partition (bit n = VTL n) */
	uint32_t guest_os_id_mask;/**< bit n set: guest_os_id[n] is known */
	uint64_t guest_os_id[HVS_VTL_COUNT]; /**< HV guest OS id per VTL */
	uint32_t vm_version;      /**< saved-state VM version (major << 8 | minor), 0 if none */
	int nested_enabled;       /**< some VP has nested virtualization enabled */
} hvs_partition_info;

/** Facts about one virtual processor. */
typedef struct hvs_vp_info {
	uint32_t index;           /**< VP index as saved (hardware numbering) */
	hvs_arch arch;            /**< architecture (forced, or derived from the registers) */
	uint32_t vtl_mask;        /**< VTLs with register state on this VP */
	uint32_t saved_vtl;       /**< VTL active when the state was saved (best knowledge) */
	uint32_t active_vtl;      /**< VTL register reads use (forced or saved_vtl) */
	int nested_enabled;       /**< nested virtualization enabled on the VP */
	int in_nested_guest;      /**< the VP was running a nested guest */
	int nested_host_mode;     /**< register reads show the nested host state */
} hvs_vp_info;

/** Partition facts. */
HVS_API void hvs_image_partition_info(const hvs_image *img, hvs_partition_info *out);

/** Number of virtual processors (0 for memory-only images). */
HVS_API uint32_t hvs_image_vp_count(const hvs_image *img);

/**
 * Facts about VP @p vp (0 .. hvs_image_vp_count() - 1, in saved order).
 * @return HVS_OK or HVS_E_INVALID (no such VP).
 */
HVS_API hvs_status hvs_image_vp_info(const hvs_image *img, uint32_t vp,
				     hvs_vp_info *out);

/**
 * Read a register.
 * @param vtl  a VTL number, or HVS_VTL_ACTIVE.
 * @return HVS_OK; HVS_E_NOTFOUND (the saved state does not hold it; the
 *         message says so); HVS_E_INVALID (no such VP, VTL or register id,
 *         or a register of the other architecture).
 */
HVS_API hvs_status hvs_image_get_reg(hvs_image *img, uint32_t vp, int vtl,
				     hvs_reg reg, hvs_regval *out);

/**
 * Supply or override a register, e.g. the paging registers of an input
 * that lacks them (a raw image) or a what-if CR3.  Overrides live in the
 * handle only.  Creates the VP's register set for @p vtl if needed.
 * @return HVS_OK, HVS_E_INVALID, HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_image_set_reg(hvs_image *img, uint32_t vp, int vtl,
				     hvs_reg reg, const hvs_regval *val);

/**
 * Add virtual processors to an image that has none (raw images), so that
 * registers can be supplied with hvs_image_set_reg().
 * @return HVS_OK, HVS_E_INVALID (the image already has VPs), HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_image_add_vps(hvs_image *img, uint32_t count, hvs_arch arch);

/**
 * Make register reads on @p vp use VTL @p vtl (ForceActiveVirtualTrustLevel).
 * @return HVS_OK; HVS_E_NOTFOUND when the VP has no state for that VTL.
 */
HVS_API hvs_status hvs_image_set_active_vtl(hvs_image *img, uint32_t vp, uint32_t vtl);

/** Override the architecture of @p vp (HVS_ARCH_UNKNOWN restores detection). */
HVS_API hvs_status hvs_image_set_arch(hvs_image *img, uint32_t vp, hvs_arch arch);

/**
 * Show the nested host state instead of the nested guest state on a VP
 * in nested guest mode (ForceNestedHostMode).
 * @param old  receives the previous setting (may be NULL).
 * @return HVS_OK; HVS_E_NOTFOUND when the VP has no nested host state.
 */
HVS_API hvs_status hvs_image_set_nested_host_mode(hvs_image *img, uint32_t vp,
						  int host, int *old);

/**
 * Whether the VP was executing in kernel mode: CPL 0 on x86/x64 (from
 * the saved CPL, else SS.DPL, else CS.RPL), EL1 or higher on ARM64 (from
 * CPSR bits 3:2).  Uses the active VTL.
 * @return HVS_OK or HVS_E_NOTFOUND (no register to decide from).
 */
HVS_API hvs_status hvs_image_in_kernel(hvs_image *img, uint32_t vp, int *out);

/* --------------------------------------- saved-state structure listing -- */

/** One chunk of the saved processor state, decoded or not. */
typedef struct hvs_state_chunk {
	uint32_t vp;        /**< VP position, or UINT32_MAX for partition-wide */
	uint32_t vtl;       /**< VTL the chunk belongs to */
	uint32_t id;        /**< chunk id as stored */
	uint32_t size;      /**< payload bytes */
	uint64_t offset;    /**< offset of the chunk header in its blob */
	const char *name;   /**< known name, or NULL */
	int decoded;        /**< this library decodes its payload */
} hvs_state_chunk;

/** Number of processor-state chunks listed (0 for non-saved-state inputs). */
HVS_API size_t hvs_image_chunk_count(const hvs_image *img);
/** Chunk @p i, or NULL when out of range.  Borrowed. */
HVS_API const hvs_state_chunk *hvs_image_chunk(const hvs_image *img, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* HVS_IMAGE_H */
