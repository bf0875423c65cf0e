/* SPDX-License-Identifier: MIT */
/*
 * Saved-state fixtures for tests: deterministic .vmrs files written with
 * the library's writer (include/hvs/vmrs_writer.h), whose every byte a
 * test can compute from the functions below.
 *
 * Memory content (gen_mem_word): for the 8-byte word at GPA a (a % 8 == 0)
 * in page pfn = a >> 12:
 *     pfn % 16 == 5      -> 0                        (zero page: fill token)
 *     pfn % 16 == 6 or 7 -> 0x1122334455667788       (run of 2 uniform pages)
 *     pfn % 16 == 9      -> pfn * 0x0101010101010101 (uniform non-zero page)
 *     otherwise          -> a ^ 0x5A5A5A5A5A5A5A5A
 * (little-endian bytes).  With HVS_VMRS_ENC_MIXED the uniform pages become
 * 0xFFFFFFFE / 0xFFFFFFFD tokens, the others XPRESS or raw pages.
 *
 * Registers (gen_std_reg): plausible values that differ per VP and per
 * VTL: x64 long mode (CR0.PG, EFER.LMA, CS.L) with even VPs in kernel
 * mode (CPL 0) and odd VPs in user mode (CPL 3); ARM64 EL1h.
 *
 * Standard layouts (used when gen_fixture.ranges is NULL):
 *   x64:   [0, 0xA0000) [0x100000, 0x800000) [0x100000000, 0x100200000)
 *   ARM64: [0x40000000, 0x40400000) [0x48000000, 0x48100000)
 */
#ifndef HVS_TESTS_GEN_VMRS_H
#define HVS_TESTS_GEN_VMRS_H

#include <stddef.h>
#include <stdint.h>

#include "hvs/hvs.h"

/* Value of the fixture memory word at 8-aligned GPA @gpa (see above). */
uint64_t gen_mem_word(uint64_t gpa);
/* Fill @buf with the @len fixture bytes at @gpa (any alignment). */
void gen_mem_fill(uint64_t gpa, void *buf, size_t len);
/* hvs_vmrs_read_fn over gen_mem_fill (@ud unused). */
hvs_status gen_mem_read(void *ud, uint64_t gpa, void *buf, size_t len);

/* The register value the fixtures give VP @vp (its hardware index), VTL
 * @vtl, register @reg of architecture @arch.  For ARM64, PC equals
 * ELR_EL2 and CPSR equals SPSR_EL2 (the writer stores them there). */
void gen_std_reg(hvs_arch arch, uint32_t vp, uint32_t vtl, hvs_reg reg,
		 hvs_regval *out);
/* Guest OS id the fixtures set for @vtl. */
uint64_t gen_std_os_id(uint32_t vtl);

typedef struct gen_range {
	uint64_t gpa, size;
} gen_range;

/* Standard layout of @arch: returns the ranges and sets *n. */
const gen_range *gen_std_ranges(hvs_arch arch, size_t *n);

/* What to write; zero-initialise, then set what you need. */
typedef struct gen_fixture {
	hvs_arch arch;               /* X64 (default) or ARM64 */
	uint32_t vp_count;           /* VPs with indices 0..n-1 (default 2) */
	uint32_t vtl_mask;           /* VTLs of every VP (0: VTL0 only) */
	uint32_t active_vtl;         /* active VTL of every multi-VTL VP */
	hvs_vmrs_encoding encoding;
	uint32_t vm_version;         /* 0: writer default */
	hvs_vmrs_vendor vendor;
	const gen_range *ranges;     /* NULL: gen_std_ranges(arch) */
	size_t range_count;
	int fill_zero;               /* memory all zeros instead of the pattern */
	int no_os_id;                /* do not set guest OS ids */
	const hvs_allocator *alloc;  /* for OOM tests */
	const char *savedstate_type; /* /savedstate/type, NULL: none */
} gen_fixture;

/*
 * Write fixture @f to @path: every register of every VP/VTL set with
 * gen_std_reg(), OS ids gen_std_os_id() for every enabled VTL, memory
 * from gen_mem_read() (or zeros).  On failure the message goes to
 * @errbuf (may be NULL).
 * @return the writer's status.
 */
hvs_status gen_vmrs_write(const char *path, const gen_fixture *f, char *errbuf,
			  size_t errbuf_size);

/* Standard fixtures under test_tmp_path(): return the path (a static
 * buffer, valid until the next call) or NULL after printing the error. */
const char *gen_vmrs_x64_2vp(const char *name, hvs_vmrs_encoding enc);
const char *gen_vmrs_arm64_2vp(const char *name, hvs_vmrs_encoding enc);
/* x64, 2 VPs with VTL0 and VTL1, VTL1 active. */
const char *gen_vmrs_x64_vtl(const char *name);

#endif
