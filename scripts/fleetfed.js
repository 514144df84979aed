#!/usr/bin/env node
// The fleetfed executable. Plain JavaScript, the one file that is (with compile-cache.js), so that it can
// say in one line when the Node running it is too old, and so that Node's compile cache
// is on before the first TypeScript module loads: a later run then loads its modules compiled and
// type-stripped from the cache (~50 ms of every run). The cache lives in the checkout, never in a shared
// temporary folder (compile-cache.js says why). NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { existsSync } from "node:fs";
import module from "node:module";
import { trustedCompileCache } from "./compile-cache.js";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `fleetfed: needs Node 22.18 or newer; this is Node ${process.versions.node}. Install Node 24 (in a workflow: actions/setup-node with node-version: 24); in fleetfed's own repository, npm run fleetfed -- <command> runs on the Node 24 that npm install put in node_modules/.bin.\n`,
  );
  process.exit(2);
}
// An installed package carries JavaScript built when it was packed (scripts/pack.ts), not the TypeScript:
// Node strips types only outside node_modules.
if (!existsSync(new URL("./fleetfed.ts", import.meta.url))) {
  const { runProgram } = await import("../dist/fleetfed.js");
  process.exitCode = await runProgram();
} else {
  const cache = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : trustedCompileCache(import.meta.dirname);
  if (cache) module.enableCompileCache?.(cache);
  const { runProgram } = await import("./fleetfed.ts");
  process.exitCode = await runProgram();
}
