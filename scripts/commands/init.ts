// `fleetfed init`: turns a fresh copy of this repository into a team's own fleet in one command: writes
// fleet.yaml from flags (or answers at a terminal's prompts), removes the bundled example's inputs,
// renders manifests/, and prints the next steps. It refuses to replace a fleet that is not the example.

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { EXIT_INVALID, FleetfedError } from "../core/errors.ts";
import { renderFleet } from "../core/fleet.ts";
import { parseSettings } from "../core/inputs/settings.ts";
import { SNAPSHOT_FILE } from "../core/inputs/snapshot.ts";
import { CLUSTERS_DIR, MANIFESTS_DIR } from "../core/layout.ts";
import { writeTree } from "../io/files.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";

export interface InitOptions {
  zones?: string;
  recordPattern?: string;
  repoUrl?: string;
  shardSize?: string;
  force: boolean;
  /** Ask for what the flags leave out (stdin is a terminal). */
  prompt?: (question: string, fallback: string) => Promise<string>;
}

/** The bundled example reads its zones from these exports; a fleet that still does is the example. */
const EXAMPLE_MARKER = "exports: examples/route53";

export async function initCommand(ctx: Context, opts: InitOptions): Promise<number> {
  const config = join(ctx.root, "fleet.yaml");
  const existing = existsSync(config) ? readFileSync(config, "utf8") : undefined;
  if (existing !== undefined && !existing.includes(EXAMPLE_MARKER) && !opts.force) {
    throw new FleetfedError(
      {
        file: "fleet.yaml",
        message:
          "is already a fleet of your own; init writes a new one and deletes clusters/ and the snapshot",
        hint: "run fleetfed init --force to start over",
      },
      EXIT_INVALID,
    );
  }
  const ask = async (value: string | undefined, question: string, fallback: string) =>
    value ?? (opts.prompt ? await opts.prompt(question, fallback) : fallback);
  const zones = (
    await ask(
      opts.zones,
      "Route 53 hosted zones (names or ids, comma-separated; empty: every private zone)",
      "",
    )
  )
    .split(",")
    .map((z) => z.trim())
    .filter(Boolean);
  const recordPattern = await ask(
    opts.recordPattern,
    "Record pattern (a regular expression with a (?<cluster>…) group)",
    "^prometheus\\.(?<cluster>[a-z0-9-]+)\\.",
  );
  const repoUrl = await ask(
    opts.repoUrl,
    "Repository URL Argo CD or Flux clones",
    "https://github.com/example/fleet.git",
  );
  const shardSize = await ask(opts.shardSize, "Clusters per leaf federator (shardSize)", "50");

  const text = fleetYaml({ zones, recordPattern, repoUrl, shardSize });
  // Validated before anything is touched: a bad flag changes nothing.
  parseSettings(text, "fleet.yaml");
  writeFileSync(config, text);
  const removed: string[] = [];
  for (const path of [CLUSTERS_DIR, "examples", SNAPSHOT_FILE]) {
    if (!existsSync(join(ctx.root, path))) continue;
    rmSync(join(ctx.root, path), { recursive: true, force: true });
    removed.push(path);
  }
  const inputs = await loadInputs(ctx.root, ctx.config);
  const fleet = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles);
  await writeTree(join(ctx.root, MANIFESTS_DIR), fleet.tree);
  ctx.out(
    [
      `wrote fleet.yaml${removed.length > 0 ? `; removed the example's ${removed.join(", ")}` : ""}; rendered ${MANIFESTS_DIR}/ (${fleet.tree.size} files)`,
      "",
      "Next steps:",
      "  1. Deploy the AWS side: aws cloudformation deploy --template-file infra/fleetfed-aws.template.json --stack-name fleetfed --capabilities CAPABILITY_NAMED_IAM --parameter-overrides GitHubRepository=<owner>/<repo>",
      "  2. Set the repository variables FLEETFED_AWS_ROLE_ARN (the stack's SyncRoleArn output) and AWS_REGION.",
      "  3. Run the fleetfed sync workflow once (Actions → fleetfed sync → Run workflow) and merge its pull request.",
      "  4. Bootstrap Argo CD (kubectl apply -k manifests/argocd) or Flux (kubectl apply -k manifests/flux).",
      "",
    ].join("\n"),
  );
  return 0;
}

function fleetYaml(v: {
  zones: string[];
  recordPattern: string;
  repoUrl: string;
  shardSize: string;
}): string {
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return [
    "# yaml-language-server: $schema=./scripts/schema/fleet.schema.json",
    "# fleetfed settings, written by fleetfed init. Every key is optional; the schema documents each one.",
    "discovery:",
    "  route53:",
    `    hostedZones: [${v.zones.map(quote).join(", ")}]`,
    `    recordPattern: ${quote(v.recordPattern)}`,
    "federation:",
    `  shardSize: ${/^\d+$/.test(v.shardSize) ? v.shardSize : quote(v.shardSize)}`,
    "delivery:",
    `  repoURL: ${quote(v.repoUrl)}`,
    "",
  ].join("\n");
}

/** Prompts on a terminal, with the default shown and taken on an empty answer. */
export function terminalPrompt(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  return async (question: string, fallback: string): Promise<string> => {
    const rl = createInterface({ input, output });
    try {
      const answer = (await rl.question(`${question} [${fallback}]: `)).trim();
      return answer === "" ? fallback : answer;
    } finally {
      rl.close();
    }
  };
}
