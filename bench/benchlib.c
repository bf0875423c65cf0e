/* SPDX-License-Identifier: MIT */
/* Timing and memory figures for the benchmarks (Linux /proc and POSIX
 * clocks; on Windows QueryPerformanceCounter, GetThreadTimes and the
 * process memory counters). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#include <psapi.h>
#endif

#include "benchlib.h"

#ifdef _WIN32
double bench_now(void)
{
	LARGE_INTEGER f, c;
	QueryPerformanceFrequency(&f);
	QueryPerformanceCounter(&c);
	return (double)c.QuadPart / (double)f.QuadPart;
}

double bench_thread_cpu(void)
{
	FILETIME a, b, k, u;
	if (!GetThreadTimes(GetCurrentThread(), &a, &b, &k, &u))
		return 0;
	/* 100 ns units, kernel + user */
	return ((double)(((unsigned long long)k.dwHighDateTime << 32) | k.dwLowDateTime) +
		(double)(((unsigned long long)u.dwHighDateTime << 32) | u.dwLowDateTime)) /
	       1e7;
}

static uint64_t mem_counter(int peak)
{
	PROCESS_MEMORY_COUNTERS pmc;
	if (!K32GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
		return 0;
	return peak ? (uint64_t)pmc.PeakWorkingSetSize : (uint64_t)pmc.WorkingSetSize;
}

uint64_t bench_peak_rss(void)
{
	return mem_counter(1);
}

uint64_t bench_cur_rss(void)
{
	return mem_counter(0);
}
#else
double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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
#endif

uint64_t bench_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

void bench_fill_page(uint64_t gpa, uint8_t *p)
{
	static const char *words[] = { "struct ", "return ", "memory ", "the ", "if (",
				       "static ", "int ", "= 0;\n\t", "page", "_t *",
				       "->next", "NULL" };
	uint64_t s = gpa * 0x9E3779B97F4A7C15ull + 1, kind = bench_rnd(&s) % 10;
	size_t i = 0;
	if (kind < 3) {
		memset(p, 0, 4096);
	} else if (kind < 8) {
		while (i < 4096) {
			const char *w = words[bench_rnd(&s) % 12];
			for (; *w && i < 4096; w++)
				p[i++] = (uint8_t)*w;
		}
	} else {
		for (i = 0; i < 4096; i += 8) {
			uint64_t v = bench_rnd(&s);
			memcpy(p + i, &v, 8);
		}
	}
}

static hvs_status fill_cb(void *ud, uint64_t gpa, void *buf, size_t len)
{
	size_t off;
	(void)ud;
	/* Ranges and pieces are page-aligned (the writer asks <= 1 MiB). */
	for (off = 0; off < len; off += 4096)
		bench_fill_page(gpa + off, (uint8_t *)buf + off);
	return HVS_OK;
}

int bench_write_state(const char *path, const uint64_t (*ranges)[2], size_t n,
		      hvs_vmrs_encoding enc)
{
	hvs_vmrs_writer *w = NULL;
	hvs_vmrs_writer_opts o;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_regval cr3 = { 0x1000, 0 };
	hvs_status s;
	size_t i;
	double t0 = bench_now();
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.encoding = enc;
	s = hvs_vmrs_writer_create(&w, path, &o);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_add_vp(w, 0, 1);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_set_reg(w, 0, 0, HVS_REG_X64_CR3, &cr3);
	for (i = 0; s == HVS_OK && i < n; i++)
		s = hvs_vmrs_writer_add_range(w, ranges[i][0], ranges[i][1]);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_write_memory_cb(w, fill_cb, NULL);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_finish(w);
	if (s != HVS_OK)
		fprintf(stderr, "write %s: %s %s\n", path, err, w ? hvs_vmrs_writer_errmsg(w) : "");
	hvs_vmrs_writer_close(w);
	if (s == HVS_OK)
		printf("wrote %s (%s) in %.1f s\n", path,
		       enc == HVS_VMRS_ENC_RAW ? "raw blocks" : "XPRESS token streams",
		       bench_now() - t0);
	return s == HVS_OK ? 0 : -1;
}
