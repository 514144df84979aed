// How the monitoring cluster applies manifests/: an Argo CD app-of-apps (manifests/argocd/) and Flux
// GitRepository + Kustomization objects (manifests/flux/). Either is bootstrapped once with
// `kubectl apply -k manifests/argocd` (or manifests/flux); from then on Git is the only writer.

import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { Kustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1";
import { GitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1";
import type { Settings } from "../inputs/settings.ts";
import {
  checked,
  multiDocument,
  PART_OF as PART_OF_FLEETFED,
  renderKustomization,
  SYNC_WAVE,
} from "./kubernetes.ts";

/** A component under manifests/ that the GitOps tool applies, in order. */
export interface Component {
  name: string;
  /** Folder under manifests/. */
  path: string;
  /** Argo CD sync wave of its Application; Flux orders by dependsOn on the previous component. */
  wave: number;
}

const PART_OF = { ...PART_OF_FLEETFED, "app.kubernetes.io/managed-by": "fleetfed" };

export function renderArgoCd(settings: Settings, components: readonly Component[]): Map<string, string> {
  const d = settings.delivery;
  const files = new Map<string, string>();
  const app = (name: string, path: string, namespace: string, wave?: number) =>
    checked(
      new Application({
        metadata: {
          name,
          namespace: d.argocd.namespace,
          labels: PART_OF,
          ...(wave !== undefined && { annotations: { [SYNC_WAVE]: String(wave) } }),
          // Deleting an application deletes what it applied, not just the Application object.
          finalizers: ["resources-finalizer.argocd.argoproj.io"],
        },
        spec: {
          project: d.argocd.project,
          source: { repoURL: d.repoURL, targetRevision: d.targetRevision, path },
          destination: { server: "https://kubernetes.default.svc", namespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ["CreateNamespace=true", "ServerSideApply=true"],
            retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "5m" } },
          },
        },
      }),
    );
  files.set(
    "argocd/root.yaml",
    multiDocument([app("fleetfed", "manifests/argocd/apps", d.argocd.namespace)]),
  );
  files.set("argocd/kustomization.yaml", renderKustomization(["root.yaml"]));
  for (const c of components) {
    files.set(
      `argocd/apps/${c.name}.yaml`,
      multiDocument([
        app(`fleetfed-${c.name}`, `manifests/${c.path}`, settings.federation.namespace, c.wave),
      ]),
    );
  }
  files.set("argocd/apps/kustomization.yaml", renderKustomization(components.map((c) => `${c.name}.yaml`)));
  return files;
}

export function renderFlux(settings: Settings, components: readonly Component[]): Map<string, string> {
  const d = settings.delivery;
  const files = new Map<string, string>();
  const source = checked(
    new GitRepository({
      metadata: { name: "fleetfed", namespace: d.flux.namespace, labels: PART_OF },
      spec: { url: d.repoURL, ref: { branch: d.targetRevision }, interval: d.flux.interval },
    }),
  );
  files.set("flux/source.yaml", multiDocument([source]));
  const ordered = [...components].sort((a, b) => a.wave - b.wave);
  ordered.forEach((c, i) => {
    const previous = ordered[i - 1];
    const k = checked(
      new Kustomization({
        metadata: { name: `fleetfed-${c.name}`, namespace: d.flux.namespace, labels: PART_OF },
        spec: {
          interval: d.flux.interval,
          path: `./manifests/${c.path}`,
          prune: true,
          wait: true,
          timeout: "5m",
          sourceRef: { kind: "GitRepository", name: "fleetfed" },
          ...(previous && { dependsOn: [{ name: `fleetfed-${previous.name}` }] }),
        },
      }),
    );
    files.set(`flux/${c.name}.yaml`, multiDocument([k]));
  });
  files.set(
    "flux/kustomization.yaml",
    renderKustomization(["source.yaml", ...ordered.map((c) => `${c.name}.yaml`)]),
  );
  return files;
}
