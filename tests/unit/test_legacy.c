/* SPDX-License-Identifier: MIT */
/*
 * Legacy .bin (+ .vsv) images through hvs_image (src/vmrs/legacy.c).
 *
 * Expected values for the real sample come from outside this library:
 * rafawo/vmsavedstatetodump-rs's tests run Microsoft's DLL on the same VM
 * (api.md 6: 64512 pages, raw size 264241152, the three u32 at GPA
 * 0xC0FFE, raw offset of 0xC0FFE = 0xC0FFE) and format.md 10 (SHA-256 of
 * the decoded memory, computed with an independent Python decoder).
 */
#include "test.h"
#include "sha256.h"

#include "gen_vmrs.h"
#include "hvs/vmrs_writer.h"
#include "vmrs/savedstate_int.h"

static hvs_image *open_sample(void)
{
	const char *p = test_shared_path("samples/test_file.bin");
	hvs_image *img = NULL;
	hvs_image_opts o;
	char err[HVS_ERRMSG_MAX] = "";
	if (!p)
		return NULL;
	memset(&o, 0, sizeof o);
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	if (hvs_image_open(&img, p, &o) != HVS_OK) {
		fprintf(stderr, "open %s: %s\n", p, err);
		return NULL;
	}
	return img;
}

/* Layout, sizes and the DLL-reported bytes at 0xC0FFE. */
static void test_legacy__sample_layout(void)
{
	hvs_image *img;
	const hvs_mem_range *r;
	uint8_t b[12];
	size_t done = 0;
	uint64_t raw = 0;
	if (!test_shared_path("samples/test_file.bin"))
		SKIP("../shared/samples/test_file.bin is absent");
	img = open_sample();
	CHECK(img != NULL);
	CHECK_EQ(hvs_image_get_format(img), HVS_FORMAT_BIN);
	CHECK(hvs_image_store(img) == NULL);      /* no .vsv beside the sample */
	CHECK_EQ(hvs_image_vp_count(img), 0);
	CHECK_EQ(hvs_image_range_count(img), 1);
	r = hvs_image_ranges(img);
	CHECK_EQ(r[0].gpa, 0);
	CHECK_EQ(r[0].size / 4096, 64512);
	CHECK_EQ(hvs_image_raw_size(img), 264241152u);
	CHECK_OK(hvs_image_gpa_to_raw(img, 0xC0FFE, &raw));
	CHECK_EQ(raw, 0xC0FFE);
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0xC0FFE, b, sizeof b, &done));
	CHECK_EQ(done, 12);
	CHECK_EQ(hvs__le32(b), 75826887u);
	CHECK_EQ(hvs__le32(b + 4), 1235222542u);
	CHECK_EQ(hvs__le32(b + 8), 3439375364u);
	/* Reading past the end stops at the end and says so. */
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_GPA, 264241152u - 4, b, 8, &done),
		     HVS_E_NODATA);
	CHECK_EQ(done, 4);
	CHECK_STATUS(hvs_image_read(img, HVS_SPACE_RAW, 264241152u - 2, b, 8, &done),
		     HVS_E_NODATA);
	CHECK_EQ(done, 2);
	/* 0xC0000: VGA option ROM signature 55 AA (format.md 10). */
	CHECK_OK(hvs_image_read(img, HVS_SPACE_GPA, 0xC0000, b, 2, &done));
	CHECK_EQ(b[0], 0x55);
	CHECK_EQ(b[1], 0xAA);
	hvs_image_close(img);
}

