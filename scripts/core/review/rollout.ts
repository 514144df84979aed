// What a change does to the running federators, for the reviewer: which pods restart (a StatefulSet's pod
// template changed), which changes Kubernetes cannot apply in place (a StatefulSet's volumeClaimTemplates,
// selector or serviceName: the apply fails until the object is recreated), and how many federated series
// each tier gains or loses, from the model that sizes the federators (core/render/sizing.ts).

import { parseDuration } from "../duration.ts";
import type { Settings } from "../inputs/settings.ts";
import { FEDERATOR_OBJECTS_FILE, federatorOf, federatorPath } from "../layout.ts";
import { compare } from "../order.ts";
import type { FederationTree } from "../plan/placement.ts";
import { seriesPerCluster } from "../render/limits.ts";
import type { Tree } from "../render/manifests.ts";
import { federatorSize, OWN_SERIES, seriesFor } from "../render/sizing.ts";
import { yamlLibrary } from "../yaml.ts";
import type { PlacedCluster } from "./deployed.ts";

export interface Rollout {
  /** Federators whose pods restart, with what in the pod template changed. */
  restarts: { federator: string; what: string[] }[];
  /** Changes to a StatefulSet Kubernetes refuses to apply in place. */
  manual: { federator: string; fields: string[] }[];
  /** Federated series per tier that changes, against what the tier is sized for. */
  series: { federator: string; before: number; after: number; budget: number }[];
  /** With remote-write on and the number of clusters changing: what the engine takes, before and after. */
  remoteWrite?: { engine: string; seriesBefore: number; seriesAfter: number; intervalSeconds: number };
}

/**
 * Bytes on the wire per remote-written sample, snappy-compressed protobuf with metadata off, as `npm run
 * bench` measures it: 36.1 B with the bench's 15 series a cluster at a 10 s rule interval (a batch of a
 * few dozen samples; larger batches cost less per sample). Rounded up: the PR errs on the side of cost.
 */
export const REMOTE_WRITE_BYTES_PER_SAMPLE = 37;

/** Fields of a StatefulSet's spec that Kubernetes refuses to change on an existing object. */
const IMMUTABLE = ["volumeClaimTemplates", "selector", "serviceName", "podManagementPolicy"] as const;

type Doc = {
  kind?: string;
  spec?: Record<string, unknown> & { template?: { metadata?: unknown; spec?: Record<string, unknown> } };
};

function statefulSet(text: string | undefined): Doc["spec"] | undefined {
  if (text === undefined) return undefined;
  for (const doc of yamlLibrary().parseAllDocuments(text)) {
    const value = doc.toJS() as Doc | null;
    if (value?.kind === "StatefulSet") return value.spec;
  }
  return undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What differs in a pod template, in words: each container's changed fields, then the pod's. */
function templateChanges(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const what: string[] = [];
  const containers = (spec: Record<string, unknown>) =>
    new Map(
      ((spec.containers as { name: string }[] | undefined) ?? []).map((c) => [
        c.name,
        c as Record<string, unknown>,
      ]),
    );
  const before = containers(a);
  const after = containers(b);
  for (const [name, c] of after) {
    const was = before.get(name);
    if (!was) what.push(`container ${name} added`);
    else {
      const fields = [...new Set([...Object.keys(was), ...Object.keys(c)])].filter(
        (k) => !same(was[k], c[k]),
      );
      if (fields.length > 0) what.push(`${name}: ${fields.sort(compare).join(", ")}`);
    }
  }
  for (const name of before.keys()) if (!after.has(name)) what.push(`container ${name} removed`);
  const podFields = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => k !== "containers" && !same(a[k], b[k]))
    .sort(compare);
  if (podFields.length > 0) what.push(`pod: ${podFields.join(", ")}`);
  return what;
}

/** Federated series each federator holds, per the sizing model, for clusters placed as `clusters` says. */
function seriesByFederator(clusters: Iterable<PlacedCluster>, settings: Settings): Map<string, number> {
  const perLeaf = new Map<string, number>();
  for (const c of clusters) perLeaf.set(c.leaf, (perLeaf.get(c.leaf) ?? 0) + 1);
  const out = new Map<string, number>();
  let total = 0;
  for (const [leaf, n] of perLeaf) {
    out.set(leaf, seriesFor("leaf", n, 1, settings));
    total += n;
  }
  out.set("global", total === 0 ? 0 : seriesFor("global", total, perLeaf.size, settings));
  return out;
}

