// `fleetfed sync` end to end: real git (a bare origin and a clone in temp dirs), the real Octokit against
// a local fake of GitHub's REST API, and the bundled example fleet as the repository's content.

import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Context } from "../scripts/commands/context.ts";
import { publishAndReport } from "../scripts/commands/sync.ts";
import { FleetfedError, formatProblem } from "../scripts/core/errors.ts";
import { Git } from "../scripts/io/git.ts";
import { GitHub } from "../scripts/io/github.ts";
import { createReporter } from "../scripts/io/terminal.ts";
import { type GitHubFake, startGitHubFake } from "./support/github-fake.ts";
import { EXAMPLE_FLEET, runCli, writeFiles } from "./support/repo.ts";
import {
  type EmulatedRecord,
  type EmulatedZone,
  type Route53Emulator,
  startRoute53Emulator,
} from "./support/route53-emulator.ts";

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
      // GitHub's one write a second, shortened for the local fake.
      FLEETFED_GITHUB_WRITE_SPACING_MS: "10",
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

/** A sync opens #1 for billing-eu, then a person labels the cluster on the bot's branch; their commit. */
async function personCommitsOnOpenPullRequest(): Promise<string | undefined> {
  await commitToMain({ [ZONE]: await addRecord("billing-eu") });
  await sync();
  await commitToSyncBranch(
    { "clusters/billing-eu.yaml": "cluster: billing-eu\nlabels: {team: orders}\n" },
    "label it",
  );
  return branchSha();
}

/** A person's commit on the bot's branch, pushed: what sync must never overwrite. */
async function commitToSyncBranch(files: Record<string, string>, message: string) {
  git(work, "fetch", "-q", "origin");
  git(work, "checkout", "-q", "-B", "person", "origin/fleetfed/sync");
  await writeFiles(work, files);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  git(work, "push", "-q", "origin", "HEAD:refs/heads/fleetfed/sync");
}

