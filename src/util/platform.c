/* SPDX-License-Identifier: MIT */
/*
 * The parts of the platform layer (src/util/platform.h) built from the
 * per-OS primitives of platform_posix.c and platform_win.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/platform.h"

/*
 * A new temporary file beside @final.  Created exclusively (O_EXCL,
 * CREATE_NEW), so the name only has to be unlikely to exist: a clash just
 * tries the next one.  Beside the target, not in a temp folder, so the
 * final rename stays on one filesystem and is atomic.
 */
int hvs__file_create_temp(const hvs__alloc *a, const char *final, const char *tag,
			  const char *suffix, char **tmp_out, hvs__fh *out)
{
	size_t n = strlen(final) + strlen(tag) + strlen(suffix) + 16;
	char *t = hvs__malloc(a, n);
	unsigned long long seed;
	int e = 0, tries;
	*out = HVS__FH_NONE;
	*tmp_out = NULL;
	if (!t)
		return HVS__OS_NOMEM;
	seed = (unsigned long long)hvs__process_id() ^ (unsigned long long)time(NULL) ^
	       (unsigned long long)(uintptr_t)t ^
	       (unsigned long long)(hvs__monotonic_seconds() * 1e9);
	for (tries = 0; tries < 100; tries++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		snprintf(t, n, "%s%s%08lx%s", final, tag,
			 (unsigned long)((seed >> 24) & 0xffffffffUL), suffix);
		e = hvs__file_create(out, t, 1);
		if (!e || !hvs__os_err_exists(e))
			break;
	}
	if (e) {
		hvs__free(a, t);
		return e;
	}
	*tmp_out = t;
	return 0;
}
