/* SPDX-License-Identifier: MIT */
/*
 * hvs_store_dump(): a diagnostic walk over the on-disk structures of a
 * HyperVStorage container (docs/format/storage.md, from format.md 2.2-2.6),
 * reporting every decoded field with its offset.  It is what libyal's
 * HAVE_DEBUG_OUTPUT does, kept outside the parsers: the headers and the
 * replay log are decoded by store.c's own helpers (hvs__store_parse_*),
 * the smaller structures field by field with the offsets of format.h.
 *
 * Unlike hvs_store_open() this walk never stops at the first damage: a
 * structure that is damaged is reported with valid = 0 and a problem, and
 * the walk goes on wherever the next structure can still be located.  It
 * reads the file as it is on disk (no replay), so a pending log is shown,
 * never applied, and stale log entries are shown too (format.md 2.3: real
 * files keep them after a commit).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

/* Caps on what one dump reports: far above real files (1 object table,
 * a handful of key tables), low enough that a crafted file cannot make
 * the walk quadratic (the visited check below is linear). */
#define DUMP_MAX_OBJECT_TABLES 4096u
#define DUMP_MAX_KEY_TABLES 65536u

/* State of one walk. */
typedef struct dctx {
	hvs__alloc alloc;
	hvs__err err;
	const hvs_source *src;
	uint64_t size;            /* of the source */
	uint32_t flags;           /* HVS_DUMP_* */
	const hvs_dump_ops *ops;
	int damaged;              /* a non-stale structure was invalid */
	int utf16;                /* key names UTF-16LE (format 1.0) */
	uint64_t crc_budget;      /* log data bytes still to checksum */
	char problem[256];        /* problem text of the current structure */
	char note[1024];          /* note text of the current field */
} dctx;

/* Read @len bytes at @off.  1 when read; 0 when the range is outside the
 * source (the caller reports it); -1 with c->err set on an I/O error. */
static int rd(dctx *c, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	hvs_status s;

	if (!hvs__in_bounds(off, len, c->size))
		return 0;
	if (len == 0)
		return 1;
	s = c->src->read_at(c->src->ud, off, buf, len, &done);
	if (s == HVS_OK && done == len)
		return 1;
	if (s == HVS_E_NODATA || s == HVS_OK)
		return 0; /* the source shrank: treat as missing bytes */
	hvs__err_set(&c->err, HVS_E_IO, "read of 0x%zx bytes at 0x%" PRIx64 " failed",
		     len, off);
	return -1;
}

/* Report the start of a structure; c->problem holds its problem text. */
static void begin(dctx *c, const char *kind, uint64_t off, uint64_t size,
		  int64_t index, int valid, const char *state, int counts)
{
	hvs_dump_struct s;

	s.kind = kind;
	s.offset = off;
	s.size = size;
	s.index = index;
	s.valid = valid;
	s.state = state;
	s.problem = valid ? NULL : c->problem;
	/* Stale log slots are leftovers, not damage (format.md 2.3). */
	if (!valid && counts)
		c->damaged = 1;
	c->ops->begin(c->ops->ud, &s);
}

/* Report one field; @note may be NULL. */
static void fld(dctx *c, const char *name, uint64_t rel, uint32_t size,
		uint64_t value, const char *note)
{
	hvs_dump_field f;

	if (!c->ops->field)
		return;
	memset(&f, 0, sizeof f);
	f.name = name;
	f.offset = rel;
	f.size = size;
	f.value = value;
	f.note = note;
	c->ops->field(c->ops->ud, &f);
}

/* Report a checksum field with its stored and computed values. */
static void crcfld(dctx *c, const char *name, uint64_t rel, uint32_t stored,
		   uint32_t computed, hvs_dump_check check)
{
	hvs_dump_field f;

	if (!c->ops->field)
		return;
	memset(&f, 0, sizeof f);
	f.name = name;
	f.offset = rel;
	f.size = 4;
	f.value = stored;
	f.check = check;
	f.computed = check == HVS_DUMP_CHECK_UNKNOWN ? 0 : computed;
	c->ops->field(c->ops->ud, &f);
}

#define CRC_VERDICT(a, b) ((a) == (b) ? HVS_DUMP_CHECK_OK : HVS_DUMP_CHECK_BAD)

/* Set the problem text of the structure being reported. */
static void problem(dctx *c, const char *fmt, ...) HVS__PRINTF(2, 3);
static void problem(dctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->problem, sizeof c->problem, fmt, ap);
	va_end(ap);
}

/* -------------------------------------------------------- file headers */

