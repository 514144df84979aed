// `fleetfed init` on what a careless or hostile person hands it (issue #21): it removes only the shipped
// example, recognised by its exact bytes; checks every path before touching anything; names the flag a
// bad value came from; and a person leaving a prompt, a FIFO or a missing folder is one line, not a bug.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import EXAMPLE from "../scripts/commands/example-fleet.json" with { type: "json" };
import { main } from "../scripts/fleetfed.ts";
import { EXAMPLE_FLEET, makeRepo, runCli, writeFiles } from "./support/repo.ts";

const FLAGS = ["--zones", "int.example.com", "--repo-url", "https://git.example.com/fleet.git"];

/** Every file under `dir` (no manifests/) as path → content, to prove what a run left alone. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of readdirSync(dir, { recursive: true }) as string[]) {
    const abs = join(dir, p);
    if (p.startsWith("manifests") || !existsSync(abs)) continue;
    try {
      out[p] = readFileSync(abs, "utf8");
    } catch {
      // folders, FIFOs
    }
  }
  return out;
}

const fromExample = () => makeRepo({}, EXAMPLE_FLEET);

describe("fleetfed init", () => {
  it("knows the bundled example by the exact bytes of each of its files", () => {
    const listed = Object.keys(EXAMPLE).sort();
    const shipped = Object.keys(files(EXAMPLE_FLEET)).filter((p) => listed.includes(p) || !p.includes("."));
    expect(listed.every((p) => shipped.includes(p))).toBe(true);
    // Each file's digests: the version shipped now, and earlier ones a copy may still hold.
    for (const [path, digests] of Object.entries(EXAMPLE))
      expect(digests, path).toContain(
        createHash("sha256")
          .update(readFileSync(join(EXAMPLE_FLEET, path)))
          .digest("hex"),
      );
  });

  it("removes the example's files and nothing else: a team's own cluster file and snapshot stay (#21.3)", async () => {
    const root = await fromExample();
    writeFileSync(join(root, "clusters", "orders-prod.yaml"), "cluster: orders-prod\n");
    writeFileSync(join(root, "examples", "route53-prod.json"), "{}\n");
    const r = await runCli(["init", ...FLAGS, "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(root, "clusters"))).toEqual(["orders-prod.yaml"]);
    expect(readdirSync(join(root, "examples"))).toEqual(["route53-prod.json"]);
    expect(existsSync(join(root, "fleet.snapshot.json"))).toBe(false);
    expect(readFileSync(join(root, "fleet.yaml"), "utf8")).toContain("https://git.example.com/fleet.git");
    // The AWS command it suggests limits the role to the zones (the template allows every zone without).
    expect(r.stdout).toMatch(
      /--parameter-overrides GitHubRepository=<owner>\/<repo> HostedZoneIds=<id of int.example.com>$/m,
    );
  });

  it("treats a fleet.yaml that differs from the example by one line as a team's own: refused, nothing touched (#21.3)", async () => {
    const root = await fromExample();
    const own = readFileSync(join(root, "fleet.yaml"), "utf8").replace(
      /exports: examples\/route53/,
      "# exports: examples/route53",
    );
    writeFileSync(join(root, "fleet.yaml"), own);
    const before = files(root);
    const r = await runCli(["init", ...FLAGS, "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: fleet.yaml: is already a fleet of your own/);
    expect(files(root)).toEqual(before);
    // --force writes fleet.yaml but still keeps every file that is not the example's.
    writeFileSync(join(root, "clusters", "payments-prod.yaml"), "cluster: payments-prod\n");
    const forced = await runCli(["init", "--force", ...FLAGS, "--root", root]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(join(root, "clusters"))).toEqual(["payments-prod.yaml"]);
    expect(forced.stdout).toMatch(/kept clusters\/payments-prod.yaml/);
  });

  it("in a folder with no fleet.yaml, leaves other tools' files under manifests/ and every other file alone (#21.3)", async () => {
    const root = await makeRepo({
      "manifests/other-tool/app.yaml": "kind: ConfigMap\n",
      "clusters/mine.yaml": "cluster: mine\n",
      "fleet.snapshot.json": '{"clusters": [], "placement": {}}\n',
    });
    const before = files(root);
    const r = await runCli(["init", ...FLAGS, "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: manifests\/other-tool\/app.yaml:1: was not written by fleetfed/);
    expect(files(root)).toEqual(before);
    expect(existsSync(join(root, "manifests", "other-tool", "app.yaml"))).toBe(true);
  });

  it("refuses a fleet.yaml linked outside the repository before deleting anything (#21.3)", async () => {
    const root = await fromExample();
    const outside = await makeRepo({ "victim.yaml": "precious: true\n" });
    execFileSync("rm", [join(root, "fleet.yaml")]);
    symlinkSync(join(outside, "victim.yaml"), join(root, "fleet.yaml"));
    const before = files(root);
    const r = await runCli(["init", "--force", ...FLAGS, "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: fleet.yaml:1: is a symbolic link to a file outside the repository/);
    expect(readFileSync(join(outside, "victim.yaml"), "utf8")).toBe("precious: true\n");
    expect(files(root)).toEqual(before);
  });

  it("refuses a linked clusters/ folder's files: nothing is removed through a link (#21.3)", async () => {
    const root = await fromExample();
    const outside = await makeRepo({}, EXAMPLE_FLEET);
    execFileSync("rm", ["-r", join(root, "clusters")]);
    symlinkSync(join(outside, "clusters"), join(root, "clusters"));
    const r = await runCli(["init", ...FLAGS, "--root", root]);
    expect(r.code, r.stderr).not.toBe(70);
    expect(readdirSync(join(outside, "clusters")).length).toBe(4);
  });

  it.each([
    ["a FIFO", (p: string) => execFileSync("mkfifo", [p]), /fleet.yaml:1: is a FIFO, not a file/, 2],
    ["a folder", (p: string) => mkdirSync(p), /fleet.yaml:1: is a folder, not a file/, 2],
  ])(
    "answers a fleet.yaml that is %s with one line, at once (#21.10, #21.11)",
    async (_, make, says, code) => {
      const root = await makeRepo({});
      make(join(root, "fleet.yaml"));
      const r = await runCli(["init", ...FLAGS, "--root", root]);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(says);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    },
  );

  it.each([
    ["a missing folder", (root: string) => join(root, "missing"), /--root .*missing does not exist/],
    ["a file", (root: string) => join(root, "fleet.yaml"), /--root .*fleet.yaml is a file, not a folder/],
  ])("answers --root at %s with one line (#21.11)", async (_, where, says) => {
    const root = await makeRepo({ "fleet.yaml": "x: 1\n" });
    const r = await runCli(["init", ...FLAGS, "--root", where(root)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("edits a team's own fleet.yaml with --force: only what a flag sets changes; secrets, rule labels, Alertmanagers, repoURL and comments stay (#31)", async () => {
    const own = [
      "# our fleet: keep this comment",
      "discovery:",
      "  route53:",
      "    hostedZones: [Z123]",
      "federation:",
      "  shardSize: 10",
      "  secrets: [tokens]",
      "  authorization: {credentialsFile: /etc/fleetfed/secrets/tokens/t}",
      "clusterRules:",
      "  labels: {release: kps}",
      "alerting:",
      "  alertmanagers: ['http://alertmanager-operated.monitoring.svc:9093']",
      "delivery:",
      "  repoURL: https://git.corp.example/fleet.git",
      "",
    ].join("\n");
    const root = await makeRepo({ "fleet.yaml": own });
    const r = await runCli(["init", "--force", "--shard-size", "20", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(root, "fleet.yaml"), "utf8")).toBe(
      own.replace("shardSize: 10", "shardSize: 20"),
    );
    expect(r.stderr).not.toMatch(/placeholder|alertmanagers is empty|clusterRules\.labels is empty/);
  });

  it("renders manifests/ from the fleet without the example: none of its clusters is placed (#31)", async () => {
    const root = await fromExample();
    const r = await runCli(["init", ...FLAGS, "--shard-size", "2", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    const configs = Object.entries(files(join(root, "manifests"))).filter(([p]) =>
      p.endsWith("prometheus.yml"),
    );
    expect(configs.flatMap(([, text]) => text.match(/^ {10}cluster: .*$/gm) ?? [])).toEqual([]);
    // So three clusters added next land on two leaves, as a fleet of three with shardSize 2 does.
    await writeFiles(root, {
      "clusters/a.yaml": "cluster: a\nendpoint: a.example.com:9090\n",
      "clusters/b.yaml": "cluster: b\nendpoint: b.example.com:9090\n",
      "clusters/c.yaml": "cluster: c\nendpoint: c.example.com:9090\n",
    });
    const render = await runCli(["render", "--root", root]);
    expect(render.stdout).toMatch(/\(3 clusters on 2 leaf federator\(s\) \+ global\)/);
  });

  it("changes fleet.yaml atomically or not at all: a --force whose fleet cannot render leaves it byte-identical (#31)", async () => {
    const own =
      "federation:\n  shardSize: 10\n  expectedSeriesPerCluster: 1000000\ndelivery:\n  repoURL: https://git.corp.example/fleet.git\n";
    const root = await makeRepo({ "fleet.yaml": own });
    const r = await runCli(["init", "--force", "--shard-size", "10000", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: fleet\.yaml.*federation\.shardSize: a leaf of 10,000 clusters/m);
    expect(readFileSync(join(root, "fleet.yaml"), "utf8")).toBe(own);
    expect(readdirSync(root).filter((f) => f.includes("fleetfed-init"))).toEqual([]);
    expect(existsSync(join(root, "manifests"))).toBe(false);
  });

  it.each([
    ["release", /--rule-labels: "release" has no value \(write each label as key=value/],
    ["release=a,release=b", /--rule-labels: "release" is given twice/],
  ])("refuses --rule-labels %s instead of writing something else (#31)", async (labels, says) => {
    const root = await fromExample();
    const before = files(root);
    const r = await runCli(["init", ...FLAGS, "--rule-labels", labels, "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(says);
    expect(files(root)).toEqual(before);
  });

  it("names the flag a bad value came from, never a line of a file the user did not write (#21.18)", async () => {
    const root = await fromExample();
    const before = files(root);
    const r = await runCli(["init", ...FLAGS, "--shard-size", "0", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --shard-size \(or its prompt\): /);
    expect(r.stderr).not.toMatch(/fleet\.yaml:\d/);
    expect(files(root)).toEqual(before);
    const pattern = await runCli(["init", ...FLAGS, "--record-pattern", "^prometheus\\.", "--root", root]);
    expect(pattern.stderr).toMatch(/^error: --record-pattern \(or its prompt\): /);
  });

  it("writes the settings where --config says, and renders from that same file (#21.18)", async () => {
    const root = await fromExample();
    const r = await runCli(["init", ...FLAGS, "--shard-size", "7", "--config", "other.yaml", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(root, "other.yaml"), "utf8")).toContain("shardSize: 7");
    expect(r.stdout).toMatch(/^wrote other.yaml/);
  });

  it.each([
    ["Ctrl-D (the input ends)", (input: PassThrough) => input.end()],
    ["Ctrl-C", (input: PassThrough) => input.write("\u0003")],
  ])("takes %s at a prompt as leaving it: one line, exit 1, nothing written (#21.9)", async (_, leave) => {
    const root = await fromExample();
    const before = files(root);
    const input = new PassThrough();
    let stderr = "";
    const sink = new Writable({
      write(chunk, _enc, cb) {
        stderr += String(chunk);
        cb();
      },
    });
    const run = main({
      argv: ["init", "--root", root],
      env: {},
      cwd: root,
      stdout: sink,
      stderr: sink,
      stderrIsTTY: false,
      stdin: Object.assign(input, { isTTY: true }),
      stdinIsTTY: true,
    });
    await new Promise((r) => setTimeout(r, 50));
    leave(input);
    expect(await run).toBe(1);
    expect(stderr).toMatch(/error: init stopped at a prompt; nothing was written/);
    expect(stderr).not.toMatch(/internal error/);
    expect(files(root)).toEqual(before);
    expect(relative(root, root)).toBe("");
  });

  it("warns about every placeholder it wrote that a real fleet must change", async () => {
    const root = await fromExample();
    const r = await runCli(["init", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: delivery.repoURL is the placeholder/);
    expect(r.stderr).toMatch(/warning: discovery.route53.hostedZones is empty/);
    expect(r.stderr).toMatch(
      /warning: alerting.alertmanagers is empty: the federation's alerts .* go nowhere/,
    );
    expect(r.stderr).toMatch(
      /warning: clusterRules.labels is empty: kube-prometheus-stack's Prometheus selects rules labelled release/,
    );
  });

  it("labels the cluster rules for kube-prometheus-stack's ruleSelector, and sends alerts to every Alertmanager replica (#20)", async () => {
    const root = await fromExample();
    const r = await runCli([
      "init",
      ...FLAGS,
      "--rule-labels",
      "release=kube-prometheus-stack",
      "--alertmanager",
      "http://alertmanager-operated.monitoring.svc:9093",
      "--root",
      root,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning: (alerting|clusterRules)/);
    const rule = readFileSync(join(root, "manifests", "cluster-rules", "prometheusrule.yaml"), "utf8");
    expect(rule).toMatch(/^ {4}release: kube-prometheus-stack$/m);
    const top = readFileSync(join(root, "manifests", "federation", "global", "prometheus.yml"), "utf8");
    expect(top).toMatch(
      /dns_sd_configs:\n\s+- names:\n\s+- alertmanager-operated.monitoring.svc\n\s+type: A\n\s+port: 9093/,
    );
  });
});
