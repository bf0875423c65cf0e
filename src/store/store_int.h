/* SPDX-License-Identifier: MIT */
/*
 * Internals of the HyperVStorage reader (src/store/store.c, store_keys.c).
 * docs/format/storage.md describes the container; format.h holds the
 * on-disk constants.  The writer (src/store/writer.c, replay.c) may use the
 * pure parsing helpers declared at the end (headers and replay log), which
 * work on byte buffers and touch no handle.
 */
#ifndef HVS_STORE_INT_H
#define HVS_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hvs/store.h"
#include "store/format.h"
#include "util/util.h"

/* Caps on counts taken from the file (documented in storage.md, "Limits"). */
#define HVS__STORE_MAX_OBJECT_TABLES (1u << 16)
#define HVS__STORE_MAX_KEY_TABLE_SIZE (16u << 20) /* real files: 0x1000 */
#define HVS__STORE_MAX_KEYS 0x7FFFFFF0u            /* indexes are u32 */
#define HVS__STORE_MAX_LOG_ENTRIES (1u << 16)      /* real logs: 145 */

/* One key: a node of the tree.  Names live in the store's arena. */
struct hvs_key {
	hvs_store *st;            /* owning store (for child/name lookups) */
	const char *name;         /* UTF-8, in st->names */
	uint32_t parent;          /* index in st->keys; UINT32_MAX: none */
	uint32_t child_first;     /* first slot in st->children / st->by_name */
	uint32_t child_count;
	uint32_t ordinal;         /* rank among same-name siblings */
	uint8_t name_shared;      /* a sibling has the same name */
	uint8_t type;             /* hvs_key_type */
	uint8_t raw_type;
	uint8_t flags;
	uint16_t table_index;
	uint32_t entry_offset;    /* inside its key table */
	uint64_t file_offset;     /* of the entry */
	uint32_t entry_size;
	uint32_t insertion_seq;
	uint64_t value_size;
	uint64_t value_offset;    /* file offset of the payload */
	uint64_t node_change_seq;
	uint32_t node_next_insertion;
	uint32_t parent_table;    /* ParentNodeTable as read (parse only) */
	uint32_t parent_offset;   /* ParentNodeOffset as read (parse only) */
	uint32_t name_off;        /* offset in the arena (parse only) */
};

/* A replay-log entry applied to the in-memory view. */
typedef struct hvs__overlay {
	uint64_t dest;
	size_t len;
	uint8_t *data;
} hvs__overlay;

/* A live key table found in the object tables. */
typedef struct hvs__ktable {
	uint64_t offset;
	uint32_t size;
	uint16_t index;
	uint16_t sequence;
	int used;                 /* chosen among duplicates of its index */
} hvs__ktable;

struct hvs_store {
	hvs__alloc alloc;
	hvs__err err;
	hvs_source src;
	int own_src;
	uint64_t src_size;        /* size of the source */
	uint64_t view_size;       /* source plus replay overlay */
	hvs__overlay *ovl;
	size_t novl;
	hvs_store_info info;
	hvs_open_reason reason;   /* why open failed, for hvs_open_opts.reason */
	/* Problem sink: lenient mode when set. */
	void (*problem)(void *ud, hvs_status kind, uint64_t offset, const char *msg);
	void *problem_ud;
	uint32_t flags;           /* HVS_OPEN_* */
	/* Key tables in object-table order. */
	hvs__ktable *ktables;
	size_t nktables, ktables_cap;
	/* keys[0] is the virtual root. */
	hvs_key *keys;
	size_t nkeys, keys_cap;
	uint32_t *children;       /* child indexes grouped per parent, by insertion */
	uint32_t *by_name;        /* the same groups sorted by (name, ordinal) */
	char *names;
	size_t names_len, names_cap;
};

/* ---- store.c */

/* Whether view bytes [off, off + len) are the file's own (no overlay). */
int hvs__store_view_is_file(const hvs_store *st, uint64_t off, uint64_t len);

