/* SPDX-License-Identifier: MIT */
/*
 * Private state of the conversion pipeline, shared by convert.c (files,
 * summary, patches), stream.c (memory streaming, parallel decoding, the
 * copy_file_range fast path) and the writers that need more than
 * convert_int.h (the vmrs writer's sink, the raw writer's sidecar).
 * The per-format writers of other engineers use convert_int.h only.
 */
#ifndef HVS_CONVERT_CVT_PRIV_H
#define HVS_CONVERT_CVT_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "convert/convert_int.h"
#include "hvs/convert.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/platform.h"

typedef struct hvs__cvt_patch {
	uint64_t gpa;
	size_t len;
	unsigned char *data;
} hvs__cvt_patch;

struct hvs__cvt_mt; /* stream.c */

struct hvs__cvt {
	hvs_image *img;
	hvs__alloc alloc;
	hvs_convert_opts opts;
	hvs_convert_result *res;
	const char *out_path;
	char *tmp_path;            /* output temp file (owned) */
	hvs__fh fh;                /* on tmp_path, or HVS__FH_NONE */
	int replacing;             /* OUT existed (force) */
	char *side_path;           /* "<out><suffix>" (owned) */
	char *side_tmp;            /* its temp file (owned) */
	int dmp_type;
	hvs__err err;
	int err_set;
	/* progress */
	uint64_t done, total;
	/* summary counters */
	uint64_t bytes_written, mem_bytes, file_end, file_size_req, ranges_written;
	unsigned workers;
	hvs_convert_underived *underived;
	size_t underived_cap;
	hvs_convert_note *notes;
	size_t notes_cap;
	hvs__cvt_patch *patches;
	size_t npatches, patch_cap;
	struct hvs__cvt_mt *mt;
};

/* The public result plus the allocator that frees it. */
typedef struct hvs_convert_result_priv {
	hvs_convert_result pub; /* first: the public pointer is this struct's */
	hvs__alloc alloc;
} hvs_convert_result_priv;

/*
 * A consumer of streamed guest memory: @p len bytes of guest-physical
 * memory starting at @p gpa, patches already applied.  The buffer is
 * borrowed for the call.
 */
typedef hvs_status (*hvs__cvt_sink)(struct hvs__cvt *c, void *ud, uint64_t gpa,
				    const unsigned char *buf, size_t len);

/* The output-file sink: guest byte @p gpa goes to out_off + (gpa - gpa0).
 * The parallel stream recognises it and gathers slots into one pwritev. */
typedef struct hvs__cvt_file_sink {
	uint64_t out_off, gpa0;
} hvs__cvt_file_sink;
hvs_status hvs__cvt_sink_file(struct hvs__cvt *c, void *ud, uint64_t gpa,
			      const unsigned char *buf, size_t len);

/* Stream [gpa, gpa + len) (inside one range) to @p sink, in order. */
hvs_status hvs__cvt_stream_gpa(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
			       hvs__cvt_sink sink, void *ud);

/* The contract's error setter, with printf checking. */
hvs_status hvs__cvt_err(struct hvs__cvt *c, hvs_status st, const char *fmt, ...)
	HVS__PRINTF(3, 4);

/* Set the output file's final size (trailing holes); never shrinks. */
hvs_status hvs__cvt_set_size(struct hvs__cvt *c, uint64_t size);

/* Write "<out><suffix>" (e.g. ".json") through its own temp file, renamed
 * together with the output. */
hvs_status hvs__cvt_sidecar(struct hvs__cvt *c, const char *suffix, const void *buf, size_t len);

/* Count a written memory range for the summary. */
void hvs__cvt_range_done(struct hvs__cvt *c);

/* The temporary output path (for writers that open it themselves). */
const char *hvs__cvt_tmp_path(const struct hvs__cvt *c);
const char *hvs__cvt_out_path(const struct hvs__cvt *c);
const hvs__alloc *hvs__cvt_alloc(const struct hvs__cvt *c);

/* Ask the progress callback; HVS_E_CANCELED when it says stop. */
hvs_status hvs__cvt_cancelled(struct hvs__cvt *c);
/* Add @n bytes to the progress counter (and ask about cancellation). */
hvs_status hvs__cvt_progress(struct hvs__cvt *c, uint64_t n);
/* Grow the progress total (writers that copy memory twice). */
void hvs__cvt_add_total(struct hvs__cvt *c, uint64_t bytes);

/* Patches over [gpa, gpa + len) of @buf. */
void hvs__cvt_apply_patches(struct hvs__cvt *c, uint64_t gpa, unsigned char *buf, size_t len);

/* stream.c */
hvs_status hvs__cvt_mt_init(struct hvs__cvt *c);
void hvs__cvt_mt_free(struct hvs__cvt *c);
hvs_status hvs__cvt_stream_impl(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
				hvs__cvt_sink sink, void *ud);
/* copy_file_range fast path; HVS_E_UNSUPPORTED when it does not apply. */
hvs_status hvs__cvt_copy_direct(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
				uint64_t out_off);

/* Chunk of guest memory handled at a time by the stream (bytes). */
#define HVS__CVT_CHUNK ((size_t)8 << 20)

#endif
