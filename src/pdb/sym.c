/* SPDX-License-Identifier: MIT */
/*
 * Symbols: the global (GSI) and public (PSI) symbol hash tables, the symbol
 * record stream they point into, and the module symbol streams that
 * procedure references lead to.  Format: docs/format/pdb.md section 5
 * (LLVM docs GlobalStream, PublicStream, CodeViewSymbols; record layouts
 * and S_* numbers from microsoft-pdb cvinfo.h).
 *
 * Lookups by name use the tables' own buckets: a name hashes (PDB hash
 * "V1", see hvs__pdb_hash_v1) to one of 4096 buckets whose records are
 * compared exactly, so a first query touches a handful of records rather
 * than building an index.  The bucket table is decoded and checked once,
 * when the stream is first used.
 */
#include <stdio.h>
#include <string.h>

#include "pdb/pdb_int.h"

/* Symbol record kinds (cvinfo.h SYM_ENUM_e). */
enum {
	S_CONSTANT = 0x1107,
	S_UDT = 0x1108,
	S_LDATA32 = 0x110c,
	S_GDATA32 = 0x110d,
	S_PUB32 = 0x110e,
	S_LPROC32 = 0x110f,
	S_GPROC32 = 0x1110,
	S_LTHREAD32 = 0x1112,
	S_GTHREAD32 = 0x1113,
	S_PROCREF = 0x1125,
	S_LPROCREF = 0x1127,
	S_LPROC32_ID = 0x1146,
	S_GPROC32_ID = 0x1147
};

/* GSI hash header and table geometry (LLVM docs GlobalStream;
 * microsoft-pdb gsi.h: IPHR_HASH buckets, 12-byte in-memory records that
 * the on-disk bucket offsets count in). */
enum {
	GSI_SIGNATURE = 0,
	GSI_VERSION = 4,
	GSI_HR_SIZE = 8,
	GSI_BUCKETS_SIZE = 12,
	GSI_HDR = 16,
	IPHR_HASH = 4096,
	BUCKET_BITMAP_BYTES = ((IPHR_HASH + 1 + 31) / 32) * 4,
	HR_MEMSIZE = 12,
	PSI_HDR = 28
};
#define GSI_VERSION_V70 (0xeffe0000u + 19990810u)

uint32_t hvs__pdb_hash_v1(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t h = 0;
	size_t i;

	/* XOR of the little-endian 32-bit words, then a 16-bit and an 8-bit
	 * tail; folded with the case bits set so that the hash ignores ASCII
	 * case (the tables are shared with case-insensitive lookups). */
	for (i = 0; i + 4 <= len; i += 4)
		h ^= hvs__le32(p + i);
	if (len - i >= 2) {
		h ^= hvs__le16(p + i);
		i += 2;
	}
	if (len - i == 1)
		h ^= p[i];
	h |= 0x20202020u;
	h ^= h >> 11;
	return h ^ (h >> 16);
}

/* -------------------------------------------------------------- loading */

static hvs_status load_symrec(hvs_pdb *pdb)
{
	if (pdb->symrec_loaded)
		return HVS_OK;
	if (pdb->symrec_stream == PDB_NIL_STREAM ||
	    pdb->symrec_stream >= pdb->nstreams)
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
				    "symbol records: the PDB has no symbol record stream");
	HVS_TRY(hvs__pdb_stream(pdb, pdb->symrec_stream, "symbol records",
				&pdb->symrec, &pdb->symrec_size));
	pdb->symrec_loaded = 1;
	return HVS_OK;
}

static hvs_status load_gsi_once(hvs_pdb *pdb, pdb_gsi *g);

/* Load once; a failure is remembered and replayed with its message. */
static hvs_status load_gsi(hvs_pdb *pdb, pdb_gsi *g)
{
	hvs_status s;

	if (g->fail)
		return hvs__err_set(&pdb->err, g->fail, "%s", g->failmsg);
	s = load_gsi_once(pdb, g);
	if (s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED) {
		g->fail = s;
		memcpy(g->failmsg, pdb->err.msg, sizeof g->failmsg);
	}
	return s;
}

