/* SPDX-License-Identifier: MIT */
/* Unit tests for src/util: byte order, checked arithmetic, CRC-32, UTF
 * conversion, sources and the error message helpers. */
#include "test.h"
#include "util/util.h"

static void test_util__le(void)
{
	static const uint8_t b[8] = { 0x14, 0x20, 0x28, 0x01, 0xB3, 0x89, 0x7E, 0x1E };
	CHECK_EQ(hvs__le16(b), 0x2014);
	CHECK_EQ(hvs__le32(b), 0x01282014);
	CHECK_EQ(hvs__le64(b), 0x1E7E89B301282014ull);
	CHECK_EQ(hvs__be32(b), 0x14202801);
	{
		uint8_t o[8];
		hvs__put_le64(o, 0x1E7E89B301282014ull);
		CHECK_MEM(o, b, 8);
		hvs__put_be32(o, 0x01020304);
		CHECK_EQ(hvs__le32(o), 0x04030201);
	}
}

static void test_util__ovf(void)
{
	uint64_t r;
	size_t z;
	CHECK(!hvs__add_u64(1, 2, &r) && r == 3);
	CHECK(hvs__add_u64(UINT64_MAX, 1, &r));
	CHECK(hvs__mul_u64(UINT64_MAX / 2 + 1, 2, &r));
	CHECK(!hvs__mul_u64(1u << 20, 1u << 20, &r) && r == 1ull << 40);
	CHECK(hvs__add_size(SIZE_MAX, 1, &z));
	CHECK(hvs__in_bounds(10, 5, 15));
	CHECK(!hvs__in_bounds(10, 6, 15));
	CHECK(!hvs__in_bounds(UINT64_MAX, 2, UINT64_MAX));
	CHECK(!hvs__align_up(0x1001, 0x1000, &r) && r == 0x2000);
	CHECK(hvs__align_up(UINT64_MAX - 2, 0x1000, &r));
}

static void test_util__crc32(void)
{
	/* The classic check value of CRC-32/ISO-HDLC. */
	CHECK_EQ(hvs__crc32(0, "123456789", 9), 0xCBF43926);
	CHECK_EQ(hvs__crc32(0, "", 0), 0);
	/* Continuation equals one pass. */
	CHECK_EQ(hvs__crc32(hvs__crc32(0, "1234", 4), "56789", 5), 0xCBF43926);
	/* An all-zero 18-byte object-table entry (format.md 2.4). */
	{
		uint8_t z[18] = { 0 };
		CHECK_EQ(hvs__crc32(0, z, 18), 0x671BCF4D);
		CHECK_EQ(hvs__crc32_skip(z, 18, 1), 0x671BCF4D);
	}
}

