/* SPDX-License-Identifier: MIT */
/*
 * The RamBlock token stream ("VmCompressUnpack", format.md 4.1;
 * docs/format/ramblock.md): one 1 MiB block of guest RAM stored as a
 * sequence of u32 tokens, each followed by its operands:
 *
 *   0xFFFFFFFF                end of stream
 *   0xFFFFFFFE u64 P          one page filled with the 8-byte pattern P
 *   0xFFFFFFFD u64 P u32 C    C pages filled with P
 *   0xFFFFFFFC u32 U u32 S .. U output bytes from S input bytes: raw copy
 *                             when S == U, else XPRESS to exactly U
 *   1..4096 (= S) ..          one page from S bytes: raw when S == 4096,
 *                             else XPRESS to exactly 4096 bytes
 *   anything else             invalid
 *
 * A correct stream yields exactly 1 MiB (VOL-PR enforces it; all 252
 * blocks of the sample do, format.md 10).  Decoding stops at the end
 * token, at the end of the input, or when 1 MiB exists.
 *
 * One parser (rb_next) validates the framing of a token; the full decoder,
 * the page indexer and the single-page decoder share it so that they
 * accept exactly the same streams.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "util/util.h"

/* Token kinds after parsing (in-memory, not file values). */
enum rb_kind { RB_END, RB_FILL, RB_RUN, RB_SIZED, RB_PAGE };

/* One parsed token; offsets are relative to the stream start. */
typedef struct rb_tok {
	enum rb_kind kind;
	size_t off;        /* token offset */
	size_t next;       /* offset after the token and its payload */
	size_t pat_off;    /* fill pattern (8 bytes) */
	size_t pay_off;    /* payload of RB_SIZED / RB_PAGE */
	uint32_t pay_len;  /* S */
	uint32_t out_len;  /* bytes the token produces */
	uint32_t pages;    /* fill pages (RB_FILL: 1, RB_RUN: C) */
} rb_tok;

/*
 * Parse the token at @ip, given that @produced output bytes exist.  Checks
 * that the token is valid, its operands and payload lie inside the input,
 * and its output fits in what is left of the 1 MiB block.
 */
