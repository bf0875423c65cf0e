/* SPDX-License-Identifier: MIT */
/*
 * Tests of hvs_store_dump() (src/store/dump.c): the structure walk behind
 * `hvs dump-structures`.  Expected values on the real sample come from
 * ../shared/spec/format.md (2.3 stale log entries, section 10 sample
 * table), not from our own reader; the generated containers check that
 * every structure the writer produces is reported valid, and damaged and
 * truncated copies check that the walk reports damage and goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "test.h"
#include "gen_store.h"

/* ------------------------------------------------------------ recorder */

#define MAX_STRUCTS 2048
#define MAX_FIELDS 16

typedef struct rfield {
	char name[32];
	uint64_t offset, value, computed;
	uint32_t size;
	hvs_dump_check check;
	char note[64];
} rfield;

typedef struct rstruct {
	char kind[32];
	char state[48];
	char problem[160];
	uint64_t offset, size;
	int64_t index;
	int valid;
	int nfields;
	rfield f[MAX_FIELDS];
} rstruct;

typedef struct rec {
	rstruct *s;
	int n;
	int overflow;
} rec;

static void r_begin(void *ud, const hvs_dump_struct *s)
{
	rec *r = ud;
	rstruct *x;

	if (r->n >= MAX_STRUCTS) {
		r->overflow = 1;
		return;
	}
	x = &r->s[r->n++];
	memset(x, 0, sizeof *x);
	snprintf(x->kind, sizeof x->kind, "%s", s->kind);
	snprintf(x->state, sizeof x->state, "%s", s->state ? s->state : "");
	snprintf(x->problem, sizeof x->problem, "%s", s->problem ? s->problem : "");
	x->offset = s->offset;
	x->size = s->size;
	x->index = s->index;
	x->valid = s->valid;
	/* The contract: a problem exactly when invalid. */
	if ((s->problem != NULL) != !s->valid)
		r->overflow = 2;
}

static void r_field(void *ud, const hvs_dump_field *f)
{
	rec *r = ud;
	rstruct *x;
	rfield *y;

	if (r->n == 0 || r->n > MAX_STRUCTS) {
		r->overflow = 3;
		return;
	}
	x = &r->s[r->n - 1];
	if (x->nfields >= MAX_FIELDS) {
		r->overflow = 4;
		return;
	}
	y = &x->f[x->nfields++];
	snprintf(y->name, sizeof y->name, "%s", f->name);
	snprintf(y->note, sizeof y->note, "%s", f->note ? f->note : "");
	y->offset = f->offset;
	y->size = f->size;
	y->value = f->value;
	y->check = f->check;
	y->computed = f->computed;
}

/* Run the dump over a memory buffer into @r. */
static hvs_status run(rec *r, const uint8_t *p, size_t n, uint32_t flags)
{
	hvs_source src;
	hvs_dump_ops ops = { r_begin, r_field, NULL };
	hvs_status s;

	ops.ud = r;
	r->n = 0;
	r->overflow = 0;
	if (hvs_source_from_memory(&src, p, n) != HVS_OK)
		return HVS_E_INVALID;
	s = hvs_store_dump(&src, NULL, flags, &ops);
	hvs_source_close(&src);
	return s;
}

/* The @nth structure of @kind (0-based), or NULL. */
static const rstruct *find(const rec *r, const char *kind, int nth)
{
	int i;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->s[i].kind, kind) == 0 && nth-- == 0)
			return &r->s[i];
	return NULL;
}

static int count(const rec *r, const char *kind)
{
	int i, c = 0;
	for (i = 0; i < r->n; i++)
		c += strcmp(r->s[i].kind, kind) == 0;
	return c;
}

/* Structures of @kind in @state. */
static int count_state(const rec *r, const char *kind, const char *state)
{
	int i, c = 0;
	for (i = 0; i < r->n; i++)
		c += strcmp(r->s[i].kind, kind) == 0 && strcmp(r->s[i].state, state) == 0;
	return c;
}

