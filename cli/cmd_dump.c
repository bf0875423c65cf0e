/* SPDX-License-Identifier: MIT */
/*
 * hvs dump-structures FILE [--json] [--entries]: every on-disk structure
 * of a HyperVStorage container with every field and its offset, valid or
 * not (hvs_store_dump(); docs/format/storage.md, "Seeing what a file
 * holds").  The format is undocumented, so users with real files need to
 * see what was found field by field; a damaged structure is shown with
 * its problem and the walk goes on.  The file is shown as it is on disk:
 * a pending replay log is listed, not applied.
 * Exit codes as every command: 0 all valid, 1 some structure damaged
 * (everything is still printed), 3 not a container, 4 I/O.
 * Public API only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

enum { OPT_JSON = 1, OPT_ENTRIES, OPT_HELP };

static const cli_opt dump_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "entries", 0, 0, OPT_ENTRIES },
	{ "help", 'h', 0, OPT_HELP },
	{ NULL, 0, 0, 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs dump-structures [--json] [--entries] FILE\n\n"
		   "Print every on-disk structure of a .vmrs/.vmcx/.vsv with each field,\n"
		   "its offset (relative to the structure) and size: both file headers,\n"
		   "the replay log and its entry slots (stale ones too), the object\n"
		   "tables and their entries, the key table headers.  --entries adds\n"
		   "every key-table entry header.  Checksums show the computed value.\n");
}

/* Output state shared by the callbacks. */
typedef struct dump_out {
	cli_json j;
	int json;
	int open;       /* a JSON structure object is open */
} dump_out;

/* Text label of a structure: "file header copy 0", "object table 0", ... */
static void label(const hvs_dump_struct *s, char *buf, size_t n)
{
	if (strcmp(s->kind, "file header") == 0)
		snprintf(buf, n, "file header copy %" PRId64, s->index);
	else if (s->index >= 0)
		snprintf(buf, n, "%s %" PRId64, s->kind, s->index);
	else
		snprintf(buf, n, "%s", s->kind);
}

/*
 * A structure starts.  JSON: close the previous structure's object (the
 * library streams, so the end of a structure is the start of the next)
 * and open {kind, offset, size, index, valid, state, problem, fields[]}.
 * Text: one header line; offsets are absolute, sizes as the file says.
 */
static void on_begin(void *ud, const hvs_dump_struct *s)
{
	dump_out *o = ud;
	char name[96];

	if (o->json) {
		if (o->open) {
			json_arr_end(&o->j);
			json_obj_end(&o->j);
		}
		json_obj_begin(&o->j, NULL);
		json_str(&o->j, "kind", s->kind);
		json_hex(&o->j, "offset", s->offset);
		json_hex(&o->j, "size", s->size);
		json_i64(&o->j, "index", s->index);
		json_bool(&o->j, "valid", s->valid);
		json_str(&o->j, "state", s->state);
		json_str(&o->j, "problem", s->problem);
		json_arr_begin(&o->j, "fields");
		o->open = 1;
		return;
	}
	label(s, name, sizeof name);
	printf("%s @0x%04" PRIX64 " size 0x%" PRIX64 " (%s%s%s)%s%s\n", name, s->offset,
	       s->size, s->valid ? "valid" : "INVALID", s->state ? ", " : "",
	       s->state ? s->state : "", s->problem ? ": " : "", s->problem ? s->problem : "");
}

/* Name of a checksum verdict. */
static const char *check_name(hvs_dump_check c)
{
	switch (c) {
	case HVS_DUMP_CHECK_OK: return "ok";
	case HVS_DUMP_CHECK_BAD: return "bad";
	case HVS_DUMP_CHECK_UNKNOWN: return "unknown";
	case HVS_DUMP_CHECK_NONE: break;
	}
	return NULL;
}

