// The Kubernetes objects that run each federator: a Service and a StatefulSet whose config volume is the
// ConfigMap kustomize generates from the federator's prometheus.yml (so the config exists once, and a
// change to it rolls the pod through the generated name's hash). Every object is typed by kubernetes-models'
// interfaces here and validated against the API schema by `fleetfed check`.

import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IService } from "kubernetes-models/v1/Service";
import { SECRETS_DIR } from "../inputs/endpoint-auth.ts";
import type { Settings } from "../inputs/settings.ts";
import { FEDERATOR_OBJECTS_FILE } from "../layout.ts";
import type { FederationTree } from "../plan/placement.ts";
import { toYaml } from "../yaml.ts";
import { alertmanagerPort, FEDERATOR_PORT, federatorPodsService, federatorService } from "./prometheus.ts";
import { federatorSize, retentionSize, storageOf } from "./sizing.ts";

const StatefulSet = kindOf<IStatefulSet>("apps/v1", "StatefulSet");
const PodDisruptionBudget = kindOf<IPodDisruptionBudget>("policy/v1", "PodDisruptionBudget");
const Namespace = kindOf<INamespace>("v1", "Namespace");
const Service = kindOf<IService>("v1", "Service");
const NetworkPolicy = kindOf<INetworkPolicy>("networking.k8s.io/v1", "NetworkPolicy");
const ServiceMonitor = kindOf<IServiceMonitor>("monitoring.coreos.com/v1", "ServiceMonitor");

const KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1";
export const SYNC_WAVE = "argocd.argoproj.io/sync-wave";

/** Argo CD applies lower waves first: namespace, then config, then the federators that read it. */
export const WAVES = { namespace: "-1", config: "0", federator: "1" } as const;

/**
 * A builder for one kind of Kubernetes object, typed by kubernetes-models' interface for it: the object
 * is plain data with apiVersion and kind first, undefined fields dropped, as the model builds it.
 * Only the types are imported here; loading the models' validators costs ~150 ms, so rendering leaves
 * validation to `fleetfed check` (core/check/objects.ts), which runs every object through its model.
 */
export function kindOf<T extends { apiVersion: string; kind: string }>(
  apiVersion: T["apiVersion"],
  kind: T["kind"],
): (data: Omit<T, "apiVersion" | "kind">) => object {
  return (data) => {
    const object = withoutUndefined({ apiVersion, kind, ...data }) as object;
    collecting?.push(object);
    return object;
  };
}

let collecting: object[] | undefined;

/**
 * Runs `render` and returns, beside its result, every Kubernetes object it built, for `fleetfed check`
 * to validate as they are, without parsing the rendered YAML back (at 10,000 clusters: 0.5 s).
 */
export function collectingObjects<T>(render: () => T): { result: T; objects: object[] } {
  const outer = collecting;
  const objects: object[] = [];
  collecting = objects;
  try {
    return { result: render(), objects };
  } finally {
    collecting = outer;
  }
}

function withoutUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (v === null || typeof v !== "object") return v;
  // A loop, not entries/filter/fromEntries: a 10,000-cluster render builds ~800 objects of ~100 fields.
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    // A key named __proto__ (a nodeSelector may have one) stays a key, as Object.fromEntries keeps it.
    if (k === "__proto__") Object.defineProperty(out, k, { value: withoutUndefined(x), enumerable: true });
    else out[k] = withoutUndefined(x);
  }
  return out;
}

/** The label every object fleetfed renders carries, so `kubectl get -l` finds all of them. */
export const PART_OF = { "app.kubernetes.io/part-of": "fleetfed" } as const;
/** What fleetfed renders, it manages: the one statement of it. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "fleetfed" } as const;

/** Labels of a federator's objects in either flavour; the plain flavour adds the pod-selecting ones. */
export function tierLabels(tier: "leaf" | "global") {
  return {
    "app.kubernetes.io/component": `${tier}-federator`,
    ...MANAGED_BY,
    ...PART_OF,
  };
}

function labels(name: string, tier: "leaf" | "global") {
  const all: Record<string, string> = { ...tierLabels(tier), ...federatorSelector(name) };
  return Object.fromEntries(
    Object.keys(all)
      .sort()
      .map((k) => [k, all[k] as string]),
  );
}

