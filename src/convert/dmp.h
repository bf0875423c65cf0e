/* SPDX-License-Identifier: MIT */
/*
 * Windows 64-bit kernel crash dump ("PAGEDU64") writer: the pure builders
 * (src/convert/dmp_build.c) that the writer (src/convert/dmp.c) drives and
 * the unit tests (tests/unit/test_dmp.c) check field by field.
 *
 * Layouts: docs/format/crashdump.md, from spec/format.md section 9
 * (DUMP_HEADER64 9.1, page data 9.2, AMD64 CONTEXT 9.3, KDBG 9.4, VPs and
 * the kernel CR3 9.5).  Nothing here writes a file: the builders fill
 * caller buffers, the KDBG finder reads guest memory through a translation
 * context (hvs/xlat.h) and a physical-read callback, so the same code runs
 * on a saved state, an ELF core, a raw image or a test's byte array.
 */
#ifndef HVS_CONVERT_DMP_H
#define HVS_CONVERT_DMP_H

#include <stddef.h>
#include <stdint.h>

#include "hvs/image.h"
#include "hvs/xlat.h"
#include "util/alloc.h"

/* --------------------------------------------------------- constants -- */

#define HVS__DMP_HEADER_SIZE 0x2000u   /* DUMP_HEADER64, 2 pages */
#define HVS__DMP_PAGE 0x1000u
#define HVS__DMP_CONTEXT_SIZE 0x4D0u   /* AMD64 CONTEXT */
/* Runs that fit PhysicalMemoryBlock's 700 bytes: 0x10 + 42 * 16 = 688.
 * (A 43rd would need the 4 padding bytes after it; we do not use them.) */
#define HVS__DMP_MAX_RUNS 42u
#define HVS__DMP_TYPE_FULL 1u
#define HVS__DMP_TYPE_BITMAP 5u

/* DUMP_HEADER64 field offsets (format.md 9.1). */
enum {
	HVS__DH_SIGNATURE = 0x000,       /* "PAGE" */
	HVS__DH_VALID_DUMP = 0x004,      /* "DU64" */
	HVS__DH_MAJOR = 0x008,
	HVS__DH_MINOR = 0x00C,
	HVS__DH_DTB = 0x010,
	HVS__DH_PFN_DB = 0x018,
	HVS__DH_PS_LOADED = 0x020,
	HVS__DH_PS_ACTIVE = 0x028,
	HVS__DH_MACHINE = 0x030,
	HVS__DH_NPROCS = 0x034,
	HVS__DH_BUGCHECK = 0x038,
	HVS__DH_BUGCHECK_P1 = 0x040,     /* 4 x u64 */
	HVS__DH_KDBG = 0x080,
	HVS__DH_PMB = 0x088,             /* PHYSICAL_MEMORY_DESCRIPTOR64, 700 bytes */
	HVS__DH_CONTEXT = 0x348,         /* 3000 bytes, CONTEXT in the first 0x4D0 */
	HVS__DH_EXCEPTION = 0xF00,       /* EXCEPTION_RECORD64, 0x98 bytes */
	HVS__DH_DUMP_TYPE = 0xF98,
	HVS__DH_REQUIRED = 0xFA0,
	HVS__DH_SYSTEM_TIME = 0xFA8,
	HVS__DH_COMMENT = 0xFB0,         /* 128 bytes ASCII */
	HVS__DH_UPTIME = 0x1030,
	HVS__DH_PRODUCT_TYPE = 0x1040,
	HVS__DH_SUITE_MASK = 0x1044
};

/* Summary header of a bitmap dump, at file offset 0x2000 (format.md 9.2). */
enum {
	HVS__DS_SIGNATURE = 0x00,  /* "FDMP": a full dump in bitmap form */
	HVS__DS_VALID_DUMP = 0x04, /* "DUMP" */
	HVS__DS_FIRST_PAGE = 0x20, /* file offset of the first stored page */
	HVS__DS_PAGES = 0x28,      /* stored pages (set bits) */
	HVS__DS_BITMAP_BITS = 0x30,/* bits in the bitmap (highest PFN + 1) */
	HVS__DS_BITMAP = 0x38
};

