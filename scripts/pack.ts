// What `npm pack` runs around packing (prepack and postpack): the package carries JavaScript, because
// Node strips types only outside node_modules, and an installed fleetfed lives inside it. `prepack` bundles
// the CLI from scripts/fleetfed.ts into dist/ with rolldown (every dependency stays a dependency, loaded
// from the installing fleet's node_modules) and writes npm-shrinkwrap.json from package-lock.json, so that
// a fleet installs exactly the dependency tree this repository tests. `postpack` removes both: the
// repository itself runs its TypeScript directly and never reads dist/.

import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
export const DIST = join(ROOT, "dist");
const SHRINKWRAP = join(ROOT, "npm-shrinkwrap.json");

/** Bundles the CLI into dist/fleetfed.js (and the chunks its commands load on demand). */
export async function buildPackage(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const dependencies = Object.keys(pkg.dependencies);
  const external = (id: string) =>
    id.startsWith("node:") || dependencies.some((d) => id === d || id.startsWith(`${d}/`));
  rmSync(DIST, { recursive: true, force: true });
  const { rolldown } = await import("rolldown");
  const bundle = await rolldown({
    input: { fleetfed: join(ROOT, "scripts", "fleetfed.ts") },
    platform: "node",
    external,
    logLevel: "warn",
  });
  await bundle.write({
    dir: DIST,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "[name]-[hash].js",
    sourcemap: false,
  });
  await bundle.close();
  copyFileSync(join(ROOT, "package-lock.json"), SHRINKWRAP);
}

export function cleanPackage(): void {
  rmSync(DIST, { recursive: true, force: true });
  rmSync(SHRINKWRAP, { force: true });
}

const step = process.argv[2];
if (step === "prepack") await buildPackage();
else if (step === "postpack") cleanPackage();
else if (step !== undefined) {
  process.stderr.write(`scripts/pack.ts: unknown step ${step} (prepack or postpack)\n`);
  process.exitCode = 2;
}
