// @grafana/grafana-foundation-sdk, loaded the first time a dashboard is built, and from one file when it
// can. The SDK is ~230 small CommonJS files: Node takes ~50 ms to resolve and load them one by one, on
// every render, check and sync. `npm install` therefore bundles the modules fleetfed uses into one file
// (scripts/bundle-grafana-sdk.ts, which npm install runs through scripts/prepare.js), named by the SDK's version, which loads in
// ~15 ms. The bundle is the installed SDK's own code joined by rolldown, nothing rewritten; a test builds
// every dashboard from both and compares the bytes. When the bundle is missing (an install with
// --ignore-scripts), made for another SDK version, or unreadable, the package loads as usual. The bundle's
// file is read by io/grafana-sdk-bundle.ts, which the CLI installs here; the core reads no file itself.

import { createRequire } from "node:module";
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

/** The SDK from the package, module by module. */
export function packageSdk(): GrafanaSdk {
  return Object.fromEntries(SDK_MODULES.map((m) => [m, require(`${PACKAGE}/${m}`)])) as unknown as GrafanaSdk;
}

/** Where a faster copy may come from: io/grafana-sdk-bundle.ts reads the bundle's file (the core reads none). */
let bundled: () => GrafanaSdk | undefined = () => undefined;
export function useBundledSdk(source: () => GrafanaSdk | undefined): void {
  bundled = source;
  loaded = undefined;
}

let loaded: GrafanaSdk | undefined;
export function grafanaSdk(): GrafanaSdk {
  loaded ??= bundled() ?? packageSdk();
  return loaded;
}

/**
 * Builds with the SDK in use; when a bundle throws (it is not the SDK it claims to be), builds again from
 * the package and keeps using the package.
 */
export function withGrafanaSdk<T>(build: (sdk: GrafanaSdk) => T): T {
  const sdk = grafanaSdk();
  try {
    return build(sdk);
  } catch (e) {
    const fromPackage = packageSdk();
    if (sdk === fromPackage) throw e;
    loaded = fromPackage;
    return build(fromPackage);
  }
}
