/* SPDX-License-Identifier: MIT */
/*
 * Test-fixture helpers for HyperVStorage containers (see gen_store.h).
 * Building goes through the public writer; the log and lookup helpers
 * parse raw bytes themselves (format.md 2.2-2.6) so that tests of the
 * reader do not depend on the reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <process.h>
#define gen_getpid _getpid
#else
#include <unistd.h>
#define gen_getpid getpid
#endif

#include "gen_store.h"
#include "store/format.h"
#include "test.h"
#include "util/util.h"

/* A node created so far: (parent id, name) -> id. */
typedef struct gen_node {
	uint32_t parent;
	uint32_t id;
	char *name;
} gen_node;

/* Id of the latest node @name under @parent, creating it when missing. */
static hvs_status node_for(hvs_store_writer *w, gen_node **nodes, size_t *n,
			   size_t *cap, uint32_t parent, const char *name,
			   int force_new, uint32_t *id)
{
	size_t i;
	gen_node *nn;
	if (!force_new) {
		for (i = *n; i-- > 0;) {
			if ((*nodes)[i].parent == parent &&
			    strcmp((*nodes)[i].name, name) == 0) {
				*id = (*nodes)[i].id;
				return HVS_OK;
			}
		}
	}
	HVS_TRY(hvs_store_writer_add_node(w, parent, name, id));
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		nn = realloc(*nodes, nc * sizeof *nn);
		if (!nn)
			return HVS_E_NOMEM;
		*nodes = nn;
		*cap = nc;
	}
	(*nodes)[*n].parent = parent;
	(*nodes)[*n].id = *id;
	(*nodes)[*n].name = malloc(strlen(name) + 1);
	if (!(*nodes)[*n].name)
		return HVS_E_NOMEM;
	strcpy((*nodes)[*n].name, name);
	(*n)++;
	return HVS_OK;
}

/* Add one spec key.  @comp is a scratch buffer for path components. */
static hvs_status add_key(hvs_store_writer *w, const gen_key *k, gen_node **nodes,
			  size_t *n, size_t *cap)
{
	char comp[512];
	const char *p = k->path, *slash;
	uint32_t parent = HVS_WRITER_ROOT, id;

	while (*p == '/')
		p++;
	/* Ancestors. */
	while ((slash = strchr(p, '/')) != NULL) {
		size_t len = (size_t)(slash - p);
		if (len >= sizeof comp)
			return HVS_E_INVALID;
		memcpy(comp, p, len);
		comp[len] = '\0';
		HVS_TRY(node_for(w, nodes, n, cap, parent, comp, 0, &parent));
		p = slash + 1;
	}
	switch (k->type) {
	case GEN_NODE:
		return node_for(w, nodes, n, cap, parent, p, 1, &id);
	case GEN_INT:
		return hvs_store_writer_add_int(w, parent, p, k->i);
	case GEN_UINT:
		return hvs_store_writer_add_uint(w, parent, p, k->u);
	case GEN_DOUBLE:
		return hvs_store_writer_add_double(w, parent, p, k->d);
	case GEN_BOOL:
		return hvs_store_writer_add_bool(w, parent, p, (int)k->i);
	case GEN_STRING:
		return hvs_store_writer_add_string(w, parent, p, k->s ? k->s : "");
	case GEN_ARRAY:
		return hvs_store_writer_add_array(w, parent, p, k->data, k->len);
	case GEN_ZEROS: {
		static const uint8_t zero[4096];
		size_t left = k->len;
		HVS_TRY(hvs_store_writer_array_begin(w, parent, p, k->len));
		while (left) {
			size_t c = left < sizeof zero ? left : sizeof zero;
			HVS_TRY(hvs_store_writer_array_write(w, zero, c));
			left -= c;
		}
		return hvs_store_writer_array_end(w);
	}
	}
	return HVS_E_INVALID;
}

