/* SPDX-License-Identifier: MIT */
/*
 * hvs regs FILE [--vp N] [--vtl N] [--all] [--vsv PATH] [--json]: the
 * saved registers of each virtual processor by architectural name
 * (GetRegisterValue, api.md 2.4).  Segments are decoded into selector,
 * base, limit and attributes (VMX access-rights layout, hvs/regs.h);
 * descriptor tables into base and limit; the x87/SSE control words into
 * their fields.  By default the active VTL of every VP is shown and
 * registers the file does not hold are omitted; --all shows every VTL
 * with state and lists the missing registers as "not saved".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_ALL, OPT_HELP };

/* --vp, --vtl, --vsv and the input options come from vpopts.h; --vp
 * without a value here means every VP, so vp_set tells them apart. */
static const cli_opt regs_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "all", 'a', 0, OPT_ALL },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs regs [--vp N] [--vtl N] [--all] [--vsv PATH] [--json] FILE\n\n"
		   "Print the saved registers of every virtual processor (or VP N, by\n"
		   "position), in its active VTL (or VTL N).\n"
		   "  --all   every VTL with state, and registers not saved as \"not saved\"\n"
		   "  --json  machine-readable output\n%s", cli_vpopts_help);
}

static const char *arch_name(hvs_arch a)
{
	return a == HVS_ARCH_ARM64 ? "arm64" : a == HVS_ARCH_X64 ? "x64"
					       : a == HVS_ARCH_X86 ? "x86" : "unknown";
}

/* Print one register as text: "  name  value". */
static void text_reg(hvs_reg r, const hvs_regval *v)
{
	unsigned attr;
	printf("  %-18s ", hvs_reg_name(r));
	if (!v) {
		printf("not saved\n");
		return;
	}
	switch (hvs_reg_kind(r)) {
	case HVS_REGKIND_U128:
		printf("0x%016" PRIx64 "%016" PRIx64 "\n", v->hi, v->lo);
		break;
	case HVS_REGKIND_SEGMENT:
		/* hi = limit | selector << 32 | attributes << 48 (hvs/regs.h). */
		attr = (unsigned)(v->hi >> 48);
		printf("sel 0x%04x base 0x%016" PRIx64 " limit 0x%08x attr 0x%04x "
		       "(type %u s %u dpl %u p %u l %u db %u g %u)\n",
		       (unsigned)(v->hi >> 32) & 0xFFFF, v->lo, (unsigned)v->hi, attr, attr & 15,
		       attr >> 4 & 1, attr >> 5 & 3, attr >> 7 & 1, attr >> 13 & 1, attr >> 14 & 1,
		       attr >> 15 & 1);
		break;
	case HVS_REGKIND_TABLE:
		printf("base 0x%016" PRIx64 " limit 0x%04x\n", v->hi, (unsigned)(v->lo & 0xFFFF));
		break;
	case HVS_REGKIND_FP_CONTROL:
		printf("fcw 0x%04x fsw 0x%04x ftw 0x%02x fop 0x%04x ip 0x%016" PRIx64 "\n",
		       (unsigned)v->lo & 0xFFFF, (unsigned)(v->lo >> 16) & 0xFFFF,
		       (unsigned)(v->lo >> 32) & 0xFF, (unsigned)(v->lo >> 48) & 0xFFFF, v->hi);
		break;
	case HVS_REGKIND_XMM_CONTROL:
		printf("mxcsr 0x%08x mask 0x%08x dp 0x%016" PRIx64 "\n", (unsigned)v->hi,
		       (unsigned)(v->hi >> 32), v->lo);
		break;
	default:
		printf("0x%016" PRIx64 "\n", v->lo);
		break;
	}
}

/* Emit one register as a JSON member (null when not saved). */
static void json_reg(cli_json *j, hvs_reg r, const hvs_regval *v)
{
	char hex[40];
	const char *name = hvs_reg_name(r);
	if (!v) {
		json_null(j, name);
		return;
	}
	switch (hvs_reg_kind(r)) {
	case HVS_REGKIND_U128:
		snprintf(hex, sizeof hex, "0x%016" PRIx64 "%016" PRIx64, v->hi, v->lo);
		json_str(j, name, hex);
		break;
	case HVS_REGKIND_SEGMENT:
		json_obj_begin(j, name);
		json_hex(j, "selector", (v->hi >> 32) & 0xFFFF);
		json_hex(j, "base", v->lo);
		json_hex(j, "limit", v->hi & 0xFFFFFFFFu);
		json_hex(j, "attributes", v->hi >> 48);
		json_obj_end(j);
		break;
	case HVS_REGKIND_TABLE:
		json_obj_begin(j, name);
		json_hex(j, "base", v->hi);
		json_hex(j, "limit", v->lo & 0xFFFF);
		json_obj_end(j);
		break;
	case HVS_REGKIND_FP_CONTROL:
		json_obj_begin(j, name);
		json_hex(j, "fcw", v->lo & 0xFFFF);
		json_hex(j, "fsw", (v->lo >> 16) & 0xFFFF);
		json_hex(j, "ftw", (v->lo >> 32) & 0xFF);
		json_hex(j, "fop", (v->lo >> 48) & 0xFFFF);
		json_hex(j, "ip", v->hi);
		json_obj_end(j);
		break;
	case HVS_REGKIND_XMM_CONTROL:
		json_obj_begin(j, name);
		json_hex(j, "mxcsr", v->hi & 0xFFFFFFFFu);
		json_hex(j, "mxcsr_mask", v->hi >> 32);
		json_hex(j, "dp", v->lo);
		json_obj_end(j);
		break;
	default:
		json_hex(j, name, v->lo);
		break;
	}
}

