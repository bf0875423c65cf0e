/* SPDX-License-Identifier: MIT */
/*
 * .vmrs images through hvs_image (src/vmrs/savedstate.c, memory.c,
 * partition.c).
 *
 * Fixtures are written by the saved-state writer (tests/gen/gen_vmrs.h),
 * whose every register and memory byte is computed independently by
 * gen_std_reg() / gen_mem_fill(); broken files are built key by key with
 * the container writer (hvs_store_writer) so each open error is hit
 * exactly.  The one real saved-state-shaped sample, test.VMRS, is a
 * configuration-only file (format.md 10).
 */
#include "test.h"

#include "gen_vmrs.h"
#include "hvs/vmrs_writer.h"
#include "vmrs/savedstate_int.h"

/* Open @path with an errbuf; returns the status, message in @err. */
/* Reason of the last open_img() (hvs_open_opts.reason). */
static hvs_open_reason last_reason;

static hvs_status open_img(hvs_image **img, const char *path, char *err, size_t n)
{
	hvs_image_opts o;
	memset(&o, 0, sizeof o);
	o.base.reason = &last_reason;
	o.base.errbuf = err;
	o.base.errbuf_size = n;
	err[0] = '\0';
	*img = NULL;
	return hvs_image_open(img, path, &o);
}

/* Every register of every VP / VTL equals what the fixture wrote. */
static int regs_match(hvs_image *img, hvs_arch arch, uint32_t nvp, uint32_t mask)
{
	uint32_t vp, vtl;
	unsigned r;
	for (vp = 0; vp < nvp; vp++)
		for (vtl = 0; vtl < 16; vtl++) {
			if (!(mask >> vtl & 1))
				continue;
			for (r = 0; r < HVS_REG_COUNT; r++) {
				hvs_regval want, got;
				if (hvs_reg_kind((hvs_reg)r) == HVS_REGKIND_NONE ||
				    hvs_reg_arch((hvs_reg)r) != arch)
					continue;
				gen_std_reg(arch, vp, vtl, (hvs_reg)r, &want);
				if (hvs_image_get_reg(img, vp, (int)vtl, (hvs_reg)r, &got) != HVS_OK ||
				    got.lo != want.lo || got.hi != want.hi) {
					fprintf(stderr, "VP %u VTL %u %s: got %016" PRIx64 ":%016" PRIx64
						" want %016" PRIx64 ":%016" PRIx64 " (%s)\n", vp, vtl,
						hvs_reg_name((hvs_reg)r), got.hi, got.lo, want.hi,
						want.lo, hvs_image_errmsg(img));
					return 0;
				}
			}
		}
	return 1;
}

/* Every byte of every range equals gen_mem_fill (or zero). */
static int mem_matches(hvs_image *img, int zero)
{
	size_t i, n = hvs_image_range_count(img);
	const hvs_mem_range *r = hvs_image_ranges(img);
	uint8_t *got = malloc(1u << 20), *want = malloc(1u << 20);
	int ok = got && want;
	for (i = 0; i < n && ok; i++) {
		uint64_t a;
		for (a = r[i].gpa; a < r[i].gpa + r[i].size && ok; a += 1u << 20) {
			size_t len = (size_t)HVS__MIN((uint64_t)1 << 20, r[i].gpa + r[i].size - a);
			size_t done = 0;
			if (zero)
				memset(want, 0, len);
			else
				gen_mem_fill(a, want, len);
			if (hvs_image_read(img, HVS_SPACE_GPA, a, got, len, &done) != HVS_OK ||
			    done != len || memcmp(got, want, len) != 0) {
				fprintf(stderr, "memory differs at 0x%" PRIx64 ": %s\n", a,
					hvs_image_errmsg(img));
				ok = 0;
			}
		}
	}
	free(got);
	free(want);
	return ok;
}

/* Check the standard x64 fixture layout, registers and bytes. */
static void check_x64_fixture(const char *path, int zero)
{
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	hvs_partition_info pi;
	hvs_vp_info vi;
	size_t n, i;
	const gen_range *want = gen_std_ranges(HVS_ARCH_X64, &n);
	CHECK(path != NULL);
	CHECK_OK(open_img(&img, path, err, sizeof err));
	CHECK_EQ(hvs_image_get_format(img), HVS_FORMAT_VMRS);
	CHECK(hvs_image_store(img) != NULL);
	CHECK_EQ(hvs_image_range_count(img), n);
	for (i = 0; i < n; i++) {
		CHECK_EQ(hvs_image_ranges(img)[i].gpa, want[i].gpa);
		CHECK_EQ(hvs_image_ranges(img)[i].size, want[i].size);
	}
	CHECK_EQ(hvs_image_vp_count(img), 2);
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.vendor, 1);                    /* Intel, the writer's default */
	CHECK_EQ(pi.vm_version, 0x900);
	CHECK_EQ(pi.vtl_mask, 1);
	CHECK_EQ(pi.arch, HVS_ARCH_X64);
	CHECK_EQ(pi.guest_os_id_mask, 1);
	CHECK_EQ(pi.guest_os_id[0], gen_std_os_id(0));
	for (i = 0; i < 2; i++) {
		CHECK_OK(hvs_image_vp_info(img, (uint32_t)i, &vi));
		CHECK_EQ(vi.index, i);
		CHECK_EQ(vi.arch, HVS_ARCH_X64);       /* EFER.LMA set by the fixture */
		CHECK_EQ(vi.vtl_mask, 1);
		CHECK_EQ(vi.saved_vtl, 0);
	}
	CHECK(regs_match(img, HVS_ARCH_X64, 2, 1));
	CHECK(mem_matches(img, zero));
	/* Every chunk is listed; the register chunks are decoded. */
	CHECK(hvs_image_chunk_count(img) >= 2 * 10 + 5);
	for (i = 0; i < hvs_image_chunk_count(img); i++) {
		const hvs_state_chunk *c = hvs_image_chunk(img, i);
		if (c->id == HVS_CH_VP_GP || c->id == HVS_CH_VP_SEGMENT)
			CHECK(c->decoded && c->vp < 2);
	}
	CHECK_EQ(hvs_image_chunk(img, 0)->id, HVS_CH_PROLOG);
	hvs_image_close(img);
}

