/* SPDX-License-Identifier: MIT */
/*
 * The platform layer on Windows (src/util/platform.h), for mingw-w64 and
 * MSVC: the library's UTF-8 paths become UTF-16 for the wide Win32 calls
 * (CreateFileW, MoveFileExW, DeleteFileW, CreateDirectoryW, _wfopen), so
 * non-ASCII names work whatever the ANSI code page; positional I/O is
 * ReadFile/WriteFile with the offset in an OVERLAPPED (64-bit offsets, no
 * shared file position, so one handle serves several threads); threads
 * are _beginthreadex with SRWLOCK and CONDITION_VARIABLE (Windows Vista
 * and later; no winpthreads DLL).  Error codes are GetLastError() values,
 * formatted with FormatMessageW.  The POSIX counterpart is
 * platform_posix.c; docs/windows.md says what differs.
 */
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <winioctl.h>
#include <winhttp.h>
/* Not in every SDK's headers (winerror.h of Windows 10). */
#ifndef ERROR_DIRECTORY_NOT_SUPPORTED
#define ERROR_DIRECTORY_NOT_SUPPORTED 336L
#endif
#include <errno.h>
#include <limits.h>
#include <process.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util/platform.h"

/* One ReadFile/WriteFile moves at most this much (a DWORD count). */
#define IO_MAX ((DWORD)1 << 30)

/* ---------------------------------------------------------- UTF-16 -- */

/* @s (UTF-8) as a new UTF-16 string (free()), or NULL with the last
 * error set (invalid UTF-8, out of memory). */
static wchar_t *wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;
	if (n <= 0)
		return NULL;
	w = malloc((size_t)n * sizeof *w);
	if (!w) {
		SetLastError(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		return NULL;
	}
	return w;
}

/*
 * A UTF-8 path as UTF-16 for the wide file APIs.  Paths too long for
 * MAX_PATH (CreateDirectoryW's limit is 248) become absolute "\\?\"
 * paths, which Windows takes up to 32767 characters without long-path
 * support enabled; GetFullPathNameW first does what "\\?\" turns off
 * (making the path absolute, '/' to '\', "." and "..").
 */
static wchar_t *wpath(const char *s)
{
	wchar_t *w = wide(s), *full, *out;
	DWORD n, m;
	if (!w || wcslen(w) < 248 || wcsncmp(w, L"\\\\?\\", 4) == 0)
		return w;
	n = GetFullPathNameW(w, 0, NULL, NULL);
	full = n ? malloc((size_t)n * sizeof *full) : NULL;
	m = full ? GetFullPathNameW(w, n, full, NULL) : 0;
	out = m && m < n ? malloc(((size_t)m + 8) * sizeof *out) : NULL;
	if (out) {
		if (full[0] == L'\\' && full[1] == L'\\') /* \\server\share -> \\?\UNC\server\share */
			swprintf(out, (size_t)m + 8, L"\\\\?\\UNC%ls", full + 1);
		else
			swprintf(out, (size_t)m + 8, L"\\\\?\\%ls", full);
		free(w);
		w = out;
	}
	free(full);
	return w; /* unchanged when it could not be made absolute */
}

/* UTF-16 @w as UTF-8 into @buf (truncated at a character boundary, always
 * NUL-terminated); returns the bytes written, NUL excluded. */
static size_t narrow_into(const wchar_t *w, char *buf, size_t size)
{
	int n;
	if (size == 0)
		return 0;
	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, size > INT_MAX ? INT_MAX : (int)size,
				NULL, NULL);
	if (n <= 0) {
		buf[0] = '\0';
		return 0;
	}
	buf[n - 1] = '\0';
	return (size_t)n - 1;
}

/* ------------------------------------------------------------ errors -- */

