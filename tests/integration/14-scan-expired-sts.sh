# An STS sample beside an Expiration that has passed: reported as expired, read from the file
# (no network), and it does not fail the scan or a pre-commit hook. The clock is fixed with
# AKHOUND_NOW so the test does not depend on today's date.
. "$AK_TESTS/lib/common.sh"
set -e
sid=$(new_sts_id); sec=$(new_sts_secret); tok=$(new_sts_token)
mkdir -p "$TMP/repo"
printf '{"Credentials": {\n  "AccessKeyId": "%s",\n  "AccessKeySecret": "%s",\n  "SecurityToken": "%s",\n  "Expiration": "2025-03-01T10:00:00Z"\n}}\n' \
  "$sid" "$sec" "$tok" > "$TMP/repo/assume-role.json"

export AKHOUND_NOW=2025-03-01T11:00:00Z
run scan --format jsonl "$TMP/repo"; expect_rc 0
expect_out '"kind":"sts_credentials"'; expect_out '"status":"expired"'; expect_out "$sid"

export AKHOUND_NOW=2025-03-01T09:00:00Z
run scan --format jsonl "$TMP/repo"; expect_rc 1
expect_out '"kind":"sts_credentials"'; expect_not_out '"status":"expired"'

# the pre-commit path: staged, expired, not blocking
export AKHOUND_NOW=2025-03-01T11:00:00Z
git -C "$TMP/repo" init -q
git -C "$TMP/repo" add assume-role.json
run scan --staged "$TMP/repo"; expect_rc 0
expect_out "expired"
