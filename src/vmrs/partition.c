/* SPDX-License-Identifier: MIT */
/*
 * The partition_state blob (docs/format/savedstate.md "Processor state";
 * format.md 5.1-5.5): a 24-byte envelope, then a stream of chunks
 * {u32 id, u32 DataLength, 8 bytes padding, payload}.  Partition chunks
 * (PROLOG, OS_ID, PARTITION_VTL, VP_INDICES) come first, then per VP a VP
 * marker, and per VTL a VP_VTL marker followed by that VTL's register
 * chunks.  Every chunk, decoded or not, is listed on the image.
 *
 * Decisions where the sources leave a gap (each also in the doc):
 *  - OS_ID belongs to the VTL named by the latest PARTITION_VTL chunk,
 *    VTL 0 before any (openvmm writes OS_ID first and once) [?];
 *  - the saved ("active") VTL of a VP is the VTL whose section holds a
 *    VP_VTL_CONTROL_PAGE with VtlIsRunnable set, else the lowest VTL with
 *    registers (format.md 5.4 [?]; VOL-PR's reading);
 *  - ARM64 PC is ELR_EL2 and CPSR is SPSR_EL2 (format.md 5.5 [?]);
 *  - nested virtualization: a VP with a VP_NESTED_* chunk is "nested
 *    enabled"; whether it was inside a nested guest is not decoded.
 */
#include <stdio.h>
#include <string.h>

#include "vmrs/savedstate_int.h"

/* Most chunks listed from one blob (memory bound: 40 MiB of listing). */
#define MAX_CHUNKS (1u << 20)

/* Chunk names for listings (format.md 5.3, openvmm's names where known). */
const char *hvs__ss_chunk_name(uint32_t id)
{
	switch (id) {
	case HVS_CH_PROLOG: return "PROLOG";
	case HVS_CH_CPUID_DATA: return "PROCESSOR_CPUID_DATA";
	case HVS_CH_OS_ID: return "OS_ID";
	case HVS_CH_HYPERCALL_MSR: return "HYPERCALL_MSR";
	case HVS_CH_REFERENCE_TSC: return "REFERENCE_TSC";
	case HVS_CH_PARTITION_VTL: return "PARTITION_VTL";
	case HVS_CH_PARTITION_VSM_CONFIG: return "PARTITION_VSM_CONFIG";
	case HVS_CH_VP_INDICES: return "VP_INDICES";
	case HVS_CH_VP: return "VP";
	case HVS_CH_VP_CORE: return "VP_CORE";
	case HVS_CH_VP_GP: return "VP_GP_REGISTERS";
	case HVS_CH_VP_FP: return "VP_FP_REGISTERS";
	case HVS_CH_VP_CR: return "VP_VTL_CONTROL_REGISTERS";
	case HVS_CH_VP_DEBUG: return "VP_DEBUG_REGISTERS";
	case HVS_CH_VP_SEGMENT: return "VP_SEGMENT_REGISTERS";
	case HVS_CH_VP_TABLE: return "VP_TABLE_REGISTERS";
	case HVS_CH_VP_VIRTUAL_MSRS: return "VP_VIRTUAL_MSRS";
	case HVS_CH_VP_MTRR: return "VP_MTRRS";
	case HVS_CH_VP_XSAVE_CONTROL: return "VP_XSAVE_CONTROL_REGISTERS";
	case HVS_CH_VP_XSAVE_STATE: return "VP_XSAVE_STATE";
	case HVS_CH_VP_SYNIC_APIC: return "VP_SYNIC_APIC_STATE";
	case HVS_CH_VP_SYNIC_MSRS: return "VP_SYNIC_MSRS";
	case HVS_CH_VP_SYNTH_TIMERS: return "VP_SYNTHETIC_TIMERS";
	case HVS_CH_VP_VTL_CONTROL_PAGE: return "VP_VTL_CONTROL_PAGE";
	case HVS_CH_VP_VTL: return "VP_VTL";
	case HVS_CH_VP_NESTED_BASE: return "VP_NESTED_BASE";
	case HVS_CH_VP_NESTED_CURRENT_VMCS: return "VP_NESTED_CURRENT_VMCS";
	case HVS_CH_EPILOG: return "EPILOG";
	default: return NULL;
	}
}

