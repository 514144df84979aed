// Leaf placement: sticky, bounded by shardSize, and a change to one cluster touches one leaf.

import { describe, expect, it } from "vitest";
import { FleetfedError } from "../scripts/core/errors.ts";
import { nextSnapshot, previousPlacement, renderFleet, writingMark } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import type { DiscoveredCluster } from "../scripts/core/inputs/discovered-cluster.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import {
  EMPTY_SNAPSHOT,
  parseSnapshot,
  type Snapshot,
  serialiseSnapshot,
} from "../scripts/core/inputs/snapshot.ts";
import { WRITING_MARK } from "../scripts/core/layout.ts";
import { LEAF_NAME } from "../scripts/core/plan/placement.ts";
import { recordedPlacement } from "../scripts/core/render/manifests.ts";
import { diffTrees } from "../scripts/core/review/change.ts";
import clusterSchema from "../scripts/schema/cluster.schema.json" with { type: "json" };
import snapshotSchema from "../scripts/schema/snapshot.schema.json" with { type: "json" };
import { discoveredCluster, numberedIds } from "./support/fleet.ts";

const settings = (shardSize: number) =>
  parseSettings(`discovery:\n  route53: {}\nfederation:\n  shardSize: ${shardSize}\n`, "fleet.yaml");

function discovered(n: number, prefix = "c"): DiscoveredCluster[] {
  return numberedIds(n, prefix).map((id) => discoveredCluster(id));
}

/** The fleet after a sync: placement recorded in the snapshot, as sync writes it. */
function synced(s: ReturnType<typeof settings>, clusters: DiscoveredCluster[], previous?: Snapshot) {
  return nextSnapshot(s, { previous: previous ?? EMPTY_SNAPSHOT, discovered: clusters, clusterFiles: [] });
}

/** Half a write: one leaf's file holds clusters of another layout. */
function halfWritten(tree: ReadonlyMap<string, string>): Map<string, string> {
  const half = new Map(tree);
  half.set("federation/leaf-000/prometheus.yml", tree.get("federation/leaf-001/prometheus.yml") as string);
  return half;
}

const leavesOf = (paths: string[]) =>
  new Set(paths.filter((p) => p.startsWith("federation/")).map((p) => p.split("/")[1]));
/** One cluster's onboarding files (core/render/onboarding.ts): they come and go with the cluster. */
const onboardingOf = (id: string) => [
  `onboarding/${id}/kube-prometheus-stack.yaml`,
  `onboarding/${id}/prometheus-operator.yaml`,
];

describe("leaf names", () => {
  it("stay valid past 1,000 leaves: 1,001 leaves render, and the snapshot written reads back", () => {
    const { snapshot, fleet } = synced(settings(1), discovered(1001));
    expect(fleet.plan.leaves.at(-1)?.name).toBe("leaf-1000");
    expect(fleet.tree.has("federation/leaf-1000/prometheus.yml")).toBe(true);
    const read = parseSnapshot(serialiseSnapshot(snapshot), "fleet.snapshot.json");
    expect(read.placement.get("leaf-1000")).toEqual(["c01000"]);
    expect(recordedPlacement(fleet.tree, "cluster").get("leaf-1000")).toEqual(["c01000"]);
  }, 60_000);

  it("have one pattern: the schemas' is the code's", () => {
    const pin = clusterSchema.properties.leaf as { pattern: string };
    const placement = snapshotSchema.properties.placement as { propertyNames: { pattern: string } };
    expect(pin.pattern).toBe(`^${LEAF_NAME}$`);
    expect(placement.propertyNames.pattern).toBe(`^${LEAF_NAME}$`);
  });
});

