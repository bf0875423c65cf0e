/* SPDX-License-Identifier: MIT */
/*
 * x86 page-table walks: 32-bit 2-level paging (4 KiB pages, 4 MiB pages
 * with CR4.PSE and PSE-36 high address bits), PAE (PDPTEs, 4 KiB and
 * 2 MiB pages), IA-32e 4-level and 5-level paging (4 KiB, 2 MiB, 1 GiB).
 * Rules and sources: docs/format/paging.md sections "x86"; Intel SDM
 * Vol.3A chapter 4 (4.3 32-bit, 4.4 PAE, 4.5 4/5-level paging, tables
 * 4-4..4-20 for the entry formats and reserved bits).
 *
 * Levels are numbered as in the SDM's names: 5 PML5E, 4 PML4E, 3 PDPTE,
 * 2 PDE, 1 PTE.  One step reads one entry; hvs_xlat_translate() runs the
 * same steps in a loop, so the trace and the fast path cannot disagree.
 */
#include <string.h>

#include "xlat/xlat_int.h"

static const char *const level_name[6] = {
	"?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"
};

/* Entry bits (SDM Vol.3A tables 4-4 ff.). */
#define E_P   0x001u
#define E_RW  0x002u
#define E_US  0x004u
#define E_A   0x020u
#define E_D   0x040u
#define E_PS  0x080u
#define E_G   0x100u
#define E_XD  (UINT64_C(1) << 63)

/* Address bits 51:12 of a 64-bit entry (the architectural maximum,
 * MAXPHYADDR <= 52, SDM 4.1.4). */
#define PA_MASK_52 UINT64_C(0x000FFFFFFFFFF000)

/* IA-32e paging (4- or 5-level)? */
static int is_long(const hvs_xlat *x)
{
	return x->mode == HVS_PAGING_X64_4LEVEL ||
	       x->mode == HVS_PAGING_X64_5LEVEL;
}

/* Top level of the current mode. */
static int top_level(const hvs_xlat *x)
{
	switch (x->mode) {
	case HVS_PAGING_X86_32: return 2;
	case HVS_PAGING_X86_PAE: return 3;
	case HVS_PAGING_X64_4LEVEL: return 4;
	case HVS_PAGING_X64_5LEVEL: return 5;
	default: return 0;
	}
}

/* VA bit where the index of @level starts: 32-bit paging uses 10-bit
 * indices (SDM 4.3), the other modes 9-bit ones (4.4.2, 4.5.4). */
static unsigned level_shift(const hvs_xlat *x, int level)
{
	if (x->mode == HVS_PAGING_X86_32)
		return 12u + 10u * (unsigned)(level - 1);
	return 12u + 9u * (unsigned)(level - 1);
}

/* Entries in a table of @level. */
static unsigned level_entries(const hvs_xlat *x, int level)
{
	if (x->mode == HVS_PAGING_X86_32)
		return 1024;
	if (x->mode == HVS_PAGING_X86_PAE && level == 3)
		return 4; /* the four PDPTEs, VA bits 31:30 */
	return 512;
}

/* Bits above MAXPHYADDR-1 up to @top (inclusive). */
static uint64_t bits_from(unsigned lo, unsigned top)
{
	if (lo > top)
		return 0;
	return (top == 63 ? ~UINT64_C(0) : ((UINT64_C(1) << (top + 1)) - 1)) &
	       ~((UINT64_C(1) << lo) - 1);
}

/* Derive the root, the address mask and the reserved-bit mask from the
 * registers (paging.md 2.1). */
