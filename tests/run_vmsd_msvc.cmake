# SPDX-License-Identifier: MIT
# Build tests/msvc/vmsd_msvc_consumer.c for the MSVC ABI against the MSVC
# import library vmsavedstatedumpprovider.lib and run it under wine beside
# vmsavedstatedumpprovider.dll (docs/sdk.md, "Using the DLL on Windows in
# place of Microsoft's").  Skips when clang, lld-link or mingw-w64's
# kernel32 import library is missing.
#   cmake -DCLANG= -DLLD_LINK= -DKERNEL32= -DIMPLIB= -DINC= -DSRC= -DGEN=
#         -DSPEC= -DOUTDIR=<the DLL's folder> -DTMP= -DEMU= -DOBJDUMP= -P this
foreach(v CLANG LLD_LINK KERNEL32)
  if(NOT ${v} OR NOT EXISTS "${${v}}")
    message("skipped: ${v} not found")
    return()
  endif()
endforeach()
file(MAKE_DIRECTORY ${TMP})
set(vmrs ${TMP}/vmsd_msvc.vmrs)
execute_process(COMMAND ${EMU} ${GEN} ${SPEC} ${vmrs} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hvs-gen failed (${rc}): ${err}")
endif()
set(obj ${TMP}/vmsd_msvc_consumer.obj)
set(exe ${OUTDIR}/vmsd_msvc_consumer.exe)
execute_process(COMMAND ${CLANG} --target=x86_64-pc-windows-msvc -ffreestanding
    -fno-stack-protector -DVMSD_NO_WINDOWS_H -DVMSD_DLLIMPORT "-DFIXTURE=L\"${vmrs}\""
    -std=c11 -Wall -Wextra -Werror -I${INC} -c ${SRC} -o ${obj}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang (MSVC target) failed:\n${out}")
endif()
execute_process(COMMAND ${LLD_LINK} /nologo /entry:vmsd_msvc_start /subsystem:console
    /nodefaultlib /out:${exe} ${obj} ${IMPLIB} ${KERNEL32}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "lld-link failed:\n${out}")
endif()
# The import table names our DLL, as a program linked with Microsoft's
# vmsavedstatedumpprovider.lib would.
execute_process(COMMAND ${OBJDUMP} -p ${exe} OUTPUT_VARIABLE dump)
string(FIND "${dump}" "DLL Name: vmsavedstatedumpprovider.dll" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "the program does not import vmsavedstatedumpprovider.dll:\n${dump}")
endif()
execute_process(COMMAND ${EMU} ${exe} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vmsd_msvc_consumer failed: exit code ${rc} (one bit per failed check) ${out}${err}")
endif()
message("ok: MSVC-ABI program linked with vmsavedstatedumpprovider.lib ran against our DLL")
