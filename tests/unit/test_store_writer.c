/* SPDX-License-Identifier: MIT */
/*
 * Tests of the HyperVStorage writer (src/store/writer.c).  Every file the
 * writer produces is checked twice:
 *   - by an independent raw parser in this file (own bitwise CRC-32, own
 *     offsets from format.md 2.2-2.7) against every writer rule of
 *     format.md 2.10 and the layout in docs/format/storage-writing.md;
 *   - by reading it back through the public reader API (strict open) and
 *     comparing names, types, values, sibling order and bytes with an
 *     in-test model of what was added.
 */
#include "test.h"

#include "gen_store.h"
#include "store/format.h"
#include "store/writer_int.h"
#include "util/util.h"

/* ------------------------------------------------- independent CRC-32 */

/* Bitwise CRC-32 (IEEE, reflected 0xEDB88320), format.md 2.9; written
 * independently of src/util/crc32.c so a table bug there cannot hide. */
static uint32_t ref_crc(const uint8_t *p, size_t n, size_t skip)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int b;
	for (i = 0; i < n; i++) {
		uint8_t v = (i >= skip && i < skip + 4) ? 0 : p[i];
		c ^= v;
		for (b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}
#define NOSKIP ((size_t)-1)

static uint32_t g16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t g32(const uint8_t *p) { return g16(p) | g16(p + 2) << 16; }
static uint64_t g64(const uint8_t *p) { return g32(p) | (uint64_t)g32(p + 4) << 32; }

/* ------------------------------------------- raw rule checker (2.10) */

typedef struct raw_entry {
	uint64_t off;        /* file offset */
	uint32_t table, toff;
	uint32_t ptable, poff;
	uint32_t seq, next;  /* next: nodes' NextInsertionSequence */
	uint32_t maxchild;   /* computed */
	uint8_t type;
	int order;           /* emission order */
} raw_entry;

typedef struct raw_summary {
	uint32_t key_tables, object_tables, file_objects, keys, free_entries;
	uint32_t slack_entries;
} raw_summary;

static int rule_failed;
static char rule_msg[512];

#define RULE(cond, ...)                                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			snprintf(rule_msg, sizeof rule_msg, __VA_ARGS__);      \
			rule_failed = 1;                                       \
			goto out;                                              \
		}                                                              \
	} while (0)

