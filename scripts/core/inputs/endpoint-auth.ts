// How a federator authenticates to a cluster's Prometheus: TLS, basic auth, an Authorization header,
// named after Prometheus's own tls_config, basic_auth and authorization. Credentials are only ever file
// paths inside the federator (Kubernetes Secrets mounted from federation.secrets), never values in
// manifests/. Set fleet-wide under `federation` and per cluster file, where each of the three replaces
// the fleet-wide one.

import type { Problem } from "../errors.ts";

export interface TlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
}

export interface BasicAuthSettings {
  username?: string;
  usernameFile?: string;
  passwordFile: string;
}

export interface AuthorizationSettings {
  type: string;
  credentialsFile: string;
}

export interface EndpointAuth {
  tls?: TlsSettings;
  basicAuth?: BasicAuthSettings;
  authorization?: AuthorizationSettings;
}

/**
 * Fields whose value may be a credential (or one typed by mistake where its path belongs): no message
 * ever quotes their value.
 */
const CREDENTIAL_FIELDS = new Set([
  "username",
  "usernameFile",
  "password",
  "passwordFile",
  "credentials",
  "credentialsFile",
  "certFile",
  "keyFile",
  "caFile",
]);

export function isCredentialField(field: string | number | undefined): boolean {
  return typeof field === "string" && CREDENTIAL_FIELDS.has(field);
}

/** Where federation.secrets are mounted in every federator. */
export const SECRETS_DIR = "/etc/fleetfed/secrets";

/**
 * A Secret fleetfed can mount: its volume is named `secret-<name>`, and a volume name is a DNS label of at
 * most 63 characters, so the name is a DNS label of at most 56. The schemas' pattern is this one
 * (test/surfaces.test.ts holds them to it).
 */
export const SECRET_NAME = "[a-z0-9]([-a-z0-9]{0,54}[a-z0-9])?";
/** A key of a Secret: one path segment, never `.` or `..`. */
const SECRET_KEY = "(?!\\.\\.?$)[-._a-zA-Z0-9]+";
const SECRET_FILE = new RegExp(`^${SECRETS_DIR}/(${SECRET_NAME})/(${SECRET_KEY})$`);

/** The Secret and key a mounted file comes from, when the path is exactly SECRETS_DIR/<name>/<key>. */
export function secretOf(path: string): { name: string; key: string } | undefined {
  const m = SECRET_FILE.exec(path);
  return m ? { name: m[1] as string, key: m[3] as string } : undefined;
}

/** Where Kubernetes mounts a pod's own service-account token and secrets: never sent to a cluster. */
const POD_SECRETS = ["/var/run/secrets/", "/run/secrets/"];

/**
 * Why a credential path cannot be used, or undefined when it can. Paths are taken literally, never
 * normalised into something else: `//`, `.` and `..` segments are refused outright, so
 * `…/listed/../unlisted/p` cannot pass as a file of a listed Secret, nor `…/listed/../../../var/run/…`
 * send the federator's own service-account token to every cluster.
 */
function pathProblem(path: string, secrets: readonly string[]): Omit<Problem, "file"> | undefined {
  const segments = path.split("/").slice(1);
  if (!path.startsWith("/") || segments.some((s) => s === "" || s === "." || s === ".."))
    return {
      message: "is not a plain absolute path: it has an empty, `.` or `..` segment",
      hint: `write the file's path as it is, e.g. ${SECRETS_DIR}/<secret>/<key>`,
    };
  if (POD_SECRETS.some((dir) => path.startsWith(dir)))
    return {
      message: `is under ${path.startsWith("/run") ? "/run/secrets" : "/var/run/secrets"}, the federator's own credentials; fleetfed never sends them to a cluster`,
      hint: `put the credential in a Secret, list it in federation.secrets and use ${SECRETS_DIR}/<secret>/<key>`,
    };
  // A federator's file system holds its image and the Secrets it mounts: any other path passes check and
  // fails in the pod (or, worse, names a file of the image, such as its CA bundle).
  if (!path.startsWith(`${SECRETS_DIR}/`))
    return {
      message: `is outside ${SECRETS_DIR}, where the federators mount the Secrets federation.secrets lists: no federator has this file`,
      hint: `put it in a Secret, list the Secret in federation.secrets and use ${SECRETS_DIR}/<secret>/<key>`,
    };
  const secret = secretOf(path);
  if (!secret)
    return {
      message: `is under ${SECRETS_DIR} but is not <secret>/<key> with a Secret name of at most 56 lower-case letters, digits and dashes`,
      hint: `use ${SECRETS_DIR}/<secret>/<key>, one folder for the Secret and its key`,
    };
  if (!secrets.includes(secret.name))
    return {
      message: `is in Secret ${secret.name}, which federation.secrets does not mount`,
      hint: `add ${secret.name} to federation.secrets`,
    };
  return undefined;
}