hvs_status hvs__x86_setup(hvs_xlat *x)
{
	const hvs_paging_regs *r = &x->regs;
	unsigned m = r->maxphyaddr ? r->maxphyaddr : 52;

	if (m < 32)
		m = 32;
	if (m > 52)
		m = 52;
	x->maxphy = m;
	/* EFER.NXE (bit 11): without it, bit 63 is reserved (SDM 4.4.2). */
	x->nxe = (r->efer >> 11) & 1;
	/* CR4.PSE (bit 4) enables 4 MiB pages in 32-bit paging (SDM 4.3). */
	x->pse = (r->cr4 >> 4) & 1;
	switch (x->mode) {
	case HVS_PAGING_X86_32:
		/* CR3 bits 31:12 hold the page directory (SDM table 4-3). */
		x->root = r->cr3 & UINT64_C(0xFFFFF000);
		x->pa_mask = UINT64_C(0xFFFFF000);
		x->rsvd_hi = 0;
		break;
	case HVS_PAGING_X86_PAE:
		/* CR3 bits 31:5: the PDPT is 32-byte aligned (SDM 4.4.1).
		 * PAE entries reserve bits 62:M (tables 4-8..4-11). */
		x->root = r->cr3 & UINT64_C(0xFFFFFFE0);
		x->pa_mask = PA_MASK_52 & ~bits_from(m, 63);
		x->rsvd_hi = bits_from(m, 62);
		break;
	case HVS_PAGING_X64_4LEVEL:
	case HVS_PAGING_X64_5LEVEL:
		/* CR3 bits M-1:12 (bits 11:0 are PCID or PWT/PCD, bit 63 is
		 * the no-flush hint, SDM 4.5.2).  Bits 62:52 of entries are
		 * ignored or protection keys, not reserved; 51:M are. */
		x->root = r->cr3 & PA_MASK_52 & ~bits_from(m, 63);
		x->pa_mask = PA_MASK_52 & ~bits_from(m, 63);
		x->rsvd_hi = bits_from(m, 51);
		break;
	default:
		return HVS_E_INVALID;
	}
	if (!x->nxe && x->mode != HVS_PAGING_X86_32)
		x->rsvd_hi |= E_XD;
	if (x->flags & HVS_XLAT_NO_RSVD_CHECK) {
		/* Permissive walk (QEMU debug walk, libaddrxlat): use bits
		 * 51:12 whatever MAXPHYADDR says and ignore reserved bits. */
		if (x->mode != HVS_PAGING_X86_32)
			x->pa_mask = PA_MASK_52;
		x->rsvd_hi = 0;
	}
	return HVS_OK;
}

/* Check the VA's form and point the walk at the root table. */
hvs_status hvs__x86_init(hvs_xlat *x, hvs_xlat_walk *w)
{
	uint64_t va = w->gva;

	switch (x->mode) {
	case HVS_PAGING_X86_32:
	case HVS_PAGING_X86_PAE:
		/* Linear addresses are 32 bits wide here; everything above
		 * 4 GiB is outside the address space (to its very end). */
		if (va > UINT64_C(0xFFFFFFFF))
			return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_NONCANONICAL,
					       -1, 0, 0, 0 - va);
		break;
	case HVS_PAGING_X64_4LEVEL:
	case HVS_PAGING_X64_5LEVEL: {
		/* Canonical: bits 63:47 (63:56 with LA57) all equal (SDM
		 * 3.3.7.1).  The hole ends where the upper half begins. */
		unsigned vbits = x->mode == HVS_PAGING_X64_5LEVEL ? 57 : 48;
		uint64_t top = va >> (vbits - 1);
		uint64_t ones = (UINT64_C(1) << (65 - vbits)) - 1;
		if (top != 0 && top != ones) {
			uint64_t next = ~UINT64_C(0) << (vbits - 1);
			return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_NONCANONICAL,
					       -1, 0, 0, next - va);
		}
		break;
	}
	default:
		return HVS_E_INVALID;
	}
	w->priv_va = va;
	w->priv_table = x->root;
	w->priv_level = top_level(x);
	w->flags = HVS_XLAT_F_WRITE | HVS_XLAT_F_USER;
	return HVS_OK;
}

/* Decode the flags of one entry by itself. */
static uint32_t entry_flags(const hvs_xlat *x, uint64_t e, int leaf, int large)
{
	uint32_t f = 0;
	if (e & E_P)
		f |= HVS_XLAT_F_PRESENT;
	if (e & E_RW)
		f |= HVS_XLAT_F_WRITE;
	if (e & E_US)
		f |= HVS_XLAT_F_USER;
	if (e & E_A)
		f |= HVS_XLAT_F_ACCESSED;
	if (leaf) {
		f |= HVS_XLAT_F_LEAF;
		if (large)
			f |= HVS_XLAT_F_LARGE;
		if (e & E_D)
			f |= HVS_XLAT_F_DIRTY;
		if (e & E_G)
			f |= HVS_XLAT_F_GLOBAL;
	}
	if (x->nxe && x->mode != HVS_PAGING_X86_32 && (e & E_XD))
		f |= HVS_XLAT_F_NX;
	return f;
}

/*
 * Reserved bits of a present entry at @level (SDM tables 4-8..4-20);
 * @ps tells whether bit 7 makes it a large-page leaf.  Returns the
 * offending bits, 0 when the entry is well formed.
 */
