/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/sym.h
 * The symbol provider of a Windows guest: finds the guest's kernel image
 * in memory, fetches the matching PDB files along a symbol path (as
 * dbghelp and symsrv do), and answers questions about kernel and driver
 * globals and types.  The SDK's LoadSavedStateSymbolProvider and friends
 * (api.md 2.6) are thin adapters over this header.
 *
 * How the kernel is located and how symbol paths are resolved:
 * docs/symbols.md.  In short:
 *   - symbol paths are `;`-separated elements: plain folders,
 *     `srv*[DOWNSTREAM*...]*STORE`, `symsrv*symsrv.dll*...*STORE`,
 *     `cache*[DIR]`; with no path the environment variables
 *     `_NT_SYMBOL_PATH` and `_NT_ALTERNATE_SYMBOL_PATH` are used (unless
 *     HVS_SYM_NO_ENV);
 *   - a symbol store holds `name.pdb/<GUID><AGE>/name.pdb` (the GUID as
 *     32 upper-case hex digits in Windows GUID order, the age in hex
 *     without leading zeros), also two-tier stores (`index2.txt`) and
 *     `file.ptr` redirections; compressed `name.pd_` files are reported,
 *     not expanded;
 *   - HTTP(S) stores are downloaded from when the library is built with
 *     libcurl (hvs_sym_has_download()), into the first downstream store,
 *     written to a temporary file and renamed when complete and valid.
 *
 * Names follow WinDbg: a module is written as its file name without the
 * extension ("hvsdrv" for hvsdrv.sys), the kernel as "nt" (its image
 * name "ntoskrnl" and its PDB name, e.g. "ntkrnlmp", are accepted too);
 * module names compare case-insensitively.  Symbol, type and field
 * names match exactly, as in C.  An unqualified name is looked up in the
 * kernel first, then in the other loaded modules in load order.
 *
 * Untrusted input: guest memory (page tables, PE headers, the loaded
 * module list) and PDB files are hostile.  Every pointer, size and count
 * read from them is checked; the walk over the module list is bounded.
 *
 * Ownership: an hvs_sym borrows its hvs_image, which must outlive it; it
 * uses the image (translation contexts, reads) while its functions run,
 * so the one-thread-per-handle rule of the image covers the provider too
 * (docs/threading.md).  Strings in returned structures are borrowed from
 * the provider and stay valid until it is closed.
 *
 * Errors: HVS_E_INVALID (bad argument), HVS_E_NOMEM, HVS_E_NOTFOUND (no
 * kernel, no PDB, no such module, symbol, type or field), HVS_E_CORRUPT
 * (a damaged PDB, module list or PE header), HVS_E_IO, and the translation statuses of
 * hvs/vp.h (HVS_E_NOTPRESENT, HVS_E_NODATA) for reads.  The detail is in
 * hvs_sym_errmsg().
 */
#ifndef HVS_SYM_H
#define HVS_SYM_H

#include "common.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The symbol provider (opaque). */
typedef struct hvs_sym hvs_sym;

/**
 * Message callback: receives, one line at a time without a newline, what
 * the provider does: where it looked for the kernel and for each PDB,
 * what it found or why a candidate was refused.  The string is valid
 * during the call only.
 */
typedef void (*hvs_sym_msg_fn)(void *ud, const char *msg);

/** Use the first VP that was in kernel mode (hvs_sym_opts::vp). */
#define HVS_SYM_VP_AUTO UINT32_MAX

/** Ignore `_NT_SYMBOL_PATH` / `_NT_ALTERNATE_SYMBOL_PATH` when no symbol path is given. */
#define HVS_SYM_NO_ENV 0x1u
/** Never download, even when built with libcurl. */
#define HVS_SYM_NO_DOWNLOAD 0x2u

