// The three dashboards (fleet overview, federation health, cluster detail) and the Grafana datasource
// that points at the top federator. Every query reads series the federation delivers to the top: the
// cluster:/namespace: recording rules (core/recording-rules.ts) and the federation's own scrape health.
// `fleetfed check` proves it by parsing each query (core/coverage.ts).

import { Secret } from "kubernetes-models/v1";
import { buildDashboard, type DashboardSpec, type PanelSpec } from "./grafana.ts";
import type { FederationPlan } from "./plan.ts";
import { checked, renderKustomization } from "./render-kubernetes.ts";
import { CLUSTER_JOB, FEDERATOR_PORT, federatorService, LEAF_JOB } from "./render-prometheus.ts";
import type { Settings } from "./settings.ts";
import { toYaml } from "./yaml.ts";

export const DATASOURCE_UID = "fleetfed";
const FOLDER = "Fleet";
const TAGS = ["fleetfed", "federation"];
export const DETAIL_UID = "fleetfed-cluster-detail";

export function dashboardSpecs(plan: FederationPlan, settings: Settings): DashboardSpec[] {
  const cl = settings.clusterLabel;
  const up = `up{job=~"${CLUSTER_JOB}.*"}`;
  const detail = {
    title: "Cluster detail",
    url: `/d/${DETAIL_UID}?var-cluster=\${__field.labels.${cl}}&\${__url_time_range}`,
  };
  const perCluster = (
    title: string,
    description: string,
    expr: string,
    unit?: string,
    extra: Partial<PanelSpec> = {},
  ): PanelSpec => ({
    kind: "timeseries",
    title,
    description,
    targets: [{ expr, legend: `{{${cl}}}` }],
    link: detail,
    ...(unit && { unit }),
    ...extra,
  });
  const timeout = settings.federation.scrapeTimeout.ms / 1000;
  const limit = settings.federation.sampleLimit;
  const sel = (extra = "") => `{${cl}="$cluster"${extra}}`;

  const overview: DashboardSpec = {
    uid: "fleetfed-fleet-overview",
    title: "Fleet overview",
    description:
      "Every cluster at a glance, from the aggregates each cluster records and fleetfed federates.",
    tags: TAGS,
    datasourceUid: DATASOURCE_UID,
    links: [
      { title: "Federation health", url: "/d/fleetfed-federation-health" },
      { title: "Cluster detail", url: `/d/${DETAIL_UID}` },
    ],
    rows: [
      {
        title: "Federation",
        panels: [
          {
            kind: "stat",
            title: "Clusters federated",
            description: "Clusters whose /federate scrape succeeds.",
            targets: [{ expr: `count(${up} == 1) or vector(0)` }],
          },
          {
            kind: "stat",
            title: "Clusters down",
            description: "Clusters whose /federate scrape fails.",
            targets: [{ expr: `count(${up} == 0) or vector(0)` }],
          },
          {
            kind: "stat",
            title: "Nodes ready",
            description: "Ready nodes across the fleet.",
            targets: [{ expr: "sum(cluster:kube_node_ready:sum)" }],
          },
          {
            kind: "stat",
            title: "Pods running",
            description: "Running pods across the fleet.",
            targets: [{ expr: "sum(cluster:kube_pod_running:sum)" }],
          },
          perCluster(
            "Federation up per cluster",
            "1 when the cluster's Prometheus answers /federate.",
            up,
            undefined,
            { min: 0, max: 1, width: 24 },
          ),
        ],
      },
      {
        title: "Capacity",
        panels: [
          perCluster("Nodes ready", "Ready nodes per cluster.", "cluster:kube_node_ready:sum", "none", {
            width: 8,
          }),
          perCluster("Pods running", "Running pods per cluster.", "cluster:kube_pod_running:sum", "none", {
            width: 8,
          }),
          perCluster(
            "Applications per node",
            "Deployments and statefulsets per ready node.",
            "cluster:kube_applications_per_node:ratio",
            "none",
            { width: 8 },
          ),
        ],
      },
      {
        title: "Utilisation",
        panels: [
          perCluster(
            "CPU utilisation",
            "Share of node CPU in use.",
            "cluster:node_cpu_utilisation:ratio",
            "percentunit",
            { min: 0, max: 1 },
          ),
          perCluster(
            "Memory utilisation",
            "Share of node memory in use.",
            "cluster:node_memory_utilisation:ratio",
            "percentunit",
            { min: 0, max: 1 },
          ),
          perCluster(
            "CPU requested",
            "CPU requests over allocatable CPU.",
            "cluster:kube_pod_container_resource_requests_cpu:ratio",
            "percentunit",
            { min: 0 },
          ),
          perCluster(
            "Memory requested",
            "Memory requests over allocatable memory.",
            "cluster:kube_pod_container_resource_requests_memory:ratio",
            "percentunit",
            { min: 0 },
          ),
        ],
      },
      {
        title: "Top clusters",
        panels: [
          perCluster(
            "Top 10 by CPU utilisation",
            "The ten busiest clusters by CPU.",
            "topk(10, cluster:node_cpu_utilisation:ratio)",
            "percentunit",
          ),
          perCluster(
            "Top 10 by memory utilisation",
            "The ten busiest clusters by memory.",
            "topk(10, cluster:node_memory_utilisation:ratio)",
            "percentunit",
          ),
        ],
      },
    ],
  };

  const healthPanels: PanelSpec[] = [
    perCluster(
      "Cluster targets up",
      "Per cluster: 1 when its federator can scrape /federate.",
      up,
      undefined,
      { min: 0, max: 1 },
    ),
    {
      kind: "stat",
      title: "Clusters not reporting",
      description: "Clusters whose federation scrape fails now.",
      targets: [{ expr: `count(${up} == 0) or vector(0)` }],
    },
    perCluster(
      "Scrape duration / timeout",
      `How much of the ${settings.federation.scrapeTimeout.text} scrape timeout each cluster's /federate takes; at 1 the scrape fails.`,
      `scrape_duration_seconds{job=~"${CLUSTER_JOB}.*"} / ${timeout}`,
      "percentunit",
      { min: 0 },
    ),
    limit > 0
      ? perCluster(
          "Samples / sample_limit",
          `Federated samples per scrape against sample_limit (${limit}); at 1 the scrape fails.`,
          `scrape_samples_post_metric_relabeling{job=~"${CLUSTER_JOB}.*"} / ${limit}`,
          "percentunit",
          { min: 0 },
        )
      : perCluster(
          "Samples per scrape",
          "Federated samples per scrape.",
          `scrape_samples_scraped{job=~"${CLUSTER_JOB}.*"}`,
          "none",
        ),
  ];
  if (plan.global) {
    healthPanels.unshift({
      kind: "timeseries",
      title: "Leaf federators up",
      description: "1 when the global federator can scrape the leaf.",
      targets: [{ expr: `up{job="${LEAF_JOB}"}`, legend: "{{federator}}" }],
      min: 0,
      max: 1,
    });
  }
  const health: DashboardSpec = {
    uid: "fleetfed-federation-health",
    title: "Federation health",
    description: "Is every cluster federated, and how close is each scrape to its limits?",
    tags: TAGS,
    datasourceUid: DATASOURCE_UID,
    links: [{ title: "Fleet overview", url: "/d/fleetfed-fleet-overview" }],
    rows: [{ title: "Targets", panels: healthPanels }],
  };

  const clusterDetail: DashboardSpec = {
    uid: DETAIL_UID,
    title: "Cluster detail",
    description: "One cluster: federation, capacity, utilisation, and its namespaces.",
    tags: TAGS,
    datasourceUid: DATASOURCE_UID,
    clusterVariable: { label: cl, query: `label_values(up{job=~"${CLUSTER_JOB}.*"}, ${cl})` },
    links: [{ title: "Fleet overview", url: "/d/fleetfed-fleet-overview" }],
    rows: [
      {
        title: "Cluster",
        panels: [
          {
            kind: "stat",
            title: "Federation up",
            description: "1 when its /federate scrape succeeds.",
            targets: [{ expr: `up{job=~"${CLUSTER_JOB}.*", ${cl}="$cluster"}` }],
          },
          {
            kind: "stat",
            title: "Nodes ready",
            description: "Ready nodes.",
            targets: [{ expr: `cluster:kube_node_ready:sum${sel()}` }],
          },
          {
            kind: "stat",
            title: "Pods running",
            description: "Running pods.",
            targets: [{ expr: `cluster:kube_pod_running:sum${sel()}` }],
          },
          {
            kind: "stat",
            title: "Applications per node",
            description: "Deployments and statefulsets per ready node.",
            targets: [{ expr: `cluster:kube_applications_per_node:ratio${sel()}` }],
          },
          {
            kind: "timeseries",
            title: "CPU",
            description: "Utilisation and requests over allocatable.",
            unit: "percentunit",
            targets: [
              { expr: `cluster:node_cpu_utilisation:ratio${sel()}`, legend: "utilisation" },
              { expr: `cluster:kube_pod_container_resource_requests_cpu:ratio${sel()}`, legend: "requested" },
            ],
          },
          {
            kind: "timeseries",
            title: "Memory",
            description: "Utilisation and requests over allocatable.",
            unit: "percentunit",
            targets: [
              { expr: `cluster:node_memory_utilisation:ratio${sel()}`, legend: "utilisation" },
              {
                expr: `cluster:kube_pod_container_resource_requests_memory:ratio${sel()}`,
                legend: "requested",
              },
            ],
          },
        ],
      },
      {
        title: "Namespaces",
        panels: [
          {
            kind: "timeseries",
            title: "CPU by namespace",
            description: "CPU cores used per namespace.",
            unit: "none",
            width: 8,
            targets: [
              { expr: `namespace:container_cpu_usage_seconds:sum_rate${sel()}`, legend: "{{namespace}}" },
            ],
          },
          {
            kind: "timeseries",
            title: "Memory by namespace",
            description: "Working set per namespace.",
            unit: "bytes",
            width: 8,
            targets: [
              { expr: `namespace:container_memory_working_set_bytes:sum${sel()}`, legend: "{{namespace}}" },
            ],
          },
          {
            kind: "timeseries",
            title: "Applications by namespace",
            description: "Deployments and statefulsets per namespace.",
            unit: "none",
            width: 8,
            targets: [{ expr: `namespace:kube_applications:count${sel()}`, legend: "{{namespace}}" }],
          },
        ],
      },
      {
        title: "Federation",
        panels: [
          {
            kind: "timeseries",
            title: "Scrape duration / timeout",
            description: "Share of the scrape timeout its /federate takes.",
            unit: "percentunit",
            targets: [
              {
                expr: `scrape_duration_seconds{job=~"${CLUSTER_JOB}.*", ${cl}="$cluster"} / ${timeout}`,
                legend: "{{federator}}",
              },
            ],
          },
        ],
      },
    ],
  };
  return [overview, health, clusterDetail];
}

