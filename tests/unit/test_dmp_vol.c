/* SPDX-License-Identifier: MIT */
/*
 * End to end: hvs_convert(..., HVS_CONVERT_DMP, ...) output read by volatility3
 * (../shared/tools/volatility3) through tests/volatility/dmp_check.py.
 *
 * Inputs: the Windows-like guest fixture (tests/data/winguest: a fake
 * ntkrnlmp.exe with a KDBG, KiProcessorBlock, KPRCBs, KUSER_SHARED_DATA
 * behind 4-level page tables, 2 VPs) as a full and a bitmap dump, and the
 * real sample ../shared/samples/test_file.bin (252 MiB, no VPs) as a full
 * dump.  Checked against independent sources:
 *  - every physical segment volatility3's WindowsCrashDump64Layer returns
 *    equals the library's read of the input (SHA-256; merged-gap pages
 *    zero; the CONTEXT patches at the KPRCB context addresses expected);
 *  - header fields equal the fixture's layout.h and the addresses
 *    llvm-pdbutil gives for KdDebuggerDataBlock, PsLoadedModuleList,
 *    PsActiveProcessHead, MmPfnDatabase;
 *  - volatility3's Intel32e translation from DirectoryTableBase equals
 *    the library's for kernel, KUSER_SHARED_DATA, driver, stack, large
 *    page and unmapped addresses;
 *  - volatility3's _KDDEBUGGER_DATA64 (kdbg.json) reads the KDBG, and the
 *    CONTEXT at *(KiProcessorBlock[i] + OffsetPrcbContext) is at
 *    KiProcessorContext[i] (llvm-pdbutil) and holds VP i's registers.
 * Non-Windows: two real Linux guests (../shared/guests x86_64-tcg as a
 * full dump, its ranges merged into 42 runs, and x86_64-pti-tcg as a
 * bitmap dump, QEMU ELF cores with many ranges): DirectoryTableBase is
 * the CR3 of the CPL-0 vCPU (registers.json), the summary names the
 * underived fields, segments equal the library's reads, and volatility3's
 * translation from DirectoryTableBase equals QEMU's (truth.json) for that
 * vCPU -- except where the walk meets a table whose 512 entries are all
 * equal, which volatility3's Intel layer refuses by design
 * (intel.py _get_valid_table), or a table page the pruned core lacks.
 * Skips (77) when ../shared, python3, xz or the fixture is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert/dmp.h"
#include "json_min.h"
#include "sha256.h"
#include "test.h"
#include "util/bytes.h"
#include "winguest_util.h"

#define PYTHON "/usr/bin/python3"

/* Run a host shell command; its stdout (malloc'd) or NULL; *rc its exit status. */
static char *run(const char *cmd, int *rc)
{
	char *out = NULL;
	*rc = test_sh(cmd, &out, NULL);
	return out;
}

/* Run one of our programs (@argv[0] NULL: not built, *rc -1); its stdout
 * and stderr (malloc'd) or NULL. */
static char *run_prog(const char *const *argv, int *rc)
{
	char *out = NULL;
	*rc = argv[0] ? test_spawn_capture(argv, 1, &out, NULL) : -1;
	return out;
}

static const char *vol_dir(void)
{
	static char dir[1024];
	const char *p = test_shared_path("tools/volatility3/volatility3/framework/layers/crash.py");
	/* python3 is a host tool (test_sh), like xz. */
	if (!p || test_sh_unavailable() || !test_exists(PYTHON))
		return NULL;
	p = test_shared_path("tools/volatility3");
	snprintf(dir, sizeof dir, "%s", p);
	return dir;
}

/* Convert @in to a crash dump of DumpType @type with the library API. */
static hvs_convert_result *convert(const char *in, const char *out, int type)
{
	hvs_image *img = NULL;
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	hvs_status s;
	if (hvs_image_open(&img, in, NULL) != HVS_OK)
		return NULL;
	memset(&o, 0, sizeof o);
	o.flags = HVS_CONVERT_FORCE;
	o.dmp_type = type;
	s = hvs_convert(img, out, HVS_CONVERT_DMP, &o, &r);
	hvs_image_close(img);
	if (s != HVS_OK) {
		fprintf(stderr, "hvs_convert %s: %s: %s\n", in, hvs_convert_strerror(s),
			r ? r->errmsg : "");
		hvs_convert_result_free(r);
		return NULL;
	}
	return r;
}

/* Is @field among the result's underived fields? */
static int underived(const hvs_convert_result *r, const char *field)
{
	size_t i;
	for (i = 0; i < r->underived_count; i++)
		if (strcmp(r->underived[i].field, field) == 0)
			return 1;
	return 0;
}

/* The value of note @name, or UINT64_MAX when absent. */
static uint64_t note(const hvs_convert_result *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->note_count; i++)
		if (strcmp(r->notes[i].name, name) == 0)
			return r->notes[i].value;
	return UINT64_MAX;
}

static char *vol_check(const char *vol, const char *dump, const char *vas)
{
	char cmd[4096];
	int rc;
	char *o;
	snprintf(cmd, sizeof cmd, "%s '%s' '%s' '%s' %s", PYTHON,
		 test_source_path("tests/volatility/dmp_check.py"), vol, dump, vas);
	o = run(cmd, &rc);
	if (rc != 0) {
		free(o);
		return NULL;
	}
	return o;
}

/* Patches expected in the dump: GPA + bytes. */
typedef struct xpatch {
	uint64_t gpa;
	uint8_t b[HVS__DMP_CONTEXT_SIZE];
	size_t len;
} xpatch;

/*
 * SHA-256 of guest-physical [gpa, gpa + len) as the library reads it:
 * zeros where no range is (merged gaps, partial pages), the image's
 * bytes where one is, with @np patches laid over it.
 */
