/* SPDX-License-Identifier: MIT */
/*
 * The conversion pipeline (include/hvs/convert.h): owns the output file,
 * the summary, progress and cancellation, and streams guest memory to the
 * per-format writers (convert_int.h).
 *
 * Safety model.  The output goes to "<out>.hvs-tmp.XXXXXXXX" created
 * exclusively in the output's directory (same filesystem, so the final
 * rename is atomic); every file operation goes through the platform layer
 * (src/util/platform.h: POSIX calls, or UTF-16 Win32 calls and MoveFileExW
 * on Windows).  Every error path deletes the temporary files; only a
 * complete conversion is renamed onto OUT.  Without HVS_CONVERT_FORCE an
 * existing OUT (or sidecar) is refused before anything is written and
 * checked again right before the rename, so a file that appeared
 * meanwhile is not replaced silently (on Windows the rename itself then
 * refuses to replace).  The image is only read.
 *
 * Memory streaming: hvs__cvt_stream_gpa() reads guest memory in chunks of
 * CVT_CHUNK bytes (through the parallel block decoder of convert_mt.c when
 * the input has compressed blocks), applies the writer's patches and hands
 * each chunk to a sink: the output file for raw, ELF and crash dumps, the
 * .vmrs writer for vmrs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert_int.h"
#include "convert/cvt_priv.h"
#include "hvs/convert.h"
#include "util/alloc.h"
#include "util/err.h"
#include "util/ovf.h"
#include "util/platform.h"
#include "util/source.h"
#include "mem/image_int.h"

/* ------------------------------------------------------------- names -- */

static const char *const fmt_names[] = { "raw", "elf", "dmp", "vmrs" };

const char *hvs_convert_format_name(hvs_convert_format f)
{
	if ((unsigned)f >= sizeof fmt_names / sizeof fmt_names[0])
		return NULL;
	return fmt_names[f];
}

hvs_status hvs_convert_format_lookup(const char *name, hvs_convert_format *out)
{
	unsigned i;
	if (!name || !out)
		return HVS_E_INVALID;
	for (i = 0; i < sizeof fmt_names / sizeof fmt_names[0]; i++)
		if (strcmp(name, fmt_names[i]) == 0) {
			*out = (hvs_convert_format)i;
			return HVS_OK;
		}
	return HVS_E_INVALID;
}

const char *hvs_convert_strerror(hvs_status st)
{
	if (st == HVS_E_CANCELED)
		return "canceled";
	return hvs_strerror(st);
}

/* ----------------------------------------------------------- helpers -- */

hvs_status hvs__cvt_err(struct hvs__cvt *c, hvs_status st, const char *fmt, ...)
{
	va_list ap;
	/* Keep the first error: later ones are consequences (cleanup). */
	if (c->err_set)
		return st;
	va_start(ap, fmt);
	vsnprintf(c->err.msg, sizeof c->err.msg, fmt, ap);
	va_end(ap);
	c->err_set = 1;
	return st;
}

hvs_image *hvs__cvt_image(struct hvs__cvt *c)
{
	return c->img;
}

int hvs__cvt_dmp_type(const struct hvs__cvt *c)
{
	return c->dmp_type;
}

const char *hvs__cvt_tmp_path(const struct hvs__cvt *c)
{
	return c->tmp_path;
}

const hvs__alloc *hvs__cvt_alloc(const struct hvs__cvt *c)
{
	return &c->alloc;
}

const char *hvs__cvt_out_path(const struct hvs__cvt *c)
{
	return c->out_path;
}

hvs_status hvs__cvt_cancelled(struct hvs__cvt *c)
{
	if (c->opts.progress && c->opts.progress(c->opts.progress_ud, c->done, c->total))
		return hvs__cvt_err(c, HVS_E_CANCELED, "conversion canceled");
	return HVS_OK;
}

void hvs__cvt_add_total(struct hvs__cvt *c, uint64_t bytes)
{
	c->total += bytes;
}

