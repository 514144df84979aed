// End to end with real Prometheus: five "cluster" servers, the rendered leaf and global federator configs
// run unmodified except for the leaves' addresses, and every cluster's series arrive at the top.

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concreteQuery } from "../../scripts/core/check/coverage.ts";
import { startFixtureExporter } from "../support/fixture-exporter.ts";
import {
  freePort,
  query,
  type RunningPrometheus,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");

const CLUSTERS = ["c1", "c2", "c3", "c4", "c5"];
/** The flags every federator's StatefulSet passes beyond the config (checked against the rendered one). */
const FEDERATOR_FLAGS = ["--enable-feature=extra-scrape-metrics"];

describe.skipIf(!prometheus)("federation through real Prometheus servers", () => {
  const servers: RunningPrometheus[] = [];
  let work: string;
  let global: RunningPrometheus;

  let repo: string;
  let exporter: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "fleetfed-e2e-"));
    const ports = new Map<string, number>();
    for (const id of CLUSTERS) ports.set(id, await freePort());
    repo = await makeRepo({
      "fleet.yaml":
        "federation:\n  scrapeInterval: 1s\n  scrapeTimeout: 1s\n  shardSize: 2\nclusterRules:\n  interval: 1s\n",
      ...Object.fromEntries(
        CLUSTERS.map((id, i) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: 127.0.0.1:${ports.get(id)}\nlabels: {env: e2e, region: r${i + 1}}\n`,
        ]),
      ),
    });
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    // Run the federators with the flags their StatefulSet gives them.
    const sts = await readFile(join(repo, "manifests", "federation", "leaf-000", "federator.yaml"), "utf8");
    for (const flag of FEDERATOR_FLAGS) expect(sts).toContain(`- ${flag}`);

    // The clusters: each scrapes itself (job="prometheus") and its node-exporter, kube-state-metrics and
    // cAdvisor stand-in, loads the rendered recording rules unmodified, and records a job: aggregate.
    exporter = await startFixtureExporter(CLUSTERS);
    const clusterRules = await readFile(join(repo, "manifests", "cluster-rules", "rules.yml"), "utf8");
    await Promise.all(
      CLUSTERS.map(async (id) => {
        const port = ports.get(id) as number;
        // As kube-prometheus-stack runs it: external labels naming the cluster its own way (not the fleet's
        // id), the operator's prometheus and prometheus_replica, and exporters under kube-prometheus's jobs.
        const exporterTarget = exporter.url.replace("http://", "");
        const config = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: eks-prod-${id}, prometheus: monitoring/k8s, prometheus_replica: prometheus-k8s-0}
rule_files: [rules.yml, job-rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:${port}']}]
${["node-exporter", "kube-state-metrics", "kubelet"]
  .map(
    (job) => `  - job_name: ${job}
    metrics_path: /metrics/${id}
    static_configs: [{targets: ['${exporterTarget}']}]`,
  )
  .join("\n")}
`;
        const jobRules = `groups:
  - name: aggregates
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
`;
        servers.push(
          await startPrometheus(work, `cluster-${id}`, port, config, {
            "rules.yml": clusterRules,
            "job-rules.yml": jobRules,
          }),
        );
      }),
    );

    const manifests = join(repo, "manifests", "federation");
    const leafPorts = new Map<string, number>();
    for (const leaf of ["leaf-000", "leaf-001", "leaf-002"]) {
      const port = await freePort();
      leafPorts.set(leaf, port);
      const config = await readFile(join(manifests, leaf, "prometheus.yml"), "utf8");
      servers.push(await startPrometheus(work, leaf, port, config, {}, FEDERATOR_FLAGS));
    }
    let globalConfig = await readFile(join(manifests, "global", "prometheus.yml"), "utf8");
    // The only edit: in-cluster Service addresses become the local leaves' addresses.
    for (const [leaf, port] of leafPorts) {
      const address = `fleetfed-${leaf}.monitoring.svc:9090`;
      expect(globalConfig).toContain(address);
      globalConfig = globalConfig.replaceAll(address, `127.0.0.1:${port}`);
    }
    const alerts = await readFile(join(manifests, "global", "alerts.yml"), "utf8");
    global = await startPrometheus(
      work,
      "global",
      await freePort(),
      globalConfig,
      { "alerts.yml": alerts },
      FEDERATOR_FLAGS,
    );
    servers.push(global);
  }, 120_000);

  afterAll(async () => {
    await stopAll(servers);
    await exporter?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("labels every cluster's series at the global with the fleet's id and user labels, whatever the cluster calls itself", async () => {
    await waitFor("cluster:kube_node_info:count from every cluster at the global", 60_000, async () => {
      const got = await query(global.url, "cluster:kube_node_info:count");
      return new Set(got.map((s) => s.metric.cluster)).size === CLUSTERS.length;
    });
    const series = await query(global.url, "cluster:kube_node_info:count");
    expect(series).toHaveLength(CLUSTERS.length);
    const byCluster = new Map(series.map((s) => [s.metric.cluster, s.metric]));
    CLUSTERS.forEach((id, i) => {
      const m = byCluster.get(id);
      expect(m, id).toMatchObject({
        cluster: id,
        env: "e2e",
        region: `r${i + 1}`,
        prometheus: "monitoring/k8s",
      });
      expect(m?.federator).toMatch(/^leaf-00[0-2]$/);
      // The cluster's own name for itself and its replica label are gone, not renamed.
      expect(
        Object.keys(m ?? {}).filter((k) => k.startsWith("exported_") || k === "prometheus_replica"),
      ).toEqual([]);
    });
    expect(await query(global.url, 'cluster:kube_node_info:count{cluster=~"eks-prod-.*"}')).toEqual([]);
    // shardSize 2: c1,c2 on leaf-000, c3,c4 on leaf-001, c5 on leaf-002.
    expect(byCluster.get("c1")?.federator).toBe("leaf-000");
    expect(byCluster.get("c4")?.federator).toBe("leaf-001");
    expect(byCluster.get("c5")?.federator).toBe("leaf-002");
    // Scrape health carries the fleet's id too.
    const up = await query(global.url, 'up{job=~"fleetfed-clusters.*"}');
    expect(up.map((s) => s.metric.cluster).sort()).toEqual(CLUSTERS);
  }, 90_000);

  it("federates only the aggregates: no raw series, no cluster Prometheus self-metrics", async () => {
    await waitFor("aggregates at the global", 60_000, async () => {
      return (await query(global.url, "cluster:kube_node_ready:sum")).length === CLUSTERS.length;
    });
    expect(await query(global.url, "prometheus_build_info")).toEqual([]);
    expect(await query(global.url, 'up{job="node-exporter"}')).toEqual([]);
    expect(await query(global.url, "kube_pod_status_phase")).toEqual([]);
    const names = await fetch(`${global.url}/api/v1/label/__name__/values`).then(
      (r) => r.json() as Promise<{ data: string[] }>,
    );
    const foreign = names.data.filter(
      (n) =>
        !/^(job|cluster|namespace):/.test(n) &&
        !/^(up|scrape_.*|ALERTS.*|prometheus_.*|go_.*|process_.*|net_conntrack.*|promhttp_.*)$/.test(n),
    );
    expect(foreign).toEqual([]);
  });

  it("shows at the top the same requests, nodes and pods the cluster's own Prometheus computes", async () => {
    const c3 = servers.find((s) => s.name === "cluster-c3") as RunningPrometheus;
    const direct = {
      cpu: 'sum(kube_pod_container_resource_requests{job="kube-state-metrics",resource="cpu"} * on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase{job="kube-state-metrics",phase=~"Pending|Running"} == 1)) / sum(kube_node_status_allocatable{job="kube-state-metrics",resource="cpu"})',
      memory:
        'sum(kube_pod_container_resource_requests{job="kube-state-metrics",resource="memory"} * on (namespace, pod) group_left () max by (namespace, pod) (kube_pod_status_phase{job="kube-state-metrics",phase=~"Pending|Running"} == 1)) / sum(kube_node_status_allocatable{job="kube-state-metrics",resource="memory"})',
      nodes: 'sum(kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"})',
      pods: 'sum(kube_pod_status_phase{job="kube-state-metrics",phase="Running"})',
    };
    const top = {
      cpu: 'cluster:kube_pod_container_resource_requests_cpu:ratio{cluster="c3"}',
      memory: 'cluster:kube_pod_container_resource_requests_memory:ratio{cluster="c3"}',
      nodes: 'cluster:kube_node_ready:sum{cluster="c3"}',
      pods: 'cluster:kube_pod_running:sum{cluster="c3"}',
    };
    await waitFor("aggregates of c3 at the global", 60_000, async () => {
      for (const q of Object.values(top)) if ((await query(global.url, q)).length !== 1) return false;
      return true;
    });
    const value = async (url: string, q: string) => Number((await query(url, q))[0]?.value[1]);
    // c3: 3 nodes of 4 CPUs and 16 GB; 3 running pods of 0.5 CPU and 1 GB; a finished Job asks 2 CPUs.
    expect(await value(c3.url, direct.cpu)).toBeCloseTo(1.5 / 12, 6);
    for (const key of Object.keys(top) as (keyof typeof top)[]) {
      expect(await value(global.url, top[key]), key).toBeCloseTo(await value(c3.url, direct[key]), 6);
    }
  });

  it("answers every query of every rendered dashboard with data at the global federator", async () => {
    const dir = join(repo, "manifests", "dashboards");
    const queries: { where: string; expr: string }[] = [];
    const collect = (where: string, node: unknown): void => {
      if (Array.isArray(node)) for (const n of node) collect(where, n);
      else if (node && typeof node === "object") {
        const o = node as Record<string, unknown>;
        const title = typeof o.title === "string" ? o.title : undefined;
        if (typeof o.expr === "string") queries.push({ where, expr: o.expr });
        for (const v of Object.values(o)) collect(title && "targets" in o ? `${where}: ${title}` : where, v);
      }
    };
    for (const file of (await readdir(dir)).filter((f) => f.endsWith(".json"))) {
      collect(file, JSON.parse(await readFile(join(dir, file), "utf8")));
    }
    expect(queries.length).toBeGreaterThan(25);
    // The recording rules run every 30s as rendered; wait until the slowest aggregate has crossed both tiers.
    await waitFor(
      "the cluster: and namespace: aggregates of every cluster at the global",
      120_000,
      async () => {
        for (const q of [
          "cluster:kube_applications_per_node:ratio",
          "namespace:container_cpu_usage_seconds:sum_rate",
        ]) {
          if (new Set((await query(global.url, q)).map((s) => s.metric.cluster)).size < CLUSTERS.length)
            return false;
        }
        return true;
      },
    );
    const empty: string[] = [];
    for (const q of queries) {
      const expr = concreteQuery(q.expr, { cluster: "c3", __rate_interval: "1m" });
      if ((await query(global.url, expr)).length === 0) empty.push(`${q.where}: ${expr}`);
    }
    expect(empty).toEqual([]);
    // Per-cluster values differ as the clusters do: c3 has 3 nodes, c5 has 5.
    const nodes = await query(global.url, "cluster:kube_node_ready:sum");
    expect(Object.fromEntries(nodes.map((s) => [s.metric.cluster, s.value[1]]))).toMatchObject({
      c3: "3",
      c5: "5",
    });
  }, 150_000);

  it("loads the federation alerts on the global, with none firing", async () => {
    const body = (await fetch(`${global.url}/api/v1/rules`).then((r) => r.json())) as {
      data: { groups: { rules: { name: string; state: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual([
      "FleetfedClusterFederationDown",
      "FleetfedFederationSamplesNearLimit",
      "FleetfedFederationScrapeNearTimeout",
      "FleetfedLeafFederatorDown",
    ]);
    expect(rules.filter((r) => r.state === "firing")).toEqual([]);
  });

  it("has every federation target up, at both tiers", async () => {
    await waitFor("leaf health series at the global", 60_000, async () => {
      return (await query(global.url, 'up{job=~"fleetfed-clusters.*"}')).length === CLUSTERS.length;
    });
    const clusterTargets = await query(global.url, 'up{job=~"fleetfed-clusters.*"}');
    expect(clusterTargets.map((s) => [s.metric.cluster, s.value[1]]).sort()).toEqual(
      CLUSTERS.map((c) => [c, "1"]),
    );
    const leafTargets = await query(global.url, 'up{job="fleetfed-leaves"}');
    expect(leafTargets.map((s) => [s.metric.federator, s.value[1]]).sort()).toEqual([
      ["leaf-000", "1"],
      ["leaf-001", "1"],
      ["leaf-002", "1"],
    ]);
    for (const s of servers) {
      const targets = await fetch(`${s.url}/api/v1/targets`).then(
        (r) => r.json() as Promise<{ data: { activeTargets: { health: string; lastError: string }[] } }>,
      );
      for (const t of targets.data.activeTargets) expect(t.health, `${s.name}: ${t.lastError}`).toBe("up");
    }
  });
});
