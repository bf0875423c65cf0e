/* SPDX-License-Identifier: MIT */
/*
 * Placeholder for the Windows crash-dump writer (src/convert/dmp.c, being
 * written separately): until it is merged, `--to dmp` fails cleanly with
 * HVS_E_UNSUPPORTED and no output.  This file is deleted when dmp.c lands.
 */
#include "convert/convert_int.h"

hvs_status hvs__convert_dmp(struct hvs__cvt *c)
{
	return hvs__cvt_err(c, HVS_E_UNSUPPORTED, "crash-dump writer not built");
}
