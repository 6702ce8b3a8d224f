# Shared helpers for integration tests. Source it: . "$AK_TESTS/lib/common.sh"
# Key material is generated here at run time, never committed.
set -u

AKHOUND=${AKHOUND:?}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/akhound-it-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# random base62 string of length $1 (mixes upper, lower and digits like real keys)
rand_alnum() {
  local n=$1 s
  # no vowels or x, so no placeholder word can form; squeeze repeats
  s=$(head -c $((n * 8 + 64)) /dev/urandom | tr -dc 'B-DF-HJ-NP-TV-WYZb-df-hj-np-tv-wyz2-9' | tr -s 'A-Za-z0-9' | head -c $((n - 3)))
  printf 'Kq7%s' "$s"
}
new_key_id() { printf 'LT%s%s' 'AI' "$(rand_alnum 20)"; }
new_secret() { rand_alnum 30; }
new_sts_id() { printf 'ST%s%s' 'S.' "$(rand_alnum 25)"; }
new_sts_secret() { rand_alnum 44; }
new_sts_token() { printf 'CA%s%s' 'IS' "$(head -c 300 /dev/urandom | base64 -w0 | head -c 400)"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }

# run akhound, capture stdout in $OUT, stderr in $ERR, exit code in $RC
run() {
  set +e
  OUT=$("$AKHOUND" "$@" 2>"$TMP/.stderr"); RC=$?
  ERR=$(cat "$TMP/.stderr")
  set -e
}
expect_rc() { [ "$RC" -eq "$1" ] || fail "expected exit $1, got $RC; stderr: $ERR"; }
expect_out() { grep -qF -- "$1" <<<"$OUT" || fail "stdout lacks '$1': $OUT"; }
expect_not_out() { ! grep -qF -- "$1" <<<"$OUT" || fail "stdout has '$1'"; }
expect_err() { grep -qF -- "$1" <<<"$ERR" || fail "stderr lacks '$1': $ERR"; }
# count JSONL lines in $OUT matching a jq-less substring
count_out() { grep -cF -- "$1" <<<"$OUT" || true; }
