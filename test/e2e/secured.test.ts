// Secured cluster endpoints, end to end: two cluster Prometheus servers behind Prometheus's own
// --web.config.file (TLS from a test CA, basic auth), one reached through federation's defaults and one
// through its cluster file's own tls and basicAuth. The rendered leaf config, with only the Secret mount
// point moved to a temp dir, scrapes both; no password is ever written under manifests/.

import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, describe, expect, it } from "vitest";
import { $ } from "zx";
import { readTree } from "../../scripts/io/files.ts";
import {
  freePort,
  query,
  type RunningPrometheus,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { renderedFlags } from "../support/replicas.ts";
import { makeRepo, runCli } from "../support/repo.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");
const promtool = await tool("promtool", "apt-get install prometheus");

const PASSWORDS = { fleet: "fleet-pass-7Qz9", own: "own-pass-Kx31" };

/** An HTTPS GET with basic auth against a server whose certificate the test CA signed. */
function httpsOk(url: string, ca: string, user: string, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { ca, auth: `${user}:${password}`, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

describe.skipIf(!prometheus)("federating secured cluster Prometheus servers", () => {
  const servers: RunningPrometheus[] = [];
  let work: string | undefined;
  afterAll(async () => {
    await stopAll(servers);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("scrapes one cluster through federation's tls and basicAuth and one through its own, with no password in manifests/", async () => {
    work = await mkdtemp(join(tmpdir(), "fleetfed-secured-"));
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: work, stdio: "ignore" });
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=fleetfed test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    );
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    );
    await writeFile(join(work, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "san.ext",
      "-out",
      "server.crt",
    );
    const ca = await readFile(join(work, "ca.crt"), "utf8");

    const users = { fleet: "fleetfed", own: "scraper" };
    const ports = { a: await freePort(), b: await freePort() };
    for (const [id, who] of [
      ["a", "fleet"],
      ["b", "own"],
    ] as const) {
      const web = `tls_server_config:\n  cert_file: ${join(work, "server.crt")}\n  key_file: ${join(work, "server.key")}\nbasic_auth_users:\n  ${users[who]}: '${bcrypt.hashSync(PASSWORDS[who], 4)}'\n`;
      const config = "global: {evaluation_interval: 1s}\nrule_files: [probe.yml]\n";
      // One of fleetfed's own aggregates (what the default match[] federates), with a value per cluster.
      const rules = `groups:\n  - name: probe\n    interval: 1s\n    rules:\n      - record: cluster:kube_node_info:count\n        expr: vector(${id === "a" ? 11 : 22})\n`;
      servers.push(
        await startPrometheus(
          work,
          `cluster-${id}`,
          ports[id],
          config,
          { "web.yml": web, "probe.yml": rules },
          [`--web.config.file=${join(work, `cluster-${id}`, "web.yml")}`],
          { ready: () => httpsOk(`https://127.0.0.1:${ports[id]}/-/ready`, ca, users[who], PASSWORDS[who]) },
        ),
      );
    }

    const repo = await makeRepo({
      "fleet.yaml": `federation:
  scrapeInterval: 1s
  scrapeTimeout: 1s
  secrets: [fleet-ca, federation-auth, b-auth]
  tls: {caFile: /etc/fleetfed/secrets/fleet-ca/ca.crt}
  basicAuth: {username: ${users.fleet}, passwordFile: /etc/fleetfed/secrets/federation-auth/password}
`,
      "clusters/a.yaml": `cluster: a\nendpoint: 127.0.0.1:${ports.a}\nscheme: https\n`,
      "clusters/b.yaml": `cluster: b\nendpoint: 127.0.0.1:${ports.b}\nscheme: https\ntls: {caFile: /etc/fleetfed/secrets/fleet-ca/ca.crt, serverName: 127.0.0.1}\nbasicAuth: {username: ${users.own}, passwordFile: /etc/fleetfed/secrets/b-auth/password}\n`,
    });
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    const manifests = await readTree(join(repo, "manifests"));
    for (const [path, content] of manifests) {
      for (const password of Object.values(PASSWORDS)) expect(content, path).not.toContain(password);
    }
    const sts = manifests.get("federation/leaf-000/federator.yaml") ?? "";
    for (const secret of ["fleet-ca", "federation-auth", "b-auth"]) {
      expect(sts).toContain(`secretName: ${secret}`);
      expect(sts).toContain(`mountPath: /etc/fleetfed/secrets/${secret}`);
    }

    // The Secrets, as Kubernetes would mount them, in a temp dir instead of /etc/fleetfed/secrets.
    const secrets = join(work, "secrets");
    const files: Record<string, string> = {
      "fleet-ca/ca.crt": ca,
      "federation-auth/password": PASSWORDS.fleet,
      "b-auth/password": PASSWORDS.own,
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(secrets, path, ".."), { recursive: true });
      await writeFile(join(secrets, path), content);
    }
    const config = (manifests.get("federation/leaf-000/prometheus.yml") ?? "").replaceAll(
      "/etc/fleetfed/secrets",
      secrets,
    );
    await writeFile(join(work, "leaf.yml"), config);
    // One leaf is the top of the tree, so it loads the alerts too.
    const alerts = manifests.get("federation/leaf-000/alerts.yml") ?? "";
    await writeFile(join(work, "alerts.yml"), alerts);
    if (promtool) {
      const check = await $({
        nothrow: true,
        quiet: true,
      })`${promtool} check config ${join(work, "leaf.yml")}`;
      expect(check.exitCode, `${check.stdout}${check.stderr}`).toBe(0);
    }
    const leaf = await startPrometheus(
      work,
      "leaf",
      await freePort(),
      config,
      {},
      await renderedFlags(join(repo, "manifests"), "leaf-000"),
    );
    servers.push(leaf);
    await waitFor("both secured clusters up and federated", 30_000, async () => {
      const up = await query(leaf.url, 'up{job=~"fleetfed-clusters.*"} == 1');
      const probe = await query(leaf.url, "cluster:kube_node_info:count");
      return up.length === 2 && probe.length === 2;
    });
    const probe = await query(leaf.url, "cluster:kube_node_info:count");
    expect(Object.fromEntries(probe.map((s) => [s.metric.cluster, s.value[1]]))).toEqual({
      a: "11",
      b: "22",
    });
  }, 90_000);
});
