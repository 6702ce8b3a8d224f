#!/usr/bin/env bash
# Runs every benchmark in bench/ (each bench/*.sh except this script and the make-*.sh helpers),
# one after the other; each prints its own measurements and ratios. A benchmark that exits 77
# skipped (a missing tool, say) and does not fail the run; any other non-zero exit does.
# Usage: bench/run-all.sh [AKHOUND]      (what `make bench` runs)
#   env: BENCH_ONLY="scan validate" runs only those; the benchmarks' own variables pass through.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export AKHOUND=${1:-${AKHOUND:-$root/build/akhound}}

passed=() skipped=() failed=()
for b in "$here"/*.sh; do
  name=$(basename "$b" .sh)
  case $name in run-all | make-*) continue ;; esac
  if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $name "* ]]; then continue; fi
  echo "=== bench/$name.sh"
  start=$(date +%s)
  set +e
  bash "$b" "$AKHOUND"
  rc=$?
  set -e
  took="$(( $(date +%s) - start )) s"
  case $rc in
    0) passed+=("$name ($took)") ;;
    77) skipped+=("$name") ; echo "=== bench/$name.sh skipped" ;;
    *) failed+=("$name (exit $rc)") ; echo "=== bench/$name.sh FAILED (exit $rc)" ;;
  esac
  echo
done

echo "bench: passed: ${passed[*]:-none}; skipped: ${skipped[*]:-none}; failed: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
