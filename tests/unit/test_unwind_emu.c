/* SPDX-License-Identifier: MIT */
/*
 * The unwinder on genuinely executed code (tests/data/uwguest/README.md):
 * three modules built by clang/lld-link ran in the Unicorn emulator; the
 * emulator's own record of every call (return address, RSP after the
 * return, callee-saved registers at the call) is the expected answer in
 * uwguest.truth.  For each VP (a stop deep in a leaf, inside the
 * prologue and the epilogue of an assembly function, inside the prologue
 * and the epilogue of a compiled one) the unwinder must give exactly those
 * frames and registers.  Each frame's function is checked against
 * llvm-readobj --unwind's RuntimeFunction list, and the fixture against
 * the same output for covering every unwind operation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "hvs/unwind.h"
#include "test.h"

#define DIR HVS_TEST_BINARY_DIR "/uwguest/"
#define MAXF 64

typedef struct truth_frame {
	uint64_t rip, rsp, nv[8], xmm[10][2];
} truth_frame;

/* The GPR indices of the truth file's order RBX RBP RSI RDI R12-R15. */
static const int nv_idx[8] = { 3, 5, 6, 7, 12, 13, 14, 15 };

static char *slurp(const char *name)
{
	char path[512], *t;
	uint8_t *b;
	size_t n;

	snprintf(path, sizeof path, DIR "%s", name);
	b = test_read_file(path, &n);
	if (!b)
		return NULL;
	/* test_read_file() does not terminate: copy as a C string. */
	t = malloc(n + 1);
	if (t) {
		memcpy(t, b, n);
		t[n] = 0;
	}
	free(b);
	return t;
}

/* Frames of VP @vp from the truth file; returns the count, -1 if absent. */
static int read_truth(const char *text, int vp, truth_frame *f, int max)
{
	char key[32];
	const char *p;
	int n = 0, i, k;

	snprintf(key, sizeof key, "vp %d frames ", vp);
	p = strstr(text, key);
	if (!p)
		return -1;
	n = atoi(p + strlen(key));
	if (n > max)
		return -1;
	for (i = 0; i < n; i++) {
		char *e;

		p = strstr(p, "\nf ");
		if (!p)
			return -1;
		p += 3;
		strtol(p, &e, 10);
		f[i].rip = strtoull(e, &e, 16);
		f[i].rsp = strtoull(e, &e, 16);
		for (k = 0; k < 8; k++)
			f[i].nv[k] = strtoull(e, &e, 16);
		for (k = 0; k < 10; k++) {
			f[i].xmm[k][0] = strtoull(e, &e, 16);
			f[i].xmm[k][1] = strtoull(e, &e, 16);
		}
		p = e;
	}
	return n;
}

/* The RuntimeFunction of llvm-readobj's output containing @va: 1 and its
 * bounds when found. */
static int readobj_function(const char *text, uint64_t va, uint64_t *begin,
			    uint64_t *end)
{
	const char *p = text;

	while ((p = strstr(p, "RuntimeFunction {")) != NULL) {
		const char *s = strstr(p, "StartAddress: "), *e = strstr(p, "EndAddress: ");
		uint64_t b, x;

		if (!s || !e)
			return 0;
		s = strchr(s, '(');
		e = strchr(e, '(');
		if (!s || !e)
			return 0;
		b = strtoull(s + 1, NULL, 16);
		x = strtoull(e + 1, NULL, 16);
		if (va >= b && va < x) {
			*begin = b;
			*end = x;
			return 1;
		}
		p += 17;
	}
	return 0;
}

static char *all_unwind_text(void)
{
	char *a = slurp("uwa.exe.unwind"), *b = slurp("uwb.dll.unwind"),
	     *c = slurp("uwc.dll.unwind"), *all = NULL;

	if (a && b && c) {
		size_t n = strlen(a) + strlen(b) + strlen(c) + 1;

		all = malloc(n);
		if (all)
			snprintf(all, n, "%s%s%s", a, b, c);
	}
	free(a);
	free(b);
	free(c);
	return all;
}

static hvs_image *open_fixture(void)
{
	hvs_image *img = NULL;

	if (hvs_image_open(&img, DIR "uwguest.vmrs", NULL) != HVS_OK)
		return NULL;
	return img;
}

