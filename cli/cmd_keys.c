/* SPDX-License-Identifier: MIT */
/*
 * hvs keys FILE [PATH]: print the key tree of a HyperVStorage container
 * (.vmrs, .vmcx) with types and values, as indented text or nested JSON.
 * Uses the public store API only (include/hvs/store.h); the container is
 * described in docs/format/storage.md.
 *
 * The output is a golden-test surface (tests/golden/keys_*.expect) and a
 * format people diff between saves, so it must depend only on the file:
 * children in the library's InsertionSequence order, never sorted or
 * hashed; arrays shown by size and a fixed-length prefix, never whole.
 *
 * Exit codes (cli/cli.h): 0 printed; 1 damaged: the open failed, or the
 * tree was printed but some value could not be read (a file object past
 * the end); 2 bad option or a malformed PATH; 3 not a container or an
 * unsupported version; 4 I/O; 5 PATH names no key.  The open is strict:
 * the first damage stops it, `hvs check` lists them all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

/* Bytes of an array value shown as hex (text and JSON): enough to
 * recognise a structure's header, short enough to keep lines readable. */
#define PREVIEW_TEXT 16
#define PREVIEW_JSON 32
/* Nesting the JSON writer supports (two levels per key: object + array;
 * cli_json tracks 64 levels).  Deeper keys get "children_not_shown". */
#define JSON_MAX_DEPTH 28
/* Text output recurses once per level: a crafted file can nest keys
 * hundreds of thousands deep, so stop long before the stack would. */
#define TEXT_MAX_DEPTH 1000

enum { OPT_JSON = 1, OPT_DEPTH, OPT_INFO, OPT_HELP };

static const cli_opt keys_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "depth", 'd', 1, OPT_DEPTH },
	{ "info", 0, 0, OPT_INFO },
	{ "raw", 0, 0, OPT_INFO },
	{ "help", 'h', 0, OPT_HELP },
	{ NULL, 0, 0, 0 }
};

/* State of one listing; "failed" turns into exit 1 after printing, so a
 * damaged value does not hide the rest of the tree. */
typedef struct keys_ctx {
	hvs_store *st;
	int info;
	uint64_t max_depth; /* levels below the start key; UINT64_MAX: all */
	cli_json j;
	int failed;         /* a value could not be read */
} keys_ctx;

/* --help text. */
static void usage(FILE *f)
{
	fprintf(f, "usage: hvs keys [--json] [--depth N] [--info] FILE [PATH]\n\n"
		   "Print the key tree of a .vmrs/.vmcx container from PATH (default /).\n"
		   "  --json      nested JSON: name, type, value or size + hex, children\n"
		   "  --depth N   stop N levels below PATH\n"
		   "  --info      add table index, entry offsets and insertion sequence\n"
		   "              (also --raw)\n");
}

/* The display name: "name" or "name[n]" when a sibling shares it.  The
 * store allows repeated names (lists of nodes are stored that way), and
 * "[n]" is the same syntax hvs_store_find() accepts in a PATH, so a
 * printed name can be pasted back as an argument. */
static void display_name(const hvs_key *k, char *buf, size_t size)
{
	const hvs_key *p = hvs_key_parent(k);
	size_t ord = hvs_key_ordinal(k);
	int shared = ord > 0 || (p && hvs_key_find_child(p, hvs_key_name(k), 1) != NULL);
	if (shared)
		snprintf(buf, size, "%s[%zu]", hvs_key_name(k), ord);
	else
		snprintf(buf, size, "%s", hvs_key_name(k));
}

/* Read up to @n leading bytes of a value; returns the count read.  A
 * failed read marks the listing failed but still shows what was read. */
static size_t preview(keys_ctx *c, const hvs_key *k, uint8_t *buf, size_t n)
{
	size_t done = 0;
	uint64_t size = hvs_key_value_size(k);
	if (n > size)
		n = (size_t)size;
	if (hvs_key_read(c->st, k, 0, buf, n, &done) != HVS_OK) {
		c->failed = 1;
		return done;
	}
	return n;
}

