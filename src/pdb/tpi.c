/* SPDX-License-Identifier: MIT */
/*
 * The TPI (stream 2) and IPI (stream 4) type streams: header, a one-time
 * index of record offsets, decoding of the records the symbol provider
 * needs (structures, classes, unions, enums, field lists with members,
 * bitfields, bases and enumerators, pointers, arrays, modifiers,
 * procedures, argument lists), forward-reference resolution through a
 * lazily built name index, and the built-in "simple" types below 0x1000.
 * Format: docs/format/pdb.md section 6 (LLVM docs TpiStream and
 * CodeViewTypes; leaf numbers and layouts from microsoft-pdb cvinfo.h).
 *
 * Why an index of our own rather than the TPI hash stream: one pass over
 * the records (about 1 ms per MB) gives O(1) access by index without
 * trusting a second structure that would also need checking, and the name
 * index is built only when a name is first looked up.
 */
#include <string.h>

#include "pdb/pdb_int.h"

/* TPI header (56 bytes). */
enum {
	TPI_VERSION = 0,
	TPI_HEADER_SIZE = 4,
	TPI_BEGIN = 8,
	TPI_END = 12,
	TPI_RECORD_BYTES = 16,
	TPI_HDR_MIN = 56
};

/* Type record leaves (cvinfo.h LEAF_ENUM_e). */
enum {
	LF_VTSHAPE = 0x000a,
	LF_MODIFIER = 0x1001,
	LF_POINTER = 0x1002,
	LF_PROCEDURE = 0x1008,
	LF_MFUNCTION = 0x1009,
	LF_ARGLIST = 0x1201,
	LF_FIELDLIST = 0x1203,
	LF_BITFIELD = 0x1205,
	LF_METHODLIST = 0x1206,
	LF_BCLASS = 0x1400,
	LF_VBCLASS = 0x1401,
	LF_IVBCLASS = 0x1402,
	LF_INDEX = 0x1404,
	LF_VFUNCTAB = 0x1409,
	LF_FRIENDCLS = 0x140b,
	LF_VFUNCOFF = 0x140c,
	LF_ENUMERATE = 0x1502,
	LF_ARRAY = 0x1503,
	LF_CLASS = 0x1504,
	LF_STRUCTURE = 0x1505,
	LF_UNION = 0x1506,
	LF_ENUM = 0x1507,
	LF_FRIENDFCN = 0x150c,
	LF_MEMBER = 0x150d,
	LF_STMEMBER = 0x150e,
	LF_METHOD = 0x150f,
	LF_NESTTYPE = 0x1510,
	LF_ONEMETHOD = 0x1511,
	LF_NESTTYPEEX = 0x1512,
	LF_MEMBERMODIFY = 0x1513,
	LF_INTERFACE = 0x1519,
	/* Newer MSVC (VS2019+): 32-bit properties and a numeric member count,
	 * for types with more members than a u16 counts. */
	LF_CLASS2 = 0x1608,
	LF_STRUCTURE2 = 0x1609,
	LF_INTERFACE2 = 0x160b,
	LF_BINTERFACE = 0x151a,
	LF_FUNC_ID = 0x1601,
	LF_MFUNC_ID = 0x1602
};

/* Numeric leaves (cvinfo.h): values below 0x8000 are the number itself. */
enum {
	LF_NUMERIC = 0x8000,
	LF_CHAR = 0x8000,
	LF_SHORT = 0x8001,
	LF_USHORT = 0x8002,
	LF_LONG = 0x8003,
	LF_ULONG = 0x8004,
	LF_QUADWORD = 0x8009,
	LF_UQUADWORD = 0x800a
};

/* ------------------------------------------------------------- helpers */

int hvs__pdb_numeric(const uint8_t *p, size_t n, uint64_t *val, int *is_signed,
		     size_t *used)
{
	uint16_t leaf;

	if (n < 2)
		return -1;
	leaf = hvs__le16(p);
	*is_signed = 0;
	if (leaf < LF_NUMERIC) {
		*val = leaf;
		*used = 2;
		return 0;
	}
	switch (leaf) {
	case LF_CHAR:
		if (n < 3)
			return -1;
		*val = (uint64_t)(int64_t)(int8_t)p[2];
		*is_signed = 1;
		*used = 3;
		return 0;
	case LF_SHORT:
	case LF_USHORT:
		if (n < 4)
			return -1;
		if (leaf == LF_SHORT) {
			*val = (uint64_t)(int64_t)(int16_t)hvs__le16(p + 2);
			*is_signed = 1;
		} else {
			*val = hvs__le16(p + 2);
		}
		*used = 4;
		return 0;
	case LF_LONG:
	case LF_ULONG:
		if (n < 6)
			return -1;
		if (leaf == LF_LONG) {
			*val = (uint64_t)(int64_t)(int32_t)hvs__le32(p + 2);
			*is_signed = 1;
		} else {
			*val = hvs__le32(p + 2);
		}
		*used = 6;
		return 0;
	case LF_QUADWORD:
	case LF_UQUADWORD:
		if (n < 10)
			return -1;
		*val = hvs__le64(p + 2);
		*is_signed = leaf == LF_QUADWORD;
		*used = 10;
		return 0;
	default:
		return -1;
	}
}

/* Names are trusted only once their NUL is found inside the record. */
int hvs__pdb_cstr(const uint8_t *p, size_t n, const char **s, size_t *used)
{
	const uint8_t *z = n ? memchr(p, 0, n) : NULL;

	if (!z)
		return -1;
	*s = (const char *)p;
	*used = (size_t)(z - p) + 1;
	return 0;
}

/* Report damage in type @ti of @t; returns HVS_E_CORRUPT. */
static hvs_status type_corrupt(hvs_pdb *pdb, const pdb_tpi *t, uint32_t ti,
			       const char *what)
{
	uint32_t off = (t->offs && ti >= t->begin && ti < t->end)
			       ? t->offs[ti - t->begin]
			       : 0;
	return HVS_CORRUPT(&pdb->err, "%s: type 0x%x (record at stream offset %u): %s",
			   t->label, ti, off, what);
}

/* -------------------------------------------------------------- loading */

static hvs_status tpi_load(hvs_pdb *pdb, pdb_tpi *t, int ipi);

/* Load once; a failure is remembered and replayed with its message, so
 * that a damaged stream is not rescanned on every query. */
