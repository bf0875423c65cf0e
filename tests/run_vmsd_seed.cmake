# SPDX-License-Identifier: MIT
# Run examples/vmsd_seed.c on a fixture generated from SPEC
# (tests/data/sample-x64.spec) and check its output against the values the
# spec sets: VP0 kernel mode, RIP 0xfffff80000001000, CR3 0x10000 on both
# VPs, long paging, and the two RAM ranges [0, 0xA0000) and
# [0x100000, 0x400000) as 160 and 768 pages; then an ARM64 fixture (below).
#   cmake -DGEN=hvs-gen -DSEED=example_vmsd_seed -DSPEC=... -DTMP=dir -P this
file(MAKE_DIRECTORY ${TMP})
set(vmrs ${TMP}/vmsd_seed.vmrs)
execute_process(COMMAND ${GEN} ${SPEC} ${vmrs} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hvs-gen failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${SEED} ${vmrs} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vmsd_seed failed (${rc}): ${err}")
endif()
foreach(want
    "virtual processors: 2"
    "vp 0: arch=x64 paging=long kernel=yes rip=0xfffff80000001000"
    "cr3=0x0000000000010000\nvp 1: arch=x64 paging=long kernel=no"
    "memory chunks: 2 (page size 4096)"
    "  gpa 0x000000000000 pages 160"
    "  gpa 0x000000100000 pages 768")
  string(FIND "${out}" "${want}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "output lacks: ${want}")
  endif()
endforeach()
string(REGEX MATCHALL "cr3=0x0000000000010000" cr3s "${out}")
list(LENGTH cr3s ncr3)
if(NOT ncr3 EQUAL 2)
  message(FATAL_ERROR "expected CR3 0x10000 on both VPs, found ${ncr3}")
endif()

# The ARM64 equivalents (PC, SP_EL1, TTBR1_EL1) on a one-VP ARM64 fixture
# whose spec is written here: registers of tests/gen/gen_vmrs.h (EL1h) with
# these three set, 2 MiB of RAM at 0x40000000.
set(spec ${TMP}/vmsd_seed_arm64.spec)
file(WRITE ${spec} "arch arm64\nvps 1\nstd-regs\n"
  "reg 0 0 pc 0xffff800012345678\nreg 0 0 sp_el1 0xffff800000fff000\n"
  "reg 0 0 ttbr1_el1 0x40010000\nrange 0x40000000 0x200000\nfill pattern\n")
set(vmrs ${TMP}/vmsd_seed_arm64.vmrs)
execute_process(COMMAND ${GEN} ${spec} ${vmrs} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hvs-gen (arm64) failed (${rc}): ${err}")
endif()
execute_process(COMMAND ${SEED} ${vmrs} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "vmsd_seed (arm64) failed (${rc}): ${err}")
endif()
foreach(want
    "virtual processors: 1"
    "vp 0: arch=ARMv8 paging=ARMv8 kernel=yes pc=0xffff800012345678 sp=0xffff800000fff000 ttbr1=0x0000000040010000"
    "memory chunks: 1 (page size 4096)"
    "  gpa 0x000040000000 pages 512")
  string(FIND "${out}" "${want}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "arm64 output lacks: ${want}")
  endif()
endforeach()
