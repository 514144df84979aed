// How big each federator must be, from what it can hold: a leaf up to shardSize clusters, the global all
// the leaves' clusters, each cluster sending expectedSeriesPerCluster series. Sized for capacity, not for
// today's count, so adding a cluster to a leaf with room never changes a pod template (and never
// restarts anything); the global's size changes only when a leaf opens or closes.

import type { ResourceOverride, Settings } from "../inputs/settings.ts";
import type { FederationTree } from "../plan/placement.ts";

/** Memory per active head series, with index, WAL and query overhead: a conservative Prometheus figure. */
const BYTES_PER_SERIES = 10 * 1024;
const BASE_MEMORY_MI = 512;

export interface FederatorSize {
  /** Series the federator is sized for: the head-series alert fires at 80% of it. */
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
  // Every federator also holds its own and (the global) each leaf's health series.
  const series = clusters * (f.expectedSeriesPerCluster + 10) + 1000;
  const derivedMi = BASE_MEMORY_MI + Math.ceil((series * BYTES_PER_SERIES) / 1024 / 1024);
  const override: ResourceOverride = f.resources[tier] ?? {};
  const requestMi = override.memory ? toMi(override.memory) : roundUp(derivedMi, 64);
  return {
    series,
    cpuRequest: override.cpu ?? `${Math.min(4000, 100 + Math.ceil(clusters / 10) * 10)}m`,
    memoryRequest: `${requestMi}Mi`,
    memoryLimit: `${requestMi * 2}Mi`,
    memoryLimitBytes: requestMi * 2 * 1024 * 1024,
  };
}

function toMi(quantity: string): number {
  const n = Number.parseInt(quantity, 10);
  return quantity.endsWith("Gi") ? n * 1024 : n;
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

/** retention.size: the setting, or 80% of the volume so the TSDB never fills it. */
export function retentionSize(settings: Settings): string {
  const f = settings.federation;
  if (f.retentionSize) return f.retentionSize;
  const n = Number.parseInt(f.storage, 10);
  const mb = f.storage.endsWith("Ti") ? n * 1024 * 1024 : f.storage.endsWith("Gi") ? n * 1024 : n;
  return `${Math.floor(mb * 0.8)}MB`;
}
