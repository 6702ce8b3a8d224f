# akhound scan --validate: keys found in files are validated in the same run; exit code 3 when one
# is live; a pair found in two files is sent to STS once; no secret on any output.
set -e
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"

emu_state_basic "$TMP/e.state.json"
emu_start e
export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"
mkdir -p "$TMP/src"
printf 'id: %s\nsecret: %s\n' "$K_ID" "$K_SECRET" > "$TMP/src/live.yml"
cp "$TMP/src/live.yml" "$TMP/src/copy.yml"
printf 'ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' "$KI_ID" "$KI_SECRET" > "$TMP/src/old.env"

run scan --validate --format jsonl "$TMP/src"
expect_rc 3
[ "$(grep -c '"status":"valid"' <<<"$OUT")" = 2 ] || fail "two findings of the live key: $OUT"
[ "$(grep -c '"status":"inactive"' <<<"$OUT")" = 1 ] || fail "inactive key: $OUT"
[ "$(emu_count_key "$K_ID")" = 1 ] || fail "live pair sent $(emu_count_key "$K_ID") times"
for s in "$K_SECRET" "$KI_SECRET"; do ! grep -qF -- "$s" <<<"$OUT$ERR" || fail "secret leaked"; done

# text output shows the verdict; without a live key the exit code is 1
rm "$TMP/src/live.yml" "$TMP/src/copy.yml"
run scan --validate "$TMP/src"
expect_rc 1
expect_out "inactive"

# reports written with --output are private: they name keys and may hold secrets
printf 'id: %s\nsecret: %s\n' "$K_ID" "$K_SECRET" > "$TMP/src/live.yml"
run scan --format jsonl --show-secrets --output "$TMP/found.jsonl" "$TMP/src"; expect_rc 1
run validate --show-secrets --output "$TMP/validated.jsonl" "$TMP/found.jsonl"; expect_rc 3
for f in found.jsonl validated.jsonl; do
  [ "$(stat -c %a "$TMP/$f")" = 600 ] || fail "$f mode $(stat -c %a "$TMP/$f")"
done
grep -qF "$K_SECRET" "$TMP/validated.jsonl" || fail "--show-secrets output lacks the secret"
echo ok
