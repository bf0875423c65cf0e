#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a Windows program of the cross build under wine64: ctest's
# CMAKE_CROSSCOMPILING_EMULATOR (cmake/toolchain-mingw-w64-x86_64.cmake).
#
# Wine turns Windows file names into Unix ones with the charset of the Unix
# locale: under LANG=C (a fresh CI machine) a name such as "ünïcødé-样本.vmrs"
# cannot be represented and every file call fails with ERROR_INVALID_NAME.
# The programs themselves are UTF-8 and UTF-16 clean (docs/windows.md), so a
# locale that is not UTF-8 is replaced by C.UTF-8 (built into glibc 2.35+).
# Wine's own debug messages are off unless WINEDEBUG says otherwise: they
# would land in the stderr that tests compare.
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
  *[Uu][Tt][Ff]-8*|*[Uu][Tt][Ff]8*) ;;
  *) LC_ALL=C.UTF-8; export LC_ALL ;;
esac
: "${WINEDEBUG:=-all}"
export WINEDEBUG
for w in /usr/lib/wine/wine64 /usr/lib/wine/wine; do
  [ -x "$w" ] && exec "$w" "$@"
done
if command -v wine64 >/dev/null 2>&1; then exec wine64 "$@"; fi
exec wine "$@"
