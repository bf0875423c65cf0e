/* SPDX-License-Identifier: MIT */
/*
 * LocateSavedStateFiles without Hyper-V (api.md 2.1; docs/sdk.md
 * "LocateSavedStateFiles").  Microsoft's DLL asks the Hyper-V service
 * through WMI; here the VM is found offline, in copies of Hyper-V VM
 * folders, by reading the .vmcx configuration files with the native
 * container reader (hvs/store.h).
 *
 * Hyper-V folder layout (Windows Server 2016 / Windows 10 and later,
 * configuration version 6.2+; Microsoft "Hyper-V virtual machine files"):
 *     <folder>/Virtual Machines/<VM GUID>.vmcx     configuration
 *     <folder>/Virtual Machines/<VM GUID>.vmrs     runtime / saved state
 *     <folder>/Snapshots/<snapshot GUID>.vmcx      one per checkpoint
 *     <folder>/Snapshots/<snapshot GUID>.vmrs      its saved state
 * and for older saved states (Server 2012 R2 layout, api.md 2.1):
 *     <dir of the .vmcx>/<GUID>/<GUID>.bin + <GUID>.vsv
 * Keys read from a .vmcx (observed in ../shared/samples/test.vmcx,
 * version 0x900): /configuration/properties/name (display name),
 * /configuration/properties/global_id (the VM's GUID, also the file stem)
 * and /configuration/properties/type_id ("Virtual Machines").  How a
 * checkpoint's .vmcx names its VM is an assumption (no real checkpoint
 * file was available): it is taken to carry the VM's GUID in global_id,
 * as WMI's VirtualSystemIdentifier is shared by a VM and its snapshots;
 * a checkpoint .vmcx is recognised by a type_id containing "Snapshot" or
 * by its "Snapshots" folder.
 *
 * Search folders: VmSavedStateDumpSetSearchPath(), else the environment
 * variable HVS_VM_SEARCH_PATH; a list separated by ';' (and ':' outside
 * Windows).  On Windows the Hyper-V default folders follow (see
 * default_folders()).  Each folder is searched recursively (depth 4) for
 * *.vmcx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#  include <windows.h>
#else
#  include <dirent.h>
#  include <sys/stat.h>
#endif

#include "vmsd_int.h"

/* Directory levels below a search folder that are looked at: enough for
 * <folder>/<VM>/Virtual Machines/<x>.vmcx. */
#define LOCATE_MAX_DEPTH 4
/* Longest path built (bytes, NUL included). */
#define LOCATE_PATH_MAX 4096

#ifdef _WIN32
#  define LIST_SEPS ";"
#  define DIR_SEP "\\"
#else
#  define LIST_SEPS ";:"
#  define DIR_SEP "/"
#endif

/* The search path set by VmSavedStateDumpSetSearchPath (UTF-8), or NULL.
 * Process-wide, like the function it configures (which takes no handle). */
static char *g_search_path;

/* A .vmcx that was read: what the search needs from it. */
typedef struct vmcx {
	char path[LOCATE_PATH_MAX];
	char name[512];
	char global_id[64];
	int is_snapshot;
} vmcx;

/* What a search is looking for, and what it found. */
typedef struct search {
	const char *vm_name;
	const char *snap_name;   /* NULL: the VM itself */
	vmcx vm;                 /* the VM's .vmcx, once found */
	int have_vm;
	vmcx *snaps;             /* checkpoint .vmcx files named snap_name */
	size_t nsnaps;
	HRESULT hr;              /* E_OUTOFMEMORY when a list could not grow */
} search;

/* ASCII case-insensitive equality (Hyper-V names compare that way in
 * PowerShell; non-ASCII bytes must match exactly). */
static int name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* Does @s contain @w, ASCII case-insensitively? */
static int contains_ci(const char *s, const char *w)
{
	size_t n = strlen(w), i;
	char buf[64];
	for (; *s; s++) {
		for (i = 0; i < n && s[i]; i++)
			buf[i] = s[i];
		buf[i] = '\0';
		if (i == n && name_eq(buf, w))
			return 1;
	}
	return 0;
}

