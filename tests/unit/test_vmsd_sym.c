/* SPDX-License-Identifier: MIT */
/*
 * The SDK's guest-symbol functions (api.md 2.6, compat/vmsd_sym.c) on the
 * generated Windows-like guest, through vmsavedstatedump.h only (plus
 * hvs/sym.h to use the provider handle): load the provider, resolve and
 * read globals of the kernel and the driver, type sizes, fields, the
 * UTF-16 JSON field map, module symbols, the debug callback, and the
 * failure codes.  Expected values: the fixture's layout (layout.h, the
 * driver's source) and llvm-pdbutil's records for the same PDBs.
 * The native API answers the same (test_sym.c uses the same oracle).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../data/winguest/layout.h"
#include "json_min.h"
#include "pdbutil_oracle.h"
#include "test.h"
#include "vmsavedstatedump.h"
#include "vmsd_int.h"

#define CHECK_HR(expr, want) CHECK_EQ((uint32_t)(expr), (uint32_t)(want))
#define WG_DIR HVS_TEST_BINARY_DIR "/winguest"

static po kpo, dpo;
static int ready;

static int winguest(void)
{
	if (ready)
		return ready > 0;
	ready = -1;
	if (!test_exists(WG_DIR "/winguest.vmrs") ||
	    po_load(&kpo, WG_DIR "/ntkrnlmp.pdb") != 0 ||
	    po_load(&dpo, WG_DIR "/hvsdrv.pdb") != 0)
		return 0;
	ready = 1;
	return 1;
}

#define NEED_WINGUEST()                                                        \
	do {                                                                   \
		if (!winguest())                                               \
			SKIP("winguest fixture or llvm-pdbutil missing");      \
	} while (0)

/* A narrow path as a UTF-16 string (ASCII paths only), malloc'd. */
static WCHAR *wide(const char *s)
{
	size_t i, n = strlen(s);
	WCHAR *w = malloc((n + 1) * sizeof *w);
	if (!w)
		return NULL;
	for (i = 0; i <= n; i++)
		w[i] = (WCHAR)(unsigned char)s[i];
	return w;
}

static VM_SAVED_STATE_DUMP_HANDLE load(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	WCHAR *p = wide(WG_DIR "/winguest.vmrs");
	if (!p)
		return NULL;
	if (FAILED(LoadSavedStateFile(p, &h)))
		h = NULL;
	free(p);
	return h;
}

/* Load the provider with the fixture's store as userSymbols. */
static HRESULT load_symbols(VM_SAVED_STATE_DUMP_HANDLE h, const char *path, BOOL force)
{
	WCHAR *w = wide(path);
	HRESULT hr;
	if (!w)
		return E_OUTOFMEMORY;
	hr = LoadSavedStateSymbolProvider(h, w, force);
	free(w);
	return hr;
}

static uint64_t want_va(const po *p, uint64_t base, const char *name)
{
	uint32_t rva = 0;
	if (po_global_rva(p, name, &rva) != 0)
		return 0;
	return base + rva;
}

static int ncb;
static char lastmsgs[16384];

static void CALLBACK on_debug(LPCSTR msg)
{
	size_t n = strlen(lastmsgs);
	ncb++;
	snprintf(lastmsgs + n, sizeof lastmsgs - n, "%s\n", msg);
}

