# SPDX-License-Identifier: MIT
# Golden CLI tests; see hvs_add_golden() in tests/CMakeLists.txt.
# hvs keys / hvs check on the two HyperVStorage samples (src/store).
hvs_add_golden(NAME keys_vmrs_json EXPECT keys_vmrs.json.expect
  NEEDS samples/test.VMRS ARGS keys --json @SHARED@/samples/test.VMRS)
hvs_add_golden(NAME keys_vmcx_json EXPECT keys_vmcx.json.expect
  NEEDS samples/test.vmcx ARGS keys --json @SHARED@/samples/test.vmcx)
# dump-structures on test.VMRS; every number checked by hand against
# format.md (2.3, section 10) and recomputed with Python's zlib.crc32:
# headers seq 7 (current) / 6, log @0x8000 count 0 max 145 (0x91), stale
# entries {0x3000,0x1000,0x1000} {0x7000,0x1000,0x2000} {0x201A,0x24,0x3000}
# with entry and data CRCs ok, object table @0x2000 of 227 (0xe3) slots
# (key tables 0x3000 and 0x7000, Free 0x3000 bytes @0x4000), key tables
# idx 1 seq 8 and idx 2 seq 2.
hvs_add_golden(NAME dump_vmrs_json EXPECT dump_vmrs.json.expect
  NEEDS samples/test.VMRS ARGS dump-structures --json @SHARED@/samples/test.VMRS)
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
# The generated README sample (tests/data/sample-x64.spec, written by the
# hvs_gen_sample test = FIXTURE sample_x64, at @TMP@/../sample-x64.vmrs).
# Checked by hand against the spec's page tables (Intel SDM Vol.3 4.5):
# CR3 0x10000 -> PML4 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000.
# - GVA 0xfffff80000000000: PML4 index (bits 47:39) = 496, entry at
#   0x10000 + 496*8 = 0x10f80 = 0x11003; PDPT[0] at 0x11000 = 0x12003;
#   PD[0] at 0x12000 = 0x13003; PT[0] at 0x13000 = 0x100003 -> GPA 0x100000
#   (4 KiB page, P W).
# - GVA 0xfffff80000001abc: PT[1] at 0x13008 = 0x101003 -> GPA 0x101abc.
# - GVA 0xfffff80000212345: PD[1] at 0x12008 = 0x200083 (PS, bit 7) ->
#   2 MiB page at GPA 0x200000, so GPA 0x212345, page_size 2097152.
# - GVA 0xfffff80000002000: PT[2] at 0x13010 is zero -> not present at
#   level 1, next 0x1000 bytes unmapped.
# - GVA 0x7ff600001100 (VP1's RIP): PML4 index 255, entry at 0x107f8 is
#   zero -> not present at level 4; unmapped up to the next PML4 slot
#   (256 << 39 = 0x800000000000): 0x9ffffef00 bytes.
# - GVA 0x800000000000: bits 63:47 not a sign extension -> non-canonical;
#   the hole ends at 0xffff800000000000: 0xffff000000000000 bytes.
# Exit 5 because some addresses are not mapped (cli.h CLI_EXIT_NOTFOUND).
if(TARGET hvs-gen)
  set(HVS_SAMPLE @TMP@/../sample-x64.vmrs)
  set(HVS_SAMPLE_GVAS 0xfffff80000000000 0xfffff80000001abc 0xfffff80000212345
    0xfffff80000002000 0x7ff600001100 0x800000000000)
  hvs_add_golden(NAME xlat_sample_json EXPECT xlat_sample.json.expect EXIT 5
    FIXTURE sample_x64 ARGS xlat --json ${HVS_SAMPLE} ${HVS_SAMPLE_GVAS})
  # --trace: every entry address and value listed above, level by level;
  # the 2 MiB walk stops at the PDE with LEAF LARGE.
  hvs_add_golden(NAME xlat_sample_trace EXPECT xlat_sample_trace.expect EXIT 5
    FIXTURE sample_x64 ARGS xlat --trace ${HVS_SAMPLE} ${HVS_SAMPLE_GVAS})
  hvs_add_golden(NAME xlat_sample_trace_json EXPECT xlat_sample_trace.json.expect
    FIXTURE sample_x64 ARGS xlat --trace --json --vp 1 ${HVS_SAMPLE} 0xfffff80000200000)
  # maps: exactly the three leaf mappings of the spec, 0x1000 + 0x1000 +
  # 0x200000 = 0x202000 bytes; --merge joins PT[0] and PT[1] (VA and PA
  # contiguous, same flags) into one 0x2000 region, not the 2 MiB page
  # (VA gap 0xfffff80000002000..0xfffff800001fffff).
  hvs_add_golden(NAME maps_sample_json EXPECT maps_sample.json.expect
    FIXTURE sample_x64 ARGS maps --json ${HVS_SAMPLE})
  hvs_add_golden(NAME maps_sample_merge_json EXPECT maps_sample_merge.json.expect
    FIXTURE sample_x64 ARGS maps --merge --json ${HVS_SAMPLE})
  hvs_add_golden(NAME maps_sample_merge EXPECT maps_sample_merge.expect
    FIXTURE sample_x64 ARGS maps --merge ${HVS_SAMPLE})
  # keys / check: the container hvs-gen writes (tests/gen/gen_store.c):
  # version 0x400, one key table, 14 keys (4 nodes + 10 values below the
  # root, counted by hand from the keys tree), 5 file objects
  # (partition_state, RamBlock0..3); value_bytes 1168467 = 6612 + 2*48 +
  # 194975 + 3*322252 (the array sizes printed by keys) + 28 for the two
  # int values and the "Normal" string.  Verdict valid, exit 0.
  hvs_add_golden(NAME keys_sample_json EXPECT keys_sample.json.expect
    FIXTURE sample_x64 ARGS keys --json ${HVS_SAMPLE})
  hvs_add_golden(NAME check_sample_json EXPECT check_sample.json.expect
    FIXTURE sample_x64 ARGS check --json ${HVS_SAMPLE})
  # read --gva across a page boundary: GVA 0xfffff80000001ff0 is PT[1] ->
  # GPA 0x101ff0; memory is GPA ^ 0x5A5A5A5A5A5A5A5A, so the two words are
  # aa 45 4a 5a.. (0x101ff0) and a2 45 4a 5a.. (0x101ff8).  The next page
  # (PT[2]) is not present: the read stops after 16 of 32 bytes, exit 5.
  hvs_add_golden(NAME read_sample_gva_partial EXPECT read_sample_gva_partial.expect
    EXIT 5 FIXTURE sample_x64
    ARGS read --gva 0xfffff80000001ff0 --vp 0 --len 0x20 ${HVS_SAMPLE})
  # apply-log on a file with nothing pending: a no-op, exit 0, and the
  # file is not written (the other sample goldens still see it unchanged).
  hvs_add_golden(NAME apply_log_sample_json EXPECT apply_log_sample.json.expect
    FIXTURE sample_x64 ARGS apply-log --json ${HVS_SAMPLE})
  # Through the 2 MiB page of VP 1: GVA 0xfffff80000212345 -> GPA 0x212345;
  # bytes 5..7 of word 0x212340 (5a 5a 5a) then 12 79 7b 5a 5a of 0x212348.
  hvs_add_golden(NAME read_sample_gva_json EXPECT read_sample_gva.json.expect
    FIXTURE sample_x64
    ARGS read --json --gva 0xfffff80000212345 --vp 1 --len 8 ${HVS_SAMPLE})
