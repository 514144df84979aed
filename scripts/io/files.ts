// File system edge: read the inputs and the current manifests, and write generated output whole.

import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Tree } from "../core/render/manifests.ts";

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Every file under `dir` as relative `/`-separated path → content; empty when `dir` does not exist. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const tree = new Map<string, string>();
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return tree;
    throw e;
  }
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "EISDIR") return undefined;
      throw e;
    });
    if (text !== undefined) tree.set(relative(dir, path).split(sep).join("/"), text);
  }
  return tree;
}

/**
 * Replaces `dir` with exactly `tree`: written beside it first, then swapped in by rename, so a failure
 * part-way leaves the old directory in place and removed files disappear.
 */
export async function writeTree(dir: string, tree: Tree): Promise<void> {
  const staging = `${dir}.fleetfed-new-${process.pid}`;
  const old = `${dir}.fleetfed-old-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  for (const [path, content] of tree) {
    const target = join(staging, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  await mkdir(staging, { recursive: true });
  const hadOld = await rename(dir, old).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return false;
      throw e;
    },
  );
  await rename(staging, dir);
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/** Writes one file through a temporary sibling and a rename, so readers never see half of it. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.fleetfed-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