static void test_util__utf(void)
{
	/* "Aé€😀" in UTF-16LE, then a lone high surrogate. */
	static const uint8_t u16[] = { 'A', 0, 0xE9, 0, 0xAC, 0x20, 0x3D, 0xD8,
				       0x00, 0xDE, 0x00, 0xD8 };
	char out[32];
	uint8_t back[32];
	size_t n = hvs__utf16le_to_utf8(u16, sizeof u16, out, sizeof out);
	CHECK_EQ(n, 1 + 2 + 3 + 4 + 3);
	CHECK_STR(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD");
	/* Sizing call. */
	CHECK_EQ(hvs__utf16le_to_utf8(u16, sizeof u16, NULL, 0), n);
	/* Truncation keeps a NUL. */
	CHECK_EQ(hvs__utf16le_to_utf8(u16, sizeof u16, out, 2), n);
	CHECK_STR(out, "A");
	/* Back to UTF-16 (without the replacement char). */
	CHECK_EQ(hvs__utf8_to_utf16le("A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", back,
				      sizeof back), 10);
	CHECK_MEM(back, u16, 10);
	CHECK_EQ(hvs__utf8_to_utf16le("\xC0\x80", back, sizeof back), (size_t)-1);
	CHECK_EQ(hvs__utf8_to_utf16le("\xED\xA0\x80", back, sizeof back), (size_t)-1);
}

static void test_util__memsource(void)
{
	static const uint8_t d[5] = { 1, 2, 3, 4, 5 };
	hvs_source s;
	uint8_t b[8];
	size_t done;
	CHECK_OK(hvs_source_from_memory(&s, d, sizeof d));
	CHECK_EQ(s.size(s.ud), 5);
	CHECK_OK(s.read_at(s.ud, 1, b, 3, &done));
	CHECK_EQ(done, 3);
	CHECK_EQ(b[0], 2);
	CHECK_STATUS(s.read_at(s.ud, 3, b, 4, &done), HVS_E_NODATA);
	CHECK_EQ(done, 2);
	CHECK_STATUS(s.read_at(s.ud, 9, b, 1, &done), HVS_E_NODATA);
	CHECK_EQ(done, 0);
	hvs_source_close(&s);
	CHECK_STATUS(hvs_source_from_memory(&s, NULL, 1), HVS_E_INVALID);
}

static void test_util__filesource(void)
{
	const char *p = test_tmp_path("util_source.bin");
	hvs_source s;
	uint8_t b[4];
	size_t done;
	CHECK(test_write_file(p, "abcdef", 6) == 0);
	CHECK_OK(hvs_source_open_file(&s, p));
	CHECK_EQ(s.size(s.ud), 6);
	CHECK_OK(s.read_at(s.ud, 2, b, 4, &done));
	CHECK_MEM(b, "cdef", 4);
	CHECK_STATUS(s.read_at(s.ud, 4, b, 4, &done), HVS_E_NODATA);
	CHECK_EQ(done, 2);
	hvs_source_close(&s);
	CHECK_STATUS(hvs_source_open_file(&s, test_tmp_path("does-not-exist")), HVS_E_IO);
	CHECK_STATUS(hvs_source_open_file(&s, test_tmp_path("")), HVS_E_IO);
}

static void test_util__err(void)
{
	hvs__err e;
	char buf[16];
	hvs__err_clear(&e);
	CHECK_STR(e.msg, "");
	CHECK_STATUS(hvs__err_set(&e, HVS_E_IO, "read %d", 7), HVS_E_IO);
	CHECK_STATUS(hvs__err_prefix(&e, HVS_E_IO, "open %s", "x"), HVS_E_IO);
	CHECK_STR(e.msg, "open x: read 7");
	hvs__err_copyout(&e, buf, 7);
	CHECK_STR(buf, "open x");
	CHECK_STATUS(HVS_CORRUPT(&e, "bad %s", "thing"), HVS_E_CORRUPT);
	CHECK(strncmp(e.msg, "bad thing", 9) == 0);
	CHECK_STR(hvs_strerror(HVS_E_CORRUPT), "file is corrupt");
	CHECK_STR(hvs_strerror((hvs_status)42), "unknown status");
	CHECK_STR(hvs_version(), "0.1.0");
}

static void test_util__alloc(void)
{
	test_failalloc fa;
	hvs__alloc a;
	void *p = NULL;
	size_t cap = 0;
	test_failalloc_init(&fa, 2);
	hvs__alloc_init(&a, &fa.a);
	CHECK_OK(hvs__grow(&a, &p, &cap, 3, 4));
	CHECK(cap >= 3);
	CHECK_STATUS(hvs__grow(&a, &p, &cap, 100, 4), HVS_E_NOMEM);
	hvs__free(&a, p);
	CHECK_EQ(fa.live, 0);
	CHECK(hvs__calloc(&a, SIZE_MAX / 2, 4) == NULL);
}

TEST_MAIN(TEST(test_util__le), TEST(test_util__ovf), TEST(test_util__crc32),
	  TEST(test_util__utf), TEST(test_util__memsource),
	  TEST(test_util__filesource), TEST(test_util__err), TEST(test_util__alloc))
