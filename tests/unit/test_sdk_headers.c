/* SPDX-License-Identifier: MIT */
/*
 * Tests of the SDK-compatible headers compat/include/vmsavedstatedump.h
 * and vmsavedstatedumpdefs.h against ../shared/spec/api.md:
 *  - every enumerator's value (api.md 3; the full 159-entry REGISTER_ID
 *    table of 3.6 typed in independently of the header);
 *  - HRESULT values (api.md 5, winerror.h numbers) and the
 *    SUCCEEDED/FAILED/HRESULT_FROM_WIN32 macros;
 *  - structure sizes, alignments and offsets (api.md 4) and the bit
 *    positions of every bitfield (api.md 4.3, 4.4 masks), with real
 *    values from independent sources (Linux's Hyper-V guest ID, the VMX
 *    access rights of a 64-bit code segment);
 *  - that all 43 current-generation functions (api.md 2.8) are declared
 *    with exactly the G2 parameter types, written here in plain C types
 *    per api.md 1, so a wrong typedef (e.g. a 64-bit ULONG) also fails.
 * No function is called: the compat library is not needed.
 */
#include <stddef.h>
#include <stdint.h>

#include "vmsavedstatedump.h"
#include "test.h"

/* ------------------------------------------------------------------ */
/* Enumerations                                                        */
/* ------------------------------------------------------------------ */

typedef struct enum_case {
	const char *name;
	long value; /* from the header */
	long want;  /* from api.md */
} enum_case;

#define E(n, v) { #n, (long)(n), (long)(v) }

/* Compare a table; report the first mismatch by name. */
static int check_enum_table(const enum_case *t, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].value != t[i].want) {
			test__fail(__FILE__, __LINE__, "%s: %s = %ld, api.md says %ld",
				   what, t[i].name, t[i].value, t[i].want);
			return 0;
		}
	}
	return 1;
}

