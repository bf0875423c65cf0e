#!/usr/bin/env bash
# Build and run every test: gcc (-O3, where its flow warnings are sharpest)
# and clang (-O2) with -Werror, then clang with
# AddressSanitizer + UndefinedBehaviorSanitizer.  Build trees go to build-*/.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
run() {  # name, cmake args...
  local dir=build-$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}
run gcc   -DCMAKE_C_COMPILER=gcc   -DCMAKE_BUILD_TYPE=Release
run clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DHVS_SANITIZE=ON
echo "all test suites passed"
