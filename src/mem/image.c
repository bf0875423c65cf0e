/* SPDX-License-Identifier: MIT */
/*
 * The guest image core: format detection and dispatch to a backend, the
 * guest-physical range map, reads that split at range boundaries, the
 * per-VP / per-VTL register store, and the raw-image backend.
 * Format-specific parsing lives in the backends (src/mem/backends.def).
 *
 * Model (docs/api.md, include/hvs/image.h): every input is reduced to
 * (1) a sorted list of guest-physical ranges, each mapped onto an offset
 * in the "raw saved memory" (the SDK's GuestPhysicalAddressToRawSaved-
 * MemoryOffset space: saved bytes in saved order, gaps excluded), read
 * through one backend callback, and (2) register sets per VP and VTL,
 * filled once at open.  Nothing here knows a file format, so an ELF core,
 * a raw image and a .vmrs answer the same questions the same way, and the
 * translation glue (src/xlat/image_xlat.c) serves them all.
 */
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem/image_int.h"
#include "util/source.h"

/* ------------------------------------------------------------ backends */

typedef struct backend {
	const char *name;
	hvs_image_format format;
	int (*probe)(const uint8_t *head, size_t n);
	hvs_status (*open)(hvs_image *img, const hvs_image_opts *o);
} backend;

static const backend backends[] = {
#define HVS_BACKEND(nm, fmt) { #nm, fmt, hvs__##nm##_probe, hvs__##nm##_open },
#include "mem/backends.def"
#undef HVS_BACKEND
};

const char *hvs_image_format_name(hvs_image_format f)
{
	switch (f) {
	case HVS_FORMAT_VMRS: return "vmrs";
	case HVS_FORMAT_BIN: return "bin";
	case HVS_FORMAT_ELF: return "elf";
	case HVS_FORMAT_RAW: return "raw";
	case HVS_FORMAT_UNKNOWN: break;
	}
	return "unknown";
}

/* ------------------------------------------------------ building helpers */

/*
 * Ranges and their file offsets live in two parallel arrays: the public
 * hvs_mem_range array is handed out as is (hvs_image_ranges), and the
 * file offset is an implementation detail of extent backends only.
 */
hvs_status hvs__image_add_range(hvs_image *img, uint64_t gpa, uint64_t size,
				uint64_t raw_offset, uint64_t file_offset)
{
	size_t cap = img->cap_ranges;
	if (hvs__grow(&img->alloc, (void **)&img->ranges, &cap, img->nranges + 1,
		      sizeof *img->ranges) != HVS_OK)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (ranges)");
	if (cap != img->cap_ranges) {
		uint64_t *nf = hvs__reallocarray(&img->alloc, img->range_file, cap,
						 sizeof *nf);
		if (!nf)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (ranges)");
		img->range_file = nf;
		img->cap_ranges = cap;
	}
	img->ranges[img->nranges].gpa = gpa;
	img->ranges[img->nranges].size = size;
	img->ranges[img->nranges].raw_offset = raw_offset;
	img->range_file[img->nranges] = file_offset;
	img->nranges++;
	return HVS_OK;
}

/*
 * VPs are kept in saved order; callers address them by that position and
 * the saved (hardware) index is only reported.  4096 is above any
 * partition Hyper-V creates (2048 VPs on current hosts) and bounds what a
 * damaged VP_INDICES or marker stream can make us allocate.
 */
hvs_status hvs__image_add_vp(hvs_image *img, uint32_t index, uint32_t *pos)
{
	size_t cap = img->cap_vps;
	hvs__vp *vp;
	if (img->nvps >= 4096)
		return hvs__err_set(&img->err, HVS_E_CORRUPT,
				    "more than 4096 virtual processors");
	if (hvs__grow(&img->alloc, (void **)&img->vps, &cap, img->nvps + 1,
		      sizeof *img->vps) != HVS_OK)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (VPs)");
	img->cap_vps = (uint32_t)cap;
	vp = &img->vps[img->nvps];
	memset(vp, 0, sizeof *vp);
	vp->index = index;
	vp->forced_paging = -1;
	if (pos)
		*pos = img->nvps;
	img->nvps++;
	return HVS_OK;
}

/*
 * A register set is allocated only for a VTL that has state (about 2.8
 * KiB each), so the VTL mask of a VP is exactly the sets it owns.
 */
