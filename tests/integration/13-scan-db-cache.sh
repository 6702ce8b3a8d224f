# The compiled-database cache: created mode 0600 on first use, used later, and a damaged or foreign
# cache file never changes a result (akhound falls back to compiling).
. "$AK_TESTS/lib/common.sh"
set -e
export AKHOUND_CACHE_DIR="$TMP/cache"
id=$(new_key_id)
printf 'id=%s\n' "$id" > "$TMP/k.txt"
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
ls "$TMP"/cache/hs-*.db >/dev/null || fail "no cache file written"
for f in "$TMP"/cache/hs-*.db; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "cache file mode $(stat -c %a "$f")"
done
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
for f in "$TMP"/cache/hs-*.db; do head -c 4000 /dev/urandom > "$f"; done
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
for f in "$TMP"/cache/hs-*.db; do : > "$f"; done
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
AKHOUND_NO_CACHE=1 run scan --format jsonl "$TMP/k.txt"; expect_rc 1
chmod 000 "$TMP/cache"
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
chmod 700 "$TMP/cache"
echo ok
