/* SPDX-License-Identifier: MIT */
/*
 * vmsd_seed: the first program every user of the VM Saved State Dump
 * Provider API writes, against hvsavedstate's libvmsavedstatedumpprovider
 * (compat/include/vmsavedstatedump.h, docs/sdk.md).  It uses the SDK's
 * names only, so the same source builds against Microsoft's
 * vmsavedstatedumpprovider.dll on Windows.
 *
 *   vmsd_seed FILE.vmrs            a saved state
 *   vmsd_seed FILE.bin FILE.vsv    a legacy pair
 *
 * Loads the saved state; for every virtual processor prints the
 * architecture, paging mode, kernel-space flag, RIP, RSP and CR3 (PC,
 * SP_EL1 and TTBR1_EL1 on ARM64); then the guest-physical memory chunks.
 *
 * Two ways to reach the library, one source (examples/CMakeLists.txt):
 *  - example_vmsd_seed links it (on Windows through the import library,
 *    as a program built against Microsoft's SDK does);
 *  - example_vmsd_seed_dynload (VMSD_SEED_DYNLOAD) loads it at run time
 *    by name and looks up every function it calls, as MemProcFS's
 *    LeechCore plugin does: LoadLibraryW(L"vmsavedstatedumpprovider.dll")
 *    + GetProcAddress on Windows, dlopen + dlsym elsewhere.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsavedstatedump.h"

#if defined(VMSD_SEED_DYNLOAD) && !defined(_WIN32)
#  include <dlfcn.h>
#endif
#if defined(_WIN32)
#  include <shellapi.h>
#endif

#ifdef VMSD_SEED_DYNLOAD
/*
 * The functions this program calls, as pointer types, and one pointer
 * each.  After the #defines below the calls in main() go through the
 * pointers, so both builds share every line that prints.
 */
typedef HRESULT(WINAPI *pfn_LoadSavedStateFile)(LPCWSTR, VM_SAVED_STATE_DUMP_HANDLE *);
typedef HRESULT(WINAPI *pfn_LoadSavedStateFiles)(LPCWSTR, LPCWSTR, VM_SAVED_STATE_DUMP_HANDLE *);
typedef HRESULT(WINAPI *pfn_ReleaseSavedStateFiles)(VM_SAVED_STATE_DUMP_HANDLE);
typedef HRESULT(WINAPI *pfn_GetVpCount)(VM_SAVED_STATE_DUMP_HANDLE, UINT32 *);
typedef HRESULT(WINAPI *pfn_GetArchitecture)(VM_SAVED_STATE_DUMP_HANDLE, UINT32,
					     VIRTUAL_PROCESSOR_ARCH *);
typedef HRESULT(WINAPI *pfn_GetPagingMode)(VM_SAVED_STATE_DUMP_HANDLE, UINT32, PAGING_MODE *);
typedef HRESULT(WINAPI *pfn_InKernelSpace)(VM_SAVED_STATE_DUMP_HANDLE, UINT32, BOOL *);
typedef HRESULT(WINAPI *pfn_GetRegisterValue)(VM_SAVED_STATE_DUMP_HANDLE, UINT32, DWORD,
					      VIRTUAL_PROCESSOR_REGISTER *);
typedef HRESULT(WINAPI *pfn_GetGuestPhysicalMemoryChunks)(VM_SAVED_STATE_DUMP_HANDLE, UINT64 *,
							  GPA_MEMORY_CHUNK *, UINT64 *);

#define SEED_FUNCS(X)                                                           \
	X(LoadSavedStateFile) X(LoadSavedStateFiles) X(ReleaseSavedStateFiles)  \
	X(GetVpCount) X(GetArchitecture) X(GetPagingMode) X(InKernelSpace)      \
	X(GetRegisterValue) X(GetGuestPhysicalMemoryChunks)

#define SEED_PTR(name) static pfn_##name p_##name;
SEED_FUNCS(SEED_PTR)

#define LoadSavedStateFile p_LoadSavedStateFile
#define LoadSavedStateFiles p_LoadSavedStateFiles
#define ReleaseSavedStateFiles p_ReleaseSavedStateFiles
#define GetVpCount p_GetVpCount
#define GetArchitecture p_GetArchitecture
#define GetPagingMode p_GetPagingMode
#define InKernelSpace p_InKernelSpace
#define GetRegisterValue p_GetRegisterValue
#define GetGuestPhysicalMemoryChunks p_GetGuestPhysicalMemoryChunks