hvs__regset *hvs__image_regset(hvs_image *img, uint32_t vp, uint32_t vtl,
			       int create)
{
	hvs__vp *v;
	if (vp >= img->nvps || vtl >= HVS_VTL_COUNT)
		return NULL;
	v = &img->vps[vp];
	if (!v->vtl[vtl] && create) {
		v->vtl[vtl] = hvs__calloc(&img->alloc, 1, sizeof(hvs__regset));
		if (v->vtl[vtl])
			v->vtl_mask |= 1u << vtl;
	}
	return v->vtl[vtl];
}

void hvs__regset_put(hvs__regset *rs, hvs_reg reg, uint64_t lo, uint64_t hi)
{
	if ((unsigned)reg >= HVS_REG_COUNT)
		return;
	rs->v[reg].lo = lo;
	rs->v[reg].hi = hi;
	rs->present[reg / 8] |= (uint8_t)(1u << (reg % 8));
}

int hvs__regset_has(const hvs__regset *rs, hvs_reg reg)
{
	if (!rs || (unsigned)reg >= HVS_REG_COUNT)
		return 0;
	return (rs->present[reg / 8] >> (reg % 8)) & 1;
}

hvs_status hvs__image_add_chunk(hvs_image *img, const hvs_state_chunk *c)
{
	if (hvs__grow(&img->alloc, (void **)&img->chunks, &img->cap_chunks,
		      img->nchunks + 1, sizeof *img->chunks) != HVS_OK)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (chunks)");
	img->chunks[img->nchunks++] = *c;
	return HVS_OK;
}

/* ------------------------------------------------------- extent backend */

/* Range whose raw span holds @off (ranges sorted by raw offset too). */
static size_t find_raw(const hvs_image *img, uint64_t off)
{
	size_t lo = 0, hi = img->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const hvs_mem_range *r = &img->ranges[mid];
		if (off < r->raw_offset)
			hi = mid;
		else if (off - r->raw_offset >= r->size)
			lo = mid + 1;
		else
			return mid;
	}
	return (size_t)-1;
}

static hvs_status extent_read_raw(hvs_image *img, uint64_t off, void *buf,
				  size_t len, size_t *done)
{
	uint8_t *p = buf;
	*done = 0;
	while (len) {
		size_t i = find_raw(img, off), n, got = 0;
		const hvs_mem_range *r;
		hvs_status s;
		if (i == (size_t)-1)
			return hvs__err_set(&img->err, HVS_E_NODATA,
					    "raw offset 0x%" PRIx64 " is not in the image", off);
		r = &img->ranges[i];
		n = (size_t)HVS__MIN((uint64_t)len, r->size - (off - r->raw_offset));
		s = img->src.read_at(img->src.ud, img->range_file[i] + (off - r->raw_offset),
				     p, n, &got);
		*done += got;
		if (s != HVS_OK)
			return hvs__err_set(&img->err, s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
					    "reading 0x%zx bytes at file offset 0x%" PRIx64
					    ": %s", n,
					    img->range_file[i] + (off - r->raw_offset),
					    s == HVS_E_NODATA ? "file is truncated"
							      : "read failed");
		p += n;
		off += n;
		len -= n;
	}
	return HVS_OK;
}

const hvs__image_ops hvs__extent_ops = { "extent", extent_read_raw, NULL, NULL };

/* ---------------------------------------------------------- raw backend */

int hvs__raw_probe(const uint8_t *head, size_t n)
{
	/* A raw image has no signature: it is only opened when asked for. */
	(void)head;
	(void)n;
	return 0;
}

