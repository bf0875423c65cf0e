/* SPDX-License-Identifier: MIT */
/*
 * A fake kernel driver, hvsdrv.sys (PDB hvsdrv.pdb), for the generated
 * Windows-like guest (README.md): an entry point, an export, functions
 * with frames (so the image has .pdata), and globals of driver-like types.
 */
#include "nt.h"

typedef enum _HVSDRV_STATE {
	HvsDrvStopped = 0,
	HvsDrvStarting = 1,
	HvsDrvRunning = 2,
	HvsDrvFailed = -1
} HVSDRV_STATE;

struct _DEVICE_OBJECT;
typedef NTSTATUS (*PDRIVER_DISPATCH)(struct _DEVICE_OBJECT *dev, PVOID irp);

/* DRIVER_OBJECT (wdm.h), x64 layout. */
typedef struct _DRIVER_OBJECT {
	CSHORT Type;
	CSHORT Size;
	struct _DEVICE_OBJECT *DeviceObject;
	ULONG Flags;
	PVOID DriverStart;
	ULONG DriverSize;
	PVOID DriverSection;
	PVOID DriverExtension;
	UNICODE_STRING DriverName;
	PUNICODE_STRING HardwareDatabase;
	PVOID FastIoDispatch;
	PVOID DriverInit;
	PVOID DriverStartIo;
	PVOID DriverUnload;
	PDRIVER_DISPATCH MajorFunction[28];
} DRIVER_OBJECT, *PDRIVER_OBJECT;
C_ASSERT_OFF(DRIVER_OBJECT, DriverName, 0x38);
C_ASSERT_OFF(DRIVER_OBJECT, MajorFunction, 0x70);

typedef struct _HVSDRV_COUNTERS {
	ULONG64 Opens;
	ULONG64 Reads[4];
	union {
		ULONG Flags;
		struct {
			ULONG Started : 1;
			ULONG Paused : 1;
			ULONG Level : 3;
			ULONG Spare : 27;
		};
	};
} HVSDRV_COUNTERS;

typedef struct _HVSDRV_GLOBALS {
	ULONG Signature;             /* 'HvsD' */
	HVSDRV_STATE State;
	PDRIVER_OBJECT DriverObject;
	HVSDRV_COUNTERS Counters;
	WCHAR DeviceName[32];
	struct _HVSDRV_GLOBALS *Self;
	LIST_ENTRY Requests;
} HVSDRV_GLOBALS;

HVSDRV_GLOBALS HvsDrvGlobals = {
	.Signature = 0x44737648,
	.State = HvsDrvRunning,
	.Counters = { .Opens = 3, .Reads = { 1, 2, 3, 4 }, .Started = 1, .Level = 5 },
	.DeviceName = L"\\Device\\HvsDrv",
	.Self = &HvsDrvGlobals,
	.Requests = { &HvsDrvGlobals.Requests, &HvsDrvGlobals.Requests },
};
ULONG HvsDrvDebugLevel = 2;
const char HvsDrvBanner[] = "hvsdrv fixture driver";

__declspec(noinline) static ULONG64 HvsDrvSum(volatile ULONG64 *v, ULONG n)
{
	volatile ULONG64 tmp[8];
	ULONG64 s = 0;
	ULONG i;

	for (i = 0; i < n && i < 8; i++)
		tmp[i] = v[i];
	for (i = 0; i < n && i < 8; i++)
		s += tmp[i];
	return s;
}

__declspec(dllexport) __declspec(noinline) ULONG64 HvsDrvQuery(ULONG what)
{
	if (what < 4)
		return HvsDrvSum(HvsDrvGlobals.Counters.Reads, what + 1);
	return HvsDrvGlobals.Counters.Opens;
}

__declspec(noinline) static NTSTATUS HvsDrvDispatch(struct _DEVICE_OBJECT *dev,
						    PVOID irp)
{
	(void)dev;
	(void)irp;
	HvsDrvGlobals.Counters.Opens++;
	return (NTSTATUS)HvsDrvQuery(HvsDrvGlobals.Counters.Level);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING path)
{
	ULONG i;

	(void)path;
	HvsDrvGlobals.DriverObject = drv;
	for (i = 0; i < 28; i++)
		drv->MajorFunction[i] = HvsDrvDispatch;
	HvsDrvGlobals.State = HvsDrvRunning;
	return (NTSTATUS)HvsDrvQuery(0) == 1 ? 0 : (NTSTATUS)0xC0000001;
}
