/* SPDX-License-Identifier: MIT */
/*
 * x64 stack unwinder (include/hvs/unwind.h, docs/unwind.md).
 *
 * Layouts and rules: Microsoft "x64 exception handling" (learn.microsoft
 * .com, cpp/build/exception-handling-x64): RUNTIME_FUNCTION, UNWIND_INFO
 * (version, flags, SizeOfProlog, CountOfCodes, FrameRegister/Offset),
 * UNWIND_CODE (CodeOffset, UnwindOp, OpInfo and the slot counts of each
 * operation), chained unwind info, and the "Unwind procedure" section
 * (prologue offsets, epilogue recognition: add/lea rsp, pops, ret or a
 * jmp out of the function).  Every byte read from the guest is decoded
 * with the little-endian helpers and checked; every loop is bounded.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hvs/unwind.h"
#include "hvs/vp.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/err.h"

/* UNWIND_INFO flags (the upper five bits of byte 0). */
#define UNW_FLAG_CHAININFO 0x4u

/* UnwindOp values (on-disk constants, never renumbered). */
enum {
	UWOP_PUSH_NONVOL = 0,
	UWOP_ALLOC_LARGE = 1,
	UWOP_ALLOC_SMALL = 2,
	UWOP_SET_FPREG = 3,
	UWOP_SAVE_NONVOL = 4,
	UWOP_SAVE_NONVOL_FAR = 5,
	UWOP_EPILOG = 6,          /* version 2; version 1: SAVE_XMM (obsolete) */
	UWOP_SPARE_CODE = 7,      /* version 2; version 1: SAVE_XMM_FAR */
	UWOP_SAVE_XMM128 = 8,
	UWOP_SAVE_XMM128_FAR = 9,
	UWOP_PUSH_MACHFRAME = 10
};

/* Code bytes examined for an epilogue: add/lea (8) + 16 pops (2 each) +
 * the terminator (7) fit. */
#define EPILOG_BYTES 48u
/* Largest distance RBP may be above RSP for the frame-pointer fallback. */
#define FP_MAX_DIST 0x100000u
/* Negative image-search results remembered. */
#define NEG_CACHE 16u

typedef struct module {
	char name[HVS_UNWIND_NAME_MAX];
	uint64_t base;
	uint32_t size;
	hvs_pe *pe;       /* opened lazily */
	int pe_failed;    /* the headers could not be read */
} module;

typedef struct vp_reader {
	hvs_image *img;
	uint32_t vp;
} vp_reader;

struct hvs_unwind {
	hvs__alloc alloc;
	hvs__err err;
	hvs_pe_read_fn read;
	void *ud;
	vp_reader vpr;
	int no_search, no_fallback;
	module *mods;
	size_t nmods, cap;
	uint64_t neg[NEG_CACHE];  /* pages whose image search failed */
	unsigned nneg, negpos;
	hvs_unwind_sym_fn sym;
	void *sym_ud;
	int stack_fail;  /* the last failed read was of the stack, not of unwind data */
};

/* ------------------------------------------------------------ names */

const char *hvs_unwind_end_name(hvs_unwind_end e)
{
	switch (e) {
	case HVS_UNWIND_END_BOTTOM: return "bottom";
	case HVS_UNWIND_END_MAX: return "max-frames";
	case HVS_UNWIND_END_READ: return "unreadable";
	case HVS_UNWIND_END_CORRUPT: return "corrupt";
	case HVS_UNWIND_END_CYCLE: return "cycle";
	case HVS_UNWIND_END_NOFRAME: return "no-frame";
	}
	return "?";
}

const char *hvs_unwind_how_name(hvs_unwind_how h)
{
	switch (h) {
	case HVS_UNWIND_CONTEXT: return "context";
	case HVS_UNWIND_INFO: return "unwind-info";
	case HVS_UNWIND_EPILOG: return "epilog";
	case HVS_UNWIND_MACHFRAME: return "machframe";
	case HVS_UNWIND_LEAF: return "leaf";
	case HVS_UNWIND_FRAME_POINTER: return "frame-pointer";
	case HVS_UNWIND_STACK_SCAN: return "stack-scan";
	}
	return "?";
}

/* ------------------------------------------------------- lifecycle */

static hvs_status vp_read(void *ud, uint64_t va, void *buf, size_t len,
			  size_t *done)
{
	vp_reader *r = ud;

	return hvs_vp_read(r->img, r->vp, va, buf, len, done);
}

hvs_status hvs_unwind_new(hvs_unwind **out, hvs_pe_read_fn read, void *ud,
			  const hvs_unwind_opts *o)
{
	hvs__alloc a;
	hvs_unwind *u;

	if (!out || !read)
		return HVS_E_INVALID;
	*out = NULL;
	hvs__alloc_init(&a, o ? o->alloc : NULL);
	u = hvs__calloc(&a, 1, sizeof *u);
	if (!u)
		return HVS_E_NOMEM;
	u->alloc = a;
	u->read = read;
	u->ud = ud;
	u->no_search = o ? o->no_image_search : 0;
	u->no_fallback = o ? o->no_fallback : 0;
	*out = u;
	return HVS_OK;
}

static void set_errbuf(const hvs_unwind_opts *o, const char *msg)
{
	if (o && o->errbuf && o->errbuf_size)
		snprintf(o->errbuf, o->errbuf_size, "%s", msg);
}

