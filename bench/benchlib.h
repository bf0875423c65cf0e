/* SPDX-License-Identifier: MIT */
/* Timing and peak-memory helpers for the benchmarks. */
#ifndef HVS_BENCHLIB_H
#define HVS_BENCHLIB_H
#include <stddef.h>
#include <stdint.h>

#include "hvs/hvs.h"

/* Monotonic time in seconds. */
double bench_now(void);
/* CPU time of the calling thread in seconds. */
double bench_thread_cpu(void);
/* Peak resident set size of this process in bytes (0 if unknown). */
uint64_t bench_peak_rss(void);
/* Current resident set size in bytes (0 if unknown). */
uint64_t bench_cur_rss(void);
/* xorshift64* step: the benchmarks' deterministic pseudo-random numbers. */
uint64_t bench_rnd(uint64_t *s);
/*
 * Deterministic content of the guest page at @gpa (4096 bytes): 30% zero
 * pages, 50% text/code-like words, 20% random, so that XPRESS blocks
 * compress like real guest memory rather than like zeros or noise.
 */
void bench_fill_page(uint64_t gpa, uint8_t *p);
/*
 * Write a one-VP x64 saved state (CR3 0x1000) of @n guest-physical ranges
 * {gpa, size} filled by bench_fill_page, with RamBlocks in @enc, and print
 * how long it took.  Returns 0, or -1 after printing the writer's message.
 */
int bench_write_state(const char *path, const uint64_t (*ranges)[2], size_t n,
		      hvs_vmrs_encoding enc);
#endif