hvs_status hvs__pdb_tpi_load(hvs_pdb *pdb, int ipi)
{
	pdb_tpi *t = ipi ? &pdb->ipi : &pdb->tpi;
	hvs_status s;

	if (t->fail)
		return hvs__err_set(&pdb->err, t->fail, "%s", t->failmsg);
	s = tpi_load(pdb, t, ipi);
	if (s == HVS_E_CORRUPT || s == HVS_E_UNSUPPORTED) {
		t->fail = s;
		memcpy(t->failmsg, pdb->err.msg, sizeof t->failmsg);
	}
	return s;
}

/* Check the TPI/IPI header and index every record's offset in one pass. */
static hvs_status tpi_load(hvs_pdb *pdb, pdb_tpi *t, int ipi)
{
	const uint8_t *p;
	uint32_t n, off, end, cnt, i, rec_bytes;

	if (t->loaded)
		return t->present ? HVS_OK
				  : hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
						 "%s: the PDB has no %s stream",
						 t->label, t->label);
	if (hvs__pdb_stream_size(pdb, t->stream) == 0) {
		t->loaded = 1;
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
				    "%s: the PDB has no %s stream", t->label, t->label);
	}
	HVS_TRY(hvs__pdb_stream(pdb, t->stream, t->label, &p, &n));
	if (n < TPI_HDR_MIN)
		return HVS_CORRUPT(&pdb->err, "%s (stream %u): %u bytes, the header needs %d",
				   t->label, t->stream, n, TPI_HDR_MIN);
	t->version = hvs__le32(p + TPI_VERSION);
	t->hdr_size = hvs__le32(p + TPI_HEADER_SIZE);
	t->begin = hvs__le32(p + TPI_BEGIN);
	t->end = hvs__le32(p + TPI_END);
	rec_bytes = hvs__le32(p + TPI_RECORD_BYTES);
	if (t->hdr_size < TPI_HDR_MIN || t->hdr_size > n)
		return HVS_CORRUPT(&pdb->err,
				   "%s header: header size %u (offset 4) is not in %d..%u",
				   t->label, t->hdr_size, TPI_HDR_MIN, n);
	if (rec_bytes > n - t->hdr_size)
		return HVS_CORRUPT(&pdb->err,
				   "%s header: %u record bytes (offset 16) run past the stream end (%u) from offset %u",
				   t->label, rec_bytes, n, t->hdr_size);
	if (t->begin < 0x1000 || t->end < t->begin ||
	    t->end - t->begin > PDB_MAX_TYPES ||
	    t->end - t->begin > rec_bytes / 4)
		return HVS_CORRUPT(&pdb->err,
				   "%s header: type index range 0x%x..0x%x (offsets 8, 12) is not valid for %u record bytes",
				   t->label, t->begin, t->end, rec_bytes);
	cnt = t->end - t->begin;
	t->offs = hvs__calloc(&pdb->alloc, cnt ? cnt : 1, sizeof *t->offs);
	if (!t->offs)
		return hvs__err_set(&pdb->err, HVS_E_NOMEM,
				    "%s: out of memory for %u records", t->label, cnt);
	/* One pass: every record is {u16 length, u16 leaf, ...}, the length
	 * counting what follows it. */
	off = t->hdr_size;
	end = t->hdr_size + rec_bytes;
	for (i = 0; i < cnt; i++) {
		uint32_t len = end - off >= 4 ? hvs__le16(p + off) : 0;
		if (end - off < 4 || len < 2 || len > end - off - 2) {
			/* Keep no half-built index: the next use reports the
			 * same damage again. */
			hvs__free(&pdb->alloc, t->offs);
			t->offs = NULL;
			if (end - off < 4)
				return HVS_CORRUPT(&pdb->err,
						   "%s: type 0x%x (record %u) at stream offset %u: the records end after %u of %u types",
						   t->label, t->begin + i, i, off, i, cnt);
			return HVS_CORRUPT(&pdb->err,
					   "%s: type 0x%x (record %u) at stream offset %u: length %u runs past the record data end (%u)",
					   t->label, t->begin + i, i, off, len, end);
		}
		t->offs[i] = off;
		off += 2 + len;
	}
	t->data = p;
	t->size = n;
	if (!ipi) {
		pdb->info.tpi_begin = t->begin;
		pdb->info.tpi_end = t->end;
		pdb->info.tpi_version = t->version;
	}
	t->present = 1;
	t->loaded = 1;
	return HVS_OK;
}

/* Free the record indexes and name tables of both type streams. */
void hvs__pdb_free_tpi(hvs_pdb *pdb)
{
	pdb_tpi *ts[2] = {&pdb->tpi, &pdb->ipi};
	int i;
	for (i = 0; i < 2; i++) {
		hvs__free(&pdb->alloc, ts[i]->offs);
		hvs__free(&pdb->alloc, ts[i]->by_name);
		hvs__free(&pdb->alloc, ts[i]->by_uname);
		ts[i]->offs = ts[i]->by_name = ts[i]->by_uname = NULL;
	}
}

/* Find record @ti through the offset index (loading the stream first). */
hvs_status hvs__pdb_tpi_record(hvs_pdb *pdb, pdb_tpi *t, uint32_t ti,
			       uint16_t *leaf, const uint8_t **p, uint32_t *n)
{
	uint32_t off;

	*leaf = 0;
	*p = NULL;
	*n = 0;
	if (!t->loaded || !t->present)
		HVS_TRY(hvs__pdb_tpi_load(pdb, t == &pdb->ipi));
	if (ti < t->begin || ti >= t->end)
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
				    "%s: type index 0x%x is outside 0x%x..0x%x",
				    t->label, ti, t->begin, t->end);
	off = t->offs[ti - t->begin];
	*n = (uint32_t)hvs__le16(t->data + off) - 2;
	*leaf = hvs__le16(t->data + off + 2);
	*p = t->data + off + 4;
	return HVS_OK;
}

/* ---------------------------------------------------------- simple types */

/* Simple type kinds (low byte of a type index below 0x1000), their names as
 * llvm-pdbutil prints them, and sizes (cvinfo.h, "Primitive types"). */
