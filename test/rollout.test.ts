// What a pull request says a change does to the running federators (issue #22): the pods that restart,
// the StatefulSet changes Kubernetes cannot apply in place (with the manual step), and the federated
// series each tier gains or loses against its budget.

import { describe, expect, it } from "vitest";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { describeChange } from "../scripts/core/review/change.ts";
import { renderPullRequest } from "../scripts/core/review/pull-request.ts";
import { describeRollout } from "../scripts/core/review/rollout.ts";
import { discoveredCluster, numberedIds } from "./support/fleet.ts";

const fleet = (n: number, yaml = "", shardSize = 2) => {
  const settings = parseSettings(`federation:\n  shardSize: ${shardSize}\n${yaml}`, "fleet.yaml");
  return {
    settings,
    rendered: renderFleet(
      settings,
      { clusters: numberedIds(n).map((id) => discoveredCluster(id)), placement: new Map() },
      [],
    ),
  };
};

describe("the rollout a change causes", () => {
  it("adding a cluster to a leaf with room restarts nothing and adds its series to that leaf and the global", () => {
    const before = fleet(3);
    const after = fleet(4);
    const change = describeChange(after.settings, after.rendered, before.rendered.tree);
    expect(change.rollout.restarts).toEqual([]);
    expect(change.rollout.manual).toEqual([]);
    const perCluster = 9 + 3 * 30;
    expect(change.rollout.series.map((s) => [s.federator, s.after - s.before])).toEqual([
      // Its data, the seven health series the global reads, and each of leaf-001's two replicas' own
      // health of it (the replicas job).
      ["global", perCluster + 7 + 2],
      ["leaf-001", perCluster + 8],
    ]);
  });

  it("a cluster that opens a new leaf restarts the global, whose size follows the leaves, and the PR says so", () => {
    // 100 clusters on two full leaves of 50; the 101st opens leaf-002, and the global is sized for 150.
    const before = fleet(100, "", 50);
    const after = fleet(101, "", 50);
    const change = describeChange(after.settings, after.rendered, before.rendered.tree);
    expect(change.rollout.restarts).toEqual([{ federator: "global", what: ["prometheus: resources"] }]);
    const pr = renderPullRequest({
      change,
      plan: after.rendered.plan,
      snapshotChanged: true,
      labels: [],
      maxRemovals: 5,
      branch: "fleetfed/sync",
    });
    expect(pr.body).toMatch(
      /### Rollout\n\nPods that restart:\n- global restarts its pods \(pod template: prometheus: resources\)/,
    );
    // The new leaf's own 1,000 series apart from its one cluster's.
    expect(pr.body).toMatch(
      /- leaf-002: \+107 federated series, \+1000 of its own \(a new federator\) \(0 → 1107; \d+% of its budget\)/,
    );
    // The cluster (99 + 7 + 2 replicas' health of it), the new leaf's scrape health (8), and the new
    // leaf's two replicas (each its 4 own series and its scrape's 8 health series).
    expect(pr.body).toMatch(/- global: \+140 federated series/);
  });

  it("flags a volume size change, which a StatefulSet cannot take in place, with the manual step", () => {
    const before = fleet(4);
    // The global's volume (storage) and the leaves' (leafStorage) are set apart.
    const global = describeChange(
      fleet(4, "  storage: 100Gi\n").settings,
      fleet(4, "  storage: 100Gi\n").rendered,
      before.rendered.tree,
    );
    expect(global.rollout.manual.map((m) => [m.federator, m.fields])).toEqual([
      ["global", ["volumeClaimTemplates"]],
    ]);
    const after = fleet(4, "  leafStorage: 20Gi\n");
    const change = describeChange(after.settings, after.rendered, before.rendered.tree);
    expect(change.rollout.manual.map((m) => [m.federator, m.fields])).toEqual([
      ["leaf-000", ["volumeClaimTemplates"]],
      ["leaf-001", ["volumeClaimTemplates"]],
    ]);
    const [line] = describeRollout(global.rollout).manual;
    expect(line).toMatch(
      /global: the StatefulSet's volumeClaimTemplates cannot change in place.*kubectl -n <namespace> delete statefulset fleetfed-global --cascade=orphan/,
    );
  });

  it("warns when a tier would hold more than 80 % of its series budget", () => {
    const before = fleet(4, "  expectedSeriesPerCluster: 100\n");
    const after = fleet(4, "  expectedSeriesPerCluster: 100\n");
    // The same fleet, but the files on disk were rendered for 10x fewer series a cluster: the new model's
    // counts against the old files' budgets are not the question; a fleet whose clusters outgrow the
    // budget is: a cluster file federating far more than modelled.
    const change = describeChange(after.settings, after.rendered, before.rendered.tree);
    expect(describeRollout(change.rollout).full).toEqual([]);
    const r = describeRollout({
      restarts: [],
      manual: [],
      series: [{ federator: "leaf-000", before: 100, after: 900, budget: 1000 }],
    });
    expect(r.full).toEqual([
      "leaf-000 would hold 90% of its series budget (FleetfedFederatorHeadSeriesNearBudget fires at 80%): raise federation.expectedSeriesPerCluster or lower shardSize",
    ]);
  });
});
