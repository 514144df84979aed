// `fleetfed render [--check]`: inputs → manifests/. With --check, names the stale files and exits 1.

import { join } from "node:path";
import { formatProblem } from "../core/errors.ts";
import { renderFleet, writingMark } from "../core/fleet.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import {
  describeCounts,
  describeFileCounts,
  diffTrees,
  fleetCounts,
  touchedFiles,
} from "../core/review/change.ts";
import { readTree, writeTree } from "../io/files.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";

export async function renderCommand(ctx: Context, opts: { check: boolean }): Promise<number> {
  const inputs = await ctx.report.step("reading inputs", () => loadInputs(ctx.root, ctx.config));
  const dir = join(inputs.root, MANIFESTS_DIR);
  const onDisk = await readTree(dir);
  const fleet = await ctx.report.step("rendering", () =>
    renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, onDisk),
  );
  for (const p of [...fleet.inventory.unresolved, ...fleet.plan.warnings]) ctx.report.warn(formatProblem(p));
  const files = diffTrees(onDisk, fleet.tree);
  const stale = touchedFiles(files);
  const shape = describeCounts(fleetCounts(fleet));
  if (opts.check) {
    if (stale.length === 0) {
      ctx.out(`${MANIFESTS_DIR}/ is up to date (${shape})\n`);
      return 0;
    }
    ctx.report.info(
      `${MANIFESTS_DIR}/ differs from a fresh render; run fleetfed render and commit the result:`,
    );
    for (const p of files.added) ctx.report.info(`  missing   ${MANIFESTS_DIR}/${p}`);
    for (const p of files.changed) ctx.report.info(`  stale     ${MANIFESTS_DIR}/${p}`);
    for (const p of files.removed) ctx.report.info(`  unwanted  ${MANIFESTS_DIR}/${p}`);
    return 1;
  }
  if (stale.length === 0) {
    ctx.out(`${MANIFESTS_DIR}/ unchanged (${shape})\n`);
    return 0;
  }
  await writeTree(dir, fleet.tree, writingMark(fleet.plan));
  ctx.out(
    `${[
      `rendered ${MANIFESTS_DIR}/: ${describeFileCounts(files)} (${shape})`,
      ...files.added.map((p) => `  + ${MANIFESTS_DIR}/${p}`),
      ...files.changed.map((p) => `  ~ ${MANIFESTS_DIR}/${p}`),
      ...files.removed.map((p) => `  - ${MANIFESTS_DIR}/${p}`),
    ].join("\n")}\n`,
  );
  return 0;
}
