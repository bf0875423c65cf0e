/* SPDX-License-Identifier: MIT */
/*
 * Tests of hvs_store_apply_replay_log() (src/store/replay.c), the
 * ApplyPendingSavedStateFileReplayLog of api.md 2.1.  Files with a pending
 * log are built from writer output by appending log entries
 * (gen_store_log_entry_mem: a rewritten key table, as Hyper-V logs them,
 * and a small patch of a file object), so the expected result after the
 * apply is computed independently here: the logged bytes copied to their
 * destinations and the log header's count cleared (format.md 2.3).
 */
#include "test.h"


#include "gen_store.h"
#include "store/format.h"
#include "store/writer_int.h"
#include "util/util.h"

/* Offsets in the pending file built by make_pending(). */
typedef struct pending {
	uint8_t *old;      /* file bytes with the log pending */
	uint8_t *want;     /* expected bytes after a full apply */
	size_t len;
	uint64_t fo;       /* file offset of RamBlock0's data */
} pending;

static const gen_key base_keys[] = {
	{ "/config/value", GEN_INT, 1, 0, 0, NULL, NULL, 0 },
	{ "/config/name", GEN_STRING, 0, 0, 0, "old", NULL, 0 },
	{ "/savedstate/RamBlock0", GEN_ZEROS, 0, 0, 0, NULL, NULL, 8192 },
	{ "/savedstate/count", GEN_UINT, 0, 1, 0, NULL, NULL, 0 },
};

/*
 * Build a container and give it two pending log entries: key table 1
 * rewritten with /config/value = 2 (0x1000 bytes), and 36 bytes of 0xEE
 * at offset 100 of RamBlock0's file object.
 */
static int make_pending(pending *p)
{
	uint8_t table[0x1000], patch[36];
	uint64_t kt, off;
	uint32_t esz;
	size_t i;

	memset(p, 0, sizeof *p);
	p->old = gen_store_build(base_keys, HVS__ARRAY_SIZE(base_keys), &p->len);
	if (!p->old)
		return -1;
	kt = gen_store_key_table_offset(p->old, p->len, 1);
	if (!kt || gen_store_find_entry(p->old, p->len, "/config/value", &off, &esz) ||
	    gen_store_find_entry(p->old, p->len, "/savedstate/RamBlock0", &p->fo, &esz))
		return -1;
	/* The file object pointer: u32 size + u64 offset after "RamBlock0\0". */
	p->fo = hvs__le64(p->old + p->fo + 21 + 10 + 4);
	/* New key table: value 1 -> 2, entry CRC recomputed. */
	memcpy(table, p->old + kt, sizeof table);
	table[off - kt + 21 + 6] = 2;
	gen_store_fix_entry_crc(table, sizeof table, off - kt);
	memset(patch, 0xEE, sizeof patch);
	if (gen_store_log_entry_mem(p->old, p->len, kt, table, sizeof table) ||
	    gen_store_log_entry_mem(p->old, p->len, p->fo + 100, patch, sizeof patch))
		return -1;
	/* Expected result, computed directly. */
	p->want = malloc(p->len);
	memcpy(p->want, p->old, p->len);
	memcpy(p->want + kt, table, sizeof table);
	for (i = 0; i < sizeof patch; i++)
		p->want[p->fo + 100 + i] = 0xEE;
	{
		uint8_t *lh = p->want + HVS_WRITER_LOG_OFFSET;
		hvs__put_le32(lh + HVS_LOG_OFF_COUNT, 0);
		hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, 0);
		hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM,
			      hvs__crc32(0, lh, HVS_LOG_HEADER_SIZE));
	}
	return 0;
}

static void free_pending(pending *p)
{
	free(p->old);
	free(p->want);
}

/* Does the file at @path hold exactly @data? */
static int file_is(const char *path, const uint8_t *data, size_t len)
{
	size_t n = 0;
	uint8_t *f = test_read_file(path, &n);
	int r = f && n == len && memcmp(f, data, len) == 0;
	free(f);
	return r;
}

