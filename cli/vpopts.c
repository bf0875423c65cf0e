/* SPDX-License-Identifier: MIT */
/*
 * Shared VP options of the hvs CLI (see vpopts.h): opening an image with a
 * forced format or a raw layout, supplying registers (--set-reg,
 * --regs-json in the QEMU layout of ../shared/guests), forcing the paging
 * mode or architecture, and selecting the VP and VTL.  Used by info,
 * regs, mem, read, xlat and maps.  Public API only.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_min.h"
#include "vpopts.h"

const char cli_vpopts_help[] =
	"  --vp N                 virtual processor (default 0)\n"
	"  --vtl N                use VTL N's registers on that VP\n"
	"  --format F             raw|elf|vmrs|bin instead of detecting it\n"
	"  --layout G:S@O,...     raw images: GPA G, SIZE S at file offset O (repeatable)\n"
	"  --set-reg [VP:]NAME=V  supply or override a register, e.g. 0:cr3=0x1234000,\n"
	"                         1:ttbr1_el1=0x41851000 (VP defaults to --vp)\n"
	"  --regs-json PATH       registers from a QEMU-style registers.json\n"
	"                         (cpus[].registers/segments/tables/sysregs)\n"
	"  --paging MODE          force the paging mode: none, x86-32, pae,\n"
	"                         x64-4level, x64-5level, arm64 (or auto)\n"
	"  --arch A               force the architecture: x86, x64, arm64\n"
	"  --vsv PATH             legacy .bin: the companion .vsv\n";

/* Marks a --set-reg without "VP:" (applied to --vp at open): --vp may
 * come after --set-reg on the command line, so it is resolved late. */
#define VP_SELECTED UINT32_MAX

/* Defaults: detect the format, VP 0, the VP's own active VTL (-1). */
void cli_vpopts_init(cli_vpopts *o)
{
	memset(o, 0, sizeof *o);
	o->vtl = -1;
	o->need_vp = 1;
}

/* Free the --layout and --set-reg lists; safe to call twice. */
void cli_vpopts_free(cli_vpopts *o)
{
	free(o->layout);
	free(o->setregs);
	o->layout = NULL;
	o->setregs = NULL;
}

/* Both our names (hvs_paging_mode_name()) and the short ones other
 * tools print ("long4", "32bit", "armv8") are accepted, so a mode can be
 * pasted from either. */
int cli_parse_paging(const char *s, hvs_paging_mode *out)
{
	static const struct {
		const char *name;
		hvs_paging_mode m;
	} names[] = {
		{ "auto", HVS_PAGING_AUTO }, { "none", HVS_PAGING_NONE },
		{ "x86-32", HVS_PAGING_X86_32 }, { "32bit", HVS_PAGING_X86_32 },
		{ "pae", HVS_PAGING_X86_PAE }, { "x64-4level", HVS_PAGING_X64_4LEVEL },
		{ "long4", HVS_PAGING_X64_4LEVEL }, { "x64-5level", HVS_PAGING_X64_5LEVEL },
		{ "long5", HVS_PAGING_X64_5LEVEL }, { "arm64", HVS_PAGING_ARM64 },
		{ "armv8", HVS_PAGING_ARM64 },
	};
	size_t i;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].m;
			return 0;
		}
	return -1;
}

/*
 * A 128-bit value: decimal/hex up to 64 bits, or 0x/0X + up to 32 hex
 * digits (XMM, Q registers).  The wide form is the one registers.json
 * uses, so it is parsed by the same code (jm_u128), which wants "0x".
 */
static int parse_value(const char *s, hvs_regval *v)
{
	char hex[2 + 32 + 1];
	jm_val str;
	size_t n = strlen(s);
	v->lo = v->hi = 0;
	if (cli_parse_u64(s, &v->lo) == 0)
		return 0;
	if (n >= sizeof hex || (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0))
		return -1;
	memcpy(hex, s, n + 1);
	hex[1] = 'x';
	memset(&str, 0, sizeof str);
	str.type = JM_STR;
	str.s = hex;
	return jm_u128(&str, &v->lo, &v->hi);
}

