/* SPDX-License-Identifier: MIT */
/*
 * hvs-gen: build a Hyper-V saved state (.vmrs) from a text spec, like
 * makedumpfile's mkdiskdump.  For fixtures, demos and bug reports.
 *
 *   hvs-gen SPEC OUT.vmrs
 *
 * SPEC is one directive per line; '#' starts a comment; numbers are C
 * literals (0x.., decimal).  Directives (any order, later ones win):
 *
 *   arch x64|arm64               default x64
 *   vendor intel|amd|hygon|arm   default intel (x64) / arm (arm64)
 *   vps N                        VPs with indices 0..N-1 (default 1)
 *   vtls 0,1                     VTLs of every VP (default 0)
 *   active-vtl VTL               running VTL of every multi-VTL VP
 *   std-regs                     give every register the fixture value of
 *                                tests/gen/gen_vmrs.h (gen_std_reg) first
 *   reg VP VTL NAME VALUE...     one register (names as `hvs regs`):
 *                                  64-bit:   VALUE
 *                                  128-bit:  LO HI
 *                                  segment:  BASE LIMIT SELECTOR ATTRIBUTES
 *                                  idtr/gdtr: BASE LIMIT
 *                                  fp/xmm control: LO HI (packed as regs.h)
 *   guest-os-id [VTL] VALUE      HV guest OS id (default VTL 0)
 *   range GPA SIZE               a RAM range (page-aligned, ascending)
 *   fill pattern|zero|file PATH  memory content: the fixture pattern of
 *                                gen_vmrs.h, zeros, or the bytes of PATH
 *                                in range order (zeros past its end)
 *   zero GPA SIZE                zero these bytes (after the fill)
 *   poke GPA VALUE               store a little-endian u64 (after zero)
 *   encoding raw|xpress|mixed    RamBlock encoding (default raw)
 *   vm-version VALUE             default 0x900
 *   type NAME                    /savedstate/type
 *
 * zero and poke let a spec build page tables (see tests/data/sample-x64.spec).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvs/hvs.h"
#include "gen_vmrs.h"

#define MAX_ITEMS 4096

typedef struct regline {
	uint32_t vp, vtl;
	hvs_reg reg;
	hvs_regval val;
} regline;

typedef struct spec {
	hvs_arch arch;
	hvs_vmrs_vendor vendor;
	uint32_t vps, vtl_mask, active_vtl;
	int active_set, std_regs;
	regline regs[MAX_ITEMS];
	size_t nregs;
	uint64_t os_id[16];
	uint32_t os_id_set;
	gen_range ranges[MAX_ITEMS];
	size_t nranges;
	int fill; /* 0 pattern, 1 zero, 2 file */
	char fill_path[1024];
	gen_range zeros[MAX_ITEMS];
	size_t nzeros;
	struct { uint64_t gpa, val; } pokes[MAX_ITEMS];
	size_t npokes;
	hvs_vmrs_encoding enc;
	uint32_t vm_version;
	char type[64];
} spec;

/* Memory source for the writer's callback. */
typedef struct memsrc {
	const spec *s;
	FILE *f;
} memsrc;

static int parse_u64(const char *t, uint64_t *out)
{
	char *end;

	if (!t || !*t)
		return 0;
	errno = 0;
	*out = strtoull(t, &end, 0);
	return errno == 0 && *end == '\0';
}

