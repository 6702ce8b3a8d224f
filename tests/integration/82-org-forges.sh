# akhound org through the fake GitHub and GitLab APIs down to findings: clone URLs from the API,
# web links in each forge's style, a corrupt repository that fails while the rest go on, and
# --max-cache eviction that keeps the incremental state.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
SRV=$TMP/srv; mkdir -p "$SRV"
git init -q --bare "$SRV/probe.git"
declare -A ID COMMIT
for r in g1 g2 l1 l2; do
  ID[$r]=$(new_key_id)
  COMMIT[$r]=$(make_repo "$SRV" "$r" "${ID[$r]}" "$(new_secret)")
done
# a corrupt repository: one object of its history is damaged on the server
make_repo "$SRV" bad "$(new_key_id)" "$(new_secret)" >/dev/null
obj=$(git -C "$SRV/bad.git" rev-parse HEAD:config.ini)
git -C "$SRV/bad.git" unpack-objects -q < <(git -C "$SRV/bad.git" pack-objects -q --stdout --all) 2>/dev/null || true
rm -f "$SRV/bad.git"/objects/pack/*
f="$SRV/bad.git/objects/${obj:0:2}/${obj:2}"; chmod u+w "$f"; printf 'garbage' > "$f"
start_git_http "$SRV"
G=http://127.0.0.1:$HTTP_PORT
TOKEN=tok$(rand_alnum 24)
python3 - "$TMP/forge.json" "$TOKEN" "$G" <<'PY'
import json, sys
g = sys.argv[3]
json.dump({"token": sys.argv[2], "page_size": 2,
           "github": {"org": "acme", "repos": [{"name": n, "clone_url": "%s/%s.git" % (g, n)}
                                               for n in ("g1", "g2", "bad")]},
           "gitlab": {"group": "grp", "projects": [{"path": "grp/sub/" + n,
                                                    "clone_url": "%s/%s.git" % (g, n)}
                                                   for n in ("l1", "l2")]}},
          open(sys.argv[1], "w"))
PY
start_forge "$TMP/forge.json"
F=127.0.0.1:$FORGE_PORT

GITHUB_TOKEN=$TOKEN run org --github acme --api-url "http://$F/api/v3" --cache "$TMP/c1" \
  --format jsonl --retries 1 -J 2
expect_rc 2; printf '%s\n' "$OUT" > "$TMP/gh.jsonl"
for r in g1 g2; do
  pyjson "$TMP/gh.jsonl" "[x for x in f if x['access_key_id']=='${ID[$r]}' and x['repository']=='$F/acme/$r' and x['link']=='http://$F/acme/$r/blob/${COMMIT[$r]}/config.ini#L1']"
done
expect_err "failed: $F/acme/bad"; expect_err "3 repositories (2 scanned, 1 failed"
grep -qF "$TOKEN" <<<"$OUT$ERR" && fail "the token was printed"

GITLAB_TOKEN=$TOKEN run org --gitlab grp --api-url "http://$F/api/v4" --cache "$TMP/c2" \
  --format jsonl --max-cache 1K
expect_rc 1; printf '%s\n' "$OUT" > "$TMP/gl.jsonl"
for r in l1 l2; do
  pyjson "$TMP/gl.jsonl" "[x for x in f if x['repository']=='$F/grp/sub/$r' and x['link']=='http://$F/grp/sub/$r/-/blob/${COMMIT[$r]}/config.ini#L1']"
done
# every mirror is over the 1K limit and was evicted; the state files stay
[ -z "$(ls -d "$TMP/c2"/*.git 2>/dev/null)" ] || fail "mirrors not evicted: $(ls "$TMP/c2")"
[ "$(ls "$TMP/c2"/*.akstate | wc -l)" -eq 2 ] || fail "state files lost"
GITLAB_TOKEN=$TOKEN run org --gitlab grp --api-url "http://$F/api/v4" --cache "$TMP/c2" \
  --format jsonl --max-cache 1K
expect_rc 0; expect_err "2 unchanged"
echo ok
