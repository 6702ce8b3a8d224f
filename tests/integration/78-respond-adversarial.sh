# A hostile review of "respond never disables or deletes a key in use", against the emulator.
# Each case is a way a key in use could be made to look unused; every one must end contained
# (Active, Deny policy attached), never disabled:
#  1. a validation record edited in the findings file (checked_at in the future, read years
#     earlier, or a read_at that is not a date) cannot discount a use it cannot account for;
#  2. an answer of IMS with HTTP 200 and an error body is a failed read, not "never used";
#  3. an ActionTrail call carrying akhound's validation User-Agent counts as use unless it falls
#     within a validation of ours (anyone can send that User-Agent);
#  4. ActionTrail pages past the last one read leave the evidence incomplete;
#  5. the unused window allows for the clock difference the API tolerates (15 minutes);
#  6. rotate --finish stops (old key left active) on an old-key last use that is not a date, and
#     when the new key's first use is unknown and the old key was used after its creation.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
contained() {
  [ "$(emu_q "status('$1')")" = Active ] || fail "$2: key is $(emu_q "status('$1')")"
  [ "$(jq_key "$1" decision)" = contain ] || fail "$2: decision $(jq_key "$1" decision)"
}
# rec_line ID CHECKED_AT READ_AT BEFORE   a finding validated by us, with a last-use record
rec_line() {
  id_line "$1" "$2" valid "$ACCT" RAMUser "acs:ram::$ACCT:user/bob" | python3 -c '
import json, sys
f = json.load(sys.stdin)
f["validation"]["last_used_before"] = {"source": "ims:GetAccessKeyLastUsed", "read_at": sys.argv[1],
                                       "date": sys.argv[2] or None}
print(json.dumps(f))' "$3" "$4"
}
fresh() { rm -rf "$TMP/home"; emu_reset "$TMP/x.state.json" "${1:-}"; }

# KB used through OSS 2 days ago (no ActionTrail event), created long ago.
state_edit "key('$KB_ID')['last_used'] = '$(iso_ago 172800)'; key('$KB_ID')['last_used_service'] = 'Oss'; s['events'] = []"
cp "$TMP/x.state.json" "$TMP/oss.state.json"

# 1. Forged or damaged records.
n=0
while IFS='|' read -r checked read before; do
  n=$((n + 1))
  fresh
  rec_line "$KB_ID" "$checked" "$read" "$before" >"$TMP/forged.jsonl"
  run respond --apply --delete-unused --format json "$TMP/forged.jsonl"
  contained "$KB_ID" "record $n ($checked / $read)"
done <<EOT
$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)|$(iso_ago 31536000)|
$(iso_ago 3600)|$(iso_ago 432000)|$(iso_ago 31536000)
$(iso_ago 172740)|N/A|
$(iso_ago 172740)|$(iso_ago 172680)|
EOT

# 2. IMS answers HTTP 200 with an error body (or no AccessKeyLastUsed at all): the read failed.
id_line "$KB_ID" >"$TMP/kb.jsonl"
for action in GetAccessKeyLastUsed ListAccessKeys; do
  cp "$TMP/oss.state.json" "$TMP/x.state.json"
  fresh '{"rules": [{"kind": "status", "status": 200, "code": "InternalError", "action": "'$action'", "count": -1}]}'
  run respond --apply --delete-unused --format json "$TMP/kb.jsonl"
  expect_rc 2
  contained "$KB_ID" "$action: 200 with an error body"
done

# 3. KO (last used 60 days ago, no finding validated by us): a call carrying akhound's validation
#    User-Agent from an unknown address 3 days ago is use; so is a call whose time ActionTrail
#    writes with an offset instead of Z.
id_line "$KO_ID" >"$TMP/ko.jsonl"
ev() { # NAME SERVICE TIME AGENT
  echo "{'eventId': 'x$RANDOM', 'eventName': '$1', 'serviceName': '$2', 'eventTime': '$3', 'eventRW': 'Read',
   'userAgent': '$4', 'sourceIpAddress': '192.0.2.66', 'userIdentity': {'type': 'ram-user', 'accountId': '$ACCT',
   'accessKeyId': '$KO_ID', 'userName': 'carol'}}"
}
for e in "$(ev GetCallerIdentity Sts "$(iso_ago 259200)" akhound-validate/9.9)" \
         "$(ev PutObject Oss "$(date -u -d @$(($(date +%s) - 172800 + 28800)) +%Y-%m-%dT%H:%M:%S.123+08:00)" aliyun-sdk)"; do
  state_edit "s['events'] = [$e]"
  fresh
  run respond --apply --delete-unused --format json "$TMP/ko.jsonl"
  expect_rc 0
  contained "$KO_ID" "ActionTrail event $e"
