/* SPDX-License-Identifier: MIT */
/*
 * vmsd_seed: the first program every user of the VM Saved State Dump
 * Provider API writes, against hvsavedstate's libvmsavedstatedumpprovider
 * (compat/include/vmsavedstatedump.h, docs/sdk.md).  It uses the SDK's
 * names only, so the same source builds against Microsoft's
 * vmsavedstatedumpprovider.dll on Windows.
 *
 *   vmsd_seed FILE.vmrs            a saved state
 *   vmsd_seed FILE.bin FILE.vsv    a legacy pair
 *
 * Loads the saved state; for every virtual processor prints the
 * architecture, paging mode, kernel-space flag, RIP, RSP and CR3 (PC,
 * SP_EL1 and TTBR1_EL1 on ARM64); then the guest-physical memory chunks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmsavedstatedump.h"

/* Command-line bytes (UTF-8/ASCII) to a UTF-16 path; wide literals are
 * u"..." off Windows, so argv needs converting (BMP only: enough here). */
static WCHAR *widen(const char *s)
{
	size_t n = strlen(s), i, j = 0;
	WCHAR *w = malloc((n + 1) * sizeof *w);
	if (!w)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			w[j++] = c;
		} else if ((c & 0xE0) == 0xC0 && i + 1 < n) {
			w[j++] = (WCHAR)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
			i++;
		} else if ((c & 0xF0) == 0xE0 && i + 2 < n) {
			w[j++] = (WCHAR)(((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) |
					 (s[i + 2] & 0x3F));
			i += 2;
		} else {
			w[j++] = 0xFFFD;
		}
	}
	w[j] = 0;
	return w;
}

static const char *arch_name(VIRTUAL_PROCESSOR_ARCH a)
{
	switch (a) {
	case Arch_x86: return "x86";
	case Arch_x64: return "x64";
	case Arch_Armv8: return "ARMv8";
	default: return "unknown";
	}
}

static const char *paging_name(PAGING_MODE m)
{
	switch (m) {
	case Paging_NonPaged: return "non-paged";
	case Paging_32Bit: return "32-bit";
	case Paging_Pae: return "PAE";
	case Paging_Long: return "long";
	case Paging_Armv8: return "ARMv8";
	default: return "invalid";
	}
}

/* Print one register as "NAME=0x..." or "NAME=?" when it cannot be read. */
static void print_reg(VM_SAVED_STATE_DUMP_HANDLE h, UINT32 vp, const char *name, DWORD id)
{
	VIRTUAL_PROCESSOR_REGISTER r;
	HRESULT hr = GetRegisterValue(h, vp, id, &r);
	if (SUCCEEDED(hr))
		printf(" %s=0x%016" PRIx64, name, (uint64_t)r.Reg64);
	else
		printf(" %s=? (0x%08" PRIx32 ")", name, (uint32_t)hr);
}

int main(int argc, char **argv)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	WCHAR *p1, *p2 = NULL;
	UINT32 vps = 0, vp;
	UINT64 page = 0, n = 0, i;
	GPA_MEMORY_CHUNK *chunks = NULL;
	HRESULT hr;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s FILE.vmrs | FILE.bin FILE.vsv\n", argv[0]);
		return 2;
	}
	p1 = widen(argv[1]);
	if (argc == 3)
		p2 = widen(argv[2]);
	if (!p1 || (argc == 3 && !p2)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	hr = argc == 2 ? LoadSavedStateFile(p1, &h) : LoadSavedStateFiles(p1, p2, &h);
	free(p1);
	free(p2);
	if (FAILED(hr)) {
		fprintf(stderr, "cannot load %s: HRESULT 0x%08" PRIx32 "\n", argv[1], (uint32_t)hr);
		return 1;
	}

	GetVpCount(h, &vps);
	printf("virtual processors: %" PRIu32 "\n", vps);
	for (vp = 0; vp < vps; vp++) {
		VIRTUAL_PROCESSOR_ARCH arch = Arch_Unknown;
		PAGING_MODE mode = Paging_Invalid;
		BOOL kernel = FALSE;
		GetArchitecture(h, vp, &arch);
		GetPagingMode(h, vp, &mode);
		if (FAILED(InKernelSpace(h, vp, &kernel)))
			kernel = FALSE;
		printf("vp %" PRIu32 ": arch=%s paging=%s kernel=%s", vp, arch_name(arch),
		       paging_name(mode), kernel ? "yes" : "no");
		if (arch == Arch_Armv8) {
			print_reg(h, vp, "pc", ARM64_RegisterPc);
			print_reg(h, vp, "sp", ARM64_RegisterSpEl1);
			print_reg(h, vp, "ttbr1", ARM64_RegisterTtbr1El1);
		} else {
			/* 32-bit x86 guests are read through the X64 ids too. */
			print_reg(h, vp, "rip", X64_RegisterRip);
			print_reg(h, vp, "rsp", X64_RegisterRsp);
			print_reg(h, vp, "cr3", X64_RegisterCr3);
		}
		printf("\n");
	}

	/* The chunk protocol: size with NULL/0 (E_OUTOFMEMORY + count), then
	 * fetch; the page size is read after the second call (api.md 2.5). */
	hr = GetGuestPhysicalMemoryChunks(h, &page, NULL, &n);
	if (hr == E_OUTOFMEMORY && n) {
		chunks = calloc((size_t)n, sizeof *chunks);
		if (!chunks) {
			ReleaseSavedStateFiles(h);
			return 1;
		}
		hr = GetGuestPhysicalMemoryChunks(h, &page, chunks, &n);
	}
	if (FAILED(hr)) {
		fprintf(stderr, "GetGuestPhysicalMemoryChunks: 0x%08" PRIx32 "\n", (uint32_t)hr);
		free(chunks);
		ReleaseSavedStateFiles(h);
		return 1;
	}
	printf("memory chunks: %" PRIu64 " (page size %" PRIu64 ")\n", (uint64_t)n, (uint64_t)page);
	for (i = 0; i < n; i++)
		printf("  gpa 0x%012" PRIx64 " pages %" PRIu64 "\n",
		       (uint64_t)(chunks[i].GuestPhysicalStartPageIndex * page),
		       (uint64_t)chunks[i].PageCount);
	free(chunks);
	ReleaseSavedStateFiles(h);
	return 0;
}
