/* SPDX-License-Identifier: MIT */
/*
 * The platform layer: every call into the operating system the library
 * makes goes through here, so that parsers, writers and the conversion
 * pipeline hold no #ifdef _WIN32 (docs/windows.md).
 *
 * Two implementations: platform_posix.c (pread/pwrite/pwritev, Linux's
 * copy_file_range, fsync, rename, pthreads, clock_gettime) and
 * platform_win.c (CreateFileW with UTF-16 paths, ReadFile/WriteFile with
 * OVERLAPPED offsets, FlushFileBuffers, MoveFileExW, Win32 threads with
 * SRWLOCK and CONDITION_VARIABLE, QueryPerformanceCounter).
 *
 * Conventions.
 *  - Paths are UTF-8 everywhere (the library's API); the Windows side
 *    converts them to UTF-16 for the wide Win32 calls, so non-ASCII names
 *    work whatever the ANSI code page.
 *  - Offsets and sizes are 64-bit: files over 4 GiB work on both.
 *  - Functions that can fail return an OS error code: 0 on success, else
 *    errno (POSIX) or GetLastError() (Windows).  hvs__os_strerror() turns
 *    one into text (strerror / FormatMessageW as UTF-8) for messages that
 *    name the file and the operation.  HVS__OS_NOTSUP (negative, never an
 *    OS code) means "this platform cannot do that; use the fallback",
 *    HVS__OS_NOMEM that the layer ran out of memory.
 *  - Positional reads and writes never move a shared file position, so a
 *    handle may be used from several threads at once.
 */
#ifndef HVS_UTIL_PLATFORM_H
#define HVS_UTIL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/alloc.h"

#ifndef _WIN32
#include <pthread.h>
#endif

/* ------------------------------------------------------------ errors -- */

/* "Not on this platform": callers take their portable fallback. */
#define HVS__OS_NOTSUP (-1)
/* Out of memory in the layer itself (converting a path, naming a file). */
#define HVS__OS_NOMEM (-2)

/* Text for OS error @code in @buf ("No such file or directory",
 * "The process cannot access the file ... (error 32)"); returns @buf. */
const char *hvs__os_strerror(int code, char *buf, size_t size);

/* Whether @code means "the file already exists" (EEXIST, ERROR_FILE_EXISTS). */
int hvs__os_err_exists(int code);
/* Whether @code means "no such file or folder" (ENOENT, ERROR_*_NOT_FOUND). */
int hvs__os_err_notfound(int code);
/* Whether @code means "another process holds a lock or share mode". */
int hvs__os_err_locked(int code);

/* The OS error of the last failed C library or OS call (errno, or
 * GetLastError() on Windows) for callers that used one directly. */
int hvs__os_last_error(void);

/* ------------------------------------------------------------- files -- */

/* An open file: a descriptor on POSIX, a HANDLE on Windows. */
typedef intptr_t hvs__fh;
#define HVS__FH_NONE ((hvs__fh)-1)

/*
 * Open @path read-only for positional reads; *@size gets its size.
 * Regular files only (a folder or a device has no size to check offsets
 * against).  Windows shares read, write and delete with other processes,
 * as a reader must not stop Hyper-V or an editor from using the file.
 * errno is left set too (POSIX: the returned code; Windows: the nearest
 * errno value), as hvs_source_open_file() documents.
 */
int hvs__file_open_read(hvs__fh *out, const char *path, uint64_t *size);

/*
 * Open an existing @path for reading and writing, exclusively: no other
 * process may write it meanwhile (POSIX: a whole-file write lock;
 * Windows: the share mode allows others to read only).  The lock goes
 * with the handle.  hvs__os_err_locked() tells a held lock from others.
 */
int hvs__file_open_rw_locked(hvs__fh *out, const char *path, uint64_t *size);

/*
 * Create @path for reading and writing.  @excl: fail with an "exists"
 * code if it exists (O_EXCL / CREATE_NEW); else truncate or create it.
 * The mode is 0666 less the umask on POSIX.
 */
int hvs__file_create(hvs__fh *out, const char *path, int excl);

/*
 * Create a new file named "<final><tag><8 hex digits><suffix>" beside
 * @final, exclusively (never an existing file), for output renamed onto
 * @final once complete.  *@tmp_out gets the name (owned, freed with @a).
 */
int hvs__file_create_temp(const hvs__alloc *a, const char *final, const char *tag,
			  const char *suffix, char **tmp_out, hvs__fh *out);

/*
 * Read up to @len bytes at @off; *@got counts what was read.  Loops over
 * short reads; *@got < @len with 0 returned means end of file.
 */
int hvs__file_pread(hvs__fh fh, void *buf, size_t len, uint64_t off, size_t *got);

/* Write all @len bytes at @off (loops over short writes; a write that
 * makes no progress is an error). */
int hvs__file_pwrite(hvs__fh fh, const void *buf, size_t len, uint64_t off);

/* One piece of a gathered write. */
typedef struct hvs__iov {
	const void *base;
	size_t len;
} hvs__iov;

/*
 * Write the @n pieces of @v back to back at @off, all of them (pwritev
 * on POSIX, one positional write per piece on Windows).  *@written counts
 * the bytes that reached the file, also on error.
 */
int hvs__file_pwritev(hvs__fh fh, const hvs__iov *v, int n, uint64_t off, uint64_t *written);

/*
 * Copy @len bytes from @in at @in_off to @out at @out_off inside the
 * kernel (Linux copy_file_range: no copy through user space, reflinks
 * where the filesystem shares extents).  *@copied gets the bytes copied by
 * this call (0 with 0 returned: @in ended).  HVS__OS_NOTSUP when the
 * kernel or platform cannot: the caller reads and writes instead.
 */
