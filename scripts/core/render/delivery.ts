// How the monitoring cluster applies manifests/: an Argo CD app-of-apps (manifests/argocd/) and Flux
// GitRepository + Kustomization objects (manifests/flux/). Either is bootstrapped once with
// `kubectl apply -k manifests/argocd` (or manifests/flux); from then on Git is the only writer.

import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet";
import type { IKustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization";
import type { IGitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository";
import type { Settings } from "../inputs/settings.ts";
import {
  kindOf,
  MANAGED_BY,
  multiDocument,
  PART_OF as PART_OF_FLEETFED,
  ROLLOUT_WINDOW_SECONDS,
  renderKustomization,
} from "./kubernetes.ts";

const Application = kindOf<IApplication>("argoproj.io/v1alpha1", "Application");
const ApplicationSet = kindOf<IApplicationSet>("argoproj.io/v1alpha1", "ApplicationSet");
const Kustomization = kindOf<IKustomization>("kustomize.toolkit.fluxcd.io/v1", "Kustomization");
const GitRepository = kindOf<IGitRepository>("source.toolkit.fluxcd.io/v1", "GitRepository");

/** A component under manifests/ that the GitOps tool applies, in order. */
export interface Component {
  name: string;
  /** Folder under manifests/. */
  path: string;
  /**
   * Flux applies a component after the one before it is ready (dependsOn). Argo CD applies them side by
   * side: each Application creates the namespace if it is missing (CreateNamespace), and nothing in one
   * needs the other, so no ordering relies on Argo CD's Application health, which it does not assess
   * for child Applications unless argocd-cm is customised (since 1.8).
   */
  order: number;
}

const PART_OF = { ...PART_OF_FLEETFED, ...MANAGED_BY };

/** Flux's health wait: the rollout window, rounded up to minutes, with five to spare. */
export const FLUX_TIMEOUT = `${Math.ceil(ROLLOUT_WINDOW_SECONDS / 60) + 5}m`;

export function renderArgoCd(settings: Settings, components: readonly Component[]): Map<string, string> {
  const d = settings.delivery;
  const files = new Map<string, string>();
  const app = (name: string, path: string, namespace: string) =>
    Application({
      metadata: {
        name,
        namespace: d.argocd.namespace,
        labels: PART_OF,
        // Deleting an application deletes what it applied, not just the Application object.
        finalizers: ["resources-finalizer.argocd.argoproj.io"],
      },
      spec: {
        project: d.argocd.project,
        source: { repoURL: d.repoURL, targetRevision: d.targetRevision, path },
        destination: { server: d.argocd.server, namespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ["CreateNamespace=true", "ServerSideApply=true"],
          retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
        },
      },
    });
  files.set(
    "argocd/root.yaml",
    multiDocument([app("fleetfed", "manifests/argocd/apps", d.argocd.namespace)]),
  );
  files.set("argocd/kustomization.yaml", renderKustomization(["root.yaml"]));
  for (const c of components) {
    files.set(
      `argocd/apps/${c.name}.yaml`,
      multiDocument([app(`fleetfed-${c.name}`, `manifests/${c.path}`, settings.federation.namespace)]),
    );
  }
  const apps = components.map((c) => `${c.name}.yaml`);
  if (d.clusterRules.enabled) {
    files.set("argocd/apps/cluster-rules.yaml", multiDocument([clusterRulesApplicationSet(settings)]));
    apps.push("cluster-rules.yaml");
  }
  files.set("argocd/apps/kustomization.yaml", renderKustomization(apps));
  return files;
}

/**
 * manifests/cluster-rules/ on every workload cluster Argo CD knows: a cluster generator over the cluster
 * Secrets labelled with delivery.clusterRules.selector, one Application each.
 */
function clusterRulesApplicationSet(settings: Settings): object {
  const d = settings.delivery;
  return ApplicationSet({
    metadata: { name: "fleetfed-cluster-rules", namespace: d.argocd.namespace, labels: PART_OF },
    spec: {
      goTemplate: true,
      goTemplateOptions: ["missingkey=error"],
      generators: [{ clusters: { selector: { matchLabels: { ...d.clusterRules.selector } } } }],
      template: {
        metadata: { name: "fleetfed-cluster-rules-{{.name}}", labels: PART_OF },
        spec: {
          project: d.argocd.project,
          source: { repoURL: d.repoURL, targetRevision: d.targetRevision, path: "manifests/cluster-rules" },
          destination: { server: "{{.server}}", namespace: d.clusterRules.namespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ["CreateNamespace=true", "ServerSideApply=true"],
          },
        },
      },
    },
  });
}

export function renderFlux(settings: Settings, components: readonly Component[]): Map<string, string> {
  const d = settings.delivery;
  const files = new Map<string, string>();
  const source = GitRepository({
    metadata: { name: "fleetfed", namespace: d.flux.namespace, labels: PART_OF },
    spec: {
      url: d.repoURL,
      ref: { branch: d.targetRevision },
      interval: d.flux.interval,
      ...(d.flux.secretRef && { secretRef: { name: d.flux.secretRef } }),
    },
  });
  files.set("flux/source.yaml", multiDocument([source]));
  const ordered = [...components].sort((a, b) => a.order - b.order);
  ordered.forEach((c, i) => {
    const previous = ordered[i - 1];
    const k = Kustomization({
      metadata: { name: `fleetfed-${c.name}`, namespace: d.flux.namespace, labels: PART_OF },
      spec: {
        interval: d.flux.interval,
        path: `./manifests/${c.path}`,
        prune: true,
        wait: true,
        // Health may take a federator's whole rollout: the old pod's graceful stop, then the new one's
        // startup probe window. A shorter timeout fails a rollout that is going well.
        timeout: FLUX_TIMEOUT,
        sourceRef: { kind: "GitRepository", name: "fleetfed" },
        ...(previous && { dependsOn: [{ name: `fleetfed-${previous.name}` }] }),
      },
    });
    files.set(`flux/${c.name}.yaml`, multiDocument([k]));
  });
  const resources = ["source.yaml", ...ordered.map((c) => `${c.name}.yaml`)];
  // Flux has no cluster registry: one Kustomization per workload cluster's kubeconfig Secret.
  if (d.clusterRules.enabled && d.clusterRules.kubeConfigSecrets.length > 0) {
    const rules = d.clusterRules.kubeConfigSecrets.map((secret) =>
      Kustomization({
        metadata: {
          name: `fleetfed-cluster-rules-${secret}`,
          namespace: d.flux.namespace,
          labels: PART_OF,
        },
        spec: {
          interval: d.flux.interval,
          path: "./manifests/cluster-rules",
          prune: true,
          targetNamespace: d.clusterRules.namespace,
          sourceRef: { kind: "GitRepository", name: "fleetfed" },
          kubeConfig: { secretRef: { name: secret } },
        },
      }),
    );
    files.set("flux/cluster-rules.yaml", multiDocument(rules));
    resources.push("cluster-rules.yaml");
  }
  files.set("flux/kustomization.yaml", renderKustomization(resources));
  return files;
}
