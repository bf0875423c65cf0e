/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: open an ELF core (src/mem/elf.c) from memory, then check
 * invariants rather than only "no crash":
 *  - ranges are sorted, non-empty, non-overlapping, raw offsets in GPA
 *    order, and every byte of a range is backed by the input at its file
 *    offset (first and last byte compared with the input);
 *  - a read just past a range's end either continues into the next range
 *    or fails with HVS_E_NODATA after exactly the bytes that exist;
 *  - every register of every VP can be queried without crashing and a
 *    present one keeps its value;
 *  - translation through the VP glue returns only the documented codes,
 *    and a translated address reads as OK or HVS_E_NODATA.
 * The input is the whole file; the translation addresses are carved from
 * its last 16 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "mem/image_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t tail64(const uint8_t *d, size_t n, size_t back)
{
	uint64_t v = 0;
	size_t i;
	for (i = 0; i < 8 && back + i < n; i++)
		v |= (uint64_t)d[n - 1 - back - i] << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvs_source src;
	hvs_image *img = NULL;
	hvs_image_opts o;
	char err[HVS_ERRMSG_MAX];
	const hvs_mem_range *r;
	size_t i, n;
	uint64_t raw = 0;
	uint32_t vp;

	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	o.format = HVS_FORMAT_ELF;
	if (hvs_source_from_memory(&src, data, size) != HVS_OK)
		abort();
	if (hvs_image_open_source(&img, &src, &o) != HVS_OK) {
		if (img)
			abort();
		hvs_source_close(&src);
		return 0;
	}
	n = hvs_image_range_count(img);
	r = hvs_image_ranges(img);
	for (i = 0; i < n && i < 64; i++) {
		uint8_t b;
		size_t done;
		uint64_t foff = img->range_file[i];
		if (r[i].size == 0 || r[i].raw_offset != raw)
			abort();
		if (i + 1 < n && r[i].gpa + r[i].size > r[i + 1].gpa)
			abort();
		if (foff > size || r[i].size > size - foff)
			abort();
		if (hvs_image_read(img, HVS_SPACE_GPA, r[i].gpa, &b, 1, &done) != HVS_OK ||
		    b != data[foff])
			abort();
		if (hvs_image_read(img, HVS_SPACE_GPA, r[i].gpa + r[i].size - 1, &b, 1, &done) !=
			    HVS_OK || b != data[foff + r[i].size - 1])
			abort();
		{
			uint8_t two[2];
			hvs_status s = hvs_image_read(img, HVS_SPACE_GPA,
						      r[i].gpa + r[i].size - 1, two, 2, &done);
			int next_adjacent = i + 1 < n && r[i + 1].gpa == r[i].gpa + r[i].size;
			if (next_adjacent ? s != HVS_OK
					  : (s != HVS_E_NODATA || done != 1) &&
						    r[i].gpa + r[i].size != 0)
				abort();
		}
		raw += r[i].size;
	}
	for (vp = 0; vp < hvs_image_vp_count(img) && vp < 8; vp++) {
		int reg, k;
		uint64_t gpa = 0, ps = 0, unm = 0;
		uint8_t buf[16];
		size_t done;
		hvs_status s;
		for (reg = 0; reg < HVS_REG_COUNT; reg++) {
			hvs_regval v, w;
			if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)reg, &v) == HVS_OK &&
			    (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)reg, &w) != HVS_OK ||
			     v.lo != w.lo || v.hi != w.hi))
				abort();
		}
		(void)hvs_image_in_kernel(img, vp, &k);
		for (k = 0; k < 2; k++) {
			s = hvs_vp_translate(img, vp, tail64(data, size, (size_t)k * 8), &gpa, &ps,
					     &unm);
			if (s == HVS_OK) {
				s = hvs_vp_read(img, vp, tail64(data, size, (size_t)k * 8), buf,
						sizeof buf, &done);
				if (s != HVS_OK && s != HVS_E_NODATA && s != HVS_E_NOTPRESENT)
					abort();
				if (done > sizeof buf)
					abort();
			} else if (s != HVS_E_NOTPRESENT && s != HVS_E_NODATA &&
				   s != HVS_E_NOTFOUND && s != HVS_E_INVALID) {
				abort();
			}
		}
	}
	hvs_image_close(img);
	hvs_source_close(&src);
	return 0;
}
