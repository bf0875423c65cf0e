/* SPDX-License-Identifier: MIT */
/*
 * hvs mem FILE [--vsv PATH] [--json] [input options]: the guest-physical memory map of a
 * saved state: each saved range [start, end) with its page count and its
 * offset in the raw saved memory (GetGuestPhysicalMemoryChunks and
 * GuestPhysicalAddressToRawSavedMemoryOffset, api.md 2.5), the gaps
 * between ranges (MMIO holes, not saved), and totals.  Public API only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_HELP };

static const cli_opt mem_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs mem [--vsv PATH] [--json] [options] FILE\n\n"
		   "List the saved guest-physical ranges ([start, end), pages, raw offset),\n"
		   "the gaps between them and the totals.\n%s", cli_vpopts_help);
}

int cmd_mem(int argc, char **argv)
{
	cli_optstate st;
	int id, json = 0, rc = CLI_EXIT_USAGE;
	cli_vpopts vo;
	hvs_image *img;
	const hvs_mem_range *r;
	size_t n, i, ngaps = 0;
	uint64_t bytes = 0, gap_bytes = 0;

	cli_vpopts_init(&vo);
	vo.need_vp = 0;
	cli_opt_init(&st, "mem", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, mem_opts)) != 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_HELP: usage(stdout); rc = CLI_EXIT_OK; goto out;
		default: goto out;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("mem", "expected one FILE");
		goto out;
	}
	rc = cli_vpopts_open(&vo, "mem", st.pos[0], &img);
	if (rc != CLI_EXIT_OK)
		goto out;
	n = hvs_image_range_count(img);
	r = hvs_image_ranges(img);
	for (i = 0; i < n; i++) {
		bytes += r[i].size;
		if (i + 1 < n && r[i].gpa + r[i].size < r[i + 1].gpa) {
			ngaps++;
			gap_bytes += r[i + 1].gpa - (r[i].gpa + r[i].size);
		}
	}
	if (json) {
		cli_json j;
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_u64(&j, "page_size", 4096);
		json_arr_begin(&j, "ranges");
		for (i = 0; i < n; i++) {
			json_obj_begin(&j, NULL);
			json_hex(&j, "start", r[i].gpa);
			json_hex(&j, "end", r[i].gpa + r[i].size);
			json_u64(&j, "pages", r[i].size / 4096);
			json_hex(&j, "raw_offset", r[i].raw_offset);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_arr_begin(&j, "gaps");
		for (i = 0; i + 1 < n; i++) {
			uint64_t end = r[i].gpa + r[i].size;
			if (end >= r[i + 1].gpa)
				continue;
			json_obj_begin(&j, NULL);
			json_hex(&j, "start", end);
			json_hex(&j, "end", r[i + 1].gpa);
			json_u64(&j, "pages", (r[i + 1].gpa - end) / 4096);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_u64(&j, "range_count", n);
		json_u64(&j, "pages", bytes / 4096);
		json_u64(&j, "bytes", bytes);
		json_u64(&j, "gap_bytes", gap_bytes);
		json_u64(&j, "raw_size", hvs_image_raw_size(img));
		json_obj_end(&j);
		json_end(&j);
	} else {
		printf("%4s  %-18s  %-18s  %10s  %s\n", "#", "start", "end", "pages", "raw offset");
		for (i = 0; i < n; i++)
			printf("%4zu  0x%016" PRIx64 "  0x%016" PRIx64 "  %10" PRIu64 "  0x%" PRIx64 "\n",
			       i, r[i].gpa, r[i].gpa + r[i].size, r[i].size / 4096, r[i].raw_offset);
		if (ngaps) {
			printf("gaps (not saved):\n");
			for (i = 0; i + 1 < n; i++) {
				uint64_t end = r[i].gpa + r[i].size;
				if (end < r[i + 1].gpa)
					printf("      0x%016" PRIx64 "  0x%016" PRIx64 "  %10" PRIu64 "\n",
					       end, r[i + 1].gpa, (r[i + 1].gpa - end) / 4096);
			}
		}
		printf("total: %zu range%s, %" PRIu64 " pages (%" PRIu64 " bytes); raw saved size %"
		       PRIu64 " bytes\n", n, n == 1 ? "" : "s", bytes / 4096, bytes,
		       hvs_image_raw_size(img));
	}
	hvs_image_close(img);
out:
	cli_vpopts_free(&vo);
	return rc;
}
