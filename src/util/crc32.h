/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 (IEEE 802.3 / zlib: reflected polynomial 0xEDB88320, init and
 * final XOR 0xFFFFFFFF), the checksum of every HyperVStorage structure
 * (docs/format/storage.md, "Checksums").  hvs__crc32(0, p, n) is the CRC of
 * p[0..n); pass a previous result as @crc to continue over more bytes.
 */
#ifndef HVS_UTIL_CRC32_H
#define HVS_UTIL_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t hvs__crc32(uint32_t crc, const void *p, size_t n);

/* CRC of @p n bytes with the 4-byte field at @field_off taken as zero. */
uint32_t hvs__crc32_skip(const uint8_t *p, size_t n, size_t field_off);

#endif
