#!/usr/bin/env node
// The `fleetfed` CLI: parses the command line against one command table, builds the Context (the only
// place that reads the environment), runs one command, and reports every failure in one place: expected
// ones as one-line problems with their exit code, anything else as one line that says it is a bug.
// Each command's module is imported only when that command runs, so `--help` loads nothing heavy.

import { appendFileSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import packageJson from "../package.json" with { type: "json" };
import type { Context } from "./commands/context.ts";
import { EXIT_INTERNAL, EXIT_INVALID, FleetfedError, formatProblem, type Problem } from "./core/errors.ts";
import { installBundledSdk } from "./io/grafana-sdk-bundle.ts";
import { createReporter } from "./io/terminal.ts";

/** Every flag, by the kind of value it takes: the one list both the parser and the types read. */
const BOOLEAN_FLAGS = ["json", "check", "dry-run", "local", "force", "offline"] as const;
const STRING_FLAGS = [
  "form",
  "from",
  "discovery",
  "zones",
  "record-pattern",
  "repo-url",
  "shard-size",
  "rule-labels",
  "alertmanager",
] as const;
type BooleanFlag = (typeof BOOLEAN_FLAGS)[number];
type StringFlag = (typeof STRING_FLAGS)[number];
type Flag = BooleanFlag | StringFlag;
type Values = Partial<Record<BooleanFlag, boolean>> & Partial<Record<StringFlag, string>>;

interface Command {
  usage: string;
  flags: readonly Flag[];
  /** Flags that cannot go together: the run is refused, not silently one of them. */
  exclusive?: readonly (readonly Flag[])[];
  /** The one argument after the command's name, when it takes one (its name in the usage, e.g. <cluster>). */
  argument?: string;
  run: (ctx: Context, values: Values, io: Io, argument?: string) => Promise<number>;
}

/** Every command: its usage line, the flags it takes, and how it runs. The one list of both. */
const COMMANDS: Record<string, Command> = {
  discover: {
    usage:
      "discover [--json] [--offline]\n" +
      "                      list the clusters the discovery sources find (writes nothing); --offline: the snapshot's",
    flags: ["json", "offline"],
    run: async (ctx, v) =>
      (await import("./commands/discover.ts")).discoverCommand(ctx, {
        json: v.json === true,
        offline: v.offline === true,
      }),
  },
  render: {
    usage: "render [--check]    render manifests/ from the inputs; --check exits 1 when manifests/ is stale",
    flags: ["check"],
    run: async (ctx, v) =>
      (await import("./commands/render.ts")).renderCommand(ctx, { check: v.check === true }),
  },
  check: {
    usage:
      "check               validate inputs, freshness of manifests/, Kubernetes objects, and promtool check config",
    flags: [],
    run: async (ctx) => (await import("./commands/check.ts")).checkCommand(ctx),
  },
  plan: {
    usage:
      "plan [--offline]    discover + render in memory; print what a sync would change. Without AWS\n" +
      "                      credentials (or with --offline) it plans from the snapshot the last sync wrote",
    flags: ["offline"],
    run: async (ctx, v) =>
      (await import("./commands/plan.ts")).planCommand(ctx, { offline: v.offline === true }),
  },
  init: {
    usage:
      "init [--discovery route53|none] [--zones Z1,Z2] [--record-pattern RE] [--repo-url URL]\n" +
      "       [--shard-size N] [--rule-labels release=NAME] [--alertmanager URL] [--force]\n" +
      "                      make this folder a fleet: fleet.yaml, manifests/; from an installed fleetfed also\n" +
      "                      its workflows, renovate.json and package.json (in a copy of fleetfed: remove the example)",
    flags: [
      "discovery",
      "zones",
      "record-pattern",
      "repo-url",
      "shard-size",
      "rule-labels",
      "alertmanager",
      "force",
    ],
    run: async (ctx, v, io) => {
      const { initCommand, terminalPrompt } = await import("./commands/init.ts");
      return initCommand(ctx, {
        ...(v.discovery !== undefined && { discovery: v.discovery }),
        ...(v.zones !== undefined && { zones: v.zones }),
        ...(v["record-pattern"] !== undefined && { recordPattern: v["record-pattern"] }),
        ...(v["repo-url"] !== undefined && { repoUrl: v["repo-url"] }),
        ...(v["shard-size"] !== undefined && { shardSize: v["shard-size"] }),
        ...(v["rule-labels"] !== undefined && { ruleLabels: v["rule-labels"] }),
        ...(v.alertmanager !== undefined && { alertmanager: v.alertmanager }),
        force: v.force === true,
        ...(io.stdin && io.stdinIsTTY && { prompt: terminalPrompt(io.stdin, io.stderr) }),
      });
    },
  },
  sync: {
    usage:
      "sync                discover, render and open, update or close the one pull request (what the\n" +
      "                      sync workflow runs: GITHUB_TOKEN, GITHUB_REPOSITORY and git push access)\n" +
      "  sync --local        discover, write the snapshot and render manifests/ in the working tree\n" +
      "  sync --dry-run      print the pull request a sync would open (writes nothing)",
    flags: ["dry-run", "local"],
    exclusive: [["dry-run", "local"]],
    run: async (ctx, v) =>
      (await import("./commands/sync.ts")).syncCommand(ctx, {
        dryRun: v["dry-run"] === true,
        local: v.local === true,
      }),
  },
  onboard: {
    usage:
      "onboard <cluster> [--form kube-prometheus-stack|prometheus-operator]\n" +
      "                      print what that cluster's Prometheus needs (its values, or its objects) for the fleet\n" +
      "                      to find it under the name discovery expects; a cluster not listed yet too",
    flags: ["form"],
    argument: "<cluster>",
    run: async (ctx, v, _io, cluster) =>
      (await import("./commands/onboard.ts")).onboardCommand(ctx, {
        cluster: cluster as string,
        ...(v.form !== undefined && { form: v.form }),
      }),
  },
  upgrade: {
    usage:
      "upgrade --from VERSION\n" +
      "                      re-render manifests/ with the installed fleetfed and print (Markdown) the changelog\n" +
      "                      since VERSION and what the re-render changes; the fleet's upgrade workflow runs it",
    flags: ["from"],
    run: async (ctx, v) => {
      if (v.from === undefined)
        throw new FleetfedError(
          {
            message: "upgrade needs --from <the version the fleet ran>",
            hint: "e.g. fleetfed upgrade --from 0.1.0",
          },
          EXIT_INVALID,
        );
      return (await import("./commands/upgrade.ts")).upgradeCommand(ctx, { from: v.from, version: VERSION });
    },
  },
};

const VERSION: string = packageJson.version;

const FLAGS: readonly Flag[] = [...BOOLEAN_FLAGS, ...STRING_FLAGS];

const USAGE = `usage: fleetfed <command> [options]

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join("\n")}

options:
  --root DIR          repository to work on (default: current directory)
  --config FILE       settings file (default: <root>/fleet.yaml)
  -h, --help          show this help (fleetfed <command> --help: that command's)
  --version           print fleetfed's version

exit codes: 0 success, 1 failed check or refused change, 2 bad usage or invalid input,
            70 internal error (a fleetfed bug; FLEETFED_DEBUG=1 prints its stack trace)`;

export interface Io {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  stderrIsTTY: boolean;
  /** For commands that ask (init), when stdin is a terminal. */
  stdin?: NodeJS.ReadableStream;
  stdinIsTTY?: boolean;
}

export async function main(io: Io): Promise<number> {
  installBundledSdk();
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(io.argv);
  } catch (e) {
    return usageError(io, parseMessage(e as Error & { code?: string }), commandIn(io.argv));
  }
  const { name, values, args } = parsed;
  if (values.version) {
    io.stdout.write(`fleetfed ${VERSION}\n`);
    return 0;
  }
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (values.help || name === undefined) {
    // `fleetfed render --help`: that command's usage and flags; `fleetfed --help`: everything.
    (values.help ? io.stdout : io.stderr).write(`${command ? commandUsage(command) : USAGE}\n`);
    return values.help ? 0 : EXIT_INVALID;
  }
  if (!command) return usageError(io, `unknown command "${name}"`);
  const stray = FLAGS.find((flag) => values[flag] !== undefined && !command.flags.includes(flag));
  if (stray) return usageError(io, `--${stray} does not apply to ${name}`, name);
  if (command.argument === undefined && args.length > 0)
    return usageError(io, `unexpected argument "${args[0]}"`, name);
  if (command.argument !== undefined && args.length !== 1)
    return usageError(
      io,
      args.length === 0 ? `${name} needs ${command.argument}` : `unexpected argument "${args[1]}"`,
      name,
    );
  const clash = command.exclusive?.find((group) => group.filter((f) => values[f] !== undefined).length > 1);
  if (clash)
    return usageError(io, `${clash.map((f) => `--${f}`).join(" and ")} cannot be used together`, name);
  try {
    return await command.run(context(io, values), values, io, args[0]);
  } catch (e) {
    return reportFailure(io, name, e);
  }
}

