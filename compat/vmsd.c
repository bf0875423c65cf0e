/* SPDX-License-Identifier: MIT */
/*
 * libvmsavedstatedumpprovider: Microsoft's VM Saved State Dump Provider API
 * (current generation, SDK 10.0.22000+, api.md 2 "G2") over the native
 * hvs_* API (hvs/image.h, hvs/vp.h).  Every function is a thin adapter:
 * argument checks in the SDK's terms, one or two native calls, and the
 * translation of the result (HRESULT, SDK enums, the register union).
 * No saved-state logic lives here; what the native layer does not know
 * (memory fixes) is kept in the instance.
 *
 * Behaviour and error codes: the header comments of vmsavedstatedump.h and
 * docs/sdk.md; what Microsoft's DLL was observed to do is cited as
 * "api.md <section>".  LocateSavedStateFiles is in vmsd_locate.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#  include <windows.h>
#endif

#include "vmsd_int.h"

/* The SDK's page size for GetGuestPhysicalMemoryChunks (api.md 6: 4096). */
#define VMSD_PAGE_SIZE 4096u

/* Highest VTL number the SDK functions accept (Hyper-V defines VTL0-2,
 * api.md 3.5). */
#define VMSD_MAX_VTL 2u

/* ------------------------------------------------------------ helpers */

HRESULT vmsd__hresult(hvs_status s)
{
	switch (s) {
	case HVS_OK:
		return S_OK;
	case HVS_E_INVALID:
		return E_INVALIDARG;
	case HVS_E_NOMEM:
		return E_OUTOFMEMORY;
	case HVS_E_IO:
		return VMSD_E_READ_FAULT;
	case HVS_E_CORRUPT:
		return VMSD_E_FILE_CORRUPT;
	case HVS_E_UNSUPPORTED:
		return VMSD_E_NOT_SUPPORTED;
	case HVS_E_NOTPRESENT:
		return VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED;
	case HVS_E_NODATA:
		return VMSD_E_INVALID_ADDRESS;
	case HVS_E_NOTFOUND:
		return VMSD_E_NOT_FOUND;
	case HVS_E_BUFSIZE:
		/* Microsoft's code for a too-small caller buffer (api.md 2.5). */
		return E_OUTOFMEMORY;
	default:
		return E_FAIL;
	}
}

/* Allocate @n bytes the caller frees with VmSavedStateDumpFreeString or
 * LocalFree (LocalAlloc on Windows, as Microsoft's DLL: api.md 1). */
static void *str_alloc(size_t n)
{
#ifdef _WIN32
	return LocalAlloc(LMEM_FIXED, n);
#else
	return malloc(n);
#endif
}

char *vmsd__to_utf8(LPCWSTR s, HRESULT *hr)
{
	size_t i, n = 0;
	char *out, *p;
	/* Pass 1: validate (every surrogate paired) and size. */
	for (i = 0; s[i]; i++) {
		uint32_t c = (uint32_t)s[i];
		if (c >= 0xD800 && c <= 0xDBFF) {
			uint32_t d = (uint32_t)s[i + 1];
			if (d < 0xDC00 || d > 0xDFFF)
				goto bad;
			n += 4;
			i++;
		} else if (c >= 0xDC00 && c <= 0xDFFF) {
			goto bad;
		} else {
			n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
		}
	}
	out = malloc(n + 1);
	if (!out) {
		*hr = E_OUTOFMEMORY;
		return NULL;
	}
	/* Pass 2: encode (RFC 3629). */
	p = out;
	for (i = 0; s[i]; i++) {
		uint32_t c = (uint32_t)s[i];
		if (c >= 0xD800 && c <= 0xDBFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)s[i + 1] - 0xDC00);
			i++;
		}
		if (c < 0x80) {
			*p++ = (char)c;
		} else if (c < 0x800) {
			*p++ = (char)(0xC0 | (c >> 6));
			*p++ = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			*p++ = (char)(0xE0 | (c >> 12));
			*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
			*p++ = (char)(0x80 | (c & 0x3F));
		} else {
			*p++ = (char)(0xF0 | (c >> 18));
			*p++ = (char)(0x80 | ((c >> 12) & 0x3F));
			*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
			*p++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*p = '\0';
	*hr = S_OK;
	return out;
bad:
	*hr = E_INVALIDARG;
	return NULL;
}

/* Decode one UTF-8 sequence at @s; returns its code point (U+FFFD for an
 * invalid one) and advances *len bytes. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
	uint32_t c = s[0], min;
	size_t n, i;
	if (c < 0x80) {
		*len = 1;
		return c;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 2, c &= 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, c &= 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		*len = 1;
		return 0xFFFD;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*len = i;
			return 0xFFFD;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	*len = n;
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	return c;
}

LPWSTR vmsd__to_utf16(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = 0, len;
	WCHAR *out;
	while (u[i]) {
		n += utf8_next(u + i, &len) >= 0x10000 ? 2 : 1;
		i += len;
	}
	out = str_alloc((n + 1) * sizeof *out);
	if (!out)
		return NULL;
	for (i = 0, n = 0; u[i]; i += len) {
		uint32_t c = utf8_next(u + i, &len);
		if (c >= 0x10000) {
			c -= 0x10000;
			out[n++] = (WCHAR)(0xD800 + (c >> 10));
			out[n++] = (WCHAR)(0xDC00 + (c & 0x3FF));
		} else {
			out[n++] = (WCHAR)c;
		}
	}
	out[n] = 0;
	return out;
}

FILE *vmsd__fopen_read(const char *path)
{
#ifdef _WIN32
	/* fopen() takes the ANSI code page on Windows; the library's paths
	 * are UTF-8, so open through the UTF-16 name. */
	LPWSTR w = vmsd__to_utf16(path);
	FILE *f;
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	f = _wfopen(w, L"rb");
	LocalFree(w);
	return f;
#else
	return fopen(path, "rb");
#endif
}

HRESULT vmsd__check_readable(const char *path)
{
	FILE *f;
	errno = 0;
	f = vmsd__fopen_read(path);
	if (f) {
		fclose(f);
		return S_OK;
	}
	/* The DLL reports a missing file as ERROR_FILE_NOT_FOUND (api.md 2.1). */
	switch (errno) {
	case ENOENT:
		return VMSD_E_FILE_NOT_FOUND;
#ifdef ENOTDIR
	case ENOTDIR:
		return VMSD_E_PATH_NOT_FOUND;
#endif
	case EACCES:
#ifdef EPERM
	case EPERM:
#endif
		return VMSD_E_ACCESS_DENIED;
	default:
		return VMSD_E_FILE_NOT_FOUND;
	}
}

int vmsd__lock_init(vmsd_handle *v)
{
#ifdef _WIN32
	InitializeCriticalSection(&v->lock);
	return 0;
#else
	pthread_mutexattr_t a;
	int rc;
	if (pthread_mutexattr_init(&a) != 0)
		return -1;
	rc = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	if (rc == 0)
		rc = pthread_mutex_init(&v->lock, &a);
	pthread_mutexattr_destroy(&a);
	return rc == 0 ? 0 : -1;
#endif
}

