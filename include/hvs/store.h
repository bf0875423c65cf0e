/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/store.h
 * The HyperVStorage container (.vmrs, .vmcx, .vsv): read its typed key
 * tree, check it, apply its replay log, and write new containers.
 *
 * Format: docs/format/storage.md.  Byte order little-endian throughout.
 *
 * Untrusted input: every header, table, entry and value pointer is bounds-
 * and overflow-checked against the file; checksums are verified; parent
 * loops and object-table chain loops are detected.  Opening costs time and
 * memory in proportion to the number of keys, never to the size of the
 * values: large values ("file objects") are read by range on demand.
 */
#ifndef HVS_STORE_H
#define HVS_STORE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open container.  Opaque; one thread at a time. */
typedef struct hvs_store hvs_store;

/**
 * A key of the tree.  Borrowed from its store: valid until
 * hvs_store_close().  Functions that only look at a key's metadata take
 * the key alone; functions that read its value take the store too.
 */
typedef struct hvs_key hvs_key;

/** Value type of a key (in-memory enum; the on-disk codes differ). */
typedef enum hvs_key_type {
	HVS_KEY_ROOT = 0,   /**< the virtual root (no entry on disk) */
	HVS_KEY_NODE,       /**< interior node; children, no value */
	HVS_KEY_INT,        /**< signed 64-bit */
	HVS_KEY_UINT,       /**< unsigned 64-bit */
	HVS_KEY_DOUBLE,     /**< IEEE-754 binary64 */
	HVS_KEY_STRING,     /**< UTF-16LE on disk, returned as UTF-8 */
	HVS_KEY_ARRAY,      /**< raw bytes */
	HVS_KEY_BOOL,       /**< 32-bit 0/1 */
	HVS_KEY_OTHER       /**< a type code this library does not know */
} hvs_key_type;

/** Name of a key type ("node", "int", ...); static, never NULL. */
HVS_API const char *hvs_key_type_name(hvs_key_type type);

/** What the container header and tables say; filled by hvs_store_get_info(). */
typedef struct hvs_store_info {
	uint32_t format_version;   /**< major * 256 + minor (0x0400 = 4.0) */
	uint32_t data_version;     /**< application-defined */
	uint32_t flags;            /**< header flags */
	uint32_t alignment;        /**< DataAlignmentInBytes */
	uint32_t active_header;    /**< 0 (offset 0) or 1 (offset 0x1000) */
	uint32_t header_sequence;  /**< sequence of the active header */
	uint64_t replay_log_offset;
	uint64_t replay_log_size;
	uint32_t replay_pending;   /**< entries that were pending in the log */
	uint32_t replay_applied;   /**< of those, applied to the in-memory view */
	uint32_t object_table_count;
	uint32_t key_table_count;  /**< live key tables used */
	uint32_t file_object_count;/**< type-3 object-table entries */
	uint64_t entry_count;      /**< key-table entries, Free ones excluded */
	uint64_t key_count;        /**< keys in the tree, the root excluded */
	uint64_t file_size;
} hvs_store_info;

/** Per-key metadata, for `hvs keys` and `hvs dump-structures`. */
typedef struct hvs_key_info {
	hvs_key_type type;
	uint8_t raw_type;          /**< on-disk type code */
	uint8_t flags;             /**< on-disk entry flags (0x01 file object) */
	uint16_t table_index;      /**< TableIndex of the holding key table (0 for the root) */
	uint32_t entry_offset;     /**< byte offset of the entry in its key table */
	uint64_t file_offset;      /**< file offset of the entry */
	uint32_t entry_size;       /**< SizeInBytes, slack included */
	uint32_t insertion_seq;    /**< 1-based order among siblings */
	uint64_t value_size;       /**< bytes of value: 8 for int/uint/double, 4 bool,
	                                string/array payload length, 0 for nodes */
	uint64_t value_offset;     /**< file offset of the value payload */
	int is_file_object;        /**< value lives in a file object */
	uint64_t node_change_seq;  /**< nodes: ChangeTrackingSequence */
	uint32_t node_next_insertion; /**< nodes: NextInsertionSequence */
} hvs_key_info;

/**
 * Open a container.
 * @param out   receives the handle; release with hvs_store_close().
 * @param src   input; borrowed, must outlive the store.
 * @param opts  NULL for defaults.  opts->problem switches to lenient mode:
 *              every problem is reported with its file offset and parsing
 *              goes on where it safely can (the damaged entry, table or
 *              log is skipped).  The sink's kind is HVS_E_CORRUPT for
 *              damage and HVS_OK for notes (unusual but harmless).
 * @return HVS_OK; HVS_E_CORRUPT (damaged); HVS_E_UNSUPPORTED (not a
 *         HyperVStorage container, or an unknown version); HVS_E_IO;
 *         HVS_E_NOMEM.  On failure the message is in opts->errbuf.
 */
