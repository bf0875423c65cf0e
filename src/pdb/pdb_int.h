/* SPDX-License-Identifier: MIT */
/*
 * Internals of the PDB reader, shared by its files:
 *   msf.c    the MSF 7.0 container: superblock, stream directory, streams,
 *            open/close (memory-mapped or positional reads)
 *   dbi.c    the PDB info stream and DBI (modules, section headers, section
 *            map, OMAP), segment:offset -> RVA
 *   sym.c    GSI/PSI hash tables, the symbol record stream, module streams
 *   tpi.c    TPI/IPI: record index, decoding, names index, fields, enums
 *   tname.c  type names (C and WinDbg styles), find-by-name, sizes by name
 * Format: docs/format/pdb.md.
 *
 * A stream, once loaded, is one contiguous byte range that stays valid
 * until the handle closes: a pointer into the mapped file when its blocks
 * are consecutive, else a heap copy.  Parsers check every record against
 * that range and then hand out pointers into it (names are checked to be
 * NUL-terminated inside their record first).
 */
#ifndef HVS_PDB_INT_H
#define HVS_PDB_INT_H

#include "hvs/pdb.h"
#include "util/util.h"

/* Fixed stream numbers (LLVM docs "PDB file format", "Stream indices"). */
enum {
	PDB_STREAM_OLD_DIR = 0,
	PDB_STREAM_INFO = 1,
	PDB_STREAM_TPI = 2,
	PDB_STREAM_DBI = 3,
	PDB_STREAM_IPI = 4,
	PDB_NIL_STREAM = 0xFFFF
};

/* Caps on what the file may ask of us (documented in docs/format/pdb.md). */
#define PDB_MAX_STREAMS 0x100000u      /* streams in the directory */
#define PDB_MAX_TYPES 0x4000000u       /* type records in one TPI/IPI */
#define PDB_MAX_FIELD_CONT 0x10000u    /* LF_INDEX continuations of one list */

/* A loaded stream. */
typedef struct pdb_stream {
	const uint8_t *data; /* NULL until loaded (or for an empty stream) */
	uint8_t *owned;      /* heap copy, or NULL when data points into the map */
	int loaded;
} pdb_stream;

/* A hash-table record list of the GSI or PSI (built on first use). */
typedef struct pdb_gsi {
	int loaded;
	hvs_status fail;       /* a load that failed, replayed with failmsg */
	char failmsg[HVS_ERRMSG_MAX];
	int present;           /* the stream exists */
	const uint8_t *hr;     /* hash records: {u32 off+1, u32 cref} */
	uint32_t nhr;
	uint32_t *bucket;      /* 4097 + 1 start indexes into hr, or NULL when
	                          the table has no buckets */
	const char *label;     /* "GSI" / "PSI" */
	uint16_t stream;
} pdb_gsi;

/* TPI or IPI: the record index and the name indexes. */
typedef struct pdb_tpi {
	int loaded;
	hvs_status fail;       /* a load that failed, replayed with failmsg */
	char failmsg[HVS_ERRMSG_MAX];
	int present;
	const char *label;     /* "TPI" / "IPI" */
	uint16_t stream;
	const uint8_t *data;   /* whole stream */
	uint32_t size;
	uint32_t version, hdr_size, begin, end;
	uint32_t *offs;        /* end - begin stream offsets of the records */
	/* Name indexes (open addressing, ti 0 = empty), built on first need:
	 * definitions of UDTs and enums by name and by unique name. */
	int names_built;
	uint32_t *by_name, *by_uname; /* pairs {ti, hash} */
	size_t names_cap;             /* slots (power of two) */
} pdb_tpi;

struct hvs_pdb {
	hvs__alloc alloc;
	hvs__err err;

	/* Input: a mapping of the whole file, or a source read positionally. */
	hvs_source src;
	int src_owned;
	const uint8_t *map;
	uint64_t file_size;

	/* MSF. */
	uint32_t bsize, nblocks, nstreams;
	uint8_t *dir;             /* the stream directory, NumDirectoryBytes */
	uint32_t dir_size;
	uint32_t *ssize;          /* per stream: size in bytes (nil -> 0) */
	uint32_t *sfirst;         /* per stream: offset of its block list in dir */
	pdb_stream *streams;

