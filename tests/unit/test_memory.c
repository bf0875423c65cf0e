/* SPDX-License-Identifier: MIT */
/*
 * Read path of saved-state guest RAM (src/vmrs/memory.c): what reaches
 * the file, not only what comes back.  The image is opened through a
 * source that counts the bytes read, so that the claims of memory.c are
 * checked: raw blocks are read in place (exactly the bytes asked), and a
 * small read of a token-stream block whose page index is kept reads only
 * the tokens of its pages (at most 4 + 4096 bytes a page, format.md 4.1)
 * instead of the whole stream.  Every byte returned is compared with the
 * fixture generator's independent gen_mem_fill().
 */
#include "test.h"

#include "gen_vmrs.h"
#include "hvs/vmrs_writer.h"
#include "vmrs/savedstate_int.h"

/* Largest token of a page decodable alone: u32 S + 4096 bytes. */
#define TOKEN_MAX (4u + 4096u)

typedef struct counting {
	hvs_source inner;
	uint64_t bytes;   /* bytes asked of the file */
	uint64_t calls;
} counting;

static hvs_status count_read(void *ud, uint64_t off, void *buf, size_t len, size_t *done)
{
	counting *c = ud;
	c->bytes += len;
	c->calls++;
	return c->inner.read_at(c->inner.ud, off, buf, len, done);
}

static uint64_t count_size(void *ud)
{
	counting *c = ud;
	return c->inner.size(c->inner.ud);
}

/* Open @path through a counting source @c (closed by the caller). */
static hvs_status open_counted(hvs_image **img, const char *path, counting *c,
			       hvs_source *src)
{
	hvs_image_opts o;
	static char err[HVS_ERRMSG_MAX];
	memset(c, 0, sizeof *c);
	memset(src, 0, sizeof *src);
	HVS_TRY(hvs_source_open_file(&c->inner, path));
	src->read_at = count_read;
	src->size = count_size;
	src->ud = c;
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	*img = NULL;
	return hvs_image_open_source(img, src, &o);
}

/* Read @len bytes at @gpa and compare them with the fixture. */
static int read_ok(hvs_image *img, uint64_t gpa, size_t len)
{
	static uint8_t got[70000], want[70000];
	size_t done = 0;
	if (len > sizeof got)
		return 0;
	if (hvs_image_read(img, HVS_SPACE_GPA, gpa, got, len, &done) != HVS_OK || done != len) {
		fprintf(stderr, "read 0x%" PRIx64 "+%zu: %s\n", gpa, len, hvs_image_errmsg(img));
		return 0;
	}
	gen_mem_fill(gpa, want, len);
	return memcmp(got, want, len) == 0;
}

/*
 * Random small reads of token-stream blocks, never the same block twice
 * in a row: once each block's index is kept, every read either decodes
 * pages from their tokens alone (bytes read <= TOKEN_MAX a page) or, for
 * a page inside a 0xFFFFFFFC record, decodes the whole block.  Before
 * the index was kept, each of these reads fetched the block's whole
 * stream.
 */
