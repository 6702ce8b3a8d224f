# Notifications: a real HTTP listener and a real SMTP listener on loopback receive one notice per
# acted-on key, saying which key, whose, where it was found, what was done (with RequestIds) and
# what a human must do, never a secret; a second run sends nothing; Slack and DingTalk bodies;
# a webhook that answers 500 fails the notify step (exit 2) and the next run sends it.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

SINK_PIDS=()
sink_start() { # KIND NAME [--status N] -> sets SINK_PORT
  local kind=$1 name=$2
  shift 2
  python3 "$EMU_DIR/sinks.py" "$kind" --port-file "$TMP/$name.port" --out "$TMP/$name" "$@" &
  SINK_PIDS+=($!)
  EMU_PIDS+=($!)
  for i in $(seq 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
  SINK_PORT=$(cat "$TMP/$name.port")
}

resp_start
sink_start webhook hook
HOOK=http://127.0.0.1:$SINK_PORT/hook
sink_start smtp mail
SMTP=smtp://127.0.0.1:$SINK_PORT

{
  finding_line access_key_pair "$KU_ID" "$KU_SECRET"
  finding_line access_key_pair "$KB_ID" "$KB_SECRET"
  finding_line access_key_pair "$KR_ID" "$KR_SECRET"
} >"$TMP/pairs.jsonl"
run validate --responder-credentials env --show-secrets "$TMP/pairs.jsonl"
{ echo "$OUT"; id_line "$KF_ID"; } >"$TMP/in.jsonl"

notify=(--notify-webhook "$HOOK" --notify-smtp "$SMTP" --notify-to sec@example.com --notify-to ops@example.com)
run respond "${notify[@]}" "$TMP/in.jsonl"
expect_rc 1
[ -z "$(ls "$TMP/hook")" ] || fail "the dry run notified"
run respond --apply "${notify[@]}" "$TMP/in.jsonl"
expect_rc 0
[ "$(ls "$TMP/hook" | grep -c json)" = 4 ] || fail "webhook got $(ls "$TMP/hook")"
[ "$(ls "$TMP/mail" | grep -c eml)" = 4 ] || fail "smtp got $(ls "$TMP/mail")"

# Every body: parseable, about one key, no secret.
all=$(cat "$TMP"/hook/*.json "$TMP"/mail/*)
for s in "$KU_SECRET" "$KB_SECRET" "$KR_SECRET" "$KF_SECRET" "$RESP_SECRET"; do
  ! grep -qF -- "$s" <<<"$all" || fail "a notification holds a secret"
done
python3 - "$TMP/hook" "$KB_ID" "$KF_ID" "$KR_ID" <<'PY' || fail "webhook content"
import json, os, sys
d, kb, kf, kr = sys.argv[1:5]
bodies = {}
for f in os.listdir(d):
    b = json.load(open(os.path.join(d, f)))
    bodies[b["key_id"]] = b
b = bodies[kb]
assert b["source"] == "akhound" and b["decision"] == "contain", b
assert b["owner"]["user_name"] == "bob", b["owner"]
assert b["locations"][0]["path"] == "conf/app.env", b["locations"]
steps = {s["step"]: s for s in b["actions"]}
assert steps["attach"]["status"] == "done" and steps["attach"]["calls"][-1]["request_id"], steps
assert b["evidence"]["events"] >= 2 and "203.0.113.7" in b["evidence"]["source_ips"], b["evidence"]
assert "Rotate the key" in b["text"] and "RequestId" in b["text"], b["text"]
assert "bind an MFA device" in b["text"], b["text"]
f = bodies[kf]
assert f["decision"] == "notify" and "acme/web" in f["text"] and "Dev One" in f["text"], f["text"]
assert "could not be resolved" in f["text"] or "another account" in f["text"], f["text"]
assert "root-account" in bodies[kr]["text"], bodies[kr]["text"]
PY
grep -q "^RCPT TO:<sec@example.com>" "$TMP"/mail/1.env || fail "smtp envelope: $(cat "$TMP"/mail/1.env)"
grep -l "$KB_ID" "$TMP"/mail/*.eml | head -1 | xargs grep -q "^Subject: \[akhound\] leaked Alibaba Cloud AccessKey $KB_ID" ||
  fail "mail subject"
grep -q "What a human must still do" "$TMP"/mail/1.eml || fail "mail body"

# Second run: nothing new sent.
run respond --apply "${notify[@]}" "$TMP/in.jsonl"
expect_rc 0
[ "$(ls "$TMP/hook" | grep -c json)" = 4 ] || fail "second run notified again"
[ "$(ls "$TMP/mail" | grep -c eml)" = 4 ] || fail "second run mailed again"

# Slack and DingTalk shapes.
id_line "$KR_ID" >"$TMP/kr.jsonl"
sink_start webhook slack
run respond --apply --ledger "$TMP/l2.db" --webhook-format slack --notify-webhook "http://127.0.0.1:$SINK_PORT/x" "$TMP/kr.jsonl"
expect_rc 0
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert list(b)==["text"] and sys.argv[2] in b["text"]' \
  "$TMP/slack/1.json" "$KR_ID" || fail "slack body"
sink_start webhook ding
run respond --apply --ledger "$TMP/l3.db" --webhook-format dingtalk --notify-webhook "http://127.0.0.1:$SINK_PORT/x" "$TMP/kr.jsonl"
expect_rc 0
python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["msgtype"]=="text" and sys.argv[2] in b["text"]["content"]' \
  "$TMP/ding/1.json" "$KR_ID" || fail "dingtalk body"

# A webhook that fails: exit 2, state failed; once it works, the notice goes out once.
sink_start webhook bad --status 500
run respond --apply --ledger "$TMP/l4.db" --notify-webhook "http://127.0.0.1:$SINK_PORT/x" "$TMP/kr.jsonl"
expect_rc 2
expect_out "failed: $KR_ID"
sink_start webhook good
run respond --apply --ledger "$TMP/l4.db" --notify-webhook "http://127.0.0.1:$SINK_PORT/x" "$TMP/kr.jsonl"
expect_rc 0
[ "$(ls "$TMP/good" | grep -c json)" = 1 ] || fail "retry after a failed webhook"
[ "$(sqlite3 "$TMP/l4.db" "select state from keys")" = notified ] || fail "state after notify"
# Plain http to a non-loopback host is refused before anything is sent.
run respond --apply --ledger "$TMP/l5.db" --notify-webhook "http://192.0.2.1/x" "$TMP/kr.jsonl"
expect_rc 2
echo ok
