# Content larger than one scan window (--max-file-size), in lines longer than a window: an ID and a
# secret on either side of a window's edge are one pair, columns count from the line's start in
# the file, and nothing found in the windows' overlap is reported twice. The same for stdin.
. "$AK_TESTS/lib/common.sh"
set -e
id=$(new_key_id); sec=$(new_secret); id2=$(new_key_id); id3=$(new_key_id); sec3=$(new_secret)
win=65536 # the first window ends at byte 65536; the next starts at 32768 (overlap: a half)

# Writes $1: filler with each "OFFSET=TEXT" argument placed at byte OFFSET, then a newline; filler
# lines are $2 bytes long (0: one line).
place() {
  python3 - "$@" <<'PY'
import sys
path, width, items = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
filler = "lorem ipsum dolor sit amet "
size = max(int(i.split("=", 1)[0]) + len(i) for i in items) + 70000
buf = bytearray((filler * (size // len(filler) + 1))[:size], "ascii")
if width:
    buf[width - 1::width] = b"\n" * len(buf[width - 1::width])
for i in items:
    off, text = i.split("=", 1)
    buf[int(off):int(off) + len(text)] = text.encode()
open(path, "wb").write(bytes(buf) + b"\n")
PY
}
# Checks $OUT (JSONL) holds exactly the findings given as "KIND,ID,LINE,COLUMN[,SECRET]".
expect_findings() {
  python3 - "$OUT" "$@" <<'PY' || fail "findings differ: $OUT"
import hashlib, json, sys
got = sorted((f["kind"], f.get("access_key_id"), f["line"], f["column"], f.get("secret_sha256"))
             for f in map(json.loads, sys.argv[1].splitlines()))
want = []
for w in sys.argv[2:]:
    k, i, line, col, *sec = w.split(",")
    want.append((k, i, int(line), int(col), hashlib.sha256(sec[0].encode()).hexdigest() if sec else None))
if got != sorted(want):
    print("got  ", got, "\nwant ", sorted(want), file=sys.stderr)
    sys.exit(1)
PY
}

# one long line: the ID before the first window's edge, its secret after it
a=$((win - 150)); b=$((win + 150))
place "$TMP/one.txt" 0 "$a= AccessKeyId: $id " "$b= AccessKeySecret: $sec " "150000= id $id2 "
run scan --format jsonl --max-file-size 64K "$TMP/one.txt"; expect_rc 1
expect_findings "access_key_pair,$id,1,$((a + 15)),$sec" "access_key_id,$id2,1,150005"
# the same read from stdin, and as a whole (one window): the same findings
OUT=$("$AKHOUND" scan --format jsonl --max-file-size 64K - <"$TMP/one.txt" || true)
expect_findings "access_key_pair,$id,1,$((a + 15)),$sec" "access_key_id,$id2,1,150005"
run scan --format jsonl "$TMP/one.txt"; expect_rc 1
expect_findings "access_key_pair,$id,1,$((a + 15)),$sec" "access_key_id,$id2,1,150005"

# lines of 1000 bytes: the ID on the line that holds the edge, the secret on the next; a lone ID
# inside the overlap of the first two windows
a=$((win - 60)); b=$((win + 1000))
place "$TMP/lines.txt" 1000 "$a= key=$id3 " "$b= secret=$sec3 " "40000= id=$id2 "
run scan --format jsonl --max-file-size 64K "$TMP/lines.txt"; expect_rc 1
expect_findings "access_key_pair,$id3,$((a / 1000 + 1)),$((a % 1000 + 6)),$sec3" \
  "access_key_id,$id2,41,5"
echo ok
