/* SPDX-License-Identifier: MIT */
/*
 * Tests of the HyperVStorage reader (src/store/store.c, store_keys.c):
 * the two real samples (counts from format.md section 10, read from
 * ../shared at run time, never copied), hand-built containers for every
 * feature the samples lack (a tiny builder below, written from
 * format.md 2.2-2.9), and damaged inputs: truncation at every offset,
 * byte flips in every checksummed structure, loops, OOM at every
 * allocation.
 */
#include "test.h"

#include "store/store_int.h"
#include "util/util.h"

/* ------------------------------------------------------------ helpers */

/*
 * A memory source that needs no close: the test keeps at most a few
 * stores open at once, so a small ring of {pointer, size} slots serves as
 * the sources' user data (hvs_source_from_memory allocates, and these
 * tests open stores tens of thousands of times).
 */
typedef struct memsrc {
	const uint8_t *p;
	size_t n;
} memsrc;

static hvs_status mem_read(void *ud, uint64_t off, void *buf, size_t len, size_t *done)
{
	const memsrc *m = ud;
	size_t n = 0;
	if (off < m->n)
		n = (size_t)HVS__MIN((uint64_t)len, m->n - off);
	if (n)
		memcpy(buf, m->p + off, n);
	*done = n;
	return n == len ? HVS_OK : HVS_E_NODATA;
}

static uint64_t mem_size(void *ud)
{
	return ((const memsrc *)ud)->n;
}

static hvs_status open_mem(hvs_store **st, const uint8_t *p, size_t n,
			   const hvs_open_opts *o)
{
	static memsrc ring[8];
	static unsigned next;
	memsrc *m = &ring[next++ % 8];
	hvs_source src;
	m->p = p;
	m->n = n;
	memset(&src, 0, sizeof src);
	src.read_at = mem_read;
	src.size = mem_size;
	src.ud = m;
	return hvs_store_open(st, &src, o);
}

/* Problem sink that counts. */
typedef struct psink {
	int damage, notes;
	const char *want;  /* count messages containing this */
	int found;
	uint64_t first_off;
	char first[HVS_ERRMSG_MAX];
} psink;

static void sink(void *ud, hvs_status kind, uint64_t off, const char *msg)
{
	psink *p = ud;
	if (p->want && strstr(msg, p->want))
		p->found++;
	if (kind == HVS_OK) {
		p->notes++;
		return;
	}
	if (!p->damage++) {
		p->first_off = off;
		snprintf(p->first, sizeof p->first, "%s", msg);
	}
}

static const hvs_key *find(hvs_store *st, const char *path)
{
	const hvs_key *k = NULL;
	if (hvs_store_find(st, path, &k) != HVS_OK)
		return NULL;
	return k;
}

/*
 * Walk the whole tree checking the invariants every open must give:
 * parent/child links agree, paths round-trip through find, every value
 * reads completely.  Returns the number of keys (root excluded) or -1.
 */
static long walk_check(hvs_store *st, const hvs_key *k)
{
	size_t i, n = hvs_key_child_count(k);
	long total = 0;
	char path[4096];
	const hvs_key *back;
	uint8_t buf[256];
	uint64_t off = 0, size = hvs_key_value_size(k);

	if (hvs_key_path(k, path, sizeof path, NULL) != HVS_OK)
		return -1;
	if (hvs_store_find(st, path, &back) != HVS_OK || back != k)
		return -1;
	while (off < size) {
		size_t m = (size_t)HVS__MIN(size - off, sizeof buf), done = 9999;
		if (hvs_key_read(st, k, off, buf, m, &done) != HVS_OK || done != m)
			return -1;
		off += m;
	}
	for (i = 0; i < n; i++) {
		const hvs_key *c = hvs_key_child(k, i);
		long sub;
		if (!c || hvs_key_parent(c) != k)
			return -1;
		sub = walk_check(st, c);
		if (sub < 0)
			return -1;
		total += 1 + sub;
	}
	return total;
}

/* --------------------------------------------------- container builder */

/*
 * Builds a container in memory following format.md 2.10: headers at 0 and
 * 0x1000, object table at 0x2000 (227 slots, all CRC'd), 0x1000-byte key
 * tables, replay log.  Written from the spec, independently of the reader.
 */
typedef struct kb {
	uint8_t *p;
	size_t size;
	uint32_t version;
} kb;

typedef struct kt {
	kb *b;
	uint64_t off;
	uint32_t cur;
} kt;

static void kb_init(kb *b, size_t size, uint32_t version)
{
	b->p = calloc(1, size);
	b->size = size;
	b->version = version;
}

static void kb_header(kb *b, int copy, uint16_t seq, uint64_t log_off, uint64_t log_size)
{
	uint8_t *h = b->p + copy * 0x1000;
	memset(h, 0, 0x2E);
	hvs__put_le32(h + 0x00, 0x01282014u);
	hvs__put_le16(h + 0x08, seq);
	hvs__put_le32(h + 0x0A, b->version);
	hvs__put_le32(h + 0x16, 0x1000);
	hvs__put_le64(h + 0x1A, log_off);
	hvs__put_le64(h + 0x22, log_size);
	hvs__put_le32(h + 0x2A, 0x1000);
	hvs__put_le32(h + 0x04, hvs__crc32(0, h, 0x2E));
}

/* Empty log header (count, max 145) at @off. */
static void kb_log(kb *b, uint64_t off, uint32_t count)
{
	uint8_t *h = b->p + off;
	memset(h, 0, 0x22);
	hvs__put_le32(h + 0x00, 0x01110003u);
	hvs__put_le32(h + 0x08, count);
	hvs__put_le32(h + 0x0D, 145);
	hvs__put_le32(h + 0x04, hvs__crc32(0, h, 0x22));
}

/* Log entry @i: @n bytes at log+@logoff go to @dest. */
static void kb_log_entry(kb *b, uint64_t log, uint32_t i, uint64_t dest,
			 uint64_t logoff, const uint8_t *data, uint32_t n)
{
	uint8_t *e = b->p + log + 0x22 + i * 28;
	memcpy(b->p + log + logoff, data, n);
	hvs__put_le64(e, dest);
	hvs__put_le32(e + 8, n);
	hvs__put_le64(e + 12, logoff);
	hvs__put_le32(e + 20, 0);
	hvs__put_le32(e + 24, hvs__crc32(0, data, n));
	hvs__put_le32(e + 20, hvs__crc32(0, e, 28));
}

static void kb_ot_entry(kb *b, uint64_t table, uint32_t slot, uint8_t type,
			uint64_t off, uint32_t size)
{
	uint8_t *e = b->p + table + 8 + slot * 18;
	memset(e, 0, 18);
	e[0] = type;
	hvs__put_le64(e + 5, off);
	hvs__put_le32(e + 13, size);
	e[17] = type ? 1 : 0;
	hvs__put_le32(e + 1, hvs__crc32(0, e, 18));
}

static void kb_ot(kb *b, uint64_t table)
{
	uint32_t i;
	hvs__put_le32(b->p + table, 0x01110001u);
	hvs__put_le32(b->p + table + 4, 227);
	for (i = 0; i < 227; i++)
		kb_ot_entry(b, table, i, 0, 0, 0);
}

