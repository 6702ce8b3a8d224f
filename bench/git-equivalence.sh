#!/usr/bin/env bash
# Findings equivalence of two akhound binaries on history scans: the same (blob, path, commit) for
# every finding, and the same rule, line and key ID. Three sets of repositories:
#   suite      the git integration tests (tests/integration/6*), run with a wrapper as $AKHOUND
#              that runs every `scan --git` / `scan --range` with both binaries and compares
#              their stdout (timings blanked) and exit codes
#   synthetic  bench/make-git-repo.sh with keys planted (PLANT)
#   real       a copy of REAL (a large real repository, e.g. a clone of curl) with random keys
#              planted in new commits: new files, old files edited, a renamed file, on the main
#              line and on a branch forked from an old commit; some packed, some loose (the
#              --exclude run leaves out the directory of the planted main-line file)
# Each repository is scanned with --git, --git --all-objects and --git --exclude.
# Usage: bench/git-equivalence.sh BEFORE AFTER [REAL]   env: SETS="suite synthetic real"
#   COMMITS/FILES as for make-git-repo.sh (default 20000/2000), PLANT=41
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
before=$(realpath "${1:?usage: git-equivalence.sh BEFORE AFTER [REAL]}")
after=$(realpath "${2:?usage: git-equivalence.sh BEFORE AFTER [REAL]}")
real=${3:-} SETS=${SETS:-suite synthetic real}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-equiv-XXXXXX"); trap 'rm -rf "$tmp"' EXIT
failed=0

# (blob, path, commit, rule, line, key ID) of every finding of a jsonl report, sorted
triples() {
  python3 -c '
import json, sys
rows = []
for l in sys.stdin:
    f = json.loads(l)
    c = (f.get("commit") or {}).get("id", "-")
    rows.append("%s %s %s %s %s %s" % (f.get("blob") or "-", f["path"], c, f["rule"],
                f["line"], f.get("access_key_id") or "-"))
print("\n".join(sorted(rows)))'
}

compare_repo() { # NAME REPO [ARGS...]
  local name=$1 repo=$2; shift 2
  local rb ra
  set +e
  "$before" scan --git -q --format jsonl "$@" "$repo" 2>"$tmp/err.b" | triples >"$tmp/b"; rb=${PIPESTATUS[0]}
  "$after" scan --git -q --format jsonl "$@" "$repo" 2>"$tmp/err.a" | triples >"$tmp/a"; ra=${PIPESTATUS[0]}
  set -e
  if [ "$rb" = "$ra" ] && cmp -s "$tmp/b" "$tmp/a"; then
    echo "same       $name $*: $(wc -l <"$tmp/a") findings, exit $ra"
  else
    failed=1
    echo "DIFFERENT  $name $*: exit $rb -> $ra"
    diff "$tmp/b" "$tmp/a" | head -20 || true
  fi
}

compare_all() { # NAME REPO EXCLUDE-GLOB
  compare_repo "$1" "$2"
  compare_repo "$1" "$2" --all-objects
  compare_repo "$1" "$2" --exclude "$3"
}

suite() {
  local log=$tmp/suite.log wrap=$tmp/akhound
  : >"$log"
  cat >"$wrap" <<EOF
#!/usr/bin/env bash
# runs history scans with both binaries; everything else with AFTER only
a=" \$* "
if [[ "\$a" != *" scan "* ]] || [[ "\$a" != *" --git "* && "\$a" != *" --range "* && "\$a" != *" --since-commit "* ]]; then
  exec "$after" "\$@"
fi
d=\$(mktemp -d "$tmp/run-XXXXXX")
"$before" "\$@" >"\$d/b" 2>"\$d/eb"; rb=\$?
"$after" "\$@" >"\$d/a" 2>"\$d/ea"; ra=\$?
sed -i -E 's/ in [0-9.]+ s/ in T s/' "\$d/a" "\$d/b"
if [ "\$rb" = "\$ra" ] && cmp -s "\$d/b" "\$d/a"; then echo "same \$*" >>"$log"
else echo "DIFFERENT (exit \$rb -> \$ra) \$*" >>"$log"; diff "\$d/b" "\$d/a" | head -10 >>"$log"; fi
cat "\$d/a"; cat "\$d/ea" >&2; rm -rf "\$d"; exit \$ra
EOF
  chmod +x "$wrap"
  AKHOUND=$wrap AK_ONLY=-git- "$root/tests/run-integration.sh" | tail -1
  echo "suite: $(grep -c '^same' "$log" || true) history scans compared," \
    "$(grep -c '^DIFFERENT' "$log" || true) different"
  if grep -q '^DIFFERENT' "$log"; then failed=1; grep -A10 '^DIFFERENT' "$log" | head -40 || true; fi
}

