// Behaviours that only byte-for-byte goldens used to hold, and the single-line mutations a code review
// found no test catching (issue #24). Each test here reads the behaviour, not the bytes: regenerating the
// goldens blindly cannot hide a change to one of them.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { alertRules } from "../scripts/core/render/alert-rules.ts";
import { exceedsMaxRemovals } from "../scripts/core/review/change.ts";
import { discoveredCluster } from "./support/fleet.ts";
import { makeRepo, runCli } from "./support/repo.ts";

const settingsOf = (yaml: string) => parseSettings(yaml, "fleet.yaml");
const render = (yaml: string, ids: string[], files: ReturnType<typeof parseClusterFile>[] = []) =>
  renderFleet(
    settingsOf(yaml),
    { clusters: ids.map((id) => discoveredCluster(id)), placement: new Map() },
    files,
  );
const config = (tree: ReadonlyMap<string, string>, federator: string) =>
  parse(tree.get(`federation/${federator}/prometheus.yml`) as string) as {
    scrape_configs: Record<string, unknown>[];
  };

describe("what the rendered federators do", () => {
  it("restores each federated series' source job and instance, and drops the losing exported_ labels", () => {
    const fleet = render("federation:\n  shardSize: 2\n", ["a"]);
    const job = config(fleet.tree, "leaf-000").scrape_configs.find(
      (j) => j.job_name === "fleetfed-clusters",
    ) as {
      honor_labels: boolean;
      metric_relabel_configs: {
        source_labels?: string[];
        target_label?: string;
        action?: string;
        regex?: string;
      }[];
    };
    expect(job.honor_labels).toBe(false);
    expect(job.metric_relabel_configs).toContainEqual(
      expect.objectContaining({ source_labels: ["exported_job"], target_label: "job" }),
    );
    expect(job.metric_relabel_configs).toContainEqual(
      expect.objectContaining({ source_labels: ["exported_instance"], target_label: "instance" }),
    );
    const drop = job.metric_relabel_configs.find((r) => r.action === "labeldrop");
    expect(drop?.regex).toMatch(/exported_job/);
    expect(drop?.regex).toMatch(/prometheus_replica/);
  });

  it("sizes the global's sample_limit and body_size_limit for a full leaf, so a cluster joining one never changes it", () => {
    const yaml = "federation:\n  shardSize: 3\n  sampleLimit: 1000\n  bodySizeLimit: 10MB\n";
    const leaves = (fleet: ReturnType<typeof render>) =>
      config(fleet.tree, "global").scrape_configs.find((j) => j.job_name === "fleetfed-leaves") as {
        sample_limit: number;
        body_size_limit: string;
      };
    const one = leaves(render(yaml, ["a"]));
    // Three clusters at their 1000-sample limit, with the seven health series the global reads of each.
    expect(one.sample_limit).toBe((1000 + 7) * 3);
    expect(one.body_size_limit).toBe("10MB");
    expect(leaves(render(yaml, ["a", "b", "c"]))).toEqual(one);
    // Without bodySizeLimit: 1 KiB a sample of the leaf's limit.
    const derived = leaves(render("federation:\n  shardSize: 3\n  sampleLimit: 1000\n", ["a"]));
    expect(derived.body_size_limit).toBe(`${(1000 + 7) * 3}KB`);
  });

  it("limits where federators connect when networkPolicy.egress is on: DNS, each leaf its clusters' ports, the global the federators and Alertmanagers (#30)", () => {
    const yaml =
      "federation:\n  shardSize: 2\n  networkPolicy: {egress: {enabled: true}}\nalerting:\n  alertmanagers: ['http://alertmanager-operated.monitoring.svc:9093']\n";
    const b = parseClusterFile("cluster: b\nendpoint: prometheus.b.example.com:9443\n", {
      file: "clusters/b.yaml",
      expectedId: "b",
      clusterLabel: "cluster",
    });
    const fleet = render(yaml, ["a", "b", "c"], [b]);
    const policy = (federator: string) =>
      parse(
        (fleet.tree.get(`federation/${federator}/federator.yaml`) as string)
          .split("---\n")
          .find((d) => d.includes("kind: NetworkPolicy")) as string,
      ).spec;
    const leaf = policy("leaf-000");
    expect(leaf.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(leaf.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
      // a's endpoint (as discovered) listens on 80, b's (its cluster file's) on 9443; any address.
      {
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 9443 },
        ],
      },
    ]);
    const top = policy("global").egress;
    expect(top[1].to[0].podSelector.matchLabels).toEqual({
      "app.kubernetes.io/part-of": "fleetfed",
      "app.kubernetes.io/name": "prometheus",
    });
    expect(top[2]).toEqual({ ports: [{ protocol: "TCP", port: 9093 }] });
    // Off by default: ingress only.
    expect(
      parse(
        (
          render("federation:\n  shardSize: 2\n", ["a"]).tree.get(
            "federation/leaf-000/federator.yaml",
          ) as string
        )
          .split("---\n")
          .find((d) => d.includes("kind: NetworkPolicy")) as string,
      ).spec.egress,
    ).toBeUndefined();
  });

  it("alerts FleetfedClusterFederationDown for clusters in a job of their own too", () => {
    const rule = alertRules(
      render("federation:\n  shardSize: 2\n", ["a"]).plan,
      settingsOf("federation:\n  shardSize: 2\n"),
    ).find((r) => r.alert === "FleetfedClusterFederationDown");
    // Down, unless it is refused for sending too much (FleetfedClusterOverLimit says that).
    expect(rule?.expr).toMatch(
      /^up\{job=~"fleetfed-clusters\.\*"\} == 0 unless on \(job, instance, cluster\) \(/,
    );
    // A cluster file with an override gets job fleetfed-clusters-<id>, which the regex covers.
    const file = parseClusterFile("cluster: slow\nscrapeInterval: 60s\n", {
      file: "clusters/slow.yaml",
      expectedId: "slow",
      clusterLabel: "cluster",
    });
    const fleet = render("federation:\n  shardSize: 2\n", ["slow"], [file]);
    const jobs = config(fleet.tree, "leaf-000").scrape_configs.map((j) => j.job_name as string);
    expect(jobs).toContain("fleetfed-clusters-slow");
    expect(/^fleetfed-clusters.*$/.test("fleetfed-clusters-slow")).toBe(true);
  });

  it("keeps a cluster's own authorization without the fleet's basicAuth beside it (Prometheus refuses both)", () => {
    const yaml =
      "federation:\n  shardSize: 2\n  secrets: [s]\n  basicAuth: {username: u, passwordFile: /etc/fleetfed/secrets/s/p}\n";
    const s = settingsOf(yaml);
    const file = parseClusterFile(
      "cluster: a\nscheme: https\nauthorization: {credentialsFile: /etc/fleetfed/secrets/s/t}\n",
      { file: "clusters/a.yaml", expectedId: "a", clusterLabel: "cluster", federation: s.federation },
    );
    const fleet = renderFleet(s, { clusters: [discoveredCluster("a")], placement: new Map() }, [file]);
    const job = config(fleet.tree, "leaf-000").scrape_configs.find(
      (j) => j.job_name === "fleetfed-clusters-a",
    );
    expect(job?.authorization).toEqual({ type: "Bearer", credentials_file: "/etc/fleetfed/secrets/s/t" });
    expect(job?.basic_auth).toBeUndefined();
  });
});

