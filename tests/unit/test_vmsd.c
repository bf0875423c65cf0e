/* SPDX-License-Identifier: MIT */
/*
 * Conformance tests of libvmsavedstatedumpprovider (compat/vmsd.c), the
 * SDK API over the native one: every function on generated fixtures
 * (tests/gen) and on ../shared/samples, with the values and HRESULTs that
 * api.md 2, 5 and 6 give for Microsoft's DLL, and the register values
 * through GetRegisterValue against the native hvs_image_get_reg and the
 * fixture generator for every REGISTER_ID, x64 and ARM64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "gen_store.h"
#include "gen_vmrs.h"
#include "vmsavedstatedump.h"
#include "vmsd_wtext.h"

#ifdef _WIN32
#  include <process.h> /* _beginthreadex */
#else
#  include <pthread.h>
#endif

/* CHECK_EQ for HRESULTs, printed as hex. */
#define CHECK_HR(expr, want) CHECK_EQ((uint32_t)(expr), (uint32_t)(want))

/* Little-endian reads of test buffers. */
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
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Open @path with LoadSavedStateFile; NULL after a failed CHECK-able
 * result is left to the caller. */
static VM_SAVED_STATE_DUMP_HANDLE load(const char *path)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	if (LoadSavedStateFile(W(path), &h) != S_OK)
		return NULL;
	return h;
}

/* ---------------------------------------------------------- loading */

static void test_vmsd__load_missing(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = (VM_SAVED_STATE_DUMP_HANDLE)1;
	const char *dir = test_tmp_path("vmsd");
	char p[4096];
	const char *x = gen_vmrs_x64_2vp("vmsd_missing.vmrs", HVS_VMRS_ENC_RAW);
	CHECK(dir && x);
	snprintf(p, sizeof p, "%s/no-such-file.vmrs", dir);
	/* api.md 2.1: a path that does not exist -> 0x80070002, both loads. */
	CHECK_HR(LoadSavedStateFile(W(p), &h), 0x80070002);
	CHECK(h == NULL);
	CHECK_HR(LoadSavedStateFiles(W(p), W(p), &h), 0x80070002);
	/* A real .bin with a missing .vsv also fails: the DLL needs both. */
	CHECK_HR(LoadSavedStateFiles(W(x), W(p), &h), 0x80070002);
	CHECK(h == NULL);
	/* Arguments. */
	CHECK_HR(LoadSavedStateFile(W(x), NULL), E_POINTER);
	CHECK_HR(LoadSavedStateFile(NULL, &h), E_INVALIDARG);
	CHECK_HR(LoadSavedStateFiles(NULL, NULL, &h), E_INVALIDARG);
	{
		/* An unpaired surrogate is not a path. */
		static const WCHAR bad[] = { 'a', 0xD800, 'b', 0 };
		CHECK_HR(LoadSavedStateFile(bad, &h), E_INVALIDARG);
	}
	CHECK_HR(ReleaseSavedStateFiles(NULL), E_HANDLE);
}

static void test_vmsd__load_corrupt(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	const char *x = gen_vmrs_x64_2vp("vmsd_corrupt_src.vmrs", HVS_VMRS_ENC_RAW);
	uint8_t rnd[16384], *file;
	size_t len, i;
	uint32_t seed = 12345;
	char p[4096];
	CHECK(x);
	file = test_read_file(x, &len);
	CHECK(file && len > 0x3000);
	/* Random bytes (api.md 2.1 [WM-R]: 0x80070570). */
	for (i = 0; i < sizeof rnd; i++) {
		seed = seed * 1103515245u + 12345u;
		rnd[i] = (uint8_t)(seed >> 16);
	}
	snprintf(p, sizeof p, "%s", test_tmp_path("vmsd_random.bin"));
	CHECK(test_write_file(p, rnd, sizeof rnd) == 0);
	CHECK_HR(LoadSavedStateFile(W(p), &h), 0x80070570);
	CHECK(h == NULL);
	/* A truncated saved state: the header survives, the rest does not. */
	snprintf(p, sizeof p, "%s", test_tmp_path("vmsd_truncated.vmrs"));
	CHECK(test_write_file(p, file, 0x1800) == 0);
	CHECK_HR(LoadSavedStateFile(W(p), &h), 0x80070570);
	/* An empty file. */
	snprintf(p, sizeof p, "%s", test_tmp_path("vmsd_empty.vmrs"));
	CHECK(test_write_file(p, file, 0) == 0);
	CHECK_HR(LoadSavedStateFile(W(p), &h), 0x80070570);
	free(file);
	/* A .bin given to LoadSavedStateFiles that is no .bin. */
	CHECK_HR(LoadSavedStateFiles(W(test_tmp_path("vmsd_random.bin")), NULL, &h), 0x80070570);
}

static void test_vmsd__load_not_saved(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	static const uint8_t blob[64];
	static const gen_key cfg[] = {
		{ "/configuration/properties/name", GEN_STRING, .s = "vm1" },
		{ "/configuration/properties/version", GEN_INT, .i = 0x900 },
	};
	static const gen_key nomem[] = {
		{ "/savedstate/VmVersion", GEN_INT, .i = 0x900 },
		{ "/savedstate/savedVM/partition_state", GEN_ARRAY, .data = blob, .len = sizeof blob },
	};
	char p[4096], err[256];
	const char *real;
	hvs_vmrs_writer *w = NULL;

	/* Configuration only (api.md 2.1 [OV]: PARTITION_STATE_NOT_FOUND). */
	snprintf(p, sizeof p, "%s", test_tmp_path("vmsd_config_only.vmrs"));
	CHECK_OK(gen_store_write(p, cfg, 2, err, sizeof err));
	CHECK_HR(LoadSavedStateFile(W(p), &h), VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND);
	CHECK(h == NULL);
	/* Partition state without RAM blocks: GUEST_MEMORY_NOT_FOUND. */
	snprintf(p, sizeof p, "%s", test_tmp_path("vmsd_no_memory.vmrs"));
	CHECK_OK(gen_store_write(p, nomem, 2, err, sizeof err));
	CHECK_HR(LoadSavedStateFile(W(p), &h), VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND);
	/* A saved state with an empty VP list: NO_VP_FOUND_IN_PARTITION_STATE. */
	snprintf(p, sizeof p, "%s", test_tmp_path("vmsd_no_vp.vmrs"));
	CHECK_OK(hvs_vmrs_writer_create(&w, p, NULL));
	CHECK_OK(hvs_vmrs_writer_add_range(w, 0, 0x10000));
	CHECK_OK(hvs_vmrs_writer_write_memory(w, NULL, 0x10000));
	CHECK_OK(hvs_vmrs_writer_finish(w));
	hvs_vmrs_writer_close(w);
	CHECK_HR(LoadSavedStateFile(W(p), &h), VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE);

	/* The real configuration-only VMRS and the .vmcx of ../shared. */
	real = test_shared_path("samples/test.VMRS");
	if (!real)
		SKIP("../shared/samples/test.VMRS not available");
	CHECK_HR(LoadSavedStateFile(W(real), &h), VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND);
	real = test_shared_path("samples/test.vmcx");
	if (real)
		CHECK_HR(LoadSavedStateFile(W(real), &h),
			 VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND);
}

