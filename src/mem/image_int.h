/* SPDX-License-Identifier: MIT */
/*
 * Internals of hvs_image shared with its backends (src/mem/image.c is the
 * core; backends: src/vmrs/savedstate*.c, src/vmrs/legacy*.c,
 * src/mem/elf.c, src/mem/image.c's raw backend).
 *
 * A backend's open function fills the image: ranges (hvs__image_add_range),
 * VPs and their registers (hvs__image_add_vp, hvs__image_regset), partition
 * facts (img->part), chunks (hvs__image_add_chunk), and sets img->ops and
 * img->be.  The core validates the ranges (sorted, no overlap) after open,
 * splits reads at range boundaries and calls ops->read_raw.
 */
#ifndef HVS_MEM_IMAGE_INT_H
#define HVS_MEM_IMAGE_INT_H

#include "hvs/image.h"
#include "util/util.h"

typedef struct hvs__image_ops {
	const char *name;
	/*
	 * Read raw saved memory [off, off + len); the core guarantees that
	 * the span lies inside one range.  Returns HVS_OK or an error with
	 * the message set on img->err; *done = bytes read.
	 */
	hvs_status (*read_raw)(hvs_image *img, uint64_t off, void *buf, size_t len,
			       size_t *done);
	/* Apply a new cache limit (blocks); may be NULL. */
	hvs_status (*set_cache_limit)(hvs_image *img, uint64_t blocks);
	/* Release img->be; may be NULL. */
	void (*close)(hvs_image *img);
} hvs__image_ops;

/* Register values of one VP in one VTL. */
typedef struct hvs__regset {
	hvs_regval v[HVS_REG_COUNT];
	uint8_t present[(HVS_REG_COUNT + 7) / 8];
} hvs__regset;

typedef struct hvs__vp {
	uint32_t index;
	hvs_arch arch;          /* detected */
	hvs_arch forced_arch;   /* HVS_ARCH_UNKNOWN: none */
	uint32_t vtl_mask;
	uint32_t saved_vtl;
	uint32_t active_vtl;
	int nested_enabled;
	int in_nested_guest;
	int nested_host_mode;
	int forced_paging;      /* -1: none; else a paging mode of xlat.h */
	hvs__regset *vtl[HVS_VTL_COUNT];
	hvs__regset *nested_host; /* nested host state, if saved */
} hvs__vp;

struct hvs_image {
	hvs__alloc alloc;
	hvs__err err;
	hvs_image_format format;
	const hvs__image_ops *ops;
	void *be;               /* backend state */

	hvs_source src;         /* the input */
	int own_src;            /* close src on image close */
	char *path;             /* file name when opened by path, else NULL */

	hvs_mem_range *ranges;  /* sorted by gpa after open */
	uint64_t *range_file;   /* per range: file offset (extent backends) */
	size_t nranges, cap_ranges;
	uint64_t raw_size;

	hvs__vp *vps;
	uint32_t nvps, cap_vps;
	hvs_partition_info part;

	hvs_state_chunk *chunks;
	size_t nchunks, cap_chunks;

	uint64_t cache_blocks;
	hvs_open_reason reason; /* set by backends when open fails */
	/* The caller's problem sink (hvs_open_opts.problem), for backends to
	 * report what they step over; NULL when none. */
	void (*problem)(void *ud, hvs_status kind, uint64_t offset, const char *msg);
	void *problem_ud;
	hvs_store *store;       /* vmrs / vsv container, owned by the backend */

	/*
	 * Translation glue (src/xlat/image_xlat.c): per-VP engine contexts,
	 * rebuilt when reg_gen changes (bumped by every register, VTL,
	 * architecture, nested-mode or paging-mode change); xlat_free
	 * releases them at close.
	 */
	uint64_t reg_gen;
	void *xlat_cache;
	void (*xlat_free)(hvs_image *img);
};

/* Append a range; raw_offset is assigned by the caller.  HVS_E_NOMEM. */
hvs_status hvs__image_add_range(hvs_image *img, uint64_t gpa, uint64_t size,
				uint64_t raw_offset, uint64_t file_offset);
/* Append a VP with index @index; returns its position in *pos. */
hvs_status hvs__image_add_vp(hvs_image *img, uint32_t index, uint32_t *pos);
/* Register set of VP position @vp in @vtl, created (zeroed) if @create. */
hvs__regset *hvs__image_regset(hvs_image *img, uint32_t vp, uint32_t vtl,
			       int create);
/* Store a register value and mark it present. */
void hvs__regset_put(hvs__regset *rs, hvs_reg reg, uint64_t lo, uint64_t hi);
int hvs__regset_has(const hvs__regset *rs, hvs_reg reg);
/* Append a chunk description (name must be static). */
hvs_status hvs__image_add_chunk(hvs_image *img, const hvs_state_chunk *c);

/* Read through img->range_file from img->src: the extent backend's read_raw. */
extern const hvs__image_ops hvs__extent_ops;

/* VMCOREINFO note text of an ELF input (src/mem/elf.c), or NULL. */
const char *hvs__elf_vmcoreinfo(const hvs_image *img, size_t *len);

/* Derive a VP's architecture from its registers (CR0/EFER/CS.L, or ARM64). */
hvs_arch hvs__image_detect_arch(const hvs_image *img, uint32_t vp);

/*
 * Backends.  Each has a probe (does this look like mine? @head holds the
 * first @n bytes of the file, up to 0x1040, fewer for small files) and an open
 * that fills @img from img->src (and img->path when opened by name).
 * src/mem/backends.def lists them: HVS_BACKEND(name, format enum).
 */
#define HVS_BACKEND(nm, fmt)                                                   \
	int hvs__##nm##_probe(const uint8_t *head, size_t n);                  \
	hvs_status hvs__##nm##_open(hvs_image *img, const hvs_image_opts *o);
#include "mem/backends.def"
#undef HVS_BACKEND

#endif
