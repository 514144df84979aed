// `fleetfed upgrade --from <version>`: run by a fleet's upgrade workflow on the pull request that changes
// the fleetfed version it pins. Re-renders manifests/ with the fleetfed now installed and prints, as
// Markdown, the changelog entries between the two versions and what the re-render does to the fleet
// (the clusters, files, restarts and series plan and sync state).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writingMark } from "../core/fleet.ts";
import { describeChange } from "../core/review/change.ts";
import { parseChangelog, releasesBetween, upgradeText } from "../core/review/changelog.ts";
import { formatProposal } from "../core/review/proposal-text.ts";
import { writeTree } from "../io/files.ts";
import { toolHome } from "../io/fleet-repository.ts";
import type { Context } from "./context.ts";
import { renderFromInputs } from "./propose.ts";

export async function upgradeCommand(ctx: Context, opts: { from: string; version: string }): Promise<number> {
  const { inputs, dir, onDisk, fleet } = await renderFromInputs(ctx);
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
