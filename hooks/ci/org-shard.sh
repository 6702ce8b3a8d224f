#!/bin/sh
# One shard of an organization scan, as run by each pod of hooks/ci/k8s-indexed-job.yaml and each
# matrix job of hooks/ci/github-org-scan.yml:
#   org-shard.sh K N DIR ORG-OPTIONS...     e.g.  org-shard.sh 3 8 /results/run-1 --github acme
# scans shard K of N into DIR/shard-K.jsonl, records DIR/shard-K.status ("STATE EXIT TIME"), then
# re-merges DIR (org-merge.sh), so the index that finishes last leaves the complete org report.
#
# Restarts: akhound writes DIR/shard-K.jsonl.part, which is renamed over shard-K.jsonl only when
# akhound finished writing it (exit 0-3); a pod killed mid-run leaves the last complete report in
# place, and its re-run (same command, same path) resumes from the durable cache and writes the
# complete inventory again.
# Exit: 0 when the shard is done (findings or not: they are in the report), else akhound's code
# (2 incomplete beyond --max-failed, 4 could not run, 128+N killed), so the orchestrator retries.
# Settings (environment): AKHOUND (binary, default akhound), AKHOUND_CACHE (mirrors and
# inventory, default ~/.cache/akhound/org), AKHOUND_JOBS (default 2), AKHOUND_MAX_FAILED (e.g.
# 2%; empty: akhound's default).
set -u
[ $# -ge 4 ] || { echo "usage: org-shard.sh K N DIR ORG-OPTIONS..." >&2; exit 2; }
k=$1 n=$2 dir=$3
shift 3
ak=${AKHOUND:-akhound}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir" || exit 2
set -- "$@" --shard "$k/$n" --cache "${AKHOUND_CACHE:-$HOME/.cache/akhound/org}" \
  --jobs "${AKHOUND_JOBS:-2}" --format jsonl --output "$dir/shard-$k.jsonl.part"
[ -n "${AKHOUND_MAX_FAILED:-}" ] && set -- "$@" --max-failed "$AKHOUND_MAX_FAILED"
"$ak" org "$@"
rc=$?
case $rc in
  0 | 1 | 3) state="done" ;;
  2) state=incomplete ;;
  *) state=failed ;;
esac
# 0-3: akhound wrote the whole report (incomplete means some repositories failed, not that the
# file is cut short); anything else may have left a partial file, which is never published.
if [ "$rc" -le 3 ] && [ -f "$dir/shard-$k.jsonl.part" ]; then
  sync "$dir/shard-$k.jsonl.part" 2>/dev/null
  mv -f "$dir/shard-$k.jsonl.part" "$dir/shard-$k.jsonl" || exit 2
fi
printf '%s %s %s\n' "$state" "$rc" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$dir/shard-$k.status.tmp" &&
  mv -f "$dir/shard-$k.status.tmp" "$dir/shard-$k.status"
AKHOUND=$ak "$here/org-merge.sh" "$dir" "$n" >/dev/null
[ "$state" = "done" ] && exit 0
exit "$rc"
