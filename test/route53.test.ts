// Live discovery through the real @aws-sdk/client-route-53 against the local REST-XML emulator,
// reached the standard way: AWS_ENDPOINT_URL_ROUTE_53.

import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseSettings, type Route53Settings } from "../scripts/core/inputs/settings.ts";
import { discoverRoute53 } from "../scripts/io/route53.ts";
import { digestTree, makeRepo, runCli, snapshotJson } from "./support/repo.ts";
import {
  type EmulatedRecord,
  type EmulatedZone,
  type Route53Emulator,
  startRoute53Emulator,
} from "./support/route53-emulator.ts";
import { type StsEmulator, startStsEmulator } from "./support/sts-emulator.ts";

const saved = { ...process.env };
beforeAll(() => {
  // The SDK's standard credential chain and endpoint configuration, as in production.
  process.env.AWS_ACCESS_KEY_ID = "AKIAEMULATOR";
  process.env.AWS_SECRET_ACCESS_KEY = "emulator-secret";
  process.env.AWS_REGION = "us-east-1";
  delete process.env.AWS_PROFILE;
});
afterAll(() => {
  process.env = saved;
});

let emulator: Route53Emulator | undefined;
async function emulate(zones: EmulatedZone[], opts: Parameters<typeof startRoute53Emulator>[1] = {}) {
  emulator = await startRoute53Emulator(zones, opts);
  process.env.AWS_ENDPOINT_URL_ROUTE_53 = emulator.url;
  return emulator;
}
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const route53 = (yaml = "") =>
  parseSettings(`discovery:\n  route53:\n    requestsPerSecond: 100\n${yaml}`, "fleet.yaml").discovery
    .route53 as Route53Settings;

const a = (name: string, extra: Partial<EmulatedRecord> = {}): EmulatedRecord => ({
  Name: name,
  Type: "A",
  ...extra,
});
const apex = (zone: string): EmulatedRecord[] => [
  { Name: zone, Type: "NS", Values: ["ns-1.awsdns-01.org."] },
  { Name: zone, Type: "SOA", Values: ["ns-1.awsdns-01.org. hostmaster. 1 7200 900 1209600 86400"] },
];

/** A zone of `n` clusters (with noise records) and a weighted set of three placed to straddle a page boundary. */
function bigZone(id: string, zone: string, n: number): EmulatedZone {
  const records: EmulatedRecord[] = [...apex(zone)];
  const prefix = zone.split(".")[0];
  for (let i = 0; i < n; i++) {
    const c = `${prefix}-c${String(i).padStart(4, "0")}`;
    records.push(a(`prometheus.${c}.${zone}`));
    if (i % 10 === 0) records.push({ Name: `grafana.${c}.${zone}`, Type: "CNAME", Values: ["x."] });
  }
  for (const set of ["a", "b", "c"])
    records.push(a(`prometheus.${prefix}-weighted.${zone}`, { SetIdentifier: set, Weight: 10 }));
  return { id, name: zone, private: true, records };
}

