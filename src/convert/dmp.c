/* SPDX-License-Identifier: MIT */
/*
 * Windows 64-bit kernel crash dump writer ("PAGEDU64", DumpType 1 full or
 * 5 bitmap): hvs__convert_dmp() of the conversion pipeline
 * (src/convert/convert_int.h).  Layout and sources: docs/format/crashdump.md
 * (spec/format.md section 9).
 *
 * What it derives, in order:
 *  1. the kernel CR3 (format.md 9.5): a VP's CR3 that maps
 *     KUSER_SHARED_DATA, kernel-mode VPs first; else the KVA-shadow
 *     heuristic *(GS base or KERNEL_GS_BASE + 0x7000) when that maps it;
 *     else VP 0's CR3 (named in the summary as not verified);
 *  2. the KDBG: by symbols when the pipeline supplies them (the only way to
 *     read an encoded block, format.md 9.4), else by a bounded scan for the
 *     "KDBG" tag around kernel addresses the VPs hold (LSTAR, IDT
 *     handlers, kernel RIPs);
 *  3. from KUSER_SHARED_DATA: build number (Windows 10+), ProductType,
 *     SuiteMask, SystemTime, InterruptTime; the build also from the
 *     Hyper-V guest OS id;
 *  4. every VP's CONTEXT, patched into the dumped memory (never the input)
 *     at *(KiProcessorBlock[i] + OffsetPrcbContext), and a decoded KDBG
 *     patched over its encoded bytes.
 * Fields it cannot derive stay zero and are named with hvs__cvt_underived().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"
#include "convert/cvt_priv.h"
#include "convert/dmp.h"
#include "hvs/pe.h"
#include "hvs/sym.h"
#include "hvs/vp.h"
#include "util/bytes.h"
#include "util/err.h"

/* Mask of the page-table base in CR3 (drops PCID and bit 63). */
#define CR3_MASK 0x000FFFFFFFFFF000ull
/* BugCheckCode written: LIVE_SYSTEM_DUMP (as elf2dmp does, format.md 9.1). */
#define DMP_BUGCHECK 0x161u
/* Exception record: a breakpoint, non-continuable (as LiveCloudKd). */
#define DMP_EXCEPTION_CODE 0x80000003u

static hvs_status read_gpa(void *ud, uint64_t gpa, void *buf, size_t len)
{
	return hvs_image_read(ud, HVS_SPACE_GPA, gpa, buf, len, NULL);
}

static int kernel_va(uint64_t va)
{
	return va >= 0xFFFF800000000000ull;
}

/* Writer state: what the derivation steps found, for the header. */
typedef struct dmp {
	struct hvs__cvt *c;
	hvs_image *img;
	uint32_t nvps;
	hvs_xlat *x;         /* kernel address space, or NULL */
	uint64_t dtb;
	hvs__dmp_kdbg kdbg;
	int have_kdbg;
	uint8_t kdbg_buf[HVS__KDBG_MAX_SIZE];
	size_t kdbg_len;
	const hvs__alloc *a;  /* the conversion's allocator */
} dmp;

/* A translation context for VP @vp's paging registers with @cr3. */
static hvs_status xlat_for(dmp *d, uint32_t vp, uint64_t cr3, hvs_xlat **out)
{
	hvs_paging_regs pr;
	unsigned fl = 0;
	*out = NULL;
	HVS_TRY(hvs_vp_paging_regs(d->img, vp, &pr, &fl));
	pr.cr3 = cr3;
	return hvs_xlat_new(out, &pr, read_gpa, d->img, fl, d->a->a.malloc ? &d->a->a : NULL);
}

/* Does @cr3 (with VP @vp's other paging registers) map KUSER_SHARED_DATA? */
static int maps_kusd(dmp *d, uint32_t vp, uint64_t cr3)
{
	hvs_xlat *x;
	uint64_t gpa;
	int ok;
	if (xlat_for(d, vp, cr3, &x) != HVS_OK)
		return 0;
	ok = hvs_xlat_translate(x, HVS__KUSD_VA, &gpa, NULL, NULL) == HVS_OK &&
	     hvs_image_gpa_to_raw(d->img, gpa, &(uint64_t){ 0 }) == HVS_OK;
	hvs_xlat_free(x);
	return ok;
}

