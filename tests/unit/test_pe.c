/* SPDX-License-Identifier: MIT */
/*
 * PE parser (include/hvs/pe.h) on the images of the Windows-like guest
 * fixture, against llvm-readobj and llvm-objdump (headers, sections, data
 * directories, exports with the forwarder, debug directory and CodeView,
 * .pdata), read from the files and from guest memory through VP 0, VP 1
 * and a CR3; then malformed headers and directories, each with the exact
 * status and the structure its message names; pages not present and not
 * in the image; allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "winguest_util.h"

static const char *const images[2] = { "ntkrnlmp.exe", "hvsdrv.sys" };
static const uint64_t bases[2] = { WG_KERNEL_BASE, WG_DRIVER_BASE };

/* Skip unless the fixture and llvm-readobj/llvm-objdump are there. */
#define NEED_FIXTURE()                                                         \
	do {                                                                   \
		if (!wg_file("winguest.vmrs"))                                 \
			SKIP("winguest fixture not built (needs clang and lld; " \
			     "ctest -R winguest_fixture)");                    \
		if (!wg_tool("readobj") || !wg_tool("objdump"))                \
			SKIP("llvm-readobj / llvm-objdump not found");         \
	} while (0)

/* A source over a buffer that allocates nothing (so nothing to close):
 * the handle copies the hvs_source, the membuf must outlive it. */
typedef struct membuf {
	const uint8_t *p;
	size_t n;
} membuf;

static hvs_status mb_read(void *ud, uint64_t off, void *buf, size_t len, size_t *done)
{
	const membuf *m = ud;
	size_t k = off < m->n ? (m->n - (size_t)off < len ? m->n - (size_t)off : len) : 0;

	if (k)
		memcpy(buf, m->p + off, k);
	*done = k;
	return k == len ? HVS_OK : HVS_E_NODATA;
}

static uint64_t mb_size(void *ud)
{
	return ((const membuf *)ud)->n;
}

static void mb_source(hvs_source *src, membuf *m, const uint8_t *p, size_t n)
{
	m->p = p;
	m->n = n;
	memset(src, 0, sizeof *src);
	src->read_at = mb_read;
	src->size = mb_size;
	src->ud = m;
}

/* Open a PE file (file layout); the bytes stay in *data. */
static hvs_status open_file(const char *path, hvs_pe **pe, uint8_t **data,
			    size_t *len, hvs_source *src, char *err, size_t errsz)
{
	hvs_pe_opts o;

	static membuf mbs[4];
	static int which;

	*data = test_read_file(path, len);
	if (!*data)
		return HVS_E_IO;
	which = (which + 1) % 4;
	mb_source(src, &mbs[which], *data, *len);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = errsz;
	return hvs_pe_open_source(pe, src, &o);
}