/* Meaningful value bytes of a key entry (format.md 2.6 value table). */
static uint32_t meaningful(const uint8_t *e)
{
	const uint8_t *v = e + 21 + e[20];
	if (e[1] & 1)
		return 12;
	switch (e[0]) {
	case 3: case 4: case 5: return 8;
	case 8: return 4;
	case 9: return 12;
	case 6: case 7: return 4 + g32(v);
	default: return 0;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Check every writer rule of format.md 2.10 on the raw bytes.  Returns 0
 * and fills @sum, or -1 with rule_msg set.
 */
static int check_rules(const uint8_t *f, size_t flen, raw_summary *sum)
{
	uint64_t kt_off[4096], fo_off[4096];
	uint32_t fo_size[4096];
	uint32_t nkt = 0, nfo = 0, i, j;
	raw_entry *ents = NULL;
	size_t nents = 0, cap = 0;
	uint64_t ot = 0x2000, seen_ot[64];
	uint32_t nseen = 0;
	uint64_t log_off, log_size;

	rule_failed = 0;
	memset(sum, 0, sizeof *sum);
	RULE(flen >= 0x8000 && flen % 0x1000 == 0, "file size 0x%zx", flen);
	/* Headers (format.md 2.2). */
	for (i = 0; i < 2; i++) {
		const uint8_t *h = f + i * 0x1000;
		RULE(g32(h) == 0x01282014, "header %u signature", i);
		RULE(g32(h + 4) == ref_crc(h, 46, 4), "header %u CRC", i);
		RULE(g32(h + 0x0A) == 0x0400, "header %u version 0x%x", i, g32(h + 0x0A));
		RULE(g32(h + 0x16) == 0x1000, "header %u alignment", i);
		RULE(g32(h + 0x2A) == 0x1000, "header %u log header size", i);
		RULE(g64(h + 0x22) >= 0x1000, "header %u log size", i);
		for (j = 46; j < 0x1000; j++)
			RULE(h[j] == 0, "header %u byte 0x%x not zero", i, j);
	}
	RULE(g16(f + 8) != g16(f + 0x1008), "header sequences equal");
	RULE(g16(f + 8) == 2 && g16(f + 0x1008) == 1, "sequences %u/%u",
	     g16(f + 8), g16(f + 0x1008));
	RULE(memcmp(f + 0x0A, f + 0x100A, 46 - 0x0A) == 0, "header copies differ");
	log_off = g64(f + 0x1A);
	log_size = g64(f + 0x22);
	RULE(log_off == 0x3000 && log_size == 0x4000, "log at 0x%" PRIx64, log_off);
	/* Replay log header (format.md 2.3): count 0, max 145, CRC. */
	{
		const uint8_t *l = f + log_off;
		RULE(g32(l) == 0x01110003, "log signature");
		RULE(g32(l + 4) == ref_crc(l, 34, 4), "log CRC");
		RULE(g32(l + 8) == 0, "log count %u", g32(l + 8));
		RULE(g32(l + 0x0D) == 145 && 145 == (0x1000 - 34) / 28, "log max %u",
		     g32(l + 0x0D));
		for (j = 34; j < log_size; j++)
			RULE(l[j] == 0, "log byte 0x%x not zero", j);
	}
	/* Object tables (format.md 2.4): 227 slots, every slot CRC'd, last
	 * slot chain or empty. */
	while (ot) {
		const uint8_t *t = f + ot;
		uint64_t next = 0;
		RULE(ot % 0x1000 == 0 && ot + 0x1000 <= flen, "object table 0x%" PRIx64, ot);
		for (j = 0; j < nseen; j++)
			RULE(seen_ot[j] != ot, "object table loop");
		RULE(nseen < 64, "too many object tables");
		seen_ot[nseen++] = ot;
		RULE(g32(t) == 0x01110001 && g32(t + 4) == 227, "object table header");
		for (j = 0; j < 227; j++) {
			const uint8_t *e = t + 8 + j * 18;
			uint64_t off = g64(e + 5);
			uint32_t size = g32(e + 13);
			RULE(g32(e + 1) == ref_crc(e, 18, 1), "OT 0x%" PRIx64 " slot %u CRC", ot, j);
			if (j == 226) {
				RULE(e[0] == 0 || e[0] == 1, "last slot type %u", e[0]);
				if (e[0] == 1) {
					RULE(size == 0x1000, "chain size");
					next = off;
				}
				continue;
			}
			RULE(e[0] == 0 || e[0] == 2 || e[0] == 3, "slot type %u", e[0]);
			if (e[0] == 0) {
				/* All-zero empty slot: the known CRC (format.md 2.4). */
				RULE(g32(e + 1) == 0x671BCF4D && off == 0 && size == 0,
				     "empty slot");
			} else if (e[0] == 2) {
				RULE(e[17] == 1 && size == 0x1000 && off % 0x1000 == 0 &&
				     off + 0x1000 <= flen, "key table object");
				RULE(nkt < 4096, "too many key tables");
				kt_off[nkt++] = off;
			} else {
				RULE(e[17] == 0 && size % 0x1000 == 0 && size &&
				     off % 0x1000 == 0 && off + size <= flen,
				     "file object 0x%" PRIx64 "+0x%x", off, size);
				RULE(nfo < 4096, "too many file objects");
				fo_off[nfo] = off;
				fo_size[nfo++] = size;
			}
		}
		sum->object_tables++;
		ot = next;
	}
	/* Objects must not overlap each other or the fixed structures. */
	{
		uint64_t all[8192];
		uint32_t n = 0;
		for (j = 0; j < nkt; j++)
			all[n++] = kt_off[j] << 1;
		for (j = 0; j < nfo; j++)
			all[n++] = fo_off[j] << 1 | 1;
		qsort(all, n, sizeof all[0], cmp_u64);
		for (j = 0; j < n; j++) {
			uint64_t off = all[j] >> 1, end = off + 0x1000;
			RULE(off >= 0x7000, "object at 0x%" PRIx64 " overlaps the fixed area", off);
			if (all[j] & 1) {
				uint32_t k;
				for (k = 0; k < nfo; k++)
					if (fo_off[k] == off)
						end = off + fo_size[k];
			}
			RULE(j + 1 == n || (all[j + 1] >> 1) >= end, "objects overlap at 0x%" PRIx64, off);
		}
	}
	/* Key tables (format.md 2.5/2.6): TableIndex 1..n in order. */
	for (i = 0; i < nkt; i++) {
		const uint8_t *t = f + kt_off[i];
		uint32_t o = 10, last_nonfree = 0;
		int saw_free = 0;
		RULE(g16(t) == 2, "key table signature");
		RULE(g16(t + 2) == i + 1, "key table %u has index %u", i + 1, g16(t + 2));
		RULE(g16(t + 4) >= 1, "key table sequence 0");
		RULE(g32(t + 6) == ref_crc(t, 10, 6), "key table %u CRC", i + 1);
		while (o < 0x1000) {
			const uint8_t *e = t + o;
			uint32_t size, m;
			RULE(o + 21 <= 0x1000, "entry header crosses the table end");
			size = g32(e + 2);
			RULE(size >= 21 && o + size <= 0x1000, "entry size %u at %u", size, o);
			RULE(!saw_free, "entry after a Free entry");
			if (e[0] == 1) {
				/* Free filler: > 21 bytes, CRC 0, the rest zero. */
				RULE(size > 21 && g32(e + 12) == 0, "Free entry %u bytes", size);
				for (j = 21; j < size; j++)
					RULE(e[j] == 0, "Free filler not zero");
				saw_free = 1;
				sum->free_entries++;
				o += size;
				continue;
			}
			RULE(e[0] >= 3 && e[0] <= 9, "entry type %u", e[0]);
			RULE(e[20] >= 2 && e[20] <= 255 && e[21 + e[20] - 1] == 0 &&
			     memchr(e + 21, 0, e[20]) == e + 21 + e[20] - 1, "name");
			m = 21 + e[20] + meaningful(e);
			RULE(m <= size, "meaningful %u > size %u", m, size);
			RULE(g32(e + 12) == ref_crc(e, m, 12), "entry CRC at %u", o);
			if (m < size) {
				/* Slack: 1..21 bytes of zero, only where the next
				 * entry would not fit a Free entry (table end). */
				RULE(size - m <= 21 && o + size == 0x1000,
				     "slack %u at %u", size - m, o);
				for (j = m; j < size; j++)
					RULE(e[j] == 0, "slack not zero");
				sum->slack_entries++;
			}
			if (e[1] & 1) {
				uint64_t ptr = g64(e + 21 + e[20] + 4);
				uint32_t dsz = g32(e + 21 + e[20]), k;
				int found = 0;
				RULE(e[0] == 7 || e[0] == 6, "file object type");
				RULE(dsz >= 2048, "file object of %u bytes", dsz);
				for (k = 0; k < nfo; k++)
					if (fo_off[k] == ptr &&
					    fo_size[k] == ((dsz + 0xFFFu) & ~0xFFFu))
						found = 1;
				RULE(found, "file object 0x%" PRIx64 " not in the object table", ptr);
				/* Alignment padding is zero. */
				for (k = dsz; k % 0x1000; k++)
					RULE(f[ptr + k] == 0, "file object padding");
			} else if (e[0] == 6 || e[0] == 7) {
				RULE(g32(e + 21 + e[20]) < 2048, "inline value >= 2048");
			}
			if (cap == nents) {
				cap = cap ? cap * 2 : 256;
				ents = realloc(ents, cap * sizeof *ents);
			}
			memset(&ents[nents], 0, sizeof ents[nents]);
			ents[nents].off = kt_off[i] + o;
			ents[nents].table = i + 1;
			ents[nents].toff = o;
			ents[nents].ptable = g16(e + 6);
			ents[nents].poff = g32(e + 8);
			ents[nents].seq = g32(e + 16);
			ents[nents].type = e[0];
			ents[nents].next = e[0] == 9 ? g32(e + 21 + e[20] + 8) : 0;
			ents[nents].order = (int)nents;
			RULE(e[0] != 9 || g64(e + 21 + e[20]) == 0, "change tracking seq");
			nents++;
			last_nonfree = o;
			o += size;
		}
		(void)last_nonfree;
		RULE(o == 0x1000, "key table %u not exactly filled (%u)", i + 1, o);
	}
	/* Tree rules: parents before children, seqs 1..k per parent,
	 * NextInsertionSequence = max child seq + 1. */
	{
		/* Per parent: count and max; uniqueness via sum of seqs. */
		uint64_t root_sum = 0;
		uint32_t root_n = 0, root_max = 0;
		uint64_t *psum = calloc(nents + 1, sizeof *psum);
		uint32_t *pn = calloc(nents + 1, sizeof *pn);
		size_t a, b;
		for (a = 0; a < nents && !rule_failed; a++) {
			raw_entry *e = &ents[a];
			if (e->ptable == 0) {
				if (e->poff != 0) {
					rule_failed = 1;
					snprintf(rule_msg, sizeof rule_msg, "root parent offset");
				}
				root_sum += e->seq;
				root_n++;
				if (e->seq > root_max)
					root_max = e->seq;
				continue;
			}
			for (b = 0; b < a; b++)
				if (ents[b].table == e->ptable && ents[b].toff == e->poff)
					break;
			if (b == a || ents[b].type != 9) {
				rule_failed = 1;
				snprintf(rule_msg, sizeof rule_msg,
					 "entry 0x%" PRIx64 ": parent not an earlier node", e->off);
				break;
			}
			psum[b] += e->seq;
			pn[b]++;
			if (e->seq > ents[b].maxchild)
				ents[b].maxchild = e->seq;
		}
		/* 1..k with max k and sum k(k+1)/2 and unique (checked by
		 * the reader too) means exactly 1..k. */
		if (!rule_failed && (root_max != root_n ||
				     root_sum != (uint64_t)root_n * (root_n + 1) / 2)) {
			rule_failed = 1;
			snprintf(rule_msg, sizeof rule_msg, "root insertion seqs");
		}
		for (a = 0; a < nents && !rule_failed; a++) {
			if (ents[a].type != 9)
				continue;
			if (ents[a].maxchild != pn[a] ||
			    psum[a] != (uint64_t)pn[a] * (pn[a] + 1) / 2 ||
			    ents[a].next != ents[a].maxchild + 1) {
				rule_failed = 1;
				snprintf(rule_msg, sizeof rule_msg,
					 "node 0x%" PRIx64 ": %u children, max seq %u, next %u",
					 ents[a].off, pn[a], ents[a].maxchild, ents[a].next);
			}
		}
		free(psum);
		free(pn);
		if (rule_failed)
			goto out;
	}
	sum->key_tables = nkt;
	sum->file_objects = nfo;
	sum->keys = (uint32_t)nents;
out:
	free(ents);
	return rule_failed ? -1 : 0;
}

#define CHECK_RULES(f, n, sum)                                                 \
	do {                                                                   \
		if (check_rules((f), (n), (sum)) != 0) {                       \
			test__fail(__FILE__, __LINE__, "format rule: %s", rule_msg); \
			return;                                                \
		}                                                              \
	} while (0)

/* ------------------------------------------------------ in-test model */

typedef struct mkey {
	char name[256];
	int parent;          /* index, -1 = root */
	hvs_key_type type;
	int64_t i;
	uint64_t u;
	double d;
	const char *s;       /* string value (static) */
	uint8_t *data;       /* array value (owned) or NULL with pattern */
	size_t len;
	uint32_t pattern;    /* streamed arrays: byte k = f(k, pattern) */
	int first_child, last_child, next_sibling;
} mkey;

typedef struct model {
	mkey *k;
	size_t n, cap;
	int root_first, root_last;
} model;

static uint8_t pat(uint64_t k, uint32_t seed)
{
	uint64_t x = (k + 1) * 0x9E3779B97F4A7C15ull ^ seed;
	return (uint8_t)(x >> 29 ^ x >> 7);
}

static int madd(model *m, int parent, const char *name, hvs_key_type t)
{
	mkey *k;
	int id;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->k = realloc(m->k, m->cap * sizeof *m->k);
	}
	id = (int)m->n++;
	k = &m->k[id];
	memset(k, 0, sizeof *k);
	snprintf(k->name, sizeof k->name, "%s", name);
	k->parent = parent;
	k->type = t;
	k->first_child = k->last_child = k->next_sibling = -1;
	if (parent < 0) {
		if (m->root_last >= 0)
			m->k[m->root_last].next_sibling = id;
		else
			m->root_first = id;
		m->root_last = id;
	} else {
		mkey *p = &m->k[parent];
		if (p->last_child >= 0)
			m->k[p->last_child].next_sibling = id;
		else
			p->first_child = id;
		p->last_child = id;
	}
	return id;
}

/* Set a field of a new model key (madd may move m->k, so index after). */
#define MSET(idx, field, val)                                                  \
	do {                                                                   \
		int mset_ = (idx);                                             \
		m->k[mset_].field = (val);                                     \
	} while (0)

static void mfree(model *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		free(m->k[i].data);
	free(m->k);
}

/* Compare reader key @rk with model key @id (and their subtrees).
 * Returns 0 or -1 with rule_msg set. */
static int compare(hvs_store *st, const hvs_key *rk, const model *m, int id,
		   uint8_t *buf, size_t bufsize)
{
	const mkey *k = &m->k[id];
	size_t nchild = 0, i;
	int c;

	if (strcmp(hvs_key_name(rk), k->name) != 0 || hvs_key_get_type(rk) != k->type) {
		snprintf(rule_msg, sizeof rule_msg, "key %s: name/type %s/%d", k->name,
			 hvs_key_name(rk), (int)hvs_key_get_type(rk));
		return -1;
	}
	switch (k->type) {
	case HVS_KEY_INT: {
		int64_t v = 0;
		if (hvs_key_get_int(st, rk, &v) != HVS_OK || v != k->i)
			goto bad;
		break;
	}
	case HVS_KEY_UINT: {
		uint64_t v = 0;
		if (hvs_key_get_uint(st, rk, &v) != HVS_OK || v != k->u)
			goto bad;
		break;
	}
	case HVS_KEY_DOUBLE: {
		double v = 0;
		if (hvs_key_get_double(st, rk, &v) != HVS_OK ||
		    memcmp(&v, &k->d, sizeof v) != 0)
			goto bad;
		break;
	}
	case HVS_KEY_BOOL: {
		int v = -1;
		if (hvs_key_get_bool(st, rk, &v) != HVS_OK || v != (k->i != 0))
			goto bad;
		break;
	}
	case HVS_KEY_STRING: {
		size_t len = 0;
		if (hvs_key_get_string(st, rk, (char *)buf, bufsize, &len) != HVS_OK ||
		    len != strlen(k->s) || strcmp((char *)buf, k->s) != 0)
			goto bad;
		break;
	}
	case HVS_KEY_ARRAY: {
		uint64_t off = 0;
		if (hvs_key_value_size(rk) != k->len)
			goto bad;
		while (off < k->len) {
			size_t n = (size_t)HVS__MIN((uint64_t)bufsize, k->len - off), done = 0, j;
			if (hvs_key_read(st, rk, off, buf, n, &done) != HVS_OK || done != n)
				goto bad;
			for (j = 0; j < n; j++) {
				uint8_t want = k->data ? k->data[off + j]
						       : pat(off + j, k->pattern);
				if (buf[j] != want)
					goto bad;
			}
			off += n;
		}
		/* Reading past the end stops at the end (HVS_E_NODATA). */
		{
			size_t done = 99;
			if (hvs_key_read(st, rk, k->len, buf, 1, &done) != HVS_E_NODATA ||
			    done != 0)
				goto bad;
		}
		break;
	}
	default:
		break;
	}
	for (c = k->first_child; c >= 0; c = m->k[c].next_sibling)
		nchild++;
	if (hvs_key_child_count(rk) != nchild) {
		snprintf(rule_msg, sizeof rule_msg, "key %s: %zu children, want %zu",
			 k->name, hvs_key_child_count(rk), nchild);
		return -1;
	}
	for (i = 0, c = k->first_child; c >= 0; c = m->k[c].next_sibling, i++)
		if (compare(st, hvs_key_child(rk, i), m, c, buf, bufsize) != 0)
			return -1;
	return 0;
bad:
	snprintf(rule_msg, sizeof rule_msg, "key %s: value differs", k->name);
	return -1;
}

/* Compare the whole tree of @st with @m. */
static int compare_all(hvs_store *st, const model *m)
{
	const hvs_key *root = hvs_store_root(st);
	size_t n = 0, i;
	int c, r = 0;
	uint8_t *buf = malloc(65536);
	for (c = m->root_first; c >= 0; c = m->k[c].next_sibling)
		n++;
	if (hvs_key_child_count(root) != n) {
		snprintf(rule_msg, sizeof rule_msg, "root: %zu children, want %zu",
			 hvs_key_child_count(root), n);
		r = -1;
	}
	for (i = 0, c = m->root_first; r == 0 && c >= 0; c = m->k[c].next_sibling, i++)
		r = compare(st, hvs_key_child(root, i), m, c, buf, 65536);
	free(buf);
	return r;
}

/* ------------------------------------------------------------- tests */

static hvs_store_writer *new_writer(const char *name)
{
	hvs_store_writer *w = NULL;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_store_writer_opts o;
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	if (hvs_store_writer_create(&w, test_tmp_path(name), &o) != HVS_OK)
		fprintf(stderr, "create: %s\n", err);
	return w;
}

/* An empty container: exact bytes of every fixed structure. */
static void test_store_writer__empty(void)
{
	hvs_store_writer *w = new_writer("writer_empty.vmrs");
	uint8_t *f;
	size_t n;
	raw_summary sum;
	hvs_store *st = NULL;
	hvs_store_info info;
	static const uint8_t hdr0[46] = {
		0x14, 0x20, 0x28, 0x01,   /* signature 0x01282014 */
		0, 0, 0, 0,               /* CRC, checked below */
		0x02, 0x00,               /* sequence 2 */
		0x00, 0x04, 0x00, 0x00,   /* version 4.0 */
		0, 0, 0, 0, 0, 0, 0, 0,   /* data version, flags */
		0x00, 0x10, 0x00, 0x00,   /* alignment 0x1000 */
		0x00, 0x30, 0, 0, 0, 0, 0, 0, /* log at 0x3000 */
		0x00, 0x40, 0, 0, 0, 0, 0, 0, /* log size 0x4000 */
		0x00, 0x10, 0x00, 0x00,   /* log header size 0x1000 */
	};

	CHECK(w != NULL);
	CHECK_OK(hvs_store_writer_finish(w));
	CHECK_STATUS(hvs_store_writer_finish(w), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, "a", 1), HVS_E_INVALID);
	hvs_store_writer_close(w);
	f = test_read_file(test_tmp_path("writer_empty.vmrs"), &n);
	CHECK(f != NULL);
	/* One key table (all Free), one object table, nothing else. */
	CHECK_EQ(n, 0x8000);
	CHECK_MEM(f, hdr0, 4);
	CHECK_MEM(f + 8, hdr0 + 8, 46 - 8);
	CHECK_EQ(g32(f + 4), ref_crc(f, 46, 4));
	CHECK_EQ(g16(f + 0x1008), 1);
	CHECK_RULES(f, n, &sum);
	CHECK_EQ(sum.key_tables, 1);
	CHECK_EQ(sum.object_tables, 1);
	CHECK_EQ(sum.keys, 0);
	CHECK_EQ(sum.free_entries, 1);
	/* The Free entry covers the whole body: 0x1000 - 10 bytes. */
	CHECK_EQ(f[0x7000 + 10], 1);
	CHECK_EQ(g32(f + 0x7000 + 12), 0x1000 - 10);
	free(f);

	CHECK_OK(hvs_store_open_file(&st, test_tmp_path("writer_empty.vmrs"), NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.format_version, 0x0400);
	CHECK_EQ(info.active_header, 0);
	CHECK_EQ(info.header_sequence, 2);
	CHECK_EQ(info.key_count, 0);
	CHECK_EQ(info.replay_pending, 0);
	CHECK_EQ(hvs_key_child_count(hvs_store_root(st)), 0);
	hvs_store_close(st);
}

/* One int key: the exact bytes of its entry (format.md 2.6). */
static void test_store_writer__one_entry_bytes(void)
{
	hvs_store_writer *w = new_writer("writer_one.vmrs");
	uint8_t *f, want[31];
	size_t n;
	raw_summary sum;
	const uint8_t *e;

	CHECK(w != NULL);
	CHECK_OK(hvs_store_writer_add_int(w, HVS_WRITER_ROOT, "a", -2));
	CHECK_OK(hvs_store_writer_finish(w));
	hvs_store_writer_close(w);
	f = test_read_file(test_tmp_path("writer_one.vmrs"), &n);
	CHECK(f != NULL);
	CHECK_RULES(f, n, &sum);
	e = f + 0x7000 + 10;
	memset(want, 0, sizeof want);
	want[0] = 3;              /* Int */
	want[2] = 31;             /* 21 + "a\0" + 8 */
	want[16] = 1;             /* InsertionSequence 1 */
	want[20] = 2;             /* name size with NUL */
	want[21] = 'a';
	memset(want + 23, 0xFF, 8);
	want[23] = 0xFE;          /* -2 little-endian */
	{
		uint32_t c = ref_crc(want, 31, NOSKIP);
		want[12] = (uint8_t)c;
		want[13] = (uint8_t)(c >> 8);
		want[14] = (uint8_t)(c >> 16);
		want[15] = (uint8_t)(c >> 24);
	}
	CHECK_MEM(e, want, 31);
	/* Then a Free filler to the end of the table. */
	CHECK_EQ(e[31], 1);
	CHECK_EQ(g32(e + 31 + 2), 0x1000 - 10 - 31);
	free(f);
}

/*
 * Table filling at the boundary (format.md 2.5): a gap of 0 bytes, 1..21
 * bytes (absorbed as slack of the last entry) or >= 22 (Free entry).
 * Table body = 4086 bytes; a 2047-byte inline array named "x" takes
 * 21 + 2 + 4 + 2047 = 2074, so a second one of 1985 - g bytes leaves g.
 */
static void test_store_writer__fill(void)
{
	static const uint32_t gaps[] = { 0, 1, 21, 22, 23 };
	static uint8_t data[2047];
	size_t gi;

	memset(data, 0x5A, sizeof data);
	for (gi = 0; gi < HVS__ARRAY_SIZE(gaps); gi++) {
		uint32_t g = gaps[gi];
		hvs_store_writer *w = new_writer("writer_fill.vmrs");
		uint8_t *f;
		size_t n;
		raw_summary sum;
		const uint8_t *e2;

		CHECK(w != NULL);
		CHECK_OK(hvs_store_writer_add_array(w, 0, "x", data, 2047));
		CHECK_OK(hvs_store_writer_add_array(w, 0, "x", data, 1985 - g));
		CHECK_OK(hvs_store_writer_add_bool(w, 0, "next", 1));
		CHECK_OK(hvs_store_writer_finish(w));
		hvs_store_writer_close(w);
		f = test_read_file(test_tmp_path("writer_fill.vmrs"), &n);
		CHECK(f != NULL);
		CHECK_RULES(f, n, &sum);
		CHECK_EQ(sum.key_tables, 2);
		CHECK_EQ(sum.keys, 3);
		e2 = f + 0x7000 + 10 + 2074;
		if (g >= 1 && g <= 21) {
			CHECK_EQ(g32(e2 + 2), 27 + 1985);   /* slack absorbed */
			CHECK_EQ(sum.slack_entries, 1);
			CHECK_EQ(sum.free_entries, 1);      /* table 2 only */
		} else {
			CHECK_EQ(g32(e2 + 2), 27 + 1985 - g);
			CHECK_EQ(sum.slack_entries, 0);
			CHECK_EQ(sum.free_entries, g ? 2 : 1);
			if (g)
				CHECK_EQ(g32(e2 + 27 + 1985 - g + 2), g);
		}
		/* "next" opens table 2 at offset 10. */
		CHECK_EQ(f[0x8000 + 10], 8);
		CHECK_EQ(f[0x8000 + 10 + 21], 'n');
		free(f);
	}
}

/* Build the big tree through the API and a model at the same time. */
static void build_big(hvs_store_writer *w, model *m, int *ok)
{
	uint32_t id, id2, deep;
	int mi, mj, md;
	char name[300];
	size_t i;
	static const char *strs[] = { "", "vm1", "Gr\303\274\303\237e \360\237\230\200",
				      "x" };
	*ok = 0;
	/* Every value type under /types. */
	if (hvs_store_writer_add_node(w, 0, "types", &id) != HVS_OK) return;
	mi = madd(m, -1, "types", HVS_KEY_NODE);
	if (hvs_store_writer_add_int(w, id, "int", INT64_MIN) != HVS_OK) return;
	MSET(madd(m, mi, "int", HVS_KEY_INT), i, INT64_MIN);
	if (hvs_store_writer_add_uint(w, id, "uint", UINT64_MAX) != HVS_OK) return;
	MSET(madd(m, mi, "uint", HVS_KEY_UINT), u, UINT64_MAX);
	if (hvs_store_writer_add_double(w, id, "double", -1.5e300) != HVS_OK) return;
	MSET(madd(m, mi, "double", HVS_KEY_DOUBLE), d, -1.5e300);
	if (hvs_store_writer_add_bool(w, id, "bool", 7) != HVS_OK) return;
	MSET(madd(m, mi, "bool", HVS_KEY_BOOL), i, 1);
	if (hvs_store_writer_add_bool(w, id, "false", 0) != HVS_OK) return;
	MSET(madd(m, mi, "false", HVS_KEY_BOOL), i, 0);
	for (i = 0; i < HVS__ARRAY_SIZE(strs); i++) {
		if (hvs_store_writer_add_string(w, id, "str", strs[i]) != HVS_OK) return;
		MSET(madd(m, mi, "str", HVS_KEY_STRING), s, strs[i]);
	}
	{
		/* A string of 1500 UTF-16 symbols = 3000 bytes: file object. */
		static char longs[1501];
		memset(longs, 'L', 1500);
		if (hvs_store_writer_add_string(w, id, "longstr", longs) != HVS_OK) return;
		MSET(madd(m, mi, "longstr", HVS_KEY_STRING), s, longs);
	}
	/* Arrays at the inline/file-object boundary. */
	{
		static const size_t lens[] = { 0, 1, 48, 2047, 2048, 4096, 4097, 10000 };
		for (i = 0; i < HVS__ARRAY_SIZE(lens); i++) {
			uint8_t *d = malloc(lens[i] + 1);
			size_t j;
			int k;
			for (j = 0; j < lens[i]; j++)
				d[j] = pat(j, (uint32_t)i);
			snprintf(name, sizeof name, "arr%zu", lens[i]);
			if (hvs_store_writer_add_array(w, id, name, d, lens[i]) != HVS_OK) {
				free(d);
				return;
			}
			k = madd(m, mi, name, HVS_KEY_ARRAY);
			m->k[k].data = d;
			m->k[k].len = lens[i];
		}
	}
	/* Duplicate sibling names: three devicetype nodes with children. */
	if (hvs_store_writer_add_node(w, 0, "metrics", &id) != HVS_OK) return;
	mi = madd(m, -1, "metrics", HVS_KEY_NODE);
	for (i = 0; i < 3; i++) {
		if (hvs_store_writer_add_node(w, id, "devicetype", &id2) != HVS_OK) return;
		mj = madd(m, mi, "devicetype", HVS_KEY_NODE);
		if (hvs_store_writer_add_uint(w, id2, "id", i) != HVS_OK) return;
		MSET(madd(m, mj, "id", HVS_KEY_UINT), u, i);
	}
	/* A deep chain of 60 nodes. */
	deep = 0;
	md = -1;
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof name, "d%zu", i);
		if (hvs_store_writer_add_node(w, deep, name, &deep) != HVS_OK) return;
		md = madd(m, md, name, HVS_KEY_NODE);
	}
	if (hvs_store_writer_add_int(w, deep, "leaf", 42) != HVS_OK) return;
	MSET(madd(m, md, "leaf", HVS_KEY_INT), i, 42);
	/* Many key tables: 2500 small keys with long-ish names. */
	if (hvs_store_writer_add_node(w, 0, "many", &id) != HVS_OK) return;
	mi = madd(m, -1, "many", HVS_KEY_NODE);
	for (i = 0; i < 2500; i++) {
		snprintf(name, sizeof name, "key_%05zu_with_a_longer_name", i);
		if (hvs_store_writer_add_uint(w, id, name, i * 7) != HVS_OK) return;
		MSET(madd(m, mi, name, HVS_KEY_UINT), u, i * 7);
	}
	{
		/* A name of the maximum 254 bytes. */
		memset(name, 'N', 254);
		name[254] = '\0';
		if (hvs_store_writer_add_int(w, id, name, 254) != HVS_OK) return;
		MSET(madd(m, mi, name, HVS_KEY_INT), i, 254);
	}
	/* > 226 objects: 300 RamBlock-like file objects (chain of object
	 * tables), interleaved with small keys. */
	if (hvs_store_writer_add_node(w, 0, "savedstate", &id) != HVS_OK) return;
	mi = madd(m, -1, "savedstate", HVS_KEY_NODE);
	for (i = 0; i < 300; i++) {
		uint8_t d[2100];
		size_t j, len = 2048 + i % 50;
		int k;
		for (j = 0; j < len; j++)
			d[j] = pat(j, (uint32_t)(1000 + i));
		snprintf(name, sizeof name, "RamBlock%zu", i);
		if (hvs_store_writer_add_array(w, id, name, d, len) != HVS_OK) return;
		k = madd(m, mi, name, HVS_KEY_ARRAY);
		m->k[k].data = malloc(len);
		memcpy(m->k[k].data, d, len);
		m->k[k].len = len;
		snprintf(name, sizeof name, "RamMemoryBlock%zu", i);
		if (hvs_store_writer_add_uint(w, id, name, i) != HVS_OK) return;
		MSET(madd(m, mi, name, HVS_KEY_UINT), u, i);
	}
	/* A streamed 3 MiB value in uneven pieces. */
	{
		const size_t total = 3u << 20;
		uint8_t *piece = malloc(70001);
		size_t off = 0;
		int k;
		if (hvs_store_writer_array_begin(w, id, "stream", total) != HVS_OK) {
			free(piece);
			return;
		}
		while (off < total) {
			size_t n = HVS__MIN(total - off, (size_t)70001), j;
			for (j = 0; j < n; j++)
				piece[j] = pat(off + j, 77);
			if (hvs_store_writer_array_write(w, piece, n) != HVS_OK) {
				free(piece);
				return;
			}
			off += n;
		}
		free(piece);
		if (hvs_store_writer_array_end(w) != HVS_OK) return;
		k = madd(m, mi, "stream", HVS_KEY_ARRAY);
		m->k[k].len = total;
		m->k[k].pattern = 77;
	}
	/* A small streamed value stays inline. */
	if (hvs_store_writer_array_begin(w, id, "small_stream", 3) != HVS_OK ||
	    hvs_store_writer_array_write(w, "ab", 2) != HVS_OK ||
	    hvs_store_writer_array_write(w, "c", 1) != HVS_OK ||
	    hvs_store_writer_array_end(w) != HVS_OK)
		return;
	{
		int k = madd(m, mi, "small_stream", HVS_KEY_ARRAY);
		m->k[k].data = malloc(3);
		memcpy(m->k[k].data, "abc", 3);
		m->k[k].len = 3;
	}
	/* A node added late under an early parent. */
	if (hvs_store_writer_add_int(w, 1, "late", -7) != HVS_OK) return;
	MSET(madd(m, 0, "late", HVS_KEY_INT), i, -7);
	*ok = 1;
}

