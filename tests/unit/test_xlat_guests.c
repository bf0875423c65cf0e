/* SPDX-License-Identifier: MIT */
/*
 * Acceptance test of the translation engine on six real QEMU guests
 * (../shared/guests/README.md): x86 32-bit with 4 MiB pages, PAE, x64
 * 4-level (with and without PTI), x64 5-level and AArch64 (4 KiB granule,
 * TBI, ASID in TTBR1).  For every entry of truth.json (QEMU's gva2gpa /
 * info tlb answers) the engine must give the same GPA and page size, or
 * "not mapped" (never an I/O error: every table page is in the core).
 * The paging mode detected from registers.json must equal QEMU's
 * paging_modes, the privilege test must agree with QEMU's CPL / mode,
 * and the map walker must list exactly as many mappings as QEMU's
 * `info tlb` printed (counts in the README, x86 guests).
 *
 * TEST SCAFFOLDING: the ELF PT_LOAD reader and the JSON field extractor
 * below are deliberately minimal and exist only for this test; the
 * library's real ELF reader is src/mem (another module).
 */
#include <stdio.h>

#include "sha256.h"
#include "test.h"

/* ----------------------------------------------- scaffolding: ELF core */

typedef struct seg {
	uint64_t gpa, off, len;
} seg;

typedef struct core {
	uint8_t *data;
	size_t size;
	seg segs[512];
	size_t nsegs;
} core;

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;
	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Parse the ELF64 program headers: PT_LOAD p_paddr/p_offset/p_filesz. */
static int core_parse(core *c)
{
	uint64_t phoff;
	unsigned phentsize, phnum, i;

	if (c->size < 64 || memcmp(c->data, "\177ELF\2\1", 6) != 0)
		return 0;
	phoff = rd64(c->data + 0x20);
	phentsize = c->data[0x36] | (unsigned)c->data[0x37] << 8;
	phnum = c->data[0x38] | (unsigned)c->data[0x39] << 8;
	if (phentsize < 56 || phoff > c->size ||
	    (uint64_t)phnum * phentsize > c->size - phoff)
		return 0;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = c->data + phoff + (uint64_t)i * phentsize;
		uint32_t type = ph[0] | (uint32_t)ph[1] << 8 |
				(uint32_t)ph[2] << 16 | (uint32_t)ph[3] << 24;
		seg s;
		if (type != 1)
			continue;
		s.off = rd64(ph + 8);
		s.gpa = rd64(ph + 24);
		s.len = rd64(ph + 32);
		if (s.off > c->size || s.len > c->size - s.off ||
		    c->nsegs == sizeof c->segs / sizeof c->segs[0])
			return 0;
		c->segs[c->nsegs++] = s;
	}
	return c->nsegs > 0;
}

/* read_phys over the PT_LOADs: pages not in the core are HVS_E_NODATA. */
static hvs_status core_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	core *c = ud;
	uint8_t *out = buf;
	while (len) {
		size_t i, n = 0;
		for (i = 0; i < c->nsegs; i++) {
			const seg *s = &c->segs[i];
			if (gpa >= s->gpa && gpa - s->gpa < s->len) {
				uint64_t room = s->len - (gpa - s->gpa);
				n = len < room ? len : (size_t)room;
				memcpy(out, c->data + s->off + (gpa - s->gpa), n);
				break;
			}
		}
		if (!n)
			return HVS_E_NODATA;
		out += n;
		gpa += n;
		len -= n;
	}
	return HVS_OK;
}

/* Decompress with the xz tool (a test may shell out to a host tool,
 * testplat.h; the library never does).  NULL when xz is missing or fails. */