	hvs_pdb_info info;

	/* DBI. */
	const uint8_t *dbi;
	uint32_t dbi_size;
	uint16_t gsi_stream, psi_stream, symrec_stream;
	hvs_pdb_module *mods;
	hvs_pdb_section *secs;       /* final section headers */
	hvs_pdb_section *secs_orig;  /* pre-OMAP section headers, or NULL */
	uint32_t nsecs_orig;
	const uint8_t *segmap;       /* section map entries, 20 bytes each */
	const uint8_t *omap_from;    /* OMAP from source: {u32 from, u32 to} */
	uint32_t nomap_from;

	/* Symbols. */
	const uint8_t *symrec;
	uint32_t symrec_size;
	int symrec_loaded;
	pdb_gsi gsi, psi;

	pdb_tpi tpi, ipi;

	/* Scratch for names built while printing (hvs_pdb_type_name). */
	char *scratch;
	size_t scratch_cap;
};

/* ------------------------------------------------------------ msf.c */

/* Load stream @idx (once) and return its bytes; an empty or nil stream
 * gives size 0.  @what names it for messages ("DBI", "module 3"). */
hvs_status hvs__pdb_stream(hvs_pdb *pdb, uint32_t idx, const char *what,
			   const uint8_t **data, uint32_t *size);
/* Size of stream @idx (0 for nil or out of range). */
uint32_t hvs__pdb_stream_size(const hvs_pdb *pdb, uint32_t idx);

/* ------------------------------------------------------------ dbi.c */

/* Parse the PDB info stream and DBI at open. */
hvs_status hvs__pdb_load_info(hvs_pdb *pdb);
hvs_status hvs__pdb_load_dbi(hvs_pdb *pdb);
void hvs__pdb_free_dbi(hvs_pdb *pdb);

/* ------------------------------------------------------------ sym.c */

void hvs__pdb_free_syms(hvs_pdb *pdb);
/* Look up an S_UDT typedef in the globals: HVS_OK with its type index. */
hvs_status hvs__pdb_find_typedef(hvs_pdb *pdb, const char *name, uint32_t *ti);

/* ------------------------------------------------------------ tpi.c */

/* Load and index the TPI (or IPI when @ipi). */
hvs_status hvs__pdb_tpi_load(hvs_pdb *pdb, int ipi);
void hvs__pdb_free_tpi(hvs_pdb *pdb);
/* The record of type @ti: kind and payload (after the 4-byte prefix). */
hvs_status hvs__pdb_tpi_record(hvs_pdb *pdb, pdb_tpi *t, uint32_t ti,
			       uint16_t *leaf, const uint8_t **p, uint32_t *n);
/* Size of type @ti with forward references resolved (0 if unknown);
 * @depth guards against cycles. */
hvs_status hvs__pdb_type_size(hvs_pdb *pdb, uint32_t ti, unsigned depth,
			      uint64_t *size);
/* Index of a UDT/enum definition by name (HVS_E_NOTFOUND when none). */
hvs_status hvs__pdb_udt_by_name(hvs_pdb *pdb, const char *name, uint32_t *ti);
/* Name of a simple type (< 0x1000) in the C style and its size; NULL for
 * unknown kinds. */
const char *hvs__pdb_simple_name(uint32_t ti, uint64_t *size);
/* The IPI's LF_FUNC_ID / LF_MFUNC_ID @id -> its function type. */
hvs_status hvs__pdb_func_id_type(hvs_pdb *pdb, uint32_t id, uint32_t *ti);

/* Decode a numeric leaf at @p (n bytes available).  Returns 0 and sets
 * *val (sign-extended for signed leaves), *is_signed and *used, or -1
 * when the leaf is truncated or not an integer. */
int hvs__pdb_numeric(const uint8_t *p, size_t n, uint64_t *val, int *is_signed,
		     size_t *used);
/* A NUL-terminated string at @p within n bytes: 0 and *used (NUL
 * included), or -1 when there is no NUL. */
int hvs__pdb_cstr(const uint8_t *p, size_t n, const char **s, size_t *used);

/* Name hash used for the symbol hash tables (PDB "hashStringV1"). */
uint32_t hvs__pdb_hash_v1(const char *s, size_t len);

#endif