hvs_status gen_store_write(const char *path, const gen_key *keys, size_t n,
			   char *err, size_t errsize)
{
	hvs_store_writer_opts o;
	hvs_store_writer *w = NULL;
	gen_node *nodes = NULL;
	size_t nn = 0, cap = 0, i;
	hvs_status s;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = errsize;
	s = hvs_store_writer_create(&w, path, &o);
	if (s != HVS_OK)
		return s;
	for (i = 0; i < n && s == HVS_OK; i++) {
		s = add_key(w, &keys[i], &nodes, &nn, &cap);
		if (s != HVS_OK && err && errsize)
			snprintf(err, errsize, "key %zu (%s): %s", i, keys[i].path,
				 hvs_store_writer_errmsg(w));
	}
	if (s == HVS_OK) {
		s = hvs_store_writer_finish(w);
		if (s != HVS_OK && err && errsize)
			snprintf(err, errsize, "%s", hvs_store_writer_errmsg(w));
	}
	hvs_store_writer_close(w);
	for (i = 0; i < nn; i++)
		free(nodes[i].name);
	free(nodes);
	return s;
}

uint8_t *gen_store_build(const gen_key *keys, size_t n, size_t *len)
{
	static unsigned counter;
	char name[64], err[HVS_ERRMSG_MAX];
	const char *path;
	uint8_t *data;

	snprintf(name, sizeof name, "gen_store_%ld_%u.tmp", (long)gen_getpid(),
		 counter++);
	path = test_tmp_path(name);
	if (gen_store_write(path, keys, n, err, sizeof err) != HVS_OK) {
		fprintf(stderr, "gen_store_build: %s\n", err);
		remove(path);
		return NULL;
	}
	data = test_read_file(path, len);
	remove(path);
	return data;
}

/* ------------------------------------------------------- raw parsing */

/* The active header copy's log fields (format.md 2.2). */
static int active_header(const uint8_t *f, size_t flen, uint64_t *log_off,
			 uint64_t *log_size, uint32_t *log_hsize)
{
	int ok[2] = { 0, 0 }, pick;
	uint16_t seq[2] = { 0, 0 };
	int i;
	for (i = 0; i < 2; i++) {
		const uint8_t *p = f + (i ? HVS_FH_COPY1_OFFSET : HVS_FH_COPY0_OFFSET);
		if ((size_t)(p - f) + HVS_FH_SIZE > flen)
			continue;
		ok[i] = hvs__le32(p) == HVS_FH_SIGNATURE &&
			hvs__le32(p + HVS_FH_OFF_CHECKSUM) ==
				hvs__crc32_skip(p, HVS_FH_SIZE, HVS_FH_OFF_CHECKSUM);
		seq[i] = hvs__le16(p + HVS_FH_OFF_SEQUENCE);
	}
	if (!ok[0] && !ok[1])
		return 0;
	pick = ok[0] && ok[1] ? ((uint16_t)(seq[1] - seq[0]) < 0x8000u &&
				 seq[1] != seq[0])
			      : ok[1];
	{
		const uint8_t *p = f + (pick ? HVS_FH_COPY1_OFFSET : HVS_FH_COPY0_OFFSET);
		*log_off = hvs__le64(p + HVS_FH_OFF_LOG_OFFSET);
		*log_size = hvs__le64(p + HVS_FH_OFF_LOG_SIZE);
		*log_hsize = hvs__le32(p + HVS_FH_OFF_LOG_HEADER_SIZE);
	}
	return hvs__in_bounds(*log_off, *log_size, flen) &&
	       *log_hsize >= HVS_LOG_HEADER_SIZE && *log_hsize <= *log_size;
}

