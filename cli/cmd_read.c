/* SPDX-License-Identifier: MIT */
/*
 * hvs read FILE --gpa ADDR --len N [--out PATH] [--raw-offset] [--json]:
 * read guest-physical memory (ReadGuestPhysicalAddress), or with
 * --raw-offset the raw saved memory at offset ADDR (ReadGuestRawSavedMemory,
 * api.md 2.5), or with --gva ADDR --vp N guest-virtual memory through that
 * VP's page tables (the VP options of vpopts.h supply missing registers).  Prints a hexdump, or writes the exact bytes to PATH.  A
 * read that reaches unsaved memory stops there: the bytes before it are
 * shown/written, the message says how far it got, and the exit code is 5.
 * Public API only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

/* Largest read shown as hexdump or JSON (to a file: no limit). */
#define MAX_SHOWN (16u << 20)
#define CHUNK (1u << 20)

enum { OPT_JSON = 1, OPT_GPA, OPT_GVA, OPT_LEN, OPT_OUT, OPT_RAW, OPT_HELP };

/* The VP options (--vp, --vsv, --format, --set-reg, ...) come from vpopts.h,
 * so a raw image or an ELF core can be read by GVA with supplied registers. */
static const cli_opt read_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "gpa", 'a', 1, OPT_GPA },
	{ "addr", 0, 1, OPT_GPA },
	{ "gva", 0, 1, OPT_GVA },
	{ "len", 'n', 1, OPT_LEN },
	{ "out", 'o', 1, OPT_OUT },
	{ "raw-offset", 0, 0, OPT_RAW },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs read [--vsv PATH] [--json] [--out PATH] [--raw-offset]\n"
		   "                --gpa ADDR --len N FILE\n"
		   "       hvs read [options] --gva ADDR --vp N --len N FILE\n\n"
		   "Read N bytes of guest-physical memory at ADDR (hexdump, or the bytes\n"
		   "into PATH with --out).  --raw-offset takes ADDR as an offset in the\n"
		   "raw saved memory instead; --gva takes it as a guest-virtual address\n"
		   "of VP N.  Numbers: decimal, 0x hex, K/M/G suffixes.\n"
		   "A read reaching unsaved or unmapped memory stops there and exits 5.\n\n%s",
		cli_vpopts_help);
}

