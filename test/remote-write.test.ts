// Remote-write delivery (#33), without servers: each engine's paths and tenant, the operator's entry equal
// to the plain block field by field, only aggregates and the fleet's id, adding a cluster diff-local,
// settings refused where they cannot work, and the real promtool accepting what is rendered.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { $ } from "zx";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import { parseSettings, type Settings } from "../scripts/core/inputs/settings.ts";
import { EMPTY_SNAPSHOT } from "../scripts/core/inputs/snapshot.ts";
import { onboardingPath, REMOTE_WRITE_FILE } from "../scripts/core/render/onboarding.ts";
import { FEDERATED_BY_DEFAULT } from "../scripts/core/render/records.ts";
import { AGGREGATES, operatorRemoteWrite, remoteWriteConfig } from "../scripts/core/render/remote-write.ts";
import { diffTrees } from "../scripts/core/review/change.ts";
import { makeRepo, runCli } from "./support/repo.ts";
import { tool } from "./support/tools.ts";

const promtool = await tool("promtool");

const settingsOf = (remoteWrite: string, extra = ""): Settings =>
  parseSettings(`clusterLabel: k8s_cluster\n${extra}remoteWrite:\n${remoteWrite}`, "fleet.yaml");
const clusterFile = (id: string) =>
  parseClusterFile(`cluster: ${id}\nendpoint: prometheus.${id}.internal.example.com:9090\n`, {
    file: `clusters/${id}.yaml`,
    expectedId: id,
    clusterLabel: "k8s_cluster",
  });

const ENGINES = {
  mimir: "  engine: mimir\n  url: https://mimir.example.com/\n  tenant: fleet\n",
  thanos:
    "  engine: thanos-receive\n  url: https://receive.example.com\n  queryUrl: https://query.example.com\n  tenant: fleet\n",
  vmCluster: "  engine: victoriametrics\n  url: https://vminsert.example.com\n  tenant: '42:7'\n",
  vmSingle: "  engine: victoriametrics\n  url: http://vm.example.com:8428\n",
  prometheus: "  engine: prometheus\n  url: http://receiver.example.com:9090\n",
};
const rwOf = (s: Settings) => {
  if (!s.remoteWrite) throw new Error("remote-write is off");
  return s.remoteWrite;
};

describe("each engine's write entry", () => {
  it.each([
    [ENGINES.mimir, "https://mimir.example.com/api/v1/push", { "X-Scope-OrgID": "fleet" }],
    [ENGINES.thanos, "https://receive.example.com/api/v1/receive", { "THANOS-TENANT": "fleet" }],
    [ENGINES.vmCluster, "https://vminsert.example.com/insert/42:7/prometheus/api/v1/write", undefined],
    [ENGINES.vmSingle, "http://vm.example.com:8428/api/v1/write", undefined],
    [ENGINES.prometheus, "http://receiver.example.com:9090/api/v1/write", undefined],
  ])("writes to the engine's path with its tenant: %#", (yaml, url, headers) => {
    const s = settingsOf(yaml);
    const entry = remoteWriteConfig(s, rwOf(s), "c1") as Record<string, unknown>;
    expect(entry.url).toBe(url);
    expect(entry.headers).toEqual(headers);
    expect(entry.metadata_config).toEqual({ send: false });
  });

  it("keeps only fleetfed's aggregates (the default match[]'s list) and sets the fleet's id explicitly", () => {
    const s = settingsOf(ENGINES.vmSingle);
    const relabel = (remoteWriteConfig(s, rwOf(s), "c1") as { write_relabel_configs: object[] })
      .write_relabel_configs;
    expect(relabel[0]).toEqual({ source_labels: ["__name__"], regex: AGGREGATES, action: "keep" });
    expect(FEDERATED_BY_DEFAULT).toBe(`{__name__=~"${AGGREGATES}"}`);
    expect(relabel[1]).toEqual({ target_label: "k8s_cluster", replacement: "c1", action: "replace" });
  });

  it("handles replicas as each engine deduplicates: Mimir's __replica__, Thanos keeps the label, the others drop it", () => {
    const relabelOf = (yaml: string) => {
      const s = settingsOf(yaml);
      return JSON.stringify(remoteWriteConfig(s, rwOf(s), "c1"));
    };
    expect(relabelOf(ENGINES.mimir)).toContain(
      '{"source_labels":["prometheus_replica"],"regex":"(.+)","target_label":"__replica__","replacement":"$1","action":"replace"}',
    );
    expect(relabelOf(ENGINES.mimir)).toContain('{"regex":"prometheus_replica","action":"labeldrop"}');
    expect(relabelOf(ENGINES.thanos)).not.toContain("prometheus_replica");
    for (const e of [ENGINES.vmCluster, ENGINES.vmSingle, ENGINES.prometheus])
      expect(relabelOf(e)).toContain('{"regex":"prometheus_replica","action":"labeldrop"}');
  });
});

