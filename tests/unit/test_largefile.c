/* SPDX-License-Identifier: MIT */
/*
 * Files over 4 GiB and paths with non-ASCII characters, through the
 * library API and through the CLI, on every platform (the Windows build
 * runs this under wine: UTF-16 paths via CreateFileW, 64-bit offsets with
 * OVERLAPPED reads; docs/windows-tests.md).
 *
 * The expected bytes are written by this test with the operating system's
 * own positioned writes (pwrite / WriteFile at an OVERLAPPED offset) into
 * a sparse file of 4 GiB + 12 KiB, in a folder and under names made of
 * Latin-1 accents and CJK characters; the library and hvs must read back
 * exactly those bytes, above 4 GiB and across the 4 GiB boundary.  The
 * saved-state case copies a generated .vmrs to a non-ASCII name and
 * converts it with hvs to a raw file of another non-ASCII name; the raw
 * file's bytes (read with the OS) must equal the input's memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_vmrs.h"
#include "test.h"

/* UTF-8: "ünïcødé-样本" (U+00FC U+00EF U+00F8 U+00E9, U+6837 U+672C). */
#define UNI_DIR "\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9-\xe6\xa0\xb7\xe6\x9c\xac"
/* "mém-样本.raw", "säved-样本.vmrs", "cønv-样本.raw", "öut-样本.bin" */
#define UNI_RAW "m\xc3\xa9m-\xe6\xa0\xb7\xe6\x9c\xac.raw"
#define UNI_VMRS "s\xc3\xa4ved-\xe6\xa0\xb7\xe6\x9c\xac.vmrs"
#define UNI_CONV "c\xc3\xb8nv-\xe6\xa0\xb7\xe6\x9c\xac.raw"
#define UNI_OUT "\xc3\xb6ut-\xe6\xa0\xb7\xe6\x9c\xac.bin"

#define GIB4 0x100000000ull
#define FILE_SIZE (GIB4 + 0x3000)  /* 4 GiB + 3 pages */
#define HIGH_PAGE (GIB4 + 0x1000)  /* a marker page above 4 GiB */
#define EDGE (GIB4 - 8)            /* 16 bytes across the boundary */

static const char *uni_path(const char *name)
{
	static char p[4][4096];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", test_tmp_path(UNI_DIR), name);
	return p[k];
}

/* A page whose every byte depends on its offset (no run of equal bytes). */
static void marker(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((seed >> (8 * (i % 5))) ^ (i * 7) ^ (i >> 8) ^ 0x5A);
}

static hvs_image *open_raw(const char *path, const hvs_raw_extent *ext, size_t n)
{
	hvs_image_opts o;
	hvs_image *img = NULL;
	static char eb[HVS_ERRMSG_MAX];
	memset(&o, 0, sizeof o);
	o.base.errbuf = eb;
	o.base.errbuf_size = sizeof eb;
	o.format = HVS_FORMAT_RAW;
	o.raw_layout = ext;
	o.raw_layout_count = n;
	if (hvs_image_open(&img, path, &o) != HVS_OK) {
		fprintf(stderr, "open %s: %s\n", path, eb);
		return NULL;
	}
	return img;
}

/* The sparse 4 GiB + 12 KiB file with its markers; 0 on success. */
static int make_big(const char *path, uint8_t *high, uint8_t *edge)
{
	marker(high, 4096, HIGH_PAGE);
	marker(edge, 16, EDGE);
	if (test_make_sparse(path, FILE_SIZE) != 0)
		return -1;
	if (test_pwrite(path, HIGH_PAGE, high, 4096) != 0 || test_pwrite(path, EDGE, edge, 16) != 0)
		return -1;
	return 0;
}