static int cmp_extent(const void *a, const void *b)
{
	const hvs_raw_extent *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

hvs_status hvs__raw_open(hvs_image *img, const hvs_image_opts *o)
{
	uint64_t fsize = img->src.size(img->src.ud);
	hvs_raw_extent one, *ext;
	size_t i, n;
	uint64_t raw = 0;

	if (o && o->raw_layout && o->raw_layout_count) {
		n = o->raw_layout_count;
		if (n > (1u << 20))
			return hvs__err_set(&img->err, HVS_E_INVALID,
					    "raw layout: %zu extents (at most 1048576)", n);
		ext = hvs__calloc(&img->alloc, n, sizeof *ext);
		if (!ext)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
		memcpy(ext, o->raw_layout, n * sizeof *ext);
	} else {
		one.gpa = 0;
		one.size = fsize;
		one.file_offset = 0;
		ext = &one;
		n = 1;
	}
	qsort(ext, n, sizeof *ext, cmp_extent);
	for (i = 0; i < n; i++) {
		hvs_status s;
		uint64_t end;
		if (ext[i].size == 0 || !hvs__in_bounds(ext[i].file_offset, ext[i].size, fsize) ||
		    hvs__add_u64(ext[i].gpa, ext[i].size - 1, &end)) {
			s = hvs__err_set(&img->err, HVS_E_INVALID,
					 "raw layout extent gpa 0x%" PRIx64 " size 0x%" PRIx64
					 " at file offset 0x%" PRIx64
					 ": empty, wraps, or past the end of the file (0x%" PRIx64 ")",
					 ext[i].gpa, ext[i].size, ext[i].file_offset, fsize);
			goto out_err;
		}
		s = hvs__image_add_range(img, ext[i].gpa, ext[i].size, raw, ext[i].file_offset);
		if (s != HVS_OK)
			goto out_err;
		raw += ext[i].size;
		continue;
out_err:
		if (ext != &one)
			hvs__free(&img->alloc, ext);
		return s;
	}
	if (ext != &one)
		hvs__free(&img->alloc, ext);
	img->ops = &hvs__extent_ops;
	img->format = HVS_FORMAT_RAW;
	return HVS_OK;
}

/* ---------------------------------------------------------------- open */

static int cmp_range(const void *a, const void *b)
{
	const hvs_mem_range *x = a, *y = b;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * Sort the ranges (keeping range_file in step) and reject overlaps.  This
 * runs after every backend, so no backend can hand the read path an
 * unsorted, overlapping or wrapping map: find_gpa()'s binary search and
 * the raw-size check below rely on it.  A backend that knows the raw size
 * (a .vmrs counts whole 1 MiB RAM blocks, padding included) sets it first;
 * otherwise it is the end of the highest range.
 */
static hvs_status finish_ranges(hvs_image *img)
{
	size_t i;
	uint64_t raw_end = 0;
	/* Sort pairs through an index permutation: n is small (tens). */
	if (img->nranges > 1) {
		hvs_mem_range *r = img->ranges;
		uint64_t *f = img->range_file;
		size_t j;
		/* Insertion sort keeps the two arrays together without scratch. */
		for (i = 1; i < img->nranges; i++) {
			hvs_mem_range tr = r[i];
			uint64_t tf = f[i];
			for (j = i; j > 0 && cmp_range(&r[j - 1], &tr) > 0; j--) {
				r[j] = r[j - 1];
				f[j] = f[j - 1];
			}
			r[j] = tr;
			f[j] = tf;
		}
	}
	for (i = 0; i < img->nranges; i++) {
		const hvs_mem_range *r = &img->ranges[i];
		uint64_t end, rend;
		if (r->size == 0 || hvs__add_u64(r->gpa, r->size, &end) ||
		    hvs__add_u64(r->raw_offset, r->size, &rend))
			return HVS_CORRUPT(&img->err,
					   "memory range %zu (gpa 0x%" PRIx64 ", size 0x%" PRIx64
					   "): empty or wraps around", i, r->gpa, r->size);
		if (i + 1 < img->nranges && end > img->ranges[i + 1].gpa)
			return HVS_CORRUPT(&img->err,
					   "memory ranges overlap: [0x%" PRIx64 ", 0x%" PRIx64
					   ") and one at 0x%" PRIx64, r->gpa, end,
					   img->ranges[i + 1].gpa);
		if (rend > raw_end)
			raw_end = rend;
	}
	if (img->raw_size == 0)
		img->raw_size = raw_end;
	else if (raw_end > img->raw_size)
		return HVS_CORRUPT(&img->err,
				   "memory ranges reach raw offset 0x%" PRIx64
				   " past the saved memory (0x%" PRIx64 " bytes)",
				   raw_end, img->raw_size);
	return HVS_OK;
}

/*
 * Open: allocate the handle first so every later failure has a message
 * buffer, probe the first bytes (or take the forced format), let the
 * backend fill the image, validate the range map, and derive each VP's
 * architecture.  On failure the message is copied to the caller's errbuf
 * and the half-built image is closed: nothing leaks, nothing is returned.
 */
static hvs_status open_common(hvs_image **out, const hvs_source *src,
			      const char *path, const hvs_image_opts *o)
{
	const hvs_open_opts *bo = o ? &o->base : NULL;
	hvs__alloc al;
	hvs_image *img;
	hvs_status s;
	/* Enough for the second HyperVStorage header copy at 0x1000. */
	uint8_t head[0x1040];
	size_t n = 0, i;
	const backend *be = NULL;

	hvs__alloc_init(&al, bo ? bo->alloc : NULL);
	img = hvs__calloc(&al, 1, sizeof *img);
	if (!img) {
		if (bo && bo->errbuf && bo->errbuf_size)
			snprintf(bo->errbuf, bo->errbuf_size, "out of memory");
		return HVS_E_NOMEM;
	}
	img->alloc = al;
	if (bo) {
		img->problem = bo->problem;
		img->problem_ud = bo->problem_ud;
	}
	img->cache_blocks = (o && o->cache_blocks) ? o->cache_blocks
						    : HVS_IMAGE_DEFAULT_CACHE_BLOCKS;
	img->part.vendor = UINT32_MAX;

	if (path) {
		img->path = hvs__strdup(&img->alloc, path);
		if (!img->path) {
			s = hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			goto fail;
		}
		char why[256];
		s = hvs__source_open_file_why(&img->src, path, why, sizeof why);
		if (s != HVS_OK) {
			hvs__err_set(&img->err, s, "%s: %s", path,
				     s == HVS_E_IO ? why : hvs_strerror(s));
			goto fail;
		}
		img->own_src = 1;
	} else {
		img->src = *src;
	}

	s = img->src.read_at(img->src.ud, 0, head, sizeof head, &n);
	if (s != HVS_OK && s != HVS_E_NODATA) {
		hvs__err_set(&img->err, s, "cannot read the first bytes");
		goto fail;
	}
	if (o && o->format != HVS_FORMAT_UNKNOWN) {
		for (i = 0; i < HVS__ARRAY_SIZE(backends); i++)
			if (backends[i].format == o->format)
				be = &backends[i];
		if (!be) {
			s = hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
					 "format '%s' is not built in",
					 hvs_image_format_name(o->format));
			goto fail;
		}
	} else {
		for (i = 0; i < HVS__ARRAY_SIZE(backends) && !be; i++)
			if (backends[i].probe(head, n))
				be = &backends[i];
		if (!be) {
			img->reason = HVS_REASON_NOT_RECOGNISED;
			s = hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
					 "%s: not a recognised format (first bytes %02x %02x %02x %02x; "
					 "a raw memory image must be opened as raw)",
					 path ? path : "input",
					 n > 0 ? head[0] : 0, n > 1 ? head[1] : 0,
					 n > 2 ? head[2] : 0, n > 3 ? head[3] : 0);
			goto fail;
		}
	}
	img->format = be->format;
	s = be->open(img, o);
	if (s == HVS_OK)
		s = finish_ranges(img);
	if (s != HVS_OK) {
		hvs__err_prefix(&img->err, s, "%s", path ? path : be->name);
		goto fail;
	}
	if (!img->ops) {
		s = hvs__err_set(&img->err, HVS_E_UNSUPPORTED, "backend %s set no reader",
				 be->name);
		goto fail;
	}
	for (i = 0; i < img->nvps; i++)
		img->vps[i].arch = hvs__image_detect_arch(img, (uint32_t)i);
	if (img->part.arch == HVS_ARCH_UNKNOWN && img->nvps)
		img->part.arch = img->vps[0].arch;
	*out = img;
	if (bo && bo->reason)
		*bo->reason = HVS_REASON_NONE;
	return HVS_OK;

fail:
	if (bo && bo->reason)
		*bo->reason = img->reason;
	if (bo && bo->errbuf && bo->errbuf_size)
		hvs__err_copyout(&img->err, bo->errbuf, bo->errbuf_size);
	hvs_image_close(img);
	return s;
}

