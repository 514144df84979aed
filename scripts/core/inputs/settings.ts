// fleet.yaml → Settings: parsed once, defaults filled from the schema, cross-field rules checked here.

import fleetSchema from "../../schema/fleet.schema.json" with { type: "json" };
import { type Duration, parseDuration, timeoutExceedsInterval } from "../duration.ts";
import { type Problem, quote, throwIfAny } from "../errors.ts";
import { selectorProblem } from "../promql.ts";
import { compileRe2, lazyRe2, type Re2 } from "../re2.ts";
import { parseYaml, type YamlSource } from "../yaml.ts";
import {
  type AuthorizationSettings,
  authProblems,
  type BasicAuthSettings,
  type TlsSettings,
} from "./endpoint-auth.ts";
import { validateAgainstSchema } from "./schema.ts";

export type Scheme = "http" | "https";

export interface Route53Settings {
  /** Zone ids or names as written (normalised where zones are selected); empty means every private zone. */
  hostedZones: readonly string[];
  /** Compiled with RE2: linear time whatever the pattern. */
  recordPattern: Re2;
  /** The pattern as written, for working out the name a new cluster publishes (core/render/onboarding.ts). */
  recordPatternText: string;
  port: number;
  scheme: Scheme;
  /** Folder of `aws route53 list-resource-record-sets` exports, relative to the root; replaces the API. */
  exports?: string;
  requestsPerSecond: number;
  maxAttempts: number;
  /** Further accounts, each read through a role the sync role assumes. */
  accounts: readonly Route53Account[];
}

export interface Route53Account {
  roleArn: string;
  externalId?: string;
  /** Zone ids or names as written; empty means every private zone of that account. */
  hostedZones: readonly string[];
}

export interface FederationSettings {
  flavor: "plain" | "operator";
  scrapeInterval: Duration;
  scrapeTimeout: Duration;
  match: readonly string[];
  shardSize: number;
  /** Set: every cluster's sample_limit; unset: worked out from the model (core/render/sizing.ts). */
  sampleLimit?: number;
  /** Set: every federation scrape's body_size_limit; unset: 1 KiB per sample of its sample_limit. */
  bodySizeLimit?: string;
  namespace: string;
  image: string;
  retention: Duration;
  storage: string;
  /** Kubernetes Secrets mounted into every federator at SECRETS_DIR/<name>/. */
  secrets: readonly string[];
  tls?: TlsSettings;
  basicAuth?: BasicAuthSettings;
  authorization?: AuthorizationSettings;
  /** Credentials may go to clusters scraped over plain http: explicit, and warned about by check. */
  allowCredentialsOverHttp: boolean;
  /** Lines in fleet.yaml of settings that later stages' messages name (credentials, sizing). */
  lines?: { tls?: number; basicAuth?: number; authorization?: number; shardSize?: number };
  replicas: number;
  expectedSeriesPerCluster?: number;
  namespacesPerCluster: number;
  resources: { leaf?: ResourceOverride; global?: ResourceOverride };
  storageClassName?: string;
  retentionSize?: string;
  nodeSelector: Readonly<Record<string, string>>;
  tolerations: readonly Readonly<Record<string, string | number>>[];
  priorityClassName?: string;
  leafRetention: string;
  leafStorage: string;
  networkPolicy: {
    enabled: boolean;
    from: readonly { namespaceSelector?: LabelSelector; podSelector?: LabelSelector }[];
    egress: { enabled: boolean };
  };
  serviceMonitor: { enabled: boolean; labels: Readonly<Record<string, string>> };
  reloaderImage: string;
}

export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
}

export interface ResourceOverride {
  cpu?: string;
  memory?: string;
}

export interface DeliverySettings {
  repoURL: string;
  targetRevision: string;
  argocd: { enabled: boolean; namespace: string; project: string; server: string };
  flux: { enabled: boolean; namespace: string; interval: string; secretRef?: string };
  clusterRules: {
    enabled: boolean;
    namespace: string;
    selector: Readonly<Record<string, string>>;
    kubeConfigSecrets: readonly string[];
  };
}

export interface ClusterRulesSettings {
  interval: string;
  jobs: { nodeExporter: string; kubeStateMetrics: string; kubelet: string };
  labels: Readonly<Record<string, string>>;
}

export interface OnboardingSettings {
  namespace: string;
  prometheus: string;
  recordName?: string;
  serviceAnnotations: Readonly<Record<string, string>>;
}

export type RemoteWriteEngine = "mimir" | "thanos-receive" | "victoriametrics" | "prometheus";

