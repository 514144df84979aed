// Where the executable keeps Node's compile cache, and whether it may. Plain JavaScript, loaded before any
// TypeScript. The cache holds code that later runs execute, with the user's GITHUB_TOKEN and AWS keys in
// their environment, so it lives in the checkout (node_modules/.cache/fleetfed/compile-cache), never in
// a shared $TMPDIR another local user could fill first, and is used only when every folder on the way
// from node_modules to it is a real folder owned by this user that no one else may write.

import { lstatSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

/** The cache folder of the checkout that holds `scriptsDir`. */
export function compileCacheDir(scriptsDir) {
  return join(dirname(scriptsDir), "node_modules", ".cache", "fleetfed", "compile-cache");
}

/** Whether `dir` and each folder above it up to `top` is this user's own: not a link, not writable by others. */
export function trustedFolder(dir, top, uid = process.getuid?.()) {
  for (let d = dir; ; d = dirname(d)) {
    let st;
    try {
      st = lstatSync(d);
    } catch {
      return false;
    }
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return false;
    if (d === top || dirname(d) === d) return true;
  }
}

/** The cache folder to hand Node, created private when missing; undefined when it cannot be trusted. */
export function trustedCompileCache(scriptsDir) {
  const dir = compileCacheDir(scriptsDir);
  const top = join(dirname(scriptsDir), "node_modules");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  return trustedFolder(dir, top) ? dir : undefined;
}
