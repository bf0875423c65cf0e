/* SPDX-License-Identifier: MIT */
/*
 * Glue between a guest image's virtual processors and the translation
 * engine (include/hvs/vp.h): builds the engine's paging registers from a
 * VP's register state (active VTL or nested host state), applies the
 * per-VP forced paging mode and architecture, keeps one engine context
 * per VP (rebuilt when the image's register generation changes), and
 * offers translate / read / trace / map walk per VP.
 * Rules for registers an input lacks: docs/format/elf.md 4.
 *
 * This file sees the image internals (src/mem/image_int.h) to reach the
 * per-VP overrides; the engine itself (xlat.c, x86.c, arm64.c) sees only
 * the physical-read callback defined here.
 */
#include <string.h>

#include "hvs/vp.h"
#include "mem/image_int.h"

/* Per-VP cached engine context. */
typedef struct vp_ctx {
	hvs_xlat *x;
	uint64_t gen;       /* img->reg_gen the context was built for */
} vp_ctx;

typedef struct glue {
	vp_ctx *vps;
	uint32_t n;
} glue;

/* EFER.LME (bit 8), EFER.LMA (bit 10), EFER.NXE (bit 11): Intel SDM Vol.3 2.2.1. */
#define EFER_LME_LMA 0x500u
#define EFER_NXE 0x800u

/* Release every cached context (installed as img->xlat_free; runs at close). */
static void glue_free(hvs_image *img)
{
	glue *g = img->xlat_cache;
	uint32_t i;
	if (!g)
		return;
	for (i = 0; i < g->n; i++)
		hvs_xlat_free(g->vps[i].x);
	hvs__free(&img->alloc, g->vps);
	hvs__free(&img->alloc, g);
	img->xlat_cache = NULL;
}

/*
 * The physical-read callback: guest-physical reads of the image.  A page
 * no range covers gives HVS_E_NODATA, which the engine reports as "table
 * not in the image" rather than "not mapped" (xlat.h error model).
 */
static hvs_status read_phys(void *ud, uint64_t gpa, void *buf, size_t len)
{
	return hvs_image_read(ud, HVS_SPACE_GPA, gpa, buf, len, NULL);
}

/* Get a register of the VP's active state; 1 if present. */
static int reg(hvs_image *img, uint32_t vp, hvs_reg r, hvs_regval *v)
{
	return hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, r, v) == HVS_OK;
}

/* Report a missing paging register and how to supply it. */
static hvs_status missing(hvs_image *img, uint32_t vp, const char *name)
{
	return hvs__err_set(&img->err, HVS_E_NOTFOUND,
			    "VP %u: register %s is not in the %s input; supply it "
			    "(hvs_image_set_reg, or --set-reg %u:%s=VALUE / --regs-json)",
			    vp, name, hvs_image_format_name(img->format), vp, name);
}

/*
 * Build the engine registers of a VP from its active register set
 * (hvs_image_get_reg() already resolves the active VTL and the nested
 * host state).  The architecture is the VP's (forced or detected); a
 * forced ARM64 mode wins over it.
 */
