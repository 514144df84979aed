// `npm run bench`: figures, not pass/fail. Render of a 10,000-cluster fleet against promtool checking the
// result, and how many files one added or removed cluster touches in a 1,000-cluster fleet.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $, which } from "zx";
import { diffTrees } from "../../scripts/core/change.ts";
import { buildFleet } from "../../scripts/core/fleet.ts";
import { parseSettings } from "../../scripts/core/settings.ts";
import {
  type DiscoveredCluster,
  parseSnapshot,
  type Snapshot,
  serialiseSnapshot,
} from "../../scripts/core/snapshot.ts";
import { writeTree } from "../../scripts/io/files.ts";

function discovered(n: number): DiscoveredCluster[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `cluster-${String(i).padStart(5, "0")}`;
    const record = `prometheus.${id}.internal.example.com`;
    return {
      cluster: id,
      endpoint: `${record}:80`,
      scheme: "http",
      source: { kind: "route53", zoneId: `Z${i % 50}`, zoneName: "internal.example.com", record, type: "A" },
    };
  });
}

const settings = parseSettings("discovery:\n  route53: {}\nfederation:\n  shardSize: 50\n", "fleet.yaml");
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// --- 1. render 10,000 clusters: parse the snapshot, build inventory and plan, render every file.
const N = 10_000;
const first = buildFleet(settings, { clusters: discovered(N), placement: new Map() }, []);
const snapshotText = serialiseSnapshot({ clusters: discovered(N), placement: first.plan.placement });
const times: number[] = [];
let tree = first.tree;
const heapBefore = process.memoryUsage().heapUsed;
let heapPeak = heapBefore;
for (let run = 0; run < 5; run++) {
  const start = performance.now();
  const snapshot = parseSnapshot(snapshotText, "fleet.snapshot.json");
  tree = buildFleet(settings, snapshot, []).tree;
  times.push(performance.now() - start);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
}
const renderMs = median(times);
const bytes = [...tree.values()].reduce((n, s) => n + s.length, 0);
console.log(`render ${N} clusters (parse snapshot + plan + render, median of 5): ${renderMs.toFixed(0)} ms`);
console.log(
  `  ${tree.size} files, ${mib(bytes)} of output; peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}, heap peak ${mib(heapPeak)}`,
);

// --- 2. promtool check config on the same rendered configs.
const promtool = await which("promtool", { nothrow: true });
if (promtool) {
  const dir = await mkdtemp(join(tmpdir(), "fleetfed-bench-"));
  try {
    await writeTree(join(dir, "manifests"), tree);
    const configs = [...tree.keys()].filter((p) => p.endsWith("prometheus.yml")).map((p) => `manifests/${p}`);
    const start = performance.now();
    const r = await $({ cwd: dir, quiet: true, nothrow: true })`${promtool} check config ${configs}`;
    const promtoolMs = performance.now() - start;
    if (r.exitCode !== 0) throw new Error(`promtool rejected the rendered configs:\n${r.stdout}${r.stderr}`);
    console.log(
      `promtool check config of the ${configs.length} rendered prometheus.yml: ${promtoolMs.toFixed(0)} ms`,
    );
    const ratio = renderMs / promtoolMs;
    console.log(`  render / promtool = ${ratio.toFixed(2)} (target ≤ 2): ${ratio <= 2 ? "met" : "MISSED"}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} else {
  console.log("promtool check config: skipped, promtool not on PATH (apt-get install prometheus)");
}

// --- 3. one cluster added to and removed from a 1,000-cluster fleet (shardSize 50: 20 full leaves).
const M = 1000;
const synced = (clusters: DiscoveredCluster[], previous?: Snapshot) => {
  const fleet = buildFleet(settings, { clusters, placement: previous?.placement ?? new Map() }, []);
  return { fleet, snapshot: { clusters, placement: fleet.plan.placement } };
};
const report = (what: string, a: ReturnType<typeof synced>, b: ReturnType<typeof synced>) => {
  const f = diffTrees(a.fleet.tree, b.fleet.tree);
  const files = [...f.added, ...f.changed, ...f.removed];
  const leaves = new Set(files.map((p) => p.split("/")[1]).filter((d) => d?.startsWith("leaf-")));
  console.log(
    `${what}: ${files.length} file(s) changed under manifests/, ${leaves.size} leaf touched (target: 1)`,
  );
  for (const p of files) console.log(`    ${p}`);
};
const all = discovered(M + 1);
const fleet1000 = synced(all.slice(0, M));
const churned = synced(
  all.slice(0, M).filter((c) => c.cluster !== "cluster-00123"),
  fleet1000.snapshot,
);
report("one cluster removed from a 1,000-cluster fleet", fleet1000, churned);
report(
  "one cluster added to that 999-cluster fleet",
  churned,
  synced([...churned.snapshot.clusters, all[M] as DiscoveredCluster], churned.snapshot),
);
report(
  "one cluster added to a full 1,000-cluster fleet (a new leaf opens, so the global changes too)",
  fleet1000,
  synced(all, fleet1000.snapshot),
);