/* Compare two open stores key by key (names, types, raw value bytes). */
static int same_tree(hvs_store *a, const hvs_key *ka, hvs_store *b, const hvs_key *kb)
{
	size_t i, n = hvs_key_child_count(ka);
	uint64_t vs = hvs_key_value_size(ka);
	if (strcmp(hvs_key_name(ka), hvs_key_name(kb)) != 0 ||
	    hvs_key_get_type(ka) != hvs_key_get_type(kb) ||
	    vs != hvs_key_value_size(kb) || n != hvs_key_child_count(kb))
		return 0;
	if (vs && hvs_key_get_type(ka) != HVS_KEY_NODE) {
		uint8_t *x = malloc((size_t)vs), *y = malloc((size_t)vs);
		int ok = hvs_key_read(a, ka, 0, x, (size_t)vs, NULL) == HVS_OK &&
			 hvs_key_read(b, kb, 0, y, (size_t)vs, NULL) == HVS_OK &&
			 memcmp(x, y, (size_t)vs) == 0;
		free(x);
		free(y);
		if (!ok)
			return 0;
	}
	for (i = 0; i < n; i++)
		if (!same_tree(a, hvs_key_child(ka, i), b, hvs_key_child(kb, i)))
			return 0;
	return 1;
}

/* A full apply writes exactly the logged bytes and clears the count. */
static void test_replay__apply(void)
{
	const char *path = test_tmp_path("replay_apply.vmrs");
	pending p;
	uint32_t applied = 99;
	hvs_store *st = NULL;
	hvs_store_info info;
	const hvs_key *k;
	int64_t v = 0;
	uint8_t buf[40];

	CHECK(make_pending(&p) == 0);
	CHECK(test_write_file(path, p.old, p.len) == 0);
	/* Before: the reader replays the log in memory. */
	CHECK_OK(hvs_store_open_file(&st, path, NULL));
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.replay_pending, 2);
	CHECK_EQ(info.replay_applied, 2);
	hvs_store_close(st);

	CHECK_OK(hvs_store_apply_replay_log(path, NULL, &applied));
	CHECK_EQ(applied, 2);
	CHECK(file_is(path, p.want, p.len));
	/* After: clean, and the new values are in the file itself. */
	{
		hvs_open_opts o;
		memset(&o, 0, sizeof o);
		o.flags = HVS_OPEN_NO_REPLAY;
		CHECK_OK(hvs_store_open_file(&st, path, &o));
	}
	hvs_store_get_info(st, &info);
	CHECK_EQ(info.replay_pending, 0);
	CHECK_OK(hvs_store_find(st, "/config/value", &k));
	CHECK_OK(hvs_key_get_int(st, k, &v));
	CHECK_EQ(v, 2);
	CHECK_OK(hvs_store_find(st, "/savedstate/RamBlock0", &k));
	CHECK_OK(hvs_key_read(st, k, 98, buf, 40, NULL));
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[1], 0);
	CHECK_EQ(buf[2], 0xEE);
	CHECK_EQ(buf[37], 0xEE);
	CHECK_EQ(buf[38], 0);
	hvs_store_close(st);

	/* A second apply finds nothing to do. */
	CHECK_OK(hvs_store_apply_replay_log(path, NULL, &applied));
	CHECK_EQ(applied, 0);
	CHECK(file_is(path, p.want, p.len));
	free_pending(&p);
}

/* Nothing pending: not one byte written, the mtime unchanged. */
static void test_replay__clean_untouched(void)
{
	const char *path = test_tmp_path("replay_clean.vmrs");
	size_t n;
	uint8_t *f = gen_store_build(base_keys, HVS__ARRAY_SIZE(base_keys), &n);
	uint32_t applied = 99;

	CHECK(f != NULL);
	CHECK(test_write_file(path, f, n) == 0);
	/* An mtime in 2001, so any write would be visible. */
	CHECK(test_set_mtime(path, 1000000000) == 0);
	CHECK_OK(hvs_store_apply_replay_log(path, NULL, &applied));
	CHECK_EQ(applied, 0);
	CHECK_EQ(test_mtime(path), 1000000000);
	CHECK(file_is(path, f, n));
	free(f);
}

/*
 * Interrupt the apply after every possible number of writes (copying in
 * 1 KiB pieces, so also inside the key-table entry): the file must then
 * read, through the reader's in-memory replay, as the same tree as after
 * a full apply, and a later full apply must give the exact final bytes.
 */
