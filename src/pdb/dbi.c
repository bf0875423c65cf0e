/* SPDX-License-Identifier: MIT */
/*
 * The PDB info stream (stream 1) and the DBI stream (stream 3): GUID, age
 * and signature; the module list, the section map, the optional debug
 * header with its section-header and OMAP streams; segment:offset -> RVA.
 * Format: docs/format/pdb.md sections 3-4 (LLVM docs PdbStream, DbiStream;
 * microsoft-pdb dbi.h for the header and module-info layouts).
 *
 * All of this is read at open: it is small (the module list of a kernel PDB
 * is a few hundred KiB) and every query needs the section headers.
 */
#include <string.h>

#include "pdb/pdb_int.h"

/* PDB info stream header. */
enum {
	INFO_VERSION = 0,
	INFO_SIGNATURE = 4,
	INFO_AGE = 8,
	INFO_GUID = 12,
	INFO_SIZE = 28
};

/* DBI header (64 bytes). */
enum {
	DBI_VERSION_SIGNATURE = 0, /* -1 for the "new" DBI */
	DBI_VERSION_HEADER = 4,
	DBI_AGE = 8,
	DBI_GSI_STREAM = 12,
	DBI_BUILD_NUMBER = 14,
	DBI_PSI_STREAM = 16,
	DBI_PDB_DLL_VERSION = 18,
	DBI_SYMREC_STREAM = 20,
	DBI_PDB_DLL_RBLD = 22,
	DBI_MODINFO_SIZE = 24,
	DBI_SECCONTR_SIZE = 28,
	DBI_SECMAP_SIZE = 32,
	DBI_SRCINFO_SIZE = 36,
	DBI_TSMAP_SIZE = 40,
	DBI_MFC_INDEX = 44,
	DBI_DBGHDR_SIZE = 48,
	DBI_EC_SIZE = 52,
	DBI_FLAGS = 56,
	DBI_MACHINE = 58,
	DBI_HDR_SIZE = 64
};

/* Module info record (fixed part, 64 bytes, then two names, 4-aligned). */
enum {
	MI_SC_SECTION = 4,  /* section contribution: u16 section */
	MI_SC_OFFSET = 8,   /*   i32 offset */
	MI_SC_SIZE = 12,    /*   i32 size */
	MI_FLAGS = 32,
	MI_STREAM = 34,
	MI_SYM_BYTES = 36,
	MI_C11_BYTES = 40,
	MI_C13_BYTES = 44,
	MI_FIXED = 64
};

/* Optional debug header slots (u16 stream numbers). */
enum {
	DBG_OMAP_FROM_SRC = 4,
	DBG_SECTION_HDR = 5,
	DBG_SECTION_HDR_ORIG = 10
};

#define SECHDR_SIZE 40
#define SEGMAP_ENTRY 20

/* Read the PDB info stream: version, signature, age and GUID (section 3). */
hvs_status hvs__pdb_load_info(hvs_pdb *pdb)
{
	const uint8_t *p;
	uint32_t n;

	HVS_TRY(hvs__pdb_stream(pdb, PDB_STREAM_INFO, "PDB info stream", &p, &n));
	if (n < INFO_SIZE)
		return HVS_CORRUPT(&pdb->err,
				   "PDB info stream (stream 1): %u bytes, the header needs %d",
				   n, INFO_SIZE);
	pdb->info.version = hvs__le32(p + INFO_VERSION);
	pdb->info.signature = hvs__le32(p + INFO_SIGNATURE);
	pdb->info.age = hvs__le32(p + INFO_AGE);
	memcpy(pdb->info.guid, p + INFO_GUID, 16);
	/* Versions before VC70 (20000404) have no GUID: those PDBs pair with
	 * an NB10 CodeView record by signature, which this reader does not do. */
	if (pdb->info.version < 20000404u)
		return hvs__err_set(&pdb->err, HVS_E_UNSUPPORTED,
				    "PDB info stream: version %u predates VC70 (20000404)",
				    pdb->info.version);
	return HVS_OK;
}

