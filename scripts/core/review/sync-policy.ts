// The sync's policy as one pure decision: everything a run has read (the open pull request and its labels,
// who committed to the branch, whether the change is empty, the last closed pull request) → one action.
// commands/sync.ts only executes it. The order below is the contract (SPEC §5.4), first match wins:
//
//   1. a person committed to the branch  → stand down: keep branch, commits and PR; say so once —
//      unless their pull request is closed and still holds those commits (GitHub keeps a closed pull
//      request's head), and there is a change: then the branch is rebuilt for it, as the comment promised
//   2. the open PR has the stop label     → stand down: touch nothing
//   3. nothing left to merge              → close the PR (if open) and delete the bot's branch
//   4. a person closed this exact change  → stand down: never reopen it
//   5. otherwise                          → publish: push the branch, then update or create the PR
//
// Human commits come first so that no later rule (in particular 3) can delete a person's work.

import { STOP_LABEL } from "./pull-request.ts";

export interface SyncState {
  /** The open pull request from the sync branch into the base, if there is one. */
  open?: {
    number: number;
    labels: readonly string[];
    /** fleetfed already commented that a person's commits stopped it (read only when a person committed). */
    humanCommitNoted: boolean;
  };
  /**
   * The sync branch on origin, if it exists: everyone who authored or committed its commits on top of
   * the base, bot excluded; and whether the newest closed pull request's head is exactly this branch.
   */
  branch?: { humanAuthors: readonly string[]; keptByClosedPullRequest?: boolean };
  /** The proposal differs from the base (snapshot or manifests/). */
  changed: boolean;
  /** The newest closed pull request from the branch, when there is no open one and there is a change. */
  lastClosed?: { number: number; merged: boolean; hash?: string };
  /** The hash of the pull request this change would open (recorded hidden in its body). */
  hash: string;
}

export type SyncAction =
  | { kind: "stand-down-human"; number?: number; authors: readonly string[]; comment: boolean }
  | { kind: "stand-down-stop-label"; number: number }
  | { kind: "stand-down-closed-by-person"; number: number }
  | { kind: "close"; number?: number; deleteBranch: boolean }
  | { kind: "nothing" }
  | { kind: "publish"; update?: number };

export function decide(s: SyncState): SyncAction {
  const humans = [...new Set(s.branch?.humanAuthors ?? [])];
  const resumable = !s.open && s.branch?.keptByClosedPullRequest === true && s.changed;
  if (humans.length > 0 && !resumable) {
    return {
      kind: "stand-down-human",
      ...(s.open && { number: s.open.number }),
      authors: humans,
      comment: s.open !== undefined && !s.open.humanCommitNoted,
    };
  }
  if (s.open?.labels.includes(STOP_LABEL)) return { kind: "stand-down-stop-label", number: s.open.number };
  if (!s.changed) {
    if (!s.open && !s.branch) return { kind: "nothing" };
    return { kind: "close", ...(s.open && { number: s.open.number }), deleteBranch: s.branch !== undefined };
  }
  if (!s.open && s.lastClosed && !s.lastClosed.merged && s.lastClosed.hash === s.hash) {
    return { kind: "stand-down-closed-by-person", number: s.lastClosed.number };
  }
  return { kind: "publish", ...(s.open && { update: s.open.number }) };
}
