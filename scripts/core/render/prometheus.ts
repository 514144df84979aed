// FederationTree → each federator's configuration, as the plain prometheus.yml says it: the single source
// of that federator's config, checked by promtool and run unmodified by the end-to-end test.

import { type EndpointAuth, type PrometheusAuth, toPrometheusAuth } from "../inputs/endpoint-auth.ts";
import { FEDERATOR_LABEL, type Settings } from "../inputs/settings.ts";
import { compare } from "../order.ts";
import type { Cluster } from "../plan/inventory.ts";
import { type FederationTree, GLOBAL, type Leaf } from "../plan/placement.ts";
import { bodySizeLimit, clusterSampleLimit, largestClusterLimit } from "./limits.ts";

/** Job names: the leaf tier's start with this, so the global can federate the leaves' own target health. */
export const CLUSTER_JOB = "fleetfed-clusters";
export const LEAF_JOB = "fleetfed-leaves";
/** Every federator scrapes itself under this job, labelled with its name, so the top sees each one's health. */
export const SELF_JOB = "fleetfed-federators";
export const FEDERATOR_PORT = 9090;

export function federatorService(name: string): string {
  return `fleetfed-${name}`;
}

/** The headless Service a federator's StatefulSet names: its DNS name answers with every replica. */
export function federatorPodsService(name: string): string {
  return `${federatorService(name)}-pods`;
}

/** The global's job that watches every replica of every federator, each on its own. */
export const REPLICAS_JOB = "fleetfed-federator-replicas";

/**
 * Whether the global watches each replica on its own (REPLICAS_JOB): in the plain flavour, where each
 * federator has a headless Service of its own. The operator's pods share one headless Service per
 * namespace, whose DNS answer cannot tell federators apart; there the monitoring cluster's Prometheus
 * watches them (federation.serviceMonitor).
 */
export function watchesReplicas(settings: Settings): boolean {
  return settings.federation.flavor === "plain";
}

export function federatorAddress(name: string, settings: Settings): string {
  return `${federatorService(name)}.${settings.federation.namespace}.svc:${FEDERATOR_PORT}`;
}

export interface RelabelRule {
  source_labels?: string[];
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: "labeldrop";
}

export interface FederateJob {
  job_name: string;
  honor_labels: boolean;
  honor_timestamps: false;
  tls_config?: PrometheusAuth["tls_config"];
  basic_auth?: PrometheusAuth["basic_auth"];
  authorization?: PrometheusAuth["authorization"];
  metrics_path: "/federate";
  scheme: string;
  params: { "match[]": string[] };
  scrape_interval: string;
  scrape_timeout: string;
  sample_limit: number;
  body_size_limit: string;
  static_configs: { targets: string[]; labels: Record<string, string> }[];
  metric_relabel_configs?: RelabelRule[];
}

export interface SelfJob {
  job_name: string;
  static_configs: { targets: string[]; labels: Record<string, string> }[];
}

/**
 * Every replica of every federator, found through its headless Service (DNS answers with each ready
 * replica's address), labelled with the federator's name: cluster data reaches the top through one
 * Service connection, so without this a dead or stuck second replica would never be seen. It reads each
 * replica's /federate for the few series REPLICA_READ names, so the top can tell a replica that failed its
 * reload, or cannot reach a cluster its sibling reaches, from one that is healthy.
 */
export interface ReplicasJob {
  job_name: string;
  honor_labels: false;
  honor_timestamps: false;
  metrics_path: "/federate";
  params: { "match[]": string[] };
  scrape_interval: string;
  scrape_timeout: string;
  sample_limit: number;
  body_size_limit: string;
  dns_sd_configs: { names: string[]; type: "A"; port: number }[];
  relabel_configs: RelabelRule[];
  metric_relabel_configs: RelabelRule[];
}

export interface AlertingSection {
  alertmanagers: {
    scheme: string;
    path_prefix?: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type: "A"; port: number }[];
  }[];
}

/** A federator's whole configuration, as prometheus.yml says it; the operator objects are built from it too. */
export interface FederatorConfig {
  global: ReturnType<typeof globalSection>;
  alerting?: AlertingSection;
  rule_files?: string[];
  scrape_configs: (FederateJob | SelfJob | ReplicasJob)[];
}

/** The federator's own metrics (TSDB head, memory, reloads, rule failures), labelled with its name. */
function selfJob(name: string): SelfJob {
  return {
    job_name: SELF_JOB,
    static_configs: [{ targets: [`localhost:${FEDERATOR_PORT}`], labels: { [FEDERATOR_LABEL]: name } }],
  };
}

/**
 * alerting.alertmanagers as Prometheus's alerting section: one entry per scheme and path. A Kubernetes
 * Service name (`….svc`, as kube-prometheus-stack's headless alertmanager-operated) is resolved by DNS
 * service discovery, as the operator does it through endpoints: a headless Service answers with every
 * replica's address, so each alert reaches every Alertmanager, not the one a static target would pin.
 */
