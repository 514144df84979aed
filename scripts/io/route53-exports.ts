// Discovery from AWS CLI exports: one `aws route53 list-resource-record-sets --hosted-zone-id Z… > Z….json`
// per zone in a folder. Offline, and the bundled example's source; same normalisation as the live API.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { DiscoveryResult } from "../core/discovery/discovery.ts";
import {
  bareZoneId,
  clustersFromZones,
  type HostedZoneRecords,
  normaliseRecordName,
  type RecordSet,
  selectZones,
} from "../core/discovery/route53-records.ts";
import { FleetfedError, type Problem, throwIfAny } from "../core/errors.ts";
import type { Route53Settings } from "../core/inputs/settings.ts";
import { compare } from "../core/order.ts";

interface ExportFile {
  /** Optional: `aws route53 get-hosted-zone` output merged in, when the file name is not the zone id. */
  HostedZone?: { Id?: string; Name?: string; Config?: { PrivateZone?: boolean } };
  ResourceRecordSets?: RecordSet[];
}

export async function discoverFromExports(
  root: string,
  settings: Route53Settings,
  dirName: string,
): Promise<DiscoveryResult> {
  const dir = join(root, dirName);
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
    throw new FleetfedError({
      field: "discovery.route53.exports",
      message: `folder ${dirName} does not exist`,
      hint: "export each zone with aws route53 list-resource-record-sets --hosted-zone-id <id> > <id>.json, or remove exports to use the API",
    });
  });
  const problems: Problem[] = [];
  const zones: (HostedZoneRecords & { private: boolean })[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort(compare)) {
    const file = `${dirName}/${name}`;
    let data: ExportFile;
    try {
      data = JSON.parse(await readFile(join(dir, name), "utf8")) as ExportFile;
    } catch (e) {
      problems.push({
        file,
        message: `is not valid JSON: ${(e as Error).message}`,
        hint: "re-export the zone",
      });
      continue;
    }
    if (!Array.isArray(data.ResourceRecordSets)) {
      problems.push({
        file,
        field: "ResourceRecordSets",
        message: "is missing",
        hint: "use the output of aws route53 list-resource-record-sets",
      });
      continue;
    }
    const soa = data.ResourceRecordSets.find((r) => r.Type === "SOA");
    const zoneName = data.HostedZone?.Name ?? soa?.Name;
    if (zoneName === undefined) {
      problems.push({
        file,
        message: "cannot tell the zone's name",
        hint: "include the zone's SOA record, or add HostedZone from aws route53 get-hosted-zone",
      });
      continue;
    }
    zones.push({
      id: bareZoneId(data.HostedZone?.Id ?? name.slice(0, -".json".length)),
      name: normaliseRecordName(zoneName),
      private: data.HostedZone?.Config?.PrivateZone ?? true,
      records: data.ResourceRecordSets,
    });
  }
  throwIfAny(problems);
  const selected = selectZones(zones, settings.hostedZones);
  const findings = clustersFromZones(selected.zones, settings);
  throwIfAny([...selected.problems, ...findings.problems]);
  return {
    clusters: findings.clusters,
    warnings: findings.warnings,
    from: `Route 53 exports in ${dirName}`,
    zones: selected.zones.length,
    records: selected.zones.reduce((n, z) => n + z.records.length, 0),
  };
}
