# The emulator's own checks: its signature code reproduces the reference vectors, and it rejects
# a reused nonce and a stale timestamp; malformed input lines are reported with their line.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
python3 "$EMU_DIR/emulator.py" selftest | grep -q "selftest ok" || fail "emulator selftest"

emu_state_basic "$TMP/e.state.json"
emu_start e
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"
# The emulator's clock 20 minutes ahead: the request's timestamp is stale -> unknown, not valid.
emu_ctl POST clock '{"skew_seconds": 1200}' >/dev/null
finding_line access_key_pair "$K_ID" "$K_SECRET" >"$TMP/in.jsonl"
run validate --retries 0 "$TMP/in.jsonl"
expect_rc 2
out_field "$K_ID" validation.detail | grep -q "InvalidTimeStamp.Expired" || fail "stale timestamp accepted"
emu_ctl POST clock '{"skew_seconds": 0}' >/dev/null
# A bad line is reported and skipped; the good one is still checked (a live key wins: exit 3).
{ echo '{"rule": "x"'; cat "$TMP/in.jsonl"; } >"$TMP/mixed.jsonl"
run validate "$TMP/mixed.jsonl"
expect_rc 3
expect_err "mixed.jsonl:1"
echo ok
