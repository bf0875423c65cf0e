/* SPDX-License-Identifier: MIT */
/*
 * Shared scaffolding of the table-driven translation tests
 * (test_xlat_x86.c, test_xlat_arm64.c): a guest-physical memory buffer of
 * MEM_SIZE bytes (define it before including), little-endian stores to
 * build page tables in it, and a checker that runs a table of expected
 * translations.  Header-only (static inline): each test file includes it
 * once.
 */
#ifndef HVS_TEST_XLAT_CASES_H
#define HVS_TEST_XLAT_CASES_H

#include "test.h"

#ifndef MEM_SIZE
#error "define MEM_SIZE before including xlat_cases.h"
/* Regions reported by a map walk: the first RLIST_MAX kept, all counted. */
#define RLIST_MAX 32
typedef struct rlist {
	hvs_xlat_region r[RLIST_MAX];
	size_t n;
} rlist;

static inline hvs_status collect(void *ud, const hvs_xlat_region *r)
{
	rlist *l = ud;
	if (l->n < RLIST_MAX)
		l->r[l->n] = *r;
	l->n++;
	return HVS_OK;
}

#endif

/* Guest-physical memory [0, MEM_SIZE); reads elsewhere are NODATA. */
typedef struct mem {
	uint8_t b[MEM_SIZE];
	unsigned reads;     /* read requests so far */
	uint64_t last_gpa;  /* address of the last read request */
} mem;

static inline hvs_status mem_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	mem *m = ud;
	m->reads++;
	m->last_gpa = gpa;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return HVS_E_NODATA;
	memcpy(buf, m->b + gpa, len);
	return HVS_OK;
}

static inline void put64(mem *m, uint64_t gpa, uint64_t v)
{
	unsigned i;
	for (i = 0; i < 8; i++)
		m->b[gpa + i] = (uint8_t)(v >> (8 * i));
}

static inline void put32(mem *m, uint64_t gpa, uint32_t v)
{
	unsigned i;
	for (i = 0; i < 4; i++)
		m->b[gpa + i] = (uint8_t)(v >> (8 * i));
}

/* One translation expectation. */
typedef struct xcase {
	uint64_t gva;
	hvs_status want;
	uint64_t gpa;       /* OK: GPA; NOTPRESENT: unmapped size */
	uint64_t size;      /* OK: page size */
	hvs_xlat_fault_kind fault;
	int level;
} xcase;

/*
 * Translate every case; 1 when all match.  A mapped address must report
 * an unmapped size of 0 (the SDK's semantics, api.md 2.5); an unmapped one
 * its exact unmapped size, fault kind and level.
 */
static inline int run_cases(hvs_xlat *x, const xcase *c, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		uint64_t gpa = 0, ps = 0, um = 0;
		hvs_status s = hvs_xlat_translate(x, c[i].gva, &gpa, &ps, &um);
		const hvs_xlat_fault *f = hvs_xlat_last_fault(x);
		int bad = s != c[i].want;
		if (!bad && s == HVS_OK)
			bad = gpa != c[i].gpa || ps != c[i].size || um != 0;
		if (!bad && s == HVS_E_NOTPRESENT)
			bad = um != c[i].gpa || f->kind != c[i].fault ||
			      f->level != c[i].level;
		if (bad) {
			printf("    case %zu VA 0x%" PRIx64 ": status %d gpa/um "
			       "0x%" PRIx64 "/0x%" PRIx64 " size 0x%" PRIx64
			       " fault %d level %d (%s)\n", i, c[i].gva, (int)s,
			       gpa, um, ps, (int)f->kind, f->level,
			       hvs_xlat_errmsg(x));
			return 0;
		}
	}
	return 1;
}

/* Regions reported by a map walk: the first RLIST_MAX kept, all counted. */
#define RLIST_MAX 32
typedef struct rlist {
	hvs_xlat_region r[RLIST_MAX];
	size_t n;
} rlist;

static inline hvs_status collect(void *ud, const hvs_xlat_region *r)
{
	rlist *l = ud;
	if (l->n < RLIST_MAX)
		l->r[l->n] = *r;
	l->n++;
	return HVS_OK;
}

#endif
