// The three dashboards (fleet overview, federation health, cluster detail) and the Grafana datasource
// that points at the top federator. Every query reads series the federation delivers to the top: the
// cluster:/namespace: recording rules (core/recording-rules.ts) and the federation's own scrape health.
// `fleetfed check` proves it by parsing each query (core/coverage.ts).

import type { ISecret } from "kubernetes-models/v1/Secret";
import type { RemoteWriteSettings, Settings } from "../inputs/settings.ts";
import { compare } from "../order.ts";
import type { FederationTree } from "../plan/placement.ts";
import { toYaml } from "../yaml.ts";
import {
  buildDashboard,
  DATASOURCE_NAME,
  type DashboardSpec,
  type PanelSpec,
  STATUS_MAPPING,
  UP_MAPPING,
} from "./grafana.ts";
import { kindOf, PART_OF, renderKustomization } from "./kubernetes.ts";
import { clusterSampleLimit } from "./limits.ts";
import {
  CLUSTER_JOB,
  federatorAddress,
  LEAF_JOB,
  REPLICA_READ,
  REPLICAS_JOB,
  selfHealthJob,
  watchesReplicas,
} from "./prometheus.ts";
import { upWithoutAggregates } from "./records.ts";
import { queryUrl, tenantHeaders } from "./remote-write.ts";

const Secret = kindOf<ISecret>("v1", "Secret");

export const DATASOURCE_UID = "fleetfed";
const FOLDER = "Fleet";
const TAGS = ["fleetfed", "federation"];
/** Dashboard uids: they are the dashboards' URLs, so links between them use these and never literals. */
export const UID = {
  overview: "fleetfed-fleet-overview",
  health: "fleetfed-federation-health",
  detail: "fleetfed-cluster-detail",
} as const;

/** What every dashboard's queries are built from. */
interface DashboardContext {
  plan: FederationTree;
  settings: Settings;
  /** The cluster label name. */
  cl: string;
  /** Every cluster target's scrape health at the top. */
  up: string;
  limit: number;
  /** A selector for the dashboard's `$cluster` variable, with extra matchers appended. */
  sel: (extra?: string) => string;
  /** The fleet's own label names the overview filters by (`$env`, `$region`…), at most four. */
  filters: readonly string[];
  /** `metric` restricted to the clusters the filter variables select. */
  filtered: (metric: string, extra?: string) => string;
}

/** Label names the filter variables offer: the fleet's own, the common ones first, at most four. */
const FILTER_ORDER = ["env", "environment", "region", "team", "tier"];
function filterLabels(plan: FederationTree): string[] {
  const used = new Set<string>();
  for (const leaf of plan.leaves)
    for (const c of leaf.clusters) for (const [name] of c.labels) used.add(name);
  const rank = (n: string) => (FILTER_ORDER.includes(n) ? FILTER_ORDER.indexOf(n) : FILTER_ORDER.length);
  return [...used].sort((a, b) => rank(a) - rank(b) || compare(a, b)).slice(0, 4);
}

function dashboardContext(plan: FederationTree, settings: Settings): DashboardContext {
  const cl = settings.clusterLabel;
  const filters = filterLabels(plan);
  const matchers = filters.map((f) => `${f}=~"$${f}"`).join(",");
  return {
    plan,
    settings,
    cl,
    up: `up{job=~"${CLUSTER_JOB}.*"}`,
    limit: clusterSampleLimit(settings),
    sel: (extra = "") => `{${cl}="$cluster"${extra}}`,
    filters,
    filtered: (metric, extra = "") => {
      const all = [matchers, extra.replace(/^,/, "")].filter(Boolean).join(",");
      return all ? `${metric}{${all}}` : metric;
    },
  };
}

/**
 * The fleet, not each cluster: median, 90th percentile and maximum across the selected clusters, three
 * lines whatever the fleet's size (the Top 10 tables name the clusters).
 */