/* Problem sink: a writer file must give the reader nothing to report. */
static void count_problem(void *ud, hvs_status kind, uint64_t offset,
			  const char *msg)
{
	(void)kind;
	(*(int *)ud)++;
	fprintf(stderr, "  problem at 0x%" PRIx64 ": %s\n", offset, msg);
}

/* Everything at once, read back through the reader and checked raw. */
static void test_store_writer__roundtrip(void)
{
	const char *path = test_tmp_path("writer_big.vmrs");
	hvs_store_writer *w = new_writer("writer_big.vmrs");
	model m = { NULL, 0, 0, -1, -1 };
	hvs_store *st = NULL;
	hvs_store_info info;
	hvs_open_opts oo;
	char err[HVS_ERRMSG_MAX] = "";
	raw_summary sum;
	uint8_t *f;
	size_t n;
	int ok;

	CHECK(w != NULL);
	build_big(w, &m, &ok);
	if (!ok) {
		test__fail(__FILE__, __LINE__, "build: %s", hvs_store_writer_errmsg(w));
		hvs_store_writer_close(w);
		mfree(&m);
		return;
	}
	CHECK_OK(hvs_store_writer_finish(w));
	hvs_store_writer_close(w);

	f = test_read_file(path, &n);
	CHECK(f != NULL);
	if (check_rules(f, n, &sum) != 0) {
		test__fail(__FILE__, __LINE__, "format rule: %s", rule_msg);
		free(f);
		mfree(&m);
		return;
	}
	free(f);
	CHECK_EQ(sum.keys, m.n);
	/* 300 RamBlocks + longstr + arr2048/4096/4097/10000 + stream. */
	CHECK_EQ(sum.file_objects, 306);
	CHECK(sum.key_tables >= 30);
	/* (key tables + 306) objects at 226 per table. */
	CHECK_EQ(sum.object_tables, (sum.key_tables + 306 + 225) / 226);
	CHECK(sum.object_tables >= 2);
	printf("  %u keys in %u key tables (%u with slack), %u file objects, "
	       "%u object tables, %zu bytes\n", sum.keys, sum.key_tables,
	       sum.slack_entries, sum.file_objects, sum.object_tables, n);

	memset(&oo, 0, sizeof oo);
	oo.errbuf = err;
	oo.errbuf_size = sizeof err;
	if (hvs_store_open_file(&st, path, &oo) != HVS_OK) {
		test__fail(__FILE__, __LINE__, "open: %s", err);
		mfree(&m);
		return;
	}
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.key_count, m.n);
	{
		/* Lenient mode reports every non-fatal problem: none. */
		hvs_store *st2 = NULL;
		int problems = 0;
		oo.problem = count_problem;
		oo.problem_ud = &problems;
		CHECK_OK(hvs_store_open_file(&st2, path, &oo));
		hvs_store_close(st2);
		CHECK_EQ(problems, 0);
	}
	CHECK_EQ(info.key_table_count, sum.key_tables);
	CHECK_EQ(info.object_table_count, sum.object_tables);
	CHECK_EQ(info.file_object_count, 306);
	if (compare_all(st, &m) != 0) {
		test__fail(__FILE__, __LINE__, "tree: %s", rule_msg);
	} else {
		/* Paths with ordinals over duplicate names. */
		const hvs_key *k = NULL;
		uint64_t v = 9;
		char p[64];
		size_t len;
		if (hvs_store_find(st, "/metrics/devicetype[2]/id", &k) != HVS_OK ||
		    hvs_key_get_uint(st, k, &v) != HVS_OK || v != 2 ||
		    hvs_key_path(k, p, sizeof p, &len) != HVS_OK ||
		    strcmp(p, "/metrics/devicetype[2]/id") != 0)
			test__fail(__FILE__, __LINE__, "devicetype[2]");
		else if (hvs_store_find(st, "/types/str[2]", &k) != HVS_OK ||
			 hvs_key_ordinal(k) != 2)
			test__fail(__FILE__, __LINE__, "str[2]");
	}
	hvs_store_close(st);
	mfree(&m);
}

