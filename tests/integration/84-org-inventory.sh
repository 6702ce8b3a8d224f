# akhound org as an unattended job: the report is the whole inventory; a run killed by SIGTERM or
# kill -9 and re-run with the same output path gives the complete report; a force push that
# removes a key resolves it and re-adding it makes it reappear; a failed fetch keeps the warm
# mirror and the repository's findings; --max-failed decides when failures make exit 2; exit 4
# when nothing could run; repo_fingerprint scopes org baselines by repository.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
SRV=$TMP/srv; mkdir -p "$SRV"
N=8
declare -A ID
for i in $(seq 1 $N); do ID[r$i]=$(new_key_id); make_repo "$SRV" "r$i" "${ID[r$i]}" "$(new_secret)" >/dev/null; done
echo 0.25 > "$TMP/slow"
GIT_HTTP_DELAY=$TMP/slow GIT_HTTP_FAIL=$TMP/outage start_git_http "$SRV"; W=http://127.0.0.1:$HTTP_PORT
for i in $(seq 1 $N); do echo "$W/r$i.git"; done > "$TMP/repos"
C=$TMP/cache; R=$TMP/report.jsonl
ORG=("$AKHOUND" org --repos-file "$TMP/repos" --cache "$C" --format jsonl -o "$R" -J 1 -j 1 --retries 0)
org() { "${ORG[@]}" "$@"; }
n_inv() { find "$C" -name '*.inventory.jsonl' 2>/dev/null | wc -l; }

# interrupted runs: SIGTERM, then kill -9, each mid-way; each re-run completes the report
for sig in TERM KILL; do
  rm -rf "$C" "$R"
  "${ORG[@]}" 2>"$TMP/err" & pid=$!
  for _ in $(seq 1 100); do [ "$(n_inv)" -ge 2 ] && break; sleep 0.05; done
  kill -s "$sig" "$pid"; wait "$pid" 2>/dev/null || true
  done_before=$(n_inv)
  [ "$done_before" -ge 1 ] && [ "$done_before" -lt $N ] || fail "$sig: not interrupted mid-way ($done_before)"
  set +e; org 2>"$TMP/err"; rc=$?; set -e
  [ "$rc" -eq 1 ] || fail "$sig: the re-run should exit 1 (new findings): $rc $(cat "$TMP/err")"
  pyjson "$R" "len(f)==$N and all(x['status']=='new' for x in f)"
  for i in $(seq 1 $N); do pyjson "$R" "[x for x in f if x['access_key_id']=='${ID[r$i]}']"; done
done
rm "$TMP/slow"
# the next run, same output path: still the complete inventory, now open; nothing new: exit 0
set +e; org 2>"$TMP/err"; rc=$?; set -e
[ "$rc" -eq 0 ] || fail "an unchanged re-run should exit 0: $rc $(cat "$TMP/err")"
pyjson "$R" "len(f)==$N and all(x['status']=='open' for x in f)"
pyjson "$R" "all(x['first_seen'].endswith('Z') and x['last_seen'] >= x['first_seen'] for x in f)"
org --new-only >/dev/null 2>&1 || fail "--new-only with nothing new should exit 0"
[ ! -s "$R" ] || fail "--new-only with nothing new: $(cat "$R")"