/** Options of hvs_sym_open().  Zero-initialise and set what you need. */
typedef struct hvs_sym_opts {
	/** Allocator; NULL for malloc. */
	const hvs_allocator *alloc;
	/**
	 * Symbol path in dbghelp syntax (see the file comment).  NULL or ""
	 * takes `_NT_SYMBOL_PATH;_NT_ALTERNATE_SYMBOL_PATH` from the
	 * environment (unless HVS_SYM_NO_ENV); with neither set the path is
	 * empty and every PDB lookup fails (the kernel is still located).
	 */
	const char *symbol_path;
	/**
	 * The "default downstream store": the cache that `srv**URL`,
	 * `srv*URL` (for HTTP stores) and `cache*` with an empty folder use.
	 * NULL: `$HVS_SYM_CACHE`, else `$XDG_CACHE_HOME/hvs/sym`, else
	 * `$HOME/.cache/hvs/sym`.
	 */
	const char *default_store;
	/** VP whose address space is used, or HVS_SYM_VP_AUTO. */
	uint32_t vp;
	/** HVS_SYM_* flags. */
	uint32_t flags;
	/** Message callback (may be NULL); see hvs_sym_set_msg(). */
	hvs_sym_msg_fn msg;
	void *msg_ud;
	/** Receives the message when hvs_sym_open() fails (may be NULL). */
	char *errbuf;
	size_t errbuf_size;
} hvs_sym_opts;

/**
 * Whether this build can download from HTTP(S) symbol stores (built with
 * libcurl, CMake option HVS_WITH_CURL).
 * @return 1 or 0.
 */
HVS_API int hvs_sym_has_download(void);

/**
 * Create a provider for @p img.  Parses the symbol path; touches neither
 * guest memory nor the file system (see hvs_sym_load_kernel()).
 * @param out  receives the provider; release with hvs_sym_close().
 * @param img  the guest image; borrowed, must outlive the provider.
 * @param o    options, or NULL for the defaults.
 * @return HVS_OK; HVS_E_INVALID (NULL argument, no such VP, or a symbol
 *         path element that cannot be parsed, e.g. `srv*` with nothing
 *         after it: errbuf says which); HVS_E_UNSUPPORTED (`symsrv*DLL*`
 *         with a DLL other than symsrv.dll); HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_sym_open(hvs_sym **out, hvs_image *img,
				const hvs_sym_opts *o);

/** Release a provider and every PDB it opened (NULL-safe). */
HVS_API void hvs_sym_close(hvs_sym *s);

/** Message of the last failed call on @p s (never NULL). */
HVS_API const char *hvs_sym_errmsg(const hvs_sym *s);

/**
 * Replace the message callback (NULL to stop messages).  Takes effect at
 * once, also while symbols are loaded (SetSavedStateSymbolProviderDebugInfoCallback).
 */
HVS_API void hvs_sym_set_msg(hvs_sym *s, hvs_sym_msg_fn fn, void *ud);

/**
 * Locate the kernel image in guest memory and load its PDB.  The search
 * starts from a kernel-mode VP's RIP, its IDT handlers and LSTAR, scans
 * down page by page (unmapped ranges skipped) for an MZ/PE image whose
 * CodeView PDB name is a kernel's (ntkrnlmp.pdb, ntoskrnl.pdb,
 * ntkrnlpa.pdb, ntkrpamp.pdb) and that contains the start address
 * (docs/symbols.md).  Calling it again after success does nothing.
 * (Without a kernel-mode VP, LSTAR and the IDT of the first x64 VP, or
 * of the VP asked for, are used.)
 * @return HVS_OK; HVS_E_NOTFOUND (no kernel image: not a Windows guest,
 *         no x64 VP; or no matching PDB along the symbol
 *         path: hvs_sym_kernel() tells the two apart, the message says
 *         which, the messages where it looked); HVS_E_CORRUPT (the only
 *         matching PDB found is damaged); HVS_E_NOMEM; HVS_E_IO.
 */
HVS_API hvs_status hvs_sym_load_kernel(hvs_sym *s);

/**
 * Whether the kernel was located (hvs_sym_load_kernel() succeeded, or
 * located the image but found no PDB).
 * @param base  receives the kernel's image base (may be NULL).
 * @param size  receives its SizeOfImage (may be NULL).
 * @return 1 when located, else 0.
 */
HVS_API int hvs_sym_kernel(const hvs_sym *s, uint64_t *base, uint32_t *size);