static void test_vmsd_sym__globals(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h;
	GUEST_VIRTUAL_ADDRESS va = 0;
	ULONG size = 0;
	UINT32 u32 = 0;
	uint64_t base = 0;
	HANDLE sh;
	NEED_WINGUEST();
	/* Keep Microsoft's server out of the path (docs/symbols.md 5). */
	test_setenv("_NT_SYMBOL_PATH", "");
	h = load();
	CHECK(h != NULL);
	CHECK_HR(SetSavedStateSymbolProviderDebugInfoCallback(h, on_debug), S_OK);
	ncb = 0;
	lastmsgs[0] = '\0';
	CHECK_HR(load_symbols(h, "srv*" WG_DIR "/symbols", FALSE), S_OK);
	CHECK(ncb > 0);
	CHECK(strstr(lastmsgs, "kernel image ntkrnlmp.pdb at 0xfffff8016a800000") != NULL);
	/* The handle is the native provider (docs/sdk.md). */
	sh = GetSavedStateSymbolProviderHandle(h);
	CHECK(sh != NULL);
	CHECK(hvs_sym_kernel((hvs_sym *)sh, &base, NULL));
	CHECK_EQ(base, WG_KERNEL_BASE);
	/* Loading again without force keeps it; with force replaces it. */
	CHECK_HR(load_symbols(h, "srv*" WG_DIR "/symbols", FALSE), S_OK);
	CHECK(GetSavedStateSymbolProviderHandle(h) == sh);
	CHECK_HR(load_symbols(h, "srv*" WG_DIR "/symbols", TRUE), S_OK);
	CHECK(GetSavedStateSymbolProviderHandle(h) != NULL);
	/* Globals of the kernel. */
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "nt!NtBuildNumber", &va, &size), S_OK);
	CHECK_EQ(va, want_va(&kpo, WG_KERNEL_BASE, "NtBuildNumber"));
	CHECK_EQ(size, 4);
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 1, "NtBuildNumber", &va, NULL), S_OK);
	CHECK_EQ(va, want_va(&kpo, WG_KERNEL_BASE, "NtBuildNumber"));
	CHECK_HR(ReadSavedStateGlobalVariable(h, 0, "nt!NtBuildNumber", &u32, 4), S_OK);
	CHECK_EQ(u32, WG_NT_BUILD_NUMBER);
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "nt!KdDebuggerDataBlock", &va, &size),
		 S_OK);
	CHECK_EQ(va, want_va(&kpo, WG_KERNEL_BASE, "KdDebuggerDataBlock"));
	CHECK_EQ(size, po_find_udt(&kpo, "_KDDEBUGGER_DATA64")->size);
	/* The driver, by module name (its symbols load on demand). */
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "hvsdrv!HvsDrvGlobals", &va, &size),
		 S_OK);
	CHECK_EQ(va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvGlobals"));
	CHECK_EQ(size, po_find_udt(&dpo, "_HVSDRV_GLOBALS")->size);
	CHECK_HR(ReadSavedStateGlobalVariable(h, 0, "hvsdrv!HvsDrvDebugLevel", &u32, 4), S_OK);
	CHECK_EQ(u32, 2);
	/* Reads see memory fixes (api.md 2.5): patch the middle two bytes. */
	{
		uint8_t fix[2] = { 0xAB, 0xCD };
		CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "hvsdrv!HvsDrvDebugLevel", &va,
								NULL), S_OK);
		CHECK_EQ(va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvDebugLevel"));
		CHECK_HR(ApplyGuestMemoryFix(h, 0, va + 1, fix, 2), S_OK);
		CHECK_HR(ReadSavedStateGlobalVariable(h, 1, "HvsDrvDebugLevel", &u32, 4), S_OK);
		CHECK_EQ(u32, 0x00CDAB02);
	}
	/* Unknown names, bad arguments. */
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "nt!NoSuchGlobal", &va, NULL),
		 VMSD_E_NOT_FOUND);
	CHECK_HR(ReadSavedStateGlobalVariable(h, 0, "nosuchmodule!X", &u32, 4), VMSD_E_NOT_FOUND);
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 9, "nt!NtBuildNumber", &va, NULL),
		 E_INVALIDARG);
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "nt!NtBuildNumber", NULL, NULL),
		 E_POINTER);
	CHECK_HR(ReleaseSavedStateSymbolProvider(h), S_OK);
	CHECK(GetSavedStateSymbolProviderHandle(h) == NULL);
	CHECK_HR(ReadSavedStateGlobalVariable(h, 0, "nt!NtBuildNumber", &u32, 4), E_UNEXPECTED);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

