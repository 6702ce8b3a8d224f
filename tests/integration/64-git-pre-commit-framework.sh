# .pre-commit-hooks.yaml with the real pre-commit tool, against a real repository (offline: the
# hook repository is a local git repository holding a copy of the file).
. "$AK_TESTS/lib/common.sh"
set -e
command -v pre-commit >/dev/null || skip "pre-commit is not installed (apt-get install pre-commit)"
export GIT_AUTHOR_NAME=Eve GIT_AUTHOR_EMAIL=eve@example.org GIT_COMMITTER_NAME=Eve \
  GIT_COMMITTER_EMAIL=eve@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP PRE_COMMIT_HOME=$TMP/cache
mkdir -p "$TMP/bin"; ln -s "$AKHOUND" "$TMP/bin/akhound"; export PATH="$TMP/bin:$PATH"
H=$TMP/hookrepo; git init -q -b main "$H"
cp "$AK_ROOT/.pre-commit-hooks.yaml" "$H/"; git -C "$H" add -A; git -C "$H" commit -qm hooks
rev=$(git -C "$H" rev-parse HEAD)
R=$TMP/repo; git init -q -b main "$R"; cd "$R"
printf 'repos:\n- repo: %s\n  rev: %s\n  hooks:\n  - id: akhound\n' "$H" "$rev" > .pre-commit-config.yaml
git add -A; git commit -qm config
pre-commit install >/dev/null || fail "pre-commit install failed"
id=$(new_key_id); sec=$(new_secret)
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id" "$sec" > app.env; git add app.env
set +e; out=$(git commit -qm leak 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "pre-commit let a key through: $out"
grep -qF "$id" <<<"$out" || fail "pre-commit output lacks the key: $out"
printf 'access_key_id = "%s"  # akhound:allow\naccess_key_secret = "%s"  # akhound:allow\n' "$id" "$sec" > app.env
git add app.env; git commit -qm allowed >/dev/null 2>&1 || fail "allowed commit was stopped"
echo ok
