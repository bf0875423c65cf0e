/* SPDX-License-Identifier: MIT */
/*
 * Benchmark: write a multi-gigabyte HyperVStorage container with the
 * streaming writer, then open it and walk its key tree.
 *
 * It writes two files with the SAME keys (the same number of key-table
 * entries and file objects):
 *   big:   N RamBlock<i> values of 1 MiB each (N = size / 1 MiB), like the
 *          RAM of a saved VM (format.md 3.3), plus the small keys;
 *   small: N RamBlock<i> values of 4 KiB each, plus the same small keys.
 * Open and walk times and the memory the open store holds should be
 * about equal for both: the reader's cost is proportional to the keys,
 * not to the value bytes (include/hvs/store.h).  The write side shows the
 * writer's throughput and that its memory does not grow with the data.
 *
 *   bench_store_open [-s MiB] [-k small_keys] [-o dir] [--keep]
 *   defaults: -s 4096 -k 4000 -o /tmp
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "hvs/hvs.h"

#define MIB (1024.0 * 1024.0)

typedef struct wstats {
	double seconds;
	uint64_t bytes;
	uint64_t rss_before, rss_after;
} wstats;

/* Write the container; RamBlocks of @block bytes each. */
static int write_file(const char *path, uint32_t nblocks, uint32_t block,
		      uint32_t nsmall, wstats *ws)
{
	hvs_store_writer *w = NULL;
	hvs_store_writer_opts o;
	char err[HVS_ERRMSG_MAX] = "", name[64];
	uint32_t ss, cfg, grp = 0, i;
	uint8_t *buf;
	const uint32_t piece = 256 * 1024;
	double t0;
	hvs_status s;

	buf = malloc(piece);
	if (!buf)
		return -1;
	for (i = 0; i < piece; i++)
		buf[i] = (uint8_t)(i * 131u + 7u);
	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	ws->rss_before = bench_cur_rss();
	t0 = bench_now();
	s = hvs_store_writer_create(&w, path, &o);
	if (s != HVS_OK) {
		fprintf(stderr, "create %s: %s\n", path, err);
		free(buf);
		return -1;
	}
	s = hvs_store_writer_add_node(w, HVS_WRITER_ROOT, "configuration", &cfg);
	/* Small keys of every kind, in groups of 50 under nodes. */
	for (i = 0; s == HVS_OK && i < nsmall; i++) {
		if (i % 50 == 0) {
			snprintf(name, sizeof name, "group%u", i / 50);
			s = hvs_store_writer_add_node(w, cfg, name, &grp);
			if (s != HVS_OK)
				break;
		}
		snprintf(name, sizeof name, "setting%u", i);
		switch (i % 4) {
		case 0: s = hvs_store_writer_add_uint(w, grp, name, i); break;
		case 1: s = hvs_store_writer_add_string(w, grp, name, "a value string"); break;
		case 2: s = hvs_store_writer_add_bool(w, grp, name, (int)(i & 1)); break;
		default: s = hvs_store_writer_add_array(w, grp, name, buf, 48); break;
		}
	}
	if (s == HVS_OK)
		s = hvs_store_writer_add_node(w, HVS_WRITER_ROOT, "savedstate", &ss);
	for (i = 0; s == HVS_OK && i < nblocks; i++) {
		uint32_t done = 0;
		uint8_t desc[48] = { 0 };
		/* A RamMemoryBlock-like 48-byte descriptor, then the data. */
		desc[0] = (uint8_t)i;
		snprintf(name, sizeof name, "RamMemoryBlock%u", i);
		s = hvs_store_writer_add_array(w, ss, name, desc, sizeof desc);
		snprintf(name, sizeof name, "RamBlock%u", i);
		if (s == HVS_OK)
			s = hvs_store_writer_array_begin(w, ss, name, block);
		while (s == HVS_OK && done < block) {
			uint32_t n = block - done < piece ? block - done : piece;
			buf[0] = (uint8_t)i;
			s = hvs_store_writer_array_write(w, buf, n);
			done += n;
		}
		if (s == HVS_OK)
			s = hvs_store_writer_array_end(w);
	}
	if (s == HVS_OK)
		s = hvs_store_writer_finish(w);
	ws->rss_after = bench_cur_rss();
	if (s != HVS_OK)
		fprintf(stderr, "write %s: %s\n", path, hvs_store_writer_errmsg(w));
	hvs_store_writer_close(w);
	ws->seconds = bench_now() - t0;
	ws->bytes = (uint64_t)nblocks * block;
	free(buf);
	return s == HVS_OK ? 0 : -1;
}

/* Visit every key: name, type, size; read small values. */
static uint64_t walk(hvs_store *st, const hvs_key *k, uint64_t *bytes)
{
	size_t i, n = hvs_key_child_count(k);
	uint64_t count = 1;
	uint64_t vs = hvs_key_value_size(k);
	uint8_t small[64];
	(void)hvs_key_name(k);
	if (hvs_key_get_type(k) != HVS_KEY_NODE && hvs_key_get_type(k) != HVS_KEY_ROOT &&
	    vs <= sizeof small && vs)
		if (hvs_key_read(st, k, 0, small, (size_t)vs, NULL) == HVS_OK)
			*bytes += vs;
	for (i = 0; i < n; i++)
		count += walk(st, hvs_key_child(k, i), bytes);
	return count;
}

typedef struct ostats {
	double open_s, walk_s;
	uint64_t keys, rss_held, small_bytes, rss_start, rss_peak;
	int ok;
} ostats;