HVS_API hvs_status hvs_store_open(hvs_store **out, const hvs_source *src,
				  const hvs_open_opts *opts);

/** Same as hvs_store_open() on a file the store opens and owns. */
HVS_API hvs_status hvs_store_open_file(hvs_store **out, const char *path,
				       const hvs_open_opts *opts);

/** Close a store and everything borrowed from it (NULL-safe). */
HVS_API void hvs_store_close(hvs_store *st);

/** Detail of the last failure on this store ("" if none).  Borrowed. */
HVS_API const char *hvs_store_errmsg(const hvs_store *st);

/** Fill @p out with the container's header and table facts. */
HVS_API void hvs_store_get_info(const hvs_store *st, hvs_store_info *out);

/** The virtual root of the key tree.  Never NULL. */
HVS_API const hvs_key *hvs_store_root(const hvs_store *st);

/**
 * Find a key by path.  Paths are "/"-separated names from the root
 * ("/savedstate/RamBlock0"); a name may carry an ordinal "[n]" (0-based)
 * to pick among siblings with the same name ("metrics/devicetype[2]");
 * without one the first is taken.  "/" is the root.
 * @return HVS_OK, HVS_E_NOTFOUND, or HVS_E_INVALID (malformed path).
 */
HVS_API hvs_status hvs_store_find(hvs_store *st, const char *path,
				  const hvs_key **out);

/** Number of children (0 for non-nodes). */
HVS_API size_t hvs_key_child_count(const hvs_key *k);
/** Child @p i in InsertionSequence order, or NULL when out of range. */
HVS_API const hvs_key *hvs_key_child(const hvs_key *k, size_t i);
/** The @p ordinal-th child named @p name (0-based), or NULL. */
HVS_API const hvs_key *hvs_key_find_child(const hvs_key *k, const char *name,
					  size_t ordinal);
/** Parent, or NULL for the root. */
HVS_API const hvs_key *hvs_key_parent(const hvs_key *k);
/** Name (UTF-8; "" for the root).  Borrowed. */
HVS_API const char *hvs_key_name(const hvs_key *k);
/**
 * 0-based rank of this key among its siblings of the same name: the n
 * of "name[n]" in a path.
 */
HVS_API size_t hvs_key_ordinal(const hvs_key *k);
/** Value type. */
HVS_API hvs_key_type hvs_key_get_type(const hvs_key *k);
/** Value size in bytes (see hvs_key_info.value_size). */
HVS_API uint64_t hvs_key_value_size(const hvs_key *k);
/** Fill @p out with the key's on-disk metadata. */
HVS_API void hvs_key_get_info(const hvs_key *k, hvs_key_info *out);

/**
 * Full path of a key ("/a/b[1]/c"; ordinals only where a sibling shares
 * the name).
 * @param len  receives the length without the NUL (may be NULL).
 * @return HVS_OK or HVS_E_BUFSIZE (then *len is the length needed, minus
 *         the NUL).
 */
HVS_API hvs_status hvs_key_path(const hvs_key *k, char *buf, size_t size,
				size_t *len);

/**
 * Typed getters.  Each fails with HVS_E_INVALID when the key has another
 * type, and HVS_E_CORRUPT/HVS_E_IO when its bytes cannot be read.
 */
HVS_API hvs_status hvs_key_get_int(hvs_store *st, const hvs_key *k, int64_t *out);
HVS_API hvs_status hvs_key_get_uint(hvs_store *st, const hvs_key *k, uint64_t *out);
HVS_API hvs_status hvs_key_get_double(hvs_store *st, const hvs_key *k, double *out);
HVS_API hvs_status hvs_key_get_bool(hvs_store *st, const hvs_key *k, int *out);

/**
 * A string value as UTF-8, NUL-terminated, trailing NULs stripped.
 * Invalid UTF-16 (lone surrogates) becomes U+FFFD.
 * @param len  receives the UTF-8 length without the NUL (may be NULL).
 * @return HVS_OK, HVS_E_BUFSIZE (*len = length needed, minus the NUL),
 *         HVS_E_INVALID (not a string), HVS_E_CORRUPT, HVS_E_IO.
 */
HVS_API hvs_status hvs_key_get_string(hvs_store *st, const hvs_key *k,
				      char *buf, size_t size, size_t *len);

