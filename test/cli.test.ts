// The CLI contract (SPEC §4.1): output formats, exit codes, and that refusals change nothing.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digestTree, makeRepo, PROJECT_ROOT, runCli, writeFiles } from "./support/repo.ts";

describe("fleetfed discover", () => {
  it("prints the §4.1 JSON document sorted by cluster", async () => {
    const r = await runCli(["discover", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      clusters: { cluster: string; endpoint: string; scheme: string; source: object }[];
    };
    const ids = doc.clusters.map((c) => c.cluster);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual([
      "analytics-eu",
      "checkout-prod",
      "ci-runners",
      "orders-prod",
      "payments-eu",
      "payments-prod",
      "sandbox-3",
      "search-prod",
      "staging",
    ]);
    expect(doc.clusters[1]).toEqual({
      cluster: "checkout-prod",
      endpoint: "prometheus.checkout-prod.internal.example.com:80",
      scheme: "http",
      source: {
        kind: "route53",
        zoneId: "Z0EXAMPLEPRIVATE1",
        zoneName: "internal.example.com",
        record: "prometheus.checkout-prod.internal.example.com",
        type: "A",
        setIdentifier: "blue",
        recordSets: 2,
      },
    });
    expect(r.stderr).toMatch(/Route 53 exports in examples\/route53: 2 zones, 19 records, 9 clusters/);
  });
});

describe("fleetfed sync --local and plan", () => {
  it("writes the snapshot and manifests/ on the first run, and reports no change on the second", async () => {
    const root = await makeRepo({
      "fleet.yaml": "discovery:\n  route53:\n    exports: exports\nfederation:\n  shardSize: 2\n",
      "exports/Z1.json": JSON.stringify({
        ResourceRecordSets: [
          { Name: "internal.example.com.", Type: "SOA" },
          ...["a", "b", "c"].map((id) => ({ Name: `prometheus.${id}.internal.example.com.`, Type: "A" })),
        ],
      }),
    });
    const first = await runCli(["sync", "--local", "--root", root]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /fleet: 0 clusters on 1 leaf federator\(s\) → 3 clusters on 2 leaf federator\(s\) \+ global/,
    );
    const snapshot = JSON.parse(await readFile(join(root, "fleet.snapshot.json"), "utf8"));
    expect(snapshot.placement).toEqual({ "leaf-000": ["a", "b"], "leaf-001": ["c"] });
    expect((await runCli(["render", "--check", "--root", root])).code).toBe(0);

    const second = await runCli(["sync", "--local", "--root", root]);
    expect(second.stdout).toMatch(/^unchanged\n/);
    const plan = await runCli(["plan", "--root", root]);
    expect(plan.stdout).toMatch(/clusters: no change\nmanifests\/: no change\nsnapshot: no change/);

    // A new record: plan shows it on the leaf with room, and a dry run previews the pull request.
    await writeFiles(root, {
      "exports/Z1.json": JSON.stringify({
        ResourceRecordSets: [
          { Name: "internal.example.com.", Type: "SOA" },
          ...["a", "b", "c", "d"].map((id) => ({
            Name: `prometheus.${id}.internal.example.com.`,
            Type: "A",
          })),
        ],
      }),
    });
    const before = await digestTree(root);
    const next = await runCli(["plan", "--root", root]);
    expect(next.stdout).toMatch(/^\+\s+d\s+prometheus\.d\.internal\.example\.com:80\s+leaf-001$/m);
    expect(next.stdout).toContain("~ manifests/federation/leaf-001/prometheus.yml");
    const dry = await runCli(["sync", "--dry-run", "--root", root]);
    expect(dry.stdout).toMatch(/^# fleetfed: add 1 cluster\n/);
    expect(dry.stdout).toContain("| `d` | `prometheus.d.internal.example.com:80` | leaf-001 | — |");
    expect(await digestTree(root)).toBe(before); // plan and --dry-run write nothing
  });

  it("refuses a discovery that finds nothing where the snapshot has clusters, and changes nothing", async () => {
    const root = await makeRepo({}, PROJECT_ROOT);
    await writeFiles(root, {
      "examples/route53/Z0EXAMPLEPRIVATE1.json": JSON.stringify({
        ResourceRecordSets: [{ Name: "internal.example.com.", Type: "SOA" }],
      }),
      "examples/route53/Z0EXAMPLEPRIVATE2.json": JSON.stringify({
        ResourceRecordSets: [{ Name: "eu.internal.example.com.", Type: "SOA" }],
      }),
    });
    const before = await digestTree(root);
    for (const args of [["sync", "--local"], ["plan"], ["sync", "--dry-run"]]) {
      const r = await runCli([...args, "--root", root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: discovery found no clusters in Route 53 exports in examples\/route53 \(2 zones, 2 records\), but the snapshot has 8; refusing to remove them all/,
      );
    }
    expect(await digestTree(root)).toBe(before);
  });

  it("warns when more clusters would be removed than safety.maxRemovals", async () => {
    const root = await makeRepo({}, PROJECT_ROOT);
    await writeFiles(root, {
      "fleet.yaml": (await readFile(join(PROJECT_ROOT, "fleet.yaml"), "utf8")).replace(
        "maxRemovals: 5",
        "maxRemovals: 0",
      ),
      "examples/route53/Z0EXAMPLEPRIVATE2.json": JSON.stringify({
        ResourceRecordSets: [{ Name: "eu.internal.example.com.", Type: "SOA" }],
      }),
    });
    const r = await runCli(["plan", "--root", root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: 2 clusters would be removed, more than safety.maxRemovals \(0\)/);
  });
});

describe("usage", () => {
  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["render", "--json"], /--json does not apply to render/],
    [["render", "--bogus"], /Unknown option '--bogus'/],
    [[], /usage: fleetfed <command>/],
  ])("exits 2 for %j", async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("prints help on stdout with exit 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /exit codes: 0 success, 1 failed check or refused change, 2 bad usage or invalid input/,
    );
  });
});
