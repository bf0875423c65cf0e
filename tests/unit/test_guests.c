/* SPDX-License-Identifier: MIT */
/*
 * Acceptance tests on real Linux guests dumped by QEMU (../shared/guests,
 * README there): for every guest, decompress core.elf.xz, check its
 * SHA-256, open it through the image API (format detection must say ELF),
 * compare the registers decoded from the notes with what QEMU printed
 * (registers.json), check that an uncaptured page reads as HVS_E_NODATA,
 * supply the paging registers the core lacks, and translate every
 * truth.json address through hvs_vp_translate(): GPA and page size exact
 * for mapped ones, "not mapped" for null ones, bytes through hvs_vp_read().
 * Expected values come from QEMU (registers.json, truth.json), never from
 * this library.
 */
#include <stdio.h>

#include "json_min.h"
#include "sha256.h"
#include "test.h"

/* Decompress @xz into @out with the xz tool (a host tool, testplat.h); 0 on success. */
static int xz_decompress(const char *xz, const char *out)
{
	char cmd[4200];
	if (snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s' 2>/dev/null", xz, out) >= (int)sizeof cmd)
		return -1;
	return test_sh(cmd, NULL, NULL) == 0 && test_exists(out) ? 0 : -1;
}

/* Hex string "0x..." member @key of @o as u64; 0 on success. */
static int hexget(const jm_val *o, const char *key, uint64_t *out)
{
	return jm_u64(jm_get(o, key), out);
}

static int parse_hex_bytes(const char *s, uint8_t *out, size_t max, size_t *n)
{
	size_t i = 0;
	while (s[0] && s[1]) {
		unsigned v;
		if (i >= max || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[i++] = (uint8_t)v;
		s += 2;
	}
	*n = i;
	return 0;
}

static hvs_paging_mode mode_of(const char *name)
{
	if (!name) return HVS_PAGING_AUTO;
	if (strcmp(name, "32bit") == 0) return HVS_PAGING_X86_32;
	if (strcmp(name, "pae") == 0) return HVS_PAGING_X86_PAE;
	if (strcmp(name, "long4") == 0) return HVS_PAGING_X64_4LEVEL;
	if (strcmp(name, "long5") == 0) return HVS_PAGING_X64_5LEVEL;
	if (strcmp(name, "armv8") == 0) return HVS_PAGING_ARM64;
	return HVS_PAGING_AUTO;
}

/* Everything a guest test needs, loaded once per guest. */
typedef struct guest {
	const char *name;
	char core[1024];
	jm_val *regs, *truth;
	int arm;
} guest;

static void guest_free(guest *g)
{
	jm_free(g->regs);
	jm_free(g->truth);
}

/* Decompress, hash and load the JSON files; returns 0, or skips/fails. */
static int guest_load(guest *g, const char *name)
{
	char path[1024], digest[65], err[256];
	const char *p;
	uint8_t *data;
	size_t len;
	memset(g, 0, sizeof *g);
	g->name = name;
	snprintf(path, sizeof path, "guests/%s/core.elf.xz", name);
	p = test_shared_path(path);
	if (!p) {
		test__skip("../shared/guests/%s is absent", name);
		return -1;
	}
	snprintf(path, sizeof path, "%s", p);
	snprintf(g->core, sizeof g->core, "%s", test_tmp_path(name));
	/* test_tmp_path gives a file name in the tmp dir; add a suffix. */
	strncat(g->core, ".core.elf", sizeof g->core - strlen(g->core) - 1);
	if (xz_decompress(path, g->core) != 0) {
		test__skip("cannot decompress %s (is xz installed?)", path);
		return -1;
	}
	snprintf(path, sizeof path, "guests/%s/registers.json", name);
	g->regs = jm_parse_file(test_shared_path(path), err, sizeof err);
	snprintf(path, sizeof path, "guests/%s/truth.json", name);
	g->truth = jm_parse_file(test_shared_path(path), err, sizeof err);
	if (!g->regs || !g->truth) {
		test__fail(__FILE__, __LINE__, "%s: JSON: %s", name, err);
		return -1;
	}
	data = test_read_file(g->core, &len);
	if (!data) {
		test__fail(__FILE__, __LINE__, "cannot read %s", g->core);
		return -1;
	}
	test_sha256_hex(data, len, digest);
	free(data);
	if (!jm_str(jm_get(g->truth, "core_elf_sha256")) ||
	    strcmp(digest, jm_str(jm_get(g->truth, "core_elf_sha256"))) != 0) {
		test__fail(__FILE__, __LINE__, "%s: SHA-256 %s != truth.json %s", name, digest,
			   jm_str(jm_get(g->truth, "core_elf_sha256")));
		return -1;
	}
	g->arm = strcmp(jm_str(jm_get(g->truth, "arch")), "aarch64") == 0;
	return 0;
}

/* Register @r of VP @vp equals @want (lo) and, for 128-bit values, @hi. */
#define CHECK_REG(img, vp, r, want)                                            \
	do {                                                                   \
		hvs_regval rv_;                                                \
		CHECK_OK(hvs_image_get_reg((img), (vp), HVS_VTL_ACTIVE, (r), &rv_)); \
		CHECK_EQ(rv_.lo, (want));                                      \
	} while (0)

/* x86 / x64: compare the note registers with QEMU's `info registers`. */
static void check_regs_x86(hvs_image *img, uint32_t vp, const jm_val *cpu, int *nchecked)
{
	static const struct {
		const char *q64, *q32;
		hvs_reg r;
	} gpr[] = {
		{ "RAX", "EAX", HVS_REG_X64_RAX }, { "RBX", "EBX", HVS_REG_X64_RBX },
		{ "RCX", "ECX", HVS_REG_X64_RCX }, { "RDX", "EDX", HVS_REG_X64_RDX },
		{ "RSI", "ESI", HVS_REG_X64_RSI }, { "RDI", "EDI", HVS_REG_X64_RDI },
		{ "RBP", "EBP", HVS_REG_X64_RBP }, { "RSP", "ESP", HVS_REG_X64_RSP },
		{ "R8", NULL, HVS_REG_X64_R8 }, { "R9", NULL, HVS_REG_X64_R9 },
		{ "R10", NULL, HVS_REG_X64_R10 }, { "R11", NULL, HVS_REG_X64_R11 },
		{ "R12", NULL, HVS_REG_X64_R12 }, { "R13", NULL, HVS_REG_X64_R13 },
		{ "R14", NULL, HVS_REG_X64_R14 }, { "R15", NULL, HVS_REG_X64_R15 },
		{ "RIP", "EIP", HVS_REG_X64_RIP }, { "RFL", "EFL", HVS_REG_X64_RFLAGS },
		{ "CR0", "CR0", HVS_REG_X64_CR0 }, { "CR2", "CR2", HVS_REG_X64_CR2 },
		{ "CR3", "CR3", HVS_REG_X64_CR3 }, { "CR4", "CR4", HVS_REG_X64_CR4 },
		{ "CPL", "CPL", HVS_REG_X64_CPL },
	};
	static const struct {
		const char *q;
		hvs_reg r;
	} seg[] = {
		{ "ES", HVS_REG_X64_ES }, { "CS", HVS_REG_X64_CS }, { "SS", HVS_REG_X64_SS },
		{ "DS", HVS_REG_X64_DS }, { "FS", HVS_REG_X64_FS }, { "GS", HVS_REG_X64_GS },
		{ "LDT", HVS_REG_X64_LDTR }, { "TR", HVS_REG_X64_TR },
	};
	const jm_val *R = jm_get(cpu, "registers"), *S = jm_get(cpu, "segments"),
		     *T = jm_get(cpu, "tables");
	size_t i;
	uint64_t want;
	for (i = 0; i < sizeof gpr / sizeof gpr[0]; i++) {
		const char *key = jm_get(R, gpr[i].q64) ? gpr[i].q64 : gpr[i].q32;
		if (!key || !jm_get(R, key))
			continue; /* R8-R15 on 32-bit guests */
		CHECK(hexget(R, key, &want) == 0);
		CHECK_REG(img, vp, gpr[i].r, want);
		(*nchecked)++;
	}
	for (i = 0; i < sizeof seg / sizeof seg[0]; i++) {
		const jm_val *s = jm_get(S, seg[i].q);
		uint64_t sel, base, limit, flags;
		hvs_regval v;
		CHECK(s != NULL);
		CHECK(hexget(s, "selector", &sel) == 0 && hexget(s, "base", &base) == 0 &&
		      hexget(s, "limit", &limit) == 0 && hexget(s, "flags", &flags) == 0);
		CHECK_OK(hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, seg[i].r, &v));
		CHECK_EQ(v.lo, base);
		CHECK_EQ(v.hi & 0xffffffff, limit);
		CHECK_EQ((v.hi >> 32) & 0xffff, sel);
		/* regs.h: VMX access rights = QEMU's descriptor flags >> 8. */
		CHECK_EQ(v.hi >> 48, (flags >> 8) & 0xF0FF);
		(*nchecked)++;
	}
	{
		hvs_regval v;
		uint64_t base, limit;
		CHECK(hexget(jm_get(T, "GDT"), "base", &base) == 0 &&
		      hexget(jm_get(T, "GDT"), "limit", &limit) == 0);
		CHECK_OK(hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_GDTR, &v));
		CHECK_EQ(v.hi, base);
		CHECK_EQ(v.lo, limit);
		CHECK(hexget(jm_get(T, "IDT"), "base", &base) == 0 &&
		      hexget(jm_get(T, "IDT"), "limit", &limit) == 0);
		CHECK_OK(hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_IDTR, &v));
		CHECK_EQ(v.hi, base);
		CHECK_EQ(v.lo, limit);
		*nchecked += 2;
	}
	/* EFER is not in the QEMU note (the test supplies it later). */
	{
		hvs_regval v;
		CHECK_STATUS(hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_EFER, &v),
			     HVS_E_NOTFOUND);
	}
}

