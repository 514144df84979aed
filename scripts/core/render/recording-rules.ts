// The recording rules each cluster's Prometheus runs so the dashboards have data: per-cluster and
// per-namespace aggregates of node-exporter, kube-state-metrics and cAdvisor series (metric names as
// kube-prometheus scrapes them), named level:metric:operations. Only these aggregates cross VPCs: the
// default federation match[] names each of them exactly (FEDERATED_BY_DEFAULT). Not a level prefix such
// as cluster: or namespace:, which kubernetes-mixin shares, and some of whose rules keep every container.

import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { Settings } from "../inputs/settings.ts";
import { toYaml } from "../yaml.ts";
import { kindOf, PART_OF } from "./kubernetes.ts";
import { RECORDS } from "./records.ts";

const PrometheusRule = kindOf<IPrometheusRule>("monitoring.coreos.com/v1", "PrometheusRule");

export interface RecordingRule {
  record: string;
  expr: string;
}

/**
 * The aggregates, to kubernetes-mixin's standard (its k8s.rules and node.rules): every selector names the
 * job that exports the metric (configurable under clusterRules.jobs, kube-prometheus's names by default),
 * and requests count only pods that hold them, Pending or Running, not finished Jobs.
 */
export function clusterRules(settings: Settings): RecordingRule[] {
  const { nodeExporter: node, kubeStateMetrics: ksm, kubelet } = settings.clusterRules.jobs;
  const k = (metric: string, extra = "") => `${metric}{job="${ksm}"${extra}}`;
  // The pods that hold their requests, one series per pod: Pending (scheduled, starting) or Running.
  const active = `max by (namespace, pod) (${k("kube_pod_status_phase", ',phase=~"Pending|Running"')} == 1)`;
  const requests = (resource: string) =>
    `sum(${k("kube_pod_container_resource_requests", `,resource="${resource}"`)} * on (namespace, pod) group_left () ${active}) / sum(${k("kube_node_status_allocatable", `,resource="${resource}"`)})`;
  const apps = `${k("kube_deployment_created")} or ${k("kube_statefulset_created")}`;
  return [
    {
      record: RECORDS.nodeCpu,
      expr: `1 - avg(rate(node_cpu_seconds_total{job="${node}",mode="idle"}[5m]))`,
    },
    {
      record: RECORDS.nodeMemory,
      expr: `1 - sum(node_memory_MemAvailable_bytes{job="${node}"}) / sum(node_memory_MemTotal_bytes{job="${node}"})`,
    },
    { record: RECORDS.cpuRequests, expr: requests("cpu") },
    { record: RECORDS.memoryRequests, expr: requests("memory") },
    { record: RECORDS.nodes, expr: `count(${k("kube_node_info")})` },
    {
      record: RECORDS.nodesReady,
      expr: `sum(${k("kube_node_status_condition", ',condition="Ready",status="true"')})`,
    },
    {
      record: RECORDS.podsRunning,
      expr: `sum(${k("kube_pod_status_phase", ',phase="Running"')})`,
    },
    // Applications are deployments and statefulsets; `or` keeps either kind when the other is absent.
    { record: RECORDS.applications, expr: `count(${apps})` },
    {
      record: RECORDS.applicationsPerNode,
      expr: `${RECORDS.applications} / ${RECORDS.nodesReady}`,
    },
    { record: RECORDS.namespaceApplications, expr: `count by (namespace) (${apps})` },
    {
      record: RECORDS.namespaceCpu,
      expr: `sum by (namespace) (rate(container_cpu_usage_seconds_total{job="${kubelet}",container!=""}[5m]))`,
    },
    {
      record: RECORDS.namespaceMemory,
      expr: `sum by (namespace) (container_memory_working_set_bytes{job="${kubelet}",container!=""})`,
    },
  ];
}

const GROUP = "fleetfed-cluster-aggregates";

/** The rules file each cluster's Prometheus loads (rule_files), as a plain Prometheus rules file. */
export function renderClusterRulesFile(settings: Settings): string {
  return toYaml(
    {
      groups: [
        {
          name: GROUP,
          interval: settings.clusterRules.interval,
          rules: clusterRules(settings),
        },
      ],
    },
    {
      comments: [
        "Recording rules for every cluster's Prometheus: the aggregates fleetfed federates and the dashboards read.",
      ],
    },
  );
}

/** The same rules for clusters whose Prometheus is run by prometheus-operator. */
export function renderClusterPrometheusRule(settings: Settings): string {
  return toYaml(
    PrometheusRule({
      metadata: {
        name: "fleetfed-cluster-aggregates",
        // clusterRules.labels: what the clusters' Prometheus ruleSelector selects, e.g. release: <name>.
        labels: { ...PART_OF, role: "recording-rules", ...settings.clusterRules.labels },
      },
      spec: {
        groups: [
          {
            name: GROUP,
            interval: settings.clusterRules.interval,
            rules: clusterRules(settings),
          },
        ],
      },
    }),
  );
}
