/* SPDX-License-Identifier: MIT */
/*
 * hvs xlat: translate guest-virtual addresses of one VP to guest-physical
 * ones, optionally printing every paging level (--trace).  Works on every
 * input the image API opens; registers an input lacks are supplied with
 * the shared VP options (cli/vpopts.h).  Public API only.
 *
 * Exit codes (cli/cli.h): 0 every address translated; 5 at least one was
 * not mapped or its page (table) is not in the image: all addresses are
 * still printed, so one bad address does not hide the others; any other
 * failure (I/O, damage) stops at that address with its own code.  The
 * text and JSON forms are golden-tested (tests/golden/xlat_*.expect).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_TRACE, OPT_HELP };

static const cli_opt opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "trace", 't', 0, OPT_TRACE },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs xlat [options] FILE GVA...\n\n"
		   "Translate guest-virtual addresses of a VP to guest-physical addresses.\n\n"
		   "  --trace, -t            print every paging level (entry address, value, flags)\n"
		   "  --json                 JSON output\n%s",
		cli_vpopts_help);
}

/* "P W U NX A D G LEAF LARGE PXN" for the set flags: names rather than
 * the raw bits because the bits differ between x86 and ARM64 entries
 * (hvs/xlat.h normalises them into HVS_XLAT_F_*). */
static void flags_text(uint32_t f, char *out, size_t n)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ HVS_XLAT_F_PRESENT, "P" }, { HVS_XLAT_F_WRITE, "W" }, { HVS_XLAT_F_USER, "U" },
		{ HVS_XLAT_F_NX, "NX" }, { HVS_XLAT_F_ACCESSED, "A" }, { HVS_XLAT_F_DIRTY, "D" },
		{ HVS_XLAT_F_GLOBAL, "G" }, { HVS_XLAT_F_LEAF, "LEAF" },
		{ HVS_XLAT_F_LARGE, "LARGE" }, { HVS_XLAT_F_PXN, "PXN" },
		{ HVS_XLAT_F_NODATA, "NODATA" },
	};
	size_t i, len = 0;
	out[0] = '\0';
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(f & names[i].bit))
			continue;
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? " " : "",
					names[i].name);
		if (len >= n)
			break;
	}
}

/* Short machine-readable reason for a failed translation (the JSON
 * "reason"); stable strings, unlike hvs_xlat_fault_name()'s prose. */
static const char *reason_of(hvs_status s, const hvs_xlat_fault *f)
{
	if (s == HVS_E_NODATA)
		return "no-data";
	if (s != HVS_E_NOTPRESENT || !f)
		return "error";
	switch (f->kind) {
	case HVS_XLAT_FAULT_NOT_PRESENT: return "not-present";
	case HVS_XLAT_FAULT_NONCANONICAL: return "non-canonical";
	case HVS_XLAT_FAULT_RESERVED: return "reserved-bit";
	case HVS_XLAT_FAULT_ADDRESS_SIZE: return "address-size";
	case HVS_XLAT_FAULT_DISABLED: return "walk-disabled";
	case HVS_XLAT_FAULT_NONE: break;
	}
	return "not-mapped";
}

/* "4 KiB", "2 MiB", "1 GiB": page sizes as the SDMs name them. */
static void size_text(uint64_t size, char *out, size_t n)
{
	if (size >= (1ull << 30) && size % (1ull << 30) == 0)
		snprintf(out, n, "%" PRIu64 " GiB", size >> 30);
	else if (size >= (1ull << 20) && size % (1ull << 20) == 0)
		snprintf(out, n, "%" PRIu64 " MiB", size >> 20);
	else if (size >= 1024 && size % 1024 == 0)
		snprintf(out, n, "%" PRIu64 " KiB", size >> 10);
	else
		snprintf(out, n, "0x%" PRIx64 " bytes", size);
}

