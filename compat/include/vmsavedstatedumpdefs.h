/* SPDX-License-Identifier: MIT */
/**
 * @file vmsavedstatedumpdefs.h
 * Types, enumerations and error codes of the VM Saved State Dump Provider
 * API, written for hvsavedstate's SDK-compatible library
 * (libvmsavedstatedumpprovider).  Functions are in vmsavedstatedump.h.
 *
 * This file describes the *current* generation of Microsoft's API (called
 * "G2" in ../shared/spec/api.md: Windows SDK 10.0.22000 and later).  Every
 * value and layout below is taken from api.md sections 1, 3, 4 and 5; the
 * text is this project's own.  Older generations (G1, 17134-20348) used a
 * different register numbering and a 24-byte register struct; they are
 * deliberately not provided (api.md 0, "three incompatible ABI
 * generations").
 *
 * Portability (docs/sdk.md, "Platform types"):
 *  - C11 and C++11, no windows.h needed.  On Windows (_WIN32) the header
 *    includes <windows.h> and uses its types, unless VMSD_NO_WINDOWS_H is
 *    defined: then it defines the Windows types itself, with the exact
 *    Windows definitions (HRESULT = long, DWORD = unsigned long, ...).
 *  - Elsewhere it defines the few Windows types the API needs with fixed
 *    widths (HRESULT = int32_t, ULONG = uint32_t even on LP64, wide
 *    strings = UTF-16 code units).  Each typedef can be suppressed, see
 *    "Guard macros" below.
 *  - Structures have the MSVC layout on every target, 32-bit x86 SysV
 *    included: 64-bit members carry an 8-byte alignment specifier, and
 *    static assertions check every size, alignment and offset api.md 4
 *    gives.
 *
 * Guard macros (define before including):
 *  - VMSD_NO_WINDOWS_H: on _WIN32, do not include <windows.h>; define the
 *    types here (also used by the cross-target header tests).
 *  - VMSD_HAVE_WINDOWS_TYPES: the program already defines every Windows
 *    base type used here (HRESULT, BOOL, DWORD, ULONG, UINT8, UINT16,
 *    UINT32, UINT64, WCHAR, LPCSTR, LPCWSTR, LPWSTR, LPVOID, PVOID, HANDLE,
 *    HLOCAL); none is defined.  Set automatically when the include guards
 *    of windows.h-like headers (_WINDEF_, _MINWINDEF_, _WINNT_,
 *    __WINE_WINDEF_H, __WINE_WINNT_H) are already defined.
 *  - VMSD_HAVE_<TYPE> (e.g. VMSD_HAVE_HRESULT, VMSD_HAVE_BOOL,
 *    VMSD_HAVE_LPCWSTR): skip just that one typedef.  HRESULT is also
 *    skipped when _HRESULT_DEFINED is set (the Windows convention).
 *  - Macros (VOID, TRUE, FALSE, WINAPI, CALLBACK, SUCCEEDED, FAILED,
 *    S_OK, E_*, VM_SAVED_STATE_DUMP_E_*) are each defined only if not
 *    already defined.
 *  - VMSD_NO_WIN32_ERROR_NAMES: do not define the Win32 names ERROR_*,
 *    FACILITY_WIN32 and HRESULT_FROM_WIN32 (they are common words in
 *    non-Windows code); the VMSD_E_* and VMSD_HRESULT_FROM_WIN32
 *    spellings are always available.
 */
#ifndef VMSD_VMSAVEDSTATEDUMPDEFS_H
#define VMSD_VMSAVEDSTATEDUMPDEFS_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Platform types                                                      */
/* ------------------------------------------------------------------ */

/* VMSD_OWN_TYPES: 1 when this header defines the Windows types itself. */
#if defined(_WIN32) && !defined(VMSD_NO_WINDOWS_H)
#  define VMSD_OWN_TYPES 0
#  include <windows.h>
#else
#  define VMSD_OWN_TYPES 1
#endif

#if VMSD_OWN_TYPES && (defined(_WINDEF_) || defined(_MINWINDEF_) ||     \
	defined(_WINNT_) || defined(__WINE_WINDEF_H) || defined(__WINE_WINNT_H))
#  ifndef VMSD_HAVE_WINDOWS_TYPES
#    define VMSD_HAVE_WINDOWS_TYPES 1
#  endif
#endif

#if VMSD_OWN_TYPES && !defined(VMSD_HAVE_WINDOWS_TYPES)
/*
 * Integer types.  On Windows (LLP64) the definitions are the SDK's own, so
 * C++ overloads and mangled names match code built against windows.h.
 * Elsewhere they have the same widths through <stdint.h>; in particular
 * ULONG and DWORD stay 32 bits on LP64, where unsigned long is 64
 * (api.md 1).
 */
#  if defined(_WIN32)
#    if !defined(VMSD_HAVE_HRESULT) && !defined(_HRESULT_DEFINED)
typedef long HRESULT;
#    endif
#    ifndef VMSD_HAVE_BOOL
typedef int BOOL;
#    endif
#    ifndef VMSD_HAVE_DWORD
typedef unsigned long DWORD;
#    endif
#    ifndef VMSD_HAVE_ULONG
typedef unsigned long ULONG;
#    endif
#    ifndef VMSD_HAVE_UINT32
typedef unsigned int UINT32;
#    endif
#    ifndef VMSD_HAVE_WCHAR
/* wchar_t is 16 bits on Windows, and L"..." literals keep working. */
typedef wchar_t WCHAR;
#    endif
#  else
#    if !defined(VMSD_HAVE_HRESULT) && !defined(_HRESULT_DEFINED)
typedef int32_t HRESULT;
#    endif
#    ifndef VMSD_HAVE_BOOL
typedef int32_t BOOL;
#    endif
#    ifndef VMSD_HAVE_DWORD
typedef uint32_t DWORD;
#    endif
#    ifndef VMSD_HAVE_ULONG
typedef uint32_t ULONG;
#    endif
#    ifndef VMSD_HAVE_UINT32
typedef uint32_t UINT32;
#    endif
#    ifndef VMSD_HAVE_WCHAR
/*
 * One UTF-16 code unit.  wchar_t is 32 bits on Linux and macOS, so it
 * cannot be used (api.md 1).  In C++ this is the built-in char16_t, in C
 * it is uint_least16_t, which C11 7.28 defines to be the very type
 * <uchar.h> calls char16_t; u"..." literals therefore work in both
 * languages without needing <uchar.h>.
 */
