/* SPDX-License-Identifier: MIT */
/*
 * hvs maps: list every mapped region of a VP's address space in VA order,
 * like QEMU's `info tlb`: virtual range, physical address, size and the
 * flags combined over the walk.  Regions whose page table is not in the
 * image are listed as "no data".  Shared VP options: cli/vpopts.h.
 * Public API only.
 *
 * Missing page tables are not an error (exit 0): a saved state may leave
 * out pages, and listing the gap is more useful than stopping.  Exit codes
 * other than 0 come from the walk itself (I/O, damage) or the open.  The
 * output is golden-tested (tests/golden/maps_*.expect).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_MERGE, OPT_START, OPT_END, OPT_HELP };

static const cli_opt opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "merge", 'm', 0, OPT_MERGE },
	{ "start", 0, 1, OPT_START },
	{ "end", 0, 1, OPT_END },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs maps [options] FILE\n\n"
		   "List the mapped regions of a VP's address space (like QEMU's `info tlb`).\n\n"
		   "  --merge, -m            merge neighbours contiguous in VA and PA with equal flags\n"
		   "  --start ADDR           first VA to list (default 0)\n"
		   "  --end ADDR             last VA to list (default the top)\n"
		   "  --json                 JSON output\n%s",
		cli_vpopts_help);
}

/* Totals for the summary line, counted as regions stream past. */
typedef struct maps_ctx {
	cli_json *j;          /* NULL: text output */
	uint64_t count, mapped, nodata;
} maps_ctx;

/* QEMU-like flag letters: W U X(executable) A D G, L = large page, ? = no data.
 * Fixed positions ('-' when clear) keep the columns aligned for diffing;
 * 'p' is ARM64's PXN (privileged execute-never). */
static void flag_letters(uint32_t f, char out[10])
{
	out[0] = (f & HVS_XLAT_F_NODATA) ? '?' : 'P';
	out[1] = (f & HVS_XLAT_F_WRITE) ? 'W' : '-';
	out[2] = (f & HVS_XLAT_F_USER) ? 'U' : '-';
	out[3] = (f & HVS_XLAT_F_NX) ? '-' : 'X';
	out[4] = (f & HVS_XLAT_F_ACCESSED) ? 'A' : '-';
	out[5] = (f & HVS_XLAT_F_DIRTY) ? 'D' : '-';
	out[6] = (f & HVS_XLAT_F_GLOBAL) ? 'G' : '-';
	out[7] = (f & HVS_XLAT_F_LARGE) ? 'L' : '-';
	out[8] = (f & HVS_XLAT_F_PXN) ? 'p' : '-';
	out[9] = '\0';
}

/* hvs_vp_map_walk() callback: print one region (text or a JSON object). */
static hvs_status on_region(void *ud, const hvs_xlat_region *r)
{
	maps_ctx *c = ud;
	char fl[10];
	/* Regions arrive in VA order and are printed at once: memory stays
	 * bounded however many mappings a guest has. */
	flag_letters(r->flags, fl);
	c->count++;
	if (r->flags & HVS_XLAT_F_NODATA)
		c->nodata++;
	else
		c->mapped += r->size;
	if (c->j) {
		json_obj_begin(c->j, NULL);
		json_hex(c->j, "gva", r->gva);
		json_hex(c->j, "size", r->size);
		/* No data: the GPA is the missing table, not the mapping. */
		if (r->flags & HVS_XLAT_F_NODATA) {
			json_null(c->j, "gpa");
			json_hex(c->j, "table_gpa", r->gpa);
		} else {
			json_hex(c->j, "gpa", r->gpa);
		}
		json_bool(c->j, "writable", (r->flags & HVS_XLAT_F_WRITE) != 0);
		json_bool(c->j, "user", (r->flags & HVS_XLAT_F_USER) != 0);
		json_bool(c->j, "executable", (r->flags & HVS_XLAT_F_NX) == 0);
		json_bool(c->j, "large", (r->flags & HVS_XLAT_F_LARGE) != 0);
		json_str(c->j, "flags", fl);
		json_obj_end(c->j);
		return HVS_OK;
	}
	/* Inclusive end addresses (gva + size - 1): a region ending at the
	 * top of the address space would otherwise print as 0. */
	if (r->flags & HVS_XLAT_F_NODATA)
		printf("0x%016" PRIx64 "-0x%016" PRIx64 "  no data (page table at GPA 0x%" PRIx64
		       " is not in the image)\n", r->gva, r->gva + (r->size - 1), r->gpa);
	else
		printf("0x%016" PRIx64 "-0x%016" PRIx64 " -> 0x%012" PRIx64 "  size 0x%-10" PRIx64
		       " %s\n", r->gva, r->gva + (r->size - 1), r->gpa, r->size, fl);
	return HVS_OK;
}