export function rolloutOf({
  before,
  after,
  placement,
  plan,
  settings,
}: {
  /** manifests/ as it stands, and as the change renders it. */
  before: Tree;
  after: Tree;
  placement: { before: Iterable<PlacedCluster>; after: Iterable<PlacedCluster> };
  plan: FederationTree;
  settings: Settings;
}): Rollout {
  const restarts: Rollout["restarts"] = [];
  const manual: Rollout["manual"] = [];
  const names = [...after.keys()]
    .map(federatorOf)
    .filter((f) => f?.file === FEDERATOR_OBJECTS_FILE)
    .map((f) => f?.name as string)
    .sort(compare);
  for (const name of names) {
    const path = federatorPath(name, FEDERATOR_OBJECTS_FILE);
    if (before.get(path) === after.get(path)) continue;
    const was = statefulSet(before.get(path));
    const now = statefulSet(after.get(path));
    if (!was || !now) continue; // a new or removed federator starts or stops; it does not restart
    const what = templateChanges(was.template?.spec ?? {}, now.template?.spec ?? {});
    if (!same(was.template?.metadata, now.template?.metadata)) what.push("pod labels or annotations");
    if (what.length > 0) restarts.push({ federator: name, what });
    const fields = IMMUTABLE.filter((k) => !same(was[k], now[k]));
    if (fields.length > 0) manual.push({ federator: name, fields: [...fields] });
  }
  // Iterables are read once: kept as lists for the series per federator and the clusters at the engine.
  const placedBefore = [...placement.before];
  const placedAfter = [...placement.after];
  const was = seriesByFederator(placedBefore, settings);
  const now = seriesByFederator(placedAfter, settings);
  const series: Rollout["series"] = [];
  for (const federator of [...new Set([...was.keys(), ...now.keys()])].sort(compare)) {
    const b = was.get(federator) ?? 0;
    const a = now.get(federator) ?? 0;
    if (a === b) continue;
    const tier = federator === "global" ? "global" : "leaf";
    series.push({ federator, before: b, after: a, budget: federatorSize(tier, plan, settings).series });
  }
  const engine = engineRollout(settings, placedBefore.length, placedAfter.length);
  return { restarts, manual, series, ...(engine && { remoteWrite: engine }) };
}

/** With remote-write on and the number of clusters changing: the series the engine holds before and after. */
function engineRollout(settings: Settings, before: number, after: number): Rollout["remoteWrite"] {
  const rw = settings.remoteWrite;
  if (!rw || before === after) return undefined;
  const perCluster = seriesPerCluster(settings);
  return {
    engine: rw.engine,
    seriesBefore: before * perCluster,
    seriesAfter: after * perCluster,
    intervalSeconds: (parseDuration(settings.clusterRules.interval)?.ms ?? 30_000) / 1000,
  };
}

/** Active series, samples per second and bytes per second a change adds at the remote-write engine. */
function engineCost(x: NonNullable<Rollout["remoteWrite"]>): string {
  const series = x.seriesAfter - x.seriesBefore;
  const perSecond = series / x.intervalSeconds;
  const signed = (n: number, digits = 0) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;
  return `${x.engine}: ${signed(series)} active series (${x.seriesBefore} → ${x.seriesAfter}), ${signed(perSecond, 1)} samples/s, ${signed(perSecond * REMOTE_WRITE_BYTES_PER_SAMPLE)} B/s on the wire (~${REMOTE_WRITE_BYTES_PER_SAMPLE} B a sample, metadata off)`;
}

/** How much of its series budget a federator would hold, in %: the head-series alert fires above 80. */
const share = (x: Rollout["series"][number]) => Math.round((100 * x.after) / x.budget);

/** The rollout in lines a reviewer reads: restarts, manual steps, series per tier (empty when none). */
export function describeRollout(r: Rollout): {
  restarts: string[];
  manual: string[];
  series: string[];
  /** With remote-write on: what the change costs at the engine. */
  engine?: string[];
  full: string[];
} {
  return {
    restarts: r.restarts.map((x) => `${x.federator} restarts its pods (pod template: ${x.what.join("; ")})`),
    manual: r.manual.map(
      (x) =>
        `${x.federator}: the StatefulSet's ${x.fields.join(", ")} cannot change in place, so the apply fails. Once merged, run kubectl -n <namespace> delete statefulset fleetfed-${x.federator} --cascade=orphan; Argo CD or Flux recreates it, and its pods and volumes stay`,
    ),
    series: r.series.map((x) => {
      // A federator that comes or goes brings or takes its own series (OWN_SERIES): said apart from the
      // clusters' and leaves', so that one new cluster on a new leaf does not read as 1,107 of its own.
      const own = (x.after > 0 ? OWN_SERIES : 0) - (x.before > 0 ? OWN_SERIES : 0);
      const federated = x.after - x.before - own;
      const signed = (n: number) => `${n >= 0 ? "+" : ""}${n}`;
      const parts = [
        `${signed(federated)} federated series`,
        ...(own !== 0 ? [`${signed(own)} of its own (${own > 0 ? "a new" : "a removed"} federator)`] : []),
      ];
      return `${x.federator}: ${parts.join(", ")} (${x.before} → ${x.after}; ${share(x)}% of its budget)`;
    }),
    ...(r.remoteWrite && { engine: [engineCost(r.remoteWrite)] }),
    full: r.series
      .filter((x) => share(x) > 80)
      .map(
        (x) =>
          `${x.federator} would hold ${share(x)}% of its series budget (FleetfedFederatorHeadSeriesNearBudget fires at 80%): raise federation.expectedSeriesPerCluster or lower shardSize`,
      ),
  };
}
