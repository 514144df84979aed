// Temporary fleet repositories for tests, and the CLI run in-process against them.

import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { afterAll } from "vitest";
import { main } from "../../scripts/fleetfed.ts";
import { readTree } from "../../scripts/io/files.ts";
import { discoveredCluster } from "./fleet.ts";

export const PROJECT_ROOT = join(import.meta.dirname, "..", "..");
/**
 * The example fleet the tests use: a copy of the bundled example under test/, so the tests never read the
 * root fleet.yaml, clusters/, examples/ or snapshot, which belong to whoever made a repository from ours.
 */
export const EXAMPLE_FLEET = join(import.meta.dirname, "..", "fixtures", "example-fleet");

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh temp directory holding `files` (relative path → content), removed after the test file. */
export async function makeRepo(files: Record<string, string> = {}, copyFrom?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fleetfed-test-"));
  made.push(dir);
  if (copyFrom) {
    // Only the fleet's own files: never node_modules or .git of the project checkout.
    const skip = new Set(["node_modules", ".git", "test", "scripts"]);
    await cp(copyFrom, dir, {
      recursive: true,
      filter: (src) => !skip.has(src.slice(copyFrom.length + 1).split("/")[0] ?? ""),
    });
  }
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const code = await main({
    argv: args,
    env: opts.env ?? {},
    // Never the root fleet by accident: it belongs to whoever made a repository from ours.
    cwd: opts.cwd ?? EXAMPLE_FLEET,
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stderrIsTTY: false,
  });
  return { code, stdout, stderr };
}

/** One digest of every file under `dir`, to prove a failed run left it untouched. */
export async function digestTree(dir: string): Promise<string> {
  const h = createHash("sha256");
  for (const [path, content] of await readTree(dir)) h.update(`${path}\0${content}\0`);
  return h.digest("hex");
}

/** A snapshot file listing `ids` as A records in one zone, one cluster per line. */
export function snapshotJson(ids: readonly string[], zone = "internal.example.com"): string {
  const clusters = ids.map((id) => JSON.stringify(discoveredCluster(id, "Z0TEST", zone)));
  return `{\n  "clusters": [\n${clusters.map((c) => `    ${c}`).join(",\n")}\n  ],\n  "placement": {}\n}\n`;
}
