/* SPDX-License-Identifier: MIT */
/*
 * The unwinder fixture's call chain (README.md): every function takes the
 * table of function pointers (filled in by hvs-uwgen from the export
 * tables) and a counter, and calls the next entry through the table, so
 * that the chain crosses the three modules without import tables.
 */
#ifndef UW_H
#define UW_H

struct uw_tab;
typedef long long (*uw_fn)(const struct uw_tab *t, long long x);

/* Indices of the chain: function i calls fn[i + 1]. */
enum {
	UW_A_MAIN, UW_B_C1, UW_C_PUSH, UW_A_C2, UW_B_LARGE16, UW_C_FP,
	UW_B_RAISE, UW_A_HUGE, UW_C_CHAIN, UW_C_RAISE_ERR, UW_B_C3, UW_A_LEAF,
	UW_COUNT
};

struct uw_tab {
	uw_fn fn[UW_COUNT];
};

/* Keep values in registers across a call (forces callee-saved registers
 * and their save/restore unwind codes). */
#define UW_KEEP(v) __asm__ volatile("" : "+r"(v))
#define UW_KEEPX(v) __asm__ volatile("" : "+x"(v))

#endif
