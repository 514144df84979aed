// `fleetfed upgrade --from <version>`: run by a fleet's upgrade workflow on the pull request that changes
// the fleetfed version it pins. Re-renders manifests/ with the fleetfed now installed and prints, as
// Markdown, the changelog entries between the two versions and what the re-render does to the fleet
// (the clusters, files, restarts and series plan and sync state).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatProblem } from "../core/errors.ts";
import { renderFleet, writingMark } from "../core/fleet.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import { describeChange } from "../core/review/change.ts";
import { parseChangelog, releasesBetween, upgradeText } from "../core/review/changelog.ts";
import { formatProposal } from "../core/review/proposal-text.ts";
import { readTree, writeTree } from "../io/files.ts";
import { toolHome } from "../io/fleet-repository.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";

export async function upgradeCommand(ctx: Context, opts: { from: string; version: string }): Promise<number> {
  const inputs = await ctx.report.step("reading inputs", () => loadInputs(ctx.root, ctx.config));
  const dir = join(inputs.root, MANIFESTS_DIR);
  const onDisk = await readTree(dir);
  const fleet = await ctx.report.step("rendering", () =>
    renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, onDisk),
  );
  for (const p of [...fleet.inventory.unresolved, ...fleet.plan.warnings]) ctx.report.warn(formatProblem(p));
  const change = describeChange(inputs.settings, fleet, onDisk);
  const releases = parseChangelog(readFileSync(join(toolHome(), "CHANGELOG.md"), "utf8"));
  await writeTree(dir, fleet.tree, writingMark(fleet.plan));
  ctx.out(
    upgradeText({
      from: opts.from,
      to: opts.version,
      releases: releasesBetween(releases, opts.from, opts.version),
      proposal: formatProposal({ change, snapshotChanged: false }),
    }),
  );
  return 0;
}
