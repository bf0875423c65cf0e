/* SPDX-License-Identifier: MIT */
/*
 * HyperVStorage container reader, part 2: key-table entries, the key tree,
 * path lookup and value reads.  Format: docs/format/storage.md, from
 * format.md 2.5 (key tables), 2.6 (entries), 2.7 (file objects) and 2.8
 * (tree).  Open keeps only key metadata (one hvs_key per entry plus the
 * names in one arena); values are read from the view on demand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define NONE UINT32_MAX

/* --------------------------------------------------------------- names */

/* Append @n bytes and a NUL to the name arena; *off receives the start. */
static hvs_status arena_add(hvs_store *st, const char *s, size_t n, uint32_t *off)
{
	HVS_TRY(hvs__grow(&st->alloc, (void **)&st->names, &st->names_cap,
			  st->names_len + n + 1, 1));
	if (st->names_len > UINT32_MAX - n - 1)
		return hvs__err_set(&st->err, HVS_E_NOMEM, "key names: arena too large");
	memcpy(st->names + st->names_len, s, n);
	st->names[st->names_len + n] = '\0';
	*off = (uint32_t)st->names_len;
	st->names_len += n + 1;
	return HVS_OK;
}

/*
 * Convert an entry name to UTF-8 in the arena.  Version 1.0 stores names as
 * UTF-16LE (OVMM-FMT), later versions as UTF-8; both end with a NUL symbol
 * that the caller has checked.
 */
static hvs_status add_name(hvs_store *st, const uint8_t *p, size_t nbytes,
			   int utf16, uint32_t *off)
{
	size_t n;
	if (!utf16) {
		/* Stop at the first NUL: an embedded one ends the name. */
		const void *z = memchr(p, 0, nbytes);
		n = z ? (size_t)((const uint8_t *)z - p) : nbytes;
		return arena_add(st, (const char *)p, n, off);
	}
	for (n = 0; n + 1 < nbytes; n += 2)
		if (p[n] == 0 && p[n + 1] == 0)
			break;
	{
		size_t need = hvs__utf16le_to_utf8(p, n, NULL, 0);
		HVS_TRY(hvs__grow(&st->alloc, (void **)&st->names, &st->names_cap,
				  st->names_len + need + 1, 1));
		if (st->names_len > UINT32_MAX - need - 1)
			return hvs__err_set(&st->err, HVS_E_NOMEM, "key names: arena too large");
		hvs__utf16le_to_utf8(p, n, st->names + st->names_len, need + 1);
		*off = (uint32_t)st->names_len;
		st->names_len += need + 1;
	}
	return HVS_OK;
}

/* ------------------------------------------------------------- entries */

/* On-disk entry type -> public enum (format.h codes are never renumbered). */
static hvs_key_type map_type(uint8_t raw)
{
	switch (raw) {
	case HVS_KE_INT: return HVS_KEY_INT;
	case HVS_KE_UINT: return HVS_KEY_UINT;
	case HVS_KE_DOUBLE: return HVS_KEY_DOUBLE;
	case HVS_KE_STRING: return HVS_KEY_STRING;
	case HVS_KE_ARRAY: return HVS_KEY_ARRAY;
	case HVS_KE_BOOL: return HVS_KEY_BOOL;
	case HVS_KE_NODE: return HVS_KEY_NODE;
	default: return HVS_KEY_OTHER;
	}
}

/* Context of the table being parsed, for messages. */
typedef struct tctx {
	const hvs__ktable *t;
	const uint8_t *buf;
	int utf16;
} tctx;

#define TFMT "key table %u (file offset 0x%" PRIx64 "): entry at +0x%X: "
#define TARG(c, off) (unsigned)(c)->t->index, (c)->t->offset, (unsigned)(off)

/*
 * Decode one non-Free entry of SizeInBytes @sib at table offset @off
 * (format.md 2.6) and append it to st->keys.  A damaged entry is reported
 * and skipped; the caller goes on with the next one.
 */
/*
 * The value bytes an entry's checksum covers (format.md 2.6: the
 * "meaningful" size, slack excluded), for value bytes @v with @avail bytes
 * left in the entry.  One rule for the parser below and for
 * hvs_store_dump (dump.c).  Sets *mlen and, for inline strings and arrays,
 * *vsize (the payload length; left alone otherwise) and returns
 * HVS__VLEN_OK, or says what does not fit.
 */
