/* SPDX-License-Identifier: MIT */
/*
 * Helpers for tests on the Windows-like guest fixture
 * (tests/data/winguest/README.md): where its files are, and the LLVM tools
 * that give the independent expected values (llvm-readobj, llvm-objdump,
 * llvm-pdbutil), run with their output captured and parsed.
 */
#ifndef HVS_TESTS_WINGUEST_UTIL_H
#define HVS_TESTS_WINGUEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "../data/winguest/layout.h"

/* Path of fixture file @name ("winguest.vmrs", "ntkrnlmp.exe", ...) in
 * <build>/winguest, or NULL when it does not exist (fixture not built). */
const char *wg_file(const char *name);

/* Path of an LLVM tool found at configure time ("readobj", "objdump",
 * "pdbutil"), or NULL. */
const char *wg_tool(const char *name);

/* Run "TOOL ARGS PATH" and return its standard output (malloc'd,
 * NUL-terminated), or NULL when it cannot be run or fails. */
char *wg_run(const char *tool, const char *args, const char *path);

/* The value of the first line "<spaces>KEY: VALUE" at or after @text.
 * A "(0x...)" in VALUE wins (llvm-readobj prints "NAME (0xHEX)"),
 * otherwise VALUE is read as a C number.  Returns 1 when found. */
int wg_field(const char *text, const char *key, uint64_t *out);

/* The same, copying VALUE as text (to the end of the line). */
int wg_field_str(const char *text, const char *key, char *buf, size_t size);

/* The next block "NAME {" at or after @text: pointer to it, or NULL. */
const char *wg_block(const char *text, const char *name);

/* GUID (16 bytes, on-disk order) and age of a PDB as
 * `llvm-pdbutil dump --summary` reports them.  Returns 1 on success. */
int wg_pdb_guid_age(const char *pdb, uint8_t guid[16], uint32_t *age);

#endif