static void kt_begin(kt *t, kb *b, uint64_t off, uint16_t index, uint16_t seq)
{
	uint8_t *h = b->p + off;
	t->b = b;
	t->off = off;
	t->cur = 10;
	hvs__put_le16(h, 2);
	hvs__put_le16(h + 2, index);
	hvs__put_le16(h + 4, seq);
	hvs__put_le32(h + 6, 0);
	hvs__put_le32(h + 6, hvs__crc32(0, h, 10));
}

/*
 * Append an entry; @val holds the meaningful value bytes (for strings and
 * arrays including the u32 length).  @slack extra bytes follow, not
 * covered by the CRC.  Returns the entry's offset in the table.
 */
static uint32_t kt_add(kt *t, uint8_t type, uint8_t flags, uint16_t ptab,
		       uint32_t poff, uint32_t ins, const char *name,
		       const uint8_t *val, size_t vlen, uint32_t slack)
{
	uint8_t *e = t->b->p + t->off + t->cur;
	uint8_t nm[512];
	size_t nlen;
	uint32_t at = t->cur, sz;

	if (t->b->version == 0x0100) {
		nlen = hvs__utf8_to_utf16le(name, nm, sizeof nm - 2);
		nm[nlen] = nm[nlen + 1] = 0;
		nlen += 2;
		e[20] = (uint8_t)(nlen / 2);
	} else {
		nlen = strlen(name) + 1;
		memcpy(nm, name, nlen);
		e[20] = (uint8_t)nlen;
	}
	sz = (uint32_t)(21 + nlen + vlen + slack);
	e[0] = type;
	e[1] = flags;
	hvs__put_le32(e + 2, sz);
	hvs__put_le16(e + 6, ptab);
	hvs__put_le32(e + 8, poff);
	hvs__put_le32(e + 12, 0);
	hvs__put_le32(e + 16, ins);
	memcpy(e + 21, nm, nlen);
	if (vlen)
		memcpy(e + 21 + nlen, val, vlen);
	memset(e + 21 + nlen + vlen, 0xEE, slack); /* slack: any bytes */
	hvs__put_le32(e + 12, hvs__crc32(0, e, 21 + nlen + vlen));
	t->cur += sz;
	return at;
}

/* Fill the rest of a 0x1000 table with one Free entry. */
static void kt_end(kt *t)
{
	uint8_t *e = t->b->p + t->off + t->cur;
	uint32_t rest = 0x1000 - t->cur;
	if (rest < 22)
		return;
	memset(e, 0, rest);
	e[0] = 1;
	hvs__put_le32(e + 2, rest);
	e[20] = 1;
}

static const uint8_t *v64(uint64_t v)
{
	static uint8_t b[8];
	hvs__put_le64(b, v);
	return b;
}

static const uint8_t *v32(uint32_t v)
{
	static uint8_t b[4];
	hvs__put_le32(b, v);
	return b;
}

static const uint8_t *vnode(uint32_t next)
{
	static uint8_t b[12];
	hvs__put_le64(b, 0);
	hvs__put_le32(b + 8, next);
	return b;
}

/* u32 length + bytes. */
static const uint8_t *vblob(const void *p, uint32_t n, size_t *len)
{
	static uint8_t b[1024];
	hvs__put_le32(b, n);
	memcpy(b + 4, p, n);
	*len = 4 + n;
	return b;
}

/* A 5-table container used by several tests (format 4.0 unless set):
 *   /cfg (node, table 1)   /cfg/n = int 7   /cfg/s = "hi"
 * Layout: headers, OT 0x2000, KT1 0x3000, KT2 0x4000, log 0x5000..0x7000. */
static void build_basic(kb *b, uint32_t version)
{
	kt t;
	uint32_t cfg;
	size_t n;
	const uint8_t *v;
	uint8_t hi[4] = { 'h', 0, 'i', 0 };

	kb_init(b, 0x7000, version);
	kb_header(b, 0, 2, 0x5000, 0x2000);
	kb_header(b, 1, 1, 0x5000, 0x2000);
	kb_log(b, 0x5000, 0);
	kb_ot(b, 0x2000);
	kb_ot_entry(b, 0x2000, 0, 2, 0x3000, 0x1000);
	kt_begin(&t, b, 0x3000, 1, 1);
	cfg = kt_add(&t, 9, 0, 0, 0, 1, "cfg", vnode(3), 12, 0);
	kt_add(&t, 3, 0, 1, cfg, 1, "n", v64(7), 8, 0);
	v = vblob(hi, 4, &n);
	kt_add(&t, 6, 0, 1, cfg, 2, "s", v, n, 0);
	kt_end(&t);
}

/* ------------------------------------------------------- real samples */

static uint8_t *load_sample(const char *name, size_t *n)
{
	const char *p = test_shared_path(name);
	return p ? test_read_file(p, n) : NULL;
}