describe("Route 53 discovery through the real SDK", () => {
  it("reads every record exactly once across pages, including a weighted set split by a page boundary", async () => {
    const zone = bigZone("Z0BIG", "internal.example.com.", 1000);
    const e = await emulate([
      zone,
      {
        id: "Z0PUBLIC",
        name: "example.com.",
        private: false,
        records: [a("prometheus.public.example.com.")],
      },
    ]);
    const result = await discoverRoute53(route53(), { region: "us-east-1" });
    const total = zone.records.length;
    expect(result.records).toBe(total);
    expect(result.clusters).toHaveLength(1001);
    expect(new Set(result.clusters.map((c) => c.cluster)).size).toBe(1001);
    const weighted = result.clusters.find((c) => c.cluster === "internal-weighted");
    expect(weighted?.source).toMatchObject({ setIdentifier: "a", recordSets: 3 });
    // Private zones only by default: the public zone is not listed at all.
    expect(result.clusters.some((c) => c.cluster === "public")).toBe(false);
    // No more requests than paging requires: one zones page plus one page per 300 records.
    expect(result.progress.requests).toBe(1 + Math.ceil(total / 300));
    expect(e.requests).toBe(result.progress.requests);
  });

  it("resumes exactly inside a weighted set that spans a page boundary", async () => {
    const zone = "z.example.com.";
    // 3 apex-side records sort first; 297 more fill the first page up to the weighted set's first member.
    const records: EmulatedRecord[] = [...apex(zone)];
    for (let i = 0; i < 298; i++) records.push(a(`prometheus.a${String(i).padStart(3, "0")}.${zone}`));
    for (const set of ["one", "three", "two"])
      records.push(a(`prometheus.b-weighted.${zone}`, { SetIdentifier: set, Weight: 1 }));
    records.push(a(`prometheus.c-last.${zone}`));
    await emulate([{ id: "Z0W", name: zone, private: true, records }]);
    const result = await discoverRoute53(route53(), { region: "us-east-1" });
    expect(result.records).toBe(records.length);
    expect(result.progress.requests).toBe(1 + 2);
    expect(result.clusters.find((c) => c.cluster === "b-weighted")?.source).toMatchObject({
      recordSets: 3,
      setIdentifier: "one",
    });
    expect(result.clusters.at(-1)?.cluster).toBe("c-last");
  });

  it("decodes escaped names, handles alias and CNAME records, ignores wildcards, and selects zones by name or id", async () => {
    await emulate(
      [
        {
          id: "Z0ONE",
          name: "internal.example.com.",
          private: true,
          records: [
            ...apex("internal.example.com."),
            a("\\052.internal.example.com."),
            a("prometheus.\\052.internal.example.com."),
            a("Prometheus.Alias-1.internal.example.com.", {
              Alias: { HostedZoneId: "Z35SXDOTRQ7X7K", DNSName: "lb-1.elb.amazonaws.com." },
            }),
            { Name: "prometheus.cname-1.internal.example.com.", Type: "CNAME", Values: ["other."] },
            a("prometheus.esc\\055aped.internal.example.com."),
          ],
        },
        { id: "Z0TWO", name: "other.example.com.", records: [a("prometheus.noconfig.other.example.com.")] },
      ],
      {},
    );
    const result = await discoverRoute53(
      route53("    hostedZones: [internal.example.com., /hostedzone/Z0TWO]\n"),
      { region: "us-east-1" },
    );
    expect(
      result.clusters.map((c) => [c.cluster, c.source.type, c.source.alias ?? false, c.source.zoneId]),
    ).toEqual([
      ["alias-1", "A", true, "Z0ONE"],
      ["cname-1", "CNAME", false, "Z0ONE"],
      ["esc-aped", "A", false, "Z0ONE"],
      ["noconfig", "A", false, "Z0TWO"],
    ]);
  });

  it("names both zones when a cluster is registered in two", async () => {
    await emulate([
      { id: "Z0PRIV", name: "example.com.", private: true, records: [a("prometheus.dup.example.com.")] },
      { id: "Z0PUB", name: "example.com.", private: false, records: [a("prometheus.dup.example.com.")] },
    ]);
    await expect(
      discoverRoute53(route53("    hostedZones: [Z0PRIV, Z0PUB]\n"), { region: "us-east-1" }),
    ).rejects.toThrow(
      /cluster "dup" is registered more than once: prometheus.dup.example.com in zone Z0PRIV \(example.com\) and prometheus.dup.example.com in zone Z0PUB/,
    );
  });

  it("pages through more than 100 zones", async () => {
    const zones = Array.from({ length: 230 }, (_, i) => ({
      id: `Z${String(i).padStart(4, "0")}`,
      name: `z${i}.example.com.`,
      private: true,
      records: [a(`prometheus.k${i}.z${i}.example.com.`)],
    }));
    const e = await emulate(zones);
    const result = await discoverRoute53(route53(), { region: "us-east-1" });
    expect(result.clusters).toHaveLength(230);
    expect(e.requests).toBe(3 + 230);
  });

  it("completes a throttled run: Throttling answers are retried with backoff", async () => {
    const e = await emulate([bigZone("Z0T", "t.example.com.", 50), bigZone("Z0U", "u.example.com.", 50)], {
      rate: 4,
      burst: 1,
    });
    const result = await discoverRoute53(route53(), { region: "us-east-1", concurrency: 2 });
    expect(result.clusters).toHaveLength(102);
    expect(e.throttled).toBeGreaterThan(0);
    expect(result.progress.throttles).toBe(e.throttled);
  });

  it("paces itself under the configured rate so Route 53 never has to throttle it", async () => {
    const zones = Array.from({ length: 9 }, (_, i) => bigZone(`Z${i}`, `p${i}.example.com.`, 5));
    // Route 53's bucket with room for two late requests arriving together on a busy machine: the pacer
    // spaces its sends, but the machine may deliver two of them at once.
    const e = await emulate(zones, { rate: 10, burst: 3 });
    const start = performance.now();
    const result = await discoverRoute53(
      parseSettings("discovery:\n  route53:\n    requestsPerSecond: 10\n", "f").discovery
        .route53 as Route53Settings,
      { region: "us-east-1" },
    );
    const seconds = (performance.now() - start) / 1000;
    expect(result.progress.requests).toBe(10);
    expect(e.throttled).toBe(0);
    expect(seconds).toBeGreaterThanOrEqual(0.85); // 10 requests at 10/s: at least 9 gaps of 100 ms
  });

  it("retries injected 5xx faults and finishes", async () => {
    const e = await emulate([bigZone("Z0F", "f.example.com.", 10)]);
    e.injectFaults(3, 503);
    const result = await discoverRoute53(route53(), { region: "us-east-1" });
    expect(result.clusters).toHaveLength(11);
    expect(e.faults).toBe(3);
  });
});

