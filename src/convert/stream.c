/* SPDX-License-Identifier: MIT */
/*
 * Streaming guest memory out of an image for the conversion pipeline.
 *
 * Three paths, chosen per call:
 *
 *  1. copy_file_range (hvs__cvt_copy_direct, through the platform layer
 *     src/util/platform.h; Linux only, elsewhere path 1 reads and writes
 *     8 MiB pieces): when no patch applies and
 *     the bytes are the input file's own and contiguous -- a raw image or
 *     ELF core range (its extent), or a run of raw 1 MiB RamBlocks of a
 *     .vmrs whose values follow each other in the file -- the kernel
 *     copies them (no copy through user space; reflinks where the
 *     filesystem shares extents).  Falls back to 8 MiB pread/pwrite when
 *     the kernel refuses (EXDEV on old kernels, ENOSYS, EOPNOTSUPP).
 *
 *  2. parallel decode (.vmrs with token-stream blocks, workers > 1): the
 *     calling thread fetches block values in order into a ring of slots,
 *     decoding workers (and the calling thread while it waits) decode
 *     token streams into the slot's output buffer, and the calling thread
 *     consumes the slots strictly in order: patches, sink, progress.
 *     Memory: RING_PER_WORKER slots per worker of 2 MiB each (value +
 *     decoded block), whatever the guest size.
 *
 *  3. portable: hvs_image_read() in HVS__CVT_CHUNK pieces into one buffer.
 *
 * A block that fails to decode in path 2 is re-read through path 3 for
 * its slice, so damaged blocks give exactly the error (and the page-level
 * salvage) of hvs_image_read().
 */
#include <string.h>

#include "codec/codec.h"
#include "convert/cvt_priv.h"
#include "hvs/image.h"
#include "mem/image_int.h"
#include "util/platform.h"
#include "util/source.h"
#include "vmrs/bulk.h"

#define MAX_WORKERS 64u
#define RING_PER_WORKER 4u

enum { SLOT_EMPTY = 0, SLOT_FILLED, SLOT_DECODING, SLOT_DONE };

typedef struct slot {
	int state;
	uint64_t block;
	size_t inlen;
	uint64_t base;
	hvs_status st;
	uint8_t *in;   /* token stream (1 MiB) */
	uint8_t *out;  /* decoded or raw block (1 MiB) */
} slot;

struct hvs__cvt_mt {
	hvs__thread th[MAX_WORKERS];
	unsigned nth;          /* helper threads running */
	hvs__mutex mu;
	hvs__cond cv_work, cv_done;
	int quit;
	slot *ring;
	size_t nring;
	uint64_t filled_seq;   /* slots are used in sequence order */
	const hvs__alloc *alloc;
};

/* --------------------------------------------------------- workers -- */

/* Decode one claimed slot (no lock held). */
static void decode_slot(slot *s)
{
	hvs__err e;
	s->st = hvs__ramblock_decode(s->in, s->inlen, s->out, s->base, NULL, &e);
}

/* Claim a FILLED slot, lowest sequence first; NULL if none.  Lock held. */
static slot *claim(struct hvs__cvt_mt *m)
{
	size_t i;
	for (i = 0; i < m->nring; i++) {
		slot *s = &m->ring[(m->filled_seq + i) % m->nring];
		if (s->state == SLOT_FILLED) {
			s->state = SLOT_DECODING;
			return s;
		}
	}
	return NULL;
}

static void worker(void *arg)
{
	struct hvs__cvt_mt *m = arg;
	hvs__mutex_lock(&m->mu);
	for (;;) {
		slot *s;
		while (!m->quit && !(s = claim(m)))
			hvs__cond_wait(&m->cv_work, &m->mu);
		if (m->quit)
			break;
		hvs__mutex_unlock(&m->mu);
		decode_slot(s);
		hvs__mutex_lock(&m->mu);
		s->state = SLOT_DONE;
		hvs__cond_broadcast(&m->cv_done);
	}
	hvs__mutex_unlock(&m->mu);
}

