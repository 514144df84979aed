// The pure pipeline in one call: settings + snapshot + cluster files → inventory → plan → manifests tree.

import { throwIfAny } from "./errors.ts";
import type { ClusterFile } from "./inputs/cluster-file.ts";
import type { DiscoveredCluster } from "./inputs/discovered-cluster.ts";
import type { Settings } from "./inputs/settings.ts";
import type { Placement, Snapshot } from "./inputs/snapshot.ts";
import { federatorOf, MANIFESTS_DIR, WRITING_MARK } from "./layout.ts";
import { buildInventory, type Inventory } from "./plan/inventory.ts";
import { byLeafName, type FederationTree, isLeafName, leafName, placeClusters } from "./plan/placement.ts";
import { recordedPlacement, renderManifests, type Tree } from "./render/manifests.ts";
import { sizingProblems } from "./render/sizing.ts";

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
  // A write that was interrupted left some leaves old and some new: not a record to keep placement by. Its
  // mark holds the placement it was writing, so this run places every cluster exactly where that one did;
  // a mark without one (written by an older fleetfed) leaves clusters the snapshot does not place to be
  // placed afresh.
  const interrupted = manifests.has(WRITING_MARK);
  const read = interrupted ? markedPlacement(manifests.get(WRITING_MARK) as string) : undefined;
  // A mark is trusted only for leaves a run could have been writing: ones the snapshot or manifests/ has,
  // the lowest free numbers a run opens next, and leaves cluster files pin. Any other (an edited or
  // corrupted mark) would open a leaf no one asked for; then the mark's placement is not used at all.
  const stray = read ? strayLeaves(read, snapshot.placement, manifests, inventory) : [];
  const marked = stray.length > 0 ? undefined : read;
  // Only clusters the snapshot does not place are placed by the record; when it places them all (a fleet
  // just synced), reading the record back would change nothing.
  const bySnapshot = new Set<string>();
  for (const ids of snapshot.placement.values()) for (const id of ids) bySnapshot.add(id);
  const unplaced = inventory.clusters.some((c) => !bySnapshot.has(c.id));
  const recorded =
    marked ??
    (interrupted || !unplaced
      ? new Map<string, string[]>()
      : recordedPlacement(manifests, settings.clusterLabel));
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
            message: marked
              ? "the last write of manifests/ was interrupted; this run keeps the placement it was writing and completes it"
              : stray.length > 0
                ? `names ${stray.join(", ")}, which neither the snapshot nor manifests/ has and no run would open, so its placement is not used: clusters the snapshot does not place are placed afresh`
                : "the last write of manifests/ was interrupted, so clusters the snapshot does not place are placed afresh",
            hint:
              stray.length > 0
                ? "a mark fleetfed writes names only leaves it is writing; this one was edited or damaged"
                : "expected after a cancelled or killed run",
          },
        ],
      }
    : placed;
  throwIfAny(sizingProblems(plan, settings));
  return { inventory, plan, tree: renderManifests(plan, settings) };
}

/**
 * What WRITING_MARK holds while manifests/ is being written: the placement being written, so that a run
 * after an interruption places every cluster exactly where the interrupted one did (test/interrupt.test.ts).
 */
export function writingMark(plan: FederationTree): string {
  return `${JSON.stringify({
    note: "fleetfed is writing manifests/; if this file stays, that write was interrupted, and the next run completes it with this placement",
    placement: Object.fromEntries(plan.placement),
  })}\n`;
}

/** The placement a mark records, or undefined when it records none that can be read. */
function markedPlacement(text: string): Placement | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const placement = (value as { placement?: unknown } | null)?.placement;
  if (typeof placement !== "object" || placement === null || Array.isArray(placement)) return undefined;
  const out = new Map<string, string[]>();
  for (const [leaf, ids] of Object.entries(placement)) {
    if (!isLeafName(leaf) || !Array.isArray(ids) || !ids.every((id) => typeof id === "string"))
      return undefined;
    out.set(leaf, ids as string[]);
  }
  return out;
}

/** The leaves a mark names that no run could have been writing (see renderFleet). */
function strayLeaves(
  marked: Placement,
  snapshot: Placement,
  manifests: Tree,
  inventory: Inventory,
): string[] {
  const known = new Set(snapshot.keys());
  for (const path of manifests.keys()) {
    const leaf = federatorOf(path)?.name;
    if (leaf !== undefined && isLeafName(leaf)) known.add(leaf);
  }
  for (const c of inventory.clusters) if (c.pin !== undefined) known.add(c.pin);
  const opened = [...marked.keys()].filter((leaf) => !known.has(leaf));
  // New leaves take the lowest free numbers, one after another.
  const next: string[] = [];
  for (let i = 0; next.length < opened.length; i++) if (!known.has(leafName(i))) next.push(leafName(i));
  return opened.filter((leaf) => !next.includes(leaf)).sort(byLeafName);
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
  {
    previous,
    discovered,
    clusterFiles,
    manifests = new Map(),
  }: {
    previous: Snapshot;
    discovered: readonly DiscoveredCluster[];
    clusterFiles: readonly ClusterFile[];
    /** The manifests/ on disk: where clusters the snapshot does not place were put last time. */
    manifests?: Tree;
  },
): { snapshot: Snapshot; fleet: RenderedFleet } {
  const fleet = renderFleet(
    settings,
    { clusters: discovered, placement: previous.placement },
    clusterFiles,
    manifests,
  );
  return { snapshot: { clusters: discovered, placement: fleet.plan.placement }, fleet };
}
