/* SPDX-License-Identifier: MIT */
/*
 * AArch64 stage-1 translation for the EL1&0 regime: TTBR0_EL1/TTBR1_EL1
 * selection by VA bit 55, top-byte-ignore, 4/16/64 KiB granules, start
 * level from TnSZ, table/block/page descriptors, output size from
 * TCR_EL1.IPS (52-bit OA with the 64 KiB granule, FEAT_LPA).
 * Rules and sources: docs/format/paging.md section "ARM64"; Arm ARM
 * DDI 0487 D8.1-D8.3 (VMSAv8-64 translation process, descriptor formats),
 * D19 TCR_EL1/TTBRn_EL1 field descriptions.
 *
 * Levels use the Arm numbering 0..3 (level 3 maps pages).  FEAT_LPA2
 * (level -1, 52-bit OA with 4/16 KiB granules) is not supported: such
 * TCR settings are treated as 48-bit.
 */
#include "xlat/xlat_int.h"

static const char *const level_name[4] = { "L0", "L1", "L2", "L3" };

/* Output address bits 47:0 of descriptors and TTBR BADDR (D8.3). */
#define OA_MASK_48 UINT64_C(0x0000FFFFFFFFFFFF)

/* Descriptor upper attributes (D8.3.1-D8.3.2). */
#define D_AP1   (UINT64_C(1) << 6)   /* EL0 access */
#define D_AP2   (UINT64_C(1) << 7)   /* read-only */
#define D_AF    (UINT64_C(1) << 10)
#define D_NG    (UINT64_C(1) << 11)
#define D_PXN   (UINT64_C(1) << 53)
#define D_UXN   (UINT64_C(1) << 54)
#define T_PXN   (UINT64_C(1) << 59)  /* PXNTable */
#define T_UXN   (UINT64_C(1) << 60)  /* UXNTable / XNTable */
#define T_AP0   (UINT64_C(1) << 61)  /* APTable[0]: no EL0 below */
#define T_AP1   (UINT64_C(1) << 62)  /* APTable[1]: read-only below */

/* Granule shift from TG0 (bits 15:14: 0=4K, 1=64K, 2=16K) or TG1 (bits
 * 31:30: 1=16K, 2=4K, 3=64K).  Reserved encodings behave as 4 KiB (the
 * Arm ARM lets an implementation treat them as any supported size). */
static unsigned granule(unsigned tg, int ttbr1)
{
	static const unsigned g0[4] = { 12, 16, 14, 12 };
	static const unsigned g1[4] = { 12, 14, 12, 16 };
	return ttbr1 ? g1[tg & 3] : g0[tg & 3];
}

/* Number of index bits resolved per level for granule shift @g. */
static unsigned stride(unsigned g)
{
	return g - 3;
}

/* VA bit where the index of @level starts. */
static unsigned lvl_shift(unsigned g, unsigned level)
{
	return g + (3 - level) * stride(g);
}

/* Decode TCR_EL1 and TTBRn_EL1 for one VA range (paging.md 3). */
static void setup_half(hvs_xlat *x, int sel)
{
	hvs__arm_half *h = &x->half[sel];
	uint64_t tcr = x->regs.tcr;
	uint64_t ttbr = sel ? x->regs.ttbr1 : x->regs.ttbr0;
	unsigned tsz, ia, levels, max_tsz, min_tsz, g, top_bits;
	uint64_t tbl_bytes;

	/* TCR_EL1: T0SZ 5:0, EPD0 7, TG0 15:14, T1SZ 21:16, EPD1 23,
	 * TG1 31:30, TBI0 37, TBI1 38. */
	tsz = (unsigned)(tcr >> (sel ? 16 : 0)) & 0x3F;
	h->disabled = (int)((tcr >> (sel ? 23 : 7)) & 1);
	h->tbi = (int)((tcr >> (sel ? 38 : 37)) & 1);
	g = granule((unsigned)(tcr >> (sel ? 30 : 14)) & 3, sel);
	h->gshift = g;
	/* 52-bit OA needs FEAT_LPA with the 64 KiB granule; the 4/16 KiB
	 * form (FEAT_LPA2) changes the descriptor layout and is not
	 * supported, so such a half is read as 48-bit. */
	h->oa_bits = x->ips_bits == 52 && g != 16 ? 48 : x->ips_bits;
	/* Out-of-range TnSZ is clamped (one of the Arm ARM's permitted
	 * behaviours): at least 16 (12 with 64 KiB and 52-bit VAs), at
	 * most 48 (47 with 64 KiB) so one level always remains. */
	min_tsz = g == 16 && h->oa_bits == 52 ? 12 : 16;
	max_tsz = g == 16 ? 47 : 48;
	if (tsz < min_tsz)
		tsz = min_tsz;
	if (tsz > max_tsz)
		tsz = max_tsz;
	h->tsz = tsz;
	ia = 64 - tsz;
	/* Levels needed for the input size: ceil((ia - g) / stride)
	 * (D8.2.x "lookup level" tables); start = 4 - levels. */
	levels = (ia - g + stride(g) - 1) / stride(g);
	h->start_level = 4 - levels;
	top_bits = ia - lvl_shift(g, h->start_level);
	tbl_bytes = (UINT64_C(8) << top_bits);
	/* BADDR: bits 47:1, aligned to the start table (lower bits are
	 * RES0); with a 52-bit OA, TTBR bits 5:2 give PA 51:48 and the
	 * table is at least 64-byte aligned.  ASID (63:48) and CnP (0) are
	 * masked. */
	if (h->oa_bits == 52) {
		h->base = (ttbr & OA_MASK_48 & ~UINT64_C(0x3F)) |
			  (((ttbr >> 2) & 0xF) << 48);
		if (tbl_bytes < 64)
			tbl_bytes = 64;
	} else {
		h->base = ttbr & OA_MASK_48 & ~UINT64_C(1);
	}
	h->base &= ~(tbl_bytes - 1);
	h->base_bad = (h->base >> h->oa_bits) != 0;
}

