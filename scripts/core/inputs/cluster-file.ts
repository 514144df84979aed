// clusters/<cluster>.yaml → ClusterFile: the human-owned facts about one cluster.

import clusterSchema from "../../schema/cluster.schema.json" with { type: "json" };
import { type Duration, parseDuration, timeoutExceedsInterval } from "../duration.ts";
import { type Problem, quote, throwIfAny } from "../errors.ts";
import { selectorProblem } from "../promql.ts";
import { parseYaml, type YamlSource } from "../yaml.ts";
import {
  type AuthorizationSettings,
  authProblems,
  type BasicAuthSettings,
  type EndpointAuth,
  type TlsSettings,
} from "./endpoint-auth.ts";
import { validateAgainstSchema } from "./schema.ts";
import { reservedLabel, type Scheme, SELECTOR_HINT } from "./settings.ts";

export interface ClusterFile {
  cluster: string;
  /** Path of the file relative to the root, for messages. */
  file: string;
  endpoint?: string;
  scheme?: Scheme;
  labels: Readonly<Record<string, string>>;
  scrapeInterval?: Duration;
  scrapeTimeout?: Duration;
  match?: readonly string[];
  sampleLimit?: number;
  /** The file allows this cluster's credentials over plain http (check warns on every run). */
  allowCredentialsOverHttp: boolean;
  /**
   * The line of a field that says where and how to reach the cluster, for a message about it; worked
   * out only when asked (positions take a second parse, which 10,000 files must not pay for nothing).
   */
  lineOf: (
    field: "endpoint" | "scheme" | "tls" | "basicAuth" | "authorization" | "match",
  ) => number | undefined;
  /** Panels and alerts this cluster does not feed, declared (coverage exemptions). */
  notFeeding?: readonly string[];
  enabled: boolean;
  /** The leaf the file pins the cluster to, and the line that says so. */
  leaf?: string;
  leafLine?: number;
  /** The file says the pinned leaf is meant to be new. */
  newLeaf: boolean;
  /** How to reach this cluster's Prometheus, where the file overrides federation's. */
  auth: EndpointAuth;
}

interface RawClusterFile {
  cluster: string;
  endpoint?: string;
  scheme?: Scheme;
  labels?: Record<string, string>;
  scrapeInterval?: string;
  scrapeTimeout?: string;
  match?: string[];
  sampleLimit?: number;
  allowCredentialsOverHttp?: boolean;
  notFeeding?: string[];
  enabled: boolean;
  leaf?: string;
  newLeaf: boolean;
  tls?: TlsSettings;
  basicAuth?: BasicAuthSettings;
  authorization?: AuthorizationSettings;
}

/** A cluster id: the schema's own `cluster` pattern. */
export const CLUSTER_ID = new RegExp(clusterSchema.properties.cluster.pattern);

/**
 * Parses one cluster file. `expectedId` is the file name without its extension; `clusterLabel` is
 * reserved because fleetfed sets it on every target itself.
 *
 * Long on purpose: every field's rule beside the next, in the order the schema lists them, each problem
 * pinned to its line; split up, the rules would hide from one another.
 */
