/* SPDX-License-Identifier: MIT */
/*
 * hvs images: scan a VP's address space for PE images (Windows kernel,
 * drivers, DLLs) downwards from --from to --to, as the SDK's
 * ScanMemoryForDosImages does, and list each image's base, size,
 * timestamp, name (export directory), PDB name, GUID and age (CodeView),
 * the facts a symbol server needs.  Shared VP options: cli/vpopts.h.
 * Algorithm and rates: docs/pe.md.  Public API only.
 *
 * Exit 0 also when nothing is found (an empty list is an answer); other
 * codes come from the open or from the scan's reads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_FROM, OPT_TO, OPT_AT, OPT_STATS, OPT_HELP };

static const cli_opt opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "from", 0, 1, OPT_FROM },
	{ "to", 0, 1, OPT_TO },
	{ "at", 0, 1, OPT_AT },
	{ "stats", 0, 0, OPT_STATS },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs images [options] FILE\n\n"
		   "Scan a VP's address space for PE images, downwards from --from to --to,\n"
		   "and list base, size, timestamp, name, PDB name, GUID and age.\n\n"
		   "  --from HI              highest address (default the top of the space)\n"
		   "  --to LO                lowest address (default 0)\n"
		   "  --at ADDR              check ADDR first as an image base (repeatable)\n"
		   "  --stats                print what the scan read and how fast\n"
		   "  --json                 JSON output\n%s",
		cli_vpopts_help);
}

typedef struct images_ctx {
	cli_json *j;  /* NULL: text output */
	uint64_t count;
} images_ctx;

/* TimeDateStamp as UTC ("2020-04-08 19:46:35"); "" when out of range. */
static void stamp(uint32_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm *tm = gmtime(&tt);

	out[0] = '\0';
	if (tm)
		strftime(out, 32, "%Y-%m-%d %H:%M:%S", tm);
}

/* Scanner callback: print one image. */
static int on_image(void *ud, const hvs_pe_found *f)
{
	images_ctx *c = ud;
	char guid[50] = "", when[32];

	c->count++;
	if (f->has_codeview)
		hvs_pe_format_guid(f->guid, f->age, 0, guid, sizeof guid);
	stamp(f->timestamp, when);
	if (c->j) {
		json_obj_begin(c->j, NULL);
		json_hex(c->j, "base", f->base);
		json_hex(c->j, "size", f->size);
		json_hex(c->j, "timestamp", f->timestamp);
		json_str(c->j, "timestamp_utc", when);
		json_hex(c->j, "machine", f->machine);
		json_str(c->j, "name", f->name);
		json_bool(c->j, "standalone", f->standalone);
		if (f->has_codeview) {
			char key[50];

			hvs_pe_format_guid(f->guid, f->age, 1, key, sizeof key);
			json_str(c->j, "pdb_name", f->pdb_name);
			json_str(c->j, "guid", guid);
			json_u64(c->j, "age", f->age);
			json_str(c->j, "symbol_store_key", key);
		} else {
			json_null(c->j, "pdb_name");
			json_null(c->j, "guid");
			json_null(c->j, "age");
			json_null(c->j, "symbol_store_key");
		}
		json_obj_end(c->j);
		return 0;
	}
	{
		char age[16] = "-";

		if (f->has_codeview)
			snprintf(age, sizeof age, "%" PRIu32, f->age);
		printf("0x%016" PRIx64 "  0x%08" PRIx32 "  0x%08" PRIx32
		       " %-19s  %-16s %-16s %-36s %s\n", f->base, f->size,
		       f->timestamp, when, f->name ? f->name : "-",
		       f->has_codeview ? f->pdb_name : "-",
		       f->has_codeview ? guid : "-", age);
	}
	return 0;
}

