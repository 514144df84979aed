// `fleetfed check`: validates the inputs, proves manifests/ is a fresh render, validates every Kubernetes
// object against its API schema, and runs promtool on every federator config. Writes nothing; exit 1 when any check fails.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCoverage, queriesToCover } from "../core/check/coverage.ts";
import { objectProblems } from "../core/check/objects.ts";
import { EXIT_REFUSED, FleetfedError, formatProblem, type Problem } from "../core/errors.ts";
import { renderFleet } from "../core/fleet.ts";
import { MANIFESTS_DIR } from "../core/layout.ts";
import { diffTrees } from "../core/review/change.ts";
import { readTree, writeTree } from "../io/files.ts";
import { loadInputs } from "../io/inputs.ts";
import { promtoolCheck, requirePromtool } from "../io/promtool.ts";
import type { Context } from "./context.ts";

/** Kubernetes refuses a ConfigMap over 1 MiB; each federator's files go into one through kustomize. */
const CONFIGMAP_LIMIT = 1024 * 1024;

function oversizedConfigMaps(tree: ReadonlyMap<string, string>): Problem[] {
  const sizes = new Map<string, number>();
  for (const [path, content] of tree) {
    const m = /^federation\/([^/]+)\/(prometheus\.yml|alerts\.yml)$/.exec(path);
    if (m?.[1]) sizes.set(m[1], (sizes.get(m[1]) ?? 0) + Buffer.byteLength(content));
  }
  return [...sizes]
    .filter(([, bytes]) => bytes > CONFIGMAP_LIMIT - 16 * 1024)
    .map(([federator, bytes]) => ({
      file: `${MANIFESTS_DIR}/federation/${federator}/prometheus.yml`,
      message: `${federator}'s ConfigMap would hold ${bytes} bytes; Kubernetes refuses ConfigMaps over 1 MiB`,
      hint: "lower federation.shardSize so each leaf holds fewer clusters",
    }));
}

export async function checkCommand(ctx: Context): Promise<number> {
  const inputs = await ctx.report.step("validating fleet.yaml, clusters/ and the snapshot", () =>
    loadInputs(ctx.root, ctx.config),
  );
  const dir = join(inputs.root, MANIFESTS_DIR);
  const onDisk = await readTree(dir);
  const fleet = renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, onDisk);
  for (const p of [...fleet.inventory.unresolved, ...fleet.plan.warnings]) ctx.report.warn(formatProblem(p));
  const problems: Problem[] = [];

  const files = diffTrees(onDisk, fleet.tree);
  const hint = "manifests/ is generated: run fleetfed render and commit the result";
  for (const p of files.added) problems.push({ file: `${MANIFESTS_DIR}/${p}`, message: "is missing", hint });
  for (const p of files.changed)
    problems.push({ file: `${MANIFESTS_DIR}/${p}`, message: "differs from a fresh render", hint });
  for (const p of files.removed)
    problems.push({ file: `${MANIFESTS_DIR}/${p}`, message: "is not produced by a fresh render", hint });

  // promtool runs in its own processes while this one checks coverage and the Kubernetes objects.
  const promtool = await requirePromtool(ctx.env.ci);
  const paths = [...fleet.tree.keys()].map((p) => `${MANIFESTS_DIR}/${p}`);
  const configs = paths.filter((p) => p.endsWith("/prometheus.yml"));
  const rules = paths.filter((p) => p.endsWith("/alerts.yml") || p.endsWith("/rules.yml"));
  // Run on the committed files when they are fresh, on the rendered ones otherwise: either way the real file.
  const stale = files.added.length + files.changed.length > 0;
  const scratch = promtool && stale ? await mkdtemp(join(tmpdir(), "fleetfed-check-")) : undefined;
  try {
    if (scratch) await writeTree(join(scratch, MANIFESTS_DIR), fleet.tree);
    const cwd = scratch ?? inputs.root;
    const started = performance.now();
    const promtoolRun = promtool
      ? Promise.all([
          promtoolCheck(promtool, "config", cwd, configs),
          promtoolCheck(promtool, "rules", cwd, rules),
        ])
      : undefined;

    const matchFiles = new Map(inputs.clusterFiles.filter((f) => f.match).map((f) => [f.cluster, f.file]));
    const queries = queriesToCover(fleet, inputs.settings);
    const uncovered = checkCoverage(queries, fleet.inventory.clusters, matchFiles);
    ctx.report.info(
      `dashboard and alert queries: ${queries.length}, ${uncovered.length === 0 ? "all federated" : `${uncovered.length} not federated`}`,
    );
    problems.push(...uncovered, ...oversizedConfigMaps(fleet.tree));
    const objects = await objectProblems(fleet.tree);
    ctx.report.info(
      `Kubernetes objects: ${objects.objects}, ${objects.problems.length === 0 ? "all valid for the API" : `${objects.problems.length} invalid`}`,
    );
    problems.push(...objects.problems);

    if (promtoolRun) {
      const [configProblems, ruleProblems] = await promtoolRun;
      ctx.report.info(
        `promtool check config (${configs.length} files) and check rules (${rules.length} files): done in ${Math.round(performance.now() - started)} ms`,
      );
      problems.push(...configProblems, ...ruleProblems);
    } else {
      ctx.report.warn(
        "promtool is not on PATH: skipped promtool check config (install the prometheus package)",
      );
    }
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  if (problems.length > 0) throw new FleetfedError(problems, EXIT_REFUSED);
  ctx.out(
    `ok: ${fleet.inventory.clusters.length} clusters, ${fleet.plan.leaves.length} leaf federator(s)${fleet.plan.global ? " + global" : ""}, ${fleet.tree.size} files fresh${promtool ? `, ${configs.length} configs and ${rules.length} rule files pass promtool` : ""}\n`,
  );
  return 0;
}
