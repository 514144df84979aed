// A workload cluster's Prometheus for end-to-end tests, as kube-prometheus-stack runs it: external labels
// naming the cluster its own way (not the fleet's id), the operator's `prometheus` and
// `prometheus_replica`, exporters under kube-prometheus's job names (served by the fixture exporter), the
// rendered recording rules loaded unmodified, and one `job:` aggregate of its own.

import { type RunningPrometheus, startPrometheus } from "./prometheus.ts";

const JOB_RULES = `groups:
  - name: aggregates
    interval: 1s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
`;

export async function startCluster(
  work: string,
  id: string,
  port: number,
  { exporterUrl, clusterRules }: { exporterUrl: string; clusterRules: string },
): Promise<RunningPrometheus> {
  const exporterTarget = exporterUrl.replace("http://", "");
  const config = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
  external_labels: {cluster: eks-prod-${id}, prometheus: monitoring/k8s, prometheus_replica: prometheus-k8s-0}
rule_files: [rules.yml, job-rules.yml]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:${port}']}]
${["node-exporter", "kube-state-metrics", "kubelet"]
  .map(
    (job) => `  - job_name: ${job}
    metrics_path: /metrics/${id}
    static_configs: [{targets: ['${exporterTarget}']}]`,
  )
  .join("\n")}
`;
  return startPrometheus(work, `cluster-${id}`, port, config, {
    "rules.yml": clusterRules,
    "job-rules.yml": JOB_RULES,
  });
}
