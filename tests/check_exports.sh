#!/usr/bin/env bash
# Compare the dynamic symbols a shared library exports with the functions its
# public headers declare with the given export macro.
#   check_exports.sh LIB.so MACRO HEADER...
set -euo pipefail
lib=$1; macro=$2; shift 2
command -v nm >/dev/null || { echo "skipped: nm not found"; exit 77; }
# Drop comments and preprocessor lines, then take "MACRO ... name(" runs.
declared=$(cat "$@" | perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g; s{^[ \t]*#[^\n]*(\\\n[^\n]*)*}{}gm' |
  tr '\n' ' ' | grep -oE "${macro}[^;{]*\(" |
  sed -E 's/\($//; s/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)$/\1/' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TW]$/ {print $3}' |
  grep -vE '^(_init|_fini)$' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
status=0
if [ -n "$missing" ]; then echo "declared but not exported:"; echo "$missing"; status=1; fi
if [ -n "$extra" ]; then echo "exported but not declared:"; echo "$extra"; status=1; fi
echo "$(echo "$declared" | wc -l) symbols declared, $(echo "$exported" | wc -l) exported"
exit $status
