/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the container writer (writer.c), the replay-log
 * apply (replay.c) and their tests.  Layout choices of the writer are
 * documented in docs/format/storage-writing.md.
 */
#ifndef HVS_STORE_WRITER_INT_H
#define HVS_STORE_WRITER_INT_H

#include <stdint.h>

#include "hvs/store.h"

/*
 * Where the writer puts the fixed structures.  The two header copies and
 * the root object table are fixed by the format (format.md 2.1); the
 * replay log follows them.  Its area is 0x4000 bytes as in the test.VMRS
 * sample: a 0x1000-byte header area (34-byte header + room for 145
 * entries, format.md 2.3) and 0x3000 bytes where a later writer (or a
 * test) can put logged data.  File objects start after it.
 */
#define HVS_WRITER_ALIGNMENT 0x1000u
#define HVS_WRITER_LOG_OFFSET 0x3000u
#define HVS_WRITER_LOG_SIZE 0x4000u
#define HVS_WRITER_LOG_HEADER_SIZE 0x1000u
#define HVS_WRITER_DATA_START (HVS_WRITER_LOG_OFFSET + HVS_WRITER_LOG_SIZE)
/* Sequences of the header copies: they must differ (format.md 2.2). */
#define HVS_WRITER_SEQ_COPY0 2u
#define HVS_WRITER_SEQ_COPY1 1u
/* Object-table entries per 4 KiB table and how many of them hold objects
 * (the last slot is the chain link, format.md 2.4). */
#define HVS_WRITER_OT_ENTRIES 227u
#define HVS_WRITER_OT_USABLE 226u
/* Largest value the writer accepts: a file object's size field is u32 and
 * its object-table allocation (u32 too) is rounded up to 0x1000. */
#define HVS_WRITER_VALUE_MAX 0xFFFFF000u

/*
 * hvs_store_apply_replay_log() with a test hook: stop after @max_writes
 * write calls (UINT32_MAX: never), as if the process had died there, and
 * copy logged data in pieces of @chunk bytes (0: the default), so that a
 * test can interrupt the apply inside an entry, between entries, and
 * before or after the final log-header rewrite.  Returns HVS_OK when it
 * ran to the end or was stopped by the hook (*@writes_done tells which;
 * may be NULL).
 */
hvs_status hvs__store_apply_replay_log_steps(const char *path,
					     const hvs_open_opts *opts,
					     uint32_t *applied,
					     uint32_t max_writes, size_t chunk,
					     uint32_t *writes_done);

#endif