/* Decode and check the hash table of the GSI or PSI. */
static hvs_status load_gsi_once(hvs_pdb *pdb, pdb_gsi *g)
{
	const uint8_t *p, *bm, *bv;
	uint32_t n, base, hr_size, b_size, i, k, nset = 0, next;
	uint16_t stream = g == &pdb->gsi ? pdb->gsi_stream : pdb->psi_stream;

	if (g->loaded)
		return g->present ? HVS_OK
				  : hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
						 "%s: the PDB has no %s stream", g->label,
						 g->label);
	g->stream = stream;
	if (stream == PDB_NIL_STREAM || stream >= pdb->nstreams) {
		g->loaded = 1;
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
				    "%s: the PDB has no %s stream", g->label, g->label);
	}
	HVS_TRY(load_symrec(pdb));
	HVS_TRY(hvs__pdb_stream(pdb, stream, g->label, &p, &n));
	base = 0;
	if (g == &pdb->psi) {
		/* The publics stream puts its own header first; its first
		 * field is the size of the hash table that follows. */
		if (n < PSI_HDR)
			return HVS_CORRUPT(&pdb->err, "PSI (stream %u): %u bytes, the header needs %d",
					   stream, n, PSI_HDR);
		if (hvs__le32(p) > n - PSI_HDR)
			return HVS_CORRUPT(&pdb->err,
					   "PSI header: hash size %u runs past the stream end (%u)",
					   hvs__le32(p), n);
		base = PSI_HDR;
		n = PSI_HDR + hvs__le32(p);
	}
	if (n - base < GSI_HDR)
		return HVS_CORRUPT(&pdb->err, "%s (stream %u): hash header truncated at offset %u",
				   g->label, stream, base);
	if (hvs__le32(p + base + GSI_SIGNATURE) != 0xFFFFFFFFu ||
	    hvs__le32(p + base + GSI_VERSION) != GSI_VERSION_V70)
		return hvs__err_set(&pdb->err, HVS_E_UNSUPPORTED,
				    "%s hash header at offset %u: signature 0x%08x version 0x%08x, expected 0xffffffff 0x%08x",
				    g->label, base, hvs__le32(p + base),
				    hvs__le32(p + base + 4), GSI_VERSION_V70);
	hr_size = hvs__le32(p + base + GSI_HR_SIZE);
	b_size = hvs__le32(p + base + GSI_BUCKETS_SIZE);
	if (hr_size % 8 != 0 || hr_size > n - base - GSI_HDR ||
	    b_size > n - base - GSI_HDR - hr_size)
		return HVS_CORRUPT(&pdb->err,
				   "%s hash header at offset %u: %u record bytes and %u bucket bytes do not fit the %u-byte stream",
				   g->label, base, hr_size, b_size, n);
	g->hr = p + base + GSI_HDR;
	g->nhr = hr_size / 8;
	/* Every record must point into the symbol record stream. */
	for (k = 0; k < g->nhr; k++) {
		uint32_t off = hvs__le32(g->hr + 8 * (size_t)k);
		if (off == 0 || off - 1 >= pdb->symrec_size || pdb->symrec_size - (off - 1) < 4)
			return HVS_CORRUPT(&pdb->err,
					   "%s hash record %u (stream offset %u): symbol offset %u is outside the %u-byte symbol record stream",
					   g->label, k, base + GSI_HDR + 8 * k, off - 1,
					   pdb->symrec_size);
	}
	if (b_size) {
		if (b_size < BUCKET_BITMAP_BYTES)
			return HVS_CORRUPT(&pdb->err,
					   "%s buckets: %u bytes, the bitmap alone needs %d",
					   g->label, b_size, BUCKET_BITMAP_BYTES);
		bm = g->hr + hr_size;
		bv = bm + BUCKET_BITMAP_BYTES;
		for (i = 0; i <= IPHR_HASH; i++)
			nset += (bm[i / 8] >> (i % 8)) & 1;
		if ((uint64_t)nset * 4 > b_size - BUCKET_BITMAP_BYTES)
			return HVS_CORRUPT(&pdb->err,
					   "%s buckets: %u non-empty buckets need %u bytes after the bitmap, %u present",
					   g->label, nset, nset * 4, b_size - BUCKET_BITMAP_BYTES);
		g->bucket = hvs__calloc(&pdb->alloc, IPHR_HASH + 2, sizeof *g->bucket);
		if (!g->bucket)
			return hvs__err_set(&pdb->err, HVS_E_NOMEM, "%s: out of memory", g->label);
		/* Backwards, so that an empty bucket starts (and ends) where
		 * the next non-empty one starts. */
		next = g->nhr;
		k = nset;
		g->bucket[IPHR_HASH + 1] = g->nhr;
		for (i = IPHR_HASH + 1; i-- > 0;) {
			if ((bm[i / 8] >> (i % 8)) & 1) {
				uint32_t v = hvs__le32(bv + 4 * (size_t)--k);
				if (v % HR_MEMSIZE != 0 || v / HR_MEMSIZE > next) {
					hvs__free(&pdb->alloc, g->bucket);
					g->bucket = NULL;
					return HVS_CORRUPT(&pdb->err,
							   "%s bucket %u: record offset %u is not a multiple of %d at or below %u",
							   g->label, i, v, HR_MEMSIZE,
							   next * HR_MEMSIZE);
				}
				next = v / HR_MEMSIZE;
			}
			g->bucket[i] = next;
		}
	}
	g->present = 1;
	g->loaded = 1;
	return HVS_OK;
}

