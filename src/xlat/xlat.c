/* SPDX-License-Identifier: MIT */
/*
 * Address-translation context: paging-mode detection from the saved
 * registers, dispatch to the x86 and ARM64 walkers, the translation
 * cache, guest-virtual reads across pages, the map walker's region
 * merging, and the kernel-mode test.  docs/format/paging.md.
 *
 * The engine touches memory only through the caller's read callback
 * (STYLE.md: xlat never includes the saved-state code), like libaddrxlat
 * under libkdumpfile.
 */
#include <string.h>

#include "xlat/xlat_int.h"

/* Short name of a paging mode, as `hvs xlat` prints it. */
const char *hvs_paging_mode_name(hvs_paging_mode mode)
{
	switch (mode) {
	case HVS_PAGING_AUTO: return "auto";
	case HVS_PAGING_NONE: return "none";
	case HVS_PAGING_X86_32: return "x86-32";
	case HVS_PAGING_X86_PAE: return "pae";
	case HVS_PAGING_X64_4LEVEL: return "x64-4level";
	case HVS_PAGING_X64_5LEVEL: return "x64-5level";
	case HVS_PAGING_ARM64: return "arm64";
	}
	return "unknown";
}

/* Short name of a fault kind for messages. */
const char *hvs_xlat_fault_name(hvs_xlat_fault_kind kind)
{
	switch (kind) {
	case HVS_XLAT_FAULT_NONE: return "none";
	case HVS_XLAT_FAULT_NOT_PRESENT: return "not present";
	case HVS_XLAT_FAULT_NONCANONICAL: return "non-canonical address";
	case HVS_XLAT_FAULT_RESERVED: return "reserved bit set";
	case HVS_XLAT_FAULT_ADDRESS_SIZE: return "address size";
	case HVS_XLAT_FAULT_DISABLED: return "walk disabled";
	}
	return "unknown";
}

/* Which architecture do the registers describe? */
static hvs_xlat_arch arch_of(const hvs_paging_regs *r)
{
	if (r->arch != HVS_XLAT_ARCH_AUTO)
		return r->arch;
	if (r->mode == HVS_PAGING_ARM64)
		return HVS_XLAT_ARCH_ARM64;
	if (r->mode >= HVS_PAGING_X86_32 && r->mode <= HVS_PAGING_X64_5LEVEL)
		return HVS_XLAT_ARCH_X86;
	if (r->cr0 || r->cr3 || r->cr4 || r->efer)
		return HVS_XLAT_ARCH_X86;
	if (r->ttbr0 || r->ttbr1 || r->tcr || r->sctlr)
		return HVS_XLAT_ARCH_ARM64;
	return HVS_XLAT_ARCH_X86;
}

/* Paging mode from the control registers (paging.md 1). */
hvs_paging_mode hvs_xlat_detect_mode(const hvs_paging_regs *r)
{
	if (!r)
		return HVS_PAGING_NONE;
	if (arch_of(r) == HVS_XLAT_ARCH_ARM64)
		/* SCTLR_EL1.M (bit 0) enables stage-1 translation. */
		return (r->sctlr & 1) ? HVS_PAGING_ARM64 : HVS_PAGING_NONE;
	/* Intel SDM Vol.3A 4.1.1, table 4-1: CR0.PG (31), CR4.PAE (5),
	 * IA32_EFER.LME (8) / LMA (10), CR4.LA57 (12).  With paging on and
	 * PAE set, LME implies LMA, so either selects IA-32e paging. */
	if (!((r->cr0 >> 31) & 1))
		return HVS_PAGING_NONE;
	if (!((r->cr4 >> 5) & 1))
		return HVS_PAGING_X86_32;
	if ((r->efer >> 10) & 1 || (r->efer >> 8) & 1)
		return (r->cr4 >> 12) & 1 ? HVS_PAGING_X64_5LEVEL
					  : HVS_PAGING_X64_4LEVEL;
	return HVS_PAGING_X86_PAE;
}

/* Kernel or user mode from the saved privilege state (SDK InKernelSpace;
 * api.md: CPL from CS/SS on x86, EL from CPSR on ARM64). */