static hvs_status rb_next(rb_tok *t, const uint8_t *in, size_t in_len,
			  size_t ip, size_t produced, uint64_t base,
			  hvs__err *err)
{
	size_t left = in_len - ip;
	size_t room = HVS__RAMBLOCK_SIZE - produced;
	uint32_t tok;

	/* Every field set on every path, so no caller reads a stale one
	 * (and gcc -O3 can prove it). */
	t->kind = RB_END;
	t->off = ip;
	t->next = ip;
	t->pat_off = t->pay_off = 0;
	t->pay_len = t->out_len = t->pages = 0;
	/* Callers stop at the end of input before calling, so 1..3 bytes
	 * here is a torn token, not a clean end. */
	if (left < 4)
		return hvs__codec_fail(err,
				       "RamBlock: token at offset 0x%" PRIx64
				       " truncated (%zu of 4 bytes) after %zu of %u bytes",
				       base + ip, left, produced, HVS__RAMBLOCK_SIZE);
	tok = hvs__le32(in + ip);
	switch (tok) {
	case HVS__RB_TOK_END:
		t->kind = RB_END;
		t->next = ip + 4;
		t->out_len = 0;
		return HVS_OK;
	case HVS__RB_TOK_FILL:
	case HVS__RB_TOK_FILL_RUN: {
		size_t need = tok == HVS__RB_TOK_FILL ? 12 : 16;
		uint32_t count = 1;
		if (left < need)
			return hvs__codec_fail(err,
					       "RamBlock: fill token 0x%08X at offset 0x%" PRIx64
					       " truncated (%zu of %zu bytes)",
					       tok, base + ip, left, need);
		if (tok == HVS__RB_TOK_FILL_RUN) {
			count = hvs__le32(in + ip + 12);
			if (count == 0)
				return hvs__codec_fail(err,
						       "RamBlock: fill-run token at offset 0x%" PRIx64
						       ": page count 0",
						       base + ip);
		}
		/* Compare pages, not bytes: count * 4096 could overflow u32. */
		if (count > room / HVS__PAGE_SIZE)
			return hvs__codec_fail(err,
					       "RamBlock: fill token 0x%08X at offset 0x%" PRIx64
					       ": %u page(s) overrun the block (%zu of %u "
					       "bytes produced)",
					       tok, base + ip, count, produced,
					       HVS__RAMBLOCK_SIZE);
		t->kind = tok == HVS__RB_TOK_FILL ? RB_FILL : RB_RUN;
		t->pat_off = ip + 4;
		t->pages = count;
		t->out_len = count * HVS__PAGE_SIZE;
		t->next = ip + need;
		return HVS_OK;
	}
	case HVS__RB_TOK_SIZED: {
		uint32_t u, s;
		if (left < 12)
			return hvs__codec_fail(err,
					       "RamBlock: sized token at offset 0x%" PRIx64
					       " truncated (%zu of 12 bytes)",
					       base + ip, left);
		/* Field order U (output) then S (stored), agreed by PB, VMK and
		 * VOL-PR (format.md 4.1); never seen in a real file. */
		u = hvs__le32(in + ip + 4);
		s = hvs__le32(in + ip + 8);
		if (u == 0 || u > room)
			return hvs__codec_fail(err,
					       "RamBlock: sized token at offset 0x%" PRIx64
					       ": output size %u not in 1..%zu (%zu of %u "
					       "bytes produced)",
					       base + ip, u, room, produced, HVS__RAMBLOCK_SIZE);
		if (s == 0 || s > left - 12)
			return hvs__codec_fail(err,
					       "RamBlock: sized token at offset 0x%" PRIx64
					       ": stored size %u not in 1..%zu (input left)",
					       base + ip, s, left - 12);
		t->kind = RB_SIZED;
		t->out_len = u;
		t->pay_off = ip + 12;
		t->pay_len = s;
		t->next = ip + 12 + (size_t)s;
		return HVS_OK;
	}
	default:
		break;
	}
	/* What is left is a page token whose value is the payload size S. */
	if (tok == 0 || tok > HVS__PAGE_SIZE)
		return hvs__codec_fail(err,
				       "RamBlock: invalid token 0x%08X at offset 0x%" PRIx64
				       " (expected 1..4096 or 0xFFFFFFFC..0xFFFFFFFF)",
				       tok, base + ip);
	if (tok > left - 4)
		return hvs__codec_fail(err,
				       "RamBlock: page token at offset 0x%" PRIx64
				       ": %u payload bytes overrun the input (%zu left)",
				       base + ip, tok, left - 4);
	if (room < HVS__PAGE_SIZE)
		return hvs__codec_fail(err,
				       "RamBlock: page token at offset 0x%" PRIx64
				       " overruns the block (%zu of %u bytes produced)",
				       base + ip, produced, HVS__RAMBLOCK_SIZE);
	t->kind = RB_PAGE;
	t->out_len = HVS__PAGE_SIZE;
	t->pay_off = ip + 4;
	t->pay_len = tok;
	t->next = ip + 4 + tok;
	return HVS_OK;
}

/* Fill @len bytes (a multiple of 8) with the 8-byte pattern at @pat. */
static void fill_pattern(uint8_t *out, size_t len, const uint8_t *pat)
{
	size_t done;
	if (!memcmp(pat, pat + 1, 7)) {
		memset(out, pat[0], len); /* zero pages: the usual case */
		return;
	}
	memcpy(out, pat, 8);
	/* Double the filled prefix: log2(len / 8) memcpy calls. */
	for (done = 8; done < len; done *= 2)
		memcpy(out + done, out, done <= len - done ? done : len - done);
}

/* Produce the output of a parsed non-end token at @out. */
static hvs_status rb_emit(const rb_tok *t, const uint8_t *in, uint8_t *out,
			  uint64_t base, hvs__err *err)
{
	hvs_status st;
	switch (t->kind) {
	case RB_FILL:
	case RB_RUN:
		fill_pattern(out, t->out_len, in + t->pat_off);
		return HVS_OK;
	case RB_SIZED:
	case RB_PAGE:
		/* S == U means stored: Hyper-V keeps a page raw when XPRESS
		 * would not shrink it (6 such pages in the sample). */
		if (t->pay_len == t->out_len) {
			memcpy(out, in + t->pay_off, t->out_len);
			return HVS_OK;
		}
		st = hvs__xpress_decompress(in + t->pay_off, t->pay_len, out,
					    t->out_len, err);
		if (st != HVS_OK && err)
			hvs__err_prefix(err, st,
					"RamBlock: %s token at offset 0x%" PRIx64
					" (payload 0x%" PRIx64 ", %u bytes)",
					t->kind == RB_PAGE ? "page" : "sized",
					base + t->off, base + t->pay_off, t->pay_len);
		return st;
	case RB_END:
		break;
	}
	return HVS_OK;
}