static void test_store__vmrs_sample(void)
{
	size_t n;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	hvs_store *st = NULL;
	hvs_store_info info;
	const hvs_key *k, *m;
	int64_t v;
	size_t i;
	int t1 = 0, t2 = 0;

	if (!data)
		SKIP("../shared/samples/test.VMRS absent");
	CHECK_EQ(n, 45092);
	CHECK_OK(open_mem(&st, data, n, NULL));
	hvs_store_get_info(st, &info);
	/* format.md section 10: headers 7/6, log @0x8000 size 0x4000, count 0. */
	CHECK_EQ(info.format_version, 0x0400);
	CHECK_EQ(info.active_header, 0);
	CHECK_EQ(info.header_sequence, 7);
	CHECK_EQ(info.alignment, 0x1000);
	CHECK_EQ(info.replay_log_offset, 0x8000);
	CHECK_EQ(info.replay_log_size, 0x4000);
	CHECK_EQ(info.replay_pending, 0);
	CHECK_EQ(info.replay_applied, 0);
	CHECK_EQ(info.object_table_count, 1);
	CHECK_EQ(info.key_table_count, 2);
	CHECK_EQ(info.file_object_count, 0);
	/* 114 entries, one of them Free (format.md 10); 113 + the 409 of
	 * test.vmcx = the 522 non-Free entries format.md 2.6 verified. */
	CHECK_EQ(info.entry_count, 113);
	CHECK_EQ(info.key_count, 113);
	CHECK_EQ(info.file_size, 45092);
	/* Key tables idx 1 seq 8 @0x3000, idx 2 seq 2 @0x7000. */
	CHECK_EQ(st->nktables, 2);
	CHECK_EQ(st->ktables[0].offset, 0x3000);
	CHECK_EQ(st->ktables[0].index, 1);
	CHECK_EQ(st->ktables[0].sequence, 8);
	CHECK_EQ(st->ktables[1].offset, 0x7000);
	CHECK_EQ(st->ktables[1].index, 2);
	CHECK_EQ(st->ktables[1].sequence, 2);
	for (i = 1; i < st->nkeys; i++) {
		hvs_key_info ki;
		hvs_key_get_info(&st->keys[i], &ki);
		if (ki.table_index == 1 && ki.file_offset - ki.entry_offset == 0x3000)
			t1++;
		if (ki.table_index == 2 && ki.file_offset - ki.entry_offset == 0x7000)
			t2++;
	}
	CHECK_EQ(t1 + t2, 113);
	CHECK(t1 > 0 && t2 > 0);
	/* Config-only: /configuration/properties/version = 2304, no /savedstate. */
	k = find(st, "/configuration/properties/version");
	CHECK(k != NULL);
	CHECK_EQ(hvs_key_get_type(k), HVS_KEY_INT);
	CHECK_OK(hvs_key_get_int(st, k, &v));
	CHECK_EQ(v, 2304);
	CHECK(find(st, "/savedstate") == NULL);
	/* Three devicetype nodes under metrics, addressed by ordinal. */
	m = find(st, "/configuration/global_settings/metrics");
	CHECK(m != NULL);
	CHECK(hvs_key_find_child(m, "devicetype", 2) != NULL);
	CHECK(hvs_key_find_child(m, "devicetype", 3) == NULL);
	CHECK(find(st, "/configuration/global_settings/metrics/devicetype") ==
	      hvs_key_find_child(m, "devicetype", 0));
	k = find(st, "/configuration/global_settings/metrics/devicetype[1]/guid");
	CHECK(k != NULL);
	{
		char s[64], path[256];
		size_t len;
		CHECK_OK(hvs_key_get_string(st, k, s, sizeof s, &len));
		CHECK_STR(s, "4764334D-E001-4176-82EE-5594EC9B530E");
		CHECK_EQ(len, 36);
		CHECK_OK(hvs_key_path(k, path, sizeof path, &len));
		CHECK_STR(path, "/configuration/global_settings/metrics/devicetype[1]/guid");
		CHECK_STATUS(hvs_key_path(k, path, 10, &len), HVS_E_BUFSIZE);
		CHECK_EQ(len, strlen("/configuration/global_settings/metrics/devicetype[1]/guid"));
	}
	CHECK_EQ(walk_check(st, hvs_store_root(st)), 113);
	hvs_store_close(st);
	free(data);
	/* The same through the file source the store opens itself. */
	CHECK_OK(hvs_store_open_file(&st, test_shared_path("samples/test.VMRS"), NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.key_count, 113);
	CHECK_EQ(info.file_size, 45092);
	CHECK_EQ(walk_check(st, hvs_store_root(st)), 113);
	hvs_store_close(st);
}

static void test_store__vmcx_sample(void)
{
	size_t n;
	uint8_t *data = load_sample("samples/test.vmcx", &n);
	hvs_store *st = NULL;
	hvs_store_info info;
	const hvs_key *k;
	psink ps;
	hvs_open_opts o;

	if (!data)
		SKIP("../shared/samples/test.vmcx absent");
	CHECK_EQ(n, 81920);
	CHECK_OK(open_mem(&st, data, n, NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.format_version, 0x0400);
	CHECK_EQ(info.header_sequence, 25);
	CHECK_EQ(info.replay_log_offset, 0xA000);
	CHECK_EQ(info.replay_log_size, 0x9000);
	CHECK_EQ(info.key_table_count, 8);
	/* 411 entries of which 2 Free (format.md 10 and 2.6: 522 - 113). */
	CHECK_EQ(info.entry_count, 409);
	CHECK_EQ(info.key_count, 409);
	/* DIS-HV's test counts are the direct children of these nodes. */
	k = find(st, "/configuration");
	CHECK(k != NULL);
	CHECK_EQ(hvs_key_child_count(k), 27);
	k = find(st, "/configuration/manifest");
	CHECK(k != NULL);
	CHECK_EQ(hvs_key_child_count(k), 39);
	k = find(st, "/configuration/properties");
	CHECK(k != NULL);
	CHECK_EQ(hvs_key_child_count(k), 11);
	k = find(st, "/configuration/settings");
	CHECK(k != NULL);
	CHECK_EQ(hvs_key_child_count(k), 6);
	CHECK_EQ(walk_check(st, hvs_store_root(st)), 409);
	hvs_store_close(st);

	/* Lenient mode finds nothing to report on a clean file. */
	memset(&ps, 0, sizeof ps);
	memset(&o, 0, sizeof o);
	o.problem = sink;
	o.problem_ud = &ps;
	CHECK_OK(open_mem(&st, data, n, &o));
	CHECK_EQ(ps.damage, 0);
	CHECK_EQ(ps.notes, 0);
	hvs_store_close(st);
	free(data);
}

static void test_store__paths(void)
{
	kb b;
	hvs_store *st = NULL;
	const hvs_key *k;

	build_basic(&b, 0x0400);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	CHECK(find(st, "/") == hvs_store_root(st));
	CHECK(find(st, "") == hvs_store_root(st));
	CHECK(find(st, "cfg/n") == find(st, "/cfg/n"));
	CHECK(find(st, "/cfg/") == find(st, "/cfg"));
	CHECK(find(st, "/cfg[0]/n[0]") == find(st, "/cfg/n"));
	CHECK_STATUS(hvs_store_find(st, "/cfg/x", &k), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_store_find(st, "/cfg[1]", &k), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_store_find(st, "/cfg//n", &k), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_find(st, "/cfg[x]", &k), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_find(st, "/cfg[]", &k), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_find(st, "/[0]", &k), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_find(st, "/cfg[99999999999999999999999]", &k), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_find(st, NULL, &k), HVS_E_INVALID);
	{
		char p[8];
		size_t len;
		CHECK_OK(hvs_key_path(hvs_store_root(st), p, sizeof p, &len));
		CHECK_STR(p, "/");
		CHECK_EQ(len, 1);
		CHECK_OK(hvs_key_path(find(st, "/cfg/n"), p, sizeof p, &len));
		CHECK_STR(p, "/cfg/n");
		CHECK_STATUS(hvs_key_path(find(st, "/cfg/n"), p, 6, &len), HVS_E_BUFSIZE);
		CHECK_EQ(len, 6);
	}
	hvs_store_close(st);
	free(b.p);
}

/* ---------------------------------------------------- built containers */

static void test_store__every_value_type(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	uint32_t root, sub;
	size_t n;
	const uint8_t *v;
	const hvs_key *k;
	int64_t i64;
	uint64_t u64;
	double d;
	int bo;
	char s[64];
	uint8_t buf[4096], arr[5] = { 1, 2, 3, 4, 5 };
	/* "é€" + NUL in UTF-16LE: U+00E9, U+20AC, 0 */
	uint8_t str[6] = { 0xE9, 0x00, 0xAC, 0x20, 0x00, 0x00 };
	uint8_t big[3000], ref[12];
	hvs_key_info ki;
	size_t done;

	build_basic(&b, 0x0400);
	/* Replace table 1 with one holding every type. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	root = kt_add(&t, 9, 0, 0, 0, 1, "all", vnode(10), 12, 0);
	kt_add(&t, 3, 0, 1, root, 1, "int", v64((uint64_t)-5), 8, 3);
	kt_add(&t, 4, 0, 1, root, 2, "uint", v64(0xFFFFFFFFFFFFFFFFull), 8, 0);
	{
		double x = 2.5;
		uint64_t bits;
		memcpy(&bits, &x, 8);
		kt_add(&t, 5, 0, 1, root, 3, "double", v64(bits), 8, 0);
	}
	kt_add(&t, 8, 0, 1, root, 4, "bool", v32(1), 4, 0);
	v = vblob(str, 6, &n);
	kt_add(&t, 6, 0x02, 1, root, 5, "string", v, n, 0);
	v = vblob(arr, 5, &n);
	kt_add(&t, 7, 0, 1, root, 6, "array", v, n, 7);
	v = vblob("", 0, &n);
	kt_add(&t, 6, 0, 1, root, 7, "empty", v, n, 0);
	/* A file object: 3000 bytes at 0x6000 (inside the file). */
	for (n = 0; n < sizeof big; n++)
		big[n] = (uint8_t)(n * 7);
	memcpy(b.p + 0x6000, big, sizeof big);
	hvs__put_le32(ref, sizeof big);
	hvs__put_le64(ref + 4, 0x6000);
	kt_add(&t, 7, 0x01, 1, root, 8, "fileobj", ref, 12, 0);
	sub = kt_add(&t, 9, 0, 1, root, 9, "sub", vnode(1), 12, 0);
	(void)sub;
	kt_end(&t);
	kb_ot_entry(&b, 0x2000, 1, 3, 0x6000, 0x1000);

	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	CHECK_EQ(walk_check(st, hvs_store_root(st)), 10);
	k = find(st, "/all/int");
	CHECK_OK(hvs_key_get_int(st, k, &i64));
	CHECK_EQ(i64, -5);
	CHECK_STATUS(hvs_key_get_uint(st, k, &u64), HVS_E_INVALID);
	CHECK_OK(hvs_key_get_uint(st, find(st, "/all/uint"), &u64));
	CHECK_EQ(u64, 0xFFFFFFFFFFFFFFFFull);
	CHECK_OK(hvs_key_get_double(st, find(st, "/all/double"), &d));
	CHECK(d == 2.5);
	CHECK_OK(hvs_key_get_bool(st, find(st, "/all/bool"), &bo));
	CHECK_EQ(bo, 1);
	k = find(st, "/all/string");
	CHECK_EQ(hvs_key_value_size(k), 6);
	CHECK_OK(hvs_key_get_string(st, k, s, sizeof s, &n));
	CHECK_STR(s, "\xC3\xA9\xE2\x82\xAC");
	CHECK_EQ(n, 5);
	CHECK_STATUS(hvs_key_get_string(st, k, s, 5, &n), HVS_E_BUFSIZE);
	CHECK_EQ(n, 5);
	hvs_key_get_info(k, &ki);
	CHECK_EQ(ki.flags, 0x02);
	CHECK_EQ(ki.raw_type, 6);
	CHECK_OK(hvs_key_get_string(st, find(st, "/all/empty"), s, sizeof s, &n));
	CHECK_STR(s, "");
	CHECK_EQ(n, 0);
	k = find(st, "/all/array");
	CHECK_EQ(hvs_key_get_type(k), HVS_KEY_ARRAY);
	CHECK_EQ(hvs_key_value_size(k), 5);
	CHECK_OK(hvs_key_read(st, k, 0, buf, 5, &done));
	CHECK_MEM(buf, arr, 5);
	CHECK_STATUS(hvs_key_read(st, k, 3, buf, 4, &done), HVS_E_NODATA);
	CHECK_EQ(done, 2);
	CHECK_EQ(buf[0], 4);
	CHECK_STATUS(hvs_key_read(st, k, 5, buf, 1, &done), HVS_E_NODATA);
	CHECK_EQ(done, 0);
	k = find(st, "/all/fileobj");
	hvs_key_get_info(k, &ki);
	CHECK(ki.is_file_object);
	CHECK_EQ(ki.value_offset, 0x6000);
	CHECK_EQ(ki.value_size, 3000);
	CHECK_OK(hvs_key_read(st, k, 1000, buf, 2000, &done));
	CHECK_MEM(buf, big + 1000, 2000);
	k = find(st, "/all");
	hvs_key_get_info(k, &ki);
	CHECK_EQ(ki.type, HVS_KEY_NODE);
	CHECK_EQ(ki.node_next_insertion, 10);
	CHECK_EQ(hvs_key_child_count(k), 9);
	CHECK_STR(hvs_key_name(hvs_key_child(k, 0)), "int");
	CHECK_STR(hvs_key_name(hvs_key_child(k, 8)), "sub");
	{
		hvs_store_info info;
		hvs_store_get_info(st, &info);
		CHECK_EQ(info.file_object_count, 1);
	}
	hvs_store_close(st);

	/* A file object pointing past the end of the file is corrupt. */
	hvs__put_le64(ref + 4, 0x6800);
	kt_begin(&t, &b, 0x3000, 1, 1);
	root = kt_add(&t, 9, 0, 0, 0, 1, "all", vnode(2), 12, 0);
	kt_add(&t, 7, 0x01, 1, root, 1, "fileobj", ref, 12, 0);
	kt_end(&t);
	CHECK_STATUS(open_mem(&st, b.p, b.size, NULL), HVS_E_CORRUPT);
	free(b.p);
}

static void test_store__version_1_0_utf16_names(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	uint32_t r;
	int64_t v;

	build_basic(&b, 0x0100);
	kt_begin(&t, &b, 0x3000, 1, 1);
	r = kt_add(&t, 9, 0, 0, 0, 1, "konfigürácia", vnode(2), 12, 0);
	kt_add(&t, 3, 0, 1, r, 1, "n\xE2\x82\xAC", v64(42), 8, 0);
	kt_end(&t);
	/* The name really is UTF-16LE on disk: 'k', 0, 'o', 0 ... */
	CHECK_EQ(b.p[0x3000 + 10 + 21], 'k');
	CHECK_EQ(b.p[0x3000 + 10 + 22], 0);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	CHECK_OK(hvs_key_get_int(st, find(st, "/konfigürácia/n\xE2\x82\xAC"), &v));
	CHECK_EQ(v, 42);
	{
		hvs_store_info info;
		hvs_store_get_info(st, &info);
		CHECK_EQ(info.format_version, 0x0100);
	}
	hvs_store_close(st);
	free(b.p);
}

static void test_store__versions(void)
{
	static const uint32_t ok[] = { 0x0100, 0x0101, 0x0200, 0x0300, 0x0301, 0x0400 };
	static const uint32_t bad[] = { 0, 0x0401, 0x0500, 0x0102, 0xFFFFFFFFu };
	size_t i;
	hvs_store *st;
	char err[HVS_ERRMSG_MAX];
	hvs_open_opts o;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	for (i = 0; i < HVS__ARRAY_SIZE(ok); i++) {
		kb b;
		build_basic(&b, ok[i]);
		if (ok[i] == 0x0100) {
			/* Names in UTF-16: rebuild the table. */
			kt t;
			kt_begin(&t, &b, 0x3000, 1, 1);
			kt_add(&t, 3, 0, 0, 0, 1, "x", v64(1), 8, 0);
			kt_end(&t);
		}
		st = NULL;
		CHECK_OK(open_mem(&st, b.p, b.size, &o));
		hvs_store_close(st);
		free(b.p);
	}
	for (i = 0; i < HVS__ARRAY_SIZE(bad); i++) {
		kb b;
		build_basic(&b, bad[i]);
		st = NULL;
		CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_UNSUPPORTED);
		CHECK(st == NULL);
		CHECK(strstr(err, "format version") != NULL);
		free(b.p);
	}
}

static void test_store__not_a_container(void)
{
	uint8_t junk[0x3000];
	hvs_store *st = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_open_opts o;
	size_t i;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 31 + 7);
	CHECK_STATUS(open_mem(&st, junk, sizeof junk, &o), HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "not a HyperVStorage container") != NULL);
	CHECK_STATUS(open_mem(&st, junk, 0, &o), HVS_E_UNSUPPORTED);
	CHECK_STATUS(open_mem(&st, junk, 10, &o), HVS_E_UNSUPPORTED);
	CHECK_STATUS(hvs_store_open(NULL, NULL, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_open_file(&st, "/nonexistent/x.vmrs", &o), HVS_E_IO);
}