/* api.md 3.6, column "REGISTER_ID (22000+)", ids 0..158. */
static const enum_case register_ids[] = {
	E(X64_RegisterRax, 0),
	E(X64_RegisterRcx, 1),
	E(X64_RegisterRdx, 2),
	E(X64_RegisterRbx, 3),
	E(X64_RegisterRsp, 4),
	E(X64_RegisterRbp, 5),
	E(X64_RegisterRsi, 6),
	E(X64_RegisterRdi, 7),
	E(X64_RegisterR8, 8),
	E(X64_RegisterR9, 9),
	E(X64_RegisterR10, 10),
	E(X64_RegisterR11, 11),
	E(X64_RegisterR12, 12),
	E(X64_RegisterR13, 13),
	E(X64_RegisterR14, 14),
	E(X64_RegisterR15, 15),
	E(X64_RegisterRip, 16),
	E(X64_RegisterRFlags, 17),
	E(X64_RegisterXmm0, 18),
	E(X64_RegisterXmm1, 19),
	E(X64_RegisterXmm2, 20),
	E(X64_RegisterXmm3, 21),
	E(X64_RegisterXmm4, 22),
	E(X64_RegisterXmm5, 23),
	E(X64_RegisterXmm6, 24),
	E(X64_RegisterXmm7, 25),
	E(X64_RegisterXmm8, 26),
	E(X64_RegisterXmm9, 27),
	E(X64_RegisterXmm10, 28),
	E(X64_RegisterXmm11, 29),
	E(X64_RegisterXmm12, 30),
	E(X64_RegisterXmm13, 31),
	E(X64_RegisterXmm14, 32),
	E(X64_RegisterXmm15, 33),
	E(X64_RegisterFpMmx0, 34),
	E(X64_RegisterFpMmx1, 35),
	E(X64_RegisterFpMmx2, 36),
	E(X64_RegisterFpMmx3, 37),
	E(X64_RegisterFpMmx4, 38),
	E(X64_RegisterFpMmx5, 39),
	E(X64_RegisterFpMmx6, 40),
	E(X64_RegisterFpMmx7, 41),
	E(X64_RegisterFpControlStatus, 42),
	E(X64_RegisterXmmControlStatus, 43),
	E(X64_RegisterCr0, 44),
	E(X64_RegisterCr2, 45),
	E(X64_RegisterCr3, 46),
	E(X64_RegisterCr4, 47),
	E(X64_RegisterCr8, 48),
	E(X64_RegisterEfer, 49),
	E(X64_RegisterDr0, 50),
	E(X64_RegisterDr1, 51),
	E(X64_RegisterDr2, 52),
	E(X64_RegisterDr3, 53),
	E(X64_RegisterDr6, 54),
	E(X64_RegisterDr7, 55),
	E(X64_RegisterEs, 56),
	E(X64_RegisterCs, 57),
	E(X64_RegisterSs, 58),
	E(X64_RegisterDs, 59),
	E(X64_RegisterFs, 60),
	E(X64_RegisterGs, 61),
	E(X64_RegisterLdtr, 62),
	E(X64_RegisterTr, 63),
	E(X64_RegisterIdtr, 64),
	E(X64_RegisterGdtr, 65),
	E(X64_RegisterMax, 66),
	E(ARM64_RegisterX0, 67),
	E(ARM64_RegisterX1, 68),
	E(ARM64_RegisterX2, 69),
	E(ARM64_RegisterX3, 70),
	E(ARM64_RegisterX4, 71),
	E(ARM64_RegisterX5, 72),
	E(ARM64_RegisterX6, 73),
	E(ARM64_RegisterX7, 74),
	E(ARM64_RegisterX8, 75),
	E(ARM64_RegisterX9, 76),
	E(ARM64_RegisterX10, 77),
	E(ARM64_RegisterX11, 78),
	E(ARM64_RegisterX12, 79),
	E(ARM64_RegisterX13, 80),
	E(ARM64_RegisterX14, 81),
	E(ARM64_RegisterX15, 82),
	E(ARM64_RegisterX16, 83),
	E(ARM64_RegisterX17, 84),
	E(ARM64_RegisterX18, 85),
	E(ARM64_RegisterX19, 86),
	E(ARM64_RegisterX20, 87),
	E(ARM64_RegisterX21, 88),
	E(ARM64_RegisterX22, 89),
	E(ARM64_RegisterX23, 90),
	E(ARM64_RegisterX24, 91),
	E(ARM64_RegisterX25, 92),
	E(ARM64_RegisterX26, 93),
	E(ARM64_RegisterX27, 94),
	E(ARM64_RegisterX28, 95),
	E(ARM64_RegisterXFp, 96),
	E(ARM64_RegisterXLr, 97),
	E(ARM64_RegisterPc, 98),
	E(ARM64_RegisterSpEl0, 99),
	E(ARM64_RegisterSpEl1, 100),
	E(ARM64_RegisterCpsr, 101),
	E(ARM64_RegisterQ0, 102),
	E(ARM64_RegisterQ1, 103),
	E(ARM64_RegisterQ2, 104),
	E(ARM64_RegisterQ3, 105),
	E(ARM64_RegisterQ4, 106),
	E(ARM64_RegisterQ5, 107),
	E(ARM64_RegisterQ6, 108),
	E(ARM64_RegisterQ7, 109),
	E(ARM64_RegisterQ8, 110),
	E(ARM64_RegisterQ9, 111),
	E(ARM64_RegisterQ10, 112),
	E(ARM64_RegisterQ11, 113),
	E(ARM64_RegisterQ12, 114),
	E(ARM64_RegisterQ13, 115),
	E(ARM64_RegisterQ14, 116),
	E(ARM64_RegisterQ15, 117),
	E(ARM64_RegisterQ16, 118),
	E(ARM64_RegisterQ17, 119),
	E(ARM64_RegisterQ18, 120),
	E(ARM64_RegisterQ19, 121),
	E(ARM64_RegisterQ20, 122),
	E(ARM64_RegisterQ21, 123),
	E(ARM64_RegisterQ22, 124),
	E(ARM64_RegisterQ23, 125),
	E(ARM64_RegisterQ24, 126),
	E(ARM64_RegisterQ25, 127),
	E(ARM64_RegisterQ26, 128),
	E(ARM64_RegisterQ27, 129),
	E(ARM64_RegisterQ28, 130),
	E(ARM64_RegisterQ29, 131),
	E(ARM64_RegisterQ30, 132),
	E(ARM64_RegisterQ31, 133),
	E(ARM64_RegisterFpStatus, 134),
	E(ARM64_RegisterFpControl, 135),
	E(ARM64_RegisterEsrEl1, 136),
	E(ARM64_RegisterSpsrEl1, 137),
	E(ARM64_RegisterFarEl1, 138),
	E(ARM64_RegisterParEl1, 139),
	E(ARM64_RegisterElrEl1, 140),
	E(ARM64_RegisterTtbr0El1, 141),
	E(ARM64_RegisterTtbr1El1, 142),
	E(ARM64_RegisterVbarEl1, 143),
	E(ARM64_RegisterSctlrEl1, 144),
	E(ARM64_RegisterActlrEl1, 145),
	E(ARM64_RegisterTcrEl1, 146),
	E(ARM64_RegisterMairEl1, 147),
	E(ARM64_RegisterAmairEl1, 148),
	E(ARM64_RegisterTpidrEl0, 149),
	E(ARM64_RegisterTpidrroEl0, 150),
	E(ARM64_RegisterTpidrEl1, 151),
	E(ARM64_RegisterContextIdrEl1, 152),
	E(ARM64_RegisterCpacrEl1, 153),
	E(ARM64_RegisterCsselrEl1, 154),
	E(ARM64_RegisterCntkctlEl1, 155),
	E(ARM64_RegisterCntvCvalEl0, 156),
	E(ARM64_RegisterCntvCtlEl0, 157),
	E(ARM64_RegisterMax, 158),
};