void vmsd__lock_destroy(vmsd_handle *v)
{
#ifdef _WIN32
	DeleteCriticalSection(&v->lock);
#else
	pthread_mutex_destroy(&v->lock);
#endif
}

vmsd_handle *vmsd__lock(VM_SAVED_STATE_DUMP_HANDLE h)
{
	vmsd_handle *v = (vmsd_handle *)h;
	if (!v || v->magic != VMSD_MAGIC)
		return NULL;
#ifdef _WIN32
	EnterCriticalSection(&v->lock);
#else
	pthread_mutex_lock(&v->lock);
#endif
	return v;
}

void vmsd__unlock(vmsd_handle *v)
{
	if (!v)
		return;
#ifdef _WIN32
	LeaveCriticalSection(&v->lock);
#else
	pthread_mutex_unlock(&v->lock);
#endif
}

/* The instance behind a handle, or NULL for a NULL or released one. */
static vmsd_handle *get(VM_SAVED_STATE_DUMP_HANDLE h)
{
	vmsd_handle *v = (vmsd_handle *)h;
	if (!v || v->magic != VMSD_MAGIC)
		return NULL;
	return v;
}

/* Checks shared by the per-VP functions: the handle, the VP and one
 * required output pointer (NULL @out is allowed when @need_out is 0). */
static HRESULT get_vp(VM_SAVED_STATE_DUMP_HANDLE h, UINT32 vp, const void *out,
		      int need_out, vmsd_handle **v)
{
	*v = get(h);
	if (!*v)
		return E_HANDLE;
	if (need_out && !out)
		return E_POINTER;
	if (vp >= hvs_image_vp_count((*v)->img))
		return E_INVALIDARG;
	return S_OK;
}

/* --------------------------------------------------- loading, release */

/*
 * HRESULT of a failed native open (docs/sdk.md "Error codes").  The
 * native reason tells apart what one status covers: the three "not a
 * saved VM" cases of api.md 2.1, and "not this format" (random data is
 * corrupt for the DLL) from "a container this library cannot read".
 */
static HRESULT open_error(hvs_status s, hvs_open_reason why)
{
	switch (why) {
	case HVS_REASON_CONFIG_ONLY:
	case HVS_REASON_NO_PARTITION_STATE:
		return VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND;
	case HVS_REASON_NO_MEMORY:
		return VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND;
	case HVS_REASON_NO_VPS:
		return VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE;
	case HVS_REASON_ENCRYPTED:
	case HVS_REASON_UNSUPPORTED_VERSION:
		return VMSD_E_NOT_SUPPORTED;
	case HVS_REASON_NOT_RECOGNISED:
		return VMSD_E_FILE_CORRUPT;
	case HVS_REASON_NONE:
		break;
	}
	switch (s) {
	case HVS_E_NOTFOUND:
		return VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND;
	case HVS_E_UNSUPPORTED:
		return VMSD_E_NOT_SUPPORTED;
	case HVS_E_IO:
		return VMSD_E_READ_FAULT;
	case HVS_E_INVALID:
		/* The format was recognised but its content refused (e.g. a .bin
		 * given to a .vsv slot): as corrupt input. */
		return VMSD_E_FILE_CORRUPT;
	default:
		return vmsd__hresult(s);
	}
}

/*
 * Open @path (and @vsv for a legacy pair, or NULL) into a new instance.
 * @format: HVS_FORMAT_UNKNOWN (detect) or HVS_FORMAT_BIN.
 * @need_vps: fail with NO_VP_FOUND_IN_PARTITION_STATE when there is none.
 */
static HRESULT load(const char *path, const char *vsv, hvs_image_format format,
		    int need_vps, VM_SAVED_STATE_DUMP_HANDLE *out)
{
	hvs_image_opts o;
	hvs_open_reason why = HVS_REASON_NONE;
	vmsd_handle *v;
	hvs_status s;
	HRESULT hr;

	hr = vmsd__check_readable(path);
	if (hr == S_OK && vsv)
		hr = vmsd__check_readable(vsv);
	if (FAILED(hr))
		return hr;
	v = calloc(1, sizeof *v);
	if (!v)
		return E_OUTOFMEMORY;
	if (vmsd__lock_init(v) != 0) {
		free(v);
		return E_OUTOFMEMORY;
	}
	memset(&o, 0, sizeof o);
	o.format = format;
	o.vsv_path = vsv;
	o.base.reason = &why;
	s = hvs_image_open(&v->img, path, &o);
	if (s != HVS_OK) {
		vmsd__lock_destroy(v);
		free(v);
		return open_error(s, why);
	}
	if (need_vps && hvs_image_vp_count(v->img) == 0) {
		hvs_image_close(v->img);
		vmsd__lock_destroy(v);
		free(v);
		return VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE;
	}
	/* The SDK's default is no block cache (api.md 2.5); the native image
	 * still keeps the block being read, so sequential reads stay cheap. */
	hvs_image_set_cache_limit(v->img, 0);
	v->magic = VMSD_MAGIC;
	*out = v;
	return S_OK;
}

/* Open a .vmrs (or any input the native layer detects) as an instance. */
VMSD_API HRESULT WINAPI LoadSavedStateFile(LPCWSTR vmrsFile,
					   VM_SAVED_STATE_DUMP_HANDLE *vmSavedStateDumpHandle)
{
	HRESULT hr;
	char *path;
	if (!vmSavedStateDumpHandle)
		return E_POINTER;
	*vmSavedStateDumpHandle = NULL;
	if (!vmrsFile)
		return E_INVALIDARG;
	path = vmsd__to_utf8(vmrsFile, &hr);
	if (!path)
		return hr;
	hr = load(path, NULL, HVS_FORMAT_UNKNOWN, 1, vmSavedStateDumpHandle);
	free(path);
	return hr;
}

/* Open a legacy .bin + .vsv pair (or a .bin alone, extension). */
VMSD_API HRESULT WINAPI LoadSavedStateFiles(LPCWSTR binFile, LPCWSTR vsvFile,
					    VM_SAVED_STATE_DUMP_HANDLE *vmSavedStateDumpHandle)
{
	HRESULT hr;
	char *bin, *vsv = NULL;
	if (!vmSavedStateDumpHandle)
		return E_POINTER;
	*vmSavedStateDumpHandle = NULL;
	if (!binFile)
		return E_INVALIDARG;
	bin = vmsd__to_utf8(binFile, &hr);
	if (!bin)
		return hr;
	/* Extension (docs/sdk.md): a NULL or empty vsvFile opens the .bin
	 * alone, memory only (or with the .vsv found beside it). */
	if (vsvFile && vsvFile[0]) {
		vsv = vmsd__to_utf8(vsvFile, &hr);
		if (!vsv) {
			free(bin);
			return hr;
		}
	}
	hr = load(bin, vsv, HVS_FORMAT_BIN, vsv != NULL, vmSavedStateDumpHandle);
	free(bin);
	free(vsv);
	return hr;
}

