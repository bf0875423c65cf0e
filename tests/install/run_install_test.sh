#!/usr/bin/env bash
# Install the build into a temporary prefix, then build and run consumers
# with CMake's find_package and with pkg-config.
#   run_install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR C_COMPILER
set -euo pipefail
build=$1; src=$2; work=$3; cc=$4
rm -rf "$work"; mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/install" -B "$work/cmake-build" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-build/consumer_shared"
"$work/cmake-build/consumer_static"
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-build/consumer_sdk"
if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
  "$cc" -o "$work/pc_consumer" "$src/tests/install/consumer.c" \
    $(pkg-config --define-prefix --cflags --libs hvsavedstate)
  LD_LIBRARY_PATH="$work/prefix/lib" "$work/pc_consumer"
  "$cc" -o "$work/pc_consumer_sdk" "$src/tests/install/consumer_sdk.c" \
    $(pkg-config --define-prefix --cflags --libs vmsavedstatedumpprovider)
  LD_LIBRARY_PATH="$work/prefix/lib" "$work/pc_consumer_sdk"
fi
echo "install test passed"
