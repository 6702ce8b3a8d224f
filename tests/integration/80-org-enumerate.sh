# akhound org enumeration against fake GitHub and GitLab APIs on loopback: pagination, rate-limit
# answers waited out, tokens checked and never printed, filters, shards, --api-url checks.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
TOKEN=tok$(rand_alnum 24)
python3 - "$TMP/forge.json" "$TOKEN" <<'PY'
import json, sys
repos = [{"name": "r%02d" % i, "clone_url": "http://127.0.0.1:1/r%02d.git" % i} for i in range(7)]
repos.append({"name": "forked", "clone_url": "http://127.0.0.1:1/forked.git", "fork": True})
repos.append({"name": "old", "clone_url": "http://127.0.0.1:1/old.git", "archived": True})
projects = [{"path": "grp/%s/p%d" % (sub, i), "clone_url": "http://127.0.0.1:1/p%d.git" % i}
            for i, sub in enumerate(["a", "a", "b", "b/c", "b/c"])]
projects.append({"path": "grp/f", "clone_url": "http://127.0.0.1:1/f.git", "fork": True})
json.dump({"token": sys.argv[2], "page_size": 3, "github": {"org": "acme", "repos": repos},
           "gitlab": {"group": "grp", "projects": projects},
           "github_rate_limit_page": 2, "gitlab_rate_limit_page": 2}, open(sys.argv[1], "w"))
PY
start_forge "$TMP/forge.json"
GH=http://127.0.0.1:$FORGE_PORT/api/v3
GL=http://127.0.0.1:$FORGE_PORT/api/v4
H=127.0.0.1:$FORGE_PORT

# GitHub: 9 repositories over 3 pages, page 2 first answered 403 (rate limit, reset ~2 s ahead)
export GITHUB_TOKEN=$TOKEN
start=$(date +%s.%N)
run org --github acme --api-url "$GH" --list
expect_rc 0
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
for i in 0 1 2 3 4 5 6; do expect_out "$H/acme/r0$i"; done
expect_not_out forked; expect_not_out "acme/old"
[ "$(grep -c . <<<"$OUT")" -eq 7 ] || fail "expected 7 repositories: $OUT"
expect_err "rate limit"
awk -v s="$secs" 'BEGIN{exit !(s >= 1)}' || fail "the rate-limit reset was not waited for ($secs s)"
[ "$(grep -c ' 403$' "$FORGE_LOG")" -eq 1 ] || fail "expected one 403: $(cat "$FORGE_LOG")"
[ "$(grep -c 'repos.*page=3 200$' "$FORGE_LOG")" -eq 1 ] || fail "page 3 not fetched: $(cat "$FORGE_LOG")"
grep -qF "$TOKEN" <<<"$OUT$ERR" && fail "the token was printed"
grep -qF "$TOKEN" "$FORGE_LOG" && fail "the token reached the log"

# filters
run org --github acme --api-url "$GH" --list --include-forks --include-archived
expect_rc 0; expect_out "$H/acme/forked"; expect_out "$H/acme/old"
run org --github acme --api-url "$GH" --list --exclude 'r0[0-4]' --exclude 'acme/r06'
expect_rc 0; expect_out "$H/acme/r05"; expect_not_out "r00"; expect_not_out "r06"
[ "$(grep -c . <<<"$OUT")" -eq 1 ] || fail "exclude: $OUT"

# a wrong token: an error naming the status, never the token
GITHUB_TOKEN=bad$TOKEN run org --github acme --api-url "$GH" --list
expect_rc 4; expect_err "HTTP 401"; grep -qF "$TOKEN" <<<"$ERR" && fail "token in an error"

# GitLab: subgroups, X-Next-Page, a 429 with Retry-After
unset GITHUB_TOKEN; export GITLAB_TOKEN=$TOKEN
run org --gitlab grp --api-url "$GL" --list
expect_rc 0
for p in a/p0 a/p1 b/p2 b/c/p3 b/c/p4; do expect_out "$H/grp/$p"; done
expect_not_out "grp/f"
[ "$(grep -c ' 429$' "$FORGE_LOG")" -eq 1 ] || fail "expected one 429"
run org --gitlab grp --api-url "$GL" --list --include-forks; expect_out "$H/grp/f"

# shards: for N = 1..6 the shards of the GitHub list are disjoint and cover it
export GITHUB_TOKEN=$TOKEN
run org --github acme --api-url "$GH" --list --include-forks --include-archived
all=$(sort <<<"$OUT")
for n in 1 2 3 4 5 6; do
  : > "$TMP/union"
  for k in $(seq 0 $((n - 1))); do
    run org --github acme --api-url "$GH" --list --include-forks --include-archived --shard "$k/$n"
    expect_rc 0; [ -n "$OUT" ] && printf '%s\n' "$OUT" >> "$TMP/union"
  done
  [ "$(sort "$TMP/union")" = "$all" ] || fail "shards of $n do not cover the list exactly once"
done
run org --github acme --api-url "$GH" --list --shard 3/3; expect_rc 2

# plain http is for loopback only; a bad organization name never reaches a URL
run org --github acme --api-url http://example.invalid/api/v3 --list
expect_rc 4; expect_err "loopback"
run org --github 'acme/../x' --api-url "$GH" --list; expect_rc 4
echo ok