hvs_status hvs_vp_paging_regs(hvs_image *img, uint32_t vp, hvs_paging_regs *out,
			      unsigned *rflags)
{
	hvs_vp_info vi;
	hvs_regval v;
	int forced;
	if (!img || !out)
		return HVS_E_INVALID;
	if (vp >= img->nvps)
		return hvs__err_set(&img->err, HVS_E_INVALID,
				    "VP %u does not exist (the image has %u)", vp, img->nvps);
	HVS_TRY(hvs_image_vp_info(img, vp, &vi));
	memset(out, 0, sizeof *out);
	if (rflags)
		*rflags = 0;
	forced = img->vps[vp].forced_paging;
	out->mode = forced > 0 ? (hvs_paging_mode)forced : HVS_PAGING_AUTO;

	if (vi.arch == HVS_ARCH_ARM64 || out->mode == HVS_PAGING_ARM64) {
		static const struct {
			hvs_reg r;
			const char *name;
		} need[4] = {
			{ HVS_REG_ARM64_TTBR0_EL1, "ttbr0_el1" },
			{ HVS_REG_ARM64_TTBR1_EL1, "ttbr1_el1" },
			{ HVS_REG_ARM64_TCR_EL1, "tcr_el1" },
			{ HVS_REG_ARM64_SCTLR_EL1, "sctlr_el1" },
		};
		uint64_t *dst[4];
		unsigned i;
		out->arch = HVS_XLAT_ARCH_ARM64;
		dst[0] = &out->ttbr0;
		dst[1] = &out->ttbr1;
		dst[2] = &out->tcr;
		dst[3] = &out->sctlr;
		for (i = 0; i < 4; i++) {
			if (reg(img, vp, need[i].r, &v)) {
				*dst[i] = v.lo;
				continue;
			}
			/* Forced modes need no SCTLR (it only says M on/off);
			 * NONE needs nothing. */
			if (out->mode == HVS_PAGING_NONE || (i == 3 && out->mode != HVS_PAGING_AUTO))
				continue;
			return missing(img, vp, need[i].name);
		}
		if (reg(img, vp, HVS_REG_ARM64_CPSR, &v)) {
			out->pstate = v.lo;
			out->have |= HVS_REGS_HAVE_PSTATE;
		}
		return HVS_OK;
	}

	/* x86 / x64: CR0.PG, CR4.PAE/LA57 and EFER.LMA select the mode
	 * (Intel SDM Vol.3 4.1.1); CR3 is the root. */
	out->arch = HVS_XLAT_ARCH_X86;
	if (reg(img, vp, HVS_REG_X64_CR3, &v))
		out->cr3 = v.lo;
	else if (out->mode != HVS_PAGING_NONE)
		return missing(img, vp, "cr3");
	if (reg(img, vp, HVS_REG_X64_CR0, &v))
		out->cr0 = v.lo;
	else if (out->mode == HVS_PAGING_AUTO)
		return missing(img, vp, "cr0");
	if (reg(img, vp, HVS_REG_X64_CR4, &v))
		out->cr4 = v.lo;
	else if (out->mode == HVS_PAGING_AUTO)
		return missing(img, vp, "cr4");
	if (reg(img, vp, HVS_REG_X64_EFER, &v)) {
		out->efer = v.lo;
	} else {
		/*
		 * No EFER (QEMU's ELF note has none, docs/format/elf.md 4):
		 * an x64 VP or partition (e_machine EM_X86_64, which QEMU
		 * writes only for a vCPU in long mode) runs in long mode.
		 * EFER.NXE is unknown, so bit 63 cannot be told from a
		 * reserved bit: assume NXE (bit 63 decodes as XD) and turn
		 * reserved-bit checks off.
		 */
		out->efer = EFER_NXE;
		if (vi.arch == HVS_ARCH_X64 ||
		    (img->part.arch == HVS_ARCH_X64 &&
		     img->vps[vp].forced_arch == HVS_ARCH_UNKNOWN)) /* a forced arch wins */
			out->efer |= EFER_LME_LMA;
		if (rflags)
			*rflags |= HVS_XLAT_NO_RSVD_CHECK;
	}
	/* Privilege level for hvs_xlat_in_kernel(): CPL, SS.DPL, CS.RPL. */
	if (reg(img, vp, HVS_REG_X64_CPL, &v)) {
		out->cpl = (uint32_t)(v.lo & 3);
		out->have |= HVS_REGS_HAVE_CPL;
	}
	if (reg(img, vp, HVS_REG_X64_SS, &v)) {
		out->ss_attr = (uint32_t)(v.hi >> 48);
		out->have |= HVS_REGS_HAVE_SS_ATTR;
	}
	if (reg(img, vp, HVS_REG_X64_CS, &v)) {
		out->cs_sel = (uint32_t)((v.hi >> 32) & 0xffff);
		out->have |= HVS_REGS_HAVE_CS_SEL;
	}
	return HVS_OK;
}

/*
 * The cached context of a VP: reused while img->reg_gen is unchanged,
 * rebuilt otherwise.  The cache array grows with the VP count (raw images
 * gain VPs after open through hvs_image_add_vps()).
 */
hvs_status hvs_vp_xlat(hvs_image *img, uint32_t vp, hvs_xlat **out)
{
	glue *g;
	vp_ctx *c;
	hvs_paging_regs pr;
	unsigned fl = 0;
	hvs_status s;
	if (!img || !out)
		return HVS_E_INVALID;
	*out = NULL;
	if (vp >= img->nvps)
		return hvs__err_set(&img->err, HVS_E_INVALID,
				    "VP %u does not exist (the image has %u)", vp, img->nvps);
	g = img->xlat_cache;
	if (!g) {
		g = hvs__calloc(&img->alloc, 1, sizeof *g);
		if (!g)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
		img->xlat_cache = g;
		img->xlat_free = glue_free;
	}
	if (g->n < img->nvps) {
		vp_ctx *nv = hvs__reallocarray(&img->alloc, g->vps, img->nvps, sizeof *nv);
		if (!nv)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
		memset(nv + g->n, 0, (img->nvps - g->n) * sizeof *nv);
		g->vps = nv;
		g->n = img->nvps;
	}
	c = &g->vps[vp];
	if (c->x && c->gen == img->reg_gen) {
		*out = c->x;
		return HVS_OK;
	}
	HVS_TRY(hvs_vp_paging_regs(img, vp, &pr, &fl));
	/* Rebuilt rather than hvs_xlat_set_regs(): the flags may change too. */
	hvs_xlat_free(c->x);
	c->x = NULL;
	s = hvs_xlat_new(&c->x, &pr, read_phys, img, fl,
			 img->alloc.a.malloc ? &img->alloc.a : NULL);
	if (s != HVS_OK) {
		c->x = NULL;
		return hvs__err_set(&img->err, s, "VP %u: cannot set up translation "
				    "(mode %s): %s", vp, hvs_paging_mode_name(pr.mode),
				    hvs_strerror(s));
	}
	c->gen = img->reg_gen;
	*out = c->x;
	return HVS_OK;
}

