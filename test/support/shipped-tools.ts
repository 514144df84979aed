// The Prometheus fleetfed ships (3.5, unpacked into .tools/bin by `bash .ci/prometheus-tools`) first on
// PATH for the tests and the bench, so they run the release the federators run, not whatever older one
// the machine has. Without .tools/bin, PATH is left as it is and test/versions.test.ts says what runs.

import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export const SHIPPED_TOOLS = join(import.meta.dirname, "..", "..", ".tools", "bin");

export function useShippedTools(): void {
  const path = process.env.PATH ?? "";
  if (existsSync(SHIPPED_TOOLS) && !path.split(delimiter).includes(SHIPPED_TOOLS))
    process.env.PATH = `${SHIPPED_TOOLS}${delimiter}${path}`;
}