export function alertingSection(settings: Settings): AlertingSection | undefined {
  const groups = new Map<
    string,
    { scheme: string; path_prefix?: string; targets: string[]; names: Map<number, string[]> }
  >();
  for (const raw of settings.alerting.alertmanagers) {
    const url = new URL(raw);
    const scheme = url.protocol.replace(":", "");
    const path = url.pathname.replace(/\/$/, "");
    const key = `${scheme} ${path}`;
    const group = groups.get(key) ?? {
      scheme,
      ...(path && { path_prefix: path }),
      targets: [],
      names: new Map<number, string[]>(),
    };
    const port = alertmanagerPort(url);
    if (/\.svc(\.cluster\.local)?$/.test(url.hostname))
      group.names.set(port, [...(group.names.get(port) ?? []), url.hostname]);
    else group.targets.push(`${url.hostname}:${port}`);
    groups.set(key, group);
  }
  if (groups.size === 0) return undefined;
  return {
    alertmanagers: [...groups.values()].map(({ targets, names, ...g }) => ({
      ...g,
      ...(targets.length > 0 && { static_configs: [{ targets }] }),
      ...(names.size > 0 && {
        dns_sd_configs: [...names].map(([port, hosts]) => ({ names: hosts, type: "A" as const, port })),
      }),
    })),
  };
}

/** An Alertmanager URL's port: the one it names, or its scheme's. */
export function alertmanagerPort(url: URL): number {
  return Number(url.port || (url.protocol === "https:" ? 443 : 80));
}

function globalSection(settings: Settings, name: string) {
  const f = settings.federation;
  return {
    scrape_interval: f.scrapeInterval.text,
    scrape_timeout: f.scrapeTimeout.text,
    evaluation_interval: f.scrapeInterval.text,
    external_labels: { [FEDERATOR_LABEL]: name },
  };
}

function defaultScheme(settings: Settings): string {
  return settings.discovery.route53?.scheme ?? "http";
}

function fleetAuth(settings: Settings): EndpointAuth {
  const { tls, basicAuth, authorization } = settings.federation;
  return { ...(tls && { tls }), ...(basicAuth && { basicAuth }), ...(authorization && { authorization }) };
}

/**
 * A cluster scraped exactly as the defaults say shares the tier's main job; any override gets its own.
 * `fleetAuthJson` is JSON.stringify(fleetAuth(settings)), worked out once per leaf rather than per cluster.
 */
function usesDefaults(c: Cluster, settings: Settings, fleetAuthJson: string): boolean {
  const f = settings.federation;
  return (
    c.scheme === defaultScheme(settings) &&
    c.scrapeInterval.ms === f.scrapeInterval.ms &&
    c.scrapeTimeout.ms === f.scrapeTimeout.ms &&
    c.match.length === f.match.length &&
    c.match.every((m, i) => m === f.match[i]) &&
    c.sampleLimit === undefined &&
    JSON.stringify(c.auth) === fleetAuthJson
  );
}

function clusterTarget(c: Cluster, settings: Settings): FederateJob["static_configs"][number] {
  return {
    targets: [c.endpoint],
    labels: Object.fromEntries([[settings.clusterLabel, c.id], ...c.labels]),
  };
}

/**
 * Cluster identity (SPEC §5.2). A cluster's own Prometheus often carries external labels such as
 * `cluster`, `prometheus` and `prometheus_replica`, and /federate passes them on. With honor_labels: true
 * they would win over the fleet's id. So cluster jobs scrape with honor_labels: false, where the target's
 * labels (the fleet's id, the cluster file's labels) win and the source's conflicting values arrive as
 * exported_<name>; these rules then restore the source's own `job` and `instance` (what honor_labels was
 * for), and drop the source's losing values and its replica label, which would flip between the two
 * replicas of an HA pair behind one name. `up` and the scrape health series carry the target labels.
 */
function identityRules(targets: FederateJob["static_configs"]): RelabelRule[] {
  const fleetLabels = new Set(targets.flatMap((t) => Object.keys(t.labels)));
  const dropped = [...fleetLabels].sort(compare).map((l) => `exported_${l}`);
  return [
    { source_labels: ["exported_job"], regex: "(.+)", target_label: "job" },
    { source_labels: ["exported_instance"], regex: "(.+)", target_label: "instance" },
    {
      action: "labeldrop",
      regex: ["exported_job", "exported_instance", ...dropped, ...REPLICA_LABELS].join("|"),
    },
  ];
}

/** External labels that tell the replicas of one HA Prometheus apart: dropped, so both replicas' series merge. */
const REPLICA_LABELS = ["prometheus_replica"];