/** Federators run as nobody, in both flavours, admissible under Pod Security "restricted". */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  fsGroup: 65534,
  seccompProfile: { type: "RuntimeDefault" as const },
};

/** Every container: no privilege escalation, no capabilities, a read-only root file system. */
export const CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

/** The claim for a federator's TSDB volume, in both flavours. */
export function dataClaimSpec(
  settings: Settings,
  tier: "leaf" | "global",
): {
  accessModes: "ReadWriteOnce"[];
  resources: { requests: { storage: string } };
  storageClassName?: string;
} {
  return {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: storageOf(tier, settings).storage } },
    ...(settings.federation.storageClassName && { storageClassName: settings.federation.storageClassName }),
  };
}

export function federatorSelector(name: string) {
  return { "app.kubernetes.io/instance": federatorService(name), "app.kubernetes.io/name": "prometheus" };
}

/** Neither the StatefulSet's deletion nor its scaling down deletes a federator's TSDB volume. */
export const VOLUME_RETENTION = { whenDeleted: "Retain", whenScaled: "Retain" } as const;

/**
 * On every data volume (the StatefulSet copies them onto each PVC): should a GitOps tool ever track the
 * PVC (Argo CD tracking by annotation, a Flux inventory), it still never prunes or deletes it.
 */
export const KEEP_VOLUME = {
  "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
  "kustomize.toolkit.fluxcd.io/prune": "disabled",
} as const;

/** WAL replay after a crash can take minutes on a big head: up to 15 minutes before liveness counts. */
export const STARTUP_PROBE = { periodSeconds: 15, failureThreshold: 60 } as const;
/** As the operator gives Prometheus: time to close the TSDB cleanly, so the next start replays little. */
export const GRACE_PERIOD_SECONDS = 600;
/**
 * The longest a federator's rollout may take: the old pod's graceful stop, then the new pod's startup
 * window. A GitOps tool waiting for health must wait at least this long (Flux's Kustomization timeout).
 */
export const ROLLOUT_WINDOW_SECONDS =
  GRACE_PERIOD_SECONDS + STARTUP_PROBE.periodSeconds * STARTUP_PROBE.failureThreshold;

/** Where the config-reloader serves its own metrics (the operator's reloader uses the same port). */
const RELOADER_PORT = 8080;

/** Marks the headless Service, so a ServiceMonitor can leave it out: it reaches the same pods. */
const HEADLESS_LABEL = "fleetfed.io/headless";

/**
 * The federator's Service: load-balanced for the tier above and Grafana, or (`headless`) the one its
 * StatefulSet needs for its pods' stable names, never load-balanced.
 */
export function federatorServiceObject(name: string, tier: "leaf" | "global", headless = false): object {
  return Service({
    metadata: {
      name: headless ? federatorPodsService(name) : federatorService(name),
      labels: { ...labels(name, tier), ...(headless && { [HEADLESS_LABEL]: "true" }) },
      annotations: { [SYNC_WAVE]: WAVES.federator },
    },
    spec: {
      ...(headless && { clusterIP: "None" }),
      selector: federatorSelector(name),
      ports: [{ name: "http", port: FEDERATOR_PORT, targetPort: "http" }],
    },
  });
}

/** At most one replica of a federator down at a time for a drain or an upgrade. */
export function disruptionBudgetObject(
  name: string,
  tier: "leaf" | "global",
  selector: Record<string, string>,
): object {
  return PodDisruptionBudget({
    metadata: {
      name: federatorService(name),
      labels: labels(name, tier),
      annotations: { [SYNC_WAVE]: WAVES.federator },
    },
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  });
}

/** Replicas on different nodes where the cluster can: losing a node loses one replica, not the federator. */
export function spreadAcrossNodes(selector: Record<string, string>) {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchLabels: selector },
          },
        },
      ],
    },
  };
}

