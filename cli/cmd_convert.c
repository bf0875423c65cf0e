/* SPDX-License-Identifier: MIT */
/*
 * hvs convert INPUT -o OUT --to raw|elf|dmp|vmrs [--force] [--quiet]
 *             [--json] [--dmp-type full|bitmap] [--workers N] [options]
 *
 * Converts any input the library reads (opened through the shared VP
 * options: --format raw --layout, --vsv, --set-reg, --regs-json, ...) with
 * hvs_convert() (include/hvs/convert.h).  The library writes OUT through a
 * temporary file and leaves nothing behind on failure; this command adds:
 *  - a progress line on a terminal (bytes done, rate, ETA), none when
 *    stderr is not a terminal or with --quiet;
 *  - SIGINT/SIGTERM/SIGHUP (Windows: Ctrl+C, Ctrl+Break, closing the
 *    console) cancel the conversion cleanly (the progress callback
 *    reports them; cli_catch_interrupts() in cli/util.c), exit 130;
 *  - SIGXFSZ is ignored, so a file-size limit is a write error (EFBIG,
 *    exit 4) and the temporary file is removed, not a killed process;
 *  - --json prints the summary (format, ranges, pages, bytes, seconds,
 *    fields that could not be derived and why, writer notes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

/* Exit status after an interruption (128 + SIGINT, the shell convention). */
#define CLI_EXIT_INTERRUPTED 130

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvs convert INPUT -o OUT --to raw|elf|dmp|vmrs [--force] [--quiet]\n"
		"                   [--json] [--dmp-type full|bitmap] [--workers N] [options]\n\n"
		"Convert a saved state or memory image to a file other tools read:\n"
		"  raw   file offset = guest-physical address, gaps as holes, plus\n"
		"        OUT.json with the ranges and every VP's registers\n"
		"  elf   ELF64 core as QEMU's dump-guest-memory writes it (gdb, crash,\n"
		"        drgn, libkdumpfile, volatility3)\n"
		"  dmp   Windows kernel crash dump (WinDbg, volatility3)\n"
		"  vmrs  Hyper-V saved state\n"
		"OUT is written to a temporary file beside it and renamed at the end;\n"
		"on any error or interruption nothing is left behind.\n"
		"  -o, --output OUT       the output file\n"
		"  --to FORMAT            raw, elf, dmp or vmrs\n"
		"  --force                replace an existing OUT (and OUT.json)\n"
		"  --quiet                no progress line\n"
		"  --json                 print a JSON summary on stdout\n"
		"  --dmp-type T           crash dumps: full (default) or bitmap\n"
		"  --workers N            decoding threads (default: one per CPU)\n"
		"%s", cli_vpopts_help);
}

enum { OPT_JSON = 1, OPT_HELP, OPT_OUT, OPT_TO, OPT_FORCE, OPT_QUIET, OPT_DMP_TYPE, OPT_WORKERS };

static const cli_opt convert_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "output", 'o', 1, OPT_OUT },
	{ "to", 0, 1, OPT_TO },
	{ "force", 0, 0, OPT_FORCE },
	{ "quiet", 'q', 0, OPT_QUIET },
	{ "dmp-type", 0, 1, OPT_DMP_TYPE },
	{ "workers", 0, 1, OPT_WORKERS },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

/* ------------------------------------------------------------ progress */

typedef struct progress {
	int active;      /* draw a line (stderr is a terminal, not --quiet) */
	double t0, last;
	int drawn;
} progress;

/* Human size with a binary unit ("1.5 GiB"). */
static void human(char *buf, size_t n, double v)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned i = 0;
	while (v >= 1024.0 && i + 1 < sizeof u / sizeof u[0]) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static int on_progress(void *ud, uint64_t done, uint64_t total)
{
	progress *p = ud;
	double t, el, rate;
	char d[32], tt[32], r[32], eta[32];
	if (cli_interrupted())
		return 1;
	if (!p->active)
		return 0;
	t = cli_now();
	if (t - p->last < 0.25 && done < total)
		return 0;
	p->last = t;
	el = t - p->t0;
	rate = el > 0 ? (double)done / el : 0;
	human(d, sizeof d, (double)done);
	human(tt, sizeof tt, (double)total);
	human(r, sizeof r, rate);
	if (rate > 0 && total > done) {
		double s = (double)(total - done) / rate;
		snprintf(eta, sizeof eta, "%d:%02d", (int)(s / 60), (int)s % 60);
	} else {
		snprintf(eta, sizeof eta, "--:--");
	}
	fprintf(stderr, "\r\033[K%s / %s  %5.1f%%  %s/s  ETA %s", d, tt,
		total ? 100.0 * (double)done / (double)total : 100.0, r, eta);
	fflush(stderr);
	p->drawn = 1;
	return 0;
}

static void progress_end(progress *p)
{
	if (p->drawn)
		cli_clear_line();
	fflush(stderr);
}

/* ------------------------------------------------------------- output */