/* Set the conversion's error from OS error @e: "<path>: <what>: <why>". */
static hvs_status os_err(struct hvs__cvt *c, int e, const char *path, const char *what)
{
	char why[256];
	return hvs__cvt_err(c, e == HVS__OS_NOMEM ? HVS_E_NOMEM : HVS_E_IO, "%s: %s: %s", path,
			    what, hvs__os_strerror(e, why, sizeof why));
}

/* Write the whole buffer at @off, reporting the OS's reason precisely. */
static hvs_status pwrite_all(struct hvs__cvt *c, hvs__fh fh, const char *path, uint64_t off,
			     const void *buf, size_t len)
{
	int e = hvs__file_pwrite(fh, buf, len, off);
	if (e) {
		char why[256];
		return hvs__cvt_err(c, HVS_E_IO, "%s: write of %zu bytes at offset %" PRIu64
				    ": %s", path, len, off, hvs__os_strerror(e, why, sizeof why));
	}
	c->bytes_written += len;
	if (off + len > c->file_end && fh == c->fh)
		c->file_end = off + len;
	return HVS_OK;
}

hvs_status hvs__cvt_write(struct hvs__cvt *c, uint64_t off, const void *buf, size_t len)
{
	uint64_t end;
	if (hvs__add_u64(off, len, &end) || end > (uint64_t)INT64_MAX)
		return hvs__cvt_err(c, HVS_E_INVALID, "%s: write at offset %" PRIu64
				    " of %zu bytes overflows", c->out_path, off, len);
	if (c->fh == HVS__FH_NONE)
		return hvs__cvt_err(c, HVS_E_INVALID, "this format writes no output file directly");
	return pwrite_all(c, c->fh, c->tmp_path, off, buf, len);
}

hvs_status hvs__cvt_set_size(struct hvs__cvt *c, uint64_t size)
{
	if (size > c->file_size_req)
		c->file_size_req = size;
	return HVS_OK;
}

/* ----------------------------------------------------------- summary -- */

static char *dup_str(struct hvs__cvt *c, const char *s)
{
	return hvs__strdup(&c->alloc, s ? s : "");
}

void hvs__cvt_underived(struct hvs__cvt *c, const char *field, const char *why)
{
	hvs_convert_result *r = c->res;
	hvs_convert_underived *u;
	size_t cap = c->underived_cap;
	if (!r)
		return;
	for (cap = 0; cap < r->underived_count; cap++)
		if (strcmp(c->underived[cap].field, field) == 0 && strcmp(c->underived[cap].why, why) == 0)
			return; /* the same fact for another VP */
	cap = c->underived_cap;
	if (hvs__grow(&c->alloc, (void **)&c->underived, &cap, r->underived_count + 1,
		      sizeof *c->underived) != HVS_OK)
		return; /* the summary loses an entry; the conversion goes on */
	c->underived_cap = cap;
	r->underived = c->underived; /* owned by the result from now on, even if a copy fails */
	u = &c->underived[r->underived_count];
	u->field = dup_str(c, field);
	u->why = dup_str(c, why);
	if (!u->field || !u->why) {
		hvs__free(&c->alloc, (void *)u->field);
		hvs__free(&c->alloc, (void *)u->why);
		return;
	}
	r->underived_count++;
	r->underived = c->underived;
}

void hvs__cvt_note(struct hvs__cvt *c, const char *name, uint64_t value)
{
	hvs_convert_result *r = c->res;
	hvs_convert_note *n;
	size_t cap = c->notes_cap, i;
	if (!r)
		return;
	for (i = 0; i < r->note_count; i++)
		if (strcmp(c->notes[i].name, name) == 0) {
			c->notes[i].value = value;
			return;
		}
	if (hvs__grow(&c->alloc, (void **)&c->notes, &cap, r->note_count + 1, sizeof *c->notes) !=
	    HVS_OK)
		return;
	c->notes_cap = cap;
	r->notes = c->notes; /* owned by the result from now on, even if the name copy fails */
	n = &c->notes[r->note_count];
	n->name = dup_str(c, name);
	n->value = value;
	if (!n->name)
		return;
	r->note_count++;
	r->notes = c->notes;
}