static uint8_t *xz_load(const char *path, size_t *len)
{
	char cmd[1200];
	char *buf = NULL;
	size_t n = 0;

	snprintf(cmd, sizeof cmd, "xz -dc '%s' 2>/dev/null", path);
	if (test_sh(cmd, &buf, &n) != 0 || n == 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return (uint8_t *)buf;
}

/* ---------------------------------------------- scaffolding: JSON bits */

/* The text of the @i-th object of the "cpus" array: from its `"cpu": i`
 * to the next `"cpu": ` (or the end). */
static const char *cpu_obj(const char *js, int i, const char **end)
{
	char key[32];
	const char *p, *q;
	snprintf(key, sizeof key, "\"cpu\": %d", i);
	p = strstr(js, key);
	if (!p)
		return NULL;
	q = strstr(p + 1, "\"cpu\": ");
	*end = q ? q : p + strlen(p);
	return p;
}

/* Hex string value of "key" within [p, end), after an optional "scope"
 * key; returns 0 when missing (and sets *ok = 0). */
static uint64_t jhex(const char *p, const char *end, const char *scope,
		     const char *key, int *ok)
{
	char k[64];
	const char *q;
	if (scope) {
		snprintf(k, sizeof k, "\"%s\"", scope);
		p = strstr(p, k);
		if (!p || p >= end)
			goto miss;
	}
	snprintf(k, sizeof k, "\"%s\"", key);
	q = strstr(p, k);
	if (!q || q >= end)
		goto miss;
	q = strchr(q + strlen(k), '"');
	if (!q || q >= end)
		goto miss;
	return strtoull(q + 1, NULL, 16);
miss:
	*ok = 0;
	return 0;
}

/* One truth.json translation entry. */
typedef struct tentry {
	int cpu;
	uint64_t gva;
	int mapped;
	uint64_t gpa, page_size;
	uint8_t bytes[32];
	size_t nbytes;
} tentry;

/* Parse the next entry object after *pos; 0 at the end. */
static int next_entry(const char **pos, tentry *t)
{
	const char *g = strstr(*pos, "\"gva\":");
	const char *o, *e, *q;
	if (!g)
		return 0;
	o = g;
	while (o > *pos && *o != '{')
		o--;
	e = strchr(g, '}');
	if (!e)
		return 0;
	memset(t, 0, sizeof *t);
	q = strstr(o, "\"cpu\":");
	t->cpu = q && q < e ? atoi(q + 6) : -1;
	t->gva = strtoull(strchr(g + 6, '"') + 1, NULL, 16);
	q = strstr(o, "\"gpa\":");
	if (q && q < e) {
		q += 6;
		while (*q == ' ')
			q++;
		t->mapped = *q == '"';
		if (t->mapped)
			t->gpa = strtoull(q + 1, NULL, 16);
	}
	q = strstr(o, "\"page_size\":");
	if (q && q < e)
		t->page_size = strtoull(q + 12, NULL, 10);
	q = strstr(o, "\"bytes_hex\":");
	if (q && q < e) {
		q = strchr(q + 12, '"') + 1;
		while (t->nbytes < 32 && q[0] != '"' && q[1] != '"') {
			char h[3] = { q[0], q[1], 0 };
			t->bytes[t->nbytes++] = (uint8_t)strtoul(h, NULL, 16);
			q += 2;
		}
	}
	*pos = e + 1;
	return 1;
}

/* ------------------------------------------------------------ the test */

static char *load_text(const char *dir, const char *name)
{
	char path[1024];
	size_t n;
	uint8_t *b;
	char *s;
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return NULL;
	b = test_read_file(path, &n);
	if (!b)
		return NULL;
	s = malloc(n + 1);
	if (s) {
		memcpy(s, b, n);
		s[n] = 0;
	}
	free(b);
	return s;
}

typedef struct regions {
	hvs_xlat_region *r;
	size_t n, cap, nodata;
} regions;

static hvs_status collect(void *ud, const hvs_xlat_region *r)
{
	regions *l = ud;
	if (r->flags & HVS_XLAT_F_NODATA) {
		l->nodata++;
		return HVS_OK;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		hvs_xlat_region *nr = realloc(l->r, cap * sizeof *nr);
		if (!nr)
			return HVS_E_NOMEM;
		l->r = nr;
		l->cap = cap;
	}
	l->r[l->n++] = *r;
	return HVS_OK;
}

/* Region containing @va (regions are sorted and disjoint), or NULL. */
static const hvs_xlat_region *find_region(const regions *l, uint64_t va)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (va < l->r[mid].gva)
			hi = mid;
		else if (va - l->r[mid].gva >= l->r[mid].size)
			lo = mid + 1;
		else
			return &l->r[mid];
	}
	return NULL;
}

/* QEMU `info tlb` line counts per vCPU (README "Checks done"); 0 for
 * aarch64, where QEMU has no such listing. */
