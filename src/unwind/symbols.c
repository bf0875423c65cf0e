/* SPDX-License-Identifier: MIT */
/*
 * Function names for the unwinder's frames from the modules' PDBs
 * (include/hvs/unwind.h, hvs_unwind_symbols_*): the symbol provider
 * (hvs/sym.h) finds each module's PDB along the symbol path from the
 * image's CodeView record; this file opens that PDB, gathers its
 * functions (S_GPROC32/S_LPROC32 with their code length, and the
 * publics S_PUB32) into a table sorted by RVA, and answers "which
 * function contains this address" by binary search, as WinDbg's
 * module!function+offset does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/pdb.h"
#include "hvs/sym.h"
#include "hvs/unwind.h"
#include "util/alloc.h"

/* Most functions taken from one PDB (bounds memory on a hostile PDB). */
#define MAX_FUNCS 0x200000u
/* Most modules remembered. */
#define MAX_MODS 1024u

typedef struct func {
	uint32_t rva;
	uint32_t size;   /* 0: unknown (a public) */
	int typed;       /* a procedure record (beats a public at the same RVA) */
	char *name;
} func;

typedef struct smod {
	uint64_t base;
	char name[HVS_UNWIND_NAME_MAX];  /* the provider's name, "" if none */
	func *f;
	size_t n, cap;
} smod;

struct hvs_unwind_symbols {
	hvs__alloc alloc;
	hvs_sym *sym;
	smod *m;
	size_t n, cap;
};

hvs_status hvs_unwind_symbols_new(hvs_unwind_symbols **out, hvs_sym *s,
				  const hvs_allocator *a)
{
	hvs__alloc al;
	hvs_unwind_symbols *u;

	if (!out || !s)
		return HVS_E_INVALID;
	hvs__alloc_init(&al, a);
	u = hvs__calloc(&al, 1, sizeof *u);
	if (!u)
		return HVS_E_NOMEM;
	u->alloc = al;
	u->sym = s;
	*out = u;
	return HVS_OK;
}

void hvs_unwind_symbols_free(hvs_unwind_symbols *u)
{
	size_t i, k;

	if (!u)
		return;
	for (i = 0; i < u->n; i++) {
		for (k = 0; k < u->m[i].n; k++)
			hvs__free(&u->alloc, u->m[i].f[k].name);
		hvs__free(&u->alloc, u->m[i].f);
	}
	hvs__free(&u->alloc, u->m);
	hvs__free(&u->alloc, u);
}

typedef struct collect {
	hvs_unwind_symbols *u;
	smod *m;
	hvs_status st;
} collect;

static int on_symbol(void *ud, const hvs_pdb_symbol *s)
{
	collect *c = ud;
	void *p = c->m->f;
	func *f;

	if (!s->has_rva || !s->name || !s->name[0])
		return 0;
	/* Publics of assembly code often carry no CODE/FUNCTION flag, so
	 * every public is taken: data publics lie in data sections and
	 * never precede a code address of the same section. */
	if (c->m->n >= MAX_FUNCS)
		return 1;
	if (hvs__grow(&c->u->alloc, &p, &c->m->cap, c->m->n + 1, sizeof *f) != HVS_OK) {
		c->st = HVS_E_NOMEM;
		return 1;
	}
	c->m->f = p;
	f = &c->m->f[c->m->n];
	f->name = hvs__strdup(&c->u->alloc, s->name);
	if (!f->name) {
		c->st = HVS_E_NOMEM;
		return 1;
	}
	f->rva = s->rva;
	f->size = s->size > UINT32_MAX ? 0 : (uint32_t)s->size;
	f->typed = s->kind != HVS_PDB_SYM_PUBLIC;
	c->m->n++;
	return 0;
}

static int by_rva(const void *a, const void *b)
{
	const func *x = a, *y = b;

	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	return y->typed - x->typed;
}

/* Load the functions of the module at @base (once). */
static smod *load(hvs_unwind_symbols *u, uint64_t base)
{
	hvs_sym_module sm;
	hvs_pdb *pdb = NULL;
	collect c;
	size_t i;
	void *p = u->m;
	smod *m;

	for (i = 0; i < u->n; i++)
		if (u->m[i].base == base)
			return &u->m[i];
	if (u->n >= MAX_MODS ||
	    hvs__grow(&u->alloc, &p, &u->cap, u->n + 1, sizeof *m) != HVS_OK)
		return NULL;
	u->m = p;
	m = &u->m[u->n++];
	memset(m, 0, sizeof *m);
	m->base = base;
	/* A module without a PDB is still registered (and so named). */
	(void)hvs_sym_load_module(u->sym, NULL, NULL, base, 0, 0);
	for (i = 0; i < hvs_sym_module_count(u->sym); i++)
		if (hvs_sym_module_at(u->sym, i, &sm) == HVS_OK && sm.base == base)
			break;
	if (i == hvs_sym_module_count(u->sym))
		return NULL;
	/* The provider's name where it knows better than the image: "nt"
	 * for the kernel, the loader's name for a listed module. */
	if (sm.name && (sm.is_kernel || sm.from_list))
		snprintf(m->name, sizeof m->name, "%s", sm.name);
	if (!sm.pdb_path)
		return m;          /* named, but no functions */
	if (hvs_pdb_open_file(&pdb, sm.pdb_path, NULL) != HVS_OK)
		return m;
	c.u = u;
	c.m = m;
	c.st = HVS_OK;
	(void)hvs_pdb_foreach_symbol(pdb, HVS_PDB_ITER_GLOBALS | HVS_PDB_ITER_PUBLICS,
				     HVS_PDB_SYMS_PROC | 1u << HVS_PDB_SYM_PUBLIC,
				     on_symbol, &c);
	hvs_pdb_close(pdb);
	if (m->n)
		qsort(m->f, m->n, sizeof *m->f, by_rva);
	return m;
}

int hvs_unwind_symbols_lookup(void *ud, uint64_t module_base, uint64_t va,
			      char *module, size_t module_size, char *name,
			      size_t size, uint64_t *sym_va)
{
	hvs_unwind_symbols *u = ud;
	smod *m;
	uint64_t rva;
	size_t lo = 0, hi;
	const func *f;

	if (!u || !name || !size || va < module_base)
		return 0;
	m = load(u, module_base);
	if (!m)
		return 0;
	if (module && module_size && m->name[0])
		snprintf(module, module_size, "%s", m->name);
	if (!m->n)
		return 0;
	rva = va - module_base;
	/* The last function starting at or below rva. */
	hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->f[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	f = &m->f[lo - 1];
	/* Prefer the typed record at the same RVA (sorted first). */
	while (f > m->f && f[-1].rva == f->rva)
		f--;
	if (f->size && rva - f->rva >= f->size)
		return 0;
	snprintf(name, size, "%s", f->name);
	if (sym_va)
		*sym_va = module_base + f->rva;
	return 1;
}
