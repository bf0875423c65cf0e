/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/vp.h
 * Guest-virtual addresses of a virtual processor: the glue between a
 * guest image (hvs/image.h) and the translation engine (hvs/xlat.h).
 *
 * The paging registers of a VP are taken from its register state in the
 * active VTL (or the nested host state when that mode is on; see
 * hvs_image_set_active_vtl() and hvs_image_set_nested_host_mode()).
 * Inputs that lack some of them (an ELF core has no TTBRn_EL1/TCR_EL1 and
 * no EFER; a raw image has no registers at all) get them from the caller
 * with hvs_image_set_reg(), and the paging mode can be forced per VP with
 * hvs_image_set_paging_mode().  Rules: docs/format/elf.md 4.
 *
 * The image keeps one engine context per VP, created on first use and
 * rebuilt whenever a register, the active VTL, the architecture, the
 * nested mode or the forced paging mode changes; contexts cache
 * translations (flush them with hvs_vp_flush() if the caller changes
 * guest memory behind the image's back, which the library never does).
 *
 * Errors: the functions return HVS_E_INVALID (no such VP, NULL
 * argument), HVS_E_NOTFOUND (a register the walk needs is not known; the
 * message names it and how to supply it), HVS_E_NOMEM, or the
 * translation statuses of hvs/xlat.h (HVS_E_NOTPRESENT: not mapped;
 * HVS_E_NODATA: a page table or data page is not in the image).  The
 * detail is in hvs_image_errmsg().  Thread rules: those of the image.
 */
#ifndef HVS_VP_H
#define HVS_VP_H

#include "common.h"
#include "image.h"
#include "xlat.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Force the paging mode of VP @p vp, for inputs whose registers do not
 * tell it (or to try another interpretation).  HVS_PAGING_AUTO restores
 * detection from the registers.
 * @return HVS_OK; HVS_E_INVALID (no such VP, or not a mode).
 */
HVS_API hvs_status hvs_image_set_paging_mode(hvs_image *img, uint32_t vp,
					     hvs_paging_mode mode);

/**
 * The paging mode VP @p vp uses: the forced one, or the one detected
 * from its registers (hvs_xlat_detect_mode()).
 * @param out  receives the mode (never HVS_PAGING_AUTO).
 * @return HVS_OK; HVS_E_INVALID; HVS_E_NOTFOUND (the registers needed to
 *         detect it are missing).
 */
HVS_API hvs_status hvs_image_get_paging_mode(hvs_image *img, uint32_t vp,
					     hvs_paging_mode *out);

/**
 * The engine registers of VP @p vp as the glue builds them (active VTL):
 * x86: CR0 CR3 CR4 EFER, CPL / SS access rights / CS selector; ARM64:
 * TTBR0_EL1 TTBR1_EL1 TCR_EL1 SCTLR_EL1 and CPSR.  When EFER is not in
 * the state (QEMU ELF cores), EFER is taken as NXE (0x800), plus LME|LMA
 * (0xd00 in all) when the VP or partition is x64, so that long mode is
 * detected and bit 63 decodes as XD.
 * @param out   receives the registers (mode = the forced mode or AUTO).
 * @param rflags receives the hvs_xlat_new() flags the glue uses
 *              (HVS_XLAT_NO_RSVD_CHECK when EFER had to be assumed, since
 *              NX bits then cannot be told from reserved ones); may be NULL.
 * @return HVS_OK; HVS_E_INVALID; HVS_E_NOTFOUND (a needed register is
 *         missing: CR3, CR0 and CR4 on x86; TTBR0_EL1, TTBR1_EL1, TCR_EL1
 *         and SCTLR_EL1 on ARM64 unless the mode is forced).
 */
HVS_API hvs_status hvs_vp_paging_regs(hvs_image *img, uint32_t vp,
				      hvs_paging_regs *out, unsigned *rflags);

/**
 * The cached engine context of VP @p vp (created if needed), for the
 * engine's own functions (hvs_xlat_walk_init(), hvs_xlat_last_fault(),
 * hvs_xlat_mode(), hvs_xlat_get_stats() ...).
 * @param out  receives a borrowed context: valid until the next change
 *             of the VP's registers, VTL, architecture or mode, or until
 *             the image is closed.  Do not free it.
 * @return HVS_OK; HVS_E_INVALID; HVS_E_NOTFOUND; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_vp_xlat(hvs_image *img, uint32_t vp, hvs_xlat **out);

/**
 * Translate a guest-virtual address of VP @p vp.
 * @param gpa            receives the GPA when mapped (may be NULL).
 * @param page_size      receives the size of the mapping (may be NULL).
 * @param unmapped_size  on HVS_E_NOTPRESENT receives the bytes from
 *                       @p gva to the end of the unmapped region (see
 *                       hvs_xlat_translate()); 0 when mapped.  May be NULL.
 * @return HVS_OK (mapped); HVS_E_NOTPRESENT (not mapped: hvs_vp_last_fault()
 *         says why); HVS_E_NODATA (a page table is not in the image: the
 *         answer is unknown); HVS_E_NOTFOUND (registers missing);
 *         HVS_E_INVALID; HVS_E_NOMEM; HVS_E_IO / HVS_E_CORRUPT from reads.
 */
HVS_API hvs_status hvs_vp_translate(hvs_image *img, uint32_t vp, uint64_t gva,
				    uint64_t *gpa, uint64_t *page_size,
				    uint64_t *unmapped_size);

/**
 * Why the last hvs_vp_translate() / hvs_vp_read() of VP @p vp found an
 * address not mapped (kind NONE when it was).  Borrowed: valid until the
 * next call on the VP or a register change.  NULL when the VP has no
 * context yet or does not exist.
 */
HVS_API const hvs_xlat_fault *hvs_vp_last_fault(hvs_image *img, uint32_t vp);

/**
 * Read guest-virtual memory of VP @p vp across pages.
 * @param done  receives the bytes copied (may be NULL); on failure it
 *              says how far the read got.
 * @return HVS_OK when all @p len bytes were read; HVS_E_NOTPRESENT (an
 *         address is not mapped); HVS_E_NODATA (a page table or data page
 *         is not in the image); the other codes of hvs_vp_translate().
 */
HVS_API hvs_status hvs_vp_read(hvs_image *img, uint32_t vp, uint64_t gva,
			       void *buf, size_t len, size_t *done);

/**
 * Walk the page tables for @p gva step by step, recording every level.
 * @param w  receives the walk (steps, result or fault); a value type the
 *           caller owns.  On an error the steps read so far are kept.
 * @return HVS_OK (w->done set, w->gpa valid); HVS_E_NOTPRESENT (w->fault);
 *         HVS_E_NODATA (an entry could not be read: w->nsteps tells how
 *         far the walk got); the other codes of hvs_vp_translate().
 */
HVS_API hvs_status hvs_vp_trace(hvs_image *img, uint32_t vp, uint64_t gva,
				hvs_xlat_walk *w);

/**
 * List the mapped regions of VP @p vp whose start lies in [@p first,
 * @p last] (see hvs_xlat_map_walk(): @p flags HVS_XLAT_MAP_*).
 * @return HVS_OK; the callback's status; HVS_E_NOTFOUND; HVS_E_INVALID;
 *         with HVS_XLAT_MAP_STRICT the read status of an unreadable table.
 */
HVS_API hvs_status hvs_vp_map_walk(hvs_image *img, uint32_t vp, uint64_t first,
				   uint64_t last, unsigned flags,
				   hvs_xlat_region_fn cb, void *ud);

/** Forget the cached translations of every VP of @p img (NULL-safe). */
HVS_API void hvs_vp_flush(hvs_image *img);

#ifdef __cplusplus
}
#endif
#endif /* HVS_VP_H */