/* ----------------------------------------------------------- patches -- */

hvs_status hvs__cvt_add_patch(struct hvs__cvt *c, uint64_t gpa, const void *buf, size_t len)
{
	hvs__cvt_patch *p;
	uint64_t end;
	if (len == 0)
		return HVS_OK;
	if (hvs__add_u64(gpa, len, &end))
		return hvs__cvt_err(c, HVS_E_INVALID, "patch at GPA 0x%" PRIx64 " overflows", gpa);
	if (hvs__grow(&c->alloc, (void **)&c->patches, &c->patch_cap, c->npatches + 1,
		      sizeof *c->patches) != HVS_OK)
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for a patch");
	p = &c->patches[c->npatches];
	p->data = hvs__malloc(&c->alloc, len);
	if (!p->data)
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for a %zu-byte patch", len);
	memcpy(p->data, buf, len);
	p->gpa = gpa;
	p->len = len;
	c->npatches++;
	return HVS_OK;
}

/* Overlay every patch overlapping [gpa, gpa + len) onto @buf (later
 * patches win where they overlap each other). */
void hvs__cvt_apply_patches(struct hvs__cvt *c, uint64_t gpa, unsigned char *buf, size_t len)
{
	size_t i;
	for (i = 0; i < c->npatches; i++) {
		const hvs__cvt_patch *p = &c->patches[i];
		uint64_t lo = p->gpa > gpa ? p->gpa : gpa;
		uint64_t pe = p->gpa + p->len, ce = gpa + len;
		uint64_t hi = pe < ce ? pe : ce;
		if (lo >= hi)
			continue;
		memcpy(buf + (lo - gpa), p->data + (lo - p->gpa), (size_t)(hi - lo));
	}
}

/* ------------------------------------------------------ memory stream -- */

/* Find the range holding [gpa, gpa + len), or fail. */
static hvs_status check_in_range(struct hvs__cvt *c, uint64_t gpa, uint64_t len)
{
	const hvs_mem_range *r = hvs_image_ranges(c->img);
	size_t n = hvs_image_range_count(c->img), i;
	for (i = 0; i < n; i++)
		if (gpa >= r[i].gpa && gpa - r[i].gpa <= r[i].size &&
		    len <= r[i].size - (gpa - r[i].gpa))
			return HVS_OK;
	return hvs__cvt_err(c, HVS_E_INVALID, "GPA [0x%" PRIx64 ", +0x%" PRIx64
			    ") is not inside one memory range", gpa, len);
}

/* Account @n more guest bytes and ask the callback whether to go on. */
hvs_status hvs__cvt_progress(struct hvs__cvt *c, uint64_t n)
{
	c->done += n;
	c->mem_bytes += n;
	/* Every piece (<= 64 MiB, usually 1-8 MiB): cancellation stays
	 * prompt; callers rate-limit their own drawing. */
	if (c->opts.progress && c->opts.progress(c->opts.progress_ud, c->done, c->total))
		return hvs__cvt_err(c, HVS_E_CANCELED, "conversion canceled");
	return HVS_OK;
}

hvs_status hvs__cvt_stream_gpa(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
			       hvs__cvt_sink sink, void *ud)
{
	HVS_TRY(check_in_range(c, gpa, len));
	return hvs__cvt_stream_impl(c, gpa, len, sink, ud);
}

hvs_status hvs__cvt_sink_file(struct hvs__cvt *c, void *ud, uint64_t gpa,
			      const unsigned char *buf, size_t len)
{
	hvs__cvt_file_sink *fs = ud;
	return hvs__cvt_write(c, fs->out_off + (gpa - fs->gpa0), buf, len);
}

