/* SPDX-License-Identifier: MIT */
/*
 * hvs sym FILE [--symbols PATH] [--vp N] [--length N] [-v] NAME... [--json]
 * and hvs modules FILE [--symbols PATH] [--load] [-v] [--json]: the
 * symbol provider of a Windows guest (hvs/sym.h, docs/symbols.md).
 *
 * `sym` answers each NAME as a global (address, size, type, bytes) or,
 * when no global has that name, as a type (size and every field with its
 * offset, size and type, like WinDbg's `dt`).  `modules` lists the kernel
 * and the loaded-module list (PsLoadedModuleList) with each image's
 * CodeView record and where its symbols came from.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vpopts.h"

enum { OPT_JSON = 1, OPT_SYMBOLS, OPT_LENGTH, OPT_VERBOSE, OPT_NO_DOWNLOAD,
       OPT_LOAD, OPT_HELP };

/* Default number of bytes `sym` shows of a global. */
#define SYM_DEFAULT_BYTES 256u
/* Most bytes `sym --length` reads. */
#define SYM_MAX_BYTES (1u << 20)

/* Options of `sym`; the VP and input options come from vpopts.h. */
static const cli_opt sym_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "symbols", 's', 1, OPT_SYMBOLS },
	{ "length", 'n', 1, OPT_LENGTH },
	{ "verbose", 'v', 0, OPT_VERBOSE },
	{ "no-download", 0, 0, OPT_NO_DOWNLOAD },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

/* Options of `modules`. */
static const cli_opt modules_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "symbols", 's', 1, OPT_SYMBOLS },
	{ "load", 0, 0, OPT_LOAD },
	{ "verbose", 'v', 0, OPT_VERBOSE },
	{ "no-download", 0, 0, OPT_NO_DOWNLOAD },
	CLI_VPOPTS_TAIL(OPT_HELP)
};

static const char sym_common_help[] =
	"  --symbols PATH  symbol path in dbghelp syntax (folders, srv*CACHE*URL,\n"
	"                  cache*DIR; ';'-separated); default: $_NT_SYMBOL_PATH\n"
	"                  then $_NT_ALTERNATE_SYMBOL_PATH\n"
	"  --no-download   never download from HTTP(S) symbol stores\n"
	"  -v, --verbose   print where symbols were looked for (stderr)\n"
	"  --json          machine-readable output\n";

static void sym_usage(FILE *f)
{
	fprintf(f, "usage: hvs sym [--symbols PATH] [--vp N] [--length N] [-v] [--json] FILE NAME...\n\n"
		   "Locate the Windows kernel of the guest, load its symbols and answer each\n"
		   "NAME ('Name' or 'module!Name'; the kernel is 'nt'): a global variable or\n"
		   "function (address, size, type and its bytes) or else a type (size and\n"
		   "every field with offset, size and type, like WinDbg's dt).\n"
		   "  --length N      bytes of a global to show (default: its size, at most %u)\n"
		   "%s%s", SYM_DEFAULT_BYTES, sym_common_help, cli_vpopts_help);
}

static void modules_usage(FILE *f)
{
	fprintf(f, "usage: hvs modules [--symbols PATH] [--load] [-v] [--json] FILE\n\n"
		   "Locate the Windows kernel of the guest, load its symbols and list the\n"
		   "loaded kernel modules (PsLoadedModuleList): base, size, name, PDB name,\n"
		   "GUID and age, and where their symbols came from.\n"
		   "  --load          load the symbols of every module (else only the kernel's)\n"
		   "%s%s", sym_common_help, cli_vpopts_help);
}

/* Provider messages to stderr (-v). */
static void on_msg(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "hvs: symbols: %s\n", msg);
}

/* Options shared by both commands. */
typedef struct symcli {
	cli_vpopts vo;
	const char *symbols;
	int json, verbose, no_download, load;
	uint64_t length;
	int length_set;
} symcli;

/* Open the image and the provider and load the kernel's symbols.
 * Returns a CLI exit code; on success *img and *s are open. */