static void test_savedstate__x64_raw(void)
{
	check_x64_fixture(gen_vmrs_x64_2vp("ss_x64_raw.vmrs", HVS_VMRS_ENC_RAW), 0);
}

static void test_savedstate__x64_xpress(void)
{
	check_x64_fixture(gen_vmrs_x64_2vp("ss_x64_xpress.vmrs", HVS_VMRS_ENC_XPRESS), 0);
}

static void test_savedstate__x64_mixed(void)
{
	check_x64_fixture(gen_vmrs_x64_2vp("ss_x64_mixed.vmrs", HVS_VMRS_ENC_MIXED), 0);
}

static void test_savedstate__zero_fill(void)
{
	gen_fixture f;
	char err[HVS_ERRMSG_MAX];
	const char *p = test_tmp_path("ss_zero.vmrs");
	memset(&f, 0, sizeof f);
	f.encoding = HVS_VMRS_ENC_MIXED;
	f.fill_zero = 1;
	CHECK_OK(gen_vmrs_write(p, &f, err, sizeof err));
	check_x64_fixture(p, 1);
}

static void test_savedstate__arm64(void)
{
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	hvs_partition_info pi;
	hvs_vp_info vi;
	hvs_regval pc, elr;
	const char *p = gen_vmrs_arm64_2vp("ss_arm64.vmrs", HVS_VMRS_ENC_MIXED);
	CHECK(p != NULL);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.vendor, 0x10);
	CHECK_EQ(pi.arch, HVS_ARCH_ARM64);
	CHECK_OK(hvs_image_vp_info(img, 1, &vi));
	CHECK_EQ(vi.arch, HVS_ARCH_ARM64);
	CHECK(regs_match(img, HVS_ARCH_ARM64, 2, 1));
	/* PC is ELR_EL2 (format.md 5.5 [?]). */
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_PC, &pc));
	CHECK_OK(hvs_image_get_reg(img, 0, HVS_VTL_ACTIVE, HVS_REG_ARM64_ELR_EL2, &elr));
	CHECK_EQ(pc.lo, elr.lo);
	/* An x64 register on an ARM64 VP is a misuse. */
	CHECK_STATUS(hvs_image_get_reg(img, 0, 0, HVS_REG_X64_RAX, &pc), HVS_E_INVALID);
	CHECK(mem_matches(img, 0));
	hvs_image_close(img);
}

static void test_savedstate__vtl(void)
{
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	hvs_partition_info pi;
	hvs_vp_info vi;
	hvs_regval v0, v1, act;
	const char *p = gen_vmrs_x64_vtl("ss_vtl.vmrs");
	CHECK(p != NULL);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.vtl_mask, 3);
	CHECK_EQ(pi.guest_os_id_mask, 3);
	CHECK_EQ(pi.guest_os_id[0], gen_std_os_id(0));
	CHECK_EQ(pi.guest_os_id[1], gen_std_os_id(1));
	CHECK_OK(hvs_image_vp_info(img, 1, &vi));
	CHECK_EQ(vi.vtl_mask, 3);
	CHECK_EQ(vi.saved_vtl, 1);      /* the writer marked VTL1 runnable */
	CHECK_EQ(vi.active_vtl, 1);
	CHECK(regs_match(img, HVS_ARCH_X64, 2, 3));
	CHECK_OK(hvs_image_get_reg(img, 1, 0, HVS_REG_X64_CR3, &v0));
	CHECK_OK(hvs_image_get_reg(img, 1, 1, HVS_REG_X64_CR3, &v1));
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &act));
	CHECK(v0.lo != v1.lo);
	CHECK_EQ(act.lo, v1.lo);
	CHECK_OK(hvs_image_set_active_vtl(img, 1, 0));
	CHECK_OK(hvs_image_get_reg(img, 1, HVS_VTL_ACTIVE, HVS_REG_X64_CR3, &act));
	CHECK_EQ(act.lo, v0.lo);
	CHECK_STATUS(hvs_image_set_active_vtl(img, 1, 2), HVS_E_NOTFOUND);
	hvs_image_close(img);
}

static void test_savedstate__multi_vp(void)
{
	gen_fixture f;
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	const char *p = test_tmp_path("ss_5vp.vmrs");
	hvs_vp_info vi;
	int k;
	memset(&f, 0, sizeof f);
	f.vp_count = 5;
	CHECK_OK(gen_vmrs_write(p, &f, err, sizeof err));
	CHECK_OK(open_img(&img, p, err, sizeof err));
	CHECK_EQ(hvs_image_vp_count(img), 5);
	CHECK(regs_match(img, HVS_ARCH_X64, 5, 1));
	/* Even VPs are in kernel mode, odd ones in user mode (CPL 0 / 3). */
	CHECK_OK(hvs_image_in_kernel(img, 2, &k));
	CHECK_EQ(k, 1);
	CHECK_OK(hvs_image_in_kernel(img, 3, &k));
	CHECK_EQ(k, 0);
	CHECK_OK(hvs_image_vp_info(img, 4, &vi));
	CHECK_EQ(vi.index, 4);
	CHECK_STATUS(hvs_image_vp_info(img, 5, &vi), HVS_E_INVALID);
	hvs_image_close(img);
}