/* Fetch a string value into a malloc'd buffer (NULL on failure).  Two
 * calls: the first only measures the UTF-8 length (HVS_E_BUFSIZE is the
 * expected answer to a NULL buffer). */
static char *get_string(keys_ctx *c, const hvs_key *k)
{
	size_t len = 0;
	char *s;
	hvs_status r = hvs_key_get_string(c->st, k, NULL, 0, &len);
	if (r != HVS_OK && r != HVS_E_BUFSIZE) {
		c->failed = 1;
		return NULL;
	}
	s = malloc(len + 1);
	if (!s || hvs_key_get_string(c->st, k, s, len + 1, NULL) != HVS_OK) {
		free(s);
		c->failed = 1;
		return NULL;
	}
	return s;
}

/* ------------------------------------------------------------- text */

/* One value in text form: ints decimal, uints decimal and hex, strings
 * quoted with escapes, arrays as size and the first bytes in hex.
 * Doubles use %.17g so that the text round-trips to the same bits. */
static void print_text_value(keys_ctx *c, const hvs_key *k)
{
	int64_t i;
	uint64_t u;
	double d;
	int b;
	uint8_t buf[PREVIEW_TEXT];
	size_t n, x;
	char *s;
	hvs_key_info ki;

	hvs_key_get_info(k, &ki);
	switch (hvs_key_get_type(k)) {
	case HVS_KEY_INT:
		if (hvs_key_get_int(c->st, k, &i) == HVS_OK)
			printf(" = %" PRId64, i);
		else
			c->failed = 1;
		break;
	case HVS_KEY_UINT:
		if (hvs_key_get_uint(c->st, k, &u) == HVS_OK)
			printf(" = %" PRIu64 " (0x%" PRIx64 ")", u, u);
		else
			c->failed = 1;
		break;
	case HVS_KEY_DOUBLE:
		if (hvs_key_get_double(c->st, k, &d) == HVS_OK)
			printf(" = %.17g", d);
		else
			c->failed = 1;
		break;
	case HVS_KEY_BOOL:
		if (hvs_key_get_bool(c->st, k, &b) == HVS_OK)
			printf(" = %s", b ? "true" : "false");
		else
			c->failed = 1;
		break;
	case HVS_KEY_STRING:
		s = get_string(c, k);
		/* Escape quotes and control bytes: one key is one line, and
		 * a crafted string must not forge further lines. */
		if (s) {
			fputs(" = \"", stdout);
			for (x = 0; s[x]; x++) {
				unsigned char ch = (unsigned char)s[x];
				if (ch == '"' || ch == '\\')
					printf("\\%c", ch);
				else if (ch < 0x20)
					printf("\\x%02x", ch);
				else
					putchar(ch);
			}
			putchar('"');
		}
		free(s);
		break;
	case HVS_KEY_ARRAY:
	case HVS_KEY_OTHER:
		/* Unknown entry types are shown like arrays: raw bytes. */
		printf(" [%" PRIu64 " bytes]", ki.value_size);
		n = preview(c, k, buf, sizeof buf);
		if (n)
			fputs(" =", stdout);
		for (x = 0; x < n; x++)
			printf(" %02x", buf[x]);
		if (n < ki.value_size)
			fputs(" ...", stdout);
		break;
	case HVS_KEY_ROOT:
	case HVS_KEY_NODE:
		break;
	}
	/* A file object's bytes live outside the key table: its offset is
	 * what one needs to look at it with a hex editor. */
	if (ki.is_file_object)
		printf(" (file object @0x%" PRIx64 ")", ki.value_offset);
}

/* One line per key, two spaces per level, then the children in
 * InsertionSequence order (the order the library returns them). */
