// The Grafana SDK bundle that `npm install` makes (scripts/bundle-grafana-sdk.ts) builds exactly the
// dashboards the SDK package builds: same bytes, for every golden fleet's settings.

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleGrafanaSdk } from "../scripts/bundle-grafana-sdk.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import type { FederationTree } from "../scripts/core/plan/placement.ts";
import { dashboardSpecs } from "../scripts/core/render/dashboards.ts";
import { buildDashboard } from "../scripts/core/render/grafana.ts";
import { bundledSdk, packageSdk, sdkBundle } from "../scripts/core/render/grafana-sdk.ts";

const golden = join(import.meta.dirname, "golden");
const fleets = ["flat", "labels", "operator", "overrides", "tree"];

describe("the bundled Grafana SDK", () => {
  beforeAll(async () => {
    await bundleGrafanaSdk();
  });

  it("is named by the installed SDK's version, and loads from that one file", () => {
    const { version, path } = sdkBundle();
    expect(path).toMatch(/node_modules\/\.cache\/fleetfed\/grafana-foundation-sdk@/);
    expect(path.endsWith(`@${version}.cjs`)).toBe(true);
    const bundled = bundledSdk();
    expect(bundled).toBeDefined();
    // Its own classes, not the package's: the bundle is what loaded.
    expect(bundled?.dashboard.DashboardBuilder).not.toBe(packageSdk().dashboard.DashboardBuilder);
  });

  it("is not used when it is missing, unreadable or incomplete: the package is loaded instead", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fleetfed-sdk-"));
    try {
      expect(bundledSdk(join(dir, "missing.cjs"))).toBeUndefined();
      await writeFile(join(dir, "cut-short.cjs"), "exports.common = require(");
      expect(bundledSdk(join(dir, "cut-short.cjs"))).toBeUndefined();
      await writeFile(join(dir, "incomplete.cjs"), "exports.common = {}; exports.dashboard = {};\n");
      expect(bundledSdk(join(dir, "incomplete.cjs"))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(fleets)("builds the %s fleet's dashboards byte for byte as the package does", (fleet) => {
    const settings = parseSettings(readFileSync(join(golden, fleet, "fleet.yaml"), "utf8"), "fleet.yaml");
    const plan = { top: "global" } as FederationTree;
    const fromPackage = packageSdk();
    const fromBundle = bundledSdk();
    if (!fromBundle) throw new Error("no bundle");
    const specs = dashboardSpecs(plan, settings);
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs)
      expect(JSON.stringify(buildDashboard(spec, fromBundle), null, 2)).toBe(
        JSON.stringify(buildDashboard(spec, fromPackage), null, 2),
      );
  });
});