/** Long on purpose: the StatefulSet as one object literal, each field beside the reason for it. */
export function renderFederatorObjects(
  name: string,
  tier: "leaf" | "global",
  plan: FederationTree,
  settings: Settings,
): string {
  const f = settings.federation;
  const service = federatorService(name);
  const all = labels(name, tier);
  const size = federatorSize(tier, plan, settings);
  const probe = (path: string, delay: number) => ({
    httpGet: { path, port: "http" },
    initialDelaySeconds: delay,
    periodSeconds: 10,
    timeoutSeconds: 5,
  });
  const sts = StatefulSet({
    metadata: { name: service, labels: all, annotations: { [SYNC_WAVE]: WAVES.federator } },
    spec: {
      serviceName: federatorPodsService(name),
      replicas: f.replicas,
      // Replicas are independent Prometheus servers: start and stop them together, not one by one.
      podManagementPolicy: "Parallel",
      selector: { matchLabels: federatorSelector(name) },
      // History survives: deleting the StatefulSet (a pruned leaf, a deleted Argo CD app or Flux
      // Kustomization) or scaling it down keeps the volumes; deleting them is a person's act (README).
      persistentVolumeClaimRetentionPolicy: VOLUME_RETENTION,
      template: {
        metadata: { labels: all },
        spec: {
          securityContext: POD_SECURITY_CONTEXT,
          // A federator reads no Kubernetes API: no token in the pod for anyone to use.
          automountServiceAccountToken: false,
          // The reloader signals Prometheus (SIGHUP) instead of calling its lifecycle API, which stays off.
          shareProcessNamespace: true,
          terminationGracePeriodSeconds: GRACE_PERIOD_SECONDS,
          affinity: spreadAcrossNodes(federatorSelector(name)),
          // Replicas in different zones where the cluster has them: a zone outage leaves one serving.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "topology.kubernetes.io/zone",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: federatorSelector(name) },
            },
          ],
          ...(Object.keys(f.nodeSelector).length > 0 && { nodeSelector: { ...f.nodeSelector } }),
          ...(f.tolerations.length > 0 && { tolerations: f.tolerations.map((t) => ({ ...t })) }),
          ...(f.priorityClassName && { priorityClassName: f.priorityClassName }),
          containers: [
            {
              name: "prometheus",
              image: f.image,
              args: [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                `--storage.tsdb.retention.time=${storageOf(tier, settings).retention}`,
                `--storage.tsdb.retention.size=${retentionSize(settings, tier)}`,
                // scrape_timeout_seconds and scrape_sample_limit per target: alerts and dashboards compare
                // each scrape with its own limits, whatever a cluster file overrides.
                "--enable-feature=extra-scrape-metrics",
                // Firing alerts are re-sent every alerting.resendDelay (30 s; Prometheus's default is 1 m):
                // an alert sent before the Alertmanager was discovered, or lost to a restart, arrives.
                `--rules.alert.resend-delay=${settings.alerting.resendDelay}`,
                // No --web.enable-lifecycle: /-/reload and /-/quit answer 403 to anyone who reaches 9090.
              ],
              ports: [{ name: "http", containerPort: FEDERATOR_PORT }],
              startupProbe: {
                httpGet: { path: "/-/ready", port: "http" },
                periodSeconds: STARTUP_PROBE.periodSeconds,
                failureThreshold: STARTUP_PROBE.failureThreshold,
              },
              readinessProbe: probe("/-/ready", 0),
              livenessProbe: probe("/-/healthy", 0),
              resources: {
                requests: { cpu: size.cpuRequest, memory: size.memoryRequest },
                limits: { memory: size.memoryLimit },
              },
              securityContext: CONTAINER_SECURITY_CONTEXT,
              volumeMounts: [
                { name: "config", mountPath: "/etc/prometheus", readOnly: true },
                { name: "data", mountPath: "/prometheus" },
                ...f.secrets.map((secret) => ({
                  name: `secret-${secret}`,
                  mountPath: `${SECRETS_DIR}/${secret}`,
                  readOnly: true,
                })),
              ],
            },
            {
              // Config by reload, never by restart: the ConfigMap's name is stable, so a cluster added
              // or removed changes its content only; the kubelet updates the mounted files and this
              // sidecar sends Prometheus SIGHUP (the pod shares one process namespace), then reads the
              // outcome from the runtime info API: the operator's own reloader, as its
              // reloadStrategy: ProcessSignal runs it. No lifecycle endpoint is ever enabled.
              name: "config-reloader",
              image: f.reloaderImage,
              args: [
                "--watched-dir=/etc/prometheus",
                "--reload-method=signal",
                "--process-executable-name=prometheus",
                `--runtimeinfo-url=http://127.0.0.1:${FEDERATOR_PORT}/api/v1/status/runtimeinfo`,
                `--listen-address=:${RELOADER_PORT}`,
              ],
              ports: [{ name: "reloader", containerPort: RELOADER_PORT }],
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
              securityContext: CONTAINER_SECURITY_CONTEXT,
              volumeMounts: [{ name: "config", mountPath: "/etc/prometheus", readOnly: true }],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: service } },
            ...f.secrets.map((secret) => ({ name: `secret-${secret}`, secret: { secretName: secret } })),
          ],
        },
      },
      volumeClaimTemplates: [
        {
          // apiVersion and kind as the API server returns them: without them, server-side apply in
          // Argo CD sees a difference forever (argo-cd#11143) and selfHeal syncs in a loop.
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "data", annotations: KEEP_VOLUME },
          spec: dataClaimSpec(settings, tier),
        },
      ],
    },
  });
  return multiDocument([
    federatorServiceObject(name, tier),
    federatorServiceObject(name, tier, true),
    sts,
    ...(f.replicas > 1 ? [disruptionBudgetObject(name, tier, federatorSelector(name))] : []),
    ...(f.networkPolicy.enabled ? [networkPolicyObject(name, tier, plan, settings)] : []),
    ...(f.serviceMonitor.enabled ? [serviceMonitorObject(name, tier, settings)] : []),
  ]);
}

