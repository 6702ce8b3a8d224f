# Injection through what akhound reads back or names: an access_key_id holding CRLF (which would
# add a Bcc header to respond's mail) is refused with one line naming the input and line, by
# respond, validate and report merge, while the other findings are still handled; a file name
# holding a newline cannot forge a line on stderr.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"
set -e
resp_start
python3 "$EMU_DIR/sinks.py" smtp --port-file "$TMP/smtp.port" --out "$TMP/mail" &
EMU_PIDS+=($!)
for i in $(seq 100); do [ -s "$TMP/smtp.port" ] && break; sleep 0.05; done
{
  id_line "$KR_ID" | python3 -c '
import json, sys
f = json.loads(sys.stdin.read())
f["access_key_id"] += "\r\nBcc: evil@example.net"
print(json.dumps(f))'
  id_line "$KF_ID"
} >"$TMP/in.jsonl"

run respond --apply --notify-smtp "smtp://127.0.0.1:$(cat "$TMP/smtp.port")" \
  --notify-to sec@example.com "$TMP/in.jsonl"
expect_rc 2
expect_err "$TMP/in.jsonl:1: field 'access_key_id' holds a control character"
[ "$(grep -c . <<<"$ERR")" = 1 ] || fail "expected one line on stderr: $ERR"
! grep -qi "^Bcc:" "$TMP"/mail/*.eml 2>/dev/null || fail "a mail carries an injected header"
! grep -qi "evil@" "$TMP"/mail/* 2>/dev/null || fail "the injected address reached the mail"
grep -lq "$KF_ID" "$TMP"/mail/*.eml || fail "the good finding was not handled: $(ls "$TMP/mail")"

for cmd in "validate" "report merge"; do
  run $cmd "$TMP/in.jsonl"
  expect_rc 2
  expect_err "$TMP/in.jsonl:1: field 'access_key_id' holds a control character"
  ! grep -q "evil@" <<<"$OUT" || fail "$cmd wrote the injected text"
done
# in a JSON array, and in other naming fields, too
python3 - "$TMP/in.jsonl" "$TMP/arr.json" <<'PY'
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
f[1]["commit"]["id"] = "0123\n4567"
json.dump(f, open(sys.argv[2], "w"), indent=1)
PY
run report merge "$TMP/arr.json"
expect_rc 2
expect_err "field 'access_key_id' holds a control character"
expect_err "field 'id' holds a control character"

# A name with a newline cannot start a line of its own on stderr.
mkdir "$TMP/tree"
mkfifo "$TMP/tree/$(printf 'pipe\nakhound: error: forged')"
run scan "$TMP/tree"
! grep -q "^akhound: error: forged" <<<"$ERR" || fail "a file name forged a stderr line: $ERR"
expect_err 'pipe\x0aakhound: error: forged'
echo ok
