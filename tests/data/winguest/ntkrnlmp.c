/* SPDX-License-Identifier: MIT */
/*
 * A fake Windows kernel, ntkrnlmp.exe (PDB ntkrnlmp.pdb), for the generated
 * Windows-like guest (README.md).  It never runs: it exists so that its
 * image, its exports, its .pdata and its PDB are those of a real
 * toolchain, and so that its globals hold what a debugger expects of a
 * kernel: KdDebuggerDataBlock ("KDBG"), PsLoadedModuleList,
 * PsActiveProcessHead, KiProcessorBlock, NtBuildNumber, the per-VP KPCRs,
 * the IDT and KUSER_SHARED_DATA.  Linked at WG_KERNEL_BASE with /FIXED, so
 * every pointer below is the final virtual address.
 */
#include "nt.h"

/* The image's own DOS header: lld-link defines __ImageBase. */
extern UCHAR __ImageBase[];

#define KAPI __declspec(dllexport)

/* ------------------------------------------------------------ exports */

KAPI ULONG NtBuildNumber = WG_NT_BUILD_NUMBER;
KAPI UCHAR KeNumberProcessors = WG_VP_COUNT;
KAPI LIST_ENTRY PsLoadedModuleList;
KAPI BOOLEAN KdDebuggerEnabled = 0;

/* A volatile sink keeps the handlers distinct and non-leaf. */
volatile ULONG64 KiBugCheckData[5];

KAPI __declspec(noinline) VOID KeBugCheckEx(ULONG code, ULONG_PTR p1,
					     ULONG_PTR p2, ULONG_PTR p3,
					     ULONG_PTR p4)
{
	volatile ULONG64 frame[4];

	frame[0] = p1;
	frame[1] = p2;
	frame[2] = p3;
	frame[3] = p4;
	KiBugCheckData[0] = code;
	KiBugCheckData[1] = frame[0] ^ frame[1] ^ frame[2] ^ frame[3];
	for (;;)
		KiBugCheckData[4]++;
}

KAPI VOID RtlInitUnicodeString(PUNICODE_STRING dst, PWSTR src)
{
	USHORT n = 0;

	if (src)
		while (src[n / 2])
			n += 2;
	dst->Length = n;
	dst->MaximumLength = (USHORT)(src ? n + 2 : 0);
	dst->Buffer = src;
}

/* ------------------------------------------------------- module list */

static WCHAR KiNtFullName[] = L"\\SystemRoot\\system32\\ntoskrnl.exe";
static WCHAR KiNtBaseName[] = L"ntoskrnl.exe";
static WCHAR KiDrvFullName[] = L"\\SystemRoot\\System32\\drivers\\hvsdrv.sys";
static WCHAR KiDrvBaseName[] = L"hvsdrv.sys";

#define USTR(s) { sizeof(s) - sizeof(WCHAR), sizeof(s), (s) }

int __stdcall KiSystemStartup(PVOID loader_block);

/* The loader's entries (in the real kernel they live in pool). The
 * builder fills SizeOfImage, CheckSum and TimeDateStamp. */
KLDR_DATA_TABLE_ENTRY KiKernelLdrEntry;
KLDR_DATA_TABLE_ENTRY KiDriverLdrEntry;

KLDR_DATA_TABLE_ENTRY KiKernelLdrEntry = {
	.InLoadOrderLinks = { &KiDriverLdrEntry.InLoadOrderLinks, &PsLoadedModuleList },
	.DllBase = __ImageBase,
	.EntryPoint = (PVOID)KiSystemStartup,
	.FullDllName = USTR(KiNtFullName),
	.BaseDllName = USTR(KiNtBaseName),
	.Flags = 0x08004000,
	.LoadCount = 1,
};
KLDR_DATA_TABLE_ENTRY KiDriverLdrEntry = {
	.InLoadOrderLinks = { &PsLoadedModuleList, &KiKernelLdrEntry.InLoadOrderLinks },
	.DllBase = (PVOID)WG_DRIVER_BASE,
	.FullDllName = USTR(KiDrvFullName),
	.BaseDllName = USTR(KiDrvBaseName),
	.Flags = 0x49104000,
	.LoadCount = 1,
};
KAPI LIST_ENTRY PsLoadedModuleList = { &KiKernelLdrEntry.InLoadOrderLinks,
				      &KiDriverLdrEntry.InLoadOrderLinks };

/* -------------------------------------------------------- processes */

LIST_ENTRY PsActiveProcessHead;
EPROCESS KiSystemProcess;
EPROCESS KiUserProcess;
KAPI PEPROCESS PsInitialSystemProcess = &KiSystemProcess;

