/* SPDX-License-Identifier: MIT */
/*
 * Streaming guest memory out of an image for the conversion pipeline.
 *
 * The portable path reads guest-physical memory through hvs_image_read()
 * in HVS__CVT_CHUNK pieces into one buffer, applies the writer's patches
 * and hands the piece to the sink.  Memory use: one chunk buffer plus the
 * image's block cache.
 */
#include <string.h>

#include "convert/cvt_priv.h"
#include "hvs/image.h"

hvs_status hvs__cvt_mt_init(struct hvs__cvt *c)
{
	c->workers = 1;
	return HVS_OK;
}

void hvs__cvt_mt_free(struct hvs__cvt *c)
{
	(void)c;
}

hvs_status hvs__cvt_copy_direct(struct hvs__cvt *c, uint64_t gpa, uint64_t len, uint64_t out_off)
{
	(void)c;
	(void)gpa;
	(void)len;
	(void)out_off;
	return HVS_E_UNSUPPORTED;
}

hvs_status hvs__cvt_stream_impl(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
				hvs__cvt_sink sink, void *ud)
{
	unsigned char *buf;
	hvs_status s = HVS_OK;
	if (len == 0)
		return HVS_OK;
	buf = hvs__malloc(&c->alloc, HVS__CVT_CHUNK);
	if (!buf)
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for a %zu-byte copy buffer",
				    HVS__CVT_CHUNK);
	while (len > 0 && s == HVS_OK) {
		size_t n = len < HVS__CVT_CHUNK ? (size_t)len : HVS__CVT_CHUNK, got = 0;
		s = hvs_image_read(c->img, HVS_SPACE_GPA, gpa, buf, n, &got);
		if (s != HVS_OK) {
			s = hvs__cvt_err(c, s, "reading guest memory at GPA 0x%" PRIx64 ": %s", gpa + got,
					 hvs_image_errmsg(c->img));
			break;
		}
		hvs__cvt_apply_patches(c, gpa, buf, n);
		s = sink(c, ud, gpa, buf, n);
		if (s == HVS_OK)
			s = hvs__cvt_progress(c, n);
		gpa += n;
		len -= n;
	}
	hvs__free(&c->alloc, buf);
	return s;
}