/**
 * Load the symbols of one guest module at @p base (LoadSavedStateModuleSymbolsEx).
 * The PE headers at @p base give the CodeView record (PDB name, GUID,
 * age); the PDB is then looked up along the symbol path.
 * @param image_name   file name of the image ("hvsdrv.sys"), or NULL to
 *                     take it from the PE export directory / the PDB name.
 * @param module_name  name to refer to it by ("hvsdrv"), or NULL for the
 *                     image name without its extension.
 * @param base         image base in the VP's address space.
 * @param size         SizeOfImage, or 0 to take it from the PE headers.
 * @param timestamp    expected TimeDateStamp, or 0 for any.
 * @return HVS_OK (also when the module is already loaded at @p base);
 *         HVS_E_NOTFOUND (no PE image at @p base, no CodeView record, no
 *         matching PDB); HVS_E_CORRUPT; HVS_E_NOTPRESENT / HVS_E_NODATA
 *         (the headers are not readable); HVS_E_INVALID (a timestamp
 *         that does not match); HVS_E_NOMEM; HVS_E_IO.
 */
HVS_API hvs_status hvs_sym_load_module(hvs_sym *s, const char *image_name,
				       const char *module_name, uint64_t base,
				       uint32_t size, uint32_t timestamp);

/** A module known to the provider. */
typedef struct hvs_sym_module {
	const char *name;       /**< WinDbg name: "nt" for the kernel, else the
	                             file name without extension */
	const char *image_name; /**< file name ("ntoskrnl.exe", "hvsdrv.sys"), or NULL */
	const char *pdb_name;   /**< CodeView PDB name (file part), or NULL */
	const char *pdb_path;   /**< local PDB file used, NULL when not loaded */
	uint64_t base;          /**< image base VA */
	uint32_t size;          /**< SizeOfImage */
	uint32_t timestamp;     /**< PE TimeDateStamp (0 when unknown) */
	uint8_t guid[16];       /**< CodeView GUID, Windows byte order */
	uint32_t age;           /**< CodeView age */
	int has_cv;             /**< pdb_name, guid and age are known */
	int loaded;             /**< its PDB is open */
	int is_kernel;          /**< this is the kernel */
	int from_list;          /**< found in PsLoadedModuleList */
} hvs_sym_module;

/**
 * Read the kernel's loaded-module list (PsLoadedModuleList, entries of
 * `_KLDR_DATA_TABLE_ENTRY`: DllBase, SizeOfImage, BaseDllName; offsets
 * from the kernel PDB's types when present, else the x64 layout of
 * docs/symbols.md) and register every module not yet known, without
 * loading its symbols (they are loaded on demand by the name lookups).
 * The walk stops at the list head, after 65,536 entries, or at the first
 * unreadable or malformed entry (HVS_E_CORRUPT with its address).
 * @return HVS_OK; HVS_E_NOTFOUND (kernel symbols not loaded, or no
 *         PsLoadedModuleList); HVS_E_CORRUPT; read statuses; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_sym_load_module_list(hvs_sym *s);

/** Number of modules known (the kernel first when located). */
HVS_API size_t hvs_sym_module_count(const hvs_sym *s);

/**
 * Module @p i (0 .. hvs_sym_module_count() - 1).
 * @return HVS_OK or HVS_E_INVALID.
 */
HVS_API hvs_status hvs_sym_module_at(const hvs_sym *s, size_t i,
				     hvs_sym_module *out);

/**
 * Find a module by name, as WinDbg writes it (case-insensitive; "nt",
 * "ntoskrnl" and the kernel PDB's name for the kernel, the image name
 * without extension for the others).  A name no known module has makes
 * the provider read the loaded-module list first
 * (hvs_sym_load_module_list()).  Its symbols are not loaded: use
 * hvs_sym_module_load().
 * @param index  receives the module's index for hvs_sym_module_at().
 * @return HVS_OK; HVS_E_NOTFOUND; HVS_E_INVALID (empty name).
 */
HVS_API hvs_status hvs_sym_find_module(hvs_sym *s, const char *name, size_t *index);

/**
 * Load the symbols of module @p i if that has not been tried yet.
 * @return HVS_OK; the statuses of hvs_sym_load_module().
 */
HVS_API hvs_status hvs_sym_module_load(hvs_sym *s, size_t i);

/** Where a name was found. */
typedef struct hvs_sym_global {
	uint64_t va;            /**< address in the VP's address space */
	uint64_t size;          /**< size of its type in bytes (0 when unknown,
	                             e.g. a public symbol without type) */
	const char *module;     /**< WinDbg module name */
	const char *type_name;  /**< its type as C writes it, or NULL */
} hvs_sym_global;

