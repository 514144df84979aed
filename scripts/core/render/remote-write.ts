// Remote-write delivery: each cluster's Prometheus writes fleetfed's aggregates, and nothing else, into a
// distributed engine (Mimir, Thanos Receive, VictoriaMetrics, or a receiver-enabled Prometheus).
//   - Cluster side, per cluster: one write entry, as the plain `remote_write` block Prometheus reads
//     (remoteWriteConfig) and as the operator's RemoteWriteSpec (operatorRemoteWrite), which the cluster's
//     onboarding files carry (core/render/onboarding.ts). test/remote-write.test.ts holds the two equal
//     field by field.
//   - Center, per fleet, under manifests/remote-write/: the engine's alerts in the form its ruler loads,
//     among them the one nobody else can write (a cluster in the inventory that sends nothing), what the
//     engine must be told on its side, and a Grafana datasource beside the federation's.
// Only what the engine needs is rendered; the engine itself is the team's.

import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IRemoteWriteSpec } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RemoteWriteSpec";
import { type Duration, durationFromMs, parseDuration } from "../duration.ts";
import type { RemoteWriteEngine, RemoteWriteSettings, Settings } from "../inputs/settings.ts";
import type { Cluster } from "../plan/inventory.ts";
import { toYaml } from "../yaml.ts";
import { runbookBase } from "./alert-rules.ts";
import { kindOf, PART_OF } from "./kubernetes.ts";
import { RECORDS } from "./records.ts";

const PrometheusRule = kindOf<IPrometheusRule>("monitoring.coreos.com/v1", "PrometheusRule");

export const REMOTE_WRITE_DIR = "remote-write";
export const NOT_SENDING_ALERT = "FleetfedClusterNotSending";
const GROUP = "fleetfed-remote-write";

/** Where the operator mounts a Secret named in `spec.secrets`, and so where the plain block reads its files. */
const SECRETS_MOUNT = "/etc/prometheus/secrets";

/**
 * The queue: a batch leaves at most every 5 s (the floor of the age at the top: a sample waits for its
 * batch), each at most 500 samples, so one cluster's ~100 aggregates per rule evaluation go in one
 * request; two shards at most, since the volume is small and a backlog after an outage drains at 1,000
 * samples a request-round.
 */
const QUEUE = {
  capacity: 2500,
  minShards: 1,
  maxShards: 2,
  maxSamplesPerSend: 500,
  batchSendDeadline: "5s",
  minBackoff: "30ms",
  maxBackoff: "5s",
} as const;
const REMOTE_TIMEOUT = "30s";

/** What each engine takes: its write and query paths, its tenant header, and what happens to replicas. */
interface Engine {
  write: (tenant?: string) => string;
  query: (tenant?: string) => string;
  tenantHeader?: string;
  /** mimir: the replica label becomes __replica__ (its HA tracker); keep: Thanos deduplicates at query time; drop: the copies collapse. */
  replicas: "mimir" | "keep" | "drop";
}

export const ENGINES: Readonly<Record<RemoteWriteEngine, Engine>> = {
  mimir: {
    write: () => "/api/v1/push",
    query: () => "/prometheus",
    tenantHeader: "X-Scope-OrgID",
    replicas: "mimir",
  },
  "thanos-receive": {
    write: () => "/api/v1/receive",
    query: () => "",
    tenantHeader: "THANOS-TENANT",
    replicas: "keep",
  },
  victoriametrics: {
    write: (t) => (t === undefined ? "/api/v1/write" : `/insert/${t}/prometheus/api/v1/write`),
    query: (t) => (t === undefined ? "" : `/select/${t}/prometheus`),
    replicas: "drop",
  },
  prometheus: { write: () => "/api/v1/write", query: () => "", replicas: "drop" },
};

/** The regex of every series fleetfed records: the same list the default match[] federates (records.ts). */
export const AGGREGATES = Object.values(RECORDS).join("|");

export function writeUrl(rw: RemoteWriteSettings): string {
  return `${rw.url}${ENGINES[rw.engine].write(rw.tenant)}`;
}

export function queryUrl(rw: RemoteWriteSettings): string {
  return `${rw.queryUrl}${ENGINES[rw.engine].query(rw.tenant)}`;
}

/** The header that names the tenant, when the engine takes one there. */
export function tenantHeaders(rw: RemoteWriteSettings): Record<string, string> {
  const header = ENGINES[rw.engine].tenantHeader;
  return header !== undefined && rw.tenant !== undefined ? { [header]: rw.tenant } : {};
}

interface Relabel {
  source_labels?: string[];
  regex?: string;
  target_label?: string;
  replacement?: string;
  action: "keep" | "replace" | "labeldrop";
}

