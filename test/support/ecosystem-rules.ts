// The kube-prometheus recording rules whose series scale with pods, containers or nodes, derived from the
// rule files kept under test/fixtures/kube-prometheus-rules/ (unchanged from prometheus-operator/
// kube-prometheus, commit named in its README). scripts/core/check/ecosystem-rules.json is this list;
// test/ecosystem.test.ts holds the two equal, and `node test/support/ecosystem-rules.ts --write` rewrites it.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const DIR = join(import.meta.dirname, "..", "fixtures", "kube-prometheus-rules");
export const ECOSYSTEM_RULES_FILE = join(
  import.meta.dirname,
  "..",
  "..",
  "scripts",
  "core",
  "check",
  "ecosystem-rules.json",
);

/** What a rule's series are per, read off its level (the part before the first colon), as the mixin names it. */
function perWhat(record: string): "container" | "pod" | "node" | undefined {
  const level = record.split(":")[0] ?? "";
  // kubernetes-mixin's cluster:namespace:pod_*:active:* keep every container's labels under a cluster: name.
  if (/container/.test(level) || /^cluster:namespace:pod_/.test(record)) return "container";
  if (/pod/.test(level)) return "pod";
  if (/^(instance|instance_device|node|node_quantile)$/.test(level)) return "node";
  return undefined;
}

export function ecosystemRules(): { source: string; rules: { record: string; per: string }[] } {
  const rules = new Map<string, string>();
  for (const file of readdirSync(DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const doc = parse(readFileSync(join(DIR, file), "utf8")) as {
      spec: { groups: { rules: { record?: string }[] }[] };
    };
    for (const group of doc.spec.groups)
      for (const rule of group.rules) {
        const per = rule.record && perWhat(rule.record);
        if (rule.record && per) rules.set(rule.record, per);
      }
  }
  return {
    source:
      "prometheus-operator/kube-prometheus manifests/*-prometheusRule.yaml at 4d719f1dea8853540b3823ab1fbe6be74a9953b3 (kubernetes-mixin's rules, as kube-prometheus-stack ships them): recording rules whose series are per container, pod or node",
    rules: [...rules].sort(([a], [b]) => (a < b ? -1 : 1)).map(([record, per]) => ({ record, per })),
  };
}

if (process.argv.includes("--write"))
  writeFileSync(ECOSYSTEM_RULES_FILE, `${JSON.stringify(ecosystemRules(), null, 2)}\n`);
