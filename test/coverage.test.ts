// The coverage check: a dashboard query the federation does not deliver is an error naming the
// dashboard, panel, metric and the match list to fix.

import { describe, expect, it } from "vitest";
import { checkCoverage, concreteQuery, queriesToCover } from "../scripts/core/check/coverage.ts";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import { DEFAULT_RECORD_PATTERN, parseSettings } from "../scripts/core/inputs/settings.ts";
import { covers, judgeSelector, selectorsOf } from "../scripts/core/promql.ts";
import { compileRe2 } from "../scripts/core/re2.ts";
import { discoveredCluster } from "./support/fleet.ts";
import { makeRepo, runCli, writeFiles } from "./support/repo.ts";

const sel = (s: string) => {
  const parsed = selectorsOf(s);
  expect(parsed.error).toBeUndefined();
  return parsed.selectors[0] as NonNullable<(typeof parsed.selectors)[0]>;
};

describe("covers", () => {
  it.each([
    ['{__name__=~"(job|cluster|namespace):.*"}', "cluster:kube_node_ready:sum", true],
    ['{__name__=~"(job|cluster|namespace):.*"}', 'cluster:kube_node_ready:sum{cluster="a"}', true],
    ['{__name__=~"job:.*"}', "cluster:kube_node_ready:sum", false],
    ['{__name__=~"job:.*"}', "xjob:foo", false], // anchored, as Prometheus anchors regexes
    ['{job="prometheus"}', 'prometheus_build_info{job="prometheus"}', true],
    ['{job="prometheus"}', "prometheus_build_info", false], // the query could read series of other jobs
    ['{job=~"prom.*"}', 'up{job="prometheus"}', true],
    ['{job=~"fleetfed-clusters.*"}', 'scrape_duration_seconds{job=~"fleetfed-clusters.*"}', true],
    ['{job!="node"}', 'up{job="prometheus"}', true],
    ["node_load1", 'node_load1{instance="a"}', true],
    ["node_load1", "node_load5", false],
  ])("%s covers %s: %s", (match, query, expected) => {
    expect(covers(sel(match), sel(query))).toBe(expected);
  });

  it("finds every selector in a query, including __name__ matchers and nested ones", () => {
    const { selectors } = selectorsOf(
      'sum(rate(a_total{x="1"}[5m])) / on() group_left b + {__name__="c", "quoted.label"="v"}',
    );
    expect(selectors.map((s) => [s.metric, s.matchers.map((m) => `${m.name}${m.op}${m.value}`)])).toEqual([
      ["a_total", ["x=1"]],
      ["b", []],
      ["c", ["quoted.label=v"]],
    ]);
  });
});

describe("checkCoverage", () => {
  const settings = parseSettings("discovery:\n  route53: {}\nfederation:\n  shardSize: 2\n", "fleet.yaml");
  const override = parseClusterFile("cluster: b\nmatch: ['{__name__=~\"job:.*\"}']\n", {
    file: "clusters/b.yaml",
    expectedId: "b",
    clusterLabel: "cluster",
  });
  const fleet = renderFleet(
    settings,
    { clusters: ["a", "b", "c"].map((id) => discoveredCluster(id)), placement: new Map() },
    [override],
  );
  const files = new Map([["b", { file: "clusters/b.yaml", line: 3 }]]);

  it("passes every bundled dashboard and alert with the default match", () => {
    const plain = renderFleet(
      settings,
      { clusters: ["a", "b"].map((id) => discoveredCluster(id)), placement: new Map() },
      [],
    );
    const queries = queriesToCover(plain, settings);
    expect(queries.length).toBeGreaterThan(30);
    expect(checkCoverage(queries, plain.inventory.clusters, new Map())).toEqual([]);
  });

  it("fails a dashboard that queries an unfederated metric, naming dashboard, panel and metric", () => {
    const problems = checkCoverage(
      [
        {
          file: "manifests/dashboards/x.json",
          item: 'panel "Load"',
          expr: 'avg(node_load1{cluster="$cluster"})',
        },
      ],
      fleet.inventory.clusters,
      files,
    );
    expect(problems.map((p) => `${p.file}:${p.line ?? ""}: ${p.field}: ${p.message}`)).toEqual([
      'fleet.yaml:: federation.match: does not federate node_load1, so 1 panel(s) and alert(s) show no data for a, c: "Load"',
      'clusters/b.yaml:3: match: does not federate node_load1, so 1 panel(s) and alert(s) show no data for b: "Load"',
    ]);
    // Only a cluster file can say the cluster does not feed them; fleet.yaml's list is the fleet's.
    expect(problems[1]?.hint).toMatch(/notFeeding: \["Load"\]/);
    expect(problems[0]?.hint).not.toMatch(/notFeeding/);
  });

  it("gives one error for a narrowed cluster match, at its match line, naming the panels it starves and notFeeding", () => {
    const problems = checkCoverage(queriesToCover(fleet, settings), fleet.inventory.clusters, files);
    expect(problems).toHaveLength(1);
    const [p] = problems;
    expect(p).toMatchObject({ file: "clusters/b.yaml", line: 3, field: "match" });
    expect(p?.message).toMatch(/show no data for b: /);
    expect(p?.message).toContain('"CPU by namespace"');
    expect(p?.hint).toMatch(/notFeeding: \[.*"CPU by namespace"/);
  });

  it("substitutes Grafana variables before parsing", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${total} variable syntax, on purpose
    expect(concreteQuery('rate(x{c="$cluster"}[$__rate_interval]) / ${total}', { cluster: "c1" })).toBe(
      'rate(x{c="c1"}[5m]) / x',
    );
  });
});

