/* SPDX-License-Identifier: MIT */
/*
 * Second module of the PDB test fixture: defines the structure types.c
 * only forward-declares, has a file-static variable with the same name as
 * one in types.c (two S_LDATA32 records of one name in the globals), and
 * more globals and functions.
 */
typedef unsigned long ULONG;
typedef unsigned short USHORT;

typedef struct _UNICODE_STRING {
	USHORT Length;
	USHORT MaximumLength;
	unsigned short *Buffer;
} UNICODE_STRING;

struct _OBJECT_TYPE {
	struct _OBJECT_TYPE *Next;
	UNICODE_STRING Name;
	void *DefaultObject;
	unsigned char Index;
	ULONG TotalNumberOfObjects;
	ULONG TotalNumberOfHandles;
	ULONG Key;
};

struct _OBJECT_TYPE ObTypeTable[8];
struct _OBJECT_TYPE *ObpTypeObjectType = &ObTypeTable[0];
static ULONG ObpCounter;
static ULONG KiStaticCounter = 9;
UNICODE_STRING ObpDirectoryName;

ULONG ObGetTypeCount(void)
{
	static ULONG cached;
	cached += ObpCounter++;
	return cached + ObTypeTable[1].Key + KiStaticCounter;
}
