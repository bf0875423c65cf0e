/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of libvmsavedstatedumpprovider (the
 * SDK-compatible API of compat/include/vmsavedstatedump.h, docs/sdk.md):
 * the instance behind a VM_SAVED_STATE_DUMP_HANDLE, the hvs_status ->
 * HRESULT mapping and the UTF-16 string helpers.  Not installed.
 */
#ifndef VMSD_INT_H
#define VMSD_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hvs/hvs.h"
#include "vmsavedstatedump.h"

#ifndef _WIN32
#  include <pthread.h>
#endif

/* Tag of a live instance; cleared on release so a stale handle is refused
 * in most cases (not a guarantee: a freed pointer is still undefined). */
#define VMSD_MAGIC 0x44534D56u /* "VMSD" */

/* One memory fix (ApplyGuestMemoryFix): bytes that replace guest-physical
 * memory [gpa, gpa + len), never crossing a page. */
typedef struct vmsd_fix {
	uint64_t gpa;
	uint32_t len;
	uint8_t *data;
} vmsd_fix;

/* The instance: an hvs_image plus the SDK state the native layer has no
 * place for (memory fixes, the symbol provider and its callback). */
typedef struct vmsd_handle {
	uint32_t magic;
	/* Serialises the calls on this handle (VMSD_LOCKED): Microsoft's DLL
	 * is called from several threads on one handle (LeechCore reads
	 * guest memory from four, api.md 2.5), while the native image takes
	 * one thread at a time (docs/threading.md).  Recursive, so that a
	 * callback (ScanMemoryForDosImages, the debug-message callback) may
	 * call back into the API on its thread. */
#ifdef _WIN32
	CRITICAL_SECTION lock;
#else
	pthread_mutex_t lock;
#endif
	hvs_image *img;
	vmsd_fix *fixes;   /* in application order: later ones win */
	size_t nfixes;
	hvs_sym *sym;      /* LoadSavedStateSymbolProvider, NULL before */
	GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK dbg; /* may be NULL */
} vmsd_handle;

/* Initialise / destroy the lock of a new / released instance: 0 on
 * success (vmsd.c). */
int vmsd__lock_init(vmsd_handle *v);
void vmsd__lock_destroy(vmsd_handle *v);

/* Take the lock of the live instance @h; NULL (nothing locked) for a NULL
 * or released handle, which the function then refuses itself. */
vmsd_handle *vmsd__lock(VM_SAVED_STATE_DUMP_HANDLE h);
/* Release what vmsd__lock() returned (NULL: nothing). */
void vmsd__unlock(vmsd_handle *v);

/* The body of an exported function taking a handle: run @call (the
 * function's implementation, returning @type) under the handle's lock. */
#define VMSD_LOCKED(type, h, call)                                             \
	do {                                                                   \
		vmsd_handle *lk_ = vmsd__lock(h);                              \
		type r_ = (call);                                              \
		vmsd__unlock(lk_);                                             \
		return r_;                                                     \
	} while (0)

/*
 * HRESULT for a native status (docs/sdk.md "Error codes").  HVS_E_NOTFOUND
 * and HVS_E_UNSUPPORTED mean different things at open and afterwards; the
 * open path maps those itself.
 */
HRESULT vmsd__hresult(hvs_status s);

/*
 * Convert a NUL-terminated UTF-16 string (host-order code units) to a
 * malloc'd UTF-8 string.  Unpaired surrogates are refused.
 * @return the string, or NULL with *hr = E_INVALIDARG / E_OUTOFMEMORY.
 */
char *vmsd__to_utf8(LPCWSTR s, HRESULT *hr);

/*
 * Convert NUL-terminated UTF-8 to a new UTF-16 string freed with
 * VmSavedStateDumpFreeString (invalid sequences become U+FFFD).
 * @return the string, or NULL when out of memory.
 */
LPWSTR vmsd__to_utf16(const char *s);

/* fopen(@path, "rb") for a UTF-8 path (through its UTF-16 name on
 * Windows); errno set on failure. */
FILE *vmsd__fopen_read(const char *path);

/* Errno-based HRESULT for a path that cannot be opened for reading:
 * S_OK when it can, 0x80070002 / 0x80070003 / 0x80070005 otherwise. */
HRESULT vmsd__check_readable(const char *path);

/* Overlay the memory fixes of @v on @buf, which holds @len bytes read at
 * guest-physical address @gpa (vmsd.c). */
void vmsd__apply_fixes(const vmsd_handle *v, uint64_t gpa, uint8_t *buf, size_t len);

/* Close the symbol provider of @v, if any (vmsd_sym.c). */
void vmsd__sym_release(vmsd_handle *v);

/*
 * The guest OS id (GUEST_OS_INFO, api.md 4.4) named from the kernel when
 * the symbol provider is loaded and knows the Windows version: 1 and
 * *out set, else 0 (vmsd_sym.c).
 */
int vmsd__sym_os_info(vmsd_handle *v, uint64_t *out);

#endif
