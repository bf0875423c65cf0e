/* SPDX-License-Identifier: MIT */
/*
 * Internals of the address-translation engine (docs/format/paging.md):
 * the context structure shared by xlat.c (context, cache, reads, map
 * walker), x86.c (32-bit, PAE, 4/5-level) and arm64.c (AArch64 stage 1).
 */
#ifndef HVS_XLAT_XLAT_INT_H
#define HVS_XLAT_XLAT_INT_H

#include "hvs/xlat.h"
#include "util/util.h"

/* Translation cache: direct-mapped, indexed by the 4 KiB VA page number.
 * A large page fills one slot per 4 KiB page touched. */
#define HVS__XLAT_TLB_SIZE 256u

typedef struct hvs__tlb_entry {
	uint64_t va;    /* start of the mapping (page aligned); ~0 when empty */
	uint64_t size;  /* page size */
	uint64_t pa;    /* GPA of va */
} hvs__tlb_entry;

/* One AArch64 VA range (TTBR0 or TTBR1), decoded from TCR_EL1. */
typedef struct hvs__arm_half {
	int disabled;         /* EPDn set */
	int tbi;              /* top byte ignored */
	unsigned tsz;         /* TnSZ (clamped) */
	unsigned gshift;      /* granule: 12, 14 or 16 */
	unsigned start_level; /* 0..3 */
	uint64_t base;        /* table GPA from TTBRn */
	int base_bad;         /* base above the output size (address size) */
	unsigned oa_bits;     /* output address size: TCR.IPS, capped at 48
				 unless this half uses the 64 KiB granule */
} hvs__arm_half;

struct hvs_xlat {
	hvs__alloc alloc;
	hvs__err err;
	hvs_read_phys_fn read;
	void *ud;
	unsigned flags;
	hvs_paging_regs regs;
	hvs_paging_mode mode;
	hvs_xlat_fault fault;  /* of the last translate */
	/* Fault messages are formatted only when asked for (errmsg):
	 * translating unmapped addresses must not cost a printf. */
	int msg_lazy;          /* err.msg is stale; format from lazy_* */
	uint64_t lazy_gva;
	const char *lazy_name; /* name of the faulting entry, or NULL */
	hvs_xlat_stats stats;

	/* x86, derived from the registers by hvs__x86_setup() */
	uint64_t root;         /* first table (PML5/PML4/PDPT/PD) */
	uint64_t pa_mask;      /* address bits 51:12 (or 31:12) of an entry */
	uint64_t rsvd_hi;      /* reserved high bits of every entry (M..51,
				  PAE 62:M, bit 63 without NXE) */
	int nxe;               /* EFER.NXE */
	int pse;               /* CR4.PSE (32-bit mode) */
	unsigned maxphy;       /* MAXPHYADDR */

	/* ARM64 */
	hvs__arm_half half[2];
	unsigned ips_bits;     /* output address size from TCR.IPS */

	hvs__tlb_entry tlb[HVS__XLAT_TLB_SIZE];
	/* Last entry read at each level (index: level & 7): random walks
	 * share their upper levels, so these save most callbacks.  Cleared
	 * with the TLB; off with HVS_XLAT_NO_CACHE. */
	struct {
		uint64_t gpa, val;
		int valid;
	} ecache[8];
};

/* Set the handle's message (and drop a pending lazy one); returns the
 * status, like hvs__err_set(). */
#define HVS__XLAT_ERR(x, ...) \
	((x)->msg_lazy = 0, hvs__err_set(&(x)->err, __VA_ARGS__))

/* Read one little-endian entry of 4 or 8 bytes at paging level @level
 * (through the per-level entry cache); counts callback reads.  Returns
 * the callback's status (HVS_E_NODATA when the page is not in the image). */
hvs_status hvs__xlat_read_entry(hvs_xlat *x, int level, uint64_t gpa,
				unsigned size, uint64_t *out);

/* Record a fault in the walk and return HVS_E_NOTPRESENT.  @unmapped is
 * the number of bytes from the VA to the end of the unmapped region. */
hvs_status hvs__xlat_fault(hvs_xlat *x, hvs_xlat_walk *w,
			   hvs_xlat_fault_kind kind, int level,
			   uint64_t entry_gpa, uint64_t entry, uint64_t unmapped);

/* Bytes from @va to the end of the naturally aligned @span block. */
static inline uint64_t hvs__span_rest(uint64_t va, uint64_t span)
{
	return span - (va & (span - 1));
}

/* Append a step record; returns it. */
hvs_xlat_step *hvs__xlat_add_step(hvs_xlat_walk *w, const char *name,
				  int level, uint64_t entry_gpa, uint64_t entry,
				  uint64_t span);

/* x86.c */
hvs_status hvs__x86_setup(hvs_xlat *x);
hvs_status hvs__x86_init(hvs_xlat *x, hvs_xlat_walk *w);
hvs_status hvs__x86_step(hvs_xlat *x, hvs_xlat_walk *w);
struct hvs__map_out;
hvs_status hvs__x86_map(hvs_xlat *x, uint64_t first, uint64_t last,
			struct hvs__map_out *o);

/* arm64.c */
hvs_status hvs__arm64_setup(hvs_xlat *x);
hvs_status hvs__arm64_init(hvs_xlat *x, hvs_xlat_walk *w);
hvs_status hvs__arm64_step(hvs_xlat *x, hvs_xlat_walk *w);
hvs_status hvs__arm64_map(hvs_xlat *x, uint64_t first, uint64_t last,
			  struct hvs__map_out *o);

/* xlat.c: region emitter shared by both map walkers (merges runs). */
/* Hostile tables can alias each other so that the number of paths grows
 * exponentially with the depth while nothing is mapped.  Two guards keep
 * the map walk bounded: tables found empty (no region emitted from a
 * complete scan) are remembered per level and skipped when met again,
 * and the total number of entries examined is capped. */
#define HVS__MAP_EMPTY_SLOTS 256u
#define HVS__MAP_MAX_ENTRIES (UINT64_C(1) << 30)

typedef struct hvs__map_out {
	hvs_xlat_region_fn cb;
	void *ud;
	unsigned flags;
	int have;              /* pending region valid */
	hvs_xlat_region pend;  /* pending (merge) region */
	uint64_t emitted;      /* regions emitted so far (any kind) */
	uint64_t budget;       /* entries that may still be examined */
	uint64_t empty[HVS__MAP_EMPTY_SLOTS]; /* table GPA | level, +1; 0 = free */
} hvs__map_out;

hvs_status hvs__map_emit(hvs__map_out *o, uint64_t gva, uint64_t gpa,
			 uint64_t size, uint32_t flags);
hvs_status hvs__map_flush(hvs__map_out *o);
/* Was the table at @gpa (level @level) already found empty? */
int hvs__map_known_empty(const hvs__map_out *o, uint64_t gpa, int level);
/* Remember that it is empty. */
void hvs__map_set_empty(hvs__map_out *o, uint64_t gpa, int level);
/* Charge @n entries to the budget; HVS_E_CORRUPT (message set) when the
 * walk has examined more than HVS__MAP_MAX_ENTRIES. */
hvs_status hvs__map_charge(hvs_xlat *x, hvs__map_out *o, uint64_t n);

#endif