/* Split @line into at most @max whitespace-separated tokens. */
static size_t tokenize(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p && n < max) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		tok[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Parse a register line's value words by the register's packing. */
static int parse_regval(hvs_reg reg, char **v, size_t n, hvs_regval *out)
{
	uint64_t a[4] = { 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < n && i < 4; i++)
		if (!parse_u64(v[i], &a[i]))
			return 0;
	switch (hvs_reg_kind(reg)) {
	case HVS_REGKIND_U64:
		if (n != 1)
			return 0;
		out->lo = a[0];
		out->hi = 0;
		return 1;
	case HVS_REGKIND_U128:
	case HVS_REGKIND_FP_CONTROL:
	case HVS_REGKIND_XMM_CONTROL:
		if (n != 2)
			return 0;
		out->lo = a[0];
		out->hi = a[1];
		return 1;
	case HVS_REGKIND_SEGMENT:
		if (n != 4 || a[1] > 0xFFFFFFFFu || a[2] > 0xFFFF || a[3] > 0xFFFF)
			return 0;
		out->lo = a[0];
		out->hi = a[1] | a[2] << 32 | a[3] << 48;
		return 1;
	case HVS_REGKIND_TABLE:
		if (n != 2 || a[1] > 0xFFFF)
			return 0;
		out->lo = a[1];
		out->hi = a[0];
		return 1;
	default:
		return 0;
	}
}

/* Parse one directive; returns 0 with a message on error. */
static int parse_line(spec *s, char **t, size_t n, char *err, size_t errsz)
{
	uint64_t a, b;
	const char *d = t[0];

#define BAD(...) do { snprintf(err, errsz, __VA_ARGS__); return 0; } while (0)
	if (!strcmp(d, "arch") && n == 2) {
		if (!strcmp(t[1], "x64"))
			s->arch = HVS_ARCH_X64;
		else if (!strcmp(t[1], "arm64"))
			s->arch = HVS_ARCH_ARM64;
		else
			BAD("unknown arch '%s' (x64, arm64)", t[1]);
	} else if (!strcmp(d, "vendor") && n == 2) {
		if (!strcmp(t[1], "intel"))
			s->vendor = HVS_VMRS_VENDOR_INTEL;
		else if (!strcmp(t[1], "amd"))
			s->vendor = HVS_VMRS_VENDOR_AMD;
		else if (!strcmp(t[1], "hygon"))
			s->vendor = HVS_VMRS_VENDOR_HYGON;
		else if (!strcmp(t[1], "arm"))
			s->vendor = HVS_VMRS_VENDOR_ARM;
		else
			BAD("unknown vendor '%s'", t[1]);
	} else if (!strcmp(d, "vps") && n == 2) {
		if (!parse_u64(t[1], &a) || a == 0 || a > HVS_VMRS_MAX_VP_INDEX)
			BAD("bad VP count '%s'", t[1]);
		s->vps = (uint32_t)a;
	} else if (!strcmp(d, "vtls") && n == 2) {
		char *p = t[1], *q;

		s->vtl_mask = 0;
		for (q = strtok(p, ","); q; q = strtok(NULL, ",")) {
			if (!parse_u64(q, &a) || a >= 16)
				BAD("bad VTL '%s'", q);
			s->vtl_mask |= 1u << a;
		}
	} else if (!strcmp(d, "active-vtl") && n == 2) {
		if (!parse_u64(t[1], &a) || a >= 16)
			BAD("bad VTL '%s'", t[1]);
		s->active_vtl = (uint32_t)a;
		s->active_set = 1;
	} else if (!strcmp(d, "std-regs") && n == 1) {
		s->std_regs = 1;
	} else if (!strcmp(d, "reg") && n >= 5) {
		regline *r;

		if (s->nregs == MAX_ITEMS)
			BAD("too many reg lines");
		r = &s->regs[s->nregs];
		if (!parse_u64(t[1], &a) || !parse_u64(t[2], &b) || b >= 16)
			BAD("bad VP/VTL '%s %s'", t[1], t[2]);
		r->vp = (uint32_t)a;
		r->vtl = (uint32_t)b;
		if (hvs_reg_lookup(t[3], &r->reg) != HVS_OK)
			BAD("unknown register '%s'", t[3]);
		if (!parse_regval(r->reg, t + 4, n - 4, &r->val))
			BAD("bad value for %s (see the usage for its form)", t[3]);
		s->nregs++;
	} else if (!strcmp(d, "guest-os-id") && (n == 2 || n == 3)) {
		a = 0;
		if ((n == 3 && (!parse_u64(t[1], &a) || a >= 16)) ||
		    !parse_u64(t[n - 1], &b))
			BAD("bad guest-os-id line");
		s->os_id[a] = b;
		s->os_id_set |= 1u << a;
	} else if ((!strcmp(d, "range") || !strcmp(d, "zero")) && n == 3) {
		int z = d[0] == 'z';
		gen_range *r = z ? &s->zeros[s->nzeros] : &s->ranges[s->nranges];

		if ((z ? s->nzeros : s->nranges) == MAX_ITEMS)
			BAD("too many %s lines", d);
		if (!parse_u64(t[1], &a) || !parse_u64(t[2], &b))
			BAD("bad %s '%s %s'", d, t[1], t[2]);
		r->gpa = a;
		r->size = b;
		if (z)
			s->nzeros++;
		else
			s->nranges++;
	} else if (!strcmp(d, "poke") && n == 3) {
		if (s->npokes == MAX_ITEMS)
			BAD("too many poke lines");
		if (!parse_u64(t[1], &a) || !parse_u64(t[2], &b) || (a & 7))
			BAD("bad poke '%s %s' (GPA must be 8-aligned)", t[1], t[2]);
		s->pokes[s->npokes].gpa = a;
		s->pokes[s->npokes].val = b;
		s->npokes++;
	} else if (!strcmp(d, "fill") && (n == 2 || n == 3)) {
		if (!strcmp(t[1], "pattern") && n == 2)
			s->fill = 0;
		else if (!strcmp(t[1], "zero") && n == 2)
			s->fill = 1;
		else if (!strcmp(t[1], "file") && n == 3) {
			s->fill = 2;
			snprintf(s->fill_path, sizeof s->fill_path, "%s", t[2]);
		} else
			BAD("fill pattern|zero|file PATH");
	} else if (!strcmp(d, "encoding") && n == 2) {
		if (!strcmp(t[1], "raw"))
			s->enc = HVS_VMRS_ENC_RAW;
		else if (!strcmp(t[1], "xpress"))
			s->enc = HVS_VMRS_ENC_XPRESS;
		else if (!strcmp(t[1], "mixed"))
			s->enc = HVS_VMRS_ENC_MIXED;
		else
			BAD("unknown encoding '%s' (raw, xpress, mixed)", t[1]);
	} else if (!strcmp(d, "vm-version") && n == 2) {
		if (!parse_u64(t[1], &a) || a > 0xFFFF)
			BAD("bad vm-version '%s'", t[1]);
		s->vm_version = (uint32_t)a;
	} else if (!strcmp(d, "type") && n == 2) {
		snprintf(s->type, sizeof s->type, "%s", t[1]);
	} else {
		BAD("unknown directive or wrong argument count: '%s'", d);
	}
	return 1;
#undef BAD
}

/* Memory callback: base content, then zero regions, then pokes. */
static hvs_status mem_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	memsrc *m = ud;
	const spec *s = m->s;
	uint8_t *p = buf;
	size_t i, k;

	if (s->fill == 0) {
		gen_mem_fill(gpa, buf, len);
	} else if (s->fill == 1) {
		memset(buf, 0, len);
	} else {
		/* Calls come in range order: the file is read sequentially. */
		size_t got = fread(buf, 1, len, m->f);

		if (got < len && ferror(m->f))
			return HVS_E_IO;
		memset(p + got, 0, len - got);
	}
	for (i = 0; i < s->nzeros; i++) {
		uint64_t lo = s->zeros[i].gpa, hi = lo + s->zeros[i].size;
		uint64_t a = lo > gpa ? lo : gpa;
		uint64_t b = hi < gpa + len ? hi : gpa + len;

		if (a < b)
			memset(p + (a - gpa), 0, (size_t)(b - a));
	}
	for (i = 0; i < s->npokes; i++) {
		uint64_t g = s->pokes[i].gpa;

		if (g >= gpa && g + 8 <= gpa + len)
			for (k = 0; k < 8; k++)
				p[g - gpa + k] = (uint8_t)(s->pokes[i].val >> (8 * k));
	}
	return HVS_OK;
}

