/* SPDX-License-Identifier: MIT */
/*
 * Legacy `.bin` saved-memory container (format.md 8;
 * docs/format/legacy-bin.md).  Parses the header, the index and the name
 * table into a table of RamBlock blobs sorted by block number, and decodes
 * a block through the RamBlock token stream (src/codec/ramblock.c).
 *
 * The layout was reverse-engineered from one sample (rafawo's
 * test_file.bin, format.md 10), so the checks are written to reject what
 * would make reading unsafe or ambiguous (bounds, overlaps, duplicate
 * block numbers, malformed names) and to tolerate what is merely unknown
 * (the header field at 0x08, index bytes 6-7, blobs with other names:
 * reported through the problem sink and skipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmrs/legacy_bin.h"

/* Read exactly @len bytes at @off; any shortfall is an error naming
 * @what (the caller checked the range against the size, so a short read
 * means the file changed or the source misbehaves). */
static hvs_status src_read(hvs__legacy_bin *b, uint64_t off, void *buf,
			   size_t len, const char *what)
{
	size_t done = 0;
	hvs_status st = b->src.read_at(b->src.ud, off, buf, len, &done);
	if (st == HVS_OK && done == len)
		return HVS_OK;
	if (st == HVS_E_IO)
		return hvs__err_set(&b->err, HVS_E_IO,
				    "legacy .bin: %s: read error at file offset 0x%" PRIx64,
				    what, off);
	return HVS_CORRUPT(&b->err,
			   "legacy .bin: %s: short read at file offset 0x%" PRIx64
			   " (%zu of %zu bytes)",
			   what, off, done, len);
}

int hvs__legacy_bin_probe(const uint8_t *head, size_t n)
{
	return n >= 4 && hvs__le32(head) == HVS__LBIN_MAGIC;
}

/* Parse "RamBlock/<n>/" (decimal, no sign, no leading zero) into *n.
 * Returns 1 on success, 0 when the name has another prefix, -1 when it
 * has the RamBlock prefix but a malformed number or tail. */
static int parse_name(const char *s, uint32_t *n)
{
	static const char prefix[] = "RamBlock/";
	uint64_t v = 0;
	size_t i = sizeof prefix - 1, digits = 0;

	if (strncmp(s, prefix, sizeof prefix - 1) != 0)
		return 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > HVS__LBIN_MAX_BLOCK)
			return -1;
	}
	if (digits == 0 || (digits > 1 && s[sizeof prefix - 1] == '0'))
		return -1;
	if (s[i] != '/' || s[i + 1] != '\0')
		return -1;
	*n = (uint32_t)v;
	return 1;
}

/* Sort helpers. */
static int cmp_block_n(const void *a, const void *b)
{
	const hvs__lbin_block *x = a, *y = b;
	return x->n < y->n ? -1 : x->n > y->n;
}

typedef struct extent {
	uint64_t off, len;
	uint32_t entry;  /* index slot, or UINT32_MAX for header/index/names */
	const char *what;
} extent;

