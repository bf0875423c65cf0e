/* SPDX-License-Identifier: MIT */
/*
 * Bulk access to the RAM blocks of a .vmrs image, for the conversion
 * pipeline (src/convert/stream.c), which fetches block values on one
 * thread and decodes token streams on several (hvs__ramblock_decode is a
 * pure function of its buffers), and copies raw blocks with
 * copy_file_range when their bytes are the file's own.
 */
#ifndef HVS_VMRS_BULK_H
#define HVS_VMRS_BULK_H

#include <stdint.h>

#include "hvs/image.h"

enum { HVS__BLK_RAW = 1, HVS__BLK_STREAM = 2 };

typedef struct hvs__blk {
	int kind;          /* HVS__BLK_RAW (1 MiB as is) or HVS__BLK_STREAM */
	uint64_t len;      /* value bytes */
	uint64_t file_off; /* offset of the value in the input file when its
	                      bytes there are the file's own, else UINT64_MAX */
	uint64_t base;     /* file offset of the value (for codec messages) */
} hvs__blk;

/*
 * Describe RAM block @b.  HVS_E_UNSUPPORTED: not a .vmrs image (legacy
 * .bin, ELF, raw); HVS_E_NODATA: block missing; HVS_E_CORRUPT: the key is
 * not an array of at most 1 MiB (message on the image).
 */
hvs_status hvs__ss_block_info(hvs_image *img, uint64_t b, hvs__blk *out);

/* Read the value of block @b (info->len bytes) into @buf.  One thread. */
hvs_status hvs__ss_block_read(hvs_image *img, uint64_t b, uint8_t *buf, size_t len);

#endif
