// Real Prometheus servers on 127.0.0.1 for end-to-end tests. Each runs under `timeout`, so a crashed test
// run cannot leave one behind; afterAll stops them sooner.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { which } from "zx";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
  log: string;
}

/**
 * Starts `argv` (each caller's begins with `timeout 600`, so no server outlives a crashed run), its
 * stderr to `log`, and resolves once `ready` says so; fails at once, naming the log, if the process exits
 * first. Every server the tests start (Prometheus, Alertmanager, VictoriaMetrics, vmalert) goes through it.
 */
export async function startServer(
  name: string,
  argv: readonly string[],
  log: string,
  ready: () => Promise<boolean>,
): Promise<ChildProcess> {
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.pipe(createWriteStream(log));
  await waitFor(`${name} ready`, 30_000, async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${log}`);
    return ready();
  });
  return child;
}

/** Whether `url` answers `path` with 2xx. */
export const answers = (url: string, path: string) => async () =>
  (await fetch(`${url}${path}`).catch(() => undefined))?.ok === true;

/** Starts `prometheus` with `config` (and optional extra files beside it) in `dir/name`; resolves once ready. */
export async function startPrometheus(
  dir: string,
  name: string,
  port: number,
  config: string,
  extraFiles: Record<string, string> = {},
  flags: readonly string[] = [],
  {
    ready,
    hostname,
  }: {
    /** How to tell it is ready, for a server behind TLS or auth; plain HTTP /-/ready otherwise. */
    ready?: () => Promise<boolean>;
    /**
     * The host name it sees, as each pod of a StatefulSet has its own: Prometheus derives each target's
     * scrape phase from it, so replicas on different pods scrape the same target at different moments.
     * Set in a UTS namespace of its own (unshare, as root); elsewhere it keeps the machine's.
     */
    hostname?: string;
  } = {},
): Promise<RunningPrometheus> {
  const home = join(dir, name);
  await mkdir(join(home, "data"), { recursive: true });
  await writeFile(join(home, "prometheus.yml"), config);
  for (const [file, content] of Object.entries(extraFiles)) await writeFile(join(home, file), content);
  const log = join(home, "prometheus.log");
  const own = hostname !== undefined && (await ownHostnames());
  const url = `http://127.0.0.1:${port}`;
  const child = await startServer(
    name,
    [
      ...(own
        ? ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec timeout "$@"', hostname as string]
        : ["timeout"]),
      "600",
      "prometheus",
      `--config.file=${join(home, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(home, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
      ...flags,
    ],
    log,
    ready ?? answers(url, "/-/ready"),
  );
  return { name, port, url, process: child, log };
}

let canOwnHostnames: Promise<boolean> | undefined;
/** Whether this machine lets a process take its own host name (root, with unshare). */
function ownHostnames(): Promise<boolean> {
  canOwnHostnames ??= new Promise((resolve) => {
    const probe = spawn("unshare", ["--uts", "--", "hostname", "fleetfed-probe"], { stdio: "ignore" });
    probe.once("error", () => resolve(false));
    probe.once("exit", (code) => resolve(code === 0));
  });
  return canOwnHostnames;
}

/** A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1, clustering off; resolves once ready. */
export async function startAlertmanager(dir: string, port: number): Promise<RunningPrometheus> {
  const home = join(dir, "alertmanager");
  await mkdir(join(home, "data"), { recursive: true });
  const config = "route:\n  receiver: nobody\n  group_wait: 0s\nreceivers:\n  - name: nobody\n";
  await writeFile(join(home, "alertmanager.yml"), config);
  const log = join(home, "alertmanager.log");
  // Debian names the binary prometheus-alertmanager; upstream's is alertmanager.
  const binary =
    (await which("prometheus-alertmanager", { nothrow: true })) ??
    (await which("alertmanager", { nothrow: true })) ??
    "prometheus-alertmanager";
  const url = `http://127.0.0.1:${port}`;
  const child = await startServer(
    "alertmanager",
    [
      "timeout",
      "600",
      binary,
      `--config.file=${join(home, "alertmanager.yml")}`,
      `--storage.path=${join(home, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    log,
    answers(url, "/-/ready"),
  );
  return { name: "alertmanager", port, url, process: child, log };
}

export async function stopAll(servers: readonly RunningPrometheus[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.process.exitCode !== null) return resolve();
          s.process.once("exit", () => resolve());
          s.process.kill("SIGTERM");
        }),
    ),
  );
}

/**
 * Sends `signal` to the Prometheus process itself, as a sidecar in its pod would (the config-reloader's
 * SIGHUP). Not through `timeout`: it passes a signal on once, then ignores that signal for good.
 */
export async function signalPrometheus(server: RunningPrometheus, signal: NodeJS.Signals): Promise<void> {
  const wrapper = server.process.pid as number;
  const children = (await readFile(`/proc/${wrapper}/task/${wrapper}/children`, "utf8")).trim().split(/\s+/);
  if (children.length !== 1 || !children[0]) throw new Error(`${server.name}: no single child of ${wrapper}`);
  process.kill(Number(children[0]), signal);
}

/** Polls `check` until it returns true, at most `ms` milliseconds. */
export async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
      if (String(e).includes("exited")) throw e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function query(url: string, promql: string): Promise<Sample[]> {
  const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await r.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== "success") throw new Error(`${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

/**
 * Every raw sample of `selector` at `url` between `start` and `end` (seconds), per series: its metric and
 * the longest gap between two of its samples, read back from the TSDB with a range selector.
 */
export async function sampleGaps(
  url: string,
  selector: string,
  start: number,
  end: number,
): Promise<{ metric: Record<string, string>; samples: number; longestGap: number }[]> {
  const window = Math.ceil(end - start) + 2;
  const raw = await fetch(
    `${url}/api/v1/query?query=${encodeURIComponent(`${selector}[${window}s]`)}&time=${end}`,
  ).then(
    (res) =>
      res.json() as Promise<{
        data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
      }>,
  );
  return raw.data.result.map((s) => {
    const times = s.values.map(([t]) => t).filter((t) => t >= start && t <= end);
    let longestGap = 0;
    for (let j = 1; j < times.length; j++)
      longestGap = Math.max(longestGap, (times[j] as number) - (times[j - 1] as number));
    return { metric: s.metric, samples: times.length, longestGap };
  });
}
