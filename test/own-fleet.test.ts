// A fleet repository of one's own (SPEC §5.7): a copy of this repository whose example fleet is replaced
// by a team's own must keep its CI green — the tool's tests never read the root fleet. The copy runs its
// own `npm test` (every test but this one, which `npm run test:all` adds) and `fleetfed check`; a second
// copy goes through `fleetfed init` and must pass both too.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { PROJECT_ROOT, runCli, writeFiles } from "./support/repo.ts";

const INNER = process.env.FLEETFED_INNER_SUITE === "1";
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh copy of the repository as a team gets it: everything but node_modules and .git (linked, not copied). */
async function freshCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fleetfed-own-"));
  made.push(dir);
  const skip = new Set(["node_modules", ".git"]);
  for (const entry of await readdir(PROJECT_ROOT)) {
    if (skip.has(entry)) continue;
    await cp(join(PROJECT_ROOT, entry), join(dir, entry), {
      recursive: true,
      filter: (src) => !src.endsWith(join("infra", "node_modules")),
    });
  }
  await symlink(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  if (existsSync(join(PROJECT_ROOT, "infra", "node_modules")))
    await symlink(join(PROJECT_ROOT, "infra", "node_modules"), join(dir, "infra", "node_modules"));
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

const THREE_CLUSTERS = {
  "clusters/billing.yaml":
    "cluster: billing\nendpoint: prometheus.billing.corp.example:9090\nlabels: {team: payments}\n",
  "clusters/edge-1.yaml": "cluster: edge-1\nendpoint: 10.20.0.5:9090\nscheme: https\n",
  "clusters/lab.yaml": "cluster: lab\nendpoint: lab-prom.corp.example:9090\n",
};

/** The copy's own CI: `npm test` (which leaves this file out) and `fleetfed check`, both green. */
async function ciIn(root: string): Promise<void> {
  const check = await runCli(["check", "--root", root], { env: { CI: "true" } });
  expect(check.code, check.stderr).toBe(0);
  expect(check.stdout).toMatch(/^ok: 3 clusters, 2 leaf federator\(s\) \+ global/);
  const suite = await $({
    cwd: root,
    nothrow: true,
    quiet: true,
    env: { ...process.env, CI: "true", FLEETFED_INNER_SUITE: "1" },
  })`npm test`;
  expect(suite.exitCode, `${root}: ${suite.stdout.slice(-3000)}${suite.stderr.slice(-2000)}`).toBe(0);
}

describe.skipIf(INNER)("a fleet repository of one's own", () => {
  it("stays green, npm test and fleetfed check, with the example replaced by hand and through fleetfed init", async () => {
    // By hand: the example's inputs deleted, a fleet.yaml of one's own, three clusters.
    const byHand = await freshCopy();
    await rm(join(byHand, "clusters"), { recursive: true, force: true });
    await rm(join(byHand, "examples"), { recursive: true, force: true });
    await rm(join(byHand, "fleet.snapshot.json"), { force: true });
    await writeFiles(byHand, {
      "fleet.yaml":
        "discovery:\n  route53:\n    hostedZones: [corp.example.]\nfederation:\n  shardSize: 2\ndelivery:\n  repoURL: https://git.corp.example/platform/fleet.git\n",
      ...THREE_CLUSTERS,
    });
    const render = await runCli(["render", "--root", byHand]);
    expect(render.code, render.stderr).toBe(0);

    // Through init, on another fresh copy.
    const viaInit = await freshCopy();
    const init = await runCli([
      "init",
      "--root",
      viaInit,
      "--zones",
      "corp.example.,Z0123456789ABC",
      "--repo-url",
      "https://git.corp.example/platform/fleet.git",
      "--shard-size",
      "2",
    ]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(
      /^wrote fleet.yaml; removed the example's clusters\/ \(4 files\), examples\/ \(2 files\), fleet.snapshot.json; rendered manifests\//,
    );
    expect(init.stdout).toContain("Next steps:");
    expect(await readdir(viaInit)).not.toContain("examples");
    // Running it again would overwrite the team's fleet: refused without --force.
    const again = await runCli(["init", "--root", viaInit]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /fleet.yaml: is already a fleet of your own.*\(run fleetfed init --force to write a new one; your clusters\/ and snapshot are kept either way\)/,
    );
    await writeFiles(viaInit, THREE_CLUSTERS);
    expect((await runCli(["render", "--root", viaInit])).code).toBe(0);

    // One copy after the other: two suites of real servers at once on a small machine only measure its load.
    await ciIn(byHand);
    await ciIn(viaInit);
    // A hang guard, not a speed target: each copy's suite takes 6-8 minutes on a busy 2-core machine (the
    // remote-write end-to-end test alone 4); 15 minutes for both failed once under a CPU-bound neighbour.
  }, 2_400_000);
});