describe("what the inputs refuse", () => {
  it.each([
    [
      "fleet.yaml",
      "federation:\n  scrapeInterval: 0s\n",
      undefined,
      /federation\.scrapeInterval: must be longer than 0s/,
    ],
    [
      "a cluster file",
      "federation:\n  shardSize: 2\n",
      "cluster: a\nendpoint: p.a.example.com:9090\nscrapeInterval: 0s\n",
      /scrapeInterval: must be longer than 0s/,
    ],
    [
      "a cluster file",
      "federation:\n  shardSize: 2\n",
      "cluster: a\nendpoint: p.a.example.com:0\n",
      /endpoint: port 0 is not a TCP port/,
    ],
    [
      "a cluster file",
      "federation:\n  shardSize: 2\n",
      "cluster: a\nendpoint: p.a.example.com:70000\n",
      /endpoint: port 70000 is not a TCP port/,
    ],
    [
      "a cluster file",
      "federation:\n  shardSize: 2\n",
      "cluster: a\nendpoint: p.a.example.com:9090\ntls: {certFile: /etc/c}\n",
      /tls: certFile and keyFile go together/,
    ],
    [
      "a cluster file (operator flavour)",
      "federation:\n  shardSize: 2\n  flavor: operator\n",
      "cluster: a\nendpoint: p.a.example.com:9090\nauthorization: {credentialsFile: /etc/token}\n",
      /authorization\.credentialsFile: is outside \/etc\/fleetfed\/secrets, where the federators mount the Secrets federation\.secrets lists/,
    ],
  ])("%s: %j", async (_, fleetYaml, cluster, says) => {
    const root = await makeRepo({ "fleet.yaml": fleetYaml, ...(cluster && { "clusters/a.yaml": cluster }) });
    const r = await runCli(["render", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(says);
  });
});

describe("what check and the pull request refuse to let through", () => {
  it("check fails a manifests/ holding a file render does not produce (Argo CD would apply it)", async () => {
    const root = await makeRepo({ "fleet.yaml": "federation:\n  shardSize: 2\n" });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    await writeFile(join(root, "manifests", "federation", "extra.yaml"), "kind: ConfigMap\n");
    const r = await runCli(["check", "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: manifests\/federation\/extra.yaml: is not produced by a fresh render/m);
  });

  it("makes a draft only when removals exceed safety.maxRemovals, not when they equal it", () => {
    expect(exceedsMaxRemovals(5, 5)).toBe(false);
    expect(exceedsMaxRemovals(6, 5)).toBe(true);
    expect(exceedsMaxRemovals(0, 0)).toBe(false);
  });
});
