// A stand-in for each cluster's node-exporter, kube-state-metrics and cAdvisor: realistic series with
// the metric and label names kube-prometheus scrapes, served per cluster at /metrics/<cluster>.
// Counters grow with time so rate() has something to see.

import { createServer } from "node:http";
import { listenLocal } from "./server.ts";

function exposition(cluster: string, seconds: number, index: number): string {
  const nodes = index + 1; // clusters differ in size, so aggregates differ too
  const lines: string[] = [];
  const add = (name: string, type: string, samples: [string, number][]) => {
    lines.push(`# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}{${labels}} ${value}`);
  };
  const perNode = <T>(f: (node: string) => T[]) =>
    Array.from({ length: nodes }, (_, i) => f(`${cluster}-node-${i}`)).flat();
  add(
    "node_cpu_seconds_total",
    "counter",
    perNode((n) => [
      [`instance="${n}",cpu="0",mode="idle"`, seconds * 0.6],
      [`instance="${n}",cpu="0",mode="user"`, seconds * 0.4],
    ]),
  );
  add(
    "node_memory_MemAvailable_bytes",
    "gauge",
    perNode((n) => [[`instance="${n}"`, 3e9]]),
  );
  add(
    "node_memory_MemTotal_bytes",
    "gauge",
    perNode((n) => [[`instance="${n}"`, 8e9]]),
  );
  add(
    "kube_node_info",
    "gauge",
    perNode((n) => [[`node="${n}",kernel_version="6.1.0"`, 1]]),
  );
  add(
    "kube_node_status_condition",
    "gauge",
    perNode((n) => [
      [`node="${n}",condition="Ready",status="true"`, 1],
      [`node="${n}",condition="Ready",status="false"`, 0],
    ]),
  );
  add(
    "kube_node_status_allocatable",
    "gauge",
    perNode((n) => [
      [`node="${n}",resource="cpu",unit="core"`, 4],
      [`node="${n}",resource="memory",unit="byte"`, 16e9],
    ]),
  );
  const pods = [
    ["default", "web-0", "web"],
    ["default", "web-1", "web"],
    ["data", "db-0", "db"],
  ];
  // A finished Job's pod: kube-state-metrics still exports its requests, which must not count.
  const finished = [["batch", "migrate-x7", "migrate"]];
  add(
    "kube_pod_container_resource_requests",
    "gauge",
    [...pods, ...finished].flatMap(
      ([ns, pod, c]) =>
        [
          [
            `namespace="${ns}",pod="${pod}",container="${c}",node="${cluster}-node-0",resource="cpu",unit="core"`,
            pod === "migrate-x7" ? 2 : 0.5,
          ],
          [
            `namespace="${ns}",pod="${pod}",container="${c}",node="${cluster}-node-0",resource="memory",unit="byte"`,
            1e9,
          ],
        ] as [string, number][],
    ),
  );
  add(
    "kube_pod_status_phase",
    "gauge",
    pods
      .flatMap(
        ([ns, pod]) =>
          [
            [`namespace="${ns}",pod="${pod}",phase="Running"`, 1],
            [`namespace="${ns}",pod="${pod}",phase="Pending"`, 0],
          ] as [string, number][],
      )
      .concat(
        finished.flatMap(
          ([ns, pod]) =>
            [
              [`namespace="${ns}",pod="${pod}",phase="Succeeded"`, 1],
              [`namespace="${ns}",pod="${pod}",phase="Running"`, 0],
            ] as [string, number][],
        ),
      ),
  );
  add("kube_deployment_created", "gauge", [[`namespace="default",deployment="web"`, 1.7e9]]);
  add("kube_statefulset_created", "gauge", [[`namespace="data",statefulset="db"`, 1.7e9]]);
  add(
    "container_cpu_usage_seconds_total",
    "counter",
    pods.map(
      ([ns, pod, c]) =>
        [`namespace="${ns}",pod="${pod}",container="${c}"`, seconds * 0.2] as [string, number],
    ),
  );
  add(
    "container_memory_working_set_bytes",
    "gauge",
    pods.map(
      ([ns, pod, c]) => [`namespace="${ns}",pod="${pod}",container="${c}"`, 2.5e8] as [string, number],
    ),
  );
  return `${lines.join("\n")}\n`;
}

export async function startFixtureExporter(
  clusters: readonly string[],
): Promise<{ url: string; close: () => Promise<void> }> {
  const started = Date.now();
  const server = createServer((req, res) => {
    const cluster = /^\/metrics\/([a-z0-9-]+)$/.exec(req.url ?? "")?.[1];
    const index = cluster ? clusters.indexOf(cluster) : -1;
    if (!cluster || index < 0) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(exposition(cluster, 1000 + (Date.now() - started) / 1000, index));
  });
  return listenLocal(server);
}
