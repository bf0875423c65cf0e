/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: open a HyperVStorage container (src/store), walk the whole
 * key tree, read every value and round-trip every path.  The last input
 * byte selects the options (bit 0 lenient mode with a problem sink, bit 1
 * HVS_OPEN_NO_REPLAY); the rest is the file.  Invariants checked, beyond
 * "no crash": child/parent links agree, ordinals and paths find the same
 * key again, the tree holds exactly info.key_count keys, and every read
 * returns the requested length or an error with a consistent count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"

#define FAIL(what)                                                             \
	do {                                                                   \
		fprintf(stderr, "store_open invariant: %s\n", what);           \
		abort();                                                       \
	} while (0)

static void sink(void *ud, hvs_status kind, uint64_t off, const char *msg)
{
	(void)kind;
	(void)off;
	if (!msg || !*msg)
		FAIL("empty problem message");
	++*(unsigned long *)ud;
}

/* Read a value completely in uneven chunks, then one byte past its end. */
static void read_value(hvs_store *st, const hvs_key *k)
{
	uint8_t buf[777];
	uint64_t size = hvs_key_value_size(k), off = 0;
	size_t done;
	hvs_status s;

	while (off < size) {
		size_t n = (size_t)(size - off < sizeof buf ? size - off : sizeof buf);
		done = (size_t)-1;
		s = hvs_key_read(st, k, off, buf, n, &done);
		if (s == HVS_OK && done != n)
			FAIL("OK read with a short count");
		if (s != HVS_OK) {
			if (done > n)
				FAIL("failed read counts more than asked");
			return;
		}
		off += n;
	}
	s = hvs_key_read(st, k, size, buf, 1, &done);
	if (s != HVS_E_NODATA || done != 0)
		FAIL("read past the value end");
}

static void typed_get(hvs_store *st, const hvs_key *k)
{
	int64_t i;
	uint64_t u;
	double d;
	int b;
	size_t len = 0, len2 = 0;
	char small[8], *s;
	hvs_status r;

	switch (hvs_key_get_type(k)) {
	case HVS_KEY_INT: (void)hvs_key_get_int(st, k, &i); break;
	case HVS_KEY_UINT: (void)hvs_key_get_uint(st, k, &u); break;
	case HVS_KEY_DOUBLE: (void)hvs_key_get_double(st, k, &d); break;
	case HVS_KEY_BOOL: (void)hvs_key_get_bool(st, k, &b); break;
	case HVS_KEY_STRING:
		r = hvs_key_get_string(st, k, small, sizeof small, &len);
		if (r == HVS_OK && strlen(small) != len)
			FAIL("string length");
		if (r != HVS_E_BUFSIZE)
			break;
		s = malloc(len + 1);
		if (!s)
			return;
		if (hvs_key_get_string(st, k, s, len + 1, &len2) != HVS_OK || len2 != len)
			FAIL("string size query disagrees with the read");
		free(s);
		break;
	default:
		if (hvs_key_get_int(st, k, &i) != HVS_E_INVALID)
			FAIL("typed getter on the wrong type");
		break;
	}
}

/* Can this key's path round-trip?  Not when a name on it is empty or holds
 * '/' or '[' (the path syntax of hvs_store_find). */
static int path_safe(const hvs_key *k)
{
	for (; hvs_key_parent(k); k = hvs_key_parent(k)) {
		const char *n = hvs_key_name(k);
		if (!*n || strchr(n, '/') || strchr(n, '['))
			return 0;
	}
	return 1;
}

static uint64_t walk(hvs_store *st, const hvs_key *root)
{
	const hvs_key **stack = NULL;
	size_t sn = 0, scap = 0, i;
	uint64_t count = 0;
	char path[2048];

	stack = malloc(sizeof *stack);
	if (!stack)
		return 0;
	stack[sn++] = root;
	scap = 1;
	while (sn) {
		const hvs_key *k = stack[--sn];
		const hvs_key *p = hvs_key_parent(k), *back = NULL;
		size_t n = hvs_key_child_count(k), len = 0;
		hvs_status s;

		if (k != root) {
			count++;
			if (!p)
				FAIL("non-root key without parent");
			if (hvs_key_find_child(p, hvs_key_name(k), hvs_key_ordinal(k)) != k)
				FAIL("name + ordinal does not find the key");
		}
		s = hvs_key_path(k, path, sizeof path, &len);
		if (s == HVS_OK) {
			if (strlen(path) != len)
				FAIL("path length");
			if (path_safe(k) && hvs_store_find(st, path, &back) == HVS_OK && back != k)
				FAIL("path finds another key");
		} else if (s != HVS_E_BUFSIZE || len < sizeof path - 1) {
			FAIL("path status");
		}
		read_value(st, k);
		typed_get(st, k);
		if (n && hvs_key_child(k, n) != NULL)
			FAIL("child past the end");
		for (i = 0; i < n; i++) {
			const hvs_key *c = hvs_key_child(k, i);
			if (!c || hvs_key_parent(c) != k)
				FAIL("child's parent");
			if (sn == scap) {
				const hvs_key **ns = realloc((void *)stack, 2 * scap * sizeof *ns);
				if (!ns) {
					free((void *)stack);
					return count;
				}
				stack = ns;
				scap *= 2;
			}
			stack[sn++] = c;
		}
	}
	free((void *)stack);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hvs_source src;
	hvs_store *st = NULL;
	hvs_open_opts o;
	hvs_store_info info;
	unsigned long problems = 0;
	char err[HVS_ERRMSG_MAX];
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[size - 1];
	size--;
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	if (mode & 1) {
		o.problem = sink;
		o.problem_ud = &problems;
	}
	if (mode & 2)
		o.flags = HVS_OPEN_NO_REPLAY;
	if (hvs_source_from_memory(&src, size ? data : NULL, size) != HVS_OK)
		return 0;
	if (hvs_store_open(&st, &src, &o) == HVS_OK) {
		hvs_store_get_info(st, &info);
		if (info.file_size < size)
			FAIL("view smaller than the file");
		if (info.replay_applied > info.replay_pending)
			FAIL("applied more than pending");
		if (walk(st, hvs_store_root(st)) != info.key_count)
			FAIL("tree size differs from info.key_count");
		hvs_store_close(st);
	} else if (!err[0]) {
		FAIL("failed open without a message");
	}
	hvs_source_close(&src);
	return 0;
}