hvs_status hvs_xlat_in_kernel(int *out, const hvs_paging_regs *r)
{
	if (!out || !r)
		return HVS_E_INVALID;
	if (arch_of(r) == HVS_XLAT_ARCH_ARM64) {
		if (!(r->have & HVS_REGS_HAVE_PSTATE))
			return HVS_E_NOTFOUND;
		if (r->pstate & 0x10) {
			/* AArch32 state: M[4:0] = 0x10 is User mode. */
			*out = (r->pstate & 0x1F) != 0x10;
			return HVS_OK;
		}
		/* AArch64: PSTATE.EL in bits 3:2 (SPSR_ELx.M[3:2]). */
		*out = ((r->pstate >> 2) & 3) != 0;
		return HVS_OK;
	}
	/* Real mode runs at privilege 0. */
	if (!(r->cr0 & 1) && (r->cr0 || r->cr4 || r->efer)) {
		*out = 1;
		return HVS_OK;
	}
	if (r->have & HVS_REGS_HAVE_CPL) {
		*out = (r->cpl & 3) == 0;
		return HVS_OK;
	}
	/* SS.DPL always equals the CPL (SDM Vol.3A 5.5; VMX saves the CPL
	 * there, SDM 27.3.2). */
	if (r->have & HVS_REGS_HAVE_SS_ATTR) {
		*out = ((r->ss_attr >> 5) & 3) == 0;
		return HVS_OK;
	}
	/* CS.RPL is the CPL outside of conforming-segment corner cases. */
	if (r->have & HVS_REGS_HAVE_CS_SEL) {
		*out = (r->cs_sel & 3) == 0;
		return HVS_OK;
	}
	return HVS_E_NOTFOUND;
}

/* Apply @regs to @x: decide the mode and derive the walker state. */
static hvs_status apply_regs(hvs_xlat *x, const hvs_paging_regs *regs)
{
	hvs_xlat_arch arch = arch_of(regs);
	hvs_paging_mode mode = regs->mode;

	if (mode == HVS_PAGING_AUTO)
		mode = hvs_xlat_detect_mode(regs);
	if ((unsigned)mode > (unsigned)HVS_PAGING_ARM64)
		return HVS__XLAT_ERR(x, HVS_E_INVALID,
				    "unknown paging mode %d", (int)mode);
	if ((mode == HVS_PAGING_ARM64) != (arch == HVS_XLAT_ARCH_ARM64) &&
	    mode != HVS_PAGING_NONE)
		return HVS__XLAT_ERR(x, HVS_E_INVALID,
				    "paging mode %s does not fit the "
				    "architecture of the registers",
				    hvs_paging_mode_name(mode));
	x->regs = *regs;
	x->mode = mode;
	hvs_xlat_flush(x);
	if (mode == HVS_PAGING_ARM64)
		return hvs__arm64_setup(x);
	if (mode != HVS_PAGING_NONE)
		return hvs__x86_setup(x);
	return HVS_OK;
}

/* Allocate a context and apply the registers; the cache starts empty. */
hvs_status hvs_xlat_new(hvs_xlat **out, const hvs_paging_regs *regs,
			hvs_read_phys_fn read, void *ud, unsigned flags,
			const hvs_allocator *alloc)
{
	hvs__alloc a;
	hvs_xlat *x;
	hvs_status s;

	if (!out)
		return HVS_E_INVALID;
	*out = NULL;
	if (!regs || !read)
		return HVS_E_INVALID;
	hvs__alloc_init(&a, alloc);
	x = hvs__calloc(&a, 1, sizeof *x);
	if (!x)
		return HVS_E_NOMEM;
	x->alloc = a;
	x->read = read;
	x->ud = ud;
	x->flags = flags;
	s = apply_regs(x, regs);
	if (s != HVS_OK) {
		hvs__free(&a, x);
		return s;
	}
	*out = x;
	return HVS_OK;
}

/* Release a context through the allocator that made it. */
void hvs_xlat_free(hvs_xlat *x)
{
	if (x) {
		hvs__alloc a = x->alloc;
		hvs__free(&a, x);
	}
}

