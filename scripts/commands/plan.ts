// `fleetfed plan`: discover + render in memory, and print the semantic change a sync would propose.
// `sync` builds on the same computation.

import { join } from "node:path";
import {
  describeChange,
  describeCounts,
  describeFileCounts,
  type FleetChange,
  touchedFiles,
} from "../core/change.ts";
import { formatDiscoverySummary, refuseEmptyDiscovery, summariseDiscovery } from "../core/discovery.ts";
import { buildFleet, type Fleet, nextSnapshot } from "../core/fleet.ts";
import { SNAPSHOT_FILE, type Snapshot, serialiseSnapshot } from "../core/snapshot.ts";
import { discover } from "../io/discovery.ts";
import { readTree } from "../io/files.ts";
import { type Inputs, loadInputs, MANIFESTS_DIR } from "../io/inputs.ts";
import type { Context } from "./context.ts";
import { table } from "./discover.ts";

export interface Proposal {
  inputs: Inputs;
  snapshot: Snapshot;
  snapshotChanged: boolean;
  fleet: Fleet;
  change: FleetChange;
}

/** `root` defaults to the Context's; sync passes a worktree of the base branch instead. */
export async function propose(ctx: Context, root: string = ctx.root): Promise<Proposal> {
  const inputs = await ctx.report.step("reading inputs", () => loadInputs(root, ctx.config));
  const found = await ctx.report.step("discovering clusters", () =>
    discover(inputs.root, inputs.settings, { awsRegion: ctx.env.awsRegion, report: ctx.report }),
  );
  for (const w of found.warnings) ctx.report.warn(w);
  ctx.report.info(
    `${found.from}: ${found.zones} zones, ${found.records} records, ${found.clusters.length} clusters`,
  );
  ctx.report.info(
    `against ${SNAPSHOT_FILE}:\n${formatDiscoverySummary(summariseDiscovery(inputs.snapshot, found))}`,
  );
  refuseEmptyDiscovery(inputs.snapshot, found);
  const before = buildFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles);
  const next = nextSnapshot(inputs.settings, inputs.snapshot, found.clusters, inputs.clusterFiles);
  const onDisk = await readTree(join(inputs.root, MANIFESTS_DIR));
  const change = describeChange(inputs.settings, before, next.fleet, onDisk);
  for (const w of change.warnings) ctx.report.warn(w);
  return {
    inputs,
    snapshot: next.snapshot,
    snapshotChanged: serialiseSnapshot(next.snapshot) !== inputs.snapshotText,
    fleet: next.fleet,
    change,
  };
}

export async function planCommand(ctx: Context): Promise<number> {
  ctx.out(formatProposal(await propose(ctx)));
  return 0;
}

/** The proposal as plain text: fleet shape before → after, the clusters that change, the files touched. */
export function formatProposal(p: Proposal): string {
  const c = p.change;
  const rows = [
    ...c.removed.map((r) => ["-", r.cluster.id, r.cluster.endpoint, r.leaf, ""]),
    ...c.added.map((r) => ["+", r.cluster.id, r.cluster.endpoint, r.leaf, ""]),
    ...c.changed.map((d) => ["~", d.id, d.after.cluster.endpoint, d.after.leaf, d.fields.join(", ")]),
  ];
  const out: string[] = [];
  out.push(`fleet: ${describeCounts(c.before)} → ${describeCounts(c.after)}`);
  out.push(
    rows.length > 0
      ? table(["", "cluster", "endpoint", "leaf", "changed"], rows).trimEnd()
      : "clusters: no change",
  );
  const f = c.files;
  out.push(touchedFiles(f).length > 0 ? `manifests/: ${describeFileCounts(f)}` : "manifests/: no change");
  for (const path of f.added) out.push(`  + ${MANIFESTS_DIR}/${path}`);
  for (const path of f.changed) out.push(`  ~ ${MANIFESTS_DIR}/${path}`);
  for (const path of f.removed) out.push(`  - ${MANIFESTS_DIR}/${path}`);
  out.push(p.snapshotChanged ? `snapshot: ${SNAPSHOT_FILE} changes` : "snapshot: no change");
  for (const w of c.warnings) out.push(`warning: ${w}`);
  return `${out.join("\n")}\n`;
}