/* Load the library by name and resolve every function: 0, or -1 with a
 * message.  The library stays loaded until the process ends. */
static int load_library(void)
{
#ifdef _WIN32
	/* By name: the DLL beside the program, then the system folders and
	 * PATH (docs/sdk.md, "Using the DLL on Windows in place of Microsoft's"). */
	HMODULE lib = LoadLibraryW(L"vmsavedstatedumpprovider.dll");
#  define SEED_SYM(lib, name) GetProcAddress(lib, name)
	if (!lib) {
		fprintf(stderr, "LoadLibraryW(vmsavedstatedumpprovider.dll): error %lu\n",
			(unsigned long)GetLastError());
		return -1;
	}
#else
	/* By name too: the dynamic loader's search (LD_LIBRARY_PATH, the
	 * cache, the system folders). */
	void *lib = dlopen("libvmsavedstatedumpprovider.so", RTLD_NOW | RTLD_LOCAL);
#  define SEED_SYM(lib, name) dlsym(lib, name)
	if (!lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return -1;
	}
#endif
	/* The generic result (FARPROC, void *) becomes the exact function
	 * type through void (*)(void), the type compilers accept as "any
	 * function" in a cast. */
#define SEED_RESOLVE(name)                                                     \
	p_##name = (pfn_##name)(void (*)(void))SEED_SYM(lib, #name);          \
	if (!p_##name) {                                                       \
		fprintf(stderr, "the library does not export %s\n", #name);  \
		return -1;                                                     \
	}
	SEED_FUNCS(SEED_RESOLVE)
	return 0;
}
#endif /* VMSD_SEED_DYNLOAD */

#ifndef _WIN32
/* Command-line bytes (UTF-8) to a UTF-16 path: wide literals are u"..."
 * off Windows, so argv needs converting; characters beyond the BMP become
 * surrogate pairs, invalid bytes U+FFFD. */
static WCHAR *widen(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t j = 0;
	WCHAR *w = malloc((strlen(s) + 1) * sizeof *w); /* never more units than bytes */
	if (!w)
		return NULL;
	while (*u) {
		uint32_t c = *u++;
		int lead = c >= 0xC0, more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : lead;
		if (lead)
			c &= 0x3Fu >> more; /* payload bits of the lead byte */
		for (; more > 0 && (*u & 0xC0) == 0x80; more--)
			c = c << 6 | (*u++ & 0x3Fu);
		if (more > 0 || (!lead && c >= 0x80) || c > 0x10FFFF)
			c = 0xFFFD; /* truncated sequence, stray byte, out of range */
		if (c >= 0x10000) {
			w[j++] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
			w[j++] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
		} else {
			w[j++] = (WCHAR)c;
		}
	}
	w[j] = 0;
	return w;
}
#endif

/* Argument @i as a wide path (malloc'd).  On Windows from the UTF-16
 * command line, since argv holds the ANSI code page's bytes there. */
static WCHAR *arg_path(char **argv, int i)
{
#ifdef _WIN32
	int wargc = 0;
	LPWSTR *wargv = CommandLineToArgvW(GetCommandLineW(), &wargc);
	WCHAR *w = NULL;
	(void)argv;
	if (wargv && i < wargc) {
		size_t n = wcslen(wargv[i]) + 1;
		w = malloc(n * sizeof *w);
		if (w)
			memcpy(w, wargv[i], n * sizeof *w);
	}
	LocalFree(wargv);
	return w;
#else
	return widen(argv[i]);
#endif
}

static const char *arch_name(VIRTUAL_PROCESSOR_ARCH a)
{
	switch (a) {
	case Arch_x86: return "x86";
	case Arch_x64: return "x64";
	case Arch_Armv8: return "ARMv8";
	default: return "unknown";
	}
}

static const char *paging_name(PAGING_MODE m)
{
	switch (m) {
	case Paging_NonPaged: return "non-paged";
	case Paging_32Bit: return "32-bit";
	case Paging_Pae: return "PAE";
	case Paging_Long: return "long";
	case Paging_Armv8: return "ARMv8";
	default: return "invalid";
	}
}

/* Print one register as "NAME=0x..." or "NAME=?" when it cannot be read. */
static void print_reg(VM_SAVED_STATE_DUMP_HANDLE h, UINT32 vp, const char *name, DWORD id)
{
	VIRTUAL_PROCESSOR_REGISTER r;
	HRESULT hr = GetRegisterValue(h, vp, id, &r);
	if (SUCCEEDED(hr))
		printf(" %s=0x%016" PRIx64, name, (uint64_t)r.Reg64);
	else
		printf(" %s=? (0x%08" PRIx32 ")", name, (uint32_t)hr);
}

int main(int argc, char **argv)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	WCHAR *p1, *p2 = NULL;
	UINT32 vps = 0, vp;
	UINT64 page = 0, n = 0, i;
	GPA_MEMORY_CHUNK *chunks = NULL;
	HRESULT hr;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s FILE.vmrs | FILE.bin FILE.vsv\n", argv[0]);
		return 2;
	}
