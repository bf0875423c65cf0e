/* SPDX-License-Identifier: MIT */
/* Links against the installed SDK-compatible library. */
#include <stdio.h>
#include <vmsavedstatedump.h>

int main(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	/* A missing file: HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND). */
	HRESULT hr = LoadSavedStateFile(VMSD_WTEXT("/nonexistent/x.vmrs"), &h);
	printf("LoadSavedStateFile: 0x%08x\n", (unsigned)hr);
	return hr == (HRESULT)0x80070002 ? 0 : 1;
}
