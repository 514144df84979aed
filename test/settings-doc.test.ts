// Every fleet.yaml setting documented from the schema, its one home: the settings reference
// (docs/settings.md) is fresh, every setting says what it does, and the commented fleet.yaml init writes
// states each default exactly (set at the value it shows, a setting reads back as its default).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSettings } from "../scripts/core/inputs/settings.ts";
import { commentedFleetYaml, settingDocs, settingsReference } from "../scripts/core/inputs/settings-doc.ts";
import { SETTINGS_DOC } from "./support/docs.ts";
import { makeRepo, runCli } from "./support/repo.ts";

const docs = settingDocs();
/** Settings as they mean, without the source lines parseSettings records for messages. */
const meaning = (text: string) => {
  const s = parseSettings(text, "fleet.yaml");
  const r53 = s.discovery.route53;
  // The compiled pattern is an engine object; its text (recordPatternText) says what it is.
  return {
    ...s,
    discovery: r53 ? { route53: { ...r53, recordPattern: undefined } } : {},
    federation: { ...s.federation, lines: {} },
  };
};

describe("the settings reference", () => {
  it("is docs/settings.md exactly (npm run docs:write), one row per setting", () => {
    expect(readFileSync(SETTINGS_DOC, "utf8")).toBe(settingsReference());
    expect(
      settingsReference()
        .split("\n")
        .filter((l) => l.startsWith("| `")),
    ).toHaveLength(docs.length);
  });

  it("says what every setting does", () => {
    expect(docs.length).toBeGreaterThan(60);
    expect(docs.filter((d) => d.description.trim() === "").map((d) => d.path.join("."))).toEqual([]);
  });
});

describe("the commented fleet.yaml", () => {
  const bare = commentedFleetYaml([], ["# header"]);

  it("is all comments when nothing is set, so it reads as the defaults", () => {
    expect(parse(bare)).toBeNull();
    expect(parseSettings(bare, "fleet.yaml")).toEqual(parseSettings("{}\n", "fleet.yaml"));
  });

  it("shows every setting once, commented, with its default", () => {
    for (const d of docs) {
      const key = d.path.at(-1) as string;
      const depth = "  ".repeat(d.path.length - 1);
      const line = bare.split("\n").filter((l) => l.startsWith(`${depth}# ${key}:`));
      expect(line.length, d.path.join(".")).toBeGreaterThanOrEqual(1);
    }
  });

  it("states each default exactly: uncommenting a setting's line (and its groups') reads back as its default", () => {
    // The setting lines, in order, with the path their indentation gives them.
    const lines = bare.split("\n");
    const stack: string[] = [];
    const at: { path: string; line: number }[] = [];
    lines.forEach((l, i) => {
      const m = /^( *)# ([A-Za-z][A-Za-z0-9]*):( |$)/.exec(l);
      if (!m) return;
      const depth = (m[1] as string).length / 2;
      stack.length = depth;
      stack.push(m[2] as string);
      at.push({ path: stack.join("."), line: i });
    });
    expect(at.map((a) => a.path)).toEqual(docs.map((d) => d.path.join(".")));
    // Discovery is off unless discovery.route53 is written: its settings are compared with route53 on.
    const withRoute53 = meaning("discovery:\n  route53: {}\n");
    const plain = meaning("{}\n");
    let checked = 0;
    docs.forEach((d, i) => {
      if (d.group || !("default" in d)) return;
      const uncomment = new Set(
        docs.flatMap((g, j) =>
          j === i || (g.group && d.path.join(".").startsWith(`${g.path.join(".")}.`)) ? [j] : [],
        ),
      );
      const text = lines
        .map((l, n) => {
          const k = at.findIndex((a) => a.line === n);
          return k >= 0 && uncomment.has(k) ? l.replace("# ", "") : l;
        })
        .join("\n");
      const expected = d.path[0] === "discovery" ? withRoute53 : plain;
      expect(meaning(text), d.path.join(".")).toEqual(expected);
      checked++;
    });
    expect(checked).toBeGreaterThan(50);
  });

  it("is what init writes, with what init sets written out", async () => {
    const root = await makeRepo({});
    const r = await runCli([
      "init",
      "--zones",
      "internal.acme.example",
      "--rule-labels",
      "release=kps",
      "--repo-url",
      "https://git.acme.example/fleet.git",
      "--root",
      root,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(`${root}/fleet.yaml`, "utf8");
    expect(text).toMatch(/^ {4}hostedZones: \[internal\.acme\.example\]$/m);
    expect(text).toMatch(/^ {2}labels: \{ ?release: kps ?\}$/m);
    expect(text).toMatch(/^ {2}# scrapeInterval: 30s$/m);
    expect(text).toMatch(/^# clusterLabel: cluster$/m);
    expect(parseSettings(text, "fleet.yaml").clusterRules.labels).toEqual({ release: "kps" });
  });
});