/** fleetfed's own pods carry this; a peer from networkPolicy.from never admits them. */
const NOT_FLEETFED = {
  key: "app.kubernetes.io/part-of",
  operator: "NotIn",
  values: [PART_OF["app.kubernetes.io/part-of"]],
};

/** A namespace by the name label Kubernetes sets on every namespace. */
function namespaceNamed(namespace: string) {
  return { matchLabels: { "kubernetes.io/metadata.name": namespace } };
}

/**
 * Who may reach a federator: port 9090 serves queries and /federate (the lifecycle endpoints are off);
 * the reloader's port serves its metrics. Every peer names a namespace and its pods: the tier above is
 * the one global's pods (a leaf admits no other federator); the peers networkPolicy.from lists (Grafana
 * and the monitoring cluster's Prometheus by default) are in federation.namespace unless they say which
 * namespaces, and never match a fleetfed pod, which carries the same app.kubernetes.io/name. With
 * networkPolicy.egress, the federator may connect only to DNS, its clusters' ports (a leaf), the
 * federators (the global) and the Alertmanagers.
 */
export function networkPolicyObject(
  name: string,
  tier: "leaf" | "global",
  plan: FederationTree,
  settings: Settings,
): object {
  const f = settings.federation;
  const peers = f.networkPolicy.from.map((p) => ({
    namespaceSelector: p.namespaceSelector ? { ...p.namespaceSelector } : namespaceNamed(f.namespace),
    podSelector: { matchLabels: { ...p.podSelector?.matchLabels }, matchExpressions: [NOT_FLEETFED] },
  }));
  const above =
    tier === "leaf"
      ? [
          {
            namespaceSelector: namespaceNamed(f.namespace),
            podSelector: { matchLabels: federatorSelector(plan.top) },
          },
        ]
      : [];
  const egress = f.networkPolicy.egress.enabled;
  return NetworkPolicy({
    metadata: {
      name: federatorService(name),
      labels: labels(name, tier),
      annotations: { [SYNC_WAVE]: WAVES.federator },
    },
    spec: {
      podSelector: { matchLabels: federatorSelector(name) },
      policyTypes: egress ? ["Ingress", "Egress"] : ["Ingress"],
      ingress: [
        { from: [...above, ...peers], ports: [{ protocol: "TCP", port: FEDERATOR_PORT }] },
        { from: peers, ports: [{ protocol: "TCP", port: RELOADER_PORT }] },
      ],
      ...(egress && { egress: egressRules(name, tier, plan, settings) }),
    },
  });
}

