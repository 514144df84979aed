// The pull request a reviewer reads: snapshot-tested as a whole, and its limits pinned.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";
import { describe, expect, it } from "vitest";
import { renderFleet } from "../scripts/core/fleet.ts";
import { parseClusterFile } from "../scripts/core/inputs/cluster-file.ts";
import type { DiscoveredCluster } from "../scripts/core/inputs/discovered-cluster.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { describeChange } from "../scripts/core/review/change.ts";
import {
  BODY_LIMIT,
  NEEDS_REVIEW_LABEL,
  recordedHash,
  renderPullRequest,
} from "../scripts/core/review/pull-request.ts";
import { discoveredCluster, numberedIds } from "./support/fleet.ts";
import { EXAMPLE_FLEET, makeRepo, runCli, writeFiles } from "./support/repo.ts";

function discovered(ids: string[]): DiscoveredCluster[] {
  return ids.map((id) => discoveredCluster(id));
}

function scenario(beforeIds: string[], afterIds: string[], maxRemovals = 5) {
  const settings = parseSettings(
    `discovery:\n  route53: {}\nfederation:\n  shardSize: 50\nsafety:\n  maxRemovals: ${maxRemovals}\n`,
    "fleet.yaml",
  );
  const before = renderFleet(settings, { clusters: discovered(beforeIds), placement: new Map() }, []);
  const after = renderFleet(
    settings,
    { clusters: discovered(afterIds), placement: before.plan.placement },
    [],
  );
  const change = describeChange(settings, after, before.tree);
  return renderPullRequest({
    change,
    plan: after.plan,
    snapshotChanged: true,
    labels: ["monitoring"],
    maxRemovals,
    branch: "fleetfed/sync",
  });
}

const ids = numberedIds;

describe("the pull request body", () => {
  it("reads as a reviewer needs it (the example fleet: orders-prod registered, staging deregistered)", async () => {
    const root = await makeRepo({}, EXAMPLE_FLEET);
    const zone = JSON.parse(await readFile(join(root, "examples/route53/Z0EXAMPLEPRIVATE1.json"), "utf8"));
    zone.ResourceRecordSets = zone.ResourceRecordSets.filter(
      (r: { Name: string }) => !r.Name.startsWith("prometheus.staging."),
    );
    await writeFiles(root, { "examples/route53/Z0EXAMPLEPRIVATE1.json": JSON.stringify(zone) });
    const r = await runCli(["sync", "--dry-run", "--root", root]);
    expect(r.code, r.stderr).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot("./__snapshots__/pull-request-body.md");
  });

  it("is a draft with the needs-review label, removals first, when removals exceed safety.maxRemovals", () => {
    const pr = scenario(ids(10), ids(10).slice(0, 3), 5);
    expect(pr.draft).toBe(true);
    expect(pr.labels).toEqual(["fleetfed:needs-review", "monitoring"]);
    expect(pr.labels).toContain(NEEDS_REVIEW_LABEL);
    const body = pr.body;
    expect(body.indexOf("[!CAUTION]")).toBeLessThan(body.indexOf("### Removed (7)"));
    expect(body.indexOf("### Removed")).toBeGreaterThan(0);
  });

  it("draws clusters in the diagram for small fleets and federators only above 30 clusters", () => {
    expect(scenario(ids(5), ids(6)).body).toContain("leaf_000 --> c_c00005(c00005):::added");
    const big = scenario(ids(120), ids(121)).body;
    expect(big).not.toContain("--> c_");
    expect(big).toContain("global --> leaf_002");
    expect(big).toContain("_121 clusters: the diagram shows federators only._");
  });

  it("stays under GitHub's limit with a note when thousands of clusters change", () => {
    const pr = scenario([], ids(5000, "a-very-long-cluster-name-to-fill-the-table-"));
    expect(pr.body.length).toBeLessThan(BODY_LIMIT);
    expect(pr.body).toMatch(/… and \d+ more, not shown/);
    expect(pr.body).toMatch(
      /table rows were left out to keep this description under GitHub's 65,536-character limit/,
    );
  });

  it("records a hash that changes only when title, body or labels would", () => {
    const a = scenario(ids(5), ids(6));
    const b = scenario(ids(5), ids(6));
    const c = scenario(ids(5), ids(7));
    expect(recordedHash(a.body)).toBe(a.hash);
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
    expect(recordedHash("no metadata here")).toBeUndefined();
  });

  /** The pull request that adds cluster x, described by `clusterFile`, and its body as GitHub renders it (GFM). */
  const addingX = (clusterFile: string) => {
    const settings = parseSettings("discovery:\n  route53: {}\n", "fleet.yaml");
    const file = parseClusterFile(clusterFile, {
      file: "clusters/x.yaml",
      expectedId: "x",
      clusterLabel: "cluster",
    });
    const before = renderFleet(settings, { clusters: [], placement: new Map() }, []);
    const after = renderFleet(settings, { clusters: discovered(["x"]), placement: new Map() }, [file]);
    const pr = renderPullRequest({
      change: describeChange(settings, after, before.tree),
      plan: after.plan,
      snapshotChanged: true,
      labels: [],
      maxRemovals: 5,
      branch: "b",
    });
    return { pr, html: micromark(pr.body, { extensions: [gfm()], htmlExtensions: [gfmHtml()] }) };
  };

  it("escapes table cells that come from people's files", () => {
    const { pr, html } = addingX("cluster: x\nlabels: {note: 'a | b <script>'}\n");
    expect(pr.body).toContain("`note=a \\| b <script>`");
    // Rendered as GitHub renders it (GFM): the value is code in its cell, no element of its own.
    expect(html).toContain("<td><code>note=a | b &lt;script&gt;</code></td>");
    expect(html).not.toMatch(/<script/);
  });

  it("shows a label carrying an image, a link and a team mention as inert code (#31)", () => {
    const hostile = {
      image: "![x](https://evil.example/pixel.png)",
      link: "[y](https://evil.example/login)",
      team: "@org/team please approve",
    };
    const { html } = addingX(
      `cluster: x\nlabels:\n${Object.entries(hostile)
        .map(([k, v]) => `  ${k}: '${v}'`)
        .join("\n")}\n`,
    );
    expect(html).not.toMatch(/<img|<a [^>]*evil\.example/);
    // Every piece of each value is inside a code element: outside code, GitHub would make @org/team a
    // mention (a notification to the whole team) and the others an image and a link.
    const outsideCode = html.replace(/<code>[^<]*<\/code>/g, "");
    for (const value of Object.values(hostile)) {
      expect(html, value).toContain(
        `<code>${Object.entries(hostile).find(([, v]) => v === value)?.[0]}=${value}</code>`,
      );
      for (const token of ["evil.example", "@org/team"]) expect(outsideCode).not.toContain(token);
    }
  });
});