#      ifdef __cplusplus
typedef char16_t WCHAR;
#      else
typedef uint_least16_t WCHAR;
#      endif
#    endif
#  endif
#  ifndef VMSD_HAVE_UINT8
typedef uint8_t UINT8;
#  endif
#  ifndef VMSD_HAVE_UINT16
typedef uint16_t UINT16;
#  endif
#  ifndef VMSD_HAVE_UINT64
typedef uint64_t UINT64;
#  endif
#  ifndef VMSD_HAVE_LPVOID
typedef void *LPVOID;
#  endif
#  ifndef VMSD_HAVE_PVOID
typedef void *PVOID;
#  endif
#  ifndef VMSD_HAVE_HANDLE
typedef void *HANDLE;
#  endif
#  ifndef VMSD_HAVE_HLOCAL
typedef HANDLE HLOCAL;
#  endif
#  ifndef VMSD_HAVE_LPCSTR
typedef const char *LPCSTR;
#  endif
#  ifndef VMSD_HAVE_LPCWSTR
typedef const WCHAR *LPCWSTR;
#  endif
#  ifndef VMSD_HAVE_LPWSTR
typedef WCHAR *LPWSTR;
#  endif
#endif /* own types */

#if VMSD_OWN_TYPES
#  ifndef VOID
#    define VOID void
#  endif
#  ifndef TRUE
#    define TRUE 1
#  endif
#  ifndef FALSE
#    define FALSE 0
#  endif
/*
 * Calling conventions: __stdcall matters only on 32-bit x86 Windows; on
 * x64 and ARM64 Windows, and on every other system, there is one
 * convention and the macros are empty (api.md 1).
 */
#  if defined(_WIN32) && (defined(_M_IX86) || defined(__i386__))
#    ifndef WINAPI
#      define WINAPI __stdcall
#    endif
#    ifndef CALLBACK
#      define CALLBACK __stdcall
#    endif
#  else
#    ifndef WINAPI
#      define WINAPI
#    endif
#    ifndef CALLBACK
#      define CALLBACK
#    endif
#  endif
#  ifndef SUCCEEDED
#    define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#  endif
#  ifndef FAILED
#    define FAILED(hr) (((HRESULT)(hr)) < 0)
#  endif
#endif

/*
 * VMSD_WTEXT("...") makes a wide string literal of the platform's WCHAR
 * type: L"..." on Windows, u"..." (UTF-16) elsewhere.
 */
#if defined(_WIN32)
#  define VMSD_WTEXT_(s) L##s
#else
#  define VMSD_WTEXT_(s) u##s
#endif
#define VMSD_WTEXT(s) VMSD_WTEXT_(s)

/* API-specific scalar types (api.md 1). */
typedef VOID *VM_SAVED_STATE_DUMP_HANDLE; /**< opaque; from LoadSavedStateFile(s) */
typedef UINT64 GUEST_VIRTUAL_ADDRESS;     /**< a guest virtual address */
typedef UINT64 GUEST_PHYSICAL_ADDRESS;    /**< a guest physical address */

/* ------------------------------------------------------------------ */
/* Helper macros for layout and language differences                   */
/* ------------------------------------------------------------------ */

#ifdef __cplusplus
#  define VMSD_STATIC_ASSERT(c, m) static_assert(c, m)
#  define VMSD_ALIGNOF(t) alignof(t)
#else
#  define VMSD_STATIC_ASSERT(c, m) _Static_assert(c, m)
#  define VMSD_ALIGNOF(t) _Alignof(t)
#endif

/*
 * VMSD_ALIGN8 goes on the 64-bit members.  MSVC aligns UINT64 to 8 bytes
 * on every target, but the i386 System V ABI (gcc -m32) aligns it to 4,
 * which would move GUEST_PHYSICAL_ADDRESS fields and change sizes
 * (api.md 1, "Struct packing").  MSVC itself needs nothing.
 */
#if defined(_MSC_VER) && !defined(__clang__)
#  define VMSD_ALIGN8
#elif defined(__cplusplus)
#  define VMSD_ALIGN8 alignas(8)
#else
#  define VMSD_ALIGN8 _Alignas(8)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Enumerations (api.md 3).  All are int-sized (checked below).        */
/* ------------------------------------------------------------------ */

/** Paging mode of a virtual processor (api.md 3.1). */
typedef enum _PAGING_MODE {
	Paging_Invalid = 0,  /**< no valid mode (or not recorded) */
	Paging_NonPaged = 1, /**< paging disabled: virtual == physical */
	Paging_32Bit = 2,    /**< x86 two-level 32-bit paging */
	Paging_Pae = 3,      /**< x86 PAE three-level paging */
	Paging_Long = 4,     /**< x64 four-level (or five-level) paging */
	Paging_Armv8 = 5     /**< AArch64 translation tables */
} PAGING_MODE;

