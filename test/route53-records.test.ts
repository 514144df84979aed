// Record sets → clusters: the normalisation every Route 53 source shares.

import { describe, expect, it } from "vitest";
import {
  clustersFromZones,
  normaliseRecordName,
  selectZones,
} from "../scripts/core/discovery/route53-records.ts";
import { parseSettings, type Route53Settings } from "../scripts/core/inputs/settings.ts";
import { parseSnapshot, serialiseSnapshot } from "../scripts/core/inputs/snapshot.ts";

const r53 = parseSettings("discovery:\n  route53: {port: 9090}\n", "fleet.yaml").discovery
  .route53 as Route53Settings;

describe("Route 53 records", () => {
  it("decodes octal escapes, lowercases and strips the trailing dot", () => {
    expect(normaliseRecordName("\\052.Prometheus.Internal.Example.COM.")).toBe(
      "*.prometheus.internal.example.com",
    );
    expect(normaliseRecordName("prometheus.a\\055b.example.com.")).toBe("prometheus.a-b.example.com");
  });

  it("decodes runs of octal escapes as UTF-8 bytes, not one character per byte", () => {
    expect(normaliseRecordName("m\\303\\274nchen.example.com.")).toBe("münchen.example.com");
    expect(normaliseRecordName("a\\040b\\057c.example.com.")).toBe("a b/c.example.com");
  });

  it("skips, with a warning, a record whose label holds an escaped dot: it would read as another host (#21.7)", () => {
    const found = clustersFromZones(
      [
        {
          id: "Z1",
          name: "int.example.com",
          records: [
            { Name: "prometheus.dotted\\056evil.int.example.com.", Type: "A" },
            { Name: "prometheus.fine.int.example.com.", Type: "A" },
          ],
        },
      ],
      r53,
    );
    expect(found.clusters.map((c) => c.endpoint)).toEqual(["prometheus.fine.int.example.com:9090"]);
    expect(found.warnings).toEqual([
      "prometheus.dotted\\056evil.int.example.com. (zone Z1): a label holds an escaped dot (\\056), so the host name it reads as is not this record; record ignored",
    ]);
  });

  it("names both accounts when one zone is listed through two, and says which list to narrow (#21.18)", () => {
    const zone = (account: string) => ({
      id: "Z1",
      name: "int.example.com",
      account,
      records: [{ Name: "prometheus.a.int.example.com.", Type: "A" }],
    });
    const found = clustersFromZones(
      [zone("this account"), zone("arn:aws:iam::222222222222:role/fleetfed-read")],
      r53,
    );
    expect(found.problems).toEqual([
      {
        message:
          "hosted zone Z1 (int.example.com) is listed through this account and arn:aws:iam::222222222222:role/fleetfed-read",
        hint: "list it under one account only: set hostedZones for arn:aws:iam::222222222222:role/fleetfed-read in discovery.route53 so that it leaves Z1 out",
      },
    ]);
    expect(JSON.stringify(found.problems)).not.toMatch(/delete/);
  });

  it("skips, with a warning, records whose cluster the snapshot would reject, so a snapshot always loads again", () => {
    const found = clustersFromZones(
      [
        {
          id: "Z1",
          name: "internal.example.com",
          records: [
            { Name: "prometheus.newc.under_score.internal.example.com.", Type: "A" },
            { Name: "prometheus.spaced.a\\040b.internal.example.com.", Type: "A" },
            { Name: "prometheus.umlaut.m\\303\\274nchen.internal.example.com.", Type: "A" },
            { Name: "prometheus.fine.internal.example.com.", Type: "A" },
          ],
        },
      ],
      r53,
    );
    expect(found.clusters.map((c) => c.cluster)).toEqual(["fine"]);
    expect(found.warnings).toHaveLength(3);
    expect(found.warnings[0]).toMatch(
      /^prometheus\.newc\.under_score\.internal\.example\.com \(zone Z1\): cannot federate it: endpoint must match pattern/,
    );
    const snapshot = serialiseSnapshot({ clusters: found.clusters, placement: new Map() });
    expect(() => parseSnapshot(snapshot, "fleet.snapshot.json")).not.toThrow();
  });

  it("finds A, AAAA, CNAME and alias records and ignores wildcards, other types and non-matching names", () => {
    const found = clustersFromZones(
      [
        {
          id: "Z1",
          name: "internal.example.com",
          records: [
            {
              Name: "prometheus.a.internal.example.com.",
              Type: "A",
              ResourceRecords: [{ Value: "10.0.0.1" }],
            },
            {
              Name: "prometheus.b.internal.example.com.",
              Type: "AAAA",
              ResourceRecords: [{ Value: "fd00::1" }],
            },
            { Name: "Prometheus.C.internal.example.com.", Type: "CNAME", ResourceRecords: [{ Value: "x" }] },
            { Name: "prometheus.d.internal.example.com.", Type: "A", AliasTarget: { DNSName: "lb." } },
            { Name: "\\052.prometheus.internal.example.com.", Type: "A" },
            { Name: "prometheus.e.internal.example.com.", Type: "TXT" },
            { Name: "grafana.internal.example.com.", Type: "A" },
            { Name: "prometheus.bad_id.internal.example.com.", Type: "A" },
          ],
        },
      ],
      r53,
    );
    expect(
      found.clusters.map((c) => [c.cluster, c.endpoint, c.source.type, c.source.alias ?? false]),
    ).toEqual([
      ["a", "prometheus.a.internal.example.com:9090", "A", false],
      ["b", "prometheus.b.internal.example.com:9090", "AAAA", false],
      ["c", "prometheus.c.internal.example.com:9090", "CNAME", false],
      ["d", "prometheus.d.internal.example.com:9090", "A", true],
    ]);
    expect(found.problems).toEqual([]);
  });

  it("chooses among record sets sharing a name the same way whatever their order", () => {
    const sets = [
      { Name: "prometheus.w.z.", Type: "A", SetIdentifier: "green" },
      { Name: "prometheus.w.z.", Type: "AAAA", SetIdentifier: "aaa" },
      { Name: "prometheus.w.z.", Type: "A", SetIdentifier: "blue" },
    ];
    for (const records of [sets, [...sets].reverse()]) {
      const [c] = clustersFromZones([{ id: "Z1", name: "z", records }], r53).clusters;
      expect(c?.source).toMatchObject({ type: "A", setIdentifier: "blue", recordSets: 3 });
    }
  });

  it("refuses a cluster registered in two zones and names both", () => {
    const found = clustersFromZones(
      [
        { id: "ZPUB", name: "example.com", records: [{ Name: "prometheus.a.example.com.", Type: "A" }] },
        {
          id: "ZPRIV",
          name: "internal.example.com",
          records: [{ Name: "prometheus.a.internal.example.com.", Type: "A" }],
        },
      ],
      r53,
    );
    expect(found.clusters).toEqual([]);
    expect(found.problems[0]?.message).toMatch(/"a" is registered more than once: .*zone ZPRIV.*zone ZPUB/);
  });

  it("selects zones by id or name, all private zones by default, and names a zone that is not there", () => {
    const zones = [
      { id: "Z1", name: "internal.example.com", private: true },
      { id: "Z2", name: "example.com", private: false },
    ];
    expect(selectZones(zones, []).zones.map((z) => z.id)).toEqual(["Z1"]);
    expect(selectZones(zones, ["Z2", "internal.example.com"]).zones.map((z) => z.id)).toEqual(["Z1", "Z2"]);
    expect(selectZones(zones, ["missing.example.com"]).problems[0]?.message).toMatch(
      /no hosted zone "missing.example.com"/,
    );
  });
});
