// fleet.yaml → Settings: parsed once, defaults filled from the schema, cross-field rules checked here.

import { type Duration, parseDuration, timeoutExceedsInterval } from "../duration.ts";
import { type Problem, throwIfAny } from "../errors.ts";
import { parseYaml, type YamlSource } from "../yaml.ts";
import { validateAgainstSchema } from "./schema.ts";

export type Scheme = "http" | "https";

export interface Route53Settings {
  /** Zone ids or names as written (normalised where zones are selected); empty means every private zone. */
  hostedZones: readonly string[];
  recordPattern: RegExp;
  port: number;
  scheme: Scheme;
  /** Folder of `aws route53 list-resource-record-sets` exports, relative to the root; replaces the API. */
  exports?: string;
  requestsPerSecond: number;
  maxAttempts: number;
}

export interface FederationSettings {
  flavor: "plain" | "operator";
  scrapeInterval: Duration;
  scrapeTimeout: Duration;
  match: readonly string[];
  shardSize: number;
  sampleLimit: number;
  bodySizeLimit: string;
  namespace: string;
  image: string;
  retention: Duration;
  storage: string;
}

export interface DeliverySettings {
  repoURL: string;
  targetRevision: string;
  argocd: { enabled: boolean; namespace: string; project: string };
  flux: { enabled: boolean; namespace: string; interval: string };
}

export interface Settings {
  clusterLabel: string;
  discovery: { route53?: Route53Settings };
  federation: FederationSettings;
  pullRequest: { base: string; branch: string; labels: readonly string[] };
  safety: { maxRemovals: number };
  delivery: DeliverySettings;
}

/** Label names fleetfed sets itself; users may not set them through `labels:`. */
export const FEDERATOR_LABEL = "federator";

interface RawSettings {
  clusterLabel: string;
  discovery: { route53?: Omit<Route53Settings, "recordPattern"> & { recordPattern: string } };
  federation: Omit<FederationSettings, "scrapeInterval" | "scrapeTimeout" | "retention"> & {
    scrapeInterval: string;
    scrapeTimeout: string;
    retention: string;
  };
  pullRequest: Settings["pullRequest"];
  safety: Settings["safety"];
  delivery: DeliverySettings;
}

export function parseSettings(text: string, file: string): Settings {
  const { source, problems } = parseYaml(text, file);
  throwIfAny(problems);
  const src: YamlSource = { ...(source as YamlSource), value: (source as YamlSource).value ?? {} };
  throwIfAny(validateAgainstSchema(src, "fleet"));
  const raw = src.value as RawSettings;
  const issues: Problem[] = [];
  const at = (path: string[], message: string, hint?: string) =>
    issues.push({ file, ...src.locate(path), field: path.join("."), message, hint });

  if (raw.clusterLabel.startsWith("__") || raw.clusterLabel === FEDERATOR_LABEL) {
    at(["clusterLabel"], `"${raw.clusterLabel}" is reserved`, "choose another label name, e.g. cluster");
  }
  const f = raw.federation;
  const interval = parseDuration(f.scrapeInterval) as Duration;
  const timeout = parseDuration(f.scrapeTimeout) as Duration;
  if (interval.ms === 0) at(["federation", "scrapeInterval"], "must be longer than 0s");
  const tooLong = timeoutExceedsInterval(timeout, interval);
  if (tooLong) at(["federation", "scrapeTimeout"], tooLong.message, tooLong.hint);

  let route53: Route53Settings | undefined;
  if (raw.discovery.route53) {
    const r = raw.discovery.route53;
    const recordPattern = compileRecordPattern(r.recordPattern, (message, hint) =>
      at(["discovery", "route53", "recordPattern"], message, hint),
    );
    route53 = {
      hostedZones: r.hostedZones,
      recordPattern: recordPattern ?? /$^/,
      port: r.port,
      scheme: r.scheme,
      requestsPerSecond: r.requestsPerSecond,
      maxAttempts: r.maxAttempts,
      ...(r.exports ? { exports: r.exports } : {}),
    };
  }
  throwIfAny(issues);
  return {
    clusterLabel: raw.clusterLabel,
    discovery: route53 ? { route53 } : {},
    federation: {
      ...f,
      scrapeInterval: interval,
      scrapeTimeout: timeout,
      retention: parseDuration(f.retention) as Duration,
    },
    pullRequest: raw.pullRequest,
    safety: raw.safety,
    delivery: raw.delivery,
  };
}

function compileRecordPattern(
  pattern: string,
  report: (message: string, hint: string) => void,
): RegExp | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    report(`is not a valid regular expression: ${(e as Error).message}`, "fix the regular expression");
    return undefined;
  }
  if (!/\(\?<cluster>/.test(pattern)) {
    report(
      "has no named group (?<cluster>…)",
      "capture the cluster id with a named group, e.g. ^prometheus\\.(?<cluster>[a-z0-9-]+)\\.",
    );
    return undefined;
  }
  return re;
}
