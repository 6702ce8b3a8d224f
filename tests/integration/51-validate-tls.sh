# TLS and endpoint rules: a server whose CA is not trusted is refused (verdict unknown, no retry
# storm); plain http to a non-loopback host is refused before any connection (no traffic: the
# target is TEST-NET-1, and the command must fail at once); http to localhost is fine.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"

emu_state_basic "$TMP/s.state.json"
finding_line access_key_pair "$K_ID" "$K_SECRET" >"$TMP/in.jsonl"
emu_start s --tls
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"

# No extra CA: the system store does not know the test CA.
run validate --retries 0 --timeout 5000 "$TMP/in.jsonl"
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "untrusted server accepted"
out_field "$K_ID" validation.detail | grep -qiE 'certificate|SSL' || fail "detail lacks the TLS reason"
# A different CA: refused too.
bash "$EMU_DIR/mkcerts.sh" "$TMP/other"
run validate --retries 2 --ca-file "$TMP/other/ca.pem" "$TMP/in.jsonl"
expect_rc 2
[ "$(out_field "$K_ID" validation.status)" = unknown ] || fail "wrong CA accepted"
[ "$(emu_count_key "$K_ID")" = 0 ] || fail "a request got through an untrusted TLS session"
# A CA file that does not exist is a setup error.
run validate --ca-file "$TMP/nope.pem" "$TMP/in.jsonl"
expect_rc 2
expect_err "cannot read CA file"

# Plain http to a non-loopback address: refused up front, quickly, nothing sent.
start=$(date +%s%N)
AKHOUND_STS_ENDPOINT=http://192.0.2.1/sts run validate "$TMP/in.jsonl"
expect_rc 2
expect_err "plain http is only allowed to a loopback host"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] || fail "refusal was not immediate"
run validate --sts-endpoint http://sts.aliyuncs.com "$TMP/in.jsonl"
expect_rc 2
expect_err "refused"
run validate --sts-endpoint ftp://127.0.0.1/ "$TMP/in.jsonl"
expect_rc 2
run validate --sts-region 'bad/region' "$TMP/in.jsonl"
expect_rc 2
expect_err "invalid region"

# http to loopback by name is allowed.
emu_start h
run validate --sts-endpoint "http://localhost:$EMU_PORT/sts" "$TMP/in.jsonl"
expect_rc 3
echo ok