static void test_memory__kept_index_reads_tokens(void)
{
	hvs_image *img;
	hvs_source src;
	counting c;
	const hvs__ss *ss;
	const char *p = gen_vmrs_x64_2vp("mem_tokens.vmrs", HVS_VMRS_ENC_MIXED);
	uint64_t x = 7, prev = UINT64_MAX, blk, a, decodes, d0;
	size_t entries, peak, i, partial = 0, whole = 0, raw = 0;
	CHECK(p != NULL);
	CHECK_OK(open_counted(&img, p, &c, &src));
	ss = (const hvs__ss *)img->be;
	/* GPA 1..8 MiB is one range: blocks of 1 MiB each (gen_vmrs.c). */
	for (blk = 1; blk < 8; blk++)       /* index every block once */
		CHECK(read_ok(img, blk << 20, 8));
	for (i = 0; i < 400; i++) {
		uint64_t b0 = c.bytes, r0 = ss->raw_reads, pd0 = ss->page_decodes;
		size_t len, pages;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		blk = 1 + (x >> 33) % 7;
		if (blk == prev)
			blk = blk % 7 + 1;
		prev = blk;
		len = 1 + (size_t)((x >> 13) % 6000);          /* up to 2 pages */
		a = (blk << 20) + (x >> 40) % ((1u << 20) - len);
		hvs__ss_cache_stats(img, &entries, &peak, &d0);
		CHECK(read_ok(img, a, len));
		hvs__ss_cache_stats(img, &entries, &peak, &decodes);
		pages = (size_t)((a + len - 1) / 4096 - a / 4096 + 1);
		if (ss->raw_reads != r0) {
			CHECK_EQ(c.bytes - b0, len);    /* raw block: in place */
			raw++;
		} else if (decodes == d0) {
			CHECK_EQ(ss->page_decodes - pd0, pages);
			CHECK(c.bytes - b0 <= pages * TOKEN_MAX);
			partial++;
		} else {
			CHECK_EQ(decodes, d0 + 1);      /* whole-block fallback */
			whole++;
		}
		CHECK_OK(hvs_image_set_cache_limit(img, 0));   /* nothing stays decoded */
	}
	fprintf(stderr, "  %zu token reads, %zu whole-block decodes, %zu raw reads\n",
		partial, whole, raw);
	/* The fixture's blocks 1-7 are page and fill tokens (no 0xFFFFFFFC
	 * record): every read must take the token path. */
	CHECK_EQ(partial, 400);
	hvs_image_close(img);
	hvs_source_close(&c.inner);
}

/*
 * A token read overwrites part of the stream buffer: the stream held for
 * another block must then not be used.  A, B, A (token read), B large
 * (whole decode: the stream is read again), B small, all exact.
 */
static void test_memory__stream_slot_after_token_read(void)
{
	hvs_image *img;
	hvs_source src;
	counting c;
	const char *p = gen_vmrs_x64_2vp("mem_slot.vmrs", HVS_VMRS_ENC_XPRESS);
	const uint64_t A = 3u << 20, B = 5u << 20;
	uint64_t b0;
	CHECK(p != NULL);
	CHECK_OK(open_counted(&img, p, &c, &src));
	CHECK_OK(hvs_image_set_cache_limit(img, 0));
	CHECK(read_ok(img, A + 0x1000, 100));
	CHECK(read_ok(img, B + 0x2000, 100));
	b0 = c.bytes;
	CHECK(read_ok(img, A + 0x3000, 4096));       /* kept index: one token */
	CHECK(c.bytes - b0 <= TOKEN_MAX);
	CHECK(read_ok(img, B, 65536 + 4096));        /* whole block */
	CHECK(read_ok(img, B + 0x7000, 5000));
	CHECK(read_ok(img, A + 0xFF000, 4096));
	CHECK(read_ok(img, B + 0x80000, 65536 + 4096));
	hvs_image_close(img);
	hvs_source_close(&c.inner);
}

/* Raw blocks: one read of exactly the bytes asked, across blocks too. */
static void test_memory__raw_in_place(void)
{
	hvs_image *img;
	hvs_source src;
	counting c;
	const char *p = gen_vmrs_x64_2vp("mem_raw.vmrs", HVS_VMRS_ENC_RAW);
	uint64_t b0, n0;
	CHECK(p != NULL);
	CHECK_OK(open_counted(&img, p, &c, &src));
	b0 = c.bytes;
	n0 = c.calls;
	CHECK(read_ok(img, 0x2FF000, 4096));
	CHECK_EQ(c.bytes - b0, 4096);
	CHECK_EQ(c.calls - n0, 1);
	/* 0x2FF800 + 0x1000 crosses from block 2 into block 3: two reads. */
	CHECK(read_ok(img, 0x2FF800, 4096));
	CHECK_EQ(c.bytes - b0, 8192);
	CHECK_EQ(c.calls - n0, 3);
	hvs_image_close(img);
	hvs_source_close(&c.inner);
}

TEST_MAIN(TEST(test_memory__kept_index_reads_tokens),
	  TEST(test_memory__stream_slot_after_token_read),
	  TEST(test_memory__raw_in_place))
