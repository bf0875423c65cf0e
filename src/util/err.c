/* SPDX-License-Identifier: MIT */
/*
 * Status strings, version, and the per-handle error message.  Messages are
 * formatted into a fixed buffer on the handle (no allocation, so even
 * HVS_E_NOMEM can carry a message) and truncated rather than failing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

const char *hvs_version(void)
{
	return "0.1.0";
}

const char *hvs_strerror(hvs_status status)
{
	switch (status) {
	case HVS_OK: return "success";
	case HVS_E_INVALID: return "invalid argument";
	case HVS_E_NOMEM: return "out of memory";
	case HVS_E_IO: return "input/output error";
	case HVS_E_CORRUPT: return "file is corrupt";
	case HVS_E_UNSUPPORTED: return "unsupported format or feature";
	case HVS_E_NOTPRESENT: return "page not present";
	case HVS_E_NODATA: return "no data at this address";
	case HVS_E_NOTFOUND: return "not found";
	case HVS_E_BUFSIZE: return "buffer too small";
	}
	return "unknown status";
}

hvs_status hvs__err_set(hvs__err *e, hvs_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return status;
}

hvs_status hvs__err_prefix(hvs__err *e, hvs_status status, const char *fmt, ...)
{
	char head[HVS_ERRMSG_MAX];
	char old[HVS_ERRMSG_MAX];
	va_list ap;

	memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	/* Assemble by hand: the result is truncated to the buffer on purpose. */
	{
		size_t n = strlen(head), m = strlen(old);
		size_t cap = sizeof e->msg - 1;
		size_t pos = n < cap ? n : cap;
		memcpy(e->msg, head, pos);
		if (m && pos + 2 <= cap) {
			memcpy(e->msg + pos, ": ", 2);
			pos += 2;
			if (m > cap - pos)
				m = cap - pos;
			memcpy(e->msg + pos, old, m);
			pos += m;
		}
		e->msg[pos] = '\0';
	}
	return status;
}

hvs_status hvs__err_corrupt(hvs__err *e, const char *file, int line,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
#ifdef HVS_DEBUG
	{
		size_t n = strlen(e->msg);
		if (n < sizeof e->msg)
			snprintf(e->msg + n, sizeof e->msg - n, " [%s:%d]", file, line);
	}
#else
	(void)file;
	(void)line;
#endif
	return HVS_E_CORRUPT;
}

void hvs__err_clear(hvs__err *e)
{
	e->msg[0] = '\0';
}

void hvs__err_copyout(const hvs__err *e, char *buf, size_t size)
{
	if (!buf || !size)
		return;
	snprintf(buf, size, "%s", e->msg);
}
