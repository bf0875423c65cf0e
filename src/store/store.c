/* SPDX-License-Identifier: MIT */
/*
 * HyperVStorage container reader, part 1: the file headers, the replay
 * log (applied to an in-memory overlay, never to the file), the object
 * table chain and the key-table headers.  Key entries and the tree are in
 * store_keys.c.  Format: docs/format/storage.md (from format.md 2.1-2.5
 * and 2.9); every structure is decoded field by field with the le helpers
 * and every offset and size is checked against the view before use.
 */
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "store/store_int.h"
#include "util/source.h"

/* ------------------------------------------------------------ problems */

/* Route one problem to the sink (lenient) or the error message (strict,
 * fatal ones only); see store_int.h for the levels. */
hvs_status hvs__store_problem(hvs_store *st, int level, uint64_t off,
			      const char *fmt, ...)
{
	char msg[HVS_ERRMSG_MAX];
	va_list ap;

	/* Strict mode drops the non-fatal ones without formatting them. */
	if (!st->problem && level != HVS__P_FATAL)
		return HVS_OK;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (st->problem) {
		st->problem(st->problem_ud, level == HVS__P_NOTE ? HVS_OK : HVS_E_CORRUPT,
			    off, msg);
		return HVS_OK;
	}
	return HVS_CORRUPT(&st->err, "%s", msg);
}

/* ---------------------------------------------------------------- view */

/*
 * Every read of file structures goes through here, so a replayed log is
 * seen everywhere: source bytes first, zeros past its end (a replay may
 * extend the file), then the overlay entries on top.
 */
hvs_status hvs__store_read(hvs_store *st, uint64_t off, void *buf, size_t len,
			   const char *what)
{
	uint8_t *p = buf;
	size_t i, from_src = 0, done = 0;
	hvs_status s;

	if (!hvs__in_bounds(off, len, st->view_size))
		return HVS_CORRUPT(&st->err,
				   "%s: bytes 0x%" PRIx64 "+0x%zx past the end of the file (0x%" PRIx64 ")",
				   what, off, len, st->view_size);
	if (len == 0)
		return HVS_OK;
	/* The part the source holds; the rest exists only through the overlay. */
	if (off < st->src_size)
		from_src = (size_t)HVS__MIN((uint64_t)len, st->src_size - off);
	if (from_src) {
		s = st->src.read_at(st->src.ud, off, p, from_src, &done);
		if (s != HVS_OK || done != from_src) {
			if (s == HVS_E_NODATA || s == HVS_OK)
				return HVS_CORRUPT(&st->err,
						   "%s: short read at 0x%" PRIx64 " (source shrank?)",
						   what, off + done);
			return hvs__err_set(&st->err, HVS_E_IO,
					    "%s: read of 0x%zx bytes at 0x%" PRIx64 " failed",
					    what, from_src, off);
		}
	}
	if (from_src < len)
		memset(p + from_src, 0, len - from_src);
	/* Replay entries in log order: a later entry wins over an earlier one. */
	for (i = 0; i < st->novl; i++) {
		const hvs__overlay *o = &st->ovl[i];
		uint64_t lo = HVS__MAX(off, o->dest);
		uint64_t hi = HVS__MIN(off + len, o->dest + o->len);
		if (lo < hi)
			memcpy(p + (lo - off), o->data + (lo - o->dest), (size_t)(hi - lo));
	}
	return HVS_OK;
}

/* ------------------------------------------------------------- headers */

/* Decode the 46-byte file header (format.md 2.2) and compute its CRC. */
void hvs__store_parse_fheader(hvs__fheader *out, const uint8_t p[HVS_FH_SIZE])
{
	out->signature = hvs__le32(p + HVS_FH_OFF_SIGNATURE);
	out->checksum = hvs__le32(p + HVS_FH_OFF_CHECKSUM);
	out->computed = hvs__crc32_skip(p, HVS_FH_SIZE, HVS_FH_OFF_CHECKSUM);
	out->sequence = hvs__le16(p + HVS_FH_OFF_SEQUENCE);
	out->format_version = hvs__le32(p + HVS_FH_OFF_FORMAT_VERSION);
	out->data_version = hvs__le32(p + HVS_FH_OFF_DATA_VERSION);
	out->flags = hvs__le32(p + HVS_FH_OFF_FLAGS);
	out->alignment = hvs__le32(p + HVS_FH_OFF_ALIGNMENT);
	out->log_offset = hvs__le64(p + HVS_FH_OFF_LOG_OFFSET);
	out->log_size = hvs__le64(p + HVS_FH_OFF_LOG_SIZE);
	out->log_header_size = hvs__le32(p + HVS_FH_OFF_LOG_HEADER_SIZE);
}

/* Header and key-table sequences are u16 counters that may wrap. */
int hvs__store_seq_newer(uint16_t a, uint16_t b)
{
	/* Serial-number arithmetic (RFC 1982 style): a wraps past b. */
	return a != b && (uint16_t)(a - b) < 0x8000u;
}

/* The six FormatVersions openvmm names (format.md 2.2); only 4.0 is
 * observed, the others change nothing the reader depends on. */