/* The page-table base in CR3 value @v of VP @vp: PAE's PDPT is only
 * 32-byte aligned (Intel SDM 4.4.1); the other modes use bits 51:12 (x64
 * drops the PCID and bit 63). */
static uint64_t cr3_base(dmp *d, uint32_t vp, uint64_t v)
{
	hvs_paging_mode m;
	if (hvs_image_get_paging_mode(d->img, vp, &m) == HVS_OK && m == HVS_PAGING_X86_PAE)
		return v & 0xFFFFFFE0ull;
	return v & CR3_MASK;
}

static int get_reg(dmp *d, uint32_t vp, hvs_reg r, uint64_t *out)
{
	hvs_regval v;
	if (hvs_image_get_reg(d->img, vp, HVS_VTL_ACTIVE, r, &v) != HVS_OK)
		return 0;
	*out = v.lo;
	return 1;
}

static int get_seg_base(dmp *d, uint32_t vp, hvs_reg r, uint64_t *out)
{
	return get_reg(d, vp, r, out); /* SEGMENT: lo = base */
}

/* Step 1: the kernel CR3 (format.md 9.5); sets d->dtb and d->x. */
static hvs_status pick_cr3(dmp *d)
{
	uint32_t pass, vp, src = 0;
	uint64_t cr3 = 0;
	int found = 0, any = 0;

	/* Pass 0: VPs in kernel mode; pass 1: the others.  A kernel-mode VP
	 * runs on a CR3 that maps the kernel half; a user-mode VP on a KVA
	 * shadow kernel may not, and its CR3 is then refused below.  The first
	 * CR3 seen is kept as the unverified fallback. */
	for (pass = 0; pass < 2 && !found; pass++) {
		for (vp = 0; vp < d->nvps && !found; vp++) {
			int k = 0;
			uint64_t v;
			if (hvs_image_in_kernel(d->img, vp, &k) != HVS_OK)
				k = 0;
			if ((pass == 0) != (k == 1))
				continue;
			if (!get_reg(d, vp, HVS_REG_X64_CR3, &v))
				continue;
			if (!any) {
				any = 1;
				cr3 = cr3_base(d, vp, v);
				src = vp;
			}
			if (maps_kusd(d, vp, cr3_base(d, vp, v))) {
				cr3 = cr3_base(d, vp, v);
				src = vp;
				found = 1;
			}
		}
	}
	/* KVA shadow: the user CR3 does not map the kernel, but the KPCR it
	 * does map holds the kernel's at +0x7000 (elf2dmp's heuristic). */
	for (vp = 0; vp < d->nvps && !found; vp++) {
		static const hvs_reg gs[2] = { HVS_REG_X64_GS, HVS_REG_X64_KERNEL_GS_BASE };
		uint64_t own, base, cand;
		unsigned i;
		if (!get_reg(d, vp, HVS_REG_X64_CR3, &own))
			continue;
		for (i = 0; i < 2 && !found; i++) {
			hvs_xlat *x;
			uint8_t b[8];
			int ok = i == 0 ? get_seg_base(d, vp, gs[i], &base)
					: get_reg(d, vp, gs[i], &base);
			if (!ok || !kernel_va(base) || base > UINT64_MAX - 0x7008)
				continue;
			if (xlat_for(d, vp, cr3_base(d, vp, own), &x) != HVS_OK)
				continue;
			ok = hvs_xlat_read(x, base + 0x7000, b, 8, NULL) == HVS_OK;
			hvs_xlat_free(x);
			if (!ok)
				continue;
			cand = hvs__le64(b) & CR3_MASK;
			if (cand && maps_kusd(d, vp, cand)) {
				cr3 = cand;
				src = vp;
				found = 1;
			}
		}
	}
	if (!any) {
		hvs__cvt_underived(d->c, "DirectoryTableBase",
				   "no VP has a CR3 (memory-only input)");
		return HVS_OK;
	}
	if (!found)
		hvs__cvt_underived(d->c, "DirectoryTableBase (kernel)",
				   "no CR3 maps KUSER_SHARED_DATA; the CR3 of the first VP "
				   "(kernel-mode VPs first) is written, not verified as the kernel's");
	d->dtb = cr3;
	hvs__cvt_note(d->c, "kernel_cr3", cr3);
	hvs__cvt_note(d->c, "kernel_cr3_vp", src);
	if (xlat_for(d, src, cr3, &d->x) != HVS_OK)
		d->x = NULL;
	return HVS_OK;
}

