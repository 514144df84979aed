// `fleetfed sync` end to end: real git (a bare origin and a clone in temp dirs), the real Octokit against
// a local fake of GitHub's REST API, and the bundled example fleet as the repository's content.

import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GitHubFake, startGitHubFake } from "./support/github-fake.ts";
import { PROJECT_ROOT, runCli, writeFiles } from "./support/repo.ts";

const HUMAN = {
  GIT_AUTHOR_NAME: "Dana",
  GIT_AUTHOR_EMAIL: "dana@example.com",
  GIT_COMMITTER_NAME: "Dana",
  GIT_COMMITTER_EMAIL: "dana@example.com",
};
const ZONE = "examples/route53/Z0EXAMPLEPRIVATE1.json";

let dir: string;
let origin: string;
let work: string;
let fake: GitHubFake;
let outputs: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...HUMAN } }).trim();
}

async function sync(...args: string[]) {
  return runCli(["sync", ...args], {
    cwd: work,
    env: {
      GITHUB_TOKEN: "test-token",
      GITHUB_REPOSITORY: "acme/fleet",
      GITHUB_API_URL: fake.url,
      GITHUB_OUTPUT: outputs,
    },
  });
}

/** A person's commit on main, pushed: what sync must build on next. */
async function commitToMain(files: Record<string, string>, message = "edit") {
  git(work, "checkout", "-q", "main");
  git(work, "pull", "-q", "origin", "main");
  await writeFiles(work, files);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  git(work, "push", "-q", "origin", "main");
}

async function zoneWith(
  edit: (records: { Name: string; Type: string }[]) => { Name: string; Type: string }[],
) {
  const zone = JSON.parse(await readFile(join(PROJECT_ROOT, ZONE), "utf8"));
  zone.ResourceRecordSets = edit(zone.ResourceRecordSets);
  return JSON.stringify(zone, null, 2);
}
const withRecords = (...ids: string[]) =>
  zoneWith((r) => [
    ...r,
    ...ids.map((id) => ({ Name: `prometheus.${id}.internal.example.com.`, Type: "A" })),
  ]);
const addRecord = (id: string) => withRecords(id);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fleetfed-sync-test-"));
  origin = join(dir, "origin.git");
  work = join(dir, "work");
  outputs = join(dir, "github-output");
  await writeFile(outputs, "");
  git(dir, "init", "-q", "--bare", "-b", "main", origin);
  git(dir, "clone", "-q", origin, work);
  for (const path of ["fleet.yaml", "fleet.snapshot.json", "clusters", "examples", "manifests"]) {
    await cp(join(PROJECT_ROOT, path), join(work, path), { recursive: true });
  }
  // The example has a cluster Route 53 knows and the snapshot does not yet: start from a synced fleet.
  expect((await runCli(["sync", "--local", "--root", work])).code).toBe(0);
  await cp(join(work, ZONE), join(dir, "zone.json"));
  git(work, "checkout", "-q", "-b", "main");
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "fleet");
  git(work, "push", "-q", "-u", "origin", "main");
  fake = await startGitHubFake("acme", "fleet", origin);
});

afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const branchSha = () => {
  try {
    return git(origin, "rev-parse", "--verify", "--quiet", "refs/heads/fleetfed/sync");
  } catch {
    return undefined;
  }
};