# a force push removes r1's key: resolved (not new: exit 0), said to be possibly live
w=$TMP/work/r1
git -C "$w" reset -q --hard HEAD~1; git -C "$w" push -qf "$SRV/r1.git" main
set +e; org --format text 2>"$TMP/err"; rc=$?; set -e
[ "$rc" -eq 0 ] || fail "a resolved key should not fail the run: $rc $(cat "$TMP/err")"
grep -q "resolved (first seen" "$R" && grep -q "may still be live" "$R" || fail "resolved not said: $(cat "$R")"
grep -q "1 resolved" "$TMP/err" || fail "summary: $(cat "$TMP/err")"
org >/dev/null 2>&1 || true
pyjson "$R" "[x['status'] for x in f if x['access_key_id']=='${ID[r1]}']==['resolved']"
pyjson "$R" "len([x for x in f if x['status']=='open'])==$N-1"
# the same key re-added (the very same blob): reappeared, exit 1; then open again
git -C "$w" checkout -q ORIG_HEAD -- config.ini; git -C "$w" commit -qm "back again"
git -C "$w" push -q "$SRV/r1.git" main
set +e; org 2>"$TMP/err"; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "a reappeared key should exit 1: $rc $(cat "$TMP/err")"
pyjson "$R" "[x['status'] for x in f if x['access_key_id']=='${ID[r1]}']==['reappeared']"
org >/dev/null 2>&1 || fail "after the reappearance was reported, the next run should exit 0"
pyjson "$R" "[x['status'] for x in f if x['access_key_id']=='${ID[r1]}']==['open']"

# a transient fetch failure: the warm mirror stays (no re-clone), its findings stay open
m=$(ls -d "$C"/*r2.git); touch "$m/warm-marker"; touch "$TMP/outage"
set +e; org --failures "$TMP/failures.json" 2>"$TMP/err"; rc=$?; set -e
[ "$rc" -eq 4 ] || fail "every repository failing is 'could not run': $rc"
[ -f "$m/warm-marker" ] || fail "a failed fetch deleted the mirror"
pyjson "$R" "len(f)==$N and all(x['status']=='open' for x in f)"
python3 -c "import json,sys; d=json.load(open('$TMP/failures.json')); sys.exit(not(len(d['failed'])==$N and d['failed'][0]['reason']))" \
  || fail "--failures: $(cat "$TMP/failures.json")"
rm "$TMP/outage"
org >/dev/null 2>&1 || fail "after the outage the run should be clean"
[ -f "$m/warm-marker" ] || fail "the mirror was cloned again after the outage"

# the failure budget: one repository of 8 fails (12.5%)
echo "$W/missing.git" >> "$TMP/repos"
for spec in "0 2" "1 0" "10% 2" "20% 0" "default 2"; do
  set -- $spec; opt=(--max-failed "$1"); [ "$1" = default ] && opt=()
  set +e; org "${opt[@]}" 2>"$TMP/err"; rc=$?; set -e
  [ "$rc" -eq "$2" ] || fail "--max-failed $1: exit $rc: $(cat "$TMP/err")"
  grep -q "failed: 127.0.0.1:$HTTP_PORT/missing" "$TMP/err" || fail "failure not listed"
done
pyjson "$R" "len(f)==$N"

# repo_fingerprint: one key in two repositories, one fingerprint, two repo_fingerprints; an org
# baseline accepts it in one repository only
shared_id=$(new_key_id); shared=$(pair "$shared_id" "$(new_secret)")
add_commit "$SRV" r3 same.env "$shared" >/dev/null; add_commit "$SRV" r4 same.env "$shared" >/dev/null
org --max-failed 1 --write-baseline "$TMP/base.json" 2>/dev/null || true
pyjson "$R" "len({x['fingerprint'] for x in f if x['access_key_id']=='$shared_id'})==1"
pyjson "$R" "len({x['repo_fingerprint'] for x in f if x['access_key_id']=='$shared_id'})==2"
python3 - "$TMP/base.json" "$R" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
shared = [e["access_key_id"] for e in base["findings"] if e["repository"].endswith("/r3")]
keep = [e for e in base["findings"]
        if not (e["repository"].endswith("/r4") and e["access_key_id"] in shared)]
json.dump({"akhound_baseline": 1, "findings": keep}, open(sys.argv[1], "w"))
PY
org --max-failed 1 --baseline "$TMP/base.json" 2>/dev/null || true
pyjson "$R" "[x['repository'].split('/')[-1] for x in f if x['access_key_id']=='$shared_id']==['r4']"
pyjson "$R" "len(f)==1"

# nothing could run: the listing file is unreadable
run org --repos-file "$TMP/nope" --cache "$C"; expect_rc 4
echo ok
