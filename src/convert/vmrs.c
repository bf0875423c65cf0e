/* SPDX-License-Identifier: MIT */
/*
 * .vmrs output: any image written as a Hyper-V saved state with the
 * library's writer (include/hvs/vmrs_writer.h) at the pipeline's
 * temporary path.  Carried over: every VP (by its saved index) with every
 * register of every VTL the image holds that a saved-state chunk can
 * hold, the active VTL, the guest OS ids, the VM version (when >= 6.0),
 * the processor vendor and all memory ranges.  Memory is pushed range by
 * range from the pipeline's stream (so compressed inputs decode on all
 * cores) into raw 1 MiB RamBlocks, as openvmm writes them.
 *
 * Ranges must be 4 KiB aligned (a saved state stores whole pages); other
 * layouts (a raw image with an odd --layout) fail with HVS_E_UNSUPPORTED.
 */
#include <inttypes.h>
#include <string.h>

#include "convert/cvt_priv.h"
#include "hvs/vmrs_writer.h"

static hvs_status to_writer(struct hvs__cvt *c, void *ud, uint64_t gpa, const unsigned char *buf,
			    size_t len)
{
	hvs_vmrs_writer *w = ud;
	hvs_status s = hvs_vmrs_writer_write_memory(w, buf, len);
	if (s != HVS_OK)
		return hvs__cvt_err(c, s, "%s: writing guest memory at GPA 0x%" PRIx64 ": %s",
				    hvs__cvt_tmp_path(c), gpa, hvs_vmrs_writer_errmsg(w));
	return HVS_OK;
}

static hvs_vmrs_vendor vendor_of(uint32_t v)
{
	switch (v) {
	case 0: return HVS_VMRS_VENDOR_AMD;
	case 1: return HVS_VMRS_VENDOR_INTEL;
	case 2: return HVS_VMRS_VENDOR_HYGON;
	case 0x10: return HVS_VMRS_VENDOR_ARM;
	default: return HVS_VMRS_VENDOR_DEFAULT;
	}
}

/* Registers of every VTL of VP position @vp; counts those no chunk holds. */
static hvs_status put_vp(struct hvs__cvt *c, hvs_vmrs_writer *w, uint32_t vp, hvs_arch arch,
			 uint64_t *dropped)
{
	hvs_image *img = hvs__cvt_image(c);
	hvs_vp_info vi;
	hvs_status s;
	uint32_t vtl, mask;
	unsigned r;
	HVS_TRY(hvs_image_vp_info(img, vp, &vi));
	mask = vi.vtl_mask ? vi.vtl_mask : 1u;
	s = hvs_vmrs_writer_add_vp(w, vi.index, mask);
	if (s != HVS_OK)
		return hvs__cvt_err(c, s, "VP %u (index %u): %s", vp, vi.index,
				    hvs_vmrs_writer_errmsg(w));
	for (vtl = 0; vtl < HVS_VTL_COUNT; vtl++) {
		if (!(mask & (1u << vtl)))
			continue;
		for (r = 0; r < HVS_REG_COUNT; r++) {
			hvs_regval v;
			hvs_reg reg = (hvs_reg)r;
			if (hvs_reg_kind(reg) == HVS_REGKIND_NONE ||
			    hvs_reg_arch(reg) != (arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64 : HVS_ARCH_X64))
				continue;
			/* A single-VTL image answers for VTL_ACTIVE only in some backends. */
			s = hvs_image_get_reg(img, vp, mask == 1u ? HVS_VTL_ACTIVE : (int)vtl, reg, &v);
			if (s != HVS_OK)
				continue;
			if (hvs_vmrs_writer_set_reg(w, vi.index, vtl, reg, &v) != HVS_OK)
				(*dropped)++;
		}
	}
	/*
	 * A VP in long mode whose input holds no EFER (ELF cores, raw images
	 * with --regs-json): the saved state's readers decide the mode from
	 * EFER, so LME|LMA (bits 8 and 10, Intel SDM Vol.3 2.2.1) are set;
	 * the other EFER bits are not known and stay 0.
	 */
	if (vi.arch == HVS_ARCH_X64) {
		hvs_regval e;
		if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_EFER, &e) != HVS_OK) {
			e.lo = 0x500;
			e.hi = 0;
			if (hvs_vmrs_writer_set_reg(w, vi.index, vi.active_vtl, HVS_REG_X64_EFER, &e) ==
			    HVS_OK)
				hvs__cvt_underived(c, "EFER", "not in the input: LME|LMA written from long "
						   "mode, other bits 0");
		}
	}
	if (mask != 1u && hvs_vmrs_writer_set_active_vtl(w, vi.index, vi.active_vtl) != HVS_OK)
		hvs__cvt_underived(c, "active VTL", "the VP's active VTL is not in its VTL mask");
	return HVS_OK;
}