/*
 * --set-reg [VP:]NAME=VALUE.  Names go through hvs_reg_lookup() so that
 * every register the library knows can be supplied; the VP cap (4096)
 * is the library's own VP limit.  The values are applied at open, in
 * command-line order, so a later --set-reg wins.
 */
static int add_setreg(cli_vpopts *o, const char *cmd, const char *arg)
{
	char name[64];
	const char *eq = strchr(arg, '='), *colon = strchr(arg, ':'), *nm = arg;
	cli_setreg r, *nr;
	uint64_t vp = VP_SELECTED;
	size_t n;
	if (!eq)
		return cli_usage_error(cmd, "--set-reg '%s': expected [VP:]NAME=VALUE", arg), -1;
	if (colon && colon < eq) {
		char num[32];
		n = (size_t)(colon - arg);
		if (n == 0 || n >= sizeof num)
			return cli_usage_error(cmd, "--set-reg '%s': bad VP", arg), -1;
		memcpy(num, arg, n);
		num[n] = '\0';
		if (cli_parse_u64(num, &vp) != 0 || vp >= 4096)
			return cli_usage_error(cmd, "--set-reg '%s': bad VP '%s'", arg, num), -1;
		nm = colon + 1;
	}
	n = (size_t)(eq - nm);
	if (n == 0 || n >= sizeof name)
		return cli_usage_error(cmd, "--set-reg '%s': bad register name", arg), -1;
	memcpy(name, nm, n);
	name[n] = '\0';
	memset(&r, 0, sizeof r);
	r.vp = (uint32_t)vp;
	if (hvs_reg_lookup(name, &r.reg) != HVS_OK)
		return cli_usage_error(cmd, "--set-reg: unknown register '%s'", name), -1;
	if (parse_value(eq + 1, &r.val) != 0)
		return cli_usage_error(cmd, "--set-reg: bad value '%s'", eq + 1), -1;
	nr = realloc(o->setregs, (o->nsetregs + 1) * sizeof *nr);
	if (!nr)
		return cli_usage_error(cmd, "out of memory"), -1;
	o->setregs = nr;
	o->setregs[o->nsetregs++] = r;
	return 1;
}

/*
 * --layout GPA:SIZE@FILEOFF[,GPA:SIZE@FILEOFF...]: the extents of a raw
 * image (hvs_raw_extent).  Checking overlaps and the file size is left
 * to hvs_image_open(), which reports them with the file at hand.
 */
static int add_layout(cli_vpopts *o, const char *cmd, const char *arg)
{
	const char *p = arg;
	while (*p) {
		char item[128], *colon, *at;
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		hvs_raw_extent e, *ne;
		if (n == 0 || n >= sizeof item)
			return cli_usage_error(cmd, "--layout '%s': bad extent", arg), -1;
		memcpy(item, p, n);
		item[n] = '\0';
		colon = strchr(item, ':');
		at = strchr(item, '@');
		if (!colon || !at || at < colon)
			return cli_usage_error(cmd, "--layout '%s': expected GPA:SIZE@FILEOFF", item), -1;
		*colon = *at = '\0';
		if (cli_parse_u64(item, &e.gpa) || cli_parse_u64(colon + 1, &e.size) ||
		    cli_parse_u64(at + 1, &e.file_offset) || e.size == 0)
			return cli_usage_error(cmd, "--layout: bad number in '%.*s'", (int)n, p), -1;
		ne = realloc(o->layout, (o->nlayout + 1) * sizeof *ne);
		if (!ne)
			return cli_usage_error(cmd, "out of memory"), -1;
		o->layout = ne;
		o->layout[o->nlayout++] = e;
		p += n;
		if (*p == ',')
			p++;
	}
	return 1;
}

