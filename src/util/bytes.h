/* SPDX-License-Identifier: MIT */
/*
 * Byte-order helpers.  Every multi-byte field read from a file goes through
 * these shift-based functions: no struct overlays, no unaligned loads, no
 * dependence on host byte order.
 */
#ifndef HVS_UTIL_BYTES_H
#define HVS_UTIL_BYTES_H

#include <stdint.h>

static inline uint16_t hvs__le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t hvs__le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t hvs__le64(const uint8_t *p)
{
	return (uint64_t)hvs__le32(p) | (uint64_t)hvs__le32(p + 4) << 32;
}

static inline uint16_t hvs__be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t hvs__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t hvs__be64(const uint8_t *p)
{
	return (uint64_t)hvs__be32(p) << 32 | (uint64_t)hvs__be32(p + 4);
}

static inline void hvs__put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void hvs__put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void hvs__put_le64(uint8_t *p, uint64_t v)
{
	hvs__put_le32(p, (uint32_t)v);
	hvs__put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void hvs__put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void hvs__put_be64(uint8_t *p, uint64_t v)
{
	hvs__put_be32(p, (uint32_t)(v >> 32));
	hvs__put_be32(p + 4, (uint32_t)v);
}

#endif
