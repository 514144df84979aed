// What discovery finds: one cluster per usable DNS record, with where it was found. The snapshot stores
// these as they are; inventory merges them with the cluster files.

import type { Scheme } from "./settings.ts";

export type RecordType = "A" | "AAAA" | "CNAME";

export interface Route53Source {
  kind: "route53";
  zoneId: string;
  zoneName: string;
  /** Normalised record name (decoded, lowercase, no trailing dot). */
  record: string;
  type: RecordType;
  alias?: boolean;
  /** The set chosen when several record sets share the name (weighted, failover, latency…). */
  setIdentifier?: string;
  /** How many record sets share the name, when more than one. */
  recordSets?: number;
}

export interface DiscoveredCluster {
  cluster: string;
  endpoint: string;
  scheme: Scheme;
  source: Route53Source;
}