/**
 * Read @p len bytes of a value's payload starting at @p off: the raw
 * bytes of an array, the UTF-16LE bytes of a string, the 8 (or 4) bytes
 * of a number.  Large values are read straight from their file object.
 * @param done  receives the bytes read (may be NULL).
 * @return HVS_OK when all @p len bytes were read; HVS_E_NODATA when the
 *         value ends first (*done tells how much); HVS_E_IO; HVS_E_CORRUPT.
 */
HVS_API hvs_status hvs_key_read(hvs_store *st, const hvs_key *k, uint64_t off,
				void *buf, size_t len, size_t *done);

/**
 * Commit a pending replay log into the file on disk, as
 * ApplyPendingSavedStateFileReplayLog does.  The file is opened read-write
 * and locked exclusively.  Crash-safe: the log entries stay valid until
 * every destination is written and flushed, and only then is the log
 * marked empty, so an interruption at any point leaves a file that reads
 * as either the old or the new state.  A file with nothing pending is not
 * written at all.
 * @param applied  receives the number of entries applied (may be NULL).
 * @return HVS_OK, HVS_E_CORRUPT (bad header, log or entry checksum),
 *         HVS_E_UNSUPPORTED, HVS_E_IO (including "locked by another
 *         process"), HVS_E_NOMEM.  Detail in opts->errbuf.
 */
HVS_API hvs_status hvs_store_apply_replay_log(const char *path,
					      const hvs_open_opts *opts,
					      uint32_t *applied);

/* ------------------------------------------------------------ writer -- */

/** A container being written.  Opaque; one thread at a time. */
typedef struct hvs_store_writer hvs_store_writer;

/** Writer options; zero-initialise.  Zero fields take the defaults. */
typedef struct hvs_store_writer_opts {
	const hvs_allocator *alloc;
	char *errbuf;              /**< receives the message if create fails */
	size_t errbuf_size;
	uint32_t format_version;   /**< 0x0400 (default) or 0x0100 (UTF-16 key
	                                names; for reader tests, not checked
	                                against real 1.0 files) */
	uint32_t data_version;     /**< header DataVersion; default 0 */
} hvs_store_writer_opts;

/** Node id of the root in the writer API. */
#define HVS_WRITER_ROOT 0u

/**
 * Start writing a new container at @p path (created or truncated).
 * Large values are streamed to the file as they are added; only key
 * metadata is kept in memory.
 * @return HVS_OK, HVS_E_IO, HVS_E_NOMEM, HVS_E_INVALID.
 */
HVS_API hvs_status hvs_store_writer_create(hvs_store_writer **out,
					   const char *path,
					   const hvs_store_writer_opts *opts);

/** Detail of the last failure on this writer ("" if none).  Borrowed. */
HVS_API const char *hvs_store_writer_errmsg(const hvs_store_writer *w);

/**
 * Add a node under @p parent (HVS_WRITER_ROOT or an id returned here).
 * Sibling names may repeat (arrays of nodes).
 * @param id_out  receives the new node's id.
 */
HVS_API hvs_status hvs_store_writer_add_node(hvs_store_writer *w, uint32_t parent,
					     const char *name, uint32_t *id_out);
HVS_API hvs_status hvs_store_writer_add_int(hvs_store_writer *w, uint32_t parent,
					    const char *name, int64_t v);
HVS_API hvs_status hvs_store_writer_add_uint(hvs_store_writer *w, uint32_t parent,
					     const char *name, uint64_t v);
HVS_API hvs_status hvs_store_writer_add_double(hvs_store_writer *w, uint32_t parent,
					       const char *name, double v);
HVS_API hvs_status hvs_store_writer_add_bool(hvs_store_writer *w, uint32_t parent,
					     const char *name, int v);
/** Add a string given as UTF-8 (stored as UTF-16LE, no NUL). */
HVS_API hvs_status hvs_store_writer_add_string(hvs_store_writer *w, uint32_t parent,
					       const char *name, const char *utf8);
/** Add an array value held in memory. */
HVS_API hvs_status hvs_store_writer_add_array(hvs_store_writer *w, uint32_t parent,
					      const char *name, const void *data,
					      size_t len);

/**
 * Stream a large array value: begin with its total size, write exactly
 * that many bytes in any number of calls, then end.  Only one value may be
 * streamed at a time; other add calls fail with HVS_E_INVALID meanwhile.
 */
HVS_API hvs_status hvs_store_writer_array_begin(hvs_store_writer *w, uint32_t parent,
						const char *name, uint64_t size);
