// End to end with real Prometheus: five "cluster" servers, the rendered leaf and global federator configs
// run unmodified except for the leaves' addresses, and every cluster's series arrive at the top.

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concreteQuery } from "../../scripts/core/check/coverage.ts";
import { startCluster } from "../support/clusters.ts";
import { startFixtureExporter } from "../support/fixture-exporter.ts";
import {
  freePort,
  query,
  type RunningPrometheus,
  startAlertmanager,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { renderedFlags, scrapingItselfAt, withReplicasAt } from "../support/replicas.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { startServiceProxy } from "../support/service-proxy.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");
const alertmanagerBinary = await tool("prometheus-alertmanager");

const CLUSTERS = ["c1", "c2", "c3", "c4", "c5"];

describe.skipIf(!prometheus || !alertmanagerBinary)("federation through real Prometheus servers", () => {
  const servers: RunningPrometheus[] = [];
  let work: string;
  let global: RunningPrometheus;

  let repo: string;
  let exporter: { url: string; close: () => Promise<void> };
  let alertmanager: RunningPrometheus | undefined;
  const replicas: RunningPrometheus[] = [];
  let service: { port: number; close: () => Promise<void> } | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "fleetfed-e2e-"));
    // A real Alertmanager, where the top federator sends its alerts (alerting.alertmanagers).
    const alertmanagerPort = await freePort();
    alertmanager = await startAlertmanager(work, alertmanagerPort);
    const ports = new Map<string, number>();
    for (const id of CLUSTERS) ports.set(id, await freePort());
    repo = await makeRepo({
      "fleet.yaml": `federation:\n  scrapeInterval: 1s\n  scrapeTimeout: 1s\n  shardSize: 2\nclusterRules:\n  interval: 1s\nalerting:\n  alertmanagers: ['http://127.0.0.1:${alertmanagerPort}']\n  resendDelay: 1s\n`,
      ...Object.fromEntries(
        CLUSTERS.map((id, i) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: 127.0.0.1:${ports.get(id)}\nlabels: {env: e2e, region: r${i + 1}}\n`,
        ]),
      ),
    });
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    // Run the federators with the flags their StatefulSet gives them. The test fleet re-sends alerts
    // every second (alerting.resendDelay) so the watchdog that Prometheus sends before it has discovered
    // the Alertmanager arrives in seconds, not the product's default 30 s.
    const globalFlags = await renderedFlags(join(repo, "manifests"), "global");
    expect(globalFlags).toContain("--rules.alert.resend-delay=1s");

    // The clusters: each scrapes itself (job="prometheus") and its node-exporter, kube-state-metrics and
    // cAdvisor stand-in, loads the rendered recording rules unmodified, and records a job: aggregate.
    exporter = await startFixtureExporter(CLUSTERS);
    const clusterRules = await readFile(join(repo, "manifests", "cluster-rules", "rules.yml"), "utf8");
    const exporterUrl = exporter.url;
    servers.push(
      ...(await Promise.all(
        CLUSTERS.map((id) => startCluster(work, id, ports.get(id) as number, { exporterUrl, clusterRules })),
      )),
    );

    const manifests = join(repo, "manifests", "federation");
    const leafPorts = new Map<string, number>();
    // Each federator scrapes itself at its pod's own address; here each has its own port.
    const own = (config: string, port: number) => scrapingItselfAt(config, `127.0.0.1:${port}`);
    for (const leaf of ["leaf-000", "leaf-002"]) {
      const port = await freePort();
      leafPorts.set(leaf, port);
      const config = await readFile(join(manifests, leaf, "prometheus.yml"), "utf8");
      const flags = await renderedFlags(join(repo, "manifests"), leaf);
      servers.push(await startPrometheus(work, leaf, port, own(config, port), {}, flags));
    }
    // leaf-001 runs as its StatefulSet does, two replicas behind one Service.
    const replicaConfig = await readFile(join(manifests, "leaf-001", "prometheus.yml"), "utf8");
    const replicaFlags = await renderedFlags(join(repo, "manifests"), "leaf-001");
    for (const replica of ["a", "b"]) {
      const port = await freePort();
      replicas.push(
        await startPrometheus(work, `leaf-001-${replica}`, port, own(replicaConfig, port), {}, replicaFlags),
      );
    }
    servers.push(...replicas);
    service = await startServiceProxy(replicas.map((r) => r.port));
    leafPorts.set("leaf-001", service.port);
    let globalConfig = await readFile(join(manifests, "global", "prometheus.yml"), "utf8");
    // The edits: in-cluster Service addresses become the local leaves' addresses, and the replicas job's
    // DNS discovery (each headless Service answers with its replicas) becomes the local replicas' ports.
    for (const [leaf, port] of leafPorts) {
      const address = `fleetfed-${leaf}.monitoring.svc:9090`;
      expect(globalConfig).toContain(address);
      globalConfig = globalConfig.replaceAll(address, `127.0.0.1:${port}`);
    }
    const globalPort = await freePort();
    const replicaTargets: Record<string, number[]> = {
      "leaf-000": [leafPorts.get("leaf-000") as number],
      "leaf-001": replicas.map((r) => r.port),
      "leaf-002": [leafPorts.get("leaf-002") as number],
      global: [globalPort],
    };
    globalConfig = withReplicasAt(
      globalConfig,
      Object.fromEntries(
        Object.entries(replicaTargets).map(([federator, ports]) => [
          federator,
          ports.map((p) => `127.0.0.1:${p}`),
        ]),
      ),
    );
    const alerts = await readFile(join(manifests, "global", "alerts.yml"), "utf8");
    global = await startPrometheus(
      work,
      "global",
      globalPort,
      own(globalConfig, globalPort),
      { "alerts.yml": alerts },
      globalFlags,
    );
    servers.push(global);
  }, 120_000);

  afterAll(async () => {
    await stopAll(servers);
    await service?.close();
    await stopAll(alertmanager ? [alertmanager] : []);
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
    // Only the federators' own self-metrics (job fleetfed-federators), none of a cluster's Prometheus.
    expect(await query(global.url, 'prometheus_build_info{job!="fleetfed-federators"}')).toEqual([]);
    expect(await query(global.url, 'up{job="node-exporter"}')).toEqual([]);
    expect(await query(global.url, "kube_pod_status_phase")).toEqual([]);
    const names = await fetch(`${global.url}/api/v1/label/__name__/values`).then(
      (r) => r.json() as Promise<{ data: string[] }>,
    );
    const foreign = names.data.filter(
      (n) =>
        !/^(job|cluster|namespace):/.test(n) &&
        !/^(up|scrape_.*|ALERTS.*|prometheus_.*|go_.*|process_.*|net_conntrack.*|promhttp_.*|fleetfed_replica_cluster_up)$/.test(
          n,
        ),
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
    // Each aggregate appears once its rule has seen two samples and both tiers have scraped it; on a
    // loaded machine some take a few more seconds than the two above. Every query must answer in time.
    const emptyQueries = async () => {
      const empty: string[] = [];
      for (const q of queries) {
        const expr = concreteQuery(q.expr, { cluster: "c3", __rate_interval: "1m" });
        if ((await query(global.url, expr)).length === 0) empty.push(`${q.where}: ${expr}`);
      }
      return empty;
    };
    await waitFor(
      "data for every dashboard query",
      60_000,
      async () => (await emptyQueries()).length === 0,
    ).catch(() => undefined);
    expect(await emptyQueries()).toEqual([]);
    // Per-cluster values differ as the clusters do: c3 has 3 nodes, c5 has 5.
    const nodes = await query(global.url, "cluster:kube_node_ready:sum");
    expect(Object.fromEntries(nodes.map((s) => [s.metric.cluster, s.value[1]]))).toMatchObject({
      c3: "3",
      c5: "5",
    });
  }, 210_000);

  it("delivers the watchdog to the real Alertmanager within a minute, and shows every federator's health at the top", async () => {
    const am = alertmanager as RunningPrometheus;
    await waitFor("FleetfedWatchdog at the Alertmanager", 60_000, async () => {
      const alerts = (await fetch(`${am.url}/api/v2/alerts`).then((r) => r.json())) as {
        labels: Record<string, string>;
      }[];
      return alerts.some((a) => a.labels.alertname === "FleetfedWatchdog" && a.labels.federator === "global");
    });
    // Read from each replica on its own (the replicas job), never through a Service.
    const headSeries = 'prometheus_tsdb_head_series{job="fleetfed-federator-replicas"}';
    await waitFor("every federator's head series at the global", 30_000, async () => {
      const got = await query(global.url, headSeries);
      return new Set(got.map((s) => s.metric.federator)).size === 4;
    });
    const heads = await query(global.url, headSeries);
    expect([...new Set(heads.map((s) => s.metric.federator))].sort()).toEqual([
      "global",
      "leaf-000",
      "leaf-001",
      "leaf-002",
    ]);
    for (const s of heads) expect(Number(s.value[1])).toBeGreaterThan(0);
  }, 90_000);

  it("loses no series at the top when one replica of a leaf dies", async () => {
    const onLeaf001 = 'cluster:kube_node_info:count{cluster=~"c3|c4"}';
    await waitFor(
      "leaf-001's clusters at the global",
      30_000,
      async () => (await query(global.url, onLeaf001)).length === 2,
    );
    const [a] = replicas;
    await stopAll([a as RunningPrometheus]);
    // The Service now reaches replica b, which has been federating the same clusters all along.
    const killedAt = Date.now() / 1000;
    await waitFor("fresh samples of leaf-001's clusters after the kill", 30_000, async () => {
      const got = await query(global.url, `timestamp(${onLeaf001})`);
      return got.length === 2 && got.every((s) => Number(s.value[1]) > killedAt + 2);
    });
    expect((await query(global.url, onLeaf001)).map((s) => s.metric.cluster).sort()).toEqual(["c3", "c4"]);
    // One series per cluster: the global never holds both replicas' copies.
    expect(await query(global.url, "count by (cluster) (cluster:kube_node_info:count) > 1")).toEqual([]);
    const up = await query(global.url, 'up{job="fleetfed-leaves"}');
    expect(up.map((s) => [s.metric.federator, s.value[1]]).sort()).toEqual([
      ["leaf-000", "1"],
      ["leaf-001", "1"],
      ["leaf-002", "1"],
    ]);
  }, 90_000);

  it("loads the federation alerts on the global, with only the watchdog firing", async () => {
    const body = (await fetch(`${global.url}/api/v1/rules`).then((r) => r.json())) as {
      data: { groups: { rules: { name: string; state: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual([
      "FleetfedClusterAggregatesMissing",
      "FleetfedClusterFederationDown",
      "FleetfedClusterOverLimit",
      "FleetfedFederationSamplesNearLimit",
      "FleetfedFederationScrapeNearTimeout",
      "FleetfedFederatorConfigReloadFailed",
      "FleetfedFederatorHeadSeriesNearBudget",
      "FleetfedFederatorMemoryNearLimit",
      "FleetfedFederatorReplicaMissesCluster",
      "FleetfedFederatorReplicasDegraded",
      "FleetfedFederatorRuleFailures",
      "FleetfedLeafFederatorDown",
      "FleetfedWatchdog",
    ]);
    // Only the watchdog fires (it always does), and the degraded-HA alert may: this test runs the
    // federators other than leaf-001 as one process each, and kills one of leaf-001's (test/e2e/ha.test.ts
    // sees that alert fire, and each replica alert, for the one replica in trouble).
    expect(
      rules
        .filter((r) => r.state === "firing" && r.name !== "FleetfedFederatorReplicasDegraded")
        .map((r) => r.name),
    ).toEqual(["FleetfedWatchdog"]);
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
    // Every target of every running server is up, but for the leaf-001 replica the HA test stopped: the
    // global's replicas job is where that shows (HA that tells the truth), and only there.
    const dead = replicas.filter((r) => r.process.exitCode !== null || r.process.signalCode !== null);
    for (const s of servers.filter((x) => x.process.exitCode === null && x.process.signalCode === null)) {
      const targets = await fetch(`${s.url}/api/v1/targets`).then(
        (r) =>
          r.json() as Promise<{
            data: {
              activeTargets: {
                health: string;
                lastError: string;
                scrapeUrl: string;
                labels: Record<string, string>;
              }[];
            };
          }>,
      );
      for (const t of targets.data.activeTargets) {
        const stopped = dead.some((d) => t.scrapeUrl.includes(`:${d.port}/`));
        expect(t.health, `${s.name}: ${t.scrapeUrl} ${t.lastError}`).toBe(stopped ? "down" : "up");
        if (stopped) expect(t.labels.job).toBe("fleetfed-federator-replicas");
      }
    }
    const replicaHealth = await query(
      global.url,
      'up{job="fleetfed-federator-replicas", federator="leaf-001"}',
    );
    expect(replicaHealth.map((x) => x.value[1]).sort()).toEqual(dead.length > 0 ? ["0", "1"] : ["1", "1"]);
  });
});