/*
 * Parser state while walking the chunk stream.  The stream is flat: the
 * VP and VTL a register chunk belongs to are implied by the latest marker
 * chunks before it (format.md 5.4), so the walk carries them along.
 */
typedef struct ps_walk {
	hvs_image *img;
	const uint8_t *blob;
	size_t len;
	int arm;                 /* PROLOG vendor said ARM */
	uint32_t vp;             /* current VP position, UINT32_MAX before any */
	uint32_t vtl;            /* current VTL of the VP */
	uint32_t part_vtl;       /* VTL of partition-level chunks */
	int have_indices;
	uint32_t index_count;    /* VPs in the VP_INDICES bitmap */
	uint32_t index_low;      /* lowest VP index */
	size_t bitmap_off, bitmap_len;
	int32_t *saved_vtl;      /* per VP: VTL found runnable, -1 none */
	uint32_t cap_saved;
} ps_walk;

/* Put @count consecutive u64 registers from @p. */
static void put_seq(hvs__regset *rs, hvs_reg first, const uint8_t *p, unsigned count)
{
	unsigned i;
	for (i = 0; i < count; i++)
		hvs__regset_put(rs, (hvs_reg)(first + (int)i), hvs__le64(p + 8 * i), 0);
}

/* Chunk payload must hold @need bytes after the 16-byte header. */
static hvs_status need(ps_walk *w, uint64_t off, uint32_t id, uint32_t dlen, uint32_t want)
{
	if (dlen < want)
		return HVS_CORRUPT(&w->img->err,
				   "chunk 0x%08x (%s) at offset 0x%" PRIx64
				   ": %u payload bytes, expected at least %u", id,
				   hvs__ss_chunk_name(id) ? hvs__ss_chunk_name(id) : "?", off,
				   dlen, want);
	return HVS_OK;
}

/*
 * Like need(), for chunks whose layout is known only with low or medium
 * confidence (format.md 5.3 VP_VIRTUAL_MSRS [L], the ARM64 chunks of 5.5
 * [M]): a real file whose chunk is shorter than that layout should still
 * open.  The chunk stays listed as not decoded, its registers read as not
 * saved, and the finding goes to the caller's problem sink.  Returns
 * HVS_E_NOTFOUND ("not decoded") in that case.
 */
static hvs_status need_soft(ps_walk *w, uint64_t off, uint32_t id, uint32_t dlen,
			    uint32_t want)
{
	char msg[200];
	if (dlen >= want)
		return HVS_OK;
	if (w->img->problem) {
		snprintf(msg, sizeof msg, "partition_state chunk 0x%08x (%s) at offset 0x%" PRIx64
			 ": %u payload bytes, the known layout needs %u: not decoded", id,
			 hvs__ss_chunk_name(id) ? hvs__ss_chunk_name(id) : "?", off, dlen, want);
		w->img->problem(w->img->problem_ud, HVS_E_UNSUPPORTED, UINT64_MAX, msg);
	}
	return HVS_E_NOTFOUND;
}

