/* SPDX-License-Identifier: MIT */
/*
 * hvs stack FILE [--vp N|--all] [--symbols PATH] [--frames N] [--json]:
 * the call stack of a VP (or of every VP) as WinDbg's `k` prints it, from
 * the x64 unwinder (hvs/unwind.h, docs/unwind.md).  With --symbols the
 * frames are named module!function+offset through the modules' PDBs
 * (hvs/sym.h), else module+offset.  Public API only.
 *
 * Exit 0 when every requested VP was unwound (a walk that ends early is
 * still an answer: the reason is printed); 3 for an unsupported VP
 * (ARM64, 32-bit), other codes from the open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_ALL, OPT_SYMBOLS, OPT_FRAMES, OPT_HELP };

static const cli_opt opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "all", 0, 0, OPT_ALL },
	{ "symbols", 's', 1, OPT_SYMBOLS },
	{ "frames", 'n', 1, OPT_FRAMES },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs stack [options] FILE\n\n"
		   "Unwind the call stack of a VP (x64: .pdata/UNWIND_INFO, as Windows does)\n"
		   "and print it as WinDbg's k: Child-SP, RetAddr, Call Site.\n\n"
		   "  --vp N           the VP (default 0)\n"
		   "  --all            every VP\n"
		   "  --symbols PATH   symbol path (dbghelp syntax) for module!function+offset\n"
		   "  --frames N       at most N frames (default 256, at most %u)\n"
		   "  --json           JSON output (frames with registers and method)\n%s",
		HVS_UNWIND_MAX_FRAMES, cli_vpopts_help);
}

/* Names of the non-volatile registers, by general-register index. */
static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
};

static void json_frame(cli_json *j, const hvs_unwind_frame *f, size_t i)
{
	char loc[2 * HVS_UNWIND_NAME_MAX + 32];
	unsigned k;

	hvs_unwind_format_location(f, loc, sizeof loc);
	json_obj_begin(j, NULL);
	json_u64(j, "index", i);
	json_hex(j, "rip", f->rip);
	json_hex(j, "rsp", f->rsp);
	json_hex(j, "ret", f->ret);
	json_str(j, "how", hvs_unwind_how_name(f->how));
	json_str(j, "location", loc);
	json_str(j, "module", f->module[0] ? f->module : NULL);
	if (f->module[0])
		json_hex(j, "module_base", f->module_base);
	else
		json_null(j, "module_base");
	json_str(j, "symbol", f->symbol[0] ? f->symbol : NULL);
	if (f->symbol[0])
		json_hex(j, "offset", f->sym_offset);
	else
		json_null(j, "offset");
	if (f->func_begin) {
		json_hex(j, "function_begin", f->func_begin);
		json_hex(j, "function_end", f->func_end);
	}
	json_obj_begin(j, "registers");
	for (k = 0; k < 16; k++)
		if ((HVS_UNWIND_NONVOL_GPR >> k & 1u) && (f->regs.gpr_known >> k & 1u))
			json_hex(j, gpr_names[k], f->regs.gpr[k]);
	for (k = 6; k < 16; k++)
		if (f->regs.xmm_known >> k & 1u) {
			char name[8], val[40];

			snprintf(name, sizeof name, "xmm%u", k);
			snprintf(val, sizeof val, "0x%016" PRIx64 "%016" PRIx64,
				 f->regs.xmm[k].hi, f->regs.xmm[k].lo);
			json_str(j, name, val);
		}
	json_obj_end(j);
	json_arr_begin(j, "restored");
	for (k = 0; k < 16; k++)
		if (f->gpr_restored >> k & 1u)
			json_str(j, NULL, gpr_names[k]);
	for (k = 0; k < 16; k++)
		if (f->xmm_restored >> k & 1u) {
			char name[8];

			snprintf(name, sizeof name, "xmm%u", k);
			json_str(j, NULL, name);
		}
	json_arr_end(j);
	json_obj_end(j);
}

