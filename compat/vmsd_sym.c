/* SPDX-License-Identifier: MIT */
/*
 * The guest-symbol functions of Microsoft's VM Saved State Dump Provider
 * API (api.md 2.6) over the native symbol provider (hvs/sym.h): loading
 * the provider (which locates the kernel and its PDB), module symbols,
 * globals, type sizes and fields, the debug-message callback.
 *
 * Choices where Microsoft's DLL is undocumented (docs/sdk.md "Symbols"):
 *   - symbol path: userSymbols first, then _NT_SYMBOL_PATH; when that is
 *     unset, Microsoft's public server into the default downstream store
 *     (the DLL's own default, api.md 2.6);
 *   - a call that needs the provider before it is loaded fails with
 *     E_UNEXPECTED; a missing symbol with ERROR_NOT_FOUND (0x80070490);
 *   - GetSavedStateSymbolProviderHandle returns the native hvs_sym*, so
 *     it can be passed to the hvs_sym_* functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsd_int.h"

/* HRESULT_FROM_WIN32(ERROR_ARITHMETIC_OVERFLOW): a size above ULONG. */
#define VMSD_E_OVERFLOW VMSD_HRESULT(0x80070216)

/* Microsoft's DLL defaults to its public symbol server (api.md 2.6). */
static const char ms_server[] = "srv**https://msdl.microsoft.com/download/symbols";

/* The instance behind a handle, or NULL (same rule as vmsd.c). */
static vmsd_handle *get(VM_SAVED_STATE_DUMP_HANDLE h)
{
	vmsd_handle *v = (vmsd_handle *)h;
	if (!v || v->magic != VMSD_MAGIC)
		return NULL;
	return v;
}

/* Handle, provider and VP checks of the per-VP symbol functions. */
static HRESULT get_sym(VM_SAVED_STATE_DUMP_HANDLE h, UINT32 vp, vmsd_handle **v)
{
	*v = get(h);
	if (!*v)
		return E_HANDLE;
	if (vp >= hvs_image_vp_count((*v)->img))
		return E_INVALIDARG;
	if (!(*v)->sym)
		return E_UNEXPECTED;
	return S_OK;
}

/* Native messages to the SDK callback; looked up at each message so a
 * change of callback takes effect at once. */
static void on_msg(void *ud, const char *msg)
{
	vmsd_handle *v = ud;
	if (v->dbg)
		v->dbg(msg);
}

void vmsd__sym_release(vmsd_handle *v)
{
	hvs_sym_close(v->sym);
	v->sym = NULL;
}

int vmsd__sym_os_info(vmsd_handle *v, uint64_t *out)
{
	hvs_sym_winver w;
	if (!v->sym || hvs_sym_windows_version(v->sym, &w) != HVS_OK)
		return 0;
	/* The closed-source view of api.md 4.4: build, minor, major, OS id
	 * Windows NT (4), vendor Microsoft (1). */
	*out = (uint64_t)(w.build & 0xFFFF) | (uint64_t)(w.minor & 0xFF) << 24 |
	       (uint64_t)(w.major & 0xFF) << 32 | (uint64_t)GuestOsMicrosoftWindowsNT << 40 |
	       (uint64_t)GuestOsVendorMicrosoft << 48;
	return 1;
}

/* The symbol path: user symbols; then _NT_SYMBOL_PATH and
 * _NT_ALTERNATE_SYMBOL_PATH, or Microsoft's server when neither is set.
 * malloc'd; NULL when out of memory. */
static char *make_path(const char *user)
{
	const char *env = getenv("_NT_SYMBOL_PATH");
	const char *alt = getenv("_NT_ALTERNATE_SYMBOL_PATH");
	const char *tail = env || alt ? (env ? env : "") : ms_server;
	size_t n = (user ? strlen(user) : 0) + strlen(tail) + (alt ? strlen(alt) : 0) + 3;
	char *p = malloc(n);
	if (!p)
		return NULL;
	snprintf(p, n, "%s;%s;%s", user ? user : "", tail, alt ? alt : "");
	return p;
}