/* Field @name of @s, or NULL. */
static const rfield *fieldof(const rstruct *s, const char *name)
{
	int i;
	for (i = 0; s && i < s->nfields; i++)
		if (strcmp(s->f[i].name, name) == 0)
			return &s->f[i];
	return NULL;
}

/* Value of field @name; UINT64_MAX when absent (fails the CHECK). */
static uint64_t val(const rstruct *s, const char *name)
{
	const rfield *f = fieldof(s, name);
	return f ? f->value : UINT64_MAX;
}

static rec *rec_new(void)
{
	rec *r = calloc(1, sizeof *r);
	if (r)
		r->s = calloc(MAX_STRUCTS, sizeof *r->s);
	return r;
}

static void rec_free(rec *r)
{
	if (r)
		free(r->s);
	free(r);
}

static uint8_t *load_sample(const char *name, size_t *n)
{
	const char *p = test_shared_path(name);
	return p ? test_read_file(p, n) : NULL;
}

/* -------------------------------------------------------- real sample */

/* test.VMRS against format.md 2.2/2.3 and section 10. */
static void test_dump__vmrs_sample(void)
{
	static const uint64_t stale[3][3] = {
		/* {DestinationOffset, DestinationSize, OffsetInsideLog}: format.md 2.3 */
		{ 0x3000, 0x1000, 0x1000 }, { 0x7000, 0x1000, 0x2000 }, { 0x201A, 0x24, 0x3000 }
	};
	size_t n;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	rec *r = rec_new();
	const rstruct *s;
	const rfield *f;
	int i;

	if (!data) {
		rec_free(r);
		SKIP("../shared/samples/test.VMRS absent");
	}
	CHECK(r != NULL && r->s != NULL);
	CHECK_OK(run(r, data, n, 0));
	CHECK_EQ(r->overflow, 0);
	/* Header copies: sequence 7 at 0 (current) and 6 at 0x1000, both valid. */
	s = find(r, "file header", 0);
	CHECK(s != NULL);
	CHECK_EQ(s->offset, 0);
	CHECK_EQ(s->index, 0);
	CHECK_EQ(s->valid, 1);
	CHECK_STR(s->state, "current");
	CHECK_EQ(s->nfields, 10);
	CHECK_EQ(val(s, "signature"), 0x01282014);
	CHECK_EQ(val(s, "sequence"), 7);
	CHECK_EQ(val(s, "format_version"), 0x400);
	CHECK_EQ(val(s, "alignment"), 0x1000);
	CHECK_EQ(val(s, "log_offset"), 0x8000);
	CHECK_EQ(val(s, "log_size"), 0x4000);
	CHECK_EQ(val(s, "log_header_size"), 0x1000);
	f = fieldof(s, "log_size");
	CHECK(f != NULL);
	CHECK_EQ(f->offset, 0x22);
	CHECK_EQ(f->size, 8);
	f = fieldof(s, "checksum");
	CHECK(f != NULL);
	CHECK_EQ(f->check, HVS_DUMP_CHECK_OK);
	CHECK_EQ(f->computed, f->value);
	s = find(r, "file header", 1);
	CHECK(s != NULL);
	CHECK_EQ(s->offset, 0x1000);
	CHECK_EQ(s->valid, 1);
	CHECK_STR(s->state, "older");
	CHECK_EQ(val(s, "sequence"), 6);
	/* Replay log at 0x8000: clean (count 0), 145 slots (format.md 2.3). */
	s = find(r, "replay log", 0);
	CHECK(s != NULL);
	CHECK_EQ(s->offset, 0x8000);
	CHECK_EQ(s->valid, 1);
	CHECK_EQ(val(s, "signature"), 0x01110003);
	CHECK_EQ(val(s, "current_entries"), 0);
	CHECK_EQ(val(s, "max_entries"), 145);
	CHECK_EQ(val(s, "change_tracking_enabled"), 0);
	CHECK(fieldof(s, "change_tracking_used") != NULL);
	CHECK_EQ(fieldof(s, "max_entries")->offset, 0x0D);
	/* Exactly the three stale entries, both CRCs valid. */
	CHECK_EQ(count(r, "replay log entry"), 3);
	for (i = 0; i < 3; i++) {
		s = find(r, "replay log entry", i);
		CHECK(s != NULL);
		CHECK_EQ(s->index, i);
		CHECK_EQ(s->offset, 0x8000 + 0x22 + 0x1C * (uint64_t)i);
		CHECK_EQ(s->valid, 1);
		CHECK_STR(s->state, "stale");
		CHECK_EQ(val(s, "destination_offset"), stale[i][0]);
		CHECK_EQ(val(s, "destination_size"), stale[i][1]);
		CHECK_EQ(val(s, "offset_in_log"), stale[i][2]);
		CHECK_EQ(fieldof(s, "checksum")->check, HVS_DUMP_CHECK_OK);
		CHECK_EQ(fieldof(s, "data_checksum")->check, HVS_DUMP_CHECK_OK);
	}
	/* One object table at 0x2000 with 227 slots; 3 non-empty entries
	 * (format.md section 10). */
	CHECK_EQ(count(r, "object table"), 1);
	s = find(r, "object table", 0);
	CHECK_EQ(s->offset, 0x2000);
	CHECK_EQ(s->valid, 1);
	CHECK_EQ(val(s, "entries_count"), 227);
	CHECK_EQ(count(r, "object table entry"), 3);
	s = find(r, "object table entry", 0);
	CHECK_EQ(val(s, "type"), 2);
	CHECK_EQ(val(s, "offset"), 0x3000);
	CHECK_EQ(val(s, "size"), 0x1000);
	CHECK_EQ(s->valid, 1);
	s = find(r, "object table entry", 1);
	CHECK_EQ(val(s, "type"), 2);
	CHECK_EQ(val(s, "offset"), 0x7000);
	CHECK_EQ(s->valid, 1);
	s = find(r, "object table entry", 2);
	CHECK_EQ(val(s, "type"), 4);
	CHECK_STR(s->state, "free");
	CHECK_EQ(val(s, "offset"), 0x4000);
	CHECK_EQ(val(s, "size"), 0x3000);
	/* Key tables: idx 1 seq 8 at 0x3000, idx 2 seq 2 at 0x7000. */
	CHECK_EQ(count(r, "key table"), 2);
	s = find(r, "key table", 0);
	CHECK_EQ(s->offset, 0x3000);
	CHECK_EQ(s->index, 1);
	CHECK_EQ(val(s, "sequence"), 8);
	CHECK_EQ(s->valid, 1);
	s = find(r, "key table", 1);
	CHECK_EQ(s->offset, 0x7000);
	CHECK_EQ(s->index, 2);
	CHECK_EQ(val(s, "sequence"), 2);
	CHECK_EQ(count(r, "key entry"), 0);

	/* With the entries: every checksum verifies (format.md 2.6: all
	 * non-Free entries of the samples match); the first entry of table 1
	 * is the "configuration" node at the root. */
	CHECK_OK(run(r, data, n, HVS_DUMP_KEY_ENTRIES));
	/* 114 entries (format.md section 10), one of them Free (storage.md
	 * errata: the reader's 113 are the non-Free ones). */
	CHECK_EQ(count(r, "key entry"), 114);
	CHECK_EQ(count_state(r, "key entry", "free"), 1);
	for (i = 0; i < r->n; i++)
		CHECK_EQ(r->s[i].valid, 1);
	s = find(r, "key entry", 0);
	CHECK_EQ(s->offset, 0x300A);
	CHECK_EQ(val(s, "type"), 9);
	CHECK_EQ(val(s, "parent_table"), 0);
	CHECK_EQ(val(s, "insertion_seq"), 1);
	CHECK_STR(fieldof(s, "name_size")->note, "configuration");
	free(data);
	rec_free(r);
}