/*
 * Both header copies (format.md 2.2), every field.  *pick receives the
 * copy the reader would use (valid, newer sequence), or the first one
 * with a signature when neither is valid, or -1 when none has it.
 */
static hvs_status dump_headers(dctx *c, hvs__fheader h[2], int *pick)
{
	static const uint64_t where[2] = { HVS_FH_COPY0_OFFSET, HVS_FH_COPY1_OFFSET };
	uint8_t buf[HVS_FH_SIZE];
	int i, r, ok[2] = { 0, 0 }, sig[2] = { 0, 0 };

	for (i = 0; i < 2; i++) {
		r = rd(c, where[i], buf, sizeof buf);
		if (r < 0)
			return HVS_E_IO;
		if (r == 0)
			continue;
		hvs__store_parse_fheader(&h[i], buf);
		sig[i] = h[i].signature == HVS_FH_SIGNATURE;
		ok[i] = sig[i] && h[i].checksum == h[i].computed;
	}
	/* Same rule as select_header() in store.c: newer sequence mod 2^16. */
	if (ok[0] && ok[1])
		*pick = hvs__store_seq_newer(h[1].sequence, h[0].sequence) ? 1 : 0;
	else if (ok[0] || ok[1])
		*pick = ok[0] ? 0 : 1;
	else if (sig[0] || sig[1])
		*pick = sig[0] ? 0 : 1;
	else
		*pick = -1;
	for (i = 0; i < 2; i++) {
		const hvs__fheader *x = &h[i];
		if (!hvs__in_bounds(where[i], HVS_FH_SIZE, c->size)) {
			problem(c, "missing: the file ends at 0x%" PRIx64, c->size);
			begin(c, "file header", where[i], HVS_FH_SIZE, i, 0, NULL, 1);
			continue;
		}
		if (!sig[i])
			problem(c, "signature 0x%08X, expected 0x%08X", x->signature,
				HVS_FH_SIGNATURE);
		else if (!ok[i])
			problem(c, "checksum 0x%08X, computed 0x%08X", x->checksum, x->computed);
		begin(c, "file header", where[i], HVS_FH_SIZE, i, ok[i],
		      i == *pick && ok[i] ? "current" : ok[i] ? "older" : NULL, 1);
		fld(c, "signature", HVS_FH_OFF_SIGNATURE, 4, x->signature, NULL);
		crcfld(c, "checksum", HVS_FH_OFF_CHECKSUM, x->checksum, x->computed,
		       CRC_VERDICT(x->checksum, x->computed));
		fld(c, "sequence", HVS_FH_OFF_SEQUENCE, 2, x->sequence, NULL);
		snprintf(c->note, sizeof c->note, "%u.%u", (unsigned)(x->format_version >> 8),
			 (unsigned)(x->format_version & 0xFF));
		fld(c, "format_version", HVS_FH_OFF_FORMAT_VERSION, 4, x->format_version, c->note);
		fld(c, "data_version", HVS_FH_OFF_DATA_VERSION, 4, x->data_version, NULL);
		fld(c, "flags", HVS_FH_OFF_FLAGS, 4, x->flags, NULL);
		fld(c, "alignment", HVS_FH_OFF_ALIGNMENT, 4, x->alignment, NULL);
		fld(c, "log_offset", HVS_FH_OFF_LOG_OFFSET, 8, x->log_offset, NULL);
		fld(c, "log_size", HVS_FH_OFF_LOG_SIZE, 8, x->log_size, NULL);
		fld(c, "log_header_size", HVS_FH_OFF_LOG_HEADER_SIZE, 4, x->log_header_size, NULL);
	}
	return HVS_OK;
}

/* ---------------------------------------------------------- replay log */

/* CRC-32 of @len bytes at @off, read in chunks; 1 done, 0 out of
 * bounds, 2 over the budget (not computed), -1 I/O error. */
static int data_crc(dctx *c, uint64_t off, uint64_t len, uint32_t *out)
{
	uint8_t buf[4096];
	uint32_t crc = 0;
	int r;

	if (!hvs__in_bounds(off, len, c->size))
		return 0;
	/* Slots may point at the same data: bound the total work. */
	if (len > c->crc_budget)
		return 2;
	c->crc_budget -= len;
	while (len) {
		size_t n = (size_t)HVS__MIN(len, (uint64_t)sizeof buf);
		r = rd(c, off, buf, n);
		if (r <= 0)
			return r;
		crc = hvs__crc32(crc, buf, n);
		off += n;
		len -= n;
	}
	*out = crc;
	return 1;
}

/* One non-zero log slot (format.md 2.3): entry CRC, and the data CRC
 * when the data lies inside the log area and the file. */