const char *hvs__os_strerror(int code, char *buf, size_t size)
{
	wchar_t w[512];
	DWORD n;
	size_t len;
	if (size == 0)
		return buf;
	if (code == HVS__OS_NOTSUP || code == HVS__OS_NOMEM) {
		snprintf(buf, size, "%s", code == HVS__OS_NOTSUP ? "not supported on this platform"
								  : "out of memory");
		return buf;
	}
	n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
			   (DWORD)code, 0, w, (DWORD)(sizeof w / sizeof w[0]), NULL);
	/* System messages end in ".\r\n": one line, no period, like strerror. */
	while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' || w[n - 1] == L' ' ||
			 w[n - 1] == L'.'))
		n--;
	if (n == 0) {
		/* Systems without the text (wine has none for 336). */
		snprintf(buf, size, code == ERROR_DIRECTORY_NOT_SUPPORTED
				    ? "Is a folder (error %d)" : "Windows error %d", code);
		return buf;
	}
	w[n] = L'\0';
	len = narrow_into(w, buf, size);
	if (len + 1 < size)
		snprintf(buf + len, size - len, " (error %d)", code);
	return buf;
}

int hvs__os_err_exists(int code)
{
	return code == ERROR_FILE_EXISTS || code == ERROR_ALREADY_EXISTS;
}

int hvs__os_err_notfound(int code)
{
	return code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND;
}

int hvs__os_err_locked(int code)
{
	return code == ERROR_SHARING_VIOLATION || code == ERROR_LOCK_VIOLATION;
}

int hvs__os_last_error(void)
{
	DWORD e = GetLastError();
	return e ? (int)e : ERROR_GEN_FAILURE;
}

/* The last error as a nonzero code. */
static int last(void)
{
	return hvs__os_last_error();
}

/* ------------------------------------------------------------- files -- */

static HANDLE H(hvs__fh fh)
{
	return (HANDLE)fh;
}

/* CreateFileW on a UTF-8 path; INVALID_HANDLE_VALUE with the last error. */
static HANDLE open_w(const char *path, DWORD access, DWORD share, DWORD disp, DWORD flags)
{
	wchar_t *w = wpath(path);
	HANDLE h;
	DWORD e;
	if (!w)
		return INVALID_HANDLE_VALUE;
	h = CreateFileW(w, access, share, NULL, disp, flags, NULL);
	e = GetLastError();
	free(w);
	SetLastError(e);
	return h;
}

/* Why @path cannot be opened as a file when CreateFileW said "access
 * denied": a folder says so (ERROR_DIRECTORY_NOT_SUPPORTED). */
static int open_error(const char *path)
{
	DWORD e = GetLastError();
	if (e == ERROR_ACCESS_DENIED && hvs__path_kind(path) == HVS__PATH_DIR)
		return ERROR_DIRECTORY_NOT_SUPPORTED;
	return e ? (int)e : ERROR_GEN_FAILURE;
}

/* The size of an open disk file; refuses pipes and devices. */
static int disk_size(HANDLE h, uint64_t *size)
{
	LARGE_INTEGER li;
	if (GetFileType(h) != FILE_TYPE_DISK)
		return ERROR_INVALID_PARAMETER;
	if (!GetFileSizeEx(h, &li))
		return last();
	*size = (uint64_t)li.QuadPart;
	return 0;
}

/* errno for a failed open, for callers of hvs_source_open_file() that
 * follow its documented errno (the message uses the Windows code). */
static int set_errno(int e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_NAME: errno = ENOENT; break;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION: errno = EACCES; break;
	case ERROR_DIRECTORY_NOT_SUPPORTED: errno = EISDIR; break;
	case ERROR_NOT_ENOUGH_MEMORY: errno = ENOMEM; break;
	default: errno = EIO; break;
	}
	return e;
}

int hvs__file_open_read(hvs__fh *out, const char *path, uint64_t *size)
{
	/* Share everything: Hyper-V, a backup tool or an editor may hold the
	 * file open, and reading must neither fail nor stop them. */
	HANDLE h = open_w(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			  OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL);
	int e;
	*out = HVS__FH_NONE;
	if (h == INVALID_HANDLE_VALUE)
		return set_errno(open_error(path));
	e = disk_size(h, size);
	if (e) {
		CloseHandle(h);
		return set_errno(e);
	}
	*out = (hvs__fh)h;
	return 0;
}