static int cmp_extent(const void *a, const void *b)
{
	const extent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Header (format.md 8): size -> magic -> version -> field ranges. */
static hvs_status parse_header(hvs__legacy_bin *b)
{
	uint8_t h[HVS__LBIN_HEADER_LEN];
	uint64_t index_len, index_end, names_end;

	if (b->file_size < HVS__LBIN_HEADER_LEN)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: file of %" PRIu64
				   " bytes is shorter than the 0x28-byte header",
				   b->file_size);
	HVS_TRY(src_read(b, 0, h, sizeof h, "header"));
	/* The magic is the only signature the format has (no checksum, no
	 * header copy, unlike HyperVStorage), so it is checked first. */
	if (hvs__le32(h + HVS__LBIN_OFF_MAGIC) != HVS__LBIN_MAGIC)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: header at file offset 0: magic 0x%08X, "
				   "expected 0x%08X",
				   hvs__le32(h), HVS__LBIN_MAGIC);
	b->version = hvs__le32(h + HVS__LBIN_OFF_VERSION);
	b->unknown08 = hvs__le32(h + HVS__LBIN_OFF_UNKNOWN08);
	b->index_cap = hvs__le32(h + HVS__LBIN_OFF_INDEX_CAP);
	b->index_off = hvs__le64(h + HVS__LBIN_OFF_INDEX_OFF);
	b->names_off = hvs__le64(h + HVS__LBIN_OFF_NAMES_OFF);
	b->names_cap = hvs__le32(h + HVS__LBIN_OFF_NAMES_CAP);
	b->names_used = hvs__le32(h + HVS__LBIN_OFF_NAMES_USED);

	/* Only 5.0 has been seen; another major version may lay out the
	 * index differently. */
	if ((b->version >> 8) != 5)
		return hvs__err_set(&b->err, HVS_E_UNSUPPORTED,
				    "legacy .bin: header at file offset 0x4: version "
				    "0x%04X, only 0x05xx is known",
				    b->version);
	/* Capacity first, against a fixed cap, so that the multiplication
	 * below cannot overflow and the later allocation stays bounded even
	 * before it is compared with the file size. */
	if (b->index_cap > HVS__LBIN_MAX_ENTRIES)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: header at file offset 0xC: index "
				   "capacity %u above the limit %u",
				   b->index_cap, HVS__LBIN_MAX_ENTRIES);
	index_len = (uint64_t)b->index_cap * HVS__LBIN_E_SIZE;
	if (hvs__add_u64(b->index_off, index_len, &index_end) ||
	    b->index_off < HVS__LBIN_HEADER_LEN || index_end > b->file_size)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: header at file offset 0x10: index "
				   "[0x%" PRIx64 ", +0x%" PRIx64 ") outside the file "
				   "(0x28..0x%" PRIx64 ")",
				   b->index_off, index_len, b->file_size);
	/* Only the used part of the name table is read; the capacity only
	 * reserves file space (0x4000 for 0xD5A used in the sample). */
	if (b->names_cap > HVS__LBIN_MAX_NAMES || b->names_used > b->names_cap)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: header at file offset 0x20: name "
				   "table uses %u of %u bytes (limit %u)",
				   b->names_used, b->names_cap, HVS__LBIN_MAX_NAMES);
	if (hvs__add_u64(b->names_off, b->names_cap, &names_end) ||
	    b->names_off < HVS__LBIN_HEADER_LEN || names_end > b->file_size)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: header at file offset 0x18: name "
				   "table [0x%" PRIx64 ", +0x%x) outside the file "
				   "(0x28..0x%" PRIx64 ")",
				   b->names_off, b->names_cap, b->file_size);
	/* Two half-open ranges overlap iff each starts before the other ends. */
	if (b->index_off < names_end && b->names_off < index_end)
		return HVS_CORRUPT(&b->err,
				   "legacy .bin: index [0x%" PRIx64 ", 0x%" PRIx64
				   ") and name table [0x%" PRIx64 ", 0x%" PRIx64
				   ") overlap",
				   b->index_off, index_end, b->names_off, names_end);
	return HVS_OK;
}

/* Report a non-fatal finding to the problem sink, if any. */
static void problem(const hvs_open_opts *o, uint64_t off, const char *msg)
{
	if (o && o->problem)
		o->problem(o->problem_ud, HVS_E_UNSUPPORTED, off, msg);
}

