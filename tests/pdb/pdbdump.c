/* SPDX-License-Identifier: MIT */
/*
 * pdbdump: print everything the PDB reader (include/hvs/pdb.h) reports
 * about a PDB, one fact per line, for the differential tests
 * (tests/pdb/diff_llvm.py against llvm-pdbutil, tests/pdb/diff_pdbconv.py
 * against volatility3's pdbconv).  Uses the public API only.
 *
 *   pdbdump [--no-mmap] FILE
 *
 * Lines:
 *   info guid=<32 hex> age=N dbi_age=N signature=N version=N machine=0xM
 *        ptr=N blocksize=N blocks=N streams=N modules=N sections=N
 *        tpi=0xB..0xE storeid=ID
 *   module I name=<s> obj=<s> stream=N symbytes=N
 *   section I name=<s> va=0xV vsize=0xS rawsize=0xS rawptr=0xP chars=0xC
 *   segmap I flags=0xF ovl=N group=N frame=N offset=0xO length=0xL
 *   global|public|modsym kind=K name=<s> seg=N off=0xO type=0xT size=N
 *        [rva=0xR] [flags=N] [value=V] [module=N]
 *   type 0xTI kind=K leaf=0xL size=N element=0xE index=0xI count=N
 *        props=0xP mods=N mode=N bits=POS:LEN [name=<s>] [uname=<s>]
 *   resolve 0xTI 0xDEF
 *   field 0xTI name=<s> offset=N type=0xT size=N [bits=POS:LEN] [static]
 *        [base] depth=N
 *   enumerator 0xTI name=<s> value=V
 *   arg 0xTI I 0xT
 *   cname 0xTI <C-style name>
 *   wname 0xTI <WinDbg-style name>
 * Exit status: 0, or 1 with the library's message on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hvs/hvs.h"

static const char *const sym_kinds[] = {"PUBLIC", "GDATA", "LDATA",    "GPROC",
					"LPROC",  "CONSTANT", "UDT", "GTHREAD",
					"LTHREAD", "OTHER"};
static const char *const type_kinds[] = {
	"NONE",      "BASE",     "STRUCT",    "CLASS",    "UNION",
	"INTERFACE", "ENUM",     "POINTER",   "ARRAY",    "MODIFIER",
	"PROCEDURE", "MFUNCTION", "BITFIELD", "FIELDLIST", "ARGLIST", "OTHER"};

static int print_sym(void *ud, const hvs_pdb_symbol *s)
{
	const char *what = ud;
	printf("%s kind=%s name=%s seg=%u off=0x%x type=0x%x size=%" PRIu64, what,
	       sym_kinds[s->kind], s->name, s->segment, s->offset, s->type_index,
	       s->size);
	if (s->has_rva)
		printf(" rva=0x%x", s->rva);
	if (s->kind == HVS_PDB_SYM_PUBLIC)
		printf(" flags=%u", s->pub_flags);
	if (s->kind == HVS_PDB_SYM_CONSTANT) {
		if (s->value_signed)
			printf(" value=%" PRId64, (int64_t)s->value);
		else
			printf(" value=%" PRIu64, s->value);
	}
	if (s->module != UINT32_MAX)
		printf(" module=%u", s->module);
	printf(" rec=%u\n", s->record_offset);
	return 0;
}

static uint32_t cur_ti;

static int print_field(void *ud, const hvs_pdb_field *f)
{
	(void)ud;
	printf("field 0x%x name=%s offset=%" PRIu64 " type=0x%x size=%" PRIu64,
	       cur_ti, f->name, f->offset, f->type_index, f->size);
	if (f->is_bitfield)
		printf(" bits=%u:%u", f->bit_pos, f->bit_len);
	if (f->is_static)
		printf(" static");
	if (f->is_base)
		printf(" base");
	printf(" depth=%u\n", f->depth);
	return 0;
}

static int print_enum(void *ud, const hvs_pdb_enumerator *e)
{
	(void)ud;
	if (e->value_signed)
		printf("enumerator 0x%x name=%s value=%" PRId64 "\n", cur_ti, e->name,
		       (int64_t)e->value);
	else
		printf("enumerator 0x%x name=%s value=%" PRIu64 "\n", cur_ti, e->name,
		       e->value);
	return 0;
}

static int fail(hvs_pdb *pdb, hvs_status s, const char *what)
{
	fprintf(stderr, "pdbdump: %s: %s: %s\n", what, hvs_strerror(s),
		pdb ? hvs_pdb_errmsg(pdb) : "");
	return 1;
}

int main(int argc, char **argv)
{
	hvs_open_opts o;
	hvs_pdb *pdb = NULL;
	hvs_pdb_info info;
	char err[HVS_ERRMSG_MAX] = "", id[64];
	uint32_t i, ti;
	hvs_status s;
	int argi = 1;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	if (argi < argc && strcmp(argv[argi], "--no-mmap") == 0) {
		o.flags |= HVS_PDB_OPEN_NO_MMAP;
		argi++;
	}
	if (argi + 1 != argc) {
		fprintf(stderr, "usage: pdbdump [--no-mmap] FILE\n");
		return 2;
	}
	s = hvs_pdb_open_file(&pdb, argv[argi], &o);
	if (s) {
		fprintf(stderr, "pdbdump: open: %s: %s\n", hvs_strerror(s), err);
		return 1;
	}
	hvs_pdb_get_info(pdb, &info);
	if (hvs_pdb_store_id(pdb, id, sizeof id))
		strcpy(id, "?");
	printf("info guid=");
	for (i = 0; i < 16; i++)
		printf("%02x", info.guid[i]);
	printf(" age=%u dbi_age=%u signature=%u version=%u machine=0x%x ptr=%u"
	       " blocksize=%u blocks=%u streams=%u modules=%u sections=%u storeid=%s\n",
	       info.age, info.dbi_age, info.signature, info.version, info.machine,
	       info.pointer_size, info.block_size, info.block_count,
	       info.stream_count, info.module_count, info.section_count, id);
	for (i = 0; i < info.module_count; i++) {
		hvs_pdb_module m;
		hvs_pdb_module_get(pdb, i, &m);
		printf("module %u name=%s obj=%s stream=%u symbytes=%u\n", i, m.name,
		       m.obj_name, m.stream == 0xFFFF ? 65535u : m.stream, m.sym_bytes);
	}
	for (i = 0; i < info.section_count; i++) {
		hvs_pdb_section c;
		hvs_pdb_section_get(pdb, i, &c);
		printf("section %u name=%s va=0x%x vsize=0x%x rawsize=0x%x rawptr=0x%x chars=0x%x\n",
		       i + 1, c.name, c.rva, c.virtual_size, c.raw_size, c.raw_offset,
		       c.characteristics);
	}
	for (i = 0; i < info.section_map_count; i++) {
		hvs_pdb_segmap m;
		hvs_pdb_segmap_get(pdb, i, &m);
		printf("segmap %u flags=0x%x ovl=%u group=%u frame=%u offset=0x%x length=0x%x\n",
		       i, m.flags, m.ovl, m.group, m.frame, m.offset, m.length);
	}
	s = hvs_pdb_foreach_symbol(pdb, HVS_PDB_ITER_GLOBALS, HVS_PDB_SYMS_ALL,
				   print_sym, "global");
	if (s)
		return fail(pdb, s, "globals");
	s = hvs_pdb_foreach_symbol(pdb, HVS_PDB_ITER_PUBLICS, HVS_PDB_SYMS_ALL,
				   print_sym, "public");
	if (s)
		return fail(pdb, s, "publics");
	for (i = 0; i < info.module_count; i++) {
		s = hvs_pdb_foreach_module_symbol(
			pdb, i, HVS_PDB_SYMS_ALL & ~(1u << HVS_PDB_SYM_OTHER), print_sym,
			"modsym");
		if (s)
			return fail(pdb, s, "module symbols");
	}
	/* The TPI range is known once a type is asked for. */
	{
		hvs_pdb_type t0;
		(void)hvs_pdb_type_get(pdb, 0x1000, &t0);
		hvs_pdb_get_info(pdb, &info);
	}
	printf("tpi begin=0x%x end=0x%x version=%u\n", info.tpi_begin, info.tpi_end,
	       info.tpi_version);
	for (ti = info.tpi_begin; ti < info.tpi_end; ti++) {
		hvs_pdb_type t;
		uint32_t r;
		char name[1024];
		s = hvs_pdb_type_get(pdb, ti, &t);
		if (s)
			return fail(pdb, s, "type");
		cur_ti = ti;
		printf("type 0x%x kind=%s leaf=0x%x size=%" PRIu64
		       " element=0x%x index=0x%x count=%u props=0x%x mods=%u mode=%u bits=%u:%u",
		       ti, type_kinds[t.kind], t.leaf, t.size, t.element, t.index,
		       t.count, t.props, t.modifiers, t.ptr_mode, t.bit_pos, t.bit_len);
		if (t.name)
			printf(" name=%s", t.name);
		if (t.unique_name)
			printf(" uname=%s", t.unique_name);
		printf("\n");
		s = hvs_pdb_type_resolve(pdb, ti, &r);
		if (s)
			return fail(pdb, s, "resolve");
		if (r != ti)
			printf("resolve 0x%x 0x%x\n", ti, r);
		if ((t.kind == HVS_PDB_TYPE_STRUCT || t.kind == HVS_PDB_TYPE_UNION ||
		     t.kind == HVS_PDB_TYPE_CLASS) &&
		    !(t.props & HVS_PDB_PROP_FWDREF)) {
			s = hvs_pdb_foreach_field(pdb, ti, HVS_PDB_FIELDS_STATIC,
						  print_field, NULL);
			if (s)
				return fail(pdb, s, "fields");
		}
		if (t.kind == HVS_PDB_TYPE_ENUM && !(t.props & HVS_PDB_PROP_FWDREF)) {
			s = hvs_pdb_foreach_enumerator(pdb, ti, print_enum, NULL);
			if (s)
				return fail(pdb, s, "enumerators");
		}
		if (t.kind == HVS_PDB_TYPE_ARGLIST) {
			for (i = 0; i < t.count; i++) {
				uint32_t a;
				s = hvs_pdb_arg_get(pdb, ti, i, &a);
				if (s)
					return fail(pdb, s, "arg");
				printf("arg 0x%x %u 0x%x\n", ti, i, a);
			}
		}
		if (t.kind != HVS_PDB_TYPE_FIELDLIST && t.kind != HVS_PDB_TYPE_OTHER) {
			s = hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_C, name, sizeof name, NULL);
			if (s)
				return fail(pdb, s, "type name");
			printf("cname 0x%x %s\n", ti, name);
			s = hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_WINDBG, name, sizeof name,
					      NULL);
			if (s)
				return fail(pdb, s, "type name");
			printf("wname 0x%x %s\n", ti, name);
		}
	}
	hvs_pdb_close(pdb);
	return 0;
}