done

# 4. KO validated by us a minute ago with its read (the record says 60 days); 510 calls with our
#    User-Agent within that validation fill ten pages of ActionTrail, a PutObject yesterday is on
#    the eleventh: not read, so the evidence is incomplete and the key contained.
state_edit "key('$KO_ID')['last_used'] = '$(iso_ago 65)'
s['events'] = [$(ev GetCallerIdentity Sts "$(iso_ago 65)" akhound-validate/9.9)] * 510 + [$(ev PutObject Oss "$(iso_ago 86400)" aliyun-sdk)]"
fresh
rec_line "$KO_ID" "$(iso_ago 60)" "$(iso_ago 70)" "$(iso_ago 5184000)" >"$TMP/ko-rec.jsonl"
run respond --apply --delete-unused --format json "$TMP/ko-rec.jsonl"
expect_rc 2
contained "$KO_ID" "use on the eleventh page"

# 5. The cloud's clock is 10 minutes behind ours (the API accepts up to 15): KO last used
#    29 days 23 h 55 min ago by the cloud's clock is within the 30-day window.
#    So is an ActionTrail call then (the last-use date saying 60 days).
edge=$(iso_ago $((600 + 2592000 - 300)))
for edit in "key('$KO_ID')['last_used'] = '$edge'; s['events'] = []" "s['events'] = [$(ev PutObject Oss "$edge" aliyun-sdk)]"; do
  state_edit "$edit"
  fresh
  emu_ctl POST clock '{"skew_seconds": -600}' >/dev/null
  run respond --apply --delete-unused --format json "$TMP/ko.jsonl"
  expect_rc 0
  contained "$KO_ID" "use at the window's edge, clocks 10 minutes apart ($edit)"
  emu_ctl POST clock '{"skew_seconds": 0}' >/dev/null
done

# 6. rotate --finish. KB is rotated (its use through OSS leaves no ActionTrail event). The old
#    key's last use written with an offset is not "never"; and when the new key's first use is
#    unknown (no ActionTrail event, only its last use), an old-key use after the new key was
#    created may be after the switch: both stop, the old key stays active.
cp "$TMP/oss.state.json" "$TMP/x.state.json"
fresh
run rotate "$KB_ID" --apply --secret-file "$TMP/new.json"
expect_rc 0
NEW=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccessKeyId"])' "$TMP/new.json")
emu_ctl GET state >"$TMP/rotated.state.json"
offset_time=$(date -u -d @$(($(date +%s) - 30 + 28800)) +%Y-%m-%dT%H:%M:%S+08:00)
for edit in "key('$NEW')['last_used'] = '$(iso_ago 120)'; key('$KB_ID')['last_used'] = '$offset_time'
s['events'] = [dict($(ev PutObject Oss "$(iso_ago 120)" aliyun-sdk), userIdentity={'accessKeyId': '$NEW'})]" \
            "key('$NEW')['created'] = '$(iso_ago 86400)'; key('$NEW')['last_used'] = '$(iso_ago 60)'
key('$KB_ID')['last_used'] = '$(iso_ago 3600)'; s['events'] = []"; do
  state_edit "$edit" "$TMP/rotated.state.json"
  emu_reset "$TMP/x.state.json"
  run rotate --finish "$KB_ID" --apply --format json
  expect_rc 2
  [ "$(emu_q "status('$KB_ID')")" = Active ] || fail "rotate --finish ($edit): old key $(emu_q "status('$KB_ID')")"
done

echo ok