/** Remote-write delivery (core/render/remote-write.ts): present only when engine and url are set. */
export interface RemoteWriteSettings {
  engine: RemoteWriteEngine;
  /** Base URLs, without a trailing slash. */
  url: string;
  queryUrl: string;
  tenant?: string;
  replicaLabel: string;
  notSendingFor: string;
  auth?: { secret: string; usernameKey?: string; passwordKey?: string; bearerTokenKey?: string };
}

export interface Settings {
  /** resendDelay: a Prometheus duration, passed as --rules.alert.resend-delay to the top federator. */
  alerting: { alertmanagers: readonly string[]; resendDelay: string; runbookBaseUrl?: string };
  clusterLabel: string;
  clusterRules: ClusterRulesSettings;
  onboarding: OnboardingSettings;
  remoteWrite?: RemoteWriteSettings;
  discovery: { route53?: Route53Settings };
  federation: FederationSettings;
  pullRequest: { base: string; branch: string; labels: readonly string[] };
  safety: { maxRemovals: number };
  delivery: DeliverySettings;
}

/** Label names fleetfed sets itself; users may not set them through `labels:`. */
export const FEDERATOR_LABEL = "federator";

/**
 * Label names that already mean something on every federated series: Prometheus sets `job` and
 * `instance` on every target (alerts, dashboards and the global's match select by job), and `le` and
 * `quantile` are histogram and summary buckets. Neither the cluster label nor a user label may be one.
 */
export const RESERVED_LABELS: ReadonlySet<string> = new Set([
  "job",
  "instance",
  "le",
  "quantile",
  FEDERATOR_LABEL,
]);

/** Why `name` may not be set by fleet.yaml or a cluster file, or undefined when it may. */
export function reservedLabel(name: string): string | undefined {
  if (name.startsWith("__")) return "names starting with __ are internal to Prometheus";
  if (name === FEDERATOR_LABEL) return `fleetfed sets ${FEDERATOR_LABEL} on every series itself`;
  if (RESERVED_LABELS.has(name)) return `Prometheus already uses ${name} on every series`;
  return undefined;
}

interface RawSettings {
  alerting: Settings["alerting"];
  clusterLabel: string;
  clusterRules: ClusterRulesSettings;
  onboarding: OnboardingSettings;
  remoteWrite: Partial<RemoteWriteSettings> & { replicaLabel: string; notSendingFor: string };
  discovery: {
    route53?: Omit<Route53Settings, "recordPattern" | "recordPatternText"> & { recordPattern: string };
  };
  federation: Omit<FederationSettings, "scrapeInterval" | "scrapeTimeout" | "retention"> & {
    scrapeInterval: string;
    scrapeTimeout: string;
    retention: string;
  };
  pullRequest: Settings["pullRequest"];
  safety: Settings["safety"];
  delivery: DeliverySettings;
}

