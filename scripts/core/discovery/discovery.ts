// What a discovery source returns, and the rule that stops a bad listing from reaching the PR.

import { EXIT_REFUSED, FleetfedError } from "../errors.ts";
import type { DiscoveredCluster } from "../inputs/discovered-cluster.ts";
import type { Snapshot } from "../inputs/snapshot.ts";
import { compare } from "../order.ts";

export interface DiscoveryResult {
  /** Sorted by cluster id. */
  clusters: DiscoveredCluster[];
  warnings: string[];
  /** Human description of where the clusters came from, e.g. "Route 53 exports in examples/route53". */
  from: string;
  zones: number;
  records: number;
}

/**
 * A listing that comes back empty where the snapshot had clusters is almost always a wrong zone, a
 * missing permission or a broken pattern, not a fleet that vanished; the seed's Lambda wiped every
 * target on exactly this. Refuse, and change nothing.
 */
export class EmptyDiscoveryError extends FleetfedError {}

export function refuseEmptyDiscovery(previous: Snapshot, result: DiscoveryResult): void {
  if (result.clusters.length > 0 || previous.clusters.length === 0) return;
  throw new EmptyDiscoveryError(
    {
      message: `discovery found no clusters in ${result.from} (${result.zones} zones, ${result.records} records), but the snapshot has ${previous.clusters.length}; refusing to remove them all`,
      hint: "check discovery.route53.hostedZones, the role's route53:List* permissions and recordPattern; if the fleet really is gone, delete fleet.snapshot.json in a reviewed pull request",
    },
    EXIT_REFUSED,
  );
}

export interface DiscoverySummary {
  found: number;
  added: string[];
  removed: string[];
  /** Endpoint, scheme or record changed since the snapshot. */
  changed: string[];
}

/** What discovery found now against what the snapshot recorded. */
export function summariseDiscovery(previous: Snapshot, result: DiscoveryResult): DiscoverySummary {
  const before = new Map(previous.clusters.map((c) => [c.cluster, c]));
  const now = new Map(result.clusters.map((c) => [c.cluster, c]));
  const same = (a: DiscoveredCluster, b: DiscoveredCluster) => JSON.stringify(a) === JSON.stringify(b);
  return {
    found: result.clusters.length,
    added: [...now.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !now.has(id)).sort(compare),
    changed: [...now]
      .filter(([id, c]) => before.has(id) && !same(before.get(id) as DiscoveredCluster, c))
      .map(([id]) => id),
  };
}

export function formatDiscoverySummary(s: DiscoverySummary): string {
  const list = (ids: string[]) =>
    ids.length === 0
      ? ""
      : `  ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? `, … ${ids.length - 10} more` : ""}`;
  return [
    `found    ${String(s.found).padStart(6)}`,
    `added    ${String(s.added.length).padStart(6)}${list(s.added)}`,
    `removed  ${String(s.removed.length).padStart(6)}${list(s.removed)}`,
    `changed  ${String(s.changed.length).padStart(6)}${list(s.changed)}`,
  ].join("\n");
}
