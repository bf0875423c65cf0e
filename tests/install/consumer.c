/* SPDX-License-Identifier: MIT */
/* Links against the installed library and prints its version. */
#include <stdio.h>
#include <string.h>
#include <hvs/hvs.h>

int main(void)
{
	hvs_reg r;
	if (hvs_reg_lookup("cr3", &r) != HVS_OK || r != HVS_REG_X64_CR3)
		return 1;
	printf("hvsavedstate %s\n", hvs_version());
	return strcmp(hvs_version(), "0.1.0") != 0;
}
