/* SPDX-License-Identifier: MIT */
/* Timing and memory figures for the benchmarks (Linux /proc; POSIX clock). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t kb = 0;
	size_t n = strlen(key);
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, n) == 0) {
			unsigned long long v = 0;
			if (sscanf(line + n, " %llu", &v) == 1)
				kb = v;
			break;
		}
	}
	fclose(f);
	return kb * 1024;
}

uint64_t bench_peak_rss(void)
{
	return status_kb("VmHWM:");
}

uint64_t bench_cur_rss(void)
{
	return status_kb("VmRSS:");
}
