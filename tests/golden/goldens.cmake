# SPDX-License-Identifier: MIT
# Golden CLI tests; see hvs_add_golden() in tests/CMakeLists.txt.
# hvs keys / hvs check on the two HyperVStorage samples (src/store).
hvs_add_golden(NAME keys_vmrs_json EXPECT keys_vmrs.json.expect
  NEEDS samples/test.VMRS ARGS keys --json @SHARED@/samples/test.VMRS)
hvs_add_golden(NAME keys_vmcx_json EXPECT keys_vmcx.json.expect
  NEEDS samples/test.vmcx ARGS keys --json @SHARED@/samples/test.vmcx)
hvs_add_golden(NAME keys_vmcx_info EXPECT keys_vmcx_info.expect
  NEEDS samples/test.vmcx ARGS keys --info --depth 1 @SHARED@/samples/test.vmcx /configuration/properties)
hvs_add_golden(NAME check_vmrs EXPECT check_vmrs.expect
  NEEDS samples/test.VMRS ARGS check @SHARED@/samples/test.VMRS)
hvs_add_golden(NAME check_vmcx_json EXPECT check_vmcx.json.expect
  NEEDS samples/test.vmcx ARGS check --json @SHARED@/samples/test.vmcx)
hvs_add_golden(NAME check_not_container EXPECT check_bin.expect EXIT 3
  NEEDS samples/test_file.bin ARGS check @SHARED@/samples/test_file.bin)
hvs_add_golden(NAME keys_missing_key EXPECT keys_missing.expect EXIT 5
  NEEDS samples/test.VMRS ARGS keys @SHARED@/samples/test.VMRS /savedstate)
# hvs info / mem / read / regs (src/vmrs saved-state reader).  The real
# legacy .bin: 64512 pages, raw size 264241152, and the 12 bytes at GPA
# 0xC0FFE that Microsoft's DLL returns (api.md 6).
hvs_add_golden(NAME info_bin_json EXPECT info_bin.json.expect
  NEEDS samples/test_file.bin ARGS info --json @SHARED@/samples/test_file.bin)
hvs_add_golden(NAME mem_bin_json EXPECT mem_bin.json.expect
  NEEDS samples/test_file.bin ARGS mem --json @SHARED@/samples/test_file.bin)
hvs_add_golden(NAME read_bin_json EXPECT read_bin.json.expect
  NEEDS samples/test_file.bin ARGS read --json --gpa 0xC0FFE --len 12 @SHARED@/samples/test_file.bin)
hvs_add_golden(NAME read_bin_partial EXPECT read_bin_partial.expect EXIT 5
  NEEDS samples/test_file.bin ARGS read --gpa 0xFBFFFF8 --len 16 @SHARED@/samples/test_file.bin)
hvs_add_golden(NAME info_config_only EXPECT empty.expect EXIT 5
  NEEDS samples/test.VMRS ARGS info @SHARED@/samples/test.VMRS)
# A generated .vmrs (tests/data/ssr-x64-vtl.spec, written by hvs-gen in a
# fixture step): 2 VPs x 2 VTLs, MMIO gaps, mixed encoding.
if(TARGET hvs-gen)
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/tmp)
  add_test(NAME gen_ssr_x64_vtl COMMAND hvs-gen
    ${CMAKE_CURRENT_SOURCE_DIR}/data/ssr-x64-vtl.spec ${PROJECT_BINARY_DIR}/tmp/ssr-x64-vtl.vmrs)
  set_tests_properties(gen_ssr_x64_vtl PROPERTIES FIXTURES_SETUP ssr_x64_vtl)
  foreach(g info mem regs)
    hvs_add_golden(NAME ${g}_gen_json EXPECT ${g}_gen.json.expect
      ARGS ${g} --json @TMP@/ssr-x64-vtl.vmrs)
    set_tests_properties(golden_${g}_gen_json PROPERTIES FIXTURES_REQUIRED ssr_x64_vtl)
  endforeach()
  hvs_add_golden(NAME read_gen_gap EXPECT read_gen_gap.expect EXIT 5
    ARGS read --gpa 0x9FFF0 --len 32 @TMP@/ssr-x64-vtl.vmrs)
  set_tests_properties(golden_read_gen_gap PROPERTIES FIXTURES_REQUIRED ssr_x64_vtl)
endif()