function distribution(
  d: DashboardContext,
  p: { title: string; description: string; metric: string; unit?: string } & Partial<PanelSpec>,
): PanelSpec {
  const { metric, ...rest } = p;
  const m = d.filtered(metric);
  return {
    kind: "timeseries",
    targets: [
      { expr: `quantile(0.5, ${m})`, legend: "median" },
      { expr: `quantile(0.9, ${m})`, legend: "p90" },
      { expr: `max(${m})`, legend: "max" },
    ],
    ...rest,
  };
}

/** A fleet total over time: one line. */
function total(d: DashboardContext, p: { title: string; description: string; metric: string }): PanelSpec {
  return {
    kind: "timeseries",
    title: p.title,
    description: p.description,
    targets: [{ expr: `sum(${d.filtered(p.metric)})`, legend: "fleet" }],
  };
}

/** One time series per cluster, each linking to that cluster's detail dashboard. */
function perCluster(
  d: DashboardContext,
  p: { title: string; description: string; expr: string; unit?: string } & Partial<PanelSpec>,
): PanelSpec {
  const { expr, ...rest } = p;
  return {
    kind: "timeseries",
    targets: [{ expr, legend: `{{${d.cl}}}` }],
    link: detailLink(d),
    ...rest,
  };
}

/** 0 is green, anything more is red: for counts of things that are down. */
const DOWN_THRESHOLDS = [
  { value: null, color: "green" },
  { value: 1, color: "red" },
];

/** One row per cluster target, up or down in words, down first: sortable and readable at hundreds. */
function statusTable(
  d: DashboardContext,
  p: { title: string; description: string; expr: string; width?: number; mappings?: PanelSpec["mappings"] },
): PanelSpec {
  return {
    kind: "table",
    title: p.title,
    description: p.description,
    targets: [{ expr: p.expr }],
    mappings: p.mappings ?? UP_MAPPING,
    sortBy: { column: "Value", desc: false },
    link: detailLink(d),
    ...(p.width && { width: p.width }),
  };
}

/** The top ten now, largest first, as a share. */
function topTable(d: DashboardContext, p: { title: string; description: string; expr: string }): PanelSpec {
  return {
    kind: "table",
    title: p.title,
    description: p.description,
    targets: [{ expr: p.expr }],
    unit: "percentunit",
    sortBy: { column: "Value", desc: true },
    thresholds: [
      { value: null, color: "green" },
      { value: 0.8, color: "orange" },
      { value: 0.9, color: "red" },
    ],
    link: detailLink(d),
  };
}

function detailLink(d: DashboardContext) {
  return {
    title: "Cluster detail",
    // The selected datasource and time range travel with the click.
    url: `/d/${UID.detail}?var-cluster=\${__field.labels.${d.cl}}&\${__url_time_range}&\${datasource:queryparam}`,
  };
}

const withoutAggregates = (d: DashboardContext) => upWithoutAggregates(d.up, d.cl);

export function dashboardSpecs(plan: FederationTree, settings: Settings): DashboardSpec[] {
  const d = dashboardContext(plan, settings);
  return [fleetOverview(d), federationHealth(d), clusterDetail(d)];
}

/**
 * Every cluster at a glance: federation, capacity, utilisation, the busiest clusters.
 * Long on purpose: one dashboard as data, row by row.
 */