/* Reads that cross into the MMIO gap stop there and report progress. */
static void test_savedstate__gap_reads(void)
{
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	uint8_t buf[64], want[64];
	size_t done = 99;
	uint64_t raw;
	const char *p = gen_vmrs_x64_2vp("ss_gap.vmrs", HVS_VMRS_ENC_MIXED);
	CHECK(p != NULL);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	/* [0, 0xA0000) then a hole up to 0x100000 (gen_vmrs.h standard layout). */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0xA0000 - 16, buf, 32, &done),
		     HVS_E_NODATA);
	CHECK_EQ(done, 16);
	gen_mem_fill(0xA0000 - 16, want, 16);
	CHECK_MEM(buf, want, 16);
	CHECK(strstr(hvs_image_errmsg(img), "0xa0000") != NULL);
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0xFFFF0, buf, 32, &done),
		     HVS_E_NODATA);
	CHECK_EQ(done, 0);
	/* A read spanning two RAM blocks inside a range. */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x1FFFE0, buf, 64, &done));
	gen_mem_fill(0x1FFFE0, want, 64);
	CHECK_MEM(buf, want, 64);
	/* Raw offsets: ranges start on fresh RamBlocks (the writer's layout). */
	CHECK_OK(hvs_image_gpa_to_raw(img, 0x100000, &raw));
	CHECK_EQ(raw, 0x100000);            /* block 0 holds [0, 0xA0000), padded */
	CHECK_OK(hvs_image_gpa_to_raw(img, 0x100000000ull, &raw));
	CHECK_EQ(raw, 0x800000);
	CHECK_STATUS(hvs_image_gpa_to_raw(img, 0xB0000, &raw), HVS_E_NODATA);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_RAW, 0x800000, buf, 16, &done));
	gen_mem_fill(0x100000000ull, want, 16);
	CHECK_MEM(buf, want, 16);
	hvs_image_close(img);
}

/* The decoded-block cache never holds more than its limit. */
static void test_savedstate__cache_limit(void)
{
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	/* Reads above 64 KiB always decode the whole block into the cache. */
	enum { BIG = 128 * 1024 };
	uint8_t *buf = malloc(BIG), *want = malloc(BIG);
	size_t entries, peak, done;
	uint64_t decodes, a;
	const char *p = gen_vmrs_x64_2vp("ss_cache.vmrs", HVS_VMRS_ENC_XPRESS);
	static const uint64_t order[] = { 0x100000, 0x300000, 0x500000, 0x200000,
					  0x700000, 0x100000, 0x400000, 0x600000 };
	size_t i;
	CHECK(p != NULL && buf && want);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	CHECK_EQ(hvs_image_cache_limit(img), HVS_IMAGE_DEFAULT_CACHE_BLOCKS);
	CHECK_OK(hvs_image_set_cache_limit(img, 3));
	for (a = 0; a < 3; a++)
		for (i = 0; i < HVS__ARRAY_SIZE(order); i++) {
			CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, order[i] + a * 8, buf, BIG,
						&done));
			gen_mem_fill(order[i] + a * 8, want, BIG);
			CHECK_MEM(buf, want, BIG);
		}
	hvs__ss_cache_stats(img, &entries, &peak, &decodes);
	CHECK_EQ(peak, 3);
	CHECK_EQ(entries, 3);
	CHECK(decodes > 7);           /* 7 distinct blocks cycle through 3 slots */
	/* Limit 0: only the block in use; setting it drops the cache. */
	CHECK_OK(hvs_image_set_cache_limit(img, 0));
	hvs__ss_cache_stats(img, &entries, &peak, &decodes);
	CHECK_EQ(entries, 0);
	for (i = 0; i < HVS__ARRAY_SIZE(order); i++)
		CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, order[i], buf, BIG, &done));
	hvs__ss_cache_stats(img, &entries, &peak, &decodes);
	CHECK_EQ(entries, 1);
	hvs_image_close(img);
	/* Sequential small reads: each block decoded exactly once. */
	CHECK_OK(open_img(&img, p, err, sizeof err));
	for (a = 0x100000; a < 0x800000; a += 4096) {
		CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, a, buf, 4096, &done));
		gen_mem_fill(a, want, 4096);
		CHECK_MEM(buf, want, 4096);
	}
	hvs__ss_cache_stats(img, &entries, &peak, &decodes);
	CHECK_EQ(decodes, 7);
	hvs_image_close(img);
	free(buf);
	free(want);
}

/* Random small reads decode single pages, not blocks, and stay exact. */
static void test_savedstate__page_reads(void)
{
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	uint8_t buf[9000], want[9000];
	size_t entries, peak, done, i;
	uint64_t decodes, x = 42;
	const hvs__ss *ss;
	const char *p = gen_vmrs_x64_2vp("ss_pages.vmrs", HVS_VMRS_ENC_MIXED);
	CHECK(p != NULL);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	ss = (const hvs__ss *)img->be;
	/* Alternate blocks so that no block is read twice in a row. */
	for (i = 0; i < 200; i++) {
		uint64_t blk = 1 + (i % 2) * 2 + ((i / 2) % 2);   /* blocks 1,3,2,4,... */
		size_t len = 1 + (size_t)(x % 8999);
		uint64_t a;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		a = (blk << 20) + (x >> 20) % ((1u << 20) - len);
		CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, a, buf, len, &done));
		gen_mem_fill(a, want, len);
		CHECK_MEM(buf, want, len);
		CHECK_OK(hvs_image_set_cache_limit(img, 0));  /* keep nothing cached */
	}
	hvs__ss_cache_stats(img, &entries, &peak, &decodes);
	CHECK(ss->page_decodes > 100);
	CHECK(decodes < 200);
	hvs_image_close(img);
}

