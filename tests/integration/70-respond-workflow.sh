# akhound respond against the emulator: the dry run changes nothing; --apply disables unused keys
# (our own validation call is not use when validate read the last use before it, with
# --responder-credentials; an ID-only finding is resolved through IMS), contains a key
# in use with the exact Deny policy (created once, attached once), notifies only for root and
# other-account keys, leaves dead keys alone; a second run makes no call at all; --delete-unused
# deletes the disabled keys; a policy of that name with another document gets a new default
# version. Ledger and audit log are mode 0600 and hold no secret.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
KN_ID=$(new_key_id) KN_SECRET=$(new_secret)
{
  finding_line access_key_pair "$KU_ID" "$KU_SECRET"
  finding_line access_key_pair "$KU_ID" "$KU_SECRET"
  finding_line access_key_pair "$KB_ID" "$KB_SECRET"
  finding_line access_key_pair "$KR_ID" "$KR_SECRET"
  finding_line access_key_pair "$KF_ID" "$KF_SECRET"
  finding_line access_key_pair "$KN_ID" "$KN_SECRET"
} >"$TMP/pairs.jsonl"
run validate --responder-credentials env --show-secrets "$TMP/pairs.jsonl"
expect_rc 3
[ "$(out_field "$KU_ID" validation.last_used_before.source)" = ims:GetAccessKeyLastUsed ] ||
  fail "KU: no last use read before validating"
[ -z "$(out_field "$KU_ID" validation.last_used_before.date)" ] || fail "KU had a use before"
[ -n "$(out_field "$KB_ID" validation.last_used_before.date)" ] || fail "KB's use not recorded"
[ -z "$(out_field "$KF_ID" validation.last_used_before.source)" ] || fail "KF is not ours to read"
{ echo "$OUT"; id_line "$KO_ID"; } >"$TMP/in.jsonl"
# Validation itself made KU "used" just now; that must not count.
[ -n "$(emu_py "[k.get('last_used','') for k in s['access_keys'] if k['id']=='$KU_ID'][0]")" ] ||
  fail "validation did not touch KU's last use"