static const struct simple {
	uint8_t kind;
	uint8_t size;
	const char *name;
} simple_types[] = {
	{0x03, 0, "void"},
	{0x07, 0, "<not translated>"},
	{0x08, 4, "HRESULT"},
	{0x10, 1, "signed char"},
	{0x20, 1, "unsigned char"},
	{0x70, 1, "char"},
	{0x71, 2, "wchar_t"},
	{0x7a, 2, "char16_t"},
	{0x7b, 4, "char32_t"},
	{0x7c, 1, "char8_t"},
	{0x68, 1, "__int8"},
	{0x69, 1, "unsigned __int8"},
	{0x11, 2, "short"},
	{0x21, 2, "unsigned short"},
	{0x72, 2, "__int16"},
	{0x73, 2, "unsigned __int16"},
	{0x12, 4, "long"},
	{0x22, 4, "unsigned long"},
	{0x74, 4, "int"},
	{0x75, 4, "unsigned"},
	{0x13, 8, "__int64"},
	{0x23, 8, "unsigned __int64"},
	{0x76, 8, "__int64"},
	{0x77, 8, "unsigned __int64"},
	{0x14, 16, "__int128"},
	{0x24, 16, "unsigned __int128"},
	{0x78, 16, "__int128"},
	{0x79, 16, "unsigned __int128"},
	{0x46, 2, "__half"},
	{0x40, 4, "float"},
	{0x45, 4, "float"},
	{0x44, 6, "__float48"},
	{0x41, 8, "double"},
	{0x42, 10, "long double"},
	{0x43, 16, "__float128"},
	{0x50, 8, "_Complex float"},
	{0x51, 16, "_Complex double"},
	{0x52, 20, "_Complex long double"},
	{0x53, 32, "_Complex __float128"},
	{0x30, 1, "bool"},
	{0x31, 2, "__bool16"},
	{0x32, 4, "__bool32"},
	{0x33, 8, "__bool64"},
};

/* Pointer sizes of the simple-type modes (bits 8-10): direct, near16,
 * far16, huge16, near32, far32, near64, near128. */
static const uint8_t simple_ptr_size[8] = {0, 2, 4, 4, 4, 6, 8, 16};

/* Name and size of a built-in type; pointer modes take the pointer's size. */
const char *hvs__pdb_simple_name(uint32_t ti, uint64_t *size)
{
	size_t i;
	uint32_t kind = ti & 0xff, mode = (ti >> 8) & 0xf;

	if (ti >= 0x1000 || mode > 7)
		return NULL;
	for (i = 0; i < HVS__ARRAY_SIZE(simple_types); i++)
		if (simple_types[i].kind == kind) {
			if (size)
				*size = mode ? simple_ptr_size[mode]
					     : simple_types[i].size;
			return simple_types[i].name;
		}
	return NULL;
}

/* -------------------------------------------------------------- decoding */

/* The name fields of a UDT or enum record. */
typedef struct udt_rec {
	uint32_t count;
	uint16_t props;
	uint32_t flist, underlying;
	uint64_t size;
	const char *name, *uname;
} udt_rec;

/* The VS2019+ class records with 32-bit properties. */
static int is_class2(uint16_t leaf)
{
	return leaf == LF_CLASS2 || leaf == LF_STRUCTURE2 || leaf == LF_INTERFACE2;
}

/* Records that carry a (possibly unique) type name. */
static int is_udt_leaf(uint16_t leaf)
{
	return leaf == LF_CLASS || leaf == LF_STRUCTURE || leaf == LF_INTERFACE ||
	       leaf == LF_UNION || leaf == LF_ENUM || is_class2(leaf);
}

/* Decode a class/struct/interface/union/enum record; -1 when damaged. */
static int decode_udt(uint16_t leaf, const uint8_t *p, uint32_t n, udt_rec *u)
{
	size_t pos, used;
	int sgn;

	memset(u, 0, sizeof *u);
	if (n < 4)
		return -1;
	u->count = hvs__le16(p);
	u->props = hvs__le16(p + 2);
	if (is_class2(leaf)) {
		/* properties u32, field list, derived, vshape, then the member
		 * count and the size as numeric leaves (the class layout of
		 * mspdbcore's newer records; the CV_prop_t bits stay in the low
		 * 16 bits of the properties). */
		uint64_t cnt;
		if (n < 16)
			return -1;
		u->props = (uint16_t)hvs__le32(p);
		u->flist = hvs__le32(p + 4);
		pos = 16;
		if (hvs__pdb_numeric(p + pos, n - pos, &cnt, &sgn, &used) ||
		    cnt > UINT32_MAX)
			return -1;
		u->count = (uint32_t)cnt;
		pos += used;
		if (hvs__pdb_numeric(p + pos, n - pos, &u->size, &sgn, &used))
			return -1;
		pos += used;
	} else if (leaf == LF_ENUM) {
		if (n < 12)
			return -1;
		u->underlying = hvs__le32(p + 4);
		u->flist = hvs__le32(p + 8);
		pos = 12;
	} else if (leaf == LF_UNION) {
		if (n < 8)
			return -1;
		u->flist = hvs__le32(p + 4);
		pos = 8;
		if (hvs__pdb_numeric(p + pos, n - pos, &u->size, &sgn, &used))
			return -1;
		pos += used;
	} else {
		if (n < 16)
			return -1;
		u->flist = hvs__le32(p + 4);
		pos = 16; /* derived-from and vtable shape are not needed */
		if (hvs__pdb_numeric(p + pos, n - pos, &u->size, &sgn, &used))
			return -1;
		pos += used;
	}
	if (hvs__pdb_cstr(p + pos, n - pos, &u->name, &used))
		return -1;
	pos += used;
	if (u->props & HVS_PDB_PROP_UNIQUENAME) {
		if (hvs__pdb_cstr(p + pos, n - pos, &u->uname, &used))
			return -1;
	}
	return 0;
}

/* The in-memory kind of a UDT or enum leaf. */
static hvs_pdb_type_kind udt_kind(uint16_t leaf)
{
	switch (leaf) {
	case LF_CLASS:
	case LF_CLASS2: return HVS_PDB_TYPE_CLASS;
	case LF_STRUCTURE:
	case LF_STRUCTURE2: return HVS_PDB_TYPE_STRUCT;
	case LF_INTERFACE:
	case LF_INTERFACE2: return HVS_PDB_TYPE_INTERFACE;
	case LF_UNION: return HVS_PDB_TYPE_UNION;
	default: return HVS_PDB_TYPE_ENUM;
	}
}

/* Pointer size from the LF_POINTER attributes: the size bits, else the kind
 * (0x0a near32, 0x0c near64, 0x0d near128). */
static uint64_t ptr_size(uint32_t attrs)
{
	uint32_t sz = (attrs >> 13) & 0x3f, kind = attrs & 0x1f;
	if (sz)
		return sz;
	return kind == 0x0c ? 8 : kind == 0x0d ? 16 : kind == 0x0a ? 4 : 0;
}

static hvs_status resolve_depth(hvs_pdb *pdb, uint32_t ti, uint32_t *out);
static hvs_status type_get_depth(hvs_pdb *pdb, uint32_t ti, unsigned depth,
				 hvs_pdb_type *out);

