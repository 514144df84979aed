// The per-cluster recording rules under `promtool test rules`, with what real clusters have: finished pods
// that still export their requests, not-ready nodes, counter resets after a restart, and the same
// metrics from another job. Each figure is worked out by hand in the comments.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { $ } from "zx";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import {
  renderClusterPrometheusRule,
  renderClusterRulesFile,
} from "../scripts/core/render/recording-rules.ts";
import { tool } from "./support/tools.ts";

const promtool = await tool("promtool");

const KSM = 'job="kube-state-metrics"';
const TESTS = `rule_files: [rules.yml]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      # CPU: cpu0 fully idle (1 s/s), cpu1 half idle (0.5 s/s) and its counter reset by a restart at 5.5m.
      - series: 'node_cpu_seconds_total{job="node-exporter", instance="n1", cpu="0", mode="idle"}'
        values: '0+30x40'
      - series: 'node_cpu_seconds_total{job="node-exporter", instance="n1", cpu="1", mode="idle"}'
        values: '0+15x10 15+15x30'
      # The same metric from another job must not count.
      - series: 'node_cpu_seconds_total{job="other", instance="x", cpu="0", mode="idle"}'
        values: '0x40'
      - series: 'node_memory_MemAvailable_bytes{job="node-exporter", instance="n1"}'
        values: '2000000000x40'
      - series: 'node_memory_MemTotal_bytes{job="node-exporter", instance="n1"}'
        values: '8000000000x40'
      # Two nodes, one not ready; 4 CPUs and 16 GB allocatable in all.
      - series: 'kube_node_info{${KSM}, node="n1"}'
        values: '1x40'
      - series: 'kube_node_info{${KSM}, node="n2"}'
        values: '1x40'
      - series: 'kube_node_status_condition{${KSM}, node="n1", condition="Ready", status="true"}'
        values: '1x40'
      - series: 'kube_node_status_condition{${KSM}, node="n2", condition="Ready", status="true"}'
        values: '0x40'
      - series: 'kube_node_status_allocatable{${KSM}, node="n1", resource="cpu"}'
        values: '2x40'
      - series: 'kube_node_status_allocatable{${KSM}, node="n2", resource="cpu"}'
        values: '2x40'
      - series: 'kube_node_status_allocatable{${KSM}, node="n1", resource="memory"}'
        values: '8000000000x40'
      - series: 'kube_node_status_allocatable{${KSM}, node="n2", resource="memory"}'
        values: '8000000000x40'
      # Pods: run (Running, 1 CPU, 4 GB), wait (Pending, 0.5 CPU), done (Succeeded, 2 CPU, 8 GB: a finished
      # Job), crash (Failed, 1 CPU). Only run and wait hold requests: CPU 1.5/4, memory 4/16.
      - series: 'kube_pod_container_resource_requests{${KSM}, namespace="a", pod="run", container="c", resource="cpu"}'
        values: '1x40'
      - series: 'kube_pod_container_resource_requests{${KSM}, namespace="a", pod="run", container="c", resource="memory"}'
        values: '4000000000x40'
      - series: 'kube_pod_container_resource_requests{${KSM}, namespace="a", pod="wait", container="c", resource="cpu"}'
        values: '0.5x40'
      - series: 'kube_pod_container_resource_requests{${KSM}, namespace="b", pod="done", container="c", resource="cpu"}'
        values: '2x40'
      - series: 'kube_pod_container_resource_requests{${KSM}, namespace="b", pod="done", container="c", resource="memory"}'
        values: '8000000000x40'
      - series: 'kube_pod_container_resource_requests{${KSM}, namespace="b", pod="crash", container="c", resource="cpu"}'
        values: '1x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="a", pod="run", phase="Running"}'
        values: '1x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="a", pod="run", phase="Succeeded"}'
        values: '0x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="a", pod="wait", phase="Pending"}'
        values: '1x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="a", pod="wait", phase="Running"}'
        values: '0x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="b", pod="done", phase="Succeeded"}'
        values: '1x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="b", pod="done", phase="Running"}'
        values: '0x40'
      - series: 'kube_pod_status_phase{${KSM}, namespace="b", pod="crash", phase="Failed"}'
        values: '1x40'
      # Another kube-state-metrics (a second install) must not double the requests.
      - series: 'kube_pod_container_resource_requests{job="ksm-copy", namespace="a", pod="run", container="c", resource="cpu"}'
        values: '1x40'
      - series: 'kube_deployment_created{${KSM}, namespace="a", deployment="d1"}'
        values: '1x40'
      - series: 'kube_statefulset_created{${KSM}, namespace="b", statefulset="s1"}'
        values: '1x40'
      # Container CPU: 0.2 cores in a, and a restart of the container resets its counter.
      - series: 'container_cpu_usage_seconds_total{job="kubelet", namespace="a", pod="run", container="c"}'
        values: '0+6x10 6+6x30'
      - series: 'container_memory_working_set_bytes{job="kubelet", namespace="a", pod="run", container="c"}'
        values: '300000000x40'
      - series: 'container_memory_working_set_bytes{job="kubelet", namespace="a", pod="run", container=""}'
        values: '999999999x40'
    promql_expr_test:
      - {expr: 'cluster:node_cpu_utilisation:ratio', eval_time: 10m, exp_samples: [{labels: 'cluster:node_cpu_utilisation:ratio', value: 0.25}]}
      - {expr: 'cluster:node_memory_utilisation:ratio', eval_time: 10m, exp_samples: [{labels: 'cluster:node_memory_utilisation:ratio', value: 0.75}]}
      - {expr: 'cluster:kube_pod_container_resource_requests_cpu:ratio', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_pod_container_resource_requests_cpu:ratio', value: 0.375}]}
      - {expr: 'cluster:kube_pod_container_resource_requests_memory:ratio', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_pod_container_resource_requests_memory:ratio', value: 0.25}]}
      - {expr: 'cluster:kube_node_info:count', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_node_info:count', value: 2}]}
      - {expr: 'cluster:kube_node_ready:sum', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_node_ready:sum', value: 1}]}
      - {expr: 'cluster:kube_pod_running:sum', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_pod_running:sum', value: 1}]}
      - {expr: 'cluster:kube_applications:count', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_applications:count', value: 2}]}
      - {expr: 'cluster:kube_applications_per_node:ratio', eval_time: 10m, exp_samples: [{labels: 'cluster:kube_applications_per_node:ratio', value: 2}]}
      - {expr: 'namespace:container_cpu_usage_seconds:sum_rate', eval_time: 10m, exp_samples: [{labels: 'namespace:container_cpu_usage_seconds:sum_rate{namespace="a"}', value: 0.2}]}
      - {expr: 'namespace:container_memory_working_set_bytes:sum', eval_time: 10m, exp_samples: [{labels: 'namespace:container_memory_working_set_bytes:sum{namespace="a"}', value: 300000000}]}
      - {expr: 'namespace:kube_applications:count', eval_time: 10m, exp_samples: [{labels: 'namespace:kube_applications:count{namespace="a"}', value: 1}, {labels: 'namespace:kube_applications:count{namespace="b"}', value: 1}]}
`;