hvs__vlen hvs__store_value_len(uint8_t type, uint8_t flags, const uint8_t *v, uint32_t avail,
			       uint32_t *mlen, uint64_t *vsize)
{
	uint32_t m;

	if (flags & HVS_KE_FLAG_FILE_OBJECT) {
		/* FileObjectData {u32 size; u64 offset} replaces the value (2.6/2.7). */
		m = HVS_KE_FILE_OBJECT_REF_SIZE;
		*mlen = m;
		return m > avail ? HVS__VLEN_NO_ROOM : HVS__VLEN_OK;
	}
	switch (type) {
	case HVS_KE_INT:
	case HVS_KE_UINT:
	case HVS_KE_DOUBLE:
		m = 8;
		break;
	case HVS_KE_BOOL:
		m = 4;
		break;
	case HVS_KE_NODE:
		m = HVS_KE_NODE_VALUE_SIZE;
		break;
	case HVS_KE_STRING:
	case HVS_KE_ARRAY:
		/* u32 byte length, then the bytes. */
		if (avail < 4)
			return HVS__VLEN_NO_LENGTH;
		if (hvs__le32(v) > avail - 4)
			return HVS__VLEN_TOO_LONG;
		if (vsize)
			*vsize = hvs__le32(v);
		m = 4 + hvs__le32(v);
		break;
	default:
		return HVS__VLEN_UNKNOWN_TYPE;
	}
	*mlen = m;
	return m > avail ? HVS__VLEN_NO_ROOM : HVS__VLEN_OK;
}

static hvs_status parse_entry(hvs_store *st, const tctx *c, uint32_t off, uint32_t sib)
{
	const uint8_t *e = c->buf + off;
	uint8_t raw = e[HVS_KE_OFF_TYPE], flags = e[HVS_KE_OFF_FLAGS];
	uint32_t nsym = e[HVS_KE_OFF_NAME_SIZE];
	uint32_t nbytes = c->utf16 ? nsym * 2 : nsym;
	uint32_t crc = hvs__le32(e + HVS_KE_OFF_CHECKSUM), calc;
	uint64_t eoff = c->t->offset + off, vsize = 0, voff;
	uint32_t vp, vavail, mlen = 0;
	hvs_key *k;

	/* The order of checks follows what each later step relies on: the
	 * name must fit before it is read, the value must fit before the CRC
	 * covers it.  nsym counts code units including the NUL. */
	if (nsym == 0 || HVS_KE_HEADER_SIZE + nbytes > sib)
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "name of %u symbols does not fit the entry size 0x%X",
					  TARG(c, off), nsym, sib);
	if (c->utf16 ? (e[HVS_KE_HEADER_SIZE + nbytes - 2] | e[HVS_KE_HEADER_SIZE + nbytes - 1]) != 0
		     : e[HVS_KE_HEADER_SIZE + nbytes - 1] != 0)
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "name is not NUL-terminated",
					  TARG(c, off));
	/* The value follows the name; vavail includes any slack. */
	vp = HVS_KE_HEADER_SIZE + nbytes;
	vavail = sib - vp;
	voff = eoff + vp;
	/* Only variable-length values can be large enough (>= 2048 bytes) to
	 * move to a file object; the flag on a number means damage. */
	if ((flags & HVS_KE_FLAG_FILE_OBJECT) && raw != HVS_KE_STRING && raw != HVS_KE_ARRAY)
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "file-object flag on an entry of type %u",
					  TARG(c, off), raw);
	switch (hvs__store_value_len(raw, flags, c->buf + off + vp, vavail, &mlen, &vsize)) {
	case HVS__VLEN_OK:
		break;
	case HVS__VLEN_NO_LENGTH:
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "value length does not fit (0x%X bytes left)",
					  TARG(c, off), vavail);
	case HVS__VLEN_TOO_LONG:
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "value of 0x%" PRIx64 " bytes does not fit the entry (0x%X bytes left)",
					  TARG(c, off), (uint64_t)hvs__le32(c->buf + off + vp), vavail - 4);
	case HVS__VLEN_UNKNOWN_TYPE:
		/* Type 2 (named by DIS-HV, never seen) and other codes have
		 * no known value layout, so nothing can verify them: a
		 * damaged type byte must not invent a key. */
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "unknown entry type %u",
					  TARG(c, off), raw);
	case HVS__VLEN_NO_ROOM:
		if (flags & HVS_KE_FLAG_FILE_OBJECT)
			return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "file-object pointer does not fit (0x%X bytes left)",
						  TARG(c, off), vavail);
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "type %u value needs 0x%X bytes, 0x%X left",
					  TARG(c, off), raw, mlen, vavail);
	}
	if (flags & HVS_KE_FLAG_FILE_OBJECT) {
		vsize = hvs__le32(c->buf + off + vp);
		voff = hvs__le64(c->buf + off + vp + 4);
		if (!hvs__in_bounds(voff, vsize, st->view_size))
			return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "file object 0x%" PRIx64 "+0x%" PRIx64 " past the end of the file (0x%" PRIx64 ")",
						  TARG(c, off), voff, vsize, st->view_size);
	} else if (raw == HVS_KE_STRING || raw == HVS_KE_ARRAY) {
		voff += 4;
	} else if (raw != HVS_KE_NODE) {
		vsize = mlen;
	}
	/* Header with the field zeroed, then name and meaningful value bytes;
	 * slack excluded (format.md 2.6, verified on 522 entries). */
	calc = hvs__crc32_skip(e, HVS_KE_HEADER_SIZE, HVS_KE_OFF_CHECKSUM);
	calc = hvs__crc32(calc, e + HVS_KE_HEADER_SIZE, (size_t)nbytes + mlen);
	if (crc != calc)
		return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "checksum 0x%08X, computed 0x%08X",
					  TARG(c, off), crc, calc);
	if (st->nkeys >= HVS__STORE_MAX_KEYS)
		return hvs__err_set(&st->err, HVS_E_NOMEM, "key tables: too many keys");
	HVS_TRY(hvs__grow(&st->alloc, (void **)&st->keys, &st->keys_cap, st->nkeys + 1,
			  sizeof *st->keys));
	k = &st->keys[st->nkeys];
	memset(k, 0, sizeof *k);
	HVS_TRY(add_name(st, e + HVS_KE_HEADER_SIZE, nbytes, c->utf16, &k->name_off));
	k->st = st;
	k->parent = NONE;
	k->type = (uint8_t)map_type(raw);
	k->raw_type = raw;
	k->flags = flags;
	k->table_index = c->t->index;
	k->entry_offset = off;
	k->file_offset = eoff;
	k->entry_size = sib;
	k->insertion_seq = hvs__le32(e + HVS_KE_OFF_INSERTION);
	k->value_size = vsize;
	k->value_offset = voff;
	k->parent_table = hvs__le16(e + HVS_KE_OFF_PARENT_TABLE);
	k->parent_offset = hvs__le32(e + HVS_KE_OFF_PARENT_OFFSET);
	if (raw == HVS_KE_NODE) {
		k->node_change_seq = hvs__le64(c->buf + off + vp);
		k->node_next_insertion = hvs__le32(c->buf + off + vp + 8);
	}
	st->nkeys++;
	return HVS_OK;
}