/* The size of type @ti, forward references resolved (via type_get_depth). */
hvs_status hvs__pdb_type_size(hvs_pdb *pdb, uint32_t ti, unsigned depth,
			      uint64_t *size)
{
	hvs_pdb_type t;
	HVS_TRY(type_get_depth(pdb, ti, depth, &t));
	*size = t.size;
	return HVS_OK;
}

/* Decode type @ti; sizes that depend on other types are computed with
 * @depth + 1 so that a cycle of references ends in an error. */
static hvs_status type_get_depth(hvs_pdb *pdb, uint32_t ti, unsigned depth,
				 hvs_pdb_type *out)
{
	pdb_tpi *t = &pdb->tpi;
	uint16_t leaf;
	const uint8_t *p;
	uint32_t n;
	hvs_status s;

	memset(out, 0, sizeof *out);
	out->ti = ti;
	if (depth > HVS_PDB_MAX_TYPE_DEPTH)
		return type_corrupt(pdb, t, ti,
				    "type references nest deeper than 64 (a cycle?)");
	if (ti == 0) {
		out->kind = HVS_PDB_TYPE_NONE;
		return HVS_OK;
	}
	if (ti < 0x1000) {
		uint64_t sz = 0;
		const char *nm = hvs__pdb_simple_name(ti, &sz);
		if (!nm)
			return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
					    "simple type 0x%x is not a known kind", ti);
		out->size = sz;
		if ((ti >> 8) & 0xf) {
			out->kind = HVS_PDB_TYPE_POINTER;
			out->element = ti & 0xff;
		} else {
			out->kind = HVS_PDB_TYPE_BASE;
			out->name = nm;
		}
		return HVS_OK;
	}
	HVS_TRY(hvs__pdb_tpi_record(pdb, t, ti, &leaf, &p, &n));
	out->leaf = leaf;
	switch (leaf) {
	case LF_CLASS:
	case LF_STRUCTURE:
	case LF_INTERFACE:
	case LF_CLASS2:
	case LF_STRUCTURE2:
	case LF_INTERFACE2:
	case LF_UNION:
	case LF_ENUM: {
		udt_rec u;
		if (decode_udt(leaf, p, n, &u))
			return type_corrupt(pdb, t, ti, "record truncated or its name is not terminated");
		out->kind = udt_kind(leaf);
		out->name = u.name;
		out->unique_name = u.uname;
		out->count = u.count;
		out->props = u.props;
		out->index = u.flist;
		out->size = u.size;
		/* A forward reference has no size of its own: report its
		 * definition's, so that members and arrays of it size right. */
		if ((u.props & HVS_PDB_PROP_FWDREF) && leaf != LF_ENUM) {
			uint32_t r;
			HVS_TRY(resolve_depth(pdb, ti, &r));
			if (r != ti) {
				uint16_t l2;
				const uint8_t *p2;
				uint32_t n2;
				udt_rec d;
				HVS_TRY(hvs__pdb_tpi_record(pdb, t, r, &l2, &p2, &n2));
				if (decode_udt(l2, p2, n2, &d))
					return type_corrupt(pdb, t, r, "record truncated or its name is not terminated");
				out->size = d.size;
			}
		}
		if (leaf == LF_ENUM) {
			out->element = u.underlying;
			s = hvs__pdb_type_size(pdb, u.underlying, depth + 1, &out->size);
			if (s == HVS_E_NOTFOUND)
				return type_corrupt(pdb, t, ti, "underlying type index out of range");
			if (s)
				return s;
		}
		return HVS_OK;
	}
	case LF_POINTER: {
		/* Qualifiers here apply to the pointer itself ("char *const"),
		 * not to the pointee, which has its own LF_MODIFIER. */
		uint32_t a;
		if (n < 8)
			return type_corrupt(pdb, t, ti, "LF_POINTER record shorter than 8 bytes");
		a = hvs__le32(p + 4);
		out->kind = HVS_PDB_TYPE_POINTER;
		out->element = hvs__le32(p);
		out->ptr_mode = (uint8_t)((a >> 5) & 7);
		out->modifiers = ((a & 0x400) ? HVS_PDB_MOD_CONST : 0) |
				 ((a & 0x200) ? HVS_PDB_MOD_VOLATILE : 0) |
				 ((a & 0x800) ? HVS_PDB_MOD_UNALIGNED : 0);
		out->size = ptr_size(a);
		return HVS_OK;
	}
	case LF_ARRAY: {
		size_t used;
		int sgn;
		uint64_t esz = 0;
		if (n < 8 || hvs__pdb_numeric(p + 8, n - 8, &out->size, &sgn, &used))
			return type_corrupt(pdb, t, ti, "LF_ARRAY record truncated");
		/* The record gives the total size in bytes, not a count:
		 * the count is derived from the element's size, which for a
		 * forward-declared element needs its definition. */
		out->kind = HVS_PDB_TYPE_ARRAY;
		out->element = hvs__le32(p);
		out->index = hvs__le32(p + 4);
		s = hvs__pdb_type_size(pdb, out->element, depth + 1, &esz);
		if (s == HVS_E_NOTFOUND)
			return type_corrupt(pdb, t, ti, "element type index out of range");
		if (s)
			return s;
		if (esz && out->size / esz <= UINT32_MAX)
			out->count = (uint32_t)(out->size / esz);
		return HVS_OK;
	}
	/* Both wrap another type and take its size: a bitfield's storage unit
	 * is its underlying integer, which is what dbghelp reports too. */
	case LF_MODIFIER:
	case LF_BITFIELD:
		if (n < (leaf == LF_MODIFIER ? 6u : 6u))
			return type_corrupt(pdb, t, ti, "record shorter than 6 bytes");
		out->element = hvs__le32(p);
		if (leaf == LF_MODIFIER) {
			uint16_t m = hvs__le16(p + 4);
			out->kind = HVS_PDB_TYPE_MODIFIER;
			out->modifiers = m & 7u;
		} else {
			out->kind = HVS_PDB_TYPE_BITFIELD;
			out->bit_len = p[4];
			out->bit_pos = p[5];
		}
		s = hvs__pdb_type_size(pdb, out->element, depth + 1, &out->size);
		if (s == HVS_E_NOTFOUND)
			return type_corrupt(pdb, t, ti, "referenced type index out of range");
		return s;
	case LF_PROCEDURE:
		if (n < 12)
			return type_corrupt(pdb, t, ti, "LF_PROCEDURE record shorter than 12 bytes");
		out->kind = HVS_PDB_TYPE_PROCEDURE;
		out->element = hvs__le32(p);
		out->call_conv = p[4];
		out->count = hvs__le16(p + 6);
		out->index = hvs__le32(p + 8);
		return HVS_OK;
	case LF_MFUNCTION:
		if (n < 24)
			return type_corrupt(pdb, t, ti, "LF_MFUNCTION record shorter than 24 bytes");
		out->kind = HVS_PDB_TYPE_MFUNCTION;
		out->element = hvs__le32(p);
		out->call_conv = p[12];
		out->count = hvs__le16(p + 14);
		out->index = hvs__le32(p + 16);
		return HVS_OK;
	case LF_ARGLIST:
		if (n < 4 || hvs__le32(p) > (n - 4) / 4)
			return type_corrupt(pdb, t, ti, "LF_ARGLIST count runs past the record");
		out->kind = HVS_PDB_TYPE_ARGLIST;
		out->count = hvs__le32(p);
		return HVS_OK;
	case LF_FIELDLIST:
		out->kind = HVS_PDB_TYPE_FIELDLIST;
		return HVS_OK;
	default:
		/* vtable shapes, method lists, labels ...: nothing the provider
		 * needs; named as "other" rather than refused. */
		out->kind = HVS_PDB_TYPE_OTHER;
		return HVS_OK;
	}
}

