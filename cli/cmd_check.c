/* SPDX-License-Identifier: MIT */
/*
 * hvs check FILE: validate a HyperVStorage container (.vmrs, .vmcx)
 * completely: both headers, the replay log, every object table and entry,
 * every key table and key entry with its checksum, every file-object
 * pointer, and every value's bytes.  The store parser runs in lenient mode
 * (a problem sink) so that every problem is listed with its file offset,
 * not only the first.  Exit codes: 0 valid, 1 damaged, 3 not this format
 * or an unsupported version, 4 I/O error, 6 out of memory (cli/cli.h).
 *
 * Two kinds of findings (docs/format/storage.md says which is which):
 *  - damage: the store reports it with a status other than HVS_OK (bad
 *    CRC, entry past its table, dangling file object ...) or a value
 *    cannot be read.  Any one makes the verdict "damaged", exit 1.
 *  - notes ("warning"): unusual but harmless (e.g. an object-table CRC
 *    below version 3.1, a header without a replay log).  Listed, exit 0.
 * A fatal open error (the parser could not go on) is one more damage
 * entry, without an offset.  The output is a golden-test surface
 * (tests/golden/check_*.expect): key order and wording are stable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

/* --no-replay checks the file as written, without the pending replay log
 * applied, to tell a damaged log from damaged base tables. */
enum { OPT_JSON = 1, OPT_NO_REPLAY, OPT_HELP };

static const cli_opt check_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "no-replay", 0, 0, OPT_NO_REPLAY },
	{ "help", 'h', 0, OPT_HELP },
	{ NULL, 0, 0, 0 }
};

/* Problems collected from the sink and from the value pass. */
typedef struct problem {
	int warning;  /* a note: unusual but not damage */
	uint64_t offset; /* file offset, UINT64_MAX: none ("offset": null) */
	char *msg;    /* a copy: the sink's message buffer is reused */
} problem;

typedef struct check_ctx {
	problem *p;
	size_t n, cap;
	int nomem;
	size_t damaged; /* problems that are not warnings */
	uint64_t values, value_bytes;
} check_ctx;

/* Keep a copy of one problem message; running out of memory is noted
 * and turns into exit code 6 at the end.  The sink has no way to stop
 * the parser, so a failed allocation only drops that message: the
 * verdict then cannot be trusted, which exit 6 (not 0 or 1) says. */
static void add_problem(check_ctx *c, int warning, uint64_t offset, const char *msg)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		problem *np = realloc(c->p, ncap * sizeof *np);
		if (!np) {
			c->nomem = 1;
			return;
		}
		c->p = np;
		c->cap = ncap;
	}
	c->p[c->n].offset = offset;
	c->p[c->n].warning = warning;
	c->p[c->n].msg = malloc(strlen(msg) + 1);
	if (!c->p[c->n].msg) {
		c->nomem = 1;
		return;
	}
	strcpy(c->p[c->n].msg, msg);
	c->n++;
	if (!warning)
		c->damaged++;
}

/* The store's problem sink (lenient mode): collect, never stop. */
static void sink(void *ud, hvs_status kind, uint64_t offset, const char *msg)
{
	/* The store reports notes (unusual, harmless) with kind HVS_OK. */
	add_problem(ud, kind == HVS_OK, offset, msg);
}

/*
 * Read every value completely (strings through the UTF-16 decoder too),
 * so that a file object pointing past the data or an unreadable range is
 * found.  Depth-first with an explicit stack: the tree may be deep.
 * Opening only validates the tables; a value's bytes are read lazily,
 * so without this pass a truncated file object would pass the check.
 * Children are pushed in reverse so problems come out in tree order,
 * the same order `hvs keys` prints.
 */
