// A local fake of the GitHub REST endpoints fleetfed uses, for the real Octokit through GITHUB_API_URL.
// Branches are read from a real bare repository, so "No commits between" and head SHAs are true.
// It listens on 127.0.0.1 only and closes itself after ten minutes at the latest.

import { execFileSync } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { listenLocal } from "./server.ts";

export interface FakePull {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  draft: boolean;
  title: string;
  body: string;
  head: string;
  base: string;
  labels: string[];
  comments: string[];
}

export interface FakeIssue {
  number: number;
  state: "open" | "closed";
  title: string;
  body: string;
  labels: string[];
}

export interface GitHubFake {
  url: string;
  pulls: FakePull[];
  issues: FakeIssue[];
  requests: string[];
  /** The next `n` requests get a secondary rate limit (403 with retry-after). */
  secondaryRateLimit(n: number): void;
  /**
   * The next `n` requests on `route` (e.g. "POST /pulls", "*" for any) answer `status` with GitHub's error
   * body. 5xx are retried by Octokit, so a persistent 500 needs n larger than its retries. Status 200
   * answers an HTML page instead, as a proxy in GitHub's place does.
   */
  fail(route: string, status: number, message: string, n?: number): void;
  /**
   * A person closes pull request `n` the moment the next edit of it arrives: GitHub applies the edit to
   * the closed pull request and answers with its state, closed.
   */
  closeOnNextEdit(n: number): void;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {}));
  });
}

