/* SPDX-License-Identifier: MIT */
/*
 * PE/COFF images in guest memory (include/hvs/pe.h): the DOS header, the
 * NT headers, the section table, the data directories, and on demand the
 * export directory, the debug directory with its CodeView RSDS record and
 * the x64 exception directory (.pdata).
 *
 * Layouts: Microsoft "PE Format" (learn.microsoft.com, windows/win32/
 * debug/pe-format), sections "MS-DOS Stub", "Signature", "COFF File
 * Header", "Optional Header", "Section Table", "The .edata Section",
 * "The .debug Section", "The .pdata Section"; the RSDS record as
 * documented by the LLVM project (llvm/Object/CVDebugRecord.h) and
 * written by link.exe and lld-link.  docs/pe.md has the field tables and
 * the checks.
 *
 * Every field is decoded with the little-endian helpers; no structure is
 * overlaid.  Bytes come through one virtual-read callback, so the same
 * code reads a VP's address space, a caller's page-table root or a file
 * on disk (HVS_PE_FILE_LAYOUT: RVA -> file offset through the sections).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/pe.h"
#include "hvs/vp.h"
#include "pe/pe_int.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/ovf.h"

/* Sizes of the on-disk structures (PE Format). */
#define DOS_HDR_SIZE 64u      /* IMAGE_DOS_HEADER */
#define NT_SIG_SIZE 4u        /* "PE\0\0" */
#define FILE_HDR_SIZE 20u     /* IMAGE_FILE_HEADER */
#define OPT32_FIXED 96u       /* IMAGE_OPTIONAL_HEADER32 up to the directories */
#define OPT64_FIXED 112u      /* IMAGE_OPTIONAL_HEADER64 up to the directories */
#define SECTION_SIZE 40u      /* IMAGE_SECTION_HEADER */
#define EXPORT_DIR_SIZE 40u   /* IMAGE_EXPORT_DIRECTORY */
#define DEBUG_ENTRY_SIZE 28u  /* IMAGE_DEBUG_DIRECTORY */
#define RF_SIZE 12u           /* x64 RUNTIME_FUNCTION */
#define RSDS_MIN 24u          /* 'RSDS' + GUID + Age */
#define RSDS_SIG 0x53445352u  /* "RSDS" little-endian */
#define NB10_SIG 0x3031424eu  /* "NB10" little-endian */

/* Source the handle reads from and owns (the open_* conveniences). */
typedef struct vp_src {
	hvs_image *img;
	uint32_t vp;
} vp_src;

struct hvs_pe {
	hvs__alloc alloc;
	hvs__err err;
	hvs_pe_read_fn read;
	void *ud;
	uint32_t flags;
	hvs_pe_headers h;
	hvs_pe_dir dirs[HVS_PE_DIR_COUNT];
	unsigned ndirs;               /* directories decoded (<= 16) */
	hvs_pe_section *secs;
	size_t nsecs;
	/* conveniences */
	vp_src vps;
	hvs_xlat *own_xlat;
	hvs_source src;
	/* lazily decoded directories */
	int have_exports;
	hvs_pe_exports exports;
	hvs_pe_export *exp_entries;
	char **strs;                  /* every string the handle allocated */
	size_t nstrs, capstrs;
	const char *dll_name;
	int have_dll_name;
	int have_debug;
	hvs_pe_debug_entry *dbg;
	size_t ndbg;
	int have_cv;
	hvs_pe_codeview cv;
	int have_rf;
	hvs_pe_runtime_function *rf;
	size_t nrf;
};

/* ---------------------------------------------------------- reading */

/* Describe a failed read of @what at @rva / @va; returns @st. */
static hvs_status read_fail(hvs_pe *pe, hvs_status st, const char *what,
			    uint32_t rva, uint64_t va, size_t done)
{
	const char *why;

	switch (st) {
	case HVS_E_NOTPRESENT: why = "page not present"; break;
	case HVS_E_NODATA:
		why = (pe->flags & HVS_PE_FILE_LAYOUT) ? "not in the file"
						       : "page not in the image";
		break;
	default: why = hvs_strerror(st); break;
	}
	return hvs__err_set(&pe->err, st,
			    "%s at RVA 0x%" PRIx32 " (%s 0x%" PRIx64 "): %s "
			    "after %zu bytes", what, rva,
			    (pe->flags & HVS_PE_FILE_LAYOUT) ? "file offset" : "VA",
			    va, why, done);
}

/*
 * Where RVA @rva lies in the file: the headers are at their RVA, section
 * data at PointerToRawData.  [rva, rva+len) must lie in one section's raw
 * data; bytes a loader would zero-fill are not in the file (NODATA).
 */
static hvs_status rva_to_off(const hvs_pe *pe, uint32_t rva, size_t len,
			     uint64_t *off)
{
	size_t i;

	if ((uint64_t)rva + len <= pe->h.headers_size) {
		*off = rva;
		return HVS_OK;
	}
	for (i = 0; i < pe->nsecs; i++) {
		const hvs_pe_section *s = &pe->secs[i];
		uint64_t end = (uint64_t)s->rva + s->raw_size;

		if (rva >= s->rva && (uint64_t)rva + len <= end) {
			*off = (uint64_t)s->raw_off + (rva - s->rva);
			return HVS_OK;
		}
	}
	return HVS_E_NODATA;
}

/* Bytes of the file from @rva on that rva_to_off() can serve in one piece. */
static uint64_t file_avail(const hvs_pe *pe, uint32_t rva)
{
	size_t i;

	if (rva < pe->h.headers_size)
		return pe->h.headers_size - rva;
	for (i = 0; i < pe->nsecs; i++) {
		const hvs_pe_section *s = &pe->secs[i];

		if (rva >= s->rva && rva - s->rva < s->raw_size)
			return s->raw_size - (rva - s->rva);
	}
	return 0;
}

/*
 * Read [rva, rva+len) of the image for @what.  Checks the range against
 * SizeOfImage first (HVS_E_CORRUPT names the structure).
 */
