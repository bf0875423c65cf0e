/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the x64 unwinder (src/unwind) over a synthetic guest
 * (unwind_image.h): valid PE headers, everything else from the input.
 *
 * Input: [0] number of RUNTIME_FUNCTIONs (mod 65), [1..2] RIP offset in
 * the image, [3] RSP offset in the stack (x8), [4] flags (bit 0: no
 * fallbacks, bit 1: no image search), [5] RBP offset in the stack (x8),
 * then up to 0x3000 bytes of the image from RVA 0x1000 (code, .pdata at
 * 0x3000, .xdata), then up to 0x1000 bytes of stack.
 *
 * Invariants (a violation traps): the walk returns HVS_OK with 1..64
 * frames and a valid end reason; every frame above 0 that was not found
 * through a machine frame has a higher RSP than the one below; every
 * frame's recorded return address is the next frame's RIP.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "unwind_image.h"

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uwi u;
	static hvs_unwind_frame f[64];
	hvs_unwind *w = NULL;
	hvs_unwind_opts o;
	hvs_unwind_ctx c;
	hvs_unwind_end end;
	size_t n = 0, i, k;

	if (size < 6)
		return 0;
	memset(&u, 0, sizeof u);
	uwi_headers(&u, data[0] % 65u);
	k = size - 6 < UWI_SIZE - 0x1000 ? size - 6 : UWI_SIZE - 0x1000;
	memcpy(u.img + 0x1000, data + 6, k);
	if (size - 6 > k) {
		size_t s = size - 6 - k;

		memcpy(u.stack, data + 6 + k, s < UWI_STACK_SIZE ? s : UWI_STACK_SIZE);
	}
	memset(&o, 0, sizeof o);
	o.no_fallback = data[4] & 1;
	o.no_image_search = (data[4] >> 1) & 1;
	if (hvs_unwind_new(&w, uwi_read, &u, &o) != HVS_OK)
		return 0;
	if (data[4] & 2)
		ASSERT(hvs_unwind_add_module(w, "synth", UWI_BASE, 0) == HVS_OK);
	memset(&c, 0, sizeof c);
	c.rip = UWI_BASE + ((uint32_t)data[1] | (uint32_t)data[2] << 8) % UWI_SIZE;
	c.gpr[HVS_UNWIND_RSP] = UWI_STACK + 8u * data[3] % UWI_STACK_SIZE;
	c.gpr[HVS_UNWIND_RBP] = UWI_STACK + 8u * data[5] % UWI_STACK_SIZE;
	c.gpr_known = 0xFFFF;
	c.xmm_known = 0xFFFF;
	ASSERT(hvs_unwind_walk(w, &c, f, 64, &n, &end) == HVS_OK);
	ASSERT(n >= 1 && n <= 64);
	ASSERT(end <= HVS_UNWIND_END_NOFRAME);
	ASSERT(hvs_unwind_errmsg(w) != NULL);
	for (i = 1; i < n; i++) {
		if (f[i].how != HVS_UNWIND_MACHFRAME)
			ASSERT(f[i].rsp > f[i - 1].rsp);
		ASSERT(f[i - 1].ret == f[i].rip);
		ASSERT(f[i].rip != 0);
	}
	hvs_unwind_free(w);
	return 0;
}