static hvs_status dump_log_entry(dctx *c, const hvs__fheader *h, uint32_t i,
				 uint64_t eoff, const uint8_t e[HVS_LOGE_SIZE],
				 uint32_t count)
{
	hvs__logentry le;
	hvs_dump_check dcheck = HVS_DUMP_CHECK_UNKNOWN;
	uint32_t dcrc = 0;
	uint64_t doff;
	int pending = i < count, r = 0, valid;

	hvs__store_parse_logentry(&le, e);
	c->problem[0] = '\0';
	/* Where the data may lie: inside the log's data area (after the
	 * header block) and inside the file, as load_log_entries() in
	 * store.c requires before it replays an entry. */
	if (le.log_off < h->log_header_size || !hvs__in_bounds(le.log_off, le.size, h->log_size))
		problem(c, "data 0x%" PRIx64 "+0x%X outside the log data area 0x%X..0x%" PRIx64,
			le.log_off, le.size, h->log_header_size, h->log_size);
	else if (hvs__add_u64(h->log_offset, le.log_off, &doff) ||
		 (r = data_crc(c, doff, le.size, &dcrc)) == 0)
		problem(c, "data 0x%" PRIx64 "+0x%X past the end of the file", le.log_off,
			le.size);
	if (r < 0)
		return HVS_E_IO;
	if (r == 2)
		problem(c, "data 0x%" PRIx64 "+0x%X not verified: the slots hold more data "
			"than twice the file size", le.log_off, le.size);
	if (r == 1)
		dcheck = CRC_VERDICT(le.data_crc, dcrc);
	/* The entry CRC is the first thing to report: it says whether the
	 * other fields can be believed at all. */
	if (le.checksum != le.computed)
		problem(c, "entry checksum 0x%08X, computed 0x%08X", le.checksum, le.computed);
	else if (dcheck == HVS_DUMP_CHECK_BAD)
		problem(c, "data checksum 0x%08X, computed 0x%08X", le.data_crc, dcrc);
	valid = le.checksum == le.computed && dcheck == HVS_DUMP_CHECK_OK;
	begin(c, "replay log entry", eoff, HVS_LOGE_SIZE, i, valid,
	      pending ? "pending" : "stale", pending);
	fld(c, "destination_offset", HVS_LOGE_OFF_DEST, 8, le.dest, NULL);
	fld(c, "destination_size", HVS_LOGE_OFF_SIZE, 4, le.size, NULL);
	fld(c, "offset_in_log", HVS_LOGE_OFF_LOGOFF, 8, le.log_off, NULL);
	crcfld(c, "checksum", HVS_LOGE_OFF_CHECKSUM, le.checksum, le.computed,
	       CRC_VERDICT(le.checksum, le.computed));
	crcfld(c, "data_checksum", HVS_LOGE_OFF_DATA_CRC, le.data_crc, dcrc, dcheck);
	return HVS_OK;
}

/*
 * The replay log header and its entry slots (format.md 2.3).  Slots are
 * shown up to MaximumNumberOfEntries, bounded by the header block, the
 * file and HVS__STORE_MAX_LOG_ENTRIES; all-zero slots are skipped.
 */
