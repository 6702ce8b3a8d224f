# Idempotent by reading back: when a write takes effect but its answer is lost (connection reset
# or HTTP 500 after the emulator carried it out), respond never repeats it; it reads the state back
# (ListAccessKeys, GetPolicy, ListPoliciesForUser), counts the step done, and the audit log names
# the RequestId of the call that took effect (found in ActionTrail). Also: a key validated
# inactive is reported, not disabled again, and deleted with --delete-unused; errors name the
# responder's credentials as such, not like a leaked key.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
{ id_line "$KU_ID"; id_line "$KB_ID"; } >"$TMP/in.jsonl"
lost() { # ACTION [KIND]: the next call of ACTION takes effect, its answer is lost
  printf '{"kind": "%s", "status": 500, "code": "InternalError", "action": "%s", "count": 1, "after_effect": true}' \
    "${2:-reset}" "$1"
}
rules() { local IFS=,; echo "{\"rules\": [$*]}"; }
# audit_rid ACTION: the RequestId the audit log gives for a read-back ACTION
audit_rid() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["action"] == sys.argv[2] and "read back" in (e.get("detail") or ""):
        print(e.get("request_id") or "")' "$AUDIT" "$1"
}
event_rid() { emu_q "[e.get('requestId') for e in s['events'] if e['eventName'] == '$1'][0]"; }

for kind in reset status; do
  rm -rf "$TMP/home"
  emu_reset "$TMP/e.state.json" "$(rules "$(lost UpdateAccessKey $kind)" "$(lost CreatePolicy $kind)" "$(lost AttachPolicyToUser $kind)")"
  run respond --apply --format json "$TMP/in.jsonl"
  expect_rc 0
  [ "$(emu_q w "status('$KU_ID')" "pol('bob')")" = '{"AttachPolicyToUser": 1, "CreatePolicy": 1, "UpdateAccessKey": 1}
Inactive
['"'"'akhound-leaked-key-deny'"'"']' ] || fail "$kind: $(emu_q w "status('$KU_ID')" "pol('bob')")"
  for a in UpdateAccessKey CreatePolicy AttachPolicyToUser; do
    [ "$(audit_rid $a)" = "$(event_rid $a)" ] || fail "$kind $a: audit RequestId '$(audit_rid $a)', event '$(event_rid $a)'"
  done
done

# A new policy version whose answer is lost: one version, not three.
other_policy "$TMP/e.state.json" "$TMP/p.state.json"
rm -rf "$TMP/home"
emu_reset "$TMP/p.state.json" "$(rules "$(lost CreatePolicyVersion)")"
id_line "$KB_ID" >"$TMP/kb.jsonl"
run respond --apply "$TMP/kb.jsonl"
expect_rc 0
[ "$(emu_q w "len(s['policies'][0]['versions'])")" = '{"AttachPolicyToUser": 1, "CreatePolicyVersion": 1}
2' ] || fail "policy version: $(emu_q w "len(s['policies'][0]['versions'])")"

# A deletion whose answer is lost; then the same key run again: nothing more.
rm -rf "$TMP/home"
emu_reset "$TMP/e.state.json" "$(rules "$(lost DeleteAccessKey)")"
id_line "$KU_ID" >"$TMP/ku.jsonl"
run respond --apply --delete-unused "$TMP/ku.jsonl"
expect_rc 0
[ "$(emu_q w "status('$KU_ID')")" = '{"DeleteAccessKey": 1, "UpdateAccessKey": 1}
absent' ] || fail "delete: $(emu_q w "status('$KU_ID')")"
[ "$(audit_rid DeleteAccessKey)" = "$(event_rid DeleteAccessKey)" ] || fail "delete RequestId"

# A key already inactive (validation said so): no UpdateAccessKey, reported, deleted on request.
rm -rf "$TMP/home"
python3 - "$TMP/e.state.json" "$TMP/i.state.json" "$KU_ID" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
[k.update(status="Inactive") for k in s["access_keys"] if k["id"] == sys.argv[3]]
json.dump(s, open(sys.argv[2], "w"))
PY
emu_reset "$TMP/i.state.json"
id_line "$KU_ID" "$(iso_ago 60)" inactive >"$TMP/ki.jsonl"
run respond --apply --format json "$TMP/ki.jsonl"
expect_rc 0
grep -q "already inactive: no change made" <<<"$OUT" || fail "inactive: $OUT"
[ "$(resp_writes)" = "{}" ] || fail "inactive: wrote $(resp_writes)"
run respond --apply --delete-unused "$TMP/ki.jsonl"
expect_rc 0
[ "$(emu_q w "status('$KU_ID')")" = '{"DeleteAccessKey": 1}
absent' ] || fail "inactive delete: $(emu_q w "status('$KU_ID')")"

# An unanswered read names the responder's credentials, not a bare key ID.
rm -rf "$TMP/home"
emu_reset "$TMP/e.state.json" '{"rules": [{"kind": "reset", "action": "GetUser", "count": -1}]}'
run respond --retries 0 --format json "$TMP/ku.jsonl"
expect_rc 2
grep -q "GetUser with the responder's credentials at" <<<"$OUT" || fail "error wording: $OUT"
! grep -q "for $RESP_ID" <<<"$OUT$ERR" || fail "error names the responder's key like a leaked one"
echo ok
