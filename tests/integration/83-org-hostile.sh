# akhound org against a lying forge: the token goes only to the forge's git host (never to a
# clone URL on another host, never after a redirect), clone URLs from the API are https or http to
# a loopback address only, hosts are parsed as libcurl parses them, one bad entry is skipped with
# a warning, and endless next-page links end. "Another host" is 127.0.0.2 (all of 127/8 is lo).
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null \
  || skip "127.0.0.2 is not usable here"
SRV=$TMP/srv; mkdir -p "$SRV"
for r in a b c; do make_repo "$SRV" "$r" "$(new_key_id)" "$(new_secret)" >/dev/null; done
TOKEN=tok$(rand_alnum 24)
# the forge's own git host (127.0.0.1, like the API) and another host, both asking for the token
GIT_HTTP_TOKEN=$TOKEN start_git_http "$SRV" 127.0.0.1 "$TMP/own.log"; OWN=http://127.0.0.1:$HTTP_PORT
GIT_HTTP_TOKEN=$TOKEN start_git_http "$SRV" 127.0.0.2 "$TMP/other.log"; OTHER=http://127.0.0.2:$HTTP_PORT
# a server on the forge's host that redirects every request to the other host
GIT_HTTP_REDIRECT=$OTHER start_git_http "$SRV" 127.0.0.1 "$TMP/redir.log"; REDIR=http://127.0.0.1:$HTTP_PORT
: > "$TMP/own.log"; : > "$TMP/other.log"; : > "$TMP/redir.log"
forge() { # forge CONFIG-JSON: (re)starts the fake forge with these GitHub repositories
  python3 - "$TMP/forge.json" "$TOKEN" "$1" <<'PY'
import json, sys
cfg = {"token": sys.argv[2], "page_size": 2, "github": {"org": "acme", "repos": []}}
cfg.update(json.loads(sys.argv[3]))
json.dump(cfg, open(sys.argv[1], "w"))
PY
  [ -n "${FORGE_PID:-}" ] && kill "$FORGE_PID" && wait "$FORGE_PID" 2>/dev/null || true
  rm -f "$TMP/forge.port"; start_forge "$TMP/forge.json"; FORGE_PID=${ORG_PIDS[-1]}
  GH=http://127.0.0.1:$FORGE_PORT/api/v3
}
export GITHUB_TOKEN=$TOKEN
org() { run org --github acme --api-url "$GH" --cache "$TMP/cache" --format jsonl --retries 0 "$@"; }

