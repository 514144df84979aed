// GitHub behind one class: the few REST calls sync makes, on Octokit with the throttling and retry
// plugins (secondary rate limits and 5xx are waited out, not failed on). GITHUB_API_URL selects
// GitHub Enterprise Server.

import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck";

const Client = Octokit.plugin(throttling, retry);

/** A GitHub call failed after the plugins' retries: `status` is the HTTP status (0: no answer at all). */
export class GitHubError extends Error {
  readonly status: number;
  readonly what: string;

  constructor(what: string, status: number, message: string) {
    super(`GitHub: ${what} failed${status ? ` (HTTP ${status})` : ""}: ${message}`);
    this.name = "GitHubError";
    this.what = what;
    this.status = status;
  }
}

/**
 * GitHub's answer to a list call, checked to be a list: a proxy's or captive portal's HTML page answered
 * with 200 is not GitHub (status 0: "could not reach GitHub at …").
 */
function listOf<T>(what: string, data: T[]): T[] {
  if (!Array.isArray(data))
    throw new GitHubError(
      what,
      0,
      "the answer was not GitHub's (not a JSON list); is GITHUB_API_URL GitHub's API?",
    );
  return data;
}

/** Runs one REST call; Octokit's RequestError (or a network failure) becomes a one-line GitHubError. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = e as {
      status?: number;
      message?: string;
      response?: { data?: { message?: string; errors?: { message?: string }[] } };
    };
    // A 422's reason is in errors[].message ("A pull request already exists for …"), under a message
    // that only says "Validation Failed".
    const data = err.response?.data;
    const details = Array.isArray(data?.errors)
      ? data.errors.map((d) => d?.message).filter((m) => typeof m === "string")
      : [];
    const message =
      (typeof data?.message === "string"
        ? [data.message, ...details].join(": ")
        : (err.message ?? String(e))
      ).split("\n", 1)[0] ?? "";
    throw new GitHubError(what, typeof err.status === "number" ? err.status : 0, message.slice(0, 300));
  }
}

export interface PullRequest {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  title: string;
  body: string;
  labels: string[];
  headSha: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
}

export interface GitHubOptions {
  token: string;
  repository: string;
  apiUrl: string;
  log?: (line: string) => void;
  /** Octokit's retries of 5xx (default 3, after 1, 4 and 9 s); tests shorten them. */
  retry?: { retries: number; baseMs: number };
  /**
   * The pause between write requests: GitHub asks integrators for at least a second between mutating
   * calls (three when they notify people, as opening a pull request does), and the throttling plugin
   * keeps both by default; tests against a local fake shorten them.
   */
  writeSpacingMs?: number;
}

export class GitHub {
  readonly owner: string;
  readonly repo: string;
  private readonly octokit: InstanceType<typeof Client>;

  constructor(opts: GitHubOptions) {
    const [owner, repo] = opts.repository.split("/");
    this.owner = owner as string;
    this.repo = repo as string;
    const log = opts.log ?? (() => {});
    const spacing = opts.writeSpacingMs;
    this.octokit = new Client({
      auth: opts.token,
      baseUrl: opts.apiUrl.replace(/\/$/, ""),
      userAgent: "fleetfed",
      log: { debug: () => {}, info: () => {}, warn: log, error: log },
      throttle: {
        ...(spacing !== undefined && {
          write: new Bottleneck.Group({ id: "fleetfed-write", maxConcurrent: 1, minTime: spacing }),
          notifications: new Bottleneck.Group({ id: "fleetfed-notify", maxConcurrent: 1, minTime: spacing }),
        }),
        onRateLimit: (after, options, _o, retryCount) => {
          log(`GitHub rate limit on ${options.method} ${options.url}; retrying in ${after} s`);
          return retryCount < 2;
        },
        onSecondaryRateLimit: (after, options, _o, retryCount) => {
          log(`GitHub secondary rate limit on ${options.method} ${options.url}; retrying in ${after} s`);
          return retryCount < 3;
        },
      },
      retry: { retries: opts.retry?.retries ?? 3, retryAfterBaseValue: opts.retry?.baseMs ?? 1000 },
    });
  }

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  /** Pull requests from `branch` into `base`, newest first. */
  async pullRequests(branch: string, base: string, state: "open" | "closed"): Promise<PullRequest[]> {
    const { data } = await call("listing pull requests", () =>
      this.octokit.rest.pulls.list({
        ...this.where,
        head: `${this.owner}:${branch}`,
        base,
        state,
        sort: "created",
        direction: "desc",
        per_page: 20,
      }),
    );
    return listOf("listing pull requests", data).map((p) => ({
      number: p.number,
      state: p.state as "open" | "closed",
      merged: p.merged_at !== null && p.merged_at !== undefined,
      title: p.title,
      body: p.body ?? "",
      labels: p.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))),
      headSha: p.head.sha,
    }));
  }

  async createPullRequest(p: {
    branch: string;
    base: string;
    title: string;
    body: string;
    draft: boolean;
  }): Promise<number> {
    const { data } = await call("opening the pull request", () =>
      this.octokit.rest.pulls.create({
        ...this.where,
        head: p.branch,
        base: p.base,
        title: p.title,
        body: p.body,
        draft: p.draft,
      }),
    );
    return data.number;
  }

  /** Edits a pull request; answers with its state after the edit, as GitHub's answer to it says. */
  async updatePullRequest(
    number: number,
    p: { title?: string; body?: string; state?: "open" | "closed" },
  ): Promise<{ state: "open" | "closed" }> {
    const { data } = await call("updating the pull request", () =>
      this.octokit.rest.pulls.update({ ...this.where, pull_number: number, ...p }),
    );
    return { state: data.state === "closed" ? "closed" : "open" };
  }

  async addLabels(number: number, labels: readonly string[]): Promise<void> {
    if (labels.length > 0)
      await call("labelling the pull request", () =>
        this.octokit.rest.issues.addLabels({ ...this.where, issue_number: number, labels: [...labels] }),
      );
  }

  async comments(number: number): Promise<string[]> {
    const { data } = await call("reading comments", () =>
      this.octokit.rest.issues.listComments({
        ...this.where,
        issue_number: number,
        per_page: 100,
      }),
    );
    return listOf("reading comments", data).map((c) => c.body ?? "");
  }

  async comment(number: number, body: string): Promise<void> {
    await call("commenting", () =>
      this.octokit.rest.issues.createComment({ ...this.where, issue_number: number, body }),
    );
  }

  /** Open issues carrying `label`. */
  async openIssues(label: string): Promise<Issue[]> {
    const { data } = await call("listing issues", () =>
      this.octokit.rest.issues.listForRepo({
        ...this.where,
        state: "open",
        labels: label,
        per_page: 100,
      }),
    );
    return listOf("listing issues", data)
      .filter((i) => !i.pull_request)
      .map((i) => ({ number: i.number, title: i.title, body: i.body ?? "" }));
  }

  async createIssue(p: { title: string; body: string; labels: readonly string[] }): Promise<number> {
    const { data } = await call("opening an issue", () =>
      this.octokit.rest.issues.create({
        ...this.where,
        title: p.title,
        body: p.body,
        labels: [...p.labels],
      }),
    );
    return data.number;
  }

  async updateIssue(number: number, body: string): Promise<void> {
    await call("updating an issue", () =>
      this.octokit.rest.issues.update({ ...this.where, issue_number: number, body }),
    );
  }
}