hvs_status hvs__cvt_copy_gpa(struct hvs__cvt *c, uint64_t gpa, uint64_t len, uint64_t out_off)
{
	hvs__cvt_file_sink fs;
	uint64_t end;
	if (hvs__add_u64(out_off, len, &end) || end > (uint64_t)INT64_MAX)
		return hvs__cvt_err(c, HVS_E_INVALID, "output offset overflows");
	HVS_TRY(check_in_range(c, gpa, len));
	/* A raw-block input whose bytes lie contiguously in the input file
	 * is copied by the kernel (copy_file_range), unpatched parts only. */
	if (c->npatches == 0) {
		hvs_status s = hvs__cvt_copy_direct(c, gpa, len, out_off);
		if (s != HVS_E_UNSUPPORTED)
			return s;
	}
	fs.out_off = out_off;
	fs.gpa0 = gpa;
	return hvs__cvt_stream_impl(c, gpa, len, hvs__cvt_sink_file, &fs);
}

/* ------------------------------------------------------------ files -- */

static int path_exists(const char *p)
{
	return hvs__path_kind(p) != HVS__PATH_NONE;
}

/* Create a temporary file beside @final: "<final>.hvs-tmp.<8 hex>",
 * exclusively, with the mode an ordinary new file gets (0666 less the
 * umask on POSIX; the process-wide umask is never touched). */
static hvs_status make_temp(struct hvs__cvt *c, const char *final, char **tmp_out, hvs__fh *fh_out)
{
	int e = hvs__file_create_temp(&c->alloc, final, ".hvs-tmp.", "", tmp_out, fh_out);
	if (e) {
		char why[256];
		return hvs__cvt_err(c, e == HVS__OS_NOMEM ? HVS_E_NOMEM : HVS_E_IO,
				    "%s: cannot create a temporary file beside it: %s", final,
				    hvs__os_strerror(e, why, sizeof why));
	}
	return HVS_OK;
}

hvs_status hvs__cvt_sidecar(struct hvs__cvt *c, const char *suffix, const void *buf, size_t len)
{
	size_t n = strlen(c->out_path), m = strlen(suffix);
	char *p;
	hvs__fh fh;
	hvs_status s;
	int e;
	if (c->side_path)
		return hvs__cvt_err(c, HVS_E_INVALID, "only one sidecar per conversion");
	p = hvs__malloc(&c->alloc, n + m + 1);
	if (!p)
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory");
	memcpy(p, c->out_path, n);
	memcpy(p + n, suffix, m + 1);
	c->side_path = p;
	if (!(c->opts.flags & HVS_CONVERT_FORCE) && path_exists(p))
		return hvs__cvt_err(c, HVS_E_INVALID, "%s exists; not replaced without --force (HVS_CONVERT_FORCE)", p);
	s = make_temp(c, p, &c->side_tmp, &fh);
	if (s != HVS_OK)
		return s;
	s = pwrite_all(c, fh, c->side_tmp, 0, buf, len);
	e = hvs__file_close(fh);
	if (e && s == HVS_OK)
		s = os_err(c, e, c->side_tmp, "close");
	return s;
}

/* --------------------------------------------------------- pipeline -- */

static void free_cvt(struct hvs__cvt *c)
{
	size_t i;
	for (i = 0; i < c->npatches; i++)
		hvs__free(&c->alloc, c->patches[i].data);
	hvs__free(&c->alloc, c->patches);
	hvs__cvt_mt_free(c);
	hvs__free(&c->alloc, c->tmp_path);
	hvs__free(&c->alloc, c->side_tmp);
}

void hvs_convert_result_free(hvs_convert_result *r)
{
	hvs__alloc a;
	size_t i;
	hvs_convert_result_priv *p = (hvs_convert_result_priv *)r;
	if (!r)
		return;
	a = p->alloc;
	for (i = 0; i < r->underived_count; i++) {
		hvs__free(&a, (void *)r->underived[i].field);
		hvs__free(&a, (void *)r->underived[i].why);
	}
	for (i = 0; i < r->note_count; i++)
		hvs__free(&a, (void *)r->notes[i].name);
	hvs__free(&a, (void *)r->underived);
	hvs__free(&a, (void *)r->notes);
	hvs__free(&a, (void *)r->sidecar_path);
	hvs__free(&a, p);
}

