# akhound scan --range / --since-commit and the push hooks: each new blob of a range once,
# attributed to its commit; a new branch (all-zero base), a force push, a shallow CI clone whose
# base is missing; the pre-push hook on a new branch; the server-side pre-receive hook.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Dan GIT_AUTHOR_EMAIL=dan@example.org GIT_COMMITTER_NAME=Dan \
  GIT_COMMITTER_EMAIL=dan@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
Z=0000000000000000000000000000000000000000
R=$TMP/repo
git init -q -b main "$R"; cd "$R"
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }
old=$(new_key_id); pair "$old" "$(new_secret)" > old.env; git add -A; git commit -qm "old key"
echo a > a.txt; git add -A; git commit -qm "clean"; base=$(git rev-parse HEAD)
new=$(new_key_id); pair "$new" "$(new_secret)" > new.env; git add -A; git commit -qm "new key"
c1=$(git rev-parse HEAD)
echo b >> a.txt; git add -A; git commit -qm "more"

run scan --range "$base..HEAD" --format json; expect_rc 1; expect_out "$new"; expect_not_out "$old"
python3 -c "import json,sys; f=json.loads(sys.argv[1]); assert len(f)==1 and f[0]['commit']['id']=='$c1', f" "$OUT"
run scan --since-commit "$base"; expect_rc 1; expect_out "$new"; expect_out "in 2 commits"
run scan --range "$c1..HEAD"; expect_rc 0
# a merge: the side branch's key is new to main's range
git checkout -q -b side "$base"; side=$(new_key_id); pair "$side" "$(new_secret)" > side.env
git add -A; git commit -qm "side key"; git checkout -q main; git merge -q --no-edit side
run scan --range "$c1..HEAD"; expect_rc 1; expect_out "$side"; expect_not_out "$new"
# a force push: the base is no ancestor of the new head; only what the base lacks is new
git checkout -q -b rewritten "$base"; echo c > c.txt; git add -A; git commit -qm "rewrite"
run scan --range "$c1..rewritten"; expect_rc 0
git checkout -q main
# a new branch (all-zero base) forks from the default branch: only its own commits count
git clone -q "$R" "$TMP/work"; cd "$TMP/work"
git checkout -q -b feature; feat=$(new_key_id); pair "$feat" "$(new_secret)" > feat.env
git add -A; git commit -qm "feature key"
run scan --range "$Z..HEAD"; expect_rc 1; expect_out "$feat"; expect_not_out "$new"
expect_out "in 1 commit"
# a shallow CI clone whose base is missing: a clear note, then the commits it has
git clone -q --depth 1 --no-local --branch main "file://$R" "$TMP/ci" 2>/dev/null
run scan --range "$base..HEAD" "$TMP/ci"; expect_err "not in this repository"
expect_out "$side"; [ "$RC" -eq 1 ] || fail "shallow fallback exit $RC"
run scan --range "nonsense...HEAD" "$TMP/ci"; expect_rc 2

# pre-push on a new branch, through a real push to a local bare remote
cd "$TMP/work"; git clone -q --bare "$R" "$TMP/remote.git"; git remote set-url origin "$TMP/remote.git"
git fetch -q origin
run hook install --pre-push; expect_rc 0
set +e; out=$(git push -q origin feature 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "pre-push let a key through"
grep -qF "$feat" <<<"$out" || fail "pre-push output lacks the key: $out"
grep -qF "$new" <<<"$out" && fail "pre-push blamed an old key"
git checkout -q -b clean-branch main; echo ok > ok.txt; git add -A; git commit -qm ok
git push -q origin clean-branch 2>/dev/null || fail "pre-push stopped a clean branch"

# pre-receive on the server rejects the push
cp "$AK_ROOT/hooks/pre-receive" "$TMP/remote.git/hooks/pre-receive"; chmod +x "$TMP/remote.git/hooks/pre-receive"
set +e; out=$(git push -q --no-verify origin feature 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "pre-receive accepted a key"
grep -qF "push rejected" <<<"$out" || fail "pre-receive message missing: $out"
git -C "$TMP/remote.git" rev-parse -q --verify refs/heads/feature >/dev/null && fail "ref was updated"
git checkout -q clean-branch; echo more >> ok.txt; git commit -qam more
git push -q --no-verify origin clean-branch 2>/dev/null || fail "pre-receive rejected a clean push"
echo ok