static int version_known(uint32_t v)
{
	return v == HVS_FMT_1_0 || v == HVS_FMT_1_1 || v == HVS_FMT_2_0 ||
	       v == HVS_FMT_3_0 || v == HVS_FMT_3_1 || v == HVS_FMT_4_0;
}

/*
 * Read both header copies and pick the current one (format.md 2.2): a copy
 * counts when its signature and CRC are right; of two, the newer sequence
 * wins.  One damaged copy is what a torn header write leaves behind, so it
 * is reported but not fatal; both damaged is.
 */
static hvs_status select_header(hvs_store *st, hvs__fheader *out, int quiet)
{
	static const uint64_t where[2] = { HVS_FH_COPY0_OFFSET, HVS_FH_COPY1_OFFSET };
	hvs__fheader h[2];
	int present[2] = { 0, 0 }, sig[2] = { 0, 0 }, ok[2] = { 0, 0 };
	uint8_t buf[HVS_FH_SIZE];
	int i, pick;

	for (i = 0; i < 2; i++) {
		if (!hvs__in_bounds(where[i], HVS_FH_SIZE, st->view_size))
			continue;
		HVS_TRY(hvs__store_read(st, where[i], buf, sizeof buf, "file header"));
		hvs__store_parse_fheader(&h[i], buf);
		present[i] = 1;
		sig[i] = h[i].signature == HVS_FH_SIGNATURE;
		ok[i] = sig[i] && h[i].checksum == h[i].computed;
	}
	if (!sig[0] && !sig[1]) {
		st->reason = HVS_REASON_NOT_RECOGNISED;
		return hvs__err_set(&st->err, HVS_E_UNSUPPORTED,
				    "not a HyperVStorage container (no signature 0x%08X at 0x0 or 0x1000)",
				    HVS_FH_SIGNATURE);
	}
	if (!ok[0] && !ok[1]) {
		/* Name the first copy that has the signature. */
		i = sig[0] ? 0 : 1;
		return HVS_CORRUPT(&st->err,
				   "file header: no valid copy (copy %d at 0x%" PRIx64
				   ": checksum 0x%08X, computed 0x%08X)",
				   i, where[i], h[i].checksum, h[i].computed);
	}
	for (i = 0; i < 2 && !quiet; i++) {
		if (ok[i])
			continue;
		if (!present[i])
			HVS_TRY(hvs__store_problem(st, HVS__P_DAMAGE, where[i],
						   "file header copy %d at 0x%" PRIx64 ": missing (file too short)",
						   i, where[i]));
		else if (!sig[i])
			HVS_TRY(hvs__store_problem(st, HVS__P_DAMAGE, where[i],
						   "file header copy %d at 0x%" PRIx64 ": signature 0x%08X, expected 0x%08X",
						   i, where[i], h[i].signature, HVS_FH_SIGNATURE));
		else
			HVS_TRY(hvs__store_problem(st, HVS__P_DAMAGE, where[i],
						   "file header copy %d at 0x%" PRIx64 ": checksum 0x%08X, computed 0x%08X",
						   i, where[i], h[i].checksum, h[i].computed));
	}
	if (ok[0] && ok[1]) {
		if (h[0].sequence == h[1].sequence)
			/* openvmm: Microsoft's loader rejects equal sequences. */
			HVS_TRY(hvs__store_problem(st, HVS__P_FATAL, 0,
						   "file header: both copies have sequence %u",
						   (unsigned)h[0].sequence));
		pick = hvs__store_seq_newer(h[1].sequence, h[0].sequence) ? 1 : 0;
	} else {
		pick = ok[0] ? 0 : 1;
	}
	*out = h[pick];
	st->info.active_header = (uint32_t)pick;
	st->info.header_sequence = h[pick].sequence;
	st->info.format_version = h[pick].format_version;
	st->info.data_version = h[pick].data_version;
	st->info.flags = h[pick].flags;
	st->info.alignment = h[pick].alignment;
	st->info.replay_log_offset = h[pick].log_offset;
	st->info.replay_log_size = h[pick].log_size;
	if (!version_known(h[pick].format_version)) {
		st->reason = HVS_REASON_UNSUPPORTED_VERSION;
		return hvs__err_set(&st->err, HVS_E_UNSUPPORTED,
				    "HyperVStorage format version %u.%u (0x%04X) is not supported "
				    "(known: 1.0, 1.1, 2.0, 3.0, 3.1, 4.0)",
				    (unsigned)(h[pick].format_version >> 8),
				    (unsigned)(h[pick].format_version & 0xFF),
				    (unsigned)h[pick].format_version);
	}
	/* The reader never uses the alignment; an odd one is only reported. */
	if (!quiet && (h[pick].alignment < HVS_ALIGN_MIN || h[pick].alignment > HVS_ALIGN_MAX ||
	    (h[pick].alignment & (h[pick].alignment - 1)) != 0))
		HVS_TRY(hvs__store_problem(st, HVS__P_NOTE, where[pick] + HVS_FH_OFF_ALIGNMENT,
					   "file header: DataAlignmentInBytes 0x%X outside 0x1000..0x10000",
					   h[pick].alignment));
	return HVS_OK;
}

/* ---------------------------------------------------------- replay log */

