/* SPDX-License-Identifier: MIT */
/* Module uwc.dll: a C symbol so that its PDB has a module stream. */
#include "uw.h"

__declspec(dllexport) long long c_version(const struct uw_tab *t, long long x)
{
	(void)t;
	return x + 3;
}