/* Dispatch one option; see vpopts.h for the return convention. */
int cli_vpopts_handle(cli_vpopts *o, const char *cmd, int id, const char *arg)
{
	uint64_t v;
	switch (id) {
	case CLI_VPOPT_FORMAT:
		if (strcmp(arg, "raw") == 0) o->format = HVS_FORMAT_RAW;
		else if (strcmp(arg, "elf") == 0) o->format = HVS_FORMAT_ELF;
		else if (strcmp(arg, "vmrs") == 0) o->format = HVS_FORMAT_VMRS;
		else if (strcmp(arg, "bin") == 0) o->format = HVS_FORMAT_BIN;
		else if (strcmp(arg, "auto") == 0) o->format = HVS_FORMAT_UNKNOWN;
		else return cli_usage_error(cmd, "--format: '%s' is not raw, elf, vmrs or bin", arg), -1;
		return 1;
	case CLI_VPOPT_LAYOUT:
		return add_layout(o, cmd, arg);
	case CLI_VPOPT_SET_REG:
		return add_setreg(o, cmd, arg);
	case CLI_VPOPT_REGS_JSON:
		o->regs_json = arg;
		return 1;
	case CLI_VPOPT_PAGING:
		if (cli_parse_paging(arg, &o->paging) != 0)
			return cli_usage_error(cmd, "--paging: unknown mode '%s'", arg), -1;
		return 1;
	/* GNU triplet spellings too (x86_64, aarch64): what `file` prints. */
	case CLI_VPOPT_ARCH:
		if (strcmp(arg, "x86") == 0) o->arch = HVS_ARCH_X86;
		else if (strcmp(arg, "x64") == 0 || strcmp(arg, "x86_64") == 0) o->arch = HVS_ARCH_X64;
		else if (strcmp(arg, "arm64") == 0 || strcmp(arg, "aarch64") == 0) o->arch = HVS_ARCH_ARM64;
		else return cli_usage_error(cmd, "--arch: '%s' is not x86, x64 or arm64", arg), -1;
		return 1;
	case CLI_VPOPT_VP:
		if (cli_parse_u64(arg, &v) != 0 || v >= 4096)
			return cli_usage_error(cmd, "--vp: bad VP '%s'", arg), -1;
		o->vp = (uint32_t)v;
		o->vp_set = 1;
		return 1;
	case CLI_VPOPT_VTL:
		if (cli_parse_u64(arg, &v) != 0 || v >= HVS_VTL_COUNT)
			return cli_usage_error(cmd, "--vtl: bad VTL '%s'", arg), -1;
		o->vtl = (int)v;
		return 1;
	case CLI_VPOPT_VSV:
		o->vsv = arg;
		return 1;
	default:
		return 0;
	}
}

/* ------------------------------------------------------ registers.json */

/*
 * Map a QEMU `info registers` name to a register id: drop leading zeros
 * of a numeric suffix (X05 -> x5, XMM07 -> xmm7, Q12 -> q12) and handle
 * QEMU's spellings (EFL, LDT, VBAR).  SP depends on the mode.
 */
static int qemu_reg(const char *name, const char *mode, hvs_reg *out)
{
	char n[32];
	size_t i = 0, j = 0, len = strlen(name);
	if (len >= sizeof n)
		return -1;
	if (strcmp(name, "EFL") == 0 || strcmp(name, "RFL") == 0)
		return *out = HVS_REG_X64_RFLAGS, 0;
	if (strcmp(name, "LDT") == 0)
		return *out = HVS_REG_X64_LDTR, 0;
	if (strcmp(name, "VBAR") == 0)
		return *out = HVS_REG_ARM64_VBAR_EL1, 0;
	if (strcmp(name, "SP") == 0 || strcmp(name, "sp") == 0) {
		if (!mode)
			return -1;
		*out = strcmp(mode, "EL0t") == 0 || strcmp(mode, "EL1t") == 0 ? HVS_REG_ARM64_SP_EL0
										 : HVS_REG_ARM64_SP_EL1;
		return 0;
	}
	while (i < len && !isdigit((unsigned char)name[i]))
		n[j++] = name[i++];
	/* Only a purely numeric suffix loses its zeros (not TTBR0_EL1). */
	if (strspn(name + i, "0123456789") == len - i)
		while (i + 1 < len && name[i] == '0')
			i++;
	while (i < len)
		n[j++] = name[i++];
	n[j] = '\0';
	return hvs_reg_lookup(n, out) == HVS_OK ? 0 : -1;
}