synthetic() {
  COMMITS=${COMMITS:-20000} FILES=${FILES:-2000} PLANT=${PLANT:-41} \
    "$root/bench/make-git-repo.sh" "$tmp/synthetic.git"
  compare_all synthetic "$tmp/synthetic.git" 'src/config*'
}

rand_alnum() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"; }
key_pair() { printf 'access_key_id = "LT%s%s"\naccess_key_secret = "%s"\n' AI "$(rand_alnum 20)" "$(rand_alnum 30)"; }

# Keys in new commits of a copy of $real: a new file, an old file edited, a renamed file, a key
# added then removed; on a branch from an old commit (packed) and on the main line (loose).
plant() {
  local copy=$tmp/real.git w=$tmp/real-work
  git clone -q --mirror "$real" "$copy"
  local head old n
  head=$(git -C "$copy" rev-parse HEAD)
  n=$(git -C "$copy" rev-list --first-parent --count HEAD) # the branch forks 40% of the way back
  old=$(git -C "$copy" rev-list --first-parent HEAD | awk -v n=$((n * 2 / 5)) 'NR == n')
  export GIT_AUTHOR_NAME=Planter GIT_AUTHOR_EMAIL=p@example.org GIT_COMMITTER_NAME=Planter \
    GIT_COMMITTER_EMAIL=p@example.org
  git -C "$copy" worktree add -q --detach "$w" "$old"
  local f1 f2
  f1=$(git -C "$w" ls-files | grep -E '\.c$' | sed -n 1p)
  f2=$(git -C "$w" ls-files | grep -E '\.h$' | tail -1)
  key_pair >"$w/planted-new.txt"; git -C "$w" add -A; git -C "$w" commit -qm "planted: new file"
  key_pair >>"$w/$f1"; git -C "$w" commit -qam "planted: old file"
  git -C "$w" mv "$f1" "$f1.renamed"; git -C "$w" commit -qm "planted: rename"
  key_pair >>"$w/$f2"; git -C "$w" commit -qam "planted: add then remove"
  git -C "$w" checkout -q "$old" -- "$f2"; git -C "$w" commit -qam "planted: removed"
  git -C "$w" branch -q planted-old
  git -C "$copy" repack -q -d # the branch's objects in a second pack
  git -C "$w" checkout -q --detach "$head"
  mkdir -p "$w/docs"
  key_pair >"$w/docs/planted.md"; git -C "$w" add -A; git -C "$w" commit -qm "planted: new doc"
  f1=$(git -C "$w" ls-files | { grep -E '^lib/.*\.c$' || true; } | sed -n 3p)
  [ -n "$f1" ] || f1=$(git -C "$w" ls-files | grep -E '/.*\.c$' | sed -n 3p)
  exclude="${f1%/*}/*" # what the --exclude run leaves out: that file's directory
  key_pair >>"$w/$f1"; git -C "$w" commit -qam "planted: old file on the main line"
  git -C "$w" mv "$f1" "${f1%/*}/renamed-${f1##*/}"; git -C "$w" commit -qm "planted: rename"
  git -C "$w" branch -q planted-main
  git -C "$copy" worktree remove --force "$w"
}

for set in $SETS; do
  case $set in
    suite) suite ;;
    synthetic) synthetic ;;
    real) if [ -n "$real" ]; then plant; compare_all real "$tmp/real.git" "$exclude"; fi ;;
  esac
done
[ "$failed" = 0 ] && echo "equivalent" || { echo "NOT EQUIVALENT"; exit 1; }