static int open_sym(symcli *c, const char *cmd, const char *path, hvs_image **img,
		    hvs_sym **s)
{
	hvs_sym_opts o;
	char err[HVS_ERRMSG_MAX];
	hvs_status st;
	int rc;
	/* The provider picks a kernel-mode VP itself unless --vp is given. */
	c->vo.need_vp = c->vo.vp_set;
	rc = cli_vpopts_open(&c->vo, cmd, path, img);
	if (rc != CLI_EXIT_OK)
		return rc;
	memset(&o, 0, sizeof o);
	o.symbol_path = c->symbols;
	o.vp = c->vo.vp_set ? c->vo.vp : HVS_SYM_VP_AUTO;
	o.flags = c->no_download ? HVS_SYM_NO_DOWNLOAD : 0;
	o.msg = c->verbose ? on_msg : NULL;
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	st = hvs_sym_open(s, *img, &o);
	if (st != HVS_OK) {
		cli_error("%s", err);
		hvs_image_close(*img);
		return st == HVS_E_INVALID ? CLI_EXIT_USAGE : cli_exit_code(st);
	}
	st = hvs_sym_load_kernel(*s);
	if (st != HVS_OK) {
		cli_error("%s", hvs_sym_errmsg(*s));
		hvs_sym_close(*s);
		hvs_image_close(*img);
		return cli_exit_code(st);
	}
	return CLI_EXIT_OK;
}

