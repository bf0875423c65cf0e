/* SPDX-License-Identifier: MIT */
/*
 * Deterministic saved-state fixtures (see gen_vmrs.h for the content
 * rules).  Written through the public writer API only, so the fixtures
 * also exercise it; tests check the files with independent code.
 */
#include <stdio.h>
#include <string.h>

#include "gen_vmrs.h"
#include "test.h"

uint64_t gen_mem_word(uint64_t gpa)
{
	uint64_t pfn = gpa >> 12;

	switch (pfn % 16) {
	case 5:
		return 0;
	case 6:
	case 7:
		return 0x1122334455667788ull;
	case 9:
		return pfn * 0x0101010101010101ull;
	default:
		return gpa ^ 0x5A5A5A5A5A5A5A5Aull;
	}
}

void gen_mem_fill(uint64_t gpa, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	/* Whole words where aligned; the byte-by-byte path covers edges. */
	for (i = 0; i < len;) {
		uint64_t a = gpa + i, w = gen_mem_word(a & ~(uint64_t)7);

		if ((a & 7) == 0 && len - i >= 8) {
			unsigned k;

			for (k = 0; k < 8; k++)
				p[i + k] = (uint8_t)(w >> (8 * k));
			i += 8;
		} else {
			p[i] = (uint8_t)(w >> (8 * (a & 7)));
			i++;
		}
	}
}

hvs_status gen_mem_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	(void)ud;
	gen_mem_fill(gpa, buf, len);
	return HVS_OK;
}

uint64_t gen_std_os_id(uint32_t vtl)
{
	/* Windows 10 build 19041 in the HV guest OS id layout (closed
	 * source, vendor Microsoft, OS 4, major 10); service version = VTL. */
	return 0x0001040A00004A61ull | (uint64_t)vtl << 16;
}

/* A distinct filler value per (vp, vtl, reg). */
static uint64_t filler(uint32_t vp, uint32_t vtl, unsigned reg)
{
	return 0xC0DE000000000000ull | (uint64_t)(vtl & 15) << 44 |
	       (uint64_t)(vp & 0xFFF) << 32 | (uint64_t)(reg & 0xFF) << 16 | 0xBEEF;
}

/* Segment packed as hvs/regs.h says. */
static void seg(hvs_regval *o, uint64_t base, uint32_t limit, uint16_t sel,
		uint16_t attr)
{
	o->lo = base;
	o->hi = limit | (uint64_t)sel << 32 | (uint64_t)attr << 48;
}

