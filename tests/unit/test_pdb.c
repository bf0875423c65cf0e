/* SPDX-License-Identifier: MIT */
/*
 * PDB reader (include/hvs/pdb.h) on PDBs that tests/pdb/mkpdb.sh builds at
 * test time with clang -gcodeview + lld-link from tests/data/pdb/ sources
 * (ctest fixture pdb_files; skipped when absent).
 *
 * Expected numbers are the ones llvm-pdbutil prints for the same files
 * (`llvm-pdbutil dump --types --globals`; tests/pdb/diff_llvm.py compares
 * every record), e.g. sizeof _KTHREAD 272 and WaitNext at +112 bit 2.
 * These tests check what the differential test cannot: the lookups built
 * on top (flattened and dotted field paths, typedefs, sizes by name, the
 * symbol ranking, type-name printing) and the error paths, by damaging
 * copies of a good PDB in memory: each damage must give the documented
 * status and a message naming the structure and offset.
 */
#include "test.h"

#include "util/bytes.h"

static const char *fixture(const char *name)
{
	static char path[4096];
	const char *p = test_tmp_path("pdb");
	snprintf(path, sizeof path, "%s/%s", p, name);
	return path;
}

static hvs_pdb *open_fixture(const char *name)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_open_opts o;
	FILE *f = fopen(fixture(name), "rb");

	if (!f)
		return NULL;
	fclose(f);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	if (hvs_pdb_open_file(&pdb, fixture(name), &o) != HVS_OK) {
		fprintf(stderr, "open %s: %s\n", name, err);
		return NULL;
	}
	return pdb;
}

#define OPEN_OR_SKIP(var, name)                                                \
	hvs_pdb *var = open_fixture(name);                                     \
	if (!var)                                                              \
		SKIP("fixture %s missing (run the pdb_fixtures test; needs clang and lld-link)", \
		     fixture(name))

/* ------------------------------------------------------------ lookups */

static void test_pdb__info(void)
{
	hvs_pdb_info in;
	char id[64];
	char want[64];
	const uint8_t *g;
	OPEN_OR_SKIP(pdb, "types-x64.pdb");

	hvs_pdb_get_info(pdb, &in);
	CHECK_EQ(in.block_size, 4096);
	CHECK_EQ(in.version, 20000404);
	CHECK_EQ(in.machine, 0x8664);
	CHECK_EQ(in.pointer_size, 8);
	CHECK_EQ(in.module_count, 3); /* types.obj, module2.obj, "* Linker *" */
	CHECK_EQ(in.section_count, 4); /* .text .rdata .data .reloc */
	CHECK_EQ(in.dbi_age, in.age);
	/* symstore: Data1-3 as numbers, Data4 bytes, age in hex. */
	g = in.guid;
	snprintf(want, sizeof want, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
		 hvs__le32(g), hvs__le16(g + 4), hvs__le16(g + 6), g[8], g[9], g[10],
		 g[11], g[12], g[13], g[14], g[15], in.age);
	CHECK_OK(hvs_pdb_store_id(pdb, id, sizeof id));
	CHECK_STR(id, want);
	CHECK_STATUS(hvs_pdb_store_id(pdb, id, 10), HVS_E_BUFSIZE);
	{
		hvs_pdb_module m;
		hvs_pdb_section s;
		uint32_t rva;
		CHECK_OK(hvs_pdb_module_get(pdb, 2, &m));
		CHECK_STR(m.name, "* Linker *");
		CHECK_STATUS(hvs_pdb_module_get(pdb, 3, &m), HVS_E_INVALID);
		CHECK_OK(hvs_pdb_section_get(pdb, 0, &s));
		CHECK_STR(s.name, ".text");
		CHECK_EQ(s.rva, 0x1000);
		CHECK_OK(hvs_pdb_rva(pdb, 3, 0x10, &rva));
		CHECK_EQ(rva, 0x3010);
		CHECK_STATUS(hvs_pdb_rva(pdb, 0, 0, &rva), HVS_E_NOTFOUND);
		CHECK_STATUS(hvs_pdb_rva(pdb, 5, 0, &rva), HVS_E_NOTFOUND);
	}
	hvs_pdb_close(pdb);
}

