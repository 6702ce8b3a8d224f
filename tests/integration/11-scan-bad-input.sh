# Bad input: every case gets a clear message, no crash, and an exit code that tells the truth.
. "$AK_TESTS/lib/common.sh"
set -e
d="$TMP/in"; mkdir -p "$d"
id=$(new_key_id)

# NUL bytes and invalid UTF-8 around a key
printf 'bin\0\0\xff\xfe\xc3(junk id=%s\0tail\n' "$id" > "$d/binary.dat"
run scan "$d/binary.dat"; expect_rc 1; expect_out "$id"

# empty file
: > "$d/empty"; run scan "$d/empty"; expect_rc 0; expect_out "scanned 1 file"

# 50 MiB single-line minified JSON with a key in the middle
python3 - "$d/min.json" "$id" <<'PY'
import sys
path, kid = sys.argv[1], sys.argv[2]
item = '{"name":"item","value":12345,"tags":["a","b","c"]},'
n = (25 << 20) // len(item)
with open(path, "w") as f:
    f.write("[" + item * n + '{"AccessKeyId":"%s"},' % kid + item * n + "{}]")
PY
run scan --format jsonl "$d/min.json"; expect_rc 1; expect_out "\"line\":1,"; expect_out "$id"

# 1 GiB file (sparse), key near the end, scanned in windows with a small --max-file-size
truncate -s 1G "$d/huge.bin"
printf '\nid=%s\n' "$id" | dd of="$d/huge.bin" bs=1 seek=$(( (1 << 30) - 100 )) conv=notrunc status=none
run scan --format jsonl --max-file-size 64M "$d/huge.bin"; expect_rc 1; expect_out "$id"
rm -f "$d/huge.bin"

# FIFO: noted, not read, not an error
mkfifo "$d/pipe"
run scan "$d"; expect_rc 1; expect_err "pipe: not a regular file"
rm -f "$d/pipe"

# symlink loops: no hang, links not followed
mkdir -p "$d/sub"; ln -s .. "$d/sub/up"; ln -s self "$d/self"
run scan "$d"; expect_rc 1

# unreadable file (as an unprivileged user, since root reads everything)
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
  u="$TMP/u"; mkdir -p "$u"; printf 'x\n' > "$u/ok.txt"; printf 'id=%s\n' "$id" > "$u/secret.txt"
  chmod 000 "$u/secret.txt"; chmod 755 "$TMP" "$u"; cp "$AKHOUND" "$TMP/akhound-bin"; chmod 755 "$TMP/akhound-bin"
  set +e; OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/akhound-bin" scan "$u" 2>"$TMP/err"); RC=$?; set -e
  ERR=$(cat "$TMP/err")
  expect_rc 2; expect_err "secret.txt: cannot open: Permission denied"; expect_out "incomplete"
elif [ "$(id -u)" != 0 ]; then
  u="$TMP/u"; mkdir -p "$u"; printf 'id=%s\n' "$id" > "$u/secret.txt"; chmod 000 "$u/secret.txt"
  run scan "$u"; expect_rc 2; expect_err "Permission denied"
fi

# a path with a newline and non-UTF-8 bytes: escaped in every format, JSON stays valid
weird=$(printf '%s/we\nird\xff.txt' "$d")
printf 'id=%s\n' "$id" > "$weird"
run scan --format text "$weird"; expect_rc 1
[ "$(grep -c "access_key_id" <<<"$OUT")" = 1 ] || fail "text output: $OUT"
grep -q 'we\\x0aird\\xff.txt' <<<"$OUT" || fail "path not escaped in text: $OUT"
for f in json jsonl sarif; do
  run scan --format "$f" "$weird"; expect_rc 1
  printf '%s' "$OUT" | python3 -c 'import json,sys; d=sys.stdin.read(); [json.loads(l) for l in d.splitlines() if l.strip()] if "'$f'"=="jsonl" else json.loads(d)' || fail "$f output is not valid JSON"
done

# malformed rule file: clear error naming file and line
printf 'rules:\n  - id: broken\n    kind: access_key_id\n    anchors: [X]\n    regex: "(?<cred>X[0-9"\n' > "$TMP/bad.yml"
run scan --rules "$TMP/bad.yml" "$d/empty"; expect_rc 2; expect_err "bad.yml"; expect_err "bad regex"
printf 'rules:\n  - id: x\n    kind: nonsense\n' > "$TMP/bad2.yml"
run scan --rules "$TMP/bad2.yml" "$d/empty"; expect_rc 2; expect_err "bad2.yml:3: unknown kind 'nonsense'"
printf 'rules: [\n' > "$TMP/bad3.yml"
run scan --rules "$TMP/bad3.yml" "$d/empty"; expect_rc 2; expect_err "bad3.yml:"

# a path that does not exist: error, named, and the rest is still scanned
run scan "$d/missing" "$d/binary.dat"; expect_rc 2; expect_err "missing: cannot scan"; expect_out "$id"
echo ok