/**
 * Instruction-set architecture of a virtual processor (api.md 3.2).
 * Microsoft's documentation misspells the first value Arch_Unkown; that
 * spelling is accepted too.
 */
typedef enum _VIRTUAL_PROCESSOR_ARCH {
	Arch_Unknown = 0,
	Arch_x86 = 1,
	Arch_x64 = 2,
	Arch_Armv8 = 3
} VIRTUAL_PROCESSOR_ARCH;
#ifndef Arch_Unkown
#  define Arch_Unkown Arch_Unknown
#endif

/** CPU vendor of the host that saved the state (api.md 3.3; no function uses it). */
typedef enum _VIRTUAL_PROCESSOR_VENDOR {
	ProcessorVendor_Unknown = 0,
	ProcessorVendor_Amd = 1,
	ProcessorVendor_Intel = 2,
	ProcessorVendor_Hygon = 3,
	ProcessorVendor_Arm = 4
} VIRTUAL_PROCESSOR_VENDOR;

/**
 * Vendor field of the Hyper-V guest OS identifier (api.md 3.4; Hyper-V
 * TLFS "Guest OS Identity").
 */
typedef enum _GUEST_OS_VENDOR {
	GuestOsVendorUndefined = 0x0000,
	GuestOsVendorMicrosoft = 0x0001,
	GuestOsVendorHPE = 0x0002,
	GuestOsVendorLANCOM = 0x0200
} GUEST_OS_VENDOR;

/** OS field of a closed-source (Microsoft) guest OS identifier (api.md 3.4). */
typedef enum _GUEST_OS_MICROSOFT_IDS {
	GuestOsMicrosoftUndefined = 0x00,
	GuestOsMicrosoftMSDOS = 0x01,
	GuestOsMicrosoftWindows3x = 0x02,
	GuestOsMicrosoftWindows9x = 0x03,
	GuestOsMicrosoftWindowsNT = 0x04,
	GuestOsMicrosoftWindowsCE = 0x05
} GUEST_OS_MICROSOFT_IDS;

/** OS field of an open-source guest OS identifier (api.md 3.4). */
typedef enum _GUEST_OS_OPENSOURCE_IDS {
	GuestOsOpenSourceUndefined = 0x00,
	GuestOsOpenSourceLinux = 0x01,
	GuestOsOpenSourceFreeBSD = 0x02,
	GuestOsOpenSourceXen = 0x03,
	GuestOsOpenSourceIllumos = 0x04
} GUEST_OS_OPENSOURCE_IDS;

/**
 * Register identifiers for GetRegisterValue (api.md 3.6, the 22000+
 * numbering).  x86 and x64 guests share the X64_* names (0-65; a 32-bit
 * guest's EAX is X64_RegisterRax); ARM64 guests use 67-157.  The two
 * *_RegisterMax values are sentinels, not registers.  The numbering is
 * NOT the one of SDKs before 10.0.22000, nor WinHvPlatform's: only 0-17
 * agree with the older SDKs (api.md 7.1).
 *
 * Which member of VIRTUAL_PROCESSOR_REGISTER receives the value:
 * Reg64 for general, control and debug registers, RIP/RFLAGS, EFER and
 * all ARM64 64-bit registers; Reg128 for XMM0-15, FpMmx0-7 (the 80-bit x87
 * value in the low bytes) and ARM64 Q0-31; X64.Segment for Es..Tr;
 * X64.Table for Idtr/Gdtr; X64.FpControlStatus and X64.XmmControlStatus
 * for the like-named registers.
 */
