/* SPDX-License-Identifier: MIT */
/*
 * The x64 unwinder on hand-built unwind data (fuzz/unwind_image.h), one
 * rule at a time, with the expected frames derived by hand from
 * Microsoft's "x64 exception handling" documentation: version 2 EPILOG
 * codes, the prologue offset rule, epilogue emulation, chained and
 * indirect entries, SET_FPREG/SAVE_NONVOL/SAVE_XMM128/PUSH_MACHFRAME,
 * the fallbacks, and damaged data that must end the walk with a reason
 * (wrong version, unknown or truncated codes, cyclic chains, stacks that
 * leave mapped memory, frames that do not move up).  ARM64 VPs are
 * refused as "not supported yet".  Genuinely executed code:
 * test_unwind_emu.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "test.h"
#include "gen_vmrs.h"
#include "../../fuzz/unwind_image.h"

#define B UWI_BASE
#define S UWI_STACK

static uwi g;

static void rf(unsigned i, uint32_t begin, uint32_t end, uint32_t info)
{
	uint8_t *p = g.img + UWI_PDATA + 12 * i;

	uwi_put32(p, begin);
	uwi_put32(p + 4, end);
	uwi_put32(p + 8, info);
}

static void put(uint32_t rva, const void *b, size_t n)
{
	memcpy(g.img + rva, b, n);
}

static void st64(uint32_t off, uint64_t v)
{
	uwi_put64(g.stack + off, v);
}

/* Function F at 0x1000: push rbx; sub rsp,0x20; 20 nops; add rsp,0x20;
 * pop rbx; ret.  Leaf code (no .pdata) at 0x2000. */
static const uint8_t fcode[] = { 0x53, 0x48, 0x83, 0xEC, 0x20,
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	0x48, 0x83, 0xC4, 0x20, 0x5B, 0xC3 };
static const uint8_t fx_v1[] = { 1, 5, 2, 0, 5, 0x32, 1, 0x30 };

static void setup(unsigned npdata)
{
	memset(&g, 0, sizeof g);
	uwi_headers(&g, npdata);
	put(0x1000, fcode, sizeof fcode);
	memset(g.img + 0x2000, 0x90, 16);
	g.img[0x2010] = 0xC3;
	/* F's frame: [S+0x20] saved rbx, [S+0x28] return into the leaf,
	 * [S+0x30] the leaf's return address 0 (bottom). */
	st64(0x20, 0x1111);
	st64(0x28, B + 0x2000);
	st64(0x30, 0);
}

static hvs_unwind_ctx ctx(uint64_t rip, uint64_t rsp)
{
	hvs_unwind_ctx c;

	memset(&c, 0, sizeof c);
	c.rip = rip;
	c.gpr[HVS_UNWIND_RSP] = rsp;
	c.gpr[HVS_UNWIND_RBX] = 0xBBBB;
	c.gpr[HVS_UNWIND_RSI] = 0x5151;
	c.gpr_known = 0xFFFF;
	c.xmm_known = 0xFFFF;
	return c;
}

static char lastmsg[HVS_ERRMSG_MAX];

static size_t walk_msg(const hvs_unwind_ctx *c, hvs_unwind_frame *f, size_t max,
		       hvs_unwind_end *end, int no_fallback)
{
	hvs_unwind *u = NULL;
	hvs_unwind_opts o;
	size_t n = 0;

	memset(&o, 0, sizeof o);
	o.no_fallback = no_fallback;
	/* Failures show as a frame count of 0 in the caller's check. */
	if (hvs_unwind_new(&u, uwi_read, &g, &o) != HVS_OK)
		return 0;
	if (hvs_unwind_walk(u, c, f, max, &n, end) != HVS_OK)
		n = 0;
	snprintf(lastmsg, sizeof lastmsg, "%s", hvs_unwind_errmsg(u));
	hvs_unwind_free(u);
	return n;
}