static int lib_sha(hvs_image *img, uint64_t gpa, uint64_t len, const xpatch *p, size_t np,
		   char hex[65])
{
	const hvs_mem_range *rg = hvs_image_ranges(img);
	size_t nr = hvs_image_range_count(img);
	test_sha256 c;
	uint8_t d[32];
	uint8_t *buf = malloc(1u << 20);
	if (!buf)
		return 0;
	test_sha256_init(&c);
	while (len) {
		size_t n = len > (1u << 20) ? (1u << 20) : (size_t)len, i;
		memset(buf, 0, n);
		for (i = 0; i < nr; i++) {
			uint64_t lo = rg[i].gpa > gpa ? rg[i].gpa : gpa;
			uint64_t hi = rg[i].gpa + rg[i].size < gpa + n ? rg[i].gpa + rg[i].size
								       : gpa + n;
			if (lo < hi && hvs_image_read(img, HVS_SPACE_GPA, lo, buf + (lo - gpa),
						      (size_t)(hi - lo), NULL) != HVS_OK) {
				free(buf);
				return 0;
			}
		}
		for (i = 0; i < np; i++) {
			uint64_t a = p[i].gpa, e = p[i].gpa + p[i].len;
			uint64_t lo = a > gpa ? a : gpa, hi = e < gpa + n ? e : gpa + n;
			if (lo < hi)
				memcpy(buf + (lo - gpa), p[i].b + (lo - a), (size_t)(hi - lo));
		}
		test_sha256_update(&c, buf, n);
		gpa += n;
		len -= n;
	}
	free(buf);
	test_sha256_final(&c, d);
	test_sha256_tohex(d, hex);
	return 1;
}

/* Compare every "seg" line of @out with the library; returns segments or -1. */
static int check_segments(hvs_image *img, const char *out, const xpatch *p, size_t np)
{
	const char *l = out;
	int n = 0;
	while ((l = strstr(l, "\nseg ")) != NULL) {
		uint64_t gpa, len;
		char hex[65], want[65];
		l++;
		if (sscanf(l, "seg %" SCNx64 " %" SCNx64 " %64s", &gpa, &len, hex) != 3)
			return -1;
		if (!lib_sha(img, gpa, len, p, np, want) || strcmp(hex, want) != 0) {
			fprintf(stderr, "segment 0x%" PRIx64 "+0x%" PRIx64 ": volatility %s, "
				"library %s\n", gpa, len, hex, want);
			return -1;
		}
		n++;
	}
	return n;
}

/* Header line values. */
typedef struct vhdr {
	uint64_t type, dtb, kdbg, nprocs, major, minor, psl, psa, pfn, machine;
} vhdr;

static int parse_header(const char *out, vhdr *h)
{
	const char *l = strstr(out, "header ");
	return l && sscanf(l, "header %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64
			   " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
			   &h->type, &h->dtb, &h->kdbg, &h->nprocs, &h->major, &h->minor,
			   &h->psl, &h->psa, &h->pfn, &h->machine) == 10;
}

/* --- public symbol addresses of the fake kernel (llvm-pdbutil) --------- */

typedef struct pubs {
	char *pubs, *secs;
} pubs;

static int pub(const pubs *p, const char *name, uint64_t *va)
{
	char pat[128];
	const char *s, *b;
	unsigned sec, off, i;
	uint64_t rva;
	snprintf(pat, sizeof pat, "`%s`", name);
	s = strstr(p->pubs, pat);
	if (!s || !(s = strstr(s, "addr = ")) || sscanf(s, "addr = %u:%u", &sec, &off) != 2)
		return 0;
	for (b = p->secs, i = 0; i < sec; i++)
		if (!(b = wg_block(b + (i != 0), "Section")))
			return 0;
	if (!wg_field(b, "VirtualAddress", &rva))
		return 0;
	*va = WG_KERNEL_BASE + rva + off;
	return 1;
}

/* SHA-256 of a whole file, or "" when unreadable. */
static void file_sha(const char *path, char hex[65])
{
	size_t n = 0;
	uint8_t *d = test_read_file(path, &n);
	hex[0] = 0;
	if (d)
		test_sha256_hex(d, n, hex);
	free(d);
}

