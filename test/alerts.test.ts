// The federation alerts under `promtool test rules`: each fires on the series it is about, and not before.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { $ } from "zx";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { alertRules, renderAlertsFile, runbookBase } from "../scripts/core/render/alert-rules.ts";
import { NOT_SENDING_ALERT } from "../scripts/core/render/remote-write.ts";
import { RUNBOOK, RUNBOOK_FILE } from "../scripts/core/render/runbook.ts";
import { federatorSize } from "../scripts/core/render/sizing.ts";
import { discoveredCluster, numberedIds } from "./support/fleet.ts";
import { tool } from "./support/tools.ts";

const promtool = await tool("promtool");

const settings = parseSettings("federation:\n  shardSize: 2\n  sampleLimit: 1000\n", "fleet.yaml");
/** Every alert's runbook_url: its section of manifests/RUNBOOK.md (the default fleet's repoURL, on GitHub's URL layout). */
const RUNBOOK_URL = runbookBase(settings);
const fleet = renderFleet(
  settings,
  { clusters: numberedIds(3).map((id) => discoveredCluster(id)), placement: new Map() },
  [],
);

const TESTS = `rule_files: [alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="fleetfed-clusters", cluster="c00001", federator="leaf-000", instance="p1:80"}'
        values: '1 1 0x15'
      - series: 'up{job="fleetfed-clusters", cluster="c00000", federator="leaf-000", instance="p0:80"}'
        values: '1x20'
      - series: 'up{job="fleetfed-leaves", federator="leaf-001", instance="l1:9090"}'
        values: '0x10'
      - series: 'scrape_duration_seconds{job="fleetfed-clusters", cluster="c00000", instance="p0:80"}'
        values: '22x20'
      - series: 'scrape_timeout_seconds{job="fleetfed-clusters", cluster="c00000", instance="p0:80"}'
        values: '25x20'
      # A cluster whose file sets scrapeTimeout: 90s: 30 s scrapes are fine for it, not near a 25 s default.
      - series: 'scrape_duration_seconds{job="fleetfed-clusters-slow", cluster="slow", instance="ps:80"}'
        values: '30x20'
      - series: 'scrape_timeout_seconds{job="fleetfed-clusters-slow", cluster="slow", instance="ps:80"}'
        values: '90x20'
      - series: 'scrape_samples_post_metric_relabeling{job="fleetfed-clusters", cluster="c00000", instance="p0:80"}'
        values: '900x20'
      - series: 'scrape_sample_limit{job="fleetfed-clusters", cluster="c00000", instance="p0:80"}'
        values: '1000x20'
      # c00002 sends more samples than its sample_limit, c00003 a body over body_size_limit (-1): each
      # scrape of them fails; neither is "not reachable" (c00001 is).
      - series: 'up{job="fleetfed-clusters", cluster="c00002", federator="leaf-000", instance="p2:80"}'
        values: '1 1 0x18'
      - series: 'scrape_samples_post_metric_relabeling{job="fleetfed-clusters", cluster="c00002", federator="leaf-000", instance="p2:80"}'
        values: '900 900 50000x18'
      - series: 'scrape_sample_limit{job="fleetfed-clusters", cluster="c00002", federator="leaf-000", instance="p2:80"}'
        values: '1000x20'
      - series: 'up{job="fleetfed-clusters", cluster="c00003", federator="leaf-001", instance="p3:80"}'
        values: '1 1 0x18'
      - series: 'scrape_body_size_bytes{job="fleetfed-clusters", cluster="c00003", federator="leaf-001", instance="p3:80"}'
        values: '5000 5000 -1x18'
      - series: 'scrape_sample_limit{job="fleetfed-clusters", cluster="c00003", federator="leaf-001", instance="p3:80"}'
        values: '1000x20'
      - series: 'scrape_samples_post_metric_relabeling{job="fleetfed-clusters", cluster="c00003", federator="leaf-001", instance="p3:80"}'
        values: '50 50 0x18'
    alert_rule_test:
      # Ten federation scrapes (5m at 30 s) over its limits: 2m..7m, firing at 7m, not a minute before.
      - eval_time: 6m
        alertname: FleetfedClusterOverLimit
        exp_alerts: []
      - eval_time: 7m
        alertname: FleetfedClusterOverLimit
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-clusters, cluster: c00002, federator: leaf-000, instance: 'p2:80'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedclusteroverlimit'
              summary: 'Cluster c00002 sends more than its federation limits: it is not federated'
              description: &overlimit "Every scrape of it fails (more samples than its sample_limit, or a body over body_size_limit), so its dashboards are empty; its leaf and the other clusters on it are unharmed. Usually its rules record per-pod or per-container series under an aggregate's name: narrow the selector it is federated with (match in its cluster file, federation.match by default) to the aggregates, or raise sampleLimit in its cluster file if it really has that many."
          - exp_labels: {severity: warning, job: fleetfed-clusters, cluster: c00003, federator: leaf-001, instance: 'p3:80'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedclusteroverlimit'
              summary: 'Cluster c00003 sends more than its federation limits: it is not federated'
              description: *overlimit
      - eval_time: 8m
        alertname: FleetfedClusterFederationDown
        exp_alerts: []
      - eval_time: 13m
        alertname: FleetfedClusterFederationDown
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-clusters, cluster: c00001, federator: leaf-000, instance: 'p1:80'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedclusterfederationdown'
              summary: 'Cluster c00001 is not being federated'
              description: "leaf-000 cannot scrape /federate on p1:80 for cluster c00001: its dashboards show no data. Check the cluster's Prometheus, its Route 53 record and the network path."
      - eval_time: 6m
        alertname: FleetfedLeafFederatorDown
        exp_alerts:
          - exp_labels: {severity: critical, job: fleetfed-leaves, federator: leaf-001, instance: 'l1:9090'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedleaffederatordown'
              summary: 'Leaf federator leaf-001 is down'
              description: 'The global federator cannot scrape leaf-001: every cluster on it is missing from the dashboards.'
      - eval_time: 16m
        alertname: FleetfedFederationScrapeNearTimeout
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-clusters, cluster: c00000, instance: 'p0:80'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedfederationscrapeneartimeout'
              summary: 'Federation scrape of p0:80 is close to its timeout'
              description: 'Scrapes take 88% of their timeout. Federate fewer series (match[]) or raise scrapeTimeout for this cluster or the fleet.'
      - eval_time: 16m
        alertname: FleetfedFederationSamplesNearLimit
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-clusters, cluster: c00000, instance: 'p0:80'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedfederationsamplesnearlimit'
              summary: 'Cluster c00000 federates close to sample_limit'
              description: '90% of its sample_limit; above it every scrape of this cluster fails. Narrow the selector it is federated with (match in its cluster file, federation.match by default) or raise its sampleLimit.'
`;