/* Kernel addresses the VPs point at, where the kernel image lies. */
static size_t kernel_hints(dmp *d, uint64_t *h, size_t max)
{
	size_t n = 0;
	uint32_t vp;
	for (vp = 0; vp < d->nvps && n + 3 <= max; vp++) {
		uint64_t v;
		hvs_regval idtr;
		if (get_reg(d, vp, HVS_REG_X64_LSTAR, &v) && kernel_va(v))
			h[n++] = v;
		if (get_reg(d, vp, HVS_REG_X64_RIP, &v) && kernel_va(v))
			h[n++] = v;
		/* IDT gate 0 (divide error): the handler is in the kernel. */
		if (d->x && hvs_image_get_reg(d->img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_IDTR,
					      &idtr) == HVS_OK && kernel_va(idtr.hi)) {
			uint8_t g[16];
			if (hvs_xlat_read(d->x, idtr.hi, g, 16, NULL) == HVS_OK) {
				v = (uint64_t)hvs__le16(g) | (uint64_t)hvs__le16(g + 6) << 16 |
				    (uint64_t)hvs__le32(g + 8) << 32;
				if (kernel_va(v))
					h[n++] = v;
			}
		}
	}
	return n;
}

/* hvs__dmp_resolve_fn over the symbol provider: "nt!Name". */
static hvs_status sym_resolve(void *ud, const char *name, uint64_t *va)
{
	char q[96];
	hvs_sym_global g;
	snprintf(q, sizeof q, "nt!%s", name);
	if (hvs_sym_resolve(ud, q, &g) != HVS_OK || !g.va)
		return HVS_E_NOTFOUND;
	*va = g.va;
	return HVS_OK;
}

/*
 * Kernel symbols (format.md 9.4): the only way to read an encoded KDBG
 * (Windows 8+ booted without a debugger), and a direct way to a plain
 * one.  Looked up with the symbol provider (hvs/sym.h) along the symbol
 * path in _NT_SYMBOL_PATH, never downloading (HVS_SYM_NO_DOWNLOAD: a
 * conversion does not go to the network); without a symbol path nothing
 * is tried and the tag scan is used.  @s is zeroed when not resolved.
 */
static void kernel_symbols(dmp *d, hvs__dmp_kdsyms *s)
{
	hvs_sym *sym = NULL;
	hvs_sym_opts o;
	const char *path = getenv("_NT_SYMBOL_PATH");

	memset(s, 0, sizeof *s);
	if (!path || !*path)
		return;
	memset(&o, 0, sizeof o);
	o.flags = HVS_SYM_NO_DOWNLOAD;
	o.alloc = d->a->a.malloc ? &d->a->a : NULL;
	if (hvs_sym_open(&sym, d->img, &o) != HVS_OK)
		return;
	if (hvs_sym_load_kernel(sym) == HVS_OK)
		(void)hvs__dmp_kdsyms_resolve(s, sym_resolve, sym);
	hvs_sym_close(sym);
}

/* Add patches for @len bytes at kernel VA @va (page by page). */
static hvs_status patch_va(dmp *d, uint64_t va, const uint8_t *buf, size_t len,
			   const char *what)
{
	size_t done = 0;
	while (done < len) {
		uint64_t gpa, raw;
		size_t n = HVS__DMP_PAGE - (size_t)((va + done) & (HVS__DMP_PAGE - 1));
		if (n > len - done)
			n = len - done;
		if (hvs_xlat_translate(d->x, va + done, &gpa, NULL, NULL) != HVS_OK ||
		    hvs_image_gpa_to_raw(d->img, gpa, &raw) != HVS_OK ||
		    hvs_image_gpa_to_raw(d->img, gpa + n - 1, &raw) != HVS_OK) {
			hvs__cvt_underived(d->c, what, "its address is not mapped to saved memory");
			return HVS_E_NOTPRESENT;
		}
		HVS_TRY(hvs__cvt_add_patch(d->c, gpa, buf + done, n));
		done += n;
	}
	return HVS_OK;
}