static void winguest(int want_type, int symbols)
{
	const char *vol = vol_dir();
	const char *in = wg_file("winguest.vmrs");
	char dump[1024], vas[1024], *out = NULL;
	hvs_convert_result *res = NULL;
	hvs_image *img = NULL;
	pubs pb = { NULL, NULL };
	vhdr h;
	uint64_t kdbg, psl, psa, pfn, kpb, kctx;
	xpatch xp[WG_VP_COUNT];
	const char *l;
	uint32_t i;
	hvs__dmp_regs *regs = NULL;

	if (!vol)
		SKIP("../shared/tools/volatility3 or " PYTHON " not found");
	if (!in)
		SKIP("winguest fixture not built (needs clang and lld; ctest -R winguest_fixture)");
	if (!wg_tool("readobj") || !wg_tool("pdbutil"))
		SKIP("llvm-readobj / llvm-pdbutil not found");
	pb.pubs = wg_run(wg_tool("pdbutil"), "dump --publics", wg_file("ntkrnlmp.pdb"));
	pb.secs = wg_run(wg_tool("readobj"), "--sections", wg_file("ntkrnlmp.exe"));
	CHECK(pb.pubs && pb.secs);
	CHECK(pub(&pb, "KdDebuggerDataBlock", &kdbg) && pub(&pb, "PsLoadedModuleList", &psl) &&
	      pub(&pb, "PsActiveProcessHead", &psa) && pub(&pb, "MmPfnDatabase", &pfn) &&
	      pub(&pb, "KiProcessorBlock", &kpb) && pub(&pb, "KiProcessorContext", &kctx));

	snprintf(dump, sizeof dump, "%s", test_tmp_path(want_type == 1 ? "wg_full.dmp" : "wg_bitmap.dmp"));
	(void)remove(dump);
	if (symbols) /* the kernel's PDB in the fixture's symbol store */
		test_setenv("_NT_SYMBOL_PATH", wg_file("symbols"));
	else
		test_setenv("_NT_SYMBOL_PATH", NULL);
	{
		char before[65], after[65];
		file_sha(in, before);
		res = convert(in, dump, want_type);
		test_setenv("_NT_SYMBOL_PATH", NULL);
		file_sha(in, after);
		CHECK(res);
		CHECK(before[0] && strcmp(before, after) == 0); /* input unchanged */
	}
	/* The summary: kernel CR3, the KDBG and how it was found, nothing
	 * underived for this Windows-like guest. */
	CHECK_EQ(note(res, "kernel_cr3"), WG_CR3_SYSTEM);
	CHECK_EQ(note(res, "kdbg"), kdbg);
	CHECK_EQ(note(res, "kdbg_from_symbols"), symbols ? 1 : UINT64_MAX);
	CHECK_EQ(note(res, "vp_contexts_written"), WG_VP_COUNT);
	CHECK_EQ(note(res, "nt_build_number"), WG_NT_BUILD_NUMBER);
	CHECK_EQ(res->underived_count, 0);

	{
		const uint64_t va[9] = { WG_KERNEL_BASE, kdbg, WG_KUSD_VA, WG_DRIVER_BASE,
					 WG_KSTACK_VA + 0x2008, WG_LARGE_VA + 0x12345,
					 WG_DECOY_VA + 0x3000, WG_PFN_DB_VA, WG_USER_CODE_VA };
		size_t k, n = 0;
		for (k = 0; k < 9; k++)
			n += (size_t)snprintf(vas + n, sizeof vas - n, "%" PRIx64 " ", va[k]);
	}
	out = vol_check(vol, dump, vas);
	if (!out) {
		hvs_convert_result_free(res);
		CHECK(out);
	}
	CHECK_OK(hvs_image_open(&img, in, NULL));

	CHECK(parse_header(out, &h));
	CHECK_EQ(h.type, want_type);
	CHECK_EQ(h.dtb, WG_CR3_SYSTEM);
	CHECK_EQ(h.kdbg, kdbg);
	CHECK_EQ(h.nprocs, WG_VP_COUNT);
	CHECK_EQ(h.major, 0xF);
	CHECK_EQ(h.minor, WG_BUILD);
	CHECK_EQ(h.psl, psl);
	CHECK_EQ(h.psa, psa);
	CHECK_EQ(h.pfn, pfn);
	CHECK_EQ(h.machine, 0x8664);
	/* From the fixture's KUSER_SHARED_DATA (tests/data/winguest/ntkrnlmp.c:
	 * SystemTime {0x1D2A3B4C, 0x01DA1234}, NtProductType NtProductWinNt). */
	{
		uint64_t st, up, pt, sm, req;
		struct stat sb;
		l = strstr(out, "header2 ");
		CHECK(l && sscanf(l, "header2 %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64
				  " %" SCNx64, &st, &up, &pt, &sm, &req) == 5);
		CHECK_EQ(st, 0x01DA12341D2A3B4Cull);
		CHECK_EQ(pt, 1);
		CHECK(stat(dump, &sb) == 0);
		CHECK_EQ(req, (uint64_t)sb.st_size);
	}

	/* KDBG through volatility's kdbg.json on the dump's page tables. */
	l = strstr(out, "kdbg ");
	{
		uint64_t tag, kb, pblock, offctx;
		CHECK(l && sscanf(l, "kdbg %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
				  &tag, &kb, &pblock, &offctx) == 4);
		CHECK_EQ(tag, 0x4742444B);
		CHECK_EQ(kb, WG_KERNEL_BASE);
		CHECK_EQ(pblock, kpb);
	}

	/* Translations: volatility on DirectoryTableBase vs the library on
	 * VP 0 (whose CR3 is the System one). */
	{
		int nx = 0;
		for (l = strstr(out, "\nxlat "); l; l = strstr(l + 1, "\nxlat ")) {
			uint64_t va, gpa = 0, mine = 0;
			char g[32];
			hvs_status s;
			CHECK(sscanf(l + 1, "xlat %" SCNx64 " %31s", &va, g) == 2);
			s = hvs_vp_translate(img, 0, va, &mine, NULL, NULL);
			if (strcmp(g, "-") == 0) {
				CHECK(s != HVS_OK);
			} else {
				CHECK(sscanf(g, "%" SCNx64, &gpa) == 1);
				CHECK_OK(s);
				CHECK_EQ(gpa, mine);
			}
			nx++;
		}
		CHECK_EQ(nx, 9);
	}

	/* Per-VP contexts: where volatility finds them and what they hold. */
	regs = malloc(sizeof *regs);
	CHECK(regs);
	for (i = 0; i < WG_VP_COUNT; i++) {
		char pat[16];
		uint64_t cva;
		const char *hex;
		uint8_t c[HVS__DMP_CONTEXT_SIZE];
		size_t k;
		hvs_regval v;
		snprintf(pat, sizeof pat, "\nctx %x ", i);
		l = strstr(out, pat);
		CHECK(l);
		CHECK(sscanf(l + 1 + strlen("ctx 0 "), "%" SCNx64, &cva) == 1);
		CHECK_EQ(cva, kctx + (uint64_t)i * HVS__DMP_CONTEXT_SIZE);
		hex = strchr(l + 1 + strlen("ctx 0 "), ' ');
		CHECK(hex);
		hex++;
		for (k = 0; k < sizeof c; k++) {
			unsigned b;
			CHECK(sscanf(hex + 2 * k, "%2x", &b) == 1);
			c[k] = (uint8_t)b;
		}
		CHECK_OK(hvs_image_get_reg(img, i, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &v));
		CHECK_EQ(hvs__le64(c + 0xF8), v.lo);
		CHECK_OK(hvs_image_get_reg(img, i, HVS_VTL_ACTIVE, HVS_REG_X64_RSP, &v));
		CHECK_EQ(hvs__le64(c + 0x98), v.lo);
		CHECK_OK(hvs_image_get_reg(img, i, HVS_VTL_ACTIVE, HVS_REG_X64_RAX, &v));
		CHECK_EQ(hvs__le64(c + 0x78), v.lo);
		CHECK_OK(hvs_image_get_reg(img, i, HVS_VTL_ACTIVE, HVS_REG_X64_RFLAGS, &v));
		CHECK_EQ(hvs__le32(c + 0x44), (uint32_t)v.lo);
		CHECK_OK(hvs_image_get_reg(img, i, HVS_VTL_ACTIVE, HVS_REG_X64_CS, &v));
		CHECK_EQ(hvs__le16(c + 0x38), (uint16_t)(v.hi >> 32));
		CHECK_EQ(hvs__le16(c + 0x38), i == 0 ? 0x10 : 0x33);
		/* The expected patch for the segment comparison below. */
		CHECK_OK(hvs_vp_translate(img, 0, cva, &xp[i].gpa, NULL, NULL));
		hvs__dmp_regs_from_image(regs, img, i);
		hvs__dmp_encode_context(xp[i].b, regs);
		xp[i].len = HVS__DMP_CONTEXT_SIZE;
		CHECK_MEM(c, xp[i].b, sizeof c);
	}

	/* Every page volatility returns is the input's (contexts patched). */
	CHECK_EQ(check_segments(img, out, xp, WG_VP_COUNT), 1);

	free(regs);
	hvs_image_close(img);
	free(out);
	hvs_convert_result_free(res);
	free(pb.pubs);
	free(pb.secs);
}