/* Create the provider: locate the kernel and load its PDB. */
static HRESULT impl_LoadSavedStateSymbolProvider(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		LPCWSTR userSymbols, BOOL force)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	hvs_sym_opts o;
	hvs_sym *s = NULL;
	char *user = NULL, *path;
	char err[HVS_ERRMSG_MAX];
	hvs_status st;
	HRESULT hr;
	if (!v)
		return E_HANDLE;
	if (v->sym && !force)
		return S_OK;
	if (userSymbols) {
		user = vmsd__to_utf8(userSymbols, &hr);
		if (!user)
			return hr;
	}
	path = make_path(user);
	free(user);
	if (!path)
		return E_OUTOFMEMORY;
	memset(&o, 0, sizeof o);
	o.symbol_path = path;
	o.vp = HVS_SYM_VP_AUTO;
	o.flags = HVS_SYM_NO_ENV; /* the environment is in the path already */
	o.msg = on_msg;
	o.msg_ud = v;
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	st = hvs_sym_open(&s, v->img, &o);
	free(path);
	if (st != HVS_OK) {
		if (v->dbg)
			v->dbg(err);
		return vmsd__hresult(st);
	}
	st = hvs_sym_load_kernel(s);
	if (st != HVS_OK) {
		/* Located but no PDB is a symbol failure; not located at all is
		 * the SDK's own code (api.md 5.1). */
		hr = hvs_sym_kernel(s, NULL, NULL) ? vmsd__hresult(st)
						   : VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND;
		if (v->dbg)
			v->dbg(hvs_sym_errmsg(s));
		hvs_sym_close(s);
		return hr;
	}
	/* Replace an older provider only once the new one works. */
	vmsd__sym_release(v);
	v->sym = s;
	return S_OK;
}

VMSD_API HRESULT WINAPI LoadSavedStateSymbolProvider(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		LPCWSTR userSymbols, BOOL force)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_LoadSavedStateSymbolProvider(vmSavedStateDumpHandle, userSymbols,
			force));
}

/* Destroy the provider (S_OK also when none is loaded). */
static HRESULT impl_ReleaseSavedStateSymbolProvider(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	if (!v)
		return E_HANDLE;
	vmsd__sym_release(v);
	return S_OK;
}

VMSD_API HRESULT WINAPI ReleaseSavedStateSymbolProvider(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ReleaseSavedStateSymbolProvider(vmSavedStateDumpHandle));
}

/* The native provider (hvs_sym*) once loaded, else NULL. */
static HANDLE impl_GetSavedStateSymbolProviderHandle(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	return v ? (HANDLE)v->sym : NULL;
}

VMSD_API HANDLE WINAPI GetSavedStateSymbolProviderHandle(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle)
{
	VMSD_LOCKED(HANDLE, vmSavedStateDumpHandle,
		    impl_GetSavedStateSymbolProviderHandle(vmSavedStateDumpHandle));
}

/* Set the debug-message callback (before or after loading). */
static HRESULT impl_SetSavedStateSymbolProviderDebugInfoCallback(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK Callback)
{
	vmsd_handle *v = get(vmSavedStateDumpHandle);
	if (!v)
		return E_HANDLE;
	v->dbg = Callback;
	return S_OK;
}

VMSD_API HRESULT SetSavedStateSymbolProviderDebugInfoCallback(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK Callback)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_SetSavedStateSymbolProviderDebugInfoCallback(
			vmSavedStateDumpHandle, Callback));
}

/* Load one module's symbols at @base. */
static HRESULT load_module(VM_SAVED_STATE_DUMP_HANDLE h, LPCSTR image, UINT32 ts,
			   LPCSTR module, GUEST_VIRTUAL_ADDRESS base, DWORD size)
{
	vmsd_handle *v = get(h);
	hvs_status st;
	if (!v)
		return E_HANDLE;
	if (!v->sym)
		return E_UNEXPECTED;
	st = hvs_sym_load_module(v->sym, image, module, base, size, ts);
	if (st != HVS_OK && v->dbg)
		v->dbg(hvs_sym_errmsg(v->sym));
	return vmsd__hresult(st);
}

static HRESULT impl_LoadSavedStateModuleSymbols(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		LPCSTR imageName, LPCSTR moduleName, GUEST_VIRTUAL_ADDRESS baseAddress, DWORD sizeOfBase)
{
	return load_module(vmSavedStateDumpHandle, imageName, 0, moduleName, baseAddress,
			   sizeOfBase);
}

VMSD_API HRESULT WINAPI LoadSavedStateModuleSymbols(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		LPCSTR imageName, LPCSTR moduleName, GUEST_VIRTUAL_ADDRESS baseAddress, DWORD sizeOfBase)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_LoadSavedStateModuleSymbols(vmSavedStateDumpHandle, imageName,
			moduleName, baseAddress, sizeOfBase));
}

static HRESULT impl_LoadSavedStateModuleSymbolsEx(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		LPCSTR imageName, UINT32 imageTimestamp, LPCSTR moduleName,
		GUEST_VIRTUAL_ADDRESS baseAddress, DWORD sizeOfBase)
{
	return load_module(vmSavedStateDumpHandle, imageName, imageTimestamp, moduleName,
			   baseAddress, sizeOfBase);
}

