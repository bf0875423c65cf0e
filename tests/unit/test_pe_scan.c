/* SPDX-License-Identifier: MIT */
/*
 * The image scanner (hvs_pe_scan_vp / hvs_pe_scan_xlat) on the Windows-like
 * guest fixture: it finds exactly the two images the fixture placed, highest
 * first, with SizeOfImage and TimeDateStamp as llvm-readobj reads them from
 * the files and PDB name, GUID and age as llvm-pdbutil reads them from the
 * PDBs; it skips the decoys, the hole and the page outside saved memory;
 * standalone addresses come first and are not reported twice; the callback
 * stops it; sub-ranges, alignment and argument errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "winguest_util.h"

#define MAXF 16

typedef struct found {
	size_t n;
	int stop_after;           /* stop after this many (0: never) */
	hvs_pe_found f[MAXF];
	char pdb[MAXF][64];
	char name[MAXF][64];
} found;

static int on_found(void *ud, const hvs_pe_found *img)
{
	found *s = ud;

	if (s->n < MAXF) {
		s->f[s->n] = *img;
		/* The strings are valid during the callback only. */
		snprintf(s->pdb[s->n], 64, "%s", img->has_codeview ? img->pdb_name : "");
		snprintf(s->name[s->n], 64, "%s", img->name ? img->name : "");
		s->f[s->n].pdb_name = s->pdb[s->n];
		s->f[s->n].name = s->name[s->n];
	}
	s->n++;
	return s->stop_after && s->n >= (size_t)s->stop_after;
}

/* Expected values of one image from the LLVM tools. */
typedef struct expect {
	uint64_t base, size, timestamp;
	uint8_t guid[16];
	uint32_t age;
	const char *pdb, *name;
} expect;

static int get_expect(expect *e, const char *file, const char *pdb, uint64_t base)
{
	char *ro = wg_run(wg_tool("readobj"), "--file-headers", wg_file(file));
	int ok = ro && wg_field(ro, "SizeOfImage", &e->size) &&
		 wg_field(ro, "TimeDateStamp", &e->timestamp) &&
		 wg_pdb_guid_age(wg_file(pdb), e->guid, &e->age);

	free(ro);
	e->base = base;
	e->pdb = pdb;
	e->name = file;
	return ok;
}

#define NEED_FIXTURE()                                                         \
	do {                                                                   \
		if (!wg_file("winguest.vmrs"))                                 \
			SKIP("winguest fixture not built (needs clang and lld; " \
			     "ctest -R winguest_fixture)");                    \
		if (!wg_tool("readobj") || !wg_tool("pdbutil"))                \
			SKIP("llvm-readobj / llvm-pdbutil not found");         \
	} while (0)

/* The images of the fixture, highest first (the scan order). */
static int load_expect(expect e[2])
{
	return get_expect(&e[0], "hvsdrv.sys", "hvsdrv.pdb", WG_DRIVER_BASE) &&
	       get_expect(&e[1], "ntkrnlmp.exe", "ntkrnlmp.pdb", WG_KERNEL_BASE);
}

static void check_found(const hvs_pe_found *f, const expect *e, int standalone)
{
	CHECK_EQ(f->base, e->base);
	CHECK_EQ(f->size, e->size);
	CHECK_EQ(f->timestamp, e->timestamp);
	CHECK_EQ(f->machine, HVS_PE_MACHINE_AMD64);
	CHECK_EQ(f->standalone, standalone);
	CHECK(f->has_codeview);
	CHECK_STR(f->pdb_name, e->pdb);
	CHECK_MEM(f->guid, e->guid, 16);
	CHECK_EQ(f->age, e->age);
	CHECK_STR(f->name, e->name);
}

