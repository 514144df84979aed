// What `npm install` runs here (through scripts/prepare.js): bundles the Grafana SDK modules fleetfed uses into one file, so that every
// command that builds dashboards loads one file instead of ~230 (core/render/grafana-sdk.ts says why and
// how it is used). It never fails an install: without rolldown (an install without dev dependencies) or
// on any error it says so in one line, and fleetfed loads the SDK package as usual.

import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SDK_MODULES } from "./core/render/grafana-sdk.ts";
import { sdkBundle } from "./io/grafana-sdk-bundle.ts";

/** Writes the bundle of the installed SDK (atomically: a temporary file, then a rename); returns its path. */
export async function bundleGrafanaSdk(): Promise<string> {
  const { path } = sdkBundle();
  mkdirSync(dirname(path), { recursive: true });
  // The entry sits under node_modules/, so that the SDK resolves from it as from fleetfed.
  const entry = join(dirname(path), "grafana-sdk-entry.cjs");
  const partial = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(
      entry,
      SDK_MODULES.map(
        (m) => `exports[${JSON.stringify(m)}] = require("@grafana/grafana-foundation-sdk/${m}");\n`,
      ).join(""),
    );
    const { rolldown } = await import("rolldown");
    const bundle = await rolldown({ input: entry, platform: "node", logLevel: "silent" });
    await bundle.write({ file: partial, format: "cjs", sourcemap: false });
    await bundle.close();
    renameSync(partial, path);
  } finally {
    rmSync(entry, { force: true });
    rmSync(partial, { force: true });
  }
  return path;
}

/** Bundles, and says in one line what happened; never throws, so it never fails an install. */
export async function bundleOnInstall(): Promise<void> {
  try {
    const path = await bundleGrafanaSdk();
    console.log(`fleetfed: bundled the Grafana SDK into ${path}`);
  } catch (e) {
    console.log(
      `fleetfed: did not bundle the Grafana SDK (${(e as Error).message.split("\n")[0]}); dashboards load it from the package instead`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleOnInstall();
