#!/usr/bin/env bash
# Install everything the build and the tests need on Debian 12 (non-interactive).
# Run as root, or with sudo available.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PKGS=(build-essential cmake ninja-build pkg-config clang lld llvm libunicorn-dev
      libclang-rt-14-dev xz-utils binutils gdb gdb-multiarch libkdumpfile-dev
      libcurl4-openssl-dev python3 python3-pefile python3-pip python3-wheel
      gcc-mingw-w64-x86-64 wine wine64)
# gcc-mingw-w64-x86-64, wine, wine64: the Windows cross build and its tests
# under wine (scripts/test.sh, docs/windows-tests.md).
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
