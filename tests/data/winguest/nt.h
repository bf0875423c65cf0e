/* SPDX-License-Identifier: MIT */
/*
 * Windows-like kernel types for the generated guest (README.md says which
 * public sources each layout follows).  Compiled only with clang
 * --target=x86_64-pc-windows-msvc -gcodeview, so that the PDB describes
 * them as a Windows kernel PDB would: nested structs, anonymous unions and
 * structs, bitfields, arrays, pointers, enums.  Offsets that the tools
 * and the tests rely on are checked with _Static_assert.
 */
#ifndef HVS_WINGUEST_NT_H
#define HVS_WINGUEST_NT_H

#include <stddef.h>

#include "layout.h"

typedef void VOID, *PVOID;
typedef char CHAR, *PCHAR;
typedef unsigned char UCHAR, *PUCHAR, BOOLEAN, KIRQL;
typedef short SHORT, CSHORT;
typedef unsigned short USHORT, WCHAR, *PWSTR;
typedef long LONG;             /* 32-bit: LLP64 */
typedef unsigned long ULONG, *PULONG;
typedef long long LONGLONG, LONG64;
typedef unsigned long long ULONGLONG, ULONG64, ULONG_PTR, SIZE_T, KSPIN_LOCK;
typedef LONG NTSTATUS;

#define C_ASSERT_OFF(t, f, o) _Static_assert(offsetof(t, f) == (o), #t "." #f)
#define C_ASSERT_SIZE(t, s) _Static_assert(sizeof(t) == (s), "sizeof " #t)

typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _LIST_ENTRY64 {
	ULONGLONG Flink;
	ULONGLONG Blink;
} LIST_ENTRY64;

