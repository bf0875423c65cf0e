/* SPDX-License-Identifier: MIT */
/*
 * Tests of hvs_convert() (include/hvs/convert.h), docs/convert.md.
 *
 * Round trips: every output format read back gives byte-identical memory
 * (every range of the input, compared with hvs_image_read on the input)
 * and identical registers (ELF: the registers its notes carry; vmrs: all;
 * raw: all, from the OUT.json sidecar), on generated fixtures (x64 mixed
 * and XPRESS encodings, ARM64, two VTLs, the README sample spec through
 * hvs-gen) and on the real QEMU guests of ../shared/guests.
 *
 * Independent readers of the outputs:
 *  - readelf -lnW: PT_NOTE first, one PT_LOAD per range with p_paddr =
 *    p_vaddr = GPA, one NT_PRSTATUS (+ QEMU or NT_FPREGSET) note per VP,
 *    VMCOREINFO carried over;
 *  - gdb: threads = VPs, rip/rsp (pc/sp on aarch64) of every VP, memory at
 *    physical addresses;
 *  - libkdumpfile: opens the ELF core, reads physical memory, and its
 *    libaddrxlat walks the page tables from VP0's CR3: every mapped
 *    translation of truth.json (QEMU's own answers) is reproduced;
 *  - volatility3 (../shared/tools/volatility3, tests/tools/vol_xlat.py):
 *    FileLayer / Elf64Layer + Intel32e on the raw and ELF outputs give
 *    truth.json's GPAs and the input's bytes.
 * Safety: existing OUT refused without force (and untouched), replaced
 * with it; cancellation; a file-size limit (RLIMIT_FSIZE, in a child);
 * a damaged compressed block; a truncated input through the CLI: a clear
 * status, no output, no temporary file, input unchanged (SHA-256).
 */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "gen_vmrs.h"
#include "json_min.h"
#include "mem/image_int.h"
#include "sha256.h"
#include "test.h"

#ifndef HVS_NO_KDUMPFILE
#include <libkdumpfile/kdumpfile.h>
#endif

/* ------------------------------------------------------------ helpers */

static hvs_image *open_img(const char *path, const hvs_image_opts *o0)
{
	hvs_image_opts o;
	static char eb[HVS_ERRMSG_MAX];
	hvs_image *img = NULL;
	if (o0)
		o = *o0;
	else
		memset(&o, 0, sizeof o);
	o.base.errbuf = eb;
	o.base.errbuf_size = sizeof eb;
	if (hvs_image_open(&img, path, &o) != HVS_OK) {
		fprintf(stderr, "open %s: %s\n", path, eb);
		return NULL;
	}
	return img;
}

/* Open a raw output with the input's ranges at file offset = GPA. */
static hvs_image *open_raw_like(const char *path, hvs_image *in)
{
	size_t n = hvs_image_range_count(in), i;
	const hvs_mem_range *r = hvs_image_ranges(in);
	hvs_raw_extent *ext = calloc(n ? n : 1, sizeof *ext);
	hvs_image_opts o;
	hvs_image *img;
	for (i = 0; i < n; i++) {
		ext[i].gpa = r[i].gpa;
		ext[i].size = r[i].size;
		ext[i].file_offset = r[i].gpa;
	}
	memset(&o, 0, sizeof o);
	o.format = HVS_FORMAT_RAW;
	o.raw_layout = ext;
	o.raw_layout_count = n;
	img = open_img(path, &o);
	free(ext);
	return img;
}

/* Same ranges, same bytes (1 MiB at a time). */
static int same_memory(hvs_image *a, hvs_image *b)
{
	size_t n = hvs_image_range_count(a), i;
	const hvs_mem_range *ra = hvs_image_ranges(a), *rb = hvs_image_ranges(b);
	static uint8_t ba[1 << 20], bb[1 << 20];
	/* Adjacent input ranges may merge in the output: compare by GPA. */
	uint64_t total_a = 0, total_b = 0;
	for (i = 0; i < hvs_image_range_count(b); i++)
		total_b += rb[i].size;
	for (i = 0; i < n; i++)
		total_a += ra[i].size;
	if (total_b != total_a) {
		fprintf(stderr, "memory sizes differ: %llu vs %llu\n", (unsigned long long)total_a,
			(unsigned long long)total_b);
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint64_t off;
		for (off = 0; off < ra[i].size; off += sizeof ba) {
			size_t len = (size_t)(ra[i].size - off < sizeof ba ? ra[i].size - off : sizeof ba);
			size_t d1 = 0, d2 = 0;
			if (hvs_image_read(a, HVS_SPACE_GPA, ra[i].gpa + off, ba, len, &d1) != HVS_OK ||
			    hvs_image_read(b, HVS_SPACE_GPA, ra[i].gpa + off, bb, len, &d2) != HVS_OK) {
				fprintf(stderr, "read at GPA 0x%llx failed: %s / %s\n",
					(unsigned long long)(ra[i].gpa + off), hvs_image_errmsg(a),
					hvs_image_errmsg(b));
				return 0;
			}
			if (memcmp(ba, bb, len) != 0) {
				fprintf(stderr, "memory differs in [0x%llx, +0x%zx)\n",
					(unsigned long long)(ra[i].gpa + off), len);
				return 0;
			}
		}
	}
	return 1;
}