/* ------------------------------------------- partition and VP state */

static void test_vmsd__vp_state_x64(void)
{
	const char *x = gen_vmrs_x64_2vp("vmsd_x64.vmrs", HVS_VMRS_ENC_MIXED);
	VM_SAVED_STATE_DUMP_HANDLE h;
	UINT32 n = 0, mask = 0;
	UINT8 vtl = 9;
	BOOL b = TRUE, old = TRUE;
	VIRTUAL_PROCESSOR_ARCH a = Arch_Unknown;
	PAGING_MODE m = Paging_Invalid;
	GUEST_OS_INFO os;
	CHECK(x);
	h = load(x);
	CHECK(h);
	CHECK_HR(GetVpCount(h, &n), S_OK);
	CHECK_EQ(n, 2);
	CHECK_HR(GetGuestEnabledVirtualTrustLevels(h, &mask), S_OK);
	CHECK_EQ(mask, 1); /* VTL0 only (api.md 2.3) */
	CHECK_HR(GetGuestOsInfo(h, 0, &os), S_OK);
	CHECK_EQ(os.AsUINT64, gen_std_os_id(0));
	CHECK_HR(GetGuestOsInfo(h, 1, &os), E_INVALIDARG);
	CHECK_HR(IsNestedVirtualizationEnabled(h, &b), S_OK);
	CHECK_EQ(b, FALSE);
	for (n = 0; n < 2; n++) {
		CHECK_HR(GetArchitecture(h, n, &a), S_OK);
		CHECK_EQ(a, Arch_x64);
		CHECK_HR(GetPagingMode(h, n, &m), S_OK);
		CHECK_EQ(m, Paging_Long);
		/* gen_vmrs.h: even VPs at CPL 0, odd VPs at CPL 3. */
		CHECK_HR(InKernelSpace(h, n, &b), S_OK);
		CHECK_EQ(b, n == 0 ? TRUE : FALSE);
		CHECK_HR(GetActiveVirtualTrustLevel(h, n, &vtl), S_OK);
		CHECK_EQ(vtl, 0);
		CHECK_HR(GetEnabledVirtualTrustLevels(h, n, &mask), S_OK);
		CHECK_EQ(mask, 1);
		CHECK_HR(IsActiveVirtualTrustLevelEnabled(h, n, &b), S_OK);
		CHECK_EQ(b, TRUE);
		CHECK_HR(GetNestedVirtualizationMode(h, n, &b), S_OK);
		CHECK_EQ(b, FALSE);
	}
	/* api.md 2.4, 6: forcing VTL1 on a VBS-off guest. */
	CHECK_HR(ForceActiveVirtualTrustLevel(h, 0, 1), VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED);
	CHECK_HR(GetActiveVirtualTrustLevel(h, 0, &vtl), S_OK);
	CHECK_EQ(vtl, 0);
	CHECK_HR(ForceActiveVirtualTrustLevel(h, 0, 3), E_INVALIDARG);
	CHECK_HR(ForceActiveVirtualTrustLevel(h, 0, 0), S_OK);
	/* Nested host mode needs a VP in nested guest mode. */
	CHECK_HR(ForceNestedHostMode(h, 0, TRUE, &old), VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE);
	CHECK_HR(ForceNestedHostMode(h, 0, FALSE, &old), S_OK);
	CHECK_EQ(old, FALSE);
	/* Architecture forcing within the x86 family only. */
	CHECK_HR(ForceArchitecture(h, 1, Arch_x86), S_OK);
	CHECK_HR(GetArchitecture(h, 1, &a), S_OK);
	CHECK_EQ(a, Arch_x86);
	CHECK_HR(ForceArchitecture(h, 1, Arch_Armv8), E_INVALIDARG);
	CHECK_HR(ForceArchitecture(h, 1, Arch_Unknown), E_INVALIDARG);
	CHECK_HR(ForceArchitecture(h, 1, (VIRTUAL_PROCESSOR_ARCH)7), E_INVALIDARG);
	CHECK_HR(ForceArchitecture(h, 1, Arch_x64), S_OK);
	CHECK_HR(GetArchitecture(h, 1, &a), S_OK);
	CHECK_EQ(a, Arch_x64);

	/* VP out of range: E_INVALIDARG from every per-VP function. */
	CHECK_HR(GetArchitecture(h, 2, &a), E_INVALIDARG);
	CHECK_HR(ForceArchitecture(h, 2, Arch_x64), E_INVALIDARG);
	CHECK_HR(GetActiveVirtualTrustLevel(h, 2, &vtl), E_INVALIDARG);
	CHECK_HR(GetEnabledVirtualTrustLevels(h, 2, &mask), E_INVALIDARG);
	CHECK_HR(ForceActiveVirtualTrustLevel(h, 2, 0), E_INVALIDARG);
	CHECK_HR(IsActiveVirtualTrustLevelEnabled(h, 2, &b), E_INVALIDARG);
	CHECK_HR(GetNestedVirtualizationMode(h, 2, &b), E_INVALIDARG);
	CHECK_HR(ForceNestedHostMode(h, 2, FALSE, NULL), E_INVALIDARG);
	CHECK_HR(InKernelSpace(h, 2, &b), E_INVALIDARG);
	{
		VIRTUAL_PROCESSOR_REGISTER r;
		GUEST_PHYSICAL_ADDRESS pa;
		uint8_t fix = 0;
		CHECK_HR(GetRegisterValue(h, 2, X64_RegisterRip, &r), E_INVALIDARG);
		CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 2, 0, &pa, NULL), E_INVALIDARG);
		CHECK_HR(ApplyGuestMemoryFix(h, 2, 0, &fix, 1), E_INVALIDARG);
		CHECK_HR(GetRegisterValue(h, UINT32_MAX, X64_RegisterRip, &r), E_INVALIDARG);
	}
	CHECK_HR(GetPagingMode(h, 2, &m), E_INVALIDARG);
	CHECK_HR(ForcePagingMode(h, 2, Paging_Long), E_INVALIDARG);
	/* NULL outputs and handles. */
	CHECK_HR(GetVpCount(h, NULL), E_POINTER);
	CHECK_HR(GetArchitecture(h, 0, NULL), E_POINTER);
	CHECK_HR(GetPagingMode(h, 0, NULL), E_POINTER);
	CHECK_HR(GetVpCount(NULL, &n), E_HANDLE);
	CHECK_HR(GetArchitecture(NULL, 0, &a), E_HANDLE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

static void test_vmsd__vtl(void)
{
	const char *x = gen_vmrs_x64_vtl("vmsd_vtl.vmrs");
	VM_SAVED_STATE_DUMP_HANDLE h;
	UINT32 mask = 0, vp;
	UINT8 vtl = 9;
	BOOL b = FALSE;
	GUEST_OS_INFO os;
	VIRTUAL_PROCESSOR_REGISTER r;
	hvs_regval want;
	CHECK(x);
	h = load(x);
	CHECK(h);
	CHECK_HR(GetGuestEnabledVirtualTrustLevels(h, &mask), S_OK);
	CHECK_EQ(mask, 3);
	CHECK_HR(GetGuestOsInfo(h, 1, &os), S_OK);
	CHECK_EQ(os.AsUINT64, gen_std_os_id(1));
	CHECK_HR(GetGuestOsInfo(h, 2, &os), E_INVALIDARG);
	for (vp = 0; vp < 2; vp++) {
		CHECK_HR(GetEnabledVirtualTrustLevels(h, vp, &mask), S_OK);
		CHECK_EQ(mask, 3);
		/* The fixture saved VTL1 as running. */
		CHECK_HR(GetActiveVirtualTrustLevel(h, vp, &vtl), S_OK);
		CHECK_EQ(vtl, 1);
		CHECK_HR(GetRegisterValue(h, vp, X64_RegisterCr3, &r), S_OK);
		gen_std_reg(HVS_ARCH_X64, vp, 1, HVS_REG_X64_CR3, &want);
		CHECK_EQ(r.Reg64, want.lo);
		/* Forcing VTL0 switches the register file... */
		CHECK_HR(ForceActiveVirtualTrustLevel(h, vp, 0), S_OK);
		CHECK_HR(GetActiveVirtualTrustLevel(h, vp, &vtl), S_OK);
		CHECK_EQ(vtl, 0);
		CHECK_HR(IsActiveVirtualTrustLevelEnabled(h, vp, &b), S_OK);
		CHECK_EQ(b, TRUE);
		CHECK_HR(GetRegisterValue(h, vp, X64_RegisterCr3, &r), S_OK);
		gen_std_reg(HVS_ARCH_X64, vp, 0, HVS_REG_X64_CR3, &want);
		CHECK_EQ(r.Reg64, want.lo);
		CHECK_HR(GetRegisterValue(h, vp, X64_RegisterRip, &r), S_OK);
		gen_std_reg(HVS_ARCH_X64, vp, 0, HVS_REG_X64_RIP, &want);
		CHECK_EQ(r.Reg64, want.lo);
		/* ...VTL2 is not enabled: refused, VTL0 stays active. */
		CHECK_HR(ForceActiveVirtualTrustLevel(h, vp, 2),
			 VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED);
		CHECK_HR(GetActiveVirtualTrustLevel(h, vp, &vtl), S_OK);
		CHECK_EQ(vtl, 0);
		CHECK_HR(ForceActiveVirtualTrustLevel(h, vp, 1), S_OK);
		CHECK_HR(GetRegisterValue(h, vp, X64_RegisterCr3, &r), S_OK);
		gen_std_reg(HVS_ARCH_X64, vp, 1, HVS_REG_X64_CR3, &want);
		CHECK_EQ(r.Reg64, want.lo);
	}
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

/* ------------------------------------------------------- registers */

/*
 * Every REGISTER_ID 0..158 on every VP: the SDK value equals the native
 * value (union bytes == lo/hi) and the generator's; ids of the other
 * architecture and the sentinels are E_INVALIDARG.  Returns the number of
 * registers read, through *nread.
 */
static void sweep(const char *path, hvs_arch arch, unsigned *nread)
{
	VM_SAVED_STATE_DUMP_HANDLE h = load(path);
	hvs_image *img = NULL;
	UINT32 vp, id;
	*nread = 0;
	CHECK(h);
	CHECK_OK(hvs_image_open(&img, path, NULL));
	for (vp = 0; vp < 2; vp++) {
		for (id = 0; id <= 160; id++) {
			VIRTUAL_PROCESSOR_REGISTER r;
			hvs_regval nat, gen;
			hvs_status s;
			HRESULT hr;
			uint8_t bytes[16];
			memset(&r, 0xCC, sizeof r);
			hr = GetRegisterValue(h, vp, id, &r);
			if (id == X64_RegisterMax || id >= ARM64_RegisterMax) {
				CHECK_HR(hr, E_INVALIDARG);
				continue;
			}
			if (hvs_reg_arch((hvs_reg)id) != arch) {
				CHECK_HR(hr, E_INVALIDARG);
				continue;
			}
			s = hvs_image_get_reg(img, vp, HVS_VTL_ACTIVE, (hvs_reg)id, &nat);
			if (s != HVS_OK) {
				CHECK_HR(hr, s == HVS_E_NOTFOUND ? 0x80070490 : 0x80070057);
				continue;
			}
			CHECK_HR(hr, S_OK);
			/* The union's 16 bytes are lo then hi (regs.h packing). */
			memcpy(bytes, &r, 16);
			CHECK_EQ(le64(bytes), nat.lo);
			CHECK_EQ(le64(bytes + 8), nat.hi);
			CHECK_EQ(r.Reg128.Low64, nat.lo);
			CHECK_EQ(r.Reg128.High64, nat.hi);
			/* And both equal what the generator wrote. */
			gen_std_reg(arch, vp, 0, (hvs_reg)id, &gen);
			if (hvs_reg_kind((hvs_reg)id) == HVS_REGKIND_U64)
				gen.hi = 0;
			CHECK_EQ(nat.lo, gen.lo);
			CHECK_EQ(nat.hi, gen.hi);
			(*nread)++;
		}
	}
	hvs_image_close(img);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

static void test_vmsd__registers_x64(void)
{
	const char *x = gen_vmrs_x64_2vp("vmsd_regs_x64.vmrs", HVS_VMRS_ENC_RAW);
	VM_SAVED_STATE_DUMP_HANDLE h;
	VIRTUAL_PROCESSOR_REGISTER r;
	hvs_regval g;
	unsigned n = 0;
	CHECK(x);
	sweep(x, HVS_ARCH_X64, &n);
	if (test__failed)
		return;
	/* All 66 x64 ids (0..65) on both VPs. */
	CHECK_EQ(n, 2 * 66);
	/* The structured members, checked field by field (api.md 4.3). */
	h = load(x);
	CHECK(h);
	CHECK_HR(GetRegisterValue(h, 0, X64_RegisterCs, &r), S_OK);
	gen_std_reg(HVS_ARCH_X64, 0, 0, HVS_REG_X64_CS, &g);
	CHECK_EQ(r.X64.Segment.Base, g.lo);
	CHECK_EQ(r.X64.Segment.Limit, (uint32_t)g.hi);
	CHECK_EQ(r.X64.Segment.Selector, (uint16_t)(g.hi >> 32));
	CHECK_EQ(r.X64.Segment.Attributes, (uint16_t)(g.hi >> 48));
	CHECK_EQ(r.X64.Segment.Long, 1); /* 64-bit code segment (gen_vmrs.h) */
	CHECK_EQ(r.X64.Segment.DescriptorPrivilegeLevel, 0);
	CHECK_HR(GetRegisterValue(h, 0, X64_RegisterGdtr, &r), S_OK);
	gen_std_reg(HVS_ARCH_X64, 0, 0, HVS_REG_X64_GDTR, &g);
	CHECK_EQ(r.X64.Table.Limit, (uint16_t)g.lo);
	CHECK_EQ(r.X64.Table.Base, g.hi);
	CHECK_HR(GetRegisterValue(h, 0, X64_RegisterFpControlStatus, &r), S_OK);
	gen_std_reg(HVS_ARCH_X64, 0, 0, HVS_REG_X64_FP_CONTROL_STATUS, &g);
	CHECK_EQ(r.X64.FpControlStatus.FpControl, (uint16_t)g.lo);
	CHECK_EQ(r.X64.FpControlStatus.FpStatus, (uint16_t)(g.lo >> 16));
	CHECK_EQ(r.X64.FpControlStatus.FpTag, (uint8_t)(g.lo >> 32));
	CHECK_EQ(r.X64.FpControlStatus.LastFpOp, (uint16_t)(g.lo >> 48));
	CHECK_EQ(r.X64.FpControlStatus.LastFpRip, g.hi);
	CHECK_HR(GetRegisterValue(h, 0, X64_RegisterXmmControlStatus, &r), S_OK);
	gen_std_reg(HVS_ARCH_X64, 0, 0, HVS_REG_X64_XMM_CONTROL_STATUS, &g);
	CHECK_EQ(r.X64.XmmControlStatus.LastFpRdp, g.lo);
	CHECK_EQ(r.X64.XmmControlStatus.XmmStatusControl, (uint32_t)g.hi);
	CHECK_EQ(r.X64.XmmControlStatus.XmmStatusControlMask, (uint32_t)(g.hi >> 32));
	/* A 64-bit register leaves High64 zero. */
	CHECK_HR(GetRegisterValue(h, 1, X64_RegisterRsp, &r), S_OK);
	gen_std_reg(HVS_ARCH_X64, 1, 0, HVS_REG_X64_RSP, &g);
	CHECK_EQ(r.Reg64, g.lo);
	CHECK_EQ(r.Reg128.High64, 0);
	CHECK_HR(GetRegisterValue(h, 0, X64_RegisterRip, NULL), E_POINTER);
	CHECK_HR(GetRegisterValue(NULL, 0, X64_RegisterRip, &r), E_HANDLE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

static void test_vmsd__registers_arm64(void)
{
	const char *x = gen_vmrs_arm64_2vp("vmsd_regs_arm64.vmrs", HVS_VMRS_ENC_XPRESS);
	VM_SAVED_STATE_DUMP_HANDLE h;
	VIRTUAL_PROCESSOR_ARCH a;
	PAGING_MODE m;
	unsigned n = 0;
	CHECK(x);
	sweep(x, HVS_ARCH_ARM64, &n);
	if (test__failed)
		return;
	/* All 91 ARM64 ids (67..157) on both VPs. */
	CHECK_EQ(n, 2 * 91);
	h = load(x);
	CHECK(h);
	CHECK_HR(GetArchitecture(h, 0, &a), S_OK);
	CHECK_EQ(a, Arch_Armv8);
	CHECK_HR(GetPagingMode(h, 0, &m), S_OK);
	CHECK_EQ(m, Paging_Armv8);
	/* x86 modes and architectures do not apply to an ARM64 VP. */
	CHECK_HR(ForcePagingMode(h, 0, Paging_Long), E_INVALIDARG);
	CHECK_HR(ForceArchitecture(h, 0, Arch_x64), E_INVALIDARG);
	CHECK_HR(ForceArchitecture(h, 0, Arch_Armv8), S_OK);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

/* ---------------------------------------------------------- memory */

static void test_vmsd__memory(void)
{
	const char *x = gen_vmrs_x64_2vp("vmsd_mem.vmrs", HVS_VMRS_ENC_MIXED);
	VM_SAVED_STATE_DUMP_HANDLE h;
	UINT64 page = 0, n = 0, raw = 0, lim = 99, total = 0;
	GPA_MEMORY_CHUNK c[4];
	uint8_t buf[64], want[64], *big;
	UINT32 got = 0;
	CHECK(x);
	h = load(x);
	CHECK(h);
	/* Sizing call (api.md 2.5): NULL/0 -> E_OUTOFMEMORY with the count. */
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, NULL, &n), E_OUTOFMEMORY);
	CHECK_EQ(n, 3);
	n = 1;
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, c, &n), E_OUTOFMEMORY);
	CHECK_EQ(n, 3);
	n = 2;
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, NULL, &n), E_POINTER);
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, NULL, c, &n), E_POINTER);
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, c, NULL), E_POINTER);
	n = 4;
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, c, &n), S_OK);
	/* gen_vmrs.h x64 layout: [0, 0xA0000) [0x100000, 0x800000)
	 * [0x100000000, 0x100200000). */
	CHECK_EQ(n, 3);
	CHECK_EQ(page, 4096);
	CHECK_EQ(c[0].GuestPhysicalStartPageIndex, 0);
	CHECK_EQ(c[0].PageCount, 0xA0);
	CHECK_EQ(c[1].GuestPhysicalStartPageIndex, 0x100);
	CHECK_EQ(c[1].PageCount, 0x700);
	CHECK_EQ(c[2].GuestPhysicalStartPageIndex, 0x100000);
	CHECK_EQ(c[2].PageCount, 0x200);
	CHECK_HR(GetGuestRawSavedMemorySize(h, &raw), S_OK);
	/* Each range starts a fresh 1 MiB memory block (vmrs_writer.h), so the
	 * raw saved memory holds 0x60000 bytes of padding after range 0. */
	CHECK_EQ(raw, 0xA00000);

	/* Physical reads equal the generator's bytes. */
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x100123, buf, 40, &got), S_OK);
	CHECK_EQ(got, 40);
	gen_mem_fill(0x100123, want, 40);
	CHECK_MEM(buf, want, 40);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x100200FF0ull - 0x1000, buf, 16, NULL), S_OK);
	gen_mem_fill(0x100200FF0ull - 0x1000, want, 16);
	CHECK_MEM(buf, want, 16);
	/* Running into the gap at 0xA0000: short, S_OK with bytesRead... */
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x9FFF0, buf, 32, &got), S_OK);
	CHECK_EQ(got, 16);
	gen_mem_fill(0x9FFF0, want, 16);
	CHECK_MEM(buf, want, 16);
	/* ...an error without it (the caller could not tell). */
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x9FFF0, buf, 32, NULL), 0x800701E7);
	/* An unbacked first byte: ERROR_INVALID_ADDRESS, 0 bytes. */
	got = 7;
	CHECK_HR(ReadGuestPhysicalAddress(h, 0xA0000, buf, 8, &got), 0x800701E7);
	CHECK_EQ(got, 0);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x200000000ull, buf, 8, &got), 0x800701E7);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0, NULL, 8, &got), E_POINTER);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0, NULL, 0, &got), S_OK);
	CHECK_HR(ReadGuestPhysicalAddress(NULL, 0, buf, 8, &got), E_HANDLE);

	/* GPA -> raw offset: memory blocks concatenated, gaps excluded. */
	CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, 0x1234, &raw), S_OK);
	CHECK_EQ(raw, 0x1234);
	CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, 0x100000, &raw), S_OK);
	CHECK_EQ(raw, 0x100000);
	CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, 0x100000010ull, &raw), S_OK);
	CHECK_EQ(raw, 0x800010);
	CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, 0xA0000, &raw), 0x800701E7);
	CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, 0, NULL), E_POINTER);

	/* Raw reads: offset 0x100000 is GPA 0x100000; the block padding reads
	 * as zeros. */
	CHECK_HR(ReadGuestRawSavedMemory(h, 0xA0000, buf, 16, &got), S_OK);
	CHECK_EQ(got, 16);
	memset(want, 0, 16);
	CHECK_MEM(buf, want, 16);
	CHECK_HR(ReadGuestRawSavedMemory(h, 0x100000, buf, 64, &got), S_OK);
	CHECK_EQ(got, 64);
	gen_mem_fill(0x100000, want, 64);
	CHECK_MEM(buf, want, 64);
	/* 1 MiB at a time until a short read: the total is the raw size
	 * (api.md 2.5 [R-T]). */
	big = malloc(1u << 20);
	CHECK(big);
	for (;;) {
		HRESULT hr = ReadGuestRawSavedMemory(h, total, big, 1u << 20, &got);
		if (hr != S_OK) {
			free(big);
			CHECK_HR(hr, S_OK);
		}
		total += got;
		if (got < (1u << 20))
			break;
	}
	free(big);
	CHECK_EQ(total, 0xA00000);
	CHECK_HR(ReadGuestRawSavedMemory(h, total - 8, buf, 16, &got), S_OK);
	CHECK_EQ(got, 8);
	gen_mem_fill(0x100200000ull - 8, want, 8);
	CHECK_MEM(buf, want, 8);
	CHECK_HR(ReadGuestRawSavedMemory(h, total - 8, buf, 16, NULL), 0x80070026);
	CHECK_HR(ReadGuestRawSavedMemory(h, total + 100, buf, 16, &got), S_OK);
	CHECK_EQ(got, 0);

	/* Cache limit (api.md 2.5): default 0, settable, 0 again; results
	 * never change. */
	CHECK_HR(GetMemoryBlockCacheLimit(h, &lim), S_OK);
	CHECK_EQ(lim, 0);
	CHECK_HR(SetMemoryBlockCacheLimit(h, 8), S_OK);
	CHECK_HR(GetMemoryBlockCacheLimit(h, &lim), S_OK);
	CHECK_EQ(lim, 8);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x300008, buf, 64, &got), S_OK);
	gen_mem_fill(0x300008, want, 64);
	CHECK_MEM(buf, want, 64);
	CHECK_HR(SetMemoryBlockCacheLimit(h, 0), S_OK);
	CHECK_HR(GetMemoryBlockCacheLimit(h, &lim), S_OK);
	CHECK_EQ(lim, 0);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x300008, buf, 64, &got), S_OK);
	CHECK_MEM(buf, want, 64);
	CHECK_HR(GetMemoryBlockCacheLimit(h, NULL), E_POINTER);
	CHECK_HR(SetMemoryBlockCacheLimit(NULL, 1), E_HANDLE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

/* --------------------------------------------- address translation */

/* Fixture memory with a 4-level page table at 0x10000 (the mappings of
 * tests/data/sample-x64.spec), over the generator's pattern. */
static hvs_status xlat_mem(void *ud, uint64_t gpa, void *buf, size_t len)
{
	static const struct { uint64_t gpa, val; } pte[] = {
		{ 0x10f80, 0x11003 },    /* PML4[496] -> PDPT (VA 0xFFFFF800'00000000) */
		{ 0x11000, 0x12003 },    /* PDPT[0] -> PD */
		{ 0x12000, 0x13003 },    /* PD[0] -> PT */
		{ 0x12008, 0x200083 },   /* PD[1]: 2 MiB page -> 0x200000 */
		{ 0x13000, 0x100003 },   /* PT[0] -> 0x100000 */
		{ 0x13008, 0x101003 },   /* PT[1] -> 0x101000 */
	};
	uint8_t *b = buf;
	uint64_t a;
	size_t i;
	(void)ud;
	gen_mem_fill(gpa, buf, len);
	for (a = gpa; a < gpa + len; a++)
		if (a >= 0x10000 && a < 0x14000)
			b[a - gpa] = 0;
	for (i = 0; i < sizeof pte / sizeof pte[0]; i++) {
		unsigned k;
		for (k = 0; k < 8; k++)
			if (pte[i].gpa + k >= gpa && pte[i].gpa + k < gpa + len)
				b[pte[i].gpa + k - gpa] = (uint8_t)(pte[i].val >> (8 * k));
	}
	return HVS_OK;
}

/* A 1-VP x64 saved state whose CR3 is 0x10000 (long mode, CPL 0). */
static const char *xlat_fixture(void)
{
	static char path[4096];
	hvs_vmrs_writer *w = NULL;
	hvs_status s;
	unsigned reg;
	snprintf(path, sizeof path, "%s", test_tmp_path("vmsd_xlat.vmrs"));
	if (hvs_vmrs_writer_create(&w, path, NULL) != HVS_OK)
		return NULL;
	s = hvs_vmrs_writer_add_vp(w, 0, 1);
	for (reg = 0; reg < HVS_REG_COUNT && s == HVS_OK; reg++) {
		hvs_regval v;
		if (hvs_reg_kind((hvs_reg)reg) == HVS_REGKIND_NONE ||
		    hvs_reg_arch((hvs_reg)reg) != HVS_ARCH_X64)
			continue;
		gen_std_reg(HVS_ARCH_X64, 0, 0, (hvs_reg)reg, &v);
		if (reg == HVS_REG_X64_CR3)
			v.lo = 0x10000;
		s = hvs_vmrs_writer_set_reg(w, 0, 0, (hvs_reg)reg, &v);
	}
	if (s == HVS_OK)
		s = hvs_vmrs_writer_add_range(w, 0, 0x400000);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_write_memory_cb(w, xlat_mem, NULL);
	if (s == HVS_OK)
		s = hvs_vmrs_writer_finish(w);
	if (s != HVS_OK)
		fprintf(stderr, "xlat fixture: %s\n", hvs_vmrs_writer_errmsg(w));
	hvs_vmrs_writer_close(w);
	return s == HVS_OK ? path : NULL;
}

static void test_vmsd__translate(void)
{
	const char *x = xlat_fixture();
	VM_SAVED_STATE_DUMP_HANDLE h;
	GUEST_PHYSICAL_ADDRESS pa = 0;
	GUEST_VIRTUAL_ADDRESS un = 99;
	PAGING_MODE m;
	uint8_t buf[8], want[8];
	static const uint8_t fix[4] = { 'A', 'B', 'C', 'D' };
	UINT32 got;
	CHECK(x);
	h = load(x);
	CHECK(h);
	/* Mapped: PT[1] (Intel SDM Vol.3 4.5); a mapped VA reports 0 (api.md 6). */
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0xFFFFF80000001234ull, &pa, &un), S_OK);
	CHECK_EQ(pa, 0x101234);
	CHECK_EQ(un, 0);
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0xFFFFF80000000008ull, &pa, NULL), S_OK);
	CHECK_EQ(pa, 0x100008);
	/* 2 MiB page through PD[1]. */
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0xFFFFF80000234567ull, &pa, &un), S_OK);
	CHECK_EQ(pa, 0x234567);
	/* PT[2] not present: VA_NOT_MAPPED, the rest of that 4 KiB page. */
	un = 0;
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0xFFFFF80000002100ull, &pa, &un),
		 VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
	CHECK_EQ(un, 0xF00);
	/* PML4[255] not present: the rest of its 512 GiB region. */
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0x00007FF600001100ull, &pa, &un),
		 VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
	CHECK_EQ(un, 0x8000000000ull - 0x7600001100ull);
	/* Non-canonical. */
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0x0000900000000000ull, &pa, NULL),
		 VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0, NULL, NULL), E_POINTER);

	/* Forced paging modes. */
	CHECK_HR(ForcePagingMode(h, 0, Paging_NonPaged), S_OK);
	CHECK_HR(GetPagingMode(h, 0, &m), S_OK);
	CHECK_EQ(m, Paging_NonPaged);
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0x123456, &pa, &un), S_OK);
	CHECK_EQ(pa, 0x123456);
	CHECK_HR(ForcePagingMode(h, 0, Paging_Invalid), E_INVALIDARG);
	CHECK_HR(ForcePagingMode(h, 0, (PAGING_MODE)9), E_INVALIDARG);
	CHECK_HR(ForcePagingMode(h, 0, Paging_Armv8), E_INVALIDARG);
	CHECK_HR(ForcePagingMode(h, 0, Paging_Long), S_OK);
	CHECK_HR(GetPagingMode(h, 0, &m), S_OK);
	CHECK_EQ(m, Paging_Long);
	CHECK_HR(GuestVirtualAddressToPhysicalAddress(h, 0, 0xFFFFF80000001234ull, &pa, &un), S_OK);
	CHECK_EQ(pa, 0x101234);

	/* ApplyGuestMemoryFix across the PT[0]/PT[1] page boundary: GPA
	 * 0x100FFE..0x100FFF and 0x101000..0x101001. */
	CHECK_HR(ApplyGuestMemoryFix(h, 0, 0xFFFFF80000000FFEull, (LPVOID)fix, 4), S_OK);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x100FFC, buf, 8, &got), S_OK);
	gen_mem_fill(0x100FFC, want, 8);
	memcpy(want + 2, fix, 4);
	CHECK_MEM(buf, want, 8);
	/* An unmapped page: refused, nothing applied. */
	CHECK_HR(ApplyGuestMemoryFix(h, 0, 0xFFFFF80000001FFEull, (LPVOID)fix, 4),
		 VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x101FFE, buf, 2, &got), S_OK);
	gen_mem_fill(0x101FFE, want, 2);
	CHECK_MEM(buf, want, 2);
	CHECK_HR(ApplyGuestMemoryFix(h, 0, 0xFFFFF80000000000ull, NULL, 4), E_POINTER);
	CHECK_HR(ApplyGuestMemoryFix(h, 0, 0xFFFFF80000000000ull, (LPVOID)fix, 0), E_INVALIDARG);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

