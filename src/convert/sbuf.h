/* SPDX-License-Identifier: MIT */
/*
 * A growable text buffer for the conversion's small metadata documents
 * (the raw sidecar JSON, the ELF metadata note).  Allocation failure is
 * sticky: the buffer records it and later appends do nothing, so callers
 * check once at the end.
 */
#ifndef HVS_CONVERT_SBUF_H
#define HVS_CONVERT_SBUF_H

#include <stddef.h>

#include "util/alloc.h"
#include "util/err.h"

typedef struct hvs__sbuf {
	const hvs__alloc *alloc;
	char *p;
	size_t len, cap;
	int failed;
} hvs__sbuf;

void hvs__sbuf_init(hvs__sbuf *b, const hvs__alloc *a);
void hvs__sbuf_free(hvs__sbuf *b);
void hvs__sbuf_printf(hvs__sbuf *b, const char *fmt, ...) HVS__PRINTF(2, 3);
/* Append @n raw bytes (may hold NULs). */
void hvs__sbuf_bytes(hvs__sbuf *b, const void *p, size_t n);
/* Append @s as a JSON string literal (quotes and escapes). */
void hvs__sbuf_json_str(hvs__sbuf *b, const char *s);

#endif