/* Decode the 34-byte replay-log header (format.md 2.3). */
void hvs__store_parse_logheader(hvs__logheader *out,
				const uint8_t p[HVS_LOG_HEADER_SIZE])
{
	out->signature = hvs__le32(p + HVS_LOG_OFF_SIGNATURE);
	out->checksum = hvs__le32(p + HVS_LOG_OFF_CHECKSUM);
	out->computed = hvs__crc32_skip(p, HVS_LOG_HEADER_SIZE, HVS_LOG_OFF_CHECKSUM);
	out->count = hvs__le32(p + HVS_LOG_OFF_COUNT);
	out->max_entries = hvs__le32(p + HVS_LOG_OFF_MAX_ENTRIES);
	out->ct_enabled = p[HVS_LOG_OFF_CT_ENABLED];
	out->ct_offset = hvs__le64(p + HVS_LOG_OFF_CT_OFFSET);
	out->ct_size = hvs__le32(p + HVS_LOG_OFF_CT_SIZE);
	out->ct_used = hvs__le32(p + HVS_LOG_OFF_CT_USED);
}

/* Decode one 28-byte log entry; field order from the samples' stale
 * entries, which contradicts openvmm's never-exercised struct. */
void hvs__store_parse_logentry(hvs__logentry *out, const uint8_t p[HVS_LOGE_SIZE])
{
	out->dest = hvs__le64(p + HVS_LOGE_OFF_DEST);
	out->size = hvs__le32(p + HVS_LOGE_OFF_SIZE);
	out->log_off = hvs__le64(p + HVS_LOGE_OFF_LOGOFF);
	out->checksum = hvs__le32(p + HVS_LOGE_OFF_CHECKSUM);
	out->computed = hvs__crc32_skip(p, HVS_LOGE_SIZE, HVS_LOGE_OFF_CHECKSUM);
	out->data_crc = hvs__le32(p + HVS_LOGE_OFF_DATA_CRC);
}

/* Release an overlay list and its data buffers. */
static void free_overlay(hvs_store *st, hvs__overlay *o, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		hvs__free(&st->alloc, o[i].data);
	hvs__free(&st->alloc, o);
}

/*
 * Validate the pending entries and load their data (format.md 2.3).  All
 * or nothing: the overlay is installed only when every entry and every
 * data CRC verifies, so the view is either the old or the new state.
 * *bad is set when an entry is rejected (then the file is dirty).
 */
static hvs_status load_log_entries(hvs_store *st, const hvs__fheader *h,
				   uint32_t count, int *bad)
{
	uint64_t base = h->log_offset, total = 0, grow_limit;
	hvs__overlay *ovl = NULL;
	uint8_t e[HVS_LOGE_SIZE];
	size_t n = 0;
	uint32_t i;
	hvs_status s = HVS_OK;

	/* Pessimistic until every entry has verified. */
	*bad = 1;
	/* A replayed write may extend the file, but by no more than the log holds. */
	if (hvs__add_u64(st->src_size, h->log_size, &grow_limit))
		grow_limit = UINT64_MAX;
	ovl = hvs__calloc(&st->alloc, count, sizeof *ovl);
	if (!ovl)
		return hvs__err_set(&st->err, HVS_E_NOMEM, "replay log: out of memory");
	for (i = 0; i < count; i++) {
		hvs__logentry le;
		uint64_t eoff = base + HVS_LOG_HEADER_SIZE + (uint64_t)i * HVS_LOGE_SIZE;
		uint64_t end, doff;

		if (!hvs__in_bounds(eoff, sizeof e, st->view_size)) {
			s = hvs__store_problem(st, HVS__P_FATAL, eoff,
					       "replay log entry %u at 0x%" PRIx64 ": past the end of the file",
					       i, eoff);
			goto out;
		}
		s = hvs__store_read(st, eoff, e, sizeof e, "replay log entry");
		if (s != HVS_OK)
			goto out;
		hvs__store_parse_logentry(&le, e);
		if (le.checksum != le.computed) {
			s = hvs__store_problem(st, HVS__P_FATAL, eoff,
					       "replay log entry %u at 0x%" PRIx64 ": checksum 0x%08X, computed 0x%08X",
					       i, eoff, le.checksum, le.computed);
			goto out;
		}
		/* Data must lie in the log's data area, after its header block
		 * (format.md 2.3: data offsets are relative to the log start). */
		if (le.size == 0 || le.log_off < h->log_header_size ||
		    !hvs__in_bounds(le.log_off, le.size, h->log_size)) {
			s = hvs__store_problem(st, HVS__P_FATAL, eoff,
					       "replay log entry %u at 0x%" PRIx64 ": data 0x%" PRIx64 "+0x%X outside the log data area 0x%X..0x%" PRIx64,
					       i, eoff, le.log_off, le.size, h->log_header_size, h->log_size);
			goto out;
		}
		if (hvs__add_u64(base, le.log_off, &doff) ||
		    !hvs__in_bounds(doff, le.size, st->view_size)) {
			s = hvs__store_problem(st, HVS__P_FATAL, eoff,
					       "replay log entry %u at 0x%" PRIx64 ": data 0x%" PRIx64 "+0x%X past the end of the file",
					       i, eoff, le.log_off, le.size);
			goto out;
		}
		if (hvs__add_u64(le.dest, le.size, &end) || end > grow_limit) {
			s = hvs__store_problem(st, HVS__P_FATAL, eoff,
					       "replay log entry %u at 0x%" PRIx64 ": destination 0x%" PRIx64 "+0x%X beyond the file",
					       i, eoff, le.dest, le.size);
			goto out;
		}
		/* Bound the overlay's memory by the log size (no entry's data
		 * may be counted twice towards a large allocation). */
		total += le.size;
		if (total > h->log_size) {
			s = hvs__store_problem(st, HVS__P_FATAL, eoff,
					       "replay log: entries hold 0x%" PRIx64 " bytes, more than the log size 0x%" PRIx64,
					       total, h->log_size);
			goto out;
		}
		ovl[n].data = hvs__malloc(&st->alloc, le.size);
		if (!ovl[n].data) {
			s = hvs__err_set(&st->err, HVS_E_NOMEM, "replay log: out of memory");
			goto out;
		}
		ovl[n].dest = le.dest;
		ovl[n].len = le.size;
		n++;
		s = hvs__store_read(st, doff, ovl[n - 1].data, le.size, "replay log data");
		if (s != HVS_OK)
			goto out;
		if (hvs__crc32(0, ovl[n - 1].data, le.size) != le.data_crc) {
			s = hvs__store_problem(st, HVS__P_FATAL, doff,
					       "replay log entry %u: data at 0x%" PRIx64 " checksum 0x%08X, computed 0x%08X",
					       i, doff, le.data_crc,
					       hvs__crc32(0, ovl[n - 1].data, le.size));
			goto out;
		}
	}
	/* Install: the view may grow to cover writes past the old end. */
	for (i = 0; i < n; i++)
		st->view_size = HVS__MAX(st->view_size, ovl[i].dest + ovl[i].len);
	st->ovl = ovl;
	st->novl = n;
	ovl = NULL;
	*bad = 0;
out:
	if (ovl)
		free_overlay(st, ovl, n);
	return s;
}

