// Git behind one class, one method per verb, all through simple-git against the checkout's `origin`.
// The sync logic receives an instance, so tests drive it against real repositories in temp dirs.

import { type SimpleGit, simpleGit } from "simple-git";

export interface Identity {
  name: string;
  email: string;
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
    await this.git.fetch(["--prune", "origin", "+refs/heads/*:refs/remotes/origin/*"]);
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
    return (await this.git.revparse([`${ref}^{tree}`])).trim();
  }

  async parents(ref: string): Promise<string[]> {
    return (await this.git.raw(["rev-list", "--parents", "-n", "1", ref])).trim().split(" ").slice(1);
  }

  /** Author e-mails of the commits reachable from `head` but not from `base`. */
  async authorsBetween(base: string, head: string): Promise<string[]> {
    const out = await this.git.raw(["log", "--format=%ae", `${base}..${head}`]);
    return out.split("\n").filter(Boolean);
  }

  /** A detached worktree at `ref` in `path`, so the user's checkout is never touched. */
  async addWorktree(path: string, ref: string): Promise<Git> {
    await this.git.raw(["worktree", "add", "--detach", path, ref]);
    return new Git(path);
  }

  async removeWorktree(path: string): Promise<void> {
    await this.git.raw(["worktree", "remove", "--force", path]).catch(() => undefined);
    await this.git.raw(["worktree", "prune"]);
  }

  /** Stages everything and commits as `author`; returns the new commit. */
  async commitAll(message: string, author: Identity): Promise<string> {
    await this.git.add(["-A"]);
    // Identity through -c, so the user's git config and environment never decide who the bot is.
    const as = simpleGit({
      baseDir: this.dir,
      config: [`user.name=${author.name}`, `user.email=${author.email}`],
    });
    await as.raw(["commit", "--no-verify", "--allow-empty", "-m", message]);
    return (await this.git.revparse(["HEAD"])).trim();
  }

  /**
   * Points origin's `branch` at `commit`, but only if it is still at `expected` (undefined: it must not
   * exist): a lease, so a push made since our fetch is never overwritten.
   */
  async pushWithLease(commit: string, branch: string, expected: string | undefined): Promise<void> {
    await this.git.raw([
      "push",
      `--force-with-lease=refs/heads/${branch}:${expected ?? ""}`,
      "origin",
      `${commit}:refs/heads/${branch}`,
    ]);
  }

  async deleteRemoteBranch(branch: string, expected: string): Promise<void> {
    await this.git.raw([
      "push",
      `--force-with-lease=refs/heads/${branch}:${expected}`,
      "origin",
      `:refs/heads/${branch}`,
    ]);
  }
}