hvs_status hvs_unwind_new_vp(hvs_unwind **out, hvs_image *img, uint32_t vp,
			     const hvs_unwind_opts *o)
{
	hvs_vp_info vi;
	hvs_status s;

	if (!out || !img)
		return HVS_E_INVALID;
	*out = NULL;
	if (hvs_image_vp_info(img, vp, &vi) != HVS_OK) {
		set_errbuf(o, "no such virtual processor");
		return HVS_E_INVALID;
	}
	if (vi.arch == HVS_ARCH_ARM64) {
		set_errbuf(o, "ARM64 stack unwinding is not supported yet");
		return HVS_E_UNSUPPORTED;
	}
	if (vi.arch != HVS_ARCH_X64) {
		set_errbuf(o, "only x64 (long mode) stacks can be unwound; this VP is not in long mode");
		return HVS_E_UNSUPPORTED;
	}
	s = hvs_unwind_new(out, vp_read, NULL, o);
	if (s != HVS_OK)
		return s;
	(*out)->vpr.img = img;
	(*out)->vpr.vp = vp;
	(*out)->ud = &(*out)->vpr;
	return HVS_OK;
}

void hvs_unwind_free(hvs_unwind *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->nmods; i++)
		hvs_pe_close(u->mods[i].pe);
	hvs__free(&u->alloc, u->mods);
	hvs__free(&u->alloc, u);
}

const char *hvs_unwind_errmsg(const hvs_unwind *u)
{
	return u ? u->err.msg : "";
}

void hvs_unwind_set_symbols(hvs_unwind *u, hvs_unwind_sym_fn fn, void *ud)
{
	if (!u)
		return;
	u->sym = fn;
	u->sym_ud = ud;
}

hvs_status hvs_unwind_vp_context(hvs_image *img, uint32_t vp,
				 hvs_unwind_ctx *out)
{
	hvs_vp_info vi;
	hvs_regval v;
	unsigned i;

	if (!img || !out)
		return HVS_E_INVALID;
	memset(out, 0, sizeof *out);
	if (hvs_image_vp_info(img, vp, &vi) != HVS_OK)
		return HVS_E_INVALID;
	if (vi.arch != HVS_ARCH_X64)
		return HVS_E_UNSUPPORTED;
	if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, HVS_REG_X64_RIP, &v) != HVS_OK)
		return HVS_E_NOTFOUND;
	out->rip = v.lo;
	/* The general registers are ids 0..15 in encoding order (regs.h). */
	for (i = 0; i < 16; i++)
		if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE,
				      (hvs_reg)(HVS_REG_X64_RAX + i), &v) == HVS_OK) {
			out->gpr[i] = v.lo;
			out->gpr_known |= 1u << i;
		}
	for (i = 0; i < 16; i++)
		if (hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE,
				      (hvs_reg)(HVS_REG_X64_XMM0 + i), &out->xmm[i]) == HVS_OK)
			out->xmm_known |= 1u << i;
	if (!(out->gpr_known >> HVS_UNWIND_RSP & 1u))
		return HVS_E_NOTFOUND;
	return HVS_OK;
}

/* ---------------------------------------------------------- modules */