static void test_replay__interrupt(void)
{
	const char *path = test_tmp_path("replay_int.vmrs");
	const char *ref = test_tmp_path("replay_int_ref.vmrs");
	pending p;
	hvs_store *full = NULL;
	uint32_t k, total = 0, done = 0, applied = 0;

	CHECK(make_pending(&p) == 0);
	CHECK(test_write_file(ref, p.want, p.len) == 0);
	CHECK_OK(hvs_store_open_file(&full, ref, NULL));
	/* 4 writes for the table, 1 for the patch, 1 for the log header. */
	CHECK(test_write_file(path, p.old, p.len) == 0);
	CHECK_OK(hvs__store_apply_replay_log_steps(path, NULL, &applied, UINT32_MAX,
						   1024, &total));
	CHECK_EQ(total, 6);
	CHECK_EQ(applied, 2);
	CHECK(file_is(path, p.want, p.len));

	for (k = 0; k <= total; k++) {
		hvs_store *st = NULL;
		hvs_store_info info;
		char err[HVS_ERRMSG_MAX] = "";
		hvs_open_opts o;

		CHECK(test_write_file(path, p.old, p.len) == 0);
		CHECK_OK(hvs__store_apply_replay_log_steps(path, NULL, &applied, k,
							   1024, &done));
		CHECK_EQ(done, k);
		CHECK_EQ(applied, k == total ? 2 : 0);
		memset(&o, 0, sizeof o);
		o.errbuf = err;
		o.errbuf_size = sizeof err;
		if (hvs_store_open_file(&st, path, &o) != HVS_OK) {
			test__fail(__FILE__, __LINE__, "after %u writes: %s", k, err);
			break;
		}
		hvs_store_get_info(st, &info);
		CHECK_EQ(info.replay_pending, k == total ? 0 : 2);
		if (!same_tree(st, hvs_store_root(st), full, hvs_store_root(full))) {
			test__fail(__FILE__, __LINE__, "after %u writes: tree differs", k);
			hvs_store_close(st);
			break;
		}
		hvs_store_close(st);
		/* Recovery: a later apply completes the job. */
		CHECK_OK(hvs_store_apply_replay_log(path, NULL, &applied));
		CHECK_EQ(applied, k == total ? 0 : 2);
		CHECK(file_is(path, p.want, p.len));
	}
	hvs_store_close(full);
	free_pending(&p);
}

/* Rewrite log entry @i of @f (fields != UINT64_MAX) and fix its CRC. */
static void set_entry(uint8_t *f, uint32_t i, uint64_t dest, uint64_t size,
		      uint64_t logoff)
{
	uint8_t *e = f + HVS_WRITER_LOG_OFFSET + HVS_LOG_HEADER_SIZE + i * HVS_LOGE_SIZE;
	if (dest != UINT64_MAX)
		hvs__put_le64(e + HVS_LOGE_OFF_DEST, dest);
	if (size != UINT64_MAX)
		hvs__put_le32(e + HVS_LOGE_OFF_SIZE, (uint32_t)size);
	if (logoff != UINT64_MAX)
		hvs__put_le64(e + HVS_LOGE_OFF_LOGOFF, logoff);
	hvs__put_le32(e + HVS_LOGE_OFF_CHECKSUM, 0);
	hvs__put_le32(e + HVS_LOGE_OFF_CHECKSUM, hvs__crc32(0, e, HVS_LOGE_SIZE));
}

/* Fix the log header CRC after a test changed it. */
static void fix_log_header(uint8_t *f)
{
	uint8_t *lh = f + HVS_WRITER_LOG_OFFSET;
	hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, 0);
	hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, hvs__crc32(0, lh, HVS_LOG_HEADER_SIZE));
}

/*
 * Damaged logs: every one is refused with HVS_E_CORRUPT before anything
 * is written, so the file stays byte for byte as it was.  The second
 * entry is the damaged one, so a writer that applied entry by entry
 * before checking would already have changed the file.
 */
