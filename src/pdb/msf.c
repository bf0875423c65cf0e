/* SPDX-License-Identifier: MIT */
/*
 * The MSF 7.0 container of a PDB: superblock, stream directory and streams
 * (docs/format/pdb.md sections 1-2), plus opening and closing the handle.
 *
 * An MSF file is an array of fixed-size blocks.  Block 0 holds the
 * superblock; the stream directory (stream count, stream sizes, then each
 * stream's block numbers) is itself scattered over blocks whose numbers are
 * listed in further blocks, the "block map".  The superblock names those
 * block-map blocks at offset 52: one for ordinary PDBs, several when the
 * directory is large ("big MSF", microsoft-pdb msf.cpp BIGMSF_HDR.mpspnpnSt).
 *
 * Streams are loaded lazily, each into one contiguous range: a pointer into
 * the mapped file when its blocks happen to be consecutive, else a heap
 * copy assembled block by block.  Every block number is checked against the
 * superblock's block count and the file size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdb/pdb_int.h"
#include "util/platform.h"
#include "util/source.h"

/* "Microsoft C/C++ MSF 7.00\r\n" 0x1A "DS" 0 0 0 (LLVM docs, MsfFile). */
static const uint8_t msf7_magic[32] = {
	'M', 'i', 'c', 'r', 'o', 's', 'o', 'f', 't', ' ', 'C', '/', 'C', '+',
	'+', ' ', 'M', 'S', 'F', ' ', '7', '.', '0', '0', '\r', '\n', 0x1a,
	'D', 'S', 0, 0, 0};

/* The old (PDB 2.0, "JG") format's magic prefix, to say why we refuse it. */
static const char msf2_magic[] = "Microsoft C/C++ program database 2.00";

/* Superblock field offsets. */
enum {
	SB_BLOCK_SIZE = 32,
	SB_FPM_BLOCK = 36,
	SB_NUM_BLOCKS = 40,
	SB_DIR_BYTES = 44,
	SB_UNKNOWN = 48,
	SB_BLOCK_MAP = 52, /* u32 array: block numbers of the block map */
	SB_SIZE = 56
};

/* ------------------------------------------------------------- reading */

/* Read @len bytes at file offset @off into @buf: from the map or the source. */
static hvs_status file_read(hvs_pdb *pdb, uint64_t off, void *buf, size_t len,
			    const char *what)
{
	size_t done = 0;
	hvs_status s;

	if (!hvs__in_bounds(off, len, pdb->file_size))
		return HVS_CORRUPT(&pdb->err,
				   "%s: %zu bytes at file offset %" PRIu64
				   " run past the end of the file (%" PRIu64 ")",
				   what, len, off, pdb->file_size);
	if (pdb->map) {
		memcpy(buf, pdb->map + off, len);
		return HVS_OK;
	}
	s = pdb->src.read_at(pdb->src.ud, off, buf, len, &done);
	if (s == HVS_OK && done == len)
		return HVS_OK;
	if (s == HVS_E_IO)
		return hvs__err_set(&pdb->err, HVS_E_IO,
				    "%s: read error at file offset %" PRIu64,
				    what, off);
	return HVS_CORRUPT(&pdb->err,
			   "%s: short read at file offset %" PRIu64 " (%zu of %zu bytes)",
			   what, off, done, len);
}

/* Check block number @b (named by @what, entry @i) against the file. */
static hvs_status check_block(hvs_pdb *pdb, uint32_t b, const char *what,
			      uint32_t i)
{
	uint64_t end;

	if (b >= pdb->nblocks)
		return HVS_CORRUPT(&pdb->err,
				   "%s: block %u (entry %u) is past the block count %u",
				   what, b, i, pdb->nblocks);
	end = ((uint64_t)b + 1) * pdb->bsize;
	if (end > pdb->file_size)
		return HVS_CORRUPT(&pdb->err,
				   "%s: block %u (entry %u) ends at file offset %" PRIu64
				   ", past the end of the file (%" PRIu64 ")",
				   what, b, i, end, pdb->file_size);
	return HVS_OK;
}

static uint32_t blocks_for(const hvs_pdb *pdb, uint32_t bytes)
{
	return (uint32_t)(((uint64_t)bytes + pdb->bsize - 1) / pdb->bsize);
}

