# Files that change size while they are read: a file truncated under the reader (a mapped file
# would kill the scan with SIGBUS) and one appended to are each reported as not fully scanned, by
# name on one line, with exit 2, and the scan goes on to the other files.
# Deterministic: a watcher waits until the scanner is reading the big file past its first read of
# 1 MiB (so past the fstat that gave its size), then changes its size; the files are large sparse
# files, so the scanner is still reading them when that happens.
. "$AK_TESTS/lib/common.sh"
set -e
d="$TMP/tree"; mkdir -p "$d"
id1=$(new_key_id); id2=$(new_key_id)
printf 'id=%s\n' "$id1" > "$d/a-key.txt"
truncate -s 1G "$d/grow.bin"
truncate -s 8G "$d/shrink.bin"
printf 'id=%s\n' "$id2" > "$d/z-key.txt"

# Waits (up to about 20 s) until process $1 has read file $2 past 1 MiB, then runs the rest of the
# arguments. A reader that maps the file stays at 1 MiB: 200 ms there count as past it too.
# Shell builtins only, so each poll is quick.
when_reading() {
  local pid=$1 file=$2 fd="" pos k v since=""; shift 2
  for _ in $(seq 1 4000); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -z "$fd" ]; then
      for f in /proc/"$pid"/fd/*; do [ "$(readlink "$f" 2>/dev/null)" = "$file" ] && fd=${f##*/}; done
    fi
    pos=0
    if [ -n "$fd" ] && [ -r "/proc/$pid/fdinfo/$fd" ]; then
      while read -r k v; do [ "$k" = pos: ] && pos=$v; done <"/proc/$pid/fdinfo/$fd" 2>/dev/null || true
    fi
    [ "$pos" = 1048576 ] && [ -z "$since" ] && since=${EPOCHREALTIME/./}
    if [ "$pos" -gt 1048576 ] || { [ -n "$since" ] && [ $((${EPOCHREALTIME/./} - since)) -gt 200000 ]; }; then
      "$@"
      return 0
    fi
    sleep 0.005
  done
  return 1
}

set +e
"$AKHOUND" scan --format jsonl -j 1 "$d" >"$TMP/out" 2>"$TMP/err" &
pid=$!
when_reading "$pid" "$d/grow.bin" truncate -s +1M "$d/grow.bin" || echo "watcher: grow.bin never read"
when_reading "$pid" "$d/shrink.bin" truncate -s 1M "$d/shrink.bin" || echo "watcher: shrink.bin never read"
wait "$pid"; RC=$?
set -e
OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
expect_rc 2
expect_out "$id1"
expect_out "$id2" # the scan went on after the files that changed
expect_err "$d/shrink.bin: shrank while being read (8589934592 bytes when opened), not fully scanned"
expect_err "$d/grow.bin: grew while being read (1073741824 bytes when opened), not fully scanned"
[ "$(grep -c "while being read" <<<"$ERR")" = 2 ] || fail "one line per changed file expected: $ERR"

# The same file left alone is scanned whole, without complaint.
rm -f "$d/shrink.bin"; truncate -s 64M "$d/grow.bin"
run scan --format jsonl -j 1 "$d"; expect_rc 1; expect_out "$id1"; expect_out "$id2"
! grep -q "while being read" <<<"$ERR" || fail "unexpected complaint: $ERR"

echo ok