static void test_sdk_headers__register_ids(void)
{
	const size_t n = sizeof register_ids / sizeof register_ids[0];
	size_t i, j;

	/* 159 enumerators, 0..158, two of them sentinels (api.md 0, 3.6). */
	CHECK_EQ(n, 159);
	if (!check_enum_table(register_ids, n, "REGISTER_ID"))
		return;
	for (i = 0; i < n; i++) {
		CHECK_EQ(register_ids[i].want, i); /* the table itself is dense */
		for (j = 0; j < i; j++)
			CHECK(strcmp(register_ids[i].name, register_ids[j].name) != 0);
	}
	/* The "handy values" of api.md 3.6, restated. */
	CHECK_EQ(X64_RegisterRsp, 4);
	CHECK_EQ(X64_RegisterRip, 16);
	CHECK_EQ(X64_RegisterCr3, 46);
	CHECK_EQ(X64_RegisterEfer, 49);
	CHECK_EQ(X64_RegisterCs, 57);
	CHECK_EQ(X64_RegisterGdtr, 65);
	CHECK_EQ(ARM64_RegisterPc, 98);
	CHECK_EQ(ARM64_RegisterCpsr, 101);
	CHECK_EQ(ARM64_RegisterTtbr1El1, 142);
	CHECK_EQ(ARM64_RegisterTcrEl1, 146);
	CHECK_EQ(sizeof(REGISTER_ID), 4);
}

static void test_sdk_headers__other_enums(void)
{
	static const enum_case t[] = {
		/* api.md 3.1 */
		E(Paging_Invalid, 0), E(Paging_NonPaged, 1), E(Paging_32Bit, 2),
		E(Paging_Pae, 3), E(Paging_Long, 4), E(Paging_Armv8, 5),
		/* api.md 3.2, with the documentation's misspelling */
		E(Arch_Unknown, 0), E(Arch_Unkown, 0), E(Arch_x86, 1),
		E(Arch_x64, 2), E(Arch_Armv8, 3),
		/* api.md 3.3 */
		E(ProcessorVendor_Unknown, 0), E(ProcessorVendor_Amd, 1),
		E(ProcessorVendor_Intel, 2), E(ProcessorVendor_Hygon, 3),
		E(ProcessorVendor_Arm, 4),
		/* api.md 3.4 */
		E(GuestOsVendorUndefined, 0x0000), E(GuestOsVendorMicrosoft, 0x0001),
		E(GuestOsVendorHPE, 0x0002), E(GuestOsVendorLANCOM, 0x0200),
		E(GuestOsMicrosoftUndefined, 0), E(GuestOsMicrosoftMSDOS, 1),
		E(GuestOsMicrosoftWindows3x, 2), E(GuestOsMicrosoftWindows9x, 3),
		E(GuestOsMicrosoftWindowsNT, 4), E(GuestOsMicrosoftWindowsCE, 5),
		E(GuestOsOpenSourceUndefined, 0), E(GuestOsOpenSourceLinux, 1),
		E(GuestOsOpenSourceFreeBSD, 2), E(GuestOsOpenSourceXen, 3),
		E(GuestOsOpenSourceIllumos, 4),
	};

	if (!check_enum_table(t, sizeof t / sizeof t[0], "enum"))
		return;
	/* api.md 1: every enum is 4 bytes. */
	CHECK_EQ(sizeof(PAGING_MODE), 4);
	CHECK_EQ(sizeof(VIRTUAL_PROCESSOR_ARCH), 4);
	CHECK_EQ(sizeof(VIRTUAL_PROCESSOR_VENDOR), 4);
	CHECK_EQ(sizeof(GUEST_OS_VENDOR), 4);
	CHECK_EQ(sizeof(GUEST_OS_MICROSOFT_IDS), 4);
	CHECK_EQ(sizeof(GUEST_OS_OPENSOURCE_IDS), 4);
}

/* ------------------------------------------------------------------ */
/* HRESULTs                                                            */
/* ------------------------------------------------------------------ */

typedef struct hr_case {
	const char *name;
	HRESULT value;
	uint32_t want;
} hr_case;

#define H(n, v) { #n, (n), (v) }