static hvs_status read_at_rva_done(hvs_pe *pe, const char *what, uint32_t rva,
				   void *buf, size_t len, size_t *done_out)
{
	uint64_t va;
	size_t done = 0;
	hvs_status st;

	*done_out = 0;
	if (!hvs__in_bounds(rva, len, pe->h.image_size))
		return HVS_CORRUPT(&pe->err,
				   "%s: RVA 0x%" PRIx32 " + 0x%zx bytes is past "
				   "SizeOfImage 0x%" PRIx32, what, rva, len,
				   pe->h.image_size);
	if (pe->flags & HVS_PE_FILE_LAYOUT) {
		if (rva_to_off(pe, rva, len, &va) != HVS_OK)
			return hvs__err_set(&pe->err, HVS_E_NODATA,
					    "%s at RVA 0x%" PRIx32 ": 0x%zx bytes "
					    "not in the file (no section holds "
					    "them as raw data)", what, rva, len);
	} else {
		va = pe->h.base + rva;
	}
	st = pe->read(pe->ud, va, buf, len, &done);
	*done_out = done < len ? done : len;
	if (st != HVS_OK)
		return read_fail(pe, st, what, rva, va, done);
	return HVS_OK;
}

/* read_at_rva_done() without the progress count. */
static hvs_status read_at_rva(hvs_pe *pe, const char *what, uint32_t rva,
			      void *buf, size_t len)
{
	size_t done;

	return read_at_rva_done(pe, what, rva, buf, len, &done);
}

/* Remember an allocated string so that close() frees it. */
static hvs_status keep_str(hvs_pe *pe, char *s)
{
	if (hvs__grow(&pe->alloc, (void **)&pe->strs, &pe->capstrs,
		      pe->nstrs + 1, sizeof *pe->strs) != HVS_OK) {
		hvs__free(&pe->alloc, s);
		return hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
	}
	pe->strs[pe->nstrs++] = s;
	return HVS_OK;
}

/*
 * Read the NUL-terminated string at @rva (at most HVS_PE_MAX_NAME bytes,
 * never past SizeOfImage).  It is read a page piece at a time, so a
 * string that ends just before an unmapped page reads fine.
 */
static hvs_status read_cstr(hvs_pe *pe, const char *what, uint32_t rva,
			    const char **out)
{
	char tmp[HVS_PE_MAX_NAME + 1];
	size_t got = 0;
	char *s;
	hvs_status st;

	if (rva >= pe->h.image_size)
		return HVS_CORRUPT(&pe->err,
				   "%s: RVA 0x%" PRIx32 " is past SizeOfImage 0x%"
				   PRIx32, what, rva, pe->h.image_size);
	for (;;) {
		uint64_t at = (uint64_t)rva + got;
		size_t piece = 0x1000 - (size_t)((pe->h.base + at) & 0xfff);
		size_t room = sizeof tmp - got;
		char *nul;

		if (at >= pe->h.image_size)
			return HVS_CORRUPT(&pe->err,
					   "%s at RVA 0x%" PRIx32 ": no NUL before "
					   "the end of the image (SizeOfImage 0x%"
					   PRIx32 ")", what, rva, pe->h.image_size);
		if (piece > room)
			piece = room;
		if (piece > pe->h.image_size - at)
			piece = (size_t)(pe->h.image_size - at);
		/* A file holds a section's raw data only, not whole pages. */
		if ((pe->flags & HVS_PE_FILE_LAYOUT) && piece > file_avail(pe, (uint32_t)at))
			piece = (size_t)file_avail(pe, (uint32_t)at);
		if (!piece)
			piece = 1; /* let read_at_rva report what is missing */
		st = read_at_rva(pe, what, (uint32_t)at, tmp + got, piece);
		if (st != HVS_OK)
			return st;
		nul = memchr(tmp + got, '\0', piece);
		got += piece;
		if (nul)
			break;
		if (got == sizeof tmp)
			return HVS_CORRUPT(&pe->err,
					   "%s at RVA 0x%" PRIx32 ": longer than "
					   "%u bytes (no NUL)", what, rva,
					   HVS_PE_MAX_NAME);
	}
	s = hvs__strdup(&pe->alloc, tmp);
	if (!s)
		return hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
	HVS_TRY(keep_str(pe, s));
	*out = s;
	return HVS_OK;
}

/* --------------------------------------------------------- headers */