describe("placement", () => {
  it("fills leaves in id order and never exceeds shardSize", () => {
    const { fleet } = synced(settings(50), discovered(1000));
    expect(fleet.plan.leaves).toHaveLength(20);
    expect(Math.max(...fleet.plan.leaves.map((l) => l.clusters.length))).toBe(50);
    expect(fleet.plan.global).toBe(true);
    // In id order: a leaf opens only when every leaf is full, so leaf i holds ids 50i … 50i+49.
    const ids = discovered(1000).map((c) => c.cluster);
    fleet.plan.leaves.forEach((leaf, i) => {
      expect(leaf.name).toBe(`leaf-${String(i).padStart(3, "0")}`);
      expect(leaf.clusters.map((c) => c.id)).toEqual(ids.slice(50 * i, 50 * i + 50));
    });
  });

  it("keeps a cluster on its leaf when another cluster is added, and touches one leaf's files", () => {
    const s = settings(50);
    const before = synced(
      s,
      discovered(1000).filter((_, i) => i !== 417),
    );
    const after = synced(s, discovered(1000), before.snapshot);
    const files = diffTrees(before.fleet.tree, after.fleet.tree);
    const touched = [...files.added, ...files.changed, ...files.removed];
    // The cluster joins the only leaf with room and gets its onboarding files; every other file stays byte-identical.
    const joined = after.fleet.plan.leaves
      .flatMap((l) => l.clusters)
      .find((c) => !before.fleet.plan.leaves.some((b) => b.clusters.some((x) => x.id === c.id)));
    expect(touched).toEqual([...onboardingOf(joined?.id as string), "federation/leaf-019/prometheus.yml"]);
    for (const leaf of before.fleet.plan.leaves) {
      for (const c of leaf.clusters) expect(after.fleet.plan.placement.get(leaf.name)).toContain(c.id);
    }
  });

  it("touches one leaf's files when a cluster is removed", () => {
    const s = settings(50);
    const before = synced(s, discovered(1000));
    const after = synced(
      s,
      discovered(1000).filter((c) => c.cluster !== "c00123"),
      before.snapshot,
    );
    const files = diffTrees(before.fleet.tree, after.fleet.tree);
    expect([...files.added, ...files.changed, ...files.removed]).toEqual([
      "federation/leaf-002/prometheus.yml",
      ...onboardingOf("c00123"),
    ]);
  });

  it("adds a leaf and changes the global only when every leaf is full", () => {
    const s = settings(50);
    const before = synced(s, discovered(1000));
    const after = synced(s, discovered(1001), before.snapshot);
    const files = diffTrees(before.fleet.tree, after.fleet.tree);
    expect(leavesOf(files.added)).toEqual(new Set(["leaf-020"]));
    // The global scrapes one more leaf, and is sized (memory, alert budgets) for one more leaf's clusters.
    expect(files.changed).toEqual([
      "federation/global/alerts.yml",
      "federation/global/federator.yaml",
      "federation/global/prometheus.yml",
      "federation/kustomization.yaml",
    ]);
    expect(files.removed).toEqual([]);
  });

  it("fills the emptiest leaf first when clusters arrive", () => {
    const s = settings(3);
    const first = synced(s, discovered(6));
    const fewer = synced(
      s,
      discovered(6).filter((c) => c.cluster !== "c00001" && c.cluster !== "c00004" && c.cluster !== "c00005"),
      first.snapshot,
    );
    expect([...fewer.fleet.plan.placement]).toEqual([
      ["leaf-000", ["c00000", "c00002"]],
      ["leaf-001", ["c00003"]],
    ]);
    const more = synced(s, [...discovered(6), ...discovered(1, "d")], fewer.snapshot);
    // c00001 → leaf-001 (1 cluster), c00004 → leaf-000 (tie at 2, lowest name), c00005 → leaf-001, d00000 → new leaf.
    expect(more.fleet.plan.placement.get("leaf-000")).toEqual(["c00000", "c00002", "c00004"]);
    expect(more.fleet.plan.placement.get("leaf-001")).toEqual(["c00001", "c00003", "c00005"]);
    expect(more.fleet.plan.placement.get("leaf-002")).toEqual(["d00000"]);
  });

  it("re-places the overflow when shardSize is lowered", () => {
    const before = synced(settings(4), discovered(8));
    const after = synced(settings(3), discovered(8), before.snapshot);
    expect(Math.max(...after.fleet.plan.leaves.map((l) => l.clusters.length))).toBe(3);
    expect(after.fleet.plan.placement.get("leaf-000")).toEqual(["c00000", "c00001", "c00002"]);
    expect(after.fleet.plan.leaves).toHaveLength(3);
  });

  const pin = (id: string, leaf: string, extra = "") =>
    parseClusterFile(`cluster: ${id}\nleaf: ${leaf}\n${extra}`, {
      file: `clusters/${id}.yaml`,
      expectedId: id,
      clusterLabel: "cluster",
    });

  it("honours a pin to a leaf, and refuses more pins than a leaf holds", () => {
    const s = settings(2);
    const fleet = renderFleet(s, { clusters: discovered(4), placement: new Map() }, [
      pin("c00003", "leaf-007", "newLeaf: true\n"),
    ]);
    expect(fleet.plan.placement.get("leaf-007")).toContain("c00003");
    const later = renderFleet(s, { clusters: discovered(9), placement: fleet.plan.placement }, [
      pin("c00003", "leaf-007"),
    ]);
    expect(later.plan.placement.get("leaf-007")).toContain("c00003");
    expect(Math.max(...later.plan.leaves.map((l) => l.clusters.length))).toBe(2);
    expect(() =>
      renderFleet(
        s,
        { clusters: discovered(4), placement: new Map() },
        ["c00000", "c00001", "c00002"].map((id) => pin(id, "leaf-001", "newLeaf: true\n")),
      ),
    ).toThrow(/3 clusters are pinned to leaf-001, more than federation.shardSize \(2\)/);
  });

  it("refuses a pin to a leaf that does not exist, naming file and line, unless newLeaf: true says it is meant", () => {
    const s = settings(2);
    const { snapshot } = synced(s, discovered(4));
    let error: unknown;
    try {
      renderFleet(s, snapshot, [pin("c00003", "leaf-009")]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FleetfedError);
    expect((error as FleetfedError).problems).toEqual([
      expect.objectContaining({
        file: "clusters/c00003.yaml",
        line: 2,
        field: "leaf",
        message: expect.stringMatching(
          /^leaf-009 does not exist, and pinning c00003 to it would open a new leaf/,
        ),
        hint: expect.stringMatching(/leaf-000, leaf-001\) or leaf-002, or add newLeaf: true/),
      }),
    ]);
    // The next leaf a new cluster would open is not a typo.
    expect(renderFleet(s, snapshot, [pin("c00003", "leaf-002")]).plan.placement.get("leaf-002")).toEqual([
      "c00003",
    ]);
  });

  it("keeps a leaf opened by newLeaf: true once it exists, even when only pinned clusters are on it", () => {
    const s = settings(2);
    const first = renderFleet(s, { clusters: discovered(2), placement: new Map() }, [
      pin("c00000", "leaf-005", "newLeaf: true\n"),
      pin("c00001", "leaf-005", "newLeaf: true\n"),
    ]);
    expect(first.plan.placement.get("leaf-005")).toEqual(["c00000", "c00001"]);
    // The leaf exists now: the pins hold without newLeaf.
    const later = renderFleet(s, { clusters: discovered(2), placement: first.plan.placement }, [
      pin("c00000", "leaf-005"),
      pin("c00001", "leaf-005"),
    ]);
    expect(later.plan.placement.get("leaf-005")).toEqual(["c00000", "c00001"]);
  });

  it("warns, with file and line, which cluster a pin into a full leaf moves away", () => {
    const s = settings(2);
    const { snapshot } = synced(s, discovered(4));
    const full = [...(snapshot.placement.get("leaf-000") ?? [])];
    const fleet = renderFleet(s, snapshot, [pin("c00003", "leaf-000")]);
    expect(fleet.plan.placement.get("leaf-000")).toContain("c00003");
    expect(fleet.plan.warnings).toEqual([
      expect.objectContaining({
        file: "clusters/c00003.yaml",
        line: 2,
        message: `pinning c00003 to leaf-000, which is full, moves ${full.at(-1)} to another leaf`,
      }),
    ]);
  });

  it("keeps one empty leaf when the fleet has no clusters", () => {
    const { fleet } = synced(settings(5), []);
    expect(fleet.plan.leaves.map((l) => l.name)).toEqual(["leaf-000"]);
    const config = fleet.tree.get("federation/leaf-000/prometheus.yml");
    expect(config).not.toContain("fleetfed-clusters");
    expect(config).toContain("job_name: fleetfed-federators");
  });
});

