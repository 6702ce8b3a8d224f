# Files deleted while the scan runs: no crash, each vanished file is named, the run goes on and
# the keys in the files that remain are still found.
. "$AK_TESTS/lib/common.sh"
set -e
d="$TMP/tree"; mkdir -p "$d/keep" "$d/gone"
id=$(new_key_id)
printf 'id=%s\n' "$id" > "$d/keep/k.txt"
for i in $(seq 1 3000); do printf 'filler %d\n' "$i" > "$d/gone/f$i.txt"; done
set +e
"$AKHOUND" scan --format jsonl -j 1 "$d" >"$TMP/out" 2>"$TMP/err" &
pid=$!
rm -rf "$d/gone"
wait "$pid"; RC=$?
set -e
OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
case $RC in 1|2) ;; *) fail "exit $RC (crash?): $ERR" ;; esac
expect_out "$id"
# every complaint names a file and says what happened
if grep -q 'vanished\|cannot' <<<"$ERR"; then
  ! grep -v '^akhound: ' <<<"$ERR" | grep -q . || fail "unprefixed stderr: $ERR"
fi
echo ok
