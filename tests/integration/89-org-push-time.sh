# akhound org --change-detect push-time: a repository whose forge push time (GitHub pushed_at,
# GitLab last_activity_at) equals the one stored after its last complete scan is not contacted
# (no request reaches the git server) and keeps its inventory as last seen; a moved push time
# finds the new key; the refs mode still lists every repository; a forge that does not stamp a
# push (refs moved, push time unchanged) is missed by push-time and caught by refs and by
# --verify-every; a repos file has no push time and keeps ref listing.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
SRV=$TMP/srv; mkdir -p "$SRV"
declare -A ID
for r in g1 g2 g3 l1; do ID[$r]=$(new_key_id); make_repo "$SRV" "$r" "${ID[$r]}" "$(new_secret)" >/dev/null; done
GITLOG=$TMP/git.log; : > "$GITLOG"
start_git_http "$SRV" 127.0.0.1 "$GITLOG"
G=http://127.0.0.1:$HTTP_PORT
TOKEN=tok$(rand_alnum 24)
# forge PUSHED...: rewrites the forge's listing (g1 g2 g3 l1 push times, in that order)
forge() {
  python3 - "$TMP/forge.json" "$TOKEN" "$G" "$@" <<'PY'
import json, sys
f, tok, g, *t = sys.argv[1:]
json.dump({"token": tok, "page_size": 2,
           "github": {"org": "acme", "repos": [
               {"name": n, "clone_url": "%s/%s.git" % (g, n), "pushed_at": p}
               for n, p in zip(("g1", "g2", "g3"), t)]},
           "gitlab": {"group": "grp", "projects": [
               {"path": "grp/l1", "clone_url": "%s/l1.git" % g, "last_activity_at": t[3]}]}},
          open(f + ".tmp", "w"))
import os; os.rename(f + ".tmp", f)
PY
}
T0=2026-01-01T00:00:00Z
forge $T0 $T0 $T0 2026-01-01T00:00:00.000Z
start_forge "$TMP/forge.json"
F=127.0.0.1:$FORGE_PORT
C=$TMP/cache R=$TMP/r.jsonl
gh() { GITHUB_TOKEN=$TOKEN run org --github acme --api-url "http://$F/api/v3" --cache "$C" \
  --format jsonl -o "$R" -J 2 "$@"; }
git_requests() { wc -l < "$GITLOG"; }
has_key() { pyjson "$R" "[x for x in f if x['access_key_id']=='$1']"; }
lacks_key() { pyjson "$R" "not [x for x in f if x['access_key_id']=='$1']"; }

# the first run scans everything and stores each push time
gh --change-detect push-time; expect_rc 1
for r in g1 g2 g3; do has_key "${ID[$r]}"; done
seen=$(python3 -c "import json; print(sorted(json.loads(l)['last_seen'] for l in open('$R')))")
sleep 1.1 # a later last_seen would show

# nothing changed: no git request at all, the inventory as it was (last_seen kept), said so
before=$(git_requests)
gh --change-detect push-time; expect_rc 0
[ "$(git_requests)" -eq "$before" ] || fail "push time unchanged, yet the git server was contacted: $(tail -n +$((before + 1)) "$GITLOG")"
expect_err "3 repositories not re-checked (forge push time unchanged"
pyjson "$R" "len(f)==3 and all(x['status']=='open' for x in f)"
pyjson "$R" "sorted(x['last_seen'] for x in f)==$seen"