static void test_replay__corrupt(void)
{
	const char *path = test_tmp_path("replay_bad.vmrs");
	uint8_t *e1 = NULL;
	int c;

	for (c = 0; c < 10; c++) {
		pending p;
		char err[HVS_ERRMSG_MAX] = "";
		hvs_open_opts o;
		uint32_t applied = 99;
		const char *want = NULL;
		uint8_t *lh;

		CHECK(make_pending(&p) == 0);
		lh = p.old + HVS_WRITER_LOG_OFFSET;
		e1 = lh + HVS_LOG_HEADER_SIZE + HVS_LOGE_SIZE;
		switch (c) {
		case 0: /* entry CRC */
			e1[HVS_LOGE_OFF_CHECKSUM] ^= 1;
			want = "entry 1 at 0x303e: checksum";
			break;
		case 1: /* logged data changed: data CRC */
			lh[0x2000] ^= 0x80;
			want = "entry 1: data at 0x5000 checksum";
			break;
		case 2: /* destination inside the log area */
			set_entry(p.old, 1, HVS_WRITER_LOG_OFFSET + 0x3FF0, UINT64_MAX,
				  UINT64_MAX);
			want = "overlaps the log area";
			break;
		case 3: /* destination just past the end of the file plus the
			         * log size (0x4000), the most a replay may grow it */
			set_entry(p.old, 1, p.len + 0x4000 - 35, UINT64_MAX, UINT64_MAX);
			want = "beyond the end of the file";
			break;
		case 4: /* data inside the log's header block */
			set_entry(p.old, 1, UINT64_MAX, UINT64_MAX, 0xFF0);
			want = "outside the log data area";
			break;
		case 5: /* data past the end of the log */
			set_entry(p.old, 1, UINT64_MAX, UINT64_MAX, 0x3FF0);
			want = "outside the log data area";
			break;
		case 6: /* zero-size entry */
			set_entry(p.old, 1, UINT64_MAX, 0, UINT64_MAX);
			want = "outside the log data area";
			break;
		case 7: /* log header CRC */
			lh[HVS_LOG_OFF_COUNT] = 3;
			want = "replay log at 0x3000: checksum";
			break;
		case 8: /* more pending entries than the maximum */
			hvs__put_le32(lh + HVS_LOG_OFF_COUNT, 146);
			fix_log_header(p.old);
			want = "146 pending entries, maximum 145";
			break;
		case 9: /* destination offset overflows */
			set_entry(p.old, 1, UINT64_MAX - 8, UINT64_MAX, UINT64_MAX);
			want = "beyond the end of the file";
			break;
		}
		CHECK(test_write_file(path, p.old, p.len) == 0);
		memset(&o, 0, sizeof o);
		o.errbuf = err;
		o.errbuf_size = sizeof err;
		CHECK_STATUS(hvs_store_apply_replay_log(path, &o, &applied), HVS_E_CORRUPT);
		CHECK_EQ(applied, 0);
		if (!strstr(err, want))
			test__fail(__FILE__, __LINE__, "case %d: message \"%s\" lacks \"%s\"",
				   c, err, want);
		CHECK(file_is(path, p.old, p.len));
		free_pending(&p);
		if (test__failed)
			return;
	}
}

/*
 * A real Hyper-V file with nothing pending: test.VMRS ends at 0xB024,
 * inside its log area 0x8000..0xC000 (format.md 10).  Apply is a no-op:
 * HVS_OK, nothing applied, the file byte for byte as it was.
 */
static void test_replay__real_clean_file(void)
{
	const char *src = test_shared_path("samples/test.VMRS");
	const char *path = test_tmp_path("replay_real.vmrs");
	uint8_t *f, *after;
	size_t n, n2;
	uint32_t applied = 99;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_open_opts o;

	if (!src)
		SKIP("../shared/samples/test.VMRS is absent");
	f = test_read_file(src, &n);
	CHECK(f != NULL);
	CHECK_EQ(n, 45092);
	CHECK(test_write_file(path, f, n) == 0);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	CHECK_OK(hvs_store_apply_replay_log(path, &o, &applied));
	CHECK_EQ(applied, 0);
	after = test_read_file(path, &n2);
	CHECK(after != NULL);
	CHECK_EQ(n2, n);
	CHECK_MEM(after, f, n);
	free(after);
	free(f);
}

/*
 * An entry whose destination runs past the end of the file, by less than
 * the log size: the reader accepts it (its view grows) and apply accepts
 * it too (the file grows, the logged bytes land at the destination, the
 * bytes between the old end and it are zeros): the two follow one rule.
 */