/* Commit a container's pending replay log into the file. */
VMSD_API HRESULT WINAPI ApplyPendingSavedStateFileReplayLog(LPCWSTR vmrsFile)
{
	HRESULT hr;
	hvs_status s;
	char *path;
	if (!vmrsFile)
		return E_INVALIDARG;
	path = vmsd__to_utf8(vmrsFile, &hr);
	if (!path)
		return hr;
	hr = vmsd__check_readable(path);
	if (SUCCEEDED(hr)) {
		hvs_open_opts ao;
		hvs_open_reason why = HVS_REASON_NONE;
		memset(&ao, 0, sizeof ao);
		ao.reason = &why;
		s = hvs_store_apply_replay_log(path, &ao, NULL);
		hr = s == HVS_E_UNSUPPORTED ? open_error(s, why) : vmsd__hresult(s);
	}
	free(path);
	return hr;
}

/* Destroy an instance: its image, its memory fixes, the handle. */
VMSD_API HRESULT WINAPI ReleaseSavedStateFiles(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle)
{
	vmsd_handle *v = vmsd__lock(vmSavedStateDumpHandle);
	size_t i;
	if (!v)
		return E_HANDLE;
	/* Calls already waiting for the lock are the caller's bug (using a
	 * handle while releasing it), as with Microsoft's DLL. */
	v->magic = 0;
	vmsd__unlock(v);
	vmsd__lock_destroy(v);
	vmsd__sym_release(v);
	hvs_image_close(v->img);
	for (i = 0; i < v->nfixes; i++)
		free(v->fixes[i].data);
	free(v->fixes);
	free(v);
	return S_OK;
}

/* ------------------------------------------------- partition queries */

/* Number of virtual processors. */
static HRESULT impl_GetVpCount(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 *vpCount)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	if (!v)
		return E_HANDLE;
	if (!vpCount)
		return E_POINTER;
	*vpCount = hvs_image_vp_count(v->img);
	return S_OK;
}

VMSD_API HRESULT WINAPI GetVpCount(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 *vpCount)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetVpCount(vmSavedStateDumpHandle, vpCount));
}

/* Partition VTL bitmap. */
static HRESULT impl_GetGuestEnabledVirtualTrustLevels(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 *virtualTrustLevels)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	hvs_partition_info pi;
	if (!v)
		return E_HANDLE;
	if (!virtualTrustLevels)
		return E_POINTER;
	hvs_image_partition_info(v->img, &pi);
	/* VTL0 always exists; a guest without VBS reports 0x1 (api.md 2.3). */
	*virtualTrustLevels = pi.vtl_mask | 1u;
	return S_OK;
}

VMSD_API HRESULT WINAPI GetGuestEnabledVirtualTrustLevels(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 *virtualTrustLevels)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetGuestEnabledVirtualTrustLevels(vmSavedStateDumpHandle,
			virtualTrustLevels));
}

/* Guest OS ID of one partition VTL. */
static HRESULT impl_GetGuestOsInfo(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT8 virtualTrustLevel, GUEST_OS_INFO *guestOsInfo)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	hvs_partition_info pi;
	if (!v)
		return E_HANDLE;
	if (!guestOsInfo)
		return E_POINTER;
	hvs_image_partition_info(v->img, &pi);
	if (virtualTrustLevel >= HVS_VTL_COUNT || !((pi.vtl_mask | 1u) >> virtualTrustLevel & 1u))
		return E_INVALIDARG;
	/* A VTL whose guest never wrote the guest OS ID MSR reads as 0,
	 * unless the symbol provider found a Windows kernel (VTL0 only: the
	 * kernel it found is the normal-world one). */
	guestOsInfo->AsUINT64 = (pi.guest_os_id_mask >> virtualTrustLevel & 1u)
					? pi.guest_os_id[virtualTrustLevel] : 0;
	if (guestOsInfo->AsUINT64 == 0 && virtualTrustLevel == 0) {
		uint64_t id;
		if (vmsd__sym_os_info(v, &id))
			guestOsInfo->AsUINT64 = id;
	}
	return S_OK;
}

VMSD_API HRESULT WINAPI GetGuestOsInfo(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT8 virtualTrustLevel, GUEST_OS_INFO *guestOsInfo)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetGuestOsInfo(vmSavedStateDumpHandle, virtualTrustLevel,
			guestOsInfo));
}

/* Whether any VP has nested virtualization enabled. */
static HRESULT impl_IsNestedVirtualizationEnabled(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		BOOL *enabled)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	hvs_partition_info pi;
	if (!v)
		return E_HANDLE;
	if (!enabled)
		return E_POINTER;
	hvs_image_partition_info(v->img, &pi);
	*enabled = pi.nested_enabled ? TRUE : FALSE;
	return S_OK;
}

VMSD_API HRESULT WINAPI IsNestedVirtualizationEnabled(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		BOOL *enabled)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_IsNestedVirtualizationEnabled(vmSavedStateDumpHandle, enabled));
}

/* ---------------------------------------------------- processor state */

/* Architecture of a VP (forced or detected). */
static HRESULT impl_GetArchitecture(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, VIRTUAL_PROCESSOR_ARCH *architecture)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, architecture, 1, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	switch (vi.arch) {
	case HVS_ARCH_X86:
		*architecture = Arch_x86;
		break;
	case HVS_ARCH_X64:
		*architecture = Arch_x64;
		break;
	case HVS_ARCH_ARM64:
		*architecture = Arch_Armv8;
		break;
	default:
		*architecture = Arch_Unknown;
		break;
	}
	return S_OK;
}

VMSD_API HRESULT WINAPI GetArchitecture(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, VIRTUAL_PROCESSOR_ARCH *architecture)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetArchitecture(vmSavedStateDumpHandle, vpId, architecture));
}

/* Is the partition an ARM64 one (so x86/x64 cannot be forced on it)? */
static int is_arm64(const vmsd_handle *v)
{
	hvs_partition_info pi;
	hvs_image_partition_info(v->img, &pi);
	return pi.arch == HVS_ARCH_ARM64;
}

/* Override the architecture used to translate on a VP. */
static HRESULT impl_ForceArchitecture(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, VIRTUAL_PROCESSOR_ARCH architecture)
{
	vmsd_handle *v;
	hvs_arch a;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, NULL, 0, &v);
	if (FAILED(hr))
		return hr;
	switch (architecture) {
	case Arch_x86:
		a = HVS_ARCH_X86;
		break;
	case Arch_x64:
		a = HVS_ARCH_X64;
		break;
	case Arch_Armv8:
		a = HVS_ARCH_ARM64;
		break;
	default:
		return E_INVALIDARG;
	}
	/* Forcing changes the translation technique, not the register file:
	 * an x86 family VP cannot become ARM64 or the reverse. */
	if ((a == HVS_ARCH_ARM64) != is_arm64(v))
		return E_INVALIDARG;
	return vmsd__hresult(hvs_image_set_arch(v->img, vpId, a));
}