export async function startGitHubFake(owner: string, repo: string, bareRepo: string): Promise<GitHubFake> {
  const pulls: FakePull[] = [];
  const issues: FakeIssue[] = [];
  const requests: string[] = [];
  let limited = 0;
  const failures: { route: string; status: number; message: string; left: number }[] = [];
  let next = 1;
  const closingOnEdit = new Set<number>();
  const sha = (branch: string) => {
    try {
      return execFileSync(
        "git",
        ["-C", bareRepo, "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`],
        { encoding: "utf8" },
      ).trim();
    } catch {
      return undefined;
    }
  };
  const pullJson = (p: FakePull) => ({
    number: p.number,
    state: p.state,
    draft: p.draft,
    merged_at: p.merged ? "2026-01-01T00:00:00Z" : null,
    title: p.title,
    body: p.body,
    labels: p.labels.map((name) => ({ name })),
    head: { ref: p.head, sha: sha(p.head) ?? "0".repeat(40), label: `${owner}:${p.head}` },
    base: { ref: p.base },
    html_url: `https://github.example/${owner}/${repo}/pull/${p.number}`,
  });
  const prefix = `/repos/${owner}/${repo}`;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(data));
    };
    if (limited > 0) {
      limited--;
      return send(
        403,
        {
          message:
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        },
        { "retry-after": "1" },
      );
    }
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : undefined;
    const q = url.searchParams;
    // Routes with the number taken out: "PATCH /pulls/:n" and the like.
    const route = `${req.method} ${(path ?? "").replace(/\/\d+/g, "/:n")}`;
    const failure = failures.find((f) => f.left > 0 && (f.route === "*" || f.route === route));
    if (failure) {
      failure.left--;
      if (failure.status === 200) {
        // What a proxy or captive portal answers in GitHub's place: a page, not GitHub's JSON.
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        return res.end(`<!doctype html><html><body>${failure.message}</body></html>`);
      }
      return send(failure.status, {
        message: failure.message,
        documentation_url: "https://docs.github.com/rest",
        status: String(failure.status),
      });
    }
    const n = Number(/\/(\d+)/.exec(path ?? "")?.[1]);
    if (path === "/pulls" && req.method === "GET") {
      const head = q.get("head")?.split(":")[1];
      const state = q.get("state") ?? "open";
      const list = pulls.filter(
        (p) =>
          (!head || p.head === head) &&
          (!q.get("base") || p.base === q.get("base")) &&
          (state === "all" || p.state === state),
      );
      return send(200, list.sort((a, b) => b.number - a.number).map(pullJson));
    }
    if (path === "/pulls" && req.method === "POST") {
      const b = await body(req);
      const head = String(b.head);
      const base = String(b.base);
      if (pulls.some((p) => p.state === "open" && p.head === head && p.base === base)) {
        return send(422, {
          message: "Validation Failed",
          errors: [
            {
              resource: "PullRequest",
              code: "custom",
              message: `A pull request already exists for ${owner}:${head}.`,
            },
          ],
        });
      }
      if (!sha(head) || sha(head) === sha(base)) {
        return send(422, {
          message: "Validation Failed",
          errors: [
            { resource: "PullRequest", code: "custom", message: `No commits between ${base} and ${head}` },
          ],
        });
      }
      const pr: FakePull = {
        number: next++,
        state: "open",
        merged: false,
        draft: b.draft === true,
        title: String(b.title),
        body: String(b.body ?? ""),
        head,
        base,
        labels: [],
        comments: [],
      };
      pulls.push(pr);
      return send(201, pullJson(pr));
    }
    if (route === "PATCH /pulls/:n") {
      const pr = pulls.find((p) => p.number === n);
      if (!pr) return send(404, { message: "Not Found" });
      const b = await body(req);
      if (closingOnEdit.delete(pr.number) && b.state === undefined) pr.state = "closed";
      if (typeof b.title === "string") pr.title = b.title;
      if (typeof b.body === "string") pr.body = b.body;
      if (b.state === "closed" || b.state === "open") pr.state = b.state;
      return send(200, pullJson(pr));
    }
    if (route === "POST /issues/:n/labels") {
      const target = pulls.find((p) => p.number === n) ?? issues.find((i) => i.number === n);
      if (!target) return send(404, { message: "Not Found" });
      const b = await body(req);
      for (const l of b.labels as string[]) if (!target.labels.includes(l)) target.labels.push(l);
      return send(
        200,
        target.labels.map((name) => ({ name })),
      );
    }
    if (route === "GET /issues/:n/comments" || route === "POST /issues/:n/comments") {
      const pr = pulls.find((p) => p.number === n);
      if (!pr) return send(404, { message: "Not Found" });
      if (req.method === "GET")
        return send(
          200,
          pr.comments.map((c, i) => ({ id: i + 1, body: c })),
        );
      const b = await body(req);
      pr.comments.push(String(b.body));
      return send(201, { id: pr.comments.length, body: b.body });
    }
    if (path === "/issues" && req.method === "GET") {
      // Real GitHub lists pull requests among issues, marked by a pull_request key.
      const label = q.get("labels");
      const state = q.get("state") ?? "open";
      const wanted = (x: { state: string; labels: string[] }) =>
        x.state === state && (!label || x.labels.includes(label));
      return send(200, [
        ...issues.filter(wanted).map((i) => ({ ...i, labels: i.labels.map((name) => ({ name })) })),
        ...pulls.filter(wanted).map((p) => ({
          number: p.number,
          state: p.state,
          title: p.title,
          body: p.body,
          labels: p.labels.map((name) => ({ name })),
          pull_request: { url: `${prefix}/pulls/${p.number}` },
        })),
      ]);
    }
    if (path === "/issues" && req.method === "POST") {
      const b = await body(req);
      const issue: FakeIssue = {
        number: next++,
        state: "open",
        title: String(b.title),
        body: String(b.body ?? ""),
        labels: (b.labels as string[]) ?? [],
      };
      issues.push(issue);
      return send(201, { ...issue, labels: issue.labels.map((name) => ({ name })) });
    }
    if (route === "PATCH /issues/:n") {
      const issue = issues.find((i) => i.number === n);
      if (!issue) return send(404, { message: "Not Found" });
      const b = await body(req);
      if (typeof b.body === "string") issue.body = b.body;
      if (b.state === "closed") issue.state = "closed";
      return send(200, { ...issue, labels: issue.labels.map((name) => ({ name })) });
    }
    send(404, { message: `fake does not implement ${req.method} ${url.pathname}` });
  });
  const { url, close } = await listenLocal(server);
  return {
    url,
    pulls,
    issues,
    requests,
    secondaryRateLimit: (n) => {
      limited = n;
    },
    fail: (route, status, message, n = 1) => {
      failures.push({ route, status, message, left: n });
    },
    closeOnNextEdit: (n) => {
      closingOnEdit.add(n);
    },
    close,
  };
}
