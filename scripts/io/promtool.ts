// Runs the real promtool: `check config` on rendered prometheus.yml files, `check rules` on rules files.

import { $, which } from "zx";
import { EXIT_REFUSED, FleetfedError, type Problem } from "../core/errors.ts";

export async function findPromtool(): Promise<string | undefined> {
  return (await which("promtool", { nothrow: true })) ?? undefined;
}

/** Absent promtool is a skip outside CI and a failure under CI=true, where a skipped check would hide a bad config. */
export async function requirePromtool(ci: boolean): Promise<string | undefined> {
  const path = await findPromtool();
  if (path || !ci) return path;
  throw new FleetfedError(
    {
      message: "promtool is not on PATH, and CI=true needs it",
      hint: "install the prometheus package (apt-get install prometheus)",
    },
    EXIT_REFUSED,
  );
}

/**
 * `promtool check config` or `check rules` on each file (paths relative to `cwd`); returns one problem
 * per file promtool rejects.
 */
export async function promtoolCheck(
  promtool: string,
  what: "config" | "rules",
  cwd: string,
  files: readonly string[],
): Promise<Problem[]> {
  const problems: Problem[] = [];
  // One process per batch: promtool takes many files, and 10,000-cluster fleets have hundreds.
  for (let i = 0; i < files.length; i += 100) {
    const batch = files.slice(i, i + 100);
    const r = await $({ cwd, nothrow: true, quiet: true })`${promtool} check ${what} ${batch}`;
    if (r.exitCode === 0) continue;
    const text = `${r.stdout}\n${r.stderr}`;
    for (const file of batch) {
      const failed = new RegExp(
        `Checking ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\n\\s*FAILED: (.*)`,
      ).exec(text);
      if (failed)
        problems.push({
          file,
          message: `promtool check ${what}: ${failed[1]}`,
          hint: "this is a fleetfed bug if the file is generated; please report it",
        });
    }
    if (problems.length === 0) problems.push({ message: `promtool check ${what} failed: ${text.trim()}` });
  }
  return problems;
}
