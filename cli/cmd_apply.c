/* SPDX-License-Identifier: MIT */
/*
 * hvs apply-log FILE [--json]: commit a pending replay log into the file
 * on disk, as ApplyPendingSavedStateFileReplayLog does (api.md 2.1,
 * docs/format/storage-writing.md).  The only command that writes to its
 * input: every other command replays a pending log in memory and leaves
 * the file alone.  A file with nothing pending is not written at all.
 * Exit codes as every command: 0 done (or nothing to do), 1 damaged log
 * (the file is left untouched), 3 not a HyperVStorage container or an
 * unknown version, 4 I/O (including a lock held by another process).
 * Public API only.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

enum { OPT_JSON = 1, OPT_HELP };

static const cli_opt apply_opts[] = {
	{ "json", 0, 0, OPT_JSON },
	{ "help", 'h', 0, OPT_HELP },
	{ NULL, 0, 0, 0 }
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvs apply-log [--json] FILE\n\n"
		   "Commit the pending replay log of a .vmrs/.vmcx/.vsv into the file\n"
		   "(opened read-write and locked).  Crash-safe: an interruption leaves\n"
		   "a file that reads as either the old or the new state.  Nothing\n"
		   "pending: the file is not written.\n");
}

int cmd_apply_log(int argc, char **argv)
{
	cli_optstate st;
	int id, json = 0;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_open_opts o;
	hvs_status s;
	uint32_t applied = 0;

	cli_opt_init(&st, "apply-log", argc, argv);
	while ((id = cli_opt_next(&st, apply_opts)) != 0) {
		switch (id) {
		case OPT_JSON: json = 1; break;
		case OPT_HELP: usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (st.nonopt != 1)
		return cli_usage_error("apply-log", "expected one FILE");
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	s = hvs_store_apply_replay_log(st.pos[0], &o, &applied);
	if (json) {
		cli_json j;
		json_init(&j, stdout);
		json_obj_begin(&j, NULL);
		json_str(&j, "file", st.pos[0]);
		json_str(&j, "status", s == HVS_OK ? "ok" : hvs_strerror(s));
		json_u64(&j, "applied", applied);
		json_bool(&j, "written", s == HVS_OK && applied > 0);
		if (s != HVS_OK)
			json_str(&j, "error", err[0] ? err : hvs_strerror(s));
		json_obj_end(&j);
		json_end(&j);
	} else if (s == HVS_OK) {
		if (applied)
			printf("%s: %u pending replay log entr%s applied\n", st.pos[0], applied,
			       applied == 1 ? "y" : "ies");
		else
			printf("%s: nothing pending; the file was not written\n", st.pos[0]);
	}
	if (s != HVS_OK && !json)
		cli_error("%s", err[0] ? err : hvs_strerror(s));
	return cli_exit_code(s);
}