/* Misuse and limits: every one fails with a clear message and leaves the
 * writer usable. */
static void test_store_writer__errors(void)
{
	hvs_store_writer *w = NULL;
	hvs_store_writer_opts o;
	char err[HVS_ERRMSG_MAX] = "";
	char name[300];
	uint32_t id = 0, nid = 0;
	hvs_store *st = NULL;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.format_version = 0x0300;
	CHECK_STATUS(hvs_store_writer_create(&w, test_tmp_path("writer_err.vmrs"), &o),
		     HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "0x0300") != NULL);
	o.format_version = 0x0101;
	CHECK_STATUS(hvs_store_writer_create(&w, test_tmp_path("writer_err.vmrs"), &o),
		     HVS_E_UNSUPPORTED);
	o.format_version = 0;
	CHECK_STATUS(hvs_store_writer_create(&w, test_tmp_path("no/such/dir/x.vmrs"), &o),
		     HVS_E_IO);
	CHECK(strstr(err, "no/such/dir") != NULL);
	CHECK_STATUS(hvs_store_writer_create(NULL, "x", &o), HVS_E_INVALID);

	o.data_version = 0x1234;
	CHECK_OK(hvs_store_writer_create(&w, test_tmp_path("writer_err.vmrs"), &o));
	memset(name, 'n', 255);
	name[255] = '\0';
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, name, 1), HVS_E_INVALID);
	CHECK(strstr(hvs_store_writer_errmsg(w), "255 bytes") != NULL);
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, "", 1), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, NULL, 1), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, "bad\xC3", 1), HVS_E_INVALID);
	CHECK(strstr(hvs_store_writer_errmsg(w), "UTF-8") != NULL);
	CHECK_STATUS(hvs_store_writer_add_string(w, 0, "s", "bad\xFF"), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_add_int(w, 5, "orphan", 1), HVS_E_INVALID);
	CHECK(strstr(hvs_store_writer_errmsg(w), "parent id 5") != NULL);
	CHECK_OK(hvs_store_writer_add_node(w, 0, "n", &nid));
	CHECK_OK(hvs_store_writer_add_int(w, nid, "i", 1));
	/* Id 2 is the int: not a node. */
	CHECK_STATUS(hvs_store_writer_add_int(w, 2, "x", 1), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_add_array(w, 0, "a", NULL, 5), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_array_begin(w, 0, "big",
						  (uint64_t)HVS_WRITER_VALUE_MAX + 1),
		     HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_array_write(w, "x", 1), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_array_end(w), HVS_E_INVALID);
	/* Streaming: other calls refused until the value is complete. */
	CHECK_OK(hvs_store_writer_array_begin(w, nid, "s", 5000));
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, "x", 1), HVS_E_INVALID);
	CHECK(strstr(hvs_store_writer_errmsg(w), "array_end") != NULL);
	CHECK_STATUS(hvs_store_writer_add_node(w, 0, "x", &id), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_writer_finish(w), HVS_E_INVALID);
	{
		static uint8_t d[5001];
		CHECK_STATUS(hvs_store_writer_array_write(w, d, 5001), HVS_E_INVALID);
		CHECK_OK(hvs_store_writer_array_write(w, d, 4000));
		CHECK_STATUS(hvs_store_writer_array_end(w), HVS_E_INVALID);
		CHECK(strstr(hvs_store_writer_errmsg(w), "4000 of the declared 5000") != NULL);
		CHECK_OK(hvs_store_writer_array_write(w, d, 1000));
		CHECK_OK(hvs_store_writer_array_end(w));
	}
	CHECK_OK(hvs_store_writer_add_int(w, 0, "after", 3));
	CHECK_OK(hvs_store_writer_finish(w));
	hvs_store_writer_close(w);
	hvs_store_writer_close(NULL);
	CHECK_STR(hvs_store_writer_errmsg(NULL), "");

	/* The failed calls left no trace: the file holds n/i, n/s, after. */
	CHECK_OK(hvs_store_open_file(&st, test_tmp_path("writer_err.vmrs"), NULL));
	{
		hvs_store_info info;
		const hvs_key *k = NULL;
		int64_t v = 0;
		hvs_store_get_info(st, &info);
		CHECK_EQ(info.key_count, 4);
		CHECK_EQ(info.data_version, 0x1234);
		CHECK_OK(hvs_store_find(st, "/after", &k));
		CHECK_OK(hvs_key_get_int(st, k, &v));
		CHECK_EQ(v, 3);
		CHECK_OK(hvs_store_find(st, "/n/s", &k));
		CHECK_EQ(hvs_key_value_size(k), 5000);
		CHECK_EQ(hvs_key_child_count(hvs_store_root(st)), 2);
	}
	hvs_store_close(st);
}