int hvs__file_open_rw_locked(hvs__fh *out, const char *path, uint64_t *size)
{
	/* Share mode read-only: while open, nobody else may write or delete;
	 * someone already writing makes this fail with a sharing violation. */
	HANDLE h = open_w(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, OPEN_EXISTING,
			  FILE_ATTRIBUTE_NORMAL);
	OVERLAPPED ov;
	int e;
	*out = HVS__FH_NONE;
	if (h == INVALID_HANDLE_VALUE)
		return open_error(path);
	/* And a byte-range lock over everything, like the POSIX side's
	 * F_SETLK: a reader holding LockFileEx also keeps us out. */
	memset(&ov, 0, sizeof ov);
	if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
			MAXDWORD, &ov)) {
		e = last();
		CloseHandle(h);
		return e;
	}
	e = disk_size(h, size);
	if (e) {
		CloseHandle(h);
		return e;
	}
	*out = (hvs__fh)h;
	return 0;
}

int hvs__file_create(hvs__fh *out, const char *path, int excl)
{
	/* Shared for writing: a writer may open the file a second time by
	 * name (the .vmrs converter hands the temp path to the store writer). */
	HANDLE h = open_w(path, GENERIC_READ | GENERIC_WRITE,
			  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			  excl ? CREATE_NEW : CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL);
	DWORD ret;
	*out = HVS__FH_NONE;
	if (h == INVALID_HANDLE_VALUE)
		return open_error(path);
	/* Sparse where NTFS can: outputs with holes (raw images) then take
	 * no space for them and no time zero-filling.  Optional. */
	DeviceIoControl(h, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &ret, NULL);
	*out = (hvs__fh)h;
	return 0;
}

/* An OVERLAPPED carrying offset @off (synchronous handle: the call still
 * blocks, but reads and writes at that offset, not at a file position). */
static void at(OVERLAPPED *ov, uint64_t off)
{
	memset(ov, 0, sizeof *ov);
	ov->Offset = (DWORD)off;
	ov->OffsetHigh = (DWORD)(off >> 32);
}

int hvs__file_pread(hvs__fh fh, void *buf, size_t len, uint64_t off, size_t *got)
{
	uint8_t *p = buf;
	size_t done = 0;
	*got = 0;
	while (done < len) {
		OVERLAPPED ov;
		DWORD n = len - done > IO_MAX ? IO_MAX : (DWORD)(len - done), r = 0;
		if (off + done < off)
			break;
		at(&ov, off + done);
		if (!ReadFile(H(fh), p + done, n, &r, &ov)) {
			DWORD e = GetLastError();
			if (e == ERROR_HANDLE_EOF)
				break; /* offset at or past the end */
			*got = done;
			return (int)e;
		}
		if (r == 0)
			break;
		done += r;
	}
	*got = done;
	return 0;
}

int hvs__file_pwrite(hvs__fh fh, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		OVERLAPPED ov;
		DWORD n = len - done > IO_MAX ? IO_MAX : (DWORD)(len - done), w = 0;
		if (off + done > (uint64_t)INT64_MAX)
			return ERROR_FILE_TOO_LARGE;
		at(&ov, off + done);
		if (!WriteFile(H(fh), p + done, n, &w, &ov))
			return last();
		if (w == 0)
			return ERROR_WRITE_FAULT; /* no progress: never loop forever */
		done += w;
	}
	return 0;
}

int hvs__file_pwritev(hvs__fh fh, const hvs__iov *v, int n, uint64_t off, uint64_t *written)
{
	/* No positional gather write for ordinary handles (WriteFileGather
	 * needs unbuffered, page-aligned I/O): one write per piece, each at
	 * least a RamBlock, so the call overhead is negligible. */
	int i;
	*written = 0;
	for (i = 0; i < n; i++) {
		int e = hvs__file_pwrite(fh, v[i].base, v[i].len, off + *written);
		if (e)
			return e;
		*written += v[i].len;
	}
	return 0;
}

int hvs__file_copy_range(hvs__fh in, uint64_t in_off, hvs__fh out, uint64_t out_off, size_t len,
			 size_t *copied)
{
	/* No positional in-kernel copy between two handles on Windows
	 * (CopyFileEx copies whole files): the caller reads and writes. */
	(void)in;
	(void)in_off;
	(void)out;
	(void)out_off;
	(void)len;
	*copied = 0;
	return HVS__OS_NOTSUP;
}