/* Walk the packed entries of one key table (format.md 2.5). */
static hvs_status parse_table(hvs_store *st, const tctx *c)
{
	uint32_t size = c->t->size, off = HVS_KT_HEADER_SIZE;

	/* The walk ends when no full entry header fits (Microsoft's verifier
	 * uses the same strict bound). */
	while ((uint64_t)off + HVS_KE_HEADER_SIZE < size) {
		const uint8_t *e = c->buf + off;
		uint32_t sib = hvs__le32(e + HVS_KE_OFF_SIZE);
		uint64_t eoff = c->t->offset + off;

		if (sib == 0)
			/* Defensive end: a zeroed tail instead of a Free filler. */
			return hvs__store_problem(st, HVS__P_DAMAGE, eoff, TFMT "SizeInBytes 0, rest of the table ignored",
						  TARG(c, off));
		if (sib < HVS_KE_HEADER_SIZE || sib > size - off)
			return hvs__store_problem(st, HVS__P_FATAL, eoff, TFMT "SizeInBytes 0x%X outside 0x15..0x%X",
						  TARG(c, off), sib, size - off);
		if (e[HVS_KE_OFF_TYPE] == HVS_KE_FREE) {
			if (hvs__le32(e + HVS_KE_OFF_CHECKSUM) != 0)
				HVS_TRY(hvs__store_problem(st, HVS__P_DAMAGE, eoff, TFMT "Free entry with checksum 0x%08X (expected 0)",
							   TARG(c, off), hvs__le32(e + HVS_KE_OFF_CHECKSUM)));
		} else {
			st->info.entry_count++;
			HVS_TRY(parse_entry(st, c, off, sib));
		}
		off += sib;
	}
	return HVS_OK;
}

