/* SPDX-License-Identifier: MIT */
/*
 * Windows 64-bit kernel crash dump: the pure builders (src/convert/dmp.h).
 *
 *  - DUMP_HEADER64 into a 0x2000-byte buffer (format.md 9.1);
 *  - the AMD64 CONTEXT of a VP (9.3) from the image's registers;
 *  - the physical-memory runs of a full dump, merged to fit the 42-run
 *    descriptor, and the summary header + bitmap of a bitmap dump (9.2);
 *  - KDBG: validation, the KdCopyDataBlock decode (9.4), the lookup by
 *    symbols and the bounded tag scan over the kernel's page tables.
 *
 * Every guest byte is untrusted: the KDBG scan reads through the
 * translation engine (which bounds its own walks), caps the pages it
 * reads, and validates a candidate field by field before using it.
 * Format and sources: docs/format/crashdump.md.
 */
#include <stdlib.h>
#include <string.h>

#include "convert/dmp.h"
#include "util/bytes.h"
#include "util/ovf.h"

/* ----------------------------------------------------------- CONTEXT -- */

/* The x64 registers a CONTEXT can carry (the others have no slot). */
static const hvs_reg ctx_regs[] = {
	HVS_REG_X64_RAX, HVS_REG_X64_RCX, HVS_REG_X64_RDX, HVS_REG_X64_RBX,
	HVS_REG_X64_RSP, HVS_REG_X64_RBP, HVS_REG_X64_RSI, HVS_REG_X64_RDI,
	HVS_REG_X64_R8, HVS_REG_X64_R9, HVS_REG_X64_R10, HVS_REG_X64_R11,
	HVS_REG_X64_R12, HVS_REG_X64_R13, HVS_REG_X64_R14, HVS_REG_X64_R15,
	HVS_REG_X64_RIP, HVS_REG_X64_RFLAGS,
	HVS_REG_X64_XMM0, HVS_REG_X64_XMM1, HVS_REG_X64_XMM2, HVS_REG_X64_XMM3,
	HVS_REG_X64_XMM4, HVS_REG_X64_XMM5, HVS_REG_X64_XMM6, HVS_REG_X64_XMM7,
	HVS_REG_X64_XMM8, HVS_REG_X64_XMM9, HVS_REG_X64_XMM10, HVS_REG_X64_XMM11,
	HVS_REG_X64_XMM12, HVS_REG_X64_XMM13, HVS_REG_X64_XMM14, HVS_REG_X64_XMM15,
	HVS_REG_X64_FPMMX0, HVS_REG_X64_FPMMX1, HVS_REG_X64_FPMMX2, HVS_REG_X64_FPMMX3,
	HVS_REG_X64_FPMMX4, HVS_REG_X64_FPMMX5, HVS_REG_X64_FPMMX6, HVS_REG_X64_FPMMX7,
	HVS_REG_X64_FP_CONTROL_STATUS, HVS_REG_X64_XMM_CONTROL_STATUS,
	HVS_REG_X64_DR0, HVS_REG_X64_DR1, HVS_REG_X64_DR2, HVS_REG_X64_DR3,
	HVS_REG_X64_DR6, HVS_REG_X64_DR7,
	HVS_REG_X64_ES, HVS_REG_X64_CS, HVS_REG_X64_SS, HVS_REG_X64_DS,
	HVS_REG_X64_FS, HVS_REG_X64_GS,
};

void hvs__dmp_regs_from_image(hvs__dmp_regs *out, hvs_image *img, uint32_t vp)
{
	size_t i;
	memset(out, 0, sizeof *out);
	for (i = 0; i < sizeof ctx_regs / sizeof ctx_regs[0]; i++) {
		hvs_reg r = ctx_regs[i];
		if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, r, &out->val[r]) == HVS_OK)
			out->have[r] = 1;
		else
			memset(&out->val[r], 0, sizeof out->val[r]);
	}
}

/* Are all registers first..last (inclusive, consecutive ids) present? */
static int have_all(const hvs__dmp_regs *r, hvs_reg first, hvs_reg last)
{
	unsigned i;
	for (i = (unsigned)first; i <= (unsigned)last; i++)
		if (!r->have[i])
			return 0;
	return 1;
}

/* Segment selector of a SEGMENT-kind value (hi = limit | sel << 32 | attr << 48). */
static uint16_t seg_sel(const hvs__dmp_regs *r, hvs_reg s)
{
	return (uint16_t)(r->val[s].hi >> 32);
}

