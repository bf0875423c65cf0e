# SPDX-License-Identifier: MIT
# Run an example program with ARGS and check that its output holds every
# string of WANT (a CMake list).  EMU: the cross build's emulator (wine).
execute_process(COMMAND ${EMU} ${PROG} ${ARGS} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROG} failed (${rc}): ${err}")
endif()
foreach(w ${WANT})
  string(FIND "${out}" "${w}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "output lacks: ${w}")
  endif()
endforeach()