/**
 * The write relabelling, in order: only fleetfed's aggregates; the fleet's id as the cluster label,
 * explicitly (Prometheus applies external labels before write relabelling, so this also wins over an
 * external label of the same name: test/e2e/remote-write.test.ts shows it); then the engine's handling
 * of the replica label.
 */
export function writeRelabelling(settings: Settings, rw: RemoteWriteSettings, id: string): Relabel[] {
  const replicas = ENGINES[rw.engine].replicas;
  return [
    { source_labels: ["__name__"], regex: AGGREGATES, action: "keep" },
    { target_label: settings.clusterLabel, replacement: id, action: "replace" },
    ...(replicas === "mimir"
      ? [
          {
            source_labels: [rw.replicaLabel],
            regex: "(.+)",
            target_label: "__replica__",
            replacement: "$1",
            action: "replace" as const,
          },
        ]
      : []),
    ...(replicas === "keep" ? [] : [{ regex: rw.replicaLabel, action: "labeldrop" as const }]),
  ];
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** One cluster's write entry as Prometheus's own `remote_write` block reads it (credentials as mounted files). */
export function remoteWriteConfig(settings: Settings, rw: RemoteWriteSettings, id: string): object {
  const headers = tenantHeaders(rw);
  const file = (key: string) => `${SECRETS_MOUNT}/${rw.auth?.secret}/${key}`;
  return {
    url: writeUrl(rw),
    remote_timeout: REMOTE_TIMEOUT,
    ...(Object.keys(headers).length > 0 && { headers }),
    write_relabel_configs: writeRelabelling(settings, rw, id),
    queue_config: Object.fromEntries(Object.entries(QUEUE).map(([k, v]) => [snake(k), v])),
    metadata_config: { send: false },
    ...(rw.auth?.usernameKey !== undefined &&
      rw.auth.passwordKey !== undefined && {
        basic_auth: { username_file: file(rw.auth.usernameKey), password_file: file(rw.auth.passwordKey) },
      }),
    ...(rw.auth?.bearerTokenKey !== undefined && {
      authorization: { type: "Bearer", credentials_file: file(rw.auth.bearerTokenKey) },
    }),
  };
}

/** The same entry as prometheus-operator's RemoteWriteSpec (kube-prometheus-stack's additionalRemoteWrite). */
export function operatorRemoteWrite(
  settings: Settings,
  rw: RemoteWriteSettings,
  id: string,
): IRemoteWriteSpec {
  const headers = tenantHeaders(rw);
  const ref = (key: string) => ({ name: rw.auth?.secret as string, key });
  return {
    url: writeUrl(rw),
    remoteTimeout: REMOTE_TIMEOUT,
    ...(Object.keys(headers).length > 0 && { headers }),
    writeRelabelConfigs: writeRelabelling(settings, rw, id).map((r) => ({
      ...(r.source_labels && { sourceLabels: r.source_labels }),
      ...(r.regex !== undefined && { regex: r.regex }),
      ...(r.target_label !== undefined && { targetLabel: r.target_label }),
      ...(r.replacement !== undefined && { replacement: r.replacement }),
      action: r.action,
    })),
    queueConfig: { ...QUEUE },
    metadataConfig: { send: false },
    ...(rw.auth?.usernameKey !== undefined &&
      rw.auth.passwordKey !== undefined && {
        basicAuth: { username: ref(rw.auth.usernameKey), password: ref(rw.auth.passwordKey) },
      }),
    ...(rw.auth?.bearerTokenKey !== undefined && {
      authorization: { type: "Bearer", credentials: ref(rw.auth.bearerTokenKey) },
    }),
  };
}

/** The file a plain Prometheus (or a test) loads: one cluster's `remote_write` block. */
export function remoteWriteFile(settings: Settings, rw: RemoteWriteSettings, id: string): string {
  return toYaml(
    { remote_write: [remoteWriteConfig(settings, rw, id)] },
    {
      comments: [
        `Cluster ${id} writes fleetfed's aggregates to ${rw.engine}: the remote_write block of a Prometheus run without the operator`,
        `(the operator reads the same entry from ${"kube-prometheus-stack.yaml"} or prometheus-operator.yaml; credentials mount at ${SECRETS_MOUNT}/<secret>/).`,
      ],
    },
  );
}

/**
 * How far back the alert looks for a cluster's aggregates: four rule intervals, at least a minute, so a
 * batch still in a cluster's queue (5 s) or a slow engine does not count as silence. The window is in the
 * expression itself (present_over_time), not left to the engine's lookback: vmalert asks
 * VictoriaMetrics with its evaluation interval as the step, which would look back only that long.
 */
export function sendingWindow(settings: Settings): Duration {
  const interval = parseDuration(settings.clusterRules.interval) as Duration;
  return durationFromMs(Math.max(60_000, 4 * interval.ms));
}

/**
 * The alert nobody but the fleet can write: a cluster the inventory lists that sends none of fleetfed's
 * aggregates. The clusters are one line each (the first operand is always empty), so adding a cluster
 * adds one line here and nothing else changes. Each aggregate is looked for on its own (present_over_time
 * drops the name, and two names' series of one cluster would otherwise collide).
 */
export function notSendingRule(settings: Settings, rw: RemoteWriteSettings, clusters: readonly Cluster[]) {
  const cl = settings.clusterLabel;
  const window = sendingWindow(settings).text;
  const expected = [
    "(",
    "  (vector(1) < 0)",
    ...clusters.map((c) => `  or label_replace(vector(1), "${cl}", "${c.id}", "", "")`),
    ")",
    `unless on (${cl}) group by (${cl}) (`,
    ...Object.values(RECORDS).map(
      (name, i) => `  ${i === 0 ? "" : "or "}present_over_time(${name}[${window}])`,
    ),
    ")",
  ].join("\n");
  return {
    alert: NOT_SENDING_ALERT,
    expr: expected,
    for: rw.notSendingFor,
    labels: { severity: "warning" },
    annotations: {
      summary: `Cluster {{ $labels.${cl} }} sends none of fleetfed's aggregates to ${rw.engine}`,
      description: `The fleet's inventory lists {{ $labels.${cl} }}, but ${rw.engine} has had none of its aggregates for ${window} (and ${rw.notSendingFor} more): its Prometheus is down, does not load fleetfed's rules, or does not write (its remote_write queue, credentials or the network).`,
      runbook_url: `${runbookBase(settings)}#${NOT_SENDING_ALERT.toLowerCase()}`,
    },
  };
}

/** What the engine must be told on its side, as settings a team copies into the engine's own configuration. */
export function engineRequirements(settings: Settings, rw: RemoteWriteSettings): object {
  const interval = settings.clusterRules.interval;
  switch (rw.engine) {
    case "mimir":
      return {
        limits: {
          accept_ha_samples: true,
          ha_cluster_label: settings.clusterLabel,
          ha_replica_label: "__replica__",
        },
        distributor: { ha_tracker: { enable_ha_tracker: true } },
      };
    case "thanos-receive":
      return {
        receive: [`--receive.tenant-header=${ENGINES["thanos-receive"].tenantHeader}`],
        query: [`--query.replica-label=${rw.replicaLabel}`],
      };
    case "victoriametrics":
      // The replicas' copies carry the same labels: keep one sample per rule interval.
      return { flags: [`-dedup.minScrapeInterval=${interval}`, "-search.latencyOffset=0s"] };
    case "prometheus":
      return { flags: ["--web.enable-remote-write-receiver"] };
  }
}

/**
 * manifests/remote-write/: the engine's alerts, its side of the contract, and where Grafana reads.
 * Long on purpose: one file per engine form, side by side, so what each engine loads reads at once.
 */
export function renderRemoteWriteCenter(
  settings: Settings,
  clusters: readonly Cluster[],
): Map<string, string> {
  const rw = settings.remoteWrite;
  const files = new Map<string, string>();
  if (!rw) return files;
  const groups = [
    {
      name: GROUP,
      interval: settings.clusterRules.interval,
      rules: [notSendingRule(settings, rw, clusters)],
    },
  ];
  const path = (f: string) => `${REMOTE_WRITE_DIR}/${f}`;
  if (rw.engine === "mimir")
    files.set(
      path("mimir-rules.yaml"),
      toYaml(
        { namespace: "fleetfed", groups },
        { comments: [`Load with: mimirtool rules sync --id ${rw.tenant} ${path("mimir-rules.yaml")}`] },
      ),
    );
  else if (rw.engine === "thanos-receive")
    files.set(
      path("prometheusrule.yaml"),
      toYaml(
        PrometheusRule({
          metadata: { name: "fleetfed-remote-write", labels: { ...PART_OF } },
          spec: { groups },
        }),
        {
          comments: [
            "For Thanos Ruler: select it with the ThanosRuler's ruleSelector (label it there if needed).",
          ],
        },
      ),
    );
  else
    files.set(
      path("alerts.yml"),
      toYaml(
        { groups },
        {
          literalBlocks: true,
          comments: [
            rw.engine === "victoriametrics"
              ? "For vmalert: -rule=alerts.yml -datasource.url=<the engine's query URL>"
              : "For the receiving Prometheus: list it under rule_files",
          ],
        },
      ),
    );
  files.set(
    path("engine.yaml"),
    toYaml(
      {
        engine: rw.engine,
        write: writeUrl(rw),
        query: queryUrl(rw),
        ...(Object.keys(tenantHeaders(rw)).length > 0 && { headers: tenantHeaders(rw) }),
        requires: engineRequirements(settings, rw),
      },
      {
        comments: [
          "What the engine must be told on its side; fleetfed renders the clusters' and Grafana's side.",
        ],
      },
    ),
  );
  return files;
}