/* Every frame and every callee-saved register as the emulator saw them. */
static void test_frames_match_emulator(void)
{
	char *truth = slurp("uwguest.truth"), *uw = all_unwind_text();
	hvs_image *img;
	int vp;

	if (!truth || !uw || !(img = open_fixture()))
		SKIP("uwguest fixture not built (needs clang, lld, llvm, libunicorn-dev)");
	for (vp = 0; vp < 5; vp++) {
		static truth_frame t[MAXF];
		static hvs_unwind_frame f[MAXF];
		hvs_unwind *u = NULL;
		hvs_unwind_ctx c;
		hvs_unwind_end end;
		size_t n = 0;
		int nt = read_truth(truth, vp, t, MAXF), i, k;

		CHECK(nt > 0);
		CHECK_OK(hvs_unwind_new_vp(&u, img, (uint32_t)vp, NULL));
		CHECK_OK(hvs_unwind_vp_context(img, (uint32_t)vp, &c));
		CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, &end));
		if ((int)n != nt)
			fprintf(stderr, "vp %d: %zu frames, expected %d (%s: %s)\n", vp, n, nt,
				hvs_unwind_end_name(end), hvs_unwind_errmsg(u));
		CHECK_EQ(n, (size_t)nt);
		CHECK_EQ(end, HVS_UNWIND_END_BOTTOM);
		for (i = 0; i < nt && i < (int)n; i++) {
			uint64_t b, e, va = i ? f[i].rip - 1 : f[i].rip;

			CHECK_EQ(f[i].rip, t[i].rip);
			CHECK_EQ(f[i].rsp, t[i].rsp);
			for (k = 0; k < 8; k++) {
				CHECK((f[i].regs.gpr_known >> nv_idx[k]) & 1u);
				CHECK_EQ(f[i].regs.gpr[nv_idx[k]], t[i].nv[k]);
			}
			for (k = 0; k < 10; k++) {
				CHECK((f[i].regs.xmm_known >> (6 + k)) & 1u);
				CHECK_EQ(f[i].regs.xmm[6 + k].lo, t[i].xmm[k][0]);
				CHECK_EQ(f[i].regs.xmm[6 + k].hi, t[i].xmm[k][1]);
			}
			/* The function the unwinder used is the one llvm-readobj
			 * lists (none for the leaf). */
			if (readobj_function(uw, va, &b, &e)) {
				CHECK_EQ(f[i].func_begin, b);
				CHECK_EQ(f[i].func_end, e);
			} else {
				CHECK_EQ(f[i].func_begin, 0);
			}
			CHECK(f[i].module[0] != 0);
			if (i)
				CHECK_EQ(f[i - 1].ret, f[i].rip);
		}
		hvs_unwind_free(u);
	}
	hvs_image_close(img);
	free(truth);
	free(uw);
}

/* The method of each step on the deep stack, and the module names. */
static void test_methods(void)
{
	static hvs_unwind_frame f[MAXF];
	hvs_image *img = open_fixture();
	hvs_unwind *u = NULL;
	hvs_unwind_ctx c;
	size_t n = 0, i, mach = 0;
	const char *mods[] = { "uwa", "uwb", "uwc", "uwc", "uwa", "uwb", "uwc",
			       "uwb", "uwa", "uwc", "uwb", "uwa" };

	if (!img)
		SKIP("uwguest fixture not built");
	CHECK_OK(hvs_unwind_new_vp(&u, img, 0, NULL));
	CHECK_OK(hvs_unwind_vp_context(img, 0, &c));
	CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, NULL));
	CHECK_EQ(n, 12);
	CHECK_EQ(f[0].how, HVS_UNWIND_CONTEXT);
	CHECK_EQ(f[1].how, HVS_UNWIND_LEAF);      /* a_leaf has no .pdata */
	for (i = 0; i < n && i < 12; i++) {
		CHECK_STR(f[i].module, mods[i]);
		if (f[i].how == HVS_UNWIND_MACHFRAME)
			mach++;
	}
	CHECK_EQ(mach, 2);                        /* b_isr and c_isr_err */
	hvs_unwind_free(u);
	/* VP 2 stopped in c_push's epilogue: emulated, not the codes. */
	CHECK_OK(hvs_unwind_new_vp(&u, img, 2, NULL));
	CHECK_OK(hvs_unwind_vp_context(img, 2, &c));
	CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, NULL));
	CHECK(n >= 2);
	CHECK_EQ(f[1].how, HVS_UNWIND_EPILOG);
	hvs_unwind_free(u);
	/* VP 3 stopped inside the compiled a_c2's prologue (two pushes done):
	 * RIP's offset is below llvm-readobj's PrologSize for a_c2. */
	{
		char *uw = all_unwind_text();
		const char *p = uw ? strstr(uw, "StartAddress: (0x140001030)") : NULL;
		uint64_t psize = 0;

		CHECK_OK(hvs_unwind_new_vp(&u, img, 3, NULL));
		CHECK_OK(hvs_unwind_vp_context(img, 3, &c));
		CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, NULL));
		CHECK(p != NULL);
		if (p) {
			p = strstr(p, "PrologSize: ");
			CHECK(p != NULL);
			if (p)
				psize = strtoull(p + 12, NULL, 10);
		}
		CHECK_EQ(f[0].func_begin, 0x140001030ull);
		CHECK(f[0].rip - f[0].func_begin > 0 && f[0].rip - f[0].func_begin < psize);
		CHECK_EQ(f[1].how, HVS_UNWIND_INFO);
		hvs_unwind_free(u);
		free(uw);
	}
	/* VP 4 stopped between the pops of the compiled b_c1's epilogue. */
	CHECK_OK(hvs_unwind_new_vp(&u, img, 4, NULL));
	CHECK_OK(hvs_unwind_vp_context(img, 4, &c));
	CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, NULL));
	CHECK_STR(f[0].module, "uwb");
	CHECK_EQ(f[1].how, HVS_UNWIND_EPILOG);
	hvs_unwind_free(u);
	/* A frame limit ends the walk with END_MAX. */
	CHECK_OK(hvs_unwind_new_vp(&u, img, 0, NULL));
	CHECK_OK(hvs_unwind_vp_context(img, 0, &c));
	{
		hvs_unwind_end end;

		CHECK_OK(hvs_unwind_walk(u, &c, f, 5, &n, &end));
		CHECK_EQ(n, 5);
		CHECK_EQ(end, HVS_UNWIND_END_MAX);
	}
	hvs_unwind_free(u);
	hvs_image_close(img);
}