int cmd_maps(int argc, char **argv)
{
	cli_optstate st;
	cli_vpopts vo;
	hvs_image *img = NULL;
	cli_json j;
	maps_ctx c;
	int id, json = 0, rc;
	unsigned flags = 0;
	uint64_t first = 0, last = UINT64_MAX;
	hvs_paging_mode mode;
	hvs_status s;

	cli_vpopts_init(&vo);
	cli_opt_init(&st, "maps", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, opts)) != 0) {
		if (id < 0)
			goto usage_fail;
		switch (id) {
		case OPT_HELP:
			usage(stdout);
			cli_vpopts_free(&vo);
			return CLI_EXIT_OK;
		case OPT_JSON: json = 1; break;
		case OPT_MERGE: flags |= HVS_XLAT_MAP_MERGE; break;
		case OPT_START:
		case OPT_END:
			if (cli_parse_u64(st.arg, id == OPT_START ? &first : &last) != 0) {
				cli_usage_error("maps", "bad address '%s'", st.arg);
				goto usage_fail;
			}
			break;
		default:
			break;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("maps", "expected one FILE");
		goto usage_fail;
	}
	/* --end is inclusive (default UINT64_MAX), so start == end is one byte. */
	if (first > last) {
		cli_usage_error("maps", "--start is above --end");
		goto usage_fail;
	}
	rc = cli_vpopts_open_vp(&vo, "maps", st.pos[0], &img, &mode);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&vo);
		return rc;
	}
	memset(&c, 0, sizeof c);
	if (json) {
		c.j = &j;
		cli_vpopts_json_begin(&j, &vo, mode, "regions");
	} else {
		printf("VP %u, paging mode %s\n", vo.vp, hvs_paging_mode_name(mode));
	}
	/* The callback prints each region as the walk finds it (bounded memory). */
	s = hvs_vp_map_walk(img, vo.vp, first, last, flags, on_region, &c);
	/* Totals are printed even after a failed walk: they cover what was listed. */
	/* mapped_bytes counts regions with data only; no-data regions are
	 * counted apart because their size is what the missing table covers. */
	if (json) {
		json_arr_end(&j);
		json_u64(&j, "regions_count", c.count);
		json_hex(&j, "mapped_bytes", c.mapped);
		json_u64(&j, "nodata_regions", c.nodata);
		json_obj_end(&j);
		json_end(&j);
	} else {
		printf("%" PRIu64 " regions, 0x%" PRIx64 " bytes mapped", c.count, c.mapped);
		if (c.nodata)
			printf(", %" PRIu64 " regions with page tables missing from the image",
			       c.nodata);
		printf("\n");
	}
	rc = CLI_EXIT_OK;
	if (s != HVS_OK) {
		cli_error("%s", hvs_image_errmsg(img));
		rc = cli_exit_code(s);
	}
	hvs_image_close(img);
	cli_vpopts_free(&vo);
	return rc;
usage_fail:
	cli_vpopts_free(&vo);
	return CLI_EXIT_USAGE;
}