/* Set every "NAME": "0x..." of @obj (u64, or u128 for XMM/Q). */
static hvs_status set_group(hvs_image *img, uint32_t vp, const jm_val *obj, const char *mode,
			    hvs_arch arch, char *err, size_t errn)
{
	size_t i;
	for (i = 0; i < jm_len(obj); i++) {
		hvs_reg r;
		hvs_regval v = { 0, 0 };
		hvs_status s;
		if (qemu_reg(obj->k[i], mode, &r) != 0)
			continue; /* II, A20, SMM, FCW, ID_AA64MMFR0_EL1 ...: not registers here */
		if ((hvs_reg_arch(r) == HVS_ARCH_ARM64) != (arch == HVS_ARCH_ARM64))
			continue;
		if (hvs_reg_kind(r) == HVS_REGKIND_U128) {
			if (jm_u128(&obj->v[i], &v.lo, &v.hi) != 0)
				continue;
		} else if (hvs_reg_kind(r) != HVS_REGKIND_U64 || jm_u64(&obj->v[i], &v.lo) != 0) {
			continue;
		}
		s = hvs_image_set_reg(img, vp, HVS_VTL_ACTIVE, r, &v);
		if (s != HVS_OK) {
			snprintf(err, errn, "VP %u: %s: %s", vp, obj->k[i], hvs_image_errmsg(img));
			return s;
		}
	}
	return HVS_OK;
}

/*
 * The file's layout is the one ../shared/guests/README.md describes: the
 * top-level "arch" ("x86_64", "i386", "aarch64") and "cpus", each with
 * hex strings under QEMU's `info registers` names.  Register groups are
 * applied in the order registers, sysregs, xmm, q, segments, tables.
 */
hvs_status cli_apply_regs_json(hvs_image *img, const char *path, char *err, size_t errn)
{
	FILE *f = cli_fopen(path, "rb");
	jm_val *root = NULL;
	const jm_val *cpus;
	const char *arch_s;
	hvs_arch arch;
	hvs_status s = HVS_OK;
	size_t i;
	if (!f) {
		snprintf(err, errn, "%s: %s", path, strerror(errno));
		return HVS_E_INVALID; /* as for a file that is not JSON */
	}
	root = jm_parse_stream(f, path, err, errn);
	if (!root)
		return HVS_E_INVALID;
	cpus = jm_get(root, "cpus");
	arch_s = jm_str(jm_get(root, "arch"));
	arch = arch_s && strcmp(arch_s, "aarch64") == 0 ? HVS_ARCH_ARM64
	       : arch_s && strcmp(arch_s, "i386") == 0  ? HVS_ARCH_X86
							: HVS_ARCH_X64;
	if (!cpus || jm_len(cpus) == 0) {
		snprintf(err, errn, "%s: no \"cpus\" array", path);
		jm_free(root);
		return HVS_E_INVALID;
	}
	/* A raw image has no VPs yet: one per vCPU of the file. */
	if (hvs_image_vp_count(img) == 0) {
		s = hvs_image_add_vps(img, (uint32_t)jm_len(cpus), arch);
		if (s != HVS_OK) {
			snprintf(err, errn, "%s", hvs_image_errmsg(img));
			jm_free(root);
			return s;
		}
	}
	for (i = 0; i < jm_len(cpus) && s == HVS_OK; i++) {
		const jm_val *c = jm_at(cpus, i), *g;
		const char *mode = jm_str(jm_get(c, "mode"));
		uint64_t idx = i;
		size_t k;
		jm_u64(jm_get(c, "cpu"), &idx);
		if (idx >= hvs_image_vp_count(img)) {
			snprintf(err, errn, "%s: cpu %llu but the image has %u VPs", path,
				 (unsigned long long)idx, hvs_image_vp_count(img));
			s = HVS_E_INVALID;
			break;
		}
		s = set_group(img, (uint32_t)idx, jm_get(c, "registers"), mode, arch, err, errn);
		if (s == HVS_OK)
			s = set_group(img, (uint32_t)idx, jm_get(c, "sysregs"), mode, arch, err, errn);
		if (s == HVS_OK)
			s = set_group(img, (uint32_t)idx, jm_get(c, "xmm"), mode, arch, err, errn);
		if (s == HVS_OK)
			s = set_group(img, (uint32_t)idx, jm_get(c, "q"), mode, arch, err, errn);
		/* Segments: QEMU's descriptor flags >> 8 are the VMX access rights
		 * (QEMU target/i386/cpu.h DESC_* bits 8..23), packed into the
		 * hvs_regval segment layout of hvs/regs.h: limit, selector,
		 * attributes in the high word, base in the low one. */
		g = jm_get(c, "segments");
		for (k = 0; k < jm_len(g) && s == HVS_OK && arch != HVS_ARCH_ARM64; k++) {
			uint64_t sel, base, limit, flags;
			hvs_reg r;
			hvs_regval v;
			if (qemu_reg(g->k[k], NULL, &r) != 0 || hvs_reg_kind(r) != HVS_REGKIND_SEGMENT ||
			    jm_u64(jm_get(&g->v[k], "selector"), &sel) ||
			    jm_u64(jm_get(&g->v[k], "base"), &base) ||
			    jm_u64(jm_get(&g->v[k], "limit"), &limit) ||
			    jm_u64(jm_get(&g->v[k], "flags"), &flags))
				continue;
			v.lo = base;
			v.hi = (limit & 0xffffffff) | (sel & 0xffff) << 32 |
			       ((flags >> 8) & 0xF0FF) << 48;
			s = hvs_image_set_reg(img, (uint32_t)idx, HVS_VTL_ACTIVE, r, &v);
		}
		/* GDT/IDT: limit in the low word, base in the high (hvs/regs.h). */
		g = jm_get(c, "tables");
		for (k = 0; k < jm_len(g) && s == HVS_OK && arch != HVS_ARCH_ARM64; k++) {
			uint64_t base, limit;
			hvs_regval v;
			hvs_reg r = strcmp(g->k[k], "GDT") == 0 ? HVS_REG_X64_GDTR : HVS_REG_X64_IDTR;
			if (jm_u64(jm_get(&g->v[k], "base"), &base) ||
			    jm_u64(jm_get(&g->v[k], "limit"), &limit))
				continue;
			v.lo = limit & 0xffff;
			v.hi = base;
			s = hvs_image_set_reg(img, (uint32_t)idx, HVS_VTL_ACTIVE, r, &v);
		}
		if (s != HVS_OK && !err[0])
			snprintf(err, errn, "VP %llu: %s", (unsigned long long)idx,
				 hvs_image_errmsg(img));
	}
	jm_free(root);
	return s;
}

