#!/usr/bin/env bash
# Benchmark: `akhound scan --staged` on a 10-file staged change in a large work tree, against
# `git diff --cached --quiet` on the same repository (target: at most 2x). Medians of RUNS runs,
# the two commands interleaved so that machine noise hits both alike. Also the floor no --staged
# can go below: `akhound --version` (process start-up: loading the shared libraries) against
# `true`, and the same scan with the index reader off (AKHOUND_STAGED_LIBGIT2=1), for comparison.
# Usage: bench/git-staged.sh [AKHOUND]   env: RUNS=31 FILES=20000 REPO=DIR (kept; built if absent)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKHOUND=${1:-${AKHOUND:-$root/build/akhound}} RUNS=${RUNS:-31} FILES=${FILES:-20000}
AKHOUND=$(cd "$(dirname "$AKHOUND")" && pwd)/$(basename "$AKHOUND")
if [ -n "${REPO:-}" ]; then r=$REPO; else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-XXXXXX"); trap 'rm -rf "$tmp"' EXIT; r=$tmp/repo
fi
if [ ! -d "$r/.git" ]; then
  git init -q "$r"
  python3 - "$r" "$FILES" <<'PY'
import os, random, sys
r, n = sys.argv[1], int(sys.argv[2]); rnd = random.Random(1)
for i in range(n):
    d = f"{r}/src/d{i % 200}/e{i % 13}"; os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i}.c", "w") as f:
        f.write("".join(f"int v{i}_{k} = {rnd.randint(0, 1 << 30)};\n" for k in range(rnd.randint(20, 120))))
PY
  # gc --auto (20,000 objects) runs before the timings, not detached beside them
  git -C "$r" add -A; git -C "$r" -c user.name=b -c user.email=b@b -c gc.autoDetach=false commit -qm init
  for i in $(seq 0 9); do printf 'int added_%d = 1;\n' "$i" >> "$r/src/d$i/e$i/f$i.c"; done
  git -C "$r" add -A
fi
echo "repository: $(git -C "$r" ls-files | wc -l) files, $(git -C "$r" diff --cached --name-only | wc -l) staged, index $(stat -c %s "$r/.git/index") bytes"

ak() { (cd "$r" && "$AKHOUND" scan --staged -q); }
ak_libgit2() { (cd "$r" && AKHOUND_STAGED_LIBGIT2=1 "$AKHOUND" scan --staged -q); }
gd() { git -C "$r" diff --cached --quiet; }
version() { "$AKHOUND" --version; }
nothing() { true; }
us() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000)); }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

cmds=(ak gd version nothing ak_libgit2)
for c in "${cmds[@]}"; do "$c" >/dev/null 2>&1 || true; done # warm the page cache and ~/.cache
declare -A t
for _ in $(seq "$RUNS"); do for c in "${cmds[@]}"; do t[$c]+="$(us "$c") "; done; done
for c in "${cmds[@]}"; do declare "m_$c=$(tr ' ' '\n' <<<"${t[$c]}" | grep . | median)"; done
echo "akhound scan --staged:           $m_ak us"
echo "git diff --cached --quiet:       $m_gd us"
awk -v a="$m_ak" -v g="$m_gd" 'BEGIN{printf "ratio: %.2fx (target <= 2x)\n", a/g}'
echo "floor: akhound --version         $m_version us"
echo "       true                      $m_nothing us"
awk -v a="$m_ak" -v v="$m_version" -v g="$m_gd" \
  'BEGIN{printf "scan --staged minus start-up: %d us; start-up alone is %.2fx of git\n", a-v, v/g}'
echo "akhound scan --staged, libgit2 only (AKHOUND_STAGED_LIBGIT2=1): $m_ak_libgit2 us"