/* KDDEBUGGER_DATA64 offsets (format.md 9.4). */
enum {
	HVS__KDBG_OWNER_TAG = 0x10,
	HVS__KDBG_SIZE = 0x14,
	HVS__KDBG_KERN_BASE = 0x18,
	HVS__KDBG_PS_LOADED = 0x48,
	HVS__KDBG_PS_ACTIVE = 0x50,
	HVS__KDBG_PFN_DB = 0xC0,
	HVS__KDBG_PROCESSOR_BLOCK = 0x218,
	HVS__KDBG_OFF_PRCB_PROCSTATE_CONTEXT = 0x2BC,
	HVS__KDBG_OFF_PRCB_CONTEXT = 0x338,
	/* Bytes we read and validate: up to OffsetPrcbContext inclusive. */
	HVS__KDBG_MIN_SIZE = 0x340
};

#define HVS__KDBG_TAG 0x4742444Bu       /* "KDBG" little-endian */
#define HVS__KDBG_MAX_SIZE 0x1000u      /* sane upper bound for Size */
/* KUSER_SHARED_DATA: fixed kernel VA and the fields we read. */
#define HVS__KUSD_VA 0xFFFFF78000000000ull
enum {
	HVS__KUSD_INTERRUPT_TIME = 0x08,  /* KSYSTEM_TIME, 100 ns since boot */
	HVS__KUSD_SYSTEM_TIME = 0x14,     /* KSYSTEM_TIME, FILETIME */
	HVS__KUSD_NT_BUILD = 0x260,       /* Windows 10+: build number */
	HVS__KUSD_PRODUCT_TYPE = 0x264,
	HVS__KUSD_NT_MAJOR = 0x26C,
	HVS__KUSD_SUITE_MASK = 0x2D0,
	HVS__KUSD_READ = 0x2D4            /* bytes we read */
};

/* AMD64 CONTEXT.ContextFlags bits. */
#define HVS__CTX_AMD64 0x00100000u
#define HVS__CTX_CONTROL (HVS__CTX_AMD64 | 0x1u)
#define HVS__CTX_INTEGER (HVS__CTX_AMD64 | 0x2u)
#define HVS__CTX_SEGMENTS (HVS__CTX_AMD64 | 0x4u)
#define HVS__CTX_FLOATING_POINT (HVS__CTX_AMD64 | 0x8u)
#define HVS__CTX_DEBUG_REGISTERS (HVS__CTX_AMD64 | 0x10u)

/* ---------------------------------------------------------- CONTEXT -- */

/*
 * The registers of one VP, indexed by hvs_reg id: val[id] holds the value
 * when have[id] is non-zero.
 */
typedef struct hvs__dmp_regs {
	hvs_regval val[HVS_REG_COUNT];
	uint8_t have[HVS_REG_COUNT];
} hvs__dmp_regs;

/* Read every x64 register VP @vp has (active VTL) into @out.  Registers
 * the state does not hold are left out (have 0); never fails. */
void hvs__dmp_regs_from_image(hvs__dmp_regs *out, hvs_image *img, uint32_t vp);

/*
 * Encode @r as an AMD64 CONTEXT (0x4D0 bytes at @out, zeroed first).
 * ContextFlags names only the groups whose registers are all present
 * (CONTROL: RIP RSP RFLAGS CS SS; INTEGER: the 15 others; SEGMENTS: DS ES
 * FS GS; FLOATING_POINT: the FP and XMM control words; DEBUG: DR0-3,6,7).
 * Returns ContextFlags.
 */
uint32_t hvs__dmp_encode_context(uint8_t *out, const hvs__dmp_regs *r);

/* -------------------------------------------------------------- runs -- */

/* A run of pages: PFN and count. */
typedef struct hvs__dmp_run {
	uint64_t base_page;
	uint64_t page_count;
} hvs__dmp_run;

/*
 * Pages covering the image ranges, as runs (partial pages count whole;
 * touching or overlapping page spans are joined), then merged until at
 * most @max runs remain by absorbing the smallest gaps between
 * neighbours (the gap pages are then dumped as zeros).
 * @out receives an array of at most max(@max, 1) runs (allocated with
 * @a; hvs__free()), @n its count, @gap_pages the zero pages added.
 * Returns HVS_OK, HVS_E_NOMEM, or HVS_E_INVALID (max == 0).
 */
hvs_status hvs__dmp_make_runs(const hvs__alloc *a, const hvs_mem_range *ranges,
			      size_t nranges, size_t max, hvs__dmp_run **out, size_t *n,
			      uint64_t *gap_pages);

