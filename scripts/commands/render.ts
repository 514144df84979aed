// `fleetfed render [--check]`: inputs → manifests/. With --check, names the stale files and exits 1.

import { writingMark } from "../core/fleet.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import {
  describeCounts,
  describeFileCounts,
  diffTrees,
  fleetCounts,
  touchedFiles,
} from "../core/review/change.ts";
import { writeTree } from "../io/files.ts";
import type { Context } from "./context.ts";
import { renderFromInputs } from "./propose.ts";

export async function renderCommand(ctx: Context, opts: { check: boolean }): Promise<number> {
  const { dir, onDisk, fleet } = await renderFromInputs(ctx);
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
