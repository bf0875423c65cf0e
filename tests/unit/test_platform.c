/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the platform layer (src/util/platform.h): positional
 * reads and writes, gathered writes, sizes, exclusive temporary files,
 * rename with and without replacing, mkdir -p with non-ASCII names,
 * "same file", mappings, threads with mutex and condition variable, the
 * clock, the CPU count and the environment.  File contents are checked
 * through C stdio (fopen/fread/fwrite: another path into the OS than the
 * layer's pread/pwrite or ReadFile/WriteFile), environment values against
 * bytes written by hand.  Runs on Linux and, as a Windows program, under
 * wine (docs/windows.md).
 */
#include "test.h"
#include "util/platform.h"

#ifdef _WIN32
#include <windows.h>
#endif

/* A file of @n bytes, byte i = (i * 7 + 3) & 0xff, written with stdio. */
static int make_pattern(const char *path, size_t n)
{
	FILE *f = hvs__fopen(path, "wb");
	size_t i;
	if (!f)
		return -1;
	for (i = 0; i < n; i++)
		fputc((int)((i * 7 + 3) & 0xff), f);
	return fclose(f);
}

static void test_platform__pread(void)
{
	const char *p = test_tmp_path("plat_pread.bin");
	uint8_t buf[300];
	uint64_t size = 0;
	size_t got = 99, i;
	hvs__fh fh;
	CHECK(make_pattern(p, 1000) == 0);
	CHECK_EQ(hvs__file_open_read(&fh, p, &size), 0);
	CHECK_EQ(size, 1000);
	CHECK_EQ(hvs__file_pread(fh, buf, 200, 500, &got), 0);
	CHECK_EQ(got, 200);
	for (i = 0; i < 200; i++)
		CHECK_EQ(buf[i], ((500 + i) * 7 + 3) & 0xff);
	/* Short at the end of the file, nothing past it: no error either way. */
	CHECK_EQ(hvs__file_pread(fh, buf, 300, 900, &got), 0);
	CHECK_EQ(got, 100);
	CHECK_EQ(buf[99], (999 * 7 + 3) & 0xff);
	CHECK_EQ(hvs__file_pread(fh, buf, 10, 5000, &got), 0);
	CHECK_EQ(got, 0);
	CHECK_EQ(hvs__file_close(fh), 0);
	/* A folder is not a file source; a missing file says "not found". */
	{
		int e = hvs__file_open_read(&fh, test_tmp_path(""), &size);
		CHECK(e != 0);
		CHECK(fh == HVS__FH_NONE);
		e = hvs__file_open_read(&fh, test_tmp_path("plat_missing.bin"), &size);
		CHECK(hvs__os_err_notfound(e));
	}
}

static void test_platform__write(void)
{
	const char *p = test_tmp_path("plat_write.bin");
	static const hvs__iov v[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	uint8_t back[32];
	uint64_t size = 0, wrote = 0;
	hvs__fh fh;
	FILE *f;
	hvs__path_remove(p);
	CHECK_EQ(hvs__file_create(&fh, p, 1), 0);
	CHECK_EQ(hvs__file_pwrite(fh, "XY", 2, 10), 0);
	CHECK_EQ(hvs__file_pwritev(fh, v, 3, 2, &wrote), 0);
	CHECK_EQ(wrote, 8);
	/* Extend with a hole; the size says so. */
	CHECK_EQ(hvs__file_set_size(fh, 20), 0);
	CHECK_EQ(hvs__file_size(fh, &size), 0);
	CHECK_EQ(size, 20);
	CHECK_EQ(hvs__file_sync(fh), 0);
	CHECK_EQ(hvs__file_close(fh), 0);
	f = hvs__fopen(p, "rb");
	CHECK(f != NULL);
	CHECK_EQ(fread(back, 1, sizeof back, f), 20);
	fclose(f);
	CHECK_MEM(back, "\0\0abcdefghXY\0\0\0\0\0\0\0\0", 20);
	/* Exclusive creation refuses an existing file. */
	CHECK(hvs__os_err_exists(hvs__file_create(&fh, p, 1)));
	/* Non-exclusive creation truncates it. */
	CHECK_EQ(hvs__file_create(&fh, p, 0), 0);
	CHECK_EQ(hvs__file_size(fh, &size), 0);
	CHECK_EQ(size, 0);
	CHECK_EQ(hvs__file_close(fh), 0);
	CHECK_EQ(hvs__path_remove(p), 0);
	CHECK_EQ(hvs__path_kind(p), HVS__PATH_NONE);
}

static void test_platform__temp_rename(void)
{
	const char *t = test_tmp_path("plat_target.bin");
	char final[1024], *a = NULL, *b = NULL;
	hvs__alloc al;
	hvs__fh fa, fb;
	size_t n;
	uint8_t back[8];
	FILE *f;
	snprintf(final, sizeof final, "%s", t);
	hvs__alloc_init(&al, NULL);
	hvs__path_remove(final);
	CHECK_EQ(hvs__file_create_temp(&al, final, ".tmp-", ".x", &a, &fa), 0);
	CHECK_EQ(hvs__file_create_temp(&al, final, ".tmp-", ".x", &b, &fb), 0);
	n = strlen(final);
	CHECK(strncmp(a, final, n) == 0 && strncmp(a + n, ".tmp-", 5) == 0);
	CHECK_EQ(strlen(a), n + 5 + 8 + 2);
	CHECK_STR(a + strlen(a) - 2, ".x");
	CHECK(strcmp(a, b) != 0);
	CHECK_EQ(hvs__file_pwrite(fa, "first", 5, 0), 0);
	CHECK_EQ(hvs__file_pwrite(fb, "second", 6, 0), 0);
	CHECK_EQ(hvs__file_close(fa), 0);
	CHECK_EQ(hvs__file_close(fb), 0);
	CHECK_EQ(hvs__path_rename(a, final, 0), 0);
	CHECK_EQ(hvs__path_kind(a), HVS__PATH_NONE);
#ifdef _WIN32
	/* Windows refuses to replace unless asked (MoveFileExW). */
	CHECK(hvs__os_err_exists(hvs__path_rename(b, final, 0)));
#endif
	CHECK_EQ(hvs__path_rename(b, final, 1), 0);
	f = hvs__fopen(final, "rb");
	CHECK(f != NULL);
	CHECK_EQ(fread(back, 1, sizeof back, f), 6);
	fclose(f);
	CHECK_MEM(back, "second", 6);
	hvs__free(&al, a);
	hvs__free(&al, b);
	CHECK_EQ(hvs__path_remove(final), 0);
}

static void test_platform__mkdir_unicode(void)
{
	/* "ü样" and "ñ" (UTF-8): folders, a file in them, kinds. */
	char dir[1024], file[1100];
	hvs__fh fh;
	uint64_t size = 0;
	int same = -1;
	snprintf(dir, sizeof dir, "%s/\xc3\xbc\xe6\xa0\xb7/\xc3\xb1", test_tmp_path("plat_dirs"));
	snprintf(file, sizeof file, "%s/f.bin", dir);
	CHECK_EQ(hvs__mkdir_parents(file), 0);
	CHECK_EQ(hvs__mkdir_parents(file), 0); /* again: exists is fine */
	CHECK_EQ(hvs__path_kind(dir), HVS__PATH_DIR);
	CHECK(make_pattern(file, 10) == 0);
	CHECK_EQ(hvs__path_kind(file), HVS__PATH_FILE);
	CHECK_EQ(hvs__file_open_read(&fh, file, &size), 0);
	CHECK_EQ(size, 10);
	CHECK_EQ(hvs__file_same(fh, file, &same), 0);
	CHECK_EQ(same, 1);
	CHECK_EQ(hvs__file_same(fh, test_source_path("CMakeLists.txt"), &same), 0);
	CHECK_EQ(same, 0);
	CHECK_EQ(hvs__file_same(fh, test_tmp_path("plat_nothing"), &same), 0);
	CHECK_EQ(same, 0);
	hvs__file_close(fh);
	CHECK_EQ(hvs__path_remove(file), 0);
}

static void test_platform__map(void)
{
	const char *p = test_tmp_path("plat_map.bin");
	const uint8_t *m = NULL;
	uint64_t size = 0;
	size_t i;
	CHECK(make_pattern(p, 70000) == 0);
	CHECK_EQ(hvs__file_map(p, &m, &size), 0);
	CHECK_EQ(size, 70000);
	for (i = 0; i < 70000; i += 997)
		CHECK_EQ(m[i], (i * 7 + 3) & 0xff);
	hvs__file_unmap(m, size);
	CHECK(hvs__file_map(test_tmp_path("plat_missing.bin"), &m, &size) != 0);
}

/* Threads: a counter under the mutex, and a turn-taking handshake on the
 * condition variable (each worker waits for its turn number). */
typedef struct shared {
	hvs__mutex mu;
	hvs__cond cv;
	unsigned long counter;
	unsigned turn;
	unsigned order[4];
	unsigned norder;
} shared;

typedef struct worker_arg {
	shared *s;
	unsigned id;
} worker_arg;

static void worker(void *ud)
{
	worker_arg *w = ud;
	shared *s = w->s;
	int i;
	for (i = 0; i < 20000; i++) {
		hvs__mutex_lock(&s->mu);
		s->counter++;
		hvs__mutex_unlock(&s->mu);
	}
	hvs__mutex_lock(&s->mu);
	while (s->turn != w->id)
		hvs__cond_wait(&s->cv, &s->mu);
	s->order[s->norder++] = w->id;
	s->turn++;
	hvs__cond_broadcast(&s->cv);
	hvs__mutex_unlock(&s->mu);
}

static void test_platform__threads(void)
{
	shared s;
	hvs__thread th[4];
	worker_arg wa[4];
	unsigned i;
	memset(&s, 0, sizeof s);
	hvs__mutex_init(&s.mu);
	hvs__cond_init(&s.cv);
	/* Started in reverse order, they must still finish in turn order. */
	for (i = 0; i < 4; i++) {
		wa[i].s = &s;
		wa[i].id = 3 - i;
		CHECK_EQ(hvs__thread_start(&th[i], worker, &wa[i]), 0);
	}
	for (i = 0; i < 4; i++)
		hvs__thread_join(&th[i]);
	hvs__cond_destroy(&s.cv);
	hvs__mutex_destroy(&s.mu);
	CHECK_EQ(s.counter, 80000);
	CHECK_EQ(s.norder, 4);
	for (i = 0; i < 4; i++)
		CHECK_EQ(s.order[i], i);
}

static void test_platform__misc(void)
{
	hvs__alloc al;
	double t0 = hvs__monotonic_seconds(), t1;
	char *v, buf[256];
	hvs__alloc_init(&al, NULL);
	t1 = hvs__monotonic_seconds();
	CHECK(t1 >= t0);
	CHECK(hvs__cpu_count() >= 1);
	CHECK(hvs__process_id() != 0);
	/* A value outside ASCII comes back as UTF-8 ("ü样"). */
#ifdef _WIN32
	CHECK(SetEnvironmentVariableW(L"HVS_TEST_PLAT_ENV", L"\x00fc\x6837"));
#else
	CHECK(setenv("HVS_TEST_PLAT_ENV", "\xc3\xbc\xe6\xa0\xb7", 1) == 0);
#endif
	v = hvs__getenv(&al, "HVS_TEST_PLAT_ENV");
	CHECK_STR(v, "\xc3\xbc\xe6\xa0\xb7");
	hvs__free(&al, v);
	CHECK(hvs__getenv(&al, "HVS_TEST_PLAT_SURELY_UNSET") == NULL);
	/* Error texts are never empty, and the sentinels have their own. */
	CHECK(hvs__os_strerror(hvs__file_open_read(&(hvs__fh){0}, test_tmp_path("plat_missing"),
						   &(uint64_t){0}), buf, sizeof buf)[0] != '\0');
	CHECK_STR(hvs__os_strerror(HVS__OS_NOTSUP, buf, sizeof buf), "not supported on this platform");
	CHECK_STR(hvs__os_strerror(HVS__OS_NOMEM, buf, sizeof buf), "out of memory");
}

TEST_MAIN(TEST(test_platform__pread), TEST(test_platform__write),
	  TEST(test_platform__temp_rename), TEST(test_platform__mkdir_unicode),
	  TEST(test_platform__map), TEST(test_platform__threads), TEST(test_platform__misc))