EPROCESS KiSystemProcess = {
	.Pcb = { .Header = { .Type = 3, .Size = sizeof(KPROCESS) / 4 },
		 .DirectoryTableBase = WG_CR3_SYSTEM,
		 .State = ProcessInMemory },
	.UniqueProcessId = (PVOID)4,
	.ActiveProcessLinks = { &KiUserProcess.ActiveProcessLinks, &PsActiveProcessHead },
	.AddressSpaceInitialized = 3,
	.ImageFileName = "System",
};
EPROCESS KiUserProcess = {
	.Pcb = { .Header = { .Type = 3, .Size = sizeof(KPROCESS) / 4 },
		 .DirectoryTableBase = WG_CR3_USER,
		 .State = ProcessInMemory,
		 .DisableBoost = 1 },
	.UniqueProcessId = (PVOID)(ULONG_PTR)WG_USER_PID,
	.ActiveProcessLinks = { &PsActiveProcessHead, &KiSystemProcess.ActiveProcessLinks },
	.InheritedFromUniqueProcessId = (PVOID)4,
	.AddressSpaceInitialized = 3,
	.ImageFileName = "hvsuser.exe",
};
LIST_ENTRY PsActiveProcessHead = { &KiSystemProcess.ActiveProcessLinks,
				   &KiUserProcess.ActiveProcessLinks };

/* --------------------------------------------------- processor blocks */

/* GDT as Windows x64 lays it out: KGDT64_R0_CODE 0x10, R0_DATA 0x18,
 * R3_CMCODE 0x20, R3_DATA 0x28, R3_CODE 0x30. */
KGDTENTRY64 KiGdt[10] = {
	[2] = { .Alignment = 0x00209B0000000000ull },
	[3] = { .Alignment = 0x00CF93000000FFFFull },
	[4] = { .Alignment = 0x00CFFB000000FFFFull },
	[5] = { .Alignment = 0x00CFF3000000FFFFull },
	[6] = { .Alignment = 0x0020FB0000000000ull },
};

/* The IDT: its gates are written by the builder (split addresses cannot
 * be static initialisers). */
__declspec(align(4096)) KIDTENTRY64 KiIdt[256];

/* Per-VP register save areas (KPRCB.Context points here). */
CONTEXT KiProcessorContext[WG_VP_COUNT];

KPCR KiPcr[WG_VP_COUNT];
PKPRCB KiProcessorBlock[WG_VP_COUNT] = { &KiPcr[0].Prcb, &KiPcr[1].Prcb };

#define PCR_INIT(i)                                                           \
	{ .GdtBase = KiGdt, .Self = &KiPcr[i], .CurrentPrcb = &KiPcr[i].Prcb,  \
	  .IdtBase = KiIdt, .MajorVersion = 1, .MinorVersion = 1,              \
	  .Prcb = { .MxCsr = 0x1F80, .LegacyNumber = i, .Number = i,           \
		    .Context = &KiProcessorContext[i], .ContextFlagsInit = 0x10000B, \
		    .CpuType = 6, .CpuStepping = 7, .CpuModel = 0x55, .MHz = 2600,   \
		    .VendorString = "GenuineIntel" } }
KPCR KiPcr[WG_VP_COUNT] = { PCR_INIT(0), PCR_INIT(1) };

/* -------------------------------------------------------- debugger data */

ULONG64 MmPfnDatabase = WG_PFN_DB_VA;

KDDEBUGGER_DATA64 KdDebuggerDataBlock = {
	.Header = { .List = { 0, 0 }, .OwnerTag = 0x4742444B /* "KDBG" */,
		    .Size = sizeof(KDDEBUGGER_DATA64) },
	.KernBase = (ULONG64)__ImageBase,
	.PsLoadedModuleList = (ULONG64)&PsLoadedModuleList,
	.PsActiveProcessHead = (ULONG64)&PsActiveProcessHead,
	.MmPfnDatabase = (ULONG64)&MmPfnDatabase,
	.KiProcessorBlock = (ULONG64)KiProcessorBlock,
	.OffsetPrcbProcStateContext = offsetof(KPRCB, ProcessorState.ContextFrame),
	.OffsetPrcbContext = offsetof(KPRCB, Context),
	.PaeEnabled = 1,
};

/* ------------------------------------------------- KUSER_SHARED_DATA */

#pragma section(".kusd", read, write)
__declspec(allocate(".kusd")) __declspec(align(4096))
KUSER_SHARED_DATA KiUserSharedData = {
	.TickCountMultiplier = 0x0FA00000,
	.SystemTime = { 0x1D2A3B4Cu, 0x01DA1234, 0x01DA1234 },
	.ImageNumberLow = 0x8664,
	.ImageNumberHigh = 0x8664,
	.NtSystemRoot = L"C:\\Windows",
	.MaxStackTraceDepth = 0,
	.LargePageMinimum = 0x200000,
	.NtBuildNumber = WG_BUILD,
	.NtProductType = NtProductWinNt,
	.ProductTypeIsValid = 1,
	.NativeProcessorArchitecture = 9, /* PROCESSOR_ARCHITECTURE_AMD64 */
	.NtMajorVersion = 10,
	.NtMinorVersion = 0,
};

