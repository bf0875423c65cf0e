/* SPDX-License-Identifier: MIT */
/*
 * bench_unwind [FRAMES] [WALKS]: the x64 unwinder's rate on a deep stack.
 *
 * The guest is the synthetic image of fuzz/unwind_image.h with a
 * recursive function R (push rbx; push rsi; sub rsp,0x28: three unwind
 * codes, the shape of compiled C) whose FRAMES activations fill the
 * stack; every frame's return address points into R's body.  Each walk
 * unwinds from the top to the bottom (a return address of 0), reading
 * the UNWIND_INFO, the saved registers and the return address of every
 * frame through the read callback (a memcpy here: the rate is the
 * unwinder's own).  Prints frames per second (best of WALKS walks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "hvs/hvs.h"

/* A larger stack than the fuzz target's. */
#define UWI_BASE 0x10000000ull
#define UWI_SIZE 0x4000u
#define UWI_PDATA 0x3000u
#define STACK_VA 0x20000000ull

typedef struct guest {
	uint8_t img[UWI_SIZE];
	uint8_t *stack;
	size_t stack_size;
} guest;

static void p16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void p32(uint8_t *p, uint32_t v) { p16(p, v & 0xFFFF); p16(p + 2, v >> 16); }
static void p64(uint8_t *p, uint64_t v) { p32(p, (uint32_t)v); p32(p + 4, (uint32_t)(v >> 32)); }

static hvs_status rd(void *ud, uint64_t va, void *buf, size_t len, size_t *done)
{
	const guest *g = ud;

	*done = 0;
	if (va >= UWI_BASE && va - UWI_BASE <= UWI_SIZE && len <= UWI_SIZE - (va - UWI_BASE))
		memcpy(buf, g->img + (va - UWI_BASE), len);
	else if (va >= STACK_VA && va - STACK_VA <= g->stack_size &&
		 len <= g->stack_size - (va - STACK_VA))
		memcpy(buf, g->stack + (va - STACK_VA), len);
	else
		return HVS_E_NOTPRESENT;
	*done = len;
	return HVS_OK;
}

int main(int argc, char **argv)
{
	size_t frames = argc > 1 ? strtoul(argv[1], NULL, 0) : 4000;
	int walks = argc > 2 ? atoi(argv[2]) : 50, w;
	static guest g;
	uint8_t *h = g.img, *o = h + 0x40 + 24;
	static const uint8_t code[] = { 0x53, 0x56, 0x48, 0x83, 0xEC, 0x28, 0xE8, 0, 0, 0, 0,
					0x90, 0x48, 0x83, 0xC4, 0x28, 0x5E, 0x5B, 0xC3 };
	static const uint8_t xd[] = { 1, 6, 3, 0, 6, 0x42, 2, 0x60, 1, 0x30, 0, 0 };
	hvs_unwind_frame *f;
	hvs_unwind *u = NULL;
	hvs_unwind_ctx c;
	double best = 0;
	size_t i, n = 0;

	if (frames < 2 || frames > HVS_UNWIND_MAX_FRAMES || walks < 1) {
		fprintf(stderr, "usage: bench_unwind [FRAMES 2..%u] [WALKS]\n", HVS_UNWIND_MAX_FRAMES);
		return 2;
	}
	/* PE headers: one section, the exception directory with one entry. */
	h[0] = 'M'; h[1] = 'Z';
	p32(h + 0x3c, 0x40);
	memcpy(h + 0x40, "PE\0\0", 4);
	p16(h + 0x44, 0x8664); p16(h + 0x46, 1); p16(h + 0x54, 0xF0); p16(h + 0x56, 0x2022);
	p16(o, 0x20B); p64(o + 24, UWI_BASE); p32(o + 32, 0x1000); p32(o + 36, 0x200);
	p32(o + 56, UWI_SIZE); p32(o + 60, 0x400); p32(o + 108, 16);
	p32(o + 112 + 24, UWI_PDATA); p32(o + 112 + 28, 12);
	memcpy(o + 0xF0, ".text", 5);
	p32(o + 0xF0 + 8, UWI_SIZE - 0x1000); p32(o + 0xF0 + 12, 0x1000);
	p32(o + 0xF0 + 16, UWI_SIZE - 0x1000); p32(o + 0xF0 + 20, 0x400);
	p32(o + 0xF0 + 36, 0x60000020u);
	memcpy(g.img + 0x1000, code, sizeof code);
	p32(g.img + UWI_PDATA, 0x1000); p32(g.img + UWI_PDATA + 4, 0x1000 + sizeof code);
	p32(g.img + UWI_PDATA + 8, 0x3400);
	memcpy(g.img + 0x3400, xd, sizeof xd);
	/* Each frame: 0x28 locals, rsi, rbx, return address = 0x40 bytes. */
	g.stack_size = frames * 0x40 + 0x100;
	g.stack = calloc(1, g.stack_size);
	f = calloc(frames + 1, sizeof *f);
	if (!g.stack || !f)
		return 1;
	for (i = 0; i < frames; i++) {
		uint8_t *fr = g.stack + i * 0x40;

		p64(fr + 0x28, 0x1000 + i);                     /* rsi */
		p64(fr + 0x30, 0x2000 + i);                     /* rbx */
		p64(fr + 0x38, i + 1 < frames ? UWI_BASE + 0x100B : 0);
	}
	if (hvs_unwind_new(&u, rd, &g, NULL) != HVS_OK)
		return 1;
	memset(&c, 0, sizeof c);
	c.rip = UWI_BASE + 0x100B;
	c.gpr[HVS_UNWIND_RSP] = STACK_VA;
	c.gpr_known = 0xFFFF;
	c.xmm_known = 0xFFFF;
	for (w = 0; w < walks; w++) {
		double t0 = bench_now(), dt;
		hvs_unwind_end end;

		if (hvs_unwind_walk(u, &c, f, frames + 1, &n, &end) != HVS_OK ||
		    end != HVS_UNWIND_END_BOTTOM) {
			fprintf(stderr, "walk ended early: %s\n", hvs_unwind_errmsg(u));
			return 1;
		}
		dt = bench_now() - t0;
		if (dt > 0 && (double)n / dt > best)
			best = (double)n / dt;
	}
	printf("%zu frames per walk, %d walks: %.0f frames/s (best), %.2f us per frame\n",
	       n, walks, best, best > 0 ? 1e6 / best : 0.0);
	hvs_unwind_free(u);
	free(g.stack);
	free(f);
	return 0;
}