/**
 * Resolve a global variable or function: `Name` or `module!Name`.
 * Data symbols (S_GDATA32/S_LDATA32) are preferred; a public symbol
 * (S_PUB32) gives an address without a size.
 * @return HVS_OK; HVS_E_NOTFOUND (no such module or symbol; nothing
 *         loaded); HVS_E_INVALID; HVS_E_CORRUPT; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_sym_resolve(hvs_sym *s, const char *name,
				   hvs_sym_global *out);

/**
 * Resolve a global and read @p len bytes of it through VP @p vp.
 * @param vp    VP whose address space is read (HVS_SYM_VP_AUTO: the
 *              provider's).
 * @param done  receives the bytes read (may be NULL).
 * @return HVS_OK; the statuses of hvs_sym_resolve() and hvs_vp_read().
 */
HVS_API hvs_status hvs_sym_read(hvs_sym *s, uint32_t vp, const char *name,
				void *buf, size_t len, size_t *done);

/**
 * Size of a type (`_EPROCESS`, `nt!_EPROCESS`, `hvsdrv!HVS_DEVICE`):
 * a structure, union, class, enum or typedef name.
 * @return HVS_OK; HVS_E_NOTFOUND; HVS_E_CORRUPT; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_sym_type_size(hvs_sym *s, const char *type,
				     uint64_t *size);

/** One field of a type (WinDbg `dt`). */
typedef struct hvs_sym_field {
	const char *name;      /**< field name; members of anonymous nested
	                            structures and unions appear as fields of
	                            the enclosing type */
	uint64_t offset;       /**< byte offset in the type */
	uint64_t size;         /**< bytes (of the storage unit for bitfields) */
	const char *type_name; /**< type as C writes it ("unsigned long",
	                            "struct _LIST_ENTRY", "char[16]", "void*") */
	uint32_t bit_pos;      /**< first bit of a bitfield */
	uint32_t bit_len;      /**< bits of a bitfield, 0 for ordinary fields */
} hvs_sym_field;

/** Field callback: return HVS_OK to continue, anything else stops. */
typedef hvs_status (*hvs_sym_field_fn)(void *ud, const hvs_sym_field *f);

/**
 * Find field @p field of type @p type.  The strings in @p out are valid
 * until the provider is closed.
 * @return HVS_OK; HVS_E_NOTFOUND (no such type, or no such field: the
 *         message tells which); HVS_E_CORRUPT; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_sym_find_field(hvs_sym *s, const char *type,
				      const char *field, hvs_sym_field *out);

/**
 * Call @p cb for every field of @p type in declaration order (the field
 * map of GetSavedStateSymbolFieldInfo, the fields of `hvs sym`).
 * @param size  receives the type's size (may be NULL).
 * @return HVS_OK; HVS_E_NOTFOUND (no such type); the callback's status;
 *         HVS_E_CORRUPT; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_sym_fields(hvs_sym *s, const char *type, uint64_t *size,
				  hvs_sym_field_fn cb, void *ud);

/** The Windows version of the guest, from the kernel. */
typedef struct hvs_sym_winver {
	uint32_t major;        /**< e.g. 10 */
	uint32_t minor;        /**< e.g. 0 */
	uint32_t build;        /**< e.g. 19041 */
	uint32_t build_raw;    /**< NtBuildNumber as stored (0xF000xxxx for a free build) */
	const char *source;    /**< "NtBuildNumber", "KUSER_SHARED_DATA" or "PE version" */
} hvs_sym_winver;

/**
 * The guest's Windows version: NtBuildNumber and NtMajorVersion /
 * NtMinorVersion (globals of the kernel PDB) when the kernel's symbols
 * are loaded; else KUSER_SHARED_DATA (0xFFFFF78000000000: NtMajorVersion
 * at 0x26C, NtMinorVersion at 0x270, NtBuildNumber at 0x260); else the
 * kernel PE's OS version fields with the build from its file version
 * when it was only located.
 * @return HVS_OK; HVS_E_NOTFOUND (the kernel was not located and shared
 *         data is not readable).
 */
HVS_API hvs_status hvs_sym_windows_version(hvs_sym *s, hvs_sym_winver *out);

#ifdef __cplusplus
}
#endif
#endif /* HVS_SYM_H */