/* ------------------------------------------------------------ open path */

/* Parse the superblock and read the stream directory through the block map. */
static hvs_status load_directory(hvs_pdb *pdb)
{
	uint8_t sb[SB_SIZE];
	uint8_t *sbblock = NULL, *map = NULL;
	uint32_t ndir, nmapblocks, i, bs;
	uint64_t maplen;
	hvs_status s;

	if (pdb->file_size < SB_SIZE) {
		return hvs__err_set(&pdb->err, HVS_E_UNSUPPORTED,
				    "superblock: file is %" PRIu64
				    " bytes, too small for an MSF 7.0 superblock (%d)",
				    pdb->file_size, SB_SIZE);
	}
	HVS_TRY(file_read(pdb, 0, sb, sizeof sb, "superblock"));
	if (memcmp(sb, msf7_magic, sizeof msf7_magic) != 0) {
		if (memcmp(sb, msf2_magic, sizeof msf2_magic - 1) == 0)
			return hvs__err_set(&pdb->err, HVS_E_UNSUPPORTED,
					    "superblock: a PDB 2.0 (MSF 2) file; only MSF 7.0 is read");
		return hvs__err_set(&pdb->err, HVS_E_UNSUPPORTED,
				    "superblock: no MSF 7.0 magic at file offset 0");
	}
	bs = hvs__le32(sb + SB_BLOCK_SIZE);
	/* Powers of two from 512 (LLVM docs); newer linkers use up to 64 KiB
	 * blocks for PDBs larger than 4 GiB with 4 KiB blocks. */
	if (bs < 512 || bs > 65536 || (bs & (bs - 1)) != 0)
		return HVS_CORRUPT(&pdb->err,
				   "superblock: block size %u at offset %d is not a power of two in 512..65536",
				   bs, SB_BLOCK_SIZE);
	pdb->bsize = bs;
	pdb->nblocks = hvs__le32(sb + SB_NUM_BLOCKS);
	pdb->dir_size = hvs__le32(sb + SB_DIR_BYTES);
	if (pdb->nblocks == 0)
		return HVS_CORRUPT(&pdb->err, "superblock: block count at offset %d is 0",
				   SB_NUM_BLOCKS);
	/* A file shorter than its block count promises is truncated. */
	if ((uint64_t)pdb->nblocks * bs > pdb->file_size)
		return HVS_CORRUPT(&pdb->err,
				   "superblock: %u blocks of %u bytes need %" PRIu64
				   " bytes, the file has %" PRIu64 " (truncated?)",
				   pdb->nblocks, bs, (uint64_t)pdb->nblocks * bs,
				   pdb->file_size);
	if (pdb->dir_size < 4 || pdb->dir_size > pdb->file_size)
		return HVS_CORRUPT(&pdb->err,
				   "superblock: directory size %u at offset %d is not in 4..file size %" PRIu64,
				   pdb->dir_size, SB_DIR_BYTES, pdb->file_size);

	/* The block map: ndir u32 block numbers, on nmapblocks blocks whose
	 * numbers follow in the superblock's block from offset 52. */
	ndir = blocks_for(pdb, pdb->dir_size);
	maplen = (uint64_t)ndir * 4;
	nmapblocks = (uint32_t)((maplen + bs - 1) / bs);
	if (SB_BLOCK_MAP + (uint64_t)nmapblocks * 4 > bs)
		return HVS_CORRUPT(&pdb->err,
				   "superblock: directory of %u bytes needs %u block-map blocks, more than block 0 can list",
				   pdb->dir_size, nmapblocks);
	sbblock = hvs__malloc(&pdb->alloc, bs);
	map = hvs__malloc(&pdb->alloc, (size_t)nmapblocks * bs);
	pdb->dir = hvs__malloc(&pdb->alloc, (size_t)ndir * bs);
	if (!sbblock || !map || !pdb->dir) {
		s = hvs__err_set(&pdb->err, HVS_E_NOMEM, "directory: out of memory");
		goto out;
	}
	s = file_read(pdb, 0, sbblock, bs, "superblock");
	if (s)
		goto out;
	for (i = 0; i < nmapblocks; i++) {
		uint32_t b = hvs__le32(sbblock + SB_BLOCK_MAP + 4 * i);
		s = check_block(pdb, b, "block map", i);
		if (s)
			goto out;
		s = file_read(pdb, (uint64_t)b * bs, map + (size_t)i * bs, bs,
			      "block map");
		if (s)
			goto out;
	}
	for (i = 0; i < ndir; i++) {
		uint32_t b = hvs__le32(map + 4 * (size_t)i);
		s = check_block(pdb, b, "stream directory", i);
		if (s)
			goto out;
		s = file_read(pdb, (uint64_t)b * bs, pdb->dir + (size_t)i * bs,
			      bs, "stream directory");
		if (s)
			goto out;
	}
out:
	hvs__free(&pdb->alloc, sbblock);
	hvs__free(&pdb->alloc, map);
	return s;
}