/* x64 register chunks (format.md 5.3); @c points at the chunk header. */
static hvs_status decode_x64(ps_walk *w, hvs__regset *rs, uint32_t id, const uint8_t *c,
			     uint32_t dlen, uint64_t off)
{
	unsigned i;
	switch (id) {
	case HVS_CH_VP_GP:
		/* RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 RIP RFLAGS = ids 0..17. */
		HVS_TRY(need(w, off, id, dlen, HVS_CH_X64_GP_SIZE));
		put_seq(rs, HVS_REG_X64_RAX, c + 0x10, 18);
		return HVS_OK;
	case HVS_CH_VP_FP:
		HVS_TRY(need(w, off, id, dlen, HVS_CH_X64_FP_SIZE));
		for (i = 0; i < 16; i++) {
			const uint8_t *q = c + HVS_X64_FP_OFF_XMM + 16 * i;
			hvs__regset_put(rs, (hvs_reg)(HVS_REG_X64_XMM0 + (int)i), hvs__le64(q),
					hvs__le64(q + 8));
		}
		for (i = 0; i < 8; i++) {
			const uint8_t *q = c + HVS_X64_FP_OFF_ST + 16 * i;
			hvs__regset_put(rs, (hvs_reg)(HVS_REG_X64_FPMMX0 + (int)i), hvs__le64(q),
					hvs__le64(q + 8));
		}
		/*
		 * FpControlStatus {u16 FCW, u16 FSW, u8 FTW, u8 rsvd, u16 FOP,
		 * u64 IP} and XmmControlStatus {u64 DP, u32 MXCSR, u32 MASK}
		 * are stored in the SDK union's memory layout, which is the
		 * packing regs.h defines: two little-endian u64 each.
		 */
		hvs__regset_put(rs, HVS_REG_X64_FP_CONTROL_STATUS,
				hvs__le64(c + HVS_X64_FP_OFF_FPCS),
				hvs__le64(c + HVS_X64_FP_OFF_FPCS + 8));
		hvs__regset_put(rs, HVS_REG_X64_XMM_CONTROL_STATUS,
				hvs__le64(c + HVS_X64_FP_OFF_XMMCS),
				hvs__le64(c + HVS_X64_FP_OFF_XMMCS + 8));
		return HVS_OK;
	case HVS_CH_VP_CR:
		/* CR0 CR2 CR3 CR4 CR8 EFER = ids 44..49. */
		HVS_TRY(need(w, off, id, dlen, HVS_CH_X64_CR_SIZE));
		put_seq(rs, HVS_REG_X64_CR0, c + 0x10, 6);
		return HVS_OK;
	case HVS_CH_VP_DEBUG:
		/* DR0 DR1 DR2 DR3 DR6 DR7 = ids 50..55. */
		HVS_TRY(need(w, off, id, dlen, HVS_CH_X64_DEBUG_SIZE));
		put_seq(rs, HVS_REG_X64_DR0, c + 0x10, 6);
		return HVS_OK;
	case HVS_CH_VP_SEGMENT:
		/*
		 * 8 x {u64 base, u32 limit, u16 selector, u16 attributes} in
		 * Hyper-V register order ES CS SS DS FS GS LDTR TR (ids 56..63;
		 * PB's DS-first order is wrong, format.md 5.3); the second u64
		 * is exactly regs.h's hi packing.  CPL byte at +0x90.
		 */
		HVS_TRY(need(w, off, id, dlen, HVS_X64_SEG_OFF_CPL + 1 - 0x10));
		for (i = 0; i < 8; i++) {
			const uint8_t *q = c + 0x10 + 16 * i;
			hvs__regset_put(rs, (hvs_reg)(HVS_REG_X64_ES + (int)i), hvs__le64(q),
					hvs__le64(q + 8));
		}
		hvs__regset_put(rs, HVS_REG_X64_CPL, c[HVS_X64_SEG_OFF_CPL], 0);
		return HVS_OK;
	case HVS_CH_VP_TABLE:
		/* IDTR +0x10, GDTR +0x20: {u16 pad[3], u16 limit, u64 base}. */
		HVS_TRY(need(w, off, id, dlen, HVS_CH_X64_TABLE_SIZE));
		hvs__regset_put(rs, HVS_REG_X64_IDTR, hvs__le16(c + 0x16), hvs__le64(c + 0x18));
		hvs__regset_put(rs, HVS_REG_X64_GDTR, hvs__le16(c + 0x26), hvs__le64(c + 0x28));
		return HVS_OK;
	case HVS_CH_VP_XSAVE_CONTROL:
		HVS_TRY(need(w, off, id, dlen, 8));
		hvs__regset_put(rs, HVS_REG_X64_XCR0, hvs__le64(c + 0x10), 0);
		return HVS_OK;
	case HVS_CH_VP_VIRTUAL_MSRS:
		/*
		 * 12 x u64 whose meaning is PB's guess [L]: [0] TSC,
		 * [1] KernelGsBase, [2] APIC_BASE, [7] STAR, [8] LSTAR,
		 * [9] CSTAR, [10] SFMASK.
		 */
		HVS_TRY(need_soft(w, off, id, dlen, HVS_CH_X64_VMSR_SIZE));
		hvs__regset_put(rs, HVS_REG_X64_TSC, hvs__le64(c + 0x10), 0);
		hvs__regset_put(rs, HVS_REG_X64_KERNEL_GS_BASE, hvs__le64(c + 0x18), 0);
		hvs__regset_put(rs, HVS_REG_X64_APIC_BASE, hvs__le64(c + 0x20), 0);
		hvs__regset_put(rs, HVS_REG_X64_STAR, hvs__le64(c + 0x48), 0);
		hvs__regset_put(rs, HVS_REG_X64_LSTAR, hvs__le64(c + 0x50), 0);
		hvs__regset_put(rs, HVS_REG_X64_CSTAR, hvs__le64(c + 0x58), 0);
		hvs__regset_put(rs, HVS_REG_X64_SFMASK, hvs__le64(c + 0x60), 0);
		return HVS_OK;
	default:
		return HVS_E_NOTFOUND; /* not a register chunk this decoder knows */
	}
}