static void test_largefile__raw_above_4gib(void)
{
	const char *dir = test_tmp_path(UNI_DIR);
	char path[4096], out[4096];
	uint8_t high[4096], edge[16], got[4096];
	hvs_raw_extent whole = { 0, FILE_SIZE, 0 };
	hvs_raw_extent moved = { 0x1000, 0x1000, HIGH_PAGE }; /* file offset > 4 GiB */
	hvs_image *img;
	size_t done = 0;
	CHECK(test_rmtree(dir) == 0 && test_mkdirs(dir) == 0);
	snprintf(path, sizeof path, "%s", uni_path(UNI_RAW));
	if (make_big(path, high, edge) != 0) {
		test_rmtree(dir);
		SKIP("cannot create a sparse %llu-byte file in %s", (unsigned long long)FILE_SIZE,
		     dir);
	}
	/* The OS reads the markers back (the test's own premise). */
	CHECK(test_pread(path, HIGH_PAGE, got, 4096) == 0);
	CHECK_MEM(got, high, 4096);

	/* Library: the whole file at GPA 0. */
	img = open_raw(path, &whole, 1);
	CHECK(img != NULL);
	CHECK_EQ(hvs_image_range_count(img), 1);
	CHECK_EQ(hvs_image_ranges(img)[0].size, FILE_SIZE);
	memset(got, 0, sizeof got);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, HIGH_PAGE, got, 4096, &done));
	CHECK_EQ(done, 4096);
	CHECK_MEM(got, high, 4096);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, EDGE, got, 16, &done));
	CHECK_MEM(got, edge, 16);
	/* A hole of the sparse file reads as zeros, the last byte included. */
	memset(got, 0xEE, 8);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, FILE_SIZE - 8, got, 8, &done));
	CHECK_MEM(got, "\0\0\0\0\0\0\0\0", 8);
	/* One past the end: not there. */
	CHECK(hvs_image_read(img, HVS_SPACE_GPA, FILE_SIZE - 4, got, 8, &done) != HVS_OK);
	hvs_image_close(img);

	/* Library: a layout naming a file offset above 4 GiB. */
	img = open_raw(path, &moved, 1);
	CHECK(img != NULL);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x1000, got, 4096, &done));
	CHECK_MEM(got, high, 4096);
	hvs_image_close(img);

	/* CLI: hvs read --out a non-ASCII file, both ways. */
	snprintf(out, sizeof out, "%s", uni_path(UNI_OUT));
	{
		const char *hvs = test_bin_path("hvs");
		const char *argv[] = { hvs,	"read",	 "--format", "raw",  "--layout",
				       "0:0x100003000@0", "--gpa", "0x100001000", "--len", "4096",
				       "--out", out, path, NULL };
		const char *argv2[] = { hvs,	 "read",   "--format", "raw",	 "--layout",
					"0x1000:0x1000@0x100001000", "--gpa", "0x1000", "--len",
					"4096",	 "--out",  out,	       path,	 NULL };
		size_t n = 0;
		uint8_t *b;
		if (!hvs) {
			test_rmtree(dir);
			SKIP("hvs not built");
		}
		remove(out);
		CHECK_EQ(test_spawn(argv, NULL, NULL), 0);
		b = test_read_file(out, &n);
		CHECK(b != NULL && n == 4096);
		CHECK_MEM(b, high, 4096);
		free(b);
		CHECK(test_rmtree(out) == 0);
		CHECK_EQ(test_spawn(argv2, NULL, NULL), 0);
		b = test_read_file(out, &n);
		CHECK(b != NULL && n == 4096);
		CHECK_MEM(b, high, 4096);
		free(b);
	}
	CHECK(test_rmtree(dir) == 0);
	CHECK(!test_exists(dir));
}

static void test_largefile__savedstate_unicode_names(void)
{
	const char *src = gen_vmrs_x64_2vp("largefile-src.vmrs", HVS_VMRS_ENC_MIXED);
	const char *dir = test_tmp_path(UNI_DIR "-2");
	const char *hvs = test_bin_path("hvs");
	char vmrs[4096], conv[4096];
	uint8_t *d, a[4096], b[4096];
	size_t len = 0, i, nr;
	const hvs_mem_range *r;
	hvs_image *img;
	CHECK(src != NULL);
	CHECK(test_rmtree(dir) == 0 && test_mkdirs(dir) == 0);
	snprintf(vmrs, sizeof vmrs, "%s/%s", dir, UNI_VMRS);
	snprintf(conv, sizeof conv, "%s/%s", dir, UNI_CONV);
	d = test_read_file(src, &len);
	CHECK(d != NULL);
	CHECK(test_write_file(vmrs, d, len) == 0);
	free(d);

	/* Library on the non-ASCII name. */
	CHECK_OK(hvs_image_open(&img, vmrs, NULL));
	CHECK_EQ(hvs_image_vp_count(img), 2);
	CHECK(hvs_image_range_count(img) > 0);

	/* CLI: convert it to a raw file with a non-ASCII name. */
	if (!hvs) {
		hvs_image_close(img);
		SKIP("hvs not built");
	}
	{
		const char *argv[] = { hvs, "convert", vmrs, "-o", conv, "--to", "raw", "--quiet", NULL };
		CHECK_EQ(test_spawn(argv, NULL, NULL), 0);
	}
	CHECK(test_exists(conv));
	/* Raw output: GPA = file offset.  The first and last page of every
	 * range, read with the OS, equal the input's memory. */
	r = hvs_image_ranges(img);
	nr = hvs_image_range_count(img);
	for (i = 0; i < nr; i++) {
		uint64_t at[2];
		int k;
		at[0] = r[i].gpa;
		at[1] = r[i].gpa + r[i].size - (r[i].size < 4096 ? r[i].size : 4096);
		for (k = 0; k < 2; k++) {
			size_t n = (size_t)(r[i].size < 4096 ? r[i].size : 4096);
			CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, at[k], a, n, NULL));
			CHECK(test_pread(conv, at[k], b, n) == 0);
			CHECK_MEM(a, b, n);
		}
	}
	hvs_image_close(img);
	CHECK(test_rmtree(dir) == 0);
}

TEST_MAIN(TEST(test_largefile__raw_above_4gib), TEST(test_largefile__savedstate_unicode_names))