static void test_store__header_selection(void)
{
	kb b;
	hvs_store *st = NULL;
	hvs_store_info info;
	psink ps;
	hvs_open_opts o;

	build_basic(&b, 0x0400);
	/* Copy 1 newer: wins. */
	kb_header(&b, 1, 3, 0x5000, 0x2000);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.active_header, 1);
	CHECK_EQ(info.header_sequence, 3);
	hvs_store_close(st);
	/* Wrap-around: 0 is newer than 0xFFFF. */
	kb_header(&b, 0, 0xFFFF, 0x5000, 0x2000);
	kb_header(&b, 1, 0, 0x5000, 0x2000);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.active_header, 1);
	hvs_store_close(st);
	/* Newer copy damaged: the older one is used; lenient mode reports it. */
	b.p[0x1000 + 0x10] ^= 1;
	memset(&ps, 0, sizeof ps);
	memset(&o, 0, sizeof o);
	o.problem = sink;
	o.problem_ud = &ps;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.active_header, 0);
	CHECK_EQ(ps.damage, 1);
	CHECK_EQ(ps.first_off, 0x1000);
	hvs_store_close(st);
	/* Both damaged: corrupt. */
	b.p[0x10] ^= 1;
	CHECK_STATUS(open_mem(&st, b.p, b.size, NULL), HVS_E_CORRUPT);
	/* Equal sequences: Microsoft's loader refuses them (openvmm). */
	kb_header(&b, 0, 4, 0x5000, 0x2000);
	kb_header(&b, 1, 4, 0x5000, 0x2000);
	CHECK_STATUS(open_mem(&st, b.p, b.size, NULL), HVS_E_CORRUPT);
	free(b.p);
}

