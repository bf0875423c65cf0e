/* SPDX-License-Identifier: MIT */
/*
 * Types by name and names of types: hvs_pdb_find_type(), the type size by
 * name that GetSavedStateSymbolTypeSize needs, and the type-name printer in
 * two styles (docs/format/pdb.md section 7):
 *  - C: as llvm-pdbutil names types ("_LIST_ENTRY*", "const volatile int",
 *    "int (int)", "void (int, char*)*"), so the differential test can
 *    compare them; arrays, which LLVM leaves unnamed, print as C does
 *    ("int[2][3]").
 *  - WinDbg: as `dt` prints member types ("Ptr64 _LIST_ENTRY",
 *    "[2] [3] Int4B", "Uint4B", "Pos 3, 5 Bits").
 */
#include <stdio.h>
#include <string.h>

#include "pdb/pdb_int.h"

/* A growing string in the handle's scratch buffer. */
typedef struct sbuf {
	hvs_pdb *pdb;
	size_t len;
	int oom;
} sbuf;

/* Append @n bytes; an allocation failure is remembered, not reported at
 * once, so the printers need no error path for every piece. */
static void put_n(sbuf *b, const char *s, size_t n)
{
	hvs_pdb *pdb = b->pdb;
	size_t need;

	if (b->oom)
		return;
	if (hvs__add_size(b->len, n + 1, &need) ||
	    hvs__grow(&pdb->alloc, (void **)&pdb->scratch, &pdb->scratch_cap, need, 1)) {
		b->oom = 1;
		return;
	}
	memcpy(pdb->scratch + b->len, s, n);
	b->len += n;
	pdb->scratch[b->len] = 0;
}

