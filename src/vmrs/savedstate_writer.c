/* SPDX-License-Identifier: MIT */
/*
 * Saved-state writer: builds a complete .vmrs (docs/format/savedstate-
 * writing.md) on top of the HyperVStorage container writer (store.h):
 *
 *   /configuration/properties/version   Int, = VmVersion    (format.md 3.1)
 *   /savedstate/VmVersion               Int                 (format.md 3.1)
 *   /savedstate/type                    String, optional    (format.md 3.1)
 *   /savedstate/RamMemoryBlock<N>       48-byte descriptor  (format.md 3.2)
 *   /savedstate/RamBlock<N>             1 MiB raw or token stream (3.3, 4.1)
 *   /savedstate/savedVM/partition_state envelope + chunks   (format.md 5)
 *
 * The key set and the partition_state stream order follow openvmm's
 * hyperv_dump writer, which Microsoft's VmSavedStateDumpProvider.dll was
 * cross-checked against (format.md 2.10, 5.4).  Where we go further
 * (token-stream blocks, multi-range padding, VTL control pages per VTL,
 * OS ids per VTL, the VIRTUAL_MSRS chunk) the docs say so.
 *
 * Memory is streamed: one 1 MiB block buffer (and its encoded form) is
 * all the writer holds; each finished block goes to the container at once.
 * The partition_state blob is built in memory at finish (its size is
 * proportional to VPs x VTLs, a few KiB each).
 */
#include <stdio.h>
#include <string.h>

#include "hvs/vmrs_writer.h"
#include "hvs/store.h"
#include "codec/codec.h"
#include "util/util.h"
#include "vmrs/psformat.h"

/* One VP/VTL register set: the value of every register id and whether it
 * was set (CPL defaults to CS.RPL when never set). */
typedef struct regset {
	hvs_regval v[HVS_REG_COUNT];
	uint8_t set[HVS_REG_COUNT];
} regset;

typedef struct wvp {
	uint32_t index;
	uint32_t vtl_mask;
	uint32_t active_vtl;
	regset *rs[HVS_VMRS_MAX_VTLS]; /* allocated for every VTL in vtl_mask */
} wvp;

typedef struct wrange {
	uint64_t gpa, size;
	uint64_t mbp_start; /* first RAM-sequence page (format.md 3.2) */
} wrange;

struct hvs_vmrs_writer {
	hvs__alloc alloc;
	hvs__err err;
	hvs_store_writer *st;
	hvs_arch arch;
	uint32_t vendor;      /* on-disk PROLOG vendor code */
	uint32_t vm_version;
	hvs_vmrs_encoding enc;
	uint32_t node_savedstate, node_savedvm;
	wvp *vps;
	size_t nvps, capvps;
	wrange *ranges;
	size_t nranges, capranges;
	uint64_t ram_blocks;  /* RamBlocks the declared ranges need */
	uint64_t mem_total;   /* bytes in the declared ranges */
	uint64_t mem_done;    /* bytes of them written */
	uint64_t os_id[HVS_VMRS_MAX_VTLS];
	uint32_t os_id_set;   /* bit n: os_id[n] set */
	/* Memory streaming state. */
	int mem_started;
	size_t cur_range;     /* range being written (nranges when done) */
	uint64_t cur_off;     /* bytes of it written */
	uint64_t next_block;  /* index of the next RamBlock key */
	uint8_t *block;       /* HVS_RAM_BLOCK_SIZE */
	size_t block_fill;
	uint8_t *encbuf;      /* HVS__RAMBLOCK_ENCODE_BOUND */
	int broken;           /* an I/O or allocation failure happened */
	int finished;
};

/* --------------------------------------------------------------- errors */

/* Record that the writer cannot go on after @s (anything but misuse). */
static hvs_status fail(hvs_vmrs_writer *w, hvs_status s)
{
	if (s != HVS_OK && s != HVS_E_INVALID)
		w->broken = 1;
	return s;
}

/* Copy the container writer's message into ours with a context prefix. */
static hvs_status store_fail(hvs_vmrs_writer *w, hvs_status s, const char *what)
{
	hvs__err_set(&w->err, s, "%s: %s", what, hvs_store_writer_errmsg(w->st));
	return fail(w, s);
}

/* Common checks of every call that changes the writer. */
static hvs_status check_usable(hvs_vmrs_writer *w)
{
	if (w->finished)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "writer already finished");
	if (w->broken)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "writer failed earlier; only close is allowed");
	return HVS_OK;
}

const char *hvs_vmrs_writer_errmsg(const hvs_vmrs_writer *w)
{
	return w ? w->err.msg : "";
}

/* ------------------------------------------------------------- create */

/* Map the API vendor to the on-disk PROLOG code (format.md 5.3). */
static int vendor_code(hvs_arch arch, hvs_vmrs_vendor v, uint32_t *out)
{
	switch (v) {
	case HVS_VMRS_VENDOR_DEFAULT:
		/* openvmm writes Intel for x64 and ARM for ARM64. */
		*out = arch == HVS_ARCH_ARM64 ? HVS_VENDOR_ARM : HVS_VENDOR_INTEL;
		return 1;
	case HVS_VMRS_VENDOR_INTEL:
		*out = HVS_VENDOR_INTEL;
		return arch != HVS_ARCH_ARM64;
	case HVS_VMRS_VENDOR_AMD:
		*out = HVS_VENDOR_AMD;
		return arch != HVS_ARCH_ARM64;
	case HVS_VMRS_VENDOR_HYGON:
		*out = HVS_VENDOR_HYGON;
		return arch != HVS_ARCH_ARM64;
	case HVS_VMRS_VENDOR_ARM:
		*out = HVS_VENDOR_ARM;
		return arch == HVS_ARCH_ARM64;
	default:
		return 0;
	}
}

