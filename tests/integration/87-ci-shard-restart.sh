# The org-scan recipes' scripts run here as the recipes run them, against a fake GitHub on
# loopback (tests/org/fake_forge.py) and git daemon behind a gate proxy (tests/ci/gate_proxy.py):
#  - Kubernetes: the CronJob's pod command, taken from hooks/ci/k8s-indexed-job.yaml with the pod's
#    environment (/results mapped to a temporary directory), for every index at once; then one
#    index again with a new key, killed (TERM, then KILL, as the kubelet does) while it fetches, and
#    restarted with the same command: the published shard never goes partial and the restart
#    publishes the key; every finishing pod re-merges, so the org report is complete.
#  - GitHub Actions: the workflow's own run: blocks (plan, scan per shard, merge) with one scan
#    job failing: the merge still reports the other shards and says which one is missing.
# Assertions marked CONTRACT need the durable inventory of issue 10 items 1-4 (a re-run writes
# every open finding, with status and first_seen); they run when `akhound org` has --max-failed.
. "$AK_TESTS/lib/common.sh"
. "$AK_TESTS/org/lib.sh"
set -e
. "$AK_TESTS/ci/npm_tools.sh"
npm_tools || skip "npm is not available: reading the recipes (YAML) needs it"
NM=$NPM_TOOLS/node_modules
CI=$AK_ROOT/hooks/ci
contract=0
"$AKHOUND" org --help 2>&1 | grep -q -- '--max-failed' && contract=1

# eight repositories, one key each, behind the gate
SRV=$TMP/srv; mkdir -p "$SRV"; git init -q --bare "$SRV/probe.git"
declare -A ID
for i in 0 1 2 3 4 5 6 7; do
  ID[r$i]=$(new_key_id); make_repo "$SRV" "r$i" "${ID[r$i]}" "$(new_secret)" >/dev/null
done
start_git_http "$SRV" # org clones only https, or http to a loopback address
GATE=$TMP/gate.closed; PLOG=$TMP/proxy.log; : > "$PLOG"
python3 "$AK_TESTS/ci/gate_proxy.py" "$HTTP_PORT" "$TMP/proxy.port" "$GATE" "$PLOG" & ORG_PIDS+=($!)
PROXY=$(wait_port "$TMP/proxy.port")
TOKEN=tok$(rand_alnum 20)
python3 - "$TMP/forge.json" "$TOKEN" "$PROXY" <<'PY'
import json, sys
repos = [{"name": "r%d" % i, "clone_url": "http://127.0.0.1:%s/r%d.git" % (sys.argv[3], i)} for i in range(8)]
json.dump({"token": sys.argv[2], "page_size": 5, "github": {"org": "acme", "repos": repos}}, open(sys.argv[1], "w"))
PY
start_forge "$TMP/forge.json"
API=http://127.0.0.1:$FORGE_PORT/api/v3

# the image's PATH: akhound and the recipe scripts
mkdir -p "$TMP/bin"; ln -s "$AKHOUND" "$TMP/bin/akhound"
ln -s "$CI/org-shard.sh" "$TMP/bin/org-shard.sh"; ln -s "$CI/org-merge.sh" "$TMP/bin/org-merge.sh"

