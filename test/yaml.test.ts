// The one YAML writer: whatever it writes reads back as exactly the value, under YAML 1.2 and 1.1 rules.

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GENERATED_HEADER, toYaml } from "../scripts/core/yaml.ts";

const TRICKY = [
  "on",
  "Off",
  "yes",
  "NO",
  "y",
  "true",
  "null",
  "~",
  "",
  " ",
  "0755",
  "0x1F",
  "1e3",
  "12",
  "-1",
  ".inf",
  ".NaN",
  "2001-12-14",
  "190:20:30",
  "10.0.0.7:9090",
  "30s",
  "50MB",
  "a: b",
  "a:",
  "#x",
  "x #y",
  "- x",
  "--flag=1",
  "'q'",
  '"dq"',
  "it's",
  '{job="prometheus"}',
  "[a]",
  "*",
  "&a",
  "!tag",
  "%x",
  "@x",
  "`x`",
  "line\nbreak",
  "tab\there",
  "nul\u0000",
  "é—ü",
  "match[]",
  "a,b",
  "?",
  "|",
  ">",
  "=",
];

describe("toYaml", () => {
  it.each(["1.2", "1.1"] as const)(
    "round-trips tricky strings as keys and values under YAML %s",
    (version) => {
      const value = {
        values: TRICKY,
        keyed: Object.fromEntries(TRICKY.map((s, i) => [s, i])),
        nested: [{ a: TRICKY, b: [] }, [], {}, [[1, 2], { c: null, d: true, e: 1.5 }]],
      };
      const text = toYaml(value);
      expect(text.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
      expect(parse(text, { version })).toEqual(value);
    },
  );

  it("never wraps long lines and ends with one newline", () => {
    const long = "x".repeat(500);
    const text = toYaml({ long, list: [long] }, { header: false });
    expect(text).toBe(`long: ${long}\nlist:\n  - ${long}\n`);
  });
});
