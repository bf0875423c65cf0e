/* SPDX-License-Identifier: MIT */
/*
 * HyperVStorage container writer (format 4.0).
 *
 * Writes files that follow every writer rule of format.md 2.10 (the rules
 * openvmm's hvs_file writer was cross-validated with against Microsoft's
 * VmSavedStateDumpProvider.dll).  Layout and the reasons for it are in
 * docs/format/storage-writing.md:
 *
 *   0x0000  header copy 0 (sequence 2)      written last
 *   0x1000  header copy 1 (sequence 1)      written last
 *   0x2000  root object table (227 slots)   written at finish
 *   0x3000  replay log area, 0x4000 bytes   empty log header at finish
 *   0x7000  file objects, appended as the caller adds large values
 *   ...     key tables, then chained object tables, appended at finish
 *
 * Only key metadata (names, small values, placement) is kept in memory:
 * large values go straight to the file, so a container of many gigabytes
 * is written with memory proportional to the number of keys.  The headers
 * are written after everything else has been flushed, so a file whose
 * writer died half-way has no valid header and no reader accepts it.
 */
#include <string.h>

#include "store/format.h"
#include "store/writer_int.h"
#include "util/platform.h"
#include "util/util.h"

/* One key as the writer remembers it until finish. */
typedef struct wkey {
	uint64_t fo_offset;  /* file objects: absolute offset of the data */
	size_t arena_off;    /* name + NUL, then inline value bytes */
	uint32_t value_len;  /* inline value bytes; file objects: data size */
	uint32_t parent;     /* writer id of the parent (0 = root) */
	uint32_t seq;        /* InsertionSequence (1-based per parent) */
	uint32_t next_seq;   /* nodes: InsertionSequence of the next child */
	uint32_t kt_off;     /* placement: offset inside its key table */
	uint16_t kt_index;   /* placement: TableIndex (from 1) */
	uint8_t type;        /* on-disk type code (HVS_KE_*) */
	uint8_t flags;       /* on-disk entry flags */
	uint8_t name_size;   /* NameSizeInSymbols: symbols including the NUL */
	uint16_t name_bytes; /* bytes of the name on disk, NUL included */
} wkey;

struct hvs_store_writer {
	hvs__alloc alloc;
	hvs__err err;
	hvs__fh fh;          /* through the platform layer (src/util/platform.h) */
	uint32_t data_version;
	uint32_t format_version;
	int utf16_names;     /* format 1.0: names are UTF-16LE (format.md 2.2) */
	wkey *keys;          /* id = index + 1 */
	size_t nkeys, capkeys;
	uint8_t *arena;      /* names and small values */
	size_t narena, caparena;
	uint32_t root_next_seq;
	uint64_t data_end;   /* where the next file object goes */
	uint32_t nfileobj;
	/* Streaming state of array_begin/write/end. */
	int streaming;
	uint32_t stream_key; /* index into keys */
	uint64_t stream_size, stream_done;
	hvs_status failed;   /* sticky I/O failure */
	int finished;
};

/* ------------------------------------------------------------ file I/O */

/* Write @len bytes at @off, all or nothing (the platform layer loops over
 * short writes). */
static hvs_status wr_at(hvs_store_writer *w, uint64_t off, const void *buf,
			size_t len)
{
	char why[256];
	int e = hvs__file_pwrite(w->fh, buf, len, off);
	if (e)
		return w->failed = hvs__err_set(&w->err, HVS_E_IO,
			"write of %zu bytes at file offset 0x%" PRIx64 ": %s",
			len, off, hvs__os_strerror(e, why, sizeof why));
	return HVS_OK;
}

/* Push everything written so far to stable storage. */
static hvs_status wr_sync(hvs_store_writer *w)
{
	char why[256];
	int e = hvs__file_sync(w->fh);
	if (e)
		return w->failed = hvs__err_set(&w->err, HVS_E_IO, "fsync: %s",
						hvs__os_strerror(e, why, sizeof why));
	return HVS_OK;
}

/* Write @len zero bytes at @off (alignment padding of file objects). */
static hvs_status wr_zero(hvs_store_writer *w, uint64_t off, size_t len)
{
	static const uint8_t zero[512];
	while (len) {
		size_t n = HVS__MIN(len, sizeof zero);
		HVS_TRY(wr_at(w, off, zero, n));
		off += n;
		len -= n;
	}
	return HVS_OK;
}

/* ---------------------------------------------------------- API checks */

/* Common preconditions of every add call.  Returns HVS_OK or the error. */
static hvs_status check_usable(hvs_store_writer *w)
{
	if (w->finished)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "writer already finished");
	if (w->failed != HVS_OK)
		return hvs__err_set(&w->err, w->failed,
				    "writer failed earlier; cannot continue");
	if (w->streaming)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "a streamed array value is still open "
				    "(call hvs_store_writer_array_end first)");
	return HVS_OK;
}

