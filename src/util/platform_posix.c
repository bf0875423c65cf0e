/* SPDX-License-Identifier: MIT */
/*
 * The platform layer on POSIX systems (src/util/platform.h): descriptors
 * with pread/pwrite/pwritev, Linux's copy_file_range, fsync, rename,
 * fcntl record locks, mmap, pthreads and clock_gettime(CLOCK_MONOTONIC).
 * The Windows counterpart is platform_win.c.
 */
#ifndef _WIN32
/* copy_file_range and pwritev are GNU/BSD extensions to POSIX. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/platform.h"

/* One call never asks for more than this (ssize_t, off_t headroom). */
#define IO_MAX ((size_t)1 << 30)

const char *hvs__os_strerror(int code, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	snprintf(buf, size, "%s",
		 code == HVS__OS_NOTSUP ? "not supported on this platform"
		 : code == HVS__OS_NOMEM ? "out of memory" : strerror(code));
	return buf;
}

int hvs__os_err_exists(int code)
{
	return code == EEXIST;
}

int hvs__os_err_notfound(int code)
{
	return code == ENOENT || code == ENOTDIR;
}

int hvs__os_err_locked(int code)
{
	return code == EAGAIN;
}

int hvs__os_last_error(void)
{
	return errno ? errno : EIO;
}

/* ------------------------------------------------------------- files -- */

/* Offsets beyond off_t cannot be addressed: report EFBIG, never wrap. */
static int off_ok(uint64_t off, size_t len)
{
	return off <= (uint64_t)INT64_MAX && len <= (uint64_t)INT64_MAX - off;
}

int hvs__file_open_read(hvs__fh *out, const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	*out = HVS__FH_NONE;
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL; /* a FIFO or a device: no size to check against */
	else
		e = 0;
	if (e) {
		close(fd);
		errno = e; /* hvs_source_open_file() callers may read errno */
		return e;
	}
	*size = (uint64_t)st.st_size;
	*out = fd;
	return 0;
}

int hvs__file_open_rw_locked(hvs__fh *out, const char *path, uint64_t *size)
{
	struct flock lk;
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC), e;
	*out = HVS__FH_NONE;
	if (fd < 0)
		return errno;
	/* POSIX record lock on the whole file, dropped when fd closes. */
	memset(&lk, 0, sizeof lk);
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &lk) != 0) {
		/* Held by someone else: EACCES or EAGAIN by POSIX; one code
		 * (EAGAIN) so that a denied open() is not taken for a lock. */
		e = errno == EACCES ? EAGAIN : errno;
		close(fd);
		return e;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return e;
	}
	*size = (uint64_t)st.st_size;
	*out = fd;
	return 0;
}

int hvs__file_create(hvs__fh *out, const char *path, int excl)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC), 0666);
	*out = HVS__FH_NONE;
	if (fd < 0)
		return errno;
	*out = fd;
	return 0;
}