/* Decode the directory: stream count, sizes, and where each block list is. */
static hvs_status parse_directory(hvs_pdb *pdb)
{
	const uint8_t *d = pdb->dir;
	uint32_t n, i, pos;

	n = hvs__le32(d);
	if (n > PDB_MAX_STREAMS || 4 + (uint64_t)n * 4 > pdb->dir_size)
		return HVS_CORRUPT(&pdb->err,
				   "stream directory: stream count %u does not fit the %u-byte directory (cap %u)",
				   n, pdb->dir_size, PDB_MAX_STREAMS);
	pdb->nstreams = n;
	pdb->ssize = hvs__calloc(&pdb->alloc, n ? n : 1, sizeof *pdb->ssize);
	pdb->sfirst = hvs__calloc(&pdb->alloc, n ? n : 1, sizeof *pdb->sfirst);
	pdb->streams = hvs__calloc(&pdb->alloc, n ? n : 1, sizeof *pdb->streams);
	if (!pdb->ssize || !pdb->sfirst || !pdb->streams)
		return hvs__err_set(&pdb->err, HVS_E_NOMEM,
				    "stream directory: out of memory for %u streams", n);
	/* Sizes first, then the block lists in stream order: each list's
	 * position follows from the sizes before it, so it is computed once
	 * here and every list is bounded by the directory's end. */
	pos = 4 + n * 4;
	for (i = 0; i < n; i++) {
		uint32_t sz = hvs__le32(d + 4 + 4 * (size_t)i);
		uint64_t nb, end;
		/* 0xFFFFFFFF marks a deleted ("nil") stream: no blocks. */
		if (sz == 0xFFFFFFFFu)
			sz = 0;
		if ((uint64_t)sz > (uint64_t)pdb->nblocks * pdb->bsize)
			return HVS_CORRUPT(&pdb->err,
					   "stream directory: stream %u size %u exceeds the file's %u blocks",
					   i, sz, pdb->nblocks);
		nb = blocks_for(pdb, sz);
		end = pos + nb * 4;
		if (end > pdb->dir_size)
			return HVS_CORRUPT(&pdb->err,
					   "stream directory: block list of stream %u (%" PRIu64
					   " blocks for %u bytes) runs past the directory end (%u) at offset %u",
					   i, nb, sz, pdb->dir_size, pos);
		pdb->ssize[i] = sz;
		pdb->sfirst[i] = pos;
		pos = (uint32_t)end;
	}
	pdb->info.block_size = pdb->bsize;
	pdb->info.block_count = pdb->nblocks;
	pdb->info.stream_count = n;
	return HVS_OK;
}

uint32_t hvs__pdb_stream_size(const hvs_pdb *pdb, uint32_t idx)
{
	return idx < pdb->nstreams ? pdb->ssize[idx] : 0;
}

/* Load a stream on first use and keep it until close.  Its block list was
 * bounded by the directory at open; here each block number is checked
 * against the file before a byte is read. */