export function parseClusterFile(
  text: string,
  {
    file,
    expectedId,
    clusterLabel,
    federation = { secrets: [], flavor: "plain" },
    taken = () => false,
  }: {
    file: string;
    expectedId: string;
    clusterLabel: string;
    federation?: { secrets: readonly string[]; flavor: "plain" | "operator" };
    /** Whether another cluster file already has this file name (case aside): a rename there would clash. */
    taken?: (fileName: string) => boolean;
  },
): ClusterFile {
  const { source, problems } = parseYaml(text, file);
  throwIfAny(problems);
  const src = source as YamlSource;
  throwIfAny(validateAgainstSchema(src, "cluster"));
  const raw = src.value as RawClusterFile;
  const issues: Problem[] = [];
  const at = (path: (string | number)[], message: string, hint?: string, key = false) =>
    issues.push({ file, ...src.locate(path, { key }), field: path.join("."), message, hint });

  if (raw.cluster !== expectedId) {
    // Only fixes that work: never a rename onto another cluster file's name (case aside, as a
    // case-insensitive file system sees it), never an id a file name cannot be.
    const target = `${raw.cluster}.yaml`;
    const fixes = [
      taken(target)
        ? `merge it into clusters/${target}, which exists, and delete this file`
        : `rename the file to ${target}`,
      ...(CLUSTER_ID.test(expectedId) && !taken(`${expectedId}.yaml`) ? [`set cluster: ${expectedId}`] : []),
    ];
    const note = CLUSTER_ID.test(expectedId)
      ? ""
      : ` (a cluster id is lower case: ${quote(expectedId)} cannot be one)`;
    at(
      ["cluster"],
      `${quote(raw.cluster)} differs from the file name ${quote(expectedId)}`,
      `${fixes.join(", or ")}${note}`,
    );
  }
  for (const name of Object.keys(raw.labels ?? {})) {
    const reserved =
      name === clusterLabel
        ? `fleetfed sets ${clusterLabel} to the cluster's id itself`
        : reservedLabel(name);
    if (reserved)
      at(["labels", name], `label ${quote(name)} is reserved: ${reserved}`, "remove it or rename it", true);
  }
  (raw.match ?? []).forEach((selector, i) => {
    const problem = selectorProblem(selector);
    if (problem) at(["match", i], `${quote(selector)} ${problem}`, SELECTOR_HINT);
  });
  if (raw.endpoint !== undefined) {
    const port = Number(raw.endpoint.slice(raw.endpoint.lastIndexOf(":") + 1));
    if (port < 1 || port > 65535)
      at(["endpoint"], `port ${port} is out of range`, "use a port from 1 to 65535");
  }
  const interval =
    raw.scrapeInterval === undefined ? undefined : (parseDuration(raw.scrapeInterval) as Duration);
  const timeout =
    raw.scrapeTimeout === undefined ? undefined : (parseDuration(raw.scrapeTimeout) as Duration);
  if (interval?.ms === 0) at(["scrapeInterval"], "must be longer than 0s");
  const port = raw.endpoint === undefined ? undefined : Number(/:(\d+)$/.exec(raw.endpoint)?.[1]);
  if (port !== undefined && (port < 1 || port > 65535))
    at(
      ["endpoint"],
      `port ${port} is not a TCP port`,
      "use a port from 1 to 65535, e.g. prometheus.cluster1.example.com:9090",
    );
  const tooLong = interval && timeout && timeoutExceedsInterval(timeout, interval);
  if (tooLong) at(["scrapeTimeout"], tooLong.message, tooLong.hint);
  const auth: EndpointAuth = {
    ...(raw.tls && { tls: raw.tls }),
    ...(raw.basicAuth && { basicAuth: raw.basicAuth }),
    ...(raw.authorization && { authorization: raw.authorization }),
  };
  issues.push(
    ...authProblems(auth, federation.secrets, federation.flavor, (field) => ({
      file,
      ...src.locate(field.split(".")),
      field,
    })),
  );
  throwIfAny(issues);
  return {
    cluster: raw.cluster,
    auth,
    file,
    ...(raw.endpoint !== undefined && { endpoint: raw.endpoint }),
    ...(raw.scheme !== undefined && { scheme: raw.scheme }),
    labels: raw.labels ?? {},
    ...(interval && { scrapeInterval: interval }),
    ...(timeout && { scrapeTimeout: timeout }),
    ...(raw.match && { match: raw.match }),
    ...(raw.sampleLimit !== undefined && { sampleLimit: raw.sampleLimit }),
    allowCredentialsOverHttp: raw.allowCredentialsOverHttp === true,
    lineOf: (field) => (raw[field] === undefined ? undefined : src.locate([field], { key: true }).line),
    ...(raw.notFeeding && { notFeeding: raw.notFeeding }),
    enabled: raw.enabled,
    ...(raw.leaf !== undefined && { leaf: raw.leaf, leafLine: src.locate(["leaf"]).line }),
    newLeaf: raw.newLeaf,
  };
}
