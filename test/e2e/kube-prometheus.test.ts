// End to end on workload clusters as kube-prometheus-stack runs them: each cluster Prometheus loads
// kube-prometheus's own rule files (test/fixtures/kube-prometheus-rules/, unchanged, source commit in
// its README) beside fleetfed's, with the chart's external labels. What reaches the top must be
// fleetfed's aggregates only (≤ 25 series a cluster), every dashboard query must have data, no rule group
// may fail, and a cluster whose Prometheus does not load fleetfed's rules must raise
// FleetfedClusterAggregatesMissing — and no other cluster.

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { concreteQuery } from "../../scripts/core/check/coverage.ts";
import { toYaml } from "../../scripts/core/yaml.ts";
import { dashboardExpressions } from "../support/dashboards.ts";
import { startFixtureExporter } from "../support/fixture-exporter.ts";
import {
  freePort,
  query,
  type RunningPrometheus,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { renderedFlags, scrapingItselfAt, withReplicasAt } from "../support/replicas.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");
const RULES = join(import.meta.dirname, "..", "fixtures", "kube-prometheus-rules");
/** k1 and k2 load fleetfed's rules; k3's PrometheusRule is "not selected": it loads only the chart's. */
const CLUSTERS = ["k1", "k2", "k3"];
const WITH_OUR_RULES = ["k1", "k2"];

/** kube-prometheus's PrometheusRule objects as one Prometheus rules file, every group evaluated each second. */
async function kubePrometheusRules(): Promise<string> {
  const groups: unknown[] = [];
  for (const file of (await readdir(RULES)).filter((f) => f.endsWith(".yaml")).sort()) {
    const rule = parse(await readFile(join(RULES, file), "utf8")) as {
      spec: { groups: Record<string, unknown>[] };
    };
    for (const group of rule.spec.groups) groups.push({ ...group, interval: "1s" });
  }
  return toYaml({ groups }, { header: false });
}

