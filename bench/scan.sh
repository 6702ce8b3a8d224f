#!/usr/bin/env bash
# Benchmark of the detection core (issue 2). Three measurements, then a recall check:
#   1. throughput: `akhound scan --format jsonl CORPUS` against `rg -uuu -c 'LTAI[A-Za-z0-9]{12,20}'
#      CORPUS` (target: akhound <= 1.0x ripgrep's wall time, while running every rule);
#   2. start-up: `akhound scan` of a 10-file directory against `true` (target: < 10 ms more);
#   3. peak memory: max RSS of akhound on the corpus (target: < 100 MiB).
# Medians of RUNS runs on a warm cache (one untimed warm-up run of each command first); the akhound
# and reference runs alternate so that machine noise hits both. Wall time is taken around each
# child, CPU time and max RSS from the child's own rusage (wait4).
# Recall: every planted pair (plain, legacy, base64, escaped), STS credential and lone ID in the
# corpus manifest must be found, and nothing may be reported inside a planted placeholder block.
# Exit: 0 (targets are reported, not enforced), 1 recall failure or akhound crashed / exited >= 2.
#
# Usage: bench/scan.sh [AKHOUND]
#   env: CORPUS_DIR=bench/corpus SIZE_MIB=1024 RUNS=5 STARTUP_RUNS=21 THREADS= (akhound -j and
#        rg -j; default both use every core) KEEP_OUTPUT= (directory to keep akhound's findings in)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKHOUND=${1:-${AKHOUND:-$root/build/akhound}}
CORPUS_DIR=${CORPUS_DIR:-$root/bench/corpus}
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-21}
THREADS=${THREADS:-}

