// The discovery snapshot (fleet.snapshot.json): machine-owned and committed, so every change discovery
// sees is reviewed in a pull request. It also records which leaf each cluster is on, which is what
// keeps clusters where they are as the fleet changes. JSON because it is machine-owned and large: a
// 10,000-cluster snapshot parses in milliseconds, where YAML takes a second; JSON is also YAML, which is
// how errors in it still get a line and column.

import { FleetfedError, type Problem, throwIfAny } from "../errors.ts";
import { compare, sortStrings } from "../order.ts";
import { GENERATED_HEADER, parseYaml, type YamlSource } from "../yaml.ts";
import type { DiscoveredCluster } from "./discovered-cluster.ts";
import { validateAgainstSchema } from "./schema.ts";

export const SNAPSHOT_FILE = "fleet.snapshot.json";

/** Leaf name → ids of the clusters on it. */
export type Placement = ReadonlyMap<string, readonly string[]>;

export interface Snapshot {
  clusters: readonly DiscoveredCluster[];
  placement: Placement;
}

export const EMPTY_SNAPSHOT: Snapshot = { clusters: [], placement: new Map() };

export function parseSnapshot(text: string, file: string): Snapshot {
  try {
    return parseSnapshotText(text, file);
  } catch (e) {
    // A text nested deeper than the stack (a million brackets) is no snapshot; never an internal error.
    if (!(e instanceof RangeError)) throw e;
    throw new FleetfedError({
      file,
      line: 1,
      message: "nests too deep to be a snapshot",
      hint: `the snapshot is written by fleetfed sync; restore it with git checkout -- ${file}`,
    });
  }
}

/** Long on purpose: parse, duplicate keys, schema, then cross-record rules, all problems at once. */
function parseSnapshotText(text: string, file: string): Snapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FleetfedError({
      file,
      ...jsonErrorPosition(text, e as Error),
      message: `invalid JSON: ${(e as Error).message.replace(/ (at|in JSON at) position \d+.*$/, "")}`,
      hint: `the snapshot is written by fleetfed sync; restore it with git checkout -- ${file}`,
    });
  }
  if (hasDuplicateKeys(text, value)) {
    // JSON.parse keeps the last of two equal keys silently; the YAML reader names the line.
    const { problems } = parseYaml(text, file);
    const asJson = problems.map((p) => ({
      ...p,
      message: p.message.replace(/^invalid YAML/, "invalid JSON"),
    }));
    throwIfAny(asJson.length > 0 ? asJson : [{ file, line: 1, message: "has duplicate keys" }]);
  }
  // Positions are only needed for messages, so the YAML parse that finds them runs only on the error path.
  let located: YamlSource | undefined;
  const src: YamlSource = {
    file,
    value,
    locate: (path, opts) => {
      located ??= parseYaml(text, file).source as YamlSource;
      return located.locate(path, opts);
    },
  };
  throwIfAny(validateAgainstSchema(src, "snapshot"));
  const raw = src.value as { clusters: DiscoveredCluster[]; placement: Record<string, string[]> };
  const issues: Problem[] = [];
  const hint = `the snapshot is written by fleetfed sync; restore it with git checkout -- ${file}`;
  const seen = new Set<string>();
  raw.clusters.forEach((c, i) => {
    if (seen.has(c.cluster)) {
      issues.push({
        file,
        ...src.locate(["clusters", i]),
        field: `clusters.${i}.cluster`,
        message: `cluster "${c.cluster}" appears twice`,
        hint,
      });
    }
    seen.add(c.cluster);
  });
  const placed = new Map<string, string>();
  for (const [leaf, ids] of Object.entries(raw.placement)) {
    for (const id of ids) {
      const other = placed.get(id);
      if (other) {
        issues.push({
          file,
          ...src.locate(["placement", leaf]),
          field: `placement.${leaf}`,
          message: `cluster "${id}" is on both ${other} and ${leaf}`,
          hint,
        });
      }
      placed.set(id, leaf);
    }
  }
  throwIfAny(issues);
  return {
    clusters: raw.clusters,
    placement: new Map(Object.entries(raw.placement).map(([leaf, ids]) => [leaf, [...ids]])),
  };
}

/** Line and column of the first JSON syntax error (V8's messages no longer carry a position). */
function jsonErrorPosition(text: string, e: Error): { line: number; column: number } {
  const m = /position (\d+)/.exec(e.message);
  const offset = m ? Number(m[1]) : jsonErrorOffset(text);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: before.length - before.lastIndexOf("\n") };
}

/**
 * Where a strict JSON reading of `text` first fails: a small recursive-descent scan, linear in the text.
 * Long on purpose: the scanner is one grammar; its cases read best side by side.
 */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++;
      else if ((text.charCodeAt(i) ?? 0) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail();
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ":") fail();
          i++;
        }
        value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === "t" || c === "f" || c === "n") {
      literal(c === "t" ? "true" : c === "f" ? "false" : "null");
      return;
    }
    const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!num) fail();
    i += (num as RegExpExecArray)[0].length;
  };
  try {
    value(0);
    ws();
    return i;
  } catch (at) {
    return typeof at === "number" ? at : 0;
  }
}

/** More `"key":` tokens in the text than keys in the parsed value means some key was given twice. */
function hasDuplicateKeys(text: string, value: unknown): boolean {
  return keyTokens(text) > keyCount(value);
}

/**
 * The strings followed by a colon in JSON text. A scan by indexOf from quote to quote (a quote after an
 * odd run of backslashes is escaped), because a 4 MB snapshot is read on every render: ~3× the speed
 * of a regular expression's matchAll.
 */
function keyTokens(text: string): number {
  let keys = 0;
  let at = 0;
  for (;;) {
    let close = text.indexOf('"', at);
    if (close < 0) return keys;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close < 0) return keys;
      let slashes = 0;
      while (text.charCodeAt(close - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) break;
    }
    at = close + 1;
    let c = text.charCodeAt(at);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++at);
    if (c === 58) keys++;
  }
}

function keyCount(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += keyCount(x);
  // for…in over JSON.parse's plain objects: own keys only, without Object.entries' array per object.
  else for (const key in v) n += 1 + keyCount((v as Record<string, unknown>)[key]);
  return n;
}

export function serialiseSnapshot(snapshot: Snapshot): string {
  const clusters = [...snapshot.clusters]
    .sort((a, b) => compare(a.cluster, b.cluster))
    .map((c) => ({
      cluster: c.cluster,
      endpoint: c.endpoint,
      scheme: c.scheme,
      source: {
        kind: c.source.kind,
        zoneId: c.source.zoneId,
        zoneName: c.source.zoneName,
        record: c.source.record,
        type: c.source.type,
        ...(c.source.alias && { alias: true }),
        ...(c.source.setIdentifier !== undefined && { setIdentifier: c.source.setIdentifier }),
        ...(c.source.recordSets !== undefined && { recordSets: c.source.recordSets }),
      },
    }));
  const placement = Object.fromEntries(
    [...snapshot.placement.entries()]
      .sort(([a], [b]) => compare(a, b))
      .map(([leaf, ids]) => [leaf, sortStrings([...ids])]),
  );
  const document = {
    $schema: "./scripts/schema/snapshot.schema.json",
    $comment: `${GENERATED_HEADER.slice(2)}. What Route 53 held at the last sync, and which leaf federator each cluster is on.`,
    clusters,
    placement,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
