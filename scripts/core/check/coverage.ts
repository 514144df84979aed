// Proves the dashboards and alerts can have data: every series selector they query must be federated to
// the top federator by the match[] in force for every cluster (federation.match, or the cluster file's
// own match), unless the top federator produces it itself (its scrape health, like `up`).

import type { Problem } from "../errors.ts";
import type { RenderedFleet } from "../fleet.ts";
import type { Settings } from "../inputs/settings.ts";
import { federatorPath, MANIFESTS_DIR } from "../layout.ts";
import type { Cluster } from "../plan/inventory.ts";
import { covers, type Selector, selectorsOf } from "../promql.ts";
import { ALERTS_FILE, alertRules } from "../render/alert-rules.ts";
import { dashboardSpecs } from "../render/dashboards.ts";
import { REPLICAS_JOB, SELF_JOB } from "../render/prometheus.ts";

/** Series every Prometheus records about its own scrapes: available at the top for its own targets. */
const SCRAPE_SERIES = new Set([
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
  "scrape_timeout_seconds",
  "scrape_sample_limit",
  "scrape_body_size_bytes",
]);

/** Grafana's variables replaced by values that keep the query valid PromQL. */
export function concreteQuery(expr: string, values: Record<string, string> = {}): string {
  return (
    expr
      .replaceAll("$__rate_interval", values.__rate_interval ?? "5m")
      .replaceAll("$__interval", values.__interval ?? "1m")
      // A multi-value filter in a regex matcher: "All" unless a value is given, as Grafana's allValue.
      .replace(/=~"\$\{?(\w+)\}?"/g, (_, name: string) => `=~"${values[name] ?? ".*"}"`)
      .replace(/\$\{?(\w+)\}?/g, (_, name: string) => values[name] ?? "x")
  );
}

export interface Query {
  /** The generated file the query lives in. */
  file: string;
  /** Which part of it: panel, variable or alert. */
  item: string;
  expr: string;
}

export function queriesToCover(fleet: RenderedFleet, settings: Settings): Query[] {
  const queries: Query[] = [];
  for (const d of dashboardSpecs(fleet.plan, settings)) {
    for (const row of d.rows) {
      for (const panel of row.panels) {
        for (const t of panel.targets)
          queries.push({
            file: `manifests/dashboards/${d.uid}.json`,
            item: `panel "${panel.title}"`,
            expr: t.expr,
          });
      }
    }
    if (d.clusterVariable)
      queries.push({
        file: `manifests/dashboards/${d.uid}.json`,
        item: 'variable "cluster"',
        expr: d.clusterVariable.query.replace(/^label_values\((.*), \w+\)$/, "$1"),
      });
  }
  for (const r of alertRules(fleet.plan, settings))
    queries.push({
      file: `${MANIFESTS_DIR}/${federatorPath(fleet.plan.top, ALERTS_FILE)}`,
      item: `alert ${r.alert}`,
      expr: r.expr,
    });
  return queries;
}

/** The panel's title or the alert's name a query belongs to: what a cluster file's notFeeding names. */
export function nameOf(q: Query): string {
  return /^panel "(.*)"$/.exec(q.item)?.[1] ?? /^alert (.*)$/.exec(q.item)?.[1] ?? q.item;
}

/**
 * Every cluster's declared exemptions (notFeeding), each as a line for the PR and check; and a warning for
 * a name that matches no panel or alert (a typo would otherwise exempt nothing, silently).
 */
export function declaredExemptions(
  queries: readonly Query[],
  clusters: readonly Cluster[],
  files: ReadonlyMap<string, string>,
): { declared: string[]; unknown: Problem[] } {
  const names = new Set(queries.map(nameOf));
  const declared: string[] = [];
  const unknown: Problem[] = [];
  for (const c of clusters) {
    if (!c.notFeeding?.length) continue;
    const file = files.get(c.id) ?? `clusters/${c.id}.yaml`;
    declared.push(`${c.id} does not feed ${c.notFeeding.join(", ")} (declared in ${file})`);
    for (const name of c.notFeeding)
      if (!names.has(name))
        unknown.push({
          file,
          field: "notFeeding",
          message: `"${name}" is no panel title or alert name of the rendered dashboards and alerts, so it exempts nothing`,
          hint: "use a panel's title as the dashboard shows it, or an alert's name",
        });
  }
  return { declared, unknown };
}

