// Discovery from AWS CLI exports: one `aws route53 list-resource-record-sets --hosted-zone-id Z… > Z….json`
// per zone in a folder. Offline, and the bundled example's source; same normalisation as the live API.

import { existsSync, readdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DiscoveryResult } from "../core/discovery/discovery.ts";
import {
  bareZoneId,
  clustersFromZones,
  type HostedZoneRecords,
  normaliseRecordName,
  type RecordSet,
  selectZones,
} from "../core/discovery/route53-records.ts";
import { FleetfedError, type Problem, quote, throwIfAny } from "../core/errors.ts";
import type { Route53Settings } from "../core/inputs/settings.ts";
import { compare } from "../core/order.ts";
import { isInside, readInput } from "./files.ts";

interface ExportFile {
  /** Optional: `aws route53 get-hosted-zone` output merged in, when the file name is not the zone id. */
  HostedZone?: { Id?: string; Name?: string; Config?: { PrivateZone?: boolean } };
  ResourceRecordSets?: RecordSet[];
}

/** An export of a large zone: 10,000 records are about 2 MB. */
const EXPORT_LIMIT = 64 * 1024 * 1024;

/** What is wrong with the shape of an export, checked before anything reads its fields. */
function exportShapeProblem(data: unknown): { field?: string; message: string } | undefined {
  if (data === null || typeof data !== "object" || Array.isArray(data))
    return { message: "must be a JSON object" };
  const d = data as Record<string, unknown>;
  if (!Array.isArray(d.ResourceRecordSets))
    return { field: "ResourceRecordSets", message: "is missing or not a list" };
  for (const [i, r] of d.ResourceRecordSets.entries()) {
    if (r === null || typeof r !== "object" || Array.isArray(r))
      return { field: `ResourceRecordSets.${i}`, message: "must be an object" };
    const rec = r as Record<string, unknown>;
    for (const key of ["Name", "Type"] as const)
      if (typeof rec[key] !== "string")
        return { field: `ResourceRecordSets.${i}.${key}`, message: "must be a string" };
    for (const key of ["SetIdentifier"] as const)
      if (rec[key] !== undefined && typeof rec[key] !== "string")
        return { field: `ResourceRecordSets.${i}.${key}`, message: "must be a string" };
  }
  const hz = d.HostedZone;
  if (hz !== undefined) {
    if (hz === null || typeof hz !== "object") return { field: "HostedZone", message: "must be an object" };
    const z = hz as Record<string, unknown>;
    for (const key of ["Id", "Name"] as const)
      if (z[key] !== undefined && typeof z[key] !== "string")
        return { field: `HostedZone.${key}`, message: "must be a string" };
  }
  return undefined;
}

export async function discoverFromExports(
  root: string,
  settings: Route53Settings,
  dirName: string,
): Promise<DiscoveryResult> {
  const dir = resolve(root, dirName);
  const outside =
    !isInside(root, dir) || (existsSync(dir) && !isInside(realpathSync(root), realpathSync(dir)));
  if (outside) {
    throw new FleetfedError({
      field: "discovery.route53.exports",
      message: `${quote(dirName)} is outside the repository; fleetfed reads only files inside it`,
      hint: "keep the exports in a folder of the repository, e.g. exports: route53-exports",
    });
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FleetfedError({
      field: "discovery.route53.exports",
      message:
        code === "ENOENT"
          ? `folder ${quote(dirName)} does not exist`
          : `folder ${quote(dirName)} cannot be listed: ${code}`,
      hint: "export each zone with aws route53 list-resource-record-sets --hosted-zone-id <id> > <id>.json, or remove exports to use the API",
    });
  }
  const problems: Problem[] = [];
  const zones: (HostedZoneRecords & { private: boolean })[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort(compare)) {
    const file = `${dirName.replace(/\/$/, "")}/${name}`;
    let data: ExportFile;
    try {
      data = JSON.parse(readInput(root, join(dir, name), file, EXPORT_LIMIT) ?? "") as ExportFile;
    } catch (e) {
      if (e instanceof FleetfedError) {
        problems.push(...e.problems);
        continue;
      }
      problems.push({
        file,
        message: `is not valid JSON: ${(e as Error).message}`,
        hint: "re-export the zone",
      });
      continue;
    }
    const shape = exportShapeProblem(data);
    if (shape) {
      problems.push({
        file,
        ...shape,
        hint: "use the output of aws route53 list-resource-record-sets, unedited",
      });
      continue;
    }
    const records = data.ResourceRecordSets as RecordSet[];
    const soa = records.find((r) => r.Type === "SOA");
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
      records,
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