static void test_dmp_vol__winguest_full(void)
{
	winguest(HVS_CONVERT_DMP_FULL, 0);
}

static void test_dmp_vol__winguest_bitmap(void)
{
	winguest(HVS_CONVERT_DMP_BITMAP, 0);
}

/* The same with the kernel's symbols: the KDBG is taken from the PDB. */
static void test_dmp_vol__winguest_symbols(void)
{
	winguest(HVS_CONVERT_DMP_FULL, 1);
}

/* The real legacy sample: 252 MiB, no VPs, no page tables known. */
static void test_dmp_vol__sample_bin(void)
{
	const char *vol = vol_dir();
	const char *in = test_shared_path("samples/test_file.bin");
	char dump[1024], *out;
	hvs_convert_result *res;
	hvs_image *img = NULL;
	vhdr h;

	if (!vol || !in)
		SKIP("../shared (volatility3, samples/test_file.bin) or " PYTHON " not found");
	snprintf(dump, sizeof dump, "%s", test_tmp_path("sample_bin.dmp"));
	res = convert(in, dump, HVS_CONVERT_DMP_FULL);
	CHECK(res);
	/* What could not be derived is named. */
	CHECK(underived(res, "KdDebuggerDataBlock"));
	CHECK(underived(res, "DirectoryTableBase"));
	CHECK(underived(res, "ContextRecord"));
	CHECK(underived(res, "MinorVersion"));
	hvs_convert_result_free(res);
	out = vol_check(vol, dump, "");
	CHECK(out);
	CHECK_OK(hvs_image_open(&img, in, NULL));
	CHECK(parse_header(out, &h));
	CHECK_EQ(h.type, 1);
	CHECK_EQ(h.dtb, 0);
	CHECK_EQ(h.kdbg, 0);
	CHECK_EQ(h.nprocs, 0);
	CHECK_EQ(h.machine, 0x8664);
	CHECK_EQ(check_segments(img, out, NULL, 0), 1);
	hvs_image_close(img);
	free(out);
	remove(dump);
}

/* ----------------------------------------------- Linux (no KDBG) -- */

/* Is the 4 KiB table holding the entry at @gpa made of 512 equal u64? */
static int table_all_equal(hvs_image *img, uint64_t gpa)
{
	static uint8_t t[4096];
	size_t i;
	if (hvs_image_read(img, HVS_SPACE_GPA, gpa & ~0xFFFull, t, sizeof t, NULL) != HVS_OK)
		return 1;
	for (i = 8; i < sizeof t; i++)
		if (t[i] != t[i % 8])
			return 0;
	return 1;
}

/* A number or "0x..." string member as u64: 1 on success. */
static int hexval(const jm_val *v, uint64_t *out)
{
	return jm_u64(v, out) == 0;
}

