/* SPDX-License-Identifier: MIT */
/*
 * Error messages kept on a handle.  hvs__err_set() formats the message and
 * returns the status in one statement:
 *
 *     return hvs__err_set(&st->err, HVS_E_CORRUPT,
 *                         "key table %u: offset %" PRIu64 " past EOF", i, off);
 *
 * Callers add context in front ("open: memory blocks: ...") with
 * hvs__err_prefix(), a backtrace without an error object on every call.
 */
#ifndef HVS_UTIL_ERR_H
#define HVS_UTIL_ERR_H

#include <inttypes.h>
#include <stddef.h>

#include "hvs/common.h"

typedef struct hvs__err {
	char msg[HVS_ERRMSG_MAX];
} hvs__err;

/* mingw-w64 builds use its C99 printf (__USE_MINGW_ANSI_STDIO, set by
 * CMake), whose checker is gnu_printf; plain "printf" there means msvcrt's. */
#if defined(__MINGW32__)
#define HVS__PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__) || defined(__clang__)
#define HVS__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HVS__PRINTF(f, a)
#endif

/* Replace the message; returns @status. */
hvs_status hvs__err_set(hvs__err *e, hvs_status status, const char *fmt, ...)
	HVS__PRINTF(3, 4);
/* Put "<context>: " in front of the current message; returns @status. */
hvs_status hvs__err_prefix(hvs__err *e, hvs_status status, const char *fmt, ...)
	HVS__PRINTF(3, 4);
/* Same as hvs__err_set with HVS_E_CORRUPT; debug builds add file:line so
 * that one breakpoint catches every corruption (SQLITE_CORRUPT_BKPT). */
hvs_status hvs__err_corrupt(hvs__err *e, const char *file, int line,
			    const char *fmt, ...) HVS__PRINTF(4, 5);
void hvs__err_clear(hvs__err *e);
/* Copy the message into a caller buffer (NUL-terminated, truncated). */
void hvs__err_copyout(const hvs__err *e, char *buf, size_t size);

#define HVS_CORRUPT(e, ...) hvs__err_corrupt((e), __FILE__, __LINE__, __VA_ARGS__)

/* Evaluate a status expression and return it when it fails. */
#define HVS_TRY(expr)                                                          \
	do {                                                                   \
		hvs_status hvs__try_s = (expr);                                \
		if (hvs__try_s != HVS_OK)                                      \
			return hvs__try_s;                                     \
	} while (0)

#endif