[ -x "$AKHOUND" ] || { echo "scan: $AKHOUND not built (run make)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "scan: SKIP (python3 missing)"; exit 77; }
RG=$(command -v rg || true)
[ -n "$RG" ] || echo "scan: ripgrep missing (apt-get install ripgrep): no reference for throughput"

"$root/bench/make-corpus.sh" "$CORPUS_DIR" "$SIZE_MIB"
tree=$CORPUS_DIR/tree
if [ ! -d "$tree" ] || [ ! -f "$CORPUS_DIR/manifest.tsv" ]; then
  echo "scan: no corpus in $CORPUS_DIR" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-scan-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The start-up directory: the first 10 files of the corpus (small C headers).
mkdir -p "$tmp/ten"
find "$tree" -type f -size -64k | LC_ALL=C sort | awk 'NR <= 10' | while IFS= read -r f; do
  cp "$f" "$tmp/ten/$(basename "$f")"
done

python3 - "$AKHOUND" "${RG:-}" "$tree" "$CORPUS_DIR" "$RUNS" "$STARTUP_RUNS" "$tmp" "$THREADS" \
  "${KEEP_OUTPUT:-}" <<'PY'
import json, os, statistics, sys, time

akhound, rg, tree, cdir, runs, startup_runs, tmp, threads, keep = sys.argv[1:10]
runs, startup_runs = max(1, int(runs)), max(1, int(startup_runs))
jobs = ["-j", threads] if threads else []
devnull = os.open(os.devnull, os.O_RDWR)

def run(argv, out_path=None):
    """Runs argv with stdout to out_path (or /dev/null); returns (rc, wall s, cpu s, maxrss KiB)."""
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) if out_path else devnull
    acts = [(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, devnull, 0)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if out_path:
        os.close(out)
    rc = os.waitstatus_to_exitcode(status)
    return rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss

crashed = []
def check_ak(rc, what):
    if rc < 0 or rc >= 2:  # 0 nothing found, 1 findings; 2 error/incomplete; negative: a signal
        crashed.append("%s: akhound exited %s" % (what, "signal %d" % -rc if rc < 0 else rc))

ak_scan = [akhound, "scan", "--format", "jsonl", "-q"] + jobs + [tree]
rg_scan = [rg, "-uuu", "-c"] + jobs + ["LTAI[A-Za-z0-9]{12,20}", tree] if rg else None
findings = os.path.join(keep or tmp, "findings.jsonl")
if keep:
    os.makedirs(keep, exist_ok=True)

size = files = 0
for dp, _, fn in os.walk(tree):
    for f in fn:
        size += os.lstat(os.path.join(dp, f)).st_size
        files += 1

# --- 1 and 3: throughput and peak memory (warm-up, then interleaved timed runs) ---
print("scan: warm-up (untimed) ...", flush=True)
rc, *_ = run(ak_scan, findings)
check_ak(rc, "warm-up")
if rg_scan:
    run(rg_scan, os.path.join(tmp, "rg.out"))
ak, ref = [], []
for i in range(runs):
    rc, *m = run(ak_scan, os.path.join(tmp, "ak.out"))
    check_ak(rc, "run %d" % (i + 1))
    ak.append(m)
    if rg_scan:
        ref.append(run(rg_scan, os.path.join(tmp, "rg.out"))[1:])
    print("scan: run %d/%d: akhound %.3f s%s" % (i + 1, runs, m[0],
          ", rg %.3f s" % ref[-1][0] if ref else ""), flush=True)

med = lambda xs, k: statistics.median(x[k] for x in xs)
ak_wall, ak_cpu, ak_rss = med(ak, 0), med(ak, 1), max(x[2] for x in ak) / 1024
# --- 2: start-up on 10 files against `true` ---
ten = os.path.join(tmp, "ten")
true = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
ak_ten = [akhound, "scan", "--format", "jsonl", "-q"] + jobs + [ten]
rc, *_ = run(ak_ten)
check_ak(rc, "start-up warm-up")
run([true])
st_ak, st_true = [], []
for i in range(startup_runs):
    rc, w, _, _ = run(ak_ten)
    check_ak(rc, "start-up run %d" % (i + 1))
    st_ak.append(w)
    st_true.append(run([true])[1])
st_ak_ms, st_true_ms = statistics.median(st_ak) * 1e3, statistics.median(st_true) * 1e3

# --- recall against the manifest (on the warm-up run's findings) ---
plants = []
with open(os.path.join(cdir, "manifest.tsv")) as fh:
    for line in fh:
        if line.startswith("#"):
            continue
        cat, path, first, n, kid, ssha = line.rstrip("\n").split("\t")
        plants.append((cat, path, int(first), int(n), kid, ssha))
found = []
with open(findings) as fh:
    for line in fh:
        f = json.loads(line)
        f["rel"] = os.path.relpath(f["path"], tree)
        found.append(f)
by_path = {}
for f in found:
    by_path.setdefault(f["rel"], []).append(f)
stats, missed, bad_placeholders, used = {}, [], [], set()
for cat, path, first, n, kid, ssha in plants:
    inblock = [f for f in by_path.get(path, []) if first <= f["line"] < first + n]
    if cat == "placeholder":
        ok = not inblock
        if not ok:
            bad_placeholders.append("%s:%d (%s)" % (path, first, inblock[0]["kind"]))
    elif cat == "lone_id":
        ok = any(f.get("access_key_id") == kid for f in inblock)
    else:
        kind = "sts_credentials" if cat == "sts" else "access_key_pair"
        ok = any(f["kind"] == kind and f.get("access_key_id") == kid and f.get("secret_sha256") == ssha
                 for f in inblock)
    if cat != "placeholder" and not ok:
        missed.append("%s %s:%d %s" % (cat, path, first, kid))
    used.update(id(f) for f in inblock)
    s = stats.setdefault(cat, [0, 0])
    s[0] += ok
    s[1] += 1
other = [f for f in found if id(f) not in used]

# --- report ---
gib = size / 2**30
def ratio(a, b):
    return "%.2fx" % (a / b) if b else "n/a"
def verdict(ok):
    return "met" if ok else "MISSED"
rg_wall = med(ref, 0) if ref else 0
rg_cpu = med(ref, 1) if ref else 0
rg_rss = max(x[2] for x in ref) / 1024 if ref else 0
print()
print("detection core benchmark: %s (%.2f GiB, %d files), akhound %s, %s" % (
    tree, gib, files, "-j " + threads if threads else "default threads (%d cores)" % os.cpu_count(),
    "medians of %d runs, warm cache" % runs))
print("%-30s %14s %18s %9s  %s" % ("measure", "akhound", "reference", "ratio", "target"))
if ref:
    print("%-30s %12.3f s %14.3f s rg %8s  <= 1.0x: %s" % ("scan corpus, wall", ak_wall, rg_wall,
          ratio(ak_wall, rg_wall), verdict(ak_wall <= rg_wall)))
    print("%-30s %12.3f s %14.3f s rg %8s" % ("scan corpus, CPU (user+sys)", ak_cpu, rg_cpu, ratio(ak_cpu, rg_cpu)))
    print("%-30s %8.0f MiB/s %10.0f MiB/s rg" % ("throughput", size / 2**20 / ak_wall, size / 2**20 / rg_wall))
else:
    print("%-30s %12.3f s %18s %9s  (no ripgrep)" % ("scan corpus, wall", ak_wall, "-", "-"))
print("%-30s %11.1f ms %12.1f ms true %+8.1f ms  < 10 ms: %s" % (
    "start-up, 10 files", st_ak_ms, st_true_ms, st_ak_ms - st_true_ms, verdict(st_ak_ms - st_true_ms < 10)))
print("%-30s %10.1f MiB %13s %9s  < 100 MiB: %s" % ("max RSS, corpus scan", ak_rss,
      "%.1f MiB rg" % rg_rss if ref else "-", "", verdict(ak_rss < 100)))
pairs = [c for c in ("pair_plain", "pair_legacy", "pair_base64", "pair_escaped") if c in stats]
pf, pt = sum(stats[c][0] for c in pairs), sum(stats[c][1] for c in pairs)
print("recall: pairs %d/%d (%s); STS %d/%d; lone IDs %d/%d; placeholders reported %d (of %d blocks); "
      "findings outside planted blocks %d" % (
      pf, pt, ", ".join("%s %d/%d" % (c[5:], *stats[c]) for c in pairs),
      *stats.get("sts", [0, 0]), *stats.get("lone_id", [0, 0]), len(bad_placeholders),
      stats.get("placeholder", [0, 0])[1], len(other)))
for m in missed[:10]:
    print("  missed: " + m)
for b in bad_placeholders[:10]:
    print("  placeholder reported: " + b)
for f in other[:5]:
    print("  outside planted blocks: %s:%d %s %s" % (f["rel"], f["line"], f["kind"], f.get("access_key_id")))
for c in crashed:
    print("  FAILED: " + c)
print("reproduce: make -j2 && CORPUS_DIR=%s SIZE_MIB=%d bench/scan.sh" % (cdir, round(size / 2**20)))
sys.exit(1 if missed or bad_placeholders or crashed else 0)
PY