/* Skip the VP options (handled into @o) and return the command's own. */
int cli_vpopts_next(cli_vpopts *o, cli_optstate *st, const cli_opt *opts)
{
	int id, h;
	while ((id = cli_opt_next(st, opts)) > 0) {
		h = cli_vpopts_handle(o, st->cmd, id, st->arg);
		if (h < 0)
			return -1;
		if (h == 0)
			return id;
	}
	return id;
}

/* ---------------------------------------------------------------- open */

/*
 * Order matters: --regs-json first (it may create the VPs of a raw
 * image), then --vtl (so that --set-reg lands in the chosen VTL), --arch,
 * the --set-reg values (which override the JSON), and --paging last.
 */
int cli_vpopts_open(cli_vpopts *o, const char *cmd, const char *path, hvs_image **out)
{
	hvs_image_opts io;
	hvs_image *img = NULL;
	char err[HVS_ERRMSG_MAX] = "";
	hvs_status s;
	uint32_t need = o->vp + 1, i;
	size_t k;

	*out = NULL;
	/* The image's own error buffer is gone after a failed open: the
	 * message lands in @err instead. */
	memset(&io, 0, sizeof io);
	io.base.errbuf = err;
	io.base.errbuf_size = sizeof err;
	io.format = o->format;
	io.vsv_path = o->vsv;
	if (o->nlayout) {
		if (o->format != HVS_FORMAT_RAW && o->format != HVS_FORMAT_UNKNOWN)
			return cli_usage_error(cmd, "--layout is for raw images (--format raw)");
		io.format = HVS_FORMAT_RAW;
		io.raw_layout = o->layout;
		io.raw_layout_count = o->nlayout;
	}
	s = hvs_image_open(&img, path, &io);
	if (s != HVS_OK) {
		cli_error("%s", err[0] ? err : hvs_strerror(s));
		return cli_exit_code(s);
	}
	if (o->regs_json) {
		err[0] = '\0';
		s = cli_apply_regs_json(img, o->regs_json, err, sizeof err);
		if (s != HVS_OK) {
			cli_error("--regs-json: %s", err[0] ? err : hvs_strerror(s));
			goto fail;
		}
	}
	/* Raw images have no VPs: create as many as the options name (the
	 * highest --vp or VP: prefix), with --arch or x64 as the guess.  Only
	 * when a VP is asked for: a memory-only input stays memory-only for
	 * info and mem. */
	for (k = 0; k < o->nsetregs; k++)
		if (o->setregs[k].vp != VP_SELECTED && o->setregs[k].vp + 1 > need)
			need = o->setregs[k].vp + 1;
	if (hvs_image_vp_count(img) == 0 && (o->need_vp || o->vp_set || o->nsetregs)) {
		s = hvs_image_add_vps(img, need, o->arch != HVS_ARCH_UNKNOWN ? o->arch : HVS_ARCH_X64);
		if (s != HVS_OK) {
			cli_error("%s", hvs_image_errmsg(img));
			goto fail;
		}
	}
	if ((o->need_vp || o->vp_set) && o->vp >= hvs_image_vp_count(img)) {
		cli_error("%s: VP %u does not exist (the image has %u)", path, o->vp,
			  hvs_image_vp_count(img));
		s = HVS_E_NOTFOUND;
		goto fail;
	}
	if (o->vtl >= 0 && (o->need_vp || o->vp_set)) {
		s = hvs_image_set_active_vtl(img, o->vp, (uint32_t)o->vtl);
		if (s != HVS_OK) {
			cli_error("--vtl %d: %s", o->vtl, hvs_image_errmsg(img));
			goto fail;
		}
	}
	if (o->arch != HVS_ARCH_UNKNOWN)
		for (i = 0; i < hvs_image_vp_count(img); i++)
			hvs_image_set_arch(img, i, o->arch);
	for (k = 0; k < o->nsetregs; k++) {
		const cli_setreg *r = &o->setregs[k];
		uint32_t vp = r->vp == VP_SELECTED ? o->vp : r->vp;
		s = hvs_image_set_reg(img, vp, HVS_VTL_ACTIVE, r->reg, &r->val);
		if (s != HVS_OK) {
			cli_error("--set-reg %u:%s: %s", vp, hvs_reg_name(r->reg),
				  hvs_image_errmsg(img));
			goto fail;
		}
	}
	if (o->paging != HVS_PAGING_AUTO)
		for (i = 0; i < hvs_image_vp_count(img); i++)
			hvs_image_set_paging_mode(img, i, o->paging);
	*out = img;
	return CLI_EXIT_OK;
fail:
	hvs_image_close(img);
	return cli_exit_code(s);
}

/*
 * xlat and maps need a paging mode before they print anything: without
 * one (no CR3/TTBR and no --paging) there is nothing to walk, which is
 * "not found" (exit 5) like a missing register in `hvs regs`.
 */
int cli_vpopts_open_vp(cli_vpopts *o, const char *cmd, const char *path, hvs_image **out,
		       hvs_paging_mode *mode_out)
{
	int rc = cli_vpopts_open(o, cmd, path, out);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (hvs_image_get_paging_mode(*out, o->vp, mode_out) != HVS_OK) {
		cli_error("%s", hvs_image_errmsg(*out));
		hvs_image_close(*out);
		*out = NULL;
		return CLI_EXIT_NOTFOUND;
	}
	return CLI_EXIT_OK;
}

/* The header both JSON documents share, so that their schemas stay alike. */
void cli_vpopts_json_begin(cli_json *j, const cli_vpopts *o, hvs_paging_mode mode,
			   const char *key)
{
	json_init(j, stdout);
	json_obj_begin(j, NULL);
	json_u64(j, "vp", o->vp);
	json_str(j, "paging_mode", hvs_paging_mode_name(mode));
	json_arr_begin(j, key);
}