/* test.vmcx: 8 key tables, 411 entries, all CRCs valid, log at 0xA000
 * size 0x9000 (format.md section 10); 2 Free entries and a key table at
 * 0x13000 past the log, stale data at log offsets 0x1000 .. 0x4564
 * (storage.md, errata). */
static void test_dump__vmcx_sample(void)
{
	static const uint64_t logoff[6] = { 0x1000, 0x2000, 0x3000, 0x352B, 0x452B, 0x4564 };
	size_t n;
	uint8_t *data = load_sample("samples/test.vmcx", &n);
	rec *r = rec_new();
	const rstruct *s;
	int i;

	if (!data) {
		rec_free(r);
		SKIP("../shared/samples/test.vmcx absent");
	}
	CHECK_OK(run(r, data, n, HVS_DUMP_KEY_ENTRIES));
	CHECK_EQ(r->overflow, 0);
	for (i = 0; i < r->n; i++)
		CHECK_EQ(r->s[i].valid, 1);
	CHECK_EQ(count(r, "key table"), 8);
	CHECK_EQ(count(r, "key entry"), 411);
	CHECK_EQ(count_state(r, "key entry", "free"), 2);
	CHECK_EQ(find(r, "key table", 7)->offset, 0x13000);
	s = find(r, "replay log", 0);
	CHECK_EQ(s->offset, 0xA000);
	CHECK_EQ(s->size, 0x9000);
	CHECK_EQ(val(s, "current_entries"), 0);
	for (i = 0; i < 6; i++) {
		s = find(r, "replay log entry", i);
		CHECK(s != NULL);
		CHECK_STR(s->state, "stale");
		CHECK_EQ(val(s, "offset_in_log"), logoff[i]);
	}
	free(data);
	rec_free(r);
}

