/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/pdb.h
 * A native reader for Microsoft program databases (PDB, MSF 7.0): the PDB
 * info stream (GUID, age), DBI (modules, section headers, section map), the
 * global and public symbol streams, module symbol streams and the TPI type
 * stream, on any OS.
 *
 * Format: docs/format/pdb.md.  Byte order little-endian throughout.
 *
 * Lazy: opening reads the superblock, the stream directory, the info stream
 * and the DBI header, module list and section headers.  The symbol records,
 * the hash tables and the type records are read on first use, and the name
 * indexes built once, so opening a kernel PDB and answering a first query
 * takes milliseconds.  A file opened by path is memory-mapped where the OS
 * allows it (see HVS_PDB_OPEN_NO_MMAP), else read with pread.
 *
 * Untrusted input: every block number, stream size, count, index, record
 * length and offset is bounds- and overflow-checked; type references are
 * range-checked and cycles are detected (a depth cap of
 * HVS_PDB_MAX_TYPE_DEPTH).  A damaged PDB gives HVS_E_CORRUPT with a
 * message naming the stream, the record and the offset, e.g.
 * "TPI: record 0x1a2f at stream offset 40312: length 900 runs past the
 * stream end (40500)".
 *
 * Lifetimes: every `const char *` and struct returned by a query is borrowed
 * from the handle and stays valid until hvs_pdb_close(); the strings point
 * into the (checked, NUL-terminated) stream data.
 *
 * Threads: one thread at a time per handle (lazy loading mutates it).
 */
#ifndef HVS_PDB_H
#define HVS_PDB_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An open PDB.  Opaque; one thread at a time. */
typedef struct hvs_pdb hvs_pdb;

/**
 * hvs_open_opts.flags bit for hvs_pdb_open_file(): read the file with
 * positional reads instead of memory-mapping it.  Mapping is faster and
 * shares pages with the OS cache; but if another process truncates the file
 * while it is mapped, touching a page past the new end raises SIGBUS, which
 * the library cannot turn into an error.  Use this flag for files that may
 * change underneath (a symbol cache being written by another process).
 */
#define HVS_PDB_OPEN_NO_MMAP 0x100u

/** Deepest chain of type references followed (pointer to array of ...). */
#define HVS_PDB_MAX_TYPE_DEPTH 64

/** Facts from the MSF superblock, the PDB info stream and the DBI header. */
typedef struct hvs_pdb_info {
	/**
	 * The PDB's GUID as its 16 on-disk bytes: Data1 (LE u32), Data2
	 * (LE u16), Data3 (LE u16), Data4[8] -- the same layout as the GUID
	 * of a PE's CodeView RSDS record, so the two compare with memcmp.
	 */
	uint8_t guid[16];
	/** Age from the PDB info stream (bumped on every incremental link). */
	uint32_t age;
	/**
	 * Age from the DBI header: the one a PE's RSDS record carries and
	 * the symbol-store path is built from ("GUID" + hex age).  0 when
	 * the PDB has no DBI stream.
	 */
	uint32_t dbi_age;
	/** Signature (a time stamp) from the PDB info stream. */
	uint32_t signature;
	/** PDB info stream version (20000404 = VC70). */
	uint32_t version;
	/** DBI header machine (IMAGE_FILE_MACHINE_*: 0x8664 x64, 0x14c x86,
	 *  0xaa64 ARM64); 0 without DBI. */
	uint16_t machine;
	/** MSF block size in bytes (512, 1024, 2048, 4096 or larger powers). */
	uint32_t block_size;
	/** Number of blocks in the file, per the superblock. */
	uint32_t block_count;
	/** Number of streams in the directory. */
	uint32_t stream_count;
	/** Modules (compilands) in the DBI module list. */
	uint32_t module_count;
	/** Section headers (from the DBI optional debug header). */
	uint32_t section_count;
	/** Section map entries (the DBI section map substream). */
	uint32_t section_map_count;
	/** The TPI's first and one-past-last type index (0x1000..end). */
	uint32_t tpi_begin, tpi_end;
	/** TPI version (20040203 = V80); 0 without TPI. */
	uint32_t tpi_version;
	/** Pointer size in bytes of the target (8 for x64/ARM64, 4 for x86),
	 *  from the machine; 8 when unknown. */
	uint32_t pointer_size;
} hvs_pdb_info;