/* Parse the replay log header and apply pending entries (format.md 2.3). */
static hvs_status replay_log(hvs_store *st, const hvs__fheader *h, int *applied)
{
	uint8_t buf[HVS_LOG_HEADER_SIZE];
	hvs__logheader lh;
	uint64_t max_bytes;
	int bad;

	*applied = 0;
	if (h->log_offset == 0 && h->log_size == 0)
		return hvs__store_problem(st, HVS__P_NOTE, HVS_FH_OFF_LOG_OFFSET,
					  "file header: no replay log");
	/* The log area may run past the end of the file: test.VMRS ends at
	 * 0xB024 inside its log 0x8000..0xC000 (storage.md, errata).  Only the
	 * bytes actually read must exist. */
	if (!hvs__in_bounds(h->log_offset, HVS_LOG_HEADER_SIZE, st->view_size))
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset,
					  "replay log at 0x%" PRIx64 ": header past the end of the file (0x%" PRIx64 ")",
					  h->log_offset, st->view_size);
	if (h->log_header_size < HVS_LOG_HEADER_SIZE || h->log_header_size > h->log_size)
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset,
					  "replay log at 0x%" PRIx64 ": header size 0x%X outside 0x22..0x%" PRIx64,
					  h->log_offset, h->log_header_size, h->log_size);
	HVS_TRY(hvs__store_read(st, h->log_offset, buf, sizeof buf, "replay log header"));
	hvs__store_parse_logheader(&lh, buf);
	if (lh.signature != HVS_LOG_SIGNATURE)
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset,
					  "replay log at 0x%" PRIx64 ": signature 0x%08X, expected 0x%08X",
					  h->log_offset, lh.signature, HVS_LOG_SIGNATURE);
	if (lh.checksum != lh.computed)
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset,
					  "replay log at 0x%" PRIx64 ": checksum 0x%08X, computed 0x%08X",
					  h->log_offset, lh.checksum, lh.computed);
	/* Entries live in the header block: 34 + max * 28 <= header size. */
	max_bytes = HVS_LOG_HEADER_SIZE + (uint64_t)lh.max_entries * HVS_LOGE_SIZE;
	if (lh.max_entries == 0 || max_bytes > h->log_header_size)
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset + HVS_LOG_OFF_MAX_ENTRIES,
					  "replay log at 0x%" PRIx64 ": MaximumNumberOfEntries %u does not fit the header size 0x%X",
					  h->log_offset, lh.max_entries, h->log_header_size);
	if (lh.count > lh.max_entries)
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset + HVS_LOG_OFF_COUNT,
					  "replay log at 0x%" PRIx64 ": %u pending entries, maximum %u",
					  h->log_offset, lh.count, lh.max_entries);
	st->info.replay_pending = lh.count;
	if (lh.count == 0)
		return HVS_OK;
	/* A pending log means the last commit was interrupted: the file is
	 * "dirty" (format.md 6), worth a note even when all is well. */
	if (st->flags & HVS_OPEN_NO_REPLAY)
		return hvs__store_problem(st, HVS__P_NOTE, h->log_offset,
					  "replay log at 0x%" PRIx64 ": %u pending entries not applied (HVS_OPEN_NO_REPLAY)",
					  h->log_offset, lh.count);
	/* Before allocating per entry: the entries must exist in the file,
	 * and their number stays far below anything real (145 in 0x1000). */
	if (lh.count > HVS__STORE_MAX_LOG_ENTRIES ||
	    !hvs__in_bounds(h->log_offset, HVS_LOG_HEADER_SIZE + (uint64_t)lh.count * HVS_LOGE_SIZE,
			    st->view_size))
		return hvs__store_problem(st, HVS__P_FATAL, h->log_offset + HVS_LOG_OFF_COUNT,
					  "replay log at 0x%" PRIx64 ": %u pending entries run past the end of the file or the limit %u",
					  h->log_offset, lh.count, HVS__STORE_MAX_LOG_ENTRIES);
	HVS_TRY(load_log_entries(st, h, lh.count, &bad));
	if (bad)
		return HVS_OK; /* lenient: reported, the old state stays visible */
	st->info.replay_applied = lh.count;
	*applied = 1;
	return hvs__store_problem(st, HVS__P_NOTE, h->log_offset,
				  "replay log at 0x%" PRIx64 ": %u pending entries applied in memory (the file itself is unchanged)",
				  h->log_offset, lh.count);
}