/*
 * Create a key under @parent: validate the name, reserve arena room for
 * the name plus @inline_len value bytes, and assign the InsertionSequence.
 * On success *@idx is the new key's index (id - 1) and *@val points at the
 * @inline_len bytes to fill.  On failure nothing is changed.
 */
static hvs_status new_key(hvs_store_writer *w, uint32_t parent, const char *name,
			  uint8_t type, size_t inline_len, uint32_t *idx,
			  uint8_t **val)
{
	size_t nlen, need, n16, nsym, nbytes;
	uint32_t *pseq;
	wkey *k;

	if (!name)
		return hvs__err_set(&w->err, HVS_E_INVALID, "key name is NULL");
	nlen = strlen(name);
	/* Format 1.1+ stores names as UTF-8; refuse what a reader cannot
	 * decode rather than write an unreadable file. */
	n16 = hvs__utf8_to_utf16le(name, NULL, 0);
	if (n16 == (size_t)-1)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "key name \"%.40s\" is not valid UTF-8", name);
	/* NameSizeInSymbols is a u8 counting the NUL (format.md 2.6):
	 * bytes since 1.1, UTF-16 code units in 1.0. */
	nsym = w->utf16_names ? n16 / 2 + 1 : nlen + 1;
	nbytes = w->utf16_names ? nsym * 2 : nsym;
	if (nlen == 0 || nsym > 255)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "key name \"%.40s%s\": %zu %s; names must be "
				    "1..254 %s", name, nlen > 40 ? "..." : "",
				    nsym - 1, w->utf16_names ? "UTF-16 units" : "bytes",
				    w->utf16_names ? "UTF-16 units" : "bytes of UTF-8");
	if (parent != HVS_WRITER_ROOT &&
	    (parent > w->nkeys || w->keys[parent - 1].type != HVS_KE_NODE))
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "parent id %u is not a node of this writer",
				    parent);
	if ((parent == HVS_WRITER_ROOT ? w->root_next_seq
				       : w->keys[parent - 1].next_seq) == UINT32_MAX)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "too many children under node %u", parent);
	if (w->nkeys >= UINT32_MAX - 1)
		return hvs__err_set(&w->err, HVS_E_INVALID, "too many keys");
	if (hvs__add_size(nbytes, inline_len, &need) ||
	    hvs__add_size(w->narena, need, &need) ||
	    hvs__grow(&w->alloc, (void **)&w->arena, &w->caparena, need, 1) ||
	    hvs__grow(&w->alloc, (void **)&w->keys, &w->capkeys, w->nkeys + 1,
		      sizeof *w->keys))
		return hvs__err_set(&w->err, HVS_E_NOMEM,
				    "out of memory adding key \"%.40s\"", name);
	/* Only now: growing w->keys may have moved the parent. */
	pseq = parent == HVS_WRITER_ROOT ? &w->root_next_seq
					 : &w->keys[parent - 1].next_seq;
	k = &w->keys[w->nkeys];
	memset(k, 0, sizeof *k);
	k->arena_off = w->narena;
	k->type = type;
	k->name_size = (uint8_t)nsym;
	k->name_bytes = (uint16_t)nbytes;
	k->value_len = (uint32_t)inline_len;
	k->parent = parent;
	k->seq = (*pseq)++;
	k->next_seq = 1;
	if (w->utf16_names) {
		hvs__utf8_to_utf16le(name, w->arena + w->narena, n16);
		w->arena[w->narena + n16] = 0;
		w->arena[w->narena + n16 + 1] = 0;
	} else {
		memcpy(w->arena + w->narena, name, nlen + 1);
	}
	*val = w->arena + w->narena + nbytes;
	w->narena = need;
	*idx = (uint32_t)w->nkeys++;
	return HVS_OK;
}

/*
 * Reserve file-object room for @size bytes at the end of the data and
 * turn key @idx into a file-object reference (flag 0x01, format.md 2.6).
 * Returns the offset where the data goes.
 */
static hvs_status new_file_object(hvs_store_writer *w, uint32_t idx,
				  uint64_t size, uint64_t *off_out)
{
	uint64_t aligned, end;
	wkey *k = &w->keys[idx];

	/* Allocation sizes are aligned to DataAlignment (format.md 2.7). */
	if (hvs__align_up(size, HVS_WRITER_ALIGNMENT, &aligned) ||
	    hvs__add_u64(w->data_end, aligned, &end))
		return hvs__err_set(&w->err, HVS_E_INVALID, "file too large");
	k->flags = HVS_KE_FLAG_FILE_OBJECT;
	k->fo_offset = w->data_end;
	k->value_len = (uint32_t)size;
	*off_out = w->data_end;
	w->data_end = end;
	w->nfileobj++;
	return HVS_OK;
}