/* ------------------------------------------------------ replay log */

static void test_vmsd__replay_log(void)
{
	const char *x = gen_vmrs_x64_2vp("vmsd_replay.vmrs", HVS_VMRS_ENC_RAW);
	static const uint8_t patch[16] = "hvsavedstate-log";
	uint8_t *file, want[16], buf[16];
	size_t len, off;
	VM_SAVED_STATE_DUMP_HANDLE h;
	char p[4096];
	UINT32 got;
	CHECK(x);
	/* Find the raw page bytes of GPA 0x3000 in the file (RAW encoding;
	 * the pattern there is unique to the address, gen_vmrs.h). */
	gen_mem_fill(0x3000, want, 16);
	file = test_read_file(x, &len);
	CHECK(file);
	for (off = 0; off + 16 <= len && memcmp(file + off, want, 16); off++)
		;
	free(file);
	CHECK(off + 16 <= len);
	/* Nothing pending: S_OK. */
	CHECK_HR(ApplyPendingSavedStateFileReplayLog(W(x)), S_OK);
	/* A pending write of 16 bytes there, committed by the call. */
	CHECK_OK(gen_store_log_entry(x, off, patch, 16));
	CHECK_HR(ApplyPendingSavedStateFileReplayLog(W(x)), S_OK);
	file = test_read_file(x, &len);
	CHECK(file);
	CHECK_MEM(file + off, patch, 16);
	free(file);
	h = load(x);
	CHECK(h);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0x3000, buf, 16, &got), S_OK);
	CHECK_MEM(buf, patch, 16);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
	/* Errors. */
	snprintf(p, sizeof p, "%s/no-such.vmrs", test_tmp_path("vmsd"));
	CHECK_HR(ApplyPendingSavedStateFileReplayLog(W(p)), 0x80070002);
	CHECK_HR(ApplyPendingSavedStateFileReplayLog(NULL), E_INVALIDARG);
	CHECK_HR(ApplyPendingSavedStateFileReplayLog(W(test_tmp_path("vmsd_random.bin"))),
		 0x80070570);
}

