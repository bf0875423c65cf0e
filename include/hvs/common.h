/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/common.h
 * Status codes, version, allocator and input sources shared by every part
 * of hvsavedstate.
 *
 * Untrusted-input contract: every function that parses file bytes treats
 * them as hostile.  Offsets, sizes and counts are bounds- and
 * overflow-checked; malformed input yields HVS_E_CORRUPT (or
 * HVS_E_UNSUPPORTED) with a message naming the structure and the file
 * offset.  The library never exits, aborts or allocates in proportion to a
 * size field it has not validated against the file size and a documented
 * cap.
 *
 * Thread rules (docs/threading.md): one thread at a time per handle;
 * separate handles are independent.  There is no global or thread-local
 * state.
 */
#ifndef HVS_COMMON_H
#define HVS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Export macro: the library is built with hidden visibility.  On Windows
 * the API is __declspec(dllexport) while hvsavedstate.dll is built and
 * __declspec(dllimport) for its users; programs that link the static
 * library (libhvsavedstate.a / hvsavedstate_static in CMake, which sets
 * it for them) define HVS_STATIC.
 */
#if defined(_WIN32)
#  if defined(HVS_STATIC)
#    define HVS_API
#  elif defined(HVS_BUILDING_LIBRARY)
#    define HVS_API __declspec(dllexport)
#  else
#    define HVS_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define HVS_API __attribute__((visibility("default")))
#else
#  define HVS_API
#endif

#define HVS_VERSION_MAJOR 0
#define HVS_VERSION_MINOR 1
#define HVS_VERSION_PATCH 0
/** Version as one number: major * 10000 + minor * 100 + patch. */
#define HVS_VERSION_NUMBER \
	(HVS_VERSION_MAJOR * 10000 + HVS_VERSION_MINOR * 100 + HVS_VERSION_PATCH)

/**
 * Library version string ("0.1.0").
 * @return a static string; never NULL.
 */
HVS_API const char *hvs_version(void);

/**
 * Status codes.  Few and actionable; the detail (structure, offset,
 * expected value) is in the message kept by the handle or the errbuf of
 * the options that opened it.
 */
typedef enum hvs_status {
	HVS_OK = 0,
	HVS_E_INVALID = -1,     /**< bad argument or misuse of the API */
	HVS_E_NOMEM = -2,       /**< an allocation failed */
	HVS_E_IO = -3,          /**< the operating system failed a read or write */
	HVS_E_CORRUPT = -4,     /**< the file breaks its format */
	HVS_E_UNSUPPORTED = -5, /**< valid, but an unknown version or feature */
	HVS_E_NOTPRESENT = -6,  /**< a page-table entry is not present */
	HVS_E_NODATA = -7,      /**< the address is not backed by the image */
	HVS_E_NOTFOUND = -8,    /**< key, register or symbol missing */
	HVS_E_BUFSIZE = -9      /**< the caller's buffer is too small */
} hvs_status;

/**
 * Short, static description of a status ("file is corrupt").
 * @return a static string; never NULL (unknown codes give "unknown status").
 */
HVS_API const char *hvs_strerror(hvs_status status);

/**
 * Optional allocator, used for every allocation a handle makes
 * (ZSTD_customMem style).  All three functions must be set, or the whole
 * struct left NULL for the C library's malloc/realloc/free.
 */
typedef struct hvs_allocator {
	void *(*malloc)(void *ud, size_t size);
	void *(*realloc)(void *ud, void *ptr, size_t size);
	void (*free)(void *ud, void *ptr);
	void *ud;
} hvs_allocator;

/**
 * Input source: positional reads from a file, a memory buffer, or anything
 * the caller implements.  A value type the caller owns; handles that read
 * from it copy the struct and never call close() unless they opened the
 * source themselves (the *_open_file convenience functions).
 */
typedef struct hvs_source {
	/**
	 * Read up to @p len bytes at @p off into @p buf.  Sets *done to the
	 * number of bytes read.  Returns HVS_OK when all @p len bytes were
	 * read, HVS_E_NODATA when the source ends first (a short read), or
	 * HVS_E_IO on an operating-system error.
	 */
	hvs_status (*read_at)(void *ud, uint64_t off, void *buf, size_t len,
			      size_t *done);
	/** Total size in bytes. */
	uint64_t (*size)(void *ud);
	/** Release @p ud.  May be NULL. */
	void (*close)(void *ud);
	void *ud;
} hvs_source;