/* A flipped header-CRC byte: copy 0 invalid, copy 1 current, walk goes on. */
static void test_dump__damaged_header(void)
{
	size_t n;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	rec *r = rec_new();
	const rstruct *s;

	if (!data) {
		rec_free(r);
		SKIP("../shared/samples/test.VMRS absent");
	}
	data[0x04] ^= 0x01; /* CRC of copy 0 */
	CHECK_STATUS(run(r, data, n, 0), HVS_E_CORRUPT);
	s = find(r, "file header", 0);
	CHECK_EQ(s->valid, 0);
	CHECK(strstr(s->problem, "checksum") != NULL);
	CHECK_EQ(fieldof(s, "checksum")->check, HVS_DUMP_CHECK_BAD);
	CHECK_EQ(fieldof(s, "checksum")->value ^ 1, fieldof(s, "checksum")->computed);
	s = find(r, "file header", 1);
	CHECK_EQ(s->valid, 1);
	CHECK_STR(s->state, "current");
	/* The rest is still walked. */
	CHECK_EQ(count(r, "replay log entry"), 3);
	CHECK_EQ(count(r, "object table entry"), 3);
	CHECK_EQ(count(r, "key table"), 2);
	free(data);
	rec_free(r);
}

/* Truncated copies: never crash, report what is missing. */
static void test_dump__truncated_sample(void)
{
	static const size_t lens[] = { 0, 1, 0x2D, 0x2E, 0x1000, 0x102E, 0x2000, 0x2007,
				       0x2008, 0x2020, 0x3005, 0x3100, 0x7FFF, 0x8010,
				       0x8030, 0x8050, 0xB010, 0xB023 };
	size_t n, i;
	uint8_t *data = load_sample("samples/test.VMRS", &n);
	rec *r = rec_new();
	const rstruct *s;

	if (!data) {
		rec_free(r);
		SKIP("../shared/samples/test.VMRS absent");
	}
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		hvs_status st = run(r, data, lens[i], HVS_DUMP_KEY_ENTRIES);
		CHECK_EQ(r->overflow, 0);
		/* Before copy 0 is complete there is no signature to see; once
		 * the log header (0x8000+0x22) is in, only stale log slots are
		 * cut, which are leftovers, not damage (format.md 2.3). */
		CHECK_EQ(st, (lens[i] < 0x2E ? HVS_E_UNSUPPORTED
					     : lens[i] < 0x8022 ? HVS_E_CORRUPT : HVS_OK));
		CHECK_EQ(count(r, "file header"), 2);
	}
	/* 0x3005: the key table 0x3000+0x1000 is cut: its object-table entry
	 * is reported invalid and the table is not read; the other entries
	 * are still listed. */
	CHECK_STATUS(run(r, data, 0x3005, 0), HVS_E_CORRUPT);
	s = find(r, "object table entry", 0);
	CHECK(s != NULL);
	CHECK_EQ(s->valid, 0);
	CHECK(strstr(s->problem, "past the end") != NULL);
	CHECK_EQ(count(r, "object table entry"), 3);
	CHECK_EQ(count(r, "key table"), 0);
	/* 0xB010: the data of stale entry 2 (log 0x3000 -> 0xB000+0x24) is
	 * cut: its data CRC cannot be verified; stale, so not the verdict.
	 * The key table at 0x7000 is complete, so everything else is valid. */
	CHECK_OK(run(r, data, 0xB010, 0));
	s = find(r, "replay log entry", 2);
	CHECK_EQ(s->valid, 0);
	CHECK_EQ(fieldof(s, "data_checksum")->check, HVS_DUMP_CHECK_UNKNOWN);
	CHECK_EQ(fieldof(s, "checksum")->check, HVS_DUMP_CHECK_OK);
	free(data);
	rec_free(r);
}

