/* SPDX-License-Identifier: MIT */
/* .vmrs writer: not yet written (step 3). */
#include "convert/cvt_priv.h"

hvs_status hvs__convert_vmrs(struct hvs__cvt *c)
{
	return hvs__cvt_err(c, HVS_E_UNSUPPORTED, ".vmrs output not built yet");
}
