/* SPDX-License-Identifier: MIT */
/**
 * @file vmsavedstatedump.h
 * Functions of the VM Saved State Dump Provider API, as implemented by
 * hvsavedstate's SDK-compatible library libvmsavedstatedumpprovider
 * (vmsavedstatedumpprovider.dll on Windows).  Types, enumerations and error
 * codes are in vmsavedstatedumpdefs.h, included here.
 *
 * This is the *current* generation of the API (Windows SDK 10.0.22000
 * and later, "G2" in ../shared/spec/api.md 2): 43 functions with the same
 * names, parameter types and calling conventions as Microsoft's header,
 * so programs written for that header compile unchanged (on non-Windows
 * systems, with UTF-16 string literals u"..." instead of L"...").  The
 * descriptions are this project's own; docs/sdk.md maps every function to
 * its status and to the native hvs_* API.
 *
 * Conventions shared by every function (docs/sdk.md, "Error codes"):
 *  - Every function returns an HRESULT: S_OK on success, a negative value
 *    on failure.  Test with SUCCEEDED()/FAILED().
 *  - A NULL saved-state handle gives E_HANDLE.  A handle that was already
 *    released must not be used (undefined behaviour, as with free()).
 *  - A NULL pointer where an output is required gives E_POINTER.
 *  - A vpId that is not below GetVpCount()'s count, or any other argument
 *    out of range, gives E_INVALIDARG.
 *  - An allocation failure gives E_OUTOFMEMORY.
 *  - File bytes that break the saved-state format give
 *    HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT) = 0x80070570, and an
 *    operating-system read error gives HRESULT_FROM_WIN32(ERROR_READ_FAULT)
 *    = 0x8007001E.  Both can surface from any function that reads the file
 *    lazily (memory reads, translation, register reads).
 *  - Functions that depend on parts of hvsavedstate that do not exist yet
 *    return E_NOTIMPL (listed in docs/sdk.md).
 *  - Outputs are written only on success unless a function says otherwise.
 *
 * Strings: wide strings (LPCWSTR/LPWSTR) are UTF-16 (wchar_t on Windows,
 * char16_t elsewhere); paths are converted to the native encoding (UTF-8
 * on POSIX systems).  Narrow strings (LPCSTR: symbol, type and image
 * names) are ASCII/UTF-8.  Strings returned through LPWSTR* belong to the
 * caller, who frees them with VmSavedStateDumpFreeString() or LocalFree().
 *
 * Threads: one thread at a time per handle; separate handles are
 * independent (docs/threading.md).  LeechCore calls Microsoft's DLL's
 * ReadGuestPhysicalAddress from several threads on one handle (api.md 6);
 * with this library, readers on several threads need one handle each.
 */
#ifndef VMSD_VMSAVEDSTATEDUMP_H
#define VMSD_VMSAVEDSTATEDUMP_H

#include "vmsavedstatedumpdefs.h"

/**
 * Export macro.  The library is built with VMSD_BUILDING_LIBRARY and
 * hidden default visibility.  On Windows the DLL's export table comes from
 * the module-definition file compat/vmsavedstatedumpprovider.def (the SDK
 * names, undecorated), so the macro is empty there: the objects also go
 * into the static library, which must not export anything from the
 * programs it is linked into.  Users need not define anything (an import
 * library resolves the names; defining VMSD_DLLIMPORT selects
 * __declspec(dllimport), which saves one indirection per call).
 */
#ifndef VMSD_API
#  if defined(_WIN32)
#    if defined(VMSD_BUILDING_LIBRARY)
#      define VMSD_API
#    elif defined(VMSD_DLLIMPORT)
#      define VMSD_API __declspec(dllimport)
#    else
#      define VMSD_API
#    endif
#  elif defined(__GNUC__) || defined(__clang__)
#    define VMSD_API __attribute__((visibility("default")))
#  else
#    define VMSD_API
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================== */
/* Locating, loading and releasing saved-state files (api.md 2.1)      */
/* ================================================================== */

/**
 * Find the saved-state files of a Hyper-V VM (or of one of its
 * snapshots) by name.  Microsoft's DLL asks Hyper-V through WMI; this
 * implementation works offline: it reads the .vmcx configuration files in
 * copies of Hyper-V VM folders ("Virtual Machines/<GUID>.vmcx",
 * "Snapshots/<GUID>.vmcx") found under the folders set with
 * VmSavedStateDumpSetSearchPath(), else those of the environment variable
 * HVS_VM_SEARCH_PATH (docs/sdk.md, "LocateSavedStateFiles").
 *
 * @param vmName        VM name (/configuration/properties/name).
 * @param snapshotName  optional snapshot name, or NULL for the VM itself.
 * @param binPath       receives the .bin path ("" when the VM has a .vmrs).
 * @param vsvPath       receives the .vsv path ("" when the VM has a .vmrs).
 * @param vmrsPath      receives the .vmrs path ("" for .bin/.vsv VMs).
 * @return S_OK (all three "" when the VM or snapshot has no saved state);
 *         E_POINTER if an output is NULL; E_INVALIDARG if vmName is NULL
 *         or not valid UTF-16; 0x80070490 (ERROR_NOT_FOUND) if no VM (or
 *         no snapshot of it) has that name in the search folders (the three
 *         outputs are then NULL); E_OUTOFMEMORY.
 * Ownership: on success each string is the caller's, freed with
 * VmSavedStateDumpFreeString() or LocalFree().
 */