/* SHA-256 of all 252 MiB read through hvs_image_read, 1 MiB at a time. */
static void test_legacy__sample_sha256(void)
{
	hvs_image *img;
	test_sha256 c;
	uint8_t d[32];
	char hex[65];
	uint8_t *buf;
	uint64_t a;
	size_t entries, peak;
	uint64_t decodes;
	if (!test_shared_path("samples/test_file.bin"))
		SKIP("../shared/samples/test_file.bin is absent");
	img = open_sample();
	CHECK(img != NULL);
	CHECK_OK(hvs_image_set_cache_limit(img, 2));
	buf = malloc(1u << 20);
	CHECK(buf != NULL);
	test_sha256_init(&c);
	for (a = 0; a < hvs_image_raw_size(img); a += 1u << 20) {
		size_t done = 0;
		hvs_status s = hvs_image_read(img, HVS_SPACE_GPA, a, buf, 1u << 20, &done);
		if (s != HVS_OK) {
			free(buf);
			hvs_image_close(img);
			CHECK_OK(s);
		}
		test_sha256_update(&c, buf, done);
	}
	free(buf);
	test_sha256_final(&c, d);
	test_sha256_tohex(d, hex);
	CHECK_STR(hex, "7d13f7dd4f79723235366cac0c30e085153d521ebf4c1f6d3b9a65a23ee3e807");
	hvs__ss_cache_stats(img, &entries, &peak, &decodes);
	CHECK_EQ(decodes, 252);     /* each block decoded once, sequentially */
	CHECK(peak <= 2);           /* the cache limit is honoured */
	hvs_image_close(img);
}

/* ------------------------------------------------ generated .bin + .vsv */

/*
 * Write a .bin holding RAM blocks @nums (block n = the gen_vmrs.h pattern
 * at "address" n MiB, i.e. RAM-sequence byte offsets), laid out as the
 * real sample is (format.md 8): header page, 4 KiB-padded token streams,
 * the index, the name table.
 */
static int write_bin(const char *path, const uint32_t *nums, size_t nb)
{
	size_t pos = 0x1000, used = 0, i, len, cap = 16;
	size_t off[8], slen[8];
	uint8_t *st[8], *blk = malloc(HVS__RAMBLOCK_SIZE), *f;
	char names[512];
	uint32_t noff[8];
	int rc = -1;
	if (!blk || nb > 8)
		return -1;
	for (i = 0; i < nb; i++) {
		gen_mem_fill((uint64_t)nums[i] << 20, blk, HVS__RAMBLOCK_SIZE);
		st[i] = malloc(HVS__RAMBLOCK_ENCODE_BOUND);
		if (!st[i] || hvs__ramblock_encode(blk, NULL, st[i], HVS__RAMBLOCK_ENCODE_BOUND,
						   &slen[i]) != HVS_OK)
			return -1;
		off[i] = pos;
		pos += (slen[i] + 4095) & ~(size_t)4095;
		noff[i] = (uint32_t)used;
		used += (size_t)snprintf(names + used, sizeof names - used, "RamBlock/%u/",
					 nums[i]) + 1;
	}
	len = pos + cap * 24 + 0x1000;
	f = calloc(1, len);
	if (f) {
		hvs__put_le32(f + 0x00, 0x02182003);
		hvs__put_le32(f + 0x04, 0x0500);
		hvs__put_le32(f + 0x08, 1);
		hvs__put_le32(f + 0x0C, (uint32_t)cap);
		hvs__put_le64(f + 0x10, pos);
		hvs__put_le64(f + 0x18, pos + cap * 24);
		hvs__put_le32(f + 0x20, 0x1000);
		hvs__put_le32(f + 0x24, (uint32_t)used);
		memcpy(f + pos + cap * 24, names, used);
		for (i = 0; i < nb; i++) {
			uint8_t *e = f + pos + i * 24;
			memcpy(f + off[i], st[i], slen[i]);
			hvs__put_le32(e + 0, noff[i]);
			hvs__put_le16(e + 4, (uint16_t)(strlen(names + noff[i]) + 1));
			e[6] = e[7] = 1;
			hvs__put_le32(e + 8, (uint32_t)((slen[i] + 4095) & ~(size_t)4095));
			hvs__put_le32(e + 12, (uint32_t)slen[i]);
			hvs__put_le64(e + 16, off[i]);
		}
		rc = test_write_file(path, f, len);
	}
	for (i = 0; i < nb; i++)
		free(st[i]);
	free(f);
	free(blk);
	return rc;
}