hvs_status hvs_image_open(hvs_image **out, const char *path, const hvs_image_opts *o)
{
	if (!out || !path)
		return HVS_E_INVALID;
	*out = NULL;
	return open_common(out, NULL, path, o);
}

hvs_status hvs_image_open_source(hvs_image **out, const hvs_source *src,
				 const hvs_image_opts *o)
{
	if (!out || !src || !src->read_at || !src->size)
		return HVS_E_INVALID;
	*out = NULL;
	return open_common(out, src, NULL, o);
}

void hvs_image_close(hvs_image *img)
{
	hvs__alloc al;
	uint32_t i, k;
	if (!img)
		return;
	al = img->alloc;
	if (img->xlat_free)
		img->xlat_free(img);
	if (img->ops && img->ops->close)
		img->ops->close(img);
	for (i = 0; i < img->nvps; i++) {
		for (k = 0; k < HVS_VTL_COUNT; k++)
			hvs__free(&al, img->vps[i].vtl[k]);
		hvs__free(&al, img->vps[i].nested_host);
	}
	hvs__free(&al, img->vps);
	hvs__free(&al, img->ranges);
	hvs__free(&al, img->range_file);
	hvs__free(&al, img->chunks);
	if (img->own_src)
		hvs_source_close(&img->src);
	hvs__free(&al, img->path);
	hvs__free(&al, img);
}