VMSD_API HRESULT WINAPI LocateSavedStateFiles(LPCWSTR vmName, LPCWSTR snapshotName,
					      LPWSTR *binPath, LPWSTR *vsvPath,
					      LPWSTR *vmrsPath);

/**
 * Open a saved-state file (.vmrs) and create a provider instance for it.
 * Any other input the native hvs_image_open() recognises is accepted too
 * (a QEMU ELF core; a legacy .bin whose .vsv lies beside it).
 *
 * @param vmrsFile                path of the .vmrs file (UTF-16).
 * @param vmSavedStateDumpHandle  receives the instance handle; NULL on failure.
 * @return S_OK;
 *         E_POINTER if vmSavedStateDumpHandle is NULL, E_INVALIDARG if
 *         vmrsFile is NULL or not valid UTF-16;
 *         0x80070002 (ERROR_FILE_NOT_FOUND) if the file does not exist,
 *         0x80070005 (ERROR_ACCESS_DENIED) if it cannot be opened;
 *         0x80070570 (ERROR_FILE_CORRUPT) if it is not a valid saved-state
 *         container (random or truncated data);
 *         VM_SAVED_STATE_DUMP_E_PARTITION_STATE_NOT_FOUND if the container
 *         holds no partition state (e.g. a .vmcx or a configuration-only
 *         .vmrs); VM_SAVED_STATE_DUMP_E_GUEST_MEMORY_NOT_FOUND if it holds
 *         no guest memory; VM_SAVED_STATE_DUMP_E_NO_VP_FOUND_IN_PARTITION_STATE
 *         if the partition state holds no virtual processor;
 *         0x80070032 (ERROR_NOT_SUPPORTED) for a valid file of an unknown
 *         version or an encrypted saved state (Microsoft's DLL terminates
 *         the process there; api.md 2.1);
 *         E_OUTOFMEMORY; 0x8007001E (ERROR_READ_FAULT) on an I/O error.
 * Ownership: release the handle with ReleaseSavedStateFiles().  The file
 * is opened read-only and shared.
 */
VMSD_API HRESULT WINAPI LoadSavedStateFile(LPCWSTR vmrsFile,
					   VM_SAVED_STATE_DUMP_HANDLE *vmSavedStateDumpHandle);

/**
 * Open a legacy saved state made of a memory file (.bin) and a state file
 * (.vsv), as written by Windows Server 2012 R2-era Hyper-V.
 *
 * @param binFile                 path of the .bin file (UTF-16).
 * @param vsvFile                 path of the .vsv file (UTF-16).  Extension:
 *                                NULL or "" opens the .bin without one
 *                                (the "<name>.vsv" beside it if there is
 *                                one, else memory only: GetVpCount() then
 *                                gives 0 and every vpId is out of range).
 * @param vmSavedStateDumpHandle  receives the instance handle; NULL on failure.
 * @return the same codes as LoadSavedStateFile(); 0x80070002 also when the
 *         .vsv given does not exist.
 * Ownership: release the handle with ReleaseSavedStateFiles().
 */
VMSD_API HRESULT WINAPI LoadSavedStateFiles(LPCWSTR binFile, LPCWSTR vsvFile,
					    VM_SAVED_STATE_DUMP_HANDLE *vmSavedStateDumpHandle);

/**
 * Commit the pending replay (journal) log of a .vmrs into the file
 * itself.  The file is opened for writing with exclusive access and is
 * not loaded; call LoadSavedStateFile() afterwards.
 *
 * @param vmrsFile  path of the .vmrs file (UTF-16).
 * @return S_OK (also when no log is pending); E_INVALIDARG if vmrsFile is
 *         NULL; 0x80070002 if the file does not exist; 0x80070005 if it
 *         cannot be opened for writing; 0x80070020 (ERROR_SHARING_VIOLATION)
 *         if another process holds it; 0x80070570 if the container or the
 *         log is corrupt; 0x8007001E on an I/O error; E_OUTOFMEMORY.
 */
VMSD_API HRESULT WINAPI ApplyPendingSavedStateFileReplayLog(LPCWSTR vmrsFile);

/**
 * Destroy a provider instance and close its files.  The handle is invalid
 * afterwards.
 *
 * @param vmSavedStateDumpHandle  handle from LoadSavedStateFile(s).
 * @return S_OK; E_HANDLE if the handle is NULL.
 */
VMSD_API HRESULT WINAPI ReleaseSavedStateFiles(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle);

/* ================================================================== */
/* Partition-wide queries (api.md 2.3)                                 */
/* ================================================================== */

/**
 * Number of virtual processors in the saved partition.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpCount                 receives the count (at least 1, except
 *                                for a memory-only .bin opened with
 *                                LoadSavedStateFiles(bin, NULL): 0).
 * @return S_OK; E_HANDLE; E_POINTER.
 */