async function zoneWith(
  edit: (records: { Name: string; Type: string }[]) => { Name: string; Type: string }[],
) {
  const zone = JSON.parse(await readFile(join(EXAMPLE_FLEET, ZONE), "utf8"));
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
    await cp(join(EXAMPLE_FLEET, path), join(work, path), { recursive: true });
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

/** One publish, in-process, with the given Git and a GitHub client whose retries are shortened. */
async function publishOnce(repo = new Git(work), wrap: (client: GitHub) => GitHub = (c) => c) {
  let stdout = "";
  let stderr = "";
  const ctx: Context = {
    root: work,
    out: (t) => {
      stdout += t;
    },
    report: createReporter(
      {
        write: (t: string) => {
          stderr += t;
          return true;
        },
      } as NodeJS.WritableStream,
      false,
    ),
    env: {
      ci: true,
      awsRegion: "us-east-1",
      github: { token: "t", repository: "acme/fleet", apiUrl: fake.url },
    },
  };
  // One retry after 1 ms: the behaviour of Octokit's retries without their 1 + 4 + 9 s of waiting.
  const client = new GitHub({
    token: "t",
    repository: "acme/fleet",
    apiUrl: fake.url,
    retry: { retries: 1, baseMs: 1 },
    writeSpacingMs: 10,
  });
  try {
    return { code: await publishAndReport(ctx, repo, wrap(client)), stdout, stderr };
  } catch (e) {
    if (!(e instanceof FleetfedError)) throw e;
    for (const p of e.problems) stderr += `error: ${formatProblem(p)}\n`;
    return { code: e.exitCode, stdout, stderr };
  }
}

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
    const human = await personCommitsOnOpenPullRequest();
    await commitToMain({
      [ZONE]: await withRecords("billing-eu", "billing-prod"),
    });
    for (let i = 0; i < 2; i++) {
      const r = await sync();
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        "stood down #1: fleetfed/sync has commits by dana@example.com; fleetfed will not overwrite or delete them\n",
      );
    }
    expect(branchSha()).toBe(human);
    expect(fake.pulls[0]?.comments.filter((c) => c.includes("commits by someone else"))).toHaveLength(1);
  });

  it("treats the bot's commit a person amended (the bot still its author) as the person's: never pushed over (#21.4)", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    git(work, "fetch", "-q", "origin");
    git(work, "checkout", "-q", "-B", "person", "origin/fleetfed/sync");
    await writeFiles(work, { "clusters/billing-eu.yaml": "cluster: billing-eu\nlabels: {team: orders}\n" });
    git(work, "add", "-A");
    // Only the committer is the person: --amend keeps the bot as the author.
    execFileSync("git", ["commit", "-q", "--amend", "--no-edit"], {
      cwd: work,
      env: { ...process.env, GIT_COMMITTER_NAME: "Dana", GIT_COMMITTER_EMAIL: "dana@example.com" },
    });
    git(work, "push", "-q", "-f", "origin", "HEAD:refs/heads/fleetfed/sync");
    const amended = branchSha() as string;
    expect(git(origin, "log", "-1", "--format=%ae %ce", amended)).toBe(
      "fleetfed[bot]@users.noreply.github.com dana@example.com",
    );
    await commitToMain({ [ZONE]: await withRecords("billing-eu", "billing-prod") });
    const r = await sync();
    expect(r.stdout).toBe(
      "stood down #1: fleetfed/sync has commits by dana@example.com; fleetfed will not overwrite or delete them\n",
    );
    expect(branchSha()).toBe(amended);
  });

  it("pushes and re-describes a change Route 53 made while main did not move (#24, sync.ts:312 and :326)", async () => {
    // main reads the Route 53 API (the emulator) instead of the exports, so Route 53 can change alone.
    const fleetYaml = (await readFile(join(work, "fleet.yaml"), "utf8")).replace(
      /^ +exports: examples\/route53\n/m,
      "",
    );
    await commitToMain({ "fleet.yaml": fleetYaml });
    const mainSha = git(origin, "rev-parse", "main");
    /** The example's two exported zones as Route 53 serves them, with `extra` clusters in the first. */
    const zones = async (...extra: string[]): Promise<EmulatedZone[]> =>
      Promise.all(
        ["Z0EXAMPLEPRIVATE1", "Z0EXAMPLEPRIVATE2"].map(async (id) => {
          const sets = JSON.parse(await readFile(join(work, "examples", "route53", `${id}.json`), "utf8"))
            .ResourceRecordSets as {
            Name: string;
            Type: string;
            TTL?: number;
            SetIdentifier?: string;
            Weight?: number;
            ResourceRecords?: { Value: string }[];
            AliasTarget?: { HostedZoneId: string; DNSName: string };
          }[];
          const records: EmulatedRecord[] = sets.map((r) => ({
            Name: r.Name,
            Type: r.Type,
            ...(r.TTL !== undefined && { TTL: r.TTL }),
            ...(r.SetIdentifier !== undefined && { SetIdentifier: r.SetIdentifier }),
            ...(r.Weight !== undefined && { Weight: r.Weight }),
            ...(r.ResourceRecords && { Values: r.ResourceRecords.map((v) => v.Value) }),
            ...(r.AliasTarget && { Alias: r.AliasTarget }),
          }));
          if (id === "Z0EXAMPLEPRIVATE1")
            for (const c of extra) records.push({ Name: `prometheus.${c}.internal.example.com.`, Type: "A" });
          return { id, name: sets.find((r) => r.Type === "SOA")?.Name as string, private: true, records };
        }),
      );
    const saved = { ...process.env };
    const emulators: Route53Emulator[] = [];
    const serve = async (...extra: string[]) => {
      const e = await startRoute53Emulator(await zones(...extra));
      emulators.push(e);
      process.env.AWS_ENDPOINT_URL_ROUTE_53 = e.url;
    };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "AKIAEMULATOR",
      AWS_SECRET_ACCESS_KEY: "emulator-secret",
    });
    try {
      await serve("billing-eu");
      expect((await sync()).stdout).toBe("created #1\n");
      const first = branchSha();
      expect(fake.pulls[0]?.body).not.toMatch(/billing-prod/);
      // Another cluster instead: the title ("add 1 cluster") stays, only the body and the branch change.
      await serve("billing-prod");
      const r = await sync();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe("updated #1\n");
      expect(git(origin, "rev-parse", "main")).toBe(mainSha);
      // The branch holds the new proposal, and the description says what the branch holds.
      expect(branchSha()).not.toBe(first);
      expect(git(origin, "show", `${branchSha()}:fleet.snapshot.json`)).toMatch(/"cluster": "billing-prod"/);
      expect(fake.pulls[0]?.body).toMatch(/billing-prod/);
      expect(fake.pulls[0]?.body).not.toMatch(/billing-eu/);
    } finally {
      process.env = saved;
      for (const e of emulators) await e.close();
    }
  });

  it("does not reopen a pull request a person closed, but opens a new one for a different change", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    (fake.pulls[0] as { state: string }).state = "closed";
    const r = await sync();
    expect(r.stdout).toBe(
      "stood down #1: a person closed it with exactly this change; fleetfed does not reopen it\n",
    );
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
    expect((await sync()).stdout).toBe("stood down #1: it has the fleetfed:stop label\n");
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
    // Without the limit a run lists pull requests twice (open, then closed); the limited call is repeated.
    expect(fake.requests.filter((x) => x === "GET /repos/acme/fleet/pulls")).toHaveLength(3);
    expect(r.stderr).toMatch(/GitHub secondary rate limit on GET .*retrying in 1 s/);
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
    const body = fake.pulls[0]?.body ?? "";
    expect(body.indexOf("> [!CAUTION]")).toBeGreaterThanOrEqual(0);
    expect(body.indexOf("> [!CAUTION]")).toBeLessThan(body.indexOf("### Removed (3)"));
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

  it("keeps a person's commit, branch and pull request when the bot's own change vanishes", async () => {
    const original = await readFile(join(work, ZONE), "utf8");
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    expect((await sync()).stdout).toBe("created #1\n");
    await commitToSyncBranch(
      { "clusters/legacy-dc9.yaml": "cluster: legacy-dc9\nendpoint: 10.9.0.1:9090\n" },
      "add legacy-dc9 by hand",
    );
    const human = branchSha();
    // Route 53 returns to what main already has: the bot's change is gone, the person's is not.
    await commitToMain({ [ZONE]: original }, "revert the record");
    for (let i = 0; i < 2; i++) {
      const r = await sync();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^stood down #1: fleetfed\/sync has commits by dana@example\.com/);
    }
    expect(branchSha()).toBe(human);
    expect(git(origin, "log", "-1", "--format=%s", "refs/heads/fleetfed/sync")).toBe(
      "add legacy-dc9 by hand",
    );
    expect(fake.pulls[0]?.state).toBe("open");
    expect(fake.pulls[0]?.comments).toHaveLength(1);
    expect(fake.pulls[0]?.comments[0]).toMatch(/will not overwrite or delete them/);
  });

  it.each([1, 2, 3])(
    "lets two syncs started together open one pull request, each exit 0 in one line (race %i, #21.14)",
    async () => {
      await commitToMain({ [ZONE]: await addRecord("billing-eu") });
      // A second runner: its own clone, as two Actions jobs have.
      const other = join(dir, "other");
      git(dir, "clone", "-q", origin, other);
      const run = (cwd: string) =>
        runCli(["sync"], {
          cwd,
          env: { GITHUB_TOKEN: "t", GITHUB_REPOSITORY: "acme/fleet", GITHUB_API_URL: fake.url },
        });
      const results = await Promise.all([run(work), run(other)]);
      expect(fake.pulls).toHaveLength(1);
      for (const r of results) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at |GitError|internal error/);
      }
      expect(
        results
          .map((r) => r.stdout)
          .sort()
          .join(""),
      ).toMatch(/created #1\n|stood down( #1)?: another sync .* meanwhile; nothing written\n/);
    },
  );

  it("stands down, exit 0, on GitHub's real 422 when another sync opened the pull request first (#21.14)", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    expect((await sync()).stdout).toBe("created #1\n");
    // This run listed the open pull requests just before the other run opened #1.
    const r = await publishOnce(new Git(work), (client) =>
      Object.assign(Object.create(client), {
        pullRequests: async (branch: string, base: string, state: "open" | "closed") =>
          state === "open" ? [] : client.pullRequests(branch, base, state),
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      "stood down: another sync opened the pull request for fleetfed/sync meanwhile; nothing written\n",
    );
    expect(fake.pulls).toHaveLength(1);
  });

  it("never rewrites a pull request a person closed just before sync edits it; the change gets a new one (#21.15)", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    const first = fake.pulls[0] as { state: string; body: string; title: string };
    const closedText = `${first.title}\n${first.body}`;
    await commitToMain({ [ZONE]: await withRecords("billing-eu", "billing-prod") });
    // Closed by a person right after this run listed it as open.
    let listed = false;
    const r = await publishOnce(new Git(work), (client) =>
      Object.assign(Object.create(client), {
        pullRequests: async (branch: string, base: string, state: "open" | "closed") => {
          const found = await client.pullRequests(branch, base, state);
          if (state === "open" && !listed) {
            listed = true;
            first.state = "closed";
          }
          return found;
        },
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("created #2\n");
    expect(`${first.title}\n${first.body}`).toBe(closedText);
    expect(fake.pulls.map((p) => p.state)).toEqual(["closed", "open"]);
  });

  it("puts back the title and body of a pull request a person closed the moment sync edited it, and proposes the change anew (#31)", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await sync();
    const first = fake.pulls[0] as { state: string; body: string; title: string };
    const closedText = `${first.title}\n${first.body}`;
    await commitToMain({ [ZONE]: await withRecords("billing-eu", "billing-prod") });
    // Listed as open, closed by a person in the instant sync's edit arrives: GitHub applies the edit to
    // the closed pull request and answers with state closed.
    fake.closeOnNextEdit(1);
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("created #2\n");
    expect(first.state).toBe("closed");
    expect(`${first.title}\n${first.body}`).toBe(closedText);
    expect(fake.pulls.map((p) => p.state)).toEqual(["closed", "open"]);
    expect(fake.pulls[1]?.body).toMatch(/billing-prod/);
    // The next run reads #1 as closed with the first change only, and leaves #2 as it is.
    const again = await sync();
    expect(again.stdout).toBe("unchanged #2\n");
  });

  it("resumes on a later, different change after a person's commit and the pull request closed (#21.15)", async () => {
    const human = await personCommitsOnOpenPullRequest();
    expect((await sync()).stdout).toMatch(/^stood down #1: fleetfed\/sync has commits by dana@example.com/);
    (fake.pulls[0] as { state: string }).state = "closed";
    // The person's commits stay reachable: the closed pull request's head holds them.
    expect(fake.pulls[0]?.head).toBe("fleetfed/sync");
    await commitToMain({ [ZONE]: await withRecords("billing-eu", "billing-prod") });
    const r = await sync();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("created #2\n");
    expect(branchSha()).not.toBe(human);
    expect(git(origin, "cat-file", "-t", human as string)).toBe("commit");
  });

  it("says in one line, exit 1, that it opened the pull request but could not write $GITHUB_OUTPUT (#21.11)", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    await rm(outputs);
    await mkdir(outputs);
    const r = await sync();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("created #1\n");
    expect(r.stderr).toMatch(/^error: created #1, but could not write \$GITHUB_OUTPUT \(EISDIR\)/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(fake.pulls).toHaveLength(1);
  });

  it("answers an HTML page in place of GitHub's list in one line, exit 1 (#21.11)", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    fake.fail("GET /pulls", 200, "Please sign in to the proxy", 1);
    const r = await sync();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: GitHub: listing pull requests failed: the answer was not GitHub's .*GITHUB_API_URL/m,
    );
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("stands down in one line when another sync moved the branch between its fetch and its push", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    // The other run pushes exactly between this run's fetch and its push.
    class RacedGit extends Git {
      override async pushWithLease(commit: string, branch: string, expected: string | undefined) {
        git(origin, "update-ref", `refs/heads/${branch}`, git(origin, "rev-parse", "main"));
        return super.pushWithLease(commit, branch, expected);
      }
    }
    const r = await publishOnce(new RacedGit(work));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("stood down: another sync updated fleetfed/sync meanwhile; nothing written\n");
    expect(branchSha()).toBe(git(origin, "rev-parse", "main"));
    expect(fake.pulls).toHaveLength(0);
  });

  it.each([
    [
      "*",
      401,
      "Bad credentials",
      /GitHub: listing pull requests failed \(HTTP 401\): Bad credentials \(the token is missing, expired or wrong/,
    ],
    [
      "POST /pulls",
      403,
      "Resource not accessible by integration",
      /GitHub: opening the pull request .*failed \(HTTP 403\): Resource not accessible by integration \(the token may not do this/,
    ],
  ] as const)("reports %s → HTTP %i in one line, exit 1", async (route, status, message, says) => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    fake.fail(route, status, message, 10);
    const r = await sync();
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(says);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a 500 on opening the PR after the push in one line, and the next run opens it", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    fake.fail("POST /pulls", 500, "Server Error", 2);
    const r = await publishOnce();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: GitHub: opening the pull request \(fleetfed\/sync was pushed; the next run opens it\) failed \(HTTP 500\): Server Error \(GitHub failed after retries/m,
    );
    expect(branchSha()).toBeDefined();
    expect(fake.pulls).toHaveLength(0);
    expect((await sync()).stdout).toBe("created #1\n");
  });

  it("reports a push that origin refuses (branch protection) in one line, exit 1", async () => {
    await commitToMain({ [ZONE]: await addRecord("billing-eu") });
    const hook = join(origin, "hooks", "pre-receive");
    await writeFile(
      hook,
      '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/fleetfed/sync." >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const r = await sync();
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /git push failed: .*(GH006: Protected branch update failed|pre-receive hook declined)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fake.pulls).toHaveLength(0);
  });

  it("reports an unreachable origin in one line, exit 1", async () => {
    git(work, "remote", "set-url", "origin", join(dir, "gone.git"));
    const r = await sync();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: git fetch failed: .*(does not appear to be a git repository|Could not read)/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("needs a token and a repository to publish, and says how to preview instead", async () => {
    const r = await runCli(["sync"], { cwd: work, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sync needs GITHUB_TOKEN and GITHUB_REPOSITORY/);
  });
});
