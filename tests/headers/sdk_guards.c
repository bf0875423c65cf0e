/* SPDX-License-Identifier: MIT */
/*
 * Header test: a program that already has its own Windows-style types
 * (as a portability layer or windows.h-like headers provide them) can
 * include vmsavedstatedump.h after them, using the guard macros
 * documented in vmsavedstatedumpdefs.h.  Compiled only (-fsyntax-only).
 */
#include <stdint.h>

/* The program's own definitions, made before the SDK header. */
typedef int32_t HRESULT;
#define VMSD_HAVE_HRESULT 1
typedef uint32_t DWORD;
#define VMSD_HAVE_DWORD 1
#define S_OK ((HRESULT)0)
#define WINAPI
#define ERROR_NOT_FOUND 1168L
#define VMSD_NO_LOCALFREE 1
/* Win32 error names would clash with this program's enumerators. */
#define VMSD_NO_WIN32_ERROR_NAMES 1
enum program_errors { ERROR_FILE_NOT_FOUND = 1, ERROR_FILE_CORRUPT = 2 };

#include "vmsavedstatedump.h"

/* The header must have kept the program's definitions. */
_Static_assert(ERROR_FILE_NOT_FOUND == 1, "program enumerator kept");
_Static_assert(ERROR_NOT_FOUND == 1168L, "program macro kept");
_Static_assert(VMSD_E_FILE_NOT_FOUND == (HRESULT)0x80070002, "VMSD_ spelling exists");

/* VMSD_NO_LOCALFREE hid the declaration, so this program's own
 * LocalFree does not conflict with it. */
static int LocalFree(int x)
{
	return x;
}

int vmsd_header_test_guards(void);

int vmsd_header_test_guards(void)
{
	DWORD id = X64_RegisterRip;
	HRESULT hr = S_OK;
	return (int)id + (int)hr + LocalFree(0);
}
