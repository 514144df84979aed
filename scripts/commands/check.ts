// `fleetfed check`: validates the inputs, proves manifests/ is a fresh render, validates every Kubernetes
// object against its API schema, and runs promtool on every federator config. Writes nothing; exit 1
// when any check fails.

import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { checkCoverage, declaredExemptions, queriesToCover } from "../core/check/coverage.ts";
import { alertingWarnings, perPodSelections } from "../core/check/ecosystem.ts";
import { objectProblems } from "../core/check/objects.ts";
import { namesFiles, withPlaceholderFiles } from "../core/check/placeholders.ts";
import { EXIT_REFUSED, FleetfedError, formatProblem, type Problem } from "../core/errors.ts";
import { renderFleet } from "../core/fleet.ts";
import { placeholderProblems } from "../core/inputs/settings.ts";
import { federatorOf, federatorPath, MANIFESTS_DIR, PROMETHEUS_FILE } from "../core/layout.ts";
import { GLOBAL } from "../core/plan/placement.ts";
import { ALERTS_FILE } from "../core/render/alert-rules.ts";
import { collectingObjects } from "../core/render/kubernetes.ts";
import { diffTrees } from "../core/review/change.ts";
import { PROMETHEUS_VERSION, promtoolMismatch } from "../core/versions.ts";
import { readTree, scratchFolder, writeFileAtomic, writeTree } from "../io/files.ts";
import { loadInputs } from "../io/inputs.ts";
import { promtoolCheck, promtoolVersion, requirePromtool } from "../io/promtool.ts";
import type { Context } from "./context.ts";

/** Kubernetes refuses a ConfigMap over 1 MiB; each federator's files go into one through kustomize. */
const CONFIGMAP_LIMIT = 1024 * 1024;

/** Each federator whose ConfigMap (prometheus.yml and, on the global, alerts.yml) would be too big for Kubernetes. */
export function oversizedConfigMaps(tree: ReadonlyMap<string, string>): Problem[] {
  const sizes = new Map<string, number>();
  for (const [path, content] of tree) {
    const f = federatorOf(path);
    if (f && (f.file === PROMETHEUS_FILE || f.file === ALERTS_FILE))
      sizes.set(f.name, (sizes.get(f.name) ?? 0) + Buffer.byteLength(content));
  }
  return [...sizes]
    .filter(([, bytes]) => bytes > CONFIGMAP_LIMIT - 16 * 1024)
    .map(([federator, bytes]) => ({
      file: `${MANIFESTS_DIR}/${federatorPath(federator, PROMETHEUS_FILE)}`,
      message: `${federator}'s ConfigMap would hold ${bytes} bytes; Kubernetes refuses ConfigMaps over 1 MiB`,
      // A leaf's config lists its clusters; the global's lists every leaf, alerts.yml beside it.
      hint:
        federator === GLOBAL
          ? "raise federation.shardSize so the global lists fewer leaves"
          : "lower federation.shardSize so each leaf holds fewer clusters",
    }));
}