/* Public entry: decode one type, sizes computed from depth 0. */
hvs_status hvs_pdb_type_get(hvs_pdb *pdb, uint32_t ti, hvs_pdb_type *out)
{
	hvs_pdb_type tmp;
	hvs_status s;

	if (!pdb || !out)
		return HVS_E_INVALID;
	s = type_get_depth(pdb, ti, 0, &tmp);
	if (s)
		return s;
	*out = tmp;
	return HVS_OK;
}

/* ----------------------------------------------------------- name index */

/* FNV-1a: the name index only needs a fast, well-spread hash. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* The name (or unique name) of a UDT record, or NULL. */
static const char *udt_key(hvs_pdb *pdb, uint32_t ti, int by_unique)
{
	uint16_t leaf;
	const uint8_t *p;
	uint32_t n;
	udt_rec u;

	if (hvs__pdb_tpi_record(pdb, &pdb->tpi, ti, &leaf, &p, &n) ||
	    !is_udt_leaf(leaf) || decode_udt(leaf, p, n, &u))
		return NULL;
	return by_unique ? u.uname : u.name;
}

static void name_insert(uint32_t *tab, size_t cap, uint32_t ti, uint32_t h,
			const char *name, hvs_pdb *pdb, int by_unique)
{
	size_t i = h & (cap - 1);

	for (;;) {
		if (!tab[2 * i]) {
			tab[2 * i] = ti;
			tab[2 * i + 1] = h;
			return;
		}
		if (tab[2 * i + 1] == h) {
			const char *o = udt_key(pdb, tab[2 * i], by_unique);
			if (o && strcmp(o, name) == 0)
				return; /* the first definition wins */
		}
		i = (i + 1) & (cap - 1);
	}
}

/* Build the by-name and by-unique-name indexes of UDT/enum definitions. */
static hvs_status build_names(hvs_pdb *pdb)
{
	/* Two passes: count the definitions to size the tables (at most half
	 * full, so probes stay short), then insert.  Slots hold only {ti,
	 * hash}; names are compared by decoding the record again, which keeps
	 * the tables at 8 bytes a slot and the strings in the stream. */
	pdb_tpi *t = &pdb->tpi;
	uint32_t ti, ndef = 0;
	size_t cap = 16;

	if (t->names_built)
		return HVS_OK;
	HVS_TRY(hvs__pdb_tpi_load(pdb, 0));
	for (ti = t->begin; ti < t->end; ti++) {
		const uint8_t *r = t->data + t->offs[ti - t->begin];
		uint16_t leaf = hvs__le16(r + 2);
		/* The properties follow the u16 count, or lead (class2). */
		if (is_udt_leaf(leaf) && hvs__le16(r) >= 6 &&
		    !(hvs__le16(r + (is_class2(leaf) ? 4 : 6)) & HVS_PDB_PROP_FWDREF))
			ndef++;
	}
	while (cap < (size_t)ndef * 2)
		cap *= 2;
	t->by_name = hvs__calloc(&pdb->alloc, cap, 2 * sizeof(uint32_t));
	t->by_uname = hvs__calloc(&pdb->alloc, cap, 2 * sizeof(uint32_t));
	if (!t->by_name || !t->by_uname) {
		hvs__free(&pdb->alloc, t->by_name);
		hvs__free(&pdb->alloc, t->by_uname);
		t->by_name = t->by_uname = NULL;
	}
	if (!t->by_name)
		return hvs__err_set(&pdb->err, HVS_E_NOMEM,
				    "%s: out of memory for the name index", t->label);
	t->names_cap = cap;
	for (ti = t->begin; ti < t->end; ti++) {
		uint16_t leaf;
		const uint8_t *p;
		uint32_t n;
		udt_rec u;
		HVS_TRY(hvs__pdb_tpi_record(pdb, t, ti, &leaf, &p, &n));
		if (!is_udt_leaf(leaf))
			continue;
		if (decode_udt(leaf, p, n, &u)) {
			/* Leave no half-built index behind: the next lookup
			 * finds the same damage again. */
			hvs__free(&pdb->alloc, t->by_name);
			hvs__free(&pdb->alloc, t->by_uname);
			t->by_name = t->by_uname = NULL;
			return type_corrupt(pdb, t, ti, "record truncated or its name is not terminated");
		}
		if (u.props & HVS_PDB_PROP_FWDREF)
			continue;
		name_insert(t->by_name, cap, ti, fnv1a(u.name), u.name, pdb, 0);
		if (u.uname)
			name_insert(t->by_uname, cap, ti, fnv1a(u.uname), u.uname, pdb, 1);
	}
	t->names_built = 1;
	return HVS_OK;
}

static uint32_t name_lookup(hvs_pdb *pdb, const uint32_t *tab, const char *name,
			    int by_unique)
{
	size_t cap = pdb->tpi.names_cap, i;
	uint32_t h = fnv1a(name);

	for (i = h & (cap - 1); tab[2 * i]; i = (i + 1) & (cap - 1)) {
		if (tab[2 * i + 1] == h) {
			const char *o = udt_key(pdb, tab[2 * i], by_unique);
			if (o && strcmp(o, name) == 0)
				return tab[2 * i];
		}
	}
	return 0;
}

