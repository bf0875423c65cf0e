# SPDX-License-Identifier: MIT
# hvs stack on the Windows-like guest (tests/data/winguest): VP 0 was saved
# at KiIdleLoop (the builder sets RIP to the function's address from the
# kernel's fixup table), so frame 00 must read "nt!KiIdleLoop" with the
# kernel named "nt" as WinDbg does; VP 1 (user code without an image) ends
# with a reason, never a crash.
#   cmake -DHVS=... -DDIR=<build>/winguest -P cli_stack_winguest.cmake
if(NOT EXISTS ${DIR}/winguest.vmrs)
  message("skipped: winguest fixture not built")
  return()
endif()
execute_process(COMMAND ${EMU} ${HVS} stack --all --symbols ${DIR}/symbols ${DIR}/winguest.vmrs
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hvs stack exited ${rc}:\n${out}")
endif()
foreach(re "\n00 fffff801`6c3f[0-9a-f]+ [0-9a-f`]+ +nt!KiIdleLoop\n"
           "VP 1: 1 frame\n" "end: no-frame: no image contains 0x00007ff7a4c01000")
  if(NOT out MATCHES "${re}")
    message(FATAL_ERROR "no match for '${re}' in:\n${out}")
  endif()
endforeach()