function context(io: Io, values: { root?: string; config?: string }): Context {
  return {
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
        ...(/^\d+$/.test(io.env.FLEETFED_GITHUB_WRITE_SPACING_MS ?? "") && {
          writeSpacingMs: Number(io.env.FLEETFED_GITHUB_WRITE_SPACING_MS),
        }),
      },
      ...(io.env.GITHUB_OUTPUT && { githubOutput: io.env.GITHUB_OUTPUT }),
      ...(io.env.GITHUB_STEP_SUMMARY && { stepSummary: io.env.GITHUB_STEP_SUMMARY }),
    },
  };
}

/** A usage mistake in one line, then the usage of the command it concerns (or all of them). */
function usageError(io: Io, message: string, name?: string): number {
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  io.stderr.write(`fleetfed: ${message}\n\n${command ? commandUsage(command) : USAGE}\n`);
  return EXIT_INVALID;
}

/** Node's argument parser's complaint in fleetfed's words. */
function parseMessage(e: Error & { code?: string }): string {
  const option = /'(-{1,2}[^' <]+)/.exec(e.message)?.[1] ?? "";
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option}`;
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
    return /argument missing/.test(e.message) ? `${option} needs a value` : `${option} takes no value`;
  return e.message;
}

/** The first word that is not an option: the command a mistake concerns, when it names one. */
function commandIn(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith("-") && Object.hasOwn(COMMANDS, a));
}

function commandUsage(command: Command): string {
  return `usage: fleetfed ${command.usage}

