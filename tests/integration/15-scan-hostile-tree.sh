# Hostile trees: an .akhoundignore that is a FIFO or a link to /dev/zero, and an exclusion glob
# built to make a backtracking matcher explode, neither hang the scan nor stop it.
. "$AK_TESTS/lib/common.sh"
set -e
d="$TMP/tree"; mkdir -p "$d"
id=$(new_key_id)
printf 'id=%s\n' "$id" > "$d/k.txt"

# run, under a timeout: a hang fails the test instead of stalling the suite
trun() {
  set +e
  OUT=$(timeout 20 "$AKHOUND" "$@" 2>"$TMP/.stderr"); RC=$?
  ERR=$(cat "$TMP/.stderr")
  set -e
}
mkfifo "$d/.akhoundignore"
trun scan --format jsonl "$d"
expect_rc 1; expect_out "$id"
expect_err "$d/.akhoundignore: not a regular file, not applied"
trun scan --format jsonl --git "$d"
expect_err ".akhoundignore: not a regular file, not applied"
rm "$d/.akhoundignore"; ln -s /dev/zero "$d/.akhoundignore"
trun scan --format jsonl "$d"
expect_rc 1; expect_out "$id"
expect_err "$d/.akhoundignore: not a regular file, not applied"
rm "$d/.akhoundignore"

long=$(printf 'a%.0s' $(seq 1 200))
touch "$d/$long"
printf '*a*a*a*a*a*a*a*a*a*a*a*a*b\n' > "$d/.akhoundignore"
trun scan --format jsonl --exclude '*a*a*a*a*a*a*a*a*a*a*a*a*c' "$d"
expect_rc 1; expect_out "$id"
echo ok