static void x64_reg(uint32_t vp, uint32_t vtl, hvs_reg reg, hvs_regval *o)
{
	int user = vp & 1;
	uint64_t f = filler(vp, vtl, (unsigned)reg);

	o->lo = f;
	o->hi = 0;
	switch (reg) {
	case HVS_REG_X64_RIP:
		o->lo = (user ? 0x00007FF600001000ull : 0xFFFFF80000001000ull) +
			vp * 0x100ull + vtl * 0x10000000ull;
		break;
	case HVS_REG_X64_RSP:
		o->lo = (user ? 0x000000000014F000ull : 0xFFFFF80000800000ull) +
			vp * 0x10000ull + vtl * 0x1000000ull;
		break;
	case HVS_REG_X64_RFLAGS:
		o->lo = vtl ? 0x246 : 0x202;
		break;
	case HVS_REG_X64_FP_CONTROL_STATUS:
		o->lo = 0x027F | (uint64_t)(0x20 + vp) << 16 | 0x81ull << 32 |
			0x05A5ull << 48;
		o->hi = 0xFFFFF80000002000ull + vp;
		break;
	case HVS_REG_X64_XMM_CONTROL_STATUS:
		o->lo = 0xFFFFF80000003000ull + vp;
		o->hi = (0x1F80ull | vtl) | 0xFFBFull << 32;
		break;
	case HVS_REG_X64_CR0:
		o->lo = 0x80050033;
		break;
	case HVS_REG_X64_CR2:
		o->lo = 0x00007FF700000000ull + vp * 0x1000ull;
		break;
	case HVS_REG_X64_CR3:
		o->lo = 0x1AD000 + vp * 0x1000ull + vtl * 0x100000ull;
		break;
	case HVS_REG_X64_CR4:
		o->lo = 0x3506F8;
		break;
	case HVS_REG_X64_CR8:
		o->lo = vp & 0xF;
		break;
	case HVS_REG_X64_EFER:
		o->lo = 0xD01;
		break;
	case HVS_REG_X64_DR6:
		o->lo = 0xFFFF0FF0;
		break;
	case HVS_REG_X64_DR7:
		o->lo = 0x400;
		break;
	case HVS_REG_X64_ES:
	case HVS_REG_X64_DS:
		seg(o, 0, 0xFFFFFFFF, 0x2B, 0xC0F3);
		break;
	case HVS_REG_X64_CS:
		if (user)
			seg(o, 0, 0xFFFFFFFF, 0x33, 0x20FB);
		else
			seg(o, 0, 0, 0x10, 0x209B);
		break;
	case HVS_REG_X64_SS:
		if (user)
			seg(o, 0, 0xFFFFFFFF, 0x2B, 0xC0F3);
		else
			seg(o, 0, 0xFFFFFFFF, 0x18, 0xC093);
		break;
	case HVS_REG_X64_FS:
		seg(o, 0, 0x3C00, 0x53, 0x40F3);
		break;
	case HVS_REG_X64_GS:
		seg(o, (user ? 0x0000000000300000ull : 0xFFFFF80000100000ull) +
			       vp * 0x10000ull + ((uint64_t)vtl << 28),
		    0xFFFFFFFF, 0x2B, 0xC0F3);
		break;
	case HVS_REG_X64_LDTR:
		seg(o, 0, 0, 0, 0);
		break;
	case HVS_REG_X64_TR:
		seg(o, 0xFFFFF80000200000ull + vp * 0x1000ull, 0x67, 0x40, 0x008B);
		break;
	case HVS_REG_X64_IDTR:
		o->lo = 0xFFF;
		o->hi = 0xFFFFF80000300000ull + vp * 0x1000ull + vtl * 0x100000ull;
		break;
	case HVS_REG_X64_GDTR:
		o->lo = 0x57;
		o->hi = 0xFFFFF80000400000ull + vp * 0x1000ull;
		break;
	case HVS_REG_X64_XCR0:
		o->lo = vtl ? 0x1F : 0x7;
		break;
	case HVS_REG_X64_CPL:
		o->lo = user ? 3 : 0;
		break;
	case HVS_REG_X64_TSC:
		o->lo = 0x0000001000000000ull + vp * 0x1000ull + vtl;
		break;
	case HVS_REG_X64_APIC_BASE:
		o->lo = 0xFEE00800ull | (vp == 0 ? 0x100 : 0);
		break;
	case HVS_REG_X64_STAR:
		o->lo = 0x0023001000000000ull;
		break;
	case HVS_REG_X64_LSTAR:
		o->lo = 0xFFFFF80000500000ull + vtl * 0x10000000ull;
		break;
	case HVS_REG_X64_CSTAR:
		o->lo = 0xFFFFF80000500100ull;
		break;
	case HVS_REG_X64_SFMASK:
		o->lo = 0x4700;
		break;
	default:
		/* XMM and x87 registers: 128 bits. */
		if (hvs_reg_kind(reg) == HVS_REGKIND_U128)
			o->hi = ~f;
		break;
	}
}