/* Parse @n section headers at @p into a new array. */
static hvs_status parse_sections(hvs_pdb *pdb, uint16_t stream, const char *what,
				 hvs_pdb_section **out, uint32_t *count)
{
	const uint8_t *p;
	uint32_t n, i, cnt;
	hvs_pdb_section *secs;

	*out = NULL;
	*count = 0;
	if (stream == PDB_NIL_STREAM)
		return HVS_OK;
	HVS_TRY(hvs__pdb_stream(pdb, stream, what, &p, &n));
	if (n % SECHDR_SIZE != 0)
		return HVS_CORRUPT(&pdb->err,
				   "%s (stream %u): %u bytes is not a whole number of %d-byte section headers",
				   what, stream, n, SECHDR_SIZE);
	cnt = n / SECHDR_SIZE;
	if (!cnt)
		return HVS_OK;
	secs = hvs__calloc(&pdb->alloc, cnt, sizeof *secs);
	if (!secs)
		return hvs__err_set(&pdb->err, HVS_E_NOMEM, "%s: out of memory", what);
	for (i = 0; i < cnt; i++) {
		const uint8_t *h = p + (size_t)i * SECHDR_SIZE;
		memcpy(secs[i].name, h, 8);
		secs[i].name[8] = 0;
		secs[i].virtual_size = hvs__le32(h + 8);
		secs[i].rva = hvs__le32(h + 12);
		secs[i].raw_size = hvs__le32(h + 16);
		secs[i].raw_offset = hvs__le32(h + 20);
		secs[i].characteristics = hvs__le32(h + 36);
	}
	*out = secs;
	*count = cnt;
	return HVS_OK;
}

/* Parse the module-info substream [@p, @p + @n) at DBI offset @base. */
static hvs_status parse_modules(hvs_pdb *pdb, const uint8_t *p, uint32_t n,
				uint32_t base)
{
	uint32_t pos = 0, cnt = 0, cap = n / MI_FIXED;

	if (!cap)
		return HVS_OK;
	pdb->mods = hvs__calloc(&pdb->alloc, cap, sizeof *pdb->mods);
	if (!pdb->mods)
		return hvs__err_set(&pdb->err, HVS_E_NOMEM, "DBI: out of memory for modules");
	while (pos < n) {
		hvs_pdb_module *m;
		size_t used1, used2;
		uint32_t end;

		if (n - pos < MI_FIXED || cnt >= cap)
			return HVS_CORRUPT(&pdb->err,
					   "DBI module info: module %u at DBI offset %u: %u bytes left, a record needs %d",
					   cnt, base + pos, n - pos, MI_FIXED);
		m = &pdb->mods[cnt];
		m->section = hvs__le16(p + pos + MI_SC_SECTION);
		m->offset = hvs__le32(p + pos + MI_SC_OFFSET);
		m->size = hvs__le32(p + pos + MI_SC_SIZE);
		m->stream = hvs__le16(p + pos + MI_STREAM);
		m->sym_bytes = hvs__le32(p + pos + MI_SYM_BYTES);
		if (hvs__pdb_cstr(p + pos + MI_FIXED, n - pos - MI_FIXED, &m->name,
				  &used1) ||
		    hvs__pdb_cstr(p + pos + MI_FIXED + used1,
				  n - pos - MI_FIXED - used1, &m->obj_name, &used2))
			return HVS_CORRUPT(&pdb->err,
					   "DBI module info: module %u at DBI offset %u: name runs past the substream end",
					   cnt, base + pos);
		if (m->stream != PDB_NIL_STREAM) {
			uint32_t ssz = hvs__pdb_stream_size(pdb, m->stream);
			if (m->stream >= pdb->nstreams || m->sym_bytes > ssz)
				return HVS_CORRUPT(&pdb->err,
						   "DBI module info: module %u (%s) at DBI offset %u: symbol stream %u with %u symbol bytes, the stream has %u",
						   cnt, m->name, base + pos, m->stream,
						   m->sym_bytes, ssz);
		}
		end = pos + MI_FIXED + (uint32_t)(used1 + used2);
		end = (end + 3) & ~3u; /* records are 4-byte aligned */
		pos = end > n ? n : end;
		cnt++;
	}
	pdb->info.module_count = cnt;
	return HVS_OK;
}

/* Read the DBI header and the substreams the reader uses (section 4): the
 * stream numbers of the symbol streams, the module list, the section map,
 * the section headers and OMAP.  Every substream size is checked against
 * the stream before any of them is parsed. */
