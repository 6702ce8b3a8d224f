// What the org-scan recipes promise, checked on the parsed files (the schema checks are
// k8s_validate.mjs and actionlint):
//   node recipes_check.mjs NODE_MODULES K8S.yaml WORKFLOW.yml DOCKERFILE
// Prints one line per failed promise and exits 1 if any.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [nodeModules, k8sFile, wfFile, dockerFile] = process.argv.slice(2);
const YAML = createRequire(path.join(nodeModules, "x.js"))("yaml");
let bad = 0;
const need = (cond, what) => { if (!cond) { console.error("recipe: " + what); bad++; } };

// ---- Kubernetes ----
const docs = YAML.parseAllDocuments(readFileSync(k8sFile, "utf8")).map((d) => d.toJSON()).filter(Boolean);
const pvcs = docs.filter((d) => d.kind === "PersistentVolumeClaim");
const cron = docs.find((d) => d.kind === "CronJob");
need(cron, "a CronJob");
if (!cron) process.exit(1);
need(pvcs.length >= 2, "the PersistentVolumeClaims are defined");
for (const p of pvcs) need(p.spec.accessModes.includes("ReadWriteMany"), `${p.metadata.name} is ReadWriteMany`);
const job = cron.spec.jobTemplate.spec;
const pod = job.template.spec;
const ctr = pod.containers[0];
const env = Object.fromEntries(ctr.env.map((e) => [e.name, e.value]));
need(cron.spec.schedule && cron.spec.concurrencyPolicy === "Forbid", "a schedule, one run at a time");
need(job.completionMode === "Indexed", "an Indexed Job");
need(job.backoffLimitPerIndex >= 1 && job.backoffLimit === undefined, "retries per index (backoffLimitPerIndex), not one shared backoffLimit");
need(pod.restartPolicy === "Never", "restartPolicy Never (backoffLimitPerIndex requires it)");
need(job.completions === job.parallelism && String(job.completions) === env.SHARDS,
  `completions (${job.completions}), parallelism (${job.parallelism}) and SHARDS (${env.SHARDS}) agree`);
const claims = new Set(pvcs.map((p) => p.metadata.name));
const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
for (const v of pod.volumes.filter((v) => v.persistentVolumeClaim))
  need(claims.has(v.persistentVolumeClaim.claimName), `volume ${v.name} names a claim defined here`);
const mountedFromClaim = (dir) => ctr.volumeMounts.some((m) => m.mountPath === dir && vols[m.name]?.persistentVolumeClaim);
need(mountedFromClaim("/results"), "/results is on a persistent volume");
need(mountedFromClaim(env.AKHOUND_CACHE), `the cache (${env.AKHOUND_CACHE}) is on a persistent volume`);
const script = [...(ctr.command || []), ...(ctr.args || [])].join(" ");
need(/org-shard\.sh "\$JOB_COMPLETION_INDEX" "\$SHARDS" "\/results\/\$RUN"/.test(script), "each pod runs org-shard.sh on its index: " + script);
need(ctr.env.find((e) => e.name === "RUN")?.valueFrom?.fieldRef?.fieldPath.includes("job-name"), "RUN is the Job's name (one directory per run)");
need(ctr.env.find((e) => e.name === "GITHUB_TOKEN")?.valueFrom?.secretKeyRef, "the token comes from a Secret");

// ---- the image holds what the pods run ----
const df = readFileSync(dockerFile, "utf8");
need(/^FROM debian:/m.test(df.replace(/\$\{DEBIAN\}/g, "bookworm")) || /^ARG DEBIAN=/m.test(df), "a Debian base");
need(/org-shard\.sh/.test(df) && /org-merge\.sh/.test(df), "the image installs org-shard.sh and org-merge.sh");
need(/^USER 10001$/m.test(df) && pod.securityContext.runAsUser === 10001, "the image's user is the pod's");

// ---- GitHub Actions ----
const wf = YAML.parse(readFileSync(wfFile, "utf8"));
const wfText = readFileSync(wfFile, "utf8");
need(typeof wf.env.SHARDS === "string" && /vars\.AKHOUND_SHARDS/.test(wf.env.SHARDS), "one setting: env.SHARDS from vars.AKHOUND_SHARDS");
need(wf.jobs.scan.strategy.matrix.shard === "${{ fromJSON(needs.plan.outputs.shards) }}", "the matrix comes from the plan job");
need(!/--shard\s+\S*\d/.test(wfText) && !/shard:\s*\[/.test(wfText), "no hard-coded shard list or count");
const merge = wf.jobs.merge;
need([].concat(merge.needs).includes("scan") && /always\(\)/.test(merge.if), "the merge runs after the scans, if: always()");
const scanSteps = wf.jobs.scan.steps;
for (const s of scanSteps.filter((s) => /upload-artifact|cache\/save/.test(s.uses || "")))
  need(/always\(\)/.test(s.if || ""), `scan step '${s.name}' runs even when the scan failed`);
need(scanSteps.some((s) => /org-shard\.sh/.test(s.run || "")), "the scan job runs org-shard.sh");
need(merge.steps.some((s) => /org-merge\.sh/.test(s.run || "")), "the merge job runs org-merge.sh");
process.exit(bad ? 1 : 0);