/* ------------------------------------------------ hand-built containers */

typedef struct rmb {
	uint32_t version, flags;
	uint64_t pages, mbp, gpa_page;
	uint32_t vnode;
} rmb;

/* A minimal partition_state: envelope, PROLOG, VP_INDICES(1 VP), VP 0, GP, EPILOG. */
static size_t mini_ps(uint8_t *b, size_t cap)
{
	size_t o = 40;
	memset(b, 0, cap);
	hvs__put_le64(b + 0, 24);
	hvs__put_le64(b + 8, 24);
	/* PROLOG with vendor Intel */
	hvs__put_le32(b + o, HVS_CH_PROLOG);
	hvs__put_le32(b + o + 4, 16);
	hvs__put_le32(b + o + 0x10, HVS_PROLOG_TAG);
	hvs__put_le32(b + o + 0x18, 1);
	o += 32;
	hvs__put_le32(b + o, HVS_CH_VP_INDICES);
	hvs__put_le32(b + o + 4, 12);
	b[o + 0x14] = 1;
	o += 28;
	hvs__put_le32(b + o, HVS_CH_VP);
	hvs__put_le32(b + o + 4, 4);
	o += 20;
	hvs__put_le32(b + o, HVS_CH_VP_GP);
	hvs__put_le32(b + o + 4, 144);
	hvs__put_le64(b + o + 0x10 + 8, 0x1234);   /* RCX */
	o += 16 + 144;
	hvs__put_le32(b + o, HVS_CH_EPILOG);
	o += 16;
	hvs__put_le64(b + 16, o);
	return o;
}

/* When set, build() stores this value as RamBlock0 instead of raw bytes. */
static const uint8_t *custom_blk0;
static size_t custom_blk0_len;
/* When set: the <= 5.0 layout's configuration version and descriptor size. */
static int64_t custom_v5_version;
static size_t custom_desc_size;
/* When set: an Int key of this name under /savedstate. */
static const char *custom_extra_key;

/*
 * Write a container: /savedstate/VmVersion, optional partition_state
 * (@ps, @ps_len), RamMemoryBlock<i> from @d, RamBlock<i> for each bit of
 * @blocks (raw 1 MiB of byte i+1).  @layout5 uses the <= 5.0 root names.
 */
static hvs_status build(const char *path, const uint8_t *ps, size_t ps_len,
			const rmb *d, size_t nd, uint32_t blocks, int layout5, int config)
{
	hvs_store_writer *w;
	hvs_store_writer_opts wo;
	uint32_t ss = HVS_WRITER_ROOT, sv;
	hvs_status s;
	size_t i;
	char name[64];
	uint8_t *blk = malloc(1u << 20);
	if (!blk)
		return HVS_E_NOMEM;
	memset(&wo, 0, sizeof wo);
	s = hvs_store_writer_create(&w, path, &wo);
	if (s != HVS_OK) {
		free(blk);
		return s;
	}
	if (config) {
		uint32_t c, p;
		s = hvs_store_writer_add_node(w, HVS_WRITER_ROOT, "configuration", &c);
		if (s == HVS_OK)
			s = hvs_store_writer_add_node(w, c, "properties", &p);
		if (s == HVS_OK)
			s = hvs_store_writer_add_int(w, p, "version",
						     layout5 ? (custom_v5_version ? custom_v5_version
										  : 0x500)
							     : 0x900);
	}
	if (!layout5 && s == HVS_OK) {
		s = hvs_store_writer_add_node(w, HVS_WRITER_ROOT, "savedstate", &ss);
		if (s == HVS_OK)
			s = hvs_store_writer_add_int(w, ss, "VmVersion", 0x900);
	}
	if (custom_extra_key && s == HVS_OK)
		s = hvs_store_writer_add_int(w, ss, custom_extra_key, 1);
	if (ps && s == HVS_OK) {
		s = hvs_store_writer_add_node(w, ss, "savedVM", &sv);
		if (s == HVS_OK)
			s = hvs_store_writer_add_array(w, sv, "partition_state", ps, ps_len);
	}
	for (i = 0; i < nd && s == HVS_OK; i++) {
		uint8_t b[48];
		memset(b, 0, sizeof b);
		hvs__put_le32(b + 0, d[i].version);
		hvs__put_le32(b + 4, d[i].flags);
		hvs__put_le64(b + 8, d[i].pages);
		hvs__put_le64(b + 16, d[i].mbp);
		hvs__put_le64(b + 24, d[i].gpa_page);
		hvs__put_le32(b + 32, d[i].vnode);
		snprintf(name, sizeof name, layout5 ? "RamMemoryBlock/%zu/" : "RamMemoryBlock%zu", i);
		s = hvs_store_writer_add_array(w, ss, name, b,
					       custom_desc_size ? custom_desc_size : sizeof b);
	}
	for (i = 0; i < 32 && s == HVS_OK; i++) {
		if (!(blocks >> i & 1))
			continue;
		memset(blk, (int)(i + 1), 1u << 20);
		snprintf(name, sizeof name, layout5 ? "RamBlock/%zu/" : "RamBlock%zu", i);
		if (i == 0 && custom_blk0)
			s = hvs_store_writer_add_array(w, ss, name, custom_blk0, custom_blk0_len);
		else
			s = hvs_store_writer_add_array(w, ss, name, blk, 1u << 20);
	}
	if (s == HVS_OK)
		s = hvs_store_writer_finish(w);
	if (s != HVS_OK)
		fprintf(stderr, "build %s: %s\n", path, hvs_store_writer_errmsg(w));
	hvs_store_writer_close(w);
	free(blk);
	return s;
}

