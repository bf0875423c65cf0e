/* SPDX-License-Identifier: MIT */
/*
 * Saved-state writer (include/hvs/vmrs_writer.h).  Files are written with
 * the fixture generator (tests/gen) and checked with code that does not
 * share the writer's logic: the container is read with the store reader,
 * descriptors and chunks are decoded here from the offsets of
 * ../shared/spec/format.md (3.2, 4.1, 5.1-5.5), token streams are walked
 * here and expanded with the codec's decoder.
 */
#include <stdio.h>

#include "test.h"
#include "gen_vmrs.h"
#include "codec/codec.h"

#define MIB 0x100000u
#define PAGE 4096u

/* ---------------------------------------------------------- helpers */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Read a whole key value into malloc'd memory (NULL if missing). */
static uint8_t *read_value(hvs_store *st, const char *path, size_t *len)
{
	const hvs_key *k;
	uint8_t *buf;
	size_t done;

	if (hvs_store_find(st, path, &k) != HVS_OK)
		return NULL;
	*len = (size_t)hvs_key_value_size(k);
	buf = malloc(*len ? *len : 1);
	if (!buf)
		return NULL;
	if (hvs_key_read(st, k, 0, buf, *len, &done) != HVS_OK || done != *len) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int key_exists(hvs_store *st, const char *path)
{
	const hvs_key *k;

	return hvs_store_find(st, path, &k) == HVS_OK;
}

/* One parsed chunk of a partition_state blob. */
typedef struct pchunk {
	uint32_t id, len;
	const uint8_t *p; /* chunk start (header included) */
} pchunk;

/* Independent partition_state walker (format.md 5.1/5.2): checks the
 * envelope and returns the chunks up to and including EPILOG. */
static int walk_ps(const uint8_t *b, size_t n, pchunk *out, size_t cap,
		   size_t *count)
{
	size_t off, k = 0;

	if (n < 40 || le64(b) != 24 || le64(b + 8) != 24 || le64(b + 16) != n)
		return 0;
	off = (size_t)le64(b + 8) + 16;
	while (off + 16 <= n && k < cap) {
		uint32_t id = le32(b + off), len = le32(b + off + 4);

		if (le64(b + off + 8) != 0 || off + 16 + len > n)
			return 0;
		out[k].id = id;
		out[k].len = len;
		out[k].p = b + off;
		k++;
		off += 16 + (size_t)len;
		if (id == 0xF0000000u)
			break;
	}
	*count = k;
	/* The stream must end exactly with the EPILOG at total_size. */
	return k > 0 && out[k - 1].id == 0xF0000000u && off == n;
}

/* Load and walk /savedstate/savedVM/partition_state. */
static uint8_t *load_ps(hvs_store *st, pchunk *ch, size_t cap, size_t *count)
{
	size_t n;
	uint8_t *b = read_value(st, "/savedstate/savedVM/partition_state", &n);

	if (b && !walk_ps(b, n, ch, cap, count)) {
		free(b);
		return NULL;
	}
	return b;
}

/* Where format.md 5.3 puts each x64 register: chunk id, offset from the
 * chunk start, and which packing.  Kinds: 8 = u64 at off; 16 = lo/hi
 * pair at off/off+8; 'S' = segment {u64 base, u32 limit, u16 sel, u16
 * attr}; 'T' = table {pad[3], u16 limit @+6, u64 base @+8}; 'F' = FP
 * control {u16 FCW, u16 FSW, u8 FTW, u8 rsvd, u16 FOP, u64 IP}; 'X' = XMM
 * control {u64 DP, u32 MXCSR, u32 MASK}; 'C' = u8 (CPL). */
typedef struct regloc {
	hvs_reg reg;
	uint32_t chunk;
	uint32_t off;
	int kind;
} regloc;

static size_t x64_locs(regloc *l)
{
	size_t n = 0, i;
	static const hvs_reg cr[] = { HVS_REG_X64_CR0, HVS_REG_X64_CR2,
		HVS_REG_X64_CR3, HVS_REG_X64_CR4, HVS_REG_X64_CR8, HVS_REG_X64_EFER };
	static const hvs_reg dr[] = { HVS_REG_X64_DR0, HVS_REG_X64_DR1,
		HVS_REG_X64_DR2, HVS_REG_X64_DR3, HVS_REG_X64_DR6, HVS_REG_X64_DR7 };
	static const hvs_reg seg[] = { HVS_REG_X64_ES, HVS_REG_X64_CS,
		HVS_REG_X64_SS, HVS_REG_X64_DS, HVS_REG_X64_FS, HVS_REG_X64_GS,
		HVS_REG_X64_LDTR, HVS_REG_X64_TR };
	static const hvs_reg gp[] = { HVS_REG_X64_RAX, HVS_REG_X64_RCX,
		HVS_REG_X64_RDX, HVS_REG_X64_RBX, HVS_REG_X64_RSP, HVS_REG_X64_RBP,
		HVS_REG_X64_RSI, HVS_REG_X64_RDI, HVS_REG_X64_R8, HVS_REG_X64_R9,
		HVS_REG_X64_R10, HVS_REG_X64_R11, HVS_REG_X64_R12, HVS_REG_X64_R13,
		HVS_REG_X64_R14, HVS_REG_X64_R15, HVS_REG_X64_RIP, HVS_REG_X64_RFLAGS };
	static const struct { hvs_reg r; uint32_t slot; } vmsr[] = {
		{ HVS_REG_X64_TSC, 0 }, { HVS_REG_X64_KERNEL_GS_BASE, 1 },
		{ HVS_REG_X64_APIC_BASE, 2 }, { HVS_REG_X64_STAR, 7 },
		{ HVS_REG_X64_LSTAR, 8 }, { HVS_REG_X64_CSTAR, 9 },
		{ HVS_REG_X64_SFMASK, 10 } };

	for (i = 0; i < 18; i++)
		l[n++] = (regloc){ gp[i], 0x30005000u, 0x10 + 8 * (uint32_t)i, 8 };
	for (i = 0; i < 16; i++)
		l[n++] = (regloc){ (hvs_reg)(HVS_REG_X64_XMM0 + i), 0x30006000u,
				   0x10 + 16 * (uint32_t)i, 16 };
	for (i = 0; i < 8; i++)
		l[n++] = (regloc){ (hvs_reg)(HVS_REG_X64_FPMMX0 + i), 0x30006000u,
				   0x110 + 16 * (uint32_t)i, 16 };
	l[n++] = (regloc){ HVS_REG_X64_FP_CONTROL_STATUS, 0x30006000u, 0x190, 'F' };
	l[n++] = (regloc){ HVS_REG_X64_XMM_CONTROL_STATUS, 0x30006000u, 0x1A0, 'X' };
	for (i = 0; i < 6; i++)
		l[n++] = (regloc){ cr[i], 0x30007000u, 0x10 + 8 * (uint32_t)i, 8 };
	for (i = 0; i < 6; i++)
		l[n++] = (regloc){ dr[i], 0x30008000u, 0x10 + 8 * (uint32_t)i, 8 };
	for (i = 0; i < 8; i++)
		l[n++] = (regloc){ seg[i], 0x30009000u, 0x10 + 16 * (uint32_t)i, 'S' };
	l[n++] = (regloc){ HVS_REG_X64_CPL, 0x30009000u, 0x90, 'C' };
	l[n++] = (regloc){ HVS_REG_X64_IDTR, 0x3000A000u, 0x10, 'T' };
	l[n++] = (regloc){ HVS_REG_X64_GDTR, 0x3000A000u, 0x20, 'T' };
	l[n++] = (regloc){ HVS_REG_X64_XCR0, 0x3000D000u, 0x10, 8 };
	for (i = 0; i < 7; i++)
		l[n++] = (regloc){ vmsr[i].r, 0x3000B000u, 0x10 + 8 * vmsr[i].slot, 8 };
	return n;
}

static size_t arm64_locs(regloc *l)
{
	size_t n = 0, i;
	static const hvs_reg tail[] = { HVS_REG_ARM64_FP, HVS_REG_ARM64_LR,
		HVS_REG_ARM64_PC /* = ELR_EL2 */, HVS_REG_ARM64_CPSR /* = SPSR_EL2 */,
		HVS_REG_ARM64_ESR_EL1, HVS_REG_ARM64_SPSR_EL1, HVS_REG_ARM64_FAR_EL1,
		HVS_REG_ARM64_PAR_EL1, HVS_REG_ARM64_ELR_EL1, HVS_REG_ARM64_SP_EL0,
		HVS_REG_ARM64_SP_EL1, HVS_REG_ARM64_AFSR0_EL1, HVS_REG_ARM64_AFSR1_EL1 };
	static const hvs_reg cr[] = { HVS_REG_ARM64_VMPIDR_EL2,
		HVS_REG_ARM64_VPIDR_EL2, HVS_REG_ARM64_SCTLR_EL1,
		HVS_REG_ARM64_ACTLR_EL1, HVS_REG_ARM64_TCR_EL1, HVS_REG_ARM64_MAIR_EL1,
		HVS_REG_ARM64_TPIDR_EL1, HVS_REG_ARM64_AMAIR_EL1,
		HVS_REG_ARM64_TPIDRRO_EL0, HVS_REG_ARM64_TPIDR_EL0,
		HVS_REG_ARM64_CONTEXTIDR_EL1, HVS_REG_ARM64_CPACR_EL1,
		HVS_REG_ARM64_CSSELR_EL1, HVS_REG_ARM64_CNTKCTL_EL1,
		HVS_REG_ARM64_CNTV_CVAL_EL0, HVS_REG_ARM64_CNTV_CTL_EL0 };

	for (i = 0; i < 29; i++)
		l[n++] = (regloc){ (hvs_reg)(HVS_REG_ARM64_X0 + i), 0x30005000u,
				   0x10 + 8 * (uint32_t)i, 8 };
	for (i = 0; i < 13; i++)
		l[n++] = (regloc){ tail[i], 0x30005000u, 0xF8 + 8 * (uint32_t)i, 8 };
	for (i = 0; i < 16; i++)
		l[n++] = (regloc){ cr[i], 0x30007000u, 0x10 + 8 * (uint32_t)i, 8 };
	l[n++] = (regloc){ HVS_REG_ARM64_TTBR0_EL1, 0x3000A000u, 0x10, 8 };
	l[n++] = (regloc){ HVS_REG_ARM64_TTBR1_EL1, 0x3000A000u, 0x18, 8 };
	l[n++] = (regloc){ HVS_REG_ARM64_VBAR_EL1, 0x3000A000u, 0x20, 8 };
	for (i = 0; i < 32; i++)
		l[n++] = (regloc){ (hvs_reg)(HVS_REG_ARM64_Q0 + i), 0x30006000u,
				   0x10 + 16 * (uint32_t)i, 16 };
	l[n++] = (regloc){ HVS_REG_ARM64_FPSR, 0x30006000u, 0x210, 8 };
	l[n++] = (regloc){ HVS_REG_ARM64_FPCR, 0x30006000u, 0x218, 8 };
	return n;
}

/* Compare one register at its format.md location with gen_std_reg(). */
static int check_loc(const uint8_t *c, const regloc *l, hvs_arch arch,
		     uint32_t vp, uint32_t vtl)
{
	hvs_regval e;
	const uint8_t *p = c + l->off;

	gen_std_reg(arch, vp, vtl, l->reg, &e);
	switch (l->kind) {
	case 8:
		return le64(p) == e.lo;
	case 16:
		return le64(p) == e.lo && le64(p + 8) == e.hi;
	case 'S':
		return le64(p) == e.lo && le32(p + 8) == (uint32_t)e.hi &&
		       le16(p + 12) == (uint16_t)(e.hi >> 32) &&
		       le16(p + 14) == (uint16_t)(e.hi >> 48);
	case 'T':
		return le16(p) == 0 && le16(p + 2) == 0 && le16(p + 4) == 0 &&
		       le16(p + 6) == (uint16_t)e.lo && le64(p + 8) == e.hi;
	case 'F':
		return le16(p) == (uint16_t)e.lo &&
		       le16(p + 2) == (uint16_t)(e.lo >> 16) &&
		       p[4] == (uint8_t)(e.lo >> 32) && p[5] == 0 &&
		       le16(p + 6) == (uint16_t)(e.lo >> 48) && le64(p + 8) == e.hi;
	case 'X':
		return le64(p) == e.lo && le32(p + 8) == (uint32_t)e.hi &&
		       le32(p + 12) == (uint32_t)(e.hi >> 32);
	case 'C':
		return p[0] == (uint8_t)e.lo;
	default:
		return 0;
	}
}

/* Check every register of one VTL section [first, end) of the chunks. */
static int check_vtl_regs(const pchunk *ch, size_t first, size_t end,
			  hvs_arch arch, uint32_t vp, uint32_t vtl)
{
	regloc locs[200];
	size_t n = arch == HVS_ARCH_ARM64 ? arm64_locs(locs) : x64_locs(locs);
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = first; j < end && ch[j].id != locs[i].chunk; j++)
			;
		if (j == end || !check_loc(ch[j].p, &locs[i], arch, vp, vtl)) {
			printf("    register %s of VP %u VTL %u wrong or missing\n",
			       hvs_reg_name(locs[i].reg), (unsigned)vp,
			       (unsigned)vtl);
			return 0;
		}
	}
	return 1;
}

