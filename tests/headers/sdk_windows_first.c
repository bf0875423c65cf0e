/* SPDX-License-Identifier: MIT */
/*
 * Header test (Windows): a program that includes <windows.h> first, then
 * vmsavedstatedump.h, as code written for Microsoft's SDK does.  The SDK
 * header must use windows.h's own types (HRESULT = long, DWORD = unsigned
 * long, WCHAR = wchar_t, LocalFree from kernel32) without redefining any,
 * so that L"" literals and LocalFree work unchanged.  Compiled (syntax
 * only) as strict C11 with mingw-w64's gcc and as C++11 with clang++
 * --target=x86_64-w64-mingw32 (-x c++); see tests/CMakeLists.txt.
 */
#include <windows.h>

#include "vmsavedstatedump.h"

#ifdef __cplusplus
#  define VMSD_TEST_ASSERT(c, m) static_assert(c, m)
#else
#  define VMSD_TEST_ASSERT(c, m) _Static_assert(c, m)
#endif

VMSD_TEST_ASSERT(sizeof(WCHAR) == 2 && sizeof(HRESULT) == 4 && sizeof(DWORD) == 4,
		 "Windows widths");
VMSD_TEST_ASSERT(sizeof(VIRTUAL_PROCESSOR_REGISTER) == 16, "register union");

#ifdef __cplusplus
extern "C" {
#endif
int vmsd_header_test_windows_first(void);
#ifdef __cplusplus
}
#endif

/* Microsoft's own idiom: L"" paths, LocalFree for returned strings. */
int vmsd_header_test_windows_first(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	LPWSTR bin = NULL, vsv = NULL, vmrs = NULL;
	const wchar_t *path = L"C:\\VMs\\guest.vmrs";
	UINT32 vps = 0;
	HRESULT hr = LocateSavedStateFiles(L"guest", NULL, &bin, &vsv, &vmrs);
	if (SUCCEEDED(hr)) {
		LocalFree(bin);
		LocalFree(vsv);
		LocalFree(vmrs);
	}
	hr = LoadSavedStateFile(path, &h);
	if (SUCCEEDED(hr)) {
		hr = GetVpCount(h, &vps);
		ReleaseSavedStateFiles(h);
	}
	return FAILED(hr) ? -1 : (int)vps;
}
