// One bad cluster never blinds a leaf (#30), end to end with real Prometheus servers: leaf-000 holds four
// clusters, one of which answers /federate with 50,000 series under one of fleetfed's aggregate names (what
// a rule recording per container under that name does). The leaf, the global and the three healthy
// clusters run the rendered configs, alerts and flags; the test measures that the three keep arriving at
// the top without a gap, that the leaf's memory stays under its rendered limit while it holds the
// series its limits allow and no more, and that the over-limit alert names the one cluster.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { startCluster } from "../support/clusters.ts";
import { startFixtureExporter } from "../support/fixture-exporter.ts";
import {
  freePort,
  query,
  type RunningPrometheus,
  sampleGaps,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { renderedFlags, scrapingItselfAt, withReplicasAt } from "../support/replicas.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");

const HEALTHY = ["c1", "c2", "c3"];
const LEAKY = "c4";
/** On leaf-001, so the fleet has a global above leaf-000, as fleets of more than one leaf do. */
const OTHER = "c5";
const LEAKED_SERIES = 50_000;
const INTERVAL_S = 1;

/** A cluster whose rules record per pod and container under an aggregate's name: 50,000 series. */
async function startLeakyCluster(port: number) {
  const lines = Array.from(
    { length: LEAKED_SERIES },
    (_, i) =>
      `namespace:container_cpu_usage_seconds:sum_rate{namespace="ns-${i % 200}",pod="app-${i}",container="main"} 0.25`,
  );
  const body = `# TYPE namespace:container_cpu_usage_seconds:sum_rate untyped\n${lines.join("\n")}\n`;
  const server = createServer((req, res) => {
    if (!req.url?.startsWith("/federate")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(body);
  });
  // On the port its cluster file names; like every test server, it stops by itself after ten minutes.
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const stopper = setTimeout(() => server.close(), 600_000);
  stopper.unref();
  const close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(stopper);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { bytes: Buffer.byteLength(body), close };
}

/** A Kubernetes memory quantity as the renderer writes it (Mi or Gi), in bytes. */
function quantityBytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  return Number(m[1]) * 1024 ** (m[2] === "Gi" ? 3 : 2);
}

