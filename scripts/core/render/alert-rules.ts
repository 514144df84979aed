// Alerts for the top federator, which sees every federation target: a cluster's federation down, a leaf
// down, scrapes close to their timeout, samples close to sample_limit.

import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { durationFromMs, parseDuration } from "../duration.ts";
import type { Settings } from "../inputs/settings.ts";
import { MANIFESTS_DIR } from "../layout.ts";
import type { FederationTree } from "../plan/placement.ts";
import { toYaml } from "../yaml.ts";
import { kindOf, PART_OF } from "./kubernetes.ts";
import {
  CLUSTER_JOB,
  LEAF_JOB,
  REPLICA_READ,
  REPLICAS_JOB,
  selfHealthJob,
  watchesReplicas,
} from "./prometheus.ts";
import { upWithoutAggregates } from "./records.ts";
import { RUNBOOK_FILE } from "./runbook.ts";
import { federatorSize } from "./sizing.ts";

const PrometheusRule = kindOf<IPrometheusRule>("monitoring.coreos.com/v1", "PrometheusRule");

export const ALERTS_FILE = "alerts.yml";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string; runbook_url?: string };
}

/**
 * Where an alert's runbook is: the fleet repository's manifests/RUNBOOK.md (core/render/runbook.ts),
 * rendered by the same fleetfed version as the alert, or alerting.runbookBaseUrl. GitHub names a
 * heading's anchor by lower-casing it.
 */
export function runbookBase(settings: Settings): string {
  if (settings.alerting.runbookBaseUrl) return settings.alerting.runbookBaseUrl;
  const repo = settings.delivery.repoURL
    .replace(/^git@([^:]+):/, "https://$1/")
    .replace(/^ssh:\/\/git@/, "https://")
    .replace(/\.git$/, "");
  return `${repo}/blob/${settings.delivery.targetRevision}/${MANIFESTS_DIR}/${RUNBOOK_FILE}`;
}

export function alertRules(plan: FederationTree, settings: Settings): AlertRule[] {
  const base = runbookBase(settings);
  return defineAlertRules(plan, settings).map((r) => ({
    ...r,
    annotations: { ...r.annotations, runbook_url: `${base}#${r.alert.toLowerCase()}` },
  }));
}

