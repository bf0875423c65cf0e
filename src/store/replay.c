/* SPDX-License-Identifier: MIT */
/*
 * Commit a pending HyperVStorage replay log into the file on disk
 * (hvs_store_apply_replay_log, the ApplyPendingSavedStateFileReplayLog of
 * Microsoft's API: api.md 2.1).  Log layout: format.md 2.3; crash-safety
 * argument: docs/format/storage-writing.md, "Applying a replay log".
 *
 * Order of work:
 *   1. open read-write, take an exclusive whole-file lock;
 *   2. validate the active header, the log header, every entry (CRC,
 *      bounds) and every entry's data CRC, writing nothing;
 *   3. copy each entry's data to its destination, fsync;
 *   4. rewrite the log header with count 0 and a new CRC, fsync.
 * Until step 4 the log stays valid and fully describes the new bytes, and
 * re-applying an entry is idempotent (it is a full copy, not a delta), so
 * a reader that replays pending entries sees the new state whatever part
 * of step 3 reached the disk.
 */
#include <string.h>

#include "store/format.h"
#include "store/writer_int.h"
#include "util/platform.h"
#include "util/util.h"

/* Real logs hold at most 145 entries (a 0x1000 header area); a cap keeps
 * the entry array bounded whatever MaximumNumberOfEntries says. */
#define APPLY_MAX_ENTRIES 65536u
/* Data is copied through a buffer of this size (memory stays bounded). */
#define APPLY_CHUNK_DEFAULT ((size_t)1 << 20)

/* A validated log entry. */
typedef struct apply_entry {
	uint64_t dest;
	uint64_t src;   /* absolute file offset of the logged data */
	uint32_t size;
} apply_entry;

typedef struct apply_ctx {
	hvs__alloc alloc;
	hvs__err err;
	hvs_open_reason reason; /* for hvs_open_opts.reason */
	hvs__fh fh;            /* read-write, locked (src/util/platform.h) */
	uint64_t file_size;
	uint64_t grow_limit;   /* file_size + log size: how far a replay may write */
	uint8_t *buf;
	size_t chunk;
	uint32_t max_writes;  /* test hook: stop after this many writes */
	uint32_t writes;
} apply_ctx;

/* Read exactly @len bytes at @off.  @what names the structure. */
static hvs_status rd(apply_ctx *c, uint64_t off, void *buf, size_t len,
		     const char *what)
{
	char why[256];
	size_t done = 0;
	int e = hvs__file_pread(c->fh, buf, len, off, &done);
	if (e)
		return hvs__err_set(&c->err, HVS_E_IO,
				    "%s at 0x%" PRIx64 ": read: %s", what,
				    off, hvs__os_strerror(e, why, sizeof why));
	if (done < len)
		return HVS_CORRUPT(&c->err,
				   "%s at 0x%" PRIx64 ": file ends after %zu of %zu bytes",
				   what, off, done, len);
	return HVS_OK;
}

/* Write exactly @len bytes at @off; counts one step for the test hook.
 * *@stop is set (and nothing written) once the hook's budget is spent. */
static hvs_status wr(apply_ctx *c, uint64_t off, const void *buf, size_t len,
		     int *stop)
{
	char why[256];
	int e;
	if (c->writes >= c->max_writes) {
		*stop = 1;
		return HVS_OK;
	}
	c->writes++;
	e = hvs__file_pwrite(c->fh, buf, len, off);
	if (e)
		return hvs__err_set(&c->err, HVS_E_IO,
				    "write of %zu bytes at 0x%" PRIx64 ": %s", len,
				    off, hvs__os_strerror(e, why, sizeof why));
	return HVS_OK;
}

/* Flush data and metadata to the device (the ordering point of the
 * crash-safety argument). */
static hvs_status sync_file(apply_ctx *c)
{
	char why[256];
	int e = hvs__file_sync(c->fh);
	if (e)
		return hvs__err_set(&c->err, HVS_E_IO, "fsync: %s",
				    hvs__os_strerror(e, why, sizeof why));
	return HVS_OK;
}