/* The partition_state blob of a generated 2-VP x64 .vmrs (malloc'd). */
static uint8_t *gen_partition_state(size_t *len)
{
	const char *p = gen_vmrs_x64_2vp("lg_src.vmrs", HVS_VMRS_ENC_RAW);
	hvs_store *st;
	const hvs_key *k;
	uint8_t *b = NULL;
	if (!p || hvs_store_open_file(&st, p, NULL) != HVS_OK)
		return NULL;
	if (hvs_store_find(st, "/savedstate/savedVM/partition_state", &k) == HVS_OK) {
		*len = (size_t)hvs_key_value_size(k);
		b = malloc(*len);
		if (b && hvs_key_read(st, k, 0, b, *len, NULL) != HVS_OK) {
			free(b);
			b = NULL;
		}
	}
	hvs_store_close(st);
	return b;
}

/*
 * Write a .vsv with the <= 5.0 key names (format.md 3.1 [M]):
 * /configuration/properties/version = 0x500, /savedVM/partition_state
 * (if @ps), and root keys "RamMemoryBlock/<i>/" for @nd descriptors
 * {gpa_page, mbp, pages}.
 */
static int write_vsv(const char *path, const uint8_t *ps, size_t ps_len,
		     const uint64_t (*d)[3], size_t nd)
{
	hvs_store_writer *w;
	uint32_t c, pr, sv;
	size_t i;
	hvs_status s = hvs_store_writer_create(&w, path, NULL);
	if (s != HVS_OK)
		return -1;
	s = hvs_store_writer_add_node(w, HVS_WRITER_ROOT, "configuration", &c);
	if (s == HVS_OK)
		s = hvs_store_writer_add_node(w, c, "properties", &pr);
	if (s == HVS_OK)
		s = hvs_store_writer_add_int(w, pr, "version", 0x500);
	if (s == HVS_OK && ps) {
		s = hvs_store_writer_add_node(w, HVS_WRITER_ROOT, "savedVM", &sv);
		if (s == HVS_OK)
			s = hvs_store_writer_add_array(w, sv, "partition_state", ps, ps_len);
	}
	for (i = 0; i < nd && s == HVS_OK; i++) {
		uint8_t b[48];
		char name[48];
		memset(b, 0, sizeof b);
		hvs__put_le32(b, 3);
		hvs__put_le64(b + 8, d[i][2]);
		hvs__put_le64(b + 16, d[i][1]);
		hvs__put_le64(b + 24, d[i][0]);
		snprintf(name, sizeof name, "RamMemoryBlock/%zu/", i);
		s = hvs_store_writer_add_array(w, HVS_WRITER_ROOT, name, b, sizeof b);
	}
	if (s == HVS_OK)
		s = hvs_store_writer_finish(w);
	hvs_store_writer_close(w);
	return s == HVS_OK ? 0 : -1;
}

/* Bytes at @gpa equal the pattern at RAM-sequence offset @raw. */
static int bytes_at(hvs_image *img, uint64_t gpa, uint64_t raw, size_t n)
{
	uint8_t got[256], want[256];
	size_t done = 0;
	if (n > sizeof got || hvs_image_read(img, HVS_SPACE_GPA, gpa, got, n, &done) != HVS_OK)
		return 0;
	gen_mem_fill(raw, want, n);
	return memcmp(got, want, n) == 0;
}

/* A .bin alone: identity layout, one range per run of blocks, no VPs. */
static void test_legacy__bin_alone(void)
{
	static const uint32_t nums[] = { 5, 0, 1, 2 };
	const char *p = test_tmp_path("lg_alone.bin");
	hvs_image *img;
	const hvs_mem_range *r;
	CHECK(write_bin(p, nums, 4) == 0);
	CHECK_OK(hvs_image_open(&img, p, NULL));
	CHECK_EQ(hvs_image_range_count(img), 2);
	r = hvs_image_ranges(img);
	CHECK_EQ(r[0].gpa, 0);
	CHECK_EQ(r[0].size, 3u << 20);
	CHECK_EQ(r[1].gpa, 5u << 20);
	CHECK_EQ(r[1].raw_offset, 5u << 20);
	CHECK(bytes_at(img, 0x2FFF80, 0x2FFF80, 128));
	CHECK(bytes_at(img, 0x500000, 0x500000, 64));
	CHECK_EQ(hvs_image_vp_count(img), 0);
	hvs_image_close(img);
}

