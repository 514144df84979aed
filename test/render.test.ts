// Golden trees, determinism, and the real tools (promtool, kubectl kustomize) on what render produces.

import { existsSync } from "node:fs";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Application, ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { Kustomization as FluxKustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1";
import { GitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1";
import { Prometheus, PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { ScrapeConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Namespace, Secret, Service } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { $ } from "zx";
import { renderFleet } from "../scripts/core/fleet.ts";
import { type ClusterFile, parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { parseSnapshot, type Snapshot } from "../scripts/core/inputs/snapshot.ts";
import { compare, sortStrings } from "../scripts/core/order.ts";
import { KUBE_PROMETHEUS_STACK_FILE } from "../scripts/core/render/onboarding.ts";
import { deployedFleet } from "../scripts/core/review/deployed.ts";
import { readTree } from "../scripts/io/files.ts";
import { loadInputs } from "../scripts/io/inputs.ts";
import { discoveredCluster } from "./support/fleet.ts";
import { EXAMPLE_FLEET, makeRepo, runCli, writeFiles } from "./support/repo.ts";
import { tool } from "./support/tools.ts";

const GOLDEN = join(import.meta.dirname, "golden");
const CASES = ["flat", "tree", "overrides", "labels", "operator"];

const promtool = await tool("promtool");
const kubectl = await tool("kubectl", "install kubectl (it carries kustomize)");

describe("golden trees", () => {
  // Each case is a small fleet repository; its committed manifests/ is the golden output, reviewed like
  // code. Regenerate one with: npm run fleetfed -- render --root test/golden/<case>
  it.each(CASES)("renders %s exactly as its committed manifests/", async (name) => {
    const root = join(GOLDEN, name);
    const inputs = await loadInputs(root);
    const fleet = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles);
    const golden = await readTree(join(root, "manifests"));
    expect([...fleet.tree.keys()]).toEqual([...golden.keys()]);
    for (const [path, content] of fleet.tree) expect(content, path).toBe(golden.get(path));
  });

  it.each(CASES)("reads back from %s's rendered files exactly the clusters it placed", async (name) => {
    const inputs = await loadInputs(join(GOLDEN, name));
    const fleet = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles);
    const deployed = deployedFleet(fleet.tree, inputs.settings.clusterLabel);
    const placed = fleet.plan.leaves.flatMap((l) => l.clusters.map((c) => ({ leaf: l.name, c })));
    expect(deployed.clusters.size).toBe(placed.length);
    for (const { leaf, c } of placed) {
      const d = deployed.clusters.get(c.id);
      expect(d?.leaf, c.id).toBe(leaf);
      // The files do not say where a cluster came from or whether a file pinned it.
      expect({ ...d?.cluster, origin: c.origin }, c.id).toEqual({ ...c, pin: undefined });
    }
  });

  it("always puts a global tier above the leaves, so Grafana's datasource never moves", async () => {
    const flat = await loadInputs(join(GOLDEN, "flat"));
    const tree = await loadInputs(join(GOLDEN, "tree"));
    const one = renderFleet(flat.settings, flat.snapshot, flat.clusterFiles);
    expect(one.plan.leaves).toHaveLength(1);
    expect(one.plan.top).toBe("global");
    const plan = renderFleet(tree.settings, tree.snapshot, tree.clusterFiles).plan;
    expect(plan.top).toBe("global");
    expect(plan.leaves.map((l) => [l.name, l.clusters.map((c) => c.id)])).toEqual([
      ["leaf-000", ["c01", "c02", "c03"]],
      ["leaf-001", ["c04", "c05", "c06"]],
      ["leaf-002", ["c07"]],
    ]);
    // The datasource points at the global for one leaf as for three.
    for (const f of [one, renderFleet(tree.settings, tree.snapshot, tree.clusterFiles)])
      expect(f.tree.get("dashboards/datasource.yaml")).toMatch(
        /url: http:\/\/fleetfed-global\.[a-z-]+\.svc:9090/,
      );
  });

  it("passes render --check through the CLI on the example fleet (the goldens are compared above)", async () => {
    for (const root of [EXAMPLE_FLEET]) {
      const r = await runCli(["render", "--check", "--root", root]);
      expect(r.code, `${root}: ${r.stderr}`).toBe(0);
    }
  });
});

describe("determinism", () => {
  const root = join(GOLDEN, "overrides");

  it("renders byte-identical output twice", async () => {
    const inputs = await loadInputs(root);
    const a = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles).tree;
    const b = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles).tree;
    expect([...b]).toEqual([...a]);
  });

  it("renders byte-identical output from inputs in any order", async () => {
    const inputs = await loadInputs(root);
    const reference = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles).tree;
    const tree = await loadInputs(join(GOLDEN, "tree"));
    const treeRef = renderFleet(tree.settings, tree.snapshot, tree.clusterFiles).tree;
    for (let seed = 1; seed <= 20; seed++) {
      const shuffledFiles: ClusterFile[] = shuffle(inputs.clusterFiles, seed);
      const shuffledSnapshot: Snapshot = {
        clusters: shuffle(inputs.snapshot.clusters, seed),
        placement: new Map(shuffle([...inputs.snapshot.placement], seed)),
      };
      expect([...renderFleet(inputs.settings, shuffledSnapshot, shuffledFiles).tree]).toEqual([...reference]);
      const treeSnapshot: Snapshot = {
        clusters: shuffle(tree.snapshot.clusters, seed),
        placement: new Map(
          shuffle([...tree.snapshot.placement], seed).map(([k, v]) => [k, shuffle(v, seed)]),
        ),
      };
      expect([...renderFleet(tree.settings, treeSnapshot, tree.clusterFiles).tree]).toEqual([...treeRef]);
    }
  });

  it("does not depend on the locale's collation", () => {
    const settings = parseSettings("discovery:\n  route53: {}\n", "fleet.yaml");
    const ids = ["b-2", "a10", "a9", "a-1", "z", "0a"];
    const snapshot = parseSnapshot(
      JSON.stringify({
        clusters: ids.map((id) => ({
          cluster: id,
          endpoint: `h-${id}:80`,
          scheme: "http",
          source: { kind: "route53", zoneId: "Z", zoneName: "z", record: `r-${id}`, type: "A" },
        })),
        placement: {},
      }),
      "fleet.snapshot.json",
    );
    const files = [
      parseClusterFile("cluster: a9\nlabels: {b: '1', a: '2', B: '3'}\n", {
        file: "clusters/a9.yaml",
        expectedId: "a9",
        clusterLabel: "cluster",
      }),
    ];
    const fleet = renderFleet(settings, snapshot, files);
    expect(fleet.inventory.clusters.map((c) => c.id)).toEqual(["0a", "a-1", "a10", "a9", "b-2", "z"]);
    expect(fleet.inventory.clusters[3]?.labels.map(([k]) => k)).toEqual(["B", "a", "b"]);
  });

  it("sorts ids natively in the same code-unit order as compare", () => {
    const ids = ["b", "B", "a10", "a9", "", "é", "e\u0301", "😀", "\uffff", "Z", "_", "-", "10", "9", "ä"];
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = shuffle(ids, seed);
      expect(sortStrings([...shuffled])).toEqual([...shuffled].sort(compare));
    }
    expect(sortStrings(["a9", "a10", "B", "a"])).toEqual(["B", "a", "a10", "a9"]);
  });
});

