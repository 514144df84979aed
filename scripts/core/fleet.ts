// The pure pipeline in one call: settings + snapshot + cluster files → inventory → plan → manifests tree.

import type { DiscoveredCluster } from "./discovery/cluster.ts";
import type { ClusterFile } from "./inputs/cluster-file.ts";
import type { Settings } from "./inputs/settings.ts";
import type { Placement, Snapshot } from "./inputs/snapshot.ts";
import { MANIFESTS_DIR, WRITING_MARK } from "./layout.ts";
import { buildInventory, type Inventory } from "./plan/inventory.ts";
import { type FederationTree, placeClusters } from "./plan/placement.ts";
import { recordedPlacement, renderManifests, type Tree } from "./render/manifests.ts";

export interface RenderedFleet {
  inventory: Inventory;
  plan: FederationTree;
  tree: Tree;
}

/**
 * `manifests` is manifests/ as it stands: where the last render put clusters the snapshot does not place
 * (cluster files added since the last sync) is read back from it, so they stay where they are. Omitted: a
 * render from nothing, as on a first run.
 */
export function renderFleet(
  settings: Settings,
  snapshot: Snapshot,
  clusterFiles: readonly ClusterFile[],
  manifests: Tree = new Map(),
): RenderedFleet {
  const inventory = buildInventory(settings, snapshot.clusters, clusterFiles);
  // A write that was interrupted left some leaves old and some new: not a record to keep placement by.
  const interrupted = manifests.has(WRITING_MARK);
  // Only clusters the snapshot does not place are placed by the record; when it places them all (a fleet
  // just synced), reading the record back would change nothing.
  const bySnapshot = new Set<string>();
  for (const ids of snapshot.placement.values()) for (const id of ids) bySnapshot.add(id);
  const unplaced = inventory.clusters.some((c) => !bySnapshot.has(c.id));
  const recorded = interrupted || !unplaced ? new Map() : recordedPlacement(manifests, settings.clusterLabel);
  const placed = placeClusters(
    inventory,
    previousPlacement(snapshot.placement, recorded),
    settings.federation.shardSize,
  );
  const plan = interrupted
    ? {
        ...placed,
        warnings: [
          ...placed.warnings,
          {
            file: `${MANIFESTS_DIR}/${WRITING_MARK}`,
            message:
              "the last write of manifests/ was interrupted, so clusters the snapshot does not place are placed afresh",
            hint: "expected after a cancelled or killed run; this run completes manifests/",
          },
        ],
      }
    : placed;
  return { inventory, plan, tree: renderManifests(plan, settings) };
}

/** The snapshot's placement, plus each cluster it does not list on the leaf manifests/ has it on. */
export function previousPlacement(snapshot: Placement, recorded: Placement): Placement {
  const known = new Set([...snapshot.values()].flat());
  const merged = new Map([...snapshot].map(([leaf, ids]) => [leaf, [...ids]]));
  for (const [leaf, ids] of recorded) {
    const extra = ids.filter((id) => !known.has(id));
    if (extra.length === 0) continue;
    merged.set(leaf, [...(merged.get(leaf) ?? []), ...extra]);
    for (const id of extra) known.add(id);
  }
  return merged;
}

/** The snapshot a sync writes: what discovery found now, and the placement the new plan settled on. */
export function nextSnapshot(
  settings: Settings,
  previous: Snapshot,
  discovered: readonly DiscoveredCluster[],
  clusterFiles: readonly ClusterFile[],
  manifests: Tree = new Map(),
): { snapshot: Snapshot; fleet: RenderedFleet } {
  const fleet = renderFleet(
    settings,
    { clusters: discovered, placement: previous.placement },
    clusterFiles,
    manifests,
  );
  return { snapshot: { clusters: discovered, placement: fleet.plan.placement }, fleet };
}
