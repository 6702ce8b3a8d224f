# akhound scan --format gitlab: GitLab's secret-detection report, validated against GitLab's own
# schema (tests/data/gitlab-secret-detection-report-format-15.2.1.json) with python3-jsonschema,
# for a scan of files (commit "0000000"), a git range (the introducing commit), an incomplete scan
# (status failure) and a live key (Critical); never a secret, even with --show-secrets. A broken
# copy must fail validation, so a validator that accepts anything is caught.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
set -e
schema="$AK_ROOT/tests/data/gitlab-secret-detection-report-format-15.2.1.json"
python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"
validate() { # FILE [PYTHON CHECK...]
  python3 - "$schema" "$@" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
errs = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in
        jsonschema.Draft7Validator(schema).iter_errors(doc)]
if errs: sys.exit("schema: " + "; ".join(errs))
for check in sys.argv[3:]:
    if not eval(check, {"doc": doc, "v": doc["vulnerabilities"]}): sys.exit(f"failed: {check}\n{json.dumps(doc, indent=1)}")
PY
}
export GIT_AUTHOR_NAME=Gil GIT_AUTHOR_EMAIL=gil@example.org GIT_COMMITTER_NAME=Gil \
  GIT_COMMITTER_EMAIL=gil@example.org GIT_CONFIG_NOSYSTEM=1 HOME=$TMP
mkdir -p "$TMP/src"
id=$(new_key_id); sec=$(new_secret)
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id" "$sec" > "$TMP/src/app.env"
run scan --format gitlab --show-secrets --output "$TMP/files.json" "$TMP/src"; expect_rc 1
! grep -qF "$sec" "$TMP/files.json" || fail "the GitLab report holds the secret"
validate "$TMP/files.json" 'doc["scan"]["type"] == "secret_detection"' 'doc["scan"]["status"] == "success"' \
  'len(v) == 1' "v[0]['location']['commit']['sha'] == '0000000'" "'$id' in v[0]['description']" \
  "v[0]['severity'] == 'High'" "v[0]['location']['start_line'] == 1" || fail "files report"
run scan --format gitlab "$TMP/src"; expect_rc 1   # to stdout, the summary on stderr
expect_out '"secret_detection"'; expect_err "1 finding"

# a broken report must fail: the validator is not a rubber stamp
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["vulnerabilities"][0]["location"]["commit"]; json.dump(d, open(sys.argv[2], "w"))' \
  "$TMP/files.json" "$TMP/broken.json"
! validate "$TMP/broken.json" 2>/dev/null || fail "a report without a commit passed the schema"

# a git range: the commit that introduced the key
R=$TMP/repo; git init -q -b main "$R"; cd "$R"; echo a > a.txt; git add -A; git commit -qm base
base=$(git rev-parse HEAD); cp "$TMP/src/app.env" .; git add -A; git commit -qm "add config"
c=$(git rev-parse HEAD)
run scan --range "$base..HEAD" --format gitlab --output "$TMP/range.json"; expect_rc 1
validate "$TMP/range.json" "v[0]['location']['commit']['sha'] == '$c'" \
  "v[0]['location']['commit']['message'] == 'add config'" "v[0]['location']['file'] == 'app.env'" || fail "range report"
# the same findings give the same ids (GitLab tracks vulnerabilities across pipelines by them)
run scan --range "$base..HEAD" --format gitlab --output "$TMP/range2.json"
python3 -c 'import json,sys; a,b=(json.load(open(p))["vulnerabilities"] for p in sys.argv[1:]); assert [x["id"] for x in a]==[x["id"] for x in b]' \
  "$TMP/range.json" "$TMP/range2.json" || fail "ids change between runs"

# an incomplete scan says so (an input that cannot be read)
run scan --format gitlab --output "$TMP/inc.json" "$TMP/src" "$TMP/no-such-dir"; expect_rc 2
validate "$TMP/inc.json" 'doc["scan"]["status"] == "failure"' 'doc["scan"]["messages"][0]["level"] == "warn"' 'len(v) == 1' || fail "incomplete"

# a live key is Critical
emu_state_basic "$TMP/e.state.json"; emu_start e; export AKHOUND_STS_ENDPOINT="$EMU_URL/sts"
printf 'id: %s\nsecret: %s\n' "$K_ID" "$K_SECRET" > "$TMP/src/live.yml"
run scan --validate --format gitlab --output "$TMP/live.json" "$TMP/src"; expect_rc 3
! grep -qF "$K_SECRET" "$TMP/live.json" || fail "secret in the report"
validate "$TMP/live.json" "any(x['severity'] == 'Critical' and '$K_ID' in x['description'] for x in v)" || fail "live"
echo ok
