/* SPDX-License-Identifier: MIT */
/* ELF core writer: not yet written (step 3). */
#include "convert/cvt_priv.h"

hvs_status hvs__convert_elf(struct hvs__cvt *c)
{
	return hvs__cvt_err(c, HVS_E_UNSUPPORTED, "ELF core writer not built yet");
}
