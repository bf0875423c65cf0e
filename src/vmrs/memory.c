/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM of a saved state (docs/format/savedstate.md "Memory";
 * format.md 3.2-3.4, 4.1):
 *
 *   RamMemoryBlock<N>  48-byte descriptors (40 for VM version 4.0), one per
 *                      guest-physical range: GPA pages [GpaIndexStart,
 *                      +PageCountTotal) hold RAM-sequence pages
 *                      [MbpIndexStart, +PageCountTotal);
 *   RamBlock<N>        1 MiB of the RAM sequence each: a value of exactly
 *                      1 MiB is raw, a shorter one is a token stream.
 *
 * Reads of raw blocks go straight to the file (hvs_key_read, no copy
 * through a cache); token streams are decoded whole into a small LRU
 * cache of 1 MiB blocks whose size the caller bounds
 * (SetMemoryBlockCacheLimit semantics, api.md 2.5), except that a read of
 * a whole uncached block is decoded straight into the caller's buffer and
 * small reads decode single pages through per-block page indexes that are
 * kept, so that a later small read fetches only its pages' tokens.  The
 * legacy .bin backend (legacy.c) shares the cache and read path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "vmrs/bulk.h"
#include "vmrs/savedstate_int.h"

/* More descriptors than this is not a VM layout but a hostile file. */
#define MAX_DESCRIPTORS 65536u
/* Highest RamBlock number accepted: 2^32 blocks = 4 PiB of RAM. */
#define MAX_BLOCK_NUMBER 0xFFFFFFFFull

static hvs__ss *ss_of(const hvs_image *img)
{
	return (hvs__ss *)img->be;
}

hvs_status hvs__ss_new(hvs_image *img)
{
	hvs__ss *ss = hvs__calloc(&img->alloc, 1, sizeof *ss);
	if (!ss)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	/* A limit of 0 still holds the one block being read (api.md 2.5). */
	ss->cache_cap = img->cache_blocks ? (size_t)HVS__MIN(img->cache_blocks, 1u << 20) : 1;
	ss->stream_block = UINT64_MAX;
	img->be = ss;
	return HVS_OK;
}

/* ------------------------------------------------------ key indexing */

/*
 * Parse "<prefix><decimal><suffix>" exactly; leading zeros are refused so
 * that two spellings cannot name one block.
 */