static void test_pe_scan__kernel_half(void)
{
	hvs_image *img = NULL;
	hvs_pe_scan_stats st;
	expect e[2];
	found s;
	uint32_t vp;

	NEED_FIXTURE();
	CHECK(load_expect(e));
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	/* Both VPs see the same kernel half (VP 1 through its process CR3). */
	for (vp = 0; vp < WG_VP_COUNT && !test__failed; vp++) {
		memset(&s, 0, sizeof s);
		CHECK_OK(hvs_pe_scan_vp(img, vp, ~0ull, 0xFFFF800000000000ull, NULL, 0,
					on_found, &s, &st));
		CHECK_EQ(s.n, 2);
		check_found(&s.f[0], &e[0], 0);
		check_found(&s.f[1], &e[1], 0);
		/* Every mapped page of the kernel half was read once: the
		 * images, KUSER_SHARED_DATA, the stack, the 2 MiB page, three
		 * decoys and the page outside saved memory. */
		CHECK_EQ(st.mapped_bytes, e[0].size + e[1].size + 0x1000 + WG_KSTACK_SIZE +
						  0x200000 + 4 * 0x1000);
		CHECK_EQ(st.pages_read, st.mapped_bytes / 0x1000);
		CHECK_EQ(st.pages_missing, 1);
		CHECK_EQ(st.candidates, 2 + 3);
		CHECK_EQ(st.images, 2);
		CHECK_EQ(st.table_gaps, 0);
	}
	hvs_image_close(img);
}

static void test_pe_scan__whole_space_and_user_half(void)
{
	hvs_image *img = NULL;
	hvs_pe_scan_stats st;
	expect e[2];
	found s;

	NEED_FIXTURE();
	CHECK(load_expect(e));
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	/* The whole 64-bit space of VP 1: the non-canonical hole and the
	 * empty PML4 entries are skipped; the user pages hold no image. */
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 1, ~0ull, 0, NULL, 0, on_found, &s, &st));
	CHECK_EQ(s.n, 2);
	check_found(&s.f[0], &e[0], 0);
	check_found(&s.f[1], &e[1], 0);
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 1, 0x00007FFFFFFFFFFFull, 0, NULL, 0, on_found, &s, &st));
	CHECK_EQ(s.n, 0);
	/* Code, stack, TEB and the KUSER_SHARED_DATA alias. */
	CHECK_EQ(st.mapped_bytes, 4 * 0x1000);
	CHECK_EQ(st.candidates, 0);
	hvs_image_close(img);
}

static void test_pe_scan__standalone_and_stop(void)
{
	hvs_image *img = NULL;
	expect e[2];
	found s;
	uint64_t sa[3];

	NEED_FIXTURE();
	CHECK(load_expect(e));
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	/* Standalone addresses first, in order; not an image (a decoy, an
	 * unmapped address) is skipped; the kernel is not reported twice. */
	sa[0] = WG_DECOY_VA;
	sa[1] = WG_KERNEL_BASE;
	sa[2] = 0x1000;
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 0, ~0ull, 0xFFFF800000000000ull, sa, 3, on_found,
				&s, NULL));
	CHECK_EQ(s.n, 2);
	check_found(&s.f[0], &e[1], 1);
	check_found(&s.f[1], &e[0], 0);
	/* The callback stops the scan: the first image only. */
	memset(&s, 0, sizeof s);
	s.stop_after = 1;
	CHECK_OK(hvs_pe_scan_vp(img, 0, ~0ull, 0, NULL, 0, on_found, &s, NULL));
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.f[0].base, WG_DRIVER_BASE);
	/* ... also on a standalone address. */
	memset(&s, 0, sizeof s);
	s.stop_after = 1;
	CHECK_OK(hvs_pe_scan_vp(img, 0, ~0ull, 0, sa + 1, 1, on_found, &s, NULL));
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.f[0].base, WG_KERNEL_BASE);
	hvs_image_close(img);
}

