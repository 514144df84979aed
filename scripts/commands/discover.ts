// `fleetfed discover [--json]`: lists the clusters the configured sources find. Writes nothing.

import { formatDiscoverySummary, summariseDiscovery } from "../core/discovery/discovery.ts";
import { SNAPSHOT_FILE } from "../core/inputs/snapshot.ts";
import { table } from "../core/text-table.ts";
import { discover } from "../io/discovery-source.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";

export async function discoverCommand(
  ctx: Context,
  opts: { json: boolean; offline: boolean },
): Promise<number> {
  const { settings, snapshot, snapshotText, clusterFiles } = await ctx.report.step(
    "reading fleet.yaml and clusters/",
    () => loadInputs(ctx.root, ctx.config),
  );
  const result = await ctx.report.step("discovering clusters", () =>
    discover(ctx.root, settings, {
      awsRegion: ctx.env.awsRegion,
      report: ctx.report,
      fromSnapshot: {
        snapshot,
        when: opts.offline ? "always" : "without-credentials",
        committed: snapshotText !== undefined,
      },
    }),
  );
  for (const w of result.warnings) ctx.report.warn(w);
  ctx.report.info(
    `${result.from}: ${result.zones} zones, ${result.records} records, ${result.clusters.length} clusters`,
  );
  ctx.report.info(
    `against ${SNAPSHOT_FILE}:\n${formatDiscoverySummary(summariseDiscovery(snapshot, result))}`,
  );
  if (opts.json) {
    ctx.out(`${JSON.stringify({ clusters: result.clusters }, null, 2)}\n`);
    return 0;
  }
  if (!settings.discovery.route53) {
    // Nothing to list: say where the clusters come from instead of printing an empty table.
    ctx.out(
      `no discovery source: fleet.yaml has no discovery.route53, so the fleet is the ${clusterFiles.length} cluster file(s) in clusters/ (fleetfed plan shows them)\n`,
    );
    return 0;
  }
  const rows = result.clusters.map((c) => [
    c.cluster,
    `${c.scheme}://${c.endpoint}`,
    `${c.source.zoneName} (${c.source.zoneId})`,
    describeRecord(c.source),
  ]);
  ctx.out(table(["cluster", "endpoint", "zone", "record"], rows));
  return 0;
}

function describeRecord(s: {
  type: string;
  alias?: boolean;
  setIdentifier?: string;
  recordSets?: number;
}): string {
  return [
    s.alias ? `${s.type} alias` : s.type,
    s.setIdentifier !== undefined ? `set ${s.setIdentifier} of ${s.recordSets}` : "",
  ]
    .filter(Boolean)
    .join(", ");
}