static hvs_status read_values(hvs_store *st, check_ctx *c, uint64_t file_size)
{
	const hvs_key **stack = NULL;
	size_t sn = 0, scap = 0, i;
	uint8_t *buf = malloc(1 << 16);
	char msg[HVS_ERRMSG_MAX + 200];
	cli_progress pr;

	/* Reading every value of a multi-gigabyte saved state takes seconds:
	 * show progress on a terminal (the values are nearly all of the
	 * file, so its size is the total). */
	cli_progress_start(&pr, "checking values", file_size);

	if (!buf)
		return HVS_E_NOMEM;
#define PUSH(k)                                                                \
	do {                                                                   \
		if (sn == scap) {                                              \
			size_t nc = scap ? scap * 2 : 64;                      \
			const hvs_key **ns = realloc((void *)stack, nc * sizeof *ns); \
			if (!ns)                                               \
				goto nomem;                                    \
			stack = ns;                                            \
			scap = nc;                                             \
		}                                                              \
		stack[sn++] = (k);                                             \
	} while (0)
	PUSH(hvs_store_root(st));
	while (sn) {
		const hvs_key *k = stack[--sn];
		uint64_t size = hvs_key_value_size(k), off = 0;
		hvs_status s = HVS_OK;
		hvs_key_info ki;

		for (i = hvs_key_child_count(k); i > 0; i--)
			PUSH(hvs_key_child(k, i - 1));
		if (hvs_key_get_type(k) == HVS_KEY_ROOT || hvs_key_get_type(k) == HVS_KEY_NODE)
			continue;
		c->values++;
		/* 64 KiB pieces: a RAM block value may be gigabytes. */
		while (off < size && s == HVS_OK) {
			size_t n = (size_t)(size - off < (1 << 16) ? size - off : (1 << 16));
			s = hvs_key_read(st, k, off, buf, n, NULL);
			off += n;
			cli_progress_update(&pr, c->value_bytes + off);
		}
		c->value_bytes += off;
		/* Decode strings as a reader would: the length query converts
		 * the whole UTF-16 value (one too large to hold fails here). */
		if (s == HVS_OK && hvs_key_get_type(k) == HVS_KEY_STRING) {
			size_t len;
			s = hvs_key_get_string(st, k, NULL, 0, &len);
			if (s == HVS_E_BUFSIZE)
				s = HVS_OK;
		}
		if (s == HVS_E_NOMEM)
			goto nomem;
		/* An unreadable value is damage, reported at the value's own
		 * offset; the walk goes on with the next key. */
		if (s != HVS_OK) {
			char path[512];
			if (hvs_key_path(k, path, sizeof path, NULL) != HVS_OK)
				snprintf(path, sizeof path, "%s", hvs_key_name(k));
			hvs_key_get_info(k, &ki);
			snprintf(msg, sizeof msg, "value of %s: %s", path, hvs_store_errmsg(st));
			add_problem(c, 0, ki.value_offset, msg);
		}
	}
#undef PUSH
	cli_progress_end(&pr);
	free((void *)stack);
	free(buf);
	return HVS_OK;
nomem:
	cli_progress_end(&pr);
	free((void *)stack);
	free(buf);
	return HVS_E_NOMEM;
}

/* --help text. */
static void usage(FILE *f)
{
	fprintf(f, "usage: hvs check [--json] [--no-replay] FILE\n\n"
		   "Validate every structure and checksum of a .vmrs/.vmcx container and\n"
		   "list each problem with its file offset.  Exit 0 valid, 1 damaged,\n"
		   "3 not a HyperVStorage container (or unsupported version), 4 I/O error.\n");
}

/* One word for the summary line and the JSON "verdict".  Notes alone
 * (problems == 0, warnings > 0) still give "valid". */
static const char *verdict_of(hvs_status s, size_t problems)
{
	if (s == HVS_E_UNSUPPORTED)
		return "unsupported";
	if (s == HVS_E_IO)
		return "io-error";
	if (s != HVS_OK || problems)
		return "damaged";
	return "valid";
}

/* Entry point: open leniently, read every value, print problems and the
 * summary (text or JSON), exit 0/1/3/4 as cli.h defines. */