/* Does the Hyper-V guest OS id (TLFS: bit 63 set = open-source OS, e.g.
 * Linux) say the guest is not Windows? */
static int open_source_guest(dmp *d)
{
	hvs_partition_info pi;
	hvs_image_partition_info(d->img, &pi);
	return (pi.guest_os_id_mask & 1) && (pi.guest_os_id[0] >> 63);
}

/* Step 2: the KDBG. */
static hvs_status find_kdbg(dmp *d)
{
	hvs__dmp_kdsyms syms;
	const char *why = NULL;
	hvs_status s;

	if (!d->x) {
		hvs__cvt_underived(d->c, "KdDebuggerDataBlock", "no kernel address space");
		return HVS_OK;
	}
	kernel_symbols(d, &syms);
	s = hvs__dmp_kdbg_from_symbols(&d->kdbg, d->kdbg_buf, &d->kdbg_len, d->x, &syms, &why);
	if (s == HVS_OK) {
		d->have_kdbg = 1;
		hvs__cvt_note(d->c, "kdbg_from_symbols", 1);
		hvs__cvt_note(d->c, "kdbg_decoded", (uint64_t)d->kdbg.decoded);
		if (d->kdbg.decoded) /* format.md 9.4: debuggers read it decoded */
			(void)patch_va(d, d->kdbg.va, d->kdbg_buf, d->kdbg_len,
				       "KdDebuggerDataBlock (decoded copy)");
	} else if (open_source_guest(d)) {
		/* No need to read up to 64 MiB looking for a Windows structure. */
		hvs__cvt_underived(d->c, "KdDebuggerDataBlock",
				   "the Hyper-V guest OS id names an open-source OS, not Windows");
	} else {
		uint64_t hints[48], pages = 0;
		size_t nh = kernel_hints(d, hints, sizeof hints / sizeof hints[0]);
		s = hvs__dmp_kdbg_scan(d->a, &d->kdbg, d->kdbg_buf, &d->kdbg_len, d->x,
				       read_gpa, d->img, hints, nh, &pages);
		hvs__cvt_note(d->c, "kdbg_scan_pages", pages);
		if (s == HVS_E_NOMEM)
			return hvs__cvt_err(d->c, s, "crash dump: KDBG scan: out of memory");
		if (s == HVS_OK) {
			d->have_kdbg = 1;
		} else {
			hvs__cvt_underived(d->c, "KdDebuggerDataBlock",
					   nh ? "no \"KDBG\" tag in the kernel memory scanned "
						"(not Windows, or an encoded block and no kernel symbols)"
					      : "no kernel address (LSTAR, IDT, RIP) to scan from");
		}
	}
	if (d->have_kdbg)
		hvs__cvt_note(d->c, "kdbg", d->kdbg.va);
	else {
		hvs__cvt_underived(d->c, "PsLoadedModuleList", "no KDBG");
		hvs__cvt_underived(d->c, "PsActiveProcessHead", "no KDBG");
		hvs__cvt_underived(d->c, "PfnDataBase", "no KDBG");
		if (d->nvps)
			hvs__cvt_underived(d->c, "per-VP CONTEXT in KPRCB",
					   "no KDBG (KiProcessorBlock, OffsetPrcbContext)");
	}
	return HVS_OK;
}