/** What one /federate job is made of: where it reads, what it takes, how often, within which limits. */
interface FederateJobProps {
  jobName: string;
  scheme: string;
  match: readonly string[];
  interval: string;
  timeout: string;
  sampleLimit: number;
  bodySizeLimit: string;
  targets: FederateJob["static_configs"];
  /** What it scrapes: clusters (a leaf's job) or leaves (the global's). */
  tier: "cluster" | "leaf";
  auth?: EndpointAuth;
}

function federateJob({
  jobName,
  scheme,
  match,
  interval,
  timeout,
  sampleLimit,
  bodySizeLimit: bodySize,
  targets,
  tier,
  auth = {},
}: FederateJobProps): FederateJob {
  return {
    job_name: jobName,
    // Leaves already enforce identity, so the global keeps every label a leaf sends.
    honor_labels: tier === "leaf",
    // Each sample is stamped when this tier scrapes it. The source sits behind a Service in front of two
    // replicas (fleetfed's leaves; often a cluster's HA Prometheus), and the connection moves between them:
    // with the source's own timestamps the replica read next may be one scrape behind the one read last,
    // and the samples it sends are dropped as out of order (prometheus_target_scrapes_sample_out_of_order_total).
    // Scrape-time stamps always move forward, and a series that leaves the source is marked stale at once
    // instead of lingering for the 5-minute lookback. What federation carries is recorded aggregates, so
    // moving a sample by at most one scrape interval changes no dashboard.
    honor_timestamps: false,
    // Prometheus's own names for the auth settings; file paths only, as the inputs give them.
    ...toPrometheusAuth(auth),
    metrics_path: "/federate",
    scheme,
    params: { "match[]": [...match] },
    scrape_interval: interval,
    scrape_timeout: timeout,
    // Every scrape has its limits: one source sending too much fails alone instead of taking the
    // federator, and every other source on it, out of memory (core/render/sizing.ts).
    sample_limit: sampleLimit,
    body_size_limit: bodySize,
    static_configs: targets,
    ...(tier === "cluster" && { metric_relabel_configs: identityRules(targets) }),
  };
}

export function leafConfig(leaf: Leaf, settings: Settings): FederatorConfig {
  const f = settings.federation;
  const fleetAuthJson = JSON.stringify(fleetAuth(settings));
  const shared: Cluster[] = [];
  const own: Cluster[] = [];
  for (const c of leaf.clusters) (usesDefaults(c, settings, fleetAuthJson) ? shared : own).push(c);
  const jobs = [
    ...(shared.length > 0
      ? [
          federateJob({
            jobName: CLUSTER_JOB,
            scheme: defaultScheme(settings),
            match: f.match,
            interval: f.scrapeInterval.text,
            timeout: f.scrapeTimeout.text,
            sampleLimit: clusterSampleLimit(settings),
            bodySizeLimit: bodySizeLimit(clusterSampleLimit(settings), settings),
            targets: shared.map((c) => clusterTarget(c, settings)),
            tier: "cluster",
            auth: fleetAuth(settings),
          }),
        ]
      : []),
    ...own.map((c) =>
      federateJob({
        jobName: `${CLUSTER_JOB}-${c.id}`,
        scheme: c.scheme,
        match: c.match,
        interval: c.scrapeInterval.text,
        timeout: c.scrapeTimeout.text,
        sampleLimit: clusterSampleLimit(settings, c),
        bodySizeLimit: bodySizeLimit(clusterSampleLimit(settings, c), settings),
        targets: [clusterTarget(c, settings)],
        tier: "cluster",
        auth: c.auth,
      }),
    ),
  ];
  return { global: globalSection(settings, leaf.name), scrape_configs: [...jobs, selfJob(leaf.name)] };
}

/**
 * The health series of each cluster target that the top reads (dashboards and alerts): a leaf records
 * eight per target (extra-scrape-metrics), the global takes these seven. test/sizing.test.ts proves every
 * query at the top on the cluster jobs reads only these.
 */
export const CLUSTER_HEALTH_READ = [
  "up",
  "scrape_duration_seconds",
  "scrape_timeout_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_sample_limit",
  "scrape_body_size_bytes",
] as const;

/** A federator's own metrics the top reads (of ~400 it exposes); the same test holds the queries to it. */
export const SELF_READ = [
  "prometheus_tsdb_head_series",
  "process_resident_memory_bytes",
  "prometheus_config_last_reload_successful",
  "prometheus_rule_evaluation_failures_total",
] as const;

/** The selector of the federator series the top reads, in a federator's own (self-scrape) job. */
const SELF_READ_SELECTOR = `{job="${SELF_JOB}",__name__=~"${SELF_READ.join("|")}"}`;