HVS_API hvs_status hvs_store_writer_array_write(hvs_store_writer *w,
						const void *data, size_t len);
HVS_API hvs_status hvs_store_writer_array_end(hvs_store_writer *w);

/**
 * Write the key tables, object tables, replay log and both headers, and
 * flush.  After this only hvs_store_writer_close() may be called.
 */
HVS_API hvs_status hvs_store_writer_finish(hvs_store_writer *w);

/**
 * Release the writer (NULL-safe).  A writer closed without a successful
 * finish leaves an incomplete file that no reader accepts (its headers
 * are written last).
 */
HVS_API void hvs_store_writer_close(hvs_store_writer *w);

/* ---------------------------------------------------- structure dump -- */

/**
 * One on-disk structure reported by hvs_store_dump(), before its fields.
 * Every pointer is borrowed for the duration of the callback only.
 */
typedef struct hvs_dump_struct {
	/** "file header", "replay log", "replay log entry", "object table",
	 *  "object table entry", "key table" or "key entry". */
	const char *kind;
	uint64_t offset;     /**< file offset of the structure */
	uint64_t size;       /**< bytes it spans (as its pointer or header says) */
	int64_t index;       /**< header copy, log slot, table number, slot in
	                          its object table, TableIndex, entry number */
	int valid;           /**< 1: signature, checksums and bounds are right */
	const char *state;   /**< "current", "pending", "stale", an object or
	                          entry type name, ...; NULL when none applies */
	const char *problem; /**< what is wrong when !valid (else NULL) */
} hvs_dump_struct;

/** Checksum verdict of a field (hvs_dump_field.check). */
typedef enum hvs_dump_check {
	HVS_DUMP_CHECK_NONE = 0, /**< not a checksum field */
	HVS_DUMP_CHECK_OK = 1,   /**< stored value equals the computed one */
	HVS_DUMP_CHECK_BAD = 2,  /**< mismatch: see hvs_dump_field.computed */
	HVS_DUMP_CHECK_UNKNOWN = 3 /**< could not be computed (data missing) */
} hvs_dump_check;

/** One decoded field of the last structure begun.  Borrowed pointers. */
typedef struct hvs_dump_field {
	const char *name;     /**< field name as in docs/format/storage.md */
	uint64_t offset;      /**< offset relative to the structure */
	uint32_t size;        /**< bytes on disk (1, 2, 4 or 8) */
	uint64_t value;       /**< the stored value, zero-extended */
	hvs_dump_check check; /**< for checksum fields: the verdict */
	uint64_t computed;    /**< the computed checksum when check is OK/BAD */
	const char *note;     /**< decoded meaning (type name, key name, ...)
	                           or NULL */
} hvs_dump_field;

/** Callbacks of hvs_store_dump(); @c field may be NULL. */
typedef struct hvs_dump_ops {
	void (*begin)(void *ud, const hvs_dump_struct *s);
	void (*field)(void *ud, const hvs_dump_field *f);
	void *ud;
} hvs_dump_ops;

/** hvs_store_dump() flag: also report every key-table entry header. */
#define HVS_DUMP_KEY_ENTRIES 0x1u

/**
 * Walk the on-disk structures of a container and report each one with
 * every decoded field, independently of the key tree: both file header
 * copies, the replay log header and every non-zero entry slot up to
 * MaximumNumberOfEntries (stale ones included), every object table of the
 * chain with its non-empty entries, every key table header, and with
 * HVS_DUMP_KEY_ENTRIES every key entry header.  For `hvs dump-structures`.
 *
 * This is a diagnostic walk of the bytes on disk: a pending replay log is
 * shown, not applied.  Damage is reported on the structure (valid = 0,
 * problem) and the walk goes on wherever a later structure can still be
 * located; nothing is trusted without a bounds check.
 *
 * @param src    the container; borrowed, not closed.
 * @param opts   allocator and errbuf are used (NULL: defaults).
 * @param flags  HVS_DUMP_* flags.
 * @param ops    callbacks, called in file-structure order.
 * @return HVS_OK (everything valid); HVS_E_CORRUPT when some structure
 *         other than a stale log entry is damaged (the walk still ran to
 *         the end); HVS_E_UNSUPPORTED when neither header copy has the
 *         signature (both are still reported); HVS_E_IO; HVS_E_NOMEM;
 *         HVS_E_INVALID for a NULL argument.
 */
HVS_API hvs_status hvs_store_dump(const hvs_source *src, const hvs_open_opts *opts,
				  uint32_t flags, const hvs_dump_ops *ops);

#ifdef __cplusplus
}
#endif
#endif /* HVS_STORE_H */