static uint64_t reserved_bits(const hvs_xlat *x, uint64_t e, int level, int ps)
{
	uint64_t r;

	if (x->flags & HVS_XLAT_NO_RSVD_CHECK)
		return 0;
	if (x->mode == HVS_PAGING_X86_32) {
		/* 4 MiB PDE: bit 21 reserved; bits 20:13 carry PA bits
		 * 39:32 (PSE-36) up to MAXPHYADDR (table 4-4). */
		if (level == 2 && ps) {
			unsigned hi = x->maxphy > 40 ? 8 : x->maxphy - 32;
			return e & (UINT64_C(1) << 21 | bits_from(13 + hi, 20));
		}
		return 0;
	}
	r = e & x->rsvd_hi;
	if (x->mode == HVS_PAGING_X86_PAE && level == 3)
		/* PAE PDPTE: bits 2:1 reserved and no XD bit (table 4-8).
		 * The SDM reserves bits 8:5 too, but the i386-pae-tcg
		 * guest's PDPTEs read 0x...021 (bit 5 set) and QEMU walks
		 * through them; checking 8:5 would make that real dump
		 * untranslatable (paging.md 2.2). */
		r |= e & (UINT64_C(0x6) | E_XD);
	if (is_long(x) && level >= 4)
		r |= e & E_PS; /* PML4E/PML5E: PS is reserved (4-14/4-15) */
	if (ps && level == 3)
		r |= e & bits_from(13, 29); /* 1 GiB page (table 4-16) */
	if (ps && level == 2)
		r |= e & bits_from(13, 20); /* 2 MiB page (4-11, 4-18) */
	return r;
}

/* Read and decode one entry: fault, descend, or finish at a leaf. */
hvs_status hvs__x86_step(hvs_xlat *x, hvs_xlat_walk *w)
{
	int level = w->priv_level;
	unsigned shift = level_shift(x, level);
	uint64_t span = UINT64_C(1) << shift;
	uint64_t va = w->priv_va;
	unsigned esize = x->mode == HVS_PAGING_X86_32 ? 4 : 8;
	uint64_t idx = (va >> shift) & (level_entries(x, level) - 1);
	uint64_t egpa = w->priv_table + idx * esize;
	uint64_t e, bad;
	int ps, leaf;
	hvs_xlat_step *st;
	hvs_status s;

	s = hvs__xlat_read_entry(x, level, egpa, esize, &e);
	if (s != HVS_OK)
		return HVS__XLAT_ERR(x, s,
				    "%s at GPA 0x%" PRIx64 " (VA 0x%" PRIx64
				    "): page table not readable: %s",
				    level_name[level], egpa, w->gva,
				    hvs_strerror(s));
	/* PS (bit 7) makes a leaf of a PDE (needs CR4.PSE in 32-bit mode;
	 * PAE and IA-32e PDEs always honour it) or of an IA-32e PDPTE. */
	ps = (e & E_PS) &&
	     ((level == 2 && (x->mode != HVS_PAGING_X86_32 || x->pse)) ||
	      (level == 3 && is_long(x)));
	leaf = level == 1 || ps;
	st = hvs__xlat_add_step(w, level_name[level], level, egpa, e, span);
	st->flags = entry_flags(x, e, leaf, ps);
	if (!(e & E_P))
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_NOT_PRESENT, level,
				       egpa, e, hvs__span_rest(va, span));
	bad = reserved_bits(x, e, level, ps);
	if (bad)
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_RESERVED, level,
				       egpa, e, hvs__span_rest(va, span));
	/* Access rights along the path: writable/user only if every level
	 * allows it; no-execute if any level forbids it (SDM 4.6).  PAE
	 * PDPTEs carry no rights. */
	if (!(x->mode == HVS_PAGING_X86_PAE && level == 3)) {
		if (!(e & E_RW))
			w->flags &= ~HVS_XLAT_F_WRITE;
		if (!(e & E_US))
			w->flags &= ~HVS_XLAT_F_USER;
	}
	w->flags |= st->flags & HVS_XLAT_F_NX;
	if (!leaf) {
		w->priv_table = e & x->pa_mask;
		w->priv_level = level - 1;
		return HVS_OK;
	}
	if (x->mode == HVS_PAGING_X86_32 && ps) {
		/* 4 MiB page: PA 31:22 from bits 31:22, PA 39:32 from bits
		 * 20:13 (PSE-36, SDM table 4-4). */
		w->gpa = (e & UINT64_C(0xFFC00000)) |
			 (((e >> 13) & 0xFF) << 32);
	} else {
		w->gpa = e & x->pa_mask & ~(span - 1);
	}
	w->gpa |= va & (span - 1);
	w->page_size = span;
	w->flags |= st->flags & (HVS_XLAT_F_PRESENT | HVS_XLAT_F_ACCESSED |
				 HVS_XLAT_F_DIRTY | HVS_XLAT_F_GLOBAL |
				 HVS_XLAT_F_LEAF | HVS_XLAT_F_LARGE);
	w->done = 1;
	return HVS_OK;
}

