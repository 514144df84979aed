// Discovered clusters for tests and benchmarks, shaped as the snapshot stores them, and the Route 53
// exports they are discovered from.

import type { DiscoveredCluster } from "../../scripts/core/inputs/discovered-cluster.ts";

export function discoveredCluster(
  id: string,
  zoneId = "Z1",
  zone = "internal.example.com",
): DiscoveredCluster {
  const record = `prometheus.${id}.${zone}`;
  return {
    cluster: id,
    endpoint: `${record}:80`,
    scheme: "http",
    source: { kind: "route53", zoneId, zoneName: zone, record, type: "A" },
  };
}

/** `prefix00000`, `prefix00001`, …: ids that sort in creation order. */
export function numberedIds(n: number, prefix = "c"): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`);
}

/** An `aws route53 list-resource-record-sets` export of `zone`: its SOA and one A record per id. */
export function exportZone(ids: readonly string[], zone = "internal.example.com"): string {
  return JSON.stringify({
    ResourceRecordSets: [
      { Name: `${zone}.`, Type: "SOA" },
      ...ids.map((id) => ({ Name: `prometheus.${id}.${zone}.`, Type: "A" })),
    ],
  });
}
