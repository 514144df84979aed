// A proposed change as plain text for the terminal: fleet shape before → after, the clusters that change,
// the files touched. `plan` prints it; `sync --local` prints it after writing.

import { SNAPSHOT_FILE } from "../inputs/snapshot.ts";
import { MANIFESTS_DIR } from "../layout.ts";
import { table } from "../text-table.ts";
import { describeCounts, describeFileCounts, type FleetChange, touchedFiles } from "./change.ts";
import { describeRollout } from "./rollout.ts";

/** The proposal as plain text: fleet shape before → after, the clusters that change, the files touched. */
export function formatProposal(p: { change: FleetChange; snapshotChanged: boolean }): string {
  const c = p.change;
  const rows = [
    ...c.removed.map((r) => ["-", r.cluster.id, r.cluster.endpoint, r.leaf, ""]),
    ...c.added.map((r) => ["+", r.cluster.id, r.cluster.endpoint, r.leaf, ""]),
    ...c.changed.map((d) => ["~", d.id, d.after.cluster.endpoint, d.after.leaf, d.fields.join(", ")]),
  ];
  const out: string[] = [];
  out.push(`fleet: ${describeCounts(c.before)} → ${describeCounts(c.after)}`);
  out.push(
    rows.length > 0
      ? table(["", "cluster", "endpoint", "leaf", "changed"], rows).trimEnd()
      : "clusters: no change",
  );
  const f = c.files;
  out.push(touchedFiles(f).length > 0 ? `manifests/: ${describeFileCounts(f)}` : "manifests/: no change");
  for (const path of f.added) out.push(`  + ${MANIFESTS_DIR}/${path}`);
  for (const path of f.changed) out.push(`  ~ ${MANIFESTS_DIR}/${path}`);
  for (const path of f.removed) out.push(`  - ${MANIFESTS_DIR}/${path}`);
  out.push(p.snapshotChanged ? `snapshot: ${SNAPSHOT_FILE} changes` : "snapshot: no change");
  const r = describeRollout(c.rollout);
  for (const line of r.restarts) out.push(`restart: ${line}`);
  for (const line of r.series) out.push(`series: ${line}`);
  for (const line of r.engine ?? []) out.push(`remote-write: ${line}`);
  for (const line of r.manual) out.push(`manual step: ${line}`);
  for (const w of [...c.warnings, ...r.full]) out.push(`warning: ${w}`);
  return `${out.join("\n")}\n`;
}
