/* SPDX-License-Identifier: MIT */
/*
 * Raw output: file offset = guest-physical address.  Each range of the
 * image is streamed to its own GPA; gaps are never written, so they are
 * holes on filesystems with sparse files, and the file is extended to the
 * end of the last range.
 *
 * The sidecar "<out>.json" (docs/convert.md) lists the ranges and every
 * VP's registers.  Its "arch"/"cpus"/"registers"/"segments"/"tables"
 * members follow the registers.json layout of ../shared/guests (QEMU
 * `info registers` names, case-insensitive), so `--regs-json OUT.json`
 * gives a raw image its processor state back; the "hvs" member of each
 * CPU holds every register's exact 16-byte value (lo, hi) by hvs name.
 */
#include <inttypes.h>
#include <string.h>

#include "convert/cvt_priv.h"
#include "convert/sbuf.h"
#include "hvs/image.h"
#include "hvs/regs.h"

static const char *qemu_arch(hvs_arch a)
{
	return a == HVS_ARCH_ARM64 ? "aarch64" : a == HVS_ARCH_X86 ? "i386" : "x86_64";
}

/* One VP's registers (active VTL) into @b. */
static void vp_json(struct hvs__cvt *c, hvs__sbuf *b, uint32_t vp)
{
	hvs_image *img = hvs__cvt_image(c);
	hvs_vp_info vi;
	hvs_regval v;
	unsigned r;
	int first;
	hvs_arch regarch;
	memset(&vi, 0, sizeof vi);
	hvs_image_vp_info(img, vp, &vi);
	regarch = vi.arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64 : HVS_ARCH_X64;
	hvs__sbuf_printf(b, "  {\n   \"cpu\": %u,\n   \"index\": %u,\n   \"arch\": \"%s\",\n"
			 "   \"active_vtl\": %u,\n   \"vtl_mask\": %u,\n   \"registers\": {",
			 vp, vi.index, hvs_arch_name(vi.arch), vi.active_vtl, vi.vtl_mask);
	first = 1;
	for (r = 0; r < HVS_REG_COUNT; r++) {
		hvs_regkind k = hvs_reg_kind((hvs_reg)r);
		if (hvs_reg_arch((hvs_reg)r) != regarch ||
		    (k != HVS_REGKIND_U64 && k != HVS_REGKIND_U128) ||
		    hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)r, &v) != HVS_OK)
			continue;
		if (k == HVS_REGKIND_U64)
			hvs__sbuf_printf(b, "%s\n    \"%s\": \"0x%016" PRIx64 "\"", first ? "" : ",",
					 hvs_reg_name((hvs_reg)r), v.lo);
		else
			hvs__sbuf_printf(b, "%s\n    \"%s\": \"0x%016" PRIx64 "%016" PRIx64 "\"",
					 first ? "" : ",", hvs_reg_name((hvs_reg)r), v.hi, v.lo);
		first = 0;
	}
	hvs__sbuf_printf(b, "\n   }");
	if (regarch == HVS_ARCH_X64) {
		/* QEMU's descriptor flags are the VMX access rights << 8. */
		hvs__sbuf_printf(b, ",\n   \"segments\": {");
		first = 1;
		for (r = 0; r < HVS_REG_COUNT; r++) {
			if (hvs_reg_kind((hvs_reg)r) != HVS_REGKIND_SEGMENT ||
			    hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)r, &v) != HVS_OK)
				continue;
			hvs__sbuf_printf(b, "%s\n    \"%s\": {\"selector\": \"0x%04x\", \"base\": \"0x%016"
					 PRIx64 "\", \"limit\": \"0x%08x\", \"flags\": \"0x%08x\"}",
					 first ? "" : ",", hvs_reg_name((hvs_reg)r),
					 (unsigned)((v.hi >> 32) & 0xffff), v.lo,
					 (unsigned)(v.hi & 0xffffffff),
					 (unsigned)(((v.hi >> 48) & 0xffff) << 8));
			first = 0;
		}
		hvs__sbuf_printf(b, "\n   },\n   \"tables\": {");
		first = 1;
		for (r = HVS_REG_X64_IDTR; r <= HVS_REG_X64_GDTR; r++) {
			if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)r, &v) != HVS_OK)
				continue;
			hvs__sbuf_printf(b, "%s\n    \"%s\": {\"base\": \"0x%016" PRIx64
					 "\", \"limit\": \"0x%08x\"}", first ? "" : ",",
					 r == HVS_REG_X64_GDTR ? "GDT" : "IDT", v.hi,
					 (unsigned)(v.lo & 0xffff));
			first = 0;
		}
		hvs__sbuf_printf(b, "\n   }");
	}
	/* Exact values of every register the VP has, all kinds. */
	hvs__sbuf_printf(b, ",\n   \"hvs\": {");
	first = 1;
	for (r = 0; r < HVS_REG_COUNT; r++) {
		if (hvs_reg_kind((hvs_reg)r) == HVS_REGKIND_NONE || hvs_reg_arch((hvs_reg)r) != regarch ||
		    hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)r, &v) != HVS_OK)
			continue;
		hvs__sbuf_printf(b, "%s\n    \"%s\": [\"0x%016" PRIx64 "\", \"0x%016" PRIx64 "\"]",
				 first ? "" : ",", hvs_reg_name((hvs_reg)r), v.lo, v.hi);
		first = 0;
	}
	hvs__sbuf_printf(b, "\n   }\n  }");
}

