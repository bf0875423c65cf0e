/* SPDX-License-Identifier: MIT */
/*
 * Legacy .bin container (src/vmrs/legacy_bin.c, format.md 8): the real
 * sample test_file.bin against the values Microsoft's DLL returned in
 * rafawo's tests and the digests of format.md 10, plus synthetic files
 * built here (header, blobs, index, names) and corrupted one field at a
 * time, each with its exact status and a message naming the offset.
 */
#include "test.h"

#include "codec/codec.h"
#include "sha256.h"
#include "util/util.h"
#include "vmrs/legacy_bin.h"

/* ------------------------------------------------------ real sample */

static void test_legacy_bin__sample(void)
{
	const char *path = test_shared_path("samples/test_file.bin");
	hvs__legacy_bin *b = NULL;
	hvs_source src;
	uint8_t *blk = NULL;
	test_sha256 sha;
	uint8_t dig[32];
	char hex[65];
	uint32_t fills = 0, xp = 0, raw = 0, runs = 0, sized = 0, ends = 0;
	static hvs__ramblock_index idx;

	if (!path)
		SKIP("../shared/samples/test_file.bin absent");
	CHECK_OK(hvs_source_open_file(&src, path));
	CHECK_OK(hvs__legacy_bin_open(&b, &src, NULL));
	/* Header fields of format.md 8. */
	CHECK_EQ(b->version, 0x0500);
	CHECK_EQ(b->index_cap, 0x400);
	CHECK_EQ(b->index_off, 0x179000);
	CHECK_EQ(b->names_off, 0x17F000);
	CHECK_EQ(b->names_cap, 0x4000);
	CHECK_EQ(b->names_used, 0xD5A);
	/* 252 blobs -> 264,241,152 bytes = 64,512 pages (DLL's
	 * GetGuestRawSavedMemorySize in rafawo's tests). */
	CHECK_EQ(b->nblocks, 252);
	CHECK_EQ(hvs__legacy_bin_raw_size(b), 264241152ull);
	CHECK_EQ(hvs__legacy_bin_raw_size(b) / 4096, 64512);
	CHECK_EQ(b->blocks[0].n, 0);
	CHECK_EQ(b->blocks[251].n, 251);
	CHECK(hvs__legacy_bin_find(b, 252) == NULL);
	CHECK_EQ(hvs__legacy_bin_find(b, 3)->off, 0x1000); /* first blob */

	blk = malloc(HVS__RAMBLOCK_SIZE);
	CHECK(blk);
	test_sha256_init(&sha);
	for (uint32_t n = 0; n < 252; n++) {
		hvs__ramblock_stats st;
		const uint8_t *data;
		size_t len;
		if (hvs__legacy_bin_read_block(b, n, blk, &st) != HVS_OK) {
			test__fail(__FILE__, __LINE__, "block %u: %s", n, b->err.msg);
			goto out;
		}
		fills += st.fills;
		xp += st.xpress_pages;
		raw += st.raw_pages;
		runs += st.fill_runs;
		sized += st.sized;
		ends += st.end_token;
		CHECK_EQ(st.consumed, hvs__legacy_bin_find(b, n)->data_size);
		test_sha256_update(&sha, blk, HVS__RAMBLOCK_SIZE);
		if (n == 0) {
			/* GPA 0xC0FFE (block 0 = GPA 0..1 MiB): the three
			 * u32 that ReadGuestPhysicalAddress returned. */
			CHECK_EQ(hvs__le32(blk + 0xC0FFE), 75826887u);
			CHECK_EQ(hvs__le32(blk + 0xC1002), 1235222542u);
			CHECK_EQ(hvs__le32(blk + 0xC1006), 3439375364u);
			/* VGA option ROM signature and the BIOS reset vector
			 * (far JMP, opcode 0xEA) with the date string. */
			CHECK_EQ(blk[0xC0000], 0x55);
			CHECK_EQ(blk[0xC0001], 0xAA);
			CHECK_EQ(blk[0xFFFF0], 0xEA);
			CHECK_MEM(blk + 0xFFFF5, "11/12/18", 8);
		}
		/* Single-page decoding through the index agrees. */
		CHECK_OK(hvs__legacy_bin_stream(b, n, &data, &len));
		CHECK_OK(hvs__ramblock_index_build(&idx, data, len, 0, NULL));
		for (unsigned p = 0; p < 256; p += (n % 16 == 0) ? 1 : 37) {
			uint8_t pg[4096];
			CHECK_OK(hvs__ramblock_decode_page(&idx, data, len, p, pg, 0, NULL));
			CHECK_MEM(pg, blk + (size_t)p * 4096, 4096);
		}
	}
	test_sha256_final(&sha, dig);
	test_sha256_tohex(dig, hex);
	CHECK_STR(hex, "7d13f7dd4f79723235366cac0c30e085153d521ebf4c1f6d3b9a65a23ee3e807");
	/* Token frequencies of format.md 4.1. */
	CHECK_EQ(fills, 64321);
	CHECK_EQ(xp, 185);
	CHECK_EQ(raw, 6);
	CHECK_EQ(runs, 0);
	CHECK_EQ(sized, 0);
	CHECK_EQ(ends, 252);
	CHECK_EQ(fills + xp + raw, 64512);
out:
	free(blk);
	hvs__legacy_bin_close(b);
	hvs_source_close(&src);
}

