/* SPDX-License-Identifier: MIT */
/*
 * Saved-state read throughput (src/vmrs through hvs_image):
 *
 *   bench_savedstate [GiB] [dir] [--keep]   (default 4 GiB in /tmp)
 *
 * --keep leaves the two files in place and reuses them on the next run
 * (for repeated measurements on a busy machine).
 *
 * Writes two saved states of GiB guest RAM with the saved-state writer
 * (layout [0, GiB - 1) + [4 GiB, 5 GiB): an MMIO gap below 4 GiB), one
 * with raw 1 MiB RamBlocks, one with token-stream blocks (fill, XPRESS and
 * raw pages), then for each reports:
 *   - open time;
 *   - sequential guest-physical reads (1 MiB at a time) in MB/s of output
 *     (1 MB = 10^6 bytes), against reading the file itself with fread;
 *   - the same against a fair baseline: the file read with the library's
 *     own file source (pread) 1 MiB at a time into the same buffer, just
 *     before and just after in the same process (the better counts), and
 *     the ratio of the two;
 *   - random 4 KiB reads (uniform over the ranges) in reads/s and MB/s,
 *     against as many 4 KiB preads at random page offsets of the file
 *     into the same buffer, and the ratio;
 *   - peak RSS of a reader process for cache limits 0, 8 and 64 blocks.
 * Each read phase runs in a child process (this program re-executed with
 * "--read") so that its peak RSS is its own.  The files are deleted at the
 * end.  Guest page content: 30% zero, 50% text/code-like, 20% random.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "hvs/hvs.h"

static uint64_t rng_state = 0x243F6A8885A308D3ull;
/* Two ranges around a 1 GiB gap below 4 GiB. */
static int write_state(const char *path, uint64_t gib, hvs_vmrs_encoding enc)
{
	const uint64_t r[2][2] = { { 0, (gib - 1) << 30 }, { 4ull << 30, 1ull << 30 } };
	return bench_write_state(path, r, 2, enc);
}

/* Sequential fread of the whole file: the reference speed. */
static void file_speed(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 20];
	uint64_t total = 0;
	size_t n;
	double t0 = bench_now(), dt;
	if (!f)
		return;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		total += n;
	fclose(f);
	dt = bench_now() - t0;
	printf("  file fread:           %8.0f MB/s (%.2f GB in %.2f s)\n", total / dt / 1e6,
	       total / 1e9, dt);
}

/*
 * Baseline for the reader phase: read @path with hvs_source_open_file (pread
 * on POSIX, the same call the library's reads end in) into @buf, either
 * sequentially 1 MiB at a time (@nrand 0: returns MB/s) or as @nrand 4 KiB
 * reads at random page offsets (returns reads/s).  -1 on error.
 */
static double file_baseline(const char *path, uint8_t *buf, unsigned nrand)
{
	hvs_source src;
	uint64_t size, off, total = 0, s = rng_state ^ 0x5DEECE66Dull;
	double t0, dt;
	unsigned i;
	if (hvs_source_open_file(&src, path) != HVS_OK)
		return -1;
	size = src.size(src.ud);
	t0 = bench_now();
	if (nrand == 0) {
		for (off = 0; off < size; off += 1 << 20) {
			size_t done = 0, n = size - off < (1u << 20) ? (size_t)(size - off) : 1u << 20;
			src.read_at(src.ud, off, buf, n, &done);
			total += done;
		}
	} else if (size >= 4096) {
		for (i = 0; i < nrand; i++) {
			size_t done = 0;
			src.read_at(src.ud, (bench_rnd(&s) % (size / 4096)) * 4096, buf, 4096, &done);
			total += done;
		}
	}
	dt = bench_now() - t0;
	hvs_source_close(&src);
	if (dt <= 0)
		return -1;
	return nrand ? nrand / dt : total / dt / 1e6;
}