/*
 * Parse the chosen key tables one at a time: each is read whole into a
 * temporary buffer (at most 16 MiB, real ones 4 KiB) and only the key
 * metadata is kept, never the values.
 */
hvs_status hvs__store_load_keys(hvs_store *st)
{
	uint8_t *buf = NULL;
	size_t i;
	hvs_status s = HVS_OK;
	uint32_t root_name = 0;

	/* keys[0]: the virtual root, named "" (format.md 2.8). */
	HVS_TRY(hvs__grow(&st->alloc, (void **)&st->keys, &st->keys_cap, 1, sizeof *st->keys));
	memset(&st->keys[0], 0, sizeof st->keys[0]);
	HVS_TRY(arena_add(st, "", 0, &root_name));
	st->keys[0].st = st;
	st->keys[0].parent = NONE;
	st->keys[0].type = HVS_KEY_ROOT;
	st->keys[0].name_off = root_name;
	st->nkeys = 1;
	for (i = 0; i < st->nktables; i++) {
		tctx c;
		if (!st->ktables[i].used)
			continue;
		buf = hvs__malloc(&st->alloc, st->ktables[i].size);
		if (!buf)
			return hvs__err_set(&st->err, HVS_E_NOMEM, "key tables: out of memory");
		s = hvs__store_read(st, st->ktables[i].offset, buf, st->ktables[i].size,
				    "key table");
		if (s == HVS_OK) {
			c.t = &st->ktables[i];
			c.buf = buf;
			c.utf16 = st->info.format_version == HVS_FMT_1_0;
			s = parse_table(st, &c);
		}
		hvs__free(&st->alloc, buf);
		if (s != HVS_OK)
			return s;
	}
	return HVS_OK;
}

/* ---------------------------------------------------------------- tree */

/* (TableIndex, offset) as one sortable number. */
static uint64_t key_addr(const hvs_key *k)
{
	return (uint64_t)k->table_index << 32 | k->entry_offset;
}

/* qsort order of keys by (TableIndex, offset), for the parent lookup. */
static int cmp_addr(const void *a, const void *b)
{
	uint64_t x = key_addr(*(const hvs_key *const *)a);
	uint64_t y = key_addr(*(const hvs_key *const *)b);
	return x < y ? -1 : x > y;
}