// The federators' own health, read from each replica on its own (the plain flavour's replicas job): each
// alert fires for the replica in trouble and not for the healthy one.
const leafSize = federatorSize("leaf", fleet.plan, settings);
const topSize = federatorSize("global", fleet.plan, settings);
const REPLICA = "10.0.9.1:9090";
const self = (name: string, federator: string) =>
  `${name}{job="fleetfed-federator-replicas", federator="${federator}", instance="${REPLICA}"}`;
const selfLabels = (federator: string) =>
  `job: fleetfed-federator-replicas, federator: ${federator}, instance: '${REPLICA}'`;
const HEALTH_TESTS = `rule_files: [alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '${self("prometheus_config_last_reload_successful", "leaf-000")}'
        values: '1 1 0x30'
      - series: '${self("prometheus_config_last_reload_successful", "global")}'
        values: '1x32'
      - series: '${self("prometheus_rule_evaluation_failures_total", "global")}'
        values: '0+1x32'
      - series: '${self("prometheus_rule_evaluation_failures_total", "leaf-001")}'
        values: '3x32'
      - series: '${self("prometheus_tsdb_head_series", "leaf-001")}'
        values: '${Math.round(leafSize.series * 0.9)}x40'
      - series: '${self("prometheus_tsdb_head_series", "global")}'
        values: '${Math.round(topSize.series * 0.5)}x40'
      - series: '${self("process_resident_memory_bytes", "global")}'
        values: '${Math.round(topSize.memoryLimitBytes * 0.85)}x40'
      - series: '${self("process_resident_memory_bytes", "leaf-000")}'
        values: '${Math.round(leafSize.memoryLimitBytes * 0.5)}x40'
    alert_rule_test:
      - eval_time: 1m
        alertname: FleetfedWatchdog
        exp_alerts:
          - exp_labels: {severity: none}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedwatchdog'
              summary: 'Always firing: proves that alerts from the fleet''s top federator reach their receiver'
              description: 'Route it to a dead man''s switch (for example a heartbeat service). When it stops arriving, the top federator, its Alertmanager or the path between them is down.'
      - eval_time: 10m
        alertname: FleetfedFederatorConfigReloadFailed
        exp_alerts: []
      - eval_time: 20m
        alertname: FleetfedFederatorConfigReloadFailed
        exp_alerts:
          - exp_labels: {severity: warning, ${selfLabels("leaf-000")}}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatorconfigreloadfailed'
              summary: 'Federator leaf-000 (${REPLICA}) cannot load its configuration'
              description: 'It still runs its previous configuration, so clusters added since are not federated by it, while a sibling replica may federate them: the two differ. Check that pod''s config-reloader and Prometheus logs and run fleetfed check on main.'
      - eval_time: 10m
        alertname: FleetfedFederatorRuleFailures
        exp_alerts: []
      - eval_time: 30m
        alertname: FleetfedFederatorRuleFailures
        exp_alerts:
          - exp_labels: {severity: warning, ${selfLabels("global")}}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatorrulefailures'
              summary: 'Federator global fails to evaluate rules'
              description: 'Alerts on the federation may not fire. Check the federator''s log for the failing rule group.'
      - eval_time: 20m
        alertname: FleetfedFederatorHeadSeriesNearBudget
        exp_alerts: []
      - eval_time: 35m
        alertname: FleetfedFederatorHeadSeriesNearBudget
        exp_alerts:
          - exp_labels: {severity: warning, ${selfLabels("leaf-001")}}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatorheadseriesnearbudget'
              summary: 'Federator leaf-001 holds ${humanizedPercentage(Math.round(leafSize.series * 0.9) / leafSize.series)} of the series it is sized for'
              description: 'Clusters send more series than federation.expectedSeriesPerCluster: raise it (memory follows), narrow match[], or lower shardSize.'
      - eval_time: 10m
        alertname: FleetfedFederatorMemoryNearLimit
        exp_alerts: []
      - eval_time: 20m
        alertname: FleetfedFederatorMemoryNearLimit
        exp_alerts:
          - exp_labels: {severity: critical, ${selfLabels("global")}}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatormemorynearlimit'
              summary: 'Federator global uses 85% of its memory limit'
              description: 'It will be OOM-killed and its clusters will show gaps. Raise federation.resources or expectedSeriesPerCluster, or lower shardSize.'
`;

