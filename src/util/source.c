/* SPDX-License-Identifier: MIT */
/*
 * Input sources: positional reads from a file (pread on POSIX, seek+read
 * on Windows) or from a caller's memory buffer.
 *
 * Positional reads, not a shared file position: one source can back
 * several handles used from different threads (docs/threading.md), and a
 * parser never depends on where a previous read left off.  The file is
 * not memory-mapped: a file truncated by another process while mapped
 * would kill the reader with SIGBUS, and the library must never crash on
 * what happens to its input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <stdio.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

#include "hvs/common.h"
#include "util/source.h"

/* ---------------------------------------------------------------- file */

typedef struct file_src {
#ifdef _WIN32
	FILE *f;
#else
	int fd;
#endif
	uint64_t size;
} file_src;

static hvs_status file_read_at(void *ud, uint64_t off, void *buf, size_t len,
			       size_t *done)
{
	file_src *fs = ud;
	uint8_t *p = buf;
	size_t got = 0;

	*done = 0;
	if (off >= fs->size)
		return len ? HVS_E_NODATA : HVS_OK;
#ifdef _WIN32
	if (_fseeki64(fs->f, (long long)off, SEEK_SET) != 0)
		return HVS_E_IO;
	got = fread(p, 1, len, fs->f);
	*done = got;
	if (got < len)
		return ferror(fs->f) ? HVS_E_IO : HVS_E_NODATA;
	return HVS_OK;
#else
	/* pread may return fewer bytes than asked (signals, huge requests):
	 * loop until done, EOF (a short read, HVS_E_NODATA) or an error. */
	while (got < len) {
		/* pread takes off_t; cap each call so it never overflows. */
		size_t chunk = len - got;
		ssize_t r;
		if (chunk > (size_t)1 << 30)
			chunk = (size_t)1 << 30;
		if (off + got > (uint64_t)INT64_MAX)
			break;
		r = pread(fs->fd, p + got, chunk, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*done = got;
			return HVS_E_IO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*done = got;
	return got == len ? HVS_OK : HVS_E_NODATA;
#endif
}

static uint64_t file_size(void *ud)
{
	return ((file_src *)ud)->size;
}

static void file_close(void *ud)
{
	file_src *fs = ud;
	if (!fs)
		return;
#ifdef _WIN32
	fclose(fs->f);
#else
	close(fs->fd);
#endif
	free(fs);
}

hvs_status hvs_source_open_file(hvs_source *out, const char *path)
{
	file_src *fs;

	if (!out || !path)
		return HVS_E_INVALID;
	memset(out, 0, sizeof *out);
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return HVS_E_NOMEM;
#ifdef _WIN32
	fs->f = fopen(path, "rb");
	if (!fs->f) {
		free(fs);
		return HVS_E_IO;
	}
	if (_fseeki64(fs->f, 0, SEEK_END) != 0) {
		fclose(fs->f);
		free(fs);
		return HVS_E_IO;
	}
	fs->size = (uint64_t)_ftelli64(fs->f);
#else
	{
		struct stat stbuf;
		int e;
		fs->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fs->fd < 0) {
			e = errno;
			free(fs);
			errno = e;
			return HVS_E_IO;
		}
		/* Only regular files: a directory or a FIFO has no size to
		 * bounds-check offsets against. */
		if (fstat(fs->fd, &stbuf) != 0 || !S_ISREG(stbuf.st_mode)) {
			e = S_ISDIR(stbuf.st_mode) ? EISDIR : errno;
			close(fs->fd);
			free(fs);
			errno = e ? e : EINVAL;
			return HVS_E_IO;
		}
		fs->size = (uint64_t)stbuf.st_size;
	}
#endif
	out->read_at = file_read_at;
	out->size = file_size;
	out->close = file_close;
	out->ud = fs;
	return HVS_OK;
}

/* -------------------------------------------------------------- memory */

typedef struct mem_src {
	const uint8_t *data;
	size_t len;
} mem_src;

static hvs_status mem_read_at(void *ud, uint64_t off, void *buf, size_t len,
			      size_t *done)
{
	mem_src *ms = ud;
	size_t n;

	*done = 0;
	if (off >= ms->len)
		return len ? HVS_E_NODATA : HVS_OK;
	n = ms->len - (size_t)off;
	if (n > len)
		n = len;
	if (n)
		memcpy(buf, ms->data + off, n);
	*done = n;
	return n == len ? HVS_OK : HVS_E_NODATA;
}

static uint64_t mem_size(void *ud)
{
	return ((mem_src *)ud)->len;
}

static void mem_close(void *ud)
{
	free(ud);
}

hvs_status hvs_source_from_memory(hvs_source *out, const void *data, size_t len)
{
	mem_src *ms;

	if (!out || (!data && len))
		return HVS_E_INVALID;
	memset(out, 0, sizeof *out);
	ms = calloc(1, sizeof *ms);
	if (!ms)
		return HVS_E_NOMEM;
	ms->data = data;
	ms->len = len;
	out->read_at = mem_read_at;
	out->size = mem_size;
	out->close = mem_close;
	out->ud = ms;
	return HVS_OK;
}

void hvs_source_close(hvs_source *src)
{
	if (!src)
		return;
	if (src->close)
		src->close(src->ud);
	memset(src, 0, sizeof *src);
}

/*
 * The descriptor under a source opened by hvs_source_open_file(), for
 * bulk copies that bypass the read path (copy_file_range in
 * src/convert); -1 for other sources and on Windows.
 */
int hvs__source_fd(const hvs_source *src)
{
#ifdef _WIN32
	(void)src;
	return -1;
#else
	if (!src || src->read_at != file_read_at || !src->ud)
		return -1;
	return ((const file_src *)src->ud)->fd;
#endif
}