const char *hvs_image_errmsg(const hvs_image *img)
{
	return img ? img->err.msg : "";
}

hvs_image_format hvs_image_get_format(const hvs_image *img)
{
	return img->format;
}

hvs_store *hvs_image_store(const hvs_image *img)
{
	return img->store;
}

/* -------------------------------------------------------------- memory */

size_t hvs_image_range_count(const hvs_image *img)
{
	return img->nranges;
}

const hvs_mem_range *hvs_image_ranges(const hvs_image *img)
{
	return img->ranges;
}

uint64_t hvs_image_raw_size(const hvs_image *img)
{
	return img->raw_size;
}

/* Range holding @gpa, or (size_t)-1. */
static size_t find_gpa(const hvs_image *img, uint64_t gpa)
{
	size_t lo = 0, hi = img->nranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const hvs_mem_range *r = &img->ranges[mid];
		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return mid;
	}
	return (size_t)-1;
}

hvs_status hvs_image_gpa_to_raw(const hvs_image *img, uint64_t gpa, uint64_t *raw)
{
	size_t i;
	if (!img || !raw)
		return HVS_E_INVALID;
	i = find_gpa(img, gpa);
	if (i == (size_t)-1)
		return HVS_E_NODATA;
	*raw = img->ranges[i].raw_offset + (gpa - img->ranges[i].gpa);
	return HVS_OK;
}

/*
 * Reads are split at range boundaries and stop at the first byte no range
 * covers, with *done counting the bytes before it (kdump_read's partial
 * progress): a caller reading across an MMIO hole learns exactly where
 * saved memory ends, instead of getting zeros that were never saved.
 * Raw-space reads are one span of [0, raw_size) and the backend walks it.
 */
hvs_status hvs_image_read(hvs_image *img, hvs_space space, uint64_t addr,
			  void *buf, size_t len, size_t *done)
{
	uint8_t *p = buf;
	size_t total = 0;
	hvs_status s = HVS_OK;

	if (done)
		*done = 0;
	if (!img || (!buf && len))
		return HVS_E_INVALID;
	if (space == HVS_SPACE_RAW) {
		size_t n = len, got = 0;
		if (addr >= img->raw_size) {
			if (!len)
				return HVS_OK;
			return hvs__err_set(&img->err, HVS_E_NODATA,
					    "raw offset 0x%" PRIx64 " is past the saved memory "
					    "(0x%" PRIx64 " bytes)", addr, img->raw_size);
		}
		if (n > img->raw_size - addr)
			n = (size_t)(img->raw_size - addr);
		s = img->ops->read_raw(img, addr, p, n, &got);
		if (done)
			*done = got;
		if (s == HVS_OK && n < len)
			s = hvs__err_set(&img->err, HVS_E_NODATA,
					 "read stops at the end of the saved memory "
					 "(0x%" PRIx64 " bytes)", img->raw_size);
		return s;
	}
	if (space != HVS_SPACE_GPA)
		return hvs__err_set(&img->err, HVS_E_INVALID,
				    "read: address space %d is not GPA or RAW", (int)space);
	while (total < len) {
		size_t i = find_gpa(img, addr), n, got = 0;
		const hvs_mem_range *r;
		if (i == (size_t)-1) {
			s = hvs__err_set(&img->err, HVS_E_NODATA,
					 "guest-physical address 0x%" PRIx64
					 " is not backed by saved memory", addr);
			break;
		}
		r = &img->ranges[i];
		n = (size_t)HVS__MIN((uint64_t)(len - total), r->size - (addr - r->gpa));
		s = img->ops->read_raw(img, r->raw_offset + (addr - r->gpa), p + total, n, &got);
		total += got;
		if (s != HVS_OK)
			break;
		addr += n;
	}
	if (done)
		*done = total;
	return s;
}