/* Siblings by InsertionSequence, file order breaking ties. */
static int cmp_insertion(const void *a, const void *b)
{
	const hvs_key *x = *(const hvs_key *const *)a, *y = *(const hvs_key *const *)b;
	if (x->insertion_seq != y->insertion_seq)
		return x->insertion_seq < y->insertion_seq ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Siblings by name, then by their child order (fixes the ordinals). */
static int cmp_name(const void *a, const void *b)
{
	const hvs_key *x = *(const hvs_key *const *)a, *y = *(const hvs_key *const *)b;
	int r = strcmp(x->name, y->name);
	return r ? r : cmp_insertion(a, b);
}

/*
 * Find every key's parent (a Node, anywhere in any table, before or after
 * it in file order), drop keys whose chain of parents does not reach the
 * root (dangling or looping), and lay out children and ordinals
 * (format.md 2.8).  Time O(n log n), memory O(n).
 */
hvs_status hvs__store_build_tree(hvs_store *st)
{
	size_t n = st->nkeys, i, j, unreachable = 0;
	hvs_key *keys = st->keys;
	hvs_key **tmp = NULL;
	uint8_t *state = NULL;
	uint32_t *path = NULL, *fill = NULL;
	hvs_status s = HVS_OK;

	/* The arena no longer moves: turn name offsets into pointers. */
	for (i = 0; i < n; i++)
		keys[i].name = st->names + keys[i].name_off;
	/* Everything below is O(n) memory: a few u32/pointer arrays. */
	tmp = hvs__calloc(&st->alloc, n, sizeof *tmp);
	state = hvs__calloc(&st->alloc, n, 1);
	path = hvs__calloc(&st->alloc, n, sizeof *path);
	fill = hvs__calloc(&st->alloc, n, sizeof *fill);
	st->children = hvs__calloc(&st->alloc, n, sizeof *st->children);
	st->by_name = hvs__calloc(&st->alloc, n, sizeof *st->by_name);
	if (!tmp || !state || !path || !fill || !st->children || !st->by_name) {
		s = hvs__err_set(&st->err, HVS_E_NOMEM, "key tree: out of memory");
		goto out;
	}

	/* Pass 1: map (table, offset) -> key by sorting and binary search. */
	for (i = 1; i < n; i++)
		tmp[i - 1] = &keys[i];
	qsort(tmp, n - 1, sizeof *tmp, cmp_addr);
	for (i = 1; i < n; i++) {
		hvs_key *k = &keys[i];
		uint64_t want = (uint64_t)k->parent_table << 32 | k->parent_offset;
		size_t lo = 0, hi = n - 1;
		/* Table 0 is the root sentinel: only (0, 0) is meaningful. */
		if (k->parent_table == 0) {
			if (k->parent_offset == 0) {
				k->parent = 0;
				continue;
			}
			s = hvs__store_problem(st, HVS__P_FATAL, k->file_offset,
					       "key table %u: entry at +0x%X: parent (table 0, +0x%X) is not the root",
					       k->table_index, k->entry_offset, k->parent_offset);
			if (s != HVS_OK)
				goto out;
			continue;
		}
		/* Lower bound of the parent's address; parents may be in any
		 * table and after the child in file order (format.md 2.8). */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (key_addr(tmp[mid]) < want)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= n - 1 || key_addr(tmp[lo]) != want) {
			s = hvs__store_problem(st, HVS__P_FATAL, k->file_offset,
					       "key table %u: entry at +0x%X (\"%s\"): parent (table %u, +0x%X) not found",
					       k->table_index, k->entry_offset, k->name,
					       k->parent_table, k->parent_offset);
		} else if (tmp[lo]->raw_type != HVS_KE_NODE) {
			s = hvs__store_problem(st, HVS__P_FATAL, k->file_offset,
					       "key table %u: entry at +0x%X (\"%s\"): parent (table %u, +0x%X) is a type %u entry, not a node",
					       k->table_index, k->entry_offset, k->name,
					       k->parent_table, k->parent_offset, tmp[lo]->raw_type);
		} else {
			k->parent = (uint32_t)(tmp[lo] - keys);
		}
		if (s != HVS_OK)
			goto out;
	}

	/* Pass 2: which keys reach the root?  state 0 new, 1 on the current
	 * path, 2 reaches the root, 3 does not (dangling or in a loop). */
	state[0] = 2;
	for (i = 1; i < n; i++) {
		size_t depth = 0;
		uint32_t cur = (uint32_t)i;
		uint8_t verdict;
		/* Climb until a key already judged, the root, or a gap; every
		 * key is climbed through once, so the pass is O(n). */
		while (cur != NONE && state[cur] == 0) {
			state[cur] = 1;
			path[depth++] = cur;
			cur = keys[cur].parent;
		}
		if (cur == NONE) {
			verdict = 3;
		} else if (state[cur] == 1) {
			/* Met our own path again: the parent links loop. */
			verdict = 3;
			s = hvs__store_problem(st, HVS__P_FATAL, keys[cur].file_offset,
					       "key table %u: entry at +0x%X (\"%s\"): parent links form a loop",
					       keys[cur].table_index, keys[cur].entry_offset, keys[cur].name);
			if (s != HVS_OK)
				goto out;
		} else {
			verdict = state[cur];
		}
		for (j = 0; j < depth; j++)
			state[path[j]] = verdict;
	}

	/* Pass 3: children grouped per parent (counting sort), then ordered. */
	for (i = 1; i < n; i++) {
		if (state[i] != 2) {
			unreachable++;
			continue;
		}
		keys[keys[i].parent].child_count++;
		st->info.key_count++;
	}
	if (unreachable)
		HVS_TRY(hvs__store_problem(st, HVS__P_NOTE, UINT64_MAX,
					   "%zu keys are not reachable from the root", unreachable));
	{
		uint32_t pos = 0;
		for (i = 0; i < n; i++) {
			keys[i].child_first = pos;
			fill[i] = pos;
			pos += keys[i].child_count;
		}
	}
	for (i = 1; i < n; i++)
		if (state[i] == 2)
			st->children[fill[keys[i].parent]++] = (uint32_t)i;
	for (i = 0; i < n; i++) {
		hvs_key *p = &keys[i];
		uint32_t m = p->child_count, f = p->child_first;
		if (m == 0)
			continue;
		for (j = 0; j < m; j++)
			tmp[j] = &keys[st->children[f + j]];
		qsort(tmp, m, sizeof *tmp, cmp_insertion);
		for (j = 0; j < m; j++) {
			st->children[f + j] = (uint32_t)(tmp[j] - keys);
			if (j && tmp[j]->insertion_seq == tmp[j - 1]->insertion_seq) {
				s = hvs__store_problem(st, HVS__P_DAMAGE, tmp[j]->file_offset,
						       "key table %u: entry at +0x%X (\"%s\"): InsertionSequence %u repeats among its siblings",
						       tmp[j]->table_index, tmp[j]->entry_offset,
						       tmp[j]->name, tmp[j]->insertion_seq);
				if (s != HVS_OK)
					goto out;
			}
		}
		qsort(tmp, m, sizeof *tmp, cmp_name);
		for (j = 0; j < m; j++) {
			int same_prev = j && strcmp(tmp[j]->name, tmp[j - 1]->name) == 0;
			int same_next = j + 1 < m && strcmp(tmp[j]->name, tmp[j + 1]->name) == 0;
			st->by_name[f + j] = (uint32_t)(tmp[j] - keys);
			tmp[j]->ordinal = same_prev ? tmp[j - 1]->ordinal + 1 : 0;
			tmp[j]->name_shared = (uint8_t)(same_prev || same_next);
		}
	}
	s = HVS_OK;
out:
	hvs__free(&st->alloc, tmp);
	hvs__free(&st->alloc, state);
	hvs__free(&st->alloc, path);
	hvs__free(&st->alloc, fill);
	return s;
}