/* Count a token in the statistics. */
static void rb_count(hvs__ramblock_stats *s, const rb_tok *t)
{
	switch (t->kind) {
	case RB_END: s->end_token = 1; break;
	case RB_FILL: s->fills++; break;
	case RB_RUN: s->fill_runs++; s->fill_pages += t->pages; break;
	case RB_SIZED: s->sized++; break;
	case RB_PAGE:
		if (t->pay_len == HVS__PAGE_SIZE)
			s->raw_pages++;
		else
			s->xpress_pages++;
		break;
	}
}

/* Error for a stream that ends before 1 MiB exists. */
static hvs_status rb_short(hvs__err *err, const char *why, uint64_t off,
			   size_t produced)
{
	return hvs__codec_fail(err,
			       "RamBlock: stream ends (%s) at offset 0x%" PRIx64
			       " after %zu of %u bytes (%zu pages)",
			       why, off, produced, HVS__RAMBLOCK_SIZE,
			       produced / HVS__PAGE_SIZE);
}

hvs_status hvs__ramblock_decode(const uint8_t *in, size_t in_len, uint8_t *out,
				uint64_t base, hvs__ramblock_stats *stats,
				hvs__err *err)
{
	hvs__ramblock_stats s;
	size_t ip = 0, op = 0;
	hvs_status st = HVS_OK;
	rb_tok t;

	/* Statistics are returned on failure too: they tell `hvs check` how
	 * far a damaged stream got. */
	memset(&s, 0, sizeof s);
	while (op < HVS__RAMBLOCK_SIZE) {
		/* Input exhausted before 1 MiB: a clean token boundary, but
		 * still short (VOL-PR requires exactly 1 MiB). */
		if (ip == in_len) {
			st = rb_short(err, "input exhausted without an end token",
				      base + ip, op);
			goto out;
		}
		/* rb_next checked that the token's output fits the block, so
		 * rb_emit may write out_len bytes at out + op. */
		st = rb_next(&t, in, in_len, ip, op, base, err);
		if (st != HVS_OK)
			goto out;
		rb_count(&s, &t);
		/* An end token before 1 MiB: the block would have a hole. */
		if (t.kind == RB_END) {
			ip = t.next;
			st = rb_short(err, "end token", base + t.off, op);
			goto out;
		}
		st = rb_emit(&t, in, out + op, base, err);
		if (st != HVS_OK)
			goto out;
		op += t.out_len;
		ip = t.next;
	}
	/* 1 MiB exists.  Real streams still carry the end token (all 252
	 * blocks of the sample): consume it when present, so `consumed`
	 * covers the whole stream; anything else after it is ignored. */
	if (in_len - ip >= 4 && hvs__le32(in + ip) == HVS__RB_TOK_END) {
		s.end_token = 1;
		ip += 4;
	}
out:
	s.consumed = ip;
	if (stats)
		*stats = s;
	return st;
}

