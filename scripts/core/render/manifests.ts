// FederationTree → the whole manifests/ tree as a map of relative path → file content. Pure: the one
// function that writes it is io/files.ts writeTree.

import type { Settings } from "../inputs/settings.ts";
import {
  FEDERATION_DIR,
  FEDERATOR_OBJECTS_FILE,
  federatorOf,
  federatorPath,
  PROMETHEUS_FILE,
} from "../layout.ts";
import { compare, sortStrings } from "../order.ts";
import { type FederationTree, GLOBAL, isLeafName } from "../plan/placement.ts";
import { readScalar, toYaml } from "../yaml.ts";
import { ALERTS_FILE, alertRules, renderAlertsFile } from "./alert-rules.ts";
import { renderDashboards } from "./dashboards.ts";
import { type Component, renderArgoCd, renderFlux } from "./delivery.ts";
import {
  renderFederatorKustomization,
  renderFederatorObjects,
  renderKustomization,
  renderNamespace,
} from "./kubernetes.ts";
import { renderOnboarding } from "./onboarding.ts";
import { renderOperatorObjects } from "./operator.ts";
import { type FederatorConfig, globalConfig, leafConfig } from "./prometheus.ts";
import { renderClusterPrometheusRule, renderClusterRulesFile } from "./recording-rules.ts";
import { NOT_SENDING_ALERT, renderRemoteWriteCenter } from "./remote-write.ts";
import { RUNBOOK_FILE, renderRunbook } from "./runbook.ts";

/** Relative path (always `/`-separated) → content. Iteration order is sorted by path. */
export type Tree = ReadonlyMap<string, string>;

/** The leaf whose prometheus.yml is at `path` in the tree, or undefined for any other file. */
export function leafOfConfig(path: string): string | undefined {
  const f = federatorOf(path);
  return f?.file === PROMETHEUS_FILE && isLeafName(f.name) ? f.name : undefined;
}

/**
 * Which clusters each leaf of an earlier render holds, read back from its prometheus.yml: manifests/ is the
 * record of where `render` placed clusters the snapshot does not list (hand-written ones, between syncs),
 * so deleting one cluster file rewrites only its leaf. A scan of the lines render writes (the cluster
 * label is always a static config's first label), not a YAML parse: at 10,000 clusters a parse costs more
 * than the render. A line it cannot read costs only stickiness; placement still never exceeds shardSize.
 * test/plan.test.ts round-trips it against renderManifests.
 */
export function recordedPlacement(manifests: Tree, clusterLabel: string): Map<string, string[]> {
  const placement = new Map<string, string[]>();
  const line = new RegExp(`\\n( +)labels:\\n\\1  ${clusterLabel}: ([^\\n]*)`, "g");
  for (const [path, text] of manifests) {
    const leaf = leafOfConfig(path);
    if (!leaf) continue;
    const ids: string[] = [];
    for (const m of text.matchAll(line)) {
      const id = readScalar(m[2] as string);
      if (typeof id === "string") ids.push(id);
    }
    placement.set(leaf, sortStrings(ids));
  }
  return placement;
}

/** Long on purpose: the whole tree in one place, folder by folder, so what `manifests/` holds reads at once. */
export function renderManifests(plan: FederationTree, settings: Settings): Tree {
  const files = new Map<string, string>();
  const federators: string[] = [];
  const federator = (name: string, tier: "leaf" | "global", base: FederatorConfig, comment: string) => {
    // The top federator sees every federation target, so it evaluates the alerts on the federation.
    const top = name === plan.top;
    const config: FederatorConfig = top
      ? {
          global: base.global,
          ...(base.alerting && { alerting: base.alerting }),
          rule_files: [ALERTS_FILE],
          scrape_configs: base.scrape_configs,
        }
      : base;
    files.set(federatorPath(name, PROMETHEUS_FILE), toYaml(config, { comments: [comment] }));
    if (top) files.set(federatorPath(name, ALERTS_FILE), renderAlertsFile(plan, settings));
    if (settings.federation.flavor === "operator") {
      files.set(
        federatorPath(name, "prometheus.yaml"),
        renderOperatorObjects({ name, tier, config }, plan, settings),
      );
      files.set(federatorPath(name, "kustomization.yaml"), renderKustomization(["prometheus.yaml"]));
    } else {
      files.set(
        federatorPath(name, FEDERATOR_OBJECTS_FILE),
        renderFederatorObjects(name, tier, plan, settings),
      );
      files.set(
        federatorPath(name, "kustomization.yaml"),
        renderFederatorKustomization(name, top ? [PROMETHEUS_FILE, ALERTS_FILE] : [PROMETHEUS_FILE]),
      );
    }
    federators.push(name);
  };
  for (const leaf of plan.leaves) {
    const what = `Leaf federator ${leaf.name}: scrapes /federate on ${leaf.clusters.length} cluster(s).`;
    federator(leaf.name, "leaf", leafConfig(leaf, settings), what);
  }
  if (plan.global) {
    const what = `Global federator: scrapes /federate on ${plan.leaves.length} leaf federators.`;
    federator(GLOBAL, "global", globalConfig(plan, settings), what);
  }
  files.set(
    `${FEDERATION_DIR}/kustomization.yaml`,
    renderKustomization(["namespace.yaml", ...federators], { namespace: settings.federation.namespace }),
  );
  files.set(`${FEDERATION_DIR}/namespace.yaml`, renderNamespace(settings));
  for (const [p, c] of renderDashboards(plan, settings)) files.set(p, c);
  files.set("kustomization.yaml", renderKustomization([FEDERATION_DIR, "dashboards"]));
  // Applied to every workload cluster (not to the monitoring cluster): its Prometheus records the aggregates.
  files.set("cluster-rules/rules.yml", renderClusterRulesFile(settings));
  files.set("cluster-rules/prometheusrule.yaml", renderClusterPrometheusRule(settings));
  files.set("cluster-rules/kustomization.yaml", renderKustomization(["prometheusrule.yaml"]));
  // What each workload cluster's own Prometheus needs (values for its chart; not applied from here).
  const clusters = plan.leaves.flatMap((leaf) => leaf.clusters);
  for (const [p, c] of renderOnboarding(settings, clusters)) files.set(p, c);
  // What each alert means and what to do, at the version that rendered the alerts (their runbook_url).
  // Remote-write delivery's center: the engine's alerts, its requirements (nothing unless it is on).
  for (const [p, c] of renderRemoteWriteCenter(settings, clusters)) files.set(p, c);
  files.set(
    RUNBOOK_FILE,
    renderRunbook([
      ...alertRules(plan, settings).map((r) => r.alert),
      ...(settings.remoteWrite ? [NOT_SENDING_ALERT] : []),
    ]),
  );
  const components: Component[] = [
    { name: "federation", path: FEDERATION_DIR, order: 0 },
    { name: "dashboards", path: "dashboards", order: 1 },
  ];
  if (settings.delivery.argocd.enabled)
    for (const [p, c] of renderArgoCd(settings, components)) files.set(p, c);
  if (settings.delivery.flux.enabled) for (const [p, c] of renderFlux(settings, components)) files.set(p, c);
  return new Map([...files].sort(([a], [b]) => compare(a, b)));
}