/* ARM64 register chunks (format.md 5.5 [M]). */
static hvs_status decode_arm64(ps_walk *w, hvs__regset *rs, uint32_t id,
			       const uint8_t *c, uint32_t dlen, uint64_t off)
{
	/* System registers of the CR chunk, in stored order. */
	static const hvs_reg sysregs[16] = {
		HVS_REG_ARM64_VMPIDR_EL2, HVS_REG_ARM64_VPIDR_EL2, HVS_REG_ARM64_SCTLR_EL1,
		HVS_REG_ARM64_ACTLR_EL1, HVS_REG_ARM64_TCR_EL1, HVS_REG_ARM64_MAIR_EL1,
		HVS_REG_ARM64_TPIDR_EL1, HVS_REG_ARM64_AMAIR_EL1, HVS_REG_ARM64_TPIDRRO_EL0,
		HVS_REG_ARM64_TPIDR_EL0, HVS_REG_ARM64_CONTEXTIDR_EL1, HVS_REG_ARM64_CPACR_EL1,
		HVS_REG_ARM64_CSSELR_EL1, HVS_REG_ARM64_CNTKCTL_EL1, HVS_REG_ARM64_CNTV_CVAL_EL0,
		HVS_REG_ARM64_CNTV_CTL_EL0
	};
	/* GP chunk fields after X0-X28, FP, LR (+0x108 on). */
	static const hvs_reg gp_tail[] = {
		HVS_REG_ARM64_ELR_EL2, HVS_REG_ARM64_SPSR_EL2, HVS_REG_ARM64_ESR_EL1,
		HVS_REG_ARM64_SPSR_EL1, HVS_REG_ARM64_FAR_EL1, HVS_REG_ARM64_PAR_EL1,
		HVS_REG_ARM64_ELR_EL1, HVS_REG_ARM64_SP_EL0, HVS_REG_ARM64_SP_EL1,
		HVS_REG_ARM64_AFSR0_EL1, HVS_REG_ARM64_AFSR1_EL1
	};
	unsigned i;
	switch (id) {
	case HVS_CH_VP_GP:
		HVS_TRY(need_soft(w, off, id, dlen, HVS_CH_ARM64_GP_SIZE));
		put_seq(rs, HVS_REG_ARM64_X0, c + 0x10, 29);
		hvs__regset_put(rs, HVS_REG_ARM64_FP, hvs__le64(c + 0xF8), 0);
		hvs__regset_put(rs, HVS_REG_ARM64_LR, hvs__le64(c + 0x100), 0);
		for (i = 0; i < HVS__ARRAY_SIZE(gp_tail); i++)
			hvs__regset_put(rs, gp_tail[i], hvs__le64(c + 0x108 + 8 * i), 0);
		/* No PC/CPSR field: the hypervisor's ELR_EL2/SPSR_EL2 stand in [?]. */
		hvs__regset_put(rs, HVS_REG_ARM64_PC, hvs__le64(c + 0x108), 0);
		hvs__regset_put(rs, HVS_REG_ARM64_CPSR, hvs__le64(c + 0x110), 0);
		return HVS_OK;
	case HVS_CH_VP_CR:
		HVS_TRY(need_soft(w, off, id, dlen, HVS_CH_ARM64_CR_SIZE));
		for (i = 0; i < 16; i++)
			hvs__regset_put(rs, sysregs[i], hvs__le64(c + 0x10 + 8 * i), 0);
		return HVS_OK;
	case HVS_CH_VP_TABLE:
		HVS_TRY(need_soft(w, off, id, dlen, 24));
		hvs__regset_put(rs, HVS_REG_ARM64_TTBR0_EL1, hvs__le64(c + 0x10), 0);
		hvs__regset_put(rs, HVS_REG_ARM64_TTBR1_EL1, hvs__le64(c + 0x18), 0);
		hvs__regset_put(rs, HVS_REG_ARM64_VBAR_EL1, hvs__le64(c + 0x20), 0);
		return HVS_OK;
	case HVS_CH_VP_FP:
		HVS_TRY(need_soft(w, off, id, dlen, HVS_CH_ARM64_FP_SIZE));
		for (i = 0; i < 32; i++) {
			const uint8_t *q = c + 0x10 + 16 * i;
			hvs__regset_put(rs, (hvs_reg)(HVS_REG_ARM64_Q0 + (int)i), hvs__le64(q),
					hvs__le64(q + 8));
		}
		hvs__regset_put(rs, HVS_REG_ARM64_FPSR, hvs__le64(c + 0x210), 0);
		hvs__regset_put(rs, HVS_REG_ARM64_FPCR, hvs__le64(c + 0x218), 0);
		return HVS_OK;
	default:
		return HVS_E_NOTFOUND;
	}
}