/* ----------------------------------------------------------- accessors */

/* Names used by `hvs keys` and the JSON output; stable. */
const char *hvs_key_type_name(hvs_key_type type)
{
	switch (type) {
	case HVS_KEY_ROOT: return "root";
	case HVS_KEY_NODE: return "node";
	case HVS_KEY_INT: return "int";
	case HVS_KEY_UINT: return "uint";
	case HVS_KEY_DOUBLE: return "double";
	case HVS_KEY_STRING: return "string";
	case HVS_KEY_ARRAY: return "array";
	case HVS_KEY_BOOL: return "bool";
	case HVS_KEY_OTHER: return "other";
	}
	return "other";
}

/* The accessors below only look at the key and its store's arrays; a
 * NULL key gives the neutral answer instead of a crash. */
size_t hvs_key_child_count(const hvs_key *k)
{
	return k ? k->child_count : 0;
}

const hvs_key *hvs_key_child(const hvs_key *k, size_t i)
{
	if (!k || i >= k->child_count)
		return NULL;
	return &k->st->keys[k->st->children[k->child_first + i]];
}

/* Same-name siblings are adjacent in by_name, in ordinal order, so the
 * ordinal is an offset from the lower bound of the name. */
const hvs_key *hvs_key_find_child(const hvs_key *k, const char *name, size_t ordinal)
{
	const uint32_t *g;
	size_t lo = 0, hi;
	if (!k || !name)
		return NULL;
	g = k->st->by_name + k->child_first;
	hi = k->child_count;
	/* Lower bound of @name in the name-sorted group. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(k->st->keys[g[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ordinal >= k->child_count - lo)
		return NULL;
	lo += ordinal;
	if (strcmp(k->st->keys[g[lo]].name, name) != 0)
		return NULL;
	return &k->st->keys[g[lo]];
}

const hvs_key *hvs_key_parent(const hvs_key *k)
{
	if (!k || k->parent == NONE)
		return NULL;
	return &k->st->keys[k->parent];
}

const char *hvs_key_name(const hvs_key *k)
{
	return k ? k->name : "";
}

size_t hvs_key_ordinal(const hvs_key *k)
{
	return k ? k->ordinal : 0;
}

hvs_key_type hvs_key_get_type(const hvs_key *k)
{
	return k ? (hvs_key_type)k->type : HVS_KEY_OTHER;
}

uint64_t hvs_key_value_size(const hvs_key *k)
{
	return k ? k->value_size : 0;
}

void hvs_key_get_info(const hvs_key *k, hvs_key_info *out)
{
	if (!k || !out)
		return;
	memset(out, 0, sizeof *out);
	out->type = (hvs_key_type)k->type;
	out->raw_type = k->raw_type;
	out->flags = k->flags;
	out->table_index = k->table_index;
	out->entry_offset = k->entry_offset;
	out->file_offset = k->file_offset;
	out->entry_size = k->entry_size;
	out->insertion_seq = k->insertion_seq;
	out->value_size = k->value_size;
	out->value_offset = k->value_offset;
	out->is_file_object = (k->flags & HVS_KE_FLAG_FILE_OBJECT) != 0;
	out->node_change_seq = k->node_change_seq;
	out->node_next_insertion = k->node_next_insertion;
}

/* ---------------------------------------------------------------- paths */

/*
 * Resolve a path component by component with hvs_key_find_child (binary
 * search in the name-sorted child list).  Syntax: store.h and
 * storage.md section 7.
 */
hvs_status hvs_store_find(hvs_store *st, const char *path, const hvs_key **out)
{
	const hvs_key *k;
	const char *p;
	char name[1024];

	if (!st || !path || !out)
		return HVS_E_INVALID;
	*out = NULL;
	k = &st->keys[0];
	p = path;
	if (*p == '/')
		p++;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t ordinal = 0, nlen = len;
		/* An optional "[n]" suffix picks among same-name siblings. */
		if (len && p[len - 1] == ']') {
			const char *lb = NULL, *q;
			for (q = p + len - 1; q > p; q--)
				if (*q == '[') {
					lb = q;
					break;
				}
			if (!lb || lb + 2 >= p + len)
				return HVS_E_INVALID;
			for (q = lb + 1; q < p + len - 1; q++) {
				if (*q < '0' || *q > '9' || ordinal > (SIZE_MAX - 9) / 10)
					return HVS_E_INVALID;
				ordinal = ordinal * 10 + (size_t)(*q - '0');
			}
			nlen = (size_t)(lb - p);
		}
		if (nlen == 0 || nlen >= sizeof name)
			return HVS_E_INVALID;
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		k = hvs_key_find_child(k, name, ordinal);
		if (!k)
			return HVS_E_NOTFOUND;
		if (!end)
			break;
		p = end + 1;
		if (!*p) /* one trailing slash is allowed */
			break;
	}
	*out = k;
	return HVS_OK;
}

