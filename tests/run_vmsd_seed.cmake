# SPDX-License-Identifier: MIT
# Run examples/vmsd_seed.c (SEED: the linked or the run-time-loading build)
# on fixtures generated here and compare its whole output with the text
# below, which every build must print byte for byte: the Linux builds and
# the Windows ones under wine (EMU), whose line ends are CR LF (the C
# runtime's text-mode stdout) and are compared as LF.
#
# x64 fixture (tests/data/sample-x64.spec): the values the spec sets (VP0
# kernel mode, RIP 0xfffff80000001000, CR3 0x10000 on both VPs, long
# paging, RAM [0, 0xA0000) and [0x100000, 0x400000) = 160 and 768 pages);
# RSP and VP1's RIP are the generator's documented defaults
# (tests/gen/gen_vmrs.c x64_reg: kernel 0xFFFFF80000800000, user
# 0x14F000 / 0x7FF600001000, plus 0x10000 / 0x100 per VP).
# ARM64 fixture (spec written below): PC, SP_EL1 and TTBR1_EL1 as set,
# 2 MiB of RAM at 0x40000000 = 512 pages.
#   cmake -DGEN=hvs-gen -DSEED=example_vmsd_seed -DSPEC=... -DTMP=dir
#         [-DEMU=wine] -P this
file(MAKE_DIRECTORY ${TMP})
get_filename_component(tag ${SEED} NAME_WE)

# Run the command ${ARGN}; its output (CR LF -> LF) in the variable OUT_VAR.
function(run_prog what out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}): ${out}${err}")
  endif()
  string(REPLACE "\r\n" "\n" out "${out}")
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Generate SPEC as NAME, run SEED on it, and again on a copy under a name
# with Latin, Cyrillic and a non-BMP character (UTF-16 surrogates): the
# path reaches the library intact (UTF-8 argv -> UTF-16 on Linux, the
# UTF-16 command line on Windows; wine converts the Unix argv with a UTF-8
# locale).  Both outputs must equal WANT.
function(check_seed spec name want)
  set(vmrs ${TMP}/${tag}_${name}.vmrs)
  run_prog("hvs-gen ${name}" ignored ${EMU} ${GEN} ${spec} ${vmrs})
  set(uni "${TMP}/${tag}_${name}_données_тест_😀.vmrs")
  file(COPY_FILE ${vmrs} ${uni})
  foreach(path ${vmrs} ${uni})
    run_prog("${tag} ${name}" out ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8 ${EMU} ${SEED} ${path})
    message("${out}")
    if(NOT out STREQUAL want)
      message(FATAL_ERROR "${tag} ${name} (${path}): output differs; expected:\n${want}")
    endif()
  endforeach()
endfunction()

check_seed(${SPEC} x64 [=[
virtual processors: 2
vp 0: arch=x64 paging=long kernel=yes rip=0xfffff80000001000 rsp=0xfffff80000800000 cr3=0x0000000000010000
vp 1: arch=x64 paging=long kernel=no rip=0x00007ff600001100 rsp=0x000000000015f000 cr3=0x0000000000010000
memory chunks: 2 (page size 4096)
  gpa 0x000000000000 pages 160
  gpa 0x000000100000 pages 768
]=])

set(spec ${TMP}/${tag}_arm64.spec)
file(WRITE ${spec} "arch arm64\nvps 1\nstd-regs\n"
  "reg 0 0 pc 0xffff800012345678\nreg 0 0 sp_el1 0xffff800000fff000\n"
  "reg 0 0 ttbr1_el1 0x40010000\nrange 0x40000000 0x200000\nfill pattern\n")
check_seed(${spec} arm64 [=[
virtual processors: 1
vp 0: arch=ARMv8 paging=ARMv8 kernel=yes pc=0xffff800012345678 sp=0xffff800000fff000 ttbr1=0x0000000040010000
memory chunks: 1 (page size 4096)
  gpa 0x000040000000 pages 512
]=])
