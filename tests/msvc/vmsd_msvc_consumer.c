/* SPDX-License-Identifier: MIT */
/*
 * A program built the way one built with Microsoft's toolchain against
 * Microsoft's SDK is: for the MSVC ABI (clang --target=x86_64-pc-windows-msvc,
 * no MinGW runtime, no C library at all), linked by lld-link against the
 * import library vmsavedstatedumpprovider.lib, so that its import table
 * names vmsavedstatedumpprovider.dll and the SDK functions.  Run under wine
 * beside our DLL (tests/run_vmsd_msvc.cmake), it checks answers on the
 * x64 fixture of tests/data/sample-x64.spec; the exit code has one bit per
 * failed check (0: all passed).
 *
 * FIXTURE (a wide string literal) is the fixture's path, set at compile
 * time because the program has no C runtime to parse its command line.
 */
#include "vmsavedstatedump.h"

__declspec(dllimport) void WINAPI ExitProcess(unsigned int code);
void WINAPI vmsd_msvc_start(void);

void WINAPI vmsd_msvc_start(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = 0;
	VIRTUAL_PROCESSOR_REGISTER r;
	VIRTUAL_PROCESSOR_ARCH arch = Arch_Unknown;
	UINT64 page = 0, n = 0;
	UINT32 vps = 0;
	unsigned fail = 0;

	if (GetVpCount(0, &vps) != E_HANDLE)
		fail |= 1;
	if (LoadSavedStateFile(FIXTURE, &h) != S_OK)
		ExitProcess(fail | 2);
	if (GetVpCount(h, &vps) != S_OK || vps != 2)
		fail |= 4;
	if (GetArchitecture(h, 0, &arch) != S_OK || arch != Arch_x64)
		fail |= 8;
	/* The values the spec sets: RIP of VP 0 and CR3. */
	if (GetRegisterValue(h, 0, X64_RegisterRip, &r) != S_OK ||
	    r.Reg64 != 0xFFFFF80000001000ull)
		fail |= 16;
	if (GetRegisterValue(h, 1, X64_RegisterCr3, &r) != S_OK || r.Reg64 != 0x10000)
		fail |= 32;
	/* The sizing call of the chunk protocol (api.md 2.5): two ranges. */
	if (GetGuestPhysicalMemoryChunks(h, &page, 0, &n) != E_OUTOFMEMORY || n != 2)
		fail |= 64;
	if (ReleaseSavedStateFiles(h) != S_OK)
		fail |= 128;
	ExitProcess(fail);
}