/* Format 1.0 (for reader tests): names as UTF-16LE, NameSizeInSymbols
 * in UTF-16 units with the NUL (format.md 2.2, 2.6). */
static void test_store_writer__format_1_0(void)
{
	hvs_store_writer *w = NULL;
	hvs_store_writer_opts o;
	hvs_store *st = NULL;
	const hvs_key *k = NULL;
	uint8_t *f;
	size_t n;
	int64_t v = 0;
	uint32_t id = 0;
	char name[300];
	/* "n\u00e9" = 6e 00 e9 00, then the NUL unit. */
	static const uint8_t want_name[] = { 0x6E, 0, 0xE9, 0, 0, 0 };

	memset(&o, 0, sizeof o);
	o.format_version = 0x0100;
	CHECK_OK(hvs_store_writer_create(&w, test_tmp_path("writer_v10.vmrs"), &o));
	memset(name, 'a', 255);
	name[255] = '\0';
	CHECK_STATUS(hvs_store_writer_add_node(w, 0, name, &id), HVS_E_INVALID);
	CHECK(strstr(hvs_store_writer_errmsg(w), "255 UTF-16 units") != NULL);
	CHECK_OK(hvs_store_writer_add_node(w, 0, "n\303\251", &id));
	CHECK_OK(hvs_store_writer_add_int(w, id, "value", 17));
	CHECK_OK(hvs_store_writer_finish(w));
	hvs_store_writer_close(w);
	f = test_read_file(test_tmp_path("writer_v10.vmrs"), &n);
	CHECK(f != NULL);
	CHECK_EQ(g32(f + 0x0A), 0x0100);
	CHECK_EQ(g32(f + 4), ref_crc(f, 46, 4));
	/* Node entry: 21 + 6 name bytes + 12; NameSizeInSymbols 3. */
	CHECK_EQ(f[0x7000 + 10], 9);
	CHECK_EQ(g32(f + 0x7000 + 12), 21 + 6 + 12);
	CHECK_EQ(f[0x7000 + 10 + 20], 3);
	CHECK_MEM(f + 0x7000 + 10 + 21, want_name, 6);
	CHECK_EQ(g32(f + 0x7000 + 10 + 12), ref_crc(f + 0x7000 + 10, 21 + 6 + 12, 12));
	free(f);
	CHECK_OK(hvs_store_open_file(&st, test_tmp_path("writer_v10.vmrs"), NULL));
	CHECK_OK(hvs_store_find(st, "/n\303\251/value", &k));
	CHECK_OK(hvs_key_get_int(st, k, &v));
	CHECK_EQ(v, 17);
	hvs_store_close(st);
}