/* ---------------------------------------- test_file.bin (api.md 6) */

static void test_vmsd__sample_bin(void)
{
	const char *bin = test_shared_path("samples/test_file.bin");
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	UINT64 size = 0, page = 0, n = 0, raw = 0;
	GPA_MEMORY_CHUNK c[2];
	uint8_t buf[12];
	UINT32 got = 0, vps = 9;
	char missing[4096];
	if (!bin)
		SKIP("../shared/samples/test_file.bin not available");
	/* The sample's .vsv is not available: the pair fails as with the DLL. */
	snprintf(missing, sizeof missing, "%s/test_file.vsv", test_tmp_path("vmsd"));
	CHECK_HR(LoadSavedStateFiles(W(bin), W(missing), &h), 0x80070002);
	/* LoadSavedStateFile needs processor state. */
	CHECK_HR(LoadSavedStateFile(W(bin), &h), VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE);
	/* Extension: the .bin alone, memory only. */
	CHECK_HR(LoadSavedStateFiles(W(bin), NULL, &h), S_OK);
	CHECK_HR(GetVpCount(h, &vps), S_OK);
	CHECK_EQ(vps, 0);
	/* DLL values (api.md 6 [R-T]). */
	CHECK_HR(GetGuestRawSavedMemorySize(h, &size), S_OK);
	CHECK_EQ(size, 264241152);
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, NULL, &n), E_OUTOFMEMORY);
	CHECK_EQ(n, 1);
	CHECK_HR(GetGuestPhysicalMemoryChunks(h, &page, c, &n), S_OK);
	CHECK_EQ(page, 4096);
	CHECK_EQ(c[0].GuestPhysicalStartPageIndex, 0);
	CHECK_EQ(c[0].PageCount, 64512);
	CHECK_HR(GuestPhysicalAddressToRawSavedMemoryOffset(h, 0xC0FFE, &raw), S_OK);
	CHECK_EQ(raw, 0xC0FFE);
	CHECK_HR(ReadGuestPhysicalAddress(h, 0xC0FFE, buf, 12, &got), S_OK);
	CHECK_EQ(got, 12);
	CHECK_EQ(le32(buf), 75826887u);
	CHECK_EQ(le32(buf + 4), 1235222542u);
	CHECK_EQ(le32(buf + 8), 3439375364u);
	/* The same bytes through the raw view (identity mapping). */
	memset(buf, 0, sizeof buf);
	CHECK_HR(ReadGuestRawSavedMemory(h, 0xC0FFE, buf, 12, &got), S_OK);
	CHECK_EQ(le32(buf + 8), 3439375364u);
	/* No VP: every per-VP call is out of range. */
	{
		VIRTUAL_PROCESSOR_ARCH a;
		CHECK_HR(GetArchitecture(h, 0, &a), E_INVALIDARG);
	}
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