static void test_sdk_headers__hresults(void)
{
	static const hr_case t[] = {
		/* api.md 5.1, facility 0x037 (22000+ names) */
		H(VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND, 0xC0370500u),
		H(VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND, 0xC0370501u),
		H(VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE, 0xC0370502u),
		H(VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED, 0xC0370503u),
		H(VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND, 0xC0370504u),
		H(VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED, 0xC0370505u),
		H(VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE, 0xC0370506u),
		H(VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED, 0xC0370509u),
		/* api.md 5.2 and winerror.h */
		H(S_OK, 0x00000000u), H(S_FALSE, 0x00000001u),
		H(E_NOTIMPL, 0x80004001u), H(E_POINTER, 0x80004003u),
		H(E_ABORT, 0x80004004u), H(E_FAIL, 0x80004005u),
		H(E_UNEXPECTED, 0x8000FFFFu), H(E_ACCESSDENIED, 0x80070005u),
		H(E_HANDLE, 0x80070006u), H(E_OUTOFMEMORY, 0x8007000Eu),
		H(E_INVALIDARG, 0x80070057u),
		/* HRESULT_FROM_WIN32 codes, named and spelled out */
		H(HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), 0x80070002u),
		H(HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT), 0x80070570u),
		H(HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND), 0x80070003u),
		H(HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED), 0x80070005u),
		H(HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE), 0x80070006u),
		H(HRESULT_FROM_WIN32(ERROR_INVALID_DATA), 0x8007000Du),
		H(HRESULT_FROM_WIN32(ERROR_READ_FAULT), 0x8007001Eu),
		H(HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION), 0x80070020u),
		H(HRESULT_FROM_WIN32(ERROR_HANDLE_EOF), 0x80070026u),
		H(HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED), 0x80070032u),
		H(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER), 0x8007007Au),
		H(HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS), 0x800701E7u),
		H(HRESULT_FROM_WIN32(ERROR_NOT_FOUND), 0x80070490u),
		H(HRESULT_FROM_WIN32(ERROR_SUCCESS), 0x00000000u),
		H(VMSD_E_FILE_NOT_FOUND, 0x80070002u),
		H(VMSD_E_PATH_NOT_FOUND, 0x80070003u),
		H(VMSD_E_ACCESS_DENIED, 0x80070005u),
		H(VMSD_E_INVALID_HANDLE, 0x80070006u),
		H(VMSD_E_INVALID_DATA, 0x8007000Du),
		H(VMSD_E_READ_FAULT, 0x8007001Eu),
		H(VMSD_E_SHARING_VIOLATION, 0x80070020u),
		H(VMSD_E_HANDLE_EOF, 0x80070026u),
		H(VMSD_E_NOT_SUPPORTED, 0x80070032u),
		H(VMSD_E_INSUFFICIENT_BUFFER, 0x8007007Au),
		H(VMSD_E_INVALID_ADDRESS, 0x800701E7u),
		H(VMSD_E_NOT_FOUND, 0x80070490u),
		H(VMSD_E_FILE_CORRUPT, 0x80070570u),
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if ((uint32_t)t[i].value != t[i].want) {
			test__fail(__FILE__, __LINE__, "%s = 0x%08" PRIX32 ", want 0x%08" PRIX32,
				   t[i].name, (uint32_t)t[i].value, t[i].want);
			return;
		}
	}
	/* Win32 error numbers themselves (winerror.h). */
	CHECK_EQ(ERROR_FILE_NOT_FOUND, 2);
	CHECK_EQ(ERROR_FILE_CORRUPT, 1392);
	/* HRESULT is signed 32-bit: failures are negative (api.md 1). */
	CHECK_EQ(sizeof(HRESULT), 4);
	CHECK(E_FAIL < 0 && VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED < 0);
	CHECK(SUCCEEDED(S_OK) && SUCCEEDED(S_FALSE) && !FAILED(S_OK));
	CHECK(FAILED(E_OUTOFMEMORY) && !SUCCEEDED(E_OUTOFMEMORY));
	CHECK(FAILED(VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND));
	/* The generic macro on a value that is not a constant. */
	{
		volatile long code = 1392;
		CHECK_EQ((uint32_t)VMSD_HRESULT_FROM_WIN32(code), 0x80070570u);
	}
}

/* ------------------------------------------------------------------ */
/* Types and layouts                                                   */
/* ------------------------------------------------------------------ */

/* The portable types of api.md 1, independently of the header. */
#if defined(_WIN32)
typedef long t_hresult;
typedef int t_bool;
typedef unsigned long t_dword;
typedef unsigned long t_ulong;
typedef unsigned int t_u32;
typedef wchar_t t_wchar;
#else
typedef int32_t t_hresult;
typedef int32_t t_bool;
typedef uint32_t t_dword;
typedef uint32_t t_ulong;
typedef uint32_t t_u32;
typedef uint_least16_t t_wchar; /* = char16_t, C11 7.28 */
#endif