hvs_status hvs__convert_vmrs(struct hvs__cvt *c)
{
	hvs_image *img = hvs__cvt_image(c);
	const hvs_mem_range *r = hvs_image_ranges(img);
	size_t nr = hvs_image_range_count(img), i;
	uint32_t nvp = hvs_image_vp_count(img), v;
	hvs_partition_info pi;
	hvs_vmrs_writer_opts wo;
	hvs_vmrs_writer *w = NULL;
	char eb[HVS_ERRMSG_MAX] = "";
	hvs_status s;
	hvs_arch arch;
	uint64_t dropped = 0;

	memset(&pi, 0, sizeof pi);
	hvs_image_partition_info(img, &pi);
	arch = pi.arch;
	if (nvp > 0) {
		hvs_vp_info vi;
		if (hvs_image_vp_info(img, 0, &vi) == HVS_OK && vi.arch == HVS_ARCH_ARM64)
			arch = HVS_ARCH_ARM64;
	}
	for (i = 0; i < nr; i++)
		if ((r[i].gpa | r[i].size) & 4095)
			return hvs__cvt_err(c, HVS_E_UNSUPPORTED,
					    "range [0x%" PRIx64 ", +0x%" PRIx64 ") is not 4 KiB aligned: "
					    "a saved state stores whole pages", r[i].gpa, r[i].size);
	memset(&wo, 0, sizeof wo);
	wo.errbuf = eb;
	wo.errbuf_size = sizeof eb;
	wo.arch = arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64 : HVS_ARCH_X64;
	wo.vendor = vendor_of(pi.vendor);
	if ((wo.vendor == HVS_VMRS_VENDOR_ARM) != (wo.arch == HVS_ARCH_ARM64))
		wo.vendor = HVS_VMRS_VENDOR_DEFAULT;
	wo.vm_version = pi.vm_version >= 0x600 ? pi.vm_version : 0;
	if (pi.vm_version && pi.vm_version < 0x600)
		hvs__cvt_underived(c, "VmVersion", "the input's VM version is below 6.0; 9.0 written");
	wo.encoding = HVS_VMRS_ENC_RAW;
	s = hvs_vmrs_writer_create(&w, hvs__cvt_tmp_path(c), &wo);
	if (s != HVS_OK)
		return hvs__cvt_err(c, s, "%s: %s", hvs__cvt_tmp_path(c), eb[0] ? eb : "cannot create");
	for (v = 0; v < nvp && s == HVS_OK; v++)
		s = put_vp(c, w, v, arch, &dropped);
	if (dropped)
		hvs__cvt_note(c, "registers_not_representable", dropped);
	for (v = 0; v < HVS_VTL_COUNT && s == HVS_OK; v++)
		if (pi.guest_os_id_mask & (1u << v))
			s = hvs_vmrs_writer_set_guest_os_id(w, v, pi.guest_os_id[v]);
	for (i = 0; i < nr && s == HVS_OK; i++) {
		if (r[i].size == 0)
			continue;
		s = hvs_vmrs_writer_add_range(w, r[i].gpa, r[i].size);
		if (s != HVS_OK)
			s = hvs__cvt_err(c, s, "range 0x%" PRIx64 ": %s", r[i].gpa,
					 hvs_vmrs_writer_errmsg(w));
	}
	for (i = 0; i < nr && s == HVS_OK; i++) {
		if (r[i].size == 0)
			continue;
		s = hvs__cvt_stream_gpa(c, r[i].gpa, r[i].size, to_writer, w);
		hvs__cvt_range_done(c);
	}
	if (s == HVS_OK) {
		s = hvs_vmrs_writer_finish(w);
		if (s != HVS_OK)
			s = hvs__cvt_err(c, s, "%s: %s", hvs__cvt_tmp_path(c), hvs_vmrs_writer_errmsg(w));
	}
	hvs_vmrs_writer_close(w);
	/* The writer wrote the file itself: count its bytes for the summary. */
	if (s == HVS_OK) {
		uint64_t sz;
		if (hvs__file_size(c->fh, &sz) == 0)
			c->bytes_written += sz;
	}
	return s;
}