/* --------------------------------------------------- generated files */

static const gen_key gen_keys[] = {
	{ "/configuration/properties/version", GEN_UINT, .u = 2304 },
	{ "/configuration/properties/name", GEN_STRING, .s = "vm1" },
	{ "/savedstate/flag", GEN_BOOL, .i = 1 },
	{ "/savedstate/big", GEN_ZEROS, .len = 5000 },
};

/* Our writer's container: every structure valid, the file object listed. */
static void test_dump__generated(void)
{
	size_t n;
	uint8_t *data = gen_store_build(gen_keys, sizeof gen_keys / sizeof gen_keys[0], &n);
	rec *r = rec_new();
	const rstruct *s;
	int i, files = 0, names = 0;

	CHECK(data != NULL);
	CHECK_OK(run(r, data, n, HVS_DUMP_KEY_ENTRIES));
	CHECK_EQ(r->overflow, 0);
	for (i = 0; i < r->n; i++) {
		CHECK_EQ(r->s[i].valid, 1);
		files += strcmp(r->s[i].state, "file object") == 0;
		if (fieldof(&r->s[i], "name_size") && strcmp(fieldof(&r->s[i], "name_size")->note, "big") == 0) {
			names++;
			CHECK_EQ(val(&r->s[i], "flags") & 1, 1); /* PointsToFileObject */
			CHECK_EQ(val(&r->s[i], "type"), 7);
		}
	}
	CHECK_EQ(files, 1);
	CHECK_EQ(names, 1);
	s = find(r, "object table", 0);
	CHECK_EQ(s->offset, 0x2000);
	/* The writer's log is empty: no entry slot is reported. */
	CHECK_EQ(count(r, "replay log entry"), 0);
	/* A pending entry: reported as pending with both CRCs ok. */
	{
		uint8_t patch[4] = { 1, 2, 3, 4 };
		int j;
		CHECK_OK(gen_store_log_entry_mem(data, n, 0x2000 + 8 + 5 * 18, patch, sizeof patch));
		CHECK_OK(run(r, data, n, 0));
		CHECK_EQ(count(r, "replay log entry"), 1);
		s = find(r, "replay log entry", 0);
		CHECK_STR(s->state, "pending");
		CHECK_EQ(s->valid, 1);
		CHECK_EQ(val(s, "destination_size"), 4);
		CHECK_EQ(val(find(r, "replay log", 0), "current_entries"), 1);
		/* Damage the pending entry's data: now it counts. */
		for (j = 0; j < r->n && strcmp(r->s[j].kind, "replay log") != 0; j++)
			;
		CHECK(j < r->n);
		{
			uint64_t loff = r->s[j].offset;
			uint64_t doff = loff + val(s, "offset_in_log");
			CHECK(doff < n);
			data[doff] ^= 0xFF;
		}
		CHECK_STATUS(run(r, data, n, 0), HVS_E_CORRUPT);
		s = find(r, "replay log entry", 0);
		CHECK_EQ(s->valid, 0);
		CHECK_EQ(fieldof(s, "data_checksum")->check, HVS_DUMP_CHECK_BAD);
	}
	free(data);
	rec_free(r);
}