/**
 * Where the top reads each federator's own health. In the plain flavour, from every replica on its own
 * (the replicas job): through the Service it would read one replica at a time, and when the read moved,
 * one process's series would follow the other's under the same labels (a counter would seem to reset, a
 * failed reload would hide). The operator flavour has no replicas job; there the leaves' own series come
 * through the Service, and the monitoring cluster's Prometheus watches each replica (serviceMonitor).
 */
export function selfHealthJob(settings: Settings): string {
  return watchesReplicas(settings) ? REPLICAS_JOB : SELF_JOB;
}

/** What one leaf may send the global per scrape: every cluster at its limit, with the health the global reads. */
export function leafSampleLimit(plan: FederationTree, settings: Settings): number {
  const perCluster = largestClusterLimit(plan, settings) + CLUSTER_HEALTH_READ.length;
  return plan.shardSize * perCluster + (watchesReplicas(settings) ? 0 : SELF_READ.length);
}

/** Every selector any cluster is federated with, plus the leaves' health series the top reads. */
export function globalMatch(plan: FederationTree, settings: Settings): string[] {
  const all = new Set<string>();
  for (const leaf of plan.leaves) for (const c of leaf.clusters) for (const m of c.match) all.add(m);
  all.add(`{job=~"${CLUSTER_JOB}.*",__name__=~"${CLUSTER_HEALTH_READ.join("|")}"}`);
  if (!watchesReplicas(settings)) all.add(SELF_READ_SELECTOR);
  return [...all].sort(compare);
}

export function globalConfig(plan: FederationTree, settings: Settings): FederatorConfig {
  const f = settings.federation;
  // Limits for a full leaf with every cluster at its own limit, so that adding a cluster to a leaf never
  // changes the global's file, and one leaf sending more than that fails alone.
  const sampleLimit = leafSampleLimit(plan, settings);
  const job = federateJob({
    jobName: LEAF_JOB,
    scheme: "http",
    match: globalMatch(plan, settings),
    interval: f.scrapeInterval.text,
    timeout: f.scrapeTimeout.text,
    sampleLimit,
    bodySizeLimit: bodySizeLimit(sampleLimit, settings),
    targets: plan.leaves.map((leaf) => ({
      targets: [federatorAddress(leaf.name, settings)],
      labels: { [FEDERATOR_LABEL]: leaf.name },
    })),
    tier: "leaf",
  });
  const alerting = alertingSection(settings);
  const replicas = watchesReplicas(settings) ? [replicasJob(plan, settings)] : [];
  return {
    global: globalSection(settings, GLOBAL),
    ...(alerting && { alerting }),
    scrape_configs: [job, selfJob(GLOBAL), ...replicas],
  };
}

/**
 * What the replicas job reads of each replica (through its /federate): its own health (SELF_READ: head
 * series, memory, reload, rule failures), and the health of each cluster target it scrapes, renamed so it
 * never mixes with `up`.
 */
export const REPLICA_READ = {
  self: SELF_READ,
  clusterUp: "fleetfed_replica_cluster_up",
} as const;

function replicasJob(plan: FederationTree, settings: Settings): ReplicasJob {
  const f = settings.federation;
  const replicasLimit = 2 * (SELF_READ.length + plan.shardSize);
  const ns = f.namespace;
  return {
    job_name: REPLICAS_JOB,
    // The replica's own labels (job, instance, federator) arrive as exported_*, and are dropped below:
    // each series is the replica's, named by this job's instance (the replica's address) and federator.
    honor_labels: false,
    honor_timestamps: false,
    metrics_path: "/federate",
    params: { "match[]": [SELF_READ_SELECTOR, `up{job=~"${CLUSTER_JOB}.*"}`] },
    scrape_interval: f.scrapeInterval.text,
    scrape_timeout: f.scrapeTimeout.text,
    // A replica sends its own few series and one `up` per cluster it scrapes: twice that, and no more.
    sample_limit: replicasLimit,
    body_size_limit: bodySizeLimit(replicasLimit, settings),
    dns_sd_configs: [
      {
        names: [...plan.leaves.map((l) => l.name), GLOBAL].map((n) => `${federatorPodsService(n)}.${ns}.svc`),
        type: "A",
        port: FEDERATOR_PORT,
      },
    ],
    relabel_configs: [
      // fleetfed-leaf-000-pods.<namespace>.svc → federator="leaf-000"; instance stays the replica's address.
      // The pattern is the headless Service's own name, with the federator's name left open.
      {
        source_labels: ["__meta_dns_name"],
        regex: `${federatorPodsService("(.+)")}\\..*`,
        target_label: FEDERATOR_LABEL,
      },
    ],
    metric_relabel_configs: [
      {
        source_labels: ["__name__"],
        regex: "up",
        target_label: "__name__",
        replacement: REPLICA_READ.clusterUp,
      },
      { action: "labeldrop", regex: "exported_.*" },
    ],
  };
}
