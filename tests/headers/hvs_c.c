/* SPDX-License-Identifier: MIT */
/*
 * Header test (STYLE.md "Tests", libgit2 tests/headertest): the umbrella
 * header hvs/hvs.h must compile as strict C11 with every warning an
 * error.  Compiled only (-fsyntax-only); see tests/CMakeLists.txt.
 */
#include "hvs/hvs.h"

const char *hvs_header_test_c(void);

const char *hvs_header_test_c(void)
{
	return hvs_strerror(HVS_E_CORRUPT);
}