/* A decoded header copy (format.md 2.2). */
typedef struct fhdr {
	int ok;
	uint16_t seq;
	uint32_t version;
	uint64_t log_off, log_size;
	uint32_t log_hsize;
} fhdr;

/*
 * Pick the active header with the reader's rules (format.md 2.2): a copy
 * counts when its signature and CRC are right; of two valid copies the
 * newer sequence (mod 2^16) wins; equal sequences are refused, as
 * Microsoft's loader does (openvmm).
 */
static hvs_status select_header(apply_ctx *c, fhdr *out)
{
	static const uint64_t where[2] = { HVS_FH_COPY0_OFFSET, HVS_FH_COPY1_OFFSET };
	fhdr h[2];
	uint8_t p[HVS_FH_SIZE];
	int i, sig = 0;

	memset(h, 0, sizeof h);
	for (i = 0; i < 2; i++) {
		if (!hvs__in_bounds(where[i], HVS_FH_SIZE, c->file_size))
			continue;
		HVS_TRY(rd(c, where[i], p, sizeof p, "file header"));
		if (hvs__le32(p + HVS_FH_OFF_SIGNATURE) != HVS_FH_SIGNATURE)
			continue;
		sig = 1;
		if (hvs__le32(p + HVS_FH_OFF_CHECKSUM) !=
		    hvs__crc32_skip(p, HVS_FH_SIZE, HVS_FH_OFF_CHECKSUM))
			continue;
		h[i].ok = 1;
		h[i].seq = hvs__le16(p + HVS_FH_OFF_SEQUENCE);
		h[i].version = hvs__le32(p + HVS_FH_OFF_FORMAT_VERSION);
		h[i].log_off = hvs__le64(p + HVS_FH_OFF_LOG_OFFSET);
		h[i].log_size = hvs__le64(p + HVS_FH_OFF_LOG_SIZE);
		h[i].log_hsize = hvs__le32(p + HVS_FH_OFF_LOG_HEADER_SIZE);
	}
	if (!sig) {
		c->reason = HVS_REASON_NOT_RECOGNISED;
		return hvs__err_set(&c->err, HVS_E_UNSUPPORTED,
				    "not a HyperVStorage container (no signature "
				    "0x%08X at 0x0 or 0x1000)", HVS_FH_SIGNATURE);
	}
	if (!h[0].ok && !h[1].ok)
		return HVS_CORRUPT(&c->err, "file header: neither copy has a "
				   "valid checksum");
	if (h[0].ok && h[1].ok) {
		if (h[0].seq == h[1].seq)
			return HVS_CORRUPT(&c->err, "file header: both copies have "
					   "sequence %u", (unsigned)h[0].seq);
		i = (h[1].seq != h[0].seq &&
		     (uint16_t)(h[1].seq - h[0].seq) < 0x8000u) ? 1 : 0;
	} else {
		i = h[0].ok ? 0 : 1;
	}
	*out = h[i];
	switch (out->version) {
	case HVS_FMT_1_0: case HVS_FMT_1_1: case HVS_FMT_2_0:
	case HVS_FMT_3_0: case HVS_FMT_3_1: case HVS_FMT_4_0:
		break;
	default:
		c->reason = HVS_REASON_UNSUPPORTED_VERSION;
		return hvs__err_set(&c->err, HVS_E_UNSUPPORTED,
				    "HyperVStorage format version 0x%04X is not "
				    "supported", out->version);
	}
	return HVS_OK;
}

/*
 * Validate entry @i (at @eoff, bytes @e) against the log @h and the file,
 * then its data CRC, reading the data in chunks.  Fills @out.
 */
