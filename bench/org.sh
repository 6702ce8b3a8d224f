#!/usr/bin/env bash
# Benchmark: `akhound org --repos-file` over 50 generated repositories served by `git daemon` on
# loopback, with --jobs 2, against
#   A  the sum of single-repository scans: `akhound scan --git` of each (local) repository
#   B  the sum of `git clone --mirror` + `akhound scan --git` of each, one after the other
# and the incremental re-run (nothing changed: no blob scanned) with the same cache.
# Medians of RUNS runs (each org run starts from an empty cache).
# Then a large organization: LARGE (332) repositories, one of them a curl-sized repository
# (CURL_MIRROR, a bare mirror of curl's real history, default /work/.mirror/curl+curl/repo; the
# part is skipped without it), the rest small; it prints the time of a nothing-changed re-run
# (target: under 3 s). A re-run lists each repository's refs once (the fetch's ref advertisement)
# and walks nothing when the tips did not move. Then the same organization listed by a
# GitHub-shaped forge (tests/org/fake_forge.py, with pushed_at; git over smart HTTP,
# tests/org/git_http.py): the nothing-changed re-run with --change-detect refs and push-time
# side by side.
# Usage: bench/org.sh [AKHOUND]   env: RUNS=3 REPOS=50 COMMITS=300 FILES=150 LARGE=332 JOBS=8
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKHOUND=${1:-${AKHOUND:-$root/build/akhound}} RUNS=${RUNS:-3} REPOS=${REPOS:-50}
export COMMITS=${COMMITS:-300} FILES=${FILES:-150}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-org-XXXXXX")
pid= hpid= fpid=
trap 'for p in $pid $hpid $fpid; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
srv=$tmp/srv; mkdir -p "$srv"
# repository I: COMMITS commits of 1-3 edited files over FILES files (fast-import, seeded by I)
make_repo() {
  git init -q --bare "$2"
  python3 - "$1" "$COMMITS" "$FILES" <<'PY' | git -C "$2" fast-import --quiet
import random, sys
seed, commits, nfiles = map(int, sys.argv[1:])
rnd = random.Random(seed)
words = "buffer count index value result error length offset size table entry node state".split()
def line():
    return "    %s_%s = %s(%s, %d);" % (rnd.choice(words), rnd.choice(words), rnd.choice(words),
                                      rnd.choice(words), rnd.randint(0, 9999))
files = {"src/m%d/f%d.c" % (i % 9, i): [line() for _ in range(rnd.randint(30, 200))]
         for i in range(nfiles)}
names = sorted(files)
out = sys.stdout.buffer
def blob(p):
    data = ("\n".join(files[p]) + "\n").encode()
    out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (p.encode(), len(data), data))
for n in range(commits):
    msg = b"change %d\n" % n
    out.write(b"commit refs/heads/main\nauthor D <d@example.org> %d +0000\n" % (1500000000 + n))
    out.write(b"committer D <d@example.org> %d +0000\ndata %d\n%s\n" % (1500000000 + n, len(msg), msg))
    for p in (names if n == 0 else [rnd.choice(names) for _ in range(rnd.randint(1, 3))]):
        if n: files[p].insert(rnd.randrange(len(files[p]) + 1), line())
        blob(p)
PY
  git -C "$2" repack -adq
}
for i in $(seq 1 "$REPOS"); do make_repo "$i" "$srv/r$i.git"; done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git daemon --base-path="$srv" --export-all --reuseaddr --listen=127.0.0.1 --port="$port" "$srv" \
  2>/dev/null & pid=$!
for _ in $(seq 1 100); do git ls-remote "git://127.0.0.1:$port/r1.git" >/dev/null 2>&1 && break; sleep 0.1; done
for i in $(seq 1 "$REPOS"); do echo "git://127.0.0.1:$port/r$i.git"; done > "$tmp/repos"
blobs=0; for i in $(seq 1 "$REPOS"); do
  blobs=$((blobs + $(git -C "$srv/r$i.git" cat-file --batch-all-objects --batch-check='%(objecttype)' | grep -c blob)))
done
echo "$REPOS repositories, $blobs blobs in all ($COMMITS commits, $FILES files each), $(nproc) cores"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.3f\n", b-a}'; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