int hvs__file_pread(hvs__fh fh, void *buf, size_t len, uint64_t off, size_t *got)
{
	uint8_t *p = buf;
	size_t done = 0;
	*got = 0;
	/* pread may return fewer bytes than asked (signals, huge requests):
	 * loop until done, end of file or an error. */
	while (done < len) {
		size_t n = len - done;
		ssize_t r;
		if (n > IO_MAX)
			n = IO_MAX;
		if (!off_ok(off, done + n))
			break; /* past what off_t addresses: nothing there */
		r = pread((int)fh, p + done, n, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*got = done;
			return errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int hvs__file_pwrite(hvs__fh fh, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		size_t n = len - done;
		ssize_t w;
		if (n > IO_MAX)
			n = IO_MAX;
		if (!off_ok(off, done + n))
			return EFBIG;
		w = pwrite((int)fh, p + done, n, (off_t)(off + done));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO; /* no progress: never loop forever */
		done += (size_t)w;
	}
	return 0;
}

#define IOV_MAX_LOCAL 64

int hvs__file_pwritev(hvs__fh fh, const hvs__iov *v, int n, uint64_t off, uint64_t *written)
{
	struct iovec iov[IOV_MAX_LOCAL], *cur = iov;
	uint64_t left = 0;
	int i, nv = n;
	*written = 0;
	if (n > IOV_MAX_LOCAL) {
		/* More pieces than the local array: one write each. */
		for (i = 0; i < n; i++) {
			int e = hvs__file_pwrite(fh, v[i].base, v[i].len, off + *written);
			if (e)
				return e;
			*written += v[i].len;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(uintptr_t)v[i].base;
		iov[i].iov_len = v[i].len;
		left += v[i].len;
	}
	if (!off_ok(off, (size_t)left))
		return EFBIG;
	/* pwritev may write less: go on from where it stopped. */
	while (left > 0) {
		ssize_t w = pwritev((int)fh, cur, nv, (off_t)(off + *written));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		*written += (uint64_t)w;
		left -= (uint64_t)w;
		while (nv > 0 && (size_t)w >= cur->iov_len) {
			w -= (ssize_t)cur->iov_len;
			cur++;
			nv--;
		}
		if (nv > 0 && w > 0) {
			cur->iov_base = (uint8_t *)cur->iov_base + w;
			cur->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int hvs__file_copy_range(hvs__fh in, uint64_t in_off, hvs__fh out, uint64_t out_off, size_t len,
			 size_t *copied)
{
	*copied = 0;
#if defined(__linux__)
	for (;;) {
		off_t io = (off_t)in_off, oo = (off_t)out_off;
		ssize_t w;
		if (!off_ok(in_off, len) || !off_ok(out_off, len))
			return HVS__OS_NOTSUP;
		w = copy_file_range((int)in, &io, (int)out, &oo, len, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* Kernels and filesystems that cannot: the caller copies. */
			if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
			    errno == EINVAL || errno == ETXTBSY || errno == EBADF)
				return HVS__OS_NOTSUP;
			return errno;
		}
		*copied = (size_t)w;
		return 0;
	}
#else
	(void)in;
	(void)in_off;
	(void)out;
	(void)out_off;
	(void)len;
	return HVS__OS_NOTSUP;
#endif
}

int hvs__file_sync(hvs__fh fh)
{
	return fsync((int)fh) == 0 ? 0 : errno;
}

int hvs__file_set_size(hvs__fh fh, uint64_t size)
{
	if (size > (uint64_t)INT64_MAX)
		return EFBIG;
	return ftruncate((int)fh, (off_t)size) == 0 ? 0 : errno;
}

int hvs__file_size(hvs__fh fh, uint64_t *size)
{
	struct stat st;
	if (fstat((int)fh, &st) != 0)
		return errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

int hvs__file_close(hvs__fh fh)
{
	if (fh == HVS__FH_NONE)
		return 0;
	return close((int)fh) == 0 ? 0 : errno;
}

int hvs__file_same(hvs__fh fh, const char *path, int *same)
{
	struct stat a, b;
	*same = 0;
	if (stat(path, &b) != 0)
		return errno == ENOENT ? 0 : errno;
	if (fstat((int)fh, &a) != 0)
		return errno;
	*same = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

int hvs__file_map(const char *path, const uint8_t **map, uint64_t *size)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
		e = errno ? errno : EINVAL;
		close(fd);
		return e;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd); /* the mapping keeps the file referenced */
	if (m == MAP_FAILED)
		return e;
	*map = m;
	*size = (uint64_t)st.st_size;
	return 0;
}

void hvs__file_unmap(const uint8_t *map, uint64_t size)
{
	if (map)
		munmap((void *)(uintptr_t)map, (size_t)size);
}

FILE *hvs__fopen(const char *path, const char *mode)
{
	return fopen(path, mode);
}

/* ------------------------------------------------------------- paths -- */

int hvs__path_kind(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return HVS__PATH_NONE;
	return S_ISDIR(st.st_mode) ? HVS__PATH_DIR : HVS__PATH_FILE;
}

int hvs__path_rename(const char *from, const char *to, int replace)
{
	(void)replace; /* rename() replaces; callers check beforehand */
	return rename(from, to) == 0 ? 0 : errno;
}

int hvs__path_remove(const char *path)
{
	return unlink(path) == 0 ? 0 : errno;
}

int hvs__mkdir_parents(const char *path)
{
	char *tmp;
	size_t i, n = strlen(path);
	int e = 0;
	tmp = malloc(n + 1);
	if (!tmp)
		return ENOMEM;
	memcpy(tmp, path, n + 1);
	for (i = 1; i < n && !e; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
			e = errno;
		tmp[i] = '/';
	}
	free(tmp);
	return e;
}

/* ------------------------------------------------------- environment -- */

char *hvs__getenv(const hvs__alloc *a, const char *name)
{
	const char *v = getenv(name);
	if (!v || !v[0])
		return NULL;
	return hvs__strdup(a, v);
}

char *hvs__user_cache_dir(const hvs__alloc *a)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	char *out;
	size_t n;
	if (x && x[0])
		return hvs__strdup(a, x);
	if (!h || !h[0])
		return NULL;
	n = strlen(h) + sizeof "/.cache";
	out = hvs__malloc(a, n);
	if (out)
		snprintf(out, n, "%s/.cache", h);
	return out;
}

double hvs__monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned hvs__cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > (long)UINT_MAX ? UINT_MAX : (unsigned)n;
}

unsigned long hvs__process_id(void)
{
	return (unsigned long)getpid();
}

/* ----------------------------------------------------------- threads -- */

static void *trampoline(void *arg)
{
	hvs__thread *t = arg;
	t->fn(t->arg);
	return NULL;
}

int hvs__thread_start(hvs__thread *t, void (*fn)(void *), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	return pthread_create(&t->t, NULL, trampoline, t);
}

void hvs__thread_join(hvs__thread *t)
{
	pthread_join(t->t, NULL);
}

void hvs__mutex_init(hvs__mutex *m)
{
	pthread_mutex_init(&m->m, NULL);
}

void hvs__mutex_destroy(hvs__mutex *m)
{
	pthread_mutex_destroy(&m->m);
}

void hvs__mutex_lock(hvs__mutex *m)
{
	pthread_mutex_lock(&m->m);
}

void hvs__mutex_unlock(hvs__mutex *m)
{
	pthread_mutex_unlock(&m->m);
}

void hvs__cond_init(hvs__cond *c)
{
	pthread_cond_init(&c->c, NULL);
}

void hvs__cond_destroy(hvs__cond *c)
{
	pthread_cond_destroy(&c->c);
}

void hvs__cond_wait(hvs__cond *c, hvs__mutex *m)
{
	pthread_cond_wait(&c->c, &m->m);
}

void hvs__cond_signal(hvs__cond *c)
{
	pthread_cond_signal(&c->c);
}

void hvs__cond_broadcast(hvs__cond *c)
{
	pthread_cond_broadcast(&c->c);
}

/* -------------------------------------------------------------- HTTP -- */

/* No HTTP client in POSIX itself: symbol downloads use libcurl when the
 * library is built with it (src/sym/symsrv.c). */
int hvs__os_http_available(void)
{
	return 0;
}

int hvs__os_http_get(const char *url, const char *user_agent, hvs__fh fh, uint64_t max,
		     long *status, char *why, size_t whysize)
{
	(void)user_agent;
	(void)fh;
	(void)max;
	*status = 0;
	snprintf(why, whysize, "cannot download %s: no HTTP client in this build", url);
	return HVS__OS_NOTSUP;
}

#else
/* Windows: see platform_win.c.  ISO C wants a declaration here. */
typedef int hvs__platform_posix_unused;
#endif
