/* SPDX-License-Identifier: MIT */
/* Internal helpers of the file source (src/util/source.c). */
#ifndef HVS_UTIL_SOURCE_H
#define HVS_UTIL_SOURCE_H

#include "hvs/common.h"

/* The file descriptor of a source from hvs_source_open_file(), else -1. */
int hvs__source_fd(const hvs_source *src);

#endif