/** What prometheus-operator makes of a RemoteWriteSpec: snake_case keys, Secret keys as mounted files. */
function asPlain(spec: unknown): unknown {
  if (Array.isArray(spec)) return spec.map((x) => asPlain(x));
  if (spec === null || typeof spec !== "object") return spec;
  const o = spec as Record<string, unknown>;
  if (typeof o.name === "string" && typeof o.key === "string" && Object.keys(o).length === 2)
    return `/etc/prometheus/secrets/${o.name}/${o.key}`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === "headers") {
      out[k] = v;
      continue;
    }
    const snake = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const isSecret = v !== null && typeof v === "object" && "key" in (v as object);
    out[isSecret ? `${snake}_file` : snake] = asPlain(v);
  }
  return out;
}

describe("the operator's entry (kube-prometheus-stack's additionalRemoteWrite, the Prometheus object)", () => {
  it.each([
    ["mimir, basic auth", ENGINES.mimir, "  auth: {secret: rw, usernameKey: u, passwordKey: p}\n"],
    ["thanos, bearer token", ENGINES.thanos, "  auth: {secret: rw, bearerTokenKey: token}\n"],
    ["victoriametrics cluster", ENGINES.vmCluster, ""],
    ["prometheus", ENGINES.prometheus, ""],
  ])("is the plain remote_write block field by field: %s", (_, yaml, auth) => {
    const s = settingsOf(yaml + auth);
    const plain = remoteWriteConfig(s, rwOf(s), "c1");
    const operator = operatorRemoteWrite(s, rwOf(s), "c1");
    expect(asPlain(operator)).toEqual(plain);
  });

  it("is what both onboarding forms carry, and the plain block is what remote-write.yml holds", () => {
    const s = settingsOf(ENGINES.mimir);
    const fleet = renderFleet(s, EMPTY_SNAPSHOT, [clusterFile("c1")]);
    const values = parse(fleet.tree.get(onboardingPath("c1", "kube-prometheus-stack.yaml")) as string);
    expect(values.prometheus.prometheusSpec.additionalRemoteWrite).toEqual([
      operatorRemoteWrite(s, rwOf(s), "c1"),
    ]);
    const [, prometheus] = parseAllDocuments(
      fleet.tree.get(onboardingPath("c1", "prometheus-operator.yaml")) as string,
    ).map((d) => d.toJS());
    expect(prometheus.spec.remoteWrite).toEqual([operatorRemoteWrite(s, rwOf(s), "c1")]);
    expect(parse(fleet.tree.get(onboardingPath("c1", REMOTE_WRITE_FILE)) as string)).toEqual({
      remote_write: [remoteWriteConfig(s, rwOf(s), "c1")],
    });
  });
});

