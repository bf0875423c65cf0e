/* SPDX-License-Identifier: MIT */
/*
 * The image scanner (include/hvs/pe.h, hvs_pe_scan_*): finds PE images
 * in a virtual address space, with the semantics of the SDK's
 * ScanMemoryForDosImages (spec/api.md 2.7): standalone addresses first,
 * then every mapped page from the higher address down to the lower one,
 * the callback able to stop it.  docs/pe.md "Scanning" describes the
 * algorithm and its rate.
 *
 * Speed comes from never looking at what is not mapped and never looking
 * at a page twice:
 *  - the page-table walker (hvs_xlat_map_walk) lists only mapped regions
 *    and skips a non-present entry whole (512 GiB for a PML4E), so an
 *    empty address space costs a few table reads, not a translation per
 *    page;
 *  - the range is cut into windows from the top down; each window's
 *    regions are listed once (ascending, as the walker gives them) and
 *    then visited in descending order, so the callback sees images from
 *    the highest down and can stop the scan early; windows grow while
 *    they hold few regions and shrink when they hold many, which bounds
 *    the region list;
 *  - each mapped page costs one 64-byte physical read (its DOS header, if
 *    any), straight by GPA: no second translation.
 */
#include <inttypes.h>
#include <string.h>

#include "hvs/pe.h"
#include "hvs/vp.h"
#include "mem/image_int.h"
#include "pe/pe_int.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/err.h"

#define PAGE 0x1000ull
#define PAGE_MASK (~(PAGE - 1))
/* Window sizes of the top-down walk: start, bounds, and the region
 * counts that make a window grow or shrink. */
#define WIN_START (1ull << 30)
#define WIN_MIN (2ull << 20)
#define WIN_MAX (1ull << 63)
#define WIN_FEW 1024
#define WIN_MANY 16384

typedef struct scan {
	hvs_xlat *x;
	hvs_read_phys_fn read_phys;
	void *phys_ud;
	const uint64_t *standalone;
	size_t nstandalone;
	hvs_pe_found_fn cb;
	void *ud;
	hvs_pe_scan_stats st;
	int stopped;
	/* regions of the current window */
	hvs_xlat_region *reg;
	size_t nreg, capreg;
	hvs_status fail;     /* allocation failure in the region callback */
	hvs__alloc alloc;
} scan;

/* Map-walker callback: collect the regions of one window. */
static hvs_status collect(void *ud, const hvs_xlat_region *r)
{
	scan *s = ud;

	if (hvs__grow(&s->alloc, (void **)&s->reg, &s->capreg, s->nreg + 1,
		      sizeof *s->reg) != HVS_OK)
		return s->fail = HVS_E_NOMEM;
	s->reg[s->nreg++] = *r;
	return HVS_OK;
}

/*
 * Is there an image at @va?  Parses its headers through the translation
 * context and reports it.  Anything malformed is not an image (a scan
 * meets random data); only allocation and I/O failures stop the scan.
 */
static hvs_status try_image(scan *s, uint64_t va, int standalone)
{
	hvs_pe_opts o;
	hvs_pe *pe = NULL;
	hvs_pe_found f;
	const hvs_pe_codeview *cv;
	const hvs_pe_headers *h;
	const char *name;
	hvs_status st;

	memset(&o, 0, sizeof o);
	o.alloc = s->alloc.a.malloc ? &s->alloc.a : NULL;
	st = hvs_pe_open(&pe, va, hvs__pe_read_xlat, s->x, &o);
	if (st == HVS_E_NOMEM || st == HVS_E_IO)
		return st;
	if (st != HVS_OK)
		return HVS_OK;
	h = hvs_pe_get_headers(pe);
	memset(&f, 0, sizeof f);
	f.base = va;
	f.size = h->image_size;
	f.timestamp = h->timestamp;
	f.machine = h->machine;
	f.standalone = standalone;
	/* Name and CodeView are optional: paged out or absent is normal. */
	st = hvs__pe_dll_name(pe, &name);
	if (st == HVS_OK)
		f.name = name;
	else if (st == HVS_E_NOMEM)
		goto out;
	st = hvs_pe_get_codeview(pe, &cv);
	if (st == HVS_OK) {
		f.has_codeview = 1;
		f.pdb_name = cv->pdb_name;
		memcpy(f.guid, cv->guid, 16);
		f.age = cv->age;
	} else if (st == HVS_E_NOMEM) {
		goto out;
	}
	st = HVS_OK;
	s->st.images++;
	if (s->cb(s->ud, &f))
		s->stopped = 1;
out:
	hvs_pe_close(pe);
	return st;
}