static void test_replay__extends_file(void)
{
	const char *path = test_tmp_path("replay_grow.vmrs");
	pending p;
	uint8_t *e1, *after, logged[64];
	uint64_t loff, dest;
	uint32_t size, applied = 0;
	size_t n2, got = 0;
	hvs_source src;
	hvs_store *st = NULL;

	CHECK(make_pending(&p) == 0);
	e1 = p.old + HVS_WRITER_LOG_OFFSET + HVS_LOG_HEADER_SIZE + HVS_LOGE_SIZE;
	size = hvs__le32(e1 + HVS_LOGE_OFF_SIZE);
	loff = hvs__le64(e1 + HVS_LOGE_OFF_LOGOFF);
	CHECK(size > 16 && size <= sizeof logged);
	memcpy(logged, p.old + HVS_WRITER_LOG_OFFSET + loff, size);
	/* Entry 1 now ends 0x100 bytes past the end of the file. */
	dest = p.len + 0x100 - size;
	set_entry(p.old, 1, dest, UINT64_MAX, UINT64_MAX);
	CHECK(test_write_file(path, p.old, p.len) == 0);
	/* The reader's view: replayed in memory, the file untouched. */
	CHECK_OK(hvs_source_from_memory(&src, p.old, p.len));
	CHECK_OK(hvs_store_open(&st, &src, NULL));
	hvs_store_close(st);
	hvs_source_close(&src);
	/* Apply: the file grows to hold the entry. */
	CHECK_OK(hvs_store_apply_replay_log(path, NULL, &applied));
	CHECK_EQ(applied, 2);
	after = test_read_file(path, &n2);
	CHECK(after != NULL);
	CHECK_EQ(n2, dest + size);
	CHECK_MEM(after + dest, logged, size);
	/* Bytes between the old end and the destination read as zeros. */
	for (got = p.len; got < dest; got++)
		CHECK_EQ(after[got], 0);
	free(after);
	free_pending(&p);
}

/*
 * Random damage to the log header, the entries and the logged data
 * (deterministic xorshift): the apply either refuses with HVS_E_CORRUPT
 * and leaves the file as it was, or (the byte was not covered by any
 * checksum, e.g. unused entry slots) commits exactly the logged bytes.
 */
static void test_replay__random_damage(void)
{
	const char *path = test_tmp_path("replay_rand.vmrs");
	pending p;
	uint32_t x = 0x12345678u;
	int it, refused = 0, applied_ok = 0;

	CHECK(make_pending(&p) == 0);
	for (it = 0; it < 400; it++) {
		uint8_t *f = malloc(p.len);
		uint32_t where, applied = 0;
		hvs_status s;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		/* Half in the header + entries, half anywhere in the log. */
		where = HVS_WRITER_LOG_OFFSET +
			(it & 1 ? x % 0x80 : x % HVS_WRITER_LOG_SIZE);
		memcpy(f, p.old, p.len);
		f[where] ^= (uint8_t)(1u << (x >> 24 & 7));
		CHECK(test_write_file(path, f, p.len) == 0);
		s = hvs_store_apply_replay_log(path, NULL, &applied);
		if (s == HVS_E_CORRUPT) {
			refused++;
			if (!file_is(path, f, p.len)) {
				free(f);
				test__fail(__FILE__, __LINE__, "byte 0x%x: file changed", where);
				break;
			}
		} else if (s == HVS_OK) {
			/* The byte was outside every CRC (an unused part of the
			 * log): the result is the expected file, except that
			 * the flipped byte is still there. */
			size_t n = 0;
			uint8_t *got = test_read_file(path, &n);
			int ok = got && n == p.len && applied == 2 &&
				 memcmp(got, p.want, where) == 0 && got[where] == f[where] &&
				 memcmp(got + where + 1, p.want + where + 1,
					p.len - where - 1) == 0;
			applied_ok++;
			free(got);
			if (!ok) {
				free(f);
				test__fail(__FILE__, __LINE__, "byte 0x%x: wrong result", where);
				break;
			}
		} else {
			free(f);
			test__fail(__FILE__, __LINE__, "byte 0x%x: status %d", where, (int)s);
			break;
		}
		free(f);
	}
	printf("  %d refused, %d harmless\n", refused, applied_ok);
	CHECK(refused > 100);
	CHECK(applied_ok > 10);
	free_pending(&p);
}