static hvs_status check_entry(apply_ctx *c, const fhdr *h, uint32_t i,
			      uint64_t eoff, const uint8_t *e, apply_entry *out)
{
	uint64_t dest = hvs__le64(e + HVS_LOGE_OFF_DEST);
	uint32_t size = hvs__le32(e + HVS_LOGE_OFF_SIZE);
	uint64_t loff = hvs__le64(e + HVS_LOGE_OFF_LOGOFF);
	uint32_t crc = hvs__le32(e + HVS_LOGE_OFF_CHECKSUM);
	uint32_t dcrc = hvs__le32(e + HVS_LOGE_OFF_DATA_CRC);
	uint32_t got = hvs__crc32_skip(e, HVS_LOGE_SIZE, HVS_LOGE_OFF_CHECKSUM);
	uint64_t done;

	if (crc != got)
		return HVS_CORRUPT(&c->err, "replay log entry %u at 0x%" PRIx64
				   ": checksum 0x%08X, computed 0x%08X", i, eoff,
				   crc, got);
	/* The data lies in the log's data area, after its header block. */
	if (size == 0 || loff < h->log_hsize ||
	    !hvs__in_bounds(loff, size, h->log_size))
		return HVS_CORRUPT(&c->err, "replay log entry %u at 0x%" PRIx64
				   ": data 0x%" PRIx64 "+0x%X outside the log data "
				   "area 0x%X..0x%" PRIx64, i, eoff, loff, size,
				   h->log_hsize, h->log_size);
	/*
	 * The destination may extend the file, by no more than the log holds
	 * (the reader's rule, store.c, so that every file the reader replays
	 * can also be applied), and stays off the log area: the log must stay
	 * intact until its header is cleared (crash safety).
	 */
	if (!hvs__in_bounds(dest, size, c->grow_limit))
		return HVS_CORRUPT(&c->err, "replay log entry %u at 0x%" PRIx64
				   ": destination 0x%" PRIx64 "+0x%X beyond the end "
				   "of the file (0x%" PRIx64 ") plus the log size",
				   i, eoff, dest, size, c->file_size);
	if (dest < h->log_off + h->log_size && h->log_off < dest + size)
		return HVS_CORRUPT(&c->err, "replay log entry %u at 0x%" PRIx64
				   ": destination 0x%" PRIx64 "+0x%X overlaps the "
				   "log area 0x%" PRIx64 "+0x%" PRIx64, i, eoff, dest,
				   size, h->log_off, h->log_size);
	out->dest = dest;
	out->src = h->log_off + loff;
	out->size = size;
	/* Data CRC, streamed so that memory stays bounded. */
	got = 0;
	for (done = 0; done < size;) {
		size_t n = (size_t)HVS__MIN((uint64_t)c->chunk, size - done);
		HVS_TRY(rd(c, out->src + done, c->buf, n, "replay log data"));
		got = hvs__crc32(got, c->buf, n);
		done += n;
	}
	if (got != dcrc)
		return HVS_CORRUPT(&c->err, "replay log entry %u: data at 0x%" PRIx64
				   " checksum 0x%08X, computed 0x%08X", i, out->src,
				   dcrc, got);
	return HVS_OK;
}