int cmd_check(int argc, char **argv)
{
	cli_optstate o;
	check_ctx c;
	hvs_open_opts oo;
	hvs_store *st = NULL;
	hvs_store_info info;
	char err[HVS_ERRMSG_MAX] = "";
	const char *file;
	int json = 0, id, rc;
	size_t i;
	hvs_status s;

	memset(&c, 0, sizeof c);
	memset(&oo, 0, sizeof oo);
	memset(&info, 0, sizeof info);
	cli_opt_init(&o, "check", argc, argv);
	while ((id = cli_opt_next(&o, check_opts)) > 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_NO_REPLAY: oo.flags |= HVS_OPEN_NO_REPLAY; break;
		case OPT_HELP: usage(stdout); return CLI_EXIT_OK;
		default: break;
		}
	}
	if (id < 0)
		return CLI_EXIT_USAGE;
	if (o.nonopt != 1) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	file = o.pos[0];
	oo.errbuf = err;
	oo.errbuf_size = sizeof err;
	oo.problem = sink;
	oo.problem_ud = &c;
	/* Lenient open: with a sink the store reports damage and goes on where
	 * it safely can; it fails only on damage it cannot step over. */
	s = hvs_store_open_file(&st, file, &oo);
	if (s == HVS_OK) {
		hvs_store_get_info(st, &info);
		s = read_values(st, &c, info.file_size);
	}
	if (c.nomem)
		s = HVS_E_NOMEM;
	/* A fatal open error is a problem too (with no offset of its own).
	 * Unsupported and I/O errors are not findings about the file's
	 * integrity: they get their own verdict and exit code instead. */
	if (s != HVS_OK && s != HVS_E_UNSUPPORTED && s != HVS_E_IO && s != HVS_E_NOMEM)
		add_problem(&c, 0, UINT64_MAX, err[0] ? err : hvs_strerror(s));

	if (json) {
		cli_json j;
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "file", file);
		json_str(&j, "verdict", verdict_of(s, c.damaged));
		/* The statistics exist only for a file the store could open. */
		if (s == HVS_E_UNSUPPORTED || s == HVS_E_IO)
			json_str(&j, "error", err[0] ? err : hvs_strerror(s));
		if (st) {
			json_hex(&j, "format_version", info.format_version);
			json_u64(&j, "active_header", info.active_header);
			json_u64(&j, "header_sequence", info.header_sequence);
			json_hex(&j, "replay_log_offset", info.replay_log_offset);
			json_hex(&j, "replay_log_size", info.replay_log_size);
			json_u64(&j, "replay_pending", info.replay_pending);
			json_u64(&j, "replay_applied", info.replay_applied);
			json_u64(&j, "object_tables", info.object_table_count);
			json_u64(&j, "key_tables", info.key_table_count);
			json_u64(&j, "file_objects", info.file_object_count);
			json_u64(&j, "entries", info.entry_count);
			json_u64(&j, "keys", info.key_count);
			json_u64(&j, "values_read", c.values);
			json_u64(&j, "value_bytes", c.value_bytes);
		}
		json_arr_begin(&j, "problems");
		for (i = 0; i < c.n; i++) {
			json_obj_begin(&j, NULL);
			if (c.p[i].offset == UINT64_MAX)
				json_null(&j, "offset");
			else
				json_hex(&j, "offset", c.p[i].offset);
			json_str(&j, "level", c.p[i].warning ? "warning" : "damage");
			json_str(&j, "message", c.p[i].msg);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
	} else {
		/* Text: findings first, in the order found, then the summary,
		 * so that the last line always carries the verdict. */
		for (i = 0; i < c.n; i++) {
			const char *lvl = c.p[i].warning ? "warning" : "problem";
			if (c.p[i].offset == UINT64_MAX)
				printf("%s: %s\n", lvl, c.p[i].msg);
			else
				printf("%s at 0x%" PRIx64 ": %s\n", lvl, c.p[i].offset, c.p[i].msg);
		}
		if (s == HVS_E_UNSUPPORTED || s == HVS_E_IO || s == HVS_E_NOMEM)
			printf("%s: %s\n", file, err[0] ? err : hvs_strerror(s));
		if (st) {
			printf("format version %u.%u, header copy %u (sequence %u), replay log @0x%" PRIx64
			       " size 0x%" PRIx64 " (%u pending, %u applied)\n",
			       info.format_version >> 8, info.format_version & 0xFF,
			       info.active_header, info.header_sequence, info.replay_log_offset,
			       info.replay_log_size, info.replay_pending, info.replay_applied);
			printf("%u object tables, %u key tables, %u file objects, %" PRIu64
			       " entries, %" PRIu64 " keys, %" PRIu64 " values (%" PRIu64 " bytes) read\n",
			       info.object_table_count, info.key_table_count, info.file_object_count,
			       info.entry_count, info.key_count, c.values, c.value_bytes);
		}
		printf("%s: %s (%zu problem%s, %zu warning%s)\n", file,
		       verdict_of(s, c.damaged), c.damaged, c.damaged == 1 ? "" : "s",
		       c.n - c.damaged, c.n - c.damaged == 1 ? "" : "s");
	}
	/* Exit codes of cli.h; the order matters: an I/O error or missing
	 * memory outranks damage found before it (the check was incomplete). */
	if (s == HVS_E_UNSUPPORTED)
		rc = CLI_EXIT_FORMAT;
	else if (s == HVS_E_IO)
		rc = CLI_EXIT_IO;
	else if (s == HVS_E_NOMEM)
		rc = CLI_EXIT_OTHER;
	else
		rc = (s != HVS_OK || c.damaged) ? CLI_EXIT_CORRUPT : CLI_EXIT_OK;
	hvs_store_close(st);
	for (i = 0; i < c.n; i++)
		free(c.p[i].msg);
	free(c.p);
	return rc;
}
