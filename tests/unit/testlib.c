/* SPDX-License-Identifier: MIT */
/* Runner and helpers for tests/unit/test.h. */
#include <stdarg.h>

#include "test.h"

int test__failed;
int test__skipped;

void test__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	test__failed = 1;
}

void test__skip(const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "    skipped: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	test__skipped = 1;
}

int test__run(const test_case *tests, size_t n, int argc, char **argv)
{
	size_t i, passed = 0, failed = 0, skipped = 0;
	for (i = 0; i < n; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		test__failed = test__skipped = 0;
		fprintf(stdout, "%s\n", tests[i].name);
		fflush(stdout);
		tests[i].fn();
		if (test__failed) {
			failed++;
			fprintf(stdout, "  FAIL %s\n", tests[i].name);
		} else if (test__skipped) {
			skipped++;
		} else {
			passed++;
		}
		fflush(stdout);
	}
	fprintf(stdout, "%zu passed, %zu failed, %zu skipped\n", passed, failed,
		skipped);
	if (failed)
		return 1;
	if (skipped && !passed)
		return 77;
	return 0;
}

static char pathbuf[8][4096];
static int pathslot;

static char *next_buf(void)
{
	pathslot = (pathslot + 1) % 8;
	return pathbuf[pathslot];
}

const char *test_shared_path(const char *rel)
{
	char *b = next_buf();
	const char *base = getenv("HVS_SHARED_DIR");
	if (!base || !*base)
		base = HVS_TEST_SHARED_DIR;
	snprintf(b, 4096, "%s/%s", base, rel);
	if (!test_exists(b))
		return NULL;
	return b;
}

const char *test_source_path(const char *rel)
{
	char *b = next_buf();
	snprintf(b, 4096, "%s/%s", HVS_TEST_SOURCE_DIR, rel);
	return b;
}

const char *test_tmp_path(const char *name)
{
	char *b = next_buf();
	snprintf(b, 4096, "%s/tmp", HVS_TEST_BINARY_DIR);
	test_mkdirs(b);
	snprintf(b, 4096, "%s/tmp/%s", HVS_TEST_BINARY_DIR, name);
	return b;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
	FILE *f = test_fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sz + 1);
	if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf && len)
		*len = (size_t)sz;
	return buf;
}

int test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = test_fopen(path, "wb");
	int ok;
	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static void *fa_malloc(void *ud, size_t size)
{
	test_failalloc *fa = ud;
	void *p;
	fa->calls++;
	if (fa->countdown == 0)
		return NULL;
	if (fa->countdown > 0)
		fa->countdown--;
	p = malloc(size);
	if (p)
		fa->live++;
	return p;
}

static void *fa_realloc(void *ud, void *ptr, size_t size)
{
	test_failalloc *fa = ud;
	void *p;
	fa->calls++;
	if (fa->countdown == 0)
		return NULL;
	if (fa->countdown > 0)
		fa->countdown--;
	p = realloc(ptr, size);
	if (p && !ptr)
		fa->live++;
	return p;
}

static void fa_free(void *ud, void *ptr)
{
	test_failalloc *fa = ud;
	if (ptr)
		fa->live--;
	free(ptr);
}

void test_failalloc_init(test_failalloc *fa, long fail_at)
{
	memset(fa, 0, sizeof *fa);
	fa->a.malloc = fa_malloc;
	fa->a.realloc = fa_realloc;
	fa->a.free = fa_free;
	fa->a.ud = fa;
	fa->countdown = fail_at > 0 ? fail_at - 1 : -1;
}
