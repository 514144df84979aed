// How big each federator must be, from what it can hold: a leaf up to shardSize clusters, the global all
// the leaves' clusters, each cluster sending the series the match[] federates (worked out from the
// records themselves, or federation.expectedSeriesPerCluster). Sized for capacity, not for today's
// count, so adding a cluster to a leaf with room never changes a pod template (and never restarts
// anything); the global's size changes only when a leaf opens or closes. The memory per series is
// measured, by `npm run bench` on a real Prometheus holding a 1,000- and a 10,000-cluster global's series.

import type { Problem } from "../errors.ts";
import type { ResourceOverride, Settings } from "../inputs/settings.ts";
import type { FederationTree } from "../plan/placement.ts";
import { bodySizeLimit, bytesOf, largestClusterLimit, seriesPerCluster } from "./limits.ts";
import { CLUSTER_HEALTH_READ, leafSampleLimit, SELF_READ, watchesReplicas } from "./prometheus.ts";

/**
 * Memory per head series. npm run bench measures what a real Prometheus (3.5, the release the image runs)
 * holds per series at the global's shape, index, WAL and first chunks included: 2.4–2.9 KiB at 1,000 and
 * 10,000 clusters (2.42 held 2.8–3.7). 4 KiB (1.4–1.7×) leaves room for two hours of chunks (≈0.5 KiB a
 * series at 30 s) and queries; the limit, at least twice the request, for compaction and bursts.
 */
export const BYTES_PER_SERIES = 4 * 1024;
/** What a Prometheus uses before it holds a series (≈40–60 MiB measured), with room to spare. */
const BASE_MEMORY_MI = 64;
/** A federator's own metrics, which it scrapes itself (≈400), rounded up. */
export const OWN_SERIES = 1000;
/** Scrape health a leaf records per cluster target: up and seven scrape_* series (extra-scrape-metrics). */
const LEAF_HEALTH_PER_TARGET = 8;

/** Head series a federator of `tier` holds when full: its clusters' data and health, the leaves' own, its own. */
export function seriesHeld(tier: "leaf" | "global", leaves: number, settings: Settings): number {
  const f = settings.federation;
  return seriesFor(tier, tier === "leaf" ? f.shardSize : f.shardSize * leaves, leaves, settings);
}

/** Head series a federator of `tier` holds for `clusters` clusters on `leaves` leaves (the global's). */
export function seriesFor(
  tier: "leaf" | "global",
  clusters: number,
  leaves: number,
  settings: Settings,
): number {
  const data = seriesPerCluster(settings);
  if (tier === "leaf") return clusters * (data + LEAF_HEALTH_PER_TARGET) + OWN_SERIES;
  // The global: each cluster's data and the health series it reads; per leaf, the leaf scrape's own up
  // and scrape_* series. In the plain flavour it watches every replica of every federator (the global's
  // too): each replica's own series it reads, its health of each of its clusters, and the replica
  // scrape's up and scrape_* series. In the operator flavour it reads each leaf's own series through the
  // leaf's Service instead.
  const perReplica = watchesReplicas(settings);
  const replicas = perReplica ? settings.federation.replicas : 0;
  return (
    clusters * (data + CLUSTER_HEALTH_READ.length + replicas) +
    leaves * ((perReplica ? 0 : SELF_READ.length) + LEAF_HEALTH_PER_TARGET) +
    (leaves + 1) * replicas * (SELF_READ.length + LEAF_HEALTH_PER_TARGET) +
    OWN_SERIES
  );
}

export interface FederatorSize {
  /** The series budget: 1.25 × what the model says it holds at capacity, so the alert at 80 % means "more than modelled". */
  series: number;
  cpuRequest: string;
  memoryRequest: string;
  memoryLimit: string;
  /** The memory limit in bytes, for the memory alert. */
  memoryLimitBytes: number;
}

export function federatorSize(
  tier: "leaf" | "global",
  plan: FederationTree,
  settings: Settings,
): FederatorSize {
  const f = settings.federation;
  const clusters = tier === "leaf" ? f.shardSize : f.shardSize * plan.leaves.length;
  const series = seriesHeld(tier, plan.leaves.length, settings);
  const derivedMi = BASE_MEMORY_MI + Math.ceil((series * BYTES_PER_SERIES) / 1024 / 1024);
  const override: ResourceOverride = f.resources[tier] ?? {};
  const requestMi = override.memory ? toMi(override.memory) : roundUp(derivedMi, 64);
  const limitMi = override.memory ? requestMi * 2 : Math.max(requestMi * 2, atLimitsMi(tier, plan, settings));
  return {
    // The head-series alert fires at 80% of this: when the federator holds more than the model says it
    // would at capacity (a full leaf, all leaves full), not when it is merely full.
    series: Math.ceil(series * 1.25),
    cpuRequest: override.cpu ?? `${Math.min(4000, 100 + Math.ceil(clusters / 10) * 10)}m`,
    memoryRequest: `${requestMi}Mi`,
    memoryLimit: `${limitMi}Mi`,
    memoryLimitBytes: limitMi * 1024 * 1024,
  };
}

/**
 * Memory for a federator whose sources all send up to their limits: a leaf with every cluster at its
 * sample limit, each scrape's body buffered at once; the global with its modelled fleet plus one leaf
 * entirely at its limit (every leaf at once would be the whole fleet leaking, which per-cluster limits
 * already stop at the leaves).
 */
