// Inventory + the previous placement → FederationTree: which leaf federator scrapes which cluster; a
// global federator always sits above the leaves.
//
// Placement is sticky: a cluster stays on the leaf the snapshot records for it, so adding or removing
// one cluster changes one leaf's files. New clusters go to the emptiest leaf with room (ties: lowest
// name) and a new leaf opens only when every leaf is full. No leaf ever holds more than shardSize.

import { type Problem, throwIfAny } from "../errors.ts";
import type { Placement } from "../inputs/snapshot.ts";
import { compare, sortStrings } from "../order.ts";
import type { Cluster, Inventory } from "./inventory.ts";

export interface Leaf {
  name: string;
  /** Sorted by id. */
  clusters: readonly Cluster[];
}

export interface FederationTree {
  /** Sorted by name; at least one. */
  leaves: readonly Leaf[];
  /** Always true: a global federator scrapes the leaves and is what Grafana reads. */
  global: boolean;
  /** Name of the federator at the top of the tree, which Grafana reads. */
  top: string;
  placement: Placement;
  shardSize: number;
  /** Things a person should know about this placement, such as a pin that moved another cluster. */
  warnings: readonly Problem[];
}

export const GLOBAL = "global";

/**
 * A leaf's name: `leaf-` and its index, at least three digits (leaf-000 … leaf-999, then leaf-1000). The
 * schemas' pattern is this one (test/plan.test.ts holds them to it), so a fleet of any size reads back.
 */
export const LEAF_NAME = "leaf-[0-9]{3,}";
const LEAF = new RegExp(`^${LEAF_NAME}$`);

export function leafName(index: number): string {
  return `leaf-${String(index).padStart(3, "0")}`;
}

export function isLeafName(name: string): boolean {
  return LEAF.test(name);
}

/** Leaves in number order: leaf-1000 after leaf-999. */
export const byLeafName = (a: string, b: string) => Number(a.slice(5)) - Number(b.slice(5)) || compare(a, b);

/** Long on purpose: placement's steps (keep, pins, fill, open) share state; split, their order would hide. */
export function placeClusters(inventory: Inventory, previous: Placement, shardSize: number): FederationTree {
  const present = new Map(inventory.clusters.map((c) => [c.id, c]));
  const leaves = new Map<string, string[]>();
  const placed = new Set<string>();

  for (const [leaf, ids] of [...previous].sort(([a], [b]) => byLeafName(a, b))) {
    const kept = ids.filter((id) => present.has(id) && !placed.has(id) && present.get(id)?.pin === undefined);
    for (const id of kept) placed.add(id);
    leaves.set(leaf, sortStrings([...kept]));
  }

  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  // A pin to a leaf that does not exist opens a federator with its own volume: refuse it as the typo it
  // usually is, unless the file says newLeaf: true, or it names the next leaf a new cluster would open.
  // A leaf exists when the previous placement has a cluster that is still here on it, pinned or not.
  const existing = new Set(
    [...previous].filter(([, ids]) => ids.some((id) => present.has(id))).map(([name]) => name),
  );
  let next = 0;
  while (existing.has(leafName(next))) next++;
  for (const c of inventory.clusters) {
    if (c.pin === undefined || existing.has(c.pin) || c.pin === leafName(next) || c.pinnedBy?.newLeaf)
      continue;
    problems.push({
      ...(c.pinnedBy && { file: c.pinnedBy.file, line: c.pinnedBy.line }),
      field: "leaf",
      message: `${c.pin} does not exist, and pinning ${c.id} to it would open a new leaf federator with its own volume`,
      hint: `pin to an existing leaf (${[...existing].sort(byLeafName).join(", ") || "none yet"}) or ${leafName(next)}, or add newLeaf: true if a new leaf is intended`,
    });
  }
  throwIfAny(problems);
  for (const c of inventory.clusters) {
    if (c.pin === undefined) continue;
    const list = leaves.get(c.pin) ?? [];
    list.push(c.id);
    sortStrings(list);
    leaves.set(c.pin, list);
    placed.add(c.id);
  }

  for (const [leaf, ids] of leaves) {
    if (ids.length <= shardSize) continue;
    const pinned = ids.filter((id) => present.get(id)?.pin === leaf);
    if (pinned.length > shardSize) {
      const by = present.get(pinned.at(-1) as string)?.pinnedBy;
      problems.push({
        ...(by && { file: by.file, line: by.line }),
        field: "leaf",
        message: `${pinned.length} clusters are pinned to ${leaf}, more than federation.shardSize (${shardSize}): ${pinned.join(", ")}`,
        hint: "pin fewer clusters to this leaf or raise federation.shardSize",
      });
      continue;
    }
    // A pin into a full leaf, or shardSize lowered: keep the pinned clusters and the first others,
    // re-place the rest, and say which cluster each pin moved.
    const keep = [...pinned, ...ids.filter((id) => !pinned.includes(id)).slice(0, shardSize - pinned.length)];
    const moved = ids.filter((id) => !keep.includes(id));
    for (const id of moved) placed.delete(id);
    const newlyPinned = pinned.filter((id) => !(previous.get(leaf) ?? []).includes(id));
    for (const id of newlyPinned) {
      const by = present.get(id)?.pinnedBy;
      if (moved.length === 0) break;
      warnings.push({
        ...(by && { file: by.file, line: by.line }),
        field: "leaf",
        message: `pinning ${id} to ${leaf}, which is full, moves ${moved.join(", ")} to another leaf`,
        hint: "expected when you mean it; otherwise pin to a leaf with room",
      });
    }
    leaves.set(leaf, sortStrings(keep));
  }
  throwIfAny(problems);

  for (const c of inventory.clusters) {
    if (placed.has(c.id)) continue;
    let target: string | undefined;
    for (const [leaf, ids] of leaves) {
      if (ids.length >= shardSize) continue;
      const best = target === undefined ? undefined : (leaves.get(target) as string[]);
      if (
        best === undefined ||
        ids.length < best.length ||
        (ids.length === best.length && byLeafName(leaf, target as string) < 0)
      ) {
        target = leaf;
      }
    }
    if (target === undefined) {
      let i = 0;
      while (leaves.has(leafName(i))) i++;
      target = leafName(i);
      leaves.set(target, []);
    }
    (leaves.get(target) as string[]).push(c.id);
    placed.add(c.id);
  }

  const nonEmpty = [...leaves].filter(([, ids]) => ids.length > 0).sort(([a], [b]) => byLeafName(a, b));
  const result: Leaf[] = nonEmpty.map(([name, ids]) => ({
    name,
    clusters: sortStrings([...ids]).map((id) => present.get(id) as Cluster),
  }));
  if (result.length === 0) result.push({ name: leafName(0), clusters: [] });
  // The global tier is always there, even above one leaf: Grafana's datasource and the history behind
  // it never move when a second leaf opens (SPEC §5.6).
  const global = true;
  return {
    leaves: result,
    global,
    top: GLOBAL,
    placement: new Map(result.map((l) => [l.name, l.clusters.map((c) => c.id)])),
    shardSize,
    warnings,
  };
}