VMSD_API HRESULT WINAPI ForceArchitecture(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, VIRTUAL_PROCESSOR_ARCH architecture)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ForceArchitecture(vmSavedStateDumpHandle, vpId, architecture));
}

/* VTL that register reads use on a VP. */
static HRESULT impl_GetActiveVirtualTrustLevel(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, UINT8 *virtualTrustLevel)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, virtualTrustLevel, 1, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	*virtualTrustLevel = (UINT8)vi.active_vtl;
	return S_OK;
}

VMSD_API HRESULT WINAPI GetActiveVirtualTrustLevel(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, UINT8 *virtualTrustLevel)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetActiveVirtualTrustLevel(vmSavedStateDumpHandle, vpId,
			virtualTrustLevel));
}

/* VTLs with register state on a VP. */
static HRESULT impl_GetEnabledVirtualTrustLevels(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, UINT32 *virtualTrustLevels)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, virtualTrustLevels, 1, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	*virtualTrustLevels = vi.vtl_mask ? vi.vtl_mask : 1u;
	return S_OK;
}

VMSD_API HRESULT WINAPI GetEnabledVirtualTrustLevels(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, UINT32 *virtualTrustLevels)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetEnabledVirtualTrustLevels(vmSavedStateDumpHandle, vpId,
			virtualTrustLevels));
}

/* Make a VP's register reads use another VTL. */
static HRESULT impl_ForceActiveVirtualTrustLevel(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, UINT8 virtualTrustLevel)
{
	vmsd_handle *v;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, NULL, 0, &v);
	if (FAILED(hr))
		return hr;
	if (virtualTrustLevel > VMSD_MAX_VTL)
		return E_INVALIDARG;
	s = hvs_image_set_active_vtl(v->img, vpId, virtualTrustLevel);
	/* Observed: forcing VTL1 on a VBS-off guest -> VP_VTL_NOT_ENABLED
	 * (api.md 2.4, 6); the active VTL stays as it was. */
	if (s == HVS_E_NOTFOUND)
		return VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED;
	return vmsd__hresult(s);
}

VMSD_API HRESULT WINAPI ForceActiveVirtualTrustLevel(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, UINT8 virtualTrustLevel)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ForceActiveVirtualTrustLevel(vmSavedStateDumpHandle, vpId,
			virtualTrustLevel));
}

/* Whether the active VTL has state on the VP. */
static HRESULT impl_IsActiveVirtualTrustLevelEnabled(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL *activeVirtualTrustLevelEnabled)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, activeVirtualTrustLevelEnabled, 1, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	/* A VP without VTL information has VTL0 state only. */
	*activeVirtualTrustLevelEnabled =
		((vi.vtl_mask ? vi.vtl_mask : 1u) >> vi.active_vtl & 1u) ? TRUE : FALSE;
	return S_OK;
}

VMSD_API HRESULT WINAPI IsActiveVirtualTrustLevelEnabled(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL *activeVirtualTrustLevelEnabled)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_IsActiveVirtualTrustLevelEnabled(vmSavedStateDumpHandle, vpId,
			activeVirtualTrustLevelEnabled));
}

/* Whether a VP was running a nested guest. */
static HRESULT impl_GetNestedVirtualizationMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL *enabled)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, enabled, 1, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	*enabled = vi.in_nested_guest ? TRUE : FALSE;
	return S_OK;
}

VMSD_API HRESULT WINAPI GetNestedVirtualizationMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL *enabled)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetNestedVirtualizationMode(vmSavedStateDumpHandle, vpId,
			enabled));
}

/* Switch a VP between nested guest and nested host state. */
static HRESULT impl_ForceNestedHostMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL hostMode, BOOL *oldMode)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	hvs_status s;
	int old = 0;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, NULL, 0, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	if (hostMode && !vi.in_nested_guest)
		return VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	if (!hostMode && !vi.nested_host_mode) {
		/* Already showing the guest state: nothing to change. */
		if (oldMode)
			*oldMode = FALSE;
		return S_OK;
	}
	s = hvs_image_set_nested_host_mode(v->img, vpId, hostMode ? 1 : 0, &old);
	if (s == HVS_E_NOTFOUND)
		return VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	if (s != HVS_OK)
		return vmsd__hresult(s);
	if (oldMode)
		*oldMode = old ? TRUE : FALSE;
	return S_OK;
}

VMSD_API HRESULT WINAPI ForceNestedHostMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL hostMode, BOOL *oldMode)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ForceNestedHostMode(vmSavedStateDumpHandle, vpId, hostMode,
			oldMode));
}

/* Whether a VP was in kernel mode (CPL 0 / EL1+). */
static HRESULT impl_InKernelSpace(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL *inKernelSpace)
{
	vmsd_handle *v;
	int k = 0;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, inKernelSpace, 1, &v);
	if (FAILED(hr))
		return hr;
	s = hvs_image_in_kernel(v->img, vpId, &k);
	if (s != HVS_OK)
		return vmsd__hresult(s);
	*inKernelSpace = k ? TRUE : FALSE;
	return S_OK;
}

VMSD_API HRESULT WINAPI InKernelSpace(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, BOOL *inKernelSpace)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_InKernelSpace(vmSavedStateDumpHandle, vpId, inKernelSpace));
}

/*
 * Unpack a native register value into the SDK union.  hvs/regs.h packs
 * lo/hi exactly as the union lies in memory on a little-endian host; the
 * members are set one by one so the result is right on any host.
 */
static void put_reg(VIRTUAL_PROCESSOR_REGISTER *r, hvs_regkind kind, const hvs_regval *x)
{
	memset(r, 0, sizeof *r);
	switch (kind) {
	case HVS_REGKIND_SEGMENT:
		r->X64.Segment.Base = x->lo;
		r->X64.Segment.Limit = (UINT32)x->hi;
		r->X64.Segment.Selector = (UINT16)(x->hi >> 32);
		r->X64.Segment.Attributes = (UINT16)(x->hi >> 48);
		break;
	case HVS_REGKIND_TABLE:
		r->X64.Table.Limit = (UINT16)x->lo;
		r->X64.Table.Base = x->hi;
		break;
	case HVS_REGKIND_FP_CONTROL:
		r->X64.FpControlStatus.FpControl = (UINT16)x->lo;
		r->X64.FpControlStatus.FpStatus = (UINT16)(x->lo >> 16);
		r->X64.FpControlStatus.FpTag = (UINT8)(x->lo >> 32);
		r->X64.FpControlStatus.Reserved = (UINT8)(x->lo >> 40);
		r->X64.FpControlStatus.LastFpOp = (UINT16)(x->lo >> 48);
		r->X64.FpControlStatus.LastFpRip = x->hi;
		break;
	case HVS_REGKIND_XMM_CONTROL:
		r->X64.XmmControlStatus.LastFpRdp = x->lo;
		r->X64.XmmControlStatus.XmmStatusControl = (UINT32)x->hi;
		r->X64.XmmControlStatus.XmmStatusControlMask = (UINT32)(x->hi >> 32);
		break;
	default: /* U64 (High64 stays 0) and U128 */
		r->Reg128.Low64 = x->lo;
		r->Reg128.High64 = x->hi;
		break;
	}
}

