/* SPDX-License-Identifier: MIT */
/* Option parsing, JSON output, hexdump, progress and exit codes for hvs. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <shellapi.h>
#else
#include <unistd.h>
#endif

#include "cli.h"

int cli_exit_code(hvs_status s)
{
	switch (s) {
	case HVS_OK: return CLI_EXIT_OK;
	case HVS_E_CORRUPT: return CLI_EXIT_CORRUPT;
	case HVS_E_INVALID: return CLI_EXIT_USAGE;
	case HVS_E_UNSUPPORTED: return CLI_EXIT_FORMAT;
	case HVS_E_IO: return CLI_EXIT_IO;
	case HVS_E_NOTFOUND:
	case HVS_E_NOTPRESENT:
	case HVS_E_NODATA: return CLI_EXIT_NOTFOUND;
	case HVS_E_NOMEM:
	case HVS_E_BUFSIZE: return CLI_EXIT_OTHER;
	}
	return CLI_EXIT_OTHER;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hvs %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'hvs %s --help')\n", cmd);
	return CLI_EXIT_USAGE;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hvs: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------ options */

void cli_opt_init(cli_optstate *st, const char *cmd, int argc, char **argv)
{
	memset(st, 0, sizeof *st);
	st->cmd = cmd;
	st->argc = argc;
	st->argv = argv;
	st->i = 1;
	/* Positionals are compacted into argv itself, after argv[0]. */
	st->pos = argv + 1;
}

int cli_opt_next(cli_optstate *st, const cli_opt *opts)
{
	while (st->i < st->argc) {
		char *a = st->argv[st->i++];
		const cli_opt *o;
		const char *eq = NULL;
		size_t n;

		if (a[0] != '-' || a[1] == '\0') {
			st->pos[st->nonopt++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			while (st->i < st->argc)
				st->pos[st->nonopt++] = st->argv[st->i++];
			return 0;
		}
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			for (o = opts; o->name; o++)
				if (strlen(o->name) == n && strncmp(o->name, a + 2, n) == 0)
					break;
		} else {
			if (a[2] != '\0' && !isdigit((unsigned char)a[1])) {
				/* "-x" only; clusters are not supported. */
			}
			for (o = opts; o->name; o++)
				if (o->short_name && o->short_name == a[1] && a[2] == '\0')
					break;
			if (!o->name && isdigit((unsigned char)a[1])) {
				/* A negative number is a positional. */
				st->pos[st->nonopt++] = a;
				continue;
			}
		}
		if (!o->name) {
			cli_usage_error(st->cmd, "unknown option '%s'", a);
			return -1;
		}
		st->arg = NULL;
		if (o->has_arg) {
			if (eq) {
				st->arg = eq + 1;
			} else if (st->i < st->argc) {
				st->arg = st->argv[st->i++];
			} else {
				cli_usage_error(st->cmd, "option '%s' needs a value", a);
				return -1;
			}
		} else if (eq) {
			cli_usage_error(st->cmd, "option '--%s' takes no value", o->name);
			return -1;
		}
		return o->id;
	}
	return 0;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mul = 1ull << 10; break;
		case 'M': mul = 1ull << 20; break;
		case 'G': mul = 1ull << 30; break;
		case 'T': mul = 1ull << 40; break;
		default: return -1;
		}
		if (end[1] && !(toupper((unsigned char)end[1]) == 'I' &&
				toupper((unsigned char)end[2]) == 'B' && !end[3]) &&
		    !(toupper((unsigned char)end[1]) == 'B' && !end[2]))
			return -1;
		if (v > UINT64_MAX / mul)
			return -1;
	}
	*out = (uint64_t)v * mul;
	return 0;
}

/* --------------------------------------------------------------- JSON */

void json_init(cli_json *j, FILE *f)
{
	memset(j, 0, sizeof *j);
	j->f = f;
	j->first[0] = 1;
}

