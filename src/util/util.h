/* SPDX-License-Identifier: MIT */
/* Umbrella for the internal utility headers. */
#ifndef HVS_UTIL_UTIL_H
#define HVS_UTIL_UTIL_H

#include "util/alloc.h"
#include "util/bytes.h"
#include "util/crc32.h"
#include "util/err.h"
#include "util/ovf.h"
#include "util/utf.h"

#define HVS__MIN(a, b) ((a) < (b) ? (a) : (b))
#define HVS__MAX(a, b) ((a) > (b) ? (a) : (b))
#define HVS__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
