/* SPDX-License-Identifier: MIT */
/*
 * Header test: vmsavedstatedump.h must compile as strict C++11
 * (-std=c++11 -pedantic-errors -Wall -Wextra -Werror), with C linkage for
 * the functions and the SDK's C++ constructors on the register union.
 * Compiled only (-fsyntax-only); see tests/CMakeLists.txt.
 */
#include "vmsavedstatedump.h"

int vmsd_header_test_cxx(VM_SAVED_STATE_DUMP_HANDLE h);

int vmsd_header_test_cxx(VM_SAVED_STATE_DUMP_HANDLE h)
{
	LPCWSTR path = VMSD_WTEXT("guest.vmrs"); /* u"" or L"" */
	VIRTUAL_PROCESSOR_REGISTER zero;       /* zero-filled by the constructor */
	VIRTUAL_PROCESSOR_REGISTER cr3(0x1000); /* Reg128.Low64 = value */
	GUEST_OS_INFO os = {};
	HRESULT hr = S_OK;
	UINT32 count = 0;

	static_assert(sizeof(VIRTUAL_PROCESSOR_REGISTER) == 16, "union size");
	static_assert(X64_RegisterMax == 66 && ARM64_RegisterMax == 158, "sentinels");
	(void)path;
	zero.X64.Segment.Granularity = 1;
	os.ClosedSource.MajorVersion = 10;
	if (h != nullptr) {
		hr = GetVpCount(h, &count);
		if (SUCCEEDED(hr))
			hr = LoadSavedStateFile(path, &h);
	}
	return FAILED(hr) ? -1 : static_cast<int>(cr3.Reg64 + zero.Reg16 + os.AsUINT64 + count);
}