/* The sidecar document. */
static hvs_status sidecar(struct hvs__cvt *c)
{
	hvs_image *img = hvs__cvt_image(c);
	const hvs_mem_range *r = hvs_image_ranges(img);
	size_t n = hvs_image_range_count(img), i;
	uint32_t nvp = hvs_image_vp_count(img), v;
	hvs_partition_info pi;
	hvs__sbuf b;
	hvs_status s;
	hvs_vp_info vi0;
	hvs_arch arch;
	memset(&pi, 0, sizeof pi);
	hvs_image_partition_info(img, &pi);
	arch = pi.arch;
	if (nvp > 0 && hvs_image_vp_info(img, 0, &vi0) == HVS_OK && vi0.arch != HVS_ARCH_UNKNOWN)
		arch = vi0.arch;
	hvs__sbuf_init(&b, hvs__cvt_alloc(c));
	hvs__sbuf_printf(&b, "{\n \"format\": \"hvs-raw\",\n \"version\": 1,\n \"source\": ");
	hvs__sbuf_json_str(&b, hvs_image_format_name(hvs_image_get_format(img)));
	hvs__sbuf_printf(&b, ",\n \"arch\": \"%s\",\n \"ranges\": [", qemu_arch(arch));
	for (i = 0; i < n; i++)
		hvs__sbuf_printf(&b, "%s\n  {\"gpa\": \"0x%" PRIx64 "\", \"size\": \"0x%" PRIx64
				 "\", \"file_offset\": \"0x%" PRIx64 "\"}", i ? "," : "",
				 r[i].gpa, r[i].size, r[i].gpa);
	hvs__sbuf_printf(&b, "\n ],\n \"cpus\": [");
	for (v = 0; v < nvp; v++) {
		hvs__sbuf_printf(&b, "%s\n", v ? "," : "");
		vp_json(c, &b, v);
	}
	hvs__sbuf_printf(&b, "\n ]\n}\n");
	if (b.failed) {
		hvs__sbuf_free(&b);
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for the sidecar");
	}
	s = hvs__cvt_sidecar(c, ".json", b.p, b.len);
	hvs__sbuf_free(&b);
	return s;
}

hvs_status hvs__convert_raw(struct hvs__cvt *c)
{
	hvs_image *img = hvs__cvt_image(c);
	const hvs_mem_range *r = hvs_image_ranges(img);
	size_t n = hvs_image_range_count(img), i;
	/* The sidecar first: it is small and refuses an existing OUT.json
	 * before gigabytes are copied. */
	HVS_TRY(sidecar(c));
	for (i = 0; i < n; i++) {
		if (r[i].size == 0)
			continue;
		HVS_TRY(hvs__cvt_copy_gpa(c, r[i].gpa, r[i].size, r[i].gpa));
		hvs__cvt_range_done(c);
	}
	if (n > 0)
		HVS_TRY(hvs__cvt_set_size(c, r[n - 1].gpa + r[n - 1].size));
	return HVS_OK;
}