VMSD_API HRESULT WINAPI GetVpCount(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
				   UINT32 *vpCount);

/**
 * Virtual Trust Levels enabled on the partition when it was saved, as a
 * bitmap (bit n set = VTL n enabled).  A guest without virtualization-based
 * security reports 0x1 (VTL0 only).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param virtualTrustLevels      receives the bitmap.
 * @return S_OK; E_HANDLE; E_POINTER.
 */
VMSD_API HRESULT WINAPI GetGuestEnabledVirtualTrustLevels(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
							  UINT32 *virtualTrustLevels);

/**
 * Guest OS identity recorded in the partition state for one VTL: the
 * value the guest wrote to the Hyper-V guest OS ID register (0 if it
 * never wrote one).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param virtualTrustLevel       partition VTL (0, 1 or 2).
 * @param guestOsInfo             receives the identity.
 * @return S_OK; E_HANDLE; E_POINTER; E_INVALIDARG if the VTL is not
 *         enabled on the partition.
 */
VMSD_API HRESULT WINAPI GetGuestOsInfo(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
				       UINT8 virtualTrustLevel, GUEST_OS_INFO *guestOsInfo);

/**
 * Whether nested virtualization was enabled on at least one virtual
 * processor.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param enabled                 receives TRUE or FALSE.
 * @return S_OK; E_HANDLE; E_POINTER.
 */
VMSD_API HRESULT WINAPI IsNestedVirtualizationEnabled(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						      BOOL *enabled);

/* ================================================================== */
/* Virtual-processor state (api.md 2.4)                                */
/* ================================================================== */

/**
 * Architecture the virtual processor was running when saved (Arch_x86
 * for a 32-bit x86 guest, Arch_x64 in long mode, Arch_Armv8), or the one
 * set by ForceArchitecture().
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param architecture            receives the architecture.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER.
 */
VMSD_API HRESULT WINAPI GetArchitecture(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					UINT32 vpId, VIRTUAL_PROCESSOR_ARCH *architecture);

/**
 * Override the architecture of a virtual processor, so that later address
 * translations use that architecture's paging (for example to treat a
 * long-mode processor as 32-bit).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param architecture            Arch_x86, Arch_x64 or Arch_Armv8.
 * @return S_OK; E_HANDLE; E_INVALIDARG for a bad vpId, Arch_Unknown, an
 *         unknown value, or an x86/x64 value on an ARM64 processor (and
 *         the reverse).
 */
VMSD_API HRESULT WINAPI ForceArchitecture(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					  UINT32 vpId, VIRTUAL_PROCESSOR_ARCH architecture);

/**
 * The VTL the virtual processor was executing in when saved, or the one
 * set by ForceActiveVirtualTrustLevel().
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param virtualTrustLevel       receives the VTL number.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER.
 */
VMSD_API HRESULT WINAPI GetActiveVirtualTrustLevel(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						   UINT32 vpId, UINT8 *virtualTrustLevel);

/**
 * VTLs enabled on one virtual processor, as a bitmap (bit n = VTL n).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param virtualTrustLevels      receives the bitmap.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER.
 */
VMSD_API HRESULT WINAPI GetEnabledVirtualTrustLevels(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						     UINT32 vpId, UINT32 *virtualTrustLevels);

/**
 * Make later register reads and address translations on a virtual
 * processor use the state of the given VTL.  Registers shared between VTLs
 * read the same in every VTL.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param virtualTrustLevel       VTL number (0-2).
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId, or a VTL above 2);
 *         VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED if that VTL is not
 *         enabled on the processor (the active VTL is then unchanged;
 *         observed behaviour of Microsoft's DLL, api.md 2.4).
 */
VMSD_API HRESULT WINAPI ForceActiveVirtualTrustLevel(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						     UINT32 vpId, UINT8 virtualTrustLevel);

/**
 * Whether the active (saved or forced) VTL is enabled on the virtual
 * processor.  When FALSE, its register state does not exist.
 *
 * @param vmSavedStateDumpHandle          instance handle.
 * @param vpId                            virtual processor index.
 * @param activeVirtualTrustLevelEnabled  receives TRUE or FALSE.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER.
 */
VMSD_API HRESULT WINAPI IsActiveVirtualTrustLevelEnabled(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
							 UINT32 vpId,
							 BOOL *activeVirtualTrustLevelEnabled);

/**
 * Whether the virtual processor was running a nested guest (it was in
 * nested *guest* mode) when saved.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param enabled                 receives TRUE or FALSE.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER.
 */
VMSD_API HRESULT WINAPI GetNestedVirtualizationMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						    UINT32 vpId, BOOL *enabled);

/**
 * For a virtual processor in nested guest mode, make register reads (and
 * so address translation) use the nested *host* state, i.e. the state the
 * next nested VM exit would load.  Only some registers exist in host mode,
 * depending on the CPU vendor.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param hostMode                TRUE for host state, FALSE for guest state.
 * @param oldMode                 optional; receives the previous setting.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId);
 *         VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE if hostMode is TRUE and
 *         the processor is not in nested guest mode.
 */