VMSD_API HRESULT WINAPI LoadSavedStateModuleSymbolsEx(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		LPCSTR imageName, UINT32 imageTimestamp, LPCSTR moduleName,
		GUEST_VIRTUAL_ADDRESS baseAddress, DWORD sizeOfBase)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_LoadSavedStateModuleSymbolsEx(vmSavedStateDumpHandle, imageName,
			imageTimestamp, moduleName, baseAddress, sizeOfBase));
}

/* Address and size of a global. */
static HRESULT impl_ResolveSavedStateGlobalVariableAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR globalName, GUEST_VIRTUAL_ADDRESS *virtualAddress, ULONG *size)
{
	vmsd_handle *v;
	hvs_sym_global g;
	hvs_status st;
	HRESULT hr = get_sym(vmSavedStateDumpHandle, vpId, &v);
	if (FAILED(hr))
		return hr;
	if (!globalName)
		return E_INVALIDARG;
	if (!virtualAddress)
		return E_POINTER;
	st = hvs_sym_resolve(v->sym, globalName, &g);
	if (st != HVS_OK)
		return vmsd__hresult(st);
	if (size) {
		if (g.size > 0xFFFFFFFFu)
			return VMSD_E_OVERFLOW;
		*size = (ULONG)g.size;
	}
	*virtualAddress = g.va;
	return S_OK;
}

VMSD_API HRESULT WINAPI ResolveSavedStateGlobalVariableAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR globalName, GUEST_VIRTUAL_ADDRESS *virtualAddress, ULONG *size)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ResolveSavedStateGlobalVariableAddress(vmSavedStateDumpHandle,
			vpId, globalName, virtualAddress, size));
}

/*
 * Read @len bytes at @va through VP @vp page by page: translation by the
 * VP's page tables, data from the image with the memory fixes applied
 * (ApplyGuestMemoryFix changes every later read, api.md 2.5).
 */
static hvs_status read_gva(vmsd_handle *v, UINT32 vp, uint64_t va, uint8_t *buf, size_t len)
{
	while (len) {
		uint64_t gpa;
		size_t chunk = 4096 - (size_t)(va & 4095), done = 0;
		hvs_status st;
		if (chunk > len)
			chunk = len;
		st = hvs_vp_translate(v->img, vp, va, &gpa, NULL, NULL);
		if (st != HVS_OK)
			return st;
		st = hvs_image_read(v->img, HVS_SPACE_GPA, gpa, buf, chunk, &done);
		vmsd__apply_fixes(v, gpa, buf, done);
		if (st != HVS_OK)
			return st;
		buf += chunk;
		va += chunk;
		len -= chunk;
	}
	return HVS_OK;
}

/* Resolve a global and read bufferSize bytes of it through the VP. */
static HRESULT impl_ReadSavedStateGlobalVariable(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR globalName, LPVOID buffer, ULONG bufferSize)
{
	vmsd_handle *v;
	hvs_sym_global g;
	hvs_status st;
	HRESULT hr = get_sym(vmSavedStateDumpHandle, vpId, &v);
	if (FAILED(hr))
		return hr;
	if (!globalName)
		return E_INVALIDARG;
	if (!buffer && bufferSize)
		return E_POINTER;
	st = hvs_sym_resolve(v->sym, globalName, &g);
	if (st != HVS_OK)
		return vmsd__hresult(st);
	st = read_gva(v, vpId, g.va, buffer, bufferSize);
	switch (st) {
	case HVS_E_NOTPRESENT:
		/* A page of the variable is not mapped: the 22000+ code. */
		return VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED;
	case HVS_E_NOTFOUND:
		/* The VP's paging registers are not saved (as in
		 * GuestVirtualAddressToPhysicalAddress). */
		return VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE;
	default:
		return vmsd__hresult(st);
	}
}

VMSD_API HRESULT WINAPI ReadSavedStateGlobalVariable(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR globalName, LPVOID buffer, ULONG bufferSize)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_ReadSavedStateGlobalVariable(vmSavedStateDumpHandle, vpId,
			globalName, buffer, bufferSize));
}

/* Size of a type; 0 (not an error) when it is unknown. */
static HRESULT impl_GetSavedStateSymbolTypeSize(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR typeName, ULONG *size)
{
	vmsd_handle *v;
	uint64_t n = 0;
	hvs_status st;
	HRESULT hr = get_sym(vmSavedStateDumpHandle, vpId, &v);
	if (FAILED(hr))
		return hr;
	if (!typeName)
		return E_INVALIDARG;
	if (!size)
		return E_POINTER;
	st = hvs_sym_type_size(v->sym, typeName, &n);
	if (st == HVS_E_NOTFOUND) {
		*size = 0;
		return S_OK;
	}
	if (st != HVS_OK)
		return vmsd__hresult(st);
	if (n > 0xFFFFFFFFu)
		return VMSD_E_OVERFLOW;
	*size = (ULONG)n;
	return S_OK;
}