/* ------------------------------------------- interrupts and syscalls */

#define HANDLER(name, vec)                                                    \
	__declspec(noinline) VOID name(VOID)                                   \
	{                                                                      \
		KeBugCheckEx(0x7F, vec, (ULONG_PTR)KiIdt, 0, 0);               \
	}
HANDLER(KiDivideErrorFault, 0x0)
HANDLER(KiDebugTrapOrFault, 0x1)
HANDLER(KiNmiInterrupt, 0x2)
HANDLER(KiBreakpointTrap, 0x3)
HANDLER(KiOverflowTrap, 0x4)
HANDLER(KiBoundFault, 0x5)
HANDLER(KiInvalidOpcodeFault, 0x6)
HANDLER(KiNpxNotAvailableFault, 0x7)
HANDLER(KiDoubleFaultAbort, 0x8)
HANDLER(KiNpxSegmentOverrunAbort, 0x9)
HANDLER(KiInvalidTssFault, 0xA)
HANDLER(KiSegmentNotPresentFault, 0xB)
HANDLER(KiStackFault, 0xC)
HANDLER(KiGeneralProtectionFault, 0xD)
HANDLER(KiPageFault, 0xE)
HANDLER(KiFloatingErrorFault, 0x10)
HANDLER(KiAlignmentFault, 0x11)
HANDLER(KiMcheckAbort, 0x12)
HANDLER(KiXmmException, 0x13)
HANDLER(KiVirtualizationException, 0x14)
HANDLER(KiApcInterrupt, 0x1F)
HANDLER(KiRaiseSecurityCheckFailure, 0x29)
HANDLER(KiRaiseAssertion, 0x2C)
HANDLER(KiDebugServiceTrap, 0x2D)
HANDLER(KiSystemService, 0x2E)
HANDLER(KiDpcInterrupt, 0x2F)

/* The syscall entry (MSR LSTAR). */
__declspec(noinline) VOID KiSystemCall64(VOID)
{
	KeBugCheckEx(0x3B, 0xC0000005, (ULONG_PTR)&KiPcr[0], 0, 0);
}

/* Where VP 0 is stopped: the idle loop, with a frame. */
__declspec(noinline) VOID KiIdleLoop(VOID)
{
	volatile ULONG spins[8];
	ULONG i;

	for (i = 0;; i = (i + 1) & 7) {
		spins[i]++;
		if (spins[i] == 0xFFFFFFFF)
			KeBugCheckEx(0x1, i, 0, 0, 0);
	}
}

int __stdcall KiSystemStartup(PVOID loader_block)
{
	(void)loader_block;
	KiIdleLoop();
	return 0;
}

/* ------------------------------------------------ builder hand-off */

#pragma section(".hvsfix", read)
__declspec(allocate(".hvsfix")) const WG_FIXUP_TABLE KiFixupTable = {
	.Magic = WG_FIXUP_MAGIC,
	.Idt = KiIdt,
	.IdtHandler = {
		[0x00] = KiDivideErrorFault, [0x01] = KiDebugTrapOrFault,
		[0x02] = KiNmiInterrupt, [0x03] = KiBreakpointTrap,
		[0x04] = KiOverflowTrap, [0x05] = KiBoundFault,
		[0x06] = KiInvalidOpcodeFault, [0x07] = KiNpxNotAvailableFault,
		[0x08] = KiDoubleFaultAbort, [0x09] = KiNpxSegmentOverrunAbort,
		[0x0A] = KiInvalidTssFault, [0x0B] = KiSegmentNotPresentFault,
		[0x0C] = KiStackFault, [0x0D] = KiGeneralProtectionFault,
		[0x0E] = KiPageFault, [0x10] = KiFloatingErrorFault,
		[0x11] = KiAlignmentFault, [0x12] = KiMcheckAbort,
		[0x13] = KiXmmException, [0x14] = KiVirtualizationException,
		[0x1F] = KiApcInterrupt, [0x29] = KiRaiseSecurityCheckFailure,
		[0x2C] = KiRaiseAssertion, [0x2D] = KiDebugServiceTrap,
		[0x2E] = KiSystemService, [0x2F] = KiDpcInterrupt,
	},
	.SyscallEntry = KiSystemCall64,
	.InitialRip = KiIdleLoop,
	.Gdt = KiGdt,
	.GdtLimit = sizeof(KiGdt) - 1,
	.Pcr = { &KiPcr[0], &KiPcr[1] },
	.LdrEntry = { &KiKernelLdrEntry, &KiDriverLdrEntry },
	.SharedUserData = (PUCHAR)&KiUserSharedData,
};