/* Decode the file header and the optional header (@p at the signature). */
static hvs_status parse_nt(hvs_pe *pe, const uint8_t *p, size_t n)
{
	hvs_pe_headers *h = &pe->h;
	const uint8_t *f = p + NT_SIG_SIZE, *o = f + FILE_HDR_SIZE;
	size_t fixed, avail, i;

	h->machine = hvs__le16(f + 0);
	h->section_count = hvs__le16(f + 2);
	h->timestamp = hvs__le32(f + 4);
	h->symtab_off = hvs__le32(f + 8);
	h->symbol_count = hvs__le32(f + 12);
	h->opt_header_size = hvs__le16(f + 16);
	h->characteristics = hvs__le16(f + 18);
	if (h->opt_header_size < 2)
		return HVS_CORRUPT(&pe->err,
				   "file header at offset 0x%" PRIx32 ": "
				   "SizeOfOptionalHeader %u is too small for an "
				   "image (needs the optional header)",
				   h->e_lfanew + NT_SIG_SIZE, h->opt_header_size);
	h->magic = hvs__le16(o);
	if (h->magic == HVS_PE_MAGIC_PE32)
		fixed = OPT32_FIXED;
	else if (h->magic == HVS_PE_MAGIC_PE32PLUS)
		fixed = OPT64_FIXED;
	else
		return hvs__err_set(&pe->err, HVS_E_UNSUPPORTED,
				    "optional header at offset 0x%" PRIx32 ": "
				    "magic 0x%04x, expected 0x10b (PE32) or "
				    "0x20b (PE32+)", h->e_lfanew + 24, h->magic);
	if (h->opt_header_size < fixed)
		return HVS_CORRUPT(&pe->err,
				   "optional header at offset 0x%" PRIx32 ": "
				   "SizeOfOptionalHeader %u is smaller than the "
				   "%zu bytes of a %s header", h->e_lfanew + 24,
				   h->opt_header_size, fixed,
				   fixed == OPT32_FIXED ? "PE32" : "PE32+");
	if (n < NT_SIG_SIZE + FILE_HDR_SIZE + fixed)
		return HVS_CORRUPT(&pe->err, "NT headers: short buffer");
	h->linker_major = o[2];
	h->linker_minor = o[3];
	h->code_size = hvs__le32(o + 4);
	h->init_data_size = hvs__le32(o + 8);
	h->uninit_data_size = hvs__le32(o + 12);
	h->entry_rva = hvs__le32(o + 16);
	h->code_base = hvs__le32(o + 20);
	if (fixed == OPT32_FIXED) {
		/* PE32: BaseOfData, then 32-bit ImageBase and stack/heap sizes. */
		h->data_base = hvs__le32(o + 24);
		h->image_base = hvs__le32(o + 28);
	} else {
		h->image_base = hvs__le64(o + 24);
	}
	h->section_align = hvs__le32(o + 32);
	h->file_align = hvs__le32(o + 36);
	h->os_major = hvs__le16(o + 40);
	h->os_minor = hvs__le16(o + 42);
	h->image_major = hvs__le16(o + 44);
	h->image_minor = hvs__le16(o + 46);
	h->subsystem_major = hvs__le16(o + 48);
	h->subsystem_minor = hvs__le16(o + 50);
	h->win32_version = hvs__le32(o + 52);
	h->image_size = hvs__le32(o + 56);
	h->headers_size = hvs__le32(o + 60);
	h->checksum = hvs__le32(o + 64);
	h->subsystem = hvs__le16(o + 68);
	h->dll_characteristics = hvs__le16(o + 70);
	if (fixed == OPT32_FIXED) {
		h->stack_reserve = hvs__le32(o + 72);
		h->stack_commit = hvs__le32(o + 76);
		h->heap_reserve = hvs__le32(o + 80);
		h->heap_commit = hvs__le32(o + 84);
		h->loader_flags = hvs__le32(o + 88);
		h->dir_count = hvs__le32(o + 92);
	} else {
		h->stack_reserve = hvs__le64(o + 72);
		h->stack_commit = hvs__le64(o + 80);
		h->heap_reserve = hvs__le64(o + 88);
		h->heap_commit = hvs__le64(o + 96);
		h->loader_flags = hvs__le32(o + 104);
		h->dir_count = hvs__le32(o + 108);
	}
	/*
	 * The loader uses min(NumberOfRvaAndSizes, what SizeOfOptionalHeader
	 * leaves room for); more than 16 is allowed by the format and ignored.
	 */
	avail = (h->opt_header_size - fixed) / 8;
	if (h->dir_count > avail)
		return HVS_CORRUPT(&pe->err,
				   "optional header: NumberOfRvaAndSizes %" PRIu32
				   " needs %" PRIu64 " bytes, SizeOfOptionalHeader "
				   "%u leaves %zu", h->dir_count,
				   (uint64_t)h->dir_count * 8, h->opt_header_size,
				   h->opt_header_size - fixed);
	pe->ndirs = h->dir_count < HVS_PE_DIR_COUNT ? h->dir_count : HVS_PE_DIR_COUNT;
	for (i = 0; i < pe->ndirs; i++) {
		pe->dirs[i].rva = hvs__le32(o + fixed + 8 * i);
		pe->dirs[i].size = hvs__le32(o + fixed + 8 * i + 4);
	}
	if (h->image_size == 0 || h->image_size > HVS_PE_MAX_IMAGE_SIZE)
		return HVS_CORRUPT(&pe->err,
				   "optional header: SizeOfImage 0x%" PRIx32
				   " outside (0, 0x%x]", h->image_size,
				   HVS_PE_MAX_IMAGE_SIZE);
	if (h->headers_size > h->image_size)
		return HVS_CORRUPT(&pe->err,
				   "optional header: SizeOfHeaders 0x%" PRIx32
				   " exceeds SizeOfImage 0x%" PRIx32,
				   h->headers_size, h->image_size);
	return HVS_OK;
}

/* Decode and check the section table (@p holds section_count entries). */
static hvs_status parse_sections(hvs_pe *pe, const uint8_t *p)
{
	size_t i;

	pe->nsecs = pe->h.section_count;
	if (!pe->nsecs)
		return HVS_OK;
	pe->secs = hvs__calloc(&pe->alloc, pe->nsecs, sizeof *pe->secs);
	if (!pe->secs)
		return hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
	for (i = 0; i < pe->nsecs; i++) {
		const uint8_t *q = p + i * SECTION_SIZE;
		hvs_pe_section *s = &pe->secs[i];
		uint64_t span;

		memcpy(s->name, q, 8);
		s->name[8] = '\0';
		s->virtual_size = hvs__le32(q + 8);
		s->rva = hvs__le32(q + 12);
		s->raw_size = hvs__le32(q + 16);
		s->raw_off = hvs__le32(q + 20);
		s->reloc_off = hvs__le32(q + 24);
		s->lineno_off = hvs__le32(q + 28);
		s->reloc_count = hvs__le16(q + 32);
		s->lineno_count = hvs__le16(q + 34);
		s->characteristics = hvs__le32(q + 36);
		/* A loader maps max(VirtualSize, 0 -> SizeOfRawData) at the RVA. */
		span = s->virtual_size ? s->virtual_size : s->raw_size;
		if (!hvs__in_bounds(s->rva, span, pe->h.image_size))
			return HVS_CORRUPT(&pe->err,
					   "section %zu '%s': VirtualAddress 0x%"
					   PRIx32 " + size 0x%" PRIx64 " is past "
					   "SizeOfImage 0x%" PRIx32, i, s->name,
					   s->rva, span, pe->h.image_size);
	}
	return HVS_OK;
}

