#!/usr/bin/env bash
# Builds the detection benchmark corpus: real text from this machine (/usr/include, /usr/share,
# then Python and Perl library sources) copied in rounds (DIR/tree/r00, r01, ...) until SIZE_MIB
# is reached, with generated credentials and placeholders planted into some files.
#
# Usage: bench/make-corpus.sh [DIR] [SIZE_MIB]      (defaults: bench/corpus 1024)
#   env: SEED=20240601 (same seed + same machine = same corpus), PLANT_EVERY=25 (one planted block
#        per PLANT_EVERY files on average), FORCE=1 (rebuild even if DIR matches the request)
#
# Layout:
#   DIR/tree/          the corpus to scan (text files only; symlinks and binary files are skipped)
#   DIR/manifest.tsv   one line per planted block: category, path (inside tree), first line,
#                      line count, expected ID (or -), SHA-256 of the expected secret (or -)
#   DIR/manifest.txt   counts per category, size, seed: what bench/scan.sh checks against
#
# Key material is generated now from the seed (never stored in the repository) in the style of
# tests/lib/common.sh: letters and digits without vowels or x, so that no placeholder word can
# form by chance. The manifest holds IDs and secret hashes, never a secret in clear, and lives
# outside tree/ so the scan does not see it. bench/corpus/ is git-ignored; do not commit it.
# Note: `akhound scan .` at the repository root scans bench/corpus too (it does not honour
# .gitignore): delete the corpus or scan with --exclude bench/corpus when self-scanning.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$root/bench/corpus}
SIZE_MIB=${2:-1024}
SEED=${SEED:-20240601}
PLANT_EVERY=${PLANT_EVERY:-25}
case $SIZE_MIB in '' | *[!0-9]*) echo "make-corpus: SIZE_MIB must be a number" >&2; exit 2 ;; esac

want="size_mib=$SIZE_MIB seed=$SEED plant_every=$PLANT_EVERY generator=$(sha256sum "$0" | cut -c1-12)"
if [ -z "${FORCE:-}" ] && [ -f "$DIR/manifest.txt" ] && grep -qxF "request: $want" "$DIR/manifest.txt"; then
  echo "make-corpus: $DIR already holds this corpus ($want); FORCE=1 rebuilds it"
  exit 0