/* -------------------------------------------------------- object tables */

/* Open-addressing set of visited table offsets (chain-loop detection). */
typedef struct offset_set {
	uint64_t *slot; /* 0 = empty; offsets are >= 0x2000 so never 0 */
	size_t cap, n;
} offset_set;

/* Insert @v; *added says whether it was new.  Linear probing, grown at
 * half load, so a long chain stays O(1) per table. */
static hvs_status set_add(hvs_store *st, offset_set *s, uint64_t v, int *added)
{
	size_t i;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64, j;
		uint64_t *ns = hvs__calloc(&st->alloc, ncap, sizeof *ns);
		if (!ns)
			return hvs__err_set(&st->err, HVS_E_NOMEM, "object tables: out of memory");
		for (j = 0; j < s->cap; j++) {
			if (!s->slot[j])
				continue;
			i = (size_t)(s->slot[j] * 0x9E3779B97F4A7C15ull >> 20) & (ncap - 1);
			while (ns[i])
				i = (i + 1) & (ncap - 1);
			ns[i] = s->slot[j];
		}
		hvs__free(&st->alloc, s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	i = (size_t)(v * 0x9E3779B97F4A7C15ull >> 20) & (s->cap - 1);
	while (s->slot[i]) {
		if (s->slot[i] == v) {
			*added = 0;
			return HVS_OK;
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = v;
	s->n++;
	*added = 1;
	return HVS_OK;
}

/* Remember a key table found in an object table (header checked later). */
static hvs_status add_ktable(hvs_store *st, uint64_t off, uint32_t size)
{
	HVS_TRY(hvs__grow(&st->alloc, (void **)&st->ktables, &st->ktables_cap,
			  st->nktables + 1, sizeof *st->ktables));
	memset(&st->ktables[st->nktables], 0, sizeof st->ktables[0]);
	st->ktables[st->nktables].offset = off;
	st->ktables[st->nktables].size = size;
	st->nktables++;
	return HVS_OK;
}

/* Decode and check one 18-byte object-table entry (format.md 2.4). */
static hvs_status object_entry(hvs_store *st, const uint8_t *e, uint64_t eoff,
			       uint64_t **queue, size_t *qn, size_t *qcap,
			       offset_set *visited)
{
	uint8_t type = e[HVS_OTE_OFF_TYPE];
	uint32_t crc = hvs__le32(e + HVS_OTE_OFF_CHECKSUM);
	uint32_t calc = hvs__crc32_skip(e, HVS_OTE_SIZE, HVS_OTE_OFF_CHECKSUM);
	uint64_t off = hvs__le64(e + HVS_OTE_OFF_OFFSET);
	uint32_t size = hvs__le32(e + HVS_OTE_OFF_SIZE);
	int added;

	if (crc != calc) {
		/* Before 3.1 the entry checksum was computed differently
		 * (OVMM-FMT: "fixed object table entry checksum"): report
		 * only, and still trust the entry. */
		int old = st->info.format_version < HVS_FMT_3_1;
		HVS_TRY(hvs__store_problem(st, old ? HVS__P_NOTE : HVS__P_FATAL, eoff,
					   "object table entry at 0x%" PRIx64 ": checksum 0x%08X, computed 0x%08X",
					   eoff, crc, calc));
		if (!old)
			return HVS_OK; /* lenient: skip the damaged entry */
	}
	switch (type) {
	case HVS_OBJ_OBJECT_TABLE:
		if (off < HVS_ROOT_OBJECT_TABLE_OFFSET || off >= st->view_size)
			return hvs__store_problem(st, HVS__P_FATAL, eoff,
						  "object table entry at 0x%" PRIx64 ": chained table at 0x%" PRIx64 " outside the file",
						  eoff, off);
		HVS_TRY(set_add(st, visited, off, &added));
		if (!added)
			return hvs__store_problem(st, HVS__P_FATAL, eoff,
						  "object table entry at 0x%" PRIx64 ": chain loops back to the table at 0x%" PRIx64,
						  eoff, off);
		if (visited->n > HVS__STORE_MAX_OBJECT_TABLES)
			return hvs__store_problem(st, HVS__P_FATAL, eoff,
						  "object tables: more than %u tables",
						  HVS__STORE_MAX_OBJECT_TABLES);
		HVS_TRY(hvs__grow(&st->alloc, (void **)queue, qcap, *qn + 1, sizeof **queue));
		(*queue)[(*qn)++] = off;
		return HVS_OK;
	case HVS_OBJ_KEY_TABLE:
		if (size < HVS_KT_HEADER_SIZE || size > HVS__STORE_MAX_KEY_TABLE_SIZE ||
		    !hvs__in_bounds(off, size, st->view_size))
			return hvs__store_problem(st, HVS__P_FATAL, eoff,
						  "object table entry at 0x%" PRIx64 ": key table 0x%" PRIx64 "+0x%X invalid or past the end of the file",
						  eoff, off, size);
		return add_ktable(st, off, size);
	case HVS_OBJ_FILE_OBJECT:
		st->info.file_object_count++;
		if (!hvs__in_bounds(off, size, st->view_size))
			return hvs__store_problem(st, HVS__P_FATAL, eoff,
						  "object table entry at 0x%" PRIx64 ": file object 0x%" PRIx64 "+0x%X past the end of the file",
						  eoff, off, size);
		return HVS_OK;
	case HVS_OBJ_EMPTY:
	case HVS_OBJ_FREE:
	case 5: case 6: case 7: /* named by DIS-HV, never observed, unused here */
		return HVS_OK;
	default:
		return hvs__store_problem(st, HVS__P_NOTE, eoff,
					  "object table entry at 0x%" PRIx64 ": unknown object type %u",
					  eoff, type);
	}
}

/*
 * Walk the object tables from 0x2000 (format.md 2.4).  A type-1 entry in
 * any slot chains to another table; the visited set and the table cap stop
 * loops and fan-out.  Entries are read in chunks so a huge EntriesCount
 * never means a huge allocation.
 */
static hvs_status walk_object_tables(hvs_store *st)
{
	enum { CHUNK = 227 };
	uint8_t hdr[HVS_OT_HEADER_SIZE], buf[CHUNK * HVS_OTE_SIZE];
	offset_set visited = { NULL, 0, 0 };
	uint64_t *queue = NULL;
	size_t qn = 0, qcap = 0, qi = 0;
	uint64_t entries = 0, max_entries;
	hvs_status s;
	int added;

	max_entries = st->view_size / HVS_OTE_SIZE;
	s = set_add(st, &visited, HVS_ROOT_OBJECT_TABLE_OFFSET, &added);
	if (s != HVS_OK)
		goto out;
	s = hvs__grow(&st->alloc, (void **)&queue, &qcap, 1, sizeof *queue);
	if (s != HVS_OK)
		goto out;
	queue[qn++] = HVS_ROOT_OBJECT_TABLE_OFFSET;
	for (qi = 0; qi < qn; qi++) {
		uint64_t toff = queue[qi], avail;
		uint32_t count, done = 0;

		st->info.object_table_count++;
		if (!hvs__in_bounds(toff, HVS_OT_HEADER_SIZE, st->view_size)) {
			s = hvs__store_problem(st, HVS__P_FATAL, toff,
					       "object table at 0x%" PRIx64 ": past the end of the file (0x%" PRIx64 ")",
					       toff, st->view_size);
			if (s != HVS_OK)
				goto out;
			continue;
		}
		s = hvs__store_read(st, toff, hdr, sizeof hdr, "object table");
		if (s != HVS_OK)
			goto out;
		if (hvs__le32(hdr + HVS_OT_OFF_SIGNATURE) != HVS_OT_SIGNATURE) {
			s = hvs__store_problem(st, HVS__P_FATAL, toff,
					       "object table at 0x%" PRIx64 ": signature 0x%08X, expected 0x%08X",
					       toff, hvs__le32(hdr), HVS_OT_SIGNATURE);
			if (s != HVS_OK)
				goto out;
			continue;
		}
		/* EntriesCount is the capacity (227 for 4 KiB); it is not
		 * CRC-protected, so cap it by the room left in the file. */
		count = hvs__le32(hdr + HVS_OT_OFF_COUNT);
		avail = (st->view_size - toff - HVS_OT_HEADER_SIZE) / HVS_OTE_SIZE;
		/* Object tables never overlap either: more entries in total
		 * than the file has room for means a crafted fan-out. */
		if (count > avail) {
			s = hvs__store_problem(st, HVS__P_FATAL, toff + HVS_OT_OFF_COUNT,
					       "object table at 0x%" PRIx64 ": %u entries run past the end of the file (room for %" PRIu64 ")",
					       toff, count, avail);
			if (s != HVS_OK)
				goto out;
			count = (uint32_t)avail;
		}
		/* Object tables never overlap, so all of them together hold
		 * at most file size / 18 entries; more means tables overlap,
		 * and a small crafted file could fan out to billions of
		 * entry checks. */
		if (count > max_entries - entries) {
			s = hvs__store_problem(st, HVS__P_FATAL, toff,
					       "object table at 0x%" PRIx64 ": overlaps other object tables (%" PRIu64 " entries in all, room for %" PRIu64 ")",
					       toff, entries + count, max_entries);
			goto out; /* lenient: stop the walk here */
		}
		entries += count;
		while (done < count) {
			uint32_t n = HVS__MIN(count - done, (uint32_t)CHUNK), k;
			uint64_t coff = toff + HVS_OT_HEADER_SIZE + (uint64_t)done * HVS_OTE_SIZE;
			s = hvs__store_read(st, coff, buf, (size_t)n * HVS_OTE_SIZE,
					    "object table entries");
			if (s != HVS_OK)
				goto out;
			for (k = 0; k < n; k++) {
				s = object_entry(st, buf + (size_t)k * HVS_OTE_SIZE,
						 coff + (uint64_t)k * HVS_OTE_SIZE, &queue, &qn,
						 &qcap, &visited);
				if (s != HVS_OK)
					goto out;
			}
			done += n;
		}
	}
	s = HVS_OK;
out:
	hvs__free(&st->alloc, visited.slot);
	hvs__free(&st->alloc, queue);
	return s;
}

/*
 * Check every key-table header (format.md 2.5) and pick, for each
 * TableIndex, the live copy with the highest Sequence.
 */
static hvs_status check_key_tables(hvs_store *st)
{
	uint8_t h[HVS_KT_HEADER_SIZE];
	uint32_t *best; /* TableIndex -> 1 + position of the table in use */
	uint64_t total = 0;
	size_t i;
	hvs_status s = HVS_OK;

	best = hvs__calloc(&st->alloc, 0x10000, sizeof *best);
	if (!best)
		return hvs__err_set(&st->err, HVS_E_NOMEM, "key tables: out of memory");
	for (i = 0; i < st->nktables; i++) {
		hvs__ktable *t = &st->ktables[i], *u;
		uint32_t crc, calc;
		uint16_t sig;

		s = hvs__store_read(st, t->offset, h, sizeof h, "key table header");
		if (s != HVS_OK)
			goto out;
		sig = hvs__le16(h + HVS_KT_OFF_SIGNATURE);
		t->index = hvs__le16(h + HVS_KT_OFF_INDEX);
		t->sequence = hvs__le16(h + HVS_KT_OFF_SEQUENCE);
		crc = hvs__le32(h + HVS_KT_OFF_CHECKSUM);
		calc = hvs__crc32_skip(h, sizeof h, HVS_KT_OFF_CHECKSUM);
		if (sig != HVS_KT_SIGNATURE)
			s = hvs__store_problem(st, HVS__P_FATAL, t->offset,
					       "key table at 0x%" PRIx64 ": signature 0x%04X, expected 0x%04X",
					       t->offset, sig, HVS_KT_SIGNATURE);
		else if (crc != calc)
			s = hvs__store_problem(st, HVS__P_FATAL, t->offset,
					       "key table at 0x%" PRIx64 ": header checksum 0x%08X, computed 0x%08X",
					       t->offset, crc, calc);
		else if (t->index == 0)
			/* 0 is the root sentinel of ParentNodeTable. */
			s = hvs__store_problem(st, HVS__P_FATAL, t->offset,
					       "key table at 0x%" PRIx64 ": TableIndex 0 (reserved for the root)",
					       t->offset);
		else
			t->used = 1;
		if (s != HVS_OK)
			goto out;
		if (!t->used)
			continue;
		if (!best[t->index]) {
			best[t->index] = (uint32_t)i + 1;
			continue;
		}
		/* Duplicate index: the newer sequence wins (DIS-HV; format.md 2.5). */
		u = &st->ktables[best[t->index] - 1];
		s = hvs__store_problem(st, HVS__P_NOTE, t->offset,
				       "key table index %u at 0x%" PRIx64 " (sequence %u) and 0x%" PRIx64 " (sequence %u): using the newer",
				       t->index, u->offset, u->sequence, t->offset, t->sequence);
		if (s != HVS_OK)
			goto out;
		if (hvs__store_seq_newer(t->sequence, u->sequence)) {
			u->used = 0;
			best[t->index] = (uint32_t)i + 1;
		} else {
			t->used = 0;
		}
	}
	for (i = 0; i < st->nktables; i++) {
		if (!st->ktables[i].used)
			continue;
		st->info.key_table_count++;
		total += st->ktables[i].size;
	}
	/* Real key tables never overlap, so together they fit in the file.
	 * Overlapping ones would let a small file make the parser read the
	 * same bytes thousands of times. */
	if (total > st->view_size)
		s = hvs__store_problem(st, HVS__P_FATAL, UINT64_MAX,
				       "key tables: %u tables of 0x%" PRIx64 " bytes overlap (file 0x%" PRIx64 " bytes)",
				       st->info.key_table_count, total, st->view_size);
	if (s == HVS_OK && total > st->view_size) {
		/* Lenient: keep the tables that fit, in object-table order. */
		uint64_t sum = 0;
		for (i = 0; i < st->nktables; i++) {
			if (!st->ktables[i].used)
				continue;
			if (sum + st->ktables[i].size > st->view_size) {
				st->ktables[i].used = 0;
				st->info.key_table_count--;
			} else {
				sum += st->ktables[i].size;
			}
		}
	}
out:
	hvs__free(&st->alloc, best);
	return s;
}

/* ---------------------------------------------------------------- open */

/* The whole open, in the order of format.md 6: headers, log, object
 * tables, key tables, tree. */
static hvs_status open_view(hvs_store *st)
{
	hvs__fheader h;
	int applied;

	HVS_TRY(select_header(st, &h, 0));
	HVS_TRY(replay_log(st, &h, &applied));
	if (applied) {
		/* Entries may rewrite the headers and tables: start over on the
		 * new view (format.md 6 step 2); the log is not replayed twice. */
		uint32_t pending = st->info.replay_pending, n = st->info.replay_applied;
		HVS_TRY(select_header(st, &h, 1));
		st->info.replay_pending = pending;
		st->info.replay_applied = n;
	}
	st->info.file_size = st->view_size;
	HVS_TRY(walk_object_tables(st));
	HVS_TRY(check_key_tables(st));
	HVS_TRY(hvs__store_load_keys(st));
	return hvs__store_build_tree(st);
}

/* Allocate the handle, run open_view(), and on failure copy the message
 * to the caller's errbuf before freeing everything. */
static hvs_status open_common(hvs_store **out, const hvs_source *src,
			      const hvs_open_opts *opts, int own)
{
	hvs__alloc al;
	hvs_store *st;
	hvs_status s;

	hvs__alloc_init(&al, opts ? opts->alloc : NULL);
	st = hvs__calloc(&al, 1, sizeof *st);
	if (!st) {
		if (opts && opts->errbuf && opts->errbuf_size)
			snprintf(opts->errbuf, opts->errbuf_size, "store: out of memory");
		return HVS_E_NOMEM;
	}
	st->alloc = al;
	st->src = *src;
	st->own_src = own;
	if (opts) {
		st->problem = opts->problem;
		st->problem_ud = opts->problem_ud;
		st->flags = opts->flags;
	}
	st->src_size = src->size(src->ud);
	st->view_size = st->src_size;
	if (opts && opts->reason)
		*opts->reason = HVS_REASON_NONE;
	s = open_view(st);
	if (s != HVS_OK) {
		if (opts && opts->reason)
			*opts->reason = st->reason;
		if (opts && opts->errbuf)
			hvs__err_copyout(&st->err, opts->errbuf, opts->errbuf_size);
		st->own_src = 0; /* the caller keeps its source on failure */
		hvs_store_close(st);
		return s;
	}
	hvs__err_clear(&st->err);
	*out = st;
	return HVS_OK;
}

/* Public entry points: argument checks, then open_common(). */
hvs_status hvs_store_open(hvs_store **out, const hvs_source *src,
			  const hvs_open_opts *opts)
{
	if (!out || !src || !src->read_at || !src->size)
		return HVS_E_INVALID;
	*out = NULL;
	return open_common(out, src, opts, 0);
}

hvs_status hvs_store_open_file(hvs_store **out, const char *path,
			       const hvs_open_opts *opts)
{
	hvs_source src;
	hvs_status s;
	char why[256];

	if (!out || !path)
		return HVS_E_INVALID;
	*out = NULL;
	s = hvs__source_open_file_why(&src, path, why, sizeof why);
	if (s != HVS_OK) {
		if (opts && opts->errbuf && opts->errbuf_size)
			/* The caller names the file; say why it cannot be opened. */
			snprintf(opts->errbuf, opts->errbuf_size, "cannot open: %s",
				 s == HVS_E_IO ? why : hvs_strerror(s));
		return s;
	}
	s = open_common(out, &src, opts, 1);
	if (s != HVS_OK)
		hvs_source_close(&src);
	return s;
}

/* Free everything the store owns; keys and names die with it. */
void hvs_store_close(hvs_store *st)
{
	hvs__alloc al;
	if (!st)
		return;
	al = st->alloc;
	if (st->own_src)
		hvs_source_close(&st->src);
	free_overlay(st, st->ovl, st->novl);
	hvs__free(&al, st->ktables);
	hvs__free(&al, st->keys);
	hvs__free(&al, st->children);
	hvs__free(&al, st->by_name);
	hvs__free(&al, st->names);
	hvs__free(&al, st);
}

const char *hvs_store_errmsg(const hvs_store *st)
{
	return st ? st->err.msg : "";
}

void hvs_store_get_info(const hvs_store *st, hvs_store_info *out)
{
	if (st && out)
		*out = st->info;
}

const hvs_key *hvs_store_root(const hvs_store *st)
{
	return &st->keys[0];
}

/*
 * Whether view bytes [off, off + len) are the file's own bytes at that
 * offset (inside the source and under no replay-log overlay), so that a
 * bulk copier may take them from the file directly (src/convert).
 */
int hvs__store_view_is_file(const hvs_store *st, uint64_t off, uint64_t len)
{
	size_t i;
	if (!st || !hvs__in_bounds(off, len, st->src_size))
		return 0;
	for (i = 0; i < st->novl; i++) {
		const hvs__overlay *o = &st->ovl[i];
		if (o->dest < off + len && off < o->dest + o->len)
			return 0;
	}
	return 1;
}
