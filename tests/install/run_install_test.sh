#!/usr/bin/env bash
# Install the build into a temporary prefix, then build and run consumers
# with CMake's find_package and with pkg-config.
#   run_install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR C_COMPILER [TOOLCHAIN EMULATOR]
# With TOOLCHAIN and EMULATOR (the Windows cross build): the consumers are
# cross-built with that toolchain file against the Windows layout
# (bin/*.dll, lib/*.dll.a, lib/*.a) and run by EMULATOR (wine) with bin/ on
# its DLL search path, as a Windows user would put it on PATH.
set -euo pipefail
build=$1; src=$2; work=$3; cc=$4; toolchain=${5:-}; emu=${6:-}
rm -rf "$work"; mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
prefix=$work/prefix
if [ -n "$toolchain" ]; then
  exe=.exe
  export WINEPATH="$prefix/bin"
  run() { "$emu" "$@"; }
  # A cross toolchain searches packages only below its sysroot: name the
  # package's folder.
  set -- -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -Dhvsavedstate_DIR="$prefix/lib/cmake/hvsavedstate"
  for f in bin/hvsavedstate.dll bin/vmsavedstatedumpprovider.dll bin/hvs.exe \
           lib/libhvsavedstate.dll.a lib/libvmsavedstatedumpprovider.dll.a \
           lib/vmsavedstatedumpprovider.lib include/hvs/hvs.h include/vmsavedstatedump.h; do
    [ -f "$prefix/$f" ] || { echo "install layout: $f missing" >&2; exit 1; }
  done
else
  exe=
  export LD_LIBRARY_PATH="$prefix/lib"
  run() { "$@"; }
  set -- -DCMAKE_C_COMPILER="$cc"
fi
cmake -S "$src/tests/install" -B "$work/cmake-build" "$@" \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
run "$work/cmake-build/consumer_shared$exe"
run "$work/cmake-build/consumer_static$exe"
run "$work/cmake-build/consumer_sdk$exe"
if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"
  "$cc" -o "$work/pc_consumer$exe" "$src/tests/install/consumer.c" \
    $(pkg-config --define-prefix --cflags --libs hvsavedstate)
  run "$work/pc_consumer$exe"
  "$cc" -o "$work/pc_consumer_sdk$exe" "$src/tests/install/consumer_sdk.c" \
    $(pkg-config --define-prefix --cflags --libs vmsavedstatedumpprovider)
  run "$work/pc_consumer_sdk$exe"
fi
echo "install test passed"