# the refs mode (the default) lists every repository's refs, fetches nothing (no FETCH_HEAD)
before=$(git_requests); rm -f "$C"/*.git/FETCH_HEAD
gh; expect_rc 0
! ls "$C"/*.git/FETCH_HEAD 2>/dev/null || fail "refs mode fetched with nothing changed"
[ "$(grep -c 'info/refs' <(tail -n +$((before + 1)) "$GITLOG"))" -eq 3 ] || fail "refs mode: $(tail -n +$((before + 1)) "$GITLOG")"
grep -q POST <(tail -n +$((before + 1)) "$GITLOG") && fail "refs mode fetched with nothing changed"
expect_err "3 unchanged"

# a push with a new key, and the forge's push time moved: found; only g1 is contacted
K1=$(new_key_id)
add_commit "$SRV" g1 new.ini "$(pair "$K1" "$(new_secret)")" >/dev/null
forge 2026-01-02T00:00:00Z $T0 $T0 2026-01-01T00:00:00.000Z
before=$(git_requests)
gh --change-detect push-time; expect_rc 1
has_key "$K1"
tail -n +$((before + 1)) "$GITLOG" | grep -v '/g1.git/' && fail "a repository whose push time did not move was contacted"
expect_err "2 repositories not re-checked"

# a forge that does not stamp a push (refs moved, push time unchanged): push-time misses it,
# the refs mode finds it
K2=$(new_key_id)
add_commit "$SRV" g2 new.ini "$(pair "$K2" "$(new_secret)")" >/dev/null
gh --change-detect push-time; expect_rc 0
lacks_key "$K2"
gh --change-detect refs; expect_rc 1
has_key "$K2"
# ... and --verify-every 1 contacts every repository on every run
K3=$(new_key_id)
add_commit "$SRV" g3 new.ini "$(pair "$K3" "$(new_secret)")" >/dev/null
gh --change-detect push-time; expect_rc 0
lacks_key "$K3"
gh --change-detect push-time --verify-every 1; expect_rc 1
has_key "$K3"
# --verify-every 2 contacts each repository on every other run: two runs verify all three
K4=$(new_key_id) K5=$(new_key_id)
add_commit "$SRV" g1 more.ini "$(pair "$K4" "$(new_secret)")" >/dev/null
add_commit "$SRV" g3 more.ini "$(pair "$K5" "$(new_secret)")" >/dev/null
gh --change-detect push-time --verify-every 2
gh --change-detect push-time --verify-every 2
has_key "$K4"; has_key "$K5"
# the fetch mode fetches even when the refs match (libgit2 writes FETCH_HEAD)
rm -f "$C"/*.git/FETCH_HEAD
gh --change-detect fetch; expect_rc 0
[ "$(ls "$C"/*.git/FETCH_HEAD | wc -l)" -eq 3 ] || fail "fetch mode did not fetch every repository"

# GitLab's last_activity_at works the same way
gl() { GITLAB_TOKEN=$TOKEN run org --gitlab grp --api-url "http://$F/api/v4" --cache "$C" \
  --format jsonl -o "$R" --change-detect push-time "$@"; }
gl; expect_rc 1; has_key "${ID[l1]}"
before=$(git_requests)
gl; expect_rc 0
[ "$(git_requests)" -eq "$before" ] || fail "GitLab: last_activity_at unchanged, yet contacted"
expect_err "1 repositories not re-checked"
# ... but GitLab refreshes last_activity_at at most once an hour: a time less than an hour before
# the run that stored it does not vouch for the state (a push since may be unstamped)
forge 2026-01-02T00:00:00Z $T0 $T0 "$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%S.000Z)"
for _ in 1 2; do
  before=$(git_requests)
  gl; expect_rc 0
  grep -q '/l1.git/info/refs' <(tail -n +$((before + 1)) "$GITLOG") || fail "GitLab: a recent last_activity_at was trusted"
done

# a repos file has no push time: ref listing, every run
printf '%s\n' "$G/g1.git" "$G/g2.git" > "$TMP/repos"
run org --repos-file "$TMP/repos" --cache "$TMP/c2" --format jsonl --change-detect push-time
expect_rc 1
before=$(git_requests)
run org --repos-file "$TMP/repos" --cache "$TMP/c2" --format jsonl --change-detect push-time
expect_rc 0; expect_err "no push times"
[ "$(grep -c 'info/refs' <(tail -n +$((before + 1)) "$GITLOG"))" -eq 2 ] || fail "repos file: refs not listed"

# bad values
run org --repos-file "$TMP/repos" --cache "$TMP/c2" --change-detect sometimes
expect_rc 2; expect_err "change-detect"
run org --repos-file "$TMP/repos" --cache "$TMP/c2" --verify-every 3
expect_rc 2; expect_err "--verify-every goes with --change-detect push-time"
echo ok
