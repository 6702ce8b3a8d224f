# "Is this key in use?" is answered fail-safe: respond --apply --delete-unused never disables or
# deletes a key unless its last use is positively known to be older than the unused window. The
# five cases that once went wrong, each against the emulator:
#  1. used 5 minutes before our validation through OSS (no ActionTrail event): contained;
#  2. used yesterday, its findings validated ten days earlier: contained;
#  3. ActionTrail refused, reset or timing out: contained, the run incomplete (exit 2);
#  4. used 10 days ago per ActionTrail while the last-use date says 60 (the evidence window covers
#     the unused window): contained;
#  5. with --delete-unused none of them is deleted.
# And the unconfirmed shapes of "never used" (empty, absent, null LastUsedDate) still let a key
# never used and created long ago be disabled, as before.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
# contained KEY LABEL: the key is active, its user holds the Deny policy, the report says why.
contained() {
  [ "$(jq_key "$1" decision)" = contain ] || fail "$2: decision $(jq_key "$1" decision)"
  [ "$(emu_q "status('$1')")" = Active ] || fail "$2: key is $(emu_q "status('$1')")"
  jq_key "$1" facts | grep -q "'in_use': True" || fail "$2: facts $(jq_key "$1" facts)"
}

# 1. KB used 5 minutes ago through OSS, no ActionTrail event; then validated by akhound, which
#    moves its last use to now. Plain validate (the responder's variables are set, but not named)
#    never calls IMS; its own STS call carries akhound's validation User-Agent.
state_edit "key('$KB_ID')['last_used'] = '$(iso_ago 300)'; key('$KB_ID')['last_used_service'] = 'Oss'; s['events'] = []"
emu_reset "$TMP/x.state.json"
finding_line access_key_pair "$KB_ID" "$KB_SECRET" >"$TMP/kb.jsonl"
run validate "$TMP/kb.jsonl"
expect_rc 3
[ "$(emu_q "sorted(w for w in json.loads(urllib.request.urlopen(base + 'counters').read())['by_action'])")" = "['GetCallerIdentity']" ] ||
  fail "plain validate called more than STS"
emu_q "[e['userAgent'] for e in s['events']]" | grep -q "akhound-validate/" || fail "validation User-Agent"
echo "$OUT" >"$TMP/kb-validated.jsonl"
run respond --apply --delete-unused --format json "$TMP/kb-validated.jsonl"
expect_rc 0
contained "$KB_ID" "used 5 min before validation"
jq_key "$KB_ID" facts | grep -q "own validation" || fail "case 1 reason: $(jq_key "$KB_ID" facts)"
[ "$(emu_q "pol('bob')")" = "['akhound-leaked-key-deny']" ] || fail "case 1: bob not contained"
run respond --format text "$TMP/kb-validated.jsonl"
expect_out "not disabled: $KB_ID"
# ... and validated with --responder-credentials: the use 5 minutes before is on record.
rm -rf "$TMP/home"
emu_reset "$TMP/x.state.json"
run validate --responder-credentials env "$TMP/kb.jsonl"
expect_rc 3
echo "$OUT" >"$TMP/kb-validated.jsonl"
run respond --apply --delete-unused --format json "$TMP/kb-validated.jsonl"
expect_rc 0
contained "$KB_ID" "used 5 min before validation, read before"
jq_key "$KB_ID" facts | grep -q "'reason': 'last used $(iso_ago 300 | cut -c1-13)" || fail "case 1b reason: $(jq_key "$KB_ID" facts)"
# scan --validate takes the same option; a bad one is a usage error naming it.
mkdir -p "$TMP/src"
printf 'id: %s\nsecret: %s\n' "$KU_ID" "$KU_SECRET" >"$TMP/src/live.yml"
run scan --validate --responder-credentials env --format jsonl "$TMP/src"
expect_rc 3
[ "$(out_field "$KU_ID" validation.last_used_before.source)" = ims:GetAccessKeyLastUsed ] ||
  fail "scan --validate: no last use read: $OUT"
run validate --responder-credentials default "$TMP/kb.jsonl"
expect_rc 2
expect_err "--responder-credentials: 'default' names no credentials"

# 2. KB used yesterday; its finding was validated ten days ago.
rm -rf "$TMP/home"
state_edit "key('$KB_ID')['last_used'] = '$(iso_ago 86400)'; s['events'] = []"
emu_reset "$TMP/x.state.json"
id_line "$KB_ID" "$(iso_ago 864000)" valid "$ACCT" RAMUser "acs:ram::$ACCT:user/bob" >"$TMP/kb10.jsonl"
run respond --apply --delete-unused --format json "$TMP/kb10.jsonl"
expect_rc 0
contained "$KB_ID" "used yesterday, validated 10 days ago"