sum_scans() {
  local s; s=$(now)
  for i in $(seq 1 "$REPOS"); do "$AKHOUND" scan --git -q "$srv/r$i.git" >/dev/null 2>&1 || true; done
  elapsed "$s"
}
sum_clone_scans() {
  local s; s=$(now); rm -rf "$tmp/m"; mkdir -p "$tmp/m"
  for i in $(seq 1 "$REPOS"); do
    git clone -q --mirror "git://127.0.0.1:$port/r$i.git" "$tmp/m/r$i.git"
    "$AKHOUND" scan --git -q "$tmp/m/r$i.git" >/dev/null 2>&1 || true
  done
  elapsed "$s"
}
org_cold() {
  rm -rf "$tmp/cache"; local s; s=$(now)
  "$AKHOUND" org --repos-file "$tmp/repos" --cache "$tmp/cache" --jobs 2 -q --format jsonl >/dev/null 2>&1 || true
  elapsed "$s"
}
org_warm() {
  local s; s=$(now)
  "$AKHOUND" org --repos-file "$tmp/repos" --cache "$tmp/cache" --jobs 2 -q --format jsonl >/dev/null 2>&1 || true
  elapsed "$s"
}

sum_scans >/dev/null # warm the page cache
a=$(for _ in $(seq "$RUNS"); do sum_scans; done | median)
b=$(for _ in $(seq "$RUNS"); do sum_clone_scans; done | median)
o=$(for _ in $(seq "$RUNS"); do org_cold; done | median)
w=$(for _ in $(seq "$RUNS"); do org_warm; done | median)
"$AKHOUND" org --repos-file "$tmp/repos" --cache "$tmp/cache" --jobs 2 --format jsonl 2>&1 >/dev/null | grep repositories
echo "sum of akhound scan --git (local):         ${a} s"
echo "sum of git clone --mirror + scan --git:    ${b} s"
echo "akhound org --jobs 2 (cold cache):         ${o} s"
echo "akhound org --jobs 2 (incremental re-run): ${w} s"
awk -v a="$a" -v b="$b" -v o="$o" -v w="$w" 'BEGIN{
  printf "ratio org / sum of scans:          %.2fx\n", o/a
  printf "ratio org / sum of clone + scans:  %.2fx\n", o/b
  printf "ratio re-run / cold org run:       %.3fx\n", w/o }'

# ---------- a large organization, curl included: the nothing-changed re-run ----------
CURL_MIRROR=${CURL_MIRROR:-/work/.mirror/curl+curl/repo} LARGE=${LARGE:-332} JOBS=${JOBS:-8}
if [ ! -d "$CURL_MIRROR/objects" ]; then
  echo "large organization: skipped (no curl mirror at $CURL_MIRROR)"; exit 0
fi
big=$tmp/big; mkdir -p "$big"
# a copy of the mirror's refs over its objects (alternates): a partial clone's mirror lacks a few
# blobs, and the refs that reach them are left out so git daemon can serve the rest
mkdir -p "$big/curl.git/objects/info" "$big/curl.git/refs"
echo "$CURL_MIRROR/objects" > "$big/curl.git/objects/info/alternates"
cp "$CURL_MIRROR/HEAD" "$big/curl.git/"; printf '[core]\n\tbare = true\n' > "$big/curl.git/config"
git --git-dir="$CURL_MIRROR" for-each-ref --format='%(objectname) %(refname)' | sort -k2 > "$tmp/curl.refs"
git --git-dir="$CURL_MIRROR" fsck --connectivity-only > "$tmp/fsck" 2>&1 || true
bad=$(awk '/^missing blob/{print $3}' "$tmp/fsck" |
  while read -r b; do git --git-dir="$CURL_MIRROR" log --all --format=%H --find-object="$b"; done |
  while read -r c; do git --git-dir="$CURL_MIRROR" for-each-ref --contains "$c" --format='%(refname)'; done | sort -u)
awk 'NR==FNR{drop[$1]=1; next} !($2 in drop)' <(printf '%s\n' $bad) "$tmp/curl.refs" > "$big/curl.git/packed-refs"
COMMITS=20 FILES=30
for i in $(seq 2 "$LARGE"); do make_repo "$((1000 + i))" "$big/s$i.git"; done
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
git daemon --base-path="$big" --export-all --reuseaddr --listen=127.0.0.1 --port="$port" "$big" \
  2>/dev/null & pid=$!