/* aarch64: PC, SP, PSTATE, X0-X30, FPSR/FPCR and Q0-Q31 from the notes. */
static void check_regs_arm64(hvs_image *img, uint32_t vp, const jm_val *cpu, int *nchecked)
{
	const jm_val *R = jm_get(cpu, "registers"), *Q = jm_get(cpu, "q");
	const char *mode = jm_str(jm_get(cpu, "mode"));
	char key[8];
	unsigned i;
	uint64_t want, hi;
	hvs_regval v;
	for (i = 0; i <= 30; i++) {
		hvs_reg r = i == 29 ? HVS_REG_ARM64_FP : i == 30 ? HVS_REG_ARM64_LR
								 : (hvs_reg)(HVS_REG_ARM64_X0 + i);
		snprintf(key, sizeof key, "X%02u", i);
		CHECK(hexget(R, key, &want) == 0);
		CHECK_REG(img, vp, r, want);
		(*nchecked)++;
	}
	CHECK(hexget(R, "PC", &want) == 0);
	CHECK_REG(img, vp, HVS_REG_ARM64_PC, want);
	CHECK(hexget(R, "PSTATE", &want) == 0);
	CHECK_REG(img, vp, HVS_REG_ARM64_CPSR, want);
	CHECK(hexget(R, "FPSR", &want) == 0);
	CHECK_REG(img, vp, HVS_REG_ARM64_FPSR, want);
	CHECK(hexget(R, "FPCR", &want) == 0);
	CHECK_REG(img, vp, HVS_REG_ARM64_FPCR, want);
	/* SP is the stack pointer in use: SP_EL0 for "EL0t", SP_EL1 for "EL1h". */
	CHECK(mode != NULL);
	CHECK(hexget(R, "SP", &want) == 0);
	CHECK_REG(img, vp, strcmp(mode, "EL1h") == 0 ? HVS_REG_ARM64_SP_EL1
						       : HVS_REG_ARM64_SP_EL0, want);
	*nchecked += 5;
	for (i = 0; i < 32; i++) {
		snprintf(key, sizeof key, "Q%02u", i);
		CHECK(jm_u128(jm_get(Q, key), &want, &hi) == 0);
		CHECK_OK(hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE,
					   (hvs_reg)(HVS_REG_ARM64_Q0 + i), &v));
		CHECK_EQ(v.lo, want);
		CHECK_EQ(v.hi, hi);
		(*nchecked)++;
	}
}

