// The Grafana SDK bundle that `npm install` makes (scripts/bundle-grafana-sdk.ts) builds exactly the
// dashboards the SDK package builds: same bytes, for every golden fleet's settings.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleGrafanaSdk } from "../scripts/bundle-grafana-sdk.ts";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import type { FederationTree } from "../scripts/core/plan/placement.ts";
import { dashboardSpecs } from "../scripts/core/render/dashboards.ts";
import { buildDashboard } from "../scripts/core/render/grafana.ts";
import {
  type GrafanaSdk,
  packageSdk,
  SDK_MODULES,
  useBundledSdk,
} from "../scripts/core/render/grafana-sdk.ts";
import { bundledSdk, sdkBundle } from "../scripts/io/grafana-sdk-bundle.ts";

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
      // Every module there, but stubs: not the SDK (#21.11).
      await writeFile(
        join(dir, "stubs.cjs"),
        `for (const m of ${JSON.stringify(SDK_MODULES)}) exports[m] = { PanelBuilder: 1 };\n`,
      );
      expect(bundledSdk(join(dir, "stubs.cjs"))).toBeUndefined();
      // A FIFO would block the read forever (#21.10); a link is not the file npm install wrote.
      // In a child process with a kill timer: a read blocked on the FIFO would hold this test's thread,
      // and no deadline in it would fire.
      execFileSync("mkfifo", [join(dir, "fifo.cjs")]);
      const module = join(import.meta.dirname, "..", "scripts", "io", "grafana-sdk-bundle.ts");
      const probe = `import { bundledSdk } from ${JSON.stringify(module)}; console.log(bundledSdk(${JSON.stringify(join(dir, "fifo.cjs"))}) === undefined);`;
      expect(
        execFileSync(process.execPath, ["--input-type=module", "-e", probe], {
          timeout: 30_000,
          killSignal: "SIGKILL",
          encoding: "utf8",
        }).trim(),
      ).toBe("true");
      await symlink(sdkBundle().path, join(dir, "link.cjs"));
      expect(bundledSdk(join(dir, "link.cjs"))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("builds from the package when a bundle's builders throw: a broken bundle is never an internal error (#21.11)", () => {
    const settings = parseSettings("federation:\n  shardSize: 2\n", "fleet.yaml");
    const [spec] = dashboardSpecs({ top: "global", leaves: [] } as unknown as FederationTree, settings);
    if (!spec) throw new Error("no dashboard");
    const real = packageSdk();
    const throwing = Object.fromEntries(
      SDK_MODULES.map((m) => [
        m,
        new Proxy(real[m], {
          get: () =>
            class {
              constructor() {
                throw new Error("stub");
              }
            },
        }),
      ]),
    ) as unknown as GrafanaSdk;
    try {
      useBundledSdk(() => throwing);
      expect(JSON.stringify(buildDashboard(spec))).toBe(JSON.stringify(buildDashboard(spec, real)));
    } finally {
      useBundledSdk(() => undefined);
    }
  });

  it.each(fleets)("builds the %s fleet's dashboards byte for byte as the package does", (fleet) => {
    const settings = parseSettings(readFileSync(join(golden, fleet, "fleet.yaml"), "utf8"), "fleet.yaml");
    const plan = { top: "global", leaves: [] } as unknown as FederationTree;
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
