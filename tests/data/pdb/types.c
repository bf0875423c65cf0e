/* SPDX-License-Identifier: MIT */
/*
 * Windows-like types and globals for the PDB reader tests (tests/pdb).
 * Compiled at test time by clang --target=*-pc-windows-msvc -gcodeview and
 * linked by lld-link into a PDB; nothing here runs.  The shapes follow the
 * NT kernel's: anonymous unions and structs inside structs, bitfields,
 * multi-dimensional arrays, pointers to pointers, function pointers, enums
 * with negative values, const/volatile members, a forward-declared
 * structure defined later (and one defined only in the other module,
 * module2.c), typedefs, file-static and function-static variables.
 */
typedef unsigned char UCHAR;
typedef unsigned short USHORT;
typedef unsigned long ULONG;
typedef long LONG;
typedef unsigned long long ULONG64;
typedef long long LONGLONG;
typedef void *PVOID;

typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;
		LONG HighPart;
	};
	struct {
		ULONG LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER;

typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	PagedPool = 1,
	NonPagedPoolMustSucceed = 2,
	NonPagedPoolCacheAligned = 4,
	MaxPoolType = 7,
	NegativePool = -5,
	HugePool = 0x40000000
} POOL_TYPE;

/* Forward declarations: _KTHREAD is defined below, _OBJECT_TYPE only in
 * module2.c (the linker's merged TPI resolves both). */
struct _KTHREAD;
struct _OBJECT_TYPE;

typedef struct _DISPATCHER_HEADER {
	union {
		struct {
			UCHAR Type;
			UCHAR Signalling;
			UCHAR Size;
			UCHAR Reserved1;
		};
		volatile LONG Lock;
		LONG LockNV;
		struct {
			UCHAR TimerType;
			union {
				UCHAR TimerControlFlags;
				struct {
					UCHAR Absolute : 1;
					UCHAR Wake : 1;
					UCHAR EncodedTolerableDelay : 6;
				};
			};
			UCHAR Hand;
			UCHAR TimerMiscFlags;
		};
	};
	LONG SignalState;
	LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER;

typedef struct _KAPC_STATE {
	LIST_ENTRY ApcListHead[2];
	struct _KPROCESS *Process;
	union {
		UCHAR InProgressFlags;
		struct {
			UCHAR KernelApcInProgress : 1;
			UCHAR SpecialApcInProgress : 1;
		};
	};
	UCHAR KernelApcPending;
	UCHAR UserApcPending;
} KAPC_STATE;

typedef struct _KPROCESS {
	DISPATCHER_HEADER Header;
	LIST_ENTRY ProfileListHead;
	ULONG64 DirectoryTableBase;
	LIST_ENTRY ThreadListHead;
	ULONG ProcessLock;
	ULONG64 Affinity[4][2];
	struct _KTHREAD *volatile FirstThread;
	struct _OBJECT_TYPE *ObjectType;
} KPROCESS;

typedef long (*PKSTART_ROUTINE)(void *Context, ULONG Flags);

typedef struct _KTHREAD {
	DISPATCHER_HEADER Header;
	PVOID SListFaultAddress;
	ULONG64 QuantumTarget;
	PVOID InitialStack;
	PVOID volatile StackLimit;
	const char *const Name;
	KAPC_STATE ApcState;
	union {
		ULONG ThreadFlags;
		struct {
			ULONG AutoBoostActive : 1;
			ULONG ReadyTransition : 1;
			ULONG WaitNext : 1;
			ULONG Reserved : 29;
		};
	};
	ULONG64 Spare : 40;
	ULONG64 Spare2 : 24;
	PKSTART_ROUTINE StartRoutine;
	struct _KTHREAD **ThreadList;
	struct _KPROCESS *Process;
	POOL_TYPE PoolType;
	USHORT WaitTime[3][4][2];
	double Dbl;
	float Flt;
	signed char SChar;
	char Chr;
	_Bool Flag;
	long long (*Callbacks[4])(int, void *);
	LARGE_INTEGER CreateTime;
	const volatile ULONG CvCount;
} KTHREAD, *PKTHREAD;

/* Globals of every kind the symbol provider reads. */
KTHREAD KiInitialThread;
KPROCESS KiInitialProcess;
LIST_ENTRY PsActiveProcessHead;
ULONG NtBuildNumber = 19041;
const ULONG64 KeMaximumIncrement = 156250;
volatile LONG KiTickOffset;
POOL_TYPE DefaultPoolType = PagedPool;
PKTHREAD KiThreadTable[64];
int KiMatrix[3][5];
char KiVersionString[32] = "hvsavedstate PDB test";
LIST_ENTRY *const PsLoadedModuleListPtr = &PsActiveProcessHead;
static ULONG KiStaticCounter = 5;
LARGE_INTEGER KeBootTime;
DISPATCHER_HEADER KiDispatcherHeader;

static int helper(int x)
{
	static int calls;
	calls += x;
	return calls + (int)KiStaticCounter;
}

ULONG KeQueryBuild(void)
{
	return NtBuildNumber + (ULONG)helper(1);
}

long KiStartThread(void *ctx, ULONG flags)
{
	KiInitialThread.StartRoutine = KiStartThread;
	return (long)flags + (ctx != 0) + KiMatrix[1][2];
}