/* Set one register from a registers.json hex string. */
static hvs_status set_from(hvs_image *img, uint32_t vp, hvs_reg r, const jm_val *o,
			   const char *key)
{
	hvs_regval v = { 0, 0 };
	if (hexget(o, key, &v.lo) != 0)
		return HVS_E_NOTFOUND;
	return hvs_image_set_reg(img, vp, HVS_VTL_ACTIVE, r, &v);
}

/*
 * Translate every truth.json entry through the image API.  Counts mapped
 * and unmapped entries verified in @nmapped / @nunmapped.
 */
static void check_translations(hvs_image *img, const jm_val *truth, int *nmapped,
			       int *nunmapped, int *nbytes)
{
	const jm_val *tr = jm_get(truth, "translations");
	size_t i;
	*nmapped = *nunmapped = *nbytes = 0;
	CHECK(jm_len(tr) > 0);
	for (i = 0; i < jm_len(tr); i++) {
		const jm_val *e = jm_at(tr, i), *jgpa = jm_get(e, "gpa");
		uint64_t cpu, gva, want_gpa, want_ps, gpa = 0, ps = 0, unm = 0;
		hvs_status s;
		CHECK(hexget(e, "cpu", &cpu) == 0 && hexget(e, "gva", &gva) == 0);
		s = hvs_vp_translate(img, (uint32_t)cpu, gva, &gpa, &ps, &unm);
		if (jgpa && jgpa->type == JM_NULL) {
			if (s != HVS_E_NOTPRESENT)
				test__fail(__FILE__, __LINE__,
					   "entry %zu: cpu %" PRIu64 " gva 0x%" PRIx64
					   ": want not mapped, got %s (%s)", i, cpu, gva,
					   hvs_strerror(s), hvs_image_errmsg(img));
			CHECK_STATUS(s, HVS_E_NOTPRESENT);
			CHECK(unm > 0 || gva == 0);
			(*nunmapped)++;
			continue;
		}
		CHECK(hexget(e, "gpa", &want_gpa) == 0 && hexget(e, "page_size", &want_ps) == 0);
		if (s != HVS_OK)
			test__fail(__FILE__, __LINE__,
				   "entry %zu: cpu %" PRIu64 " gva 0x%" PRIx64 ": %s (%s)", i, cpu,
				   gva, hvs_strerror(s), hvs_image_errmsg(img));
		CHECK_OK(s);
		CHECK_EQ(gpa, want_gpa);
		CHECK_EQ(ps, want_ps);
		(*nmapped)++;
		if (jm_str(jm_get(e, "bytes_hex"))) {
			uint8_t want[64], got[64];
			size_t n = 0, done = 0;
			CHECK(parse_hex_bytes(jm_str(jm_get(e, "bytes_hex")), want, sizeof want, &n) == 0);
			CHECK_OK(hvs_vp_read(img, (uint32_t)cpu, gva, got, n, &done));
			CHECK_EQ(done, n);
			CHECK_MEM(got, want, n);
			(*nbytes)++;
		}
	}
}