/* A writer closed before finish leaves a file no reader accepts. */
static void test_store_writer__unfinished(void)
{
	hvs_store_writer *w = new_writer("writer_unfinished.vmrs");
	hvs_store *st = NULL;
	static uint8_t d[8192];
	CHECK(w != NULL);
	CHECK_OK(hvs_store_writer_add_array(w, 0, "big", d, sizeof d));
	hvs_store_writer_close(w);
	CHECK_STATUS(hvs_store_open_file(&st, test_tmp_path("writer_unfinished.vmrs"), NULL),
		     HVS_E_UNSUPPORTED);
}

/* A failing disk (Linux /dev/full: every write is ENOSPC): the first
 * failed write is reported with its offset and the writer stays failed. */
static void test_store_writer__io_error(void)
{
	hvs_store_writer *w = NULL;
	static uint8_t d[4096];
	FILE *probe = fopen("/dev/full", "r+b");
	if (!probe)
		SKIP("no /dev/full on this system");
	fclose(probe);
	CHECK_OK(hvs_store_writer_create(&w, "/dev/full", NULL));
	CHECK_OK(hvs_store_writer_add_int(w, 0, "small", 1)); /* memory only */
	CHECK_STATUS(hvs_store_writer_add_array(w, 0, "big", d, sizeof d), HVS_E_IO);
	CHECK(strstr(hvs_store_writer_errmsg(w), "at file offset 0x7000") != NULL);
	CHECK_STATUS(hvs_store_writer_add_int(w, 0, "x", 1), HVS_E_IO);
	CHECK(strstr(hvs_store_writer_errmsg(w), "failed earlier") != NULL);
	CHECK_STATUS(hvs_store_writer_finish(w), HVS_E_IO);
	hvs_store_writer_close(w);
}

