/* SPDX-License-Identifier: MIT */
/*
 * The symbol provider (hvs/sym.h) on the generated Windows-like guest
 * (tests/data/winguest): locating the kernel, loading PDBs from a symbol
 * store, WinDbg module names, globals (addresses, sizes, bytes), types
 * and fields, the loaded-module list, the Windows version, and the
 * failures (no symbols, a PDB with the wrong GUID, a damaged PDB, a guest
 * without Windows); and the CLI commands `hvs sym` and `hvs modules`.
 *
 * Expected values are independent of our PDB reader: addresses are the
 * fixture's image bases (layout.h) plus the RVAs that llvm-pdbutil
 * reports for the same PDBs (pdbutil_oracle.h); type sizes and member
 * offsets are compared with llvm-pdbutil's LF_STRUCTURE / LF_FIELDLIST
 * records for every structure and union of both PDBs; memory contents
 * with the values the fixture's sources put there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../data/winguest/layout.h"
#include "gen_vmrs.h"
#include "httpd.h"
#include "json_min.h"
#include "pdbutil_oracle.h"
#include "test.h"

#define WG_DIR HVS_TEST_BINARY_DIR "/winguest"


/* Return a failed status from a test helper. */
#define HVS_TRY_TEST(expr)                                                     \
	do {                                                                   \
		hvs_status t_ = (expr);                                        \
		if (t_ != HVS_OK)                                              \
			return t_;                                             \
	} while (0)

/* The fixture's store, its PDBs and the oracle's view of them. */
static char wg_vmrs[1024], wg_store[1024], wg_kpdb[1024], wg_dpdb[1024];
static po kpo, dpo;
static int wg_state; /* 0 unknown, 1 ready, -1 missing */
static const char *wg_why = "";

static int file_exists(const char *p)
{
	FILE *f = fopen(p, "rb");
	if (!f)
		return 0;
	fclose(f);
	return 1;
}

/* Find the fixture and run llvm-pdbutil on its PDBs, once. */
static int winguest(void)
{
	if (wg_state)
		return wg_state > 0;
	wg_state = -1;
	snprintf(wg_vmrs, sizeof wg_vmrs, "%s/winguest.vmrs", WG_DIR);
	snprintf(wg_store, sizeof wg_store, "srv*%s/symbols", WG_DIR);
	snprintf(wg_kpdb, sizeof wg_kpdb, "%s/ntkrnlmp.pdb", WG_DIR);
	snprintf(wg_dpdb, sizeof wg_dpdb, "%s/hvsdrv.pdb", WG_DIR);
	if (!file_exists(wg_vmrs) || !file_exists(wg_kpdb) || !file_exists(wg_dpdb)) {
		wg_why = "winguest fixture not built (needs clang, lld-link; ctest -R winguest_fixture)";
		return 0;
	}
	if (po_load(&kpo, wg_kpdb) != 0 || po_load(&dpo, wg_dpdb) != 0) {
		wg_why = "llvm-pdbutil not available";
		return 0;
	}
	wg_state = 1;
	return 1;
}

#define NEED_WINGUEST()                                                        \
	do {                                                                   \
		if (!winguest())                                               \
			SKIP("%s", wg_why);                                    \
	} while (0)

/* Messages of the provider, collected. */
static char msgs[65536];

static void on_msg(void *ud, const char *m)
{
	size_t n = strlen(msgs);
	(void)ud;
	snprintf(msgs + n, sizeof msgs - n, "%s\n", m);
}

/* Open the fixture with symbol path @path (no environment, no downloads). */
static hvs_status open_sym(hvs_image **img, hvs_sym **s, const char *vmrs, const char *path,
			   uint32_t vp)
{
	hvs_sym_opts o;
	char err[HVS_ERRMSG_MAX];
	hvs_status st = hvs_image_open(img, vmrs, NULL);
	if (st != HVS_OK)
		return st;
	memset(&o, 0, sizeof o);
	o.symbol_path = path;
	o.vp = vp;
	o.flags = HVS_SYM_NO_ENV | HVS_SYM_NO_DOWNLOAD;
	o.msg = on_msg;
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	msgs[0] = '\0';
	st = hvs_sym_open(s, *img, &o);
	if (st != HVS_OK)
		hvs_image_close(*img);
	return st;
}

/* The GUID bytes (Windows order) of a "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" string. */
static void guid_bytes(const char *s, uint8_t g[16])
{
	unsigned v[11];
	sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &v[0], &v[1], &v[2], &v[3], &v[4],
	       &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]);
	g[0] = (uint8_t)v[0], g[1] = (uint8_t)(v[0] >> 8), g[2] = (uint8_t)(v[0] >> 16);
	g[3] = (uint8_t)(v[0] >> 24), g[4] = (uint8_t)v[1], g[5] = (uint8_t)(v[1] >> 8);
	g[6] = (uint8_t)v[2], g[7] = (uint8_t)(v[2] >> 8);
	for (int i = 0; i < 8; i++)
		g[8 + i] = (uint8_t)v[3 + i];
}

/* Expected VA of a global: image base + llvm-pdbutil's RVA. */
static uint64_t want_va(const po *p, uint64_t base, const char *name)
{
	uint32_t rva = 0;
	if (po_global_rva(p, name, &rva) != 0)
		return 0;
	return base + rva;
}

/* ------------------------------------------------------------- kernel */

