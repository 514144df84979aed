// What a discovery source returns, and the rule that stops a bad listing from reaching the PR.

import { EXIT_REFUSED, FleetfedError } from "./errors.ts";
import type { DiscoveredCluster, Snapshot } from "./snapshot.ts";

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
export function refuseEmptyDiscovery(previous: Snapshot, result: DiscoveryResult): void {
  if (result.clusters.length > 0 || previous.clusters.length === 0) return;
  throw new FleetfedError(
    {
      message: `discovery found no clusters in ${result.from} (${result.zones} zones, ${result.records} records), but the snapshot has ${previous.clusters.length}; refusing to remove them all`,
      hint: "check discovery.route53.hostedZones, the role's route53:List* permissions and recordPattern; if the fleet really is gone, delete fleet.snapshot.json in a reviewed pull request",
    },
    EXIT_REFUSED,
  );
}