/* Layout: format.md 9.3 (KDMP, LCKD, E2D agree); FltSave is FXSAVE64. */
enum {
	CTX_FLAGS = 0x30, CTX_MXCSR = 0x34,
	CTX_SEG_CS = 0x38, CTX_SEG_DS = 0x3A, CTX_SEG_ES = 0x3C,
	CTX_SEG_FS = 0x3E, CTX_SEG_GS = 0x40, CTX_SEG_SS = 0x42,
	CTX_EFLAGS = 0x44, CTX_DR0 = 0x48, CTX_DR6 = 0x68, CTX_DR7 = 0x70,
	CTX_RAX = 0x78, CTX_RIP = 0xF8,
	CTX_FLT = 0x100,      /* XMM_SAVE_AREA32 */
	FLT_FCW = 0x00, FLT_FSW = 0x02, FLT_FTW = 0x04, FLT_FOP = 0x06,
	FLT_IP = 0x08, FLT_DP = 0x10, FLT_MXCSR = 0x18, FLT_MXCSR_MASK = 0x1C,
	FLT_ST0 = 0x20, FLT_XMM0 = 0xA0
};

uint32_t hvs__dmp_encode_context(uint8_t *out, const hvs__dmp_regs *r)
{
	uint32_t flags = HVS__CTX_AMD64;
	unsigned i;
	uint8_t *flt = out + CTX_FLT;

	memset(out, 0, HVS__DMP_CONTEXT_SIZE);

	/* Rax..R15 are ids 0..15 in CONTEXT order (Rax Rcx Rdx Rbx Rsp Rbp
	 * Rsi Rdi R8..R15) at 0x78 + 8 * id: the SDK numbering and the
	 * CONTEXT layout both follow the x86 register encoding. */
	for (i = 0; i < 16; i++)
		hvs__put_le64(out + CTX_RAX + 8 * i, r->val[HVS_REG_X64_RAX + i].lo);
	hvs__put_le64(out + CTX_RIP, r->val[HVS_REG_X64_RIP].lo);
	/* EFlags is 32 bits in CONTEXT; RFLAGS bits 63:32 are reserved zero. */
	hvs__put_le32(out + CTX_EFLAGS, (uint32_t)r->val[HVS_REG_X64_RFLAGS].lo);

	hvs__put_le16(out + CTX_SEG_CS, seg_sel(r, HVS_REG_X64_CS));
	hvs__put_le16(out + CTX_SEG_DS, seg_sel(r, HVS_REG_X64_DS));
	hvs__put_le16(out + CTX_SEG_ES, seg_sel(r, HVS_REG_X64_ES));
	hvs__put_le16(out + CTX_SEG_FS, seg_sel(r, HVS_REG_X64_FS));
	hvs__put_le16(out + CTX_SEG_GS, seg_sel(r, HVS_REG_X64_GS));
	hvs__put_le16(out + CTX_SEG_SS, seg_sel(r, HVS_REG_X64_SS));

	for (i = 0; i < 4; i++)
		hvs__put_le64(out + CTX_DR0 + 8 * i, r->val[HVS_REG_X64_DR0 + i].lo);
	hvs__put_le64(out + CTX_DR6, r->val[HVS_REG_X64_DR6].lo);
	hvs__put_le64(out + CTX_DR7, r->val[HVS_REG_X64_DR7].lo);

	/* FP control: lo = FCW | FSW << 16 | FTW << 32 | FOP << 48 (FTW is
	 * the abridged 8-bit tag word, as in FXSAVE), hi = last FP RIP.
	 * XMM control: lo = last FP data pointer, hi = MXCSR | MASK << 32.
	 * The two pointers are stored as 64-bit values (the FXSAVE64 form; in
	 * the 32-bit form the same bytes read as offset + selector). */
	{
		const hvs_regval *fp = &r->val[HVS_REG_X64_FP_CONTROL_STATUS];
		const hvs_regval *xc = &r->val[HVS_REG_X64_XMM_CONTROL_STATUS];
		hvs__put_le16(flt + FLT_FCW, (uint16_t)fp->lo);
		hvs__put_le16(flt + FLT_FSW, (uint16_t)(fp->lo >> 16));
		flt[FLT_FTW] = (uint8_t)(fp->lo >> 32);
		hvs__put_le16(flt + FLT_FOP, (uint16_t)(fp->lo >> 48));
		hvs__put_le64(flt + FLT_IP, fp->hi);
		hvs__put_le64(flt + FLT_DP, xc->lo);
		hvs__put_le32(flt + FLT_MXCSR, (uint32_t)xc->hi);
		hvs__put_le32(flt + FLT_MXCSR_MASK, (uint32_t)(xc->hi >> 32));
		/* KDMP checks that MxCsr equals FltSave.MxCsr. */
		hvs__put_le32(out + CTX_MXCSR, (uint32_t)xc->hi);
	}
	/* ST0-7 / MM0-7: 80 bits in 16-byte slots (lo = significand,
	 * hi bits 15:0 = sign and exponent). */
	for (i = 0; i < 8; i++) {
		const hvs_regval *v = &r->val[HVS_REG_X64_FPMMX0 + i];
		hvs__put_le64(flt + FLT_ST0 + 16 * i, v->lo);
		hvs__put_le64(flt + FLT_ST0 + 16 * i + 8, v->hi & 0xFFFF);
	}
	for (i = 0; i < 16; i++) {
		const hvs_regval *v = &r->val[HVS_REG_X64_XMM0 + i];
		hvs__put_le64(flt + FLT_XMM0 + 16 * i, v->lo);
		hvs__put_le64(flt + FLT_XMM0 + 16 * i + 8, v->hi);
	}

	/* Flags: a group is claimed only when every register of it is known,
	 * so a reader never trusts a zero we made up. */
	if (r->have[HVS_REG_X64_RIP] && r->have[HVS_REG_X64_RSP] &&
	    r->have[HVS_REG_X64_RFLAGS] && r->have[HVS_REG_X64_CS] &&
	    r->have[HVS_REG_X64_SS])
		flags |= HVS__CTX_CONTROL;
	if (have_all(r, HVS_REG_X64_RAX, HVS_REG_X64_R15))
		flags |= HVS__CTX_INTEGER;
	if (r->have[HVS_REG_X64_DS] && r->have[HVS_REG_X64_ES] &&
	    r->have[HVS_REG_X64_FS] && r->have[HVS_REG_X64_GS])
		flags |= HVS__CTX_SEGMENTS;
	if (r->have[HVS_REG_X64_FP_CONTROL_STATUS] &&
	    r->have[HVS_REG_X64_XMM_CONTROL_STATUS])
		flags |= HVS__CTX_FLOATING_POINT;
	if (have_all(r, HVS_REG_X64_DR0, HVS_REG_X64_DR7))
		flags |= HVS__CTX_DEBUG_REGISTERS;
	hvs__put_le32(out + CTX_FLAGS, flags);
	return flags;
}

