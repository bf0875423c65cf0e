/* SPDX-License-Identifier: MIT */
/*
 * Checked arithmetic.  Each helper stores the result and returns non-zero
 * when it overflowed (then *out is unspecified), in the manner of libgit2's
 * git__add_sizet_overflow.  Use them on every offset, size and count that
 * comes from a file.
 */
#ifndef HVS_UTIL_OVF_H
#define HVS_UTIL_OVF_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define HVS__HAVE_BUILTIN_OVF 1
#endif

static inline int hvs__add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
#ifdef HVS__HAVE_BUILTIN_OVF
	return __builtin_add_overflow(a, b, out);
#else
	*out = a + b;
	return *out < a;
#endif
}

static inline int hvs__mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
#ifdef HVS__HAVE_BUILTIN_OVF
	return __builtin_mul_overflow(a, b, out);
#else
	*out = a * b;
	return a != 0 && *out / a != b;
#endif
}

static inline int hvs__add_size(size_t a, size_t b, size_t *out)
{
#ifdef HVS__HAVE_BUILTIN_OVF
	return __builtin_add_overflow(a, b, out);
#else
	*out = a + b;
	return *out < a;
#endif
}

static inline int hvs__mul_size(size_t a, size_t b, size_t *out)
{
#ifdef HVS__HAVE_BUILTIN_OVF
	return __builtin_mul_overflow(a, b, out);
#else
	*out = a * b;
	return a != 0 && *out / a != b;
#endif
}

/* Does [off, off + len) lie inside [0, end)?  Overflow-safe. */
static inline int hvs__in_bounds(uint64_t off, uint64_t len, uint64_t end)
{
	return off <= end && len <= end - off;
}

/* Round @v up to a multiple of the power of two @align; 0 on overflow. */
static inline int hvs__align_up(uint64_t v, uint64_t align, uint64_t *out)
{
	uint64_t t;
	if (hvs__add_u64(v, align - 1, &t))
		return 1;
	*out = t & ~(align - 1);
	return 0;
}

#endif