/* Read string key @key of @st into @buf ("" when absent or not a string). */
static void get_str(hvs_store *st, const char *key, char *buf, size_t size)
{
	const hvs_key *k;
	buf[0] = '\0';
	if (hvs_store_find(st, key, &k) != HVS_OK ||
	    hvs_key_get_string(st, k, buf, size, NULL) != HVS_OK)
		buf[0] = '\0';
}

/* Does @path end with @ext (ASCII case-insensitive)? */
static int has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), m = strlen(ext);
	return n > m && name_eq(path + n - m, ext);
}

/* The folder name that holds @path ("Snapshots" for .../Snapshots/x.vmcx). */
static int in_folder(const char *path, const char *folder)
{
	const char *end = strrchr(path, '/'), *start;
#ifdef _WIN32
	const char *b = strrchr(path, '\\');
	if (!end || (b && b > end))
		end = b;
#endif
	char buf[64];
	size_t n;
	if (!end)
		return 0;
	start = end;
	while (start > path && start[-1] != '/' && start[-1] != '\\')
		start--;
	n = (size_t)(end - start);
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return name_eq(buf, folder);
}

/* Look at one .vmcx: remember it if it is the VM or a wanted checkpoint. */
static void consider(search *s, const char *path)
{
	hvs_store *st = NULL;
	vmcx c;
	char type_id[128];
	if (strlen(path) >= sizeof c.path)
		return;
	/* Unreadable or foreign files are skipped: the folder may hold
	 * anything (api.md 2.1 gives no error for them). */
	if (hvs_store_open_file(&st, path, NULL) != HVS_OK)
		return;
	memset(&c, 0, sizeof c);
	strcpy(c.path, path);
	get_str(st, "/configuration/properties/name", c.name, sizeof c.name);
	get_str(st, "/configuration/properties/global_id", c.global_id, sizeof c.global_id);
	get_str(st, "/configuration/properties/type_id", type_id, sizeof type_id);
	hvs_store_close(st);
	c.is_snapshot = contains_ci(type_id, "snapshot") || in_folder(path, "Snapshots");

	if (!c.is_snapshot) {
		/* The first VM of that name wins (directory order is sorted). */
		if (!s->have_vm && name_eq(c.name, s->vm_name)) {
			s->vm = c;
			s->have_vm = 1;
		}
	} else if (s->snap_name && name_eq(c.name, s->snap_name)) {
		vmcx *g = realloc(s->snaps, (s->nsnaps + 1) * sizeof *g);
		if (!g) {
			s->hr = E_OUTOFMEMORY;
			return;
		}
		s->snaps = g;
		s->snaps[s->nsnaps++] = c;
	}
}

/* Length of the part of @path before its last two components
 * ("<folder>" of "<folder>/Snapshots/x.vmcx"); 0 when there is none. */
static size_t grandparent_len(const char *path)
{
	size_t n = strlen(path);
	int seps = 0;
	while (n > 0) {
		n--;
		if ((path[n] == '/' || path[n] == '\\') && ++seps == 2)
			return n;
	}
	return 0;
}

/* Are the two configurations in the same VM folder (<folder>/Virtual
 * Machines/ and <folder>/Snapshots/)? */