static int open_here(const char *path, ostats *os)
{
	hvs_store *st = NULL;
	hvs_open_opts o;
	char err[HVS_ERRMSG_MAX] = "";
	uint64_t rss0;
	double t0, t1;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	rss0 = bench_cur_rss();
	t0 = bench_now();
	if (hvs_store_open_file(&st, path, &o) != HVS_OK) {
		fprintf(stderr, "open %s: %s\n", path, err);
		return -1;
	}
	t1 = bench_now();
	os->small_bytes = 0;
	os->keys = walk(st, hvs_store_root(st), &os->small_bytes) - 1;
	os->walk_s = bench_now() - t1;
	os->open_s = t1 - t0;
	os->rss_held = bench_cur_rss() - rss0;
	os->rss_start = rss0;
	os->rss_peak = bench_peak_rss();
	hvs_store_close(st);
	return 0;
}

/* Open in a fresh child process, so that its RSS and peak RSS belong to
 * this open alone (malloc would otherwise reuse an earlier open's
 * memory and hide it). */
static int open_file(const char *path, ostats *os)
{
	int fds[2], status = 0;
	pid_t pid;
	memset(os, 0, sizeof *os);
	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		ostats c;
		memset(&c, 0, sizeof c);
		c.ok = open_here(path, &c) == 0;
		if (write(fds[1], &c, sizeof c) != (ssize_t)sizeof c)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], os, sizeof *os) != (ssize_t)sizeof *os)
		os->ok = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return os->ok ? 0 : -1;
}

/* Best of three opens (first run's memory figures). */
static int best_open(const char *path, ostats *best)
{
	int r;
	if (open_file(path, best) != 0)
		return -1;
	for (r = 1; r < 3; r++) {
		ostats o;
		if (open_file(path, &o) != 0)
			return -1;
		if (o.open_s < best->open_s)
			best->open_s = o.open_s;
		if (o.walk_s < best->walk_s)
			best->walk_s = o.walk_s;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t mib = 4096;
	uint32_t nsmall = 4000, nblocks;
	const char *dir = "/tmp";
	int keep = 0, i;
	char big[4096], small[4096];
	wstats wb, wsm;
	ostats ob, osm;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			mib = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			nsmall = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else {
			fprintf(stderr, "usage: %s [-s MiB] [-k small_keys] [-o dir] [--keep]\n",
				argv[0]);
			return 2;
		}
	}
	if (mib == 0 || mib > 1024 * 1024) {
		fprintf(stderr, "size must be 1..1048576 MiB\n");
		return 2;
	}
	nblocks = (uint32_t)mib;
	snprintf(big, sizeof big, "%s/hvs_bench_big.vmrs", dir);
	snprintf(small, sizeof small, "%s/hvs_bench_small.vmrs", dir);
	printf("keys: %u small + %u RamMemoryBlock + %u RamBlock (+ %u nodes)\n",
	       nsmall, nblocks, nblocks, 2 + (nsmall + 49) / 50);

	if (write_file(small, nblocks, 4096, nsmall, &wsm) != 0 ||
	    write_file(big, nblocks, 1u << 20, nsmall, &wb) != 0) {
		remove(big);
		remove(small);
		return 1;
	}
	printf("write  %-6s %10.1f MiB in %7.2f s = %8.1f MiB/s  (RSS %.1f -> %.1f MiB)\n",
	       "small", (double)wsm.bytes / MIB, wsm.seconds,
	       (double)wsm.bytes / MIB / wsm.seconds, (double)wsm.rss_before / MIB,
	       (double)wsm.rss_after / MIB);
	printf("write  %-6s %10.1f MiB in %7.2f s = %8.1f MiB/s  (RSS %.1f -> %.1f MiB)\n",
	       "big", (double)wb.bytes / MIB, wb.seconds,
	       (double)wb.bytes / MIB / wb.seconds, (double)wb.rss_before / MIB,
	       (double)wb.rss_after / MIB);

	/* Open each file three times in fresh processes; keep the best
	 * times (the first open may read the key tables from disk, later
	 * ones from the page cache; the machine is shared). */
	if (best_open(small, &osm) != 0 || best_open(big, &ob) != 0) {
		if (!keep) {
			remove(big);
			remove(small);
		}
		return 1;
	}
	printf("open   %-6s %8llu keys: open %8.2f ms, walk %8.2f ms, store holds %7.2f MiB, "
	       "peak RSS %.1f MiB (%.1f at start)\n",
	       "small", (unsigned long long)osm.keys, osm.open_s * 1e3, osm.walk_s * 1e3,
	       (double)osm.rss_held / MIB, (double)osm.rss_peak / MIB,
	       (double)osm.rss_start / MIB);
	printf("open   %-6s %8llu keys: open %8.2f ms, walk %8.2f ms, store holds %7.2f MiB, "
	       "peak RSS %.1f MiB (%.1f at start)\n",
	       "big", (unsigned long long)ob.keys, ob.open_s * 1e3, ob.walk_s * 1e3,
	       (double)ob.rss_held / MIB, (double)ob.rss_peak / MIB,
	       (double)ob.rss_start / MIB);
	printf("value bytes ratio big/small = %.0f; open time ratio = %.2f\n",
	       (double)wb.bytes / (double)wsm.bytes, ob.open_s / osm.open_s);
	printf("peak RSS of the writing process: %.1f MiB\n", (double)bench_peak_rss() / MIB);
	if (!keep) {
		remove(big);
		remove(small);
	}
	return 0;
}