/* Compare headers and sections with `llvm-readobj --file-headers --sections`. */
static void check_headers(hvs_pe *pe, const char *ro)
{
	const hvs_pe_headers *h = hvs_pe_get_headers(pe);
	const hvs_pe_section *s;
	static const char *const dirs[7][2] = {
		{ "ExportTableRVA", "ExportTableSize" },
		{ "ImportTableRVA", "ImportTableSize" },
		{ "ResourceTableRVA", "ResourceTableSize" },
		{ "ExceptionTableRVA", "ExceptionTableSize" },
		{ "CertificateTableRVA", "CertificateTableSize" },
		{ "BaseRelocationTableRVA", "BaseRelocationTableSize" },
		{ "DebugRVA", "DebugSize" },
	};
	const char *p;
	uint64_t v;
	size_t n, i;
	char name[64];

#define F(key, field)                                                          \
	do {                                                                   \
		CHECK(wg_field(ro, key, &v));                                  \
		CHECK_EQ(h->field, v);                                         \
	} while (0)
	F("Machine", machine);
	F("SectionCount", section_count);
	F("TimeDateStamp", timestamp);
	F("PointerToSymbolTable", symtab_off);
	F("SymbolCount", symbol_count);
	F("OptionalHeaderSize", opt_header_size);
	F("Magic", magic);
	F("MajorLinkerVersion", linker_major);
	F("MinorLinkerVersion", linker_minor);
	F("SizeOfCode", code_size);
	F("SizeOfInitializedData", init_data_size);
	F("SizeOfUninitializedData", uninit_data_size);
	F("AddressOfEntryPoint", entry_rva);
	F("BaseOfCode", code_base);
	F("ImageBase", image_base);
	F("SectionAlignment", section_align);
	F("FileAlignment", file_align);
	F("MajorOperatingSystemVersion", os_major);
	F("MinorOperatingSystemVersion", os_minor);
	F("MajorImageVersion", image_major);
	F("MinorImageVersion", image_minor);
	F("MajorSubsystemVersion", subsystem_major);
	F("MinorSubsystemVersion", subsystem_minor);
	F("SizeOfImage", image_size);
	F("SizeOfHeaders", headers_size);
	F("Subsystem", subsystem);
	F("SizeOfStackReserve", stack_reserve);
	F("SizeOfStackCommit", stack_commit);
	F("SizeOfHeapReserve", heap_reserve);
	F("SizeOfHeapCommit", heap_commit);
	F("NumberOfRvaAndSize", dir_count);
	F("AddressOfNewExeHeader", e_lfanew);
#undef F
	/* The two "Characteristics" fields: file header, then optional header. */
	p = strstr(ro, "ImageFileHeader {");
	CHECK(p && wg_field(p, "Characteristics", &v));
	CHECK_EQ(h->characteristics, v);
	p = strstr(ro, "ImageOptionalHeader {");
	CHECK(p && wg_field(p, "Characteristics", &v));
	CHECK_EQ(h->dll_characteristics, v);
	for (i = 0; i < 7; i++) {
		hvs_pe_dir d = { 0, 0 };
		uint64_t rva, size;

		CHECK(wg_field(ro, dirs[i][0], &rva) && wg_field(ro, dirs[i][1], &size));
		if (rva && size) {
			CHECK_OK(hvs_pe_get_dir(pe, (unsigned)i, &d));
		} else {
			CHECK_STATUS(hvs_pe_get_dir(pe, (unsigned)i, &d), HVS_E_NOTFOUND);
		}
		CHECK_EQ(d.rva, rva && size ? rva : 0);
		CHECK_EQ(d.size, rva && size ? size : 0);
	}
	s = hvs_pe_sections(pe, &n);
	CHECK_EQ(n, h->section_count);
	p = ro;
	for (i = 0; i < n; i++) {
		p = wg_block(p, "Section");
		CHECK(p);
		p++;
		CHECK(wg_field_str(p, "Name", name, sizeof name));
		CHECK(strncmp(name, s[i].name, strlen(s[i].name)) == 0);
		CHECK(name[strlen(s[i].name)] == ' ');
		CHECK(wg_field(p, "VirtualSize", &v));
		CHECK_EQ(s[i].virtual_size, v);
		CHECK(wg_field(p, "VirtualAddress", &v));
		CHECK_EQ(s[i].rva, v);
		CHECK(wg_field(p, "RawDataSize", &v));
		CHECK_EQ(s[i].raw_size, v);
		CHECK(wg_field(p, "PointerToRawData", &v));
		CHECK_EQ(s[i].raw_off, v);
		CHECK(wg_field(p, "RelocationCount", &v));
		CHECK_EQ(s[i].reloc_count, v);
		CHECK(wg_field(p, "Characteristics", &v));
		CHECK_EQ(s[i].characteristics, v);
	}
	CHECK(wg_block(p, "Section") == NULL);
}

/* Compare exports with `llvm-readobj --coff-exports` and `llvm-objdump -p`. */
static void check_exports(hvs_pe *pe, const char *ro, const char *od)
{
	const hvs_pe_exports *x;
	const hvs_pe_export *e;
	const char *p = ro;
	char name[256], line[512];
	uint64_t v;
	uint32_t i, fwd = 0;

	CHECK_OK(hvs_pe_get_exports(pe, &x));
	CHECK(wg_field_str(od, "DLL name", name, sizeof name));
	CHECK_STR(x->dll_name, name);
	CHECK(wg_field(od, "Ordinal base", &v));
	CHECK_EQ(x->ordinal_base, v);
	for (i = 0; i < x->function_count; i++) {
		e = &x->entries[i];
		p = wg_block(p, "Export");
		CHECK(p);
		p++;
		CHECK(wg_field(p, "Ordinal", &v));
		CHECK_EQ(e->ordinal, v);
		CHECK(wg_field_str(p, "Name", name, sizeof name));
		CHECK_STR(e->name ? e->name : "", name);
		CHECK(wg_field(p, "RVA", &v));
		CHECK_EQ(e->rva, v);
		if (e->forwarder) {
			/* objdump: "<ord> <name> (forwarded to <target>)" */
			snprintf(line, sizeof line, "%s (forwarded to %s)", e->name,
				 e->forwarder);
			CHECK(strstr(od, line) != NULL);
			fwd++;
		}
	}
	CHECK(wg_block(p, "Export") == NULL);
	/* Every "forwarded to" objdump lists is one we decoded. */
	for (p = od, i = 0; (p = strstr(p, "(forwarded to ")) != NULL; p++)
		i++;
	CHECK_EQ(i, fwd);
}