/* Parse the options of either command; returns 0 (go on), or an exit code + 1. */
static int parse(symcli *c, cli_optstate *st, const cli_opt *opts, const char *cmd,
		 void (*usage)(FILE *))
{
	int id;
	while ((id = cli_vpopts_next(&c->vo, st, opts)) != 0) {
		if (id < 0)
			return CLI_EXIT_USAGE + 1;
		switch (id) {
		case OPT_HELP:
			usage(stdout);
			return CLI_EXIT_OK + 1;
		case OPT_JSON: c->json = 1; break;
		case OPT_SYMBOLS: c->symbols = st->arg; break;
		case OPT_VERBOSE: c->verbose = 1; break;
		case OPT_NO_DOWNLOAD: c->no_download = 1; break;
		case OPT_LOAD: c->load = 1; break;
		case OPT_LENGTH:
			if (cli_parse_u64(st->arg, &c->length) != 0 || c->length > SYM_MAX_BYTES) {
				cli_usage_error(cmd, "bad --length '%s' (at most %u)", st->arg,
						SYM_MAX_BYTES);
				return CLI_EXIT_USAGE + 1;
			}
			c->length_set = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- sym */

typedef struct field_ctx {
	cli_json *j;
} field_ctx;

/* One field: a `dt` line or a JSON object. */
static hvs_status on_field(void *ud, const hvs_sym_field *f)
{
	field_ctx *c = ud;
	if (c->j) {
		json_obj_begin(c->j, NULL);
		json_str(c->j, "name", f->name);
		json_u64(c->j, "offset", f->offset);
		json_u64(c->j, "size", f->size);
		json_str(c->j, "type", f->type_name);
		if (f->bit_len) {
			json_u64(c->j, "bit_position", f->bit_pos);
			json_u64(c->j, "bit_length", f->bit_len);
		}
		json_obj_end(c->j);
		return HVS_OK;
	}
	printf("   +0x%03" PRIx64 " %-24s : %s", f->offset, f->name,
	       f->type_name ? f->type_name : "?");
	if (f->bit_len)
		printf(" (pos %u, %u bit%s)", f->bit_pos, f->bit_len, f->bit_len == 1 ? "" : "s");
	printf("  (size 0x%" PRIx64 ")\n", f->size);
	return HVS_OK;
}

/*
 * Answer one NAME; returns a CLI exit code.  A name is tried as a global
 * first and as a type second, as WinDbg's `x` and `dt` would; only when
 * neither exists is it an error, with both reasons.
 */
static int sym_one(symcli *c, hvs_sym *s, cli_json *j, const char *name)
{
	hvs_sym_global g;
	hvs_status st = hvs_sym_resolve(s, name, &g);
	if (st == HVS_OK) {
		uint64_t want = c->length_set ? c->length
			      : g.size ? (g.size < SYM_DEFAULT_BYTES ? g.size : SYM_DEFAULT_BYTES)
				       : 0;
		uint8_t *buf = want ? malloc((size_t)want) : NULL;
		size_t done = 0;
		hvs_status rs = HVS_OK;
		uint32_t vp = c->vo.vp_set ? c->vo.vp : HVS_SYM_VP_AUTO;
		if (want && !buf) {
			cli_error("out of memory");
			return CLI_EXIT_OTHER;
		}
		if (want)
			rs = hvs_sym_read(s, vp, name, buf, (size_t)want, &done);
		if (j) {
			json_obj_begin(j, NULL);
			json_str(j, "name", name);
			json_str(j, "kind", "global");
			json_str(j, "module", g.module);
			json_hex(j, "address", g.va);
			json_u64(j, "size", g.size);
			json_str(j, "type", g.type_name);
			if (want) {
				char *hex = malloc(done * 2 + 1);
				size_t i;
				if (hex) {
					for (i = 0; i < done; i++)
						snprintf(hex + i * 2, 3, "%02x", buf[i]);
					hex[done * 2] = '\0';
				}
				json_str(j, "bytes", hex);
				free(hex);
				if (rs != HVS_OK)
					json_str(j, "read_error", hvs_sym_errmsg(s));
			}
			json_obj_end(j);
		} else {
			printf("%s!%s at 0x%016" PRIx64 ", size 0x%" PRIx64 "%s%s\n", g.module,
			       strchr(name, '!') ? strchr(name, '!') + 1 : name, g.va, g.size,
			       g.type_name ? ", type " : "", g.type_name ? g.type_name : "");
			if (done)
				cli_hexdump(stdout, g.va, buf, done);
			if (rs != HVS_OK)
				printf("  (read stopped after %zu bytes: %s)\n", done,
				       hvs_sym_errmsg(s));
		}
		free(buf);
		return rs == HVS_OK ? CLI_EXIT_OK : cli_exit_code(rs);
	}
	if (st == HVS_E_NOTFOUND) {
		/* Not a global: try a type (WinDbg dt). */
		field_ctx fc;
		uint64_t size = 0;
		char gmsg[HVS_ERRMSG_MAX];
		snprintf(gmsg, sizeof gmsg, "%s", hvs_sym_errmsg(s));
		fc.j = NULL;
		st = hvs_sym_type_size(s, name, &size);
		if (st == HVS_OK) {
			if (j) {
				json_obj_begin(j, NULL);
				json_str(j, "name", name);
				json_str(j, "kind", "type");
				json_u64(j, "size", size);
				json_arr_begin(j, "fields");
				fc.j = j;
			} else {
				printf("%s (size 0x%" PRIx64 ")\n", name, size);
			}
			st = hvs_sym_fields(s, name, NULL, on_field, &fc);
			if (j) {
				json_arr_end(j);
				json_obj_end(j);
			}
			if (st == HVS_OK)
				return CLI_EXIT_OK;
		} else if (st == HVS_E_NOTFOUND) {
			cli_error("%s: no such global (%s) or type (%s)", name, gmsg,
				  hvs_sym_errmsg(s));
			if (j) {
				json_obj_begin(j, NULL);
				json_str(j, "name", name);
				json_str(j, "kind", "unknown");
				json_obj_end(j);
			}
			return CLI_EXIT_NOTFOUND;
		}
	}
	cli_error("%s: %s", name, hvs_sym_errmsg(s));
	return cli_exit_code(st);
}

/* hvs sym: every NAME is answered, even after a failure. */
int cmd_sym(int argc, char **argv)
{
	cli_optstate st;
	symcli c;
	hvs_image *img = NULL;
	hvs_sym *s = NULL;
	cli_json j;
	int rc, r, i;

	memset(&c, 0, sizeof c);
	cli_vpopts_init(&c.vo);
	cli_opt_init(&st, "sym", argc, argv);
	rc = parse(&c, &st, sym_opts, "sym", sym_usage);
	if (rc) {
		cli_vpopts_free(&c.vo);
		return rc - 1;
	}
	if (st.nonopt < 2) {
		cli_usage_error("sym", "expected FILE and at least one NAME");
		cli_vpopts_free(&c.vo);
		return CLI_EXIT_USAGE;
	}
	rc = open_sym(&c, "sym", st.pos[0], &img, &s);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&c.vo);
		return rc;
	}
	if (c.json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_arr_begin(&j, "results");
	}
	/* Every NAME is answered; the exit code is the first failure's. */
	for (i = 1; i < st.nonopt; i++) {
		r = sym_one(&c, s, c.json ? &j : NULL, st.pos[i]);
		if (r != CLI_EXIT_OK && rc == CLI_EXIT_OK)
			rc = r;
	}
	if (c.json) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
	}
	hvs_sym_close(s);
	hvs_image_close(img);
	cli_vpopts_free(&c.vo);
	return rc;
}

