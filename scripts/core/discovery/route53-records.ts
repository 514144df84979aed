// Route 53 record sets → discovered clusters. Shared by every Route 53 source (the live API and AWS CLI
// exports) so that both normalise names and choose among record sets the same way.

import type { Problem } from "../errors.ts";
import { CLUSTER_ID } from "../inputs/cluster-file.ts";
import type { DiscoveredCluster, RecordType } from "../inputs/discovered-cluster.ts";
import { snapshotRejects } from "../inputs/schema.ts";
import type { Route53Settings } from "../inputs/settings.ts";
import { compare } from "../order.ts";

/** The fields of the SDK's ResourceRecordSet that discovery reads. */
export interface RecordSet {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
  AliasTarget?: { DNSName?: string };
  ResourceRecords?: { Value?: string }[];
}

export interface HostedZoneRecords {
  /** Zone id without `/hostedzone/`. */
  id: string;
  /** Normalised zone name. */
  name: string;
  /** The account the zone was listed through, when discovery reads more than one. */
  account?: string;
  records: readonly RecordSet[];
}

const TYPE_ORDER: Record<RecordType, number> = { A: 0, AAAA: 1, CNAME: 2 };

/** Route 53 writes zone ids as `/hostedzone/Z…`; fleetfed keys zones by the bare id. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, "");
}

/** Zone references in fleet.yaml may be ids with or without `/hostedzone/`, or names with or without the dot. */
export function normaliseZoneRef(ref: string): string {
  const id = bareZoneId(ref);
  return /^Z[A-Z0-9]+$/.test(id) ? id : id.toLowerCase().replace(/\.$/, "");
}

/**
 * Route 53 returns `\ooo` octal escapes (`\052` is `*`, `\303\274` is `ü`): each is one byte, and a run
 * of them is UTF-8, so runs are decoded together. Then lowercase, and drop the trailing dot.
 */
export function normaliseRecordName(raw: string): string {
  return raw
    .replace(/(?:\\[0-7]{3})+/g, (run) => {
      const bytes = Uint8Array.from(run.split("\\").slice(1), (oct) => Number.parseInt(oct, 8) & 0xff);
      return new TextDecoder("utf-8").decode(bytes);
    })
    .toLowerCase()
    .replace(/\.$/, "");
}

export interface Route53Findings {
  clusters: DiscoveredCluster[];
  /** Records that matched the pattern but could not be used, e.g. an id that is not a valid cluster id. */
  warnings: string[];
  /** A cluster found under two names or in two zones: discovery cannot choose, a human must. */
  problems: Problem[];
}

