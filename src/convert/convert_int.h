/* SPDX-License-Identifier: MIT */
/*
 * Internal contract between the conversion pipeline (src/convert/convert.c,
 * which owns the output file, progress, cancellation and the streaming of
 * guest memory) and the per-format writers (raw.c, elf.c, dmp.c, vmrs.c).
 *
 * A format writer is a function hvs__convert_<fmt>(struct hvs__cvt *c).  It
 * lays out its file with hvs__cvt_write() (headers, notes, tables: small,
 * any offset) and hvs__cvt_copy_gpa() (guest memory: large, streamed in
 * order, decoded on all cores, progress reported, patches applied), and
 * records in the summary what it could not derive.
 */
#ifndef HVS_CONVERT_INT_H
#define HVS_CONVERT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hvs/image.h"

struct hvs__cvt;

/** The image being converted (borrowed; the pipeline owns nothing of it). */
hvs_image *hvs__cvt_image(struct hvs__cvt *c);

/**
 * Write @p len bytes at output offset @p off.  For headers and metadata;
 * regions never written stay holes (sparse) in formats that allow them.
 * Returns HVS_OK, HVS_E_IO (message names the output and errno), or the
 * cancellation status.
 */
hvs_status hvs__cvt_write(struct hvs__cvt *c, uint64_t off, const void *buf, size_t len);

/**
 * Stream guest-physical [gpa, gpa + len) to output offset @p out_off, in
 * large writes, applying every registered patch that overlaps it and
 * advancing the progress counter.  [gpa, gpa + len) must lie inside one
 * range of hvs_image_ranges().  Returns HVS_OK, HVS_E_IO, HVS_E_CORRUPT
 * (input damage, message names the block), HVS_E_NOMEM, or the
 * cancellation status.
 */
hvs_status hvs__cvt_copy_gpa(struct hvs__cvt *c, uint64_t gpa, uint64_t len, uint64_t out_off);

/**
 * Register bytes that replace guest memory at @p gpa in the output only
 * (never in the input): e.g. a decoded KDBG or a VP's CONTEXT written at
 * KiProcessorBlock[i] + OffsetPrcbContext.  Copied; must be registered
 * before the hvs__cvt_copy_gpa() call that covers them.
 */
hvs_status hvs__cvt_add_patch(struct hvs__cvt *c, uint64_t gpa, const void *buf, size_t len);

/**
 * Record, for the summary, a field the writer could not derive and why
 * (e.g. "KdDebuggerDataBlock", "no KDBG tag found in kernel memory").
 */
void hvs__cvt_underived(struct hvs__cvt *c, const char *field, const char *why);

/** Record a named value for the summary (e.g. "kernel_cr3", 0x1aa000). */
void hvs__cvt_note(struct hvs__cvt *c, const char *name, uint64_t value);

/** Set the error message of the conversion; returns @p st (hvs_err style). */
hvs_status hvs__cvt_err(struct hvs__cvt *c, hvs_status st, const char *fmt, ...);

/** The DumpType asked for: 1 full, 5 bitmap (dmp writer only). */
int hvs__cvt_dmp_type(const struct hvs__cvt *c);

/** The per-format writers. */
hvs_status hvs__convert_raw(struct hvs__cvt *c);
hvs_status hvs__convert_elf(struct hvs__cvt *c);
hvs_status hvs__convert_dmp(struct hvs__cvt *c);
hvs_status hvs__convert_vmrs(struct hvs__cvt *c);

#endif
