# Faults from the emulator: throttling (with x-acs-retry-after), 5xx and connection resets are
# retried and succeed; a definite answer is not retried; a dead or hanging endpoint gives
# `unknown` within the timeout; malformed or truncated JSON gives `unknown` with a clear message.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"

emu_state_basic "$TMP/f.state.json"
finding_line access_key_pair "$K_ID" "$K_SECRET" >"$TMP/in.jsonl"
finding_line access_key_pair "$KR_ID" "$(new_secret)" >"$TMP/wrong.jsonl"
emu_start f
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"

fault() { emu_ctl PUT faults "$1" >/dev/null; emu_ctl POST reset >/dev/null; }

fault '{"rules":[{"kind":"throttle","count":2,"retry_after_ms":50}]}'
run validate "$TMP/in.jsonl"
expect_rc 3
[ "$(emu_count_key "$K_ID")" = 3 ] || fail "throttling: expected 3 requests"

fault '{"rules":[{"kind":"throttle","code":"Throttling.Api","count":1},{"kind":"status","status":500,"count":1},{"kind":"reset","count":1}]}'
run validate "$TMP/in.jsonl"
expect_rc 3
[ "$(emu_count_key "$K_ID")" = 4 ] || fail "throttle+5xx+reset: expected 4 requests"

fault '{"rules":[{"kind":"status","status":503,"count":-1}]}'
run validate --retries 2 "$TMP/in.jsonl"
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "persistent 503 is not unknown"
out_field "$K_ID" validation.detail | grep -q "HTTP 503" || fail "detail lacks HTTP 503"
[ "$(emu_count_key "$K_ID")" = 3 ] || fail "503: expected 1 + 2 retries"

fault '{}'
run validate "$TMP/wrong.jsonl"
expect_rc 0
[ "$(emu_count_key "$KR_ID")" = 1 ] || fail "a definite answer was retried"

fault '{"rules":[{"kind":"malformed","count":-1}]}'
run validate --retries 1 "$TMP/in.jsonl"
expect_rc 2
out_field "$K_ID" validation.detail | grep -q "malformed JSON response" || fail "malformed: no clear message"

fault '{"rules":[{"kind":"truncate_json","count":-1}]}'
run validate --retries 0 "$TMP/in.jsonl"
expect_rc 2
out_field "$K_ID" validation.detail | grep -q "malformed JSON response" || fail "truncated JSON: no clear message"

fault '{"rules":[{"kind":"truncate","count":-1}]}'
run validate --retries 0 "$TMP/in.jsonl"
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "truncated body is not unknown"

# Hanging server: each attempt ends at --timeout.
fault '{"rules":[{"kind":"hang","ms":5000,"count":-1}]}'
start=$(date +%s%N)
run validate --timeout 400 --retries 1 "$TMP/in.jsonl"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "hang is not unknown"
out_field "$K_ID" validation.detail | grep -qi "timeout\|timed out" || fail "hang: detail lacks timeout"
[ "$ms" -lt 2500 ] || fail "hang took $ms ms"

# Dead endpoint (nothing listens): unknown, quickly.
fault '{}'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s%N)
run validate --sts-endpoint "http://127.0.0.1:$port/sts" --timeout 1000 --retries 2 "$TMP/in.jsonl"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "dead endpoint is not unknown"
out_field "$K_ID" validation.detail | grep -q "$K_ID" || fail "detail does not name the ID"
[ "$ms" -lt 4000 ] || fail "dead endpoint took $ms ms"

# A slow TLS handshake beyond the timeout is unknown too; a fast one works.
emu_start t --tls --faults '{"tls_handshake_delay_ms":1500}'
run validate --sts-endpoint "$EMU_URL/sts" --ca-file "$EMU_CA" --timeout 500 --retries 0 "$TMP/in.jsonl"
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "slow handshake is not unknown"
run validate --sts-endpoint "$EMU_URL/sts" --ca-file "$EMU_CA" --timeout 5000 "$TMP/in.jsonl"
expect_rc 3
echo ok