/* Write the version keys and the fixed nodes (format.md 3.1). */
static hvs_status write_fixed_keys(hvs_vmrs_writer *w, const char *type)
{
	uint32_t cfg, props;
	hvs_status s;

	/* The DLL needs both version keys (format.md 3.1, OVMM-DUMP); the
	 * configuration one is written first, as openvmm does. */
	if ((s = hvs_store_writer_add_node(w->st, HVS_WRITER_ROOT,
					   "configuration", &cfg)) != HVS_OK ||
	    (s = hvs_store_writer_add_node(w->st, cfg, "properties",
					   &props)) != HVS_OK ||
	    (s = hvs_store_writer_add_int(w->st, props, "version",
					  (int64_t)w->vm_version)) != HVS_OK ||
	    (s = hvs_store_writer_add_node(w->st, HVS_WRITER_ROOT, "savedstate",
					   &w->node_savedstate)) != HVS_OK ||
	    (s = hvs_store_writer_add_int(w->st, w->node_savedstate,
					  "VmVersion",
					  (int64_t)w->vm_version)) != HVS_OK)
		return store_fail(w, s, "version keys");
	if (type && *type &&
	    (s = hvs_store_writer_add_string(w->st, w->node_savedstate, "type",
					     type)) != HVS_OK)
		return store_fail(w, s, "/savedstate/type");
	if ((s = hvs_store_writer_add_node(w->st, w->node_savedstate, "savedVM",
					   &w->node_savedvm)) != HVS_OK)
		return store_fail(w, s, "/savedstate/savedVM");
	return HVS_OK;
}

hvs_status hvs_vmrs_writer_create(hvs_vmrs_writer **out, const char *path,
				  const hvs_vmrs_writer_opts *opts)
{
	hvs_vmrs_writer_opts def;
	hvs_store_writer_opts so;
	hvs_vmrs_writer *w;
	hvs__alloc a;
	hvs__err e;
	hvs_status s;

	if (!opts) {
		memset(&def, 0, sizeof def);
		opts = &def;
	}
	hvs__err_clear(&e);
	if (!out || !path) {
		s = hvs__err_set(&e, HVS_E_INVALID, "vmrs writer: NULL argument");
		goto fail_early;
	}
	*out = NULL;
	if (opts->arch != HVS_ARCH_UNKNOWN && opts->arch != HVS_ARCH_X86 &&
	    opts->arch != HVS_ARCH_X64 && opts->arch != HVS_ARCH_ARM64) {
		s = hvs__err_set(&e, HVS_E_INVALID, "vmrs writer: bad arch %d",
				 (int)opts->arch);
		goto fail_early;
	}
	if (opts->encoding != HVS_VMRS_ENC_RAW &&
	    opts->encoding != HVS_VMRS_ENC_XPRESS &&
	    opts->encoding != HVS_VMRS_ENC_MIXED) {
		s = hvs__err_set(&e, HVS_E_INVALID, "vmrs writer: bad encoding %d",
				 (int)opts->encoding);
		goto fail_early;
	}
	if (opts->vm_version != 0 && opts->vm_version < HVS_VMVERSION_NEW_LAYOUT) {
		/* The <= 5.0 layout ("RamBlock/%u/" names, 40-byte descriptors
		 * for 4.0) is not verified on any file: not written. */
		s = hvs__err_set(&e, HVS_E_UNSUPPORTED,
				 "vmrs writer: VM version 0x%x uses the <= 5.0 "
				 "key layout, which this writer does not write",
				 (unsigned)opts->vm_version);
		goto fail_early;
	}

	hvs__alloc_init(&a, opts->alloc);
	w = hvs__calloc(&a, 1, sizeof *w);
	if (!w) {
		s = hvs__err_set(&e, HVS_E_NOMEM, "vmrs writer: out of memory");
		goto fail_early;
	}
	w->alloc = a;
	w->arch = opts->arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64 : HVS_ARCH_X64;
	w->vm_version = opts->vm_version ? opts->vm_version
					 : HVS_VMRS_DEFAULT_VM_VERSION;
	w->enc = opts->encoding;
	if (!vendor_code(w->arch, opts->vendor, &w->vendor)) {
		s = hvs__err_set(&w->err, HVS_E_INVALID,
				 "vmrs writer: vendor %d does not fit arch %s",
				 (int)opts->vendor, hvs_arch_name(w->arch));
		goto fail;
	}
	w->block = hvs__malloc(&w->alloc, HVS_RAM_BLOCK_SIZE);
	if (!w->block) {
		s = hvs__err_set(&w->err, HVS_E_NOMEM, "vmrs writer: out of memory");
		goto fail;
	}
	if (w->enc != HVS_VMRS_ENC_RAW) {
		w->encbuf = hvs__malloc(&w->alloc, HVS__RAMBLOCK_ENCODE_BOUND);
		if (!w->encbuf) {
			s = hvs__err_set(&w->err, HVS_E_NOMEM,
					 "vmrs writer: out of memory");
			goto fail;
		}
	}

	memset(&so, 0, sizeof so);
	so.alloc = opts->alloc;
	so.errbuf = w->err.msg;
	so.errbuf_size = sizeof w->err.msg;
	s = hvs_store_writer_create(&w->st, path, &so);
	if (s != HVS_OK) {
		hvs__err_prefix(&w->err, s, "vmrs writer");
		goto fail;
	}
	s = write_fixed_keys(w, opts->savedstate_type);
	if (s != HVS_OK)
		goto fail;
	*out = w;
	return HVS_OK;

fail:
	hvs__err_copyout(&w->err, opts->errbuf, opts->errbuf_size);
	hvs_vmrs_writer_close(w);
	return s;
fail_early:
	hvs__err_copyout(&e, opts->errbuf, opts->errbuf_size);
	return s;
}