/* Unwind one VP and print it.  Returns a CLI exit code. */
static int one_vp(hvs_image *img, uint32_t vp, hvs_sym *sym, size_t max,
		  cli_json *j)
{
	hvs_unwind *u = NULL;
	hvs_unwind_symbols *sy = NULL;
	hvs_unwind_frame *f;
	hvs_unwind_opts o;
	hvs_unwind_ctx c;
	hvs_unwind_end end = HVS_UNWIND_END_BOTTOM;
	char err[HVS_ERRMSG_MAX] = "";
	size_t n = 0, i;
	hvs_status s;
	int rc = CLI_EXIT_OK;

	f = calloc(max, sizeof *f);
	if (!f) {
		cli_error("out of memory");
		return CLI_EXIT_OTHER;
	}
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	s = hvs_unwind_new_vp(&u, img, vp, &o);
	if (s == HVS_OK)
		s = hvs_unwind_vp_context(img, vp, &c);
	if (s == HVS_OK && sym && hvs_unwind_symbols_new(&sy, sym, NULL) == HVS_OK)
		hvs_unwind_set_symbols(u, hvs_unwind_symbols_lookup, sy);
	if (s == HVS_OK)
		s = hvs_unwind_walk(u, &c, f, max, &n, &end);
	if (s != HVS_OK) {
		cli_error("VP %" PRIu32 ": %s", vp, err[0] ? err
			  : u ? hvs_unwind_errmsg(u) : hvs_strerror(s));
		rc = s == HVS_E_UNSUPPORTED ? CLI_EXIT_FORMAT : cli_exit_code(s);
		if (j) {
			json_obj_begin(j, NULL);
			json_u64(j, "vp", vp);
			json_str(j, "error", err[0] ? err : hvs_strerror(s));
			json_obj_end(j);
		}
		goto out;
	}
	if (j) {
		json_obj_begin(j, NULL);
		json_u64(j, "vp", vp);
		json_arr_begin(j, "frames");
		for (i = 0; i < n; i++)
			json_frame(j, &f[i], i);
		json_arr_end(j);
		json_str(j, "end", hvs_unwind_end_name(end));
		json_str(j, "end_message", hvs_unwind_errmsg(u));
		json_obj_end(j);
	} else {
		size_t need = hvs_unwind_format_stack(f, n, NULL, 0);
		char *text = malloc(need + 1);

		if (!text) {
			cli_error("out of memory");
			rc = CLI_EXIT_OTHER;
			goto out;
		}
		hvs_unwind_format_stack(f, n, text, need + 1);
		printf("VP %" PRIu32 ": %zu frame%s\n%s", vp, n, n == 1 ? "" : "s", text);
		printf("end: %s: %s\n", hvs_unwind_end_name(end), hvs_unwind_errmsg(u));
		free(text);
	}
out:
	hvs_unwind_symbols_free(sy);
	hvs_unwind_free(u);
	free(f);
	return rc;
}

int cmd_stack(int argc, char **argv)
{
	cli_optstate st;
	cli_vpopts vo;
	hvs_image *img = NULL;
	hvs_sym *sym = NULL;
	cli_json j;
	const char *symbols = NULL;
	uint64_t frames = 256;
	uint32_t vp, first, last;
	int id, json = 0, all = 0, rc, r;

	cli_vpopts_init(&vo);
	cli_opt_init(&st, "stack", argc, argv);
	while ((id = cli_vpopts_next(&vo, &st, opts)) != 0) {
		if (id < 0)
			goto usage_fail;
		switch (id) {
		case OPT_HELP:
			usage(stdout);
			cli_vpopts_free(&vo);
			return CLI_EXIT_OK;
		case OPT_JSON: json = 1; break;
		case OPT_ALL: all = 1; break;
		case OPT_SYMBOLS: symbols = st.arg; break;
		case OPT_FRAMES:
			if (cli_parse_u64(st.arg, &frames) != 0 || !frames ||
			    frames > HVS_UNWIND_MAX_FRAMES) {
				cli_usage_error("stack", "bad --frames '%s' (1..%u)", st.arg,
						HVS_UNWIND_MAX_FRAMES);
				goto usage_fail;
			}
			break;
		default:
			break;
		}
	}
	if (st.nonopt != 1) {
		cli_usage_error("stack", "expected one FILE");
		goto usage_fail;
	}
	if (all && vo.vp_set) {
		cli_usage_error("stack", "--all and --vp exclude each other");
		goto usage_fail;
	}
	vo.need_vp = !all;
	rc = cli_vpopts_open(&vo, "stack", st.pos[0], &img);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&vo);
		return rc;
	}
	if (symbols) {
		hvs_sym_opts so;
		char err[HVS_ERRMSG_MAX];
		hvs_status s;

		memset(&so, 0, sizeof so);
		so.symbol_path = symbols;
		so.vp = all ? HVS_SYM_VP_AUTO : vo.vp;
		so.errbuf = err;
		so.errbuf_size = sizeof err;
		s = hvs_sym_open(&sym, img, &so);
		if (s != HVS_OK) {
			cli_error("symbols: %s", err);
			hvs_image_close(img);
			cli_vpopts_free(&vo);
			return s == HVS_E_INVALID ? CLI_EXIT_USAGE : cli_exit_code(s);
		}
		/* The kernel's module list names more modules; a guest
		 * without a Windows kernel still gets each image's PDB. */
		(void)hvs_sym_load_kernel(sym);
	}
	first = all ? 0 : vo.vp;
	last = all ? hvs_image_vp_count(img) : vo.vp + 1;
	if (json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_arr_begin(&j, "vps");
	}
	rc = CLI_EXIT_OK;
	for (vp = first; vp < last; vp++) {
		if (!json && vp != first)
			printf("\n");
		r = one_vp(img, vp, sym, (size_t)frames, json ? &j : NULL);
		if (r != CLI_EXIT_OK && rc == CLI_EXIT_OK)
			rc = r;
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
	}
	hvs_sym_close(sym);
	hvs_image_close(img);
	cli_vpopts_free(&vo);
	return rc;
usage_fail:
	cli_vpopts_free(&vo);
	return CLI_EXIT_USAGE;
}
