/* SPDX-License-Identifier: MIT */
/*
 * showxlat: translate guest-virtual addresses of one VP, printing every
 * level of the page-table walk, and read a few bytes through the address.
 *
 *   example_showxlat FILE VP GVA...
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <hvs/hvs.h>

int main(int argc, char **argv)
{
	hvs_image *img;
	hvs_image_opts o = { 0 };
	char err[HVS_ERRMSG_MAX] = "";
	uint32_t vp;
	int i, rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: %s FILE VP GVA...\n", argv[0]);
		return 2;
	}
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	if (hvs_image_open(&img, argv[1], &o) != HVS_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vp = (uint32_t)strtoul(argv[2], NULL, 0);
	for (i = 3; i < argc; i++) {
		uint64_t gva = strtoull(argv[i], NULL, 0), gpa = 0, size = 0, hole = 0;
		hvs_xlat_walk w;
		uint8_t b[8];
		size_t k, done = 0;
		hvs_status s = hvs_vp_translate(img, vp, gva, &gpa, &size, &hole);

		if (s == HVS_E_NOTPRESENT) {
			/* Not mapped: how far the caller may skip (the SDK's
			 * unmappedRegionSize). */
			printf("0x%016" PRIx64 " not mapped: the next 0x%" PRIx64 " bytes are not\n",
			       gva, hole);
			continue;
		}
		if (s != HVS_OK) {
			printf("0x%016" PRIx64 ": %s\n", gva, hvs_image_errmsg(img));
			rc = 1;
			continue;
		}
		printf("0x%016" PRIx64 " -> 0x%" PRIx64 " (page 0x%" PRIx64 ")\n", gva, gpa, size);
		/* The same walk, level by level. */
		if (hvs_vp_trace(img, vp, gva, &w) == HVS_OK)
			for (k = 0; k < w.nsteps; k++)
				printf("  %-6s entry at 0x%" PRIx64 " = 0x%016" PRIx64 "\n",
				       w.steps[k].name, w.steps[k].entry_gpa, w.steps[k].entry);
		if (hvs_vp_read(img, vp, gva, b, sizeof b, &done) == HVS_OK) {
			printf("  bytes:");
			for (k = 0; k < done; k++)
				printf(" %02x", b[k]);
			printf("\n");
		}
	}
	hvs_image_close(img);
	return rc;
}