/* Switch to another register set (VP, VTL or process); atomic on error. */
hvs_status hvs_xlat_set_regs(hvs_xlat *x, const hvs_paging_regs *regs)
{
	hvs_paging_regs old_regs;
	hvs_paging_mode old_mode;
	hvs_status s;

	if (!x || !regs)
		return HVS_E_INVALID;
	old_regs = x->regs;
	old_mode = x->mode;
	s = apply_regs(x, regs);
	if (s != HVS_OK) {
		/* Restore; re-deriving the old state cannot fail. */
		x->regs = old_regs;
		x->mode = old_mode;
		if (old_mode == HVS_PAGING_ARM64)
			(void)hvs__arm64_setup(x);
		else if (old_mode != HVS_PAGING_NONE)
			(void)hvs__x86_setup(x);
	}
	return s;
}

/* The mode in use. */
hvs_paging_mode hvs_xlat_mode(const hvs_xlat *x)
{
	return x ? x->mode : HVS_PAGING_NONE;
}

/* Invalidate the TLB and the per-level entry cache. */
void hvs_xlat_flush(hvs_xlat *x)
{
	size_t i;
	if (!x)
		return;
	/* size 0 never matches: (va - e.va) < 0 is false for every va. */
	for (i = 0; i < HVS__XLAT_TLB_SIZE; i++)
		x->tlb[i].size = 0;
	for (i = 0; i < 8; i++)
		x->ecache[i].valid = 0;
}

/* The last message; a pending fault message is formatted here, so that
 * the translate loop never pays for vsnprintf on unmapped addresses. */
const char *hvs_xlat_errmsg(hvs_xlat *x)
{
	if (!x)
		return "";
	if (x->msg_lazy) {
		x->msg_lazy = 0;
		if (x->lazy_name)
			hvs__err_set(&x->err, HVS_E_NOTPRESENT,
				     "VA 0x%" PRIx64 ": %s: %s entry 0x%" PRIx64
				     " at GPA 0x%" PRIx64, x->lazy_gva,
				     hvs_xlat_fault_name(x->fault.kind),
				     x->lazy_name, x->fault.entry,
				     x->fault.entry_gpa);
		else
			hvs__err_set(&x->err, HVS_E_NOTPRESENT,
				     "VA 0x%" PRIx64 ": %s", x->lazy_gva,
				     hvs_xlat_fault_name(x->fault.kind));
	}
	return x->err.msg;
}

/* Fault details of the last translate (kind NONE after success). */
const hvs_xlat_fault *hvs_xlat_last_fault(const hvs_xlat *x)
{
	static const hvs_xlat_fault none = { HVS_XLAT_FAULT_NONE, -1, 0, 0 };
	return x ? &x->fault : &none;
}

/* Copy the cache and read counters. */
void hvs_xlat_get_stats(const hvs_xlat *x, hvs_xlat_stats *out)
{
	if (!out)
		return;
	if (!x) {
		memset(out, 0, sizeof *out);
		return;
	}
	*out = x->stats;
}

/* ------------------------------------------------------------ walking */

/* One entry through the per-level cache, else through the callback. */
hvs_status hvs__xlat_read_entry(hvs_xlat *x, int level, uint64_t gpa,
				unsigned size, uint64_t *out)
{
	uint8_t b[8];
	hvs_status s;
	unsigned slot = (unsigned)level & 7;

	if (x->ecache[slot].valid && x->ecache[slot].gpa == gpa) {
		*out = x->ecache[slot].val;
		return HVS_OK;
	}
	x->stats.reads++;
	s = x->read(x->ud, gpa, b, size);
	if (s != HVS_OK)
		return s;
	*out = size == 4 ? hvs__le32(b) : hvs__le64(b);
	if (!(x->flags & HVS_XLAT_NO_CACHE)) {
		x->ecache[slot].gpa = gpa;
		x->ecache[slot].val = *out;
		x->ecache[slot].valid = 1;
	}
	return HVS_OK;
}