static hvs_status dump_log(dctx *c, const hvs__fheader *h)
{
	uint8_t buf[HVS_LOG_HEADER_SIZE], e[HVS_LOGE_SIZE];
	static const uint8_t zero[HVS_LOGE_SIZE];
	hvs__logheader lh;
	uint64_t slots;
	uint32_t i;
	int r, valid;

	if (h->log_offset == 0 && h->log_size == 0)
		return HVS_OK; /* no log (the reader notes the same) */
	r = rd(c, h->log_offset, buf, sizeof buf);
	if (r < 0)
		return HVS_E_IO;
	if (r == 0) {
		problem(c, "header past the end of the file (0x%" PRIx64 ")", c->size);
		begin(c, "replay log", h->log_offset, HVS_LOG_HEADER_SIZE, -1, 0, NULL, 1);
		return HVS_OK;
	}
	hvs__store_parse_logheader(&lh, buf);
	if (lh.signature != HVS_LOG_SIGNATURE)
		problem(c, "signature 0x%08X, expected 0x%08X", lh.signature, HVS_LOG_SIGNATURE);
	else if (lh.checksum != lh.computed)
		problem(c, "checksum 0x%08X, computed 0x%08X", lh.checksum, lh.computed);
	else if (lh.count > lh.max_entries)
		problem(c, "%u pending entries, maximum %u", lh.count, lh.max_entries);
	valid = lh.signature == HVS_LOG_SIGNATURE && lh.checksum == lh.computed &&
		lh.count <= lh.max_entries;
	begin(c, "replay log", h->log_offset, h->log_size, -1, valid,
	      !valid ? NULL : lh.count ? "pending" : "clean", 1);
	fld(c, "signature", HVS_LOG_OFF_SIGNATURE, 4, lh.signature, NULL);
	crcfld(c, "checksum", HVS_LOG_OFF_CHECKSUM, lh.checksum, lh.computed,
	       CRC_VERDICT(lh.checksum, lh.computed));
	fld(c, "current_entries", HVS_LOG_OFF_COUNT, 4, lh.count, NULL);
	fld(c, "reserved", HVS_LOG_OFF_RESERVED, 1, buf[HVS_LOG_OFF_RESERVED], NULL);
	fld(c, "max_entries", HVS_LOG_OFF_MAX_ENTRIES, 4, lh.max_entries, NULL);
	fld(c, "change_tracking_enabled", HVS_LOG_OFF_CT_ENABLED, 1, lh.ct_enabled, NULL);
	fld(c, "change_tracking_offset", HVS_LOG_OFF_CT_OFFSET, 8, lh.ct_offset, NULL);
	fld(c, "change_tracking_size", HVS_LOG_OFF_CT_SIZE, 4, lh.ct_size, NULL);
	fld(c, "change_tracking_used", HVS_LOG_OFF_CT_USED, 4, lh.ct_used, NULL);
	if (lh.signature != HVS_LOG_SIGNATURE)
		return HVS_OK; /* not a log: its slots mean nothing */
	/* The slots live in the header block: 34 + max * 28 <= header size. */
	slots = lh.max_entries;
	if (h->log_header_size >= HVS_LOG_HEADER_SIZE)
		slots = HVS__MIN(slots, (uint64_t)(h->log_header_size - HVS_LOG_HEADER_SIZE) /
						HVS_LOGE_SIZE);
	slots = HVS__MIN(slots, (uint64_t)HVS__STORE_MAX_LOG_ENTRIES);
	for (i = 0; i < slots; i++) {
		uint64_t eoff = h->log_offset + HVS_LOG_HEADER_SIZE + (uint64_t)i * HVS_LOGE_SIZE;
		r = rd(c, eoff, e, sizeof e);
		if (r < 0)
			return HVS_E_IO;
		if (r == 0)
			break; /* the log area may run past the end (storage.md errata) */
		if (memcmp(e, zero, sizeof e) == 0 && i >= lh.count)
			continue;
		HVS_TRY(dump_log_entry(c, h, i, eoff, e, lh.count));
	}
	return HVS_OK;
}

/* ------------------------------------------------------- object tables */

/* Name of an object-table entry type (format.md 2.4; 5..7 from DIS-HV). */
static const char *object_type_name(uint8_t t)
{
	switch (t) {
	case HVS_OBJ_EMPTY: return "empty";
	case HVS_OBJ_OBJECT_TABLE: return "object table";
	case HVS_OBJ_KEY_TABLE: return "key table";
	case HVS_OBJ_FILE_OBJECT: return "file object";
	case HVS_OBJ_FREE: return "free";
	case 5: return "header (never observed)";
	case 6: return "replay log (never observed)";
	case 7: return "change tracking buffer (never observed)";
	default: return "unknown";
	}
}

/* A location found in an object table. */
typedef struct loc {
	uint64_t off;
	uint32_t size;
} loc;

/* Lists the object-table walk fills: tables still to visit, key tables. */
typedef struct olists {
	loc *tables;
	size_t ntables, tables_cap;
	loc *ktables;
	size_t nktables, ktables_cap;
} olists;

/* Append @off/@size to a list unless it holds @cap items already (or,
 * for @unique, holds @off already).  1 when added. */
static hvs_status push(dctx *c, loc **v, size_t *n, size_t *cap, size_t max,
		       uint64_t off, uint32_t size, int unique, int *added)
{
	size_t i;

	*added = 0;
	if (*n >= max)
		return HVS_OK;
	for (i = 0; unique && i < *n; i++)
		if ((*v)[i].off == off)
			return HVS_OK;
	if (hvs__grow(&c->alloc, (void **)v, cap, *n + 1, sizeof **v) != HVS_OK)
		return hvs__err_set(&c->err, HVS_E_NOMEM, "dump: out of memory");
	(*v)[*n].off = off;
	(*v)[*n].size = size;
	(*n)++;
	*added = 1;
	return HVS_OK;
}

/* One 18-byte entry (format.md 2.4); chained tables and key tables are
 * queued for later. */