/* -------------------------------------------------------------- runs -- */

/* First page and page count covering [gpa, gpa + size); size > 0. */
static void range_pages(const hvs_mem_range *r, uint64_t *first, uint64_t *count)
{
	uint64_t last = (r->gpa + (r->size - 1)) / HVS__DMP_PAGE;
	*first = r->gpa / HVS__DMP_PAGE;
	*count = last - *first + 1;
}

hvs_status hvs__dmp_make_runs(const hvs__alloc *a, const hvs_mem_range *ranges,
			      size_t nranges, size_t max, hvs__dmp_run **out, size_t *n,
			      uint64_t *gap_pages)
{
	hvs__dmp_run *runs;
	size_t cnt = 0, i;
	uint64_t gaps = 0;

	*out = NULL;
	*n = 0;
	*gap_pages = 0;
	if (max == 0)
		return HVS_E_INVALID;
	runs = hvs__calloc(a, nranges ? nranges : 1, sizeof *runs);
	if (!runs)
		return HVS_E_NOMEM;
	/* Ranges are sorted and disjoint (hvs_image_ranges()), but two may
	 * share a page when they are not page aligned: join those. */
	for (i = 0; i < nranges; i++) {
		uint64_t first, count;
		if (ranges[i].size == 0 || ranges[i].gpa + (ranges[i].size - 1) < ranges[i].gpa)
			continue;
		range_pages(&ranges[i], &first, &count);
		if (cnt && runs[cnt - 1].base_page + runs[cnt - 1].page_count >= first) {
			uint64_t end = first + count;
			uint64_t cur = runs[cnt - 1].base_page + runs[cnt - 1].page_count;
			if (end > cur)
				runs[cnt - 1].page_count += end - cur;
			continue;
		}
		runs[cnt].base_page = first;
		runs[cnt].page_count = count;
		cnt++;
	}
	/* Merge: absorb the smallest gap until the runs fit.  O(n * (n - max))
	 * over the image's ranges, which are few (a saved state has tens). */
	while (cnt > max) {
		size_t best = 0;
		uint64_t best_gap = UINT64_MAX;
		for (i = 0; i + 1 < cnt; i++) {
			uint64_t g = runs[i + 1].base_page -
				     (runs[i].base_page + runs[i].page_count);
			if (g < best_gap) {
				best_gap = g;
				best = i;
			}
		}
		runs[best].page_count += best_gap + runs[best + 1].page_count;
		gaps += best_gap;
		memmove(&runs[best + 1], &runs[best + 2],
			(cnt - best - 2) * sizeof *runs);
		cnt--;
	}
	*out = runs;
	*n = cnt;
	*gap_pages = gaps;
	return HVS_OK;
}