/* The fixture covers every operation the issue lists (llvm-readobj). */
static void test_fixture_covers_all_codes(void)
{
	char *uw = all_unwind_text();
	const char *need[] = {
		"PUSH_NONVOL", "ALLOC_SMALL", "ALLOC_LARGE size=528",
		"ALLOC_LARGE size=1114112", "SET_FPREG reg=RBP", "SAVE_NONVOL reg=",
		"SAVE_NONVOL_FAR", "SAVE_XMM128 reg=", "SAVE_XMM128_FAR",
		"PUSH_MACHFRAME errcode=yes", "PUSH_MACHFRAME errcode=no",
		"ChainInfo (0x4)"
	};
	size_t i;

	if (!uw)
		SKIP("uwguest fixture not built");
	for (i = 0; i < sizeof need / sizeof need[0]; i++) {
		if (!strstr(uw, need[i]))
			fprintf(stderr, "missing in llvm-readobj --unwind: %s\n", need[i]);
		CHECK(strstr(uw, need[i]) != NULL);
	}
	free(uw);
}

/* module!function+offset through the PDBs found by the symbol provider;
 * offsets checked against llvm-readobj's function start addresses. */
static void test_symbols(void)
{
	static hvs_unwind_frame f[MAXF];
	const char *names[] = { "uw_stop_deep", "b_c3", "c_isr_err", "c_chain",
				"a_huge", "b_isr", "c_fp", "uw_stop_prolog", "a_c2",
				"c_push", "b_c1", "a_main" };
	char *uw = all_unwind_text();
	hvs_image *img = open_fixture();
	hvs_unwind *u = NULL;
	hvs_unwind_symbols *sy = NULL;
	hvs_sym *s = NULL;
	hvs_sym_opts so;
	hvs_unwind_ctx c;
	size_t n = 0, i;
	char loc[256];

	if (!img || !uw)
		SKIP("uwguest fixture not built");
	memset(&so, 0, sizeof so);
	so.symbol_path = HVS_TEST_BINARY_DIR "/uwguest";
	so.vp = 0;
	so.flags = HVS_SYM_NO_ENV | HVS_SYM_NO_DOWNLOAD;
	CHECK_OK(hvs_sym_open(&s, img, &so));
	CHECK_OK(hvs_unwind_symbols_new(&sy, s, NULL));
	CHECK_OK(hvs_unwind_new_vp(&u, img, 0, NULL));
	hvs_unwind_set_symbols(u, hvs_unwind_symbols_lookup, sy);
	CHECK_OK(hvs_unwind_vp_context(img, 0, &c));
	CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, NULL));
	CHECK_EQ(n, 12);
	for (i = 0; i < n && i < 12; i++) {
		uint64_t b, e;

		CHECK_STR(f[i].symbol, names[i]);
		if (strncmp(names[i], "uw_stop", 7) && strcmp(names[i], "c_chain") &&
		    readobj_function(uw, i ? f[i].rip - 1 : f[i].rip, &b, &e))
			CHECK_EQ(f[i].sym_offset, f[i].rip - b);
	}
	CHECK_OK(hvs_unwind_format_location(&f[1], loc, sizeof loc));
	{
		char want[64];

		snprintf(want, sizeof want, "uwb!b_c3+0x%" PRIx64, f[1].sym_offset);
		CHECK_STR(loc, want);
	}
	hvs_unwind_free(u);
	/* Without symbols: module+offset from the module base. */
	CHECK_OK(hvs_unwind_new_vp(&u, img, 0, NULL));
	CHECK_OK(hvs_unwind_walk(u, &c, f, MAXF, &n, NULL));
	CHECK_OK(hvs_unwind_format_location(&f[1], loc, sizeof loc));
	{
		char want[64];

		snprintf(want, sizeof want, "uwb+0x%" PRIx64, (uint64_t)(f[1].rip - UINT64_C(0x7FF8A0000000)));
		CHECK_STR(loc, want);
	}
	hvs_unwind_free(u);
	hvs_unwind_symbols_free(sy);
	hvs_sym_close(s);
	hvs_image_close(img);
	free(uw);
}

TEST_MAIN(TEST(test_frames_match_emulator), TEST(test_methods), TEST(test_symbols),
	  TEST(test_fixture_covers_all_codes))