static unsigned online_cpus(void)
{
	unsigned n = hvs__cpu_count();
	return n > MAX_WORKERS ? MAX_WORKERS : n;
}

hvs_status hvs__cvt_mt_init(struct hvs__cvt *c)
{
	unsigned w = c->opts.workers ? c->opts.workers : online_cpus();
	if (w > MAX_WORKERS)
		w = MAX_WORKERS;
	c->workers = w;
	return HVS_OK;
}

/* Start the ring and helper threads on first use. */
static hvs_status mt_start(struct hvs__cvt *c)
{
	struct hvs__cvt_mt *m;
	size_t i;
	if (c->mt)
		return HVS_OK;
	m = hvs__calloc(&c->alloc, 1, sizeof *m);
	if (!m)
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory");
	m->alloc = &c->alloc;
	m->nring = (size_t)c->workers * RING_PER_WORKER;
	m->ring = hvs__calloc(&c->alloc, m->nring, sizeof *m->ring);
	if (!m->ring) {
		hvs__free(&c->alloc, m);
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory");
	}
	c->mt = m;
	for (i = 0; i < m->nring; i++) {
		m->ring[i].in = hvs__malloc(&c->alloc, HVS__RAMBLOCK_SIZE);
		m->ring[i].out = hvs__malloc(&c->alloc, HVS__RAMBLOCK_SIZE);
		if (!m->ring[i].in || !m->ring[i].out)
			return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for the decode ring");
	}
	hvs__mutex_init(&m->mu);
	hvs__cond_init(&m->cv_work);
	hvs__cond_init(&m->cv_done);
	/* The calling thread decodes too: workers - 1 helpers. */
	for (i = 0; i + 1 < c->workers; i++) {
		if (hvs__thread_start(&m->th[m->nth], worker, m) != 0)
			break; /* fewer helpers: still correct, only slower */
		m->nth++;
	}
	return HVS_OK;
}

void hvs__cvt_mt_free(struct hvs__cvt *c)
{
	struct hvs__cvt_mt *m = c->mt;
	size_t i;
	if (!m)
		return;
	if (m->ring && m->ring[m->nring - 1].out) {
		hvs__mutex_lock(&m->mu);
		m->quit = 1;
		hvs__cond_broadcast(&m->cv_work);
		hvs__mutex_unlock(&m->mu);
		for (i = 0; i < m->nth; i++)
			hvs__thread_join(&m->th[i]);
		hvs__mutex_destroy(&m->mu);
		hvs__cond_destroy(&m->cv_work);
		hvs__cond_destroy(&m->cv_done);
	}
	for (i = 0; m->ring && i < m->nring; i++) {
		hvs__free(&c->alloc, m->ring[i].in);
		hvs__free(&c->alloc, m->ring[i].out);
	}
	hvs__free(&c->alloc, m->ring);
	hvs__free(&c->alloc, m);
	c->mt = NULL;
}

/* ------------------------------------------------------ portable path -- */

static hvs_status stream_portable(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
				  hvs__cvt_sink sink, void *ud)
{
	unsigned char *buf;
	hvs_status s = HVS_OK;
	if (len == 0)
		return HVS_OK;
	buf = hvs__malloc(&c->alloc, HVS__CVT_CHUNK);
	if (!buf)
		return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory for a %zu-byte copy buffer",
				    HVS__CVT_CHUNK);
	while (len > 0 && s == HVS_OK) {
		size_t n = len < HVS__CVT_CHUNK ? (size_t)len : HVS__CVT_CHUNK, got = 0;
		s = hvs_image_read(c->img, HVS_SPACE_GPA, gpa, buf, n, &got);
		if (s != HVS_OK) {
			s = hvs__cvt_err(c, s, "reading guest memory at GPA 0x%" PRIx64 ": %s", gpa + got,
					 hvs_image_errmsg(c->img));
			break;
		}
		hvs__cvt_apply_patches(c, gpa, buf, n);
		s = sink(c, ud, gpa, buf, n);
		if (s == HVS_OK)
			s = hvs__cvt_progress(c, n);
		gpa += n;
		len -= n;
	}
	hvs__free(&c->alloc, buf);
	return s;
}

