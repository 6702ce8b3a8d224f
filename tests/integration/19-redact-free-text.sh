# Secrets in free text never leave akhound in clear without --show-secrets: a pair pasted into a
# commit message (it reaches every finding of that commit as its summary), into an annotated tag's
# message and name, a secret in a file name (also the file's content, or only the name, where the
# engine must recognise it by itself), and in a repository's name on the forge. Every report
# format of scan, org, validate and report merge, respond's plan, and the webhook and mail notices
# are searched for every planted secret; --show-secrets still shows them. Also: GitLab reports, the
# HTML page of report html, org's --failures file and its failure lines.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"
. "$AK_TESTS/org/lib.sh"
trap 'emu_stop_all; org_cleanup' EXIT
set -e
resp_start # the emulator knows KU, KB, KO, KR, KF (ids and secrets generated now)
MSG_SEC=$(new_secret) TAG_SEC=$(new_secret) NAME_SEC=$(new_secret)
SECRETS=("$KU_SECRET" "$KB_SECRET" "$KO_SECRET" "$MSG_SEC" "$TAG_SEC" "$NAME_SEC")
ALL=$TMP/all-output
: >"$ALL"
keep() { printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"; } # what the last run printed
check_clean() {                                       # WHAT: no planted secret anywhere in $ALL
  for s in "${SECRETS[@]}"; do
    ! grep -qF -- "$s" "$ALL" || fail "$1: a secret is in the output: $(grep -F -- "$s" "$ALL" | head -3)"
  done
}

# A repository: the pair KU in a file named after its secret, committed with a message whose
# summary holds KB's ID and another secret; a file whose name alone assigns a secret; a tag.
W=$TMP/repo
git init -q -b main "$W"
mkdir -p "$W/keys"
pair "$KU_ID" "$KU_SECRET" >"$W/keys/backup-$KU_SECRET.env"
printf 'id: %s\n' "$KR_ID" >"$W/keys/access_key_secret=$NAME_SEC"
git -C "$W" add -A
git -C "$W" commit -qm "deploy: $KB_ID $MSG_SEC" -m "more text"
git -C "$W" tag -a "rel-$TAG_SEC" -m "release with $KF_ID $TAG_SEC"

for fmt in text json jsonl sarif gitlab; do
  run scan --git --format "$fmt" "$W"; keep
  [ "$RC" = 1 ] || fail "scan --git --format $fmt: exit $RC: $ERR"
  run scan --format "$fmt" "$W"; keep
  run scan --git --format "$fmt" --show-secrets -o "$TMP/shown.$fmt" "$W" # SARIF: never
  [ "$fmt" = sarif ] && cat "$TMP/shown.$fmt" >>"$ALL"
done
check_clean "scan"
grep -qF "$MSG_SEC" "$TMP/shown.jsonl" || fail "--show-secrets hides the commit message's secret"
grep -qF "$KU_SECRET" "$TMP/shown.text" || fail "--show-secrets hides the path"
run scan --git --format jsonl "$W"
jsonl=$OUT
printf '%s\n' "$jsonl" >"$TMP/scan.jsonl"
grep -qF "deploy: $KB_ID ${MSG_SEC:0:3}..." "$TMP/scan.jsonl" || fail "summary not redacted in place: $jsonl"
grep -qF "<tag message rel-${TAG_SEC:0:3}..." "$TMP/scan.jsonl" || fail "tag name not redacted"

# Findings read back without their secrets (as an older writer left them): the engine alone
# recognises what is in the free text.
python3 - "$TMP/shown.jsonl" "$TMP/bare.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for l in open(sys.argv[1]):
        f = json.loads(l)
        for k in ("secret", "security_token", "candidates"):
            f.pop(k, None)
        out.write(json.dumps(f) + "\n")
PY
for in in "$TMP/shown.jsonl" "$TMP/bare.jsonl"; do
  for fmt in text json jsonl; do run validate --format "$fmt" "$in"; keep; done
  for fmt in text json jsonl sarif gitlab; do run report merge --format "$fmt" "$in"; keep; done
  run report html -o "$TMP/page.html" "$in"; keep
  cat "$TMP/page.html" >>"$ALL"
  grep -qF "backup-" "$TMP/page.html" || fail "report html does not name the path"
  run respond --format json "$in"; keep
  run respond "$in"; keep
done
check_clean "validate, report merge, respond"

# Notices: a webhook and a mail per key.
SINK_PIDS=()
for kind in webhook smtp; do
  python3 "$EMU_DIR/sinks.py" "$kind" --port-file "$TMP/$kind.port" --out "$TMP/$kind" &
  EMU_PIDS+=($!)
  for i in $(seq 100); do [ -s "$TMP/$kind.port" ] && break; sleep 0.05; done
done
run respond --apply --notify-webhook "http://127.0.0.1:$(cat "$TMP/webhook.port")/h" \
  --notify-smtp "smtp://127.0.0.1:$(cat "$TMP/smtp.port")" --notify-to sec@example.com \
  --format json "$TMP/bare.jsonl"
keep
[ "$(ls "$TMP/webhook" | grep -c json)" -ge 3 ] || fail "webhook got $(ls "$TMP/webhook"): $ERR"
[ "$(ls "$TMP/smtp" | grep -c eml)" -ge 3 ] || fail "smtp got $(ls "$TMP/smtp")"
grep -qF "backup-" "$TMP"/webhook/*.json || fail "the notices do not name the path"
cat "$TMP"/webhook/* "$TMP"/smtp/* "$AUDIT" >>"$ALL"
check_clean "notifications"

# Forge data: a repository named after the secret it holds, listed by the fake GitHub API.
SRV=$TMP/srv; mkdir -p "$SRV"
make_repo "$SRV" "svc-$KO_SECRET" "$KO_ID" "$KO_SECRET" >/dev/null
start_git_http "$SRV"
TOKEN=tok$(rand_alnum 24)
python3 - "$TMP/forge.json" "$TOKEN" "http://127.0.0.1:$HTTP_PORT" "svc-$KO_SECRET" <<'PY'
import json, sys
json.dump({"token": sys.argv[2], "github": {"org": "acme", "repos": [
    {"name": sys.argv[4], "clone_url": "%s/%s.git" % (sys.argv[3], sys.argv[4])}]}},
    open(sys.argv[1], "w"))
PY
start_forge "$TMP/forge.json"
for fmt in text json jsonl sarif gitlab; do
  GITHUB_TOKEN=$TOKEN run org --github acme --api-url "http://127.0.0.1:$FORGE_PORT/api/v3" \
    --cache "$TMP/cache-$fmt" --format "$fmt"
  keep
  [ "$RC" = 1 ] || fail "org --format $fmt: exit $RC: $ERR"
done
grep -qF "svc-${KO_SECRET:0:3}..." "$ALL" || fail "the repository is not named (redacted)"
check_clean "org"

# A repository that cannot be cloned, named after a secret: --failures and the failure line.
python3 - "$TMP/forge2.json" "$TOKEN" "http://127.0.0.1:$HTTP_PORT" "svc-$KO_SECRET" "gone-$KO_SECRET" <<'PY'
import json, sys
json.dump({"token": sys.argv[2], "github": {"org": "acme", "repos": [
    {"name": n, "clone_url": "%s/%s.git" % (sys.argv[3], n)} for n in sys.argv[4:]]}},
    open(sys.argv[1], "w"))
PY
rm -f "$TMP/forge.port" # a second forge, with the failing repository
start_forge "$TMP/forge2.json"
GITHUB_TOKEN=$TOKEN run org --github acme --api-url "http://127.0.0.1:$FORGE_PORT/api/v3" \
  --cache "$TMP/cache-failed" --format gitlab --failures "$TMP/failures.json"
# Not the lines logged while cloning (retries, the clone error): the secret is known only once
# the scan found it. The closing failure lines are written with the report, redacted.
printf '%s\n' "$OUT" >"$ALL"
grep -F "org: failed:" <<<"$ERR" >>"$ALL" || fail "no failure line: $ERR"
cat "$TMP/failures.json" >>"$ALL"
grep -qF "gone-${KO_SECRET:0:3}..." "$TMP/failures.json" || fail "--failures: $(cat "$TMP/failures.json")"
grep -qF "acme/gone-${KO_SECRET:0:3}..." "$ALL" || fail "failure line not redacted: $ERR"
check_clean "org --failures"
echo ok