/* Apply the spec through the writer API. */
static int build(const spec *s, const char *out)
{
	hvs_vmrs_writer_opts o;
	hvs_vmrs_writer *w = NULL;
	char err[HVS_ERRMSG_MAX] = "";
	uint32_t mask = s->vtl_mask ? s->vtl_mask : 1, vp, v;
	memsrc m = { s, NULL };
	hvs_status st = HVS_OK;
	size_t i;
	unsigned r;

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.arch = s->arch;
	o.vendor = s->vendor;
	o.vm_version = s->vm_version;
	o.encoding = s->enc;
	o.savedstate_type = s->type[0] ? s->type : NULL;
	if (s->fill == 2 && !(m.f = fopen(s->fill_path, "rb"))) {
		fprintf(stderr, "hvs-gen: %s: %s\n", s->fill_path, strerror(errno));
		return 1;
	}
	st = hvs_vmrs_writer_create(&w, out, &o);
	if (st != HVS_OK) {
		fprintf(stderr, "hvs-gen: %s\n", err);
		if (m.f)
			fclose(m.f);
		return 1;
	}
	for (vp = 0; vp < (s->vps ? s->vps : 1) && st == HVS_OK; vp++) {
		st = hvs_vmrs_writer_add_vp(w, vp, mask);
		for (v = 0; v < 16 && st == HVS_OK && s->std_regs; v++) {
			if (!(mask >> v & 1))
				continue;
			for (r = 0; r < HVS_REG_COUNT && st == HVS_OK; r++) {
				hvs_regval val;
				hvs_arch a = s->arch == HVS_ARCH_ARM64 ? HVS_ARCH_ARM64
								      : HVS_ARCH_X64;

				if (hvs_reg_kind((hvs_reg)r) == HVS_REGKIND_NONE ||
				    hvs_reg_arch((hvs_reg)r) != a)
					continue;
				gen_std_reg(a, vp, v, (hvs_reg)r, &val);
				st = hvs_vmrs_writer_set_reg(w, vp, v, (hvs_reg)r, &val);
			}
		}
		if (st == HVS_OK && s->active_set && (mask & (mask - 1)))
			st = hvs_vmrs_writer_set_active_vtl(w, vp, s->active_vtl);
	}
	for (i = 0; i < s->nregs && st == HVS_OK; i++)
		st = hvs_vmrs_writer_set_reg(w, s->regs[i].vp, s->regs[i].vtl,
					     s->regs[i].reg, &s->regs[i].val);
	for (v = 0; v < 16 && st == HVS_OK; v++)
		if (s->os_id_set >> v & 1)
			st = hvs_vmrs_writer_set_guest_os_id(w, v, s->os_id[v]);
	for (i = 0; i < s->nranges && st == HVS_OK; i++)
		st = hvs_vmrs_writer_add_range(w, s->ranges[i].gpa, s->ranges[i].size);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_write_memory_cb(w, mem_read, &m);
	if (st == HVS_OK)
		st = hvs_vmrs_writer_finish(w);
	if (st != HVS_OK)
		fprintf(stderr, "hvs-gen: %s\n", hvs_vmrs_writer_errmsg(w));
	hvs_vmrs_writer_close(w);
	if (m.f)
		fclose(m.f);
	return st == HVS_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	static spec s;
	char line[4096], err[256];
	char *tok[16];
	unsigned lineno = 0;
	FILE *f;
	size_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: hvs-gen SPEC OUT.vmrs\n"
				"Builds a Hyper-V saved state from a text spec; "
				"see tests/gen/main_hvsgen.c for the directives.\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "hvs-gen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	s.arch = HVS_ARCH_X64;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		n = tokenize(line, tok, 16);
		if (n == 0)
			continue;
		if (!parse_line(&s, tok, n, err, sizeof err)) {
			fprintf(stderr, "hvs-gen: %s:%u: %s\n", argv[1], lineno, err);
			fclose(f);
			return 1;
		}
	}
	fclose(f);
	return build(&s, argv[2]);
}