hvs_status hvs_image_set_cache_limit(hvs_image *img, uint64_t blocks)
{
	if (!img)
		return HVS_E_INVALID;
	img->cache_blocks = blocks;
	if (img->ops && img->ops->set_cache_limit)
		return img->ops->set_cache_limit(img, blocks);
	return HVS_OK;
}

uint64_t hvs_image_cache_limit(const hvs_image *img)
{
	return img->cache_blocks;
}

/* ----------------------------------------------------- processor state */

void hvs_image_partition_info(const hvs_image *img, hvs_partition_info *out)
{
	*out = img->part;
}

uint32_t hvs_image_vp_count(const hvs_image *img)
{
	return img->nvps;
}

hvs_status hvs_image_vp_info(const hvs_image *img, uint32_t vp, hvs_vp_info *out)
{
	const hvs__vp *v;
	if (!img || !out || vp >= img->nvps)
		return HVS_E_INVALID;
	v = &img->vps[vp];
	memset(out, 0, sizeof *out);
	out->index = v->index;
	out->arch = v->forced_arch != HVS_ARCH_UNKNOWN ? v->forced_arch : v->arch;
	out->vtl_mask = v->vtl_mask;
	out->saved_vtl = v->saved_vtl;
	out->active_vtl = v->active_vtl;
	out->nested_enabled = v->nested_enabled;
	out->in_nested_guest = v->in_nested_guest;
	out->nested_host_mode = v->nested_host_mode;
	return HVS_OK;
}

/*
 * Resolve (vp, vtl) to a register set; sets the message on failure.
 * HVS_VTL_ACTIVE means the VP's active VTL (the saved one, or the one
 * forced with hvs_image_set_active_vtl, like ForceActiveVirtualTrustLevel),
 * and in nested host mode the nested host's state stands in for it
 * (ForceNestedHostMode, api.md 2.4).
 */
static hvs_status lookup_regset(hvs_image *img, uint32_t vp, int vtl,
				const hvs__regset **out)
{
	hvs__vp *v;
	uint32_t t;
	if (vp >= img->nvps)
		return hvs__err_set(&img->err, HVS_E_INVALID,
				    "VP %u does not exist (the image has %u)", vp, img->nvps);
	v = &img->vps[vp];
	if (vtl == HVS_VTL_ACTIVE)
		t = v->active_vtl;
	else if (vtl < 0 || vtl >= HVS_VTL_COUNT)
		return hvs__err_set(&img->err, HVS_E_INVALID, "VTL %d is out of range", vtl);
	else
		t = (uint32_t)vtl;
	if (v->nested_host_mode && v->nested_host && vtl == HVS_VTL_ACTIVE) {
		*out = v->nested_host;
		return HVS_OK;
	}
	if (!v->vtl[t])
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "VP %u has no register state for VTL %u", vp, t);
	*out = v->vtl[t];
	return HVS_OK;
}

hvs_status hvs_image_get_reg(hvs_image *img, uint32_t vp, int vtl, hvs_reg reg,
			     hvs_regval *out)
{
	const hvs__regset *rs = NULL;
	hvs_arch ra;
	if (!img || !out)
		return HVS_E_INVALID;
	ra = hvs_reg_arch(reg);
	if (ra == HVS_ARCH_UNKNOWN)
		return hvs__err_set(&img->err, HVS_E_INVALID, "register id %d is not a register",
				    (int)reg);
	HVS_TRY(lookup_regset(img, vp, vtl, &rs));
	if (!hvs__regset_has(rs, reg)) {
		const hvs__vp *v = &img->vps[vp];
		hvs_arch va = v->forced_arch != HVS_ARCH_UNKNOWN ? v->forced_arch : v->arch;
		if ((va == HVS_ARCH_ARM64) != (ra == HVS_ARCH_ARM64) && va != HVS_ARCH_UNKNOWN)
			return hvs__err_set(&img->err, HVS_E_INVALID,
					    "register %s is %s, VP %u is %s", hvs_reg_name(reg),
					    hvs_arch_name(ra), vp, hvs_arch_name(va));
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "register %s is not in the saved state of VP %u",
				    hvs_reg_name(reg), vp);
	}
	*out = rs->v[reg];
	return HVS_OK;
}