describe("zones in several AWS accounts", () => {
  const ROLE = "arn:aws:iam::222222222222:role/fleetfed-zone-reader";
  let sts: StsEmulator | undefined;
  afterEach(async () => {
    await sts?.close();
    sts = undefined;
    delete process.env.AWS_ENDPOINT_URL_STS;
  });

  it("reads another account's zones through the role it assumes, with the SDK's own credential provider", async () => {
    sts = await startStsEmulator({ [ROLE]: "ASIAOTHERACCOUNT" });
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
    const e = await emulate(
      [
        {
          id: "Z0OWN",
          name: "own.example.com.",
          private: true,
          records: [a("prometheus.alpha.own.example.com.")],
        },
        {
          id: "Z0OTHER",
          name: "other.example.com.",
          private: true,
          records: [a("prometheus.bravo.other.example.com.")],
        },
      ],
      { accounts: { ASIAOTHERACCOUNT: ["Z0OTHER"] } },
    );
    const settings = route53(
      `    accounts:\n      - roleArn: ${ROLE}\n        hostedZones: [other.example.com]\n`,
    );
    const result = await discoverRoute53(settings, { region: "us-east-1" });
    expect(result.clusters.map((c) => [c.cluster, c.source.zoneId])).toEqual([
      ["alpha", "Z0OWN"],
      ["bravo", "Z0OTHER"],
    ]);
    expect(result.from).toBe("Route 53 in 2 accounts");
    expect(sts.assumed).toEqual([ROLE]);
    expect(e.requests).toBeGreaterThanOrEqual(4);
  });

  it("fails the whole run, changing nothing, when a role cannot be assumed", async () => {
    sts = await startStsEmulator({});
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
    await emulate([
      {
        id: "Z0OWN",
        name: "own.example.com.",
        private: true,
        records: [a("prometheus.alpha.own.example.com.")],
      },
    ]);
    const settings = route53(`    maxAttempts: 1\n    accounts:\n      - roleArn: ${ROLE}\n`);
    await expect(discoverRoute53(settings, { region: "us-east-1" })).rejects.toThrow(
      /Route 53 listing failed .*so nothing was changed: .*(AccessDenied|not authorized)/,
    );
  });
});