/* Undo the last new_key() (used when a later step of an add fails). */
static void drop_last_key(hvs_store_writer *w, uint32_t parent)
{
	wkey *k = &w->keys[--w->nkeys];
	w->narena = k->arena_off;
	if (parent == HVS_WRITER_ROOT)
		w->root_next_seq--;
	else
		w->keys[parent - 1].next_seq--;
}

/* Add a value of @len bytes that is stored raw (no length prefix) in a
 * file object or behind a u32 length (string, array: format.md 2.6). */
static hvs_status add_blob(hvs_store_writer *w, uint32_t parent,
			   const char *name, uint8_t type, const void *data,
			   size_t len)
{
	uint32_t idx = 0;
	uint8_t *val = NULL;
	hvs_status s;

	HVS_TRY(check_usable(w));
	if ((uint64_t)len > HVS_WRITER_VALUE_MAX)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "value of \"%.40s\": %zu bytes, more than the "
				    "0x%x a file object can hold", name, len,
				    HVS_WRITER_VALUE_MAX);
	if (len < HVS_FILE_OBJECT_THRESHOLD) {
		HVS_TRY(new_key(w, parent, name, type, 4 + len, &idx, &val));
		hvs__put_le32(val, (uint32_t)len);
		if (len)
			memcpy(val + 4, data, len);
		return HVS_OK;
	}
	/* Threshold inclusive: 2048 bytes and up live in a file object
	 * (format.md 2.6; openvmm writer.rs uses the same test). */
	{
		uint64_t off = 0;
		HVS_TRY(new_key(w, parent, name, type, 0, &idx, &val));
		s = new_file_object(w, idx, len, &off);
		if (s == HVS_OK)
			s = wr_at(w, off, data, len);
		if (s == HVS_OK && len % HVS_WRITER_ALIGNMENT)
			s = wr_zero(w, off + len,
				    HVS_WRITER_ALIGNMENT - len % HVS_WRITER_ALIGNMENT);
		/* An I/O failure is sticky (the writer is dead); anything
		 * else leaves the writer as it was before this call. */
		if (s != HVS_OK && s != HVS_E_IO)
			drop_last_key(w, parent);
		return s;
	}
}

/* ------------------------------------------------------------- public */

hvs_status hvs_store_writer_create(hvs_store_writer **out, const char *path,
				   const hvs_store_writer_opts *opts)
{
	hvs__alloc al;
	hvs_store_writer *w;
	hvs__err err;
	hvs_status s = HVS_OK;
	int e;
	uint32_t ver = opts && opts->format_version ? opts->format_version
						    : HVS_FMT_4_0;

	err.msg[0] = '\0';
	if (!out || !path) {
		s = hvs__err_set(&err, HVS_E_INVALID,
				 "writer create: NULL %s", out ? "path" : "out");
		goto fail;
	}
	*out = NULL;
	if (opts && opts->alloc &&
	    (!opts->alloc->malloc || !opts->alloc->realloc || !opts->alloc->free)) {
		s = hvs__err_set(&err, HVS_E_INVALID,
				 "writer create: allocator needs malloc, realloc and free");
		goto fail;
	}
	/* 4.0 is the version of every real file and the only one DIS-HV and
	 * Microsoft's current loader accept (format.md 2.2).  1.0 is offered
	 * for reader tests only: the one difference the spec knows is its
	 * UTF-16LE key names; other 1.x-3.x details are unknown. */
	if (ver != HVS_FMT_4_0 && ver != HVS_FMT_1_0) {
		s = hvs__err_set(&err, HVS_E_UNSUPPORTED,
				 "writer create: format version 0x%04x cannot be "
				 "written (only 0x0400, and 0x0100 for tests)", ver);
		goto fail;
	}
	hvs__alloc_init(&al, opts ? opts->alloc : NULL);
	w = hvs__calloc(&al, 1, sizeof *w);
	if (!w) {
		s = hvs__err_set(&err, HVS_E_NOMEM, "writer create: out of memory");
		goto fail;
	}
	w->alloc = al;
	w->data_version = opts ? opts->data_version : 0;
	w->format_version = ver;
	w->utf16_names = ver == HVS_FMT_1_0;
	w->root_next_seq = 1;
	w->data_end = HVS_WRITER_DATA_START;
	e = hvs__file_create(&w->fh, path, 0);
	if (e) {
		char why[256];
		s = hvs__err_set(&err, HVS_E_IO, "writer create: %s: %s", path,
				 hvs__os_strerror(e, why, sizeof why));
		hvs__free(&al, w);
		goto fail;
	}
	*out = w;
	return HVS_OK;
fail:
	if (opts && opts->errbuf)
		hvs__err_copyout(&err, opts->errbuf, opts->errbuf_size);
	return s;
}