static void linux_guest(const char *name, int want_type)
{
	const char *vol = vol_dir();
	char rel[256], core[1024], dump[1024], cmd[3072], *vas = NULL, *out = NULL;
	hvs_convert_result *res = NULL;
	const char *xzp;
	jm_val *regs = NULL, *truth = NULL;
	const jm_val *cpus, *tr;
	hvs_image *img = NULL;
	uint64_t kcr3 = 0;
	uint32_t kvp = UINT32_MAX, i;
	size_t n, k, vlen = 0, checked = 0, skipped = 0;
	vhdr h;
	int rc;
	char err[256];
	const char *l;

	snprintf(rel, sizeof rel, "guests/%s/core.elf.xz", name);
	xzp = test_shared_path(rel);
	if (!vol || !xzp)
		SKIP("../shared (volatility3, %s) or " PYTHON " not found", rel);
	snprintf(core, sizeof core, "%s", test_tmp_path(name));
	strncat(core, ".dmpcore.elf", sizeof core - strlen(core) - 1);
	snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s' 2>/dev/null", xzp, core);
	free(run(cmd, &rc));
	if (rc != 0)
		SKIP("cannot decompress %s (is xz installed?)", rel);
	snprintf(rel, sizeof rel, "guests/%s/registers.json", name);
	regs = jm_parse_file(test_shared_path(rel), err, sizeof err);
	snprintf(rel, sizeof rel, "guests/%s/truth.json", name);
	truth = jm_parse_file(test_shared_path(rel), err, sizeof err);
	CHECK(regs && truth);

	/* The CPL-0 vCPU and its CR3, from QEMU's `info registers`. */
	cpus = jm_get(regs, "cpus");
	for (i = 0; i < jm_len(cpus); i++) {
		const jm_val *r = jm_get(jm_at(cpus, i), "registers");
		uint64_t cpl = 1;
		if (hexval(jm_get(r, "CPL"), &cpl) && cpl == 0) {
			CHECK(hexval(jm_get(r, "CR3"), &kcr3));
			kvp = i;
			break;
		}
	}
	CHECK(kvp != UINT32_MAX);

	snprintf(dump, sizeof dump, "%s", test_tmp_path(name));
	strncat(dump, ".dmp", sizeof dump - strlen(dump) - 1);
	res = convert(core, dump, want_type);
	CHECK(res);
	CHECK(underived(res, "KdDebuggerDataBlock"));
	CHECK(underived(res, "PsLoadedModuleList"));
	CHECK(underived(res, "PsActiveProcessHead"));
	CHECK(underived(res, "PfnDataBase"));
	CHECK(underived(res, "MinorVersion"));
	CHECK(underived(res, "ProductType"));
	CHECK(underived(res, "DirectoryTableBase (kernel)"));
	CHECK(!underived(res, "ContextRecord"));
	CHECK_EQ(note(res, "kernel_cr3"), kcr3 & 0x000FFFFFFFFFF000ull);

	tr = jm_get(truth, "translations");
	n = jm_len(tr);
	vas = malloc(n * 20 + 1);
	CHECK(vas);
	vas[0] = 0;
	for (k = 0; k < n; k++) {
		uint64_t cpu, va;
		const jm_val *e = jm_at(tr, k);
		if (hexval(jm_get(e, "cpu"), &cpu) && cpu == kvp && hexval(jm_get(e, "gva"), &va))
			vlen += (size_t)snprintf(vas + vlen, 20, "%" PRIx64 " ", va);
	}
	out = vol_check(vol, dump, vas);
	CHECK(out);
	CHECK_OK(hvs_image_open(&img, core, NULL));
	CHECK(parse_header(out, &h));
	CHECK_EQ(h.type, want_type);
	CHECK_EQ(h.dtb, kcr3 & 0x000FFFFFFFFFF000ull);
	CHECK_EQ(h.kdbg, 0);
	CHECK_EQ(h.psl, 0);
	CHECK_EQ(h.nprocs, jm_len(cpus));
	CHECK(check_segments(img, out, NULL, 0) >= 1);

	for (k = 0; k < n; k++) {
		const jm_val *e = jm_at(tr, k);
		uint64_t cpu, va, want = 0, got = 0;
		int mapped = jm_str(jm_get(e, "gpa")) != NULL;
		char pat[40], g[32];
		hvs_xlat_walk w;
		hvs_status s;
		unsigned st;
		int skip = 0;
		if (!hexval(jm_get(e, "cpu"), &cpu) || cpu != kvp || !hexval(jm_get(e, "gva"), &va))
			continue;
		if (mapped)
			CHECK(hexval(jm_get(e, "gpa"), &want));
		snprintf(pat, sizeof pat, "\nxlat %" PRIx64 " ", va);
		l = strstr(out, pat);
		CHECK(l && sscanf(l + strlen(pat), "%31s", g) == 1);
		s = hvs_vp_trace(img, kvp, va, &w);
		if (s == HVS_E_NODATA)
			skip = 1; /* a table page the pruned core does not hold */
		for (st = 0; st < w.nsteps && !skip; st++)
			if (table_all_equal(img, w.steps[st].entry_gpa))
				skip = 1; /* volatility refuses an all-equal table */
		if (skip) {
			skipped++;
			continue;
		}
		if (!mapped) {
			CHECK_STR(g, "-");
		} else {
			CHECK(sscanf(g, "%" SCNx64, &got) == 1);
			CHECK_EQ(got, want);
		}
		checked++;
	}
	fprintf(stderr, "  %s: %zu translations equal QEMU's, %zu skipped\n", name, checked,
		skipped);
	CHECK(checked >= 40);

	hvs_image_close(img);
	jm_free(regs);
	jm_free(truth);
	free(vas);
	free(out);
	hvs_convert_result_free(res);
	remove(dump);
	remove(core);
}

static void test_dmp_vol__linux_x86_64(void)
{
	linux_guest("x86_64-tcg", HVS_CONVERT_DMP_FULL); /* 42 runs: gaps merged */
}

static void test_dmp_vol__linux_x86_64_pti(void)
{
	linux_guest("x86_64-pti-tcg", HVS_CONVERT_DMP_BITMAP);
}

/* ARM64 guests are refused with a message, and no output is left. */
static void test_dmp_vol__arm64_refused(void)
{
	const char *xzp = test_shared_path("guests/aarch64-tcg/core.elf.xz");
	char core[1024], dump[1024], cmd[3072];
	hvs_image *img = NULL;
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	int rc;

	if (!xzp)
		SKIP("../shared/guests/aarch64-tcg not found");
	snprintf(core, sizeof core, "%s", test_tmp_path("aarch64.dmpcore.elf"));
	snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s' 2>/dev/null", xzp, core);
	free(run(cmd, &rc));
	if (rc != 0)
		SKIP("cannot decompress the aarch64 core (is xz installed?)");
	snprintf(dump, sizeof dump, "%s", test_tmp_path("aarch64.dmp"));
	(void)remove(dump);
	CHECK_OK(hvs_image_open(&img, core, NULL));
	memset(&o, 0, sizeof o);
	CHECK_STATUS(hvs_convert(img, dump, HVS_CONVERT_DMP, &o, &r), HVS_E_UNSUPPORTED);
	CHECK(r && strstr(r->errmsg, "ARM64"));
	CHECK(!test_exists(dump));
	hvs_convert_result_free(r);
	hvs_image_close(img);
	remove(core);
}

