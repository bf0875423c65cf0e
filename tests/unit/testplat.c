/* SPDX-License-Identifier: MIT */
/*
 * Platform helpers of the tests (testplat.h): child processes, the host
 * shell, environment, directories, file locks.  POSIX first, then the
 * Windows versions; nothing else in tests/ needs to know the difference.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#ifdef _WIN32
#include <windows.h>
#include <winioctl.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif

int test_shf(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof cmd)
		return -1;
	return test_sh(cmd, NULL, NULL);
}

int test_spawn_capture(const char *const *argv, int merge_err, char **out, size_t *len)
{
	static unsigned seq;
	char name[64];
	const char *path;
	int rc;
	snprintf(name, sizeof name, "spawn-%u.out", seq++);
	path = test_tmp_path(name);
	{
		char p[4096];
		snprintf(p, sizeof p, "%s", path);
		rc = test_spawn(argv, p, merge_err ? p : NULL);
		if (out) {
			size_t n = 0;
			*out = (char *)test_read_file(p, &n);
			if (*out)
				(*out)[n] = '\0';
			if (len)
				*len = n;
		}
		remove(p);
	}
	return rc;
}

int test_same_path(const char *a, const char *b)
{
	if (!TEST_ON_WINDOWS)
		return strcmp(a, b) == 0;
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

const char *test_bin_path(const char *rel)
{
	static char b[4][4096];
	static int slot;
	char *p = b[slot = (slot + 1) % 4];
	snprintf(p, 4096, "%s/%s%s", HVS_TEST_BINARY_DIR, rel, TEST_EXE_SUFFIX);
	return test_exists(p) ? p : NULL;
}

#ifndef _WIN32
/* ============================================================== POSIX */

