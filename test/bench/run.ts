// `npm run bench`: figures, not pass/fail. Render of a 10,000-cluster fleet against promtool checking the
// result; how many files one added or removed cluster touches in a 1,000-cluster fleet; and live Route 53
// discovery of 10,000 records in 50 zones from the emulator limited to 5 requests/s.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $, which } from "zx";
import { nextSnapshot, renderFleet } from "../../scripts/core/fleet.ts";
import type { DiscoveredCluster } from "../../scripts/core/inputs/discovered-cluster.ts";
import type { Route53Settings } from "../../scripts/core/inputs/settings.ts";
import { parseSettings } from "../../scripts/core/inputs/settings.ts";
import {
  EMPTY_SNAPSHOT,
  parseSnapshot,
  type Snapshot,
  serialiseSnapshot,
} from "../../scripts/core/inputs/snapshot.ts";
import { diffTrees } from "../../scripts/core/review/change.ts";
import { writeTree } from "../../scripts/io/files.ts";
import { discoverRoute53 } from "../../scripts/io/route53.ts";
import { discoveredCluster, numberedIds } from "../support/fleet.ts";
import { type EmulatedZone, startRoute53Emulator } from "../support/route53-emulator.ts";
import { useShippedTools } from "../support/shipped-tools.ts";

// The Prometheus release fleetfed ships, as the tests run it; its version heads the figures.
useShippedTools();
for (const binary of ["prometheus", "promtool"])
  console.log(
    (await $({ nothrow: true, quiet: true })`${binary} --version`).stdout.split("\n")[0] ||
      `${binary}: not found`,
  );

function discovered(n: number): DiscoveredCluster[] {
  return numberedIds(n, "cluster-").map((id, i) => discoveredCluster(id, `Z${i % 50}`));
}