function fleetOverview(context: DashboardContext): DashboardSpec {
  // Every query here reads only the clusters the filter variables select.
  const d = { ...context, up: context.filtered("up", `job=~"${CLUSTER_JOB}.*"`) };
  const { up } = d;
  return {
    uid: UID.overview,
    title: "Fleet overview",
    description:
      "Every cluster at a glance, from the aggregates each cluster records and fleetfed federates.",
    tags: TAGS,
    datasourceUid: DATASOURCE_UID,
    links: [
      { title: "Federation health", url: `/d/${UID.health}` },
      { title: "Cluster detail", url: `/d/${UID.detail}` },
    ],
    filterVariables: d.filters.map((name) => ({
      name,
      query: `label_values(${context.up}, ${name})`,
    })),
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
            thresholds: DOWN_THRESHOLDS,
          },
          {
            kind: "stat",
            title: "Nodes ready",
            description: "Ready nodes across the fleet.",
            targets: [{ expr: `sum(${d.filtered("cluster:kube_node_ready:sum")})` }],
          },
          {
            kind: "stat",
            title: "Pods running",
            description: "Running pods across the fleet.",
            targets: [{ expr: `sum(${d.filtered("cluster:kube_pod_running:sum")})` }],
          },
          {
            kind: "stat",
            title: "Clusters without aggregates",
            description:
              "Federated, but sending none of fleetfed's aggregates: their Prometheus does not load manifests/cluster-rules/ (a PrometheusRule its ruleSelector does not select). FleetfedClusterAggregatesMissing fires for each.",
            targets: [{ expr: `count(${withoutAggregates(d)}) or vector(0)` }],
            thresholds: DOWN_THRESHOLDS,
          },
          statusTable(d, {
            title: "Federation status per cluster",
            description:
              "Every cluster's /federate scrape now, down first, then those up without fleetfed's aggregates; a row links to the cluster's detail.",
            // 0 down, 1 up, 2 up without aggregates: one status per cluster target.
            expr: `(${up} == 0) or (${withoutAggregates(d)}) * 2 or ${up}`,
            mappings: STATUS_MAPPING,
            width: 24,
          }),
        ],
      },
      {
        title: "Capacity",
        panels: [
          total(d, {
            title: "Nodes ready",
            description: "Ready nodes across the selected clusters.",
            metric: "cluster:kube_node_ready:sum",
          }),
          total(d, {
            title: "Pods running",
            description: "Running pods across the selected clusters.",
            metric: "cluster:kube_pod_running:sum",
          }),
          distribution(d, {
            title: "Applications per node",
            description:
              "Deployments and statefulsets per ready node: median, 90th percentile and maximum across the clusters.",
            metric: "cluster:kube_applications_per_node:ratio",
            unit: "none",
            width: 8,
          }),
        ],
      },
      {
        title: "Utilisation",
        panels: [
          distribution(d, {
            title: "CPU utilisation",
            description:
              "Share of node CPU in use: median, 90th percentile and maximum across the clusters; the Top 10 below names them.",
            metric: "cluster:node_cpu_utilisation:ratio",
            unit: "percentunit",
            min: 0,
            max: 1,
          }),
          distribution(d, {
            title: "Memory utilisation",
            description:
              "Share of node memory in use: median, 90th percentile and maximum across the clusters.",
            metric: "cluster:node_memory_utilisation:ratio",
            unit: "percentunit",
            min: 0,
            max: 1,
          }),
          distribution(d, {
            title: "CPU requested",
            description:
              "CPU requests over allocatable CPU: median, 90th percentile and maximum across the clusters.",
            metric: "cluster:kube_pod_container_resource_requests_cpu:ratio",
            unit: "percentunit",
            min: 0,
          }),
          distribution(d, {
            title: "Memory requested",
            description:
              "Memory requests over allocatable memory: median, 90th percentile and maximum across the clusters.",
            metric: "cluster:kube_pod_container_resource_requests_memory:ratio",
            unit: "percentunit",
            min: 0,
          }),
        ],
      },
      {
        title: "Top clusters",
        panels: [
          // Instant: a topk over a range picks a different ten at every step and shows more than ten.
          topTable(d, {
            title: "Top 10 by CPU utilisation",
            description: "The ten busiest clusters by CPU, now.",
            expr: `topk(10, ${d.filtered("cluster:node_cpu_utilisation:ratio")})`,
          }),
          topTable(d, {
            title: "Top 10 by memory utilisation",
            description: "The ten busiest clusters by memory, now.",
            expr: `topk(10, ${d.filtered("cluster:node_memory_utilisation:ratio")})`,
          }),
          topTable(d, {
            title: "Top 10 by CPU requested",
            description: "The ten clusters closest to running out of CPU to schedule, now.",
            expr: `topk(10, ${d.filtered("cluster:kube_pod_container_resource_requests_cpu:ratio")})`,
          }),
        ],
      },
    ],
  };
}

/**
 * Is every cluster federated, and how close is each scrape to its limits?
 * Long on purpose: one dashboard as data, row by row.
 */