VMSD_API HRESULT WINAPI ForceNestedHostMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					    UINT32 vpId, BOOL hostMode, BOOL *oldMode);

/**
 * Whether the virtual processor was executing in kernel mode, in its
 * active VTL: CPL 0 on x86/x64 (the saved CPL, else SS.DPL, else the CS
 * selector's RPL), EL1 or higher on ARM64 (CPSR bits 3:2).  Microsoft does
 * not document its criterion (api.md 2.4).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param inKernelSpace           receives TRUE or FALSE.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER;
 *         0x80070490 (ERROR_NOT_FOUND) if the saved state lacks the
 *         registers needed to decide.
 */
VMSD_API HRESULT WINAPI InKernelSpace(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
				      UINT32 vpId, BOOL *inKernelSpace);

/**
 * Read one register of a virtual processor, in its active VTL (and nested
 * mode).  The union member that holds the value depends on the register
 * (see REGISTER_ID); the other bytes of the union are zero.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param registerId              a REGISTER_ID of the processor's
 *                                architecture family (X64_* for x86 and
 *                                x64, ARM64_* for ARMv8).
 * @param registerValue           receives the value.
 * @return S_OK; E_HANDLE; E_POINTER; E_INVALIDARG for a bad vpId, a
 *         sentinel (X64_RegisterMax, ARM64_RegisterMax), an unknown id, or
 *         an id of the other architecture family;
 *         VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED if the active VTL has no
 *         state on this processor; 0x80070490 (ERROR_NOT_FOUND) if the
 *         saved state does not contain that register.
 */
VMSD_API HRESULT WINAPI GetRegisterValue(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					 UINT32 vpId, DWORD registerId,
					 VIRTUAL_PROCESSOR_REGISTER *registerValue);

/**
 * Paging mode of the virtual processor when saved (from CR0/CR4/EFER or
 * SCTLR/TCR), or the one set by ForcePagingMode().
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param pagingMode              receives the mode.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER.
 */
VMSD_API HRESULT WINAPI GetPagingMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
				      UINT32 vpId, PAGING_MODE *pagingMode);

/**
 * Override the paging mode used by later address translations on the
 * virtual processor.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param pagingMode              Paging_NonPaged to Paging_Armv8.
 * @return S_OK; E_HANDLE; E_INVALIDARG for a bad vpId, Paging_Invalid or
 *         an unknown value.
 */
VMSD_API HRESULT WINAPI ForcePagingMode(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					UINT32 vpId, PAGING_MODE pagingMode);

/* ================================================================== */
/* Guest memory (api.md 2.5)                                           */
/* ================================================================== */

/**
 * Copy guest-physical memory into a buffer.  Memory fixes registered with
 * ApplyGuestMemoryFix() are applied.  The copy stops early at the first
 * byte that the saved memory does not back (a gap between chunks, or the
 * end of memory).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param physicalAddress         guest physical address of the first byte.
 * @param buffer                  receives bufferSize bytes at most.
 * @param bufferSize              number of bytes wanted.
 * @param bytesRead               optional; receives the number of bytes
 *                                copied (also on failure).
 * @return S_OK if at least one byte was copied (bytesRead tells whether
 *         the copy stopped early; with bytesRead NULL a short copy is an
 *         error, below); E_HANDLE; E_POINTER if buffer is NULL and
 *         bufferSize is not 0; 0x800701E7 (ERROR_INVALID_ADDRESS) if
 *         physicalAddress itself is not backed, or if the copy stopped
 *         early and bytesRead is NULL; 0x80070570; 0x8007001E.
 */
VMSD_API HRESULT WINAPI ReadGuestPhysicalAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						 GUEST_PHYSICAL_ADDRESS physicalAddress,
						 LPVOID buffer, UINT32 bufferSize,
						 UINT32 *bytesRead);

/**
 * Translate a guest virtual address through the virtual processor's page
 * tables (its CR3 or TTBR, paging mode, architecture, active VTL and
 * nested mode, as saved or forced).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor index.
 * @param virtualAddress          address to translate.
 * @param physicalAddress         receives the guest physical address.
 * @param unmappedRegionSize      optional; receives 0 on success, and on
 *                                VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED the
 *                                number of bytes from virtualAddress to the
 *                                end of the region the missing entry covers
 *                                (so a scanner can skip it).
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId); E_POINTER;
 *         VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED if an entry on the walk is
 *         not present or the address is not canonical;
 *         VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE if the paging mode is
 *         Paging_Invalid; VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED;
 *         0x800701E7 (ERROR_INVALID_ADDRESS) if a page table lies in
 *         memory that was not saved.
 */
VMSD_API HRESULT WINAPI GuestVirtualAddressToPhysicalAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
							     UINT32 vpId,
							     const GUEST_VIRTUAL_ADDRESS virtualAddress,
							     GUEST_PHYSICAL_ADDRESS *physicalAddress,
							     GUEST_VIRTUAL_ADDRESS *unmappedRegionSize);