/* Append the record of the entry just read to the trace. */
hvs_xlat_step *hvs__xlat_add_step(hvs_xlat_walk *w, const char *name,
				  int level, uint64_t entry_gpa, uint64_t entry,
				  uint64_t span)
{
	/* At most 5 levels are read, so the array (6) cannot overflow; the
	 * clamp keeps a hostile state from writing outside it anyway. */
	hvs_xlat_step *st = &w->steps[w->nsteps < HVS_XLAT_MAX_STEPS
					      ? w->nsteps
					      : HVS_XLAT_MAX_STEPS - 1];
	if (w->nsteps < HVS_XLAT_MAX_STEPS)
		w->nsteps++;
	st->name = name;
	st->level = level;
	st->entry_gpa = entry_gpa;
	st->entry = entry;
	st->span = span;
	st->flags = 0;
	return st;
}

/* Record why the walk stopped and how far the caller may skip. */
hvs_status hvs__xlat_fault(hvs_xlat *x, hvs_xlat_walk *w,
			   hvs_xlat_fault_kind kind, int level,
			   uint64_t entry_gpa, uint64_t entry, uint64_t unmapped)
{
	w->fault.kind = kind;
	w->fault.level = level;
	w->fault.entry_gpa = entry_gpa;
	w->fault.entry = entry;
	w->unmapped_size = unmapped;
	/* The message is built by hvs_xlat_errmsg() when asked for. */
	x->msg_lazy = 1;
	x->lazy_gva = w->gva;
	x->lazy_name = level >= 0 && w->nsteps ? w->steps[w->nsteps - 1].name
					       : NULL;
	x->fault = w->fault;
	return HVS_E_NOTPRESENT;
}

/* Lean start of a walk: only the fields the steps read (translate()
 * must not clear the whole trace each time). */
static hvs_status walk_start(hvs_xlat *x, hvs_xlat_walk *w, uint64_t gva)
{
	w->gva = gva;
	w->done = 0;
	w->nsteps = 0;
	w->unmapped_size = 0;
	w->fault.kind = HVS_XLAT_FAULT_NONE;
	w->fault.level = -1;
	w->fault.entry_gpa = 0;
	w->fault.entry = 0;
	switch (x->mode) {
	case HVS_PAGING_NONE:
		/* Paging off: the linear address is the physical one. */
		w->gpa = gva;
		w->page_size = 4096;
		w->flags = HVS_XLAT_F_PRESENT | HVS_XLAT_F_WRITE |
			   HVS_XLAT_F_USER | HVS_XLAT_F_LEAF;
		w->done = 1;
		return HVS_OK;
	case HVS_PAGING_ARM64:
		return hvs__arm64_init(x, w);
	default:
		return hvs__x86_init(x, w);
	}
}

/* Public start of a stepwise walk: a clean trace, then the lean start. */
hvs_status hvs_xlat_walk_init(hvs_xlat *x, hvs_xlat_walk *w, uint64_t gva)
{
	if (!x || !w)
		return HVS_E_INVALID;
	memset(w, 0, sizeof *w);
	return walk_start(x, w, gva);
}

/* One level of a stepwise walk, with the state checked first: the walk
 * struct is caller memory and may have been modified. */
hvs_status hvs_xlat_walk_step(hvs_xlat *x, hvs_xlat_walk *w)
{
	if (!x || !w || w->done || w->fault.kind != HVS_XLAT_FAULT_NONE ||
	    w->nsteps >= HVS_XLAT_MAX_STEPS)
		return HVS_E_INVALID;
	if (x->mode == HVS_PAGING_ARM64) {
		if (w->priv_level < 0 || w->priv_level > 3 ||
		    w->priv_half < 0 || w->priv_half > 1)
			return HVS_E_INVALID;
		return hvs__arm64_step(x, w);
	}
	if (x->mode == HVS_PAGING_NONE || w->priv_level < 1 ||
	    w->priv_level > 5)
		return HVS_E_INVALID;
	return hvs__x86_step(x, w);
}

/* Direct-mapped cache slot of @gva. */
static hvs__tlb_entry *tlb_slot(hvs_xlat *x, uint64_t gva)
{
	return &x->tlb[(gva >> 12) & (HVS__XLAT_TLB_SIZE - 1)];
}

