# akhound rotate: a dry run changes nothing; a user with two keys already is told which must go
# first; --apply creates one new key for the same user and hands its secret only to a 0600 file
# (never to output, ledger or audit log); re-running creates nothing. --finish refuses while the
# new key is unused or the old key is used after the new key's first use (naming the source IP),
# goes on with --force, disables the old key, and detaches the Deny policy only after --delete
# deleted it. kill -9 while CreateAccessKey's answer is in flight (the key made, its secret never
# seen): the next run deletes that key and creates another, so the user keeps the old key and one
# new key whose secret is in the file. Runs that act send a notice (never the secret).
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
jqo() { python3 -c 'import json,sys; r=json.load(sys.stdin); print(r.get(sys.argv[1]))' "$1" <<<"$OUT"; }
bob_keys() { emu_q "sorted(k['id'] for k in s['access_keys'] if k.get('user') == 'bob')"; }
# workload_call KEY SECRET: an STS call signed with the pair, as a workload would make it
workload_call() {
  python3 - "$EMU_DIR" "$EMU_URL" "$1" "$2" <<'PY'
import sys, urllib.request, uuid, datetime
sys.path.insert(0, sys.argv[1])
from emulator import v1_signature, pct
key, secret = sys.argv[3], sys.argv[4]
p = [("AccessKeyId", key), ("Action", "GetCallerIdentity"), ("Format", "JSON"),
     ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", str(uuid.uuid4())), ("SignatureVersion", "1.0"),
     ("Timestamp", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
     ("Version", "2015-04-01")]
p.append(("Signature", v1_signature(secret, "POST", p)[0]))
req = urllib.request.Request(sys.argv[2] + "/sts/?" + "&".join(pct(k) + "=" + pct(v) for k, v in p),
                             data=b"", method="POST", headers={"User-Agent": "workload/1.0"})
urllib.request.urlopen(req).read()
PY
}
no_secret_leaked() { # SECRET
  ! grep -qF -- "$1" <<<"$OUT$ERR$(cat "$AUDIT" 2>/dev/null)$(sqlite3 "$LEDGER" .dump 2>/dev/null)" ||
    fail "the new secret leaked"
}

python3 "$EMU_DIR/sinks.py" webhook --port-file "$TMP/hook.port" --out "$TMP/hook" &
EMU_PIDS+=($!)
for i in $(seq 100); do [ -s "$TMP/hook.port" ] && break; sleep 0.05; done
HOOK=http://127.0.0.1:$(cat "$TMP/hook.port")/hook
hook_texts() { cat "$TMP"/hook/*.json 2>/dev/null; }

# Contain KB first, as respond does for a key in use.
id_line "$KB_ID" >"$TMP/kb.jsonl"
run respond --apply "$TMP/kb.jsonl"
expect_rc 0
[ "$(user_policies bob)" = "['akhound-leaked-key-deny']" ] || fail "bob not contained"
emu_ctl POST reset >/dev/null

run rotate "$KB_ID" --secret-file "$TMP/new.json"
expect_rc 1
expect_out "step rotate_create: planned"
[ ! -e "$TMP/new.json" ] && [ "$(resp_writes)" = "{}" ] || fail "dry run wrote"
run rotate "$KB_ID" --apply
expect_rc 2
expect_err "--secret-file"

# Two keys already: say which must go first, change nothing.
python3 - "$TMP/e.state.json" "$TMP/two.state.json" "$ACCT" "$(new_key_id)" "$(new_secret)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["access_keys"].append({"id": sys.argv[4], "secret": sys.argv[5], "account": sys.argv[3], "user": "bob"})
s["users"] = [dict(u, policies=[{"name": "akhound-leaked-key-deny", "type": "Custom"}]) if u["name"] == "bob" else u for u in s["users"]]
json.dump(s, open(sys.argv[2], "w"))
PY
K2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_keys"][-1]["id"])' "$TMP/two.state.json")
cp "$LEDGER" "$TMP/ledger.keep"
emu_ctl GET state >"$TMP/contained.state.json"
emu_reset "$TMP/two.state.json"
run rotate "$KB_ID" --apply --secret-file "$TMP/new.json" --format json
expect_rc 2
jqo stopped | grep -q "already has two AccessKeys.*$K2 must go first" || fail "two keys: $(jqo stopped)"
[ "$(resp_writes)" = "{}" ] && [ ! -e "$TMP/new.json" ] || fail "two keys: wrote"

# The rotation proper.
emu_reset "$TMP/contained.state.json"
run rotate "$KB_ID" --apply --secret-file "$TMP/new.json" --notify-webhook "$HOOK" --format json
expect_rc 0
[ "$(ls "$TMP/hook" | wc -l)" = 1 ] || fail "rotation not announced"
[ "$(stat -c %a "$TMP/new.json")" = 600 ] || fail "secret file mode"
NEW=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccessKeyId"])' "$TMP/new.json")
NEW_SECRET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccessKeySecret"])' "$TMP/new.json")
[ "$(jqo new_key_id)" = "$NEW" ] || fail "new key id"
[ "$(emu_q "[k['secret'] for k in s['access_keys'] if k['id'] == '$NEW'][0]")" = "$NEW_SECRET" ] || fail "file secret"
no_secret_leaked "$NEW_SECRET"
hook_texts | grep -q "Switch the workload to $NEW" || fail "notice: $(hook_texts)"
! hook_texts | grep -qF -- "$NEW_SECRET" || fail "the notice holds the new secret"
run rotate "$KB_ID" --apply --secret-file "$TMP/new.json" --notify-webhook "$HOOK"
expect_rc 0
[ "$(ls "$TMP/hook" | wc -l)" = 1 ] || fail "a run that did nothing notified"
[ "$(resp_writes)" = '{"CreateAccessKey": 1}' ] || fail "re-run wrote: $(resp_writes)"

# --finish: the new key is unused yet.
run rotate --finish "$KB_ID" --apply --format json
expect_rc 2
jqo stopped | grep -q "has not been used yet" || fail "unused new key: $(jqo stopped)"
# The workload switches, but the old key is used afterwards (say, by someone probing the leak).
workload_call "$NEW" "$NEW_SECRET"
sleep 1
workload_call "$KB_ID" "$KB_SECRET"
run rotate --finish "$KB_ID" --apply --format json
expect_rc 2
jqo stopped | grep -q "was used after the new key's first use.*127.0.0.1" || fail "old key used: $(jqo stopped)"
[ "$(emu_q "status('$KB_ID')")" = Active ] || fail "disabled despite use"
run rotate --finish "$KB_ID" --apply --force --format json
expect_rc 0
[ "$(emu_q "status('$KB_ID')" "pol('bob')")" = "Inactive
['akhound-leaked-key-deny']" ] || fail "finish: $(emu_q "status('$KB_ID')" "pol('bob')")"
jqo note | grep -q "applies to the new key $NEW too" || fail "note: $(jqo note)"
run rotate --finish --delete "$KB_ID" --apply --notify-webhook "$HOOK" --format json
expect_rc 0
hook_texts | grep -q "Rotation of $KB_ID is complete" || fail "completion not announced"
[ "$(emu_q "status('$KB_ID')" "pol('bob')" "status('$NEW')")" = "absent
[]
Active" ] || fail "delete: $(emu_q "status('$KB_ID')" "pol('bob')")"
grep -q '"action":"DetachPolicyFromUser".*"outcome":"ok"' "$AUDIT" || fail "audit: detach"
run rotate --finish --delete "$KB_ID" --apply
expect_rc 0

# kill -9 while CreateAccessKey's answer is in flight: the key exists, its secret reached nobody.
emu_reset "$TMP/contained.state.json" '{"rules": [{"kind": "hang", "ms": 20000, "action": "CreateAccessKey", "count": 1, "after_effect": true}]}'
cp "$TMP/ledger.keep" "$LEDGER"
rm -f "$TMP/new.json" "$LEDGER-wal" "$LEDGER-shm"
"$AKHOUND" rotate "$KB_ID" --apply --secret-file "$TMP/new.json" >"$TMP/bg.out" 2>&1 &
pid=$!
for i in $(seq 200); do [ "$(bob_keys | tr -cd ',' | wc -c)" = 1 ] && break; sleep 0.05; done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ ! -e "$TMP/new.json" ] || fail "the secret file exists after kill -9"
orphan=$(emu_q "[k['id'] for k in s['access_keys'] if k.get('user') == 'bob' and k['id'] != '$KB_ID'][0]")
emu_ctl PUT faults '{}' >/dev/null
run rotate "$KB_ID" --apply --secret-file "$TMP/new.json" --format json
expect_rc 0
NEW=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccessKeyId"])' "$TMP/new.json")
[ "$NEW" != "$orphan" ] || fail "the orphan was adopted without its secret"
[ "$(bob_keys)" = "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "$KB_ID" "$NEW")" ] || fail "bob's keys: $(bob_keys)"
grep -q "\"step\":\"rotate_create\",\"action\":\"DeleteAccessKey\"" "$AUDIT" || fail "orphan deletion not audited"
echo ok
