/* SPDX-License-Identifier: MIT */
/*
 * UTF-16LE <-> UTF-8 (RFC 3629, RFC 2781).  HyperVStorage stores key names
 * (format 1.0) and string values as UTF-16LE; the API speaks UTF-8.  The
 * decoder never fails: file bytes are untrusted, and a lone surrogate
 * becomes U+FFFD rather than an error or invalid UTF-8.  The encoder (for
 * the writer, whose input is the caller's) rejects invalid UTF-8, overlong
 * forms and encoded surrogates instead of writing what a reader would
 * decode differently.
 */
#include "util/utf.h"
#include "util/bytes.h"

/* Append code point @cp to out[*pos..], counting even past @size. */
static void put_utf8(uint32_t cp, char *out, size_t size, size_t *pos)
{
	uint8_t b[4];
	size_t k, n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xC0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xE0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xF0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	for (k = 0; k < n; k++, (*pos)++)
		if (size && *pos < size - 1)
			out[*pos] = (char)b[k];
}

size_t hvs__utf16le_to_utf8(const uint8_t *in, size_t n, char *out, size_t size)
{
	size_t i, pos = 0;

	for (i = 0; i + 1 < n; i += 2) {
		uint32_t cp = hvs__le16(in + i);
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
			uint32_t lo = hvs__le16(in + i + 2);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				cp = 0xFFFD;
			}
		} else if (cp >= 0xD800 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		put_utf8(cp, out, size, &pos);
	}
	if (size)
		out[pos < size ? pos : size - 1] = '\0';
	return pos;
}

size_t hvs__utf8_to_utf16le(const char *in, uint8_t *out, size_t size)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t pos = 0;

	while (*s) {
		uint32_t cp;
		int extra, k;
		if (*s < 0x80) {
			cp = *s;
			extra = 0;
		} else if ((*s & 0xE0) == 0xC0) {
			cp = *s & 0x1F;
			extra = 1;
		} else if ((*s & 0xF0) == 0xE0) {
			cp = *s & 0x0F;
			extra = 2;
		} else if ((*s & 0xF8) == 0xF0) {
			cp = *s & 0x07;
			extra = 3;
		} else {
			return (size_t)-1;
		}
		s++;
		for (k = 0; k < extra; k++, s++) {
			if ((*s & 0xC0) != 0x80)
				return (size_t)-1;
			cp = cp << 6 | (*s & 0x3F);
		}
		/* Reject overlong forms, surrogates and out-of-range values. */
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return (size_t)-1;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			if (pos + 4 <= size) {
				hvs__put_le16(out + pos, (uint16_t)(0xD800 | v >> 10));
				hvs__put_le16(out + pos + 2, (uint16_t)(0xDC00 | (v & 0x3FF)));
			}
			pos += 4;
		} else {
			if (pos + 2 <= size)
				hvs__put_le16(out + pos, (uint16_t)cp);
			pos += 2;
		}
	}
	return pos;
}
