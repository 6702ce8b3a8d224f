# Files akhound writes are never written through a symbolic link planted at their path: -o of
# scan, validate, report merge and respond, a baseline, respond's audit log and ledger; the file the
# link points to is left as it was. A link to a device or a FIFO (/dev/stdout, a named pipe) still
# works. An existing world-readable -o file that receives --show-secrets output becomes mode 0600.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/emulator/lib.sh"
. "$AK_TESTS/emulator/respond_lib.sh"
set -e
resp_start
mkdir "$TMP/src"
pair() { printf 'access_key_id = "%s"\naccess_key_secret = "%s"\n' "$1" "$2"; }
pair "$KR_ID" "$KR_SECRET" >"$TMP/src/app.env"
"$AKHOUND" scan --format jsonl --show-secrets -o "$TMP/found.jsonl" "$TMP/src" 2>/dev/null || true
grep -qF "$KR_ID" "$TMP/found.jsonl" || fail "no finding to work with"

victim=$TMP/victim
planted() { # NAME: a symlink NAME -> $victim, whose content is checked afterwards
  printf 'precious\n' >"$victim"; chmod 644 "$victim"
  rm -f "$TMP/$1"; ln -s "$victim" "$TMP/$1"
}
untouched() { # WHAT
  [ "$(cat "$victim")" = precious ] || fail "$1 wrote through the link: $(head -c 200 "$victim")"
  [ "$(stat -c %a "$victim")" = 644 ] || fail "$1 changed the link target's mode"
  expect_err "is a symbolic link"
}
for cmd in "scan --format json $TMP/src" "scan --show-secrets $TMP/src" \
  "validate $TMP/found.jsonl" "report merge $TMP/found.jsonl" "respond $TMP/found.jsonl"; do
  planted out
  run $cmd -o "$TMP/out"
  expect_rc 2
  untouched "${cmd%% *} -o"
done
planted base.json
(cd "$TMP/src" && run baseline "$TMP/base.json" && untouched baseline && [ "$RC" = 2 ]) ||
  fail "baseline through a link: exit $RC"
planted audit.jsonl
run respond --apply --audit-log "$TMP/audit.jsonl" --ledger "$TMP/l1.db" "$TMP/found.jsonl"
expect_rc 2
untouched "respond --audit-log"
planted ledger.db
run respond --apply --ledger "$TMP/ledger.db" "$TMP/found.jsonl"
expect_rc 2
untouched "respond --ledger"

# Links to where the user wants the bytes: /dev/stdout (a pipe, or a file the shell opened) and a
# named pipe.
"$AKHOUND" scan --format jsonl -o /dev/stdout "$TMP/src" 2>/dev/null | grep -qF "$KR_ID" ||
  fail "-o /dev/stdout into a pipe"
"$AKHOUND" scan --format jsonl -o /dev/stdout "$TMP/src" >"$TMP/redirected" 2>/dev/null || true
grep -qF "$KR_ID" "$TMP/redirected" || fail "-o /dev/stdout redirected to a file"
mkfifo "$TMP/fifo"; ln -s "$TMP/fifo" "$TMP/to-fifo"
timeout 20 cat "$TMP/fifo" >"$TMP/from-fifo" &
reader=$!
timeout 20 "$AKHOUND" scan --format jsonl -o "$TMP/to-fifo" "$TMP/src" 2>/dev/null && RC=0 || RC=$?
wait "$reader"
expect_rc 1
grep -qF "$KR_ID" "$TMP/from-fifo" || fail "-o through a link to a FIFO"

# An existing 0644 report file receiving secrets in clear is made private first.
printf 'old\n' >"$TMP/report.json"; chmod 644 "$TMP/report.json"
run scan --show-secrets --format json -o "$TMP/report.json" "$TMP/src"
expect_rc 1
[ "$(stat -c %a "$TMP/report.json")" = 600 ] || fail "mode $(stat -c %a "$TMP/report.json") with secrets"
grep -qF "$KR_SECRET" "$TMP/report.json" || fail "no secret written"
echo ok