/* ------------------------------------------------- synthetic fixtures */

/* A built .bin: the bytes and where things are. */
typedef struct fixture {
	uint8_t *buf;
	size_t len;
	uint64_t index_off, names_off;
	uint64_t blob_off[8];
	uint8_t *block[8]; /* decoded contents, for comparison */
} fixture;

/*
 * Build a .bin holding @nb blocks named RamBlock/<nums[i]>/ (laid out as
 * format.md 8 observed: header page, blobs padded to 4 KiB, index of
 * @cap entries, name table).  Block i holds pages of a simple pattern.
 */
static int fx_build(fixture *f, const uint32_t *nums, size_t nb, uint32_t cap)
{
	uint8_t *streams[8];
	size_t slen[8], pos = 0x1000, names_used = 0;
	char names[512];
	uint32_t name_off[8];
	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < nb; i++) {
		uint8_t *blk = malloc(HVS__RAMBLOCK_SIZE);
		uint8_t kinds[256];
		if (!blk)
			return -1;
		memset(blk, 0, HVS__RAMBLOCK_SIZE);
		for (unsigned p = 0; p < 256; p += 1 + (unsigned)i) {
			snprintf((char *)blk + (size_t)p * 4096, 64,
				 "block %u page %u: some text text text text", nums[i], p);
		}
		memset(kinds, HVS__RB_AUTO, sizeof kinds);
		kinds[255] = HVS__RB_RAW;
		f->block[i] = blk;
		streams[i] = malloc(HVS__RAMBLOCK_ENCODE_BOUND);
		if (!streams[i] ||
		    hvs__ramblock_encode(blk, kinds, streams[i],
					 HVS__RAMBLOCK_ENCODE_BOUND, &slen[i]) != HVS_OK)
			return -1;
		f->blob_off[i] = pos;
		pos += (slen[i] + 4095) & ~(size_t)4095;
		name_off[i] = (uint32_t)names_used;
		names_used += (size_t)snprintf(names + names_used,
					       sizeof names - names_used,
					       "RamBlock/%u/", nums[i]) + 1;
	}
	f->index_off = pos;
	f->names_off = pos + (size_t)cap * 24;
	f->len = (size_t)f->names_off + 0x1000;
	f->buf = calloc(1, f->len);
	if (!f->buf)
		return -1;
	hvs__put_le32(f->buf + 0x00, 0x02182003);
	hvs__put_le32(f->buf + 0x04, 0x0500);
	hvs__put_le32(f->buf + 0x08, 1);
	hvs__put_le32(f->buf + 0x0C, cap);
	hvs__put_le64(f->buf + 0x10, f->index_off);
	hvs__put_le64(f->buf + 0x18, f->names_off);
	hvs__put_le32(f->buf + 0x20, 0x1000);
	hvs__put_le32(f->buf + 0x24, (uint32_t)names_used);
	memcpy(f->buf + f->names_off, names, names_used);
	for (size_t i = 0; i < nb; i++) {
		/* Entries in reverse order: the index need not be sorted. */
		uint8_t *e = f->buf + f->index_off + (nb - 1 - i) * 24;
		memcpy(f->buf + f->blob_off[i], streams[i], slen[i]);
		hvs__put_le32(e + 0, name_off[i]);
		hvs__put_le16(e + 4, (uint16_t)(strlen(names + name_off[i]) + 1));
		e[6] = e[7] = 1;
		hvs__put_le32(e + 8, (uint32_t)((slen[i] + 4095) & ~(size_t)4095));
		hvs__put_le32(e + 12, (uint32_t)slen[i]);
		hvs__put_le64(e + 16, f->blob_off[i]);
		free(streams[i]);
	}
	return 0;
}