int hvs__file_copy_range(hvs__fh in, uint64_t in_off, hvs__fh out, uint64_t out_off, size_t len,
			 size_t *copied);

/* Flush data and metadata to the device (fsync / FlushFileBuffers). */
int hvs__file_sync(hvs__fh fh);
/* Set the file's size (extends with a hole where the filesystem can). */
int hvs__file_set_size(hvs__fh fh, uint64_t size);
/* The file's current size. */
int hvs__file_size(hvs__fh fh, uint64_t *size);
/* Close; the error of a delayed write shows here. */
int hvs__file_close(hvs__fh fh);
/* Whether @path names the very file open as @fh (*@same 0 or 1; 0 when
 * @path does not exist). */
int hvs__file_same(hvs__fh fh, const char *path, int *same);

/*
 * Map a whole regular file read-only (*@map, *@size).  Any failure returns
 * nonzero and the caller falls back to positional reads.  Unmap with
 * hvs__file_unmap(); the file itself is not kept open.
 */
int hvs__file_map(const char *path, const uint8_t **map, uint64_t *size);
void hvs__file_unmap(const uint8_t *map, uint64_t size);

/* fopen() with a UTF-8 path (_wfopen on Windows); NULL and errno set on
 * failure.  Modes as fopen's; always binary on Windows. */
FILE *hvs__fopen(const char *path, const char *mode);

/* ------------------------------------------------------------- paths -- */

enum { HVS__PATH_NONE = 0, HVS__PATH_FILE = 1, HVS__PATH_DIR = 2 };

/* What @path names: nothing, a non-folder (a symbolic link itself counts
 * as a file on POSIX: lstat), or a folder. */
int hvs__path_kind(const char *path);

/*
 * Rename @from onto @to within one filesystem, atomically.  @replace: an
 * existing @to is replaced; otherwise the rename fails with an "exists"
 * code where the platform can tell (Windows) -- POSIX rename() always
 * replaces, so the caller checks before.  Windows asks for write-through.
 */
int hvs__path_rename(const char *from, const char *to, int replace);

/* Delete the file @path. */
int hvs__path_remove(const char *path);

/* Create every folder of @path up to its last separator ('/', or '\\'
 * on Windows): mkdir -p of its dirname. */
int hvs__mkdir_parents(const char *path);

/* ------------------------------------------------------- environment -- */

/* A copy of environment variable @name (UTF-8, owned, freed with @a);
 * NULL when unset or empty. */
char *hvs__getenv(const hvs__alloc *a, const char *name);

/* The user's cache folder (owned, freed with @a), NULL when unknown:
 * $XDG_CACHE_HOME, else $HOME/.cache on POSIX; %LOCALAPPDATA% on Windows. */
char *hvs__user_cache_dir(const hvs__alloc *a);

/* Seconds on a monotonic clock (differences only). */
double hvs__monotonic_seconds(void);

/* Processors online for this process (at least 1). */
unsigned hvs__cpu_count(void);

/* The process id (temporary file names). */
unsigned long hvs__process_id(void);

/* ----------------------------------------------------------- threads -- */

#ifdef _WIN32
/* SRWLOCK, CONDITION_VARIABLE and a HANDLE are one pointer each. */
typedef struct hvs__mutex {
	void *p;
} hvs__mutex;
typedef struct hvs__cond {
	void *p;
} hvs__cond;
typedef struct hvs__thread {
	void *h;
	void (*fn)(void *);
	void *arg;
} hvs__thread;
#else
typedef struct hvs__mutex {
	pthread_mutex_t m;
} hvs__mutex;
typedef struct hvs__cond {
	pthread_cond_t c;
} hvs__cond;
typedef struct hvs__thread {
	pthread_t t;
	void (*fn)(void *);
	void *arg;
} hvs__thread;
#endif

/* Start @fn(@arg) on a new thread; @t must stay where it is until
 * hvs__thread_join().  0 or an OS error code. */
int hvs__thread_start(hvs__thread *t, void (*fn)(void *), void *arg);
void hvs__thread_join(hvs__thread *t);

void hvs__mutex_init(hvs__mutex *m);
void hvs__mutex_destroy(hvs__mutex *m);
void hvs__mutex_lock(hvs__mutex *m);
void hvs__mutex_unlock(hvs__mutex *m);

void hvs__cond_init(hvs__cond *c);
void hvs__cond_destroy(hvs__cond *c);
/* Wait on @c, releasing @m meanwhile (spurious wake-ups happen: callers
 * loop on their condition). */
void hvs__cond_wait(hvs__cond *c, hvs__mutex *m);
void hvs__cond_signal(hvs__cond *c);
void hvs__cond_broadcast(hvs__cond *c);

/* -------------------------------------------------------------- HTTP -- */

/* Whether the OS itself can download (hvs__os_http_get): WinHTTP on
 * Windows; 0 on POSIX, where downloads need libcurl (HVS_WITH_CURL). */
int hvs__os_http_available(void);

/*
 * GET @url (http:// or https://, redirects followed as the OS does: up to
 * 10, never from https to http) sending @user_agent, writing the body of a
 * 200 answer to @fh from offset 0; at most @max body bytes.  *status gets
 * the final HTTP status (0 when none arrived).
 * Returns 0 when an answer arrived complete (any status), else an OS error
 * code or HVS__OS_NOTSUP, with a sentence in @why (connecting, a body
 * shorter than its Content-Length, over @max, writing @fh).
 */
int hvs__os_http_get(const char *url, const char *user_agent, hvs__fh fh, uint64_t max,
		     long *status, char *why, size_t whysize);

#endif