/* Build, open, expect @want with @needle in the message. */
static int expect_open(const char *name, const uint8_t *ps, size_t ps_len, const rmb *d,
		       size_t nd, uint32_t blocks, hvs_status want, const char *needle)
{
	const char *p = test_tmp_path(name);
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	hvs_status s;
	if (build(p, ps, ps_len, d, nd, blocks, 0, 0) != HVS_OK)
		return 0;
	s = open_img(&img, p, err, sizeof err);
	hvs_image_close(img);
	if (s != want || !strstr(err, needle)) {
		fprintf(stderr, "%s: got %d \"%s\", want %d with \"%s\"\n", name, (int)s, err,
			(int)want, needle);
		return 0;
	}
	return 1;
}

static const rmb one_mb = { 3, 0, 256, 0, 0, 0 };

static void test_savedstate__config_only_sample(void)
{
	const char *p = test_shared_path("samples/test.VMRS");
	hvs_image *img;
	char err[HVS_ERRMSG_MAX];
	if (!p)
		SKIP("../shared/samples/test.VMRS is absent");
	CHECK_STATUS(open_img(&img, p, err, sizeof err), HVS_E_NOTFOUND);
	CHECK(strstr(err, "configuration-only") != NULL);
	CHECK(strstr(err, "0x900") != NULL);   /* /configuration/properties/version 2304 */
	CHECK_EQ(last_reason, HVS_REASON_CONFIG_ONLY);
	CHECK(img == NULL);
}

