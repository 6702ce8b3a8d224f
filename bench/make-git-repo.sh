#!/usr/bin/env bash
# Builds a reproducible large git repository for the history benchmarks: COMMITS commits of
# small, realistic edits (1-3 files changed, a few lines each, now and then a new file) over a
# synthetic source tree of FILES files, written with `git fast-import` (which stores each blob as
# a delta against the previous version of its path, like a packed real repository). The same
# SEED always gives the same objects and commit ids. No key-shaped text is generated unless
# PLANT=N: then every Nth commit also adds a made-up AccessKey pair (random, never valid) to the
# file it edits, so output can be compared across versions of akhound (later edits move or drop
# those lines, as real edits would).
# Usage: bench/make-git-repo.sh DIR   env: COMMITS=50000 FILES=2000 SEED=1 PLANT=0
set -euo pipefail
dir=${1:?usage: make-git-repo.sh DIR}
COMMITS=${COMMITS:-50000} FILES=${FILES:-2000} SEED=${SEED:-1} PLANT=${PLANT:-0}
rm -rf "$dir"; git init -q --bare "$dir"
python3 - "$COMMITS" "$FILES" "$SEED" "$PLANT" <<'PY' | git -C "$dir" fast-import --quiet
import random, string, sys
commits, nfiles, seed, plant = map(int, sys.argv[1:])
rnd = random.Random(seed)
keys = random.Random(seed + 1)
def made_up(n): return "".join(keys.choice(string.ascii_letters + string.digits) for _ in range(n))
def planted():
    return [f'    access_key_id = "{"LT" + "AI" + made_up(20)}";',
            f'    access_key_secret = "{made_up(30)}";']
words = ("buffer count index value result error length offset size table entry node state "
         "config handle stream parse write read flush lock queue worker thread cache").split()
def line():
    k = rnd.random()
    a, b, c = rnd.choice(words), rnd.choice(words), rnd.choice(words)
    if k < 0.3: return f"    {a}_{b} = {c}_{rnd.choice(words)}({a}, {rnd.randint(0, 4096)});"
    if k < 0.5: return f"    if ({a} > {b}_{c}) return -{rnd.randint(1, 40)};"
    if k < 0.65: return f"    /* {a} the {b} before {c}: see {rnd.choice(words)}.c */"
    if k < 0.8: return f"static int {a}_{b}(struct {c} *{a}, size_t {b})"
    return f"    for (size_t i = 0; i < {a}->{b}; i++) {c}[i] = {a}->{rnd.choice(words)}[i];"
dirs = [f"src/{rnd.choice(words)}{i % 37}" for i in range(nfiles)]
files = {f"{dirs[i]}/{rnd.choice(words)}_{i}.c": [line() for _ in range(rnd.randint(40, 400))]
         for i in range(nfiles)}
names = sorted(files)
out = sys.stdout.buffer
def blob_cmd(path, lines):
    data = ("\n".join(lines) + "\n").encode()
    out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
t = 1500000000
for n in range(commits):
    t += rnd.randint(60, 7200)
    msg = f"{rnd.choice(words)}: {rnd.choice(words)} the {rnd.choice(words)} ({n})\n".encode()
    out.write(b"commit refs/heads/main\n")
    out.write(b"author Dev%d <dev%d@example.org> %d +0000\n" % (n % 17, n % 17, t))
    out.write(b"committer Dev%d <dev%d@example.org> %d +0000\n" % (n % 17, n % 17, t))
    out.write(b"data %d\n%s\n" % (len(msg), msg))
    if n == 0:
        for p in names: blob_cmd(p, files[p])
        continue
    for _ in range(rnd.randint(1, 3)):
        if rnd.random() < 0.02:
            p = f"{rnd.choice(dirs)}/{rnd.choice(words)}_{len(names)}.c"
            files[p] = [line() for _ in range(rnd.randint(20, 200))]; names.append(p)
        else:
            p = rnd.choice(names)
        ls = files[p]
        if plant and n % plant == 0:
            i = rnd.randrange(len(ls) + 1); ls[i:i] = planted()
        for _ in range(rnd.randint(1, 6)):
            i = rnd.randrange(len(ls) + 1)
            if rnd.random() < 0.5 and ls: ls[min(i, len(ls) - 1)] = line()
            else: ls.insert(i, line())
        blob_cmd(p, ls)
PY
git -C "$dir" repack -adq --window=10 --depth=50
commits=$(git -C "$dir" rev-list --all | wc -l)
read -r blobs bytes < <(git -C "$dir" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
  awk '$1 == "blob" {n++; s += $2} END {print n, s}')
echo "repository $dir: $commits commits, $blobs blobs, $bytes bytes of blob content," \
  "$(du -sm "$dir/objects" | cut -f1) MiB on disk"