/* Show VP @vp in VTL @vtl (text or JSON). */
static void show(hvs_image *img, cli_json *j, uint32_t vp, uint32_t vtl, int all)
{
	hvs_vp_info vi;
	hvs_arch ra;
	unsigned r;
	hvs_image_vp_info(img, vp, &vi);
	/* x86 guests use the X64 ids (hvs/regs.h). */
	ra = vi.arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64 : HVS_ARCH_X64;
	if (j) {
		json_obj_begin(j, NULL);
		json_u64(j, "vp", vp);
		json_u64(j, "index", vi.index);
		json_u64(j, "vtl", vtl);
		json_bool(j, "active", vtl == vi.active_vtl);
		json_str(j, "arch", arch_name(vi.arch));
		json_obj_begin(j, "registers");
	} else {
		printf("VP %u (index %u), VTL %u%s, %s:\n", vp, vi.index, vtl,
		       vtl == vi.active_vtl ? " (active)" : "", arch_name(vi.arch));
	}
	for (r = 0; r < HVS_REG_COUNT; r++) {
		hvs_regval v;
		int have;
		if (hvs_reg_kind((hvs_reg)r) == HVS_REGKIND_NONE || hvs_reg_arch((hvs_reg)r) != ra)
			continue;
		have = hvs_image_get_reg(img, vp, (int)vtl, (hvs_reg)r, &v) == HVS_OK;
		if (!have && !all)
			continue;
		if (j)
			json_reg(j, (hvs_reg)r, have ? &v : NULL);
		else
			text_reg((hvs_reg)r, have ? &v : NULL);
	}
	if (j) {
		json_obj_end(j);
		json_obj_end(j);
	}
}

int cmd_regs(int argc, char **argv)
{
	cli_optstate st;
	int id, json = 0, all = 0, rc = CLI_EXIT_USAGE;
	cli_vpopts vo;
	uint64_t want_vp = UINT64_MAX, want_vtl = UINT64_MAX;
	uint32_t vp, first, last, nvp;
	unsigned shown = 0;
	hvs_image *img;
	cli_json j;

	cli_vpopts_init(&vo);
	vo.need_vp = 0;
	cli_opt_init(&st, "regs", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, regs_opts)) != 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_ALL: all = 1; break;
		case OPT_HELP: usage(stdout); rc = CLI_EXIT_OK; goto out_opts;
		default: goto out_opts;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("regs", "expected one FILE");
		goto out_opts;
	}
	/* regs shows the chosen VTL of every selected VP itself, instead of
	 * forcing it active on one VP as the other commands do. */
	if (vo.vp_set)
		want_vp = vo.vp;
	if (vo.vtl >= 0)
		want_vtl = (uint64_t)vo.vtl;
	vo.vtl = -1;
	rc = cli_vpopts_open(&vo, "regs", st.pos[0], &img);
	if (rc != CLI_EXIT_OK)
		goto out_opts;
	nvp = hvs_image_vp_count(img);
	if (nvp == 0) {
		cli_error("%s: no processor state (a .bin without its .vsv?)", st.pos[0]);
		hvs_image_close(img);
		rc = CLI_EXIT_NOTFOUND;
		goto out_opts;
	}
	if (want_vp != UINT64_MAX && want_vp >= nvp) {
		cli_error("VP %" PRIu64 " does not exist (the image has %u)", want_vp, nvp);
		hvs_image_close(img);
		rc = CLI_EXIT_NOTFOUND;
		goto out_opts;
	}
	first = want_vp == UINT64_MAX ? 0 : (uint32_t)want_vp;
	last = want_vp == UINT64_MAX ? nvp - 1 : (uint32_t)want_vp;
	if (want_vtl != UINT64_MAX) {
		for (vp = first; vp <= last; vp++) {
			hvs_vp_info vi;
			hvs_image_vp_info(img, vp, &vi);
			if (!(vi.vtl_mask >> want_vtl & 1)) {
				cli_error("VP %u has no state for VTL %" PRIu64 " (VTLs 0x%x)", vp,
					  want_vtl, vi.vtl_mask);
				hvs_image_close(img);
				rc = CLI_EXIT_NOTFOUND;
				goto out_opts;
			}
		}
	}
	if (json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_arr_begin(&j, "vps");
	}
	for (vp = first; vp <= last; vp++) {
		hvs_vp_info vi;
		uint32_t t;
		hvs_image_vp_info(img, vp, &vi);
		for (t = 0; t < HVS_VTL_COUNT; t++) {
			int pick = want_vtl != UINT64_MAX ? t == want_vtl
				   : all ? (vi.vtl_mask >> t & 1) != 0 : t == vi.active_vtl;
			if (!pick)
				continue;
			if (!json && shown++)
				putchar('\n');
			show(img, json ? &j : NULL, vp, t, all);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
	}
	hvs_image_close(img);
	rc = CLI_EXIT_OK;
out_opts:
	cli_vpopts_free(&vo);
	return rc;
}