/** Long on purpose: the checks in the order their output reads, promtool started first and awaited last. */
export async function checkCommand(ctx: Context): Promise<number> {
  const root = resolve(ctx.root);
  const onDisk = await readTree(join(root, MANIFESTS_DIR));
  const promtool = await requirePromtool(ctx.env.ci);
  // promtool starts on the committed files at once, beside fleetfed's own work. When they prove to be a
  // fresh render (the usual case in CI) its verdict on them is the verdict on the render; when they are
  // stale it is discarded and promtool runs again on the rendered files.
  const abort = new AbortController();
  const started = performance.now();
  // A config naming credential files (the federators' mounted Secrets) is checked on a copy with
  // placeholders in their place, below: the files are not on this machine.
  const early =
    promtool && onDisk.size > 0 && !namesFiles(onDisk)
      ? runPromtool(promtool, root, [...onDisk.keys()], abort.signal)
      : undefined;
  early?.catch(() => {});
  // Which release checks the configs, asked beside the checks rather than after them.
  const version = promtool ? promtoolVersion(promtool) : undefined;
  let scratch: string | undefined;
  try {
    await new Promise(setImmediate);
    const inputs = await ctx.report.step("validating fleet.yaml, clusters/ and the snapshot", () =>
      loadInputs(ctx.root, ctx.config),
    );
    const { result: fleet, objects } = collectingObjects(() =>
      renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, onDisk),
    );
    const overHttp = fleet.inventory.credentialsOverHttp;
    for (const p of [
      ...fleet.inventory.unresolved,
      ...(overHttp.length > 0
        ? [
            {
              field: "allowCredentialsOverHttp",
              message: `credentials go over plain http to ${overHttp.length} cluster(s) (${overHttp.slice(0, 5).join(", ")}${overHttp.length > 5 ? ", …" : ""}): anyone on the path can read them`,
              hint: "scrape them over https and remove allowCredentialsOverHttp",
            },
          ]
        : []),
      ...fleet.plan.warnings,
      ...perPodSelections(inputs.settings, inputs.clusterFiles),
      ...alertingWarnings(inputs.settings),
      ...placeholderProblems(inputs.settings),
      ...(version ? [promtoolMismatch(await version, inputs.settings.federation.image)] : [])
        .filter((p) => p !== undefined)
        .map((p) => ({ file: "fleet.yaml", field: "federation.image", ...p })),
    ])
      ctx.report.warn(formatProblem(p));
    const problems: Problem[] = [];

    const files = diffTrees(onDisk, fleet.tree);
    const hint = "manifests/ is generated: run fleetfed render and commit the result";
    for (const p of files.added)
      problems.push({ file: `${MANIFESTS_DIR}/${p}`, message: "is missing", hint });
    for (const p of files.changed)
      problems.push({ file: `${MANIFESTS_DIR}/${p}`, message: "differs from a fresh render", hint });
    for (const p of files.removed)
      problems.push({ file: `${MANIFESTS_DIR}/${p}`, message: "is not produced by a fresh render", hint });
    const stale = files.added.length + files.changed.length > 0;
    let late: Promise<Problem[]> | undefined;
    // Nothing committed yet counts as stale too: every file is missing.
    if (promtool && (stale || !early)) {
      abort.abort();
      scratch = await scratchFolder("fleetfed-check-");
      const copy = withPlaceholderFiles(fleet.tree, join(scratch, "files"));
      for (const file of copy.files) await writeFileAtomic(file, "placeholder\n", { makeFolder: true });
      await writeTree(join(scratch, MANIFESTS_DIR), copy.tree);
      late = runPromtool(promtool, scratch, [...copy.tree.keys()]);
    }

    const matchFiles = new Map(
      inputs.clusterFiles
        .filter((f) => f.match)
        .map((f) => [f.cluster, { file: f.file, line: f.lineOf("match") }] as const),
    );
    const queries = queriesToCover(fleet, inputs.settings);
    const uncovered = checkCoverage(queries, fleet.inventory.clusters, matchFiles);
    const exemptions = declaredExemptions(
      queries,
      fleet.inventory.clusters,
      new Map(inputs.clusterFiles.map((f) => [f.cluster, f.file])),
    );
    for (const line of exemptions.declared) ctx.report.info(`declared: ${line}`);
    for (const p of exemptions.unknown) ctx.report.warn(formatProblem(p));
    ctx.report.info(
      `dashboard and alert queries: ${queries.length}, ${uncovered.length === 0 ? "all federated" : `${uncovered.length} not federated`}`,
    );
    problems.push(...uncovered, ...oversizedConfigMaps(fleet.tree));
    const invalid = await objectProblems(objects);
    ctx.report.info(
      `Kubernetes objects: ${objects.length}, ${invalid.length === 0 ? "all valid for the API" : `${invalid.length} invalid`}`,
    );
    problems.push(...invalid);

    const configs = [...fleet.tree.keys()].filter(isConfig).length;
    const rules = [...fleet.tree.keys()].filter(isRules).length;
    if (promtool) {
      // The early run also saw files a fresh render no longer has; only the render's files count.
      const found = late
        ? await late
        : ((await early) ?? []).filter((p) => fleet.tree.has(p.file?.slice(MANIFESTS_DIR.length + 1) ?? ""));
      ctx.report.info(
        `promtool check config (${configs} files) and check rules (${rules} files): done in ${Math.round(performance.now() - started)} ms`,
      );
      problems.push(...found);
    } else {
      ctx.report.warn(
        `promtool is not on PATH: skipped promtool check config (install promtool ${PROMETHEUS_VERSION})`,
      );
    }
    if (problems.length > 0) throw new FleetfedError(problems, EXIT_REFUSED);
    ctx.out(
      `ok: ${fleet.inventory.clusters.length} clusters, ${fleet.plan.leaves.length} leaf federator(s)${fleet.plan.global ? " + global" : ""}, ${fleet.tree.size} files fresh${promtool ? `, ${configs} configs and ${rules} rule files pass promtool` : ""}\n`,
    );
    return 0;
  } finally {
    abort.abort();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

const isConfig = (p: string) => federatorOf(p)?.file === PROMETHEUS_FILE;
const isRules = (p: string) => federatorOf(p)?.file === ALERTS_FILE || p.endsWith("/rules.yml");

/** promtool check config and check rules on the federator configs and rule files among `paths` (under manifests/). */
async function runPromtool(
  promtool: string,
  cwd: string,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<Problem[]> {
  const under = (keep: (p: string) => boolean) => paths.filter(keep).map((p) => `${MANIFESTS_DIR}/${p}`);
  const found = await Promise.all([
    promtoolCheck(promtool, { what: "config", cwd, files: under(isConfig), ...(signal && { signal }) }),
    promtoolCheck(promtool, { what: "rules", cwd, files: under(isRules), ...(signal && { signal }) }),
  ]);
  return found.flat();
}