/** Where a federator connects: DNS; a leaf its clusters' ports; the global every federator and the Alertmanagers. */
function egressRules(name: string, tier: "leaf" | "global", plan: FederationTree, settings: Settings) {
  const f = settings.federation;
  const tcp = (ports: Iterable<number>) =>
    [...new Set(ports)].sort((a, b) => a - b).map((port) => ({ protocol: "TCP" as const, port }));
  const dns = {
    to: [
      {
        namespaceSelector: namespaceNamed("kube-system"),
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      },
    ],
    ports: [
      { protocol: "UDP" as const, port: 53 },
      { protocol: "TCP" as const, port: 53 },
    ],
  };
  if (tier === "leaf") {
    const clusters = plan.leaves.find((l) => l.name === name)?.clusters ?? [];
    const ports = clusters.map((c) => Number(c.endpoint.slice(c.endpoint.lastIndexOf(":") + 1)));
    // The clusters are outside this cluster, at addresses Route 53 gives: by port, to any address.
    return [dns, ...(ports.length > 0 ? [{ ports: tcp(ports) }] : [])];
  }
  const alertmanagers = settings.alerting.alertmanagers.map((raw) => alertmanagerPort(new URL(raw)));
  return [
    dns,
    {
      to: [
        {
          namespaceSelector: namespaceNamed(f.namespace),
          podSelector: { matchLabels: { ...PART_OF, "app.kubernetes.io/name": "prometheus" } },
        },
      ],
      ports: tcp([FEDERATOR_PORT]),
    },
    ...(alertmanagers.length > 0 ? [{ ports: tcp(alertmanagers) }] : []),
  ];
}

/** For the monitoring cluster's own Prometheus: the federator's metrics through its load-balanced Service. */
export function serviceMonitorObject(name: string, tier: "leaf" | "global", settings: Settings): object {
  return ServiceMonitor({
    metadata: {
      name: federatorService(name),
      labels: { ...labels(name, tier), ...settings.federation.serviceMonitor.labels },
      annotations: { [SYNC_WAVE]: WAVES.federator },
    },
    spec: {
      // The load-balanced Service only: through the headless one too, each replica would be scraped twice.
      selector: {
        matchLabels: federatorSelector(name),
        matchExpressions: [{ key: HEADLESS_LABEL, operator: "DoesNotExist" }],
      },
      endpoints: [{ port: "http", path: "/metrics" }],
    },
  });
}

export function multiDocument(objects: readonly object[]): string {
  return objects.map((o, i) => toYaml(o, { header: i === 0 })).join("---\n");
}

/** The federator's ConfigMap, generated from its files (prometheus.yml, and alerts.yml on the top one). */
export function renderFederatorKustomization(name: string, configFiles: readonly string[]): string {
  return toYaml({
    apiVersion: KUSTOMIZE_API,
    kind: "Kustomization",
    resources: [FEDERATOR_OBJECTS_FILE],
    // A stable name (no content hash): a config change updates the ConfigMap in place and the reloader
    // applies it, instead of a new name rolling the pods.
    configMapGenerator: [
      {
        name: federatorService(name),
        files: [...configFiles],
        options: { disableNameSuffixHash: true, annotations: { [SYNC_WAVE]: WAVES.config } },
      },
    ],
  });
}

export function renderKustomization(
  resources: readonly string[],
  extra: Record<string, unknown> = {},
): string {
  return toYaml({ apiVersion: KUSTOMIZE_API, kind: "Kustomization", ...extra, resources: [...resources] });
}

/**
 * The federators' namespace, which fleetfed does not own: by default it is `monitoring`, where
 * kube-prometheus-stack lives too. It is declared (so a cluster without it gets it) but marked so that
 * neither Argo CD nor Flux ever prunes it or deletes it with the fleetfed application: deleting fleetfed
 * must never delete a namespace and everything else in it.
 */
export function renderNamespace(settings: Settings): string {
  return toYaml(
    Namespace({
      metadata: {
        name: settings.federation.namespace,
        labels: PART_OF,
        annotations: {
          [SYNC_WAVE]: WAVES.namespace,
          [ARGOCD_SYNC_OPTIONS]: "Prune=false,Delete=false",
          [FLUX_PRUNE]: "disabled",
        },
      },
    }),
  );
}

/** Argo CD's per-resource sync options, and Flux's per-resource garbage collection switch. */
export const ARGOCD_SYNC_OPTIONS = "argocd.argoproj.io/sync-options";
export const FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune";