static hvs_status dump_object_entry(dctx *c, olists *l, const uint8_t *e,
				    uint64_t eoff, uint32_t slot)
{
	static const uint8_t zero[HVS_OTE_SIZE];
	uint8_t type = e[HVS_OTE_OFF_TYPE];
	uint32_t crc = hvs__le32(e + HVS_OTE_OFF_CHECKSUM);
	uint32_t calc = hvs__crc32_skip(e, HVS_OTE_SIZE, HVS_OTE_OFF_CHECKSUM);
	uint64_t off = hvs__le64(e + HVS_OTE_OFF_OFFSET);
	uint32_t size = hvs__le32(e + HVS_OTE_OFF_SIZE);
	uint8_t tmp[HVS_OTE_SIZE];
	int valid = crc == calc, added;

	/* Empty: every byte but the checksum zero (an all-zero empty entry
	 * still carries CRC 0x671BCF4D, format.md 2.4). */
	memcpy(tmp, e, sizeof tmp);
	memset(tmp + HVS_OTE_OFF_CHECKSUM, 0, 4);
	if (memcmp(tmp, zero, sizeof tmp) == 0 && valid)
		return HVS_OK;
	c->problem[0] = '\0';
	if (!valid) {
		problem(c, "checksum 0x%08X, computed 0x%08X", crc, calc);
	} else if ((type == HVS_OBJ_OBJECT_TABLE || type == HVS_OBJ_KEY_TABLE ||
		    type == HVS_OBJ_FILE_OBJECT) && !hvs__in_bounds(off, size, c->size)) {
		/* A chained table's size is not needed: only its header must fit. */
		if (type != HVS_OBJ_OBJECT_TABLE || !hvs__in_bounds(off, HVS_OT_HEADER_SIZE, c->size)) {
			problem(c, "0x%" PRIx64 "+0x%X past the end of the file (0x%" PRIx64 ")",
				off, size, c->size);
			valid = 0;
		}
	}
	begin(c, "object table entry", eoff, HVS_OTE_SIZE, slot, valid,
	      object_type_name(type), 1);
	fld(c, "type", HVS_OTE_OFF_TYPE, 1, type, object_type_name(type));
	crcfld(c, "checksum", HVS_OTE_OFF_CHECKSUM, crc, calc, CRC_VERDICT(crc, calc));
	fld(c, "offset", HVS_OTE_OFF_OFFSET, 8, off, NULL);
	fld(c, "size", HVS_OTE_OFF_SIZE, 4, size, NULL);
	fld(c, "flags", HVS_OTE_OFF_FLAGS, 1, e[HVS_OTE_OFF_FLAGS],
	    (e[HVS_OTE_OFF_FLAGS] & HVS_OTE_FLAG_REQUIRED) ? "required" : NULL);
	/* Follow only what a damaged checksum does not cast doubt on. */
	if (!valid)
		return HVS_OK;
	if (type == HVS_OBJ_OBJECT_TABLE)
		return push(c, &l->tables, &l->ntables, &l->tables_cap, DUMP_MAX_OBJECT_TABLES,
			    off, size, 1, &added);
	if (type == HVS_OBJ_KEY_TABLE)
		return push(c, &l->ktables, &l->nktables, &l->ktables_cap, DUMP_MAX_KEY_TABLES,
			    off, size, 0, &added);
	return HVS_OK;
}

/*
 * The object-table chain from 0x2000 (format.md 2.4).  Every table's
 * entries count towards a total of at most file size / 18 (tables never
 * overlap), so a crafted fan-out cannot make the walk long.
 */
