/* SPDX-License-Identifier: MIT */
/*
 * CallStackUnwind (api.md 2.7) on the unwinder fixture
 * (tests/data/uwguest/README.md): the text must hold, in WinDbg k order,
 * every Child-SP and return address of the emulator's own record
 * (uwguest.truth, from Unicorn's call hooks), and the argument checks
 * must answer as the header documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vmsavedstatedump.h"
#include "vmsd_wtext.h"

#define CHECK_HR(expr, want) CHECK_EQ((uint32_t)(expr), (uint32_t)(want))
#define DIR HVS_TEST_BINARY_DIR "/uwguest/"

/* The ASCII text of a UTF-16 string (the output is ASCII). */
static char *narrow(LPCWSTR w)
{
	size_t n = 0, i;
	char *s;

	while (w[n])
		n++;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = (char)(w[i] < 128 ? w[i] : '?');
	s[n] = 0;
	return s;
}

static void test_vmsd_unwind__fixture(void)
{
	VM_SAVED_STATE_DUMP_HANDLE h = NULL;
	LPWSTR out = NULL;
	MODULE_INFO mi;
	size_t len;
	uint8_t *raw = test_read_file(DIR "uwguest.truth", &len);
	char *truth = NULL, *text, *p;
	const char *q;
	int frames = 0, vp;

	/* test_read_file() does not terminate: copy as a C string. */
	if (raw && (truth = malloc(len + 1)) != NULL) {
		memcpy(truth, raw, len);
		truth[len] = 0;
	}
	free(raw);
	if (!truth)
		SKIP("uwguest fixture not built (needs clang, lld, llvm, libunicorn-dev)");
	CHECK_HR(LoadSavedStateFile(W(DIR "uwguest.vmrs"), &h), S_OK);
	memset(&mi, 0, sizeof mi);
	mi.ProcessImageName = "uwa.exe";
	mi.Image.ImageBaseAddress = 0x140000000ull;   /* uwa.exe, /BASE */
	for (vp = 0; vp < 5; vp++) {
		char key[32];
		int n, i;

		CHECK_HR(CallStackUnwind(h, (UINT32)vp, &mi, 1, 64, &out), S_OK);
		CHECK(out != NULL);
		text = narrow(out);
		LocalFree(out);
		CHECK(text != NULL);
		CHECK(!strncmp(text, " # Child-SP          RetAddr               Call Site\n", 52));
		snprintf(key, sizeof key, "vp %d frames ", vp);
		q = strstr(truth, key);
		CHECK(q != NULL);
		n = atoi(q + strlen(key));
		p = text;
		for (i = 0; i < n; i++) {
			char want[64];
			unsigned long long rip, rsp;

			q = strstr(q, "\nf ");
			CHECK(q && sscanf(q + 3, "%*d %llx %llx", &rip, &rsp) == 2);
			q += 3;
			snprintf(want, sizeof want, "\n%02x %08llx`%08llx ", i, rsp >> 32,
				 rsp & 0xFFFFFFFFull);
			p = strstr(p, want);
			if (!p)
				fprintf(stderr, "missing '%s' in:\n%s", want + 1, text);
			CHECK(p != NULL);
			frames++;
		}
		CHECK(strstr(text, "(end: bottom:") != NULL);
		if (vp == 0)
			CHECK(strstr(text, "uwb+0x1086") != NULL);   /* no symbols loaded */
		free(text);
	}
	CHECK_EQ(frames, 12 + 5 + 3 + 4 + 2);
	/* Frame limit. */
	CHECK_HR(CallStackUnwind(h, 0, NULL, 0, 2, &out), S_OK);
	text = narrow(out);
	LocalFree(out);
	CHECK(text && strstr(text, "\n01 ") && !strstr(text, "\n02 "));
	CHECK(strstr(text, "(end: max-frames:") != NULL);
	free(text);
	/* Arguments. */
	CHECK_HR(CallStackUnwind(h, 0, NULL, 1, 8, &out), E_POINTER);
	CHECK_HR(CallStackUnwind(h, 0, NULL, 0, 8, NULL), E_POINTER);
	CHECK_HR(CallStackUnwind(h, 0, NULL, 0, 0, &out), E_INVALIDARG);
	CHECK_HR(CallStackUnwind(h, 7, NULL, 0, 8, &out), E_INVALIDARG);
	CHECK_HR(CallStackUnwind(NULL, 0, NULL, 0, 8, &out), E_HANDLE);
	CHECK_HR(ReleaseSavedStateFiles(h), S_OK);
	free(truth);
}

TEST_MAIN(TEST(test_vmsd_unwind__fixture))
