// FleetChange → the pull request: title, body and labels. Pure, so what a reviewer reads is
// snapshot-tested. The body leads with what needs a human (warnings, removals), then what changes and
// where, then how to stop the bot; hidden metadata at the end lets the next run tell whether anything
// it would write differs from what is there.

import { createHash } from "node:crypto";
import { SNAPSHOT_FILE } from "../inputs/snapshot.ts";
import { PROMETHEUS_FILE } from "../layout.ts";
import type { FederationTree } from "../plan/placement.ts";
import { ONBOARDING_DIR } from "../render/onboarding.ts";
import { exceedsMaxRemovals, type FleetChange, type PlacedCluster } from "./change.ts";
import { describeRollout } from "./rollout.ts";

/** GitHub rejects bodies over 65,536 characters; stay clear of it with room for the metadata. */
export const BODY_LIMIT = 65_536;
export const STOP_LABEL = "fleetfed:stop";
export const NEEDS_REVIEW_LABEL = "fleetfed:needs-review";
const MERMAID_MAX_CLUSTERS = 30;
const META_PREFIX = "<!-- fleetfed:meta ";

export interface PullRequestInput {
  change: FleetChange;
  plan: FederationTree;
  snapshotChanged: boolean;
  labels: readonly string[];
  maxRemovals: number;
  branch: string;
}

export interface PullRequestContent {
  title: string;
  body: string;
  labels: string[];
  draft: boolean;
  /** Digest of title, body and labels: the PR is only edited when it differs from the one recorded in the body. */
  hash: string;
}

export function renderPullRequest(input: PullRequestInput): PullRequestContent {
  const { change } = input;
  const needsReview = exceedsMaxRemovals(change.removed.length, input.maxRemovals);
  const labels = [...new Set([...input.labels, ...(needsReview ? [NEEDS_REVIEW_LABEL] : [])])].sort();
  const title = pullRequestTitle(change);
  let content = "";
  for (const rows of [Number.POSITIVE_INFINITY, 500, 100, 20]) {
    content = bodyContent(input, needsReview, rows);
    if (content.length < BODY_LIMIT - 2_000) break;
  }
  const hash = createHash("sha256")
    .update(JSON.stringify({ title, content, labels, draft: needsReview }))
    .digest("hex")
    .slice(0, 16);
  const body = `${content}\n${META_PREFIX}${JSON.stringify({ hash, version: 1 })} -->\n`;
  return { title, body, labels, draft: needsReview, hash };
}

/** The hash a previous run recorded in a body, if any. */
export function recordedHash(body: string | null | undefined): string | undefined {
  const at = body?.lastIndexOf(META_PREFIX) ?? -1;
  if (!body || at < 0) return undefined;
  try {
    return (JSON.parse(body.slice(at + META_PREFIX.length, body.indexOf(" -->", at))) as { hash?: string })
      .hash;
  } catch {
    return undefined;
  }
}

export function pullRequestTitle(change: FleetChange): string {
  const parts = [
    change.added.length > 0 ? `add ${plural(change.added.length, "cluster")}` : "",
    change.removed.length > 0 ? `remove ${plural(change.removed.length, "cluster")}` : "",
    change.changed.length > 0 ? `change ${plural(change.changed.length, "cluster")}` : "",
  ].filter(Boolean);
  return `fleetfed: ${parts.length > 0 ? parts.join(", ") : "refresh generated manifests"}`;
}

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

function shape(c: FleetChange["before"]): string {
  return `${plural(c.clusters, "cluster")} on ${plural(c.leaves, "leaf", "leaves")}${c.global ? " + global" : ""}`;
}

/** Table cells come from DNS and people's files: keep them from breaking the table or injecting markup. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("<", "&lt;").replaceAll("\n", " ");
}

function code(text: string): string {
  return `\`${text.replaceAll("`", "'")}\``;
}

/**
 * A cluster's labels come from people's files: each is shown as code, so a value holding markdown (an
 * image, a link, an @mention of a team) reaches the reviewer as text, never live. In a table cell a code
 * span still needs `|` escaped and no line break.
 */
function labelsOf(p: PlacedCluster): string {
  const inert = p.cluster.labels.map(([k, v]) =>
    code(`${k}=${v}`).replaceAll("|", "\\|").replaceAll("\n", " "),
  );
  return inert.join(", ") || "—";
}