function federationHealth(d: DashboardContext): DashboardSpec {
  const { up, limit } = d;
  const healthPanels: PanelSpec[] = [
    statusTable(d, {
      title: "Cluster targets",
      description: "Every cluster's /federate scrape by its leaf, down first.",
      expr: up,
    }),
    {
      kind: "stat",
      title: "Clusters not reporting",
      description: "Clusters whose federation scrape fails now.",
      targets: [{ expr: `count(${up} == 0) or vector(0)` }],
      thresholds: DOWN_THRESHOLDS,
    },
    perCluster(d, {
      title: "Scrape duration / timeout",
      description:
        "How much of its own scrape timeout each cluster's /federate takes; at 1 the scrape fails.",
      expr: `scrape_duration_seconds{job=~"${CLUSTER_JOB}.*"} / scrape_timeout_seconds{job=~"${CLUSTER_JOB}.*"}`,
      unit: "percentunit",
      min: 0,
    }),
    limit > 0
      ? perCluster(d, {
          title: "Samples / sample_limit",
          description: `Federated samples per scrape against the target's sample_limit (fleet default ${limit}); at 1 the scrape fails.`,
          expr: `scrape_samples_post_metric_relabeling{job=~"${CLUSTER_JOB}.*"} / scrape_sample_limit{job=~"${CLUSTER_JOB}.*"}`,
          unit: "percentunit",
          min: 0,
        })
      : perCluster(d, {
          title: "Samples per scrape",
          description: "Federated samples per scrape.",
          expr: `scrape_samples_scraped{job=~"${CLUSTER_JOB}.*"}`,
          unit: "none",
        }),
  ];
  healthPanels.unshift({
    kind: "table",
    title: "Leaf federators",
    description: "Whether the global federator can scrape each leaf, down first.",
    targets: [{ expr: `up{job="${LEAF_JOB}"}` }],
    mappings: UP_MAPPING,
    sortBy: { column: "Value", desc: false },
  });
  const self = `job="${selfHealthJob(d.settings)}"`;
  // Per replica where the top reads each one (plain flavour), so a legend names the replica too.
  const legend = watchesReplicas(d.settings) ? "{{federator}} {{instance}}" : "{{federator}}";
  const federatorPanels: PanelSpec[] = [
    {
      kind: "timeseries",
      title: "Head series per federator",
      description:
        "Active series in each federator's TSDB; FleetfedFederatorHeadSeriesNearBudget fires at 80% of what it is sized for.",
      targets: [{ expr: `prometheus_tsdb_head_series{${self}}`, legend }],
      unit: "short",
      min: 0,
    },
    {
      kind: "timeseries",
      title: "Memory per federator",
      description:
        "Resident memory of each federator; FleetfedFederatorMemoryNearLimit fires at 80% of its limit.",
      targets: [{ expr: `process_resident_memory_bytes{${self}}`, legend }],
      unit: "bytes",
      min: 0,
    },
    {
      kind: "table",
      title: "Configuration loaded",
      description:
        "Whether each federator's last configuration reload succeeded (each replica's, in the plain flavour), failures first.",
      targets: [{ expr: `prometheus_config_last_reload_successful{${self}}` }],
      mappings: { "1": { text: "loaded", color: "green" }, "0": { text: "failed", color: "red" } },
      sortBy: { column: "Value", desc: false },
    },
    ...(watchesReplicas(d.settings)
      ? [
          {
            kind: "table" as const,
            title: "Federator replicas",
            description:
              "Every replica of every federator, each on its own (through its headless Service), down first: the tier above reads one replica at a time, so only here does the other show.",
            targets: [{ expr: `up{job="${REPLICAS_JOB}"}` }],
            mappings: UP_MAPPING,
            sortBy: { column: "Value", desc: false },
          },
          {
            kind: "table" as const,
            title: "Clusters each replica cannot reach",
            description:
              "Per replica of each leaf, how many of its clusters its own scrape fails for, most first: a replica above its sibling has a broken path of its own (FleetfedFederatorReplicaMissesCluster).",
            targets: [
              {
                expr: `sum by (federator, instance) (1 - ${REPLICA_READ.clusterUp}{job="${REPLICAS_JOB}"})`,
              },
            ],
            mappings: {},
            sortBy: { column: "Value", desc: true },
          },
        ]
      : []),
  ];
  return {
    uid: UID.health,
    title: "Federation health",
    description: "Is every cluster federated, and how close is each scrape to its limits?",
    tags: TAGS,
    datasourceUid: DATASOURCE_UID,
    links: [{ title: "Fleet overview", url: `/d/${UID.overview}` }],
    rows: [
      { title: "Targets", panels: healthPanels },
      { title: "Federators", panels: federatorPanels },
    ],
  };
}

