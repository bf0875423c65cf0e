/* SPDX-License-Identifier: MIT */
/*
 * The legacy .bin (+ .vsv) backend of hvs_image (docs/format/savedstate.md
 * "Legacy pair"; format.md 7, 8).
 *
 * Memory comes from the .bin container (src/vmrs/legacy_bin.h): blob
 * "RamBlock/<n>/" is 1 MiB block n of the RAM sequence.  Processor state
 * and the GPA layout come from the .vsv, which Microsoft says is a
 * HyperVStorage container with the <= 5.0 key names
 * (/savedVM/partition_state, RamMemoryBlock/%d/) [M: no real .vsv has
 * been available; the code is exercised with generated files only].
 *
 * Layout without descriptors: block n at GPA n MiB, one range per run of
 * consecutive blocks.  This is what the DLL reports for the one real
 * sample (one chunk {0, 64512 pages}, api.md 6) but is an assumption in
 * general; the image says which layout it used (hvs info prints it).
 */
#include <stdio.h>
#include <string.h>

#include "vmrs/savedstate_int.h"
#include "util/source.h"

int hvs__bin_probe(const uint8_t *head, size_t n)
{
	return hvs__legacy_bin_probe(head, n);
}

/* Identity layout: consecutive blocks n..m -> GPA [n MiB, (m + 1) MiB). */
static hvs_status identity_ranges(hvs_image *img, const hvs__legacy_bin *b)
{
	size_t i = 0;
	while (i < b->nblocks) {
		size_t j = i + 1;
		uint64_t start;
		while (j < b->nblocks && b->blocks[j].n == b->blocks[j - 1].n + 1)
			j++;
		start = (uint64_t)b->blocks[i].n * HVS__RAMBLOCK_SIZE;
		HVS_TRY(hvs__image_add_range(img, start, (uint64_t)(j - i) * HVS__RAMBLOCK_SIZE,
					     start, 0));
		i = j;
	}
	return HVS_OK;
}

/* Does @path exist as a readable file?  Opens it into @src when so. */
static int try_open(hvs_source *src, const char *path)
{
	return hvs_source_open_file(src, path) == HVS_OK;
}

/*
 * Find the .vsv beside @bin: "<stem>.vsv" or "<stem>.VSV" where stem drops
 * a ".bin" extension (any case); also "<bin>.vsv" when there is none.
 */
static hvs_status find_vsv(hvs_image *img, hvs__ss *ss, const char *bin, int *found)
{
	size_t n = strlen(bin), stem = n;
	char *p;
	*found = 0;
	if (n >= 4 && bin[n - 4] == '.' && (bin[n - 3] | 0x20) == 'b' &&
	    (bin[n - 2] | 0x20) == 'i' && (bin[n - 1] | 0x20) == 'n')
		stem = n - 4;
	p = hvs__malloc(&img->alloc, stem + 5);
	if (!p)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	memcpy(p, bin, stem);
	memcpy(p + stem, ".vsv", 5);
	if (try_open(&ss->vsv_src, p)) {
		*found = 1;
	} else {
		memcpy(p + stem, ".VSV", 5);
		*found = try_open(&ss->vsv_src, p);
	}
	hvs__free(&img->alloc, p);
	ss->own_vsv_src = *found;
	return HVS_OK;
}

hvs_status hvs__bin_open(hvs_image *img, const hvs_image_opts *o)
{
	hvs__ss *ss;
	hvs_open_opts bo;
	char msg[HVS_ERRMSG_MAX];
	hvs_status s;
	uint64_t nblocks;
	int have_vsv = 0;

	HVS_TRY(hvs__ss_new(img));
	img->ops = &hvs__ss_ops;
	ss = img->be;

	memset(&bo, 0, sizeof bo);
	if (o) {
		bo.alloc = o->base.alloc;
		bo.problem = o->base.problem;
		bo.problem_ud = o->base.problem_ud;
	}
	msg[0] = '\0';
	bo.errbuf = msg;
	bo.errbuf_size = sizeof msg;
	s = hvs__legacy_bin_open(&ss->bin, &img->src, &bo);
	if (s != HVS_OK)
		return hvs__err_set(&img->err, s, "%s", msg);
	nblocks = ss->bin->nblocks ? (uint64_t)ss->bin->blocks[ss->bin->nblocks - 1].n + 1 : 0;

	/* The companion .vsv: given, or found beside the .bin. */
	if (o && o->vsv_path) {
		char why[256];
		s = hvs__source_open_file_why(&ss->vsv_src, o->vsv_path, why, sizeof why);
		if (s != HVS_OK)
			return hvs__err_set(&img->err, s, "cannot open the .vsv %s: %s", o->vsv_path,
					    why[0] ? why : hvs_strerror(s));
		ss->own_vsv_src = 1;
		have_vsv = 1;
	} else if (img->path) {
		HVS_TRY(find_vsv(img, ss, img->path, &have_vsv));
	}

	if (have_vsv) {
		const hvs_key *ps;
		HVS_TRY(hvs__ss_open_vsv(img, o, &ss->vsv_src));
		ps = hvs__ss_vsv_partition(img);
		s = hvs__ss_load_descriptors(img, nblocks);
		if (s == HVS_E_NOTFOUND) {
			s = identity_ranges(img, ss->bin);
			ss->mem_layout = "identity (RAM block n at GPA n MiB; the .vsv has no "
					 "RamMemoryBlock descriptors)";
		}
		if (s != HVS_OK)
			return hvs__err_prefix(&img->err, s, ".vsv memory descriptors");
		if (!ps)
			return hvs__err_set(&img->err, HVS_E_NOTFOUND,
					    ".vsv has no %s: its processor state cannot be read",
					    ss->layout == HVS__SS_LAYOUT_V5 ? HVS_KEY_PARTITION_STATE_V5
									    : HVS_KEY_PARTITION_STATE);
		s = hvs__ss_load_partition(img, ss->store, ps);
		if (s != HVS_OK)
			return hvs__err_prefix(&img->err, s, ".vsv partition_state");
		return HVS_OK;
	}
	ss->mem_layout = "identity (RAM block n at GPA n MiB; no .vsv)";
	return identity_ranges(img, ss->bin);
}