/* Expected bytes of RamBlock @blk in the standard layout @r. */
static void expected_block(const gen_range *r, size_t nr, uint64_t blk,
			   uint8_t *out)
{
	uint64_t first = 0;
	size_t i;

	memset(out, 0, MIB);
	for (i = 0; i < nr; i++) {
		uint64_t nblk = (r[i].size + MIB - 1) / MIB;

		if (blk < first + nblk) {
			uint64_t off = (blk - first) * MIB;
			uint64_t n = r[i].size - off < MIB ? r[i].size - off : MIB;

			gen_mem_fill(r[i].gpa + off, out, (size_t)n);
			return;
		}
		first += nblk;
	}
}

/* Token counts of a RamBlock stream, walked here (format.md 4.1). */
typedef struct tokcount {
	unsigned fill, run, run_pages, page_raw, page_x, sized, end;
	size_t pages;
} tokcount;

static int walk_tokens(const uint8_t *p, size_t n, tokcount *t)
{
	size_t off = 0;

	memset(t, 0, sizeof *t);
	while (off + 4 <= n) {
		uint32_t tok = le32(p + off);

		if (tok == 0xFFFFFFFFu) {
			t->end++;
			off += 4;
			break;
		} else if (tok == 0xFFFFFFFEu) {
			t->fill++;
			t->pages++;
			off += 12;
		} else if (tok == 0xFFFFFFFDu) {
			t->run++;
			t->run_pages += le32(p + off + 12);
			t->pages += le32(p + off + 12);
			off += 16;
		} else if (tok == 0xFFFFFFFCu) {
			t->sized++;
			t->pages += le32(p + off + 4) / PAGE;
			off += 12 + le32(p + off + 8);
		} else if (tok >= 1 && tok <= PAGE) {
			if (tok == PAGE)
				t->page_raw++;
			else
				t->page_x++;
			t->pages++;
			off += 4 + tok;
		} else {
			return 0;
		}
	}
	/* Ends with the end token, exactly at the value's end. */
	return t->end == 1 && off == n && t->pages == 256;
}

