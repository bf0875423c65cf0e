/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/unwind.h
 * x64 stack unwinding over guest memory: the frames of a virtual
 * processor's call stack, recovered the way Windows' RtlVirtualUnwind
 * does it, from the images' exception directories (.pdata RUNTIME_FUNCTION
 * entries and their UNWIND_INFO).  docs/unwind.md has the rules.
 *
 * How each frame is found (hvs_unwind_how):
 *   - UNWIND_INFO versions 1 and 2, every unwind code (PUSH_NONVOL,
 *     ALLOC_LARGE with 16- and 32-bit sizes, ALLOC_SMALL, SET_FPREG,
 *     SAVE_NONVOL(_FAR), SAVE_XMM128(_FAR), PUSH_MACHFRAME with and
 *     without error code, EPILOG), chained info (UNW_FLAG_CHAININFO and
 *     the indirect .pdata form), prologue offsets (a RIP inside the
 *     prologue undoes only the codes whose instructions ran) and
 *     epilogue detection (add/lea rsp, pops, ret/jmp, as Windows);
 *   - a leaf: RIP in an image without a RUNTIME_FUNCTION for it; the
 *     return address is at [RSP];
 *   - where no unwind data can be read (no image found, .pdata or .xdata
 *     paged out): the RBP frame chain when RBP looks like one, and
 *     otherwise a stack scan for a return address, marked
 *     HVS_UNWIND_STACK_SCAN: a guess, like WinDbg's.
 *
 * Registers: the caller gives the starting context (hvs_unwind_ctx).
 * Each frame carries the non-volatile registers (RBX, RBP, RSI, RDI,
 * R12-R15, XMM6-XMM15) as they were in that frame, with masks saying
 * which are known and which were restored from the stack in that step;
 * volatile registers are unknown above frame 0.
 *
 * Untrusted input: guest memory (unwind data, code bytes, the stack) is
 * hostile.  Every walk is bounded (frames, unwind codes, chain depth,
 * code bytes read, scan distance); damaged data ends the walk with a
 * reason (hvs_unwind_end) and a message, never a hang or a crash.
 *
 * Thread rules: one thread at a time per hvs_unwind; an unwinder made
 * from a guest image uses that image (the image's rule covers both).
 */
#ifndef HVS_UNWIND_H
#define HVS_UNWIND_H

#include "common.h"
#include "image.h"
#include "pe.h"
#include "regs.h"
#include "sym.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most frames one walk returns (hvs_unwind_walk() caps @p max here). */
#define HVS_UNWIND_MAX_FRAMES 4096u
/** Most UNWIND_INFO structures followed through chains for one frame. */
#define HVS_UNWIND_MAX_CHAIN 32u
/** Most modules an unwinder keeps. */
#define HVS_UNWIND_MAX_MODULES 1024u
/** How far below an address the image search looks for its MZ header. */
#define HVS_UNWIND_IMAGE_SEARCH 0x4000000u
/** Stack slots the stack-scan fallback examines (8 bytes each). */
#define HVS_UNWIND_SCAN_SLOTS 1024u

/** The unwinder (opaque). */
typedef struct hvs_unwind hvs_unwind;

/** A register context: the 16 general registers in x86 encoding order
 *  (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15), RIP and XMM0-15. */
typedef struct hvs_unwind_ctx {
	uint64_t rip;
	uint64_t gpr[16];      /**< gpr[4] is RSP */
	hvs_regval xmm[16];    /**< lo = bits 0-63, hi = bits 64-127 */
	uint32_t gpr_known;    /**< bit n: gpr[n] is known */
	uint32_t xmm_known;    /**< bit n: xmm[n] is known */
} hvs_unwind_ctx;

/** Indices into hvs_unwind_ctx.gpr. */
enum {
	HVS_UNWIND_RAX, HVS_UNWIND_RCX, HVS_UNWIND_RDX, HVS_UNWIND_RBX,
	HVS_UNWIND_RSP, HVS_UNWIND_RBP, HVS_UNWIND_RSI, HVS_UNWIND_RDI,
	HVS_UNWIND_R8, HVS_UNWIND_R9, HVS_UNWIND_R10, HVS_UNWIND_R11,
	HVS_UNWIND_R12, HVS_UNWIND_R13, HVS_UNWIND_R14, HVS_UNWIND_R15
};

/** Masks of the Windows x64 non-volatile registers. */
#define HVS_UNWIND_NONVOL_GPR 0xF0E8u  /* RBX RBP RSI RDI R12-R15 */
#define HVS_UNWIND_NONVOL_XMM 0xFFC0u  /* XMM6-XMM15 */

/** How a frame's caller was found (the step from this frame to the next). */
typedef enum hvs_unwind_how {
	HVS_UNWIND_CONTEXT = 0,    /**< frame 0: the VP's registers */
	HVS_UNWIND_INFO,           /**< .pdata/UNWIND_INFO (prologue codes) */
	HVS_UNWIND_EPILOG,         /**< RIP was in an epilogue: emulated */
	HVS_UNWIND_MACHFRAME,      /**< UNWIND_INFO ending in PUSH_MACHFRAME */
	HVS_UNWIND_LEAF,           /**< no RUNTIME_FUNCTION: return at [RSP] */
	HVS_UNWIND_FRAME_POINTER,  /**< no unwind data: RBP chain */
	HVS_UNWIND_STACK_SCAN      /**< no unwind data: scanned (a guess) */
} hvs_unwind_how;

/** Why a walk ended. */
typedef enum hvs_unwind_end {
	HVS_UNWIND_END_BOTTOM = 0, /**< RIP 0 or a return address of 0 */
	HVS_UNWIND_END_MAX,        /**< the frame limit was reached */
	HVS_UNWIND_END_READ,       /**< stack or unwind data not readable */
	HVS_UNWIND_END_CORRUPT,    /**< damaged unwind data */
	HVS_UNWIND_END_CYCLE,      /**< the stack did not move up (a loop) */
	HVS_UNWIND_END_NOFRAME     /**< no unwind data and no fallback worked */
} hvs_unwind_end;

/** Name of an end reason ("bottom", "max-frames", ...). */
HVS_API const char *hvs_unwind_end_name(hvs_unwind_end e);
/** Name of a method ("context", "unwind-info", "epilog", ...). */
HVS_API const char *hvs_unwind_how_name(hvs_unwind_how h);

/** Longest module and symbol names kept in a frame (bytes incl. NUL). */
#define HVS_UNWIND_NAME_MAX 128u

/** One frame. */
typedef struct hvs_unwind_frame {
	uint64_t rip;            /**< instruction pointer (a return address above frame 0) */
	uint64_t rsp;            /**< stack pointer in this frame (WinDbg Child-SP) */
	uint64_t ret;            /**< return address (the next frame's RIP), 0 if none */
	hvs_unwind_ctx regs;     /**< registers as known in this frame */
	uint32_t gpr_restored;   /**< registers restored from the stack by the
				      step that produced this frame */
	uint32_t xmm_restored;
	hvs_unwind_how how;      /**< how THIS frame was found from the one below */
	/* Module, function and symbol (module[0] == 0: no module known). */
	char module[HVS_UNWIND_NAME_MAX];  /**< "hvsdrv" (image name w/o extension) */
	uint64_t module_base;
	uint32_t module_size;
	uint64_t func_begin;     /**< RUNTIME_FUNCTION start VA, 0 if none */
	uint64_t func_end;
	char symbol[HVS_UNWIND_NAME_MAX];  /**< function name, "" if unknown */
	uint64_t sym_offset;     /**< rip - symbol address */
} hvs_unwind_frame;

/**
 * Symbol callback: the name of the function containing @p va in the
 * module at @p module_base.  Write it to @p name (NUL-terminated) and
 * the function's address to @p sym_va.  @p module holds the unwinder's
 * name for the module; the callback may replace it (NUL-terminated,
 * @p module_size bytes at most), e.g. with "nt" for the kernel, also
 * when it finds no symbol.
 * @return non-zero when a symbol was found.
 */
typedef int (*hvs_unwind_sym_fn)(void *ud, uint64_t module_base, uint64_t va,
				 char *module, size_t module_size, char *name,
				 size_t size, uint64_t *sym_va);

/** Options (zero-initialise; NULL = defaults). */
typedef struct hvs_unwind_opts {
	const hvs_allocator *alloc;   /**< NULL for malloc */
	/** Do not look for images around addresses no known module covers
	 *  (only modules given with hvs_unwind_add_module() are used). */
	int no_image_search;
	/** Do not use the RBP-chain and stack-scan fallbacks. */
	int no_fallback;
	char *errbuf;                 /**< receives the message of a failed new */
	size_t errbuf_size;
} hvs_unwind_opts;

/**
 * An unwinder reading virtual memory through @p read (borrowed, with
 * @p ud; both must outlive the unwinder).
 * @return HVS_OK, HVS_E_INVALID, HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_unwind_new(hvs_unwind **out, hvs_pe_read_fn read,
				  void *ud, const hvs_unwind_opts *o);

/**
 * An unwinder over the address space of VP @p vp of @p img (borrowed).
 * @return HVS_OK; HVS_E_INVALID (no such VP); HVS_E_UNSUPPORTED (an ARM64
 *         or 32-bit VP: "not supported yet"); HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_unwind_new_vp(hvs_unwind **out, hvs_image *img,
				     uint32_t vp, const hvs_unwind_opts *o);

/** Release (NULL-safe). */
HVS_API void hvs_unwind_free(hvs_unwind *u);

/** Message of the last failure, or why the last walk ended (never NULL). */
HVS_API const char *hvs_unwind_errmsg(const hvs_unwind *u);

/**
 * The context of VP @p vp (RIP, general registers, XMM0-15) for
 * hvs_unwind_walk().
 * @return HVS_OK; HVS_E_NOTFOUND (RIP or RSP not saved); HVS_E_INVALID;
 *         HVS_E_UNSUPPORTED (not an x64 VP).
 */
HVS_API hvs_status hvs_unwind_vp_context(hvs_image *img, uint32_t vp,
					 hvs_unwind_ctx *out);

/**
 * Name a module (the images found by searching are named from their
 * export directory or CodeView record).  @p name is copied; NULL derives
 * it from the image.  @p size 0 takes SizeOfImage from the headers.
 * @return HVS_OK; HVS_E_INVALID; HVS_E_NOMEM; HVS_E_BUFSIZE (more than
 *         HVS_UNWIND_MAX_MODULES).
 */
HVS_API hvs_status hvs_unwind_add_module(hvs_unwind *u, const char *name,
					 uint64_t base, uint32_t size);

/** Set the symbol callback (NULL: no symbols; module+offset only). */
HVS_API void hvs_unwind_set_symbols(hvs_unwind *u, hvs_unwind_sym_fn fn,
				    void *ud);

/**
 * Walk the stack from @p start.
 * @param frames  array of @p max frames the caller owns.
 * @param count   receives the frames filled (>= 1 unless HVS_E_INVALID).
 * @param end     receives why the walk ended (may be NULL); the detail
 *                is in hvs_unwind_errmsg().
 * @return HVS_OK (a walk that ends early for a reason in @p end is still
 *         OK); HVS_E_INVALID (NULL argument, @p max 0, RIP or RSP not in
 *         start's known mask).
 */
HVS_API hvs_status hvs_unwind_walk(hvs_unwind *u, const hvs_unwind_ctx *start,
				   hvs_unwind_frame *frames, size_t max,
				   size_t *count, hvs_unwind_end *end);

/**
 * One step: from the frame @p cur (its rip, rsp and registers) compute
 * its caller into @p next (module and symbol filled as by the walk).
 * @param frame_index  0 when @p cur is the interrupted frame (RIP is the
 *                     exact instruction), else a return address.
 * @return HVS_OK; HVS_E_NOTFOUND (bottom of the stack); HVS_E_CORRUPT;
 *         HVS_E_NOTPRESENT / HVS_E_NODATA (a read failed); the message
 *         says which structure and address.
 */
HVS_API hvs_status hvs_unwind_step(hvs_unwind *u, const hvs_unwind_frame *cur,
				   unsigned frame_index, hvs_unwind_frame *next);

/**
 * Format a frame's location as WinDbg does: "module!symbol+0xOFF",
 * "module+0xOFF" without symbol, or the bare address "0x..." without
 * module.
 * @return HVS_OK or HVS_E_BUFSIZE (truncated, still NUL-terminated).
 */
HVS_API hvs_status hvs_unwind_format_location(const hvs_unwind_frame *f,
					      char *buf, size_t size);

/**
 * The frames as WinDbg's `k` prints them: a header line
 * (" # Child-SP          RetAddr               Call Site"), then per frame
 * its number (2 hex digits), Child-SP and RetAddr as "xxxxxxxx`xxxxxxxx"
 * and the call site (hvs_unwind_format_location()); frames found by the
 * fallbacks are marked "(frame pointer chain)" or "(stack scan: a guess)".
 * @param buf   output (may be NULL with @p size 0 to measure).
 * @return the length of the whole text without its NUL, as snprintf:
 *         a result >= @p size means it was truncated.
 */
HVS_API size_t hvs_unwind_format_stack(const hvs_unwind_frame *f, size_t n,
				       char *buf, size_t size);

/* ------------------------------------------------------ PDB symbols */

/** Function names from the modules' PDBs (through a symbol provider). */
typedef struct hvs_unwind_symbols hvs_unwind_symbols;

/**
 * A symbolizer over the provider @p s (borrowed; it must outlive the
 * symbolizer).  Modules are registered with the provider on first use
 * (hvs_sym_load_module() at the frame's module base) and their PDB's
 * functions (S_GPROC32/S_LPROC32 with code length, and S_PUB32) read
 * once.  Install with hvs_unwind_set_symbols(u, hvs_unwind_symbols_lookup, sy).
 * @return HVS_OK, HVS_E_INVALID, HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_unwind_symbols_new(hvs_unwind_symbols **out, hvs_sym *s,
					  const hvs_allocator *a);

/** Release (NULL-safe). */
HVS_API void hvs_unwind_symbols_free(hvs_unwind_symbols *sy);

/**
 * An hvs_unwind_sym_fn: @p ud is an hvs_unwind_symbols.  The kernel is
 * renamed "nt" and modules of the kernel's loaded-module list get the
 * loader's name, as WinDbg shows them.  A module
 * without PDB, or an address past the end of the nearest function with a
 * known length, gives 0 (the frame is then written module+offset).
 */
HVS_API int hvs_unwind_symbols_lookup(void *ud, uint64_t module_base, uint64_t va,
				      char *module, size_t module_size, char *name,
				      size_t size, uint64_t *sym_va);

#ifdef __cplusplus
}
#endif
#endif /* HVS_UNWIND_H */
