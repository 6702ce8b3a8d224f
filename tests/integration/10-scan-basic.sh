# akhound scan over files, directories and stdin: findings, formats, exit codes, suppression.
. "$AK_TESTS/lib/common.sh"
set -e
id=$(new_key_id); sec=$(new_secret); id2=$(new_key_id)
mkdir -p "$TMP/repo/src" "$TMP/repo/vendor"
printf 'region = "cn-hangzhou"\naccess_key_id = "%s"\naccess_key_secret = "%s"\n' "$id" "$sec" > "$TMP/repo/src/app.conf"
printf 'only the id: %s\n' "$id2" > "$TMP/repo/vendor/lib.txt"
printf 'nothing here\n' > "$TMP/repo/clean.txt"

run scan "$TMP/repo/clean.txt"; expect_rc 0
run scan "$TMP/repo"; expect_rc 1
expect_out "access_key_pair"; expect_out "$id"; expect_out "src/app.conf:2:"
expect_not_out "$sec"
expect_out "scanned 3 files"

# json / jsonl / sarif: valid, no secret unless asked
for f in json jsonl sarif; do
  run scan --format "$f" "$TMP/repo"; expect_rc 1
  expect_not_out "$sec"
  printf '%s\n' "$OUT" > "$TMP/out.$f"
done
python3 - "$TMP" "$id" <<'PY'
import json, sys
tmp, kid = sys.argv[1], sys.argv[2]
arr = json.load(open(f"{tmp}/out.json"))
assert len(arr) == 2, arr
pair = [f for f in arr if f["kind"] == "access_key_pair"][0]
assert pair["access_key_id"] == kid and "secret" not in pair and len(pair["secret_sha256"]) == 64
for k in ["rule","kind","access_key_id","secret_redacted","secret_sha256","path","line","column","commit","blob","encoding","fingerprint","validation"]:
    assert k in pair, k
lines = [json.loads(l) for l in open(f"{tmp}/out.jsonl") if l.strip()]
assert [l["fingerprint"] for l in lines] == [f["fingerprint"] for f in arr]
sarif = json.load(open(f"{tmp}/out.sarif"))
assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == 2
PY
run scan --format jsonl --show-secrets "$TMP/repo"; expect_out "\"secret\":\"$sec\""

# stdin
set +e; OUT=$(printf 'ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n' "$sec" | "$AKHOUND" scan --format jsonl -); RC=$?; set -e
expect_rc 1; expect_out '"path":"-"'; expect_out '"kind":"access_key_secret"'

# --output is private
run scan --show-secrets --format json --output "$TMP/report.json" "$TMP/repo"; expect_rc 1
[ "$(stat -c %a "$TMP/report.json")" = 600 ] || fail "report mode is $(stat -c %a "$TMP/report.json")"

# exclusions: --exclude and .akhoundignore
run scan --exclude 'vendor/' "$TMP/repo"; expect_rc 1; expect_not_out "$id2"
printf '# ignore third-party code\nvendor/\n' > "$TMP/repo/.akhoundignore"
run scan "$TMP/repo"; expect_not_out "$id2"; expect_out "$id"
rm "$TMP/repo/.akhoundignore"

# allow comment
printf 'k = %s  # akhound:allow\n' "$(new_key_id)" > "$TMP/repo/allowed.txt"
run scan "$TMP/repo/allowed.txt"; expect_rc 0

# baseline: written, then findings listed in it are not reported; moving lines keeps them hidden
(cd "$TMP/repo" && "$AKHOUND" baseline -q "$TMP/base.json" >/dev/null 2>&1) || true
[ -s "$TMP/base.json" ] || fail "no baseline written"
printf '\n\n' | cat - "$TMP/repo/src/app.conf" > "$TMP/moved" && mv "$TMP/moved" "$TMP/repo/src/app.conf"
run scan --baseline "$TMP/base.json" "$TMP/repo"; expect_rc 0; expect_out "2 suppressed"
# a changed secret is reported again
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id" "$(new_secret)" > "$TMP/repo/src/app.conf"
run scan --baseline "$TMP/base.json" "$TMP/repo"; expect_rc 1; expect_out "$id"
echo ok