/*
 * Overrides go into the same register store as saved values (issue 4: an
 * input without paging registers, or a what-if CR3).  The architecture is
 * derived again because a new EFER or CS can change it; the translation
 * glue notices the change through reg_gen.
 */
hvs_status hvs_image_set_reg(hvs_image *img, uint32_t vp, int vtl, hvs_reg reg,
			     const hvs_regval *val)
{
	hvs__regset *rs;
	uint32_t t;
	if (!img || !val || hvs_reg_arch(reg) == HVS_ARCH_UNKNOWN)
		return HVS_E_INVALID;
	if (vp >= img->nvps)
		return hvs__err_set(&img->err, HVS_E_INVALID, "VP %u does not exist", vp);
	if (vtl == HVS_VTL_ACTIVE)
		t = img->vps[vp].active_vtl;
	else if (vtl < 0 || vtl >= HVS_VTL_COUNT)
		return hvs__err_set(&img->err, HVS_E_INVALID, "VTL %d is out of range", vtl);
	else
		t = (uint32_t)vtl;
	rs = hvs__image_regset(img, vp, t, 1);
	if (!rs)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	hvs__regset_put(rs, reg, val->lo, val->hi);
	img->vps[vp].arch = hvs__image_detect_arch(img, vp);
	img->reg_gen++;
	return HVS_OK;
}

hvs_status hvs_image_add_vps(hvs_image *img, uint32_t count, hvs_arch arch)
{
	uint32_t i;
	if (!img || count == 0 || count > 4096)
		return HVS_E_INVALID;
	if (img->nvps)
		return hvs__err_set(&img->err, HVS_E_INVALID, "the image already has VPs");
	for (i = 0; i < count; i++) {
		uint32_t pos = 0;
		HVS_TRY(hvs__image_add_vp(img, i, &pos));
		img->vps[pos].arch = arch;
		img->vps[pos].forced_arch = arch;
	}
	if (img->part.arch == HVS_ARCH_UNKNOWN)
		img->part.arch = arch;
	img->reg_gen++;
	return HVS_OK;
}

hvs_status hvs_image_set_active_vtl(hvs_image *img, uint32_t vp, uint32_t vtl)
{
	if (!img || vp >= img->nvps || vtl >= HVS_VTL_COUNT)
		return HVS_E_INVALID;
	if (!img->vps[vp].vtl[vtl])
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "VTL %u is not enabled on VP %u", vtl, vp);
	img->vps[vp].active_vtl = vtl;
	img->reg_gen++;
	return HVS_OK;
}

hvs_status hvs_image_set_arch(hvs_image *img, uint32_t vp, hvs_arch arch)
{
	if (!img || vp >= img->nvps || (unsigned)arch > HVS_ARCH_ARM64)
		return HVS_E_INVALID;
	img->vps[vp].forced_arch = arch;
	img->reg_gen++;
	return HVS_OK;
}

hvs_status hvs_image_set_nested_host_mode(hvs_image *img, uint32_t vp, int host,
					  int *old)
{
	hvs__vp *v;
	if (!img || vp >= img->nvps)
		return HVS_E_INVALID;
	v = &img->vps[vp];
	if (host && !v->nested_host)
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "VP %u has no nested host state", vp);
	if (old)
		*old = v->nested_host_mode;
	v->nested_host_mode = host ? 1 : 0;
	img->reg_gen++;
	return HVS_OK;
}

/*
 * The architecture a VP was running in is a property of its saved mode,
 * not a file field (format.md 5.4): the SDK's DLL reports x86 for a VM
 * saved in its BIOS.  The partition says ARM64; otherwise the registers
 * decide, from the strongest evidence down.
 */
