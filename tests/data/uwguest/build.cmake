# SPDX-License-Identifier: MIT
# Build the unwinder fixture (README.md) at test time:
#   cmake -DSRC=<tests/data/uwguest> -DOUT=<build>/uwguest -DCLANG=...
#         -DLLD_LINK=... -DREADOBJ=... -DUWGEN=<hvs-uwgen> -P build.cmake
# Prints "skipped: ..." when a tool is missing.
foreach(tool CLANG LLD_LINK READOBJ UWGEN)
  if(NOT ${tool} OR NOT EXISTS "${${tool}}")
    message("skipped: ${tool} not found (install clang, lld, llvm, libunicorn-dev: scripts/setup-debian.sh)")
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

# C: unwind tables from the compiler; no tail calls, so that every frame
# of the chain is a real call.  Assembly: the .seh_* directives, and the
# hand-written .pdata/.xdata of c_chain.
set(CFLAGS --target=x86_64-pc-windows-msvc -g -gcodeview -funwind-tables
    -ffreestanding -fno-builtin -fno-stack-protector -mno-red-zone -O1
    -fno-optimize-sibling-calls -std=c11 -Wall -Wextra -Werror -I${SRC})
set(AFLAGS --target=x86_64-pc-windows-msvc)
foreach(m uwa uwb uwc)
  run(${CLANG} ${CFLAGS} -c ${SRC}/${m}.c -o ${OUT}/obj/${m}.obj)
  run(${CLANG} ${AFLAGS} -c ${SRC}/${m}_asm.s -o ${OUT}/obj/${m}_asm.obj)
endforeach()

set(LFLAGS /NOLOGO /NODEFAULTLIB /SUBSYSTEM:NATIVE /DEBUG /PDBALTPATH:%_PDB%
    /FIXED /OPT:NOREF /OPT:NOICF)
run(${LLD_LINK} ${LFLAGS} /ENTRY:a_main /BASE:0x140000000 /TIMESTAMP:0x60000001
    /EXPORT:a_huge /EXPORT:a_leaf /EXPORT:uw_stop_deep
    /PDB:${OUT}/uwa.pdb /OUT:${OUT}/uwa.exe ${OUT}/obj/uwa.obj ${OUT}/obj/uwa_asm.obj)
run(${LLD_LINK} ${LFLAGS} /DLL /NOENTRY /BASE:0x7FF8A0000000 /TIMESTAMP:0x60000002
    /EXPORT:b_large16 /EXPORT:b_raise /EXPORT:uw_stop_prolog
    /PDB:${OUT}/uwb.pdb /OUT:${OUT}/uwb.dll ${OUT}/obj/uwb.obj ${OUT}/obj/uwb_asm.obj)
run(${LLD_LINK} ${LFLAGS} /DLL /NOENTRY /BASE:0x7FFB40000000 /TIMESTAMP:0x60000003
    /EXPORT:c_push /EXPORT:c_fp /EXPORT:c_chain /EXPORT:c_raise_err
    /EXPORT:uw_stop_epilog
    /PDB:${OUT}/uwc.pdb /OUT:${OUT}/uwc.dll ${OUT}/obj/uwc.obj ${OUT}/obj/uwc_asm.obj)

# The independent view of each function's unwind data.
foreach(f uwa.exe uwb.dll uwc.dll)
  execute_process(COMMAND ${READOBJ} --unwind ${OUT}/${f}
    OUTPUT_FILE ${OUT}/${f}.unwind RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "llvm-readobj --unwind ${f} failed")
  endif()
endforeach()

run(${UWGEN} ${OUT}/uwguest.vmrs.tmp ${OUT}/uwguest.truth.tmp
    ${OUT}/uwa.exe ${OUT}/uwb.dll ${OUT}/uwc.dll)
file(RENAME ${OUT}/uwguest.vmrs.tmp ${OUT}/uwguest.vmrs)
file(RENAME ${OUT}/uwguest.truth.tmp ${OUT}/uwguest.truth)
message(STATUS "uwguest fixture ready in ${OUT}")
