/* SPDX-License-Identifier: MIT */
/*
 * hvs xlat: translate guest-virtual addresses of one VP to guest-physical
 * ones, optionally printing every paging level (--trace).  Works on every
 * input the image API opens; registers an input lacks are supplied with
 * the shared VP options (cli/vpopts.h).  Public API only.
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
	{ "help", 'h', 0, OPT_HELP },
	CLI_VPOPTS_ENTRIES,
	{ NULL, 0, 0, 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs xlat [options] FILE GVA...\n\n"
		   "Translate guest-virtual addresses of a VP to guest-physical addresses.\n\n"
		   "  --trace, -t            print every paging level (entry address, value, flags)\n"
		   "  --json                 JSON output\n%s",
		cli_vpopts_help);
}

/* "P W U NX A D G LEAF LARGE PXN" for the set flags. */
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

/* Short machine-readable reason for a failed translation. */
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
	while ((id = cli_opt_next(&st, opts)) != 0) {
		int h;
		if (id < 0)
			goto usage_fail;
		if (id == OPT_HELP) {
			usage(stdout);
			cli_vpopts_free(&vo);
			return CLI_EXIT_OK;
		}
		if (id == OPT_JSON) {
			json = 1;
			continue;
		}
		if (id == OPT_TRACE) {
			trace = 1;
			continue;
		}
		h = cli_vpopts_handle(&vo, "xlat", id, st.arg);
		if (h < 0)
			goto usage_fail;
	}
	if (st.nonopt < 2) {
		cli_usage_error("xlat", "expected FILE and at least one GVA");
		goto usage_fail;
	}
	for (i = 1; i < st.nonopt; i++) {
		uint64_t v;
		if (cli_parse_u64(st.pos[i], &v) != 0) {
			cli_usage_error("xlat", "'%s' is not an address", st.pos[i]);
			goto usage_fail;
		}
	}
	rc = cli_vpopts_open(&vo, "xlat", st.pos[0], &img);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&vo);
		return rc;
	}
	if (hvs_image_get_paging_mode(img, vo.vp, &mode) != HVS_OK) {
		cli_error("%s", hvs_image_errmsg(img));
		rc = CLI_EXIT_NOTFOUND;
		goto out;
	}
	if (json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_u64(&j, "vp", vo.vp);
		json_str(&j, "paging_mode", hvs_paging_mode_name(mode));
		json_arr_begin(&j, "translations");
	}
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
out:
	hvs_image_close(img);
	cli_vpopts_free(&vo);
	return rc;
usage_fail:
	cli_vpopts_free(&vo);
	return CLI_EXIT_USAGE;
}