/* ----------------------------------- not implemented, strings, misc */

static int cb_calls;
static BOOL CALLBACK found_image(PVOID ctx, PDOS_IMAGE_INFO info)
{
	(void)ctx;
	(void)info;
	cb_calls++;
	return TRUE;
}

static void test_vmsd__not_implemented(void)
{
	const char *x = gen_vmrs_x64_2vp("vmsd_notimpl.vmrs", HVS_VMRS_ENC_RAW);
	VM_SAVED_STATE_DUMP_HANDLE h;
	GUEST_VIRTUAL_ADDRESS va;
	ULONG sz;
	UINT32 off;
	BOOL found;
	LPWSTR s = (LPWSTR)1;
	uint8_t b[8];
	MODULE_INFO mi;
	CHECK(x);
	h = load(x);
	CHECK(h);
	memset(&mi, 0, sizeof mi);
	/* Symbols (vmsd_sym.c): nothing loaded yet -> E_UNEXPECTED; this
	 * generated guest holds no Windows kernel -> KERNEL_IMAGE_NOT_FOUND. */
	CHECK_HR(ReleaseSavedStateSymbolProvider(h), S_OK);
	CHECK(GetSavedStateSymbolProviderHandle(h) == NULL);
	CHECK_HR(SetSavedStateSymbolProviderDebugInfoCallback(h, NULL), S_OK);
	CHECK_HR(LoadSavedStateModuleSymbols(h, "ntoskrnl.exe", "nt", 0, 0), E_UNEXPECTED);
	CHECK_HR(LoadSavedStateModuleSymbolsEx(h, "ntoskrnl.exe", 0, "nt", 0, 0), E_UNEXPECTED);
	CHECK_HR(ResolveSavedStateGlobalVariableAddress(h, 0, "nt!x", &va, &sz), E_UNEXPECTED);
	CHECK_HR(ReadSavedStateGlobalVariable(h, 0, "nt!x", b, 8), E_UNEXPECTED);
	CHECK_HR(GetSavedStateSymbolTypeSize(h, 0, "nt!_EPROCESS", &sz), E_UNEXPECTED);
	CHECK_HR(FindSavedStateSymbolFieldInType(h, 0, "nt!_EPROCESS", VMSD_WTEXT("Pcb"), &off, &found),
		 E_UNEXPECTED);
	CHECK_HR(GetSavedStateSymbolFieldInfo(h, 0, "nt!_EPROCESS", &s), E_UNEXPECTED);
	CHECK(s == NULL);
	CHECK_HR(LoadSavedStateSymbolProvider(h, VMSD_WTEXT(""), FALSE),
		 VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND);
	CHECK(GetSavedStateSymbolProviderHandle(h) == NULL);
	/* Scanning is implemented (test_vmsd_scan.c); here only the argument
	 * checks: the start must be the higher address. */
	CHECK_HR(ScanMemoryForDosImages(h, 0, 0, ~0ull, NULL, found_image, NULL, 0), E_INVALIDARG);
	CHECK_EQ(cb_calls, 0);
	/* Unwinding is implemented (test_vmsd_unwind.c on genuinely executed
	 * code); on this generated state it answers with WinDbg k text. */
	s = NULL;
	CHECK_HR(CallStackUnwind(h, 0, &mi, 1, 8, &s), S_OK);
	CHECK(s != NULL && s[0] == ' ' && s[1] == '#');
	LocalFree(s);
	s = NULL;
	CHECK_HR(LoadSavedStateSymbolProvider(NULL, NULL, FALSE), E_HANDLE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
	/* The free functions accept NULL. */
	VmSavedStateDumpFreeString(NULL);
	CHECK(LocalFree(NULL) == NULL);
}

/* Several instances at once, and in sequence (api.md 2.1: 17763 could
 * not). */
static void test_vmsd__many_handles(void)
{
	const char *a = gen_vmrs_x64_2vp("vmsd_many_a.vmrs", HVS_VMRS_ENC_RAW);
	char pa[4096];
	const char *b;
	VM_SAVED_STATE_DUMP_HANDLE h1, h2;
	VIRTUAL_PROCESSOR_ARCH arch;
	int i;
	CHECK(a);
	snprintf(pa, sizeof pa, "%s", a);
	b = gen_vmrs_arm64_2vp("vmsd_many_b.vmrs", HVS_VMRS_ENC_RAW);
	CHECK(b);
	for (i = 0; i < 3; i++) {
		h1 = load(pa);
		h2 = load(b);
		CHECK(h1 && h2);
		CHECK_HR(GetArchitecture(h1, 0, &arch), S_OK);
		CHECK_EQ(arch, Arch_x64);
		CHECK_HR(GetArchitecture(h2, 0, &arch), S_OK);
		CHECK_EQ(arch, Arch_Armv8);
		CHECK_HR(ReleaseSavedStateFiles(h1), S_OK);
		CHECK_HR(ReleaseSavedStateFiles(h2), S_OK);
	}
}

/* A saved state under a name with Latin, Cyrillic and a character beyond
 * the BMP (a surrogate pair in UTF-16): the path goes UTF-16 -> UTF-8 ->
 * the file system (UTF-16 again on Windows) unchanged.  A name that only
 * differs in that character does not exist. */
static void test_vmsd__unicode_path(void)
{
	const char *name = "vmsd_donn\xC3\xA9" "es_\xD1\x82\xD0\xB5\xD1\x81\xD1\x82_"
			   "\xF0\x9F\x98\x80.vmrs";
	const char *x = gen_vmrs_x64_2vp(name, HVS_VMRS_ENC_RAW);
	char other[4096];
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	UINT32 n = 0;
	size_t len;
	CHECK(x);
	snprintf(other, sizeof other, "%s", x);
	CHECK_HR(LoadSavedStateFile(W(x), &h), S_OK);
	CHECK_HR(GetVpCount(h, &n), S_OK);
	CHECK_EQ(n, 2);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
	/* U+1F600 -> U+1F601: the last byte of its UTF-8 form. */
	len = strlen(other);
	CHECK(len > 6 && (unsigned char)other[len - 6] == 0x80);
	other[len - 6] = (char)0x81;
	CHECK_HR(LoadSavedStateFile(W(other), &h), 0x80070002);
	CHECK(h == NULL);
}

/* ------------------------------------------------------------ threads */

/* One reader thread: @reads reads of 200 bytes at pseudo-random GPAs of
 * the x64 fixture's RAM, each compared with the generator's bytes, plus
 * a register read every 16 reads.  Counts what went wrong. */
typedef struct reader {
	VM_SAVED_STATE_DUMP_HANDLE h;
	uint32_t seed;
	int reads;
	int failed;     /* calls that did not return S_OK / all bytes */
	int mismatched; /* reads whose bytes differ from the generator's */
} reader;

static void reader_run(reader *r)
{
	uint8_t buf[200], want[200];
	int i;
	for (i = 0; i < r->reads; i++) {
		UINT32 got = 0;
		VIRTUAL_PROCESSOR_REGISTER reg;
		uint64_t gpa;
		r->seed = r->seed * 1103515245u + 12345u;
		/* [0x100000, 0x800000) less the last 200 bytes, or [0, 0x9FF00). */
		gpa = (r->seed >> 4) & 1 ? 0x100000 + (uint64_t)(r->seed >> 8) % (0x700000 - 200)
					 : (uint64_t)(r->seed >> 8) % (0xA0000 - 200);
		if (ReadGuestPhysicalAddress(r->h, gpa, buf, sizeof buf, &got) != S_OK ||
		    got != sizeof buf) {
			r->failed++;
			continue;
		}
		gen_mem_fill(gpa, want, sizeof want);
		if (memcmp(buf, want, sizeof buf))
			r->mismatched++;
		/* RIP of either VP (gen_vmrs.c x64_reg: kernel VP0, user VP1). */
		if (i % 16 == 0 &&
		    (GetRegisterValue(r->h, (UINT32)(i / 16) & 1, X64_RegisterRip, &reg) != S_OK ||
		     reg.Reg64 != ((i / 16) & 1 ? 0x00007FF600001100ull : 0xFFFFF80000001000ull)))
			r->failed++;
	}
}

#ifdef _WIN32
static unsigned __stdcall reader_thread(void *arg)
{
	reader_run(arg);
	return 0;
}
#else
static void *reader_thread(void *arg)
{
	reader_run(arg);
	return NULL;
}
#endif

/*
 * Several threads on one handle, as LeechCore uses Microsoft's DLL
 * (four readers, api.md 2.5): every read returns the right bytes.  The
 * native image takes one thread at a time, so this holds only because the
 * SDK layer serialises the calls on a handle.  A small block cache keeps
 * the compressed blocks of the MIXED fixture being decoded again.
 */
static void test_vmsd__threads(void)
{
	enum { NTHREADS = 4 };
	const char *x = gen_vmrs_x64_2vp("vmsd_threads.vmrs", HVS_VMRS_ENC_MIXED);
	VM_SAVED_STATE_DUMP_HANDLE h;
	reader r[NTHREADS];
	int i, started = 0;
#ifdef _WIN32
	HANDLE t[NTHREADS];
#else
	pthread_t t[NTHREADS];
#endif
	CHECK(x);
	h = load(x);
	CHECK(h);
	CHECK_HR(SetMemoryBlockCacheLimit(h, 2), S_OK);
	for (i = 0; i < NTHREADS; i++) {
		memset(&r[i], 0, sizeof r[i]);
		r[i].h = h;
		r[i].seed = 0x1234u * (uint32_t)(i + 1);
		r[i].reads = 3000;
	}
	for (i = 0; i < NTHREADS; i++) {
#ifdef _WIN32
		t[i] = (HANDLE)_beginthreadex(NULL, 0, reader_thread, &r[i], 0, NULL);
		if (!t[i])
			break;
#else
		if (pthread_create(&t[i], NULL, reader_thread, &r[i]) != 0)
			break;
#endif
		started++;
	}
	for (i = 0; i < started; i++) {
#ifdef _WIN32
		WaitForSingleObject(t[i], INFINITE);
		CloseHandle(t[i]);
#else
		pthread_join(t[i], NULL);
#endif
	}
	CHECK_EQ(started, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		CHECK_EQ(r[i].failed, 0);
		CHECK_EQ(r[i].mismatched, 0);
	}
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

TEST_MAIN(TEST(test_vmsd__load_missing), TEST(test_vmsd__load_corrupt),
	  TEST(test_vmsd__load_not_saved), TEST(test_vmsd__vp_state_x64),
	  TEST(test_vmsd__vtl), TEST(test_vmsd__registers_x64),
	  TEST(test_vmsd__registers_arm64), TEST(test_vmsd__memory),
	  TEST(test_vmsd__translate), TEST(test_vmsd__replay_log),
	  TEST(test_vmsd__sample_bin), TEST(test_vmsd__not_implemented),
	  TEST(test_vmsd__many_handles), TEST(test_vmsd__unicode_path),
	  TEST(test_vmsd__threads))