/* The message of the last failed call (include/hvs/store.h). */
const char *hvs_store_writer_errmsg(const hvs_store_writer *w)
{
	return w ? w->err.msg : "";
}

/* Add a node; its id is what children name as their parent.  Its value
 * (NextInsertionSequence) is only known, and written, at finish. */
hvs_status hvs_store_writer_add_node(hvs_store_writer *w, uint32_t parent,
				     const char *name, uint32_t *id_out)
{
	uint32_t idx = 0;
	uint8_t *val = NULL;
	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	HVS_TRY(new_key(w, parent, name, HVS_KE_NODE, 0, &idx, &val));
	if (id_out)
		*id_out = idx + 1;
	return HVS_OK;
}

/* Add an 8-byte scalar (int, uint, double: format.md 2.6). */
static hvs_status add_u64(hvs_store_writer *w, uint32_t parent,
			  const char *name, uint8_t type, uint64_t v)
{
	uint32_t idx = 0;
	uint8_t *val = NULL;
	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	HVS_TRY(new_key(w, parent, name, type, 8, &idx, &val));
	hvs__put_le64(val, v);
	return HVS_OK;
}

/* Int: an i64, two's complement (format.md 2.6). */
hvs_status hvs_store_writer_add_int(hvs_store_writer *w, uint32_t parent,
				    const char *name, int64_t v)
{
	return add_u64(w, parent, name, HVS_KE_INT, (uint64_t)v);
}

/* UInt: a u64. */
hvs_status hvs_store_writer_add_uint(hvs_store_writer *w, uint32_t parent,
				     const char *name, uint64_t v)
{
	return add_u64(w, parent, name, HVS_KE_UINT, v);
}

/* Double: type 5, never seen in a real file (format.md 2.6 [M]). */
hvs_status hvs_store_writer_add_double(hvs_store_writer *w, uint32_t parent,
				       const char *name, double v)
{
	uint64_t bits;
	/* IEEE-754 binary64, little-endian like every other field. */
	memcpy(&bits, &v, sizeof bits);
	return add_u64(w, parent, name, HVS_KE_DOUBLE, bits);
}

/* Bool: normalised to 0/1 because readers may compare with 1. */
hvs_status hvs_store_writer_add_bool(hvs_store_writer *w, uint32_t parent,
				     const char *name, int v)
{
	uint32_t idx = 0;
	uint8_t *val = NULL;
	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	/* Bool is an i32 holding 0 or 1 (format.md 2.6). */
	HVS_TRY(new_key(w, parent, name, HVS_KE_BOOL, 4, &idx, &val));
	hvs__put_le32(val, v ? 1u : 0u);
	return HVS_OK;
}

/* String: UTF-8 in, UTF-16LE on disk; 2048 bytes of UTF-16 and more
 * go to a file object like arrays. */
hvs_status hvs_store_writer_add_string(hvs_store_writer *w, uint32_t parent,
				       const char *name, const char *utf8)
{
	size_t n;
	uint8_t *buf;
	hvs_status s;

	if (!w)
		return HVS_E_INVALID;
	if (!utf8)
		return hvs__err_set(&w->err, HVS_E_INVALID, "string value is NULL");
	n = hvs__utf8_to_utf16le(utf8, NULL, 0);
	if (n == (size_t)-1)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "string value of \"%.40s\" is not valid UTF-8",
				    name ? name : "");
	/* Real files store the UTF-16LE text without a NUL (format.md 2.6). */
	buf = hvs__malloc(&w->alloc, n ? n : 1);
	if (!buf)
		return hvs__err_set(&w->err, HVS_E_NOMEM,
				    "out of memory converting a string value");
	hvs__utf8_to_utf16le(utf8, buf, n);
	s = add_blob(w, parent, name, HVS_KE_STRING, buf, n);
	hvs__free(&w->alloc, buf);
	return s;
}

/* Array held by the caller: inline below 2048 bytes, else written to
 * its file object at once (the caller's buffer is not kept). */
hvs_status hvs_store_writer_add_array(hvs_store_writer *w, uint32_t parent,
				      const char *name, const void *data,
				      size_t len)
{
	if (!w)
		return HVS_E_INVALID;
	if (!data && len)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "array value is NULL with length %zu", len);
	return add_blob(w, parent, name, HVS_KE_ARRAY, data, len);
}

/* Start a streamed array of known @size.  The key is created now, so
 * it takes its InsertionSequence in call order; a large value gets its
 * aligned file offset now and its bytes as they arrive. */
