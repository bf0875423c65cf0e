/* SPDX-License-Identifier: MIT */
/*
 * Layout of the generated Windows-like guest (tests/data/winguest/README.md):
 * the constants both the guest sources (compiled with clang for
 * x86_64-pc-windows-msvc) and the fixture builder (tests/gen/main_winguest.c,
 * host C) agree on, and that tests may use as expected values.
 *
 * Only macros: this header is included by freestanding MSVC-target code and
 * by host C code alike.
 */
#ifndef HVS_WINGUEST_LAYOUT_H
#define HVS_WINGUEST_LAYOUT_H

/* Virtual processors: VP 0 in kernel mode, VP 1 in user mode. */
#define WG_VP_COUNT 2

/* Image bases (linked there with /BASE and /FIXED; 64 KiB aligned). */
#define WG_KERNEL_BASE 0xFFFFF8016A800000ull
#define WG_DRIVER_BASE 0xFFFFF8016E4A0000ull

/* KUSER_SHARED_DATA: kernel address (Windows fixes it there) and the
 * read-only user alias (MM_SHARED_USER_DATA_VA). */
#define WG_KUSD_VA 0xFFFFF78000000000ull
#define WG_KUSD_USER_VA 0x000000007FFE0000ull

/* NtBuildNumber as Windows stores it: 0xF0000000 (free build) | build.
 * 19041 = 0x4A61 (Windows 10 2004 / Server 2004). */
#define WG_BUILD 19041
#define WG_NT_BUILD_NUMBER (0xF0000000u | WG_BUILD)
/* HV guest OS id of a Windows NT guest, build 19041 (TLFS 2.6). */
#define WG_GUEST_OS_ID 0x0001040A00004A61ull

/* Page-table roots (CR3) of the two address spaces: the System process
 * (kernel only) and the user process hvsuser.exe (same kernel half). */
#define WG_CR3_SYSTEM 0x10000ull
#define WG_CR3_USER 0x11000ull

/* Guest-physical placement. */
#define WG_RAM_SIZE 0x1000000ull      /* one range [0, 16 MiB) */
#define WG_TABLE_POOL 0x12000ull      /* page tables from here ... */
#define WG_TABLE_POOL_END 0x100000ull /* ... to here */
#define WG_KERNEL_GPA 0x200000ull
#define WG_DRIVER_GPA 0x500000ull
#define WG_KSTACK_GPA 0x700000ull
#define WG_USER_GPA 0x800000ull       /* user code, stack, TEB */
#define WG_LARGE_GPA 0xA00000ull      /* a 2 MiB large page of data */
#define WG_DECOY_GPA 0xC00000ull      /* pages that look like, but are not, images */

/* Other kernel mappings. */
#define WG_KSTACK_VA 0xFFFFF8016C3F8000ull /* 4 pages of kernel stack */
#define WG_KSTACK_SIZE 0x4000ull
#define WG_LARGE_VA 0xFFFFF80170000000ull  /* 2 MiB page, no image in it */
#define WG_DECOY_VA 0xFFFFF8016D000000ull  /* "MZ" pages without a PE */
#define WG_PFN_DB_VA 0xFFFFDE0000000000ull /* MmPfnDatabase value (not mapped) */

/* User mappings of hvsuser.exe (VP 1). */
#define WG_USER_CODE_VA 0x00007FF7A4C01000ull
#define WG_USER_STACK_VA 0x000000A0C0FFE000ull
#define WG_USER_TEB_VA 0x000000A0C0E00000ull
#define WG_USER_PID 0x1234u

/* Magic of the builder hand-off table (section .hvsfix): "HVSFIX01". */
#define WG_FIXUP_MAGIC 0x3130584946535648ull

#endif