/* Registers an ELF core carries (x86: NT_PRSTATUS + QEMU note; arm64). */
static int elf_carries(hvs_reg r)
{
	if (r <= HVS_REG_X64_RFLAGS || (r >= HVS_REG_X64_ES && r <= HVS_REG_X64_GDTR) ||
	    r == HVS_REG_X64_CR0 || r == HVS_REG_X64_CR2 || r == HVS_REG_X64_CR3 ||
	    r == HVS_REG_X64_CR4 || r == HVS_REG_X64_KERNEL_GS_BASE)
		return 1;
	if (r >= HVS_REG_ARM64_X0 && r <= HVS_REG_ARM64_PC)
		return 1;
	if (r == HVS_REG_ARM64_CPSR || (r >= HVS_REG_ARM64_Q0 && r <= HVS_REG_ARM64_FPCR))
		return 1;
	return 0;
}

/* QEMU's segment flags keep access-rights bits 0xF0FF only. */
static hvs_regval norm(hvs_reg r, hvs_regval v)
{
	if (hvs_reg_kind(r) == HVS_REGKIND_SEGMENT)
		v.hi &= ~((uint64_t)0x0F00 << 48);
	return v;
}

/*
 * Every register of the input's active VTL that @carried accepts must read
 * the same from @b (a NULL @carried: all).  @raw_json: compare against the
 * sidecar's "hvs" members instead of an image.
 */
static int same_regs(hvs_image *a, hvs_image *b, int (*carried)(hvs_reg), const jm_val *cpus)
{
	uint32_t vp, n = hvs_image_vp_count(a);
	unsigned r;
	int checked = 0;
	if (!cpus && hvs_image_vp_count(b) != n) {
		fprintf(stderr, "VP count %u vs %u\n", n, hvs_image_vp_count(b));
		return 0;
	}
	if (cpus && jm_len(cpus) != n) {
		fprintf(stderr, "sidecar has %zu cpus, image %u VPs\n", jm_len(cpus), n);
		return 0;
	}
	for (vp = 0; vp < n; vp++) {
		hvs_vp_info vi;
		const jm_val *h = cpus ? jm_get(jm_at(cpus, vp), "hvs") : NULL;
		hvs_image_vp_info(a, vp, &vi);
		for (r = 0; r < HVS_REG_COUNT; r++) {
			hvs_regval va, vb;
			hvs_reg reg = (hvs_reg)r;
			if (hvs_reg_kind(reg) == HVS_REGKIND_NONE || (carried && !carried(reg)))
				continue;
			if (reg == HVS_REG_ARM64_SP_EL0 || reg == HVS_REG_ARM64_SP_EL1)
				continue; /* ELF: only the SP in use; checked by gdb */
			if (hvs_image_get_reg(a, vp, HVS_VTL_ACTIVE, reg, &va) != HVS_OK)
				continue;
			if (cpus) {
				const jm_val *p = jm_get(h, hvs_reg_name(reg));
				if (!p || jm_u64(jm_at(p, 0), &vb.lo) || jm_u64(jm_at(p, 1), &vb.hi)) {
					fprintf(stderr, "VP %u: %s missing from the sidecar\n", vp,
						hvs_reg_name(reg));
					return 0;
				}
			} else if (hvs_image_get_reg(b, vp, HVS_VTL_ACTIVE, reg, &vb) != HVS_OK) {
				fprintf(stderr, "VP %u: %s missing: %s\n", vp, hvs_reg_name(reg),
					hvs_image_errmsg(b));
				return 0;
			}
			va = norm(reg, va);
			vb = norm(reg, vb);
			if (va.lo != vb.lo || va.hi != vb.hi) {
				fprintf(stderr, "VP %u: %s 0x%llx:%llx vs 0x%llx:%llx\n", vp,
					hvs_reg_name(reg), (unsigned long long)va.hi,
					(unsigned long long)va.lo, (unsigned long long)vb.hi,
					(unsigned long long)vb.lo);
				return 0;
			}
			checked++;
		}
	}
	return n == 0 || checked > 0;
}

static void sha_file(const char *path, uint8_t out[32])
{
	test_sha256 c;
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 16];
	size_t n;
	test_sha256_init(&c);
	while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
		test_sha256_update(&c, buf, n);
	if (f)
		fclose(f);
	test_sha256_final(&c, out);
}

/* Entries of @dir whose name contains @needle. */
static int count_in_dir(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, needle) != NULL;
	closedir(d);
	return n;
}

static const char *tmpdir(void)
{
	static char d[1024];
	const char *p = test_tmp_path("cvt/x");
	snprintf(d, sizeof d, "%s", p);
	*strrchr(d, '/') = '\0';
	test_mkdirs(d);
	return d;
}

static const char *tpath(const char *name)
{
	static char p[4][1100];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", tmpdir(), name);
	return p[k];
}

static void rm_out(const char *p)
{
	char j[1200];
	remove(p);
	snprintf(j, sizeof j, "%s.json", p);
	remove(j);
}

static hvs_status convert(hvs_image *img, const char *out, hvs_convert_format f, unsigned workers)
{
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	hvs_status s;
	memset(&o, 0, sizeof o);
	o.flags = HVS_CONVERT_FORCE;
	o.workers = workers;
	s = hvs_convert(img, out, f, &o, &r);
	if (s != HVS_OK)
		fprintf(stderr, "convert to %s: %s\n", out, r ? r->errmsg : "?");
	hvs_convert_result_free(r);
	return s;
}

/*
 * Convert @in to every format and check each read back.  Returns 1 when
 * all match (messages on stderr otherwise).
 */
