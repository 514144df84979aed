// @grafana/grafana-foundation-sdk, loaded the first time a dashboard is built, and from one file when it
// can. The SDK is ~230 small CommonJS files: Node takes ~50 ms to resolve and load them one by one, on
// every render, check and sync. `npm install` therefore bundles the modules fleetfed uses into one file
// (scripts/bundle-grafana-sdk.ts, the postinstall script), named by the SDK's version, which loads in
// ~15 ms. The bundle is the installed SDK's own code joined by rolldown, nothing rewritten; a test builds
// every dashboard from both and compares the bytes. When the bundle is missing (an install with
// --ignore-scripts), made for another SDK version, or unreadable, the package loads as usual.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Common from "@grafana/grafana-foundation-sdk/common";
import type * as Dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import type * as Prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import type * as Stat from "@grafana/grafana-foundation-sdk/stat";
import type * as Table from "@grafana/grafana-foundation-sdk/table";
import type * as Timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** The SDK's modules fleetfed builds dashboards with: what the bundle holds. */
export const SDK_MODULES = ["common", "dashboard", "prometheus", "stat", "table", "timeseries"] as const;

export interface GrafanaSdk {
  common: typeof Common;
  dashboard: typeof Dashboard;
  prometheus: typeof Prometheus;
  stat: typeof Stat;
  table: typeof Table;
  timeseries: typeof Timeseries;
}

const PACKAGE = "@grafana/grafana-foundation-sdk";
const require = createRequire(import.meta.url);

/** The installed SDK's version, and where its bundle lives: node_modules/.cache/fleetfed/. */
export function sdkBundle(): { version: string; path: string } {
  // <node_modules>/@grafana/grafana-foundation-sdk/dist/common/index.js
  const packageDir = join(dirname(require.resolve(`${PACKAGE}/common`)), "..", "..");
  const { version } = require(join(packageDir, "package.json")) as { version: string };
  const path = join(packageDir, "..", "..", ".cache", "fleetfed", `grafana-foundation-sdk@${version}.cjs`);
  return { version, path };
}

/** The SDK from the package, module by module. */
export function packageSdk(): GrafanaSdk {
  return Object.fromEntries(SDK_MODULES.map((m) => [m, require(`${PACKAGE}/${m}`)])) as unknown as GrafanaSdk;
}

/** The SDK from the bundle of the installed version (or at `path`), or undefined when there is no usable one. */
export function bundledSdk(path = sdkBundle().path): GrafanaSdk | undefined {
  try {
    const sdk = require(path) as Partial<GrafanaSdk>;
    return SDK_MODULES.every((m) => sdk[m] !== undefined) ? (sdk as GrafanaSdk) : undefined;
  } catch {
    return undefined;
  }
}

let loaded: GrafanaSdk | undefined;
export function grafanaSdk(): GrafanaSdk {
  loaded ??= bundledSdk() ?? packageSdk();
  return loaded;
}