static void print_text(keys_ctx *c, const hvs_key *k, uint64_t depth)
{
	char name[600];
	size_t i, n = hvs_key_child_count(k);
	hvs_key_info ki;

	hvs_key_get_info(k, &ki);
	if (ki.type == HVS_KEY_ROOT) {
		printf("/");
	} else {
		for (i = 0; i < depth; i++)
			fputs("  ", stdout);
		display_name(k, name, sizeof name);
		printf("%s: %s", name, hvs_key_type_name(ki.type));
		print_text_value(c, k);
	}
	if (c->info && ki.type != HVS_KEY_ROOT)
		printf("  {table %u +0x%x @0x%" PRIx64 " size 0x%x seq %u}",
		       (unsigned)ki.table_index, ki.entry_offset, ki.file_offset,
		       ki.entry_size, ki.insertion_seq);
	/* Say what --depth cut off, so a short listing is not mistaken
	 * for a small tree. */
	if (n && (depth >= c->max_depth || depth >= TEXT_MAX_DEPTH))
		printf(" (%zu children not shown)", n);
	putchar('\n');
	if (depth >= c->max_depth || depth >= TEXT_MAX_DEPTH)
		return;
	for (i = 0; i < n; i++)
		print_text(c, hvs_key_child(k, i), depth + 1);
}

/* ------------------------------------------------------------- JSON */

/* The "value" member (or "size" + "hex" for arrays) of one key; arrays
 * are not dumped whole so the output stays small and stable. */
static void json_value(keys_ctx *c, const hvs_key *k, const hvs_key_info *ki)
{
	int64_t i;
	uint64_t u;
	double d;
	int b;
	uint8_t buf[PREVIEW_JSON];
	char hex[PREVIEW_JSON * 2 + 1];
	size_t n, x;
	char *s;

	switch (ki->type) {
	case HVS_KEY_INT:
		if (hvs_key_get_int(c->st, k, &i) == HVS_OK)
			json_i64(&c->j, "value", i);
		else
			c->failed = 1;
		break;
	case HVS_KEY_UINT:
		if (hvs_key_get_uint(c->st, k, &u) == HVS_OK)
			json_u64(&c->j, "value", u);
		else
			c->failed = 1;
		break;
	case HVS_KEY_DOUBLE:
		if (hvs_key_get_double(c->st, k, &d) == HVS_OK)
			json_double(&c->j, "value", d);
		else
			c->failed = 1;
		break;
	case HVS_KEY_BOOL:
		if (hvs_key_get_bool(c->st, k, &b) == HVS_OK)
			json_bool(&c->j, "value", b);
		else
			c->failed = 1;
		break;
	case HVS_KEY_STRING:
		s = get_string(c, k);
		if (s)
			json_str(&c->j, "value", s);
		free(s);
		break;
	case HVS_KEY_ARRAY:
	case HVS_KEY_OTHER:
		/* "hex" is the first PREVIEW_JSON bytes (fewer when the value is
		 * shorter or a read failed); "size" is the whole value. */
		json_u64(&c->j, "size", ki->value_size);
		n = preview(c, k, buf, sizeof buf);
		for (x = 0; x < n; x++)
			snprintf(hex + 2 * x, 3, "%02x", buf[x]);
		hex[2 * n] = '\0';
		json_str(&c->j, "hex", hex);
		break;
	case HVS_KEY_ROOT:
	case HVS_KEY_NODE:
		break;
	}
	if (ki->is_file_object)
		json_bool(&c->j, "file_object", 1);
}