# ---- Kubernetes: the pod as the manifest defines it ----
node --input-type=module - "$NM" "$CI/k8s-indexed-job.yaml" > "$TMP/pod.env" <<'EOF2'
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const [nm, file] = process.argv.slice(2);
const YAML = createRequire(nm + "/x.js")("yaml");
const cron = YAML.parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJSON()).find((d) => d?.kind === "CronJob");
const ctr = cron.spec.jobTemplate.spec.template.spec.containers[0];
const q = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
console.log("POD_CMD=" + q(ctr.args.join(" ")));
console.log("POD_SHELL=" + q(ctr.command.join(" ")));
console.log("COMPLETIONS=" + cron.spec.jobTemplate.spec.completions);
for (const e of ctr.env) if (e.value !== undefined) console.log("POD_" + e.name + "=" + q(e.value));
EOF2
. "$TMP/pod.env"
[ "$POD_SHELL" = "/bin/sh -c" ] && [ -n "$POD_CMD" ] || fail "unexpected pod command: $POD_SHELL $POD_CMD"
RESULTS=$TMP/results; RUN=akhound-org-scan-29000000; DIR=$RESULTS/$RUN
# pod K: the container's command and environment; /results is the volume, here a directory
pod() {
  local cmd=${POD_CMD//\/results/$RESULTS} mf=$POD_AKHOUND_MAX_FAILED
  [ "$contract" = 1 ] || mf=""
  env -i PATH="$TMP/bin:/usr/bin:/bin" HOME="$TMP/home" JOB_COMPLETION_INDEX="$1" RUN="$RUN" \
    SHARDS="$POD_SHARDS" ORG=acme GITHUB_API_URL="$API" GITHUB_TOKEN="$TOKEN" \
    AKHOUND_CACHE="$TMP/cache" AKHOUND_JOBS="$POD_AKHOUND_JOBS" AKHOUND_MAX_FAILED="$mf" \
    LSAN_OPTIONS="${LSAN_OPTIONS:-}" ASAN_OPTIONS="${ASAN_OPTIONS:-}" /bin/sh -c "$cmd"
}
N=$POD_SHARDS
[ "$N" = "$COMPLETIONS" ] || fail "SHARDS ($N) and completions ($COMPLETIONS) differ"

# every index at once, as the Job starts them; each merges as it ends
pids=()
for k in $(seq 0 $((N - 1))); do pod "$k" > "$TMP/pod-$k.log" 2>&1 & pids+=($!); done
for k in $(seq 0 $((N - 1))); do
  wait "${pids[$k]}" || fail "pod $k failed: $(cat "$TMP/pod-$k.log")"
done
for k in $(seq 0 $((N - 1))); do
  [ -f "$DIR/shard-$k.jsonl" ] || fail "shard $k not published"
  grep -q '^done [01] ' "$DIR/shard-$k.status" || fail "shard $k: $(cat "$DIR/shard-$k.status")"
done
ls "$DIR"/*.part "$DIR"/*.tmp >/dev/null 2>&1 && fail "temporary files left: $(ls "$DIR")"
grep -q '^complete: yes' "$DIR/org-status.txt" || fail "org status: $(cat "$DIR/org-status.txt")"
[ "$(grep -c . "$DIR/org.jsonl")" -eq 8 ] || fail "org.jsonl should hold 8 findings: $(cat "$DIR/org.jsonl")"
for r in "${!ID[@]}"; do
  grep -qF "${ID[$r]}" "$DIR/org.jsonl" || fail "$r missing from org.jsonl"
  grep -qF "${ID[$r]}" "$DIR/org.html" || fail "$r missing from org.html"
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['runs'][0]['results'])==8" "$DIR/org.sarif" ||
  fail "org.sarif"
[ "$(stat -c %a "$DIR/org.jsonl")" = 600 ] || [ "$(stat -c %a "$DIR/shard-0.jsonl")" = 600 ] || fail "modes"

# a new key in r3; its shard's pod is killed while fetching, then restarted
K=$(grep -lF "${ID[r3]}" "$DIR"/shard-*.jsonl | sed 's/.*shard-\([0-9]*\)\.jsonl/\1/')
new_id=$(new_key_id)
add_commit "$SRV" r3 new.env "$(pair "$new_id" "$(new_secret)")" >/dev/null
cp "$DIR/shard-$K.jsonl" "$TMP/before.jsonl"; cp "$DIR/shard-$K.status" "$TMP/before.status"
cp "$DIR/org.jsonl" "$TMP/org-before.jsonl"
touch "$GATE"; : > "$PLOG"
setsid bash -c "$(declare -f pod); $(declare -p POD_CMD POD_SHARDS POD_AKHOUND_JOBS POD_AKHOUND_MAX_FAILED RESULTS RUN API TOKEN TMP contract); pod $K" \
  > "$TMP/killed.log" 2>&1 & victim=$!
for _ in $(seq 1 100); do grep -q held "$PLOG" && break; sleep 0.1; done
grep -q held "$PLOG" || fail "the pod never reached the fetch: $(cat "$TMP/killed.log")"
# akhound writes beside the published shard, never over it (a kill while it writes is harmless)
ak_pid=$(pgrep -g "$victim" -x akhound | head -1)
[ -n "$ak_pid" ] || fail "no akhound running in the pod"
tr '\0' ' ' < "/proc/$ak_pid/cmdline" | grep -q -- "--output $DIR/shard-$K.jsonl.part " ||
  fail "akhound writes the published path directly: $(tr '\0' ' ' < "/proc/$ak_pid/cmdline")"
kill -TERM -- -"$victim" 2>/dev/null || true; sleep 1; kill -KILL -- -"$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
rm -f "$GATE"
cmp -s "$TMP/before.jsonl" "$DIR/shard-$K.jsonl" || fail "the killed pod changed its published shard"
cmp -s "$TMP/before.status" "$DIR/shard-$K.status" || fail "the killed pod recorded a state"
cmp -s "$TMP/org-before.jsonl" "$DIR/org.jsonl" || fail "the killed pod changed the org report"

pod "$K" > "$TMP/restart.log" 2>&1 || fail "the restarted pod failed: $(cat "$TMP/restart.log")"
grep -q '^done 1 ' "$DIR/shard-$K.status" || fail "restart state: $(cat "$DIR/shard-$K.status")"
grep -qF "$new_id" "$DIR/shard-$K.jsonl" || fail "the restart did not publish the new key"
grep -qF "$new_id" "$DIR/org.jsonl" && grep -qF "$new_id" "$DIR/org.html" || fail "the org report lacks the new key"
grep -q '^complete: yes' "$DIR/org-status.txt" || fail "org status after the restart"
if [ "$contract" = 1 ]; then
  # CONTRACT: the restart writes the whole inventory of the shard, the earlier key still open
  grep -qF "${ID[r3]}" "$DIR/shard-$K.jsonl" || fail "CONTRACT: the restart lost r3's earlier key"
  [ "$(grep -c . "$DIR/org.jsonl")" -eq 9 ] || fail "CONTRACT: org.jsonl should hold 9 findings"
  pyjson "$DIR/shard-$K.jsonl" "all(x.get('status') in ('new','open','reappeared') and x.get('first_seen') for x in f)"
  pyjson "$DIR/org.jsonl" "[x['status'] for x in f if x['access_key_id']=='$new_id']==['new']"
  ! grep -q 'unknown</span></th><td class="n">[1-9]' "$DIR/org.html" || fail "CONTRACT: statuses unknown in org.html"
else
  echo "note: CONTRACT assertions skipped: akhound org has no --max-failed yet (issue 10 items 1-4)"
fi

# ---- GitHub Actions: the workflow's run blocks ----
node --input-type=module - "$NM" "$CI/github-org-scan.yml" "$TMP" <<'EOF2'
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
const [nm, file, dir] = process.argv.slice(2);
const YAML = createRequire(nm + "/x.js")("yaml");
const wf = YAML.parse(readFileSync(file, "utf8"));
for (const job of ["plan", "scan", "merge"]) {
  const runs = wf.jobs[job].steps.filter((s) => s.run && !/build akhound/.test(s.name || ""));
  writeFileSync(`${dir}/gh-${job}.sh`, runs.map((s) => s.run).join("\n"));
}
EOF2
gh_step() { # JOB WORKDIR ENV...: one job's run blocks, as the runner runs them (bash -e)
  local job=$1 wd=$2; shift 2
  (cd "$wd" && env -i PATH="$TMP/bin:/usr/bin:/bin" HOME="$wd/home" GITHUB_OUTPUT="$wd/out" \
    AKHOUND_HOME="$AK_ROOT" GITHUB_API_URL="$API" LSAN_OPTIONS="${LSAN_OPTIONS:-}" "$@" \
    bash -e "$TMP/gh-$job.sh")
}
mkdir -p "$TMP/gh/plan" "$TMP/gh/merge/results"
gh_step plan "$TMP/gh/plan" SHARDS=3 || fail "plan job"
grep -qx 'shards=\[0,1,2\]' "$TMP/gh/plan/out" && grep -qx 'count=3' "$TMP/gh/plan/out" ||
  fail "plan outputs: $(cat "$TMP/gh/plan/out")"
! gh_step plan "$TMP/gh/plan" SHARDS=0 >/dev/null 2>&1 || fail "SHARDS=0 accepted"
mf=""; [ "$contract" = 1 ] && mf=2%
for s in 0 1 2; do
  mkdir -p "$TMP/gh/scan$s"; tok=$TOKEN; [ "$s" = 1 ] && tok=wrong # shard 1 cannot run
  set +e
  gh_step scan "$TMP/gh/scan$s" GITHUB_TOKEN="$tok" ORG=acme SHARD=$s COUNT=3 AKHOUND_MAX_FAILED="$mf" \
    > "$TMP/gh/scan$s.log" 2>&1
  rc=$?
  set -e
  if [ "$s" = 1 ]; then [ "$rc" -ne 0 ] || fail "the scan with a wrong token succeeded"
  else [ "$rc" -eq 0 ] || fail "scan $s: exit $rc: $(cat "$TMP/gh/scan$s.log")"; fi
  # upload-artifact (if: always()) then download-artifact (merge-multiple) into the merge job
  cp "$TMP/gh/scan$s/results/shard-$s.jsonl" "$TMP/gh/scan$s/results/shard-$s.status" \
    "$TMP/gh/merge/results/" 2>/dev/null || true
done
# CONTRACT: credentials refused is exit 4, "could not run" (today: 2, an error)
want="incomplete 2"; [ "$contract" = 1 ] && want="failed 4"
grep -q "^$want " "$TMP/gh/merge/results/shard-1.status" ||
  fail "the failed shard's state: $(cat "$TMP/gh/merge/results/shard-1.status" 2>&1)"
set +e; gh_step merge "$TMP/gh/merge" COUNT=3 > "$TMP/gh/merge.log" 2>&1; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "the merge of an incomplete run should exit 2, got $rc: $(cat "$TMP/gh/merge.log")"
grep -q "^shard 1: $want" "$TMP/gh/merge.log" && grep -q '^complete: no' "$TMP/gh/merge.log" ||
  fail "the merge log should name the failed shard: $(cat "$TMP/gh/merge.log")"
M=$TMP/gh/merge/results
n0=$(cat "$TMP/gh/scan0/results/shard-0.jsonl" "$TMP/gh/scan2/results/shard-2.jsonl" | grep -c .)
[ "$(grep -c . "$M/org.jsonl")" -eq "$n0" ] && [ "$n0" -gt 0 ] || fail "org.jsonl should hold shards 0 and 2 ($n0)"
[ -s "$M/org.html" ] && [ -s "$M/org.sarif" ] || fail "the merge wrote no html or sarif"
grep -qF "$TOKEN" "$TMP"/gh/*.log "$M"/* && fail "the token reached a log or report"
echo ok