hvs_status hvs__ramblock_index_build(hvs__ramblock_index *idx,
				     const uint8_t *in, size_t in_len,
				     uint64_t base, hvs__err *err)
{
	size_t ip = 0, op = 0;
	rb_tok t;

	/* Offsets are kept as u32; no valid stream comes near 4 GiB. */
	if ((uint64_t)in_len > UINT32_MAX)
		return hvs__codec_fail(err,
				       "RamBlock: stream at offset 0x%" PRIx64
				       " of %zu bytes is too long to index",
				       base, in_len);
	while (op < HVS__RAMBLOCK_SIZE) {
		size_t p, first, last;
		if (ip == in_len)
			return rb_short(err, "input exhausted without an end token",
					base + ip, op);
		HVS_TRY(rb_next(&t, in, in_len, ip, op, base, err));
		if (t.kind == RB_END)
			return rb_short(err, "end token", base + t.off, op);
		/* Pages whose first byte lies in [op, op + out_len).  Only a
		 * 0xFFFFFFFC record can leave op off a page boundary. */
		first = (op + HVS__PAGE_SIZE - 1) / HVS__PAGE_SIZE;
		last = (op + t.out_len - 1) / HVS__PAGE_SIZE;
		for (p = first; p <= last && p * HVS__PAGE_SIZE < op + t.out_len; p++) {
			idx->tok_off[p] = (uint32_t)ip;
			idx->in_tok[p] = (uint32_t)(p * HVS__PAGE_SIZE - op);
			/* A fill or page token that starts on a page boundary
			 * produces whole pages by itself. */
			idx->simple[p] = (uint8_t)(t.kind != RB_SIZED &&
						   op % HVS__PAGE_SIZE == 0);
		}
		op += t.out_len;
		ip = t.next;
	}
	return HVS_OK;
}

hvs_status hvs__ramblock_decode_page(const hvs__ramblock_index *idx,
				     const uint8_t *in, size_t in_len,
				     unsigned page, uint8_t *out, uint64_t base,
				     hvs__err *err)
{
	rb_tok t;
	size_t at, before, pstart;

	if (page >= HVS__RAMBLOCK_PAGES)
		return HVS_E_INVALID;
	if (!idx->simple[page]) {
		if (err)
			hvs__err_set(err, HVS_E_UNSUPPORTED,
				     "RamBlock: page %u comes from a sized (0xFFFFFFFC) "
				     "record: decode the whole block",
				     page);
		return HVS_E_UNSUPPORTED;
	}
	/* Re-parse the token: the index may come from another stream, so
	 * its offsets are not trusted.  The output before the token is taken
	 * as existing so that rb_next's room checks use the token's place. */
	at = idx->tok_off[page];
	before = idx->in_tok[page];
	pstart = (size_t)page * HVS__PAGE_SIZE;
	if (at > in_len || before > pstart)
		return hvs__codec_fail(err,
				       "RamBlock: page %u: index entry (offset 0x%zx, "
				       "+0x%zx) outside the stream (0x%zx bytes)",
				       page, at, before, in_len);
	HVS_TRY(rb_next(&t, in, in_len, at, pstart - before, base, err));
	if (before > t.out_len || t.out_len - before < HVS__PAGE_SIZE)
		return hvs__codec_fail(err,
				       "RamBlock: page %u: indexed token at offset 0x%" PRIx64
				       " produces %u bytes, not a page at +0x%zx",
				       page, base + at, t.out_len, before);
	/* A fill page is the pattern whatever its place in a run; a page
	 * token is decoded on its own (XPRESS pages never reference other
	 * pages: each is compressed separately). */
	switch (t.kind) {
	case RB_FILL:
	case RB_RUN:
		fill_pattern(out, HVS__PAGE_SIZE, in + t.pat_off);
		return HVS_OK;
	case RB_PAGE:
		return rb_emit(&t, in, out, base, err);
	case RB_END:
	case RB_SIZED:
		break;
	}
	return hvs__codec_fail(err,
			       "RamBlock: page %u: indexed token at offset 0x%" PRIx64
			       " does not produce a page",
			       page, base + at);
}

/* ------------------------------------------------------------- encoder */

/* Is the page one 8-byte pattern repeated?  (What 0xFFFFFFFE can hold;
 * 64,321 of the sample's 64,512 pages are, almost all zero.) */
static int page_uniform(const uint8_t *pg)
{
	size_t i;
	for (i = 8; i < HVS__PAGE_SIZE; i += 8)
		if (memcmp(pg, pg + i, 8))
			return 0;
	return 1;
}

