# Helpers for the respond integration tests. Source after tests/lib/common.sh and emulator/lib.sh.
# resp_state FILE   a state for respond (variables below), keys generated now:
#   ACCT (alias acme), ACCT2 (another account). RAM users of ACCT: alice (KU: never used),
#   bob (KB: used 2 days ago, ActionTrail events from 203.0.113.7, console logon without MFA),
#   carol (KO: last used 60 days ago, MFA bound), responder (RESP_ID/RESP_SECRET: the responder's
#   own key). KR: ACCT's root key. KF: a key of mallory in ACCT2.
# resp_env          points akhound at the emulator ($EMU_URL) with the responder's credentials,
#                   HOME in $TMP, and sets LEDGER/AUDIT paths.
# id_line ID [CHECKED_AT STATUS [ACCOUNT TYPE ARN]]  one JSONL finding holding only an ID
# emu_py EXPR       evaluates a Python expression over the emulator state `s`, prints the result
# resp_writes       count of state-changing RAM/IMS calls the emulator served, as JSON by action
#                   (CreateAccessKey included)

iso_ago() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }

resp_state() {
  ACCT=1234567890123456 ACCT2=6543210987654321
  KU_ID=$(new_key_id) KU_SECRET=$(new_secret)
  KB_ID=$(new_key_id) KB_SECRET=$(new_secret)
  KO_ID=$(new_key_id) KO_SECRET=$(new_secret)
  KR_ID=$(new_key_id) KR_SECRET=$(new_secret)
  KF_ID=$(new_key_id) KF_SECRET=$(new_secret)
  RESP_ID=$(new_key_id) RESP_SECRET=$(new_secret)
  local used2d old60 ev1 ev2
  used2d=$(iso_ago 172800) old60=$(iso_ago 5184000) ev1=$(iso_ago 90000) ev2=$(iso_ago 86400)
  cat >"$1" <<JSON
{"accounts": [{"id": "$ACCT", "alias": "acme"}, {"id": "$ACCT2", "alias": "other"}],
 "users": [
  {"account": "$ACCT", "name": "alice", "id": "276543210987601"},
  {"account": "$ACCT", "name": "bob", "id": "276543210987602", "login_profile": {"status": "Active"}},
  {"account": "$ACCT", "name": "carol", "id": "276543210987603", "mfa": {"type": "VMFA"}},
  {"account": "$ACCT", "name": "responder", "id": "276543210987604"},
  {"account": "$ACCT2", "name": "mallory", "id": "276543210987605"}],
 "access_keys": [
  {"id": "$KU_ID", "secret": "$KU_SECRET", "account": "$ACCT", "user": "alice"},
  {"id": "$KB_ID", "secret": "$KB_SECRET", "account": "$ACCT", "user": "bob", "last_used": "$used2d", "last_used_service": "Ecs"},
  {"id": "$KO_ID", "secret": "$KO_SECRET", "account": "$ACCT", "user": "carol", "last_used": "$old60"},
  {"id": "$KR_ID", "secret": "$KR_SECRET", "account": "$ACCT", "user": null},
  {"id": "$KF_ID", "secret": "$KF_SECRET", "account": "$ACCT2", "user": "mallory"},
  {"id": "$RESP_ID", "secret": "$RESP_SECRET", "account": "$ACCT", "user": "responder"}],
 "events": [
  {"eventId": "e1", "eventName": "DescribeInstances", "eventTime": "$ev1", "serviceName": "Ecs", "eventRW": "Read",
   "sourceIpAddress": "203.0.113.7", "userIdentity": {"type": "ram-user", "accountId": "$ACCT", "accessKeyId": "$KB_ID", "userName": "bob"}},
  {"eventId": "e2", "eventName": "ListBuckets", "eventTime": "$ev2", "serviceName": "Oss", "eventRW": "Read",
   "sourceIpAddress": "198.51.100.9", "userIdentity": {"type": "ram-user", "accountId": "$ACCT", "accessKeyId": "$KB_ID", "userName": "bob"}}]}
JSON
}

resp_env() {
  local p
  for p in STS RAM IMS ACTIONTRAIL; do
    export "AKHOUND_${p}_ENDPOINT=$EMU_URL/$(tr 'A-Z' 'a-z' <<<"$p")"
  done
  export ALIBABA_CLOUD_ACCESS_KEY_ID=$RESP_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET=$RESP_SECRET
  export ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true HOME=$TMP/home
  unset ALIBABA_CLOUD_SECURITY_TOKEN XDG_STATE_HOME
  LEDGER=$TMP/home/.local/state/akhound/ledger.db AUDIT=$TMP/home/.local/state/akhound/audit.jsonl
}

