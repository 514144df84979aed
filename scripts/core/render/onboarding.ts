// What each workload cluster's Prometheus needs so that discovery finds it and the dashboards fill, rendered
// per cluster under manifests/onboarding/<cluster>/ (and printed by `fleetfed onboard <cluster>`):
//   - its Prometheus published under exactly the DNS name discovery expects, by external-dns, on an
//     internal load balancer (onboarding.serviceAnnotations);
//   - the fleet's cluster id as the external label named like the fleet's cluster label, so that nothing
//     the cluster sends carries another id;
//   - a rule selector that loads fleetfed's PrometheusRule (manifests/cluster-rules/).
// Two forms, one content: kube-prometheus-stack Helm values, and for a plain prometheus-operator install
// a Service plus the Prometheus fields, applied server-side so that only these fields are fleetfed's.
// One file per form and cluster, so that adding a cluster adds only its own files.

import type { IPrometheus } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus";
import type { IService } from "kubernetes-models/v1/Service";
import type { Problem } from "../errors.ts";
import type { Settings } from "../inputs/settings.ts";
import type { Cluster } from "../plan/inventory.ts";
import { toYaml } from "../yaml.ts";
import { kindOf, MANAGED_BY, PART_OF } from "./kubernetes.ts";
import { operatorRemoteWrite, remoteWriteFile } from "./remote-write.ts";

const Service = kindOf<IService>("v1", "Service");
const Prometheus = kindOf<IPrometheus>("monitoring.coreos.com/v1", "Prometheus");

/** manifests/onboarding/<cluster>/: one folder per cluster. */
export const ONBOARDING_DIR = "onboarding";
export const KUBE_PROMETHEUS_STACK_FILE = "kube-prometheus-stack.yaml";
export const PROMETHEUS_OPERATOR_FILE = "prometheus-operator.yaml";
/** With remote-write on: the plain remote_write block the other two forms stand for. */
export const REMOTE_WRITE_FILE = "remote-write.yml";
/** The name of the Service that publishes a cluster's Prometheus in the plain operator form. */
export const PUBLISHED_SERVICE = "fleetfed-prometheus";

/** One cluster as the fleet reaches it: the DNS name (or address) and port its Prometheus answers on. */
export interface OnboardingTarget {
  id: string;
  host: string;
  port: number;
}

export function onboardingPath(id: string, file: string): string {
  return `${ONBOARDING_DIR}/${id}/${file}`;
}

/** Where the fleet reaches an inventoried cluster: its endpoint, as discovery found it or its file wrote it. */
export function targetOf(cluster: Pick<Cluster, "id" | "endpoint">): OnboardingTarget {
  const at = cluster.endpoint.lastIndexOf(":");
  return {
    id: cluster.id,
    host: cluster.endpoint.slice(0, at).replace(/^\[|\]$/g, ""),
    port: Number(cluster.endpoint.slice(at + 1)),
  };
}

/**
 * The DNS name a cluster the fleet does not list yet publishes, with `{cluster}` for its id:
 * onboarding.recordName when set; otherwise worked out from discovery.route53.recordPattern when the
 * pattern is a literal name around its (?<cluster>…) group (the default `^prometheus\.(?<cluster>…)\.`
 * is), ending in the first hosted zone given by name. Undefined when neither says, with the reason.
 */
