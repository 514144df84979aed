// The pure pipeline in one call: settings + snapshot + cluster files → inventory → plan → manifests tree.

import type { ClusterFile } from "./cluster-file.ts";
import { buildInventory, type Inventory } from "./inventory.ts";
import { type FederationPlan, planFederation } from "./plan.ts";
import { renderManifests, type Tree } from "./render.ts";
import type { Settings } from "./settings.ts";
import type { DiscoveredCluster, Snapshot } from "./snapshot.ts";

export interface Fleet {
  inventory: Inventory;
  plan: FederationPlan;
  tree: Tree;
}

export function buildFleet(
  settings: Settings,
  snapshot: Snapshot,
  clusterFiles: readonly ClusterFile[],
): Fleet {
  const inventory = buildInventory(settings, snapshot.clusters, clusterFiles);
  const plan = planFederation(inventory, snapshot.placement, settings.federation.shardSize);
  return { inventory, plan, tree: renderManifests(plan, settings) };
}

/** The snapshot a sync writes: what discovery found now, and the placement the new plan settled on. */
export function nextSnapshot(
  settings: Settings,
  previous: Snapshot,
  discovered: readonly DiscoveredCluster[],
  clusterFiles: readonly ClusterFile[],
): { snapshot: Snapshot; fleet: Fleet } {
  const fleet = buildFleet(settings, { clusters: discovered, placement: previous.placement }, clusterFiles);
  return { snapshot: { clusters: discovered, placement: fleet.plan.placement }, fleet };
}