hvs_status hvs__ramblock_encode(const uint8_t *block, const uint8_t *kinds,
				uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t tmp_cap, longest = 1, run = 0, o = 0;
	uint8_t *tmp;
	unsigned p = 0;
	hvs_status st = HVS_OK;

	/* Scratch for one compressed page or the longest sized run. */
	for (p = 0; kinds && p < HVS__RAMBLOCK_PAGES; p++) {
		run = kinds[p] == HVS__RB_SIZED ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	p = 0;
	tmp_cap = hvs__xpress_bound(longest * HVS__PAGE_SIZE);
	tmp = malloc(tmp_cap);

#define NEED(n)                                 \
	do {                                    \
		if (out_cap - o < (size_t)(n)) { \
			st = HVS_E_BUFSIZE;     \
			goto out;               \
		}                               \
	} while (0)

	*out_len = 0;
	if (!tmp)
		return HVS_E_NOMEM;
	while (p < HVS__RAMBLOCK_PAGES) {
		const uint8_t *pg = block + (size_t)p * HVS__PAGE_SIZE;
		unsigned kind = kinds ? kinds[p] : HVS__RB_AUTO;
		size_t s;

		/* AUTO mirrors what the sample shows Hyper-V doing: single
		 * fills for uniform pages, XPRESS, raw when it does not shrink. */
		if (kind == HVS__RB_AUTO)
			kind = page_uniform(pg) ? HVS__RB_FILL : HVS__RB_XPRESS;
		switch (kind) {
		case HVS__RB_FILL:
		case HVS__RB_FILL_RUN: {
			unsigned q = p + 1;
			if (!page_uniform(pg)) {
				st = HVS_E_INVALID;
				goto out;
			}
			/* A run covers the following FILL_RUN pages with the
			 * same contents; a different pattern starts a new run. */
			if (kind == HVS__RB_FILL_RUN)
				while (q < HVS__RAMBLOCK_PAGES &&
				       kinds[q] == HVS__RB_FILL_RUN &&
				       !memcmp(block + (size_t)q * HVS__PAGE_SIZE, pg,
					       HVS__PAGE_SIZE))
					q++;
			if (kind == HVS__RB_FILL) {
				NEED(12);
				hvs__put_le32(out + o, HVS__RB_TOK_FILL);
				memcpy(out + o + 4, pg, 8);
				o += 12;
			} else {
				NEED(16);
				hvs__put_le32(out + o, HVS__RB_TOK_FILL_RUN);
				memcpy(out + o + 4, pg, 8);
				hvs__put_le32(out + o + 12, q - p);
				o += 16;
			}
			p = q;
			break;
		}
		case HVS__RB_XPRESS:
			st = hvs__xpress_compress(pg, HVS__PAGE_SIZE, tmp, tmp_cap, &s);
			if (st != HVS_OK)
				goto out;
			if (s < HVS__PAGE_SIZE) {
				NEED(4 + s);
				hvs__put_le32(out + o, (uint32_t)s);
				memcpy(out + o + 4, tmp, s);
				o += 4 + s;
				p++;
				break;
			}
			/* Does not shrink: store raw, as Hyper-V does. */
			/* fall through */
		case HVS__RB_RAW:
			NEED(4 + HVS__PAGE_SIZE);
			hvs__put_le32(out + o, HVS__PAGE_SIZE);
			memcpy(out + o + 4, pg, HVS__PAGE_SIZE);
			o += 4 + HVS__PAGE_SIZE;
			p++;
			break;
		case HVS__RB_SIZED: {
			unsigned q = p + 1;
			size_t u;
			while (q < HVS__RAMBLOCK_PAGES && kinds[q] == HVS__RB_SIZED)
				q++;
			u = (size_t)(q - p) * HVS__PAGE_SIZE;
			st = hvs__xpress_compress(pg, u, tmp, tmp_cap, &s);
			if (st != HVS_OK)
				goto out;
			/* S == U means raw, so compressed data must be smaller. */
			if (s >= u)
				s = u;
			NEED(12 + s);
			hvs__put_le32(out + o, HVS__RB_TOK_SIZED);
			hvs__put_le32(out + o + 4, (uint32_t)u);
			hvs__put_le32(out + o + 8, (uint32_t)s);
			memcpy(out + o + 12, s == u ? pg : tmp, s);
			o += 12 + s;
			p = q;
			break;
		}
		default:
			st = HVS_E_INVALID;
			goto out;
		}
	}
	/* Every real stream carries the end token even after 256 pages. */
	NEED(4);
	hvs__put_le32(out + o, HVS__RB_TOK_END);
	o += 4;
	*out_len = o;
out:
#undef NEED
	free(tmp);
	return st;
}