static void arm64_reg(uint32_t vp, uint32_t vtl, hvs_reg reg, hvs_regval *o)
{
	int user = vp & 1;
	uint64_t f = filler(vp, vtl, (unsigned)reg);

	o->lo = f;
	o->hi = 0;
	switch (reg) {
	case HVS_REG_ARM64_PC:
	case HVS_REG_ARM64_ELR_EL2:
		o->lo = (user ? 0x0000AAAA00001000ull : 0xFFFF800010001000ull) +
			vp * 0x100ull + vtl * 0x10000000ull;
		break;
	case HVS_REG_ARM64_CPSR:
	case HVS_REG_ARM64_SPSR_EL2:
		o->lo = user ? 0x80000000ull : 0x3C5; /* EL0t / EL1h */
		break;
	case HVS_REG_ARM64_SP_EL1:
		o->lo = 0xFFFF800011000000ull + vp * 0x10000ull + vtl * 0x1000000ull;
		break;
	case HVS_REG_ARM64_FP:
		o->lo = 0xFFFF800011000000ull + vp * 0x10000ull +
			vtl * 0x1000000ull + 0x80;
		break;
	case HVS_REG_ARM64_LR:
		o->lo = 0xFFFF800010002000ull + vp * 0x100ull;
		break;
	case HVS_REG_ARM64_FPSR:
		o->lo = 0x10 | vp;
		break;
	case HVS_REG_ARM64_FPCR:
		o->lo = 0x03000000ull * vtl;
		break;
	case HVS_REG_ARM64_SCTLR_EL1:
		o->lo = 0x30D0199D;
		break;
	case HVS_REG_ARM64_TCR_EL1:
		o->lo = 0x00000075B5193519ull;
		break;
	case HVS_REG_ARM64_MAIR_EL1:
		o->lo = 0x000000FF440C0400ull;
		break;
	case HVS_REG_ARM64_TTBR0_EL1:
		o->lo = 0x40010000ull + vp * 0x1000ull + vtl * 0x100000ull;
		break;
	case HVS_REG_ARM64_TTBR1_EL1:
		o->lo = 0x40020000ull + vp * 0x1000ull + vtl * 0x100000ull;
		break;
	case HVS_REG_ARM64_VBAR_EL1:
		o->lo = 0xFFFF800010000800ull;
		break;
	case HVS_REG_ARM64_VMPIDR_EL2:
		o->lo = 0x80000000ull | vp;
		break;
	case HVS_REG_ARM64_VPIDR_EL2:
		o->lo = 0x410FD083;
		break;
	default:
		if (hvs_reg_kind(reg) == HVS_REGKIND_U128)
			o->hi = ~f;
		break;
	}
}

void gen_std_reg(hvs_arch arch, uint32_t vp, uint32_t vtl, hvs_reg reg,
		 hvs_regval *out)
{
	if (arch == HVS_ARCH_ARM64)
		arm64_reg(vp, vtl, reg, out);
	else
		x64_reg(vp, vtl, reg, out);
}

static const gen_range x64_ranges[] = {
	{ 0x0, 0xA0000 },                  /* low RAM, ends in a partial block */
	{ 0x100000, 0x700000 },            /* 1 MiB .. 8 MiB */
	{ 0x100000000ull, 0x200000 },      /* above the 4 GiB MMIO hole */
};
static const gen_range arm64_ranges[] = {
	{ 0x40000000ull, 0x400000 },
	{ 0x48000000ull, 0x100000 },
};

const gen_range *gen_std_ranges(hvs_arch arch, size_t *n)
{
	if (arch == HVS_ARCH_ARM64) {
		*n = sizeof arm64_ranges / sizeof arm64_ranges[0];
		return arm64_ranges;
	}
	*n = sizeof x64_ranges / sizeof x64_ranges[0];
	return x64_ranges;
}