/* The body of F: both codes undone, then the leaf, then the bottom. */
static void test_unwind_body(void)
{
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(1);
	rf(0, 0x1000, 0x1020, 0x3400);
	put(0x3400, fx_v1, sizeof fx_v1);
	c = ctx(B + 0x1008, S);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(end, HVS_UNWIND_END_BOTTOM);
	CHECK_EQ(f[0].func_begin, B + 0x1000);
	CHECK_EQ(f[1].how, HVS_UNWIND_INFO);
	CHECK_EQ(f[1].rip, B + 0x2000);
	CHECK_EQ(f[1].rsp, S + 0x30);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0x1111);
	CHECK_EQ(f[1].gpr_restored, 1u << HVS_UNWIND_RBX);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RSI], 0x5151);   /* kept */
	CHECK(!(f[1].regs.gpr_known & 1u));                /* RAX: volatile */
	CHECK_EQ(f[1].func_begin, 0);                      /* the leaf */
	CHECK_EQ(f[0].ret, B + 0x2000);
	/* Version 2 with EPILOG codes in front: the same answer. */
	{
		static const uint8_t v2[] = { 2, 5, 4, 0, 0x06, 0x16, 0, 0, 5, 0x32, 1, 0x30 };

		put(0x3400, v2, sizeof v2);
		CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
		CHECK_EQ(f[1].rsp, S + 0x30);
		CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0x1111);
		CHECK_EQ(end, HVS_UNWIND_END_BOTTOM);
	}
}

/* Inside the prologue only the codes whose instruction ran are undone. */
static void test_unwind_prologue(void)
{
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(1);
	rf(0, 0x1000, 0x1020, 0x3400);
	put(0x3400, fx_v1, sizeof fx_v1);
	c = ctx(B + 0x1001, S + 0x20);          /* after push rbx */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].rip, B + 0x2000);
	CHECK_EQ(f[1].rsp, S + 0x30);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0x1111);
	c = ctx(B + 0x1000, S + 0x28);          /* nothing ran */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].rsp, S + 0x30);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0xBBBB);
	CHECK_EQ(f[1].gpr_restored, 0);
}

/* In the epilogue the remaining instructions are emulated. */
static void test_unwind_epilogue(void)
{
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(1);
	rf(0, 0x1000, 0x1020, 0x3400);
	put(0x3400, fx_v1, sizeof fx_v1);
	c = ctx(B + 0x1019, S);                 /* at add rsp,0x20 */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].how, HVS_UNWIND_EPILOG);
	CHECK_EQ(f[1].rsp, S + 0x30);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0x1111);
	c = ctx(B + 0x101E, S + 0x28);          /* at ret */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].how, HVS_UNWIND_EPILOG);
	CHECK_EQ(f[1].rip, B + 0x2000);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0xBBBB);
}

/* A chained child (UNW_FLAG_CHAININFO) and an indirect .pdata entry. */
static void test_unwind_chains(void)
{
	static const uint8_t child[] = { 0x21, 1, 1, 0, 1, 0x60, 0, 0,
		0x00, 0x10, 0, 0, 0x20, 0x10, 0, 0, 0x00, 0x34, 0, 0 };
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(3);
	rf(0, 0x1000, 0x1020, 0x3400);
	rf(1, 0x1020, 0x1030, 0x3420);
	rf(2, 0x1030, 0x1040, 0x3000 | 1);     /* indirect: names entry 0 */
	put(0x3400, fx_v1, sizeof fx_v1);
	put(0x3420, child, sizeof child);
	memset(g.img + 0x1020, 0x90, 0x20);
	/* Child: push rsi at S; then the parent's frame above it. */
	memmove(g.stack + 8, g.stack, 0x38);
	st64(0, 0x5656);
	c = ctx(B + 0x1024, S);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].rsp, S + 0x38);
	CHECK_EQ(f[1].rip, B + 0x2000);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RSI], 0x5656);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0x1111);
	CHECK_EQ(f[0].func_begin, B + 0x1020);
	/* Indirect: the parent's codes, all of them (its prologue ran). */
	c = ctx(B + 0x1031, S + 8);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].rsp, S + 0x38);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBX], 0x1111);
}

/* SET_FPREG, SAVE_NONVOL and SAVE_XMM128 from the frame base, then a
 * machine frame with an error code. */