static void test_pdb__symbols(void)
{
	hvs_pdb_symbol s;
	OPEN_OR_SKIP(pdb, "types-x64.pdb");

	/* A global: typed record beats the public of the same name. */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "NtBuildNumber", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_GDATA);
	CHECK_EQ(s.type_index, 0x22); /* unsigned long */
	CHECK_EQ(s.size, 4);
	CHECK_EQ(s.segment, 3);
	CHECK(s.has_rva);
	CHECK_EQ(s.rva, 0x3000 + s.offset);
	CHECK_OK(hvs_pdb_find_symbol(pdb, "KiInitialThread", HVS_PDB_SYMS_DATA, &s));
	CHECK_EQ(s.size, 272);
	CHECK_OK(hvs_pdb_find_symbol(pdb, "KiMatrix", HVS_PDB_SYMS_DATA, &s));
	CHECK_EQ(s.size, 60); /* int[3][5] */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "ObTypeTable", HVS_PDB_SYMS_DATA, &s));
	CHECK_EQ(s.size, 8 * 48); /* struct _OBJECT_TYPE[8], defined in module2.c */
	/* Only the public when asked for publics. */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "NtBuildNumber", 1u << HVS_PDB_SYM_PUBLIC, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_PUBLIC);
	CHECK_EQ(s.type_index, 0);
	/* Procedures through S_PROCREF / S_LPROCREF. */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "KeQueryBuild", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_GPROC);
	CHECK_EQ(s.module, 0);
	CHECK(s.size > 0);
	CHECK_EQ(s.rva, 0x1000); /* first function of .text */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "helper", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_LPROC);
	CHECK_OK(hvs_pdb_find_symbol(pdb, "ObGetTypeCount", HVS_PDB_SYMS_PROC, &s));
	CHECK_EQ(s.module, 1);
	/* The same file-static name in both modules: one of them. */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "KiStaticCounter", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_LDATA);
	/* Typedef names are S_UDT records. */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "PKTHREAD", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_UDT);
	/* Exact, case-sensitive names; the V1 hash folds case, the compare
	 * must not. */
	CHECK_STATUS(hvs_pdb_find_symbol(pdb, "ntbuildnumber", HVS_PDB_SYMS_ALL, &s),
		     HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_pdb_find_symbol(pdb, "NoSuchSymbol", HVS_PDB_SYMS_ALL, &s),
		     HVS_E_NOTFOUND);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "NoSuchSymbol") != NULL);
	CHECK_STATUS(hvs_pdb_find_symbol(pdb, "KeQueryBuild", HVS_PDB_SYMS_DATA, &s),
		     HVS_E_NOTFOUND);
	hvs_pdb_close(pdb);
}

static void test_pdb__types(void)
{
	hvs_pdb_type t, d;
	uint64_t sz;
	uint32_t r;
	char name[256];
	OPEN_OR_SKIP(pdb, "types-x64.pdb");

	CHECK_OK(hvs_pdb_find_type(pdb, "_KTHREAD", &t));
	CHECK_EQ(t.kind, HVS_PDB_TYPE_STRUCT);
	CHECK_EQ(t.size, 272);
	CHECK(!(t.props & HVS_PDB_PROP_FWDREF));
	/* The typedef names the same definition. */
	CHECK_OK(hvs_pdb_find_type(pdb, "KTHREAD", &d));
	CHECK_EQ(d.ti, t.ti);
	CHECK_OK(hvs_pdb_find_type(pdb, "PKTHREAD", &d));
	CHECK_EQ(d.kind, HVS_PDB_TYPE_POINTER);
	CHECK_EQ(d.size, 8);
	/* The pointer's referent is a forward reference: resolves to t. */
	CHECK_OK(hvs_pdb_type_get(pdb, d.element, &d));
	CHECK(d.props & HVS_PDB_PROP_FWDREF);
	CHECK_EQ(d.size, 272); /* a forward reference reports its definition's size */
	CHECK_OK(hvs_pdb_type_resolve(pdb, d.ti, &r));
	CHECK_EQ(r, t.ti);
	/* Sizes by name, as GetSavedStateSymbolTypeSize asks them. */
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_KPROCESS", &sz));
	CHECK_EQ(sz, 152);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_OBJECT_TYPE", &sz));
	CHECK_EQ(sz, 48);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_LARGE_INTEGER", &sz));
	CHECK_EQ(sz, 8);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_POOL_TYPE", &sz));
	CHECK_EQ(sz, 4);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "unsigned __int64", &sz));
	CHECK_EQ(sz, 8);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_KTHREAD *", &sz));
	CHECK_EQ(sz, 8);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_KTHREAD**", &sz));
	CHECK_EQ(sz, 8);
	CHECK_STATUS(hvs_pdb_type_size_by_name(pdb, "_NOT_A_TYPE", &sz), HVS_E_NOTFOUND);
	CHECK_EQ(sz, 0);
	CHECK_STATUS(hvs_pdb_type_size_by_name(pdb, "_NOT_A_TYPE *", &sz), HVS_E_NOTFOUND);
	/* Names. */
	CHECK_OK(hvs_pdb_type_name(pdb, t.ti, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK_STR(name, "_KTHREAD");
	{
		hvs_pdb_type e;
		int count = 0;
		CHECK_OK(hvs_pdb_find_type(pdb, "_POOL_TYPE", &e));
		CHECK_EQ(e.kind, HVS_PDB_TYPE_ENUM);
		CHECK_EQ(e.count, 7);
		CHECK_EQ(e.element, 0x74); /* int */
		(void)count;
	}
	CHECK_STATUS(hvs_pdb_type_get(pdb, 0x7fffff, &t), HVS_E_NOTFOUND);
	hvs_pdb_close(pdb);
}

static void test_pdb__fields(void)
{
	hvs_pdb_field f;
	char name[256];
	OPEN_OR_SKIP(pdb, "types-x64.pdb");

	/* Inside an anonymous struct inside an anonymous union. */
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "WaitNext", &f));
	CHECK_EQ(f.offset, 112);
	CHECK(f.is_bitfield);
	CHECK_EQ(f.bit_pos, 2);
	CHECK_EQ(f.bit_len, 1);
	CHECK_EQ(f.size, 4);
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_WINDBG, name,
				   sizeof name, NULL));
	CHECK_STR(name, "Pos 2, 1 Bit");
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "Spare2", &f));
	CHECK_EQ(f.offset, 120);
	CHECK_EQ(f.bit_pos, 40);
	CHECK_EQ(f.bit_len, 24);
	CHECK_EQ(f.size, 8);
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_WINDBG, name,
				   sizeof name, NULL));
	CHECK_STR(name, "Pos 40, 24 Bits");
	/* Dotted paths add the offsets of named members. */
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "ApcState.Process", &f));
	CHECK_EQ(f.offset, 64 + 32);
	CHECK_EQ(f.size, 8);
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "Header.WaitListHead.Blink", &f));
	CHECK_EQ(f.offset, 8 + 8);
	CHECK_OK(hvs_pdb_find_field(pdb, "KTHREAD", "Header.Absolute", &f));
	CHECK_EQ(f.offset, 1);
	CHECK_EQ(f.bit_pos, 0);
	CHECK_OK(hvs_pdb_find_field(pdb, "_LARGE_INTEGER", "u.HighPart", &f));
	CHECK_EQ(f.offset, 4);
	CHECK_OK(hvs_pdb_find_field(pdb, "_KPROCESS", "Affinity", &f));
	CHECK_EQ(f.offset, 72); /* llvm-pdbutil: "Affinity ... offset = 72" */
	CHECK_EQ(f.size, 64);
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK_STR(name, "unsigned __int64[4][2]");
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_WINDBG, name,
				   sizeof name, NULL));
	CHECK_STR(name, "[4] [2] Uint8B");
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "StartRoutine", &f));
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK_STR(name, "long (void*, unsigned long)*");
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_WINDBG, name,
				   sizeof name, NULL));
	CHECK_STR(name, "Ptr64 long");
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "Name", &f));
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK_STR(name, "const char* const");
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "ThreadList", &f));
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_WINDBG, name,
				   sizeof name, NULL));
	CHECK_STR(name, "Ptr64 Ptr64 _KTHREAD");
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "CvCount", &f));
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK_STR(name, "const volatile unsigned long");
	/* A short buffer: BUFSIZE, the length needed, a truncated name. */
	{
		size_t len = 0;
		CHECK_STATUS(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C, name, 6, &len),
			     HVS_E_BUFSIZE);
		CHECK_EQ(len, strlen("const volatile unsigned long"));
		CHECK_STR(name, "const");
	}
	CHECK_STATUS(hvs_pdb_find_field(pdb, "_KTHREAD", "NoSuchField", &f), HVS_E_NOTFOUND);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "NoSuchField") != NULL);
	CHECK_STATUS(hvs_pdb_find_field(pdb, "_KTHREAD", "Header..Lock", &f), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_pdb_find_field(pdb, "_KTHREAD", "Flag.X", &f), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_pdb_find_field(pdb, "_NO_TYPE", "X", &f), HVS_E_NOTFOUND);
	hvs_pdb_close(pdb);
}