hvs_status hvs_store_writer_array_begin(hvs_store_writer *w, uint32_t parent,
					const char *name, uint64_t size)
{
	uint32_t idx = 0;
	uint8_t *val = NULL;
	hvs_status s;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (size > HVS_WRITER_VALUE_MAX)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "streamed value of \"%.40s\": %" PRIu64 " bytes, "
				    "more than the 0x%x a file object can hold",
				    name ? name : "", size, HVS_WRITER_VALUE_MAX);
	if (size < HVS_FILE_OBJECT_THRESHOLD) {
		/* A small value is inline: collect it in the arena. */
		HVS_TRY(new_key(w, parent, name, HVS_KE_ARRAY, 4 + (size_t)size,
				&idx, &val));
		hvs__put_le32(val, (uint32_t)size);
	} else {
		uint64_t off = 0;
		HVS_TRY(new_key(w, parent, name, HVS_KE_ARRAY, 0, &idx, &val));
		s = new_file_object(w, idx, size, &off);
		if (s != HVS_OK) {
			drop_last_key(w, parent);
			return s;
		}
	}
	w->streaming = 1;
	w->stream_key = idx;
	w->stream_size = size;
	w->stream_done = 0;
	return HVS_OK;
}

/* Next piece of the streamed value, at most what is left of @size. */
hvs_status hvs_store_writer_array_write(hvs_store_writer *w, const void *data,
					size_t len)
{
	wkey *k;
	if (!w)
		return HVS_E_INVALID;
	if (!w->streaming || w->finished)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "array_write without array_begin");
	if (w->failed != HVS_OK)
		return hvs__err_set(&w->err, w->failed,
				    "writer failed earlier; cannot continue");
	if (!data && len)
		return hvs__err_set(&w->err, HVS_E_INVALID, "array_write: NULL data");
	if (len > w->stream_size - w->stream_done)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "array_write: %zu bytes would pass the declared "
				    "size %" PRIu64 " (%" PRIu64 " written)", len,
				    w->stream_size, w->stream_done);
	if (!len)
		return HVS_OK;
	k = &w->keys[w->stream_key];
	if (k->flags & HVS_KE_FLAG_FILE_OBJECT) {
		/* Large values go straight to their aligned place in the file:
		 * nothing of the payload stays in memory. */
		HVS_TRY(wr_at(w, k->fo_offset + w->stream_done, data, len));
	} else {
		memcpy(w->arena + k->arena_off + k->name_bytes + 4 + w->stream_done,
		       data, len);
	}
	w->stream_done += len;
	return HVS_OK;
}

/* Close the streamed value: all declared bytes must have come, and the
 * file object gets its zero padding to the alignment. */
hvs_status hvs_store_writer_array_end(hvs_store_writer *w)
{
	wkey *k;
	if (!w)
		return HVS_E_INVALID;
	if (!w->streaming || w->finished)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "array_end without array_begin");
	if (w->failed != HVS_OK)
		return hvs__err_set(&w->err, w->failed,
				    "writer failed earlier; cannot continue");
	if (w->stream_done != w->stream_size)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "array_end: %" PRIu64 " of the declared %" PRIu64
				    " bytes written", w->stream_done, w->stream_size);
	k = &w->keys[w->stream_key];
	if ((k->flags & HVS_KE_FLAG_FILE_OBJECT) &&
	    w->stream_size % HVS_WRITER_ALIGNMENT)
		HVS_TRY(wr_zero(w, k->fo_offset + w->stream_size,
				(size_t)(HVS_WRITER_ALIGNMENT -
					 w->stream_size % HVS_WRITER_ALIGNMENT)));
	w->streaming = 0;
	return HVS_OK;
}

/* ------------------------------------------------------------- finish */

/* Bytes of a key's value as stored in its entry (format.md 2.6). */
static uint32_t entry_value_size(const wkey *k)
{
	if (k->type == HVS_KE_NODE)
		return HVS_KE_NODE_VALUE_SIZE;
	if (k->flags & HVS_KE_FLAG_FILE_OBJECT)
		return HVS_KE_FILE_OBJECT_REF_SIZE;
	return k->value_len;
}

/* Seal a key table: Free filler for the rest, header CRC, write it out.
 * @used is the end of the last entry; the caller already absorbed gaps of
 * 1..21 bytes into that entry, so a remaining gap is > 21 bytes. */