int cmd_images(int argc, char **argv)
{
	cli_optstate st;
	cli_vpopts vo;
	hvs_image *img = NULL;
	cli_json j;
	images_ctx c;
	hvs_pe_scan_stats stats;
	uint64_t hi = UINT64_MAX, lo = 0, *at = NULL, a;
	size_t nat = 0;
	int id, json = 0, want_stats = 0, rc;
	hvs_paging_mode mode;
	hvs_status s;
	clock_t t0;
	double secs;

	cli_vpopts_init(&vo);
	cli_opt_init(&st, "images", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, opts)) != 0) {
		if (id < 0)
			goto usage_fail;
		switch (id) {
		case OPT_HELP:
			usage(stdout);
			cli_vpopts_free(&vo);
			free(at);
			return CLI_EXIT_OK;
		case OPT_JSON: json = 1; break;
		case OPT_STATS: want_stats = 1; break;
		case OPT_FROM:
		case OPT_TO:
			if (cli_parse_u64(st.arg, id == OPT_FROM ? &hi : &lo) != 0) {
				cli_usage_error("images", "bad address '%s'", st.arg);
				goto usage_fail;
			}
			break;
		case OPT_AT: {
			uint64_t *g;

			if (cli_parse_u64(st.arg, &a) != 0) {
				cli_usage_error("images", "bad address '%s'", st.arg);
				goto usage_fail;
			}
			g = realloc(at, (nat + 1) * sizeof *at);
			if (!g) {
				cli_error("out of memory");
				free(at);
				cli_vpopts_free(&vo);
				return CLI_EXIT_OTHER;
			}
			at = g;
			at[nat++] = a;
			break;
		}
		default:
			break;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("images", "expected one FILE");
		goto usage_fail;
	}
	/* The scan runs downwards: --from is the higher address. */
	if (hi < lo) {
		cli_usage_error("images", "--from is below --to (the scan runs downwards)");
		goto usage_fail;
	}
	rc = cli_vpopts_open_vp(&vo, "images", st.pos[0], &img, &mode);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&vo);
		free(at);
		return rc;
	}
	memset(&c, 0, sizeof c);
	if (json) {
		c.j = &j;
		cli_vpopts_json_begin(&j, &vo, mode, "images");
	} else {
		printf("VP %u, paging mode %s, scanning 0x%" PRIx64 " down to 0x%" PRIx64 "\n",
		       vo.vp, hvs_paging_mode_name(mode), hi, lo);
		printf("%-18s  %-10s  %-10s %-19s  %-16s %-16s %-36s %s\n", "BASE", "SIZE",
		       "TIMESTAMP", "(UTC)", "NAME", "PDB", "GUID", "AGE");
	}
	t0 = clock();
	s = hvs_pe_scan_vp(img, vo.vp, hi, lo, at, nat, on_image, &c, &stats);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	if (json) {
		json_arr_end(&j);
		json_u64(&j, "images_count", c.count);
		json_hex(&j, "from", hi);
		json_hex(&j, "to", lo);
		if (want_stats) {
			json_obj_begin(&j, "stats");
			json_hex(&j, "mapped_bytes", stats.mapped_bytes);
			json_u64(&j, "pages_read", stats.pages_read);
			json_u64(&j, "pages_missing", stats.pages_missing);
			json_u64(&j, "candidates", stats.candidates);
			json_u64(&j, "table_gaps", stats.table_gaps);
			json_double(&j, "seconds", secs);
			json_obj_end(&j);
		}
		json_obj_end(&j);
		json_end(&j);
	} else {
		printf("%" PRIu64 " image%s\n", c.count, c.count == 1 ? "" : "s");
		if (want_stats)
			printf("scanned 0x%" PRIx64 " bytes of mapped address space: %" PRIu64
			       " pages read, %" PRIu64 " not in the image, %" PRIu64
			       " \"MZ\" candidates, %" PRIu64 " regions with page tables missing;"
			       " %.3f s (%.2f GiB/s)\n",
			       stats.mapped_bytes, stats.pages_read, stats.pages_missing,
			       stats.candidates, stats.table_gaps, secs,
			       secs > 0 ? (double)stats.mapped_bytes / (1 << 30) / secs : 0.0);
	}
	rc = CLI_EXIT_OK;
	if (s != HVS_OK) {
		cli_error("%s", hvs_image_errmsg(img));
		rc = cli_exit_code(s);
	}
	hvs_image_close(img);
	cli_vpopts_free(&vo);
	free(at);
	return rc;
usage_fail:
	cli_vpopts_free(&vo);
	free(at);
	return CLI_EXIT_USAGE;
}