/* Collect a field map as GetSavedStateSymbolFieldInfo would. */
typedef struct fmap {
	int n;
	int saw_lock, saw_absolute;
	uint64_t last_offset;
} fmap;

static int fmap_cb(void *ud, const hvs_pdb_field *f)
{
	fmap *m = ud;
	m->n++;
	if (strcmp(f->name, "Lock") == 0)
		m->saw_lock = 1;
	if (strcmp(f->name, "Absolute") == 0 && f->offset == 1 && f->is_bitfield)
		m->saw_absolute = 1;
	m->last_offset = f->offset;
	return 0;
}

static int enum_cb(void *ud, const hvs_pdb_enumerator *e)
{
	int *n = ud;
	if (strcmp(e->name, "HugePool") == 0 && e->value == 0x40000000)
		(*n)++;
	if (strcmp(e->name, "NegativePool") == 0 &&
	    (uint32_t)e->value == (uint32_t)-5) /* clang writes it as LF_ULONG */
		(*n)++;
	return 0;
}

static void test_pdb__iterate(void)
{
	fmap m;
	hvs_pdb_type t;
	int n = 0;
	OPEN_OR_SKIP(pdb, "types-x64.pdb");

	memset(&m, 0, sizeof m);
	CHECK_OK(hvs_pdb_find_type(pdb, "_DISPATCHER_HEADER", &t));
	CHECK_OK(hvs_pdb_foreach_field(pdb, t.ti,
				       HVS_PDB_FIELDS_FLATTEN | HVS_PDB_FIELDS_BASES,
				       fmap_cb, &m));
	CHECK_EQ(m.n, 15); /* llvm-pdbutil: 15 LF_MEMBERs in its field list */
	CHECK(m.saw_lock && m.saw_absolute);
	CHECK_EQ(m.last_offset, 8);
	CHECK_OK(hvs_pdb_find_type(pdb, "_POOL_TYPE", &t));
	CHECK_OK(hvs_pdb_foreach_enumerator(pdb, t.ti, enum_cb, &n));
	CHECK_EQ(n, 2);
	CHECK_STATUS(hvs_pdb_foreach_field(pdb, t.ti, 0, fmap_cb, &m), HVS_E_INVALID);
	hvs_pdb_close(pdb);
}

