/* SPDX-License-Identifier: MIT */
/*
 * Header test: vmsavedstatedump.h must compile as strict C11
 * (-std=c11 -pedantic-errors -Wall -Wextra -Werror) without windows.h,
 * on the host and, through clang --target, on 32- and 64-bit Linux and
 * Windows targets, where its static assertions check the MSVC layout
 * (api.md 4).  Compiled only (-fsyntax-only); see tests/CMakeLists.txt.
 */
#include "vmsavedstatedump.h"

int vmsd_header_test_c(VM_SAVED_STATE_DUMP_HANDLE h);

/* Uses the API the way a C caller written for Microsoft's header does. */
int vmsd_header_test_c(VM_SAVED_STATE_DUMP_HANDLE h)
{
	static const WCHAR path[] = VMSD_WTEXT("guest.vmrs"); /* u"" or L"" */
	LPCWSTR p = path;
	VIRTUAL_PROCESSOR_REGISTER reg = { 0 };
	GUEST_OS_INFO os = { 0 };
	GPA_MEMORY_CHUNK chunk = { 0, 0 };
	DOS_IMAGE_INFO img = { 0, 0, 0, 0 };
	MODULE_INFO mod = { 0, { 0, 0, 0, 0 } };
	PAGING_MODE mode = Paging_Long;
	REGISTER_ID id = X64_RegisterCr3;
	HRESULT hr = S_OK;

	(void)p;
	reg.X64.Segment.Attributes = 0xA09B;
	reg.X64.FpControlStatus.LastFpCs = reg.X64.Segment.Long;
	reg.X64.XmmControlStatus.LastFpDs = (UINT16)reg.X64.Table.Limit;
	os.OpenSource.IsOpenSource = 1;
	img.ImageSize = (DWORD)chunk.PageCount;
	mod.Image = img;
	if (FAILED(hr) || mode != Paging_Long || id != 46)
		return -1;
	if (h != NULL)
		hr = GetRegisterValue(h, 0, (DWORD)id, &reg);
	return SUCCEEDED(hr) ? (int)(reg.Reg64 + os.AsUINT64 + mod.Image.ImageSize) : 1;
}