/* One register of a VP as the SDK union. */
static HRESULT impl_GetRegisterValue(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, DWORD registerId, VIRTUAL_PROCESSOR_REGISTER *registerValue)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	hvs_regval x;
	hvs_regkind kind;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, registerValue, 1, &v);
	if (FAILED(hr))
		return hr;
	/* REGISTER_ID 0..65 and 67..157 are hvs_reg ids (hvs/regs.h); the
	 * sentinels 66, 158 and the native-only ids above are refused. */
	if (registerId >= (DWORD)ARM64_RegisterMax)
		return E_INVALIDARG;
	kind = hvs_reg_kind((hvs_reg)registerId);
	if (kind == HVS_REGKIND_NONE)
		return E_INVALIDARG;
	hvs_image_vp_info(v->img, vpId, &vi);
	if (vi.vtl_mask && !(vi.vtl_mask >> vi.active_vtl & 1u))
		return VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED;
	/* x86 (32-bit) guests are read through the X64 ids: the native layer
	 * answers both from the same register file. */
	s = hvs_image_get_reg(v->img, vpId, HVS_VTL_ACTIVE, (hvs_reg)registerId, &x);
	if (s != HVS_OK)
		return vmsd__hresult(s);
	put_reg(registerValue, kind, &x);
	return S_OK;
}

VMSD_API HRESULT WINAPI GetRegisterValue(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, DWORD registerId, VIRTUAL_PROCESSOR_REGISTER *registerValue)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetRegisterValue(vmSavedStateDumpHandle, vpId, registerId,
			registerValue));
}

/* SDK PAGING_MODE of a native mode. */
static PAGING_MODE sdk_mode(hvs_paging_mode m)
{
	switch (m) {
	case HVS_PAGING_NONE:
		return Paging_NonPaged;
	case HVS_PAGING_X86_32:
		return Paging_32Bit;
	case HVS_PAGING_X86_PAE:
		return Paging_Pae;
	case HVS_PAGING_X64_4LEVEL:
	case HVS_PAGING_X64_5LEVEL:
		return Paging_Long;
	case HVS_PAGING_ARM64:
		return Paging_Armv8;
	default:
		return Paging_Invalid;
	}
}

/* Paging mode of a VP (forced or detected). */
static HRESULT impl_GetPagingMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, PAGING_MODE *pagingMode)
{
	vmsd_handle *v;
	hvs_paging_mode m;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, pagingMode, 1, &v);
	if (FAILED(hr))
		return hr;
	s = hvs_image_get_paging_mode(v->img, vpId, &m);
	if (s == HVS_E_NOTFOUND) {
		/* The registers that decide it are not saved: the SDK's
		 * "invalid" mode, not an error. */
		*pagingMode = Paging_Invalid;
		return S_OK;
	}
	if (s != HVS_OK)
		return vmsd__hresult(s);
	*pagingMode = sdk_mode(m);
	return S_OK;
}

VMSD_API HRESULT WINAPI GetPagingMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, PAGING_MODE *pagingMode)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetPagingMode(vmSavedStateDumpHandle, vpId, pagingMode));
}

/* Override the paging mode used to translate on a VP. */
static HRESULT impl_ForcePagingMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, PAGING_MODE pagingMode)
{
	vmsd_handle *v;
	hvs_paging_mode m, detected;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, NULL, 0, &v);
	if (FAILED(hr))
		return hr;
	switch (pagingMode) {
	case Paging_NonPaged:
		m = HVS_PAGING_NONE;
		break;
	case Paging_32Bit:
		m = HVS_PAGING_X86_32;
		break;
	case Paging_Pae:
		m = HVS_PAGING_X86_PAE;
		break;
	case Paging_Long:
		m = HVS_PAGING_X64_4LEVEL;
		break;
	case Paging_Armv8:
		m = HVS_PAGING_ARM64;
		break;
	default:
		return E_INVALIDARG;
	}
	/* x86 modes on an ARM64 VP (or the reverse) cannot be walked. */
	if ((m == HVS_PAGING_ARM64) != is_arm64(v) && m != HVS_PAGING_NONE)
		return E_INVALIDARG;
	if (m == HVS_PAGING_X64_4LEVEL) {
		/* "Long" covers 4- and 5-level paging; keep 5 levels when the
		 * registers say CR4.LA57 (Intel SDM Vol.3 4.5). */
		if (hvs_image_set_paging_mode(v->img, vpId, HVS_PAGING_AUTO) == HVS_OK &&
		    hvs_image_get_paging_mode(v->img, vpId, &detected) == HVS_OK &&
		    detected == HVS_PAGING_X64_5LEVEL)
			m = HVS_PAGING_X64_5LEVEL;
	}
	return vmsd__hresult(hvs_image_set_paging_mode(v->img, vpId, m));
}

VMSD_API HRESULT WINAPI ForcePagingMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, PAGING_MODE pagingMode)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ForcePagingMode(vmSavedStateDumpHandle, vpId, pagingMode));
}

/* ------------------------------------------------------------- memory */

/* Overlay the memory fixes on @buf, which holds @len bytes read at @gpa. */
void vmsd__apply_fixes(const vmsd_handle *v, uint64_t gpa, uint8_t *buf, size_t len)
{
	size_t i;
	for (i = 0; i < v->nfixes; i++) {
		const vmsd_fix *f = &v->fixes[i];
		uint64_t lo = f->gpa > gpa ? f->gpa : gpa;
		uint64_t fend = f->gpa + f->len, bend = gpa + len;
		uint64_t hi = fend < bend ? fend : bend;
		if (lo < hi)
			memcpy(buf + (lo - gpa), f->data + (lo - f->gpa), (size_t)(hi - lo));
	}
}

/* Copy guest-physical memory, memory fixes applied. */
static HRESULT impl_ReadGuestPhysicalAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		GUEST_PHYSICAL_ADDRESS physicalAddress, LPVOID buffer, UINT32 bufferSize, UINT32 *bytesRead)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	size_t done = 0;
	hvs_status s;
	if (bytesRead)
		*bytesRead = 0;
	if (!v)
		return E_HANDLE;
	if (!buffer && bufferSize)
		return E_POINTER;
	if (!bufferSize)
		return S_OK;
	s = hvs_image_read(v->img, HVS_SPACE_GPA, physicalAddress, buffer, bufferSize, &done);
	vmsd__apply_fixes(v, physicalAddress, buffer, done);
	if (bytesRead)
		*bytesRead = (UINT32)done;
	if (s == HVS_OK)
		return S_OK;
	if (s == HVS_E_NODATA) {
		/* Our choice (api.md 8 leaves it open): a read that starts in
		 * saved memory and runs into a gap or the end succeeds short, as
		 * the header says ("*bytesRead < bufferSize: end of memory");
		 * an unbacked first byte is an error. */
		if (done && bytesRead)
			return S_OK;
		return VMSD_E_INVALID_ADDRESS;
	}
	return vmsd__hresult(s);
}

