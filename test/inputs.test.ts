// Every kind of bad input is refused with the file, line and field named, exit code 2, and manifests/ untouched.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { digestTree, makeRepo, runCli, snapshotJson, writeFiles } from "./support/repo.ts";

const VALID = {
  "fleet.yaml": "discovery:\n  route53:\n    hostedZones: []\nfederation:\n  shardSize: 2\n",
  "fleet.snapshot.json": snapshotJson(["alpha", "bravo", "charlie"]),
  "clusters/alpha.yaml": "cluster: alpha\nlabels: {env: prod}\n",
};

interface Case {
  name: string;
  files: Record<string, string>;
  /** `file:line` the message must start with. */
  where: string;
  /** Text the message must contain. */
  says: RegExp;
}

const CASES: Case[] = [
  {
    name: "an unknown key in fleet.yaml",
    files: { "fleet.yaml": "federation:\n  shardSize: 2\n  scrapeIntreval: 30s\n" },
    where: "fleet.yaml:3:3",
    says: /federation\.scrapeIntreval: unknown key "scrapeIntreval" \(allowed keys here: scrapeInterval/,
  },
  {
    name: "an unknown key in a cluster file",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlable: {env: prod}\n" },
    where: "clusters/alpha.yaml:2:1",
    says: /unknown key "lable"/,
  },
  {
    name: "a wrong type",
    files: { "fleet.yaml": "federation:\n  shardSize: fifty\n" },
    where: "fleet.yaml:2:14",
    says: /federation\.shardSize: must be an integer/,
  },
  {
    name: "a bad duration",
    files: { "fleet.yaml": "federation:\n  scrapeInterval: 30 seconds\n" },
    where: "fleet.yaml:2:19",
    says: /federation\.scrapeInterval: "30 seconds" must match pattern .*Prometheus duration/,
  },
  {
    name: "scrapeTimeout longer than scrapeInterval in fleet.yaml",
    files: { "fleet.yaml": "federation:\n  scrapeInterval: 30s\n  scrapeTimeout: 1m\n" },
    where: "fleet.yaml:3:18",
    says: /federation\.scrapeTimeout: 1m is longer than scrapeInterval 30s/,
  },
  {
    name: "scrapeTimeout longer than scrapeInterval in a cluster file",
    files: { "clusters/alpha.yaml": "cluster: alpha\nscrapeInterval: 10s\nscrapeTimeout: 15s\n" },
    where: "clusters/alpha.yaml:3:16",
    says: /scrapeTimeout: 15s is longer than scrapeInterval 10s/,
  },
  {
    name: "a file name that differs from cluster:",
    files: { "clusters/bravo.yaml": "cluster: brovo\n" },
    where: "clusters/bravo.yaml:1:10",
    says: /cluster: "brovo" differs from the file name "bravo" \(rename the file to brovo.yaml, or set cluster: bravo\)/,
  },
  {
    name: "a cluster defined twice",
    files: { "clusters/alpha.yml": "cluster: alpha\n" },
    where: "clusters/alpha.yml:1",
    says: /cluster "alpha" is defined twice: clusters\/alpha.yaml and clusters\/alpha.yml/,
  },
  {
    name: "an invalid label name",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlabels:\n  env: prod\n  team-name: core\n" },
    where: "clusters/alpha.yaml:4:3",
    says: /labels\.team-name: "team-name" is not a valid name/,
  },
  {
    name: "a reserved label name",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlabels:\n  cluster: other\n" },
    where: "clusters/alpha.yaml:3:3",
    says: /labels\.cluster: label "cluster" is reserved/,
  },
  {
    name: "a label value that is not a string",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlabels:\n  tier: 1\n" },
    where: "clusters/alpha.yaml:3:9",
    says: /labels\.tier: must be a string \(a label value: .*quote numbers/,
  },
  {
    name: "a label value with a control character",
    files: { "clusters/alpha.yaml": 'cluster: alpha\nlabels:\n  env: "prod\\nevil: 1"\n' },
    where: "clusters/alpha.yaml:3:8",
    says: /labels\.env: .* must match pattern/,
  },
  {
    name: "an endpoint that is not host:port",
    files: { "clusters/delta.yaml": "cluster: delta\nendpoint: http://prometheus.delta:9090/\n" },
    where: "clusters/delta.yaml:2:11",
    says: /endpoint: .* must match pattern .*host:port/,
  },
  {
    name: "an endpoint port out of range",
    files: { "clusters/delta.yaml": "cluster: delta\nendpoint: prometheus.delta:99999\n" },
    where: "clusters/delta.yaml:2:11",
    says: /endpoint: port 99999 is out of range/,
  },
  {
    name: "a record pattern without a cluster group",
    files: { "fleet.yaml": "discovery:\n  route53:\n    recordPattern: '^prometheus\\.([a-z0-9-]+)\\.'\n" },
    where: "fleet.yaml:3:20",
    says: /discovery\.route53\.recordPattern: has no named group \(\?<cluster>…\)/,
  },
  {
    name: "a record pattern that is not a regular expression",
    files: { "fleet.yaml": "discovery:\n  route53:\n    recordPattern: '^prometheus\\.(?<cluster>[a-z'\n" },
    where: "fleet.yaml:3:20",
    says: /recordPattern: is not a valid RE2 regular expression: missing \]/,
  },
  {
    name: "a snapshot that is not valid JSON",
    files: { "fleet.snapshot.json": '{\n  "clusters": [\n    {"cluster": "alpha",}\n  ]\n' },
    where: "fleet.snapshot.json:3:25",
    says: /invalid JSON: Expected double-quoted property name/,
  },
  {
    name: "a snapshot with a wrong field",
    files: { "fleet.snapshot.json": snapshotJson(["alpha"]).replace('"scheme":"http"', '"scheme":"gopher"') },
    where: "fleet.snapshot.json:3:",
    says: /clusters\.0\.scheme: must be one of "http", "https"/,
  },
  {
    name: "invalid YAML",
    files: { "clusters/alpha.yaml": "cluster: alpha\nlabels: {env: prod\n" },
    where: "clusters/alpha.yaml:3:1",
    says: /invalid YAML: Flow map in block collection must be sufficiently indented and end with a \}/,
  },
  {
    name: "a duplicate key",
    files: { "clusters/alpha.yaml": "cluster: alpha\nenabled: true\nenabled: false\n" },
    where: "clusters/alpha.yaml:3:1",
    says: /invalid YAML: key "enabled" appears twice in one mapping/,
  },
  {
    name: "a snapshot naming a cluster twice",
    files: { "fleet.snapshot.json": snapshotJson(["alpha", "alpha"]) },
    where: "fleet.snapshot.json:4:5",
    says: /cluster "alpha" appears twice/,
  },
];