typedef enum _REGISTER_ID {
	X64_RegisterRax = 0,
	X64_RegisterRcx = 1,
	X64_RegisterRdx = 2,
	X64_RegisterRbx = 3,
	X64_RegisterRsp = 4,
	X64_RegisterRbp = 5,
	X64_RegisterRsi = 6,
	X64_RegisterRdi = 7,
	X64_RegisterR8 = 8,
	X64_RegisterR9 = 9,
	X64_RegisterR10 = 10,
	X64_RegisterR11 = 11,
	X64_RegisterR12 = 12,
	X64_RegisterR13 = 13,
	X64_RegisterR14 = 14,
	X64_RegisterR15 = 15,
	X64_RegisterRip = 16,
	X64_RegisterRFlags = 17,
	X64_RegisterXmm0 = 18,
	X64_RegisterXmm1 = 19,
	X64_RegisterXmm2 = 20,
	X64_RegisterXmm3 = 21,
	X64_RegisterXmm4 = 22,
	X64_RegisterXmm5 = 23,
	X64_RegisterXmm6 = 24,
	X64_RegisterXmm7 = 25,
	X64_RegisterXmm8 = 26,
	X64_RegisterXmm9 = 27,
	X64_RegisterXmm10 = 28,
	X64_RegisterXmm11 = 29,
	X64_RegisterXmm12 = 30,
	X64_RegisterXmm13 = 31,
	X64_RegisterXmm14 = 32,
	X64_RegisterXmm15 = 33,
	X64_RegisterFpMmx0 = 34,
	X64_RegisterFpMmx1 = 35,
	X64_RegisterFpMmx2 = 36,
	X64_RegisterFpMmx3 = 37,
	X64_RegisterFpMmx4 = 38,
	X64_RegisterFpMmx5 = 39,
	X64_RegisterFpMmx6 = 40,
	X64_RegisterFpMmx7 = 41,
	X64_RegisterFpControlStatus = 42,
	X64_RegisterXmmControlStatus = 43,
	X64_RegisterCr0 = 44,
	X64_RegisterCr2 = 45,
	X64_RegisterCr3 = 46,
	X64_RegisterCr4 = 47,
	X64_RegisterCr8 = 48,
	X64_RegisterEfer = 49,
	X64_RegisterDr0 = 50,
	X64_RegisterDr1 = 51,
	X64_RegisterDr2 = 52,
	X64_RegisterDr3 = 53,
	X64_RegisterDr6 = 54,
	X64_RegisterDr7 = 55,
	X64_RegisterEs = 56,
	X64_RegisterCs = 57,
	X64_RegisterSs = 58,
	X64_RegisterDs = 59,
	X64_RegisterFs = 60,
	X64_RegisterGs = 61,
	X64_RegisterLdtr = 62,
	X64_RegisterTr = 63,
	X64_RegisterIdtr = 64,
	X64_RegisterGdtr = 65,
	X64_RegisterMax = 66,
	ARM64_RegisterX0 = 67,
	ARM64_RegisterX1 = 68,
	ARM64_RegisterX2 = 69,
	ARM64_RegisterX3 = 70,
	ARM64_RegisterX4 = 71,
	ARM64_RegisterX5 = 72,
	ARM64_RegisterX6 = 73,
	ARM64_RegisterX7 = 74,
	ARM64_RegisterX8 = 75,
	ARM64_RegisterX9 = 76,
	ARM64_RegisterX10 = 77,
	ARM64_RegisterX11 = 78,
	ARM64_RegisterX12 = 79,
	ARM64_RegisterX13 = 80,
	ARM64_RegisterX14 = 81,
	ARM64_RegisterX15 = 82,
	ARM64_RegisterX16 = 83,
	ARM64_RegisterX17 = 84,
	ARM64_RegisterX18 = 85,
	ARM64_RegisterX19 = 86,
	ARM64_RegisterX20 = 87,
	ARM64_RegisterX21 = 88,
	ARM64_RegisterX22 = 89,
	ARM64_RegisterX23 = 90,
	ARM64_RegisterX24 = 91,
	ARM64_RegisterX25 = 92,
	ARM64_RegisterX26 = 93,
	ARM64_RegisterX27 = 94,
	ARM64_RegisterX28 = 95,
	ARM64_RegisterXFp = 96,
	ARM64_RegisterXLr = 97,
	ARM64_RegisterPc = 98,
	ARM64_RegisterSpEl0 = 99,
	ARM64_RegisterSpEl1 = 100,
	ARM64_RegisterCpsr = 101,
	ARM64_RegisterQ0 = 102,
	ARM64_RegisterQ1 = 103,
	ARM64_RegisterQ2 = 104,
	ARM64_RegisterQ3 = 105,
	ARM64_RegisterQ4 = 106,
	ARM64_RegisterQ5 = 107,
	ARM64_RegisterQ6 = 108,
	ARM64_RegisterQ7 = 109,
	ARM64_RegisterQ8 = 110,
	ARM64_RegisterQ9 = 111,
	ARM64_RegisterQ10 = 112,
	ARM64_RegisterQ11 = 113,
	ARM64_RegisterQ12 = 114,
	ARM64_RegisterQ13 = 115,
	ARM64_RegisterQ14 = 116,
	ARM64_RegisterQ15 = 117,
	ARM64_RegisterQ16 = 118,
	ARM64_RegisterQ17 = 119,
	ARM64_RegisterQ18 = 120,
	ARM64_RegisterQ19 = 121,
	ARM64_RegisterQ20 = 122,
	ARM64_RegisterQ21 = 123,
	ARM64_RegisterQ22 = 124,
	ARM64_RegisterQ23 = 125,
	ARM64_RegisterQ24 = 126,
	ARM64_RegisterQ25 = 127,
	ARM64_RegisterQ26 = 128,
	ARM64_RegisterQ27 = 129,
	ARM64_RegisterQ28 = 130,
	ARM64_RegisterQ29 = 131,
	ARM64_RegisterQ30 = 132,
	ARM64_RegisterQ31 = 133,
	ARM64_RegisterFpStatus = 134,
	ARM64_RegisterFpControl = 135,
	ARM64_RegisterEsrEl1 = 136,
	ARM64_RegisterSpsrEl1 = 137,
	ARM64_RegisterFarEl1 = 138,
	ARM64_RegisterParEl1 = 139,
	ARM64_RegisterElrEl1 = 140,
	ARM64_RegisterTtbr0El1 = 141,
	ARM64_RegisterTtbr1El1 = 142,
	ARM64_RegisterVbarEl1 = 143,
	ARM64_RegisterSctlrEl1 = 144,
	ARM64_RegisterActlrEl1 = 145,
	ARM64_RegisterTcrEl1 = 146,
	ARM64_RegisterMairEl1 = 147,
	ARM64_RegisterAmairEl1 = 148,
	ARM64_RegisterTpidrEl0 = 149,
	ARM64_RegisterTpidrroEl0 = 150,
	ARM64_RegisterTpidrEl1 = 151,
	ARM64_RegisterContextIdrEl1 = 152,
	ARM64_RegisterCpacrEl1 = 153,
	ARM64_RegisterCsselrEl1 = 154,
	ARM64_RegisterCntkctlEl1 = 155,
	ARM64_RegisterCntvCvalEl0 = 156,
	ARM64_RegisterCntvCtlEl0 = 157,
	ARM64_RegisterMax = 158

} REGISTER_ID;

/* ------------------------------------------------------------------ */
/* Structures (api.md 4).  Layout = MSVC on every target.              */
/* ------------------------------------------------------------------ */

/**
 * One run of guest-physical pages (api.md 4.1).  The run starts at guest
 * physical address GuestPhysicalStartPageIndex * page size, where the page
 * size is the one GetGuestPhysicalMemoryChunks returns.
 */
