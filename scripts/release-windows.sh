#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the Windows x64 release zip with Debian's mingw-w64:
#
#   ./scripts/release-windows.sh [OUTDIR]        (default OUTDIR: dist/)
#
# gives OUTDIR/hvsavedstate-<version>-win64.zip and its .sha256.  The zip
# holds one folder laid out as `cmake --install` does on Windows:
#
#   bin/      hvs.exe, hvsavedstate.dll, vmsavedstatedumpprovider.dll
#   lib/      import libraries (*.dll.a for mingw, *.lib for MSVC where
#             built) and static libraries
#   include/  hvs/*.h and the SDK-compatible vmsavedstatedump*.h
#   share/    README.md, LICENSE, docs/ (Markdown), hvs-help.txt
#
# Before packing it checks that the executables and DLLs import nothing
# but DLLs every Windows has (no libgcc/libwinpthread to ship along), and,
# when wine is installed, that `hvs.exe --version` runs.
# Needs: cmake, ninja, gcc-mingw-w64-x86-64 (scripts/setup-debian.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^project(hvsavedstate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "release-windows: no version in CMakeLists.txt" >&2; exit 1; }
name=hvsavedstate-$version-win64
build=$src/build-win-release
stage=$(mktemp -d "${TMPDIR:-/tmp}/hvs-release.XXXXXX")
trap 'rm -rf "$stage"' EXIT

cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchain-mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DHVS_BUILD_TESTS=OFF -DHVS_BUILD_BENCH=OFF \
  -DHVS_BUILD_EXAMPLES=OFF -DHVS_BUILD_PYTHON=OFF >/dev/null
ninja -C "$build" -j "$(nproc 2>/dev/null || echo 2)"
cmake --install "$build" --prefix "$stage/$name" --strip >/dev/null

# Every import must be a system DLL: the zip has to run on a bare Windows.
allowed='^(kernel32|msvcrt|advapi32|shell32|ole32|user32|ws2_32|bcrypt|ntdll|shlwapi|winhttp|api-ms-win-.*)\.dll$'
objdump=x86_64-w64-mingw32-objdump
bad=0
for f in "$stage/$name"/bin/*.exe "$stage/$name"/bin/*.dll; do
  [ -e "$f" ] || continue
  while read -r dll; do
    if ! printf '%s\n' "$dll" | tr 'A-Z' 'a-z' | grep -Eq "$allowed"; then
      echo "release-windows: $(basename "$f") imports $dll (not a system DLL)" >&2
      bad=1
    fi
  done < <("$objdump" -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p')
done
[ "$bad" = 0 ] || exit 1
for f in hvs.exe hvsavedstate.dll vmsavedstatedumpprovider.dll; do
  [ -f "$stage/$name/bin/$f" ] || { echo "release-windows: bin/$f missing" >&2; exit 1; }
done

wine=$(command -v /usr/lib/wine/wine64 wine64 wine 2>/dev/null | head -n1 || true)
if [ -n "$wine" ]; then
  WINEDEBUG=-all "$wine" "$stage/$name/bin/hvs.exe" --help \
    > "$stage/$name/hvs-help.txt"
  WINEDEBUG=-all "$wine" "$stage/$name/bin/hvs.exe" --version
else
  echo "release-windows: wine not installed; hvs.exe not run, no hvs-help.txt" >&2
fi

mkdir -p "$stage/$name/share/doc/hvsavedstate"
cp README.md LICENSE "$stage/$name/share/doc/hvsavedstate/"
cp -r docs "$stage/$name/share/doc/hvsavedstate/docs"
[ -f "$stage/$name/hvs-help.txt" ] &&
  mv "$stage/$name/hvs-help.txt" "$stage/$name/share/doc/hvsavedstate/"

rm -f "$out/$name.zip" "$out/$name.zip.sha256"
(cd "$stage" && cmake -E tar cf "$out/$name.zip.tmp" --format=zip "$name")
mv "$out/$name.zip.tmp" "$out/$name.zip"
(cd "$out" && sha256sum "$name.zip" > "$name.zip.sha256")
echo "release-windows: $out/$name.zip"
cat "$out/$name.zip.sha256"