/* By name first (what users type), then by unique (decorated) name. */
hvs_status hvs__pdb_udt_by_name(hvs_pdb *pdb, const char *name, uint32_t *ti)
{
	uint32_t r;

	HVS_TRY(build_names(pdb));
	r = name_lookup(pdb, pdb->tpi.by_name, name, 0);
	if (!r)
		r = name_lookup(pdb, pdb->tpi.by_uname, name, 1);
	if (!r)
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND, "type \"%s\" not found", name);
	*ti = r;
	return HVS_OK;
}

/* Forward reference -> definition; anything else maps to itself. */
static hvs_status resolve_depth(hvs_pdb *pdb, uint32_t ti, uint32_t *out)
{
	uint16_t leaf;
	const uint8_t *p;
	uint32_t n, r;
	udt_rec u;

	*out = ti;
	if (ti < 0x1000)
		return HVS_OK;
	HVS_TRY(hvs__pdb_tpi_record(pdb, &pdb->tpi, ti, &leaf, &p, &n));
	if (!is_udt_leaf(leaf))
		return HVS_OK;
	if (decode_udt(leaf, p, n, &u))
		return type_corrupt(pdb, &pdb->tpi, ti,
				    "record truncated or its name is not terminated");
	if (!(u.props & HVS_PDB_PROP_FWDREF))
		return HVS_OK;
	HVS_TRY(build_names(pdb));
	/* Match by unique name when the forward reference has one (C++ and
	 * MSVC C types do), else by name, as the TPI hash does. */
	r = u.uname ? name_lookup(pdb, pdb->tpi.by_uname, u.uname, 1)
		    : name_lookup(pdb, pdb->tpi.by_name, u.name, 0);
	if (r)
		*out = r;
	return HVS_OK;
}

/* Public wrapper of resolve_depth(). */
hvs_status hvs_pdb_type_resolve(hvs_pdb *pdb, uint32_t ti, uint32_t *out)
{
	if (!pdb || !out)
		return HVS_E_INVALID;
	return resolve_depth(pdb, ti, out);
}

/* -------------------------------------------------------- field lists */

/* One member of a field list, as the walker reports it. */
typedef struct fl_item {
	uint16_t leaf;
	uint16_t attr;
	uint32_t type;
	uint64_t value;   /* member/base offset, enumerator value */
	int value_signed;
	const char *name; /* "" when the record has none */
} fl_item;

typedef int (*fl_fn)(void *ud, const fl_item *it);

/* Skip a numeric leaf inside a field list; -1 when damaged. */
static int skip_numeric(const uint8_t *p, size_t n, size_t *pos, uint64_t *v,
			int *sgn)
{
	size_t used;
	if (hvs__pdb_numeric(p + *pos, n - *pos, v, sgn, &used))
		return -1;
	*pos += used;
	return 0;
}

/* Walk the field list @flist (and its LF_INDEX continuations), calling @fn
 * for each member; @fn returns non-zero to stop. */
static hvs_status walk_fieldlist(hvs_pdb *pdb, uint32_t flist, fl_fn fn, void *ud)
{
	pdb_tpi *t = &pdb->tpi;
	uint32_t conts = 0;

	while (flist) {
		uint16_t leaf;
		const uint8_t *p;
		uint32_t n, next = 0;
		size_t pos = 0;
		hvs_status s = hvs__pdb_tpi_record(pdb, t, flist, &leaf, &p, &n);

		if (s == HVS_E_NOTFOUND)
			return HVS_CORRUPT(&pdb->err,
					   "%s: field list index 0x%x is out of range 0x%x..0x%x",
					   t->label, flist, t->begin, t->end);
		if (s)
			return s;
		if (leaf != LF_FIELDLIST)
			return type_corrupt(pdb, t, flist, "expected an LF_FIELDLIST record");
		while (pos < n) {
			fl_item it;
			size_t used;
			uint32_t mprop;

			/* Pad bytes 0xF0..0xFF align the members. */
			if (p[pos] >= 0xF0) {
				pos++;
				continue;
			}
			if (n - pos < 2)
				return type_corrupt(pdb, t, flist, "member leaf truncated");
			memset(&it, 0, sizeof it);
			it.name = "";
			it.leaf = hvs__le16(p + pos);
			pos += 2;
			switch (it.leaf) {
			case LF_MEMBER:
			case LF_STMEMBER:
			case LF_BCLASS:
			case LF_BINTERFACE:
			case LF_NESTTYPEEX:
			case LF_MEMBERMODIFY:
				if (n - pos < 6)
					goto trunc;
				it.attr = hvs__le16(p + pos);
				it.type = hvs__le32(p + pos + 2);
				pos += 6;
				if ((it.leaf == LF_MEMBER || it.leaf == LF_BCLASS ||
				     it.leaf == LF_BINTERFACE) &&
				    skip_numeric(p, n, &pos, &it.value, &it.value_signed))
					goto trunc;
				if (it.leaf != LF_BCLASS && it.leaf != LF_BINTERFACE) {
					if (hvs__pdb_cstr(p + pos, n - pos, &it.name, &used))
						goto trunc;
					pos += used;
				}
				break;
			case LF_VBCLASS:
			case LF_IVBCLASS:
				if (n - pos < 10)
					goto trunc;
				it.attr = hvs__le16(p + pos);
				it.type = hvs__le32(p + pos + 2);
				pos += 10;
				if (skip_numeric(p, n, &pos, &it.value, &it.value_signed) ||
				    skip_numeric(p, n, &pos, &it.value, &it.value_signed))
					goto trunc;
				break;
			case LF_ENUMERATE:
				if (n - pos < 2)
					goto trunc;
				it.attr = hvs__le16(p + pos);
				pos += 2;
				if (skip_numeric(p, n, &pos, &it.value, &it.value_signed) ||
				    hvs__pdb_cstr(p + pos, n - pos, &it.name, &used))
					goto trunc;
				pos += used;
				break;
			case LF_METHOD:
				if (n - pos < 6 ||
				    hvs__pdb_cstr(p + pos + 6, n - pos - 6, &it.name, &used))
					goto trunc;
				it.type = hvs__le32(p + pos + 2);
				pos += 6 + used;
				break;
			case LF_ONEMETHOD:
				if (n - pos < 6)
					goto trunc;
				it.attr = hvs__le16(p + pos);
				it.type = hvs__le32(p + pos + 2);
				pos += 6;
				/* Introducing virtuals carry a vtable offset. */
				mprop = (it.attr >> 2) & 7;
				if (mprop == 4 || mprop == 6) {
					if (n - pos < 4)
						goto trunc;
					pos += 4;
				}
				if (hvs__pdb_cstr(p + pos, n - pos, &it.name, &used))
					goto trunc;
				pos += used;
				break;
			case LF_NESTTYPE:
			case LF_FRIENDFCN:
				if (n - pos < 6 ||
				    hvs__pdb_cstr(p + pos + 6, n - pos - 6, &it.name, &used))
					goto trunc;
				it.type = hvs__le32(p + pos + 2);
				pos += 6 + used;
				break;
			case LF_VFUNCTAB:
			case LF_FRIENDCLS:
			case LF_INDEX:
				if (n - pos < 6)
					goto trunc;
				it.type = hvs__le32(p + pos + 2);
				pos += 6;
				if (it.leaf == LF_INDEX) {
					next = it.type;
					continue;
				}
				break;
			case LF_VFUNCOFF:
				if (n - pos < 10)
					goto trunc;
				it.type = hvs__le32(p + pos + 2);
				pos += 10;
				break;
			default:
				/* Member records carry no length: one we cannot
				 * decode leaves the rest of the list unreadable. */
				return HVS_CORRUPT(&pdb->err,
						   "%s: type 0x%x (field list at stream offset %u): unknown member leaf 0x%04x at record offset %zu",
						   t->label, flist, t->offs[flist - t->begin],
						   it.leaf, pos - 2);
			}
			if (fn(ud, &it))
				return HVS_OK;
		}
		if (next && ++conts > PDB_MAX_FIELD_CONT)
			return type_corrupt(pdb, t, flist, "too many LF_INDEX continuations (a cycle?)");
		flist = next;
		continue;
trunc:
		return HVS_CORRUPT(&pdb->err,
				   "%s: type 0x%x (field list at stream offset %u): member record truncated at record offset %zu",
				   t->label, flist, t->offs[flist - t->begin], pos);
	}
	return HVS_OK;
}