/* Output size first (the halves' TTBR decoding depends on it). */
hvs_status hvs__arm64_setup(hvs_xlat *x)
{
	/* TCR_EL1.IPS (34:32): 32, 36, 40, 42, 44, 48, 52 bits. */
	static const unsigned ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 48 };
	unsigned ips = (unsigned)(x->regs.tcr >> 32) & 7;

	x->ips_bits = ips_bits[ips];
	setup_half(x, 0);
	setup_half(x, 1);
	return HVS_OK;
}

/* Does @va pass the TTBR range check (D8.2: bits above the input size
 * all equal to bit 55; bits 63:56 skipped under TBI)? */
static int va_ok(const hvs_xlat *x, uint64_t va)
{
	int sel = (int)((va >> 55) & 1);
	const hvs__arm_half *h = &x->half[sel];
	unsigned ia = 64 - h->tsz;
	unsigned hi = h->tbi ? 55 : 63;
	uint64_t field = (va >> ia) & ((UINT64_C(1) << (hi - ia + 1)) - 1);
	uint64_t want = sel ? (UINT64_C(1) << (hi - ia + 1)) - 1 : 0;
	return field == want;
}

/*
 * Distance from a rejected @va to the next address that passes the
 * range check.  Candidates: the start of the TTBR1 range in this tag
 * window, the next tag window (TBI0), and the untagged TTBR1 range.
 */
static uint64_t hole_size(const hvs_xlat *x, uint64_t va)
{
	uint64_t t = va >> 56;
	uint64_t hi_off = (UINT64_C(1) << 56) -
			  (UINT64_C(1) << (64 - x->half[1].tsz));
	uint64_t cand[3];
	uint64_t best = 0;
	int have = 0;
	size_t i;

	cand[0] = (t << 56) | hi_off;
	cand[1] = t < 0xFF ? (t + 1) << 56 : 0;
	cand[2] = (UINT64_C(0xFF) << 56) | hi_off;
	for (i = 0; i < 3; i++) {
		if (cand[i] <= va || !va_ok(x, cand[i]))
			continue;
		if (!have || cand[i] < best)
			best = cand[i];
		have = 1;
	}
	return have ? best - va : 0 - va;
}

/* Select the half, check the range, point the walk at its table. */
hvs_status hvs__arm64_init(hvs_xlat *x, hvs_xlat_walk *w)
{
	uint64_t va = w->gva;
	int sel = (int)((va >> 55) & 1);
	const hvs__arm_half *h = &x->half[sel];
	unsigned ia = 64 - h->tsz;
	uint64_t range = UINT64_C(1) << ia;

	if (!va_ok(x, va))
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_NONCANONICAL, -1, 0,
				       0, hole_size(x, va));
	/* EPDn: a TLB miss in this half is a translation fault (D19
	 * TCR_EL1.EPD0/EPD1): the whole half is unmapped. */
	if (h->disabled)
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_DISABLED, -1, 0, 0,
				       hvs__span_rest(va, range));
	if (h->base_bad)
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_ADDRESS_SIZE,
				       (int)h->start_level, 0, 0,
				       hvs__span_rest(va, range));
	w->priv_half = sel;
	w->priv_va = va & (range - 1);
	w->priv_table = h->base;
	w->priv_level = (int)h->start_level;
	w->flags = HVS_XLAT_F_WRITE | HVS_XLAT_F_USER;
	return HVS_OK;
}