/* Compare debug entries and CodeView with `--coff-debug-directory`. */
static void check_debug(hvs_pe *pe, const char *ro, const char *pdb)
{
	const hvs_pe_debug_entry *d;
	const hvs_pe_codeview *cv;
	const char *p = ro;
	char s[256], want[64];
	uint8_t guid[16];
	uint32_t age;
	uint64_t v;
	size_t n, i;
	int k;

	CHECK_OK(hvs_pe_get_debug(pe, &d, &n));
	for (i = 0; i < n; i++) {
		p = wg_block(p, "DebugEntry");
		CHECK(p);
		p++;
		CHECK(wg_field(p, "Characteristics", &v));
		CHECK_EQ(d[i].characteristics, v);
		CHECK(wg_field(p, "TimeDateStamp", &v));
		CHECK_EQ(d[i].timestamp, v);
		CHECK(wg_field(p, "Type", &v));
		CHECK_EQ(d[i].type, v);
		CHECK(wg_field(p, "SizeOfData", &v));
		CHECK_EQ(d[i].size, v);
		CHECK(wg_field(p, "AddressOfRawData", &v));
		CHECK_EQ(d[i].rva, v);
		CHECK(wg_field(p, "PointerToRawData", &v));
		CHECK_EQ(d[i].raw_off, v);
	}
	CHECK(wg_block(p, "DebugEntry") == NULL);
	CHECK_OK(hvs_pe_get_codeview(pe, &cv));
	CHECK(wg_field_str(ro, "PDBFileName", s, sizeof s));
	CHECK_STR(cv->pdb_name, s);
	CHECK(wg_field(ro, "PDBAge", &v));
	CHECK_EQ(cv->age, v);
	/* "PDBGUID: (08 32 B0 AA ...)": the 16 bytes as stored. */
	CHECK(wg_field_str(ro, "PDBGUID", s, sizeof s));
	for (k = 0; k < 16; k++) {
		snprintf(want, sizeof want, "%02X", cv->guid[k]);
		CHECK(strncmp(s + 1 + 3 * k, want, 2) == 0);
	}
	/* The PDB the linker wrote says the same (llvm-pdbutil). */
	CHECK(wg_pdb_guid_age(pdb, guid, &age));
	CHECK_MEM(cv->guid, guid, 16);
	CHECK_EQ(cv->age, age);
}

/* Compare .pdata with `llvm-readobj --unwind` (absolute addresses). */
static void check_pdata(hvs_pe *pe, const char *ro, uint64_t base)
{
	const hvs_pe_runtime_function *rf, *f;
	const char *p = ro;
	uint64_t v;
	size_t n, i;

	CHECK_OK(hvs_pe_get_runtime_functions(pe, &rf, &n));
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		p = wg_block(p, "RuntimeFunction");
		CHECK(p);
		p++;
		CHECK(wg_field(p, "StartAddress", &v));
		CHECK_EQ(base + rf[i].begin_rva, v);
		CHECK(wg_field(p, "EndAddress", &v));
		CHECK_EQ(base + rf[i].end_rva, v);
		CHECK(wg_field(p, "UnwindInfoAddress", &v));
		CHECK_EQ(base + rf[i].unwind_rva, v);
		/* Lookup: the first and last byte of each function. */
		CHECK_OK(hvs_pe_find_runtime_function(pe, rf[i].begin_rva, &f));
		CHECK(f == &rf[i]);
		CHECK_OK(hvs_pe_find_runtime_function(pe, rf[i].end_rva - 1, &f));
		CHECK(f == &rf[i]);
	}
	CHECK(wg_block(p, "RuntimeFunction") == NULL);
	CHECK_STATUS(hvs_pe_find_runtime_function(pe, 0, &f), HVS_E_NOTFOUND);
}

/* All of it for one image, opened by @open. */
static void check_image(hvs_pe *pe, int which)
{
	const char *path = wg_file(images[which]);
	char pdb[64];
	char *hs, *ex, *od, *dbg, *uw;

	snprintf(pdb, sizeof pdb, "%s.pdb", which ? "hvsdrv" : "ntkrnlmp");
	hs = wg_run(wg_tool("readobj"), "--file-headers --sections", path);
	ex = wg_run(wg_tool("readobj"), "--coff-exports", path);
	od = wg_run(wg_tool("objdump"), "-p", path);
	dbg = wg_run(wg_tool("readobj"), "--coff-debug-directory", path);
	uw = wg_run(wg_tool("readobj"), "--unwind", path);
	if (hs && ex && od && dbg && uw) {
		check_headers(pe, hs);
		if (!test__failed)
			check_exports(pe, ex, od);
		if (!test__failed)
			check_debug(pe, dbg, wg_file(pdb));
		if (!test__failed)
			check_pdata(pe, uw, bases[which]);
	} else {
		test__fail(__FILE__, __LINE__, "an LLVM tool failed on %s", path);
	}
	free(hs);
	free(ex);
	free(od);
	free(dbg);
	free(uw);
}

/* ------------------------------------------------------------ tests */