static void test_savedstate__open_errors(void)
{
	uint8_t ps[512];
	size_t n = mini_ps(ps, sizeof ps);
	rmb d[2];
	/* The minimal file opens: 1 VP with RCX = 0x1234, 1 MiB of 0x01. */
	{
		const char *p = test_tmp_path("ss_mini.vmrs");
		char err[HVS_ERRMSG_MAX];
		hvs_image *img;
		hvs_regval v;
		uint8_t b[4];
		size_t done;
		CHECK_OK(build(p, ps, n, &one_mb, 1, 1, 0, 1));
		CHECK_OK(open_img(&img, p, err, sizeof err));
		CHECK_EQ(last_reason, HVS_REASON_NONE);
		CHECK_EQ(hvs_image_vp_count(img), 1);
		CHECK_OK(hvs_image_get_reg(img, 0, 0, HVS_REG_X64_RCX, &v));
		CHECK_EQ(v.lo, 0x1234);
		CHECK_STATUS(hvs_image_get_reg(img, 0, 0, HVS_REG_X64_CR3, &v), HVS_E_NOTFOUND);
		CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0xFFFFE, b, 2, &done));
		CHECK_EQ(b[0], 1);
		hvs_image_close(img);
	}
	/* Running VM: /savedstate without partition_state or memory. */
	CHECK(expect_open("ss_running.vmrs", NULL, 0, NULL, 0, 0, HVS_E_NOTFOUND,
			  "running VM"));
	CHECK_EQ(last_reason, HVS_REASON_NO_PARTITION_STATE);
	/* partition_state present, RamMemoryBlock0 missing. */
	CHECK(expect_open("ss_nomem.vmrs", ps, n, NULL, 0, 1, HVS_E_NOTFOUND,
			  "no /savedstate/RamMemoryBlock0"));
	CHECK_EQ(last_reason, HVS_REASON_NO_MEMORY);
	/* An encryption-named key and no partition_state: encrypted. */
	custom_extra_key = "EncryptedStateBlob";
	CHECK(expect_open("ss_enckey.vmrs", NULL, 0, &one_mb, 1, 1, HVS_E_UNSUPPORTED,
			  "encrypted saved state"));
	CHECK_EQ(last_reason, HVS_REASON_ENCRYPTED);
	custom_extra_key = NULL;
	/* Memory but no partition_state. */
	CHECK(expect_open("ss_nops.vmrs", NULL, 0, &one_mb, 1, 1, HVS_E_NOTFOUND,
			  "no /savedstate/savedVM/partition_state"));
	CHECK_EQ(last_reason, HVS_REASON_NO_PARTITION_STATE);
	/* Overlap in GPA: both descriptors named. */
	d[0] = one_mb;
	d[1] = one_mb;
	d[1].mbp = 256;
	d[1].gpa_page = 255;
	CHECK(expect_open("ss_ovl_gpa.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT,
			  "RamMemoryBlock0 (GPA 0x0-0x100000) and RamMemoryBlock1"));
	/* Overlap in the RAM sequence. */
	d[1].mbp = 128;
	d[1].gpa_page = 0x1000;
	CHECK(expect_open("ss_ovl_ram.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT,
			  "overlap in the saved RAM sequence"));
	/* Past the RAM blocks. */
	d[1].mbp = 256;
	d[1].pages = 512;
	CHECK(expect_open("ss_past.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT,
			  "RamMemoryBlock1: RAM pages 0x100-0x300 reach past the last RAM block"));
	/* Absurd page count overflows the address space. */
	d[1].pages = 1ull << 62;
	CHECK(expect_open("ss_absurd.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT, "overflow"));
	d[1] = one_mb;
	d[1].pages = 0;
	CHECK(expect_open("ss_zero_pages.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT, "page count is 0"));
	d[1] = one_mb;
	d[1].version = 4;
	CHECK(expect_open("ss_ver.vmrs", ps, n, d, 2, 3, HVS_E_UNSUPPORTED, "version 4"));
	d[1] = one_mb;
	d[1].flags = 0x10;
	CHECK(expect_open("ss_flags.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT, "unknown flags 0x10"));
	d[1] = one_mb;
	d[1].vnode = 64;
	CHECK(expect_open("ss_vnode.vmrs", ps, n, d, 2, 3, HVS_E_CORRUPT, "NUMA node 64"));
}

/* Corrupt partition_state streams: each error names the blob offset. */
static void test_savedstate__partition_errors(void)
{
	uint8_t ps[512], bad[512];
	size_t n = mini_ps(ps, sizeof ps);
	/* GP chunk (at 0x78) claims more bytes than the blob holds. */
	memcpy(bad, ps, n);
	hvs__put_le32(bad + 0x78 + 4, 0x10000);
	CHECK(expect_open("ss_ps_long.vmrs", bad, n, &one_mb, 1, 1, HVS_E_CORRUPT,
			  "chunk 0x30005000 at offset 0x78: length 65536 runs past the end"));
	/* Truncated: total_size cuts the GP chunk in half. */
	memcpy(bad, ps, n);
	hvs__put_le64(bad + 16, 0x78 + 100);
	CHECK(expect_open("ss_ps_trunc.vmrs", bad, 0x78 + 100, &one_mb, 1, 1, HVS_E_CORRUPT,
			  "offset 0x78"));
	/* total_size larger than the blob. */
	memcpy(bad, ps, n);
	hvs__put_le64(bad + 16, n + 1);
	CHECK(expect_open("ss_ps_total.vmrs", bad, n, &one_mb, 1, 1, HVS_E_CORRUPT,
			  "exceeds the blob"));
	/* GP chunk too short for 18 registers. */
	memcpy(bad, ps, n);
	hvs__put_le32(bad + 0x78 + 4, 8);
	hvs__put_le32(bad + 0x78 + 24, HVS_CH_EPILOG);
	hvs__put_le32(bad + 0x78 + 28, 0);
	CHECK(expect_open("ss_ps_short.vmrs", bad, n, &one_mb, 1, 1, HVS_E_CORRUPT,
			  "8 payload bytes, expected at least 144"));
	/* VP_INDICES says 2 VPs, one VP marker follows. */
	memcpy(bad, ps, n);
	bad[72 + 0x14] = 3;
	CHECK(expect_open("ss_ps_count.vmrs", bad, n, &one_mb, 1, 1, HVS_E_CORRUPT,
			  "VP_INDICES lists 2 VPs but 1 VP markers follow"));
	/* No VP at all. */
	memcpy(bad, ps, n);
	hvs__put_le32(bad + 72, HVS_CH_EPILOG);
	CHECK(expect_open("ss_ps_novp.vmrs", bad, n, &one_mb, 1, 1, HVS_E_NOTFOUND,
			  "no virtual processor"));
	/* Envelope only 10 bytes. */
	CHECK(expect_open("ss_ps_tiny.vmrs", ps, 10, &one_mb, 1, 1, HVS_E_CORRUPT,
			  "shorter than the 24-byte envelope"));
	/* Random bytes instead of a blob: reported as encrypted. */
	{
		uint32_t x = 12345;
		size_t i;
		for (i = 0; i < sizeof bad; i++) {
			x = x * 1103515245u + 12345u;
			bad[i] = (uint8_t)(x >> 24);
		}
		hvs__put_le64(bad + 16, 1ull << 40);
		CHECK(expect_open("ss_ps_enc.vmrs", bad, sizeof bad, &one_mb, 1, 1,
				  HVS_E_UNSUPPORTED, "encrypted"));
	}
}

/* Missing RamBlock keys: the pages are unavailable, the rest reads. */
static void test_savedstate__sparse_blocks(void)
{
	uint8_t ps[512], b[32];
	size_t n = mini_ps(ps, sizeof ps), done;
	rmb d = { 3, 0, 768, 0, 0, 0 };
	const char *p = test_tmp_path("ss_sparse.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	CHECK_OK(build(p, ps, n, &d, 1, 0x5, 0, 0));   /* blocks 0 and 2 */
	CHECK_OK(open_img(&img, p, err, sizeof err));
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x200000, b, 4, &done));
	CHECK_EQ(b[0], 3);
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0xFFFF0, b, 32, &done), HVS_E_NODATA);
	CHECK_EQ(done, 16);
	CHECK_EQ(b[15], 1);
	CHECK(strstr(hvs_image_errmsg(img), "RAM block 1") != NULL);
	hvs_image_close(img);
}

/* The <= 5.0 layout: root keys named "RamBlock/0/", /savedVM/partition_state. */
static void test_savedstate__layout_v5(void)
{
	uint8_t ps[512], b[4];
	size_t n = mini_ps(ps, sizeof ps), done;
	rmb d = { 3, 0, 256, 0, 0x100, 0 };
	const char *p = test_tmp_path("ss_v5.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	hvs_partition_info pi;
	CHECK_OK(build(p, ps, n, &d, 1, 1, 1, 1));
	CHECK_OK(open_img(&img, p, err, sizeof err));
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.vm_version, 0x500);
	CHECK_EQ(hvs_image_ranges(img)[0].gpa, 0x100000);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x100000, b, 4, &done));
	CHECK_EQ(b[0], 1);
	CHECK_EQ(hvs_image_vp_count(img), 1);
	hvs_image_close(img);
}

