// What one source may send a federator per scrape: the series a cluster is expected to send (the model),
// and the sample and body limits each scrape is held to, so one source that sends too much fails alone.

import type { Settings } from "../inputs/settings.ts";
import type { Cluster } from "../plan/inventory.ts";
import type { FederationTree } from "../plan/placement.ts";
import { clusterLevelRecords, RECORDS } from "./records.ts";

/** Data series one cluster sends: the setting, or each cluster-level aggregate once and each namespace-level one per namespace. */
export function seriesPerCluster(settings: Settings): number {
  const f = settings.federation;
  if (f.expectedSeriesPerCluster !== undefined) return f.expectedSeriesPerCluster;
  const clusterLevel = clusterLevelRecords().length;
  return clusterLevel + (Object.values(RECORDS).length - clusterLevel) * f.namespacesPerCluster;
}

/**
 * The blast radius of one cluster. Each cluster scrape may take this many times the series the model
 * expects of it (and never fewer than MIN_SAMPLE_LIMIT) before it fails alone, with
 * FleetfedClusterOverLimit naming it; a leaf's memory limit holds all its clusters at their limits, so one
 * cluster that leaks per-container series cannot push its leaf out of memory and blind its neighbours.
 */
export const SAMPLE_LIMIT_MULTIPLE = 2;
export const MIN_SAMPLE_LIMIT = 1000;
/**
 * Bytes of /federate text allowed per sample: an aggregate's line is 80–300 bytes, so a cluster at its
 * sample limit stays well under its body limit (the sample limit, which names the cluster's count, trips
 * first), while a body of a few huge lines is cut before Prometheus buffers and parses it.
 */
export const BODY_BYTES_PER_SAMPLE = 1024;

/** sample_limit of one cluster's scrape: its cluster file's, federation.sampleLimit, or the model's. */
export function clusterSampleLimit(settings: Settings, cluster?: Pick<Cluster, "sampleLimit">): number {
  return cluster?.sampleLimit ?? fleetSampleLimit(settings);
}

/** Worked out once per Settings: a 10,000-cluster render asks for it per cluster and per federator. */
const fleetLimits = new WeakMap<Settings, number>();
function fleetSampleLimit(settings: Settings): number {
  let limit = fleetLimits.get(settings);
  if (limit === undefined) {
    limit =
      settings.federation.sampleLimit ??
      Math.max(MIN_SAMPLE_LIMIT, Math.ceil(SAMPLE_LIMIT_MULTIPLE * seriesPerCluster(settings)));
    fleetLimits.set(settings, limit);
  }
  return limit;
}

/** Worked out once per plan and its settings: every federator's size and the global's limits ask. */
const largest = new WeakMap<FederationTree, { settings: Settings; limit: number }>();

/** The largest sample_limit of any cluster in the plan (the fleet's default when none overrides it). */
export function largestClusterLimit(plan: FederationTree, settings: Settings): number {
  const known = largest.get(plan);
  if (known?.settings === settings) return known.limit;
  let limit = fleetSampleLimit(settings);
  for (const leaf of plan.leaves)
    for (const c of leaf.clusters) if (c.sampleLimit !== undefined) limit = Math.max(limit, c.sampleLimit);
  largest.set(plan, { settings, limit });
  return limit;
}

/** body_size_limit for a scrape of at most `samples` samples: federation.bodySizeLimit, or 1 KiB a sample. */
export function bodySizeLimit(samples: number, settings: Settings): string {
  if (settings.federation.bodySizeLimit) return settings.federation.bodySizeLimit;
  const kib = Math.ceil((samples * BODY_BYTES_PER_SAMPLE) / 1024);
  return kib < 10 * 1024 ? `${kib}KB` : `${Math.ceil(kib / 1024)}MB`;
}

/** A body_size_limit in bytes: Prometheus reads its units as powers of 1024. */
export function bytesOf(limit: string): number {
  const [, n, unit] = /^(\d+)(B|KB|MB|GB)$/.exec(limit) as RegExpExecArray;
  return Number(n) * 1024 ** ["B", "KB", "MB", "GB"].indexOf(unit as string);
}