static void test_store__replay_log(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	hvs_store_info info;
	hvs_open_opts o;
	int64_t v;
	uint8_t newtab[0x1000];
	uint32_t r;

	build_basic(&b, 0x0400);
	/* The log rewrites key table 1 so that /cfg/n = 8: build the new
	 * table in a scratch copy, move it into the log data area. */
	memcpy(newtab, b.p + 0x3000, 0x1000);
	kt_begin(&t, &b, 0x3000, 1, 2);
	r = kt_add(&t, 9, 0, 0, 0, 1, "cfg", vnode(2), 12, 0);
	kt_add(&t, 3, 0, 1, r, 1, "n", v64(8), 8, 0);
	kt_end(&t);
	{
		uint8_t tmp[0x1000];
		memcpy(tmp, b.p + 0x3000, 0x1000);
		memcpy(b.p + 0x3000, newtab, 0x1000);
		memcpy(newtab, tmp, 0x1000);
	}
	kb_log(&b, 0x5000, 1);
	kb_log_entry(&b, 0x5000, 0, 0x3000, 0x1000, newtab, 0x1000);
	kb_log(&b, 0x5000, 1); /* re-CRC (entries are not in the header CRC) */

	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.replay_pending, 1);
	CHECK_EQ(info.replay_applied, 1);
	CHECK_OK(hvs_key_get_int(st, find(st, "/cfg/n"), &v));
	CHECK_EQ(v, 8);
	CHECK(find(st, "/cfg/s") == NULL);
	hvs_store_close(st);
	/* The file itself still says 7. */
	CHECK_EQ(b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2], 7);

	memset(&o, 0, sizeof o);
	o.flags = HVS_OPEN_NO_REPLAY;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.replay_pending, 1);
	CHECK_EQ(info.replay_applied, 0);
	CHECK_OK(hvs_key_get_int(st, find(st, "/cfg/n"), &v));
	CHECK_EQ(v, 7);
	hvs_store_close(st);

	/* A log entry may also rewrite a header: the view re-reads it. */
	{
		kb c;
		uint8_t hdr[0x2E];
		build_basic(&c, 0x0400);
		memcpy(hdr, c.p, 0x2E);
		hvs__put_le32(hdr + 0x0E, 77); /* DataVersion */
		hvs__put_le32(hdr + 4, 0);
		hvs__put_le32(hdr + 4, hvs__crc32(0, hdr, 0x2E));
		kb_log(&c, 0x5000, 1);
		kb_log_entry(&c, 0x5000, 0, 0, 0x1000, hdr, 0x2E);
		CHECK_OK(open_mem(&st, c.p, c.size, NULL));
		hvs_store_get_info(st, &info);
		CHECK_EQ(info.data_version, 77);
		CHECK_EQ(info.replay_applied, 1);
		hvs_store_close(st);
		/* Damaged data: strict open fails, lenient applies nothing. */
		c.p[0x6000] ^= 0x40;
		CHECK_STATUS(open_mem(&st, c.p, c.size, NULL), HVS_E_CORRUPT);
		{
			psink ps;
			memset(&ps, 0, sizeof ps);
			memset(&o, 0, sizeof o);
			o.problem = sink;
			o.problem_ud = &ps;
			CHECK_OK(open_mem(&st, c.p, c.size, &o));
			hvs_store_get_info(st, &info);
			CHECK_EQ(info.replay_pending, 1);
			CHECK_EQ(info.replay_applied, 0);
			CHECK_EQ(info.data_version, 0);
			CHECK_EQ(ps.damage, 1);
			CHECK_EQ(ps.first_off, 0x6000);
			hvs_store_close(st);
		}
		/* More pending entries than the maximum. */
		c.p[0x6000] ^= 0x40;
		kb_log(&c, 0x5000, 146);
		CHECK_STATUS(open_mem(&st, c.p, c.size, NULL), HVS_E_CORRUPT);
		free(c.p);
	}
	free(b.p);
}