/* Check every RamBlock of a standard-layout file; count token kinds. */
static int check_blocks(hvs_store *st, const gen_range *r, size_t nr,
			int want_raw, tokcount *sum)
{
	uint8_t *exp = malloc(MIB), *dec = malloc(MIB);
	uint64_t nblk = 0, b;
	size_t i;
	int ok = exp && dec;
	char name[64];

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < nr; i++)
		nblk += (r[i].size + MIB - 1) / MIB;
	for (b = 0; ok && b < nblk; b++) {
		size_t n = 0;
		uint8_t *v;

		snprintf(name, sizeof name, "/savedstate/RamBlock%llu",
			 (unsigned long long)b);
		v = read_value(st, name, &n);
		expected_block(r, nr, b, exp);
		if (!v) {
			printf("    %s missing\n", name);
			ok = 0;
		} else if (n == MIB) {
			if (want_raw == 0)
				printf("    note: %s stored raw\n", name);
			ok = memcmp(v, exp, MIB) == 0;
		} else {
			tokcount t = { 0 };

			ok = want_raw != 1 && n < MIB && walk_tokens(v, n, &t) &&
			     hvs__ramblock_decode(v, n, dec, 0, NULL, NULL) == HVS_OK &&
			     memcmp(dec, exp, MIB) == 0;
			sum->fill += t.fill;
			sum->run += t.run;
			sum->run_pages += t.run_pages;
			sum->page_raw += t.page_raw;
			sum->page_x += t.page_x;
			sum->sized += t.sized;
		}
		if (!ok)
			printf("    %s (%zu bytes) does not hold the expected memory\n",
			       name, n);
		free(v);
	}
	snprintf(name, sizeof name, "/savedstate/RamBlock%llu",
		 (unsigned long long)nblk);
	if (ok && key_exists(st, name)) {
		printf("    %s should not exist\n", name);
		ok = 0;
	}
	free(exp);
	free(dec);
	return ok;
}

/* Check descriptor RamMemoryBlock@i against format.md 3.2. */
static int check_desc(hvs_store *st, unsigned i, uint64_t pages, uint64_t mbp,
		      uint64_t gpa_page)
{
	char name[64];
	size_t n;
	uint8_t *d;
	int ok;

	snprintf(name, sizeof name, "/savedstate/RamMemoryBlock%u", i);
	d = read_value(st, name, &n);
	ok = d && n == 48 && le32(d) == 3 && le32(d + 4) == 0 &&
	     le64(d + 8) == pages && le64(d + 16) == mbp &&
	     le64(d + 24) == gpa_page && le32(d + 32) == 0 && le32(d + 36) == 0 &&
	     le64(d + 40) == 0;
	if (!ok)
		printf("    %s: wrong or missing\n", name);
	free(d);
	return ok;
}

static hvs_store *open_store(const char *path)
{
	hvs_store *st = NULL;
	hvs_open_opts o;
	char err[HVS_ERRMSG_MAX] = "";

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	if (hvs_store_open_file(&st, path, &o) != HVS_OK) {
		printf("    store open %s: %s\n", path, err);
		return NULL;
	}
	return st;
}

static int64_t get_int(hvs_store *st, const char *path)
{
	const hvs_key *k;
	int64_t v = -1;

	if (hvs_store_find(st, path, &k) == HVS_OK &&
	    hvs_key_get_type(k) == HVS_KEY_INT)
		hvs_key_get_int(st, k, &v);
	return v;
}

/* ------------------------------------------------------------ tests */

/* Version keys, descriptors and raw blocks of the standard x64 fixture
 * (three ranges around two MMIO gaps, the first one a partial block). */