hvs_status gen_store_log_entry_mem(uint8_t *f, size_t flen, uint64_t dest,
				   const void *data, uint32_t len)
{
	uint64_t log_off, log_size, data_off;
	uint32_t log_hsize, count, max, i;
	uint8_t *lh, *e;

	if (!active_header(f, flen, &log_off, &log_size, &log_hsize))
		return HVS_E_CORRUPT;
	lh = f + log_off;
	if (hvs__le32(lh) != HVS_LOG_SIGNATURE)
		return HVS_E_CORRUPT;
	count = hvs__le32(lh + HVS_LOG_OFF_COUNT);
	max = hvs__le32(lh + HVS_LOG_OFF_MAX_ENTRIES);
	if (count >= max ||
	    HVS_LOG_HEADER_SIZE + (uint64_t)(count + 1) * HVS_LOGE_SIZE > log_hsize)
		return HVS_E_BUFSIZE;
	/* Data goes after the data of the pending entries. */
	data_off = log_hsize;
	for (i = 0; i < count; i++) {
		const uint8_t *pe = lh + HVS_LOG_HEADER_SIZE + (size_t)i * HVS_LOGE_SIZE;
		uint64_t end = hvs__le64(pe + HVS_LOGE_OFF_LOGOFF) +
			       hvs__le32(pe + HVS_LOGE_OFF_SIZE);
		if (end > data_off)
			data_off = end;
	}
	if (data_off + len > log_size)
		return HVS_E_BUFSIZE;
	memcpy(lh + data_off, data, len);
	e = lh + HVS_LOG_HEADER_SIZE + (size_t)count * HVS_LOGE_SIZE;
	memset(e, 0, HVS_LOGE_SIZE);
	hvs__put_le64(e + HVS_LOGE_OFF_DEST, dest);
	hvs__put_le32(e + HVS_LOGE_OFF_SIZE, len);
	hvs__put_le64(e + HVS_LOGE_OFF_LOGOFF, data_off);
	hvs__put_le32(e + HVS_LOGE_OFF_DATA_CRC, hvs__crc32(0, data, len));
	hvs__put_le32(e + HVS_LOGE_OFF_CHECKSUM, hvs__crc32(0, e, HVS_LOGE_SIZE));
	hvs__put_le32(lh + HVS_LOG_OFF_COUNT, count + 1);
	hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, 0);
	hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, hvs__crc32(0, lh, HVS_LOG_HEADER_SIZE));
	return HVS_OK;
}

hvs_status gen_store_log_entry(const char *path, uint64_t dest,
			       const void *data, uint32_t len)
{
	size_t flen;
	uint8_t *f = test_read_file(path, &flen);
	hvs_status s;
	if (!f)
		return HVS_E_IO;
	s = gen_store_log_entry_mem(f, flen, dest, data, len);
	if (s == HVS_OK && test_write_file(path, f, flen) != 0)
		s = HVS_E_IO;
	free(f);
	return s;
}

/* Walk the object tables (root, then the chain) for key table @index. */
uint64_t gen_store_key_table_offset(const uint8_t *f, size_t flen, uint16_t index)
{
	uint64_t ot = HVS_ROOT_OBJECT_TABLE_OFFSET;
	int hops = 0;

	while (ot && hops++ < 1000 && ot + HVS_OT_HEADER_SIZE <= flen) {
		uint32_t n = hvs__le32(f + ot + HVS_OT_OFF_COUNT), i;
		uint64_t next = 0;
		for (i = 0; i < n; i++) {
			const uint8_t *e = f + ot + HVS_OT_HEADER_SIZE + (size_t)i * HVS_OTE_SIZE;
			uint64_t off;
			if ((size_t)(e - f) + HVS_OTE_SIZE > flen)
				return 0;
			off = hvs__le64(e + HVS_OTE_OFF_OFFSET);
			if (e[0] == HVS_OBJ_OBJECT_TABLE)
				next = off;
			else if (e[0] == HVS_OBJ_KEY_TABLE && off + HVS_KT_HEADER_SIZE <= flen &&
				 hvs__le16(f + off + HVS_KT_OFF_INDEX) == index)
				return off;
		}
		ot = next;
	}
	return 0;
}