typedef struct _GPA_MEMORY_CHUNK {
	VMSD_ALIGN8 UINT64 GuestPhysicalStartPageIndex; /**< first page (index, not address) */
	UINT64 PageCount;                               /**< number of pages in the run */
} GPA_MEMORY_CHUNK, *PGPA_MEMORY_CHUNK;

/*
 * The register union and the guest OS identity use nameless members
 * (C11 6.7.2.1p13).  C++ accepts nameless unions but, strictly, not
 * nameless structs; every C++ compiler in use supports them, so silence
 * the pedantic diagnostic for these declarations only.
 */
#if defined(__clang__)
#  pragma clang diagnostic push
#  pragma clang diagnostic ignored "-Wpedantic"
#  pragma clang diagnostic ignored "-Wgnu-anonymous-struct"
#  pragma clang diagnostic ignored "-Wnested-anon-types"
#elif defined(__GNUC__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wpedantic"
#elif defined(_MSC_VER)
#  pragma warning(push)
#  pragma warning(disable : 4201) /* nameless struct/union */
#endif

/**
 * Value of one virtual-processor register, as GetRegisterValue returns it
 * (api.md 4.3): a 16-byte union.  The register id decides which member is
 * meaningful (see REGISTER_ID).  Unused bytes are zero.
 */
typedef union _VIRTUAL_PROCESSOR_REGISTER {
	VMSD_ALIGN8 UINT64 Reg64; /**< 64-bit registers */
	UINT32 Reg32;             /**< low 32 bits */
	UINT16 Reg16;             /**< low 16 bits */
	UINT8 Reg8;               /**< low 8 bits */

	/** 128-bit registers (XMM, ARM64 Q, x87 80-bit values). */
	struct {
		VMSD_ALIGN8 UINT64 Low64;
		UINT64 High64;
	} Reg128;

	/** Structured x86/x64 registers. */
	union {
		/** A segment register (Es, Cs, Ss, Ds, Fs, Gs, Ldtr, Tr). */
		struct {
			VMSD_ALIGN8 UINT64 Base;
			UINT32 Limit;
			UINT16 Selector;
			union {
				/** Packed access rights, VMX/SVM style. */
				UINT16 Attributes;
				struct {
					UINT16 SegmentType : 4;              /**< bits 0-3 */
					UINT16 NonSystemSegment : 1;         /**< bit 4 (S) */
					UINT16 DescriptorPrivilegeLevel : 2; /**< bits 5-6 */
					UINT16 Present : 1;                  /**< bit 7 (P) */
					UINT16 Reserved : 4;                 /**< bits 8-11 */
					UINT16 Available : 1;                /**< bit 12 (AVL) */
					UINT16 Long : 1;                     /**< bit 13 (L) */
					UINT16 Default : 1;                  /**< bit 14 (D/B) */
					UINT16 Granularity : 1;              /**< bit 15 (G) */
				};
			};
		} Segment;

		/** A descriptor-table register (Idtr, Gdtr).  Limit comes first. */
		struct {
			UINT16 Limit;
			VMSD_ALIGN8 UINT64 Base;
		} Table;

		/** x87 control/status (FXSAVE bytes 0-15 layout). */
		struct {
			UINT16 FpControl;
			UINT16 FpStatus;
			UINT8 FpTag;    /**< abridged tag byte */
			UINT8 Reserved;
			UINT16 LastFpOp;
			union {
				VMSD_ALIGN8 UINT64 LastFpRip; /**< 64-bit mode */
				struct {
					UINT32 LastFpEip; /**< 32-bit mode */
					UINT16 LastFpCs;
				};
			};
		} FpControlStatus;

		/** SSE control/status (FXSAVE bytes 16-31 layout). */
		struct {
			union {
				VMSD_ALIGN8 UINT64 LastFpRdp; /**< 64-bit mode */
				struct {
					UINT32 LastFpDp; /**< 32-bit mode */
					UINT16 LastFpDs;
				};
			};
			UINT32 XmmStatusControl;     /**< MXCSR */
			UINT32 XmmStatusControlMask; /**< MXCSR_MASK */
		} XmmControlStatus;
	} X64;

#ifdef __cplusplus
	/** Zero-filled value (the SDK's C++ union also starts zeroed). */
	_VIRTUAL_PROCESSOR_REGISTER() : Reg128() {}
	/** A 64-bit value in Reg128.Low64, High64 zero. */
	_VIRTUAL_PROCESSOR_REGISTER(UINT64 value) : Reg128()
	{
		Reg128.Low64 = value;
	}
#endif
} VIRTUAL_PROCESSOR_REGISTER, *PVIRTUAL_PROCESSOR_REGISTER;

/**
 * Guest OS identity (api.md 4.4): the value the guest wrote to the Hyper-V
 * guest OS ID MSR, with two bitfield views.  Bit 63 (OpenSource.IsOpenSource)
 * tells which view applies.  Bitfields are allocated from bit 0 upwards by
 * MSVC, gcc and clang alike for a single 64-bit underlying type.
 */
typedef union _GUEST_OS_INFO {
	VMSD_ALIGN8 UINT64 AsUINT64;
	/** Closed-source (e.g. Windows) guests. */
	struct {
		UINT64 BuildNumber : 16;    /**< bits 0-15 */
		UINT64 ServiceVersion : 8;  /**< bits 16-23 (service pack etc.) */
		UINT64 MinorVersion : 8;    /**< bits 24-31 */
		UINT64 MajorVersion : 8;    /**< bits 32-39 */
		UINT64 OsId : 8;            /**< bits 40-47, GUEST_OS_MICROSOFT_IDS */
		UINT64 VendorId : 16;       /**< bits 48-63, GUEST_OS_VENDOR */
	} ClosedSource;
	/** Open-source (e.g. Linux) guests. */
	struct {
		UINT64 VendorSpecific1 : 16; /**< bits 0-15 */
		UINT64 Version : 32;         /**< bits 16-47 */
		UINT64 VendorSpecific2 : 8;  /**< bits 48-55 */
		UINT64 OsId : 7;             /**< bits 56-62, GUEST_OS_OPENSOURCE_IDS */
		UINT64 IsOpenSource : 1;     /**< bit 63 */
	} OpenSource;
} GUEST_OS_INFO, *PGUEST_OS_INFO;