static void test_vmrs_writer__x64_raw_layout(void)
{
	const char *path = gen_vmrs_x64_2vp("w_x64_raw.vmrs", HVS_VMRS_ENC_RAW);
	const gen_range *r;
	size_t nr;
	tokcount t;
	hvs_store *st;

	CHECK(path);
	st = open_store(path);
	CHECK(st);
	CHECK_EQ(get_int(st, "/savedstate/VmVersion"), 0x900);
	CHECK_EQ(get_int(st, "/configuration/properties/version"), 0x900);
	CHECK(!key_exists(st, "/savedstate/type"));
	r = gen_std_ranges(HVS_ARCH_X64, &nr);
	CHECK_EQ(nr, 3);
	/* [0, 0xA0000): 160 pages in RamBlock0 (padded); [1M, 8M): 7 blocks
	 * from page 256; [4G, 4G+2M): from page (1 + 7) * 256. */
	CHECK(check_desc(st, 0, 0xA0, 0, 0));
	CHECK(check_desc(st, 1, 0x700, 256, 0x100));
	CHECK(check_desc(st, 2, 0x200, 2048, 0x100000));
	CHECK(!key_exists(st, "/savedstate/RamMemoryBlock3"));
	CHECK(check_blocks(st, r, nr, 1, &t));
	hvs_store_close(st);
}

/* Expected x64 chunk order of a VTL0-only VP (openvmm's order + VMSRs). */
static const uint32_t x64_vtl_chunks[] = {
	0x3001A000u, 0x30005000u, 0x30007000u, 0x30009000u, 0x3000A000u,
	0x30008000u, 0x30006000u, 0x3000D000u, 0x3000B000u
};
static const uint32_t x64_vtl_lens[] = { 16, 144, 48, 144, 32, 48, 416, 64, 96 };

/* partition_state of 4 x64 VPs: chunk order, lengths, every register. */
static void test_vmrs_writer__x64_partition_state(void)
{
	gen_fixture f;
	const char *path = test_tmp_path("w_x64_4vp.vmrs");
	char err[HVS_ERRMSG_MAX];
	pchunk ch[256];
	size_t n, k, vp, i;
	hvs_store *st;
	uint8_t *b;

	memset(&f, 0, sizeof f);
	f.vp_count = 4;
	f.ranges = (const gen_range[]){ { 0, MIB } };
	f.range_count = 1;
	f.vendor = HVS_VMRS_VENDOR_AMD;
	f.savedstate_type = "Snapshot";
	CHECK_OK(gen_vmrs_write(path, &f, err, sizeof err));
	st = open_store(path);
	CHECK(st);
	{
		char s[32];
		const hvs_key *key;

		CHECK_OK(hvs_store_find(st, "/savedstate/type", &key));
		CHECK_OK(hvs_key_get_string(st, key, s, sizeof s, NULL));
		CHECK_STR(s, "Snapshot");
	}
	b = load_ps(st, ch, 256, &n);
	CHECK(b);
	/* PROLOG 4080, OS_ID, PARTITION_VTL 0, VP_INDICES, 4 x (VP + 9), EPILOG */
	CHECK_EQ(n, 4 + 4 * 10 + 1);
	CHECK_EQ(ch[0].id, 0);
	CHECK_EQ(ch[0].len, 4080);
	CHECK_EQ(le32(ch[0].p + 0x10), 0x50546475);
	CHECK_EQ(le32(ch[0].p + 0x18), 0); /* AMD */
	CHECK_EQ(ch[1].id, 0x20001000u);
	CHECK_EQ(ch[1].len, 16);
	CHECK_EQ(le64(ch[1].p + 0x10), gen_std_os_id(0));
	CHECK_EQ(ch[2].id, 0x20008000u);
	CHECK_EQ(ch[2].p[0x10], 0);
	CHECK_EQ(ch[3].id, 0x30000000u);
	CHECK_EQ(ch[3].len, 12); /* u32 BSP + 8-byte bitmap */
	CHECK_EQ(le32(ch[3].p + 0x10), 0);
	CHECK_EQ(ch[3].p[0x14], 0x0F);
	for (i = 1; i < 8; i++)
		CHECK_EQ(ch[3].p[0x14 + i], 0);
	for (vp = 0, k = 4; vp < 4; vp++) {
		size_t first;

		CHECK_EQ(ch[k].id, 0x30001000u);
		CHECK_EQ(ch[k].len, 16);
		CHECK_EQ(le32(ch[k].p + 0x10), vp);
		k++;
		first = k;
		for (i = 0; i < 9; i++, k++) {
			CHECK_EQ(ch[k].id, x64_vtl_chunks[i]);
			CHECK_EQ(ch[k].len, x64_vtl_lens[i]);
		}
		CHECK_EQ(ch[first].p[0x10], 0); /* VP_VTL 0 */
		CHECK(check_vtl_regs(ch, first, k, HVS_ARCH_X64, (uint32_t)vp, 0));
	}
	/* A few values spelled out, in case gen_std_reg changes. */
	CHECK_EQ(le64(ch[5 + 1].p + 0x90), 0xFFFFF80000001000ull); /* VP0 RIP */
	CHECK_EQ(le64(ch[5 + 2].p + 0x20), 0x1AD000);             /* VP0 CR3 */
	CHECK_EQ(ch[15 + 3].p[0x90], 3);                          /* VP1 CPL */
	CHECK_EQ(le16(ch[15 + 3].p + 0x2C), 0x33);                /* VP1 CS */
	CHECK_EQ(ch[k].id, 0xF0000000u);
	CHECK_EQ(ch[k].len, 0);
	free(b);
	hvs_store_close(st);
}

/* VTL0 + VTL1: partition VTL markers, per-VTL OS ids, control pages with
 * VtlIsRunnable on the active VTL, different register values per VTL. */
