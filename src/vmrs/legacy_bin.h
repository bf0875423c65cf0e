/* SPDX-License-Identifier: MIT */
/*
 * Legacy saved-memory container (`<GUID>.bin`, Server 2012 R2 era;
 * format.md 8, docs/format/legacy-bin.md): a 4 KiB header, blobs, an
 * index of 24-byte entries and a table of NUL-terminated names.  Each blob
 * named `RamBlock/<n>/` is RAM block n (1 MiB of the RAM sequence, pages
 * [n*256, n*256+256)) encoded as a RamBlock token stream (format.md 4.1).
 *
 * Internal module: the image layer (src/mem, src/vmrs) wires it in.
 * Untrusted input: the header, every index entry and every name are
 * checked at open (bounds, overlaps, duplicate block numbers, malformed
 * names, counts capped by the limits below); block contents are checked
 * when decoded.  Opening reads the index and name table only (memory in
 * proportion to the index capacity, at most 24 MiB); decoding a block
 * reads its stream into a buffer kept on the handle.
 */
#ifndef HVS_VMRS_LEGACY_BIN_H
#define HVS_VMRS_LEGACY_BIN_H

#include <stddef.h>
#include <stdint.h>

#include "codec/codec.h"
#include "hvs/common.h"
#include "util/util.h"

/* On-disk constants (format.md 8).  File values: never renumber. */
#define HVS__LBIN_MAGIC 0x02182003u
enum {
	HVS__LBIN_OFF_MAGIC = 0x00,       /* u32 0x02182003 */
	HVS__LBIN_OFF_VERSION = 0x04,     /* u32 0x0500 in the sample */
	HVS__LBIN_OFF_UNKNOWN08 = 0x08,   /* u32, 1 in the sample, meaning unknown */
	HVS__LBIN_OFF_INDEX_CAP = 0x0C,   /* u32 index capacity (entries) */
	HVS__LBIN_OFF_INDEX_OFF = 0x10,   /* u64 index file offset */
	HVS__LBIN_OFF_NAMES_OFF = 0x18,   /* u64 name-table file offset */
	HVS__LBIN_OFF_NAMES_CAP = 0x20,   /* u32 name-table capacity (bytes) */
	HVS__LBIN_OFF_NAMES_USED = 0x24,  /* u32 name-table bytes used */
	HVS__LBIN_HEADER_LEN = 0x28,      /* bytes of header that carry fields */
	HVS__LBIN_HEADER_AREA = 0x1000    /* the header's 4 KiB; blobs follow */
};
/* Index entry, 24 bytes (format.md 8). */
enum {
	HVS__LBIN_E_NAME_OFF = 0x00,   /* u32 offset into the name table */
	HVS__LBIN_E_NAME_LEN = 0x04,   /* u16 name length incl. NUL */
	HVS__LBIN_E_UNKNOWN6 = 0x06,   /* u8, 1 in the sample */
	HVS__LBIN_E_UNKNOWN7 = 0x07,   /* u8, 1 in the sample */
	HVS__LBIN_E_ALLOC = 0x08,      /* u32 allocated size (4 KiB multiple seen) */
	HVS__LBIN_E_DATA = 0x0C,       /* u32 data size (token stream bytes) */
	HVS__LBIN_E_FILE_OFF = 0x10,   /* u64 blob file offset */
	HVS__LBIN_E_SIZE = 24
};

/* Documented limits (docs/format/legacy-bin.md "Limits"). */
#define HVS__LBIN_MAX_ENTRIES (1u << 20)     /* 1 TiB of RAM in 1 MiB blocks */
#define HVS__LBIN_MAX_NAMES (16u << 20)      /* name table bytes */
#define HVS__LBIN_MAX_STREAM (16u << 20)     /* one blob's token stream */
#define HVS__LBIN_MAX_BLOCK ((1u << 22) - 1) /* largest block number n */
#define HVS__LBIN_MAX_NAME 256u              /* name length incl. NUL */

/* One RamBlock blob. */
typedef struct hvs__lbin_block {
	uint32_t n;          /* block number from the name */
	uint32_t entry;      /* index slot */
	uint32_t data_size;  /* token stream bytes */
	uint32_t alloc_size; /* bytes reserved in the file */
	uint64_t off;        /* file offset of the stream */
} hvs__lbin_block;

/* An open .bin (one thread at a time). */
typedef struct hvs__legacy_bin {
	hvs_source src;        /* borrowed: never closed here */
	hvs__alloc alloc;
	hvs__err err;          /* message of the last failed call */
	uint64_t file_size;
	uint32_t version;
	uint32_t unknown08;
	uint32_t index_cap;
	uint64_t index_off;
	uint64_t names_off;
	uint32_t names_cap;
	uint32_t names_used;
	uint32_t used_entries; /* non-zero index slots (all names) */
	hvs__lbin_block *blocks; /* sorted by n, no duplicates */
	size_t nblocks;
	uint32_t max_data;     /* largest data_size among blocks */
	uint8_t *buf;          /* stream buffer (max_data bytes), lazily made */
} hvs__legacy_bin;

/* Does @head (the first @n bytes of a file) start with the .bin magic? */
int hvs__legacy_bin_probe(const uint8_t *head, size_t n);

/*
 * Parse the header, index and name table of a .bin read through @src.
 * @param out  receives the handle; release with hvs__legacy_bin_close().
 * @param src  copied; must stay open while the handle is used.
 * @param o    allocator, errbuf (message on failure) and problem sink
 *             (non-fatal findings: blobs with names other than RamBlock);
 *             NULL for defaults.
 * @return HVS_OK, HVS_E_CORRUPT, HVS_E_UNSUPPORTED (magic right, version
 *         major not 5), HVS_E_IO or HVS_E_NOMEM.
 */
hvs_status hvs__legacy_bin_open(hvs__legacy_bin **out, const hvs_source *src,
				const hvs_open_opts *o);

/* Release a handle (NULL-safe); the source is not closed. */
void hvs__legacy_bin_close(hvs__legacy_bin *b);

/* The blob of block @n, or NULL.  Borrowed from @b. */
const hvs__lbin_block *hvs__legacy_bin_find(const hvs__legacy_bin *b,
					    uint32_t n);

/* Raw saved-memory size: number of RamBlocks x 1 MiB. */
uint64_t hvs__legacy_bin_raw_size(const hvs__legacy_bin *b);

/*
 * Read the token stream of block @n into the handle's buffer.
 * @param data  receives a pointer valid until the next call on @b.
 * @param len   receives its length.
 * @return HVS_OK, HVS_E_NOTFOUND (no such block), HVS_E_IO, HVS_E_CORRUPT
 *         (the file shrank) or HVS_E_NOMEM; message in b->err.
 */
hvs_status hvs__legacy_bin_stream(hvs__legacy_bin *b, uint32_t n,
				  const uint8_t **data, size_t *len);

/*
 * Decode block @n into @out (HVS__RAMBLOCK_SIZE bytes).
 * @param stats  optional token counts of the block.
 * @return as hvs__legacy_bin_stream(), plus HVS_E_CORRUPT for a bad stream
 *         (message names the block and the file offset).
 */
hvs_status hvs__legacy_bin_read_block(hvs__legacy_bin *b, uint32_t n,
				      uint8_t *out, hvs__ramblock_stats *stats);

#endif