describe("a run that cannot list everything changes nothing", () => {
  const fleet =
    "discovery:\n  route53:\n    requestsPerSecond: 100\n    maxAttempts: 3\nsafety:\n  maxRemovals: 1\n";

  async function repo() {
    const root = await makeRepo({
      "fleet.yaml": fleet,
      "fleet.snapshot.json": snapshotJson(["alpha", "bravo", "charlie"]),
    });
    expect((await runCli(["render", "--root", root])).code).toBe(0);
    return root;
  }

  it("fails with a clear message when a fault outlasts the retries, and leaves the snapshot and manifests/ untouched", async () => {
    const root = await repo();
    const before = await digestTree(root);
    const e = await emulate([bigZone("Z0X", "internal.example.com.", 3)]);
    e.injectFaults(Number.POSITIVE_INFINITY, 503);
    const r = await runCli(["sync", "--local", "--root", root]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: Route 53 listing failed after 3 requests \(0 throttled\), so nothing was changed: ServiceUnavailable/,
    );
    expect(await digestTree(root)).toBe(before);
  });

  it("fails the whole run when one zone answers HTTP 200 with an HTML page, instead of dropping its clusters", async () => {
    const root = await repo();
    const before = await digestTree(root);
    const e = await emulate(
      [
        { id: "Z0A", name: "a.example.com.", private: true, records: [a("prometheus.alpha.a.example.com.")] },
        { id: "Z0B", name: "b.example.com.", private: true, records: [a("prometheus.bravo.b.example.com.")] },
        {
          id: "Z0C",
          name: "c.example.com.",
          private: true,
          records: [a("prometheus.charlie.c.example.com.")],
        },
      ],
      { htmlFor: ["Z0B"] },
    );
    const r = await runCli(["sync", "--local", "--root", root]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(
      /error: Route 53 listing failed after \d+ requests .*so nothing was changed: .*b\.example\.com \(Z0B\) has no SOA record/,
    );
    expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(e.requests).toBeLessThan(20);
    expect(await digestTree(root)).toBe(before);
  });

  it.each([
    ["records", { endlessRecordsFor: ["Z0A"] }, /returned the same next record .* twice/],
    ["zones", { endlessZones: true }, /returned NextMarker Z0A twice/],
  ] as const)(
    "stops endless %s paging at the first repeated key and writes nothing",
    async (_what, misbehave, says) => {
      const root = await repo();
      const before = await digestTree(root);
      const e = await emulate(
        [
          {
            id: "Z0A",
            name: "a.example.com.",
            private: true,
            records: [a("prometheus.alpha.a.example.com.")],
          },
        ],
        misbehave,
      );
      const r = await runCli(["sync", "--local", "--root", root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(says);
      expect(e.requests).toBeLessThan(10);
      expect(await digestTree(root)).toBe(before);
    },
  );

  it("gives up when the whole discovery outlasts its time budget", async () => {
    // 5 requests per second and 400 pages: far longer than the 1 s budget.
    await emulate([bigZone("Z0SLOW", "slow.example.com.", 2000)], { maxRecordsPerPage: 5 });
    const settings = { ...route53(), requestsPerSecond: 5 };
    await expect(discoverRoute53(settings, { region: "us-east-1", budgetMs: 1000 })).rejects.toThrow(
      /discovery took longer than its 1 s budget/,
    );
  });

  it("refuses a listing that finds zero clusters where the snapshot has some", async () => {
    const root = await repo();
    const before = await digestTree(join(root));
    await emulate([
      { id: "Z0E", name: "internal.example.com.", private: true, records: apex("internal.example.com.") },
    ]);
    for (const cmd of [["plan"], ["sync", "--local"]]) {
      const r = await runCli([...cmd, "--root", root]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /discovery found no clusters in Route 53 \(1 zones, 2 records\), but the snapshot has 3; refusing/,
      );
    }
    expect(await digestTree(root)).toBe(before);
  });

  it("shows removals beyond safety.maxRemovals to plan and sync alike", async () => {
    const root = await repo();
    await emulate([
      {
        id: "Z0R",
        name: "internal.example.com.",
        private: true,
        records: [a("prometheus.alpha.internal.example.com.")],
      },
    ]);
    const plan = await runCli(["plan", "--root", root]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/warning: 2 clusters would be removed, more than safety.maxRemovals \(1\)/);
    expect(plan.stderr).toMatch(
      /against fleet.snapshot.json:\nfound +1\nadded +0\nremoved +2 {2}bravo, charlie\nchanged +1 {2}alpha\n/,
    );
    const dry = await runCli(["sync", "--dry-run", "--root", root]);
    expect(dry.stdout).toMatch(
      /\[!WARNING\]\n> 2 clusters would be removed, more than safety.maxRemovals \(1\)/,
    );
  });

  it("names a configured zone that does not exist", async () => {
    const root = await repo();
    await writeFleet(
      root,
      `${fleet}`.replace("route53:\n", "route53:\n    hostedZones: [missing.example.com]\n"),
    );
    await emulate([{ id: "Z0A", name: "internal.example.com.", private: true, records: [] }]);
    const r = await runCli(["discover", "--root", root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /discovery.route53.hostedZones: no hosted zone "missing.example.com" is visible \(check the name or id/,
    );
  });
});

async function writeFleet(root: string, text: string) {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(root, "fleet.yaml"), text);
}