/* ------------------------------------------------------------ modules */

/* GUID in registry format {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}. */
static void guid_str(char *buf, size_t size, const uint8_t g[16])
{
	snprintf(buf, size,
		 "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11],
		 g[12], g[13], g[14], g[15]);
}

/*
 * hvs modules: the kernel and the loaded-module list.  A module list that
 * cannot be walked still prints what was found (at least the kernel); the
 * exit code reports the failure.
 */
int cmd_modules(int argc, char **argv)
{
	cli_optstate st;
	symcli c;
	hvs_image *img = NULL;
	hvs_sym *s = NULL;
	cli_json j;
	hvs_status ls;
	size_t i, n;
	int rc;

	memset(&c, 0, sizeof c);
	cli_vpopts_init(&c.vo);
	cli_opt_init(&st, "modules", argc, argv);
	rc = parse(&c, &st, modules_opts, "modules", modules_usage);
	if (rc) {
		cli_vpopts_free(&c.vo);
		return rc - 1;
	}
	if (st.nonopt != 1) {
		cli_usage_error("modules", "expected one FILE");
		cli_vpopts_free(&c.vo);
		return CLI_EXIT_USAGE;
	}
	rc = open_sym(&c, "modules", st.pos[0], &img, &s);
	if (rc != CLI_EXIT_OK) {
		cli_vpopts_free(&c.vo);
		return rc;
	}
	ls = hvs_sym_load_module_list(s);
	if (ls != HVS_OK) {
		/* The kernel is still listed; the exit code reports the list. */
		cli_error("loaded-module list: %s", hvs_sym_errmsg(s));
		rc = cli_exit_code(ls);
	}
	n = hvs_sym_module_count(s);
	if (c.load) {
		for (i = 0; i < n; i++) {
			if (hvs_sym_module_load(s, i) != HVS_OK && c.verbose)
				fprintf(stderr, "hvs: symbols: %s\n", hvs_sym_errmsg(s));
		}
	}
	if (c.json) {
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_arr_begin(&j, "modules");
	} else {
		printf("%-18s %-10s %-16s %-22s %s\n", "base", "size", "module", "image",
		       "pdb / symbols");
	}
	for (i = 0; i < n; i++) {
		hvs_sym_module m;
		char g[48];
		if (hvs_sym_module_at(s, i, &m) != HVS_OK)
			continue;
		guid_str(g, sizeof g, m.guid);
		if (c.json) {
			json_obj_begin(&j, NULL);
			json_str(&j, "name", m.name);
			json_str(&j, "image", m.image_name);
			json_hex(&j, "base", m.base);
			json_hex(&j, "size", m.size);
			json_hex(&j, "timestamp", m.timestamp);
			json_bool(&j, "kernel", m.is_kernel);
			json_bool(&j, "in_module_list", m.from_list);
			if (m.has_cv) {
				json_str(&j, "pdb", m.pdb_name);
				json_str(&j, "guid", g);
				json_u64(&j, "age", m.age);
			}
			json_str(&j, "symbols", m.pdb_path);
			json_obj_end(&j);
		} else {
			printf("0x%016" PRIx64 " 0x%08x %-16s %-22s ", m.base, m.size, m.name,
			       m.image_name ? m.image_name : "-");
			if (m.has_cv)
				printf("%s %s age %u", m.pdb_name, g, m.age);
			else
				printf("(no CodeView record)");
			if (m.pdb_path)
				printf(" <- %s", m.pdb_path);
			printf("\n");
		}
	}
	if (c.json) {
		json_arr_end(&j);
		json_u64(&j, "count", n);
		json_obj_end(&j);
		json_end(&j);
	} else {
		printf("%zu module%s\n", n, n == 1 ? "" : "s");
	}
	hvs_sym_close(s);
	hvs_image_close(img);
	cli_vpopts_free(&c.vo);
	return rc;
}