static void test_sym__kernel_and_globals(void)
{
	hvs_image *img;
	hvs_sym *s;
	hvs_sym_global g;
	uint64_t base = 0;
	uint32_t size = 0, u32;
	uint8_t kdbg[0x20];
	const char *const nt_names[] = { "nt!NtBuildNumber", "NT!NtBuildNumber",
					 "ntoskrnl!NtBuildNumber", "NtKrnlMp!NtBuildNumber",
					 "NtBuildNumber" };
	size_t i;
	NEED_WINGUEST();
	CHECK_OK(open_sym(&img, &s, wg_vmrs, wg_store, HVS_SYM_VP_AUTO));
	CHECK_OK(hvs_sym_load_kernel(s));
	/* Found from VP 0's RIP (KiIdleLoop), the only kernel-mode VP. */
	CHECK(hvs_sym_kernel(s, &base, &size));
	CHECK_EQ(base, WG_KERNEL_BASE);
	CHECK(strstr(msgs, "VP 1: not in kernel mode") != NULL);
	CHECK(strstr(msgs, "found from VP 0 RIP") != NULL);
	CHECK(strstr(msgs, "kernel image ntkrnlmp.pdb at 0xfffff8016a800000") != NULL);
	/* Every spelling of the kernel's module name, and none. */
	for (i = 0; i < sizeof nt_names / sizeof nt_names[0]; i++) {
		CHECK_OK(hvs_sym_resolve(s, nt_names[i], &g));
		CHECK_EQ(g.va, want_va(&kpo, WG_KERNEL_BASE, "NtBuildNumber"));
		CHECK_EQ(g.size, 4);
		CHECK_STR(g.module, "nt");
	}
	CHECK(g.va != 0);
	CHECK_OK(hvs_sym_read(s, HVS_SYM_VP_AUTO, "nt!NtBuildNumber", &u32, 4, NULL));
	CHECK_EQ(u32, WG_NT_BUILD_NUMBER);
	/* Symbol names match exactly. */
	CHECK_STATUS(hvs_sym_resolve(s, "nt!ntbuildnumber", &g), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_sym_resolve(s, "bogus!NtBuildNumber", &g), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_sym_resolve(s, "!NtBuildNumber", &g), HVS_E_INVALID);
	/* KdDebuggerDataBlock: KDDEBUGGER_DATA64, OwnerTag "KDBG" at +0x10
	 * and Size 0x368 at +0x14 (wdbgexts.h DBGKD_DEBUG_DATA_HEADER64). */
	CHECK_OK(hvs_sym_resolve(s, "nt!KdDebuggerDataBlock", &g));
	CHECK_EQ(g.va, want_va(&kpo, WG_KERNEL_BASE, "KdDebuggerDataBlock"));
	CHECK_EQ(g.size, po_find_udt(&kpo, "_KDDEBUGGER_DATA64")->size);
	CHECK_OK(hvs_sym_read(s, 0, "KdDebuggerDataBlock", kdbg, sizeof kdbg, NULL));
	CHECK_MEM(kdbg + 0x10, "KDBG", 4);
	CHECK_EQ(kdbg[0x14] | kdbg[0x15] << 8, 0x368);
	/* Read through VP 1 (user CR3, same kernel half). */
	CHECK_OK(hvs_sym_read(s, 1, "nt!NtBuildNumber", &u32, 4, NULL));
	CHECK_EQ(u32, WG_NT_BUILD_NUMBER);
	/* PsLoadedModuleList: a public and a global; the data record wins. */
	CHECK_OK(hvs_sym_resolve(s, "PsLoadedModuleList", &g));
	CHECK_EQ(g.va, want_va(&kpo, WG_KERNEL_BASE, "PsLoadedModuleList"));
	CHECK_EQ(g.size, 16);
	hvs_sym_close(s);
	hvs_image_close(img);
}

/* Every structure and union of both PDBs: size and members in order
 * equal llvm-pdbutil's records. */
static void compare_types(hvs_sym *s, const po *p, const char *mod, size_t min)
{
	size_t i, k, n = 0;
	for (i = 0; i < p->nudts; i++) {
		const po_udt *u = &p->udts[i];
		const po_member *m;
		char name[256];
		uint64_t size = 0;
		hvs_sym_field f;
		if (u->fwd || strchr(u->name, '<'))
			continue; /* anonymous nested types have no name to ask for */
		snprintf(name, sizeof name, "%s!%s", mod, u->name);
		if (hvs_sym_type_size(s, name, &size) != HVS_OK || size != u->size) {
			test__fail(__FILE__, __LINE__, "%s: size %llu, llvm-pdbutil %llu (%s)", name,
				   (unsigned long long)size, (unsigned long long)u->size,
				   hvs_sym_errmsg(s));
			return;
		}
		for (k = 0; (m = po_member_at(p, u, k)) != NULL; k++) {
			if (hvs_sym_find_field(s, name, m->name, &f) != HVS_OK ||
			    f.offset != m->offset) {
				test__fail(__FILE__, __LINE__, "%s.%s: offset %llu, llvm-pdbutil %llu",
					   name, m->name, (unsigned long long)f.offset,
					   (unsigned long long)m->offset);
				return;
			}
		}
		n++;
	}
	if (n < min)
		test__fail(__FILE__, __LINE__, "%s: %zu types compared, expected >= %zu", mod,
			   n, min);
}

/* The members of a type in the provider's order. */
typedef struct flist {
	hvs_sym_field f[256];
	size_t n;
} flist;

static hvs_status collect(void *ud, const hvs_sym_field *f)
{
	flist *l = ud;
	if (l->n < 256)
		l->f[l->n++] = *f;
	return HVS_OK;
}