/* One key as a JSON object with its children nested in "children". */
static void print_json(keys_ctx *c, const hvs_key *k, uint64_t depth)
{
	char name[600];
	size_t i, n = hvs_key_child_count(k);
	hvs_key_info ki;

	hvs_key_get_info(k, &ki);
	json_obj_begin(&c->j, NULL);
	json_str(&c->j, "name", hvs_key_name(k));
	/* Sibling names repeat (arrays of nodes): the ordinal tells them apart. */
	display_name(k, name, sizeof name);
	if (strcmp(name, hvs_key_name(k)) != 0)
		json_u64(&c->j, "ordinal", hvs_key_ordinal(k));
	json_str(&c->j, "type", hvs_key_type_name(ki.type));
	json_value(c, k, &ki);
	/* --info: where the entry sits in the file (docs/format/storage.md
	 * key-table entries), for comparing with a hex dump.  The root is
	 * synthetic and has no entry. */
	if (c->info && ki.type != HVS_KEY_ROOT) {
		json_u64(&c->j, "table", ki.table_index);
		json_hex(&c->j, "entry_offset", ki.entry_offset);
		json_hex(&c->j, "file_offset", ki.file_offset);
		json_hex(&c->j, "entry_size", ki.entry_size);
		json_u64(&c->j, "insertion", ki.insertion_seq);
		if (ki.type == HVS_KEY_NODE)
			json_u64(&c->j, "next_insertion", ki.node_next_insertion);
	}
	/* Only nodes get "children", even when empty, so a consumer can tell
	 * an empty node from a value without looking at "type". */
	if (ki.type == HVS_KEY_NODE || ki.type == HVS_KEY_ROOT) {
		if (depth >= c->max_depth || depth >= JSON_MAX_DEPTH) {
			json_u64(&c->j, "children_not_shown", n);
		} else {
			json_arr_begin(&c->j, "children");
			for (i = 0; i < n; i++)
				print_json(c, hvs_key_child(k, i), depth + 1);
			json_arr_end(&c->j);
		}
	}
	json_obj_end(&c->j);
}

/* Entry point: parse options, open strictly (any damage fails with its
 * message; `hvs check` lists them all), find PATH, print. */
int cmd_keys(int argc, char **argv)
{
	cli_optstate o;
	keys_ctx c;
	hvs_open_opts oo;
	char err[HVS_ERRMSG_MAX] = "";
	const char *file, *path = "/";
	const hvs_key *k;
	int json = 0, id;
	hvs_status s;

	memset(&c, 0, sizeof c);
	c.max_depth = UINT64_MAX;
	cli_opt_init(&o, "keys", argc, argv);
	while ((id = cli_opt_next(&o, keys_opts)) > 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_INFO: c.info = 1; break;
		case OPT_DEPTH:
			if (cli_parse_u64(o.arg, &c.max_depth) != 0)
				return cli_usage_error("keys", "bad --depth '%s'", o.arg);
			break;
		case OPT_HELP: usage(stdout); return CLI_EXIT_OK;
		default: break;
		}
	}
	if (id < 0)
		return CLI_EXIT_USAGE;
	if (o.nonopt < 1 || o.nonopt > 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	file = o.pos[0];
	if (o.nonopt == 2)
		path = o.pos[1];
	memset(&oo, 0, sizeof oo);
	oo.errbuf = err;
	oo.errbuf_size = sizeof err;
	s = hvs_store_open_file(&c.st, file, &oo);
	if (s != HVS_OK) {
		cli_error("%s: %s", file, err[0] ? err : hvs_strerror(s));
		return cli_exit_code(s);
	}
	/* A PATH the parser rejects is the user's mistake (exit 2); a
	 * well-formed one that names no key is "not found" (exit 5). */
	s = hvs_store_find(c.st, path, &k);
	if (s != HVS_OK) {
		cli_error("%s: key '%s': %s", file, path, hvs_strerror(s));
		hvs_store_close(c.st);
		return s == HVS_E_INVALID ? CLI_EXIT_USAGE : cli_exit_code(s);
	}
	if (json) {
		json_init(&c.j, stdout);
		print_json(&c, k, 0);
		json_end(&c.j);
	} else {
		print_text(&c, k, 0);
	}
	/* Print first, fail after: the readable part of a damaged file is
	 * still useful, but the exit code must not claim it was all read. */
	if (c.failed) {
		cli_error("%s: some values could not be read: %s", file,
			  hvs_store_errmsg(c.st));
		hvs_store_close(c.st);
		return CLI_EXIT_CORRUPT;
	}
	hvs_store_close(c.st);
	return CLI_EXIT_OK;
}