static void test_pdb__x86(void)
{
	hvs_pdb_info in;
	hvs_pdb_symbol s;
	hvs_pdb_field f;
	uint64_t sz;
	char name[128];
	OPEN_OR_SKIP(pdb, "types-x86.pdb");

	hvs_pdb_get_info(pdb, &in);
	CHECK_EQ(in.machine, 0x14c);
	CHECK_EQ(in.pointer_size, 4);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "PKTHREAD", &sz));
	CHECK_EQ(sz, 4);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "_LIST_ENTRY", &sz));
	CHECK_EQ(sz, 8);
	CHECK_OK(hvs_pdb_type_size_by_name(pdb, "void *", &sz));
	CHECK_EQ(sz, 4);
	/* x86 publics are decorated; the global is not. */
	CHECK_OK(hvs_pdb_find_symbol(pdb, "_NtBuildNumber", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_PUBLIC);
	CHECK_OK(hvs_pdb_find_symbol(pdb, "NtBuildNumber", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_GDATA);
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "StartRoutine", &f));
	CHECK_EQ(f.size, 4);
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_WINDBG, name,
				   sizeof name, NULL));
	CHECK_STR(name, "Ptr32 long");
	hvs_pdb_close(pdb);
}

/* ------------------------------------------------------- damaged files */

/* A minimal MSF walk of our own, to find where to damage a copy. */
typedef struct msf {
	uint8_t *buf;
	size_t len;
	uint32_t bs;
	uint8_t *dir;  /* directory copy */
	uint32_t dir_block0; /* first directory block (lld writes one) */
} msf;

static int msf_init(msf *m, uint8_t *buf, size_t len)
{
	uint32_t map;
	m->buf = buf;
	m->len = len;
	m->bs = hvs__le32(buf + 32);
	map = hvs__le32(buf + 52);
	m->dir_block0 = hvs__le32(buf + (size_t)map * m->bs);
	m->dir = buf + (size_t)m->dir_block0 * m->bs;
	/* The fixtures' directories fit in one block. */
	return hvs__le32(buf + 44) <= m->bs ? 0 : -1;
}

/* File offset of byte @off of stream @s. */
static size_t msf_off(const msf *m, uint32_t s, uint32_t off)
{
	uint32_t n = hvs__le32(m->dir), i, pos = 4 + 4 * n;
	for (i = 0; i < s; i++) {
		uint32_t sz = hvs__le32(m->dir + 4 + 4 * i);
		if (sz == 0xFFFFFFFFu)
			sz = 0;
		pos += 4 * ((sz + m->bs - 1) / m->bs);
	}
	return (size_t)hvs__le32(m->dir + pos + 4 * (off / m->bs)) * m->bs + off % m->bs;
}

static uint32_t msf_size(const msf *m, uint32_t s)
{
	return hvs__le32(m->dir + 4 + 4 * s);
}

static uint8_t *load(size_t *len)
{
	return test_read_file(fixture("types-x64.pdb"), len);
}

/* Open @buf from memory through one source that stays alive until the
 * next open_mem() or mem_release(); returns the status, message in @err. */
static hvs_source g_src;
static int g_have_src;

static void mem_release(void)
{
	if (g_have_src)
		hvs_source_close(&g_src);
	g_have_src = 0;
}

static hvs_status open_mem(const uint8_t *buf, size_t len, hvs_pdb **out, char *err,
			   size_t errlen)
{
	hvs_open_opts o;

	mem_release();
	*out = NULL;
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = errlen;
	err[0] = 0;
	if (hvs_source_from_memory(&g_src, buf, len))
		return HVS_E_NOMEM;
	g_have_src = 1;
	return hvs_pdb_open(out, &g_src, &o);
}

#define LOAD_OR_SKIP(buf, len)                                                 \
	size_t len = 0;                                                        \
	uint8_t *buf = load(&len);                                             \
	msf m_;                                                                \
	if (!buf)                                                              \
		SKIP("fixture types-x64.pdb missing (run the pdb_fixtures test)"); \
	if (msf_init(&m_, buf, len)) {                                         \
		free(buf);                                                     \
		SKIP("fixture directory spans several blocks");                \
	}

/* Count members and bases, for the C++ fixture. */
typedef struct cxx_count {
	int bases, base_a_depth, members;
} cxx_count;

static int cxx_cb(void *ud, const hvs_pdb_field *f)
{
	cxx_count *c = ud;
	if (f->is_base)
		c->bases++;
	else
		c->members++;
	if (strcmp(f->name, "base_a") == 0)
		c->base_a_depth = (int)f->depth;
	return 0;
}

static int mode_cb(void *ud, const hvs_pdb_enumerator *e)
{
	if (strcmp(e->name, "Auto") == 0 && e->value == 0xff)
		*(int *)ud = 1;
	return 0;
}

/* C++ (tests/data/pdb/cxx.cpp): base classes, unique names, S_CONSTANT,
 * enum class, member functions; offsets as llvm-pdbutil lists them. */