static void test_pe__files_vs_llvm(void)
{
	int i;

	NEED_FIXTURE();
	for (i = 0; i < 2 && !test__failed; i++) {
		hvs_pe *pe = NULL;
		hvs_source src;
		uint8_t *data;
		size_t len;
		char err[HVS_ERRMSG_MAX] = "";

		CHECK_OK(open_file(wg_file(images[i]), &pe, &data, &len, &src, err,
				   sizeof err));
		check_image(pe, i);
		hvs_pe_close(pe);
		free(data);
	}
}

static void test_pe__memory_vs_llvm(void)
{
	hvs_image *img = NULL;
	int i;

	NEED_FIXTURE();
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	for (i = 0; i < 2 && !test__failed; i++) {
		hvs_pe *pe = NULL;
		hvs_status st = hvs_pe_open_vp(&pe, img, 0, bases[i], NULL);

		if (st != HVS_OK) {
			test__fail(__FILE__, __LINE__, "open %s: %s", images[i],
				   hvs_strerror(st));
			break;
		}
		CHECK_EQ(hvs_pe_get_headers(pe)->base, bases[i]);
		check_image(pe, i);
		hvs_pe_close(pe);
	}
	hvs_image_close(img);
}

static void test_pe__other_address_spaces(void)
{
	hvs_image *img = NULL;
	hvs_pe *pe = NULL;
	hvs_paging_regs r;
	hvs_xlat *x = NULL;
	const hvs_pe_runtime_function *rf;
	const hvs_pe_export *e;
	hvs_regval rip;
	uint32_t kernel_size;

	NEED_FIXTURE();
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	/* VP 1 runs a user process whose CR3 maps the same kernel half. */
	CHECK_OK(hvs_pe_open_vp(&pe, img, 1, WG_KERNEL_BASE, NULL));
	kernel_size = hvs_pe_get_headers(pe)->image_size;
	CHECK_OK(hvs_pe_find_export(pe, "NtBuildNumber", &e));
	hvs_pe_close(pe);
	pe = NULL;
	/* A caller's CR3 (the System process), through hvs_pe_open_regs. */
	CHECK_OK(hvs_vp_paging_regs(img, 1, &r, NULL));
	r.cr3 = WG_CR3_SYSTEM;
	CHECK_OK(hvs_pe_open_regs(&pe, img, &r, WG_DRIVER_BASE, NULL));
	CHECK_OK(hvs_pe_find_export(pe, "HvsDrvQuery", &e));
	CHECK_STATUS(hvs_pe_find_export(pe, "NoSuchExport", &e), HVS_E_NOTFOUND);
	hvs_pe_close(pe);
	pe = NULL;
	/* A caller's translation context; VP 0's RIP is in a function of
	 * the kernel's .pdata (KiIdleLoop). */
	CHECK_OK(hvs_vp_xlat(img, 0, &x));
	CHECK_OK(hvs_pe_open_xlat(&pe, x, WG_KERNEL_BASE, NULL));
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &rip));
	CHECK(rip.lo > WG_KERNEL_BASE && rip.lo < WG_KERNEL_BASE + kernel_size);
	CHECK_OK(hvs_pe_find_runtime_function(pe, (uint32_t)(rip.lo - WG_KERNEL_BASE), &rf));
	CHECK_EQ(rf->begin_rva, rip.lo - WG_KERNEL_BASE);
	hvs_pe_close(pe);
	hvs_image_close(img);
}

static void test_pe__not_present(void)
{
	hvs_image *img = NULL;
	hvs_pe *pe = (hvs_pe *)1;
	hvs_pe_opts o;
	char err[HVS_ERRMSG_MAX];

	NEED_FIXTURE();
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	/* The hole in the decoy pages: not mapped. */
	CHECK_STATUS(hvs_pe_open_vp(&pe, img, 0, WG_DECOY_VA + 0x3000, &o),
		     HVS_E_NOTPRESENT);
	CHECK(pe == NULL);
	CHECK(strstr(err, "DOS header") && strstr(err, "page not present"));
	/* Mapped to a GPA outside the saved memory: not in the image. */
	CHECK_STATUS(hvs_pe_open_vp(&pe, img, 0, WG_DECOY_VA + 0x4000, &o),
		     HVS_E_NODATA);
	CHECK(strstr(err, "DOS header") && strstr(err, "page not in the image"));
	/* The decoys: "MZ" without a PE, SizeOfImage 0, e_lfanew far out. */
	CHECK_STATUS(hvs_pe_open_vp(&pe, img, 0, WG_DECOY_VA, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "signature 4e 45 00 00") != NULL);
	CHECK_STATUS(hvs_pe_open_vp(&pe, img, 0, WG_DECOY_VA + 0x1000, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "SizeOfImage 0x0") != NULL);
	CHECK_STATUS(hvs_pe_open_vp(&pe, img, 0, WG_DECOY_VA + 0x2000, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "e_lfanew 0x7ffffff0") != NULL);
	/* VP 1's user half has no kernel image at a user address. */
	CHECK_STATUS(hvs_pe_open_vp(&pe, img, 1, WG_USER_CODE_VA, &o), HVS_E_CORRUPT);
	CHECK(strstr(err, "e_magic 0xfeeb") != NULL);
	hvs_image_close(img);
}

