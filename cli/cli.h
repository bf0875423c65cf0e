/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the hvs command-line tool.  The CLI uses the public API
 * only (include/hvs); nothing from src/.
 */
#ifndef HVS_CLI_H
#define HVS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "hvs/hvs.h"

/*
 * Exit codes, the same for every command:
 *   0  success (for `check`: the file is valid)
 *   1  the file is damaged (corrupt)
 *   2  usage error
 *   3  not this format, or an unsupported version or feature
 *   4  input/output error, file missing
 *   5  not found (key, register, address not mapped or not backed)
 *   6  other failure (out of memory, ...)
 */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_CORRUPT = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_FORMAT = 3,
	CLI_EXIT_IO = 4,
	CLI_EXIT_NOTFOUND = 5,
	CLI_EXIT_OTHER = 6
};

/* Map a library status to the exit code above. */
int cli_exit_code(hvs_status s);

/* Print "hvs <cmd>: <msg>" to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Print "hvs: <msg>" to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 1, 2)))
#elif defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* ------------------------------------------------------------ options */

typedef struct cli_opt {
	const char *name;  /* long name without "--" */
	char short_name;   /* 0 for none */
	int has_arg;
	int id;
} cli_opt;

typedef struct cli_optstate {
	int argc;
	char **argv;
	int i;          /* next argv index */
	const char *arg;/* argument of the last option */
	int nonopt;     /* collected positional count */
	char **pos;     /* positional arguments (points into argv copy) */
	const char *cmd;/* command name for messages */
} cli_optstate;

/* Initialise; argv[0] is the command name. */
void cli_opt_init(cli_optstate *st, const char *cmd, int argc, char **argv);
/*
 * Next option: returns its id, 0 when done (positionals are collected in
 * st->pos / st->nonopt), or -1 after printing a usage error.
 */
int cli_opt_next(cli_optstate *st, const cli_opt *opts);

/* Parse a number (decimal, 0x hex, optional K/M/G suffix); 0 on success. */
int cli_parse_u64(const char *s, uint64_t *out);

/* --------------------------------------------------------------- JSON */

typedef struct cli_json {
	FILE *f;
	int depth;
	int first[64];
} cli_json;

void json_init(cli_json *j, FILE *f);
/* @key is NULL inside arrays and at top level. */
void json_obj_begin(cli_json *j, const char *key);
void json_obj_end(cli_json *j);
void json_arr_begin(cli_json *j, const char *key);
void json_arr_end(cli_json *j);
void json_str(cli_json *j, const char *key, const char *val); /* NULL -> null */
void json_strn(cli_json *j, const char *key, const char *val, size_t n);
void json_u64(cli_json *j, const char *key, uint64_t v);
void json_i64(cli_json *j, const char *key, int64_t v);
void json_hex(cli_json *j, const char *key, uint64_t v); /* "0x1f" string */
void json_bool(cli_json *j, const char *key, int v);
void json_null(cli_json *j, const char *key);
void json_double(cli_json *j, const char *key, double v);
/* Finish the document with a newline. */
void json_end(cli_json *j);

/* ------------------------------------------------------------ output */

/* Canonical hexdump (offset, 16 bytes, ASCII) of @n bytes at address @addr. */
void cli_hexdump(FILE *f, uint64_t addr, const uint8_t *p, size_t n);

/* Progress on stderr when it is a terminal; silent otherwise. */
typedef struct cli_progress {
	const char *label;
	uint64_t total;
	double last;
	int active;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *label, uint64_t total);
void cli_progress_update(cli_progress *p, uint64_t done);
void cli_progress_end(cli_progress *p);

/* ----------------------------------------------------------- platform */
/*
 * The CLI's few platform spots, all in cli/util.c (the library's are in
 * src/util/platform_*.c): Windows gets UTF-8 arguments from the UTF-16
 * command line, binary stdin/stdout/stderr (LF output and raw bytes
 * identical to Linux), a UTF-8 console, and console control events in
 * place of signals.
 */

/* Set up the process; returns the arguments as UTF-8 (on Windows from
 * GetCommandLineW, owned by the process; elsewhere @argv itself). */
char **cli_platform_init(int *argc, char **argv);
/* Seconds on a monotonic clock. */
double cli_now(void);
/* Whether stderr is a terminal or console (progress lines). */
int cli_stderr_is_terminal(void);
/* Erase the progress line on stderr. */
void cli_clear_line(void);
/* fopen() with a UTF-8 name (any characters on Windows too). */
FILE *cli_fopen(const char *path, const char *mode);
/*
 * Turn SIGINT, SIGTERM and SIGHUP (Windows: Ctrl+C, Ctrl+Break, closing
 * the console, logoff, shutdown) into a flag that cli_interrupted()
 * reports, so a long operation can stop and clean up; SIGXFSZ is ignored
 * (a file-size limit becomes a write error).  cli_interrupts_done() says
 * the cleanup is over (Windows ends the process once a close event's
 * handler returns, so the handler waits for it, a few seconds at most).
 */
void cli_catch_interrupts(void);
int cli_interrupted(void);
void cli_interrupts_done(void);
/* "linux", "windows", ... for hvs --version. */
const char *cli_platform_name(void);

/* ----------------------------------------------------------- commands */

typedef int (*cli_cmd_fn)(int argc, char **argv);

#endif
