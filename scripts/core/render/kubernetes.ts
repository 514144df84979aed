// The Kubernetes objects that run each federator: a Service and a StatefulSet whose config volume is the
// ConfigMap kustomize generates from the federator's prometheus.yml (so the config exists once, and a
// change to it rolls the pod through the generated name's hash). Every object is built with
// kubernetes-models and validated against the API schema before it is written.

import { StatefulSet } from "kubernetes-models/apps/v1";
import { Namespace, Service } from "kubernetes-models/v1";
import { SECRETS_DIR } from "../inputs/endpoint-auth.ts";
import type { Settings } from "../inputs/settings.ts";
import { toYaml } from "../yaml.ts";
import { FEDERATOR_PORT, federatorService } from "./prometheus.ts";

const KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1";
export const SYNC_WAVE = "argocd.argoproj.io/sync-wave";

/** Argo CD applies lower waves first: namespace, then config, then the federators that read it. */
export const WAVES = { namespace: "-1", config: "0", federator: "1" } as const;

interface Model {
  validate(): void;
  toJSON(): unknown;
}

/** Validates a kubernetes-models object and returns the plain value to serialise. */
export function checked(model: Model): object {
  model.validate();
  return model.toJSON() as object;
}

/** The label every object fleetfed renders carries, so `kubectl get -l` finds all of them. */
export const PART_OF = { "app.kubernetes.io/part-of": "fleetfed" } as const;

/** Labels of a federator's objects in either flavour; the plain flavour adds the pod-selecting ones. */
export function tierLabels(tier: "leaf" | "global") {
  return {
    "app.kubernetes.io/component": `${tier}-federator`,
    "app.kubernetes.io/managed-by": "fleetfed",
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

/** Federators run as nobody, in both flavours. */
export const POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  fsGroup: 65534,
};

/** The claim for a federator's TSDB volume, in both flavours. */
export function dataClaimSpec(settings: Settings): {
  accessModes: "ReadWriteOnce"[];
  resources: { requests: { storage: string } };
} {
  return {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: settings.federation.storage } },
  };
}

export function federatorSelector(name: string) {
  return { "app.kubernetes.io/instance": federatorService(name), "app.kubernetes.io/name": "prometheus" };
}

export function federatorServiceObject(name: string, tier: "leaf" | "global"): object {
  return checked(
    new Service({
      metadata: {
        name: federatorService(name),
        labels: labels(name, tier),
        annotations: { [SYNC_WAVE]: WAVES.federator },
      },
      spec: {
        selector: federatorSelector(name),
        ports: [{ name: "http", port: FEDERATOR_PORT, targetPort: "http" }],
      },
    }),
  );
}

export function renderFederatorObjects(name: string, tier: "leaf" | "global", settings: Settings): string {
  const f = settings.federation;
  const service = federatorService(name);
  const all = labels(name, tier);
  const probe = (path: string, delay: number) => ({
    httpGet: { path, port: "http" },
    initialDelaySeconds: delay,
    periodSeconds: 10,
    timeoutSeconds: 5,
  });
  const sts = checked(
    new StatefulSet({
      metadata: { name: service, labels: all, annotations: { [SYNC_WAVE]: WAVES.federator } },
      spec: {
        serviceName: service,
        replicas: 1,
        selector: { matchLabels: federatorSelector(name) },
        template: {
          metadata: { labels: all },
          spec: {
            securityContext: POD_SECURITY_CONTEXT,
            containers: [
              {
                name: "prometheus",
                image: f.image,
                args: [
                  "--config.file=/etc/prometheus/prometheus.yml",
                  "--storage.tsdb.path=/prometheus",
                  `--storage.tsdb.retention.time=${f.retention.text}`,
                  // scrape_timeout_seconds and scrape_sample_limit per target: alerts and dashboards compare
                  // each scrape with its own limits, whatever a cluster file overrides.
                  "--enable-feature=extra-scrape-metrics",
                  "--web.enable-lifecycle",
                ],
                ports: [{ name: "http", containerPort: FEDERATOR_PORT }],
                readinessProbe: probe("/-/ready", 10),
                livenessProbe: probe("/-/healthy", 30),
                resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "4Gi" } },
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
            ],
            volumes: [
              { name: "config", configMap: { name: service } },
              ...f.secrets.map((secret) => ({ name: `secret-${secret}`, secret: { secretName: secret } })),
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data" },
            spec: dataClaimSpec(settings),
          },
        ],
      },
    }),
  );
  return multiDocument([federatorServiceObject(name, tier), sts]);
}

export function multiDocument(objects: readonly object[]): string {
  return objects.map((o, i) => toYaml(o, { header: i === 0 })).join("---\n");
}

/** The federator's ConfigMap, generated from its files (prometheus.yml, and alerts.yml on the top one). */
export function renderFederatorKustomization(name: string, configFiles: readonly string[]): string {
  return toYaml({
    apiVersion: KUSTOMIZE_API,
    kind: "Kustomization",
    resources: ["federator.yaml"],
    configMapGenerator: [
      {
        name: federatorService(name),
        files: [...configFiles],
        options: { annotations: { [SYNC_WAVE]: WAVES.config } },
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

export function renderNamespace(settings: Settings): string {
  return toYaml(
    checked(
      new Namespace({
        metadata: {
          name: settings.federation.namespace,
          labels: PART_OF,
          annotations: { [SYNC_WAVE]: WAVES.namespace },
        },
      }),
    ),
  );
}
