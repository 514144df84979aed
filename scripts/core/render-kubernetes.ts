// The Kubernetes objects that run each federator: a Service and a StatefulSet whose config volume is the
// ConfigMap kustomize generates from the federator's prometheus.yml (so the config exists once, and a
// change to it rolls the pod through the generated name's hash).

import { FEDERATOR_PORT, federatorService } from "./render-prometheus.ts";
import type { Settings } from "./settings.ts";
import { toYaml } from "./yaml.ts";

const KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1";

function labels(name: string, tier: "leaf" | "global") {
  return {
    "app.kubernetes.io/component": `${tier}-federator`,
    "app.kubernetes.io/instance": federatorService(name),
    "app.kubernetes.io/managed-by": "fleetfed",
    "app.kubernetes.io/name": "prometheus",
    "app.kubernetes.io/part-of": "fleetfed",
  };
}

export function renderFederatorObjects(name: string, tier: "leaf" | "global", settings: Settings): string {
  const f = settings.federation;
  const service = federatorService(name);
  const all = labels(name, tier);
  const selector = { "app.kubernetes.io/instance": service, "app.kubernetes.io/name": "prometheus" };
  const svc = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: service, labels: all },
    spec: { selector, ports: [{ name: "http", port: FEDERATOR_PORT, targetPort: "http" }] },
  };
  const probe = (path: string, delay: number) => ({
    httpGet: { path, port: "http" },
    initialDelaySeconds: delay,
    periodSeconds: 10,
    timeoutSeconds: 5,
  });
  const sts = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: service, labels: all },
    spec: {
      serviceName: service,
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: all },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 },
          containers: [
            {
              name: "prometheus",
              image: f.image,
              args: [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                `--storage.tsdb.retention.time=${f.retention.text}`,
                "--web.enable-lifecycle",
              ],
              ports: [{ name: "http", containerPort: FEDERATOR_PORT }],
              readinessProbe: probe("/-/ready", 10),
              livenessProbe: probe("/-/healthy", 30),
              resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "4Gi" } },
              volumeMounts: [
                { name: "config", mountPath: "/etc/prometheus", readOnly: true },
                { name: "data", mountPath: "/prometheus" },
              ],
            },
          ],
          volumes: [{ name: "config", configMap: { name: service } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: f.storage } } },
        },
      ],
    },
  };
  return multiDocument([svc, sts]);
}

export function multiDocument(objects: readonly object[]): string {
  return objects.map((o, i) => toYaml(o, { header: i === 0 })).join("---\n");
}

export function renderFederatorKustomization(name: string): string {
  return toYaml({
    apiVersion: KUSTOMIZE_API,
    kind: "Kustomization",
    resources: ["federator.yaml"],
    configMapGenerator: [{ name: federatorService(name), files: ["prometheus.yml"] }],
  });
}

export function renderKustomization(
  resources: readonly string[],
  extra: Record<string, unknown> = {},
): string {
  return toYaml({ apiVersion: KUSTOMIZE_API, kind: "Kustomization", ...extra, resources: [...resources] });
}

export function renderNamespace(settings: Settings): string {
  return toYaml({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: settings.federation.namespace, labels: { "app.kubernetes.io/part-of": "fleetfed" } },
  });
}