for _ in $(seq 1 100); do git ls-remote "git://127.0.0.1:$port/s2.git" >/dev/null 2>&1 && break; sleep 0.1; done
{ echo "git://127.0.0.1:$port/curl.git"; for i in $(seq 2 "$LARGE"); do echo "git://127.0.0.1:$port/s$i.git"; done; } > "$tmp/big.repos"
refs=$(git --git-dir="$big/curl.git" show-ref | wc -l)
big_org() {
  local s; s=$(now)
  "$AKHOUND" org --repos-file "$tmp/big.repos" --cache "$tmp/bigcache" --jobs "$JOBS" -q \
    --format jsonl -o "$tmp/big.jsonl" >/dev/null 2>&1 || true
  elapsed "$s"
}
ls_remote() { # the floor: one ref listing per repository and nothing else, JOBS at a time
  local s; s=$(now); xargs -P "$JOBS" -n 1 git ls-remote < "$tmp/big.repos" >/dev/null 2>&1 || true; elapsed "$s"
}
cold=$(big_org)
re=$(for _ in $(seq "$RUNS"); do big_org; done | median)
floor=$(for _ in $(seq "$RUNS"); do ls_remote; done | median)
/usr/bin/time -o "$tmp/cpu" -f '%U %S' "$AKHOUND" org --repos-file "$tmp/big.repos" \
  --cache "$tmp/bigcache" --jobs "$JOBS" -q --format jsonl -o "$tmp/big.jsonl" >/dev/null 2>&1 || true
cpu=$(awk '{printf "%.2f", $1 + $2}' "$tmp/cpu")
echo "large organization: $LARGE repositories (curl: $refs refs, $(git --git-dir="$big/curl.git" rev-list --all --count) commits), --jobs $JOBS"
echo "akhound org, cold cache:                    ${cold} s"
echo "akhound org, nothing-changed re-run:        ${re} s (akhound's own CPU: ${cpu} s)"
echo "floor: git ls-remote of every repository:   ${floor} s (the same listings, nothing else)"
awk -v r="$re" 'BEGIN{printf "nothing-changed re-run under 3 s:           %s\n", r < 3 ? "met" : "MISSED"}'

# ---------- the same organization from a forge listing: refs vs push-time ----------
wait_port() { for _ in $(seq 1 100); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done; echo 0; }
python3 "$root/tests/org/git_http.py" "$big" "$tmp/http.port" 2>/dev/null & hpid=$!
hport=$(wait_port "$tmp/http.port")
python3 - "$tmp/forge.json" "$hport" "$LARGE" <<'PY'
import json, sys
f, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = ["curl"] + ["s%d" % i for i in range(2, n + 1)]
json.dump({"token": "bench", "page_size": 100,
           "github": {"org": "acme", "repos": [
               {"name": m, "clone_url": "http://127.0.0.1:%s/%s.git" % (port, m),
                "pushed_at": "2026-01-01T00:00:00Z"} for m in names]}}, open(f, "w"))
PY
python3 "$root/tests/org/fake_forge.py" "$tmp/forge.json" "$tmp/forge.port" "$tmp/forge.log" & fpid=$!
fport=$(wait_port "$tmp/forge.port")
forge_org() {
  local s; s=$(now)
  GITHUB_TOKEN=bench "$AKHOUND" org --github acme --api-url "http://127.0.0.1:$fport/api/v3" \
    --cache "$tmp/forgecache" --jobs "$JOBS" -q --format jsonl -o "$tmp/forge.jsonl" \
    --change-detect "$1" >/dev/null 2>&1 || true
  elapsed "$s"
}
# the forge run's cache starts as the first one's (the same mirrors, states and inventories under
# the forge's names: host:port/acme/NAME), so its first run only lists refs and stores push times
mkdir -p "$tmp/forgecache"
for f in "$tmp/bigcache"/127.0.0.1_3A"${port}"_2F*; do
  b=${f##*/}; cp -al "$f" "$tmp/forgecache/127.0.0.1_3A${fport}_2Facme_2F${b#127.0.0.1_3A${port}_2F}"
done
fcold=$(forge_org push-time) # stores every repository's push time
nf=$(wc -l < "$tmp/forge.jsonl")
fre=$(for _ in $(seq "$RUNS"); do forge_org refs; done | median)
fpush=$(for _ in $(seq "$RUNS"); do forge_org push-time; done | median)
echo "the same organization listed by a GitHub-shaped forge (pushed_at), git over smart HTTP:"
echo "  first run (warm mirrors, stores push times): ${fcold} s ($nf findings)"
echo "  nothing-changed re-run, --change-detect:  refs ${fre} s | push-time ${fpush} s"
awk -v r="$fpush" 'BEGIN{printf "  push-time re-run under 3 s:               %s\n", r < 3 ? "met" : "MISSED"}'