/* ------------------------------------------------------ parallel path -- */

/* Consume slot @s holding block @b: its slice of [r0, r1) in raw space. */
static hvs_status consume(struct hvs__cvt *c, slot *s, uint64_t r0, uint64_t r1, uint64_t gpa0,
			  hvs__cvt_sink sink, void *ud)
{
	uint64_t bs = s->block * HVS__RAMBLOCK_SIZE;
	uint64_t lo = r0 > bs ? r0 : bs, hi = r1 < bs + HVS__RAMBLOCK_SIZE ? r1 : bs + HVS__RAMBLOCK_SIZE;
	uint64_t gpa = gpa0 + (lo - r0);
	size_t n = (size_t)(hi - lo);
	uint8_t *p = s->out + (lo - bs);
	hvs_status st;
	if (s->st != HVS_OK) {
		/* Damaged block: the read path reports it (and salvages what it can). */
		size_t got = 0;
		st = hvs_image_read(c->img, HVS_SPACE_GPA, gpa, p, n, &got);
		if (st != HVS_OK)
			return hvs__cvt_err(c, st, "reading guest memory at GPA 0x%" PRIx64 ": %s",
					    gpa + got, hvs_image_errmsg(c->img));
	}
	hvs__cvt_apply_patches(c, gpa, p, n);
	HVS_TRY(sink(c, ud, gpa, p, n));
	return hvs__cvt_progress(c, n);
}

/*
 * If slots eat, eat + 1, ... (below @fill) are decoded without error,
 * write up to GATHER_MAX of them with one pwritev (patches applied) and
 * return how many; 0 when fewer than two are ready (the caller consumes
 * one the usual way).  Writes at least 2 MiB per call that way.
 */
#define GATHER_MAX 16u
static uint64_t gather_write(struct hvs__cvt *c, struct hvs__cvt_mt *m, uint64_t eat,
			     uint64_t fill, uint64_t r0, uint64_t r1, uint64_t gpa0, void *ud,
			     hvs_status *st)
{
	hvs__cvt_file_sink *fs = ud;
	hvs__iov iov[GATHER_MAX];
	uint64_t k = 0, total = 0, off = 0, wrote = 0;
	int i, e;
	*st = HVS_OK;
	hvs__mutex_lock(&m->mu);
	while (eat + k < fill && k < GATHER_MAX && k < m->nring) {
		slot *sl = &m->ring[(eat + k) % m->nring];
		if (sl->state != SLOT_DONE || sl->st != HVS_OK)
			break;
		k++;
	}
	hvs__mutex_unlock(&m->mu);
	if (k < 2)
		return 0;
	for (i = 0; i < (int)k; i++) {
		slot *sl = &m->ring[(eat + (uint64_t)i) % m->nring];
		uint64_t bs = sl->block * HVS__RAMBLOCK_SIZE;
		uint64_t lo = r0 > bs ? r0 : bs;
		uint64_t hi = r1 < bs + HVS__RAMBLOCK_SIZE ? r1 : bs + HVS__RAMBLOCK_SIZE;
		uint64_t gpa = gpa0 + (lo - r0);
		if (i == 0)
			off = fs->out_off + (gpa - fs->gpa0);
		iov[i].base = sl->out + (lo - bs);
		iov[i].len = (size_t)(hi - lo);
		hvs__cvt_apply_patches(c, gpa, sl->out + (lo - bs), iov[i].len);
		total += hi - lo;
	}
	/* pwritev on POSIX (short writes continued), one write per slot on
	 * Windows. */
	e = hvs__file_pwritev(c->fh, iov, (int)k, off, &wrote);
	c->bytes_written += wrote;
	if (off + wrote > c->file_end)
		c->file_end = off + wrote;
	if (e) {
		char why[256];
		*st = hvs__cvt_err(c, HVS_E_IO, "%s: write of %" PRIu64 " bytes at offset %" PRIu64
				   ": %s", hvs__cvt_tmp_path(c), total - wrote, off + wrote,
				   hvs__os_strerror(e, why, sizeof why));
		return 0;
	}
	hvs__mutex_lock(&m->mu);
	for (i = 0; i < (int)k; i++)
		m->ring[(eat + (uint64_t)i) % m->nring].state = SLOT_EMPTY;
	hvs__mutex_unlock(&m->mu);
	*st = hvs__cvt_progress(c, total);
	return *st == HVS_OK ? k : 0;
}