fi
if [ -e "$DIR" ] && [ ! -f "$DIR/manifest.txt" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
  echo "make-corpus: $DIR exists and is not a corpus made by this script; refusing to delete it" >&2
  exit 2
fi
rm -rf "$DIR"
mkdir -p "$DIR"
start=$(date +%s)

python3 - "$DIR" "$SIZE_MIB" "$SEED" "$PLANT_EVERY" "$want" <<'PY'
import base64, glob, hashlib, json, os, random, shutil, sys

out, size_mib, seed, every, request = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
target = size_mib << 20
tree = os.path.join(out, "tree")
SOURCES = ["/usr/include", "/usr/share"] + sorted(glob.glob("/usr/lib/python3*")) \
    + sorted(glob.glob("/usr/lib/x86_64-linux-gnu/perl*"))
# Not source-like text (machine-specific package name lists) or compiled caches.
PRUNE = {"/usr/share/package-lists", "__pycache__"}
MAX_FILE = 16 << 20

rng = random.Random(seed)

# --- key material (no vowels, no x: no placeholder word can appear) ---
UP, LO, DG = "BCDFGHJKLMNPQRSTVWYZ", "bcdfghjkmnpqrstvwyz", "23456789"
ALNUM = UP + LO + DG
B64 = ALNUM + "+/"

def rand_str(n, alphabet=ALNUM):
    # mixed upper, lower and digits like real keys; no character twice in a row (never a
    # repeated-character placeholder) and no ascending or descending run such as 2345
    while True:
        s = [rng.choice(alphabet)]
        while len(s) < n:
            c = rng.choice(alphabet)
            if c != s[-1]:
                s.append(c)
        s = "".join(s)
        if (any(c in UP for c in s) and any(c in LO for c in s) and any(c in DG for c in s)
                and not has_run(s)):
            return s

def has_run(s, n=4):
    up = down = 1
    for i in range(1, len(s)):
        up = up + 1 if ord(s[i]) == ord(s[i - 1]) + 1 else 1
        down = down + 1 if ord(s[i]) == ord(s[i - 1]) - 1 else 1
        if up >= n or down >= n:
            return True
    return False

def key_id(legacy=False):
    return "LT" + "AI" + rand_str(12 if legacy else 20)

def secret():
    return rand_str(30)

def b64(s):
    return base64.b64encode(s.encode()).decode()

def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()

# --- planted blocks: (category, text, expected id, expected secret) ---
def plant_pair():
    i, s = key_id(), secret()
    forms = [
        "ALIBABA_CLOUD_ACCESS_KEY_ID=%s\nALIBABA_CLOUD_ACCESS_KEY_SECRET=%s",
        'client = AcsClient("%s", "%s", "cn-hangzhou")',
        "[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s",
        '{\n  "AccessKeyId": "%s",\n  "AccessKeySecret": "%s"\n}',
        'config.setAccessKeyId("%s");\nconfig.setAccessKeySecret("%s");',
        "oss:\n  endpoint: oss-cn-hangzhou.aliyuncs.com\n  access-key-id: %s\n  access-key-secret: %s",
    ]
    return "pair_plain", rng.choice(forms) % (i, s), i, s

def plant_pair_legacy():
    i, s = key_id(legacy=True), secret()
    text = 'provider "alicloud" {\n  region     = "cn-beijing"\n  access_key = "%s"\n  secret_key = "%s"\n}' % (i, s)
    return "pair_legacy", text, i, s

def plant_pair_base64():
    i, s = key_id(), secret()
    if rng.random() < 0.5:
        text = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: oss-credentials\ntype: Opaque\n"
                "data:\n  id: %s\n  access-key-secret: %s" % (b64(i), b64(s)))
    else:
        text = "cfg: %s" % b64(json.dumps({"AccessKeyId": i, "AccessKeySecret": s}, separators=(",", ":")))
    return "pair_base64", text, i, s

def plant_pair_escaped():
    i, s = key_id(), secret()
    text = 'body = "{\\"AccessKeyId\\":\\"%s\\",\\"AccessKeySecret\\":\\"%s\\"}"' % (i, s)
    return "pair_escaped", text, i, s

def plant_lone_id():
    i = key_id(legacy=rng.random() < 0.2)
    forms = [
        "# rotated on 2023-04-01, old id: %s",
        "https://sts.aliyuncs.com/?Action=GetCallerIdentity&AccessKeyId=%s&Format=json",
        'url = "https://x.example.com/?AccessKeyId%%3D%s%%26Signature%%3Dabc"',
        "export ALIBABA_CLOUD_ACCESS_KEY_ID=%s",
    ]
    return "lone_id", rng.choice(forms) % i, i, None

def plant_sts():
    i, s = "ST" + "S." + rand_str(25), rand_str(44)
    tok = "CA" + "IS" + rand_str(rng.choice([300, 420, 560]), B64) + "=="
    text = ('{"RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",\n "Credentials": {\n'
            '  "AccessKeyId": "%s",\n  "AccessKeySecret": "%s",\n  "SecurityToken": "%s",\n'
            '  "Expiration": "2015-04-09T11:52:19Z"\n }}' % (i, s, tok))
    return "sts", text, i, s

def plant_placeholder():
    forms = [
        'access_key_id = "LTAI' + "*" * 20 + '"\naccess_key_secret = "' + "*" * 30 + '"',
        'access_key_id = "LTAI' + "x" * 20 + '"',
        "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEXAMPLE" + rand_str(11) + "\nALIBABA_CLOUD_ACCESS_KEY_SECRET=${ALIBABA_CLOUD_ACCESS_KEY_SECRET}",
        'accessKeyId: "<your-access-key-id>"\naccessKeySecret: "<your-access-key-secret>"',
        "AccessKeyId: LTAI" + rand_str(16) + "****\nAccessKeySecret: " + rand_str(26) + "****",
        "AccessKeyId: STS.NUgYrLnoC37mZZCNnAbez****\nAccessKeySecret: {{ .Values.aliyun.secret }}",
        'key_id = "LTAI5tYourAccessKeyIdHere"\nkey_secret = "YOUR_ACCESS_KEY_SECRET_EXAMPLE_1234"',
        "ak = LTAI" + "A" * 20 + "\nsk = " + "0123456789" * 3,
    ]
    return "placeholder", rng.choice(forms), None, None

