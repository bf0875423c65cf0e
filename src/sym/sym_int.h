/* SPDX-License-Identifier: MIT */
/*
 * Internals of the symbol provider (hvs/sym.h): the provider and module
 * structures shared by sym.c (modules, names, globals, types), kernel.c
 * (locating the kernel image, the Windows version) and modlist.c (the
 * loaded-module list).
 */
#ifndef HVS_SYM_INT_H
#define HVS_SYM_INT_H

#include "hvs/pdb.h"
#include "hvs/pe.h"
#include "hvs/sym.h"
#include "sym/symsrv.h"
#include "util/util.h"

/* Longest module, image or PDB name kept (longer ones are cut). */
#define HVS__SYM_NAME_MAX 260
/* Most modules registered (the kernel's own list rarely exceeds 300). */
#define HVS__SYM_MAX_MODULES 65536

/* One module: where it lies, who it is, its PDB once loaded. */
typedef struct hvs__sym_mod {
	char *name;        /* WinDbg name ("nt", "hvsdrv") */
	char *image_name;  /* "ntoskrnl.exe", or NULL */
	char *pdb_name;    /* CodeView PDB file name (no folders), or NULL */
	char *pdb_path;    /* local PDB file, NULL until loaded */
	uint64_t base;
	uint32_t size;
	uint32_t timestamp;
	uint8_t guid[16];
	uint32_t age;
	int has_cv;
	int is_kernel;
	int from_list;
	int tried;         /* a load was attempted (success or not) */
	hvs_status load_status;
	hvs_pdb *pdb;      /* open PDB, or NULL */
} hvs__sym_mod;

/* A type name kept for the provider's lifetime. */
typedef struct hvs__sym_tname {
	const hvs_pdb *pdb;
	uint32_t ti;
	char *name;
} hvs__sym_tname;

struct hvs_sym {
	hvs__alloc a;
	hvs__err err;
	hvs_image *img;
	uint32_t vp;            /* VP whose address space is used */
	uint32_t flags;         /* HVS_SYM_* */
	int vp_auto;            /* the caller left the choice to us */
	hvs__sympath path;
	char *default_store;    /* NULL: none */
	hvs_sym_msg_fn msg;
	void *msg_ud;
	int kernel_tried;
	hvs_status kernel_status;
	int kernel_located;     /* mods[0] is the kernel */
	uint16_t kernel_os_major, kernel_os_minor; /* PE OperatingSystemVersion */
	hvs__sym_mod *mods;
	size_t nmods, capmods;
	int list_loaded;
	hvs__sym_tname *names;  /* formatted type names (see sym.c) */
	size_t nnames, capnames;
	uint32_t *hidx;         /* hash index into names: entry + 1, 0 empty */
	size_t hcap;            /* slots of hidx (power of two), 0 before use */
};

/* Send one formatted line to the message callback (if any). */
void hvs__sym_say(const hvs_sym *s, const char *fmt, ...) HVS__PRINTF(2, 3);

/*
 * Find the kernel image in the guest (kernel.c, docs/symbols.md "Locating
 * the kernel").  On success fills @out (base, size, timestamp, CodeView
 * record) and sets s->vp to the VP used.
 * @return HVS_OK; HVS_E_NOTFOUND (with the reason in s->err); HVS_E_NOMEM.
 */
hvs_status hvs__sym_find_kernel(hvs_sym *s, hvs_pe_found *out, char *pdb_name,
				size_t pdb_name_size);

/* The file part of a path written with '/' or '\\' separators. */
const char *hvs__sym_basename(const char *path);

/*
 * Register a module (sym.c).  @image_name, @pdb_name may be NULL; @name
 * NULL derives it from the image name.  *out receives its index.
 * @return HVS_OK; HVS_E_NOMEM; HVS_E_CORRUPT (more than
 *         HVS__SYM_MAX_MODULES).
 */
hvs_status hvs__sym_add_module(hvs_sym *s, const char *name, const char *image_name,
			       uint64_t base, uint32_t size, size_t *out);

/* Read the CodeView record and timestamp of module @m from its PE
 * headers in guest memory (sym.c).  Failures leave has_cv 0. */
hvs_status hvs__sym_read_cv(hvs_sym *s, hvs__sym_mod *m);

/* Load module @i's PDB if not yet tried (sym.c). */
hvs_status hvs__sym_load(hvs_sym *s, size_t i);

/*
 * Address of global @name in the kernel (loaded symbols only), and the
 * size of its type: for the module-list walk and the version (sym.c).
 */
hvs_status hvs__sym_kernel_global(hvs_sym *s, const char *name, uint64_t *va,
				  uint64_t *size);

/* Offset of @field in kernel type @type, from the kernel PDB (sym.c). */
hvs_status hvs__sym_kernel_field(hvs_sym *s, const char *type, const char *field,
				 uint64_t *offset);

#endif