/* Step 4: every VP's CONTEXT at *(KiProcessorBlock[i] + OffsetPrcbContext). */
static hvs_status patch_contexts(dmp *d, uint8_t (*ctx)[HVS__DMP_CONTEXT_SIZE])
{
	uint32_t i, done = 0;
	if (!d->have_kdbg || !d->nvps)
		return HVS_OK;
	if (d->kdbg.off_prcb_context == 0) {
		hvs__cvt_underived(d->c, "per-VP CONTEXT in KPRCB", "KDBG OffsetPrcbContext is 0");
		return HVS_OK;
	}
	for (i = 0; i < d->nvps; i++) {
		uint8_t b[8];
		uint64_t prcb, cva;
		char what[64];
		hvs_status s;
		snprintf(what, sizeof what, "CONTEXT of VP %u in its KPRCB", i);
		/* KiProcessorBlock is an array of KPRCB pointers indexed by
		 * processor number; Hyper-V numbers VPs in the same order. */
		if (hvs_xlat_read(d->x, d->kdbg.ki_processor_block + 8ull * i, b, 8, NULL) != HVS_OK ||
		    !kernel_va(prcb = hvs__le64(b))) {
			hvs__cvt_underived(d->c, what, "KiProcessorBlock entry not readable or not a kernel address");
			continue;
		}
		/* KPRCB.Context is a pointer (elf2dmp, LiveCloudKd dereference
		 * it); the CONTEXT it points at is what debuggers read. */
		if (hvs_xlat_read(d->x, prcb + d->kdbg.off_prcb_context, b, 8, NULL) != HVS_OK ||
		    !kernel_va(cva = hvs__le64(b))) {
			hvs__cvt_underived(d->c, what, "KPRCB.Context not readable or not a kernel address");
			continue;
		}
		s = patch_va(d, cva, ctx[i], HVS__DMP_CONTEXT_SIZE, what);
		if (s == HVS_OK)
			done++;
		else if (s != HVS_E_NOTPRESENT)
			return s;
	}
	hvs__cvt_note(d->c, "vp_contexts_written", done);
	return HVS_OK;
}

/*
 * NtBuildNumber, the kernel's exported variable (0xF0000000 | build on a
 * free build, 0xC... checked; format.md 9.1): read through the export
 * table of the image at KDBG.KernBase.  Needs no symbols.
 */
static int export_build(dmp *d, uint32_t *out)
{
	hvs_pe *pe = NULL;
	const hvs_pe_export *e;
	uint8_t b[4];
	int ok = 0;
	if (!d->have_kdbg || hvs_pe_open_xlat(&pe, d->x, d->kdbg.kern_base, NULL) != HVS_OK)
		return 0;
	if (hvs_pe_find_export(pe, "NtBuildNumber", &e) == HVS_OK && e->rva && !e->forwarder &&
	    hvs_xlat_read(d->x, d->kdbg.kern_base + e->rva, b, 4, NULL) == HVS_OK) {
		uint32_t v = hvs__le32(b);
		if (((v >> 28) == 0xF || (v >> 28) == 0xC) && (v & 0xFFFF)) {
			*out = v;
			ok = 1;
		}
	}
	hvs_pe_close(pe);
	return ok;
}

