/* SPDX-License-Identifier: MIT */
/* Growable text buffer (sbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert/sbuf.h"

void hvs__sbuf_init(hvs__sbuf *b, const hvs__alloc *a)
{
	memset(b, 0, sizeof *b);
	b->alloc = a;
}

void hvs__sbuf_free(hvs__sbuf *b)
{
	hvs__free(b->alloc, b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void hvs__sbuf_printf(hvs__sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		if (hvs__grow(b->alloc, (void **)&b->p, &b->cap, b->len + (size_t)n + 1, 1) !=
		    HVS_OK) {
			b->failed = 1;
			return;
		}
	}
}

void hvs__sbuf_json_str(hvs__sbuf *b, const char *s)
{
	hvs__sbuf_printf(b, "\"");
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			hvs__sbuf_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			hvs__sbuf_printf(b, "\\u%04x", ch);
		else
			hvs__sbuf_printf(b, "%c", ch);
	}
	hvs__sbuf_printf(b, "\"");
}

void hvs__sbuf_bytes(hvs__sbuf *b, const void *p, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (hvs__grow(b->alloc, (void **)&b->p, &b->cap, b->len + n + 1, 1) != HVS_OK) {
		b->failed = 1;
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}
