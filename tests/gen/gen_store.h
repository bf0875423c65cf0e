/* SPDX-License-Identifier: MIT */
/*
 * Test-fixture helpers on top of the HyperVStorage writer
 * (hvs_store_writer_*, docs/format/storage-writing.md): build a container
 * from a compact table of {path, type, value}, and add pending replay-log
 * entries to a container so readers and hvs_store_apply_replay_log() can
 * be tested.
 *
 *   static const gen_key keys[] = {
 *       { "/savedstate/RamMemoryBlock0", GEN_ARRAY, .data = blk, .len = 48 },
 *       { "/configuration/settings/name", GEN_STRING, .s = "vm1" },
 *       { "/metrics/devicetype", GEN_NODE },   // three sibling nodes
 *       { "/metrics/devicetype/id", GEN_UINT, .u = 1 },
 *       { "/metrics/devicetype", GEN_NODE },
 *       { "/metrics/devicetype/id", GEN_UINT, .u = 2 },
 *   };
 *   gen_store_write(path, keys, 6, err, sizeof err);
 *
 * Path rules: "/"-separated from the root.  Every component but the last
 * names a node: the most recently created node of that name under its
 * parent, or a new node when there is none.  The last component always
 * creates a new key, so repeating a path makes same-name siblings.
 */
#ifndef HVS_GEN_STORE_H
#define HVS_GEN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hvs/hvs.h"

typedef enum gen_type {
	GEN_NODE = 0,
	GEN_INT,
	GEN_UINT,
	GEN_DOUBLE,
	GEN_BOOL,    /* value in .i (0 or non-zero) */
	GEN_STRING,  /* UTF-8 in .s */
	GEN_ARRAY,   /* .data / .len; 2048 bytes and more become a file object */
	GEN_ZEROS    /* array of .len zero bytes, streamed (for big values) */
} gen_type;

typedef struct gen_key {
	const char *path;
	gen_type type;
	int64_t i;
	uint64_t u;
	double d;
	const char *s;
	const void *data;
	size_t len;
} gen_key;

/*
 * Write a container at @path holding @keys in order.
 * @param err  receives a message on failure (may be NULL).
 * @return HVS_OK or the writer's status.
 */
hvs_status gen_store_write(const char *path, const gen_key *keys, size_t n,
			   char *err, size_t errsize);

/*
 * Same, returned in memory (malloc'd; free() it).  Goes through a
 * temporary file under the test tmp directory.  NULL on failure (the
 * message is printed to stderr).
 */
uint8_t *gen_store_build(const gen_key *keys, size_t n, size_t *len);

/*
 * Append one pending entry to the replay log of the container in
 * @file/@flen (format.md 2.3): the @len bytes at @data are put into the log
 * data area after the data of the entries already pending, the entry
 * (DestinationOffset @dest) gets both CRCs, and CurrentEntriesCount and
 * the log-header CRC are updated.  The file itself is not otherwise
 * changed, so it now reads as the old state with a pending write.
 * @return HVS_OK; HVS_E_CORRUPT (no valid header/log); HVS_E_BUFSIZE (the
 *         log area or entry table is full).
 */
hvs_status gen_store_log_entry_mem(uint8_t *file, size_t flen, uint64_t dest,
				   const void *data, uint32_t len);

/* gen_store_log_entry_mem() on a file (read, modify, write back). */
hvs_status gen_store_log_entry(const char *path, uint64_t dest,
			       const void *data, uint32_t len);

/*
 * File offset of key table @index (1-based TableIndex) found through the
 * object tables of @file, or 0 when there is none.  For tests that
 * rewrite a key table through the log.
 */
uint64_t gen_store_key_table_offset(const uint8_t *file, size_t flen,
				    uint16_t index);

/*
 * Locate the entry of key @path (names only, no ordinals; first match) in
 * @file: *@off receives the entry's file offset and *@size its
 * SizeInBytes.  Parses the raw key tables itself (no reader).
 * @return HVS_OK or HVS_E_NOTFOUND.
 */
hvs_status gen_store_find_entry(const uint8_t *file, size_t flen,
				const char *path, uint64_t *off, uint32_t *size);

/* Recompute the CRC of the key entry at file offset @off (after a test
 * changed its value bytes).  Slack is excluded as the format says. */
void gen_store_fix_entry_crc(uint8_t *file, size_t flen, uint64_t off);

#endif
