# akhound scan --git: every blob of the history once, attribution, branches, tags, stash, merges,
# renames, commit messages, dangling commits (--all-objects), bare repositories and shallow clones.
. "$AK_TESTS/lib/common.sh"
set -e
export GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.org GIT_COMMITTER_NAME=Alice \
  GIT_COMMITTER_EMAIL=alice@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
R=$TMP/repo
git init -q -b main "$R"
g() { git -C "$R" "$@"; }
commit() { g add -A && g commit -qm "$1"; }
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }
json() { run scan --git --format json "$@"; printf '%s\n' "$OUT" > "$TMP/out.json"; }
# check PY-EXPR over the findings list `f` (python)
check() { python3 -c "import json,sys; f=json.load(open('$TMP/out.json')); sys.exit(0 if ($1) else 1)" || fail "check: $1"; }
by_id() { printf "[x for x in f if x['access_key_id']=='%s']" "$1"; }

echo base > "$R/README"; commit "initial"
# added, then deleted: found, attributed to the adding commit
id1=$(new_key_id); s1=$(new_secret)
pair "$id1" "$s1" > "$R/config.ini"; commit "add config"
add1=$(g rev-parse HEAD)
echo "more" >> "$R/config.ini"; commit "edit config"
g rm -q config.ini; g commit -qm "remove config"
# the same blob at many paths: scanned once
id2=$(new_key_id); s2=$(new_secret)
mkdir -p "$R/copies"; for i in $(seq 1 20); do pair "$id2" "$s2" > "$R/copies/c$i.env"; done
commit "copies"
# renamed file: the blob is found once, at the commit that added it
g mv copies/c1.env renamed.env; commit "rename"
# key in a commit message
id3=$(new_key_id); g commit -q --allow-empty -m "deploy with $id3"
msg3=$(g rev-parse HEAD)
# only on a side branch, in a merge commit
g checkout -q -b side; id4=$(new_key_id); s4=$(new_secret)
pair "$id4" "$s4" > "$R/side.txt"; commit "side key"
side4=$(g rev-parse HEAD)
g checkout -q main; echo x > "$R/main.txt"; commit "main work"
g merge -q --no-ff --no-commit side >/dev/null 2>&1 || true
id5=$(new_key_id); s5=$(new_secret); pair "$id5" "$s5" > "$R/merge-only.txt"
g add -A; g commit -qm "merge side"
merge5=$(g rev-parse HEAD)
# only in a tag (annotated tag on an orphan commit, no branch)
g checkout -q --orphan tagonly; g rm -rfq . ; id6=$(new_key_id); s6=$(new_secret)
pair "$id6" "$s6" > "$R/tagged.txt"; commit "tagged only"; g tag -a -m release v1
g checkout -q main; g branch -D -q tagonly
# only in a stash
id7=$(new_key_id); s7=$(new_secret); pair "$id7" "$s7" >> "$R/README"; g stash -q
# only in a dangling commit
g checkout -q -b tmp; id8=$(new_key_id); s8=$(new_secret); pair "$id8" "$s8" > "$R/dangling.txt"
commit "dangling"; g checkout -q main; g branch -D -q tmp; g reflog expire --expire=now --all

json "$R"; expect_rc 1
for id in "$id1" "$id2" "$id3" "$id4" "$id5" "$id6" "$id7"; do expect_out "$id"; done
expect_not_out "$id8"
check "len($(by_id "$id1"))==1 and $(by_id "$id1")[0]['commit']['id']=='$add1'"
check "$(by_id "$id1")[0]['path']=='config.ini' and $(by_id "$id1")[0]['line']==1"
check "$(by_id "$id1")[0]['commit']['author']=='Alice' and $(by_id "$id1")[0]['commit']['email']=='alice@example.org'"
check "$(by_id "$id1")[0]['commit']['summary']=='add config' and $(by_id "$id1")[0]['commit']['date'].endswith('Z')"
check "len($(by_id "$id2"))==1 and $(by_id "$id2")[0]['path']=='copies/c1.env'"
check "$(by_id "$id3")[0]['path']=='<commit message>' and $(by_id "$id3")[0]['commit']['id']=='$msg3'"
check "$(by_id "$id4")[0]['commit']['id']=='$side4'"
check "$(by_id "$id5")[0]['commit']['id']=='$merge5' and $(by_id "$id5")[0]['path']=='merge-only.txt'"
check "$(by_id "$id6")[0]['commit']['summary']=='tagged only'"
check "len($(by_id "$id7"))==1 and $(by_id "$id7")[0]['path']=='README'"
check "all(x['blob'] for x in f if x['path']!='<commit message>')"
# each distinct blob once (the 20 copies are one blob), each commit once
nblobs=$(g rev-list --objects --all | cut -d' ' -f1 | g cat-file --batch-check='%(objecttype)' | grep -c blob)
ncommits=$(g rev-list --all | wc -l)
run scan --git "$R"; expect_out "scanned $nblobs blobs in $ncommits commits"