static hvs_status dump_object_tables(dctx *c, olists *l)
{
	uint8_t hdr[HVS_OT_HEADER_SIZE], e[HVS_OTE_SIZE];
	uint64_t budget = c->size / HVS_OTE_SIZE;
	size_t t;
	int added, r;

	HVS_TRY(push(c, &l->tables, &l->ntables, &l->tables_cap, DUMP_MAX_OBJECT_TABLES,
		     HVS_ROOT_OBJECT_TABLE_OFFSET, 0, 1, &added));
	for (t = 0; t < l->ntables; t++) {
		uint64_t toff = l->tables[t].off, avail;
		uint32_t sig, count, shown, k;
		int valid;

		r = rd(c, toff, hdr, sizeof hdr);
		if (r < 0)
			return HVS_E_IO;
		if (r == 0) {
			problem(c, "past the end of the file (0x%" PRIx64 ")", c->size);
			begin(c, "object table", toff, HVS_OT_HEADER_SIZE, (int64_t)t, 0, NULL, 1);
			continue;
		}
		sig = hvs__le32(hdr + HVS_OT_OFF_SIGNATURE);
		count = hvs__le32(hdr + HVS_OT_OFF_COUNT);
		avail = (c->size - toff - HVS_OT_HEADER_SIZE) / HVS_OTE_SIZE;
		/* EntriesCount is not CRC-protected: show only what exists. */
		shown = (uint32_t)HVS__MIN((uint64_t)count, HVS__MIN(avail, budget));
		/* The size reported is what the header claims, even when only
		 * part of it exists: that is what the user needs to see. */
		valid = sig == HVS_OT_SIGNATURE && count <= avail && count <= budget;
		if (sig != HVS_OT_SIGNATURE)
			problem(c, "signature 0x%08X, expected 0x%08X", sig, HVS_OT_SIGNATURE);
		else if (count > avail)
			problem(c, "%u entries run past the end of the file (room for %" PRIu64 ")",
				count, avail);
		else if (count > budget)
			/* Tables never overlap: all entries fit in size / 18. */
			problem(c, "overlaps other object tables (%" PRIu64 " entries left of %" PRIu64 ")",
				budget, c->size / HVS_OTE_SIZE);
		begin(c, "object table", toff, HVS_OT_HEADER_SIZE + (uint64_t)count * HVS_OTE_SIZE,
		      (int64_t)t, valid, NULL, 1);
		fld(c, "signature", HVS_OT_OFF_SIGNATURE, 4, sig, NULL);
		fld(c, "entries_count", HVS_OT_OFF_COUNT, 4, count, NULL);
		if (sig != HVS_OT_SIGNATURE)
			continue;
		budget -= shown;
		for (k = 0; k < shown; k++) {
			uint64_t eoff = toff + HVS_OT_HEADER_SIZE + (uint64_t)k * HVS_OTE_SIZE;
			r = rd(c, eoff, e, sizeof e);
			if (r < 0)
				return HVS_E_IO;
			if (r == 0)
				break;
			HVS_TRY(dump_object_entry(c, l, e, eoff, k));
		}
	}
	return HVS_OK;
}

/* ---------------------------------------------------------- key tables */

/* Name of a key-entry type (format.md 2.6). */
static const char *entry_type_name(uint8_t t)
{
	switch (t) {
	case HVS_KE_FREE: return "free";
	case HVS_KE_UNKNOWN2: return "type 2 (unknown)";
	case HVS_KE_INT: return "int";
	case HVS_KE_UINT: return "uint";
	case HVS_KE_DOUBLE: return "double";
	case HVS_KE_STRING: return "string";
	case HVS_KE_ARRAY: return "array";
	case HVS_KE_BOOL: return "bool";
	case HVS_KE_NODE: return "node";
	default: return "unknown";
	}
}

/* Bytes of value the entry checksum covers: the parser's rule
 * (hvs__store_value_len, store_keys.c); 0 when they cannot be known. */
static int meaningful_len(uint8_t type, uint8_t flags, const uint8_t *v, uint32_t avail,
			  uint32_t *out)
{
	return hvs__store_value_len(type, flags, v, avail, out, NULL) == HVS__VLEN_OK;
}

