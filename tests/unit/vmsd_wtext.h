/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 <-> UTF-16 for the SDK's WCHAR strings in the compat tests
 * (test_vmsd*.c): W() turns a test's UTF-8 path or name into the UTF-16
 * string the SDK functions take, U() a returned UTF-16 string into UTF-8
 * for CHECK_STR.  Surrogate pairs are made and joined, so names beyond
 * the BMP round-trip; the input to W() is the tests' own valid UTF-8.
 * Static buffers, several alternating, so two results can be compared in
 * one expression; not thread-safe (the tests call them from one thread).
 */
#ifndef HVS_TEST_VMSD_WTEXT_H
#define HVS_TEST_VMSD_WTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "vmsavedstatedump.h"

#define VMSD_WTEXT_MAX 4096

static inline const WCHAR *W(const char *s)
{
	static WCHAR buf[4][VMSD_WTEXT_MAX];
	static unsigned which;
	WCHAR *w = buf[which = (which + 1) % 4];
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (*u && i + 2 < VMSD_WTEXT_MAX) {
		uint32_t c;
		if (*u < 0x80) {
			c = *u++;
		} else if ((*u & 0xE0) == 0xC0) {
			c = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
			u += 2;
		} else if ((*u & 0xF0) == 0xE0) {
			c = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 |
			    (u[2] & 0x3F);
			u += 3;
		} else {
			c = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
			    (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
			u += 4;
		}
		if (c >= 0x10000) {
			w[i++] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
			w[i++] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
		} else {
			w[i++] = (WCHAR)c;
		}
	}
	w[i] = 0;
	return w;
}

/* A lone surrogate becomes '?', so a broken pair cannot compare equal. */
static inline const char *U(const WCHAR *w)
{
	static char buf[3][VMSD_WTEXT_MAX];
	static unsigned which;
	char *o = buf[which = (which + 1) % 3];
	size_t j = 0;

	if (!w)
		return "(null)";
	for (; *w && j + 5 < VMSD_WTEXT_MAX; w++) {
		uint32_t c = *w;
		if (c >= 0xD800 && c <= 0xDBFF && w[1] >= 0xDC00 && w[1] <= 0xDFFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)w[1] - 0xDC00);
			w++;
		} else if (c >= 0xD800 && c <= 0xDFFF) {
			c = '?';
		}
		if (c < 0x80) {
			o[j++] = (char)c;
		} else if (c < 0x800) {
			o[j++] = (char)(0xC0 | (c >> 6));
			o[j++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			o[j++] = (char)(0xE0 | (c >> 12));
			o[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
			o[j++] = (char)(0x80 | (c & 0x3F));
		} else {
			o[j++] = (char)(0xF0 | (c >> 18));
			o[j++] = (char)(0x80 | ((c >> 12) & 0x3F));
			o[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
			o[j++] = (char)(0x80 | (c & 0x3F));
		}
	}
	o[j] = 0;
	return o;
}

#endif /* HVS_TEST_VMSD_WTEXT_H */
