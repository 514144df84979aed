// Regular expressions as Prometheus evaluates them: RE2 (through re2-wasm, Google's RE2 build), so a
// pattern is valid exactly when Prometheus accepts it (`(?i)` yes, `.{0,1001}` no) and every match runs in
// linear time: a hostile `([a-z]*)*X` cannot hang a command. JavaScript's RegExp backtracks and accepts a
// different language, so fleetfed never evaluates a user's pattern with it.

import { RE2 } from "re2-wasm";

export interface Re2 {
  test(input: string): boolean;
  exec(input: string): { groups?: Record<string, string | undefined> } | null;
}

const cache = new Map<string, Re2 | { error: string }>();

/** The compiled pattern, or why RE2 rejects it. Compiled once per distinct pattern. */
export function compileRe2(pattern: string): Re2 | { error: string } {
  let compiled = cache.get(pattern);
  if (!compiled) {
    try {
      compiled = new RE2(pattern, "u") as unknown as Re2;
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
