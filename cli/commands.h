/* SPDX-License-Identifier: MIT */
/* Command entry points (see commands.def). */
#ifndef HVS_CLI_COMMANDS_H
#define HVS_CLI_COMMANDS_H
#endif