/* OOM: fail the Nth allocation for every N; each failure is clean. */
static void test_store_writer__oom(void)
{
	long nfail;
	int completed = 0;
	for (nfail = 1; nfail < 10000 && !completed; nfail++) {
		test_failalloc fa;
		hvs_store_writer_opts o;
		hvs_store_writer *w = NULL;
		hvs_status s;
		uint32_t id = 0;
		char name[32];
		int i;

		test_failalloc_init(&fa, nfail);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		s = hvs_store_writer_create(&w, test_tmp_path("writer_oom.vmrs"), &o);
		if (s == HVS_OK)
			s = hvs_store_writer_add_node(w, 0, "node", &id);
		for (i = 0; s == HVS_OK && i < 300; i++) {
			snprintf(name, sizeof name, "k%d", i);
			s = hvs_store_writer_add_string(w, id, name, "some value");
		}
		if (s == HVS_OK) {
			static uint8_t d[3000];
			s = hvs_store_writer_add_array(w, id, "fo", d, sizeof d);
		}
		if (s == HVS_OK)
			s = hvs_store_writer_finish(w);
		if (s != HVS_OK && s != HVS_E_NOMEM) {
			test__fail(__FILE__, __LINE__, "fail at %ld: status %d: %s",
				   nfail, (int)s, hvs_store_writer_errmsg(w));
			hvs_store_writer_close(w);
			return;
		}
		if (s == HVS_E_NOMEM && w)
			CHECK(hvs_store_writer_errmsg(w)[0] != '\0');
		hvs_store_writer_close(w);
		CHECK_EQ(fa.live, 0);
		if (s == HVS_OK)
			completed = 1;
	}
	CHECK(completed);
	CHECK(nfail > 5);
	printf("  %ld allocation failures injected\n", nfail - 2);
}

