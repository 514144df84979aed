// Writes that converge: `render` and `sync --local` killed at random points (SIGKILL, as a cancelled job
// or an OOM kill does) never leave a repository without manifests/, and the next run finishes the job,
// leaving exactly a fresh render and no leftovers.

import { spawn } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderFleet, writingMark } from "../scripts/core/fleet.ts";
import { WRITING_MARK } from "../scripts/core/layout.ts";
import { readTree } from "../scripts/io/files.ts";
import { loadInputs } from "../scripts/io/inputs.ts";
import { exportZone, numberedIds } from "./support/fleet.ts";
import { digestTree, makeRepo, PROJECT_ROOT, runCli, snapshotJson, writeFiles } from "./support/repo.ts";

const KILLS = 20;
const CLI = join(PROJECT_ROOT, "scripts", "fleetfed.js");

/** Runs the CLI as a real process and kills it after `ms`; resolves when it is gone. */
function killAfter(args: string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Leftovers an interrupted write could leave: temporary files inside, staging folders beside. */
async function leftovers(root: string): Promise<string[]> {
  const beside = (await readdir(root)).filter((n) => n.startsWith("manifests.") || n.includes(".fleetfed-"));
  const inside = [...(await readTree(join(root, "manifests"))).keys()].filter((p) =>
    p.includes(".fleetfed-"),
  );
  return [...beside, ...inside];
}

async function expectFresh(root: string) {
  const inputs = await loadInputs(root);
  const fresh = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles).tree;
  const onDisk = await readTree(join(root, "manifests"));
  expect([...onDisk.keys()]).toEqual([...fresh.keys()]);
  for (const [path, content] of fresh) expect(onDisk.get(path), path).toBe(content);
  expect(await leftovers(root)).toEqual([]);
}

/** Random kill points spread over the run, from start-up to the last write. */
const killPoints = (n: number, upTo: number) =>
  Array.from({ length: n }, (_, i) => Math.round(((i + Math.random()) / n) * upTo));

