/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 (zlib's), byte at a time from a table that the preprocessor
 * builds as a constant, so the library keeps no mutable static state.
 * HyperVStorage checksums cover only small structures (headers, table
 * entries; never the large values), so byte-wise speed is plenty.
 */
#include "util/crc32.h"

/* One bit step of the reflected CRC, applied eight times per byte value. */
#define S1(c) (((c) & 1u) ? 0xEDB88320u ^ ((c) >> 1) : ((c) >> 1))
#define S8(c) S1(S1(S1(S1(S1(S1(S1(S1((uint32_t)(c)))))))))
#define R4(n) S8(n), S8((n) + 1), S8((n) + 2), S8((n) + 3)
#define R16(n) R4(n), R4((n) + 4), R4((n) + 8), R4((n) + 12)
#define R64(n) R16(n), R16((n) + 16), R16((n) + 32), R16((n) + 48)

static const uint32_t table[256] = { R64(0), R64(64), R64(128), R64(192) };

uint32_t hvs__crc32(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *b++) & 0xFFu] ^ (crc >> 8);
	return ~crc;
}

uint32_t hvs__crc32_skip(const uint8_t *p, size_t n, size_t field_off)
{
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	uint32_t c = hvs__crc32(0, p, field_off);
	c = hvs__crc32(c, zero, 4);
	return hvs__crc32(c, p + field_off + 4, n - field_off - 4);
}