/* 1 if expression e has type T.  _Generic inside sizeof: nothing is
 * evaluated or referenced, so no definition is needed at link time. */
#define HAS_TYPE(e, T) (sizeof(char[_Generic((e), T: 1, default: 2)]) == 1)

static void test_sdk_headers__scalar_types(void)
{
	CHECK(HAS_TYPE((HRESULT)0, t_hresult));
	CHECK(HAS_TYPE((BOOL)0, t_bool));
	CHECK(HAS_TYPE((DWORD)0, t_dword));
	CHECK(HAS_TYPE((ULONG)0, t_ulong));
	CHECK(HAS_TYPE((UINT32)0, t_u32));
	CHECK(HAS_TYPE((UINT64)0, uint64_t));
	CHECK(HAS_TYPE((UINT16)0, uint16_t));
	CHECK(HAS_TYPE((UINT8)0, uint8_t));
	CHECK(HAS_TYPE((GUEST_VIRTUAL_ADDRESS)0, uint64_t));
	CHECK(HAS_TYPE((GUEST_PHYSICAL_ADDRESS)0, uint64_t));
	CHECK(HAS_TYPE((VM_SAVED_STATE_DUMP_HANDLE)0, void *));
	CHECK(HAS_TYPE((HANDLE)0, void *));
	CHECK(HAS_TYPE((LPVOID)0, void *));
	CHECK(HAS_TYPE((LPCSTR)0, const char *));
	CHECK(HAS_TYPE((LPCWSTR)0, const t_wchar *));
	CHECK(HAS_TYPE((LPWSTR)0, t_wchar *));
	/* Widths, the point of the exercise on LP64 (api.md 1). */
	CHECK_EQ(sizeof(ULONG), 4);
	CHECK_EQ(sizeof(DWORD), 4);
	CHECK_EQ(sizeof(BOOL), 4);
	CHECK_EQ(sizeof(WCHAR), 2);
	CHECK((HRESULT)-1 < 0);
	CHECK((DWORD)-1 > 0);
	/* A UTF-16 literal is a valid LPCWSTR, code unit by code unit. */
	{
		LPCWSTR s = VMSD_WTEXT("v\u00e9");
		CHECK_EQ(s[0], 0x76);
		CHECK_EQ(s[1], 0xE9);
		CHECK_EQ(s[2], 0);
	}
	CHECK_EQ(TRUE, 1);
	CHECK_EQ(FALSE, 0);
}

static void test_sdk_headers__layouts(void)
{
	/* api.md 4.1 */
	CHECK_EQ(sizeof(GPA_MEMORY_CHUNK), 16);
	CHECK_EQ(_Alignof(GPA_MEMORY_CHUNK), 8);
	CHECK_EQ(offsetof(GPA_MEMORY_CHUNK, GuestPhysicalStartPageIndex), 0);
	CHECK_EQ(offsetof(GPA_MEMORY_CHUNK, PageCount), 8);
	/* api.md 4.3 */
	CHECK_EQ(sizeof(VIRTUAL_PROCESSOR_REGISTER), 16);
	CHECK_EQ(_Alignof(VIRTUAL_PROCESSOR_REGISTER), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg128.High64), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Base), 0);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Limit), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Selector), 12);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Attributes), 14);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Table.Limit), 0);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Table.Base), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.FpStatus), 2);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.FpTag), 4);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.Reserved), 5);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpOp), 6);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpRip), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpEip), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpCs), 12);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.LastFpRdp), 0);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.LastFpDp), 0);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.LastFpDs), 4);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.XmmStatusControl), 8);
	CHECK_EQ(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.XmmStatusControlMask), 12);
	/* api.md 4.4 - 4.6 */
	CHECK_EQ(sizeof(GUEST_OS_INFO), 8);
	CHECK_EQ(_Alignof(GUEST_OS_INFO), 8);
	CHECK_EQ(sizeof(DOS_IMAGE_INFO), 24);
	CHECK_EQ(offsetof(DOS_IMAGE_INFO, ImageBaseAddress), 8);
	CHECK_EQ(offsetof(DOS_IMAGE_INFO, ImageSize), 16);
	CHECK_EQ(offsetof(DOS_IMAGE_INFO, Timestamp), 20);
	CHECK_EQ(sizeof(MODULE_INFO), 32);
	CHECK_EQ(offsetof(MODULE_INFO, Image), 8);
}

/* A value with every bit set; volatile so that assigning it to a narrow
 * bitfield is not a constant conversion the compiler warns about. */
static volatile UINT64 all_ones = ~(UINT64)0;