/* The name WinDbg would use: the file name without its extension. */
static void base_name(char *dst, size_t size, const char *src)
{
	const char *p = src, *q;
	size_t n;

	for (q = src; *q; q++)
		if (*q == '\\' || *q == '/')
			p = q + 1;
	q = strrchr(p, '.');
	n = q && q != p ? (size_t)(q - p) : strlen(p);
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

static void name_from_image(module *m)
{
	const hvs_pe_exports *ex = NULL;
	const hvs_pe_codeview *cv = NULL;

	if (m->pe && hvs_pe_get_exports(m->pe, &ex) == HVS_OK && ex->dll_name[0])
		base_name(m->name, sizeof m->name, ex->dll_name);
	else if (m->pe && hvs_pe_get_codeview(m->pe, &cv) == HVS_OK && cv->pdb_name[0])
		base_name(m->name, sizeof m->name, cv->pdb_name);
	else
		snprintf(m->name, sizeof m->name, "image%016" PRIx64, m->base);
}

static hvs_status add_module(hvs_unwind *u, const char *name, uint64_t base,
			     uint32_t size, hvs_pe *pe, module **out)
{
	module *m;
	void *p = u->mods;

	if (u->nmods >= HVS_UNWIND_MAX_MODULES)
		return hvs__err_set(&u->err, HVS_E_BUFSIZE, "more than %u modules",
				    HVS_UNWIND_MAX_MODULES);
	if (hvs__grow(&u->alloc, &p, &u->cap, u->nmods + 1, sizeof *m) != HVS_OK)
		return hvs__err_set(&u->err, HVS_E_NOMEM, "module table");
	u->mods = p;
	m = &u->mods[u->nmods++];
	memset(m, 0, sizeof *m);
	m->base = base;
	m->size = size;
	m->pe = pe;
	if (name)
		snprintf(m->name, sizeof m->name, "%s", name);
	else
		name_from_image(m);
	if (out)
		*out = m;
	return HVS_OK;
}

hvs_status hvs_unwind_add_module(hvs_unwind *u, const char *name, uint64_t base,
				 uint32_t size)
{
	hvs_pe *pe = NULL;
	hvs_status s;

	if (!u)
		return HVS_E_INVALID;
	if (!size || !name) {
		s = hvs_pe_open(&pe, base, u->read, u->ud, NULL);
		if (s != HVS_OK)
			return hvs__err_set(&u->err, s, "module at 0x%016" PRIx64
					    ": no readable PE image", base);
		if (!size)
			size = hvs_pe_get_headers(pe)->image_size;
	}
	if (base + size < base) {
		hvs_pe_close(pe);
		return hvs__err_set(&u->err, HVS_E_INVALID, "module at 0x%016" PRIx64
				    ": size wraps", base);
	}
	s = add_module(u, name, base, size, pe, NULL);
	if (s != HVS_OK)
		hvs_pe_close(pe);
	return s;
}

/* Look below @va, page by page, for the image that contains it. */
static module *search_image(hvs_unwind *u, uint64_t va)
{
	uint64_t page = va & ~0xFFFull, lo;
	unsigned i;

	for (i = 0; i < u->nneg; i++)
		if (u->neg[i] == page)
			return NULL;
	lo = page > HVS_UNWIND_IMAGE_SEARCH ? page - HVS_UNWIND_IMAGE_SEARCH : 0;
	for (;;) {
		uint8_t mz[2];
		size_t done = 0;

		if (u->read(u->ud, page, mz, 2, &done) == HVS_OK &&
		    mz[0] == 'M' && mz[1] == 'Z') {
			hvs_pe *pe = NULL;

			if (hvs_pe_open(&pe, page, u->read, u->ud, NULL) == HVS_OK) {
				const hvs_pe_headers *h = hvs_pe_get_headers(pe);
				module *m = NULL;

				if (h->machine == HVS_PE_MACHINE_AMD64 &&
				    va - page < h->image_size &&
				    add_module(u, NULL, page, h->image_size, pe, &m) == HVS_OK)
					return m;
				hvs_pe_close(pe);
			}
		}
		if (page <= lo)
			break;
		page -= 0x1000;
	}
	/* Remember the miss (a ring of the last NEG_CACHE pages). */
	u->neg[u->negpos] = va & ~0xFFFull;
	u->negpos = (u->negpos + 1) % NEG_CACHE;
	if (u->nneg < NEG_CACHE)
		u->nneg++;
	return NULL;
}

static module *find_module(hvs_unwind *u, uint64_t va, int search)
{
	size_t i;

	for (i = 0; i < u->nmods; i++)
		if (va >= u->mods[i].base && va - u->mods[i].base < u->mods[i].size)
			return &u->mods[i];
	return search && !u->no_search ? search_image(u, va) : NULL;
}

static hvs_pe *module_pe(hvs_unwind *u, module *m)
{
	if (!m->pe && !m->pe_failed &&
	    hvs_pe_open(&m->pe, m->base, u->read, u->ud, NULL) != HVS_OK)
		m->pe_failed = 1;
	return m->pe;
}

/* ------------------------------------------------------------ reads */

static hvs_status rd(hvs_unwind *u, uint64_t va, void *buf, size_t len,
		     const char *what)
{
	size_t done = 0;
	hvs_status s = u->read(u->ud, va, buf, len, &done);

	if (s != HVS_OK)
		return hvs__err_set(&u->err, s == HVS_E_NOTPRESENT || s == HVS_E_NODATA
				    ? s : HVS_E_NODATA,
				    "%s at 0x%016" PRIx64 " not readable (%s)", what,
				    va, hvs_strerror(s));
	return HVS_OK;
}

/* Stack reads: a failure ends the walk (END_READ) instead of sending it
 * to the fallbacks meant for missing unwind data. */
static hvs_status rd64(hvs_unwind *u, uint64_t va, uint64_t *out, const char *what)
{
	uint8_t b[8];
	hvs_status s = rd(u, va, b, 8, what);

	if (s != HVS_OK) {
		u->stack_fail = 1;
		return s;
	}
	*out = hvs__le64(b);
	return HVS_OK;
}

static int is_read_error(hvs_status s)
{
	return s == HVS_E_NOTPRESENT || s == HVS_E_NODATA || s == HVS_E_IO;
}

/* ------------------------------------------------------- epilogues */

/*
 * The primary function of a RUNTIME_FUNCTION: follow chained entries
 * (UNW_FLAG_CHAININFO, indirect entries) to the first, whose begin RVA
 * names the function.  Returns 0 when the chain cannot be read.
 */
static int primary_begin(hvs_unwind *u, const module *m, uint32_t begin,
			 uint32_t info, uint32_t *out)
{
	unsigned depth;

	for (depth = 0; depth < HVS_UNWIND_MAX_CHAIN; depth++) {
		uint8_t b[12], h[4];
		size_t done = 0;
		uint32_t at;

		if (info & 1u) {
			at = info & ~1u;
		} else {
			if (info >= m->size || m->size - info < 4 ||
			    u->read(u->ud, m->base + info, h, 4, &done) != HVS_OK)
				return 0;
			if (!((h[0] >> 3) & UNW_FLAG_CHAININFO)) {
				*out = begin;
				return 1;
			}
			at = info + 4 + (uint32_t)((h[2] + 1u) & ~1u) * 2u;
		}
		if (at >= m->size || m->size - at < 12 ||
		    u->read(u->ud, m->base + at, b, 12, &done) != HVS_OK)
			return 0;
		begin = hvs__le32(b);
		info = hvs__le32(b + 8);
	}
	return 0;
}

/*
 * Does a jmp from the function at @primary (RVA of its primary entry) to
 * @tgt leave it?  A jmp to another part of the same function (a chained
 * fragment) does not; one to the function's own start is a recursive
 * tail call and does (Windows' RtlpSameFunction rule).
 */
static int jmp_leaves(hvs_unwind *u, module *m, uint32_t primary, uint64_t tgt)
{
	const hvs_pe_runtime_function *rf;
	hvs_pe *pe;
	uint32_t p;

	if (tgt < m->base || tgt - m->base >= m->size || !(pe = module_pe(u, m)))
		return 1;
	if (hvs_pe_find_runtime_function(pe, (uint32_t)(tgt - m->base), &rf) != HVS_OK)
		return 1;
	if (!primary_begin(u, m, rf->begin_rva, rf->unwind_rva, &p))
		return 1;
	return p != primary || tgt == m->base + primary;
}

/*
 * Is RIP in an epilogue?  The Windows rule: an optional "add rsp, imm"
 * or "lea rsp, [frame_reg + disp]", then any number of "pop reg", then
 * "ret" or a jmp that leaves the function.  If so, emulate it into @c.
 * Returns 1 (emulated), 0 (not an epilogue) or -1 (a read failed while
 * emulating; the message is set).
 */
static int try_epilog(hvs_unwind *u, module *m, uint32_t primary,
		      hvs_unwind_ctx *c, uint64_t begin, uint64_t end,
		      unsigned frame_reg, uint32_t *restored)
{
	uint8_t b[EPILOG_BYTES];
	size_t n = 0, i = 0;
	uint64_t rsp = c->gpr[HVS_UNWIND_RSP], tgt;
	int pops[16], npops = 0, k, term = 0;
	uint16_t retimm = 0;

	/* Read what is readable up to the end of the page. */
	n = EPILOG_BYTES;
	if (((c->rip & 0xFFF) + n) > 0x1000)
		n = 0x1000 - (c->rip & 0xFFF);
	if (u->read(u->ud, c->rip, b, n, &i) != HVS_OK)
		return 0;
	i = 0;
	if (n >= 4 && b[0] == 0x48 && b[1] == 0x83 && b[2] == 0xC4) {
		rsp += b[3];
		i = 4;
	} else if (n >= 7 && b[0] == 0x48 && b[1] == 0x81 && b[2] == 0xC4) {
		rsp += hvs__le32(b + 3);
		i = 7;
	} else if (frame_reg && n >= 4 && (b[0] & 0xFE) == 0x48 && b[1] == 0x8D &&
		   (unsigned)((b[0] & 1) << 3 | (b[2] & 7)) == frame_reg &&
		   (b[2] & 0x38) == 0x20 && (b[2] >> 6 == 1 || b[2] >> 6 == 2)) {
		size_t p = 3;
		int64_t disp;

		if ((b[2] & 7) == 4) {    /* r12: SIB byte 0x24 */
			if (b[3] != 0x24)
				return 0;
			p = 4;
		}
		if (b[2] >> 6 == 1) {
			if (p + 1 > n)
				return 0;
			disp = (int8_t)b[p];
			p += 1;
		} else {
			if (p + 4 > n)
				return 0;
			disp = (int32_t)hvs__le32(b + p);
			p += 4;
		}
		if (!(c->gpr_known >> frame_reg & 1u))
			return 0;
		rsp = c->gpr[frame_reg] + (uint64_t)disp;
		i = p;
	}
	while (npops < 16 && i < n) {
		if (b[i] >= 0x58 && b[i] <= 0x5F) {
			pops[npops++] = b[i] - 0x58;
			i += 1;
		} else if (i + 1 < n && b[i] == 0x41 && b[i + 1] >= 0x58 &&
			   b[i + 1] <= 0x5F) {
			pops[npops++] = 8 + b[i + 1] - 0x58;
			i += 2;
		} else {
			break;
		}
	}
	if (i < n && b[i] == 0xC3)
		term = 1;
	else if (i + 1 < n && b[i] == 0xF3 && b[i + 1] == 0xC3)
		term = 1;
	else if (i + 2 < n && b[i] == 0xC2) {
		term = 1;
		retimm = hvs__le16(b + i + 1);
	} else if (i + 4 < n && b[i] == 0xE9) {
		tgt = c->rip + i + 5 + (uint64_t)(int64_t)(int32_t)hvs__le32(b + i + 1);
		term = (tgt < begin || tgt >= end) && jmp_leaves(u, m, primary, tgt);
	} else if (i + 1 < n && b[i] == 0xEB) {
		tgt = c->rip + i + 2 + (uint64_t)(int64_t)(int8_t)b[i + 1];
		term = (tgt < begin || tgt >= end) && jmp_leaves(u, m, primary, tgt);
	} else if (i + 1 < n && b[i] == 0xFF && b[i + 1] == 0x25) {
		term = 1;
	} else if (i + 2 < n && b[i] == 0x48 && b[i + 1] == 0xFF && b[i + 2] == 0x25) {
		term = 1;
	}
	if (!term)
		return 0;
	for (k = 0; k < npops; k++) {
		if (rd64(u, rsp, &c->gpr[pops[k]], "epilogue pop") != HVS_OK)
			return -1;
		c->gpr_known |= 1u << pops[k];
		*restored |= 1u << pops[k];
		rsp += 8;
	}
	if (rd64(u, rsp, &c->rip, "return address (epilogue)") != HVS_OK)
		return -1;
	c->gpr[HVS_UNWIND_RSP] = rsp + 8 + retimm;
	return 1;
}

/* ----------------------------------------------------- UNWIND_INFO */

/* Slots an operation takes, or 0 when it is not valid in @ver. */
static unsigned op_slots(unsigned op, unsigned info, unsigned ver)
{
	switch (op) {
	case UWOP_PUSH_NONVOL: case UWOP_ALLOC_SMALL: case UWOP_SET_FPREG:
	case UWOP_PUSH_MACHFRAME:
		return 1;
	case UWOP_ALLOC_LARGE:
		return info == 0 ? 2 : info == 1 ? 3 : 0;
	case UWOP_SAVE_NONVOL: case UWOP_SAVE_XMM128:
		return 2;
	case UWOP_SAVE_NONVOL_FAR: case UWOP_SAVE_XMM128_FAR:
		return 3;
	case UWOP_EPILOG:
		return ver == 2 ? 2 : 0;
	default:
		return 0;
	}
}

typedef struct unwind_state {
	hvs_unwind_ctx c;
	uint32_t gpr_restored, xmm_restored;
	int machframe;
	int epilog;
} unwind_state;

/*
 * Apply one UNWIND_INFO (at image RVA @info_rva) to @st.  @prolog_off is
 * RIP's offset in the function when this is the primary info, else
 * UINT32_MAX (a chained parent: its prologue ran completely).  On
 * return *@chain holds the chained RUNTIME_FUNCTION's unwind RVA, or 0.
 */
static hvs_status apply_info(hvs_unwind *u, module *m, uint32_t info_rva,
			     uint32_t prolog_off, uint64_t fbegin, uint64_t fend,
			     uint32_t primary, unwind_state *st, uint32_t *chain)
{
	uint8_t hdr[4], codes[512 + 12];
	unsigned ver, flags, psize, count, freg, foff, i;
	uint64_t va = m->base + info_rva, base, rsp = st->c.gpr[HVS_UNWIND_RSP];
	size_t clen;
	int in_prolog;

	*chain = 0;
	if (info_rva >= m->size || m->size - info_rva < 4)
		return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO RVA 0x%" PRIx32
				   " outside the image (size 0x%" PRIx32 ")",
				   m->name, info_rva, m->size);
	HVS_TRY(rd(u, va, hdr, 4, "UNWIND_INFO"));
	ver = hdr[0] & 7u;
	flags = hdr[0] >> 3;
	psize = hdr[1];
	count = hdr[2];
	freg = hdr[3] & 15u;
	foff = hdr[3] >> 4;
	if (ver != 1 && ver != 2)
		return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO at RVA 0x%" PRIx32
				   ": version %u (expected 1 or 2)", m->name,
				   info_rva, ver);
	/* Codes, padded to an even count, then the chained entry. */
	clen = (size_t)((count + 1u) & ~1u) * 2u;
	if (flags & UNW_FLAG_CHAININFO)
		clen += 12;
	if (clen)
		HVS_TRY(rd(u, va + 4, codes, clen, "unwind codes"));
	in_prolog = prolog_off != UINT32_MAX && prolog_off < psize;

	/* The frame base for SAVE_* offsets: the frame register minus its
	 * offset once SET_FPREG has run, else RSP (Windows' rule). */
	base = rsp;
	if (freg) {
		for (i = 0; i < count; i++) {
			unsigned op = codes[2 * i + 1] & 15u;
			unsigned sl = op_slots(op, codes[2 * i + 1] >> 4, ver);

			if (op == UWOP_SET_FPREG) {
				if (!in_prolog || codes[2 * i] <= prolog_off) {
					if (!(st->c.gpr_known >> freg & 1u))
						return hvs__err_set(&u->err, HVS_E_NOTFOUND,
								    "%s: frame register %u unknown",
								    m->name, freg);
					base = st->c.gpr[freg] - 16u * foff;
				}
				break;
			}
			if (!sl)
				break;
			i += sl - 1;
		}
	}
	/* Epilogue: only for the primary info and past the prologue. */
	if (prolog_off != UINT32_MAX && !in_prolog) {
		unwind_state t = *st;
		int r = try_epilog(u, m, primary, &t.c, fbegin, fend, freg,
				   &t.gpr_restored);

		if (r < 0)
			return HVS_E_NODATA;
		if (r > 0) {
			t.epilog = 1;
			*st = t;
			return HVS_OK;
		}
	}
	for (i = 0; i < count;) {
		unsigned co = codes[2 * i], op = codes[2 * i + 1] & 15u;
		unsigned info = codes[2 * i + 1] >> 4;
		unsigned sl = op_slots(op, info, ver);
		uint64_t v, off = 0;
		uint8_t x[16];
		hvs_status rs;

		if (!sl)
			return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO at RVA 0x%" PRIx32
					   ": code %u: operation %u (info %u) is not valid in version %u",
					   m->name, info_rva, i, op, info, ver);
		if (i + sl > count)
			return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO at RVA 0x%" PRIx32
					   ": code %u: operation %u needs %u slots, %u left",
					   m->name, info_rva, i, op, sl, count - i);
		if (sl == 2)
			off = hvs__le16(codes + 2 * i + 2);
		else if (sl == 3)
			off = hvs__le32(codes + 2 * i + 2);
		if (st->machframe)
			return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO at RVA 0x%" PRIx32
					   ": code %u after PUSH_MACHFRAME", m->name,
					   info_rva, i);
		/* In the prologue, skip what has not run yet (EPILOG codes
		 * describe epilogues and have no effect here). */
		if ((in_prolog && co > prolog_off) || op == UWOP_EPILOG) {
			i += sl;
			continue;
		}
		switch (op) {
		case UWOP_PUSH_NONVOL:
			HVS_TRY(rd64(u, rsp, &v, "pushed register"));
			st->c.gpr[info] = v;
			st->c.gpr_known |= 1u << info;
			st->gpr_restored |= 1u << info;
			rsp += 8;
			break;
		case UWOP_ALLOC_LARGE:
			rsp += info == 0 ? off * 8 : off;
			break;
		case UWOP_ALLOC_SMALL:
			rsp += info * 8u + 8u;
			break;
		case UWOP_SET_FPREG:
			if (!freg)
				return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO at RVA 0x%" PRIx32
						   ": SET_FPREG without a frame register",
						   m->name, info_rva);
			if (!(st->c.gpr_known >> freg & 1u))
				return hvs__err_set(&u->err, HVS_E_NOTFOUND,
						    "%s: frame register %u unknown", m->name, freg);
			rsp = st->c.gpr[freg] - 16u * foff;
			break;
		case UWOP_SAVE_NONVOL:
		case UWOP_SAVE_NONVOL_FAR:
			HVS_TRY(rd64(u, base + (op == UWOP_SAVE_NONVOL ? off * 8 : off),
				     &v, "saved register"));
			st->c.gpr[info] = v;
			st->c.gpr_known |= 1u << info;
			st->gpr_restored |= 1u << info;
			break;
		case UWOP_SAVE_XMM128:
		case UWOP_SAVE_XMM128_FAR:
			rs = rd(u, base + (op == UWOP_SAVE_XMM128 ? off * 16 : off), x, 16,
				"saved XMM register");
			if (rs != HVS_OK) {
				u->stack_fail = 1;
				return rs;
			}
			st->c.xmm[info].lo = hvs__le64(x);
			st->c.xmm[info].hi = hvs__le64(x + 8);
			st->c.xmm_known |= 1u << info;
			st->xmm_restored |= 1u << info;
			break;
		case UWOP_PUSH_MACHFRAME:
			if (info > 1)
				return HVS_CORRUPT(&u->err, "%s: UNWIND_INFO at RVA 0x%" PRIx32
						   ": PUSH_MACHFRAME info %u (expected 0 or 1)",
						   m->name, info_rva, info);
			/* RIP, CS, RFLAGS, RSP, SS (after an error code). */
			rsp += info * 8u;
			HVS_TRY(rd64(u, rsp, &st->c.rip, "machine frame RIP"));
			HVS_TRY(rd64(u, rsp + 24, &v, "machine frame RSP"));
			rsp = v;
			st->machframe = 1;
			break;
		}
		i += sl;
	}
	st->c.gpr[HVS_UNWIND_RSP] = rsp;
	if (flags & UNW_FLAG_CHAININFO) {
		const uint8_t *rf = codes + clen - 12;

		*chain = hvs__le32(rf + 8);
		if (!*chain)
			return HVS_CORRUPT(&u->err, "%s: chained RUNTIME_FUNCTION after "
					   "UNWIND_INFO at RVA 0x%" PRIx32 " has no unwind data",
					   m->name, info_rva);
	}
	return HVS_OK;
}

