/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the crash-dump builders that read guest bytes (src/convert/dmp.h):
 * the KDBG validation, the KDBG tag scan through fuzzed x64 page tables,
 * the symbol path with its decode, and the run / bitmap builders over
 * ranges carved from the input.
 *
 * Input: [0..7] CR3, [8..15] a hint VA, [16..23] KdDebuggerDataBlock VA,
 * [24..31] KiWaitNever, [32..39] KiWaitAlways, [40..47] KdpDataBlockEncoded
 * VA, [48] number of ranges (low 4 bits), then guest-physical memory from
 * GPA 0 (also read as up to 15 ranges of 2 x u32 page numbers).
 *
 * Invariants (a violation traps): an accepted KDBG has the tag, a Size in
 * [0x340, 0x1000], KernBase at most 64 MiB below it; the scan reads at
 * most HVS__KDBG_SCAN_MAX_PAGES pages; runs never exceed the maximum and
 * cover every range page; the bitmap counts exactly its set bits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert/dmp.h"
#include "util/bytes.h"

#define HDR 49

static const hvs__alloc A; /* zero: the C library */

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

typedef struct mem {
	const uint8_t *p;
	size_t n;
} mem;

static hvs_status rd(void *ud, uint64_t gpa, void *buf, size_t len)
{
	mem *m = ud;
	if (gpa > m->n || len > m->n - gpa)
		return HVS_E_NODATA;
	memcpy(buf, m->p + gpa, len);
	return HVS_OK;
}

static void check_kdbg(const hvs__dmp_kdbg *k, const uint8_t *buf, size_t len)
{
	ASSERT(len >= HVS__KDBG_MIN_SIZE && len <= HVS__KDBG_MAX_SIZE);
	ASSERT(hvs__le32(buf + HVS__KDBG_OWNER_TAG) == HVS__KDBG_TAG);
	ASSERT(k->kern_base <= k->va && k->va - k->kern_base <= (64ull << 20));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[HVS__KDBG_MAX_SIZE];
	hvs_paging_regs pr;
	hvs_xlat *x = NULL;
	hvs__dmp_kdbg k;
	hvs__dmp_kdsyms syms;
	mem m;
	size_t len, i, nr;
	uint64_t hint, pages;
	const char *why;
	hvs_mem_range r[15];

	if (size < HDR)
		return 0;
	m.p = data + HDR;
	m.n = size - HDR;

	if (hvs__dmp_kdbg_parse(&k, m.p, m.n, hvs__le64(data + 8), &why) == HVS_OK)
		check_kdbg(&k, m.p, m.n);

	memset(&pr, 0, sizeof pr);
	pr.arch = HVS_XLAT_ARCH_X86;
	pr.cr0 = 0x80000001;
	pr.cr3 = hvs__le64(data) & 0xFFFFF000ull;
	pr.cr4 = 0x20;
	pr.efer = 0xD00;
	if (hvs_xlat_new(&x, &pr, rd, &m, 0, NULL) == HVS_OK) {
		hint = hvs__le64(data + 8);
		if (hvs__dmp_kdbg_scan(&A, &k, buf, &len, x, rd, &m, &hint, 1, &pages) == HVS_OK)
			check_kdbg(&k, buf, len);
		ASSERT(pages <= HVS__KDBG_SCAN_MAX_PAGES);
		syms.kd_debugger_data_block = hvs__le64(data + 16);
		syms.ki_wait_never = hvs__le64(data + 24);
		syms.ki_wait_always = hvs__le64(data + 32);
		syms.kdp_data_block_encoded = hvs__le64(data + 40);
		if (hvs__dmp_kdbg_from_symbols(&k, buf, &len, x, &syms, &why) == HVS_OK)
			check_kdbg(&k, buf, len);
		hvs_xlat_free(x);
	}

	/* Ranges: sorted, disjoint, from page numbers in the input. */
	nr = data[48] & 15;
	{
		uint64_t at = 0;
		size_t n = 0;
		for (i = 0; i < nr && 8 * i + 8 <= m.n; i++) {
			uint64_t gap = hvs__le32(m.p + 8 * i) & 0xFFFFF;
			uint64_t cnt = (hvs__le32(m.p + 8 * i + 4) & 0xFFF) + 1;
			r[n].gpa = at + gap * 0x1000 + (hvs__le32(m.p + 8 * i) >> 28) * 0x100;
			r[n].size = cnt * 0x1000 - (hvs__le32(m.p + 8 * i + 4) >> 28) * 0x80;
			r[n].raw_offset = 0;
			at = r[n].gpa + r[n].size;
			n++;
		}
		nr = n;
	}
	{
		hvs__dmp_run *runs;
		size_t n;
		uint64_t gaps;
		if (hvs__dmp_make_runs(&A, r, nr, 1 + (data[48] >> 4), &runs, &n, &gaps) == HVS_OK) {
			ASSERT(n <= 1u + (data[48] >> 4));
			for (i = 0; i < nr; i++) {
				uint64_t p = r[i].gpa / 0x1000, q = (r[i].gpa + r[i].size - 1) / 0x1000;
				size_t j;
				int cov = 0;
				for (j = 0; j < n; j++)
					if (runs[j].base_page <= p &&
					    q < runs[j].base_page + runs[j].page_count)
						cov = 1;
				ASSERT(cov);
			}
			free(runs);
		}
	}
	{
		uint8_t *b;
		size_t blen;
		uint64_t npages, bits, set = 0, j;
		if (hvs__dmp_make_bitmap(&A, r, nr, &b, &blen, &npages, &bits) == HVS_OK) {
			for (j = 0; j < bits; j++)
				set += b[HVS__DS_BITMAP + j / 8] >> (j % 8) & 1;
			ASSERT(set == npages);
			ASSERT(hvs__le64(b + HVS__DS_FIRST_PAGE) == HVS__DMP_HEADER_SIZE + blen);
			ASSERT(blen % HVS__DMP_PAGE == 0);
			free(b);
		}
	}
	return 0;
}