snapshot() {
  emu_py "json.dumps([sorted((k['id'], k['status']) for k in s['access_keys']), s['policies'], [u['policies'] for u in s['users']]], sort_keys=True)"
}
before=$(snapshot)
run respond --format json "$TMP/in.jsonl"
expect_rc 1
[ "$(snapshot)" = "$before" ] || fail "the dry run changed the cloud"
[ ! -e "$LEDGER" ] || fail "the dry run created a ledger"
[ "$(resp_writes)" = "{}" ] || fail "the dry run wrote: $(resp_writes)"
decision() { python3 -c '
import json, sys
r = json.load(sys.stdin)
print([k[sys.argv[2]] for k in r["keys"] if k["key_id"] == sys.argv[1]][0])' "$1" "$2" <<<"$OUT"; }
[ "$(decision "$KU_ID" decision)" = disable ] || fail "KU: $(decision "$KU_ID" decision)"
[ "$(decision "$KO_ID" decision)" = disable ] || fail "KO (ID only, 60 days idle)"
[ "$(decision "$KB_ID" decision)" = contain ] || fail "KB: $(decision "$KB_ID" decision)"
[ "$(decision "$KR_ID" decision)" = notify ] || fail "KR: root key"
[ "$(decision "$KF_ID" decision)" = notify ] || fail "KF: foreign key"
[ "$(decision "$KN_ID" decision)" = none ] || fail "KN: not_found"
decision "$KO_ID" facts | grep -q "'source': 'ims'" || fail "KO not resolved through IMS"
decision "$KU_ID" facts | grep -q "no use recorded; created" || fail "KU: reason"
decision "$KR_ID" facts | grep -q "'kind': 'root'" || fail "KR: owner kind"
decision "$KF_ID" facts | grep -q "'kind': 'foreign'" || fail "KF: owner kind"
decision "$KB_ID" steps | grep -q "'status': 'planned'" || fail "KB: steps not planned"

run respond --apply --format json "$TMP/in.jsonl"
expect_rc 0
[ "$(key_status "$KU_ID")" = Inactive ] || fail "KU not disabled"
[ "$(key_status "$KO_ID")" = Inactive ] || fail "KO not disabled"
[ "$(key_status "$KB_ID")" = Active ] || fail "KB must stay active (in use)"
[ "$(key_status "$KR_ID")" = Active ] || fail "root key touched"
[ "$(key_status "$KF_ID")" = Active ] || fail "foreign key touched"
[ "$(user_policies bob)" = "['akhound-leaked-key-deny']" ] || fail "bob: $(user_policies bob)"
[ "$(resp_writes)" = '{"AttachPolicyToUser": 1, "CreatePolicy": 1, "UpdateAccessKey": 2}' ] ||
  fail "writes: $(resp_writes)"
emu_py "[p['versions'][0]['document'] for p in s['policies'] if p['name']=='akhound-leaked-key-deny'][0]" \
  >"$TMP/doc.json"
# print() added one newline; the document is the reference file byte for byte.
cmp <(head -c -1 "$TMP/doc.json") "$AK_ROOT/scanner/respond/deny-policy.json" || fail "policy document differs"
[ "$(decision "$KB_ID" state)" = contained ] || fail "KB state $(decision "$KB_ID" state)"
[ "$(decision "$KU_ID" state)" = disabled ] || fail "KU state"

# Second run: nothing left to do, no call made at all.
emu_ctl POST reset >/dev/null
run respond --apply "$TMP/in.jsonl"
expect_rc 0
[ "$(emu_count_total)" = 0 ] || fail "second run made $(emu_count_total) calls"
run respond "$TMP/in.jsonl"
expect_rc 0

# --delete-unused: the disabled keys are deleted, nothing is disabled again.
run respond --apply --delete-unused "$TMP/in.jsonl"
expect_rc 0
[ "$(key_status "$KU_ID")" = absent ] || fail "KU not deleted"
[ "$(key_status "$KO_ID")" = absent ] || fail "KO not deleted"
[ "$(resp_writes)" = '{"DeleteAccessKey": 2}' ] || fail "delete writes: $(resp_writes)"

# State files: private, no secret anywhere.
[ "$(stat -c %a "$LEDGER")" = 600 ] || fail "ledger mode $(stat -c %a "$LEDGER")"
[ "$(stat -c %a "$AUDIT")" = 600 ] || fail "audit mode"
dump=$(sqlite3 "$LEDGER" .dump)
for s in "$KU_SECRET" "$KB_SECRET" "$KR_SECRET" "$KF_SECRET" "$KN_SECRET" "$RESP_SECRET"; do
  ! grep -qF -- "$s" <<<"$dump$(cat "$AUDIT")$OUT$ERR" || fail "a secret leaked"
done
grep -q "$(python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$KU_SECRET")" <<<"$dump" ||
  fail "ledger lacks the secret's SHA-256"
[ "$(sqlite3 "$LEDGER" "select state from keys where key_id='$KB_ID'")" = contained ] || fail "ledger KB"
[ "$(sqlite3 "$LEDGER" "select state from keys where key_id='$KU_ID'")" = deleted ] || fail "ledger KU"
[ "$(sqlite3 "$LEDGER" "select count(*) from calls where action='AttachPolicyToUser' and request_id is not null")" = 1 ] ||
  fail "ledger: attach call"
grep -q '"action":"UpdateAccessKey".*"outcome":"ok"' "$AUDIT" || fail "audit lacks the disable"

# The policy already exists with another document: a new default version, attached once.
resp_state "$TMP/p.state.json"
other_policy "$TMP/p.state.json" "$TMP/p.state.json"
emu_start p
resp_env
rm -rf "$TMP/home"
id_line "$KB_ID" >"$TMP/kb.jsonl"
run respond --apply "$TMP/kb.jsonl"
expect_rc 0
[ "$(resp_writes)" = '{"AttachPolicyToUser": 1, "CreatePolicyVersion": 1}' ] || fail "writes: $(resp_writes)"
emu_py "[v['document'] for p in s['policies'] for v in p['versions'] if v['id']==p['default_version']][0]" >"$TMP/doc2.json"
cmp <(head -c -1 "$TMP/doc2.json") "$AK_ROOT/scanner/respond/deny-policy.json" || fail "new default version differs"
run respond --apply "$TMP/kb.jsonl"
expect_rc 0
[ "$(resp_writes)" = '{"AttachPolicyToUser": 1, "CreatePolicyVersion": 1}' ] || fail "rerun wrote"
run respond --help
expect_rc 0
expect_out "usage: akhound respond"
echo ok