describe.skipIf(!prometheus)("one cluster that sends too much (#30)", () => {
  const servers: RunningPrometheus[] = [];
  const closers: (() => Promise<void>)[] = [];
  let work: string;
  let repo: string;
  let leaf: RunningPrometheus;
  let global: RunningPrometheus;
  let leakyBytes = 0;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "fleetfed-blast-"));
    const ports = new Map<string, number>();
    for (const id of [...HEALTHY, LEAKY, OTHER]) ports.set(id, await freePort());
    // The shipped defaults but for the test's pace: limits from the model, the leaf's memory from them.
    repo = await makeRepo({
      "fleet.yaml": `federation:\n  scrapeInterval: ${INTERVAL_S}s\n  scrapeTimeout: ${INTERVAL_S}s\n  shardSize: 4\nclusterRules:\n  interval: 1s\n`,
      ...Object.fromEntries(
        [...HEALTHY, LEAKY, OTHER].map((id) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: 127.0.0.1:${ports.get(id)}\n`,
        ]),
      ),
    });
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    const manifests = join(repo, "manifests");
    const federation = join(manifests, "federation");
    const leafConfig = await readFile(join(federation, "leaf-000", "prometheus.yml"), "utf8");
    for (const id of [...HEALTHY, LEAKY]) expect(leafConfig).toContain(`127.0.0.1:${ports.get(id)}`);

    const exporter = await startFixtureExporter([...HEALTHY, OTHER]);
    closers.push(exporter.close);
    const clusterRules = await readFile(join(manifests, "cluster-rules", "rules.yml"), "utf8");
    servers.push(
      ...(await Promise.all(
        [...HEALTHY, OTHER].map((id) =>
          startCluster(work, id, ports.get(id) as number, { exporterUrl: exporter.url, clusterRules }),
        ),
      )),
    );
    const leaky = await startLeakyCluster(ports.get(LEAKY) as number);
    leakyBytes = leaky.bytes;
    closers.push(leaky.close);

    const own = (config: string, port: number) => scrapingItselfAt(config, `127.0.0.1:${port}`);
    const leafPorts = new Map<string, number>();
    for (const name of ["leaf-000", "leaf-001"]) {
      const port = await freePort();
      leafPorts.set(name, port);
      const config = await readFile(join(federation, name, "prometheus.yml"), "utf8");
      const server = await startPrometheus(
        work,
        name,
        port,
        own(config, port),
        {},
        await renderedFlags(manifests, name),
      );
      servers.push(server);
      if (name === "leaf-000") leaf = server;
    }
    const globalPort = await freePort();
    let config = await readFile(join(federation, "global", "prometheus.yml"), "utf8");
    for (const [name, port] of leafPorts)
      config = config.replaceAll(`fleetfed-${name}.monitoring.svc:9090`, `127.0.0.1:${port}`);
    config = withReplicasAt(config, {
      ...Object.fromEntries([...leafPorts].map(([name, port]) => [name, [`127.0.0.1:${port}`]])),
      global: [`127.0.0.1:${globalPort}`],
    });
    global = await startPrometheus(
      work,
      "global",
      globalPort,
      own(config, globalPort),
      { "alerts.yml": await readFile(join(federation, "global", "alerts.yml"), "utf8") },
      await renderedFlags(manifests, "global"),
    );
    servers.push(global);
  }, 120_000);

  afterAll(async () => {
    await stopAll(servers);
    for (const close of closers) await close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const firing = async (alertname: string) =>
    (await query(global.url, `ALERTS{alertname="${alertname}", alertstate="firing"}`)).map((s) => s.metric);

  it("refuses that cluster alone: the other three arrive at the top without a gap, the leaf stays within its memory limit, and the alert names the one cluster", async () => {
    await waitFor("the three healthy clusters' aggregates at the global", 60_000, async () => {
      return (await query(global.url, 'cluster:kube_node_info:count{cluster=~"c1|c2|c3"}')).length === 3;
    });
    const start = Date.now() / 1000;
    // Ten federation scrapes over its limits, then the alert's for: (alert-rules.ts).
    await waitFor("FleetfedClusterOverLimit", 90_000, async () => {
      return (await firing("FleetfedClusterOverLimit")).length > 0;
    });
    // A while longer with the leak on, so the gaps and memory below cover the leak at steady state.
    await new Promise((r) => setTimeout(r, 10_000));
    const end = Date.now() / 1000;
    expect((await firing("FleetfedClusterOverLimit")).map((m) => [m.cluster, m.federator])).toEqual([
      [LEAKY, "leaf-000"],
    ]);
    // Refused for its size, not unreachable: the leaf saw the body over its limit.
    const size = await query(leaf.url, `scrape_body_size_bytes{cluster="${LEAKY}"}`);
    expect(size.map((s) => s.value[1])).toEqual(["-1"]);
    console.log(`blast radius: ${LEAKY} sends ${LEAKED_SERIES} series in ${leakyBytes} bytes per scrape`);

    // The healthy clusters' series at the top, raw: a sample every interval throughout.
    const window = Math.ceil(end - start) + 2;
    const series = await sampleGaps(
      global.url,
      'cluster:kube_node_info:count{cluster=~"c1|c2|c3"}',
      start,
      end,
    );
    expect(series.map((s) => s.metric.cluster).sort()).toEqual(HEALTHY);
    for (const s of series)
      expect(s.samples, s.metric.cluster).toBeGreaterThan((end - start) / (2.5 * INTERVAL_S));
    const worst = series.reduce((a, b) => (b.longestGap > a.longestGap ? b : a));
    console.log(
      `blast radius: longest gap of the healthy clusters at the top ${worst.longestGap.toFixed(3)} s`,
    );
    expect(worst.longestGap, worst.metric.cluster).toBeLessThanOrEqual(2.5 * INTERVAL_S);

    // The leaf's own memory, measured by itself, against the limit its StatefulSet renders; and its head
    // holds what its limits allow (each cluster at its sample_limit, with its health), not the leak.
    const objects = parseAllDocuments(
      await readFile(join(repo, "manifests/federation/leaf-000/federator.yaml"), "utf8"),
    )
      .map((d) => d.toJS())
      .filter(Boolean);
    const sts = objects.find((o) => o.kind === "StatefulSet");
    const container = sts.spec.template.spec.containers.find(
      (c: { name: string }) => c.name === "prometheus",
    );
    const limitBytes = quantityBytes(container.resources.limits.memory);
    const rss = await query(
      leaf.url,
      `max_over_time(process_resident_memory_bytes{job="fleetfed-federators"}[${window}s])`,
    );
    const peak = Number(rss[0]?.value[1]);
    const leafConfig = await readFile(join(repo, "manifests/federation/leaf-000/prometheus.yml"), "utf8");
    const sampleLimit = Number(/sample_limit: (\d+)/.exec(leafConfig)?.[1]);
    const head = Number(
      (await query(leaf.url, `max_over_time(prometheus_tsdb_head_series[${window}s])`))[0]?.value[1],
    );
    console.log(
      `blast radius: leaf-000 peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB of its ${container.resources.limits.memory} limit; head ${head} series (sample_limit ${sampleLimit} per cluster)`,
    );
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(limitBytes);
    expect(head).toBeLessThan(4 * (sampleLimit + 8) + 1000);
    expect(head).toBeLessThan(LEAKED_SERIES);
    // Nothing of the leak reached the top.
    expect(await query(global.url, `count({cluster="${LEAKY}", pod!=""})`)).toEqual([]);
  }, 180_000);
});