static hvs_status stream_parallel(struct hvs__cvt *c, uint64_t gpa, uint64_t len, uint64_t r0,
				  hvs__cvt_sink sink, void *ud)
{
	struct hvs__cvt_mt *m;
	uint64_t r1 = r0 + len, bfirst = r0 / HVS__RAMBLOCK_SIZE;
	uint64_t blast = (r1 - 1) / HVS__RAMBLOCK_SIZE, nb = blast - bfirst + 1;
	uint64_t fill = 0, eat = 0; /* blocks filled / consumed, relative to bfirst */
	hvs_status s = HVS_OK;
	HVS_TRY(mt_start(c));
	m = c->mt;
	m->filled_seq = 0;
	while (eat < nb && s == HVS_OK) {
		/* Fill every free slot ahead of the consumer. */
		while (fill < nb && fill - eat < m->nring && s == HVS_OK) {
			slot *sl = &m->ring[fill % m->nring];
			uint64_t b = bfirst + fill;
			hvs__blk info;
			sl->block = b;
			sl->st = HVS_OK;
			s = hvs__ss_block_info(c->img, b, &info);
			if (s == HVS_OK)
				s = hvs__ss_block_read(c->img, b,
						       info.kind == HVS__BLK_RAW ? sl->out : sl->in,
						       (size_t)info.len);
			if (s != HVS_OK) {
				/* Missing or unreadable: let the read path say so. */
				sl->st = s;
				s = HVS_OK;
				hvs__mutex_lock(&m->mu);
				sl->state = SLOT_DONE;
				hvs__mutex_unlock(&m->mu);
			} else if (info.kind == HVS__BLK_RAW) {
				hvs__mutex_lock(&m->mu);
				sl->state = SLOT_DONE;
				hvs__mutex_unlock(&m->mu);
			} else {
				sl->inlen = (size_t)info.len;
				sl->base = info.base;
				hvs__mutex_lock(&m->mu);
				sl->state = SLOT_FILLED;
				hvs__cond_signal(&m->cv_work);
				hvs__mutex_unlock(&m->mu);
			}
			fill++;
		}
		/* Several decoded slots ready for the output file: one pwritev. */
		if (sink == hvs__cvt_sink_file) {
			uint64_t k = gather_write(c, m, eat, fill, r0, r1, gpa, ud, &s);
			if (s != HVS_OK)
				break;
			if (k > 0) {
				eat += k;
				continue;
			}
		}
		/* Consume the oldest slot, decoding others while it is not done. */
		{
			slot *sl = &m->ring[eat % m->nring];
			hvs__mutex_lock(&m->mu);
			m->filled_seq = eat;
			while (sl->state != SLOT_DONE) {
				slot *mine = claim(m);
				if (mine) {
					hvs__mutex_unlock(&m->mu);
					decode_slot(mine);
					hvs__mutex_lock(&m->mu);
					mine->state = SLOT_DONE;
					continue;
				}
				hvs__cond_wait(&m->cv_done, &m->mu);
			}
			hvs__mutex_unlock(&m->mu);
			s = consume(c, sl, r0, r1, gpa, sink, ud);
			hvs__mutex_lock(&m->mu);
			sl->state = SLOT_EMPTY;
			hvs__mutex_unlock(&m->mu);
			eat++;
		}
	}
	/* On error, wait for slots still being decoded before they are reused. */
	hvs__mutex_lock(&m->mu);
	for (;;) {
		size_t i, busy = 0;
		for (i = 0; i < m->nring; i++) {
			if (m->ring[i].state == SLOT_FILLED)
				m->ring[i].state = SLOT_EMPTY;
			busy += m->ring[i].state == SLOT_DECODING;
		}
		if (!busy)
			break;
		hvs__cond_wait(&m->cv_done, &m->mu);
	}
	for (fill = 0; fill < m->nring; fill++)
		m->ring[fill].state = SLOT_EMPTY;
	hvs__mutex_unlock(&m->mu);
	return s;
}