uint64_t hvs__dmp_run_pages(const hvs__dmp_run *runs, size_t n)
{
	uint64_t t = 0;
	size_t i;
	for (i = 0; i < n; i++)
		t += runs[i].page_count;
	return t;
}

/* ------------------------------------------------------------ bitmap -- */

/* 2^31 bits = 256 MiB of bitmap = 8 TiB of guest-physical space. */
#define BITMAP_MAX_BITS (1ull << 31)

hvs_status hvs__dmp_make_bitmap(const hvs__alloc *a, const hvs_mem_range *ranges,
				size_t nranges, uint8_t **out, size_t *out_len,
				uint64_t *pages, uint64_t *bits)
{
	uint64_t nbits = 0, npages = 0, bytes, total;
	uint8_t *buf;
	size_t i;

	*out = NULL;
	*out_len = 0;
	*pages = 0;
	*bits = 0;
	for (i = 0; i < nranges; i++) {
		uint64_t first, count;
		if (ranges[i].size == 0 || ranges[i].gpa + (ranges[i].size - 1) < ranges[i].gpa)
			continue;
		range_pages(&ranges[i], &first, &count);
		if (first + count > nbits)
			nbits = first + count;
	}
	if (nbits > BITMAP_MAX_BITS)
		return HVS_E_UNSUPPORTED;
	/* Bitmap bytes padded to 8 (readers take it as u32 or u64 words),
	 * then the whole summary padded to a page: pages start aligned. */
	bytes = ((nbits + 63) / 64) * 8;
	total = ((HVS__DS_BITMAP + bytes + HVS__DMP_PAGE - 1) / HVS__DMP_PAGE) *
		HVS__DMP_PAGE;
	buf = hvs__calloc(a, 1, (size_t)total);
	if (!buf)
		return HVS_E_NOMEM;
	for (i = 0; i < nranges; i++) {
		uint64_t first, count, p;
		if (ranges[i].size == 0 || ranges[i].gpa + (ranges[i].size - 1) < ranges[i].gpa)
			continue;
		range_pages(&ranges[i], &first, &count);
		for (p = first; p < first + count; p++) {
			uint8_t *b = &buf[HVS__DS_BITMAP + p / 8];
			uint8_t m = (uint8_t)(1u << (p % 8));
			if (!(*b & m)) {
				*b |= m;
				npages++;
			}
		}
	}
	hvs__put_le32(buf + HVS__DS_SIGNATURE, 0x504D4446u);  /* "FDMP" */
	hvs__put_le32(buf + HVS__DS_VALID_DUMP, 0x504D5544u); /* "DUMP" */
	hvs__put_le64(buf + HVS__DS_FIRST_PAGE, HVS__DMP_HEADER_SIZE + total);
	hvs__put_le64(buf + HVS__DS_PAGES, npages);
	hvs__put_le64(buf + HVS__DS_BITMAP_BITS, nbits);
	*out = buf;
	*out_len = (size_t)total;
	*pages = npages;
	*bits = nbits;
	return HVS_OK;
}

/* ------------------------------------------------------------ header -- */