/* Translate through the TLB, else by walking; only successes are cached. */
hvs_status hvs_xlat_translate(hvs_xlat *x, uint64_t gva, uint64_t *gpa_out,
			      uint64_t *page_size_out, uint64_t *unmapped_out)
{
	hvs_xlat_walk w;
	hvs__tlb_entry *t;
	hvs_status s;

	if (!x)
		return HVS_E_INVALID;
	if (!(x->flags & HVS_XLAT_NO_CACHE)) {
		t = tlb_slot(x, gva);
		if (gva - t->va < t->size) {
			x->stats.hits++;
			x->fault.kind = HVS_XLAT_FAULT_NONE;
			if (gpa_out)
				*gpa_out = t->pa + (gva - t->va);
			if (page_size_out)
				*page_size_out = t->size;
			if (unmapped_out)
				*unmapped_out = 0;
			return HVS_OK;
		}
		x->stats.misses++;
	}
	/* The same steps as the public stepwise walk, without its argument
	 * checks: the state is ours. */
	s = walk_start(x, &w, gva);
	if (x->mode == HVS_PAGING_ARM64) {
		while (s == HVS_OK && !w.done)
			s = hvs__arm64_step(x, &w);
	} else {
		while (s == HVS_OK && !w.done)
			s = hvs__x86_step(x, &w);
	}
	x->fault = w.fault;
	if (s != HVS_OK) {
		if (unmapped_out)
			*unmapped_out = s == HVS_E_NOTPRESENT ? w.unmapped_size
							      : 0;
		return s;
	}
	if (!(x->flags & HVS_XLAT_NO_CACHE)) {
		/* Key the slot by the mapping's start, so any 4 KiB page of
		 * a large page that lands in this slot hits. */
		t = tlb_slot(x, gva);
		t->va = gva & ~(w.page_size - 1);
		t->pa = w.gpa - (gva - t->va);
		t->size = w.page_size;
	}
	if (gpa_out)
		*gpa_out = w.gpa;
	if (page_size_out)
		*page_size_out = w.page_size;
	if (unmapped_out)
		*unmapped_out = 0;
	return HVS_OK;
}

/* Copy guest-virtual memory page by page with partial progress. */
hvs_status hvs_xlat_read(hvs_xlat *x, uint64_t gva, void *buf, size_t len,
			 size_t *done)
{
	uint8_t *p = buf;
	size_t got = 0;
	hvs_status s = HVS_OK;

	if (done)
		*done = 0;
	if (!x || (!buf && len))
		return HVS_E_INVALID;
	while (got < len) {
		uint64_t va = gva + got, gpa, psize, room;
		size_t n;

		s = hvs_xlat_translate(x, va, &gpa, &psize, NULL);
		if (s != HVS_OK)
			break;
		/* Never cross the mapping: the next page may map anywhere. */
		room = psize - (va & (psize - 1));
		n = len - got;
		if ((uint64_t)n > room)
			n = (size_t)room;
		/* Stay within 4 KiB so that a data page missing from the
		 * image costs at most the bytes of that page. */
		if ((uint64_t)n > 4096 - (gpa & 4095))
			n = (size_t)(4096 - (gpa & 4095));
		s = x->read(x->ud, gpa, p + got, n);
		if (s != HVS_OK) {
			HVS__XLAT_ERR(x, s,
				     "VA 0x%" PRIx64 " -> GPA 0x%" PRIx64
				     ": %s", va, gpa, hvs_strerror(s));
			break;
		}
		got += n;
		if (va + n == 0 && got < len) {
			/* Wrapped past the top of the address space. */
			s = HVS__XLAT_ERR(x, HVS_E_NOTPRESENT,
					 "read wraps past VA 0xffffffffffffffff");
			break;
		}
	}
	if (done)
		*done = got;
	return s;
}

/* ------------------------------------------------------------ map walk */

