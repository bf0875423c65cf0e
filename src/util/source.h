/* SPDX-License-Identifier: MIT */
/* Internal helpers of the file source (src/util/source.c). */
#ifndef HVS_UTIL_SOURCE_H
#define HVS_UTIL_SOURCE_H

#include <stddef.h>

#include "hvs/common.h"
#include "util/platform.h"

/* The file handle of a source from hvs_source_open_file(), else
 * HVS__FH_NONE. */
hvs__fh hvs__source_fh(const hvs_source *src);

/* hvs_source_open_file() that also says why it failed (the OS's words:
 * strerror or FormatMessage) in @why, for messages naming the file. */
hvs_status hvs__source_open_file_why(hvs_source *out, const char *path, char *why,
				     size_t whysize);

#endif