static void test_sym__types(void)
{
	hvs_image *img;
	hvs_sym *s;
	hvs_sym_field f;
	uint64_t size;
	flist l;
	const po_udt *u;
	const po_member *m;
	size_t k;
	NEED_WINGUEST();
	CHECK_OK(open_sym(&img, &s, wg_vmrs, wg_store, HVS_SYM_VP_AUTO));
	CHECK_OK(hvs_sym_load_kernel(s));
	/* nt.h and hvsdrv.c define 24 and 5 named structures and unions. */
	compare_types(s, &kpo, "nt", 24);
	compare_types(s, &dpo, "hvsdrv", 5);
	/* The field list of _HVSDRV_COUNTERS, as `dt` shows it: the members
	 * of the anonymous union (and its anonymous bitfield struct) at the
	 * union's offset, in llvm-pdbutil's order. */
	memset(&l, 0, sizeof l);
	CHECK_OK(hvs_sym_fields(s, "hvsdrv!_HVSDRV_COUNTERS", &size, collect, &l));
	u = po_find_udt(&dpo, "_HVSDRV_COUNTERS");
	CHECK(u != NULL);
	CHECK_EQ(size, u->size);
	for (k = 0; (m = po_member_at(&dpo, u, k)) != NULL; k++) {
		CHECK(k < l.n);
		CHECK_STR(l.f[k].name, m->name);
		CHECK_EQ(l.f[k].offset, m->offset);
	}
	CHECK_EQ(l.n, k);
	/* Sizes and bitfields from hvsdrv.c: ULONG64 Opens, ULONG64 Reads[4],
	 * ULONG Flags; Started:1, Paused:1, Level:3, Spare:27. */
	CHECK_STR(l.f[0].name, "Opens");
	CHECK_EQ(l.f[0].size, 8);
	CHECK_EQ(l.f[1].size, 32);
	CHECK_EQ(l.f[2].size, 4);
	CHECK_OK(hvs_sym_find_field(s, "hvsdrv!_HVSDRV_COUNTERS", "Level", &f));
	CHECK_EQ(f.bit_pos, 2);
	CHECK_EQ(f.bit_len, 3);
	CHECK_EQ(f.size, 4);
	CHECK_OK(hvs_sym_find_field(s, "hvsdrv!_HVSDRV_COUNTERS", "Spare", &f));
	CHECK_EQ(f.bit_pos, 5);
	CHECK_EQ(f.bit_len, 27);
	/* A dotted path through a named member. */
	CHECK_OK(hvs_sym_find_field(s, "hvsdrv!_HVSDRV_GLOBALS", "Counters.Level", &f));
	CHECK_EQ(f.offset, 16 + 40);
	/* Typedef names, unknown types and fields. */
	CHECK_OK(hvs_sym_type_size(s, "hvsdrv!HVSDRV_GLOBALS", &size));
	CHECK_EQ(size, po_find_udt(&dpo, "_HVSDRV_GLOBALS")->size);
	CHECK_STATUS(hvs_sym_type_size(s, "nt!_NO_SUCH_TYPE", &size), HVS_E_NOTFOUND);
	CHECK_STATUS(hvs_sym_find_field(s, "nt!_LIST_ENTRY", "flink", &f), HVS_E_NOTFOUND);
	/* Unqualified: the kernel first. */
	CHECK_OK(hvs_sym_find_field(s, "_KLDR_DATA_TABLE_ENTRY", "DllBase", &f));
	CHECK_EQ(f.offset, 0x30);
	hvs_sym_close(s);
	hvs_image_close(img);
}

/* ------------------------------------------------------------ modules */