static void test_pe_scan__bounds(void)
{
	hvs_image *img = NULL;
	hvs_pe_scan_stats st;
	found s;

	NEED_FIXTURE();
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	/* [base, base]: the one page holding the DOS header is enough. */
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 0, WG_KERNEL_BASE, WG_KERNEL_BASE, NULL, 0,
				on_found, &s, &st));
	CHECK_EQ(s.n, 1);
	CHECK_EQ(st.pages_read, 1);
	/* An unaligned high bound covers its page; an unaligned low bound
	 * excludes the page it is in. */
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 0, WG_KERNEL_BASE + 0xFFF, WG_KERNEL_BASE, NULL, 0,
				on_found, &s, NULL));
	CHECK_EQ(s.n, 1);
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 0, WG_KERNEL_BASE + 0x10000, WG_KERNEL_BASE + 1,
				NULL, 0, on_found, &s, &st));
	CHECK_EQ(s.n, 0);
	CHECK(st.pages_read > 0);
	/* Between the images: nothing. */
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_vp(img, 0, WG_DRIVER_BASE - 1, WG_KERNEL_BASE + 1, NULL, 0,
				on_found, &s, NULL));
	CHECK_EQ(s.n, 0);
	/* Argument errors, with a message on the image. */
	CHECK_STATUS(hvs_pe_scan_vp(img, 0, 0, 1, NULL, 0, on_found, &s, NULL),
		     HVS_E_INVALID);
	CHECK(strstr(hvs_image_errmsg(img), "higher address") != NULL);
	CHECK_STATUS(hvs_pe_scan_vp(img, 0, 1, 0, NULL, 0, NULL, &s, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_pe_scan_vp(img, 0, 1, 0, NULL, 2, on_found, &s, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_pe_scan_vp(img, 7, 1, 0, NULL, 0, on_found, &s, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_pe_scan_vp(NULL, 0, 1, 0, NULL, 0, on_found, &s, NULL), HVS_E_INVALID);
	hvs_image_close(img);
}

/* A read callback that fails with HVS_E_IO after @left page reads. */
typedef struct failing {
	hvs_image *img;
	long left;
} failing;

static hvs_status failing_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	failing *f = ud;

	if (f->left-- <= 0)
		return HVS_E_IO;
	return hvs_image_read(f->img, HVS_SPACE_GPA, gpa, buf, len, NULL);
}

static void test_pe_scan__xlat_and_io(void)
{
	hvs_image *img = NULL;
	hvs_xlat *x;
	found s;
	failing f;

	NEED_FIXTURE();
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	CHECK_OK(hvs_vp_xlat(img, 0, &x));
	/* Pages read through a caller's callback; an I/O error stops the
	 * scan with its status. */
	f.img = img;
	f.left = 1000000;
	memset(&s, 0, sizeof s);
	CHECK_OK(hvs_pe_scan_xlat(x, failing_read, &f, ~0ull, 0xFFFF800000000000ull,
				  NULL, 0, on_found, &s, NULL));
	CHECK_EQ(s.n, 2);
	f.left = 3;
	memset(&s, 0, sizeof s);
	CHECK_STATUS(hvs_pe_scan_xlat(x, failing_read, &f, ~0ull, 0xFFFF800000000000ull,
				      NULL, 0, on_found, &s, NULL), HVS_E_IO);
	CHECK_STATUS(hvs_pe_scan_xlat(NULL, failing_read, &f, 1, 0, NULL, 0, on_found,
				      &s, NULL), HVS_E_INVALID);
	hvs_image_close(img);
}

static void test_pe_scan__oom(void)
{
	test_failalloc fa;
	hvs_image_opts o;
	hvs_image *img = NULL;
	found s;
	long i;
	int ok = 0;

	NEED_FIXTURE();
	test_failalloc_init(&fa, 0);
	memset(&o, 0, sizeof o);
	o.base.alloc = &fa.a;
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), &o));
	/* Fail the i-th allocation of the scan (and every later one): the
	 * scan reports HVS_E_NOMEM, never a partial success, until it has
	 * what it needs. */
	for (i = 1; i < 400 && !ok; i++) {
		hvs_status st;

		hvs_image_set_cache_limit(img, 0);
		fa.countdown = i - 1;
		memset(&s, 0, sizeof s);
		st = hvs_pe_scan_vp(img, 0, ~0ull, 0xFFFF800000000000ull, NULL, 0, on_found,
				    &s, NULL);
		fa.countdown = -1;
		if (st == HVS_OK) {
			CHECK_EQ(s.n, 2);
			ok = 1;
		} else {
			CHECK_STATUS(st, HVS_E_NOMEM);
		}
	}
	CHECK(ok);
	CHECK(i > 2);
	hvs_image_close(img);
}

TEST_MAIN(TEST(test_pe_scan__kernel_half), TEST(test_pe_scan__oom), TEST(test_pe_scan__whole_space_and_user_half),
	  TEST(test_pe_scan__standalone_and_stop), TEST(test_pe_scan__bounds),
	  TEST(test_pe_scan__xlat_and_io))