/** Long on purpose: every cross-field rule of fleet.yaml in one list, so the problems come out together. */
export function parseSettings(text: string, file: string): Settings {
  const { source, problems } = parseYaml(text, file);
  throwIfAny(problems);
  const src: YamlSource = { ...(source as YamlSource), value: (source as YamlSource).value ?? {} };
  throwIfAny(validateAgainstSchema(src, "fleet"));
  const raw = src.value as RawSettings;
  const issues: Problem[] = [];
  const at = (path: (string | number)[], message: string, hint?: string) =>
    issues.push({ file, ...src.locate(path), field: path.join("."), message, hint });

  const reserved = reservedLabel(raw.clusterLabel);
  if (reserved) {
    at(
      ["clusterLabel"],
      `${quote(raw.clusterLabel)} is reserved: ${reserved}`,
      "choose another label name, e.g. cluster",
    );
  }
  const f = raw.federation;
  const interval = parseDuration(f.scrapeInterval) as Duration;
  const timeout = parseDuration(f.scrapeTimeout) as Duration;
  if (interval.ms === 0) at(["federation", "scrapeInterval"], "must be longer than 0s");
  const tooLong = timeoutExceedsInterval(timeout, interval);
  if (tooLong) at(["federation", "scrapeTimeout"], tooLong.message, tooLong.hint);

  raw.federation.match.forEach((selector, i) => {
    const problem = selectorProblem(selector);
    if (problem) at(["federation", "match", i], `${quote(selector)} ${problem}`, SELECTOR_HINT);
  });

  issues.push(
    ...authProblems(f, f.secrets, f.flavor, (field) => ({
      file,
      ...src.locate(["federation", ...field.split(".")]),
      field: `federation.${field}`,
    })),
  );
  raw.alerting.alertmanagers.forEach((text, i) => {
    const problem = alertmanagerProblem(text, f.flavor);
    if (problem) at(["alerting", "alertmanagers", i], problem.message, problem.hint);
  });
  const { base, branch } = raw.pullRequest;
  if (branch === base || branch === raw.delivery.targetRevision)
    at(
      ["pullRequest", "branch"],
      `"${branch}" is the branch ${branch === base ? "the pull request merges into (pullRequest.base)" : "Argo CD or Flux applies (delivery.targetRevision)"}: sync would push unreviewed changes onto it, and delete it once they are merged`,
      "give the bot a branch of its own, e.g. branch: fleetfed/sync",
    );
  let route53: Route53Settings | undefined;
  if (raw.discovery.route53) {
    const r = raw.discovery.route53;
    const recordPattern = compileRecordPattern(r.recordPattern, (message, hint) =>
      at(["discovery", "route53", "recordPattern"], message, hint),
    );
    route53 = {
      hostedZones: r.hostedZones,
      recordPattern: recordPattern ?? { test: () => false, exec: () => null },
      recordPatternText: r.recordPattern,
      port: r.port,
      scheme: r.scheme,
      requestsPerSecond: r.requestsPerSecond,
      maxAttempts: r.maxAttempts,
      accounts: r.accounts,
      ...(r.exports ? { exports: r.exports } : {}),
    };
  }
  const remoteWrite = remoteWriteOf(raw.remoteWrite, at);
  throwIfAny(issues);
  return {
    ...(remoteWrite && { remoteWrite }),
    alerting: raw.alerting,
    clusterLabel: raw.clusterLabel,
    clusterRules: raw.clusterRules,
    onboarding: raw.onboarding,
    discovery: route53 ? { route53 } : {},
    federation: {
      ...f,
      lines: Object.fromEntries(
        (["tls", "basicAuth", "authorization", "shardSize"] as const)
          // Where a setting is not written (a default), its nearest written parent's line.
          .filter((k) => f[k] !== undefined)
          .map((k) => [k, src.locate(["federation", k], { key: true }).line]),
      ),
      scrapeInterval: interval,
      scrapeTimeout: timeout,
      retention: parseDuration(f.retention) as Duration,
    },
    pullRequest: raw.pullRequest,
    safety: raw.safety,
    delivery: raw.delivery,
  };
}

/** A Kubernetes Service by name, or by name and namespace under .svc: what the operator can reference. */
const SERVICE_HOST =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.cluster\.local)?)?$/;

/**
 * Why an Alertmanager URL cannot be used: a port no TCP port has (the schema's pattern lets five digits
 * through), or, in the operator flavour, a host that is no Service name (its Prometheus finds
 * Alertmanagers as Service and namespace, so am.example.com would become Service "am" in "example").
 */
function alertmanagerProblem(
  text: string,
  flavor: "plain" | "operator",
): { message: string; hint: string } | undefined {
  const port = /^https?:\/\/[^/:]+:(\d+)/.exec(text)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    return {
      message: `port ${port} is not a TCP port`,
      hint: "use a port from 1 to 65535, e.g. http://alertmanager-operated.monitoring.svc:9093",
    };
  let host: string;
  try {
    host = new URL(text).hostname;
  } catch {
    return {
      message: "is not a URL",
      hint: "write it as http://<host>:<port>, e.g. http://alertmanager-operated.monitoring.svc:9093",
    };
  }
  if (flavor === "operator" && !SERVICE_HOST.test(host))
    return {
      message: `${host} is not a Kubernetes Service: the operator's Prometheus reaches Alertmanagers by Service and namespace`,
      hint: "write it as http://<service>.<namespace>.svc:<port>, e.g. http://alertmanager-operated.monitoring.svc:9093, or use flavor: plain for an Alertmanager outside the cluster",
    };
  return undefined;
}

export const SELECTOR_HINT =
  'fix it, e.g. {__name__=~"(cluster|namespace):.*"}: one bad selector fails every /federate scrape that carries it';

/**
 * remoteWrite as the renderers read it, or undefined while it is off (no engine and no url). The rules
 * the schema cannot say: both or neither of engine and url; each engine's tenant; credentials over https
 * only, and one kind of them.
 * Long on purpose: every cross-field rule of remoteWrite in one list, so the problems come out together.
 */