/* ------------------------------------------------------ malformed */

/* The kernel file, a mutable copy, and what the parse of the intact
 * file says about it. */
typedef struct kfile {
	uint8_t *d;
	size_t len;
	uint32_t lfanew, opt_off, sec_off;
	uint32_t exp_off, dbg_off, pdata_off, cv_off;
} kfile;

/* File offset of an RVA (through the intact parse's sections). */
static uint32_t rva_off(hvs_pe *pe, uint32_t rva)
{
	const hvs_pe_section *s;
	size_t n, i;

	s = hvs_pe_sections(pe, &n);
	for (i = 0; i < n; i++)
		if (rva >= s[i].rva && rva < s[i].rva + s[i].raw_size)
			return s[i].raw_off + (rva - s[i].rva);
	return 0;
}

static int kfile_load(kfile *k)
{
	hvs_pe *pe = NULL;
	hvs_source src;
	hvs_pe_dir dir;
	const hvs_pe_debug_entry *dbg;
	size_t n;
	char err[HVS_ERRMSG_MAX];

	if (open_file(wg_file("ntkrnlmp.exe"), &pe, &k->d, &k->len, &src, err,
		      sizeof err) != HVS_OK)
		return 0;
	k->lfanew = hvs_pe_get_headers(pe)->e_lfanew;
	k->opt_off = k->lfanew + 24;
	k->sec_off = k->opt_off + hvs_pe_get_headers(pe)->opt_header_size;
	hvs_pe_get_dir(pe, HVS_PE_DIR_EXPORT, &dir);
	k->exp_off = rva_off(pe, dir.rva);
	hvs_pe_get_dir(pe, HVS_PE_DIR_DEBUG, &dir);
	k->dbg_off = rva_off(pe, dir.rva);
	hvs_pe_get_dir(pe, HVS_PE_DIR_EXCEPTION, &dir);
	k->pdata_off = rva_off(pe, dir.rva);
	hvs_pe_get_debug(pe, &dbg, &n);
	k->cv_off = dbg[0].raw_off;
	hvs_pe_close(pe);
	return k->exp_off && k->dbg_off && k->pdata_off && k->cv_off;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* Parse @len bytes of @d; returns the open status, the message in @err. */
static hvs_status parse(const uint8_t *d, size_t len, hvs_pe **pe, char *err)
{
	static membuf mbs[4];
	static int which;
	hvs_source src;
	hvs_pe_opts o;

	which = (which + 1) % 4;
	mb_source(&src, &mbs[which], d, len);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = HVS_ERRMSG_MAX;
	err[0] = '\0';
	*pe = NULL;
	return hvs_pe_open_source(pe, &src, &o);
}

/* Mutate a copy, open it, expect @want and @msg in the message. */
#define EXPECT_OPEN(mutation, want, msg)                                       \
	do {                                                                   \
		hvs_pe *pe_;                                                   \
		memcpy(m, k.d, k.len);                                         \
		mutation;                                                      \
		CHECK_STATUS(parse(m, k.len, &pe_, err), want);                \
		if (!strstr(err, msg))                                         \
			test__fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err, msg); \
		hvs_pe_close(pe_);                                             \
	} while (0)