/* Total pages of @runs. */
uint64_t hvs__dmp_run_pages(const hvs__dmp_run *runs, size_t n);

/* ------------------------------------------------------------ bitmap -- */

/*
 * The summary header and bitmap of a DumpType 5 dump for the pages the
 * ranges cover (partial pages count whole).  @out (malloc; free()) holds
 * the bytes to write at file offset 0x2000: header, bitmap (padded with
 * zero bytes to 8), and zeros up to the first page, which is at file
 * offset 0x2000 + *out_len (page aligned).  @pages receives the number of
 * stored pages, @bits the bitmap size in bits (highest PFN + 1).
 * Returns HVS_OK, HVS_E_NOMEM, or HVS_E_UNSUPPORTED when the bitmap would
 * exceed 256 MiB (guest-physical addresses above 8 TiB).
 */
hvs_status hvs__dmp_make_bitmap(const hvs__alloc *a, const hvs_mem_range *ranges,
				size_t nranges, uint8_t **out, size_t *out_len,
				uint64_t *pages, uint64_t *bits);

/* ------------------------------------------------------------ header -- */

/* What goes into DUMP_HEADER64 (zero what is unknown). */
typedef struct hvs__dmp_header_info {
	uint32_t dump_type;              /* 1 or 5 */
	uint32_t major_version, minor_version;
	uint64_t dtb;
	uint64_t pfn_db, ps_loaded_module_list, ps_active_process_head;
	uint32_t machine;                /* 0x8664 */
	uint32_t nprocs;
	uint32_t bugcheck_code;
	uint64_t bugcheck_param[4];
	uint64_t kdbg;
	const hvs__dmp_run *runs;        /* at most HVS__DMP_MAX_RUNS */
	size_t nruns;
	const uint8_t *context;          /* HVS__DMP_CONTEXT_SIZE bytes, or NULL */
	uint32_t exception_code, exception_flags;
	uint64_t exception_address;
	uint64_t required_space;         /* total file size */
	uint64_t system_time, system_uptime;
	const char *comment;             /* ASCII, truncated to 127 bytes */
	uint32_t product_type, suite_mask;
} hvs__dmp_header_info;

/* Fill the 0x2000-byte header @out (zeroed first).  Returns HVS_OK or
 * HVS_E_INVALID (more than HVS__DMP_MAX_RUNS runs). */
hvs_status hvs__dmp_build_header(uint8_t *out, const hvs__dmp_header_info *in);

/* -------------------------------------------------------------- KDBG -- */

/* The KDBG facts a dump needs. */
typedef struct hvs__dmp_kdbg {
	uint64_t va;                 /* KdDebuggerDataBlock */
	uint32_t size;               /* Header.Size */
	uint64_t kern_base;
	uint64_t ps_loaded_module_list;
	uint64_t ps_active_process_head;
	uint64_t mm_pfn_database;
	uint64_t ki_processor_block;
	uint16_t off_prcb_context;
	uint16_t off_prcb_procstate_context;
	int decoded;                 /* it was encoded and we decoded it */
} hvs__dmp_kdbg;

/*
 * Validate and decode a KDBG image of @len bytes (>= HVS__KDBG_MIN_SIZE)
 * that was read at VA @va: OwnerTag "KDBG", Size in [0x340, 0x1000],
 * KernBase a page-aligned kernel address at most 64 MiB below @va, the
 * list heads and KiProcessorBlock canonical kernel addresses.
 * Returns HVS_OK or HVS_E_CORRUPT with @why set to a static reason.
 */
hvs_status hvs__dmp_kdbg_parse(hvs__dmp_kdbg *out, const uint8_t *buf, size_t len,
			       uint64_t va, const char **why);

/*
 * Decode an encoded KDBG in place (format.md 9.4, KdCopyDataBlock): every
 * u64 q becomes KiWaitAlways ^ bswap64(rol(q ^ KiWaitNever,
 * KiWaitNever & 0xFF) ^ kdp_block_va), where @kdp_block_va is the address
 * of KdpDataBlockEncoded.  @len is rounded down to 8.
 */
void hvs__dmp_kdbg_decode(uint8_t *buf, size_t len, uint64_t wait_never,
			  uint64_t wait_always, uint64_t kdp_block_va);