/* Unwind with the function's unwind data; *how receives the method. */
static hvs_status unwind_function(hvs_unwind *u, module *m,
				  const hvs_pe_runtime_function *rf, uint64_t rip,
				  unwind_state *st)
{
	uint32_t info = rf->unwind_rva, visited[HVS_UNWIND_MAX_CHAIN];
	uint64_t fbegin = m->base + rf->begin_rva, fend = m->base + rf->end_rva;
	uint32_t prolog_off = (uint32_t)(rip - fbegin);
	unsigned depth = 0, k;
	uint32_t primary = rf->begin_rva;

	(void)primary_begin(u, m, rf->begin_rva, rf->unwind_rva, &primary);
	for (;;) {
		uint32_t next = 0;

		if (depth >= HVS_UNWIND_MAX_CHAIN)
			return HVS_CORRUPT(&u->err, "%s: unwind chain longer than %u",
					   m->name, HVS_UNWIND_MAX_CHAIN);
		for (k = 0; k < depth; k++)
			if (visited[k] == info)
				return HVS_CORRUPT(&u->err, "%s: unwind chain cycles at RVA 0x%" PRIx32,
						   m->name, info);
		visited[depth++] = info;
		if (info & 1u) {
			/* Indirect form: the entry names another RUNTIME_FUNCTION. */
			uint8_t b[12];
			uint32_t at = info & ~1u;

			if (at >= m->size || m->size - at < 12)
				return HVS_CORRUPT(&u->err, "%s: chained RUNTIME_FUNCTION RVA 0x%"
						   PRIx32 " outside the image", m->name, at);
			HVS_TRY(rd(u, m->base + at, b, 12, "chained RUNTIME_FUNCTION"));
			info = hvs__le32(b + 8);
			prolog_off = UINT32_MAX;
			continue;
		}
		HVS_TRY(apply_info(u, m, info, prolog_off, fbegin, fend, primary, st,
				   &next));
		if (st->epilog)
			return HVS_OK;
		if (!next)
			break;
		info = next;
		prolog_off = UINT32_MAX;
	}
	if (!st->machframe) {
		uint64_t rsp = st->c.gpr[HVS_UNWIND_RSP];

		HVS_TRY(rd64(u, rsp, &st->c.rip, "return address"));
		st->c.gpr[HVS_UNWIND_RSP] = rsp + 8;
	}
	return HVS_OK;
}