/*
 * A token-stream block with one damaged XPRESS page: that page fails
 * (CORRUPT), every other page reads, whatever the order and size of the
 * reads (small reads decode single pages, large ones the whole block).
 */
static void test_savedstate__damaged_page(void)
{
	uint8_t ps[512], kinds[256], b[64], want[64];
	uint8_t *blk = malloc(1u << 20), *st = malloc(HVS__RAMBLOCK_ENCODE_BOUND), *big;
	hvs__ramblock_index *idx = malloc(sizeof *idx);
	size_t n = mini_ps(ps, sizeof ps), slen = 0, done = 0;
	const char *p = test_tmp_path("ss_damaged.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	int order;
	CHECK(blk && st && idx);
	gen_mem_fill(0, blk, 1u << 20);
	memset(kinds, HVS__RB_RAW, sizeof kinds);
	kinds[5] = HVS__RB_XPRESS;
	CHECK_OK(hvs__ramblock_encode(blk, kinds, st, HVS__RAMBLOCK_ENCODE_BOUND, &slen));
	CHECK(slen < (1u << 20));
	CHECK_OK(hvs__ramblock_index_build(idx, st, slen, 0, NULL));
	/* Page 5: u32 size S < 4096, then the XPRESS stream; zero its first
	 * flag word so that 32 literals are asked for where matches were. */
	CHECK(hvs__le32(st + idx->tok_off[5]) < 4096);
	memset(st + idx->tok_off[5] + 4, 0, 4);
	custom_blk0 = st;
	custom_blk0_len = slen;
	CHECK_OK(build(p, ps, n, &one_mb, 1, 1, 0, 0));
	custom_blk0 = NULL;
	for (order = 0; order < 2; order++) {
		CHECK_OK(open_img(&img, p, err, sizeof err));
		if (order == 1) {
			/* Whole-block read first: stops at page 5. */
			big = malloc(1u << 20);
			CHECK(big != NULL);
			CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 0, big, 1u << 20, &done),
				     HVS_E_CORRUPT);
			CHECK_EQ(done, 5 * 4096);
			CHECK_MEM(big, blk, 5 * 4096);
			free(big);
		}
		CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 4 * 4096 + 8, b, sizeof b, &done));
		gen_mem_fill(4 * 4096 + 8, want, sizeof want);
		CHECK_MEM(b, want, sizeof b);
		CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 5 * 4096 + 8, b, 8, &done),
			     HVS_E_CORRUPT);
		CHECK_EQ(done, 0);
		CHECK(strstr(hvs_image_errmsg(img), "RAM block 0") != NULL);
		CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 6 * 4096, b, sizeof b, &done));
		gen_mem_fill(6 * 4096, want, sizeof want);
		CHECK_MEM(b, want, sizeof b);
		hvs_image_close(img);
	}
	free(blk);
	free(st);
	free(idx);
}

/* VM version 4.0: 40-byte descriptors (format.md 3.1, DECOMP [M]). */
static void test_savedstate__vm_v4(void)
{
	uint8_t ps[512], b[4];
	size_t n = mini_ps(ps, sizeof ps), done;
	rmb d = { 3, 0, 256, 0, 0x200, 0 };
	const char *p = test_tmp_path("ss_v4.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	hvs_partition_info pi;
	hvs_status s;
	custom_v5_version = 0x400;
	custom_desc_size = 40;
	s = build(p, ps, n, &d, 1, 1, 1, 1);
	custom_desc_size = 0;
	CHECK_OK(s);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.vm_version, 0x400);
	CHECK_EQ(hvs_image_ranges(img)[0].gpa, 0x200000);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0x200000, b, 4, &done));
	CHECK_EQ(b[0], 1);
	hvs_image_close(img);
	/* A 48-byte descriptor in a 4.0 file is refused with both sizes named. */
	s = build(p, ps, n, &d, 1, 1, 1, 1);
	custom_v5_version = 0;
	CHECK_OK(s);
	CHECK_STATUS(open_img(&img, p, err, sizeof err), HVS_E_CORRUPT);
	CHECK(strstr(err, "RamMemoryBlock0: 48 bytes, expected 40") != NULL);
}

static void count_problem(void *ud, hvs_status kind, uint64_t offset, const char *msg)
{
	(void)kind;
	(void)offset;
	if (strstr(msg, "VP_VIRTUAL_MSRS") && strstr(msg, "not decoded"))
		(*(int *)ud)++;
}

/*
 * A VP_VIRTUAL_MSRS chunk shorter than the (low-confidence, format.md 5.3
 * [L]) 96-byte layout: the saved state still opens, the chunk is listed
 * undecoded, its registers read as not saved, the registers of the other
 * chunks are there, and the problem sink hears about it.
 */