static void indent(cli_json *j)
{
	int i;
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void put_escaped(FILE *f, const char *s, size_t n)
{
	size_t i;
	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* Emit the separator, indentation and key of the next member. */
static void member(cli_json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		fputc('\n', j->f);
		indent(j);
	}
	j->first[j->depth] = 0;
	if (key) {
		put_escaped(j->f, key, strlen(key));
		fputs(": ", j->f);
	}
}

static void open_(cli_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth < 63)
		j->depth++;
	j->first[j->depth] = 1;
}

static void close_(cli_json *j, char c)
{
	int empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc(c, j->f);
}

void json_obj_begin(cli_json *j, const char *key) { open_(j, key, '{'); }
void json_obj_end(cli_json *j) { close_(j, '}'); }
void json_arr_begin(cli_json *j, const char *key) { open_(j, key, '['); }
void json_arr_end(cli_json *j) { close_(j, ']'); }

void json_str(cli_json *j, const char *key, const char *val)
{
	if (!val) {
		json_null(j, key);
		return;
	}
	json_strn(j, key, val, strlen(val));
}

void json_strn(cli_json *j, const char *key, const char *val, size_t n)
{
	member(j, key);
	put_escaped(j->f, val, n);
}

void json_u64(cli_json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_i64(cli_json *j, const char *key, int64_t v)
{
	member(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void json_hex(cli_json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "\"0x%llx\"", (unsigned long long)v);
}

void json_bool(cli_json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(cli_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void json_double(cli_json *j, const char *key, double v)
{
	member(j, key);
	if (v != v || v - v != 0) /* NaN or infinity: not JSON numbers */
		fputs("null", j->f);
	else
		fprintf(j->f, "%.17g", v);
}

void json_end(cli_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

/* ------------------------------------------------------------ output */

void cli_hexdump(FILE *f, uint64_t addr, const uint8_t *p, size_t n)
{
	size_t i, k;
	for (i = 0; i < n; i += 16) {
		fprintf(f, "%016llx ", (unsigned long long)(addr + i));
		for (k = 0; k < 16; k++) {
			if (k == 8)
				fputc(' ', f);
			if (i + k < n)
				fprintf(f, " %02x", p[i + k]);
			else
				fputs("   ", f);
		}
		fputs("  |", f);
		for (k = 0; k < 16 && i + k < n; k++)
			fputc(isprint(p[i + k]) ? p[i + k] : '.', f);
		fputs("|\n", f);
	}
}

void cli_progress_start(cli_progress *p, const char *label, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->label = label;
	p->total = total;
	p->active = cli_stderr_is_terminal();
	p->last = 0;
}

void cli_progress_update(cli_progress *p, uint64_t done)
{
	double t;
	if (!p->active)
		return;
	t = cli_now();
	if (t - p->last < 0.2 && done < p->total)
		return;
	p->last = t;
	if (p->total)
		fprintf(stderr, "\r%s: %5.1f%% (%llu / %llu MiB)", p->label,
			100.0 * (double)done / (double)p->total,
			(unsigned long long)(done >> 20),
			(unsigned long long)(p->total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MiB", p->label,
			(unsigned long long)(done >> 20));
	fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
	if (p->active)
		cli_clear_line();
	p->active = 0;
}

/* ----------------------------------------------------------- platform */

static volatile sig_atomic_t g_interrupted;

int cli_interrupted(void)
{
	return g_interrupted != 0;
}

#ifdef _WIN32

/* Whether the console on stderr understands VT sequences (Windows 10). */
static int g_vt;
static volatile LONG g_cleanup_done;

char **cli_platform_init(int *argc, char **argv)
{
	wchar_t **w;
	char **out;
	int n, i;
	HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
	DWORD mode;
	/* Byte-exact streams: "hvs read" output and every text line as on
	 * Linux (LF, not CRLF). */
	_setmode(_fileno(stdin), _O_BINARY);
	_setmode(_fileno(stdout), _O_BINARY);
	_setmode(_fileno(stderr), _O_BINARY);
	/* Key names and paths are UTF-8: show them as such. */
	SetConsoleOutputCP(CP_UTF8);
	if (GetConsoleMode(err, &mode) &&
	    SetConsoleMode(err, mode | 0x0004 /* ENABLE_VIRTUAL_TERMINAL_PROCESSING */))
		g_vt = 1;
	/* The C runtime's argv is in the ANSI code page: file names outside
	 * it would be lost.  Take the UTF-16 command line instead. */
	w = CommandLineToArgvW(GetCommandLineW(), &n);
	if (!w)
		return argv;
	out = calloc((size_t)n + 1, sizeof *out);
	for (i = 0; out && i < n; i++) {
		int m = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
		out[i] = m > 0 ? malloc((size_t)m) : NULL;
		if (!out[i] || WideCharToMultiByte(CP_UTF8, 0, w[i], -1, out[i], m, NULL, NULL) != m)
			out = NULL; /* leaks on this one-time path; falls back */
	}
	LocalFree(w);
	if (!out)
		return argv;
	*argc = n;
	return out; /* lives as long as the process */
}

double cli_now(void)
{
	LARGE_INTEGER c, f;
	QueryPerformanceCounter(&c);
	QueryPerformanceFrequency(&f);
	return (double)c.QuadPart / (double)f.QuadPart;
}

int cli_stderr_is_terminal(void)
{
	DWORD mode;
	return GetConsoleMode(GetStdHandle(STD_ERROR_HANDLE), &mode) != 0;
}

void cli_clear_line(void)
{
	if (g_vt)
		fprintf(stderr, "\r\033[K");
	else
		fprintf(stderr, "\r%79s\r", "");
	fflush(stderr);
}

FILE *cli_fopen(const char *path, const char *mode)
{
	wchar_t *wp, wm[8];
	size_t i;
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
	FILE *f;
	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	wp = malloc((size_t)n * sizeof *wp);
	if (!wp) {
		errno = ENOMEM;
		return NULL;
	}
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wp, n);
	for (i = 0; mode[i] && i < 7; i++)
		wm[i] = (wchar_t)(unsigned char)mode[i];
	wm[i] = L'\0';
	f = _wfopen(wp, wm);
	free(wp);
	return f;
}

/* Runs on a thread of its own: set the flag the operation polls.  For a
 * closing console, logoff or shutdown Windows ends the process when this
 * returns, so wait (a few seconds at most) for the cleanup. */
static BOOL WINAPI on_ctrl(DWORD ev)
{
	int i;
	g_interrupted = 1;
	if (ev == CTRL_CLOSE_EVENT || ev == CTRL_LOGOFF_EVENT || ev == CTRL_SHUTDOWN_EVENT)
		for (i = 0; i < 90 && !g_cleanup_done; i++)
			Sleep(50);
	return TRUE;
}

void cli_catch_interrupts(void)
{
	g_cleanup_done = 0;
	SetConsoleCtrlHandler(on_ctrl, TRUE);
}

void cli_interrupts_done(void)
{
	g_cleanup_done = 1;
}

const char *cli_platform_name(void)
{
	return "windows";
}

#else /* POSIX */

char **cli_platform_init(int *argc, char **argv)
{
	(void)argc;
	return argv;
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_stderr_is_terminal(void)
{
	return isatty(2);
}

void cli_clear_line(void)
{
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

FILE *cli_fopen(const char *path, const char *mode)
{
	return fopen(path, mode);
}

static void on_signal(int sig)
{
	g_interrupted = sig;
}

void cli_catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A file-size limit must fail the write (EFBIG), not kill us with a
	 * temporary file left behind. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);
}

void cli_interrupts_done(void)
{
}

const char *cli_platform_name(void)
{
#if defined(__linux__)
	return "linux";
#elif defined(__APPLE__)
	return "macos";
#elif defined(__FreeBSD__)
	return "freebsd";
#else
	return "posix";
#endif
}

#endif
