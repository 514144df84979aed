// Git behind one class, one method per verb, all through simple-git against the checkout's `origin`.
// The sync logic receives an instance, so tests drive it against real repositories in temp dirs.

import { GitError, type SimpleGit, simpleGit } from "simple-git";

export interface Identity {
  name: string;
  email: string;
}

/** A git command failed; `detail` is the line of git's output that says why. */
export class GitCommandError extends Error {
  readonly verb: string;
  readonly detail: string;

  constructor(verb: string, detail: string) {
    super(`git ${verb} failed: ${detail}`);
    this.name = "GitCommandError";
    this.verb = verb;
    this.detail = detail;
  }
}

/** A push with a lease was rejected because the branch moved since our fetch: someone else got there first. */
export class LeaseLostError extends GitCommandError {}

/** The line of git's stderr that names the cause: a `fatal:`/`error:`/`! [rejected]` line, else the last one. */
function cause(message: string): string {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line =
    lines.find((l) => /^(remote: )?(fatal|error):/.test(l) && !/^error: failed to push/.test(l)) ??
    lines.find((l) => /^! \[(remote )?rejected\]/.test(l)) ??
    lines.at(-1) ??
    "no output";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Runs one git verb, turning simple-git's errors into one-line GitCommandErrors. */
async function run<T>(verb: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    const message = e.message;
    // Lost races: a lease that no longer holds, or (two pushes at once) a ref origin could not lock.
    if (
      verb === "push" &&
      /\(stale info\)|\(fetch first\)|\(non-fast-forward\)|cannot lock ref|failed to update ref/.test(message)
    )
      throw new LeaseLostError(verb, cause(message));
    throw new GitCommandError(verb, cause(message));
  }
}

export class Git {
  readonly dir: string;
  private readonly git: SimpleGit;

  constructor(dir: string) {
    this.dir = dir;
    this.git = simpleGit({ baseDir: dir });
  }

  /** Updates every origin/* ref, dropping branches deleted upstream. */
  async fetch(): Promise<void> {
    await run("fetch", () => this.git.fetch(["--prune", "origin", "+refs/heads/*:refs/remotes/origin/*"]));
  }

  /** The commit `ref` names, or undefined when it does not exist. */
  async resolve(ref: string): Promise<string | undefined> {
    try {
      return (await this.git.revparse(["--verify", "--quiet", `${ref}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async tree(ref: string): Promise<string> {
    return (await run("rev-parse", () => this.git.revparse([`${ref}^{tree}`]))).trim();
  }

  async parents(ref: string): Promise<string[]> {
    const out = await run("rev-list", () => this.git.raw(["rev-list", "--parents", "-n", "1", ref]));
    return out.trim().split(" ").slice(1);
  }

  /**
   * The e-mails of everyone who authored or committed a commit reachable from `head` but not from `base`,
   * but `except`. A commit a person amended keeps the bot as its author, with the person as committer: it
   * is that person's commit.
   */
  async peopleBetween(base: string, head: string, except: string): Promise<string[]> {
    const out = await run("log", () => this.git.raw(["log", "--format=%ae%n%ce", `${base}..${head}`]));
    return [...new Set(out.split("\n").filter((email) => email !== "" && email !== except))];
  }

  /** A detached worktree at `ref` in `path`, so the user's checkout is never touched. */
  async addWorktree(path: string, ref: string): Promise<Git> {
    await run("worktree add", () => this.git.raw(["worktree", "add", "--detach", path, ref]));
    return new Git(path);
  }

  async removeWorktree(path: string): Promise<void> {
    await this.git.raw(["worktree", "remove", "--force", path]).catch(() => undefined);
    await this.git.raw(["worktree", "prune"]).catch(() => undefined);
  }

  /** Stages everything and commits as `author`; returns the new commit. */
  async commitAll(message: string, author: Identity): Promise<string> {
    await run("add", () => this.git.add(["-A"]));
    // Identity through -c, so the user's git config and environment never decide who the bot is.
    const as = simpleGit({
      baseDir: this.dir,
      config: [`user.name=${author.name}`, `user.email=${author.email}`],
    });
    await run("commit", () => as.raw(["commit", "--no-verify", "--allow-empty", "-m", message]));
    return (await run("rev-parse", () => this.git.revparse(["HEAD"]))).trim();
  }

  /**
   * Points origin's `branch` at `commit`, but only if it is still at `expected` (undefined: it must not
   * exist): a lease, so a push made since our fetch is never overwritten.
   */
  async pushWithLease(commit: string, branch: string, expected: string | undefined): Promise<void> {
    await run("push", () =>
      this.git.raw([
        "push",
        `--force-with-lease=refs/heads/${branch}:${expected ?? ""}`,
        "origin",
        `${commit}:refs/heads/${branch}`,
      ]),
    );
  }

  /** Deletes origin's `branch`, but only if it is still at `expected` (a lease, as for a push). */
  async deleteRemoteBranch(branch: string, expected: string): Promise<void> {
    await run("push", () =>
      this.git.raw([
        "push",
        `--force-with-lease=refs/heads/${branch}:${expected}`,
        "origin",
        `:refs/heads/${branch}`,
      ]),
    );
  }
}