static void test_store__duplicate_table_index(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	hvs_store_info info;
	int64_t v;
	uint32_t r;

	build_basic(&b, 0x0400);
	/* A second table 1 at 0x4000 with sequence 5 (newer): it wins. */
	kt_begin(&t, &b, 0x4000, 1, 5);
	r = kt_add(&t, 9, 0, 0, 0, 1, "cfg", vnode(2), 12, 0);
	kt_add(&t, 3, 0, 1, r, 1, "n", v64(99), 8, 0);
	kt_end(&t);
	kb_ot_entry(&b, 0x2000, 1, 2, 0x4000, 0x1000);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	CHECK_OK(hvs_key_get_int(st, find(st, "/cfg/n"), &v));
	CHECK_EQ(v, 99);
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.key_table_count, 1);
	hvs_store_close(st);
	/* Older sequence: the first one stays. */
	kt_begin(&t, &b, 0x4000, 1, 0);
	r = kt_add(&t, 9, 0, 0, 0, 1, "cfg", vnode(2), 12, 0);
	kt_add(&t, 3, 0, 1, r, 1, "n", v64(99), 8, 0);
	kt_end(&t);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	CHECK_OK(hvs_key_get_int(st, find(st, "/cfg/n"), &v));
	CHECK_EQ(v, 7);
	hvs_store_close(st);
	free(b.p);
}

static void test_store__parent_in_later_table(void)
{
	kb b;
	kt t1, t2;
	hvs_store *st = NULL;
	uint32_t late, child;
	int64_t v;
	const hvs_key *k;

	build_basic(&b, 0x0400);
	/* Table 1 (first in file order) holds a child whose parent node is in
	 * table 2 at 0x4000, which comes later; and the child of a node that
	 * appears later in the same table. */
	kt_begin(&t2, &b, 0x4000, 2, 1);
	late = kt_add(&t2, 9, 0, 0, 0, 1, "late", vnode(3), 12, 0);
	kt_end(&t2);
	kt_begin(&t1, &b, 0x3000, 1, 1);
	kt_add(&t1, 3, 0, 2, late, 2, "b", v64(2), 8, 0);
	kt_add(&t1, 3, 0, 2, late, 1, "a", v64(1), 8, 0);
	child = t1.cur + (uint32_t)(21 + 5 + 8); /* "n2", after "deep" */
	kt_add(&t1, 3, 0, 1, child, 1, "deep", v64(3), 8, 0);
	kt_add(&t1, 9, 0, 2, late, 3, "n2", vnode(2), 12, 0);
	kt_end(&t1);
	kb_ot_entry(&b, 0x2000, 1, 2, 0x4000, 0x1000);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	k = find(st, "/late");
	CHECK_EQ(hvs_key_child_count(k), 3);
	/* Ordered by InsertionSequence, not file order. */
	CHECK_STR(hvs_key_name(hvs_key_child(k, 0)), "a");
	CHECK_STR(hvs_key_name(hvs_key_child(k, 1)), "b");
	CHECK_STR(hvs_key_name(hvs_key_child(k, 2)), "n2");
	CHECK_OK(hvs_key_get_int(st, find(st, "/late/n2/deep"), &v));
	CHECK_EQ(v, 3);
	CHECK_EQ(walk_check(st, hvs_store_root(st)), 5);
	hvs_store_close(st);
	free(b.p);
}

static void test_store__parent_loop_and_dangling(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	hvs_store_info info;
	psink ps;
	hvs_open_opts o;
	char err[HVS_ERRMSG_MAX];
	uint32_t a;

	build_basic(&b, 0x0400);
	/* Node a's parent is b, b's parent is a: a loop off the tree. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	a = t.cur;
	kt_add(&t, 9, 0, 1, a + 21 + 2 + 12, 1, "a", vnode(2), 12, 0);
	kt_add(&t, 9, 0, 1, a, 1, "b", vnode(2), 12, 0);
	kt_add(&t, 3, 0, 0, 0, 1, "ok", v64(1), 8, 0);
	kt_end(&t);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "loop") != NULL);
	memset(&ps, 0, sizeof ps);
	o.problem = sink;
	o.problem_ud = &ps;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	CHECK_EQ(ps.damage, 1);
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.key_count, 1);
	CHECK_EQ(walk_check(st, hvs_store_root(st)), 1);
	hvs_store_close(st);

	/* A self-parent. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	kt_add(&t, 9, 0, 1, 10, 1, "self", vnode(1), 12, 0);
	kt_end(&t);
	CHECK_STATUS(open_mem(&st, b.p, b.size, NULL), HVS_E_CORRUPT);

	/* Dangling parent, and a parent that is not a node. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	a = kt_add(&t, 3, 0, 0, 0, 1, "int", v64(1), 8, 0);
	kt_add(&t, 3, 0, 1, a, 1, "under_int", v64(1), 8, 0);
	kt_add(&t, 3, 0, 7, 10, 2, "nowhere", v64(1), 8, 0);
	kt_end(&t);
	o.errbuf = err;
	o.problem = NULL;
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "not a node") != NULL);
	memset(&ps, 0, sizeof ps);
	o.problem = sink;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	CHECK_EQ(ps.damage, 2);
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.key_count, 1);
	hvs_store_close(st);
	free(b.p);
}

static void test_store__object_table_chain(void)
{
	kb b;
	hvs_store *st = NULL;
	hvs_store_info info;
	char err[HVS_ERRMSG_MAX];
	hvs_open_opts o;

	build_basic(&b, 0x0400);
	/* Chain: last slot of 0x2000 -> table at 0x4000 holding the key table
	 * entry for a second key table at 0x6000. */
	kb_ot(&b, 0x4000);
	kb_ot_entry(&b, 0x2000, 226, 1, 0x4000, 0x1000);
	{
		kt t;
		kt_begin(&t, &b, 0x6000, 2, 1);
		kt_add(&t, 3, 0, 0, 0, 1, "second", v64(2), 8, 0);
		kt_end(&t);
	}
	kb_ot_entry(&b, 0x4000, 0, 2, 0x6000, 0x1000);
	CHECK_OK(open_mem(&st, b.p, b.size, NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.object_table_count, 2);
	CHECK_EQ(info.key_table_count, 2);
	CHECK(find(st, "/second") != NULL);
	hvs_store_close(st);
	/* Loop: the chained table links back to 0x2000. */
	kb_ot_entry(&b, 0x4000, 226, 1, 0x2000, 0x1000);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "loops back") != NULL);
	/* Self-link. */
	kb_ot_entry(&b, 0x4000, 226, 1, 0x4000, 0x1000);
	CHECK_STATUS(open_mem(&st, b.p, b.size, NULL), HVS_E_CORRUPT);
	/* Link past the end. */
	kb_ot_entry(&b, 0x4000, 226, 1, 0x100000, 0x1000);
	CHECK_STATUS(open_mem(&st, b.p, b.size, NULL), HVS_E_CORRUPT);
	free(b.p);
}

