/* SPDX-License-Identifier: MIT */
/* UTF-16LE <-> UTF-8 conversion for key names and string values. */
#ifndef HVS_UTIL_UTF_H
#define HVS_UTIL_UTF_H

#include <stddef.h>
#include <stdint.h>

/*
 * Convert @n bytes of UTF-16LE (an odd trailing byte is ignored) to UTF-8.
 * Lone surrogates become U+FFFD.  Writes at most @size - 1 bytes plus a NUL
 * when @size > 0 and returns the full UTF-8 length (without NUL), so a
 * caller can size a buffer by calling with size 0.
 */
size_t hvs__utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t size);

/*
 * Convert NUL-terminated UTF-8 to UTF-16LE bytes.  Writes at most @size
 * bytes and returns the full UTF-16 length in bytes (no terminator), or
 * (size_t)-1 when the input is not valid UTF-8.
 */
size_t hvs__utf8_to_utf16le(const char *in, uint8_t *out, size_t size);

#endif