// Two clusters federated (up 1): c00000 sends fleetfed's aggregates, c00001 none (its Prometheus does not
// load the rules), and c00002 is down (FleetfedClusterFederationDown's case, not this one's). With the
// default 30 s intervals the alert waits ten of them: 5 m.
const AGGREGATES_TESTS = `rule_files: [alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="fleetfed-clusters", cluster="c00000", federator="leaf-000", instance="p0:80"}'
        values: '1x20'
      - series: 'up{job="fleetfed-clusters", cluster="c00001", federator="leaf-000", instance="p1:80"}'
        values: '1x20'
      - series: 'up{job="fleetfed-clusters", cluster="c00002", federator="leaf-001", instance="p2:80"}'
        values: '0x20'
      - series: 'cluster:kube_node_info:count{job="fleetfed-clusters", cluster="c00000", federator="leaf-000"}'
        values: '3x20'
      # Someone else's cluster: rule on c00001 does not count as fleetfed's.
      - series: 'cluster:node_cpu:ratio{job="fleetfed-clusters", cluster="c00001", federator="leaf-000"}'
        values: '0.5x20'
    alert_rule_test:
      - eval_time: 4m
        alertname: FleetfedClusterAggregatesMissing
        exp_alerts: []
      - eval_time: 6m
        alertname: FleetfedClusterAggregatesMissing
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-clusters, cluster: c00001, federator: leaf-000, instance: 'p1:80'}
            exp_annotations:
              runbook_url: '${RUNBOOK_URL}#fleetfedclusteraggregatesmissing'
              summary: 'Cluster c00001 is federated but sends none of fleetfed''s aggregates'
              description: 'Its Prometheus answers /federate but records none of the rules in manifests/cluster-rules/, so every dashboard is empty for it. The PrometheusRule is probably not selected: check its labels against the Prometheus ruleSelector (kube-prometheus-stack: release: <release name>, set by clusterRules.labels).'
`;

