/* SPDX-License-Identifier: MIT */
/*
 * Internal codecs for saved guest RAM (docs/format/ramblock.md):
 *
 *   - XPRESS "plain LZ77" (MS-XCA 2.3 / 2.4.4; format.md 4.3), the codec of
 *     compressed RamBlock pages (format.md 4.2: COMPRESSION_FORMAT_XPRESS);
 *   - LZNT1 (MS-XCA 2.5; format.md 4.4), kept for completeness;
 *   - the RamBlock token stream ("VmCompressUnpack", format.md 4.1) that
 *     encodes one 1 MiB block of guest RAM as fill, raw and XPRESS pages.
 *
 * Untrusted-input contract: every decoder treats its input as hostile.  It
 * never reads outside [in, in + in_len) nor writes outside
 * [out, out + out_len), never loops without consuming input, and on any
 * malformed input returns HVS_E_CORRUPT with a message giving the offset
 * in the input and what was expected.  The @err argument of every function
 * may be NULL (then no message is formatted).  No function here allocates
 * except the compressors (a fixed, small hash table) and none keeps state
 * between calls, so they may run on several threads at once.
 */
#ifndef HVS_CODEC_CODEC_H
#define HVS_CODEC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* ------------------------------------------------------------- common */

/* Size of a guest page and of one RamBlock (format.md 3.3, 4.1). */
#define HVS__PAGE_SIZE 4096u
#define HVS__RAMBLOCK_SIZE (1u << 20)
#define HVS__RAMBLOCK_PAGES (HVS__RAMBLOCK_SIZE / HVS__PAGE_SIZE)

/* Format a codec error into @err (NULL-safe); returns HVS_E_CORRUPT. */
hvs_status hvs__codec_fail(hvs__err *err, const char *fmt, ...) HVS__PRINTF(2, 3);

/* -------------------------------------------------------------- XPRESS */

/*
 * Decompress an XPRESS plain-LZ77 stream (MS-XCA 2.4.4) into exactly
 * @out_len bytes.  Decoding stops as soon as @out_len bytes exist (bytes
 * after that point, such as the padding flag word, are ignored); a stream
 * that ends first is an error naming how many bytes it produced.
 * Matches may not reach before @out nor past @out + @out_len.
 * @return HVS_OK or HVS_E_CORRUPT (message: input offset + expectation).
 */
hvs_status hvs__xpress_decompress(const uint8_t *in, size_t in_len,
				  uint8_t *out, size_t out_len, hvs__err *err);

/* Worst-case compressed size of @n input bytes (literals only + flags). */
size_t hvs__xpress_bound(size_t n);

/*
 * Compress @in into a valid XPRESS plain-LZ77 stream (MS-XCA 2.3 encoder
 * rules: 32-item groups, flag word before its items, trailing flag bits
 * set to 1, shared length nibbles).  Greedy LZ77 with a hash chain over
 * the 8 KiB window.  Used for fixtures, fuzz seeds and benchmarks.
 * @param out_len receives the compressed size.
 * @return HVS_OK, HVS_E_BUFSIZE when @out_cap < the output (use
 *         hvs__xpress_bound()), HVS_E_NOMEM.
 */
hvs_status hvs__xpress_compress(const uint8_t *in, size_t in_len, uint8_t *out,
				size_t out_cap, size_t *out_len);

/* --------------------------------------------------------------- LZNT1 */

/*
 * Decompress an LZNT1 stream (MS-XCA 2.5).  Ends at a zero chunk header or
 * at the end of the input.  Output larger than @out_cap is an error.
 * @param out_done receives the number of bytes produced.
 * @return HVS_OK or HVS_E_CORRUPT.
 */
hvs_status hvs__lznt1_decompress(const uint8_t *in, size_t in_len,
				 uint8_t *out, size_t out_cap, size_t *out_done,
				 hvs__err *err);

/* Worst-case LZNT1 size of @n bytes (stored chunks + end marker). */
size_t hvs__lznt1_bound(size_t n);

/*
 * Compress @in as LZNT1 (4 KiB chunks; a chunk that does not shrink is
 * stored), followed by a zero end header.  For fixtures and fuzz seeds.
 * @return HVS_OK or HVS_E_BUFSIZE.
 */
hvs_status hvs__lznt1_compress(const uint8_t *in, size_t in_len, uint8_t *out,
			       size_t out_cap, size_t *out_len);

/* ------------------------------------------------------ RamBlock stream */

/* Token values (format.md 4.1).  On-disk constants: never renumber. */
#define HVS__RB_TOK_END 0xFFFFFFFFu       /* end of stream */
#define HVS__RB_TOK_FILL 0xFFFFFFFEu      /* u64 pattern: one page */
#define HVS__RB_TOK_FILL_RUN 0xFFFFFFFDu  /* u64 pattern, u32 count: pages */
#define HVS__RB_TOK_SIZED 0xFFFFFFFCu     /* u32 U, u32 S, S bytes: U bytes */