const settings = parseSettings("discovery:\n  route53: {}\nfederation:\n  shardSize: 50\n", "fleet.yaml");
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// --- 1. render 10,000 clusters: parse the snapshot, build inventory and plan, render every file.
const N = 10_000;
const first = renderFleet(settings, { clusters: discovered(N), placement: new Map() }, []);
const snapshotText = serialiseSnapshot({ clusters: discovered(N), placement: first.plan.placement });
const times: number[] = [];
let tree = first.tree;
const heapBefore = process.memoryUsage().heapUsed;
let heapPeak = heapBefore;
for (let run = 0; run < 5; run++) {
  const start = performance.now();
  const snapshot = parseSnapshot(snapshotText, "fleet.snapshot.json");
  tree = renderFleet(settings, snapshot, []).tree;
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
/** The fleet after a sync, as sync computes it. */
const synced = (clusters: DiscoveredCluster[], previous?: Snapshot) =>
  nextSnapshot(settings, { previous: previous ?? EMPTY_SNAPSHOT, discovered: clusters, clusterFiles: [] });
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

// --- 4. Route 53: 10,000 records across 50 zones (10 zones of 700 records, 40 of 75), emulator at 5 requests/s.
const zones: EmulatedZone[] = Array.from({ length: 50 }, (_, z) => {
  const name = `zone${z}.internal.example.com.`;
  const size = z < 10 ? 700 : 75;
  return {
    id: `Z${String(z).padStart(3, "0")}BENCH`,
    name,
    private: true,
    records: Array.from({ length: size }, (_, i) => ({ Name: `prometheus.z${z}-c${i}.${name}`, Type: "A" })),
  };
});
const emulator = await startRoute53Emulator(zones, { rate: 5, burst: 5 });
process.env.AWS_ENDPOINT_URL_ROUTE_53 = emulator.url;
process.env.AWS_ACCESS_KEY_ID ??= "AKIABENCH";
process.env.AWS_SECRET_ACCESS_KEY ??= "bench";
try {
  const r53 = parseSettings("discovery:\n  route53: {}\n", "fleet.yaml").discovery.route53 as Route53Settings;
  const start = performance.now();
  const result = await discoverRoute53(r53, { region: "us-east-1" });
  const seconds = (performance.now() - start) / 1000;
  const required =
    Math.ceil(zones.length / 100) + zones.reduce((n, z) => n + Math.ceil(z.records.length / 300), 0);
  const floor = result.progress.requests / r53.requestsPerSecond;
  console.log(
    `Route 53 discovery of ${result.records} records in ${result.zones} zones at ${r53.requestsPerSecond} requests/s: ${result.clusters.length} clusters`,
  );
  console.log(
    `  requests: ${result.progress.requests} (paging requires ${required}), throttled: ${emulator.throttled}`,
  );
  console.log(
    `  wall time ${seconds.toFixed(2)} s; rate-limit floor ${floor.toFixed(2)} s; ratio ${(seconds / floor).toFixed(2)} (target ≤ 1.25)`,
  );
} finally {
  await emulator.close();
}

// --- 5. What one cluster sends per federation scrape with the default match[], read from a real cluster
// Prometheus: the fixture exporter under kube-prometheus's jobs, the rendered recording rules.
const prometheusBin = await which("prometheus", { nothrow: true });
if (prometheusBin) {
  const { startFixtureExporter } = await import("../support/fixture-exporter.ts");
  const { freePort, startPrometheus, stopAll, waitFor, query } = await import("../support/prometheus.ts");
  const { renderClusterRulesFile } = await import("../../scripts/core/render/recording-rules.ts");
  const dir = await mkdtemp(join(tmpdir(), "fleetfed-bench-federate-"));
  const exporter = await startFixtureExporter(["c1"]);
  const port = await freePort();
  const target = exporter.url.replace("http://", "");
  const config = `global: {scrape_interval: 1s, evaluation_interval: 1s, external_labels: {cluster: eks-c1, prometheus: monitoring/k8s, prometheus_replica: prometheus-k8s-0}}
rule_files: [rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:${port}']}]
${["node-exporter", "kube-state-metrics", "kubelet"].map((job) => `  - job_name: ${job}\n    metrics_path: /metrics/c1\n    static_configs: [{targets: ['${target}']}]`).join("\n")}
`;
  const rules = renderClusterRulesFile(parseSettings("clusterRules: {interval: 1s}\n", "fleet.yaml"));
  const server = await startPrometheus(dir, "cluster", port, config, { "rules.yml": rules });
  try {
    await waitFor(
      "the aggregates",
      30_000,
      async () => (await query(server.url, "namespace:container_cpu_usage_seconds:sum_rate")).length > 0,
    );
    const measure = async (match: readonly string[]) => {
      const q = match.map((m) => `match[]=${encodeURIComponent(m)}`).join("&");
      const body = await (await fetch(`${server.url}/federate?${q}`)).text();
      return {
        series: body.split("\n").filter((l) => l && !l.startsWith("#")).length,
        bytes: Buffer.byteLength(body),
      };
    };
    const byDefault = await measure(settings.federation.match);
    const seed = await measure(['{job="prometheus"}', ...settings.federation.match]);
    console.log(
      `federated per cluster per scrape, default match[]: ${byDefault.series} series (target ≤ 25): ${byDefault.series <= 25 ? "met" : "MISSED"}, ${(byDefault.bytes / 1024).toFixed(1)} KB (target ≤ 4 KB): ${byDefault.bytes <= 4096 ? "met" : "MISSED"}`,
    );
    console.log(
      `  with the seed's {job="prometheus"} added: ${seed.series} series, ${(seed.bytes / 1024).toFixed(1)} KB`,
    );
  } finally {
    await stopAll([server]);
    await exporter.close();
    await rm(dir, { recursive: true, force: true });
  }
} else {
  console.log("federated series per cluster: skipped, prometheus not on PATH (apt-get install prometheus)");
}

// --- 5b. The global's memory: a real Prometheus holding what a full global holds at 1,000 and 10,000
// clusters (the default match[]: each cluster's aggregates and the health series the top reads, each
// leaf's own series the top reads), scraped from stand-in leaves with the rendered global config. The
// rendered memory request beside the resident memory it really needs.
if (prometheusBin) {
  const { createServer } = await import("node:http");
  const { freePort, startPrometheus, stopAll, waitFor, query } = await import("../support/prometheus.ts");
  const { federatorSize, seriesHeld } = await import("../../scripts/core/render/sizing.ts");
  const { RECORDS } = await import("../../scripts/core/render/records.ts");
  const { CLUSTER_HEALTH_READ, SELF_READ } = await import("../../scripts/core/render/prometheus.ts");
  const { scrapingItselfAt, withReplicasAt } = await import("../support/replicas.ts");
  console.log("the global's memory, a real Prometheus holding a full global's series:");
  // Health series far from every alert's threshold, so no alert fires and adds series of its own.
  const healthy = (line: string) =>
    line.startsWith("up{") || line.startsWith("prometheus_config_last_reload_successful")
      ? 1
      : line.startsWith("scrape_timeout_seconds")
        ? 10
        : line.startsWith("scrape_sample_limit")
          ? 50_000
          : line.startsWith("scrape_")
            ? 1
            : line.startsWith("prometheus_rule_evaluation_failures_total")
              ? 0
              : undefined;
  for (const n of [1000, 10_000]) {
    const s = parseSettings(
      "federation:\n  shardSize: 50\n  scrapeInterval: 10s\n  scrapeTimeout: 10s\n",
      "fleet.yaml",
    );
    const fleet = renderFleet(s, { clusters: discovered(n), placement: new Map() }, []);
    const size = federatorSize("global", fleet.plan, s);
    const expected = seriesHeld("global", fleet.plan.leaves.length, s);
    const dir = await mkdtemp(join(tmpdir(), "fleetfed-bench-global-"));
    const names = Object.values(RECORDS);
    const servers: { close: () => void }[] = [];
    let tick = 0;
    let global: Awaited<ReturnType<typeof startPrometheus>> | undefined;
    try {
      let config = fleet.tree.get("federation/global/prometheus.yml") as string;
      /** Each federator's stand-in port: its replicas answer there too (as 127.0.0.1 and as localhost). */
      const replicaPorts = new Map<string, number>();
      /** What a replica's /federate answers the replicas job: its own series, its health of each cluster. */
      const replicaLines = (federator: string, clusters: readonly { id: string }[]) => [
        ...SELF_READ.map(
          (name) => `${name}{federator="${federator}",instance="localhost:9090",job="fleetfed-federators"} `,
        ),
        ...clusters.map(
          (c) =>
            `up{cluster="${c.id}",federator="${federator}",instance="prometheus.${c.id}.example.com:80",job="fleetfed-clusters"} `,
        ),
      ];
      const serve = async (leafLines: string[], ownLines: string[]) => {
        const port = await freePort();
        const server = createServer((req, res) => {
          tick++;
          res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
          // The replicas job asks for the federator's own series; the global's leaf job for the clusters'.
          const lines = req.url?.includes("prometheus_tsdb_head_series") ? ownLines : leafLines;
          // Healthy values for the health series (no alert may fire and add series); moving ones for the data.
          res.end(`${lines.map((l, i) => `${l}${healthy(l) ?? (i * 7 + tick) % 1000}`).join("\n")}\n`);
        });
        await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
        servers.push(server);
        return port;
      };
      replicaPorts.set("global", await serve([], replicaLines("global", [])));
      for (const leaf of fleet.plan.leaves) {
        // A stand-in leaf: /federate answers its clusters' series, as the leaf would, with fresh values.
        const lines: string[] = [];
        for (const c of leaf.clusters) {
          const base = `cluster="${c.id}",federator="${leaf.name}",instance="prometheus.${c.id}.example.com:80"`;
          for (const name of names) {
            if (name.startsWith("cluster:")) lines.push(`${name}{${base},job="fleetfed-clusters"} `);
            else
              for (let ns = 0; ns < s.federation.namespacesPerCluster; ns++)
                lines.push(`${name}{${base},job="fleetfed-clusters",namespace="ns-${ns}"} `);
          }
          for (const name of CLUSTER_HEALTH_READ) lines.push(`${name}{${base},job="fleetfed-clusters"} `);
        }
        const port = await serve(lines, replicaLines(leaf.name, leaf.clusters));
        replicaPorts.set(leaf.name, port);
        config = config.replaceAll(`fleetfed-${leaf.name}.monitoring.svc:9090`, `127.0.0.1:${port}`);
      }
      // The replicas job: DNS would answer with each federator's two replicas; here two names of its port.
      config = withReplicasAt(
        config,
        Object.fromEntries(
          [...replicaPorts].map(([federator, p]) => [federator, [`127.0.0.1:${p}`, `localhost:${p}`]]),
        ),
      );
      const port = await freePort();
      global = await startPrometheus(
        dir,
        "global",
        port,
        scrapingItselfAt(config, `127.0.0.1:${port}`),
        {
          "alerts.yml": fleet.tree.get("federation/global/alerts.yml") as string,
        },
        ["--enable-feature=extra-scrape-metrics"],
      );
      const url = global.url;
      // The global's own (its self-scrape job): the stand-in replicas send series of that name too.
      const own = async (name: string) =>
        Number((await query(url, `${name}{job="fleetfed-federators"}`))[0]?.value[1] ?? 0);
      const head = () => own("prometheus_tsdb_head_series");
      const filled = await waitFor(
        "every series in the global's head",
        300_000,
        async () => (await head()) >= expected * 0.98,
      ).then(
        () => true,
        () => false,
      );
      if (!filled) {
        // Say why, and go on with the next row: which targets the global could not scrape, and their errors.
        const targets = (await fetch(`${url}/api/v1/targets`).then((r) => r.json())) as {
          data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
        };
        const down = targets.data.activeTargets.filter((t) => t.health !== "up");
        console.log(
          `  ${n} clusters: MISSED: ${await head()} head series of ${expected} after 300 s; ${down.length} of ${targets.data.activeTargets.length} targets not up${down.length > 0 ? ` (first: ${down[0]?.scrapeUrl}: ${down[0]?.lastError})` : ""}`,
        );
        continue;
      }
      // Three more scrapes of every leaf, so each series holds samples, not just an index entry.
      await new Promise((r) => setTimeout(r, 35_000));
      const rss = await own("process_resident_memory_bytes");
      const held = await head();
      const requestMi = Number.parseInt(size.memoryRequest, 10);
      const rssMi = rss / 1024 / 1024;
      console.log(
        `  ${n} clusters: ${held} head series (model: ${expected}), ${(rss / held / 1024).toFixed(2)} KiB a series, resident ${rssMi.toFixed(0)} MiB; rendered request ${size.memoryRequest} = ${(requestMi / rssMi).toFixed(2)}× measured (target 1–2×): ${requestMi >= rssMi && requestMi <= 2 * rssMi ? "met" : "MISSED"}`,
      );
    } finally {
      if (global) await stopAll([global]);
      for (const server of servers) server.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

// --- 6. Whole processes, as a user runs them (issue #14's table): start-up, both 10k shapes against
// promtool, check, peak memory, and what deleting one hand-written cluster file rewrites.
{
  const { spawnSync } = await import("node:child_process");
  const { mkdirSync, writeFileSync, rmSync: rmDir, mkdtempSync, readdirSync } = await import("node:fs");
  const cli = join(import.meta.dirname, "..", "..", "scripts", "fleetfed.js");
  /** Median wall seconds (clock around the process) and peak RSS (MiB, from /usr/bin/time) of `cmd`. */
  const measure = (cmd: string[], runs = 3, cwd?: string) => {
    const walls: number[] = [];
    let rss = 0;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const r = spawnSync("/usr/bin/time", ["-f", "%M", ...cmd], { cwd, encoding: "utf8" });
      walls.push((performance.now() - start) / 1000);
      const kb = Number(r.stderr.trim().split("\n").at(-1) ?? 0);
      rss = Math.max(rss, (Number.isFinite(kb) ? kb : 0) / 1024);
    }
    return { s: median(walls), rss };
  };
  const row = (what: string, value: number, target: number, unit = "×") =>
    console.log(
      `  ${what}: ${value.toFixed(2)}${unit} (target ≤ ${target}${unit}): ${value <= target ? "met" : "MISSED"}`,
    );
  const { bundledSdk } = await import("../../scripts/io/grafana-sdk-bundle.ts");
  console.log("whole processes (medians: 9 runs for start-up, 5 for the 10,000-cluster rows):");
  console.log(
    `  Grafana SDK loaded from ${bundledSdk() ? "the one-file bundle npm install made" : "the package (no bundle: npm install did not make one)"}`,
  );
  const bare = measure([process.execPath, "-e", "0"], 9);
  const help = measure([process.execPath, cli, "--help"], 9);
  console.log(
    `  node -e 0: ${(bare.s * 1000).toFixed(0)} ms; fleetfed --help: ${(help.s * 1000).toFixed(0)} ms`,
  );
  row("fleetfed --help / node -e 0", help.s / bare.s, 5);
  const example = join(import.meta.dirname, "..", "fixtures", "example-fleet");
  const renderCheck = measure([process.execPath, cli, "render", "--check", "--root", example], 9);
  console.log(`  render --check of the example: ${(renderCheck.s * 1000).toFixed(0)} ms`);
  row("render --check of the example / node -e 0", renderCheck.s / bare.s, 15);

  // The 10,000-cluster fleet held in the snapshot, as a sync leaves it.
  const fromSnapshot = mkdtempSync(join(tmpdir(), "fleetfed-bench-snapshot-"));
  try {
    writeFileSync(
      join(fromSnapshot, "fleet.yaml"),
      "discovery:\n  route53: {}\nfederation:\n  shardSize: 50\n",
    );
    writeFileSync(join(fromSnapshot, "fleet.snapshot.json"), snapshotText);
    measure([process.execPath, cli, "render", "--root", fromSnapshot], 1);
    const again = measure([process.execPath, cli, "render", "--root", fromSnapshot], 5);
    const configs = readdirSync(join(fromSnapshot, "manifests", "federation"))
      .filter((d) => d === "global" || d.startsWith("leaf-"))
      .map((d) => `manifests/federation/${d}/prometheus.yml`);
    console.log(
      `  render of ${N} clusters from the snapshot: ${again.s.toFixed(2)} s, peak ${again.rss.toFixed(0)} MiB`,
    );
    if (promtool) {
      const prom = measure([promtool, "check", "config", "--syntax-only", ...configs], 5, fromSnapshot);
      row("  … / promtool check config --syntax-only of the output", again.s / prom.s, 1);
    }
    row("  peak memory", again.rss, 200, " MiB");
  } finally {
    rmDir(fromSnapshot, { recursive: true, force: true });
  }

  const handWritten = mkdtempSync(join(tmpdir(), "fleetfed-bench-files-"));
  try {
    mkdirSync(join(handWritten, "clusters"));
    writeFileSync(join(handWritten, "fleet.yaml"), "federation:\n  shardSize: 50\n");
    for (const id of numberedIds(N, "cluster-"))
      writeFileSync(
        join(handWritten, "clusters", `${id}.yaml`),
        `cluster: ${id}\nendpoint: prometheus.${id}.internal.example.com:80\nlabels: {team: t${id.length % 7}}\n`,
      );
    const files = measure([process.execPath, cli, "render", "--root", handWritten], 1);
    const again = measure([process.execPath, cli, "render", "--root", handWritten], 5);
    const configs = readdirSync(join(handWritten, "manifests", "federation"))
      .filter((d) => d === "global" || d.startsWith("leaf-"))
      .map((d) => `manifests/federation/${d}/prometheus.yml`);
    const prom = promtool
      ? measure([promtool, "check", "config", "--syntax-only", ...configs], 5, handWritten)
      : undefined;
    console.log(
      `  render of ${N} hand-written cluster files: ${again.s.toFixed(2)} s (first ${files.s.toFixed(2)} s), peak ${again.rss.toFixed(0)} MiB`,
    );
    if (prom) {
      console.log(
        `  promtool check config --syntax-only of the ${configs.length} configs: ${prom.s.toFixed(2)} s`,
      );
      row("  … / promtool check config --syntax-only of the output", again.s / prom.s, 2);
    }
    row("  peak memory", again.rss, 200, " MiB");
    const check = measure([process.execPath, cli, "check", "--root", handWritten], 5);
    console.log(`  check at ${N} clusters: ${check.s.toFixed(2)} s, peak ${check.rss.toFixed(0)} MiB`);
    if (prom) row(`  check at ${N} clusters / promtool`, check.s / prom.s, 2);

    // Locality without a sync: delete one file from a 1,000-cluster hand-written fleet and render.
    rmDir(join(handWritten, "manifests"), { recursive: true, force: true });
    for (const id of numberedIds(N, "cluster-").slice(M)) rmDir(join(handWritten, "clusters", `${id}.yaml`));
    spawnSync(process.execPath, [cli, "render", "--root", handWritten]);
    rmDir(join(handWritten, "clusters", "cluster-00123.yaml"));
    const out = spawnSync(process.execPath, [cli, "render", "--root", handWritten], {
      encoding: "utf8",
    }).stdout;
    const leaves = new Set([...out.matchAll(/manifests\/federation\/(leaf-\d+)\//g)].map((m) => m[1]));
    row(`  leaves rewritten after deleting one of ${M} hand-written cluster files`, leaves.size, 1, " leaf");
  } finally {
    rmDir(handWritten, { recursive: true, force: true });
  }
}

// --- 7. Freshness at the top, federation against remote-write, at a 10 s rule interval: two clusters
// (rendered rules, the chart's external labels) federated by a leaf and the global (rendered configs,
// 10 s scrapes), and writing with the rendered remote_write blocks into VictoriaMetrics (its rendered
// flags) and a Prometheus receiver. Each second for two minutes: the age of the newest sample of one
// aggregate at each top. Then what a remote-written sample costs on the wire, metadata off.
const vmBin = await which("victoria-metrics", { nothrow: true });
if (prometheusBin && vmBin) {
  const { readFile } = await import("node:fs/promises");
  const { parse } = await import("yaml");
  const { startFixtureExporter } = await import("../support/fixture-exporter.ts");
  const { freePort, startPrometheus, stopAll, waitFor, query } = await import("../support/prometheus.ts");
  const { startVictoriaMetrics } = await import("../support/engines.ts");
  const { renderedFlags, scrapingItselfAt, withReplicasAt } = await import("../support/replicas.ts");
  const { mkdir, writeFile } = await import("node:fs/promises");
  const { toYaml } = await import("../../scripts/core/yaml.ts");
  const { REMOTE_WRITE_BYTES_PER_SAMPLE } = await import("../../scripts/core/review/rollout.ts");
  const dir = await mkdtemp(join(tmpdir(), "fleetfed-bench-fresh-"));
  const ids = ["c1", "c2"];
  const servers: Awaited<ReturnType<typeof startPrometheus>>[] = [];
  const exporter = await startFixtureExporter(ids);
  try {
    const ports = new Map(await Promise.all(ids.map(async (id) => [id, await freePort()] as const)));
    const vmPort = await freePort();
    const receiverPort = await freePort();
    const fleet = async (name: string, remoteWrite: string) => {
      const root = join(dir, name);
      await mkdir(join(root, "clusters"), { recursive: true });
      await writeFile(
        join(root, "fleet.yaml"),
        `federation: {scrapeInterval: 10s, scrapeTimeout: 10s, replicas: 1}\nclusterRules: {interval: 10s}\nremoteWrite:\n${remoteWrite}`,
      );
      for (const id of ids)
        await writeFile(
          join(root, "clusters", `${id}.yaml`),
          `cluster: ${id}\nendpoint: 127.0.0.1:${ports.get(id)}\n`,
        );
      const { spawnSync } = await import("node:child_process");
      spawnSync(process.execPath, [
        join(import.meta.dirname, "..", "..", "scripts", "fleetfed.js"),
        "render",
        "--root",
        root,
      ]);
      return root;
    };
    const vmRepo = await fleet("fleet-vm", `  engine: victoriametrics\n  url: http://127.0.0.1:${vmPort}\n`);
    const promRepo = await fleet(
      "fleet-prom",
      `  engine: prometheus\n  url: http://127.0.0.1:${receiverPort}\n`,
    );
    const m = (repo: string, p: string) => readFile(join(repo, "manifests", p), "utf8");
    const vmFlags = parse(await m(vmRepo, "remote-write/engine.yaml")).requires.flags as string[];
    const victoria = await startVictoriaMetrics(dir, "vm", vmFlags, vmPort);
    servers.push(victoria);
    const receiver = await startPrometheus(dir, "receiver", receiverPort, "global: {}\n", {}, [
      "--web.enable-remote-write-receiver",
    ]);
    servers.push(receiver);
    const rules = await m(vmRepo, "cluster-rules/rules.yml");
    const target = exporter.url.replace("http://", "");
    for (const id of ids) {
      const port = ports.get(id) as number;
      const blocks = await Promise.all(
        [vmRepo, promRepo].map(
          async (r) => parse(await m(r, `onboarding/${id}/remote-write.yml`)).remote_write[0],
        ),
      );
      const config = `global: {scrape_interval: 10s, evaluation_interval: 10s, external_labels: {cluster: eks-${id}, prometheus_replica: prometheus-k8s-0}}
rule_files: [rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:${port}']}]
${["node-exporter", "kube-state-metrics", "kubelet"].map((job) => `  - job_name: ${job}\n    metrics_path: /metrics/${id}\n    static_configs: [{targets: ['${target}']}]`).join("\n")}
${toYaml({ remote_write: blocks }, { header: false })}`;
      servers.push(await startPrometheus(dir, `cluster-${id}`, port, config, { "rules.yml": rules }));
    }
    const leafPort = await freePort();
    const globalPort = await freePort();
    const own = (config: string, port: number) => scrapingItselfAt(config, `127.0.0.1:${port}`);
    const leaf = await startPrometheus(
      dir,
      "leaf-000",
      leafPort,
      own(await m(vmRepo, "federation/leaf-000/prometheus.yml"), leafPort),
      {},
      await renderedFlags(join(vmRepo, "manifests"), "leaf-000"),
    );
    servers.push(leaf);
    const globalConfig = withReplicasAt(
      (await m(vmRepo, "federation/global/prometheus.yml")).replaceAll(
        "fleetfed-leaf-000.monitoring.svc:9090",
        `127.0.0.1:${leafPort}`,
      ),
      { "leaf-000": [`127.0.0.1:${leafPort}`], global: [`127.0.0.1:${globalPort}`] },
    );
    const global = await startPrometheus(
      dir,
      "global",
      globalPort,
      own(globalConfig, globalPort),
      { "alerts.yml": await m(vmRepo, "federation/global/alerts.yml") },
      await renderedFlags(join(vmRepo, "manifests"), "global"),
    );
    servers.push(global);
    const series = 'cluster:kube_pod_running:sum{cluster="c1"}';
    const age = async (url: string) => {
      const r = await query(url, `time() - timestamp(${series})`);
      return r.length > 0 ? Number(r[0]?.value[1]) : undefined;
    };
    const tops = {
      "remote-write, VictoriaMetrics": victoria.url,
      "remote-write, Prometheus receiver": receiver.url,
      "federation, leaf": leaf.url,
      "federation, global": global.url,
    };
    await waitFor("c1 at every top", 120_000, async () =>
      (await Promise.all(Object.values(tops).map(age))).every((a) => a !== undefined),
    );
    const ages: Record<string, number[]> = Object.fromEntries(Object.keys(tops).map((k) => [k, []]));
    for (let i = 0; i < 120; i++) {
      await Promise.all(
        Object.entries(tops).map(async ([k, url]) => {
          const a = await age(url);
          if (a !== undefined) ages[k]?.push(a);
        }),
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
    const pct = (xs: number[], p: number) =>
      [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;
    console.log("age of the newest sample at the top, rule interval 10 s (120 samples, one a second):");
    console.log(
      "  (federation rows: the age of that tier's own scrape stamp, honor_timestamps: false; the data is older by the tiers below it)",
    );
    for (const [k, xs] of Object.entries(ages)) {
      const target = k.startsWith("remote-write")
        ? ` (target p95 ≤ 15 s): ${pct(xs, 95) <= 15 ? "met" : "MISSED"}`
        : "";
      console.log(`  ${k}: p50 ${pct(xs, 50).toFixed(1)} s, p95 ${pct(xs, 95).toFixed(1)} s${target}`);
    }
    const bytes = await query(
      servers[2]?.url as string,
      "sum by (url) (prometheus_remote_storage_bytes_total)",
    );
    const samples = await query(
      servers[2]?.url as string,
      "sum by (url) (prometheus_remote_storage_samples_total)",
    );
    for (const b of bytes) {
      const s = samples.find((x) => x.metric.url === b.metric.url);
      const perSample = Number(b.value[1]) / Number(s?.value[1]);
      console.log(
        `bytes on the wire per remote-written sample, metadata off (${b.metric.url?.includes(String(vmPort)) ? "VictoriaMetrics" : "Prometheus"}): ${perSample.toFixed(1)} B (the PR's model: ${REMOTE_WRITE_BYTES_PER_SAMPLE} B)`,
      );
    }
  } finally {
    await stopAll(servers);
    await exporter.close();
    await rm(dir, { recursive: true, force: true });
  }
} else {
  console.log("freshness at the top: skipped, prometheus or victoria-metrics not on PATH (npm run tools)");
}
