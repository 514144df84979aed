// The module map in scripts/README.md names every module, so a newcomer can trust it.

import { readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import swc from "@swc/core";
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
    [
      "a command importing another, one the rule never listed by name",
      "commands/zz-probe.ts",
      'export { upgradeCommand } from "./upgrade.ts";\n',
      /commands-independent: scripts\/commands\/zz-probe.ts → scripts\/commands\/upgrade.ts/,
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

describe("the shape of the code (#24)", () => {
  // Read with swc's TypeScript parser (TypeScript 7 has no JavaScript API): every function, method
  // and arrow in scripts/. swc's spans are 1-based byte offsets into the file.
  const functions = () => {
    const found: { where: string; params: number; lines: number; header: string }[] = [];
    for (const p of readdirSync(SCRIPTS, { recursive: true }) as string[]) {
      if (!p.endsWith(".ts") || p.endsWith(".d.ts")) continue;
      const bytes = readFileSync(join(SCRIPTS, p));
      const lines = bytes.toString("utf8").split("\n");
      const lineAt = (offset: number) =>
        bytes
          .subarray(0, offset - 1)
          .toString("utf8")
          .split("\n").length;
      const visit = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const child of node) visit(child);
          return;
        }
        if (!node || typeof node !== "object") return;
        const n = node as { type?: string; span?: { start: number; end: number }; params?: unknown[] };
        const fn = /^(FunctionDeclaration|FunctionExpression|ArrowFunctionExpression)$/.test(n.type ?? "");
        if (fn && n.span && n.params) {
          const first = lineAt(n.span.start);
          let above = first - 1; // the comment lines right above the line the function starts on
          while (above > 0 && /^\s*(\/\/|\/\*|\*)/.test(lines[above - 1] ?? "")) above--;
          found.push({
            where: `${p}:${first}`,
            params: n.params.length,
            lines: lineAt(n.span.end) - first + 1,
            header: lines.slice(above, first).join("\n"),
          });
        }
        for (const [k, v] of Object.entries(n)) if (k !== "span") visit(v);
      };
      visit(swc.parseSync(bytes.toString("utf8"), { syntax: "typescript" }));
    }
    return found;
  };

  it("takes a props object wherever a function would take more than four parameters", () => {
    expect(
      functions()
        .filter((f) => f.params > 4)
        .map((f) => f.where),
    ).toEqual([]);
  });

  it("says why in its header wherever a function in commands/ or core/ runs over 60 lines", () => {
    const long = functions().filter(
      (f) => /^(commands|core)\//.test(f.where) && f.lines > 60 && !f.header.includes("Long on purpose"),
    );
    expect(long.map((f) => `${f.where} (${f.lines} lines)`)).toEqual([]);
  });
});
