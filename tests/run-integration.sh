#!/usr/bin/env bash
# Runs every tests/integration/*.sh with $AKHOUND set to the binary under test.
# A script exits 0 to pass, 77 to skip (it must say why), anything else to fail.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${AKHOUND:?set AKHOUND to the akhound binary}"
export AKHOUND AK_TESTS="$here" AK_ROOT="$(dirname "$here")"
pass=0 fail=0 skip=0 failed=()
only=${AK_ONLY:-}
for t in "$here"/integration/*.sh; do
  name=$(basename "$t" .sh)
  [ -n "$only" ] && [[ "$name" != *$only* ]] && continue
  log=$(mktemp)
  start=$(date +%s.%N)
  bash "$t" >"$log" 2>&1; rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
  case $rc in
    0) pass=$((pass + 1)); printf 'ok    %-40s %6.2fs\n' "$name" "$secs" ;;
    77) skip=$((skip + 1)); printf 'skip  %-40s %s\n' "$name" "$(tail -n 1 "$log")" ;;
    *) fail=$((fail + 1)); failed+=("$name"); printf 'FAIL  %-40s (exit %d)\n' "$name" "$rc"; sed 's/^/    /' "$log" | tail -n 40 ;;
  esac
  rm -f "$log"
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
