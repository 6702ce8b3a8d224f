#!/usr/bin/env bash
# Benchmark: `akhound validate` of 1,000 distinct pairs against the emulator with 20 ms latency
# per call. Reports the median wall time over RUNS runs against the serial cost (1,000 x 20 ms)
# as a speedup; the target is >= 8x at the default concurrency. After each run the emulator's
# counters must show exactly one request per pair (none lost, none duplicated).
# Usage: bench/validate.sh [AKHOUND]   env: PAIRS=1000 LATENCY_MS=20 RUNS=5 CONCURRENCY=
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AKHOUND=${1:-${AKHOUND:-$root/build/akhound}}
PAIRS=${PAIRS:-1000} LATENCY_MS=${LATENCY_MS:-20} RUNS=${RUNS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/akhound-bench-XXXXXX")
emu_pid=
trap '[ -n "$emu_pid" ] && kill $emu_pid 2>/dev/null; rm -rf "$tmp"' EXIT

# State and findings with key material generated now (never stored in the repository).
python3 - "$PAIRS" "$tmp" <<'PY'
import hashlib, json, random, string, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
abc = string.ascii_letters + string.digits
rnd = lambda k: "Kq7" + "".join(random.choice(abc) for _ in range(k - 3))
keys = [("LT" + "AI" + rnd(20), rnd(30)) for _ in range(n)]
state = {"accounts": [{"id": "1000000000000001", "alias": "bench"}],
         "users": [{"account": "1000000000000001", "name": "u%d" % i} for i in range(n)],
         "access_keys": [{"id": k, "secret": s, "account": "1000000000000001", "user": "u%d" % i}
                         for i, (k, s) in enumerate(keys)]}
json.dump(state, open(tmp + "/state.json", "w"))
with open(tmp + "/findings.jsonl", "w") as f:
    for k, s in keys:
        f.write(json.dumps({"rule": "bench", "kind": "access_key_pair", "access_key_id": k,
                            "secret": s, "secret_sha256": hashlib.sha256(s.encode()).hexdigest(),
                            "path": "bench.env", "line": 1, "column": 1}) + "\n")
PY

python3 "$root/tests/emulator/emulator.py" serve --state "$tmp/state.json" --port-file "$tmp/port" \
  --faults "{\"latency_ms\": $LATENCY_MS}" >/dev/null 2>"$tmp/emu.log" &
emu_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")"
ctl() { python3 "$root/tests/emulator/emulator.py" ctl "$url" "$@"; }
conc=()
[ -n "${CONCURRENCY:-}" ] && conc=(--concurrency "$CONCURRENCY")

times=()
for r in $(seq "$RUNS"); do
  ctl POST reset >/dev/null
  start=$(date +%s%N)
  set +e
  AKHOUND_STS_ENDPOINT="$url/sts" "$AKHOUND" validate -q "${conc[@]}" "$tmp/findings.jsonl" >"$tmp/out.jsonl"
  rc=$?
  set -e
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$rc" = 3 ] || { echo "run $r: exit $rc (expected 3)" >&2; exit 1; }
  ctl GET counters | python3 -c '
import json, sys
d, n = json.load(sys.stdin), int(sys.argv[1])
per = [sum(v.values()) for v in d["by_key"].values()]
ok = d["total"] == n and len(per) == n and all(p == 1 for p in per)
print("run %s: %d requests for %d pairs, %d connections, max in flight %d%s" % (sys.argv[2], d["total"], n, d["connections"],
      d["max_in_flight"], "" if ok else "  <-- LOST OR DUPLICATED"))
sys.exit(0 if ok else 1)' "$PAIRS" "$r"
  valid=$(grep -c '"status":"valid"' "$tmp/out.jsonl" || true)
  [ "$valid" = "$PAIRS" ] || { echo "run $r: only $valid of $PAIRS valid" >&2; exit 1; }
  times+=("$ms")
done

median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
serial=$((PAIRS * LATENCY_MS))
awk -v m="$median" -v s="$serial" -v p="$PAIRS" -v l="$LATENCY_MS" -v t="${times[*]}" 'BEGIN {
  printf "validate: %d pairs, %d ms latency each; runs (ms): %s\n", p, l, t
  printf "validate: median %.0f ms vs serial %d ms -> speedup %.1fx (target >= 8x)\n", m, s, s / m
  exit (s / m >= 8) ? 0 : 1 }'