static void fx_free(fixture *f)
{
	for (size_t i = 0; i < 8; i++)
		free(f->block[i]);
	free(f->buf);
}

/* Index entry @slot of a fixture. */
static uint8_t *fx_entry(fixture *f, size_t slot)
{
	return f->buf + f->index_off + slot * 24;
}

/* The memory source of the last fx_open (closed by fx_close). */
static hvs_source fx_src;

/* Open a (possibly corrupted) fixture; message into @msg.  Release with
 * fx_close() whatever the result. */
static hvs_status fx_open(const fixture *f, size_t len, hvs__legacy_bin **b,
			  char *msg)
{
	hvs_open_opts o;
	memset(&o, 0, sizeof o);
	o.errbuf = msg;
	o.errbuf_size = HVS_ERRMSG_MAX;
	msg[0] = 0;
	*b = NULL;
	hvs_source_from_memory(&fx_src, f->buf, len);
	return hvs__legacy_bin_open(b, &fx_src, &o);
}

static void fx_close(hvs__legacy_bin *b)
{
	hvs__legacy_bin_close(b);
	hvs_source_close(&fx_src);
}

static const uint32_t nums3[] = { 2, 0, 1 };

static void test_legacy_bin__synthetic_roundtrip(void)
{
	fixture f;
	hvs__legacy_bin *b = NULL;
	char msg[HVS_ERRMSG_MAX];
	uint8_t *out = malloc(HVS__RAMBLOCK_SIZE);
	CHECK(out);
	CHECK(fx_build(&f, nums3, 3, 16) == 0);
	CHECK_OK(fx_open(&f, f.len, &b, msg));
	CHECK_EQ(b->nblocks, 3);
	CHECK_EQ(b->used_entries, 3);
	CHECK_EQ(hvs__legacy_bin_raw_size(b), 3u << 20);
	for (uint32_t n = 0; n < 3; n++) {
		size_t i = n == 2 ? 0 : n == 0 ? 1 : 2; /* position in nums3 */
		CHECK_EQ(b->blocks[n].n, n);
		CHECK_EQ(b->blocks[n].off, f.blob_off[i]);
		CHECK_OK(hvs__legacy_bin_read_block(b, n, out, NULL));
		CHECK_MEM(out, f.block[i], HVS__RAMBLOCK_SIZE);
	}
	CHECK_STATUS(hvs__legacy_bin_read_block(b, 3, out, NULL), HVS_E_NOTFOUND);
	CHECK(strstr(b->err.msg, "RamBlock/3/") != NULL);
	fx_close(b);
	fx_free(&f);
	free(out);
}

/* Expect open to fail with @want and a message containing @needle. */
#define EXPECT_OPEN(f, len, want, needle)                                      \
	do {                                                                   \
		hvs__legacy_bin *b_ = NULL;                                    \
		char m_[HVS_ERRMSG_MAX];                                       \
		hvs_status s2_ = fx_open((f), (len), &b_, m_);                 \
		fx_close(b_);                                                  \
		CHECK_STATUS(s2_, (want));                                     \
		CHECK(b_ == NULL);                                             \
		if (!strstr(m_, (needle))) {                                   \
			test__fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", \
				   m_, (needle));                              \
			return;                                                \
		}                                                              \
	} while (0)

static void test_legacy_bin__corrupt_header(void)
{
	fixture f;
	uint8_t save[0x28];
	char want[64];
	CHECK(fx_build(&f, nums3, 3, 16) == 0);
	memcpy(save, f.buf, sizeof save);
	EXPECT_OPEN(&f, 0x27, HVS_E_CORRUPT, "shorter than the 0x28-byte header");
	f.buf[0] ^= 1;
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "magic 0x02182002, expected 0x02182003");
	memcpy(f.buf, save, sizeof save);
	hvs__put_le32(f.buf + 4, 0x0600);
	EXPECT_OPEN(&f, f.len, HVS_E_UNSUPPORTED, "version 0x0600");
	memcpy(f.buf, save, sizeof save);
	hvs__put_le32(f.buf + 0x0C, 0x7FFFFFFF); /* absurd index capacity */
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "file offset 0xC: index capacity 2147483647");
	hvs__put_le32(f.buf + 0x0C, 100000); /* under the cap, past EOF */
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "file offset 0x10: index");
	memcpy(f.buf, save, sizeof save);
	hvs__put_le64(f.buf + 0x10, UINT64_MAX - 8); /* overflowing offset */
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "outside the file");
	memcpy(f.buf, save, sizeof save);
	hvs__put_le32(f.buf + 0x24, 0x1001); /* used > capacity */
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "uses 4097 of 4096 bytes");
	memcpy(f.buf, save, sizeof save);
	hvs__put_le64(f.buf + 0x18, f.len - 0x800); /* name table past EOF */
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "file offset 0x18: name table");
	memcpy(f.buf, save, sizeof save);
	hvs__put_le64(f.buf + 0x18, f.index_off + 24); /* inside the index */
	snprintf(want, sizeof want, "index [0x%" PRIx64, f.index_off);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, want);
	/* Truncated files at many lengths: never OK, never a crash. */
	memcpy(f.buf, save, sizeof save);
	for (size_t k = 0; k < f.len; k += 509) {
		hvs__legacy_bin *b = NULL;
		char m[HVS_ERRMSG_MAX];
		hvs_status r = fx_open(&f, k, &b, m);
		fx_close(b);
		CHECK_STATUS(r, HVS_E_CORRUPT);
		CHECK(strstr(m, "offset") || strstr(m, "outside") ||
		      strstr(m, "0x28-byte header"));
	}
	fx_free(&f);
}

