// The discovery snapshot (fleet.snapshot.json): machine-owned and committed, so every change discovery
// sees is reviewed in a pull request. It also records which leaf each cluster is on, which is what
// keeps clusters where they are as the fleet changes. JSON because it is machine-owned and large: a
// 10,000-cluster snapshot parses in milliseconds, where YAML takes a second; JSON is also YAML, which is
// how errors in it still get a line and column.

import type { DiscoveredCluster } from "../discovery/cluster.ts";
import { type Problem, throwIfAny } from "../errors.ts";
import { compare } from "../order.ts";
import { GENERATED_HEADER, parseYaml, type YamlSource } from "../yaml.ts";
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const { problems } = parseYaml(text, file);
    throwIfAny(
      problems.length > 0 ? problems : [{ file, line: 1, message: `invalid JSON: ${(e as Error).message}` }],
    );
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
      .map(([leaf, ids]) => [leaf, [...ids].sort(compare)]),
  );
  const document = {
    $schema: "./scripts/schema/snapshot.schema.json",
    $comment: `${GENERATED_HEADER.slice(2)}. What Route 53 held at the last sync, and which leaf federator each cluster is on.`,
    clusters,
    placement,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
