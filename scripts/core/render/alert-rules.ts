// Alerts for the top federator, which sees every federation target: a cluster's federation down, a leaf
// down, scrapes close to their timeout, samples close to sample_limit.

import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import type { Settings } from "../inputs/settings.ts";
import type { FederationTree } from "../plan/placement.ts";
import { toYaml } from "../yaml.ts";
import { checked, PART_OF } from "./kubernetes.ts";
import { CLUSTER_JOB, LEAF_JOB } from "./prometheus.ts";

export const ALERTS_FILE = "alerts.yml";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

export function alertRules(plan: FederationTree, settings: Settings): AlertRule[] {
  const f = settings.federation;
  const cl = settings.clusterLabel;
  const rules: AlertRule[] = [
    {
      alert: "FleetfedClusterFederationDown",
      expr: `up{job=~"${CLUSTER_JOB}.*"} == 0`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Cluster {{ $labels.${cl} }} is not being federated`,
        description: `{{ $labels.federator }} cannot scrape /federate on {{ $labels.instance }} for cluster {{ $labels.${cl} }}: its dashboards show no data. Check the cluster's Prometheus, its Route 53 record and the network path.`,
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
  if (f.sampleLimit > 0) {
    rules.push({
      alert: "FleetfedFederationSamplesNearLimit",
      expr: `scrape_samples_post_metric_relabeling{job=~"${CLUSTER_JOB}.*"} / (scrape_sample_limit{job=~"${CLUSTER_JOB}.*"} > 0) > 0.8`,
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: `Cluster {{ $labels.${cl} }} federates close to sample_limit`,
        description: `{{ $value | humanizePercentage }} of its sample_limit; above it every scrape of this cluster fails. Narrow its match or raise federation.sampleLimit.`,
      },
    });
  }
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
  return checked(
    new PrometheusRule({
      metadata: { name, labels: { ...PART_OF, ...selector } },
      spec: { groups: [{ name: GROUP, rules: alertRules(plan, settings) }] },
    }),
  );
}
