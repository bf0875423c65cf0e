/* SPDX-License-Identifier: MIT */
/*
 * A minimal JSON reader (RFC 8259) for the CLI's --regs-json and for the
 * tests' ground-truth files: parses a whole document into a tree.  Numbers
 * keep their text so 64-bit integers are read exactly.  Not for hostile
 * multi-gigabyte input: nesting is capped at 64 levels and the tree is
 * allocated with malloc.
 */
#ifndef HVS_CLI_JSON_MIN_H
#define HVS_CLI_JSON_MIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum jm_type { JM_NULL, JM_BOOL, JM_NUM, JM_STR, JM_ARR, JM_OBJ } jm_type;

typedef struct jm_val {
	jm_type type;
	int b;              /* JM_BOOL */
	char *s;            /* JM_STR: the decoded string; JM_NUM: its text */
	size_t n;           /* JM_ARR / JM_OBJ: number of items */
	struct jm_val *v;   /* JM_ARR / JM_OBJ: the items */
	char **k;           /* JM_OBJ: the keys */
} jm_val;

/* Parse @len bytes; NULL on error (message in @err when given). */
jm_val *jm_parse(const char *text, size_t len, char *err, size_t errn);
/* Parse a whole file; NULL on error. */
jm_val *jm_parse_file(const char *path, char *err, size_t errn);
/* The same for an open stream (closed here); @path names it in errors.
 * The CLI opens files itself (cli_fopen: UTF-8 names on Windows). */
jm_val *jm_parse_stream(FILE *f, const char *path, char *err, size_t errn);
void jm_free(jm_val *v);
/* Member @key of an object (first match), or NULL. */
const jm_val *jm_get(const jm_val *o, const char *key);
/* Item @i of an array (or object member values), or NULL. */
const jm_val *jm_at(const jm_val *a, size_t i);
/* Number of items of an array or object; 0 otherwise. */
size_t jm_len(const jm_val *a);
/* The string of a JM_STR, or NULL. */
const char *jm_str(const jm_val *v);
/* An unsigned integer from a JM_NUM or a "0x..."/decimal JM_STR; 0 on success. */
int jm_u64(const jm_val *v, uint64_t *out);
/* A 128-bit hex string ("0x" + up to 32 digits) as lo/hi; 0 on success. */
int jm_u128(const jm_val *v, uint64_t *lo, uint64_t *hi);

#endif
