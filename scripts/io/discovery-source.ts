// Chooses the discovery source fleet.yaml configures: Route 53 exports (offline) or the Route 53 API.

import type { DiscoveryResult } from "../core/discovery/discovery.ts";
import type { Settings } from "../core/inputs/settings.ts";
import { SNAPSHOT_FILE, type Snapshot } from "../core/inputs/snapshot.ts";
import { discoverRoute53, NoAwsCredentialsError } from "./route53.ts";
import { discoverFromExports } from "./route53-exports.ts";
import type { Reporter } from "./terminal.ts";

export interface DiscoveryEnv {
  awsRegion: string;
  report: Reporter;
  /**
   * For previews (plan, discover): `always` reads what the last sync recorded instead of Route 53 (no AWS
   * needed); `without-credentials` does so only when there are no AWS credentials at all, and says so.
   * sync never does: it would publish an old listing as new.
   */
  fromSnapshot?: { snapshot: Snapshot; when: "always" | "without-credentials"; committed: boolean };
}

/** What the last sync recorded, as a discovery: a preview that needs no AWS. */
function fromSnapshot(snapshot: Snapshot, why: string, committed: boolean): DiscoveryResult {
  return {
    clusters: [...snapshot.clusters],
    warnings: [],
    from: committed
      ? `${SNAPSHOT_FILE} (${why}: what the last sync found, not Route 53 now)`
      : `no ${SNAPSHOT_FILE} yet (${why}; no sync has run): no discovered clusters, only clusters/*.yaml`,
    zones: new Set(snapshot.clusters.map((c) => c.source.zoneId)).size,
    records: snapshot.clusters.length,
  };
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
      from: "no discovery source (fleet.yaml has no discovery.route53): every cluster comes from clusters/*.yaml",
      zones: 0,
      records: 0,
    };
  }
  if (r53.exports !== undefined) return discoverFromExports(root, r53, r53.exports);
  const offline = env.fromSnapshot;
  if (offline?.when === "always") return fromSnapshot(offline.snapshot, "--offline", offline.committed);
  let result: Awaited<ReturnType<typeof discoverRoute53>>;
  try {
    result = await discoverRoute53(r53, {
      region: env.awsRegion,
      onProgress: (p) =>
        env.report.progress(
          `Route 53: ${p.zonesListed}/${p.zones} zones, ${p.records} records, ${p.requests} requests, ${p.throttles} throttled`,
        ),
    });
  } catch (e) {
    if (!(e instanceof NoAwsCredentialsError) || offline?.when !== "without-credentials") throw e;
    env.report.warn(
      offline.committed
        ? `no AWS credentials, so Route 53 was not asked: previewing from ${SNAPSHOT_FILE}, what the last sync found (pass --offline to say so; set credentials to read Route 53)`
        : `no AWS credentials, so Route 53 was not asked, and there is no ${SNAPSHOT_FILE} yet: previewing only the clusters in clusters/*.yaml (set credentials to read Route 53)`,
    );
    return fromSnapshot(offline.snapshot, "no AWS credentials", offline.committed);
  }
  const p = result.progress;
  env.report.info(`Route 53: ${p.requests} requests, ${p.throttles} throttled and retried`);
  return result;
}