static void test_vmsd_sym__types(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h;
	ULONG size = 1;
	UINT32 off = 0;
	BOOL found = FALSE;
	LPWSTR map = NULL;
	char *utf8;
	size_t i, n;
	jm_val *v;
	const po_udt *u;
	const po_member *m;
	/* FieldSize of _HVSDRV_COUNTERS's members, from hvsdrv.c: ULONG64,
	 * ULONG64[4], then ULONG for Flags and the four bitfields. */
	static const uint64_t sizes[] = { 8, 32, 4, 4, 4, 4, 4 };
	NEED_WINGUEST();
	test_setenv("_NT_SYMBOL_PATH", "");
	h = load();
	CHECK(h != NULL);
	CHECK_HR(load_symbols(h, "srv*" WG_DIR "/symbols", FALSE), S_OK);
	u = po_find_udt(&kpo, "_KLDR_DATA_TABLE_ENTRY");
	CHECK(u != NULL);
	CHECK_HR(GetSavedStateSymbolTypeSize(h, 0, "nt!_KLDR_DATA_TABLE_ENTRY", &size), S_OK);
	CHECK_EQ(size, u->size);
	CHECK_HR(GetSavedStateSymbolTypeSize(h, 0, "_KLDR_DATA_TABLE_ENTRY", &size), S_OK);
	CHECK_EQ(size, u->size);
	/* Unknown: 0 and S_OK (api.md 2.6). */
	CHECK_HR(GetSavedStateSymbolTypeSize(h, 0, "nt!_NO_SUCH_TYPE", &size), S_OK);
	CHECK_EQ(size, 0);
	for (i = 0; (m = po_member_at(&kpo, u, i)) != NULL; i++) {
		WCHAR *w = wide(m->name);
		CHECK(w != NULL);
		CHECK_HR(FindSavedStateSymbolFieldInType(h, 0, "nt!_KLDR_DATA_TABLE_ENTRY", w, &off,
							 &found), S_OK);
		free(w);
		CHECK(found);
		CHECK_EQ(off, m->offset);
	}
	CHECK_HR(FindSavedStateSymbolFieldInType(h, 0, "nt!_KLDR_DATA_TABLE_ENTRY", VMSD_WTEXT("dllbase"),
						 &off, &found), S_OK);
	CHECK(!found);
	CHECK_HR(FindSavedStateSymbolFieldInType(h, 0, "nt!_NOPE", VMSD_WTEXT("X"), &off, &found), S_OK);
	CHECK(!found);
	/* The field map of the driver's _HVSDRV_COUNTERS. */
	CHECK_HR(GetSavedStateSymbolFieldInfo(h, 0, "hvsdrv!_HVSDRV_COUNTERS", &map), S_OK);
	CHECK(map != NULL);
	for (n = 0; map[n]; n++)
		;
	utf8 = malloc(n + 1);
	CHECK(utf8 != NULL);
	for (i = 0; i <= n; i++)
		utf8[i] = (char)map[i]; /* ASCII names */
	VmSavedStateDumpFreeString(map);
	v = jm_parse(utf8, n, NULL, 0);
	free(utf8);
	CHECK(v != NULL);
	u = po_find_udt(&dpo, "_HVSDRV_COUNTERS");
	CHECK(u != NULL);
	for (i = 0; (m = po_member_at(&dpo, u, i)) != NULL; i++) {
		const jm_val *e = jm_get(v, m->name);
		uint64_t x;
		CHECK(e != NULL);
		CHECK(jm_u64(jm_get(e, "FieldOffset"), &x) == 0);
		CHECK_EQ(x, m->offset);
		CHECK(jm_u64(jm_get(e, "FieldSize"), &x) == 0);
		CHECK(i < sizeof sizes / sizeof sizes[0]);
		CHECK_EQ(x, sizes[i]);
	}
	CHECK_EQ(jm_len(v), i);
	jm_free(v);
	/* Unknown type: "{}". */
	CHECK_HR(GetSavedStateSymbolFieldInfo(h, 0, "hvsdrv!_NOPE", &map), S_OK);
	CHECK(map && map[0] == '{' && map[1] == '}' && map[2] == 0);
	VmSavedStateDumpFreeString(map);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

static void test_vmsd_sym__modules(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h;
	GUEST_VIRTUAL_ADDRESS va = 0;
	GUEST_OS_INFO os;
	NEED_WINGUEST();
	test_setenv("_NT_SYMBOL_PATH", "");
	h = load();
	CHECK(h != NULL);
	/* Before the provider: E_UNEXPECTED. */
	CHECK_HR(LoadSavedStateModuleSymbols(h, "hvsdrv.sys", "drv", WG_DRIVER_BASE, 0x5000),
		 E_UNEXPECTED);
	CHECK_HR(load_symbols(h, "srv*" WG_DIR "/symbols", FALSE), S_OK);
	CHECK_HR(LoadSavedStateModuleSymbolsEx(h, "hvsdrv.sys", 0x11111111, "drv", WG_DRIVER_BASE,
					       0x5000), E_INVALIDARG);
	CHECK_HR(LoadSavedStateModuleSymbolsEx(h, "hvsdrv.sys", 0x5F1D2C3B, "drv", WG_DRIVER_BASE,
					       0x5000), S_OK);
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "drv!HvsDrvBanner", &va, NULL), S_OK);
	CHECK_EQ(va, want_va(&dpo, WG_DRIVER_BASE, "HvsDrvBanner"));
	CHECK_HR(LoadSavedStateModuleSymbols(h, "x.sys", "x", WG_LARGE_VA, 0x1000),
		 VMSD_E_NOT_FOUND);
	/* The guest OS id is the one the guest reported (layout.h). */
	CHECK_HR(GetGuestOsInfo(h, 0, &os), S_OK);
	CHECK_EQ(os.AsUINT64, WG_GUEST_OS_ID);
	/* What GetGuestOsInfo reports for a guest that never wrote the MSR
	 * (vmsd_int.h), named from the kernel: the same TLFS encoding of
	 * Windows NT 10.0 build 19041 the fixture's guest reported. */
	{
		uint64_t id = 0;
		CHECK(vmsd__sym_os_info((vmsd_handle *)h, &id));
		CHECK_EQ(id, WG_GUEST_OS_ID);
	}
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