/**
 * Open a PDB from a source.
 * @param out   receives the handle; release with hvs_pdb_close().
 * @param src   input; borrowed, must outlive the handle.
 * @param opts  NULL for defaults (alloc, errbuf are used; flags as above).
 * @return HVS_OK; HVS_E_UNSUPPORTED (not an MSF 7.0 file, e.g. the old
 *         "Microsoft C/C++ program database 2.00" format);
 *         HVS_E_CORRUPT (superblock, directory, info or DBI stream damaged;
 *         the message says where); HVS_E_IO; HVS_E_NOMEM.  On failure the
 *         message is in opts->errbuf.
 */
HVS_API hvs_status hvs_pdb_open(hvs_pdb **out, const hvs_source *src,
				const hvs_open_opts *opts);

/**
 * Open a PDB file by path: memory-mapped where possible (unless
 * HVS_PDB_OPEN_NO_MMAP), else through hvs_source_open_file().  The handle
 * owns the file and closes it.
 * @return as hvs_pdb_open(); HVS_E_IO when the file cannot be opened.
 */
HVS_API hvs_status hvs_pdb_open_file(hvs_pdb **out, const char *path,
				     const hvs_open_opts *opts);

/** Close a PDB and everything borrowed from it (NULL-safe). */
HVS_API void hvs_pdb_close(hvs_pdb *pdb);

/** Detail of the last failure on this handle ("" if none).  Borrowed. */
HVS_API const char *hvs_pdb_errmsg(const hvs_pdb *pdb);

/** Fill @p out with the header facts (infallible; read at open). */
HVS_API void hvs_pdb_get_info(const hvs_pdb *pdb, hvs_pdb_info *out);

/**
 * The symbol-store directory name of this PDB: 32 upper-case hex digits
 * of the GUID (Data1, Data2, Data3 as numbers, then Data4 bytes) followed
 * by the DBI age in upper-case hex without leading zeros, as symstore
 * writes it ("name.pdb/<this>/name.pdb").  Needs 42 bytes at most.
 * @return HVS_OK or HVS_E_BUFSIZE.
 */
HVS_API hvs_status hvs_pdb_store_id(const hvs_pdb *pdb, char *buf,
				    size_t size);

/* ----------------------------------------------------------------- DBI */

/** A module (compiland) from the DBI module-info substream. */
typedef struct hvs_pdb_module {
	const char *name;      /**< module name (object file path) */
	const char *obj_name;  /**< object or library file name */
	uint16_t stream;       /**< its symbol stream, 0xFFFF for none */
	uint32_t sym_bytes;    /**< bytes of CodeView symbols in that stream */
	uint16_t section;      /**< first section contribution: section (1-based) */
	uint32_t offset;       /**<   offset in the section */
	uint32_t size;         /**<   size in bytes */
} hvs_pdb_module;

/**
 * Module @p i (0-based, < info.module_count).
 * @return HVS_OK or HVS_E_INVALID (index out of range).
 */
HVS_API hvs_status hvs_pdb_module_get(const hvs_pdb *pdb, uint32_t i,
				      hvs_pdb_module *out);

/** A section header (IMAGE_SECTION_HEADER) from the DBI debug header. */
typedef struct hvs_pdb_section {
	char name[9];             /**< up to 8 bytes, NUL-terminated */
	uint32_t virtual_size;
	uint32_t rva;             /**< VirtualAddress */
	uint32_t raw_size;        /**< SizeOfRawData */
	uint32_t raw_offset;      /**< PointerToRawData */
	uint32_t characteristics;
} hvs_pdb_section;

/**
 * Section header @p i (0-based; symbol segment numbers are 1-based, so
 * segment s is header s - 1).
 * @return HVS_OK or HVS_E_INVALID (index out of range).
 */