/* Step 3: facts from KUSER_SHARED_DATA and the guest OS id. */
static void kusd_facts(dmp *d, hvs__dmp_header_info *h)
{
	uint8_t k[HVS__KUSD_READ];
	hvs_partition_info pi;
	int have = d->x && hvs_xlat_read(d->x, HVS__KUSD_VA, k, sizeof k, NULL) == HVS_OK;
	uint32_t build = 0, major = have ? hvs__le32(k + HVS__KUSD_NT_MAJOR) : 0;
	uint32_t product = have ? hvs__le32(k + HVS__KUSD_PRODUCT_TYPE) : 0;

	/* Something else may be mapped there in a non-Windows guest: trust
	 * the page only if it looks like KUSER_SHARED_DATA (NtMajorVersion of
	 * NT 5 .. 15, NtProductType WinNt 1, LanManNt 2 or Server 3). */
	if (have && (major < 5 || major > 15 || product < 1 || product > 3))
		have = 0;

	if (have) {
		h->product_type = product;
		h->suite_mask = hvs__le32(k + HVS__KUSD_SUITE_MASK);
		/* KSYSTEM_TIME: LowPart, High1Time (High2Time repeats it). */
		h->system_time = hvs__le64(k + HVS__KUSD_SYSTEM_TIME);
		h->system_uptime = hvs__le64(k + HVS__KUSD_INTERRUPT_TIME);
		/* NtBuildNumber is in KUSER_SHARED_DATA from Windows 10 on. */
		if (major >= 10)
			build = hvs__le32(k + HVS__KUSD_NT_BUILD) & 0xFFFF;
	} else {
		static const char *const f[4] = { "ProductType", "SuiteMask", "SystemTime",
						  "SystemUpTime" };
		unsigned i;
		for (i = 0; i < 4; i++)
			hvs__cvt_underived(d->c, f[i], "no KUSER_SHARED_DATA at 0xFFFFF78000000000 "
					   "in the kernel address space");
	}
	/* Hyper-V guest OS id (TLFS): Microsoft (vendor 1), Windows NT (4):
	 * build in bits 15:0. */
	hvs_image_partition_info(d->img, &pi);
	if (!build && (pi.guest_os_id_mask & 1) && !(pi.guest_os_id[0] >> 63) &&
	    ((pi.guest_os_id[0] >> 48) & 0x7FFF) == 1 && ((pi.guest_os_id[0] >> 40) & 0xFF) == 4)
		build = (uint32_t)(pi.guest_os_id[0] & 0xFFFF);
	{
		uint32_t nt;
		if (export_build(d, &nt)) {
			/* The kernel's own variable wins: it also tells checked builds. */
			h->major_version = nt >> 28;
			h->minor_version = nt & 0xFFFF;
			hvs__cvt_note(d->c, "nt_build_number", nt);
			return;
		}
	}
	if (build) {
		/* 0xF: a free build (the only kind these sources describe). */
		h->major_version = 0xF;
		h->minor_version = build;
	} else {
		hvs__cvt_underived(d->c, "MajorVersion", "no Windows build number found");
		hvs__cvt_underived(d->c, "MinorVersion", "no Windows build number found");
	}
}

/* Write the pages of a full dump: run by run, gaps inside a run are holes. */
static hvs_status write_full(dmp *d, const hvs__dmp_run *runs, size_t nruns)
{
	const hvs_mem_range *r = hvs_image_ranges(d->img);
	size_t nr = hvs_image_range_count(d->img), i, k = 0;
	uint64_t off = HVS__DMP_HEADER_SIZE;
	/* Runs were built from the sorted ranges, so every range lies inside
	 * one run: walk both in step.  Gap pages and partial-page tails are
	 * never written (holes read as zeros; the pipeline sizes the file). */
	for (i = 0; i < nruns; i++) {
		uint64_t lo = runs[i].base_page * HVS__DMP_PAGE;
		uint64_t hi = lo + runs[i].page_count * HVS__DMP_PAGE;
		for (; k < nr && r[k].gpa < hi; k++) {
			if (r[k].size == 0)
				continue;
			HVS_TRY(hvs__cvt_copy_gpa(d->c, r[k].gpa, r[k].size,
						  off + (r[k].gpa - lo)));
			hvs__cvt_range_done(d->c);
		}
		off += hi - lo;
	}
	return HVS_OK;
}

/* Write the pages of a bitmap dump, in ascending PFN order. */
static hvs_status write_bitmap(dmp *d, uint64_t first_page_off)
{
	const hvs_mem_range *r = hvs_image_ranges(d->img);
	size_t nr = hvs_image_range_count(d->img), i;
	uint64_t stored = 0, last_pfn = UINT64_MAX;
	for (i = 0; i < nr; i++) {
		uint64_t first, lastp, rank;
		if (r[i].size == 0)
			continue;
		first = r[i].gpa / HVS__DMP_PAGE;
		lastp = (r[i].gpa + r[i].size - 1) / HVS__DMP_PAGE;
		/* A page shared with the previous range is already counted. */
		rank = first == last_pfn ? stored - 1 : stored;
		HVS_TRY(hvs__cvt_copy_gpa(d->c, r[i].gpa, r[i].size,
					  first_page_off + rank * HVS__DMP_PAGE +
						  (r[i].gpa - first * HVS__DMP_PAGE)));
		hvs__cvt_range_done(d->c);
		stored = rank + (lastp - first + 1);
		last_pfn = lastp;
	}
	return HVS_OK;
}

