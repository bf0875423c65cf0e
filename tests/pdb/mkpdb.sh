#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the PDB fixtures of the PDB reader tests from tests/data/pdb/*.c with
# Debian's clang (CodeView debug info for the MSVC targets) and lld-link.
#   mkpdb.sh SRCDIR OUTDIR
# Writes OUTDIR/{types-x64,types-x86,flat-x64,cxx-x64}.pdb (and their DLLs).  Exits
# 77 (ctest SKIP) with a message when clang or lld-link is missing.
set -eu
src=$1
out=$2
CLANG=${CLANG:-clang}
LLD=${LLD_LINK:-lld-link}
for t in "$CLANG" "$LLD"; do
	command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t not found"; exit 77; }
done
mkdir -p "$out"
# A fixed object directory: module names in the PDB stay the same per run.
tmp=$out/obj
rm -rf "$tmp"
mkdir -p "$tmp"

# build TARGET NAME SOURCES...: objects with -gcodeview, then one DLL + PDB.
build() {
	target=$1; name=$2; shift 2
	objs=""
	for c in "$@"; do
		o="$tmp/$name-$(basename "$c" | sed 's/\.[a-z]*$//').obj"
		case $c in
		*.cpp) lang="-x c++ -std=c++17 -fno-rtti -fno-exceptions" ;;
		*) lang="" ;;
		esac
		# shellcheck disable=SC2086
		"$CLANG" --target="$target" $lang -gcodeview -g -O0 \
			-fno-stack-protector -ffreestanding -c "$src/$c" -o "$o"
		objs="$objs $o"
	done
	# /NOENTRY: nothing runs; /NODEFAULTLIB: no CRT on this machine.
	# shellcheck disable=SC2086
	"$LLD" /nologo /DLL /NOENTRY /NODEFAULTLIB /DEBUG:FULL \
		/PDB:"$tmp/$name.pdb" /OUT:"$tmp/$name.dll" $objs >/dev/null
	mv -f "$tmp/$name.pdb" "$out/$name.pdb"
	mv -f "$tmp/$name.dll" "$out/$name.dll"
}

build x86_64-pc-windows-msvc types-x64 types.c module2.c
build i686-pc-windows-msvc types-x86 types.c module2.c
build x86_64-pc-windows-msvc flat-x64 flat.c
build x86_64-pc-windows-msvc cxx-x64 cxx.cpp
# The same PDB with 512-byte blocks (llvm-pdbutil reads it too), and as a
# "big MSF" whose directory needs several block-map blocks (40000 extra
# empty streams; llvm-pdbutil reads only one block-map block, so
# diff_llvm.py compares it with the original through our reader), and
# with 8 KiB blocks (llvm-pdbutil reads up to 4 KiB), and with its
# structures rewritten as the newer LF_STRUCTURE2 records, and with OMAP
# (original section headers 1 MiB higher, mapped back).
PY=${PYTHON3:-python3}
if command -v "$PY" >/dev/null 2>&1; then
	"$PY" "$(dirname "$0")/repack.py" "$out/types-x64.pdb" "$out/types-x64-b512.pdb" 512
	"$PY" "$(dirname "$0")/repack.py" "$out/types-x64.pdb" "$out/types-x64-bigdir.msf" 512 40000
	"$PY" "$(dirname "$0")/repack.py" "$out/types-x64.pdb" "$out/types-x64-b8192.msf" 8192
	"$PY" "$(dirname "$0")/repack.py" "$out/types-x64.pdb" "$out/types-x64-struct2.msf" 4096 --struct2
	"$PY" "$(dirname "$0")/repack.py" "$out/types-x64.pdb" "$out/types-x64-omap.msf" 4096 --omap
fi
echo "built $out/types-x64.pdb $out/types-x86.pdb $out/flat-x64.pdb (+ repacked)"