hvs_status hvs__dmp_build_header(uint8_t *out, const hvs__dmp_header_info *in)
{
	size_t i;
	uint8_t *pmb = out + HVS__DH_PMB;
	uint8_t *ex = out + HVS__DH_EXCEPTION;

	if (in->nruns > HVS__DMP_MAX_RUNS)
		return HVS_E_INVALID;
	memset(out, 0, HVS__DMP_HEADER_SIZE);
	memcpy(out + HVS__DH_SIGNATURE, "PAGE", 4);
	memcpy(out + HVS__DH_VALID_DUMP, "DU64", 4);
	hvs__put_le32(out + HVS__DH_MAJOR, in->major_version);
	hvs__put_le32(out + HVS__DH_MINOR, in->minor_version);
	hvs__put_le64(out + HVS__DH_DTB, in->dtb);
	hvs__put_le64(out + HVS__DH_PFN_DB, in->pfn_db);
	hvs__put_le64(out + HVS__DH_PS_LOADED, in->ps_loaded_module_list);
	hvs__put_le64(out + HVS__DH_PS_ACTIVE, in->ps_active_process_head);
	hvs__put_le32(out + HVS__DH_MACHINE, in->machine);
	hvs__put_le32(out + HVS__DH_NPROCS, in->nprocs);
	hvs__put_le32(out + HVS__DH_BUGCHECK, in->bugcheck_code);
	for (i = 0; i < 4; i++)
		hvs__put_le64(out + HVS__DH_BUGCHECK_P1 + 8 * i, in->bugcheck_param[i]);
	hvs__put_le64(out + HVS__DH_KDBG, in->kdbg);

	/* PHYSICAL_MEMORY_DESCRIPTOR64: u32 NumberOfRuns, u32 pad, u64
	 * NumberOfPages at +8 (KDMP/REK/E2D), runs from +0x10. */
	hvs__put_le32(pmb, (uint32_t)in->nruns);
	hvs__put_le64(pmb + 8, hvs__dmp_run_pages(in->runs, in->nruns));
	for (i = 0; i < in->nruns; i++) {
		hvs__put_le64(pmb + 0x10 + 16 * i, in->runs[i].base_page);
		hvs__put_le64(pmb + 0x18 + 16 * i, in->runs[i].page_count);
	}

	if (in->context)
		memcpy(out + HVS__DH_CONTEXT, in->context, HVS__DMP_CONTEXT_SIZE);

	/* EXCEPTION_RECORD64: code, flags, record, address, nparams. */
	hvs__put_le32(ex + 0x00, in->exception_code);
	hvs__put_le32(ex + 0x04, in->exception_flags);
	hvs__put_le64(ex + 0x10, in->exception_address);

	hvs__put_le32(out + HVS__DH_DUMP_TYPE, in->dump_type);
	hvs__put_le64(out + HVS__DH_REQUIRED, in->required_space);
	hvs__put_le64(out + HVS__DH_SYSTEM_TIME, in->system_time);
	if (in->comment) {
		size_t n = strlen(in->comment);
		if (n > 127)
			n = 127;
		memcpy(out + HVS__DH_COMMENT, in->comment, n);
	}
	hvs__put_le64(out + HVS__DH_UPTIME, in->system_uptime);
	hvs__put_le32(out + HVS__DH_PRODUCT_TYPE, in->product_type);
	hvs__put_le32(out + HVS__DH_SUITE_MASK, in->suite_mask);
	return HVS_OK;
}

/* -------------------------------------------------------------- KDBG -- */

static int kernel_canonical(uint64_t va)
{
	return va >= 0xFFFF800000000000ull;
}

hvs_status hvs__dmp_kdbg_parse(hvs__dmp_kdbg *out, const uint8_t *buf, size_t len,
			       uint64_t va, const char **why)
{
	uint32_t size;
	uint64_t flink, blink;

	memset(out, 0, sizeof *out);
	*why = NULL;
	if (len < HVS__KDBG_MIN_SIZE) {
		*why = "block shorter than 0x340 bytes";
		return HVS_E_CORRUPT;
	}
	if (hvs__le32(buf + HVS__KDBG_OWNER_TAG) != HVS__KDBG_TAG) {
		*why = "OwnerTag is not \"KDBG\"";
		return HVS_E_CORRUPT;
	}
	size = hvs__le32(buf + HVS__KDBG_SIZE);
	if (size < HVS__KDBG_MIN_SIZE || size > HVS__KDBG_MAX_SIZE) {
		*why = "Size outside [0x340, 0x1000]";
		return HVS_E_CORRUPT;
	}
	/* The header's LIST_ENTRY64 links the block into the debugger's list
	 * (or is zero): either way both halves are 0 or kernel addresses. */
	flink = hvs__le64(buf);
	blink = hvs__le64(buf + 8);
	if ((flink && !kernel_canonical(flink)) || (blink && !kernel_canonical(blink))) {
		*why = "list links are not kernel addresses";
		return HVS_E_CORRUPT;
	}
	out->va = va;
	out->size = size;
	out->kern_base = hvs__le64(buf + HVS__KDBG_KERN_BASE);
	out->ps_loaded_module_list = hvs__le64(buf + HVS__KDBG_PS_LOADED);
	out->ps_active_process_head = hvs__le64(buf + HVS__KDBG_PS_ACTIVE);
	out->mm_pfn_database = hvs__le64(buf + HVS__KDBG_PFN_DB);
	out->ki_processor_block = hvs__le64(buf + HVS__KDBG_PROCESSOR_BLOCK);
	out->off_prcb_context = hvs__le16(buf + HVS__KDBG_OFF_PRCB_CONTEXT);
	out->off_prcb_procstate_context =
		hvs__le16(buf + HVS__KDBG_OFF_PRCB_PROCSTATE_CONTEXT);
	/* The block lives in the kernel image (its .data): KernBase is a
	 * page-aligned kernel address below it, within an image size. */
	if (!kernel_canonical(out->kern_base) || (out->kern_base & 0xFFF) ||
	    out->kern_base > va || va - out->kern_base > (64ull << 20)) {
		*why = "KernBase is not a page-aligned kernel address within 64 MiB below the block";
		return HVS_E_CORRUPT;
	}
	if (!kernel_canonical(out->ps_loaded_module_list) ||
	    !kernel_canonical(out->ps_active_process_head) ||
	    !kernel_canonical(out->ki_processor_block)) {
		*why = "PsLoadedModuleList, PsActiveProcessHead or KiProcessorBlock is not a kernel address";
		return HVS_E_CORRUPT;
	}
	return HVS_OK;
}