/* Free the decoded bucket tables (records stay in their streams). */
void hvs__pdb_free_syms(hvs_pdb *pdb)
{
	hvs__free(&pdb->alloc, pdb->gsi.bucket);
	hvs__free(&pdb->alloc, pdb->psi.bucket);
	pdb->gsi.bucket = pdb->psi.bucket = NULL;
}

/* ------------------------------------------------------------- decoding */

static hvs_pdb_sym_kind kind_of(uint16_t rk)
{
	switch (rk) {
	case S_PUB32: return HVS_PDB_SYM_PUBLIC;
	case S_GDATA32: return HVS_PDB_SYM_GDATA;
	case S_LDATA32: return HVS_PDB_SYM_LDATA;
	case S_GPROC32:
	case S_GPROC32_ID: return HVS_PDB_SYM_GPROC;
	case S_LPROC32:
	case S_LPROC32_ID: return HVS_PDB_SYM_LPROC;
	case S_CONSTANT: return HVS_PDB_SYM_CONSTANT;
	case S_UDT: return HVS_PDB_SYM_UDT;
	case S_GTHREAD32: return HVS_PDB_SYM_GTHREAD;
	case S_LTHREAD32: return HVS_PDB_SYM_LTHREAD;
	default: return HVS_PDB_SYM_OTHER;
	}
}

/* Report a damaged symbol record with its stream, kind and offset. */
static hvs_status sym_corrupt(hvs_pdb *pdb, const char *where, uint32_t off,
			      uint16_t rk, const char *what)
{
	return HVS_CORRUPT(&pdb->err, "%s: symbol record 0x%04x at stream offset %u: %s",
			   where, rk, off, what);
}

/* Fill the size and RVA of a decoded symbol. */
static hvs_status finish_sym(hvs_pdb *pdb, const char *where, hvs_pdb_symbol *s)
{
	uint32_t rva;

	if (s->segment && hvs_pdb_rva(pdb, s->segment, s->offset, &rva) == HVS_OK) {
		s->has_rva = 1;
		s->rva = rva;
	}
	/* A data symbol's size is its type's: what ResolveSavedStateGlobal-
	 * VariableAddress returns.  Procedures carry their code length. */
	if ((HVS_PDB_SYMS_DATA >> s->kind) & 1) {
		hvs_status st = hvs__pdb_type_size(pdb, s->type_index, 0, &s->size);
		if (st == HVS_E_NOTFOUND) {
			/* No TPI: size unknown.  A TPI that lacks the index
			 * means the record is damaged. */
			if (pdb->tpi.present)
				return sym_corrupt(pdb, where, s->record_offset,
						   s->record_kind,
						   "type index out of range of the TPI");
			s->size = 0;
		} else if (st) {
			return st;
		}
	}
	return HVS_OK;
}