/* ------------------------------------------------------------ map walk */

/* Sign-extend a VA built from indices (IA-32e upper half). */
static uint64_t canon(const hvs_xlat *x, uint64_t va)
{
	unsigned vbits;
	if (!is_long(x))
		return va;
	vbits = x->mode == HVS_PAGING_X64_5LEVEL ? 57 : 48;
	if (va & (UINT64_C(1) << (vbits - 1)))
		va |= ~UINT64_C(0) << vbits;
	return va;
}

/* Entries read per callback: one 4 KiB table page (or all of a PAE PDPT). */
#define CHUNK 4096u

/*
 * List the mappings of the table at @table (level @level) whose VA block
 * starts at @base.  @pflags are the rights accumulated above.  Depth is
 * bounded by the number of levels (at most 5 frames of 4 KiB).
 */
static hvs_status map_table(hvs_xlat *x, uint64_t table, int level,
			    uint64_t base, uint32_t pflags, uint64_t first,
			    uint64_t last, hvs__map_out *o)
{
	uint8_t buf[CHUNK];
	unsigned esize = x->mode == HVS_PAGING_X86_32 ? 4 : 8;
	unsigned n = level_entries(x, level);
	unsigned shift = level_shift(x, level);
	uint64_t span = UINT64_C(1) << shift;
	uint64_t emitted = o->emitted;
	int whole = 1; /* every entry examined (no range pruning) */
	unsigned i;
	hvs_status s;

	if (hvs__map_known_empty(o, table, level))
		return HVS_OK;
	s = hvs__map_charge(x, o, n);
	if (s != HVS_OK)
		return s;
	s = x->read(x->ud, table, buf, (size_t)n * esize);
	x->stats.reads++;
	if (s != HVS_OK) {
		if (o->flags & HVS_XLAT_MAP_STRICT)
			return HVS__XLAT_ERR(x, s,
					    "%s table at GPA 0x%" PRIx64
					    " not readable", level_name[level],
					    table);
		/* The whole block this table maps is unknown. */
		return hvs__map_emit(o, canon(x, base), table, span * n,
				     HVS_XLAT_F_NODATA);
	}
	for (i = 0; i < n; i++) {
		uint64_t va = canon(x, base + (uint64_t)i * span);
		uint64_t end = va + (span - 1);
		uint64_t e = esize == 4 ? hvs__le32(buf + (size_t)i * 4)
					: hvs__le64(buf + (size_t)i * 8);
		uint32_t f = pflags;
		int ps, leaf;

		if (end < first || va > last) {
			whole = 0;
			continue;
		}
		if (!(e & E_P))
			continue; /* skip the whole block the entry covers */
		ps = (e & E_PS) &&
		     ((level == 2 && (x->mode != HVS_PAGING_X86_32 || x->pse)) ||
		      (level == 3 && is_long(x)));
		leaf = level == 1 || ps;
		if (reserved_bits(x, e, level, ps))
			continue; /* a faulting entry maps nothing */
		if (!(x->mode == HVS_PAGING_X86_PAE && level == 3)) {
			if (!(e & E_RW))
				f &= ~HVS_XLAT_F_WRITE;
			if (!(e & E_US))
				f &= ~HVS_XLAT_F_USER;
		}
		if (x->nxe && esize == 8 && (e & E_XD))
			f |= HVS_XLAT_F_NX;
		if (leaf) {
			uint64_t pa;
			if (x->mode == HVS_PAGING_X86_32 && ps)
				pa = (e & UINT64_C(0xFFC00000)) |
				     (((e >> 13) & 0xFF) << 32);
			else
				pa = e & x->pa_mask & ~(span - 1);
			f |= entry_flags(x, e, 1, ps) &
			     (HVS_XLAT_F_PRESENT | HVS_XLAT_F_ACCESSED |
			      HVS_XLAT_F_DIRTY | HVS_XLAT_F_GLOBAL |
			      HVS_XLAT_F_LEAF | HVS_XLAT_F_LARGE);
			s = hvs__map_emit(o, va, pa, span, f);
		} else {
			s = map_table(x, e & x->pa_mask, level - 1,
				      base + (uint64_t)i * span, f, first, last,
				      o);
		}
		if (s != HVS_OK)
			return s;
	}
	if (whole && o->emitted == emitted)
		hvs__map_set_empty(o, table, level);
	return HVS_OK;
}

/* Map walk from the root table. */
hvs_status hvs__x86_map(hvs_xlat *x, uint64_t first, uint64_t last,
			hvs__map_out *o)
{
	return map_table(x, x->root, top_level(x), 0,
			 HVS_XLAT_F_WRITE | HVS_XLAT_F_USER, first, last, o);
}