/* Hand a region to the caller, or grow the pending one when merging. */
hvs_status hvs__map_emit(hvs__map_out *o, uint64_t gva, uint64_t gpa,
			 uint64_t size, uint32_t flags)
{
	hvs_xlat_region r;

	o->emitted++;
	if (o->flags & HVS_XLAT_MAP_MERGE) {
		hvs_xlat_region *p = &o->pend;
		if (o->have && p->flags == flags && p->gva + p->size == gva &&
		    ((flags & HVS_XLAT_F_NODATA) || p->gpa + p->size == gpa) &&
		    p->size + size > p->size) {
			p->size += size;
			return HVS_OK;
		}
		if (o->have) {
			hvs_status s;
			o->have = 0;
			s = o->cb(o->ud, p);
			if (s != HVS_OK)
				return s;
		}
		p->gva = gva;
		p->gpa = gpa;
		p->size = size;
		p->flags = flags;
		o->have = 1;
		return HVS_OK;
	}
	r.gva = gva;
	r.gpa = gpa;
	r.size = size;
	r.flags = flags;
	return o->cb(o->ud, &r);
}

/* Key of a (table, level) pair: table GPAs are 8-byte aligned, so the
 * level fits in the low bits; +1 keeps 0 free for "empty slot". */
static uint64_t empty_key(uint64_t gpa, int level)
{
	return ((gpa & ~UINT64_C(7)) | ((uint64_t)level & 7)) + 1;
}

static unsigned empty_slot(uint64_t key)
{
	return (unsigned)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 56) &
	       (HVS__MAP_EMPTY_SLOTS - 1);
}

/* Was this (table, level) fully scanned before without a region? */
int hvs__map_known_empty(const hvs__map_out *o, uint64_t gpa, int level)
{
	uint64_t k = empty_key(gpa, level);
	return o->empty[empty_slot(k)] == k;
}

/* Remember an empty (table, level) pair (direct-mapped, may evict). */
void hvs__map_set_empty(hvs__map_out *o, uint64_t gpa, int level)
{
	uint64_t k = empty_key(gpa, level);
	o->empty[empty_slot(k)] = k;
}

/* Count examined entries against the map walk's work cap. */
hvs_status hvs__map_charge(hvs_xlat *x, hvs__map_out *o, uint64_t n)
{
	if (n > o->budget)
		return HVS__XLAT_ERR(x, HVS_E_CORRUPT,
				     "map walk: more than %" PRIu64
				     " page-table entries examined (aliased "
				     "tables?)", HVS__MAP_MAX_ENTRIES);
	o->budget -= n;
	return HVS_OK;
}

/* Deliver the pending merged region, if any. */
hvs_status hvs__map_flush(hvs__map_out *o)
{
	if (o->have) {
		o->have = 0;
		return o->cb(o->ud, &o->pend);
	}
	return HVS_OK;
}

/* Enumerate the mappings of the address space (QEMU `info tlb`). */
hvs_status hvs_xlat_map_walk(hvs_xlat *x, uint64_t first, uint64_t last,
			     unsigned flags, hvs_xlat_region_fn cb, void *ud)
{
	hvs__map_out o;
	hvs_status s;

	if (!x || !cb || first > last)
		return HVS_E_INVALID;
	memset(&o, 0, sizeof o);
	o.budget = HVS__MAP_MAX_ENTRIES;
	o.cb = cb;
	o.ud = ud;
	o.flags = flags;
	switch (x->mode) {
	case HVS_PAGING_NONE:
		/* Everything maps to itself: one region ([0, 2^64) is
		 * reported as 2^64 - 1 bytes, the largest size that fits). */
		s = hvs__map_emit(&o, first, first,
				  last - first + 1 ? last - first + 1
						   : ~UINT64_C(0),
				  HVS_XLAT_F_PRESENT | HVS_XLAT_F_WRITE |
				  HVS_XLAT_F_USER | HVS_XLAT_F_LEAF);
		break;
	case HVS_PAGING_ARM64:
		s = hvs__arm64_map(x, first, last, &o);
		break;
	default:
		s = hvs__x86_map(x, first, last, &o);
		break;
	}
	if (s != HVS_OK)
		return s;
	return hvs__map_flush(&o);
}
