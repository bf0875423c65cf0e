/* SPDX-License-Identifier: MIT */
/* Build the CLI's JSON reader into hvs_testlib (see json_min.h). */
#include "../../cli/json_min.c"