/* VP_INDICES: +0x10 u32 lowest index, then a bitmap of present VPs. */
static hvs_status do_indices(ps_walk *w, const uint8_t *c, uint32_t dlen, uint64_t off)
{
	size_t i;
	uint32_t cnt = 0;
	HVS_TRY(need(w, off, HVS_CH_VP_INDICES, dlen, 4));
	w->have_indices = 1;
	w->index_low = hvs__le32(c + 0x10);
	w->bitmap_off = (size_t)off + 0x14;
	w->bitmap_len = dlen - 4;
	for (i = 0; i < w->bitmap_len; i++) {
		uint8_t b = w->blob[w->bitmap_off + i];
		while (b) {
			cnt += b & 1u;
			b >>= 1;
		}
	}
	w->index_count = cnt;
	return HVS_OK;
}

/* Is VP index @ix set in the VP_INDICES bitmap? */
static int index_in_bitmap(const ps_walk *w, uint32_t ix)
{
	if ((uint64_t)ix / 8 >= w->bitmap_len)
		return 0;
	return (w->blob[w->bitmap_off + ix / 8] >> (ix % 8)) & 1;
}

/* Handle one chunk at blob offset @off (header at @c). */
static hvs_status do_chunk(ps_walk *w, uint32_t id, const uint8_t *c, uint32_t dlen,
			   uint64_t off)
{
	hvs_image *img = w->img;
	hvs_state_chunk ch;
	int decoded = 0;
	hvs_status s;

	/* The listing entry; VP/VTL as the markers so far say. */
	memset(&ch, 0, sizeof ch);
	ch.vp = w->vp;
	ch.vtl = w->vp == UINT32_MAX ? w->part_vtl : w->vtl;
	switch (id) {
	case HVS_CH_PROLOG:
		/* +0x18 u32 processor vendor: 0 AMD, 1 Intel, 2 Hygon, 0x10 ARM. */
		if (dlen >= HVS_PROLOG_OFF_VENDOR + 4 - 0x10) {
			img->part.vendor = hvs__le32(c + HVS_PROLOG_OFF_VENDOR);
			w->arm = img->part.vendor == HVS_VENDOR_ARM;
			img->part.arch = w->arm ? HVS_ARCH_ARM64 : img->part.arch;
			decoded = 1;
		}
		break;
	case HVS_CH_OS_ID:
		HVS_TRY(need(w, off, id, dlen, 8));
		img->part.guest_os_id[w->part_vtl] = hvs__le64(c + 0x10);
		img->part.guest_os_id_mask |= 1u << w->part_vtl;
		decoded = 1;
		break;
	case HVS_CH_PARTITION_VTL:
		HVS_TRY(need(w, off, id, dlen, 1));
		if (c[0x10] >= HVS_VTL_COUNT)
			return HVS_CORRUPT(&img->err, "PARTITION_VTL at offset 0x%" PRIx64
					   ": VTL %u (at most %u)", off, c[0x10], HVS_VTL_COUNT - 1);
		w->part_vtl = c[0x10];
		ch.vtl = w->part_vtl;
		img->part.vtl_mask |= 1u << w->part_vtl;
		decoded = 1;
		break;
	case HVS_CH_VP_INDICES:
		HVS_TRY(do_indices(w, c, dlen, off));
		decoded = 1;
		break;
	case HVS_CH_VP: {
		/* A new VP: its registers follow until the next VP marker. */
		uint32_t ix, pos, i;
		HVS_TRY(need(w, off, id, dlen, 4));
		ix = hvs__le32(c + 0x10);
		/* Quadratic, but add_vp caps VPs at 4096. */
		for (i = 0; i < img->nvps; i++)
			if (img->vps[i].index == ix)
				return HVS_CORRUPT(&img->err, "VP marker at offset 0x%" PRIx64
						   ": VP index %u appears twice", off, ix);
		s = hvs__image_add_vp(img, ix, &pos);
		if (s != HVS_OK)
			return hvs__err_prefix(&img->err, s, "VP marker at offset 0x%" PRIx64, off);
		if (pos >= w->cap_saved) {
			size_t cap = w->cap_saved;
			if (hvs__grow(&img->alloc, (void **)&w->saved_vtl, &cap, (size_t)pos + 1,
				      sizeof *w->saved_vtl) != HVS_OK)
				return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			w->cap_saved = (uint32_t)cap;
		}
		w->saved_vtl[pos] = -1;
		w->vp = pos;
		w->vtl = 0;   /* reset at each VP (format.md 5.4) */
		ch.vp = pos;
		ch.vtl = 0;
		decoded = 1;
		break;
	}
	case HVS_CH_VP_VTL:
		HVS_TRY(need(w, off, id, dlen, 1));
		if (w->vp == UINT32_MAX)
			return HVS_CORRUPT(&img->err, "VP_VTL at offset 0x%" PRIx64
					   " before any VP marker", off);
		if (c[0x10] >= HVS_VTL_COUNT)
			return HVS_CORRUPT(&img->err, "VP_VTL at offset 0x%" PRIx64
					   ": VTL %u (at most %u)", off, c[0x10], HVS_VTL_COUNT - 1);
		w->vtl = c[0x10];
		ch.vtl = w->vtl;
		decoded = 1;
		break;
	case HVS_CH_VP_VTL_CONTROL_PAGE:
		/* +0x28 u8 VtlIsRunnable; which VTL it names is [?] (format.md 5.4). */
		if (w->vp != UINT32_MAX && dlen >= HVS_VTLCP_OFF_RUNNABLE + 1 - 0x10) {
			if (c[HVS_VTLCP_OFF_RUNNABLE] && w->saved_vtl[w->vp] < 0)
				w->saved_vtl[w->vp] = (int32_t)w->vtl;
			decoded = 1;
		}
		break;
	case HVS_CH_VP_NESTED_BASE:
	case HVS_CH_VP_NESTED_CURRENT_VMCS:
		/* Payload unknown [L]; its presence says nested virtualization is on. */
		if (w->vp != UINT32_MAX) {
			img->vps[w->vp].nested_enabled = 1;
			img->part.nested_enabled = 1;
		}
		break;
	case HVS_CH_EPILOG:
		decoded = 1;
		break;
	default:
		/*
		 * Register chunks, and every id we do not know: those are
		 * listed undecoded (real streams carry many more kinds than
		 * the writers we know of, format.md 5.2).
		 */
		if (w->vp != UINT32_MAX) {
			hvs__regset *rs = hvs__image_regset(img, w->vp, w->vtl, 0);
			/* Create the register set only for chunks that fill it. */
			int known = id == HVS_CH_VP_GP || id == HVS_CH_VP_FP || id == HVS_CH_VP_CR ||
				    id == HVS_CH_VP_TABLE ||
				    (!w->arm && (id == HVS_CH_VP_DEBUG || id == HVS_CH_VP_SEGMENT ||
						 id == HVS_CH_VP_XSAVE_CONTROL ||
						 id == HVS_CH_VP_VIRTUAL_MSRS));
			if (known && !rs) {
				rs = hvs__image_regset(img, w->vp, w->vtl, 1);
				if (!rs)
					return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory");
			}
			if (known) {
				s = w->arm ? decode_arm64(w, rs, id, c, dlen, off)
					   : decode_x64(w, rs, id, c, dlen, off);
				if (s != HVS_OK && s != HVS_E_NOTFOUND)
					return s;
				decoded = s == HVS_OK;
			}
		}
		break;
	}
	ch.id = id;
	ch.size = dlen;
	ch.offset = off;
	ch.name = hvs__ss_chunk_name(id);
	ch.decoded = decoded;
	return hvs__image_add_chunk(img, &ch);
}

