// CHANGELOG.md, which a fleet's upgrade pull request quotes: its format, its newest release equal to
// package.json's version, and the releases an upgrade states.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import {
  compareVersions,
  parseChangelog,
  releasesBetween,
  upgradeText,
} from "../scripts/core/review/changelog.ts";
import { PROJECT_ROOT } from "./support/repo.ts";

const releases = parseChangelog(readFileSync(join(PROJECT_ROOT, "CHANGELOG.md"), "utf8"));

describe("CHANGELOG.md", () => {
  it("opens with the version package.json names, newest first, each release once and with changes listed", () => {
    expect(releases[0]?.version).toBe(packageJson.version);
    for (let i = 1; i < releases.length; i++)
      expect(compareVersions(releases[i - 1]?.version as string, releases[i]?.version as string)).toBe(1);
    for (const r of releases) expect(r.body, r.version).toMatch(/^- /m);
  });

  it("refuses a release heading of another shape, naming its line", () => {
    expect(() => parseChangelog("# Changelog\n\n## v1.0 (today)\n- x\n")).toThrow(/CHANGELOG.md:3/);
  });
});

describe("the releases an upgrade states", () => {
  const list = parseChangelog(
    ["## 1.10.0 - 2026-03-01", "- c", "## 1.9.0 - 2026-02-01", "- b", "## 1.2.0 - 2026-01-01", "- a"].join(
      "\n",
    ),
  );
  it("are those after the version the fleet ran, up to the one it installs (numeric order: 1.10 after 1.9)", () => {
    expect(releasesBetween(list, "1.2.0", "1.10.0").map((r) => r.version)).toEqual(["1.10.0", "1.9.0"]);
    expect(releasesBetween(list, "1.9.0", "1.9.0")).toEqual([]);
    expect(releasesBetween(list, "1.2.0", "1.9.0").map((r) => r.version)).toEqual(["1.9.0"]);
  });
  it("are every one up to the new version when the old one is unknown, and a downgrade says so", () => {
    expect(releasesBetween(list, "unknown", "1.9.0").map((r) => r.version)).toEqual(["1.9.0", "1.2.0"]);
    expect(upgradeText({ from: "1.10.0", to: "1.9.0", releases: [], proposal: "x\n" })).toMatch(/downgrade/);
  });
});