VMSD_API HRESULT WINAPI GetSavedStateSymbolTypeSize(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR typeName, ULONG *size)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetSavedStateSymbolTypeSize(vmSavedStateDumpHandle, vpId,
			typeName, size));
}

/* Offset of a field; *found FALSE (not an error) when there is none. */
static HRESULT impl_FindSavedStateSymbolFieldInType(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR typeName, LPCWSTR fieldName, UINT32 *offset, BOOL *found)
{
	vmsd_handle *v;
	hvs_sym_field f;
	hvs_status st;
	char *field;
	HRESULT hr = get_sym(vmSavedStateDumpHandle, vpId, &v);
	if (FAILED(hr))
		return hr;
	if (!typeName || !fieldName)
		return E_INVALIDARG;
	if (!offset || !found)
		return E_POINTER;
	field = vmsd__to_utf8(fieldName, &hr);
	if (!field)
		return hr;
	st = hvs_sym_find_field(v->sym, typeName, field, &f);
	free(field);
	*offset = 0;
	*found = FALSE;
	if (st == HVS_E_NOTFOUND)
		return S_OK;
	if (st != HVS_OK)
		return vmsd__hresult(st);
	if (f.offset > 0xFFFFFFFFu)
		return VMSD_E_OVERFLOW;
	*offset = (UINT32)f.offset;
	*found = TRUE;
	return S_OK;
}

VMSD_API HRESULT WINAPI FindSavedStateSymbolFieldInType(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR typeName, LPCWSTR fieldName, UINT32 *offset, BOOL *found)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_FindSavedStateSymbolFieldInType(vmSavedStateDumpHandle, vpId,
			typeName, fieldName, offset, found));
}

/* A growing UTF-8 buffer for the field map. */
typedef struct jbuf {
	char *p;
	size_t len, cap;
	int nomem;
	size_t count;
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 256;
		char *np;
		while (nc < b->len + n + 1)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np) {
			b->nomem = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Append @s as a JSON string (RFC 8259 escapes). */
static void jb_str(jbuf *b, const char *s)
{
	jb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			jb_put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			jb_put(b, esc, 6);
		} else {
			jb_put(b, (const char *)&c, 1);
		}
	}
	jb_put(b, "\"", 1);
}

/* One field map member: "Name": {"FieldOffset": n, "FieldSize": n}. */
static hvs_status on_field(void *ud, const hvs_sym_field *f)
{
	jbuf *b = ud;
	char num[96];
	int n;
	if (b->count++)
		jb_put(b, ", ", 2);
	jb_str(b, f->name);
	n = snprintf(num, sizeof num, ": {\"FieldOffset\": %llu, \"FieldSize\": %llu}",
		     (unsigned long long)f->offset, (unsigned long long)f->size);
	jb_put(b, num, (size_t)n);
	return b->nomem ? HVS_E_NOMEM : HVS_OK;
}

/* Every field of a type as a UTF-16 JSON object ("{}" when unknown). */
static HRESULT impl_GetSavedStateSymbolFieldInfo(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR typeName, LPWSTR *typeFieldInfoMap)
{
	vmsd_handle *v;
	jbuf b;
	hvs_status st;
	HRESULT hr;
	if (typeFieldInfoMap)
		*typeFieldInfoMap = NULL;
	hr = get_sym(vmSavedStateDumpHandle, vpId, &v);
	if (FAILED(hr))
		return hr;
	if (!typeName)
		return E_INVALIDARG;
	if (!typeFieldInfoMap)
		return E_POINTER;
	memset(&b, 0, sizeof b);
	jb_put(&b, "{", 1);
	st = hvs_sym_fields(v->sym, typeName, NULL, on_field, &b);
	if (st == HVS_E_NOTFOUND && !b.nomem) {
		/* An unknown type gives an empty map (api.md 2.6). */
		b.len = 1;
		b.p[1] = '\0';
		st = HVS_OK;
	}
	jb_put(&b, "}", 1);
	if (b.nomem)
		st = HVS_E_NOMEM;
	if (st == HVS_OK) {
		*typeFieldInfoMap = vmsd__to_utf16(b.p);
		if (!*typeFieldInfoMap)
			st = HVS_E_NOMEM;
	}
	free(b.p);
	return vmsd__hresult(st);
}

VMSD_API HRESULT WINAPI GetSavedStateSymbolFieldInfo(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
		UINT32 vpId, LPCSTR typeName, LPWSTR *typeFieldInfoMap)
{
	VMSD_LOCKED(HRESULT, vmSavedStateDumpHandle,
		    impl_GetSavedStateSymbolFieldInfo(vmSavedStateDumpHandle, vpId,
			typeName, typeFieldInfoMap));
}