/**
 * Open a file read-only as a source.
 * @param out   receives the source; release with hvs_source_close().
 * @param path  file name (UTF-8 on Windows).
 * @return HVS_OK, HVS_E_IO (errno tells why; on Windows the nearest errno
 *         value, while the library's own messages quote Windows' reason)
 *         or HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_source_open_file(hvs_source *out, const char *path);

/**
 * Wrap a memory buffer as a source.  The buffer is borrowed and must
 * outlive the source.  Never fails for valid arguments.
 * @return HVS_OK or HVS_E_INVALID (NULL with a non-zero length).
 */
HVS_API hvs_status hvs_source_from_memory(hvs_source *out, const void *data,
					  size_t len);

/** Close a source made by one of the constructors above (NULL-safe). */
HVS_API void hvs_source_close(hvs_source *src);

/**
 * Why an open failed, beyond its status: the cases a caller may want to
 * tell apart without reading the message (the SDK layer maps them to
 * distinct HRESULTs).
 */
typedef enum hvs_open_reason {
	HVS_REASON_NONE = 0,           /**< no more detail than the status */
	HVS_REASON_NOT_RECOGNISED,     /**< not a format this library reads */
	HVS_REASON_UNSUPPORTED_VERSION,/**< the format, in a version it does not read */
	HVS_REASON_CONFIG_ONLY,        /**< a container with VM configuration only */
	HVS_REASON_NO_PARTITION_STATE, /**< saved-state keys, but no processor state */
	HVS_REASON_NO_MEMORY,          /**< processor state, but no guest memory
	                                    (a running VM's state file) */
	HVS_REASON_NO_VPS,             /**< processor state without a VP */
	HVS_REASON_ENCRYPTED           /**< an encrypted saved state */
} hvs_open_reason;

/** Maximum length of any message the library writes, NUL included. */
#define HVS_ERRMSG_MAX 512

/**
 * Options common to every open function.  Zero-initialise
 * (`hvs_open_opts o = {0};`) and set what you need; NULL means all defaults.
 */
typedef struct hvs_open_opts {
	/** Allocator for the handle; NULL for malloc. */
	const hvs_allocator *alloc;
	/**
	 * When an open function fails it writes its message here
	 * (NUL-terminated, truncated to errbuf_size).  May be NULL.
	 */
	char *errbuf;
	size_t errbuf_size;
	/** HVS_OPEN_* flags. */
	uint32_t flags;
	/**
	 * Problem sink.  When set, the parser reports every non-fatal
	 * problem it finds (bad checksum, stale table, ...) here and goes on
	 * where it safely can, instead of failing on the first.  Used by
	 * `hvs check`.  @p offset is the file offset of the structure, or
	 * UINT64_MAX when none applies.
	 */
	void (*problem)(void *ud, hvs_status kind, uint64_t offset,
			const char *msg);
	void *problem_ud;
	/**
	 * When set, receives the reason an open failed (HVS_REASON_NONE
	 * when it succeeds or no finer reason applies).
	 */
	hvs_open_reason *reason;
} hvs_open_opts;

/** Do not apply a pending replay log to the in-memory view. */
#define HVS_OPEN_NO_REPLAY 0x1u

/** Address spaces: every address names its space. */
typedef enum hvs_space {
	HVS_SPACE_GPA = 0,  /**< guest-physical address */
	HVS_SPACE_GVA = 1,  /**< guest-virtual address (per VP / page-table root) */
	HVS_SPACE_RAW = 2,  /**< offset in the raw saved memory (RAM blocks concatenated) */
	HVS_SPACE_FILE = 3  /**< offset in the file */
} hvs_space;

/** An address together with its space. */
typedef struct hvs_fulladdr {
	uint64_t addr;
	hvs_space space;
} hvs_fulladdr;

#ifdef __cplusplus
}
#endif
#endif /* HVS_COMMON_H */
