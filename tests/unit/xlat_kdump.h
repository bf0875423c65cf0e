/* SPDX-License-Identifier: MIT */
/*
 * libaddrxlat (libkdumpfile) set up to walk an xlat_gen.h page-table tree:
 * the oracle of test_xlat_kdump.c and the baseline of bench/bench_xlat.c.
 * Header-only (static inline) so both can include it; only built where
 * libaddrxlat was found (HVS_NO_ADDRXLAT unset).
 */
#ifndef HVS_TEST_XLAT_KDUMP_H
#define HVS_TEST_XLAT_KDUMP_H

#include <inttypes.h>
#include <string.h>

#include <libkdumpfile/addrxlat.h>

#include "xlat_gen.h"

typedef struct xk {
	addrxlat_ctx_t *ctx;
	const xg *g;
	int layout;
	addrxlat_meth_t meth;
} xk;

/* libaddrxlat calls put_page unconditionally: a no-op. */
static inline void xk_put_page(const addrxlat_buffer_t *buf)
{
	(void)buf;
}

/* Get-page callback: whole 4 KiB pages of the generated memory. */
static inline addrxlat_status xk_get_page(const addrxlat_cb_t *cb,
					  addrxlat_buffer_t *buf)
{
	const xk *k = cb->priv;
	uint64_t page = buf->addr.addr & ~(uint64_t)0xFFF;
	if (page >= k->g->mem_size)
		return addrxlat_ctx_err(k->ctx, ADDRXLAT_ERR_NODATA,
					"no page at 0x%" PRIx64, page);
	buf->addr.addr = page;
	buf->ptr = k->g->mem + page;
	buf->size = 4096;
	buf->byte_order = ADDRXLAT_LITTLE_ENDIAN;
	buf->put_page = xk_put_page;
	return ADDRXLAT_OK;
}

/* The tree's memory is machine-physical (and kernel-physical) memory. */
static inline unsigned long xk_caps(const addrxlat_cb_t *cb)
{
	(void)cb;
	return ADDRXLAT_CAPS(ADDRXLAT_MACHPHYSADDR) |
	       ADDRXLAT_CAPS(ADDRXLAT_KPHYSADDR);
}

/* libaddrxlat's PTE format for an xlat_gen.h layout. */
static inline addrxlat_pte_format_t xk_format(int layout)
{
	switch (layout) {
	case XG_X86_32: return ADDRXLAT_PTE_IA32;
	case XG_PAE: return ADDRXLAT_PTE_IA32_PAE;
	case XG_X64_4:
	case XG_X64_5: return ADDRXLAT_PTE_X86_64;
	default: return ADDRXLAT_PTE_AARCH64;
	}
}

/*
 * A context and a page-table method rooted at the tree's root; the field
 * sizes come from the generator.  @k must stay where it is while in use
 * (the callback keeps a pointer).  Returns 0 when out of memory.
 */
static inline int xk_init(xk *k, const xg *g, int layout)
{
	addrxlat_cb_t *cb;
	unsigned f;
	memset(k, 0, sizeof *k);
	k->g = g;
	k->layout = layout;
	k->ctx = addrxlat_ctx_new();
	if (!k->ctx)
		return 0;
	cb = addrxlat_ctx_add_cb(k->ctx);
	cb->priv = k;
	cb->get_page = xk_get_page;
	cb->read_caps = xk_caps;
	k->meth.kind = ADDRXLAT_PGT;
	k->meth.target_as = ADDRXLAT_MACHPHYSADDR;
	k->meth.param.pgt.root.addr = g->root;
	k->meth.param.pgt.root.as = ADDRXLAT_MACHPHYSADDR;
	k->meth.param.pgt.pte_mask = 0;
	k->meth.param.pgt.pf.pte_format = xk_format(layout);
	k->meth.param.pgt.pf.nfields = (unsigned short)g->nfields;
	for (f = 0; f < g->nfields; f++)
		k->meth.param.pgt.pf.fieldsz[f] = g->fieldsz[f];
	return 1;
}

static inline void xk_fini(xk *k)
{
	if (k->ctx)
		addrxlat_ctx_decref(k->ctx);
	k->ctx = NULL;
}

/*
 * Translate @va.  libaddrxlat checks x86-64 canonical form itself; the
 * other formats want the bare translated bits.  On ADDRXLAT_OK *pa is the
 * physical address; the context's error is cleared either way.
 */
static inline addrxlat_status xk_walk(xk *k, uint64_t va, uint64_t *pa)
{
	addrxlat_step_t st;
	addrxlat_status ks;
	memset(&st, 0, sizeof st);
	st.ctx = k->ctx;
	st.sys = NULL;
	st.meth = &k->meth;
	st.base.addr = k->layout == XG_X64_4 || k->layout == XG_X64_5
			       ? va
			       : va & ((UINT64_C(1) << k->g->vbits) - 1);
	st.base.as = ADDRXLAT_KVADDR;
	ks = addrxlat_walk(&st);
	addrxlat_ctx_clear_err(k->ctx);
	*pa = st.base.addr;
	return ks;
}

#endif
