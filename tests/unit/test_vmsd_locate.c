/* SPDX-License-Identifier: MIT */
/*
 * LocateSavedStateFiles offline (compat/vmsd_locate.c): a fake Hyper-V
 * folder tree under the test tmp directory, with .vmcx configurations
 * written by the container writer (tests/gen/gen_store.h) and saved-state
 * files beside them; every output is checked against the DLL's three-path
 * convention (api.md 2.1): .vmrs -> bin and vsv ""; .bin + .vsv -> vmrs "";
 * nothing -> all three "".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "gen_store.h"
#include "vmsavedstatedump.h"
#include "vmsd_wtext.h"

#ifdef _WIN32
#  include <windows.h>
#endif

#define CHECK_HR(expr, want) CHECK_EQ((uint32_t)(expr), (uint32_t)(want))


static char root1[2048], root2[2048];

/* The separators the library uses on this system: between folders of a
 * search list (also ':' off Windows, tested here), and in the paths it
 * builds below a search folder. */
#ifdef _WIN32
#  define LIST_SEP ";"
#  define DIR_SEP '\\'
#else
#  define LIST_SEP ":"
#  define DIR_SEP '/'
#endif

/* The path LocateSavedStateFiles returns for @rel ('/'-separated) below
 * the search folder @root. */
static void expect(char *out, size_t size, const char *root, const char *rel)
{
	size_t i, n;
	snprintf(out, size, "%s%c%s", root, DIR_SEP, rel);
	for (i = strlen(root) + 1, n = strlen(out); i < n; i++)
		if (out[i] == '/')
			out[i] = DIR_SEP;
}