hvs_status gen_vmrs_write(const char *path, const gen_fixture *f, char *errbuf,
			  size_t errbuf_size)
{
	hvs_vmrs_writer_opts o;
	hvs_vmrs_writer *w = NULL;
	hvs_arch arch = f->arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64 : HVS_ARCH_X64;
	uint32_t nvp = f->vp_count ? f->vp_count : 2;
	uint32_t mask = f->vtl_mask ? f->vtl_mask : 1;
	const gen_range *r = f->ranges;
	size_t nr = f->range_count, i;
	uint32_t vp, v;
	unsigned reg;
	hvs_status s;

	if (!r)
		r = gen_std_ranges(arch, &nr);
	memset(&o, 0, sizeof o);
	o.alloc = f->alloc;
	o.errbuf = errbuf;
	o.errbuf_size = errbuf_size;
	o.arch = arch;
	o.vendor = f->vendor;
	o.vm_version = f->vm_version;
	o.encoding = f->encoding;
	o.savedstate_type = f->savedstate_type;
	s = hvs_vmrs_writer_create(&w, path, &o);
	if (s != HVS_OK)
		return s;
	for (vp = 0; vp < nvp && s == HVS_OK; vp++) {
		s = hvs_vmrs_writer_add_vp(w, vp, mask);
		for (v = 0; v < 16 && s == HVS_OK; v++) {
			if (!(mask >> v & 1))
				continue;
			for (reg = 0; reg < HVS_REG_COUNT && s == HVS_OK; reg++) {
				hvs_regval val;

				if (hvs_reg_kind((hvs_reg)reg) == HVS_REGKIND_NONE ||
				    hvs_reg_arch((hvs_reg)reg) != arch)
					continue;
				gen_std_reg(arch, vp, v, (hvs_reg)reg, &val);
				s = hvs_vmrs_writer_set_reg(w, vp, v, (hvs_reg)reg, &val);
			}
		}
		if (s == HVS_OK && (mask & (mask - 1)))
			s = hvs_vmrs_writer_set_active_vtl(w, vp, f->active_vtl);
	}
	for (v = 0; v < 16 && s == HVS_OK && !f->no_os_id; v++)
		if (mask >> v & 1)
			s = hvs_vmrs_writer_set_guest_os_id(w, v, gen_std_os_id(v));
	for (i = 0; i < nr && s == HVS_OK; i++)
		s = hvs_vmrs_writer_add_range(w, r[i].gpa, r[i].size);
	if (s == HVS_OK) {
		if (f->fill_zero) {
			for (i = 0; i < nr && s == HVS_OK; i++)
				s = hvs_vmrs_writer_write_memory(w, NULL,
								 (size_t)r[i].size);
		} else {
			s = hvs_vmrs_writer_write_memory_cb(w, gen_mem_read, NULL);
		}
	}
	if (s == HVS_OK)
		s = hvs_vmrs_writer_finish(w);
	if (s != HVS_OK && errbuf && errbuf_size)
		snprintf(errbuf, errbuf_size, "%s", hvs_vmrs_writer_errmsg(w));
	hvs_vmrs_writer_close(w);
	return s;
}

/* Write @f under test_tmp_path(@name); the path or NULL (message printed). */
static const char *write_named(const char *name, const gen_fixture *f)
{
	static char path[4096];
	char err[HVS_ERRMSG_MAX];
	const char *p = test_tmp_path(name);
	hvs_status s;

	if (!p)
		return NULL;
	snprintf(path, sizeof path, "%s", p);
	s = gen_vmrs_write(path, f, err, sizeof err);
	if (s != HVS_OK) {
		fprintf(stderr, "gen_vmrs: %s: %s\n", path, err);
		return NULL;
	}
	return path;
}

const char *gen_vmrs_x64_2vp(const char *name, hvs_vmrs_encoding enc)
{
	gen_fixture f;

	memset(&f, 0, sizeof f);
	f.arch = HVS_ARCH_X64;
	f.vp_count = 2;
	f.encoding = enc;
	return write_named(name, &f);
}

const char *gen_vmrs_arm64_2vp(const char *name, hvs_vmrs_encoding enc)
{
	gen_fixture f;

	memset(&f, 0, sizeof f);
	f.arch = HVS_ARCH_ARM64;
	f.vp_count = 2;
	f.encoding = enc;
	return write_named(name, &f);
}

const char *gen_vmrs_x64_vtl(const char *name)
{
	gen_fixture f;

	memset(&f, 0, sizeof f);
	f.arch = HVS_ARCH_X64;
	f.vp_count = 2;
	f.vtl_mask = 0x3;
	f.active_vtl = 1;
	return write_named(name, &f);
}