/**
 * One cluster: federation, capacity, utilisation, and its namespaces.
 * Long on purpose: one dashboard as data, row by row.
 */
function clusterDetail(d: DashboardContext): DashboardSpec {
  const { cl, sel } = d;
  return {
    uid: UID.detail,
    title: "Cluster detail",
    description: "One cluster: federation, capacity, utilisation, and its namespaces.",
    tags: TAGS,
    datasourceUid: DATASOURCE_UID,
    clusterVariable: { label: cl, query: `label_values(up{job=~"${CLUSTER_JOB}.*"}, ${cl})` },
    links: [{ title: "Fleet overview", url: `/d/${UID.overview}` }],
    rows: [
      {
        title: "Cluster",
        panels: [
          {
            kind: "stat",
            title: "Federation",
            description: "Whether its /federate scrape succeeds now.",
            targets: [{ expr: `up{job=~"${CLUSTER_JOB}.*", ${cl}="$cluster"}` }],
            mappings: UP_MAPPING,
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
                expr: `scrape_duration_seconds{job=~"${CLUSTER_JOB}.*", ${cl}="$cluster"} / scrape_timeout_seconds{job=~"${CLUSTER_JOB}.*", ${cl}="$cluster"}`,
                legend: "{{federator}}",
              },
            ],
          },
        ],
      },
    ],
  };
}

export const REMOTE_WRITE_DATASOURCE_UID = "fleetfed-remote-write";

function remoteWriteDatasource(settings: Settings, rw: RemoteWriteSettings): object {
  const headers = Object.entries(tenantHeaders(rw));
  return {
    name: `Fleet (${rw.engine}, remote-write)`,
    uid: REMOTE_WRITE_DATASOURCE_UID,
    type: "prometheus",
    access: "proxy",
    url: queryUrl(rw),
    jsonData: {
      timeInterval: settings.clusterRules.interval,
      httpMethod: "POST",
      ...Object.fromEntries(headers.map(([name], i) => [`httpHeaderName${i + 1}`, name])),
    },
    ...(headers.length > 0 && {
      secureJsonData: Object.fromEntries(headers.map(([, value], i) => [`httpHeaderValue${i + 1}`, value])),
    }),
    editable: false,
  };
}

/** manifests/dashboards/: one JSON file and one ConfigMap each, and the datasource Secret. */
export function renderDashboards(plan: FederationTree, settings: Settings): Map<string, string> {
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
          labels: { grafana_dashboard: "1", ...PART_OF },
          annotations: { grafana_folder: FOLDER, "argocd.argoproj.io/sync-options": "ServerSideApply=true" },
        },
      })),
    }),
  );
  const url = `http://${federatorAddress(plan.top, settings)}`;
  const rw = settings.remoteWrite;
  const provisioning = toYaml(
    {
      apiVersion: 1,
      datasources: [
        {
          name: DATASOURCE_NAME,
          uid: DATASOURCE_UID,
          type: "prometheus",
          access: "proxy",
          url,
          jsonData: { timeInterval: settings.federation.scrapeInterval.text, httpMethod: "POST" },
          editable: false,
        },
        // Remote-write: the same series at the engine, so the same dashboards read either (pick it in
        // their datasource variable); the tenant goes as the engine's header.
        ...(rw ? [remoteWriteDatasource(settings, rw)] : []),
      ],
    },
    { header: false },
  );
  files.set(
    "dashboards/datasource.yaml",
    toYaml(
      Secret({
        metadata: {
          name: "fleetfed-datasource",
          labels: { grafana_datasource: "1", ...PART_OF },
        },
        stringData: { "fleetfed-datasource.yaml": provisioning },
      }),
    ),
  );
  return files;
}