static void test_pdb__cxx(void)
{
	hvs_pdb_type t, u;
	hvs_pdb_field f;
	hvs_pdb_symbol s;
	cxx_count c;
	int saw_auto = 0;
	char name[128];
	OPEN_OR_SKIP(pdb, "cxx-x64.pdb");

	CHECK_OK(hvs_pdb_find_type(pdb, "nt::Derived", &t));
	CHECK_EQ(t.kind, HVS_PDB_TYPE_CLASS);
	CHECK_EQ(t.size, 72);
	CHECK_STR(t.unique_name, ".?AVDerived@nt@@");
	/* By unique (decorated) name too. */
	CHECK_OK(hvs_pdb_find_type(pdb, ".?AVDerived@nt@@", &u));
	CHECK_EQ(u.ti, t.ti);
	/* Members of the base classes: Base at 0 (vfptr, base_a, base_b),
	 * Second at 16. */
	CHECK_OK(hvs_pdb_find_field(pdb, "nt::Derived", "base_b", &f));
	CHECK_EQ(f.offset, 12);
	CHECK_EQ(f.depth, 1);
	CHECK_OK(hvs_pdb_find_field(pdb, "nt::Derived", "second", &f));
	CHECK_EQ(f.offset, 16);
	CHECK_OK(hvs_pdb_find_field(pdb, "nt::Later", "objects", &f));
	CHECK_EQ(f.offset, 16);
	CHECK_EQ(f.size, 32);
	CHECK_OK(hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK_STR(name, "nt::Array<nt::Derived *,3>");
	memset(&c, 0, sizeof c);
	CHECK_OK(hvs_pdb_foreach_field(pdb, t.ti, 0, cxx_cb, &c));
	CHECK_EQ(c.bases, 2);
	CHECK_EQ(c.members, 6); /* inner mode later ref member_ptr method_ptr; kConstant is static */
	memset(&c, 0, sizeof c);
	CHECK_OK(hvs_pdb_foreach_field(pdb, t.ti, HVS_PDB_FIELDS_BASES | HVS_PDB_FIELDS_STATIC,
				       cxx_cb, &c));
	CHECK_EQ(c.bases, 0);
	CHECK_EQ(c.base_a_depth, 1);
	CHECK_OK(hvs_pdb_find_symbol(pdb, "nt::Derived::kConstant", HVS_PDB_SYMS_ALL, &s));
	CHECK_EQ(s.kind, HVS_PDB_SYM_CONSTANT);
	CHECK_EQ(s.value, 42);
	CHECK_OK(hvs_pdb_find_type(pdb, "nt::Derived::Mode", &u));
	CHECK_EQ(u.size, 1);
	CHECK_OK(hvs_pdb_foreach_enumerator(pdb, u.ti, mode_cb, &saw_auto));
	CHECK(saw_auto);
	CHECK_OK(hvs_pdb_find_symbol(pdb, "nt::Base::Get", HVS_PDB_SYMS_PROC, &s));
	CHECK_OK(hvs_pdb_type_name(pdb, s.type_index, HVS_PDB_NAME_C, name, sizeof name, NULL));
	CHECK(strncmp(name, "int nt::Base::(", 15) == 0);
	hvs_pdb_close(pdb);
}

/* The "big MSF" layout: a directory whose block list spans three blocks,
 * listed from superblock offset 52 (tests/pdb/repack.py, 512-byte blocks
 * and 40000 extra empty streams). */
static void test_pdb__big_directory(void)
{
	hvs_pdb *pdb = NULL;
	hvs_pdb_info in;
	hvs_pdb_field f;
	char err[HVS_ERRMSG_MAX];
	size_t len = 0;
	uint8_t *buf = test_read_file(fixture("types-x64-bigdir.msf"), &len);

	if (!buf)
		SKIP("fixture types-x64-bigdir.msf missing (needs python3)");
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	hvs_pdb_get_info(pdb, &in);
	CHECK_EQ(in.block_size, 512);
	CHECK_EQ(in.stream_count, 16 + 40000);
	CHECK_OK(hvs_pdb_find_field(pdb, "_KTHREAD", "WaitNext", &f));
	CHECK_EQ(f.offset, 112);
	hvs_pdb_close(pdb);
	/* The second block-map block past the end of the file. */
	hvs__put_le32(buf + 56, 0x00FFFFFF);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "block map: block 16777215 (entry 1) is past the block count") != NULL);
	mem_release();
	free(buf);
}

static void test_pdb__bad_superblock(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	LOAD_OR_SKIP(buf, len);

	buf[0] = 'X';
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "superblock: no MSF 7.0 magic") != NULL);
	buf[0] = 'M';
	hvs__put_le32(buf + 32, 1000); /* block size */
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "block size 1000") != NULL);
	hvs__put_le32(buf + 32, 4096);
	CHECK_STATUS(open_mem(buf, 40, &pdb, err, sizeof err), HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "too small") != NULL);
	mem_release();
	free(buf);
}

static void test_pdb__truncated(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	LOAD_OR_SKIP(buf, len);

	CHECK_STATUS(open_mem(buf, len - 4096, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "truncated") != NULL);
	CHECK_STATUS(open_mem(buf, 4096, &pdb, err, sizeof err), HVS_E_CORRUPT);
	mem_release();
	free(buf);
}

static void test_pdb__directory_past_eof(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	uint32_t nblocks;
	LOAD_OR_SKIP(buf, len);

	nblocks = hvs__le32(buf + 40);
	/* The block map names a block past the file. */
	hvs__put_le32(buf + 52, nblocks + 7);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "block map: block") != NULL);
	CHECK(strstr(err, "past the block count") != NULL);
	free(buf);
	buf = load(&len);
	/* The directory's first block number, in the block map. */
	{
		uint32_t map = hvs__le32(buf + 52);
		hvs__put_le32(buf + (size_t)map * 4096, 0x7fffffff);
	}
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "stream directory: block 2147483647 (entry 0)") != NULL);
	free(buf);
	buf = load(&len);
	/* A directory larger than the file. */
	hvs__put_le32(buf + 44, (uint32_t)len + 1);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "directory size") != NULL);
	mem_release();
	free(buf);
}