void hvs_vmrs_writer_close(hvs_vmrs_writer *w)
{
	size_t i, v;

	if (!w)
		return;
	hvs_store_writer_close(w->st);
	for (i = 0; i < w->nvps; i++)
		for (v = 0; v < HVS_VMRS_MAX_VTLS; v++)
			hvs__free(&w->alloc, w->vps[i].rs[v]);
	hvs__free(&w->alloc, w->vps);
	hvs__free(&w->alloc, w->ranges);
	hvs__free(&w->alloc, w->block);
	hvs__free(&w->alloc, w->encbuf);
	hvs__free(&w->alloc, w);
}

/* ------------------------------------------------------ VPs, registers */

/* The VP with hardware index @index, or NULL. */
static wvp *find_vp(hvs_vmrs_writer *w, uint32_t index)
{
	size_t i;

	for (i = 0; i < w->nvps; i++)
		if (w->vps[i].index == index)
			return &w->vps[i];
	return NULL;
}

/* Add a VP; its register sets (one per VTL) start zeroed, so registers
 * never set are written as 0, as openvmm does for the ones it lacks. */
hvs_status hvs_vmrs_writer_add_vp(hvs_vmrs_writer *w, uint32_t vp_index,
				  uint32_t vtl_mask)
{
	wvp *vp;
	uint32_t v;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (vtl_mask == 0)
		vtl_mask = 1;
	/* The index sizes the VP_INDICES bitmap: cap it at Hyper-V's VP
	 * limit so a typo cannot make a huge chunk. */
	if (vp_index >= HVS_VMRS_MAX_VP_INDEX)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "add_vp: VP index %u >= %u", (unsigned)vp_index,
				    HVS_VMRS_MAX_VP_INDEX);
	if (vtl_mask >> HVS_VMRS_MAX_VTLS)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "add_vp: VTL mask 0x%x names a VTL >= %u",
				    (unsigned)vtl_mask, HVS_VMRS_MAX_VTLS);
	if (find_vp(w, vp_index))
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "add_vp: VP %u added twice", (unsigned)vp_index);
	if (hvs__grow(&w->alloc, (void **)&w->vps, &w->capvps, w->nvps + 1,
		      sizeof *w->vps) != HVS_OK)
		return fail(w, hvs__err_set(&w->err, HVS_E_NOMEM,
					    "add_vp: out of memory"));
	vp = &w->vps[w->nvps];
	memset(vp, 0, sizeof *vp);
	vp->index = vp_index;
	vp->vtl_mask = vtl_mask;
	for (v = 0; v < HVS_VMRS_MAX_VTLS; v++) {
		if (!(vtl_mask >> v & 1))
			continue;
		vp->rs[v] = hvs__calloc(&w->alloc, 1, sizeof(regset));
		if (!vp->rs[v]) {
			for (v = 0; v < HVS_VMRS_MAX_VTLS; v++)
				hvs__free(&w->alloc, vp->rs[v]);
			return fail(w, hvs__err_set(&w->err, HVS_E_NOMEM,
						    "add_vp: out of memory"));
		}
	}
	/* Default active VTL: the lowest one the VP has. */
	for (v = 0; !(vtl_mask >> v & 1); v++)
		;
	vp->active_vtl = v;
	w->nvps++;
	return HVS_OK;
}

/* Find VP @vp_index and its register set for @vtl, or fail with a message. */
static hvs_status vp_vtl(hvs_vmrs_writer *w, const char *what, uint32_t vp_index,
			 uint32_t vtl, wvp **vp_out)
{
	wvp *vp = find_vp(w, vp_index);

	if (!vp)
		return hvs__err_set(&w->err, HVS_E_INVALID, "%s: no VP %u", what,
				    (unsigned)vp_index);
	if (vtl >= HVS_VMRS_MAX_VTLS || !(vp->vtl_mask >> vtl & 1))
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "%s: VP %u has no VTL %u (mask 0x%x)", what,
				    (unsigned)vp_index, (unsigned)vtl,
				    (unsigned)vp->vtl_mask);
	*vp_out = vp;
	return HVS_OK;
}

/* Record the VTL whose control page gets VtlIsRunnable = 1 (section 3.2
 * of docs/format/savedstate-writing.md). */
hvs_status hvs_vmrs_writer_set_active_vtl(hvs_vmrs_writer *w, uint32_t vp_index,
					  uint32_t vtl)
{
	wvp *vp = NULL;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	HVS_TRY(vp_vtl(w, "set_active_vtl", vp_index, vtl, &vp));
	vp->active_vtl = vtl;
	return HVS_OK;
}

/* Store a register value; chunks are only laid out at finish, so the
 * last value set wins. */
hvs_status hvs_vmrs_writer_set_reg(hvs_vmrs_writer *w, uint32_t vp_index,
				   uint32_t vtl, hvs_reg reg, const hvs_regval *val)
{
	wvp *vp = NULL;
	regset *rs;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (!val)
		return hvs__err_set(&w->err, HVS_E_INVALID, "set_reg: NULL value");
	HVS_TRY(vp_vtl(w, "set_reg", vp_index, vtl, &vp));
	/* Every id of the writer's architecture has a slot in some chunk
	 * (format.md 5.3, 5.5); the other architecture's ids have none. */
	if ((unsigned)reg >= HVS_REG_COUNT || hvs_reg_kind(reg) == HVS_REGKIND_NONE ||
	    hvs_reg_arch(reg) != w->arch)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "set_reg: register %d is not an %s register",
				    (int)reg, hvs_arch_name(w->arch));
	/* ARM64: no PC/CPSR fields; the saved guest PC is ELR_EL2 and PSTATE
	 * SPSR_EL2 (the hypervisor's view; format.md 5.5 [?]). */
	if (reg == HVS_REG_ARM64_PC)
		reg = HVS_REG_ARM64_ELR_EL2;
	else if (reg == HVS_REG_ARM64_CPSR)
		reg = HVS_REG_ARM64_SPSR_EL2;
	rs = vp->rs[vtl];
	rs->v[reg] = *val;
	rs->set[reg] = 1;
	return HVS_OK;
}

