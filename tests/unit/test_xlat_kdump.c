/* SPDX-License-Identifier: MIT */
/*
 * Differential test of the translation engine against libkdumpfile's
 * libaddrxlat (an independent implementation; Debian libkdumpfile-dev
 * 0.5.1).  For every layout both support -- x86 32-bit with PSE/PSE-36,
 * PAE, x64 4-level and 5-level, AArch64 4 KiB (48- and 39-bit VAs),
 * 16 KiB and 64 KiB granules -- random but valid page tables are built
 * (tests/unit/xlat_gen.h) and thousands of random addresses are
 * translated by both: the GPA must be identical, or both must say "not
 * present", or both "no data" (a table outside the image).
 *
 * What libaddrxlat's bare ADDRXLAT_PGT method does not do, and is
 * therefore not compared: canonical-address checks outside x86-64 (it is
 * given the address truncated to the translated bits), TTBR1 selection and TBI,
 * reserved-bit checks (the generator sets no reserved bits).  For x86-64 it
 * checks canonical form itself and gets the full address.  Our engine's
 * unmapped-region size is checked on the side: the last byte of every
 * reported unmapped region must not be mapped either.
 *
 * Built without libaddrxlat (HVS_NO_ADDRXLAT), the test skips.
 */
#include "test.h"

#ifndef HVS_NO_ADDRXLAT
#include "xlat_kdump.h"

#define MEM_SIZE ((size_t)16 << 20)
#define ADDRS_PER_TREE 2500u
#define TREES_PER_LAYOUT 3u

typedef struct tally {
	unsigned long same_gpa, both_np, both_nodata, both_noncanon, um_checked;
} tally;

/* Compare one tree; 1 on success. */
static int compare_tree(int layout, uint64_t seed, uint8_t *mem, tally *t)
{
	xg g;
	xk k;
	hvs_xlat *x = NULL;
	unsigned i;
	int ok = 1;

	if (!xg_build(&g, layout, mem, MEM_SIZE, 200, seed))
		return 0;
	if (!xk_init(&k, &g, layout))
		return 0;

	if (hvs_xlat_new(&x, &g.regs, xg_read, &g, 0, NULL) != HVS_OK) {
		xk_fini(&k);
		return 0;
	}
	for (i = 0; i < ADDRS_PER_TREE && ok; i++) {
		uint64_t va = xg_pick(&g), gpa = 0, um = 0, kpa = 0;
		addrxlat_status ks;
		hvs_status s;

		/* x86-64: one address in 8 is any 64-bit value, mostly
		 * non-canonical (libaddrxlat rejects those itself). */
		if ((layout == XG_X64_4 || layout == XG_X64_5) && i % 8 == 7)
			va = xg_rand(&g);
		ks = xk_walk(&k, va, &kpa);
		s = hvs_xlat_translate(x, va, &gpa, NULL, &um);
		if (s == HVS_OK && ks == ADDRXLAT_OK && gpa == kpa) {
			t->same_gpa++;
		} else if (s == HVS_E_NOTPRESENT && ks == ADDRXLAT_ERR_NOTPRESENT) {
			t->both_np++;
		} else if (s == HVS_E_NODATA && ks == ADDRXLAT_ERR_NODATA) {
			t->both_nodata++;
		} else if (s == HVS_E_NOTPRESENT && ks == ADDRXLAT_ERR_INVALID &&
			   hvs_xlat_last_fault(x)->kind ==
				   HVS_XLAT_FAULT_NONCANONICAL) {
			t->both_noncanon++;
		} else {
			printf("    %s seed %" PRIu64 " VA 0x%" PRIx64 ": hvs %d "
			       "0x%" PRIx64 " (%s), libaddrxlat %d 0x%" PRIx64
			       "\n", xg_names[layout], seed, va, (int)s, gpa,
			       hvs_xlat_errmsg(x), (int)ks, kpa);
			ok = 0;
		}
		/* the unmapped region's last byte is unmapped too (when the
		 * region stays inside the translated range) */
		if (ok && s == HVS_E_NOTPRESENT && um &&
		    va + (um - 1) >= va) {
			hvs_status s2 = hvs_xlat_translate(x, va + (um - 1),
							   NULL, NULL, NULL);
			if (s2 == HVS_OK) {
				printf("    %s VA 0x%" PRIx64 ": unmapped size "
				       "0x%" PRIx64 " covers a mapped byte\n",
				       xg_names[layout], va, um);
				ok = 0;
			}
			t->um_checked++;
		}
	}
	hvs_xlat_free(x);
	xk_fini(&k);
	free(g.leaves);
	return ok;
}

static void test_xlat_kdump__differential(void)
{
	uint8_t *mem = malloc(MEM_SIZE);
	int layout;
	unsigned tree;

	CHECK(mem != NULL);
	for (layout = 0; layout < XG_COUNT; layout++) {
		tally t;
		memset(&t, 0, sizeof t);
		for (tree = 0; tree < TREES_PER_LAYOUT; tree++) {
			uint64_t seed = UINT64_C(0x9E3779B97F4A7C15) *
					(uint64_t)(layout * 16 + (int)tree + 1);
			if (!compare_tree(layout, seed, mem, &t)) {
				free(mem);
				CHECK(!"translations differ");
			}
		}
		printf("    %-13s %u addresses: %lu same GPA, %lu both not "
		       "present, %lu both no data, %lu both non-canonical; %lu "
		       "unmapped sizes checked\n",
		       xg_names[layout], ADDRS_PER_TREE * TREES_PER_LAYOUT,
		       t.same_gpa, t.both_np, t.both_nodata, t.both_noncanon,
		       t.um_checked);
		/* the trees must exercise every outcome that matters */
		if (t.same_gpa < 1000 || t.both_np < 100) {
			free(mem);
			CHECK(!"too few mapped or unmapped addresses");
		}
	}
	free(mem);
}

TEST_MAIN(TEST(test_xlat_kdump__differential))

#else /* HVS_NO_ADDRXLAT */

static void test_xlat_kdump__differential(void)
{
	SKIP("libaddrxlat (libkdumpfile) not found at configure time");
}

TEST_MAIN(TEST(test_xlat_kdump__differential))

#endif