static void test_pdb__stream_sizes(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	uint32_t nblocks;
	LOAD_OR_SKIP(buf, len);

	nblocks = hvs__le32(buf + 40);
	/* The TPI (stream 2) bigger than the whole file. */
	hvs__put_le32(m_.dir + 4 + 4 * 2, (nblocks + 1) * 4096);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "stream 2 size") != NULL);
	/* Bigger than its block list allows: the lists run past the end. */
	hvs__put_le32(m_.dir + 4 + 4 * 2, (nblocks - 1) * 4096);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "runs past the directory end") != NULL);
	free(buf);
	buf = load(&len);
	msf_init(&m_, buf, len);
	/* A stream block past the block count, found when the stream loads. */
	{
		size_t at = msf_off(&m_, 3, 0); /* DBI: read at open */
		uint32_t n = hvs__le32(m_.dir), i, pos = 4 + 4 * n;
		(void)at;
		for (i = 0; i < 3; i++)
			pos += 4 * ((msf_size(&m_, i) + 4095) / 4096);
		hvs__put_le32(m_.dir + pos, nblocks + 100);
	}
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "DBI (stream 3): block") != NULL);
	mem_release();
	free(buf);
}

/* Offset in stream @s of the first record after the TPI header with @leaf. */
static uint32_t find_tpi_leaf(const msf *m, uint16_t leaf, uint32_t *ti)
{
	uint32_t off = hvs__le32(m->buf + msf_off(m, 2, 4)); /* header size */
	uint32_t end = off + hvs__le32(m->buf + msf_off(m, 2, 16));
	uint32_t idx = hvs__le32(m->buf + msf_off(m, 2, 8));
	while (off + 4 <= end) {
		uint16_t len = hvs__le16(m->buf + msf_off(m, 2, off));
		uint16_t k = hvs__le16(m->buf + msf_off(m, 2, off + 2));
		if (k == leaf) {
			*ti = idx;
			return off;
		}
		off += 2 + len;
		idx++;
	}
	return 0;
}

static void test_pdb__record_past_end(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_pdb_type t;
	LOAD_OR_SKIP(buf, len);

	/* The first TPI record's length runs past the record data. */
	hvs__put_le16(buf + msf_off(&m_, 2, 56), 0xFFF0);
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err)); /* lazy: TPI unread */
	CHECK_STATUS(hvs_pdb_type_get(pdb, 0x1000, &t), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb),
		     "TPI: type 0x1000 (record 0) at stream offset 56: length 65520 runs past") != NULL);
	hvs_pdb_close(pdb);
	mem_release();
	free(buf);
}

static void test_pdb__type_index_out_of_range(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_pdb_field f;
	uint32_t tpi_size, off;
	LOAD_OR_SKIP(buf, len);

	/* The member "Flink" of _LIST_ENTRY: leaf, attr, type, offset 0
	 * (2 bytes), then the name; point its type past the TPI. */
	tpi_size = msf_size(&m_, 2);
	for (off = 56; off + 6 < tpi_size; off++)
		if (memcmp(buf + msf_off(&m_, 2, off), "Flink", 6) == 0)
			break;
	CHECK(off + 6 < tpi_size);
	/* Bytes of one record may cross a block: write byte by byte. */
	{
		uint32_t at = off - 6, i;
		for (i = 0; i < 4; i++)
			buf[msf_off(&m_, 2, at + i)] = (uint8_t)(0x00ABCDEFu >> (8 * i));
	}
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_find_field(pdb, "_LIST_ENTRY", "Blink", &f), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "type 0xabcdef") != NULL);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "member type index out of range") != NULL);
	hvs_pdb_close(pdb);
	mem_release();
	free(buf);
}

static void test_pdb__cyclic_types(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX], name[64];
	hvs_pdb_type t;
	uint32_t ti = 0, off, i;
	LOAD_OR_SKIP(buf, len);

	/* An LF_MODIFIER (0x1001) that modifies itself. */
	off = find_tpi_leaf(&m_, 0x1001, &ti);
	CHECK(off != 0);
	for (i = 0; i < 4; i++)
		buf[msf_off(&m_, 2, off + 4 + i)] = (uint8_t)(ti >> (8 * i));
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_type_get(pdb, ti, &t), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "deeper than 64") != NULL);
	CHECK_STATUS(hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_C, name, sizeof name, NULL),
		     HVS_E_CORRUPT);
	CHECK_STATUS(hvs_pdb_type_name(pdb, ti, HVS_PDB_NAME_WINDBG, name, sizeof name, NULL),
		     HVS_E_CORRUPT);
	hvs_pdb_close(pdb);
	mem_release();
	free(buf);
}

static void test_pdb__bad_symbol_hash(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_pdb_symbol s;
	uint16_t gsi;
	LOAD_OR_SKIP(buf, len);

	/* The GSI stream number is in the DBI header at offset 12; its first
	 * hash record (after the 16-byte header) points past the records. */
	gsi = hvs__le16(buf + msf_off(&m_, 3, 12));
	hvs__put_le32(buf + msf_off(&m_, gsi, 16), 0x7ffffff0);
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_find_symbol(pdb, "NtBuildNumber", HVS_PDB_SYMS_ALL, &s),
		     HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "GSI hash record 0") != NULL);
	hvs_pdb_close(pdb);
	mem_release();
	free(buf);
}