static void test_savedstate__short_low_confidence_chunk(void)
{
	uint8_t ps[512];
	size_t n = mini_ps(ps, sizeof ps), i;
	const char *p = test_tmp_path("ss_short_vmsr.vmrs");
	char err[HVS_ERRMSG_MAX] = "";
	hvs_image_opts o;
	hvs_image *img = NULL;
	hvs_regval v;
	int problems = 0, listed = 0;

	/* Insert a 40-byte VP_VIRTUAL_MSRS chunk before the EPILOG (n - 16). */
	memmove(ps + n - 16 + 56, ps + n - 16, 16);
	memset(ps + n - 16, 0, 56);
	hvs__put_le32(ps + n - 16, HVS_CH_VP_VIRTUAL_MSRS);
	hvs__put_le32(ps + n - 16 + 4, 40);
	hvs__put_le64(ps + n - 16 + 0x18, 0xfffff80000abc000ull);
	n += 56;
	hvs__put_le64(ps + 16, n);
	CHECK_OK(build(p, ps, n, &one_mb, 1, 1, 0, 1));
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	o.base.problem = count_problem;
	o.base.problem_ud = &problems;
	CHECK_OK(hvs_image_open(&img, p, &o));
	CHECK_EQ(problems, 1);
	CHECK_OK(hvs_image_get_reg(img, 0, 0, HVS_REG_X64_RCX, &v));
	CHECK_EQ(v.lo, 0x1234);
	CHECK_STATUS(hvs_image_get_reg(img, 0, 0, HVS_REG_X64_KERNEL_GS_BASE, &v),
		     HVS_E_NOTFOUND);
	for (i = 0; i < hvs_image_chunk_count(img); i++) {
		const hvs_state_chunk *c = hvs_image_chunk(img, i);
		if (c->id == HVS_CH_VP_VIRTUAL_MSRS) {
			CHECK_EQ(c->size, 40);
			CHECK_EQ(c->decoded, 0);
			listed++;
		}
	}
	CHECK_EQ(listed, 1);
	hvs_image_close(img);
	/* Without a sink the open succeeds all the same. */
	CHECK_OK(open_img(&img, p, err, sizeof err));
	hvs_image_close(img);
}

/*
 * The first header copy torn (signature gone): the file is still found to
 * be a saved state through copy 1 at 0x1000, and opens (format.md 2.2).
 */
static void test_savedstate__header0_damaged(void)
{
	uint8_t ps[512];
	size_t n = mini_ps(ps, sizeof ps), len;
	const char *p = test_tmp_path("ss_hdr0.vmrs");
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	hvs_regval v;
	uint8_t *f;
	CHECK_OK(build(p, ps, n, &one_mb, 1, 1, 0, 1));
	f = test_read_file(p, &len);
	CHECK(f != NULL && len > 0x2000);
	memset(f, 0, 4);
	CHECK(test_write_file(p, f, len) == 0);
	free(f);
	CHECK_OK(open_img(&img, p, err, sizeof err));
	CHECK_EQ(hvs_image_get_format(img), HVS_FORMAT_VMRS);
	CHECK_OK(hvs_image_get_reg(img, 0, 0, HVS_REG_X64_RCX, &v));
	CHECK_EQ(v.lo, 0x1234);
	hvs_image_close(img);
}

/* Header intact, tables random: "encrypted saved state", never a crash. */
static void test_savedstate__encrypted_container(void)
{
	const char *p = gen_vmrs_x64_2vp("ss_enc.vmrs", HVS_VMRS_ENC_RAW);
	size_t len, i;
	uint8_t *f;
	uint32_t x = 777;
	char err[HVS_ERRMSG_MAX];
	hvs_image *img;
	CHECK(p != NULL);
	f = test_read_file(p, &len);
	CHECK(f != NULL && len > 0x10000);
	for (i = 0x2000; i < len; i++) {
		x = x * 1103515245u + 12345u;
		f[i] = (uint8_t)(x >> 24);
	}
	p = test_tmp_path("ss_enc2.vmrs");
	CHECK(test_write_file(p, f, len) == 0);
	free(f);
	CHECK_STATUS(open_img(&img, p, err, sizeof err), HVS_E_UNSUPPORTED);
	CHECK(strstr(err, "encrypted saved state") != NULL);
}

/* Every allocation failure during open is reported as HVS_E_NOMEM, no leak. */
static void test_savedstate__oom(void)
{
	const char *p = gen_vmrs_x64_2vp("ss_oom.vmrs", HVS_VMRS_ENC_MIXED);
	long i;
	int completed = 0;
	CHECK(p != NULL);
	for (i = 1; i < 5000 && !completed; i++) {
		test_failalloc fa;
		hvs_image_opts o;
		hvs_image *img = NULL;
		hvs_status s;
		uint8_t b[16];
		size_t done;
		test_failalloc_init(&fa, i);
		memset(&o, 0, sizeof o);
		o.base.alloc = &fa.a;
		s = hvs_image_open(&img, p, &o);
		if (s == HVS_OK) {
			s = hvs_image_read(img, HVS_SPACE_GPA, 0x100000, b, sizeof b, &done);
			completed = s == HVS_OK;
			CHECK(s == HVS_OK || s == HVS_E_NOMEM);
			hvs_image_close(img);
		} else {
			CHECK_STATUS(s, HVS_E_NOMEM);
		}
		CHECK_EQ(fa.live, 0);
	}
	CHECK(completed);
}

TEST_MAIN(TEST(test_savedstate__x64_raw), TEST(test_savedstate__x64_xpress),
	  TEST(test_savedstate__x64_mixed), TEST(test_savedstate__zero_fill),
	  TEST(test_savedstate__arm64), TEST(test_savedstate__vtl),
	  TEST(test_savedstate__multi_vp), TEST(test_savedstate__gap_reads),
	  TEST(test_savedstate__cache_limit), TEST(test_savedstate__page_reads),
	  TEST(test_savedstate__config_only_sample),
	  TEST(test_savedstate__open_errors), TEST(test_savedstate__partition_errors),
	  TEST(test_savedstate__sparse_blocks), TEST(test_savedstate__damaged_page), TEST(test_savedstate__layout_v5), TEST(test_savedstate__vm_v4),
	  TEST(test_savedstate__encrypted_container), TEST(test_savedstate__header0_damaged),
	  TEST(test_savedstate__short_low_confidence_chunk),
	  TEST(test_savedstate__oom))
