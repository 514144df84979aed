// Reads fleet.yaml, clusters/*.yaml and the snapshot from a repository root and parses each once into
// validated types. Problems from every file are reported together.

import { readdir } from "node:fs/promises";
import { basename, extname, join, relative, resolve } from "node:path";
import { FleetfedError, type Problem, throwIfAny } from "../core/errors.ts";
import { type ClusterFile, parseClusterFile } from "../core/inputs/cluster-file.ts";
import { parseSettings, type Settings } from "../core/inputs/settings.ts";
import { EMPTY_SNAPSHOT, parseSnapshot, SNAPSHOT_FILE, type Snapshot } from "../core/inputs/snapshot.ts";
import { CLUSTERS_DIR } from "../core/layout.ts";
import { compare } from "../core/order.ts";
import { readTextIfExists } from "./files.ts";

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

export async function loadInputs(rootArg: string, configArg?: string): Promise<Inputs> {
  const root = resolve(rootArg);
  const configPath = resolve(root, configArg ?? "fleet.yaml");
  const problems: Problem[] = [];

  const settingsText = await readTextIfExists(configPath);
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
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const byId = new Map<string, string>();
  for (const name of names.filter((n) => /\.ya?ml$/.test(n)).sort(compare)) {
    const file = `${CLUSTERS_DIR}/${name}`;
    const id = basename(name, extname(name));
    const other = byId.get(id);
    if (other) {
      problems.push({
        file,
        line: 1,
        message: `cluster "${id}" is defined twice: ${other} and ${file}`,
        hint: "merge them into one file",
      });
      continue;
    }
    byId.set(id, file);
    const text = (await readTextIfExists(join(dir, name))) ?? "";
    collect(problems, () => clusterFiles.push(parseClusterFile(text, file, id, settings.clusterLabel)));
  }

  let snapshot = EMPTY_SNAPSHOT;
  const snapshotText = await readTextIfExists(join(root, SNAPSHOT_FILE));
  if (snapshotText !== undefined)
    collect(problems, () => (snapshot = parseSnapshot(snapshotText, SNAPSHOT_FILE)));

  throwIfAny(problems);
  return { root, settings, clusterFiles, snapshot, ...(snapshotText !== undefined && { snapshotText }) };
}
