/* SPDX-License-Identifier: MIT */
/*
 * Minimal JSON reader (RFC 8259): recursive descent into a malloc'd tree.
 * Used by `--regs-json` (cli/vpopts.c) and by the guest acceptance tests
 * (tests/unit/json_min.c includes this file).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_min.h"

#define JM_MAX_DEPTH 64

typedef struct jm_parser {
	const char *p, *end, *start;
	char *err;
	size_t errn;
	int failed;
} jm_parser;

static void jm_fail(jm_parser *ps, const char *what)
{
	if (!ps->failed && ps->err && ps->errn)
		snprintf(ps->err, ps->errn, "JSON: %s at byte %ld", what,
			 (long)(ps->p - ps->start));
	ps->failed = 1;
}

static void jm_ws(jm_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
				   *ps->p == '\r'))
		ps->p++;
}

static int jm_hex4(const char *p, unsigned *out)
{
	unsigned v = 0, i;
	for (i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Parse a string at ps->p (the opening quote); returns malloc'd UTF-8. */
static char *jm_string(jm_parser *ps)
{
	const char *q = ps->p + 1, *e = q;
	char *out, *o;
	/* Find the closing quote first: the decoded form is never longer
	 * than the encoded one, so that length bounds the allocation. */
	while (e < ps->end && *e != '"')
		e += (*e == '\\' && e + 1 < ps->end) ? 2 : 1;
	out = malloc((size_t)(e - q) + 1);
	if (!out) {
		jm_fail(ps, "out of memory");
		return NULL;
	}
	o = out;
	while (q < ps->end && *q != '"') {
		unsigned char c = (unsigned char)*q++;
		if (c < 0x20) {
			ps->p = q - 1;
			jm_fail(ps, "control character in string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (q >= ps->end)
			break;
		c = (unsigned char)*q++;
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned u;
			if (ps->end - q < 4 || jm_hex4(q, &u) != 0) {
				ps->p = q;
				jm_fail(ps, "bad \\u escape");
				free(out);
				return NULL;
			}
			q += 4;
			/* Surrogates are kept as-is (encoded individually). */
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xc0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xe0 | u >> 12);
				*o++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		}
		default:
			ps->p = q - 1;
			jm_fail(ps, "bad escape");
			free(out);
			return NULL;
		}
	}
	if (q >= ps->end) {
		jm_fail(ps, "unterminated string");
		free(out);
		return NULL;
	}
	*o = '\0';
	ps->p = q + 1;
	return out;
}

static int jm_value(jm_parser *ps, jm_val *v, int depth);

/* Append a zeroed item (and key slot for objects); returns it or NULL. */
static jm_val *jm_push(jm_parser *ps, jm_val *c, size_t *cap)
{
	if (c->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		jm_val *nv = realloc(c->v, nc * sizeof *nv);
		if (!nv) {
			jm_fail(ps, "out of memory");
			return NULL;
		}
		c->v = nv;
		if (c->type == JM_OBJ) {
			char **nk = realloc(c->k, nc * sizeof *nk);
			if (!nk) {
				jm_fail(ps, "out of memory");
				return NULL;
			}
			c->k = nk;
		}
		*cap = nc;
	}
	memset(&c->v[c->n], 0, sizeof c->v[0]);
	if (c->type == JM_OBJ)
		c->k[c->n] = NULL;
	return &c->v[c->n++];
}

static int jm_container(jm_parser *ps, jm_val *v, int depth)
{
	size_t cap = 0;
	char close = v->type == JM_OBJ ? '}' : ']';
	ps->p++;
	jm_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		jm_val *it;
		char *key = NULL;
		jm_ws(ps);
		if (v->type == JM_OBJ) {
			if (ps->p >= ps->end || *ps->p != '"') {
				jm_fail(ps, "expected a key");
				return -1;
			}
			key = jm_string(ps);
			if (!key)
				return -1;
			jm_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				jm_fail(ps, "expected ':'");
				return -1;
			}
			ps->p++;
		}
		it = jm_push(ps, v, &cap);
		if (!it) {
			free(key);
			return -1;
		}
		if (v->type == JM_OBJ)
			v->k[v->n - 1] = key;
		if (jm_value(ps, it, depth + 1) != 0)
			return -1;
		jm_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		jm_fail(ps, v->type == JM_OBJ ? "expected ',' or '}'" : "expected ',' or ']'");
		return -1;
	}
}