static void test_unwind_machframe(void)
{
	static const uint8_t x[] = { 1, 0, 7, 0x25, 0, 0x03, 0, 0x64, 2, 0,
				     0, 0x68, 2, 0, 0, 0x52, 0, 0x1A, 0, 0 };
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(1);
	rf(0, 0x1100, 0x1110, 0x3400);
	memset(g.img + 0x1100, 0x90, 16);
	put(0x3400, x, sizeof x);
	st64(0x30, 0xAAAA5151);                  /* rsi at base + 16 */
	st64(0x40, 0x1234);                      /* xmm6 at base + 32 */
	st64(0x48, 0x5678);
	st64(0x50, 0x0E);                        /* error code */
	st64(0x58, B + 0x2000);                  /* RIP */
	st64(0x70, S + 0x100);                   /* RSP */
	st64(0x100, 0);
	c = ctx(B + 0x1104, S);
	c.gpr[HVS_UNWIND_RBP] = S + 0x40;        /* base = rbp - 2 * 16 */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].how, HVS_UNWIND_MACHFRAME);
	CHECK_EQ(f[1].rip, B + 0x2000);
	CHECK_EQ(f[1].rsp, S + 0x100);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RSI], 0xAAAA5151);
	CHECK_EQ(f[1].regs.xmm[6].lo, 0x1234);
	CHECK_EQ(f[1].regs.xmm[6].hi, 0x5678);
	CHECK_EQ(f[1].xmm_restored, 1u << 6);
	CHECK_EQ(end, HVS_UNWIND_END_BOTTOM);
	/* A machine frame may switch to a lower stack (an interrupt taken on
	 * its own stack, a user/kernel transition): allowed, the walk goes on. */
	st64(0x70, S + 0x10);
	st64(0x10, 0);
	c.gpr[HVS_UNWIND_RSP] = S + 0x80;        /* SET_FPREG ignores it */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 2);
	CHECK_EQ(f[1].rsp, S + 0x10);
	CHECK(f[1].rsp < f[0].rsp);
	CHECK_EQ(end, HVS_UNWIND_END_BOTTOM);
	c.gpr[HVS_UNWIND_RSP] = S;
	/* A machine frame that points at itself is a loop. */
	st64(0x58, B + 0x1104);
	st64(0x70, S);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 1);
	CHECK_EQ(end, HVS_UNWIND_END_CYCLE);
}

/* One damaged UNWIND_INFO: the walk ends with @want and @msg. */
static void damaged(const uint8_t *x, size_t n, hvs_unwind_end want, const char *msg)
{
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(1);
	rf(0, 0x1000, 0x1020, 0x3400);
	put(0x3400, x, n);
	c = ctx(B + 0x1008, S);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 1);
	CHECK_EQ(end, want);
	if (!strstr(lastmsg, msg))
		fprintf(stderr, "message '%s' lacks '%s'\n", lastmsg, msg);
	CHECK(strstr(lastmsg, msg) != NULL);
}

static void test_unwind_damaged(void)
{
	static const uint8_t v3[] = { 3, 5, 2, 0, 5, 0x32, 1, 0x30 };
	static const uint8_t op11[] = { 1, 5, 1, 0, 5, 0x0B, 0, 0 };
	static const uint8_t trunc[] = { 1, 5, 1, 0, 5, 0x01, 0, 0 };
	static const uint8_t v1op6[] = { 1, 5, 2, 0, 5, 0x06, 0, 0 };
	static const uint8_t mf2[] = { 1, 0, 1, 0, 0, 0x2A, 0, 0 };
	static const uint8_t nofr[] = { 1, 0, 1, 0, 0, 0x03, 0, 0 };
	static const uint8_t cyc[] = { 0x21, 0, 0, 0, 0x00, 0x10, 0, 0, 0x20, 0x10, 0, 0,
				       0x00, 0x34, 0, 0 };
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	damaged(v3, sizeof v3, HVS_UNWIND_END_CORRUPT, "version 3");
	damaged(op11, sizeof op11, HVS_UNWIND_END_CORRUPT, "operation 11");
	damaged(trunc, sizeof trunc, HVS_UNWIND_END_CORRUPT, "needs 2 slots, 1 left");
	damaged(v1op6, sizeof v1op6, HVS_UNWIND_END_CORRUPT, "not valid in version 1");
	damaged(mf2, sizeof mf2, HVS_UNWIND_END_CORRUPT, "PUSH_MACHFRAME info 2");
	damaged(nofr, sizeof nofr, HVS_UNWIND_END_CORRUPT, "SET_FPREG without a frame register");
	damaged(cyc, sizeof cyc, HVS_UNWIND_END_CORRUPT, "cycles");
	/* UNWIND_INFO outside the image. */
	setup(1);
	rf(0, 0x1000, 0x1020, 0x3FFE);
	c = ctx(B + 0x1008, S);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 1);
	CHECK_EQ(end, HVS_UNWIND_END_CORRUPT);
	/* The stack runs off mapped memory. */
	setup(1);
	rf(0, 0x1000, 0x1020, 0x3400);
	put(0x3400, fx_v1, sizeof fx_v1);
	c = ctx(B + 0x1008, S + UWI_STACK_SIZE - 0x18);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 1);
	CHECK_EQ(end, HVS_UNWIND_END_READ);
	CHECK(strstr(lastmsg, "not readable") != NULL);
	/* A frame register that sends RSP down: a loop, stopped. */
	{
		static const uint8_t fp[] = { 1, 0, 1, 0x05, 0, 0x03, 0, 0 };

		setup(1);
		rf(0, 0x1000, 0x1020, 0x3400);
		memset(g.img + 0x1000, 0x90, 0x20);
		put(0x3400, fp, sizeof fp);
		st64(0, B + 0x1008);
		c = ctx(B + 0x1008, S + 0x100);
		c.gpr[HVS_UNWIND_RBP] = S;
		CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 1);
		CHECK_EQ(end, HVS_UNWIND_END_CYCLE);
	}
	/* Every walk is bounded: a long chain of leaf frames stops at max. */
	{
		unsigned i;

		setup(0);
		for (i = 0; i < 0x200 / 8; i++)
			st64(8 * i, B + 0x2000);
		c = ctx(B + 0x2000, S);
		CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 8);
		CHECK_EQ(end, HVS_UNWIND_END_MAX);
	}
}