/* Remember a VTL's guest OS id (HV_X64_MSR_GUEST_OS_ID; the SDK's
 * GUEST_OS_INFO layout) for the OS_ID chunks. */
hvs_status hvs_vmrs_writer_set_guest_os_id(hvs_vmrs_writer *w, uint32_t vtl,
					   uint64_t os_id)
{
	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (vtl >= HVS_VMRS_MAX_VTLS)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "set_guest_os_id: VTL %u >= %u", (unsigned)vtl,
				    HVS_VMRS_MAX_VTLS);
	w->os_id[vtl] = os_id;
	w->os_id_set |= 1u << vtl;
	return HVS_OK;
}

/* ------------------------------------------------------------- memory */

/* Declare a RAM range; its descriptor is written when its first byte
 * arrives, right before its first RamBlock (openvmm's key order). */
hvs_status hvs_vmrs_writer_add_range(hvs_vmrs_writer *w, uint64_t gpa,
				     uint64_t size)
{
	uint64_t end, blocks;
	wrange *r;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (w->mem_started)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "add_range: memory writing has started");
	if (gpa % HVS_PAGE_SIZE || size % HVS_PAGE_SIZE || size == 0)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "add_range: 0x%" PRIx64 "+0x%" PRIx64
				    " is not page-aligned and non-empty", gpa, size);
	if (hvs__add_u64(gpa, size, &end))
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "add_range: 0x%" PRIx64 "+0x%" PRIx64
				    " overflows", gpa, size);
	/* Ascending, non-overlapping ranges give a GPA -> RAM map without
	 * ambiguity (format.md 3.4) and let memory arrive in one pass. */
	if (w->nranges) {
		const wrange *p = &w->ranges[w->nranges - 1];

		if (gpa < p->gpa + p->size)
			return hvs__err_set(&w->err, HVS_E_INVALID,
					    "add_range: 0x%" PRIx64 " is below the "
					    "end 0x%" PRIx64 " of the previous range "
					    "(ranges must ascend without overlap)",
					    gpa, p->gpa + p->size);
	}
	if (hvs__grow(&w->alloc, (void **)&w->ranges, &w->capranges,
		      w->nranges + 1, sizeof *w->ranges) != HVS_OK)
		return fail(w, hvs__err_set(&w->err, HVS_E_NOMEM,
					    "add_range: out of memory"));
	/* Each range starts on a fresh RamBlock and its last block is
	 * zero-padded, so MbpIndexStart = blocks so far x 256 (openvmm's
	 * layout, format.md 3.4).  Hyper-V may pack ranges tighter; readers
	 * use the descriptor either way. */
	blocks = size / HVS_RAM_BLOCK_SIZE + (size % HVS_RAM_BLOCK_SIZE != 0);
	r = &w->ranges[w->nranges++];
	r->gpa = gpa;
	r->size = size;
	r->mbp_start = w->ram_blocks * HVS_RAM_BLOCK_PAGES;
	w->ram_blocks += blocks;
	w->mem_total += size;
	return HVS_OK;
}

/* Write the 48-byte RamMemoryBlock<i> descriptor (format.md 3.2). */
static hvs_status write_descriptor(hvs_vmrs_writer *w, size_t i)
{
	const wrange *r = &w->ranges[i];
	uint8_t d[HVS_RMB_SIZE];
	char name[40];
	hvs_status s;

	memset(d, 0, sizeof d);
	/* Version 3 (the loader rejects > 3), flags 0, node 0, no KSR id:
	 * what openvmm writes (OVMM-DUMP defs). */
	hvs__put_le32(d + HVS_RMB_OFF_VERSION, HVS_RMB_MAX_VERSION);
	hvs__put_le32(d + HVS_RMB_OFF_FLAGS, 0);
	hvs__put_le64(d + HVS_RMB_OFF_PAGE_COUNT, r->size / HVS_PAGE_SIZE);
	hvs__put_le64(d + HVS_RMB_OFF_MBP_START, r->mbp_start);
	hvs__put_le64(d + HVS_RMB_OFF_GPA_START, r->gpa / HVS_PAGE_SIZE);
	snprintf(name, sizeof name, "RamMemoryBlock%u", (unsigned)i);
	s = hvs_store_writer_add_array(w->st, w->node_savedstate, name, d, sizeof d);
	if (s != HVS_OK)
		return store_fail(w, s, name);
	return HVS_OK;
}

/* Page @p (4 KiB) repeats one 8-byte pattern: the condition for a fill
 * token (format.md 4.1).  Comparing the page with itself shifted by 8
 * bytes checks every word against its predecessor. */
static int page_uniform(const uint8_t *p)
{
	return memcmp(p, p + 8, HVS_PAGE_SIZE - 8) == 0;
}

/* Choose the per-page token kinds of a MIXED block: fill tokens for
 * uniform pages (a run token when a neighbour has the same pattern),
 * the codec's automatic XPRESS-or-raw choice for the rest. */
static void mixed_kinds(const uint8_t *block, uint8_t *kinds)
{
	uint8_t uni[HVS_RAM_BLOCK_PAGES];
	unsigned i;

	for (i = 0; i < HVS_RAM_BLOCK_PAGES; i++)
		uni[i] = (uint8_t)page_uniform(block + (size_t)i * HVS_PAGE_SIZE);
	for (i = 0; i < HVS_RAM_BLOCK_PAGES; i++) {
		const uint8_t *p = block + (size_t)i * HVS_PAGE_SIZE;
		int run = 0;

		if (!uni[i]) {
			kinds[i] = HVS__RB_AUTO;
			continue;
		}
		if (i > 0 && uni[i - 1] && memcmp(p - HVS_PAGE_SIZE, p, 8) == 0)
			run = 1;
		if (i + 1 < HVS_RAM_BLOCK_PAGES && uni[i + 1] &&
		    memcmp(p + HVS_PAGE_SIZE, p, 8) == 0)
			run = 1;
		kinds[i] = run ? HVS__RB_FILL_RUN : HVS__RB_FILL;
	}
}