HVS_API hvs_status hvs_pdb_section_get(const hvs_pdb *pdb, uint32_t i,
				       hvs_pdb_section *out);

/** A DBI section map entry (OMF segment descriptor). */
typedef struct hvs_pdb_segmap {
	uint16_t flags;        /**< read 1, write 2, exec 4, 32-bit 8, selector 0x100,
	                            absolute 0x200, group 0x400 */
	uint16_t ovl, group, frame;
	uint16_t sec_name, class_name;
	uint32_t offset, length;
} hvs_pdb_segmap;

/**
 * Section map entry @p i (< info.section_map_count).
 * @return HVS_OK or HVS_E_INVALID.
 */
HVS_API hvs_status hvs_pdb_segmap_get(const hvs_pdb *pdb, uint32_t i,
				      hvs_pdb_segmap *out);

/**
 * Translate a section:offset pair to an RVA through the section headers.
 * @return HVS_OK; HVS_E_NOTFOUND (segment 0, past the section headers, or
 *         the PDB has none).
 */
HVS_API hvs_status hvs_pdb_rva(const hvs_pdb *pdb, uint16_t segment,
			       uint32_t offset, uint32_t *rva);

/* ------------------------------------------------------------- symbols */

/** What a symbol is (in-memory enum; the on-disk S_* codes differ). */
typedef enum hvs_pdb_sym_kind {
	HVS_PDB_SYM_PUBLIC = 0,  /**< S_PUB32: a linker public (no type) */
	HVS_PDB_SYM_GDATA,       /**< S_GDATA32: a global variable */
	HVS_PDB_SYM_LDATA,       /**< S_LDATA32: a file-static (or function-static) variable */
	HVS_PDB_SYM_GPROC,       /**< S_GPROC32: a global function */
	HVS_PDB_SYM_LPROC,       /**< S_LPROC32: a static function */
	HVS_PDB_SYM_CONSTANT,    /**< S_CONSTANT: a named constant (enumerators, ...) */
	HVS_PDB_SYM_UDT,         /**< S_UDT: a typedef name for a type */
	HVS_PDB_SYM_GTHREAD,     /**< S_GTHREAD32: a global thread-local */
	HVS_PDB_SYM_LTHREAD,     /**< S_LTHREAD32: a static thread-local */
	HVS_PDB_SYM_OTHER        /**< any other record (procedure references are
	                              followed to their S_*PROC32, never returned) */
} hvs_pdb_sym_kind;

/** Masks of kinds for the find and iterate calls: 1u << kind. */
#define HVS_PDB_SYMS_ALL 0xFFFFFFFFu
#define HVS_PDB_SYMS_DATA                                                  \
	((1u << HVS_PDB_SYM_GDATA) | (1u << HVS_PDB_SYM_LDATA) |            \
	 (1u << HVS_PDB_SYM_GTHREAD) | (1u << HVS_PDB_SYM_LTHREAD))
#define HVS_PDB_SYMS_PROC                                                  \
	((1u << HVS_PDB_SYM_GPROC) | (1u << HVS_PDB_SYM_LPROC))

/** S_PUB32 flags (CV_PUBSYMFLAGS). */
#define HVS_PDB_PUB_CODE     0x1u
#define HVS_PDB_PUB_FUNCTION 0x2u
#define HVS_PDB_PUB_MANAGED  0x4u
#define HVS_PDB_PUB_MSIL     0x8u