/* One .vmcx: name, global_id, type_id (NULL: key absent). */
static int vmcx(const char *path, const char *name, const char *gid, const char *type)
{
	gen_key k[4];
	size_t n = 0;
	char err[256];
	memset(k, 0, sizeof k);
	k[n].path = "/configuration/properties/name";
	k[n].type = GEN_STRING;
	k[n++].s = name;
	if (gid) {
		k[n].path = "/configuration/properties/global_id";
		k[n].type = GEN_STRING;
		k[n++].s = gid;
	}
	if (type) {
		k[n].path = "/configuration/properties/type_id";
		k[n].type = GEN_STRING;
		k[n++].s = type;
	}
	k[n].path = "/configuration/properties/version";
	k[n].type = GEN_INT;
	k[n++].i = 0x900;
	if (gen_store_write(path, k, n, err, sizeof err) != HVS_OK) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static int touch(const char *path)
{
	return test_write_file(path, "x", 1);
}

/* Build the tree once; returns 0 on success. */
static int build_tree(void)
{
	static int built;
	char p[4096];
	const char *t;
	static const uint8_t junk[64] = { 1, 2, 3 };
	if (built)
		return 0;
	t = test_tmp_path("vmsd_locate");
	if (!t)
		return -1;
	snprintf(root1, sizeof root1, "%s/root1", t);
	snprintf(root2, sizeof root2, "%s/root2", t);
#define MK(...) do { snprintf(p, sizeof p, __VA_ARGS__); if (test_mkdirs(p)) return -1; } while (0)
#define P(...) (snprintf(p, sizeof p, __VA_ARGS__), p)
	MK("%s/VM1/Virtual Machines", root1);
	MK("%s/VM1/Snapshots", root1);
	MK("%s/VM2/Virtual Machines/BBBB", root1);
	MK("%s/VM3/Virtual Machines", root1);
	MK("%s/VM4/Virtual Machines", root1);
	MK("%s/VM4/Snapshots", root1);
	MK("%s/VM5/Virtual Machines", root1);
	MK("%s/VM5/Snapshots", root1);
	MK("%s/Virtual Machines", root2);
	/* VM1: a saved VM with two checkpoints, one of them saved. */
	if (vmcx(P("%s/VM1/Virtual Machines/AAAA.vmcx", root1), "Web Server", "AAAA",
		 "Virtual Machines") ||
	    touch(P("%s/VM1/Virtual Machines/AAAA.vmrs", root1)) ||
	    vmcx(P("%s/VM1/Snapshots/S1.vmcx", root1), "Before update", "AAAA", "Snapshots") ||
	    touch(P("%s/VM1/Snapshots/S1.vmrs", root1)) ||
	    vmcx(P("%s/VM1/Snapshots/S2.vmcx", root1), "No state", "AAAA", "Snapshots"))
		return -1;
	/* VM2: legacy .bin + .vsv in <dir>/<GUID>/. */
	if (vmcx(P("%s/VM2/Virtual Machines/BBBB.vmcx", root1), "Legacy VM", "BBBB",
		 "Virtual Machines") ||
	    touch(P("%s/VM2/Virtual Machines/BBBB/BBBB.bin", root1)) ||
	    touch(P("%s/VM2/Virtual Machines/BBBB/BBBB.vsv", root1)))
		return -1;
	/* VM3: never saved.  VM4: a checkpoint with VM1's checkpoint name. */
	if (vmcx(P("%s/VM3/Virtual Machines/CCCC.vmcx", root1), "Stopped", "CCCC", NULL) ||
	    vmcx(P("%s/VM4/Virtual Machines/DDDD.vmcx", root1),
		 "\xD0\xA1\xD0\xB5\xD1\x80\xD0\xB2\xD0\xB5\xD1\x80 \xC3\xBC", "DDDD",
		 "Virtual Machines") ||
	    vmcx(P("%s/VM4/Snapshots/S3.vmcx", root1), "Before update", "DDDD", "Snapshots") ||
	    touch(P("%s/VM4/Snapshots/S3.vmrs", root1)))
		return -1;
	/* VM5: a checkpoint without global_id, found through its folder. */
	if (vmcx(P("%s/VM5/Virtual Machines/FFFF.vmcx", root1), "Folder VM", "FFFF", NULL) ||
	    vmcx(P("%s/VM5/Snapshots/S5.vmcx", root1), "snap", NULL, NULL) ||
	    touch(P("%s/VM5/Snapshots/S5.vmrs", root1)))
		return -1;
	/* Junk that must be skipped, and a second search folder. */
	if (test_write_file(P("%s/junk.vmcx", root1), junk, sizeof junk) ||
	    vmcx(P("%s/Virtual Machines/EEEE.vmcx", root2), "Second Root", "EEEE", NULL) ||
	    touch(P("%s/Virtual Machines/EEEE.vmrs", root2)))
		return -1;
#undef MK
#undef P
	built = 1;
	return 0;
}

/* Locate and compare the three outputs with the expected UTF-8 paths. */
#define LOCATE_OK(vm, snap, want_bin, want_vsv, want_vmrs)                     \
	do {                                                                   \
		LPWSTR lb_ = NULL, lv_ = NULL, lr_ = NULL;                        \
		char lwb_[4096], lwv_[4096], lwr_[4096];                          \
		snprintf(lwb_, sizeof lwb_, "%s", want_bin);                     \
		snprintf(lwv_, sizeof lwv_, "%s", want_vsv);                     \
		snprintf(lwr_, sizeof lwr_, "%s", want_vmrs);                    \
		CHECK_HR(LocateSavedStateFiles(W(vm), (snap) ? W(snap) : NULL, \
					       &lb_, &lv_, &lr_), S_OK);          \
		CHECK(lb_ && lv_ && lr_);                                         \
		CHECK_STR(U(lb_), lwb_);                                         \
		CHECK_STR(U(lv_), lwv_);                                         \
		CHECK_STR(U(lr_), lwr_);                                         \
		VmSavedStateDumpFreeString(lb_);                                \
		VmSavedStateDumpFreeString(lv_);                                \
		CHECK(LocalFree(lr_) == NULL);                                  \
	} while (0)

static int set_env(const char *v)
{
	return test_setenv("HVS_VM_SEARCH_PATH", v);
}

static void test_vmsd_locate__env(void)
{
	char list[4200], p[4096], q[4096];
	LPWSTR b = (LPWSTR)1, v = (LPWSTR)1, r = (LPWSTR)1;
	if (build_tree())
		SKIP("cannot build the folder tree");
	snprintf(list, sizeof list, "%s" LIST_SEP "%s", root1, root2);
	CHECK(set_env(list) == 0);
	/* A saved VM: the .vmrs, bin and vsv "". */
	expect(p, sizeof p, root1, "VM1/Virtual Machines/AAAA.vmrs");
	LOCATE_OK("Web Server", NULL, "", "", p);
	LOCATE_OK("web SERVER", NULL, "", "", p); /* names compare case-insensitively */
	/* Its saved checkpoint, and one without saved state (all ""). */
	expect(p, sizeof p, root1, "VM1/Snapshots/S1.vmrs");
	LOCATE_OK("Web Server", "Before update", "", "", p);
	LOCATE_OK("Web Server", "No state", "", "", "");
	/* The same checkpoint name on another VM (non-ASCII VM name). */
	expect(p, sizeof p, root1, "VM4/Snapshots/S3.vmrs");
	LOCATE_OK("\xD0\xA1\xD0\xB5\xD1\x80\xD0\xB2\xD0\xB5\xD1\x80 \xC3\xBC", "Before update",
		  "", "", p);
	/* Legacy pair: bin and vsv, vmrs "". */
	expect(p, sizeof p, root1, "VM2/Virtual Machines/BBBB/BBBB.bin");
	expect(q, sizeof q, root1, "VM2/Virtual Machines/BBBB/BBBB.vsv");
	LOCATE_OK("Legacy VM", NULL, p, q, "");
	/* Never saved: S_OK, all three "". */
	LOCATE_OK("Stopped", NULL, "", "", "");
	/* A checkpoint known by its folder only. */
	expect(p, sizeof p, root1, "VM5/Snapshots/S5.vmrs");
	LOCATE_OK("Folder VM", "snap", "", "", p);
	/* The second folder of the list. */
	expect(p, sizeof p, root2, "Virtual Machines/EEEE.vmrs");
	LOCATE_OK("Second Root", NULL, "", "", p);
	/* Unknown VM or checkpoint: ERROR_NOT_FOUND, outputs NULL. */
	CHECK_HR(LocateSavedStateFiles(W("Nope"), NULL, &b, &v, &r), 0x80070490);
	CHECK(b == NULL && v == NULL && r == NULL);
	CHECK_HR(LocateSavedStateFiles(W("Web Server"), W("Nope"), &b, &v, &r), 0x80070490);
	/* A checkpoint name is not a VM name. */
	CHECK_HR(LocateSavedStateFiles(W("Before update"), NULL, &b, &v, &r), 0x80070490);
	/* Arguments. */
	CHECK_HR(LocateSavedStateFiles(W("Web Server"), NULL, NULL, &v, &r), E_POINTER);
	CHECK_HR(LocateSavedStateFiles(NULL, NULL, &b, &v, &r), E_INVALIDARG);
	/* No search path at all: nothing can be found. */
	CHECK(set_env(NULL) == 0);
	CHECK_HR(LocateSavedStateFiles(W("Web Server"), NULL, &b, &v, &r), 0x80070490);
}

static void test_vmsd_locate__api_path(void)
{
	char p[4096];
	LPWSTR b, v, r;
	static const WCHAR bad[] = { 0xDC00, 0 };
	if (build_tree())
		SKIP("cannot build the folder tree");
	CHECK(set_env(root1) == 0);
	/* The API setting replaces the environment variable... */
	CHECK_HR(VmSavedStateDumpSetSearchPath(W(root2)), S_OK);
	expect(p, sizeof p, root2, "Virtual Machines/EEEE.vmrs");
	LOCATE_OK("Second Root", NULL, "", "", p);
	CHECK_HR(LocateSavedStateFiles(W("Web Server"), NULL, &b, &v, &r), 0x80070490);
	/* ...until reset with NULL. */
	CHECK_HR(VmSavedStateDumpSetSearchPath(NULL), S_OK);
	expect(p, sizeof p, root1, "VM1/Virtual Machines/AAAA.vmrs");
	LOCATE_OK("Web Server", NULL, "", "", p);
	CHECK_HR(VmSavedStateDumpSetSearchPath(bad), E_INVALIDARG);
	CHECK(set_env(NULL) == 0);
}

/*
 * Folders and files with non-ASCII names (Latin, Cyrillic, and U+1F600,
 * a surrogate pair in UTF-16), given through the environment variable and
 * through VmSavedStateDumpSetSearchPath: the walk, the .vmcx and the .vmrs
 * beside it are found, and the path comes back unchanged.
 */
static void test_vmsd_locate__unicode_folder(void)
{
	char root3[2048], p[4096];
	const char *t = test_tmp_path("vmsd_locate_uni");
	CHECK(t != NULL);
	snprintf(root3, sizeof root3, "%s/r\xC3\xA9pertoire_\xD0\xBF\xD0\xB0\xD0\xBF\xD0\xBA\xD0\xB0_"
		 "\xF0\x9F\x98\x80", t);
	CHECK(test_rmtree(t) == 0);
	snprintf(p, sizeof p, "%s/VM \xF0\x9F\x98\x80/Virtual Machines", root3);
	CHECK(test_mkdirs(p) == 0);
	CHECK(vmcx(strcat(strcpy(p, root3), "/VM \xF0\x9F\x98\x80/Virtual Machines/G\xC3\xA9.vmcx"),
		   "Unicode \xF0\x9F\x98\x80", "G1", NULL) == 0);
	CHECK(touch(strcat(strcpy(p, root3), "/VM \xF0\x9F\x98\x80/Virtual Machines/G\xC3\xA9.vmrs")) ==
	      0);
	CHECK_HR(VmSavedStateDumpSetSearchPath(NULL), S_OK);
	CHECK(set_env(root3) == 0);
	expect(p, sizeof p, root3, "VM \xF0\x9F\x98\x80/Virtual Machines/G\xC3\xA9.vmrs");
	LOCATE_OK("Unicode \xF0\x9F\x98\x80", NULL, "", "", p);
	CHECK(set_env(NULL) == 0);
	CHECK_HR(VmSavedStateDumpSetSearchPath(W(root3)), S_OK);
	LOCATE_OK("unicode \xF0\x9F\x98\x80", NULL, "", "", p);
	CHECK_HR(VmSavedStateDumpSetSearchPath(NULL), S_OK);
}

#ifdef _WIN32
/* Where the test puts HKLM for this process (RegOverridePredefKey), so
 * that no machine setting is read or changed. */
#define FAKE_HKLM L"Software\\hvsavedstate-tests\\test_vmsd_locate\\HKLM"

/* Point this process's HKLM at a key under HKCU and set Hyper-V's default
 * VM folder there to @root (REG_EXPAND_SZ, expanded by the library); NULL
 * restores the real HKLM and deletes the fake one.  0 on success. */
static int fake_registry_root(const char *root)
{
	HKEY fake, virt;
	LONG rc;
	if (!root) {
		RegOverridePredefKey(HKEY_LOCAL_MACHINE, NULL);
		RegDeleteTreeW(HKEY_CURRENT_USER, L"Software\\hvsavedstate-tests");
		return 0;
	}
	if (RegCreateKeyExW(HKEY_CURRENT_USER, FAKE_HKLM, 0, NULL, 0, KEY_ALL_ACCESS, NULL,
			    &fake, NULL) != ERROR_SUCCESS)
		return -1;
	rc = RegCreateKeyExW(fake, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization",
			     0, NULL, 0, KEY_ALL_ACCESS, NULL, &virt, NULL);
	if (rc == ERROR_SUCCESS) {
		/* %HVS_TEST_VM_ROOT% is expanded when read, as Windows would. */
		static const WCHAR v[] = L"%HVS_TEST_VM_ROOT%";
		rc = RegSetValueExW(virt, L"DefaultExternalDataRoot", 0, REG_EXPAND_SZ,
				    (const BYTE *)v, sizeof v);
		RegCloseKey(virt);
	}
	if (rc == ERROR_SUCCESS && test_setenv("HVS_TEST_VM_ROOT", root) != 0)
		rc = ERROR_INVALID_FUNCTION;
	if (rc == ERROR_SUCCESS)
		rc = RegOverridePredefKey(HKEY_LOCAL_MACHINE, fake);
	RegCloseKey(fake);
	return rc == ERROR_SUCCESS ? 0 : -1;
}
#endif

/*
 * Windows: after the configured folders, the Hyper-V default folders are
 * searched, the host's default VM folder from the registry (here a fake
 * HKLM) first, then %ProgramData%\Microsoft\Windows\Hyper-V (here a
 * temporary ProgramData).  Nothing of the machine is read or changed.
 */
static void test_vmsd_locate__windows_defaults(void)
{
#ifndef _WIN32
	SKIP("Windows only: the Hyper-V default folders (registry, %%ProgramData%%)");
#else
	char pd[2048], reg[2048], hv[2300], p[4096], saved_pd[2048] = "";
	LPWSTR b, v, r;
	const char *t = test_tmp_path("vmsd_locate_win"), *old = getenv("ProgramData");
	CHECK(t != NULL);
	if (old)
		snprintf(saved_pd, sizeof saved_pd, "%s", old);
	snprintf(pd, sizeof pd, "%s/ProgramData", t);
	snprintf(reg, sizeof reg, "%s/VMRoot", t);
	snprintf(hv, sizeof hv, "%s/Microsoft/Windows/Hyper-V", pd);
	CHECK(test_rmtree(t) == 0);
	snprintf(p, sizeof p, "%s/Virtual Machines", hv);
	CHECK(test_mkdirs(p) == 0);
	snprintf(p, sizeof p, "%s/Virtual Machines", reg);
	CHECK(test_mkdirs(p) == 0);
	/* The same VM name in both folders, and one in each only. */
	CHECK(vmcx(strcat(strcpy(p, hv), "/Virtual Machines/P1.vmcx"), "Both", "P1", NULL) == 0);
	CHECK(touch(strcat(strcpy(p, hv), "/Virtual Machines/P1.vmrs")) == 0);
	CHECK(vmcx(strcat(strcpy(p, hv), "/Virtual Machines/P2.vmcx"), "PD only", "P2", NULL) == 0);
	CHECK(touch(strcat(strcpy(p, hv), "/Virtual Machines/P2.vmrs")) == 0);
	CHECK(vmcx(strcat(strcpy(p, reg), "/Virtual Machines/R1.vmcx"), "Both", "R1", NULL) == 0);
	CHECK(touch(strcat(strcpy(p, reg), "/Virtual Machines/R1.vmrs")) == 0);
	CHECK(vmcx(strcat(strcpy(p, reg), "/Virtual Machines/R2.vmcx"), "Reg only", "R2", NULL) == 0);
	CHECK(touch(strcat(strcpy(p, reg), "/Virtual Machines/R2.vmrs")) == 0);
	CHECK(set_env(NULL) == 0);
	CHECK_HR(VmSavedStateDumpSetSearchPath(NULL), S_OK);
	CHECK(test_setenv("ProgramData", pd) == 0);

	/* %ProgramData% alone (no registry value yet). */
	expect(p, sizeof p, pd, "Microsoft/Windows/Hyper-V/Virtual Machines/P2.vmrs");
	LOCATE_OK("PD only", NULL, "", "", p);
	expect(p, sizeof p, pd, "Microsoft/Windows/Hyper-V/Virtual Machines/P1.vmrs");
	LOCATE_OK("Both", NULL, "", "", p);
	CHECK_HR(LocateSavedStateFiles(VMSD_WTEXT("Reg only"), NULL, &b, &v, &r), 0x80070490);

	/* The registry's folder comes first; %ProgramData% is still searched. */
	if (fake_registry_root(reg) != 0) {
		fake_registry_root(NULL);
		SKIP("cannot redirect HKLM to a test key (RegOverridePredefKey)");
	}
	expect(p, sizeof p, reg, "Virtual Machines/R2.vmrs");
	LOCATE_OK("Reg only", NULL, "", "", p);
	expect(p, sizeof p, reg, "Virtual Machines/R1.vmrs");
	LOCATE_OK("Both", NULL, "", "", p);
	expect(p, sizeof p, pd, "Microsoft/Windows/Hyper-V/Virtual Machines/P2.vmrs");
	LOCATE_OK("PD only", NULL, "", "", p);

	/* Configured folders come before both. */
	CHECK(build_tree() == 0);
	CHECK(vmcx(strcat(strcpy(p, root2), "/Virtual Machines/B9.vmcx"), "Both", "B9", NULL) == 0);
	CHECK(touch(strcat(strcpy(p, root2), "/Virtual Machines/B9.vmrs")) == 0);
	CHECK(set_env(root2) == 0);
	expect(p, sizeof p, root2, "Virtual Machines/B9.vmrs");
	LOCATE_OK("Both", NULL, "", "", p);
	CHECK(set_env(NULL) == 0);
	fake_registry_root(NULL);
	test_setenv("HVS_TEST_VM_ROOT", NULL);
	CHECK(test_setenv("ProgramData", old ? saved_pd : NULL) == 0);
#endif
}

TEST_MAIN(TEST(test_vmsd_locate__env), TEST(test_vmsd_locate__api_path),
	  TEST(test_vmsd_locate__unicode_folder), TEST(test_vmsd_locate__windows_defaults))