VMSD_API HRESULT WINAPI ReadGuestPhysicalAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		GUEST_PHYSICAL_ADDRESS physicalAddress, LPVOID buffer, UINT32 bufferSize, UINT32 *bytesRead)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ReadGuestPhysicalAddress(vmSavedStateDumpHandle, physicalAddress,
			buffer, bufferSize, bytesRead));
}

/* Translate a VA through a VP's page tables. */
static HRESULT impl_GuestVirtualAddressToPhysicalAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, const GUEST_VIRTUAL_ADDRESS virtualAddress,
		GUEST_PHYSICAL_ADDRESS *physicalAddress, GUEST_VIRTUAL_ADDRESS *unmappedRegionSize)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	uint64_t gpa = 0, unmapped = 0;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, physicalAddress, 1, &v);
	if (FAILED(hr))
		return hr;
	hvs_image_vp_info(v->img, vpId, &vi);
	if (vi.vtl_mask && !(vi.vtl_mask >> vi.active_vtl & 1u))
		return VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED;
	s = hvs_vp_translate(v->img, vpId, virtualAddress, &gpa, NULL, &unmapped);
	switch (s) {
	case HVS_OK:
		*physicalAddress = gpa;
		/* Observed: a mapped VA reports 0 (api.md 6). */
		if (unmappedRegionSize)
			*unmappedRegionSize = 0;
		return S_OK;
	case HVS_E_NOTPRESENT:
		/* 22000+: one code for every level (api.md 2.5, 5.1). */
		if (unmappedRegionSize)
			*unmappedRegionSize = unmapped;
		return VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED;
	case HVS_E_NOTFOUND:
		/* The paging registers are not saved: no mode to walk with. */
		return VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	default:
		return vmsd__hresult(s);
	}
}

VMSD_API HRESULT WINAPI GuestVirtualAddressToPhysicalAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, const GUEST_VIRTUAL_ADDRESS virtualAddress,
		GUEST_PHYSICAL_ADDRESS *physicalAddress, GUEST_VIRTUAL_ADDRESS *unmappedRegionSize)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GuestVirtualAddressToPhysicalAddress(vmSavedStateDumpHandle, vpId,
			virtualAddress, physicalAddress, unmappedRegionSize));
}

/* The GPA layout as page runs, with the sizing protocol. */
static HRESULT impl_GetGuestPhysicalMemoryChunks(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 *memoryChunkPageSize, GPA_MEMORY_CHUNK *memoryChunks, UINT64 *memoryChunkCount)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	const hvs_mem_range *r;
	size_t n, i;
	if (!v)
		return E_HANDLE;
	if (!memoryChunkPageSize || !memoryChunkCount)
		return E_POINTER;
	if (!memoryChunks && *memoryChunkCount)
		return E_POINTER;
	n = hvs_image_range_count(v->img);
	r = hvs_image_ranges(v->img);
	*memoryChunkPageSize = VMSD_PAGE_SIZE;
	if (*memoryChunkCount < n) {
		/* The sizing protocol every caller uses (api.md 2.5). */
		*memoryChunkCount = n;
		return E_OUTOFMEMORY;
	}
	for (i = 0; i < n; i++) {
		/* Saved-state ranges are page-aligned; others (raw, ELF) are
		 * widened to whole pages. */
		uint64_t first = r[i].gpa / VMSD_PAGE_SIZE;
		uint64_t last = (r[i].gpa + r[i].size - 1) / VMSD_PAGE_SIZE;
		memoryChunks[i].GuestPhysicalStartPageIndex = first;
		memoryChunks[i].PageCount = last - first + 1;
	}
	*memoryChunkCount = n;
	return S_OK;
}

VMSD_API HRESULT WINAPI GetGuestPhysicalMemoryChunks(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 *memoryChunkPageSize, GPA_MEMORY_CHUNK *memoryChunks, UINT64 *memoryChunkCount)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetGuestPhysicalMemoryChunks(vmSavedStateDumpHandle,
			memoryChunkPageSize, memoryChunks, memoryChunkCount));
}

/* Offset of a GPA in the raw saved memory. */
static HRESULT impl_GuestPhysicalAddressToRawSavedMemoryOffset(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		GUEST_PHYSICAL_ADDRESS physicalAddress, UINT64 *rawSavedMemoryOffset)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	uint64_t raw;
	hvs_status s;
	if (!v)
		return E_HANDLE;
	if (!rawSavedMemoryOffset)
		return E_POINTER;
	s = hvs_image_gpa_to_raw(v->img, physicalAddress, &raw);
	if (s != HVS_OK)
		return vmsd__hresult(s);
	*rawSavedMemoryOffset = raw;
	return S_OK;
}

VMSD_API HRESULT WINAPI GuestPhysicalAddressToRawSavedMemoryOffset(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		GUEST_PHYSICAL_ADDRESS physicalAddress, UINT64 *rawSavedMemoryOffset)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GuestPhysicalAddressToRawSavedMemoryOffset(vmSavedStateDumpHandle,
			physicalAddress, rawSavedMemoryOffset));
}

/* Copy raw saved memory. */
static HRESULT impl_ReadGuestRawSavedMemory(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 rawSavedMemoryOffset, LPVOID buffer, UINT32 bufferSize, UINT32 *bytesRead)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	size_t done = 0;
	hvs_status s;
	if (bytesRead)
		*bytesRead = 0;
	if (!v)
		return E_HANDLE;
	if (!buffer && bufferSize)
		return E_POINTER;
	if (!bufferSize)
		return S_OK;
	if (rawSavedMemoryOffset >= hvs_image_raw_size(v->img)) {
		s = HVS_E_NODATA;
	} else {
		s = hvs_image_read(v->img, HVS_SPACE_RAW, rawSavedMemoryOffset, buffer,
				   bufferSize, &done);
	}
	if (bytesRead)
		*bytesRead = (UINT32)done;
	if (s == HVS_E_NODATA) {
		/* "A short *bytesRead means the end was reached" (api.md 2.5);
		 * without bytesRead the caller could not tell, so it fails. */
		return bytesRead ? S_OK : VMSD_E_HANDLE_EOF;
	}
	return vmsd__hresult(s);
}

VMSD_API HRESULT WINAPI ReadGuestRawSavedMemory(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 rawSavedMemoryOffset, LPVOID buffer, UINT32 bufferSize, UINT32 *bytesRead)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ReadGuestRawSavedMemory(vmSavedStateDumpHandle,
			rawSavedMemoryOffset, buffer, bufferSize, bytesRead));
}

/* Size of the raw saved memory. */
static HRESULT impl_GetGuestRawSavedMemorySize(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 *guestRawSavedMemorySize)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	if (!v)
		return E_HANDLE;
	if (!guestRawSavedMemorySize)
		return E_POINTER;
	*guestRawSavedMemorySize = hvs_image_raw_size(v->img);
	return S_OK;
}