/* Decode the record at @off of a symbol stream [data, data + size). */
static hvs_status decode_sym(hvs_pdb *pdb, const char *where, const uint8_t *data,
			     uint32_t size, uint32_t off, hvs_pdb_symbol *s,
			     uint32_t *next)
{
	uint32_t len;
	const uint8_t *p;
	uint32_t n;
	size_t used;
	uint16_t rk;

	memset(s, 0, sizeof *s);
	s->name = "";
	s->module = UINT32_MAX;
	s->record_offset = off;
	if (off > size || size - off < 4)
		return HVS_CORRUPT(&pdb->err, "%s: symbol record at stream offset %u: header runs past the stream end (%u)",
				   where, off, size);
	len = hvs__le16(data + off);
	rk = hvs__le16(data + off + 2);
	if (len < 2 || len > size - off - 2)
		return HVS_CORRUPT(&pdb->err,
				   "%s: symbol record 0x%04x at stream offset %u: length %u runs past the stream end (%u)",
				   where, rk, off, len, size);
	if (next)
		*next = off + 2 + len;
	p = data + off + 4;
	n = len - 2;
	s->record_kind = rk;
	s->kind = kind_of(rk);
	switch (rk) {
	case S_PUB32:
	case S_GDATA32:
	case S_LDATA32:
	case S_GTHREAD32:
	case S_LTHREAD32:
		if (n < 10 || hvs__pdb_cstr(p + 10, n - 10, &s->name, &used))
			return sym_corrupt(pdb, where, off, rk, "record truncated or its name is not terminated");
		if (rk == S_PUB32)
			s->pub_flags = hvs__le32(p);
		else
			s->type_index = hvs__le32(p);
		s->offset = hvs__le32(p + 4);
		s->segment = hvs__le16(p + 8);
		break;
	case S_GPROC32:
	case S_LPROC32:
	case S_GPROC32_ID:
	case S_LPROC32_ID:
		if (n < 35 || hvs__pdb_cstr(p + 35, n - 35, &s->name, &used))
			return sym_corrupt(pdb, where, off, rk, "record truncated or its name is not terminated");
		s->size = hvs__le32(p + 12);
		s->type_index = hvs__le32(p + 24);
		s->offset = hvs__le32(p + 28);
		s->segment = hvs__le16(p + 32);
		/* The _ID forms name an LF_FUNC_ID in the IPI; report the
		 * function type it refers to. */
		if ((rk == S_GPROC32_ID || rk == S_LPROC32_ID) && s->type_index >= 0x1000) {
			uint32_t ti;
			hvs_status st = hvs__pdb_func_id_type(pdb, s->type_index, &ti);
			if (st == HVS_OK)
				s->type_index = ti;
			else if (st != HVS_E_NOTFOUND)
				return st;
		}
		break;
	case S_PROCREF:
	case S_LPROCREF:
		if (n < 10 || hvs__pdb_cstr(p + 10, n - 10, &s->name, &used))
			return sym_corrupt(pdb, where, off, rk, "record truncated or its name is not terminated");
		s->offset = hvs__le32(p + 4);   /* offset in the module stream */
		s->module = hvs__le16(p + 8);   /* 1-based module */
		break;
	case S_CONSTANT:
		if (n < 4 ||
		    hvs__pdb_numeric(p + 4, n - 4, &s->value, &s->value_signed, &used))
			return sym_corrupt(pdb, where, off, rk, "record truncated or value not an integer leaf");
		if (hvs__pdb_cstr(p + 4 + used, n - 4 - used, &s->name, &used))
			return sym_corrupt(pdb, where, off, rk, "name is not terminated");
		s->type_index = hvs__le32(p);
		break;
	case S_UDT:
		if (n < 4 || hvs__pdb_cstr(p + 4, n - 4, &s->name, &used))
			return sym_corrupt(pdb, where, off, rk, "record truncated or its name is not terminated");
		s->type_index = hvs__le32(p);
		break;
	default:
		break;
	}
	return HVS_OK;
}