/** manifests/dashboards/: one JSON file and one ConfigMap each, and the datasource Secret. */
export function renderDashboards(plan: FederationPlan, settings: Settings): Map<string, string> {
  const files = new Map<string, string>();
  const specs = dashboardSpecs(plan, settings);
  for (const spec of specs)
    files.set(`dashboards/${spec.uid}.json`, `${JSON.stringify(buildDashboard(spec), null, 2)}\n`);
  files.set(
    "dashboards/kustomization.yaml",
    renderKustomization(["datasource.yaml"], {
      namespace: settings.federation.namespace,
      // Stable names: Grafana's sidecar updates a dashboard in place instead of deleting and re-adding it.
      generatorOptions: { disableNameSuffixHash: true },
      configMapGenerator: specs.map((s) => ({
        name: `${s.uid}-dashboard`,
        files: [`${s.uid}.json`],
        options: {
          labels: { grafana_dashboard: "1", "app.kubernetes.io/part-of": "fleetfed" },
          annotations: { grafana_folder: FOLDER, "argocd.argoproj.io/sync-options": "ServerSideApply=true" },
        },
      })),
    }),
  );
  const url = `http://${federatorService(plan.top)}.${settings.federation.namespace}.svc:${FEDERATOR_PORT}`;
  const provisioning = toYaml(
    {
      apiVersion: 1,
      datasources: [
        {
          name: "Fleet (fleetfed)",
          uid: DATASOURCE_UID,
          type: "prometheus",
          access: "proxy",
          url,
          jsonData: { timeInterval: settings.federation.scrapeInterval.text, httpMethod: "POST" },
          editable: false,
        },
      ],
    },
    { header: false },
  );
  files.set(
    "dashboards/datasource.yaml",
    toYaml(
      checked(
        new Secret({
          metadata: {
            name: "fleetfed-datasource",
            labels: { grafana_datasource: "1", "app.kubernetes.io/part-of": "fleetfed" },
          },
          stringData: { "fleetfed-datasource.yaml": provisioning },
        }),
      ),
    ),
  );
  return files;
}