id_line() {
  python3 - "$@" <<'PY'
import json, sys
a = sys.argv[1:] + [""] * 6
kid, at, st, acct, typ, arn = a[:6]
v = None
if at:
    v = {"status": st, "identity_type": typ or None, "account_id": acct or None, "arn": arn or None,
         "principal_id": None, "checked_at": at, "detail": None}
print(json.dumps({"rule": "alibaba-test", "kind": "access_key_id", "access_key_id": kid,
                  "secret_redacted": None, "secret_sha256": None, "path": "deploy/ci.yml",
                  "line": 12, "column": 5, "repository": "acme/web",
                  "commit": {"id": "0123456789abcdef0123456789abcdef01234567", "author": "Dev One",
                             "email": "dev@example.com", "date": "2024-05-01T10:00:00Z",
                             "summary": "add ci"},
                  "blob": None, "encoding": "plain", "validation": v}))
PY
}

emu_py() {
  emu_ctl GET state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

key_status() { emu_py "[k.get('status') for k in s['access_keys'] if k['id']=='$1'] or ['absent']" | tr -d "[]'"; }
user_policies() { emu_py "[a['name'] for u in s['users'] if u['name']=='$1' for a in u['policies']]"; }

resp_writes() {
  emu_ctl GET counters | python3 -c '
import json, sys
d = json.load(sys.stdin)["by_action"]
w = ["UpdateAccessKey", "DeleteAccessKey", "CreatePolicy", "CreatePolicyVersion", "AttachPolicyToUser", "DetachPolicyFromUser", "CreateAccessKey"]
print(json.dumps({a: d.get(a, 0) for a in w if d.get(a, 0)}, sort_keys=True))'
}

# emu_q EXPR...  one line per expression, evaluated over the state `s` and the write counters `w`
# (as resp_writes prints them), fetched once (one Python start instead of one per question).
emu_q() {
  python3 - "$EMU_URL" "$@" <<'PY'
import json, sys, urllib.request
base = sys.argv[1] + "/_emulator/"
s = json.load(urllib.request.urlopen(base + "state"))
d = json.load(urllib.request.urlopen(base + "counters"))["by_action"]
names = ["UpdateAccessKey", "DeleteAccessKey", "CreatePolicy", "CreatePolicyVersion",
         "AttachPolicyToUser", "DetachPolicyFromUser", "CreateAccessKey"]
w = json.dumps({a: d.get(a, 0) for a in names if d.get(a, 0)}, sort_keys=True)
status = lambda kid: ([k.get("status") for k in s["access_keys"] if k["id"] == kid] or ["absent"])[0]
pol = lambda user: [a["name"] for u in s["users"] if u["name"] == user for a in u["policies"]]
for e in sys.argv[2:]:
    print(eval(e))
PY
}

# emu_reset FILE [FAULTS_JSON]  state from FILE, counters zeroed, faults set (default none).
emu_reset() {
  python3 - "$EMU_URL" "$1" "${2:-{\}}" <<'PY'
import sys, urllib.request
base = sys.argv[1] + "/_emulator/"
for path, method, data in (("state", "PUT", open(sys.argv[2], "rb").read()), ("reset", "POST", b""),
                           ("faults", "PUT", sys.argv[3].encode())):
    urllib.request.urlopen(urllib.request.Request(base + path, data=data, method=method)).read()
PY
}

# The usual start of a respond test: the shared state, one emulator "e", the responder's env.
resp_start() {
  resp_state "$TMP/e.state.json"
  emu_start e
  resp_env
}

# jq_key KEY FIELD   one field of KEY's entry in the JSON respond report in $OUT
jq_key() {
  python3 -c 'import json,sys; r=json.load(sys.stdin); print([k.get(sys.argv[2]) for k in r["keys"] if k["key_id"]==sys.argv[1]][0])' "$1" "$2" <<<"$OUT"
}

# state_edit PYTHON [IN [OUT]]  runs PYTHON over the state `s` of IN (default $TMP/e.state.json)
# into OUT (default $TMP/x.state.json); key(ID) is that AccessKey's object.
state_edit() {
  python3 - "${2:-$TMP/e.state.json}" "${3:-$TMP/x.state.json}" "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
key = lambda kid: [k for k in s["access_keys"] if k["id"] == kid][0]
exec(sys.argv[3])
json.dump(s, open(sys.argv[2], "w"))
PY
}

# other_policy IN OUT  the state IN, plus a policy akhound-leaked-key-deny of ACCT holding
# another document than the Deny policy.
other_policy() {
  state_edit "s['policies'] = [{'account': '$ACCT', 'name': 'akhound-leaked-key-deny', 'type': 'Custom',
  'default_version': 'v1', 'created': '2024-01-01T00:00:00Z', 'next_version': 2,
  'versions': [{'id': 'v1', 'created': '2024-01-01T00:00:00Z', 'document': '{\"Version\":\"1\",\"Statement\":[]}'}]}]" "$1" "$2"
}
