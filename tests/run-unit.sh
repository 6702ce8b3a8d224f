#!/usr/bin/env bash
# Runs every unit test binary in BUILD/tests and prints one closing line "N passed, N failed".
set -u
build=${1:-build}
pass=0 fail=0 failed=()
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  if "$t" >"$t.log" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); failed+=("$(basename "$t")")
    cat "$t.log"
  fi
done
n=$(cat "$build"/tests/test_*.log 2>/dev/null | grep -c '^\[       OK \]' || true)
echo "unit: $pass binaries passed, $fail failed ($n test cases ok)${failed:+; failed: ${failed[*]}}"
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