int cmd_read(int argc, char **argv)
{
	cli_optstate st;
	int id, json = 0, raw = 0, gva = 0, rc = CLI_EXIT_OK, have_addr = 0, have_len = 0;
	const char *out = NULL;
	cli_vpopts vo;
	uint64_t addr = 0, len = 0, total = 0;
	hvs_image *img;
	hvs_space space;
	hvs_status s = HVS_OK;
	FILE *of = NULL;
	uint8_t *buf = NULL;
	char msg[HVS_ERRMSG_MAX] = "";
	cli_progress pr = { NULL, 0, 0, 0 };

	cli_vpopts_init(&vo);
	cli_opt_init(&st, "read", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, read_opts)) != 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_OUT: out = st.arg; break;
		case OPT_RAW: raw = 1; break;
		case OPT_GPA:
		case OPT_GVA:
			if (cli_parse_u64(st.arg, &addr)) {
				rc = cli_usage_error("read", "bad address '%s'", st.arg);
				goto out_opts;
			}
			if (have_addr) {
				rc = cli_usage_error("read", "give one of --gpa and --gva, once");
				goto out_opts;
			}
			gva = id == OPT_GVA;
			have_addr = 1;
			break;
		case OPT_LEN:
			if (cli_parse_u64(st.arg, &len)) {
				rc = cli_usage_error("read", "bad length '%s'", st.arg);
				goto out_opts;
			}
			have_len = 1;
			break;
		case OPT_HELP: usage(stdout); rc = CLI_EXIT_OK; goto out_opts;
		default: rc = CLI_EXIT_USAGE; goto out_opts;
		}
	}
	rc = CLI_EXIT_USAGE;
	if (st.nonopt != 1) {
		cli_usage_error("read", "expected one FILE");
		goto out_opts;
	}
	if (!have_addr || !have_len) {
		cli_usage_error("read", "--gpa ADDR (or --gva ADDR) and --len N are required");
		goto out_opts;
	}
	if (gva && raw) {
		cli_usage_error("read", "--raw-offset and --gva exclude each other");
		goto out_opts;
	}
	if (!out && len > MAX_SHOWN) {
		cli_usage_error("read", "--len %" PRIu64 " is too long to show (at most %u); "
				"use --out PATH", len, MAX_SHOWN);
		goto out_opts;
	}
	if (len > UINT64_MAX - addr) {
		cli_usage_error("read", "address + length wraps around");
		goto out_opts;
	}
	rc = cli_vpopts_open(&vo, "read", st.pos[0], &img);
	if (rc != CLI_EXIT_OK)
		goto out_opts;
	space = raw ? HVS_SPACE_RAW : HVS_SPACE_GPA;

	if (out) {
		of = cli_fopen(out, "wb");
		if (!of) {
			cli_error("%s: %s", out, strerror(errno));
			hvs_image_close(img);
			return CLI_EXIT_IO;
		}
	}
	/* Shown reads are read whole (bounded above); file output streams. */
	buf = malloc(out ? CHUNK : (size_t)(len ? len : 1));
	if (!buf) {
		cli_error("out of memory");
		rc = CLI_EXIT_OTHER;
		goto done;
	}
	/* Extracting gigabytes to a file takes a while: progress on a terminal. */
	cli_progress_start(&pr, "reading", out ? len : 0);
	if (!out)
		pr.active = 0;
	while (total < len) {
		size_t n = out ? (size_t)(len - total < CHUNK ? len - total : CHUNK)
			       : (size_t)len, got = 0;
		if (gva)
			s = hvs_vp_read(img, vo.vp, addr + total, out ? buf : buf + total, n, &got);
		else
			s = hvs_image_read(img, space, addr + total, out ? buf : buf + total, n,
					   &got);
		if (of && got && fwrite(buf, 1, got, of) != got) {
			cli_error("%s: %s", out, strerror(errno));
			rc = CLI_EXIT_IO;
			goto done;
		}
		total += got;
		cli_progress_update(&pr, total);
		if (s != HVS_OK) {
			snprintf(msg, sizeof msg, "%s", hvs_image_errmsg(img));
			break;
		}
	}
	cli_progress_end(&pr);
	if (json) {
		cli_json j;
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "space", raw ? "raw" : gva ? "gva" : "gpa");
		if (gva)
			json_u64(&j, "vp", vo.vp);
		json_hex(&j, "address", addr);
		json_u64(&j, "length", len);
		json_u64(&j, "read", total);
		json_bool(&j, "complete", s == HVS_OK);
		if (!raw && !gva) {
			uint64_t ro;
			if (hvs_image_gpa_to_raw(img, addr, &ro) == HVS_OK)
				json_hex(&j, "raw_offset", ro);
			else
				json_null(&j, "raw_offset");
		}
		if (s != HVS_OK)
			json_str(&j, "error", msg);
		if (out) {
			json_str(&j, "out", out);
		} else {
			char *hex = malloc((size_t)total * 2 + 1);
			uint64_t i;
			if (hex) {
				for (i = 0; i < total; i++)
					snprintf(hex + 2 * i, 3, "%02x", buf[i]);
				hex[2 * total] = '\0';
			}
			json_str(&j, "hex", hex);
			free(hex);
		}
		json_obj_end(&j);
		json_end(&j);
	} else if (!out) {
		cli_hexdump(stdout, addr, buf, (size_t)total);
	}
	if (s != HVS_OK) {
		cli_error("read stopped after %" PRIu64 " of %" PRIu64 " bytes, at %s 0x%" PRIx64
			  ": %s", total, len, raw ? "raw offset" : gva ? "GVA" : "GPA",
			  addr + total, msg);
		rc = cli_exit_code(s);
	}
done:
	cli_progress_end(&pr);
	if (of && fclose(of) != 0 && rc == CLI_EXIT_OK) {
		cli_error("%s: %s", out, strerror(errno));
		rc = CLI_EXIT_IO;
	}
	free(buf);
	hvs_image_close(img);
out_opts:
	cli_vpopts_free(&vo);
	return rc;
}