/** Long on purpose: the body's sections in the order a reviewer reads them. */
function bodyContent(input: PullRequestInput, needsReview: boolean, maxRows: number): string {
  const { change } = input;
  const out: string[] = [];
  const summary = [
    change.added.length > 0 ? `**${change.added.length}** added` : "",
    change.removed.length > 0 ? `**${change.removed.length}** removed` : "",
    change.changed.length > 0 ? `**${change.changed.length}** changed` : "",
  ].filter(Boolean);
  out.push(
    `${summary.length > 0 ? `Clusters: ${summary.join(", ")}.` : "No cluster changes; generated files differ."} Fleet: ${shape(change.before)} → ${shape(change.after)}.`,
    "",
  );
  if (needsReview) {
    out.push(
      "> [!CAUTION]",
      `> This run removes **${change.removed.length}** clusters, more than \`safety.maxRemovals\` (${input.maxRemovals}). It is a draft so that a person checks the removals below before anything stops being monitored. If they are wrong, close this PR and check discovery (zones, permissions, \`recordPattern\`).`,
      "",
    );
  }
  for (const w of change.warnings) out.push("> [!WARNING]", `> ${w}`, "");

  let truncated = 0;
  const table = (title: string, header: string, rows: string[]) => {
    if (rows.length === 0) return;
    out.push(`### ${title} (${rows.length})`, "", header, header.replace(/[^|]+/g, "---"));
    out.push(...rows.slice(0, maxRows));
    if (rows.length > maxRows) {
      truncated += rows.length - maxRows;
      out.push("", `… and ${rows.length - maxRows} more, not shown (see the diff of \`${SNAPSHOT_FILE}\`).`);
    }
    out.push("");
  };
  const placedRows = (rows: PlacedCluster[]) =>
    rows.map((r) => `| ${code(r.cluster.id)} | ${code(r.cluster.endpoint)} | ${r.leaf} | ${labelsOf(r)} |`);
  table("Removed", "| cluster | endpoint | leaf | labels |", placedRows(change.removed));
  table("Added", "| cluster | endpoint | leaf | labels |", placedRows(change.added));
  table(
    "Changed",
    "| cluster | what changed | leaf |",
    change.changed.map(
      (c) =>
        `| ${code(c.id)} | ${c.fields.map((f) => describeField(f, c.before, c.after)).join("; ")} | ${c.before.leaf === c.after.leaf ? c.after.leaf : `${c.before.leaf} → ${c.after.leaf}`} |`,
    ),
  );

  if (change.leavesAffected.length > 0) {
    out.push(
      `**Federators affected:** ${change.leavesAffected.join(", ")} (of ${change.after.leaves + (change.after.global ? 1 : 0)}).`,
      "",
    );
  }
  out.push(
    "| | before | after |",
    "|---|---|---|",
    `| clusters | ${change.before.clusters} | ${change.after.clusters} |`,
    `| leaf federators | ${change.before.leaves} | ${change.after.leaves} |`,
    `| global federator | ${change.before.global ? "yes" : "no"} | ${change.after.global ? "yes" : "no"} |`,
    "",
  );

  out.push(...topology(input), "");
  out.push(...rolloutSection(input.change));
  out.push(...notFeedingSection(input.plan));
  out.push(...filesSection(input));
  if (truncated > 0)
    out.push(
      `> [!NOTE]\n> ${truncated} table rows were left out to keep this description under GitHub's 65,536-character limit.`,
      "",
    );
  out.push(
    "<details><summary>How to stop or re-run fleetfed</summary>",
    "",
    `- **Pause this PR:** add the label \`${STOP_LABEL}\`; fleetfed leaves it alone until the label is removed.`,
    `- **Take over:** push a commit to \`${input.branch}\`; fleetfed stops force-pushing it, never deletes it, and says so once.`,
    "- **Discard:** close the PR; fleetfed will not reopen it for the same change.",
    "- **Re-run now:** run the *fleetfed sync* workflow (Actions → fleetfed sync → Run workflow).",
    "- **Change what is federated:** edit `clusters/<cluster>.yaml` in an ordinary PR; never edit `manifests/` by hand.",
    "",
    "</details>",
    "",
    "---",
    "_Generated by `fleetfed sync` from Route 53 and `clusters/`. Merging applies it through Argo CD or Flux._",
  );
  return out.join("\n");
}

/** What merging does to the running federators: restarts, manual steps, series per tier. */
function rolloutSection(change: FleetChange): string[] {
  const r = describeRollout(change.rollout);
  if (r.restarts.length + r.manual.length + r.series.length + (r.engine?.length ?? 0) === 0) return [];
  return [
    "### Rollout",
    "",
    ...(r.manual.length > 0 ? ["> [!CAUTION]", ...r.manual.map((m) => `> ${m}.`), ""] : []),
    ...(r.full.length > 0 ? ["> [!WARNING]", ...r.full.map((m) => `> ${m}.`), ""] : []),
    r.restarts.length > 0
      ? "Pods that restart:"
      : "No pod restarts: every federator reloads its configuration in place.",
    ...r.restarts.map((x) => `- ${x}`),
    ...(r.series.length > 0
      ? ["", "Federated series, from the model that sizes the federators:", ...r.series.map((x) => `- ${x}`)]
      : []),
    ...(r.engine ? ["", "Remote-write, at the engine:", ...r.engine.map((x) => `- ${x}`)] : []),
    "",
  ];
}

/**
 * Every cluster that declares panels or alerts it does not feed (notFeeding in its file): a reviewer sees
 * each coverage gap that check lets through, in every pull request, never silently.
 */
