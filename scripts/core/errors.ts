// The one error type for everything a user can fix: each problem names the file, line, column and
// field, and says how to fix it. Anything else that escapes is a bug: the CLI reports it as an internal error.

export interface Problem {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Dotted path of the offending field, e.g. `federation.scrapeTimeout`. */
  field?: string;
  /** What to do about it. */
  hint?: string;
}

/** Exit codes of the CLI (SPEC §4.1). */
export const EXIT_REFUSED = 1;
export const EXIT_INVALID = 2;
/** Not the user's fault: a fleetfed bug, reported in one line (FLEETFED_DEBUG=1 adds the stack). */
export const EXIT_INTERNAL = 70;

export class FleetfedError extends Error {
  readonly problems: readonly Problem[];
  readonly exitCode: number;

  constructor(problems: Problem | readonly Problem[], exitCode: number = EXIT_INVALID) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map(formatProblem).join("\n"));
    this.name = "FleetfedError";
    this.problems = list;
    this.exitCode = exitCode;
  }
}

/**
 * One line per problem, whatever the input held: control characters escaped, each part bounded, so a
 * 50 MB label value or a file name with a newline can neither flood stderr nor forge another line.
 */
export function formatProblem(p: Problem): string {
  const file = p.file ? oneLine(p.file, 300) : "";
  const where = file ? `${file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ""}` : ""}: ` : "";
  const field = p.field ? `${oneLine(p.field, 200)}: ` : "";
  const hint = p.hint ? ` (${oneLine(p.hint, 600)})` : "";
  return `${where}${field}${oneLine(p.message, 600)}${hint}`;
}

/** A value from the input, quoted for a message: at most 80 characters, control characters escaped. */
export function quote(value: unknown): string {
  if (typeof value !== "string") {
    const json = JSON.stringify(value) ?? String(value);
    return oneLine(json.length > 80 ? `${json.slice(0, 80)}…` : json, 200);
  }
  const cut = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return `"${oneLine(cut, 200).replaceAll('"', '\\"')}"`;
}

function oneLine(s: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** Throws once with every problem found, so a user fixes a file in one pass rather than one error per run. */
export function throwIfAny(problems: readonly Problem[], exitCode: number = EXIT_INVALID): void {
  if (problems.length > 0) throw new FleetfedError(problems, exitCode);
}