/** One symbol record, decoded. */
typedef struct hvs_pdb_symbol {
	hvs_pdb_sym_kind kind;
	uint16_t record_kind;  /**< the on-disk S_* code (0x110E S_PUB32, ...) */
	const char *name;      /**< borrowed; exact as in the record */
	/** Where: section (1-based) and offset; 0:0 for CONSTANT and UDT. */
	uint16_t segment;
	uint32_t offset;
	/** RVA from segment:offset and the section headers; has_rva = 0 when
	 *  it cannot be computed (CONSTANT, UDT, no section headers). */
	int has_rva;
	uint32_t rva;
	/** Type index: data, proc, constant and UDT records; 0 for publics. */
	uint32_t type_index;
	/**
	 * Size in bytes where known: the size of a data symbol's type, the
	 * code length of a procedure; 0 when unknown (publics, void, a
	 * forward reference with no definition).
	 */
	uint64_t size;
	/** S_PUB32 flags (HVS_PDB_PUB_*); 0 for others. */
	uint32_t pub_flags;
	/** S_CONSTANT value (sign-extended when the numeric leaf is signed),
	 *  and whether the leaf was signed. */
	uint64_t value;
	int value_signed;
	/**
	 * Where the record lives: the module index for module-stream
	 * symbols (procedures reached through a procedure reference, static
	 * locals), UINT32_MAX for records in the global symbol record stream.
	 */
	uint32_t module;
	/** Byte offset of the record in its stream (for messages and tools). */
	uint32_t record_offset;
} hvs_pdb_symbol;

/**
 * Find a symbol by exact (case-sensitive) name among the global symbols
 * (the GSI: S_GDATA32, S_LDATA32, S_CONSTANT, S_UDT, and S_GPROC32 /
 * S_LPROC32 through their S_PROCREF / S_LPROCREF) and the public symbols
 * (S_PUB32).  When several match, the first of this order wins: data
 * (GDATA, GTHREAD, LDATA, LTHREAD), procedures (GPROC, LPROC), constants,
 * UDT, publics -- a typed record beats a public for the same name.  The
 * hash tables are used when present, else a name index is built once.
 * @param kinds  mask of 1u << hvs_pdb_sym_kind to accept (HVS_PDB_SYMS_ALL).
 * @return HVS_OK; HVS_E_NOTFOUND; HVS_E_CORRUPT (a stream or record the
 *         lookup needed is damaged; see hvs_pdb_errmsg); HVS_E_IO;
 *         HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_find_symbol(hvs_pdb *pdb, const char *name,
				       uint32_t kinds, hvs_pdb_symbol *out);

/** Callback for the iterators: return non-zero to stop (the iterator then
 *  returns HVS_OK). @p sym is valid during the call only (its name is
 *  borrowed from the handle as usual). */
typedef int (*hvs_pdb_symbol_fn)(void *ud, const hvs_pdb_symbol *sym);

/** Sets for hvs_pdb_foreach_symbol(). */
#define HVS_PDB_ITER_GLOBALS 0x1u  /**< records the GSI hash lists */
#define HVS_PDB_ITER_PUBLICS 0x2u  /**< records the PSI hash lists */

/**
 * Call @p fn for every record of the global (GSI) and/or public (PSI)
 * hash tables whose kind is in @p kinds, in hash-table order.  Procedure
 * references are reported as the S_*PROC32 they point to.
 * @return HVS_OK; HVS_E_CORRUPT; HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_foreach_symbol(hvs_pdb *pdb, uint32_t which,
					  uint32_t kinds, hvs_pdb_symbol_fn fn,
					  void *ud);

/**
 * Call @p fn for every symbol of module @p module's symbol stream whose
 * kind is in @p kinds (procedures, static locals, ...), in stream order.
 * A module without a stream has no symbols (HVS_OK, no calls).
 * @return HVS_OK; HVS_E_INVALID (module out of range); HVS_E_CORRUPT;
 *         HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_foreach_module_symbol(hvs_pdb *pdb, uint32_t module,
						 uint32_t kinds,
						 hvs_pdb_symbol_fn fn, void *ud);

/* --------------------------------------------------------------- types */

/**
 * Type kinds (in-memory enum; the on-disk LF_* leaves differ).  Indexes
 * below 0x1000 are the built-in "simple" types (int, unsigned long, void,
 * pointers to them ...): kind BASE, or POINTER for their pointer modes.
 */