/* Write "/name" or "/name[n]" for @k at @buf + @pos when it fits. */
static size_t put_component(const hvs_key *k, char *buf, size_t size, size_t pos)
{
	char ord[24] = "";
	size_t nl = strlen(k->name), ol;
	if (k->name_shared)
		snprintf(ord, sizeof ord, "[%u]", (unsigned)k->ordinal);
	ol = strlen(ord);
	if (pos + 1 + nl + ol < size) {
		buf[pos] = '/';
		memcpy(buf + pos + 1, k->name, nl);
		memcpy(buf + pos + 1 + nl, ord, ol);
	}
	return 1 + nl + ol;
}

/* Two walks up the parent chain: one to measure, one to fill from the
 * end, so no temporary allocation is needed. */
hvs_status hvs_key_path(const hvs_key *k, char *buf, size_t size, size_t *len)
{
	const hvs_key *c;
	size_t total = 0, pos;

	if (!k || (!buf && size))
		return HVS_E_INVALID;
	/* First the length (the chain is finite: loops were cut at open). */
	for (c = k; c->parent != NONE; c = &c->st->keys[c->parent])
		total += put_component(c, NULL, 0, 0);
	if (total == 0)
		total = 1; /* the root is "/" */
	if (len)
		*len = total;
	if (total + 1 > size)
		return HVS_E_BUFSIZE;
	if (k->parent == NONE) {
		memcpy(buf, "/", 2);
		return HVS_OK;
	}
	/* Then fill from the end towards the root. */
	pos = total;
	for (c = k; c->parent != NONE; c = &c->st->keys[c->parent]) {
		size_t n = put_component(c, NULL, 0, 0);
		pos -= n;
		put_component(c, buf, size, pos);
	}
	buf[total] = '\0';
	return HVS_OK;
}

/* --------------------------------------------------------------- values */

/*
 * Range read of a value's payload.  value_offset already points past the
 * u32 length prefix of strings and arrays, or at the file object, so all
 * types are one contiguous range of the view.
 */
