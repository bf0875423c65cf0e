#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fuzz with libFuzzer: scripts/fuzz.sh [TARGET|all] [SECONDS]
#
# Configures a clang fuzz build (HVS_BUILD_FUZZERS=ON, HVS_BUILD_TESTS=OFF;
# the library itself is instrumented, see CMakeLists.txt), builds the
# fuzz_<target> executables and runs each target (or only TARGET, a name of
# fuzz/<target>.c) for SECONDS (default 60) seconds, one after the other.
#
# Each run works on a COPY of fuzz/corpus/<target> under /tmp, so the inputs
# libFuzzer adds do not churn the committed corpora; crash, leak, timeout and
# OOM inputs are written to an artifacts dir next to that copy and their
# paths are printed.  After fixing the bug, copy a crash input into
# fuzz/corpus/<target>/ so that the ctest replay (fuzz_replay_<target>)
# keeps it fixed.
#
# Environment: HVS_FUZZ_BUILD (build dir, default build-fuzz),
# HVS_FUZZ_JOBS (ninja -j, default 2), HVS_FUZZ_FLAGS (extra libFuzzer
# flags, e.g. "-jobs=2" or "-dict=...").
# Exit status: 0 no finding, 1 some target found a crash/leak/timeout,
# 2 usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
secs=${2:-60}
build=${HVS_FUZZ_BUILD:-build-fuzz}
jobs=${HVS_FUZZ_JOBS:-2}

usage() {
  echo "usage: scripts/fuzz.sh [TARGET|all] [SECONDS]" >&2
  echo "targets: ${all_targets[*]}" >&2
  exit 2
}

# Targets: every fuzz/<name>.c except the standalone replay driver.
all_targets=()
for f in fuzz/*.c; do
  t=$(basename "$f" .c)
  [ "$t" = standalone ] || all_targets+=("$t")
done
case $secs in ''|*[!0-9]*) usage ;; esac
if [ "$target" = all ]; then
  targets=("${all_targets[@]}")
elif [ -f "fuzz/$target.c" ] && [ "$target" != standalone ]; then
  targets=("$target")
else
  echo "fuzz.sh: no fuzz target '$target'" >&2
  usage
fi
command -v clang >/dev/null || { echo "fuzz.sh: clang is required" >&2; exit 2; }

# Debug keeps assert() on (internal invariants are part of what fuzzing
# checks); -O1 makes it fast enough.
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_C_FLAGS_DEBUG=-g -O1" -DHVS_BUILD_FUZZERS=ON -DHVS_BUILD_TESTS=OFF \
  >/dev/null || exit 2
exes=()
for t in "${targets[@]}"; do exes+=("fuzz_$t"); done
ninja -C "$build" -j "$jobs" "${exes[@]}" || exit 2

# The fuzz build's UBSan recovers by default: make every report a crash
# (with an artifact) instead of a log line that is easy to miss.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

found=0
for t in "${targets[@]}"; do
  work=$(mktemp -d "/tmp/hvs-fuzz-$t.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ -d "fuzz/corpus/$t" ]; then
    cp -R "fuzz/corpus/$t/." "$work/corpus/"
  fi
  seeds=$(find "$work/corpus" -type f | wc -l)
  echo "== $t: ${secs}s, $seeds seed inputs, work dir $work"
  rc=0
  # shellcheck disable=SC2086 # HVS_FUZZ_FLAGS is a list of flags
  "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" ${HVS_FUZZ_FLAGS:-} "$work/corpus" \
    >"$work/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n1 || true)
  now=$(find "$work/corpus" -type f | wc -l)
  echo "   exit $rc, ${execs:-?} executions, ${cov:-cov: ?}, corpus $seeds -> $now, log $work/log"
  crashes=$(find "$work/artifacts" -type f | sort)
  if [ -n "$crashes" ] || [ "$rc" -ne 0 ]; then
    found=1
    echo "   FINDING in $t:"
    if [ -n "$crashes" ]; then
      printf '%s\n' "$crashes" | sed 's/^/     /'
    fi
    grep -E '^(==[0-9]+==ERROR|SUMMARY)' "$work/log" | head -n 5 | sed 's/^/     /' || true
  fi
done
exit "$found"