/* ------------------------------------------------------- fallbacks */

/* Does @va look like a return address: in a known module and right
 * after a call instruction? */
static int looks_like_return(hvs_unwind *u, uint64_t va)
{
	uint8_t b[8];
	size_t done = 0;

	int call;

	/* The bytes first (one read); only then look for the image, which
	 * may search below the address. */
	if (va < 8 || u->read(u->ud, va - 8, b, 8, &done) != HVS_OK)
		return 0;
	call = b[3] == 0xE8 ||                                    /* call rel32 */
	       (b[6] == 0xFF && (b[7] & 0xF8) == 0xD0) ||          /* call reg */
	       (b[5] == 0xFF && (b[6] & 0x38) == 0x10 && b[6] >> 6 == 1) || /* [r+d8] */
	       (b[2] == 0xFF && (b[3] & 0x38) == 0x10 &&
		(b[3] >> 6 == 2 || (b[3] & 0xC7) == 0x05)) ||      /* [r+d32], [rip] */
	       (b[4] == 0xFF && (b[5] & 0x38) == 0x10 && (b[5] & 7) == 4 &&
		b[5] >> 6 == 1);                                   /* [sib+d8] */
	return call && find_module(u, va, 1) != NULL;
}

static hvs_status fallback(hvs_unwind *u, unwind_state *st, hvs_unwind_how *how,
			   const char *why)
{
	uint64_t rsp = st->c.gpr[HVS_UNWIND_RSP], rbp = st->c.gpr[HVS_UNWIND_RBP];
	unsigned k;

	if (u->no_fallback)
		return hvs__err_set(&u->err, HVS_E_NOTFOUND, "%s (fallbacks disabled)", why);
	/* The RBP chain: [rbp] = caller's RBP, [rbp+8] = return address. */
	if ((st->c.gpr_known >> HVS_UNWIND_RBP & 1u) && rbp >= rsp &&
	    rbp - rsp < FP_MAX_DIST && !(rbp & 7)) {
		uint64_t saved, ret;

		if (rd64(u, rbp, &saved, "saved RBP") == HVS_OK &&
		    rd64(u, rbp + 8, &ret, "return address") == HVS_OK &&
		    looks_like_return(u, ret)) {
			st->c.rip = ret;
			st->c.gpr[HVS_UNWIND_RBP] = saved;
			st->c.gpr[HVS_UNWIND_RSP] = rbp + 16;
			st->gpr_restored |= 1u << HVS_UNWIND_RBP;
			*how = HVS_UNWIND_FRAME_POINTER;
			return HVS_OK;
		}
	}
	/* Stack scan: the first slot that holds a plausible return address.
	 * A guess, reported as such (HVS_UNWIND_STACK_SCAN). */
	for (k = 0; k < HVS_UNWIND_SCAN_SLOTS; k++) {
		uint64_t v;
		size_t done = 0;
		uint8_t b[8];

		if (u->read(u->ud, rsp + 8u * k, b, 8, &done) != HVS_OK)
			break;
		v = hvs__le64(b);
		if (looks_like_return(u, v)) {
			st->c.rip = v;
			st->c.gpr[HVS_UNWIND_RSP] = rsp + 8u * k + 8;
			/* Nothing about the non-volatile registers is known. */
			st->c.gpr_known &= 1u << HVS_UNWIND_RSP;
			st->c.xmm_known = 0;
			*how = HVS_UNWIND_STACK_SCAN;
			return HVS_OK;
		}
	}
	return hvs__err_set(&u->err, HVS_E_NOTFOUND, "%s; no frame pointer and no "
			    "return address in %u stack slots above 0x%016" PRIx64,
			    why, HVS_UNWIND_SCAN_SLOTS, rsp);
}