# clone URLs: own host gets the token; another host and a redirect to it never do
forge "{\"github\": {\"org\": \"acme\", \"repos\": [
  {\"name\": \"a\", \"clone_url\": \"$OWN/a.git\"}, {\"name\": \"b\", \"clone_url\": \"$OTHER/b.git\"},
  {\"name\": \"c\", \"clone_url\": \"$REDIR/c.git\"}]}}"
org
expect_err "failed: 127.0.0.1:$FORGE_PORT/acme/b"; expect_err "failed: 127.0.0.1:$FORGE_PORT/acme/c"
expect_err "(1 scanned, 2 failed"
grep -q 'auth=token' "$TMP/own.log" || fail "the forge's own git host did not get the token"
grep -q 'auth=token' "$TMP/other.log" && fail "the token went to another host: $(cat "$TMP/other.log")"
grep -q '/c.git' "$TMP/other.log" && fail "a redirect to another host was followed"
grep -q 'auth=token' "$TMP/redir.log" && fail "the token went to the redirecting server"
grep -qF "$TOKEN" <<<"$OUT$ERR" && fail "the token was printed"
# --git-host names the host the token belongs to: now only the other host gets it
: > "$TMP/own.log"; : > "$TMP/other.log"
org --git-host 127.0.0.2
grep -q 'auth=token' "$TMP/other.log" || fail "--git-host: the named host did not get the token"
grep -q 'auth=token' "$TMP/own.log" && fail "--git-host: the token still went to the API host"

# clone URLs from the API that are not https / http-to-loopback-address: skipped, named, warned
forge "{\"github\": {\"org\": \"acme\", \"repos\": [
  {\"name\": \"a\", \"clone_url\": \"$OWN/a.git\"},
  {\"name\": \"f\", \"clone_url\": \"file://$SRV/a.git\"}, {\"name\": \"p\", \"clone_url\": \"$SRV/a.git\"},
  {\"name\": \"s\", \"clone_url\": \"ssh://git@127.0.0.1/a.git\"},
  {\"name\": \"g\", \"clone_url\": \"git://127.0.0.1/a.git\"},
  {\"name\": \"h\", \"clone_url\": \"http://192.0.2.1#@127.0.0.1/a.git\"},
  {\"name\": \"n\", \"clone_url\": \"http://127.evil.example/a.git\"},
  {\"name\": \"l\", \"clone_url\": \"http://localhost:1/a.git\"}]},
  \"extra_entries\": [{\"full_name\": 5}, {\"name\": \"no-fields\"}, {\"full_name\": \"acme/../x\", \"clone_url\": \"$OWN/a.git\"}]}"
run org --github acme --api-url "$GH" --list
expect_rc 0; [ "$OUT" = "127.0.0.1:$FORGE_PORT/acme/a" ] || fail "only acme/a should be listed: $OUT"
for r in f p s g h n l; do expect_err "acme/$r: skipped: the API gave the clone URL"; done
[ "$(grep -c 'skipped entry' <<<"$ERR")" -eq 3 ] || fail "three bad entries should be skipped: $ERR"

# endless next-page links: the same page again, and new pages forever
forge "{\"next_mode\": \"same\", \"github\": {\"org\": \"acme\", \"repos\": [{\"name\": \"a\", \"clone_url\": \"$OWN/a.git\"}, {\"name\": \"b\", \"clone_url\": \"$OWN/b.git\"}, {\"name\": \"c\", \"clone_url\": \"$OWN/c.git\"}]}}"
run org --github acme --api-url "$GH" --list; expect_rc 4; expect_err "same page"
forge "{\"next_mode\": \"infinite\", \"github\": {\"org\": \"acme\", \"repos\": [{\"name\": \"a\", \"clone_url\": \"$OWN/a.git\"}]}}"
timeout 60 "$AKHOUND" org --github acme --api-url "$GH" --list --max-pages 25 >/dev/null 2>"$TMP/err" \
  && fail "an endless listing was accepted"
grep -q "past 25 pages" "$TMP/err" || fail "no page cap: $(cat "$TMP/err")"
sleep 0.2 # the forge logs a request after answering it
[ "$(grep -c ' 200$' "$FORGE_LOG")" -eq 25 ] || fail "expected 25 pages: $(wc -l < "$FORGE_LOG")"

# an API that redirects elsewhere is not followed (the token would go with it)
: > "$TMP/other.log"
forge "{\"redirect\": \"$OTHER\"}"
run org --github acme --api-url "$GH" --list; expect_rc 4; expect_err "HTTP 302"
[ -s "$TMP/other.log" ] && fail "the API redirect was followed"

# hosts as libcurl sees them: neither of these is a loopback address
run org --github acme --api-url "http://192.0.2.1#@127.0.0.1:$FORGE_PORT/api/v3" --list
expect_rc 4; expect_err "loopback"
run org --github acme --api-url "http://127.evil.example:$FORGE_PORT/api/v3" --list
expect_rc 4; expect_err "loopback"

# --repos-file: what the user writes keeps ssh, git:// and https; file:// and paths are refused
printf '%s\n' "ssh://git@127.0.0.1:1/x.git" "git://127.0.0.1:1/y.git" "https://127.0.0.1:1/z.git" \
  "git@127.0.0.1:w.git" > "$TMP/repos"
run org --repos-file "$TMP/repos" --list; expect_rc 0
[ "$(grep -c . <<<"$OUT")" -eq 4 ] || fail "user-written URLs refused: $OUT $ERR"
for u in "file://$SRV/a.git" "$SRV/a.git" "http://192.0.2.1/a.git"; do
  echo "$u" > "$TMP/repos"
  run org --repos-file "$TMP/repos" --list; expect_rc 4; expect_err "repos:1: not an https, ssh"
done
echo ok