static hvs_status flush_key_table(hvs_store_writer *w, uint8_t *t, uint32_t used,
				  uint16_t index, uint64_t off)
{
	if (used < HVS_KT_SIZE_DEFAULT) {
		/* A Free entry: type 1, no name, CRC 0 (format.md 2.5/2.6). */
		uint8_t *e = t + used;
		if (HVS_KT_SIZE_DEFAULT - used <= HVS_KE_HEADER_SIZE)
			return hvs__err_set(&w->err, HVS_E_INVALID,
					    "internal: %u-byte gap in key table %u",
					    HVS_KT_SIZE_DEFAULT - used, index);
		e[HVS_KE_OFF_TYPE] = HVS_KE_FREE;
		hvs__put_le32(e + HVS_KE_OFF_SIZE, HVS_KT_SIZE_DEFAULT - used);
	}
	hvs__put_le16(t + HVS_KT_OFF_SIGNATURE, HVS_KT_SIGNATURE);
	hvs__put_le16(t + HVS_KT_OFF_INDEX, index);
	/* Sequence >= 1 (format.md 2.10); 1 = written once. */
	hvs__put_le16(t + HVS_KT_OFF_SEQUENCE, 1);
	hvs__put_le32(t + HVS_KT_OFF_CHECKSUM, 0);
	/* The key-table CRC covers only its 10-byte header (format.md 2.5). */
	hvs__put_le32(t + HVS_KT_OFF_CHECKSUM,
		      hvs__crc32(0, t, HVS_KT_HEADER_SIZE));
	return wr_at(w, off, t, HVS_KT_SIZE_DEFAULT);
}

/*
 * Lay the keys out into 4 KiB key tables in insertion order (parents
 * always come before their children because a child can only be added
 * under an existing node) and write them from @base on.  Sets
 * *@ntables to the number of tables written.
 */
static hvs_status write_key_tables(hvs_store_writer *w, uint8_t *t,
				   uint64_t base, uint32_t *ntables)
{
	uint32_t used = HVS_KT_HEADER_SIZE;
	uint16_t index = 1;
	size_t i;

	memset(t, 0, HVS_KT_SIZE_DEFAULT);
	for (i = 0; i < w->nkeys; i++) {
		wkey *k = &w->keys[i];
		uint32_t vsize = entry_value_size(k);
		uint32_t esize = HVS_KE_HEADER_SIZE + k->name_bytes + vsize;
		uint32_t rest, crc;
		uint8_t *e;

		/* Cannot happen with 4 KiB tables and values < 2048 bytes
		 * inline, but an entry must never straddle two tables. */
		if (esize > HVS_KT_SIZE_DEFAULT - HVS_KT_HEADER_SIZE)
			return hvs__err_set(&w->err, HVS_E_INVALID,
					    "key %zu: entry of %u bytes is larger "
					    "than a key table", i + 1, esize);
		if (used + esize > HVS_KT_SIZE_DEFAULT) {
			/* Does not fit: seal this table, start the next. */
			if (index == UINT16_MAX)
				return hvs__err_set(&w->err, HVS_E_INVALID,
						    "more than 65534 key tables needed");
			HVS_TRY(flush_key_table(w, t, used, index,
						base + (uint64_t)(index - 1) *
						HVS_KT_SIZE_DEFAULT));
			memset(t, 0, HVS_KT_SIZE_DEFAULT);
			index++;
			used = HVS_KT_HEADER_SIZE;
		}
		k->kt_index = index;
		k->kt_off = used;
		e = t + used;
		e[HVS_KE_OFF_TYPE] = k->type;
		e[HVS_KE_OFF_FLAGS] = k->flags;
		/* A gap of 1..21 bytes cannot hold a Free entry: it becomes
		 * slack of this entry, outside its CRC (format.md 2.5). */
		rest = HVS_KT_SIZE_DEFAULT - used - esize;
		hvs__put_le32(e + HVS_KE_OFF_SIZE,
			      esize + (rest > 0 && rest <= HVS_KE_HEADER_SIZE ?
				       rest : 0));
		if (k->parent != HVS_WRITER_ROOT) {
			const wkey *p = &w->keys[k->parent - 1];
			hvs__put_le16(e + HVS_KE_OFF_PARENT_TABLE, p->kt_index);
			hvs__put_le32(e + HVS_KE_OFF_PARENT_OFFSET, p->kt_off);
		}
		hvs__put_le32(e + HVS_KE_OFF_INSERTION, k->seq);
		e[HVS_KE_OFF_NAME_SIZE] = k->name_size;
		memcpy(e + HVS_KE_HEADER_SIZE, w->arena + k->arena_off,
		       k->name_bytes);
		{
			uint8_t *v = e + HVS_KE_HEADER_SIZE + k->name_bytes;
			if (k->type == HVS_KE_NODE) {
				/* ChangeTrackingSequence 0, then
				 * NextInsertionSequence = max child seq + 1. */
				hvs__put_le64(v, 0);
				hvs__put_le32(v + 8, k->next_seq);
			} else if (k->flags & HVS_KE_FLAG_FILE_OBJECT) {
				hvs__put_le32(v, k->value_len);
				hvs__put_le64(v + 4, k->fo_offset);
			} else {
				memcpy(v, w->arena + k->arena_off + k->name_bytes,
				       vsize);
			}
		}
		/* CRC over header + name + meaningful value, slack excluded. */
		crc = hvs__crc32(0, e, esize);
		hvs__put_le32(e + HVS_KE_OFF_CHECKSUM, crc);
		used += esize + (rest > 0 && rest <= HVS_KE_HEADER_SIZE ? rest : 0);
	}
	/* The last table (or the only one, possibly with no key at all). */
	HVS_TRY(flush_key_table(w, t, used, index,
				base + (uint64_t)(index - 1) * HVS_KT_SIZE_DEFAULT));
	*ntables = index;
	return HVS_OK;
}