/* What a decode saw: token counts and where the stream ended. */
typedef struct hvs__ramblock_stats {
	uint32_t fills;        /* 0xFFFFFFFE tokens */
	uint32_t fill_runs;    /* 0xFFFFFFFD tokens */
	uint32_t fill_pages;   /* pages produced by 0xFFFFFFFD tokens */
	uint32_t sized;        /* 0xFFFFFFFC tokens */
	uint32_t raw_pages;    /* page tokens with S == 4096 */
	uint32_t xpress_pages; /* page tokens with S < 4096 */
	uint32_t end_token;    /* 1 when the 0xFFFFFFFF token was reached */
	size_t consumed;       /* input bytes consumed (end token included) */
} hvs__ramblock_stats;

/*
 * Decode one RamBlock token stream into @out, which holds exactly
 * HVS__RAMBLOCK_SIZE bytes.  Stops at the end token, at the end of the
 * input or when 1 MiB has been produced (format.md 4.1); anything but
 * exactly 1 MiB is an error that says how many bytes were produced.
 * @param base   added to input offsets in messages (e.g. the file offset
 *               of @in), so errors name a position in the file.
 * @param stats  optional; filled with token counts (also on error).
 * @return HVS_OK or HVS_E_CORRUPT.
 */
hvs_status hvs__ramblock_decode(const uint8_t *in, size_t in_len, uint8_t *out,
				uint64_t base, hvs__ramblock_stats *stats,
				hvs__err *err);

/*
 * Per-page index of a token stream, so that one page can be decoded
 * without decoding the whole block (random reads).  Built by scanning the
 * tokens only (XPRESS payloads are not decompressed).
 */
typedef struct hvs__ramblock_index {
	/* Input offset of the token whose output starts page i. */
	uint32_t tok_off[HVS__RAMBLOCK_PAGES];
	/* Offset of page i's first byte inside that token's output. */
	uint32_t in_tok[HVS__RAMBLOCK_PAGES];
	/* 1 when page i is produced by one page/fill token alone. */
	uint8_t simple[HVS__RAMBLOCK_PAGES];
} hvs__ramblock_index;

/*
 * Scan a token stream and fill @idx.  Checks the framing as strictly as
 * hvs__ramblock_decode() does (every size, count and bound, 1 MiB total)
 * except the contents of compressed payloads.
 * @return HVS_OK or HVS_E_CORRUPT.
 */
hvs_status hvs__ramblock_index_build(hvs__ramblock_index *idx,
				     const uint8_t *in, size_t in_len,
				     uint64_t base, hvs__err *err);

/*
 * Decode page @page (0..255) of a stream indexed by @idx into @out (4096
 * bytes).  Only the tokens that produce the page are decoded.
 * @return HVS_OK, HVS_E_CORRUPT, HVS_E_INVALID (page out of range) or
 *         HVS_E_UNSUPPORTED when the page is not produced by a single
 *         page token (a 0xFFFFFFFC record covers it): decode the whole
 *         block with hvs__ramblock_decode() instead.
 */
hvs_status hvs__ramblock_decode_page(const hvs__ramblock_index *idx,
				     const uint8_t *in, size_t in_len,
				     unsigned page, uint8_t *out, uint64_t base,
				     hvs__err *err);

/* How the encoder stores each page (fixtures choose any mix). */
enum hvs__rb_kind {
	HVS__RB_AUTO = 0,     /* fill if uniform, else XPRESS if smaller, else raw */
	HVS__RB_FILL = 1,     /* 0xFFFFFFFE (page must be a repeated u64) */
	HVS__RB_FILL_RUN = 2, /* consecutive pages with this kind and the same
			       * pattern share one 0xFFFFFFFD token */
	HVS__RB_RAW = 3,      /* 4096 + raw bytes */
	HVS__RB_XPRESS = 4,   /* S + XPRESS (raw if it does not shrink) */
	HVS__RB_SIZED = 5     /* consecutive pages with this kind share one
			       * 0xFFFFFFFC record (XPRESS or raw) */
};

/* Largest stream hvs__ramblock_encode() can write. */
#define HVS__RAMBLOCK_ENCODE_BOUND \
	(HVS__RAMBLOCK_SIZE + HVS__RAMBLOCK_PAGES * 16u + 16u)

/*
 * Encode the 1 MiB @block as a token stream ending in 0xFFFFFFFF.
 * @param kinds  HVS__RAMBLOCK_PAGES enum hvs__rb_kind values, or NULL for
 *               all HVS__RB_AUTO.
 * @return HVS_OK, HVS_E_INVALID (a FILL page that is not uniform),
 *         HVS_E_BUFSIZE (use HVS__RAMBLOCK_ENCODE_BOUND) or HVS_E_NOMEM.
 */
hvs_status hvs__ramblock_encode(const uint8_t *block, const uint8_t *kinds,
				uint8_t *out, size_t out_cap, size_t *out_len);

#endif