#if defined(__clang__)
#  pragma clang diagnostic pop
#elif defined(__GNUC__)
#  pragma GCC diagnostic pop
#elif defined(_MSC_VER)
#  pragma warning(pop)
#endif

/**
 * A PE ("DOS") image found by ScanMemoryForDosImages (api.md 4.5).
 * PdbName is borrowed: valid only while the callback runs.
 */
typedef struct _DOS_IMAGE_INFO {
	LPCSTR PdbName;                               /**< CodeView PDB name, or NULL */
	VMSD_ALIGN8 GUEST_VIRTUAL_ADDRESS ImageBaseAddress;
	DWORD ImageSize;                              /**< SizeOfImage */
	UINT32 Timestamp;                             /**< TimeDateStamp */
} DOS_IMAGE_INFO, *PDOS_IMAGE_INFO;

/** A loaded module passed to CallStackUnwind (api.md 4.6). */
typedef struct _MODULE_INFO {
	LPCSTR ProcessImageName; /**< name of the process owning the module */
	DOS_IMAGE_INFO Image;
} MODULE_INFO, *PMODULE_INFO;

/**
 * Receives the symbol provider's debug messages (api.md 4.7).  The string
 * is borrowed for the duration of the call.
 */
typedef VOID (CALLBACK *GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK)(LPCSTR InfoMessage);

/**
 * Called by ScanMemoryForDosImages for every image found (api.md 4.7).
 * Return TRUE to stop the scan, FALSE to continue.
 */
typedef BOOL (CALLBACK *FOUND_IMAGE_CALLBACK)(PVOID Context, PDOS_IMAGE_INFO ImageInfo);

/* ------------------------------------------------------------------ */
/* Layout checks (api.md 1 and 4).                                     */
/* ------------------------------------------------------------------ */

VMSD_STATIC_ASSERT(sizeof(PAGING_MODE) == 4, "PAGING_MODE is 4 bytes");
VMSD_STATIC_ASSERT(sizeof(VIRTUAL_PROCESSOR_ARCH) == 4, "VIRTUAL_PROCESSOR_ARCH is 4 bytes");
VMSD_STATIC_ASSERT(sizeof(VIRTUAL_PROCESSOR_VENDOR) == 4, "VIRTUAL_PROCESSOR_VENDOR is 4 bytes");
VMSD_STATIC_ASSERT(sizeof(GUEST_OS_VENDOR) == 4, "GUEST_OS_VENDOR is 4 bytes");
VMSD_STATIC_ASSERT(sizeof(GUEST_OS_MICROSOFT_IDS) == 4, "GUEST_OS_MICROSOFT_IDS is 4 bytes");
VMSD_STATIC_ASSERT(sizeof(GUEST_OS_OPENSOURCE_IDS) == 4, "GUEST_OS_OPENSOURCE_IDS is 4 bytes");
VMSD_STATIC_ASSERT(sizeof(REGISTER_ID) == 4, "REGISTER_ID is 4 bytes");

VMSD_STATIC_ASSERT(sizeof(HRESULT) == 4 && sizeof(BOOL) == 4, "HRESULT, BOOL are 32-bit");
VMSD_STATIC_ASSERT(sizeof(DWORD) == 4 && sizeof(ULONG) == 4 && sizeof(UINT32) == 4,
		   "DWORD, ULONG, UINT32 are 32-bit (also on LP64)");
VMSD_STATIC_ASSERT(sizeof(UINT64) == 8 && sizeof(UINT16) == 2 && sizeof(UINT8) == 1,
		   "fixed-width integers");
VMSD_STATIC_ASSERT(sizeof(WCHAR) == 2, "wide strings are UTF-16");
VMSD_STATIC_ASSERT(sizeof(GUEST_VIRTUAL_ADDRESS) == 8 && sizeof(GUEST_PHYSICAL_ADDRESS) == 8,
		   "guest addresses are 64-bit");

VMSD_STATIC_ASSERT(sizeof(GPA_MEMORY_CHUNK) == 16, "GPA_MEMORY_CHUNK size");
VMSD_STATIC_ASSERT(VMSD_ALIGNOF(GPA_MEMORY_CHUNK) == 8, "GPA_MEMORY_CHUNK alignment");
VMSD_STATIC_ASSERT(offsetof(GPA_MEMORY_CHUNK, GuestPhysicalStartPageIndex) == 0, "chunk start");
VMSD_STATIC_ASSERT(offsetof(GPA_MEMORY_CHUNK, PageCount) == 8, "chunk count");