/* Validate everything, then apply.  *@applied = entries committed. */
static hvs_status apply(apply_ctx *c, const char *path, uint32_t *applied)
{
	char why[256];
	fhdr h;
	uint8_t lh[HVS_LOG_HEADER_SIZE];
	uint8_t *raw = NULL;
	apply_entry *ents = NULL;
	uint32_t count, max, i;
	hvs_status s = HVS_OK;
	int stop = 0, e;

	memset(&h, 0, sizeof h);
	/* Exclusive, like the DLL: nobody else may write (or apply) while
	 * the log is replayed (a POSIX record lock on the whole file; on
	 * Windows a share mode that lets others read only). */
	e = hvs__file_open_rw_locked(&c->fh, path, &c->file_size);
	if (e && hvs__os_err_locked(e))
		return hvs__err_set(&c->err, HVS_E_IO, "%s: locked by another process", path);
	if (e)
		return hvs__err_set(&c->err, HVS_E_IO, "%s: %s", path,
				    hvs__os_strerror(e, why, sizeof why));
	HVS_TRY(select_header(c, &h));

	/*
	 * Log area and header (format.md 2.3).  The area may run past the end
	 * of the file: Hyper-V leaves files that end inside it (test.VMRS ends
	 * at 0xB024 in a log area 0x8000..0xC000).  The header must be there;
	 * entries and data are read with bounds checks of their own.
	 */
	if (h.log_size == 0 || !hvs__in_bounds(h.log_off, HVS_LOG_HEADER_SIZE, c->file_size) ||
	    hvs__add_u64(h.log_off, h.log_size, &c->grow_limit))
		return HVS_CORRUPT(&c->err, "replay log at 0x%" PRIx64 "+0x%" PRIx64
				   ": header outside the file (0x%" PRIx64 " bytes)",
				   h.log_off, h.log_size, c->file_size);
	if (hvs__add_u64(c->file_size, h.log_size, &c->grow_limit))
		c->grow_limit = UINT64_MAX;
	if (h.log_hsize < HVS_LOG_HEADER_SIZE || h.log_hsize > h.log_size)
		return HVS_CORRUPT(&c->err, "replay log at 0x%" PRIx64 ": header "
				   "size 0x%X outside 0x22..0x%" PRIx64, h.log_off,
				   h.log_hsize, h.log_size);
	HVS_TRY(rd(c, h.log_off, lh, sizeof lh, "replay log header"));
	if (hvs__le32(lh + HVS_LOG_OFF_SIGNATURE) != HVS_LOG_SIGNATURE)
		return HVS_CORRUPT(&c->err, "replay log at 0x%" PRIx64 ": signature "
				   "0x%08X, expected 0x%08X", h.log_off,
				   hvs__le32(lh + HVS_LOG_OFF_SIGNATURE),
				   HVS_LOG_SIGNATURE);
	if (hvs__le32(lh + HVS_LOG_OFF_CHECKSUM) !=
	    hvs__crc32_skip(lh, sizeof lh, HVS_LOG_OFF_CHECKSUM))
		return HVS_CORRUPT(&c->err, "replay log at 0x%" PRIx64 ": checksum "
				   "0x%08X, computed 0x%08X", h.log_off,
				   hvs__le32(lh + HVS_LOG_OFF_CHECKSUM),
				   hvs__crc32_skip(lh, sizeof lh, HVS_LOG_OFF_CHECKSUM));
	count = hvs__le32(lh + HVS_LOG_OFF_COUNT);
	max = hvs__le32(lh + HVS_LOG_OFF_MAX_ENTRIES);
	if (max > (h.log_hsize - HVS_LOG_HEADER_SIZE) / HVS_LOGE_SIZE)
		return HVS_CORRUPT(&c->err, "replay log at 0x%" PRIx64
				   ": MaximumNumberOfEntries %u does not fit the "
				   "header size 0x%X", h.log_off, max, h.log_hsize);
	if (count > max)
		return HVS_CORRUPT(&c->err, "replay log at 0x%" PRIx64 ": %u pending "
				   "entries, maximum %u", h.log_off, count, max);
	if (count == 0)
		return HVS_OK; /* clean: nothing is written at all */
	if (count > APPLY_MAX_ENTRIES)
		return hvs__err_set(&c->err, HVS_E_UNSUPPORTED,
				    "replay log: %u pending entries, more than the "
				    "%u supported", count, APPLY_MAX_ENTRIES);

	raw = hvs__malloc(&c->alloc, (size_t)count * HVS_LOGE_SIZE);
	ents = hvs__calloc(&c->alloc, count, sizeof *ents);
	if (!raw || !ents) {
		s = hvs__err_set(&c->err, HVS_E_NOMEM, "replay log: out of memory");
		goto out;
	}
	s = rd(c, h.log_off + HVS_LOG_HEADER_SIZE, raw, (size_t)count * HVS_LOGE_SIZE,
	       "replay log entries");
	/* Phase 1: check every entry before the first byte is written. */
	for (i = 0; s == HVS_OK && i < count; i++)
		s = check_entry(c, &h, i,
				h.log_off + HVS_LOG_HEADER_SIZE + (uint64_t)i * HVS_LOGE_SIZE,
				raw + (size_t)i * HVS_LOGE_SIZE, &ents[i]);
	if (s != HVS_OK)
		goto out;

	/* Phase 2: copy the logged data to the destinations, in order
	 * (a later entry may overwrite an earlier one's bytes). */
	for (i = 0; i < count && !stop; i++) {
		uint64_t done;
		for (done = 0; done < ents[i].size && !stop;) {
			size_t n = (size_t)HVS__MIN((uint64_t)c->chunk,
						    ents[i].size - done);
			s = rd(c, ents[i].src + done, c->buf, n, "replay log data");
			if (s == HVS_OK)
				s = wr(c, ents[i].dest + done, c->buf, n, &stop);
			if (s != HVS_OK)
				goto out;
			done += n;
		}
	}
	if (stop)
		goto out;
	/* The new bytes are durable before the log stops describing them. */
	s = sync_file(c);
	if (s != HVS_OK)
		goto out;
	/* Phase 3: mark the log empty.  34 bytes inside one sector. */
	hvs__put_le32(lh + HVS_LOG_OFF_COUNT, 0);
	hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, 0);
	hvs__put_le32(lh + HVS_LOG_OFF_CHECKSUM, hvs__crc32(0, lh, sizeof lh));
	s = wr(c, h.log_off, lh, sizeof lh, &stop);
	if (s == HVS_OK && !stop)
		s = sync_file(c);
	if (s == HVS_OK && !stop)
		*applied = count;