/* Parse the index and name table into b->blocks. */
static hvs_status parse_index(hvs__legacy_bin *b, const hvs_open_opts *o)
{
	uint8_t *index = NULL;
	char *names = NULL;
	extent *ext = NULL;
	size_t next = 0, i, cap_blocks = 0;
	hvs_status st = HVS_OK;

	/* The sizes were bounded by parse_header (capacity cap and file size),
	 * so these allocations are proportional to what the file holds. */
	index = hvs__malloc(&b->alloc, (size_t)b->index_cap * HVS__LBIN_E_SIZE);
	names = hvs__malloc(&b->alloc, (size_t)b->names_used + 1);
	/* Header, index, name table and one extent per used entry. */
	ext = hvs__calloc(&b->alloc, (size_t)b->index_cap + 3, sizeof *ext);
	if (!index || !names || !ext) {
		st = hvs__err_set(&b->err, HVS_E_NOMEM,
				  "legacy .bin: no memory for an index of %u entries",
				  b->index_cap);
		goto out;
	}
	st = src_read(b, b->index_off, index,
		      (size_t)b->index_cap * HVS__LBIN_E_SIZE, "index");
	if (st == HVS_OK)
		st = src_read(b, b->names_off, names, b->names_used, "name table");
	if (st != HVS_OK)
		goto out;
	/* A final NUL so that strlen() on any name stops inside the buffer,
	 * whatever the table holds. */
	names[b->names_used] = '\0';

	/* Zero-length regions cannot overlap anything and would confuse the
	 * neighbour comparison below, so they are left out. */
	ext[next++] = (extent){ 0, HVS__LBIN_HEADER_LEN, UINT32_MAX, "header" };
	if (b->index_cap)
		ext[next++] = (extent){ b->index_off,
					(uint64_t)b->index_cap * HVS__LBIN_E_SIZE,
					UINT32_MAX, "index" };
	if (b->names_cap)
		ext[next++] = (extent){ b->names_off, b->names_cap, UINT32_MAX,
					"name table" };

	for (i = 0; i < b->index_cap; i++) {
		const uint8_t *e = index + i * HVS__LBIN_E_SIZE;
		uint64_t eoff = b->index_off + i * HVS__LBIN_E_SIZE, end;
		uint32_t name_off = hvs__le32(e + HVS__LBIN_E_NAME_OFF);
		uint32_t name_len = hvs__le16(e + HVS__LBIN_E_NAME_LEN);
		uint32_t alloc = hvs__le32(e + HVS__LBIN_E_ALLOC);
		uint32_t data = hvs__le32(e + HVS__LBIN_E_DATA);
		uint64_t off = hvs__le64(e + HVS__LBIN_E_FILE_OFF);
		const char *name;
		uint32_t n = 0;
		int kind;
		size_t j;

		/* Unused slots are all zero (format.md 8). */
		for (j = 0; j < HVS__LBIN_E_SIZE && !e[j]; j++)
			;
		if (j == HVS__LBIN_E_SIZE)
			continue;
		b->used_entries++;
		/* Name: inside the used bytes, at least one character + NUL. */
		if (name_len < 2 || name_len > HVS__LBIN_MAX_NAME ||
		    name_off > b->names_used || name_len > b->names_used - name_off) {
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: index entry %zu at file offset 0x%" PRIx64
					 ": name [0x%x, +%u) outside the %u used bytes of "
					 "the name table (length 2..%u)",
					 i, eoff, name_off, name_len, b->names_used,
					 HVS__LBIN_MAX_NAME);
			goto out;
		}
		name = names + name_off;
		/* The stored length must be exact: a NUL earlier than the end
		 * would hide bytes, a missing one would run into the next name. */
		if (name[name_len - 1] != '\0' || strlen(name) != name_len - 1) {
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: index entry %zu at file offset 0x%" PRIx64
					 ": name at name-table offset 0x%x is not a "
					 "%u-byte NUL-terminated string",
					 i, eoff, name_off, name_len);
			goto out;
		}
		/* Printable ASCII only: the names are key paths written by
		 * Hyper-V, and messages quote them. */
		for (j = 0; j + 1 < name_len; j++) {
			if ((unsigned char)name[j] < 0x20 || (unsigned char)name[j] > 0x7E) {
				st = HVS_CORRUPT(&b->err,
						 "legacy .bin: index entry %zu at file offset "
						 "0x%" PRIx64 ": name byte %zu is 0x%02X, not "
						 "printable ASCII",
						 i, eoff, j, (unsigned char)name[j]);
				goto out;
			}
		}
		/* The data size is what the decoder reads; the allocated size
		 * is what the blob occupies (data rounded up to 4 KiB in the
		 * sample).  Both are needed: data for reading, allocation for
		 * the overlap check. */
		if (data == 0 || data > alloc || data > HVS__LBIN_MAX_STREAM) {
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: index entry %zu (%s) at file offset 0x%" PRIx64
					 ": data size %u not in 1..allocated size %u (limit %u)",
					 i, name, eoff, data, alloc, HVS__LBIN_MAX_STREAM);
			goto out;
		}
		/* Blobs start after the 4 KiB header page (0x1000 for the first
		 * blob of the sample). */
		if (hvs__add_u64(off, alloc, &end) || off < HVS__LBIN_HEADER_AREA ||
		    end > b->file_size) {
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: index entry %zu (%s) at file offset 0x%" PRIx64
					 ": blob [0x%" PRIx64 ", +0x%x) outside 0x1000..0x%" PRIx64,
					 i, name, eoff, off, alloc, b->file_size);
			goto out;
		}
		ext[next++] = (extent){ off, alloc, (uint32_t)i, NULL };

		/* Every used entry's region joined the overlap check above,
		 * whatever its name; only RamBlocks become blocks. */
		kind = parse_name(name, &n);
		if (kind < 0) {
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: index entry %zu at file offset 0x%" PRIx64
					 ": name \"%s\" is not RamBlock/<n>/ with n in "
					 "0..%u",
					 i, eoff, name, HVS__LBIN_MAX_BLOCK);
			goto out;
		}
		if (kind == 0) {
			char msg[HVS_ERRMSG_MAX];
			snprintf(msg, sizeof msg,
				 "legacy .bin: index entry %zu: blob \"%s\" is not a "
				 "RamBlock; ignored",
				 i, name);
			problem(o, eoff, msg);
			continue;
		}
		st = hvs__grow(&b->alloc, (void **)&b->blocks, &cap_blocks,
			       b->nblocks + 1, sizeof *b->blocks);
		if (st != HVS_OK) {
			hvs__err_set(&b->err, st, "legacy .bin: no memory for blocks");
			goto out;
		}
		b->blocks[b->nblocks].n = n;
		b->blocks[b->nblocks].entry = (uint32_t)i;
		b->blocks[b->nblocks].data_size = data;
		b->blocks[b->nblocks].alloc_size = alloc;
		b->blocks[b->nblocks].off = off;
		b->nblocks++;
		if (data > b->max_data)
			b->max_data = data;
	}

	/* No two regions may share a byte: sort by offset, compare neighbours. */
	qsort(ext, next, sizeof *ext, cmp_extent);
	for (i = 1; i < next; i++) {
		const extent *a = &ext[i - 1], *c = &ext[i];
		if (a->off + a->len > c->off) {
			char an[48], cn[48];
			if (a->what)
				snprintf(an, sizeof an, "%s", a->what);
			else
				snprintf(an, sizeof an, "blob of index entry %u", a->entry);
			if (c->what)
				snprintf(cn, sizeof cn, "%s", c->what);
			else
				snprintf(cn, sizeof cn, "blob of index entry %u", c->entry);
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: %s [0x%" PRIx64 ", 0x%" PRIx64
					 ") overlaps %s at file offset 0x%" PRIx64,
					 an, a->off, a->off + a->len, cn, c->off);
			goto out;
		}
	}

	/* Sorted by block number; a number may appear once. */
	if (b->nblocks)
		qsort(b->blocks, b->nblocks, sizeof *b->blocks, cmp_block_n);
	for (i = 1; i < b->nblocks; i++) {
		if (b->blocks[i].n == b->blocks[i - 1].n) {
			st = HVS_CORRUPT(&b->err,
					 "legacy .bin: RamBlock/%u/ appears twice (index "
					 "entries %u at file offset 0x%" PRIx64 " and %u)",
					 b->blocks[i].n, b->blocks[i].entry,
					 b->index_off + (uint64_t)b->blocks[i].entry *
								HVS__LBIN_E_SIZE,
					 b->blocks[i - 1].entry);
			goto out;
		}
	}