/* The fixture helper: paths, duplicate nodes, values. */
static void test_store_writer__gen(void)
{
	static const uint8_t blk[48] = { 1, 2, 3 };
	gen_key keys[] = {
		{ "/savedstate/RamMemoryBlock0", GEN_ARRAY, 0, 0, 0, NULL, blk, 48 },
		{ "/configuration/settings/name", GEN_STRING, 0, 0, 0, "vm1", NULL, 0 },
		{ "/metrics/devicetype", GEN_NODE, 0, 0, 0, NULL, NULL, 0 },
		{ "/metrics/devicetype/id", GEN_UINT, 0, 1, 0, NULL, NULL, 0 },
		{ "/metrics/devicetype", GEN_NODE, 0, 0, 0, NULL, NULL, 0 },
		{ "/metrics/devicetype/id", GEN_UINT, 0, 2, 0, NULL, NULL, 0 },
		{ "/savedstate/RamBlock0", GEN_ZEROS, 0, 0, 0, NULL, NULL, 1 << 20 },
		{ "/configuration/settings/on", GEN_BOOL, 1, 0, 0, NULL, NULL, 0 },
	};
	size_t n = 0;
	uint8_t *f = gen_store_build(keys, HVS__ARRAY_SIZE(keys), &n);
	hvs_source src;
	hvs_store *st = NULL;
	const hvs_key *k = NULL;
	uint64_t v = 0, off = 0;
	uint32_t esz = 0;
	raw_summary sum;
	char s[16];

	CHECK(f != NULL);
	CHECK_RULES(f, n, &sum);
	CHECK_EQ(sum.keys, 12);  /* 8 spec keys + savedstate, configuration,
				    settings, metrics */
	CHECK_EQ(sum.file_objects, 1);
	/* Raw lookup agrees with the reader. */
	CHECK_OK(gen_store_find_entry(f, n, "/configuration/settings/on", &off, &esz));
	CHECK_EQ(f[off], 8);
	CHECK_EQ(esz, 21 + 3 + 4);
	CHECK_STATUS(gen_store_find_entry(f, n, "/configuration/nope", &off, &esz),
		     HVS_E_NOTFOUND);
	CHECK_OK(hvs_source_from_memory(&src, f, n));
	CHECK_OK(hvs_store_open(&st, &src, NULL));
	CHECK_OK(hvs_store_find(st, "/metrics/devicetype[1]/id", &k));
	CHECK_OK(hvs_key_get_uint(st, k, &v));
	CHECK_EQ(v, 2);
	CHECK_OK(hvs_store_find(st, "/configuration/settings/name", &k));
	CHECK_OK(hvs_key_get_string(st, k, s, sizeof s, NULL));
	CHECK_STR(s, "vm1");
	CHECK_OK(hvs_store_find(st, "/savedstate/RamBlock0", &k));
	CHECK_EQ(hvs_key_value_size(k), 1 << 20);
	hvs_store_close(st);
	hvs_source_close(&src);
	free(f);
}

TEST_MAIN(TEST(test_store_writer__empty), TEST(test_store_writer__one_entry_bytes),
	  TEST(test_store_writer__fill), TEST(test_store_writer__roundtrip),
	  TEST(test_store_writer__errors), TEST(test_store_writer__unfinished),
	  TEST(test_store_writer__format_1_0), TEST(test_store_writer__io_error), TEST(test_store_writer__oom),
	  TEST(test_store_writer__gen))
