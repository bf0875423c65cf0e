/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/pe.h
 * PE/COFF images (Windows executables, DLLs, drivers, the kernel) as they
 * lie in guest memory, and the image scanner.
 *
 * What is parsed (docs/pe.md): the DOS header, the NT headers (file
 * header, optional header PE32 or PE32+), the section table, the data
 * directories, the export directory (DLL name, ordinals, RVAs, names,
 * forwarders), the debug directory with the CodeView RSDS record (PDB
 * name, GUID, age) and the exception directory (x64 .pdata
 * RUNTIME_FUNCTION entries, which the unwinder builds on).
 *
 * Where the bytes come from: a read callback that reads virtual
 * addresses (hvs_pe_read_fn), so the parser works on any address space:
 * a VP of a guest image (hvs_pe_open_vp()), a page-table root of the
 * caller's choice (hvs_pe_open_regs()), a translation context of the
 * caller (hvs_pe_open_xlat()), or a PE file on disk (hvs_pe_open_file(),
 * HVS_PE_FILE_LAYOUT: RVAs are then mapped to file offsets through the
 * section table, as a loader would before mapping).
 *
 * Lazy: hvs_pe_open() reads and checks the headers and the section
 * table only (one or two pages).  The export, debug and exception
 * directories are read on first use and kept in the handle.
 *
 * Pages that are not present: guest images are often partly paged out
 * (discardable INIT sections, paged-out .rdata).  A read that meets an
 * unmapped page fails with HVS_E_NOTPRESENT, and one that meets a page
 * not backed by the image with HVS_E_NODATA; the message names the
 * structure and the virtual address.  Nothing is ever guessed or
 * zero-filled.
 *
 * Untrusted-input contract: every byte of the image is hostile.  Every
 * RVA, size, count and index is bounds- and overflow-checked against
 * SizeOfImage (or the file size) and against the documented caps below;
 * malformed input gives HVS_E_CORRUPT with a message naming the
 * structure, the field, its offset/RVA and what was expected.  The parser
 * allocates nothing in proportion to an unchecked count.
 *
 * Thread rules: one thread at a time per handle.  Handles made from a
 * guest image use that image, so the image's own rule applies to both.
 */
#ifndef HVS_PE_H
#define HVS_PE_H

#include "common.h"
#include "image.h"
#include "xlat.h"