/* Read and check everything up to the end of the section table. */
static hvs_status parse_headers(hvs_pe *pe)
{
	uint8_t dos[DOS_HDR_SIZE];
	uint8_t sig[NT_SIG_SIZE + FILE_HDR_SIZE];
	uint8_t nt[NT_SIG_SIZE + FILE_HDR_SIZE + 240];
	uint8_t *tab;
	size_t opt_len, tab_len, done = 0;
	uint64_t va, tab_off;
	hvs_status st;
	uint32_t lfanew;

	if (pe->h.base > UINT64_MAX - (DOS_HDR_SIZE - 1))
		return hvs__err_set(&pe->err, HVS_E_INVALID,
				    "image at 0x%" PRIx64 ": no room for a DOS header "
				    "below the end of the address space", pe->h.base);
	/* Before SizeOfImage is known the headers are read directly. */
	va = pe->h.base;
	st = pe->read(pe->ud, va, dos, sizeof dos, &done);
	if (st != HVS_OK)
		return read_fail(pe, st, "DOS header", 0, va, done);
	if (dos[0] != 'M' || dos[1] != 'Z')
		return HVS_CORRUPT(&pe->err,
				   "DOS header at 0x%" PRIx64 ": e_magic 0x%04x, "
				   "expected 0x5a4d (\"MZ\")", va, hvs__le16(dos));
	lfanew = hvs__le32(dos + 0x3c);
	pe->h.e_lfanew = lfanew;
	if (lfanew < 4 || lfanew > HVS_PE_MAX_LFANEW)
		return HVS_CORRUPT(&pe->err,
				   "DOS header: e_lfanew 0x%" PRIx32 " at offset "
				   "0x3c outside [0x4, 0x%x]", lfanew,
				   HVS_PE_MAX_LFANEW);
	/* An image must not wrap around the top of the address space: every
	 * later read is base + RVA. */
	if (pe->h.base > UINT64_MAX - (lfanew + sizeof sig + 240))
		return HVS_CORRUPT(&pe->err,
				   "image at 0x%" PRIx64 ": the NT headers would wrap "
				   "around the end of the address space", pe->h.base);
	/* Signature and file header first: they give the sizes of the rest. */
	va = pe->h.base + lfanew;
	st = pe->read(pe->ud, va, sig, sizeof sig, &done);
	if (st != HVS_OK)
		return read_fail(pe, st, "NT headers", lfanew, va, done);
	if (memcmp(sig, "PE\0\0", 4) != 0)
		return HVS_CORRUPT(&pe->err,
				   "NT headers at offset 0x%" PRIx32 " (e_lfanew): "
				   "signature %02x %02x %02x %02x, expected "
				   "\"PE\\0\\0\"", lfanew, sig[0], sig[1], sig[2],
				   sig[3]);
	pe->h.opt_header_size = hvs__le16(sig + NT_SIG_SIZE + 16);
	pe->h.section_count = hvs__le16(sig + NT_SIG_SIZE + 2);
	if (pe->h.section_count > HVS_PE_MAX_SECTIONS)
		return HVS_CORRUPT(&pe->err,
				   "file header at offset 0x%" PRIx32 ": "
				   "NumberOfSections %u exceeds %u", lfanew + 4,
				   pe->h.section_count, HVS_PE_MAX_SECTIONS);
	/* Then the optional header up to the 16 directories we decode. */
	opt_len = pe->h.opt_header_size < 240 ? pe->h.opt_header_size : 240;
	memcpy(nt, sig, sizeof sig);
	if (opt_len >= 2) {
		st = pe->read(pe->ud, va + sizeof sig, nt + sizeof sig, opt_len,
			      &done);
		if (st != HVS_OK)
			return read_fail(pe, st, "optional header",
					 lfanew + (uint32_t)sizeof sig,
					 va + sizeof sig, done);
	}
	HVS_TRY(parse_nt(pe, nt, sizeof sig + opt_len));
	if (pe->h.base > UINT64_MAX - pe->h.image_size + 1)
		return HVS_CORRUPT(&pe->err,
				   "image at 0x%" PRIx64 ": SizeOfImage 0x%" PRIx32
				   " wraps around the end of the address space",
				   pe->h.base, pe->h.image_size);
	/* The loader maps SizeOfHeaders bytes: the section table must fit. */
	tab_off = (uint64_t)lfanew + sizeof sig + pe->h.opt_header_size;
	tab_len = (size_t)pe->h.section_count * SECTION_SIZE;
	if (tab_off + tab_len > pe->h.headers_size)
		return HVS_CORRUPT(&pe->err,
				   "section table: %u entries at offset 0x%" PRIx64
				   " end at 0x%" PRIx64 ", past SizeOfHeaders 0x%"
				   PRIx32, pe->h.section_count, tab_off,
				   tab_off + tab_len, pe->h.headers_size);
	if (!tab_len)
		return HVS_OK;
	tab = hvs__malloc(&pe->alloc, tab_len);
	if (!tab)
		return hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
	st = pe->read(pe->ud, pe->h.base + tab_off, tab, tab_len, &done);
	if (st != HVS_OK)
		st = read_fail(pe, st, "section table", (uint32_t)tab_off,
			       pe->h.base + tab_off, done);
	else
		st = parse_sections(pe, tab);
	hvs__free(&pe->alloc, tab);
	return st;
}

/* ------------------------------------------------------------ open */

static void copy_err(const hvs_pe_opts *o, const char *msg)
{
	if (o && o->errbuf && o->errbuf_size) {
		size_t n = strlen(msg);
		if (n >= o->errbuf_size)
			n = o->errbuf_size - 1;
		memcpy(o->errbuf, msg, n);
		o->errbuf[n] = '\0';
	}
}

static hvs_status pe_new(hvs_pe **out, uint64_t base, hvs_pe_read_fn read,
			 void *ud, const hvs_pe_opts *opts)
{
	hvs__alloc a;
	hvs_pe *pe;

	hvs__alloc_init(&a, opts ? opts->alloc : NULL);
	pe = hvs__calloc(&a, 1, sizeof *pe);
	if (!pe) {
		copy_err(opts, "out of memory");
		return HVS_E_NOMEM;
	}
	pe->alloc = a;
	pe->read = read;
	pe->ud = ud;
	pe->flags = opts ? opts->flags : 0;
	pe->h.base = base;
	*out = pe;
	return HVS_OK;
}

/* Parse the headers of a new handle; on failure copy the message and close. */
static hvs_status pe_finish(hvs_pe **out, const hvs_pe_opts *opts)
{
	hvs_status st = parse_headers(*out);

	if (st != HVS_OK) {
		copy_err(opts, (*out)->err.msg);
		hvs_pe_close(*out);
		*out = NULL;
	}
	return st;
}