// Two replicas per federator (the default): leaf-000 loses one at 3 m; leaf-001's replica .3 fails its
// reload at 2 m while its sibling .4 keeps loading; from 2 m replica .4 cannot scrape cluster c00003
// while .3 can, and neither can scrape c00004 (that cluster is down: not a replica's fault).
const REPLICA_TESTS = `rule_files: [alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="fleetfed-federator-replicas", federator="leaf-000", instance="10.0.0.1:9090"}'
        values: '1x30'
      - series: 'up{job="fleetfed-federator-replicas", federator="leaf-000", instance="10.0.0.2:9090"}'
        values: '1 1 1 0x27'
      - series: 'up{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.3:9090"}'
        values: '1x30'
      - series: 'up{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.4:9090"}'
        values: '1x30'
      - series: 'prometheus_config_last_reload_successful{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.3:9090"}'
        values: '1 1 0x28'
      - series: 'prometheus_config_last_reload_successful{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.4:9090"}'
        values: '1x30'
      - series: 'fleetfed_replica_cluster_up{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.3:9090", cluster="c00003"}'
        values: '1x30'
      - series: 'fleetfed_replica_cluster_up{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.4:9090", cluster="c00003"}'
        values: '1 1 0x28'
      - series: 'fleetfed_replica_cluster_up{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.3:9090", cluster="c00004"}'
        values: '1 1 0x28'
      - series: 'fleetfed_replica_cluster_up{job="fleetfed-federator-replicas", federator="leaf-001", instance="10.0.0.4:9090", cluster="c00004"}'
        values: '1 1 0x28'
    alert_rule_test:
      - eval_time: 10m
        alertname: FleetfedFederatorReplicasDegraded
        exp_alerts: []
      - eval_time: 15m
        alertname: FleetfedFederatorReplicasDegraded
        exp_alerts:
          - exp_labels: {severity: warning, federator: leaf-000}
            exp_annotations:
              summary: 'Federator leaf-000 runs 1 healthy replica(s) of 2'
              description: 'A replica is down, not ready, or cannot be scraped: the federator has no spare, and the Service may send the tier above to the one that is failing. Check its pods and their events.'
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatorreplicasdegraded'
      # The last good reload is at 1m. Prometheus 3's range windows are left-open, so [5m] at 6m holds the
      # failed 2m..6m only: pending from 6m, firing after its 10m for: at 16m, not a minute before.
      - eval_time: 15m
        alertname: FleetfedFederatorConfigReloadFailed
        exp_alerts: []
      - eval_time: 16m
        alertname: FleetfedFederatorConfigReloadFailed
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-federator-replicas, federator: leaf-001, instance: '10.0.0.3:9090'}
            exp_annotations:
              summary: 'Federator leaf-001 (10.0.0.3:9090) cannot load its configuration'
              description: 'It still runs its previous configuration, so clusters added since are not federated by it, while a sibling replica may federate them: the two differ. Check that pod''s config-reloader and Prometheus logs and run fleetfed check on main.'
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatorconfigreloadfailed'
      - eval_time: 11m
        alertname: FleetfedFederatorReplicaMissesCluster
        exp_alerts: []
      - eval_time: 20m
        alertname: FleetfedFederatorReplicaMissesCluster
        exp_alerts:
          - exp_labels: {severity: warning, job: fleetfed-federator-replicas, federator: leaf-001, instance: '10.0.0.4:9090', cluster: c00003}
            exp_annotations:
              summary: 'Replica 10.0.0.4:9090 of federator leaf-001 cannot scrape cluster c00003; its sibling can'
              description: 'One pod''s path to the cluster is broken (its node''s network, a NetworkPolicy, DNS, a stale config): the other replica keeps the cluster''s data, but if the tier above is moved to this one, the cluster''s history has a gap. Check that pod''s targets page and its node.'
              runbook_url: '${RUNBOOK_URL}#fleetfedfederatorreplicamissescluster'
`;