/*
 * QEMU `info tlb` line counts per vCPU (../shared/guests/README.md, "Checks
 * done before publishing" (2)): the map walker must list exactly as many
 * mappings, none of them with a missing table.
 */
static const struct {
	const char *guest;
	uint64_t lines[2];
} info_tlb[] = {
	{ "i386-pae-tcg", { 3066, 2759 } },    { "i386-tcg", { 5287, 5594 } },
	{ "x86_64-la57-tcg", { 74094, 73741 } }, { "x86_64-pti-tcg", { 73119, 65828 } },
	{ "x86_64-tcg", { 73750, 74101 } },
};

typedef struct map_count {
	uint64_t n, nodata, last_end;
	int unordered;
} map_count;

static hvs_status count_region(void *ud, const hvs_xlat_region *r)
{
	map_count *c = ud;
	if (r->flags & HVS_XLAT_F_NODATA)
		c->nodata++;
	if (c->n && r->gva < c->last_end)
		c->unordered = 1;
	c->last_end = r->gva + r->size;
	c->n++;
	return HVS_OK;
}

static void check_maps(hvs_image *img, const char *name)
{
	size_t i;
	uint32_t vp;
	for (i = 0; i < sizeof info_tlb / sizeof info_tlb[0]; i++) {
		if (strcmp(info_tlb[i].guest, name) != 0)
			continue;
		for (vp = 0; vp < 2; vp++) {
			map_count c;
			memset(&c, 0, sizeof c);
			CHECK_OK(hvs_vp_map_walk(img, vp, 0, UINT64_MAX, 0, count_region, &c));
			CHECK_EQ(c.n, info_tlb[i].lines[vp]);
			CHECK_EQ(c.nodata, 0);
			CHECK_EQ(c.unordered, 0);
		}
		printf("  %s: map walk lists %" PRIu64 " + %" PRIu64 " mappings, as QEMU's info tlb\n",
		       name, info_tlb[i].lines[0], info_tlb[i].lines[1]);
	}
}

