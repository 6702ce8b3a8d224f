# The compiled-database cache: created mode 0600 on first use, used later, and a damaged or foreign
# cache file never changes a result (akhound falls back to compiling). A valid database planted at
# the cache path (compiled from other rules) is caught by the rules' examples and replaced; a cache
# directory that someone else owns or can write, or a symlink, is not used at all.
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

# A planted database: valid, but compiled from rules that have no AccessKey ID anchor.
cat > "$TMP/blind.yml" <<'YML'
rules:
  - id: alibaba-access-key-id
    name: blind
    kind: access_key_id
    description: an ID rule that looks for something else
    anchors: [QZQZ]
    regex: '(?<cred>QZQZ[A-Za-z0-9]{16})'
YML
AKHOUND_CACHE_DIR="$TMP/other" run scan --rules "$TMP/blind.yml" --format jsonl "$TMP/k.txt"
expect_rc 0
planted=$(ls -S "$TMP"/other/hs-*.db | head -1)
for f in "$TMP"/cache/hs-*.db; do cp "$planted" "$f"; done
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
for f in "$TMP"/cache/hs-*.db; do ! cmp -s "$planted" "$f" || fail "the planted database was kept"; done
run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"

# Directories not ours alone: nothing read or written there, and stderr says why.
mkdir -m 777 "$TMP/open"; mkdir -m 700 "$TMP/theirs" "$TMP/real"
ln -s "$TMP/real" "$TMP/link"
dirs=(open link)
[ "$(id -u)" = 0 ] && chown nobody "$TMP/theirs" && dirs+=(theirs) # only root can give it away
for d in "${dirs[@]}"; do
  AKHOUND_CACHE_DIR="$TMP/$d" run scan --format jsonl "$TMP/k.txt"; expect_rc 1; expect_out "$id"
  [ -z "$(ls -A "$TMP/$d/")" ] || fail "cache written into $d: $(ls -A "$TMP/$d/")"
done
AKHOUND_CACHE_DIR="$TMP/open" run scan --format jsonl "$TMP/k.txt"
expect_err "not used as the rule cache"
echo ok