/** A ratio as Prometheus's humanizePercentage prints it (four significant digits). */
function humanizedPercentage(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}

/** `promtool test rules` on `tests` against the rendered alerts file, in a scratch folder. */
async function testRules(tests: string) {
  const dir = await mkdtemp(join(tmpdir(), "fleetfed-alerts-"));
  try {
    await writeFile(join(dir, "alerts.yml"), renderAlertsFile(fleet.plan, settings));
    await writeFile(join(dir, "tests.yml"), tests);
    return await $({ cwd: dir, nothrow: true, quiet: true })`${promtool} test rules tests.yml`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!promtool)("federation alerts", () => {
  it("on the federators' own health pass promtool test rules: each fires for the federator in trouble only", async () => {
    const r = await testRules(HEALTH_TESTS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it("fire FleetfedClusterAggregatesMissing for the one cluster that is up without fleetfed's aggregates, after its for:", async () => {
    const r = await testRules(AGGREGATES_TESTS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it("fire for a federator with a replica down, for the one replica that failed its reload, and for the one replica that cannot reach a cluster its sibling reaches, and no other (#23)", async () => {
    const r = await testRules(REPLICA_TESTS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it("pass promtool test rules", async () => {
    expect(fleet.plan.global).toBe(true);
    const r = await testRules(TESTS);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });
});

describe("every alert's runbook (#23)", () => {
  it("carries a severity and a runbook_url at its own section of the rendered manifests/RUNBOOK.md, which has exactly one per alert", async () => {
    const runbook = fleet.tree.get(RUNBOOK_FILE) as string;
    const sections = [...runbook.matchAll(/^#### (Fleetfed\w+)$/gm)].map((m) => m[1]).sort();
    const rules = alertRules(fleet.plan, settings);
    expect(rules.map((r) => r.alert).sort()).toEqual(sections);
    // Every alert has its own written entry, and no entry is for an alert that no longer exists: the
    // federation's, and remote-write's one (rendered only when remote-write is on).
    expect(Object.keys(RUNBOOK).sort()).toEqual([...sections, NOT_SENDING_ALERT].sort());
    const withRemoteWrite = renderFleet(
      parseSettings("remoteWrite: {engine: prometheus, url: 'https://r.example.com'}\n", "fleet.yaml"),
      { clusters: [discoveredCluster("a")], placement: new Map() },
      [],
    );
    expect(withRemoteWrite.tree.get(RUNBOOK_FILE)).toContain(
      `#### ${NOT_SENDING_ALERT}\n\n${RUNBOOK[NOT_SENDING_ALERT]}`,
    );
    for (const alert of sections) expect(runbook).toContain(RUNBOOK[alert as string] as string);
    for (const r of rules) {
      expect(["none", "warning", "critical"], r.alert).toContain(r.labels.severity);
      expect(r.annotations.runbook_url, r.alert).toBe(`${RUNBOOK_URL}#${r.alert.toLowerCase()}`);
    }
  });

  it("points at the fleet repository's manifests/RUNBOOK.md, from an https or ssh repoURL, or at alerting.runbookBaseUrl", () => {
    const base = (yaml: string) => runbookBase(parseSettings(yaml, "fleet.yaml"));
    expect(base("delivery:\n  repoURL: https://github.com/acme/fleet.git\n  targetRevision: prod\n")).toBe(
      "https://github.com/acme/fleet/blob/prod/manifests/RUNBOOK.md",
    );
    expect(base("delivery:\n  repoURL: git@github.com:acme/fleet.git\n")).toBe(
      "https://github.com/acme/fleet/blob/main/manifests/RUNBOOK.md",
    );
    expect(base("alerting:\n  runbookBaseUrl: https://wiki.acme.example/fleetfed\n")).toBe(
      "https://wiki.acme.example/fleetfed",
    );
  });
});