function notFeedingSection(plan: FederationTree): string[] {
  const rows = plan.leaves
    .flatMap((leaf) => leaf.clusters)
    .filter((c) => c.notFeeding?.length)
    .map((c) => `- \`${c.id}\`: ${(c.notFeeding ?? []).map(code).join(", ")}`)
    .sort();
  if (rows.length === 0) return [];
  return [
    `### Declared not to feed (${rows.length})`,
    "",
    "These clusters' files say they do not feed these panels or alerts (`notFeeding`), so they show no data there:",
    "",
    ...rows,
    "",
  ];
}

function describeField(field: string, before: PlacedCluster, after: PlacedCluster): string {
  const a = before.cluster;
  const b = after.cluster;
  switch (field) {
    case "endpoint":
      return `endpoint ${code(a.endpoint)} → ${code(b.endpoint)}`;
    case "labels":
      return `labels ${labelsOf(before)} → ${labelsOf(after)}`;
    case "scrapeInterval":
      return `interval ${a.scrapeInterval.text} → ${b.scrapeInterval.text}`;
    case "scrapeTimeout":
      return `timeout ${a.scrapeTimeout.text} → ${b.scrapeTimeout.text}`;
    case "scheme":
      return `scheme ${a.scheme} → ${b.scheme}`;
    case "match":
      return `match ${cell(a.match.join(" "))} → ${cell(b.match.join(" "))}`;
    case "leaf":
      return `moved ${before.leaf} → ${after.leaf}`;
    case "auth": {
      // Which of tls, basicAuth, authorization are set, and the files they read: never a credential.
      const kinds = (c: typeof a) => Object.keys(c.auth).join("+") || "none";
      return `auth ${kinds(a)} → ${kinds(b)}`;
    }
    default:
      return field;
  }
}

function topology(input: PullRequestInput): string[] {
  const { plan, change } = input;
  const added = new Set(change.added.map((p) => p.cluster.id));
  const changed = new Set(change.changed.map((c) => c.id));
  const total = plan.leaves.reduce((n, l) => n + l.clusters.length, 0);
  const lines = ["### Topology", "", "```mermaid", "graph TD"];
  const node = (name: string) => name.replaceAll("-", "_");
  if (plan.global) lines.push("  global[global federator]");
  for (const leaf of plan.leaves) {
    const id = node(leaf.name);
    const mark = change.leavesAffected.includes(leaf.name) ? ":::touched" : "";
    lines.push(`  ${id}[${leaf.name}: ${plural(leaf.clusters.length, "cluster")}]${mark}`);
    if (plan.global) lines.push(`  global --> ${id}`);
    if (total > MERMAID_MAX_CLUSTERS) continue;
    for (const c of leaf.clusters) {
      const cls = added.has(c.id) ? ":::added" : changed.has(c.id) ? ":::changed" : "";
      lines.push(`  ${id} --> c_${node(c.id)}(${c.id})${cls}`);
    }
  }
  lines.push(
    "  classDef added fill:#d3f9d8,stroke:#2b8a3e",
    "  classDef changed fill:#fff3bf,stroke:#e67700",
    "  classDef touched stroke:#1971c2,stroke-width:3px",
    "```",
  );
  if (total > MERMAID_MAX_CLUSTERS) lines.push("", `_${total} clusters: the diagram shows federators only._`);
  if (change.removed.length > 0 && total <= MERMAID_MAX_CLUSTERS)
    lines.push("", `_Removed clusters are not drawn; see the table above._`);
  return lines;
}

function filesSection(input: PullRequestInput): string[] {
  const f = input.change.files;
  const all = [
    ...f.added.map((p) => [p, "added"] as const),
    ...f.changed.map((p) => [p, "changed"] as const),
    ...f.removed.map((p) => [p, "removed"] as const),
  ];
  const kind = (p: string) =>
    p.startsWith(`${ONBOARDING_DIR}/`)
      ? "Cluster onboarding (each cluster's values for its own Prometheus; fleetfed onboard prints them)"
      : p.endsWith(`/${PROMETHEUS_FILE}`)
        ? `Federator configs (\`${PROMETHEUS_FILE}\`)`
        : p.endsWith("kustomization.yaml")
          ? "Kustomize"
          : "Kubernetes objects";
  const groups = new Map<string, string[]>();
  for (const [p, how] of all.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const k = kind(p);
    groups.set(k, [...(groups.get(k) ?? []), `- ${how}: \`manifests/${p}\``]);
  }
  const out = [`### Files (${all.length + (input.snapshotChanged ? 1 : 0)})`, ""];
  if (input.snapshotChanged)
    out.push(`- changed: \`${SNAPSHOT_FILE}\` (discovery snapshot and leaf placement)`, "");
  for (const [k, lines] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`<details><summary>${k}: ${lines.length}</summary>`, "", ...lines.slice(0, 200));
    if (lines.length > 200) out.push(`- … ${lines.length - 200} more`);
    out.push("", "</details>", "");
  }
  return out;
}
