// The sync's policy, one row per situation that matters: what is on GitHub and origin → what sync does.
// Human commits come first: no other rule may delete or overwrite a person's work.

import { describe, expect, it } from "vitest";
import { decide, type SyncAction, type SyncState } from "../scripts/core/review/sync-policy.ts";

const H = "abc123";
const open = (extra: Partial<NonNullable<SyncState["open"]>> = {}) => ({
  number: 7,
  labels: ["automated"],
  humanCommitNoted: false,
  ...extra,
});
const botBranch = { humanAuthors: [] };
const humanBranch = { humanAuthors: ["dana@example.com", "dana@example.com"] };

const rows: [string, SyncState, SyncAction][] = [
  // 1. a person's commits on the branch win over everything else
  [
    "human commits, change vanished, PR open: keep all, comment once",
    { open: open(), branch: humanBranch, changed: false, hash: H },
    { kind: "stand-down-human", number: 7, authors: ["dana@example.com"], comment: true },
  ],
  [
    "human commits, change vanished, already said so: keep all, no second comment",
    { open: open({ humanCommitNoted: true }), branch: humanBranch, changed: false, hash: H },
    { kind: "stand-down-human", number: 7, authors: ["dana@example.com"], comment: false },
  ],
  [
    "human commits and a change: do not force-push over them",
    { open: open(), branch: humanBranch, changed: true, hash: H },
    { kind: "stand-down-human", number: 7, authors: ["dana@example.com"], comment: true },
  ],
  [
    "human commits and the stop label: still the human rule",
    { open: open({ labels: ["fleetfed:stop"] }), branch: humanBranch, changed: true, hash: H },
    { kind: "stand-down-human", number: 7, authors: ["dana@example.com"], comment: true },
  ],
  [
    "human commits on a branch without a PR (a person closed it): never delete the branch",
    { branch: humanBranch, changed: false, hash: H },
    { kind: "stand-down-human", authors: ["dana@example.com"], comment: false },
  ],
  [
    "human commits kept by the closed PR, no change: leave the branch alone",
    { branch: { ...humanBranch, keptByClosedPullRequest: true }, changed: false, hash: H },
    { kind: "stand-down-human", authors: ["dana@example.com"], comment: false },
  ],
  [
    "human commits on a branch the closed PR does not hold, and a change: keep them",
    { branch: { ...humanBranch, keptByClosedPullRequest: false }, changed: true, hash: H },
    { kind: "stand-down-human", authors: ["dana@example.com"], comment: false },
  ],
  [
    "human commits kept by the closed PR and a new change: fleetfed resumes, as its comment promised (#21.15)",
    {
      branch: { ...humanBranch, keptByClosedPullRequest: true },
      changed: true,
      hash: H,
      lastClosed: { number: 7, merged: false, hash: "older" },
    },
    { kind: "publish" },
  ],
  [
    "human commits kept by the closed PR, but the same change a person closed: stand down",
    {
      branch: { ...humanBranch, keptByClosedPullRequest: true },
      changed: true,
      hash: H,
      lastClosed: { number: 7, merged: false, hash: H },
    },
    { kind: "stand-down-closed-by-person", number: 7 },
  ],
  // 2. the stop label
  [
    "stop label with a change: touch nothing",
    { open: open({ labels: ["automated", "fleetfed:stop"] }), branch: botBranch, changed: true, hash: H },
    { kind: "stand-down-stop-label", number: 7 },
  ],
  [
    "stop label and nothing left to merge: still touch nothing",
    { open: open({ labels: ["fleetfed:stop"] }), branch: botBranch, changed: false, hash: H },
    { kind: "stand-down-stop-label", number: 7 },
  ],
  // 3. nothing left to merge
  [
    "no change, PR open on the bot's branch: close it and delete the branch",
    { open: open(), branch: botBranch, changed: false, hash: H },
    { kind: "close", number: 7, deleteBranch: true },
  ],
  [
    "no change, a stale bot branch without a PR: delete the branch",
    { branch: botBranch, changed: false, hash: H },
    { kind: "close", deleteBranch: true },
  ],
  ["no change, no PR, no branch: nothing", { changed: false, hash: H }, { kind: "nothing" }],
  // 4. a PR a person closed
  [
    "a person closed exactly this change: do not reopen",
    { branch: botBranch, changed: true, hash: H, lastClosed: { number: 5, merged: false, hash: H } },
    { kind: "stand-down-closed-by-person", number: 5 },
  ],
  [
    "a person closed a different change: open a new PR",
    { changed: true, hash: H, lastClosed: { number: 5, merged: false, hash: "other" } },
    { kind: "publish" },
  ],
  [
    "the last PR was merged: a new change opens a new PR",
    { changed: true, hash: H, lastClosed: { number: 5, merged: true, hash: H } },
    { kind: "publish" },
  ],
  // 5. publish
  ["a change and no PR: open one", { changed: true, hash: H }, { kind: "publish" }],
  [
    "a change and the bot's PR open: update it",
    { open: open(), branch: botBranch, changed: true, hash: H },
    { kind: "publish", update: 7 },
  ],
];

describe("decide()", () => {
  it.each(rows)("%s", (_name, state, action) => {
    expect(decide(state)).toEqual(action);
  });

  it("never deletes or overwrites a branch that has a person's commits, whatever else holds", () => {
    for (const changed of [true, false])
      for (const o of [
        undefined,
        open(),
        open({ labels: ["fleetfed:stop"] }),
        open({ humanCommitNoted: true }),
      ])
        for (const lastClosed of [undefined, { number: 1, merged: false, hash: H }]) {
          const a = decide({
            ...(o && { open: o }),
            branch: humanBranch,
            changed,
            hash: H,
            ...(lastClosed && { lastClosed }),
          });
          expect(a.kind).toBe("stand-down-human");
        }
  });
});
