// Remote-write engines for end-to-end tests: real VictoriaMetrics (single node) and vmalert from
// .tools/bin, and a strict front per engine shape fleetfed renders for. Mimir, Thanos Receive and
// VictoriaMetrics cluster cannot run here, so each front accepts exactly the requests its engine accepts
// (its write and query paths, its tenant header or path, the remote-write protocol's own headers) with the
// engine's status codes and error bodies, refuses every other shape, and forwards the rest to a real
// backend: VictoriaMetrics single node or a receiver-enabled Prometheus.

import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { answers, freePort, type RunningPrometheus, startServer } from "./prometheus.ts";
import { listenLocal } from "./server.ts";

/** VictoriaMetrics single node on 127.0.0.1 with `flags`; resolves once it answers /health. */
export async function startVictoriaMetrics(
  dir: string,
  name: string,
  flags: readonly string[] = [],
  port?: number,
): Promise<RunningPrometheus> {
  const home = join(dir, name);
  await mkdir(home, { recursive: true });
  port ??= await freePort();
  const log = join(home, "victoria-metrics.log");
  const url = `http://127.0.0.1:${port}`;
  const child = await startServer(
    name,
    [
      "timeout",
      "600",
      "victoria-metrics",
      `-storageDataPath=${join(home, "data")}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      "-loggerLevel=WARN",
      ...flags,
    ],
    log,
    answers(url, "/health"),
  );
  return { name, port, url, process: child, log };
}

/** vmalert evaluating `rules` against `datasource` (a query base URL), notifications discarded. */
export async function startVmalert(
  dir: string,
  rules: string,
  datasource: string,
  headers: Record<string, string> = {},
): Promise<RunningPrometheus> {
  const home = join(dir, "vmalert");
  await mkdir(home, { recursive: true });
  await writeFile(join(home, "rules.yml"), rules);
  const port = await freePort();
  const log = join(home, "vmalert.log");
  const url = `http://127.0.0.1:${port}`;
  const child = await startServer(
    "vmalert",
    [
      "timeout",
      "600",
      "vmalert",
      `-rule=${join(home, "rules.yml")}`,
      `-datasource.url=${datasource}`,
      ...Object.entries(headers).map(([k, v]) => `-datasource.headers=${k}:${v}`),
      "-notifier.blackhole",
      "-evaluationInterval=1s",
      `-httpListenAddr=127.0.0.1:${port}`,
      "-loggerLevel=WARN",
    ],
    log,
    answers(url, "/health"),
  );
  return { name: "vmalert", port, url, process: child, log };
}

export type FrontShape = "mimir" | "thanos-receive" | "victoriametrics-cluster" | "prometheus";

export interface Backend {
  /** Where the real engine takes remote-write requests, and its query base. */
  write: string;
  query: string;
}

export interface Front {
  url: string;
  /** Every request the front refused, as `<status> <method> <path>`. */
  refused: string[];
  /** Requests forwarded, by kind. */
  forwarded: { write: number; query: number };
  close: () => Promise<void>;
}

const QUERY_API = /^\/api\/v1\/(query|query_range|series|labels|label\/[^/]+\/values|metadata|rules|alerts)$/;

/** What each engine's front accepts: a write or a query (with the path the backend knows), or a refusal. */
type Verdict = { kind: "write" | "query"; rest: string } | { status: number; body: string };

function judge(shape: FrontShape, tenant: string | undefined, req: IncomingMessage, path: string): Verdict {
  const h = (name: string) => req.headers[name.toLowerCase()] as string | undefined;
  const isWrite = req.method === "POST";
  const remoteWriteHeaders = () =>
    h("Content-Encoding") === "snappy" &&
    h("Content-Type")?.startsWith("application/x-protobuf") === true &&
    h("X-Prometheus-Remote-Write-Version") !== undefined;
  switch (shape) {
    case "mimir": {
      // Mimir: every path needs X-Scope-OrgID (401 "no org id"); writes at /api/v1/push, queries under /prometheus.
      if (h("X-Scope-OrgID") === undefined) return { status: 401, body: "no org id\n" };
      if (h("X-Scope-OrgID") !== tenant) return { status: 401, body: "unknown tenant\n" };
      if (path === "/api/v1/push")
        return isWrite && remoteWriteHeaders()
          ? { kind: "write", rest: "" }
          : { status: 400, body: "bad push\n" };
      const q = /^\/prometheus(\/.*)$/.exec(path);
      if (q && QUERY_API.test(q[1] as string)) return { kind: "query", rest: q[1] as string };
      return { status: 404, body: "404 page not found\n" };
    }
    case "thanos-receive": {
      // Thanos Receive: writes at /api/v1/receive, the tenant in THANOS-TENANT; queries go to Thanos Query.
      if (path === "/api/v1/receive") {
        if (h("THANOS-TENANT") !== tenant) return { status: 400, body: "tenant header missing or unknown\n" };
        return isWrite && remoteWriteHeaders()
          ? { kind: "write", rest: "" }
          : { status: 400, body: "bad write\n" };
      }
      if (QUERY_API.test(path)) return { kind: "query", rest: path };
      return { status: 404, body: "404 page not found\n" };
    }
    case "victoriametrics-cluster": {
      // vminsert /insert/<accountID>/prometheus/api/v1/write; vmselect /select/<accountID>/prometheus/api/v1/...
      if (h("X-Scope-OrgID") !== undefined || h("THANOS-TENANT") !== undefined)
        return { status: 400, body: "unsupported tenant header: the tenant is in the path\n" };
      const w = /^\/insert\/([^/]+)\/prometheus\/api\/v1\/write$/.exec(path);
      if (w) {
        if (w[1] !== tenant) return { status: 400, body: `cannot parse accountID from "${w[1]}"\n` };
        return isWrite && remoteWriteHeaders()
          ? { kind: "write", rest: "" }
          : { status: 400, body: "bad write\n" };
      }
      const q = /^\/select\/([^/]+)\/prometheus(\/.*)$/.exec(path);
      if (q && q[1] === tenant && QUERY_API.test(q[2] as string))
        return { kind: "query", rest: q[2] as string };
      return { status: 400, body: `unsupported path requested: "${path}"\n` };
    }
    case "prometheus": {
      if (h("X-Scope-OrgID") !== undefined || h("THANOS-TENANT") !== undefined)
        return { status: 400, body: "no tenants here\n" };
      if (path === "/api/v1/write")
        return isWrite && remoteWriteHeaders()
          ? { kind: "write", rest: "" }
          : { status: 400, body: "bad write\n" };
      if (QUERY_API.test(path)) return { kind: "query", rest: path };
      return { status: 404, body: "404 page not found\n" };
    }
  }
}

/** A strict front for `shape` with `tenant`, forwarding what it accepts to `backend`. */
export async function startFront(
  shape: FrontShape,
  tenant: string | undefined,
  backend: Backend,
): Promise<Front> {
  const refused: string[] = [];
  const forwarded = { write: 0, query: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://front");
    const verdict = judge(shape, tenant, req, url.pathname);
    if ("status" in verdict) {
      refused.push(`${verdict.status} ${req.method} ${url.pathname}`);
      req.resume();
      res.writeHead(verdict.status, { "Content-Type": "text/plain; charset=utf-8" }).end(verdict.body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const target =
        verdict.kind === "write" ? backend.write : `${backend.query}${verdict.rest}${url.search}`;
      const pass = ["content-type", "content-encoding", "x-prometheus-remote-write-version", "user-agent"];
      try {
        const r = await fetch(target, {
          method: req.method ?? "GET",
          headers: Object.fromEntries(
            pass.filter((k) => req.headers[k] !== undefined).map((k) => [k, String(req.headers[k])]),
          ),
          ...(req.method === "POST" && { body: Buffer.concat(chunks) }),
        });
        forwarded[verdict.kind]++;
        const body = Buffer.from(await r.arrayBuffer());
        res.writeHead(r.status, { "Content-Type": r.headers.get("content-type") ?? "text/plain" }).end(body);
      } catch {
        // The backend is down: what an engine's gateway answers, so the writer retries.
        res.writeHead(502, { "Content-Type": "text/plain" }).end("backend unavailable\n");
      }
    });
  });
  const { url, close } = await listenLocal(server);
  return { url, refused, forwarded, close };
}
