# akhound scan --staged and the pre-commit hook: only what the commit adds is blamed; the hook
# blocks the commit, an allow comment lets it through; install keeps and chains an existing hook,
# honours core.hooksPath, and uninstall restores it.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Carol GIT_AUTHOR_EMAIL=carol@example.org GIT_COMMITTER_NAME=Carol \
  GIT_COMMITTER_EMAIL=carol@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
R=$TMP/repo
git init -q -b main "$R"; cd "$R"
id1=$(new_key_id); s1=$(new_secret)

# first commit: against the empty tree
printf 'key = "%s"\n' "$id1" > old.txt; git add old.txt
run scan --staged; expect_rc 1; expect_out "$id1"; expect_out "scanned 1 file"
git commit -qm old
# a key already in HEAD is not blamed; --all-staged-lines reports it
printf 'unrelated\n' >> old.txt; git add old.txt
run scan --staged; expect_rc 0
run scan --staged --all-staged-lines; expect_rc 1; expect_out "$id1"
# a secret added next to the old ID: the pair is new
printf 'secret = "%s"\n' "$s1" >> old.txt; git add old.txt
run scan --staged --format json; expect_rc 1; expect_out "access_key_pair"
git reset -q --hard
# a rename does not blame the key again
git mv old.txt moved.txt; run scan --staged; expect_rc 0
git commit -qm moved
# unstaged changes are not scanned
printf 'k = "%s"\n' "$(new_key_id)" > work.txt; run scan --staged; expect_rc 0; rm work.txt
# a bare repository has no index to check
git clone -q --bare "$R" "$TMP/bare.git"; run scan --staged "$TMP/bare.git"; expect_rc 2

# hooks: an existing hook is kept, chained, restored
printf '#!/bin/sh\necho previous-hook-ran >&2\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit
run hook install; expect_rc 0
grep -q akhound-hook .git/hooks/pre-commit || fail "hook not installed"
[ -x .git/hooks/pre-commit.akhound-chained ] || fail "existing hook not kept"
[ -x .git/hooks/pre-push ] || fail "pre-push not installed"
run hook install; expect_rc 0   # again: still one chained hook, ours on top
grep -q previous-hook-ran .git/hooks/pre-commit.akhound-chained || fail "chained hook lost"

id2=$(new_key_id); s2=$(new_secret)
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id2" "$s2" > leak.env; git add leak.env
set +e; out=$(git commit -qm leak 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "the hook let a key through"
grep -qF "$id2" <<<"$out" || fail "hook output lacks the key: $out"
grep -qF "akhound:allow" <<<"$out" || fail "hook does not say how to allow: $out"
grep -qF "previous-hook-ran" <<<"$out" || fail "chained hook did not run: $out"
grep -qF "$s2" <<<"$out" && fail "hook printed the secret"
# allow comment lets it through
printf 'access_key_id = "%s"  # akhound:allow\naccess_key_secret = "%s"  # akhound:allow\n' "$id2" "$s2" > leak.env
git add leak.env; git commit -qm "allowed" || fail "allow comment did not let the commit through"
# git commit -a stages into a temporary index (GIT_INDEX_FILE)
printf 'x = "%s"\n' "$(new_key_id)" >> moved.txt
set +e; git commit -qam "via -a" >/dev/null 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "commit -a let a key through"
git checkout -q moved.txt

run hook uninstall; expect_rc 0
grep -q previous-hook-ran .git/hooks/pre-commit || fail "previous hook not restored"
[ ! -e .git/hooks/pre-commit.akhound-chained ] || fail "chained copy left behind"
[ ! -e .git/hooks/pre-push ] || fail "pre-push not removed"

# core.hooksPath (relative to the work tree)
git config core.hooksPath .githooks
run hook install --pre-commit; expect_rc 0
[ -x .githooks/pre-commit ] || fail "core.hooksPath not honoured"
[ ! -e .githooks/pre-push ] || fail "--pre-commit installed pre-push"
run hook uninstall --pre-commit; [ ! -e .githooks/pre-commit ] || fail "not uninstalled"
echo ok