/* ------------------------------------------------------------ steps */

static void locate(hvs_unwind *u, hvs_unwind_frame *f, unsigned idx)
{
	uint64_t va = idx && f->how != HVS_UNWIND_MACHFRAME && f->rip ? f->rip - 1 : f->rip;
	module *m = find_module(u, va, 1);
	const hvs_pe_runtime_function *rf;
	hvs_pe *pe;

	f->module[0] = f->symbol[0] = 0;
	f->module_base = f->func_begin = f->func_end = f->sym_offset = 0;
	f->module_size = 0;
	if (!m)
		return;
	snprintf(f->module, sizeof f->module, "%s", m->name);
	f->module_base = m->base;
	f->module_size = m->size;
	pe = module_pe(u, m);
	if (pe && hvs_pe_find_runtime_function(pe, (uint32_t)(va - m->base), &rf) == HVS_OK) {
		f->func_begin = m->base + rf->begin_rva;
		f->func_end = m->base + rf->end_rva;
	}
	if (u->sym) {
		uint64_t sva = 0;

		if (u->sym(u->sym_ud, m->base, va, f->module, sizeof f->module, f->symbol,
			   sizeof f->symbol, &sva) && sva <= f->rip)
			f->sym_offset = f->rip - sva;
		else
			f->symbol[0] = 0;
	}
}