static int jm_value(jm_parser *ps, jm_val *v, int depth)
{
	jm_ws(ps);
	if (depth > JM_MAX_DEPTH) {
		jm_fail(ps, "nested too deeply");
		return -1;
	}
	if (ps->p >= ps->end) {
		jm_fail(ps, "unexpected end");
		return -1;
	}
	switch (*ps->p) {
	case '{':
		v->type = JM_OBJ;
		return jm_container(ps, v, depth);
	case '[':
		v->type = JM_ARR;
		return jm_container(ps, v, depth);
	case '"':
		v->type = JM_STR;
		v->s = jm_string(ps);
		return v->s ? 0 : -1;
	default:
		break;
	}
	if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
		v->type = JM_NULL;
		ps->p += 4;
		return 0;
	}
	if (ps->end - ps->p >= 4 && memcmp(ps->p, "true", 4) == 0) {
		v->type = JM_BOOL;
		v->b = 1;
		ps->p += 4;
		return 0;
	}
	if (ps->end - ps->p >= 5 && memcmp(ps->p, "false", 5) == 0) {
		v->type = JM_BOOL;
		ps->p += 5;
		return 0;
	}
	if (*ps->p == '-' || isdigit((unsigned char)*ps->p)) {
		const char *q = ps->p;
		size_t n;
		while (q < ps->end && (isdigit((unsigned char)*q) || *q == '-' || *q == '+' ||
				       *q == '.' || *q == 'e' || *q == 'E'))
			q++;
		n = (size_t)(q - ps->p);
		v->type = JM_NUM;
		v->s = malloc(n + 1);
		if (!v->s) {
			jm_fail(ps, "out of memory");
			return -1;
		}
		memcpy(v->s, ps->p, n);
		v->s[n] = '\0';
		ps->p = q;
		return 0;
	}
	jm_fail(ps, "unexpected character");
	return -1;
}

static void jm_free_inner(jm_val *v)
{
	size_t i;
	for (i = 0; i < v->n; i++) {
		jm_free_inner(&v->v[i]);
		if (v->type == JM_OBJ)
			free(v->k[i]);
	}
	free(v->v);
	free(v->k);
	free(v->s);
}

void jm_free(jm_val *v)
{
	if (!v)
		return;
	jm_free_inner(v);
	free(v);
}

jm_val *jm_parse(const char *text, size_t len, char *err, size_t errn)
{
	jm_parser ps;
	jm_val *v = calloc(1, sizeof *v);
	if (!v) {
		if (err && errn)
			snprintf(err, errn, "out of memory");
		return NULL;
	}
	ps.p = ps.start = text;
	ps.end = text + len;
	ps.err = err;
	ps.errn = errn;
	ps.failed = 0;
	if (jm_value(&ps, v, 0) == 0) {
		jm_ws(&ps);
		if (ps.p != ps.end)
			jm_fail(&ps, "trailing characters");
	}
	if (ps.failed) {
		jm_free(v);
		return NULL;
	}
	return v;
}

jm_val *jm_parse_file(const char *path, char *err, size_t errn)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (err && errn)
			snprintf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return jm_parse_stream(f, path, err, errn);
}

jm_val *jm_parse_stream(FILE *f, const char *path, char *err, size_t errn)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	jm_val *v;
	for (;;) {
		size_t got;
		if (cap - len < 65536) {
			char *nb = cap > ((size_t)256 << 20) ? NULL : realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				if (err && errn)
					snprintf(err, errn, "%s: too large or out of memory", path);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	v = jm_parse(buf, len, err, errn);
	free(buf);
	return v;
}

const jm_val *jm_get(const jm_val *o, const char *key)
{
	size_t i;
	if (!o || o->type != JM_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->k[i], key) == 0)
			return &o->v[i];
	return NULL;
}

const jm_val *jm_at(const jm_val *a, size_t i)
{
	if (!a || (a->type != JM_ARR && a->type != JM_OBJ) || i >= a->n)
		return NULL;
	return &a->v[i];
}

size_t jm_len(const jm_val *a)
{
	return a && (a->type == JM_ARR || a->type == JM_OBJ) ? a->n : 0;
}

const char *jm_str(const jm_val *v)
{
	return v && v->type == JM_STR ? v->s : NULL;
}

int jm_u64(const jm_val *v, uint64_t *out)
{
	char *end;
	unsigned long long x;
	if (!v || (v->type != JM_NUM && v->type != JM_STR) || !v->s || !*v->s ||
	    v->s[0] == '-' || isspace((unsigned char)v->s[0]))
		return -1;
	errno = 0;
	x = strtoull(v->s, &end, 0);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

int jm_u128(const jm_val *v, uint64_t *lo, uint64_t *hi)
{
	const char *s = jm_str(v);
	uint64_t l = 0, h = 0;
	size_t n;
	if (!s || strncmp(s, "0x", 2) != 0)
		return -1;
	s += 2;
	n = strlen(s);
	if (n == 0 || n > 32)
		return -1;
	for (; *s; s++) {
		int c = (unsigned char)*s, d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return -1;
		h = h << 4 | l >> 60;
		l = l << 4 | (uint64_t)d;
	}
	*lo = l;
	*hi = h;
	return 0;
}
