/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the saved-state backends of hvs_image
 * (docs/format/savedstate.md):
 *
 *   savedstate.c  .vmrs backend: probe, open, key layout, open errors;
 *   memory.c      RamMemoryBlock descriptors -> ranges, RamBlock reads,
 *                 the decoded-block cache (also used by legacy.c);
 *   partition.c   the partition_state blob -> VPs, VTLs, registers, chunks;
 *   legacy.c      .bin (+ .vsv) backend.
 *
 * The backend state hangs off img->be.  Key layouts follow format.md 3.1:
 * VM version > 5.0 keeps everything under /savedstate, <= 5.0 uses
 * root-level names such as "RamBlock/3/" (see memory.c for the two ways
 * such a name may be stored).
 */
#ifndef HVS_VMRS_SAVEDSTATE_INT_H
#define HVS_VMRS_SAVEDSTATE_INT_H

#include "codec/codec.h"
#include "mem/image_int.h"
#include "vmrs/legacy_bin.h"
#include "vmrs/psformat.h"

/* Key layout (format.md 3.1). */
enum hvs__ss_layout {
	HVS__SS_LAYOUT_NEW = 0, /* VM version >= 6.0: /savedstate/... */
	HVS__SS_LAYOUT_V5 = 1   /* VM version <= 5.0: /savedVM/..., RamBlock/%llu/ */
};

/* One decoded 1 MiB block held by the cache. */
typedef struct hvs__ss_cent {
	uint64_t block;  /* RAM block number; UINT64_MAX: empty slot */
	uint64_t stamp;  /* last use (LRU) */
	uint8_t *data;   /* HVS__RAMBLOCK_SIZE bytes */
} hvs__ss_cent;

/* Backend state of a .vmrs or .bin image (img->be). */
typedef struct hvs__ss {
	hvs_store *store;        /* the .vmrs, or the .vsv of a .bin (may be NULL) */
	hvs_source vsv_src;      /* .vsv source when the backend opened it */
	int own_vsv_src;
	int layout;              /* enum hvs__ss_layout */
	uint32_t vm_version;     /* (major << 8) | minor, 0 unknown */
	const char *mem_layout;  /* where the GPA layout came from (static) */

	/* RAM blocks of a .vmrs: key of RamBlock n, NULL when missing. */
	const hvs_key **blocks;
	uint64_t nblocks;        /* array length = highest number present + 1 */
	uint64_t blocks_present;
	/* RAM blocks of a legacy .bin. */
	hvs__legacy_bin *bin;

	/* Decoded-block cache (LRU, at most max(limit, 1) entries). */
	hvs__ss_cent *cache;
	size_t ncache;           /* slots allocated */
	size_t cache_cap;        /* slots allowed */
	uint64_t clock;
	uint8_t *inbuf;          /* token stream of one block (< 1 MiB) */
	size_t inbuf_cap;
	/* Stream slot: the token stream of one block (inbuf, or the .bin's buffer). */
	const uint8_t *stream;
	size_t stream_len;
	uint64_t stream_base;    /* file offset of the stream (for messages) */
	uint64_t stream_block;   /* block in the slot, UINT64_MAX none */
	/* Page indexes of compressed blocks, for small reads (memory.c). */
	struct hvs__ss_idx_table *idx_table;
	uint8_t *page;           /* one decoded page */

	/* Statistics (tests, bench, hvs info). */
	size_t peak_cache;       /* most decoded blocks held at once */
	uint64_t decodes;        /* blocks decoded */
	uint64_t raw_reads;      /* reads served straight from raw blocks */
	uint64_t page_decodes;   /* pages decoded alone (small reads) */
} hvs__ss;

/* ------------------------------------------------------------ memory.c */

/* Allocate img->be (zeroed hvs__ss) with the cache limit of img. */
hvs_status hvs__ss_new(hvs_image *img);

/*
 * .vmrs memory: index the RamBlock keys under the layout's parent, read
 * the RamMemoryBlock descriptors (descriptor size by VM version) and add
 * one range per descriptor.  Fails HVS_E_NOTFOUND when RamMemoryBlock0 is
 * missing (running VM), HVS_E_CORRUPT for bad descriptors.
 */
hvs_status hvs__ss_load_memory(hvs_image *img);

/*
 * Read the descriptors of a .vsv (<= 5.0 layout) for a legacy .bin.
 * @return HVS_OK (ranges added), HVS_E_NOTFOUND (no descriptor: the caller
 *         falls back to the identity layout), HVS_E_CORRUPT.
 */
hvs_status hvs__ss_load_descriptors(hvs_image *img, uint64_t nblocks);

/* ops for both backends (read_raw through the cache). */
extern const hvs__image_ops hvs__ss_ops;

/* Cache figures for tests and the benchmark. */
void hvs__ss_cache_stats(const hvs_image *img, size_t *entries, size_t *peak,
			 uint64_t *decodes);

/* Release everything in img->be (the ops' close). */
void hvs__ss_free(hvs_image *img);

/* --------------------------------------------------------- partition.c */

/* Largest partition_state blob read (bytes); larger ones are rejected. */
#define HVS__PS_MAX_BLOB (64u << 20)

/*
 * Decode the partition_state value @k of @st into img: vendor, VTLs,
 * guest OS ids, VPs with per-VTL registers, and the chunk list.
 * @return HVS_OK, HVS_E_CORRUPT (offset in the blob in the message),
 *         HVS_E_NOTFOUND (no VP), HVS_E_UNSUPPORTED (blob too large or
 *         encrypted-looking), HVS_E_IO, HVS_E_NOMEM.
 */
hvs_status hvs__ss_load_partition(hvs_image *img, hvs_store *st, const hvs_key *k);

/* Known name of a chunk id, or NULL. */
const char *hvs__ss_chunk_name(uint32_t id);

/* ------------------------------------------------------- savedstate.c */

/*
 * Find a value key by a <= 5.0 style name with '/' inside ("RamBlock/3/",
 * "savedVM/partition_state"): first as one root child carrying the whole
 * name literally, then as nested keys (trailing '/' ignored).
 */
const hvs_key *hvs__ss_find_v5(hvs_store *st, const char *name);

/* Open the .vsv of a legacy pair (@src) as img's container; reads its version. */
hvs_status hvs__ss_open_vsv(hvs_image *img, const hvs_image_opts *o,
			    const hvs_source *src);

/* partition_state key of the open container (layout chosen by version), or NULL. */
const hvs_key *hvs__ss_vsv_partition(hvs_image *img);

/* Shannon entropy of @n bytes in bits per byte (encrypted-data check). */
double hvs__ss_entropy(const uint8_t *p, size_t n);

#endif
