// The one YAML writer: whatever it writes reads back as exactly the value, under YAML 1.2 and 1.1 rules;
// and the fast reader for the common case, which must read exactly what the library reads.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";
import { GENERATED_HEADER, readCommonYaml, toYaml } from "../scripts/core/yaml.ts";
import { PROJECT_ROOT } from "./support/repo.ts";

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

/**
 * A value as plain data that tells apart what toEqual does not: an own `__proto__` key from a prototype,
 * and any object whose prototype is not Object.prototype.
 */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v !== "object" || v === null) return v;
  const proto = Object.getPrototypeOf(v);
  return {
    prototype: proto === Object.prototype || proto === null ? "plain" : "other",
    entries: Object.getOwnPropertyNames(v).map((k) => [k, shape((v as Record<string, unknown>)[k])]),
  };
}

describe("readCommonYaml, the fast reader for hand-written files", () => {
  /** What the yaml library reads, or undefined when it reports an error. */
  const library = (text: string) => {
    const doc = parseDocument(text, { uniqueKeys: true });
    return doc.errors.length > 0 ? undefined : doc.toJS();
  };

  it("reads every YAML fixture of the repository as the library does, or leaves it to the library", () => {
    const files = (readdirSync(join(PROJECT_ROOT, "test"), { recursive: true }) as string[])
      .filter((p) => /\.ya?ml$/.test(p) && !p.includes("manifests"))
      .map((p) => join(PROJECT_ROOT, "test", p));
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const fast = readCommonYaml(text);
      if (fast === undefined) continue;
      read++;
      expect(shape(fast), file).toEqual(shape(library(text)));
    }
    expect(read).toBeGreaterThanOrEqual(10);
  });

  it("agrees with the library on 20,000 generated files, tricky scalars and broken shapes among them", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const keys = [
      ...["cluster", "endpoint", "labels", "match", "team", "a", "b-c", "true", "null", "x_1", "on"],
      // Keys a plain object inherits: the fast reader must keep each a key, as the library does.
      ...["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"],
    ];
    const scalars = [
      ...TRICKY.filter((s) => !s.includes("\n")),
      "prod",
      "us-east-1",
      "prometheus.a.example.com:9090",
      "30s",
      "0",
      "42",
      "007",
      "1e3",
      "1_000",
      "-1",
      "+1",
      ".5",
      "0o17",
      "True",
      "FALSE",
      "Null",
      "http://x.example.com/a?b=c",
      "'single ''quoted'''",
      "'a, b'",
      '"double"',
      '"esc\\n"',
      "'{job=\"x\"}'",
      "a b",
      "x # comment",
      "x#y",
      "a: b",
      "a:",
      ":a",
      "- a",
      "é",
    ];
    const flow = () =>
      random() < 0.5
        ? `{${Array.from({ length: Math.floor(random() * 3) }, () => `${pick(keys)}: ${pick(scalars)}`).join(", ")}}`
        : `[${Array.from({ length: Math.floor(random() * 3) }, () => pick(scalars)).join(", ")}]`;
    const value = (indent: string, depth: number): string => {
      const r = random();
      if (r < 0.55 || depth > 2) return ` ${pick(scalars)}`;
      if (r < 0.7) return ` ${flow()}${random() < 0.2 ? " # note" : ""}`;
      if (r < 0.8) return random() < 0.5 ? "" : " # nothing";
      const inner = random() < 0.8 ? `${indent}  ` : indent;
      if (r < 0.9)
        return `\n${Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${inner}- ${pick(scalars)}`).join("\n")}`;
      return `\n${Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${inner}${pick(keys)}:${value(inner, depth + 1)}`).join("\n")}`;
    };
    let read = 0;
    for (let n = 0; n < 20_000; n++) {
      const lines = Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => `${pick(keys)}:${value("", 0)}`,
      );
      if (random() < 0.2) lines.splice(Math.floor(random() * lines.length), 0, "# a comment", "");
      if (random() < 0.05) lines.push(pick(["---", "  stray: indent", "\tx: 1", "- item", "x:y"]));
      const text = `${lines.join("\n")}\n`;
      const fast = readCommonYaml(text);
      if (fast === undefined) continue;
      read++;
      expect(shape(fast), text).toEqual(shape(library(text)));
    }
    // The fast path is really exercised, though a third of the keys here send a file to the library.
    console.log(`fast path: ${read} of 20,000`);
    expect(read).toBeGreaterThan(1_000);
  });
});