VMSD_STATIC_ASSERT(sizeof(VIRTUAL_PROCESSOR_REGISTER) == 16, "VIRTUAL_PROCESSOR_REGISTER size");
VMSD_STATIC_ASSERT(VMSD_ALIGNOF(VIRTUAL_PROCESSOR_REGISTER) == 8, "VIRTUAL_PROCESSOR_REGISTER alignment");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg64) == 0, "Reg64");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg32) == 0, "Reg32");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg16) == 0, "Reg16");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg8) == 0, "Reg8");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg128.Low64) == 0, "Reg128.Low64");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, Reg128.High64) == 8, "Reg128.High64");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Base) == 0, "Segment.Base");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Limit) == 8, "Segment.Limit");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Selector) == 12, "Segment.Selector");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Segment.Attributes) == 14, "Segment.Attributes");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Table.Limit) == 0, "Table.Limit");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.Table.Base) == 8, "Table.Base");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.FpControl) == 0, "FpControl");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.FpStatus) == 2, "FpStatus");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.FpTag) == 4, "FpTag");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.Reserved) == 5, "FpControlStatus.Reserved");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpOp) == 6, "LastFpOp");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpRip) == 8, "LastFpRip");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpEip) == 8, "LastFpEip");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.FpControlStatus.LastFpCs) == 12, "LastFpCs");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.LastFpRdp) == 0, "LastFpRdp");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.LastFpDp) == 0, "LastFpDp");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.LastFpDs) == 4, "LastFpDs");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.XmmStatusControl) == 8, "XmmStatusControl");
VMSD_STATIC_ASSERT(offsetof(VIRTUAL_PROCESSOR_REGISTER, X64.XmmControlStatus.XmmStatusControlMask) == 12, "XmmStatusControlMask");

VMSD_STATIC_ASSERT(sizeof(GUEST_OS_INFO) == 8, "GUEST_OS_INFO size");
VMSD_STATIC_ASSERT(VMSD_ALIGNOF(GUEST_OS_INFO) == 8, "GUEST_OS_INFO alignment");
VMSD_STATIC_ASSERT(offsetof(GUEST_OS_INFO, AsUINT64) == 0, "AsUINT64");

VMSD_STATIC_ASSERT(sizeof(DOS_IMAGE_INFO) == 24, "DOS_IMAGE_INFO size");
VMSD_STATIC_ASSERT(VMSD_ALIGNOF(DOS_IMAGE_INFO) == 8, "DOS_IMAGE_INFO alignment");
VMSD_STATIC_ASSERT(offsetof(DOS_IMAGE_INFO, PdbName) == 0, "PdbName");
VMSD_STATIC_ASSERT(offsetof(DOS_IMAGE_INFO, ImageBaseAddress) == 8, "ImageBaseAddress");
VMSD_STATIC_ASSERT(offsetof(DOS_IMAGE_INFO, ImageSize) == 16, "ImageSize");
VMSD_STATIC_ASSERT(offsetof(DOS_IMAGE_INFO, Timestamp) == 20, "Timestamp");

VMSD_STATIC_ASSERT(sizeof(MODULE_INFO) == 32, "MODULE_INFO size");
VMSD_STATIC_ASSERT(VMSD_ALIGNOF(MODULE_INFO) == 8, "MODULE_INFO alignment");
VMSD_STATIC_ASSERT(offsetof(MODULE_INFO, ProcessImageName) == 0, "ProcessImageName");
VMSD_STATIC_ASSERT(offsetof(MODULE_INFO, Image) == 8, "Image");

/* ------------------------------------------------------------------ */
/* Error codes (api.md 5)                                              */
/* ------------------------------------------------------------------ */

/* An HRESULT from its 32-bit pattern (conversion is modulo 2^32 on every
 * supported compiler). */
#define VMSD_HRESULT(x) ((HRESULT)(x))

/*
 * Facility 0x037 codes of the provider (winerror.h, SDK 10.0.22000+;
 * api.md 5.1).  0xC0370505 and 0xC0370506 had other names before 22000
 * (PXE_NOT_PRESENT, PDPTE_NOT_PRESENT); this header uses the current ones.
 */
#ifndef VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND
/** The file holds no saved partition state (the VM was not saved, e.g. a configuration-only .vmrs). */
#  define VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND VMSD_HRESULT(0xC0370500)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND
/** The saved state holds no guest memory. */
#  define VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND VMSD_HRESULT(0xC0370501)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE
/** The partition state holds no virtual-processor state. */
#  define VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE VMSD_HRESULT(0xC0370502)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED
/** A virtual processor uses nested virtualization, which the operation cannot handle. */
#  define VM_SAVED_STATE_DUMP_E_NESTED_VIRTUALIZATION_NOT_SUPPORTED VMSD_HRESULT(0xC0370503)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND
/** The Windows kernel image could not be located in guest memory. */
#  define VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND VMSD_HRESULT(0xC0370504)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED
/** The virtual address does not translate (a paging-structure entry is not present). */
#  define VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED VMSD_HRESULT(0xC0370505)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE
/** The virtual processor's state does not allow the operation. */
#  define VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE VMSD_HRESULT(0xC0370506)
#endif
#ifndef VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED
/** The active (possibly forced) VTL is not enabled on the virtual processor. */
#  define VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED VMSD_HRESULT(0xC0370509)
#endif

/*
 * Generic COM codes (winerror.h).  Defined only when this header supplies
 * the Windows types; with <windows.h> they come from winerror.h.
 */
#if VMSD_OWN_TYPES
#  ifndef S_OK
#    define S_OK VMSD_HRESULT(0x00000000)
#  endif
#  ifndef S_FALSE
#    define S_FALSE VMSD_HRESULT(0x00000001)
#  endif
#  ifndef E_NOTIMPL
#    define E_NOTIMPL VMSD_HRESULT(0x80004001)
#  endif
#  ifndef E_POINTER
#    define E_POINTER VMSD_HRESULT(0x80004003)
#  endif
#  ifndef E_ABORT
#    define E_ABORT VMSD_HRESULT(0x80004004)
#  endif
#  ifndef E_FAIL
#    define E_FAIL VMSD_HRESULT(0x80004005)
#  endif
#  ifndef E_UNEXPECTED
#    define E_UNEXPECTED VMSD_HRESULT(0x8000FFFF)
#  endif
#  ifndef E_ACCESSDENIED
#    define E_ACCESSDENIED VMSD_HRESULT(0x80070005)
#  endif
#  ifndef E_HANDLE
#    define E_HANDLE VMSD_HRESULT(0x80070006)
#  endif
#  ifndef E_OUTOFMEMORY
#    define E_OUTOFMEMORY VMSD_HRESULT(0x8007000E)
#  endif
#  ifndef E_INVALIDARG
#    define E_INVALIDARG VMSD_HRESULT(0x80070057)
#  endif
#endif