/* The inverse of hvs__dmp_kdbg_decode (for tests and fixtures). */
void hvs__dmp_kdbg_encode(uint8_t *buf, size_t len, uint64_t wait_never,
			  uint64_t wait_always, uint64_t kdp_block_va);

/*
 * Kernel symbols, for an encoded KDBG.  These are ADDRESSES (VAs) of the
 * four kernel variables, as a symbol provider resolves them from the
 * kernel's PDB; 0 means unknown.  Used only when all four are known, i.e.
 * only when the kernel's symbols are loaded: the tag scan below needs no
 * symbols but finds only a block that is not encoded.
 */
typedef struct hvs__dmp_kdsyms {
	uint64_t kd_debugger_data_block; /* KdDebuggerDataBlock */
	uint64_t ki_wait_never;          /* KiWaitNever (u64 variable) */
	uint64_t ki_wait_always;         /* KiWaitAlways (u64 variable) */
	uint64_t kdp_data_block_encoded; /* KdpDataBlockEncoded (u8 flag) */
} hvs__dmp_kdsyms;

/* Resolve a kernel symbol name ("KiWaitNever") to its VA: HVS_OK or
 * HVS_E_NOTFOUND.  The shape a symbol provider (hvs_sym_resolve) adapts to. */
typedef hvs_status (*hvs__dmp_resolve_fn)(void *ud, const char *name, uint64_t *va);

/* Fill @out through @fn (names without "nt!").  Returns HVS_OK when
 * KdDebuggerDataBlock resolved (the three decode keys are then all set or
 * all 0), else HVS_E_NOTFOUND with @out zeroed. */
hvs_status hvs__dmp_kdsyms_resolve(hvs__dmp_kdsyms *out, hvs__dmp_resolve_fn fn, void *ud);

/*
 * Read the KDBG at @syms->kd_debugger_data_block through @x.  A block
 * tagged "KDBG" is used as is; otherwise, when the three decode keys are
 * known and KdpDataBlockEncoded is non-zero, it is decoded with the values
 * of KiWaitNever and KiWaitAlways.  @buf (HVS__KDBG_MAX_SIZE bytes)
 * receives the (decoded) block and @buf_len its length, so the writer can
 * patch it into the dump.
 * Returns HVS_OK, HVS_E_NOTFOUND (KdDebuggerDataBlock is 0, or the block
 * is encoded and a key is 0), HVS_E_CORRUPT (@why says why the block is
 * not valid), or a read status.
 */
hvs_status hvs__dmp_kdbg_from_symbols(hvs__dmp_kdbg *out, uint8_t *buf, size_t *buf_len,
				      hvs_xlat *x, const hvs__dmp_kdsyms *syms,
				      const char **why);

/* Bounded work of the tag scan: at most this many mapped 4 KiB pages. */
#define HVS__KDBG_SCAN_MAX_PAGES 16384u
/* Half-width of the window scanned around each hint address. */
#define HVS__KDBG_SCAN_WINDOW (32ull << 20)

/*
 * Find the KDBG by its OwnerTag: for each kernel-half @hints[i] (e.g.
 * LSTAR, an IDT handler, a kernel RIP), scan the mapped 4 KiB pages of
 * [hint - 32 MiB, hint + 32 MiB) (2 MiB aligned; windows of several hints
 * merged) in the page tables of @x, at 8-byte steps, for "KDBG" followed
 * by a plausible Size, and return the first block that
 * hvs__dmp_kdbg_parse() accepts.  @read reads guest-physical memory.
 * At most HVS__KDBG_SCAN_MAX_PAGES pages are read.  @buf / @buf_len as
 * for hvs__dmp_kdbg_from_symbols().  @pages_read (may be NULL) receives
 * the pages examined.  Its two small allocations come from @a.
 * Returns HVS_OK, HVS_E_NOTFOUND (no valid block), HVS_E_NOMEM, or
 * HVS_E_IO/HVS_E_CORRUPT from @read.
 */
hvs_status hvs__dmp_kdbg_scan(const hvs__alloc *a, hvs__dmp_kdbg *out, uint8_t *buf,
			      size_t *buf_len, hvs_xlat *x, hvs_read_phys_fn read, void *ud,
			      const uint64_t *hints, size_t nhints,
			      uint64_t *pages_read);

#endif
