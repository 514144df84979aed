// The module map in scripts/README.md names every module, so a newcomer can trust it.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./support/repo.ts";

const SCRIPTS = join(PROJECT_ROOT, "scripts");

describe("scripts/README.md", () => {
  it("lists every module under scripts/, and no module that does not exist", () => {
    const modules = (readdirSync(SCRIPTS, { recursive: true }) as string[])
      .filter((p) => p.endsWith(".ts"))
      .map((p) => relative(SCRIPTS, join(SCRIPTS, p)))
      .sort();
    const map = readFileSync(join(SCRIPTS, "README.md"), "utf8");
    const listed = [...map.matchAll(/^\| `([^`]+\.ts)`/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(modules);
  });
});
