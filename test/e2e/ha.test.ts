// HA that tells the truth (#23), end to end with real Prometheus servers: each leaf runs as its StatefulSet
// does, two replicas behind a Service stand-in that balances per connection. The global runs the rendered
// config and alerts unmodified but for addresses. The test moves the global's read from one replica to the
// other and measures the gaps and out-of-order drops at the top; then, on the replica the global is not
// reading, it breaks a reload, cuts the path to one cluster, and stops it, and watches each replica alert
// fire for that replica alone while the dashboards keep their data.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../support/clusters.ts";
import { startFixtureExporter } from "../support/fixture-exporter.ts";
import {
  freePort,
  query,
  type RunningPrometheus,
  sampleGaps,
  signalPrometheus,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { renderedFlags, scrapingItselfAt, withReplicasAt } from "../support/replicas.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { type ServiceProxy, startServiceProxy } from "../support/service-proxy.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");

const CLUSTERS = ["c1", "c2"];
/** The fleet's federation scrape interval: the global reads each leaf this often. */
const INTERVAL_S = 1;
/**
 * c1's own (a cluster file's scrapeInterval): slower than the global's reads, as a far or large cluster's
 * often is, so after a move the replica read next may hold an older sample of c1 than the one read before.
 */
const C1_INTERVAL_S = 6;
const MOVES = 5;
/** The replica alerts wait twenty federation scrapes (alert-rules.ts). */
const ALERT_FOR_S = 20 * INTERVAL_S;
/** The reload alert looks for one good reload in the last ten scrapes before its for: starts. */
const RELOAD_WINDOW_S = 10 * INTERVAL_S;

describe.skipIf(!prometheus)("HA federators that tell the truth (#23)", () => {
  const servers: RunningPrometheus[] = [];
  const replicas: RunningPrometheus[] = [];
  let work: string;
  let global: RunningPrometheus;
  let service: ServiceProxy;
  const proxies: ServiceProxy[] = [];
  let exporter: { url: string; close: () => Promise<void> } | undefined;
  let replicaConfig: string;
  const clusterPorts = new Map<string, number>();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "fleetfed-ha-"));
    for (const id of CLUSTERS) clusterPorts.set(id, await freePort());
    const repo = await makeRepo({
      "fleet.yaml": `federation:\n  scrapeInterval: ${INTERVAL_S}s\n  scrapeTimeout: ${INTERVAL_S}s\n  shardSize: 1\nclusterRules:\n  interval: 1s\n`,
      ...Object.fromEntries(
        CLUSTERS.map((id) => [
          `clusters/${id}.yaml`,
          `cluster: ${id}\nendpoint: 127.0.0.1:${clusterPorts.get(id)}\nlabels: {env: e2e}\n${id === "c1" ? `scrapeInterval: ${C1_INTERVAL_S}s\n` : ""}`,
        ]),
      ),
    });
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    exporter = await startFixtureExporter(CLUSTERS);
    const manifests = join(repo, "manifests");
    const clusterRules = await readFile(join(manifests, "cluster-rules", "rules.yml"), "utf8");
    const exporterUrl = exporter.url;
    servers.push(
      ...(await Promise.all(
        CLUSTERS.map((id) =>
          startCluster(work, id, clusterPorts.get(id) as number, { exporterUrl, clusterRules }),
        ),
      )),
    );
    // Each federator scrapes itself at its pod's own address; here each has its own port.
    const own = (config: string, port: number) => scrapingItselfAt(config, `127.0.0.1:${port}`);
    const federation = join(manifests, "federation");
    // Each server runs with the flags its rendered StatefulSet gives it (no lifecycle API among them).
    const flags = await renderedFlags(manifests, "leaf-000");
    const globalFlags = await renderedFlags(manifests, "global");
    expect(flags).not.toContain("--web.enable-lifecycle");
    replicaConfig = await readFile(join(federation, "leaf-000", "prometheus.yml"), "utf8");
    for (const name of ["a", "b"]) {
      const port = await freePort();
      // Each replica its own pod name, so each scrapes c1 at its own moment, as in a StatefulSet.
      replicas.push(
        await startPrometheus(work, `leaf-000-${name}`, port, own(replicaConfig, port), {}, flags, {
          hostname: `fleetfed-leaf-000-${name === "a" ? 0 : 1}`,
        }),
      );
    }
    // leaf-001 runs two healthy replicas too, behind a Service stand-in of its own: none of its alerts
    // may fire while leaf-000's replica is in trouble.
    const leaf001 = await readFile(join(federation, "leaf-001", "prometheus.yml"), "utf8");
    const siblings: RunningPrometheus[] = [];
    for (const name of ["a", "b"]) {
      const port = await freePort();
      siblings.push(
        await startPrometheus(work, `leaf-001-${name}`, port, own(leaf001, port), {}, flags, {
          hostname: `fleetfed-leaf-001-${name === "a" ? 0 : 1}`,
        }),
      );
    }
    servers.push(...replicas, ...siblings);
    service = await startServiceProxy(replicas.map((x) => x.port));
    const siblingService = await startServiceProxy(siblings.map((x) => x.port));
    proxies.push(service, siblingService);

    // The global's edits: the leaves' Service addresses become the stand-ins' ports, and the replicas
    // job's DNS discovery (each headless Service answers with its replicas) becomes the leaves' replicas.
    // The global runs as one process here, so it is not among the replicas watched.
    let config = await readFile(join(federation, "global", "prometheus.yml"), "utf8");
    config = config
      .replaceAll("fleetfed-leaf-000.monitoring.svc:9090", `127.0.0.1:${service.port}`)
      .replaceAll("fleetfed-leaf-001.monitoring.svc:9090", `127.0.0.1:${siblingService.port}`);
    config = withReplicasAt(config, {
      "leaf-000": replicas.map((x) => `127.0.0.1:${x.port}`),
      "leaf-001": siblings.map((x) => `127.0.0.1:${x.port}`),
    });
    const port = await freePort();
    const alerts = await readFile(join(federation, "global", "alerts.yml"), "utf8");
    global = await startPrometheus(
      work,
      "global",
      port,
      own(config, port),
      { "alerts.yml": alerts },
      globalFlags,
    );
    servers.push(global);
  }, 120_000);

  afterAll(async () => {
    await stopAll(servers);
    for (const proxy of proxies) await proxy.close();
    await exporter?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** SIGHUP, as the config-reloader sends it, and wait for the outcome. */
  const reloadBySignal = async (server: RunningPrometheus, success: boolean) => {
    await signalPrometheus(server, "SIGHUP");
    await waitFor(`${server.name} reload ${success ? "loaded" : "failed"}`, 30_000, async () => {
      const metrics = await fetch(`${server.url}/metrics`).then((res) => res.text());
      return /^prometheus_config_last_reload_successful (\S+)$/m.exec(metrics)?.[1] === (success ? "1" : "0");
    });
  };

  /** The replica the global reads leaf-000 through, as the Service stand-in routes it. */
  const read = () => {
    const routes = service.routes();
    expect(routes).toHaveLength(1);
    return replicas.find((x) => x.port === routes[0]) as RunningPrometheus;
  };
  const firing = async (alertname: string) =>
    (await query(global.url, `ALERTS{alertname="${alertname}", alertstate="firing"}`)).map((s) => s.metric);
  const instance = (x: RunningPrometheus) => `127.0.0.1:${x.port}`;

  it("moves the read between replicas with no gap longer than two scrape intervals and no sample dropped out of order", async () => {
    await waitFor("c1's aggregates at the global through leaf-000", 60_000, async () => {
      return (await query(global.url, 'cluster:kube_node_info:count{cluster="c1"}')).length === 1;
    });
    const start = Date.now() / 1000;
    const seen: number[] = [];
    // Forced moves, each just after the global has read the newest sample of c1 from the replica read so
    // far: the replica read next holds an older one whenever its own scrape of c1 comes more than a read
    // later in c1's cycle, which is so in one direction or the other (each replica has its own phase).
    const lastScrapeOfC1 = async (x: RunningPrometheus) =>
      Number((await query(x.url, 'timestamp(up{cluster="c1"})'))[0]?.value[1] ?? 0);
    for (let i = 0; i < MOVES; i++) {
      const before = read().port;
      const last = await lastScrapeOfC1(read());
      await waitFor(
        "a fresh scrape of c1 by the replica read",
        3 * C1_INTERVAL_S * 1000,
        async () => (await lastScrapeOfC1(read())) > last,
      );
      await new Promise((r) => setTimeout(r, 1.2 * INTERVAL_S * 1000));
      service.move();
      await waitFor("the global's next read of leaf-000, on the other replica", 20_000, async () => {
        const routes = service.routes();
        return routes.length === 1 && routes[0] !== before;
      });
      const after = read().port;
      seen.push(before, after);
    }
    expect(new Set(seen).size).toBe(2);
    const end = Date.now() / 1000;
    // Every sample c1 sent through leaf-000 in that time, read back raw from the global's TSDB.
    const series = await sampleGaps(
      global.url,
      '{cluster="c1", job!="fleetfed-federator-replicas", __name__!="ALERTS"}',
      start,
      end,
    );
    expect(series.length).toBeGreaterThan(10);
    const longest = series.reduce((a, b) => (b.longestGap > a.longestGap ? b : a));
    const worst = { gap: longest.longestGap, series: JSON.stringify(longest.metric) };
    // The global reads every interval, so c1's series have a sample every interval at the top, across
    // the moves too: at most two intervals apart (scrapes start on a schedule a loaded machine can delay
    // a little: half an interval of slack).
    console.log(
      `HA move: ${MOVES} forced moves, ${series.length} series of c1, longest gap ${worst.gap.toFixed(3)} s`,
    );
    expect(worst.gap, worst.series).toBeLessThanOrEqual(2.5 * INTERVAL_S);
    const metrics = await fetch(`${global.url}/metrics`).then((res) => res.text());
    const outOfOrder = /^prometheus_target_scrapes_sample_out_of_order_total (\S+)$/m.exec(metrics)?.[1];
    console.log(`HA move: prometheus_target_scrapes_sample_out_of_order_total at the global = ${outOfOrder}`);
    expect(outOfOrder).toBe("0");
  }, 120_000);

  it("fires FleetfedFederatorConfigReloadFailed for the one replica whose reload failed, within its window and for:", async () => {
    const victim = replicas.find((x) => x !== read()) as RunningPrometheus;
    await writeFile(
      join(work, victim.name, "prometheus.yml"),
      "scrape_configs: [{job_name: broken, static_configs: 7}]\n",
    );
    // The lifecycle API is off: /-/reload is refused, and the reloader sends SIGHUP, as here.
    expect((await fetch(`${victim.url}/-/reload`, { method: "POST" })).status).toBe(403);
    await reloadBySignal(victim, false);
    const failedAt = Date.now();
    await waitFor(
      "FleetfedFederatorConfigReloadFailed",
      (RELOAD_WINDOW_S + ALERT_FOR_S + 40) * 1000,
      async () => {
        return (await firing("FleetfedFederatorConfigReloadFailed")).length > 0;
      },
    );
    console.log(
      `HA reload: firing ${((Date.now() - failedAt) / 1000).toFixed(1)} s after the failed reload (window ${RELOAD_WINDOW_S}s, for: ${ALERT_FOR_S}s)`,
    );
    expect(
      (await firing("FleetfedFederatorConfigReloadFailed")).map((m) => [m.federator, m.instance]),
    ).toEqual([["leaf-000", instance(victim)]]);
  }, 120_000);

  it("fires FleetfedFederatorReplicaMissesCluster for the one replica that cannot reach c1 while its sibling can", async () => {
    const victim = replicas.find((x) => x !== read()) as RunningPrometheus;
    // Its own config again, but its path to c1 cut (a port nothing listens on); the reload succeeds.
    const cut = scrapingItselfAt(replicaConfig, instance(victim)).replaceAll(
      `127.0.0.1:${clusterPorts.get("c1")}`,
      `127.0.0.1:${await freePort()}`,
    );
    await writeFile(join(work, victim.name, "prometheus.yml"), cut);
    await reloadBySignal(victim, true);
    const cutAt = Date.now();
    await waitFor("FleetfedFederatorReplicaMissesCluster", (ALERT_FOR_S + 40) * 1000, async () => {
      return (await firing("FleetfedFederatorReplicaMissesCluster")).length > 0;
    });
    console.log(
      `HA cut: firing ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the cut (for: ${ALERT_FOR_S}s)`,
    );
    expect(
      (await firing("FleetfedFederatorReplicaMissesCluster")).map((m) => [
        m.federator,
        m.instance,
        m.cluster,
      ]),
    ).toEqual([["leaf-000", instance(victim), "c1"]]);
    // The loaded reload clears the reload alert; the cluster itself is up, so it is no cluster's alert.
    await waitFor("the reload alert resolved", 30_000, async () => {
      return (await firing("FleetfedFederatorConfigReloadFailed")).length === 0;
    });
    expect(await firing("FleetfedClusterFederationDown")).toEqual([]);
  }, 120_000);

  it("fires FleetfedFederatorReplicasDegraded for leaf-000 when the replica not read stops, while the dashboards keep their data", async () => {
    const reader = read();
    const victim = replicas.find((x) => x !== reader) as RunningPrometheus;
    await stopAll([victim]);
    const stoppedAt = Date.now();
    await waitFor("FleetfedFederatorReplicasDegraded", (ALERT_FOR_S + 40) * 1000, async () => {
      return (await firing("FleetfedFederatorReplicasDegraded")).length > 0;
    });
    console.log(
      `HA stop: degraded firing ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the stop (for: ${ALERT_FOR_S}s)`,
    );
    expect((await firing("FleetfedFederatorReplicasDegraded")).map((m) => m.federator)).toEqual(["leaf-000"]);
    // The dashboards' data for c1 is fresh: it reached the top in the last two scrape intervals.
    const now = Date.now() / 1000;
    const fresh = await query(global.url, 'timestamp(cluster:kube_node_info:count{cluster="c1"})');
    expect(fresh).toHaveLength(1);
    expect(now - Number(fresh[0]?.value[1])).toBeLessThan(2 * INTERVAL_S + 1);
    expect(await firing("FleetfedClusterFederationDown")).toEqual([]);
    expect(await firing("FleetfedLeafFederatorDown")).toEqual([]);
  }, 120_000);
});