hvs_status hvs_key_read(hvs_store *st, const hvs_key *k, uint64_t off, void *buf,
			size_t len, size_t *done)
{
	size_t n;
	hvs_status s;

	if (done)
		*done = 0;
	if (!st || !k || (!buf && len))
		return HVS_E_INVALID;
	if (off >= k->value_size)
		return len ? HVS_E_NODATA : HVS_OK;
	n = (size_t)HVS__MIN((uint64_t)len, k->value_size - off);
	/* The payload was bounds-checked against the view at open. */
	s = hvs__store_read(st, k->value_offset + off, buf, n, "key value");
	if (s != HVS_OK)
		return s;
	if (done)
		*done = n;
	return n < len ? HVS_E_NODATA : HVS_OK;
}

/* Read the whole fixed-size value of a number or bool key. */
static hvs_status read_fixed(hvs_store *st, const hvs_key *k, hvs_key_type want,
			     uint8_t *b, size_t n)
{
	if (!st || !k)
		return HVS_E_INVALID;
	if (k->type != want || k->value_size != n)
		return hvs__err_set(&st->err, HVS_E_INVALID, "key \"%s\" is a %s, not a %s",
				    k->name, hvs_key_type_name((hvs_key_type)k->type),
				    hvs_key_type_name(want));
	return hvs_key_read(st, k, 0, b, n, NULL);
}

/* Typed getters: the on-disk encodings of format.md 2.6, little-endian. */
hvs_status hvs_key_get_int(hvs_store *st, const hvs_key *k, int64_t *out)
{
	uint8_t b[8];
	if (!out)
		return HVS_E_INVALID;
	HVS_TRY(read_fixed(st, k, HVS_KEY_INT, b, 8));
	*out = (int64_t)hvs__le64(b);
	return HVS_OK;
}

hvs_status hvs_key_get_uint(hvs_store *st, const hvs_key *k, uint64_t *out)
{
	uint8_t b[8];
	if (!out)
		return HVS_E_INVALID;
	HVS_TRY(read_fixed(st, k, HVS_KEY_UINT, b, 8));
	*out = hvs__le64(b);
	return HVS_OK;
}

hvs_status hvs_key_get_double(hvs_store *st, const hvs_key *k, double *out)
{
	uint8_t b[8];
	uint64_t u;
	if (!out)
		return HVS_E_INVALID;
	HVS_TRY(read_fixed(st, k, HVS_KEY_DOUBLE, b, 8));
	u = hvs__le64(b);
	memcpy(out, &u, sizeof *out); /* IEEE-754 binary64 on every supported host */
	return HVS_OK;
}

hvs_status hvs_key_get_bool(hvs_store *st, const hvs_key *k, int *out)
{
	uint8_t b[4];
	if (!out)
		return HVS_E_INVALID;
	HVS_TRY(read_fixed(st, k, HVS_KEY_BOOL, b, 4));
	*out = hvs__le32(b) != 0;
	return HVS_OK;
}

/* Read the UTF-16LE payload, strip trailing NULs, convert to UTF-8.  The
 * whole string is read even for a size query: strings are small and the
 * UTF-8 length depends on every code unit. */
hvs_status hvs_key_get_string(hvs_store *st, const hvs_key *k, char *buf,
			      size_t size, size_t *len)
{
	uint8_t *raw;
	size_t n, need;
	hvs_status s;

	if (len)
		*len = 0;
	if (!st || !k || (!buf && size))
		return HVS_E_INVALID;
	if (k->type != HVS_KEY_STRING)
		return hvs__err_set(&st->err, HVS_E_INVALID, "key \"%s\" is a %s, not a string",
				    k->name, hvs_key_type_name((hvs_key_type)k->type));
	if (k->value_size > SIZE_MAX / 2)
		return hvs__err_set(&st->err, HVS_E_NOMEM, "key \"%s\": string too large", k->name);
	n = (size_t)k->value_size;
	raw = hvs__malloc(&st->alloc, n);
	if (!raw)
		return hvs__err_set(&st->err, HVS_E_NOMEM, "key \"%s\": out of memory", k->name);
	s = hvs_key_read(st, k, 0, raw, n, NULL);
	if (s == HVS_OK) {
		/* Real files store no NUL; openvmm's writer appends one (2.6). */
		n &= ~(size_t)1;
		while (n >= 2 && raw[n - 1] == 0 && raw[n - 2] == 0)
			n -= 2;
		need = hvs__utf16le_to_utf8(raw, n, NULL, 0);
		if (len)
			*len = need;
		if (need + 1 > size)
			s = HVS_E_BUFSIZE;
		else
			hvs__utf16le_to_utf8(raw, n, buf, size);
	}
	hvs__free(&st->alloc, raw);
	return s;
}