/* Memory callback of the writer: guest-physical reads of the core. */
static hvs_status read_core(void *ud, uint64_t gpa, void *buf, size_t len)
{
	return hvs_image_read(ud, HVS_SPACE_GPA, gpa, buf, len, NULL);
}

/*
 * Converter acceptance: write the core (its PT_LOAD ranges and every
 * register the image reports, supplied ones included) as a .vmrs with the
 * saved-state writer, open the result and repeat the translations: the
 * answers must not change.
 */
static void check_converted(hvs_image *img, const guest *g)
{
	char path[1100], err[512];
	hvs_vmrs_writer *w = NULL;
	hvs_vmrs_writer_opts wo;
	hvs_image *out = NULL;
	hvs_image_opts io;
	const hvs_mem_range *r = hvs_image_ranges(img);
	size_t i;
	uint32_t vp;
	int reg, nmapped, nunmapped, nbytes, nregs = 0;
	hvs_status s;
	static unsigned char written[2][HVS_REG_COUNT];

	memset(written, 0, sizeof written);
	CHECK(hvs_image_vp_count(img) <= 2);
	snprintf(path, sizeof path, "%s.vmrs", g->core);
	memset(&wo, 0, sizeof wo);
	wo.errbuf = err;
	wo.errbuf_size = sizeof err;
	wo.arch = g->arm ? HVS_ARCH_ARM64 : HVS_ARCH_X64;
	wo.encoding = HVS_VMRS_ENC_MIXED;
	CHECK_OK(hvs_vmrs_writer_create(&w, path, &wo));
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		s = hvs_vmrs_writer_add_vp(w, vp, 0);
		if (s != HVS_OK)
			goto wfail;
		for (reg = 0; reg < HVS_REG_COUNT; reg++) {
			hvs_regval v;
			if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)reg, &v) != HVS_OK)
				continue;
			/* Registers no saved-state chunk holds are refused: skip them. */
			if (vp < 2 && hvs_vmrs_writer_set_reg(w, vp, 0, (hvs_reg)reg, &v) == HVS_OK) {
				written[vp][reg] = 1;
				nregs++;
			}
		}
	}
	for (i = 0; i < hvs_image_range_count(img); i++) {
		s = hvs_vmrs_writer_add_range(w, r[i].gpa, r[i].size);
		if (s != HVS_OK)
			goto wfail;
	}
	s = hvs_vmrs_writer_write_memory_cb(w, read_core, img);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_finish(w);
	if (s != HVS_OK)
		goto wfail;
	hvs_vmrs_writer_close(w);
	w = NULL;

	memset(&io, 0, sizeof io);
	io.base.errbuf = err;
	io.base.errbuf_size = sizeof err;
	s = hvs_image_open(&out, path, &io);
	if (s != HVS_OK)
		test__fail(__FILE__, __LINE__, "%s: open of the converted .vmrs: %s", g->name, err);
	CHECK_OK(s);
	CHECK_EQ(hvs_image_get_format(out), HVS_FORMAT_VMRS);
	CHECK_EQ(hvs_image_vp_count(out), hvs_image_vp_count(img));
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		hvs_paging_mode m1, m2;
		int k1, k2;
		CHECK_OK(hvs_image_get_paging_mode(img, vp, &m1));
		s = hvs_image_get_paging_mode(out, vp, &m2);
		if (s != HVS_OK)
			test__fail(__FILE__, __LINE__, "%s VP %u: %s", g->name, vp,
				   hvs_image_errmsg(out));
		CHECK_OK(s);
		CHECK_EQ(m2, m1);
		CHECK_OK(hvs_image_in_kernel(img, vp, &k1));
		CHECK_OK(hvs_image_in_kernel(out, vp, &k2));
		CHECK_EQ(k2, k1);
	}
	/* Every register written reads back the same. */
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		for (reg = 0; reg < HVS_REG_COUNT; reg++) {
			hvs_regval a, b;
			if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)reg, &a) != HVS_OK ||
			    !written[vp][reg])
				continue;
			s = hvs_image_get_reg(out, vp, HVS_VTL_ACTIVE, (hvs_reg)reg, &b);
			if (s != HVS_OK || a.lo != b.lo || a.hi != b.hi)
				test__fail(__FILE__, __LINE__, "%s VP %u %s: %s, 0x%" PRIx64 ":%016"
					   PRIx64 " != 0x%" PRIx64 ":%016" PRIx64, g->name, vp,
					   hvs_reg_name((hvs_reg)reg), hvs_strerror(s), b.hi, b.lo,
					   a.hi, a.lo);
			CHECK_OK(s);
			CHECK_EQ(b.lo, a.lo);
			CHECK_EQ(b.hi, a.hi);
		}
	}
	check_translations(out, g->truth, &nmapped, &nunmapped, &nbytes);
	if (!test__failed)
		printf("  %s: converted to .vmrs (%d registers): %d mapped + %d unmapped "
		       "translations unchanged\n", g->name, nregs, nmapped, nunmapped);
	hvs_image_close(out);
	remove(path);
	return;
