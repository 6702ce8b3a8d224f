# Hostile inputs degrade loudly, never quietly and never without bound: a user rule that hits the
# regular expression match limit is named with the file, which counts as not fully scanned (exit
# 2); the built-in rules stay linear on megabytes of the character classes and anchors they use
# (each scan within a time bound); a rule file nested 20,000 deep is refused quickly.
. "$AK_TESTS/lib/common.sh"
set -e
export AKHOUND_CACHE_DIR=$TMP/cache

# A user rule with catastrophic backtracking.
cat >"$TMP/slow.yml" <<'YML'
rules:
  - id: user-backtracking
    name: backtracking
    kind: access_key_secret
    description: nested alternatives that backtrack exponentially
    anchors: [ZQZQ]
    regex: '(?<cred>ZQZQ(?:a|aa)+b)'
YML
id=$(new_key_id)
python3 -c "import sys; print('ZQZQ' + 'a' * 60 + 'cb'); print('id = ' + sys.argv[1])" "$id" >"$TMP/slow.txt"
run scan --rules "$TMP/slow.yml" --format jsonl "$TMP/slow.txt"
expect_rc 2
expect_err "$TMP/slow.txt: rule 'user-backtracking' hit the regular expression match limit"
expect_out "$id" # what was found is still reported

# Built-in rules on adversarial inputs, each within BOUND CPU seconds (linear: well under a second).
BOUND=20
python3 - "$TMP/adv" <<'PY'
import os, random, string, sys, base64
d = sys.argv[1]; os.makedirs(d)
alnum = string.ascii_letters + string.digits
rnd = lambda n, a=alnum: "".join(random.choice(a) for _ in range(n))
M = 1 << 20
big = {
    "alnum": rnd(4 * M), "base64": rnd(4 * M, alnum + "+/"), "anchor": "LTAI" * M,
    "sts": "STS." * M, "token": "CAIS" + rnd(4 * M, alnum + "+/"),
    "keyword": "access_key_secret=" * (4 * M // 18), "generic": "aliyun\n" + "secret_key" * (4 * M // 10),
    "b64anchor": base64.b64encode(b"LTAI5t" * (3 * M // 6)).decode(),
    "percent": "%4C%54%41%49LTAI" * (M // 4), "escaped": "\\u0022LTAI" * (4 * M // 10),
    "ids_line": " ".join("LTAI" + rnd(20) for _ in range(M // 25)),
    "sts_line": " ".join("STS." + rnd(30) for _ in range(M // 35)),
}
for name, text in big.items():
    open(os.path.join(d, name), "w").write(text)
prefix = bytes(random.randrange(256) for _ in range(4096))  # binary: not a UTF-16 text file
open(os.path.join(d, "utf16_anchor"), "wb").write(prefix + ("LTAI" * M).encode("utf-16-le"))
open(os.path.join(d, "utf16_ids"), "wb").write(
    prefix + " ".join("LTAI" + rnd(20) for _ in range(M // 50)).encode("utf-16-le"))
PY
# CPU seconds (user + system), not wall time: a loaded machine (make asan beside other builds)
# must not fail a linear scan.
cpu_secs() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[-1] + ".err", "w"))
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f" % (r.ru_utime + r.ru_stime))
PY
}
for f in "$TMP"/adv/*; do
  secs=$(cpu_secs timeout $((BOUND * 6)) "$AKHOUND" scan -q -j 1 --format jsonl "$f")
  mv "$f.err" "$TMP/adv.err"
  echo "$(basename "$f"): ${secs}s"
  awk -v s="$secs" -v b="$BOUND" 'BEGIN{exit !(s < b)}' || fail "$(basename "$f") took ${secs}s (bound ${BOUND}s)"
  ! grep -q . "$TMP/adv.err" || fail "$(basename "$f"): $(cat "$TMP/adv.err")"
done

# A rule file nested 20,000 levels deep: refused at once with a clear error.
python3 -c "print('rules: ' + '[' * 20000 + ']' * 20000)" >"$TMP/deep.yml"
start=$(date +%s.%N)
run rules list --rules "$TMP/deep.yml"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
expect_rc 2
expect_err "$TMP/deep.yml:1: nested deeper than 64 levels"
awk -v s="$secs" 'BEGIN{exit !(s < 5)}' || fail "the deep rule file took ${secs}s"
echo ok