/* Read a whole (small) stream into a NUL-terminated malloc'd buffer. */
static char *slurp_stream(FILE *f, size_t *len)
{
	size_t n = 0, cap = 1 << 16, k;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += k;
		if (cap - n < 4096) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

const char *test_sh_unavailable(void)
{
	return NULL;
}

int test_sh(const char *cmd, char **out, size_t *len)
{
	FILE *p;
	int st;
	if (out)
		*out = NULL;
	fflush(NULL);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out) {
		*out = slurp_stream(p, len);
	} else {
		char buf[4096];
		while (fread(buf, 1, sizeof buf, p) > 0)
			;
	}
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int open_out(const char *path)
{
	return open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
}

int test_spawn(const char *const *argv, const char *out_path, const char *err_path)
{
	pid_t pid;
	int st = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open_out(out_path);
		int e = (err_path && out_path && strcmp(err_path, out_path) == 0) ? o
										 : open_out(err_path);
		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int test_setenv(const char *name, const char *value)
{
	return value ? setenv(name, value, 1) : unsetenv(name);
}

int test_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

FILE *test_fopen(const char *path, const char *mode)
{
	return fopen(path, mode);
}

int test_make_sparse(const char *path, unsigned long long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	int rc;
	if (fd < 0)
		return -1;
	rc = ftruncate(fd, (off_t)size);
	return close(fd) == 0 && rc == 0 ? 0 : -1;
}

int test_pwrite(const char *path, unsigned long long off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = pwrite(fd, buf, len, (off_t)off);
	return close(fd) == 0 && n == (ssize_t)len ? 0 : -1;
}

int test_pread(const char *path, unsigned long long off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, (off_t)off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int test_set_mtime(const char *path, long long secs)
{
	struct timespec ts[2];
	ts[0].tv_sec = ts[1].tv_sec = (time_t)secs;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, path, ts, 0);
}

long long test_mtime(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_mtime : -1;
}

int test_mkdirs(const char *path)
{
	char b[4096];
	size_t i, n = strlen(path);
	struct stat st;
	if (n == 0 || n >= sizeof b)
		return -1;
	memcpy(b, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (b[i] == '/' || b[i] == '\0') {
			char c = b[i];
			b[i] = '\0';
			if (mkdir(b, 0777) != 0 && errno != EEXIST)
				return -1;
			b[i] = c;
		}
	}
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int test_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (!d)
			return -1;
		while ((e = readdir(d)) != NULL) {
			char sub[4096];
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			test_rmtree(sub);
		}
		closedir(d);
		return rmdir(path);
	}
	return unlink(path);
}

int test_lock_other(test_other_lock *l, const char *path)
{
	int to_parent[2], to_child[2];
	char c = 0;
	pid_t pid;
	memset(l, 0, sizeof *l);
	l->fd_in = -1;
	if (pipe(to_parent) != 0)
		return -1;
	if (pipe(to_child) != 0) {
		close(to_parent[0]);
		close(to_parent[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Child: lock, report, wait to be released (or the parent's end). */
		struct flock lk;
		int fd = open(path, O_RDWR);
		memset(&lk, 0, sizeof lk);
		lk.l_type = F_WRLCK;
		lk.l_whence = SEEK_SET;
		c = (fd >= 0 && fcntl(fd, F_SETLK, &lk) == 0) ? 'L' : 'E';
		close(to_child[1]);
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	l->pid = (long)pid;
	l->fd_in = to_child[1];
	if (read(to_parent[0], &c, 1) != 1)
		c = 'E';
	close(to_parent[0]);
	if (c != 'L') {
		test_unlock_other(l);
		return -1;
	}
	return 0;
}

void test_unlock_other(test_other_lock *l)
{
	int st;
	if (l->fd_in >= 0)
		close(l->fd_in); /* EOF releases the child */
	if (l->pid > 0)
		waitpid((pid_t)l->pid, &st, 0);
	l->fd_in = -1;
	l->pid = 0;
}

#else
/* ============================================================ Windows */

/* UTF-8 -> UTF-16, malloc'd; '/' kept (Win32 accepts both separators). */
static wchar_t *wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;
	if (n <= 0)
		return NULL;
	w = malloc((size_t)n * sizeof *w);
	if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		w = NULL;
	}
	return w;
}

typedef const char *(__cdecl *wine_version_fn)(void);
typedef char *(__cdecl *wine_unix_name_fn)(const WCHAR *);

/* Wine's own exports: present only when running under wine. */
static FARPROC wine_proc(const char *mod, const char *name)
{
	HMODULE h = GetModuleHandleW(mod[0] == 'n' ? L"ntdll.dll" : L"kernel32.dll");
	return h ? GetProcAddress(h, name) : NULL;
}

const char *test_sh_unavailable(void)
{
	if (!wine_proc("ntdll", "wine_get_version") ||
	    !wine_proc("kernel32", "wine_get_unix_file_name"))
		return "host tools need a POSIX shell: this Windows test runs outside wine";
	return NULL;
}

/* Unix path of a Windows path under wine (HeapAlloc'd by wine), or NULL. */
static char *unix_name(const char *path)
{
	FARPROC fp = wine_proc("kernel32", "wine_get_unix_file_name");
	wine_unix_name_fn fn;
	wchar_t *w = wide(path);
	char *u = NULL;
	if (!fp || !w) {
		free(w);
		return NULL;
	}
	memcpy(&fn, &fp, sizeof fn);
	u = fn(w);
	free(w);
	return u;
}

/*
 * Under wine, CreateProcessW() of a Unix program (ELF) execs it on the
 * host, but the handle it returns cannot be waited for and carries no exit
 * code.  So the command runs inside a small /bin/sh script that writes its
 * stdout to a file and, last, its exit status to another file (renamed
 * into place, so it appears complete); this side polls for that file.
 */
int test_sh(const char *cmd, char **out, size_t *len)
{
	static unsigned seq;
	char base[4096], script[4200], outp[4200], rcp[4200], rctmp[4200];
	char *u_out = NULL, *u_rc = NULL, *u_rctmp = NULL, *u_script = NULL;
	wchar_t *wcl = NULL, *wrc = NULL;
	FILE *f;
	int rc = -1;
	DWORD waited = 0, step = 1;
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;

	if (out)
		*out = NULL;
	if (test_sh_unavailable())
		return TEST_SH_UNAVAILABLE;
	snprintf(base, sizeof base, "%s", test_tmp_path("hostsh"));
	if (test_mkdirs(base) != 0)
		return -1;
	snprintf(script, sizeof script, "%s/%lu-%u.sh", base, (unsigned long)GetCurrentProcessId(),
		 seq);
	snprintf(outp, sizeof outp, "%s/%lu-%u.out", base, (unsigned long)GetCurrentProcessId(),
		 seq);
	snprintf(rcp, sizeof rcp, "%s/%lu-%u.rc", base, (unsigned long)GetCurrentProcessId(), seq);
	snprintf(rctmp, sizeof rctmp, "%s.tmp", rcp);
	seq++;
	u_out = unix_name(outp);
	u_rc = unix_name(rcp);
	u_rctmp = unix_name(rctmp);
	u_script = unix_name(script);
	wrc = wide(rcp);
	if (!u_out || !u_rc || !u_rctmp || !u_script || !wrc)
		goto done;
	f = fopen(script, "wb");
	if (!f)
		goto done;
	/* A subshell, so that an "exit" in @cmd still reaches the last line. */
	fprintf(f, "(\n%s\n) > '%s'\necho $? > '%s' && mv -f '%s' '%s'\n", cmd, u_out, u_rctmp,
		u_rctmp, u_rc);
	if (fclose(f) != 0)
		goto done;
	{
		char cl[4400];
		snprintf(cl, sizeof cl, "/bin/sh \"%s\"", u_script);
		wcl = wide(cl);
	}
	if (!wcl)
		goto done;
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	fflush(NULL);
	if (!CreateProcessW(NULL, wcl, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
		goto done;
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	/* Poll: 1, 2, 4 .. 64 ms; give up after 10 minutes (ctest's timeout). */
	while (GetFileAttributesW(wrc) == INVALID_FILE_ATTRIBUTES) {
		if (waited > 10u * 60u * 1000u)
			goto done;
		Sleep(step);
		waited += step;
		if (step < 64)
			step *= 2;
	}
	{
		size_t n = 0;
		char *r = (char *)test_read_file(rcp, &n);
		if (r) {
			r[n] = '\0';
			rc = atoi(r);
			free(r);
		}
	}
	if (out) {
		size_t n = 0;
		*out = (char *)test_read_file(outp, &n);
		if (*out) {
			(*out)[n] = '\0';
			if (len)
				*len = n;
		}
	}
done:
	remove(script);
	remove(outp);
	remove(rcp);
	free(wcl);
	free(wrc);
	/* wine_get_unix_file_name() allocates from the process heap. */
	if (u_out)
		HeapFree(GetProcessHeap(), 0, u_out);
	if (u_rc)
		HeapFree(GetProcessHeap(), 0, u_rc);
	if (u_rctmp)
		HeapFree(GetProcessHeap(), 0, u_rctmp);
	if (u_script)
		HeapFree(GetProcessHeap(), 0, u_script);
	return rc;
}

/* Append @s to @cl quoted the way CommandLineToArgvW / the CRT split it. */
static void quote_arg(char *cl, size_t size, const char *s)
{
	size_t n = strlen(cl);
	int needs = !*s || strpbrk(s, " \t\"") != NULL;
	if (n && n + 1 < size)
		cl[n++] = ' ';
	if (needs && n + 1 < size)
		cl[n++] = '"';
	while (*s && n + 3 < size) {
		size_t bs = 0;
		while (s[bs] == '\\')
			bs++;
		if (s[bs] == '"' || (s[bs] == '\0' && needs)) {
			/* Backslashes before a quote (or the closing one) double. */
			size_t k;
			for (k = 0; k < 2 * bs && n + 3 < size; k++)
				cl[n++] = '\\';
			s += bs;
			if (*s == '"') {
				cl[n++] = '\\';
				cl[n++] = '"';
				s++;
			}
			continue;
		}
		if (bs) {
			size_t k;
			for (k = 0; k < bs && n + 3 < size; k++)
				cl[n++] = '\\';
			s += bs;
			continue;
		}
		cl[n++] = *s++;
	}
	if (needs && n + 1 < size)
		cl[n++] = '"';
	cl[n] = '\0';
}

static HANDLE open_out(const char *path, SECURITY_ATTRIBUTES *sa)
{
	wchar_t *w = wide(path ? path : "NUL");
	HANDLE h;
	if (!w)
		return INVALID_HANDLE_VALUE;
	h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			sa, path ? CREATE_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	return h;
}

int test_spawn(const char *const *argv, const char *out_path, const char *err_path)
{
	static char cl[32768];
	SECURITY_ATTRIBUTES sa;
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	HANDLE in, o, e;
	wchar_t *wcl, *wapp;
	DWORD code = (DWORD)-1;
	int rc = -1;
	size_t i;

	cl[0] = '\0';
	for (i = 0; argv[i]; i++)
		quote_arg(cl, sizeof cl, argv[i]);
	memset(&sa, 0, sizeof sa);
	sa.nLength = sizeof sa;
	sa.bInheritHandle = TRUE;
	{
		wchar_t *wnul = wide("NUL");
		in = CreateFileW(wnul, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
				 OPEN_EXISTING, 0, NULL);
		free(wnul);
	}
	o = open_out(out_path, &sa);
	e = (err_path && out_path && strcmp(err_path, out_path) == 0) ? o : open_out(err_path, &sa);
	wcl = wide(cl);
	wapp = wide(argv[0]);
	if (in != INVALID_HANDLE_VALUE && o != INVALID_HANDLE_VALUE &&
	    e != INVALID_HANDLE_VALUE && wcl && wapp) {
		memset(&si, 0, sizeof si);
		si.cb = sizeof si;
		si.dwFlags = STARTF_USESTDHANDLES;
		si.hStdInput = in;
		si.hStdOutput = o;
		si.hStdError = e;
		fflush(NULL);
		if (CreateProcessW(wapp, wcl, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
			WaitForSingleObject(pi.hProcess, INFINITE);
			if (GetExitCodeProcess(pi.hProcess, &code))
				rc = (int)code;
			CloseHandle(pi.hThread);
			CloseHandle(pi.hProcess);
		}
	}
	if (in != INVALID_HANDLE_VALUE)
		CloseHandle(in);
	if (e != o && e != INVALID_HANDLE_VALUE)
		CloseHandle(e);
	if (o != INVALID_HANDLE_VALUE)
		CloseHandle(o);
	free(wcl);
	free(wapp);
	return rc;
}

int test_setenv(const char *name, const char *value)
{
	/* Both the CRT's copy (getenv) and the Win32 block (children,
	 * GetEnvironmentVariableW) are updated. */
	wchar_t *wn = wide(name), *wv = value ? wide(value) : NULL;
	int rc = -1;
	/* _putenv_s() first: it also sets the Win32 block, from the bytes
	 * taken as the ANSI code page, which SetEnvironmentVariableW() then
	 * replaces with the right UTF-16 value. */
	if (wn && (!value || wv) && _putenv_s(name, value ? value : "") == 0 &&
	    SetEnvironmentVariableW(wn, wv))
		rc = 0;
	free(wn);
	free(wv);
	return rc;
}

int test_exists(const char *path)
{
	wchar_t *w = wide(path);
	int r = w && GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
	free(w);
	return r;
}

FILE *test_fopen(const char *path, const char *mode)
{
	wchar_t *w = wide(path), *m = wide(mode);
	FILE *f = w && m ? _wfopen(w, m) : NULL;
	free(w);
	free(m);
	return f;
}

static HANDLE open_rw(const char *path, DWORD access, DWORD disp)
{
	wchar_t *w = wide(path);
	HANDLE h = INVALID_HANDLE_VALUE;
	if (w)
		h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
				NULL, disp, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	return h;
}

int test_make_sparse(const char *path, unsigned long long size)
{
	HANDLE h = open_rw(path, GENERIC_READ | GENERIC_WRITE, CREATE_ALWAYS);
	LARGE_INTEGER li;
	DWORD got;
	int rc = -1;
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	/* NTFS allocates only what is written once the file is sparse
	 * (wine: the Unix file is sparse anyway; the call may fail). */
	DeviceIoControl(h, FSCTL_SET_SPARSE, NULL, 0, NULL, 0, &got, NULL);
	li.QuadPart = (LONGLONG)size;
	if (SetFilePointerEx(h, li, NULL, FILE_BEGIN) && SetEndOfFile(h))
		rc = 0;
	CloseHandle(h);
	return rc;
}

/* One positional read or write of at most 1 GiB through a fresh handle:
 * 0 when all @len bytes moved. */
static int rw_at(const char *path, int writing, unsigned long long off, void *buf, size_t len)
{
	HANDLE h = open_rw(path, writing ? GENERIC_WRITE : GENERIC_READ, OPEN_EXISTING);
	OVERLAPPED ov;
	DWORD n = 0;
	BOOL ok;
	if (h == INVALID_HANDLE_VALUE || len > 0x40000000u) {
		if (h != INVALID_HANDLE_VALUE)
			CloseHandle(h);
		return -1;
	}
	memset(&ov, 0, sizeof ov);
	ov.Offset = (DWORD)off;
	ov.OffsetHigh = (DWORD)(off >> 32);
	ok = writing ? WriteFile(h, buf, (DWORD)len, &n, &ov) : ReadFile(h, buf, (DWORD)len, &n, &ov);
	CloseHandle(h);
	return ok && n == len ? 0 : -1;
}

int test_pwrite(const char *path, unsigned long long off, const void *buf, size_t len)
{
	return rw_at(path, 1, off, (void *)(uintptr_t)buf, len);
}

int test_pread(const char *path, unsigned long long off, void *buf, size_t len)
{
	return rw_at(path, 0, off, buf, len);
}

/* FILETIME counts 100 ns from 1601; Unix time seconds from 1970. */
#define TEST_EPOCH_DIFF 11644473600LL

int test_set_mtime(const char *path, long long secs)
{
	wchar_t *w = wide(path);
	unsigned long long t = (unsigned long long)(secs + TEST_EPOCH_DIFF) * 10000000ULL;
	FILETIME ft;
	HANDLE h;
	int rc = -1;
	if (!w)
		return -1;
	h = CreateFileW(w, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	ft.dwLowDateTime = (DWORD)t;
	ft.dwHighDateTime = (DWORD)(t >> 32);
	if (SetFileTime(h, NULL, &ft, &ft))
		rc = 0;
	CloseHandle(h);
	return rc;
}

long long test_mtime(const char *path)
{
	wchar_t *w = wide(path);
	WIN32_FILE_ATTRIBUTE_DATA a;
	unsigned long long t;
	BOOL ok = w && GetFileAttributesExW(w, GetFileExInfoStandard, &a);
	free(w);
	if (!ok)
		return -1;
	t = ((unsigned long long)a.ftLastWriteTime.dwHighDateTime << 32) |
	    a.ftLastWriteTime.dwLowDateTime;
	return (long long)(t / 10000000ULL) - TEST_EPOCH_DIFF;
}

int test_mkdirs(const char *path)
{
	char b[4096];
	size_t i, n = strlen(path);
	if (n == 0 || n >= sizeof b)
		return -1;
	memcpy(b, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (b[i] == '/' || b[i] == '\\' || b[i] == '\0') {
			char c = b[i];
			wchar_t *w;
			if (i == 2 && b[1] == ':')
				continue; /* drive "Z:" */
			b[i] = '\0';
			w = wide(b);
			if (!w)
				return -1;
			if (!CreateDirectoryW(w, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
				free(w);
				return -1;
			}
			free(w);
			b[i] = c;
		}
	}
	{
		wchar_t *w = wide(path);
		DWORD a = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
		free(w);
		return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) ? 0 : -1;
	}
}

static int rmtree_w(const wchar_t *p)
{
	DWORD a = GetFileAttributesW(p);
	if (a == INVALID_FILE_ATTRIBUTES)
		return 0;
	if ((a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
		size_t n = wcslen(p);
		wchar_t *pat = malloc((n + 3) * sizeof *pat);
		WIN32_FIND_DATAW fd;
		HANDLE h;
		if (!pat)
			return -1;
		memcpy(pat, p, n * sizeof *pat);
		memcpy(pat + n, L"\\*", 3 * sizeof *pat);
		h = FindFirstFileW(pat, &fd);
		free(pat);
		if (h != INVALID_HANDLE_VALUE) {
			do {
				size_t m = wcslen(fd.cFileName);
				wchar_t *sub;
				if (!wcscmp(fd.cFileName, L".") || !wcscmp(fd.cFileName, L".."))
					continue;
				sub = malloc((n + m + 2) * sizeof *sub);
				if (!sub)
					break;
				memcpy(sub, p, n * sizeof *sub);
				sub[n] = L'\\';
				memcpy(sub + n + 1, fd.cFileName, (m + 1) * sizeof *sub);
				rmtree_w(sub);
				free(sub);
			} while (FindNextFileW(h, &fd));
			FindClose(h);
		}
		return RemoveDirectoryW(p) ? 0 : -1;
	}
	if (a & FILE_ATTRIBUTE_READONLY)
		SetFileAttributesW(p, a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
	return DeleteFileW(p) ? 0 : -1;
}

int test_rmtree(const char *path)
{
	wchar_t *w = wide(path);
	int r = w ? rmtree_w(w) : -1;
	free(w);
	return r;
}

int test_lock_other(test_other_lock *l, const char *path)
{
	wchar_t *w = wide(path);
	OVERLAPPED ov;
	HANDLE h;
	memset(l, 0, sizeof *l);
	l->fd_in = -1;
	if (!w)
		return -1;
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	memset(&ov, 0, sizeof ov);
	if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
			MAXDWORD, &ov)) {
		CloseHandle(h);
		return -1;
	}
	l->handle = h;
	return 0;
}

void test_unlock_other(test_other_lock *l)
{
	if (l->handle) {
		OVERLAPPED ov;
		memset(&ov, 0, sizeof ov);
		UnlockFileEx(l->handle, 0, MAXDWORD, MAXDWORD, &ov);
		CloseHandle(l->handle);
	}
	l->handle = NULL;
}

#endif