/* May a block descriptor appear at @level with granule @g?  4 KiB:
 * levels 1 and 2; 16 KiB: level 2; 64 KiB: level 2, and level 1 with a
 * 52-bit OA (D8.3.1; level 0 / 16 KiB level 1 need FEAT_LPA2). */
static int block_ok(const hvs__arm_half *h, int level)
{
	if (level == 2)
		return 1;
	if (level == 1)
		return h->gshift == 12 || (h->gshift == 16 && h->oa_bits == 52);
	return 0;
}

/* Output address of a descriptor for granule @g (D8.3: bits 47:g, plus
 * PA 51:48 from bits 15:12 with a 52-bit OA and 64 KiB granule). */
static uint64_t desc_oa(const hvs__arm_half *h, uint64_t e)
{
	unsigned g = h->gshift;
	uint64_t oa = e & OA_MASK_48 & ~((UINT64_C(1) << g) - 1);
	if (g == 16 && h->oa_bits == 52)
		oa |= ((e >> 12) & 0xF) << 48;
	return oa;
}

/* Flags of one descriptor by itself. */
static uint32_t desc_flags(uint64_t e, int leaf, int block)
{
	uint32_t f = 0;
	if (e & 1)
		f |= HVS_XLAT_F_PRESENT;
	if (!leaf)
		return f;
	f |= HVS_XLAT_F_LEAF;
	if (block)
		f |= HVS_XLAT_F_LARGE;
	if (!(e & D_AP2))
		f |= HVS_XLAT_F_WRITE;
	if (e & D_AP1)
		f |= HVS_XLAT_F_USER;
	if (e & D_AF)
		f |= HVS_XLAT_F_ACCESSED;
	if (!(e & D_NG))
		f |= HVS_XLAT_F_GLOBAL;
	if (e & D_UXN)
		f |= HVS_XLAT_F_NX;
	if (e & D_PXN)
		f |= HVS_XLAT_F_PXN;
	return f;
}

/* Combine a table descriptor's hierarchical limits into @f (D8.4.2). */
static uint32_t table_limits(uint32_t f, uint64_t e)
{
	if (e & T_AP1)
		f &= ~HVS_XLAT_F_WRITE;
	if (e & T_AP0)
		f &= ~HVS_XLAT_F_USER;
	if (e & T_UXN)
		f |= HVS_XLAT_F_NX;
	if (e & T_PXN)
		f |= HVS_XLAT_F_PXN;
	return f;
}

/* Combine a leaf descriptor's own rights into the path flags @f. */
static uint32_t leaf_combine(uint32_t f, uint32_t own)
{
	uint32_t keep = own & (HVS_XLAT_F_WRITE | HVS_XLAT_F_USER);
	f = (f & ~(HVS_XLAT_F_WRITE | HVS_XLAT_F_USER)) |
	    (f & keep);
	return f | (own & ~(uint32_t)(HVS_XLAT_F_WRITE | HVS_XLAT_F_USER));
}

/* Read and decode one descriptor: fault, descend, or finish. */
hvs_status hvs__arm64_step(hvs_xlat *x, hvs_xlat_walk *w)
{
	const hvs__arm_half *h = &x->half[w->priv_half];
	unsigned g = h->gshift;
	int level = w->priv_level;
	unsigned shift = lvl_shift(g, (unsigned)level);
	uint64_t span = UINT64_C(1) << shift;
	uint64_t va = w->priv_va;
	uint64_t idx = (va >> shift) & ((UINT64_C(1) << stride(g)) - 1);
	uint64_t egpa = w->priv_table + idx * 8;
	uint64_t e, oa;
	unsigned type;
	int leaf, block;
	hvs_xlat_step *st;
	hvs_status s;

	s = hvs__xlat_read_entry(x, level, egpa, 8, &e);
	if (s != HVS_OK)
		return HVS__XLAT_ERR(x, s,
				    "%s descriptor at GPA 0x%" PRIx64 " (VA 0x%"
				    PRIx64 "): page table not readable: %s",
				    level_name[level], egpa, w->gva,
				    hvs_strerror(s));
	/* Bits 1:0: x0 invalid, 01 block (levels 0-2) / reserved (level
	 * 3), 11 table (levels 0-2) / page (level 3). */
	type = (unsigned)e & 3;
	leaf = level == 3 || type == 1;
	block = level != 3 && type == 1;
	st = hvs__xlat_add_step(w, level_name[level], level, egpa, e, span);
	st->flags = desc_flags(e, leaf, block);
	if (!(e & 1))
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_NOT_PRESENT, level,
				       egpa, e, hvs__span_rest(va, span));
	if ((level == 3 && type == 1) || (block && !block_ok(h, level)))
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_RESERVED, level,
				       egpa, e, hvs__span_rest(va, span));
	oa = desc_oa(h, e);
	if (block)
		oa &= ~(span - 1);
	/* An output (or next-table) address beyond TCR.IPS is an Address
	 * size fault at this level (D8.2.x). */
	if ((oa >> h->oa_bits) != 0)
		return hvs__xlat_fault(x, w, HVS_XLAT_FAULT_ADDRESS_SIZE, level,
				       egpa, e, hvs__span_rest(va, span));
	if (!leaf) {
		w->flags = table_limits(w->flags, e);
		w->priv_table = oa;
		w->priv_level = level + 1;
		return HVS_OK;
	}
	w->flags = leaf_combine(w->flags, st->flags);
	w->gpa = oa | (va & (span - 1));
	w->page_size = span;
	w->done = 1;
	return HVS_OK;
}

