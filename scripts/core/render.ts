// FederationPlan → the whole manifests/ tree as a map of relative path → file content. Pure: the one
// function that writes it is io/files.ts writeTree.

import { compare } from "./order.ts";
import { type FederationPlan, GLOBAL } from "./plan.ts";
import { type Component, renderArgoCd, renderFlux } from "./render-delivery.ts";
import {
  renderFederatorKustomization,
  renderFederatorObjects,
  renderKustomization,
  renderNamespace,
} from "./render-kubernetes.ts";
import { renderGlobalConfig, renderLeafConfig } from "./render-prometheus.ts";
import type { Settings } from "./settings.ts";

/** Relative path (always `/`-separated) → content. Iteration order is sorted by path. */
export type Tree = ReadonlyMap<string, string>;

export function renderManifests(plan: FederationPlan, settings: Settings): Tree {
  const files = new Map<string, string>();
  const federators: string[] = [];
  for (const leaf of plan.leaves) {
    const dir = `federation/${leaf.name}`;
    files.set(`${dir}/prometheus.yml`, renderLeafConfig(leaf, settings));
    files.set(`${dir}/federator.yaml`, renderFederatorObjects(leaf.name, "leaf", settings));
    files.set(`${dir}/kustomization.yaml`, renderFederatorKustomization(leaf.name));
    federators.push(leaf.name);
  }
  if (plan.global) {
    const dir = `federation/${GLOBAL}`;
    files.set(`${dir}/prometheus.yml`, renderGlobalConfig(plan, settings));
    files.set(`${dir}/federator.yaml`, renderFederatorObjects(GLOBAL, "global", settings));
    files.set(`${dir}/kustomization.yaml`, renderFederatorKustomization(GLOBAL));
    federators.push(GLOBAL);
  }
  files.set(
    "federation/kustomization.yaml",
    renderKustomization(["namespace.yaml", ...federators], { namespace: settings.federation.namespace }),
  );
  files.set("federation/namespace.yaml", renderNamespace(settings));
  files.set("kustomization.yaml", renderKustomization(["federation"]));
  const components: Component[] = [{ name: "federation", path: "federation", wave: 0 }];
  if (settings.delivery.argocd.enabled)
    for (const [p, c] of renderArgoCd(settings, components)) files.set(p, c);
  if (settings.delivery.flux.enabled) for (const [p, c] of renderFlux(settings, components)) files.set(p, c);
  return new Map([...files].sort(([a], [b]) => compare(a, b)));
}
