// Onboarding a workload cluster (#32): the name its Prometheus is published under reads back through
// discovery (the real record-set code, as Route 53 returns names) as the same cluster id; the values and
// objects carry that id and that name; adding a cluster adds only its own onboarding files.

import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { clustersFromZones } from "../scripts/core/discovery/route53-records.ts";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import { parseSettings, type Settings } from "../scripts/core/inputs/settings.ts";
import { EMPTY_SNAPSHOT } from "../scripts/core/inputs/snapshot.ts";
import {
  KUBE_PROMETHEUS_STACK_FILE,
  newTarget,
  onboardingPath,
  PROMETHEUS_OPERATOR_FILE,
  recordNameTemplate,
} from "../scripts/core/render/onboarding.ts";
import { diffTrees } from "../scripts/core/review/change.ts";
import { makeRepo, runCli } from "./support/repo.ts";

const settingsOf = (yaml: string): Settings => parseSettings(yaml, "fleet.yaml");
const manualClusterFile = (id: string, endpoint: string, clusterLabel = "k8s_cluster") =>
  parseClusterFile(`cluster: ${id}\nendpoint: ${endpoint}\n`, {
    file: `clusters/${id}.yaml`,
    expectedId: id,
    clusterLabel,
  });
const route53 = (pattern: string, zones = "[internal.example.com.]", extra = "") =>
  settingsOf(
    `discovery:\n  route53:\n    hostedZones: ${zones}\n    recordPattern: '${pattern}'\n    port: 9090\n${extra}`,
  );

/** What discovery makes of one A record named `host` (as Route 53 lists it: with its trailing dot). */
function discoveredFrom(settings: Settings, host: string) {
  const r53 = settings.discovery.route53;
  if (!r53) throw new Error("no route53");
  return clustersFromZones(
    [
      {
        id: "Z1",
        name: "internal.example.com",
        records: [{ Name: `${host}.`, Type: "A", ResourceRecords: [{ Value: "10.0.0.7" }] }],
      },
    ],
    r53,
  );
}

const IDS = ["a", "checkout-prod", "eu-west-1-batch-07", "x".repeat(63)];

describe("the name a new cluster publishes", () => {
  it.each([
    [
      "the default pattern and the first zone given by name",
      route53("^prometheus\\.(?<cluster>[a-z0-9-]+)\\."),
    ],
    [
      "an anchored pattern that names the whole record",
      route53("^prom-(?<cluster>[a-z0-9-]+)\\.k8s\\.example\\.com$"),
    ],
    [
      "onboarding.recordName",
      route53(
        "^(?<cluster>[a-z0-9-]+)\\.metrics\\.",
        "[Z0123456789ABC]",
        "onboarding:\n  recordName: '{cluster}.metrics.internal.example.com'\n",
      ),
    ],
  ])("reads back through discovery as the same cluster id: %s", (_, settings) => {
    for (const id of IDS) {
      const t = newTarget(settings, id);
      expect("host" in t, JSON.stringify(t)).toBe(true);
      if (!("host" in t)) continue;
      const found = discoveredFrom(settings, t.host);
      expect(found.warnings).toEqual([]);
      expect(found.clusters.map((c) => [c.cluster, c.endpoint])).toEqual([[id, `${t.host}:9090`]]);
    }
  });

  it("is the zone after the pattern's literal part: prometheus.<id>.internal.example.com", () => {
    expect(recordNameTemplate(route53("^prometheus\\.(?<cluster>[a-z0-9-]+)\\."))).toEqual({
      template: "prometheus.{cluster}.internal.example.com",
    });
  });

  it("is refused, with the setting that fixes it, when the pattern is not a literal name or no zone is named", () => {
    for (const settings of [
      route53("^(prometheus|prom)\\.(?<cluster>[a-z0-9-]+)\\."),
      route53("^prometheus\\.(?<cluster>[a-z0-9-]+)\\.", "[Z0123456789ABC]"),
      settingsOf("{}\n"),
    ]) {
      const t = newTarget(settings, "a");
      expect("host" in t).toBe(false);
      expect(t).toMatchObject({ field: "onboarding.recordName", hint: expect.stringMatching(/recordName/) });
    }
  });

  it("is refused when onboarding.recordName would be discovered as another cluster, or not at all", () => {
    const other = route53(
      "^prometheus\\.(?<cluster>[a-z0-9]+)",
      "[internal.example.com.]",
      "onboarding:\n  recordName: 'prometheus.{cluster}.internal.example.com'\n",
    );
    expect(newTarget(other, "eu-1")).toMatchObject({
      message: expect.stringMatching(/discovered as cluster "eu"/),
    });
    const none = route53(
      "^prom\\.(?<cluster>[a-z0-9-]+)\\.",
      "[internal.example.com.]",
      "onboarding:\n  recordName: 'prometheus.{cluster}.x'\n",
    );
    expect(newTarget(none, "a")).toMatchObject({ message: expect.stringMatching(/ignored by discovery/) });
  });
});

