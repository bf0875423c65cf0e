# SPDX-License-Identifier: MIT
# Build the Windows-like guest fixture (README.md) at test time:
#   cmake -DSRC=<tests/data/winguest> -DOUT=<build>/winguest
#         -DCLANG=... -DLLD_LINK=... -DPDBUTIL=... -DWINGUEST=<hvs-winguest>
#         -P build.cmake
# Produces OUT/{ntkrnlmp.exe,ntkrnlmp.pdb,hvsdrv.sys,hvsdrv.pdb,winguest.vmrs}
# and the symbol store OUT/symbols/<name>.pdb/<GUID><AGE>/<name>.pdb (GUID and
# age as llvm-pdbutil reports them).  Prints "skipped: ..." when a tool is
# missing (the test is then reported as skipped).
foreach(tool CLANG LLD_LINK PDBUTIL)
  if(NOT ${tool} OR NOT EXISTS "${${tool}}")
    message("skipped: ${tool} not found (install clang, lld and llvm: scripts/setup-debian.sh)")
    return()
  endif()
endforeach()
file(MAKE_DIRECTORY "${OUT}/obj")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}${err}")
  endif()
endfunction()

# Freestanding MSVC-target code with CodeView debug info and unwind tables
# (x64 .pdata/.xdata), no CRT, no stack cookies, no red zone (kernel code).
set(CFLAGS --target=x86_64-pc-windows-msvc -g -gcodeview -funwind-tables
    -ffreestanding -fno-builtin -fno-stack-protector -mno-red-zone -O1 -std=c11
    -Wall -Wextra -Werror -I${SRC})
run(${CLANG} ${CFLAGS} -c ${SRC}/ntkrnlmp.c -o ${OUT}/obj/ntkrnlmp.obj)
run(${CLANG} ${CFLAGS} -c ${SRC}/hvsdrv.c -o ${OUT}/obj/hvsdrv.obj)

# Bases from layout.h (WG_KERNEL_BASE, WG_DRIVER_BASE).
file(STRINGS ${SRC}/layout.h kb REGEX "#define WG_KERNEL_BASE ")
file(STRINGS ${SRC}/layout.h db REGEX "#define WG_DRIVER_BASE ")
string(REGEX MATCH "0x[0-9A-Fa-f]+" kb "${kb}")
string(REGEX MATCH "0x[0-9A-Fa-f]+" db "${db}")

# Fixed timestamps keep the images reproducible; /PDBALTPATH stores the
# bare PDB name in the CodeView record, as Microsoft's builds do.
set(LFLAGS /NOLOGO /NODEFAULTLIB /SUBSYSTEM:NATIVE /DEBUG /PDBALTPATH:%_PDB%
    /FIXED /OPT:NOREF /OPT:NOICF)
run(${LLD_LINK} ${LFLAGS} /ENTRY:KiSystemStartup /BASE:${kb} /TIMESTAMP:0x5E8E2A1B
    /EXPORT:HvsForwardedQuery=hvsdrv.HvsDrvQuery
    /PDB:${OUT}/ntkrnlmp.pdb /OUT:${OUT}/ntkrnlmp.exe ${OUT}/obj/ntkrnlmp.obj)
run(${LLD_LINK} ${LFLAGS} /DRIVER /ENTRY:DriverEntry /BASE:${db} /TIMESTAMP:0x5F1D2C3B
    /PDB:${OUT}/hvsdrv.pdb /OUT:${OUT}/hvsdrv.sys ${OUT}/obj/hvsdrv.obj)

run(${EMU} ${WINGUEST} ${OUT}/winguest.vmrs.tmp ${OUT}/ntkrnlmp.exe ${OUT}/hvsdrv.sys)
file(RENAME ${OUT}/winguest.vmrs.tmp ${OUT}/winguest.vmrs)

# Symbol store: <name>.pdb/<GUID without dashes><age in hex>/<name>.pdb.
file(REMOVE_RECURSE ${OUT}/symbols)
foreach(name ntkrnlmp hvsdrv)
  execute_process(COMMAND ${PDBUTIL} dump --summary ${OUT}/${name}.pdb
    OUTPUT_VARIABLE sum RESULT_VARIABLE rc)
  string(REGEX MATCH "GUID: {([0-9A-F-]+)}" m "${sum}")
  set(guid "${CMAKE_MATCH_1}")
  string(REGEX MATCH "Age: ([0-9]+)" m "${sum}")
  set(age "${CMAKE_MATCH_1}")
  if(NOT rc EQUAL 0 OR guid STREQUAL "" OR age STREQUAL "")
    message(FATAL_ERROR "llvm-pdbutil dump --summary ${name}.pdb: no GUID/Age")
  endif()
  string(REPLACE "-" "" guid "${guid}")
  math(EXPR agehex "${age}" OUTPUT_FORMAT HEXADECIMAL)
  string(SUBSTRING "${agehex}" 2 -1 agehex)
  string(TOUPPER "${agehex}" agehex)
  file(MAKE_DIRECTORY ${OUT}/symbols/${name}.pdb/${guid}${agehex})
  file(COPY ${OUT}/${name}.pdb DESTINATION ${OUT}/symbols/${name}.pdb/${guid}${agehex})
  file(WRITE ${OUT}/${name}.guidage "${guid}${agehex}\n")
endforeach()
message(STATUS "winguest fixture ready in ${OUT}")