static void test_vmrs_writer__x64_vtl(void)
{
	const char *path = gen_vmrs_x64_vtl("w_x64_vtl.vmrs");
	pchunk ch[256];
	size_t n, k, vp, i;
	uint32_t v;
	hvs_store *st;
	uint8_t *b;

	CHECK(path);
	st = open_store(path);
	CHECK(st);
	b = load_ps(st, ch, 256, &n);
	CHECK(b);
	/* PROLOG OS_ID PVTL0 PVTL1 OS_ID(1) VP_INDICES, 2 x (VP + 2 x (VTL +
	 * control page + 8 register chunks)), EPILOG */
	CHECK_EQ(n, 6 + 2 * (1 + 2 * 10) + 1);
	CHECK_EQ(ch[1].id, 0x20001000u);
	CHECK_EQ(le64(ch[1].p + 0x10), gen_std_os_id(0));
	CHECK_EQ(ch[2].id, 0x20008000u);
	CHECK_EQ(ch[2].p[0x10], 0);
	CHECK_EQ(ch[3].id, 0x20008000u);
	CHECK_EQ(ch[3].p[0x10], 1);
	CHECK_EQ(ch[4].id, 0x20001000u);
	CHECK_EQ(le64(ch[4].p + 0x10), gen_std_os_id(1));
	CHECK_EQ(ch[5].id, 0x30000000u);
	CHECK_EQ(ch[5].p[0x14], 0x03);
	for (vp = 0, k = 6; vp < 2; vp++) {
		CHECK_EQ(ch[k].id, 0x30001000u);
		CHECK_EQ(le32(ch[k].p + 0x10), vp);
		k++;
		for (v = 0; v < 2; v++) {
			size_t first = k;

			CHECK_EQ(ch[k].id, 0x3001A000u);
			CHECK_EQ(ch[k].p[0x10], v);
			k++;
			CHECK_EQ(ch[k].id, 0x30018000u);
			CHECK_EQ(ch[k].len, 32);
			for (i = 0x10; i < 0x28; i++)
				CHECK_EQ(ch[k].p[i], 0);
			CHECK_EQ(ch[k].p[0x28], v == 1); /* VTL1 active */
			k++;
			for (i = 1; i < 9; i++, k++)
				CHECK_EQ(ch[k].id, x64_vtl_chunks[i]);
			CHECK(check_vtl_regs(ch, first, k, HVS_ARCH_X64,
					     (uint32_t)vp, v));
		}
	}
	/* VP0 CR3 differs per VTL: 0x1AD000 vs 0x2AD000. */
	CHECK_EQ(le64(ch[7 + 3].p + 0x20), 0x1AD000);
	CHECK_EQ(le64(ch[7 + 13].p + 0x20), 0x2AD000);
	CHECK_EQ(ch[k].id, 0xF0000000u);
	free(b);
	hvs_store_close(st);
}

/* ARM64: vendor, chunk order and sizes, PC/CPSR in ELR_EL2/SPSR_EL2,
 * descriptors and (MIXED) blocks. */
static void test_vmrs_writer__arm64(void)
{
	const char *path = gen_vmrs_arm64_2vp("w_arm64.vmrs", HVS_VMRS_ENC_MIXED);
	static const uint32_t ids[] = { 0x3001A000u, 0x30005000u, 0x30007000u,
					0x3000A000u, 0x30006000u };
	static const uint32_t lens[] = { 16, 336, 128, 32, 528 };
	const gen_range *r;
	pchunk ch[64];
	size_t n, k, vp, i, nr;
	hvs_store *st;
	tokcount t;
	uint8_t *b;

	CHECK(path);
	st = open_store(path);
	CHECK(st);
	b = load_ps(st, ch, 64, &n);
	CHECK(b);
	CHECK_EQ(n, 4 + 2 * 6 + 1);
	CHECK_EQ(le32(ch[0].p + 0x18), 0x10); /* ARM */
	for (vp = 0, k = 4; vp < 2; vp++) {
		size_t first;

		CHECK_EQ(ch[k].id, 0x30001000u);
		k++;
		first = k;
		for (i = 0; i < 5; i++, k++) {
			CHECK_EQ(ch[k].id, ids[i]);
			CHECK_EQ(ch[k].len, lens[i]);
		}
		CHECK(check_vtl_regs(ch, first, k, HVS_ARCH_ARM64, (uint32_t)vp, 0));
	}
	/* VP0: PC at ELR_EL2 (+0x108), CPSR at SPSR_EL2 (+0x110); VP1 in EL0. */
	CHECK_EQ(le64(ch[5 + 1].p + 0x108), 0xFFFF800010001000ull);
	CHECK_EQ(le64(ch[5 + 1].p + 0x110), 0x3C5);
	CHECK_EQ(le64(ch[11 + 1].p + 0x110), 0x80000000ull);
	CHECK_EQ(le64(ch[5 + 3].p + 0x10), 0x40010000ull); /* TTBR0 */
	free(b);
	r = gen_std_ranges(HVS_ARCH_ARM64, &nr);
	CHECK(check_desc(st, 0, 0x400, 0, 0x40000));
	CHECK(check_desc(st, 1, 0x100, 1024, 0x48000));
	CHECK(check_blocks(st, r, nr, 0, &t));
	CHECK(t.fill > 0 && t.run > 0);
	hvs_store_close(st);
}

/* MIXED: uniform pages become fill tokens with their pattern, pairs run
 * tokens, the zero padding one run; everything decodes to the memory. */
static void test_vmrs_writer__mixed_tokens(void)
{
	const char *path = gen_vmrs_x64_2vp("w_x64_mixed.vmrs", HVS_VMRS_ENC_MIXED);
	const gen_range *r;
	size_t nr, n, off;
	hvs_store *st;
	tokcount t;
	uint8_t *v;
	int seen9 = 0, seen67 = 0, seenpad = 0;

	CHECK(path);
	st = open_store(path);
	CHECK(st);
	r = gen_std_ranges(HVS_ARCH_X64, &nr);
	CHECK(check_blocks(st, r, nr, 0, &t));
	/* RamBlock0 holds pages 0..159 then 96 zero pages: per 16 pages one
	 * zero fill (pfn%16 5), one pattern fill (9) and a run of 2 (6, 7). */
	v = read_value(st, "/savedstate/RamBlock0", &n);
	CHECK(v);
	CHECK(n < MIB);
	CHECK(walk_tokens(v, n, &t));
	CHECK_EQ(t.fill, 20);
	CHECK_EQ(t.run, 11);
	CHECK_EQ(t.run_pages, 20 + 96);
	CHECK_EQ(t.page_raw + t.page_x, 120);
	CHECK(t.page_x > 0);
	/* Find the exact records. */
	for (off = 0; off + 4 <= n;) {
		uint32_t tok = le32(v + off);

		if (tok == 0xFFFFFFFFu)
			break;
		if (tok == 0xFFFFFFFEu) {
			if (le64(v + off + 4) == 9 * 0x0101010101010101ull)
				seen9 = 1;
			off += 12;
		} else if (tok == 0xFFFFFFFDu) {
			if (le64(v + off + 4) == 0x1122334455667788ull &&
			    le32(v + off + 12) == 2)
				seen67 = 1;
			if (le64(v + off + 4) == 0 && le32(v + off + 12) == 96)
				seenpad = 1;
			off += 16;
		} else {
			off += 4 + tok;
		}
	}
	CHECK(seen9 && seen67 && seenpad);
	free(v);
	hvs_store_close(st);
}