# --all-objects: the dangling commit too, attributed to it
json --all-objects "$R"; expect_rc 1; expect_out "$id8"
check "$(by_id "$id8")[0]['commit']['summary']=='dangling' and $(by_id "$id8")[0]['path']=='dangling.txt'"

# byte-identical output across runs and thread counts
run scan --git --format jsonl -j 1 "$R"; a=$OUT
run scan --git --format jsonl -j 4 "$R"; [ "$a" = "$OUT" ] || fail "output depends on threads"

# everything in one pack, the dangling commit's objects included: every blob of the packs is
# scanned before the walk says which are reachable, so a key only in an unreachable blob, or only
# at an excluded path, must still not be reported, and the counts stay those of the walk
cp -r "$R/.git" "$TMP/packed.git"
git -C "$TMP/packed.git" cat-file --batch-all-objects --batch-check='%(objectname)' |
  git -C "$TMP/packed.git" pack-objects -q "$TMP/packed.git/objects/pack/pack" >/dev/null
git -C "$TMP/packed.git" prune-packed
[ -z "$(find "$TMP/packed.git/objects" -path '*/objects/??/*' -type f)" ] || fail "loose objects left"
json "$TMP/packed.git"; expect_rc 1; expect_not_out "$id8"; expect_out "$id1"
run scan --git "$TMP/packed.git"; expect_out "scanned $nblobs blobs in $ncommits commits"
json --exclude config.ini "$TMP/packed.git"; expect_rc 1; expect_not_out "$id1"; expect_out "$id2"
json --all-objects "$TMP/packed.git"; expect_rc 1; expect_out "$id8"
check "$(by_id "$id8")[0]['commit']['summary']=='dangling' and $(by_id "$id8")[0]['path']=='dangling.txt'"

# a bare clone and a shallow clone
git clone -q --bare "$R" "$TMP/bare.git"
run scan --git "$TMP/bare.git"; expect_rc 1; expect_out "$id1"; expect_out "$id4"
git clone -q --depth 1 --no-local "file://$R" "$TMP/shallow" 2>/dev/null
run scan --git "$TMP/shallow"; expect_rc 1; expect_out "$id5"; expect_not_out "$id1"
expect_not_out "incomplete"
# an annotated tag's message: scanned once, reported at the tag, with no commit
idt=$(new_key_id)
git init -q "$TMP/tagged"; echo hi > "$TMP/tagged/a"; git -C "$TMP/tagged" add a
git -C "$TMP/tagged" commit -qm init
git -C "$TMP/tagged" tag -a v1 -m "release notes; deploy id $idt"
git -C "$TMP/tagged" tag -a v1-again -m "release notes; deploy id $idt"
run scan --git --format jsonl "$TMP/tagged"; expect_rc 1
[ "$(grep -c "$idt" <<<"$OUT")" = 2 ] || fail "one finding per tag message: $OUT"
expect_out '"path":"<tag message v1>"'; expect_out '"commit":null'
# a clean history: exit 0
git init -q "$TMP/clean"; echo hi > "$TMP/clean/a"; git -C "$TMP/clean" add a
git -C "$TMP/clean" commit -qm init
run scan --git "$TMP/clean"; expect_rc 0; expect_out "1 blob in 1 commit"
# not a repository
run scan --git "$TMP/nowhere"; expect_rc 2
# a SHA-256 repository: refused, saying why
if git init -q --object-format=sha256 "$TMP/sha256" 2>/dev/null; then
  run scan --git "$TMP/sha256"; expect_rc 2
  grep -q "a sha256 repository" <<<"$ERR" || fail "no reason given for a SHA-256 repository: $ERR"
fi
echo ok