/**
 * Guest-physical memory layout: the runs of contiguous saved pages, in
 * ascending address order, and the page size.
 *
 * Protocol (the one every known caller uses, api.md 2.5): call with
 * memoryChunks = NULL and *memoryChunkCount = 0 to learn the count
 * (E_OUTOFMEMORY, count filled in), allocate, then call again.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param memoryChunkPageSize     receives the page size in bytes (4096);
 *                                written on every call, including the
 *                                sizing call.
 * @param memoryChunks            array of *memoryChunkCount entries, or
 *                                NULL when *memoryChunkCount is 0.
 * @param memoryChunkCount        in: capacity of memoryChunks; out: the
 *                                number of chunks (on S_OK and on
 *                                E_OUTOFMEMORY).
 * @return S_OK; E_HANDLE; E_POINTER if memoryChunkPageSize or
 *         memoryChunkCount is NULL, or memoryChunks is NULL with a non-zero
 *         capacity; E_OUTOFMEMORY if the capacity is too small (the
 *         Microsoft DLL's code for this case).
 */
VMSD_API HRESULT WINAPI GetGuestPhysicalMemoryChunks(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						     UINT64 *memoryChunkPageSize,
						     GPA_MEMORY_CHUNK *memoryChunks,
						     UINT64 *memoryChunkCount);

/**
 * Offset of a guest physical address within the raw saved memory (every
 * saved page, concatenated in saved order).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param physicalAddress         guest physical address.
 * @param rawSavedMemoryOffset    receives the offset.
 * @return S_OK; E_HANDLE; E_POINTER; 0x800701E7 (ERROR_INVALID_ADDRESS)
 *         if the address is not backed by saved memory.
 */
VMSD_API HRESULT WINAPI GuestPhysicalAddressToRawSavedMemoryOffset(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
								   GUEST_PHYSICAL_ADDRESS physicalAddress,
								   UINT64 *rawSavedMemoryOffset);

/**
 * Copy bytes of the raw saved memory (see
 * GuestPhysicalAddressToRawSavedMemoryOffset) into a buffer.  The copy
 * stops early at the end of the saved memory.  Memory fixes are not
 * applied (they are keyed by physical address).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param rawSavedMemoryOffset    offset of the first byte.
 * @param buffer                  receives bufferSize bytes at most.
 * @param bufferSize              number of bytes wanted.
 * @param bytesRead               optional; receives the number of bytes
 *                                copied (also on failure).
 * @return S_OK, also for a short copy or an offset at or past the end
 *         (*bytesRead = 0) when bytesRead is given; E_HANDLE; E_POINTER if
 *         buffer is NULL and bufferSize is not 0; 0x80070026
 *         (ERROR_HANDLE_EOF) if the copy is short and bytesRead is NULL;
 *         0x80070570; 0x8007001E.
 */
VMSD_API HRESULT WINAPI ReadGuestRawSavedMemory(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						UINT64 rawSavedMemoryOffset, LPVOID buffer,
						UINT32 bufferSize, UINT32 *bytesRead);

/**
 * Size of the raw saved memory in bytes: every saved memory block, so
 * at least the sum of the chunks' pages times the page size (a block that
 * a chunk does not fill to its end is counted whole).
 *
 * @param vmSavedStateDumpHandle   instance handle.
 * @param guestRawSavedMemorySize  receives the size.
 * @return S_OK; E_HANDLE; E_POINTER.
 */
VMSD_API HRESULT WINAPI GetGuestRawSavedMemorySize(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						   UINT64 *guestRawSavedMemorySize);

/**
 * Set how many decoded memory blocks the instance may keep cached, beyond
 * the few it always needs (0, the default, means none; setting 0 also
 * drops the cached blocks).  Only speed is affected, never results.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param memoryBlockCacheLimit   number of blocks.
 * @return S_OK; E_HANDLE.
 */
VMSD_API HRESULT WINAPI SetMemoryBlockCacheLimit(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						 UINT64 memoryBlockCacheLimit);

/**
 * Current memory-block cache limit (see SetMemoryBlockCacheLimit).
 * Declared without WINAPI, as in Microsoft's header (it matters only on
 * 32-bit x86 Windows).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param memoryBlockCacheLimit   receives the limit.
 * @return S_OK; E_HANDLE; E_POINTER.
 */
VMSD_API HRESULT GetMemoryBlockCacheLimit(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					  UINT64 *memoryBlockCacheLimit);

/**
 * Overlay ("fix") guest memory: the bytes of fixBuffer replace guest
 * memory at virtualAddress (translated once, now, through vpId) in every
 * later physical or virtual read of this instance.  The file is never
 * modified.  Later fixes win over earlier ones where they overlap.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor used for translation.
 * @param virtualAddress          guest virtual address of the first byte.
 * @param fixBuffer               replacement bytes (copied).
 * @param fixBufferSize           number of bytes.
 * @return S_OK; E_HANDLE; E_INVALIDARG (vpId, fixBufferSize 0);
 *         E_POINTER (fixBuffer NULL); VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED
 *         if any page of the range does not translate (nothing is then
 *         applied); E_OUTOFMEMORY.
 */