/* Copy @src into a one-tier store at @root under the kernel's key. */
static int store_with(const char *root, const char *src, size_t keep)
{
	char key[64], dir[1200], cmd[2600];
	char *p = key;
	const char *g;
	uint8_t *d;
	size_t n;
	int rc;
	for (g = kpo.guid; *g; g++)
		if (*g != '-')
			*p++ = *g;
	snprintf(p, sizeof key - (size_t)(p - key), "%X", kpo.age);
	snprintf(dir, sizeof dir, "%s/ntkrnlmp.pdb/%s", root, key);
	if (test_rmtree(root) != 0 || test_mkdirs(dir) != 0)
		return -1;
	d = test_read_file(src, &n);
	if (!d)
		return -1;
	snprintf(cmd, sizeof cmd, "%s/ntkrnlmp.pdb", dir);
	rc = test_write_file(cmd, d, keep && keep < n ? keep : n);
	free(d);
	return rc;
}

static void test_vmsd_sym__failures(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h;
	char root[1024], path[1100];
	NEED_WINGUEST();
	h = load();
	CHECK(h != NULL);
	/* No symbols anywhere (an empty _NT_SYMBOL_PATH, no user path). */
	test_setenv("_NT_SYMBOL_PATH", "");
	CHECK_HR(LoadSavedStateSymbolProvider(h, NULL, FALSE), VMSD_E_NOT_FOUND);
	CHECK(GetSavedStateSymbolProviderHandle(h) == NULL);
	/* _NT_SYMBOL_PATH is used when userSymbols is NULL. */
	test_setenv("_NT_SYMBOL_PATH", "srv*" WG_DIR "/symbols");
	CHECK_HR(LoadSavedStateSymbolProvider(h, NULL, FALSE), S_OK);
	CHECK_HR(ReleaseSavedStateSymbolProvider(h), S_OK);
	test_setenv("_NT_SYMBOL_PATH", "");
	/* A damaged kernel PDB: ERROR_FILE_CORRUPT, and the callback says why. */
	snprintf(root, sizeof root, "%s", test_tmp_path("vmsd_sym_damaged"));
	CHECK(store_with(root, WG_DIR "/ntkrnlmp.pdb", 4096 + 100) == 0);
	snprintf(path, sizeof path, "srv*%s", root);
	CHECK_HR(SetSavedStateSymbolProviderDebugInfoCallback(h, on_debug), S_OK);
	lastmsgs[0] = '\0';
	CHECK_HR(load_symbols(h, path, FALSE), VMSD_E_FILE_CORRUPT);
	CHECK(strstr(lastmsgs, "damaged") != NULL);
	/* The wrong PDB under the kernel's key: not found. */
	snprintf(root, sizeof root, "%s", test_tmp_path("vmsd_sym_wrong"));
	CHECK(store_with(root, WG_DIR "/hvsdrv.pdb", 0) == 0);
	snprintf(path, sizeof path, "srv*%s", root);
	CHECK_HR(load_symbols(h, path, FALSE), VMSD_E_NOT_FOUND);
	CHECK(GetSavedStateSymbolProviderHandle(h) == NULL);
	/* A symbol path that cannot be parsed. */
	CHECK_HR(load_symbols(h, "srv*", FALSE), E_INVALIDARG);
	CHECK_HR(LoadSavedStateSymbolProvider(NULL, NULL, FALSE), E_HANDLE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

TEST_MAIN(TEST(test_vmsd_sym__globals), TEST(test_vmsd_sym__types),
	  TEST(test_vmsd_sym__modules), TEST(test_vmsd_sym__failures))