/* u32 at DBI offset @off of a copy (DBI blocks may be anywhere). */
static uint32_t dbi32(const msf *m, uint32_t off)
{
	uint32_t v = 0, i;
	for (i = 0; i < 4; i++)
		v |= (uint32_t)m->buf[msf_off(m, 3, off + i)] << (8 * i);
	return v;
}

static void put_stream32(const msf *m, uint32_t s, uint32_t off, uint32_t v)
{
	uint32_t i;
	for (i = 0; i < 4; i++)
		m->buf[msf_off(m, s, off + i)] = (uint8_t)(v >> (8 * i));
}

static void test_pdb__bad_dbi(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	uint32_t secmap, dbg, sechdr_stream;
	LOAD_OR_SKIP(buf, len);

	/* Module info substream larger than the DBI. */
	put_stream32(&m_, 3, 24, 0x7fffffff);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "DBI: module info substream size 2147483647 (header offset 24)") != NULL);
	free(buf);
	buf = load(&len);
	msf_init(&m_, buf, len);
	/* Cut inside the first module's name: not NUL-terminated. */
	put_stream32(&m_, 3, 24, 70);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "DBI module info: module 0 at DBI offset 64: name runs past") != NULL);
	free(buf);
	buf = load(&len);
	msf_init(&m_, buf, len);
	/* A section map that claims 0xFFFF entries. */
	secmap = 64 + dbi32(&m_, 24) + dbi32(&m_, 28);
	buf[msf_off(&m_, 3, secmap)] = 0xFF;
	buf[msf_off(&m_, 3, secmap + 1)] = 0xFF;
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "DBI section map at DBI offset") != NULL);
	CHECK(strstr(err, "65535 entries do not fit") != NULL);
	free(buf);
	buf = load(&len);
	msf_init(&m_, buf, len);
	/* A section-header stream that is not a whole number of headers. */
	dbg = 64 + dbi32(&m_, 24) + dbi32(&m_, 28) + dbi32(&m_, 32) + dbi32(&m_, 36) +
	      dbi32(&m_, 40) + dbi32(&m_, 52);
	sechdr_stream = buf[msf_off(&m_, 3, dbg + 10)] | buf[msf_off(&m_, 3, dbg + 11)] << 8;
	CHECK(sechdr_stream < hvs__le32(m_.dir));
	hvs__put_le32(m_.dir + 4 + 4 * sechdr_stream, msf_size(&m_, sechdr_stream) - 1);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "is not a whole number of 40-byte section headers") != NULL);
	mem_release();
	free(buf);
}

static void test_pdb__bad_tpi_header(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_pdb_type t;
	LOAD_OR_SKIP(buf, len);

	put_stream32(&m_, 2, 4, 20); /* header size */
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_type_get(pdb, 0x1000, &t), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "TPI header: header size 20 (offset 4)") != NULL);
	/* The failure is remembered: the same message, no rescan. */
	CHECK_STATUS(hvs_pdb_type_get(pdb, 0x1001, &t), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "TPI header: header size 20 (offset 4)") != NULL);
	hvs_pdb_close(pdb);
	put_stream32(&m_, 2, 4, 56);
	put_stream32(&m_, 2, 12, 0xFFF); /* end before begin */
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_type_get(pdb, 0x1000, &t), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "type index range 0x1000..0xfff") != NULL);
	hvs_pdb_close(pdb);
	put_stream32(&m_, 2, 12, 0x1010);
	put_stream32(&m_, 2, 16, 0x7fffffff); /* record bytes */
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_type_get(pdb, 0x1000, &t), HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "2147483647 record bytes (offset 16) run past") != NULL);
	hvs_pdb_close(pdb);
	mem_release();
	free(buf);
}

static void test_pdb__bad_psi(void)
{
	hvs_pdb *pdb = NULL;
	char err[HVS_ERRMSG_MAX];
	hvs_pdb_symbol sym;
	uint16_t psi, gsi;
	LOAD_OR_SKIP(buf, len);

	psi = (uint16_t)dbi32(&m_, 16);
	gsi = (uint16_t)dbi32(&m_, 12);
	/* The publics header says its hash is larger than the stream. */
	put_stream32(&m_, psi, 0, 0x10000000);
	/* And the globals' hash has an unknown version. */
	put_stream32(&m_, gsi, 4, 0x12345678);
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_find_symbol(pdb, "NtBuildNumber", HVS_PDB_SYMS_ALL, &sym),
		     HVS_E_UNSUPPORTED);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "GSI hash header at offset 0: signature 0xffffffff version 0x12345678") != NULL);
	CHECK_STATUS(hvs_pdb_foreach_symbol(pdb, HVS_PDB_ITER_PUBLICS, HVS_PDB_SYMS_ALL,
					    NULL, NULL), HVS_E_INVALID);
	hvs_pdb_close(pdb);
	put_stream32(&m_, gsi, 4, 0xF12F091Au);
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_STATUS(hvs_pdb_find_symbol(pdb, "NoSuchName", HVS_PDB_SYMS_ALL, &sym),
		     HVS_E_CORRUPT);
	CHECK(strstr(hvs_pdb_errmsg(pdb), "PSI header: hash size 268435456 runs past") != NULL);
	hvs_pdb_close(pdb);
	mem_release();
	free(buf);
}