/* No unwind data at all: RBP chain, then the marked stack scan. */
static void test_unwind_fallbacks(void)
{
	static const uint8_t call[] = { 0xE8, 0, 0, 0, 0, 0x90 };
	hvs_unwind_frame f[8];
	hvs_unwind_end end;
	hvs_unwind_ctx c;

	setup(0);
	put(0x1000, call, sizeof call);
	st64(0x10, B + 0x1005);                 /* a return address after a call */
	st64(0x18, 0);
	c = ctx(0x30000000, S);                 /* RIP in no image */
	c.gpr_known &= ~(1u << HVS_UNWIND_RBP);
	CHECK_EQ(walk_msg(&c, f, 8, &end, 0), 2);
	CHECK_EQ(f[1].how, HVS_UNWIND_STACK_SCAN);
	CHECK_EQ(f[1].rip, B + 0x1005);
	CHECK_EQ(f[1].rsp, S + 0x18);
	CHECK_EQ(f[1].regs.gpr_known, 1u << HVS_UNWIND_RSP);
	CHECK_EQ(end, HVS_UNWIND_END_BOTTOM);
	{
		char text[512];

		hvs_unwind_format_stack(f, 2, text, sizeof text);
		CHECK(strstr(text, "(stack scan: a guess)") != NULL);
	}
	/* RBP chain. */
	st64(0x40, S + 0x80);
	st64(0x48, B + 0x1005);
	st64(0x50, 0);
	c = ctx(0x30000000, S);
	c.gpr[HVS_UNWIND_RBP] = S + 0x40;
	CHECK_EQ(walk_msg(&c, f, 8, &end, 0), 2);
	CHECK_EQ(f[1].how, HVS_UNWIND_FRAME_POINTER);
	CHECK_EQ(f[1].rsp, S + 0x50);
	CHECK_EQ(f[1].regs.gpr[HVS_UNWIND_RBP], S + 0x80);
	/* Fallbacks off: the walk ends, saying why. */
	CHECK_EQ(walk_msg(&c, f, 8, &end, 1), 1);
	CHECK_EQ(end, HVS_UNWIND_END_NOFRAME);
	CHECK(strstr(lastmsg, "no image contains") != NULL);
}

/* ARM64: a clear "not supported yet". */
static void test_unwind_arm64(void)
{
	const char *p = gen_vmrs_arm64_2vp("unwind_arm64.vmrs", HVS_VMRS_ENC_RAW);
	hvs_image *img = NULL;
	hvs_unwind *u = NULL;
	hvs_unwind_opts o;
	char err[256] = "";

	CHECK(p != NULL);
	CHECK_OK(hvs_image_open(&img, p, NULL));
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	CHECK_STATUS(hvs_unwind_new_vp(&u, img, 0, &o), HVS_E_UNSUPPORTED);
	CHECK(u == NULL);
	CHECK(strstr(err, "ARM64") && strstr(err, "not supported yet"));
	hvs_image_close(img);
}

TEST_MAIN(TEST(test_unwind_body), TEST(test_unwind_prologue), TEST(test_unwind_epilogue),
	  TEST(test_unwind_chains), TEST(test_unwind_machframe), TEST(test_unwind_damaged),
	  TEST(test_unwind_fallbacks), TEST(test_unwind_arm64))