/*
 * Read @len bytes of the view (file + replay overlay) at @off.  Bytes past
 * the end of the source but inside the view read as zero before the
 * overlay applies.  HVS_E_CORRUPT with a message naming @what when the
 * range is outside the view; HVS_E_IO on a source failure.
 */
hvs_status hvs__store_read(hvs_store *st, uint64_t off, void *buf, size_t len,
			   const char *what);

/* Problem levels. */
enum {
	HVS__P_NOTE = 0,   /* unusual but harmless: sink kind HVS_OK */
	HVS__P_DAMAGE = 1, /* damage the reader works around: kind HVS_E_CORRUPT */
	HVS__P_FATAL = 2   /* damage that fails a strict open: kind HVS_E_CORRUPT */
};

/*
 * Report a problem found at file offset @off.  Lenient mode: hand it to
 * the sink (kind HVS_OK for a note, HVS_E_CORRUPT otherwise) and return
 * HVS_OK.  Strict mode: HVS__P_FATAL sets the message and returns
 * HVS_E_CORRUPT; the other levels are dropped (HVS_OK).
 */
hvs_status hvs__store_problem(hvs_store *st, int level, uint64_t off,
			      const char *fmt, ...) HVS__PRINTF(4, 5);

/* ---- store_keys.c */

/* Parse every used key table into st->keys (root at index 0). */
hvs_status hvs__store_load_keys(hvs_store *st);
/* Resolve parents, order children, compute ordinals; drop unreachable keys. */
hvs_status hvs__store_build_tree(hvs_store *st);

/* ---- pure helpers, shared with the writer ---- */

/* A decoded file header (format.md 2.2). */
typedef struct hvs__fheader {
	uint32_t signature;
	uint32_t checksum;
	uint32_t computed;        /* CRC-32 of the 46 bytes, field zeroed */
	uint16_t sequence;
	uint32_t format_version;
	uint32_t data_version;
	uint32_t flags;
	uint32_t alignment;
	uint64_t log_offset;
	uint64_t log_size;
	uint32_t log_header_size;
} hvs__fheader;

/* Decode 46 header bytes (no validation). */
void hvs__store_parse_fheader(hvs__fheader *out, const uint8_t p[HVS_FH_SIZE]);

/* Is sequence @a newer than @b (modulo 2^16: a == b + 1 wins)? */
int hvs__store_seq_newer(uint16_t a, uint16_t b);

/* A decoded replay-log header (format.md 2.3). */
typedef struct hvs__logheader {
	uint32_t signature;
	uint32_t checksum;
	uint32_t computed;
	uint32_t count;
	uint32_t max_entries;
	uint8_t ct_enabled;
	uint64_t ct_offset;
	uint32_t ct_size;
	uint32_t ct_used;
} hvs__logheader;

void hvs__store_parse_logheader(hvs__logheader *out,
				const uint8_t p[HVS_LOG_HEADER_SIZE]);

/* A decoded replay-log entry (format.md 2.3). */
typedef struct hvs__logentry {
	uint64_t dest;
	uint32_t size;
	uint64_t log_off;
	uint32_t checksum;
	uint32_t computed;
	uint32_t data_crc;
} hvs__logentry;

void hvs__store_parse_logentry(hvs__logentry *out, const uint8_t p[HVS_LOGE_SIZE]);

/* What hvs__store_value_len() found (store_keys.c). */
typedef enum hvs__vlen {
	HVS__VLEN_OK,
	HVS__VLEN_NO_LENGTH,   /* a string/array length field does not fit */
	HVS__VLEN_TOO_LONG,    /* the stated length runs past the entry */
	HVS__VLEN_UNKNOWN_TYPE,/* no known value layout */
	HVS__VLEN_NO_ROOM      /* the value (or file-object pointer) does not fit */
} hvs__vlen;
hvs__vlen hvs__store_value_len(uint8_t type, uint8_t flags, const uint8_t *v, uint32_t avail,
			       uint32_t *mlen, uint64_t *vsize);

#endif