function atLimitsMi(tier: "leaf" | "global", plan: FederationTree, settings: Settings): number {
  const f = settings.federation;
  const perCluster = largestClusterLimit(plan, settings);
  const bodyBytes = (samples: number) => bytesOf(bodySizeLimit(samples, settings));
  const leafLimit = leafSampleLimit(plan, settings);
  const series =
    tier === "leaf"
      ? f.shardSize * (perCluster + LEAF_HEALTH_PER_TARGET) + OWN_SERIES
      : seriesHeld("global", plan.leaves.length, settings) + leafLimit;
  const buffers = tier === "leaf" ? f.shardSize * bodyBytes(perCluster) : bodyBytes(leafLimit);
  return roundUp(BASE_MEMORY_MI + Math.ceil((series * BYTES_PER_SERIES + buffers) / 1024 / 1024), 64);
}

function toMi(quantity: string): number {
  const n = Number.parseInt(quantity, 10);
  return quantity.endsWith("Gi") ? n * 1024 : n;
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

/** A federator's retention and volume: a leaf is a buffer the global reads from; the global keeps history. */
export function storageOf(
  tier: "leaf" | "global",
  settings: Settings,
): { retention: string; storage: string } {
  const f = settings.federation;
  return tier === "leaf"
    ? { retention: f.leafRetention, storage: f.leafStorage }
    : { retention: f.retention.text, storage: f.storage };
}

/** retention.size: the setting (the global's), or 80% of the federator's volume so the TSDB never fills it. */
export function retentionSize(settings: Settings, tier: "leaf" | "global" = "global"): string {
  const f = settings.federation;
  if (f.retentionSize && tier === "global") return f.retentionSize;
  const storage = storageOf(tier, settings).storage;
  const n = Number.parseInt(storage, 10);
  const mb = storage.endsWith("Ti") ? n * 1024 * 1024 : storage.endsWith("Gi") ? n * 1024 : n;
  return `${Math.floor(mb * 0.8)}MB`;
}

/**
 * The largest memory limit fleetfed gives a federator: what a 64 GiB node (r6i.2xlarge, n2-highmem-8,
 * E8s v5) leaves a pod after the kubelet, system daemons and eviction threshold. A federator sized past
 * it never schedules; fleetfed says so instead of rendering it.
 */
export const MEMORY_CEILING_MI = 56 * 1024;

/** Why the plan's federators cannot run on the nodes fleetfed is sized for, with the fix. */
export function sizingProblems(plan: FederationTree, settings: Settings): Problem[] {
  const f = settings.federation;
  const problems: Problem[] = [];
  const leaf = federatorSize("leaf", plan, settings);
  const limitMi = (size: FederatorSize) => size.memoryLimitBytes / 1024 / 1024;
  const gib = (mi: number) => `${(mi / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 })} GiB`;
  const perCluster = `${seriesPerCluster(settings).toLocaleString("en-US")} series a cluster (sample limit ${largestClusterLimit(plan, settings).toLocaleString("en-US")})`;
  const leafLimit = (shardSize: number) =>
    limitMi(federatorSize("leaf", plan, { ...settings, federation: { ...f, shardSize } }));
  if (!f.resources.leaf?.memory && limitMi(leaf) > MEMORY_CEILING_MI) {
    // The most clusters a leaf can hold within the ceiling at this size per cluster (0 if not even one).
    let [fits, over] = [0, f.shardSize];
    while (over - fits > 1) {
      const mid = Math.floor((fits + over) / 2);
      if (leafLimit(mid) > MEMORY_CEILING_MI) over = mid;
      else fits = mid;
    }
    problems.push({
      file: "fleet.yaml",
      line: f.lines?.shardSize,
      field: "federation.shardSize",
      message: `a leaf of ${f.shardSize.toLocaleString("en-US")} clusters at ${perCluster} needs a ${gib(limitMi(leaf))} memory limit, past the ${gib(MEMORY_CEILING_MI)} a federator may have (a 64 GiB node)`,
      hint:
        fits > 0
          ? `lower federation.shardSize to ${fits.toLocaleString("en-US")} or fewer, or federate fewer series per cluster (expectedSeriesPerCluster, sampleLimit)`
          : "federate fewer series per cluster (expectedSeriesPerCluster, sampleLimit): not even one such cluster fits a federator",
    });
    return problems;
  }
  const top = federatorSize("global", plan, settings);
  if (plan.global && !f.resources.global?.memory && limitMi(top) > MEMORY_CEILING_MI)
    problems.push({
      file: "fleet.yaml",
      field: "federation",
      message: `the global, sized for ${plan.leaves.length.toLocaleString("en-US")} leaves of ${f.shardSize.toLocaleString("en-US")} clusters at ${perCluster}, needs a ${gib(limitMi(top))} memory limit, past the ${gib(MEMORY_CEILING_MI)} a federator may have (a 64 GiB node)`,
      hint: "federate fewer series per cluster (match, expectedSeriesPerCluster); a fleet past one global Prometheus belongs in a remote-write engine (Mimir, Thanos Receive, VictoriaMetrics): fleetfed renders the clusters' side with remoteWrite in fleet.yaml (docs/remote-write.md)",
    });
  return problems;
}
