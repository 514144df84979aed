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

/** Where federation.secrets are mounted in every federator. */
export const SECRETS_DIR = "/etc/fleetfed/secrets";

/** The Secret and key a mounted file comes from, when the path is under SECRETS_DIR. */
export function secretOf(path: string): { name: string; key: string } | undefined {
  const m = new RegExp(`^${SECRETS_DIR}/([a-z0-9][-a-z0-9]*[a-z0-9]?)/([-._a-zA-Z0-9]+)$`).exec(path);
  return m ? { name: m[1] as string, key: m[2] as string } : undefined;
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
 * header, a certificate without its key, and a user named twice; a file under SECRETS_DIR must come
 * from a Secret that federation.secrets mounts; the operator flavour can only reference Secrets.
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
  for (const { field, path } of authFiles(auth)) {
    const secret = secretOf(path);
    if (secret && !secrets.includes(secret.name))
      problems.push({
        ...at(field),
        message: `${path} is in Secret ${secret.name}, which federation.secrets does not mount`,
        hint: `add ${secret.name} to federation.secrets`,
      });
    if (!secret && flavor === "operator")
      problems.push({
        ...at(field),
        message: `${path} is not a Secret's file; the operator's ScrapeConfig can only reference Secrets`,
        hint: `use ${SECRETS_DIR}/<secret>/<key> and list the Secret in federation.secrets`,
      });
  }
  return problems;
}
