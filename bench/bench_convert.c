/* SPDX-License-Identifier: MIT */
/*
 * Conversion throughput (hvs_convert, src/convert):
 *
 *   bench_convert [GiB] [dir] [--keep]     (default 8 GiB in /tmp)
 *
 * Writes two saved states of GiB guest RAM in @dir (layout [0, 3 GiB)
 * + [4 GiB, GiB + 1 GiB): an MMIO gap below 4 GiB), one with raw 1 MiB RamBlocks, one with XPRESS page
 * tokens (content: 30% zero pages, 50% text/code-like, 20% random), then,
 * on the same disk and in the same run:
 *   - baselines: `cat FILE >/dev/null` and `cp FILE DIR/copy` (after
 *     `sync`), for each input;
 *   - each input converted to raw, ELF, vmrs and a full crash dump (after `sync`; each in a
 *     child process so that its peak RSS is its own), reporting seconds,
 *     GB/s of guest memory (1 GB = 10^9 bytes), the ratio to the copy rate
 *     and the child's peak RSS;
 *   - XPRESS -> raw with 1 and with 2 decoding workers, and the decoder
 *     alone (blocks read with pread, decoded with hvs__ramblock_decode on
 *     1 and 2 threads, nothing written): the scaling of the decode stage.
 * Outputs are deleted after each step; --keep keeps the inputs for the
 * next run.
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "codec/codec.h"
#include "hvs/hvs.h"
#include "vmrs/bulk.h"

/* [0, 3 GiB) and [4 GiB, GiB + 1 GiB): an MMIO gap below 4 GiB. */
static int write_state(const char *path, uint64_t gib, hvs_vmrs_encoding enc)
{
	const uint64_t r[2][2] = { { 0, 3ull << 30 }, { 4ull << 30, (gib - 3) << 30 } };
	return bench_write_state(path, r, 2, enc);
}

static uint64_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Run a shell command and time it (after `sync` when @sync_first). */
static double timed_shell(const char *cmd, int sync_first)
{
	double t0;
	if (sync_first && system("sync") != 0)
		return -1;
	t0 = bench_now();
	if (system(cmd) != 0)
		return -1;
	return bench_now() - t0;
}

/* The copy-rate baselines of @in; returns cp's bytes/s. */
static double baselines(const char *in, const char *dir)
{
	char cmd[4096];
	double t, size = (double)file_size(in), cp;
	snprintf(cmd, sizeof cmd, "cat '%s' >/dev/null", in);
	t = timed_shell(cmd, 0);
	printf("  cat FILE >/dev/null      %6.2f s  %6.2f GB/s of file\n", t, size / t / 1e9);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s/bench-copy'", in, dir);
	t = timed_shell(cmd, 1);
	cp = size / t;
	printf("  cp FILE DIR/             %6.2f s  %6.2f GB/s of file\n", t, cp / 1e9);
	snprintf(cmd, sizeof cmd, "%s/bench-copy", dir);
	unlink(cmd);
	return cp;
}

/*
 * Convert @in to @fmt in a child; print time, guest GB/s, ratio to @cp
 * (bytes of guest memory per second over cp's bytes of file per second)
 * and peak RSS.  Returns the guest-memory rate.
 */
static double one(const char *in, const char *dir, hvs_convert_format fmt, unsigned workers,
		  double cp, const char *label)
{
	char out[2048];
	int fds[2];
	pid_t pid;
	double res[3] = { 0, 0, 0 };
	snprintf(out, sizeof out, "%s/bench-out.%s", dir, hvs_convert_format_name(fmt));
	fflush(stdout);
	if (system("sync") != 0 || pipe(fds) != 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		hvs_image *img;
		hvs_convert_opts o;
		hvs_convert_result *r = NULL;
		char eb[HVS_ERRMSG_MAX];
		hvs_image_opts io;
		hvs_status s;
		memset(&io, 0, sizeof io);
		io.base.errbuf = eb;
		io.base.errbuf_size = sizeof eb;
		close(fds[0]);
		if (hvs_image_open(&img, in, &io) != HVS_OK) {
			fprintf(stderr, "open %s: %s\n", in, eb);
			_exit(1);
		}
		memset(&o, 0, sizeof o);
		o.flags = HVS_CONVERT_FORCE;
		o.workers = workers;
		s = hvs_convert(img, out, fmt, &o, &r);
		if (s != HVS_OK) {
			fprintf(stderr, "convert: %s\n", r ? r->errmsg : "?");
			_exit(1);
		}
		res[0] = r->seconds;
		res[1] = (double)r->memory_bytes;
		res[2] = (double)bench_peak_rss();
		if (write(fds[1], res, sizeof res) != (ssize_t)sizeof res)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res) != (ssize_t)sizeof res)
		res[0] = 0;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	{
		char side[2100];
		snprintf(side, sizeof side, "%s.json", out);
		unlink(out);
		unlink(side);
	}
	if (res[0] <= 0) {
		printf("  %-24s failed\n", label);
		return 0;
	}
	printf("  %-24s %6.2f s  %6.2f GB/s of guest memory  %.2fx cp  peak RSS %.1f MiB\n", label,
	       res[0], res[1] / res[0] / 1e9, res[1] / res[0] / cp, res[2] / 1048576.0);
	return res[1] / res[0];
}