static const struct guest {
	const char *name;
	int arm;
	hvs_paging_mode mode;
	size_t tlb[2];
} guests[] = {
	{ "aarch64-tcg", 1, HVS_PAGING_ARM64, { 0, 0 } },
	{ "i386-pae-tcg", 0, HVS_PAGING_X86_PAE, { 3066, 2759 } },
	{ "i386-tcg", 0, HVS_PAGING_X86_32, { 5287, 5594 } },
	{ "x86_64-la57-tcg", 0, HVS_PAGING_X64_5LEVEL, { 74094, 73741 } },
	{ "x86_64-pti-tcg", 0, HVS_PAGING_X64_4LEVEL, { 73119, 65828 } },
	{ "x86_64-tcg", 0, HVS_PAGING_X64_4LEVEL, { 73750, 74101 } },
};

static hvs_paging_mode mode_of_name(const char *s)
{
	if (!strncmp(s, "32bit", 5)) return HVS_PAGING_X86_32;
	if (!strncmp(s, "pae", 3)) return HVS_PAGING_X86_PAE;
	if (!strncmp(s, "long4", 5)) return HVS_PAGING_X64_4LEVEL;
	if (!strncmp(s, "long5", 5)) return HVS_PAGING_X64_5LEVEL;
	if (!strncmp(s, "armv8", 5)) return HVS_PAGING_ARM64;
	return HVS_PAGING_AUTO;
}

static size_t g_checked, g_mapped, g_regions;