describe("the center", () => {
  const s = settingsOf(ENGINES.vmCluster, "clusterRules:\n  interval: 10s\n");
  const two = renderFleet(s, EMPTY_SNAPSHOT, [clusterFile("a"), clusterFile("c")]);

  it("adding one cluster changes only that cluster's files and one line of the engine's alerts", () => {
    const three = renderFleet(s, EMPTY_SNAPSHOT, [clusterFile("a"), clusterFile("b"), clusterFile("c")]);
    const d = diffTrees(two.tree, three.tree);
    const outsideFederation = [...d.added, ...d.changed, ...d.removed].filter(
      (p) => !p.startsWith("federation/"),
    );
    expect(outsideFederation).toEqual([
      "onboarding/b/kube-prometheus-stack.yaml",
      "onboarding/b/prometheus-operator.yaml",
      "onboarding/b/remote-write.yml",
      "remote-write/alerts.yml",
    ]);
    const before = (two.tree.get("remote-write/alerts.yml") as string).split("\n");
    const after = (three.tree.get("remote-write/alerts.yml") as string).split("\n");
    expect(after.filter((l) => !before.includes(l))).toEqual([
      '            or label_replace(vector(1), "k8s_cluster", "b", "", "")',
    ]);
    expect(before.filter((l) => !after.includes(l))).toEqual([]);
  });

  it("gives Grafana the engine's query URL with the tenant, beside the federation's datasource", () => {
    const secret = parse(two.tree.get("dashboards/datasource.yaml") as string);
    const provisioning = parse(Object.values(secret.stringData)[0] as string);
    expect(provisioning.datasources.map((d: { uid: string }) => d.uid)).toEqual([
      "fleetfed",
      "fleetfed-remote-write",
    ]);
    expect(provisioning.datasources[1].url).toBe("https://vminsert.example.com/select/42:7/prometheus");
    const mimir = renderFleet(settingsOf(ENGINES.mimir), EMPTY_SNAPSHOT, [clusterFile("a")]);
    const m = parse(
      Object.values(parse(mimir.tree.get("dashboards/datasource.yaml") as string).stringData)[0] as string,
    ).datasources[1];
    expect(m).toMatchObject({
      url: "https://mimir.example.com/prometheus",
      jsonData: { httpHeaderName1: "X-Scope-OrgID" },
      secureJsonData: { httpHeaderValue1: "fleet" },
    });
  });

  it("renders the alerts in the form each engine's ruler loads, and what the engine must be told", () => {
    expect(parse(two.tree.get("remote-write/engine.yaml") as string).requires).toEqual({
      flags: ["-dedup.minScrapeInterval=10s", "-search.latencyOffset=0s"],
    });
    const mimir = renderFleet(settingsOf(ENGINES.mimir), EMPTY_SNAPSHOT, [clusterFile("a")]);
    const rules = parse(mimir.tree.get("remote-write/mimir-rules.yaml") as string);
    expect(rules.namespace).toBe("fleetfed");
    expect(parse(mimir.tree.get("remote-write/engine.yaml") as string).requires.limits).toEqual({
      accept_ha_samples: true,
      ha_cluster_label: "k8s_cluster",
      ha_replica_label: "__replica__",
    });
    const thanos = renderFleet(settingsOf(ENGINES.thanos), EMPTY_SNAPSHOT, [clusterFile("a")]);
    const rule = parse(thanos.tree.get("remote-write/prometheusrule.yaml") as string);
    expect(rule.kind).toBe("PrometheusRule");
    expect(rule.spec.groups[0].rules[0].alert).toBe("FleetfedClusterNotSending");
    // Off: nothing of it is rendered.
    const off = renderFleet(parseSettings("{}\n", "fleet.yaml"), EMPTY_SNAPSHOT, [clusterFile("a")]);
    expect(
      [...off.tree.keys()].filter((p) => p.startsWith("remote-write/") || p.endsWith(REMOTE_WRITE_FILE)),
    ).toEqual([]);
  });

  it.skipIf(!promtool)(
    "passes promtool: the cluster's remote_write block and the engine's alerts",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "fleetfed-rw-"));
      try {
        await writeFile(join(dir, "rw.yml"), two.tree.get(onboardingPath("a", REMOTE_WRITE_FILE)) as string);
        await writeFile(join(dir, "alerts.yml"), two.tree.get("remote-write/alerts.yml") as string);
        const config = await $({
          nothrow: true,
          quiet: true,
        })`${promtool} check config ${join(dir, "rw.yml")}`;
        expect(config.exitCode, config.stdout + config.stderr).toBe(0);
        const rules = await $({
          nothrow: true,
          quiet: true,
        })`${promtool} check rules ${join(dir, "alerts.yml")}`;
        expect(rules.exitCode, rules.stdout + rules.stderr).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe("remoteWrite settings that cannot work are refused at their line", () => {
  it.each([
    ["  engine: mimir\n", /remoteWrite.engine: is set without remoteWrite.url/],
    ["  engine: mimir\n  url: https://m.example.com\n", /mimir needs remoteWrite.tenant/],
    [
      "  engine: prometheus\n  url: https://p.example.com\n  tenant: x\n",
      /a Prometheus receiver has no tenants/,
    ],
    [
      "  engine: victoriametrics\n  url: https://v.example.com\n  tenant: abc\n",
      /not a VictoriaMetrics cluster tenant/,
    ],
    [
      "  engine: victoriametrics\n  url: http://v.example.com\n  auth: {secret: s, bearerTokenKey: t}\n",
      /sends credentials over plain http/,
    ],
    [
      "  engine: victoriametrics\n  url: https://v.example.com\n  auth: {secret: s, usernameKey: u}\n",
      /needs both usernameKey/,
    ],
    ["  engine: victoriametrics\n  url: 'ftp://v.example.com'\n", /remoteWrite.url/],
  ])("%j", async (yaml, message) => {
    const root = await makeRepo({ "fleet.yaml": `remoteWrite:\n${yaml}` });
    const r = await runCli(["render", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: fleet.yaml:\d+/m);
    expect(r.stderr).toMatch(message);
  });
});

describe("the cost of a change at the engine", () => {
  it("is in the pull request: active series, samples per second and bytes per second a new cluster adds", async () => {
    const root = await makeRepo({
      "fleet.yaml": `remoteWrite:\n${ENGINES.mimir}`,
      "clusters/a.yaml": "cluster: a\nendpoint: prometheus.a.internal.example.com:9090\n",
      "clusters/b.yaml": "cluster: b\nendpoint: prometheus.b.internal.example.com:9090\n",
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    await writeFile(
      join(root, "clusters", "c.yaml"),
      "cluster: c\nendpoint: prometheus.c.internal.example.com:9090\n",
    );
    const r = await runCli(["sync", "--dry-run", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    // 99 series a cluster (9 cluster-level aggregates, 3 per namespace × 30), one sample each per 30 s.
    expect(r.stdout).toContain(
      "Remote-write, at the engine:\n- mimir: +99 active series (198 → 297), +3.3 samples/s, +122 B/s on the wire (~37 B a sample, metadata off)",
    );
    const plan = await runCli(["plan", "--root", root]);
    expect(plan.stdout).toMatch(/^remote-write: mimir: \+99 active series/m);
  });
});