/* The CLI: hvs convert --to dmp --dmp-type full|bitmap --json. */
static void test_dmp_vol__cli(void)
{
	const char *bin = test_shared_path("samples/test_file.bin");
	const char *wg = wg_file("winguest.vmrs");
	const char *hvs = test_bin_path("hvs");
	char dump[1024];
	char *o;
	int rc;

	if (!bin && !wg)
		SKIP("neither ../shared/samples/test_file.bin nor the winguest fixture found");
	if (!hvs)
		SKIP("hvs not built");
	snprintf(dump, sizeof dump, "%s", test_tmp_path("cli.dmp"));
	if (bin) {
		const char *argv[] = { hvs,	"convert", bin,	    "-o",      dump,	 "--to",
				       "dmp",	"--dmp-type", "full", "--force", "--json", NULL };
		o = run_prog(argv, &rc);
		CHECK(o);
		CHECK_EQ(rc, 0);
		CHECK(strstr(o, "\"format\": \"dmp\""));
		CHECK(strstr(o, "\"field\": \"KdDebuggerDataBlock\""));
		CHECK(strstr(o, "\"field\": \"DirectoryTableBase\""));
		CHECK(strstr(o, "\"dump_type\": \"0x1\""));
		free(o);
	}
	if (wg) {
		const char *argv[] = { hvs,	"convert", wg,	      "-o",	 dump,	   "--to",
				       "dmp",	"--dmp-type", "bitmap", "--force", "--json", NULL };
		const char *argv2[] = { hvs, "convert", wg, "-o", dump, "--to", "dmp", "--quiet", NULL };
		o = run_prog(argv, &rc);
		CHECK(o);
		CHECK_EQ(rc, 0);
		CHECK(strstr(o, "\"underived\": []"));
		CHECK(strstr(o, "\"dump_type\": \"0x5\""));
		CHECK(strstr(o, "\"vp_contexts_written\": \"0x2\""));
		free(o);
		/* An existing output is not replaced without --force. */
		o = run_prog(argv2, &rc);
		CHECK(rc != 0);
		free(o);
	}
	remove(dump);
}

/*
 * Ranges that are not page aligned and share a page (a raw image with a
 * layout): [0, 0x1800) and [0x1900, 0x2900) both touch page 1.  Both dump
 * types store pages 0-2 once; the bytes no range covers read as zero.
 */
static void test_dmp_vol__unaligned_ranges(void)
{
	const char *vol = vol_dir();
	static const hvs_raw_extent lay[2] = { { 0, 0x1800, 0 }, { 0x1900, 0x1000, 0x1800 } };
	uint8_t data[0x2800];
	char raw[1024], dump[1024], *out;
	hvs_image_opts io;
	hvs_image *img = NULL;
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	vhdr h;
	size_t i;
	int t;

	if (!vol)
		SKIP("../shared/tools/volatility3 or " PYTHON " not found");
	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 8) + 7);
	snprintf(raw, sizeof raw, "%s", test_tmp_path("unaligned.raw"));
	CHECK(test_write_file(raw, data, sizeof data) == 0);
	memset(&io, 0, sizeof io);
	io.format = HVS_FORMAT_RAW;
	io.raw_layout = lay;
	io.raw_layout_count = 2;
	CHECK_OK(hvs_image_open(&img, raw, &io));
	CHECK_EQ(hvs_image_range_count(img), 2);
	for (t = 0; t < 2; t++) {
		memset(&o, 0, sizeof o);
		o.flags = HVS_CONVERT_FORCE;
		o.dmp_type = t ? HVS_CONVERT_DMP_BITMAP : HVS_CONVERT_DMP_FULL;
		snprintf(dump, sizeof dump, "%s", test_tmp_path(t ? "unaligned5.dmp" : "unaligned1.dmp"));
		CHECK_OK(hvs_convert(img, dump, HVS_CONVERT_DMP, &o, &r));
		CHECK_EQ(note(r, "pages"), 3);
		hvs_convert_result_free(r);
		r = NULL;
		out = vol_check(vol, dump, "");
		CHECK(out);
		CHECK(parse_header(out, &h));
		CHECK_EQ(h.type, t ? 5 : 1);
		/* One segment, pages 0-2, equal to the input with a zero hole. */
		CHECK(strstr(out, "\nseg 0 3000 "));
		CHECK_EQ(check_segments(img, out, NULL, 0), 1);
		free(out);
		remove(dump);
	}
	hvs_image_close(img);
	remove(raw);
}

/* A 32-bit PAE guest: a PAGEDU64 dump all the same, its CR3 as
 * DirectoryTableBase, the AMD64 CONTEXT named in the summary; volatility3
 * reads its pages. */
static void test_dmp_vol__i386_pae(void)
{
	const char *vol = vol_dir();
	const char *xzp = test_shared_path("guests/i386-pae-tcg/core.elf.xz");
	char core[1024], dump[1024], cmd[3072], *out;
	hvs_convert_result *r;
	hvs_image *img = NULL;
	hvs_regval cr3;
	vhdr h;
	int rc;

	if (!vol || !xzp)
		SKIP("../shared (volatility3, guests/i386-pae-tcg) or " PYTHON " not found");
	snprintf(core, sizeof core, "%s", test_tmp_path("i386pae.dmpcore.elf"));
	snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s' 2>/dev/null", xzp, core);
	free(run(cmd, &rc));
	if (rc != 0)
		SKIP("cannot decompress the i386-pae core (is xz installed?)");
	snprintf(dump, sizeof dump, "%s", test_tmp_path("i386pae.dmp"));
	r = convert(core, dump, HVS_CONVERT_DMP_FULL);
	CHECK(r);
	CHECK(underived(r, "ContextRecord (AMD64)"));
	CHECK(underived(r, "KdDebuggerDataBlock"));
	hvs_convert_result_free(r);
	out = vol_check(vol, dump, "");
	CHECK(out);
	CHECK_OK(hvs_image_open(&img, core, NULL));
	/* VP 0 is the CPL-0 vCPU of this guest (QEMU's registers.json); its
	 * PAE CR3 is 32-byte aligned and written whole. */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &cr3));
	CHECK(cr3.lo & 0xFE0); /* this guest's PDPT is not page aligned */
	CHECK(parse_header(out, &h));
	CHECK_EQ(h.dtb, cr3.lo & 0xFFFFFFE0ull);
	CHECK_EQ(h.nprocs, 2);
	CHECK(check_segments(img, out, NULL, 0) >= 1);
	hvs_image_close(img);
	free(out);
	remove(dump);
	remove(core);
}

