/* SPDX-License-Identifier: MIT */
/* hvs: look inside Hyper-V saved state.  Dispatches to cli/cmd_<verb>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const struct {
	const char *name;
	cli_cmd_fn fn;
	const char *summary;
} commands[] = {
#define HVS_CMD(name, fn, summary) { name, fn, summary },
#include "commands.def"
#undef HVS_CMD
	{ NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	size_t i;
	fprintf(f, "usage: hvs <command> [options] FILE ...\n\n"
		   "Read Hyper-V saved state (.vmrs, .vmcx, .bin + .vsv).\n\n"
		   "commands:\n");
	for (i = 0; commands[i].name; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nEvery command takes --json and --help.  Exit codes: 0 ok, "
		   "1 damaged file, 2 usage,\n3 not this format or unsupported, "
		   "4 I/O error, 5 not found, 6 other.\n");
}

int main(int argc, char **argv)
{
	size_t i;
	argv = cli_platform_init(&argc, argv);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("hvs %s (%s)\n", hvs_version(), cli_platform_name());
		return CLI_EXIT_OK;
	}
	for (i = 0; commands[i].name; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hvs: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
