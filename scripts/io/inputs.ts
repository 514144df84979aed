// Reads fleet.yaml, clusters/*.yaml and the snapshot from a repository root and parses each once into
// validated types. Problems from every file are reported together.

import { readdirSync, realpathSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { FleetfedError, type Problem, quote, throwIfAny } from "../core/errors.ts";
import { type ClusterFile, parseClusterFile } from "../core/inputs/cluster-file.ts";
import { parseSettings, type Settings } from "../core/inputs/settings.ts";
import { EMPTY_SNAPSHOT, parseSnapshot, SNAPSHOT_FILE, type Snapshot } from "../core/inputs/snapshot.ts";
import { CLUSTERS_DIR } from "../core/layout.ts";
import { sortStrings } from "../core/order.ts";
import { isInside, readInput, readRegularFile } from "./files.ts";

export interface Inputs {
  root: string;
  settings: Settings;
  clusterFiles: ClusterFile[];
  snapshot: Snapshot;
  /** The snapshot file as committed, to tell whether a sync must rewrite it. */
  snapshotText?: string;
}

/** Paths in messages are relative to the root, as they appear in the repository and in annotations. */
function shown(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.startsWith("..") ? path : rel;
}

function collect(problems: Problem[], fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof FleetfedError)) throw e;
    problems.push(...e.problems);
  }
}

/** The snapshot grows with the fleet: about 300 bytes a cluster. */
const SNAPSHOT_LIMIT = 256 * 1024 * 1024;

export async function loadInputs(rootArg: string, configArg?: string): Promise<Inputs> {
  const root = resolve(rootArg);
  const configPath = resolve(root, configArg ?? "fleet.yaml");
  const problems: Problem[] = [];

  // --config is named on the command line, so it may live anywhere; every other input must be inside the root.
  const settingsText = readInput(
    isInside(root, configPath) ? root : dirname(configPath),
    configPath,
    shown(root, configPath),
  );
  if (settingsText === undefined) {
    throw new FleetfedError({
      file: shown(root, configPath),
      message: "settings file not found",
      hint: "run from the repository root, pass --root DIR, or --config FILE",
    });
  }
  const settings = parseSettings(settingsText, shown(root, configPath));

  const clusterFiles: ClusterFile[] = [];
  const dir = join(root, CLUSTERS_DIR);
  let names: string[] = [];
  /** Entries the directory listing already says are regular files: read without a separate lstat. */
  const regular = new Set<string>();
  try {
    if (!isInside(realpathSync(root), realpathSync(dir)))
      throw new FleetfedError({
        file: `${CLUSTERS_DIR}/`,
        message: "is a symbolic link to a folder outside the repository; fleetfed reads only files inside it",
        hint: "make clusters/ a folder of the repository",
      });
    const entries = readdirSync(dir, { withFileTypes: true });
    names = entries.map((d) => d.name);
    for (const d of entries) if (d.isFile()) regular.add(d.name);
  } catch (e) {
    if (e instanceof FleetfedError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT")
      throw new FleetfedError({
        file: CLUSTERS_DIR,
        message: `cannot be listed: ${code}`,
        hint: "make clusters/ a readable folder",
      });
  }
  const byId = new Map<string, string>();
  // Every cluster file's name: a rename a hint suggests must not land on another one, case aside (on a
  // case-insensitive file system, Prod-A.yaml → prod-a.yaml is onto prod-a.yaml itself).
  const fileNames = names.filter((n) => /\.ya?ml$/.test(n));
  for (const name of sortStrings(names)) {
    const file = `${CLUSTERS_DIR}/${name}`;
    if (!/\.ya?ml$/.test(name)) {
      if (/\.ya?ml$/i.test(name))
        problems.push({
          file,
          message: "is not read: cluster files end in .yaml or .yml, in lowercase",
          hint: `rename it to ${name.replace(/\.ya?ml$/i, ".yaml")}`,
        });
      continue;
    }
    const id = name.slice(0, name.lastIndexOf("."));
    const other = byId.get(id);
    if (other) {
      problems.push({
        file,
        line: 1,
        message: `cluster ${quote(id)} is defined twice: ${other} and ${file}`,
        hint: `merge them into ${other} and delete ${file}`,
      });
      continue;
    }
    byId.set(id, file);
    collect(problems, () => {
      // A listed name has no separator, and dir is resolved: no join per file (10,000 of them).
      const path = `${dir}/${name}`;
      const text =
        (regular.has(name) ? readRegularFile(path, file) : undefined) ?? readInput(root, path, file) ?? "";
      clusterFiles.push(
        parseClusterFile(text, {
          file: file,
          expectedId: id,
          clusterLabel: settings.clusterLabel,
          federation: settings.federation,
          taken: (target) => fileNames.some((n) => n !== name && n.toLowerCase() === target.toLowerCase()),
        }),
      );
    });
  }

  let snapshot = EMPTY_SNAPSHOT;
  let snapshotText: string | undefined;
  collect(problems, () => {
    snapshotText = readInput(root, join(root, SNAPSHOT_FILE), SNAPSHOT_FILE, SNAPSHOT_LIMIT);
    if (snapshotText !== undefined) snapshot = parseSnapshot(snapshotText, SNAPSHOT_FILE);
  });

  throwIfAny(problems);
  return { root, settings, clusterFiles, snapshot, ...(snapshotText !== undefined && { snapshotText }) };
}