hvs_status hvs__cvt_stream_impl(struct hvs__cvt *c, uint64_t gpa, uint64_t len,
				hvs__cvt_sink sink, void *ud)
{
	uint64_t r0;
	hvs__blk info;
	if (len == 0)
		return HVS_OK;
	/* The block pipeline serves .vmrs images; it pays off with a
	 * decoder per core, and also with one (reads straight into slots). */
	if (hvs_image_gpa_to_raw(c->img, gpa, &r0) == HVS_OK &&
	    hvs__ss_block_info(c->img, r0 / HVS__RAMBLOCK_SIZE, &info) != HVS_E_UNSUPPORTED)
		return stream_parallel(c, gpa, len, r0, sink, ud);
	return stream_portable(c, gpa, len, sink, ud);
}

/* ------------------------------------------------- copy_file_range path -- */

/*
 * Copy @len bytes from @in_fh at @in_off to the output at @out_off: the
 * kernel's copy_file_range, else pread/pwrite in 8 MiB pieces.
 */
static hvs_status kcopy(struct hvs__cvt *c, hvs__fh in_fh, uint64_t in_off, uint64_t len,
			uint64_t out_off)
{
	static const size_t piece = (size_t)64 << 20;
	unsigned char *buf = NULL;
	hvs_status s = HVS_OK;
	int use_cfr = 1;
	while (len > 0 && s == HVS_OK) {
		size_t n = len < piece ? (size_t)len : piece, w = 0;
		if (use_cfr) {
			int e = hvs__file_copy_range(in_fh, in_off, c->fh, out_off, n, &w);
			if (e == HVS__OS_NOTSUP) {
				use_cfr = 0; /* not here: read and write instead */
			} else if (e) {
				char why[256];
				s = hvs__cvt_err(c, HVS_E_IO, "%s: copy of %zu bytes at offset %" PRIu64
						 ": %s", hvs__cvt_tmp_path(c), n, out_off,
						 hvs__os_strerror(e, why, sizeof why));
				break;
			} else if (w == 0) {
				s = hvs__cvt_err(c, HVS_E_CORRUPT, "input file ended at offset %" PRIu64
						 " (truncated?)", in_off);
				break;
			}
		}
		if (!use_cfr) {
			size_t got = 0;
			if (!buf) {
				buf = hvs__malloc(&c->alloc, HVS__CVT_CHUNK);
				if (!buf)
					return hvs__cvt_err(c, HVS_E_NOMEM, "out of memory");
			}
			if (n > HVS__CVT_CHUNK)
				n = HVS__CVT_CHUNK;
			s = c->img->src.read_at(c->img->src.ud, in_off, buf, n, &got);
			if (s != HVS_OK) {
				s = hvs__cvt_err(c, s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
						 "reading the input at offset %" PRIu64 ": %s", in_off + got,
						 s == HVS_E_NODATA ? "file ends early (truncated?)"
								   : "read failed");
				break;
			}
			s = hvs__cvt_write(c, out_off, buf, n);
			if (s != HVS_OK)
				break;
			w = n;
		} else {
			c->bytes_written += (uint64_t)w;
			if (out_off + (uint64_t)w > c->file_end)
				c->file_end = out_off + (uint64_t)w;
		}
		in_off += (uint64_t)w;
		out_off += (uint64_t)w;
		len -= (uint64_t)w;
		s = hvs__cvt_progress(c, (uint64_t)w);
	}
	hvs__free(&c->alloc, buf);
	return s;
}