describe.skipIf(!prometheus)("federation of clusters running kube-prometheus's own rules", () => {
  const servers: RunningPrometheus[] = [];
  const clusters = new Map<string, RunningPrometheus>();
  let work: string;
  let repo: string;
  let global: RunningPrometheus;
  let exporter: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "fleetfed-kps-"));
    const ports = new Map<string, number>();
    for (const id of CLUSTERS) ports.set(id, await freePort());
    // The shipped default match[]: nothing in fleet.yaml narrows or widens it.
    repo = await makeRepo({
      "fleet.yaml":
        "federation:\n  scrapeInterval: 1s\n  scrapeTimeout: 1s\n  shardSize: 10\nclusterRules:\n  interval: 1s\n  labels: {release: kube-prometheus-stack}\n",
      ...Object.fromEntries(
        CLUSTERS.map((id) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: 127.0.0.1:${ports.get(id)}\n`,
        ]),
      ),
    });
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    exporter = await startFixtureExporter(CLUSTERS);
    const ours = await readFile(join(repo, "manifests", "cluster-rules", "rules.yml"), "utf8");
    const theirs = await kubePrometheusRules();
    const target = exporter.url.replace("http://", "");
    await Promise.all(
      CLUSTERS.map(async (id) => {
        const port = ports.get(id) as number;
        const files = WITH_OUR_RULES.includes(id)
          ? ["kube-prometheus.yml", "fleetfed.yml"]
          : ["kube-prometheus.yml"];
        const config = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: eks-${id}, prometheus: monitoring/kube-prometheus-stack-prometheus, prometheus_replica: prometheus-kube-prometheus-stack-prometheus-0}
rule_files: [${files.join(", ")}]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:${port}']}]
${["node-exporter", "kube-state-metrics", "kubelet"]
  .map(
    (job) =>
      `  - job_name: ${job}\n    metrics_path: /metrics/${id}\n    static_configs: [{targets: ['${target}']}]`,
  )
  .join("\n")}
`;
        const server = await startPrometheus(work, `cluster-${id}`, port, config, {
          "kube-prometheus.yml": theirs,
          "fleetfed.yml": ours,
        });
        servers.push(server);
        clusters.set(id, server);
      }),
    );
    const manifests = join(repo, "manifests", "federation");
    const own = (config: string, port: number) => scrapingItselfAt(config, `127.0.0.1:${port}`);
    const leafPort = await freePort();
    servers.push(
      await startPrometheus(
        work,
        "leaf-000",
        leafPort,
        own(await readFile(join(manifests, "leaf-000", "prometheus.yml"), "utf8"), leafPort),
        {},
        await renderedFlags(join(repo, "manifests"), "leaf-000"),
      ),
    );
    const globalPort = await freePort();
    const rendered = (await readFile(join(manifests, "global", "prometheus.yml"), "utf8")).replaceAll(
      "fleetfed-leaf-000.monitoring.svc:9090",
      `127.0.0.1:${leafPort}`,
    );
    // Each headless Service's DNS answer (every replica) becomes the one local server of each federator.
    const globalConfig = withReplicasAt(rendered, {
      "leaf-000": [`127.0.0.1:${leafPort}`],
      global: [`127.0.0.1:${globalPort}`],
    });
    global = await startPrometheus(
      work,
      "global",
      globalPort,
      own(globalConfig, globalPort),
      { "alerts.yml": await readFile(join(manifests, "global", "alerts.yml"), "utf8") },
      await renderedFlags(join(repo, "manifests"), "global"),
    );
    servers.push(global);
    // Every aggregate of the clusters with our rules at the top, the slowest (two rules deep) last.
    await waitFor("fleetfed's aggregates of k1 and k2 at the global", 120_000, async () => {
      const got = await query(
        global.url,
        "cluster:kube_applications_per_node:ratio or namespace:container_cpu_usage_seconds:sum_rate",
      );
      return WITH_OUR_RULES.every((id) => got.some((s) => s.metric.cluster === id));
    });
  }, 180_000);

  afterAll(async () => {
    await stopAll(servers);
    await exporter?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("takes the chart's per-container series to the clusters, never to the top: each cluster costs at most 25 series", async () => {
    // The chart's per-container rule does run on the clusters, so the default match[] really is tested.
    const perContainer = "cluster:namespace:pod_cpu:active:kube_pod_container_resource_requests";
    expect((await query((clusters.get("k1") as RunningPrometheus).url, perContainer)).length).toBeGreaterThan(
      0,
    );
    expect(await query(global.url, perContainer)).toEqual([]);
    const data = await query(
      global.url,
      'count by (cluster) ({cluster=~"k.*", __name__!~"up|scrape_.*|ALERTS.*|fleetfed_replica_cluster_up"})',
    );
    const perCluster = Object.fromEntries(data.map((s) => [s.metric.cluster, Number(s.value[1])]));
    console.log(`data series at the top per cluster: ${JSON.stringify(perCluster)}`);
    for (const id of WITH_OUR_RULES) expect(perCluster[id], id).toBeGreaterThan(0);
    for (const id of CLUSTERS) expect(perCluster[id] ?? 0, id).toBeLessThanOrEqual(25);
    // Only fleetfed's own aggregates arrive (the global's own ALERTS and each replica's health of each
    // cluster aside): every name is one it records.
    const names = await query(
      global.url,
      'count by (__name__) ({cluster=~"k.*", __name__!~"up|scrape_.*|ALERTS.*|fleetfed_replica_cluster_up"})',
    );
    expect(names.map((s) => s.metric.__name__).filter((n) => !/^(cluster|namespace):/.test(n ?? ""))).toEqual(
      [],
    );
  });

  it("answers every dashboard query with data for a cluster that loads the rules", async () => {
    const exprs = await dashboardExpressions(join(repo, "manifests"));
    expect(exprs.length).toBeGreaterThan(25);
    const empty = async () => {
      const out: string[] = [];
      for (const e of exprs) {
        const q = concreteQuery(e, { cluster: "k2", __rate_interval: "1m" });
        if ((await query(global.url, q)).length === 0) out.push(q);
      }
      return out;
    };
    await waitFor("data for every dashboard query", 60_000, async () => (await empty()).length === 0).catch(
      () => undefined,
    );
    expect(await empty()).toEqual([]);
  }, 90_000);

  it("evaluates every rule group on every cluster without an error, theirs and ours", async () => {
    for (const [id, server] of clusters) {
      const res = await fetch(`${server.url}/api/v1/rules`);
      const body = (await res.json()) as {
        data: { groups: { name: string; rules: { health: string; lastError?: string }[] }[] };
      };
      const groups = body.data.groups;
      expect(groups.length, id).toBeGreaterThan(5);
      const failing = groups.flatMap((g) =>
        g.rules.filter((r) => r.health === "err").map((r) => `${g.name}: ${r.lastError}`),
      );
      expect(failing, id).toEqual([]);
      const failures = await query(server.url, "sum(prometheus_rule_evaluation_failures_total)");
      expect(Number(failures[0]?.value[1]), id).toBe(0);
    }
  });

  it("fires FleetfedClusterAggregatesMissing for the one cluster without fleetfed's rules, within two evaluations of its for:", async () => {
    // for: ten rule intervals (1 s here): 10 s.
    await waitFor("FleetfedClusterAggregatesMissing firing", 60_000, async () => {
      const alerts = await query(
        global.url,
        'ALERTS{alertname="FleetfedClusterAggregatesMissing", alertstate="firing"}',
      );
      return alerts.length > 0;
    });
    const firing = await query(
      global.url,
      'ALERTS{alertname="FleetfedClusterAggregatesMissing", alertstate="firing"}',
    );
    expect(firing.map((s) => s.metric.cluster)).toEqual(["k3"]);
    // When it became pending, against when k3 was first seen up at the top: the rule's own clock, not the machine's.
    const res = await fetch(`${global.url}/api/v1/alerts`);
    const body = (await res.json()) as {
      data: { alerts: { labels: Record<string, string>; activeAt: string }[] };
    };
    const alert = body.data.alerts.find((a) => a.labels.alertname === "FleetfedClusterAggregatesMissing");
    const firstUp = await query(global.url, 'min_over_time(timestamp(up{cluster="k3"} == 1)[10m:1s])');
    const pendingAfter = Date.parse(alert?.activeAt ?? "") / 1000 - Number(firstUp[0]?.value[1]);
    console.log(
      `FleetfedClusterAggregatesMissing pending ${pendingAfter.toFixed(1)} s after k3 was first up at the top`,
    );
    expect(pendingAfter).toBeLessThanOrEqual(2);
    // The Fleet overview says the same per cluster: 2 is "up, no aggregates".
    const overview = JSON.parse(
      await readFile(join(repo, "manifests", "dashboards", "fleetfed-fleet-overview.json"), "utf8"),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const status = overview.panels.find((p) => p.title === "Federation status per cluster")?.targets?.[0]
      ?.expr;
    const statuses = await query(global.url, concreteQuery(status as string));
    expect(Object.fromEntries(statuses.map((s) => [s.metric.cluster, s.value[1]]))).toEqual({
      k1: "1",
      k2: "1",
      k3: "2",
    });
  }, 90_000);
});