describe("the rendered onboarding files", () => {
  const settings = settingsOf(
    "clusterLabel: k8s_cluster\nclusterRules:\n  labels:\n    release: kps\nonboarding:\n  namespace: obs\n  prometheus: main\n",
  );
  const files = ["a", "b"].map((id) => manualClusterFile(id, `prometheus.${id}.internal.example.com:9443`));
  const fleet = renderFleet(settings, EMPTY_SNAPSHOT, files);

  it("carry the cluster's id under the fleet's cluster label, and publish it where the fleet reaches it", () => {
    for (const id of ["a", "b"]) {
      const values = parse(fleet.tree.get(onboardingPath(id, KUBE_PROMETHEUS_STACK_FILE)) as string);
      expect(values.prometheus.prometheusSpec.externalLabels).toEqual({ k8s_cluster: id });
      // release: kps is the chart's own selector: nothing to override.
      expect(values.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBeUndefined();
      expect(values.prometheus.service.port).toBe(9443);
      expect(values.prometheus.service.annotations["external-dns.alpha.kubernetes.io/hostname"]).toBe(
        `prometheus.${id}.internal.example.com`,
      );
      expect(
        values.prometheus.service.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"],
      ).toBe("internal");
      const [service, prometheus] = parseAllDocuments(
        fleet.tree.get(onboardingPath(id, PROMETHEUS_OPERATOR_FILE)) as string,
      ).map((d) => d.toJS());
      expect(service.metadata).toMatchObject({ name: "fleetfed-prometheus", namespace: "obs" });
      expect(service.spec.selector["operator.prometheus.io/name"]).toBe("main");
      expect(service.spec.ports[0].port).toBe(9443);
      expect(prometheus).toEqual({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "Prometheus",
        metadata: { name: "main", namespace: "obs" },
        spec: { externalLabels: { k8s_cluster: id }, ruleSelector: { matchLabels: { release: "kps" } } },
      });
    }
  });

  it("select every PrometheusRule when fleetfed's carries no release label, or more labels than release", () => {
    const bare = renderFleet(settingsOf("{}\n"), EMPTY_SNAPSHOT, files);
    const values = parse(bare.tree.get(onboardingPath("a", KUBE_PROMETHEUS_STACK_FILE)) as string);
    expect(values.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBe(false);
    // release beside another label: the chart's {release: <name>} selector is not the whole of it.
    const more = renderFleet(
      settingsOf("clusterRules:\n  labels: {release: kps, team: obs}\n"),
      EMPTY_SNAPSHOT,
      files,
    );
    const v = parse(more.tree.get(onboardingPath("a", KUBE_PROMETHEUS_STACK_FILE)) as string);
    expect(v.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBe(false);
  });

  it("adding a cluster adds only its own two onboarding files", () => {
    const more = renderFleet(settings, EMPTY_SNAPSHOT, [
      ...files,
      manualClusterFile("c", "prometheus.c.internal.example.com:9443"),
    ]);
    const d = diffTrees(fleet.tree, more.tree);
    const onboarding = (ps: readonly string[]) => ps.filter((p) => p.startsWith("onboarding/"));
    expect(onboarding(d.added)).toEqual([
      onboardingPath("c", KUBE_PROMETHEUS_STACK_FILE),
      onboardingPath("c", PROMETHEUS_OPERATOR_FILE),
    ]);
    expect(onboarding(d.changed)).toEqual([]);
    expect(onboarding(d.removed)).toEqual([]);
  });
});

describe("fleetfed onboard", () => {
  it("prints exactly the file render writes for a cluster the fleet lists", async () => {
    const root = await makeRepo({
      "fleet.yaml": "{}\n",
      "clusters/a.yaml": "cluster: a\nendpoint: prometheus.a.internal.example.com:9090\n",
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    const { readFile } = await import("node:fs/promises");
    for (const form of ["kube-prometheus-stack", "prometheus-operator"]) {
      const r = await runCli(["onboard", "a", "--form", form, "--root", root]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(await readFile(`${root}/manifests/onboarding/a/${form}.yaml`, "utf8"));
    }
  });

  it("refuses what it cannot render in one line each: no name to publish, a bad id, an unknown form, no cluster", async () => {
    const root = await makeRepo({ "fleet.yaml": "{}\n" });
    const noName = await runCli(["onboard", "new-one", "--root", root]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(
      /^error: fleet.yaml: onboarding.recordName: .*\(set onboarding.recordName/m,
    );
    expect((await runCli(["onboard", "Bad_Id", "--root", root])).stderr).toMatch(/is not a cluster id/);
    expect((await runCli(["onboard", "a", "--form", "helm", "--root", root])).stderr).toMatch(/--form/);
    const missing = await runCli(["onboard", "--root", root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/onboard needs <cluster>/);
    expect((await runCli(["render", "extra", "--root", root])).stderr).toMatch(/unexpected argument "extra"/);
  });
});