describe("fleetfed sync", () => {
  it("does nothing when nothing changed: no branch, no pull request", async () => {
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("unchanged\n");
    expect(branchSha()).toBeUndefined();
    expect(fake.pulls).toEqual([]);
    expect(await readFile(outputs, "utf8")).toBe("pull-request-number=\noperation=unchanged\n");
  });

  it("creates the pull request, then leaves it alone while nothing changes, then updates the same one", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe("created #1\n");
    const pr = fake.pulls[0];
    expect(pr).toMatchObject({
      state: "open",
      draft: false,
      head: "fleetfed/sync",
      base: "main",
      title: "fleetfed: add 1 cluster",
    });
    expect(pr?.labels).toEqual(["automated", "monitoring"]);
    expect(pr?.body).toContain(
      "| `billing-eu` | `prometheus.billing-eu.internal.example.com:80` | leaf-002 | — |",
    );
    expect(await readFile(outputs, "utf8")).toBe("pull-request-number=1\noperation=created\n");
    // The branch is one bot commit on top of main, holding the snapshot and the rendered manifests.
    const sha = branchSha() as string;
    expect(git(origin, "rev-parse", `${sha}^`)).toBe(git(origin, "rev-parse", "main"));
    expect(git(origin, "log", "-1", "--format=%ae", sha)).toBe("fleetfed[bot]@users.noreply.github.com");
    expect(git(origin, "show", `${sha}:fleet.snapshot.json`)).toContain('"cluster": "billing-eu"');

    const again = await sync();
    expect(again.stdout).toBe("unchanged #1\n");
    expect(branchSha()).toBe(sha);
    expect(fake.requests.filter((r) => r.startsWith("PATCH"))).toEqual([]);

    await commitToMain({
      [ZONE]: await withRecords("billing-eu", "billing-prod"),
    });
    const updated = await sync();
    expect(updated.stdout).toBe("updated #1\n");
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]?.title).toBe("fleetfed: add 2 clusters");
    expect(git(origin, "rev-parse", `${branchSha()}^`)).toBe(git(origin, "rev-parse", "main"));
  });

  it("closes the pull request and deletes the branch when its change is no longer needed", async () => {
    const original = await readFile(join(work, ZONE), "utf8");
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    expect((await sync()).stdout).toBe("created #1\n");
    await commitToMain({ [ZONE]: original }, "revert the record");
    const r = await sync();
    expect(r.stdout).toBe("closed #1\n");
    expect(fake.pulls[0]?.state).toBe("closed");
    expect(fake.pulls[0]?.comments[0]).toMatch(/already matches Route 53/);
    expect(branchSha()).toBeUndefined();
  });

  it("rebuilds the branch on a base that moved", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    await commitToMain({ "README.md": "# our fleet\n" }, "unrelated change on main");
    const r = await sync();
    expect(r.stdout).toBe("updated #1\n");
    expect(git(origin, "rev-parse", `${branchSha()}^`)).toBe(git(origin, "rev-parse", "main"));
    expect(git(origin, "show", `${branchSha()}:README.md`)).toBe("# our fleet");
  });

  it("stops touching a branch a person committed to, and says so once", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    git(work, "fetch", "-q", "origin");
    git(work, "checkout", "-q", "-b", "fix", "origin/fleetfed/sync");
    await writeFiles(work, { "clusters/billing-eu.yaml": "cluster: billing-eu\nlabels: {team: orders}\n" });
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "label it");
    git(work, "push", "-q", "origin", "HEAD:refs/heads/fleetfed/sync");
    const human = branchSha();
    await commitToMain({
      [ZONE]: await withRecords("billing-eu", "billing-prod"),
    });
    for (let i = 0; i < 2; i++) {
      const r = await sync();
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        "refused: fleetfed/sync has commits by dana@example.com; fleetfed will not overwrite them\n",
      );
    }
    expect(branchSha()).toBe(human);
    expect(fake.pulls[0]?.comments.filter((c) => c.includes("commits by someone else"))).toHaveLength(1);
  });

  it("does not reopen a pull request a person closed, but opens a new one for a different change", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    (fake.pulls[0] as { state: string }).state = "closed";
    const r = await sync();
    expect(r.stdout).toBe("unchanged #1\n");
    expect(fake.pulls).toHaveLength(1);
    await commitToMain({
      [ZONE]: await withRecords("billing-eu", "billing-prod"),
    });
    expect((await sync()).stdout).toBe("created #2\n");
    expect(fake.pulls[0]?.state).toBe("closed");
  });

  it("leaves a pull request with the stop label frozen", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    fake.pulls[0]?.labels.push("fleetfed:stop");
    const before = branchSha();
    await commitToMain({
      [ZONE]: await withRecords("billing-eu", "billing-prod"),
    });
    expect((await sync()).stdout).toBe("unchanged #1\n");
    expect(branchSha()).toBe(before);
    expect(fake.pulls[0]?.title).toBe("fleetfed: add 1 cluster");
  });

  it("keeps labels a person added", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    fake.pulls[0]?.labels.push("needs-ops");
    await commitToMain({
      [ZONE]: await withRecords("billing-eu", "billing-prod"),
    });
    await sync();
    expect(fake.pulls[0]?.labels).toEqual(["automated", "monitoring", "needs-ops"]);
  });

  it("waits out a secondary rate limit", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    fake.secondaryRateLimit(1);
    const r = await sync();
    expect(r.stdout).toBe("created #1\n");
    expect(fake.requests.filter((x) => x === "GET /repos/acme/fleet/pulls").length).toBeGreaterThanOrEqual(2);
  });

  it("opens a draft labelled for review when removals exceed safety.maxRemovals", async () => {
    await commitToMain({
      "fleet.yaml": (await readFile(join(work, "fleet.yaml"), "utf8")).replace(
        "maxRemovals: 5",
        "maxRemovals: 1",
      ),
    });
    await commitToMain({
      [ZONE]: await zoneWith((rs) =>
        rs.filter((r) => !/prometheus\.(staging|search-prod|ci-runners)\./.test(r.Name)),
      ),
    });
    const r = await sync();
    expect(r.stdout, r.stderr).toBe("created #1\n");
    expect(fake.pulls[0]).toMatchObject({ draft: true });
    expect(fake.pulls[0]?.labels).toContain("fleetfed:needs-review");
    expect(fake.pulls[0]?.body.indexOf("[!CAUTION]")).toBeLessThan(
      fake.pulls[0]?.body.indexOf("### Removed (3)") ?? 0,
    );
  });

  it("refuses an empty discovery: no pull request, exit 1, and one issue however often it runs", async () => {
    await commitToMain({
      [ZONE]: await zoneWith((rs) => rs.filter((r) => !r.Name.startsWith("prometheus."))),
      "examples/route53/Z0EXAMPLEPRIVATE2.json": JSON.stringify({
        ResourceRecordSets: [{ Name: "eu.internal.example.com.", Type: "SOA" }],
      }),
    });
    for (let i = 0; i < 2; i++) {
      const r = await sync();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/refusing to remove them all/);
    }
    expect(fake.pulls).toEqual([]);
    expect(branchSha()).toBeUndefined();
    expect(fake.issues).toHaveLength(1);
    expect(fake.issues[0]).toMatchObject({
      title: "fleetfed: discovery found no clusters; sync refused",
      labels: ["fleetfed:refused"],
    });
  });

  it("needs a token and a repository to publish, and says how to preview instead", async () => {
    const r = await runCli(["sync"], { cwd: work, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sync needs GITHUB_TOKEN and GITHUB_REPOSITORY/);
  });
});
