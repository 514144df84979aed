#!/usr/bin/env node
// The fleetfed executable. Plain JavaScript, the one file that is, so that Node's compile cache (as tsc
// uses it) is on before the first TypeScript module loads: a later run of a command then loads its
// modules compiled and type-stripped from the cache, without loading Node's type stripper at all (~50 ms
// of every run). NODE_DISABLE_COMPILE_CACHE=1 turns the cache off.
import module from "node:module";

module.enableCompileCache?.();
const { runProgram } = await import("./fleetfed.ts");
process.exitCode = await runProgram();