PLANTS = [(plant_pair, 40), (plant_pair_legacy, 6), (plant_pair_base64, 10), (plant_pair_escaped, 4),
          (plant_lone_id, 15), (plant_sts, 8), (plant_placeholder, 17)]
WEIGHTS = [w for _, w in PLANTS]
CATEGORIES = ["pair_plain", "pair_legacy", "pair_base64", "pair_escaped", "lone_id", "sts", "placeholder"]

# --- source files: sorted walk, text only ---
def text_files():
    files = []
    for src in SOURCES:
        if not os.path.isdir(src) or os.path.islink(src):
            continue
        for dp, dn, fn in os.walk(src):
            dn[:] = sorted(d for d in dn if d not in PRUNE and os.path.join(dp, d) not in PRUNE)
            for f in sorted(fn):
                p = os.path.join(dp, f)
                try:
                    if os.path.islink(p) or not os.path.isfile(p):
                        continue
                    n = os.path.getsize(p)
                    if n == 0 or n > MAX_FILE:
                        continue
                    with open(p, "rb") as fh:
                        head = fh.read(8192)
                except OSError:
                    continue
                if b"\0" in head:  # binary (or UTF-16) file
                    continue
                files.append((p, n))
    return files

files = text_files()
if not files:
    sys.exit("make-corpus: no text files found under " + " ".join(SOURCES))
round_bytes = sum(n for _, n in files)
print("make-corpus: %d text files, %.0f MiB per round; target %d MiB" % (len(files), round_bytes / 2**20, size_mib), flush=True)

manifest = []
total = nfiles = 0
rnd = 0
made_dirs = set()
while total < target:
    base = os.path.join(tree, "r%02d" % rnd)
    for p, n in files:
        if total >= target:
            break
        dst = base + p
        d = os.path.dirname(dst)
        if d not in made_dirs:
            os.makedirs(d, exist_ok=True)
            made_dirs.add(d)
        if rng.randrange(every) == 0:
            fn = rng.choices(PLANTS, WEIGHTS)[0][0]
            cat, text, kid, sec = fn()
            with open(p, "rb") as fh:
                data = fh.read()
            # one block per planted file, at the start of a random line
            lines = data.split(b"\n")
            at = rng.randrange(len(lines))
            block = text.encode()
            new = b"\n".join(lines[:at] + [block] + lines[at:])
            with open(dst, "wb") as fh:
                fh.write(new)
            size = len(new)
            manifest.append((cat, os.path.relpath(dst, tree), at + 1, text.count("\n") + 1,
                             kid or "-", sha(sec) if sec else "-"))
        else:
            shutil.copyfile(p, dst)
            size = n
        total += size
        nfiles += 1
    rnd += 1

with open(os.path.join(out, "manifest.tsv"), "w") as fh:
    fh.write("#category\tpath\tline\tlines\tid\tsecret_sha256\n")
    for row in manifest:
        fh.write("\t".join(str(x) for x in row) + "\n")
counts = {}
for row in manifest:
    counts[row[0]] = counts.get(row[0], 0) + 1
with open(os.path.join(out, "manifest.txt"), "w") as fh:
    fh.write("request: %s\n" % request)
    fh.write("files: %d\nbytes: %d\nrounds: %d\n" % (nfiles, total, rnd))
    for cat in CATEGORIES:
        fh.write("planted %s: %d\n" % (cat, counts.get(cat, 0)))
print("make-corpus: %d files, %.1f MiB in %d round(s); planted: %s" % (
    nfiles, total / 2**20, rnd, ", ".join("%s %d" % kv for kv in sorted(counts.items()))), flush=True)
PY
echo "make-corpus: $DIR/tree ready in $(( $(date +%s) - start )) s (manifest: $DIR/manifest.txt)"