/* OMAP (tests/pdb/repack.py --omap): the original section headers are the
 * real ones 1 MiB higher and OMAP maps each back.  Symbols translate to the
 * same RVAs; a dropped range ("to" = 0) has none; disorder is damage. */
static void test_pdb__omap(void)
{
	hvs_pdb *pdb = NULL;
	hvs_pdb_symbol s;
	char err[HVS_ERRMSG_MAX];
	size_t len = 0;
	uint8_t *buf = test_read_file(fixture("types-x64-omap.msf"), &len);
	msf m;
	uint32_t nstreams, rva;

	if (!buf)
		SKIP("fixture types-x64-omap.msf missing (needs python3)");
	CHECK(msf_init(&m, buf, len) == 0);
	nstreams = hvs__le32(m.dir);
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_OK(hvs_pdb_find_symbol(pdb, "NtBuildNumber", HVS_PDB_SYMS_DATA, &s));
	CHECK(s.has_rva);
	CHECK_EQ(s.rva, 0x3000 + s.offset);
	CHECK_OK(hvs_pdb_rva(pdb, 1, 0x10, &rva));
	CHECK_EQ(rva, 0x1010);
	hvs_pdb_close(pdb);
	/* .data (entry 2, sorted by "from") dropped by the optimiser. */
	put_stream32(&m, nstreams - 1, 2 * 8 + 4, 0);
	CHECK_OK(open_mem(buf, len, &pdb, err, sizeof err));
	CHECK_OK(hvs_pdb_find_symbol(pdb, "NtBuildNumber", HVS_PDB_SYMS_DATA, &s));
	CHECK(!s.has_rva);
	CHECK_STATUS(hvs_pdb_rva(pdb, 3, 0, &rva), HVS_E_NOTFOUND);
	CHECK_OK(hvs_pdb_rva(pdb, 2, 8, &rva)); /* .rdata still maps */
	CHECK_EQ(rva, 0x2008);
	hvs_pdb_close(pdb);
	/* Entries out of order. */
	put_stream32(&m, nstreams - 1, 0, 0xFFFFFFF0);
	CHECK_STATUS(open_mem(buf, len, &pdb, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "OMAP from source") != NULL);
	CHECK(strstr(err, "entry 1 at offset 8 is out of order") != NULL);
	mem_release();
	free(buf);
}

/* ---------------------------------------------------------------- OOM */

typedef struct failer {
	int left; /* allocations before failing; -1: never */
} failer;

static void *f_malloc(void *ud, size_t n)
{
	failer *f = ud;
	if (f->left == 0)
		return NULL;
	if (f->left > 0)
		f->left--;
	return malloc(n);
}
static void *f_realloc(void *ud, void *p, size_t n)
{
	failer *f = ud;
	if (f->left == 0)
		return NULL;
	if (f->left > 0)
		f->left--;
	return realloc(p, n);
}
static void f_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

static void test_pdb__oom(void)
{
	int n, ok = 0;
	LOAD_OR_SKIP(buf, len);

	/* Fail the Nth allocation for every N until a full run succeeds:
	 * every failure must be HVS_E_NOMEM, never a crash or a leak. */
	for (n = 0; n < 200 && !ok; n++) {
		failer fl = {n};
		hvs_allocator a = {f_malloc, f_realloc, f_free, &fl};
		hvs_open_opts o;
		hvs_source src;
		hvs_pdb *pdb = NULL;
		hvs_pdb_field f;
		hvs_status s;
		char name[64];

		memset(&o, 0, sizeof o);
		o.alloc = &a;
		CHECK_OK(hvs_source_from_memory(&src, buf, len));
		s = hvs_pdb_open(&pdb, &src, &o);
		if (s == HVS_OK) {
			s = hvs_pdb_find_field(pdb, "_KTHREAD", "WaitNext", &f);
			if (s == HVS_OK)
				s = hvs_pdb_type_name(pdb, f.type_index, HVS_PDB_NAME_C,
						      name, sizeof name, NULL);
			hvs_pdb_close(pdb);
		}
		hvs_source_close(&src);
		if (s == HVS_OK)
			ok = 1;
		else
			CHECK_STATUS(s, HVS_E_NOMEM);
	}
	CHECK(ok);
	mem_release();
	free(buf);
}

TEST_MAIN(TEST(test_pdb__info), TEST(test_pdb__symbols), TEST(test_pdb__types),
	  TEST(test_pdb__fields), TEST(test_pdb__iterate), TEST(test_pdb__x86), TEST(test_pdb__cxx), TEST(test_pdb__big_directory),
	  TEST(test_pdb__bad_superblock), TEST(test_pdb__truncated),
	  TEST(test_pdb__directory_past_eof), TEST(test_pdb__stream_sizes),
	  TEST(test_pdb__record_past_end), TEST(test_pdb__type_index_out_of_range),
	  TEST(test_pdb__cyclic_types), TEST(test_pdb__bad_symbol_hash), TEST(test_pdb__bad_dbi),
	  TEST(test_pdb__bad_tpi_header), TEST(test_pdb__bad_psi), TEST(test_pdb__omap),
	  TEST(test_pdb__oom))