static void test_store__entry_checks(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_open_opts o;
	uint32_t at;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	build_basic(&b, 0x0400);
	/* Checksum message names table, offset and both values. */
	b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2] = 8; /* /cfg/n value */
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strncmp(err, "key table 1 (file offset 0x3000): entry at +0x2F: checksum 0x", 61) == 0);
	b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2] = 7;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	hvs_store_close(st);
	/* Slack after a value is not checksummed: changing it is harmless. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	at = kt_add(&t, 3, 0, 0, 0, 1, "x", v64(1), 8, 16);
	kt_end(&t);
	b.p[0x3000 + at + 21 + 2 + 8 + 3] ^= 0xFF;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	hvs_store_close(st);
	/* Name without NUL. */
	b.p[0x3000 + at + 21 + 1] = 'y';
	hvs__put_le32(b.p + 0x3000 + at + 12, 0);
	hvs__put_le32(b.p + 0x3000 + at + 12, hvs__crc32(0, b.p + 0x3000 + at, 21 + 2 + 8));
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "NUL") != NULL);
	/* Entry running past the table end. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	at = kt_add(&t, 3, 0, 0, 0, 1, "x", v64(1), 8, 0x1000 - 10 - 31);
	hvs__put_le32(b.p + 0x3000 + at + 2, 0x1000);
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "SizeInBytes") != NULL);
	/* String longer than its entry. */
	{
		size_t n;
		const uint8_t *v = vblob("ab", 2, &n);
		kt_begin(&t, &b, 0x3000, 1, 1);
		at = kt_add(&t, 6, 0, 0, 0, 1, "s", v, n, 0);
		kt_end(&t);
		hvs__put_le32(b.p + 0x3000 + at + 23, 0x7FFFFFFF);
		CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
		CHECK(strstr(err, "does not fit") != NULL);
	}
	/* Unknown type. */
	kt_begin(&t, &b, 0x3000, 1, 1);
	kt_add(&t, 2, 0, 0, 0, 1, "t2", v64(1), 8, 0);
	kt_end(&t);
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "unknown entry type 2") != NULL);
	free(b.p);
}

/* Overlapping tables are refused before they can multiply the work. */
static void test_store__overlapping_tables(void)
{
	kb b;
	kt t;
	hvs_store *st = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_open_opts o;
	psink ps;
	uint32_t i;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	/* Key tables 0x3000+0x4000, 0x4000+0x3000, 0x4800+0x2800: 0x9800
	 * bytes of tables in a 0x7000-byte file (the log stays at 0x5000). */
	build_basic(&b, 0x0400);
	kt_begin(&t, &b, 0x4000, 2, 1);
	kt_begin(&t, &b, 0x4800, 3, 1);
	kb_ot_entry(&b, 0x2000, 0, 2, 0x3000, 0x4000);
	kb_ot_entry(&b, 0x2000, 1, 2, 0x4000, 0x3000);
	kb_ot_entry(&b, 0x2000, 2, 2, 0x4800, 0x2800);
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "overlap") != NULL);
	free(b.p);

	/* Eight chained object tables claiming every entry to the end of
	 * the file: together more entries than the file holds. */
	build_basic(&b, 0x0400);
	for (i = 0; i < 8; i++) {
		uint64_t off = 0x4000 + i * 0x100;
		hvs__put_le32(b.p + off, 0x01110001u);
		hvs__put_le32(b.p + off + 4, 0xFFFFFFFFu);
		kb_ot_entry(&b, 0x2000, 10 + i, 1, off, 0x1000);
	}
	memset(&ps, 0, sizeof ps);
	ps.want = "overlaps other object tables";
	o.problem = sink;
	o.problem_ud = &ps;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	CHECK_EQ(ps.found, 1);
	CHECK(find(st, "/cfg/n") != NULL);
	hvs_store_close(st);
	o.problem = NULL;
	CHECK_STATUS(open_mem(&st, b.p, b.size, &o), HVS_E_CORRUPT);
	free(b.p);
}

/* ------------------------------------------------------ damaged samples */

static void test_store__truncate_every_offset(void)
{
	size_t n, len;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	hvs_store *st;

	if (!data)
		SKIP("../shared/samples/test.VMRS absent");
	for (len = 0; len <= n; len++) {
		hvs_status s;
		st = NULL;
		s = open_mem(&st, data, len, NULL);
		/* Below one header: no signature at all.  Without the log
		 * header (0x8000..0x8022) the file is damaged.  From there on
		 * everything the reader needs is present. */
		if (len < 0x2E) {
			CHECK_STATUS(s, HVS_E_UNSUPPORTED);
		} else if (len < 0x8022) {
			if (s != HVS_E_CORRUPT)
				test__fail(__FILE__, __LINE__, "len 0x%zx: status %d", len, s);
			CHECK_STATUS(s, HVS_E_CORRUPT);
		} else {
			CHECK_OK(s);
			CHECK_EQ(walk_check(st, hvs_store_root(st)), 113);
			hvs_store_close(st);
		}
	}
	free(data);
}

/* Is [off] a byte a checksum covers, per the sample's parsed structure? */
static int crc_covered(hvs_store *st, uint64_t off)
{
	size_t i;
	if (off < 0x2E || (off >= 0x1000 && off < 0x102E))
		return 1;
	if (off >= 0x8000 && off < 0x8022)
		return 1;
	if (off >= 0x2008 && off < 0x2008 + 227 * 18)
		return 1;
	if ((off >= 0x3000 && off < 0x300A) || (off >= 0x7000 && off < 0x700A))
		return 1;
	for (i = 1; i < st->nkeys; i++) {
		const hvs_key *k = &st->keys[i];
		uint64_t end = k->value_offset + k->value_size +
			       (k->raw_type == HVS_KE_NODE ? 12 : 0);
		if (off >= k->file_offset && off < end)
			return 1;
	}
	return 0;
}

static void test_store__flip_every_structure_byte(void)
{
	static const struct {
		uint64_t lo, hi;
	} ranges[] = {
		{ 0x0000, 0x002E },  /* header copy 0 */
		{ 0x1000, 0x102E },  /* header copy 1 */
		{ 0x2000, 0x3000 },  /* object table */
		{ 0x3000, 0x4000 },  /* key table 1 */
		{ 0x7000, 0x8000 },  /* key table 2 */
		{ 0x8000, 0x8022 },  /* log header */
	};
	static const uint8_t masks[] = { 0x01, 0x80, 0xFF };
	size_t n, r, m;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	hvs_store *ref = NULL, *st;
	uint64_t off;
	long covered = 0, detected = 0;

	if (!data)
		SKIP("../shared/samples/test.VMRS absent");
	CHECK_OK(open_mem(&ref, data, n, NULL));
	for (r = 0; r < HVS__ARRAY_SIZE(ranges); r++) {
		for (off = ranges[r].lo; off < ranges[r].hi; off++) {
			int cov = crc_covered(ref, off);
			int in_header = off < 0x102E;
			for (m = 0; m < HVS__ARRAY_SIZE(masks); m++) {
				hvs_status s;
				psink ps;
				hvs_open_opts o;

				data[off] ^= masks[m];
				st = NULL;
				s = open_mem(&st, data, n, NULL);
				if (s == HVS_OK) {
					long keys = walk_check(st, hvs_store_root(st));
					hvs_store_close(st);
					if (keys < 0)
						test__fail(__FILE__, __LINE__, "flip at 0x%" PRIx64 ": inconsistent tree", off);
					CHECK(keys >= 0);
				} else if (s != HVS_E_CORRUPT) {
					test__fail(__FILE__, __LINE__, "flip at 0x%" PRIx64 ": status %d", off, s);
					return;
				}
				if (cov) {
					covered++;
					/* A header copy is redundant: a strict open
					 * still succeeds, lenient mode reports it. */
					if (in_header) {
						memset(&ps, 0, sizeof ps);
						memset(&o, 0, sizeof o);
						o.problem = sink;
						o.problem_ud = &ps;
						st = NULL;
						CHECK_OK(open_mem(&st, data, n, &o));
						hvs_store_close(st);
						if (ps.damage > 0)
							detected++;
						else
							test__fail(__FILE__, __LINE__, "flip at 0x%" PRIx64 " not reported", off);
					} else if (s == HVS_E_CORRUPT) {
						detected++;
					} else {
						test__fail(__FILE__, __LINE__, "flip 0x%02x at 0x%" PRIx64 " not detected",
							   masks[m], off);
					}
				}
				data[off] ^= masks[m];
			}
		}
	}
	CHECK_EQ(detected, covered);
	/* 10 563 checksummed bytes in these ranges (92 header, 4 086 object
	 * entries, 20 key-table header, 34 log header, 6 331 key-entry bytes),
	 * three masks each. */
	CHECK_EQ(covered, 3 * 10563);
	hvs_store_close(ref);
	free(data);
}