typedef struct _UNICODE_STRING {
	USHORT Length;        /* bytes, without the terminating NUL */
	USHORT MaximumLength; /* bytes of Buffer */
	PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
C_ASSERT_OFF(UNICODE_STRING, Buffer, 8);

typedef struct __declspec(align(16)) _M128A {
	ULONGLONG Low;
	LONGLONG High;
} M128A;

/* ------------------------------------------------------------ CPU */

/* AMD64 XSAVE_FORMAT (FXSAVE area), 512 bytes. */
typedef struct __declspec(align(16)) _XSAVE_FORMAT {
	USHORT ControlWord;
	USHORT StatusWord;
	UCHAR TagWord;
	UCHAR Reserved1;
	USHORT ErrorOpcode;
	ULONG ErrorOffset;
	USHORT ErrorSelector;
	USHORT Reserved2;
	ULONG DataOffset;
	USHORT DataSelector;
	USHORT Reserved3;
	ULONG MxCsr;
	ULONG MxCsr_Mask;
	M128A FloatRegisters[8];
	M128A XmmRegisters[16];
	UCHAR Reserved4[96];
} XSAVE_FORMAT, XMM_SAVE_AREA32;
C_ASSERT_SIZE(XSAVE_FORMAT, 0x200);

/* AMD64 CONTEXT, 0x4D0 bytes (winnt.h; spec/format.md 9.3). */
typedef struct __declspec(align(16)) _CONTEXT {
	ULONG64 P1Home, P2Home, P3Home, P4Home, P5Home, P6Home;
	ULONG ContextFlags;
	ULONG MxCsr;
	USHORT SegCs, SegDs, SegEs, SegFs, SegGs, SegSs;
	ULONG EFlags;
	ULONG64 Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
	ULONG64 Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi;
	ULONG64 R8, R9, R10, R11, R12, R13, R14, R15;
	ULONG64 Rip;
	union {
		XMM_SAVE_AREA32 FltSave;
		struct {
			M128A Header[2];
			M128A Legacy[8];
			M128A Xmm0, Xmm1, Xmm2, Xmm3, Xmm4, Xmm5, Xmm6, Xmm7;
			M128A Xmm8, Xmm9, Xmm10, Xmm11, Xmm12, Xmm13, Xmm14, Xmm15;
		};
	};
	M128A VectorRegister[26];
	ULONG64 VectorControl;
	ULONG64 DebugControl;
	ULONG64 LastBranchToRip;
	ULONG64 LastBranchFromRip;
	ULONG64 LastExceptionToRip;
	ULONG64 LastExceptionFromRip;
} CONTEXT, *PCONTEXT;
C_ASSERT_OFF(CONTEXT, ContextFlags, 0x30);
C_ASSERT_OFF(CONTEXT, SegCs, 0x38);
C_ASSERT_OFF(CONTEXT, Rax, 0x78);
C_ASSERT_OFF(CONTEXT, Rsp, 0x98);
C_ASSERT_OFF(CONTEXT, Rip, 0xF8);
C_ASSERT_OFF(CONTEXT, FltSave, 0x100);
C_ASSERT_OFF(CONTEXT, VectorRegister, 0x300);
C_ASSERT_SIZE(CONTEXT, 0x4D0);

typedef struct _KDESCRIPTOR {
	USHORT Pad[3];
	USHORT Limit;
	PVOID Base;
} KDESCRIPTOR;

/* KSPECIAL_REGISTERS (x64), 0xF0 bytes. */
typedef struct _KSPECIAL_REGISTERS {
	ULONG64 Cr0, Cr2, Cr3, Cr4;
	ULONG64 KernelDr0, KernelDr1, KernelDr2, KernelDr3, KernelDr6, KernelDr7;
	KDESCRIPTOR Gdtr;
	KDESCRIPTOR Idtr;
	USHORT Tr;
	USHORT Ldtr;
	ULONG MxCsr;
	ULONG64 DebugControl;
	ULONG64 LastBranchToRip, LastBranchFromRip;
	ULONG64 LastExceptionToRip, LastExceptionFromRip;
	ULONG64 Cr8;
	ULONG64 MsrGsBase, MsrGsSwap, MsrStar, MsrLStar, MsrCStar, MsrSyscallMask;
	ULONG64 Xcr0;
	ULONG64 MsrFsBase;
	ULONG64 SpecialPadding0;
} KSPECIAL_REGISTERS;
C_ASSERT_OFF(KSPECIAL_REGISTERS, Gdtr, 0x50);
C_ASSERT_OFF(KSPECIAL_REGISTERS, MsrLStar, 0xC0);
C_ASSERT_SIZE(KSPECIAL_REGISTERS, 0xF0);

typedef struct _KPROCESSOR_STATE {
	KSPECIAL_REGISTERS SpecialRegisters;
	CONTEXT ContextFrame;
} KPROCESSOR_STATE;
C_ASSERT_OFF(KPROCESSOR_STATE, ContextFrame, 0xF0);

/* KIDTENTRY64: one 16-byte interrupt gate. */
typedef union _KIDTENTRY64 {
	struct {
		USHORT OffsetLow;
		USHORT Selector;
		USHORT IstIndex : 3;
		USHORT Reserved0 : 5;
		USHORT Type : 5;
		USHORT Dpl : 2;
		USHORT Present : 1;
		USHORT OffsetMiddle;
		ULONG OffsetHigh;
		ULONG Reserved1;
	};
	ULONG64 Alignment;
} KIDTENTRY64, *PKIDTENTRY64;
C_ASSERT_SIZE(KIDTENTRY64, 16);

typedef union _KGDTENTRY64 {
	struct {
		USHORT LimitLow;
		USHORT BaseLow;
		union {
			struct {
				UCHAR BaseMiddle;
				UCHAR Flags1;
				UCHAR Flags2;
				UCHAR BaseHigh;
			} Bytes;
			struct {
				ULONG BaseMiddle : 8;
				ULONG Type : 5;
				ULONG Dpl : 2;
				ULONG Present : 1;
				ULONG LimitHigh : 4;
				ULONG System : 1;
				ULONG LongMode : 1;
				ULONG DefaultBig : 1;
				ULONG Granularity : 1;
				ULONG BaseHigh : 8;
			} Bits;
		};
	};
	ULONG64 Alignment;
} KGDTENTRY64, *PKGDTENTRY64;
C_ASSERT_SIZE(KGDTENTRY64, 8);

/* ------------------------------------------------ dispatcher objects */

typedef struct _DISPATCHER_HEADER {
	union {
		LONG Lock;
		struct {
			UCHAR Type;
			union {
				UCHAR Signalling;
				struct {
					UCHAR Abandoned : 1;
					UCHAR DisableIncrement : 1;
					UCHAR Reserved : 6;
				};
			};
			UCHAR Size;
			UCHAR DebugActive;
		};
	};
	LONG SignalState;
	LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER;
C_ASSERT_SIZE(DISPATCHER_HEADER, 0x18);

typedef enum _KPROCESS_STATE {
	ProcessInMemory = 0,
	ProcessOutOfMemory = 1,
	ProcessInTransition = 2,
	ProcessOutTransition = 3,
	ProcessInSwap = 4,
	ProcessOutSwap = 5,
	ProcessRetryOutSwap = 6,
	ProcessRetryInSwap = 7
} KPROCESS_STATE;

typedef struct _KPROCESS {
	DISPATCHER_HEADER Header;
	LIST_ENTRY ProfileListHead;
	ULONG64 DirectoryTableBase;  /* CR3 of the process */
	LIST_ENTRY ThreadListHead;
	union {
		ULONG ProcessFlags;
		struct {
			ULONG AutoAlignment : 1;
			ULONG DisableBoost : 1;
			ULONG DisableQuantum : 1;
			ULONG DeepFreeze : 1;
			ULONG TimerVirtualization : 1;
			ULONG CheckStackExtents : 1;
			ULONG ReservedFlags : 26;
		};
	};
	KPROCESS_STATE State;
	ULONG64 UserDirectoryTableBase;
} KPROCESS;
C_ASSERT_OFF(KPROCESS, DirectoryTableBase, 0x28);

typedef struct _EX_FAST_REF {
	union {
		PVOID Object;
		ULONG64 RefCnt : 4;
		ULONG64 Value;
	};
} EX_FAST_REF;

typedef struct _EPROCESS {
	KPROCESS Pcb;
	PVOID UniqueProcessId;
	LIST_ENTRY ActiveProcessLinks;
	EX_FAST_REF Token;
	union {
		ULONG Flags;
		struct {
			ULONG CreateReported : 1;
			ULONG NoDebugInherit : 1;
			ULONG ProcessExiting : 1;
			ULONG ProcessDelete : 1;
			ULONG ManageExecutableMemoryWrites : 1;
			ULONG VmDeleted : 1;
			ULONG OutswapEnabled : 1;
			ULONG Outswapped : 1;
			ULONG FailFastOnCommitFail : 1;
			ULONG Wow64VaSpace4Gb : 1;
			ULONG AddressSpaceInitialized : 2;
			ULONG SetTimerResolution : 1;
			ULONG BreakOnTermination : 1;
			ULONG ReservedFlags : 18;
		};
	};
	PVOID InheritedFromUniqueProcessId;
	PVOID Peb;
	UCHAR ImageFileName[15];
	UCHAR PriorityClass;
} EPROCESS, *PEPROCESS;

/* -------------------------------------------------- processor blocks */

struct _KTHREAD;

/* KPRCB: the leading fields follow the Windows 10 x64 layout; the tail is
 * shortened (Context at the offset KdDebuggerDataBlock.OffsetPrcbContext
 * names). */
typedef struct _KPRCB {
	ULONG MxCsr;
	UCHAR LegacyNumber;
	UCHAR ReservedMustBeZero;
	BOOLEAN InterruptRequest;
	BOOLEAN IdleHalt;
	struct _KTHREAD *CurrentThread;
	struct _KTHREAD *NextThread;
	struct _KTHREAD *IdleThread;
	UCHAR NestingLevel;
	BOOLEAN ClockOwner;
	union {
		UCHAR PendingTickFlags;
		struct {
			UCHAR PendingTick : 1;
			UCHAR PendingBackupTick : 1;
		};
	};
	UCHAR IdleState;
	ULONG Number;
	ULONG64 RspBase;
	KSPIN_LOCK PrcbLock;
	PCHAR PriorityState;
	KPROCESSOR_STATE ProcessorState;
	PCONTEXT Context;
	ULONG ContextFlagsInit;
	UCHAR CpuType;
	UCHAR CpuID;
	union {
		USHORT CpuStep;
		struct {
			UCHAR CpuStepping;
			UCHAR CpuModel;
		};
	};
	ULONG MHz;
	ULONG64 HalReserved[8];
	UCHAR VendorString[13];
	ULONG KeExceptionDispatchCount;
} KPRCB, *PKPRCB;
C_ASSERT_OFF(KPRCB, CurrentThread, 0x08);
C_ASSERT_OFF(KPRCB, Number, 0x24);
C_ASSERT_OFF(KPRCB, ProcessorState, 0x40);

typedef struct _NT_TIB {
	PVOID ExceptionList;
	PVOID StackBase;
	PVOID StackLimit;
	PVOID SubSystemTib;
	union {
		PVOID FiberData;
		ULONG Version;
	};
	PVOID ArbitraryUserPointer;
	struct _NT_TIB *Self;
} NT_TIB;

/* KPCR (x64): what GS points to in kernel mode; the KPRCB at 0x180. */
typedef struct _KPCR {
	union {
		NT_TIB NtTib;
		struct {
			PKGDTENTRY64 GdtBase;
			PVOID TssBase;
			ULONG64 UserRsp;
			struct _KPCR *Self;
			PKPRCB CurrentPrcb;
			PVOID LockArray;
			PVOID Used_Self;
		};
	};
	PKIDTENTRY64 IdtBase;
	ULONG64 Unused[2];
	KIRQL Irql;
	UCHAR SecondLevelCacheAssociativity;
	UCHAR ObsoleteNumber;
	UCHAR Fill0;
	ULONG Unused0[3];
	USHORT MajorVersion;
	USHORT MinorVersion;
	ULONG StallScaleFactor;
	PVOID Unused1[3];
	ULONG KernelReserved[15];
	ULONG SecondLevelCacheSize;
	ULONG HalReserved[16];
	ULONG Unused2;
	PVOID KdVersionBlock;
	PVOID Unused3;
	ULONG PcrAlign1[24];
	KPRCB Prcb;
} KPCR, *PKPCR;
C_ASSERT_OFF(KPCR, Self, 0x18);
C_ASSERT_OFF(KPCR, CurrentPrcb, 0x20);
C_ASSERT_OFF(KPCR, IdtBase, 0x38);
C_ASSERT_OFF(KPCR, Irql, 0x50);
C_ASSERT_OFF(KPCR, KdVersionBlock, 0x108);
C_ASSERT_OFF(KPCR, Prcb, 0x180);

/* ------------------------------------------------------ loader data */

/* KLDR_DATA_TABLE_ENTRY (x64, Windows 10): one PsLoadedModuleList entry. */
typedef struct _KLDR_DATA_TABLE_ENTRY {
	LIST_ENTRY InLoadOrderLinks;
	PVOID ExceptionTable;
	ULONG ExceptionTableSize;
	PVOID GpValue;
	PVOID NonPagedDebugInfo;
	PVOID DllBase;
	PVOID EntryPoint;
	ULONG SizeOfImage;
	UNICODE_STRING FullDllName;
	UNICODE_STRING BaseDllName;
	ULONG Flags;
	USHORT LoadCount;
	union {
		USHORT SignatureLevel : 4;
		USHORT SignatureType : 3;
		USHORT Unused : 9;
		USHORT EntireField;
	} u1;
	PVOID SectionPointer;
	ULONG CheckSum;
	ULONG CoverageSectionSize;
	PVOID CoverageSection;
	PVOID LoadedImports;
	PVOID Spare;
	ULONG SizeOfImageNotRounded;
	ULONG TimeDateStamp;
} KLDR_DATA_TABLE_ENTRY, *PKLDR_DATA_TABLE_ENTRY;
C_ASSERT_OFF(KLDR_DATA_TABLE_ENTRY, DllBase, 0x30);
C_ASSERT_OFF(KLDR_DATA_TABLE_ENTRY, EntryPoint, 0x38);
C_ASSERT_OFF(KLDR_DATA_TABLE_ENTRY, SizeOfImage, 0x40);
C_ASSERT_OFF(KLDR_DATA_TABLE_ENTRY, FullDllName, 0x48);
C_ASSERT_OFF(KLDR_DATA_TABLE_ENTRY, BaseDllName, 0x58);
C_ASSERT_OFF(KLDR_DATA_TABLE_ENTRY, TimeDateStamp, 0x9C);

/* ------------------------------------------------- debugger data */

typedef struct _DBGKD_DEBUG_DATA_HEADER64 {
	LIST_ENTRY64 List;
	ULONG OwnerTag;   /* "KDBG" */
	ULONG Size;
} DBGKD_DEBUG_DATA_HEADER64;

/*
 * KDDEBUGGER_DATA64 (WDK wdbgexts.h), with the fields spec/format.md 9.4
 * names at their offsets; the fields in between are kept as reserved
 * arrays of the right size.
 */
typedef struct _KDDEBUGGER_DATA64 {
	DBGKD_DEBUG_DATA_HEADER64 Header;
	ULONG64 KernBase;
	ULONG64 BreakpointWithStatus;
	ULONG64 SavedContext;
	USHORT ThCallbackStack;
	USHORT NextCallback;
	USHORT FramePointer;
	USHORT PaeEnabled : 1;
	USHORT Reserved0 : 15;
	ULONG64 KiCallUserMode;
	ULONG64 KeUserCallbackDispatcher;
	ULONG64 PsLoadedModuleList;
	ULONG64 PsActiveProcessHead;
	ULONG64 PspCidTable;
	ULONG64 Reserved1[12];            /* ExpSystemResourcesList .. MmSystemCacheWs */
	ULONG64 MmPfnDatabase;
	ULONG64 Reserved2[42];            /* MmSystemPtesStart .. */
	ULONG64 KiProcessorBlock;
	ULONG64 Reserved3[19];
	USHORT Reserved4[2];
	USHORT OffsetPrcbProcStateContext;
	USHORT Reserved5[61];
	USHORT OffsetPrcbContext;
	USHORT Reserved6[23];
} KDDEBUGGER_DATA64;
C_ASSERT_OFF(KDDEBUGGER_DATA64, Header.OwnerTag, 0x10);
C_ASSERT_OFF(KDDEBUGGER_DATA64, KernBase, 0x18);
C_ASSERT_OFF(KDDEBUGGER_DATA64, PsLoadedModuleList, 0x48);
C_ASSERT_OFF(KDDEBUGGER_DATA64, PsActiveProcessHead, 0x50);
C_ASSERT_OFF(KDDEBUGGER_DATA64, MmPfnDatabase, 0xC0);
C_ASSERT_OFF(KDDEBUGGER_DATA64, KiProcessorBlock, 0x218);
C_ASSERT_OFF(KDDEBUGGER_DATA64, OffsetPrcbProcStateContext, 0x2BC);
C_ASSERT_OFF(KDDEBUGGER_DATA64, OffsetPrcbContext, 0x338);
C_ASSERT_SIZE(KDDEBUGGER_DATA64, 0x368);

/* ------------------------------------------------ shared user data */

typedef struct _KSYSTEM_TIME {
	ULONG LowPart;
	LONG High1Time;
	LONG High2Time;
} KSYSTEM_TIME;

typedef enum _NT_PRODUCT_TYPE {
	NtProductWinNt = 1,
	NtProductLanManNt = 2,
	NtProductServer = 3
} NT_PRODUCT_TYPE;

/* KUSER_SHARED_DATA (ntddk.h): the leading fields, up to the processor
 * features, at their documented offsets; the page is mapped at
 * 0xFFFFF78000000000 and 0x7FFE0000. */
typedef struct _KUSER_SHARED_DATA {
	ULONG TickCountLowDeprecated;
	ULONG TickCountMultiplier;
	volatile KSYSTEM_TIME InterruptTime;
	volatile KSYSTEM_TIME SystemTime;
	volatile KSYSTEM_TIME TimeZoneBias;
	USHORT ImageNumberLow;
	USHORT ImageNumberHigh;
	WCHAR NtSystemRoot[260];
	ULONG MaxStackTraceDepth;
	ULONG CryptoExponent;
	ULONG TimeZoneId;
	ULONG LargePageMinimum;
	ULONG AitSamplingValue;
	ULONG AppCompatFlag;
	ULONGLONG RNGSeedVersion;
	ULONG GlobalValidationRunlevel;
	volatile LONG TimeZoneBiasStamp;
	ULONG NtBuildNumber;
	NT_PRODUCT_TYPE NtProductType;
	BOOLEAN ProductTypeIsValid;
	BOOLEAN Reserved0[1];
	USHORT NativeProcessorArchitecture;
	ULONG NtMajorVersion;
	ULONG NtMinorVersion;
	BOOLEAN ProcessorFeatures[64];
} KUSER_SHARED_DATA, *PKUSER_SHARED_DATA;
C_ASSERT_OFF(KUSER_SHARED_DATA, SystemTime, 0x14);
C_ASSERT_OFF(KUSER_SHARED_DATA, NtSystemRoot, 0x30);
C_ASSERT_OFF(KUSER_SHARED_DATA, NtBuildNumber, 0x260);
C_ASSERT_OFF(KUSER_SHARED_DATA, NtProductType, 0x264);
C_ASSERT_OFF(KUSER_SHARED_DATA, NativeProcessorArchitecture, 0x26A);
C_ASSERT_OFF(KUSER_SHARED_DATA, NtMajorVersion, 0x26C);
C_ASSERT_OFF(KUSER_SHARED_DATA, ProcessorFeatures, 0x274);

/* ------------------------------------------- builder hand-off table */

/*
 * Section .hvsfix of the kernel: what the fixture builder needs and cannot
 * compute from the image alone (a loader's job at boot): where the IDT is
 * and what its handlers are, the syscall entry, the initial RIP, the
 * per-VP KPCRs and the module entries whose SizeOfImage it fills in.
 */
typedef VOID (*PKINTERRUPT_ROUTINE)(VOID);
typedef struct _WG_FIXUP_TABLE {
	ULONG64 Magic;                     /* WG_FIXUP_MAGIC */
	KIDTENTRY64 *Idt;                  /* 256 entries, filled by the builder */
	PKINTERRUPT_ROUTINE IdtHandler[256];
	PKINTERRUPT_ROUTINE SyscallEntry;  /* LSTAR */
	PKINTERRUPT_ROUTINE InitialRip;    /* VP 0 */
	PKGDTENTRY64 Gdt;
	USHORT GdtLimit;
	PKPCR Pcr[WG_VP_COUNT];
	PKLDR_DATA_TABLE_ENTRY LdrEntry[2]; /* kernel, driver */
	PUCHAR SharedUserData;             /* page aliased at WG_KUSD_VA */
} WG_FIXUP_TABLE;
/* tests/gen/main_winguest.c reads the table at these offsets. */
C_ASSERT_OFF(WG_FIXUP_TABLE, IdtHandler, 16);
C_ASSERT_OFF(WG_FIXUP_TABLE, SyscallEntry, 2064);
C_ASSERT_OFF(WG_FIXUP_TABLE, InitialRip, 2072);
C_ASSERT_OFF(WG_FIXUP_TABLE, Gdt, 2080);
C_ASSERT_OFF(WG_FIXUP_TABLE, GdtLimit, 2088);
C_ASSERT_OFF(WG_FIXUP_TABLE, Pcr, 2096);
C_ASSERT_OFF(WG_FIXUP_TABLE, LdrEntry, 2112);
C_ASSERT_OFF(WG_FIXUP_TABLE, SharedUserData, 2128);
C_ASSERT_SIZE(WG_FIXUP_TABLE, 0x858);

#endif