/*
 * Win32 errors wrapped as HRESULTs (facility 7: 0x8007xxxx), under names
 * that cannot clash with anything.  These are the ones this implementation
 * returns (docs/sdk.md, "Error codes").
 */
#define VMSD_FACILITY_WIN32 7
/** HRESULT_FROM_WIN32 for a Win32 error code 0..0xFFFF (0 stays S_OK). */
#define VMSD_HRESULT_FROM_WIN32(e)                                        \
	((e) == 0 ? VMSD_HRESULT(0)                                       \
		  : VMSD_HRESULT(((uint32_t)(e) & 0xFFFFu) |              \
				 ((uint32_t)VMSD_FACILITY_WIN32 << 16) |  \
				 0x80000000u))
#define VMSD_E_FILE_NOT_FOUND       VMSD_HRESULT(0x80070002) /**< ERROR_FILE_NOT_FOUND (2) */
#define VMSD_E_PATH_NOT_FOUND       VMSD_HRESULT(0x80070003) /**< ERROR_PATH_NOT_FOUND (3) */
#define VMSD_E_ACCESS_DENIED        VMSD_HRESULT(0x80070005) /**< ERROR_ACCESS_DENIED (5) */
#define VMSD_E_INVALID_HANDLE       VMSD_HRESULT(0x80070006) /**< ERROR_INVALID_HANDLE (6) = E_HANDLE */
#define VMSD_E_INVALID_DATA         VMSD_HRESULT(0x8007000D) /**< ERROR_INVALID_DATA (13) */
#define VMSD_E_READ_FAULT           VMSD_HRESULT(0x8007001E) /**< ERROR_READ_FAULT (30) */
#define VMSD_E_SHARING_VIOLATION    VMSD_HRESULT(0x80070020) /**< ERROR_SHARING_VIOLATION (32) */
#define VMSD_E_HANDLE_EOF           VMSD_HRESULT(0x80070026) /**< ERROR_HANDLE_EOF (38) */
#define VMSD_E_NOT_SUPPORTED        VMSD_HRESULT(0x80070032) /**< ERROR_NOT_SUPPORTED (50) */
#define VMSD_E_INSUFFICIENT_BUFFER  VMSD_HRESULT(0x8007007A) /**< ERROR_INSUFFICIENT_BUFFER (122) */
#define VMSD_E_INVALID_ADDRESS      VMSD_HRESULT(0x800701E7) /**< ERROR_INVALID_ADDRESS (487) */
#define VMSD_E_NOT_FOUND            VMSD_HRESULT(0x80070490) /**< ERROR_NOT_FOUND (1168) */
#define VMSD_E_FILE_CORRUPT         VMSD_HRESULT(0x80070570) /**< ERROR_FILE_CORRUPT (1392) */

/* The Win32 spellings, for code written against windows.h. */
#if VMSD_OWN_TYPES && !defined(VMSD_NO_WIN32_ERROR_NAMES)
#  ifndef FACILITY_WIN32
#    define FACILITY_WIN32 VMSD_FACILITY_WIN32
#  endif
#  ifndef HRESULT_FROM_WIN32
#    define HRESULT_FROM_WIN32(e) VMSD_HRESULT_FROM_WIN32(e)
#  endif
#  ifndef ERROR_SUCCESS
#    define ERROR_SUCCESS 0L
#  endif
#  ifndef ERROR_FILE_NOT_FOUND
#    define ERROR_FILE_NOT_FOUND 2L
#  endif
#  ifndef ERROR_PATH_NOT_FOUND
#    define ERROR_PATH_NOT_FOUND 3L
#  endif
#  ifndef ERROR_ACCESS_DENIED
#    define ERROR_ACCESS_DENIED 5L
#  endif
#  ifndef ERROR_INVALID_HANDLE
#    define ERROR_INVALID_HANDLE 6L
#  endif
#  ifndef ERROR_INVALID_DATA
#    define ERROR_INVALID_DATA 13L
#  endif
#  ifndef ERROR_READ_FAULT
#    define ERROR_READ_FAULT 30L
#  endif
#  ifndef ERROR_SHARING_VIOLATION
#    define ERROR_SHARING_VIOLATION 32L
#  endif
#  ifndef ERROR_HANDLE_EOF
#    define ERROR_HANDLE_EOF 38L
#  endif
#  ifndef ERROR_NOT_SUPPORTED
#    define ERROR_NOT_SUPPORTED 50L
#  endif
#  ifndef ERROR_INSUFFICIENT_BUFFER
#    define ERROR_INSUFFICIENT_BUFFER 122L
#  endif
#  ifndef ERROR_INVALID_ADDRESS
#    define ERROR_INVALID_ADDRESS 487L
#  endif
#  ifndef ERROR_NOT_FOUND
#    define ERROR_NOT_FOUND 1168L
#  endif
#  ifndef ERROR_FILE_CORRUPT
#    define ERROR_FILE_CORRUPT 1392L
#  endif
#endif

#ifdef __cplusplus
}
#endif

#endif /* VMSD_VMSAVEDSTATEDUMPDEFS_H */
