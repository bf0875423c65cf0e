/* SPDX-License-Identifier: MIT */
/*
 * Header test: after a windows.h-like header (Wine's, MinGW's, or a
 * program's own imitation) has defined the Windows types, including
 * vmsavedstatedump.h must not redefine them: the header notices the
 * include guard _MINWINDEF_ and uses the existing types.  The stand-in
 * below defines them with deliberately different (but same-width) types,
 * so any redefinition by the SDK header would be a compile error.
 * Compiled only (-fsyntax-only).
 */
#include <stdint.h>

/* --- stand-in for a windows.h-like header --- */
#define _MINWINDEF_
typedef int HRESULT;
typedef int BOOL;
typedef unsigned int DWORD;
typedef unsigned int ULONG;
typedef unsigned int UINT32;
typedef unsigned long long UINT64;
typedef unsigned short UINT16;
typedef unsigned char UINT8;
typedef unsigned short WCHAR;
typedef void *LPVOID;
typedef void *PVOID;
typedef void *HANDLE;
typedef HANDLE HLOCAL;
typedef const char *LPCSTR;
typedef const WCHAR *LPCWSTR;
typedef WCHAR *LPWSTR;
/* --- end of stand-in --- */

#include "vmsavedstatedump.h"

_Static_assert(sizeof(VIRTUAL_PROCESSOR_REGISTER) == 16, "layout holds");

int vmsd_header_test_winlike(void);

int vmsd_header_test_winlike(void)
{
	static const WCHAR name[] = { 'x', 0 };
	LPCWSTR p = name;
	UINT32 n = 0;
	return (int)p[0] + (int)n + (int)S_OK;
}
