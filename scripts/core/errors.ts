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

export function formatProblem(p: Problem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ""}` : ""}: ` : "";
  const field = p.field ? `${p.field}: ` : "";
  const hint = p.hint ? ` (${p.hint})` : "";
  return `${where}${field}${p.message}${hint}`;
}

/** Throws once with every problem found, so a user fixes a file in one pass rather than one error per run. */
export function throwIfAny(problems: readonly Problem[], exitCode: number = EXIT_INVALID): void {
  if (problems.length > 0) throw new FleetfedError(problems, exitCode);
}