hvs_status hvs_pe_open(hvs_pe **out, uint64_t base, hvs_pe_read_fn read,
		       void *ud, const hvs_pe_opts *opts)
{
	if (!out || !read)
		return HVS_E_INVALID;
	*out = NULL;
	HVS_TRY(pe_new(out, base, read, ud, opts));
	return pe_finish(out, opts);
}

/* hvs_pe_read_fn over a VP of a guest image. */
static hvs_status read_vp(void *ud, uint64_t va, void *buf, size_t len,
			  size_t *done)
{
	vp_src *v = ud;
	return hvs_vp_read(v->img, v->vp, va, buf, len, done);
}

hvs_status hvs__pe_read_xlat(void *ud, uint64_t va, void *buf, size_t len,
			     size_t *done)
{
	return hvs_xlat_read(ud, va, buf, len, done);
}

/* hvs_pe_read_fn over a source (file layout). */
static hvs_status read_src(void *ud, uint64_t off, void *buf, size_t len,
			   size_t *done)
{
	const hvs_source *s = ud;
	*done = 0;
	return s->read_at(s->ud, off, buf, len, done);
}

hvs_status hvs_pe_open_vp(hvs_pe **out, hvs_image *img, uint32_t vp,
			  uint64_t base, const hvs_pe_opts *opts)
{
	hvs_xlat *x;
	hvs_status st;

	if (!out || !img)
		return HVS_E_INVALID;
	*out = NULL;
	/* Fail early, with the image's message, when the VP cannot translate. */
	st = hvs_vp_xlat(img, vp, &x);
	if (st != HVS_OK) {
		copy_err(opts, hvs_image_errmsg(img));
		return st;
	}
	HVS_TRY(pe_new(out, base, read_vp, NULL, opts));
	(*out)->vps.img = img;
	(*out)->vps.vp = vp;
	(*out)->ud = &(*out)->vps;
	return pe_finish(out, opts);
}

/* Physical reads of a guest image for a handle's own translation context. */
static hvs_status read_img_phys(void *ud, uint64_t gpa, void *buf, size_t len)
{
	return hvs_image_read(ud, HVS_SPACE_GPA, gpa, buf, len, NULL);
}

hvs_status hvs_pe_open_regs(hvs_pe **out, hvs_image *img,
			    const hvs_paging_regs *regs, uint64_t base,
			    const hvs_pe_opts *opts)
{
	hvs_xlat *x = NULL;
	hvs_status st;

	if (!out || !img || !regs)
		return HVS_E_INVALID;
	*out = NULL;
	st = hvs_xlat_new(&x, regs, read_img_phys, img, 0,
			  opts ? opts->alloc : NULL);
	if (st != HVS_OK) {
		copy_err(opts, "paging registers: no usable paging mode");
		return st;
	}
	st = pe_new(out, base, hvs__pe_read_xlat, x, opts);
	if (st != HVS_OK) {
		hvs_xlat_free(x);
		return st;
	}
	(*out)->own_xlat = x;
	return pe_finish(out, opts);
}

hvs_status hvs_pe_open_xlat(hvs_pe **out, hvs_xlat *x, uint64_t base,
			    const hvs_pe_opts *opts)
{
	if (!out || !x)
		return HVS_E_INVALID;
	return hvs_pe_open(out, base, hvs__pe_read_xlat, x, opts);
}

hvs_status hvs_pe_open_source(hvs_pe **out, const hvs_source *src,
			      const hvs_pe_opts *opts)
{
	hvs_pe_opts o;

	if (!out || !src || !src->read_at)
		return HVS_E_INVALID;
	*out = NULL;
	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof o);
	o.flags |= HVS_PE_FILE_LAYOUT;
	HVS_TRY(pe_new(out, 0, read_src, NULL, &o));
	(*out)->src = *src;
	(*out)->ud = &(*out)->src;
	return pe_finish(out, &o);
}

void hvs_pe_close(hvs_pe *pe)
{
	size_t i;

	if (!pe)
		return;
	for (i = 0; i < pe->nstrs; i++)
		hvs__free(&pe->alloc, pe->strs[i]);
	hvs__free(&pe->alloc, pe->strs);
	hvs__free(&pe->alloc, pe->secs);
	hvs__free(&pe->alloc, pe->exp_entries);
	hvs__free(&pe->alloc, pe->dbg);
	hvs__free(&pe->alloc, pe->rf);
	hvs_xlat_free(pe->own_xlat);
	hvs__free(&pe->alloc, pe);
}

const char *hvs_pe_errmsg(const hvs_pe *pe)
{
	return pe ? pe->err.msg : "";
}

const hvs_pe_headers *hvs_pe_get_headers(const hvs_pe *pe)
{
	return &pe->h;
}

const hvs_pe_section *hvs_pe_sections(const hvs_pe *pe, size_t *count)
{
	if (count)
		*count = pe ? pe->nsecs : 0;
	return pe ? pe->secs : NULL;
}

hvs_status hvs_pe_get_dir(const hvs_pe *pe, unsigned index, hvs_pe_dir *out)
{
	if (!pe || !out || index >= HVS_PE_DIR_COUNT)
		return HVS_E_INVALID;
	if (index >= pe->ndirs || !pe->dirs[index].rva || !pe->dirs[index].size)
		return HVS_E_NOTFOUND;
	*out = pe->dirs[index];
	return HVS_OK;
}

hvs_status hvs_pe_read_rva(hvs_pe *pe, uint32_t rva, void *buf, size_t len,
			   size_t *done)
{
	size_t got = 0;
	hvs_status st;

	if (done)
		*done = 0;
	if (!pe || (!buf && len))
		return HVS_E_INVALID;
	st = read_at_rva_done(pe, "read", rva, buf, len, &got);
	if (done)
		*done = got;
	return st;
}

/* ---------------------------------------------------------- exports */

/* The directory entry of @index, or NOTFOUND with a message. */
static hvs_status need_dir(hvs_pe *pe, unsigned index, const char *what,
			   hvs_pe_dir *d)
{
	/* Defined on every path: the caller only uses @d on HVS_OK, but the
	 * compiler cannot know that hvs__err_set() never returns HVS_OK. */
	memset(d, 0, sizeof *d);
	if (hvs_pe_get_dir(pe, index, d) != HVS_OK)
		return hvs__err_set(&pe->err, HVS_E_NOTFOUND,
				    "the image has no %s", what);
	return HVS_OK;
}

