// The one-file bundle of the Grafana SDK that `npm install` makes (scripts/bundle-grafana-sdk.ts), read
// from node_modules/.cache/fleetfed/ and handed to the core's loader (core/render/grafana-sdk.ts says why
// it exists). Only a regular file, never through a link or a FIFO (which would block the read), and only
// when every builder fleetfed uses is a class: otherwise the package loads as usual. The bundle has the
// trust of node_modules itself, where it lives: whoever can write it can write the package too.

import { lstatSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type GrafanaSdk, SDK_MODULES, useBundledSdk } from "../core/render/grafana-sdk.ts";

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

/** The builders fleetfed constructs: a bundle whose modules lack one of them is not the SDK. */
const BUILDERS: Readonly<Record<(typeof SDK_MODULES)[number], readonly string[]>> = {
  common: ["TableSortByFieldStateBuilder"],
  dashboard: [
    "DashboardBuilder",
    "RowBuilder",
    "DashboardLinkBuilder",
    "ThresholdsConfigBuilder",
    "DatasourceVariableBuilder",
    "QueryVariableBuilder",
  ],
  prometheus: ["DataqueryBuilder"],
  stat: ["PanelBuilder"],
  table: ["PanelBuilder"],
  timeseries: ["PanelBuilder"],
};

/** The SDK from the bundle of the installed version (or at `path`), or undefined when there is no usable one. */
export function bundledSdk(path = sdkBundle().path): GrafanaSdk | undefined {
  try {
    if (!lstatSync(path).isFile()) return undefined;
    const sdk = require(path) as Partial<Record<string, Record<string, unknown>>>;
    const complete = SDK_MODULES.every((m) =>
      BUILDERS[m].every((name) => typeof sdk[m]?.[name] === "function"),
    );
    return complete ? (sdk as unknown as GrafanaSdk) : undefined;
  } catch {
    return undefined;
  }
}

/** Makes the core build dashboards from the bundle when there is a usable one (looked at on first use). */
export function installBundledSdk(): void {
  useBundledSdk(() => bundledSdk());
}