static uint64_t rol64(uint64_t v, unsigned n)
{
	n &= 63;
	return n ? (v << n) | (v >> (64 - n)) : v;
}

static uint64_t ror64(uint64_t v, unsigned n)
{
	n &= 63;
	return n ? (v >> n) | (v << (64 - n)) : v;
}

static uint64_t bswap64(uint64_t v)
{
	uint8_t b[8];
	hvs__put_le64(b, v);
	return hvs__be64(b);
}

void hvs__dmp_kdbg_decode(uint8_t *buf, size_t len, uint64_t wait_never,
			  uint64_t wait_always, uint64_t kdp_block_va)
{
	size_t i;
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t q = hvs__le64(buf + i);
		q = rol64(q ^ wait_never, (unsigned)(wait_never & 0xFF));
		q = bswap64(q ^ kdp_block_va) ^ wait_always;
		hvs__put_le64(buf + i, q);
	}
}

void hvs__dmp_kdbg_encode(uint8_t *buf, size_t len, uint64_t wait_never,
			  uint64_t wait_always, uint64_t kdp_block_va)
{
	size_t i;
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t q = hvs__le64(buf + i);
		q = bswap64(q ^ wait_always) ^ kdp_block_va;
		q = ror64(q, (unsigned)(wait_never & 0xFF)) ^ wait_never;
		hvs__put_le64(buf + i, q);
	}
}

hvs_status hvs__dmp_kdsyms_resolve(hvs__dmp_kdsyms *out, hvs__dmp_resolve_fn fn, void *ud)
{
	memset(out, 0, sizeof *out);
	if (!fn || fn(ud, "KdDebuggerDataBlock", &out->kd_debugger_data_block) != HVS_OK) {
		out->kd_debugger_data_block = 0;
		return HVS_E_NOTFOUND;
	}
	/* The decode keys are optional: a plain block needs none of them. */
	if (fn(ud, "KiWaitNever", &out->ki_wait_never) != HVS_OK ||
	    fn(ud, "KiWaitAlways", &out->ki_wait_always) != HVS_OK ||
	    fn(ud, "KdpDataBlockEncoded", &out->kdp_data_block_encoded) != HVS_OK)
		out->ki_wait_never = out->ki_wait_always = out->kdp_data_block_encoded = 0;
	return HVS_OK;
}

