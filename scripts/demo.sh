#!/usr/bin/env bash
# Build hvs and run it on the bundled sample saved state: a small 2-VP x64
# .vmrs generated from tests/data/sample-x64.spec by the project's own
# fixture generator (no binary sample is committed).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-demo hvs hvs-gen >/dev/null
sample=build-demo/sample-x64.vmrs
./build-demo/tests/hvs-gen tests/data/sample-x64.spec "$sample"
hvs=./build-demo/hvs
set -x
$hvs info "$sample"
$hvs regs "$sample" --vp 0
$hvs mem "$sample"
$hvs read "$sample" --gpa 0x1000 --len 64
$hvs check "$sample"
$hvs keys "$sample" /savedstate --depth 1
# Convert it to files other tools open: a sparse raw image (+ OUT.json with
# the registers), an ELF core (readelf/gdb/crash) and a Windows crash dump.
mkdir -p build-demo/out
$hvs convert "$sample" -o build-demo/out/sample.raw --to raw --force --json
$hvs convert "$sample" -o build-demo/out/sample.elf --to elf --force --quiet
readelf -lW build-demo/out/sample.elf | head -20
$hvs convert "$sample" -o build-demo/out/sample.dmp --to dmp --force --quiet
$hvs info build-demo/out/sample.elf
