/* SPDX-License-Identifier: MIT */
/*
 * XPRESS and RamBlock decoding throughput (src/codec), in MB/s of output
 * per core (1 MB = 10^6 bytes), against a raw-copy baseline:
 *
 *   bench_codec [seconds-per-case] [path/to/test_file.bin]
 *
 * Page flavours: text-like, code-like (x86 idioms), mostly zero (a few
 * islands, as in a sparsely used page) and random (all literals: the worst
 * case; Hyper-V would store such a page raw).  When the sample .bin is
 * given (or found in ../shared/samples), its 185 real XPRESS pages and 252
 * blocks are timed too.  Build RelWithDebInfo or Release for real figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "codec/codec.h"
#include "hvs/common.h"
#include "util/util.h"
#include "vmrs/legacy_bin.h"

#define NPAGES 64

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* Fill one page of the given flavour. */
static void gen_page(uint8_t *p, int flavour)
{
	static const char *words[] = { "struct ", "return ", "memory ", "the ",
				       "if (", "static ", "int ", "= 0;\n\t",
				       "page", "_t *", "->next", "NULL" };
	static const uint8_t code[][8] = {
		{ 0x48, 0x89, 0x5c, 0x24, 0x08, 0x57, 0x48, 0x83 },
		{ 0xec, 0x20, 0x48, 0x8b, 0xf9, 0xe8, 0x00, 0x00 },
		{ 0x85, 0xc0, 0x74, 0x0a, 0x48, 0x8b, 0xcf, 0xff },
		{ 0x15, 0x00, 0x00, 0x00, 0x00, 0x33, 0xc0, 0xc3 },
		{ 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc } };
	size_t i = 0;
	switch (flavour) {
	case 0:
		while (i < 4096) {
			const char *w = words[rnd() % 12];
			for (; *w && i < 4096; w++)
				p[i++] = (uint8_t)*w;
		}
		break;
	case 1:
		while (i < 4096) {
			const uint8_t *w = code[rnd() % 5];
			size_t n = 3 + rnd() % 6;
			for (size_t j = 0; j < n && i < 4096; j++)
				p[i++] = w[j];
			if (i < 4096 && rnd() % 2)
				p[i++] = (uint8_t)rnd(); /* displacement/immediate */
		}
		break;
	case 2:
		memset(p, 0, 4096);
		for (int k = 0; k < 8; k++) {
			size_t at = rnd() % 4000;
			for (int j = 0; j < 24; j++)
				p[at + (size_t)j] = (uint8_t)rnd();
		}
		break;
	default:
		for (; i < 4096; i++)
			p[i] = (uint8_t)rnd();
		break;
	}
}

/* The machine is shared: figures use this thread's CPU time (not wall
 * time, which counts other processes' slices) and are the best of many
 * short trials (the least disturbed by cache sharing), within @secs. */
#define TRIALS 25

static double cpu_now(void)
{
	return bench_thread_cpu();
}

/* Time repeated XPRESS decompression of @n pages; returns MB/s. */
static double time_xpress(uint8_t **c, const size_t *clen, size_t n,
			  double secs)
{
	static uint8_t out[4096];
	double best = 0;
	for (int trial = 0; trial < TRIALS; trial++) {
		double t0 = cpu_now(), t;
		uint64_t bytes = 0;
		do {
			for (size_t i = 0; i < n; i++) {
				if (hvs__xpress_decompress(c[i], clen[i], out, 4096,
							   NULL) != HVS_OK) {
					fprintf(stderr, "decode failed\n");
					exit(1);
				}
				bytes += 4096;
			}
			t = cpu_now() - t0;
		} while (t < secs / TRIALS);
		if ((double)bytes / t / 1e6 > best)
			best = (double)bytes / t / 1e6;
	}
	return best;
}

/* memcpy of the same pages: what a raw page costs. */
static double time_copy(uint8_t **pages, size_t n, double secs)
{
	static uint8_t out[4096];
	volatile uint8_t sink = 0;
	double best = 0;
	for (int trial = 0; trial < TRIALS; trial++) {
		double t0 = cpu_now(), t;
		uint64_t bytes = 0;
		do {
			for (size_t i = 0; i < n; i++) {
				memcpy(out, pages[i], 4096);
				sink = (uint8_t)(sink + out[i]);
				bytes += 4096;
			}
			t = cpu_now() - t0;
		} while (t < secs / TRIALS);
		if ((double)bytes / t / 1e6 > best)
			best = (double)bytes / t / 1e6;
	}
	return best;
}

/* Time whole-block decodes of @nstreams streams; returns MB/s. */
static double time_blocks(uint8_t **s, const size_t *slen, size_t n,
			  double secs, uint8_t *out)
{
	double best = 0;
	for (int trial = 0; trial < TRIALS; trial++) {
		double t0 = cpu_now(), t;
		uint64_t bytes = 0;
		size_t i = 0;
		do {
			if (hvs__ramblock_decode(s[i], slen[i], out, 0, NULL, NULL) !=
			    HVS_OK) {
				fprintf(stderr, "block decode failed\n");
				exit(1);
			}
			bytes += HVS__RAMBLOCK_SIZE;
			i = (i + 1) % n;
			t = cpu_now() - t0;
		} while (t < secs / TRIALS);
		if ((double)bytes / t / 1e6 > best)
			best = (double)bytes / t / 1e6;
	}
	return best;
}