int hvs__file_sync(hvs__fh fh)
{
	return FlushFileBuffers(H(fh)) ? 0 : last();
}

int hvs__file_set_size(hvs__fh fh, uint64_t size)
{
	FILE_END_OF_FILE_INFO eof;
	if (size > (uint64_t)INT64_MAX)
		return ERROR_FILE_TOO_LARGE;
	eof.EndOfFile.QuadPart = (LONGLONG)size;
	return SetFileInformationByHandle(H(fh), FileEndOfFileInfo, &eof, sizeof eof) ? 0 : last();
}

int hvs__file_size(hvs__fh fh, uint64_t *size)
{
	LARGE_INTEGER li;
	if (!GetFileSizeEx(H(fh), &li))
		return last();
	*size = (uint64_t)li.QuadPart;
	return 0;
}

int hvs__file_close(hvs__fh fh)
{
	if (fh == HVS__FH_NONE)
		return 0;
	return CloseHandle(H(fh)) ? 0 : last();
}

int hvs__file_same(hvs__fh fh, const char *path, int *same)
{
	BY_HANDLE_FILE_INFORMATION a, b;
	HANDLE h;
	int e = 0;
	*same = 0;
	/* Attributes only: works on files others hold open exclusively. */
	h = open_w(path, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
		   OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS);
	if (h == INVALID_HANDLE_VALUE) {
		e = (int)GetLastError();
		return hvs__os_err_notfound(e) ? 0 : e;
	}
	if (!GetFileInformationByHandle(H(fh), &a) || !GetFileInformationByHandle(h, &b))
		e = last();
	else
		*same = a.dwVolumeSerialNumber == b.dwVolumeSerialNumber &&
			a.nFileIndexHigh == b.nFileIndexHigh && a.nFileIndexLow == b.nFileIndexLow;
	CloseHandle(h);
	return e;
}

int hvs__file_map(const char *path, const uint8_t **map, uint64_t *size)
{
	HANDLE h, m;
	void *v;
	uint64_t n = 0;
	int e;
	h = open_w(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, OPEN_EXISTING,
		   FILE_ATTRIBUTE_NORMAL);
	if (h == INVALID_HANDLE_VALUE)
		return open_error(path);
	e = disk_size(h, &n);
	if (!e && (n == 0 || n > (uint64_t)SIZE_MAX))
		e = ERROR_INVALID_PARAMETER;
	if (e) {
		CloseHandle(h);
		return e;
	}
	/* Windows refuses to truncate a file while a view of it exists, so
	 * the mapping cannot fault the way a truncated POSIX mapping can. */
	m = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
	e = m ? 0 : last();
	CloseHandle(h);
	if (!m)
		return e;
	v = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
	e = v ? 0 : last();
	CloseHandle(m); /* the view keeps the section */
	if (!v)
		return e;
	*map = v;
	*size = n;
	return 0;
}

void hvs__file_unmap(const uint8_t *map, uint64_t size)
{
	(void)size;
	if (map)
		UnmapViewOfFile(map);
}

FILE *hvs__fopen(const char *path, const char *mode)
{
	wchar_t *w = wpath(path), wm[8];
	size_t i;
	FILE *f;
	if (!w)
		return NULL;
	/* Always binary: the library never wants CRLF translation. */
	for (i = 0; mode[i] && i < 5; i++)
		wm[i] = (wchar_t)(unsigned char)mode[i];
	if (!strchr(mode, 'b'))
		wm[i++] = L'b';
	wm[i] = L'\0';
	f = _wfopen(w, wm);
	free(w);
	return f;
}

/* ------------------------------------------------------------- paths -- */

int hvs__path_kind(const char *path)
{
	wchar_t *w = wpath(path);
	DWORD a;
	if (!w)
		return HVS__PATH_NONE;
	a = GetFileAttributesW(w);
	free(w);
	if (a == INVALID_FILE_ATTRIBUTES)
		return HVS__PATH_NONE;
	return (a & FILE_ATTRIBUTE_DIRECTORY) ? HVS__PATH_DIR : HVS__PATH_FILE;
}

