#!/usr/bin/env bash
# Build and run every test: gcc (-O3, where its flow warnings are sharpest)
# and clang (-O2) with -Werror, then clang with
# AddressSanitizer + UndefinedBehaviorSanitizer, then the Windows x64 cross
# build (mingw-w64) with its tests under wine64 (docs/windows-tests.md).
# Build trees go to build-*/.  Each job prints its wall time; any failed
# test fails the script.  HVS_TEST_JOBS="gcc win" runs a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
want=" ${HVS_TEST_JOBS:-gcc clang asan win} "

# The skipped tests of a finished ctest run in build dir $1, and every
# "skipped: <reason>" line they printed (also from tests that passed with
# some cases skipped), from ctest's log.
report_skips() {
  local log=$1/Testing/Temporary/LastTest.log
  [ -f "$log" ] || return 0
  echo "---- $1: skipped tests and cases (reasons)"
  awk '
    /^[0-9]+\/[0-9]+ Testing: / { t = $3; next }
    /skipped: / { sub(/^[ \t]+/, ""); if (!seen[t, $0]++) printf "  %-28s %s\n", t, $0 }
  ' "$log"
  echo "----"
}

run() {  # name, cmake args...
  local name=$1 dir=build-$1 t0=$SECONDS rc=0; shift
  case "$want" in *" $name "*) ;; *) return 0 ;; esac
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900) || rc=$?
  report_skips "$dir"
  echo "job $name: $((SECONDS - t0)) s"
  if [ $rc -ne 0 ]; then
    echo "job $name: TESTS FAILED (see above)" >&2
    exit $rc
  fi
}

# The Windows job: a wine prefix of its own inside the build dir, wine's
# debug channels off, one wineserver kept alive for the whole ctest run (a
# fresh one per process costs ~0.5 s) and stopped at the end.  The prefix
# is created (wineboot) under that server before ctest starts: wine's
# service processes then hold /dev/null, not a test's output pipe (ctest
# would wait for that pipe to close until the server exits).
win_start() {
  export WINEDEBUG=-all WINEPREFIX="$PWD/build-win/wineprefix" WINEDLLOVERRIDES="mscoree,mshtml="
  mkdir -p "$WINEPREFIX"
  WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
  trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
  "$WINESERVER" -k 2>/dev/null || true
  "$WINESERVER" -p
  /usr/lib/wine/wine64 wineboot -i </dev/null >/dev/null 2>&1 || true
}

run gcc   -DCMAKE_C_COMPILER=gcc   -DCMAKE_BUILD_TYPE=Release
run clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DHVS_SANITIZE=ON
case "$want" in *" win "*)
  win_start
  # The uwguest fixture's generator needs Unicorn (Linux): the gcc job's.
  uwgen=""
  if [ -x build-gcc/tests/hvs-uwgen ]; then uwgen=$PWD/build-gcc/tests/hvs-uwgen; fi
  run win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64-x86_64.cmake \
    -DCMAKE_BUILD_TYPE=Release -DHVS_BUILD_PYTHON=OFF -DHVS_HOST_UWGEN="$uwgen"
  # The release zip: its own Release build, the system-DLL-only import
  # check and hvs.exe run once (README "Windows").
  t0=$SECONDS
  ./scripts/release-windows.sh build-win-release/dist
  echo "job win-release: $((SECONDS - t0)) s"
  ;;
esac
echo "all test suites passed"
