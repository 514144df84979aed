// Two fleets → what changed, in the terms a reviewer cares about: clusters added, removed and changed,
// leaves affected, counts before and after, files touched, and the warnings that need a human.

import { formatProblem } from "../errors.ts";
import type { RenderedFleet } from "../fleet.ts";
import type { Settings } from "../inputs/settings.ts";
import { compare, sortStrings } from "../order.ts";
import type { Tree } from "../render/manifests.ts";
import { deployedFleet, type FleetCounts, type PlacedCluster } from "./deployed.ts";
import { type Rollout, rolloutOf } from "./rollout.ts";

export type { FleetCounts, PlacedCluster };

export interface ClusterDelta {
  id: string;
  before: PlacedCluster;
  after: PlacedCluster;
  /** Names of the fields that differ, e.g. ["labels", "leaf"]. */
  fields: string[];
}

export interface FleetChange {
  added: PlacedCluster[];
  removed: PlacedCluster[];
  changed: ClusterDelta[];
  leavesAffected: string[];
  before: FleetCounts;
  after: FleetCounts;
  files: { added: string[]; removed: string[]; changed: string[] };
  warnings: string[];
  /** Pods that restart, changes Kubernetes cannot apply in place, federated series per tier. */
  rollout: Rollout;
}

function placed(fleet: RenderedFleet): Map<string, PlacedCluster> {
  const map = new Map<string, PlacedCluster>();
  for (const leaf of fleet.plan.leaves)
    for (const c of leaf.clusters) map.set(c.id, { cluster: c, leaf: leaf.name });
  return map;
}

export function fleetCounts(fleet: RenderedFleet): FleetCounts {
  const clusters = fleet.plan.leaves.reduce((n, l) => n + l.clusters.length, 0);
  return { clusters, leaves: fleet.plan.leaves.length, global: fleet.plan.global };
}

export function diffTrees(before: Tree, after: Tree): FleetChange["files"] {
  const added = [...after.keys()].filter((p) => !before.has(p));
  const removed = [...before.keys()].filter((p) => !after.has(p));
  const changed = [...after.keys()].filter((p) => before.has(p) && before.get(p) !== after.get(p));
  return { added: sortStrings(added), removed: sortStrings(removed), changed: sortStrings(changed) };
}

/** Every path a change touches, added, changed or removed. */
export function touchedFiles(files: FleetChange["files"]): string[] {
  return [...files.added, ...files.changed, ...files.removed];
}

export function describeFileCounts(files: FleetChange["files"]): string {
  return `${files.added.length} added, ${files.changed.length} changed, ${files.removed.length} removed`;
}

export function describeCounts(c: FleetCounts): string {
  return `${c.clusters} clusters on ${c.leaves} leaf federator(s)${c.global ? " + global" : ""}`;
}

/**
 * Equal as data, whatever order the keys were written in: a cluster file's `authorization` and the same
 * settings read back from prometheus.yml list their keys in different orders (a phantom "auth" change).
 */
function sameValue(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === "object"
        ? Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])])
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function changedFields(a: PlacedCluster, b: PlacedCluster): string[] {
  const x = a.cluster;
  const y = b.cluster;
  const fields: string[] = [];
  if (x.endpoint !== y.endpoint) fields.push("endpoint");
  if (x.scheme !== y.scheme) fields.push("scheme");
  if (!sameValue(x.labels, y.labels)) fields.push("labels");
  if (x.scrapeInterval.ms !== y.scrapeInterval.ms) fields.push("scrapeInterval");
  if (x.scrapeTimeout.ms !== y.scrapeTimeout.ms) fields.push("scrapeTimeout");
  if (JSON.stringify(x.match) !== JSON.stringify(y.match)) fields.push("match");
  if (!sameValue(x.auth, y.auth)) fields.push("auth");
  if (a.leaf !== b.leaf) fields.push("leaf");
  return fields;
}

/** safety.maxRemovals is the most removals a pull request may carry without a person reviewing them. */
export function exceedsMaxRemovals(removed: number, maxRemovals: number): boolean {
  return removed > maxRemovals;
}

/**
 * What `after` changes against manifests/ as it stands (`onDisk`): the clusters it federates are read back
 * from the files, so edits to clusters/ show up even when the snapshot did not move.
 */
export function describeChange(settings: Settings, after: RenderedFleet, onDisk: Tree): FleetChange {
  const deployed = deployedFleet(onDisk, settings.clusterLabel);
  const a = deployed.clusters;
  const b = placed(after);
  const added = [...b.values()].filter((p) => !a.has(p.cluster.id));
  const removed = [...a.values()]
    .filter((p) => !b.has(p.cluster.id))
    .sort((x, y) => compare(x.cluster.id, y.cluster.id));
  const changed: ClusterDelta[] = [];
  for (const [id, now] of b) {
    const was = a.get(id);
    if (!was) continue;
    const fields = changedFields(was, now);
    if (fields.length > 0) changed.push({ id, before: was, after: now, fields });
  }
  const files = diffTrees(onDisk, after.tree);
  const leavesAffected = new Set<string>();
  for (const path of touchedFiles(files)) {
    const m = /^federation\/([^/]+)\//.exec(path);
    if (m?.[1]) leavesAffected.add(m[1]);
  }
  const warnings: string[] = [...after.inventory.unresolved, ...after.plan.warnings].map(formatProblem);
  if (exceedsMaxRemovals(removed.length, settings.safety.maxRemovals)) {
    warnings.push(
      `${removed.length} clusters would be removed, more than safety.maxRemovals (${settings.safety.maxRemovals}); review the removals before merging`,
    );
  }
  return {
    added,
    removed,
    changed,
    leavesAffected: [...leavesAffected].sort(compare),
    before: deployed.counts,
    after: fleetCounts(after),
    files,
    warnings,
    rollout: rolloutOf({
      before: onDisk,
      after: after.tree,
      placement: { before: a.values(), after: b.values() },
      plan: after.plan,
      settings,
    }),
  };
}