endif()

# apply-log on a file that is not a container (a text file of the source
# tree): nothing written, exit 3 ("not this format"); stdout stays empty.
hvs_add_golden(NAME apply_log_not_container EXPECT empty.expect EXIT 3
  ARGS apply-log ${PROJECT_SOURCE_DIR}/tests/data/sample-x64.spec)
# hvs convert (src/convert) on the README sample: the ELF core and the raw
# image + OUT.json sidecar written by the convert_sample test (FIXTURE
# sample_conv) list exactly the sample's mappings, through the page tables
# copied into them and the registers carried by the ELF notes / the
# sidecar's registers.json groups: the same expected files as the .vmrs.
if(TARGET hvs)
  set(HVS_CONV @TMP@/sample-x64.conv)
  # Cross builds: hvs.exe runs under the emulator (wine) here too.
  set(_hvs_sh "'$<TARGET_FILE:hvs>'")
  if(CMAKE_CROSSCOMPILING AND CMAKE_CROSSCOMPILING_EMULATOR)
    set(_hvs_sh "'${CMAKE_CROSSCOMPILING_EMULATOR}' ${_hvs_sh}")
  endif()
  add_test(NAME convert_sample
    COMMAND sh -c "${_hvs_sh} convert '${PROJECT_BINARY_DIR}/sample-x64.vmrs' -o '${PROJECT_BINARY_DIR}/tmp/sample-x64.conv.elf' --to elf --force --quiet && ${_hvs_sh} convert '${PROJECT_BINARY_DIR}/sample-x64.vmrs' -o '${PROJECT_BINARY_DIR}/tmp/sample-x64.conv.raw' --to raw --force --quiet")
  set_tests_properties(convert_sample PROPERTIES FIXTURES_REQUIRED sample_x64
    FIXTURES_SETUP sample_conv)
  hvs_add_golden(NAME maps_sample_conv_elf EXPECT maps_sample.json.expect
    FIXTURE sample_conv ARGS maps --json ${HVS_CONV}.elf)
  hvs_add_golden(NAME maps_sample_conv_raw EXPECT maps_sample.json.expect
    FIXTURE sample_conv ARGS maps --json --format raw
    --regs-json ${HVS_CONV}.raw.json ${HVS_CONV}.raw)
endif()