/* Meaningful value bytes of the entry at @e (format.md 2.6). */
static uint32_t value_bytes(const uint8_t *e, uint32_t avail)
{
	const uint8_t *v = e + HVS_KE_HEADER_SIZE + e[HVS_KE_OFF_NAME_SIZE];
	if (e[HVS_KE_OFF_FLAGS] & HVS_KE_FLAG_FILE_OBJECT)
		return HVS_KE_FILE_OBJECT_REF_SIZE;
	switch (e[HVS_KE_OFF_TYPE]) {
	case HVS_KE_INT: case HVS_KE_UINT: case HVS_KE_DOUBLE: return 8;
	case HVS_KE_BOOL: return 4;
	case HVS_KE_NODE: return HVS_KE_NODE_VALUE_SIZE;
	case HVS_KE_STRING: case HVS_KE_ARRAY:
		return avail >= 4 ? 4 + hvs__le32(v) : 0;
	default: return 0;
	}
}

void gen_store_fix_entry_crc(uint8_t *f, size_t flen, uint64_t off)
{
	uint8_t *e = f + off;
	uint32_t size, nsz, vsz;
	if (off + HVS_KE_HEADER_SIZE > flen)
		return;
	size = hvs__le32(e + HVS_KE_OFF_SIZE);
	nsz = e[HVS_KE_OFF_NAME_SIZE];
	vsz = value_bytes(e, size - HVS_KE_HEADER_SIZE - nsz);
	hvs__put_le32(e + HVS_KE_OFF_CHECKSUM, 0);
	hvs__put_le32(e + HVS_KE_OFF_CHECKSUM,
		      hvs__crc32(0, e, HVS_KE_HEADER_SIZE + nsz + vsz));
}

hvs_status gen_store_find_entry(const uint8_t *f, size_t flen, const char *path,
				uint64_t *off, uint32_t *size)
{
	uint16_t ptab = 0;
	uint32_t poff = 0;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		uint32_t best_seq = UINT32_MAX;
		uint64_t best = 0;
		uint16_t t;
		for (t = 1; t < UINT16_MAX; t++) {
			uint64_t kt = gen_store_key_table_offset(f, flen, t);
			uint32_t o = HVS_KT_HEADER_SIZE;
			if (!kt)
				break;
			while (o + HVS_KE_HEADER_SIZE < HVS_KT_SIZE_DEFAULT &&
			       kt + HVS_KT_SIZE_DEFAULT <= flen) {
				const uint8_t *e = f + kt + o;
				uint32_t esz = hvs__le32(e + HVS_KE_OFF_SIZE);
				if (esz == 0)
					break;
				if (e[0] != HVS_KE_FREE &&
				    hvs__le16(e + HVS_KE_OFF_PARENT_TABLE) == ptab &&
				    hvs__le32(e + HVS_KE_OFF_PARENT_OFFSET) == poff &&
				    e[HVS_KE_OFF_NAME_SIZE] == len + 1 &&
				    memcmp(e + HVS_KE_HEADER_SIZE, p, len) == 0 &&
				    hvs__le32(e + HVS_KE_OFF_INSERTION) < best_seq) {
					best_seq = hvs__le32(e + HVS_KE_OFF_INSERTION);
					best = kt + o;
				}
				o += esz;
			}
		}
		if (!best)
			return HVS_E_NOTFOUND;
		{
			/* Descend: the writer aligns key tables to 4 KiB, so the
			 * table holding @best starts at its 4 KiB boundary. */
			uint64_t kt = best - best % HVS_KT_SIZE_DEFAULT;
			ptab = hvs__le16(f + kt + HVS_KT_OFF_INDEX);
			poff = (uint32_t)(best - kt);
		}
		*off = best;
		*size = hvs__le32(f + best + HVS_KE_OFF_SIZE);
		p += len;
		while (*p == '/')
			p++;
	}
	return HVS_OK;
}
