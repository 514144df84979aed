// The module map in scripts/README.md names every module, so a newcomer can trust it.

import { readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { $ } from "zx";
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

describe("the layering rules (#24)", () => {
  const probes: [string, string, string, RegExp][] = [
    [
      "node:fs loaded through createRequire in core/",
      "core/render/zz-probe.ts",
      'import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\nexport const fs = require("node:fs");\n',
      /core-no-node-io: scripts\/core\/render\/zz-probe.ts → fs/,
    ],
    [
      "core/check importing core/review",
      "core/check/zz-probe.ts",
      'export { decide } from "../review/sync-policy.ts";\n',
      /check-before-review: scripts\/core\/check\/zz-probe.ts → scripts\/core\/review\/sync-policy.ts/,
    ],
    [
      "core/discovery importing core/plan",
      "core/discovery/zz-probe.ts",
      'export { buildInventory } from "../plan/inventory.ts";\n',
      /discovery-before-plan: scripts\/core\/discovery\/zz-probe.ts → scripts\/core\/plan\/inventory.ts/,
    ],
    [
      "core/inputs importing core/discovery",
      "core/inputs/zz-probe.ts",
      'export { refuseEmptyDiscovery } from "../discovery/discovery.ts";\n',
      /stages-flow-forward: scripts\/core\/inputs\/zz-probe.ts → scripts\/core\/discovery\/discovery.ts/,
    ],
  ];

  /** A copy of scripts/ and the rules, with the project's node_modules, where a probe can break them. */
  async function copy(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "fleetfed-deps-"));
    await cp(SCRIPTS, join(dir, "scripts"), { recursive: true });
    for (const f of [".dependency-cruiser.cjs", "biome.json", "package.json", "tsconfig.json", ".gitignore"])
      await cp(join(PROJECT_ROOT, f), join(dir, f));
    await symlink(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
    return dir;
  }

  it.each(probes)("npm run deps fails for %s", async (_, file, text, says) => {
    const dir = await copy();
    try {
      const clean = await $({
        cwd: dir,
        nothrow: true,
        quiet: true,
      })`${join(PROJECT_ROOT, "node_modules", ".bin", "depcruise")} scripts`;
      expect(clean.exitCode, clean.stdout).toBe(0);
      await writeFile(join(dir, "scripts", file), text);
      const r = await $({
        cwd: dir,
        nothrow: true,
        quiet: true,
      })`${join(PROJECT_ROOT, "node_modules", ".bin", "depcruise")} scripts`;
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).toMatch(says);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the lint fails for process.env in core/ (npm test runs it)", async () => {
    const dir = await copy();
    try {
      await writeFile(join(dir, "scripts", "core", "zz-probe.ts"), "export const home = process.env.HOME;\n");
      const r = await $({
        cwd: dir,
        nothrow: true,
        quiet: true,
      })`${join(PROJECT_ROOT, "node_modules", ".bin", "biome")} lint scripts/core/zz-probe.ts`;
      expect(r.exitCode).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/noProcessEnv/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