/* Encode and store the full block buffer as RamBlock<next_block>. */
static hvs_status flush_block(hvs_vmrs_writer *w)
{
	uint8_t kinds[HVS_RAM_BLOCK_PAGES];
	const uint8_t *data = w->block;
	size_t len = HVS_RAM_BLOCK_SIZE, n;
	char name[48];
	hvs_status s;

	snprintf(name, sizeof name, "RamBlock%llu",
		 (unsigned long long)w->next_block);
	if (w->enc != HVS_VMRS_ENC_RAW) {
		if (w->enc == HVS_VMRS_ENC_MIXED)
			mixed_kinds(w->block, kinds);
		else
			memset(kinds, HVS__RB_XPRESS, sizeof kinds);
		s = hvs__ramblock_encode(w->block, kinds, w->encbuf,
					 HVS__RAMBLOCK_ENCODE_BOUND, &n);
		if (s != HVS_OK)
			return fail(w, hvs__err_set(&w->err, s,
						    "%s: encoding failed (%s)",
						    name, hvs_strerror(s)));
		/* A value of exactly 1 MiB is read as raw (format.md 3.3), so
		 * a stream must stay below it; otherwise store the raw block. */
		if (n < HVS_RAM_BLOCK_SIZE) {
			data = w->encbuf;
			len = n;
		}
	}
	s = hvs_store_writer_add_array(w->st, w->node_savedstate, name, data, len);
	if (s != HVS_OK)
		return store_fail(w, s, name);
	w->next_block++;
	w->block_fill = 0;
	return HVS_OK;
}

/* Account for @n bytes just placed at block + block_fill: advance the
 * range cursor, flush a full block, pad and flush at a range's end. */
static hvs_status advance(hvs_vmrs_writer *w, size_t n)
{
	const wrange *r = &w->ranges[w->cur_range];

	w->block_fill += n;
	w->cur_off += n;
	w->mem_done += n;
	if (w->cur_off == r->size) {
		if (w->block_fill) {
			memset(w->block + w->block_fill, 0,
			       HVS_RAM_BLOCK_SIZE - w->block_fill);
			w->block_fill = HVS_RAM_BLOCK_SIZE;
		}
		w->cur_range++;
		w->cur_off = 0;
	}
	if (w->block_fill == HVS_RAM_BLOCK_SIZE)
		return flush_block(w);
	return HVS_OK;
}

/* Bytes that may go into the block buffer next (within the current
 * range and block); writes the range's descriptor first when it starts. */
static hvs_status next_span(hvs_vmrs_writer *w, size_t *span)
{
	const wrange *r = &w->ranges[w->cur_range];
	uint64_t left = r->size - w->cur_off;

	w->mem_started = 1;
	if (w->cur_off == 0)
		HVS_TRY(write_descriptor(w, w->cur_range));
	*span = (size_t)HVS__MIN(left, (uint64_t)(HVS_RAM_BLOCK_SIZE - w->block_fill));
	return HVS_OK;
}

/* Push memory: copy into the block buffer span by span (a span never
 * crosses a block or a range), flushing blocks as they fill. */
hvs_status hvs_vmrs_writer_write_memory(hvs_vmrs_writer *w, const void *data,
					size_t len)
{
	const uint8_t *p = data;
	size_t span, n;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	/* Refuse an over-long write before taking any of it. */
	if ((uint64_t)len > w->mem_total - w->mem_done)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "write_memory: %zu bytes, but only %" PRIu64
				    " of the declared ranges are left", len,
				    w->mem_total - w->mem_done);
	while (len) {
		HVS_TRY(next_span(w, &span));
		n = HVS__MIN(span, len);
		if (p) {
			memcpy(w->block + w->block_fill, p, n);
			p += n;
		} else {
			memset(w->block + w->block_fill, 0, n);
		}
		len -= n;
		HVS_TRY(advance(w, n));
	}
	return HVS_OK;
}

/* Pull memory: the callback fills the block buffer directly, at most
 * 1 MiB and never across a range, so no extra copy is made. */
hvs_status hvs_vmrs_writer_write_memory_cb(hvs_vmrs_writer *w,
					   hvs_vmrs_read_fn read, void *ud)
{
	size_t span;
	uint64_t gpa;
	hvs_status s;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (!read)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "write_memory_cb: NULL callback");
	while (w->cur_range < w->nranges) {
		HVS_TRY(next_span(w, &span));
		gpa = w->ranges[w->cur_range].gpa + w->cur_off;
		s = read(ud, gpa, w->block + w->block_fill, span);
		if (s != HVS_OK)
			return fail(w, hvs__err_set(&w->err, s,
						    "write_memory_cb: reading "
						    "GPA 0x%" PRIx64 "+0x%zx: %s",
						    gpa, span, hvs_strerror(s)));
		HVS_TRY(advance(w, span));
	}
	return HVS_OK;
}

/* ---------------------------------------------------- partition_state */

/* A growable byte buffer for the chunk stream. */
typedef struct bbuf {
	uint8_t *p;
	size_t len, cap;
	int nomem;
} bbuf;

/* Append a chunk header {id, len, 8 zero bytes} and @len zero payload
 * bytes; return the chunk start (NULL when out of memory, recorded). */
static uint8_t *chunk(const hvs__alloc *a, bbuf *b, uint32_t id, uint32_t len)
{
	size_t need = HVS_CH_HEADER_SIZE + (size_t)len;
	uint8_t *c;

	if (b->nomem || hvs__grow(a, (void **)&b->p, &b->cap, b->len + need, 1)) {
		b->nomem = 1;
		return NULL;
	}
	c = b->p + b->len;
	memset(c, 0, need);
	hvs__put_le32(c + HVS_CH_OFF_ID, id);
	hvs__put_le32(c + HVS_CH_OFF_LEN, len);
	b->len += need;
	return c;
}

