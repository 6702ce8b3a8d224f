# akhound org end to end: repositories served over git:// (git daemon) and smart HTTP
# (git http-backend), planted keys found with repository, commit and link; a repository that
# fails; incremental re-runs; shards that together equal the unsharded run; report merge.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
SRV=$TMP/srv; mkdir -p "$SRV"
git init -q --bare "$SRV/probe.git"
declare -A ID SEC COMMIT
for r in d1 d2 d3 h1 h2; do
  ID[$r]=$(new_key_id); SEC[$r]=$(new_secret)
  COMMIT[$r]=$(make_repo "$SRV" "$r" "${ID[$r]}" "${SEC[$r]}")
done
# one credential leaked in two repositories
shared_id=$(new_key_id); shared_sec=$(new_secret)
add_commit "$SRV" d1 shared.env "$(pair "$shared_id" "$shared_sec")" >/dev/null
add_commit "$SRV" h1 shared.env "$(pair "$shared_id" "$shared_sec")" >/dev/null
start_git_daemon "$SRV"
start_git_http "$SRV"
G=git://127.0.0.1:$DAEMON_PORT; W=http://127.0.0.1:$HTTP_PORT
printf '%s\n' "# test organization" "$G/d1.git" "$G/d2.git" "$G/d3.git" "$W/h1.git" "$W/h2.git" \
  > "$TMP/repos"
cp "$TMP/repos" "$TMP/repos-bad"; echo "$G/missing.git" >> "$TMP/repos-bad"
C=$TMP/cache
org() { run org --repos-file "$@" --cache "$C" --format jsonl -J 2 -j 1 --retries 1; }

# first run: every repository cloned and scanned; the missing one retried, then reported
org "$TMP/repos-bad"; expect_rc 2
printf '%s\n' "$OUT" > "$TMP/run1.jsonl"
for r in d1 d2 d3 h1 h2; do
  host=127.0.0.1:$DAEMON_PORT; [[ $r == h* ]] && host=127.0.0.1:$HTTP_PORT
  pyjson "$TMP/run1.jsonl" "[x for x in f if x['access_key_id']=='${ID[$r]}' and x['repository']=='$host/$r' and x['commit']['id']=='${COMMIT[$r]}' and x['path']=='config.ini']"
done
pyjson "$TMP/run1.jsonl" "len([x for x in f if x['access_key_id']=='$shared_id'])==2"
pyjson "$TMP/run1.jsonl" "len(f)==7 and all(x.get('link') is None for x in f)"
expect_err "missing"; expect_err "attempt 1 of 2"; expect_err "failed: 127.0.0.1:$DAEMON_PORT/missing"
expect_err "5 scanned, 1 failed"
[ "$(stat -c %a "$C"/*d1.akstate)" = 600 ] || fail "state file mode"

# re-run with nothing new: no blob scanned, the whole inventory reported as open, exit 0
org "$TMP/repos"; expect_rc 0
expect_err "5 unchanged"; expect_err "0 new, 7 open"
printf '%s\n' "$OUT" > "$TMP/rerun.jsonl"
pyjson "$TMP/rerun.jsonl" "len(f)==7 and all(x['status']=='open' and x['first_seen'] and x['last_seen'] for x in f)"

# a new commit: only its blob is scanned and only its key is new
new_id=$(new_key_id); new_sec=$(new_secret)
new_commit=$(add_commit "$SRV" h2 new.env "$(pair "$new_id" "$new_sec")")
org "$TMP/repos"; expect_rc 1
expect_err "scanned 1 blob in"
printf '%s\n' "$OUT" > "$TMP/run2.jsonl"
pyjson "$TMP/run2.jsonl" "len(f)==8 and [x['access_key_id'] for x in f if x['status']=='new']==['$new_id']"
pyjson "$TMP/run2.jsonl" "[x for x in f if x['access_key_id']=='$new_id' and x['commit']['id']=='$new_commit']"
org "$TMP/repos" --new-only; expect_rc 0; [ -z "$OUT" ] || fail "--new-only after a finished run: $OUT"

# a rule-set change reads everything again and says so (an extra rules file changes the version)
printf 'rules: []\n' > "$TMP/extra.yml"
org "$TMP/repos" --rules "$TMP/extra.yml"; expect_rc 0
expect_err "the rules changed since the last scan"; expect_not_out '"status":"resolved"'
[ "$(grep -c . <<<"$OUT")" -eq 8 ] || fail "a rules change should keep all 8 findings: $ERR"

# shards together equal the unsharded run (last_seen aside: each run has its own time)
norm() { python3 -c "import json,sys; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='last_seen'}, sort_keys=True)) for l in sys.stdin if l.strip()]" | sort; }
org "$TMP/repos" --full; expect_rc 0; norm <<<"$OUT" > "$TMP/full.sorted"
for k in 0 1 2; do org "$TMP/repos" --full --shard "$k/3"; printf '%s\n' "$OUT" > "$TMP/shard$k.jsonl"; done
cat "$TMP"/shard*.jsonl | norm > "$TMP/shards.sorted"
cmp -s "$TMP/full.sorted" "$TMP/shards.sorted" || fail "the shards differ from the full run"

# report merge: duplicates dropped, the shared credential sorted together and counted
run report merge --format jsonl "$TMP"/shard*.jsonl "$TMP/run1.jsonl" "$TMP/run2.jsonl"
expect_rc 1; printf '%s\n' "$OUT" > "$TMP/merged.jsonl"
pyjson "$TMP/merged.jsonl" "len(f)==8"
pyjson "$TMP/merged.jsonl" "[x['credential_repositories'] for x in f if x['access_key_id']=='$shared_id']==[2,2]"
pyjson "$TMP/merged.jsonl" "all(x['credential_locations']==1 for x in f if x['access_key_id']!='$shared_id')"
run report merge --format sarif "$TMP/merged.jsonl"; expect_rc 1; expect_out '"version": "2.1.0"'
echo garbage > "$TMP/bad.jsonl"
run report merge "$TMP/bad.jsonl" "$TMP/run2.jsonl"; expect_rc 2
echo ok