int hvs__path_rename(const char *from, const char *to, int replace)
{
	wchar_t *a = wpath(from), *b = a ? wpath(to) : NULL;
	int e = 0;
	/* Without MOVEFILE_REPLACE_EXISTING an existing target fails the
	 * call (ERROR_ALREADY_EXISTS): nothing is replaced unless asked.
	 * Write-through: the rename is on disk when the call returns. */
	if (!a || !b)
		e = last();
	else if (!MoveFileExW(a, b, (replace ? MOVEFILE_REPLACE_EXISTING : 0) |
					    MOVEFILE_WRITE_THROUGH))
		e = last();
	free(a);
	free(b);
	return e;
}

int hvs__path_remove(const char *path)
{
	wchar_t *w = wpath(path);
	int e = 0;
	if (!w || !DeleteFileW(w))
		e = last();
	free(w);
	return e;
}

int hvs__mkdir_parents(const char *path)
{
	wchar_t *w = wpath(path);
	size_t i, n, lastsep = 0;
	int e = 0;
	DWORD a;
	if (!w)
		return last();
	n = wcslen(w);
	for (i = 1; i < n; i++) {
		wchar_t sep = w[i];
		if (sep != L'/' && sep != L'\\')
			continue;
		lastsep = i;
		/* "C:" and the server or share of "\\server\share" cannot be
		 * created; only the final folder's existence decides. */
		w[i] = L'\0';
		if (!CreateDirectoryW(w, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
			e = last();
		w[i] = sep;
	}
	if (lastsep) {
		w[lastsep] = L'\0';
		a = GetFileAttributesW(w);
		if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY))
			e = 0;
		else if (!e)
			e = ERROR_PATH_NOT_FOUND;
	}
	free(w);
	return e;
}

/* ------------------------------------------------------- environment -- */

char *hvs__getenv(const hvs__alloc *a, const char *name)
{
	wchar_t *wn = wide(name), *wv = NULL;
	char *out = NULL;
	DWORD n;
	int m;
	if (!wn)
		return NULL;
	/* The wide environment: values in any language, not the ANSI page. */
	n = GetEnvironmentVariableW(wn, NULL, 0);
	if (n > 1)
		wv = malloc((size_t)n * sizeof *wv);
	if (wv && GetEnvironmentVariableW(wn, wv, n) == n - 1) {
		m = WideCharToMultiByte(CP_UTF8, 0, wv, -1, NULL, 0, NULL, NULL);
		if (m > 1) {
			out = hvs__malloc(a, (size_t)m);
			if (out && WideCharToMultiByte(CP_UTF8, 0, wv, -1, out, m, NULL, NULL) != m) {
				hvs__free(a, out);
				out = NULL;
			}
		}
	}
	free(wv);
	free(wn);
	return out;
}

char *hvs__user_cache_dir(const hvs__alloc *a)
{
	/* Per-user, not roaming: caches stay on the machine. */
	return hvs__getenv(a, "LOCALAPPDATA");
}

double hvs__monotonic_seconds(void)
{
	LARGE_INTEGER c, f;
	QueryPerformanceCounter(&c);
	QueryPerformanceFrequency(&f);
	return (double)c.QuadPart / (double)f.QuadPart;
}

unsigned hvs__cpu_count(void)
{
	/* All processor groups (machines with more than 64 logical CPUs). */
	DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
	return n ? (unsigned)n : 1u;
}

unsigned long hvs__process_id(void)
{
	return (unsigned long)GetCurrentProcessId();
}

/* ----------------------------------------------------------- threads -- */

/* _beginthreadex rather than CreateThread: the C runtime sets up its
 * per-thread state (errno, strtok) for threads it starts. */
static unsigned __stdcall trampoline(void *arg)
{
	hvs__thread *t = arg;
	t->fn(t->arg);
	return 0;
}

int hvs__thread_start(hvs__thread *t, void (*fn)(void *), void *arg)
{
	uintptr_t h;
	t->fn = fn;
	t->arg = arg;
	h = _beginthreadex(NULL, 0, trampoline, t, 0, NULL);
	if (h == 0)
		return last();
	t->h = (void *)h;
	return 0;
}