/* Was @va already reported as a standalone address? */
static int is_standalone(const scan *s, uint64_t va)
{
	size_t i;

	for (i = 0; i < s->nstandalone; i++)
		if (s->standalone[i] == va)
			return 1;
	return 0;
}

/*
 * Visit the pages [lo, hi] (page-aligned, inclusive) of one region from
 * the top down: one 64-byte read by GPA per page.
 */
static hvs_status visit_region(scan *s, const hvs_xlat_region *r, uint64_t lo,
			       uint64_t hi)
{
	uint8_t dos[64];
	uint64_t p = hi;
	hvs_status st;

	for (;;) {
		s->st.pages_read++;
		st = s->read_phys(s->phys_ud, r->gpa + (p - r->gva), dos, sizeof dos);
		if (st == HVS_OK) {
			/* "MZ" and an e_lfanew a header could have. */
			if (dos[0] == 'M' && dos[1] == 'Z') {
				uint32_t lfanew = hvs__le32(dos + 0x3c);

				s->st.candidates++;
				if (lfanew >= 4 && lfanew <= HVS_PE_MAX_LFANEW &&
				    !is_standalone(s, p)) {
					HVS_TRY(try_image(s, p, 0));
					if (s->stopped)
						return HVS_OK;
				}
			}
		} else if (st == HVS_E_NODATA) {
			s->st.pages_missing++;
		} else {
			return st;
		}
		if (p == lo)
			return HVS_OK;
		p -= PAGE;
	}
}

/* The range part of the scan: windows from the top down. */
static hvs_status scan_range(scan *s, uint64_t hi, uint64_t lo)
{
	uint64_t top = hi & PAGE_MASK, bottom, win = WIN_START;
	hvs_status st;
	size_t i;

	/* Pages whose first byte is >= lo. */
	if (lo & (PAGE - 1)) {
		if (lo > UINT64_MAX - PAGE)
			return HVS_OK;
		lo = (lo + PAGE) & PAGE_MASK;
	}
	if (top < lo)
		return HVS_OK;
	for (;;) {
		uint64_t wlo = top - lo >= win ? top - win + PAGE : lo;

		s->nreg = 0;
		s->fail = HVS_OK;
		st = hvs_xlat_map_walk(s->x, wlo, top + (PAGE - 1), 0, collect, s);
		if (s->fail != HVS_OK)
			return s->fail;
		if (st != HVS_OK)
			return st;
		for (i = s->nreg; i-- > 0 && !s->stopped;) {
			const hvs_xlat_region *r = &s->reg[i];
			uint64_t rlo = r->gva, rhi = r->gva + (r->size - 1);

			/* Regions are whole mappings: clip to the window. */
			if (rlo < wlo)
				rlo = wlo;
			if (rhi > top + (PAGE - 1))
				rhi = top + (PAGE - 1);
			if (rlo > rhi)
				continue;
			if (r->flags & HVS_XLAT_F_NODATA) {
				s->st.table_gaps++;
				continue;
			}
			rlo = (rlo + PAGE - 1) & PAGE_MASK;
			rhi &= PAGE_MASK;
			if (rlo > rhi)
				continue;
			s->st.mapped_bytes += rhi - rlo + PAGE;
			HVS_TRY(visit_region(s, r, rlo, rhi));
		}
		if (s->stopped || wlo == lo)
			return HVS_OK;
		bottom = wlo;
		top = bottom - PAGE;
		/* Grow the window while it is sparse, shrink it when dense. */
		if (s->nreg < WIN_FEW && win < WIN_MAX)
			win <<= 1;
		else if (s->nreg > WIN_MANY && win > WIN_MIN)
			win >>= 1;
	}
}