/* Every truncation of a generated file and every single-byte flip of its
 * first 0x2100 bytes: never crash, never an unexpected status. */
static void test_dump__generated_damage(void)
{
	size_t n, i;
	uint8_t *data = gen_store_build(gen_keys, sizeof gen_keys / sizeof gen_keys[0], &n);
	rec *r = rec_new();

	CHECK(data != NULL);
	for (i = 0; i <= n; i += (i < 0x2200 ? 7 : 509)) {
		hvs_status s = run(r, data, i, HVS_DUMP_KEY_ENTRIES);
		CHECK(s == HVS_OK || s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED);
		CHECK_EQ(r->overflow, 0);
	}
	for (i = 0; i < 0x2100 && i < n; i++) {
		hvs_status s;
		data[i] ^= 0x5A;
		s = run(r, data, n, HVS_DUMP_KEY_ENTRIES);
		CHECK(s == HVS_OK || s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED);
		CHECK_EQ(r->overflow, 0);
		data[i] ^= 0x5A;
	}
	free(data);
	rec_free(r);
}

/* Argument checks and OOM: no leak, HVS_E_NOMEM. */
static void test_dump__args_and_oom(void)
{
	size_t n;
	uint8_t *data = gen_store_build(gen_keys, sizeof gen_keys / sizeof gen_keys[0], &n);
	rec *r = rec_new();
	hvs_source src;
	hvs_dump_ops ops = { r_begin, r_field, NULL };
	hvs_open_opts o;
	long i;
	int ok = 0;

	ops.ud = r;
	CHECK(data != NULL);
	CHECK_OK(hvs_source_from_memory(&src, data, n));
	CHECK_STATUS(hvs_store_dump(NULL, NULL, 0, &ops), HVS_E_INVALID);
	CHECK_STATUS(hvs_store_dump(&src, NULL, 0, NULL), HVS_E_INVALID);
	for (i = 1; i < 50 && !ok; i++) {
		test_failalloc fa;
		hvs_status s;
		test_failalloc_init(&fa, i);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		r->n = 0;
		s = hvs_store_dump(&src, &o, HVS_DUMP_KEY_ENTRIES, &ops);
		CHECK(s == HVS_OK || s == HVS_E_NOMEM);
		CHECK_EQ(fa.live, 0);
		ok = s == HVS_OK;
	}
	CHECK(ok);
	hvs_source_close(&src);
	free(data);
	rec_free(r);
}

TEST_MAIN(TEST(test_dump__vmrs_sample), TEST(test_dump__vmcx_sample),
	  TEST(test_dump__damaged_header),
	  TEST(test_dump__truncated_sample), TEST(test_dump__generated),
	  TEST(test_dump__generated_damage), TEST(test_dump__args_and_oom))