VMSD_API HRESULT WINAPI GetGuestRawSavedMemorySize(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 *guestRawSavedMemorySize)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetGuestRawSavedMemorySize(vmSavedStateDumpHandle,
			guestRawSavedMemorySize));
}

/* Set the decoded-block cache limit. */
static HRESULT impl_SetMemoryBlockCacheLimit(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 memoryBlockCacheLimit)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	if (!v)
		return E_HANDLE;
	/* Same unit as the native limit: memory blocks (1 MiB of guest RAM
	 * each); 0 drops the cache (api.md 2.5). */
	return vmsd__hresult(hvs_image_set_cache_limit(v->img, memoryBlockCacheLimit));
}

VMSD_API HRESULT WINAPI SetMemoryBlockCacheLimit(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 memoryBlockCacheLimit)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_SetMemoryBlockCacheLimit(vmSavedStateDumpHandle,
			memoryBlockCacheLimit));
}

/* The decoded-block cache limit. */
static HRESULT impl_GetMemoryBlockCacheLimit(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 *memoryBlockCacheLimit)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	if (!v)
		return E_HANDLE;
	if (!memoryBlockCacheLimit)
		return E_POINTER;
	*memoryBlockCacheLimit = hvs_image_cache_limit(v->img);
	return S_OK;
}

VMSD_API HRESULT GetMemoryBlockCacheLimit(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT64 *memoryBlockCacheLimit)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetMemoryBlockCacheLimit(vmSavedStateDumpHandle,
			memoryBlockCacheLimit));
}

/* Overlay bytes at a guest VA on later physical reads. */
static HRESULT impl_ApplyGuestMemoryFix(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, GUEST_VIRTUAL_ADDRESS virtualAddress, LPVOID fixBuffer, UINT32 fixBufferSize)
{
	vmsd_handle *v;
	vmsd_fix *nf, *grown;
	size_t npages = 0, k;
	uint64_t off;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, NULL, 0, &v);
	if (FAILED(hr))
		return hr;
	if (!fixBuffer)
		return E_POINTER;
	if (!fixBufferSize)
		return E_INVALIDARG;
	/* One fix per touched 4 KiB page: pages contiguous in VA need not be
	 * contiguous in PA. */
	npages = (size_t)(((virtualAddress & (VMSD_PAGE_SIZE - 1)) + fixBufferSize +
			   VMSD_PAGE_SIZE - 1) / VMSD_PAGE_SIZE);
	nf = calloc(npages, sizeof *nf);
	if (!nf)
		return E_OUTOFMEMORY;
	/* Translate every page first: nothing is applied unless all map. */
	for (off = 0, k = 0; off < fixBufferSize; k++) {
		uint64_t va = virtualAddress + off, gpa;
		uint32_t chunk = VMSD_PAGE_SIZE - (uint32_t)(va & (VMSD_PAGE_SIZE - 1));
		if (chunk > fixBufferSize - off)
			chunk = (uint32_t)(fixBufferSize - off);
		s = hvs_vp_translate(v->img, vpId, va, &gpa, NULL, NULL);
		if (s != HVS_OK) {
			hr = s == HVS_E_NOTFOUND ? VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE
						 : vmsd__hresult(s);
			goto fail;
		}
		nf[k].gpa = gpa;
		nf[k].len = chunk;
		nf[k].data = malloc(chunk);
		if (!nf[k].data) {
			hr = E_OUTOFMEMORY;
			goto fail;
		}
		memcpy(nf[k].data, (const uint8_t *)fixBuffer + off, chunk);
		off += chunk;
	}
	grown = realloc(v->fixes, (v->nfixes + k) * sizeof *grown);
	if (!grown) {
		hr = E_OUTOFMEMORY;
		goto fail;
	}
	memcpy(grown + v->nfixes, nf, k * sizeof *nf);
	v->fixes = grown;
	v->nfixes += k;
	free(nf);
	return S_OK;
fail:
	for (k = 0; k < npages; k++)
		free(nf[k].data);
	free(nf);
	return hr;
}

VMSD_API HRESULT WINAPI ApplyGuestMemoryFix(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, GUEST_VIRTUAL_ADDRESS virtualAddress, LPVOID fixBuffer, UINT32 fixBufferSize)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ApplyGuestMemoryFix(vmSavedStateDumpHandle, vpId, virtualAddress,
			fixBuffer, fixBufferSize));
}

/* ------------------------------------------ image scanning, unwinding */

/*
 * Image scanning (api.md 2.7) runs the native scanner, CallStackUnwind
 * the native x64 unwinder (docs/unwind.md).
 * The symbol functions (api.md 2.6) are in vmsd_sym.c.
 */

/* Guest-physical reads for the image scan: the image, memory fixes applied
 * (a fix changes guest memory for page tables and images alike). */
static hvs_status scan_read_phys(void *ud, uint64_t gpa, void *buf, size_t len)
{
	const vmsd_handle *v = ud;
	size_t done = 0;
	hvs_status s = hvs_image_read(v->img, HVS_SPACE_GPA, gpa, buf, len, &done);

	vmsd__apply_fixes(v, gpa, buf, done);
	return s;
}

/* Adapter from the native scanner's callback to FOUND_IMAGE_CALLBACK. */
typedef struct scan_ctx {
	PVOID context;
	FOUND_IMAGE_CALLBACK cb;
} scan_ctx;

static int scan_found(void *ud, const hvs_pe_found *f)
{
	scan_ctx *c = ud;
	DOS_IMAGE_INFO info;

	memset(&info, 0, sizeof info);
	/* Borrowed from the scanner: valid during the callback only, as the
	 * SDK documents for PdbName (api.md 2.7). */
	info.PdbName = f->has_codeview ? f->pdb_name : NULL;
	info.ImageBaseAddress = f->base;
	info.ImageSize = f->size;
	info.Timestamp = f->timestamp;
	return c->cb(c->context, &info) ? 1 : 0;
}

/*
 * Scan a VP's address space for PE images (api.md 2.7) with the native
 * scanner (include/hvs/pe.h, docs/pe.md): the standalone addresses first,
 * then every mapped page from startAddress down to endAddress; TRUE from
 * the callback stops it (S_OK).  Reads see the memory fixes.
 */
