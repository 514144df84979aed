// Every setting of fleet.yaml, read from its JSON Schema (the one home of names, defaults and what each
// does), in two forms: the commented fleet.yaml `init` writes (each setting with its default and one line
// on what it does, commented out unless init sets it) and the settings reference, docs/settings.md
// (test/settings-doc.test.ts holds the committed page to this output).

import fleetSchema from "../../schema/fleet.schema.json" with { type: "json" };
import { yamlLibrary } from "../yaml.ts";

interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  $ref?: string;
  enum?: readonly unknown[];
}

export interface SettingDoc {
  path: readonly string[];
  description: string;
  /** The schema's default; absent for a setting that is unset unless written (e.g. sampleLimit). */
  default?: unknown;
  /** A group of settings (a mapping with named keys), not a value. */
  group: boolean;
}

/** Every setting in the schema's order, groups before their members. */
export function settingDocs(schema: SchemaNode = fleetSchema as SchemaNode): SettingDoc[] {
  const out: SettingDoc[] = [];
  const walk = (node: SchemaNode, path: readonly string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const p = [...path, key];
      const group = child.properties !== undefined;
      out.push({
        path: p,
        description: child.description ?? "",
        ...("default" in child && !group && { default: child.default }),
        group,
      });
      if (group) walk(child, p);
    }
  };
  walk(schema, []);
  return out;
}

/** A value as one line of YAML (flow style for lists and mappings). */
function inline(value: unknown): string {
  return yamlLibrary()
    .stringify(value, { collectionStyle: "flow", lineWidth: 0, flowCollectionPadding: false })
    .trimEnd();
}

export interface SetValue {
  path: readonly string[];
  value: unknown;
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const under = (path: readonly string[], group: readonly string[]) =>
  path.length > group.length && group.every((x, i) => x === path[i]);

/**
 * fleet.yaml with every setting: what `values` sets written out, every other setting commented out with
 * its default, each under one `##` line saying what it does (kube-prometheus-stack's values.yaml style:
 * `##` explains, `#` is a setting to uncomment). Uncommenting a line sets that setting
 * to its default; a group is written out only when something under it is set (an empty group would be
 * null, which the schema refuses). A value set below a mapping setting (e.g. a label) is written whole.
 */
export function commentedFleetYaml(values: readonly SetValue[], header: readonly string[]): string {
  const lines = [...header];
  const docs = settingDocs();
  for (const doc of docs) {
    const depth = doc.path.length - 1;
    const indent = "  ".repeat(depth);
    const key = doc.path[depth] as string;
    const set = values.find((v) => same(v.path, doc.path));
    const setBelow = values.some((v) => under(v.path, doc.path));
    // A blank line before each top-level setting, for the eye.
    if (depth === 0) lines.push("");
    if (doc.description) lines.push(`${indent}## ${doc.description}`);
    if (doc.group) {
      lines.push(`${indent}${setBelow ? "" : "# "}${key}:`);
      continue;
    }
    if (set !== undefined) {
      lines.push(`${indent}${key}: ${inline(set.value)}`);
      continue;
    }
    const shown = "default" in doc ? inline(doc.default) : "";
    lines.push(`${indent}# ${key}:${shown === "" ? " # not set by default" : ` ${shown}`}`);
  }
  return `${lines.join("\n")}\n`;
}

/** docs/settings.md: every setting, its default and what it does, generated from the schema. */
export function settingsReference(): string {
  const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
  const lines = [
    "<!-- Generated from scripts/schema/fleet.schema.json by npm run docs:write; do not edit. -->",
    "",
    "# fleet.yaml settings",
    "",
    "Every setting of `fleet.yaml`, with its default and what it does. Every key is optional. `fleetfed init`",
    "writes each one into a new `fleet.yaml`, commented out with its default; uncomment a line to change it.",
    "Editors that read `# yaml-language-server: $schema=…` (VS Code's YAML extension) complete and check them",
    "from the same schema.",
    "",
    "| setting | default | what it does |",
    "| --- | --- | --- |",
  ];
  for (const doc of settingDocs()) {
    const shown = doc.group ? "" : "default" in doc ? `\`${cell(inline(doc.default))}\`` : "not set";
    lines.push(`| \`${doc.path.join(".")}\` | ${shown} | ${cell(doc.description)} |`);
  }
  return `${lines.join("\n")}\n`;
}
