// `fleetfed sync`: discover → snapshot → render → commit on the fixed branch, rebuilt from the latest base
// → push with a lease → open, update or close the one pull request. `--local` applies the result to the
// working tree and stops; `--dry-run` prints the pull request it would open and writes nothing.
//
// What to do is decided by one pure function (core/review/sync-policy.ts, where the order of the safety
// rules is stated); this module reads the state, executes the decision and reports it in one line. An empty
// discovery opens one issue and no PR; removals over safety.maxRemovals make the PR a draft.

import { appendFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { EmptyDiscoveryError } from "../core/discovery/discovery.ts";
import { EXIT_INVALID, EXIT_REFUSED, FleetfedError, formatProblem } from "../core/errors.ts";
import { writingMark } from "../core/fleet.ts";
import { SNAPSHOT_FILE } from "../core/inputs/snapshot.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import { touchedFiles } from "../core/review/change.ts";
import { formatProposal } from "../core/review/proposal-text.ts";
import {
  type PullRequestContent,
  recordedHash,
  renderPullRequest,
  STOP_LABEL,
} from "../core/review/pull-request.ts";
import { decide, type SyncAction, type SyncState } from "../core/review/sync-policy.ts";
import { removeLeftoversOf, scratchFolder, writeFileAtomic, writeTree } from "../io/files.ts";
import { Git, GitCommandError, type Identity, LeaseLostError } from "../io/git.ts";
import { GitHub, GitHubError, type PullRequest } from "../io/github.ts";
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
  ctx.report.info(
    "dry run: previewing the pull request a sync would open; nothing is written, no AWS or GitHub needed",
  );
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

/**
 * Writes manifests/ and then the snapshot of a proposal into its root; returns what it wrote. The snapshot
 * is the commit point: until it is written, a re-run computes the same proposal and finishes the job.
 */
async function apply(p: Proposal): Promise<string[]> {
  const wrote: string[] = [];
  if (touchedFiles(p.change.files).length > 0) {
    await writeTree(join(p.inputs.root, MANIFESTS_DIR), p.fleet.tree, writingMark(p.fleet.plan));
    wrote.push(`${MANIFESTS_DIR}/`);
  }
  // A run killed while writing the snapshot left its temporary file; this run finishes that job.
  await removeLeftoversOf(join(p.inputs.root, SNAPSHOT_FILE));
  if (p.snapshotChanged) {
    await writeFileAtomic(join(p.inputs.root, SNAPSHOT_FILE), p.snapshotText);
    wrote.push(SNAPSHOT_FILE);
  }
  return wrote;
}

type Operation = "created" | "updated" | "closed" | "unchanged" | "stood-down";

async function publish(ctx: Context): Promise<number> {
  const { token, repository, apiUrl, writeSpacingMs } = ctx.env.github;
  if (!token || !repository || !/^[^/]+\/[^/]+$/.test(repository)) {
    throw new FleetfedError(
      {
        message: "sync needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name) to open the pull request",
        hint: "set them (Actions sets GITHUB_REPOSITORY; pass a token), or run sync --dry-run to preview without GitHub",
      },
      EXIT_INVALID,
    );
  }
  const github = new GitHub({
    token,
    repository,
    apiUrl,
    log: (l) => ctx.report.warn(l),
    ...(writeSpacingMs !== undefined && { writeSpacingMs }),
  });
  return publishAndReport(ctx, new Git(ctx.root), github);
}

/** Publishes, then reports the outcome as one line (stdout) and $GITHUB_OUTPUT; failures as one line each. */
export async function publishAndReport(ctx: Context, git: Git, github: GitHub): Promise<number> {
  let result: PublishResult;
  try {
    result = await publishWith(ctx, git, github);
  } catch (e) {
    throw asUserFacing(e, ctx.env.github.apiUrl);
  }
  const ref = result.number ? ` #${result.number}` : "";
  ctx.out(
    `${result.operation === "stood-down" ? `stood down${ref}: ${result.reason}` : `${result.operation}${ref}`}\n`,
  );
  if (ctx.env.githubOutput) {
    await appendFile(
      ctx.env.githubOutput,
      `pull-request-number=${result.number ?? ""}\noperation=${result.operation}\n`,
    ).catch((e: NodeJS.ErrnoException) => {
      throw new FleetfedError(
        {
          message: `${result.operation}${ref}, but could not write $GITHUB_OUTPUT (${e.code ?? e.message}), so later steps cannot read the outcome`,
          hint: "check the workflow's GITHUB_OUTPUT; the next run finds the pull request as it is",
        },
        EXIT_REFUSED,
      );
    });
  }
  if (ctx.env.stepSummary && result.summary) {
    await appendFile(ctx.env.stepSummary, `${result.summary}\n`).catch((e: Error) =>
      ctx.report.warn(`could not append to $GITHUB_STEP_SUMMARY: ${e.message}`),
    );
  }
  return 0;
}

/** Git and GitHub failures as one line each, with what to do; exit 1 (something is wrong, nothing lost). */
function asUserFacing(e: unknown, apiUrl: string): unknown {
  if (e instanceof GitHubError) {
    const hint =
      e.status === 401
        ? "the token is missing, expired or wrong: check the GITHUB_TOKEN the workflow passes"
        : e.status === 403
          ? "the token may not do this: the workflow needs contents: write, pull-requests: write and issues: write (or a GitHub App with those permissions)"
          : e.status === 404
            ? "check GITHUB_REPOSITORY and that the token can see the repository"
            : e.status >= 500
              ? "GitHub failed after retries; the next run tries again and picks up where this one stopped"
              : e.status === 0
                ? `could not reach GitHub at ${apiUrl}; check GITHUB_API_URL and the network`
                : "see GitHub's message; the next run tries again";
    return new FleetfedError({ message: e.message, hint }, EXIT_REFUSED);
  }
  if (e instanceof GitCommandError) {
    return new FleetfedError(
      {
        message: e.message,
        hint:
          e.verb === "push"
            ? "origin refused the push (branch protection on the sync branch, or missing contents: write); nothing else was changed"
            : "check that origin is reachable and the checkout is a clone of it; nothing was changed",
      },
      EXIT_REFUSED,
    );
  }
  return e;
}

interface PublishResult {
  operation: Operation;
  number?: number;
  reason?: string;
  summary?: string;
}

/** Everything one run has read: the proposal, origin's refs, the pull requests, the state decide() takes. */
interface SyncRead {
  p: Proposal;
  pr: PullRequestContent;
  worktree: Git;
  branch: string;
  baseBranch: string;
  baseSha: string;
  branchSha: string | undefined;
  open: PullRequest | undefined;
  state: SyncState;
}

/** What the steps that write share: the clients, the reporter, and how to tell a lost race. */
interface SyncRun {
  ctx: Context;
  git: Git;
  github: GitHub;
  read: SyncRead;
}

/**
 * One sync in three steps a test can drive alone: read the state (readState), ask decide() what to do,
 * and do exactly that (execute). Every write is guarded: pushes and branch deletions carry a lease, so a
 * run that lost a race writes nothing.
 */
export async function publishWith(ctx: Context, git: Git, github: GitHub): Promise<PublishResult> {
  await ctx.report.step("fetching origin", () => git.fetch());
  const scratch = await scratchFolder("fleetfed-sync-");
  const worktreePath = join(scratch, "worktree");
  try {
    const read = await readState(ctx, git, github, worktreePath);
    return await execute({ ctx, git, github, read }, decide(read.state));
  } finally {
    await git.removeWorktree(worktreePath);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The base branch's proposal, built in a worktree, and what origin and GitHub hold for the sync branch. */
export async function readState(
  ctx: Context,
  git: Git,
  github: GitHub,
  worktreePath: string,
): Promise<SyncRead> {
  // The checkout names the base branch; everything the PR is built from is then read from that branch.
  const base = (await loadInputs(ctx.root, ctx.config)).settings.pullRequest.base;
  const baseSha = await git.resolve(`refs/remotes/origin/${base}`);
  if (!baseSha)
    throw new FleetfedError(
      {
        message: `origin has no branch "${base}"`,
        hint: "set pullRequest.base in fleet.yaml to the branch Argo CD or Flux applies",
      },
      EXIT_INVALID,
    );
  const worktree = await git.addWorktree(worktreePath, baseSha);
  let p: Proposal;
  try {
    p = await propose(ctx, worktreePath);
  } catch (e) {
    if (e instanceof EmptyDiscoveryError) await reportEmptyDiscovery(github, e);
    throw e;
  }
  const { branch, base: baseBranch } = p.inputs.settings.pullRequest;
  const branchSha = await git.resolve(`refs/remotes/origin/${branch}`);
  const [open] = await github.pullRequests(branch, baseBranch, "open");
  const pr = pullRequestFor(p);
  const isChanged = changed(p);
  const humanAuthors = branchSha ? await git.peopleBetween(baseSha, branchSha, BOT.email) : [];
  // Read from GitHub only what can decide this run: the comments matter only when a person committed,
  // the last closed PR only when there is a change or a person's commits and no open PR (decide()'s rules).
  const humanCommitNoted =
    open !== undefined &&
    humanAuthors.length > 0 &&
    (await github.comments(open.number)).some((c) => c.includes(HUMAN_COMMIT_MARKER));
  const [lastClosed] =
    open || (!isChanged && humanAuthors.length === 0)
      ? []
      : await github.pullRequests(branch, baseBranch, "closed");
  const closedHash = lastClosed && recordedHash(lastClosed.body);
  const state: SyncState = {
    changed: isChanged,
    hash: pr.hash,
    ...(open && { open: { number: open.number, labels: open.labels, humanCommitNoted } }),
    ...(branchSha && {
      branch: { humanAuthors, keptByClosedPullRequest: lastClosed?.headSha === branchSha },
    }),
    ...(lastClosed && {
      lastClosed: {
        number: lastClosed.number,
        merged: lastClosed.merged,
        ...(closedHash !== undefined && { hash: closedHash }),
      },
    }),
  };
  return { p, pr, worktree, branch, baseBranch, baseSha, branchSha, open, state };
}

/** Does what decide() said: one case per action, the publishing one in pushChange(). */
export async function execute(run: SyncRun, action: SyncAction): Promise<PublishResult> {
  const { github, read } = run;
  switch (action.kind) {
    case "stand-down-human": {
      if (action.comment && action.number !== undefined)
        await github.comment(
          action.number,
          `${HUMAN_COMMIT_MARKER}\nfleetfed found commits by someone else on \`${read.branch}\` and has stopped updating this pull request; it will not overwrite or delete them. Merge or close it: once it is closed, fleetfed rebuilds the branch for the next change, and the closed pull request keeps your commits.`,
        );
      return {
        operation: "stood-down",
        ...(action.number !== undefined && { number: action.number }),
        reason: `${read.branch} has commits by ${action.authors.join(", ")}; fleetfed will not overwrite or delete them`,
      };
    }
    case "stand-down-stop-label":
      return { operation: "stood-down", number: action.number, reason: `it has the ${STOP_LABEL} label` };
    case "stand-down-closed-by-person":
      return {
        operation: "stood-down",
        number: action.number,
        reason: "a person closed it with exactly this change; fleetfed does not reopen it",
      };
    case "nothing":
      return { operation: "unchanged" };
    case "close":
      return close(run, action);
    case "publish":
      return pushChange(run);
  }
}

/** A lost lease is a race only when origin's branch really moved; otherwise it is git's own refusal. */
async function lostRace(run: SyncRun, e: unknown): Promise<boolean> {
  if (!(e instanceof LeaseLostError)) return false;
  await run.git.fetch();
  if ((await run.git.resolve(`refs/remotes/origin/${run.read.branch}`)) === run.read.branchSha) throw e;
  return true;
}

function raced(run: SyncRun, what: string): PublishResult {
  const reason = `another sync ${what} ${run.read.branch} meanwhile; nothing written`;
  run.ctx.report.info(reason);
  return { operation: "stood-down", ...(run.read.open && { number: run.read.open.number }), reason };
}

/** Nothing left to merge: the bot's branch deleted (with a lease), the pull request closed with a word. */
async function close(
  run: SyncRun,
  action: { number?: number; deleteBranch: boolean },
): Promise<PublishResult> {
  const { read, github } = run;
  if (action.deleteBranch && read.branchSha) {
    try {
      await run.git.deleteRemoteBranch(read.branch, read.branchSha);
    } catch (e) {
      if (await lostRace(run, e)) return raced(run, "updated");
      throw e;
    }
  }
  if (action.number === undefined) return { operation: "unchanged" };
  await github.updatePullRequest(action.number, { state: "closed" });
  await github.comment(
    action.number,
    `Closed by fleetfed: \`${read.baseBranch}\` already matches Route 53 and \`clusters/\`, so there is nothing left to merge.`,
  );
  return { operation: "closed", number: action.number };
}

/** The change committed on the base and pushed with a lease (unless the branch holds it already), then the PR. */
async function pushChange(run: SyncRun): Promise<PublishResult> {
  const { read, git } = run;
  await apply(read.p);
  const commit = await read.worktree.commitAll(
    `${read.pr.title}\n\nGenerated by fleetfed sync from Route 53 and clusters/.`,
    BOT,
  );
  const unchangedBranch =
    read.branchSha !== undefined &&
    (await git.tree(read.branchSha)) === (await git.tree(commit)) &&
    (await git.parents(read.branchSha)).join() === read.baseSha;
  if (!unchangedBranch) {
    try {
      await run.ctx.report.step(`pushing ${read.branch}`, () =>
        git.pushWithLease(commit, read.branch, read.branchSha),
      );
    } catch (e) {
      if (await lostRace(run, e)) return raced(run, "updated");
      throw e;
    }
  }
  return pullRequestOf(run, unchangedBranch);
}

/** Updates the open pull request, or opens one when there is none (or a person closed it meanwhile). */
async function pullRequestOf(run: SyncRun, unchangedBranch: boolean): Promise<PublishResult> {
  const { read, github } = run;
  const { pr, open, branch, baseBranch } = read;
  const summary = `### ${pr.title}\n\n${pr.body}`;
  // A person may have closed the pull request since it was listed: a closed one is never rewritten (its
  // text would then claim this change, and the next run would take it as closed with this change).
  const [stillOpen] = open ? await github.pullRequests(branch, baseBranch, "open") : [];
  if (open && stillOpen?.number === open.number) {
    const missing = pr.labels.filter((l) => !open.labels.includes(l));
    const edit = recordedHash(open.body) !== pr.hash || open.title !== pr.title;
    // The answer to the edit says whether a person closed it in that very instant (after the listing
    // above): then the edit landed on a closed pull request, and its text is put back as the person
    // left it, so no run reads it as closed with this change; the change gets a pull request of its own.
    const closedMeanwhile =
      edit &&
      (await github.updatePullRequest(open.number, { title: pr.title, body: pr.body })).state === "closed";
    if (closedMeanwhile) await github.updatePullRequest(open.number, { title: open.title, body: open.body });
    else {
      await github.addLabels(open.number, missing);
      return {
        operation: edit || missing.length > 0 || !unchangedBranch ? "updated" : "unchanged",
        number: open.number,
        summary,
      };
    }
  }
  let number: number;
  try {
    number = await github.createPullRequest({
      branch,
      base: baseBranch,
      title: pr.title,
      body: pr.body,
      draft: pr.draft,
    });
  } catch (e) {
    if (e instanceof GitHubError && e.status === 422 && /already exists/.test(e.message))
      return raced(run, "opened the pull request for");
    if (e instanceof GitHubError)
      throw new GitHubError(
        `opening the pull request (${branch} was pushed; the next run opens it)`,
        e.status,
        e.message.replace(/^GitHub: .*? failed( \(HTTP \d+\))?: /, ""),
      );
    throw e;
  }
  await github.addLabels(number, pr.labels);
  return { operation: "created", number, summary };
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