void hvs__thread_join(hvs__thread *t)
{
	WaitForSingleObject((HANDLE)t->h, INFINITE);
	CloseHandle((HANDLE)t->h);
	t->h = NULL;
}

/* The pointer-sized members hold an SRWLOCK / CONDITION_VARIABLE. */
static PSRWLOCK srw(hvs__mutex *m)
{
	return (PSRWLOCK)(void *)&m->p;
}

static PCONDITION_VARIABLE cv(hvs__cond *c)
{
	return (PCONDITION_VARIABLE)(void *)&c->p;
}

void hvs__mutex_init(hvs__mutex *m)
{
	InitializeSRWLock(srw(m));
}

void hvs__mutex_destroy(hvs__mutex *m)
{
	(void)m; /* SRW locks hold no resources */
}

void hvs__mutex_lock(hvs__mutex *m)
{
	AcquireSRWLockExclusive(srw(m));
}

void hvs__mutex_unlock(hvs__mutex *m)
{
	ReleaseSRWLockExclusive(srw(m));
}

void hvs__cond_init(hvs__cond *c)
{
	InitializeConditionVariable(cv(c));
}

void hvs__cond_destroy(hvs__cond *c)
{
	(void)c; /* nothing to release */
}

void hvs__cond_wait(hvs__cond *c, hvs__mutex *m)
{
	SleepConditionVariableSRW(cv(c), srw(m), INFINITE, 0);
}

void hvs__cond_signal(hvs__cond *c)
{
	WakeConditionVariable(cv(c));
}

void hvs__cond_broadcast(hvs__cond *c)
{
	WakeAllConditionVariable(cv(c));
}

/* -------------------------------------------------------------- HTTP -- */

int hvs__os_http_available(void)
{
	return 1;
}

/* WinHTTP's own errors (12001-12187) have no text in the system message
 * table: name the ones a download meets. */
static const char *winhttp_text(DWORD e)
{
	switch (e) {
	case ERROR_WINHTTP_TIMEOUT: return "timed out";
	case ERROR_WINHTTP_NAME_NOT_RESOLVED: return "host name not resolved";
	case ERROR_WINHTTP_CANNOT_CONNECT: return "cannot connect";
	case ERROR_WINHTTP_CONNECTION_ERROR: return "connection reset or closed";
	case ERROR_WINHTTP_INVALID_URL: return "invalid URL";
	case ERROR_WINHTTP_UNRECOGNIZED_SCHEME: return "not an http or https URL";
	case ERROR_WINHTTP_REDIRECT_FAILED: return "redirect refused";
	case ERROR_WINHTTP_SECURE_FAILURE: return "TLS certificate or handshake failure";
	case ERROR_WINHTTP_INVALID_SERVER_RESPONSE: return "invalid server response";
	default: return NULL;
	}
}

static int http_fail(const char *url, const char *step, char *why, size_t whysize)
{
	DWORD e = GetLastError();
	const char *t = winhttp_text(e);
	char os[256];
	if (e == 0)
		e = ERROR_WINHTTP_INTERNAL_ERROR;
	snprintf(why, whysize, "%s: %s: %s", url, step,
		 t ? t : hvs__os_strerror((int)e, os, sizeof os));
	return (int)e;
}