function remoteWriteOf(
  raw: RawSettings["remoteWrite"],
  at: (path: (string | number)[], message: string, hint?: string) => void,
): RemoteWriteSettings | undefined {
  const { engine, url, tenant, auth } = raw;
  if (engine === undefined && url === undefined) return undefined;
  if (engine === undefined || url === undefined) {
    at(
      ["remoteWrite", engine === undefined ? "url" : "engine"],
      `is set without remoteWrite.${engine === undefined ? "engine" : "url"}`,
      "set both the engine and its url, or neither (remote-write stays off)",
    );
    return undefined;
  }
  if (engine === "mimir" && tenant === undefined)
    at(
      ["remoteWrite", "engine"],
      "mimir needs remoteWrite.tenant: Mimir refuses a write without X-Scope-OrgID",
      "set tenant to the Mimir tenant the fleet writes as, e.g. tenant: fleet",
    );
  if (engine === "prometheus" && tenant !== undefined)
    at(
      ["remoteWrite", "tenant"],
      "a Prometheus receiver has no tenants",
      "remove tenant, or choose an engine that has them",
    );
  if (engine === "victoriametrics" && tenant !== undefined && !/^\d{1,10}(:\d{1,10})?$/.test(tenant))
    at(
      ["remoteWrite", "tenant"],
      `"${tenant}" is not a VictoriaMetrics cluster tenant`,
      "write accountID or accountID:projectID, digits only, e.g. tenant: '42'",
    );
  if (auth) {
    const basic = auth.usernameKey !== undefined || auth.passwordKey !== undefined;
    if (basic && auth.bearerTokenKey !== undefined)
      at(
        ["remoteWrite", "auth"],
        "sets both basic auth and a bearer token",
        "keep one: usernameKey and passwordKey, or bearerTokenKey",
      );
    else if (basic && (auth.usernameKey === undefined || auth.passwordKey === undefined))
      at(
        ["remoteWrite", "auth"],
        "basic auth needs both usernameKey and passwordKey",
        "name both keys of the Secret",
      );
    else if (!basic && auth.bearerTokenKey === undefined)
      at(
        ["remoteWrite", "auth"],
        "names a Secret but no key in it",
        "set usernameKey and passwordKey, or bearerTokenKey",
      );
    if (url.startsWith("http://"))
      at(
        ["remoteWrite", "url"],
        "sends credentials over plain http: anyone on the path can read them",
        "use the engine's https URL",
      );
  }
  const trim = (u: string) => u.replace(/\/+$/, "");
  return {
    engine,
    url: trim(url),
    queryUrl: trim(raw.queryUrl ?? url),
    ...(tenant !== undefined && { tenant }),
    replicaLabel: raw.replicaLabel,
    notSendingFor: raw.notSendingFor,
    ...(auth && { auth }),
  };
}

/** The repoURL fleet.yaml defaults to (and init writes when none is given): clones nothing. */
export const PLACEHOLDER_REPO_URL: string = fleetSchema.properties.delivery.properties.repoURL.default;

/** A warning while delivery.repoURL is still the placeholder: Argo CD and Flux would clone nothing. */
export function placeholderProblems(settings: Settings): Problem[] {
  if (settings.delivery.repoURL !== PLACEHOLDER_REPO_URL) return [];
  return [
    {
      file: "fleet.yaml",
      field: "delivery.repoURL",
      message: `is the placeholder ${PLACEHOLDER_REPO_URL}: Argo CD and Flux would clone nothing`,
      hint: "set it to this repository's URL (fleetfed init --force --repo-url <url> edits it)",
    },
  ];
}

/** The shipped default record pattern, valid (test/coverage.test.ts proves it): compiled only when used. */
export const DEFAULT_RECORD_PATTERN: string =
  fleetSchema.properties.discovery.properties.route53.properties.recordPattern.default;

function compileRecordPattern(
  pattern: string,
  report: (message: string, hint: string) => void,
): Re2 | undefined {
  if (pattern === DEFAULT_RECORD_PATTERN) return lazyRe2(pattern);
  const re = compileRe2(pattern);
  if ("error" in re) {
    report(
      `is not a valid RE2 regular expression: ${re.error}`,
      "fix the regular expression (RE2 syntax, as Prometheus uses; no backreferences or lookarounds)",
    );
    return undefined;
  }
  if (!/\(\?P?<cluster>/.test(pattern)) {
    report(
      "has no named group (?<cluster>…)",
      "capture the cluster id with a named group, e.g. ^prometheus\\.(?<cluster>[a-z0-9-]+)\\.",
    );
    return undefined;
  }
  return re;
}
