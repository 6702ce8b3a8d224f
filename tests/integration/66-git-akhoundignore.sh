# .akhoundignore at the top of the work tree applies to --git, --staged and --range as it does to
# a directory scan: an excluded path is not reported from any commit.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=T GIT_COMMITTER_NAME=T GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_EMAIL=t@example.org
R="$TMP/r"; git init -q "$R"
mkdir -p "$R/vendor" "$R/src"
kv=$(new_key_id); ks=$(new_key_id)
printf 'id=%s\n' "$kv" > "$R/vendor/lib.txt"
printf 'id=%s\n' "$ks" > "$R/src/app.txt"
git -C "$R" add -A; git -C "$R" commit -qm "both"
run scan --git --format jsonl "$R"; expect_rc 1; expect_out "$kv"; expect_out "$ks"
printf '# third-party code is scanned upstream\nvendor/\n' > "$R/.akhoundignore"
run scan --git --format jsonl "$R"; expect_rc 1; expect_not_out "$kv"; expect_out "$ks"
base=$(git -C "$R" rev-parse HEAD)
printf 'id=%s\n' "$(new_key_id)" >> "$R/vendor/lib.txt"
git -C "$R" add vendor/lib.txt
(cd "$R" && run scan --staged --format jsonl && [ "$RC" = 0 ]) || fail "--staged reported an excluded path"
git -C "$R" commit -qm "vendor update"
run scan --range "$base..HEAD" --format jsonl "$R"; expect_rc 0
echo ok
