# Failures are explicit: throttling that recovers is invisible; throttling that never recovers
# and a responder without permission (NoPermission) fail the key (state
# "failed" in the report and the ledger, listed in the summary, exit 2) and nothing is reported
# done that was not; a later run once the cause is gone finishes the work. A key deleted by
# someone else between runs is reported gone, not deleted again.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
{ id_line "$KU_ID"; id_line "$KB_ID"; } >"$TMP/in.jsonl"
ledger_state() { sqlite3 "$LEDGER" "select state from keys where key_id='$1'"; }

# Throttled twice, then served: the retries are invisible.
emu_reset "$TMP/e.state.json" '{"rules": [{"kind": "throttle", "action": "UpdateAccessKey", "count": 2, "retry_after_ms": 20}]}'
run respond --apply "$TMP/in.jsonl"
expect_rc 0
[ "$(emu_q "status('$KU_ID')" "s and 1")" = "Inactive
1" ] || fail "throttled disable did not recover"

# Throttled for ever: the attach fails, the key is failed, nothing claims containment.
emu_reset "$TMP/e.state.json" '{"rules": [{"kind": "throttle", "action": "AttachPolicyToUser", "count": -1, "retry_after_ms": 10}]}'
rm -rf "$TMP/home"
run respond --apply --retries 2 --format json "$TMP/in.jsonl"
expect_rc 2
[ "$(jq_key "$KB_ID" state)" = failed ] || fail "KB state $(jq_key "$KB_ID" state)"
jq_key "$KB_ID" error | grep -q "Throttling" || fail "KB error: $(jq_key "$KB_ID" error)"
[ "$(jq_key "$KU_ID" state)" = disabled ] || fail "KU should still be handled"
[ "$(ledger_state "$KB_ID")" = failed ] || fail "ledger KB: $(ledger_state "$KB_ID")"
python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["summary"]["failed"] == 1, r["summary"]' <<<"$OUT" ||
  fail "summary"
grep -q '"action":"AttachPolicyToUser".*"outcome":"failed"' "$AUDIT" || fail "audit lacks the failed attach"
run respond --apply "$TMP/in.jsonl"
expect_rc 2
expect_out "failed: $KB_ID"
# The cause goes away: the next run attaches, without a second policy.
emu_ctl PUT faults '{}' >/dev/null
run respond --apply "$TMP/in.jsonl"
expect_rc 0
[ "$(ledger_state "$KB_ID")" = contained ] || fail "KB not contained after recovery"
[ "$(emu_q "pol('bob')" "len(s['policies'])")" = "['akhound-leaked-key-deny']
1" ] || fail "after recovery"

# NoPermission: the responder may not call UpdateAccessKey.
python3 - "$TMP/e.state.json" "$TMP/np.state.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for u in s["users"]:
    if u["name"] == "responder":
        u["deny_actions"] = ["UpdateAccessKey"]
json.dump(s, open(sys.argv[2], "w"))
PY
emu_reset "$TMP/np.state.json"
rm -rf "$TMP/home"
run respond --apply --format json "$TMP/in.jsonl"
expect_rc 2
jq_key "$KU_ID" error | grep -q NoPermission || fail "KU error: $(jq_key "$KU_ID" error)"
[ "$(jq_key "$KU_ID" state)" = failed ] || fail "KU state"
[ "$(jq_key "$KB_ID" state)" = contained ] || fail "KB should be contained"
[ "$(emu_q "status('$KU_ID')")" = Active ] || fail "KU changed"
[ "$(ledger_state "$KU_ID")" = failed ] || fail "ledger KU"
# A failed resolve (no permission for IMS GetUser) fails the key before any decision.
python3 - "$TMP/e.state.json" "$TMP/np2.state.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for u in s["users"]:
    if u["name"] == "responder":
        u["deny_actions"] = ["GetUser"]
json.dump(s, open(sys.argv[2], "w"))
PY
emu_reset "$TMP/np2.state.json"
rm -rf "$TMP/home"
run respond --format json "$TMP/in.jsonl"
expect_rc 2
jq_key "$KU_ID" error | grep -q NoPermission || fail "resolve error: $(jq_key "$KU_ID" error)"

# The user is deleted between the run that disabled the key and the one that deletes it.
emu_reset "$TMP/e.state.json"
rm -rf "$TMP/home"
id_line "$KU_ID" >"$TMP/ku.jsonl"
run respond --apply "$TMP/ku.jsonl"
expect_rc 0
emu_ctl PUT state "$(emu_ctl GET state | python3 -c '
import json, sys
s = json.load(sys.stdin)
s["users"] = [u for u in s["users"] if u["name"] != "alice"]
s["access_keys"] = [k for k in s["access_keys"] if k.get("user") != "alice"]
print(json.dumps(s))')" >/dev/null
emu_ctl POST reset >/dev/null
run respond --apply --delete-unused --format json "$TMP/ku.jsonl"
expect_rc 0
# Decided afresh (a delete needs a fresh read): the key is gone, nothing left to delete.
[ "$(jq_key "$KU_ID" decision)" = none ] || fail "deleted user: $(jq_key "$KU_ID" decision)"
jq_key "$KU_ID" facts | grep -q "no longer exists" || fail "deleted user: $(jq_key "$KU_ID" facts)"
[ "$(resp_writes)" = "{}" ] || fail "deleted user: wrote $(resp_writes)"
echo ok