/** Long on purpose: one pass over every zone's records, each refusal beside the record it refuses. */
export function clustersFromZones(
  zones: readonly HostedZoneRecords[],
  settings: Route53Settings,
): Route53Findings {
  const warnings: string[] = [];
  const problems: Problem[] = [];
  const candidates = new Map<string, { zone: HostedZoneRecords; record: string; sets: RecordSet[] }[]>();
  const seen = new Map<string, HostedZoneRecords>();
  for (const zone of [...zones].sort((a, b) => compare(a.id, b.id))) {
    const first = seen.get(zone.id);
    if (first) {
      // One zone shared with (or associated to) two accounts: its records would count every cluster twice.
      problems.push({
        message: `hosted zone ${zone.id} (${zone.name}) is listed through ${first.account ?? "one account"} and ${zone.account ?? "another"}`,
        hint: `list it under one account only: set hostedZones for ${zone.account ?? "the other account"} in discovery.route53 so that it leaves ${zone.id} out`,
      });
      continue;
    }
    seen.set(zone.id, zone);
    const byName = new Map<string, RecordSet[]>();
    for (const rs of zone.records) {
      if (!rs.Name || !(rs.Type === "A" || rs.Type === "AAAA" || rs.Type === "CNAME")) continue;
      const name = normaliseRecordName(rs.Name);
      if (name.includes("*")) continue; // wildcards name no single cluster
      if (/\\056/.test(rs.Name)) {
        // `prometheus.a\056evil.example.com` is one label holding a dot, but as a host name it reads as
        // another host, which would then receive the fleet's credentials.
        if (settings.recordPattern.exec(name))
          warnings.push(
            `${rs.Name} (zone ${zone.id}): a label holds an escaped dot (\\056), so the host name it reads as is not this record; record ignored`,
          );
        continue;
      }
      const sets = byName.get(name) ?? [];
      sets.push(rs);
      byName.set(name, sets);
    }
    for (const [record, sets] of byName) {
      const m = settings.recordPattern.exec(record);
      const id = m?.groups?.cluster;
      if (id === undefined) continue;
      if (!CLUSTER_ID.test(id)) {
        warnings.push(`${record} (zone ${zone.id}): "${id}" is not a valid cluster id; record ignored`);
        continue;
      }
      const list = candidates.get(id) ?? [];
      list.push({ zone, record, sets });
      candidates.set(id, list);
    }
  }

  const clusters: DiscoveredCluster[] = [];
  for (const [id, found] of [...candidates].sort(([a], [b]) => compare(a, b))) {
    if (found.length > 1) {
      problems.push({
        message: `cluster "${id}" is registered more than once: ${found.map((f) => `${f.record} in zone ${f.zone.id} (${f.zone.name}${f.zone.account ? `, ${f.zone.account}` : ""})`).join(" and ")}`,
        hint: "delete the stale record, narrow discovery.route53.hostedZones, or tighten recordPattern",
      });
      continue;
    }
    const { zone, record, sets } = found[0] as (typeof found)[number];
    const chosen = chooseRecordSet(sets);
    clusters.push({
      cluster: id,
      endpoint: `${record}:${settings.port}`,
      scheme: settings.scheme,
      source: {
        kind: "route53",
        zoneId: zone.id,
        zoneName: zone.name,
        record,
        type: chosen.Type as RecordType,
        ...(chosen.AliasTarget && { alias: true }),
        ...(chosen.SetIdentifier !== undefined && { setIdentifier: chosen.SetIdentifier }),
        ...(sets.length > 1 && { recordSets: sets.length }),
      },
    });
  }
  // What discovery writes must load again: records whose cluster the snapshot's rules reject (a name with
  // `_`, say, is legal DNS but no valid endpoint) are skipped with a warning, never written.
  const rejected = snapshotRejects(clusters);
  for (const [i, reason] of rejected) {
    const c = clusters[i] as DiscoveredCluster;
    warnings.push(
      `${c.source.record} (zone ${c.source.zoneId}): cannot federate it: ${reason}; record ignored`,
    );
  }
  return { clusters: clusters.filter((_, i) => !rejected.has(i)), warnings, problems };
}

/**
 * Several record sets can share a name (weighted, failover, latency, or A beside AAAA). Federation scrapes
 * the name, so the choice only decides what the snapshot records: A before AAAA before CNAME, then the
 * set without an identifier, then the lowest identifier.
 */
function chooseRecordSet(sets: readonly RecordSet[]): RecordSet {
  return [...sets].sort(
    (a, b) =>
      TYPE_ORDER[a.Type as RecordType] - TYPE_ORDER[b.Type as RecordType] ||
      (a.SetIdentifier === undefined ? -1 : 0) - (b.SetIdentifier === undefined ? -1 : 0) ||
      compare(a.SetIdentifier ?? "", b.SetIdentifier ?? ""),
  )[0] as RecordSet;
}

export interface ZoneSummary {
  id: string;
  name: string;
  private: boolean;
}

/**
 * The zones `discovery.route53.hostedZones` selects: by id or name, or every private zone when the list is
 * empty. A listed zone that does not exist is an error, not an empty result: it is how a typo or a missing
 * permission would otherwise look like a fleet with no clusters.
 */
export function selectZones<Z extends ZoneSummary>(
  zones: readonly Z[],
  refs: readonly string[],
): { zones: Z[]; problems: Problem[] } {
  if (refs.length === 0) return { zones: zones.filter((z) => z.private), problems: [] };
  const wanted = new Set(refs.map(normaliseZoneRef));
  const selected = zones.filter((z) => wanted.has(z.id) || wanted.has(z.name));
  const problems: Problem[] = refs
    .filter((ref) => !zones.some((z) => z.id === normaliseZoneRef(ref) || z.name === normaliseZoneRef(ref)))
    .map((ref) => ({
      field: "discovery.route53.hostedZones",
      message: `no hosted zone "${ref}" is visible`,
      hint: `check the name or id, and that the role may call route53:ListHostedZones; visible zones: ${zones.map((z) => `${z.name} (${z.id})`).join(", ") || "none"}`,
    }));
  return { zones: selected, problems };
}