/* Setting only field f of view v must set exactly the bits of mask. */
#define CHECK_OS_FIELD(v, f, mask)                                            \
	do {                                                                   \
		GUEST_OS_INFO u_;                                              \
		u_.AsUINT64 = 0;                                               \
		u_.v.f = all_ones;                                             \
		CHECK_EQ(u_.AsUINT64, (UINT64)(mask));                         \
		u_.AsUINT64 = ~(UINT64)(mask);                                 \
		CHECK_EQ(u_.v.f, 0);                                           \
	} while (0)

static void test_sdk_headers__guest_os_info_bits(void)
{
	GUEST_OS_INFO os;

	/* api.md 4.4 masks. */
	CHECK_OS_FIELD(ClosedSource, BuildNumber, 0x000000000000FFFFull);
	CHECK_OS_FIELD(ClosedSource, ServiceVersion, 0x0000000000FF0000ull);
	CHECK_OS_FIELD(ClosedSource, MinorVersion, 0x00000000FF000000ull);
	CHECK_OS_FIELD(ClosedSource, MajorVersion, 0x000000FF00000000ull);
	CHECK_OS_FIELD(ClosedSource, OsId, 0x0000FF0000000000ull);
	CHECK_OS_FIELD(ClosedSource, VendorId, 0xFFFF000000000000ull);
	CHECK_OS_FIELD(OpenSource, VendorSpecific1, 0x000000000000FFFFull);
	CHECK_OS_FIELD(OpenSource, Version, 0x0000FFFFFFFF0000ull);
	CHECK_OS_FIELD(OpenSource, VendorSpecific2, 0x00FF000000000000ull);
	CHECK_OS_FIELD(OpenSource, OsId, 0x7F00000000000000ull);
	CHECK_OS_FIELD(OpenSource, IsOpenSource, 0x8000000000000000ull);

	/*
	 * A real guest ID: Linux writes (0x8100 << 48) | (LINUX_VERSION_CODE
	 * << 16) (hv_generate_guest_id, include/asm-generic/mshyperv.h), so
	 * kernel 5.15.0 gives 0x810000050F000000.
	 */
	os.AsUINT64 = 0x810000050F000000ull;
	CHECK_EQ(os.OpenSource.IsOpenSource, 1);
	CHECK_EQ(os.OpenSource.OsId, GuestOsOpenSourceLinux);
	CHECK_EQ(os.OpenSource.VendorSpecific2, 0);
	CHECK_EQ(os.OpenSource.Version, 0x050F00); /* 5.15.0 */
	CHECK_EQ(os.OpenSource.VendorSpecific1, 0);
	/* Windows 10 build 19041: vendor Microsoft, OS NT, version 10.0. */
	os.AsUINT64 = 0;
	os.ClosedSource.VendorId = GuestOsVendorMicrosoft;
	os.ClosedSource.OsId = GuestOsMicrosoftWindowsNT;
	os.ClosedSource.MajorVersion = 10;
	os.ClosedSource.BuildNumber = 19041;
	CHECK_EQ(os.AsUINT64, 0x0001040A00004A61ull);
	CHECK_EQ(os.OpenSource.IsOpenSource, 0);
}

/* Setting only segment attribute bit field f must set exactly mask. */
#define CHECK_SEG_FIELD(f, mask)                                               \
	do {                                                                   \
		VIRTUAL_PROCESSOR_REGISTER r_;                                 \
		memset(&r_, 0, sizeof r_);                                     \
		r_.X64.Segment.f = (UINT16)all_ones;                           \
		CHECK_EQ(r_.X64.Segment.Attributes, (mask));                   \
	} while (0)