/* ------------------------------------------------------------- fields */

/* Is @name what compilers give an anonymous member or its type? */
static int anonymous_name(const char *name)
{
	return !*name || strncmp(name, "<unnamed-", 9) == 0 ||
	       strncmp(name, "<anonymous-", 11) == 0 ||
	       strncmp(name, "__unnamed", 9) == 0;
}

typedef struct field_walk {
	hvs_pdb *pdb;
	uint32_t flags;
	hvs_pdb_field_fn fn;
	void *ud;
	uint64_t base;
	uint32_t depth;
	hvs_status status;
	int stopped;
} field_walk;

static hvs_status walk_udt_fields(field_walk *w, uint32_t ti);

/* The resolved UDT behind @ti (through modifiers), or 0 when it is none. */
static hvs_status udt_of(hvs_pdb *pdb, uint32_t ti, uint32_t *out)
{
	unsigned d;
	*out = 0;
	for (d = 0; d <= HVS_PDB_MAX_TYPE_DEPTH; d++) {
		hvs_pdb_type t;
		uint32_t r;
		HVS_TRY(resolve_depth(pdb, ti, &r));
		HVS_TRY(type_get_depth(pdb, r, 0, &t));
		if (t.kind == HVS_PDB_TYPE_MODIFIER) {
			ti = t.element;
			continue;
		}
		if (t.kind == HVS_PDB_TYPE_STRUCT || t.kind == HVS_PDB_TYPE_CLASS ||
		    t.kind == HVS_PDB_TYPE_UNION || t.kind == HVS_PDB_TYPE_INTERFACE)
			*out = r;
		return HVS_OK;
	}
	return type_corrupt(pdb, &pdb->tpi, ti, "modifier chain deeper than 64 (a cycle?)");
}

/* One field-list member: report data members and bases, or descend into
 * an anonymous member or a base when the flags ask for it. */
static int field_cb(void *ud, const fl_item *it)
{
	field_walk *w = ud;
	hvs_pdb_field f;
	hvs_pdb_type ft;
	uint32_t sub;

	if (it->leaf != LF_MEMBER && it->leaf != LF_STMEMBER &&
	    it->leaf != LF_BCLASS && it->leaf != LF_BINTERFACE)
		return 0;
	if (it->leaf == LF_STMEMBER && !(w->flags & HVS_PDB_FIELDS_STATIC))
		return 0;
	/* Offsets are relative to the object the list belongs to: add the
	 * offset of the anonymous member or base we descended through, so
	 * callers always see offsets from the outermost type. */
	memset(&f, 0, sizeof f);
	f.name = it->name;
	f.offset = it->leaf == LF_STMEMBER ? 0 : w->base + it->value;
	f.type_index = it->type;
	f.attr = it->attr;
	f.depth = w->depth;
	f.is_static = it->leaf == LF_STMEMBER;
	f.is_base = it->leaf == LF_BCLASS || it->leaf == LF_BINTERFACE;
	w->status = type_get_depth(w->pdb, it->type, 0, &ft);
	if (w->status == HVS_E_NOTFOUND)
		w->status = type_corrupt(w->pdb, &w->pdb->tpi, it->type,
					 "member type index out of range");
	if (w->status)
		return 1;
	f.size = ft.size;
	if (ft.kind == HVS_PDB_TYPE_BITFIELD) {
		f.is_bitfield = 1;
		f.bit_pos = ft.bit_pos;
		f.bit_len = ft.bit_len;
	}
	/* Descend into base classes and anonymous UDT members when asked. */
	if ((f.is_base && (w->flags & HVS_PDB_FIELDS_BASES)) ||
	    (!f.is_base && !f.is_static && (w->flags & HVS_PDB_FIELDS_FLATTEN) &&
	     anonymous_name(f.name))) {
		w->status = udt_of(w->pdb, it->type, &sub);
		if (w->status)
			return 1;
		if (sub) {
			uint64_t save = w->base;
			if (w->depth >= HVS_PDB_MAX_TYPE_DEPTH) {
				w->status = type_corrupt(w->pdb, &w->pdb->tpi, sub,
							 "nested members deeper than 64 (a cycle?)");
				return 1;
			}
			w->base = f.offset;
			w->depth++;
			w->status = walk_udt_fields(w, sub);
			w->depth--;
			w->base = save;
			return w->status != HVS_OK || w->stopped;
		}
	}
	if (w->fn(w->ud, &f)) {
		w->stopped = 1;
		return 1;
	}
	return 0;
}

