/* SPDX-License-Identifier: MIT */
/*
 * An independent oracle for PDB facts: runs LLVM's llvm-pdbutil
 * (`dump --summary --section-headers --globals --publics --types`) on a
 * PDB and parses its text, so that symbol tests compare what our reader
 * and provider say with what LLVM says for the same file.
 *
 * Parsed: the GUID and age of the summary; section header virtual
 * addresses (to turn "addr = SSSS:OOOO" into an RVA); S_GDATA32 /
 * S_LDATA32 / S_PUB32 names and addresses ("addr = SEG:OFF", both
 * decimal); LF_STRUCTURE / LF_UNION
 * definitions (name, sizeof, field list) and LF_FIELDLIST LF_MEMBER
 * entries (name, offset, type index).  Header-only, for tests.
 */
#ifndef HVS_TEST_PDBUTIL_ORACLE_H
#define HVS_TEST_PDBUTIL_ORACLE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define PO_MAX_SECT 32
#define PO_MAX_SYM 4096
#define PO_MAX_UDT 2048
#define PO_MAX_MEMBER 16384

typedef struct po_sym {
	char name[128];
	int is_public;
	uint32_t seg, off;
} po_sym;

typedef struct po_udt {
	char name[160];
	uint32_t ti, fieldlist;
	uint64_t size;
	int fwd;
} po_udt;

typedef struct po_member {
	uint32_t fieldlist;
	char name[96];
	uint64_t offset;
	uint32_t type;
} po_member;

typedef struct po {
	char guid[40];  /* "4DB34CCE-CA22-151B-4C4C-44205044422E" */
	uint32_t age;
	uint32_t sect_va[PO_MAX_SECT + 1]; /* 1-based */
	uint32_t nsect;
	po_sym *syms;
	size_t nsyms;
	po_udt *udts;
	size_t nudts;
	po_member *members;
	size_t nmembers;
} po;

static void po_free(po *p)
{
	free(p->syms);
	free(p->udts);
	free(p->members);
	memset(p, 0, sizeof *p);
}

/* The text between the first pair of backquotes of @line. */
static int po_quoted(const char *line, char *out, size_t size)
{
	const char *a = strchr(line, '`'), *b;
	size_t n;
	if (!a)
		return -1;
	b = strchr(a + 1, '`');
	if (!b)
		return -1;
	n = (size_t)(b - a - 1);
	if (n >= size)
		n = size - 1;
	memcpy(out, a + 1, n);
	out[n] = '\0';
	return 0;
}

/*
 * Run llvm-pdbutil on @pdb and parse its output.
 * @return 0; -1 when llvm-pdbutil is missing or fails (the test skips).
 */