static void test_legacy_bin__corrupt_index(void)
{
	fixture f;
	uint8_t save[24 * 3];
	char want[128];
	uint64_t e0; /* file offset of slot 0 (block 1, the last blob) */
	CHECK(fx_build(&f, nums3, 3, 16) == 0);
	memcpy(save, fx_entry(&f, 0), sizeof save);
	e0 = f.index_off;
#define RESTORE() memcpy(fx_entry(&f, 0), save, sizeof save)

	/* Name outside the used part of the name table. */
	hvs__put_le32(fx_entry(&f, 0), 0xD00);
	snprintf(want, sizeof want, "index entry 0 at file offset 0x%" PRIx64 ": name [0xd00", e0);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, want);
	RESTORE();
	hvs__put_le16(fx_entry(&f, 0) + 4, 1); /* too short */
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "index entry 0 at file offset");
	RESTORE();
	/* Length not matching the NUL. */
	hvs__put_le16(fx_entry(&f, 0) + 4, 5);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "is not a 5-byte NUL-terminated string");
	RESTORE();
	/* Bad names: non-numeric, leading zero, no trailing slash, too big. */
	{
		static const char *bad[] = { "RamBlock/x/", "RamBlock/01/",
					     "RamBlock/1", "RamBlock/99999999/",
					     "RamBlock//" };
		for (size_t i = 0; i < HVS__ARRAY_SIZE(bad); i++) {
			uint32_t noff = hvs__le32(fx_entry(&f, 0));
			size_t l = strlen(bad[i]) + 1;
			memcpy(f.buf + f.names_off + 0x100, bad[i], l);
			hvs__put_le32(fx_entry(&f, 0), 0x100);
			hvs__put_le32(f.buf + 0x24, 0x200);
			hvs__put_le16(fx_entry(&f, 0) + 4, (uint16_t)l);
			snprintf(want, sizeof want, "name \"%s\" is not RamBlock/<n>/", bad[i]);
			EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, want);
			hvs__put_le32(fx_entry(&f, 0), noff);
		}
	}
	/* Non-printable name byte. */
	{
		memcpy(f.buf + f.names_off + 0x100, "Ram\x01lock/1/", 12);
		hvs__put_le32(fx_entry(&f, 0), 0x100);
		hvs__put_le16(fx_entry(&f, 0) + 4, 12);
		EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "name byte 3 is 0x01");
		RESTORE();
	}
	/* Another name: reported and skipped, not an error. */
	{
		hvs__legacy_bin *b = NULL;
		char m[HVS_ERRMSG_MAX];
		memcpy(f.buf + f.names_off + 0x100, "Other/1/", 9);
		hvs__put_le32(fx_entry(&f, 0), 0x100);
		hvs__put_le16(fx_entry(&f, 0) + 4, 9);
		CHECK_OK(fx_open(&f, f.len, &b, m));
		CHECK_EQ(b->nblocks, 2);
		CHECK_EQ(b->used_entries, 3);
		CHECK(hvs__legacy_bin_find(b, 1) == NULL);
		fx_close(b);
		RESTORE();
	}
	/* Duplicate block number: slot 0 renamed to slot 1's name. */
	memcpy(fx_entry(&f, 0), fx_entry(&f, 1), 6);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "RamBlock/0/ appears twice");
	RESTORE();
	/* Data size 0, above the allocation, above the limit. */
	hvs__put_le32(fx_entry(&f, 0) + 12, 0);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "data size 0 not in 1..allocated size");
	hvs__put_le32(fx_entry(&f, 0) + 12, hvs__le32(fx_entry(&f, 0) + 8) + 1);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "not in 1..allocated size");
	RESTORE();
	/* Blob outside the file, inside the header page, overflowing. */
	hvs__put_le64(fx_entry(&f, 0) + 16, f.len);
	snprintf(want, sizeof want, "at file offset 0x%" PRIx64 ": blob [0x%zx", e0, f.len);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, want);
	hvs__put_le64(fx_entry(&f, 0) + 16, 0x800);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "blob [0x800");
	hvs__put_le64(fx_entry(&f, 0) + 16, UINT64_MAX - 100);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "outside 0x1000..");
	RESTORE();
	/* Overlapping blobs: slot 0's blob moved onto slot 1's. */
	hvs__put_le64(fx_entry(&f, 0) + 16, hvs__le64(fx_entry(&f, 1) + 16) + 0x1000 -
						    0x1000);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "overlaps blob of index entry");
	RESTORE();
	/* A blob over the index. */
	hvs__put_le32(fx_entry(&f, 0) + 8, 0x1000);
	hvs__put_le32(fx_entry(&f, 0) + 12, 0x100);
	hvs__put_le64(fx_entry(&f, 0) + 16, f.index_off - 0x800);
	EXPECT_OPEN(&f, f.len, HVS_E_CORRUPT, "overlaps index at file offset");
	RESTORE();