typedef enum hvs_pdb_type_kind {
	HVS_PDB_TYPE_NONE = 0,   /**< type index 0 (no type) */
	HVS_PDB_TYPE_BASE,       /**< a simple type: void, char, int, float, ... */
	HVS_PDB_TYPE_STRUCT,     /**< LF_STRUCTURE */
	HVS_PDB_TYPE_CLASS,      /**< LF_CLASS */
	HVS_PDB_TYPE_UNION,      /**< LF_UNION */
	HVS_PDB_TYPE_INTERFACE,  /**< LF_INTERFACE */
	HVS_PDB_TYPE_ENUM,       /**< LF_ENUM */
	HVS_PDB_TYPE_POINTER,    /**< LF_POINTER (or a simple pointer type) */
	HVS_PDB_TYPE_ARRAY,      /**< LF_ARRAY */
	HVS_PDB_TYPE_MODIFIER,   /**< LF_MODIFIER: const / volatile / unaligned */
	HVS_PDB_TYPE_PROCEDURE,  /**< LF_PROCEDURE */
	HVS_PDB_TYPE_MFUNCTION,  /**< LF_MFUNCTION (member function) */
	HVS_PDB_TYPE_BITFIELD,   /**< LF_BITFIELD */
	HVS_PDB_TYPE_FIELDLIST,  /**< LF_FIELDLIST */
	HVS_PDB_TYPE_ARGLIST,    /**< LF_ARGLIST */
	HVS_PDB_TYPE_OTHER       /**< anything else (vtable shapes, method lists ...) */
} hvs_pdb_type_kind;

/** CV_prop_t bits of a UDT or enum (hvs_pdb_type.props). */
#define HVS_PDB_PROP_PACKED     0x0001u
#define HVS_PDB_PROP_NESTED     0x0008u  /**< is nested inside another UDT */
#define HVS_PDB_PROP_FWDREF     0x0080u  /**< a forward reference */
#define HVS_PDB_PROP_SCOPED     0x0100u
#define HVS_PDB_PROP_UNIQUENAME 0x0200u  /**< has a unique (decorated) name */

/** hvs_pdb_type.modifiers bits (LF_MODIFIER, and LF_POINTER attributes). */
#define HVS_PDB_MOD_CONST     0x1u
#define HVS_PDB_MOD_VOLATILE  0x2u
#define HVS_PDB_MOD_UNALIGNED 0x4u

/** One type record, decoded.  Which fields apply depends on the kind. */
typedef struct hvs_pdb_type {
	uint32_t ti;             /**< its type index */
	hvs_pdb_type_kind kind;
	uint16_t leaf;           /**< on-disk LF_* code; 0 for simple types */
	/** UDT and enum: name and unique name (NULL when absent); simple
	 *  types: their C name ("unsigned long"); otherwise NULL. */
	const char *name;
	const char *unique_name;
	/**
	 * Size in bytes: UDTs (a forward reference reports its definition's
	 * size, 0 when the PDB has none), enums (of the
	 * underlying type), pointers, arrays (total), modifiers and bitfields
	 * (of the underlying type), simple types; 0 for procedures and void.
	 */
	uint64_t size;
	/**
	 * The referenced type: pointer -> pointee; array -> element;
	 * modifier / bitfield -> underlying; enum -> underlying integer;
	 * procedure / member function -> return type.  0 otherwise.
	 */
	uint32_t element;
	/** Array: index type.  Procedure: argument list.  UDT/enum: field list. */
	uint32_t index;
	/** UDT/enum: field count from the record; procedure: argument count;
	 *  array: element count (size / element size, 0 if that is 0). */
	uint32_t count;
	uint16_t props;          /**< UDT/enum: HVS_PDB_PROP_* */
	uint32_t modifiers;      /**< modifier/pointer: HVS_PDB_MOD_* */
	/** Pointer: CV pointer mode (0 plain, 1 lvalue ref, 2 member data,
	 *  3 member function, 4 rvalue ref). */
	uint8_t ptr_mode;
	/** Bitfield: bit position and width. */
	uint8_t bit_pos, bit_len;
	/** Procedure: calling convention (CV_call_e). */
	uint8_t call_conv;
} hvs_pdb_type;