static int roundtrip(const char *in_path0, const char *tag)
{
	char in_path[1200];
	hvs_image *in, *out;
	char p[1200], js[1300];
	uint8_t h0[32], h1[32];
	jm_val *side;
	int ok = 1;
	unsigned w;
	/* tpath() buffers rotate: keep our own copy of the input's name. */
	snprintf(in_path, sizeof in_path, "%s", in_path0);
	in = open_img(in_path, NULL);
	if (!in)
		return 0;
	sha_file(in_path, h0);
	/* raw, with one and two decoding workers */
	for (w = 1; w <= 2 && ok; w++) {
		snprintf(p, sizeof p, "%s", tpath(tag));
		strcat(p, ".raw");
		rm_out(p);
		if (convert(in, p, HVS_CONVERT_RAW, w) != HVS_OK)
			return hvs_image_close(in), 0;
		out = open_raw_like(p, in);
		ok = out && same_memory(in, out);
		hvs_image_close(out);
		snprintf(js, sizeof js, "%s.json", p);
		side = jm_parse_file(js, NULL, 0);
		ok = ok && side && same_regs(in, NULL, NULL, jm_get(side, "cpus"));
		jm_free(side);
		if (!ok)
			fprintf(stderr, "%s: raw (workers %u) round trip failed\n", tag, w);
	}
	/* elf */
	snprintf(p, sizeof p, "%s", tpath(tag));
	strcat(p, ".elf");
	if (ok && convert(in, p, HVS_CONVERT_ELF, 0) == HVS_OK && (out = open_img(p, NULL)) != NULL) {
		size_t l1 = 0, l2 = 0;
		const char *v1 = hvs__elf_vmcoreinfo(in, &l1), *v2 = hvs__elf_vmcoreinfo(out, &l2);
		ok = same_memory(in, out) && same_regs(in, out, elf_carries, NULL);
		if (ok && (l1 != l2 || (v1 && (!v2 || memcmp(v1, v2, l1) != 0)))) {
			fprintf(stderr, "%s: VMCOREINFO not carried over (%zu vs %zu bytes)\n", tag, l1, l2);
			ok = 0;
		}
		hvs_image_close(out);
		if (!ok)
			fprintf(stderr, "%s: ELF round trip failed\n", tag);
	} else {
		ok = 0;
	}
	/* vmrs */
	snprintf(p, sizeof p, "%s", tpath(tag));
	strcat(p, ".vmrs");
	if (ok && convert(in, p, HVS_CONVERT_VMRS, 0) == HVS_OK && (out = open_img(p, NULL)) != NULL) {
		ok = same_memory(in, out) && same_regs(in, out, NULL, NULL);
		hvs_image_close(out);
		if (!ok)
			fprintf(stderr, "%s: vmrs round trip failed\n", tag);
	} else {
		ok = 0;
	}
	hvs_image_close(in);
	sha_file(in_path, h1);
	if (memcmp(h0, h1, 32) != 0) {
		fprintf(stderr, "%s: the input changed\n", tag);
		ok = 0;
	}
	return ok;
}

/* ------------------------------------------------- generated fixtures */

static void test_roundtrip_generated(void)
{
	CHECK(roundtrip(gen_vmrs_x64_2vp("cvt-x64-mixed.vmrs", HVS_VMRS_ENC_MIXED), "x64-mixed"));
	CHECK(roundtrip(gen_vmrs_x64_2vp("cvt-x64-xpress.vmrs", HVS_VMRS_ENC_XPRESS), "x64-xpress"));
	CHECK(roundtrip(gen_vmrs_x64_2vp("cvt-x64-raw.vmrs", HVS_VMRS_ENC_RAW), "x64-raw"));
	CHECK(roundtrip(gen_vmrs_arm64_2vp("cvt-arm64.vmrs", HVS_VMRS_ENC_MIXED), "arm64"));
	CHECK(roundtrip(gen_vmrs_x64_vtl("cvt-x64-vtl.vmrs"), "x64-vtl"));
}

/* The README sample (tests/data/sample-x64.spec) through the hvs-gen tool. */
static void test_roundtrip_sample_spec(void)
{
	const char *out = tpath("sample-in.vmrs");
	const char *argv[4];
	argv[0] = test_bin_path("tests/hvs-gen");
	if (!argv[0])
		SKIP("hvs-gen not built");
	argv[1] = test_source_path("tests/data/sample-x64.spec");
	argv[2] = out;
	argv[3] = NULL;
	CHECK_EQ(test_spawn(argv, NULL, NULL), 0);
	CHECK(roundtrip(out, "sample-x64"));
}

/* --------------------------------------------------------- real guests */

static const char *const guests[] = { "x86_64-tcg", "x86_64-pti-tcg", "x86_64-la57-tcg",
				      "i386-tcg", "i386-pae-tcg", "aarch64-tcg" };

/* Decompress guests/<g>/core.elf.xz into the tmp dir; path or NULL. */
static const char *guest_core(const char *g)
{
	static char out[1200];
	char rel[256], cmd[4096];
	const char *xz;
	snprintf(rel, sizeof rel, "guests/%s/core.elf.xz", g);
	xz = test_shared_path(rel);
	if (!xz)
		return NULL;
	snprintf(out, sizeof out, "%s/%s.core.elf", tmpdir(), g);
	snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s' 2>/dev/null", xz, out);
	if (test_sh(cmd, NULL, NULL) != 0)
		return NULL;
	return out;
}

static void test_roundtrip_guests(void)
{
	size_t i;
	if (!test_shared_path("guests"))
		SKIP("../shared/guests is absent");
	SKIP_WITHOUT_SH(); /* xz */
	for (i = 0; i < sizeof guests / sizeof guests[0]; i++) {
		const char *core = guest_core(guests[i]);
		char c[1200];
		if (!core)
			SKIP("cannot decompress the %s core (xz installed?)", guests[i]);
		snprintf(c, sizeof c, "%s", core);
		if (!roundtrip(c, guests[i]))
			test__fail(__FILE__, __LINE__, "round trip of %s", guests[i]);
	}
}

/* -------------------------------------------------------------- readelf */

