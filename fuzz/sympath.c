/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the dbghelp symbol-path parser (src/sym/symsrv.c) on
 * arbitrary text, with invariants rather than only "no crash":
 *  - HVS_OK, HVS_E_INVALID or HVS_E_UNSUPPORTED only (HVS_E_NOMEM is not
 *    expected with the C allocator), and a message on failure;
 *  - every element is non-empty: a folder, a cache (folder may be empty)
 *    or a store chain whose last store is non-empty;
 *  - no element or store contains ';' (the separator), no store '*';
 *  - parsing twice gives the same elements.
 * The input is used up to its first NUL.
 */
#include <stdlib.h>
#include <string.h>

#include "sym/symsrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_elem(const hvs__sp_elem *el)
{
	size_t i;
	switch (el->kind) {
	case HVS__SP_DIR:
		if (!el->dir[0] || strchr(el->dir, ';'))
			abort();
		break;
	case HVS__SP_CACHE:
		if (strchr(el->dir, ';'))
			abort();
		break;
	case HVS__SP_SRV:
		if (el->nstores == 0 || !el->stores[el->nstores - 1][0])
			abort();
		for (i = 0; i < el->nstores; i++)
			if (strchr(el->stores[i], ';') || strchr(el->stores[i], '*'))
				abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	hvs__alloc a;
	hvs__sympath p, q;
	hvs__err e;
	hvs_status st, st2;
	size_t i, k;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	hvs__alloc_init(&a, NULL);
	e.msg[0] = '\0';
	st = hvs__sympath_parse(&p, text, &a, &e);
	if (st != HVS_OK) {
		if ((st != HVS_E_INVALID && st != HVS_E_UNSUPPORTED) || !e.msg[0])
			abort();
		free(text);
		return 0;
	}
	st2 = hvs__sympath_parse(&q, text, &a, &e);
	if (st2 != HVS_OK || q.n != p.n)
		abort();
	for (i = 0; i < p.n; i++) {
		check_elem(&p.v[i]);
		if (p.v[i].kind != q.v[i].kind || p.v[i].nstores != q.v[i].nstores)
			abort();
		if (p.v[i].dir && strcmp(p.v[i].dir, q.v[i].dir) != 0)
			abort();
		for (k = 0; k < p.v[i].nstores; k++)
			if (strcmp(p.v[i].stores[k], q.v[i].stores[k]) != 0)
				abort();
	}
	hvs__sympath_free(&p, &a);
	hvs__sympath_free(&q, &a);
	free(text);
	return 0;
}
