// Remote-write delivery end to end (#33). Four cluster Prometheus servers (the release fleetfed ships)
// load kube-prometheus's own rules and fleetfed's, with the chart's external labels, and write with the
// rendered remote_write blocks of two fleets at once:
//   A: engine victoriametrics with a tenant (a VictoriaMetrics cluster's paths) → its strict front → a real
//      VictoriaMetrics single node, started with the flags manifests/remote-write/engine.yaml renders;
//      vmalert evaluates the rendered alerts through the front's query path.
//   B: engine mimir (X-Scope-OrgID) → its strict front → a real Prometheus with the remote-write
//      receiver on, which evaluates the rendered alerts itself.
// Cluster k1 runs as an HA pair (two replicas); k5 is in both inventories but never sends anything.

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { concreteQuery } from "../../scripts/core/check/coverage.ts";
import { selectorsOf } from "../../scripts/core/promql.ts";
import { RECORDS } from "../../scripts/core/render/records.ts";
import { toYaml } from "../../scripts/core/yaml.ts";
import { dashboardExpressions } from "../support/dashboards.ts";
import { type Front, startFront, startVictoriaMetrics, startVmalert } from "../support/engines.ts";
import { startFixtureExporter } from "../support/fixture-exporter.ts";
import {
  freePort,
  type RunningPrometheus,
  type Sample,
  sampleGaps,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");
const vm = await tool("victoria-metrics");
const RULES = join(import.meta.dirname, "..", "fixtures", "kube-prometheus-rules");
const SENDING = ["k1", "k2", "k3", "k4"];
const INVENTORY = [...SENDING, "k5"];
const AGGREGATE_NAMES = new Set<string>(Object.values(RECORDS));

async function kubePrometheusRules(): Promise<string> {
  const groups: unknown[] = [];
  for (const file of (await readdir(RULES)).filter((f) => f.endsWith(".yaml")).sort()) {
    const rule = parse(await readFile(join(RULES, file), "utf8")) as { spec: { groups: object[] } };
    for (const group of rule.spec.groups) groups.push({ ...group, interval: "1s" });
  }
  return toYaml({ groups }, { header: false });
}

/** A query against an engine's query API through its front, with the headers its datasource sends. */
async function engineQuery(
  base: string,
  promql: string,
  headers: Record<string, string> = {},
): Promise<Sample[]> {
  const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`, { headers });
  const body = (await r.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== "success") throw new Error(`${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

describe.skipIf(!prometheus || !vm)(
  "remote-write into VictoriaMetrics and a Prometheus receiver, behind strict fronts",
  () => {
    const servers: RunningPrometheus[] = [];
    const fronts: Front[] = [];
    const clusters = new Map<string, RunningPrometheus>();
    let work: string;
    let exporter: { url: string; close: () => Promise<void> };
    let victoria: RunningPrometheus;
    let vmalert: RunningPrometheus;
    let receiver: RunningPrometheus;
    let receiverPort: number;
    let receiverRules: string;
    let vmFront: Front;
    let mimirFront: Front;
    let vmEngine: { query: string; requires: { flags: string[] } };
    let mimirEngine: { query: string; headers: Record<string, string> };
    let dashboards: string[];
    const repos: Record<"a" | "b", string> = { a: "", b: "" };

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), "fleetfed-rw-"));
      // The receivers first (their fronts' URLs go into fleet.yaml), then each fleet rendered as a team would.
      receiverPort = await freePort();
      const frontB = await startFront("mimir", "fleet", {
        write: `http://127.0.0.1:${receiverPort}/api/v1/write`,
        query: `http://127.0.0.1:${receiverPort}`,
      });
      mimirFront = frontB;
      fronts.push(frontB);
      // VictoriaMetrics needs its flags from engine.yaml, which needs the front's URL: the front forwards
      // to a port VictoriaMetrics takes once the fleet is rendered.
      const vmPort = await freePort();
      vmFront = await startFront("victoriametrics-cluster", "42", {
        write: `http://127.0.0.1:${vmPort}/api/v1/write`,
        query: `http://127.0.0.1:${vmPort}`,
      });
      fronts.push(vmFront);
      const clusterFiles = Object.fromEntries(
        INVENTORY.map((id, i) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: 127.0.0.1:${20000 + i}\n`,
        ]),
      );
      const common = "clusterRules:\n  interval: 1s\n  labels: {release: kube-prometheus-stack}\n";
      repos.a = await makeRepo({
        "fleet.yaml": `${common}remoteWrite:\n  engine: victoriametrics\n  url: ${vmFront.url}\n  tenant: '42'\n  notSendingFor: 3s\n`,
        ...clusterFiles,
      });
      repos.b = await makeRepo({
        "fleet.yaml": `${common}remoteWrite:\n  engine: mimir\n  url: ${frontB.url}\n  tenant: fleet\n  notSendingFor: 3s\n`,
        ...clusterFiles,
      });
      for (const repo of Object.values(repos)) {
        const r = await runCli(["render", "--root", repo]);
        expect(r.code, r.stderr).toBe(0);
      }
      const manifest = (repo: string, path: string) => readFile(join(repo, "manifests", path), "utf8");
      vmEngine = parse(await manifest(repos.a, "remote-write/engine.yaml"));
      mimirEngine = parse(await manifest(repos.b, "remote-write/engine.yaml"));
      victoria = await startVictoriaMetrics(work, "victoria-metrics", vmEngine.requires.flags, vmPort);
      servers.push(victoria);
      // The receiver evaluates the alerts Mimir's ruler would load (the groups of mimir-rules.yaml).
      receiverRules = toYaml(
        { groups: parse(await manifest(repos.b, "remote-write/mimir-rules.yaml")).groups },
        { header: false },
      );
      receiver = await startReceiver();
      servers.push(receiver);

      exporter = await startFixtureExporter(SENDING);
      const ours = await manifest(repos.a, "cluster-rules/rules.yml");
      const theirs = await kubePrometheusRules();
      const target = exporter.url.replace("http://", "");
      // Each cluster writes to both fleets' engines: both rendered blocks, one list.
      const replicas = SENDING.flatMap((id) => (id === "k1" ? [`${id}-0`, `${id}-1`] : [`${id}-0`]));
      await Promise.all(
        replicas.map(async (replica) => {
          const id = replica.replace(/-\d$/, "");
          const port = await freePort();
          const blocks = await Promise.all(
            Object.values(repos).map(
              async (repo) =>
                parse(await manifest(repo, `onboarding/${id}/remote-write.yml`)).remote_write[0],
            ),
          );
          const config = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: eks-${id}, prometheus: monitoring/kube-prometheus-stack-prometheus, prometheus_replica: prometheus-kps-${replica.slice(-1)}}
rule_files: [kube-prometheus.yml, fleetfed.yml]
scrape_configs:
${["node-exporter", "kube-state-metrics", "kubelet"]
  .map(
    (job) =>
      `  - job_name: ${job}\n    metrics_path: /metrics/${id}\n    static_configs: [{targets: ['${target}']}]`,
  )
  .join("\n")}
${toYaml({ remote_write: blocks }, { header: false })}`;
          const server = await startPrometheus(work, `cluster-${replica}`, port, config, {
            "kube-prometheus.yml": theirs,
            "fleetfed.yml": ours,
          });
          servers.push(server);
          if (replica.endsWith("-0")) clusters.set(id, server);
        }),
      );
      vmalert = await startVmalert(
        work,
        await manifest(repos.a, "remote-write/alerts.yml"),
        `${vmFront.url}/select/42/prometheus`,
      );
      servers.push(vmalert);
      dashboards = await dashboardExpressions(join(repos.a, "manifests"));
      // Every aggregate of every sending cluster at both engines, the slowest (two rules deep) included.
      const slowest =
        "cluster:kube_applications_per_node:ratio or namespace:container_cpu_usage_seconds:sum_rate";
      await waitFor("every sending cluster's aggregates at both engines", 120_000, async () => {
        const a = await engineQuery(vmEngine.query, slowest);
        const b = await engineQuery(mimirEngine.query, slowest, mimirEngine.headers);
        return SENDING.every(
          (id) => a.some((s) => s.metric.cluster === id) && b.some((s) => s.metric.cluster === id),
        );
      });
    }, 240_000);

    async function startReceiver(): Promise<RunningPrometheus> {
      return startPrometheus(
        work,
        "receiver",
        receiverPort,
        "global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n",
        { "rules.yml": receiverRules },
        ["--web.enable-remote-write-receiver"],
      );
    }

    afterAll(async () => {
      await stopAll(servers);
      for (const f of fronts) await f.close();
      await exporter?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it("writes through each engine's own shape only: the fronts forwarded writes and refused nothing the clusters sent", () => {
      expect(vmFront.forwarded.write).toBeGreaterThan(0);
      expect(mimirFront.forwarded.write).toBeGreaterThan(0);
      expect(vmFront.refused.filter((r) => r.includes("POST"))).toEqual([]);
      expect(mimirFront.refused.filter((r) => r.includes("POST"))).toEqual([]);
    });

    it("sends only fleetfed's aggregates, labelled with the fleet's id: at most 25 series a cluster, with kube-prometheus's rules loaded", async () => {
      for (const [base, headers] of [
        [vmEngine.query, {}],
        [mimirEngine.query, mimirEngine.headers],
      ] as const) {
        // The receiver's own alert series (ALERTS*) are what it evaluates, not what the clusters send.
        const names = await engineQuery(
          base,
          'count by (__name__) ({__name__=~".+", __name__!~"ALERTS.*"})',
          headers,
        );
        expect(
          names.map((s) => s.metric.__name__).filter((n) => !AGGREGATE_NAMES.has(n as string)),
          base,
        ).toEqual([]);
        const perCluster = await engineQuery(
          base,
          // Mimir's HA tracker keeps one replica's samples; this front does not, so replicas count once.
          'count by (cluster) (count by (cluster, __name__, namespace) ({__name__=~".+", __name__!~"ALERTS.*"}))',
          headers,
        );
        console.log(
          `${base}: series per cluster ${JSON.stringify(Object.fromEntries(perCluster.map((s) => [s.metric.cluster, s.value[1]])))}`,
        );
        expect(perCluster.map((s) => s.metric.cluster).sort(), base).toEqual(SENDING);
        for (const s of perCluster) expect(Number(s.value[1]), s.metric.cluster).toBeLessThanOrEqual(25);
      }
    });

    it("applies external labels before write relabelling: the fleet's id replaces the external cluster label, and the dropped replica label is gone", async () => {
      const a = await engineQuery(
        vmEngine.query,
        'count by (cluster, prometheus_replica) ({__name__=~".+"})',
      );
      expect(a.every((s) => !s.metric.cluster?.startsWith("eks-"))).toBe(true);
      // Dropped by write relabelling although Prometheus adds it as an external label: so it was there first.
      expect(a.every((s) => s.metric.prometheus_replica === undefined)).toBe(true);
      // Mimir's HA tracker reads it as __replica__ (the one label kept for it).
      const b = await engineQuery(
        mimirEngine.query,
        'count by (__replica__) ({__name__=~".+", __name__!~"ALERTS.*"})',
        mimirEngine.headers,
      );
      expect(b.map((s) => s.metric.__replica__).sort()).toEqual(["prometheus-kps-0", "prometheus-kps-1"]);
    });

    it("keeps one series per aggregate for the HA pair at VictoriaMetrics, and one sample per rule interval with the rendered dedup flag", async () => {
      expect(vmEngine.requires.flags).toContain("-dedup.minScrapeInterval=1s");
      // Both replicas write every aggregate; at the engine each is one series, as for a single replica.
      const series = await engineQuery(vmEngine.query, 'count by (__name__, namespace) ({cluster="k1"})');
      expect(series.length).toBeGreaterThan(5);
      expect(series.filter((s) => s.value[1] !== "1")).toEqual([]);
      // And one sample per second, not two: k1 (two writers) holds as many as k2 (one).
      const samples = async (id: string) =>
        Number(
          (
            await engineQuery(vmEngine.query, `count_over_time(${RECORDS.podsRunning}{cluster="${id}"}[30s])`)
          )[0]?.value[1],
        );
      const [k1, k2] = [await samples("k1"), await samples("k2")];
      console.log(`samples in 30 s at VictoriaMetrics: k1 (HA pair) ${k1}, k2 ${k2}`);
      expect(k1).toBeGreaterThan(3);
      expect(k1).toBeLessThanOrEqual(k2 + 2);
    });

    it("answers every dashboard query on the aggregates with data through each engine's query API, with the source's numbers", async () => {
      const aggregateOnly = dashboards
        .map((e) => concreteQuery(e, { cluster: "k2", __rate_interval: "1m" }))
        .filter((q) => {
          const { selectors, error } = selectorsOf(q);
          return (
            !error &&
            selectors.length > 0 &&
            selectors.every((s) => s.metric !== undefined && AGGREGATE_NAMES.has(s.metric))
          );
        });
      expect(aggregateOnly.length).toBeGreaterThan(10);
      const empty = async (base: string, headers: Record<string, string>) => {
        const out: string[] = [];
        for (const q of aggregateOnly) if ((await engineQuery(base, q, headers)).length === 0) out.push(q);
        return out;
      };
      expect(await empty(vmEngine.query, {})).toEqual([]);
      expect(await empty(mimirEngine.query, mimirEngine.headers)).toEqual([]);
      // The headline numbers: what k2's own Prometheus records, at each engine.
      const source = clusters.get("k2") as RunningPrometheus;
      for (const name of [RECORDS.nodes, RECORDS.nodesReady, RECORDS.podsRunning, RECORDS.applications]) {
        const own = await engineQuery(source.url, name);
        const a = await engineQuery(vmEngine.query, `${name}{cluster="k2"}`);
        const b = await engineQuery(mimirEngine.query, `${name}{cluster="k2"}`, mimirEngine.headers);
        expect(Number(a[0]?.value[1]), name).toBe(Number(own[0]?.value[1]));
        expect(Number(b[0]?.value[1]), name).toBe(Number(own[0]?.value[1]));
      }
    });

    it("fires FleetfedClusterNotSending for the one inventoried cluster that sends nothing, in vmalert and in the receiver's own rules", async () => {
      // vmalert evaluates 30 s in the past by default (-rule.evalDelay), so in the first minute every
      // cluster looks silent: wait for the evaluations to settle on exactly the silent one.
      const firing = async () => {
        const v = (await (await fetch(`${vmalert.url}/api/v1/alerts`)).json()) as {
          data: { alerts: { labels: Record<string, string>; state: string }[] };
        };
        const r = await engineQuery(
          receiver.url,
          'ALERTS{alertname="FleetfedClusterNotSending", alertstate="firing"}',
        );
        return {
          vmalert: v.data.alerts
            .filter((x) => x.state === "firing")
            .map((x) => x.labels.cluster)
            .sort(),
          receiver: r.map((s) => s.metric.cluster).sort(),
        };
      };
      await waitFor("FleetfedClusterNotSending firing for k5 alone in both", 150_000, async () => {
        const f = await firing();
        return JSON.stringify(f) === JSON.stringify({ vmalert: ["k5"], receiver: ["k5"] });
      }).catch(() => undefined);
      expect(await firing()).toEqual({ vmalert: ["k5"], receiver: ["k5"] });
    }, 180_000);

    it("leaves no gap in any cluster's aggregates after the receiver was down for 60 s", async () => {
      await stopAll([receiver]);
      const down = Date.now() / 1000;
      await new Promise((r) => setTimeout(r, 60_000));
      receiver = await startReceiver();
      servers.push(receiver);
      const up = Date.now() / 1000;
      // The clusters resend what they queued while it was down (their WAL), oldest first.
      await waitFor("the backlog delivered", 90_000, async () => {
        const latest = await engineQuery(receiver.url, `timestamp(${RECORDS.podsRunning})`, {});
        return latest.length >= SENDING.length && latest.every((s) => Number(s.value[1]) > up);
      });
      const gaps = await sampleGaps(receiver.url, `${RECORDS.podsRunning}`, down - 10, up + 5);
      const longest = Object.fromEntries(
        gaps.map((g) => [`${g.metric.cluster}/${g.metric.__replica__}`, g.longestGap]),
      );
      console.log(`longest gap per series across the 60 s outage: ${JSON.stringify(longest)}`);
      expect(gaps.length).toBeGreaterThanOrEqual(SENDING.length);
      // Rule interval 1 s: a gap is at most a couple of evaluations, never the outage.
      for (const [series, gap] of Object.entries(longest)) expect(gap, series).toBeLessThanOrEqual(5);
    }, 240_000);
  },
);
