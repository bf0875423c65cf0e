# SPDX-License-Identifier: MIT
# Header compile test driver (tests/CMakeLists.txt, "Header tests").
#   cmake -DCOMPILER=<path or empty> -DFLAGS=<flags separated by |> -DSOURCE=<file>
#         [-DPROBE=ON] -P run_compile.cmake
# Compiles SOURCE with FLAGS (syntax only).  Prints "HVS-SKIP: ..." and
# succeeds when the compiler is missing, or, with PROBE=ON, when the
# compiler cannot handle the flags at all (e.g. a --target it was not
# built for): ctest reports such a test as skipped (SKIP_REGULAR_EXPRESSION).
# "|" separates the flags: a ";" would be split by add_test.
string(REPLACE "|" ";" FLAGS "${FLAGS}")
if(NOT COMPILER)
  message("HVS-SKIP: compiler not found at configure time")
  return()
endif()
if(PROBE)
  # An empty translation unit: fails only if the compiler or target is unusable.
  get_filename_component(ext "${SOURCE}" EXT)
  # One probe file per test, so that parallel ctest runs do not collide.
  string(MD5 tag "${COMPILER};${FLAGS};${SOURCE}")
  set(probe "${CMAKE_CURRENT_BINARY_DIR}/hvs_header_probe_${tag}${ext}")
  file(WRITE "${probe}" "typedef int hvs_probe_unused;\n")
  execute_process(COMMAND "${COMPILER}" ${FLAGS} -fsyntax-only "${probe}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  file(REMOVE "${probe}")
  if(NOT rc EQUAL 0)
    message("HVS-SKIP: ${COMPILER} ${FLAGS} cannot compile an empty file:\n${out}")
    return()
  endif()
endif()
execute_process(COMMAND "${COMPILER}" ${FLAGS} -fsyntax-only "${SOURCE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${COMPILER} ${FLAGS} ${SOURCE} failed:\n${out}")
endif()
message("ok: ${COMPILER} ${FLAGS} ${SOURCE}")
