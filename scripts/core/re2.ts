// Regular expressions as Prometheus evaluates them: RE2 (through re2-wasm, Google's RE2 build), so a
// pattern is valid exactly when Prometheus accepts it (`(?i)` yes, `.{0,1001}` no) and every match runs in
// linear time: a hostile `([a-z]*)*X` cannot hang a command. JavaScript's RegExp backtracks and accepts a
// different language, so fleetfed never evaluates a user's pattern with it.

import { createRequire } from "node:module";

export interface Re2 {
  test(input: string): boolean;
  exec(input: string): { groups?: Record<string, string | undefined> } | null;
}

type Engine = new (pattern: string, flags: string) => Re2;
let engine: Engine | undefined;
/** re2-wasm is loaded, and its WebAssembly compiled (~35 ms), the first time a pattern needs it. */
function re2(): Engine {
  engine ??= (createRequire(import.meta.url)("re2-wasm") as { RE2: Engine }).RE2;
  return engine;
}

const cache = new Map<string, Re2 | { error: string }>();

/** The compiled pattern, or why RE2 rejects it. Compiled once per distinct pattern. */
export function compileRe2(pattern: string): Re2 | { error: string } {
  let compiled = cache.get(pattern);
  if (!compiled) {
    try {
      compiled = new (re2())(pattern, "u");
    } catch (e) {
      compiled = {
        error: (e as Error).message.replace(/^Invalid regular expression: \/.*\/u: /s, "").slice(0, 200),
      };
    }
    cache.set(pattern, compiled);
  }
  return compiled;
}

/** Whether `value` matches `regex` whole, as a PromQL `=~` matcher does (anchored at both ends). */
export function fullMatch(regex: string, value: string): boolean {
  const re = compileRe2(`^(?:${regex})$`);
  return "error" in re ? false : re.test(value);
}

/** `pattern` compiled on first use: for a pattern already known to be valid, such as a shipped default. */
export function lazyRe2(pattern: string): Re2 {
  const compiled = () => compileRe2(pattern) as Re2;
  return { test: (input) => compiled().test(input), exec: (input) => compiled().exec(input) };
}