hvs_status hvs__pe_dll_name(hvs_pe *pe, const char **out)
{
	uint8_t ed[EXPORT_DIR_SIZE];
	hvs_pe_dir d;
	uint32_t name_rva;

	if (pe->have_dll_name) {
		*out = pe->dll_name;
		return HVS_OK;
	}
	HVS_TRY(need_dir(pe, HVS_PE_DIR_EXPORT, "export directory", &d));
	HVS_TRY(read_at_rva(pe, "export directory", d.rva, ed, sizeof ed));
	name_rva = hvs__le32(ed + 12);
	if (!name_rva)
		return hvs__err_set(&pe->err, HVS_E_NOTFOUND,
				    "export directory: no Name");
	HVS_TRY(read_cstr(pe, "export directory Name", name_rva, &pe->dll_name));
	pe->have_dll_name = 1;
	*out = pe->dll_name;
	return HVS_OK;
}

/* Read a table of @cnt entries of @esize bytes at @rva (allocated). */
static hvs_status read_table(hvs_pe *pe, const char *what, uint32_t rva,
			     uint32_t cnt, size_t esize, uint8_t **out)
{
	size_t len = (size_t)cnt * esize; /* cnt <= 2^20: no overflow */
	hvs_status st;

	*out = NULL;
	if (!cnt)
		return HVS_OK;
	if (!hvs__in_bounds(rva, len, pe->h.image_size))
		return HVS_CORRUPT(&pe->err,
				   "export directory: %s at RVA 0x%" PRIx32
				   " (%" PRIu32 " entries of %zu bytes) is past "
				   "SizeOfImage 0x%" PRIx32, what, rva, cnt,
				   esize, pe->h.image_size);
	*out = hvs__malloc(&pe->alloc, len);
	if (!*out)
		return hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
	st = read_at_rva(pe, what, rva, *out, len);
	if (st != HVS_OK) {
		hvs__free(&pe->alloc, *out);
		*out = NULL;
	}
	return st;
}