/**
 * Decode type @p ti as it is (a forward reference stays one).
 * @return HVS_OK; HVS_E_NOTFOUND (index outside the simple types and
 *         [tpi_begin, tpi_end)); HVS_E_CORRUPT (the record, or the TPI
 *         stream, is damaged); HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_type_get(hvs_pdb *pdb, uint32_t ti,
				    hvs_pdb_type *out);

/**
 * Resolve a forward-referenced UDT or enum to its definition (the record
 * with the same unique name, or name, that is not a forward reference).
 * Other types, and forward references with no definition in this PDB,
 * resolve to themselves.
 * @return HVS_OK; HVS_E_NOTFOUND; HVS_E_CORRUPT; HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_type_resolve(hvs_pdb *pdb, uint32_t ti,
					uint32_t *out);

/**
 * Find a type by exact name, its definition preferred over a forward
 * reference: a struct, class, union or enum name ("_EPROCESS",
 * "_KTHREAD"), a typedef from an S_UDT global ("EPROCESS", "PEPROCESS"),
 * or a simple type's C name ("unsigned long", "int").  The resolved
 * type is returned (for a typedef, the type it names).
 * @return HVS_OK; HVS_E_NOTFOUND; HVS_E_CORRUPT; HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_find_type(hvs_pdb *pdb, const char *name,
				     hvs_pdb_type *out);

/**
 * Size of a type by name, as GetSavedStateSymbolTypeSize needs it: the
 * names hvs_pdb_find_type() accepts, plus a trailing '*' for a pointer
 * ("_EPROCESS *", pointer size of the target).
 * @return HVS_OK; HVS_E_NOTFOUND (then *size is 0); HVS_E_CORRUPT;
 *         HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_type_size_by_name(hvs_pdb *pdb, const char *name,
					     uint64_t *size);

/** Name styles for hvs_pdb_type_name(). */
typedef enum hvs_pdb_name_style {
	/** C style, as llvm-pdbutil names types: "_LIST_ENTRY*",
	 *  "const volatile unsigned long", "const char* const" (pointer
	 *  qualifiers on the right), "int (int)", "long (void*, unsigned long)*"
	 *  for a function pointer; arrays as C writes them, outer dimension
	 *  first: "unsigned short[3][4]". */
	HVS_PDB_NAME_C = 0,
	/** WinDbg `dt` style: "Ptr64 _LIST_ENTRY", "[3] [4] Uint2B", "Uint4B",
	 *  "Pos 3, 5 Bits" for bitfields, "Ptr64 long" for a pointer to a
	 *  function returning long (its return type in C style); qualifiers
	 *  are not shown. */
	HVS_PDB_NAME_WINDBG = 1
} hvs_pdb_name_style;

/**
 * Print the name of type @p ti.  On failure @p buf holds "" (when
 * @p size > 0).
 * @param len  receives the length without the NUL (may be NULL).
 * @return HVS_OK; HVS_E_BUFSIZE (*len is the length needed, minus the
 *         NUL; the buffer holds a truncated, NUL-terminated name);
 *         HVS_E_NOTFOUND; HVS_E_CORRUPT (damaged or cyclic references);
 *         HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_type_name(hvs_pdb *pdb, uint32_t ti,
				     hvs_pdb_name_style style, char *buf,
				     size_t size, size_t *len);

/** One data member of a UDT, decoded from its field list. */
typedef struct hvs_pdb_field {
	const char *name;    /**< borrowed ("" for an unnamed member) */
	/** Byte offset from the start of the outermost type asked about (the
	 *  offsets of anonymous members and base classes it sits in are
	 *  added); 0 for static members. */
	uint64_t offset;
	uint32_t type_index; /**< the member's type (the LF_BITFIELD for bitfields) */
	/** Size in bytes of the member's type (for a bitfield: of its
	 *  underlying integer type, as dbghelp reports it). */
	uint64_t size;
	int is_bitfield;
	uint8_t bit_pos, bit_len;
	int is_static;       /**< LF_STMEMBER (no storage in the object) */
	int is_base;         /**< LF_BCLASS: a base class subobject */
	/** 0 for a direct member; n when reached through n anonymous
	 *  members or base classes. */
	uint32_t depth;
	uint16_t attr;       /**< CV_fldattr_t (access in bits 0-1) */
} hvs_pdb_field;