/* The scan with allocator @a (the image's, or the C library's). */
static hvs_status scan_run(hvs_xlat *x, hvs_read_phys_fn read_phys,
			   void *phys_ud, uint64_t hi, uint64_t lo,
			   const uint64_t *standalone, size_t nstandalone,
			   hvs_pe_found_fn cb, void *ud,
			   hvs_pe_scan_stats *stats, const hvs__alloc *a)
{
	scan s;
	size_t i;
	hvs_status st = HVS_OK;

	if (stats)
		memset(stats, 0, sizeof *stats);
	if (!x || !read_phys || !cb || hi < lo || (nstandalone && !standalone))
		return HVS_E_INVALID;
	memset(&s, 0, sizeof s);
	s.alloc = *a;
	s.x = x;
	s.read_phys = read_phys;
	s.phys_ud = phys_ud;
	s.standalone = standalone;
	s.nstandalone = nstandalone;
	s.cb = cb;
	s.ud = ud;
	/* Standalone addresses first, in the caller's order. */
	for (i = 0; i < nstandalone && !s.stopped && st == HVS_OK; i++)
		st = try_image(&s, standalone[i], 1);
	if (st == HVS_OK && !s.stopped)
		st = scan_range(&s, hi, lo);
	hvs__free(&s.alloc, s.reg);
	if (stats)
		*stats = s.st;
	return st;
}

hvs_status hvs_pe_scan_xlat(hvs_xlat *x, hvs_read_phys_fn read_phys,
			    void *phys_ud, uint64_t hi, uint64_t lo,
			    const uint64_t *standalone, size_t nstandalone,
			    hvs_pe_found_fn cb, void *ud,
			    hvs_pe_scan_stats *stats)
{
	hvs__alloc a;

	hvs__alloc_init(&a, NULL);
	return scan_run(x, read_phys, phys_ud, hi, lo, standalone, nstandalone,
			cb, ud, stats, &a);
}

/* Physical reads of the guest image. */
static hvs_status read_img_phys(void *ud, uint64_t gpa, void *buf, size_t len)
{
	return hvs_image_read(ud, HVS_SPACE_GPA, gpa, buf, len, NULL);
}

hvs_status hvs_pe_scan_vp(hvs_image *img, uint32_t vp, uint64_t hi, uint64_t lo,
			  const uint64_t *standalone, size_t nstandalone,
			  hvs_pe_found_fn cb, void *ud, hvs_pe_scan_stats *stats)
{
	hvs_xlat *x;
	hvs_status st;

	if (stats)
		memset(stats, 0, sizeof *stats);
	if (!img)
		return HVS_E_INVALID;
	if (!cb || hi < lo || (nstandalone && !standalone))
		return hvs__err_set(&img->err, HVS_E_INVALID,
				    "image scan: %s",
				    !cb ? "no callback"
					: hi < lo ? "the higher address is below the lower one"
						  : "standalone addresses missing");
	HVS_TRY(hvs_vp_xlat(img, vp, &x));
	/* The image's allocator serves the scan too (OOM tests, callers'
	 * allocators). */
	st = scan_run(x, read_img_phys, img, hi, lo, standalone, nstandalone,
		      cb, ud, stats, &img->alloc);
	if (st != HVS_OK && st != HVS_E_NOMEM)
		hvs__err_prefix(&img->err, st, "image scan");
	else if (st == HVS_E_NOMEM)
		hvs__err_set(&img->err, st, "image scan: out of memory");
	return st;
}
