/* SPDX-License-Identifier: MIT */
/*
 * Input sources: positional reads from a file (through the platform
 * layer, src/util/platform.h: pread on POSIX, ReadFile with an OVERLAPPED
 * offset and a UTF-16 path on Windows) or from a caller's memory buffer.
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

#include "hvs/common.h"
#include "util/platform.h"
#include "util/source.h"

/* ---------------------------------------------------------------- file */

typedef struct file_src {
	hvs__fh fh;
	uint64_t size;
} file_src;

static hvs_status file_read_at(void *ud, uint64_t off, void *buf, size_t len,
			       size_t *done)
{
	file_src *fs = ud;

	*done = 0;
	if (off >= fs->size)
		return len ? HVS_E_NODATA : HVS_OK;
	/* Short of @len with no error: the file ends (HVS_E_NODATA). */
	if (hvs__file_pread(fs->fh, buf, len, off, done) != 0)
		return HVS_E_IO;
	return *done == len ? HVS_OK : HVS_E_NODATA;
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
	hvs__file_close(fs->fh);
	free(fs);
}

hvs_status hvs__source_open_file_why(hvs_source *out, const char *path, char *why,
				     size_t whysize)
{
	file_src *fs;
	int e;

	if (why && whysize)
		why[0] = '\0';
	if (!out || !path)
		return HVS_E_INVALID;
	memset(out, 0, sizeof *out);
	fs = calloc(1, sizeof *fs);
	if (!fs)
		return HVS_E_NOMEM;
	/* Read-only, regular files only: a folder or a FIFO has no size to
	 * bounds-check offsets against. */
	e = hvs__file_open_read(&fs->fh, path, &fs->size);
	if (e) {
		/* hvs_source_open_file() documents errno (POSIX: the layer
		 * leaves the open's errno; free() must not change it). */
		int saved = errno;
		free(fs);
		errno = saved;
		if (why && whysize)
			hvs__os_strerror(e, why, whysize);
		return e == HVS__OS_NOMEM ? HVS_E_NOMEM : HVS_E_IO;
	}
	out->read_at = file_read_at;
	out->size = file_size;
	out->close = file_close;
	out->ud = fs;
	return HVS_OK;
}

hvs_status hvs_source_open_file(hvs_source *out, const char *path)
{
	return hvs__source_open_file_why(out, path, NULL, 0);
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
 * The handle under a source opened by hvs_source_open_file(), for bulk
 * copies that bypass the read path (copy_file_range in src/convert) and
 * the "output is the input" check; HVS__FH_NONE for other sources.
 */
hvs__fh hvs__source_fh(const hvs_source *src)
{
	if (!src || src->read_at != file_read_at || !src->ud)
		return HVS__FH_NONE;
	return ((const file_src *)src->ud)->fh;
}
