/* SPDX-License-Identifier: MIT */
/*
 * Register names and kinds, generated from HVS_REG_LIST (include/hvs/regs.h).
 * One table indexed by id; the SDK's sentinel ids (66, 158) have no entry
 * and so are "not a register" everywhere.  Names are the lower-case
 * architectural ones the CLI prints and accepts; the aliases let users
 * type the names QEMU and debuggers print (eip, pstate, ttbr1, ...).
 */
#include <ctype.h>
#include <string.h>

#include "hvs/regs.h"

typedef struct reg_desc {
	const char *name;
	hvs_regkind kind;
	hvs_arch arch;
} reg_desc;

static const reg_desc regs[HVS_REG_COUNT] = {
#define D(s, id, nm, k, a) [id] = { nm, HVS_REGKIND_##k, HVS_ARCH_##a },
	HVS_REG_LIST(D)
#undef D
};

const char *hvs_reg_name(hvs_reg reg)
{
	if ((unsigned)reg >= HVS_REG_COUNT)
		return NULL;
	return regs[reg].name;
}

hvs_regkind hvs_reg_kind(hvs_reg reg)
{
	if ((unsigned)reg >= HVS_REG_COUNT || !regs[reg].name)
		return HVS_REGKIND_NONE;
	return regs[reg].kind;
}

hvs_arch hvs_reg_arch(hvs_reg reg)
{
	if ((unsigned)reg >= HVS_REG_COUNT || !regs[reg].name)
		return HVS_ARCH_UNKNOWN;
	return regs[reg].arch;
}

static int eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* 32-bit x86 names that alias the low half of an x64 register. */
static const struct {
	const char *name;
	hvs_reg reg;
} aliases[] = {
	{ "eax", HVS_REG_X64_RAX }, { "ecx", HVS_REG_X64_RCX },
	{ "edx", HVS_REG_X64_RDX }, { "ebx", HVS_REG_X64_RBX },
	{ "esp", HVS_REG_X64_RSP }, { "ebp", HVS_REG_X64_RBP },
	{ "esi", HVS_REG_X64_RSI }, { "edi", HVS_REG_X64_RDI },
	{ "eip", HVS_REG_X64_RIP }, { "eflags", HVS_REG_X64_RFLAGS },
	{ "rfl", HVS_REG_X64_RFLAGS }, { "x29", HVS_REG_ARM64_FP },
	{ "x30", HVS_REG_ARM64_LR }, { "pstate", HVS_REG_ARM64_CPSR },
	{ "sctlr", HVS_REG_ARM64_SCTLR_EL1 }, { "tcr", HVS_REG_ARM64_TCR_EL1 },
	{ "ttbr0", HVS_REG_ARM64_TTBR0_EL1 }, { "ttbr1", HVS_REG_ARM64_TTBR1_EL1 },
};

hvs_status hvs_reg_lookup(const char *name, hvs_reg *out)
{
	unsigned i;
	if (!name || !out)
		return HVS_E_INVALID;
	for (i = 0; i < HVS_REG_COUNT; i++) {
		if (regs[i].name && eq_nocase(regs[i].name, name)) {
			*out = (hvs_reg)i;
			return HVS_OK;
		}
	}
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (eq_nocase(aliases[i].name, name)) {
			*out = aliases[i].reg;
			return HVS_OK;
		}
	}
	return HVS_E_NOTFOUND;
}

const char *hvs_arch_name(hvs_arch arch)
{
	switch (arch) {
	case HVS_ARCH_X86: return "x86";
	case HVS_ARCH_X64: return "x64";
	case HVS_ARCH_ARM64: return "arm64";
	case HVS_ARCH_UNKNOWN: break;
	}
	return "unknown";
}
