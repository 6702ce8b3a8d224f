# akhound validate: every verdict over HTTP and over HTTPS (emulator CA via --ca-file and via
# AKHOUND_CA_FILE), dedup of pairs, candidate secrets, --id with the secret on stdin or in
# AKHOUND_SECRET, secrets kept out of the output, exit codes.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"

emu_state_basic "$TMP/e.state.json"
WRONG=$(new_secret) C1=$(new_secret)
{
  finding_line access_key_pair "$K_ID" "$K_SECRET"
  finding_line access_key_pair "$K_ID" "$K_SECRET"
  finding_line access_key_pair "$KI_ID" "$KI_SECRET"
  finding_line access_key_pair "$KR_ID" "$WRONG"
  finding_line access_key_pair "$KN_ID" "$KN_SECRET"
  finding_line sts_credentials "$S_ID" "$S_SECRET" "$S_TOKEN"
  finding_line sts_credentials "$SX_ID" "$SX_SECRET" "$SX_TOKEN"
  finding_line access_key_pair "$SX_ID" "$SX_SECRET"
} >"$TMP/in.jsonl"

check_all() { # label
  expect_rc 3
  [ "$(out_field "$K_ID" validation.status)" = valid ] || fail "$1: valid"
  [ "$(out_field "$K_ID" validation.identity_type)" = RAMUser ] || fail "$1: identity"
  [ "$(out_field "$K_ID" validation.arn)" = "acs:ram::$ACCT:user/alice" ] || fail "$1: arn"
  [ "$(out_field "$K_ID" validation.account_id)" = "$ACCT" ] || fail "$1: account"
  [ -n "$(out_field "$K_ID" validation.principal_id)" ] || fail "$1: principal"
  out_field "$K_ID" validation.checked_at | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' ||
    fail "$1: checked_at"
  [ "$(out_field "$KI_ID" validation.status)" = inactive ] || fail "$1: inactive"
  [ "$(out_field "$KR_ID" validation.status)" = wrong_secret ] || fail "$1: wrong_secret"
  [ "$(out_field "$KN_ID" validation.status)" = not_found ] || fail "$1: not_found"
  [ "$(out_field "$S_ID" validation.status)" = valid ] || fail "$1: sts valid"
  [ "$(out_field "$S_ID" validation.identity_type)" = AssumedRoleUser ] || fail "$1: sts identity"
  [ "$(grep -c '"status": *"expired"' <<<"$OUT")" = 2 ] || fail "$1: expired (token, missing token)"
  [ "$(grep -c . <<<"$OUT")" = 8 ] || fail "$1: 8 findings out"
  # No secret (or token) in the output without --show-secrets, nor on stderr.
  for s in "$K_SECRET" "$KI_SECRET" "$WRONG" "$KN_SECRET" "$S_SECRET" "$S_TOKEN" "$SX_TOKEN"; do
    ! grep -qF -- "$s" <<<"$OUT$ERR" || fail "$1: a secret leaked into the output"
  done
  # The same pair in two findings is sent once.
  [ "$(emu_count_key "$K_ID")" = 1 ] || fail "$1: pair sent $(emu_count_key "$K_ID") times"
}

emu_start e
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"
run validate "$TMP/in.jsonl"
check_all http
# stdin and a JSON array both work; --format json writes an array.
emu_ctl POST reset >/dev/null
run validate --format json <"$TMP/in.jsonl"
expect_rc 3
python3 -c 'import json,sys; a=json.load(sys.stdin); assert isinstance(a, list) and len(a) == 8' <<<"$OUT" ||
  fail "--format json is not an array of 8"

emu_start s --tls
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"
run validate --ca-file "$EMU_CA" "$TMP/in.jsonl"
check_all https
emu_ctl POST reset >/dev/null
AKHOUND_CA_FILE="$EMU_CA" run validate "$TMP/in.jsonl"
check_all https-env

# Candidates: the valid one is found and becomes the secret (shown with --show-secrets).
finding_line access_key_id "$KR_ID" "$WRONG" "" "[\"$C1\", \"$KR_SECRET\"]" >"$TMP/cand.jsonl"
run validate --ca-file "$EMU_CA" --show-secrets "$TMP/cand.jsonl"
expect_rc 3
[ "$(out_field "$KR_ID" secret)" = "$KR_SECRET" ] || fail "valid candidate did not become the secret"
[ "$(out_field "$KR_ID" validation.identity_type)" = Account ] || fail "root key identity"

# Nothing live: exit 0.
finding_line access_key_pair "$KN_ID" "$KN_SECRET" >"$TMP/dead.jsonl"
run validate --ca-file "$EMU_CA" "$TMP/dead.jsonl"
expect_rc 0

# --id: secret from stdin, or from AKHOUND_SECRET; never an argument.
set +e
OUT=$(printf '%s\n' "$K_SECRET" | "$AKHOUND" validate --ca-file "$EMU_CA" --id "$K_ID" 2>"$TMP/err"); RC=$?
set -e
ERR=$(cat "$TMP/err")
expect_rc 3
expect_out '"status":"valid"'
expect_not_out "$K_SECRET"
AKHOUND_SECRET=$WRONG run validate --ca-file "$EMU_CA" --id "$K_ID" --format text </dev/null
expect_rc 0
expect_out wrong_secret
AKHOUND_SECRET=$S_SECRET AKHOUND_SECURITY_TOKEN=$S_TOKEN run validate --ca-file "$EMU_CA" --id "$S_ID"
expect_rc 3
run validate --id "$K_ID" </dev/null
expect_rc 2
expect_err "no secret"
run validate --help
expect_rc 0
expect_out "usage: akhound validate"
echo ok
