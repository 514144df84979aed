// PromQL → the series selectors it reads, with the real PromQL grammar (@prometheus-io/lezer-promql).

import { createRequire } from "node:module";
import type * as LezerPromql from "@prometheus-io/lezer-promql";
import fleetSchema from "../schema/fleet.schema.json" with { type: "json" };
import { compileRe2, fullMatch } from "./re2.ts";

export interface Matcher {
  name: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

export interface Selector {
  /** The metric name, from `name{…}` or an `__name__="…"` matcher; undefined when only a regex names it. */
  metric?: string;
  matchers: Matcher[];
  text: string;
}

let grammar: typeof LezerPromql.parser | undefined;
/** The PromQL grammar, loaded the first time a query or selector is parsed (a render of shipped defaults never is). */
function parser(): typeof LezerPromql.parser {
  grammar ??= (createRequire(import.meta.url)("@prometheus-io/lezer-promql") as typeof LezerPromql).parser;
  return grammar;
}

function unquote(literal: string): string {
  if (literal.startsWith("`")) return literal.slice(1, -1);
  if (literal.startsWith("'"))
    return JSON.parse(`"${literal.slice(1, -1).replaceAll('"', '\\"').replaceAll("\\'", "'")}"`);
  return JSON.parse(literal);
}

/** The selectors in `expr`, or the position of the first syntax error. */
export function selectorsOf(expr: string): { selectors: Selector[]; error?: string } {
  const tree = parser().parse(expr);
  const selectors: Selector[] = [];
  let error: string | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = `syntax error at character ${node.from + 1}`;
      if (node.name !== "VectorSelector") return;
      const sel: Selector = { matchers: [], text: expr.slice(node.from, node.to) };
      const cursor = node.node.cursor();
      cursor.firstChild();
      do {
        if (cursor.name === "Identifier") sel.metric = expr.slice(cursor.from, cursor.to);
        if (cursor.name !== "LabelMatchers") continue;
        const m = cursor.node.cursor();
        if (!m.firstChild()) continue;
        do {
          if (m.name !== "UnquotedLabelMatcher" && m.name !== "QuotedLabelMatcher") continue;
          const parts = m.node;
          const nameNode = parts.getChild("LabelName") ?? parts.getChild("QuotedLabelName");
          const opNode = parts.getChild("MatchOp");
          const valueNodes = parts.getChildren("StringLiteral");
          const valueNode = valueNodes[valueNodes.length - 1];
          if (!nameNode || !opNode || !valueNode) continue;
          const rawName = expr.slice(nameNode.from, nameNode.to);
          const name = nameNode.name === "QuotedLabelName" ? unquote(rawName) : rawName;
          const value = unquote(expr.slice(valueNode.from, valueNode.to));
          const op = expr.slice(opNode.from, opNode.to) as Matcher["op"];
          if (name === "__name__" && op === "=") sel.metric = value;
          else sel.matchers.push({ name, op, value });
        } while (m.nextSibling());
      } while (cursor.nextSibling());
      selectors.push(sel);
    },
  });
  return error ? { selectors, error } : { selectors };
}

/**
 * Does the federation selector `by` (a match[] entry) provably select every series `query` can read?
 * Each of its matchers must be implied by the query: the metric name against a `__name__` matcher, and
 * equal-or-stricter matchers on every other label it constrains.
 */
export function covers(by: Selector, query: Selector): boolean {
  const nameMatcher: Matcher[] =
    by.metric !== undefined ? [{ name: "__name__", op: "=", value: by.metric }] : [];
  return [...nameMatcher, ...by.matchers].every((m) => implied(m, query));
}

/**
 * Would the match[] selector `text` take series named `name`, whatever their other labels? Only when it
 * constrains the name at all (a selector on job alone says nothing about a name) and every name matcher
 * accepts this one.
 */
export function selectsName(text: string, name: string): boolean {
  const [selector] = selectorsOf(text).selectors;
  if (!selector) return false;
  const byName: Matcher[] = [
    ...(selector.metric !== undefined
      ? [{ name: "__name__", op: "=" as const, value: selector.metric }]
      : []),
    ...selector.matchers.filter((m) => m.name === "__name__"),
  ];
  return byName.length > 0 && byName.every((m) => test(m, name));
}

function test(m: Matcher, value: string): boolean {
  if (m.op === "=") return value === m.value;
  if (m.op === "!=") return value !== m.value;
  if (m.op === "=~") return fullMatch(m.value, value);
  return !fullMatch(m.value, value);
}

/** True when every series `query` selects satisfies `m`. */
function implied(m: Matcher, query: Selector): boolean {
  // The same matcher in the query implies it whatever its operator.
  if (query.matchers.some((q) => q.name === m.name && q.op === m.op && q.value === m.value)) return true;
  if (m.name === "__name__") return query.metric !== undefined && test(m, query.metric);
  const equal = query.matchers.find((q) => q.name === m.name && q.op === "=");
  return equal !== undefined && test(m, equal.value);
}

const EXPRESSION_NODES = new Set([
  "AggregateExpr",
  "BinaryExpr",
  "FunctionCall",
  "MatrixSelector",
  "NumberDurationLiteral",
  "OffsetExpr",
  "ParenExpr",
  "StepInvariantExpr",
  "SubqueryExpr",
  "UnaryExpr",
]);

/**
 * Why Prometheus's /federate would reject `text` as a match[] selector, or undefined when it is fine: it
 * must parse as one series selector, every regex must be valid RE2, and at least one matcher must not
 * match the empty string (`{}` and `{job=~".*"}` select everything, which Prometheus refuses).
 */
export function selectorProblem(text: string): string | undefined {
  // Thousands of cluster files repeat the same few selectors: each distinct one is judged once.
  if (!judged.has(text)) judged.set(text, judgeSelector(text));
  return judged.get(text);
}

const judged = new Map<string, string | undefined>(
  // The shipped default selectors are valid (test/coverage.test.ts judges them in full), so a fleet that
  // keeps them never loads RE2 to prove it again.
  fleetSchema.properties.federation.properties.match.default.map((s) => [s, undefined]),
);

/** The verdict of selectorProblem, worked out in full every time. */
export function judgeSelector(text: string): string | undefined {
  const tree = parser().parse(text);
  let error: number | undefined;
  let selectors = 0;
  let other = false;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name === "VectorSelector") selectors++;
      // Anything but one plain selector: an expression, a range, an offset, a literal outside a matcher.
      if (EXPRESSION_NODES.has(node.name)) other = true;
      if (node.name === "StringLiteral" && !/LabelMatcher$/.test(node.node.parent?.name ?? "")) other = true;
    },
  });
  if (error !== undefined) return `is not a valid series selector: syntax error at character ${error + 1}`;
  if (selectors !== 1 || other)
    return 'must be a single series selector such as {__name__=~"cluster:.*"}, not an expression';
  const [sel] = selectorsOf(text).selectors;
  if (!sel) return "is not a valid series selector";
  for (const m of sel.matchers) {
    if (m.op === "=~" || m.op === "!~") {
      const re = compileRe2(`^(?:${m.value})$`);
      if ("error" in re) return `has an invalid regular expression for ${m.name}: ${re.error}`;
    }
  }
  const all: Matcher[] = [
    ...(sel.metric !== undefined ? [{ name: "__name__", op: "=" as const, value: sel.metric }] : []),
    ...sel.matchers,
  ];
  if (all.every((m) => test(m, "")))
    return "matches every series: at least one matcher must not match the empty string, or Prometheus rejects it";
  return undefined;
}
