/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/convert.h
 * Convert an open guest image (hvs/image.h) to a file other tools read:
 *  - HVS_CONVERT_RAW:  file offset = guest-physical address, gaps left as
 *    holes, plus a sidecar "<out>.json" with the ranges and every VP's
 *    registers;
 *  - HVS_CONVERT_ELF:  an ELF64 core laid out as QEMU's dump-guest-memory
 *    writes it (PT_NOTE first, one PT_LOAD per range, per-VP notes);
 *  - HVS_CONVERT_DMP:  a Windows kernel crash dump (PAGEDU64), full or
 *    bitmap;
 *  - HVS_CONVERT_VMRS: a Hyper-V saved state (.vmrs).
 * Exact layouts: docs/convert.md.
 *
 * Safety: the output is written to a temporary file in the directory of
 * @p out_path and renamed onto it only when everything succeeded.  On any
 * failure (damaged input, full disk, file-size limit, cancellation) no
 * output and no temporary file is left.  An existing @p out_path is
 * refused (HVS_E_INVALID) unless HVS_CONVERT_FORCE is set.  The image is
 * only read.
 *
 * Memory: the conversion streams; its memory use is bounded by a few
 * buffers per decoding worker plus the image's block cache, whatever the
 * guest size.
 *
 * Thread rules: hvs_convert() uses the image exclusively while it runs
 * (it may run decoding workers on other threads internally); the progress
 * callback is called on the calling thread.
 */
#ifndef HVS_CONVERT_H
#define HVS_CONVERT_H

#include "common.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Output formats. */
typedef enum hvs_convert_format {
	HVS_CONVERT_RAW = 0,  /**< flat guest-physical image + OUT.json */
	HVS_CONVERT_ELF = 1,  /**< ELF64 core (QEMU dump-guest-memory layout) */
	HVS_CONVERT_DMP = 2,  /**< Windows kernel crash dump (PAGEDU64) */
	HVS_CONVERT_VMRS = 3  /**< Hyper-V saved state */
} hvs_convert_format;

/** Name of a format ("raw", "elf", "dmp", "vmrs"), or NULL if invalid. */
HVS_API const char *hvs_convert_format_name(hvs_convert_format f);

/**
 * Format from its name ("raw", "elf", "dmp", "vmrs").
 * @return HVS_OK or HVS_E_INVALID.
 */
HVS_API hvs_status hvs_convert_format_lookup(const char *name,
					     hvs_convert_format *out);

/** Replace an existing output file. */
#define HVS_CONVERT_FORCE 0x1u

/** Crash-dump types (the header's DumpType). */
#define HVS_CONVERT_DMP_FULL 1   /**< full dump: physical-memory runs */
#define HVS_CONVERT_DMP_BITMAP 5 /**< bitmap dump: a page bitmap */

/**
 * Progress callback: @p done of @p total guest-memory bytes are written.
 * Called after every piece of guest memory written (1 to 64 MiB) and at
 * the end, on the calling thread; cheap callers need no rate limit of
 * their own beyond what they draw.  Return non-zero
 * to cancel: hvs_convert() then fails with HVS_E_CANCELED removing the
 * partial output.
 */
typedef int (*hvs_convert_progress_fn)(void *ud, uint64_t done, uint64_t total);

/** Options for hvs_convert(); zero-initialise. */
typedef struct hvs_convert_opts {
	/** HVS_CONVERT_* flags. */
	uint32_t flags;
	/** Crash dumps: HVS_CONVERT_DMP_FULL (0 means full) or _BITMAP. */
	int dmp_type;
	/** Progress and cancellation; may be NULL. */
	hvs_convert_progress_fn progress;
	void *progress_ud;
	/**
	 * Decoding workers for compressed inputs; 0 takes one per online
	 * CPU (capped at 64).  1 decodes on the calling thread.
	 */
	unsigned workers;
	/** Allocator for the conversion's buffers; NULL for malloc. */
	const hvs_allocator *alloc;
} hvs_convert_opts;

/**
 * Status returned when the progress callback cancelled the conversion.
 * Not an hvs_status enumerator so that existing switch statements stay
 * exhaustive; hvs_convert_strerror() names it.
 */
#define HVS_E_CANCELED ((hvs_status)-100)

/** A field a writer could not derive, and why.  Strings borrowed. */
typedef struct hvs_convert_underived {
	const char *field;  /**< e.g. "KdDebuggerDataBlock" */
	const char *why;    /**< e.g. "no KDBG tag found in kernel memory" */
} hvs_convert_underived;

/** A named value the writer recorded (e.g. "kernel_cr3"). */
typedef struct hvs_convert_note {
	const char *name;
	uint64_t value;
} hvs_convert_note;

/**
 * What a conversion did.  Returned by hvs_convert() through @p out; free
 * with hvs_convert_result_free().  All pointers inside are owned by the
 * result.
 */
typedef struct hvs_convert_result {
	hvs_convert_format format;
	uint64_t ranges;          /**< guest-physical ranges written */
	uint64_t pages;           /**< 4 KiB guest pages written */
	uint64_t memory_bytes;    /**< guest-memory bytes written */
	uint64_t bytes_written;   /**< bytes written to the output (data only; holes excluded) */
	uint64_t file_size;       /**< size of the output file */
	double seconds;           /**< wall-clock time of the conversion */
	unsigned workers;         /**< decoding workers used */
	size_t underived_count;
	const hvs_convert_underived *underived;
	size_t note_count;
	const hvs_convert_note *notes;
	/** Sidecar written beside a raw output ("<out>.json"), or NULL. */
	const char *sidecar_path;
	/** Error message when hvs_convert() failed ("" otherwise). */
	char errmsg[HVS_ERRMSG_MAX];
} hvs_convert_result;

/**
 * Convert @p img to @p out_path in format @p fmt.
 * @param img       the image (used exclusively during the call; not changed
 *                  except for its block cache).
 * @param out_path  the output file; the temporary file is created beside it.
 * @param opts      NULL for defaults.
 * @param out       receives a result (also on failure, with errmsg set)
 *                  to release with hvs_convert_result_free(); may be NULL.
 * @return HVS_OK; HVS_E_INVALID (bad option, or @p out_path exists and
 *         HVS_CONVERT_FORCE is not set); HVS_E_IO (the output cannot be
 *         written: full disk, file-size limit, permissions; the message
 *         names the file and errno); HVS_E_CORRUPT (input damage found
 *         while reading memory; the message names the block);
 *         HVS_E_UNSUPPORTED (a format this build cannot write, e.g. no
 *         crash-dump writer); HVS_E_NOMEM; HVS_E_CANCELED.
 */
HVS_API hvs_status hvs_convert(hvs_image *img, const char *out_path,
			       hvs_convert_format fmt,
			       const hvs_convert_opts *opts,
			       hvs_convert_result **out);

/** Release a result (NULL-safe). */
HVS_API void hvs_convert_result_free(hvs_convert_result *r);

/** hvs_strerror() that also names HVS_E_CANCELED ("canceled"). */
HVS_API const char *hvs_convert_strerror(hvs_status st);

#ifdef __cplusplus
}
#endif
#endif /* HVS_CONVERT_H */