hvs_status hvs_unwind_step(hvs_unwind *u, const hvs_unwind_frame *cur,
			   unsigned frame_index, hvs_unwind_frame *next)
{
	unwind_state st;
	uint64_t rip, va;
	module *m;
	hvs_pe *pe;
	const hvs_pe_runtime_function *rf = NULL;
	hvs_unwind_how how = HVS_UNWIND_INFO;
	hvs_status s;
	char why[HVS_ERRMSG_MAX];

	if (!u || !cur || !next)
		return HVS_E_INVALID;
	hvs__err_clear(&u->err);
	u->stack_fail = 0;
	memset(&st, 0, sizeof st);
	st.c = cur->regs;
	st.c.rip = rip = cur->rip;
	/* Volatile registers do not survive a call. */
	st.c.gpr_known &= HVS_UNWIND_NONVOL_GPR | 1u << HVS_UNWIND_RSP;
	st.c.xmm_known &= HVS_UNWIND_NONVOL_XMM;
	if (!rip)
		return hvs__err_set(&u->err, HVS_E_NOTFOUND, "RIP is 0: bottom of the stack");
	/* A return address may follow a call that ends its function. */
	va = frame_index && cur->how != HVS_UNWIND_MACHFRAME ? rip - 1 : rip;
	m = find_module(u, va, 1);
	if (!m) {
		snprintf(why, sizeof why, "no image contains 0x%016" PRIx64, rip);
		s = fallback(u, &st, &how, why);
	} else if (!(pe = module_pe(u, m))) {
		snprintf(why, sizeof why, "%s: PE headers not readable", m->name);
		s = fallback(u, &st, &how, why);
	} else {
		s = hvs_pe_find_runtime_function(pe, (uint32_t)(va - m->base), &rf);
		if (s == HVS_OK) {
			s = unwind_function(u, m, rf, rip, &st);
			if (s == HVS_OK)
				how = st.machframe ? HVS_UNWIND_MACHFRAME
				      : st.epilog ? HVS_UNWIND_EPILOG : HVS_UNWIND_INFO;
			else if (is_read_error(s) && !u->stack_fail) {
				snprintf(why, sizeof why, "%s", u->err.msg);
				s = fallback(u, &st, &how, why);
			}
		} else if (s == HVS_E_NOTFOUND) {
			/* A leaf: no prologue, the return address at [RSP]. */
			uint64_t rsp = st.c.gpr[HVS_UNWIND_RSP];

			s = rd64(u, rsp, &st.c.rip, "return address (leaf)");
			st.c.gpr[HVS_UNWIND_RSP] = rsp + 8;
			how = HVS_UNWIND_LEAF;
		} else if (is_read_error(s)) {
			snprintf(why, sizeof why, "%s: .pdata: %s", m->name, hvs_pe_errmsg(pe));
			s = fallback(u, &st, &how, why);
		} else {
			s = hvs__err_set(&u->err, s, "%s: .pdata: %s", m->name,
					 hvs_pe_errmsg(pe));
		}
	}
	if (s != HVS_OK)
		return s;
	memset(next, 0, sizeof *next);
	next->regs = st.c;
	next->rip = st.c.rip;
	next->rsp = st.c.gpr[HVS_UNWIND_RSP];
	next->gpr_restored = st.gpr_restored;
	next->xmm_restored = st.xmm_restored;
	next->how = how;
	locate(u, next, frame_index + 1);
	return HVS_OK;
}