describe.skipIf(!promtool)("cluster recording rules", () => {
  it("pass promtool test rules with finished pods, not-ready nodes, restarts and other jobs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fleetfed-rules-"));
    try {
      await writeFile(join(dir, "rules.yml"), renderClusterRulesFile(parseSettings("{}\n", "fleet.yaml")));
      await writeFile(join(dir, "tests.yml"), TESTS);
      const r = await $({ cwd: dir, nothrow: true, quiet: true })`${promtool} test rules tests.yml`;
      expect(r.exitCode, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("take their job names and PrometheusRule labels from fleet.yaml", () => {
    const settings = parseSettings(
      "clusterRules:\n  jobs: {nodeExporter: node, kubeStateMetrics: ksm, kubelet: cadvisor}\n  labels: {release: kube-prometheus-stack}\n",
      "fleet.yaml",
    );
    const rules = renderClusterRulesFile(settings);
    expect(rules).toContain('node_cpu_seconds_total{job="node"');
    expect(rules).toContain('kube_pod_status_phase{job="ksm",phase=~"Pending|Running"}');
    expect(rules).toContain('container_cpu_usage_seconds_total{job="cadvisor"');
    expect(rules).not.toMatch(/node-exporter|kube-state-metrics|"kubelet"/);
    expect(renderClusterPrometheusRule(settings)).toMatch(/^ {4}release: kube-prometheus-stack$/m);
  });
});
