/* SPDX-License-Identifier: MIT */
/*
 * Allocator indirection: the caller's hvs_allocator or the C library.
 * Every size computation is overflow-checked here, so a count read from a
 * file can never wrap into a small allocation followed by a large write.
 * The test suite's failing allocator (tests/unit/testlib.c) plugs in here
 * to fail the Nth allocation of an operation (SQLite-style OOM tests).
 */
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/ovf.h"

void hvs__alloc_init(hvs__alloc *out, const hvs_allocator *a)
{
	if (a && a->malloc && a->realloc && a->free)
		out->a = *a;
	else
		memset(&out->a, 0, sizeof out->a);
}

void *hvs__malloc(const hvs__alloc *a, size_t size)
{
	if (size == 0)
		size = 1;
	return a->a.malloc ? a->a.malloc(a->a.ud, size) : malloc(size);
}

void *hvs__calloc(const hvs__alloc *a, size_t n, size_t size)
{
	size_t total;
	void *p;
	if (hvs__mul_size(n, size, &total))
		return NULL;
	p = hvs__malloc(a, total);
	if (p)
		memset(p, 0, total ? total : 1);
	return p;
}

void *hvs__realloc(const hvs__alloc *a, void *p, size_t size)
{
	if (size == 0)
		size = 1;
	return a->a.realloc ? a->a.realloc(a->a.ud, p, size) : realloc(p, size);
}

void *hvs__reallocarray(const hvs__alloc *a, void *p, size_t n, size_t size)
{
	size_t total;
	if (hvs__mul_size(n, size, &total))
		return NULL;
	return hvs__realloc(a, p, total);
}

void hvs__free(const hvs__alloc *a, void *p)
{
	if (!p)
		return;
	if (a->a.free)
		a->a.free(a->a.ud, p);
	else
		free(p);
}

char *hvs__strdup(const hvs__alloc *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = hvs__malloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

hvs_status hvs__grow(const hvs__alloc *a, void **ptr, size_t *cap, size_t need,
		     size_t elsize)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return HVS_OK;
	/* Doubling keeps appends amortised O(1); the caps on counts that
	 * parsers apply before growing keep the doubling bounded. */
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (hvs__mul_size(ncap, 2, &ncap))
			return HVS_E_NOMEM;
	}
	np = hvs__reallocarray(a, *ptr, ncap, elsize);
	if (!np)
		return HVS_E_NOMEM;
	*ptr = np;
	*cap = ncap;
	return HVS_OK;
}