/* .bin + .vsv beside it: descriptors map the blocks, registers decode. */
static void test_legacy__bin_vsv_pair(void)
{
	static const uint32_t nums[] = { 0, 1, 2 };
	/* GPA pages 0x100.. <- RAM pages 0..511; GPA 0x10000.. <- pages 512..767. */
	static const uint64_t d[2][3] = { { 0x100, 0, 512 }, { 0x10000, 512, 256 } };
	size_t ps_len = 0;
	uint8_t *ps = gen_partition_state(&ps_len);
	char bin[1024], vsv[1024];
	hvs_image *img;
	hvs_partition_info pi;
	hvs_regval v, want;
	CHECK(ps != NULL);
	snprintf(bin, sizeof bin, "%s", test_tmp_path("lg_pair.bin"));
	snprintf(vsv, sizeof vsv, "%s", test_tmp_path("lg_pair.vsv"));
	CHECK(write_bin(bin, nums, 3) == 0);
	CHECK(write_vsv(vsv, ps, ps_len, d, 2) == 0);
	free(ps);
	CHECK_OK(hvs_image_open(&img, bin, NULL));    /* .vsv found beside */
	CHECK(hvs_image_store(img) != NULL);
	hvs_image_partition_info(img, &pi);
	CHECK_EQ(pi.vm_version, 0x500);
	CHECK_EQ(hvs_image_range_count(img), 2);
	CHECK_EQ(hvs_image_ranges(img)[0].gpa, 0x100000);
	CHECK_EQ(hvs_image_ranges(img)[1].gpa, 0x10000000);
	CHECK_EQ(hvs_image_ranges(img)[1].raw_offset, 0x200000);
	CHECK(bytes_at(img, 0x100000, 0, 64));
	CHECK(bytes_at(img, 0x10000000 + 0x1230, 0x201230, 64));
	CHECK_EQ(hvs_image_vp_count(img), 2);
	CHECK_OK(hvs_image_get_reg(img, 1, 0, HVS_REG_X64_CR3, &v));
	gen_std_reg(HVS_ARCH_X64, 1, 0, HVS_REG_X64_CR3, &want);
	CHECK_EQ(v.lo, want.lo);
	hvs_image_close(img);
}

/* --vsv given explicitly; a .vsv without descriptors keeps the identity
 * layout; one without partition_state is refused with a clear message. */
static void test_legacy__vsv_variants(void)
{
	static const uint32_t nums[] = { 0, 1 };
	size_t ps_len = 0;
	uint8_t *ps = gen_partition_state(&ps_len);
	char bin[1024], vsv[1024], err[HVS_ERRMSG_MAX];
	hvs_image_opts o;
	hvs_image *img = NULL;
	CHECK(ps != NULL);
	snprintf(bin, sizeof bin, "%s", test_tmp_path("lg_var.bin"));
	snprintf(vsv, sizeof vsv, "%s", test_tmp_path("lg_other_name.state"));
	CHECK(write_bin(bin, nums, 2) == 0);
	CHECK(write_vsv(vsv, ps, ps_len, NULL, 0) == 0);
	memset(&o, 0, sizeof o);
	o.vsv_path = vsv;
	o.base.errbuf = err;
	o.base.errbuf_size = sizeof err;
	CHECK_OK(hvs_image_open(&img, bin, &o));
	CHECK_EQ(hvs_image_vp_count(img), 2);
	CHECK_EQ(hvs_image_range_count(img), 1);
	CHECK_EQ(hvs_image_ranges(img)[0].size, 2u << 20);
	hvs_image_close(img);
	CHECK(write_vsv(vsv, NULL, 0, NULL, 0) == 0);
	CHECK_STATUS(hvs_image_open(&img, bin, &o), HVS_E_NOTFOUND);
	CHECK(strstr(err, ".vsv has no /savedVM/partition_state") != NULL);
	o.vsv_path = test_tmp_path("lg_no_such.vsv");
	CHECK_STATUS(hvs_image_open(&img, bin, &o), HVS_E_IO);
	free(ps);
}

TEST_MAIN(TEST(test_legacy__sample_layout), TEST(test_legacy__sample_sha256),
	  TEST(test_legacy__bin_alone), TEST(test_legacy__bin_vsv_pair),
	  TEST(test_legacy__vsv_variants))
