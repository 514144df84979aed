// Runs the real promtool: `check config` on rendered prometheus.yml files, `check rules` on rules files.

import { $, which } from "zx/core";
import { EXIT_REFUSED, FleetfedError, type Problem } from "../core/errors.ts";
import { PROMETHEUS_VERSION } from "../core/versions.ts";

export async function findPromtool(): Promise<string | undefined> {
  return (await which("promtool", { nothrow: true })) ?? undefined;
}

/** What `promtool --version` prints, to tell which release series checks the configs. */
export async function promtoolVersion(promtool: string): Promise<string> {
  const r = await $({ nothrow: true, quiet: true })`${promtool} --version`;
  return `${r.stdout}${r.stderr}`;
}

/** Absent promtool is a skip outside CI and a failure under CI=true, where a skipped check would hide a bad config. */
export async function requirePromtool(ci: boolean): Promise<string | undefined> {
  const path = await findPromtool();
  if (path || !ci) return path;
  throw new FleetfedError(
    {
      message: "promtool is not on PATH, and CI=true needs it",
      hint: `install promtool ${PROMETHEUS_VERSION} (bash .ci/prometheus-tools, or the release archive)`,
    },
    EXIT_REFUSED,
  );
}

/**
 * `promtool check config` or `check rules` on each file (paths relative to `cwd`); returns one problem
 * per file promtool rejects.
 */
export interface PromtoolRun {
  what: "config" | "rules";
  /** The folder the paths are relative to. */
  cwd: string;
  files: readonly string[];
  signal?: AbortSignal;
}

export async function promtoolCheck(promtool: string, run: PromtoolRun): Promise<Problem[]> {
  const { files } = run;
  // One process per batch of 100: promtool takes many files, and 10,000-cluster fleets have hundreds.
  // The batches run side by side.
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += 100) batches.push(files.slice(i, i + 100));
  const found = await Promise.all(batches.map((batch) => checkBatch(promtool, { ...run, files: batch })));
  return found.flat();
}

async function checkBatch(
  promtool: string,
  { what, cwd, files: batch, signal }: PromtoolRun,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const run = $({ cwd, nothrow: true, quiet: true, ...(signal && { signal }) });
  const r = await run`${promtool} check ${what} ${batch}`;
  if (r.exitCode === 0 || signal?.aborted) return problems;
  // A batch failed: check its files one by one, so each finding is pinned to the file it concerns
  // (promtool writes "Checking" to stdout and "FAILED" to stderr, so one joined output cannot tell).
  for (const file of batch) {
    if (signal?.aborted) break;
    const one = await run`${promtool} check ${what} ${file}`;
    if (one.exitCode === 0) continue;
    const reason =
      (/FAILED: (.*)/.exec(one.stderr) ?? /FAILED: (.*)/.exec(one.stdout))?.[1] ??
      one.stderr.trim().split("\n")[0];
    problems.push({
      file,
      message: `promtool check ${what}: ${reason ?? `exit code ${one.exitCode}`}`,
      hint: "fix the input the file is rendered from; if every input is valid, this is a fleetfed bug: please report it",
    });
  }
  return problems;
}