VMSD_API HRESULT WINAPI ApplyGuestMemoryFix(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					    UINT32 vpId, GUEST_VIRTUAL_ADDRESS virtualAddress,
					    LPVOID fixBuffer, UINT32 fixBufferSize);

/* ================================================================== */
/* Guest symbols (api.md 2.6), over the native symbol provider         */
/* (hvs/sym.h; docs/symbols.md).  Functions that need the provider     */
/* return E_UNEXPECTED until LoadSavedStateSymbolProvider succeeded.   */
/* ================================================================== */

/**
 * Create the guest symbol provider of an instance (needed by the other
 * symbol functions): locate the Windows kernel in guest memory (from a
 * kernel-mode VP's RIP, the IDT and LSTAR) and load its PDB.  The
 * symbol path is userSymbols, then _NT_SYMBOL_PATH, or Microsoft's
 * public server when that variable is unset (docs/symbols.md 5).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param userSymbols             optional extra symbol search path, or NULL.
 * @param force                   TRUE to replace a provider already loaded
 *                                (FALSE with one loaded: S_OK, no change).
 * @return S_OK; E_HANDLE; E_OUTOFMEMORY;
 *         VM_SAVED_STATE_DUMP_E_WINDOWS_KERNEL_IMAGE_NOT_FOUND (no kernel
 *         image); HRESULT_FROM_WIN32(ERROR_NOT_FOUND) (the kernel's PDB is
 *         not along the path); HRESULT_FROM_WIN32(ERROR_FILE_CORRUPT) (the
 *         only matching PDB is damaged); E_INVALIDARG (a symbol path that
 *         cannot be parsed); HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)
 *         (`symsrv*DLL*...` with a DLL other than symsrv.dll).  The
 *         debug-info callback gets the details.
 */
VMSD_API HRESULT WINAPI LoadSavedStateSymbolProvider(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						     LPCWSTR userSymbols, BOOL force);

/**
 * Destroy the guest symbol provider of an instance (S_OK also when none
 * is loaded).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @return S_OK; E_HANDLE.
 */
VMSD_API HRESULT WINAPI ReleaseSavedStateSymbolProvider(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle);

/**
 * Handle of the symbol engine behind the provider (in Microsoft's DLL, the
 * dbghelp "process" handle, for direct Sym* calls).  Here: the native
 * provider, an `hvs_sym *` usable with the hvs_sym_* functions of
 * hvs/sym.h, owned by the instance.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @return the provider once loaded; NULL before, or for a bad handle.
 */
VMSD_API HANDLE WINAPI GetSavedStateSymbolProviderHandle(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle);

/**
 * Set the callback that receives the symbol provider's debug messages;
 * it takes effect at once if a provider is loaded.  Declared without
 * WINAPI, as in Microsoft's header.  Messages: where the kernel and each
 * PDB were looked for, what was found or refused and why.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param Callback                the callback, or NULL for none.
 * @return S_OK; E_HANDLE.
 */
VMSD_API HRESULT SetSavedStateSymbolProviderDebugInfoCallback(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
							      GUEST_SYMBOLS_PROVIDER_DEBUG_INFO_CALLBACK Callback);

/**
 * Load the symbols of one guest module mapped at a given base.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param imageName               image file name (e.g. "ntoskrnl.exe").
 * @param moduleName              module name (e.g. "nt").
 * @param baseAddress             guest virtual base address.
 * @param sizeOfBase              size of the mapped image in bytes (0: from
 *                                its PE headers).
 * @return S_OK; E_HANDLE; E_UNEXPECTED (no provider);
 *         HRESULT_FROM_WIN32(ERROR_NOT_FOUND) (no PE image or CodeView
 *         record at the base, or no matching PDB); ERROR_FILE_CORRUPT.
 */
VMSD_API HRESULT WINAPI LoadSavedStateModuleSymbols(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						    LPCSTR imageName, LPCSTR moduleName,
						    GUEST_VIRTUAL_ADDRESS baseAddress,
						    DWORD sizeOfBase);

/**
 * LoadSavedStateModuleSymbols() with the image's TimeDateStamp, used to
 * find the matching symbol file.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param imageName               image file name.
 * @param imageTimestamp          the image's PE TimeDateStamp.
 * @param moduleName              module name.
 * @param baseAddress             guest virtual base address.
 * @param sizeOfBase              size of the mapped image in bytes.
 * @return as LoadSavedStateModuleSymbols(); E_INVALIDARG when the image's
 *         TimeDateStamp differs from imageTimestamp (0 accepts any).
 */
VMSD_API HRESULT WINAPI LoadSavedStateModuleSymbolsEx(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						      LPCSTR imageName, UINT32 imageTimestamp,
						      LPCSTR moduleName,
						      GUEST_VIRTUAL_ADDRESS baseAddress,
						      DWORD sizeOfBase);

