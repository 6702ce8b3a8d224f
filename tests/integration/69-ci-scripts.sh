# The CI integrations' logic (hooks/ci/akhound-ci.sh, wired by action.yml and
# hooks/ci/gitlab-ci.yml) run as GitHub and GitLab would run it, against depth-1 clones of a real
# remote: the base is reached by deepening, not by scanning everything (an old key is not blamed
# on the push); a new branch in a single-branch clone is compared with the fetched default branch;
# a base that cannot be fetched falls back to that; fail-on-findings and exit codes; no SARIF
# upload for a fork's pull request; the GitLab job writes a schema-valid secret-detection report;
# the build cache key follows akhound's sources.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Hal GIT_AUTHOR_EMAIL=hal@example.org GIT_COMMITTER_NAME=Hal \
  GIT_COMMITTER_EMAIL=hal@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
mkdir -p "$TMP/bin"; ln -s "$AKHOUND" "$TMP/bin/akhound"; export PATH="$TMP/bin:$PATH"
CI=$AK_ROOT/hooks/ci/akhound-ci.sh
Z=0000000000000000000000000000000000000000
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }

# the action and the template use the script
grep -q 'akhound-ci.sh" github-scan' "$AK_ROOT/action.yml" || fail "action.yml does not run the script"
grep -q "if: steps.scan.outputs.upload == 'true'" "$AK_ROOT/action.yml" || fail "upload not guarded"
grep -q 'cache-hit' "$AK_ROOT/action.yml" || fail "the action always builds"
grep -q 'secret_detection: gl-secret-detection-report.json' "$AK_ROOT/hooks/ci/gitlab-ci.yml" || fail "no secret_detection report"
grep -q 'akhound-ci.sh gitlab' "$AK_ROOT/hooks/ci/gitlab-ci.yml" || fail "gitlab-ci.yml does not run the script"

O=$TMP/origin.git; git init -q --bare -b main "$O"; git -C "$O" config uploadpack.allowAnySHA1InWant true
W=$TMP/work; git clone -q "$O" "$W" 2>/dev/null; cd "$W"; git checkout -q -b main
old=$(new_key_id); pair "$old" "$(new_secret)" > old.env; git add -A; git commit -qm "old key"
for i in $(seq 1 14); do echo "$i" > n.txt; git add -A; git commit -qm "n$i"; done
base=$(git rev-parse HEAD)
new=$(new_key_id); pair "$new" "$(new_secret)" > new.env; git add -A; git commit -qm "new key"
echo more > m.txt; git add -A; git commit -qm more; head=$(git rev-parse HEAD)
git push -q origin main

gh() { # DIR MODE [VAR=VALUE...]: runs the script as the action does; sets OUT, ERR, RC, $TMP/gh.out
  local dir=$1 mode=$2; shift 2
  : > "$TMP/gh.out"; mkdir -p "$TMP/runner"
  set +e
  OUT=$(cd "$dir" && env GITHUB_OUTPUT="$TMP/gh.out" RUNNER_TEMP="$TMP/runner" "$@" "$CI" "$mode" 2>"$TMP/gh.err"); RC=$?
  ERR=$(cat "$TMP/gh.err")
  set -e
}
output() { sed -n "s/^$1=//p" "$TMP/gh.out"; }

# a push, depth-1 checkout: deepened to the base; only the pushed key
git clone -q --depth 1 --no-local "file://$O" "$TMP/ci1" 2>/dev/null
gh "$TMP/ci1" github-scan EVENT=push PUSH_BEFORE="$base" SHA="$head"
expect_rc 0; [ "$(output rc)" = 1 ] || fail "push rc $(output rc): $ERR"
grep -qF "$new" "$(output sarif)" || fail "SARIF lacks the pushed key"
grep -qF "$old" "$(output sarif)" && fail "the old key was blamed on the push: $ERR"
expect_err "deepening"; [ "$(output upload)" = true ] || fail "upload not requested"
[ "$(output range)" = "$base..$head" ] || fail "range $(output range)"

# the verdict step
gh . github-result RC=1 FAIL_ON_FINDINGS=false; expect_rc 0
gh . github-result RC=1 FAIL_ON_FINDINGS=true; expect_rc 1; expect_out "::error::"
gh . github-result RC=3 FAIL_ON_FINDINGS=true; expect_rc 3
gh . github-result RC=2 FAIL_ON_FINDINGS=false; expect_rc 2
gh . github-result RC=0; expect_rc 0
# --fail-on through the action: only live keys count, none is validated
gh "$TMP/ci1" github-scan EVENT=push PUSH_BEFORE="$base" SHA="$head" FAIL_ON=live
[ "$(output rc)" = 0 ] || fail "fail-on live: rc $(output rc)"