/* Mutate a copy, open it fine, call @call, expect @want and @msg. */
#define EXPECT_CALL(mutation, call, want, msg)                                 \
	do {                                                                   \
		hvs_pe *pe;                                                    \
		memcpy(m, k.d, k.len);                                         \
		mutation;                                                      \
		CHECK_OK(parse(m, k.len, &pe, err));                           \
		CHECK_STATUS(call, want);                                      \
		if (!strstr(hvs_pe_errmsg(pe), msg))                           \
			test__fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", \
				   hvs_pe_errmsg(pe), msg);                    \
		hvs_pe_close(pe);                                              \
	} while (0)

static void test_pe__malformed(void)
{
	kfile k;
	uint8_t *m;
	char err[HVS_ERRMSG_MAX];
	const hvs_pe_exports *x;
	const hvs_pe_codeview *cv;
	const hvs_pe_debug_entry *dbg;
	const hvs_pe_runtime_function *rf;
	size_t n;
	hvs_pe *opened;

	NEED_FIXTURE();
	memset(&k, 0, sizeof k);
	CHECK(kfile_load(&k));
	m = malloc(k.len);
	CHECK(m);
	/* Truncated: inside the DOS header, inside the optional header,
	 * inside the section table. */
	CHECK_STATUS(parse(k.d, 0x30, &opened, err), HVS_E_NODATA);
	CHECK(strstr(err, "DOS header") && strstr(err, "not in the file"));
	CHECK_STATUS(parse(k.d, k.opt_off + 0x40, &opened, err), HVS_E_NODATA);
	CHECK(strstr(err, "optional header") != NULL);
	CHECK_STATUS(parse(k.d, k.sec_off + 50, &opened, err), HVS_E_NODATA);
	CHECK(strstr(err, "section table") != NULL);
	/* Bad magic, bad e_lfanew, bad signature. */
	EXPECT_OPEN(m[0] = 'Z', HVS_E_CORRUPT, "e_magic 0x5a5a");
	EXPECT_OPEN(put32(m + 0x3c, 0x20000), HVS_E_CORRUPT, "e_lfanew 0x20000 at offset 0x3c");
	EXPECT_OPEN(put32(m + 0x3c, 2), HVS_E_CORRUPT, "e_lfanew 0x2");
	EXPECT_OPEN(put32(m + 0x3c, 0x40), HVS_E_CORRUPT, "signature");
	EXPECT_OPEN(put32(m + 0x3c, (uint32_t)k.len - 8), HVS_E_NODATA, "NT headers");
	/* Huge counts and sizes. */
	EXPECT_OPEN(put16(m + k.lfanew + 6, 0xFFFF), HVS_E_CORRUPT,
		    "NumberOfSections 65535 exceeds 96");
	EXPECT_OPEN(put16(m + k.lfanew + 20, 0x10), HVS_E_CORRUPT,
		    "SizeOfOptionalHeader 16 is smaller than the 112 bytes");
	EXPECT_OPEN(put16(m + k.opt_off, 0x30b), HVS_E_UNSUPPORTED, "magic 0x030b");
	EXPECT_OPEN(put32(m + k.opt_off + 108, 1000), HVS_E_CORRUPT,
		    "NumberOfRvaAndSizes 1000");
	EXPECT_OPEN(put32(m + k.opt_off + 56, 0), HVS_E_CORRUPT, "SizeOfImage 0x0");
	EXPECT_OPEN(put32(m + k.opt_off + 56, 0x90000000u), HVS_E_CORRUPT,
		    "SizeOfImage 0x90000000");
	EXPECT_OPEN(put32(m + k.opt_off + 60, 0x7FFFFFF0), HVS_E_CORRUPT,
		    "SizeOfHeaders 0x7ffffff0 exceeds SizeOfImage");
	/* Section table past SizeOfHeaders; a section past SizeOfImage. */
	EXPECT_OPEN(put32(m + k.opt_off + 60, k.sec_off + 8), HVS_E_CORRUPT,
		    "section table");
	EXPECT_OPEN(put32(m + k.sec_off + 12, 0x7FFFF000), HVS_E_CORRUPT,
		    "section 0 '.text': VirtualAddress 0x7ffff000");
	/* Export directory: counts, tables, names, ordinals. */
	EXPECT_CALL(put32(m + k.exp_off + 20, 0x7FFFFFFF), hvs_pe_get_exports(pe, &x),
		    HVS_E_CORRUPT, "NumberOfFunctions 2147483647");
	EXPECT_CALL(put32(m + k.exp_off + 24, 1000), hvs_pe_get_exports(pe, &x),
		    HVS_E_CORRUPT, "NumberOfNames 1000 exceeds");
	EXPECT_CALL(put32(m + k.exp_off + 28, 0x7FFFFFF0), hvs_pe_get_exports(pe, &x),
		    HVS_E_CORRUPT, "AddressOfFunctions at RVA 0x7ffffff0");
	EXPECT_CALL(put32(m + k.exp_off + 12, 0x7FFFFFF0), hvs_pe_get_exports(pe, &x),
		    HVS_E_CORRUPT, "export directory Name: RVA 0x7ffffff0");
	{
		/* The first name pointer, past the image; the first name
		 * ordinal past NumberOfFunctions. */
		uint32_t names = 0, ords = 0;
		hvs_pe *ok;

		CHECK_OK(parse(k.d, k.len, &ok, err));
		names = rva_off(ok, k.d[k.exp_off + 32] | k.d[k.exp_off + 33] << 8 |
					    (uint32_t)k.d[k.exp_off + 34] << 16);
		ords = rva_off(ok, k.d[k.exp_off + 36] | k.d[k.exp_off + 37] << 8 |
					   (uint32_t)k.d[k.exp_off + 38] << 16);
		hvs_pe_close(ok);
		CHECK(names && ords);
		EXPECT_CALL(put32(m + names, 0x7FFFFF00), hvs_pe_get_exports(pe, &x),
			    HVS_E_CORRUPT, "AddressOfNames[0]: export name: RVA 0x7fffff00");
		EXPECT_CALL(put16(m + ords, 0x7777), hvs_pe_get_exports(pe, &x),
			    HVS_E_CORRUPT, "AddressOfNameOrdinals[0] = 30583");
	}
	/* Debug directory and CodeView. */
	EXPECT_CALL(put32(m + k.opt_off + 112 + 6 * 8 + 4, 27), hvs_pe_get_debug(pe, &dbg, &n),
		    HVS_E_CORRUPT, "size 27 is not a multiple of 28");
	EXPECT_CALL(put32(m + k.opt_off + 112 + 6 * 8 + 4, 28 * 100), hvs_pe_get_debug(pe, &dbg, &n),
		    HVS_E_CORRUPT, "100 entries exceed 64");
	EXPECT_CALL(memcpy(m + k.cv_off, "NB10", 4), hvs_pe_get_codeview(pe, &cv),
		    HVS_E_UNSUPPORTED, "NB10");
	EXPECT_CALL(memcpy(m + k.cv_off, "RSDX", 4), hvs_pe_get_codeview(pe, &cv),
		    HVS_E_CORRUPT, "expected 0x53445352");
	EXPECT_CALL(put32(m + k.dbg_off + 16, 10), hvs_pe_get_codeview(pe, &cv),
		    HVS_E_CORRUPT, "SizeOfData 10 is below");
	EXPECT_CALL(put32(m + k.dbg_off + 16, 26), hvs_pe_get_codeview(pe, &cv),
		    HVS_E_CORRUPT, "PDB name has no NUL");
	/* .pdata: a size that is no multiple of 12, an empty function. */
	EXPECT_CALL(put32(m + k.opt_off + 112 + 3 * 8 + 4, 13),
		    hvs_pe_get_runtime_functions(pe, &rf, &n), HVS_E_CORRUPT,
		    "size 13 is not a multiple of 12");
	EXPECT_CALL(put32(m + k.pdata_off + 4, 0), hvs_pe_get_runtime_functions(pe, &rf, &n),
		    HVS_E_CORRUPT, "exception directory entry 0");
	free(m);
	free(k.d);
}

static void test_pe__guid_format(void)
{
	static const uint8_t g[16] = { 0x08, 0x32, 0xB0, 0xAA, 0x01, 0xBD, 0xD2, 0x4C,
				       0x4C, 0x4C, 0x44, 0x20, 0x50, 0x44, 0x42, 0x2E };
	char buf[50], small[10];
	hvs_pe *pe = NULL;
	hvs_source src;
	const hvs_pe_codeview *cv;
	uint8_t *data;
	size_t len;
	char err[HVS_ERRMSG_MAX], *line;

	/* llvm-pdbutil prints this GUID as {AAB03208-BD01-4CD2-4C4C-44205044422E}. */
	CHECK_OK(hvs_pe_format_guid(g, 1, 0, buf, sizeof buf));
	CHECK_STR(buf, "AAB03208-BD01-4CD2-4C4C-44205044422E");
	CHECK_OK(hvs_pe_format_guid(g, 0x1A, 1, buf, sizeof buf));
	CHECK_STR(buf, "AAB03208BD014CD24C4C44205044422E1A");
	CHECK_STATUS(hvs_pe_format_guid(g, 1, 1, small, sizeof small), HVS_E_BUFSIZE);
	CHECK_STR(small, "");
	/* The symbol-store directory name equals the fixture's, which
	 * build.cmake derived from llvm-pdbutil. */
	if (!wg_file("ntkrnlmp.guidage"))
		SKIP("winguest fixture not built");
	CHECK_OK(open_file(wg_file("ntkrnlmp.exe"), &pe, &data, &len, &src, err, sizeof err));
	CHECK_OK(hvs_pe_get_codeview(pe, &cv));
	CHECK_OK(hvs_pe_format_guid(cv->guid, cv->age, 1, buf, sizeof buf));
	line = (char *)test_read_file(wg_file("ntkrnlmp.guidage"), &len);
	CHECK(line);
	line[strcspn(line, "\n")] = '\0';
	CHECK_STR(buf, line);
	free(line);
	hvs_pe_close(pe);
	free(data);
}

static void test_pe__oom(void)
{
	uint8_t *data;
	size_t len;
	long i;
	int ok = 0;
	membuf mb;

	if (!wg_file("ntkrnlmp.exe"))
		SKIP("winguest fixture not built");
	data = test_read_file(wg_file("ntkrnlmp.exe"), &len);
	CHECK(data);
	/* Fail the i-th allocation (and every later one) until everything
	 * succeeds. */
	for (i = 1; i < 200 && !ok; i++) {
		test_failalloc fa;
		hvs_source src;
		hvs_pe_opts o;
		hvs_pe *pe = NULL;
		const hvs_pe_exports *x;
		const hvs_pe_codeview *cv;
		const hvs_pe_runtime_function *rf;
		size_t n;
		hvs_status st;

		test_failalloc_init(&fa, i);
		mb_source(&src, &mb, data, len);
		memset(&o, 0, sizeof o);
		o.alloc = &fa.a;
		st = hvs_pe_open_source(&pe, &src, &o);
		if (st == HVS_OK)
			st = hvs_pe_get_exports(pe, &x);
		if (st == HVS_OK)
			st = hvs_pe_get_codeview(pe, &cv);
		if (st == HVS_OK)
			st = hvs_pe_get_runtime_functions(pe, &rf, &n);
		if (st == HVS_OK)
			ok = 1;
		else
			CHECK_STATUS(st, HVS_E_NOMEM);
		hvs_pe_close(pe);
	}
	CHECK(ok);
	CHECK(i > 3); /* the allocations were really failed first */
	free(data);
}

/* A mapped image whose bytes are the file's, at any base (offset va - base
 * with wrap-around arithmetic, as a buggy reader would compute). */
typedef struct at_base {
	const uint8_t *p;
	size_t n;
	uint64_t base;
} at_base;

static hvs_status base_read(void *ud, uint64_t va, void *buf, size_t len, size_t *done)
{
	const at_base *a = ud;
	uint64_t off = va - a->base;

	*done = 0;
	if (off >= a->n || len > a->n - off)
		return HVS_E_NOTPRESENT;
	memcpy(buf, a->p + off, len);
	*done = len;
	return HVS_OK;
}

static void test_pe__address_space_end(void)
{
	at_base a;
	hvs_pe *pe = NULL;
	hvs_pe_opts o_;
	size_t len;
	char err[HVS_ERRMSG_MAX];
	uint8_t *data;

	if (!wg_file("ntkrnlmp.exe"))
		SKIP("winguest fixture not built");
	data = test_read_file(wg_file("ntkrnlmp.exe"), &len);
	CHECK(data && len > 0x1000);
	a.p = data;
	a.n = len;
	memset(&o_, 0, sizeof o_);
	o_.errbuf = err;
	o_.errbuf_size = sizeof err;
	/* An image whose SizeOfImage would wrap past 2^64 is refused; the
	 * headers alone fit. */
	a.base = 0xFFFFFFFFFFFFF000ull;
	CHECK_STATUS(hvs_pe_open(&pe, a.base, base_read, &a, &o_), HVS_E_CORRUPT);
	CHECK(strstr(err, "wraps around the end of the address space") != NULL);
	a.base = 0xFFFFFFFFFFFFFFF0ull;
	CHECK_STATUS(hvs_pe_open(&pe, a.base, base_read, &a, &o_), HVS_E_INVALID);
	CHECK(strstr(err, "no room for a DOS header") != NULL);
	/* A base where the image ends exactly at 2^64 opens and reads. */
	{
		uint32_t lfanew = (uint32_t)(data[0x3c] | data[0x3d] << 8);
		const uint8_t *o = data + lfanew + 24 + 56;
		uint32_t size = (uint32_t)o[0] | (uint32_t)o[1] << 8 | (uint32_t)o[2] << 16 |
				(uint32_t)o[3] << 24;
		uint8_t b[4];
		size_t done;

		a.base = 0 - (uint64_t)size;
		CHECK_OK(hvs_pe_open(&pe, a.base, base_read, &a, &o_));
		CHECK_EQ(hvs_pe_get_headers(pe)->image_size, size);
		CHECK_OK(hvs_pe_read_rva(pe, lfanew, b, 4, &done));
		CHECK_EQ(done, 4);
		CHECK_MEM(b, "PE\0\0", 4);
		/* Past SizeOfImage: corrupt, nothing read. */
		CHECK_STATUS(hvs_pe_read_rva(pe, size - 2, b, 4, &done), HVS_E_CORRUPT);
		CHECK_EQ(done, 0);
	}
	hvs_pe_close(pe);
	free(data);
}

static void test_pe__args(void)
{
	hvs_pe *pe = (hvs_pe *)1;

	CHECK_STATUS(hvs_pe_open(NULL, 0, NULL, NULL, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_pe_open(&pe, 0, NULL, NULL, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_pe_open_source(&pe, NULL, NULL), HVS_E_INVALID);
	CHECK_STATUS(hvs_pe_open_vp(&pe, NULL, 0, 0, NULL), HVS_E_INVALID);
	CHECK_STR(hvs_pe_errmsg(NULL), "");
	hvs_pe_close(NULL);
}

TEST_MAIN(TEST(test_pe__files_vs_llvm), TEST(test_pe__memory_vs_llvm),
	  TEST(test_pe__other_address_spaces), TEST(test_pe__not_present),
	  TEST(test_pe__malformed), TEST(test_pe__guid_format),
	  TEST(test_pe__oom), TEST(test_pe__address_space_end), TEST(test_pe__args))
