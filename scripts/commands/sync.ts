// `fleetfed sync`: discover → snapshot → render → commit on the fixed branch, rebuilt from the latest base
// → push with a lease → open, update or close the one pull request. `--local` applies the result to the
// working tree and stops; `--dry-run` prints the pull request it would open and writes nothing.
//
// Safety, in the order it is checked: a stop label freezes the PR; a commit on the branch by anyone else
// stops the bot (said once, in a comment); a PR a human closed is not reopened for the same change; an
// empty discovery opens one issue and no PR; removals over safety.maxRemovals make the PR a draft.

import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmptyDiscoveryError } from "../core/discovery/discovery.ts";
import { EXIT_INVALID, FleetfedError, formatProblem } from "../core/errors.ts";
import { SNAPSHOT_FILE, serialiseSnapshot } from "../core/inputs/snapshot.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import { touchedFiles } from "../core/review/change.ts";
import { formatProposal } from "../core/review/proposal-text.ts";
import {
  type PullRequestContent,
  recordedHash,
  renderPullRequest,
  STOP_LABEL,
} from "../core/review/pull-request.ts";
import { writeFileAtomic, writeTree } from "../io/files.ts";
import { Git, type Identity } from "../io/git.ts";
import { GitHub } from "../io/github.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";
import { type Proposal, propose } from "./propose.ts";

export const BOT: Identity = { name: "fleetfed[bot]", email: "fleetfed[bot]@users.noreply.github.com" };
export const REFUSED_LABEL = "fleetfed:refused";
const HUMAN_COMMIT_MARKER = "<!-- fleetfed:human-commit -->";
const EMPTY_DISCOVERY_TITLE = "fleetfed: discovery found no clusters; sync refused";

export async function syncCommand(ctx: Context, opts: { dryRun: boolean; local: boolean }): Promise<number> {
  if (opts.dryRun) return dryRun(ctx);
  if (opts.local) return local(ctx);
  return publish(ctx);
}

function changed(p: Proposal): boolean {
  return touchedFiles(p.change.files).length > 0 || p.snapshotChanged;
}

function pullRequestFor(p: Proposal): PullRequestContent {
  const s = p.inputs.settings;
  return renderPullRequest({
    change: p.change,
    plan: p.fleet.plan,
    snapshotChanged: p.snapshotChanged,
    labels: s.pullRequest.labels,
    maxRemovals: s.safety.maxRemovals,
    branch: s.pullRequest.branch,
  });
}

async function dryRun(ctx: Context): Promise<number> {
  const p = await propose(ctx);
  if (!changed(p)) {
    ctx.out(
      `unchanged: discovery and clusters/ match ${MANIFESTS_DIR}/ (${p.change.after.clusters} clusters); no pull request\n`,
    );
    return 0;
  }
  const pr = pullRequestFor(p);
  ctx.out(`# ${pr.title}\n\n${pr.draft ? "(draft) " : ""}labels: ${pr.labels.join(", ")}\n\n${pr.body}`);
  return 0;
}

async function local(ctx: Context): Promise<number> {
  const p = await propose(ctx);
  const wrote = await apply(p);
  ctx.out(`${wrote.length > 0 ? `wrote ${wrote.join(" and ")}` : "unchanged"}\n${formatProposal(p)}`);
  return 0;
}

/** Writes the snapshot and manifests/ of a proposal into its root; returns what it wrote. */
async function apply(p: Proposal): Promise<string[]> {
  const wrote: string[] = [];
  if (p.snapshotChanged) {
    await writeFileAtomic(join(p.inputs.root, SNAPSHOT_FILE), serialiseSnapshot(p.snapshot));
    wrote.push(SNAPSHOT_FILE);
  }
  if (touchedFiles(p.change.files).length > 0) {
    await writeTree(join(p.inputs.root, MANIFESTS_DIR), p.fleet.tree);
    wrote.push(`${MANIFESTS_DIR}/`);
  }
  return wrote;
}

type Operation = "created" | "updated" | "closed" | "unchanged" | "refused";

async function publish(ctx: Context): Promise<number> {
  const { token, repository, apiUrl } = ctx.env.github;
  if (!token || !repository || !/^[^/]+\/[^/]+$/.test(repository)) {
    throw new FleetfedError(
      {
        message: "sync needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name) to open the pull request",
        hint: "set them (Actions sets GITHUB_REPOSITORY; pass a token), or run sync --dry-run to preview without GitHub",
      },
      EXIT_INVALID,
    );
  }
  const github = new GitHub({ token, repository, apiUrl, log: (l) => ctx.report.warn(l) });
  const git = new Git(ctx.root);
  const result = await publishWith(ctx, git, github);
  ctx.out(
    `${result.operation === "refused" ? `refused: ${result.reason}` : result.number ? `${result.operation} #${result.number}` : result.operation}\n`,
  );
  if (ctx.env.githubOutput) {
    await appendFile(
      ctx.env.githubOutput,
      `pull-request-number=${result.number ?? ""}\noperation=${result.operation}\n`,
    );
  }
  if (ctx.env.stepSummary && result.summary) await appendFile(ctx.env.stepSummary, `${result.summary}\n`);
  return 0;
}

interface PublishResult {
  operation: Operation;
  number?: number;
  reason?: string;
  summary?: string;
}

