# SPDX-License-Identifier: MIT
# The Windows-like guest fixture (tests/data/winguest/README.md), built at
# test time by the ctest test "winguest_fixture" (FIXTURES_SETUP winguest):
#   ${PROJECT_BINARY_DIR}/winguest/{winguest.vmrs, ntkrnlmp.exe, ntkrnlmp.pdb,
#     hvsdrv.sys, hvsdrv.pdb, symbols/<name>.pdb/<GUIDAGE>/<name>.pdb,
#     <name>.guidage}
# Tests that use it:  hvs_winguest_require(<test> ...)
# (adds FIXTURES_REQUIRED winguest; the tests themselves exit 77 when the
# files are missing, e.g. without clang/lld).
add_executable(hvs-winguest gen/main_winguest.c)
target_link_libraries(hvs-winguest PRIVATE hvs_testlib)

find_program(HVS_WG_CLANG NAMES clang clang-16 clang-15 clang-14)
find_program(HVS_WG_LLD_LINK NAMES lld-link lld-link-16 lld-link-15 lld-link-14)
find_program(HVS_WG_PDBUTIL NAMES llvm-pdbutil llvm-pdbutil-16 llvm-pdbutil-15 llvm-pdbutil-14)
set(HVS_WINGUEST_DIR ${PROJECT_BINARY_DIR}/winguest)
add_test(NAME winguest_fixture
  COMMAND ${CMAKE_COMMAND}
    -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/data/winguest -DOUT=${HVS_WINGUEST_DIR}
    -DCLANG=${HVS_WG_CLANG} -DLLD_LINK=${HVS_WG_LLD_LINK}
    -DPDBUTIL=${HVS_WG_PDBUTIL} -DWINGUEST=$<TARGET_FILE:hvs-winguest> -DEMU=${HVS_TEST_EMU}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/data/winguest/build.cmake)
set_tests_properties(winguest_fixture PROPERTIES FIXTURES_SETUP winguest
  SKIP_REGULAR_EXPRESSION "skipped: ")

function(hvs_winguest_require)
  foreach(t ${ARGN})
    if(TEST ${t})
      set_tests_properties(${t} PROPERTIES FIXTURES_REQUIRED winguest)
    endif()
  endforeach()
endfunction()

# Independent expected values: the LLVM tools, run by the tests.
find_program(HVS_WG_READOBJ NAMES llvm-readobj llvm-readobj-16 llvm-readobj-15 llvm-readobj-14)
find_program(HVS_WG_OBJDUMP NAMES llvm-objdump llvm-objdump-16 llvm-objdump-15 llvm-objdump-14)
target_sources(hvs_testlib PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit/winguest_util.c)
foreach(v READOBJ OBJDUMP PDBUTIL)
  if(HVS_WG_${v})
    target_compile_definitions(hvs_testlib PUBLIC HVS_LLVM_${v}="${HVS_WG_${v}}")
  endif()
endforeach()

# hvs images on the fixture.
if(TARGET hvs)
  add_test(NAME cli_images
    COMMAND ${CMAKE_COMMAND} -DHVS=$<TARGET_FILE:hvs> -DEMU=${HVS_TEST_EMU}
      -DIN=${HVS_WINGUEST_DIR}/winguest.vmrs
      -P ${CMAKE_CURRENT_SOURCE_DIR}/cli_images.cmake)
  set_tests_properties(cli_images PROPERTIES FIXTURES_REQUIRED winguest
    SKIP_REGULAR_EXPRESSION "skipped: ")
endif()