/** The file (and line) whose `match` a cluster uses, for the clusters whose cluster file sets one. */
export interface MatchSource {
  file: string;
  line?: number;
}

/**
 * `matchFiles` maps a cluster id to the file whose `match` it uses, for clusters that override it; the
 * others use federation.match in fleet.yaml. One problem per match list that leaves queries without
 * data, at that list (the cluster file's `match:` line), naming the panels and alerts it starves, the
 * series they need, and `notFeeding:` as the way to say it is on purpose: a narrowed list is one
 * decision, so it is one error, not one per query.
 * Long on purpose: one pass over queries × match lists, decided once per list (hot at 10,000 clusters).
 */
export function checkCoverage(
  queries: readonly Query[],
  clusters: readonly Cluster[],
  matchFiles: ReadonlyMap<string, MatchSource>,
): Problem[] {
  const problems: Problem[] = [];
  const parsedMatch = new Map<string, Selector | undefined>();
  const matchSelector = (m: string) => {
    if (!parsedMatch.has(m)) {
      const { selectors, error } = selectorsOf(m);
      parsedMatch.set(m, error ? undefined : selectors[0]);
    }
    return parsedMatch.get(m);
  };
  const exempt = new Map(clusters.filter((c) => c.notFeeding).map((c) => [c.id, new Set(c.notFeeding)]));
  // Clusters share a handful of match lists: decide coverage once per list, not once per cluster.
  const groups = new Map<string, { match: readonly string[]; ids: string[] }>();
  for (const c of clusters) {
    const key = JSON.stringify(c.match);
    const group = groups.get(key) ?? { match: c.match, ids: [] };
    group.ids.push(c.id);
    groups.set(key, group);
  }
  /** Per match list (by its file): the clusters, panels and alerts, and series it leaves without data. */
  const starved = new Map<
    string,
    { source: MatchSource | undefined; ids: Set<string>; names: Set<string>; series: Set<string> }
  >();
  for (const q of queries) {
    const { selectors, error } = selectorsOf(concreteQuery(q.expr));
    if (error) {
      problems.push({
        file: q.file,
        field: q.item,
        message: `query does not parse (${error}): ${q.expr}`,
        hint: "this is a fleetfed bug; please report it",
      });
      continue;
    }
    for (const s of selectors) {
      if (s.metric !== undefined && SCRAPE_SERIES.has(s.metric)) continue;
      // The federators' own metrics: each scrapes itself, and the global federates the leaves' (SELF_JOB).
      if (
        s.matchers.some(
          (m) => m.name === "job" && m.op === "=" && (m.value === SELF_JOB || m.value === REPLICAS_JOB),
        )
      )
        continue;
      for (const group of groups.values()) {
        if (
          group.match.some((m) => {
            const by = matchSelector(m);
            return by !== undefined && covers(by, s);
          })
        )
          continue;
        for (const id of group.ids) {
          // Declared in the cluster file: this cluster does not feed this panel or alert, on purpose.
          if (exempt.get(id)?.has(nameOf(q))) continue;
          const source = matchFiles.get(id);
          const key = source?.file ?? "";
          const entry = starved.get(key) ?? { source, ids: new Set(), names: new Set(), series: new Set() };
          entry.ids.add(id);
          entry.names.add(nameOf(q));
          entry.series.add(s.metric ?? s.text);
          starved.set(key, entry);
        }
      }
    }
  }
  for (const { source, ids, names, series } of starved.values()) {
    const list = (xs: Iterable<string>, n: number) => {
      const all = [...xs];
      return `${all.slice(0, n).join(", ")}${all.length > n ? `, … (${all.length} in all)` : ""}`;
    };
    const quoted = [...names].map((n) => JSON.stringify(n));
    const who = ids.size === clusters.length ? "every cluster" : list(ids, 5);
    problems.push({
      file: source?.file ?? "fleet.yaml",
      ...(source?.line !== undefined && { line: source.line }),
      field: source ? "match" : "federation.match",
      message: `does not federate ${list(series, 4)}, so ${names.size} panel(s) and alert(s) show no data for ${who}: ${quoted.join(", ")}`,
      hint: `add a selector for them to this match list, e.g. '{__name__=~"${[...series].slice(0, 3).join("|")}"}'${source ? `, or if this cluster does not feed them on purpose, say so: notFeeding: [${quoted.join(", ")}]` : ""}`,
    });
  }
  return problems;
}
