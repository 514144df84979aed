// What each federator is sized for comes from what it federates (issue #20): the series the default
// match[] takes per cluster, worked out from the records, and at the top only the health and federator
// series that dashboards and alerts read. `npm run bench` measures the memory against a real Prometheus.

import { describe, expect, it } from "vitest";
import { queriesToCover } from "../scripts/core/check/coverage.ts";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { covers, selectorsOf } from "../scripts/core/promql.ts";
import {
  bodySizeLimit,
  bytesOf,
  clusterSampleLimit,
  seriesPerCluster,
} from "../scripts/core/render/limits.ts";
import {
  CLUSTER_JOB,
  globalMatch,
  REPLICA_READ,
  REPLICAS_JOB,
  SELF_JOB,
} from "../scripts/core/render/prometheus.ts";
import { BYTES_PER_SERIES, federatorSize, seriesHeld } from "../scripts/core/render/sizing.ts";
import { discoveredCluster, numberedIds } from "./support/fleet.ts";

const settings = (yaml = "") => parseSettings(`federation:\n  shardSize: 50\n${yaml}`, "fleet.yaml");
const fleetOf = (n: number, s = settings()) =>
  renderFleet(s, { clusters: numberedIds(n).map((id) => discoveredCluster(id)), placement: new Map() }, []);

describe("sizing from what is federated", () => {
  it("counts a cluster's series from the records: nine cluster-level aggregates, three per namespace", () => {
    expect(seriesPerCluster(settings())).toBe(9 + 3 * 30);
    expect(seriesPerCluster(settings("  namespacesPerCluster: 100\n"))).toBe(9 + 3 * 100);
    // A team that federates more says so.
    expect(seriesPerCluster(settings("  expectedSeriesPerCluster: 500\n"))).toBe(500);
  });

  it("sizes the global for its clusters' data and the seven health series it reads, not every leaf series", () => {
    const fleet = fleetOf(1000);
    expect(fleet.plan.leaves).toHaveLength(20);
    // Plain flavour, 2 replicas: each replica's health of each cluster; per leaf, the leaf scrape's health;
    // and of each replica of the 21 federators, its 4 own series and its scrape's up and scrape_* series.
    expect(seriesHeld("global", 20, settings())).toBe(1000 * (99 + 7 + 2) + 20 * 8 + 21 * 2 * (4 + 8) + 1000);
    // The operator flavour reads each leaf's own series through its Service, and no replica on its own.
    expect(seriesHeld("global", 20, settings("  flavor: operator\n"))).toBe(
      1000 * (99 + 7) + 20 * (4 + 8) + 1000,
    );
    expect(seriesHeld("leaf", 20, settings())).toBe(50 * (99 + 8) + 1000);
    // 64 MiB + 4 KiB a series, rounded up to 64 Mi; the limit twice the request.
    const global = federatorSize("global", fleet.plan, settings());
    expect(global.memoryRequest).toBe("512Mi");
    expect(global.memoryLimit).toBe("1024Mi");
    expect(federatorSize("leaf", fleet.plan, settings()).memoryRequest).toBe("128Mi");
  });

  it("gives each leaf a memory limit that holds every cluster on it at its sample limit, body buffers included (#30)", () => {
    const fleet = fleetOf(1000);
    const s = settings();
    const limit = clusterSampleLimit(s);
    expect(limit).toBe(1000); // 2 × 99 series, at least 1000
    const leaf = federatorSize("leaf", fleet.plan, s);
    const atLimits = s.federation.shardSize * (limit + 8) + 1000;
    const buffers = s.federation.shardSize * bytesOf(bodySizeLimit(limit, s));
    expect(leaf.memoryLimitBytes).toBeGreaterThanOrEqual(atLimits * BYTES_PER_SERIES + buffers);
    expect(leaf.memoryLimit).toBe("320Mi");
    // A cluster file's larger limit raises every leaf's memory limit with it: any leaf may hold it.
    const file = parseClusterFile("cluster: c00001\nsampleLimit: 20000\n", {
      file: "clusters/c00001.yaml",
      expectedId: "c00001",
      clusterLabel: "cluster",
      federation: s.federation,
    });
    const big = renderFleet(
      s,
      { clusters: numberedIds(1000).map((id) => discoveredCluster(id)), placement: new Map() },
      [file],
    );
    expect(federatorSize("leaf", big.plan, s).memoryLimitBytes).toBeGreaterThanOrEqual(
      s.federation.shardSize * (20000 + 8) * BYTES_PER_SERIES,
    );
  });

  it.each(["plain", "operator"])(
    "federates to the top every health and federator series a dashboard or alert reads there, and no other (%s flavour)",
    (flavor) => {
      const s = settings(`  flavor: ${flavor}\n`);
      const fleet = fleetOf(120, s);
      const top = globalMatch(fleet.plan, s).map((m) => selectorsOf(m).selectors[0]);
      const queries = queriesToCover(fleet, s).flatMap((q) =>
        selectorsOf(q.expr).selectors.map((sel) => ({ q, sel })),
      );
      const job = (sel: (typeof queries)[number]["sel"]) =>
        sel.matchers.find((m) => m.name === "job")?.value ?? "";
      const reads = queries.filter(({ sel }) => job(sel) === SELF_JOB || job(sel).startsWith(CLUSTER_JOB));
      expect(reads.length).toBeGreaterThan(10);
      for (const { q, sel } of reads)
        expect(
          top.some((t) => t && covers(t, sel)),
          `${q.file} ${q.item}: ${sel.text}`,
        ).toBe(true);
      // Each replica's own series: read per replica in the plain flavour, and only the ones the replicas
      // job takes from it (REPLICA_READ).
      const perReplica = queries.filter(({ sel }) => job(sel) === REPLICAS_JOB).map(({ sel }) => sel.metric);
      expect(perReplica.length > 0).toBe(flavor === "plain");
      const taken = new Set<string | undefined>(["up", REPLICA_READ.clusterUp, ...REPLICA_READ.self]);
      expect(perReplica.filter((m) => !taken.has(m))).toEqual([]);
      if (flavor === "plain") expect(queries.filter(({ sel }) => job(sel) === SELF_JOB)).toEqual([]);
      // The selectors name their series: a leaf's ~400 own series and two unread scrape series stay there.
      expect(
        top.some(
          (t) =>
            t && covers(t, selectorsOf('scrape_series_added{job="fleetfed-clusters"}').selectors[0] as never),
        ),
      ).toBe(false);
      expect(
        top.some(
          (t) =>
            t && covers(t, selectorsOf('go_goroutines{job="fleetfed-federators"}').selectors[0] as never),
        ),
      ).toBe(false);
    },
  );
});
