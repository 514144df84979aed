// The pure pipeline in one call: settings + snapshot + cluster files → inventory → plan → manifests tree.

import type { DiscoveredCluster } from "./discovery/cluster.ts";
import type { ClusterFile } from "./inputs/cluster-file.ts";
import type { Settings } from "./inputs/settings.ts";
import type { Snapshot } from "./inputs/snapshot.ts";
import { buildInventory, type Inventory } from "./plan/inventory.ts";
import { type FederationTree, placeClusters } from "./plan/placement.ts";
import { renderManifests, type Tree } from "./render/manifests.ts";

export interface RenderedFleet {
  inventory: Inventory;
  plan: FederationTree;
  tree: Tree;
}

export function renderFleet(
  settings: Settings,
  snapshot: Snapshot,
  clusterFiles: readonly ClusterFile[],
): RenderedFleet {
  const inventory = buildInventory(settings, snapshot.clusters, clusterFiles);
  const plan = placeClusters(inventory, snapshot.placement, settings.federation.shardSize);
  return { inventory, plan, tree: renderManifests(plan, settings) };
}

/** The snapshot a sync writes: what discovery found now, and the placement the new plan settled on. */
export function nextSnapshot(
  settings: Settings,
  previous: Snapshot,
  discovered: readonly DiscoveredCluster[],
  clusterFiles: readonly ClusterFile[],
): { snapshot: Snapshot; fleet: RenderedFleet } {
  const fleet = renderFleet(settings, { clusters: discovered, placement: previous.placement }, clusterFiles);
  return { snapshot: { clusters: discovered, placement: fleet.plan.placement }, fleet };
}
