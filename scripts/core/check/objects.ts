// Every Kubernetes object a render builds against its API schema, through the kubernetes-models class for
// its kind (its own validate()). Rendering only types the objects; this check is where they are
// validated, so `render` never loads the models' ~150 ms of schemas and `check` (what CI runs) still
// refuses an object the API server would. kustomize's kustomization.yaml files are not API objects:
// `kubectl kustomize` checks those (test/render.test.ts).

import type { Problem } from "../errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: each model takes its own kind's fields; this table holds them all
type Model = new (data: any) => { validate(): void };

/** apiVersion/kind → its model, loaded only when an object of that kind is checked. */
const MODELS: Record<string, () => Promise<Model>> = {
  "v1/Namespace": async () => (await import("kubernetes-models/v1/Namespace")).Namespace,
  "v1/Service": async () => (await import("kubernetes-models/v1/Service")).Service,
  "v1/Secret": async () => (await import("kubernetes-models/v1/Secret")).Secret,
  "apps/v1/StatefulSet": async () => (await import("kubernetes-models/apps/v1/StatefulSet")).StatefulSet,
  "networking.k8s.io/v1/NetworkPolicy": async () =>
    (await import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy")).NetworkPolicy,
  "monitoring.coreos.com/v1/ServiceMonitor": async () =>
    (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor"))
      .ServiceMonitor,
  "policy/v1/PodDisruptionBudget": async () =>
    (await import("kubernetes-models/policy/v1/PodDisruptionBudget")).PodDisruptionBudget,
  "monitoring.coreos.com/v1/PrometheusRule": async () =>
    (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule"))
      .PrometheusRule,
  "monitoring.coreos.com/v1/Prometheus": async () =>
    (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus")).Prometheus,
  "monitoring.coreos.com/v1alpha1/ScrapeConfig": async () =>
    (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/ScrapeConfig"))
      .ScrapeConfig,
  "argoproj.io/v1alpha1/Application": async () =>
    (await import("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application")).Application,
  "argoproj.io/v1alpha1/ApplicationSet": async () =>
    (await import("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet")).ApplicationSet,
  "kustomize.toolkit.fluxcd.io/v1/Kustomization": async () =>
    (await import("@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization")).Kustomization,
  "source.toolkit.fluxcd.io/v1/GitRepository": async () =>
    (await import("@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository")).GitRepository,
};

/** One problem per object its schema rejects (objects as `collectingObjects` returns them). */
export async function objectProblems(objects: readonly object[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  const loaded = new Map<string, Model>();
  for (const object of objects as { apiVersion?: unknown; kind?: unknown; metadata?: Metadata }[]) {
    const type = `${String(object.apiVersion)}/${String(object.kind)}`;
    const what = `${String(object.kind)} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${String(object.metadata?.name ?? "")}`;
    const load = MODELS[type];
    if (!load) {
      problems.push({
        message: `${what}: ${type} has no schema fleetfed knows, so it cannot be validated`,
        hint: "this is a fleetfed bug: please report it",
      });
      continue;
    }
    let model = loaded.get(type);
    if (!model) {
      model = await load();
      loaded.set(type, model);
    }
    try {
      new model(object).validate();
    } catch (e) {
      problems.push({
        message: `${what} is not valid for the Kubernetes API: ${describe(e)}`,
        hint: "fix the input it is rendered from; if every input is valid, this is a fleetfed bug: please report it",
      });
    }
  }
  return problems;
}

interface Metadata {
  name?: unknown;
  namespace?: unknown;
}

function describe(e: unknown): string {
  const errors = (e as { errors?: { instancePath?: string; message?: string }[] }).errors;
  if (Array.isArray(errors) && errors.length > 0)
    return errors
      .slice(0, 3)
      .map((x) => `${(x.instancePath ?? "").slice(1).replaceAll("/", ".") || "object"} ${x.message ?? ""}`)
      .join("; ");
  return (e as Error).message.split("\n")[0] ?? "invalid";
}