static void test_sdk_headers__register_union(void)
{
	VIRTUAL_PROCESSOR_REGISTER r;
	uint8_t bytes[16];
	size_t i;

	/* api.md 4.3 attribute bits. */
	CHECK_SEG_FIELD(SegmentType, 0x000F);
	CHECK_SEG_FIELD(NonSystemSegment, 0x0010);
	CHECK_SEG_FIELD(DescriptorPrivilegeLevel, 0x0060);
	CHECK_SEG_FIELD(Present, 0x0080);
	CHECK_SEG_FIELD(Reserved, 0x0F00);
	CHECK_SEG_FIELD(Available, 0x1000);
	CHECK_SEG_FIELD(Long, 0x2000);
	CHECK_SEG_FIELD(Default, 0x4000);
	CHECK_SEG_FIELD(Granularity, 0x8000);

	/* VMX access rights of a 64-bit ring-0 code segment: 0xA09B
	 * (Intel SDM Vol. 3, 24.4.1: type 0xB, S, P, L, G). */
	memset(&r, 0, sizeof r);
	r.X64.Segment.Attributes = 0xA09B;
	CHECK_EQ(r.X64.Segment.SegmentType, 0xB);
	CHECK_EQ(r.X64.Segment.NonSystemSegment, 1);
	CHECK_EQ(r.X64.Segment.DescriptorPrivilegeLevel, 0);
	CHECK_EQ(r.X64.Segment.Present, 1);
	CHECK_EQ(r.X64.Segment.Long, 1);
	CHECK_EQ(r.X64.Segment.Default, 0);
	CHECK_EQ(r.X64.Segment.Granularity, 1);

	/* Little-endian hosts: the byte image matches the offsets above. */
	for (i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)i;
	memcpy(&r, bytes, sizeof r);
	if (r.Reg64 != 0x0706050403020100ull)
		SKIP("big-endian host: byte-image checks are for little endian");
	CHECK_EQ(r.Reg128.High64, 0x0F0E0D0C0B0A0908ull);
	CHECK_EQ(r.X64.Table.Limit, 0x0100);
	CHECK_EQ(r.X64.Table.Base, 0x0F0E0D0C0B0A0908ull);
	CHECK_EQ(r.X64.Segment.Limit, 0x0B0A0908);
	CHECK_EQ(r.X64.Segment.Selector, 0x0D0C);
	CHECK_EQ(r.X64.Segment.Attributes, 0x0F0E);
	CHECK_EQ(r.X64.FpControlStatus.FpTag, 0x04);
	CHECK_EQ(r.X64.FpControlStatus.LastFpOp, 0x0706);
	CHECK_EQ(r.X64.FpControlStatus.LastFpEip, 0x0B0A0908);
	CHECK_EQ(r.X64.FpControlStatus.LastFpCs, 0x0D0C);
	CHECK_EQ(r.X64.XmmControlStatus.LastFpDs, 0x0504);
	CHECK_EQ(r.X64.XmmControlStatus.XmmStatusControl, 0x0B0A0908);
	CHECK_EQ(r.X64.XmmControlStatus.XmmStatusControlMask, 0x0F0E0D0C);
}

/* ------------------------------------------------------------------ */
/* Function declarations                                               */
/* ------------------------------------------------------------------ */

typedef struct fn_case {
	const char *name;
	int ok; /* declared with exactly the expected type */
} fn_case;

#define FN(f, T) { #f, HAS_TYPE(&(f), T) }
#define H_ t_hresult(WINAPI *)