static int same_vm_folder(const char *a, const char *b)
{
	size_t n = grandparent_len(a);
	return n && n == grandparent_len(b) && !memcmp(a, b, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append a copy of the name @e to the list *@names of *@n; 0 when out
 * of memory (s->hr set). */
static int add_name(search *s, char ***names, size_t *n, const char *e)
{
	char **g;
	if (!strcmp(e, ".") || !strcmp(e, ".."))
		return 1;
	g = realloc(*names, (*n + 1) * sizeof *g);
	if (!g) {
		s->hr = E_OUTOFMEMORY;
		return 0;
	}
	*names = g;
	g[*n] = malloc(strlen(e) + 1);
	if (!g[*n]) {
		s->hr = E_OUTOFMEMORY;
		return 0;
	}
	strcpy(g[*n], e);
	(*n)++;
	return 1;
}

/* The entries of the folder @dir (UTF-8 names, unsorted) into *@names. */
static void list_dir(search *s, const char *dir, char ***names, size_t *n)
{
#ifdef _WIN32
	/* Through the UTF-16 API: names outside the ANSI code page survive. */
	char pattern[LOCATE_PATH_MAX];
	WIN32_FIND_DATAW fd;
	LPWSTR wpat;
	HANDLE h;
	if ((size_t)snprintf(pattern, sizeof pattern, "%s\\*", dir) >= sizeof pattern)
		return;
	wpat = vmsd__to_utf16(pattern);
	if (!wpat) {
		s->hr = E_OUTOFMEMORY;
		return;
	}
	h = FindFirstFileW(wpat, &fd);
	LocalFree(wpat);
	if (h == INVALID_HANDLE_VALUE)
		return;
	do {
		HRESULT hr;
		char *e = vmsd__to_utf8(fd.cFileName, &hr);
		int ok;
		if (!e) {
			if (hr == E_OUTOFMEMORY) {
				s->hr = hr;
				break;
			}
			continue; /* not valid UTF-16: cannot be named in UTF-8 */
		}
		ok = add_name(s, names, n, e);
		free(e);
		if (!ok)
			break;
	} while (FindNextFileW(h, &fd));
	FindClose(h);
#else
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
		if (!add_name(s, names, n, de->d_name))
			break;
	closedir(d);
#endif
}

/* Recursively visit the *.vmcx under @dir, in sorted order. */
static void walk(search *s, const char *dir, int depth)
{
	char **names = NULL;
	size_t n = 0, i;
	list_dir(s, dir, &names, &n);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		char path[LOCATE_PATH_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s" DIR_SEP "%s", dir, names[i]) <
		    sizeof path) {
			if (has_ext(path, ".vmcx"))
				consider(s, path);
			else if (depth < LOCATE_MAX_DEPTH)
				walk(s, path, depth + 1); /* fails quietly for files */
		}
		free(names[i]);
	}
	free(names);
}

/* Does @path exist as a regular file? */
static int file_exists(const char *path)
{
#ifdef _WIN32
	LPWSTR w = vmsd__to_utf16(path);
	DWORD a;
	if (!w)
		return 0;
	a = GetFileAttributesW(w);
	LocalFree(w);
	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
#else
	struct stat sb;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	fclose(f);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
#endif
}

/*
 * The saved-state files of the configuration at @cfg (a .vmcx path):
 * <stem>.vmrs, else <dir>/<stem>/<stem>.bin + .vsv (both needed).
 * Writes the found paths (or "") into the three buffers.
 */
static void state_files(const char *cfg, char *vmrs, char *bin, char *vsv, size_t size)
{
	size_t n = strlen(cfg) - 5; /* without ".vmcx" */
	const char *base = cfg + n;
	vmrs[0] = bin[0] = vsv[0] = '\0';
	if (n + 6 > size)
		return;
	memcpy(vmrs, cfg, n);
	strcpy(vmrs + n, ".vmrs");
	if (file_exists(vmrs))
		return;
	vmrs[0] = '\0';
	/* The stem's file name (the GUID), for <dir>/<GUID>/<GUID>.bin. */
	while (base > cfg && base[-1] != '/' && base[-1] != '\\')
		base--;
	if ((size_t)snprintf(bin, size, "%.*s" DIR_SEP "%.*s.bin", (int)n, cfg,
			     (int)(cfg + n - base), base) >= size ||
	    (size_t)snprintf(vsv, size, "%.*s" DIR_SEP "%.*s.vsv", (int)n, cfg,
			     (int)(cfg + n - base), base) >= size ||
	    !file_exists(bin) || !file_exists(vsv))
		bin[0] = vsv[0] = '\0';
}

/* Run the search over every folder of the list @list (UTF-8). */
static void search_all(search *s, const char *list)
{
	char *copy = malloc(strlen(list) + 1), *p, *tok;
	if (!copy) {
		s->hr = E_OUTOFMEMORY;
		return;
	}
	strcpy(copy, list);
	p = copy;
	while (*p) {
		size_t len = strcspn(p, LIST_SEPS);
		tok = p;
		p += len;
		if (*p)
			*p++ = '\0';
		if (*tok)
			walk(s, tok, 0);
	}
	free(copy);
}

#ifdef _WIN32
/* Registry key and value of Hyper-V's default VM folder (the host setting
 * "Virtual Machines" path; WMI: Msvm_VirtualSystemManagementServiceSettingData
 * .DefaultExternalDataRoot).  docs/sdk.md says what is verified. */
#define HV_REG_KEY L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization"
#define HV_REG_VALUE L"DefaultExternalDataRoot"

/* The registry's default VM folder as malloc'd UTF-8, or NULL. */
static char *registry_root(void)
{
	WCHAR buf[LOCATE_PATH_MAX];
	DWORD size = sizeof buf;
	HRESULT hr;
	/* RRF_RT_REG_SZ also accepts REG_EXPAND_SZ, expanded.  The DLL is
	 * x64 only, so the 64-bit view is read without asking for it. */
	if (RegGetValueW(HKEY_LOCAL_MACHINE, HV_REG_KEY, HV_REG_VALUE, RRF_RT_REG_SZ, NULL,
			 buf, &size) != ERROR_SUCCESS)
		return NULL;
	buf[LOCATE_PATH_MAX - 1] = 0;
	return buf[0] ? vmsd__to_utf8(buf, &hr) : NULL;
}

/* %ProgramData%\Microsoft\Windows\Hyper-V as malloc'd UTF-8, or NULL. */
static char *programdata_root(void)
{
	WCHAR buf[LOCATE_PATH_MAX];
	static const WCHAR tail[] = L"\\Microsoft\\Windows\\Hyper-V";
	DWORD n = GetEnvironmentVariableW(L"ProgramData", buf, LOCATE_PATH_MAX);
	HRESULT hr;
	if (n == 0 || n + sizeof tail / sizeof tail[0] > LOCATE_PATH_MAX)
		return NULL;
	memcpy(buf + n, tail, sizeof tail);
	return vmsd__to_utf8(buf, &hr);
}

/* The same folder, ignoring ASCII case and trailing separators? */
static int same_folder(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	while (n > 1 && (a[n - 1] == '\\' || a[n - 1] == '/'))
		n--;
	while (m > 1 && (b[m - 1] == '\\' || b[m - 1] == '/'))
		m--;
	if (n != m)
		return 0;
	for (; n > 0; n--, a++, b++) {
		char x = *a, y = *b;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x == '/')
			x = '\\';
		if (y == '/')
			y = '\\';
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * Search the Hyper-V default folders after the configured ones: the VM
 * folder the host is set to (registry), then the built-in default
 * %ProgramData%\Microsoft\Windows\Hyper-V (once if they are the same).
 * Both hold "Virtual Machines\<GUID>.vmcx" and "Snapshots\<GUID>.vmcx".
 */
static void default_folders(search *s)
{
	char *reg = registry_root(), *pd = programdata_root();
	if (reg)
		walk(s, reg, 0);
	if (pd && !(reg && same_folder(reg, pd)))
		walk(s, pd, 0);
	free(reg);
	free(pd);
}
#endif

/* HVS_VM_SEARCH_PATH as malloc'd UTF-8, or NULL when unset (or, on
 * Windows, not valid UTF-16 or out of memory).  Windows: read through the
 * UTF-16 environment, since getenv() gives the ANSI code page there. */
static char *env_search_path(void)
{
#ifdef _WIN32
	WCHAR *w;
	char *u;
	HRESULT hr;
	DWORD n = GetEnvironmentVariableW(L"HVS_VM_SEARCH_PATH", NULL, 0);
	if (n == 0)
		return NULL;
	w = malloc((size_t)n * sizeof *w);
	if (!w)
		return NULL;
	if (GetEnvironmentVariableW(L"HVS_VM_SEARCH_PATH", w, n) >= n) {
		free(w); /* changed in between */
		return NULL;
	}
	u = vmsd__to_utf8(w, &hr);
	free(w);
	return u;
#else
	const char *e = getenv("HVS_VM_SEARCH_PATH");
	char *u;
	if (!e)
		return NULL;
	u = malloc(strlen(e) + 1);
	if (u)
		strcpy(u, e);
	return u;
#endif
}

VMSD_API HRESULT WINAPI VmSavedStateDumpSetSearchPath(LPCWSTR searchPath)
{
	char *p = NULL;
	HRESULT hr;
	if (searchPath) {
		p = vmsd__to_utf8(searchPath, &hr);
		if (!p)
			return hr;
	}
	free(g_search_path);
	g_search_path = p;
	return S_OK;
}

VMSD_API HRESULT WINAPI LocateSavedStateFiles(LPCWSTR vmName, LPCWSTR snapshotName,
					      LPWSTR *binPath, LPWSTR *vsvPath,
					      LPWSTR *vmrsPath)
{
	search s;
	char *vm = NULL, *snap = NULL;
	const char *list;
	char *env;
	char vmrs[LOCATE_PATH_MAX], bin[LOCATE_PATH_MAX], vsv[LOCATE_PATH_MAX];
	const vmcx *target = NULL;
	HRESULT hr;
	size_t i;

	if (binPath)
		*binPath = NULL;
	if (vsvPath)
		*vsvPath = NULL;
	if (vmrsPath)
		*vmrsPath = NULL;
	if (!binPath || !vsvPath || !vmrsPath)
		return E_POINTER;
	if (!vmName)
		return E_INVALIDARG;
	vm = vmsd__to_utf8(vmName, &hr);
	if (!vm)
		return hr;
	if (snapshotName) {
		snap = vmsd__to_utf8(snapshotName, &hr);
		if (!snap) {
			free(vm);
			return hr;
		}
	}
	memset(&s, 0, sizeof s);
	s.vm_name = vm;
	s.snap_name = snap;
	s.hr = S_OK;
	env = g_search_path ? NULL : env_search_path();
	list = g_search_path ? g_search_path : env;
	if (list)
		search_all(&s, list);
	free(env);
#ifdef _WIN32
	if (SUCCEEDED(s.hr))
		default_folders(&s);
#endif
	hr = s.hr;
	if (SUCCEEDED(hr) && s.have_vm) {
		target = &s.vm;
		if (snap) {
			/* The checkpoint of this VM: same VM GUID (see the file
			 * comment); else one under the VM's folder tree. */
			target = NULL;
			for (i = 0; i < s.nsnaps && !target; i++)
				if (s.vm.global_id[0] && name_eq(s.snaps[i].global_id, s.vm.global_id))
					target = &s.snaps[i];
			for (i = 0; i < s.nsnaps && !target; i++)
				if (same_vm_folder(s.snaps[i].path, s.vm.path))
					target = &s.snaps[i];
		}
	}
	if (SUCCEEDED(hr) && !target)
		/* No VM (or checkpoint) of that name in the search folders. */
		hr = VMSD_E_NOT_FOUND;
	if (SUCCEEDED(hr)) {
		state_files(target->path, vmrs, bin, vsv, sizeof vmrs);
		/* The DLL's convention (api.md 2.1): VMRS -> bin and vsv "";
		 * bin+vsv -> vmrs ""; nothing -> all three "". */
		*binPath = vmsd__to_utf16(bin);
		*vsvPath = vmsd__to_utf16(vsv);
		*vmrsPath = vmsd__to_utf16(vmrs);
		if (!*binPath || !*vsvPath || !*vmrsPath) {
			VmSavedStateDumpFreeString(*binPath);
			VmSavedStateDumpFreeString(*vsvPath);
			VmSavedStateDumpFreeString(*vmrsPath);
			*binPath = *vsvPath = *vmrsPath = NULL;
			hr = E_OUTOFMEMORY;
		}
	}
	free(s.snaps);
	free(vm);
	free(snap);
	return hr;
}