/* Follow an S_PROCREF / S_LPROCREF to the procedure in its module stream. */
static hvs_status follow_procref(hvs_pdb *pdb, const hvs_pdb_symbol *ref,
				 hvs_pdb_symbol *out)
{
	const hvs_pdb_module *m;
	const uint8_t *d;
	uint32_t n, mod = ref->module;
	char where[48];

	if (mod == 0 || mod > pdb->info.module_count)
		return sym_corrupt(pdb, "GSI", ref->record_offset, ref->record_kind,
				   "procedure reference names a module past the module list");
	m = &pdb->mods[mod - 1];
	snprintf(where, sizeof where, "module %u symbols", mod - 1);
	if (m->stream == PDB_NIL_STREAM || ref->offset < 4 || ref->offset >= m->sym_bytes)
		return sym_corrupt(pdb, "GSI", ref->record_offset, ref->record_kind,
				   "procedure reference points outside its module's symbols");
	HVS_TRY(hvs__pdb_stream(pdb, m->stream, where, &d, &n));
	HVS_TRY(decode_sym(pdb, where, d, m->sym_bytes, ref->offset, out, NULL));
	if (out->kind != HVS_PDB_SYM_GPROC && out->kind != HVS_PDB_SYM_LPROC)
		return sym_corrupt(pdb, where, ref->offset, out->record_kind,
				   "a procedure reference points at a record that is not a procedure");
	/* The reference is the procedure's entry in the name hash: a
	 * different name means one of the two is damaged. */
	if (strcmp(out->name, ref->name) != 0)
		return sym_corrupt(pdb, where, ref->offset, out->record_kind,
				   "the procedure's name differs from its reference's in the GSI");
	out->module = mod - 1;
	return finish_sym(pdb, where, out);
}

/* Decode the record hash record @k of @g points at, procedure references
 * followed; the result's kind may be OTHER. */
static hvs_status gsi_record(hvs_pdb *pdb, pdb_gsi *g, uint32_t k,
			     hvs_pdb_symbol *out)
{
	uint32_t off = hvs__le32(g->hr + 8 * (size_t)k) - 1;
	hvs_pdb_symbol ref;

	HVS_TRY(decode_sym(pdb, g->label, pdb->symrec, pdb->symrec_size, off, &ref, NULL));
	/* Procedures live in their module's stream; the GSI only holds a
	 * reference to them, which callers never want to see as such. */
	if (ref.record_kind == S_PROCREF || ref.record_kind == S_LPROCREF)
		return follow_procref(pdb, &ref, out);
	*out = ref;
	return finish_sym(pdb, g->label, out);
}

/* Rank for picking among same-named symbols: lower wins. */
static int rank(hvs_pdb_sym_kind k)
{
	static const int r[] = {
		[HVS_PDB_SYM_GDATA] = 0,    [HVS_PDB_SYM_GTHREAD] = 1,
		[HVS_PDB_SYM_LDATA] = 2,    [HVS_PDB_SYM_LTHREAD] = 3,
		[HVS_PDB_SYM_GPROC] = 4,    [HVS_PDB_SYM_LPROC] = 5,
		[HVS_PDB_SYM_CONSTANT] = 6, [HVS_PDB_SYM_UDT] = 7,
		[HVS_PDB_SYM_PUBLIC] = 8,   [HVS_PDB_SYM_OTHER] = 9};
	return r[k];
}

/* The raw name of the record hash record @k points at, without decoding
 * the whole record: "" when it has none we know. */
static hvs_status gsi_name(hvs_pdb *pdb, pdb_gsi *g, uint32_t k, const char **name,
			   hvs_pdb_symbol *raw)
{
	uint32_t off = hvs__le32(g->hr + 8 * (size_t)k) - 1;
	HVS_TRY(decode_sym(pdb, g->label, pdb->symrec, pdb->symrec_size, off, raw, NULL));
	*name = raw->name;
	return HVS_OK;
}

/* Search @g's bucket for @name; update *best when a better match is found. */
static hvs_status search(hvs_pdb *pdb, pdb_gsi *g, const char *name, uint32_t kinds,
			 hvs_pdb_symbol *best, int *have)
{
	size_t len = strlen(name);
	uint32_t b, k, lo, hi;
	hvs_status s = load_gsi(pdb, g);

	if (s == HVS_E_NOTFOUND)
		return HVS_OK;
	if (s)
		return s;
	/* Only the records of the name's bucket can match: a first lookup
	 * in a kernel PDB decodes a handful of records, not 100,000. */
	if (g->bucket) {
		b = hvs__pdb_hash_v1(name, len) % IPHR_HASH;
		lo = g->bucket[b];
		hi = g->bucket[b + 1];
	} else {
		/* No bucket table: every record is a candidate. */
		lo = 0;
		hi = g->nhr;
	}
	for (k = lo; k < hi; k++) {
		const char *nm;
		hvs_pdb_symbol raw, sym;
		HVS_TRY(gsi_name(pdb, g, k, &nm, &raw));
		if (strcmp(nm, name) != 0)
			continue;
		HVS_TRY(gsi_record(pdb, g, k, &sym));
		if (!((kinds >> sym.kind) & 1))
			continue;
		if (!*have || rank(sym.kind) < rank(best->kind)) {
			*best = sym;
			*have = 1;
		}
	}
	return HVS_OK;
}

