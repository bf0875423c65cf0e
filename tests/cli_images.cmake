# SPDX-License-Identifier: MIT
# hvs images on the Windows-like guest fixture (tests/data/winguest):
#   cmake -DHVS=<hvs> -DIN=<winguest.vmrs> -DLAYOUT=<layout.h> -P cli_images.cmake
# The GUIDs depend on the build directory (lld hashes the PDB), so this is
# not a golden file: it checks the lines and fields that must be there.
if(NOT EXISTS "${IN}")
  message("skipped: ${IN} not built (winguest fixture)")
  return()
endif()
function(run expect_rc)
  execute_process(COMMAND ${EMU} ${HVS} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "hvs ${ARGN}: exit ${rc}, expected ${expect_rc}\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()
function(expect text re)
  if(NOT text MATCHES "${re}")
    message(FATAL_ERROR "output does not match '${re}':\n${text}")
  endif()
endfunction()

# Text: both images, highest first, with PDB name, GUID and age.
run(0 images ${IN})
expect("${out}" "scanning 0xffffffffffffffff down to 0x0")
expect("${out}" "0xfffff8016e4a0000  0x00005000  0x5f1d2c3b 2020-07-26 07:09:47  hvsdrv.sys +hvsdrv.pdb +[0-9A-F-]+ 1\n0xfffff8016a800000  0x0000[0-9a-f]+  0x5e8e2a1b 2020-04-08 19:46:35  ntkrnlmp.exe +ntkrnlmp.pdb +[0-9A-F-]+ 1\n2 images")
# JSON, VP 1, a sub-range with a standalone address and stats.
run(0 images --json --stats --vp 1 --from 0xfffff8016a800fff --to 0xfffff8016a800000 --at 0xfffff8016e4a0000 ${IN})
expect("${out}" "\"vp\": 1")
expect("${out}" "\"base\": \"0xfffff8016e4a0000\",[^}]*\"standalone\": true,[^}]*\"pdb_name\": \"hvsdrv.pdb\"")
expect("${out}" "\"base\": \"0xfffff8016a800000\",[^}]*\"standalone\": false,[^}]*\"symbol_store_key\": \"[0-9A-F]+1\"")
expect("${out}" "\"images_count\": 2")
expect("${out}" "\"pages_read\": 1")
# Nothing in the user half of VP 1: an empty list is an answer.
run(0 images --vp 1 --from 0x7fffffffffff ${IN})
expect("${out}" "0 images")
# Usage errors.
run(2 images --from 0 --to 1 ${IN})
expect("${err}" "below --to")
run(2 images --at nonsense ${IN})
run(0 images --help)
expect("${out}" "usage: hvs images")
