/* SPDX-License-Identifier: MIT */
/*
 * Platform helpers for the tests (tests/unit/testplat.c): the one place in
 * the test suite where POSIX and Windows differ, so that no test needs an
 * #ifdef of its own.  Included by test.h.
 *
 * Two kinds of child processes:
 *  - our own programs (hvs, hvs-gen): test_spawn() starts the built
 *    executable directly (fork/execv on POSIX, CreateProcessW on Windows,
 *    where a .exe under wine starts another .exe natively);
 *  - host tools (xz, readelf, gdb, python3, llvm-*): test_sh() runs a
 *    POSIX shell command line.  On Linux that is popen(); a Windows test
 *    running under wine reaches the Linux host through Wine's support for
 *    starting Unix programs (see docs/windows-tests.md, "Host tools"); on
 *    Windows without wine it returns TEST_SH_UNAVAILABLE and the caller
 *    skips.  Paths in the command are the build's own (Unix) paths.
 */
#ifndef HVS_TESTPLAT_H
#define HVS_TESTPLAT_H

#include <stddef.h>
#include <stdio.h>

#ifdef _WIN32
#define TEST_EXE_SUFFIX ".exe"
#else
#define TEST_EXE_SUFFIX ""
#endif

/* test_sh(): the host shell cannot be reached from this process. */
#define TEST_SH_UNAVAILABLE (-2)

/*
 * Run the shell command @cmd on the host (/bin/sh -c).  Its stdout goes
 * into *@out (malloc'd, NUL-terminated, length in *@len) when @out is not
 * NULL, else is discarded; stderr is whatever @cmd redirects it to
 * (default: the test's stderr).  Returns the exit status (0..255), -1 when
 * the command could not be run or was killed, TEST_SH_UNAVAILABLE when no
 * host shell can be reached (Windows outside wine).
 */
int test_sh(const char *cmd, char **out, size_t *len);
/* printf-style variant of test_sh() without output capture. */
int test_shf(const char *fmt, ...)
#if defined(__MINGW32__)
	__attribute__((format(gnu_printf, 1, 2)))
#elif defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
/* Why test_sh() is unavailable here (a sentence), or NULL if it is available. */
const char *test_sh_unavailable(void);
/* In a test function: skip it when no host shell can be reached. */
#define SKIP_WITHOUT_SH()                                                       \
	do {                                                                   \
		if (test_sh_unavailable())                                     \
			SKIP("%s", test_sh_unavailable());                     \
	} while (0)

/* 1 when this build targets Windows (tests name their skips with it). */
#ifdef _WIN32
#define TEST_ON_WINDOWS 1
#else
#define TEST_ON_WINDOWS 0
#endif

/*
 * Start the program @argv[0] with arguments @argv (NULL-terminated) and
 * wait for it.  Its stdout goes to the file @out_path, its stderr to
 * @err_path (NULL: discarded; the same path as @out_path: both into one
 * file).  The environment is this process's (see test_setenv()).  Returns
 * the exit code, -1 when it could not be started, 128+N when it was
 * killed by signal N (POSIX).
 */
int test_spawn(const char *const *argv, const char *out_path, const char *err_path);
/* test_spawn() with stdout (and stderr too when @merge_err) captured into
 * *@out (malloc'd, NUL-terminated; may be NULL to discard). */
int test_spawn_capture(const char *const *argv, int merge_err, char **out, size_t *len);

/* Path of one of our built programs: <build dir>/<rel><exe suffix>, e.g.
 * test_bin_path("hvs"), test_bin_path("tests/hvs-gen"); NULL if absent.
 * Static buffer as for the other path helpers. */
const char *test_bin_path(const char *rel);

/* Set (@value != NULL) or remove an environment variable of this process
 * and of the children it starts.  0 on success. */
int test_setenv(const char *name, const char *value);

/* fopen() of a UTF-8 path (_wfopen on Windows, where fopen takes the
 * ANSI code page). */
FILE *test_fopen(const char *path, const char *mode);
/* Create (or replace) @path as a sparse file of @size bytes: 0 on success. */
int test_make_sparse(const char *path, unsigned long long size);
/* Write / read @len bytes at the 64-bit offset @off of an existing file
 * (pwrite/pread; WriteFile/ReadFile with OVERLAPPED offsets): 0 when all
 * were transferred. */
int test_pwrite(const char *path, unsigned long long off, const void *buf, size_t len);
int test_pread(const char *path, unsigned long long off, void *buf, size_t len);

/* mkdir -p; 0 on success (also when it exists). */
int test_mkdirs(const char *path);
/* rm -rf; 0 when @path is gone afterwards. */
int test_rmtree(const char *path);
/* 1 if @a and @b spell the same path for this platform's file system:
 * byte for byte on POSIX, ignoring ASCII case on Windows (NTFS and wine
 * look names up case-insensitively). */
int test_same_path(const char *a, const char *b);
/* 1 if @path exists (file or directory). */
int test_exists(const char *path);
/* Set the modification time of @path to @secs after 1970 (UTC); 0 on success. */
int test_set_mtime(const char *path, long long secs);
/* The modification time of @path in seconds after 1970, -1 on error. */
long long test_mtime(const char *path);

/*
 * Hold a write lock on @path the way another process would, until
 * test_unlock_other(): a child process holding an fcntl() lock on POSIX
 * (fcntl locks are per process), a second handle holding LockFileEx() on
 * Windows (locks there are per handle).  0 when the lock is held.
 */
typedef struct test_other_lock {
	long pid;     /* POSIX child */
	int fd_in;    /* POSIX pipe to the child */
	void *handle; /* Windows file handle */
} test_other_lock;
int test_lock_other(test_other_lock *l, const char *path);
void test_unlock_other(test_other_lock *l);

#endif