hvs_status hvs__convert_dmp(struct hvs__cvt *c)
{
	dmp *d;
	hvs__dmp_header_info h;
	hvs__dmp_run *runs = NULL;
	size_t nruns = 0;
	uint64_t gap_pages = 0, pages, fsize;
	uint8_t *hdr = NULL, *summary = NULL;
	uint8_t (*ctx)[HVS__DMP_CONTEXT_SIZE] = NULL;
	size_t summary_len = 0;
	hvs_partition_info pi;
	int type = hvs__cvt_dmp_type(c);
	uint32_t i;
	hvs_status s;
	char comment[128];

	const hvs__alloc *a = hvs__cvt_alloc(c);

	d = hvs__calloc(a, 1, sizeof *d);
	hdr = hvs__calloc(a, 1, HVS__DMP_HEADER_SIZE);
	if (!d || !hdr) {
		hvs__free(a, d);
		hvs__free(a, hdr);
		return hvs__cvt_err(c, HVS_E_NOMEM, "crash dump: out of memory");
	}
	d->a = a;
	d->c = c;
	d->img = hvs__cvt_image(c);
	d->nvps = hvs_image_vp_count(d->img);
	memset(&h, 0, sizeof h);

	hvs_image_partition_info(d->img, &pi);
	if (d->nvps) {
		hvs_vp_info vi0;
		if (hvs_image_vp_info(d->img, 0, &vi0) == HVS_OK && vi0.arch == HVS_ARCH_ARM64)
			pi.arch = HVS_ARCH_ARM64; /* e.g. an input without partition facts */
	}
	if (pi.arch == HVS_ARCH_ARM64) {
		s = hvs__cvt_err(c, HVS_E_UNSUPPORTED,
				 "crash dump: ARM64 guests are not supported (the writer "
				 "makes AMD64 dumps; use --to elf or raw)");
		goto out;
	}
	if (type != (int)HVS__DMP_TYPE_FULL && type != (int)HVS__DMP_TYPE_BITMAP) {
		s = hvs__cvt_err(c, HVS_E_INVALID, "crash dump: DumpType %d (want 1 or 5)", type);
		goto out;
	}

	/* Registers first: each VP's CONTEXT, VP 0's also in the header. */
	if (d->nvps) {
		hvs__dmp_regs *r = hvs__malloc(a, sizeof *r);
		ctx = hvs__calloc(a, d->nvps, sizeof *ctx);
		if (!r || !ctx) {
			hvs__free(a, r);
			s = hvs__cvt_err(c, HVS_E_NOMEM, "crash dump: out of memory");
			goto out;
		}
		for (i = 0; i < d->nvps; i++) {
			hvs__dmp_regs_from_image(r, d->img, i);
			hvs__dmp_encode_context(ctx[i], r);
			if (i == 0)
				h.exception_address = r->val[HVS_REG_X64_RIP].lo;
		}
		hvs__free(a, r);
		h.context = ctx[0];
		/* A 32-bit guest gets an AMD64 dump all the same (physical pages
		 * and DirectoryTableBase serve any reader); the summary says so. */
		{
			hvs_vp_info vi;
			if (hvs_image_vp_info(d->img, 0, &vi) == HVS_OK && vi.arch == HVS_ARCH_X86)
				hvs__cvt_underived(c, "ContextRecord (AMD64)",
						   "VP 0 runs in 32-bit mode: its registers are "
						   "written zero-extended into an AMD64 CONTEXT");
		}
	} else {
		hvs__cvt_underived(c, "ContextRecord", "the input has no virtual processors");
	}

	/* Derivation, in dependency order: the kernel address space first,
	 * then the KDBG inside it, then what the KDBG and KUSER_SHARED_DATA
	 * give.  Patches must all be registered before the first page copy. */
	if ((s = pick_cr3(d)) != HVS_OK || (s = find_kdbg(d)) != HVS_OK)
		goto out;
	kusd_facts(d, &h);
	if ((s = patch_contexts(d, ctx)) != HVS_OK)
		goto out;

	/* Layout.  The full dump needs at most 42 runs (merging the smallest
	 * gaps); the bitmap dump stores the descriptor too (readers ignore it
	 * there) and its pages by bitmap rank. */
	s = hvs__dmp_make_runs(a, hvs_image_ranges(d->img), hvs_image_range_count(d->img),
			       HVS__DMP_MAX_RUNS, &runs, &nruns, &gap_pages);
	if (s != HVS_OK) {
		s = hvs__cvt_err(c, s, "crash dump: out of memory (runs)");
		goto out;
	}
	if (nruns == 0) {
		s = hvs__cvt_err(c, HVS_E_INVALID, "crash dump: the input has no memory");
		goto out;
	}
	if (type == (int)HVS__DMP_TYPE_FULL) {
		pages = hvs__dmp_run_pages(runs, nruns);
		fsize = HVS__DMP_HEADER_SIZE + pages * HVS__DMP_PAGE;
		hvs__cvt_note(c, "gap_pages", gap_pages);
	} else {
		uint64_t bits;
		s = hvs__dmp_make_bitmap(a, hvs_image_ranges(d->img),
					 hvs_image_range_count(d->img), &summary, &summary_len,
					 &pages, &bits);
		if (s != HVS_OK) {
			s = hvs__cvt_err(c, s, s == HVS_E_NOMEM ? "crash dump: out of memory (bitmap)"
						 : "crash dump: guest-physical memory above 8 TiB "
						   "does not fit a bitmap dump");
			goto out;
		}
		fsize = HVS__DMP_HEADER_SIZE + summary_len + pages * HVS__DMP_PAGE;
		hvs__cvt_note(c, "bitmap_bits", bits);
	}
	hvs__cvt_note(c, "dump_type", (uint64_t)type);
	hvs__cvt_note(c, "runs", nruns);
	hvs__cvt_note(c, "pages", pages);

	h.dump_type = (uint32_t)type;
	h.dtb = d->dtb;
	h.machine = 0x8664;
	h.nprocs = d->nvps;
	h.bugcheck_code = DMP_BUGCHECK;
	h.runs = runs;
	h.nruns = nruns;
	h.exception_code = DMP_EXCEPTION_CODE;
	h.exception_flags = 1;
	h.required_space = fsize;
	if (d->have_kdbg) {
		h.kdbg = d->kdbg.va;
		h.pfn_db = d->kdbg.mm_pfn_database;
		h.ps_loaded_module_list = d->kdbg.ps_loaded_module_list;
		h.ps_active_process_head = d->kdbg.ps_active_process_head;
	}
	snprintf(comment, sizeof comment, "hvsavedstate %s: converted from a %s image",
		 hvs_version(), hvs_image_format_name(hvs_image_get_format(d->img)));
	h.comment = comment;
	if ((s = hvs__dmp_build_header(hdr, &h)) != HVS_OK) {
		s = hvs__cvt_err(c, s, "crash dump: header: too many runs");
		goto out;
	}
	if ((s = hvs__cvt_write(c, 0, hdr, HVS__DMP_HEADER_SIZE)) != HVS_OK)
		goto out;
	if (type == (int)HVS__DMP_TYPE_FULL) {
		s = write_full(d, runs, nruns);
	} else {
		s = hvs__cvt_write(c, HVS__DMP_HEADER_SIZE, summary, summary_len);
		if (s == HVS_OK)
			s = write_bitmap(d, HVS__DMP_HEADER_SIZE + summary_len);
	}
	/* The last page may end in a hole (a range ending inside a page), as
	 * may the zero gap pages: the pipeline sizes the file. */
	if (s == HVS_OK)
		s = hvs__cvt_set_size(c, fsize);
out:
	hvs_xlat_free(d->x);
	hvs__free(a, runs);
	hvs__free(a, summary);
	hvs__free(a, ctx);
	hvs__free(a, hdr);
	hvs__free(a, d);
	return s;
}