export function recordNameTemplate(settings: Settings): { template: string } | { why: string } {
  if (settings.onboarding.recordName !== undefined)
    return { template: settings.onboarding.recordName.replace(/\.$/, "") };
  const r53 = settings.discovery.route53;
  if (!r53) return { why: "the fleet has no Route 53 discovery, so no name is expected" };
  const group = /\(\?<cluster>(?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)/.exec(r53.recordPatternText);
  if (!group) return { why: "discovery.route53.recordPattern has no (?<cluster>…) group fleetfed can read" };
  const literal = (text: string) =>
    /^(?:[a-z0-9-]|\\\.)*$/.test(text) ? text.replace(/\\\./g, ".") : undefined;
  const before = literal(r53.recordPatternText.slice(0, group.index).replace(/^\^/, ""));
  const afterText = r53.recordPatternText.slice(group.index + group[0].length);
  const anchored = afterText.endsWith("$");
  const after = literal(anchored ? afterText.slice(0, -1) : afterText);
  if (before === undefined || after === undefined)
    return { why: "discovery.route53.recordPattern is more than a literal name around (?<cluster>…)" };
  if (anchored) return { template: `${before}{cluster}${after}` };
  const zone = r53.hostedZones.find((z) => !/^(\/hostedzone\/)?Z[A-Z0-9]+$/.test(z));
  if (!after.endsWith(".") || zone === undefined)
    return {
      why: "the name continues past recordPattern into a hosted zone, and discovery.route53.hostedZones names none",
    };
  return { template: `${before}{cluster}${after}${zone.toLowerCase().replace(/\.$/, "")}` };
}

/**
 * Where a cluster the fleet does not list yet will be reached, once published under the expected name;
 * or the problem that says how to name it. The name must read back, through recordPattern, as this id.
 */
export function newTarget(settings: Settings, id: string): OnboardingTarget | Problem {
  const t = recordNameTemplate(settings);
  if ("why" in t)
    return {
      field: "onboarding.recordName",
      message: `cannot work out the DNS name cluster "${id}" publishes its Prometheus under: ${t.why}`,
      hint: "set onboarding.recordName in fleet.yaml, e.g. prometheus.{cluster}.internal.example.com",
    };
  const host = t.template.replace("{cluster}", id);
  const r53 = settings.discovery.route53;
  const back = r53?.recordPattern.exec(host)?.groups?.cluster;
  if (r53 && back !== id)
    return {
      field: "onboarding.recordName",
      message: `${host} would be ${back === undefined ? "ignored by discovery (recordPattern does not match it)" : `discovered as cluster "${back}", not "${id}"`}`,
      hint: "make onboarding.recordName a name discovery.route53.recordPattern reads back as the same id",
    };
  return { id, host, port: r53?.port ?? 80 };
}

const isAddress = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");

/** The Service annotations: external-dns's name (unless the fleet reaches the cluster by address), then the user's. */
function annotations(settings: Settings, t: OnboardingTarget): Record<string, string> {
  return {
    ...(isAddress(t.host) ? {} : { "external-dns.alpha.kubernetes.io/hostname": t.host }),
    ...settings.onboarding.serviceAnnotations,
  };
}

/** The rule selector fleetfed's PrometheusRule needs, and what the chart must be told for it. */
function ruleSelection(settings: Settings): { release?: string; selectEvery: boolean } {
  const labels = settings.clusterRules.labels;
  const release = labels.release;
  // The chart's default selector is {release: <its release name>}: fleetfed's rule matches it exactly when
  // the only label fleetfed sets is that one. Otherwise select every PrometheusRule (the chart's own too).
  if (release !== undefined && Object.keys(labels).length === 1) return { release, selectEvery: false };
  return { selectEvery: true };
}

/** kube-prometheus-stack values for one cluster. */
export function kubePrometheusStackValues(settings: Settings, t: OnboardingTarget): string {
  const rules = ruleSelection(settings);
  const rw = settings.remoteWrite;
  const values = {
    prometheus: {
      prometheusSpec: {
        externalLabels: { [settings.clusterLabel]: t.id },
        ...(rules.selectEvery && { ruleSelectorNilUsesHelmValues: false }),
        // Appended to the chart's own remoteWrite list; a values override of remoteWrite would replace it.
        ...(rw && { additionalRemoteWrite: [operatorRemoteWrite(settings, rw, t.id)] }),
      },
      service: { type: "LoadBalancer", port: t.port, annotations: annotations(settings, t) },
    },
  };
  return toYaml(values, {
    comments: [
      `kube-prometheus-stack values for cluster ${t.id}: pass this file to the chart after your own values`,
      "(helm upgrade --install … -f your-values.yaml -f this file, or a second valueFiles entry in Argo CD).",
      `Publishes its Prometheus as ${t.host}:${t.port}, where the fleet reaches it; labels what it sends ${settings.clusterLabel}=${t.id}.`,
      rules.release !== undefined
        ? `fleetfed's PrometheusRule carries release: ${rules.release}: install the chart as release ${rules.release}, or its rule selector skips it.`
        : "fleetfed's PrometheusRule carries no release label, so the chart is told to select every PrometheusRule.",
      ...(rw
        ? [`Remote-writes fleetfed's aggregates, and nothing else, to ${rw.engine} (additionalRemoteWrite).`]
        : []),
    ],
  });
}

/** The plain prometheus-operator form: the publishing Service and the Prometheus fields fleetfed owns. */
export function prometheusOperatorObjects(settings: Settings, t: OnboardingTarget): object[] {
  const { namespace, prometheus } = settings.onboarding;
  const labels = { ...PART_OF, ...MANAGED_BY };
  return [
    Service({
      metadata: { name: PUBLISHED_SERVICE, namespace, labels, annotations: annotations(settings, t) },
      spec: {
        type: "LoadBalancer",
        // The operator labels every pod of a Prometheus with its name.
        selector: { "app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": prometheus },
        ports: [{ name: "web", port: t.port, targetPort: "web", protocol: "TCP" }],
      },
    }),
    Prometheus({
      metadata: { name: prometheus, namespace },
      spec: {
        externalLabels: { [settings.clusterLabel]: t.id },
        ruleSelector: ruleSelection(settings).selectEvery
          ? {}
          : { matchLabels: { ...settings.clusterRules.labels } },
        // A list server-side apply owns whole: fleetfed's entry is the only remote write this Prometheus has.
        ...(settings.remoteWrite && {
          remoteWrite: [operatorRemoteWrite(settings, settings.remoteWrite, t.id)],
        }),
      },
    }),
  ];
}

export function prometheusOperatorFile(settings: Settings, t: OnboardingTarget): string {
  const [service, prometheus] = prometheusOperatorObjects(settings, t);
  const { namespace, prometheus: name } = settings.onboarding;
  return [
    toYaml(service, {
      comments: [
        `prometheus-operator, for cluster ${t.id}: apply with kubectl apply --server-side --field-manager=fleetfed -f <this file>.`,
        `The Service publishes Prometheus ${namespace}/${name} as ${t.host}:${t.port}; the second object sets only the fields`,
        "fleetfed owns on that existing Prometheus (server-side apply leaves every other field to its owner).",
      ],
    }),
    toYaml(prometheus, { header: false }),
  ].join("---\n");
}

/** Every inventoried cluster's onboarding files, by path under manifests/. */
export function renderOnboarding(settings: Settings, clusters: readonly Cluster[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of clusters) {
    const t = targetOf(c);
    files.set(onboardingPath(c.id, KUBE_PROMETHEUS_STACK_FILE), kubePrometheusStackValues(settings, t));
    files.set(onboardingPath(c.id, PROMETHEUS_OPERATOR_FILE), prometheusOperatorFile(settings, t));
    if (settings.remoteWrite)
      files.set(
        onboardingPath(c.id, REMOTE_WRITE_FILE),
        remoteWriteFile(settings, settings.remoteWrite, c.id),
      );
  }
  return files;
}
