/* SPDX-License-Identifier: MIT */
/*
 * Header test: hvs/hvs.h must compile as strict C++11 (extern "C",
 * no C-only constructs).  Compiled only (-fsyntax-only).
 */
#include "hvs/hvs.h"

const char *hvs_header_test_cxx(void);

const char *hvs_header_test_cxx(void)
{
	return hvs_strerror(HVS_E_CORRUPT);
}
