// Validates parsed YAML against the JSON Schemas published in scripts/schema/ (the same files editors
// use through the yaml-language-server modeline), so the schema and the checks cannot drift apart:
// schema/validators.js is those schemas compiled by Ajv, and a test keeps it in step with them.
// Defaults come from the schema too: validation fills them in.

import type { ErrorObject, ValidateFunction } from "ajv";
import { cluster, fleet, snapshot } from "../../schema/validators.js";
import { type Problem, quote } from "../errors.ts";
import type { YamlSource } from "../yaml.ts";
import { isCredentialField } from "./endpoint-auth.ts";

export type SchemaName = "fleet" | "cluster" | "snapshot";

// Compiled ahead of time from schema/*.schema.json by Ajv's standalone generator (npm run schema:write;
// a test fails when validators.js differs from the schemas), so no command loads or runs Ajv's compiler.
const VALIDATORS: Record<SchemaName, ValidateFunction> = { fleet, cluster, snapshot };

/**
 * The discovered clusters the snapshot schema would reject, by index, with the first reason: discovery
 * checks what it found by the snapshot's own rules, so it never writes a snapshot that later fails to load.
 */
export function snapshotRejects(clusters: readonly unknown[]): Map<number, string> {
  const rejected = new Map<number, string>();
  const validate = VALIDATORS.snapshot;
  if (validate({ clusters, placement: {} })) return rejected;
  for (const err of validate.errors ?? []) {
    const m = /^\/clusters\/(\d+)(\/.*)?$/.exec(err.instancePath);
    if (!m) continue;
    const i = Number(m[1]);
    if (!rejected.has(i))
      rejected.set(
        i,
        `${(m[2] ?? "").slice(1).replaceAll("/", ".") || "cluster"} ${err.message ?? "is invalid"}`,
      );
  }
  return rejected;
}

/** Checks `source.value` in place (filling defaults) and returns one problem per violation. */
export function validateAgainstSchema(source: YamlSource, schema: SchemaName): Problem[] {
  const validate = VALIDATORS[schema];
  if (source.value === null || typeof source.value !== "object" || Array.isArray(source.value)) {
    return [{ file: source.file, line: 1, column: 1, message: "must be a YAML mapping (key: value lines)" }];
  }
  if (validate(source.value)) return [];
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const err of validate.errors ?? []) {
    const problem = describe(err, source);
    if (!problem) continue;
    const key = `${problem.line}:${problem.field}:${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Long on purpose: one case per Ajv keyword, each turned into the one-line problem a person reads. */
function describe(err: ErrorObject, source: YamlSource): Problem | undefined {
  const path = pointerToPath(err.instancePath);
  const parent = err.parentSchema as
    | { description?: string; properties?: Record<string, unknown> }
    | undefined;
  const at = (p: (string | number)[], key = false) => ({
    file: source.file,
    ...source.locate(p, { key }),
    field: p.join(".") || undefined,
  });
  const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;
  switch (err.keyword) {
    case "additionalProperties": {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(parent?.properties ?? {});
      return {
        ...at([...path, extra], true),
        message: `unknown key ${quote(extra)}`,
        hint: allowed.length > 0 ? `allowed keys here: ${allowed.join(", ")}` : "remove it",
      };
    }
    case "required": {
      const missing = String((err.params as { missingProperty: string }).missingProperty);
      return { ...at(path), field: [...path, missing].join("."), message: `"${missing}" is required` };
    }
    case "propertyNames":
      return undefined; // reported by the nested keyword, which carries the property name
    case "type":
      return {
        ...at(path),
        message: `must be ${article(String((err.params as { type: string }).type))}`,
        hint: parent?.description,
      };
    case "enum":
      return {
        ...at(path),
        message: `must be one of ${((err.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "uniqueItems":
      return { ...at(path), message: "has duplicate entries", hint: "list each value once" };
    default: {
      if (propertyName !== undefined) {
        // Kubernetes label keys (selectors, object labels) have a pattern of their own, with a DNS prefix.
        const kubernetes = String((err.params as { pattern?: string }).pattern ?? "").startsWith(
          "^([a-z0-9]",
        );
        return {
          ...at([...path, propertyName], true),
          message: `${quote(propertyName)} is not a valid ${kubernetes ? "Kubernetes label key" : "name"}`,
          hint: kubernetes
            ? "an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit, e.g. app.kubernetes.io/name"
            : "use a Prometheus label name: letters, digits and '_', not starting with a digit",
        };
      }
      // A scalar is worth quoting; a whole mapping or list is not (the location already points at it), and
      // a credential field's value never is: a password typed into passwordFile must not reach a log.
      const shown =
        (err.data !== null && typeof err.data === "object") || isCredentialField(path.at(-1))
          ? ""
          : `${quote(err.data)} `;
      return {
        ...at(path),
        message: `${shown}${err.message ?? "is invalid"}`,
        hint: parent?.description,
      };
    }
  }
}

function article(type: string): string {
  return type === "array" || type === "object" || type === "integer" ? `an ${type}` : `a ${type}`;
}