/* Walk the chunk stream of the blob already in memory. */
static hvs_status walk(ps_walk *w)
{
	hvs_image *img = w->img;
	uint64_t desc_size, hdr_size, total, pos, end;
	uint32_t i;

	/* Envelope (format.md 5.1): descriptor_size, header_size, total_size. */
	if (w->len < HVS_PS_ENVELOPE_SIZE)
		return HVS_CORRUPT(&img->err, "%zu bytes, shorter than the 24-byte envelope",
				   w->len);
	desc_size = hvs__le64(w->blob + HVS_PS_OFF_DESCRIPTOR_SIZE);
	hdr_size = hvs__le64(w->blob + HVS_PS_OFF_HEADER_SIZE);
	total = hvs__le64(w->blob + HVS_PS_OFF_TOTAL_SIZE);
	(void)desc_size; /* 24 in every known writer; not needed to walk */
	if (total > w->len)
		return HVS_CORRUPT(&img->err, "envelope total_size %" PRIu64
				   " exceeds the blob (%zu bytes)", total, w->len);
	/* Chunks start at header_size + 16 (format.md 5.1, PB's "+0x10"). */
	if (hvs__add_u64(hdr_size, HVS_PS_CHUNKS_BIAS, &pos) || pos > total)
		return HVS_CORRUPT(&img->err, "envelope header_size %" PRIu64
				   " puts the chunks past total_size %" PRIu64, hdr_size, total);
	/* Walk to total_size; every length is checked before it is used. */
	end = total;
	while (pos < end) {
		const uint8_t *c = w->blob + pos;
		uint32_t id, dlen;
		if (end - pos < HVS_CH_HEADER_SIZE)
			return HVS_CORRUPT(&img->err, "truncated chunk header at offset 0x%" PRIx64
					   " (%" PRIu64 " bytes left)", pos, end - pos);
		id = hvs__le32(c + HVS_CH_OFF_ID);
		dlen = hvs__le32(c + HVS_CH_OFF_LEN);
		if (dlen > end - pos - HVS_CH_HEADER_SIZE)
			return HVS_CORRUPT(&img->err, "chunk 0x%08x at offset 0x%" PRIx64
					   ": length %u runs past the end (0x%" PRIx64 ")", id, pos,
					   dlen, end);
		/* 2048 VPs x 2 VTLs x ~40 chunks is ~164k: 1M is hostile. */
		if (img->nchunks >= MAX_CHUNKS)
			return HVS_CORRUPT(&img->err, "more than %u chunks (at offset 0x%" PRIx64 ")",
					   MAX_CHUNKS, pos);
		HVS_TRY(do_chunk(w, id, c, dlen, pos));
		pos += HVS_CH_HEADER_SIZE + (uint64_t)dlen;
		if (id == HVS_CH_EPILOG)
			break;
	}

	/* Microsoft's DLL refuses a partition state without VPs (api.md 5.1). */
	if (img->nvps == 0)
		return hvs__err_set(&img->err, HVS_E_NOTFOUND,
				    "no virtual processor in the partition state "
				    "(the DLL's NO_VP_FOUND_IN_PARTITION_STATE)");
	/* VP_INDICES must agree with the VP markers (format.md 5.3: DLL's count). */
	if (w->have_indices) {
		if (w->index_count != img->nvps)
			return HVS_CORRUPT(&img->err, "VP_INDICES lists %u VPs but %u VP markers follow",
					   w->index_count, img->nvps);
		for (i = 0; i < img->nvps; i++)
			if (!index_in_bitmap(w, img->vps[i].index))
				return HVS_CORRUPT(&img->err, "VP index %u is not in the VP_INDICES bitmap",
						   img->vps[i].index);
	}
	/* Saved VTL: runnable per the control page, else the lowest with state. */
	for (i = 0; i < img->nvps; i++) {
		hvs__vp *v = &img->vps[i];
		uint32_t t;
		if (w->saved_vtl[i] >= 0 && v->vtl[w->saved_vtl[i]]) {
			t = (uint32_t)w->saved_vtl[i];
		} else {
			for (t = 0; t < HVS_VTL_COUNT && !v->vtl[t]; t++)
				;
			if (t == HVS_VTL_COUNT)
				t = 0;
		}
		v->saved_vtl = v->active_vtl = t;
	}
	if (!img->part.vtl_mask)
		img->part.vtl_mask = 1;  /* VTL0 always exists */
	return HVS_OK;
}

