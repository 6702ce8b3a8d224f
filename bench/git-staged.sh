#!/usr/bin/env bash
# Benchmark: `akhound scan --staged` on a 10-file staged change in a large work tree, against
# `git diff --cached --quiet` on the same repository (target: at most 2x). Medians of RUNS runs.
# Usage: bench/git-staged.sh [AKHOUND]   env: RUNS=20 FILES=20000
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKHOUND=${1:-${AKHOUND:-$root/build/akhound}} RUNS=${RUNS:-20} FILES=${FILES:-20000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-XXXXXX"); trap 'rm -rf "$tmp"' EXIT
r=$tmp/repo; git init -q "$r"
python3 - "$r" "$FILES" <<'PY'
import os, random, sys
r, n = sys.argv[1], int(sys.argv[2]); rnd = random.Random(1)
for i in range(n):
    d = f"{r}/src/d{i % 200}/e{i % 13}"; os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i}.c", "w") as f:
        f.write("".join(f"int v{i}_{k} = {rnd.randint(0, 1 << 30)};\n" for k in range(rnd.randint(20, 120))))
PY
git -C "$r" add -A; git -C "$r" -c user.name=b -c user.email=b@b commit -qm init
for i in $(seq 0 9); do printf 'int added_%d = 1;\n' "$i" >> "$r/src/d$i/e$i/f$i.c"; done
git -C "$r" add -A
echo "repository: $(git -C "$r" ls-files | wc -l) files, 10 staged"
median() {
  local t=()
  for _ in $(seq "$RUNS"); do
    local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    t+=("$(( (e - s) / 1000 ))")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
ak() { (cd "$r" && "$AKHOUND" scan --staged -q); }
gd() { git -C "$r" diff --cached --quiet; }
ak; a=$(median ak); g=$(median gd)
echo "akhound scan --staged:     $a us"
echo "git diff --cached --quiet: $g us"
awk -v a="$a" -v g="$g" 'BEGIN{printf "ratio: %.2fx (target <= 2x)\n", a/g}'