#undef RESTORE
	fx_free(&f);
}

static void test_legacy_bin__corrupt_stream(void)
{
	fixture f;
	hvs__legacy_bin *b = NULL;
	char msg[HVS_ERRMSG_MAX], want[128];
	uint8_t *out = malloc(HVS__RAMBLOCK_SIZE);
	CHECK(out);
	CHECK(fx_build(&f, nums3, 3, 16) == 0);
	/* Block 2 is the first blob: put an invalid token at its start. */
	hvs__put_le32(f.buf + f.blob_off[0], 5000);
	CHECK_OK(fx_open(&f, f.len, &b, msg));
	CHECK_STATUS(hvs__legacy_bin_read_block(b, 2, out, NULL), HVS_E_CORRUPT);
	snprintf(want, sizeof want,
		 "legacy .bin: RamBlock/2/: RamBlock: invalid token 0x00001388 at offset 0x%" PRIx64,
		 f.blob_off[0]);
	CHECK(strstr(b->err.msg, want) != NULL);
	/* Other blocks still decode. */
	CHECK_OK(hvs__legacy_bin_read_block(b, 0, out, NULL));
	CHECK_MEM(out, f.block[1], HVS__RAMBLOCK_SIZE);
	fx_close(b);
	fx_free(&f);
	free(out);
}

static void test_legacy_bin__oom(void)
{
	fixture f;
	CHECK(fx_build(&f, nums3, 3, 16) == 0);
	/* Fail each allocation of open + a block read in turn. */
	for (long k = 1; k < 40; k++) {
		test_failalloc fa;
		hvs_open_opts o;
		hvs_source src;
		hvs__legacy_bin *b = NULL;
		hvs_status st;
		test_failalloc_init(&fa, k);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		hvs_source_from_memory(&src, f.buf, f.len);
		st = hvs__legacy_bin_open(&b, &src, &o);
		if (st == HVS_OK) {
			static uint8_t out[1 << 20];
			st = hvs__legacy_bin_read_block(b, 1, out, NULL);
			hvs__legacy_bin_close(b);
		}
		hvs_source_close(&src);
		CHECK(st == HVS_OK || st == HVS_E_NOMEM);
		CHECK_EQ(fa.live, 0);
		if (st == HVS_OK && fa.calls < k)
			break;
	}
	fx_free(&f);
}

TEST_MAIN(TEST(test_legacy_bin__sample),
	  TEST(test_legacy_bin__synthetic_roundtrip),
	  TEST(test_legacy_bin__corrupt_header),
	  TEST(test_legacy_bin__corrupt_index),
	  TEST(test_legacy_bin__corrupt_stream),
	  TEST(test_legacy_bin__oom))