/* XPRESS: page tokens only (no fills), every block a stream < 1 MiB. */
static void test_vmrs_writer__xpress_pages(void)
{
	gen_fixture f;
	const char *path = test_tmp_path("w_xpress.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_store *st;
	tokcount t;

	memset(&f, 0, sizeof f);
	f.ranges = (const gen_range[]){ { 0, 0x180000 } };
	f.range_count = 1;
	f.vp_count = 1;
	f.encoding = HVS_VMRS_ENC_XPRESS;
	CHECK_OK(gen_vmrs_write(path, &f, err, sizeof err));
	st = open_store(path);
	CHECK(st);
	CHECK(check_blocks(st, f.ranges, 1, 0, &t));
	CHECK_EQ(t.fill + t.run + t.sized, 0);
	CHECK_EQ(t.page_x + t.page_raw, 512);
	CHECK(t.page_x >= 384); /* zero pages and the padding compress */
	hvs_store_close(st);
}

/* Arbitrary VP indices: VP_INDICES bitmap size and bits (openvmm rule:
 * max(index / 8 + 1, 8) bytes padded to 4). */
static void test_vmrs_writer__vp_indices(void)
{
	static const uint32_t idx[] = { 9, 0, 3, 70 };
	const char *path = test_tmp_path("w_vpidx.vmrs");
	hvs_vmrs_writer *w = NULL;
	pchunk ch[128];
	size_t n, i;
	hvs_store *st;
	uint8_t *b;
	hvs_regval rip = { 0x1234, 0 };

	CHECK_OK(hvs_vmrs_writer_create(&w, path, NULL));
	for (i = 0; i < 4; i++)
		CHECK_OK(hvs_vmrs_writer_add_vp(w, idx[i], 0));
	CHECK_OK(hvs_vmrs_writer_set_reg(w, 70, 0, HVS_REG_X64_RIP, &rip));
	CHECK_OK(hvs_vmrs_writer_finish(w));
	hvs_vmrs_writer_close(w);
	st = open_store(path);
	CHECK(st);
	CHECK(!key_exists(st, "/savedstate/RamMemoryBlock0"));
	b = load_ps(st, ch, 128, &n);
	CHECK(b);
	CHECK_EQ(ch[3].id, 0x30000000u);
	CHECK_EQ(ch[3].len, 4 + 12);
	CHECK_EQ(le32(ch[3].p + 0x10), 9); /* first added */
	CHECK_EQ(ch[3].p[0x14], 0x09);     /* 0, 3 */
	CHECK_EQ(ch[3].p[0x15], 0x02);     /* 9 */
	CHECK_EQ(ch[3].p[0x14 + 8], 0x40); /* 70 */
	/* VPs in the order added; no VIRTUAL_MSRS when no slot was set;
	 * VP 70's RIP; CPL from CS.RPL (0). */
	CHECK_EQ(ch[4].id, 0x30001000u);
	CHECK_EQ(le32(ch[4].p + 0x10), 9);
	CHECK_EQ(n, 4 + 4 * 9 + 1);
	CHECK_EQ(le32(ch[4 + 27].p + 0x10), 70);
	CHECK_EQ(le64(ch[4 + 27 + 2].p + 0x90), 0x1234);
	for (i = 0; i < n; i++)
		CHECK(ch[i].id != 0x3000B000u);
	free(b);
	hvs_store_close(st);
}

/* Misuse is reported as HVS_E_INVALID (or UNSUPPORTED) with a message. */
static void test_vmrs_writer__misuse(void)
{
	const char *path = test_tmp_path("w_misuse.vmrs");
	hvs_vmrs_writer_opts o;
	hvs_vmrs_writer *w = NULL;
	hvs_regval v = { 1, 0 };
	char err[HVS_ERRMSG_MAX];

	memset(&o, 0, sizeof o);
	o.errbuf = err;
	o.errbuf_size = sizeof err;
	o.vm_version = 0x500;
	CHECK_STATUS(hvs_vmrs_writer_create(&w, path, &o), HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "0x500"));
	o.vm_version = 0;
	o.vendor = HVS_VMRS_VENDOR_ARM;
	CHECK_STATUS(hvs_vmrs_writer_create(&w, path, &o), HVS_E_INVALID);
	o.vendor = HVS_VMRS_VENDOR_DEFAULT;
	CHECK_OK(hvs_vmrs_writer_create(&w, path, &o));
	CHECK_OK(hvs_vmrs_writer_add_vp(w, 0, 0x3));
	CHECK_STATUS(hvs_vmrs_writer_add_vp(w, 0, 1), HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_add_vp(w, 5000, 1), HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_set_reg(w, 0, 2, HVS_REG_X64_RAX, &v),
		     HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_set_reg(w, 1, 0, HVS_REG_X64_RAX, &v),
		     HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_set_reg(w, 0, 0, HVS_REG_ARM64_X0, &v),
		     HVS_E_INVALID);
	CHECK(strstr(hvs_vmrs_writer_errmsg(w), "x64"));
	CHECK_STATUS(hvs_vmrs_writer_set_active_vtl(w, 0, 2), HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_add_range(w, 0x800, 0x1000), HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_add_range(w, 0, 0), HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_add_range(w, 0xFFFFFFFFFFFFF000ull, 0x2000),
		     HVS_E_INVALID);
	CHECK_OK(hvs_vmrs_writer_add_range(w, 0x100000, 0x2000));
	CHECK_STATUS(hvs_vmrs_writer_add_range(w, 0x101000, 0x1000), HVS_E_INVALID);
	CHECK_OK(hvs_vmrs_writer_write_memory(w, NULL, 0x1000));
	CHECK_STATUS(hvs_vmrs_writer_add_range(w, 0x200000, 0x1000), HVS_E_INVALID);
	CHECK_STATUS(hvs_vmrs_writer_finish(w), HVS_E_INVALID);
	CHECK(strstr(hvs_vmrs_writer_errmsg(w), "4096 of 8192"));
	CHECK_STATUS(hvs_vmrs_writer_write_memory(w, NULL, 0x2000), HVS_E_INVALID);
	CHECK(strstr(hvs_vmrs_writer_errmsg(w), "only 4096"));
	CHECK_OK(hvs_vmrs_writer_write_memory(w, NULL, 0x1000));
	CHECK_OK(hvs_vmrs_writer_finish(w));
	CHECK_STATUS(hvs_vmrs_writer_add_vp(w, 1, 1), HVS_E_INVALID);
	hvs_vmrs_writer_close(w);
	hvs_vmrs_writer_close(NULL);
}