hvs_arch hvs__image_detect_arch(const hvs_image *img, uint32_t vp)
{
	const hvs__vp *v = &img->vps[vp];
	const hvs__regset *rs = v->vtl[v->active_vtl];
	if (img->part.arch == HVS_ARCH_ARM64)
		return HVS_ARCH_ARM64;
	if (!rs)
		return img->part.arch;
	if (hvs__regset_has(rs, HVS_REG_ARM64_PC) || hvs__regset_has(rs, HVS_REG_ARM64_CPSR) ||
	    hvs__regset_has(rs, HVS_REG_ARM64_TTBR1_EL1))
		return HVS_ARCH_ARM64;
	/* Long mode is active when EFER.LMA (bit 10) is set (Intel SDM Vol.3 2.2.1). */
	if (hvs__regset_has(rs, HVS_REG_X64_EFER))
		return (rs->v[HVS_REG_X64_EFER].lo >> 10) & 1 ? HVS_ARCH_X64 : HVS_ARCH_X86;
	/*
	 * Without EFER (QEMU's ELF notes have none): a 64-bit code segment
	 * (CS.L, attribute bit 13) means long mode; so does paging with PAE
	 * in a partition known to be x64 (a compatibility-mode process still
	 * runs in IA-32e mode, Intel SDM Vol.3 2.2).
	 */
	if (hvs__regset_has(rs, HVS_REG_X64_CS) &&
	    ((rs->v[HVS_REG_X64_CS].hi >> 48) & 0x2000))
		return HVS_ARCH_X64;
	if (img->part.arch == HVS_ARCH_X64 && hvs__regset_has(rs, HVS_REG_X64_CR0) &&
	    hvs__regset_has(rs, HVS_REG_X64_CR4) &&
	    (rs->v[HVS_REG_X64_CR0].lo >> 31 & 1) && (rs->v[HVS_REG_X64_CR4].lo >> 5 & 1))
		return HVS_ARCH_X64;
	if (hvs__regset_has(rs, HVS_REG_X64_CR0) || hvs__regset_has(rs, HVS_REG_X64_RIP))
		return HVS_ARCH_X86;
	return img->part.arch;
}

hvs_status hvs_image_in_kernel(hvs_image *img, uint32_t vp, int *out)
{
	const hvs__regset *rs = NULL;
	hvs_vp_info vi;
	if (!img || !out)
		return HVS_E_INVALID;
	HVS_TRY(lookup_regset(img, vp, HVS_VTL_ACTIVE, &rs));
	HVS_TRY(hvs_image_vp_info(img, vp, &vi));
	if (vi.arch == HVS_ARCH_ARM64) {
		/* PSTATE.EL is bits 3:2 (Arm ARM D1.6). */
		if (hvs__regset_has(rs, HVS_REG_ARM64_CPSR)) {
			*out = ((rs->v[HVS_REG_ARM64_CPSR].lo >> 2) & 3) >= 1;
			return HVS_OK;
		}
	} else {
		if (hvs__regset_has(rs, HVS_REG_X64_CPL)) {
			*out = (rs->v[HVS_REG_X64_CPL].lo & 3) == 0;
			return HVS_OK;
		}
		/* SS.DPL equals the CPL (Intel SDM Vol.3 5.5); attributes bits 5-6. */
		if (hvs__regset_has(rs, HVS_REG_X64_SS)) {
			*out = ((rs->v[HVS_REG_X64_SS].hi >> 48 >> 5) & 3) == 0;
			return HVS_OK;
		}
		/* CS.RPL is the CPL outside real mode. */
		if (hvs__regset_has(rs, HVS_REG_X64_CS)) {
			*out = ((rs->v[HVS_REG_X64_CS].hi >> 32) & 3) == 0;
			return HVS_OK;
		}
	}
	return hvs__err_set(&img->err, HVS_E_NOTFOUND,
			    "VP %u: no CPL, SS, CS or CPSR to tell the privilege level", vp);
}

/* --------------------------------------------------------------- chunks */

size_t hvs_image_chunk_count(const hvs_image *img)
{
	return img->nchunks;
}

const hvs_state_chunk *hvs_image_chunk(const hvs_image *img, size_t i)
{
	return i < img->nchunks ? &img->chunks[i] : NULL;
}
