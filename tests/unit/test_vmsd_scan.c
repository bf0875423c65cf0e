/* SPDX-License-Identifier: MIT */
/*
 * ScanMemoryForDosImages (compat/vmsd.c, api.md 2.7) on the Windows-like
 * guest fixture: the two images with DOS_IMAGE_INFO values as llvm-readobj
 * and llvm-pdbutil give them, highest first; standalone addresses first;
 * TRUE from the callback stops it; the HRESULTs of bad arguments; memory
 * fixes are seen (a fix that breaks the driver's "MZ" hides it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vmsavedstatedump.h"
#include "vmsd_wtext.h"
#include "winguest_util.h"

#define CHECK_HR(expr, want) CHECK_EQ((uint32_t)(expr), (uint32_t)(want))

typedef struct seen {
	int n;
	int stop_after;
	DOS_IMAGE_INFO info[8];
	char pdb[8][64];
} seen;

static BOOL CALLBACK on_image(PVOID ctx, PDOS_IMAGE_INFO info)
{
	seen *s = ctx;

	if (s->n < 8) {
		s->info[s->n] = *info;
		snprintf(s->pdb[s->n], 64, "%s", info->PdbName ? info->PdbName : "(null)");
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static void test_vmsd_scan__fixture(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	GUEST_VIRTUAL_ADDRESS sa[2] = { WG_KERNEL_BASE, 0x1234 };
	seen s;
	char *ro;
	uint64_t ksize, kts, dsize, dts;
	static UINT8 broken[2] = { 'X', 'Z' };

	if (!wg_file("winguest.vmrs"))
		SKIP("winguest fixture not built (needs clang and lld; ctest -R winguest_fixture)");
	if (!wg_tool("readobj"))
		SKIP("llvm-readobj not found");
	ro = wg_run(wg_tool("readobj"), "--file-headers", wg_file("ntkrnlmp.exe"));
	CHECK(ro && wg_field(ro, "SizeOfImage", &ksize) && wg_field(ro, "TimeDateStamp", &kts));
	free(ro);
	ro = wg_run(wg_tool("readobj"), "--file-headers", wg_file("hvsdrv.sys"));
	CHECK(ro && wg_field(ro, "SizeOfImage", &dsize) && wg_field(ro, "TimeDateStamp", &dts));
	free(ro);
	CHECK_HR(LoadSavedStateFile(W(wg_file("winguest.vmrs")), &h), S_OK);

	/* The kernel half of VP 0, downwards. */
	memset(&s, 0, sizeof s);
	CHECK_HR(ScanMemoryForDosImages(h, 0, ~0ull, 0xFFFF800000000000ull, &s, on_image,
					NULL, 0), S_OK);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.info[0].ImageBaseAddress, WG_DRIVER_BASE);
	CHECK_EQ(s.info[0].ImageSize, dsize);
	CHECK_EQ(s.info[0].Timestamp, dts);
	CHECK_STR(s.pdb[0], "hvsdrv.pdb");
	CHECK_EQ(s.info[1].ImageBaseAddress, WG_KERNEL_BASE);
	CHECK_EQ(s.info[1].ImageSize, ksize);
	CHECK_EQ(s.info[1].Timestamp, kts);
	CHECK_STR(s.pdb[1], "ntkrnlmp.pdb");

	/* Standalone addresses first; TRUE stops the scan. */
	memset(&s, 0, sizeof s);
	s.stop_after = 1;
	CHECK_HR(ScanMemoryForDosImages(h, 1, ~0ull, 0, &s, on_image, sa, 2), S_OK);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.info[0].ImageBaseAddress, WG_KERNEL_BASE);

	/* Arguments. */
	CHECK_HR(ScanMemoryForDosImages(h, 0, 0, 1, &s, on_image, NULL, 0), E_INVALIDARG);
	CHECK_HR(ScanMemoryForDosImages(h, 9, 1, 0, &s, on_image, NULL, 0), E_INVALIDARG);
	CHECK_HR(ScanMemoryForDosImages(h, 0, 1, 0, &s, NULL, NULL, 0), E_POINTER);
	CHECK_HR(ScanMemoryForDosImages(h, 0, 1, 0, &s, on_image, NULL, 1), E_POINTER);
	CHECK_HR(ScanMemoryForDosImages(NULL, 0, 1, 0, &s, on_image, NULL, 0), E_HANDLE);

	/* A memory fix over the driver's "MZ" hides it from the scan. */
	CHECK_HR(ApplyGuestMemoryFix(h, 0, WG_DRIVER_BASE, (LPVOID)broken, 2), S_OK);
	memset(&s, 0, sizeof s);
	CHECK_HR(ScanMemoryForDosImages(h, 0, ~0ull, 0xFFFF800000000000ull, &s, on_image,
					NULL, 0), S_OK);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.info[0].ImageBaseAddress, WG_KERNEL_BASE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
}

TEST_MAIN(TEST(test_vmsd_scan__fixture))