/* The reader phase, in its own process: open, sequential, random. */
static int read_phase(const char *path, uint64_t limit, int full)
{
	hvs_image *img;
	hvs_image_opts o;
	char err[HVS_ERRMSG_MAX] = "";
	const hvs_mem_range *r;
	size_t nr, i;
	uint8_t *buf = malloc(1 << 20);
	double t0, dt;
	uint64_t total = 0, rss0;
	uint64_t s = rng_state;
	const unsigned nrand = 20000;
	double base_seq = 0, base_rand, mbs, rps;

	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	rss0 = bench_cur_rss();
	t0 = bench_now();
	if (!buf || hvs_image_open(&img, path, &o) != HVS_OK) {
		fprintf(stderr, "open %s: %s\n", path, err);
		return 1;
	}
	dt = bench_now() - t0;
	hvs_image_set_cache_limit(img, limit);
	if (full)
		printf("  open:                 %8.2f ms\n", dt * 1e3);
	nr = hvs_image_range_count(img);
	r = hvs_image_ranges(img);
	if (full) {
		base_seq = file_baseline(path, buf, 0);
		t0 = bench_now();
		for (i = 0; i < nr; i++) {
			uint64_t a;
			for (a = r[i].gpa; a < r[i].gpa + r[i].size; a += 1 << 20) {
				size_t done = 0;
				if (hvs_image_read(img, HVS_SPACE_GPA, a, buf, 1 << 20, &done) != HVS_OK) {
					fprintf(stderr, "read 0x%llx: %s\n", (unsigned long long)a,
						hvs_image_errmsg(img));
					return 1;
				}
				total += done;
			}
		}
		dt = bench_now() - t0;
		mbs = total / dt / 1e6;
		/* Best of just before and just after: the first pass may warm caches. */
		base_rand = file_baseline(path, buf, 0);
		if (base_rand > base_seq)
			base_seq = base_rand;
		printf("  file pread 1 MiB:     %8.0f MB/s (same buffer, best of before/after)\n",
		       base_seq);
		printf("  sequential 1 MiB:     %8.0f MB/s (%.2f GB in %.2f s) = %.2f x file pread\n",
		       mbs, total / 1e9, dt, base_seq > 0 ? mbs / base_seq : 0.0);
	}
	base_rand = file_baseline(path, buf, nrand);
	t0 = bench_now();
	for (i = 0; i < nrand; i++) {
		const hvs_mem_range *q = &r[bench_rnd(&s) % nr];
		uint64_t a = q->gpa + (bench_rnd(&s) % (q->size / 4096)) * 4096;
		size_t done;
		if (hvs_image_read(img, HVS_SPACE_GPA, a, buf, 4096, &done) != HVS_OK) {
			fprintf(stderr, "read: %s\n", hvs_image_errmsg(img));
			return 1;
		}
	}
	dt = bench_now() - t0;
	rps = nrand / dt;
	printf("  random 4 KiB, cache %3llu: %8.0f reads/s (%6.1f MB/s) = %.2f x file pread "
	       "(%.0f reads/s), peak RSS %6.1f MiB (+%.1f MiB over start)\n",
	       (unsigned long long)limit, rps, nrand * 4096.0 / dt / 1e6,
	       base_rand > 0 ? rps / base_rand : 0.0, base_rand, bench_peak_rss() / 1048576.0,
	       (bench_peak_rss() - rss0) / 1048576.0);
	fflush(stdout);
	hvs_image_close(img);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t gib = 4;
	const char *dir = "/tmp";
	char raw[1024], cmp[1024], cmd[4096];
	const char *paths[2];
	static const uint64_t limits[] = { 0, 8, 64 };
	int v, keep = argc >= 4 && strcmp(argv[3], "--keep") == 0;
	size_t k;
	FILE *probe;

	if (argc >= 2 && strcmp(argv[1], "--read") == 0 && argc == 5)
		return read_phase(argv[2], strtoull(argv[3], NULL, 0), atoi(argv[4]));
	if (argc >= 2)
		gib = strtoull(argv[1], NULL, 0);
	if (argc >= 3)
		dir = argv[2];
	if (gib < 2 || gib > 64) {
		fprintf(stderr, "GiB must be 2..64\n");
		return 2;
	}
	snprintf(raw, sizeof raw, "%s/bench_ss_raw.vmrs", dir);
	snprintf(cmp, sizeof cmp, "%s/bench_ss_cmp.vmrs", dir);
	paths[0] = raw;
	paths[1] = cmp;
	probe = keep ? fopen(cmp, "rb") : NULL;
	if (probe)
		fclose(probe);   /* kept from an earlier --keep run: reuse */
	else if (write_state(raw, gib, HVS_VMRS_ENC_RAW) ||
		 write_state(cmp, gib, HVS_VMRS_ENC_MIXED))
		goto out;
	for (v = 0; v < 2; v++) {
		printf("%s:\n", v ? "token-stream blocks" : "raw blocks");
		file_speed(paths[v]);
		for (k = 0; k < sizeof limits / sizeof limits[0]; k++) {
			snprintf(cmd, sizeof cmd, "\"%s\" --read \"%s\" %llu %d", argv[0], paths[v],
				 (unsigned long long)limits[k], k == 2);
			fflush(stdout);
			if (system(cmd) != 0)
				fprintf(stderr, "reader phase failed\n");
		}
	}
out:
	if (!keep) {
		remove(raw);
		remove(cmp);
	}
	return 0;
}