hvs_status hvs_unwind_walk(hvs_unwind *u, const hvs_unwind_ctx *start,
			   hvs_unwind_frame *frames, size_t max, size_t *count,
			   hvs_unwind_end *end)
{
	hvs_unwind_end why = HVS_UNWIND_END_MAX;
	size_t n = 1;

	if (!u || !start || !frames || !max || !count)
		return HVS_E_INVALID;
	*count = 0;
	if (!(start->gpr_known >> HVS_UNWIND_RSP & 1u))
		return hvs__err_set(&u->err, HVS_E_INVALID, "the start context has no RSP");
	if (max > HVS_UNWIND_MAX_FRAMES)
		max = HVS_UNWIND_MAX_FRAMES;
	memset(&frames[0], 0, sizeof frames[0]);
	frames[0].regs = *start;
	frames[0].rip = start->rip;
	frames[0].rsp = start->gpr[HVS_UNWIND_RSP];
	frames[0].how = HVS_UNWIND_CONTEXT;
	locate(u, &frames[0], 0);
	hvs__err_clear(&u->err);
	while (n < max) {
		hvs_unwind_frame *f = &frames[n];
		const hvs_unwind_frame *p = &frames[n - 1];
		hvs_status s = hvs_unwind_step(u, p, (unsigned)(n - 1), f);
		size_t k;

		if (s != HVS_OK) {
			why = s == HVS_E_CORRUPT ? HVS_UNWIND_END_CORRUPT
			      : is_read_error(s) ? HVS_UNWIND_END_READ
			      : HVS_UNWIND_END_NOFRAME;
			break;
		}
		if (!f->rip) {
			why = HVS_UNWIND_END_BOTTOM;
			hvs__err_set(&u->err, HVS_E_NOTFOUND, "frame %zu: return address 0: "
				     "bottom of the stack", n - 1);
			break;
		}
		/* The stack grows down: each caller's RSP must be higher.  A
		 * machine frame may switch stacks; then only an exact repeat
		 * of an earlier frame is a loop. */
		if (f->how != HVS_UNWIND_MACHFRAME && f->rsp <= p->rsp) {
			why = HVS_UNWIND_END_CYCLE;
			hvs__err_set(&u->err, HVS_E_CORRUPT, "frame %zu: RSP 0x%016" PRIx64
				     " not above the previous frame's 0x%016" PRIx64
				     " (%s): stopping", n, f->rsp, p->rsp,
				     hvs_unwind_how_name(f->how));
			break;
		}
		if (f->how == HVS_UNWIND_MACHFRAME) {
			for (k = 0; k < n; k++)
				if (frames[k].rip == f->rip && frames[k].rsp == f->rsp)
					break;
			if (k < n) {
				why = HVS_UNWIND_END_CYCLE;
				hvs__err_set(&u->err, HVS_E_CORRUPT, "frame %zu repeats frame %zu",
					     n, k);
				break;
			}
		}
		frames[n - 1].ret = f->rip;
		n++;
	}
	if (n == max && why == HVS_UNWIND_END_MAX)
		hvs__err_set(&u->err, HVS_E_BUFSIZE, "stopped after %zu frames", n);
	*count = n;
	if (end)
		*end = why;
	return HVS_OK;
}

hvs_status hvs_unwind_format_location(const hvs_unwind_frame *f, char *buf,
				      size_t size)
{
	int r;

	if (!f || !buf || !size)
		return HVS_E_INVALID;
	if (f->module[0] && f->symbol[0] && !f->sym_offset)
		r = snprintf(buf, size, "%s!%s", f->module, f->symbol);
	else if (f->module[0] && f->symbol[0])
		r = snprintf(buf, size, "%s!%s+0x%" PRIx64, f->module, f->symbol,
			     f->sym_offset);
	else if (f->module[0])
		r = snprintf(buf, size, "%s+0x%" PRIx64, f->module, f->rip - f->module_base);
	else
		r = snprintf(buf, size, "0x%016" PRIx64, f->rip);
	return r < 0 || (size_t)r >= size ? HVS_E_BUFSIZE : HVS_OK;
}

/* Append to a bounded buffer, counting what would be needed. */
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
	HVS__PRINTF(4, 5);
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0,
		      fmt, ap);
	va_end(ap);
	if (r > 0)
		*len += (size_t)r;
}

size_t hvs_unwind_format_stack(const hvs_unwind_frame *f, size_t n, char *buf,
			       size_t size)
{
	size_t len = 0, i;

	if (buf && size)
		buf[0] = 0;
	if (!buf)
		size = 0;
	put(buf, size, &len, " # Child-SP          RetAddr               Call Site\n");
	for (i = 0; f && i < n; i++) {
		char loc[2 * HVS_UNWIND_NAME_MAX + 32];

		hvs_unwind_format_location(&f[i], loc, sizeof loc);
		put(buf, size, &len, "%02zx %08" PRIx32 "`%08" PRIx32 " %08" PRIx32 "`%08"
		    PRIx32 "     %s%s\n", i, (uint32_t)(f[i].rsp >> 32), (uint32_t)f[i].rsp,
		    (uint32_t)(f[i].ret >> 32), (uint32_t)f[i].ret, loc,
		    f[i].how == HVS_UNWIND_STACK_SCAN ? "  (stack scan: a guess)"
		    : f[i].how == HVS_UNWIND_FRAME_POINTER ? "  (frame pointer chain)" : "");
	}
	return len;
}