/** Flags for hvs_pdb_foreach_field(). */
#define HVS_PDB_FIELDS_FLATTEN 0x1u /**< descend into unnamed UDT members */
#define HVS_PDB_FIELDS_BASES   0x2u /**< descend into base classes */
#define HVS_PDB_FIELDS_STATIC  0x4u /**< also report static members */

/** Callback for hvs_pdb_foreach_field(); non-zero stops. */
typedef int (*hvs_pdb_field_fn)(void *ud, const hvs_pdb_field *f);

/**
 * Call @p fn for every data member of UDT @p ti (forward references are
 * resolved first), in field-list order (LF_INDEX continuations followed).
 * Members of anonymous unions/structs that the compiler already flattened
 * into the parent's list (MSVC and clang do) come as direct members; with
 * HVS_PDB_FIELDS_FLATTEN, unnamed members of UDT type (older compilers'
 * "<unnamed-tag>" / "__unnamed" members) are descended into instead of
 * being reported.  Base classes are reported (is_base) unless
 * HVS_PDB_FIELDS_BASES descends into them.
 * @return HVS_OK; HVS_E_INVALID (not a UDT); HVS_E_NOTFOUND; HVS_E_CORRUPT;
 *         HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_foreach_field(hvs_pdb *pdb, uint32_t ti,
					 uint32_t flags, hvs_pdb_field_fn fn,
					 void *ud);

/**
 * Find a field of the UDT named @p type_name (as hvs_pdb_find_type), as
 * WinDbg's `dt` and FindSavedStateSymbolFieldInType do: members of
 * anonymous nested unions/structs and of base classes are found, and a
 * dotted path ("Pcb.Header.Type") descends into named members, adding
 * their offsets.  Names match exactly.
 * @return HVS_OK; HVS_E_NOTFOUND (no such type or field: the message says
 *         which); HVS_E_CORRUPT; HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_find_field(hvs_pdb *pdb, const char *type_name,
				      const char *field, hvs_pdb_field *out);

/**
 * Same as hvs_pdb_find_field() on a UDT given by type index.
 */
HVS_API hvs_status hvs_pdb_find_field_ti(hvs_pdb *pdb, uint32_t ti,
					 const char *field, hvs_pdb_field *out);

/** One enumerator of an enum. */
typedef struct hvs_pdb_enumerator {
	const char *name;    /**< borrowed */
	uint64_t value;      /**< sign-extended when value_signed */
	int value_signed;
} hvs_pdb_enumerator;

/** Callback for hvs_pdb_foreach_enumerator(); non-zero stops. */
typedef int (*hvs_pdb_enumerator_fn)(void *ud, const hvs_pdb_enumerator *e);

/**
 * Call @p fn for every enumerator of enum @p ti (forward references
 * resolved), in field-list order.
 * @return HVS_OK; HVS_E_INVALID (not an enum); HVS_E_NOTFOUND;
 *         HVS_E_CORRUPT; HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_foreach_enumerator(hvs_pdb *pdb, uint32_t ti,
					      hvs_pdb_enumerator_fn fn,
					      void *ud);

/**
 * Argument @p i of a procedure's argument list @p arglist_ti (its
 * hvs_pdb_type.index).
 * @return HVS_OK; HVS_E_NOTFOUND (i past the end); HVS_E_INVALID (not an
 *         argument list); HVS_E_CORRUPT; HVS_E_IO; HVS_E_NOMEM.
 */
HVS_API hvs_status hvs_pdb_arg_get(hvs_pdb *pdb, uint32_t arglist_ti,
				   uint32_t i, uint32_t *ti);

#ifdef __cplusplus
}
#endif
#endif /* HVS_PDB_H */