hvs_status hvs__pdb_load_dbi(hvs_pdb *pdb)
{
	const uint8_t *p, *dbg = NULL;
	uint32_t n, pos, i, ndbg = 0;
	int32_t sz[7];
	static const int sz_off[7] = {DBI_MODINFO_SIZE, DBI_SECCONTR_SIZE,
				      DBI_SECMAP_SIZE,  DBI_SRCINFO_SIZE,
				      DBI_TSMAP_SIZE,   DBI_EC_SIZE,
				      DBI_DBGHDR_SIZE};
	static const char *const sz_name[7] = {"module info", "section contributions",
					       "section map", "source info",
					       "type server map", "EC",
					       "optional debug header"};
	uint32_t off[7];

	pdb->gsi_stream = pdb->psi_stream = pdb->symrec_stream = PDB_NIL_STREAM;
	if (hvs__pdb_stream_size(pdb, PDB_STREAM_DBI) == 0)
		return HVS_OK; /* a types-only PDB */
	HVS_TRY(hvs__pdb_stream(pdb, PDB_STREAM_DBI, "DBI", &p, &n));
	pdb->dbi = p;
	pdb->dbi_size = n;
	if (n < DBI_HDR_SIZE)
		return HVS_CORRUPT(&pdb->err, "DBI (stream 3): %u bytes, the header needs %d",
				   n, DBI_HDR_SIZE);
	if (hvs__le32(p + DBI_VERSION_SIGNATURE) != 0xFFFFFFFFu)
		return hvs__err_set(&pdb->err, HVS_E_UNSUPPORTED,
				    "DBI: old-format header (signature 0x%08x, not -1)",
				    hvs__le32(p + DBI_VERSION_SIGNATURE));
	pdb->info.dbi_age = hvs__le32(p + DBI_AGE);
	pdb->gsi_stream = hvs__le16(p + DBI_GSI_STREAM);
	pdb->psi_stream = hvs__le16(p + DBI_PSI_STREAM);
	pdb->symrec_stream = hvs__le16(p + DBI_SYMREC_STREAM);
	pdb->info.machine = hvs__le16(p + DBI_MACHINE);

	/* The substreams follow the header in this order (LLVM DbiStream). */
	pos = DBI_HDR_SIZE;
	for (i = 0; i < 7; i++) {
		sz[i] = (int32_t)hvs__le32(p + sz_off[i]);
		if (sz[i] < 0 || (uint32_t)sz[i] > n - pos)
			return HVS_CORRUPT(&pdb->err,
					   "DBI: %s substream size %d (header offset %d) runs past the stream end (%u) from offset %u",
					   sz_name[i], sz[i], sz_off[i], n, pos);
		off[i] = pos;
		pos += (uint32_t)sz[i];
	}
	HVS_TRY(parse_modules(pdb, p + off[0], (uint32_t)sz[0], off[0]));

	/* Section map: u16 count, u16 log count, 20-byte entries. */
	if (sz[2] >= 4) {
		uint32_t cnt = hvs__le16(p + off[2]);
		if ((uint64_t)cnt * SEGMAP_ENTRY > (uint32_t)sz[2] - 4)
			return HVS_CORRUPT(&pdb->err,
					   "DBI section map at DBI offset %u: %u entries do not fit %d bytes",
					   off[2], cnt, sz[2]);
		pdb->segmap = p + off[2] + 4;
		pdb->info.section_map_count = cnt;
	}

	/* Optional debug header: u16 stream numbers. */
	dbg = p + off[6];
	ndbg = (uint32_t)sz[6] / 2;
	if (ndbg > DBG_SECTION_HDR) {
		uint32_t cnt;
		HVS_TRY(parse_sections(pdb, hvs__le16(dbg + 2 * DBG_SECTION_HDR),
				       "section headers", &pdb->secs, &cnt));
		pdb->info.section_count = cnt;
	}
	/* OMAP: a PDB of a post-link-optimised image describes symbols in
	 * the original layout; the original section headers and the
	 * from-source map translate their RVAs (dbghelp does the same). */
	if (ndbg > DBG_SECTION_HDR_ORIG &&
	    hvs__le16(dbg + 2 * DBG_OMAP_FROM_SRC) != PDB_NIL_STREAM &&
	    hvs__le16(dbg + 2 * DBG_SECTION_HDR_ORIG) != PDB_NIL_STREAM) {
		uint16_t os = hvs__le16(dbg + 2 * DBG_OMAP_FROM_SRC);
		const uint8_t *o;
		uint32_t on;
		HVS_TRY(parse_sections(pdb, hvs__le16(dbg + 2 * DBG_SECTION_HDR_ORIG),
				       "original section headers", &pdb->secs_orig,
				       &pdb->nsecs_orig));
		HVS_TRY(hvs__pdb_stream(pdb, os, "OMAP from source", &o, &on));
		if (on % 8 != 0)
			return HVS_CORRUPT(&pdb->err,
					   "OMAP from source (stream %u): %u bytes is not a whole number of 8-byte entries",
					   os, on);
		for (i = 1; i < on / 8; i++)
			if (hvs__le32(o + 8 * (size_t)i) < hvs__le32(o + 8 * (size_t)(i - 1)))
				return HVS_CORRUPT(&pdb->err,
						   "OMAP from source (stream %u): entry %u at offset %u is out of order",
						   os, i, 8 * i);
		pdb->omap_from = o;
		pdb->nomap_from = on / 8;
	}
	return HVS_OK;
}

