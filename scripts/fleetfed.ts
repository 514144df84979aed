#!/usr/bin/env node
// The `fleetfed` CLI: parses the command line, builds the Context (the only place that reads the
// environment), runs one command, and turns expected failures into one-line messages and exit codes.

import { appendFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { checkCommand } from "./commands/check.ts";
import type { Context } from "./commands/context.ts";
import { discoverCommand } from "./commands/discover.ts";
import { planCommand } from "./commands/plan.ts";
import { renderCommand } from "./commands/render.ts";
import { syncCommand } from "./commands/sync.ts";
import { EXIT_INVALID, FleetfedError, formatProblem } from "./core/errors.ts";
import { createReporter } from "./io/terminal.ts";

const USAGE = `usage: fleetfed <command> [options]

commands:
  discover [--json]   list the clusters the discovery sources find (writes nothing)
  render [--check]    render manifests/ from the inputs; --check exits 1 when manifests/ is stale
  check               validate inputs, freshness of manifests/, and promtool check config
  plan                discover + render in memory; print what a sync would change
  sync --local        discover, write the snapshot and render manifests/ in the working tree
  sync --dry-run      print the pull request a sync would open (writes nothing)

options:
  --root DIR          repository to work on (default: current directory)
  --config FILE       settings file (default: <root>/fleet.yaml)
  -h, --help          show this help

exit codes: 0 success, 1 failed check or refused change, 2 bad usage or invalid input`;

export interface Io {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  stderrIsTTY: boolean;
}

export async function main(io: Io): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(io.argv);
  } catch (e) {
    io.stderr.write(`fleetfed: ${(e as Error).message}\n\n${USAGE}\n`);
    return EXIT_INVALID;
  }
  const { command, values } = parsed;
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : EXIT_INVALID;
  }
  const ctx: Context = {
    root: resolve(io.cwd, values.root ?? "."),
    ...(values.config !== undefined && { config: values.config }),
    out: (text) => io.stdout.write(text),
    report: createReporter(io.stderr, io.stderrIsTTY),
    env: {
      ci: io.env.CI === "true",
      awsRegion: io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? "us-east-1",
      github: {
        ...(io.env.GITHUB_TOKEN && { token: io.env.GITHUB_TOKEN }),
        ...(io.env.GITHUB_REPOSITORY && { repository: io.env.GITHUB_REPOSITORY }),
        apiUrl: io.env.GITHUB_API_URL ?? "https://api.github.com",
      },
      ...(io.env.GITHUB_OUTPUT && { githubOutput: io.env.GITHUB_OUTPUT }),
      ...(io.env.GITHUB_STEP_SUMMARY && { stepSummary: io.env.GITHUB_STEP_SUMMARY }),
    },
  };
  const allowed: Record<string, readonly string[]> = {
    discover: ["json"],
    render: ["check"],
    check: [],
    plan: [],
    sync: ["dry-run", "local"],
  };
  const flags = allowed[command];
  if (!flags) {
    io.stderr.write(`fleetfed: unknown command "${command}"\n\n${USAGE}\n`);
    return EXIT_INVALID;
  }
  for (const flag of ["json", "check", "dry-run", "local"] as const) {
    if (values[flag] && !flags.includes(flag)) {
      io.stderr.write(`fleetfed: --${flag} does not apply to ${command}\n\n${USAGE}\n`);
      return EXIT_INVALID;
    }
  }
  try {
    switch (command) {
      case "discover":
        return await discoverCommand(ctx, { json: values.json === true });
      case "render":
        return await renderCommand(ctx, { check: values.check === true });
      case "check":
        return await checkCommand(ctx);
      case "plan":
        return await planCommand(ctx);
      default:
        return await syncCommand(ctx, { dryRun: values["dry-run"] === true, local: values.local === true });
    }
  } catch (e) {
    if (!(e instanceof FleetfedError)) throw e;
    for (const p of e.problems) io.stderr.write(`error: ${formatProblem(p)}\n`);
    if (io.env.GITHUB_ACTIONS === "true") {
      for (const p of e.problems) {
        const at = [p.file && `file=${p.file}`, p.line && `line=${p.line}`, p.column && `col=${p.column}`]
          .filter(Boolean)
          .join(",");
        io.stderr.write(`::error ${at}::${escapeAnnotation(formatProblem({ ...p, file: undefined }))}\n`);
      }
      if (io.env.GITHUB_STEP_SUMMARY) {
        appendFileSync(
          io.env.GITHUB_STEP_SUMMARY,
          `### fleetfed ${command} failed\n\n${e.problems.map((p) => `- ${formatProblem(p)}`).join("\n")}\n`,
        );
      }
    }
    return e.exitCode;
  }
}

function parse(argv: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      root: { type: "string" },
      config: { type: "string" },
      json: { type: "boolean" },
      check: { type: "boolean" },
      "dry-run": { type: "boolean" },
      local: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (positionals.length > 1) throw new Error(`unexpected argument "${positionals[1]}"`);
  return { command: positionals[0], values };
}

function escapeAnnotation(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

// Runs only as the program, so tests can import main(); argv[1] may be a symlink such as node_modules/.bin.
if (process.argv[1] && realpathSync(process.argv[1]) === import.meta.filename) {
  process.exitCode = await main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: process.stderr.isTTY === true,
  });
}