/* Header problems and bad arguments. */
static void test_replay__errors(void)
{
	const char *path = test_tmp_path("replay_err.vmrs");
	char err[HVS_ERRMSG_MAX] = "";
	hvs_open_opts o;
	pending p;
	uint8_t junk[0x3000];

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	CHECK_STATUS(hvs_store_apply_replay_log(NULL, &o, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_apply_replay_log(test_tmp_path("no/such.vmrs"), &o, NULL),
		     HVS_E_IO);
	CHECK(strstr(err, "no/such.vmrs") != NULL);
	memset(junk, 'J', sizeof junk);
	CHECK(test_write_file(path, junk, sizeof junk) == 0);
	CHECK_STATUS(hvs_store_apply_replay_log(path, &o, NULL), HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "not a HyperVStorage container") != NULL);

	CHECK(make_pending(&p) == 0);
	/* Copy 0 damaged: copy 1 (sequence 1) is used, same log. */
	p.old[0x20] ^= 1;
	p.want[0x20] ^= 1;
	CHECK(test_write_file(path, p.old, p.len) == 0);
	CHECK_OK(hvs_store_apply_replay_log(path, &o, NULL));
	CHECK(file_is(path, p.want, p.len));
	/* Both damaged. */
	p.old[0x1020] ^= 1;
	CHECK(test_write_file(path, p.old, p.len) == 0);
	CHECK_STATUS(hvs_store_apply_replay_log(path, &o, NULL), HVS_E_CORRUPT);
	CHECK(strstr(err, "neither copy") != NULL);
	p.old[0x20] ^= 1;
	p.old[0x1020] ^= 1;
	/* Equal sequences are refused like Microsoft's loader does. */
	hvs__put_le16(p.old + 0x1008, 2);
	hvs__put_le32(p.old + 0x1004, hvs__crc32_skip(p.old + 0x1000, HVS_FH_SIZE, 4));
	CHECK(test_write_file(path, p.old, p.len) == 0);
	CHECK_STATUS(hvs_store_apply_replay_log(path, &o, NULL), HVS_E_CORRUPT);
	CHECK(strstr(err, "both copies have sequence 2") != NULL);
	CHECK(file_is(path, p.old, p.len));
	/* Unknown format version in the active copy. */
	hvs__put_le16(p.old + 0x1008, 1);
	hvs__put_le32(p.old + 0x0A, 0x0500);
	hvs__put_le32(p.old + 4, hvs__crc32_skip(p.old, HVS_FH_SIZE, 4));
	hvs__put_le32(p.old + 0x1004, hvs__crc32_skip(p.old + 0x1000, HVS_FH_SIZE, 4));
	CHECK(test_write_file(path, p.old, p.len) == 0);
	CHECK_STATUS(hvs_store_apply_replay_log(path, &o, NULL), HVS_E_UNSUPPORTED);
	CHECK(file_is(path, p.old, p.len));
	free_pending(&p);
}

/* Another process holds the lock: HVS_E_IO, nothing written. */
static void test_replay__locked(void)
{
	const char *path = test_tmp_path("replay_lock.vmrs");
	char err[HVS_ERRMSG_MAX] = "";
	hvs_open_opts o;
	test_other_lock lk;
	pending p;

	CHECK(make_pending(&p) == 0);
	CHECK(test_write_file(path, p.old, p.len) == 0);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	/* A child process (POSIX) or another handle (Windows) holds the lock. */
	if (test_lock_other(&lk, path) == 0) {
		if (hvs_store_apply_replay_log(path, &o, NULL) != HVS_E_IO ||
		    !strstr(err, "locked by another process"))
			test__fail(__FILE__, __LINE__, "apply under a lock: \"%s\"", err);
		test_unlock_other(&lk);
	} else {
		test__fail(__FILE__, __LINE__, "could not lock %s", path);
	}
	if (test__failed) {
		free_pending(&p);
		return;
	}
	CHECK(file_is(path, p.old, p.len));
	/* Lock released: now it applies. */
	CHECK_OK(hvs_store_apply_replay_log(path, &o, NULL));
	CHECK(file_is(path, p.want, p.len));
	free_pending(&p);
}

/* OOM: every allocation failure is clean and writes nothing. */
static void test_replay__oom(void)
{
	const char *path = test_tmp_path("replay_oom.vmrs");
	pending p;
	long n;
	int completed = 0;

	CHECK(make_pending(&p) == 0);
	for (n = 1; n < 100 && !completed; n++) {
		test_failalloc fa;
		hvs_open_opts o;
		hvs_status s;
		CHECK(test_write_file(path, p.old, p.len) == 0);
		test_failalloc_init(&fa, n);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		s = hvs_store_apply_replay_log(path, &o, NULL);
		CHECK_EQ(fa.live, 0);
		if (s == HVS_OK) {
			completed = 1;
			CHECK(file_is(path, p.want, p.len));
		} else {
			CHECK_STATUS(s, HVS_E_NOMEM);
			CHECK(file_is(path, p.old, p.len));
		}
	}
	CHECK(completed);
	CHECK(n > 2);
	free_pending(&p);
}

TEST_MAIN(TEST(test_replay__apply), TEST(test_replay__clean_untouched),
	  TEST(test_replay__real_clean_file), TEST(test_replay__extends_file),
	  TEST(test_replay__interrupt), TEST(test_replay__corrupt),
	  TEST(test_replay__random_damage), TEST(test_replay__errors),
	  TEST(test_replay__locked),
	  TEST(test_replay__oom))
