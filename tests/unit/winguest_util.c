/* SPDX-License-Identifier: MIT */
/*
 * Helpers for tests on the Windows-like guest fixture (winguest_util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testplat.h"
#include "winguest_util.h"

#ifndef HVS_LLVM_READOBJ
#define HVS_LLVM_READOBJ ""
#endif
#ifndef HVS_LLVM_OBJDUMP
#define HVS_LLVM_OBJDUMP ""
#endif
#ifndef HVS_LLVM_PDBUTIL
#define HVS_LLVM_PDBUTIL ""
#endif

const char *wg_file(const char *name)
{
	static char buf[4][1024];
	static int which;
	char *p = buf[which = (which + 1) % 4];
	struct stat st;

	snprintf(p, sizeof buf[0], "%s/winguest/%s", HVS_TEST_BINARY_DIR, name);
	return stat(p, &st) == 0 ? p : NULL;
}

const char *wg_tool(const char *name)
{
	const char *t = !strcmp(name, "readobj") ? HVS_LLVM_READOBJ
		      : !strcmp(name, "objdump") ? HVS_LLVM_OBJDUMP
		      : !strcmp(name, "pdbutil") ? HVS_LLVM_PDBUTIL : "";
	/* Host tools: none when no host shell can be reached (testplat.h). */
	return t[0] && !test_sh_unavailable() ? t : NULL;
}

char *wg_run(const char *tool, const char *args, const char *path)
{
	char cmd[4096];
	char *out = NULL;

	if (!tool)
		return NULL;
	/* A host tool (testplat.h). */
	snprintf(cmd, sizeof cmd, "'%s' %s '%s' 2>/dev/null", tool, args, path);
	if (test_sh(cmd, &out, NULL) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Start of the value of the first "KEY: " line at or after @text. */
static const char *find_key(const char *text, const char *key)
{
	size_t k = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *q = p;

		while (*q == ' ')
			q++;
		if (!strncmp(q, key, k) && q[k] == ':' && (q[k + 1] == ' ' || q[k + 1] == '\n'))
			return q + k + 1 + (q[k + 1] == ' ');
		/* Flag sets: "KEY [ (0xHEX)" */
		if (!strncmp(q, key, k) && q[k] == ' ' && q[k + 1] == '[')
			return q + k + 2;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int wg_field(const char *text, const char *key, uint64_t *out)
{
	const char *v = find_key(text, key), *eol, *par;

	if (!v)
		return 0;
	eol = strchr(v, '\n');
	par = strstr(v, "(0x");
	if (par && (!eol || par < eol))
		v = par + 1;
	*out = strtoull(v, NULL, 0);
	return 1;
}

int wg_field_str(const char *text, const char *key, char *buf, size_t size)
{
	const char *v = find_key(text, key);
	size_t n;

	if (!v || !size)
		return 0;
	n = strcspn(v, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 1;
}

const char *wg_block(const char *text, const char *name)
{
	char pat[128];

	snprintf(pat, sizeof pat, "%s {", name);
	return text ? strstr(text, pat) : NULL;
}

int wg_pdb_guid_age(const char *pdb, uint8_t guid[16], uint32_t *age)
{
	char *out = wg_run(wg_tool("pdbutil"), "dump --summary", pdb);
	const char *g;
	unsigned d1, d2, d3, b[8];
	uint64_t a;
	int ok = 0, i;

	if (!out)
		return 0;
	g = strstr(out, "GUID: {");
	if (g && sscanf(g, "GUID: {%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &d1, &d2,
			&d3, &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7]) == 11 &&
	    wg_field(out, "Age", &a)) {
		/* Data1..3 little-endian on disk, Data4 as is. */
		for (i = 0; i < 4; i++)
			guid[i] = (uint8_t)(d1 >> (8 * i));
		guid[4] = (uint8_t)d2;
		guid[5] = (uint8_t)(d2 >> 8);
		guid[6] = (uint8_t)d3;
		guid[7] = (uint8_t)(d3 >> 8);
		for (i = 0; i < 8; i++)
			guid[8 + i] = (uint8_t)b[i];
		*age = (uint32_t)a;
		ok = 1;
	}
	free(out);
	return ok;
}
