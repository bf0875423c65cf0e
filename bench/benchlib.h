/* SPDX-License-Identifier: MIT */
/* Timing and peak-memory helpers for the benchmarks. */
#ifndef HVS_BENCHLIB_H
#define HVS_BENCHLIB_H
#include <stdint.h>

/* Monotonic time in seconds. */
double bench_now(void);
/* Peak resident set size of this process in bytes (0 if unknown). */
uint64_t bench_peak_rss(void);
/* Current resident set size in bytes (0 if unknown). */
uint64_t bench_cur_rss(void);
#endif