/* Encode one object-table entry with its CRC (format.md 2.4). */
static void put_ote(uint8_t *e, uint8_t type, uint64_t off, uint32_t size,
		    uint8_t flags)
{
	memset(e, 0, HVS_OTE_SIZE);
	e[HVS_OTE_OFF_TYPE] = type;
	hvs__put_le64(e + HVS_OTE_OFF_OFFSET, off);
	hvs__put_le32(e + HVS_OTE_OFF_SIZE, size);
	e[HVS_OTE_OFF_FLAGS] = flags;
	/* Empty slots carry a CRC too (0x671BCF4D for all zeros). */
	hvs__put_le32(e + HVS_OTE_OFF_CHECKSUM, hvs__crc32(0, e, HVS_OTE_SIZE));
}

/*
 * Write the object tables: key tables first, then file objects in the
 * order they were added; 226 objects per table, the 227th slot links to
 * the next table (written from @chain_base on) or stays empty.
 */
static hvs_status write_object_tables(hvs_store_writer *w, uint8_t *t,
				      uint64_t kt_base, uint32_t nkt,
				      uint64_t chain_base, uint32_t ntables)
{
	size_t next_key = 0; /* cursor over keys for the file objects */
	uint32_t next_kt = 0;
	uint32_t ti;

	for (ti = 0; ti < ntables; ti++) {
		uint64_t toff = ti == 0 ? HVS_ROOT_OBJECT_TABLE_OFFSET
					: chain_base + (uint64_t)(ti - 1) *
					  HVS_WRITER_ALIGNMENT;
		uint32_t slot;

		memset(t, 0, HVS_WRITER_ALIGNMENT);
		hvs__put_le32(t + HVS_OT_OFF_SIGNATURE, HVS_OT_SIGNATURE);
		hvs__put_le32(t + HVS_OT_OFF_COUNT, HVS_WRITER_OT_ENTRIES);
		for (slot = 0; slot < HVS_WRITER_OT_USABLE; slot++) {
			uint8_t *e = t + HVS_OT_HEADER_SIZE + slot * HVS_OTE_SIZE;
			if (next_kt < nkt) {
				/* Key tables: flags 0x01 "required" as
				 * openvmm writes them (format.md 2.10). */
				put_ote(e, HVS_OBJ_KEY_TABLE,
					kt_base + (uint64_t)next_kt * HVS_KT_SIZE_DEFAULT,
					HVS_KT_SIZE_DEFAULT, HVS_OTE_FLAG_REQUIRED);
				next_kt++;
				continue;
			}
			while (next_key < w->nkeys &&
			       !(w->keys[next_key].flags & HVS_KE_FLAG_FILE_OBJECT))
				next_key++;
			if (next_key < w->nkeys) {
				const wkey *k = &w->keys[next_key++];
				uint64_t asz;
				(void)hvs__align_up(k->value_len, HVS_WRITER_ALIGNMENT,
						    &asz);
				/* File objects: flags 0, as openvmm (accepted by
				 * the DLL). */
				put_ote(e, HVS_OBJ_FILE_OBJECT, k->fo_offset,
					(uint32_t)asz, 0);
			} else {
				put_ote(e, HVS_OBJ_EMPTY, 0, 0, 0);
			}
		}
		/* Last slot: chain link or empty. */
		if (ti + 1 < ntables)
			put_ote(t + HVS_OT_HEADER_SIZE + slot * HVS_OTE_SIZE,
				HVS_OBJ_OBJECT_TABLE,
				chain_base + (uint64_t)ti * HVS_WRITER_ALIGNMENT,
				HVS_WRITER_ALIGNMENT, 0);
		else
			put_ote(t + HVS_OT_HEADER_SIZE + slot * HVS_OTE_SIZE,
				HVS_OBJ_EMPTY, 0, 0, 0);
		HVS_TRY(wr_at(w, toff, t, HVS_WRITER_ALIGNMENT));
	}
	return HVS_OK;
}