/* Translate one address; prints text or appends a JSON object.  Returns the status. */
static hvs_status one(hvs_image *img, uint32_t vp, uint64_t gva, int trace, cli_json *j)
{
	hvs_xlat_walk w;
	hvs_status s;
	const hvs_xlat_fault *f;
	unsigned i;
	char fl[96], sz[32];
	uint64_t gpa = 0, ps = 0, unm = 0;

	/* The trace walk fills the fault into the walk state; the plain
	 * translation keeps it in the image (hvs_vp_last_fault()). */
	if (trace) {
		s = hvs_vp_trace(img, vp, gva, &w);
		gpa = w.gpa;
		ps = w.page_size;
		unm = w.unmapped_size;
		f = s == HVS_E_NOTPRESENT ? &w.fault : NULL;
	} else {
		memset(&w, 0, sizeof w);
		s = hvs_vp_translate(img, vp, gva, &gpa, &ps, &unm);
		f = s == HVS_E_NOTPRESENT ? hvs_vp_last_fault(img, vp) : NULL;
	}
	if (s != HVS_OK && s != HVS_E_NOTPRESENT && s != HVS_E_NODATA)
		return s; /* registers missing, I/O ...: the caller reports it */
	/* JSON keeps "gpa" in every object (null when unmapped) so that
	 * consumers need not test for the key; "level" is the paging level
	 * of the entry that stopped the walk (hvs_xlat_fault: x86 5..1, so
	 * 4 = PML4E; ARM64 0..3), absent when no entry was involved. */
	if (j) {
		json_obj_begin(j, NULL);
		json_hex(j, "gva", gva);
		if (s == HVS_OK) {
			json_hex(j, "gpa", gpa);
			json_u64(j, "page_size", ps);
		} else {
			json_null(j, "gpa");
			json_str(j, "reason", reason_of(s, f));
			if (f && f->level >= 0)
				json_i64(j, "level", f->level);
			/* How far the hole reaches lets a scanner skip it. */
			if (s == HVS_E_NOTPRESENT)
				json_hex(j, "unmapped_size", unm);
			else
				json_str(j, "message", hvs_image_errmsg(img));
		}
		if (trace) {
			json_arr_begin(j, "steps");
			for (i = 0; i < w.nsteps && i < HVS_XLAT_MAX_STEPS; i++) {
				json_obj_begin(j, NULL);
				json_str(j, "level", w.steps[i].name);
				json_hex(j, "entry_gpa", w.steps[i].entry_gpa);
				json_hex(j, "entry", w.steps[i].entry);
				flags_text(w.steps[i].flags, fl, sizeof fl);
				json_str(j, "flags", fl);
				json_obj_end(j);
			}
			json_arr_end(j);
		}
		json_obj_end(j);
		return s;
	}
	/* Text: the steps first, then one summary line per address, so that
	 * `grep -- '->'` gives the plain translation list. */
	if (trace) {
		for (i = 0; i < w.nsteps && i < HVS_XLAT_MAX_STEPS; i++) {
			flags_text(w.steps[i].flags, fl, sizeof fl);
			printf("  %-6s at 0x%012" PRIx64 " = 0x%016" PRIx64 "  %s\n",
			       w.steps[i].name, w.steps[i].entry_gpa, w.steps[i].entry, fl);
		}
	}
	if (s == HVS_OK) {
		size_text(ps, sz, sizeof sz);
		printf("0x%016" PRIx64 " -> 0x%" PRIx64 " (%s page)\n", gva, gpa, sz);
	} else if (s == HVS_E_NOTPRESENT) {
		printf("0x%016" PRIx64 " -> not mapped (%s", gva,
		       f ? hvs_xlat_fault_name(f->kind) : "not mapped");
		if (f && f->level >= 0)
			printf(" at level %d", f->level);
		printf("; next 0x%" PRIx64 " bytes unmapped)\n", unm);
	} else {
		printf("0x%016" PRIx64 " -> unknown: %s\n", gva, hvs_image_errmsg(img));
	}
	return s;
}

int cmd_xlat(int argc, char **argv)
{
	cli_optstate st;
	cli_vpopts vo;
	hvs_image *img = NULL;
	cli_json j;
	int id, json = 0, trace = 0, rc = CLI_EXIT_OK, i;
	hvs_paging_mode mode = HVS_PAGING_AUTO;

	cli_vpopts_init(&vo);
	cli_opt_init(&st, "xlat", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, opts)) != 0) {
		if (id < 0)
			goto usage_fail;
		if (id == OPT_HELP) {
			usage(stdout);
			cli_vpopts_free(&vo);
			return CLI_EXIT_OK;
		}
		if (id == OPT_JSON)
			json = 1;
		else if (id == OPT_TRACE)
			trace = 1;
	}
	if (st.nonopt < 2) {
		cli_usage_error("xlat", "expected FILE and at least one GVA");
		goto usage_fail;
	}
	/* Check every address before opening, so a typo costs no work. */
	for (i = 1; i < st.nonopt; i++) {
		uint64_t v;
		if (cli_parse_u64(st.pos[i], &v) != 0) {
			cli_usage_error("xlat", "'%s' is not an address", st.pos[i]);
			goto usage_fail;
		}
	}
	rc = cli_vpopts_open_vp(&vo, "xlat", st.pos[0], &img, &mode);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&vo);
		return rc;
	}
	if (json)
		cli_vpopts_json_begin(&j, &vo, mode, "translations");
	for (i = 1; i < st.nonopt; i++) {
		uint64_t gva;
		hvs_status s;
		cli_parse_u64(st.pos[i], &gva);
		s = one(img, vo.vp, gva, trace, json ? &j : NULL);
		if (s != HVS_OK && s != HVS_E_NOTPRESENT && s != HVS_E_NODATA) {
			cli_error("%s", hvs_image_errmsg(img));
			rc = cli_exit_code(s);
			break;
		}
		/* Not mapped or not in the image: exit 5 after printing all. */
		if (s != HVS_OK)
			rc = CLI_EXIT_NOTFOUND;
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
	}
	hvs_image_close(img);
	cli_vpopts_free(&vo);
	return rc;
usage_fail:
	cli_vpopts_free(&vo);
	return CLI_EXIT_USAGE;
}
