#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The export table of the Windows vmsavedstatedumpprovider.dll (docs/sdk.md,
# "Using the DLL on Windows in place of Microsoft's"):
#   check_pe_exports.sh OBJDUMP NM DLL DEF HEADER API_MD [IMPLIB...]
# checks that
#  - the DLL's export directory names vmsavedstatedumpprovider.dll and
#    exports exactly the names of the .def file, undecorated;
#  - those are the VMSD_API functions of the header less the ones it
#    declares only off Windows or for the static library (LocalFree,
#    VmSavedStateDumpFreeString, VmSavedStateDumpSetSearchPath);
#  - they are exactly the 43 functions of Microsoft's current API in api.md
#    (../shared/spec/api.md sections 2.1-2.7 without 2.2, the 18362-only
#    verbose handlers); skipped with a note when api.md is absent;
#  - the DLL imports no MinGW runtime DLL and not hvsavedstate.dll;
#  - the import libraries (IMPLIB: the .dll.a and/or the .lib) define
#    __imp_<name> for every export.
set -euo pipefail
objdump=$1; nm=$2; dll=$3; def=$4; header=$5; apimd=$6; shift 6
status=0
fail() { echo "FAIL: $*"; status=1; }
# Compare two sorted lists; print what differs.
same() { # label-a list-a label-b list-b
  local extra missing
  extra=$(comm -23 <(echo "$2") <(echo "$4"))
  missing=$(comm -13 <(echo "$2") <(echo "$4"))
  if [ -n "$extra$missing" ]; then
    fail "$1 and $3 differ"
    [ -z "$extra" ] || { echo "  only in $1:"; echo "$extra" | sed 's/^/    /'; }
    [ -z "$missing" ] || { echo "  only in $3:"; echo "$missing" | sed 's/^/    /'; }
  fi
}

dump=$("$objdump" -p "$dll")
# "[Ordinal/Name Pointer] Table" rows: "[   0] Name".
exported=$(echo "$dump" | awk '/\[Ordinal\/Name Pointer\] Table/ {t=1; next}
  t && /^[ \t]*\[ *[0-9]+\] / {print $NF; next} t && NF == 0 {t=0}' | sort)
[ -n "$exported" ] || fail "no export table in $dll"
echo "$(echo "$exported" | wc -l) names exported by $(basename "$dll")"
# Export directory name (the name a program's import table refers to).
grep -qE '^Name[[:space:]].*[[:space:]]vmsavedstatedumpprovider\.dll$' <<< "$dump" ||
  fail "export directory does not name vmsavedstatedumpprovider.dll"
# Undecorated: no @N suffixes, no leading underscore or '?'.
bad=$(echo "$exported" | grep -E '@|^_|^\?' || true)
[ -z "$bad" ] || fail "decorated names: $bad"

defnames=$(awk '/^EXPORTS/ {e=1; next} e {sub(/;.*/, ""); if (NF) print $1}' "$def" | sort)
same "DLL exports" "$exported" "$(basename "$def")" "$defnames"

declared=$(perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g; s{^[ \t]*#[^\n]*(\\\n[^\n]*)*}{}gm' "$header" |
  tr '\n' ' ' | grep -oE 'VMSD_API[^;{]*\(' |
  sed -E 's/\($//; s/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)$/\1/' |
  grep -vxE 'LocalFree|VmSavedStateDump(FreeString|SetSearchPath)' | sort -u)
same "DLL exports" "$exported" "VMSD_API functions of $(basename "$header")" "$declared"

if [ -n "$apimd" ] && [ -f "$apimd" ]; then
  # Function names of api.md 2.1-2.7 (signatures in code blocks, "**Name**"
  # headings, and the rows of the symbol table in 2.6), without 2.2.
  sdk=$(perl -0ne '
    my ($s) = /(## 2\. Functions.*?)### 2\.8/s or die "no section 2";
    $s =~ s/### 2\.2.*?(?=### 2\.3)//s;
    my %n;
    $n{$1} = 1 while $s =~ /\b(?:HRESULT|HANDLE|VOID)\s+(?:WINAPI\s+)?(?!WINAPI\b)([A-Z][A-Za-z]+)\s*\(/g;
    $n{$1} = 1 while $s =~ /^\| ([A-Z][A-Za-z]+) \| `(?:HRESULT|HANDLE)/mg;
    $n{$1} = 1 while $s =~ /^\*\*([A-Z][A-Za-z]+)\*\*/mg;
    print "$_\n" for sort keys %n;' "$apimd")
  count=$(echo "$sdk" | wc -l)
  [ "$count" -eq 43 ] || fail "api.md parse gave $count names, not the 43 of the current API"
  same "DLL exports" "$exported" "api.md (current API)" "$sdk"
else
  echo "note: api.md not found (${apimd:-unset}): comparison with Microsoft's list skipped"
fi

# Imported DLLs: system ones only (no libgcc_s/libwinpthread, native
# library linked in statically).
imports=$(echo "$dump" | awk '/DLL Name:/ {print $3}')
echo "imports: $(echo $imports)"
bad=$(echo "$imports" | grep -iE '^(libgcc|libwinpthread|libstdc|hvsavedstate)' || true)
[ -z "$bad" ] || fail "imports non-system DLLs: $bad"

for lib in "$@"; do
  if [ ! -f "$lib" ]; then fail "import library $lib missing"; continue; fi
  imps=$("$nm" "$lib" 2>/dev/null | awk '$NF ~ /^__imp_/ {sub(/^__imp_/, "", $NF); print $NF}' | sort -u)
  same "DLL exports" "$exported" "__imp_ symbols of $(basename "$lib")" "$imps"
done
[ $status -eq 0 ] && echo "ok"
exit $status