/**
 * Virtual address (and optionally size) of a guest global variable.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor (address space).
 * @param globalName              symbol name, e.g. "nt!KiProcessorBlock".
 * @param virtualAddress          receives the address.
 * @param size                    optional; receives the size in bytes (0
 *                                for a public symbol without type).
 * @return S_OK; E_HANDLE; E_INVALIDARG (bad vpId); E_POINTER;
 *         E_UNEXPECTED (no provider); HRESULT_FROM_WIN32(ERROR_NOT_FOUND).
 */
VMSD_API HRESULT WINAPI ResolveSavedStateGlobalVariableAddress(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
							       UINT32 vpId, LPCSTR globalName,
							       GUEST_VIRTUAL_ADDRESS *virtualAddress,
							       ULONG *size);

/**
 * Resolve a guest global variable and read bufferSize bytes of it through
 * the virtual processor's address space.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor (address space).
 * @param globalName              symbol name.
 * @param buffer                  receives the bytes.
 * @param bufferSize              number of bytes to read.
 * @return S_OK; the codes of ResolveSavedStateGlobalVariableAddress();
 *         VM_SAVED_STATE_DUMP_E_VA_NOT_MAPPED (a page is not mapped);
 *         HRESULT_FROM_WIN32(ERROR_INVALID_ADDRESS) (not in saved memory).
 */
VMSD_API HRESULT WINAPI ReadSavedStateGlobalVariable(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						     UINT32 vpId, LPCSTR globalName,
						     LPVOID buffer, ULONG bufferSize);

/**
 * Size in bytes of a guest type (0 if the type is unknown, which is not
 * an error).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor.
 * @param typeName                type name, e.g. "nt!_EPROCESS".
 * @param size                    receives the size.
 * @return S_OK (also for an unknown type, size 0); E_HANDLE;
 *         E_INVALIDARG; E_POINTER; E_UNEXPECTED (no provider).
 */
VMSD_API HRESULT WINAPI GetSavedStateSymbolTypeSize(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						    UINT32 vpId, LPCSTR typeName, ULONG *size);

/**
 * Offset of a field within a guest type.  Note the mixed strings: the
 * type name is narrow, the field name wide (as in Microsoft's header).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor.
 * @param typeName                type name.
 * @param fieldName               field name (UTF-16).
 * @param offset                  receives the offset in bytes.
 * @param found                   receives whether the field exists.
 * @return S_OK (also when not found: *found FALSE, *offset 0); E_HANDLE;
 *         E_INVALIDARG; E_POINTER; E_UNEXPECTED (no provider).
 */
VMSD_API HRESULT WINAPI FindSavedStateSymbolFieldInType(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
							UINT32 vpId, LPCSTR typeName,
							LPCWSTR fieldName, UINT32 *offset,
							BOOL *found);

/**
 * All fields of a guest type as a UTF-16 JSON object mapping each field
 * name to {"FieldOffset": n, "FieldSize": n} ("{}" if the type is
 * unknown).
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor.
 * @param typeName                type name.
 * @param typeFieldInfoMap        receives the JSON text.
 * @return S_OK; E_HANDLE; E_INVALIDARG; E_POINTER; E_UNEXPECTED (no
 *         provider); E_OUTOFMEMORY.  On failure *typeFieldInfoMap is NULL.
 * Ownership: the string is the caller's; free it with
 * VmSavedStateDumpFreeString() or LocalFree().
 */
VMSD_API HRESULT WINAPI GetSavedStateSymbolFieldInfo(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
						     UINT32 vpId, LPCSTR typeName,
						     LPWSTR *typeFieldInfoMap);

/* ================================================================== */
/* Image scanning and stack unwinding (api.md 2.7).  The scan is       */
/* implemented (native scanner, docs/pe.md); CallStackUnwind runs the  */
/* native x64 unwinder (docs/unwind.md).                               */
/* ================================================================== */

/**
 * Scan a virtual address range of the virtual processor for PE images,
 * *downwards* from startAddress to endAddress (startAddress must be the
 * higher one), skipping unmapped regions.  The standaloneAddressCount
 * addresses in standaloneAddress are tried first, as image bases.  For
 * each image found foundImageCallback(callbackContext, info) is called;
 * it returns TRUE to stop the scan.  Every mapped 4 KiB page in
 * [endAddress, startAddress] is checked once, from the highest down; an
 * image reported from a standalone address is not reported again by the
 * range scan.  Memory fixes (ApplyGuestMemoryFix) are seen.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor (address space).
 * @param startAddress            highest address to scan (inclusive).
 * @param endAddress              lowest address to scan.
 * @param callbackContext         passed to the callback unchanged.
 * @param foundImageCallback      the callback.
 * @param standaloneAddress       addresses to check first (may be NULL
 *                                when standaloneAddressCount is 0).
 * @param standaloneAddressCount  number of such addresses.
 * @return S_OK (also when stopped by the callback); E_HANDLE; E_POINTER
 *         (no callback, or no standalone array with a non-zero count);
 *         E_INVALIDARG (no such VP, or startAddress < endAddress);
 *         VM_SAVED_STATE_DUMP_E_VP_VTL_NOT_ENABLED;
 *         VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE (no paging registers);
 *         E_OUTOFMEMORY; read errors of the saved state.
 * Lifetime: the DOS_IMAGE_INFO and its PdbName are valid only during the
 * callback.
 */