static void print_json(const hvs_convert_result *r, const char *in, const char *out)
{
	cli_json j;
	size_t i;
	json_init(&j, stdout);
	json_obj_begin(&j, NULL);
	json_str(&j, "input", in);
	json_str(&j, "output", out);
	json_str(&j, "format", hvs_convert_format_name(r->format));
	json_u64(&j, "ranges", r->ranges);
	json_u64(&j, "pages", r->pages);
	json_u64(&j, "memory_bytes", r->memory_bytes);
	json_u64(&j, "bytes_written", r->bytes_written);
	json_u64(&j, "file_size", r->file_size);
	json_double(&j, "seconds", r->seconds);
	json_double(&j, "bytes_per_second",
		    r->seconds > 0 ? (double)r->memory_bytes / r->seconds : 0);
	json_u64(&j, "workers", r->workers);
	json_str(&j, "sidecar", r->sidecar_path);
	json_arr_begin(&j, "underived");
	for (i = 0; i < r->underived_count; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "field", r->underived[i].field);
		json_str(&j, "why", r->underived[i].why);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_begin(&j, "notes");
	for (i = 0; i < r->note_count; i++)
		json_hex(&j, r->notes[i].name, r->notes[i].value);
	json_obj_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

static void print_text(const hvs_convert_result *r, const char *out)
{
	char b[32], rate[32];
	size_t i;
	human(b, sizeof b, (double)r->memory_bytes);
	human(rate, sizeof rate, r->seconds > 0 ? (double)r->memory_bytes / r->seconds : 0);
	printf("%s: %s, %" PRIu64 " ranges, %s of guest memory in %.2f s (%s/s)\n", out,
	       hvs_convert_format_name(r->format), r->ranges, b, r->seconds, rate);
	if (r->sidecar_path)
		printf("sidecar: %s\n", r->sidecar_path);
	for (i = 0; i < r->underived_count; i++)
		printf("not derived: %s: %s\n", r->underived[i].field, r->underived[i].why);
}

/* ------------------------------------------------------------ command */

int cmd_convert(int argc, char **argv)
{
	cli_optstate st;
	int id, json = 0, quiet = 0, rc = CLI_EXIT_USAGE, have_fmt = 0;
	const char *out = NULL;
	cli_vpopts vo;
	hvs_image *img = NULL;
	hvs_convert_opts co;
	hvs_convert_format fmt = HVS_CONVERT_RAW;
	hvs_convert_result *res = NULL;
	hvs_status s;
	progress pr;
	uint64_t v;

	memset(&co, 0, sizeof co);
	cli_vpopts_init(&vo);
	vo.need_vp = 0;
	cli_opt_init(&st, "convert", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, convert_opts)) != 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_HELP: usage(stdout); rc = CLI_EXIT_OK; goto out;
		case OPT_OUT: out = st.arg; break;
		case OPT_TO:
			if (hvs_convert_format_lookup(st.arg, &fmt) != HVS_OK) {
				cli_usage_error("convert", "--to: '%s' is not raw, elf, dmp or vmrs",
						st.arg);
				goto out;
			}
			have_fmt = 1;
			break;
		case OPT_FORCE: co.flags |= HVS_CONVERT_FORCE; break;
		case OPT_QUIET: quiet = 1; break;
		case OPT_DMP_TYPE:
			if (strcmp(st.arg, "full") == 0)
				co.dmp_type = HVS_CONVERT_DMP_FULL;
			else if (strcmp(st.arg, "bitmap") == 0)
				co.dmp_type = HVS_CONVERT_DMP_BITMAP;
			else {
				cli_usage_error("convert", "--dmp-type: '%s' is not full or bitmap",
						st.arg);
				goto out;
			}
			break;
		case OPT_WORKERS:
			if (cli_parse_u64(st.arg, &v) != 0 || v == 0 || v > 64) {
				cli_usage_error("convert", "--workers: '%s' is not 1..64", st.arg);
				goto out;
			}
			co.workers = (unsigned)v;
			break;
		default: goto out;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("convert", "expected one INPUT");
		goto out;
	}
	if (!out || !out[0]) {
		cli_usage_error("convert", "-o OUT is required");
		goto out;
	}
	if (!have_fmt) {
		cli_usage_error("convert", "--to raw|elf|dmp|vmrs is required");
		goto out;
	}
	if (co.dmp_type && fmt != HVS_CONVERT_DMP) {
		cli_usage_error("convert", "--dmp-type is for --to dmp");
		goto out;
	}
	rc = cli_vpopts_open(&vo, "convert", st.pos[0], &img);
	if (rc != CLI_EXIT_OK)
		goto out;

	memset(&pr, 0, sizeof pr);
	pr.active = !quiet && cli_stderr_is_terminal();
	pr.t0 = cli_now();
	co.progress = on_progress;
	co.progress_ud = &pr;
	cli_catch_interrupts();
	s = hvs_convert(img, out, fmt, &co, &res);
	cli_interrupts_done(); /* the temporary file is gone or renamed */
	progress_end(&pr);
	if (s != HVS_OK) {
		cli_error("convert %s to %s: %s", st.pos[0], out,
			  res && res->errmsg[0] ? res->errmsg : hvs_convert_strerror(s));
		rc = s == HVS_E_CANCELED ? CLI_EXIT_INTERRUPTED : cli_exit_code(s);
		goto out;
	}
	if (json)
		print_json(res, st.pos[0], out);
	else if (!quiet)
		print_text(res, out);
	rc = CLI_EXIT_OK;
out:
	hvs_convert_result_free(res);
	hvs_image_close(img);
	cli_vpopts_free(&vo);
	return rc;
}