export async function publishWith(ctx: Context, git: Git, github: GitHub): Promise<PublishResult> {
  const report = ctx.report;
  await report.step("fetching origin", () => git.fetch());
  const scratch = await mkdtemp(join(tmpdir(), "fleetfed-sync-"));
  const worktreePath = join(scratch, "worktree");
  try {
    // The checkout names the base branch; everything the PR is built from is then read from that branch.
    const base = (await loadInputs(ctx.root, ctx.config)).settings.pullRequest.base;
    const baseSha = await git.resolve(`refs/remotes/origin/${base}`);
    if (!baseSha) {
      throw new FleetfedError(
        {
          message: `origin has no branch "${base}"`,
          hint: "set pullRequest.base in fleet.yaml to the branch Argo CD or Flux applies",
        },
        EXIT_INVALID,
      );
    }
    const worktree = await git.addWorktree(worktreePath, baseSha);

    let p: Proposal;
    try {
      p = await propose(ctx, worktreePath);
    } catch (e) {
      if (e instanceof EmptyDiscoveryError) await reportEmptyDiscovery(github, e);
      throw e;
    }
    const settings = p.inputs.settings.pullRequest;
    const branchSha = await git.resolve(`refs/remotes/origin/${settings.branch}`);
    const [open] = await github.pullRequests(settings.branch, settings.base, "open");

    if (open?.labels.includes(STOP_LABEL)) {
      report.info(`#${open.number} has the ${STOP_LABEL} label: leaving it alone`);
      return { operation: "unchanged", number: open.number, reason: "stop label" };
    }

    if (!changed(p)) {
      if (open) {
        await github.updatePullRequest(open.number, { state: "closed" });
        await github.comment(
          open.number,
          `Closed by fleetfed: \`${settings.base}\` already matches Route 53 and \`clusters/\`, so there is nothing left to merge.`,
        );
      }
      if (branchSha) await git.deleteRemoteBranch(settings.branch, branchSha);
      return open ? { operation: "closed", number: open.number } : { operation: "unchanged" };
    }

    if (branchSha) {
      const others = (await git.authorsBetween(baseSha, branchSha)).filter((email) => email !== BOT.email);
      if (others.length > 0) {
        const reason = `${settings.branch} has commits by ${[...new Set(others)].join(", ")}; fleetfed will not overwrite them`;
        if (open && !(await github.comments(open.number)).some((c) => c.includes(HUMAN_COMMIT_MARKER))) {
          await github.comment(
            open.number,
            `${HUMAN_COMMIT_MARKER}\nfleetfed found commits by someone else on \`${settings.branch}\` and has stopped updating this pull request. Merge or close it; fleetfed resumes on a fresh branch once it is gone.`,
          );
        }
        report.warn(reason);
        return { operation: "refused", ...(open && { number: open.number }), reason };
      }
    }

    const pr = pullRequestFor(p);
    if (!open) {
      const [lastClosed] = await github.pullRequests(settings.branch, settings.base, "closed");
      if (lastClosed && !lastClosed.merged && recordedHash(lastClosed.body) === pr.hash) {
        report.info(
          `#${lastClosed.number} proposed exactly this and was closed by a person: not reopening it`,
        );
        return { operation: "unchanged", number: lastClosed.number, reason: "closed by a person" };
      }
    }

    await apply(p);
    const commit = await worktree.commitAll(
      `${pr.title}\n\nGenerated by fleetfed sync from Route 53 and clusters/.`,
      BOT,
    );
    const unchangedBranch =
      branchSha !== undefined &&
      (await git.tree(branchSha)) === (await git.tree(commit)) &&
      (await git.parents(branchSha)).join() === baseSha;
    if (!unchangedBranch)
      await report.step(`pushing ${settings.branch}`, () =>
        git.pushWithLease(commit, settings.branch, branchSha),
      );

    const summary = `### ${pr.title}\n\n${pr.body}`;
    if (open) {
      const missing = pr.labels.filter((l) => !open.labels.includes(l));
      const edit = recordedHash(open.body) !== pr.hash || open.title !== pr.title;
      if (edit) await github.updatePullRequest(open.number, { title: pr.title, body: pr.body });
      await github.addLabels(open.number, missing);
      return {
        operation: edit || missing.length > 0 || !unchangedBranch ? "updated" : "unchanged",
        number: open.number,
        summary,
      };
    }
    const number = await github.createPullRequest({
      branch: settings.branch,
      base: settings.base,
      title: pr.title,
      body: pr.body,
      draft: pr.draft,
    });
    await github.addLabels(number, pr.labels);
    return { operation: "created", number, summary };
  } finally {
    await git.removeWorktree(worktreePath);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** One open issue for a refused empty discovery: updated on later runs, never duplicated. */
async function reportEmptyDiscovery(github: GitHub, e: FleetfedError): Promise<void> {
  const body = [
    "fleetfed refused to sync: discovery returned no clusters while the snapshot lists some. Publishing that would stop federating every cluster.",
    "",
    ...e.problems.map((p) => `- ${formatProblem(p)}`),
    "",
    "Close this issue once discovery works again; fleetfed opens a new one if it happens again.",
  ].join("\n");
  const [existing] = (await github.openIssues(REFUSED_LABEL)).filter(
    (i) => i.title === EMPTY_DISCOVERY_TITLE,
  );
  if (existing) await github.updateIssue(existing.number, body);
  else await github.createIssue({ title: EMPTY_DISCOVERY_TITLE, body, labels: [REFUSED_LABEL] });
}