static void test_sym__modules(void)
{
	hvs_image *img;
	hvs_sym *s;
	hvs_sym_module m;
	hvs_sym_global g;
	hvs_sym_winver w;
	uint8_t guid[16];
	uint32_t u32;
	size_t n;
	NEED_WINGUEST();
	CHECK_OK(open_sym(&img, &s, wg_vmrs, wg_store, HVS_SYM_VP_AUTO));
	CHECK_OK(hvs_sym_load_kernel(s));
	/* The driver is unknown until it is asked for by name. */
	CHECK_STATUS(hvs_sym_resolve(s, "HvsDrvGlobals", &g), HVS_E_NOTFOUND);
	CHECK_EQ(hvs_sym_module_count(s), 1);
	{
		size_t k = 0, j = 9;
		/* Found by name through the module list, symbols not loaded. */
		CHECK_STATUS(hvs_sym_find_module(s, "nosuchdriver", &k), HVS_E_NOTFOUND);
		CHECK_OK(hvs_sym_find_module(s, "HvsDrv", &k));
		CHECK_OK(hvs_sym_module_at(s, k, &m));
		CHECK_EQ(m.base, WG_DRIVER_BASE);
		CHECK(!m.loaded);
		CHECK_OK(hvs_sym_find_module(s, "ntkrnlmp", &j));
		CHECK_EQ(j, 0);
	}
	/* hvsdrv!: the module list is read, the driver's PDB loaded. */
	CHECK_OK(hvs_sym_resolve(s, "HVSDRV!HvsDrvGlobals", &g));
	CHECK_EQ(g.va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvGlobals"));
	CHECK_EQ(g.size, po_find_udt(&dpo, "_HVSDRV_GLOBALS")->size);
	CHECK_STR(g.module, "hvsdrv");
	/* Now an unqualified name finds it too (after the kernel). */
	CHECK_OK(hvs_sym_resolve(s, "HvsDrvDebugLevel", &g));
	CHECK_EQ(g.va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvDebugLevel"));
	CHECK_OK(hvs_sym_read(s, 0, "HvsDrvDebugLevel", &u32, 4, NULL));
	CHECK_EQ(u32, 2);
	/* HvsDrvGlobals: Signature 'HvsD', State HvsDrvRunning (hvsdrv.c). */
	CHECK_OK(hvs_sym_read(s, 0, "hvsdrv!HvsDrvGlobals", &u32, 4, NULL));
	CHECK_EQ(u32, 0x44737648);
	CHECK(strstr(msgs, "loaded-module list: 2 entries") != NULL);
	/* The list: the kernel and the driver, with their CodeView records. */
	n = hvs_sym_module_count(s);
	CHECK_EQ(n, 2);
	CHECK_OK(hvs_sym_module_at(s, 0, &m));
	CHECK_STR(m.name, "nt");
	CHECK(m.is_kernel && m.from_list && m.loaded && m.has_cv);
	CHECK_STR(m.pdb_name, "ntkrnlmp.pdb");
	guid_bytes(kpo.guid, guid);
	CHECK_MEM(m.guid, guid, 16);
	CHECK_EQ(m.age, kpo.age);
	CHECK_EQ(m.timestamp, 0x5E8E2A1B);
	CHECK_OK(hvs_sym_module_at(s, 1, &m));
	CHECK_STR(m.name, "hvsdrv");
	CHECK_STR(m.image_name, "hvsdrv.sys");
	CHECK_EQ(m.base, WG_DRIVER_BASE);
	CHECK_EQ(m.timestamp, 0x5F1D2C3B);
	CHECK(m.from_list && m.loaded && !m.is_kernel);
	guid_bytes(dpo.guid, guid);
	CHECK_MEM(m.guid, guid, 16);
	/* The Windows version from NtBuildNumber (19041, free build). */
	CHECK_OK(hvs_sym_windows_version(s, &w));
	CHECK_EQ(w.build, WG_BUILD);
	CHECK_EQ(w.build_raw, WG_NT_BUILD_NUMBER);
	CHECK_EQ(w.major, 10);
	CHECK_EQ(w.minor, 0);
	CHECK_STR(w.source, "NtBuildNumber");
	hvs_sym_close(s);
	hvs_image_close(img);
}

/* LoadSavedStateModuleSymbols(Ex): a module loaded by base, its name. */
static void test_sym__load_module(void)
{
	hvs_image *img;
	hvs_sym *s;
	hvs_sym_global g;
	NEED_WINGUEST();
	CHECK_OK(open_sym(&img, &s, wg_vmrs, wg_store, HVS_SYM_VP_AUTO));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_STATUS(hvs_sym_load_module(s, "hvsdrv.sys", "mydrv", WG_DRIVER_BASE, 0, 0x12345678),
		     HVS_E_INVALID);
	CHECK(strstr(hvs_sym_errmsg(s), "TimeDateStamp 0x5f1d2c3b") != NULL);
	CHECK_OK(hvs_sym_load_module(s, "hvsdrv.sys", "mydrv", WG_DRIVER_BASE, 0, 0x5F1D2C3B));
	CHECK_OK(hvs_sym_resolve(s, "MyDrv!HvsDrvGlobals", &g));
	CHECK_EQ(g.va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvGlobals"));
	/* Its image name still names it. */
	CHECK_OK(hvs_sym_resolve(s, "hvsdrv!HvsDrvBanner", &g));
	CHECK_EQ(g.va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvBanner"));
	/* No image at a base: not found. */
	CHECK_STATUS(hvs_sym_load_module(s, "x.sys", "x", WG_LARGE_VA, 0, 0), HVS_E_NOTFOUND);
	hvs_sym_close(s);
	hvs_image_close(img);
}

/* ----------------------------------------------------------- failures */

/* Copy @src to @dst, keeping @keep bytes (0: all). */
static int copy_trunc(const char *src, const char *dst, size_t keep)
{
	size_t n;
	uint8_t *d = test_read_file(src, &n);
	int rc;
	if (!d)
		return -1;
	rc = test_write_file(dst, d, keep && keep < n ? keep : n);
	free(d);
	return rc;
}

/* Make store folder @root/ntkrnlmp.pdb/<kernel key>/ holding @src. */
static int make_store(const char *root, const char *src, size_t keep)
{
	char key[64], dir[1200], cmd[2600];
	char *p = key;
	const char *g;
	for (g = kpo.guid; *g; g++)
		if (*g != '-')
			*p++ = *g;
	snprintf(p, sizeof key - (size_t)(p - key), "%X", kpo.age);
	snprintf(dir, sizeof dir, "%s/ntkrnlmp.pdb/%s", root, key);
	if (test_rmtree(root) != 0 || test_mkdirs(dir) != 0)
		return -1;
	snprintf(cmd, sizeof cmd, "%s/ntkrnlmp.pdb", dir);
	return copy_trunc(src, cmd, keep);
}

static void test_sym__failures(void)
{
	hvs_image *img;
	hvs_sym *s;
	char root[1024], path[1100];
	const char *x;
	NEED_WINGUEST();
	/* No symbols: the kernel is located, its PDB is not found. */
	CHECK_OK(open_sym(&img, &s, wg_vmrs, "", HVS_SYM_VP_AUTO));
	CHECK_STATUS(hvs_sym_load_kernel(s), HVS_E_NOTFOUND);
	CHECK(hvs_sym_kernel(s, NULL, NULL));
	CHECK(strstr(hvs_sym_errmsg(s), "ntkrnlmp.pdb (key ") != NULL);
	CHECK(strstr(msgs, "symbol path is empty") != NULL);
	hvs_sym_close(s);
	hvs_image_close(img);
	/* A PDB with the wrong GUID under the kernel's key: refused. */
	snprintf(root, sizeof root, "%s", test_tmp_path("sym_wrong_guid"));
	CHECK(make_store(root, wg_dpdb, 0) == 0);
	snprintf(path, sizeof path, "srv*%s", root);
	CHECK_OK(open_sym(&img, &s, wg_vmrs, path, HVS_SYM_VP_AUTO));
	CHECK_STATUS(hvs_sym_load_kernel(s), HVS_E_NOTFOUND);
	CHECK(strstr(msgs, "refused: GUID/age ") != NULL);
	hvs_sym_close(s);
	hvs_image_close(img);
	/* A damaged (truncated) kernel PDB: corrupt, and the message says so. */
	snprintf(root, sizeof root, "%s", test_tmp_path("sym_damaged"));
	CHECK(make_store(root, wg_kpdb, 5000) == 0);
	snprintf(path, sizeof path, "srv*%s", root);
	CHECK_OK(open_sym(&img, &s, wg_vmrs, path, HVS_SYM_VP_AUTO));
	CHECK_STATUS(hvs_sym_load_kernel(s), HVS_E_CORRUPT);
	CHECK(strstr(hvs_sym_errmsg(s), "damaged") != NULL);
	hvs_sym_close(s);
	hvs_image_close(img);
	/* No path: _NT_SYMBOL_PATH, then _NT_ALTERNATE_SYMBOL_PATH. */
	{
		hvs_sym_opts o;
		CHECK_OK(hvs_image_open(&img, wg_vmrs, NULL));
		memset(&o, 0, sizeof o);
		o.vp = HVS_SYM_VP_AUTO;
		o.flags = HVS_SYM_NO_DOWNLOAD;
		test_setenv("_NT_SYMBOL_PATH", "/nonexistent-hvs-test");
		test_setenv("_NT_ALTERNATE_SYMBOL_PATH", wg_store);
		CHECK_OK(hvs_sym_open(&s, img, &o));
		test_setenv("_NT_SYMBOL_PATH", NULL);
		test_setenv("_NT_ALTERNATE_SYMBOL_PATH", NULL);
		CHECK_OK(hvs_sym_load_kernel(s));
		hvs_sym_close(s);
		hvs_image_close(img);
	}
	/* A flat folder holding the right PDB works. */
	CHECK_OK(open_sym(&img, &s, wg_vmrs, WG_DIR, HVS_SYM_VP_AUTO));
	CHECK_OK(hvs_sym_load_kernel(s));
	hvs_sym_close(s);
	hvs_image_close(img);
	/* Asking for VP 1 (user mode): its RIP is not used, but LSTAR and the
	 * IDT lead to the kernel through its address space (the fixture maps
	 * the kernel half in the user CR3, as Windows without KVA shadow). */
	CHECK_OK(open_sym(&img, &s, wg_vmrs, wg_store, 1));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK(strstr(msgs, "VP 1: not in kernel mode; its RIP is not used") != NULL);
	CHECK(strstr(msgs, "found from LSTAR") != NULL);
	hvs_sym_close(s);
	hvs_image_close(img);
	/* A guest without Windows. */
	x = gen_vmrs_x64_2vp("sym_nowin.vmrs", HVS_VMRS_ENC_RAW);
	CHECK(x != NULL);
	CHECK_OK(open_sym(&img, &s, x, wg_store, HVS_SYM_VP_AUTO));
	CHECK_STATUS(hvs_sym_load_kernel(s), HVS_E_NOTFOUND);
	CHECK(!hvs_sym_kernel(s, NULL, NULL));
	CHECK(strstr(hvs_sym_errmsg(s), "Windows kernel not found") != NULL);
	hvs_sym_close(s);
	hvs_image_close(img);
}

/* Bad arguments and a symbol path that cannot be parsed. */
static void test_sym__args(void)
{
	hvs_image *img;
	hvs_sym *s = (hvs_sym *)1;
	hvs_sym_opts o;
	char err[HVS_ERRMSG_MAX];
	const char *x = gen_vmrs_x64_2vp("sym_args.vmrs", HVS_VMRS_ENC_RAW);
	CHECK(x != NULL);
	CHECK_OK(hvs_image_open(&img, x, NULL));
	memset(&o, 0, sizeof o);
	o.symbol_path = "srv*";
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	CHECK_STATUS(hvs_sym_open(&s, img, &o), HVS_E_INVALID);
	CHECK(s == NULL);
	CHECK(strstr(err, "no symbol store") != NULL);
	o.symbol_path = NULL;
	o.vp = 7;
	CHECK_STATUS(hvs_sym_open(&s, img, &o), HVS_E_INVALID);
	CHECK_STATUS(hvs_sym_open(&s, NULL, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_sym_load_kernel(NULL), HVS_E_INVALID);
	CHECK_EQ(hvs_sym_module_count(NULL), 0);
	hvs_sym_close(NULL);
	hvs_image_close(img);
}

/* ----------------------------------------------------------- download */

/* Files @a and @b have the same bytes. */
static int same_file(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *x = test_read_file(a, &na), *y = test_read_file(b, &nb);
	int same = x && y && na == nb && memcmp(x, y, na) == 0;
	free(x);
	free(y);
	return same;
}

static void download_cases(const char *cache, int port)
{
	hvs_image *img;
	hvs_sym *s;
	hvs_sym_global g;
	hvs_sym_module m;
	char path[1200];
	snprintf(path, sizeof path, "srv*%s*http://127.0.0.1:%d/", cache, port);
	CHECK_OK(hvs_image_open(&img, wg_vmrs, NULL));
	{
		hvs_sym_opts o;
		memset(&o, 0, sizeof o);
		o.symbol_path = path;
		o.vp = HVS_SYM_VP_AUTO;
		o.flags = HVS_SYM_NO_ENV;
		o.msg = on_msg;
		msgs[0] = '\0';
		CHECK_OK(hvs_sym_open(&s, img, &o));
	}
	if (hvs_sym_load_kernel(s) != HVS_OK) {
		test__fail(__FILE__, __LINE__, "%s\n%s", hvs_sym_errmsg(s), msgs);
		goto out;
	}
	CHECK(strstr(msgs, "downloaded to") != NULL);
	CHECK_OK(hvs_sym_resolve(s, "hvsdrv!HvsDrvGlobals", &g));
	CHECK_EQ(g.va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvGlobals"));
	/* The cached copies are the served files, byte for byte. */
	CHECK_OK(hvs_sym_module_at(s, 0, &m));
	CHECK(strncmp(m.pdb_path, cache, strlen(cache)) == 0);
	CHECK(same_file(m.pdb_path, wg_kpdb));
	CHECK_OK(hvs_sym_module_at(s, 1, &m));
	CHECK(same_file(m.pdb_path, wg_dpdb));
out:
	hvs_sym_close(s);
	hvs_image_close(img);
}

/* The fixture's store served over HTTP: both PDBs are downloaded into a
 * downstream store, checked (GUID, age) and used. */
static void test_sym__download(void)
{
	char root[1024], cache[1100], dir[1100];
	test_httpd srv;
	int rc;
	NEED_WINGUEST();
	if (!hvs_sym_has_download())
		SKIP("built without libcurl (HVS_WITH_CURL): no HTTP client on this platform");
	snprintf(root, sizeof root, "%s", test_tmp_path("sym_download"));
	snprintf(cache, sizeof cache, "%s/cache", root);
	CHECK(test_rmtree(root) == 0 && test_mkdirs(root) == 0);
	snprintf(dir, sizeof dir, "%s/symbols", WG_DIR);
	rc = test_httpd_start(&srv, dir, root);
	if (rc == 77)
		SKIP("%s not found", TEST_HTTPD_PYTHON);
	CHECK(rc == 0);
	download_cases(cache, srv.port);
	test_httpd_stop(&srv);
}

/* Every allocation of the provider (and of the PE and PDB handles it
 * opens) may fail: an error, never a crash or a leak. */
static void test_sym__oom(void)
{
	hvs_image *img;
	long k;
	int done = 0;
	NEED_WINGUEST();
	CHECK_OK(hvs_image_open(&img, wg_vmrs, NULL));
	for (k = 1; k < 5000 && !done; k++) {
		test_failalloc fa;
		hvs_sym_opts o;
		hvs_sym *s;
		hvs_sym_global g;
		flist l;
		hvs_status st;
		test_failalloc_init(&fa, k);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		o.symbol_path = wg_store;
		o.vp = HVS_SYM_VP_AUTO;
		o.flags = HVS_SYM_NO_ENV | HVS_SYM_NO_DOWNLOAD;
		st = hvs_sym_open(&s, img, &o);
		if (st == HVS_OK) {
			st = hvs_sym_load_kernel(s);
			if (st == HVS_OK)
				st = hvs_sym_resolve(s, "hvsdrv!HvsDrvGlobals", &g);
			l.n = 0;
			if (st == HVS_OK)
				st = hvs_sym_fields(s, "hvsdrv!_HVSDRV_COUNTERS", NULL, collect, &l);
			hvs_sym_close(s);
		}
		if (fa.live != 0) {
			test__fail(__FILE__, __LINE__, "allocation %ld failed: %ld blocks leaked", k,
				   fa.live);
			break;
		}
		/* Done once a run needed fewer allocations than the one failed. */
		if (st == HVS_OK)
			done = fa.calls < k;
		else if (st != HVS_E_NOMEM && st != HVS_E_NOTFOUND && st != HVS_E_CORRUPT)
			test__fail(__FILE__, __LINE__, "allocation %ld failed: status %d", k, (int)st);
	}
	hvs_image_close(img);
	CHECK(done);
}

/* ------------------------------------------------ damaged guest memory */

/* The winguest's memory and VP 0 registers, as a raw image that a test
 * can damage: the provider must report, never loop or crash. */
typedef struct rawguest {
	uint8_t *mem;
	hvs_regval regs[HVS_REG_COUNT];
	int have[HVS_REG_COUNT];
	uint64_t head;      /* PsLoadedModuleList */
	uint64_t kentry;    /* first entry (the kernel) */
	uint64_t dentry;    /* second entry (the driver) */
	hvs_image *orig;
} rawguest;

static int u64_at(hvs_image *img, uint64_t va, uint64_t *out)
{
	uint8_t b[8];
	if (hvs_vp_read(img, 0, va, b, 8, NULL) != HVS_OK)
		return -1;
	*out = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
	       (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
	return 0;
}

/* GPA of a VA of the original image. */
static uint64_t gpa_of(rawguest *g, uint64_t va)
{
	uint64_t gpa = 0;
	if (hvs_vp_translate(g->orig, 0, va, &gpa, NULL, NULL) != HVS_OK)
		return UINT64_MAX;
	return gpa;
}

/* Open @mem (WG_RAM_SIZE bytes from GPA 0) as a raw image with VP 0. */
static hvs_status open_raw(rawguest *g, hvs_source *src, hvs_image **img)
{
	hvs_image_opts io;
	unsigned r;
	memset(&io, 0, sizeof io);
	io.format = HVS_FORMAT_RAW;
	HVS_TRY_TEST(hvs_source_from_memory(src, g->mem, (size_t)WG_RAM_SIZE));
	HVS_TRY_TEST(hvs_image_open_source(img, src, &io));
	HVS_TRY_TEST(hvs_image_add_vps(*img, 1, HVS_ARCH_X64));
	for (r = 0; r < HVS_REG_COUNT; r++)
		if (g->have[r])
			HVS_TRY_TEST(hvs_image_set_reg(*img, 0, 0, (hvs_reg)r, &g->regs[r]));
	return HVS_OK;
}

/* Provider over the raw copy with the fixture's store. */
static hvs_status raw_sym(rawguest *g, hvs_source *src, hvs_image **img, hvs_sym **s)
{
	hvs_sym_opts o;
	HVS_TRY_TEST(open_raw(g, src, img));
	memset(&o, 0, sizeof o);
	o.symbol_path = wg_store;
	o.vp = HVS_SYM_VP_AUTO;
	o.flags = HVS_SYM_NO_ENV | HVS_SYM_NO_DOWNLOAD;
	o.msg = on_msg;
	msgs[0] = '\0';
	return hvs_sym_open(s, *img, &o);
}

/* Put a little-endian value at the GPA of @va in @mem. */
static void poke(rawguest *g, uint8_t *mem, uint64_t va, uint64_t v, unsigned n)
{
	uint64_t gpa = gpa_of(g, va);
	unsigned i;
	if (gpa + n > WG_RAM_SIZE)
		return;
	for (i = 0; i < n; i++)
		mem[gpa + i] = (uint8_t)(v >> (8 * i));
}

/* Close what raw_sym() opened. */
static void close_raw(hvs_sym *s, hvs_image *img, hvs_source *src)
{
	hvs_sym_close(s);
	hvs_image_close(img);
	hvs_source_close(src);
}

static void test_sym__damaged_guest(void)
{
	rawguest g;
	hvs_source src;
	hvs_image *img;
	hvs_sym *s;
	hvs_sym_global gl;
	hvs_sym_winver w;
	size_t done = 0, idx;
	unsigned r;
	uint8_t *clean;
	NEED_WINGUEST();
	memset(&g, 0, sizeof g);
	CHECK_OK(hvs_image_open(&g.orig, wg_vmrs, NULL));
	g.mem = malloc((size_t)WG_RAM_SIZE);
	clean = malloc((size_t)WG_RAM_SIZE);
	CHECK(g.mem && clean);
	CHECK_OK(hvs_image_read(g.orig, HVS_SPACE_GPA, 0, clean, (size_t)WG_RAM_SIZE, &done));
	for (r = 0; r < HVS_REG_COUNT; r++)
		g.have[r] = hvs_reg_kind((hvs_reg)r) != HVS_REGKIND_NONE &&
			    hvs_image_get_reg(g.orig, 0, HVS_VTL_ACTIVE, (hvs_reg)r, &g.regs[r]) ==
				    HVS_OK;
	g.head = want_va(&kpo, WG_KERNEL_BASE, "PsLoadedModuleList");
	CHECK(u64_at(g.orig, g.head, &g.kentry) == 0);
	CHECK(u64_at(g.orig, g.kentry, &g.dentry) == 0);

	/* The undamaged copy works like the saved state. */
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_OK(hvs_sym_load_module_list(s));
	CHECK_EQ(hvs_sym_module_count(s), 2);
	close_raw(s, img, &src);

	/* A cycle that avoids the head: stopped by the entry cap. */
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	poke(&g, g.mem, g.dentry, g.dentry, 8);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_STATUS(hvs_sym_load_module_list(s), HVS_E_CORRUPT);
	CHECK(strstr(hvs_sym_errmsg(s), "more than 65536 entries") != NULL);
	/* What was found before the damage is kept. */
	CHECK_EQ(hvs_sym_module_count(s), 2);
	close_raw(s, img, &src);

	/* A link into user space, and one to an unmapped kernel address. */
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	poke(&g, g.mem, g.kentry, 0x0000000012345000ull, 8);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_STATUS(hvs_sym_load_module_list(s), HVS_E_CORRUPT);
	CHECK(strstr(hvs_sym_errmsg(s), "is not a kernel address") != NULL);
	/* A driver name asked for now cannot be found, and says why. */
	CHECK_STATUS(hvs_sym_resolve(s, "hvsdrv!HvsDrvGlobals", &gl), HVS_E_NOTFOUND);
	close_raw(s, img, &src);
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	poke(&g, g.mem, g.kentry, 0xFFFFF80100000000ull, 8);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_STATUS(hvs_sym_load_module_list(s), HVS_E_CORRUPT);
	CHECK(strstr(hvs_sym_errmsg(s), "not readable") != NULL);
	close_raw(s, img, &src);

	/* An odd BaseDllName length: the entry is kept without that name,
	 * and the export directory still names the driver. */
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	poke(&g, g.mem, g.dentry + 0x58, 0x17, 2);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_OK(hvs_sym_load_module_list(s));
	CHECK(strstr(msgs, "BaseDllName length 23 invalid") != NULL);
	CHECK_OK(hvs_sym_find_module(s, "hvsdrv", &idx));
	CHECK_OK(hvs_sym_resolve(s, "hvsdrv!HvsDrvGlobals", &gl));
	CHECK_EQ(gl.va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvGlobals"));
	close_raw(s, img, &src);

	/* NtBuildNumber changed in memory: the version follows the memory. */
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	poke(&g, g.mem, want_va(&kpo, WG_KERNEL_BASE, "NtBuildNumber"), 0xF0005654u, 4);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_OK(hvs_sym_load_kernel(s));
	CHECK_OK(hvs_sym_windows_version(s, &w));
	CHECK_EQ(w.build, 22100);
	close_raw(s, img, &src);

	/* The kernel's DOS header damaged: no kernel image any more. */
	memcpy(g.mem, clean, (size_t)WG_RAM_SIZE);
	poke(&g, g.mem, WG_KERNEL_BASE, 0x5858, 2);
	CHECK_OK(raw_sym(&g, &src, &img, &s));
	CHECK_STATUS(hvs_sym_load_kernel(s), HVS_E_NOTFOUND);
	CHECK(!hvs_sym_kernel(s, NULL, NULL));
	close_raw(s, img, &src);

	free(g.mem);
	free(clean);
	hvs_image_close(g.orig);
}

/* ---------------------------------------------------------------- CLI */

/* Run the CLI with the arguments after @out (NULL-terminated); its stdout
 * into @out (malloc'd); returns the exit code. */
static int run_cli(char **out, ...)
{
	const char *argv[16];
	size_t n = 0;
	va_list ap;
	int rc;
	argv[n++] = test_bin_path("hvs");
	va_start(ap, out);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	*out = NULL;
	if (!argv[0])
		return -1;
	/* An empty _NT_SYMBOL_PATH: only --symbols counts, nothing downloads. */
	test_setenv("_NT_SYMBOL_PATH", "");
	rc = test_spawn_capture(argv, 0, out, NULL);
	test_setenv("_NT_SYMBOL_PATH", NULL);
	if (!*out)
		*out = calloc(1, 1);
	return rc;
}

static void test_sym__cli(void)
{
	char *out = NULL;
	jm_val *v;
	const jm_val *r, *fl;
	uint64_t x;
	size_t i;
	const po_udt *u;
	NEED_WINGUEST();
	if (!test_bin_path("hvs"))
		SKIP("the hvs CLI is not built");
	CHECK_EQ(run_cli(&out, "sym", "--json", "--symbols", wg_store, wg_vmrs, "nt!NtBuildNumber",
			 "hvsdrv!_HVSDRV_COUNTERS", NULL),
		 0);
	v = jm_parse(out, strlen(out), NULL, 0);
	free(out);
	CHECK(v != NULL);
	r = jm_at(jm_get(v, "results"), 0);
	CHECK_STR(jm_str(jm_get(r, "kind")), "global");
	CHECK_STR(jm_str(jm_get(r, "module")), "nt");
	CHECK(jm_u64(jm_get(r, "address"), &x) == 0);
	CHECK_EQ(x, want_va(&kpo, WG_KERNEL_BASE, "NtBuildNumber"));
	CHECK_STR(jm_str(jm_get(r, "bytes")), "614a00f0");
	r = jm_at(jm_get(v, "results"), 1);
	CHECK_STR(jm_str(jm_get(r, "kind")), "type");
	u = po_find_udt(&dpo, "_HVSDRV_COUNTERS");
	CHECK(jm_u64(jm_get(r, "size"), &x) == 0);
	CHECK_EQ(x, u->size);
	fl = jm_get(r, "fields");
	for (i = 0; po_member_at(&dpo, u, i); i++) {
		CHECK_STR(jm_str(jm_get(jm_at(fl, i), "name")), po_member_at(&dpo, u, i)->name);
		CHECK(jm_u64(jm_get(jm_at(fl, i), "offset"), &x) == 0);
		CHECK_EQ(x, po_member_at(&dpo, u, i)->offset);
	}
	CHECK_EQ(jm_len(fl), i);
	jm_free(v);
	/* modules: the kernel and the driver. */
	CHECK_EQ(run_cli(&out, "modules", "--json", "--symbols", wg_store, wg_vmrs, NULL), 0);
	v = jm_parse(out, strlen(out), NULL, 0);
	free(out);
	CHECK(v != NULL);
	CHECK_EQ(jm_len(jm_get(v, "modules")), 2);
	CHECK_STR(jm_str(jm_get(jm_at(jm_get(v, "modules"), 1), "pdb")), "hvsdrv.pdb");
	CHECK(jm_u64(jm_get(jm_at(jm_get(v, "modules"), 1), "base"), &x) == 0);
	CHECK_EQ(x, WG_DRIVER_BASE);
	jm_free(v);
	/* An unknown name: exit 5; no symbols: exit 5. */
	CHECK_EQ(run_cli(&out, "sym", "--symbols", wg_store, wg_vmrs, "nt!NoSuchThing", NULL), 5);
	free(out);
	CHECK_EQ(run_cli(&out, "sym", "--symbols", "", wg_vmrs, "nt!NtBuildNumber", NULL), 5);
	free(out);
	/* info names the Windows build (offline). */
	CHECK_EQ(run_cli(&out, "info", "--json", wg_vmrs, NULL), 0);
	v = jm_parse(out, strlen(out), NULL, 0);
	free(out);
	CHECK(v != NULL);
	CHECK(jm_u64(jm_get(jm_get(v, "windows"), "build"), &x) == 0);
	CHECK_EQ(x, WG_BUILD);
	jm_free(v);
	/* The same memory in a guest whose VTL0 reports an open-source OS
	 * (Linux's id form): info does not look for a Windows kernel there. */
	{
		char lin[4096], kexe[1100], sys[1100];
		const char *gen = test_bin_path("tests/hvs-winguest");
		const char *gargv[6];
		snprintf(lin, sizeof lin, "%s", test_tmp_path("sym_cli_linux_id.vmrs"));
		snprintf(kexe, sizeof kexe, "%s/ntkrnlmp.exe", WG_DIR);
		snprintf(sys, sizeof sys, "%s/hvsdrv.sys", WG_DIR);
		remove(lin);
		gargv[0] = gen;
		gargv[1] = lin;
		gargv[2] = kexe;
		gargv[3] = sys;
		gargv[4] = "0x8100060A00000000";
		gargv[5] = NULL;
		if (!gen) {
			test__fail(__FILE__, __LINE__, "hvs-winguest not built");
			return;
		}
		CHECK_EQ(test_spawn(gargv, NULL, NULL), 0);
		CHECK_EQ(run_cli(&out, "info", "--json", lin, NULL), 0);
		v = jm_parse(out, strlen(out), NULL, 0);
		free(out);
		CHECK(v != NULL);
		CHECK(jm_get(v, "windows") == NULL || jm_get(jm_get(v, "windows"), "build") == NULL);
		jm_free(v);
		remove(lin);
	}
}

TEST_MAIN(TEST(test_sym__kernel_and_globals), TEST(test_sym__types), TEST(test_sym__modules),
	  TEST(test_sym__load_module), TEST(test_sym__failures), TEST(test_sym__args),
	  TEST(test_sym__oom), TEST(test_sym__damaged_guest), TEST(test_sym__download), TEST(test_sym__cli))
