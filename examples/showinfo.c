/* SPDX-License-Identifier: MIT */
/*
 * showinfo: open a saved state (or any image hvsavedstate reads) with the
 * native API and print its VPs, a few registers and its memory map, then
 * the first bytes of guest-physical memory.
 *
 *   example_showinfo FILE
 */
#include <inttypes.h>
#include <stdio.h>

#include <hvs/hvs.h>

int main(int argc, char **argv)
{
	hvs_image *img;
	hvs_image_opts o = { 0 };
	char err[HVS_ERRMSG_MAX] = "";
	const hvs_mem_range *r;
	uint32_t vp;
	size_t i, done = 0;
	uint8_t b[16];

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	/* Open failures have no handle yet: the message goes to errbuf. */
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	if (hvs_image_open(&img, argv[1], &o) != HVS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("format %s, %u VPs\n", hvs_image_format_name(hvs_image_get_format(img)),
	       hvs_image_vp_count(img));
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		hvs_vp_info vi;
		hvs_regval pc, root;
		int kernel = 0;
		hvs_image_vp_info(img, vp, &vi);
		/* The same two questions on either architecture. */
		if (vi.arch == HVS_ARCH_ARM64) {
			hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_ARM64_PC, &pc);
			hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_ARM64_TTBR1_EL1, &root);
		} else {
			hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &pc);
			hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &root);
		}
		hvs_image_in_kernel(img, vp, &kernel);
		printf("vp %u: %s, VTL %u, %s mode, pc 0x%016" PRIx64 ", root 0x%" PRIx64 "\n",
		       vp, hvs_arch_name(vi.arch), vi.active_vtl, kernel ? "kernel" : "user",
		       pc.lo, root.lo);
	}
	r = hvs_image_ranges(img);
	for (i = 0; i < hvs_image_range_count(img); i++)
		printf("range [0x%" PRIx64 ", 0x%" PRIx64 ") at raw 0x%" PRIx64 "\n", r[i].gpa,
		       r[i].gpa + r[i].size, r[i].raw_offset);
	/* Reads report how far they got: done counts the bytes read. */
	if (hvs_image_read(img, HVS_SPACE_GPA, r ? r[0].gpa : 0, b, sizeof b, &done) != HVS_OK)
		printf("read: %s (%zu bytes)\n", hvs_image_errmsg(img), done);
	printf("first bytes:");
	for (i = 0; i < done; i++)
		printf(" %02x", b[i]);
	printf("\n");
	hvs_image_close(img);
	return 0;
}
