/* SPDX-License-Identifier: MIT */
/*
 * Types without anonymous or nested members, for the second opinion of
 * volatility3's pdbconv (which stops at the LF_NESTTYPE records clang
 * writes for anonymous members): bitfields, multi-dimensional arrays,
 * pointers to pointers, function pointers, enums, const/volatile members,
 * a forward-declared structure defined later, unions and typedefs.
 * No _Bool either: pdbconv has no entry for the bool simple type (0x30).
 */
typedef unsigned char UCHAR;
typedef unsigned short USHORT;
typedef unsigned long ULONG;
typedef long long LONGLONG;
typedef unsigned long long ULONG64;

struct _FLAT_LATER;

typedef enum _FLAT_KIND { FlatNone = 0, FlatOne = 1, FlatMinus = -2, FlatBig = 0x7fffffff } FLAT_KIND;

typedef struct _FLAT_LIST {
	struct _FLAT_LIST *Flink;
	struct _FLAT_LIST *Blink;
} FLAT_LIST;

typedef union _FLAT_UNION {
	ULONG Low;
	LONGLONG Quad;
	UCHAR Bytes[8];
} FLAT_UNION;

typedef struct _FLAT_BITS {
	ULONG A : 1;
	ULONG B : 3;
	ULONG C : 28;
	ULONG64 D : 40;
	ULONG64 E : 24;
	UCHAR F : 2;
} FLAT_BITS;

typedef struct _FLAT_MAIN {
	FLAT_LIST Links;
	struct _FLAT_LATER *Later;
	struct _FLAT_LATER **LaterList;
	FLAT_KIND Kind;
	FLAT_UNION Value;
	FLAT_BITS Bits;
	USHORT Grid[3][4][2];
	int Matrix[2][3];
	long (*Handler)(void *, ULONG);
	const volatile ULONG Counter;
	const char *const Name;
	double Ratio;
	signed char Small;
} FLAT_MAIN;

struct _FLAT_LATER {
	ULONG Size;
	FLAT_MAIN Main;
	FLAT_MAIN *Array[4];
};

FLAT_MAIN FlatMain;
struct _FLAT_LATER FlatLater;
FLAT_BITS FlatBits;

int FlatUse(void)
{
	return (int)FlatMain.Counter + (int)FlatLater.Size + (int)FlatBits.A;
}
