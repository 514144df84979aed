// Chooses the discovery source fleet.yaml configures.

import type { DiscoveryResult } from "../core/discovery.ts";
import { FleetfedError } from "../core/errors.ts";
import type { Settings } from "../core/settings.ts";
import { discoverFromExports } from "./route53-exports.ts";

export async function discover(root: string, settings: Settings): Promise<DiscoveryResult> {
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
  throw new FleetfedError({
    field: "discovery.route53",
    message: "live Route 53 discovery is not built yet (issue #3)",
    hint: "set discovery.route53.exports to a folder of aws route53 list-resource-record-sets exports",
  });
}