wfail:
	test__fail(__FILE__, __LINE__, "%s: writer: %s", g->name, hvs_vmrs_writer_errmsg(w));
	hvs_vmrs_writer_close(w);
	remove(path);
}

/* The whole acceptance run for one guest. */
static void run_guest(const char *name)
{
	guest g;
	hvs_image *img = NULL;
	char err[512];
	hvs_image_opts o;
	const jm_val *cpus;
	uint32_t vp;
	int nregs = 0, nmapped, nunmapped, nbytes;
	const hvs_mem_range *r;
	uint8_t page[16];
	size_t done;
	uint64_t gap;

	if (guest_load(&g, name) != 0) {
		guest_free(&g);
		return;
	}
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	if (hvs_image_open(&img, g.core, &o) != HVS_OK) {
		test__fail(__FILE__, __LINE__, "%s: open: %s", name, err);
		guest_free(&g);
		return;
	}
	cpus = jm_get(g.regs, "cpus");
	if (hvs_image_get_format(img) != HVS_FORMAT_ELF ||
	    hvs_image_vp_count(img) != jm_len(cpus)) {
		test__fail(__FILE__, __LINE__, "%s: format %s, %u VPs (want elf, %zu)", name,
			   hvs_image_format_name(hvs_image_get_format(img)),
			   hvs_image_vp_count(img), jm_len(cpus));
		goto out;
	}

	/* Registers from the notes, and the privilege level. */
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		const jm_val *cpu = jm_at(cpus, vp);
		int kern = -1, want_kern;
		if (g.arm) {
			const char *mode = jm_str(jm_get(cpu, "mode"));
			check_regs_arm64(img, vp, cpu, &nregs);
			want_kern = mode && strncmp(mode, "EL0", 3) != 0;
		} else {
			uint64_t cpl = 9;
			check_regs_x86(img, vp, cpu, &nregs);
			hexget(jm_get(cpu, "registers"), "CPL", &cpl);
			want_kern = cpl == 0;
		}
		if (test__failed)
			goto out;
		if (hvs_image_in_kernel(img, vp, &kern) != HVS_OK || kern != want_kern) {
			test__fail(__FILE__, __LINE__, "%s VP %u: in_kernel %d, want %d", name, vp,
				   kern, want_kern);
			goto out;
		}
	}

	/* A page outside every PT_LOAD: HVS_E_NODATA, no bytes. */
	r = hvs_image_ranges(img);
	gap = r[0].gpa >= 0x1000 ? r[0].gpa - 0x1000 : r[0].gpa + r[0].size;
	if (hvs_image_read(img, HVS_SPACE_GPA, gap, page, sizeof page, &done) != HVS_E_NODATA ||
	    done != 0) {
		test__fail(__FILE__, __LINE__, "%s: read of uncaptured GPA 0x%" PRIx64
			   " did not fail with NODATA", name, gap);
		goto out;
	}

	/* Before the missing registers are supplied. */
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		hvs_paging_mode m;
		hvs_vp_info vi;
		const char *want = jm_str(jm_get(jm_at(cpus, vp), "paging_mode"));
		/* Architecture from the notes alone (no EFER in QEMU's). */
		hvs_arch want_arch = g.arm ? HVS_ARCH_ARM64
				   : (strncmp(want, "long", 4) == 0 ? HVS_ARCH_X64 : HVS_ARCH_X86);
		if (hvs_image_vp_info(img, vp, &vi) != HVS_OK || vi.arch != want_arch) {
			test__fail(__FILE__, __LINE__, "%s VP %u: architecture %s, want %s",
				   name, vp, hvs_arch_name(vi.arch), hvs_arch_name(want_arch));
			goto out;
		}
		if (g.arm) {
			/* The core holds no TTBR/TCR: translation must say so. */
			uint64_t gpa;
			if (hvs_vp_translate(img, vp, 0xffff000000000000ull, &gpa, NULL, NULL) !=
			    HVS_E_NOTFOUND) {
				test__fail(__FILE__, __LINE__, "%s VP %u: translation without "
					   "TTBR/TCR did not report NOTFOUND", name, vp);
				goto out;
			}
		} else if (hvs_image_get_paging_mode(img, vp, &m) != HVS_OK ||
			   m != mode_of(want)) {
			/* No EFER: long mode comes from e_machine (docs/format/elf.md 4). */
			test__fail(__FILE__, __LINE__, "%s VP %u: mode without EFER %s, want %s",
				   name, vp, hvs_paging_mode_name(m), want);
			goto out;
		}
	}
	if (!g.arm) {
		check_translations(img, g.truth, &nmapped, &nunmapped, &nbytes);
		if (test__failed)
			goto out;
	}

	/* Supply what the core lacks, from registers.json. */
	for (vp = 0; vp < hvs_image_vp_count(img); vp++) {
		const jm_val *cpu = jm_at(cpus, vp);
		hvs_paging_mode m;
		const char *want = jm_str(jm_get(cpu, "paging_mode"));
		if (g.arm) {
			const jm_val *sr = jm_get(cpu, "sysregs");
			if (set_from(img, vp, HVS_REG_ARM64_TTBR0_EL1, sr, "TTBR0_EL1") ||
			    set_from(img, vp, HVS_REG_ARM64_TTBR1_EL1, sr, "TTBR1_EL1") ||
			    set_from(img, vp, HVS_REG_ARM64_TCR_EL1, sr, "TCR_EL1") ||
			    set_from(img, vp, HVS_REG_ARM64_SCTLR_EL1, sr, "SCTLR")) {
				test__fail(__FILE__, __LINE__, "%s VP %u: set sysregs", name, vp);
				goto out;
			}
		} else if (set_from(img, vp, HVS_REG_X64_EFER, jm_get(cpu, "registers"),
				    "EFER") != HVS_OK) {
			test__fail(__FILE__, __LINE__, "%s VP %u: set EFER", name, vp);
			goto out;
		}
		if (hvs_image_get_paging_mode(img, vp, &m) != HVS_OK || m != mode_of(want)) {
			test__fail(__FILE__, __LINE__, "%s VP %u: mode %s, want %s (%s)", name, vp,
				   hvs_paging_mode_name(m), want, hvs_image_errmsg(img));
			goto out;
		}
	}
	check_translations(img, g.truth, &nmapped, &nunmapped, &nbytes);
	if (!test__failed)
		check_maps(img, name);
	if (!test__failed)
		check_converted(img, &g);
	if (!test__failed)
		printf("  %s: %d registers, %d mapped (%d byte runs) + %d unmapped translations "
		       "match QEMU\n", name, nregs, nmapped, nbytes, nunmapped);
out:
	hvs_image_close(img);
	remove(g.core);
	guest_free(&g);
}

static void test_guests__aarch64_tcg(void) { run_guest("aarch64-tcg"); }
static void test_guests__i386_pae_tcg(void) { run_guest("i386-pae-tcg"); }
static void test_guests__i386_tcg(void) { run_guest("i386-tcg"); }
static void test_guests__x86_64_la57_tcg(void) { run_guest("x86_64-la57-tcg"); }
static void test_guests__x86_64_pti_tcg(void) { run_guest("x86_64-pti-tcg"); }
static void test_guests__x86_64_tcg(void) { run_guest("x86_64-tcg"); }

TEST_MAIN(TEST(test_guests__aarch64_tcg), TEST(test_guests__i386_pae_tcg),
	  TEST(test_guests__i386_tcg), TEST(test_guests__x86_64_la57_tcg),
	  TEST(test_guests__x86_64_pti_tcg), TEST(test_guests__x86_64_tcg))
