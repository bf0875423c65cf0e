# SPDX-License-Identifier: MIT
# The unwinder fixture (tests/data/uwguest/README.md): three x64 PE modules
# built with clang/lld-link, run in the Unicorn emulator (Debian package
# libunicorn-dev) by hvs-uwgen, saved as ${PROJECT_BINARY_DIR}/uwguest/
#   uwguest.vmrs  uwguest.truth  uwa.exe uwb.dll uwc.dll  *.pdb  *.unwind
# ctest test "uwguest_fixture" (FIXTURES_SETUP uwguest).  Without Unicorn
# at configure time, or without clang/lld, it is reported as skipped and
# the tests that need it exit 77.
find_path(HVS_UNICORN_INCLUDE unicorn/unicorn.h)
find_library(HVS_UNICORN_LIB unicorn)
set(HVS_UWGUEST_DIR ${PROJECT_BINARY_DIR}/uwguest)
if(HVS_UNICORN_INCLUDE AND HVS_UNICORN_LIB)
  add_executable(hvs-uwgen uwgen/main_uwgen.c)
  target_include_directories(hvs-uwgen PRIVATE ${HVS_UNICORN_INCLUDE})
  target_link_libraries(hvs-uwgen PRIVATE hvs_testlib ${HVS_UNICORN_LIB})
  add_test(NAME uwguest_fixture
    COMMAND ${CMAKE_COMMAND}
      -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/data/uwguest -DOUT=${HVS_UWGUEST_DIR}
      -DCLANG=${HVS_WG_CLANG} -DLLD_LINK=${HVS_WG_LLD_LINK}
      -DREADOBJ=${HVS_WG_READOBJ} -DUWGEN=$<TARGET_FILE:hvs-uwgen>
      -P ${CMAKE_CURRENT_SOURCE_DIR}/data/uwguest/build.cmake)
else()
  add_test(NAME uwguest_fixture COMMAND ${CMAKE_COMMAND} -E echo
    "skipped: libunicorn-dev not found at configure time (scripts/setup-debian.sh)")
endif()
set_tests_properties(uwguest_fixture PROPERTIES FIXTURES_SETUP uwguest
  SKIP_REGULAR_EXPRESSION "skipped: ")

function(hvs_uwguest_require)
  foreach(t ${ARGN})
    if(TEST ${t})
      set_tests_properties(${t} PROPERTIES FIXTURES_REQUIRED uwguest)
    endif()
  endforeach()
endfunction()

if(TARGET hvs)
  add_test(NAME cli_stack
    COMMAND ${CMAKE_COMMAND} -DHVS=$<TARGET_FILE:hvs> -DDIR=${HVS_UWGUEST_DIR}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cli_stack.cmake)
  set_tests_properties(cli_stack PROPERTIES FIXTURES_REQUIRED uwguest
    SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
if(TARGET hvs)
  add_test(NAME cli_stack_winguest
    COMMAND ${CMAKE_COMMAND} -DHVS=$<TARGET_FILE:hvs> -DDIR=${HVS_WINGUEST_DIR}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cli_stack_winguest.cmake)
  set_tests_properties(cli_stack_winguest PROPERTIES FIXTURES_REQUIRED winguest
    SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