describe("interrupted writes converge", () => {
  it(`render killed at ${KILLS} random points: manifests/ always present, a re-run leaves a fresh render`, async () => {
    const ids = numberedIds(400);
    const root = await makeRepo({
      "fleet.yaml": "federation:\n  shardSize: 10\n",
      "fleet.snapshot.json": snapshotJson(ids),
    });
    for (const ms of killPoints(KILLS, 900)) {
      // Start each round from another interval's manifests/, so the render has every leaf to rewrite.
      await writeFiles(root, { "fleet.yaml": "federation:\n  shardSize: 10\n  scrapeInterval: 60s\n" });
      expect((await runCli(["render", "--root", root])).code).toBe(0);
      await writeFiles(root, { "fleet.yaml": "federation:\n  shardSize: 10\n" });
      await killAfter(["render", "--root", root], ms);
      expect((await readdir(root)).includes("manifests"), `killed after ${ms} ms`).toBe(true);
      const again = await runCli(["render", "--root", root]);
      expect(again.code, again.stderr).toBe(0);
      await expectFresh(root);
      expect((await runCli(["render", "--root", root])).stdout).toMatch(/^manifests\/ unchanged/);
    }
  }, 120_000);

  it(`sync --local killed at ${KILLS} random points: the snapshot is written last, a re-run completes it`, async () => {
    const zone = (ids: string[]) =>
      JSON.stringify({
        ResourceRecordSets: [
          { Name: "internal.example.com.", Type: "SOA" },
          { Name: "internal.example.com.", Type: "NS" },
          ...ids.map((id) => ({ Name: `prometheus.${id}.internal.example.com.`, Type: "A" })),
        ],
      });
    const root = await makeRepo({
      "fleet.yaml":
        "discovery:\n  route53:\n    exports: exports\nfederation:\n  shardSize: 10\nsafety:\n  maxRemovals: 1000\n",
    });
    for (const [round, ms] of killPoints(KILLS, 900).entries()) {
      // Each round discovers a different fleet than the one synced before it.
      await writeFiles(root, {
        "exports/Z1.json": zone(numberedIds(300 + (round % 2) * 50, `r${round % 2}c`)),
      });
      expect((await runCli(["sync", "--local", "--root", root])).code).toBe(0);
      await writeFiles(root, {
        "exports/Z1.json": zone(numberedIds(300 + ((round + 1) % 2) * 50, `r${(round + 1) % 2}c`)),
      });
      const before = await digestTree(join(root, "manifests"));
      await killAfter(["sync", "--local", "--root", root], ms);
      expect((await readdir(root)).includes("manifests"), `killed after ${ms} ms`).toBe(true);
      const again = await runCli(["sync", "--local", "--root", root]);
      expect(again.code, again.stderr).toBe(0);
      // The fleet changed, so the completed write is not the manifests/ it started from.
      expect(await digestTree(join(root, "manifests"))).not.toBe(before);
      await expectFresh(root);
      const settled = await runCli(["sync", "--local", "--root", root]);
      expect(settled.stdout).toMatch(/^unchanged\n/);
    }
  }, 120_000);

  it("never reshuffles placement after an interrupted write of 3,020 hand-written clusters (#21.13)", async () => {
    const files: Record<string, string> = { "fleet.yaml": "federation:\n  shardSize: 50\n" };
    const cluster = (id: string) => ({
      [`clusters/${id}.yaml`]: `cluster: ${id}\nendpoint: prometheus.${id}.example.com:9090\n`,
    });
    for (let i = 0; i < 3000; i++) Object.assign(files, cluster(`z-${String(i).padStart(4, "0")}`));
    const root = await makeRepo(files);
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    // Twenty clusters added at the front of the order: placed afresh, they would move everyone.
    for (let i = 0; i < 20; i++) await writeFiles(root, cluster(`a-${String(i).padStart(2, "0")}`));
    const inputs = await loadInputs(root);
    const before = await readTree(join(root, "manifests"));
    const expected = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, before);
    // The interrupted run wrote its mark and then one of the files it had to change, and was killed.
    const changed = [...expected.tree].filter(([path, content]) => before.get(path) !== content);
    expect(changed.length).toBeGreaterThan(1);
    await writeFiles(root, {
      [`manifests/${WRITING_MARK}`]: writingMark(expected.plan),
      ...Object.fromEntries(changed.slice(0, 1).map(([path, content]) => [`manifests/${path}`, content])),
    });
    const again = await runCli(["render", "--root", root]);
    expect(again.code, again.stderr).toBe(0);
    const onDisk = await readTree(join(root, "manifests"));
    expect([...onDisk.keys()]).toEqual([...expected.tree.keys()]);
    for (const [path, content] of expected.tree) expect(onDisk.get(path), path).toBe(content);
    // z-0000 stayed on leaf-000, where it has been since the first render.
    expect(onDisk.get("federation/leaf-000/prometheus.yml")).toContain("cluster: z-0000\n");
  }, 60_000);

  it("does not trust a mark naming a leaf no run would open: no leaf-999, and a warning that names it (#31)", async () => {
    const files: Record<string, string> = { "fleet.yaml": "federation:\n  shardSize: 2\n" };
    for (const id of ["a", "b", "c"])
      files[`clusters/${id}.yaml`] = `cluster: ${id}\nendpoint: prometheus.${id}.example.com:9090\n`;
    const root = await makeRepo(files);
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    await writeFiles(root, {
      "clusters/d.yaml": "cluster: d\nendpoint: prometheus.d.example.com:9090\n",
      [`manifests/${WRITING_MARK}`]: `${JSON.stringify({ placement: { "leaf-000": ["a", "b"], "leaf-999": ["c", "d"] } })}\n`,
    });
    const r = await runCli(["render", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: manifests\/\.fleetfed-writing: names leaf-999, which neither the snapshot nor manifests\/ has and no run would open, so its placement is not used/m,
    );
    const tree = await readTree(join(root, "manifests"));
    expect([...tree.keys()].some((p) => p.includes("leaf-999"))).toBe(false);
    expect(tree.get("federation/leaf-001/prometheus.yml")).toContain("cluster: c\n");
  });

  it("completes, from the mark it wrote, a sync --local whose write of manifests/ failed part-way (#31)", async () => {
    const files: Record<string, string> = {
      "fleet.yaml": "discovery:\n  route53:\n    exports: exports\nfederation:\n  shardSize: 2\n",
      "exports/Z1.json": exportZone(["c1", "c2", "c3"]),
    };
    const root = await makeRepo(files);
    expect((await runCli(["sync", "--local", "--root", root])).code).toBe(0);
    // Two clusters join: leaf-001 fills and leaf-002 opens. A file where leaf-002's folder must go makes
    // the write fail after the mark and some files are written.
    await writeFiles(root, {
      "exports/Z1.json": exportZone(["c1", "c2", "c3", "c4", "c5"]),
      "manifests/federation/leaf-002": "in the way\n",
    });
    const failed = await runCli(["sync", "--local", "--root", root]);
    expect(failed.code).toBe(1);
    const mark = (await readTree(join(root, "manifests"))).get(WRITING_MARK) as string;
    expect(JSON.parse(mark).placement).toEqual({
      "leaf-000": ["c1", "c2"],
      "leaf-001": ["c3", "c4"],
      "leaf-002": ["c5"],
    });
    await rm(join(root, "manifests", "federation", "leaf-002"));
    const again = await runCli(["sync", "--local", "--root", root]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/keeps the placement it was writing and completes it/);
    const tree = await readTree(join(root, "manifests"));
    expect(tree.has(WRITING_MARK)).toBe(false);
    expect(tree.get("federation/leaf-002/prometheus.yml")).toContain("cluster: c5\n");
    expect((await runCli(["render", "--check", "--root", root])).code).toBe(0);
  });

  it("removes the temporary file a sync killed between writing and renaming the snapshot left behind", async () => {
    const root = await makeRepo({
      "fleet.yaml": "discovery:\n  route53:\n    exports: exports\n",
      "exports/Z1.json": exportZone(["c1"]),
      "fleet.snapshot.json.fleetfed-tmp-4242": '{"clusters": [',
    });
    const r = await runCli(["sync", "--local", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(await leftovers(root)).toEqual([]);
  });
});
