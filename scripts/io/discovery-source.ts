// Chooses the discovery source fleet.yaml configures: Route 53 exports (offline) or the Route 53 API.

import type { DiscoveryResult } from "../core/discovery/discovery.ts";
import type { Settings } from "../core/inputs/settings.ts";
import { discoverRoute53 } from "./route53.ts";
import { discoverFromExports } from "./route53-exports.ts";
import type { Reporter } from "./terminal.ts";

export interface DiscoveryEnv {
  awsRegion: string;
  report: Reporter;
}

export async function discover(
  root: string,
  settings: Settings,
  env: DiscoveryEnv,
): Promise<DiscoveryResult> {
  const r53 = settings.discovery.route53;
  if (!r53) {
    return {
      clusters: [],
      warnings: [],
      from: "no discovery source (only clusters/*.yaml)",
      zones: 0,
      records: 0,
    };
  }
  if (r53.exports !== undefined) return discoverFromExports(root, r53, r53.exports);
  const result = await discoverRoute53(r53, {
    region: env.awsRegion,
    onProgress: (p) =>
      env.report.progress(
        `Route 53: ${p.zonesListed}/${p.zones} zones, ${p.records} records, ${p.requests} requests, ${p.throttles} throttled`,
      ),
  });
  const p = result.progress;
  env.report.info(`Route 53: ${p.requests} requests, ${p.throttles} throttled and retried`);
  return result;
}
