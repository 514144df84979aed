// What a match[] selector would take from a real workload cluster: kube-prometheus-stack records its own
// rules beside fleetfed's, some under the same cluster: and namespace: prefixes, and several of them keep
// a series per container, pod or node. A selector that takes one federates a cluster's every container to
// the top, breaking the sizing and sample_limit. The list is kube-prometheus's, shipped as data
// (ecosystem-rules.json; test/ecosystem.test.ts derives it again from the rule files under test/).

import type { Problem } from "../errors.ts";
import type { ClusterFile } from "../inputs/cluster-file.ts";
import type { Settings } from "../inputs/settings.ts";
import { selectsName } from "../promql.ts";
import ecosystem from "./ecosystem-rules.json" with { type: "json" };

/** A warning for each match[] selector that takes a per-container, per-pod or per-node ecosystem rule. */
export function perPodSelections(settings: Settings, clusterFiles: readonly ClusterFile[]): Problem[] {
  const problems: Problem[] = [];
  const judge = (selector: string, where: Omit<Problem, "message">) => {
    const taken = ecosystem.rules.filter((r) => selectsName(selector, r.record));
    if (taken.length === 0) return;
    const per = [...new Set(taken.map((r) => r.per))].join(", ");
    problems.push({
      ...where,
      message: `${selector} also takes ${taken.length} kube-prometheus recording rule(s) kept per ${per}, e.g. ${taken[0]?.record}: every cluster running kube-prometheus-stack federates those series to the top`,
      hint: "name the series you need exactly (the default names fleetfed's own), or exclude these with a negative __name__ matcher",
    });
  };
  for (const selector of settings.federation.match)
    judge(selector, { file: "fleet.yaml", field: "federation.match" });
  for (const f of clusterFiles)
    for (const selector of f.match ?? []) judge(selector, { file: f.file, field: "match" });
  return problems;
}

/** Alerts that go nowhere are worse than none: the federation looks watched. */
export function alertingWarnings(settings: Settings): Problem[] {
  if (settings.alerting.alertmanagers.length > 0) return [];
  return [
    {
      file: "fleet.yaml",
      field: "alerting.alertmanagers",
      message:
        "is empty: the top federator evaluates the federation's alerts (a cluster down, aggregates missing, a leaf down) and sends them nowhere",
      hint: "list your Alertmanager, e.g. http://alertmanager-operated.monitoring.svc:9093 (a headless Service reaches every replica)",
    },
  ];
}