static hvs_status run_writer(struct hvs__cvt *c, hvs_convert_format fmt)
{
	switch (fmt) {
	case HVS_CONVERT_RAW: return hvs__convert_raw(c);
	case HVS_CONVERT_ELF: return hvs__convert_elf(c);
	case HVS_CONVERT_DMP: return hvs__convert_dmp(c);
	case HVS_CONVERT_VMRS: return hvs__convert_vmrs(c);
	}
	return hvs__cvt_err(c, HVS_E_INVALID, "unknown output format %d", (int)fmt);
}

hvs_status hvs_convert(hvs_image *img, const char *out_path, hvs_convert_format fmt,
		       const hvs_convert_opts *opts, hvs_convert_result **out)
{
	static const hvs_convert_opts defaults;
	struct hvs__cvt cv, *c = &cv;
	hvs_convert_result_priv *rp;
	hvs_convert_result *r;
	hvs_status s = HVS_OK;
	double t0 = hvs__monotonic_seconds();
	int e, same = 0;

	if (out)
		*out = NULL;
	if (!opts)
		opts = &defaults;
	memset(c, 0, sizeof *c);
	c->fh = HVS__FH_NONE;
	c->img = img;
	c->opts = *opts;
	c->out_path = out_path;
	hvs__alloc_init(&c->alloc, opts->alloc);
	rp = hvs__calloc(&c->alloc, 1, sizeof *rp);
	if (!rp)
		return HVS_E_NOMEM;
	rp->alloc = c->alloc;
	r = &rp->pub;
	c->res = r;
	r->format = fmt;

	if (!img || !out_path || !out_path[0]) {
		s = hvs__cvt_err(c, HVS_E_INVALID, "no image or no output path");
		goto done;
	}
	if (!hvs_convert_format_name(fmt)) {
		s = hvs__cvt_err(c, HVS_E_INVALID, "unknown output format %d", (int)fmt);
		goto done;
	}
	c->dmp_type = opts->dmp_type == 0 ? HVS_CONVERT_DMP_FULL : opts->dmp_type;
	if (c->dmp_type != HVS_CONVERT_DMP_FULL && c->dmp_type != HVS_CONVERT_DMP_BITMAP) {
		s = hvs__cvt_err(c, HVS_E_INVALID, "crash-dump type %d is not 1 (full) or 5 (bitmap)",
				 opts->dmp_type);
		goto done;
	}
	/* Never replace the input, even when asked to (same device and
	 * inode; same volume and file index on Windows). */
	if (hvs__source_fh(&img->src) != HVS__FH_NONE &&
	    hvs__file_same(hvs__source_fh(&img->src), out_path, &same) == 0 && same) {
		s = hvs__cvt_err(c, HVS_E_INVALID, "%s is the input file", out_path);
		goto done;
	}
	e = hvs__path_kind(out_path);
	if (e != HVS__PATH_NONE) {
		if (!(opts->flags & HVS_CONVERT_FORCE)) {
			s = hvs__cvt_err(c, HVS_E_INVALID, "%s exists; not replaced without --force (HVS_CONVERT_FORCE)",
					 out_path);
			goto done;
		}
		if (e == HVS__PATH_DIR) {
			s = hvs__cvt_err(c, HVS_E_INVALID, "%s is a directory", out_path);
			goto done;
		}
		c->replacing = 1;
	}
	/* Progress counts the guest bytes streamed: the ranges' sizes (the
	 * raw saved memory may be larger: padding of a range's last block). */
	{
		const hvs_mem_range *rg = hvs_image_ranges(img);
		size_t k;
		for (k = 0; k < hvs_image_range_count(img); k++)
			c->total += rg[k].size;
	}
	s = hvs__cvt_mt_init(c);
	if (s != HVS_OK)
		goto done;
	s = make_temp(c, out_path, &c->tmp_path, &c->fh);
	if (s != HVS_OK) {
		c->fh = HVS__FH_NONE;
		goto done;
	}
	s = run_writer(c, fmt);
	/* The file's size: what the writer asked for (trailing holes). */
	if (s == HVS_OK && c->file_size_req > c->file_end) {
		e = hvs__file_set_size(c->fh, c->file_size_req);
		if (e) {
			char why[256];
			s = hvs__cvt_err(c, HVS_E_IO, "%s: cannot extend to %" PRIu64 " bytes: %s",
					 c->tmp_path, c->file_size_req, hvs__os_strerror(e, why, sizeof why));
		} else {
			c->file_end = c->file_size_req;
		}
	}
	/* The real size (writers that write through their own handle). */
	if (s == HVS_OK) {
		uint64_t sz;
		if (hvs__file_size(c->fh, &sz) == 0 && sz > c->file_end)
			c->file_end = sz;
	}
	/* Replacing a file: make the new one durable before the old one goes. */
	if (s == HVS_OK && c->replacing && (e = hvs__file_sync(c->fh)) != 0)
		s = os_err(c, e, c->tmp_path, "flush to disk");
	e = hvs__file_close(c->fh);
	if (e && s == HVS_OK)
		s = os_err(c, e, c->tmp_path, "close");
	c->fh = HVS__FH_NONE;
	if (s == HVS_OK && !(opts->flags & HVS_CONVERT_FORCE) &&
	    (path_exists(out_path) || (c->side_path && path_exists(c->side_path))))
		s = hvs__cvt_err(c, HVS_E_INVALID, "%s appeared during the conversion; not replaced",
				 out_path);
	if (s == HVS_OK && c->side_tmp &&
	    (e = hvs__path_rename(c->side_tmp, c->side_path, opts->flags & HVS_CONVERT_FORCE)) != 0) {
		char why[256];
		s = hvs__cvt_err(c, HVS_E_IO, "rename %s to %s: %s", c->side_tmp, c->side_path,
				 hvs__os_strerror(e, why, sizeof why));
	}
	if (s == HVS_OK &&
	    (e = hvs__path_rename(c->tmp_path, out_path, opts->flags & HVS_CONVERT_FORCE)) != 0) {
		char why[256];
		s = hvs__cvt_err(c, HVS_E_IO, "rename %s to %s: %s", c->tmp_path, out_path,
				 hvs__os_strerror(e, why, sizeof why));
		if (c->side_path)
			hvs__path_remove(c->side_path);
	}
	if (s == HVS_OK) {
		hvs__free(&c->alloc, c->tmp_path);
		c->tmp_path = NULL;
		hvs__free(&c->alloc, c->side_tmp);
		c->side_tmp = NULL;
		if (c->side_path) {
			r->sidecar_path = c->side_path;
			c->side_path = NULL;
		}
	}
done:
	hvs__file_close(c->fh);
	if (c->tmp_path)
		hvs__path_remove(c->tmp_path);
	if (c->side_tmp)
		hvs__path_remove(c->side_tmp);
	hvs__free(&c->alloc, c->side_path);
	r->ranges = c->ranges_written;
	r->memory_bytes = c->mem_bytes;
	r->pages = (c->mem_bytes + 4095) / 4096;
	r->bytes_written = c->bytes_written;
	r->file_size = c->file_end;
	r->workers = c->workers;
	r->seconds = hvs__monotonic_seconds() - t0;
	if (s != HVS_OK) {
		if (!c->err_set)
			snprintf(c->err.msg, sizeof c->err.msg, "%s", hvs_convert_strerror(s));
		snprintf(r->errmsg, sizeof r->errmsg, "%.*s", (int)(sizeof r->errmsg - 1), c->err.msg);
	}
	free_cvt(c);
	if (out)
		*out = r;
	else
		hvs_convert_result_free(r);
	return s;
}

void hvs__cvt_range_done(struct hvs__cvt *c)
{
	c->ranges_written++;
}
