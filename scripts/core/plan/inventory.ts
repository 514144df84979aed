// Snapshot + clusters/*.yaml + settings → Inventory: every cluster to federate, with its effective
// endpoint, labels and scrape settings. Manual clusters, overrides and `enabled: false` are applied here.

import { type Duration, durationFromMs, timeoutExceedsInterval } from "../duration.ts";
import { type Problem, throwIfAny } from "../errors.ts";
import type { ClusterFile } from "../inputs/cluster-file.ts";
import type { DiscoveredCluster } from "../inputs/discovered-cluster.ts";
import type { EndpointAuth } from "../inputs/endpoint-auth.ts";
import type { Scheme, Settings } from "../inputs/settings.ts";
import { sortedBy, sortStrings } from "../order.ts";

export interface Cluster {
  id: string;
  endpoint: string;
  scheme: Scheme;
  /** User labels, sorted by name; never the cluster or federator label. */
  labels: readonly (readonly [string, string])[];
  scrapeInterval: Duration;
  scrapeTimeout: Duration;
  match: readonly string[];
  /** The cluster file's own sample_limit, when it sets one (core/render/sizing.ts has the default). */
  sampleLimit?: number;
  /** Panels and alerts the cluster file declares it does not feed. */
  notFeeding?: readonly string[];
  /** TLS and credentials: each of tls, basicAuth, authorization from the cluster file, else federation's. */
  auth: EndpointAuth;
  origin: "route53" | "manual";
  /** Leaf the cluster file pins it to, if any. */
  pin?: string;
  /** Where the pin is written, and whether the file says the leaf is meant to be new. */
  pinnedBy?: { file: string; line: number; newLeaf: boolean };
}

export interface Inventory {
  /** Clusters to federate, sorted by id. */
  clusters: readonly Cluster[];
  /** Clusters kept out with `enabled: false`, sorted. */
  disabled: readonly string[];
  /** Cluster files that name a cluster discovery does not list and give no endpoint: not federated. */
  unresolved: readonly Problem[];
  /** Clusters whose credentials go over plain http because a setting allows it: check says so every run. */
  credentialsOverHttp: readonly string[];
}

/**
 * A cluster file without an endpoint whose cluster discovery does not list is not federated: it is a
 * cluster Route 53 no longer knows (decommissioned, or not registered yet), and it must not block the
 * removal. It is reported in `unresolved` so every command can say so.
 * Long on purpose: the merge of discovery and cluster files, rule by rule, problems collected together.
 */
export function buildInventory(
  settings: Settings,
  discovered: readonly DiscoveredCluster[],
  files: readonly ClusterFile[],
): Inventory {
  const problems: Problem[] = [];
  const byId = new Map(files.map((f) => [f.cluster, f]));
  const ids = new Set([...discovered.map((d) => d.cluster), ...byId.keys()]);
  const found = new Map(discovered.map((d) => [d.cluster, d]));
  const clusters: Cluster[] = [];
  const disabled: string[] = [];
  const unresolved: Problem[] = [];
  const credentialsOverHttp: string[] = [];
  const fleetWide = new Map<string, { problem: Problem; clusters: string[] }>();
  const fed = settings.federation;

  for (const id of sortStrings([...ids])) {
    const file = byId.get(id);
    const d = found.get(id);
    if (file && !file.enabled) {
      disabled.push(id);
      continue;
    }
    const endpoint = file?.endpoint ?? d?.endpoint;
    if (endpoint === undefined) {
      unresolved.push({
        file: file?.file,
        line: 1,
        field: "endpoint",
        message: `cluster "${id}" is not in Route 53 and has no endpoint, so it is not federated`,
        hint: "add endpoint: <host>:<port> of its Prometheus to federate it by hand, or delete the file",
      });
      continue;
    }
    const scrapeInterval = file?.scrapeInterval ?? fed.scrapeInterval;
    // A longer interval keeps the default timeout; a shorter one caps it, so the override alone stays valid.
    const scrapeTimeout =
      file?.scrapeTimeout ??
      (fed.scrapeTimeout.ms <= scrapeInterval.ms ? fed.scrapeTimeout : durationFromMs(scrapeInterval.ms));
    const tooLong = timeoutExceedsInterval(scrapeTimeout, scrapeInterval);
    if (tooLong) {
      problems.push({ file: file?.file, field: "scrapeTimeout", ...tooLong });
      continue;
    }
    const scheme = file?.scheme ?? d?.scheme ?? settings.discovery.route53?.scheme ?? "http";
    const auth = effectiveAuth(fed, file?.auth);
    if (scheme === "http") {
      const transport = plainHttpProblems(auth, file, settings);
      for (const p of transport.own) problems.push(p);
      for (const p of transport.fleetWide) {
        const key = `${p.field} ${p.message}`;
        const entry = fleetWide.get(key) ?? { problem: p, clusters: [] };
        entry.clusters.push(id);
        fleetWide.set(key, entry);
      }
      if (transport.allowed) credentialsOverHttp.push(id);
    }
    clusters.push({
      id,
      endpoint,
      scheme,
      labels: sortedBy(Object.entries(file?.labels ?? {}), ([k]) => k),
      scrapeInterval,
      scrapeTimeout,
      match: file?.match ?? fed.match,
      ...(file?.sampleLimit !== undefined && { sampleLimit: file.sampleLimit }),
      ...(file?.notFeeding && { notFeeding: file.notFeeding }),
      auth,
      origin: d ? "route53" : "manual",
      ...(file?.leaf !== undefined && {
        pin: file.leaf,
        pinnedBy: { file: file.file, line: file.leafLine ?? 1, newLeaf: file.newLeaf },
      }),
    });
  }
  problems.push(...sharedEndpoints(clusters, byId));
  for (const { problem, clusters: ids } of fleetWide.values())
    problems.push({ ...problem, message: `${problem.message} (${countedIds(ids)})` });
  throwIfAny(problems);
  return { clusters, disabled, unresolved, credentialsOverHttp };
}