out:
	hvs__free(&b->alloc, index);
	hvs__free(&b->alloc, names);
	hvs__free(&b->alloc, ext);
	return st;
}

hvs_status hvs__legacy_bin_open(hvs__legacy_bin **out, const hvs_source *src,
				const hvs_open_opts *o)
{
	hvs__alloc a;
	hvs__legacy_bin *b;
	hvs_status st;

	*out = NULL;
	if (!src || !src->read_at || !src->size)
		return HVS_E_INVALID;
	/* The handle itself comes from the caller's allocator too, so OOM
	 * tests can fail its allocation as well. */
	hvs__alloc_init(&a, o ? o->alloc : NULL);
	b = hvs__calloc(&a, 1, sizeof *b);
	if (!b) {
		if (o && o->errbuf && o->errbuf_size)
			snprintf(o->errbuf, o->errbuf_size,
				 "legacy .bin: no memory for the handle");
		return HVS_E_NOMEM;
	}
	b->alloc = a;
	b->src = *src;
	/* Every range check compares with this size, read once: a source
	 * that shrinks later gives short reads, reported by src_read(). */
	b->file_size = src->size(src->ud);
	st = parse_header(b);
	if (st == HVS_OK)
		st = parse_index(b, o);
	if (st != HVS_OK) {
		if (o && o->errbuf)
			hvs__err_copyout(&b->err, o->errbuf, o->errbuf_size);
		hvs__legacy_bin_close(b);
		return st;
	}
	*out = b;
	return HVS_OK;
}

