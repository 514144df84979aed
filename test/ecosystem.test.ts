// fleetfed in the ecosystem it lands in (issue #20): kube-prometheus-stack's own rules beside ours, its
// rule selector, its Alertmanager behind a headless Service, and the namespace it shares with us.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { $ } from "zx";
import { perPodSelections } from "../scripts/core/check/ecosystem.ts";
import ecosystem from "../scripts/core/check/ecosystem-rules.json" with { type: "json" };
import { withPlaceholderFiles } from "../scripts/core/check/placeholders.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { alertingSection } from "../scripts/core/render/prometheus.ts";
import { clusterRules } from "../scripts/core/render/recording-rules.ts";
import { FEDERATED_BY_DEFAULT, RECORDS } from "../scripts/core/render/records.ts";
import { readTree } from "../scripts/io/files.ts";
import fleetSchema from "../scripts/schema/fleet.schema.json" with { type: "json" };
import { ecosystemRules } from "./support/ecosystem-rules.ts";
import { EXAMPLE_FLEET, makeRepo, runCli, writeFiles } from "./support/repo.ts";
import { tool } from "./support/tools.ts";

const kubectl = await tool("kubectl", "install kubectl (it carries kustomize)");
const promtool = await tool("promtool");
const settings = (yaml = "") => parseSettings(`federation:\n  shardSize: 2\n${yaml}`, "fleet.yaml");

