// `fleetfed init`: turns a fresh copy of this repository into a team's own fleet in one command: writes
// fleet.yaml from flags (or answers at a terminal's prompts), removes the bundled example's inputs,
// renders manifests/, and prints the next steps. It refuses to replace a fleet that is not the example.

import { createHash } from "node:crypto";
import { lstatSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import packageJson from "../../package.json" with { type: "json" };
import { EXIT_INVALID, EXIT_REFUSED, FleetfedError, type Problem } from "../core/errors.ts";
import { renderFleet, writingMark } from "../core/fleet.ts";
import {
  DEFAULT_RECORD_PATTERN,
  PLACEHOLDER_REPO_URL,
  parseSettings,
  type Settings,
} from "../core/inputs/settings.ts";
import { commentedFleetYaml } from "../core/inputs/settings-doc.ts";
import { EMPTY_SNAPSHOT, SNAPSHOT_FILE } from "../core/inputs/snapshot.ts";
import { MANIFESTS_DIR, WRITING_MARK } from "../core/layout.ts";
import { RUNBOOK_FILE } from "../core/render/runbook.ts";
import { editYaml, GENERATED_HEADER, parseYaml } from "../core/yaml.ts";
import { isInside, readInput, readTree, writeFileAtomic, writeTree } from "../io/files.ts";
import { fleetFiles, isToolCopy, writeFleetFiles } from "../io/fleet-repository.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";
import EXAMPLE from "./example-fleet.json" with { type: "json" };

export interface InitOptions {
  /** `route53` (the default) or `none`: every cluster comes from clusters/*.yaml, and no command needs AWS. */
  discovery?: string;
  zones?: string;
  recordPattern?: string;
  repoUrl?: string;
  shardSize?: string;
  ruleLabels?: string;
  alertmanager?: string;
  force: boolean;
  /** Ask for what the flags leave out (stdin is a terminal). */
  prompt?: (question: string, fallback: string) => Promise<string>;
}

/**
 * The bundled example, file by file, as the SHA-256 of its exact bytes in each version fleetfed shipped
 * (test/init.test.ts holds the newest to the example). init removes exactly these files when they still
 * hold exactly these bytes: a fleet.yaml that differs in one character is a team's own, and so is every
 * other file.
 */
const EXAMPLE_FILES: Readonly<Record<string, readonly string[]>> = EXAMPLE;
/** The folders the example's files live in, deepest first: removed once the example leaves them empty. */
const EXAMPLE_FOLDERS = [
  ...new Set(
    Object.keys(EXAMPLE_FILES).flatMap((path) => {
      const parts = path.split("/").slice(0, -1);
      return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    }),
  ),
].sort((a, b) => b.split("/").length - a.split("/").length);
const isExampleText = (path: string, text: string) => EXAMPLE_FILES[path]?.includes(sha256(text)) === true;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Each setting init writes, the flag that sets it, and the question that asks for it. */
const ASKED = [
  { field: "discovery.route53.hostedZones", flag: "--zones" },
  { field: "discovery.route53.recordPattern", flag: "--record-pattern" },
  { field: "delivery.repoURL", flag: "--repo-url" },
  { field: "federation.shardSize", flag: "--shard-size" },
  { field: "clusterRules.labels", flag: "--rule-labels" },
  { field: "alerting.alertmanagers", flag: "--alertmanager" },
] as const;

/** Long on purpose: every check before the first write, then the writes, in one readable order. */
export async function initCommand(ctx: Context, opts: InitOptions): Promise<number> {
  // Everything is checked before anything is touched: the root, the settings file, manifests/, and
  // every answer. Only then is fleet.yaml written, the example removed, and manifests/ rendered.
  const root = existingFolder(ctx.root);
  const config = resolve(root, ctx.config ?? "fleet.yaml");
  if (!isInside(root, config) || config === root)
    throw new FleetfedError(
      {
        message: `--config ${ctx.config}: init writes the settings file inside the repository`,
        hint: "name a file under --root, or leave --config out",
      },
      EXIT_INVALID,
    );
  const shownConfig = relative(root, config);
  const existing = readInput(root, config, shownConfig);
  const isExample = existing !== undefined && isExampleText("fleet.yaml", existing);
  if (existing !== undefined && !isExample && !opts.force) {
    throw new FleetfedError(
      {
        file: shownConfig,
        message: "is already a fleet of your own (it is not the bundled example's)",
        hint: "run fleetfed init --force to write a new one; your clusters/ and snapshot are kept either way",
      },
      EXIT_INVALID,
    );
  }
  await refuseForeignManifests(root);
  const example = exampleFilesIn(root);
  // Run from an installed fleetfed, init makes a repository that holds only the fleet: its workflows,
  // Renovate's configuration and a package.json pinning this version (io/fleet-repository.ts).
  const fleetOnly = isToolCopy(root) ? undefined : fleetFiles(root, packageJson.version);

  // A team's own fleet.yaml (init --force) is edited, not replaced: only what a flag or an answer sets
  // changes, and each question offers what the file holds now.
  const own = existing !== undefined && !isExample ? readCommonYamlOf(existing) : undefined;
  const now = (path: readonly string[]) => valueAt(own, path);
  const shownNow = (path: readonly string[], fallback: string) => {
    const v = now(path);
    if (v === undefined) return fallback;
    if (Array.isArray(v)) return v.join(",");
    if (typeof v === "object" && v !== null)
      return Object.entries(v)
        .map(([k, x]) => `${k}=${x}`)
        .join(",");
    return String(v);
  };
  const ask = async (
    value: string | undefined,
    question: string,
    path: readonly string[],
    fallback: string,
  ) =>
    value ??
    (opts.prompt ? await opts.prompt(question, shownNow(path, fallback)) : own ? undefined : fallback);
  if (opts.discovery !== undefined && opts.discovery !== "route53" && opts.discovery !== "none")
    throw new FleetfedError(
      {
        field: "--discovery",
        message: `"${opts.discovery}" is not a discovery source`,
        hint: "write --discovery route53 (find clusters in Route 53) or --discovery none (only clusters/*.yaml)",
      },
      EXIT_INVALID,
    );
  const noDiscovery = opts.discovery === "none";
  if (noDiscovery && (opts.zones !== undefined || opts.recordPattern !== undefined))
    throw new FleetfedError(
      {
        field: opts.zones !== undefined ? "--zones" : "--record-pattern",
        message: "configures Route 53 discovery, which --discovery none turns off",
        hint: "leave it out, or use --discovery route53",
      },
      EXIT_INVALID,
    );
  const route53Answer = (answer: () => Promise<string | undefined>) =>
    noDiscovery ? Promise.resolve(undefined) : answer();
  const answers = {
    noDiscovery,
    zones: await route53Answer(() =>
      ask(
        opts.zones,
        "Route 53 hosted zones (names or ids, comma-separated; empty: every private zone)",
        ["discovery", "route53", "hostedZones"],
        "",
      ),
    ),
    recordPattern: await route53Answer(() =>
      ask(
        opts.recordPattern,
        "Record pattern (a regular expression with a (?<cluster>…) group)",
        ["discovery", "route53", "recordPattern"],
        DEFAULT_RECORD_PATTERN,
      ),
    ),
    repoUrl: await ask(
      opts.repoUrl,
      "Repository URL Argo CD or Flux clones",
      ["delivery", "repoURL"],
      PLACEHOLDER_REPO_URL,
    ),
    shardSize: await ask(
      opts.shardSize,
      "Clusters per leaf federator (shardSize)",
      ["federation", "shardSize"],
      "50",
    ),
    // kube-prometheus-stack's Prometheus loads only the PrometheusRules its ruleSelector selects: by
    // default those labelled release: <its Helm release name>. Without the label the rules are silently
    // not loaded.
    ruleLabels: await ask(
      opts.ruleLabels,
      "Labels the clusters' Prometheus ruleSelector needs on fleetfed's rules (kube-prometheus-stack: release=<release name>; empty: none)",
      ["clusterRules", "labels"],
      "",
    ),
    alertmanager: await ask(
      opts.alertmanager,
      "Alertmanager the top federator sends alerts to (e.g. http://alertmanager-operated.monitoring.svc:9093; empty: none)",
      ["alerting", "alertmanagers"],
      "",
    ),
  };
  const values = settingValues(answers);
  const text =
    own && existing !== undefined
      ? editYaml(
          existing,
          values.filter((v) => v.given && JSON.stringify(v.value) !== JSON.stringify(now(v.path))),
        )
      : fleetYaml(values, fleetOnly ? "./node_modules/fleetfed/scripts/schema" : "./scripts/schema");
  try {
    parseSettings(text, shownConfig);
  } catch (e) {
    throw e instanceof FleetfedError ? new FleetfedError(e.problems.map(asFlagProblem), EXIT_INVALID) : e;
  }

  // fleet.yaml changes all at once, or not at all: the new text is rendered from a candidate file beside
  // it first, and only a fleet that renders replaces it (atomically, by rename).
  const candidate = join(dirname(config), `.${basename(config)}.fleetfed-init`);
  let fleet: ReturnType<typeof renderFleet>;
  let settings: Settings;
  try {
    await writeFileAtomic(candidate, text);
    // The fleet as it stands once the example's files are gone, which happens only after the rename.
    const inputs = await loadInputs(root, candidate);
    settings = inputs.settings;
    fleet = renderFleet(
      inputs.settings,
      example.includes(SNAPSHOT_FILE) ? EMPTY_SNAPSHOT : inputs.snapshot,
      inputs.clusterFiles.filter((f) => !example.includes(f.file)),
    );
    renameSync(candidate, config);
  } finally {
    rmSync(candidate, { force: true });
  }
  for (const path of example) rmSync(join(root, path));
  for (const folder of EXAMPLE_FOLDERS) removeIfEmpty(join(root, folder));
  await writeTree(join(root, MANIFESTS_DIR), fleet.tree, writingMark(fleet.plan));
  if (fleetOnly) await writeFleetFiles(root, fleetOnly);
  if (settings.delivery.repoURL === PLACEHOLDER_REPO_URL)
    ctx.report.warn(
      `delivery.repoURL is the placeholder ${PLACEHOLDER_REPO_URL}: Argo CD and Flux would clone nothing; run init again with --repo-url`,
    );
  if (settings.alerting.alertmanagers.length === 0)
    ctx.report.warn(
      "alerting.alertmanagers is empty: the federation's alerts (a cluster down, its aggregates missing, a leaf down) go nowhere; run init again with --alertmanager",
    );
  if (Object.keys(settings.clusterRules.labels).length === 0)
    ctx.report.warn(
      "clusterRules.labels is empty: kube-prometheus-stack's Prometheus selects rules labelled release: <release name> and would not load fleetfed's; run init again with --rule-labels release=<name> if the clusters run it",
    );
  const zones = settings.discovery.route53?.hostedZones;
  if (zones !== undefined && zones.length === 0)
    ctx.report.warn(
      "discovery.route53.hostedZones is empty: discovery reads every private zone the account has; list yours with --zones",
    );
  const kept = Object.keys(EXAMPLE_FILES).filter(
    (p) => p !== "fleet.yaml" && !example.includes(p) && existsInside(root, p),
  );
  const template = fleetOnly
    ? "node_modules/fleetfed/infra/fleetfed-aws.template.json"
    : "infra/fleetfed-aws.template.json";
  ctx.out(
    [
      `wrote ${shownConfig}${fleetOnly ? `, ${[...fleetOnly.writes.keys()].join(", ")}` : ""}${example.length > 0 ? `; removed the example's ${summarise(example)}` : ""}; rendered ${MANIFESTS_DIR}/ (${fleet.tree.size} files)`,
      ...(kept.length > 0
        ? [`kept ${kept.join(", ")}: changed since the example shipped, so they are yours`]
        : []),
      ...(fleetOnly && fleetOnly.kept.length > 0
        ? [
            `kept your own ${fleetOnly.kept.join(", ")} (fleetfed's are in ${template.split("/infra/")[0]}/templates/)`,
          ]
        : []),
      "",
      "Next steps:",
      ...(fleetOnly
        ? [
            `  - Add one clusters/<id>.yaml per cluster${zones ? " Route 53 does not list" : ""}, run npm install (it writes package-lock.json), and commit everything.`,
          ]
        : []),
      ...(zones
        ? [
            `  - Deploy the AWS side: aws cloudformation deploy --template-file ${template} --stack-name fleetfed --capabilities CAPABILITY_NAMED_IAM --parameter-overrides GitHubRepository=<owner>/<repo> HostedZoneIds=${zoneIds(zones)}`,
            "  - Set the repository variables FLEETFED_AWS_ROLE_ARN (the stack's SyncRoleArn output) and AWS_REGION.",
          ]
        : []),
      "  - Onboard each cluster's Prometheus: fleetfed onboard <cluster> prints its kube-prometheus-stack values.",
      "  - Run the fleetfed sync workflow once (Actions → fleetfed sync → Run workflow) and merge its pull request.",
      "  - Bootstrap Argo CD (kubectl apply -k manifests/argocd) or Flux (kubectl apply -k manifests/flux).",
      "",
    ].join("\n"),
  );
  return 0;
}

/**
 * The HostedZoneIds the AWS template limits the role to: the zones given as ids, and a placeholder for
 * each given by name (the template takes ids only). Left out, the policy would allow every zone.
 */
function zoneIds(zones: readonly string[]): string {
  if (zones.length === 0) return "<zone id>[,<zone id>…]";
  return zones
    .map((z) => (/^(\/hostedzone\/)?Z[A-Z0-9]+$/.test(z) ? z.replace(/^\/hostedzone\//, "") : `<id of ${z}>`))
    .join(",");
}

/** `--root` as an existing folder, or one line saying what it is instead. */
/** A team's own fleet.yaml as data, to offer its values as defaults and to leave unchanged what no flag sets. */
function readCommonYamlOf(text: string): unknown {
  return parseYaml(text, "fleet.yaml").source?.value;
}

function existingFolder(path: string): string {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FleetfedError(
      {
        message: `--root ${path} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`,
        hint: "create the folder (a copy of the fleetfed repository) or pass the right --root",
      },
      EXIT_INVALID,
    );
  }
  if (!isFolder)
    throw new FleetfedError(
      { message: `--root ${path} is a file, not a folder`, hint: "pass the repository's folder" },
      EXIT_INVALID,
    );
  return resolve(path);
}

/** A problem parseSettings found in what init would write, named by the flag (or prompt) that gave it. */
function asFlagProblem(p: Problem): Problem {
  const asked = ASKED.find((a) => p.field === a.field || p.field?.startsWith(`${a.field}.`));
  const { file: _file, line: _line, column: _column, field: _field, ...rest } = p;
  return { ...rest, field: asked ? `${asked.flag} (or its prompt)` : p.field };
}

/**
 * Refuses, before anything is written, a manifests/ holding a file fleetfed did not write (no generated
 * header, not one of its dashboards): rendering makes manifests/ hold exactly fleetfed's files, so such a
 * file would be deleted. Links are refused by readTree.
 */
async function refuseForeignManifests(root: string): Promise<void> {
  const tree = await readTree(join(root, MANIFESTS_DIR));
  for (const [path, content] of tree) {
    if (path === WRITING_MARK || content.startsWith(GENERATED_HEADER)) continue;
    if (path === RUNBOOK_FILE && content.startsWith(`<!-- ${GENERATED_HEADER.slice(2)} -->`)) continue;
    if (/^dashboards\/fleetfed-[a-z0-9-]+\.json$/.test(path)) continue;
    throw new FleetfedError(
      {
        file: `${MANIFESTS_DIR}/${path}`,
        line: 1,
        message: `was not written by fleetfed, and init makes ${MANIFESTS_DIR}/ hold only fleetfed's files`,
        hint: `move it out of ${MANIFESTS_DIR}/ (fleetfed owns that folder), then run init again`,
      },
      EXIT_REFUSED,
    );
  }
}

/** The example's files (other than fleet.yaml) still in the root as regular files with their exact bytes. */
function exampleFilesIn(root: string): string[] {
  return Object.entries(EXAMPLE_FILES)
    .filter(([path]) => {
      if (path === "fleet.yaml") return false;
      try {
        if (!lstatSync(join(root, path)).isFile()) return false;
      } catch {
        return false;
      }
      // Every folder on the way must be a real one, so a linked clusters/ never has a file removed through it.
      for (let dir = dirname(path); dir !== "."; dir = dirname(dir))
        if (lstatSync(join(root, dir)).isSymbolicLink()) return false;
      const text = readInput(root, join(root, path), path);
      return text !== undefined && isExampleText(path, text);
    })
    .map(([path]) => path);
}

function existsInside(root: string, path: string): boolean {
  try {
    lstatSync(join(root, path));
    return true;
  } catch {
    return false;
  }
}

function removeIfEmpty(folder: string): void {
  try {
    if (lstatSync(folder).isDirectory() && readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // Not there, or not ours to remove.
  }
}

/** `clusters/a.yaml, clusters/b.yaml, examples/…` as `clusters/ (2 files), examples/ (…)`. */
function summarise(paths: readonly string[]): string {
  const groups = new Map<string, number>();
  for (const p of paths) {
    const group = p.includes("/") ? `${p.split("/")[0]}/` : p;
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  return [...groups]
    .map(([g, n]) => (g.endsWith("/") ? `${g} (${n} file${n === 1 ? "" : "s"})` : g))
    .join(", ");
}

/** One setting init writes: where it goes, its value, and whether a flag or an answer gave it. */
interface SettingValue {
  path: readonly string[];
  value: unknown;
  given: boolean;
}

/** The answers (undefined: not given) as the settings they set, each checked as init reads it. */
function settingValues(
  a: Pick<
    InitOptions,
    "zones" | "recordPattern" | "repoUrl" | "shardSize" | "ruleLabels" | "alertmanager"
  > & {
    noDiscovery: boolean;
  },
): SettingValue[] {
  const list = (text: string) =>
    text
      .split(",")
      .map((z) => z.trim())
      .filter(Boolean);
  const labels = a.ruleLabels === undefined ? undefined : labelsOf(a.ruleLabels);
  const discovery: SettingValue[] = a.noDiscovery
    ? [{ path: ["discovery", "route53"], value: undefined, given: true }]
    : [
        {
          path: ["discovery", "route53", "hostedZones"],
          value: list(a.zones ?? ""),
          given: a.zones !== undefined,
        },
        {
          path: ["discovery", "route53", "recordPattern"],
          value: a.recordPattern,
          given: a.recordPattern !== undefined,
        },
      ];
  return [
    ...discovery,
    {
      path: ["federation", "shardSize"],
      value: a.shardSize !== undefined && /^\d+$/.test(a.shardSize) ? Number(a.shardSize) : a.shardSize,
      given: a.shardSize !== undefined,
    },
    {
      path: ["clusterRules", "labels"],
      value: labels && Object.keys(labels).length > 0 ? labels : undefined,
      given: a.ruleLabels !== undefined,
    },
    {
      path: ["alerting", "alertmanagers"],
      value: a.alertmanager ? [a.alertmanager] : undefined,
      given: a.alertmanager !== undefined,
    },
    { path: ["delivery", "repoURL"], value: a.repoUrl, given: a.repoUrl !== undefined },
  ];
}

/**
 * `release=kps,team=x` as a mapping. A pair without `=` or a key given twice is an error naming the flag:
 * written as it stands, it would set a label to "" or keep only the last value, and no one would notice.
 */
function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = at < 0 ? pair : pair.slice(0, at).trim();
    if (at < 0)
      throw new FleetfedError(
        {
          field: "--rule-labels",
          message: `"${pair}" has no value`,
          hint: "write each label as key=value, e.g. release=kube-prometheus-stack",
        },
        EXIT_INVALID,
      );
    if (key in out)
      throw new FleetfedError(
        { field: "--rule-labels", message: `"${key}" is given twice`, hint: "give each label once" },
        EXIT_INVALID,
      );
    out[key] = pair.slice(at + 1).trim();
  }
  return out;
}

/**
 * A new fleet.yaml: what init sets written out, and every other setting commented out with its default and
 * what it does (core/inputs/settings-doc.ts, from the schema), so that a team changes a setting where it sees it.
 */
function fleetYaml(values: readonly SettingValue[], schemas: string): string {
  const header = [
    `# yaml-language-server: $schema=${schemas}/fleet.schema.json`,
    "# fleetfed settings, written by fleetfed init. Every setting is listed with its default, commented out:",
    "# uncomment a line to change it (and the lines of the groups above it). Comments you add are kept.",
  ];
  return commentedFleetYaml(
    values.filter((v) => v.value !== undefined),
    header,
  );
}

/** The value at `path` in a parsed YAML mapping, or undefined. */
function valueAt(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const key of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const LEFT_PROMPT: Problem = {
  message: "init stopped at a prompt; nothing was written",
  hint: "run it again, or give every answer as a flag: fleetfed init --zones … --repo-url …",
};

/** Prompts on a terminal, with the default shown and taken on an empty answer. */
export function terminalPrompt(input: NodeJS.ReadableStream, output: NodeJS.WritableStream) {
  return async (question: string, fallback: string): Promise<string> => {
    // terminal mode whenever stdin is a terminal, so that Ctrl-C reaches readline as SIGINT.
    const rl = createInterface({ input, output, terminal: (input as { isTTY?: boolean }).isTTY === true });
    // Ctrl-D ends the input and Ctrl-C interrupts: either way the person left the prompt, which is no bug.
    const left = new Promise<never>((_, reject) => {
      rl.once("close", () => reject(new FleetfedError(LEFT_PROMPT, EXIT_REFUSED)));
      rl.once("SIGINT", () => rl.close());
    });
    try {
      const answer = (await Promise.race([rl.question(`${question} [${fallback}]: `), left])).trim();
      return answer === "" ? fallback : answer;
    } catch (e) {
      throw e instanceof FleetfedError ? e : new FleetfedError(LEFT_PROMPT, EXIT_REFUSED);
    } finally {
      left.catch(() => undefined);
      rl.close();
    }
  };
}