/* Collect the XPRESS page payloads of a token stream (format.md 4.1). */
static size_t collect_xpress(const uint8_t *s, size_t len, uint8_t **c,
			     size_t *clen, size_t n, size_t max)
{
	size_t ip = 0;
	while (ip + 4 <= len && n < max) {
		uint32_t t = hvs__le32(s + ip);
		if (t == HVS__RB_TOK_END)
			break;
		if (t == HVS__RB_TOK_FILL) {
			ip += 12;
		} else if (t == HVS__RB_TOK_FILL_RUN) {
			ip += 16;
		} else if (t >= 1 && t <= 4096 && ip + 4 + t <= len) {
			if (t < 4096) {
				c[n] = malloc(t);
				memcpy(c[n], s + ip + 4, t);
				clen[n++] = t;
			}
			ip += 4 + t;
		} else {
			break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "text-like", "code-like", "mostly-zero",
				       "random" };
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	const char *sample = argc > 2 ? argv[2] : "../shared/samples/test_file.bin";
	uint8_t *pages[NPAGES], *c[NPAGES];
	size_t clen[NPAGES];
	uint8_t *blk = malloc(HVS__RAMBLOCK_SIZE), *out = malloc(HVS__RAMBLOCK_SIZE);

	if (!blk || !out)
		return 1;
	if (secs <= 0)
		secs = 1.0;
	printf("XPRESS page decompression, MB/s of output (1 core, %zu pages each)\n",
	       (size_t)NPAGES);
	printf("%-14s %10s %12s %12s\n", "pages", "ratio", "xpress MB/s", "memcpy MB/s");
	for (int fl = 0; fl < 4; fl++) {
		size_t total = 0;
		for (size_t i = 0; i < NPAGES; i++) {
			pages[i] = malloc(4096);
			c[i] = malloc(hvs__xpress_bound(4096));
			gen_page(pages[i], fl);
			if (hvs__xpress_compress(pages[i], 4096, c[i],
						 hvs__xpress_bound(4096), &clen[i]) != HVS_OK)
				return 1;
			total += clen[i];
		}
		printf("%-14s %10.3f %12.0f %12.0f\n", names[fl],
		       (double)total / (NPAGES * 4096.0),
		       time_xpress(c, clen, NPAGES, secs), time_copy(pages, NPAGES, secs));
		for (size_t i = 0; i < NPAGES; i++) {
			free(pages[i]);
			free(c[i]);
		}
	}

	/* A synthetic block: half zero fills, a quarter text, a quarter code. */
	{
		uint8_t *s = malloc(HVS__RAMBLOCK_ENCODE_BOUND);
		size_t slen;
		for (unsigned p = 0; p < 256; p++) {
			if (p % 2 == 0)
				memset(blk + (size_t)p * 4096, 0, 4096);
			else
				gen_page(blk + (size_t)p * 4096, p % 4 == 1 ? 0 : 1);
		}
		if (!s || hvs__ramblock_encode(blk, NULL, s, HVS__RAMBLOCK_ENCODE_BOUND,
					       &slen) != HVS_OK)
			return 1;
		printf("\nRamBlock decode, synthetic block (128 fills, 128 XPRESS): "
		       "%.0f MB/s\n",
		       time_blocks(&s, &slen, 1, secs, out));
		free(s);
	}

	/* The real sample, when available. */
	{
		hvs_source src;
		hvs__legacy_bin *b = NULL;
		static uint8_t *streams[252], *xc[256];
		static size_t slens[252], xlens[256];
		size_t nx = 0, ns = 0;
		if (hvs_source_open_file(&src, sample) != HVS_OK) {
			printf("\n(sample %s absent: real-data figures skipped)\n", sample);
			return 0;
		}
		if (hvs__legacy_bin_open(&b, &src, NULL) != HVS_OK)
			return 1;
		for (size_t i = 0; i < b->nblocks && ns < 252; i++) {
			const uint8_t *d;
			size_t l;
			if (hvs__legacy_bin_stream(b, b->blocks[i].n, &d, &l) != HVS_OK)
				return 1;
			streams[ns] = malloc(l);
			memcpy(streams[ns], d, l);
			slens[ns++] = l;
			nx = collect_xpress(d, l, xc, xlens, nx, 256);
		}
		printf("sample: %zu real XPRESS pages: %.0f MB/s\n", nx,
		       time_xpress(xc, xlens, nx, secs));
		printf("sample: %zu blocks (252 MiB, 99.7%% fills) decode: %.0f MB/s\n",
		       ns, time_blocks(streams, slens, ns, secs, out));
		hvs__legacy_bin_close(b);
		hvs_source_close(&src);
		for (size_t i = 0; i < ns; i++)
			free(streams[i]);
		for (size_t i = 0; i < nx; i++)
			free(xc[i]);
	}
	free(blk);
	free(out);
	return 0;
}