/* A read callback error aborts the write and is returned. */
static hvs_status failing_read(void *ud, uint64_t gpa, void *buf, size_t len)
{
	(void)ud;
	(void)buf;
	(void)len;
	return gpa >= 0x200000 ? HVS_E_IO : HVS_OK;
}

static void test_vmrs_writer__callback_error(void)
{
	const char *path = test_tmp_path("w_cberr.vmrs");
	hvs_vmrs_writer *w = NULL;

	CHECK_OK(hvs_vmrs_writer_create(&w, path, NULL));
	CHECK_OK(hvs_vmrs_writer_add_range(w, 0, 0x400000));
	CHECK_STATUS(hvs_vmrs_writer_write_memory_cb(w, failing_read, NULL),
		     HVS_E_IO);
	CHECK(strstr(hvs_vmrs_writer_errmsg(w), "0x200000"));
	CHECK_STATUS(hvs_vmrs_writer_finish(w), HVS_E_INVALID);
	hvs_vmrs_writer_close(w);
}

/* 240 raw blocks: more file objects than one object table holds (227
 * slots, format.md 2.10), so the tables chain; the last block reads back. */
static void test_vmrs_writer__many_blocks(void)
{
	gen_fixture f;
	const char *path = test_tmp_path("w_many.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_store_info info;
	hvs_store *st;
	uint8_t *v;
	size_t n, i;
	char pathbuf[4096];

	snprintf(pathbuf, sizeof pathbuf, "%s", path);
	memset(&f, 0, sizeof f);
	f.vp_count = 1;
	f.ranges = (const gen_range[]){ { 0, 0xA0000 }, { 0x100000, 239u * MIB } };
	f.range_count = 2;
	f.fill_zero = 1;
	CHECK_OK(gen_vmrs_write(pathbuf, &f, err, sizeof err));
	st = open_store(pathbuf);
	CHECK(st);
	hvs_store_get_info(st, &info);
	CHECK(info.file_object_count >= 240);
	CHECK(info.object_table_count >= 2);
	CHECK(check_desc(st, 1, 239u * 256, 256, 0x100));
	v = read_value(st, "/savedstate/RamBlock239", &n);
	CHECK(v);
	CHECK_EQ(n, MIB);
	for (i = 0; i < n && v[i] == 0; i++)
		;
	CHECK_EQ(i, MIB);
	free(v);
	CHECK(!key_exists(st, "/savedstate/RamBlock240"));
	hvs_store_close(st);
	remove(pathbuf);
}

/* OOM injection: every allocation failing in turn gives HVS_E_NOMEM, no
 * leak, and eventually success. */
static void test_vmrs_writer__oom(void)
{
	const char *path = test_tmp_path("w_oom.vmrs");
	char pathbuf[4096], err[HVS_ERRMSG_MAX];
	test_failalloc fa;
	gen_fixture f;
	long n;
	hvs_status s = HVS_E_NOMEM;

	snprintf(pathbuf, sizeof pathbuf, "%s", path);
	memset(&f, 0, sizeof f);
	f.vp_count = 2;
	f.vtl_mask = 3;
	f.ranges = (const gen_range[]){ { 0, 0x3000 }, { 0x100000, 0x1000 } };
	f.range_count = 2;
	f.encoding = HVS_VMRS_ENC_MIXED;
	f.alloc = &fa.a;
	for (n = 1; n < 10000; n++) {
		test_failalloc_init(&fa, n);
		s = gen_vmrs_write(pathbuf, &f, err, sizeof err);
		CHECK_EQ(fa.live, 0);
		if (s == HVS_OK)
			break;
		if (s != HVS_E_NOMEM) {
			printf("    allocation %ld: %s\n", n, err);
			CHECK_STATUS(s, HVS_E_NOMEM);
		}
	}
	CHECK_OK(s);
	CHECK(n > 5);
	{
		hvs_store *st = open_store(pathbuf);

		CHECK(st);
		CHECK(check_desc(st, 1, 1, 256, 0x100));
		hvs_store_close(st);
	}
}

/* Round trip through the library's reader (hvs_image), written by other
 * code from the same spec: every register it reports equals the
 * fixture's, memory reads back, the MMIO gaps are not backed. */
static int roundtrip(const char *path, hvs_arch arch, uint32_t nvp,
		     uint32_t vtl_mask)
{
	static const hvs_reg core_x64[] = { HVS_REG_X64_RIP, HVS_REG_X64_CR3,
		HVS_REG_X64_CS, HVS_REG_X64_GDTR, HVS_REG_X64_XMM0,
		HVS_REG_X64_FP_CONTROL_STATUS, HVS_REG_X64_EFER };
	static const hvs_reg core_arm[] = { HVS_REG_ARM64_PC, HVS_REG_ARM64_CPSR,
		HVS_REG_ARM64_TTBR1_EL1, HVS_REG_ARM64_Q0, HVS_REG_ARM64_SP_EL1 };
	hvs_image *img = NULL;
	const gen_range *r;
	size_t nr, i;
	uint32_t vp, v;
	unsigned reg;
	uint8_t *got = malloc(MIB), *exp = malloc(MIB);
	int ok = got && exp;
	hvs_status s = hvs_image_open(&img, path, NULL);

	if (s != HVS_OK) {
		printf("    hvs_image_open: %s\n", hvs_strerror(s));
		ok = 0;
	}
	if (ok && hvs_image_vp_count(img) != nvp)
		ok = 0;
	for (vp = 0; ok && vp < nvp; vp++) {
		for (v = 0; ok && v < 16; v++) {
			size_t ncore = arch == HVS_ARCH_ARM64 ? 5 : 7;

			if (!(vtl_mask >> v & 1))
				continue;
			for (reg = 0; ok && reg < HVS_REG_COUNT; reg++) {
				hvs_regval a, e;

				if (hvs_reg_kind((hvs_reg)reg) == HVS_REGKIND_NONE ||
				    hvs_reg_arch((hvs_reg)reg) != arch)
					continue;
				s = hvs_image_get_reg(img, vp, (int)v, (hvs_reg)reg, &a);
				if (s == HVS_E_NOTFOUND)
					continue; /* the reader may not expose it */
				gen_std_reg(arch, vp, v, (hvs_reg)reg, &e);
				if (s != HVS_OK || a.lo != e.lo || a.hi != e.hi) {
					printf("    VP %u VTL %u %s: %s 0x%" PRIx64 "/0x%" PRIx64
					       "\n", (unsigned)vp, (unsigned)v,
					       hvs_reg_name((hvs_reg)reg), hvs_strerror(s),
					       a.lo, a.hi);
					ok = 0;
				}
			}
			for (i = 0; ok && i < ncore; i++) {
				hvs_regval a;
				hvs_reg c = arch == HVS_ARCH_ARM64 ? core_arm[i] : core_x64[i];

				if (hvs_image_get_reg(img, vp, (int)v, c, &a) != HVS_OK) {
					printf("    %s not readable\n", hvs_reg_name(c));
					ok = 0;
				}
			}
		}
	}
	r = gen_std_ranges(arch, &nr);
	for (i = 0; ok && i < nr; i++) {
		uint64_t off;

		for (off = 0; ok && off < r[i].size; off += MIB) {
			size_t n = (size_t)(r[i].size - off < MIB ? r[i].size - off : MIB);

			gen_mem_fill(r[i].gpa + off, exp, n);
			ok = hvs_image_read(img, HVS_SPACE_GPA, r[i].gpa + off, got, n,
					    NULL) == HVS_OK && memcmp(got, exp, n) == 0;
		}
		/* The byte after each range is a gap. */
		ok = ok && hvs_image_read(img, HVS_SPACE_GPA, r[i].gpa + r[i].size,
					  got, 1, NULL) == HVS_E_NODATA;
	}
	hvs_image_close(img);
	free(got);
	free(exp);
	return ok;
}

static void test_vmrs_writer__roundtrip_reader(void)
{
	const char *p;

	p = gen_vmrs_x64_2vp("w_rt_x64.vmrs", HVS_VMRS_ENC_MIXED);
	CHECK(p);
	CHECK(roundtrip(p, HVS_ARCH_X64, 2, 1));
	p = gen_vmrs_x64_vtl("w_rt_vtl.vmrs");
	CHECK(p);
	CHECK(roundtrip(p, HVS_ARCH_X64, 2, 3));
	p = gen_vmrs_arm64_2vp("w_rt_arm.vmrs", HVS_VMRS_ENC_XPRESS);
	CHECK(p);
	CHECK(roundtrip(p, HVS_ARCH_ARM64, 2, 1));
}

/* xorshift64: deterministic incompressible bytes. */
static void prng_fill(uint64_t *state, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t x = *state;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*state = x;
		p[i] = (uint8_t)(x >> 32);
	}
}