/* One key-entry header at table offset @off of SizeInBytes @sib. */
static void dump_key_entry(dctx *c, const loc *t, const uint8_t *tb, uint32_t off,
			   uint32_t sib, int64_t n)
{
	const uint8_t *e = tb + off;
	uint8_t type = e[HVS_KE_OFF_TYPE], flags = e[HVS_KE_OFF_FLAGS];
	uint32_t nsym = e[HVS_KE_OFF_NAME_SIZE], nbytes = c->utf16 ? nsym * 2 : nsym;
	uint32_t crc = hvs__le32(e + HVS_KE_OFF_CHECKSUM), calc = 0, m = 0;
	hvs_dump_check check = HVS_DUMP_CHECK_UNKNOWN;
	int valid = 1;
	char fl[64];

	c->problem[0] = '\0';
	c->note[0] = '\0';
	if (type == HVS_KE_FREE) {
		/* Free entries carry checksum 0 (format.md 2.6). */
		check = crc == 0 ? HVS_DUMP_CHECK_OK : HVS_DUMP_CHECK_BAD;
		if (crc != 0)
			problem(c, "Free entry with checksum 0x%08X (expected 0)", crc);
		valid = crc == 0;
	} else if (nsym == 0 || HVS_KE_HEADER_SIZE + nbytes > sib) {
		problem(c, "name of %u symbols does not fit the entry size 0x%X", nsym, sib);
		valid = 0;
	} else {
		const uint8_t *name = e + HVS_KE_HEADER_SIZE;
		if (c->utf16)
			hvs__utf16le_to_utf8(name, nbytes, c->note, sizeof c->note);
		else
			snprintf(c->note, sizeof c->note, "%.*s", (int)nbytes, (const char *)name);
		if (!meaningful_len(type, flags, name + nbytes, sib - HVS_KE_HEADER_SIZE - nbytes, &m)) {
			problem(c, "type %u value does not fit or has no known layout", type);
			valid = 0;
		} else {
			calc = hvs__crc32_skip(e, HVS_KE_HEADER_SIZE, HVS_KE_OFF_CHECKSUM);
			calc = hvs__crc32(calc, name, (size_t)nbytes + m);
			check = CRC_VERDICT(crc, calc);
			if (crc != calc) {
				problem(c, "checksum 0x%08X, computed 0x%08X", crc, calc);
				valid = 0;
			}
		}
	}
	/* Every header field is shown, even for a damaged entry: the
	 * numbers are what tells a user how the entry went wrong. */
	begin(c, "key entry", t->off + off, sib, n, valid, entry_type_name(type), 1);
	fld(c, "type", HVS_KE_OFF_TYPE, 1, type, entry_type_name(type));
	snprintf(fl, sizeof fl, "%s%s%s", (flags & HVS_KE_FLAG_FILE_OBJECT) ? "file-object " : "",
		 (flags & HVS_KE_FLAG_SUBCOMPONENT) ? "subcomponent " : "",
		 (flags & HVS_KE_FLAG_SEQ_CHANGE_TRACKING) ? "change-tracking " : "");
	if (fl[0])
		fl[strlen(fl) - 1] = '\0';
	fld(c, "flags", HVS_KE_OFF_FLAGS, 1, flags, fl[0] ? fl : NULL);
	fld(c, "size", HVS_KE_OFF_SIZE, 4, sib, NULL);
	fld(c, "parent_table", HVS_KE_OFF_PARENT_TABLE, 2, hvs__le16(e + HVS_KE_OFF_PARENT_TABLE), NULL);
	fld(c, "parent_offset", HVS_KE_OFF_PARENT_OFFSET, 4, hvs__le32(e + HVS_KE_OFF_PARENT_OFFSET), NULL);
	crcfld(c, "checksum", HVS_KE_OFF_CHECKSUM, crc, calc, check);
	fld(c, "insertion_seq", HVS_KE_OFF_INSERTION, 4, hvs__le32(e + HVS_KE_OFF_INSERTION), NULL);
	fld(c, "name_size", HVS_KE_OFF_NAME_SIZE, 1, nsym, c->note[0] ? c->note : NULL);
}

/* The packed entries of one key table read whole into @tb (2.5). */
static void dump_key_entries(dctx *c, const loc *t, const uint8_t *tb)
{
	uint32_t off = HVS_KT_HEADER_SIZE;
	int64_t n = 0;

	/* Same end rule as the reader: stop when no full header fits. */
	while ((uint64_t)off + HVS_KE_HEADER_SIZE < t->size) {
		uint32_t sib = hvs__le32(tb + off + HVS_KE_OFF_SIZE);
		if (sib < HVS_KE_HEADER_SIZE || sib > t->size - off) {
			/* The next entry cannot be located: report and stop. */
			problem(c, "SizeInBytes 0x%X outside 0x15..0x%X, rest of the table not walked",
				sib, t->size - off);
			begin(c, "key entry", t->off + off, t->size - off, n, 0, NULL, 1);
			return;
		}
		dump_key_entry(c, t, tb, off, sib, n++);
		off += sib;
	}
}

/* Every key-table header (format.md 2.5), and with HVS_DUMP_KEY_ENTRIES
 * the entries, the table read whole (bounded: at most 16 MiB). */
