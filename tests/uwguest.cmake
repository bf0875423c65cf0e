# SPDX-License-Identifier: MIT
# The unwinder fixture (tests/data/uwguest/README.md): three x64 PE modules
# built with clang/lld-link, run in the Unicorn emulator (Debian package
# libunicorn-dev) by hvs-uwgen, saved as ${PROJECT_BINARY_DIR}/uwguest/
#   uwguest.vmrs  uwguest.truth  uwa.exe uwb.dll uwc.dll  *.pdb  *.unwind
# ctest test "uwguest_fixture" (FIXTURES_SETUP uwguest).  Without Unicorn
# at configure time, or without clang/lld, it is reported as skipped and
# the tests that need it exit 77.
#
# Cross builds (Windows under wine): Unicorn has no mingw-w64 build, so the
# generator is a Linux one, named by HVS_HOST_UWGEN (scripts/test.sh passes
# the gcc build's tests/hvs-uwgen); the fixture is the same bytes either way
# and the Windows tests read it.
find_path(HVS_UNICORN_INCLUDE unicorn/unicorn.h)
find_library(HVS_UNICORN_LIB unicorn)
set(HVS_HOST_UWGEN "" CACHE FILEPATH
    "Cross builds: a Linux build's hvs-uwgen, to generate the uwguest fixture")
set(HVS_UWGUEST_DIR ${PROJECT_BINARY_DIR}/uwguest)
set(_hvs_uwgen "")
if(HVS_UNICORN_INCLUDE AND HVS_UNICORN_LIB)
  add_executable(hvs-uwgen uwgen/main_uwgen.c)
  target_include_directories(hvs-uwgen PRIVATE ${HVS_UNICORN_INCLUDE})
  target_link_libraries(hvs-uwgen PRIVATE hvs_testlib ${HVS_UNICORN_LIB})
  set(_hvs_uwgen $<TARGET_FILE:hvs-uwgen>)
elseif(CMAKE_CROSSCOMPILING AND HVS_HOST_UWGEN)
  set(_hvs_uwgen ${HVS_HOST_UWGEN})
endif()
if(_hvs_uwgen)
  add_test(NAME uwguest_fixture
    COMMAND ${CMAKE_COMMAND}
      -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/data/uwguest -DOUT=${HVS_UWGUEST_DIR}
      -DCLANG=${HVS_WG_CLANG} -DLLD_LINK=${HVS_WG_LLD_LINK}
      -DREADOBJ=${HVS_WG_READOBJ} -DUWGEN=${_hvs_uwgen}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/data/uwguest/build.cmake)
elseif(CMAKE_CROSSCOMPILING)
  add_test(NAME uwguest_fixture COMMAND ${CMAKE_COMMAND} -E echo
    "skipped: the generator needs Unicorn (Linux only): set HVS_HOST_UWGEN to a Linux build's tests/hvs-uwgen")
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
    COMMAND ${CMAKE_COMMAND} -DHVS=$<TARGET_FILE:hvs> -DEMU=${HVS_TEST_EMU} -DDIR=${HVS_UWGUEST_DIR}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cli_stack.cmake)
  set_tests_properties(cli_stack PROPERTIES FIXTURES_REQUIRED uwguest
    SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
if(TARGET hvs)
  add_test(NAME cli_stack_winguest
    COMMAND ${CMAKE_COMMAND} -DHVS=$<TARGET_FILE:hvs> -DEMU=${HVS_TEST_EMU} -DDIR=${HVS_WINGUEST_DIR}
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cli_stack_winguest.cmake)
  set_tests_properties(cli_stack_winguest PROPERTIES FIXTURES_REQUIRED winguest
    SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