/*
 * Generated saved states (hvs-gen, tests/data/sample-x64.spec): with the
 * spec's Windows guest OS id (0x0001040A00004A61: Microsoft, Windows NT
 * 10.0, build 0x4A61) the version comes from it; with a Linux guest OS id
 * (open source, bit 63) the KDBG is not searched.
 */
static void test_dmp_vol__generated_os_id(void)
{
	char spec[1024], vm[1024], dump[1024], *text, *o;
	const char *src = test_source_path("tests/data/sample-x64.spec");
	size_t n;
	int rc, linux_id;
	hvs_convert_result *r;

	for (linux_id = 0; linux_id < 2; linux_id++) {
		snprintf(spec, sizeof spec, "%s", test_tmp_path(linux_id ? "dmp-linux.spec" : "dmp-win.spec"));
		snprintf(vm, sizeof vm, "%s", test_tmp_path(linux_id ? "dmp-linux.vmrs" : "dmp-win.vmrs"));
		snprintf(dump, sizeof dump, "%s", test_tmp_path("dmp-gen.dmp"));
		text = (char *)test_read_file(src, &n);
		CHECK(text);
		o = strstr(text, "guest-os-id 0x0001040A00004A61");
		if (!o) {
			free(text);
			CHECK(o);
		}
		if (linux_id) /* Linux: open source (bit 63), OS type 1 (bits 62:56) */
			memcpy(o + strlen("guest-os-id "), "0x8100000000060100", 18);
		rc = test_write_file(spec, text, n);
		free(text);
		CHECK(rc == 0);
		{
			const char *argv[] = { test_bin_path("tests/hvs-gen"), spec, vm, NULL };
			free(run_prog(argv, &rc));
		}
		CHECK_EQ(rc, 0);
		r = convert(vm, dump, HVS_CONVERT_DMP_FULL);
		CHECK(r);
		if (linux_id) {
			size_t i;
			int said = 0;
			for (i = 0; i < r->underived_count; i++)
				if (strcmp(r->underived[i].field, "KdDebuggerDataBlock") == 0 &&
				    strstr(r->underived[i].why, "guest OS id"))
					said = 1;
			CHECK(said);
			CHECK_EQ(note(r, "kdbg_scan_pages"), UINT64_MAX);
			CHECK(underived(r, "MinorVersion"));
		} else {
			uint8_t *h;
			size_t hn;
			CHECK(!underived(r, "MinorVersion"));
			h = test_read_file(dump, &hn);
			CHECK(h && hn > 0x2000);
			CHECK_EQ(hvs__le32(h + 0x08), 0xF);
			CHECK_EQ(hvs__le32(h + 0x0C), 0x4A61);
			CHECK_EQ(hvs__le64(h + 0x10), 0x10000); /* spec: cr3 0x10000 */
			CHECK_EQ(hvs__le32(h + 0x34), 2);
			free(h);
		}
		hvs_convert_result_free(r);
		remove(dump);
		remove(vm);
		remove(spec);
	}
}