/* Free what hvs__pdb_load_dbi() allocated (the rest points into streams). */
void hvs__pdb_free_dbi(hvs_pdb *pdb)
{
	hvs__free(&pdb->alloc, pdb->mods);
	hvs__free(&pdb->alloc, pdb->secs);
	hvs__free(&pdb->alloc, pdb->secs_orig);
	pdb->mods = NULL;
	pdb->secs = pdb->secs_orig = NULL;
}

/* Public getters: the tables were checked at open, so only the index is. */
hvs_status hvs_pdb_module_get(const hvs_pdb *pdb, uint32_t i,
			      hvs_pdb_module *out)
{
	if (!pdb || !out || i >= pdb->info.module_count)
		return HVS_E_INVALID;
	*out = pdb->mods[i];
	return HVS_OK;
}

hvs_status hvs_pdb_section_get(const hvs_pdb *pdb, uint32_t i,
			       hvs_pdb_section *out)
{
	if (!pdb || !out || i >= pdb->info.section_count)
		return HVS_E_INVALID;
	*out = pdb->secs[i];
	return HVS_OK;
}

hvs_status hvs_pdb_segmap_get(const hvs_pdb *pdb, uint32_t i,
			      hvs_pdb_segmap *out)
{
	const uint8_t *e;

	if (!pdb || !out || i >= pdb->info.section_map_count)
		return HVS_E_INVALID;
	e = pdb->segmap + (size_t)i * SEGMAP_ENTRY;
	out->flags = hvs__le16(e);
	out->ovl = hvs__le16(e + 2);
	out->group = hvs__le16(e + 4);
	out->frame = hvs__le16(e + 6);
	out->sec_name = hvs__le16(e + 8);
	out->class_name = hvs__le16(e + 10);
	out->offset = hvs__le32(e + 12);
	out->length = hvs__le32(e + 16);
	return HVS_OK;
}

/* Map an original-layout RVA through OMAP: the last entry whose "from" is
 * at or below it gives the new address (0 when that code was dropped). */
static int omap_map(const hvs_pdb *pdb, uint32_t rva, uint32_t *out)
{
	uint32_t lo = 0, hi = pdb->nomap_from;
	const uint8_t *e;
	uint32_t to;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (hvs__le32(pdb->omap_from + 8 * (size_t)mid) <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	e = pdb->omap_from + 8 * (size_t)(lo - 1);
	to = hvs__le32(e + 4);
	if (to == 0)
		return -1;
	*out = to + (rva - hvs__le32(e));
	return 0;
}

/* segment:offset -> RVA through the final section headers, or through the
 * original headers and OMAP for a post-link-optimised image. */
hvs_status hvs_pdb_rva(const hvs_pdb *pdb, uint16_t segment, uint32_t offset,
		       uint32_t *rva)
{
	if (!pdb || !rva)
		return HVS_E_INVALID;
	if (pdb->omap_from && pdb->secs_orig) {
		if (segment == 0 || segment > pdb->nsecs_orig ||
		    offset > UINT32_MAX - pdb->secs_orig[segment - 1].rva)
			return HVS_E_NOTFOUND;
		if (omap_map(pdb, pdb->secs_orig[segment - 1].rva + offset, rva))
			return HVS_E_NOTFOUND;
		return HVS_OK;
	}
	if (segment == 0 || segment > pdb->info.section_count ||
	    offset > UINT32_MAX - pdb->secs[segment - 1].rva)
		return HVS_E_NOTFOUND;
	*rva = pdb->secs[segment - 1].rva + offset;
	return HVS_OK;
}