/* Put the 16-byte register value at chunk offset @off: lo then hi, which
 * is the memory layout of the SDK's register union and of the chunk
 * fields (segment {base, limit, selector, attributes}, FP/XMM control). */
static void put_u128(uint8_t *c, size_t off, const hvs_regval *v)
{
	hvs__put_le64(c + off, v->lo);
	hvs__put_le64(c + off + 8, v->hi);
}

/* Chunk of consecutive u64 registers from offset 0x10 (ids in order;
 * -1 marks a reserved slot written as 0). */
static void put_u64s(uint8_t *c, const regset *rs, const int *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] >= 0)
			hvs__put_le64(c + HVS_CH_HEADER_SIZE + 8 * i,
				      rs->v[ids[i]].lo);
}

/* x64 chunk layouts (format.md 5.3). */
static const int x64_cr_ids[] = {
	HVS_REG_X64_CR0, HVS_REG_X64_CR2, HVS_REG_X64_CR3,
	HVS_REG_X64_CR4, HVS_REG_X64_CR8, HVS_REG_X64_EFER
};
static const int x64_dr_ids[] = {
	HVS_REG_X64_DR0, HVS_REG_X64_DR1, HVS_REG_X64_DR2,
	HVS_REG_X64_DR3, HVS_REG_X64_DR6, HVS_REG_X64_DR7
};
/* VIRTUAL_MSRS slots: PB's guesses, low confidence (format.md 5.3). */
static const int x64_vmsr_ids[12] = {
	HVS_REG_X64_TSC, HVS_REG_X64_KERNEL_GS_BASE, HVS_REG_X64_APIC_BASE,
	-1, -1, -1, -1,
	HVS_REG_X64_STAR, HVS_REG_X64_LSTAR, HVS_REG_X64_CSTAR,
	HVS_REG_X64_SFMASK, -1
};

/* ARM64 chunk layouts (format.md 5.5, from openvmm's structures). */
static const int arm_gp_tail_ids[] = {
	HVS_REG_ARM64_FP, HVS_REG_ARM64_LR, HVS_REG_ARM64_ELR_EL2,
	HVS_REG_ARM64_SPSR_EL2, HVS_REG_ARM64_ESR_EL1, HVS_REG_ARM64_SPSR_EL1,
	HVS_REG_ARM64_FAR_EL1, HVS_REG_ARM64_PAR_EL1, HVS_REG_ARM64_ELR_EL1,
	HVS_REG_ARM64_SP_EL0, HVS_REG_ARM64_SP_EL1, HVS_REG_ARM64_AFSR0_EL1,
	HVS_REG_ARM64_AFSR1_EL1
};
static const int arm_cr_ids[] = {
	HVS_REG_ARM64_VMPIDR_EL2, HVS_REG_ARM64_VPIDR_EL2,
	HVS_REG_ARM64_SCTLR_EL1, HVS_REG_ARM64_ACTLR_EL1,
	HVS_REG_ARM64_TCR_EL1, HVS_REG_ARM64_MAIR_EL1,
	HVS_REG_ARM64_TPIDR_EL1, HVS_REG_ARM64_AMAIR_EL1,
	HVS_REG_ARM64_TPIDRRO_EL0, HVS_REG_ARM64_TPIDR_EL0,
	HVS_REG_ARM64_CONTEXTIDR_EL1, HVS_REG_ARM64_CPACR_EL1,
	HVS_REG_ARM64_CSSELR_EL1, HVS_REG_ARM64_CNTKCTL_EL1,
	HVS_REG_ARM64_CNTV_CVAL_EL0, HVS_REG_ARM64_CNTV_CTL_EL0
};
static const int arm_table_ids[] = {
	HVS_REG_ARM64_TTBR0_EL1, HVS_REG_ARM64_TTBR1_EL1,
	HVS_REG_ARM64_VBAR_EL1, -1
};

/* The x64 register chunks of one VTL, in openvmm's order (GP, control,
 * segment, table, debug, FP, XSAVE control), plus VIRTUAL_MSRS when any
 * of its slots was set (ours: openvmm does not write it). */