describe("the shipped defaults, trusted without RE2 at run time", () => {
  it("are valid when judged in full with RE2: the default match[] selectors and the default record pattern", () => {
    for (const selector of parseSettings("{}\n", "fleet.yaml").federation.match)
      expect(judgeSelector(selector), selector).toBeUndefined();
    expect("error" in compileRe2(DEFAULT_RECORD_PATTERN)).toBe(false);
    const discovery = parseSettings("discovery:\n  route53: {}\n", "fleet.yaml").discovery.route53;
    expect(discovery?.recordPattern.exec("prometheus.eks-1.internal.example.com")?.groups?.cluster).toBe(
      "eks-1",
    );
    expect(discovery?.recordPattern.test("grafana.eks-1.internal.example.com")).toBe(false);
  });
});

describe("a cluster that does not feed some panels on purpose (#22)", () => {
  const fleetYaml =
    "federation:\n  shardSize: 2\nalerting:\n  alertmanagers: ['http://am.example.com:9093']\n";
  const narrowed = (extra = "") =>
    `cluster: edge-1\nendpoint: p.e.example.com:9090\nmatch: ['{__name__=~"cluster:.*"}']\n${extra}`;

  it("fails check for each panel it leaves empty, passes once the file declares them, and warns about a name that is no panel", async () => {
    const root = await makeRepo({ "fleet.yaml": fleetYaml, "clusters/edge-1.yaml": narrowed() });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const failing = await runCli(["check", "--root", root]);
    expect(failing.code).toBe(1);
    // One narrowed match list, one error: at the cluster file's match line, naming all three panels.
    const errors = failing.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: clusters\/edge-1.yaml:\d+: match: does not federate /);
    for (const panel of ["CPU by namespace", "Memory by namespace", "Applications by namespace"])
      expect(errors[0]).toContain(`"${panel}"`);
    await writeFiles(root, {
      "clusters/edge-1.yaml": narrowed(
        "notFeeding: [CPU by namespace, Memory by namespace, Applications by namespace, Memroy by namespace]\n",
      ),
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const r = await runCli(["check", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^declared: edge-1 does not feed CPU by namespace, Memory by namespace, Applications by namespace, Memroy by namespace \(declared in clusters\/edge-1.yaml\)$/m,
    );
    expect(r.stderr).toMatch(
      /^warning: clusters\/edge-1.yaml: notFeeding: "Memroy by namespace" is no panel title or alert name/m,
    );
    // Only for this cluster: another cluster with the same narrowing still fails.
    await writeFiles(root, {
      "clusters/edge-2.yaml": narrowed().replaceAll("edge-1", "edge-2").replace("p.e.", "p.e2."),
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const other = await runCli(["check", "--root", root]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^error: clusters\/edge-2.yaml:\d+: match: .* show no data for edge-2: /m);
    expect(other.stderr).not.toMatch(/clusters\/edge-1.yaml:\d+: match/);
  });

  it("is listed in every pull request", async () => {
    const root = await makeRepo({
      "fleet.yaml": fleetYaml,
      "clusters/edge-1.yaml": narrowed("notFeeding: [CPU by namespace]\n"),
    });
    const r = await runCli(["sync", "--dry-run", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/### Declared not to feed \(1\)\n\n.*\n\n- `edge-1`: `CPU by namespace`/);
  });
});