# 3. KO (last used 60 days ago, no event) while ActionTrail is refused, reset, or hangs.
for fault in refused reset hang; do
  rm -rf "$TMP/home"
  case $fault in
    refused) state_edit "[u.update(deny_actions=['LookupEvents']) for u in s['users'] if u['name'] == 'responder']"
      emu_reset "$TMP/x.state.json" ;;
    reset) emu_reset "$TMP/e.state.json" '{"rules": [{"kind": "reset", "action": "LookupEvents", "count": -1}]}' ;;
    hang) emu_reset "$TMP/e.state.json" '{"rules": [{"kind": "hang", "ms": 3000, "action": "LookupEvents", "count": -1}]}' ;;
  esac
  id_line "$KO_ID" >"$TMP/ko.jsonl"
  run respond --apply --delete-unused --retries 0 --timeout 500 --format json "$TMP/ko.jsonl"
  expect_rc 2
  contained "$KO_ID" "ActionTrail $fault"
  jq_key "$KO_ID" facts | grep -q "ActionTrail could not be read" || fail "$fault: reason"
  python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["summary"]["incomplete"] == 1, r["summary"]' <<<"$OUT" ||
    fail "$fault: summary"
  [ "$(resp_writes)" = '{"AttachPolicyToUser": 1, "CreatePolicy": 1}' ] || fail "$fault: writes $(resp_writes)"
done
# The text summary says why, and a refused last-use read does the same.
rm -rf "$TMP/home"
state_edit "[u.update(deny_actions=['GetAccessKeyLastUsed']) for u in s['users'] if u['name'] == 'responder']"
emu_reset "$TMP/x.state.json"
run respond --apply --delete-unused "$TMP/ko.jsonl"
expect_rc 2
expect_out "not disabled: $KO_ID: its last use could not be read"
[ "$(emu_q "status('$KO_ID')")" = Active ] || fail "last-use refused: KO changed"

# 4. KO's last-use date says 60 days, ActionTrail shows a call 10 days ago.
rm -rf "$TMP/home"
state_edit "s['events'] = [{'eventId': 'e9', 'eventName': 'PutObject', 'eventTime': '$(iso_ago 864000)', 'serviceName': 'Oss', 'eventRW': 'Write', 'sourceIpAddress': '203.0.113.7', 'userIdentity': {'type': 'ram-user', 'accountId': '$ACCT', 'accessKeyId': '$KO_ID', 'userName': 'carol'}}]"
emu_reset "$TMP/x.state.json"
run respond --apply --delete-unused --format json "$TMP/ko.jsonl"
expect_rc 0
contained "$KO_ID" "ActionTrail use 10 days ago"
jq_key "$KO_ID" facts | grep -q "ActionTrail shows 1 call" || fail "case 4 reason"

# A key never used, created long ago (KU), under each shape of "never used": disabled and
# deleted as before; one created yesterday is contained.
for shape in empty absent null; do
  rm -rf "$TMP/home"
  state_edit "s['behaviour'] = {'never_used': '$shape'}"
  emu_reset "$TMP/x.state.json"
  id_line "$KU_ID" >"$TMP/ku.jsonl"
  run respond --apply --delete-unused --format json "$TMP/ku.jsonl"
  expect_rc 0
  [ "$(emu_q "status('$KU_ID')")" = absent ] || fail "$shape: KU is $(emu_q "status('$KU_ID')")"
  [ "$(resp_writes)" = '{"DeleteAccessKey": 1, "UpdateAccessKey": 1}' ] || fail "$shape: writes $(resp_writes)"
done
# Whether STS calls update a key's last use is not confirmed: if they do not, plain validation
# leaves nothing to discount and a key never used is disabled as before.
rm -rf "$TMP/home"
state_edit "s['behaviour'] = {'sts_last_used': False}"
emu_reset "$TMP/x.state.json"
finding_line access_key_pair "$KU_ID" "$KU_SECRET" >"$TMP/kup.jsonl"
run validate "$TMP/kup.jsonl"
expect_rc 3
echo "$OUT" >"$TMP/kuv.jsonl"
run respond --apply --format json "$TMP/kuv.jsonl"
expect_rc 0
[ "$(emu_q "status('$KU_ID')")" = Inactive ] || fail "sts_last_used off: KU is $(emu_q "status('$KU_ID')")"
rm -rf "$TMP/home"
state_edit "key('$KU_ID')['created'] = '$(iso_ago 86400)'"
emu_reset "$TMP/x.state.json"
run respond --apply --delete-unused --format json "$TMP/ku.jsonl"
expect_rc 0
contained "$KU_ID" "never used, created yesterday"
echo ok
