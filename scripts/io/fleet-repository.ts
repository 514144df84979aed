// A fleet repository that holds only the fleet: what `fleetfed init` adds beside fleet.yaml when it runs
// from an installed fleetfed (not in a copy of fleetfed's own repository). The workflows, Renovate's
// configuration and .gitignore come from fleetfed's templates/ and are written only where no file is:
// a team's own file is never replaced. package.json pins fleetfed to exactly the version running, so that
// an upgrade is a reviewed change to one line (Renovate opens it; templates/workflows/upgrade.yml
// re-renders manifests/ on its branch).

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EXIT_INVALID, FleetfedError } from "../core/errors.ts";
import { readInput, writeFileAtomic } from "./files.ts";

/** The folder fleetfed runs from: the one holding its package.json (a checkout, or node_modules/fleetfed). */
export function toolHome(): string {
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    try {
      if ((JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "fleetfed") return dir;
    } catch {
      // Not a package.json we can read: keep looking above it.
    }
  }
  throw new Error(`no fleetfed package.json above ${import.meta.dirname}`);
}

/** Whether `root` is a copy of fleetfed's own repository (its TypeScript is there), not a fleet of its own. */
export function isToolCopy(root: string): boolean {
  return existsSync(join(root, "scripts", "fleetfed.ts"));
}

/** The files a fleet-only repository gets from templates/, by their path in the fleet. */
const TEMPLATES: Readonly<Record<string, string>> = {
  ".github/workflows/fleet.yml": "workflows/fleet.yml",
  ".github/workflows/sync.yml": "workflows/sync.yml",
  ".github/workflows/upgrade.yml": "workflows/upgrade.yml",
  "renovate.json": "renovate.json",
  ".gitignore": "gitignore",
};

export interface FleetFiles {
  /** Path → content of every file to write, package.json included when it changes. */
  writes: Map<string, string>;
  /** Files left as they are because the team has its own. */
  kept: string[];
}

/**
 * What init writes for a fleet-only repository in `root`, worked out before anything is written: a
 * package.json that cannot be read is an error here, with nothing touched.
 */
export function fleetFiles(root: string, version: string): FleetFiles {
  const home = toolHome();
  const writes = new Map<string, string>();
  const kept: string[] = [];
  for (const [path, template] of Object.entries(TEMPLATES)) {
    if (existsSync(join(root, path))) kept.push(path);
    else writes.set(path, readFileSync(join(home, "templates", template), "utf8"));
  }
  const current = readInput(root, join(root, "package.json"), "package.json");
  const pkg = packageJsonFor(current, basename(root), version);
  if (pkg !== current) writes.set("package.json", pkg);
  return { writes, kept };
}

export async function writeFleetFiles(root: string, files: FleetFiles): Promise<void> {
  for (const [path, content] of files.writes) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    await writeFileAtomic(join(root, path), content);
  }
}

/**
 * The fleet's package.json: fleetfed pinned to exactly `version` (a range is pinned; a tarball, git or
 * path dependency is the team's choice and stays), the `fleetfed` script the workflows run, and the Node
 * fleetfed needs. Everything else the file holds stays as it is.
 */
export function packageJsonFor(current: string | undefined, folder: string, version: string): string {
  let pkg: Record<string, unknown>;
  try {
    pkg = current === undefined ? {} : (JSON.parse(current) as Record<string, unknown>);
  } catch (e) {
    throw new FleetfedError(
      {
        file: "package.json",
        message: `is not JSON (${(e as Error).message}); init pins fleetfed in it`,
        hint: "fix package.json (npm install fleetfed --save-exact writes a valid one), then run init again",
      },
      EXIT_INVALID,
    );
  }
  if (pkg === null || typeof pkg !== "object" || Array.isArray(pkg))
    throw new FleetfedError(
      {
        file: "package.json",
        message: "is not a JSON object",
        hint: "fix package.json, then run init again",
      },
      EXIT_INVALID,
    );
  const name =
    folder
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "") || "fleet";
  const next: Record<string, unknown> = current === undefined ? { name, private: true } : { ...pkg };
  const scripts = { ...(next.scripts as Record<string, string> | undefined) };
  scripts.fleetfed ??= "fleetfed";
  next.scripts = scripts;
  next.engines = { node: ">=22.18", ...(next.engines as Record<string, string> | undefined) };
  const dependencies = { ...(next.dependencies as Record<string, string> | undefined) };
  const pinned = dependencies.fleetfed;
  if (pinned === undefined || /^[\^~<>=]|^\d+\.\d+\.\d+$|^\*$|^latest$/.test(pinned.trim()))
    dependencies.fleetfed = version;
  next.dependencies = dependencies;
  const text = `${JSON.stringify(next, null, 2)}\n`;
  return current !== undefined && JSON.stringify(JSON.parse(current)) === JSON.stringify(next)
    ? current
    : text;
}