describe("placement between syncs, recorded in manifests/", () => {
  const s = settings(50);
  const handWritten = (ids: string[]) =>
    ids.map((id, i) =>
      parseClusterFile(
        `cluster: ${JSON.stringify(id)}\nendpoint: prometheus.${id}.internal.example.com:80\nlabels: {team: t${i % 7}}\n${i % 5 === 0 ? "match: ['{__name__=~\"cluster:.*\"}']\n" : ""}`,
        { file: `clusters/${id}.yaml`, expectedId: id, clusterLabel: "cluster" },
      ),
    );
  const touchedLeaves = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) => {
    const f = diffTrees(a, b);
    return [...f.added, ...f.changed, ...f.removed];
  };

  it("reads back exactly the placement render wrote, whatever the ids look like and however jobs split", () => {
    const ids = [...numberedIds(120, "c"), "123", "true", "null", "1e3", "0x1f", "0o17", "yes", "on", "1-2"];
    for (const label of ["cluster", "k8s_cluster"]) {
      const custom = parseSettings(`clusterLabel: ${label}\nfederation:\n  shardSize: 50\n`, "fleet.yaml");
      const fleet = renderFleet(custom, EMPTY_SNAPSHOT, handWritten(ids));
      expect(fleet.plan.leaves.length).toBeGreaterThan(2);
      expect(recordedPlacement(fleet.tree, label)).toEqual(fleet.plan.placement);
    }
  });

  it("rewrites one leaf when a hand-written cluster file is deleted or added, with no snapshot and no sync", () => {
    const ids = numberedIds(1000, "cluster-");
    const first = renderFleet(s, EMPTY_SNAPSHOT, handWritten(ids));
    const without = handWritten(ids).filter((f) => f.cluster !== "cluster-00123");
    const removed = renderFleet(s, EMPTY_SNAPSHOT, without, first.tree);
    expect(touchedLeaves(first.tree, removed.tree)).toEqual([
      "federation/leaf-002/prometheus.yml",
      ...onboardingOf("cluster-00123"),
    ]);
    // A new file fills the gap, and the rest stays where the earlier render put it.
    const added = renderFleet(s, EMPTY_SNAPSHOT, [...without, ...handWritten(["aaa-new"])], removed.tree);
    expect(touchedLeaves(removed.tree, added.tree)).toEqual([
      ...onboardingOf("aaa-new"),
      "federation/leaf-002/prometheus.yml",
    ]);
    expect(added.plan.placement.get("leaf-002")).toContain("aaa-new");
    // A sync afterwards records the same placement in the snapshot: no cluster moves.
    const synced = nextSnapshot(s, {
      previous: EMPTY_SNAPSHOT,
      discovered: [],
      clusterFiles: [...without, ...handWritten(["aaa-new"])],
      manifests: added.tree,
    });
    expect(touchedLeaves(added.tree, synced.fleet.tree)).toEqual([]);
    expect(synced.snapshot.placement).toEqual(added.plan.placement);
  });

  it("lets the snapshot's placement win over manifests/ for the clusters it lists", () => {
    expect(
      previousPlacement(
        new Map([["leaf-000", ["a", "b"]]]),
        new Map([
          ["leaf-000", ["a"]],
          ["leaf-001", ["b", "c"]],
        ]),
      ),
    ).toEqual(
      new Map([
        ["leaf-000", ["a", "b"]],
        ["leaf-001", ["c"]],
      ]),
    );
  });

  it("keeps the placement an interrupted write's mark records, whatever its leaves hold (#21.13)", () => {
    const ids = numberedIds(100, "cluster-");
    const first = renderFleet(s, EMPTY_SNAPSHOT, handWritten(ids));
    const half = halfWritten(first.tree);
    half.set(WRITING_MARK, writingMark(first.plan));
    // Cluster files added since: the marked placement holds; the new ones fill up after it.
    const more = [...ids, ...numberedIds(3, "aaa-")];
    const after = renderFleet(s, EMPTY_SNAPSHOT, handWritten(more), half);
    for (const [leaf, placed] of first.plan.placement)
      expect(after.plan.placement.get(leaf)?.slice(0, placed.length)).toEqual(placed);
    expect(after.plan.warnings).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/keeps the placement it was writing/) }),
    ]);
  });

  it("does not keep placement by a manifests/ whose last write was interrupted with no readable mark, and says so", () => {
    const ids = numberedIds(100, "cluster-");
    const first = renderFleet(s, EMPTY_SNAPSHOT, handWritten(ids));
    const half = halfWritten(first.tree);
    half.set(WRITING_MARK, "");
    const after = renderFleet(s, EMPTY_SNAPSHOT, handWritten(ids), half);
    expect(after.plan.placement).toEqual(first.plan.placement);
    expect(after.plan.warnings).toEqual([
      expect.objectContaining({
        file: "manifests/.fleetfed-writing",
        message: expect.stringMatching(/interrupted/),
      }),
    ]);
    half.delete(WRITING_MARK);
    expect(renderFleet(s, EMPTY_SNAPSHOT, handWritten(ids), half).plan.placement).not.toEqual(
      first.plan.placement,
    );
  });
});