static void x64_chunks(const hvs__alloc *a, bbuf *b, const regset *rs)
{
	uint8_t *c;
	size_t i;
	int any;

	if ((c = chunk(a, b, HVS_CH_VP_GP, HVS_CH_X64_GP_SIZE)) != NULL)
		/* Ids RAX..RFLAGS (0..17) are the chunk order (Hyper-V's). */
		for (i = 0; i < 18; i++)
			hvs__put_le64(c + HVS_CH_HEADER_SIZE + 8 * i,
				      rs->v[HVS_REG_X64_RAX + i].lo);
	if ((c = chunk(a, b, HVS_CH_VP_CR, HVS_CH_X64_CR_SIZE)) != NULL)
		put_u64s(c, rs, x64_cr_ids, HVS__ARRAY_SIZE(x64_cr_ids));
	if ((c = chunk(a, b, HVS_CH_VP_SEGMENT, HVS_CH_X64_SEGMENT_SIZE)) != NULL) {
		uint64_t cpl;

		/* ES CS SS DS FS GS LDTR TR: the register ids' order. */
		for (i = 0; i < 8; i++)
			put_u128(c, HVS_CH_HEADER_SIZE + 16 * i,
				 &rs->v[HVS_REG_X64_ES + i]);
		/* CPL: the caller's, else CS.RPL as openvmm derives it
		 * (selector bits 1:0, packed at hi bits 32..47). */
		cpl = rs->set[HVS_REG_X64_CPL] ? rs->v[HVS_REG_X64_CPL].lo
					       : (rs->v[HVS_REG_X64_CS].hi >> 32) & 3;
		c[HVS_X64_SEG_OFF_CPL] = (uint8_t)cpl;
	}
	if ((c = chunk(a, b, HVS_CH_VP_TABLE, HVS_CH_X64_TABLE_SIZE)) != NULL) {
		/* {u16 pad[3], u16 limit, u64 base}: limit at +6. */
		hvs__put_le16(c + 0x10 + 6, (uint16_t)rs->v[HVS_REG_X64_IDTR].lo);
		hvs__put_le64(c + 0x10 + 8, rs->v[HVS_REG_X64_IDTR].hi);
		hvs__put_le16(c + 0x20 + 6, (uint16_t)rs->v[HVS_REG_X64_GDTR].lo);
		hvs__put_le64(c + 0x20 + 8, rs->v[HVS_REG_X64_GDTR].hi);
	}
	if ((c = chunk(a, b, HVS_CH_VP_DEBUG, HVS_CH_X64_DEBUG_SIZE)) != NULL)
		put_u64s(c, rs, x64_dr_ids, HVS__ARRAY_SIZE(x64_dr_ids));
	if ((c = chunk(a, b, HVS_CH_VP_FP, HVS_CH_X64_FP_SIZE)) != NULL) {
		for (i = 0; i < 16; i++)
			put_u128(c, HVS_X64_FP_OFF_XMM + 16 * i,
				 &rs->v[HVS_REG_X64_XMM0 + i]);
		for (i = 0; i < 8; i++)
			put_u128(c, HVS_X64_FP_OFF_ST + 16 * i,
				 &rs->v[HVS_REG_X64_FPMMX0 + i]);
		/* The first 32 bytes of FXSAVE, as packed in regs.h. */
		put_u128(c, HVS_X64_FP_OFF_FPCS,
			 &rs->v[HVS_REG_X64_FP_CONTROL_STATUS]);
		put_u128(c, HVS_X64_FP_OFF_XMMCS,
			 &rs->v[HVS_REG_X64_XMM_CONTROL_STATUS]);
	}
	if ((c = chunk(a, b, HVS_CH_VP_XSAVE_CONTROL, HVS_CH_XSAVE_CONTROL_SIZE)) != NULL)
		hvs__put_le64(c + HVS_CH_HEADER_SIZE, rs->v[HVS_REG_X64_XCR0].lo);
	for (any = 0, i = 0; i < 12; i++)
		if (x64_vmsr_ids[i] >= 0 && rs->set[x64_vmsr_ids[i]])
			any = 1;
	if (any && (c = chunk(a, b, HVS_CH_VP_VIRTUAL_MSRS, HVS_CH_X64_VMSR_SIZE)) != NULL)
		put_u64s(c, rs, x64_vmsr_ids, 12);
}

/* The ARM64 register chunks of one VTL, in openvmm's order (GP, control,
 * table, FP). */
static void arm64_chunks(const hvs__alloc *a, bbuf *b, const regset *rs)
{
	uint8_t *c;
	size_t i;

	if ((c = chunk(a, b, HVS_CH_VP_GP, HVS_CH_ARM64_GP_SIZE)) != NULL) {
		for (i = 0; i < 29; i++)
			hvs__put_le64(c + HVS_CH_HEADER_SIZE + 8 * i,
				      rs->v[HVS_REG_ARM64_X0 + i].lo);
		/* FP at +0xF8 ... AFSR1_EL1 at +0x158. */
		for (i = 0; i < HVS__ARRAY_SIZE(arm_gp_tail_ids); i++)
			hvs__put_le64(c + 0xF8 + 8 * i, rs->v[arm_gp_tail_ids[i]].lo);
	}
	if ((c = chunk(a, b, HVS_CH_VP_CR, HVS_CH_ARM64_CR_SIZE)) != NULL)
		put_u64s(c, rs, arm_cr_ids, HVS__ARRAY_SIZE(arm_cr_ids));
	if ((c = chunk(a, b, HVS_CH_VP_TABLE, HVS_CH_ARM64_TABLE_SIZE)) != NULL)
		put_u64s(c, rs, arm_table_ids, HVS__ARRAY_SIZE(arm_table_ids));
	if ((c = chunk(a, b, HVS_CH_VP_FP, HVS_CH_ARM64_FP_SIZE)) != NULL) {
		for (i = 0; i < 32; i++)
			put_u128(c, HVS_CH_HEADER_SIZE + 16 * i,
				 &rs->v[HVS_REG_ARM64_Q0 + i]);
		hvs__put_le64(c + HVS_CH_HEADER_SIZE + 512,
			      rs->v[HVS_REG_ARM64_FPSR].lo);
		hvs__put_le64(c + HVS_CH_HEADER_SIZE + 520,
			      rs->v[HVS_REG_ARM64_FPCR].lo);
	}
}

/* A one-field marker chunk: OS_ID {u64, 8 pad}, PARTITION_VTL/VP_VTL
 * {u8, 15 pad}, VP {u32, 12 pad}: 16 payload bytes each (openvmm). */
static void marker(const hvs__alloc *a, bbuf *b, uint32_t id, uint64_t v,
		   unsigned width)
{
	uint8_t *c = chunk(a, b, id, HVS_CH_MARKER_SIZE);

	if (!c)
		return;
	if (width == 8)
		hvs__put_le64(c + HVS_CH_HEADER_SIZE, v);
	else if (width == 4)
		hvs__put_le32(c + HVS_CH_HEADER_SIZE, (uint32_t)v);
	else
		c[HVS_CH_HEADER_SIZE] = (uint8_t)v;
}