describe("what the default match[] federates", () => {
  it("is fleetfed's own aggregates by exact name: the schema's default is the one the rules make", () => {
    expect(fleetSchema.properties.federation.properties.match.default).toEqual([FEDERATED_BY_DEFAULT]);
    expect(clusterRules(settings()).map((r) => r.record)).toEqual(Object.values(RECORDS));
    expect(settings().federation.match).toEqual([FEDERATED_BY_DEFAULT]);
  });

  it("keeps the list of kube-prometheus's per-container, per-pod and per-node rules equal to its rule files", () => {
    expect(ecosystem).toEqual(ecosystemRules());
    expect(ecosystem.rules.map((r) => r.record)).toContain(
      "cluster:namespace:pod_cpu:active:kube_pod_container_resource_requests",
    );
  });

  it("takes none of them by default; the old cluster:/namespace: prefix default takes four kept per container", () => {
    expect(perPodSelections(settings(), [])).toEqual([]);
    const old = settings(`  match: ['{__name__=~"(job|cluster|namespace):.*"}']\n`);
    const [warning] = perPodSelections(old, []);
    expect(warning?.message).toMatch(
      /takes 4 kube-prometheus recording rule\(s\) kept per container, e.g. cluster:namespace:pod_cpu:active:kube_pod_container_resource_limits/,
    );
    // A selector on the job alone names no series: nothing to say about it.
    expect(perPodSelections(settings(`  match: ['{job="prometheus"}']\n`), [])).toEqual([]);
  });

  it("check warns about such a selector in a cluster file, naming the file, and still passes", async () => {
    const root = await makeRepo({
      "fleet.yaml":
        "federation:\n  shardSize: 2\nalerting:\n  alertmanagers: ['http://am.example.com:9093']\n",
      "clusters/a.yaml":
        "cluster: a\nendpoint: prometheus.a.example.com:9090\nmatch: ['{__name__=~\"(cluster|namespace|node_namespace_pod_container):.*\"}']\n",
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const r = await runCli(["check", "--root", root]);
    expect(r.stderr).toMatch(
      /^warning: clusters\/a.yaml: match: .* also takes \d+ kube-prometheus recording rule\(s\) kept per container/m,
    );
    expect(r.stderr).not.toMatch(/alerting.alertmanagers/);
  });
});

describe.skipIf(!promtool)("check on a secured fleet, on a machine without its Secrets", () => {
  const SECURED = {
    "fleet.yaml":
      "federation:\n  shardSize: 2\n  secrets: [tokens, mtls]\nalerting:\n  alertmanagers: ['http://am.example.com:9093']\n",
    "clusters/bearer.yaml":
      "cluster: bearer\nendpoint: prometheus.b.example.com:9090\nscheme: https\nauthorization: {credentialsFile: /etc/fleetfed/secrets/tokens/bearer}\n",
    "clusters/mutual.yaml":
      "cluster: mutual\nendpoint: prometheus.m.example.com:9090\nscheme: https\ntls: {caFile: /etc/fleetfed/secrets/mtls/ca.crt, certFile: /etc/fleetfed/secrets/mtls/tls.crt, keyFile: /etc/fleetfed/secrets/mtls/tls.key}\n",
  };

  it("passes CI=true fleetfed check: promtool runs on a copy whose credential files are placeholders", async () => {
    expect(existsSync("/etc/fleetfed")).toBe(false);
    const root = await makeRepo(SECURED);
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const r = await runCli(["check", "--root", root], { env: { CI: "true" } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok: 2 clusters, .* 2 configs and 2 rule files pass promtool/);
    // The committed files still name the real paths: only the copy promtool reads is changed.
    expect(readFileSync(join(root, "manifests/federation/leaf-000/prometheus.yml"), "utf8")).toContain(
      "credentials_file: /etc/fleetfed/secrets/tokens/bearer",
    );
  });

  it("sends a credential over plain http only when the cluster file says so by name, and check says so on every run (#30)", async () => {
    const plain =
      "cluster: legacy\nendpoint: prometheus.l.example.com:9090\nauthorization: {credentialsFile: /etc/fleetfed/secrets/tokens/legacy}\n";
    const root = await makeRepo({ ...SECURED, "clusters/legacy.yaml": plain });
    const refused = await runCli(["render", "--root", root]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^error: clusters\/legacy.yaml:3: authorization: would be sent over plain http/m,
    );
    await writeFiles(root, { "clusters/legacy.yaml": `${plain}allowCredentialsOverHttp: true\n` });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const tree = await readTree(join(root, "manifests"));
    const job = [...tree]
      .filter(([path]) => path.endsWith("/prometheus.yml"))
      .flatMap(([, text]) => parse(text).scrape_configs)
      .find((j: { job_name: string }) => j.job_name === "fleetfed-clusters-legacy");
    expect(job).toMatchObject({
      scheme: "http",
      authorization: { credentials_file: "/etc/fleetfed/secrets/tokens/legacy" },
    });
    for (let run = 0; run < 2; run++) {
      const r = await runCli(["check", "--root", root], { env: { CI: "true" } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /^warning: allowCredentialsOverHttp: credentials go over plain http to 1 cluster\(s\) \(legacy\): anyone on the path can read them/m,
      );
    }
    // The clusters over https are not named.
    const r = await runCli(["check", "--root", root]);
    expect(r.stderr).not.toMatch(/plain http to .*(bearer|mutual)/);
  });

  it("still fails a config Prometheus would refuse: placeholders stand in for files, nothing else", async () => {
    const root = await makeRepo(SECURED);
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const tree = await readTree(join(root, "manifests"));
    const scratch = await makeRepo({});
    const copy = withPlaceholderFiles(tree, join(scratch, "files"));
    expect(copy.files).toEqual([
      `${scratch}/files/etc/fleetfed/secrets/mtls/ca.crt`,
      `${scratch}/files/etc/fleetfed/secrets/mtls/tls.crt`,
      `${scratch}/files/etc/fleetfed/secrets/mtls/tls.key`,
      `${scratch}/files/etc/fleetfed/secrets/tokens/bearer`,
    ]);
    for (const f of copy.files) {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, "placeholder\n");
    }
    const config = join(scratch, "prometheus.yml");
    const leaf = copy.tree.get("federation/leaf-000/prometheus.yml") as string;
    writeFileSync(config, leaf);
    expect((await $({ nothrow: true, quiet: true })`${promtool} check config ${config}`).exitCode).toBe(0);
    // A cluster job Prometheus refuses (basic auth beside an Authorization header), with placeholders in place.
    writeFileSync(
      config,
      leaf.replace(
        /( +)authorization:\n/,
        "$1basic_auth: {username: u, password_file: /dev/null}\n$1authorization:\n",
      ),
    );
    const broken = await $({ nothrow: true, quiet: true })`${promtool} check config ${config}`;
    expect(broken.exitCode).not.toBe(0);
    expect(`${broken.stdout}${broken.stderr}`).toMatch(
      /at most one of basic_auth, oauth2 & authorization must be configured/,
    );
  });
});

describe("alerting", () => {
  it("check warns while alerts go nowhere", async () => {
    const root = await makeRepo({ "fleet.yaml": "federation:\n  shardSize: 2\n" });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const r = await runCli(["check", "--root", root]);
    expect(r.stderr).toMatch(
      /^warning: fleet.yaml: alerting.alertmanagers: is empty: .* sends them nowhere/m,
    );
  });

  it("reaches every replica of an Alertmanager behind a headless Service through DNS, a plain host statically", () => {
    const s = settings(
      "alerting:\n  alertmanagers: ['http://alertmanager-operated.monitoring.svc:9093', 'http://10.0.0.9:9093']\n",
    );
    expect(alertingSection(s)).toEqual({
      alertmanagers: [
        {
          scheme: "http",
          static_configs: [{ targets: ["10.0.0.9:9093"] }],
          dns_sd_configs: [{ names: ["alertmanager-operated.monitoring.svc"], type: "A", port: 9093 }],
        },
      ],
    });
  });
});

describe.skipIf(!kubectl)("the namespace fleetfed shares", () => {
  it("is never pruned or deleted by Argo CD or Flux, from kubectl kustomize", async () => {
    const built = await $({ quiet: true })`${kubectl} kustomize ${join(EXAMPLE_FLEET, "manifests")}`;
    const namespaces = built.stdout.split(/^---$/m).filter((doc) => /^kind: Namespace$/m.test(doc));
    expect(namespaces).toHaveLength(1);
    for (const ns of namespaces) {
      expect(ns).toMatch(/argocd\.argoproj\.io\/sync-options: Prune=false,Delete=false/);
      expect(ns).toMatch(/kustomize\.toolkit\.fluxcd\.io\/prune: disabled/);
    }
    // The delivery objects declare no Namespace they would then own (Argo CD's CreateNamespace=true
    // creates a missing one outside the application's resources: never pruned, never deleted with it).
    for (const dir of ["argocd", "flux"]) {
      const objects = await $({ quiet: true })`${kubectl} kustomize ${join(EXAMPLE_FLEET, "manifests", dir)}`;
      expect(objects.stdout).not.toMatch(/^kind: Namespace$/m);
    }
    expect(readFileSync(join(EXAMPLE_FLEET, "manifests", "federation", "namespace.yaml"), "utf8")).toMatch(
      /name: monitoring/,
    );
  });
});
