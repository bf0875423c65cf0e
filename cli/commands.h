/* SPDX-License-Identifier: MIT */
/* Command entry points (see commands.def). */
#ifndef HVS_CLI_COMMANDS_H
#define HVS_CLI_COMMANDS_H
int cmd_keys(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_regs(int argc, char **argv);
int cmd_mem(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_xlat(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_apply_log(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_modules(int argc, char **argv);
int cmd_sym(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_stack(int argc, char **argv);
#endif
