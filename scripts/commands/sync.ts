// `fleetfed sync`: discover → snapshot → render, then publish. `--local` applies the result to the
// working tree and stops there; `--dry-run` prints the pull request it would open and writes nothing.
// Publishing (commit, push, pull request) is issue #4.

import { join } from "node:path";
import { EXIT_INVALID, FleetfedError } from "../core/errors.ts";
import { renderPullRequest } from "../core/pull-request.ts";
import { SNAPSHOT_FILE, serialiseSnapshot } from "../core/snapshot.ts";
import { writeFileAtomic, writeTree } from "../io/files.ts";
import { MANIFESTS_DIR } from "../io/inputs.ts";
import type { Context } from "./context.ts";
import { formatProposal, type Proposal, propose } from "./plan.ts";

export async function syncCommand(ctx: Context, opts: { dryRun: boolean; local: boolean }): Promise<number> {
  if (!opts.dryRun && !opts.local) {
    throw new FleetfedError(
      {
        message: "publishing (commit, push, pull request) is not built yet (issue #4)",
        hint: "run fleetfed sync --local to update the working tree, or --dry-run to preview the pull request",
      },
      EXIT_INVALID,
    );
  }
  const p = await propose(ctx);
  const f = p.change.files;
  const changed = f.added.length + f.changed.length + f.removed.length > 0 || p.snapshotChanged;
  if (opts.dryRun) {
    ctx.out(
      changed
        ? formatPreview(p)
        : `unchanged: discovery and clusters/ match ${MANIFESTS_DIR}/ (${p.change.after.clusters} clusters); no pull request\n`,
    );
    return 0;
  }
  const filesChanged = f.added.length + f.changed.length + f.removed.length > 0;
  const wrote: string[] = [];
  if (p.snapshotChanged) {
    await writeFileAtomic(join(p.inputs.root, SNAPSHOT_FILE), serialiseSnapshot(p.snapshot));
    wrote.push(SNAPSHOT_FILE);
  }
  if (filesChanged) {
    await writeTree(join(p.inputs.root, MANIFESTS_DIR), p.fleet.tree);
    wrote.push(`${MANIFESTS_DIR}/`);
  }
  ctx.out(`${wrote.length > 0 ? `wrote ${wrote.join(" and ")}` : "unchanged"}\n${formatProposal(p)}`);
  return 0;
}

function formatPreview(p: Proposal): string {
  const s = p.inputs.settings;
  const pr = renderPullRequest({
    change: p.change,
    plan: p.fleet.plan,
    snapshotChanged: p.snapshotChanged,
    labels: s.pullRequest.labels,
    maxRemovals: s.safety.maxRemovals,
    branch: s.pullRequest.branch,
  });
  return `# ${pr.title}\n\n${pr.draft ? "(draft) " : ""}labels: ${pr.labels.join(", ")}\n\n${pr.body}`;
}