describe("bad input", () => {
  let template: string;
  beforeAll(async () => {
    template = await makeRepo(VALID);
    const r = await runCli(["render", "--root", template]);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each(CASES)("refuses $name, naming file and line, and leaves manifests/ untouched", async (c) => {
    const root = await makeRepo({}, template);
    const before = await digestTree(join(root, "manifests"));
    await writeFiles(root, c.files);
    for (const args of [["render"], ["check"]]) {
      const r = await runCli([...args, "--root", root]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
      expect(
        errors.some((l) => l.startsWith(`error: ${c.where}`) && c.says.test(l)),
        r.stderr,
      ).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for an expected error
    }
    expect(await digestTree(join(root, "manifests"))).toBe(before);
  });

  it("reports every bad cluster file in one run", async () => {
    const root = await makeRepo({}, template);
    await writeFiles(root, {
      "clusters/alpha.yaml": "cluster: alpa\n",
      "clusters/bravo.yaml": "cluster: bravo\nenabled: maybe\n",
    });
    const r = await runCli(["render", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/clusters\/alpha.yaml:1:10: cluster:/);
    expect(r.stderr).toMatch(/clusters\/bravo.yaml:2:10: enabled: must be a boolean/);
  });

  it("warns, naming file and line, about a cluster file with no endpoint for a cluster Route 53 does not list", async () => {
    const root = await makeRepo({}, template);
    await writeFiles(root, { "clusters/delta.yaml": "cluster: delta\nlabels: {env: dev}\n" });
    const r = await runCli(["render", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: clusters\/delta.yaml:1: endpoint: cluster "delta" is not in Route 53 and has no endpoint, so it is not federated \(add endpoint:/,
    );
    expect(r.stdout).toMatch(/manifests\/ unchanged \(3 clusters/);
  });

  it("names the missing settings file", async () => {
    const root = await makeRepo({ "clusters/a.yaml": "cluster: a\nendpoint: a:1\n" });
    const r = await runCli(["render", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: fleet.yaml: settings file not found/);
  });

  it("emits GitHub annotations inside Actions", async () => {
    const root = await makeRepo({}, template);
    await writeFiles(root, { "fleet.yaml": "federation:\n  shardSize: 0\n" });
    const r = await runCli(["check", "--root", root], { env: { GITHUB_ACTIONS: "true" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^::error file=fleet.yaml,line=2,col=14::federation\.shardSize: 0 must be >= 1/m,
    );
  });
});