static void test_store__lenient_reports_every_problem(void)
{
	kb b;
	hvs_store *st = NULL;
	psink ps;
	hvs_open_opts o;

	build_basic(&b, 0x0400);
	/* Two damaged entries: both reported, the third key survives. */
	b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2] ^= 1;  /* /cfg/n value */
	b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2 + 8 + 21 + 2] ^= 1; /* /cfg/s length */
	memset(&ps, 0, sizeof ps);
	memset(&o, 0, sizeof o);
	o.problem = sink;
	o.problem_ud = &ps;
	CHECK_OK(open_mem(&st, b.p, b.size, &o));
	CHECK_EQ(ps.damage, 2);
	CHECK_EQ(ps.first_off, 0x3000 + 0x2F);
	CHECK(find(st, "/cfg") != NULL);
	CHECK(find(st, "/cfg/n") == NULL);
	hvs_store_close(st);
	free(b.p);
}

/* Open @data failing the 1st, 2nd, ... allocation until an open succeeds;
 * every failure must be a clean HVS_E_NOMEM with nothing left allocated. */
static long oom_loop(const uint8_t *data, size_t n, long keys)
{
	long i;
	for (i = 1; i < 100000; i++) {
		test_failalloc fa;
		hvs_open_opts o;
		hvs_store *st = NULL;
		hvs_status s;

		test_failalloc_init(&fa, i);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		s = open_mem(&st, data, n, &o);
		if (s == HVS_OK) {
			long got = walk_check(st, hvs_store_root(st));
			hvs_store_close(st);
			if (got != keys || fa.live != 0)
				return -1;
			return i;
		}
		if (s != HVS_E_NOMEM || st != NULL || fa.live != 0)
			return -1;
	}
	return -1;
}

static void test_store__oom_every_allocation(void)
{
	size_t n;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	kb b;
	long calls;

	/* A built container with a pending log covers the overlay too. */
	build_basic(&b, 0x0400);
	{
		uint8_t hdr[0x2E];
		memcpy(hdr, b.p, 0x2E);
		hvs__put_le32(hdr + 0x0E, 5);
		hvs__put_le32(hdr + 4, 0);
		hvs__put_le32(hdr + 4, hvs__crc32(0, hdr, 0x2E));
		kb_log(&b, 0x5000, 2);
		kb_log_entry(&b, 0x5000, 0, 0, 0x1000, hdr, 0x2E);
		kb_log_entry(&b, 0x5000, 1, 0x6800, 0x1100, hdr, 0x2E);
	}
	calls = oom_loop(b.p, b.size, 3);
	CHECK(calls > 5);
	free(b.p);
	if (!data)
		SKIP("../shared/samples/test.VMRS absent");
	calls = oom_loop(data, n, 113);
	CHECK(calls > 5);
	free(data);
}

/* ------------------------------------------------------------ hvs check */

/* Run "hvs check --json FILE", capture stdout; returns the exit code. */
static int run_check(const char *hvs, const char *file, char *out, size_t size)
{
	const char *argv[] = { hvs, "check", "--json", file, NULL };
	char *o = NULL;
	size_t n = 0;
	int rc = test_spawn_capture(argv, 0, &o, &n);
	out[0] = '\0';
	if (o) {
		n = HVS__MIN(n, size - 1);
		memcpy(out, o, n);
		out[n] = '\0';
		free(o);
	}
	return rc;
}

static void test_store__cli_check_exit_codes(void)
{
	char hvs[4096], out[16384];
	const char *f;
	uint8_t junk[0x2000];
	kb b;

	if (!test_bin_path("hvs"))
		SKIP("hvs not built");
	snprintf(hvs, sizeof hvs, "%s", test_bin_path("hvs"));
	build_basic(&b, 0x0400);
	f = test_tmp_path("store_ok.hvs");
	CHECK(test_write_file(f, b.p, b.size) == 0);
	CHECK_EQ(run_check(hvs, test_tmp_path("store_ok.hvs"), out, sizeof out), 0);
	CHECK(strstr(out, "\"verdict\": \"valid\"") != NULL);
	CHECK(strstr(out, "\"keys\": 3") != NULL);
	/* Two damaged entries: exit 1, both listed with their offsets. */
	b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2] ^= 1;
	b.p[0x3000 + 10 + 21 + 4 + 12 + 21 + 2 + 8 + 21 + 2] ^= 1;
	f = test_tmp_path("store_bad.hvs");
	CHECK(test_write_file(f, b.p, b.size) == 0);
	CHECK_EQ(run_check(hvs, test_tmp_path("store_bad.hvs"), out, sizeof out), 1);
	CHECK(strstr(out, "\"verdict\": \"damaged\"") != NULL);
	CHECK(strstr(out, "\"offset\": \"0x302f\"") != NULL);
	CHECK(strstr(out, "\"offset\": \"0x304e\"") != NULL);
	/* Not this format: exit 3; missing file: exit 4. */
	memset(junk, 0x5A, sizeof junk);
	f = test_tmp_path("store_junk.bin");
	CHECK(test_write_file(f, junk, sizeof junk) == 0);
	CHECK_EQ(run_check(hvs, test_tmp_path("store_junk.bin"), out, sizeof out), 3);
	CHECK(strstr(out, "not a HyperVStorage container") != NULL);
	CHECK_EQ(run_check(hvs, test_tmp_path("store_missing.vmrs"), out, sizeof out), 4);
	free(b.p);
}

TEST_MAIN(TEST(test_store__vmrs_sample), TEST(test_store__vmcx_sample),
	  TEST(test_store__paths), TEST(test_store__every_value_type),
	  TEST(test_store__version_1_0_utf16_names), TEST(test_store__versions),
	  TEST(test_store__not_a_container), TEST(test_store__header_selection),
	  TEST(test_store__replay_log), TEST(test_store__duplicate_table_index),
	  TEST(test_store__parent_in_later_table),
	  TEST(test_store__parent_loop_and_dangling),
	  TEST(test_store__object_table_chain), TEST(test_store__entry_checks),
	  TEST(test_store__overlapping_tables),
	  TEST(test_store__truncate_every_offset),
	  TEST(test_store__flip_every_structure_byte),
	  TEST(test_store__lenient_reports_every_problem),
	  TEST(test_store__oom_every_allocation),
	  TEST(test_store__cli_check_exit_codes))