static void test_sdk_headers__functions(void)
{
	/* api.md 2 signatures (G2), in plain types (api.md 1). */
	static const fn_case t[] = {
		/* 2.1 */
		FN(LocateSavedStateFiles, H_(const t_wchar *, const t_wchar *, t_wchar **, t_wchar **, t_wchar **)),
		FN(LoadSavedStateFile, H_(const t_wchar *, void **)),
		FN(LoadSavedStateFiles, H_(const t_wchar *, const t_wchar *, void **)),
		FN(ApplyPendingSavedStateFileReplayLog, H_(const t_wchar *)),
		FN(ReleaseSavedStateFiles, H_(void *)),
		/* 2.3 */
		FN(GetVpCount, H_(void *, t_u32 *)),
		FN(GetGuestEnabledVirtualTrustLevels, H_(void *, t_u32 *)),
		FN(GetGuestOsInfo, H_(void *, uint8_t, GUEST_OS_INFO *)),
		FN(IsNestedVirtualizationEnabled, H_(void *, t_bool *)),
		/* 2.4 */
		FN(GetArchitecture, H_(void *, t_u32, VIRTUAL_PROCESSOR_ARCH *)),
		FN(ForceArchitecture, H_(void *, t_u32, VIRTUAL_PROCESSOR_ARCH)),
		FN(GetActiveVirtualTrustLevel, H_(void *, t_u32, uint8_t *)),
		FN(GetEnabledVirtualTrustLevels, H_(void *, t_u32, t_u32 *)),
		FN(ForceActiveVirtualTrustLevel, H_(void *, t_u32, uint8_t)),
		FN(IsActiveVirtualTrustLevelEnabled, H_(void *, t_u32, t_bool *)),
		FN(GetNestedVirtualizationMode, H_(void *, t_u32, t_bool *)),
		FN(ForceNestedHostMode, H_(void *, t_u32, t_bool, t_bool *)),
		FN(InKernelSpace, H_(void *, t_u32, t_bool *)),
		FN(GetRegisterValue, H_(void *, t_u32, t_dword, VIRTUAL_PROCESSOR_REGISTER *)),
		FN(GetPagingMode, H_(void *, t_u32, PAGING_MODE *)),
		FN(ForcePagingMode, H_(void *, t_u32, PAGING_MODE)),
		/* 2.5 */
		FN(ReadGuestPhysicalAddress, H_(void *, uint64_t, void *, t_u32, t_u32 *)),
		FN(GuestVirtualAddressToPhysicalAddress, H_(void *, t_u32, uint64_t, uint64_t *, uint64_t *)),
		FN(GetGuestPhysicalMemoryChunks, H_(void *, uint64_t *, GPA_MEMORY_CHUNK *, uint64_t *)),
		FN(GuestPhysicalAddressToRawSavedMemoryOffset, H_(void *, uint64_t, uint64_t *)),
		FN(ReadGuestRawSavedMemory, H_(void *, uint64_t, void *, t_u32, t_u32 *)),
		FN(GetGuestRawSavedMemorySize, H_(void *, uint64_t *)),
		FN(SetMemoryBlockCacheLimit, H_(void *, uint64_t)),
		/* no WINAPI in Microsoft's header (api.md 1) */
		FN(GetMemoryBlockCacheLimit, t_hresult (*)(void *, uint64_t *)),
		FN(ApplyGuestMemoryFix, H_(void *, t_u32, uint64_t, void *, t_u32)),
		/* 2.6 */
		FN(LoadSavedStateSymbolProvider, H_(void *, const t_wchar *, t_bool)),
		FN(ReleaseSavedStateSymbolProvider, H_(void *)),
		FN(GetSavedStateSymbolProviderHandle, void *(WINAPI *)(void *)),
		FN(SetSavedStateSymbolProviderDebugInfoCallback,
		   t_hresult (*)(void *, void (CALLBACK *)(const char *))),
		FN(LoadSavedStateModuleSymbols, H_(void *, const char *, const char *, uint64_t, t_dword)),
		FN(LoadSavedStateModuleSymbolsEx,
		   H_(void *, const char *, t_u32, const char *, uint64_t, t_dword)),
		FN(ResolveSavedStateGlobalVariableAddress,
		   H_(void *, t_u32, const char *, uint64_t *, t_ulong *)),
		FN(ReadSavedStateGlobalVariable, H_(void *, t_u32, const char *, void *, t_ulong)),
		FN(GetSavedStateSymbolTypeSize, H_(void *, t_u32, const char *, t_ulong *)),
		FN(FindSavedStateSymbolFieldInType,
		   H_(void *, t_u32, const char *, const t_wchar *, t_u32 *, t_bool *)),
		FN(GetSavedStateSymbolFieldInfo, H_(void *, t_u32, const char *, t_wchar **)),
		/* 2.7 */
		FN(ScanMemoryForDosImages,
		   H_(void *, t_u32, uint64_t, uint64_t, void *,
		      t_bool (CALLBACK *)(void *, DOS_IMAGE_INFO *), uint64_t *, t_dword)),
		FN(CallStackUnwind, H_(void *, t_u32, MODULE_INFO *, t_dword, t_u32, t_wchar **)),
	};
	/* hvsavedstate extensions: the documented deallocators (not declared
	 * for users of the Windows DLL, which exports the SDK's names only;
	 * vmsavedstatedump.h). */
#if !defined(_WIN32) || defined(VMSD_STATIC)
	static const fn_case ext[] = {
		FN(VmSavedStateDumpFreeString, void (WINAPI *)(t_wchar *)),
#  if !defined(_WIN32)
		FN(LocalFree, void *(WINAPI *)(void *)),
#  endif
	};
#endif
	size_t i;

	/* api.md 2.8: 43 declared functions in the current generation. */
	CHECK_EQ(sizeof t / sizeof t[0], 43);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (!t[i].ok) {
			test__fail(__FILE__, __LINE__, "%s: declared type differs from api.md 2",
				   t[i].name);
			return;
		}
	}
#if !defined(_WIN32) || defined(VMSD_STATIC)
	for (i = 0; i < sizeof ext / sizeof ext[0]; i++)
		CHECK(ext[i].ok);
#endif
	/* The callback typedefs (api.md 4.7). */
	CHECK(HAS_TYPE((FOUND_IMAGE_CALLBACK)0, t_bool (CALLBACK *)(void *, DOS_IMAGE_INFO *)));
	CHECK(HAS_TYPE((GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK)0,
		       void (CALLBACK *)(const char *)));
}

TEST_MAIN(TEST(test_sdk_headers__register_ids),
	  TEST(test_sdk_headers__other_enums),
	  TEST(test_sdk_headers__hresults),
	  TEST(test_sdk_headers__scalar_types),
	  TEST(test_sdk_headers__layouts),
	  TEST(test_sdk_headers__guest_os_info_bits),
	  TEST(test_sdk_headers__register_union),
	  TEST(test_sdk_headers__functions))
