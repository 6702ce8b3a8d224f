# .pre-commit-hooks.yaml with the real pre-commit tool, against real repositories (offline: the
# hook repository is a local git repository holding a copy of the file and the hook scripts).
# A commit is checked on its staged change; `pre-commit run --all-files` and `--files` scan the
# whole files (a key committed long ago is found); the push hook handles a new branch and a first
# push (no PRE_COMMIT_FROM_REF); the commit hook does not run at the push stage.
. "$AK_TESTS/lib/common.sh"
set -e
command -v pre-commit >/dev/null || skip "pre-commit is not installed (apt-get install pre-commit)"
export GIT_AUTHOR_NAME=Eve GIT_AUTHOR_EMAIL=eve@example.org GIT_COMMITTER_NAME=Eve \
  GIT_COMMITTER_EMAIL=eve@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP PRE_COMMIT_HOME=$TMP/cache
mkdir -p "$TMP/bin"; ln -s "$AKHOUND" "$TMP/bin/akhound"; export PATH="$TMP/bin:$PATH"
M=$AK_ROOT/.pre-commit-hooks.yaml
grep -qE 'stages: \[(commit|push)' "$M" && fail "legacy stage names in $M"
grep -q 'stages: \[pre-commit, manual\]' "$M" || fail "akhound hook stages"
grep -q 'stages: \[pre-push\]' "$M" || fail "akhound-push stages"
H=$TMP/hookrepo; git init -q -b main "$H"; mkdir "$H/hooks"
cp "$AK_ROOT/hooks/pre-commit-framework" "$AK_ROOT/hooks/pre-push-framework" "$H/hooks/"
cp "$M" "$H/"
v=$(pre-commit --version | awk '{print $2}')
if [ "$(printf '%s\n3.2.0\n' "$v" | sort -V | head -n 1)" != 3.2.0 ]; then
  # this pre-commit predates the current stage names: it must refuse the manifest clearly, and the
  # hooks are tested under the legacy names it knows (the scripts are the same)
  git -C "$H" add -A; git -C "$H" commit -qm hooks
  out=$(cd "$H" && pre-commit try-repo "$H" akhound --all-files 2>&1) && fail "old pre-commit took it"
  grep -qE "3\.2\.0|got: 'pre-commit'" <<<"$out" || fail "no clear refusal: $out"
  echo "pre-commit $v: testing with legacy stage names"
  sed -i -e 's/stages: \[pre-commit, manual\]/stages: [commit, manual]/' \
    -e 's/stages: \[pre-push\]/stages: [push]/' -e '/minimum_pre_commit_version/d' "$H/.pre-commit-hooks.yaml"
fi
git -C "$H" add -A; git -C "$H" commit -qm hooks2 --allow-empty
rev=$(git -C "$H" rev-parse HEAD)
R=$TMP/repo; git init -q -b main "$R"; cd "$R"
printf 'repos:\n- repo: %s\n  rev: %s\n  hooks:\n  - id: akhound\n  - id: akhound-push\n' "$H" "$rev" > .pre-commit-config.yaml
git add -A; git commit -qm config
pre-commit install -t pre-commit -t pre-push >/dev/null || fail "pre-commit install failed"
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }
id=$(new_key_id); sec=$(new_secret)
pair "$id" "$sec" > app.env; git add app.env
set +e; out=$(git commit -qm leak 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "pre-commit let a key through: $out"
grep -qF "$id" <<<"$out" || fail "pre-commit output lacks the key: $out"
printf 'access_key_id = "%s"  # akhound:allow\naccess_key_secret = "%s"  # akhound:allow\n' "$id" "$sec" > app.env
git add app.env; git commit -qm allowed >/dev/null 2>&1 || fail "allowed commit was stopped"

# a key committed past the hook: a later commit is not blamed for it, --all-files finds it
old=$(new_key_id); pair "$old" "$(new_secret)" > old.env; git add old.env
git commit -qm "old key" --no-verify
echo change >> readme.txt; git add readme.txt
git commit -qm "unrelated" >/dev/null 2>&1 || fail "a commit was blamed for an old key"
set +e; out=$(pre-commit run akhound --all-files 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "--all-files passed with a committed key: $out"
grep -qF "$old" <<<"$out" || fail "--all-files output lacks the old key: $out"
set +e; out=$(pre-commit run akhound --files old.env 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && grep -qF "$old" <<<"$out" || fail "--files old.env: $out"
out=$(pre-commit run akhound --files readme.txt 2>&1) || fail "--files of a clean file: $out"

# pushes: a first push (pre-commit gives no FROM ref), then a new branch
B=$TMP/remote.git; git init -q --bare "$B"; git remote add origin "$B"
set +e; out=$(git push -q origin main 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "first push with a key went through: $out"
grep -qF "$old" <<<"$out" || fail "first push output lacks the key: $out"
grep -q "parameter not set" <<<"$out" && fail "push hook needs FROM ref: $out"
grep -q "akhound (Alibaba Cloud AccessKeys)\.\.\." <<<"$out" && fail "commit hook ran at push: $out"
git push -q --no-verify origin main
git checkout -q -b feature; new=$(new_key_id); pair "$new" "$(new_secret)" > new.env
git add new.env; git commit -qm "new key" --no-verify
set +e; out=$(git push -q origin feature 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "new branch with a key went through: $out"
grep -qF "$new" <<<"$out" || fail "new-branch push lacks the key: $out"
grep -qF "$old" <<<"$out" && fail "new-branch push blamed main's key: $out"
git rm -q new.env; git commit -qm "drop" --no-verify
git push -q origin feature >/dev/null 2>&1 && fail "the pushed commits still add the key"
echo ok
