# Hostile trees: an .akhoundignore that is a FIFO or a link to /dev/zero, and an exclusion glob
# built to make a backtracking matcher explode, neither hang the scan nor stop it; deep trees are
# scanned, and one too deep to be scanned whole is an incomplete scan naming the directory.
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
rm -f "$d/.akhoundignore" "$d/$long"

# $1 nested $2 levels deep (directories named $3), with a key in a file at the bottom
nest() {
  python3 - "$1" "$2" "$3" "id=$id" <<'PY'
import os, sys
os.makedirs(sys.argv[1]); os.chdir(sys.argv[1])
for _ in range(int(sys.argv[2])):
    os.mkdir(sys.argv[3]); os.chdir(sys.argv[3])
open("k.txt", "w").write(sys.argv[4] + "\n")
PY
}
# 300 levels (main skipped everything below 256 with exit 0): the key at the bottom is found
deep="$TMP/deep"
nest "$deep" 300 d
run scan --format jsonl "$deep"; expect_rc 1; expect_out "$id"
# deeper than a path can name (PATH_MAX): exit 2, the directory named, the rest still scanned
n200=$(printf 'n%.0s' $(seq 1 200))
nest "$deep/x" 25 "$n200"
run scan --format jsonl "$deep"; expect_rc 2; expect_out "$id"
expect_err "$deep/x/$n200/$n200/"; expect_err "File name too long"
echo ok