hvs_status hvs__dmp_kdbg_from_symbols(hvs__dmp_kdbg *out, uint8_t *buf, size_t *buf_len,
				      hvs_xlat *x, const hvs__dmp_kdsyms *syms,
				      const char **why)
{
	uint8_t v[8];
	uint8_t flag = 0;
	uint32_t size;
	int encoded;
	hvs_status s;

	*why = NULL;
	*buf_len = 0;
	if (!syms->kd_debugger_data_block) {
		*why = "kernel symbols not loaded";
		return HVS_E_NOTFOUND;
	}
	s = hvs_xlat_read(x, syms->kd_debugger_data_block, buf, HVS__KDBG_MIN_SIZE, NULL);
	if (s != HVS_OK) {
		*why = "KdDebuggerDataBlock not readable";
		return s;
	}
	encoded = hvs__le32(buf + HVS__KDBG_OWNER_TAG) != HVS__KDBG_TAG;
	if (encoded) {
		if (!syms->ki_wait_never || !syms->ki_wait_always ||
		    !syms->kdp_data_block_encoded) {
			*why = "the block is encoded and KiWaitNever, KiWaitAlways or "
			       "KdpDataBlockEncoded is not resolved";
			return HVS_E_NOTFOUND;
		}
		s = hvs_xlat_read(x, syms->kdp_data_block_encoded, &flag, 1, NULL);
		if (s != HVS_OK) {
			*why = "KdpDataBlockEncoded not readable";
			return s;
		}
		if (!flag) {
			*why = "OwnerTag is not \"KDBG\" and KdpDataBlockEncoded is 0";
			return HVS_E_CORRUPT;
		}
	}
	if (encoded) {
		uint64_t never, always;
		if ((s = hvs_xlat_read(x, syms->ki_wait_never, v, 8, NULL)) != HVS_OK) {
			*why = "KiWaitNever not readable";
			return s;
		}
		never = hvs__le64(v);
		if ((s = hvs_xlat_read(x, syms->ki_wait_always, v, 8, NULL)) != HVS_OK) {
			*why = "KiWaitAlways not readable";
			return s;
		}
		always = hvs__le64(v);
		/* Decode the header first to learn the size, then the rest. */
		hvs__dmp_kdbg_decode(buf, 0x18, never, always, syms->kdp_data_block_encoded);
		size = hvs__le32(buf + HVS__KDBG_SIZE);
		if (hvs__le32(buf + HVS__KDBG_OWNER_TAG) != HVS__KDBG_TAG ||
		    size < HVS__KDBG_MIN_SIZE || size > HVS__KDBG_MAX_SIZE) {
			*why = "decoded block has no \"KDBG\" tag or a bad Size";
			return HVS_E_CORRUPT;
		}
		s = hvs_xlat_read(x, syms->kd_debugger_data_block + 0x18, buf + 0x18,
				  size - 0x18, NULL);
		if (s != HVS_OK) {
			*why = "KdDebuggerDataBlock not readable";
			return s;
		}
		hvs__dmp_kdbg_decode(buf + 0x18, size - 0x18, never, always,
				     syms->kdp_data_block_encoded);
	} else {
		size = hvs__le32(buf + HVS__KDBG_SIZE);
		if (size < HVS__KDBG_MIN_SIZE || size > HVS__KDBG_MAX_SIZE) {
			*why = "Size outside [0x340, 0x1000]";
			return HVS_E_CORRUPT;
		}
		s = hvs_xlat_read(x, syms->kd_debugger_data_block, buf, size, NULL);
		if (s != HVS_OK) {
			*why = "KdDebuggerDataBlock not readable";
			return s;
		}
	}
	s = hvs__dmp_kdbg_parse(out, buf, size, syms->kd_debugger_data_block, why);
	if (s != HVS_OK)
		return s;
	out->decoded = encoded;
	*buf_len = size;
	return HVS_OK;
}

/* ------------------------------------------------------- KDBG by tag -- */

/* A VA window to scan, [lo, hi]. */
typedef struct scan_win {
	uint64_t lo, hi;
} scan_win;

typedef struct scan_ctx {
	hvs__dmp_kdbg *out;
	uint8_t *buf;
	size_t *buf_len;
	hvs_xlat *x;
	hvs_read_phys_fn read;
	void *ud;
	uint64_t pages;     /* pages read so far */
	uint64_t next_va;   /* regions are whole mappings: skip what we did */
	uint64_t win_hi;    /* last VA of the current window */
	hvs_status err;     /* a read failure other than NODATA */
	int found;
	uint8_t page[HVS__DMP_PAGE];
} scan_ctx;

/* Is there a valid KDBG at @va (its tag at @va + 0x10 was seen)? */
static int try_candidate(scan_ctx *sc, uint64_t va)
{
	const char *why;
	uint32_t size;
	if (hvs_xlat_read(sc->x, va, sc->buf, HVS__KDBG_MIN_SIZE, NULL) != HVS_OK)
		return 0;
	size = hvs__le32(sc->buf + HVS__KDBG_SIZE);
	if (size < HVS__KDBG_MIN_SIZE || size > HVS__KDBG_MAX_SIZE)
		return 0;
	if (hvs_xlat_read(sc->x, va, sc->buf, size, NULL) != HVS_OK)
		return 0;
	if (hvs__dmp_kdbg_parse(sc->out, sc->buf, size, va, &why) != HVS_OK)
		return 0;
	*sc->buf_len = size;
	return 1;
}