options:
  --root DIR          repository to work on (default: current directory)
  --config FILE       settings file (default: <root>/fleet.yaml)
  -h, --help          show this help; fleetfed --help lists every command

exit codes: 0 success, 1 failed check or refused change, 2 bad usage or invalid input`;
}

/**
 * The one failure reporter. A FleetfedError is something the user can fix: one line per problem, an
 * Actions annotation and step summary inside Actions. Anything else is a fleetfed bug: one line, exit 70,
 * and the stack trace only when FLEETFED_DEBUG=1 asks for it.
 */
function reportFailure(io: Io, command: string, e: unknown): number {
  if (!(e instanceof FleetfedError)) {
    const message = e instanceof Error ? e.message : String(e);
    io.stderr.write(
      `fleetfed: internal error: ${firstLine(message)} (please report it; FLEETFED_DEBUG=1 shows the stack)\n`,
    );
    if (io.env.FLEETFED_DEBUG === "1" && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return EXIT_INTERNAL;
  }
  for (const p of e.problems) io.stderr.write(`error: ${formatProblem(p)}\n`);
  if (io.env.GITHUB_ACTIONS === "true") {
    for (const p of e.problems) io.stderr.write(`${annotation(p)}\n`);
    if (io.env.GITHUB_STEP_SUMMARY) {
      try {
        appendFileSync(
          io.env.GITHUB_STEP_SUMMARY,
          `### fleetfed ${command} failed\n\n${e.problems.map((p) => `- ${formatProblem(p)}`).join("\n")}\n`,
        );
      } catch (w) {
        io.stderr.write(`warning: could not append to $GITHUB_STEP_SUMMARY: ${(w as Error).message}\n`);
      }
    }
  }
  return e.exitCode;
}

function firstLine(s: string): string {
  const line = s.split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** A workflow command, escaped as the Actions toolkit escapes data and properties. */
export function annotation(p: Problem): string {
  const props = [
    p.file && `file=${escapeProperty(p.file)}`,
    p.line && `line=${p.line}`,
    p.column && `col=${p.column}`,
  ]
    .filter(Boolean)
    .join(",");
  return `::error ${props}::${escapeData(formatProblem({ ...p, file: undefined }))}`;
}

function escapeData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

function parse(argv: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      root: { type: "string" },
      config: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
      ...Object.fromEntries(BOOLEAN_FLAGS.map((f) => [f, { type: "boolean" as const }])),
      ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: "string" as const }])),
    },
  });
  return {
    name: positionals[0],
    args: positionals.slice(1),
    values: values as Values & { root?: string; config?: string; help?: boolean; version?: boolean },
  };
}

/** Runs the CLI on this process's arguments, environment and streams; returns the exit code. */
export function runProgram(): Promise<number> {
  // A reader that stopped reading (`fleetfed plan | head`) is not a failure: stop quietly, as cat does,
  // instead of Node's EPIPE stack trace. Any other stream error is reported as a bug, in one line.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
      process.stderr.write(`fleetfed: internal error: ${e.message} (please report it)\n`);
      process.exit(70);
    });
  return main({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTTY: process.stderr.isTTY === true,
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
  });
}

// Also runs as the program itself (`node scripts/fleetfed.ts`), so tests can import main(); argv[1] may be
// a symlink. The executable, scripts/fleetfed.js, turns on the compile cache first and calls runProgram.
if (process.argv[1] && realpathSync(process.argv[1]) === import.meta.filename) {
  process.exitCode = await runProgram();
}