/* Incompressible memory: a block of random bytes is stored as a raw 1 MiB
 * value in every encoding (a stream would not fit below 1 MiB); random
 * pages inside a stream become raw page tokens (prefix 4096). */
static void test_vmrs_writer__incompressible(void)
{
	static const hvs_vmrs_encoding encs[] = { HVS_VMRS_ENC_XPRESS,
						  HVS_VMRS_ENC_MIXED };
	const char *path = test_tmp_path("w_random.vmrs");
	uint8_t *mem = malloc(2 * MIB), *v = NULL;
	hvs_vmrs_writer_opts o;
	hvs_vmrs_writer *w = NULL;
	hvs_store *st;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	size_t i, n;
	tokcount t;

	CHECK(mem);
	prng_fill(&seed, mem, MIB + MIB / 2);
	memset(mem + MIB + MIB / 2, 0, MIB / 2);
	for (i = 0; i < 2; i++) {
		memset(&o, 0, sizeof o);
		o.encoding = encs[i];
		o.vm_version = 0x0A00;
		CHECK_OK(hvs_vmrs_writer_create(&w, path, &o));
		CHECK_OK(hvs_vmrs_writer_add_range(w, 0, 2 * MIB));
		CHECK_OK(hvs_vmrs_writer_write_memory(w, mem, 2 * MIB));
		CHECK_OK(hvs_vmrs_writer_finish(w));
		hvs_vmrs_writer_close(w);
		st = open_store(path);
		CHECK(st);
		CHECK_EQ(get_int(st, "/savedstate/VmVersion"), 0x0A00);
		CHECK_EQ(get_int(st, "/configuration/properties/version"), 0x0A00);
		v = read_value(st, "/savedstate/RamBlock0", &n);
		CHECK(v);
		CHECK_EQ(n, MIB);
		CHECK_MEM(v, mem, MIB);
		free(v);
		v = read_value(st, "/savedstate/RamBlock1", &n);
		CHECK(v);
		CHECK(n < MIB);
		CHECK(walk_tokens(v, n, &t));
		CHECK_EQ(t.page_raw, 128);
		if (encs[i] == HVS_VMRS_ENC_MIXED) {
			CHECK_EQ(t.run, 1);
			CHECK_EQ(t.run_pages, 128);
		} else {
			CHECK_EQ(t.page_x, 128);
		}
		free(v);
		hvs_store_close(st);
	}
	free(mem);
}

TEST_MAIN(TEST(test_vmrs_writer__x64_raw_layout),
	  TEST(test_vmrs_writer__x64_partition_state),
	  TEST(test_vmrs_writer__x64_vtl),
	  TEST(test_vmrs_writer__arm64),
	  TEST(test_vmrs_writer__mixed_tokens),
	  TEST(test_vmrs_writer__xpress_pages),
	  TEST(test_vmrs_writer__vp_indices),
	  TEST(test_vmrs_writer__misuse),
	  TEST(test_vmrs_writer__callback_error),
	  TEST(test_vmrs_writer__many_blocks),
	  TEST(test_vmrs_writer__oom),
	  TEST(test_vmrs_writer__roundtrip_reader),
	  TEST(test_vmrs_writer__incompressible))
