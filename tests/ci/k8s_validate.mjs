// Validates Kubernetes manifests offline against the Kubernetes OpenAPI schema, as compiled into
// the npm package kubernetes-models (types, required fields, enums, formats). That schema lets
// unknown fields through, so each object is also type-checked by TypeScript against the model's
// interface (excess property checks: a typo such as backoffLimitPerIndx fails, as it would at the
// API server with strict field validation).
//   node k8s_validate.mjs NODE_MODULES FILE.yaml...   prints "KIND NAME ok" per object
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, ...files] = process.argv.slice(2);
const require = createRequire(path.join(nodeModules, "x.js"));
const YAML = require("yaml");
const models = {
  "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "batch/v1/CronJob": "kubernetes-models/batch/v1/CronJob",
  "batch/v1/Job": "kubernetes-models/batch/v1/Job",
};
let bad = 0;
const typed = [];
for (const file of files) {
  for (const doc of YAML.parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) { console.error(`${file}: ${doc.errors[0].message}`); bad++; continue; }
    const obj = doc.toJSON();
    if (!obj) continue;
    const key = `${obj.apiVersion}/${obj.kind}`;
    if (!models[key]) { console.error(`${file}: no model for ${key}`); bad++; continue; }
    const url = pathToFileURL(path.join(nodeModules, models[key] + ".js")).href;
    const Model = (await import(url))[obj.kind];
    try {
      new Model(obj).validate();
      console.log(`${obj.kind} ${obj.metadata.name} ok`);
      typed.push(`import type { I${obj.kind} as T${typed.length} } from "${models[key]}";\n` +
                 `export const o${typed.length}: T${typed.length} = ${JSON.stringify(obj)};`);
    } catch (e) {
      console.error(`${file}: ${obj.kind} ${obj.metadata?.name}: ${e.message}`);
      bad++;
    }
  }
}
if (!bad && typed.length) {
  const ts = path.join(nodeModules, "..", `check-${process.pid}.ts`);
  writeFileSync(ts, typed.join("\n") + "\n");
  const r = spawnSync(process.execPath, [path.join(nodeModules, "typescript/bin/tsc"), "--noEmit",
    "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", ts],
    { encoding: "utf8" });
  rmSync(ts);
  if (r.status !== 0) {
    console.error("fields the Kubernetes API does not know:\n" + r.stdout + r.stderr);
    bad++;
  } else {
    console.log("fields: all known");
  }
}
process.exit(bad ? 1 : 0);
