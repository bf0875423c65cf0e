/* SPDX-License-Identifier: MIT */
/*
 * Options shared by the commands that look at a VP's guest-virtual memory
 * (xlat, maps; read and regs may adopt them): how to open the input
 * (--format, --layout for raw images), registers to supply or override
 * (--set-reg, --regs-json), the paging mode and architecture overrides
 * (--paging, --arch) and which VP / VTL (--vp, --vtl).
 *
 * A command adds CLI_VPOPTS_ENTRIES to its cli_opt table, passes every
 * option id to cli_vpopts_handle(), then opens with cli_vpopts_open().
 */
#ifndef HVS_CLI_VPOPTS_H
#define HVS_CLI_VPOPTS_H

#include "cli.h"

/* Option ids 900..909 are reserved for these options. */
enum {
	CLI_VPOPT_FORMAT = 900,
	CLI_VPOPT_LAYOUT,
	CLI_VPOPT_SET_REG,
	CLI_VPOPT_REGS_JSON,
	CLI_VPOPT_PAGING,
	CLI_VPOPT_ARCH,
	CLI_VPOPT_VP,
	CLI_VPOPT_VTL,
	CLI_VPOPT_VSV
};

/* Entries for a command's cli_opt table (put them before the terminator). */
#define CLI_VPOPTS_ENTRIES                                                     \
	{ "format", 0, 1, CLI_VPOPT_FORMAT },                                  \
	{ "layout", 0, 1, CLI_VPOPT_LAYOUT },                                  \
	{ "set-reg", 0, 1, CLI_VPOPT_SET_REG },                                \
	{ "regs-json", 0, 1, CLI_VPOPT_REGS_JSON },                            \
	{ "paging", 0, 1, CLI_VPOPT_PAGING },                                  \
	{ "arch", 0, 1, CLI_VPOPT_ARCH },                                      \
	{ "vp", 0, 1, CLI_VPOPT_VP },                                          \
	{ "vtl", 0, 1, CLI_VPOPT_VTL },                                        \
	{ "vsv", 0, 1, CLI_VPOPT_VSV }

/* The end of a command's cli_opt table: --help/-h (id @help_id), the
 * entries above and the terminator. */
#define CLI_VPOPTS_TAIL(help_id)                                              \
	{ "help", 'h', 0, (help_id) }, CLI_VPOPTS_ENTRIES, { NULL, 0, 0, 0 }

/* Help text for the options above (for a command's --help). */
extern const char cli_vpopts_help[];

typedef struct cli_setreg {
	uint32_t vp;
	hvs_reg reg;
	hvs_regval val;
} cli_setreg;

typedef struct cli_vpopts {
	hvs_image_format format;   /* --format (UNKNOWN: detect) */
	hvs_raw_extent *layout;    /* --layout, malloc'd */
	size_t nlayout;
	cli_setreg *setregs;       /* --set-reg, malloc'd, applied in order */
	size_t nsetregs;
	const char *regs_json;     /* --regs-json */
	hvs_paging_mode paging;    /* --paging (AUTO: none) */
	hvs_arch arch;             /* --arch (UNKNOWN: none) */
	uint32_t vp;               /* --vp (default 0) */
	int vtl;                   /* --vtl, or -1 */
	const char *vsv;           /* --vsv (legacy .bin companion) */
	int vp_set;                /* --vp was given */
	/*
	 * The command works on one VP (default 1): cli_vpopts_open() then
	 * requires it to exist and applies --vtl to it.  Commands that look
	 * at the whole image (info, mem, regs) clear it, so that a
	 * memory-only input (a .bin alone, a raw image) opens as it is.
	 */
	int need_vp;
} cli_vpopts;

void cli_vpopts_init(cli_vpopts *o);
void cli_vpopts_free(cli_vpopts *o);

/*
 * Handle option @id (with argument @arg) for command @cmd.  Returns 1
 * when it was one of these options, 0 when it is not, or -1 after
 * printing a usage error.
 */
int cli_vpopts_handle(cli_vpopts *o, const char *cmd, int id, const char *arg);

/*
 * Next option of a command that takes these options (cli_opt_next() with
 * the VP options handled here): returns the id of any other option, 0
 * when done, or -1 after printing a usage error.
 */
int cli_vpopts_next(cli_vpopts *o, cli_optstate *st, const cli_opt *opts);

/*
 * Open @path with the options: format and layout, then (raw images
 * without VPs) enough VPs for the registers given, the --regs-json
 * registers, the --set-reg values, --arch, --paging and --vtl for the
 * selected VP.  Prints any error.  Returns a CLI exit code; on success
 * *out is the image (close with hvs_image_close()).
 */
int cli_vpopts_open(cli_vpopts *o, const char *cmd, const char *path, hvs_image **out);

/*
 * cli_vpopts_open(), then the paging mode of the selected VP into
 * *mode_out.  A VP without paging registers is an error (printed; the
 * image is closed, exit code 5).  Returns a CLI exit code.
 */
int cli_vpopts_open_vp(cli_vpopts *o, const char *cmd, const char *path, hvs_image **out,
		       hvs_paging_mode *mode_out);

/*
 * Begin the JSON document of xlat and maps: {"vp": N, "paging_mode": M,
 * "@key": [ ... ; the caller adds the items and closes both.
 */
void cli_vpopts_json_begin(cli_json *j, const cli_vpopts *o, hvs_paging_mode mode,
			   const char *key);

/*
 * Apply a QEMU-style registers.json (../shared/guests layout: cpus[i]
 * with "registers", "segments", "tables", "q", "sysregs" and "mode") to
 * the VPs of @img with hvs_image_set_reg().  Unknown names are skipped.
 * Returns HVS_OK or an error with @err filled.
 */
hvs_status cli_apply_regs_json(hvs_image *img, const char *path, char *err, size_t errn);

/* Parse a paging-mode name ("auto", "none", "x86-32"/"32bit", "pae",
 * "x64-4level"/"long4", "x64-5level"/"long5", "arm64"/"armv8"); 0 on success. */
int cli_parse_paging(const char *s, hvs_paging_mode *out);

#endif