static void run_guest(const struct guest *gd)
{
	char rel[128], hex[65], key[16];
	const char *dir, *pos;
	char *regs_js = NULL, *truth = NULL;
	hvs_xlat *x[2] = { NULL, NULL };
	regions maps[2];
	core c;
	tentry t;
	int i;

	memset(&c, 0, sizeof c);
	memset(maps, 0, sizeof maps);
	snprintf(rel, sizeof rel, "guests/%s", gd->name);
	dir = test_shared_path(rel);
	if (!dir)
		SKIP("../shared/guests/%s not present", gd->name);
	{
		char d[1024], path[1100];
		snprintf(d, sizeof d, "%s", dir);
		snprintf(path, sizeof path, "%s/core.elf.xz", d);
		c.data = xz_load(path, &c.size);
		if (!c.data)
			SKIP("cannot run `xz -dc %s` (xz missing?)", path);
		regs_js = load_text(d, "registers.json");
		truth = load_text(d, "truth.json");
	}
	CHECK(regs_js && truth);

	/* 1. The decompressed core is the one the truth was made from. */
	test_sha256_hex(c.data, c.size, hex);
	pos = strstr(truth, "\"core_elf_sha256\"");
	CHECK(pos != NULL);
	pos = strchr(pos + 17, '"');
	CHECK(pos != NULL);
	CHECK(strncmp(pos + 1, hex, 64) == 0);
	CHECK(core_parse(&c));

	for (i = 0; i < 2; i++) {
		const char *o, *end;
		hvs_paging_regs r;
		int ok = 1, k = -1;
		const char *pm;

		memset(&r, 0, sizeof r);
		o = cpu_obj(regs_js, i, &end);
		CHECK(o != NULL);
		if (gd->arm) {
			r.arch = HVS_XLAT_ARCH_ARM64;
			r.ttbr0 = jhex(o, end, "sysregs", "TTBR0_EL1", &ok);
			r.ttbr1 = jhex(o, end, "sysregs", "TTBR1_EL1", &ok);
			r.tcr = jhex(o, end, "sysregs", "TCR_EL1", &ok);
			r.sctlr = jhex(o, end, "sysregs", "SCTLR", &ok);
			r.pstate = jhex(o, end, NULL, "PSTATE", &ok);
			r.have = HVS_REGS_HAVE_PSTATE;
		} else {
			r.arch = HVS_XLAT_ARCH_X86;
			r.cr0 = jhex(o, end, NULL, "CR0", &ok);
			r.cr3 = jhex(o, end, NULL, "CR3", &ok);
			r.cr4 = jhex(o, end, NULL, "CR4", &ok);
			r.efer = jhex(o, end, NULL, "EFER", &ok);
			/* QEMU's flags word is the descriptor's high dword
			 * masked: >> 8 gives the VMX access-rights layout. */
			r.ss_attr = (uint32_t)(jhex(o, end, "SS", "flags", &ok) >> 8);
			r.have = HVS_REGS_HAVE_SS_ATTR;
		}
		CHECK(ok);
		/* 2. Mode detection equals QEMU's paging_modes. */
		snprintf(key, sizeof key, "\"%d\": \"", i);
		pm = strstr(strstr(truth, "\"paging_modes\""), key);
		CHECK(pm != NULL);
		CHECK_EQ(mode_of_name(pm + strlen(key)), gd->mode);
		CHECK_EQ(hvs_xlat_detect_mode(&r), gd->mode);
		/* 3. Privilege: QEMU's CPL (x86) or mode name (EL0t/EL1h). */
		CHECK_OK(hvs_xlat_in_kernel(&k, &r));
		if (gd->arm) {
			const char *m = strstr(o, "\"mode\": \"");
			CHECK(m && m < end);
			CHECK_EQ(k, strncmp(m + 9, "EL0", 3) != 0);
		} else {
			uint64_t cpl = jhex(o, end, NULL, "CPL", &ok);
			CHECK(ok);
			CHECK_EQ(k, cpl == 0);
			/* the CS selector's RPL agrees */
			r.have = HVS_REGS_HAVE_CS_SEL;
			r.cs_sel = (uint32_t)jhex(o, end, "CS", "selector", &ok);
			CHECK_OK(hvs_xlat_in_kernel(&k, &r));
			CHECK_EQ(k, cpl == 0);
		}
		CHECK_OK(hvs_xlat_new(&x[i], &r, core_read, &c, 0, NULL));
		CHECK_EQ(hvs_xlat_mode(x[i]), gd->mode);
		/* 4. Map walk: every mapping, not merged, in VA order. */
		CHECK_OK(hvs_xlat_map_walk(x[i], 0, ~UINT64_C(0), 0, collect,
					   &maps[i]));
		if (gd->tlb[i]) {
			if (maps[i].n != gd->tlb[i])
				printf("    cpu %d: %zu mappings (%zu unreadable "
				       "tables), QEMU info tlb %zu\n", i,
				       maps[i].n, maps[i].nodata, gd->tlb[i]);
			CHECK_EQ(maps[i].n, gd->tlb[i]);
			CHECK_EQ(maps[i].nodata, 0);
		}
		g_regions += maps[i].n;
	}

	/* 5. Every truth entry. */
	pos = strstr(truth, "\"translations\"");
	CHECK(pos != NULL);
	while (next_entry(&pos, &t)) {
		uint64_t gpa = 0, ps = 0, um = 0;
		const hvs_xlat_region *reg;
		hvs_status s;
		CHECK(t.cpu == 0 || t.cpu == 1);
		s = hvs_xlat_translate(x[t.cpu], t.gva, &gpa, &ps, &um);
		reg = find_region(&maps[t.cpu], t.gva);
		if (t.mapped) {
			if (s != HVS_OK || gpa != t.gpa || ps != t.page_size)
				printf("    cpu %d VA 0x%" PRIx64 ": got %d 0x%"
				       PRIx64 "/0x%" PRIx64 ", want 0x%" PRIx64
				       "/0x%" PRIx64 " (%s)\n", t.cpu, t.gva,
				       (int)s, gpa, ps, t.gpa, t.page_size,
				       hvs_xlat_errmsg(x[t.cpu]));
			CHECK_OK(s);
			CHECK_EQ(gpa, t.gpa);
			CHECK_EQ(ps, t.page_size);
			CHECK_EQ(um, 0);
			/* the bytes QEMU showed, read through the VA */
			if (t.nbytes) {
				uint8_t b[32];
				size_t done = 0;
				CHECK_OK(hvs_xlat_read(x[t.cpu], t.gva, b,
						       t.nbytes, &done));
				CHECK_EQ(done, t.nbytes);
				CHECK_MEM(b, t.bytes, t.nbytes);
			}
			/* the map walker lists the same mapping */
			CHECK(reg != NULL);
			CHECK_EQ(reg->gpa + (t.gva - reg->gva), t.gpa);
			CHECK_EQ(reg->size, t.page_size);
			g_mapped++;
		} else {
			if (s != HVS_E_NOTPRESENT)
				printf("    cpu %d VA 0x%" PRIx64 ": got %d "
				       "(%s), want not mapped\n", t.cpu, t.gva,
				       (int)s, hvs_xlat_errmsg(x[t.cpu]));
			CHECK_STATUS(s, HVS_E_NOTPRESENT);
			CHECK(um > 0);
			CHECK(hvs_xlat_last_fault(x[t.cpu])->kind !=
			      HVS_XLAT_FAULT_NONE);
			CHECK(reg == NULL);
			/* the whole reported unmapped region is unmapped:
			 * its last byte too */
			CHECK_STATUS(hvs_xlat_translate(x[t.cpu],
							t.gva + (um - 1),
							NULL, NULL, NULL),
				     HVS_E_NOTPRESENT);
		}
		/* the stepwise trace reaches the same answer, and every
		 * entry it read lies in the core */
		{
			hvs_xlat_walk w;
			hvs_status ws = hvs_xlat_walk_init(x[t.cpu], &w, t.gva);
			unsigned k;
			while (ws == HVS_OK && !w.done)
				ws = hvs_xlat_walk_step(x[t.cpu], &w);
			CHECK_EQ(ws, s);
			if (t.mapped)
				CHECK_EQ(w.gpa, t.gpa);
			else
				CHECK_EQ(w.unmapped_size, um);
			for (k = 0; k < w.nsteps; k++) {
				uint8_t e[8];
				CHECK_OK(core_read(&c, w.steps[k].entry_gpa, e,
						   gd->mode == HVS_PAGING_X86_32
							   ? 4 : 8));
			}
		}
		g_checked++;
	}
	CHECK(g_checked > 0);

	/* 6. Pages that are not in the core are read errors, never zeros
	 * and never "not mapped": a data page the walker lists but the
	 * pruned core lacks, and a page-table root outside the core. */
	for (i = 0; i < 2; i++) {
		size_t j;
		for (j = 0; j < maps[i].n; j++) {
			uint8_t b[8];
			size_t done = 99;
			if (core_read(&c, maps[i].r[j].gpa, b, 8) == HVS_OK)
				continue;
			CHECK_STATUS(hvs_xlat_read(x[i], maps[i].r[j].gva, b, 8,
						   &done), HVS_E_NODATA);
			CHECK_EQ(done, 0);
			break;
		}
		CHECK(j < maps[i].n || maps[i].n == 0);
	}
	{
		hvs_paging_regs r;
		hvs_xlat *bad = NULL;
		uint8_t b[8];
		uint64_t hole = 0x7ff000;
		memset(&r, 0, sizeof r);
		/* find a page that is not in the core for the root */
		while (core_read(&c, hole, b, 8) == HVS_OK)
			hole += 0x1000;
		if (gd->arm) {
			r.arch = HVS_XLAT_ARCH_ARM64;
			r.sctlr = 1;
			r.tcr = UINT64_C(0x500074b5503510);
			r.ttbr0 = hole;
		} else {
			r.arch = HVS_XLAT_ARCH_X86;
			r.mode = gd->mode;
			r.cr0 = 0x80050033;
			r.cr3 = hole;
			r.efer = 0xd01;
			r.cr4 = gd->mode == HVS_PAGING_X64_5LEVEL ? 0x1000 : 0;
		}
		CHECK_OK(hvs_xlat_new(&bad, &r, core_read, &c, 0, NULL));
		CHECK_STATUS(hvs_xlat_translate(bad, 0x1000, NULL, NULL, NULL),
			     HVS_E_NODATA);
		hvs_xlat_free(bad);
	}
	for (i = 0; i < 2; i++) {
		hvs_xlat_free(x[i]);
		free(maps[i].r);
	}
	free(c.data);
	free(regs_js);
	free(truth);
}

static void test_xlat_guests__aarch64(void) { run_guest(&guests[0]); }
static void test_xlat_guests__i386_pae(void) { run_guest(&guests[1]); }
static void test_xlat_guests__i386(void) { run_guest(&guests[2]); }
static void test_xlat_guests__x86_64_la57(void) { run_guest(&guests[3]); }
static void test_xlat_guests__x86_64_pti(void) { run_guest(&guests[4]); }
static void test_xlat_guests__x86_64(void) { run_guest(&guests[5]); }

static void test_xlat_guests__summary(void)
{
	printf("    %zu truth entries checked (%zu mapped), %zu mappings "
	       "listed by the walker\n", g_checked, g_mapped, g_regions);
	if (!g_checked)
		SKIP("no guest was available");
}

TEST_MAIN(TEST(test_xlat_guests__aarch64), TEST(test_xlat_guests__i386_pae),
	  TEST(test_xlat_guests__i386), TEST(test_xlat_guests__x86_64_la57),
	  TEST(test_xlat_guests__x86_64_pti), TEST(test_xlat_guests__x86_64),
	  TEST(test_xlat_guests__summary))