/* Append a NUL-terminated string. */
static void put(sbuf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

/* Append a decimal number. */
static void put_u64(sbuf *b, uint64_t v)
{
	char tmp[24];
	snprintf(tmp, sizeof tmp, "%" PRIu64, v);
	put(b, tmp);
}

static hvs_status name_c(sbuf *b, uint32_t ti, unsigned depth);

/* The error for a reference chain longer than HVS_PDB_MAX_TYPE_DEPTH. */
static hvs_status too_deep(hvs_pdb *pdb, uint32_t ti)
{
	return HVS_CORRUPT(&pdb->err,
			   "TPI: type 0x%x: type references nest deeper than 64 while naming it (a cycle?)",
			   ti);
}

/* Type @ti, mapping "not found" for a referenced index to damage. */
static hvs_status get_ref(hvs_pdb *pdb, uint32_t from, uint32_t ti, hvs_pdb_type *t)
{
	hvs_status s = hvs_pdb_type_get(pdb, ti, t);
	if (s == HVS_E_NOTFOUND)
		return HVS_CORRUPT(&pdb->err,
				   "TPI: type 0x%x refers to type 0x%x, which is out of range",
				   from, ti);
	return s;
}

/* "(a, b)" for an argument list. */
static hvs_status name_args(sbuf *b, uint32_t arglist, unsigned depth)
{
	hvs_pdb_type t;
	uint32_t i;

	HVS_TRY(get_ref(b->pdb, arglist, arglist, &t));
	put(b, "(");
	if (t.kind == HVS_PDB_TYPE_ARGLIST) {
		for (i = 0; i < t.count; i++) {
			uint32_t a;
			HVS_TRY(hvs_pdb_arg_get(b->pdb, arglist, i, &a));
			if (i)
				put(b, ", ");
			HVS_TRY(name_c(b, a, depth + 1));
		}
	}
	put(b, ")");
	return HVS_OK;
}

/* Print @ti in the C (llvm-pdbutil) style. */
static hvs_status name_c(sbuf *b, uint32_t ti, unsigned depth)
{
	hvs_pdb *pdb = b->pdb;
	hvs_pdb_type t;

	if (depth > HVS_PDB_MAX_TYPE_DEPTH)
		return too_deep(pdb, ti);
	if (ti == 0) {
		put(b, "<no type>");
		return HVS_OK;
	}
	/* Built-in types: LLVM's names, "*" for the pointer modes. */
	if (ti < 0x1000) {
		const char *nm = hvs__pdb_simple_name(ti, NULL);
		put(b, nm ? nm : "<unknown simple type>");
		if (nm && ((ti >> 8) & 0xf))
			put(b, "*");
		return HVS_OK;
	}
	HVS_TRY(hvs_pdb_type_get(pdb, ti, &t));
	switch (t.kind) {
	case HVS_PDB_TYPE_STRUCT:
	case HVS_PDB_TYPE_CLASS:
	case HVS_PDB_TYPE_UNION:
	case HVS_PDB_TYPE_INTERFACE:
	case HVS_PDB_TYPE_ENUM:
		put(b, t.name);
		return HVS_OK;
	case HVS_PDB_TYPE_MODIFIER:
		/* Modifier qualifiers apply to the referent: on the left. */
		if (t.modifiers & HVS_PDB_MOD_CONST)
			put(b, "const ");
		if (t.modifiers & HVS_PDB_MOD_VOLATILE)
			put(b, "volatile ");
		if (t.modifiers & HVS_PDB_MOD_UNALIGNED)
			put(b, "__unaligned ");
		return name_c(b, t.element, depth + 1);
	case HVS_PDB_TYPE_POINTER:
		HVS_TRY(name_c(b, t.element, depth + 1));
		put(b, t.ptr_mode == 1 ? "&" : t.ptr_mode == 4 ? "&&" : "*");
		/* Pointer qualifiers apply to the pointer itself: on the right. */
		if (t.modifiers & HVS_PDB_MOD_CONST)
			put(b, " const");
		if (t.modifiers & HVS_PDB_MOD_VOLATILE)
			put(b, " volatile");
		if (t.modifiers & HVS_PDB_MOD_UNALIGNED)
			put(b, " __unaligned");
		return HVS_OK;
	case HVS_PDB_TYPE_ARRAY: {
		/* C order: the outermost dimension first, "int[2][3]". */
		uint64_t dims[HVS_PDB_MAX_TYPE_DEPTH + 1];
		unsigned nd = 0, i;
		hvs_pdb_type e = t;
		while (e.kind == HVS_PDB_TYPE_ARRAY) {
			if (nd > HVS_PDB_MAX_TYPE_DEPTH)
				return too_deep(pdb, ti);
			dims[nd++] = e.count;
			HVS_TRY(get_ref(pdb, e.ti, e.element, &e));
		}
		HVS_TRY(name_c(b, e.ti, depth + nd));
		for (i = 0; i < nd; i++) {
			put(b, "[");
			put_u64(b, dims[i]);
			put(b, "]");
		}
		return HVS_OK;
	}
	case HVS_PDB_TYPE_BITFIELD:
		return name_c(b, t.element, depth + 1);
	case HVS_PDB_TYPE_PROCEDURE:
		HVS_TRY(name_c(b, t.element, depth + 1));
		put(b, " ");
		return name_args(b, t.index, depth);
	case HVS_PDB_TYPE_MFUNCTION: {
		/* "int nt::Base::(int)": the class (u32 after the return type
		 * in the record) before the argument list, as LLVM names it. */
		uint16_t leaf;
		const uint8_t *p;
		uint32_t n;
		HVS_TRY(name_c(b, t.element, depth + 1));
		put(b, " ");
		HVS_TRY(hvs__pdb_tpi_record(pdb, &pdb->tpi, ti, &leaf, &p, &n));
		HVS_TRY(name_c(b, hvs__le32(p + 4), depth + 1));
		put(b, "::");
		return name_args(b, t.index, depth);
	}
	case HVS_PDB_TYPE_ARGLIST:
		return name_args(b, ti, depth);
	default:
		put(b, "<unnamed type>");
		return HVS_OK;
	}
}

/* WinDbg `dt` names of simple types. */
static const char *windbg_simple(uint32_t kind)
{
	switch (kind) {
	case 0x03: return "Void";
	case 0x08: return "Int4B";
	case 0x10: case 0x70: case 0x68: return "Char";
	case 0x20: case 0x69: case 0x7c: return "UChar";
	case 0x71: case 0x7a: return "Wchar";
	case 0x7b: return "Uint4B";
	case 0x11: case 0x72: return "Int2B";
	case 0x21: case 0x73: return "Uint2B";
	case 0x12: case 0x74: return "Int4B";
	case 0x22: case 0x75: return "Uint4B";
	case 0x13: case 0x76: return "Int8B";
	case 0x23: case 0x77: return "Uint8B";
	case 0x14: case 0x78: return "Int16B";
	case 0x24: case 0x79: return "Uint16B";
	case 0x40: case 0x41: case 0x42: case 0x45: case 0x46: return "Float";
	case 0x30: case 0x31: case 0x32: case 0x33: return "Bool";
	default: return NULL;
	}
}

/* Print @ti as WinDbg's dt does. */
static hvs_status name_windbg(sbuf *b, uint32_t ti, unsigned depth)
{
	hvs_pdb *pdb = b->pdb;
	hvs_pdb_type t;

	if (depth > HVS_PDB_MAX_TYPE_DEPTH)
		return too_deep(pdb, ti);
	if (ti == 0) {
		put(b, "<no type>");
		return HVS_OK;
	}
	if (ti < 0x1000) {
		uint64_t sz = 0;
		const char *nm = windbg_simple(ti & 0xff);
		if ((ti >> 8) & 0xf) {
			hvs__pdb_simple_name(ti, &sz);
			put(b, sz == 4 ? "Ptr32 " : "Ptr64 ");
		}
		if (nm) {
			put(b, nm);
		} else {
			nm = hvs__pdb_simple_name(ti & 0xff, NULL);
			put(b, nm ? nm : "<unknown simple type>");
		}
		return HVS_OK;
	}
	HVS_TRY(hvs_pdb_type_get(pdb, ti, &t));
	switch (t.kind) {
	/* dt names structures by their tag, without "struct". */
	case HVS_PDB_TYPE_STRUCT:
	case HVS_PDB_TYPE_CLASS:
	case HVS_PDB_TYPE_UNION:
	case HVS_PDB_TYPE_INTERFACE:
	case HVS_PDB_TYPE_ENUM:
		put(b, t.name);
		return HVS_OK;
	case HVS_PDB_TYPE_MODIFIER: /* dt does not show qualifiers */
		return name_windbg(b, t.element, depth + 1);
	case HVS_PDB_TYPE_POINTER: {
		hvs_pdb_type e;
		put(b, t.size == 4 ? "Ptr32 " : "Ptr64 ");
		HVS_TRY(get_ref(pdb, ti, t.element, &e));
		/* A function pointer shows as "Ptr64 <return type>" in C names. */
		if (e.kind == HVS_PDB_TYPE_PROCEDURE || e.kind == HVS_PDB_TYPE_MFUNCTION)
			return name_c(b, e.element, depth + 1);
		return name_windbg(b, t.element, depth + 1);
	}
	case HVS_PDB_TYPE_ARRAY:
		/* Outer dimension first, each in its own brackets. */
		put(b, "[");
		put_u64(b, t.count);
		put(b, "] ");
		return name_windbg(b, t.element, depth + 1);
	case HVS_PDB_TYPE_BITFIELD:
		put(b, "Pos ");
		put_u64(b, t.bit_pos);
		put(b, ", ");
		put_u64(b, t.bit_len);
		put(b, t.bit_len == 1 ? " Bit" : " Bits");
		return HVS_OK;
	case HVS_PDB_TYPE_PROCEDURE:
	case HVS_PDB_TYPE_MFUNCTION:
		return name_c(b, t.element, depth + 1);
	default:
		return name_c(b, ti, depth);
	}
}

/* Print into the handle's scratch buffer, then copy out (truncated), so
 * the caller learns the full length even when its buffer is short. */
hvs_status hvs_pdb_type_name(hvs_pdb *pdb, uint32_t ti, hvs_pdb_name_style style,
			     char *buf, size_t size, size_t *len)
{
	sbuf b;
	hvs_status s;

	if (!pdb || (!buf && size))
		return HVS_E_INVALID;
	if (size)
		buf[0] = 0; /* an empty name on failure */
	b.pdb = pdb;
	b.len = 0;
	b.oom = 0;
	put(&b, "");
	s = style == HVS_PDB_NAME_WINDBG ? name_windbg(&b, ti, 0) : name_c(&b, ti, 0);
	if (s)
		return s;
	if (b.oom)
		return hvs__err_set(&pdb->err, HVS_E_NOMEM, "type name: out of memory");
	if (len)
		*len = b.len;
	if (size) {
		size_t n = b.len < size - 1 ? b.len : size - 1;
		memcpy(buf, pdb->scratch, n);
		buf[n] = 0;
	}
	return b.len < size ? HVS_OK : HVS_E_BUFSIZE;
}

/* ------------------------------------------------------------ by name */

/* A simple type by its C name ("unsigned long"): the first kind with that
 * name, as a direct (non-pointer) type. */
static uint32_t simple_by_name(const char *name)
{
	uint32_t k;
	for (k = 1; k < 0x100; k++) {
		const char *nm = hvs__pdb_simple_name(k, NULL);
		if (nm && strcmp(nm, name) == 0)
			return k;
	}
	return 0;
}

/* Look a type up by name: UDTs and enums, then typedefs, then simple
 * types; the result is resolved to a definition. */
hvs_status hvs_pdb_find_type(hvs_pdb *pdb, const char *name, hvs_pdb_type *out)
{
	uint32_t ti = 0, r;
	hvs_status s;

	if (!pdb || !name || !out)
		return HVS_E_INVALID;
	/* Structures, unions and enums by name first: the common case. */
	s = hvs__pdb_udt_by_name(pdb, name, &ti);
	if (s == HVS_E_NOTFOUND) {
		/* A typedef from the global S_UDT records. */
		s = hvs__pdb_find_typedef(pdb, name, &ti);
		if (s == HVS_E_NOTFOUND) {
			ti = simple_by_name(name);
			if (!ti)
				return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
						    "type \"%s\" not found", name);
			s = HVS_OK;
		}
	}
	if (s)
		return s;
	HVS_TRY(hvs_pdb_type_resolve(pdb, ti, &r));
	s = hvs_pdb_type_get(pdb, r, out);
	if (s == HVS_E_NOTFOUND)
		return HVS_CORRUPT(&pdb->err, "type \"%s\": its type index 0x%x is out of range",
				   name, r);
	return s;
}