hvs_status hvs_pe_get_exports(hvs_pe *pe, const hvs_pe_exports **out)
{
	uint8_t ed[EXPORT_DIR_SIZE];
	uint8_t *funcs = NULL, *names = NULL, *ords = NULL;
	hvs_pe_exports *x;
	hvs_pe_export *e = NULL;
	hvs_pe_dir d;
	uint32_t i, nf, nn, name_rva;
	hvs_status st;

	if (!pe || !out)
		return HVS_E_INVALID;
	if (pe->have_exports) {
		*out = &pe->exports;
		return HVS_OK;
	}
	HVS_TRY(need_dir(pe, HVS_PE_DIR_EXPORT, "export directory", &d));
	HVS_TRY(read_at_rva(pe, "export directory", d.rva, ed, sizeof ed));
	x = &pe->exports;
	memset(x, 0, sizeof *x);
	x->timestamp = hvs__le32(ed + 4);
	x->major = hvs__le16(ed + 8);
	x->minor = hvs__le16(ed + 10);
	name_rva = hvs__le32(ed + 12);
	x->ordinal_base = hvs__le32(ed + 16);
	nf = x->function_count = hvs__le32(ed + 20);
	nn = x->name_count = hvs__le32(ed + 24);
	if (nf > HVS_PE_MAX_EXPORTS || nn > HVS_PE_MAX_EXPORTS)
		return HVS_CORRUPT(&pe->err,
				   "export directory at RVA 0x%" PRIx32 ": "
				   "NumberOfFunctions %" PRIu32 " / NumberOfNames %"
				   PRIu32 " exceed %u", d.rva, nf, nn,
				   HVS_PE_MAX_EXPORTS);
	if (nn > nf)
		return HVS_CORRUPT(&pe->err,
				   "export directory at RVA 0x%" PRIx32 ": "
				   "NumberOfNames %" PRIu32 " exceeds "
				   "NumberOfFunctions %" PRIu32, d.rva, nn, nf);
	x->dll_name = "";
	if (name_rva) {
		st = read_cstr(pe, "export directory Name", name_rva, &x->dll_name);
		if (st != HVS_OK)
			return st;
	}
	st = read_table(pe, "AddressOfFunctions", hvs__le32(ed + 28), nf, 4, &funcs);
	if (st == HVS_OK)
		st = read_table(pe, "AddressOfNames", hvs__le32(ed + 32), nn, 4, &names);
	if (st == HVS_OK)
		st = read_table(pe, "AddressOfNameOrdinals", hvs__le32(ed + 36), nn,
				2, &ords);
	if (st != HVS_OK)
		goto out;
	if (nf) {
		e = hvs__calloc(&pe->alloc, nf, sizeof *e);
		if (!e) {
			st = hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < nf; i++) {
		e[i].ordinal = x->ordinal_base + i;
		e[i].rva = hvs__le32(funcs + 4 * i);
		/* An RVA inside the export directory is a forwarder string. */
		if (e[i].rva >= d.rva && e[i].rva - d.rva < d.size) {
			st = read_cstr(pe, "export forwarder", e[i].rva,
				       &e[i].forwarder);
			if (st != HVS_OK)
				goto out;
		}
	}
	for (i = 0; i < nn; i++) {
		uint16_t ord = hvs__le16(ords + 2 * i);

		if (ord >= nf) {
			st = HVS_CORRUPT(&pe->err,
					 "export directory: AddressOfNameOrdinals[%"
					 PRIu32 "] = %u, past NumberOfFunctions %"
					 PRIu32, i, ord, nf);
			goto out;
		}
		st = read_cstr(pe, "export name", hvs__le32(names + 4 * i),
			       &e[ord].name);
		if (st != HVS_OK) {
			hvs__err_prefix(&pe->err, st, "AddressOfNames[%" PRIu32 "]", i);
			goto out;
		}
	}
	x->entries = e;
	pe->exp_entries = e;
	e = NULL;
	pe->have_exports = 1;
	*out = x;
out:
	hvs__free(&pe->alloc, e);
	hvs__free(&pe->alloc, funcs);
	hvs__free(&pe->alloc, names);
	hvs__free(&pe->alloc, ords);
	return st;
}

hvs_status hvs_pe_find_export(hvs_pe *pe, const char *name,
			      const hvs_pe_export **out)
{
	const hvs_pe_exports *x;
	uint32_t i;

	if (!pe || !name || !out)
		return HVS_E_INVALID;
	HVS_TRY(hvs_pe_get_exports(pe, &x));
	for (i = 0; i < x->function_count; i++)
		if (x->entries[i].name && !strcmp(x->entries[i].name, name)) {
			*out = &x->entries[i];
			return HVS_OK;
		}
	return hvs__err_set(&pe->err, HVS_E_NOTFOUND, "no export named '%s'", name);
}

/* ------------------------------------------------------------ debug */

hvs_status hvs_pe_get_debug(hvs_pe *pe, const hvs_pe_debug_entry **out,
			    size_t *count)
{
	uint8_t *raw = NULL;
	hvs_pe_dir d;
	size_t n, i;
	hvs_status st;

	if (!pe || !out || !count)
		return HVS_E_INVALID;
	if (pe->have_debug) {
		*out = pe->dbg;
		*count = pe->ndbg;
		return HVS_OK;
	}
	HVS_TRY(need_dir(pe, HVS_PE_DIR_DEBUG, "debug directory", &d));
	if (d.size % DEBUG_ENTRY_SIZE)
		return HVS_CORRUPT(&pe->err,
				   "debug directory at RVA 0x%" PRIx32 ": size %"
				   PRIu32 " is not a multiple of %u", d.rva,
				   d.size, DEBUG_ENTRY_SIZE);
	n = d.size / DEBUG_ENTRY_SIZE;
	if (n > HVS_PE_MAX_DEBUG)
		return HVS_CORRUPT(&pe->err,
				   "debug directory at RVA 0x%" PRIx32 ": %zu "
				   "entries exceed %u", d.rva, n, HVS_PE_MAX_DEBUG);
	raw = hvs__malloc(&pe->alloc, d.size);
	pe->dbg = hvs__calloc(&pe->alloc, n, sizeof *pe->dbg);
	if (!raw || !pe->dbg) {
		st = hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
		goto out;
	}
	st = read_at_rva(pe, "debug directory", d.rva, raw, d.size);
	if (st != HVS_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const uint8_t *q = raw + i * DEBUG_ENTRY_SIZE;
		hvs_pe_debug_entry *e = &pe->dbg[i];

		e->characteristics = hvs__le32(q);
		e->timestamp = hvs__le32(q + 4);
		e->major = hvs__le16(q + 8);
		e->minor = hvs__le16(q + 10);
		e->type = hvs__le32(q + 12);
		e->size = hvs__le32(q + 16);
		e->rva = hvs__le32(q + 20);
		e->raw_off = hvs__le32(q + 24);
	}
	pe->ndbg = n;
	pe->have_debug = 1;
	*out = pe->dbg;
	*count = n;
out:
	if (st != HVS_OK) {
		hvs__free(&pe->alloc, pe->dbg);
		pe->dbg = NULL;
	}
	hvs__free(&pe->alloc, raw);
	return st;
}

/* Decode an RSDS record of @n bytes. */
static hvs_status parse_rsds(hvs_pe *pe, const uint8_t *p, size_t n,
			     uint32_t rva)
{
	const uint8_t *nul;
	uint32_t sig = hvs__le32(p);
	char *s;

	if (sig == NB10_SIG)
		return hvs__err_set(&pe->err, HVS_E_UNSUPPORTED,
				    "CodeView record at RVA 0x%" PRIx32 ": NB10 "
				    "(VC6-era PDB 2.0 reference), only RSDS is "
				    "decoded", rva);
	if (sig != RSDS_SIG)
		return HVS_CORRUPT(&pe->err,
				   "CodeView record at RVA 0x%" PRIx32 ": signature "
				   "0x%08" PRIx32 ", expected 0x53445352 (\"RSDS\")",
				   rva, sig);
	memcpy(pe->cv.guid, p + 4, 16);
	pe->cv.age = hvs__le32(p + 20);
	nul = memchr(p + RSDS_MIN, '\0', n - RSDS_MIN);
	if (!nul)
		return HVS_CORRUPT(&pe->err,
				   "CodeView record at RVA 0x%" PRIx32 ": PDB name "
				   "has no NUL within the record's %zu bytes", rva, n);
	s = hvs__strdup(&pe->alloc, (const char *)p + RSDS_MIN);
	if (!s)
		return hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
	HVS_TRY(keep_str(pe, s));
	pe->cv.pdb_name = s;
	return HVS_OK;
}

hvs_status hvs_pe_get_codeview(hvs_pe *pe, const hvs_pe_codeview **out)
{
	const hvs_pe_debug_entry *d;
	size_t n, i, len;
	uint8_t buf[RSDS_MIN + HVS_PE_MAX_NAME + 1];
	hvs_status st;

	if (!pe || !out)
		return HVS_E_INVALID;
	if (pe->have_cv) {
		*out = &pe->cv;
		return HVS_OK;
	}
	HVS_TRY(hvs_pe_get_debug(pe, &d, &n));
	for (i = 0; i < n && d[i].type != HVS_PE_DEBUG_CODEVIEW; i++)
		;
	if (i == n)
		return hvs__err_set(&pe->err, HVS_E_NOTFOUND,
				    "debug directory: no CodeView entry among %zu",
				    n);
	d += i;
	if (d->size < RSDS_MIN + 1)
		return HVS_CORRUPT(&pe->err,
				   "debug directory entry %zu: CodeView SizeOfData %"
				   PRIu32 " is below the %u bytes of an RSDS record",
				   i, d->size, RSDS_MIN + 1);
	len = d->size < sizeof buf ? d->size : sizeof buf;
	if (pe->flags & HVS_PE_FILE_LAYOUT) {
		/* In a file PointerToRawData is authoritative. */
		size_t done = 0;

		st = pe->read(pe->ud, d->raw_off, buf, len, &done);
		if (st != HVS_OK)
			return read_fail(pe, st, "CodeView record", d->rva,
					 d->raw_off, done);
	} else {
		if (!d->rva)
			return hvs__err_set(&pe->err, HVS_E_NOTFOUND,
					    "debug directory entry %zu: CodeView "
					    "record not mapped (AddressOfRawData 0)",
					    i);
		HVS_TRY(read_at_rva(pe, "CodeView record", d->rva, buf, len));
	}
	HVS_TRY(parse_rsds(pe, buf, len, d->rva));
	pe->have_cv = 1;
	*out = &pe->cv;
	return HVS_OK;
}

hvs_status hvs_pe_format_guid(const uint8_t guid[16], uint32_t age,
			      int with_age, char *buf, size_t size)
{
	int n;

	if (!guid || !buf || !size)
		return HVS_E_INVALID;
	/* Data1..Data3 are little-endian integers, Data4 eight bytes. */
	if (with_age)
		n = snprintf(buf, size,
			     "%08" PRIX32 "%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%" PRIX32,
			     hvs__le32(guid), hvs__le16(guid + 4), hvs__le16(guid + 6),
			     guid[8], guid[9], guid[10], guid[11], guid[12],
			     guid[13], guid[14], guid[15], age);
	else
		n = snprintf(buf, size,
			     "%08" PRIX32 "-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X",
			     hvs__le32(guid), hvs__le16(guid + 4), hvs__le16(guid + 6),
			     guid[8], guid[9], guid[10], guid[11], guid[12],
			     guid[13], guid[14], guid[15]);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return HVS_E_BUFSIZE;
	}
	return HVS_OK;
}