static hvs_status scan_region(void *ud, const hvs_xlat_region *r)
{
	scan_ctx *sc = ud;
	uint64_t off;

	if (r->flags & HVS_XLAT_F_NODATA)
		return HVS_OK;
	for (off = 0; off < r->size; off += HVS__DMP_PAGE) {
		uint64_t va = r->gva + off, o;
		hvs_status s;
		if (va < sc->next_va)
			continue;
		if (va > sc->win_hi)
			break;
		if (sc->pages >= HVS__KDBG_SCAN_MAX_PAGES)
			return HVS_E_NOTFOUND; /* stop: bound reached */
		sc->pages++;
		s = sc->read(sc->ud, r->gpa + off, sc->page, HVS__DMP_PAGE);
		if (s == HVS_E_NODATA)
			continue;
		if (s != HVS_OK) {
			sc->err = s;
			return s;
		}
		/* The tag is at +0x10 of an 8-aligned block: 8-aligned too. */
		for (o = 0; o + 8 <= HVS__DMP_PAGE; o += 8) {
			uint32_t sz;
			if (hvs__le32(sc->page + o) != HVS__KDBG_TAG)
				continue;
			sz = hvs__le32(sc->page + o + 4);
			if (sz < HVS__KDBG_MIN_SIZE || sz > HVS__KDBG_MAX_SIZE)
				continue;
			if (va + o < 0x10)
				continue;
			if (try_candidate(sc, va + o - 0x10)) {
				sc->found = 1;
				return HVS_E_NOTFOUND; /* stop the walk */
			}
		}
	}
	if (r->gva + r->size > sc->next_va)
		sc->next_va = r->gva + r->size;
	return HVS_OK;
}

static int win_cmp(const void *a, const void *b)
{
	const scan_win *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

hvs_status hvs__dmp_kdbg_scan(const hvs__alloc *a, hvs__dmp_kdbg *out, uint8_t *buf,
			      size_t *buf_len, hvs_xlat *x, hvs_read_phys_fn read, void *ud,
			      const uint64_t *hints, size_t nhints,
			      uint64_t *pages_read)
{
	scan_win *w;
	scan_ctx *sc;
	size_t nw = 0, i;
	hvs_status st = HVS_E_NOTFOUND;

	*buf_len = 0;
	if (pages_read)
		*pages_read = 0;
	w = hvs__calloc(a, nhints ? nhints : 1, sizeof *w);
	sc = hvs__calloc(a, 1, sizeof *sc);
	if (!w || !sc) {
		hvs__free(a, w);
		hvs__free(a, sc);
		return HVS_E_NOMEM;
	}
	for (i = 0; i < nhints; i++) {
		uint64_t c = hints[i] & ~((2ull << 20) - 1);
		if (!kernel_canonical(hints[i]))
			continue;
		w[nw].lo = c - HVS__KDBG_SCAN_WINDOW;
		if (w[nw].lo < 0xFFFF800000000000ull)
			w[nw].lo = 0xFFFF800000000000ull;
		w[nw].hi = c > UINT64_MAX - HVS__KDBG_SCAN_WINDOW ?
			UINT64_MAX : c + HVS__KDBG_SCAN_WINDOW - 1;
		nw++;
	}
	qsort(w, nw, sizeof *w, win_cmp);
	/* Merge overlapping windows so no page is read twice. */
	if (nw) {
		size_t k = 0;
		for (i = 1; i < nw; i++) {
			if (w[i].lo <= w[k].hi + 1 || w[k].hi == UINT64_MAX) {
				if (w[i].hi > w[k].hi)
					w[k].hi = w[i].hi;
			} else {
				w[++k] = w[i];
			}
		}
		nw = k + 1;
	}
	sc->out = out;
	sc->buf = buf;
	sc->buf_len = buf_len;
	sc->x = x;
	sc->read = read;
	sc->ud = ud;
	for (i = 0; i < nw && !sc->found; i++) {
		hvs_status s;
		sc->next_va = w[i].lo;
		sc->win_hi = w[i].hi;
		s = hvs_xlat_map_walk(x, w[i].lo, w[i].hi, HVS_XLAT_MAP_MERGE,
				      scan_region, sc);
		if (sc->err != HVS_OK) {
			st = sc->err;
			break;
		}
		if (s == HVS_E_NOMEM) {
			st = s;
			break;
		}
		if (sc->pages >= HVS__KDBG_SCAN_MAX_PAGES)
			break;
	}
	if (sc->found)
		st = HVS_OK;
	if (pages_read)
		*pages_read = sc->pages;
	hvs__free(a, w);
	hvs__free(a, sc);
	return st;
}