static HRESULT impl_ScanMemoryForDosImages(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, GUEST_VIRTUAL_ADDRESS startAddress, GUEST_VIRTUAL_ADDRESS endAddress,
		PVOID callbackContext, FOUND_IMAGE_CALLBACK foundImageCallback,
		GUEST_VIRTUAL_ADDRESS *standaloneAddress, DWORD standaloneAddressCount)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	hvs_paging_regs regs;
	hvs_xlat *x = NULL;
	unsigned flags = 0;
	scan_ctx c;
	hvs_status s;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, (const void *)foundImageCallback,
			    1, &v);

	if (FAILED(hr))
		return hr;
	if (standaloneAddressCount && !standaloneAddress)
		return E_POINTER;
	/* The scan runs downwards: the start is the higher address. */
	if (startAddress < endAddress)
		return E_INVALIDARG;
	hvs_image_vp_info(v->img, vpId, &vi);
	if (vi.vtl_mask && !(vi.vtl_mask >> vi.active_vtl & 1u))
		return VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED;
	s = hvs_vp_paging_regs(v->img, vpId, &regs, &flags);
	if (s == HVS_E_NOTFOUND)
		return VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	if (s != HVS_OK)
		return vmsd__hresult(s);
	s = hvs_xlat_new(&x, &regs, scan_read_phys, v, flags, NULL);
	if (s != HVS_OK)
		return s == HVS_E_NOMEM ? E_OUTOFMEMORY : VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	c.context = callbackContext;
	c.cb = foundImageCallback;
	s = hvs_pe_scan_xlat(x, scan_read_phys, v, startAddress, endAddress,
			     standaloneAddress, standaloneAddressCount, scan_found,
			     &c, NULL);
	hvs_xlat_free(x);
	return vmsd__hresult(s);
}

VMSD_API HRESULT WINAPI ScanMemoryForDosImages(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, GUEST_VIRTUAL_ADDRESS startAddress, GUEST_VIRTUAL_ADDRESS endAddress,
		PVOID callbackContext, FOUND_IMAGE_CALLBACK foundImageCallback,
		GUEST_VIRTUAL_ADDRESS *standaloneAddress, DWORD standaloneAddressCount)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ScanMemoryForDosImages(vmSavedStateDumpHandle, vpId, startAddress,
			endAddress, callbackContext, foundImageCallback, standaloneAddress,
			standaloneAddressCount));
}

/* Virtual reads of CallStackUnwind: the VP's translation over
 * scan_read_phys, so that memory fixes are seen. */
static hvs_status unwind_read(void *ud, uint64_t va, void *buf, size_t len,
			      size_t *done)
{
	return hvs_xlat_read(ud, va, buf, len, done);
}

/*
 * Unwind a VP's stack (api.md 2.7) with the native x64 unwinder
 * (include/hvs/unwind.h, docs/unwind.md) and return the text WinDbg's k
 * prints: a header line, then per frame its number, Child-SP, RetAddr
 * and call site.  The MODULE_INFO images are named to the unwinder in
 * addition to those it finds around each address; with a symbol
 * provider loaded (LoadSavedStateSymbolProvider) frames are written
 * module!function+offset, else module+offset.  A last line says why the
 * walk ended.  The string is freed with LocalFree.
 */
static HRESULT impl_CallStackUnwind(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, PMODULE_INFO imageInfo, DWORD imageInfoCount, UINT32 frameCount,
		LPWSTR *callStack)
{
	vmsd_handle *v;
	hvs_vp_info vi;
	hvs_paging_regs regs;
	hvs_xlat *x = NULL;
	hvs_unwind *u = NULL;
	hvs_unwind_symbols *sy = NULL;
	hvs_unwind_frame *f = NULL;
	hvs_unwind_ctx c;
	hvs_unwind_end end;
	unsigned flags = 0;
	size_t n = 0, need, len;
	char *text = NULL;
	hvs_status s;
	DWORD i;
	HRESULT hr = get_vp(vmSavedStateDumpHandle, vpId, callStack, 1, &v);

	if (FAILED(hr))
		return hr;
	*callStack = NULL;
	if (imageInfoCount && !imageInfo)
		return E_POINTER;
	if (!frameCount)
		return E_INVALIDARG;
	if (frameCount > HVS_UNWIND_MAX_FRAMES)
		frameCount = HVS_UNWIND_MAX_FRAMES;
	hvs_image_vp_info(v->img, vpId, &vi);
	if (vi.arch == HVS_ARCH_ARM64 || vi.arch != HVS_ARCH_X64)
		return E_NOTIMPL;   /* ARM64 / 32-bit: not supported yet */
	s = hvs_unwind_vp_context(v->img, vpId, &c);
	if (s != HVS_OK)
		return VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	s = hvs_vp_paging_regs(v->img, vpId, &regs, &flags);
	if (s != HVS_OK)
		return s == HVS_E_NOTFOUND ? VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE
					   : vmsd__hresult(s);
	s = hvs_xlat_new(&x, &regs, scan_read_phys, v, flags, NULL);
	if (s != HVS_OK)
		return s == HVS_E_NOMEM ? E_OUTOFMEMORY : VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	s = hvs_unwind_new(&u, unwind_read, x, NULL);
	if (s != HVS_OK) {
		hr = E_OUTOFMEMORY;
		goto out;
	}
	/* The caller's modules; one that cannot be read is left to the
	 * image search (the SDK does not fail on a stale entry). */
	for (i = 0; i < imageInfoCount; i++)
		(void)hvs_unwind_add_module(u, NULL, imageInfo[i].Image.ImageBaseAddress,
					    imageInfo[i].Image.ImageSize);
	if (v->sym && hvs_unwind_symbols_new(&sy, v->sym, NULL) == HVS_OK)
		hvs_unwind_set_symbols(u, hvs_unwind_symbols_lookup, sy);
	f = calloc(frameCount, sizeof *f);
	if (!f) {
		hr = E_OUTOFMEMORY;
		goto out;
	}
	s = hvs_unwind_walk(u, &c, f, frameCount, &n, &end);
	if (s != HVS_OK) {
		hr = vmsd__hresult(s);
		goto out;
	}
	need = hvs_unwind_format_stack(f, n, NULL, 0);
	len = need + strlen(hvs_unwind_errmsg(u)) + 64;
	text = malloc(len);
	if (!text) {
		hr = E_OUTOFMEMORY;
		goto out;
	}
	hvs_unwind_format_stack(f, n, text, len);
	snprintf(text + need, len - need, "(end: %s: %s)\n", hvs_unwind_end_name(end),
		 hvs_unwind_errmsg(u));
	*callStack = vmsd__to_utf16(text);
	hr = *callStack ? S_OK : E_OUTOFMEMORY;
out:
	free(text);
	free(f);
	hvs_unwind_symbols_free(sy);
	hvs_unwind_free(u);
	hvs_xlat_free(x);
	return hr;
}

VMSD_API HRESULT WINAPI CallStackUnwind(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, PMODULE_INFO imageInfo, DWORD imageInfoCount, UINT32 frameCount,
		LPWSTR *callStack)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_CallStackUnwind(vmSavedStateDumpHandle, vpId, imageInfo,
			imageInfoCount, frameCount, callStack));
}

/* ------------------------------------------------------------ strings */

/* Free a string this library returned (extension). */
VMSD_API VOID WINAPI VmSavedStateDumpFreeString(LPWSTR str)
{
#ifdef _WIN32
	if (str)
		LocalFree(str);
#else
	free(str);
#endif
}

#if !defined(_WIN32)
/* Exported whatever VMSD_NO_LOCALFREE says (header: "the library exports
 * the symbol either way"). */
VMSD_API HLOCAL WINAPI LocalFree(HLOCAL hMem)
{
	free(hMem);
	return NULL;
}
#endif