/* Globals first: a typed record (data, procedure) is what callers want
 * for sizes and types; the publics are only searched when the globals had
 * nothing better. */
hvs_status hvs_pdb_find_symbol(hvs_pdb *pdb, const char *name, uint32_t kinds,
			       hvs_pdb_symbol *out)
{
	hvs_pdb_symbol best;
	int have = 0;

	if (!pdb || !name || !out)
		return HVS_E_INVALID;
	memset(&best, 0, sizeof best);
	HVS_TRY(search(pdb, &pdb->gsi, name, kinds, &best, &have));
	if (!have || rank(best.kind) > rank(HVS_PDB_SYM_PUBLIC))
		HVS_TRY(search(pdb, &pdb->psi, name, kinds, &best, &have));
	if (!have)
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND, "symbol \"%s\" not found", name);
	*out = best;
	return HVS_OK;
}

/* An S_UDT of the globals by name: how typedef names reach their types. */
hvs_status hvs__pdb_find_typedef(hvs_pdb *pdb, const char *name, uint32_t *ti)
{
	hvs_pdb_symbol best;
	int have = 0;

	memset(&best, 0, sizeof best);
	HVS_TRY(search(pdb, &pdb->gsi, name, 1u << HVS_PDB_SYM_UDT, &best, &have));
	if (!have)
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND, "typedef \"%s\" not found", name);
	*ti = best.type_index;
	return HVS_OK;
}

/* Walk the hash records (not the symbol record stream), so that each
 * global or public is reported once, as llvm-pdbutil lists them. */
hvs_status hvs_pdb_foreach_symbol(hvs_pdb *pdb, uint32_t which, uint32_t kinds,
				  hvs_pdb_symbol_fn fn, void *ud)
{
	pdb_gsi *gs[2];
	int i;

	if (!pdb || !fn)
		return HVS_E_INVALID;
	gs[0] = (which & HVS_PDB_ITER_GLOBALS) ? &pdb->gsi : NULL;
	gs[1] = (which & HVS_PDB_ITER_PUBLICS) ? &pdb->psi : NULL;
	for (i = 0; i < 2; i++) {
		uint32_t k;
		hvs_status s;
		if (!gs[i])
			continue;
		s = load_gsi(pdb, gs[i]);
		if (s == HVS_E_NOTFOUND)
			continue;
		if (s)
			return s;
		for (k = 0; k < gs[i]->nhr; k++) {
			hvs_pdb_symbol sym;
			HVS_TRY(gsi_record(pdb, gs[i], k, &sym));
			if (((kinds >> sym.kind) & 1) && fn(ud, &sym))
				return HVS_OK;
		}
	}
	return HVS_OK;
}

/* Walk a module's symbol records in order; scope records (S_END, blocks)
 * are skipped by kind, so static locals inside procedures are reported. */
hvs_status hvs_pdb_foreach_module_symbol(hvs_pdb *pdb, uint32_t module,
					 uint32_t kinds, hvs_pdb_symbol_fn fn,
					 void *ud)
{
	const hvs_pdb_module *m;
	const uint8_t *d;
	uint32_t n, off;
	char where[48];

	if (!pdb || !fn || module >= pdb->info.module_count)
		return HVS_E_INVALID;
	m = &pdb->mods[module];
	if (m->stream == PDB_NIL_STREAM || m->sym_bytes < 4)
		return HVS_OK;
	snprintf(where, sizeof where, "module %u symbols", module);
	HVS_TRY(hvs__pdb_stream(pdb, m->stream, where, &d, &n));
	/* The stream starts with a signature (4 = C13); records follow. */
	for (off = 4; off < m->sym_bytes;) {
		hvs_pdb_symbol sym;
		uint32_t next;
		HVS_TRY(decode_sym(pdb, where, d, m->sym_bytes, off, &sym, &next));
		sym.module = module;
		if (sym.kind != HVS_PDB_SYM_OTHER)
			HVS_TRY(finish_sym(pdb, where, &sym));
		if (((kinds >> sym.kind) & 1) && fn(ud, &sym))
			return HVS_OK;
		off = next;
	}
	return HVS_OK;
}
