# SPDX-License-Identifier: MIT
# Runs one golden test: hvs ARGS, compare stdout with EXPECT and the exit
# code with EXIT.  When the NEEDS file under SHARED is absent it prints
# "skipped: ..." and stops; the test's SKIP_REGULAR_EXPRESSION turns that
# into a skip (cmake_language(EXIT) would need CMake 3.29; Debian 12 has 3.25).
# EMU: the cross build's emulator (wine), empty otherwise.
# Set HVS_UPDATE_GOLDEN=1 in the environment to rewrite the expect file.
# Script mode sets no policies: without CMP0053 "@SHARED@" expands as a variable.
cmake_policy(SET CMP0053 NEW)
if(NEEDS AND NOT EXISTS "${SHARED}/${NEEDS}")
  message("skipped: ${SHARED}/${NEEDS} is absent")
  return()
endif()
file(MAKE_DIRECTORY "${TMP}")
set(args "")
foreach(a ${ARGS})
  string(REPLACE "@SHARED@" "${SHARED}" a "${a}")
  string(REPLACE "@TMP@" "${TMP}" a "${a}")
  list(APPEND args "${a}")
endforeach()
execute_process(COMMAND ${EMU} ${HVS} ${args}
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
string(REPLACE "${SHARED}" "@SHARED@" out "${out}")
string(REPLACE "${TMP}" "@TMP@" out "${out}")
if(DEFINED ENV{HVS_UPDATE_GOLDEN})
  file(WRITE "${EXPECT}" "${out}")
endif()
if(NOT rc EQUAL EXIT)
  message(FATAL_ERROR "hvs ${args}: exit ${rc}, want ${EXIT}\nstderr: ${err}")
endif()
file(READ "${EXPECT}" want)
if(NOT out STREQUAL want)
  file(WRITE "${TMP}/golden.actual" "${out}")
  execute_process(COMMAND diff -u "${EXPECT}" "${TMP}/golden.actual")
  message(FATAL_ERROR "output differs from ${EXPECT}")
endif()
