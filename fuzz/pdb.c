/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: open a PDB (src/pdb/) from memory and run every query the
 * symbol provider makes, checking invariants rather than only "no crash":
 *  - a failed open returns no handle; every call returns one of its
 *    documented status codes;
 *  - names handed out are NUL-terminated strings (strlen runs on them);
 *  - a symbol found by name has that exact name and an accepted kind;
 *  - type names are NUL-terminated, and HVS_E_BUFSIZE reports a length
 *    that the full-size call then returns;
 *  - a field found by name has that name; a resolved type resolves to
 *    itself.
 * Query names are carved from the last 32 bytes of the input (NUL
 * separated) plus a fixed list of names the seeds contain.
 */
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TYPES 3000   /* types walked per input: bounded run time */
#define MAX_SYMS 3000

static int known_status(hvs_status s)
{
	return s == HVS_OK || s == HVS_E_INVALID || s == HVS_E_NOMEM ||
	       s == HVS_E_IO || s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED ||
	       s == HVS_E_NOTFOUND || s == HVS_E_BUFSIZE;
}

#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static int count_sym(void *ud, const hvs_pdb_symbol *s)
{
	size_t *n = ud;
	EXPECT(s->name && s->kind <= HVS_PDB_SYM_OTHER);
	(void)strlen(s->name);
	return ++*n >= MAX_SYMS;
}

static int count_field(void *ud, const hvs_pdb_field *f)
{
	size_t *n = ud;
	EXPECT(f->name);
	(void)strlen(f->name);
	return ++*n >= 4096;
}

static int count_enum(void *ud, const hvs_pdb_enumerator *e)
{
	size_t *n = ud;
	EXPECT(e->name);
	(void)strlen(e->name);
	return ++*n >= 4096;
}

static void query_name(hvs_pdb *pdb, const char *name)
{
	hvs_pdb_symbol s;
	hvs_pdb_type t;
	hvs_pdb_field f;
	uint64_t sz = 1;
	hvs_status st;

	st = hvs_pdb_find_symbol(pdb, name, HVS_PDB_SYMS_ALL, &s);
	EXPECT(known_status(st));
	if (st == HVS_OK)
		EXPECT(strcmp(s.name, name) == 0);
	st = hvs_pdb_find_type(pdb, name, &t);
	EXPECT(known_status(st));
	st = hvs_pdb_type_size_by_name(pdb, name, &sz);
	EXPECT(known_status(st));
	if (st != HVS_OK)
		EXPECT(sz == 0);
	st = hvs_pdb_find_field(pdb, name, "WaitNext", &f);
	EXPECT(known_status(st));
	if (st == HVS_OK)
		EXPECT(strcmp(f.name, "WaitNext") == 0);
	st = hvs_pdb_find_field(pdb, name, "Header.Lock", &f);
	EXPECT(known_status(st));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"_KTHREAD", "KTHREAD", "PKTHREAD", "NtBuildNumber", "KeQueryBuild",
		"helper", "_POOL_TYPE", "_LIST_ENTRY *", "unsigned long", "FlatMain",
		"_FLAT_MAIN"};
	hvs_source src;
	hvs_pdb *pdb = NULL;
	hvs_open_opts o;
	hvs_pdb_info in;
	char err[HVS_ERRMSG_MAX], carved[33], name[512];
	uint32_t i, ti, end;
	size_t n = 0, k;
	hvs_status s;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	if (hvs_source_from_memory(&src, data, size) != HVS_OK)
		abort();
	s = hvs_pdb_open(&pdb, &src, &o);
	EXPECT(known_status(s));
	if (s != HVS_OK) {
		EXPECT(pdb == NULL);
		EXPECT(err[0] != 0);
		hvs_source_close(&src);
		return 0;
	}
	hvs_pdb_get_info(pdb, &in);
	for (i = 0; i < in.module_count; i++) {
		hvs_pdb_module m;
		EXPECT(hvs_pdb_module_get(pdb, i, &m) == HVS_OK);
		(void)strlen(m.name);
		(void)strlen(m.obj_name);
		n = 0;
		EXPECT(known_status(hvs_pdb_foreach_module_symbol(pdb, i, HVS_PDB_SYMS_ALL,
								  count_sym, &n)));
	}
	for (i = 0; i < in.section_count; i++) {
		hvs_pdb_section c;
		EXPECT(hvs_pdb_section_get(pdb, i, &c) == HVS_OK);
	}
	for (i = 0; i < in.section_map_count; i++) {
		hvs_pdb_segmap m;
		EXPECT(hvs_pdb_segmap_get(pdb, i, &m) == HVS_OK);
	}
	n = 0;
	EXPECT(known_status(hvs_pdb_foreach_symbol(
		pdb, HVS_PDB_ITER_GLOBALS | HVS_PDB_ITER_PUBLICS, HVS_PDB_SYMS_ALL,
		count_sym, &n)));
	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		query_name(pdb, names[k]);
	/* A name carved from the input's tail. */
	memset(carved, 0, sizeof carved);
	if (size >= 32)
		memcpy(carved, data + size - 32, 32);
	query_name(pdb, carved);

	/* Walk the types. */
	{
		hvs_pdb_type t0;
		(void)hvs_pdb_type_get(pdb, 0x1000, &t0);
		hvs_pdb_get_info(pdb, &in);
	}
	end = in.tpi_end;
	if (end - in.tpi_begin > MAX_TYPES)
		end = in.tpi_begin + MAX_TYPES;
	for (ti = in.tpi_begin; ti < end; ti++) {
		hvs_pdb_type t;
		uint32_t r, r2;
		size_t len = 0, len2 = 0;
		s = hvs_pdb_type_get(pdb, ti, &t);
		EXPECT(known_status(s));
		if (s != HVS_OK)
			continue;
		if (t.name)
			(void)strlen(t.name);
		s = hvs_pdb_type_resolve(pdb, ti, &r);
		EXPECT(known_status(s));
		if (s == HVS_OK) {
			EXPECT(hvs_pdb_type_resolve(pdb, r, &r2) == HVS_OK && r2 == r);
		}
		s = hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_C, name, 8, &len);
		EXPECT(known_status(s));
		EXPECT(strlen(name) < 8);
		if (s == HVS_E_BUFSIZE && len < sizeof name) {
			EXPECT(hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_C, name, sizeof name,
						 &len2) == HVS_OK);
			EXPECT(len2 == len && strlen(name) == len);
		}
		s = hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_WINDBG, name, sizeof name, NULL);
		EXPECT(known_status(s));
		n = 0;
		s = hvs_pdb_foreach_field(pdb, ti, HVS_PDB_FIELDS_FLATTEN | HVS_PDB_FIELDS_BASES |
						       HVS_PDB_FIELDS_STATIC,
					  count_field, &n);
		EXPECT(known_status(s));
		n = 0;
		EXPECT(known_status(hvs_pdb_foreach_enumerator(pdb, ti, count_enum, &n)));
		if (t.kind == HVS_PDB_TYPE_ARGLIST && t.count) {
			uint32_t a;
			EXPECT(known_status(hvs_pdb_arg_get(pdb, ti, 0, &a)));
		}
	}
	hvs_pdb_close(pdb);
	hvs_source_close(&src);
	return 0;
}