/* ------------------------------------------------- decoder-only scaling */

typedef struct djob {
	const uint64_t *off, *len;
	size_t n, t, nt;
	int fd;
	uint64_t bytes;
} djob;

static void *decode_thread(void *arg)
{
	djob *j = arg;
	uint8_t *in = malloc(1u << 20), *out = malloc(1u << 20);
	size_t i;
	for (i = j->t; i < j->n; i += j->nt) {
		hvs__err e;
		if (pread(j->fd, in, (size_t)j->len[i], (off_t)j->off[i]) != (ssize_t)j->len[i])
			break;
		if (hvs__ramblock_decode(in, (size_t)j->len[i], out, j->off[i], NULL, &e) != HVS_OK)
			break;
		j->bytes += 1u << 20;
	}
	free(in);
	free(out);
	return NULL;
}

static double decode_only(const char *path, unsigned nt, size_t maxblocks)
{
	hvs_image *img;
	uint64_t *off, *len, nb = 0, b;
	djob j[2];
	pthread_t th[2];
	double t0, dt;
	uint64_t bytes = 0;
	unsigned k;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || hvs_image_open(&img, path, NULL) != HVS_OK)
		return 0;
	off = malloc(maxblocks * sizeof *off);
	len = malloc(maxblocks * sizeof *len);
	for (b = 0; nb < maxblocks; b++) {
		hvs__blk bi;
		hvs_status s = hvs__ss_block_info(img, b, &bi);
		if (s == HVS_E_NODATA)
			break;
		if (s != HVS_OK || bi.kind != HVS__BLK_STREAM || bi.file_off == UINT64_MAX)
			continue;
		off[nb] = bi.file_off;
		len[nb] = bi.len;
		nb++;
	}
	t0 = bench_now();
	for (k = 0; k < nt; k++) {
		j[k] = (djob){ off, len, (size_t)nb, k, nt, fd, 0 };
		pthread_create(&th[k], NULL, decode_thread, &j[k]);
	}
	for (k = 0; k < nt; k++) {
		pthread_join(th[k], NULL);
		bytes += j[k].bytes;
	}
	dt = bench_now() - t0;
	free(off);
	free(len);
	close(fd);
	hvs_image_close(img);
	return (double)bytes / dt;
}

int main(int argc, char **argv)
{
	uint64_t gib = 8;
	const char *dir = "/tmp";
	int keep = 0, i;
	char raw[2048], xp[2048];
	double cp_raw, cp_xp, w1, w2, d1, d2;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else if (argv[i][0] >= '0' && argv[i][0] <= '9')
			gib = strtoull(argv[i], NULL, 10);
		else
			dir = argv[i];
	}
	if (gib < 4)
		gib = 4;
	snprintf(raw, sizeof raw, "%s/bench-convert-raw-%llu.vmrs", dir, (unsigned long long)gib);
	snprintf(xp, sizeof xp, "%s/bench-convert-xpress-%llu.vmrs", dir, (unsigned long long)gib);
	if (file_size(raw) == 0 && write_state(raw, gib, HVS_VMRS_ENC_RAW) != 0)
		return 1;
	if (file_size(xp) == 0 && write_state(xp, gib, HVS_VMRS_ENC_XPRESS) != 0)
		return 1;
	printf("guest RAM %llu GiB; raw-block file %.2f GB, XPRESS file %.2f GB; %ld CPUs\n",
	       (unsigned long long)gib, file_size(raw) / 1e9, file_size(xp) / 1e9,
	       sysconf(_SC_NPROCESSORS_ONLN));

	printf("raw-block input:\n");
	cp_raw = baselines(raw, dir);
	one(raw, dir, HVS_CONVERT_RAW, 0, cp_raw, "-> raw");
	one(raw, dir, HVS_CONVERT_ELF, 0, cp_raw, "-> elf");
	one(raw, dir, HVS_CONVERT_VMRS, 0, cp_raw, "-> vmrs");
	one(raw, dir, HVS_CONVERT_DMP, 0, cp_raw, "-> dmp (full)");

	printf("XPRESS input:\n");
	cp_xp = baselines(xp, dir);
	w2 = one(xp, dir, HVS_CONVERT_RAW, 2, cp_xp, "-> raw (2 workers)");
	w1 = one(xp, dir, HVS_CONVERT_RAW, 1, cp_xp, "-> raw (1 worker)");
	one(xp, dir, HVS_CONVERT_ELF, 0, cp_xp, "-> elf");
	one(xp, dir, HVS_CONVERT_VMRS, 0, cp_xp, "-> vmrs");
	one(xp, dir, HVS_CONVERT_DMP, 0, cp_xp, "-> dmp (full)");
	if (w1 > 0)
		printf("  end-to-end scaling 1 -> 2 workers: %.2fx\n", w2 / w1);
	d1 = decode_only(xp, 1, 2048);
	d2 = decode_only(xp, 2, 2048);
	printf("  decoder alone (2 GiB of blocks, page cache): 1 thread %.2f GB/s, 2 threads "
	       "%.2f GB/s: %.2fx\n", d1 / 1e9, d2 / 1e9, d1 > 0 ? d2 / d1 : 0);
	if (!keep) {
		unlink(raw);
		unlink(xp);
	}
	return 0;
}