hvs_status hvs__pdb_stream(hvs_pdb *pdb, uint32_t idx, const char *what,
			   const uint8_t **data, uint32_t *size)
{
	pdb_stream *st;
	uint32_t sz, nb, i, bs = pdb->bsize;
	const uint8_t *list;
	uint8_t *buf;
	int contiguous = 1;
	hvs_status s;

	*data = NULL;
	*size = 0;
	if (idx >= pdb->nstreams)
		return HVS_CORRUPT(&pdb->err,
				   "%s: stream %u does not exist (the directory has %u)",
				   what, idx, pdb->nstreams);
	st = &pdb->streams[idx];
	sz = pdb->ssize[idx];
	if (st->loaded) {
		*data = st->data;
		*size = sz;
		return HVS_OK;
	}
	nb = blocks_for(pdb, sz);
	list = pdb->dir + pdb->sfirst[idx];
	for (i = 0; i < nb; i++) {
		uint32_t b = hvs__le32(list + 4 * (size_t)i);
		if (b >= pdb->nblocks ||
		    ((uint64_t)b + 1) * bs > pdb->file_size) {
			/* Format the stream's name only when it is needed. */
			char where[96];
			snprintf(where, sizeof where, "%s (stream %u)", what, idx);
			return check_block(pdb, b, where, i);
		}
		if (i && b != hvs__le32(list + 4 * (size_t)(i - 1)) + 1)
			contiguous = 0;
	}
	if (sz == 0) {
		st->loaded = 1;
		return HVS_OK;
	}
	/* lld-link and MSVC mostly write streams into consecutive blocks, so
	 * with a mapping most streams cost no copy at all. */
	if (pdb->map && contiguous) {
		/* Consecutive blocks: the mapped file already is the stream. */
		st->data = pdb->map + (uint64_t)hvs__le32(list) * bs;
	} else {
		buf = hvs__malloc(&pdb->alloc, sz);
		if (!buf)
			return hvs__err_set(&pdb->err, HVS_E_NOMEM,
					    "%s (stream %u): out of memory for %u bytes",
					    what, idx, sz);
		for (i = 0; i < nb; i++) {
			uint32_t b = hvs__le32(list + 4 * (size_t)i);
			uint32_t len = HVS__MIN(bs, sz - i * bs);
			s = file_read(pdb, (uint64_t)b * bs, buf + (size_t)i * bs,
				      len, what);
			if (s) {
				hvs__free(&pdb->alloc, buf);
				return s;
			}
		}
		st->owned = buf;
		st->data = buf;
	}
	st->loaded = 1;
	*data = st->data;
	*size = sz;
	return HVS_OK;
}

/* ---------------------------------------------------------- public API */

static void set_errbuf(const hvs_open_opts *o, const hvs__err *e)
{
	if (o && o->errbuf && o->errbuf_size)
		hvs__err_copyout(e, o->errbuf, o->errbuf_size);
}

/* Common open path once the input (map or source) is set up. */
static hvs_status open_common(hvs_pdb *pdb)
{
	hvs_status s;

	s = load_directory(pdb);
	if (!s)
		s = parse_directory(pdb);
	if (!s)
		s = hvs__pdb_load_info(pdb);
	if (!s)
		s = hvs__pdb_load_dbi(pdb);
	if (!s) {
		/* The TPI header is cheap; its record index is built later. */
		uint32_t m = pdb->info.machine;
		pdb->info.pointer_size = (m == 0x14c || m == 0x1c4 || m == 0x1c0) ? 4 : 8;
	}
	return s;
}

/* A zeroed handle with its allocator and the labels used in messages. */
static hvs_pdb *pdb_new(const hvs_open_opts *opts)
{
	hvs__alloc a;
	hvs_pdb *pdb;

	hvs__alloc_init(&a, opts ? opts->alloc : NULL);
	pdb = hvs__calloc(&a, 1, sizeof *pdb);
	if (!pdb)
		return NULL;
	pdb->alloc = a;
	pdb->gsi.label = "GSI";
	pdb->psi.label = "PSI";
	pdb->tpi.label = "TPI";
	pdb->ipi.label = "IPI";
	pdb->tpi.stream = PDB_STREAM_TPI;
	pdb->ipi.stream = PDB_STREAM_IPI;
	return pdb;
}

/* Open from a caller's source: always positional reads (never mapped),
 * since the source may be anything, not a file. */