describe("a snapshot with a key given twice", () => {
  const snapshot = (cluster: string) => `{"clusters": [${cluster}], "placement": {}}`;
  const cluster = (extra: string) =>
    `{"cluster": "a", "endpoint": "a:80", "scheme": "http", ${extra}"source": {"kind": "route53", "zoneId": "Z", "zoneName": "z", "record": "r\\"s: x", "type": "A"}}`;

  it("is refused wherever the key is, whatever the strings around it hold", () => {
    expect(() => parseSnapshot(snapshot(cluster('"scheme": "http", ')), "s.json")).toThrow(/appears twice/);
    expect(() => parseSnapshot(snapshot(cluster("")), "s.json")).not.toThrow();
    // A quote after an even run of backslashes ends the string; a colon inside a string is no key.
    const tricky = cluster('"scheme" : "\\\\", ').replace('"http"', '"x\\": y"');
    expect(() => parseSnapshot(snapshot(tricky), "s.json")).toThrow(/appears twice/);
  });
});

describe("the real tools accept the rendered tree", () => {
  it.skipIf(!promtool)("promtool check config accepts every rendered prometheus.yml", async () => {
    const files: string[] = [];
    for (const root of [...CASES.map((c) => join(GOLDEN, c)), EXAMPLE_FLEET]) {
      for (const path of (await readTree(join(root, "manifests"))).keys()) {
        if (path.endsWith("prometheus.yml")) files.push(join(root, "manifests", path));
      }
    }
    expect(files.length).toBeGreaterThanOrEqual(10);
    const r = await $({ nothrow: true, quiet: true })`${promtool} check config ${files}`;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    // One SUCCESS per config, and one more per rules file a config loads.
    for (const file of files)
      expect(r.stdout).toMatch(new RegExp(`Checking ${file.replace(/[.]/g, "\\.")}\\n\\s+SUCCESS`));
  });

  it.skipIf(!kubectl)(
    "kubectl kustomize builds manifests/ and every folder with a kustomization.yaml",
    async () => {
      for (const root of [...CASES.map((c) => join(GOLDEN, c)), EXAMPLE_FLEET]) {
        const dirs = [...(await readTree(join(root, "manifests"))).keys()]
          .filter((p) => p.endsWith("kustomization.yaml"))
          .map((p) => join(root, "manifests", p.slice(0, -"kustomization.yaml".length)));
        for (const dir of dirs) {
          const r = await $({ nothrow: true, quiet: true })`${kubectl} kustomize ${dir}`;
          expect(r.exitCode, `${dir}: ${r.stderr}`).toBe(0);
        }
        const all = await $({ quiet: true })`${kubectl} kustomize ${join(root, "manifests")}`;
        if (!all.stdout.includes("kind: StatefulSet")) continue; // the operator flavour has no ConfigMaps
        // The generated ConfigMap keeps the federator's stable name, and the StatefulSet mounts it by that name.
        const configMaps = [
          ...all.stdout.matchAll(
            /^kind: ConfigMap\nmetadata:\n(?: {2}.*\n)*? {2}name: (fleetfed-(?:leaf-[0-9]+|global))\n/gm,
          ),
        ].map((m) => m[1]);
        expect(configMaps.length, root).toBeGreaterThan(0);
        for (const name of configMaps)
          expect(all.stdout).toMatch(new RegExp(`configMap:\\s+name: ${name}\\n`));
      }
    },
  );

  it.skipIf(!promtool)(
    "fleetfed check runs promtool under CI=true and passes on the bundled example",
    async () => {
      const r = await runCli(["check", "--root", EXAMPLE_FLEET], { env: { CI: "true" } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /ok: 8 clusters, 2 leaf federator\(s\) \+ global, 48 files fresh, 3 configs and 2 rule files pass promtool/,
      );
    },
  );

  it.skipIf(!promtool)(
    "fleetfed check fails and names the file when manifests/ was edited by hand",
    async () => {
      const root = await makeRepo({}, join(GOLDEN, "tree"));
      const path = join(root, "manifests/federation/leaf-001/prometheus.yml");
      await writeFile(
        path,
        (await readFile(path, "utf8")).replace("sample_limit: 1000\n", "sample_limit: 5\n"),
      );
      const r = await runCli(["check", "--root", root], { env: { CI: "true" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: manifests\/federation\/leaf-001\/prometheus.yml: differs from a fresh render \(manifests\/ is generated: run fleetfed render/,
      );
      const stale = await runCli(["render", "--check", "--root", root]);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(/stale {5}manifests\/federation\/leaf-001\/prometheus.yml/);
    },
  );
});

describe.skipIf(!promtool)("fleetfed check with a promtool that rejects one file", () => {
  // A stand-in that refuses leaf-001's config and hands everything else to the real promtool, so the
  // test sees which file check blames, on the committed files (fresh) and on a scratch render (stale).
  let saved: string | undefined;
  beforeAll(async () => {
    const bin = await makeRepo({
      promtool: `#!/bin/sh\nfor a in "$@"; do case "$a" in *leaf-001/prometheus.yml) echo "  FAILED: refused by the test" >&2; exit 1;; esac; done\nexec ${promtool} "$@"\n`,
    });
    await chmod(join(bin, "promtool"), 0o755);
    saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
  });
  afterAll(() => {
    process.env.PATH = saved;
  });

  it.each(["fresh", "stale"])("names the file promtool rejects when manifests/ is %s", async (state) => {
    const root = await makeRepo({}, join(GOLDEN, "tree"));
    if (state === "stale") {
      const path = join(root, "manifests/federation/leaf-000/prometheus.yml");
      await writeFile(
        path,
        (await readFile(path, "utf8")).replace("sample_limit: 1000\n", "sample_limit: 5\n"),
      );
    }
    const r = await runCli(["check", "--root", root], { env: { CI: "true" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: manifests\/federation\/leaf-001\/prometheus.yml: promtool check config: refused by the test/,
    );
    expect(r.stderr.includes("leaf-000/prometheus.yml: differs from a fresh render")).toBe(state === "stale");
  });
});

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("every rendered Kubernetes object", () => {
  const MODELS: Record<string, new (data: never) => { validate(): void }> = {
    "v1/Service": Service,
    "v1/Namespace": Namespace,
    "v1/Secret": Secret,
    "apps/v1/StatefulSet": StatefulSet,
    "argoproj.io/v1alpha1/ApplicationSet": ApplicationSet,
    "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
    "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
    "argoproj.io/v1alpha1/Application": Application,
    "kustomize.toolkit.fluxcd.io/v1/Kustomization": FluxKustomization,
    "source.toolkit.fluxcd.io/v1/GitRepository": GitRepository,
    "monitoring.coreos.com/v1/Prometheus": Prometheus,
    "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
    "monitoring.coreos.com/v1alpha1/ScrapeConfig": ScrapeConfig,
  };

  it("validates against its API schema, in every golden fleet and the example", async () => {
    let count = 0;
    for (const root of [...CASES.map((c) => join(GOLDEN, c)), EXAMPLE_FLEET]) {
      for (const [path, content] of await readTree(join(root, "manifests"))) {
        if (!path.endsWith(".yaml") || path.endsWith("kustomization.yaml")) continue;
        if (path.endsWith(`/${KUBE_PROMETHEUS_STACK_FILE}`)) continue; // Helm values, not an object
        for (const doc of parseAllDocuments(content)) {
          const object = doc.toJS() as { apiVersion: string; kind: string };
          const Model = MODELS[`${object.apiVersion}/${object.kind}`];
          expect(Model, `${path}: ${object.apiVersion} ${object.kind} has no model`).toBeDefined();
          expect(
            () => new (Model as new (d: unknown) => { validate(): void })(object).validate(),
            path,
          ).not.toThrow();
          count++;
        }
      }
    }
    expect(count).toBeGreaterThan(30);
  });

  it("would catch an invalid object (the validation can fail)", () => {
    expect(() =>
      new StatefulSet({ metadata: { name: "x" }, spec: { serviceName: "x" } } as never).validate(),
    ).toThrow(/selector/);
  });
});

describe("the operator flavour", () => {
  it("says exactly what each federator's prometheus.yml says", async () => {
    const tree = await readTree(join(GOLDEN, "operator", "manifests"));
    const federators = [...tree.keys()]
      .filter((p) => p.endsWith("/prometheus.yml"))
      .map((p) => p.split("/")[1] as string);
    expect(federators).toEqual(["global", "leaf-000", "leaf-001", "leaf-002"]);
    for (const name of federators) {
      const plain = parse(tree.get(`federation/${name}/prometheus.yml`) as string);
      const objects = parseAllDocuments(tree.get(`federation/${name}/prometheus.yaml`) as string).map((d) =>
        d.toJS(),
      );
      const prometheus = objects.find((o) => o.kind === "Prometheus");
      expect(prometheus.spec).toMatchObject({
        externalLabels: plain.global.external_labels,
        scrapeInterval: plain.global.scrape_interval,
        scrapeTimeout: plain.global.scrape_timeout,
        evaluationInterval: plain.global.evaluation_interval,
        prometheusExternalLabelName: "",
        replicaExternalLabelName: "",
      });
      const selected = objects.filter(
        (o) =>
          o.kind === "ScrapeConfig" &&
          o.metadata.labels["fleetfed.io/federator"] ===
            prometheus.spec.scrapeConfigSelector.matchLabels["fleetfed.io/federator"],
      );
      // Translate each ScrapeConfig back into a prometheus.yml job: the two must be the same list.
      const jobs = selected.map((o) =>
        o.spec.metricsPath === undefined
          ? { job_name: o.spec.jobName, static_configs: o.spec.staticConfigs }
          : {
              job_name: o.spec.jobName,
              honor_labels: o.spec.honorLabels,
              honor_timestamps: o.spec.honorTimestamps,
              metrics_path: o.spec.metricsPath,
              scheme: o.spec.scheme.toLowerCase(),
              params: o.spec.params,
              scrape_interval: o.spec.scrapeInterval,
              scrape_timeout: o.spec.scrapeTimeout,
              ...(o.spec.sampleLimit !== undefined && { sample_limit: o.spec.sampleLimit }),
              body_size_limit: o.spec.bodySizeLimit,
              static_configs: o.spec.staticConfigs,
              ...(o.spec.metricRelabelings && {
                metric_relabel_configs: o.spec.metricRelabelings.map(
                  (r: {
                    sourceLabels?: string[];
                    regex?: string;
                    targetLabel?: string;
                    replacement?: string;
                    action?: string;
                  }) => ({
                    ...(r.sourceLabels && { source_labels: r.sourceLabels }),
                    ...(r.regex !== undefined && { regex: r.regex }),
                    ...(r.targetLabel && { target_label: r.targetLabel }),
                    ...(r.replacement !== undefined && { replacement: r.replacement }),
                    ...(r.action && { action: r.action }),
                  }),
                ),
              }),
            },
      );
      expect(jobs, name).toEqual(plain.scrape_configs);
    }
  });
});

describe("GitOps delivery", () => {
  it("orders components in Flux by dependsOn, waiting a whole rollout; Argo CD applies them side by side, relying on no Application health (#30)", async () => {
    const { renderArgoCd, renderFlux } = await import("../scripts/core/render/delivery.ts");
    const settings = parseSettings("delivery:\n  repoURL: https://git.example.com/fleet.git\n", "fleet.yaml");
    const components = [
      { name: "dashboards", path: "dashboards", order: 1 },
      { name: "federation", path: "federation", order: 0 },
    ];
    const flux = renderFlux(settings, components);
    const dashboards = parse(flux.get("flux/dashboards.yaml") as string);
    expect(dashboards.spec).toMatchObject({
      path: "./manifests/dashboards",
      prune: true,
      wait: true,
      dependsOn: [{ name: "fleetfed-federation" }],
    });
    expect(parse(flux.get("flux/federation.yaml") as string).spec.dependsOn).toBeUndefined();
    // Flux waits for health at least as long as a federator's rollout can take: the old pod's grace
    // period, then the new pod's startup window (25 min with the rendered probes).
    for (const name of ["federation", "dashboards"]) {
      const timeout = parse(flux.get(`flux/${name}.yaml`) as string).spec.timeout as string;
      expect(Number(/^(\d+)m$/.exec(timeout)?.[1]) * 60).toBeGreaterThanOrEqual(25 * 60);
    }
    expect(parse(flux.get("flux/kustomization.yaml") as string).resources).toEqual([
      "source.yaml",
      "federation.yaml",
      "dashboards.yaml",
    ]);
    // No sync waves between child Applications: Argo CD would order them by health only with an
    // argocd-cm customisation; each creates the namespace it needs instead.
    const argo = renderArgoCd(settings, components);
    for (const name of ["federation", "dashboards"]) {
      const app = parse(argo.get(`argocd/apps/${name}.yaml`) as string);
      expect(app.metadata.annotations?.["argocd.argoproj.io/sync-wave"]).toBeUndefined();
      expect(app.spec.syncPolicy.syncOptions).toContain("CreateNamespace=true");
    }
    expect(parse(argo.get("argocd/apps/federation.yaml") as string).spec.source).toEqual({
      repoURL: "https://git.example.com/fleet.git",
      targetRevision: "main",
      path: "manifests/federation",
    });
  });

  it("renders neither when both are disabled", async () => {
    const settings = parseSettings(
      "delivery:\n  argocd: {enabled: false}\n  flux: {enabled: false}\n",
      "fleet.yaml",
    );
    const fleet = renderFleet(settings, { clusters: [], placement: new Map() }, []);
    expect([...fleet.tree.keys()].filter((p) => p.startsWith("argocd/") || p.startsWith("flux/"))).toEqual(
      [],
    );
  });
});

describe("secured endpoints, read back", () => {
  it("reads every auth setting back from the rendered prometheus.yml unchanged", () => {
    const settings = parseSettings(
      "federation:\n  secrets: [ca, auth]\n  tls: {caFile: /etc/fleetfed/secrets/ca/ca.crt, serverName: p.internal, insecureSkipVerify: false}\n  authorization: {credentialsFile: /etc/fleetfed/secrets/auth/token}\n",
      "fleet.yaml",
    );
    const files = [
      parseClusterFile("cluster: a\nendpoint: a:9090\nscheme: https\n", {
        file: "clusters/a.yaml",
        expectedId: "a",
        clusterLabel: "cluster",
        federation: settings.federation,
      }),
      parseClusterFile(
        "cluster: b\nendpoint: b:9090\nscheme: https\nbasicAuth: {username: u, passwordFile: /etc/fleetfed/secrets/auth/password}\ntls: {certFile: /etc/fleetfed/secrets/ca/c.crt, keyFile: /etc/fleetfed/secrets/ca/c.key}\n",
        {
          file: "clusters/b.yaml",
          expectedId: "b",
          clusterLabel: "cluster",
          federation: settings.federation,
        },
      ),
    ];
    const fleet = renderFleet(settings, { clusters: [], placement: new Map() }, files);
    const deployed = deployedFleet(fleet.tree, "cluster");
    for (const c of fleet.inventory.clusters)
      expect(deployed.clusters.get(c.id)?.cluster.auth, c.id).toEqual(c.auth);
    expect(fleet.inventory.clusters.find((c) => c.id === "b")?.auth).toEqual({
      tls: { certFile: "/etc/fleetfed/secrets/ca/c.crt", keyFile: "/etc/fleetfed/secrets/ca/c.key" },
      basicAuth: { username: "u", passwordFile: "/etc/fleetfed/secrets/auth/password" },
    });
  });
});

describe("secured endpoints in the operator flavour", () => {
  it("reference the mounted Secrets' keys from the ScrapeConfig, and pass the CRD's schema", () => {
    const settings = parseSettings(
      "federation:\n  flavor: operator\n  secrets: [ca, auth]\n  tls: {caFile: /etc/fleetfed/secrets/ca/ca.crt, serverName: prom.internal}\n  basicAuth: {usernameFile: /etc/fleetfed/secrets/auth/user, passwordFile: /etc/fleetfed/secrets/auth/password}\n",
      "fleet.yaml",
    );
    const fleet = renderFleet(settings, { clusters: [], placement: new Map() }, [
      parseClusterFile("cluster: a\nendpoint: a:9090\nscheme: https\n", {
        file: "clusters/a.yaml",
        expectedId: "a",
        clusterLabel: "cluster",
        federation: settings.federation,
      }),
    ]);
    const objects = parseAllDocuments(fleet.tree.get("federation/leaf-000/prometheus.yaml") as string).map(
      (d) => d.toJS(),
    );
    const scrape = objects.find((o) => o.kind === "ScrapeConfig");
    expect(scrape.spec).toMatchObject({
      tlsConfig: { ca: { secret: { name: "ca", key: "ca.crt" } }, serverName: "prom.internal" },
      basicAuth: { username: { name: "auth", key: "user" }, password: { name: "auth", key: "password" } },
    });
    expect(() => new ScrapeConfig(scrape).validate()).not.toThrow();
    expect(fleet.tree.get("federation/leaf-000/prometheus.yml")).toContain(
      "password_file: /etc/fleetfed/secrets/auth/password",
    );
  });
});

describe.skipIf(!kubectl)("federators as production Prometheus, from kubectl kustomize", () => {
  const build = async (root: string) => {
    const out = await $({ quiet: true })`${kubectl} kustomize ${join(root, "manifests")}`;
    return parseAllDocuments(out.stdout).map((d) => d.toJS());
  };
  /**
   * A golden fleet's inputs rendered now, never its committed manifests/: what the code renders today is
   * what these tests hold (regenerating the goldens cannot hide a change).
   */
  const freshRoot = async (golden: string) => {
    const root = await makeRepo({}, join(GOLDEN, golden));
    await rm(join(root, "manifests"), { recursive: true, force: true });
    const r = await runCli(["render", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    return root;
  };
  const fresh = async (golden: string) => build(await freshRoot(golden));

  it("run 2 replicas each, with a PodDisruptionBudget, restricted security, and memory requests and limits", async () => {
    const objects = await fresh("tree");
    const sets = objects.filter((o) => o.kind === "StatefulSet");
    expect(sets.map((s) => s.metadata.name).sort()).toEqual([
      "fleetfed-global",
      "fleetfed-leaf-000",
      "fleetfed-leaf-001",
      "fleetfed-leaf-002",
    ]);
    for (const sts of sets) {
      const name = sts.metadata.name;
      expect(sts.spec.replicas, name).toBeGreaterThanOrEqual(2);
      const pdb = objects.find(
        (o) =>
          o.kind === "PodDisruptionBudget" &&
          Object.entries(o.spec.selector.matchLabels).every(
            ([k, v]) => sts.spec.template.metadata.labels[k] === v,
          ),
      );
      expect(pdb, `${name}: a PodDisruptionBudget selecting its pods`).toBeDefined();
      expect(sts.spec.template.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const c of sts.spec.template.spec.containers) {
        expect(c.securityContext, `${name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          runAsNonRoot: true,
        });
        expect(c.resources.requests.memory, `${name}/${c.name}`).toBeDefined();
        expect(c.resources.limits.memory, `${name}/${c.name}`).toBeDefined();
      }
      expect(sts.spec.template.spec.affinity.podAntiAffinity).toBeDefined();
      expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: "Retain",
        whenScaled: "Retain",
      });
      const headless = objects.find((o) => o.kind === "Service" && o.metadata.name === sts.spec.serviceName);
      expect(headless?.spec.clusterIP, `${name}: serviceName is a headless Service`).toBe("None");
    }
  });

  it("admit only the tier above, Grafana and Prometheus to port 9090, with no API token, a startup probe, zone spread and a graceful stop (#23)", async () => {
    const objects = await fresh("tree");
    const sets = objects.filter((o) => o.kind === "StatefulSet");
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    expect(policies).toHaveLength(sets.length);
    for (const sts of sets) {
      const name = sts.metadata.name;
      const pod = sts.spec.template.spec;
      const policy = policies.find((p) =>
        Object.entries(p.spec.podSelector.matchLabels).every(
          ([k, v]) => sts.spec.template.metadata.labels[k] === v,
        ),
      );
      expect(policy, `${name}: a NetworkPolicy selecting its pods`).toBeDefined();
      expect(policy.spec.policyTypes).toEqual(["Ingress"]);
      const to9090 = policy.spec.ingress.filter((r: { ports: { port: number }[] }) =>
        r.ports.some((p) => p.port === 9090),
      );
      expect(to9090).toHaveLength(1);
      // Every peer names its pods: no rule lets an arbitrary pod of an arbitrary namespace in.
      for (const peer of to9090[0].from)
        expect(peer.podSelector?.matchLabels, `${name}: ${JSON.stringify(peer)}`).toBeDefined();
      const names = to9090[0].from.map(
        (p: { podSelector: { matchLabels: Record<string, string> } }) =>
          p.podSelector.matchLabels["app.kubernetes.io/instance"] ??
          p.podSelector.matchLabels["app.kubernetes.io/name"],
      );
      if (name === "fleetfed-global") expect(names).toEqual(["grafana", "prometheus"]);
      else expect(names).toEqual(["fleetfed-global", "grafana", "prometheus"]);
      expect(pod.automountServiceAccountToken, name).toBe(false);
      expect(pod.terminationGracePeriodSeconds, name).toBe(600);
      expect(pod.topologySpreadConstraints[0]).toMatchObject({
        topologyKey: "topology.kubernetes.io/zone",
        maxSkew: 1,
      });
      const prometheus = pod.containers.find((c: { name: string }) => c.name === "prometheus");
      expect(prometheus.startupProbe).toMatchObject({ httpGet: { path: "/-/ready" }, failureThreshold: 60 });
      // A leaf is a buffer: short retention on a small volume; the global keeps the history.
      const retention = prometheus.args.find((a: string) => a.startsWith("--storage.tsdb.retention.time="));
      expect(retention, name).toBe(
        name === "fleetfed-global" ? "--storage.tsdb.retention.time=15d" : "--storage.tsdb.retention.time=2d",
      );
      expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, name).toBe(
        name === "fleetfed-global" ? "50Gi" : "10Gi",
      );
    }
    expect(objects.filter((o) => o.kind === "ServiceMonitor")).toEqual([]);
    // The operator flavour's pods carry the same instance and name labels: one policy each there too.
    const operator = await fresh("operator");
    const prometheuses = operator.filter((o) => o.kind === "Prometheus").map((o) => o.metadata.name);
    expect(
      operator
        .filter((o) => o.kind === "NetworkPolicy")
        .map((o) => o.spec.podSelector.matchLabels["app.kubernetes.io/instance"])
        .sort(),
    ).toEqual(prometheuses.sort());
  });

  it("renders replicas: 1 as one pod per federator: no PodDisruptionBudget, no replica alerts, each replica still read, and check passes (#31)", async () => {
    const root = await makeRepo({}, join(GOLDEN, "tree"));
    const fleetYaml = await readFile(join(root, "fleet.yaml"), "utf8");
    await writeFile(
      join(root, "fleet.yaml"),
      fleetYaml.replace(/^federation:\n/m, "federation:\n  replicas: 1\n"),
    );
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const objects = await build(root);
    const sets = objects.filter((o) => o.kind === "StatefulSet");
    expect(sets.length).toBeGreaterThan(1);
    for (const sts of sets) expect(sts.spec.replicas, sts.metadata.name).toBe(1);
    // A budget of maxUnavailable 1 over one pod would let a drain take the only one; none is rendered.
    expect(objects.filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    const alerts = parse(await readFile(join(root, "manifests/federation/global/alerts.yml"), "utf8"));
    const names = alerts.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));
    expect(names).not.toContain("FleetfedFederatorReplicasDegraded");
    expect(names).not.toContain("FleetfedFederatorReplicaMissesCluster");
    expect(names).toContain("FleetfedFederatorConfigReloadFailed");
    const global = parse(await readFile(join(root, "manifests/federation/global/prometheus.yml"), "utf8"));
    expect(global.scrape_configs.map((j: { job_name: string }) => j.job_name)).toContain(
      "fleetfed-federator-replicas",
    );
    const check = await runCli(["check", "--root", root], { env: { CI: "true" } });
    expect(check.code, check.stderr).toBe(0);
  });

  it.each(["flat", "labels", "operator", "overrides", "tree"])(
    "sign off as an SRE would on a fresh render of the %s golden: a network only the tier above reaches, no lifecycle API, volumes that outlive any deletion, GitOps that settles (#30)",
    async (golden) => {
      const root = await freshRoot(golden);
      const objects = await build(root);
      const namespace = (o: { metadata: { namespace?: string } }) => o.metadata.namespace;
      const fleetfedPod = { "app.kubernetes.io/part-of": "fleetfed", "app.kubernetes.io/name": "prometheus" };
      // Whether a peer (namespace and pod selector, as Kubernetes evaluates them) admits a pod.
      const admits = (
        peer: {
          namespaceSelector?: { matchLabels?: Record<string, string> };
          podSelector?: {
            matchLabels?: Record<string, string>;
            matchExpressions?: { key: string; operator: string; values: string[] }[];
          };
        },
        pod: { namespace: string; labels: Record<string, string> },
      ) =>
        Object.entries(peer.namespaceSelector?.matchLabels ?? {}).every(
          ([k, v]) => k === "kubernetes.io/metadata.name" && v === pod.namespace,
        ) &&
        Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => pod.labels[k] === v) &&
        (peer.podSelector?.matchExpressions ?? []).every((e) =>
          e.operator === "NotIn" ? !e.values.includes(pod.labels[e.key] as string) : false,
        );
      const policies = objects.filter((o) => o.kind === "NetworkPolicy");
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies) {
        const name = policy.metadata.name as string;
        const ns = namespace(policy) as string;
        for (const rule of policy.spec.ingress)
          for (const peer of rule.from) {
            // Every peer names a namespace by its name label and names pods: never an empty selector.
            expect(
              Object.keys(peer.namespaceSelector?.matchLabels ?? {}),
              `${name}: ${JSON.stringify(peer)}`,
            ).not.toEqual([]);
            expect(
              Object.keys(peer.podSelector?.matchLabels ?? {}),
              `${name}: ${JSON.stringify(peer)}`,
            ).not.toEqual([]);
          }
        // Of fleetfed's own federators, only its global reaches a leaf, and no federator reaches the global.
        const federators = objects
          .filter((o) => o.kind === "StatefulSet" || o.kind === "Prometheus")
          .map((o) => o.metadata.name as string);
        const admitted = federators.filter((other) =>
          policy.spec.ingress.some((rule: { from: object[] }) =>
            rule.from.some((peer) =>
              admits(peer, {
                namespace: ns,
                labels: { ...fleetfedPod, "app.kubernetes.io/instance": other },
              }),
            ),
          ),
        );
        const isTop = name === "fleetfed-global" || federators.length === 1;
        expect(admitted, name).toEqual(isTop ? [] : ["fleetfed-global"]);
        // Grafana in the federators' namespace still gets in; Grafana elsewhere does not.
        const grafana = (namespace: string) =>
          policy.spec.ingress.some((rule: { from: object[] }) =>
            rule.from.some((peer) =>
              admits(peer, { namespace, labels: { "app.kubernetes.io/name": "grafana" } }),
            ),
          );
        expect(grafana(ns), name).toBe(true);
        expect(grafana("somewhere-else"), name).toBe(false);
      }
      for (const sts of objects.filter((o) => o.kind === "StatefulSet")) {
        const name = sts.metadata.name as string;
        const pod = sts.spec.template.spec;
        const [prometheus, reloader] = ["prometheus", "config-reloader"].map((n) =>
          pod.containers.find((c: { name: string }) => c.name === n),
        );
        // No lifecycle API: /-/reload and /-/quit answer 403 on every port; the reloader signals instead.
        for (const c of pod.containers)
          expect(c.args ?? [], `${name}/${c.name}`).not.toContain("--web.enable-lifecycle");
        expect(reloader.args).toContain("--reload-method=signal");
        expect(reloader.args.some((a: string) => a.includes("/-/reload"))).toBe(false);
        expect(pod.shareProcessNamespace, name).toBe(true);
        // History survives any deletion or scale-down, and no GitOps tool prunes a volume.
        expect(sts.spec.persistentVolumeClaimRetentionPolicy, name).toEqual({
          whenDeleted: "Retain",
          whenScaled: "Retain",
        });
        for (const claim of sts.spec.volumeClaimTemplates) {
          expect(claim, name).toMatchObject({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: {
              annotations: {
                "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
                "kustomize.toolkit.fluxcd.io/prune": "disabled",
              },
            },
          });
        }
        // Flux waits at least a whole rollout: the old pod's grace period, then the new one's startup window.
        const window =
          pod.terminationGracePeriodSeconds +
          prometheus.startupProbe.periodSeconds * prometheus.startupProbe.failureThreshold;
        for (const file of ["federation.yaml", "dashboards.yaml"]) {
          const path = join(root, "manifests", "flux", file);
          if (!existsSync(path)) continue; // delivery.flux off in this golden
          const flux = parse(await readFile(path, "utf8"));
          expect(Number(/^(\d+)m$/.exec(flux.spec.timeout)?.[1]) * 60, file).toBeGreaterThanOrEqual(window);
        }
      }
      for (const p of objects.filter((o) => o.kind === "Prometheus")) {
        expect(p.spec.reloadStrategy).toBe("ProcessSignal");
        expect(p.spec.persistentVolumeClaimRetentionPolicy).toEqual({
          whenDeleted: "Retain",
          whenScaled: "Retain",
        });
        expect(p.spec.podMetadata.labels["app.kubernetes.io/part-of"]).toBe("fleetfed");
      }
      // Argo CD applies the child Applications side by side: no sync wave asks it to wait on their health.
      for (const file of ["federation.yaml", "dashboards.yaml"]) {
        const path = join(root, "manifests", "argocd", "apps", file);
        if (!existsSync(path)) continue; // delivery.argocd off in this golden
        const app = parse(await readFile(path, "utf8"));
        expect(app.metadata.annotations?.["argocd.argoproj.io/sync-wave"], file).toBeUndefined();
        expect(app.spec.syncPolicy.syncOptions, file).toContain("CreateNamespace=true");
      }
    },
  );

  it.each(["tree", "operator"])(
    "render a ServiceMonitor per federator when asked, labelled for the monitoring cluster's Prometheus, in the %s golden's flavour (#23)",
    async (golden) => {
      const root = await makeRepo({}, join(GOLDEN, golden));
      const fleetYaml = await readFile(join(root, "fleet.yaml"), "utf8");
      await writeFile(
        join(root, "fleet.yaml"),
        fleetYaml.replace(
          /^federation:\n/m,
          "federation:\n  serviceMonitor: {enabled: true, labels: {release: kube-prometheus-stack}}\n",
        ),
      );
      expect((await runCli(["render", "--root", root])).code).toBe(0);
      const monitors = (await build(root)).filter((o) => o.kind === "ServiceMonitor");
      expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
        "fleetfed-global",
        "fleetfed-leaf-000",
        "fleetfed-leaf-001",
        "fleetfed-leaf-002",
      ]);
      const objects = await build(root);
      for (const m of monitors) {
        expect(m.metadata.labels.release).toBe("kube-prometheus-stack");
        expect(m.spec.endpoints).toEqual([{ port: "http", path: "/metrics" }]);
        // It selects exactly its federator's Service, whose port it names: every replica behind it is an
        // endpoint of its own to the monitoring cluster's Prometheus.
        const { matchLabels, matchExpressions = [] } = m.spec.selector as {
          matchLabels: Record<string, string>;
          matchExpressions?: { key: string; operator: string }[];
        };
        const selected = objects.filter(
          (o) =>
            o.kind === "Service" &&
            Object.entries(matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v) &&
            matchExpressions.every(
              (e) => e.operator === "DoesNotExist" && !(e.key in (o.metadata.labels ?? {})),
            ),
        );
        expect(selected.map((o) => o.metadata.name)).toEqual([m.metadata.name]);
        expect(selected[0]?.spec.ports.map((x: { name: string }) => x.name)).toContain("http");
      }
      const check = await runCli(["check", "--root", root]);
      expect(check.stderr).toMatch(/Kubernetes objects: \d+, all valid for the API/);
    },
  );

  it("leave every pod template byte-identical when a cluster joins a leaf with room: config by reload", async () => {
    const root = await makeRepo({}, join(GOLDEN, "tree"));
    const templates = async () =>
      (await build(root))
        .filter((o) => o.kind === "StatefulSet")
        .map((o) => JSON.stringify(o.spec.template))
        .join("\n");
    const before = await templates();
    const config = await readFile(
      join(root, "manifests", "federation", "leaf-002", "prometheus.yml"),
      "utf8",
    );
    // leaf-002 holds one cluster of three: a new cluster goes there.
    await writeFiles(root, {
      "clusters/c08.yaml": "cluster: c08\nendpoint: prometheus.c08.internal.example.com:80\n",
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    expect(
      await readFile(join(root, "manifests", "federation", "leaf-002", "prometheus.yml"), "utf8"),
    ).not.toBe(config);
    expect(await templates()).toBe(before);
  });
});

describe("cluster rules on every workload cluster, and delivery settings", () => {
  it("renders an Argo CD ApplicationSet over the selected clusters, Flux Kustomizations per kubeconfig, secretRef and destination", () => {
    const settings = parseSettings(
      "delivery:\n  repoURL: https://git.corp.example/fleet.git\n  argocd: {server: 'https://10.0.0.1:6443'}\n  flux: {secretRef: git-auth}\n  clusterRules: {selector: {env: prod}, kubeConfigSecrets: [eu-1, us-1], namespace: observability}\n",
      "fleet.yaml",
    );
    const tree = renderFleet(settings, { clusters: [], placement: new Map() }, []).tree;
    const set = parse(tree.get("argocd/apps/cluster-rules.yaml") as string);
    expect(() => new ApplicationSet(set).validate()).not.toThrow();
    expect(set.spec.generators).toEqual([{ clusters: { selector: { matchLabels: { env: "prod" } } } }]);
    expect(set.spec.template.spec).toMatchObject({
      source: { repoURL: "https://git.corp.example/fleet.git", path: "manifests/cluster-rules" },
      destination: { server: "{{.server}}", namespace: "observability" },
    });
    expect(parse(tree.get("argocd/apps/kustomization.yaml") as string).resources).toContain(
      "cluster-rules.yaml",
    );
    const federation = parse(tree.get("argocd/apps/federation.yaml") as string);
    expect(federation.spec.destination.server).toBe("https://10.0.0.1:6443");
    const source = parse(tree.get("flux/source.yaml") as string);
    expect(source.spec.secretRef).toEqual({ name: "git-auth" });
    const rules = parseAllDocuments(tree.get("flux/cluster-rules.yaml") as string).map((d) => d.toJS());
    expect(
      rules.map((k) => [k.metadata.name, k.spec.kubeConfig.secretRef.name, k.spec.targetNamespace]),
    ).toEqual([
      ["fleetfed-cluster-rules-eu-1", "eu-1", "observability"],
      ["fleetfed-cluster-rules-us-1", "us-1", "observability"],
    ]);
    for (const k of rules) expect(() => new FluxKustomization(k).validate()).not.toThrow();
  });
});

describe("Prometheus 3 compatibility (#23): nothing the v3 migration guide changes", () => {
  // Prometheus 3.0's migration guide: these feature flags are gone (the behaviour is default or has its
  // own flag), external label values expand $var, and targets keep exactly the port they are given.
  const REMOVED_FLAGS = [
    "promql-at-modifier",
    "promql-negative-offset",
    "remote-write-receiver",
    "new-service-discovery-manager",
    "expand-external-labels",
    "no-default-scrape-port",
    "agent",
    "auto-gomemlimit",
    "auto-gomaxprocs",
    "utf8-names",
  ];

  it.each([...CASES, "example"])(
    "the %s fleet uses no removed flag, no $ in external labels, an explicit port on every target",
    async (c) => {
      const root = c === "example" ? EXAMPLE_FLEET : join(GOLDEN, c);
      const tree = await readTree(join(root, "manifests"));
      for (const [path, text] of tree) {
        for (const flag of text.matchAll(/--enable-feature=([\w,-]+)/g))
          for (const f of (flag[1] as string).split(","))
            expect(REMOVED_FLAGS, `${path}: ${f}`).not.toContain(f);
        if (!path.endsWith("/prometheus.yml")) continue;
        const config = parseAllDocuments(text)[0]?.toJS() as {
          global: { external_labels?: Record<string, string> };
          scrape_configs: { static_configs?: { targets: string[] }[] }[];
        };
        for (const v of Object.values(config.global.external_labels ?? {}))
          expect(v, path).not.toContain("$");
        for (const job of config.scrape_configs)
          for (const sc of job.static_configs ?? [])
            for (const t of sc.targets) expect(t, path).toMatch(/:\d+$/);
      }
    },
  );
});

describe("the Fleet overview at 500 clusters (#23)", () => {
  const fleet = renderFleet(
    parseSettings("federation:\n  shardSize: 50\n", "fleet.yaml"),
    {
      clusters: Array.from({ length: 500 }, (_, i) => discoveredCluster(`c${String(i).padStart(3, "0")}`)),
      placement: new Map(),
    },
    Array.from({ length: 500 }, (_, i) =>
      parseClusterFile(
        `cluster: c${String(i).padStart(3, "0")}\nlabels: {env: ${i % 2 ? "prod" : "dev"}, region: r${i % 5}, team: t${i % 7}}\n`,
        {
          file: `clusters/c${i}.yaml`,
          expectedId: `c${String(i).padStart(3, "0")}`,
          clusterLabel: "cluster",
        },
      ),
    ),
  );
  const overview = JSON.parse(fleet.tree.get("dashboards/fleetfed-fleet-overview.json") as string) as {
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; multi?: boolean; includeAll?: boolean; allValue?: string }[] };
  };

  it("draws no series per cluster: every time series panel aggregates, every table is a top 10 or a status list", () => {
    for (const panel of overview.panels) {
      for (const t of panel.targets ?? []) {
        if (panel.type === "timeseries")
          expect(t.expr, panel.title).toMatch(/^(sum|count|quantile|max|min|avg|topk|bottomk)\(/);
        if (panel.type === "table" && !/status/i.test(panel.title))
          expect(t.expr, panel.title).toMatch(/^topk\(10,/);
      }
    }
    expect(overview.panels.filter((p) => p.type === "timeseries").length).toBeGreaterThan(3);
  });

  it("filters by the fleet's own labels, several values at once, every query", () => {
    const filters = overview.templating.list.filter((v) => ["env", "region", "team"].includes(v.name));
    expect(filters.map((v) => [v.name, v.multi, v.includeAll, v.allValue])).toEqual([
      ["env", true, true, ".*"],
      ["region", true, true, ".*"],
      ["team", true, true, ".*"],
    ]);
    for (const panel of overview.panels)
      for (const t of panel.targets ?? [])
        expect(t.expr, panel.title).toContain('env=~"$env",region=~"$region",team=~"$team"');
  });

  it("links to a cluster's detail keeping the datasource and the time range", () => {
    const text = fleet.tree.get("dashboards/fleetfed-fleet-overview.json") as string;
    expect(text).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variables, written literally
      "var-cluster=${__field.labels.cluster}&${__url_time_range}&${datasource:queryparam}",
    );
  });
});
