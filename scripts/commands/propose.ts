// The computations commands share: `plan` and `sync`'s proposal, `render` and `upgrade`'s render.
// The proposal: read the inputs, discover, build the fleet before and after,
// and describe the change against manifests/ on disk. I/O lives here; the decisions are in core/.

import { join } from "node:path";
import {
  formatDiscoverySummary,
  refuseEmptyDiscovery,
  summariseDiscovery,
} from "../core/discovery/discovery.ts";
import { formatProblem } from "../core/errors.ts";
import { nextSnapshot, type RenderedFleet, renderFleet } from "../core/fleet.ts";
import { SNAPSHOT_FILE, type Snapshot, serialiseSnapshot } from "../core/inputs/snapshot.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import { describeChange, type FleetChange } from "../core/review/change.ts";
import { discover } from "../io/discovery-source.ts";
import { readTree } from "../io/files.ts";
import { type Inputs, loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";

/**
 * What `render` and `upgrade` share: the inputs read, manifests/ as it stands, and the fleet rendered
 * from them, with the render's warnings reported. Nothing is written.
 */
export async function renderFromInputs(
  ctx: Context,
): Promise<{ inputs: Inputs; dir: string; onDisk: Map<string, string>; fleet: RenderedFleet }> {
  const inputs = await ctx.report.step("reading inputs", () => loadInputs(ctx.root, ctx.config));
  const dir = join(inputs.root, MANIFESTS_DIR);
  const onDisk = await readTree(dir);
  const fleet = await ctx.report.step("rendering", () =>
    renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, onDisk),
  );
  for (const p of [...fleet.inventory.unresolved, ...fleet.plan.warnings]) ctx.report.warn(formatProblem(p));
  return { inputs, dir, onDisk, fleet };
}

export interface Proposal {
  inputs: Inputs;
  snapshot: Snapshot;
  /** The snapshot as it would be written, serialised once. */
  snapshotText: string;
  snapshotChanged: boolean;
  fleet: RenderedFleet;
  change: FleetChange;
}

/**
 * `root` defaults to the Context's; sync passes a worktree of the base branch instead. `preview` (plan)
 * may read the snapshot instead of Route 53: always with --offline, or when there are no AWS credentials.
 */
export async function propose(
  ctx: Context,
  root: string = ctx.root,
  preview?: { offline: boolean },
): Promise<Proposal> {
  const inputs = await ctx.report.step("reading inputs", () => loadInputs(root, ctx.config));
  const found = await ctx.report.step("discovering clusters", () =>
    discover(inputs.root, inputs.settings, {
      awsRegion: ctx.env.awsRegion,
      report: ctx.report,
      ...(preview && {
        fromSnapshot: {
          snapshot: inputs.snapshot,
          when: preview.offline ? ("always" as const) : ("without-credentials" as const),
          committed: inputs.snapshotText !== undefined,
        },
      }),
    }),
  );
  for (const w of found.warnings) ctx.report.warn(w);
  ctx.report.info(
    `${found.from}: ${found.zones} zones, ${found.records} records, ${found.clusters.length} clusters`,
  );
  ctx.report.info(
    `against ${SNAPSHOT_FILE}:\n${formatDiscoverySummary(summariseDiscovery(inputs.snapshot, found))}`,
  );
  refuseEmptyDiscovery(inputs.snapshot, found);
  const onDisk = await readTree(join(inputs.root, MANIFESTS_DIR));
  const next = nextSnapshot(inputs.settings, {
    previous: inputs.snapshot,
    discovered: found.clusters,
    clusterFiles: inputs.clusterFiles,
    manifests: onDisk,
  });
  const change = describeChange(inputs.settings, next.fleet, onDisk);
  for (const w of change.warnings) ctx.report.warn(w);
  const snapshotText = serialiseSnapshot(next.snapshot);
  return {
    inputs,
    snapshot: next.snapshot,
    snapshotText,
    snapshotChanged: snapshotText !== inputs.snapshotText,
    fleet: next.fleet,
    change,
  };
}
