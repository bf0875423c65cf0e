/* SPDX-License-Identifier: MIT */
/*
 * A tiny in-house test harness (redis testhelp.h / clar naming).  Each test
 * file lists its tests with TEST_LIST and ends with TEST_MAIN.  A failed
 * CHECK prints file:line with both values and ends the current test.
 * The process prints "N passed, N failed, N skipped" and exits 0, 1, or 77
 * (ctest SKIP_RETURN_CODE) when every test was skipped.
 *
 *   static void test_util__crc(void) { CHECK_EQ(hvs__crc32(0, "a", 1), 0xE8B7BE43); }
 *   TEST_MAIN(TEST(test_util__crc))
 */
#ifndef HVS_TEST_H
#define HVS_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "testplat.h"

typedef struct test_case {
	const char *name;
	void (*fn)(void);
} test_case;

/* State of the running test (defined in testlib.c). */
extern int test__failed;   /* current test failed */
extern int test__skipped;  /* current test skipped */

void test__fail(const char *file, int line, const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 3, 4)))
#elif defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
void test__skip(const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 1, 2)))
#elif defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
int test__run(const test_case *tests, size_t n, int argc, char **argv);

#define TEST(fn) { #fn, fn }
#define TEST_MAIN(...)                                                         \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		static const test_case tests_[] = { __VA_ARGS__ };             \
		return test__run(tests_, sizeof tests_ / sizeof tests_[0],    \
				 argc, argv);                                  \
	}

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			test__fail(__FILE__, __LINE__, "CHECK(%s)", #c);       \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);               \
		if (a_ != b_) {                                                \
			test__fail(__FILE__, __LINE__,                         \
				   "%s == %s: 0x%" PRIx64 " (%" PRIu64         \
				   ") != 0x%" PRIx64 " (%" PRIu64 ")",         \
				   #a, #b, a_, a_, b_, b_);                    \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                       \
			test__fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				   #a, #b, a_ ? a_ : "(null)",                 \
				   b_ ? b_ : "(null)");                        \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	do {                                                                   \
		if (memcmp((a), (b), (n)) != 0) {                              \
			test__fail(__FILE__, __LINE__, "%s == %s (%zu bytes)", \
				   #a, #b, (size_t)(n));                       \
			return;                                                \
		}                                                              \
	} while (0)

/* Check a status; print the expected and actual codes. */
#define CHECK_STATUS(expr, want)                                               \
	do {                                                                   \
		hvs_status s_ = (expr);                                        \
		if (s_ != (want)) {                                            \
			test__fail(__FILE__, __LINE__, "%s: got %d (%s), want %d (%s)", \
				   #expr, (int)s_, hvs_strerror(s_), (int)(want), \
				   hvs_strerror(want));                        \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, HVS_OK)

/* Skip the current test with a reason and return. */
#define SKIP(...)                                                              \
	do {                                                                   \
		test__skip(__VA_ARGS__);                                       \
		return;                                                        \
	} while (0)

/* Paths for tests.  Each is a static buffer valid until the next call. */
const char *test_shared_path(const char *rel);  /* ../shared/<rel> or NULL if absent */
const char *test_source_path(const char *rel);  /* <source dir>/<rel> */
const char *test_tmp_path(const char *name);    /* <build dir>/tmp/<name> (directory created) */

/* Read a whole file into malloc'd memory; NULL on failure. */
uint8_t *test_read_file(const char *path, size_t *len);
int test_write_file(const char *path, const void *data, size_t len);

/* Failing allocator for OOM tests: fails the Nth allocation (1-based). */
typedef struct test_failalloc {
	hvs_allocator a;
	long countdown;  /* allocations left before failing; <0: never fail */
	long calls;
	long live;
} test_failalloc;
void test_failalloc_init(test_failalloc *fa, long fail_at);

#endif
