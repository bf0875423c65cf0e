/* SPDX-License-Identifier: MIT */
/*
 * Allocation through the caller's optional hvs_allocator.  Every size is
 * overflow-checked here so callers can pass counts straight through.
 */
#ifndef HVS_UTIL_ALLOC_H
#define HVS_UTIL_ALLOC_H

#include <stddef.h>

#include "hvs/common.h"

typedef struct hvs__alloc {
	hvs_allocator a; /* all NULL: the C library */
} hvs__alloc;

void hvs__alloc_init(hvs__alloc *out, const hvs_allocator *a);
void *hvs__malloc(const hvs__alloc *a, size_t size);
/* Zeroed n * size bytes; NULL on overflow or failure. */
void *hvs__calloc(const hvs__alloc *a, size_t n, size_t size);
void *hvs__realloc(const hvs__alloc *a, void *p, size_t size);
/* realloc(p, n * size) with overflow check. */
void *hvs__reallocarray(const hvs__alloc *a, void *p, size_t n, size_t size);
void hvs__free(const hvs__alloc *a, void *p);
char *hvs__strdup(const hvs__alloc *a, const char *s);

/*
 * Make room for at least @need elements of @elsize bytes in the array
 * *@ptr with capacity *@cap (grown geometrically).  Returns HVS_OK or
 * HVS_E_NOMEM (the array is left as it was).
 */
hvs_status hvs__grow(const hvs__alloc *a, void **ptr, size_t *cap, size_t need,
		     size_t elsize);

#endif