/** Every file an EndpointAuth names, with the field that names it. */
export function authFiles(auth: EndpointAuth): { field: string; path: string }[] {
  const files: { field: string; path: string }[] = [];
  const add = (field: string, path: string | undefined) => {
    if (path !== undefined) files.push({ field, path });
  };
  add("tls.caFile", auth.tls?.caFile);
  add("tls.certFile", auth.tls?.certFile);
  add("tls.keyFile", auth.tls?.keyFile);
  add("basicAuth.usernameFile", auth.basicAuth?.usernameFile);
  add("basicAuth.passwordFile", auth.basicAuth?.passwordFile);
  add("authorization.credentialsFile", auth.authorization?.credentialsFile);
  return files;
}

/**
 * What is wrong with one EndpointAuth as a whole: Prometheus refuses basic auth beside an Authorization
 * header, a certificate without its key, and a user named twice; every file must be a key of a Secret
 * that federation.secrets mounts, the only credentials a federator has (and all the operator's
 * ScrapeConfig can reference).
 */
export function authProblems(
  auth: EndpointAuth,
  secrets: readonly string[],
  flavor: "plain" | "operator",
  at: (field: string) => Omit<Problem, "message">,
): Problem[] {
  const problems: Problem[] = [];
  if (auth.basicAuth && auth.authorization)
    problems.push({
      ...at("authorization"),
      message: "cannot be combined with basicAuth",
      hint: "use one of them",
    });
  if (
    auth.basicAuth &&
    (auth.basicAuth.username === undefined) === (auth.basicAuth.usernameFile === undefined)
  )
    problems.push({ ...at("basicAuth"), message: "needs exactly one of username and usernameFile" });
  if (auth.tls && (auth.tls.certFile === undefined) !== (auth.tls.keyFile === undefined))
    problems.push({
      ...at("tls"),
      message: "certFile and keyFile go together",
      hint: "set both, or neither",
    });
  if (flavor === "operator" && auth.basicAuth?.username !== undefined)
    problems.push({
      ...at("basicAuth.username"),
      message: "the operator's ScrapeConfig reads the user name from a Secret",
      hint: `use usernameFile: ${SECRETS_DIR}/<secret>/<key>`,
    });
  if (auth.authorization && auth.authorization.type.toLowerCase() === "basic")
    problems.push({
      ...at("authorization.type"),
      message: 'cannot be Basic: Prometheus refuses it ("use basic_auth instead")',
      hint: "use basicAuth with usernameFile and passwordFile instead of authorization",
    });
  for (const { field, path } of authFiles(auth)) {
    const wrong = pathProblem(path, secrets);
    if (wrong) problems.push({ ...at(field), ...wrong });
  }
  return problems;
}

/** The same settings as Prometheus's configuration names them (tls_config, basic_auth, authorization). */
export interface PrometheusAuth {
  tls_config?: {
    ca_file?: string;
    cert_file?: string;
    key_file?: string;
    server_name?: string;
    insecure_skip_verify?: boolean;
  };
  basic_auth?: { username?: string; username_file?: string; password_file: string };
  authorization?: { type: string; credentials_file: string };
}

/** Each setting and its name in Prometheus's configuration: the one table both directions read. */
const NAMES = [
  [
    "tls",
    "tls_config",
    {
      caFile: "ca_file",
      certFile: "cert_file",
      keyFile: "key_file",
      serverName: "server_name",
      insecureSkipVerify: "insecure_skip_verify",
    },
  ],
  [
    "basicAuth",
    "basic_auth",
    { username: "username", usernameFile: "username_file", passwordFile: "password_file" },
  ],
  ["authorization", "authorization", { type: "type", credentialsFile: "credentials_file" }],
] as const;

function renamed(
  value: Record<string, unknown>,
  names: Readonly<Record<string, string>>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(names)
      .filter(([from]) => value[from] !== undefined && value[from] !== "")
      .map(([from, to]) => [to, value[from]]),
  );
}

/** EndpointAuth → Prometheus's names, for a rendered job. */
export function toPrometheusAuth(auth: EndpointAuth): PrometheusAuth {
  const out: Record<string, unknown> = {};
  for (const [ours, theirs, names] of NAMES) {
    const value = auth[ours] as Record<string, unknown> | undefined;
    if (value) out[theirs] = renamed(value, names);
  }
  return out as PrometheusAuth;
}

/** Prometheus's names → EndpointAuth, for reading a rendered job back. */
export function fromPrometheusAuth(config: PrometheusAuth): EndpointAuth {
  const out: Record<string, unknown> = {};
  for (const [ours, theirs, names] of NAMES) {
    const value = config[theirs] as Record<string, unknown> | undefined;
    if (value) out[ours] = renamed(value, Object.fromEntries(Object.entries(names).map(([a, b]) => [b, a])));
  }
  return out as EndpointAuth;
}