/* Bytes @n at @p as a little-endian number. */
static uint64_t le_n(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

/*
 * The CONTEXT encoder against an independent layout: the _CONTEXT and
 * _XSAVE_FORMAT types of the fixture kernel's PDB (tests/data/winguest/nt.h
 * after the SDK's winnt.h, laid out by clang for x86_64-pc-windows-msvc),
 * read through the symbol provider.  Every register lands at the offset
 * the PDB gives for its field.
 */
static void test_dmp_vol__context_vs_pdb(void)
{
	static const struct {
		const char *field;
		hvs_reg reg;
		unsigned size;
		int what; /* 0 lo, 1 selector, 2 MXCSR */
	} f[] = {
		{ "Rax", HVS_REG_X64_RAX, 8, 0 }, { "Rcx", HVS_REG_X64_RCX, 8, 0 },
		{ "Rdx", HVS_REG_X64_RDX, 8, 0 }, { "Rbx", HVS_REG_X64_RBX, 8, 0 },
		{ "Rsp", HVS_REG_X64_RSP, 8, 0 }, { "Rbp", HVS_REG_X64_RBP, 8, 0 },
		{ "Rsi", HVS_REG_X64_RSI, 8, 0 }, { "Rdi", HVS_REG_X64_RDI, 8, 0 },
		{ "R8", HVS_REG_X64_R8, 8, 0 }, { "R9", HVS_REG_X64_R9, 8, 0 },
		{ "R10", HVS_REG_X64_R10, 8, 0 }, { "R11", HVS_REG_X64_R11, 8, 0 },
		{ "R12", HVS_REG_X64_R12, 8, 0 }, { "R13", HVS_REG_X64_R13, 8, 0 },
		{ "R14", HVS_REG_X64_R14, 8, 0 }, { "R15", HVS_REG_X64_R15, 8, 0 },
		{ "Rip", HVS_REG_X64_RIP, 8, 0 }, { "EFlags", HVS_REG_X64_RFLAGS, 4, 0 },
		{ "Dr0", HVS_REG_X64_DR0, 8, 0 }, { "Dr1", HVS_REG_X64_DR1, 8, 0 },
		{ "Dr2", HVS_REG_X64_DR2, 8, 0 }, { "Dr3", HVS_REG_X64_DR3, 8, 0 },
		{ "Dr6", HVS_REG_X64_DR6, 8, 0 }, { "Dr7", HVS_REG_X64_DR7, 8, 0 },
		{ "SegCs", HVS_REG_X64_CS, 2, 1 }, { "SegDs", HVS_REG_X64_DS, 2, 1 },
		{ "SegEs", HVS_REG_X64_ES, 2, 1 }, { "SegFs", HVS_REG_X64_FS, 2, 1 },
		{ "SegGs", HVS_REG_X64_GS, 2, 1 }, { "SegSs", HVS_REG_X64_SS, 2, 1 },
		{ "MxCsr", HVS_REG_X64_XMM_CONTROL_STATUS, 4, 2 },
	};
	hvs_image *img = NULL;
	hvs_sym *sym = NULL;
	hvs_sym_opts so;
	hvs_sym_field fl, x;
	hvs__dmp_regs *r;
	uint8_t c[HVS__DMP_CONTEXT_SIZE];
	uint64_t size = 0, flt;
	unsigned i;
	char name[16];

	if (!wg_file("winguest.vmrs") || !wg_file("symbols"))
		SKIP("winguest fixture not built (needs clang and lld; ctest -R winguest_fixture)");
	CHECK_OK(hvs_image_open(&img, wg_file("winguest.vmrs"), NULL));
	memset(&so, 0, sizeof so);
	so.symbol_path = wg_file("symbols");
	so.flags = HVS_SYM_NO_ENV | HVS_SYM_NO_DOWNLOAD;
	CHECK_OK(hvs_sym_open(&sym, img, &so));
	CHECK_OK(hvs_sym_load_kernel(sym));
	CHECK_OK(hvs_sym_type_size(sym, "nt!_CONTEXT", &size));
	CHECK_EQ(size, HVS__DMP_CONTEXT_SIZE);

	r = calloc(1, sizeof *r);
	CHECK(r);
	for (i = 0; i < HVS_REG_COUNT; i++) {
		if (hvs_reg_arch((hvs_reg)i) != HVS_ARCH_X64)
			continue;
		r->have[i] = 1;
		r->val[i].lo = 0x0102030405060708ull * (i + 1);
		r->val[i].hi = 0x1112131415161718ull * (i + 1);
	}
	hvs__dmp_encode_context(c, r);
	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		const hvs_regval *v = &r->val[f[i].reg];
		uint64_t want = f[i].what == 1 ? (v->hi >> 32) & 0xFFFF
			      : f[i].what == 2 ? v->hi & 0xFFFFFFFF : v->lo;
		if (f[i].size < 8)
			want &= (1ull << (8 * f[i].size)) - 1;
		CHECK_OK(hvs_sym_find_field(sym, "nt!_CONTEXT", f[i].field, &fl));
		CHECK_EQ(fl.size, f[i].size);
		CHECK(fl.offset + fl.size <= sizeof c);
		CHECK_EQ(le_n(c + fl.offset, f[i].size), want);
	}
	/* FltSave: an XMM_SAVE_AREA32. */
	CHECK_OK(hvs_sym_find_field(sym, "nt!_CONTEXT", "FltSave", &fl));
	flt = fl.offset;
	{
		const hvs_regval *fp = &r->val[HVS_REG_X64_FP_CONTROL_STATUS];
		const hvs_regval *xc = &r->val[HVS_REG_X64_XMM_CONTROL_STATUS];
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "ControlWord", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 2), fp->lo & 0xFFFF);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "StatusWord", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 2), (fp->lo >> 16) & 0xFFFF);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "TagWord", &x));
		CHECK_EQ(c[flt + x.offset], (fp->lo >> 32) & 0xFF);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "ErrorOpcode", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 2), fp->lo >> 48);
		/* ErrorOffset + ErrorSelector: the FP RIP's 64 bits (FXSAVE64). */
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "ErrorOffset", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 8), fp->hi);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "DataOffset", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 8), xc->lo);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "MxCsr", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 4), xc->hi & 0xFFFFFFFF);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "MxCsr_Mask", &x));
		CHECK_EQ(le_n(c + flt + x.offset, 4), xc->hi >> 32);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_XSAVE_FORMAT", "FloatRegisters", &x));
		for (i = 0; i < 8; i++) {
			const hvs_regval *st = &r->val[HVS_REG_X64_FPMMX0 + i];
			CHECK_EQ(le_n(c + flt + x.offset + 16 * i, 8), st->lo);
			CHECK_EQ(le_n(c + flt + x.offset + 16 * i + 8, 8), st->hi & 0xFFFF);
		}
	}
	/* Xmm0..Xmm15: members of the anonymous struct in the union. */
	for (i = 0; i < 16; i++) {
		const hvs_regval *xv = &r->val[HVS_REG_X64_XMM0 + i];
		snprintf(name, sizeof name, "Xmm%u", i);
		CHECK_OK(hvs_sym_find_field(sym, "nt!_CONTEXT", name, &fl));
		CHECK_EQ(le_n(c + fl.offset, 8), xv->lo);
		CHECK_EQ(le_n(c + fl.offset + 8, 8), xv->hi);
	}
	/* ContextFlags says every group. */
	CHECK_OK(hvs_sym_find_field(sym, "nt!_CONTEXT", "ContextFlags", &fl));
	CHECK_EQ(le_n(c + fl.offset, 4), 0x0010001F);
	free(r);
	hvs_sym_close(sym);
	hvs_image_close(img);
}

TEST_MAIN(TEST(test_dmp_vol__winguest_full), TEST(test_dmp_vol__winguest_bitmap),
	  TEST(test_dmp_vol__winguest_symbols),
	  TEST(test_dmp_vol__sample_bin), TEST(test_dmp_vol__linux_x86_64),
	  TEST(test_dmp_vol__linux_x86_64_pti), TEST(test_dmp_vol__arm64_refused),
	  TEST(test_dmp_vol__cli), TEST(test_dmp_vol__unaligned_ranges),
	  TEST(test_dmp_vol__i386_pae), TEST(test_dmp_vol__generated_os_id),
	  TEST(test_dmp_vol__context_vs_pdb))
