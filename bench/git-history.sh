#!/usr/bin/env bash
# Benchmark: `akhound scan --git` over the whole history of large repositories, against
#   A  git cat-file --batch-all-objects --batch --unordered > /dev/null  (git reading every object
#      once, single-threaded; target: akhound <= 0.25x of it on a large real repository)
#   B  git log -p --all --full-history | rg LTAI  (what patch-based scanners pay; ratio reported)
# The repositories: the synthetic one from bench/make-git-repo.sh (reproducible, generated in a
# temp dir; SYNTHETIC=0 leaves it out) and every REPO given (a clone of a real one, e.g. curl:
# `git clone --mirror https://github.com/curl/curl`). Each run times every command once, side by
# side, so load from other processes hits them alike; medians of RUNS runs. akhound's peak memory
# (max RSS) is reported from /usr/bin/time. With BASE set to another akhound binary, it is timed
# in the same runs and its ratio printed too (before/after comparisons; BASE may list several).
# Usage: bench/git-history.sh [REPO...]   env: AKHOUND=build/akhound BASE= RUNS=3 LOGP=1
#   SYNTHETIC=1, and COMMITS=50000 FILES=2000 for the synthetic repository
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKHOUND=${AKHOUND:-$root/build/akhound} BASE=${BASE:-} RUNS=${RUNS:-3} LOGP=${LOGP:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-XXXXXX"); trap 'rm -rf "$tmp"' EXIT
repos=("$@")
if [ "${SYNTHETIC:-1}" != 0 ]; then
  "$root/bench/make-git-repo.sh" "$tmp/synthetic.git"
  repos=("$tmp/synthetic.git" "${repos[@]}")
fi

secs() { # wall seconds of "$@", output discarded
  local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  awk -v a="$s" -v b="$e" 'BEGIN{printf "%.3f", b-a}'
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
catfile() { git -C "$1" cat-file --batch-all-objects --batch --unordered; }
logp() { git -C "$1" log -p --all --full-history | rg -c LTAI; }
ak() { "$1" scan --git -q "$2"; }

summary=()
for repo in "${repos[@]}"; do
  read -r blobs bytes < <(git -C "$repo" cat-file --batch-all-objects \
    --batch-check='%(objecttype) %(objectsize)' | awk '$1 == "blob" {n++; s += $2} END {printf "%d %.0f\n", n, s}')
  echo "repository: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $blobs blobs," \
    "$bytes bytes of blob content, $(du -sm "$repo/objects" | cut -f1) MiB on disk)"
  ak "$AKHOUND" "$repo" >/dev/null 2>&1 || true # warm the page cache
  ta=() tc=() tl=()
  declare -A tb=()
  for _ in $(seq "$RUNS"); do
    ta+=("$(secs ak "$AKHOUND" "$repo")")
    tc+=("$(secs catfile "$repo")")
    for b in $BASE; do tb[$b]+="$(secs ak "$b" "$repo") "; done
    [ "$LOGP" = 0 ] || tl+=("$(secs logp "$repo")")
  done
  a=$(median "${ta[@]}") c=$(median "${tc[@]}")
  rss=$(/usr/bin/time -f '%M' -o "$tmp/rss" "$AKHOUND" scan --git -q "$repo" >/dev/null 2>&1
    tail -1 "$tmp/rss")
  { "$AKHOUND" scan --git "$repo" 2>&1 || true; } | tail -1
  echo "akhound scan --git:            ${a} s (runs: ${ta[*]}; peak RSS $((rss / 1024)) MiB)"
  echo "git cat-file --batch-all:      ${c} s (runs: ${tc[*]})"
  line=$(awk -v a="$a" -v c="$c" 'BEGIN{printf "%.2fx", a/c}')
  for b in $BASE; do
    # shellcheck disable=SC2086
    m=$(median ${tb[$b]})
    echo "BASE $b: ${m} s (runs: ${tb[$b]})"
    line="$line (BASE $b $(awk -v m="$m" -v c="$c" 'BEGIN{printf "%.2fx", m/c}'))"
  done
  if [ "$LOGP" != 0 ]; then
    l=$(median "${tl[@]}")
    echo "git log -p --all | rg LTAI:    ${l} s"
    echo "ratio vs log -p:   $(awk -v a="$a" -v l="$l" 'BEGIN{printf "%.3fx", a/l}')"
  fi
  echo "ratio vs cat-file: $line"
  summary+=("$(basename "$repo"): $line")
done
echo "ratios vs git cat-file (median of $RUNS; target <= 0.25x on a large real repository):"
printf '  %s\n' "${summary[@]}"
