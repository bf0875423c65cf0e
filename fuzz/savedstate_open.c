/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: open a saved state (.vmrs or legacy .bin) from memory,
 * read every register of every VP and VTL, list the chunks, and read
 * guest-physical and raw memory at addresses carved from the input's last
 * 8 bytes (the whole input stays the file, so seeds keep their structure).
 *
 * Invariants checked (abort on violation, as libFuzzer expects):
 *  - open fails only with a documented status and a message;
 *  - ranges are sorted, non-empty, non-overlapping, inside raw_size;
 *  - a read returns OK with every byte, or an error with done < len;
 *  - OK reads of the same address return the same bytes (cache coherence
 *    under a 1-block cache limit);
 *  - every listed chunk belongs to an existing VP (or the partition).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static uint64_t next(uint64_t *x)
{
	/* xorshift64*: deterministic per input. */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1Dull;
}

static void check_read(hvs_image *img, hvs_space sp, uint64_t a, size_t len)
{
	static uint8_t b1[8192], b2[8192];
	size_t d1 = 0, d2 = 0;
	hvs_status s1, s2;
	s1 = hvs_image_read(img, sp, a, b1, len, &d1);
	REQUIRE(d1 <= len);
	REQUIRE(s1 != HVS_OK || d1 == len);
	REQUIRE(s1 == HVS_OK || s1 == HVS_E_NODATA || s1 == HVS_E_CORRUPT || s1 == HVS_E_IO ||
		s1 == HVS_E_NOMEM);
	s2 = hvs_image_read(img, sp, a, b2, len, &d2);
	REQUIRE(s1 == s2 && d1 == d2);
	if (s1 == HVS_OK)
		REQUIRE(memcmp(b1, b2, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvs_source src;
	hvs_image *img = NULL;
	hvs_image_opts o;
	char err[HVS_ERRMSG_MAX];
	hvs_status s;
	uint64_t seed = 0x9E3779B97F4A7C15ull, prev_end = 0, raw_end = 0;
	size_t i, n;
	uint32_t vp, nvp;
	const hvs_mem_range *r;

	if (hvs_source_from_memory(&src, data, size) != HVS_OK)
		return 0;
	for (i = 0; i < 8 && i < size; i++)
		seed = (seed << 8 | seed >> 56) ^ data[size - 1 - i];
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	o.cache_blocks = 1;
	err[0] = '\0';
	s = hvs_image_open_source(&img, &src, &o);
	if (s != HVS_OK) {
		REQUIRE(img == NULL && err[0] != '\0');
		REQUIRE(s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED || s == HVS_E_NOTFOUND ||
			s == HVS_E_IO || s == HVS_E_NOMEM);
		hvs_source_close(&src);
		return 0;
	}
	n = hvs_image_range_count(img);
	r = hvs_image_ranges(img);
	for (i = 0; i < n; i++) {
		REQUIRE(r[i].size > 0);
		REQUIRE(i == 0 || r[i].gpa >= prev_end);
		prev_end = r[i].gpa + r[i].size;
		if (r[i].raw_offset + r[i].size > raw_end)
			raw_end = r[i].raw_offset + r[i].size;
	}
	REQUIRE(raw_end <= hvs_image_raw_size(img));

	nvp = hvs_image_vp_count(img);
	for (vp = 0; vp < nvp; vp++) {
		hvs_vp_info vi;
		int vtl, k;
		unsigned reg;
		REQUIRE(hvs_image_vp_info(img, vp, &vi) == HVS_OK);
		for (vtl = 0; vtl < HVS_VTL_COUNT; vtl++) {
			if (!(vi.vtl_mask >> vtl & 1))
				continue;
			for (reg = 0; reg < HVS_REG_COUNT; reg++) {
				hvs_regval v;
				s = hvs_image_get_reg(img, vp, vtl, (hvs_reg)reg, &v);
				REQUIRE(s == HVS_OK || s == HVS_E_NOTFOUND || s == HVS_E_INVALID);
			}
		}
		(void)hvs_image_in_kernel(img, vp, &k);
	}
	for (i = 0; i < hvs_image_chunk_count(img); i++) {
		const hvs_state_chunk *c = hvs_image_chunk(img, i);
		REQUIRE(c != NULL);
		REQUIRE(c->vp == UINT32_MAX || c->vp < nvp);
		REQUIRE(c->vtl < HVS_VTL_COUNT);
	}

	/* Reads: range starts and ends, random addresses, raw offsets. */
	for (i = 0; i < n && i < 8; i++) {
		check_read(img, HVS_SPACE_GPA, r[i].gpa, 64);
		check_read(img, HVS_SPACE_GPA, r[i].gpa + r[i].size - 32, 64);
	}
	for (i = 0; i < 8; i++) {
		uint64_t x = next(&seed);
		size_t len = (size_t)(next(&seed) % 8192);
		uint64_t a = n ? r[x % n].gpa + (next(&seed) % r[x % n].size) : x;
		check_read(img, HVS_SPACE_GPA, a, len);
		check_read(img, HVS_SPACE_RAW, next(&seed) % (hvs_image_raw_size(img) + 4096), len);
	}
	hvs_image_close(img);
	hvs_source_close(&src);
	return 0;
}