/** Long on purpose: a declarative list, one entry per alert. */
function defineAlertRules(plan: FederationTree, settings: Settings): AlertRule[] {
  const f = settings.federation;
  const cl = settings.clusterLabel;
  const clusters = `job=~"${CLUSTER_JOB}.*"`;
  // A cluster whose scrape failed because it sent more than its limits allow: more samples than
  // sample_limit (the count is still reported), or a body over body_size_limit (its size reported as -1,
  // extra-scrape-metrics).
  const overLimit = `(scrape_samples_post_metric_relabeling{${clusters}} > scrape_sample_limit{${clusters}} > 0 or scrape_body_size_bytes{${clusters}} == -1)`;
  const rules: AlertRule[] = [
    {
      alert: "FleetfedClusterFederationDown",
      // Unreachable, not refused for sending too much (FleetfedClusterOverLimit says that, with the fix).
      expr: `up{${clusters}} == 0 unless on (job, instance, ${cl}) ${overLimit}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Cluster {{ $labels.${cl} }} is not being federated`,
        description: `{{ $labels.federator }} cannot scrape /federate on {{ $labels.instance }} for cluster {{ $labels.${cl} }}: its dashboards show no data. Check the cluster's Prometheus, its Route 53 record and the network path.`,
      },
    },
    {
      alert: "FleetfedClusterAggregatesMissing",
      // Federated (up is 1) but none of fleetfed's cluster aggregates arrive: its Prometheus does not load
      // the rules, typically a PrometheusRule its ruleSelector does not select (kube-prometheus-stack's
      // wants release: <name>). Ten rule intervals: long enough for a new cluster's first evaluation.
      expr: upWithoutAggregates(`up{job=~"${CLUSTER_JOB}.*"}`, cl),
      for: aggregatesFor(settings),
      labels: { severity: "warning" },
      annotations: {
        summary: `Cluster {{ $labels.${cl} }} is federated but sends none of fleetfed's aggregates`,
        description: `Its Prometheus answers /federate but records none of the rules in manifests/cluster-rules/, so every dashboard is empty for it. The PrometheusRule is probably not selected: check its labels against the Prometheus ruleSelector (kube-prometheus-stack: release: <release name>, set by clusterRules.labels).`,
      },
    },
    {
      alert: "FleetfedFederationScrapeNearTimeout",
      // Each target against its own timeout (extra-scrape-metrics), so a cluster file's override counts.
      expr: `scrape_duration_seconds{job=~"fleetfed-.*"} / scrape_timeout_seconds{job=~"fleetfed-.*"} > 0.8`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Federation scrape of {{ $labels.instance }} is close to its timeout",
        description:
          "Scrapes take {{ $value | humanizePercentage }} of their timeout. Federate fewer series (match[]) or raise scrapeTimeout for this cluster or the fleet.",
      },
    },
  ];
  rules.push(
    {
      alert: "FleetfedFederationSamplesNearLimit",
      // Near, not over: over it, the scrape fails and FleetfedClusterOverLimit says so.
      expr: `scrape_samples_post_metric_relabeling{${clusters}} / (scrape_sample_limit{${clusters}} > 0) > 0.8 <= 1`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Cluster {{ $labels.${cl} }} federates close to sample_limit`,
        description: `{{ $value | humanizePercentage }} of its sample_limit; above it every scrape of this cluster fails. Narrow the selector it is federated with (match in its cluster file, federation.match by default) or raise its sampleLimit.`,
      },
    },
    {
      alert: "FleetfedClusterOverLimit",
      // Only this cluster is refused; its leaf and neighbours carry on.
      expr: `up{${clusters}} == 0 and ${overLimit}`,
      for: durationFromMs(10 * f.scrapeInterval.ms).text,
      labels: { severity: "warning" },
      annotations: {
        summary: `Cluster {{ $labels.${cl} }} sends more than its federation limits: it is not federated`,
        description: `Every scrape of it fails (more samples than its sample_limit, or a body over body_size_limit), so its dashboards are empty; its leaf and the other clusters on it are unharmed. Usually its rules record per-pod or per-container series under an aggregate's name: narrow the selector it is federated with (match in its cluster file, federation.match by default) to the aggregates, or raise sampleLimit in its cluster file if it really has that many.`,
      },
    },
  );
  rules.push(...federatorHealthRules(plan, settings));
  if (watchesReplicas(settings) && settings.federation.replicas > 1) rules.push(...replicaRules(settings));
  if (plan.global) {
    rules.push({
      alert: "FleetfedLeafFederatorDown",
      expr: `up{job="${LEAF_JOB}"} == 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Leaf federator {{ $labels.federator }} is down",
        description:
          "The global federator cannot scrape {{ $labels.federator }}: every cluster on it is missing from the dashboards.",
      },
    });
  }
  return rules;
}

/**
 * Each replica on its own (the global's fleetfed-federator-replicas job reads every one through its
 * headless Service): HA that hides a dead or stuck replica is not HA. (A replica's failed reload is
 * FleetfedFederatorConfigReloadFailed, which reads each replica on its own too.)
 * Long on purpose: a declarative list, one entry per alert.
 */
function replicaRules(settings: Settings): AlertRule[] {
  const replicas = `job="${REPLICAS_JOB}"`;
  const cl = settings.clusterLabel;
  const wait = replicaWait(settings);
  return [
    {
      alert: "FleetfedFederatorReplicasDegraded",
      expr: `count by (federator) (up{${replicas}} == 1) < ${settings.federation.replicas}`,
      for: wait,
      labels: { severity: "warning" },
      annotations: {
        summary: `Federator {{ $labels.federator }} runs {{ $value }} healthy replica(s) of ${settings.federation.replicas}`,
        description:
          "A replica is down, not ready, or cannot be scraped: the federator has no spare, and the Service may send the tier above to the one that is failing. Check its pods and their events.",
      },
    },
    {
      alert: "FleetfedFederatorReplicaMissesCluster",
      // This replica's scrape of the cluster fails while a sibling's succeeds: the cluster is up, the
      // path from this pod is not. When the Service moves the tier above to this replica, the cluster's
      // history gets a gap. (All replicas failing is FleetfedClusterFederationDown.)
      expr: `${REPLICA_READ.clusterUp}{${replicas}} == 0 and on (federator, ${cl}) (max by (federator, ${cl}) (${REPLICA_READ.clusterUp}{${replicas}}) == 1)`,
      for: wait,
      labels: { severity: "warning" },
      annotations: {
        summary: `Replica {{ $labels.instance }} of federator {{ $labels.federator }} cannot scrape cluster {{ $labels.${cl} }}; its sibling can`,
        description:
          "One pod's path to the cluster is broken (its node's network, a NetworkPolicy, DNS, a stale config): the other replica keeps the cluster's data, but if the tier above is moved to this one, the cluster's history has a gap. Check that pod's targets page and its node.",
      },
    },
  ];
}

/**
 * How long a replica's trouble lasts before its alert fires: twenty federation scrapes (10 min at the
 * default 30 s), longer than a replica takes to restart in a rollout.
 */
function replicaWait(settings: Settings): string {
  return durationFromMs(20 * settings.federation.scrapeInterval.ms).text;
}

/** Ten evaluations of the cluster rules or ten federation scrapes, whichever is longer. */
function aggregatesFor(settings: Settings): string {
  const ms =
    10 *
    Math.max(settings.federation.scrapeInterval.ms, parseDuration(settings.clusterRules.interval)?.ms ?? 0);
  return durationFromMs(ms).text;
}

/**
 * The watchers watched: an always-firing watchdog (its absence at the receiver means the path is dead, as
 * kube-prometheus's Watchdog), and each federator's own health, from its self-scrape, read per replica
 * where the flavour allows (selfHealthJob): config reloads, rule failures, and head series and memory
 * against the size the federator was given (core/render/sizing.ts), before it falls over.
 * Long on purpose: a declarative list, one entry per alert.
 */
function federatorHealthRules(plan: FederationTree, settings: Settings): AlertRule[] {
  const self = `job="${selfHealthJob(settings)}"`;
  const interval = settings.federation.scrapeInterval.ms;
  const leaf = federatorSize("leaf", plan, settings);
  const top = federatorSize("global", plan, settings);
  const perTier = (metric: string, leafLimit: number, globalLimit: number) =>
    `${metric}{${self},federator=~"leaf-.*"} / ${leafLimit} > 0.8 or ${metric}{${self},federator="global"} / ${globalLimit} > 0.8`;
  return [
    {
      alert: "FleetfedWatchdog",
      expr: "vector(1)",
      for: "0m",
      labels: { severity: "none" },
      annotations: {
        summary: "Always firing: proves that alerts from the fleet's top federator reach their receiver",
        description:
          "Route it to a dead man's switch (for example a heartbeat service). When it stops arriving, the top federator, its Alertmanager or the path between them is down.",
      },
    },
    {
      alert: "FleetfedFederatorConfigReloadFailed",
      // Ten scrapes without one good reload (5m at 30 s), for twenty more (10m).
      expr: `max_over_time(prometheus_config_last_reload_successful{${self}}[${durationFromMs(10 * interval).text}]) == 0`,
      for: replicaWait(settings),
      labels: { severity: "warning" },
      annotations: {
        summary: "Federator {{ $labels.federator }} ({{ $labels.instance }}) cannot load its configuration",
        description:
          "It still runs its previous configuration, so clusters added since are not federated by it, while a sibling replica may federate them: the two differ. Check that pod's config-reloader and Prometheus logs and run fleetfed check on main.",
      },
    },
    {
      alert: "FleetfedFederatorRuleFailures",
      expr: `increase(prometheus_rule_evaluation_failures_total{${self}}[10m]) > 0`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Federator {{ $labels.federator }} fails to evaluate rules",
        description:
          "Alerts on the federation may not fire. Check the federator's log for the failing rule group.",
      },
    },
    {
      alert: "FleetfedFederatorHeadSeriesNearBudget",
      expr: perTier("prometheus_tsdb_head_series", leaf.series, top.series),
      for: "30m",
      labels: { severity: "warning" },
      annotations: {
        summary:
          "Federator {{ $labels.federator }} holds {{ $value | humanizePercentage }} of the series it is sized for",
        description:
          "Clusters send more series than federation.expectedSeriesPerCluster: raise it (memory follows), narrow match[], or lower shardSize.",
      },
    },
    {
      alert: "FleetfedFederatorMemoryNearLimit",
      expr: perTier("process_resident_memory_bytes", leaf.memoryLimitBytes, top.memoryLimitBytes),
      for: "15m",
      labels: { severity: "critical" },
      annotations: {
        summary:
          "Federator {{ $labels.federator }} uses {{ $value | humanizePercentage }} of its memory limit",
        description:
          "It will be OOM-killed and its clusters will show gaps. Raise federation.resources or expectedSeriesPerCluster, or lower shardSize.",
      },
    },
  ];
}

const GROUP = "fleetfed-federation";

export function renderAlertsFile(plan: FederationTree, settings: Settings): string {
  return toYaml(
    { groups: [{ name: GROUP, rules: alertRules(plan, settings) }] },
    { comments: ["Alerts on the federation itself, evaluated by the top federator."] },
  );
}

export function alertsPrometheusRule(
  name: string,
  selector: Record<string, string>,
  plan: FederationTree,
  settings: Settings,
): object {
  return PrometheusRule({
    metadata: { name, labels: { ...PART_OF, ...selector } },
    spec: { groups: [{ name: GROUP, rules: alertRules(plan, settings) }] },
  });
}