/**
 * Two clusters at one endpoint are one Prometheus federated under two ids: every series twice at the
 * top, under two names. Said at the file that set the endpoint (a cluster file), naming the other.
 */
function sharedEndpoints(clusters: readonly Cluster[], files: ReadonlyMap<string, ClusterFile>): Problem[] {
  const first = new Map<string, Cluster>();
  const problems: Problem[] = [];
  const where = (c: Cluster) => files.get(c.id)?.file ?? "fleet.snapshot.json (Route 53)";
  for (const c of clusters) {
    const key = `${c.scheme}://${c.endpoint.toLowerCase()}`;
    const other = first.get(key);
    if (!other) {
      first.set(key, c);
      continue;
    }
    // The one a person wrote is the one to change; else the later id.
    const [keep, blame] = files.get(c.id)?.endpoint !== undefined ? [other, c] : [c, other];
    const file = files.get(blame.id);
    problems.push({
      file: file?.file ?? "fleet.snapshot.json",
      line: file?.lineOf("endpoint"),
      field: "endpoint",
      message: `${blame.endpoint} is also cluster "${keep.id}"'s (${where(keep)}): one Prometheus would be federated under two ids, its series twice at the top`,
      hint: `give "${blame.id}" its own Prometheus's endpoint, or set enabled: false in the cluster file of the one that should not be federated`,
    });
  }
  return problems;
}

function countedIds(ids: readonly string[]): string {
  const shown = ids.slice(0, 3).join(", ");
  return ids.length === 1
    ? `cluster ${shown}`
    : `${ids.length} clusters: ${shown}${ids.length > 3 ? ", …" : ""}`;
}

/**
 * What is wrong with scraping a cluster over plain http with its TLS and credential settings: Prometheus
 * ignores tls_config over http (the settings would mean nothing), and would send basic auth or a bearer
 * token in clear to anyone on the path, unless a setting says, by that name, that this is meant. Problems
 * caused by fleet.yaml's settings alone are returned apart, to be reported once for all clusters.
 */
function plainHttpProblems(
  auth: EndpointAuth,
  file: ClusterFile | undefined,
  settings: Settings,
): { own: Problem[]; fleetWide: Problem[]; allowed: boolean } {
  const fed = settings.federation;
  const own: Problem[] = [];
  const fleetWide: Problem[] = [];
  const schemeFix =
    file?.scheme !== undefined
      ? "set scheme: https in the cluster file"
      : "set scheme: https in the cluster file, or discovery.route53.scheme: https for every discovered cluster";
  const where = (field: "tls" | "basicAuth" | "authorization") =>
    file?.auth[field] !== undefined
      ? { list: own, at: { file: file.file, line: file.lineOf(field), field } }
      : {
          list: fleetWide,
          at: { file: "fleet.yaml", line: fed.lines?.[field], field: `federation.${field}` },
        };
  if (auth.tls) {
    const { list, at } = where("tls");
    list.push({
      ...at,
      message: "is set, but the cluster is scraped over http, where Prometheus ignores tls_config",
      hint: schemeFix,
    });
  }
  const credential = auth.basicAuth ? "basicAuth" : auth.authorization ? "authorization" : undefined;
  const allowed = file?.allowCredentialsOverHttp === true || fed.allowCredentialsOverHttp;
  if (credential && !allowed) {
    const { list, at } = where(credential);
    list.push({
      ...at,
      message: "would be sent over plain http, where anyone on the path can read it",
      hint: `${schemeFix}; or, knowingly, allowCredentialsOverHttp: true (check then warns on every run)`,
    });
  }
  return { own, fleetWide, allowed: credential !== undefined && allowed };
}

function effectiveAuth(fed: EndpointAuth, own: EndpointAuth | undefined): EndpointAuth {
  const tls = own?.tls ?? fed.tls;
  const basicAuth = own?.basicAuth ?? (own?.authorization ? undefined : fed.basicAuth);
  const authorization = own?.authorization ?? (own?.basicAuth ? undefined : fed.authorization);
  return { ...(tls && { tls }), ...(basicAuth && { basicAuth }), ...(authorization && { authorization }) };
}
