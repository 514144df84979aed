// The YAML writer proved against Prometheus's own parser (YAML 1.1): label values that are special
// scalars, indicators, unicode line separators or long, written into a rendered leaf config, loaded by a
// real Prometheus and read back through its API, unchanged.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  type RunningPrometheus,
  startPrometheus,
  stopAll,
  waitFor,
} from "../support/prometheus.ts";
import { makeRepo, runCli, writeFiles } from "../support/repo.ts";
import { tool } from "../support/tools.ts";

const prometheus = await tool("prometheus");

const HOSTILE = [
  // YAML 1.1 booleans, nulls and numbers, in every spelling
  ...["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False"],
  ...["FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "0", "-1", "+1", "0x1F"],
  ...["0o17", "017", "0b101", "1e3", "1.5", ".5", ".inf", "-.inf", ".NaN", "1_000", "12:30", "12:30:45"],
  ...["190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "<<"],
  // Indicators and structure
  ...["!", "!!str x", "&anchor", "*alias", "|", ">", "%", "@", "`", "#", "# comment", "a #b", "-", "- item"],
  ...["?", "? key", ":", "a: b", "a:b", "{a: b}", "[a, b]", ",", "a,b", "---", "...", "'single'", '"double"'],
  ...["a'b", 'a"b', "\\", "\\n", "back\\slash", " leading space", "trailing space ", "  "],
  // Unicode: line separators YAML 1.1 breaks on, non-printables, other scripts
  ...["nel\u0085x", "ls\u2028y", "ps\u2029z", "\ufeffbom", "c1\u0090", "münchen", "日本語", "עברית", "🚀"],
  // Long values
  "x".repeat(600),
  `${"y: ".repeat(150)}end`,
];

describe.skipIf(!prometheus)("label values through Prometheus's own YAML parser", () => {
  const servers: RunningPrometheus[] = [];
  let work: string | undefined;
  afterAll(async () => {
    await stopAll(servers);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(`reads back ${HOSTILE.length} hostile label values unchanged from a real Prometheus`, async () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(70);
    // At most 64 labels a cluster file: spread the values over clusters.
    const perCluster = 40;
    const clusters = Array.from({ length: Math.ceil(HOSTILE.length / perCluster) }, (_, i) => `h${i}`);
    const repo = await makeRepo({ "fleet.yaml": "federation:\n  shardSize: 10\n" });
    await writeFiles(
      repo,
      Object.fromEntries(
        clusters.map((id, i) => {
          const labels = HOSTILE.slice(i * perCluster, (i + 1) * perCluster).map(
            (v, j) => `  v${String(j).padStart(2, "0")}: ${JSON.stringify(v)}`,
          );
          return [
            `clusters/${id}.yaml`,
            // Nothing listens there; one endpoint each, as two clusters may not share one.
            `cluster: ${id}\nendpoint: 127.0.0.${i + 1}:9\nlabels:\n${labels.join("\n")}\n`,
          ];
        }),
      ),
    );
    const r = await runCli(["render", "--root", repo]);
    expect(r.code, r.stderr).toBe(0);
    const config = await readFile(
      join(repo, "manifests", "federation", "leaf-000", "prometheus.yml"),
      "utf8",
    );

    work = await mkdtemp(join(tmpdir(), "fleetfed-labels-"));
    const leaf = await startPrometheus(
      work,
      "leaf",
      await freePort(),
      config.replace(/rule_files:\n( {2}- .*\n)+/, ""),
    );
    servers.push(leaf);
    let targets: { labels: Record<string, string> }[] = [];
    await waitFor("targets", 20_000, async () => {
      const body = (await (await fetch(`${leaf.url}/api/v1/targets?state=any`)).json()) as {
        data: { activeTargets: { labels: Record<string, string> }[] };
      };
      targets = body.data.activeTargets.filter((t) => t.labels.job?.startsWith("fleetfed-clusters"));
      return targets.length === clusters.length;
    });
    const read = new Map(targets.map((t) => [t.labels.cluster, t.labels]));
    for (const [i, id] of clusters.entries()) {
      const labels = read.get(id) ?? {};
      HOSTILE.slice(i * perCluster, (i + 1) * perCluster).forEach((v, j) => {
        expect(labels[`v${String(j).padStart(2, "0")}`], JSON.stringify(v)).toBe(v);
      });
    }
  }, 60_000);
});
