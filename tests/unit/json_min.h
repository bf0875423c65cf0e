/* SPDX-License-Identifier: MIT */
/* The tests use the CLI's minimal JSON reader (cli/json_min.h): one
 * implementation for `--regs-json` and for the guests' ground truth. */
#ifndef HVS_TEST_JSON_MIN_H
#define HVS_TEST_JSON_MIN_H
#include "../../cli/json_min.h"
#endif