#ifdef VMSD_SEED_DYNLOAD
	if (load_library())
		return 1;
#endif
	p1 = arg_path(argv, 1);
	if (argc == 3)
		p2 = arg_path(argv, 2);
	if (!p1 || (argc == 3 && !p2)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	hr = argc == 2 ? LoadSavedStateFile(p1, &h) : LoadSavedStateFiles(p1, p2, &h);
	free(p1);
	free(p2);
	if (FAILED(hr)) {
		fprintf(stderr, "cannot load %s: HRESULT 0x%08" PRIx32 "\n", argv[1], (uint32_t)hr);
		return 1;
	}

	GetVpCount(h, &vps);
	printf("virtual processors: %" PRIu32 "\n", vps);
	for (vp = 0; vp < vps; vp++) {
		VIRTUAL_PROCESSOR_ARCH arch = Arch_Unknown;
		PAGING_MODE mode = Paging_Invalid;
		BOOL kernel = FALSE;
		GetArchitecture(h, vp, &arch);
		GetPagingMode(h, vp, &mode);
		if (FAILED(InKernelSpace(h, vp, &kernel)))
			kernel = FALSE;
		printf("vp %" PRIu32 ": arch=%s paging=%s kernel=%s", vp, arch_name(arch),
		       paging_name(mode), kernel ? "yes" : "no");
		if (arch == Arch_Armv8) {
			print_reg(h, vp, "pc", ARM64_RegisterPc);
			print_reg(h, vp, "sp", ARM64_RegisterSpEl1);
			print_reg(h, vp, "ttbr1", ARM64_RegisterTtbr1El1);
		} else {
			/* 32-bit x86 guests are read through the X64 ids too. */
			print_reg(h, vp, "rip", X64_RegisterRip);
			print_reg(h, vp, "rsp", X64_RegisterRsp);
			print_reg(h, vp, "cr3", X64_RegisterCr3);
		}
		printf("\n");
	}

	/* The chunk protocol: size with NULL/0 (E_OUTOFMEMORY + count), then
	 * fetch; the page size is read after the second call (api.md 2.5). */
	hr = GetGuestPhysicalMemoryChunks(h, &page, NULL, &n);
	if (hr == E_OUTOFMEMORY && n) {
		chunks = calloc((size_t)n, sizeof *chunks);
		if (!chunks) {
			ReleaseSavedStateFiles(h);
			return 1;
		}
		hr = GetGuestPhysicalMemoryChunks(h, &page, chunks, &n);
	}
	if (FAILED(hr)) {
		fprintf(stderr, "GetGuestPhysicalMemoryChunks: 0x%08" PRIx32 "\n", (uint32_t)hr);
		free(chunks);
		ReleaseSavedStateFiles(h);
		return 1;
	}
	printf("memory chunks: %" PRIu64 " (page size %" PRIu64 ")\n", (uint64_t)n, (uint64_t)page);
	for (i = 0; i < n; i++)
		printf("  gpa 0x%012" PRIx64 " pages %" PRIu64 "\n",
		       (uint64_t)(chunks[i].GuestPhysicalStartPageIndex * page),
		       (uint64_t)chunks[i].PageCount);
	free(chunks);
	ReleaseSavedStateFiles(h);
	return 0;
}
