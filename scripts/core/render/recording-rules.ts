// The recording rules each cluster's Prometheus runs so the dashboards have data: per-cluster and
// per-namespace aggregates of node-exporter, kube-state-metrics and cAdvisor series (metric names as
// kube-prometheus scrapes them), named level:metric:operations. Only these aggregates cross VPCs:
// the default federation match[] selects the cluster: and namespace: levels.

import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { toYaml } from "../yaml.ts";
import { checked, PART_OF } from "./kubernetes.ts";

export interface RecordingRule {
  record: string;
  expr: string;
}

export const CLUSTER_RULES: readonly RecordingRule[] = [
  {
    record: "cluster:node_cpu_utilisation:ratio",
    expr: '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))',
  },
  {
    record: "cluster:node_memory_utilisation:ratio",
    expr: "1 - sum(node_memory_MemAvailable_bytes) / sum(node_memory_MemTotal_bytes)",
  },
  {
    record: "cluster:kube_pod_container_resource_requests_cpu:ratio",
    expr: 'sum(kube_pod_container_resource_requests{resource="cpu"}) / sum(kube_node_status_allocatable{resource="cpu"})',
  },
  {
    record: "cluster:kube_pod_container_resource_requests_memory:ratio",
    expr: 'sum(kube_pod_container_resource_requests{resource="memory"}) / sum(kube_node_status_allocatable{resource="memory"})',
  },
  { record: "cluster:kube_node_info:count", expr: "count(kube_node_info)" },
  {
    record: "cluster:kube_node_ready:sum",
    expr: 'sum(kube_node_status_condition{condition="Ready",status="true"})',
  },
  { record: "cluster:kube_pod_running:sum", expr: 'sum(kube_pod_status_phase{phase="Running"})' },
  {
    record: "cluster:kube_applications:count",
    // Applications are deployments and statefulsets; `or` keeps either kind when the other is absent.
    expr: "count(kube_deployment_created or kube_statefulset_created)",
  },
  {
    record: "cluster:kube_applications_per_node:ratio",
    expr: "cluster:kube_applications:count / cluster:kube_node_ready:sum",
  },
  {
    record: "namespace:kube_applications:count",
    expr: "count by (namespace) (kube_deployment_created or kube_statefulset_created)",
  },
  {
    record: "namespace:container_cpu_usage_seconds:sum_rate",
    expr: 'sum by (namespace) (rate(container_cpu_usage_seconds_total{container!=""}[5m]))',
  },
  {
    record: "namespace:container_memory_working_set_bytes:sum",
    expr: 'sum by (namespace) (container_memory_working_set_bytes{container!=""})',
  },
];

const GROUP = "fleetfed-cluster-aggregates";

/** The rules file each cluster's Prometheus loads (rule_files), as a plain Prometheus rules file. */
export function renderClusterRulesFile(): string {
  return toYaml(
    {
      groups: [
        {
          name: GROUP,
          interval: "30s",
          rules: CLUSTER_RULES.map((r) => ({ record: r.record, expr: r.expr })),
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
export function renderClusterPrometheusRule(): string {
  return toYaml(
    checked(
      new PrometheusRule({
        metadata: {
          name: "fleetfed-cluster-aggregates",
          labels: { ...PART_OF, role: "recording-rules" },
        },
        spec: {
          groups: [
            {
              name: GROUP,
              interval: "30s",
              rules: CLUSTER_RULES.map((r) => ({ record: r.record, expr: r.expr })),
            },
          ],
        },
      }),
    ),
  );
}