#ifdef __cplusplus
extern "C" {
#endif

/* -------------------------------------------------------------- limits */

/** Largest SizeOfImage accepted (2 GiB; the Windows loader caps images
 *  far below this). */
#define HVS_PE_MAX_IMAGE_SIZE 0x80000000u
/** Largest NumberOfSections accepted (the COFF limit is 96 for images). */
#define HVS_PE_MAX_SECTIONS 96u
/** Largest e_lfanew accepted (the NT headers must start in the first
 *  64 KiB; real images put them at 0x80..0x200). */
#define HVS_PE_MAX_LFANEW 0x10000u
/** Largest export count (NumberOfFunctions / NumberOfNames) accepted. */
#define HVS_PE_MAX_EXPORTS 0x100000u
/** Longest export, forwarder, DLL or PDB name read (bytes, without NUL). */
#define HVS_PE_MAX_NAME 1024u
/** Largest number of debug directory entries accepted. */
#define HVS_PE_MAX_DEBUG 64u
/** Largest number of RUNTIME_FUNCTION entries accepted (12 bytes each). */
#define HVS_PE_MAX_RUNTIME_FUNCTIONS 0x400000u

/* ---------------------------------------------------- on-disk constants */

/** IMAGE_FILE_HEADER.Machine values (PE/COFF spec "Machine Types"). */
#define HVS_PE_MACHINE_I386  0x014cu
#define HVS_PE_MACHINE_AMD64 0x8664u
#define HVS_PE_MACHINE_ARM64 0xaa64u
/** Optional header magic: PE32 and PE32+. */
#define HVS_PE_MAGIC_PE32     0x010bu
#define HVS_PE_MAGIC_PE32PLUS 0x020bu
/** Data directory indices (PE/COFF spec "Optional Header Data Directories"). */
#define HVS_PE_DIR_EXPORT    0
#define HVS_PE_DIR_IMPORT    1
#define HVS_PE_DIR_RESOURCE  2
#define HVS_PE_DIR_EXCEPTION 3
#define HVS_PE_DIR_SECURITY  4
#define HVS_PE_DIR_BASERELOC 5
#define HVS_PE_DIR_DEBUG     6
#define HVS_PE_DIR_COUNT     16
/** IMAGE_DEBUG_DIRECTORY.Type of a CodeView record. */
#define HVS_PE_DEBUG_CODEVIEW 2u

/* ------------------------------------------------------------- reading */

/**
 * Virtual-read callback: copy @p len bytes at virtual address @p va into
 * @p buf (with HVS_PE_FILE_LAYOUT: at file offset @p va).
 * @param done  receives the bytes copied (never NULL).
 * @return HVS_OK when all @p len bytes were copied; HVS_E_NOTPRESENT (an
 *         address is not mapped); HVS_E_NODATA (not backed by the image,
 *         or past the end of a file); any other status is passed through.
 */
typedef hvs_status (*hvs_pe_read_fn)(void *ud, uint64_t va, void *buf,
				     size_t len, size_t *done);

/** A parsed PE image. */
typedef struct hvs_pe hvs_pe;

/** hvs_pe_opts.flags: the callback reads a file (offsets), not memory. */
#define HVS_PE_FILE_LAYOUT 0x1u

/** Options of the open functions.  Zero-initialise; NULL = defaults. */
typedef struct hvs_pe_opts {
	const hvs_allocator *alloc; /**< NULL for malloc */
	char *errbuf;               /**< receives the message of a failed open */
	size_t errbuf_size;
	uint32_t flags;             /**< HVS_PE_* flags */
} hvs_pe_opts;

/**
 * Parse the headers of the image whose DOS header is at @p base.
 * @param out   receives the handle; release with hvs_pe_close().
 * @param base  virtual address of the image (the file: 0).
 * @param read  read callback; it and @p ud are borrowed and must outlive
 *              the handle (later calls read through it lazily).
 * @param opts  options or NULL.
 * @return HVS_OK; HVS_E_CORRUPT (not a PE image or a malformed header;
 *         the message says which field); HVS_E_UNSUPPORTED (an optional
 *         header that is neither PE32 nor PE32+); HVS_E_NOTPRESENT /
 *         HVS_E_NODATA (a header page could not be read); HVS_E_NOMEM;
 *         HVS_E_INVALID (NULL argument, or a @p base within 64 bytes of
 *         the end of the address space).  An image whose SizeOfImage would
 *         wrap past 2^64 is HVS_E_CORRUPT.
 */
HVS_API hvs_status hvs_pe_open(hvs_pe **out, uint64_t base, hvs_pe_read_fn read,
			       void *ud, const hvs_pe_opts *opts);

/**
 * Parse the image at @p base in the address space of VP @p vp of a guest
 * image (its active VTL; reads through hvs_vp_read()).
 * @param img  the guest image; borrowed, must outlive the handle, which
 *             reads through the VP's translation lazily.
 * @return the codes of hvs_pe_open(); HVS_E_NOTFOUND (the VP's paging
 *         registers are missing).
 */
HVS_API hvs_status hvs_pe_open_vp(hvs_pe **out, hvs_image *img, uint32_t vp,
				  uint64_t base, const hvs_pe_opts *opts);

/**
 * Parse the image at @p base in the address space given by @p regs (for
 * example a process's CR3) over the guest-physical memory of @p img.  The
 * handle keeps its own translation context.
 * @return the codes of hvs_pe_open(); HVS_E_INVALID (registers that do
 *         not describe a paging mode).
 */
HVS_API hvs_status hvs_pe_open_regs(hvs_pe **out, hvs_image *img,
				    const hvs_paging_regs *regs, uint64_t base,
				    const hvs_pe_opts *opts);

/**
 * Parse the image at @p base through a caller's translation context
 * (borrowed; it must outlive the handle).
 * @return the codes of hvs_pe_open().
 */
HVS_API hvs_status hvs_pe_open_xlat(hvs_pe **out, hvs_xlat *x, uint64_t base,
				    const hvs_pe_opts *opts);

/**
 * Parse a PE file (file layout) read from a source (borrowed: it must
 * outlive the handle).  RVAs are mapped to file offsets through the
 * section table; an RVA no section covers in the file (uninitialised
 * data) gives HVS_E_NODATA.
 * @return the codes of hvs_pe_open().
 */
HVS_API hvs_status hvs_pe_open_source(hvs_pe **out, const hvs_source *src,
				      const hvs_pe_opts *opts);

/** Release a handle (NULL-safe). */
HVS_API void hvs_pe_close(hvs_pe *pe);

/**
 * Detail of the last failure on this handle ("" if none).
 * @return a borrowed string, valid until the next call on @p pe.
 */
HVS_API const char *hvs_pe_errmsg(const hvs_pe *pe);

/* ------------------------------------------------------------- headers */

/** The DOS, file and optional headers, decoded (PE32 fields widened). */
typedef struct hvs_pe_headers {
	uint64_t base;               /**< address the image was opened at */
	uint32_t e_lfanew;           /**< offset of "PE\0\0" */
	/* IMAGE_FILE_HEADER */
	uint16_t machine;            /**< HVS_PE_MACHINE_* */
	uint16_t section_count;      /**< NumberOfSections */
	uint32_t timestamp;          /**< TimeDateStamp */
	uint32_t symtab_off;         /**< PointerToSymbolTable */
	uint32_t symbol_count;       /**< NumberOfSymbols */
	uint16_t opt_header_size;    /**< SizeOfOptionalHeader */
	uint16_t characteristics;    /**< IMAGE_FILE_* bits */
	/* IMAGE_OPTIONAL_HEADER32/64 */
	uint16_t magic;              /**< HVS_PE_MAGIC_PE32 or _PE32PLUS */
	uint8_t linker_major, linker_minor;
	uint32_t code_size;          /**< SizeOfCode */
	uint32_t init_data_size;     /**< SizeOfInitializedData */
	uint32_t uninit_data_size;   /**< SizeOfUninitializedData */
	uint32_t entry_rva;          /**< AddressOfEntryPoint */
	uint32_t code_base;          /**< BaseOfCode */
	uint32_t data_base;          /**< BaseOfData (PE32 only, else 0) */
	uint64_t image_base;         /**< ImageBase (preferred base) */
	uint32_t section_align;      /**< SectionAlignment */
	uint32_t file_align;         /**< FileAlignment */
	uint16_t os_major, os_minor;
	uint16_t image_major, image_minor;
	uint16_t subsystem_major, subsystem_minor;
	uint32_t win32_version;
	uint32_t image_size;         /**< SizeOfImage */
	uint32_t headers_size;       /**< SizeOfHeaders */
	uint32_t checksum;           /**< CheckSum */
	uint16_t subsystem;          /**< IMAGE_SUBSYSTEM_* */
	uint16_t dll_characteristics;
	uint64_t stack_reserve, stack_commit, heap_reserve, heap_commit;
	uint32_t loader_flags;
	uint32_t dir_count;          /**< NumberOfRvaAndSizes as stored */
} hvs_pe_headers;

/** One data directory. */
typedef struct hvs_pe_dir {
	uint32_t rva;  /**< VirtualAddress (a file offset for SECURITY) */
	uint32_t size; /**< Size */
} hvs_pe_dir;

/** One section header. */
typedef struct hvs_pe_section {
	char name[9];             /**< Name, NUL-terminated (8 bytes max) */
	uint32_t virtual_size;    /**< VirtualSize */
	uint32_t rva;             /**< VirtualAddress */
	uint32_t raw_size;        /**< SizeOfRawData */
	uint32_t raw_off;         /**< PointerToRawData */
	uint32_t reloc_off;       /**< PointerToRelocations */
	uint32_t lineno_off;      /**< PointerToLinenumbers */
	uint16_t reloc_count;     /**< NumberOfRelocations */
	uint16_t lineno_count;    /**< NumberOfLinenumbers */
	uint32_t characteristics; /**< IMAGE_SCN_* bits */
} hvs_pe_section;

/**
 * The headers.  Infallible once open.
 * @return a borrowed pointer valid until hvs_pe_close().
 */
HVS_API const hvs_pe_headers *hvs_pe_get_headers(const hvs_pe *pe);

/**
 * The section table.
 * @param count  receives the number of sections.
 * @return a borrowed array valid until hvs_pe_close() (NULL when empty).
 */
HVS_API const hvs_pe_section *hvs_pe_sections(const hvs_pe *pe, size_t *count);

/**
 * Data directory @p index (HVS_PE_DIR_*).
 * @return HVS_OK; HVS_E_NOTFOUND when the image has fewer directories
 *         (NumberOfRvaAndSizes) or the entry is empty (RVA 0 or size 0).
 */
HVS_API hvs_status hvs_pe_get_dir(const hvs_pe *pe, unsigned index,
				  hvs_pe_dir *out);

/**
 * Read @p len bytes at @p rva of the image (through the section table
 * with HVS_PE_FILE_LAYOUT), bounded by SizeOfImage.
 * @param done  receives the bytes read (may be NULL).
 * @return HVS_OK; HVS_E_CORRUPT ([rva, rva+len) leaves the image);
 *         HVS_E_NOTPRESENT / HVS_E_NODATA (see the file comment).
 */
HVS_API hvs_status hvs_pe_read_rva(hvs_pe *pe, uint32_t rva, void *buf,
				   size_t len, size_t *done);

/* ------------------------------------------------------------- exports */

/** One exported function (by ordinal). */
typedef struct hvs_pe_export {
	uint32_t ordinal;       /**< biased ordinal (Base + index) */
	uint32_t rva;           /**< AddressOfFunctions entry (0: unused slot) */
	const char *name;       /**< name, or NULL when exported by ordinal only */
	const char *forwarder;  /**< "DLL.Name" when the RVA points into the
				     export directory, else NULL */
} hvs_pe_export;

/** The export directory (IMAGE_EXPORT_DIRECTORY), decoded. */
typedef struct hvs_pe_exports {
	const char *dll_name;   /**< Name ("" when the RVA is 0) */
	uint32_t timestamp;     /**< TimeDateStamp */
	uint16_t major, minor;  /**< MajorVersion, MinorVersion */
	uint32_t ordinal_base;  /**< Base */
	uint32_t function_count;/**< NumberOfFunctions */
	uint32_t name_count;    /**< NumberOfNames */
	const hvs_pe_export *entries; /**< function_count entries, by ordinal */
} hvs_pe_exports;

/**
 * The export directory, read and decoded on first call.
 * @param out  receives a borrowed pointer valid until hvs_pe_close().
 * @return HVS_OK; HVS_E_NOTFOUND (no export directory); HVS_E_CORRUPT
 *         (a count above HVS_PE_MAX_EXPORTS, a table or name outside the
 *         image, a name ordinal past NumberOfFunctions, a name without
 *         NUL within HVS_PE_MAX_NAME ...); HVS_E_NOTPRESENT /
 *         HVS_E_NODATA; HVS_E_NOMEM.  A failure is not cached: the next
 *         call tries again.
 */
HVS_API hvs_status hvs_pe_get_exports(hvs_pe *pe, const hvs_pe_exports **out);

/**
 * Look an export up by name (exact, case-sensitive).
 * @return HVS_OK; HVS_E_NOTFOUND; the errors of hvs_pe_get_exports().
 */
HVS_API hvs_status hvs_pe_find_export(hvs_pe *pe, const char *name,
				      const hvs_pe_export **out);

/* --------------------------------------------------------------- debug */

/** One IMAGE_DEBUG_DIRECTORY entry. */
typedef struct hvs_pe_debug_entry {
	uint32_t characteristics;
	uint32_t timestamp;
	uint16_t major, minor;
	uint32_t type;          /**< IMAGE_DEBUG_TYPE_* (2: CodeView) */
	uint32_t size;          /**< SizeOfData */
	uint32_t rva;           /**< AddressOfRawData */
	uint32_t raw_off;       /**< PointerToRawData */
} hvs_pe_debug_entry;

/** A CodeView RSDS record: what a symbol server needs to find the PDB. */
typedef struct hvs_pe_codeview {
	/** GUID as stored (Data1..3 little-endian, then Data4), the same
	 *  16 bytes as in the PDB info stream. */
	uint8_t guid[16];
	uint32_t age;
	const char *pdb_name;   /**< PdbFileName as stored (may be a full
				     path); borrowed, valid until close */
} hvs_pe_codeview;

/**
 * The debug directory entries, read on first call.
 * @param count  receives the number of entries.
 * @return HVS_OK; HVS_E_NOTFOUND (no debug directory); HVS_E_CORRUPT
 *         (size not a multiple of 28, more than HVS_PE_MAX_DEBUG entries,
 *         outside the image); HVS_E_NOTPRESENT / HVS_E_NODATA.
 */
HVS_API hvs_status hvs_pe_get_debug(hvs_pe *pe, const hvs_pe_debug_entry **out,
				    size_t *count);

/**
 * The first CodeView RSDS record of the debug directory, read on first
 * call.
 * @return HVS_OK; HVS_E_NOTFOUND (no debug directory or no CodeView
 *         entry); HVS_E_UNSUPPORTED (a CodeView entry in another format,
 *         e.g. NB10); HVS_E_CORRUPT (record shorter than 24 bytes, no
 *         NUL within its size or HVS_PE_MAX_NAME); HVS_E_NOTPRESENT /
 *         HVS_E_NODATA (the record is paged out).
 */
HVS_API hvs_status hvs_pe_get_codeview(hvs_pe *pe, const hvs_pe_codeview **out);

/**
 * Format a GUID as Windows prints it ("{...}" omitted):
 * "1B2C3D4E-5F60-7182-93A4-B5C6D7E8F901" (36 characters), or with
 * @p with_age as the symbol-store directory name: 32 hex digits, upper
 * case, no dashes, then the age in upper-case hex without leading zeros
 * ("1B2C3D4E5F60718293A4B5C6D7E8F9011").
 * @param buf   receives the string; 50 bytes are always enough.
 * @return HVS_OK; HVS_E_BUFSIZE (nothing written beyond a NUL at buf[0]).
 */
HVS_API hvs_status hvs_pe_format_guid(const uint8_t guid[16], uint32_t age,
				      int with_age, char *buf, size_t size);

/* ----------------------------------------------------------- exceptions */

/** One x64/ARM64 RUNTIME_FUNCTION (.pdata) entry, x64 layout. */
typedef struct hvs_pe_runtime_function {
	uint32_t begin_rva;  /**< BeginAddress */
	uint32_t end_rva;    /**< EndAddress (exclusive) */
	uint32_t unwind_rva; /**< UnwindInfoAddress (bit 0 set: chained to
				  another RUNTIME_FUNCTION, as stored) */
} hvs_pe_runtime_function;

/**
 * The exception directory of an x64 image, read on first call.
 * @param count  receives the number of entries.
 * @return HVS_OK; HVS_E_NOTFOUND (no exception directory);
 *         HVS_E_UNSUPPORTED (not an AMD64 image: other layouts are not
 *         decoded); HVS_E_CORRUPT (size not a multiple of 12, above
 *         HVS_PE_MAX_RUNTIME_FUNCTIONS, outside the image, an entry with
 *         begin >= end or end beyond SizeOfImage); HVS_E_NOTPRESENT /
 *         HVS_E_NODATA; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pe_get_runtime_functions(hvs_pe *pe,
						const hvs_pe_runtime_function **out,
						size_t *count);

/**
 * The RUNTIME_FUNCTION whose [begin, end) contains @p rva (binary
 * search; the table is sorted by the linker, and unsorted tables are
 * sorted on load).
 * @return HVS_OK; HVS_E_NOTFOUND (a leaf function or outside the image);
 *         the errors of hvs_pe_get_runtime_functions().
 */
HVS_API hvs_status hvs_pe_find_runtime_function(hvs_pe *pe, uint32_t rva,
						const hvs_pe_runtime_function **out);

/* ------------------------------------------------------------ scanning */

/** One image found by the scanner.  Valid during the callback only. */
typedef struct hvs_pe_found {
	uint64_t base;          /**< virtual address of the DOS header */
	uint32_t size;          /**< SizeOfImage */
	uint32_t timestamp;     /**< TimeDateStamp of the file header */
	uint16_t machine;       /**< Machine */
	int standalone;         /**< found at a standalone address */
	const char *name;       /**< export directory DLL name, or NULL
				     (none, or not readable) */
	int has_codeview;       /**< the fields below are valid */
	const char *pdb_name;   /**< CodeView PDB name (as stored) */
	uint8_t guid[16];       /**< CodeView GUID (as stored) */
	uint32_t age;           /**< CodeView age */
} hvs_pe_found;

/**
 * Scanner callback.
 * @return 0 to go on; non-zero to stop the scan (hvs_pe_scan_vp() then
 *         returns HVS_OK).
 */
typedef int (*hvs_pe_found_fn)(void *ud, const hvs_pe_found *img);

/** Counters of one scan (for benchmarks and `hvs images --stats`). */
typedef struct hvs_pe_scan_stats {
	uint64_t mapped_bytes;   /**< bytes of mapped address space visited */
	uint64_t pages_read;     /**< pages whose first bytes were read */
	uint64_t pages_missing;  /**< mapped pages not backed by the image */
	uint64_t candidates;     /**< pages starting with "MZ" */
	uint64_t images;         /**< images reported */
	uint64_t table_gaps;     /**< regions skipped: page table unreadable */
} hvs_pe_scan_stats;

/**
 * Scan VP @p vp's address space for PE images, as the SDK's
 * ScanMemoryForDosImages does (docs/pe.md "Scanning"):
 *  1. each of the @p nstandalone addresses in @p standalone is checked
 *     first, in the given order, as the base of an image;
 *  2. then every mapped 4 KiB page in [@p lo, @p hi] is checked,
 *     backwards from the page that contains @p hi down to @p lo.
 * An address is the base of an image when it starts with a DOS header
 * whose e_lfanew leads to "PE\0\0", a known optional-header magic and a
 * non-zero SizeOfImage within HVS_PE_MAX_IMAGE_SIZE; SizeOfImage,
 * TimeDateStamp and the CodeView record (when readable) are reported.
 * Unmapped regions are skipped whole, by the size the page-table walker
 * reports; regions whose page tables are not in the image are skipped
 * and counted; each mapped page is read once by the scan (its first 64
 * bytes); images are reported in the order found.  An image already
 * reported from a standalone address is not reported again by step 2.
 * Malformed candidates are skipped silently (a scan meets random data).
 * @param hi     highest address (inclusive); must be >= @p lo.
 * @param lo     lowest address.
 * @param cb     called once per image; return non-zero to stop.
 * @param stats  receives the counters (may be NULL).
 * @return HVS_OK (also when stopped by the callback); HVS_E_INVALID
 *         (@p hi < @p lo, no such VP, NULL callback); HVS_E_NOTFOUND (the
 *         VP's paging registers are missing); HVS_E_NOMEM; HVS_E_IO /
 *         HVS_E_CORRUPT from the image's reads.
 */
HVS_API hvs_status hvs_pe_scan_vp(hvs_image *img, uint32_t vp, uint64_t hi,
				  uint64_t lo, const uint64_t *standalone,
				  size_t nstandalone, hvs_pe_found_fn cb,
				  void *ud, hvs_pe_scan_stats *stats);

/**
 * The same scan over a caller's translation context, whose pages are
 * read through @p read_phys (usually the callback the context was made
 * with).  Both are borrowed for the duration of the call.
 * @return as hvs_pe_scan_vp().
 */
HVS_API hvs_status hvs_pe_scan_xlat(hvs_xlat *x, hvs_read_phys_fn read_phys,
				    void *phys_ud, uint64_t hi, uint64_t lo,
				    const uint64_t *standalone,
				    size_t nstandalone, hvs_pe_found_fn cb,
				    void *ud, hvs_pe_scan_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* HVS_PE_H */