/* GetSavedStateSymbolTypeSize's lookup: a name, or a name with trailing
 * '*'s for a pointer of the target's size. */
hvs_status hvs_pdb_type_size_by_name(hvs_pdb *pdb, const char *name, uint64_t *size)
{
	hvs_pdb_type t;
	size_t n;
	hvs_status s;

	if (!pdb || !name || !size)
		return HVS_E_INVALID;
	*size = 0;
	n = strlen(name);
	while (n && name[n - 1] == ' ')
		n--;
	if (n && name[n - 1] == '*') {
		/* "T *": a pointer, whatever T is, as long as T exists. */
		char base[256];
		size_t m = n - 1;
		while (m && name[m - 1] == ' ')
			m--;
		if (m == 0 || m >= sizeof base)
			return hvs__err_set(&pdb->err, HVS_E_NOTFOUND,
					    "type \"%s\" not found", name);
		memcpy(base, name, m);
		base[m] = 0;
		if (strcmp(base, "void") != 0 && base[m - 1] != '*') {
			s = hvs_pdb_find_type(pdb, base, &t);
			if (s)
				return s;
		} else if (base[m - 1] == '*') {
			uint64_t dummy;
			HVS_TRY(hvs_pdb_type_size_by_name(pdb, base, &dummy));
		}
		*size = pdb->info.pointer_size;
		return HVS_OK;
	}
	s = hvs_pdb_find_type(pdb, name, &t);
	if (s)
		return s;
	*size = t.size;
	return HVS_OK;
}

/* Field lookup by type name (see hvs_pdb_find_field_ti). */
hvs_status hvs_pdb_find_field(hvs_pdb *pdb, const char *type_name, const char *field,
			      hvs_pdb_field *out)
{
	hvs_pdb_type t;

	if (!pdb || !type_name || !field || !out)
		return HVS_E_INVALID;
	HVS_TRY(hvs_pdb_find_type(pdb, type_name, &t));
	return hvs_pdb_find_field_ti(pdb, t.ti, field, out);
}