/* Forced modes live in the image's VP (hvs__vp.forced_paging, -1 = none). */
hvs_status hvs_image_set_paging_mode(hvs_image *img, uint32_t vp, hvs_paging_mode mode)
{
	if (!img || vp >= img->nvps || (unsigned)mode > HVS_PAGING_ARM64)
		return HVS_E_INVALID;
	img->vps[vp].forced_paging = mode == HVS_PAGING_AUTO ? -1 : (int)mode;
	img->reg_gen++;
	return HVS_OK;
}

hvs_status hvs_image_get_paging_mode(hvs_image *img, uint32_t vp, hvs_paging_mode *out)
{
	hvs_paging_regs pr;
	if (!img || !out || vp >= img->nvps)
		return HVS_E_INVALID;
	HVS_TRY(hvs_vp_paging_regs(img, vp, &pr, NULL));
	*out = pr.mode != HVS_PAGING_AUTO ? pr.mode : hvs_xlat_detect_mode(&pr);
	return HVS_OK;
}

/* Copy the engine's message onto the image for a failed call. */
static hvs_status fail(hvs_image *img, uint32_t vp, hvs_xlat *x, hvs_status s)
{
	/* Reads through read_phys already put the image's own message in
	 * img->err; the engine's message adds the walk context. */
	return hvs__err_set(&img->err, s, "VP %u: %s", vp, hvs_xlat_errmsg(x));
}

hvs_status hvs_vp_translate(hvs_image *img, uint32_t vp, uint64_t gva, uint64_t *gpa,
			    uint64_t *page_size, uint64_t *unmapped_size)
{
	hvs_xlat *x;
	hvs_status s;
	HVS_TRY(hvs_vp_xlat(img, vp, &x));
	s = hvs_xlat_translate(x, gva, gpa, page_size, unmapped_size);
	return s == HVS_OK ? s : fail(img, vp, x, s);
}

const hvs_xlat_fault *hvs_vp_last_fault(hvs_image *img, uint32_t vp)
{
	glue *g;
	if (!img || vp >= img->nvps || !(g = img->xlat_cache) || vp >= g->n ||
	    !g->vps[vp].x)
		return NULL;
	return hvs_xlat_last_fault(g->vps[vp].x);
}

hvs_status hvs_vp_read(hvs_image *img, uint32_t vp, uint64_t gva, void *buf, size_t len,
		       size_t *done)
{
	hvs_xlat *x;
	hvs_status s;
	if (done)
		*done = 0;
	if (!buf && len)
		return HVS_E_INVALID;
	HVS_TRY(hvs_vp_xlat(img, vp, &x));
	s = hvs_xlat_read(x, gva, buf, len, done);
	return s == HVS_OK ? s : fail(img, vp, x, s);
}

/* A full stepwise walk (no cache), for `hvs xlat --trace`. */
hvs_status hvs_vp_trace(hvs_image *img, uint32_t vp, uint64_t gva, hvs_xlat_walk *w)
{
	hvs_xlat *x;
	hvs_status s;
	unsigned guard;
	if (!w)
		return HVS_E_INVALID;
	memset(w, 0, sizeof *w);
	HVS_TRY(hvs_vp_xlat(img, vp, &x));
	s = hvs_xlat_walk_init(x, w, gva);
	/* At most HVS_XLAT_MAX_STEPS entries; the guard only bounds a
	 * misbehaving engine. */
	for (guard = 0; s == HVS_OK && !w->done && guard <= HVS_XLAT_MAX_STEPS; guard++)
		s = hvs_xlat_walk_step(x, w);
	if (s == HVS_OK && !w->done)
		return hvs__err_set(&img->err, HVS_E_CORRUPT,
				    "VP %u: walk of 0x%" PRIx64 " did not finish in %u steps",
				    vp, gva, HVS_XLAT_MAX_STEPS);
	return s == HVS_OK ? s : fail(img, vp, x, s);
}

/* The map walker of the VP's context; the callback's status passes through. */
hvs_status hvs_vp_map_walk(hvs_image *img, uint32_t vp, uint64_t first, uint64_t last,
			   unsigned flags, hvs_xlat_region_fn cb, void *ud)
{
	hvs_xlat *x;
	hvs_status s;
	if (!cb)
		return HVS_E_INVALID;
	HVS_TRY(hvs_vp_xlat(img, vp, &x));
	s = hvs_xlat_map_walk(x, first, last, flags, cb, ud);
	/* Read failures (HVS_XLAT_MAP_STRICT) carry the engine's message. */
	if (s == HVS_E_NODATA || s == HVS_E_IO || s == HVS_E_CORRUPT)
		return fail(img, vp, x, s);
	return s;
}

/* Drop cached translations without rebuilding the contexts. */
void hvs_vp_flush(hvs_image *img)
{
	glue *g;
	uint32_t i;
	if (!img || !(g = img->xlat_cache))
		return;
	for (i = 0; i < g->n; i++)
		if (g->vps[i].x)
			hvs_xlat_flush(g->vps[i].x);
}