/* List the members of UDT @ti (already resolved) through its field list. */
static hvs_status walk_udt_fields(field_walk *w, uint32_t ti)
{
	hvs_pdb_type t;
	hvs_status s;

	HVS_TRY(type_get_depth(w->pdb, ti, 0, &t));
	if (t.kind != HVS_PDB_TYPE_STRUCT && t.kind != HVS_PDB_TYPE_CLASS &&
	    t.kind != HVS_PDB_TYPE_UNION && t.kind != HVS_PDB_TYPE_INTERFACE)
		return hvs__err_set(&w->pdb->err, HVS_E_INVALID,
				    "type 0x%x is not a structure, class or union", ti);
	s = walk_fieldlist(w->pdb, t.index, field_cb, w);
	if (s)
		return s;
	return w->status;
}

/* Public entry: resolve a forward reference, then walk its members. */
hvs_status hvs_pdb_foreach_field(hvs_pdb *pdb, uint32_t ti, uint32_t flags,
				 hvs_pdb_field_fn fn, void *ud)
{
	field_walk w;
	uint32_t r;

	if (!pdb || !fn)
		return HVS_E_INVALID;
	HVS_TRY(resolve_depth(pdb, ti, &r));
	memset(&w, 0, sizeof w);
	w.pdb = pdb;
	w.flags = flags;
	w.fn = fn;
	w.ud = ud;
	return walk_udt_fields(&w, r);
}

/* Field lookup: the first member named exactly @name, anonymous members and
 * base classes searched too. */
typedef struct find_ctx {
	const char *name;
	size_t len;
	hvs_pdb_field found;
	int ok;
} find_ctx;

/* Stop at the first member with the wanted name (bases are containers). */
static int find_cb(void *ud, const hvs_pdb_field *f)
{
	find_ctx *c = ud;
	if (f->is_base)
		return 0;
	if (strlen(f->name) == c->len && memcmp(f->name, c->name, c->len) == 0) {
		c->found = *f;
		c->ok = 1;
		return 1;
	}
	return 0;
}

/* Each path component is searched with anonymous members and bases
 * flattened, as dt and FindSavedStateSymbolFieldInType find them. */
hvs_status hvs_pdb_find_field_ti(hvs_pdb *pdb, uint32_t ti, const char *field,
				 hvs_pdb_field *out)
{
	const char *seg = field;
	uint64_t base = 0;
	uint32_t cur = ti;

	if (!pdb || !field || !out)
		return HVS_E_INVALID;
	/* A dotted path descends into named members, adding their offsets. */
	for (;;) {
		const char *dot = strchr(seg, '.');
		find_ctx c;
		uint32_t r;

		memset(&c, 0, sizeof c);
		c.name = seg;
		c.len = dot ? (size_t)(dot - seg) : strlen(seg);
		if (!c.len)
			return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
					    "field \"%s\": empty name component", field);
		/* Each step starts from a definition: a member's type is
		 * often a forward reference (pointers, nested structures). */
		HVS_TRY(resolve_depth(pdb, cur, &r));
		HVS_TRY(hvs_pdb_foreach_field(pdb, r,
					      HVS_PDB_FIELDS_FLATTEN | HVS_PDB_FIELDS_BASES,
					      find_cb, &c));
		if (!c.ok)
			return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
					    "field \"%.*s\" not found in type 0x%x",
					    (int)c.len, seg, r);
		c.found.offset += base;
		if (!dot) {
			*out = c.found;
			return HVS_OK;
		}
		HVS_TRY(udt_of(pdb, c.found.type_index, &cur));
		if (!cur)
			return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
					    "field \"%.*s\" is not a structure, class or union",
					    (int)c.len, seg);
		base = c.found.offset;
		seg = dot + 1;
	}
}

/* ---------------------------------------------------------- enumerators */

typedef struct enum_walk {
	hvs_pdb_enumerator_fn fn;
	void *ud;
} enum_walk;

/* Report the LF_ENUMERATE members only. */
static int enum_cb(void *ud, const fl_item *it)
{
	enum_walk *w = ud;
	hvs_pdb_enumerator e;
	if (it->leaf != LF_ENUMERATE)
		return 0;
	e.name = it->name;
	e.value = it->value;
	e.value_signed = it->value_signed;
	return w->fn(w->ud, &e);
}

/* Public entry: the enumerators of an enum, in field-list order. */
hvs_status hvs_pdb_foreach_enumerator(hvs_pdb *pdb, uint32_t ti,
				      hvs_pdb_enumerator_fn fn, void *ud)
{
	hvs_pdb_type t;
	enum_walk w;
	uint32_t r;

	if (!pdb || !fn)
		return HVS_E_INVALID;
	HVS_TRY(resolve_depth(pdb, ti, &r));
	HVS_TRY(type_get_depth(pdb, r, 0, &t));
	if (t.kind != HVS_PDB_TYPE_ENUM)
		return hvs__err_set(&pdb->err, HVS_E_INVALID, "type 0x%x is not an enum", ti);
	w.fn = fn;
	w.ud = ud;
	return walk_fieldlist(pdb, t.index, enum_cb, &w);
}

/* Argument @i of an LF_ARGLIST, its count checked against the record. */
hvs_status hvs_pdb_arg_get(hvs_pdb *pdb, uint32_t arglist_ti, uint32_t i,
			   uint32_t *ti)
{
	uint16_t leaf;
	const uint8_t *p;
	uint32_t n;

	if (!pdb || !ti)
		return HVS_E_INVALID;
	HVS_TRY(hvs__pdb_tpi_record(pdb, &pdb->tpi, arglist_ti, &leaf, &p, &n));
	if (leaf != LF_ARGLIST)
		return hvs__err_set(&pdb->err, HVS_E_INVALID,
				    "type 0x%x is not an argument list", arglist_ti);
	if (n < 4 || hvs__le32(p) > (n - 4) / 4)
		return type_corrupt(pdb, &pdb->tpi, arglist_ti,
				    "LF_ARGLIST count runs past the record");
	if (i >= hvs__le32(p))
		return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
				    "argument %u is past the list's %u", i, hvs__le32(p));
	*ti = hvs__le32(p + 4 + 4 * (size_t)i);
	return HVS_OK;
}

/* S_*PROC32_ID name an IPI function id; the TPI type is inside it. */
hvs_status hvs__pdb_func_id_type(hvs_pdb *pdb, uint32_t id, uint32_t *ti)
{
	uint16_t leaf;
	const uint8_t *p;
	uint32_t n;
	hvs_status s = hvs__pdb_tpi_record(pdb, &pdb->ipi, id, &leaf, &p, &n);

	if (s)
		return s;
	if ((leaf != LF_FUNC_ID && leaf != LF_MFUNC_ID) || n < 8)
		return type_corrupt(pdb, &pdb->ipi, id,
				    "expected an LF_FUNC_ID or LF_MFUNC_ID record");
	*ti = hvs__le32(p + 4);
	return HVS_OK;
}