hvs_status hvs__ss_load_partition(hvs_image *img, hvs_store *st, const hvs_key *k)
{
	ps_walk w;
	uint64_t vs = hvs_key_value_size(k);
	uint8_t *blob = NULL;
	size_t got = 0;
	hvs_status s;

	if (hvs_key_get_type(k) != HVS_KEY_ARRAY)
		return HVS_CORRUPT(&img->err, "a %s, not an array",
				   hvs_key_type_name(hvs_key_get_type(k)));
	/* Read whole, bounded: real blobs are KBs to a few MBs (XSAVE per VP). */
	if (vs > HVS__PS_MAX_BLOB)
		return hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				    "%" PRIu64 " bytes, more than the %u MiB this reader accepts",
				    vs, HVS__PS_MAX_BLOB >> 20);
	blob = hvs__malloc(&img->alloc, vs ? (size_t)vs : 1);
	if (!blob)
		return hvs__err_set(&img->err, HVS_E_NOMEM, "out of memory (%" PRIu64 " bytes)", vs);
	s = hvs_key_read(st, k, 0, blob, (size_t)vs, &got);
	if (s != HVS_OK) {
		s = hvs__err_set(&img->err, s == HVS_E_NODATA ? HVS_E_CORRUPT : s, "%s",
				 hvs_store_errmsg(st));
		goto out;
	}
	/* Walk the blob in memory; the walk never reads past w.len. */
	memset(&w, 0, sizeof w);
	w.img = img;
	w.blob = blob;
	w.len = got;
	w.vp = UINT32_MAX;
	s = walk(&w);
	/* An envelope that does not parse and random-looking bytes: encrypted. */
	if (s == HVS_E_CORRUPT && img->nchunks == 0 && got >= 256 &&
	    hvs__ss_entropy(blob, HVS__MIN(got, (size_t)65536)) > 7.5) {
		char why[HVS_ERRMSG_MAX];
		memcpy(why, img->err.msg, sizeof why);
		s = hvs__err_set(&img->err, HVS_E_UNSUPPORTED,
				 "encrypted saved state: the blob's bytes are random "
				 "(%s)", why);
	}
	hvs__free(&img->alloc, w.saved_vtl);
out:
	hvs__free(&img->alloc, blob);
	return s;
}