/* Run the host shell command @cmd, return its stdout (malloc'd) or NULL. */
static char *run(const char *cmd)
{
	char *buf = NULL;
	if (test_sh(cmd, &buf, NULL) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;
	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void check_readelf(const char *tag, int arm)
{
	hvs_image *in;
	const char *core = guest_core(tag);
	char elf[1200], cmd[2600], *outp, *line;
	const hvs_mem_range *r;
	size_t nr, k = 0;
	int first_is_note = 0, seen_ph = 0;
	SKIP_WITHOUT_SH();
	if (!core)
		SKIP("no %s core", tag);
	in = open_img(core, NULL);
	CHECK(in != NULL);
	snprintf(elf, sizeof elf, "%s/%s.re.elf", tmpdir(), tag);
	CHECK_OK(convert(in, elf, HVS_CONVERT_ELF, 0));
	snprintf(cmd, sizeof cmd, "readelf -lnW '%s' 2>&1", elf);
	outp = run(cmd);
	if (!outp)
		SKIP("readelf not available");
	r = hvs_image_ranges(in);
	nr = hvs_image_range_count(in);
	for (line = strtok(outp, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long off, va, pa, fs, ms;
		char type[32];
		if (sscanf(line, " %31s 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx", type, &off, &va, &pa, &fs,
			   &ms) == 6) {
			if (!seen_ph)
				first_is_note = strcmp(type, "NOTE") == 0;
			seen_ph = 1;
			if (strcmp(type, "LOAD") == 0) {
				CHECK(k < nr);
				CHECK_EQ(pa, r[k].gpa);
				CHECK_EQ(va, r[k].gpa);
				CHECK_EQ(fs, r[k].size);
				CHECK_EQ(ms, r[k].size);
				CHECK_EQ(off % 4096, 0);
				k++;
			}
		}
	}
	free(outp);
	CHECK(first_is_note);
	CHECK_EQ(k, nr);
	/* Notes: strtok consumed the text; run again for the counts. */
	outp = run(cmd);
	CHECK(outp != NULL);
	CHECK_EQ(count_str(outp, "NT_PRSTATUS"), hvs_image_vp_count(in));
	if (arm)
		CHECK_EQ(count_str(outp, "NT_FPREGSET"), hvs_image_vp_count(in));
	else
		CHECK_EQ(count_str(outp, "\n  QEMU "), hvs_image_vp_count(in));
	CHECK_EQ(count_str(outp, "VMCOREINFO"), 1);
	CHECK_EQ(count_str(outp, "HVSAVEDSTATE"), 1);
	free(outp);
	hvs_image_close(in);
}

static void test_readelf(void)
{
	if (!test_shared_path("guests"))
		SKIP("../shared/guests is absent");
	check_readelf("x86_64-tcg", 0);
	if (test__failed || test__skipped)
		return;
	check_readelf("i386-pae-tcg", 0);
	if (test__failed || test__skipped)
		return;
	check_readelf("aarch64-tcg", 1);
}

/* ----------------------------------------------------------------- gdb */

static void check_gdb(const char *tag, int arm)
{
	hvs_image *in;
	const char *core = guest_core(tag);
	char elf[1200], cmd[4096], want[256], *o;
	const hvs_mem_range *r;
	uint64_t probe = 0, word = 0;
	uint32_t vp;
	size_t i;
	SKIP_WITHOUT_SH();
	if (!core)
		SKIP("no %s core", tag);
	in = open_img(core, NULL);
	CHECK(in != NULL);
	snprintf(elf, sizeof elf, "%s/%s.gdb.elf", tmpdir(), tag);
	CHECK_OK(convert(in, elf, HVS_CONVERT_ELF, 0));
	/* A non-zero memory word to look at through gdb. */
	r = hvs_image_ranges(in);
	for (i = 0; i < hvs_image_range_count(in) && !word; i++) {
		uint64_t a;
		for (a = r[i].gpa; a + 8 <= r[i].gpa + r[i].size && !word; a += 8) {
			hvs_image_read(in, HVS_SPACE_GPA, a, &word, 8, NULL);
			probe = a;
		}
	}
	CHECK(word != 0);
	snprintf(cmd, sizeof cmd,
		 "%s -nx -batch -ex 'info threads' -ex 'thread 1' -ex 'info registers %s %s' "
		 "-ex 'thread 2' -ex 'info registers %s %s' -ex 'x/1gx 0x%llx' -c '%s' 2>&1",
		 arm ? "gdb-multiarch" : "gdb", arm ? "pc" : "rip", arm ? "sp" : "rsp",
		 arm ? "pc" : "rip", arm ? "sp" : "rsp", (unsigned long long)probe, elf);
	o = run(cmd);
	if (!o)
		SKIP("gdb not available");
	CHECK_EQ(count_str(o, "[New LWP "), hvs_image_vp_count(in)); /* threads = VPs */
	for (vp = 0; vp < hvs_image_vp_count(in) && vp < 2; vp++) {
		hvs_regval pc, sp;
		hvs_vp_info vi;
		hvs_image_vp_info(in, vp, &vi);
		CHECK_OK(hvs_image_get_reg(in, vp, HVS_VTL_ACTIVE, arm ? HVS_REG_ARM64_PC : HVS_REG_X64_RIP,
					   &pc));
		if (arm) {
			hvs_regval cpsr;
			hvs_image_get_reg(in, vp, HVS_VTL_ACTIVE, HVS_REG_ARM64_CPSR, &cpsr);
			CHECK_OK(hvs_image_get_reg(in, vp, HVS_VTL_ACTIVE,
						   ((cpsr.lo >> 2) & 3) && (cpsr.lo & 1)
							   ? HVS_REG_ARM64_SP_EL1
							   : HVS_REG_ARM64_SP_EL0,
						   &sp));
		} else {
			CHECK_OK(hvs_image_get_reg(in, vp, HVS_VTL_ACTIVE, HVS_REG_X64_RSP, &sp));
		}
		snprintf(want, sizeof want, "%s            0x%llx", arm ? "pc " : "rip",
			 (unsigned long long)pc.lo);
		if (!strstr(o, want)) {
			fprintf(stderr, "gdb output lacks \"%s\":\n%s\n", want, o);
			CHECK(0);
		}
		snprintf(want, sizeof want, "0x%llx", (unsigned long long)sp.lo);
		CHECK(strstr(o, want) != NULL);
	}
	snprintf(want, sizeof want, "0x%016llx", (unsigned long long)word);
	if (!strstr(o, want)) {
		fprintf(stderr, "gdb output lacks the word %s at 0x%llx:\n%s\n", want,
			(unsigned long long)probe, o);
		CHECK(0);
	}
	free(o);
	hvs_image_close(in);
}

static void test_gdb(void)
{
	if (!test_shared_path("guests"))
		SKIP("../shared/guests is absent");
	check_gdb("x86_64-tcg", 0);
	if (test__failed || test__skipped)
		return;
	/* The host's gdb reads only native cores: aarch64 needs gdb-multiarch. */
	if (test_sh("gdb-multiarch --version >/dev/null 2>&1", NULL, NULL) != 0) {
		fprintf(stderr, "aarch64 part skipped: gdb-multiarch is not installed\n");
		return;
	}
	check_gdb("aarch64-tcg", 1);
}

/* ----------------------------------------- truth.json translations */

typedef struct truth {
	uint64_t gva, gpa;
} truth;

/* Mapped translations of cpu @cpu; returns the count (<= max). */
static size_t load_truth(const char *g, unsigned cpu, truth *t, size_t max)
{
	char rel[256];
	const char *p;
	jm_val *root;
	const jm_val *tr;
	size_t i, n = 0;
	snprintf(rel, sizeof rel, "guests/%s/truth.json", g);
	p = test_shared_path(rel);
	if (!p || !(root = jm_parse_file(p, NULL, 0)))
		return 0;
	tr = jm_get(root, "translations");
	for (i = 0; i < jm_len(tr) && n < max; i++) {
		const jm_val *e = jm_at(tr, i);
		uint64_t c;
		if (jm_u64(jm_get(e, "cpu"), &c) || c != cpu || jm_u64(jm_get(e, "gva"), &t[n].gva) ||
		    jm_u64(jm_get(e, "gpa"), &t[n].gpa))
			continue;
		n++;
	}
	jm_free(root);
	return n;
}

/* ------------------------------------------------------- libkdumpfile */

#ifndef HVS_NO_KDUMPFILE
/* libaddrxlat page source: 4 KiB pages read with kdump_read (physical). */
/* libaddrxlat caches buffers it was given: each page gets its own copy. */
static void kd_put_page(const addrxlat_buffer_t *buf)
{
	free((void *)buf->ptr);
}
static addrxlat_status kd_get_page(const addrxlat_cb_t *cb, addrxlat_buffer_t *buf)
{
	uint8_t *kd_page = malloc(4096);
	size_t len = 4096;
	uint64_t page = buf->addr.addr & ~(uint64_t)0xFFF;
	if (!kd_page)
		return ADDRXLAT_ERR_NOMEM;
	if (kdump_read((kdump_ctx_t *)cb->priv, KDUMP_MACHPHYSADDR, page, kd_page, &len) !=
	    KDUMP_OK) {
		free(kd_page);
		return ADDRXLAT_ERR_NODATA;
	}
	buf->addr.addr = page;
	buf->ptr = kd_page;
	buf->size = 4096;
	buf->byte_order = ADDRXLAT_LITTLE_ENDIAN;
	buf->put_page = kd_put_page;
	return ADDRXLAT_OK;
}
static unsigned long kd_caps(const addrxlat_cb_t *cb)
{
	(void)cb;
	return ADDRXLAT_CAPS(ADDRXLAT_MACHPHYSADDR);
}
#endif

static void test_kdumpfile(void)
{
#ifdef HVS_NO_KDUMPFILE
	SKIP("libkdumpfile not found at configure time");
#else
	const char *core;
	char elf[1200];
	hvs_image *in;
	kdump_ctx_t *kc;
	addrxlat_ctx_t *axc;
	addrxlat_meth_t m;
	hvs_regval cr3;
	truth t[512];
	size_t n, i, ok = 0;
	int fd;
	const char *fmt = NULL;
	if (!test_shared_path("guests"))
		SKIP("../shared/guests is absent");
	core = guest_core("x86_64-tcg");
	if (!core)
		SKIP("no core");
	in = open_img(core, NULL);
	CHECK(in != NULL);
	snprintf(elf, sizeof elf, "%s/kdump.elf", tmpdir());
	CHECK_OK(convert(in, elf, HVS_CONVERT_ELF, 0));
	CHECK_OK(hvs_image_get_reg(in, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &cr3));
	kc = kdump_new();
	CHECK(kc != NULL);
	fd = open(elf, O_RDONLY);
	CHECK(fd >= 0);
	if (kdump_open_fd(kc, fd) != KDUMP_OK) {
		fprintf(stderr, "libkdumpfile: %s\n", kdump_get_err(kc));
		CHECK(0);
	}
	CHECK(kdump_get_string_attr(kc, KDUMP_ATTR_FILE_FORMAT, &fmt) == KDUMP_OK);
	CHECK_STR(fmt, "elf");
	/* libaddrxlat walks; every page-table read goes through libkdumpfile. */
	axc = addrxlat_ctx_new();
	CHECK(axc != NULL);
	{
		addrxlat_cb_t *cb = addrxlat_ctx_add_cb(axc);
		CHECK(cb != NULL);
		cb->priv = kc;
		cb->get_page = kd_get_page;
		cb->read_caps = kd_caps;
	}
	memset(&m, 0, sizeof m);
	m.kind = ADDRXLAT_PGT;
	m.target_as = ADDRXLAT_MACHPHYSADDR;
	m.param.pgt.root.addr = cr3.lo & 0x000FFFFFFFFFF000ull;
	m.param.pgt.root.as = ADDRXLAT_MACHPHYSADDR;
	m.param.pgt.pf.pte_format = ADDRXLAT_PTE_X86_64;
	m.param.pgt.pf.nfields = 5;
	m.param.pgt.pf.fieldsz[0] = 12;
	m.param.pgt.pf.fieldsz[1] = 9;
	m.param.pgt.pf.fieldsz[2] = 9;
	m.param.pgt.pf.fieldsz[3] = 9;
	m.param.pgt.pf.fieldsz[4] = 9;
	n = load_truth("x86_64-tcg", 0, t, 512);
	CHECK(n > 20);
	for (i = 0; i < n; i++) {
		addrxlat_step_t st;
		uint8_t a[16], b[16];
		size_t len = sizeof a;
		memset(&st, 0, sizeof st);
		st.ctx = axc;
		st.meth = &m;
		st.base.addr = t[i].gva;
		st.base.as = ADDRXLAT_KVADDR;
		if (addrxlat_walk(&st) != ADDRXLAT_OK) {
			fprintf(stderr, "libaddrxlat: 0x%llx: %s\n", (unsigned long long)t[i].gva,
				addrxlat_ctx_get_err(axc));
			CHECK(0);
		}
		CHECK_EQ(st.base.addr, t[i].gpa);
		/* ...and libkdumpfile reads the ELF core's bytes there. */
		if ((t[i].gpa & 4095) <= 4096 - sizeof a &&
		    kdump_read(kc, KDUMP_MACHPHYSADDR, t[i].gpa, a, &len) == KDUMP_OK) {
			CHECK_OK(hvs_image_read(in, HVS_SPACE_GPA, t[i].gpa, b, sizeof b, NULL));
			CHECK_MEM(a, b, sizeof a);
			ok++;
		}
	}
	CHECK(ok > 20);
	addrxlat_ctx_decref(axc);
	kdump_free(kc);
	close(fd);
	hvs_image_close(in);
#endif
}

/* ---------------------------------------------------------- volatility3 */

static void check_vol(const char *kind, const char *file, hvs_image *in, const truth *t, size_t n,
		      uint64_t cr3, size_t *refused)
{
	char *cmd = malloc(65536), *o, *line;
	size_t len, i, seen = 0;
	const char *vol = test_shared_path("tools/volatility3");
	len = (size_t)snprintf(cmd, 65536, "python3 '%s' '%s' %s '%s' 0x%llx",
			       test_source_path("tests/tools/vol_xlat.py"), vol, kind, file,
			       (unsigned long long)cr3);
	for (i = 0; i < n && len < 60000; i++)
		len += (size_t)snprintf(cmd + len, 65536 - len, " 0x%llx", (unsigned long long)t[i].gva);
	o = run(cmd);
	free(cmd);
	if (!o)
		SKIP("python3 with volatility3 did not run");
	for (line = strtok(o, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long gva, gpa;
		char hex[64];
		uint8_t want[16];
		char wanthex[40];
		unsigned k;
		if (sscanf(line, "0x%llx 0x%llx %40s", &gva, &gpa, hex) != 3) {
			/*
			 * "none": volatility3 (2.x Intel32e) refuses some mappings
			 * truth.json, libaddrxlat and hvs agree on (on x86_64-tcg:
			 * 44 aliases of one NX page under PML4 slot 0x1fe; the same
			 * on QEMU's own core.elf, so not our output).  Those
			 * are counted; the test wants the same answers from the
			 * raw and the ELF file and most entries translated.
			 */
			if (sscanf(line, "0x%llx none", &gva) != 1) {
				fprintf(stderr, "volatility3 (%s): %s\n", kind, line);
				CHECK(0);
			}
			(*refused)++;
			seen++;
			continue;
		}
		for (i = 0; i < n && t[i].gva != gva; i++)
			;
		CHECK(i < n);
		CHECK_EQ(gpa, t[i].gpa);
		if (strcmp(hex, "-") == 0) {
			/* Page not captured: the input has no bytes there either. */
			CHECK_STATUS(hvs_image_read(in, HVS_SPACE_GPA, gpa, want, 16, NULL),
				     HVS_E_NODATA);
		} else if ((gpa & 4095) <= 4096 - 16) {
			CHECK_OK(hvs_image_read(in, HVS_SPACE_GPA, gpa, want, 16, NULL));
			for (k = 0; k < 16; k++)
				sprintf(wanthex + 2 * k, "%02x", want[k]);
			CHECK_STR(hex, wanthex);
		}
		seen++;
	}
	CHECK_EQ(seen, n);
	free(o);
}

static void test_volatility3(void)
{
	const char *core;
	char raw[1200], elf[1200];
	hvs_image *in;
	hvs_regval cr3;
	truth t[512];
	size_t n, ref_raw = 0, ref_elf = 0;
	if (!test_shared_path("guests") || !test_shared_path("tools/volatility3/vol.py"))
		SKIP("../shared/guests or ../shared/tools/volatility3 is absent");
	SKIP_WITHOUT_SH();
	if (test_sh("python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null",
		    NULL, NULL) != 0)
		SKIP("python3 >= 3.8 not available");
	core = guest_core("x86_64-tcg");
	if (!core)
		SKIP("no core");
	in = open_img(core, NULL);
	CHECK(in != NULL);
	snprintf(raw, sizeof raw, "%s/vol.raw", tmpdir());
	snprintf(elf, sizeof elf, "%s/vol.elf", tmpdir());
	CHECK_OK(convert(in, raw, HVS_CONVERT_RAW, 0));
	CHECK_OK(convert(in, elf, HVS_CONVERT_ELF, 0));
	CHECK_OK(hvs_image_get_reg(in, 0, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &cr3));
	n = load_truth("x86_64-tcg", 0, t, 512);
	CHECK(n > 20);
	check_vol("raw", raw, in, t, n, cr3.lo, &ref_raw);
	if (test__failed || test__skipped)
		return;
	check_vol("elf", elf, in, t, n, cr3.lo, &ref_elf);
	if (test__failed || test__skipped)
		return;
	CHECK_EQ(ref_raw, ref_elf);
	CHECK(n - ref_raw >= 20);
	fprintf(stderr, "volatility3: %zu of %zu truth.json translations reproduced on raw and ELF "
		"(%zu refused by volatility3)\n", n - ref_raw, n, ref_raw);
	hvs_image_close(in);
}

/* --------------------------------------------------------------- safety */

static int cancel_cb(void *ud, uint64_t done, uint64_t total)
{
	int *calls = ud;
	(void)done;
	(void)total;
	return ++*calls >= 1;
}

static void test_existing_and_cancel(void)
{
	const char *in_path = gen_vmrs_x64_2vp("cvt-safety.vmrs", HVS_VMRS_ENC_XPRESS);
	const char *out = tpath("exists.raw");
	hvs_image *in = open_img(in_path, NULL);
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	uint8_t h0[32], h1[32];
	size_t len = 0;
	uint8_t *data;
	int calls = 0;
	CHECK(in != NULL);
	sha_file(in_path, h0);
	rm_out(out);
	CHECK(test_write_file(out, "keep", 4) == 0);
	memset(&o, 0, sizeof o);
	CHECK_STATUS(hvs_convert(in, out, HVS_CONVERT_RAW, &o, &r), HVS_E_INVALID);
	CHECK(strstr(r->errmsg, "exists") != NULL);
	hvs_convert_result_free(r);
	data = test_read_file(out, &len);
	CHECK(data && len == 4 && memcmp(data, "keep", 4) == 0);
	free(data);
	/* OUT.json existing is refused too (raw writes both). */
	unlink(out);
	{
		char js[1200];
		snprintf(js, sizeof js, "%s.json", out);
		CHECK(test_write_file(js, "{}", 2) == 0);
		CHECK_STATUS(hvs_convert(in, out, HVS_CONVERT_RAW, &o, NULL), HVS_E_INVALID);
		CHECK(!test_exists(out));
		unlink(js);
	}
	/* Cancel after the first progress report: nothing left behind. */
	o.progress = cancel_cb;
	o.progress_ud = &calls;
	CHECK_STATUS(hvs_convert(in, out, HVS_CONVERT_ELF, &o, NULL), HVS_E_CANCELED);
	CHECK(!test_exists(out));
	CHECK_EQ(count_in_dir(tmpdir(), ".hvs-tmp."), 0);
	/* Force replaces. */
	CHECK(test_write_file(out, "keep", 4) == 0);
	o.progress = NULL;
	o.flags = HVS_CONVERT_FORCE;
	CHECK_OK(hvs_convert(in, out, HVS_CONVERT_ELF, &o, NULL));
	data = test_read_file(out, &len);
	CHECK(data && len > 4096 && memcmp(data, "\x7f" "ELF", 4) == 0);
	free(data);
	hvs_image_close(in);
	sha_file(in_path, h1);
	CHECK_MEM(h0, h1, 32);
}

/* A file-size limit in a child: HVS_E_IO naming EFBIG, nothing left. */
#ifdef _WIN32
static void test_fsize_limit(void)
{
	SKIP("RLIMIT_FSIZE (a per-process file-size limit) has no Windows equivalent");
}
#else
static void test_fsize_limit(void)
{
	const char *in_path = gen_vmrs_x64_2vp("cvt-fsize.vmrs", HVS_VMRS_ENC_MIXED);
	const char *out = tpath("fsize.elf");
	pid_t pid;
	int st;
	uint8_t h0[32], h1[32];
	sha_file(in_path, h0);
	rm_out(out);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 256 * 1024, 256 * 1024 };
		hvs_image *in = open_img(in_path, NULL);
		hvs_convert_result *r = NULL;
		hvs_status s;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		if (!in)
			_exit(10);
		s = hvs_convert(in, out, HVS_CONVERT_ELF, NULL, &r);
		if (s != HVS_E_IO)
			_exit(11);
		if (!strstr(r->errmsg, "File too large"))
			_exit(12);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(!test_exists(out));
	CHECK_EQ(count_in_dir(tmpdir(), ".hvs-tmp."), 0);
	sha_file(in_path, h1);
	CHECK_MEM(h0, h1, 32);
}
#endif

/* A damaged token stream: HVS_E_CORRUPT naming the block, no output. */
static void test_damaged_block(void)
{
	const char *src = gen_vmrs_x64_2vp("cvt-damage-src.vmrs", HVS_VMRS_ENC_XPRESS);
	const char *bad = tpath("damaged.vmrs");
	const char *out = tpath("damaged.raw");
	size_t len = 0;
	uint8_t *d = test_read_file(src, &len), h0[32], h1[32];
	hvs_store *st = NULL;
	const hvs_key *k = NULL;
	hvs_key_info ki;
	hvs_image *in;
	hvs_convert_opts o;
	hvs_convert_result *r = NULL;
	unsigned w;
	CHECK(d != NULL);
	CHECK_OK(hvs_store_open_file(&st, src, NULL));
	CHECK_OK(hvs_store_find(st, "/savedstate/RamBlock1", &k));
	hvs_key_get_info(k, &ki);
	CHECK(ki.value_size < (1u << 20) && ki.value_size > 64);
	/* Garbage over the first page token's XPRESS stream. */
	memset(d + ki.value_offset + 4, 0xEE, 48);
	hvs_store_close(st);
	CHECK(test_write_file(bad, d, len) == 0);
	free(d);
	sha_file(bad, h0);
	for (w = 1; w <= 2; w++) {
		in = open_img(bad, NULL);
		CHECK(in != NULL);
		rm_out(out);
		memset(&o, 0, sizeof o);
		o.workers = w;
		CHECK_STATUS(hvs_convert(in, out, HVS_CONVERT_RAW, &o, &r), HVS_E_CORRUPT);
		if (!strstr(r->errmsg, "block 1")) {
			fprintf(stderr, "message: %s\n", r->errmsg);
			CHECK(0);
		}
		hvs_convert_result_free(r);
		r = NULL;
		CHECK(!test_exists(out));
		CHECK_EQ(count_in_dir(tmpdir(), ".hvs-tmp."), 0);
		hvs_image_close(in);
	}
	sha_file(bad, h1);
	CHECK_MEM(h0, h1, 32);
}

/* The CLI on a truncated input and an existing OUT: exit codes, no file. */
static void test_cli_errors(void)
{
	const char *src = gen_vmrs_x64_2vp("cvt-cli-src.vmrs", HVS_VMRS_ENC_RAW);
	const char *trunc = tpath("trunc.vmrs");
	const char *out = tpath("cli.raw");
	const char *hvs = test_bin_path("hvs");
	size_t len = 0;
	uint8_t *d = test_read_file(src, &len);
	int rc;
	CHECK(d != NULL);
	CHECK(test_write_file(trunc, d, len / 2) == 0);
	free(d);
	if (!hvs)
		SKIP("hvs not built");
	rm_out(out);
	{
		const char *argv[] = { hvs, "convert", trunc, "-o", out, "--to", "raw", "--quiet",
				       NULL };
		rc = test_spawn(argv, NULL, NULL);
	}
	CHECK(rc == 1 || rc == 4); /* damaged, or I/O */
	CHECK(!test_exists(out));
	/* Existing OUT: exit 2 (usage: --force), file untouched. */
	CHECK(test_write_file(out, "keep", 4) == 0);
	{
		const char *argv[] = { hvs, "convert", src, "-o", out, "--to", "elf", "--quiet", NULL };
		CHECK_EQ(test_spawn(argv, NULL, NULL), 2);
	}
	d = test_read_file(out, &len);
	CHECK(d && len == 4 && memcmp(d, "keep", 4) == 0);
	free(d);
	{
		const char *argv[] = { hvs,	 "convert", src,     "-o",   out, "--to",
				       "elf",	 "--quiet", "--force", "--json", NULL };
		CHECK_EQ(test_spawn(argv, NULL, NULL), 0);
	}
	CHECK_EQ(count_in_dir(tmpdir(), ".hvs-tmp."), 0);
}

/*
 * The progress line: drawn on a terminal (a pty from script(1)), ending at
 * 100% with a rate and an ETA; absent with --quiet and when stderr is not
 * a terminal.
 */
static void test_cli_progress(void)
{
	const char *src = gen_vmrs_x64_2vp("cvt-progress.vmrs", HVS_VMRS_ENC_MIXED);
	const char *out = tpath("progress.raw");
	const char *hvs = test_bin_path("hvs");
	char cmd[4096], *o = NULL;
	if (!hvs)
		SKIP("hvs not built");
	/* stderr not a terminal: no progress line. */
	{
		const char *argv[] = { hvs, "convert", src, "-o", out, "--to", "raw", "--force", NULL };
		CHECK_EQ(test_spawn_capture(argv, 1, &o, NULL), 0);
	}
	CHECK(o != NULL);
	CHECK(strstr(o, "ETA") == NULL);
	free(o);
	rm_out(out);
	if (TEST_ON_WINDOWS)
		SKIP("the terminal part needs hvs on a pseudo-terminal (script(1)); "
		     "a Windows program cannot be given one");
	if (test_sh("script --version >/dev/null 2>&1", NULL, NULL) != 0)
		SKIP("script(1) is not installed (bsdutils)");
	snprintf(cmd, sizeof cmd, "script -qec \"'%s/hvs' convert '%s' -o '%s' --to raw --force\" "
		 "/dev/null", HVS_TEST_BINARY_DIR, src, out);
	o = run(cmd);
	CHECK(o != NULL);
	if (!strstr(o, "100.0%") || !strstr(o, "/s  ETA ")) {
		fprintf(stderr, "no progress line on a terminal:\n%s\n", o);
		CHECK(0);
	}
	free(o);
	snprintf(cmd, sizeof cmd, "script -qec \"'%s/hvs' convert '%s' -o '%s' --to raw --force "
		 "--quiet\" /dev/null", HVS_TEST_BINARY_DIR, src, out);
	o = run(cmd);
	CHECK(o != NULL);
	CHECK(strstr(o, "ETA") == NULL);
	free(o);
	rm_out(out);
}

TEST_MAIN(TEST(test_roundtrip_generated), TEST(test_roundtrip_sample_spec),
	  TEST(test_roundtrip_guests), TEST(test_readelf), TEST(test_gdb), TEST(test_kdumpfile),
	  TEST(test_volatility3), TEST(test_existing_and_cancel), TEST(test_fsize_limit),
	  TEST(test_damaged_block), TEST(test_cli_errors), TEST(test_cli_progress))
