# README's commands work as written on a fresh clone. Every indented code block of README.md is:
#   marked "<!-- readme-test: run -->": run with bash -e in a fresh clone (akhound on the PATH);
#   marked "<!-- readme-test: skip (why) -->": not run (needs the network, or is the suite itself);
#   unmarked: each line that is an akhound or make command is checked (a real command, real
#     options, a real Makefile target); a line running anything else unmarked is an error;
#     blocks of data (schemas, JSON, YAML) are left alone.
# The fresh clone gets a copy of the build under test, newer than its sources, so "make" there
# finds nothing to do instead of compiling everything again.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Jo GIT_AUTHOR_EMAIL=jo@example.org GIT_COMMITTER_NAME=Jo \
  GIT_COMMITTER_EMAIL=jo@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
README=$AK_ROOT/README.md
build=$(cd "$(dirname "$AKHOUND")" && pwd)
mkdir -p "$TMP/bin"; ln -s "$AKHOUND" "$TMP/bin/akhound"; export PATH="$TMP/bin:$PATH"
C=$TMP/clone; git clone -q "$AK_ROOT" "$C"
cp "$README" "$C/README.md" # the README under test, committed or not
cp -a "$build" "$C/build"; find "$C/build" -exec touch {} +

python3 - "$README" "$TMP/blocks" <<'PY'
import os, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = sys.argv[2]; os.makedirs(out)
n, i, marker, fence = 0, 0, None, False
while i < len(lines):
    l = lines[i]
    if l.startswith("```"):
        fence = not fence; i += 1; continue
    m = re.match(r"<!-- readme-test: (run|skip)\b.*-->", l)
    if m:
        marker = m.group(1); i += 1; continue
    if not fence and l.startswith("    ") and (i == 0 or lines[i - 1].strip() == "" or lines[i - 1].startswith("<!--")):
        block = []
        while i < len(lines) and (lines[i].startswith("    ") or (lines[i].strip() == "" and i + 1 < len(lines) and lines[i + 1].startswith("    "))):
            block.append(lines[i][4:]); i += 1
        n += 1
        open(f"{out}/{n:03d}.{marker or 'check'}", "w").write("\n".join(block) + "\n")
        marker = None; continue
    if l.strip(): marker = None if not l.startswith("<!--") else marker
    i += 1
PY

commands=$("$AKHOUND" help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
ran=0 checked=0
for b in "$TMP"/blocks/*; do
  case $b in
    *.run)
      (cd "$C" && bash -e "$b") >"$TMP/run.log" 2>&1 || fail "README block failed on a fresh clone: $(cat "$b")$(tail -n 20 "$TMP/run.log")"
      ran=$((ran + 1)) ;;
    *.check)
      while IFS= read -r line; do
        # shellcheck disable=SC2086 # the words of the command, before its two-space description
        set -- ${line%%  *}
        [ $# -gt 0 ] || continue
        case $1 in
          akhound | ./build/akhound)
            cmd=${2:-}
            if [ "$cmd" != help ] && ! grep -qx -- "$cmd" <<<"$commands"; then fail "README: unknown command in '$line'"; fi
            help=$("$AKHOUND" help "$cmd") || fail "README: akhound help $cmd"
            for o in $(grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' <<<"$*"); do
              grep -qE -- "$o([^a-z0-9-]|$)" <<<"$help" || fail "README: '$o' is not an option of akhound $cmd: $line"
            done
            checked=$((checked + 1)) ;;
          make)
            t=${2:-all}
            grep -qE "^(\.PHONY:.*[ ]$t( |$)|$t:)" "$AK_ROOT/Makefile" || fail "README: no make target '$t': $line"
            checked=$((checked + 1)) ;;
          apt-get | git | sudo | cd | sh | bash | pre-commit | npx | curl | ./*)
            fail "README: a command block that is neither run nor marked skip: $line" ;;
        esac
      done <"$b" ;;
  esac
done
# release references name tags that exist (none is published yet: placeholders instead)
for f in "$README" "$AK_ROOT/action.yml" "$AK_ROOT/hooks/ci/gitlab-ci.yml"; do
  for tag in $(grep -oE '(rev: |akhound@|AKHOUND_REF: )v[0-9][0-9.]*' "$f" | sed 's/^.*[ @]//'); do
    git -C "$AK_ROOT" rev-parse -q --verify "refs/tags/$tag" >/dev/null || fail "$f names the tag $tag, which does not exist"
  done
done
[ "$ran" -ge 2 ] && [ "$checked" -ge 20 ] || fail "too little of README tested: $ran run, $checked checked"
echo "README: $ran blocks run on a fresh clone, $checked command lines checked"
echo ok