void hvs__legacy_bin_close(hvs__legacy_bin *b)
{
	if (!b)
		return;
	hvs__free(&b->alloc, b->blocks);
	hvs__free(&b->alloc, b->buf);
	hvs__free(&b->alloc, b);
}

/* Binary search: blocks are sorted by number and unique (checked at open). */
const hvs__lbin_block *hvs__legacy_bin_find(const hvs__legacy_bin *b,
					    uint32_t n)
{
	size_t lo = 0, hi = b->nblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->blocks[mid].n == n)
			return &b->blocks[mid];
		if (b->blocks[mid].n < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Blocks are 1 MiB each (format.md 8: block n = RAM-sequence pages
 * [256 n, 256 n + 256)); 252 blocks give the DLL's 264,241,152 bytes. */
uint64_t hvs__legacy_bin_raw_size(const hvs__legacy_bin *b)
{
	return (uint64_t)b->nblocks * HVS__RAMBLOCK_SIZE;
}

hvs_status hvs__legacy_bin_stream(hvs__legacy_bin *b, uint32_t n,
				  const uint8_t **data, size_t *len)
{
	const hvs__lbin_block *blk = hvs__legacy_bin_find(b, n);
	char what[48];

	if (!blk)
		return hvs__err_set(&b->err, HVS_E_NOTFOUND,
				    "legacy .bin: no RamBlock/%u/", n);
	if (!b->buf) {
		/* One buffer for every block: the largest stream, which open
		 * capped at HVS__LBIN_MAX_STREAM and checked against the file. */
		b->buf = hvs__malloc(&b->alloc, b->max_data);
		if (!b->buf)
			return hvs__err_set(&b->err, HVS_E_NOMEM,
					    "legacy .bin: no memory for a %u-byte stream",
					    b->max_data);
	}
	snprintf(what, sizeof what, "RamBlock/%u/", n);
	HVS_TRY(src_read(b, blk->off, b->buf, blk->data_size, what));
	*data = b->buf;
	*len = blk->data_size;
	return HVS_OK;
}

hvs_status hvs__legacy_bin_read_block(hvs__legacy_bin *b, uint32_t n,
				      uint8_t *out, hvs__ramblock_stats *stats)
{
	const uint8_t *data;
	size_t len;
	hvs_status st;

	HVS_TRY(hvs__legacy_bin_stream(b, n, &data, &len));
	/* Offsets in codec messages become file offsets (base = blob offset). */
	st = hvs__ramblock_decode(data, len, out, hvs__legacy_bin_find(b, n)->off,
				  stats, &b->err);
	if (st != HVS_OK)
		hvs__err_prefix(&b->err, st, "legacy .bin: RamBlock/%u/", n);
	return st;
}