/* Build the partition_state blob (format.md 5.1-5.4) into @b. */
static void build_partition_state(hvs_vmrs_writer *w, bbuf *b)
{
	const hvs__alloc *a = &w->alloc;
	uint32_t part_vtls = 1 | w->os_id_set, max_index = 0, v, bsp;
	size_t i, bitmap;
	uint8_t *c;

	/* Envelope: descriptor_size 24, header_size 24 (so the chunks start
	 * at 24 + 16 = 40), total_size patched at the end (openvmm). */
	if (hvs__grow(a, (void **)&b->p, &b->cap,
		      HVS_PS_ENVELOPE_SIZE + HVS_PS_CHUNKS_BIAS, 1)) {
		b->nomem = 1;
		return;
	}
	memset(b->p, 0, HVS_PS_ENVELOPE_SIZE + HVS_PS_CHUNKS_BIAS);
	hvs__put_le64(b->p + HVS_PS_OFF_DESCRIPTOR_SIZE, HVS_PS_ENVELOPE_SIZE);
	hvs__put_le64(b->p + HVS_PS_OFF_HEADER_SIZE, HVS_PS_ENVELOPE_SIZE);
	b->len = HVS_PS_ENVELOPE_SIZE + HVS_PS_CHUNKS_BIAS;

	if ((c = chunk(a, b, HVS_CH_PROLOG, HVS_PROLOG_DATA_SIZE)) != NULL) {
		hvs__put_le32(c + HVS_PROLOG_OFF_TAG, HVS_PROLOG_TAG);
		hvs__put_le32(c + HVS_PROLOG_OFF_VENDOR, w->vendor);
	}
	/* VTL0's OS id, 0 when unknown (an unenlightened guest). */
	marker(a, b, HVS_CH_OS_ID, w->os_id[0], 8);

	/* One PARTITION_VTL per enabled VTL, even for VTL0-only VMs (the
	 * hypervisor always emits it, openvmm).  Another VTL's OS id
	 * follows its marker: our choice, no sample shows it. */
	for (i = 0; i < w->nvps; i++)
		part_vtls |= w->vps[i].vtl_mask;
	for (v = 0; v < HVS_VMRS_MAX_VTLS; v++) {
		if (!(part_vtls >> v & 1))
			continue;
		marker(a, b, HVS_CH_PARTITION_VTL, v, 1);
		if (v > 0 && (w->os_id_set >> v & 1))
			marker(a, b, HVS_CH_OS_ID, w->os_id[v], 8);
	}

	/* VP_INDICES: u32 first VP, then a bitmap of >= 8 bytes covering
	 * the highest index, padded to 4 bytes (openvmm). */
	for (i = 0; i < w->nvps; i++)
		max_index = HVS__MAX(max_index, w->vps[i].index);
	bitmap = HVS__MAX((size_t)max_index / 8 + 1, (size_t)8);
	bitmap = (bitmap + 3) & ~(size_t)3;
	bsp = w->nvps ? w->vps[0].index : 0;
	if ((c = chunk(a, b, HVS_CH_VP_INDICES, (uint32_t)(4 + bitmap))) != NULL) {
		hvs__put_le32(c + HVS_CH_HEADER_SIZE, bsp);
		for (i = 0; i < w->nvps; i++)
			c[HVS_CH_HEADER_SIZE + 4 + w->vps[i].index / 8] |=
				(uint8_t)(1u << (w->vps[i].index % 8));
	}

	/* Per VP: marker, then each VTL's marker, control page and registers;
	 * a reader attributes chunks to the last VP and VP_VTL markers seen
	 * (format.md 5.4). */
	for (i = 0; i < w->nvps; i++) {
		const wvp *vp = &w->vps[i];
		int multi = (vp->vtl_mask & (vp->vtl_mask - 1)) != 0;

		marker(a, b, HVS_CH_VP, vp->index, 4);
		for (v = 0; v < HVS_VMRS_MAX_VTLS; v++) {
			if (!(vp->vtl_mask >> v & 1))
				continue;
			marker(a, b, HVS_CH_VP_VTL, v, 1);
			/* With several VTLs, each VTL section carries a
			 * control page whose VtlIsRunnable marks the VTL that
			 * was running (VOL-PR's reading; openvmm writes one
			 * page before the VTL markers: see the docs). */
			if (multi && (c = chunk(a, b, HVS_CH_VP_VTL_CONTROL_PAGE,
						HVS_CH_VTL_CONTROL_PAGE_DATA)) != NULL)
				c[HVS_VTLCP_OFF_RUNNABLE] = (uint8_t)(v == vp->active_vtl);
			if (w->arch == HVS_ARCH_ARM64)
				arm64_chunks(a, b, vp->rs[v]);
			else
				x64_chunks(a, b, vp->rs[v]);
		}
	}
	chunk(a, b, HVS_CH_EPILOG, 0);
	if (!b->nomem)
		hvs__put_le64(b->p + HVS_PS_OFF_TOTAL_SIZE, (uint64_t)b->len);
}

/* Check that all memory arrived, add partition_state (built now that
 * every register is known), then let the container write its tables and
 * headers (headers last: an interrupted file is never valid). */
hvs_status hvs_vmrs_writer_finish(hvs_vmrs_writer *w)
{
	bbuf b;
	hvs_status s;

	if (!w)
		return HVS_E_INVALID;
	HVS_TRY(check_usable(w));
	if (w->mem_done < w->mem_total)
		return hvs__err_set(&w->err, HVS_E_INVALID,
				    "finish: only %" PRIu64 " of %" PRIu64
				    " memory bytes were written", w->mem_done,
				    w->mem_total);
	memset(&b, 0, sizeof b);
	build_partition_state(w, &b);
	if (b.nomem) {
		hvs__free(&w->alloc, b.p);
		return fail(w, hvs__err_set(&w->err, HVS_E_NOMEM,
					    "partition_state: out of memory"));
	}
	s = hvs_store_writer_add_array(w->st, w->node_savedvm, "partition_state",
				       b.p, b.len);
	hvs__free(&w->alloc, b.p);
	if (s != HVS_OK)
		return store_fail(w, s, "partition_state");
	s = hvs_store_writer_finish(w->st);
	if (s != HVS_OK)
		return store_fail(w, s, "finish");
	w->finished = 1;
	return HVS_OK;
}