/*
 * One field.  JSON: {name, offset, size, value} plus check/computed on
 * checksum fields and note when the library decoded a meaning.  Text:
 * "+0xOFF  SIZE  name  value", the offset relative to the structure as
 * in the tables of docs/format/storage.md, so the two can be compared.
 */
static void on_field(void *ud, const hvs_dump_field *f)
{
	dump_out *o = ud;

	if (o->json) {
		json_obj_begin(&o->j, NULL);
		json_str(&o->j, "name", f->name);
		json_hex(&o->j, "offset", f->offset);
		json_u64(&o->j, "size", f->size);
		json_hex(&o->j, "value", f->value);
		if (f->check != HVS_DUMP_CHECK_NONE) {
			json_str(&o->j, "check", check_name(f->check));
			if (f->check != HVS_DUMP_CHECK_UNKNOWN)
				json_hex(&o->j, "computed", f->computed);
		}
		if (f->note)
			json_str(&o->j, "note", f->note);
		json_obj_end(&o->j);
		return;
	}
	/* Values in as many hex digits as the field has bytes. */
	printf("  +0x%02" PRIX64 "  %u  %-24s 0x%0*" PRIX64, f->offset, f->size, f->name,
	       (int)(f->size * 2), f->value);
	if (f->check == HVS_DUMP_CHECK_OK)
		printf("  (checksum ok)");
	else if (f->check == HVS_DUMP_CHECK_BAD)
		printf("  (BAD, computed 0x%08" PRIX64 ")", f->computed);
	else if (f->check == HVS_DUMP_CHECK_UNKNOWN)
		printf("  (not verifiable)");
	if (f->note)
		printf("  %s", f->note);
	printf("\n");
}

/*
 * Entry point.  The source is opened here (not through hvs_store_open):
 * the dump must work on files the reader rejects, down to a file that is
 * only a damaged header.
 */
int cmd_dump(int argc, char **argv)
{
	cli_optstate st;
	int id;
	uint32_t flags = 0;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_open_opts oo;
	hvs_dump_ops ops;
	hvs_source src;
	dump_out o;
	hvs_status s;

	memset(&o, 0, sizeof o);
	cli_opt_init(&st, "dump-structures", argc, argv);
	while ((id = cli_opt_next(&st, dump_opts)) != 0) {
		switch (id) {
		case OPT_JSON: o.json = 1; break;
		case OPT_ENTRIES: flags |= HVS_DUMP_KEY_ENTRIES; break;
		case OPT_HELP: usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (st.nonopt != 1)
		return cli_usage_error("dump-structures", "expected one FILE");
	s = hvs_source_open_file(&src, st.pos[0]);
	if (s != HVS_OK) {
		cli_error("%s: cannot open", st.pos[0]);
		return cli_exit_code(s);
	}
	memset(&oo, 0, sizeof oo);
	oo.errbuf = err;
	oo.errbuf_size = sizeof err;
	ops.begin = on_begin;
	ops.field = on_field;
	ops.ud = &o;
	if (o.json) {
		json_init(&o.j, stdout);
		json_obj_begin(&o.j, NULL);
		json_str(&o.j, "file", st.pos[0]);
		json_arr_begin(&o.j, "structures");
	}
	s = hvs_store_dump(&src, &oo, flags, &ops);
	/* The verdict comes after the structures: everything was printed
	 * even when the file is damaged (exit 1) or not a container (3). */
	if (o.json) {
		if (o.open) {
			json_arr_end(&o.j);
			json_obj_end(&o.j);
		}
		json_arr_end(&o.j);
		json_str(&o.j, "status", s == HVS_OK ? "ok" : hvs_strerror(s));
		if (s != HVS_OK)
			json_str(&o.j, "error", err[0] ? err : hvs_strerror(s));
		json_obj_end(&o.j);
		json_end(&o.j);
	} else if (s != HVS_OK) {
		cli_error("%s: %s", st.pos[0], err[0] ? err : hvs_strerror(s));
	}
	hvs_source_close(&src);
	return cli_exit_code(s);
}