static int po_load(po *p, const char *pdb)
{
	char cmd[8800], line[1024], tmp[4096];
	FILE *f;
	int rc;
	enum { NONE, SECT, SYM, UDT, FIELDS } state = NONE;
	uint32_t cur_fl = 0;
	memset(p, 0, sizeof *p);
	p->syms = calloc(PO_MAX_SYM, sizeof *p->syms);
	p->udts = calloc(PO_MAX_UDT, sizeof *p->udts);
	p->members = calloc(PO_MAX_MEMBER, sizeof *p->members);
	if (!p->syms || !p->udts || !p->members) {
		po_free(p);
		return -1;
	}
	/* A host tool (testplat.h): its output goes through a file. */
	snprintf(tmp, sizeof tmp, "%s", test_tmp_path("pdbutil_oracle.out"));
	snprintf(cmd, sizeof cmd,
		 "llvm-pdbutil dump --summary --section-headers --globals --publics --types "
		 "'%s' > '%s' 2>/dev/null", pdb, tmp);
	rc = test_sh(cmd, NULL, NULL);
	f = rc == 0 ? fopen(tmp, "r") : NULL;
	if (!f) {
		po_free(p);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *s = line;
		unsigned a, b;
		while (*s == ' ')
			s++;
		if (strncmp(s, "GUID: {", 7) == 0) {
			snprintf(p->guid, sizeof p->guid, "%.36s", s + 7);
		} else if (strncmp(s, "Age: ", 5) == 0 && !p->age) {
			p->age = (uint32_t)strtoul(s + 5, NULL, 10);
		} else if (strncmp(s, "SECTION HEADER #", 16) == 0) {
			p->nsect = (uint32_t)strtoul(s + 16, NULL, 10);
			state = SECT;
		} else if (state == SECT && strstr(s, "virtual address") &&
			   p->nsect <= PO_MAX_SECT) {
			p->sect_va[p->nsect] = (uint32_t)strtoul(s, NULL, 16);
		} else if ((strstr(s, "| S_GDATA32 ") || strstr(s, "| S_LDATA32 ") ||
			    strstr(s, "| S_PUB32 ")) && p->nsyms < PO_MAX_SYM) {
			po_sym *y = &p->syms[p->nsyms];
			if (po_quoted(s, y->name, sizeof y->name) == 0) {
				y->is_public = strstr(s, "| S_PUB32 ") != NULL;
				state = SYM;
			}
		} else if (state == SYM && (s = strstr(s, "addr = ")) &&
			   sscanf(s, "addr = %u:%u", &a, &b) == 2) {
			p->syms[p->nsyms].seg = a;
			p->syms[p->nsyms].off = b;
			p->nsyms++;
			state = NONE;
		} else if ((strstr(s, "| LF_STRUCTURE ") || strstr(s, "| LF_UNION ")) &&
			   p->nudts < PO_MAX_UDT) {
			po_udt *u = &p->udts[p->nudts];
			u->ti = (uint32_t)strtoul(s, NULL, 16);
			if (po_quoted(s, u->name, sizeof u->name) == 0)
				state = UDT;
		} else if (state == UDT && strstr(s, "field list: ")) {
			const char *fl = strstr(s, "field list: ") + 12;
			p->udts[p->nudts].fieldlist =
				strncmp(fl, "<no type>", 9) == 0 ? 0 : (uint32_t)strtoul(fl, NULL, 16);
		} else if (state == UDT && strstr(s, "sizeof ")) {
			po_udt *u = &p->udts[p->nudts];
			u->size = strtoull(strstr(s, "sizeof ") + 7, NULL, 10);
			u->fwd = strstr(s, "forward ref") != NULL;
			p->nudts++;
			state = NONE;
		} else if (strstr(s, "| LF_FIELDLIST ")) {
			cur_fl = (uint32_t)strtoul(s, NULL, 16);
			state = FIELDS;
		} else if (state == FIELDS && strncmp(s, "- LF_MEMBER ", 12) == 0 &&
			   p->nmembers < PO_MAX_MEMBER) {
			po_member *m = &p->members[p->nmembers];
			const char *o = strstr(s, "offset = "), *t = strstr(s, "Type = ");
			m->fieldlist = cur_fl;
			if (po_quoted(s, m->name, sizeof m->name) == 0 && o && t) {
				m->offset = strtoull(o + 9, NULL, 10);
				m->type = (uint32_t)strtoul(t + 7, NULL, 16);
				p->nmembers++;
			}
		} else if (state == FIELDS && strncmp(s, "- ", 2) != 0) {
			state = NONE;
		}
	}
	fclose(f);
	remove(tmp);
	if (!p->guid[0]) {
		po_free(p);
		return -1;
	}
	return 0;
}

/* RVA of a data symbol or public named @name (data preferred). */
static int po_global_rva(const po *p, const char *name, uint32_t *rva)
{
	size_t i;
	int pass;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < p->nsyms; i++) {
			const po_sym *y = &p->syms[i];
			if (y->is_public != pass || strcmp(y->name, name) != 0)
				continue;
			if (y->seg == 0 || y->seg > p->nsect || y->seg > PO_MAX_SECT)
				return -1;
			*rva = p->sect_va[y->seg] + y->off;
			return 0;
		}
	}
	return -1;
}

/* The definition of struct/union @name. */
static const po_udt *po_find_udt(const po *p, const char *name)
{
	size_t i;
	for (i = 0; i < p->nudts; i++)
		if (!p->udts[i].fwd && strcmp(p->udts[i].name, name) == 0)
			return &p->udts[i];
	return NULL;
}

/* Member @i (0-based) of the field list of @u, or NULL past the end. */
static const po_member *po_member_at(const po *p, const po_udt *u, size_t i)
{
	size_t k, n = 0;
	for (k = 0; k < p->nmembers; k++) {
		if (p->members[k].fieldlist != u->fieldlist)
			continue;
		if (n++ == i)
			return &p->members[k];
	}
	return NULL;
}

#endif
