/* SPDX-License-Identifier: MIT */
/* A small SHA-256 (FIPS 180-4) for tests: hash decoded memory and compare
 * with digests computed by independent tools (format.md 10). */
#ifndef HVS_TEST_SHA256_H
#define HVS_TEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct test_sha256 {
	uint32_t h[8];
	uint64_t len;      /* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
} test_sha256;

void test_sha256_init(test_sha256 *c);
void test_sha256_update(test_sha256 *c, const void *data, size_t len);
void test_sha256_final(test_sha256 *c, uint8_t out[32]);
/* Digest of @data as 64 lowercase hex digits + NUL into @hex. */
void test_sha256_hex(const void *data, size_t len, char hex[65]);
/* Lowercase hex of a 32-byte digest into @hex (65 bytes). */
void test_sha256_tohex(const uint8_t d[32], char hex[65]);

#endif