/* ------------------------------------------------------------ map walk */

#define CHUNK 4096u

/* List the mappings of the table at @table (level @level) covering the
 * VA block at @base of half @h.  Reads the table 4 KiB at a time. */
static hvs_status map_table(hvs_xlat *x, const hvs__arm_half *h,
			    uint64_t table, int level, uint64_t n,
			    uint64_t base, uint32_t pflags, uint64_t first,
			    uint64_t last, hvs__map_out *o)
{
	uint8_t buf[CHUNK];
	unsigned g = h->gshift;
	unsigned shift = lvl_shift(g, (unsigned)level);
	uint64_t span = UINT64_C(1) << shift;
	uint64_t emitted = o->emitted;
	int whole = 1; /* every entry examined (no range pruning) */
	uint64_t i, c;
	hvs_status s;

	if (hvs__map_known_empty(o, table, level))
		return HVS_OK;
	for (c = 0; c < n; c += CHUNK / 8) {
		uint64_t cn = n - c < CHUNK / 8 ? n - c : CHUNK / 8;
		uint64_t cbase = base + c * span;

		/* Skip chunks wholly outside [first, last]. */
		if (cbase > last || cbase + (cn * span - 1) < first) {
			whole = 0;
			continue;
		}
		s = hvs__map_charge(x, o, cn);
		if (s != HVS_OK)
			return s;
		s = x->read(x->ud, table + c * 8, buf, (size_t)cn * 8);
		x->stats.reads++;
		if (s != HVS_OK) {
			if (o->flags & HVS_XLAT_MAP_STRICT)
				return HVS__XLAT_ERR(x, s,
						    "%s table at GPA 0x%" PRIx64
						    " not readable",
						    level_name[level],
						    table + c * 8);
			s = hvs__map_emit(o, cbase, table + c * 8, cn * span,
					  HVS_XLAT_F_NODATA);
			if (s != HVS_OK)
				return s;
			continue;
		}
		for (i = 0; i < cn; i++) {
			uint64_t e = hvs__le64(buf + i * 8);
			uint64_t va = cbase + i * span;
			unsigned type = (unsigned)e & 3;
			uint64_t oa;

			if (va > last || va + (span - 1) < first) {
				whole = 0;
				continue;
			}
			if (!(e & 1))
				continue;
			if (level == 3 && type == 1)
				continue;
			if (level != 3 && type == 1 && !block_ok(h, level))
				continue;
			oa = desc_oa(h, e);
			if (level != 3 && type == 1)
				oa &= ~(span - 1);
			if ((oa >> h->oa_bits) != 0)
				continue;
			if (level == 3 || type == 1) {
				uint32_t own = desc_flags(e, 1, level != 3);
				s = hvs__map_emit(o, va, oa, span,
						  leaf_combine(pflags, own));
			} else {
				s = map_table(x, h, oa, level + 1,
					      UINT64_C(1) << stride(g), va,
					      table_limits(pflags, e), first,
					      last, o);
			}
			if (s != HVS_OK)
				return s;
		}
	}
	if (whole && o->emitted == emitted)
		hvs__map_set_empty(o, table, level);
	return HVS_OK;
}

/* Map walk over both halves. */
hvs_status hvs__arm64_map(hvs_xlat *x, uint64_t first, uint64_t last,
			  hvs__map_out *o)
{
	int sel;

	/* TTBR0 range first, then TTBR1: ascending VA order. */
	for (sel = 0; sel < 2; sel++) {
		const hvs__arm_half *h = &x->half[sel];
		unsigned ia = 64 - h->tsz;
		unsigned top = ia - lvl_shift(h->gshift, h->start_level);
		uint64_t base = sel ? 0 - (UINT64_C(1) << ia) : 0;
		hvs_status s;

		if (h->disabled || h->base_bad)
			continue;
		s = map_table(x, h, h->base, (int)h->start_level,
			      UINT64_C(1) << top, base,
			      HVS_XLAT_F_WRITE | HVS_XLAT_F_USER, first, last,
			      o);
		if (s != HVS_OK)
			return s;
	}
	return HVS_OK;
}
