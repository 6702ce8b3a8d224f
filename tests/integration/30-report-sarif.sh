#!/usr/bin/env bash
# SARIF output validated against the official SARIF 2.1.0 schema (tests/data/sarif-schema-2.1.0.json)
# with python3-jsonschema: the writer's own output (produced by the test_report unit binary with
# hostile paths, every finding kind, validation verdicts) and, when the scan command works, the
# output of `akhound scan --format sarif` on a file holding a freshly generated key pair.
# A deliberately broken copy must fail validation, so a validator that accepts anything is caught.
. "$AK_TESTS/lib/common.sh"
set -e

schema="$AK_ROOT/tests/data/sarif-schema-2.1.0.json"
helper="$(dirname "$AKHOUND")/tests/test_report"
[ -x "$helper" ] || skip "$helper not built (run 'make unit' first)"

py=
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import jsonschema' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || skip "python3-jsonschema not installed (apt-get install python3-jsonschema)"

# validate FILE...: schema errors, plus the URI checks the schema's "format" leaves optional.
validate() {
  "$py" - "$schema" "$@" <<'PY'
import json, re, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
uri_ok = re.compile(r"^([A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-F]{2})*$")
bad = 0
for path in sys.argv[2:]:
    log = json.load(open(path, encoding="utf-8"))
    for err in validator.iter_errors(log):
        bad += 1
        print(f"{path}: {'/'.join(map(str, err.absolute_path))}: {err.message}")
    for run in log.get("runs", []):
        rules = run["tool"]["driver"].get("rules", [])
        for res in run.get("results", []):
            if rules[res["ruleIndex"]]["id"] != res["ruleId"]:
                bad += 1; print(f"{path}: ruleIndex does not point at {res['ruleId']}")
            for loc in res.get("locations", []):
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                first = uri.split("/")[0]
                if not uri_ok.match(uri) or (":" in first and not uri.startswith("file:///")):
                    bad += 1; print(f"{path}: not a valid relative URI: {uri!r}")
sys.exit(1 if bad else 0)
PY
}

out="$TMP/out"
AK_REPORT_OUT="$out" "$helper" >"$TMP/helper.log" 2>&1 || { cat "$TMP/helper.log"; fail "test_report failed"; }
[ -s "$out/findings.sarif" ] || fail "the helper wrote no SARIF"
validate "$out"/*.sarif || fail "SARIF from the report writer is not valid SARIF 2.1.0"

# negative control: an invalid level must be rejected
sed 's/"level": "error"/"level": "fatal"/' "$out/findings.sarif" >"$TMP/broken.sarif"
if validate "$TMP/broken.sarif" >/dev/null; then fail "the validator accepted a broken SARIF file"; fi

# the JSON reports must be strict JSON too (no raw invalid UTF-8 from hostile paths)
"$py" -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$out/findings.json" ||
  fail "findings.json is not valid JSON"
"$py" -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    json.loads(line)' "$out/findings.jsonl" || fail "findings.jsonl is not valid JSONL"

# end to end through the scan command, when it is available
mkdir -p "$TMP/src/sub dir"
id=$(new_key_id) secret=$(new_secret)
printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$id" "$secret" >"$TMP/src/sub dir/app.conf"
run scan --format sarif "$TMP/src"
if [ "$RC" -eq 1 ]; then
  printf '%s\n' "$OUT" >"$TMP/scan.sarif"
  validate "$TMP/scan.sarif" || fail "akhound scan --format sarif is not valid SARIF 2.1.0"
  expect_out "$id"
  expect_not_out "$secret"
  run scan --format sarif --show-secrets "$TMP/src"
  expect_not_out "$secret"
else
  echo "note: akhound scan --format sarif exited $RC; validated the writer's output only"
fi
echo "SARIF valid"
