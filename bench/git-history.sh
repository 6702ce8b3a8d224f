#!/usr/bin/env bash
# Benchmark: `akhound scan --git` over the whole history of a large repository, against
#   A  git cat-file --batch-all-objects --batch --unordered > /dev/null  (git reading every object
#      once, single-threaded; target: akhound <= 0.5x of it)
#   B  git log -p --all --full-history | rg LTAI  (what patch-based scanners pay; ratio reported)
# Medians of RUNS runs; akhound's peak memory (max RSS) is reported from /usr/bin/time.
# Usage: bench/git-history.sh [REPO] [AKHOUND]   env: RUNS=5 COMMITS=50000 FILES=2000
#   Without REPO, one is generated with bench/make-git-repo.sh (reproducible) in a temp dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-} AKHOUND=${2:-${AKHOUND:-$root/build/akhound}} RUNS=${RUNS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-XXXXXX"); trap 'rm -rf "$tmp"' EXIT
if [ -z "$repo" ]; then repo=$tmp/repo.git; "$root/bench/make-git-repo.sh" "$repo"; fi
read -r blobs bytes < <(git -C "$repo" cat-file --batch-all-objects \
  --batch-check='%(objecttype) %(objectsize)' | awk '$1 == "blob" {n++; s += $2} END {print n, s}')
echo "repository: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $blobs blobs," \
  "$bytes bytes of blob content, $(du -sm "$repo/objects" | cut -f1) MiB on disk)"

# median wall time in seconds of RUNS runs of "$@"
median() {
  local t=()
  for _ in $(seq "$RUNS"); do
    local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t+=("$(awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}')")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
catfile() { git -C "$repo" cat-file --batch-all-objects --batch --unordered > /dev/null; }
logp() { git -C "$repo" log -p --all --full-history | rg -c LTAI > /dev/null; }
ak() { "$AKHOUND" scan --git -q "$repo"; }

ak >/dev/null 2>&1 || true # warm the page cache
a=$(median ak); c=$(median catfile); l=$(median logp)
rss=$(/usr/bin/time -f '%M' -o "$tmp/rss" "$AKHOUND" scan --git -q "$repo" >/dev/null 2>&1; tail -1 "$tmp/rss")
"$AKHOUND" scan --git "$repo" 2>&1 | tail -1
echo "akhound scan --git:            ${a} s (peak RSS $((rss / 1024)) MiB)"
echo "git cat-file --batch-all:      ${c} s"
echo "git log -p --all | rg LTAI:    ${l} s"
awk -v a="$a" -v c="$c" -v l="$l" 'BEGIN{
  printf "ratio vs cat-file: %.2fx (target <= 0.50x)\nratio vs log -p:   %.3fx\n", a/c, a/l }'