/* The range holding @gpa, or NULL. */
static size_t range_of(hvs_image *img, uint64_t gpa)
{
	size_t i;
	for (i = 0; i < img->nranges; i++)
		if (gpa >= img->ranges[i].gpa && gpa - img->ranges[i].gpa < img->ranges[i].size)
			return i;
	return SIZE_MAX;
}

hvs_status hvs__cvt_copy_direct(struct hvs__cvt *c, uint64_t gpa, uint64_t len, uint64_t out_off)
{
	hvs_image *img = c->img;
	hvs__fh in_fh = hvs__source_fh(&img->src);
	hvs_image_format f = hvs_image_get_format(img);
	uint64_t r0, done = 0;
	size_t ri;
	if (in_fh == HVS__FH_NONE || len == 0)
		return HVS_E_UNSUPPORTED;
	/* Extent backends: the range's bytes are at range_file + offset. */
	if ((f == HVS_FORMAT_ELF || f == HVS_FORMAT_RAW) && img->range_file) {
		ri = range_of(img, gpa);
		if (ri == SIZE_MAX)
			return HVS_E_UNSUPPORTED;
		return kcopy(c, in_fh, img->range_file[ri] + (gpa - img->ranges[ri].gpa), len,
			     out_off);
	}
	if (f != HVS_FORMAT_VMRS || hvs_image_gpa_to_raw(img, gpa, &r0) != HVS_OK)
		return HVS_E_UNSUPPORTED;
	/*
	 * .vmrs: runs of raw blocks whose values are the file's own go to the
	 * kernel; everything else (token streams, patched or missing blocks)
	 * goes through the block pipeline, slice by slice.
	 */
	while (done < len) {
		uint64_t r = r0 + done, b = r / HVS__RAMBLOCK_SIZE, in_blk = r % HVS__RAMBLOCK_SIZE;
		uint64_t n = HVS__RAMBLOCK_SIZE - in_blk, run_in, run_len;
		hvs__blk info;
		hvs_status s = hvs__ss_block_info(img, b, &info);
		if (n > len - done)
			n = len - done;
		if (s == HVS_OK && info.kind == HVS__BLK_RAW && info.file_off != UINT64_MAX) {
			/* Extend the run over blocks that follow in the file. */
			run_in = info.file_off + in_blk;
			run_len = n;
			while (done + run_len < len) {
				hvs__blk nx;
				uint64_t nb = b + 1 + (run_len - n) / HVS__RAMBLOCK_SIZE;
				uint64_t more = HVS__RAMBLOCK_SIZE;
				if (hvs__ss_block_info(img, nb, &nx) != HVS_OK || nx.kind != HVS__BLK_RAW ||
				    nx.file_off != run_in + run_len)
					break;
				if (more > len - done - run_len)
					more = len - done - run_len;
				run_len += more;
			}
			HVS_TRY(kcopy(c, in_fh, run_in, run_len, out_off + done));
			done += run_len;
			continue;
		}
		/* A run of other blocks through the pipeline (decoded on all
		 * cores; damage reported there), up to the next direct block. */
		run_len = n;
		while (done + run_len < len) {
			hvs__blk nx;
			uint64_t nb = (r + run_len) / HVS__RAMBLOCK_SIZE;
			uint64_t more = HVS__RAMBLOCK_SIZE;
			if (hvs__ss_block_info(img, nb, &nx) == HVS_OK && nx.kind == HVS__BLK_RAW &&
			    nx.file_off != UINT64_MAX)
				break;
			if (more > len - done - run_len)
				more = len - done - run_len;
			run_len += more;
		}
		{
			hvs__cvt_file_sink fs = { out_off + done, gpa + done };
			HVS_TRY(hvs__cvt_stream_impl(c, gpa + done, run_len, hvs__cvt_sink_file, &fs));
		}
		done += run_len;
	}
	return HVS_OK;
}
