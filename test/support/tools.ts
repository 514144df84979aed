// The real binaries tests run (promtool, prometheus, kubectl, alertmanager: `npm run tools` unpacks the
// Prometheus release fleetfed ships into .tools/bin). Outside CI a missing one skips
// the tests that need it, with the reason in the skip; under CI=true it fails, so CI never passes by skipping.

import { which } from "zx";

export async function tool(name: string, install = "npm run tools"): Promise<string | undefined> {
  const path = (await which(name, { nothrow: true })) ?? undefined;
  if (!path && process.env.CI === "true")
    throw new Error(`${name} is not on PATH and CI=true requires it (${install})`);
  return path;
}
