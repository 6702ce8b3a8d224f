# Crash safety: respond --apply killed after each of its API calls in turn (the test hook
# AKHOUND_TEST_CRASH_AFTER=N exits right after the Nth call returns, before anything is recorded)
# and run again finishes the work without repeating a finished change: one disable, one policy,
# one attachment, whatever the crash point. Then a kill -9 while a call hangs in the emulator.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"

resp_start
{ id_line "$KU_ID"; id_line "$KB_ID"; } >"$TMP/in.jsonl"
want='{"AttachPolicyToUser": 1, "CreatePolicy": 1, "UpdateAccessKey": 1}'

check_final() { # label
  local got
  got=$(emu_q "status('$KU_ID')" "pol('bob')" "len(s['policies'])" w | tr '\n' '|')
  [ "$got" = "Inactive|['akhound-leaked-key-deny']|1|$want|" ] || fail "$1: $got"
}

# The number of calls of a full run.
run respond --apply "$TMP/in.jsonl"
expect_rc 0
total=$(emu_count_total)
check_final baseline
[ "$total" -ge 10 ] || fail "only $total calls"

crashed=0
for n in $(seq 1 "$total"); do
  emu_reset "$TMP/e.state.json"
  rm -rf "$TMP/home"
  AKHOUND_TEST_CRASH_AFTER=$n run respond --apply "$TMP/in.jsonl"
  [ "$RC" = 86 ] || fail "crash $n: exit $RC ($ERR)"
  crashed=$((crashed + 1))
  run respond --apply "$TMP/in.jsonl"
  expect_rc 0
  # A third run must find nothing to do; checking after it covers both runs.
  run respond --apply "$TMP/in.jsonl"
  expect_rc 0
  check_final "crash after call $n"
done
[ "$crashed" = "$total" ] || fail "crashed $crashed of $total"

# kill -9 while AttachPolicyToUser hangs: the attach step stays "started"; the next run checks
# ListPoliciesForUser before attaching.
emu_reset "$TMP/e.state.json" '{"rules": [{"kind": "hang", "ms": 20000, "action": "AttachPolicyToUser", "count": 1}]}'
rm -rf "$TMP/home"
"$AKHOUND" respond --apply "$TMP/in.jsonl" >"$TMP/bg.out" 2>&1 &
pid=$!
for i in $(seq 100); do
  [ "$(sqlite3 "$LEDGER" "select status from steps where step='attach'" 2>/dev/null)" = started ] && break
  sleep 0.05
done
sleep 0.2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ "$(sqlite3 "$LEDGER" "select status from steps where step='attach'")" = started ] || fail "attach not left started"
emu_ctl PUT faults '{}' >/dev/null
run respond --apply "$TMP/in.jsonl"
expect_rc 0
# The hung request is counted by the emulator but was never carried out.
want='{"AttachPolicyToUser": 2, "CreatePolicy": 1, "UpdateAccessKey": 1}'
check_final "kill -9"
[ "$(sqlite3 "$LEDGER" "select count(*) from calls where action='ListPoliciesForUser'")" = 1 ] ||
  fail "the started attach was not re-checked"
echo ok
