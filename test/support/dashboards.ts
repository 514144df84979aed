// Every query expression of the rendered dashboards, read back from the JSON files under
// manifests/dashboards/ as Grafana loads them.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export async function dashboardExpressions(manifests: string): Promise<string[]> {
  const dir = join(manifests, "dashboards");
  const exprs: string[] = [];
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) collect(n);
    else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if (typeof o.expr === "string") exprs.push(o.expr);
      for (const v of Object.values(o)) collect(v);
    }
  };
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".json")).sort())
    collect(JSON.parse(await readFile(join(dir, file), "utf8")));
  return exprs;
}