hvs_status hvs_pdb_open(hvs_pdb **out, const hvs_source *src,
			const hvs_open_opts *opts)
{
	hvs_pdb *pdb;
	hvs_status s;

	if (!out || !src || !src->read_at || !src->size)
		return HVS_E_INVALID;
	*out = NULL;
	pdb = pdb_new(opts);
	if (!pdb)
		return HVS_E_NOMEM;
	pdb->src = *src;
	pdb->file_size = src->size(src->ud);
	s = open_common(pdb);
	if (s) {
		set_errbuf(opts, &pdb->err);
		hvs_pdb_close(pdb);
		return s;
	}
	*out = pdb;
	return HVS_OK;
}


/* Open by path: map the file where possible (one copy of the bytes, in the
 * page cache), else fall back to the file source. */
hvs_status hvs_pdb_open_file(hvs_pdb **out, const char *path,
			     const hvs_open_opts *opts)
{
	hvs_pdb *pdb;
	hvs_status s;

	if (!out || !path)
		return HVS_E_INVALID;
	*out = NULL;
	pdb = pdb_new(opts);
	if (!pdb)
		return HVS_E_NOMEM;
	/* Mapped read-only where the platform can (mmap, a file mapping on
	 * Windows), else through the file source. */
	if (!(opts && (opts->flags & HVS_PDB_OPEN_NO_MMAP)) &&
	    hvs__file_map(path, &pdb->map, &pdb->file_size) == 0) {
		s = open_common(pdb);
		goto done;
	}
	{
		char why[256];
		s = hvs__source_open_file_why(&pdb->src, path, why, sizeof why);
		if (s) {
			s = hvs__err_set(&pdb->err, s == HVS_E_NOMEM ? s : HVS_E_IO,
					 "%s: cannot open: %s", path, why);
			goto done;
		}
	}
	pdb->src_owned = 1;
	pdb->file_size = pdb->src.size(pdb->src.ud);
	s = open_common(pdb);
done:
	if (s) {
		set_errbuf(opts, &pdb->err);
		hvs_pdb_close(pdb);
		return s;
	}
	*out = pdb;
	return HVS_OK;
}

/* Release everything: loaded streams, indexes, the mapping or the source. */
void hvs_pdb_close(hvs_pdb *pdb)
{
	hvs__alloc a;
	uint32_t i;

	if (!pdb)
		return;
	a = pdb->alloc;
	hvs__pdb_free_tpi(pdb);
	hvs__pdb_free_syms(pdb);
	hvs__pdb_free_dbi(pdb);
	if (pdb->streams)
		for (i = 0; i < pdb->nstreams; i++)
			hvs__free(&a, pdb->streams[i].owned);
	hvs__free(&a, pdb->streams);
	hvs__free(&a, pdb->ssize);
	hvs__free(&a, pdb->sfirst);
	hvs__free(&a, pdb->dir);
	hvs__free(&a, pdb->scratch);
	hvs__file_unmap(pdb->map, pdb->file_size);
	if (pdb->src_owned)
		hvs_source_close(&pdb->src);
	hvs__free(&a, pdb);
}

const char *hvs_pdb_errmsg(const hvs_pdb *pdb)
{
	return pdb ? pdb->err.msg : "";
}

void hvs_pdb_get_info(const hvs_pdb *pdb, hvs_pdb_info *out)
{
	if (!pdb || !out)
		return;
	*out = pdb->info;
}

/* The symbol-store key: GUID fields as numbers, then the DBI age, which is
 * the age the image's RSDS record carries (the info stream's may be
 * higher after incremental links). */
hvs_status hvs_pdb_store_id(const hvs_pdb *pdb, char *buf, size_t size)
{
	const uint8_t *g;
	int n;

	if (!pdb || !buf)
		return HVS_E_INVALID;
	g = pdb->info.guid;
	/* Data1..3 are little-endian numbers printed as such, Data4 bytes in
	 * order; the age in hex without leading zeros (symstore layout). */
	n = snprintf(buf, size, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
		     hvs__le32(g), hvs__le16(g + 4), hvs__le16(g + 6), g[8], g[9],
		     g[10], g[11], g[12], g[13], g[14], g[15],
		     pdb->info.dbi_age ? pdb->info.dbi_age : pdb->info.age);
	if (n < 0 || (size_t)n >= size)
		return HVS_E_BUFSIZE;
	return HVS_OK;
}