/* The empty replay log header (format.md 2.3): count 0, 145 entries. */
static hvs_status write_log(hvs_store_writer *w, uint8_t *t)
{
	memset(t, 0, HVS_WRITER_ALIGNMENT);
	hvs__put_le32(t + HVS_LOG_OFF_SIGNATURE, HVS_LOG_SIGNATURE);
	hvs__put_le32(t + HVS_LOG_OFF_COUNT, 0);
	hvs__put_le32(t + HVS_LOG_OFF_MAX_ENTRIES,
		      (HVS_WRITER_LOG_HEADER_SIZE - HVS_LOG_HEADER_SIZE) /
			      HVS_LOGE_SIZE);
	hvs__put_le32(t + HVS_LOG_OFF_CHECKSUM,
		      hvs__crc32(0, t, HVS_LOG_HEADER_SIZE));
	/* The whole log area is written so that it holds zeros, not
	 * whatever a sparse file or an older file left there. */
	HVS_TRY(wr_at(w, HVS_WRITER_LOG_OFFSET, t, HVS_WRITER_ALIGNMENT));
	return wr_zero(w, HVS_WRITER_LOG_OFFSET + HVS_WRITER_ALIGNMENT,
		       HVS_WRITER_LOG_SIZE - HVS_WRITER_ALIGNMENT);
}

/* One header copy (format.md 2.2) in a zeroed 4 KiB page. */
static hvs_status write_header(hvs_store_writer *w, uint8_t *t, uint64_t off,
			       uint16_t seq)
{
	memset(t, 0, HVS_WRITER_ALIGNMENT);
	hvs__put_le32(t + HVS_FH_OFF_SIGNATURE, HVS_FH_SIGNATURE);
	hvs__put_le16(t + HVS_FH_OFF_SEQUENCE, seq);
	hvs__put_le32(t + HVS_FH_OFF_FORMAT_VERSION, w->format_version);
	hvs__put_le32(t + HVS_FH_OFF_DATA_VERSION, w->data_version);
	hvs__put_le32(t + HVS_FH_OFF_FLAGS, 0);
	hvs__put_le32(t + HVS_FH_OFF_ALIGNMENT, HVS_WRITER_ALIGNMENT);
	hvs__put_le64(t + HVS_FH_OFF_LOG_OFFSET, HVS_WRITER_LOG_OFFSET);
	hvs__put_le64(t + HVS_FH_OFF_LOG_SIZE, HVS_WRITER_LOG_SIZE);
	hvs__put_le32(t + HVS_FH_OFF_LOG_HEADER_SIZE, HVS_WRITER_LOG_HEADER_SIZE);
	hvs__put_le32(t + HVS_FH_OFF_CHECKSUM, hvs__crc32(0, t, HVS_FH_SIZE));
	return wr_at(w, off, t, HVS_WRITER_ALIGNMENT);
}

/* Write key tables, object tables, the empty log and, after an fsync,
 * both headers (copy 1 first, then copy 0), then fsync again. */
hvs_status hvs_store_writer_finish(hvs_store_writer *w)
{
	uint8_t *t = NULL;
	uint64_t kt_base, chain_base;
	uint32_t nkt = 0, nobj, ntables;
	hvs_status s;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	w->finished = 1;
	t = hvs__malloc(&w->alloc, HVS_WRITER_ALIGNMENT);
	if (!t)
		return hvs__err_set(&w->err, HVS_E_NOMEM, "finish: out of memory");
	/* Key tables after the file objects. */
	kt_base = w->data_end;
	s = write_key_tables(w, t, kt_base, &nkt);
	if (s != HVS_OK)
		goto out;
	/* Object tables: 226 objects each; extra tables after the key
	 * tables.  The counts are bounded (65534 key tables, u32 objects). */
	nobj = nkt + w->nfileobj;
	ntables = nobj ? (nobj + HVS_WRITER_OT_USABLE - 1) / HVS_WRITER_OT_USABLE : 1;
	chain_base = kt_base + (uint64_t)nkt * HVS_KT_SIZE_DEFAULT;
	s = write_object_tables(w, t, kt_base, nkt, chain_base, ntables);
	if (s == HVS_OK)
		s = write_log(w, t);
	/* Everything the headers point at is durable before the headers
	 * exist: a crash before this point leaves a file with no header. */
	if (s == HVS_OK)
		s = wr_sync(w);
	if (s == HVS_OK)
		s = write_header(w, t, HVS_FH_COPY1_OFFSET, HVS_WRITER_SEQ_COPY1);
	if (s == HVS_OK)
		s = write_header(w, t, HVS_FH_COPY0_OFFSET, HVS_WRITER_SEQ_COPY0);
	if (s == HVS_OK)
		s = wr_sync(w);
out:
	if (s != HVS_OK && s != HVS_E_IO)
		w->failed = s;
	hvs__free(&w->alloc, t);
	if (s != HVS_OK)
		hvs__err_prefix(&w->err, s, "finish");
	return s;
}

/* Release everything; the file is closed (unfinished files keep their
 * zero headers and are never accepted by a reader). */
void hvs_store_writer_close(hvs_store_writer *w)
{
	hvs__alloc al;
	if (!w)
		return;
	hvs__file_close(w->fh);
	al = w->alloc;
	hvs__free(&al, w->keys);
	hvs__free(&al, w->arena);
	hvs__free(&al, w);
}