int hvs__os_http_get(const char *url, const char *user_agent, hvs__fh fh, uint64_t max,
		     long *status, char *why, size_t whysize)
{
	wchar_t *wurl = wide(url), *wua = wide(user_agent), *host = NULL;
	HINTERNET ses = NULL, con = NULL, req = NULL;
	URL_COMPONENTS uc;
	DWORD code = 0, size = sizeof code, n;
	uint8_t *buf = NULL;
	uint64_t done = 0, want = 0;
	wchar_t clen[32];
	int have_len = 0, rc = 0;

	*status = 0;
	if (!wurl || !wua) {
		rc = http_fail(url, "converting the URL", why, whysize);
		goto out;
	}
	memset(&uc, 0, sizeof uc);
	uc.dwStructSize = sizeof uc;
	uc.dwHostNameLength = (DWORD)-1;
	uc.dwUrlPathLength = (DWORD)-1;
	uc.dwExtraInfoLength = (DWORD)-1;
	if (!WinHttpCrackUrl(wurl, 0, 0, &uc)) {
		rc = http_fail(url, "parsing the URL", why, whysize);
		goto out;
	}
	host = malloc(((size_t)uc.dwHostNameLength + 1) * sizeof *host);
	buf = malloc(65536);
	if (!host || !buf) {
		rc = HVS__OS_NOMEM;
		snprintf(why, whysize, "%s: out of memory", url);
		goto out;
	}
	memcpy(host, uc.lpszHostName, (size_t)uc.dwHostNameLength * sizeof *host);
	host[uc.dwHostNameLength] = L'\0';
	ses = WinHttpOpen(wua, WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME,
			  WINHTTP_NO_PROXY_BYPASS, 0);
	if (!ses) {
		rc = http_fail(url, "starting WinHTTP", why, whysize);
		goto out;
	}
	/* Resolve, connect and send within 30 s; a stalled body ends after
	 * 60 s without data (as the libcurl build's low-speed limit). */
	WinHttpSetTimeouts(ses, 30000, 30000, 30000, 60000);
	con = WinHttpConnect(ses, host, uc.nPort, 0);
	/* The path runs on into the query (lpszExtraInfo follows it). */
	if (con)
		req = WinHttpOpenRequest(con, L"GET", uc.dwUrlPathLength ? uc.lpszUrlPath : L"/",
					 NULL, WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
					 uc.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0);
	if (!con || !req) {
		rc = http_fail(url, "opening the request", why, whysize);
		goto out;
	}
	if (!WinHttpSendRequest(req, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0,
				0, 0) ||
	    !WinHttpReceiveResponse(req, NULL)) {
		rc = http_fail(url, "request", why, whysize);
		goto out;
	}
	if (!WinHttpQueryHeaders(req, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
				 WINHTTP_HEADER_NAME_BY_INDEX, &code, &size,
				 WINHTTP_NO_HEADER_INDEX)) {
		rc = http_fail(url, "reading the status", why, whysize);
		goto out;
	}
	*status = (long)code;
	if (code != 200)
		goto out; /* the caller judges the status; no body wanted */
	size = sizeof clen;
	if (WinHttpQueryHeaders(req, WINHTTP_QUERY_CONTENT_LENGTH, WINHTTP_HEADER_NAME_BY_INDEX,
				clen, &size, WINHTTP_NO_HEADER_INDEX)) {
		wchar_t *end;
		want = (uint64_t)wcstoull(clen, &end, 10);
		have_len = end != clen;
		if (have_len && want > max) {
			rc = ERROR_FILE_TOO_LARGE;
			snprintf(why, whysize, "%s: announces %llu bytes, over the %llu-byte limit",
				 url, (unsigned long long)want, (unsigned long long)max);
			goto out;
		}
	}
	for (;;) {
		if (!WinHttpReadData(req, buf, 65536, &n)) {
			rc = http_fail(url, "reading the body", why, whysize);
			goto out;
		}
		if (n == 0)
			break;
		if (n > max - done) {
			rc = ERROR_FILE_TOO_LARGE;
			snprintf(why, whysize, "%s: body over the %llu-byte limit", url,
				 (unsigned long long)max);
			goto out;
		}
		rc = hvs__file_pwrite(fh, buf, n, done);
		if (rc) {
			char os[256];
			snprintf(why, whysize, "%s: writing the download: %s", url,
				 hvs__os_strerror(rc, os, sizeof os));
			goto out;
		}
		done += n;
	}
	/* WinHTTP ends a body cut short by the server like a complete one. */
	if (have_len && done != want) {
		rc = ERROR_WINHTTP_CONNECTION_ERROR;
		snprintf(why, whysize, "%s: body cut short: %llu of %llu bytes", url,
			 (unsigned long long)done, (unsigned long long)want);
	}
out:
	if (req)
		WinHttpCloseHandle(req);
	if (con)
		WinHttpCloseHandle(con);
	if (ses)
		WinHttpCloseHandle(ses);
	free(buf);
	free(host);
	free(wurl);
	free(wua);
	return rc;
}

#else
/* POSIX: see platform_posix.c.  ISO C wants a declaration here. */
typedef int hvs__platform_win_unused;
#endif