static hvs_status dump_key_tables(dctx *c, const olists *l)
{
	uint8_t h[HVS_KT_HEADER_SIZE], *tb = NULL;
	size_t i;
	hvs_status s = HVS_OK;
	int r;

	for (i = 0; i < l->nktables; i++) {
		const loc *t = &l->ktables[i];
		uint16_t sig, idx, seq;
		uint32_t crc, calc;
		int valid;

		r = rd(c, t->off, h, sizeof h);
		if (r < 0)
			return HVS_E_IO;
		if (r == 0 || t->size < HVS_KT_HEADER_SIZE || t->size > HVS__STORE_MAX_KEY_TABLE_SIZE ||
		    !hvs__in_bounds(t->off, t->size, c->size)) {
			problem(c, "0x%" PRIx64 "+0x%X invalid or past the end of the file", t->off, t->size);
			begin(c, "key table", t->off, t->size, -1, 0, NULL, 1);
			continue;
		}
		sig = hvs__le16(h + HVS_KT_OFF_SIGNATURE);
		idx = hvs__le16(h + HVS_KT_OFF_INDEX);
		seq = hvs__le16(h + HVS_KT_OFF_SEQUENCE);
		crc = hvs__le32(h + HVS_KT_OFF_CHECKSUM);
		calc = hvs__crc32_skip(h, sizeof h, HVS_KT_OFF_CHECKSUM);
		if (sig != HVS_KT_SIGNATURE)
			problem(c, "signature 0x%04X, expected 0x%04X", sig, HVS_KT_SIGNATURE);
		else if (crc != calc)
			problem(c, "header checksum 0x%08X, computed 0x%08X", crc, calc);
		else if (idx == 0)
			problem(c, "TableIndex 0 (reserved for the root)");
		valid = sig == HVS_KT_SIGNATURE && crc == calc && idx != 0;
		begin(c, "key table", t->off, t->size, idx, valid, NULL, 1);
		fld(c, "signature", HVS_KT_OFF_SIGNATURE, 2, sig, NULL);
		fld(c, "table_index", HVS_KT_OFF_INDEX, 2, idx, NULL);
		fld(c, "sequence", HVS_KT_OFF_SEQUENCE, 2, seq, NULL);
		crcfld(c, "checksum", HVS_KT_OFF_CHECKSUM, crc, calc, CRC_VERDICT(crc, calc));
		if (!(c->flags & HVS_DUMP_KEY_ENTRIES) || sig != HVS_KT_SIGNATURE)
			continue;
		/* One table at a time, at most 16 MiB (checked above). */
		tb = hvs__malloc(&c->alloc, t->size);
		if (!tb)
			return hvs__err_set(&c->err, HVS_E_NOMEM, "dump: out of memory");
		r = rd(c, t->off, tb, t->size);
		if (r < 0)
			s = HVS_E_IO;
		else if (r > 0)
			dump_key_entries(c, t, tb);
		hvs__free(&c->alloc, tb);
		tb = NULL;
		if (s != HVS_OK)
			return s;
	}
	return HVS_OK;
}

/* ---------------------------------------------------------------- walk */

/* The whole walk, in file-structure order (format.md 6, without replay). */
static hvs_status walk(dctx *c, olists *l)
{
	hvs__fheader h[2];
	int pick;

	memset(h, 0, sizeof h);
	HVS_TRY(dump_headers(c, h, &pick));
	if (pick < 0)
		return hvs__err_set(&c->err, HVS_E_UNSUPPORTED,
				    "not a HyperVStorage container (no signature 0x%08X at 0x0 or 0x1000)",
				    HVS_FH_SIGNATURE);
	c->utf16 = h[pick].format_version == HVS_FMT_1_0;
	HVS_TRY(dump_log(c, &h[pick]));
	HVS_TRY(dump_object_tables(c, l));
	HVS_TRY(dump_key_tables(c, l));
	if (c->damaged)
		return hvs__err_set(&c->err, HVS_E_CORRUPT, "damaged structures found (see their problems)");
	return HVS_OK;
}

hvs_status hvs_store_dump(const hvs_source *src, const hvs_open_opts *opts,
			  uint32_t flags, const hvs_dump_ops *ops)
{
	dctx *c;
	olists l;
	hvs__alloc al;
	hvs_status s;

	if (!src || !src->read_at || !src->size || !ops || !ops->begin)
		return HVS_E_INVALID;
	hvs__alloc_init(&al, opts ? opts->alloc : NULL);
	/* On the heap: the note and problem buffers are large for a stack. */
	c = hvs__calloc(&al, 1, sizeof *c);
	if (!c) {
		if (opts && opts->errbuf && opts->errbuf_size)
			snprintf(opts->errbuf, opts->errbuf_size, "dump: out of memory");
		return HVS_E_NOMEM;
	}
	c->alloc = al;
	c->src = src;
	c->size = src->size(src->ud);
	c->flags = flags;
	c->ops = ops;
	/* Real logs hold less data than the file; slots of a crafted one
	 * could all point at the same large range. */
	c->crc_budget = c->size > UINT64_MAX / 2 ? UINT64_MAX : 2 * c->size;
	memset(&l, 0, sizeof l);
	s = walk(c, &l);
	if (s != HVS_OK && opts && opts->errbuf)
		hvs__err_copyout(&c->err, opts->errbuf, opts->errbuf_size);
	hvs__free(&al, l.tables);
	hvs__free(&al, l.ktables);
	hvs__free(&al, c);
	return s;
}