/* ------------------------------------------------------- exceptions */

static int rf_cmp(const void *a, const void *b)
{
	const hvs_pe_runtime_function *x = a, *y = b;
	return x->begin_rva < y->begin_rva ? -1 : x->begin_rva > y->begin_rva;
}

hvs_status hvs_pe_get_runtime_functions(hvs_pe *pe,
					const hvs_pe_runtime_function **out,
					size_t *count)
{
	uint8_t *raw = NULL;
	hvs_pe_runtime_function *rf = NULL;
	hvs_pe_dir d;
	size_t n, i;
	int sorted = 1;
	hvs_status st;

	if (!pe || !out || !count)
		return HVS_E_INVALID;
	if (pe->have_rf) {
		*out = pe->rf;
		*count = pe->nrf;
		return HVS_OK;
	}
	HVS_TRY(need_dir(pe, HVS_PE_DIR_EXCEPTION, "exception directory", &d));
	if (pe->h.machine != HVS_PE_MACHINE_AMD64)
		return hvs__err_set(&pe->err, HVS_E_UNSUPPORTED,
				    "exception directory: machine 0x%04x; only "
				    "AMD64 RUNTIME_FUNCTION entries are decoded",
				    pe->h.machine);
	if (d.size % RF_SIZE)
		return HVS_CORRUPT(&pe->err,
				   "exception directory at RVA 0x%" PRIx32 ": size %"
				   PRIu32 " is not a multiple of %u", d.rva, d.size,
				   RF_SIZE);
	n = d.size / RF_SIZE;
	if (n > HVS_PE_MAX_RUNTIME_FUNCTIONS)
		return HVS_CORRUPT(&pe->err,
				   "exception directory: %zu entries exceed %u", n,
				   HVS_PE_MAX_RUNTIME_FUNCTIONS);
	if (!hvs__in_bounds(d.rva, d.size, pe->h.image_size))
		return HVS_CORRUPT(&pe->err,
				   "exception directory: RVA 0x%" PRIx32 " + size 0x%"
				   PRIx32 " is past SizeOfImage 0x%" PRIx32, d.rva,
				   d.size, pe->h.image_size);
	raw = hvs__malloc(&pe->alloc, d.size);
	rf = hvs__calloc(&pe->alloc, n, sizeof *rf);
	if (!raw || !rf) {
		st = hvs__err_set(&pe->err, HVS_E_NOMEM, "out of memory");
		goto out;
	}
	st = read_at_rva(pe, "exception directory", d.rva, raw, d.size);
	if (st != HVS_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const uint8_t *q = raw + i * RF_SIZE;

		rf[i].begin_rva = hvs__le32(q);
		rf[i].end_rva = hvs__le32(q + 4);
		rf[i].unwind_rva = hvs__le32(q + 8);
		if (rf[i].begin_rva >= rf[i].end_rva ||
		    rf[i].end_rva > pe->h.image_size) {
			st = HVS_CORRUPT(&pe->err,
					 "exception directory entry %zu at RVA 0x%"
					 PRIx64 ": [0x%" PRIx32 ", 0x%" PRIx32 ") is "
					 "empty or past SizeOfImage 0x%" PRIx32, i,
					 (uint64_t)d.rva + i * RF_SIZE,
					 rf[i].begin_rva, rf[i].end_rva,
					 pe->h.image_size);
			goto out;
		}
		if (i && rf[i].begin_rva < rf[i - 1].begin_rva)
			sorted = 0;
	}
	/* The linker sorts .pdata; sort a table that is not, for the search. */
	if (!sorted)
		qsort(rf, n, sizeof *rf, rf_cmp);
	pe->rf = rf;
	pe->nrf = n;
	rf = NULL;
	pe->have_rf = 1;
	*out = pe->rf;
	*count = n;
out:
	hvs__free(&pe->alloc, raw);
	hvs__free(&pe->alloc, rf);
	return st;
}

hvs_status hvs_pe_find_runtime_function(hvs_pe *pe, uint32_t rva,
					const hvs_pe_runtime_function **out)
{
	const hvs_pe_runtime_function *rf;
	size_t n, lo = 0, hi;

	if (!pe || !out)
		return HVS_E_INVALID;
	HVS_TRY(hvs_pe_get_runtime_functions(pe, &rf, &n));
	/* Last entry with begin <= rva. */
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rf[mid].begin_rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && rva < rf[lo - 1].end_rva) {
		*out = &rf[lo - 1];
		return HVS_OK;
	}
	return hvs__err_set(&pe->err, HVS_E_NOTFOUND,
			    "RVA 0x%" PRIx32 ": no RUNTIME_FUNCTION covers it "
			    "(a leaf function, or not code)", rva);
}