out:
	hvs__free(&c->alloc, raw);
	hvs__free(&c->alloc, ents);
	return s;
}


hvs_status hvs__store_apply_replay_log_steps(const char *path,
					     const hvs_open_opts *opts,
					     uint32_t *applied,
					     uint32_t max_writes, size_t chunk,
					     uint32_t *writes_done)
{
	apply_ctx c;
	uint32_t n = 0;
	hvs_status s;

	memset(&c, 0, sizeof c);
	c.fh = HVS__FH_NONE;
	hvs__alloc_init(&c.alloc, opts ? opts->alloc : NULL);
	c.chunk = chunk ? chunk : APPLY_CHUNK_DEFAULT;
	c.max_writes = max_writes;
	if (applied)
		*applied = 0;
	if (writes_done)
		*writes_done = 0;
	if (!path) {
		s = hvs__err_set(&c.err, HVS_E_INVALID, "apply replay log: NULL path");
		goto out;
	}
	c.buf = hvs__malloc(&c.alloc, c.chunk);
	if (!c.buf) {
		s = hvs__err_set(&c.err, HVS_E_NOMEM, "apply replay log: out of memory");
		goto out;
	}
	s = apply(&c, path, &n);
	hvs__file_close(c.fh); /* also drops the lock */
	hvs__free(&c.alloc, c.buf);
	if (applied)
		*applied = n;
	if (writes_done)
		*writes_done = c.writes;
out:
	if (opts && opts->reason)
		*opts->reason = s == HVS_OK ? HVS_REASON_NONE : c.reason;
	if (s != HVS_OK && opts && opts->errbuf) {
		hvs__err_prefix(&c.err, s, "apply replay log");
		hvs__err_copyout(&c.err, opts->errbuf, opts->errbuf_size);
	}
	return s;
}

/* The public entry: no interruption hook, 1 MiB copy pieces. */
hvs_status hvs_store_apply_replay_log(const char *path, const hvs_open_opts *opts,
				      uint32_t *applied)
{
	return hvs__store_apply_replay_log_steps(path, opts, applied, UINT32_MAX,
						 0, NULL);
}