# pull requests: a fork's gets no upload, the repository's own does
gh "$TMP/ci1" github-scan EVENT=pull_request PR_BASE="$base" PR_HEAD="$head" SHA="$head" \
  HEAD_REPO=someone/akhound-fork BASE_REPO=me/app
[ "$(output upload)" = false ] || fail "fork PR would upload"; expect_out "::notice::"
[ "$(output rc)" = 1 ] || fail "fork PR rc $(output rc)"
gh "$TMP/ci1" github-scan EVENT=pull_request PR_BASE="$base" PR_HEAD="$head" SHA="$head" \
  HEAD_REPO=me/app BASE_REPO=me/app
[ "$(output upload)" = true ] || fail "own PR not uploaded"

# a new branch, single-branch depth-1 clone: compared with the default branch fetched for it
cd "$W"; git checkout -q -b feature; feat=$(new_key_id); pair "$feat" "$(new_secret)" > feat.env
git add -A; git commit -qm "feature key"; ftip=$(git rev-parse HEAD); git push -q origin feature
git clone -q --depth 1 --single-branch --branch feature --no-local "file://$O" "$TMP/ci2" 2>/dev/null
gh "$TMP/ci2" github-scan EVENT=push PUSH_BEFORE=$Z SHA="$ftip" DEFAULT_BRANCH=main
[ "$(output rc)" = 1 ] || fail "new branch rc $(output rc): $ERR"
grep -qF "$feat" "$(output sarif)" || fail "new branch: key missing"
grep -qE "$new|$old" "$(output sarif)" && fail "new branch blamed main's keys: $ERR"
# a base that cannot be fetched (history rewritten): the same comparison, said so
gh "$TMP/ci2" github-scan EVENT=push PUSH_BEFORE=$(printf '%040d' 0 | tr 0 d) SHA="$ftip" DEFAULT_BRANCH=main
expect_err "cannot be fetched"; grep -qE "$new|$old" "$(output sarif)" && fail "rewritten base: main blamed"
[ "$(output rc)" = 1 ] || fail "rewritten base rc"

# GitLab: a new branch's first pipeline in its single-branch clone
git clone -q --depth 1 --single-branch --branch feature --no-local "file://$O" "$TMP/ci3" 2>/dev/null
set +e
(cd "$TMP/ci3" && CI_COMMIT_BEFORE_SHA=$Z CI_COMMIT_SHA="$ftip" CI_DEFAULT_BRANCH=main "$CI" gitlab) >"$TMP/gl.log" 2>&1; RC=$?
set -e
[ "$RC" = 1 ] || fail "gitlab rc $RC: $(cat "$TMP/gl.log")"
r=$TMP/ci3/gl-secret-detection-report.json
python3 - "$AK_ROOT/tests/data/gitlab-secret-detection-report-format-15.2.1.json" "$r" "$feat" "$new" <<'PY' || fail "GitLab report"
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.Draft7Validator(schema).validate(doc)
text = json.dumps(doc)
assert sys.argv[3] in text and sys.argv[4] not in text, text
PY
# a merge request: its diff base
(cd "$TMP/ci3" && CI_MERGE_REQUEST_DIFF_BASE_SHA="$head" CI_COMMIT_SHA="$ftip" "$CI" gitlab) >"$TMP/gl.log" 2>&1 || RC=$?
grep -qF "$feat" "$r" && ! grep -qF "$new" "$r" || fail "MR report: $(cat "$TMP/gl.log")"

# the build cache key: stable, and changed by any source change
mkdir -p "$TMP/src"; cp -r "$AK_ROOT/Makefile" "$AK_ROOT/scanner" "$AK_ROOT/patterns" "$AK_ROOT/hooks" "$TMP/src/"
k1=$("$CI" cache-key "$TMP/src"); k2=$("$CI" cache-key "$TMP/src")
[ -n "$k1" ] && [ "$k1" = "$k2" ] || fail "cache key unstable"
echo "/* */" >> "$TMP/src/scanner/main.c"; [ "$("$CI" cache-key "$TMP/src")" != "$k1" ] || fail "cache key ignores sources"
echo ok