VMSD_API HRESULT WINAPI ScanMemoryForDosImages(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					       UINT32 vpId, GUEST_VIRTUAL_ADDRESS startAddress,
					       GUEST_VIRTUAL_ADDRESS endAddress,
					       PVOID callbackContext,
					       FOUND_IMAGE_CALLBACK foundImageCallback,
					       GUEST_VIRTUAL_ADDRESS *standaloneAddress,
					       DWORD standaloneAddressCount);

/**
 * Unwind the virtual processor's call stack, up to frameCount frames, and
 * return it as printable text as WinDbg's k prints it: a header line
 * " # Child-SP          RetAddr               Call Site", then per frame
 * its number (hex), Child-SP, RetAddr and the call site
 * (module!function+0xOFF with a symbol provider loaded, else
 * module+0xOFF), and a last line "(end: REASON: detail)".  imageInfo
 * lists modules to use in addition to the images found around each
 * address.  Memory fixes are seen.
 *
 * @param vmSavedStateDumpHandle  instance handle.
 * @param vpId                    virtual processor.
 * @param imageInfo               array of imageInfoCount modules.
 * @param imageInfoCount          number of modules.
 * @param frameCount              maximum number of frames.
 * @param callStack               receives the text (UTF-16, one frame per
 *                                line).
 * @return S_OK; E_HANDLE; E_POINTER (callStack NULL, or imageInfo NULL
 *         with a non-zero count); E_INVALIDARG (no such VP, frameCount
 *         0); E_NOTIMPL (an ARM64 or 32-bit VP: not supported yet);
 *         VM_SAVED_STATE_DUMP_E_INVALID_VP_STATE (no RIP/RSP or paging
 *         registers); E_OUTOFMEMORY.  A walk that ends early (damaged
 *         unwind data, unreadable stack) is S_OK with the reason in the
 *         last line.
 * Ownership: the string is the caller's; free it with
 * VmSavedStateDumpFreeString() or LocalFree().
 */
VMSD_API HRESULT WINAPI CallStackUnwind(VM_SAVED_STATE_DUMP_HANDLE vmSavedStateDumpHandle,
					UINT32 vpId, PMODULE_INFO imageInfo,
					DWORD imageInfoCount, UINT32 frameCount,
					LPWSTR *callStack);

/* ================================================================== */
/* hvsavedstate extensions (not in Microsoft's header)                 */
/* ================================================================== */

/*
 * Windows: vmsavedstatedumpprovider.dll exports the SDK's 43 names and
 * nothing else (a drop-in for Microsoft's DLL, docs/sdk.md), so these two
 * are declared there only for programs linked with the static library,
 * which defines VMSD_STATIC for its users (CMake target
 * vmsavedstatedumpprovider_static).  With the DLL, free strings with
 * LocalFree and set the search folders with HVS_VM_SEARCH_PATH.
 */
#if !defined(_WIN32) || defined(VMSD_STATIC) || defined(VMSD_BUILDING_LIBRARY)

/**
 * Free a string returned by this library through an LPWSTR* output
 * (LocateSavedStateFiles, GetSavedStateSymbolFieldInfo, CallStackUnwind).
 * Portable spelling of LocalFree(); on Windows the strings are allocated
 * with LocalAlloc, so either function works there.
 *
 * @param str  the string, or NULL (no effect).
 */
VMSD_API VOID WINAPI VmSavedStateDumpFreeString(LPWSTR str);

/**
 * Set the folders LocateSavedStateFiles() searches for Hyper-V VM
 * configurations (replacing the environment variable HVS_VM_SEARCH_PATH).
 * Process-wide setting: call it before any LocateSavedStateFiles() call,
 * not concurrently with one.
 *
 * @param searchPath  folders separated by ';' (also ':' outside Windows),
 *                    each searched recursively four levels deep; NULL
 *                    goes back to HVS_VM_SEARCH_PATH.
 * @return S_OK; E_INVALIDARG if not valid UTF-16; E_OUTOFMEMORY.
 */
VMSD_API HRESULT WINAPI VmSavedStateDumpSetSearchPath(LPCWSTR searchPath);

#endif /* extensions of the non-Windows and static libraries */

#if !defined(_WIN32) && !defined(VMSD_NO_LOCALFREE)
/**
 * LocalFree() for non-Windows systems, so that code written for
 * Microsoft's DLL, which frees returned strings with LocalFree, builds
 * unchanged.  Frees only memory returned by this library.  Define
 * VMSD_NO_LOCALFREE before including this header to hide the declaration
 * (e.g. when Wine or another layer also provides LocalFree); the library
 * exports the symbol either way.
 *
 * @param hMem  a string from this library, or NULL.
 * @return NULL (success, as on Windows).
 */
VMSD_API HLOCAL WINAPI LocalFree(HLOCAL hMem);
#endif

#ifdef __cplusplus
}
#endif

#endif /* VMSD_VMSAVEDSTATEDUMP_H */