static int parse_numbered(const char *name, const char *prefix, const char *suffix,
			  uint64_t *out)
{
	size_t lp = strlen(prefix), ls = strlen(suffix), n = strlen(name), i;
	uint64_t v = 0;
	if (n <= lp + ls || strncmp(name, prefix, lp) != 0 ||
	    strcmp(name + n - ls, suffix) != 0)
		return 0;
	if (name[lp] == '0' && n - lp - ls > 1)
		return 0;
	for (i = lp; i < n - ls; i++) {
		if (name[i] < '0' || name[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*out = v;
	return 1;
}

/* Value key under a nested <= 5.0 entry: the key itself, or its "" child. */
static const hvs_key *value_of(const hvs_key *k)
{
	if (k && hvs_key_get_type(k) == HVS_KEY_NODE) {
		const hvs_key *c = hvs_key_find_child(k, "", 0);
		return c ? c : NULL;
	}
	return k;
}

/*
 * Where the numbered keys of one kind live for a layout.  >= 6.0:
 * children "RamBlock<n>" of /savedstate.  <= 5.0: children of the root
 * literally named "RamBlock/<n>/", or children "<n>" of a node "RamBlock"
 * (format.md 3.1 [M]: which spelling a real .vsv uses is not known).
 */
typedef void (*numbered_fn)(void *ud, uint64_t n, const hvs_key *k);

static void scan_numbered(hvs_store *st, int layout, const char *kind, numbered_fn fn,
			  void *ud)
{
	const hvs_key *parent;
	char prefix[40];
	size_t i, n;
	uint64_t num;

	if (layout == HVS__SS_LAYOUT_NEW) {
		if (hvs_store_find(st, "/savedstate", &parent) != HVS_OK)
			return;
		n = hvs_key_child_count(parent);
		for (i = 0; i < n; i++) {
			const hvs_key *c = hvs_key_child(parent, i);
			if (parse_numbered(hvs_key_name(c), kind, "", &num))
				fn(ud, num, c);
		}
		return;
	}
	parent = hvs_store_root(st);
	snprintf(prefix, sizeof prefix, "%s/", kind);
	n = hvs_key_child_count(parent);
	for (i = 0; i < n; i++) {
		const hvs_key *c = hvs_key_child(parent, i);
		if (parse_numbered(hvs_key_name(c), prefix, "/", &num))
			fn(ud, num, c);
	}
	parent = hvs_key_find_child(parent, kind, 0);
	if (parent && hvs_key_get_type(parent) == HVS_KEY_NODE) {
		n = hvs_key_child_count(parent);
		for (i = 0; i < n; i++) {
			const hvs_key *c = hvs_key_child(parent, i);
			if (parse_numbered(hvs_key_name(c), "", "", &num))
				fn(ud, num, value_of(c));
		}
	}
}

typedef struct block_scan {
	hvs_image *img;
	uint64_t max;       /* highest number seen + 1 */
	uint64_t count;
	int pass;           /* 0: size, 1: fill */
	uint64_t dup;       /* first duplicate number, UINT64_MAX none */
} block_scan;

static void block_cb(void *ud, uint64_t n, const hvs_key *k)
{
	block_scan *bs = ud;
	hvs__ss *ss = ss_of(bs->img);
	if (!k || n > MAX_BLOCK_NUMBER)
		return;
	if (bs->pass == 0) {
		if (n + 1 > bs->max)
			bs->max = n + 1;
		bs->count++;
		return;
	}
	if (ss->blocks[n]) {
		if (bs->dup == UINT64_MAX)
			bs->dup = n;
		return;
	}
	ss->blocks[n] = k;
}

/* Build ss->blocks: one key pointer per RAM block number. */
static hvs_status index_blocks(hvs_image *img)
{
	hvs__ss *ss = ss_of(img);
	block_scan bs = { img, 0, 0, 0, UINT64_MAX };
	scan_numbered(ss->store, ss->layout, "RamBlock", block_cb, &bs);
	if (bs.max == 0)
		return HVS_OK;
	/*
	 * The array is bounded by the number of keys the container holds
	 * (each costs a key-table entry), not by a size field: a hostile
	 * "RamBlock4000000000" with few keys would still ask for 32 GB, so
	 * also cap the array at 64 entries per key present.
	 */
	if (bs.max > bs.count * 64 + 4096)
		return HVS_CORRUPT(&img->err,
				   "RamBlock numbers reach %" PRIu64 " but only %" PRIu64
				   " RamBlock keys exist", bs.max - 1, bs.count);
	ss->blocks = hvs__calloc(&img->alloc, (size_t)bs.max, sizeof *ss->blocks);
	if (!ss->blocks)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (RamBlock index)");
	ss->nblocks = bs.max;
	bs.pass = 1;
	scan_numbered(ss->store, ss->layout, "RamBlock", block_cb, &bs);
	if (bs.dup != UINT64_MAX)
		return HVS_CORRUPT(&img->err, "two keys name RamBlock%" PRIu64, bs.dup);
	ss->blocks_present = bs.count;
	return HVS_OK;
}

/* ------------------------------------------------------ descriptors */

typedef struct desc {
	uint32_t n;          /* RamMemoryBlock number */
	uint32_t flags;
	uint64_t pages;
	uint64_t mbp;        /* first RAM-sequence page */
	uint64_t gpa_page;   /* first guest page */
} desc;

typedef struct desc_scan {
	const hvs_key **byn;     /* key of RamMemoryBlock n */
	size_t cap;
	size_t max;              /* highest n + 1 (bounded by cap) */
} desc_scan;

static void desc_cb(void *ud, uint64_t n, const hvs_key *k)
{
	desc_scan *ds = ud;
	if (!k || n >= ds->cap || ds->byn[n])
		return;
	ds->byn[n] = k;
	if (n + 1 > ds->max)
		ds->max = (size_t)n + 1;
}

/*
 * Parse one descriptor (format.md 3.2): size, version, flags, counts.
 * @p p holds @p len bytes of the value.
 */
static hvs_status parse_desc(hvs_image *img, desc *d, uint32_t n, const uint8_t *p,
			     size_t len, size_t want)
{
	uint32_t ver, vnode = 0;
	uint64_t end;
	if (len != want)
		return HVS_CORRUPT(&img->err,
				   "RamMemoryBlock%u: %zu bytes, expected %zu (VM version 0x%x)",
				   n, len, want, ss_of(img)->vm_version);
	ver = hvs__le32(p + HVS_RMB_OFF_VERSION);
	d->n = n;
	d->flags = hvs__le32(p + HVS_RMB_OFF_FLAGS);
	d->pages = hvs__le64(p + HVS_RMB_OFF_PAGE_COUNT);
	d->mbp = hvs__le64(p + HVS_RMB_OFF_MBP_START);
	d->gpa_page = hvs__le64(p + HVS_RMB_OFF_GPA_START);
	if (want >= HVS_RMB_OFF_VNODE + 4)
		vnode = hvs__le32(p + HVS_RMB_OFF_VNODE);
	/* Microsoft's loader rejects versions above 3 and unknown flag bits (DECOMP). */
	if (ver > HVS_RMB_MAX_VERSION)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "RamMemoryBlock%u: descriptor version %u (at most %u known)",
				    n, ver, HVS_RMB_MAX_VERSION);
	if (d->flags & ~HVS_RMB_FLAGS_KNOWN)
		return HVS_CORRUPT(&img->err, "RamMemoryBlock%u: unknown flags 0x%x", n,
				   d->flags);
	if (d->pages == 0)
		return HVS_CORRUPT(&img->err, "RamMemoryBlock%u: page count is 0", n);
	if (vnode >= 64)
		return HVS_CORRUPT(&img->err, "RamMemoryBlock%u: virtual NUMA node %u (< 64)",
				   n, vnode);
	/* GPA and RAM-sequence byte ranges must fit in 64 bits (page << 12). */
	if (hvs__add_u64(d->gpa_page, d->pages, &end) || end > (UINT64_MAX >> 12))
		return HVS_CORRUPT(&img->err,
				   "RamMemoryBlock%u: guest pages 0x%" PRIx64 " + 0x%" PRIx64
				   " overflow the address space", n, d->gpa_page, d->pages);
	if (hvs__add_u64(d->mbp, d->pages, &end) || end > (UINT64_MAX >> 12))
		return HVS_CORRUPT(&img->err,
				   "RamMemoryBlock%u: RAM pages 0x%" PRIx64 " + 0x%" PRIx64
				   " overflow", n, d->mbp, d->pages);
	return HVS_OK;
}

static int cmp_gpa(const void *a, const void *b)
{
	const desc *x = a, *y = b;
	return x->gpa_page < y->gpa_page ? -1 : x->gpa_page > y->gpa_page;
}

static int cmp_mbp(const void *a, const void *b)
{
	const desc *x = a, *y = b;
	return x->mbp < y->mbp ? -1 : x->mbp > y->mbp;
}

/* Reject overlaps in GPA and in the RAM sequence, naming both descriptors. */
static hvs_status check_overlaps(hvs_image *img, desc *d, size_t nd)
{
	size_t i;
	qsort(d, nd, sizeof *d, cmp_gpa);
	for (i = 0; i + 1 < nd; i++)
		if (d[i].gpa_page + d[i].pages > d[i + 1].gpa_page)
			return HVS_CORRUPT(&img->err,
					   "RamMemoryBlock%u (GPA 0x%" PRIx64 "-0x%" PRIx64
					   ") and RamMemoryBlock%u (GPA 0x%" PRIx64
					   ") overlap in guest-physical space",
					   d[i].n, d[i].gpa_page << 12,
					   (d[i].gpa_page + d[i].pages) << 12, d[i + 1].n,
					   d[i + 1].gpa_page << 12);
	qsort(d, nd, sizeof *d, cmp_mbp);
	for (i = 0; i + 1 < nd; i++)
		if (d[i].mbp + d[i].pages > d[i + 1].mbp)
			return HVS_CORRUPT(&img->err,
					   "RamMemoryBlock%u (RAM pages 0x%" PRIx64 "-0x%" PRIx64
					   ") and RamMemoryBlock%u (RAM page 0x%" PRIx64
					   ") overlap in the saved RAM sequence",
					   d[i].n, d[i].mbp, d[i].mbp + d[i].pages, d[i + 1].n,
					   d[i + 1].mbp);
	return HVS_OK;
}

/*
 * Read every descriptor 0, 1, 2, ... (format.md 3.4: stop at the first
 * missing number), check it, and add ranges.  @nblocks is the length of
 * the RAM sequence in blocks: a descriptor reaching past it is corrupt.
 */
static hvs_status load_desc(hvs_image *img, uint64_t nblocks)
{
	hvs__ss *ss = ss_of(img);
	desc_scan ds;
	desc *d = NULL;
	size_t nd = 0, i, want;
	hvs_status s = HVS_OK;
	uint8_t buf[HVS_RMB_SIZE];

	memset(&ds, 0, sizeof ds);
	ds.cap = MAX_DESCRIPTORS;
	ds.byn = hvs__calloc(&img->alloc, ds.cap, sizeof *ds.byn);
	if (!ds.byn)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	scan_numbered(ss->store, ss->layout, "RamMemoryBlock", desc_cb, &ds);
	if (!ds.byn[0]) {
		s = hvs__err_set(&img->err, HVS_E_NOTFOUND, "no RamMemoryBlock0");
		goto out;
	}
	/* Enumerate 0.. until the first gap, as Microsoft's loader does. */
	while (nd < ds.max && ds.byn[nd])
		nd++;
	d = hvs__calloc(&img->alloc, nd, sizeof *d);
	if (!d) {
		s = hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
		goto out;
	}
	/* 40 bytes for VM version 4.0, 48 from 5.0 (format.md 3.1, DECOMP). */
	want = (ss->vm_version && ss->vm_version < 0x500) ? HVS_RMB_SIZE_V4 : HVS_RMB_SIZE;
	for (i = 0; i < nd; i++) {
		const hvs_key *k = ds.byn[i];
		size_t got = 0;
		uint64_t vs = hvs_key_value_size(k);
		if (hvs_key_get_type(k) != HVS_KEY_ARRAY) {
			s = HVS_CORRUPT(&img->err, "RamMemoryBlock%zu is a %s, not an array", i,
					hvs_key_type_name(hvs_key_get_type(k)));
			goto out;
		}
		if (vs != want) {
			s = HVS_CORRUPT(&img->err,
					"RamMemoryBlock%zu: %" PRIu64 " bytes, expected %zu "
					"(VM version 0x%x)", i, vs, want, ss->vm_version);
			goto out;
		}
		s = hvs_key_read(ss->store, k, 0, buf, want, &got);
		if (s != HVS_OK) {
			s = hvs__err_set(&img->err, s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
					 "RamMemoryBlock%zu: %s", i, hvs_store_errmsg(ss->store));
			goto out;
		}
		s = parse_desc(img, &d[i], (uint32_t)i, buf, got, want);
		if (s != HVS_OK)
			goto out;
		if (d[i].mbp + d[i].pages > nblocks * HVS_RAM_BLOCK_PAGES) {
			s = HVS_CORRUPT(&img->err,
					"RamMemoryBlock%zu: RAM pages 0x%" PRIx64 "-0x%" PRIx64
					" reach past the last RAM block (%" PRIu64
					" blocks = 0x%" PRIx64 " pages)", i, d[i].mbp,
					d[i].mbp + d[i].pages, nblocks,
					nblocks * HVS_RAM_BLOCK_PAGES);
			goto out;
		}
	}
	s = check_overlaps(img, d, nd);
	if (s != HVS_OK)
		goto out;
	for (i = 0; i < nd && s == HVS_OK; i++)
		s = hvs__image_add_range(img, d[i].gpa_page << 12, d[i].pages << 12,
					 d[i].mbp << 12, 0);
out:
	hvs__free(&img->alloc, d);
	hvs__free(&img->alloc, ds.byn);
	return s;
}

hvs_status hvs__ss_load_memory(hvs_image *img)
{
	hvs__ss *ss = ss_of(img);
	hvs_status s;
	HVS_TRY(index_blocks(img));
	s = load_desc(img, ss->nblocks);
	if (s == HVS_OK && ss->blocks_present == 0)
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "RamMemoryBlock descriptors but no RamBlock key: "
				    "the saved state holds no guest memory");
	ss->mem_layout = "RamMemoryBlock descriptors";
	return s;
}

hvs_status hvs__ss_load_descriptors(hvs_image *img, uint64_t nblocks)
{
	hvs__ss *ss = ss_of(img);
	hvs_status s = load_desc(img, nblocks);
	if (s == HVS_OK)
		ss->mem_layout = "RamMemoryBlock descriptors of the .vsv";
	return s;
}

/* ------------------------------------------------------------ cache */

/* Cached block @b, or NULL. */
static hvs__ss_cent *cache_find(hvs__ss *ss, uint64_t b)
{
	size_t i;
	for (i = 0; i < ss->ncache; i++)
		if (ss->cache[i].data && ss->cache[i].block == b)
			return &ss->cache[i];
	return NULL;
}

/* A slot for a new block: a free one, a new one under the cap, or the LRU. */
static hvs_status cache_slot(hvs_image *img, hvs__ss_cent **out)
{
	hvs__ss *ss = ss_of(img);
	size_t i, lru = 0, held = 0;
	for (i = 0; i < ss->ncache; i++) {
		if (!ss->cache[i].data)
			continue;
		held++;
		if (ss->cache[i].stamp < ss->cache[lru].stamp || !ss->cache[lru].data)
			lru = i;
	}
	if (held >= ss->cache_cap && held) {
		*out = &ss->cache[lru];
		(*out)->block = UINT64_MAX;
		return HVS_OK;
	}
	for (i = 0; i < ss->ncache; i++)
		if (!ss->cache[i].data)
			break;
	if (i == ss->ncache) {
		size_t cap = ss->ncache;
		if (hvs__grow(&img->alloc, (void **)&ss->cache, &cap, ss->ncache + 1,
			      sizeof *ss->cache) != HVS_OK)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (cache)");
		/* hvs__grow may give more slots than asked: keep them empty. */
		memset(&ss->cache[ss->ncache], 0, (cap - ss->ncache) * sizeof *ss->cache);
		ss->ncache = cap;
	}
	ss->cache[i].data = hvs__malloc(&img->alloc, HVS__RAMBLOCK_SIZE);
	if (!ss->cache[i].data)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (1 MiB block)");
	ss->cache[i].block = UINT64_MAX;
	if (held + 1 > ss->peak_cache)
		ss->peak_cache = held + 1;
	*out = &ss->cache[i];
	return HVS_OK;
}

/* Drop entries beyond the cap, least recently used first. */
static void cache_trim(hvs_image *img)
{
	hvs__ss *ss = ss_of(img);
	for (;;) {
		size_t i, held = 0, lru = (size_t)-1;
		for (i = 0; i < ss->ncache; i++) {
			if (!ss->cache[i].data)
				continue;
			held++;
			if (lru == (size_t)-1 || ss->cache[i].stamp < ss->cache[lru].stamp)
				lru = i;
		}
		if (held <= ss->cache_cap || lru == (size_t)-1)
			return;
		hvs__free(&img->alloc, ss->cache[lru].data);
		ss->cache[lru].data = NULL;
		ss->cache[lru].block = UINT64_MAX;
	}
}

static hvs_status ss_set_cache_limit(hvs_image *img, uint64_t blocks)
{
	hvs__ss *ss = ss_of(img);
	ss->cache_cap = blocks ? (size_t)HVS__MIN(blocks, 1u << 20) : 1;
	cache_trim(img);
	/* Setting 0 drops the cached blocks (api.md 2.5), the last one included. */
	if (blocks == 0 && ss->ncache) {
		size_t i;
		for (i = 0; i < ss->ncache; i++) {
			hvs__free(&img->alloc, ss->cache[i].data);
			ss->cache[i].data = NULL;
			ss->cache[i].block = UINT64_MAX;
		}
	}
	return HVS_OK;
}

void hvs__ss_cache_stats(const hvs_image *img, size_t *entries, size_t *peak,
			 uint64_t *decodes)
{
	const hvs__ss *ss = ss_of(img);
	size_t i, held = 0;
	if (!ss || img->ops != &hvs__ss_ops) {
		*entries = *peak = 0;
		*decodes = 0;
		return;
	}
	for (i = 0; i < ss->ncache; i++)
		held += ss->cache[i].data != NULL;
	*entries = held;
	*peak = ss->peak_cache;
	*decodes = ss->decodes;
}

/* ------------------------------------------------------------- reads */

/*
 * Load the token stream of block @b into the stream slot (ss->stream):
 * the value of a .vmrs RamBlock (shorter than 1 MiB, checked by the
 * caller) read into ss->inbuf, or a legacy blob in the .bin handle's
 * buffer.  The slot remembers which block it holds, so a block whose
 * stream is already loaded is not read again.
 */
static hvs_status load_stream(hvs_image *img, uint64_t b, const hvs_key *k)
{
	hvs__ss *ss = ss_of(img);
	hvs_status s;
	if (ss->stream_block == b)
		return HVS_OK;
	ss->stream_block = UINT64_MAX;
	if (ss->bin) {
		const uint8_t *d;
		size_t len;
		s = hvs__legacy_bin_stream(ss->bin, (uint32_t)b, &d, &len);
		if (s != HVS_OK)
			return hvs__err_set(&img->err, s, "%s", ss->bin->err.msg);
		ss->stream = d;
		ss->stream_len = len;
		ss->stream_base = hvs__legacy_bin_find(ss->bin, (uint32_t)b)->off;
	} else {
		uint64_t vs = hvs_key_value_size(k);
		size_t got = 0;
		hvs_key_info ki;
		if (!ss->inbuf) {
			ss->inbuf = hvs__malloc(&img->alloc, HVS__RAMBLOCK_SIZE);
			if (!ss->inbuf)
				return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			ss->inbuf_cap = HVS__RAMBLOCK_SIZE;
		}
		s = hvs_key_read(ss->store, k, 0, ss->inbuf, (size_t)vs, &got);
		if (s != HVS_OK)
			return hvs__err_set(&img->err, s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
					    "RamBlock%" PRIu64 ": %s", b,
					    hvs_store_errmsg(ss->store));
		hvs_key_get_info(k, &ki);
		ss->stream = ss->inbuf;
		ss->stream_len = got;
		/* Codec messages then name file offsets. */
		ss->stream_base = ki.value_offset;
	}
	ss->stream_block = b;
	return HVS_OK;
}

/* Decode block @b whole into @out (format.md 4.1). */
static hvs_status decode_block(hvs_image *img, uint64_t b, const hvs_key *k, uint8_t *out)
{
	hvs__ss *ss = ss_of(img);
	hvs__err cerr;
	hvs_status s;
	HVS_TRY(load_stream(img, b, k));
	s = hvs__ramblock_decode(ss->stream, ss->stream_len, out, ss->stream_base, NULL, &cerr);
	if (s != HVS_OK)
		return hvs__err_set(&img->err, s, "RAM block %" PRIu64 ": %s", b, cerr.msg);
	ss->decodes++;
	return HVS_OK;
}

/* Decoded block @b from the cache, decoding it on a miss. */
static hvs_status get_block(hvs_image *img, uint64_t b, const hvs_key *k,
			    const uint8_t **out)
{
	hvs__ss *ss = ss_of(img);
	hvs__ss_cent *e = cache_find(ss, b);
	if (!e) {
		HVS_TRY(cache_slot(img, &e));
		/* On failure the slot stays allocated but empty (block UINT64_MAX). */
		HVS_TRY(decode_block(img, b, k, e->data));
		e->block = b;
	}
	e->stamp = ++ss->clock;
	*out = e->data;
	return HVS_OK;
}

/* ------------------------------------------------------ page indexes */

/*
 * Page indexes of token-stream blocks outlive their streams.  Building an
 * index needs the whole stream (the tokens are variable-length, format.md
 * 4.1), so every random 4 KiB read of a block not read just before used
 * to copy its whole stream (~1/3 MiB on the bench) from the file; with the
 * block's index kept, a later small read fetches only the token of each
 * page it touches (at most 4 + 4096 bytes) and decodes it.
 *
 * Kept indexes are packed to 4 bytes a page (1 KiB a block) in a
 * direct-mapped table of IDX_SLOTS blocks, allocated as used: at most
 * 4 MiB, enough for every block of a 4 GiB guest; a slot wanted by
 * another block is overwritten.  The cache limit (api.md 2.5) counts
 * decoded 1 MiB blocks and does not cover this table.
 */
#define IDX_SLOTS 4096u
/* Packed page entry: bit 31 simple, bits 23-30 in_tok / 4096 (a simple
 * page starts on a page of its token's output), bits 0-22 tok_off. */
#define PK_SIMPLE 0x80000000u
#define PK_TOK_BITS 23
#define PK_TOK_MASK ((1u << PK_TOK_BITS) - 1)
/* Most stream bytes the token of a page decodable alone can take: a page
 * token is u32 S + S <= 4096 bytes; fill 12 and run 16 (format.md 4.1). */
#define SIMPLE_TOKEN_MAX (4u + HVS__PAGE_SIZE)

typedef struct idx_ent {
	uint64_t block;                     /* block indexed, UINT64_MAX none */
	uint32_t pg[HVS__RAMBLOCK_PAGES];   /* packed entries (above) */
} idx_ent;

typedef struct hvs__ss_idx_table {
	/* Working index handed to the codec: the whole index of full_block,
	 * or single pages unpacked. */
	hvs__ramblock_index cur;
	uint64_t full_block;                /* UINT64_MAX: cur is partial */
	uint64_t last_small;                /* block of the last small read */
	idx_ent *slot[IDX_SLOTS];
} idx_table;

static idx_table *idx_table_of(const hvs__ss *ss)
{
	return ss->idx_table;
}

/* The table and the one-page buffer, allocated at the first small read. */
static hvs_status idx_table_get(hvs_image *img, idx_table **out)
{
	hvs__ss *ss = ss_of(img);
	if (!ss->idx_table) {
		idx_table *t = hvs__calloc(&img->alloc, 1, sizeof *t);
		if (!t)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
		t->full_block = UINT64_MAX;
		t->last_small = UINT64_MAX;
		ss->idx_table = t;
	}
	if (!ss->page) {
		ss->page = hvs__malloc(&img->alloc, HVS__PAGE_SIZE);
		if (!ss->page)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
	}
	*out = idx_table_of(ss);
	return HVS_OK;
}

static void idx_table_free(hvs_image *img)
{
	hvs__ss *ss = ss_of(img);
	idx_table *t = idx_table_of(ss);
	size_t i;
	if (!t)
		return;
	for (i = 0; i < IDX_SLOTS; i++)
		hvs__free(&img->alloc, t->slot[i]);
	hvs__free(&img->alloc, t);
	ss->idx_table = NULL;
}

/* Kept index of block @b, or NULL. */
static const idx_ent *idx_find(const idx_table *t, uint64_t b)
{
	const idx_ent *e = t->slot[b % IDX_SLOTS];
	return e && e->block == b ? e : NULL;
}

/*
 * Keep t->cur (the whole index of block @b) packed.  Only simple pages
 * are needed (others go to the whole-block decoder); one that does not
 * pack (a stream over 8 MiB: no .vmrs value, which is < 1 MiB) leaves the
 * block unkept.  Out of memory leaves it unkept too: keeping is optional.
 */
static void idx_keep(hvs_image *img, idx_table *t, uint64_t b)
{
	idx_ent **slot = &t->slot[b % IDX_SLOTS];
	unsigned p;
	if (!*slot) {
		*slot = hvs__malloc(&img->alloc, sizeof **slot);
		if (!*slot)
			return;
	}
	(*slot)->block = UINT64_MAX;
	for (p = 0; p < HVS__RAMBLOCK_PAGES; p++) {
		uint32_t off = t->cur.tok_off[p], at = t->cur.in_tok[p];
		if (!t->cur.simple[p]) {
			(*slot)->pg[p] = 0;
			continue;
		}
		if (off > PK_TOK_MASK || at % HVS__PAGE_SIZE || at >= HVS__RAMBLOCK_SIZE)
			return;
		(*slot)->pg[p] = PK_SIMPLE | (at / HVS__PAGE_SIZE) << PK_TOK_BITS | off;
	}
	(*slot)->block = b;
}

/* Unpack page @pg of kept index @e into t->cur (whose other pages then
 * belong to other blocks: full_block is cleared). */
static void idx_unpack(idx_table *t, const idx_ent *e, unsigned pg)
{
	uint32_t v = e->pg[pg];
	t->full_block = UINT64_MAX;
	t->cur.simple[pg] = (uint8_t)(v >> 31);
	t->cur.tok_off[pg] = v & PK_TOK_MASK;
	t->cur.in_tok[pg] = (v >> PK_TOK_BITS & 0xFF) * HVS__PAGE_SIZE;
}

/*
 * Read into ss->inbuf, at its place in the stream, the token of page @pg
 * of .vmrs block @b whose stream is not loaded: the bytes [tok_off,
 * tok_off + SIMPLE_TOKEN_MAX) of t->cur clipped to the value.  *@in_len
 * receives the stream length to decode with (the end of those bytes): the
 * codec re-checks the token against it, so nothing outside is read.
 */
static hvs_status fetch_token(hvs_image *img, uint64_t b, const hvs_key *k,
			      const idx_table *t, unsigned pg, size_t *in_len)
{
	hvs__ss *ss = ss_of(img);
	size_t at = t->cur.tok_off[pg], end, got = 0;
	uint64_t vs = hvs_key_value_size(k);
	hvs_status s;
	if (!ss->inbuf) {
		ss->inbuf = hvs__malloc(&img->alloc, HVS__RAMBLOCK_SIZE);
		if (!ss->inbuf)
			return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
		ss->inbuf_cap = HVS__RAMBLOCK_SIZE;
	}
	/* The caller checked vs < 1 MiB = inbuf_cap; the index came from this
	 * value, so at < vs, but clip anyway: a bad offset then fails in the
	 * codec's own check instead of reading past the buffer. */
	end = (size_t)HVS__MIN((uint64_t)at + SIMPLE_TOKEN_MAX, vs);
	*in_len = end;
	if (at >= end)
		return HVS_OK;
	/* inbuf no longer holds the stream of the slot's block. */
	ss->stream_block = UINT64_MAX;
	s = hvs_key_read(ss->store, k, at, ss->inbuf + at, end - at, &got);
	if (s != HVS_OK)
		return hvs__err_set(&img->err, s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
				    "RamBlock%" PRIu64 ": %s", b, hvs_store_errmsg(ss->store));
	return HVS_OK;
}

/*
 * Small read from a block that is not cached: decode only the pages it
 * touches through the codec's per-page index, so a random 4 KiB read
 * costs one page, not 1 MiB (api.md 2.5's DLL decodes whole blocks; this
 * is our optimisation).  With the block's index kept (above) only the
 * pages' tokens are read from the file; otherwise the stream is loaded
 * and indexed.  The caller sends a second small read of the same block in
 * a row to the whole-block decoder, so sequential small reads still
 * decode each block once.
 * Returns HVS_E_UNSUPPORTED when a page needs the whole-block decoder.
 */
static hvs_status read_pages(hvs_image *img, uint64_t b, const hvs_key *k, size_t in,
			     uint8_t *p, size_t n, size_t *got)
{
	hvs__ss *ss = ss_of(img);
	hvs__err cerr;
	unsigned pg;
	hvs_status s;
	idx_table *t = NULL;
	const idx_ent *e = NULL;
	uint64_t base;
	int partial;
	*got = 0;
	HVS_TRY(idx_table_get(img, &t));
	t->last_small = b;
	if (t->full_block != b && (e = idx_find(t, b)) == NULL) {
		/* Not indexed: load the stream, index it whole, keep the index. */
		HVS_TRY(load_stream(img, b, k));
		t->full_block = UINT64_MAX;
		s = hvs__ramblock_index_build(&t->cur, ss->stream, ss->stream_len,
					      ss->stream_base, &cerr);
		if (s != HVS_OK)
			return hvs__err_set(&img->err, s, "RAM block %" PRIu64 ": %s", b,
					    cerr.msg);
		t->full_block = b;
		idx_keep(img, t, b);
	}
	/* Token by token from the file only for a .vmrs key whose stream is
	 * not in the slot (a legacy .bin's stream is in memory already). */
	partial = !ss->bin && ss->stream_block != b;
	if (!partial)
		HVS_TRY(load_stream(img, b, k));   /* no-op when in the slot */
	if (partial) {
		hvs_key_info ki;
		hvs_key_get_info(k, &ki);
		base = ki.value_offset;
	} else {
		base = ss->stream_base;
	}
	for (pg = (unsigned)(in / HVS__PAGE_SIZE); n; pg++) {
		size_t po = in % HVS__PAGE_SIZE, m = HVS__MIN(n, HVS__PAGE_SIZE - po);
		const uint8_t *str = ss->stream;
		size_t str_len = ss->stream_len;
		if (e)
			idx_unpack(t, e, pg);
		/* Not simple: the codec says HVS_E_UNSUPPORTED without reading. */
		if (partial && t->cur.simple[pg]) {
			HVS_TRY(fetch_token(img, b, k, t, pg, &str_len));
			str = ss->inbuf;
		}
		s = hvs__ramblock_decode_page(&t->cur, str, str_len, pg, ss->page, base, &cerr);
		if (s == HVS_E_UNSUPPORTED)
			return s;
		if (s != HVS_OK)
			return hvs__err_set(&img->err, s, "RAM block %" PRIu64 ": %s", b, cerr.msg);
		memcpy(p, ss->page + po, m);
		ss->page_decodes++;
		*got += m;
		p += m;
		in += m;
		n -= m;
	}
	return HVS_OK;
}

/* Was the previous small read of this image in block @b? */
static int last_small_was(const hvs__ss *ss, uint64_t b)
{
	const idx_table *t = idx_table_of(ss);
	return t && t->last_small == b;
}

/* Reads up to this size may take the per-page path (read_pages). */
#define SMALL_READ (16u * HVS__PAGE_SIZE)

/*
 * read_raw: split at 1 MiB block boundaries; raw blocks are read in place,
 * token streams through the cache (a whole uncached block is decoded in
 * place).  A missing block is HVS_E_NODATA.
 */
static hvs_status ss_read_raw(hvs_image *img, uint64_t off, void *buf, size_t len,
			      size_t *done)
{
	hvs__ss *ss = ss_of(img);
	uint8_t *p = buf;
	*done = 0;
	while (len) {
		uint64_t b = off / HVS__RAMBLOCK_SIZE;
		size_t in = (size_t)(off % HVS__RAMBLOCK_SIZE);
		size_t n = HVS__MIN(len, HVS__RAMBLOCK_SIZE - in);
		const hvs_key *k = NULL;
		const uint8_t *blk = NULL;
		hvs_status s;
		int direct;
		if (ss->bin) {
			if (b > UINT32_MAX || !hvs__legacy_bin_find(ss->bin, (uint32_t)b))
				goto missing;
		} else {
			if (b >= ss->nblocks || !ss->blocks[b])
				goto missing;
			k = ss->blocks[b];
			if (hvs_key_get_type(k) != HVS_KEY_ARRAY)
				return HVS_CORRUPT(&img->err, "RamBlock%" PRIu64 " is a %s, not an array",
						   b, hvs_key_type_name(hvs_key_get_type(k)));
			if (hvs_key_value_size(k) > HVS__RAMBLOCK_SIZE)
				return HVS_CORRUPT(&img->err,
						   "RamBlock%" PRIu64 ": %" PRIu64
						   " bytes, more than 1 MiB", b,
						   hvs_key_value_size(k));
			/* Exactly 1 MiB is raw (format.md 3.3): read it in place. */
			if (hvs_key_value_size(k) == HVS__RAMBLOCK_SIZE) {
				size_t got = 0;
				s = hvs_key_read(ss->store, k, in, p, n, &got);
				*done += got;
				if (s != HVS_OK)
					return hvs__err_set(&img->err,
							    s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
							    "RamBlock%" PRIu64 ": %s", b,
							    hvs_store_errmsg(ss->store));
				ss->raw_reads++;
				goto next;
			}
		}
		if (n <= SMALL_READ && ss->stream_block != b && !last_small_was(ss, b) &&
		    !cache_find(ss, b)) {
			size_t got = 0;
			s = read_pages(img, b, k, in, p, n, &got);
			if (s == HVS_OK) {
				*done += n;
				goto next;
			}
			if (s != HVS_E_UNSUPPORTED) {
				*done += got;
				return s;
			}
		}
		/*
		 * A whole block that is not cached: decode it straight into the
		 * caller's buffer.  Whole-block reads stream (dumps, hashes), so
		 * the copy through the cache cost ~10% of the time and the
		 * cached block was not read again.
		 */
		direct = in == 0 && n == HVS__RAMBLOCK_SIZE && !cache_find(ss, b);
		if (direct)
			s = decode_block(img, b, k, p);
		else
			s = get_block(img, b, k, &blk);
		if (s == HVS_E_CORRUPT) {
			/*
			 * A block that does not decode whole may still have good
			 * pages: serve them page by page, so that a page reads
			 * the same whichever path (small read or whole block)
			 * reaches it first, and only the damaged pages fail.
			 */
			size_t got = 0;
			char why[HVS_ERRMSG_MAX];
			hvs_status s2;
			memcpy(why, img->err.msg, sizeof why);
			s2 = read_pages(img, b, k, in, p, n, &got);
			if (s2 == HVS_OK) {
				*done += n;
				goto next;
			}
			*done += got;
			if (s2 == HVS_E_UNSUPPORTED)
				return hvs__err_set(&img->err, s, "%s", why);
			return s2;
		}
		if (s != HVS_OK)
			return s;
		if (!direct)
			memcpy(p, blk + in, n);
		*done += n;
	next:
		p += n;
		off += n;
		len -= n;
		continue;
	missing:
		return hvs__err_set(&img->err, HVS_E_NODATA,
				    "RAM block %" PRIu64 " (raw offset 0x%" PRIx64
				    ") is not in the saved state: its pages are unavailable",
				    b, off);
	}
	return HVS_OK;
}

void hvs__ss_free(hvs_image *img)
{
	hvs__ss *ss = ss_of(img);
	size_t i;
	if (!ss)
		return;
	for (i = 0; i < ss->ncache; i++)
		hvs__free(&img->alloc, ss->cache[i].data);
	hvs__free(&img->alloc, ss->cache);
	hvs__free(&img->alloc, ss->inbuf);
	idx_table_free(img);
	hvs__free(&img->alloc, ss->page);
	hvs__free(&img->alloc, ss->blocks);
	hvs__legacy_bin_close(ss->bin);
	hvs_store_close(ss->store);
	if (ss->own_vsv_src)
		hvs_source_close(&ss->vsv_src);
	hvs__free(&img->alloc, ss);
	img->be = NULL;
	img->store = NULL;
}

const hvs__image_ops hvs__ss_ops = { "savedstate", ss_read_raw, ss_set_cache_limit,
				     hvs__ss_free };

/* ------------------------------------------------------- bulk access */

hvs_status hvs__ss_block_info(hvs_image *img, uint64_t b, hvs__blk *out)
{
	hvs__ss *ss;
	const hvs_key *k;
	hvs_key_info ki;
	if (!img || img->format != HVS_FORMAT_VMRS || !img->be)
		return HVS_E_UNSUPPORTED;
	ss = ss_of(img);
	if (ss->bin || !ss->store)
		return HVS_E_UNSUPPORTED;
	if (b >= ss->nblocks || !ss->blocks[b])
		return hvs__err_set(&img->err, HVS_E_NODATA,
				    "RAM block %" PRIu64 " is not in the saved state", b);
	k = ss->blocks[b];
	if (hvs_key_get_type(k) != HVS_KEY_ARRAY)
		return HVS_CORRUPT(&img->err, "RamBlock%" PRIu64 " is a %s, not an array", b,
				   hvs_key_type_name(hvs_key_get_type(k)));
	hvs_key_get_info(k, &ki);
	if (ki.value_size > HVS__RAMBLOCK_SIZE)
		return HVS_CORRUPT(&img->err, "RamBlock%" PRIu64 ": %" PRIu64 " bytes, more than 1 MiB",
				   b, ki.value_size);
	out->kind = ki.value_size == HVS__RAMBLOCK_SIZE ? HVS__BLK_RAW : HVS__BLK_STREAM;
	out->len = ki.value_size;
	out->base = ki.value_offset;
	out->file_off = hvs__store_view_is_file(ss->store, ki.value_offset, ki.value_size)
				? ki.value_offset
				: UINT64_MAX;
	return HVS_OK;
}

hvs_status hvs__ss_block_read(hvs_image *img, uint64_t b, uint8_t *buf, size_t len)
{
	hvs__ss *ss = ss_of(img);
	size_t got = 0;
	hvs_status s;
	if (b >= ss->nblocks || !ss->blocks[b])
		return HVS_E_NODATA;
	s = hvs_key_read(ss->store, ss->blocks[b], 0, buf, len, &got);
	if (s != HVS_OK)
		return hvs__err_set(&img->err, s == HVS_E_NODATA ? HVS_E_CORRUPT : s,
				    "RamBlock%" PRIu64 ": %s", b, hvs_store_errmsg(ss->store));
	return HVS_OK;
}
