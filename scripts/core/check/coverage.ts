// Proves the dashboards and alerts can have data: every series selector they query must be federated to
// the top federator by the match[] in force for every cluster (federation.match, or the cluster file's
// own match), unless the top federator produces it itself (its scrape health, like `up`).

import type { Problem } from "../errors.ts";
import type { RenderedFleet } from "../fleet.ts";
import type { Settings } from "../inputs/settings.ts";
import type { Cluster } from "../plan/inventory.ts";
import { alertRules } from "../render/alert-rules.ts";
import { dashboardSpecs } from "../render/dashboards.ts";
import { covers, type Selector, selectorsOf } from "./promql.ts";

/** Series every Prometheus records about its own scrapes: available at the top for its own targets. */
const SCRAPE_SERIES = new Set([
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
]);

/** Grafana's variables replaced by values that keep the query valid PromQL. */
export function concreteQuery(expr: string, values: Record<string, string> = {}): string {
  return expr
    .replaceAll("$__rate_interval", values.__rate_interval ?? "5m")
    .replaceAll("$__interval", values.__interval ?? "1m")
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => values[name] ?? "x");
}

export interface Query {
  /** Where the query lives, for the message: file and panel, variable or alert. */
  where: string;
  expr: string;
}

export function queriesToCover(fleet: RenderedFleet, settings: Settings): Query[] {
  const queries: Query[] = [];
  for (const d of dashboardSpecs(fleet.plan, settings)) {
    for (const row of d.rows) {
      for (const panel of row.panels) {
        for (const t of panel.targets)
          queries.push({ where: `manifests/dashboards/${d.uid}.json: panel "${panel.title}"`, expr: t.expr });
      }
    }
    if (d.clusterVariable)
      queries.push({
        where: `manifests/dashboards/${d.uid}.json: variable "cluster"`,
        expr: d.clusterVariable.query.replace(/^label_values\((.*), \w+\)$/, "$1"),
      });
  }
  for (const r of alertRules(fleet.plan, settings))
    queries.push({
      where: `manifests/federation/${fleet.plan.top}/alerts.yml: alert ${r.alert}`,
      expr: r.expr,
    });
  return queries;
}

/**
 * `matchFiles` maps a cluster id to the file whose `match` it uses, for clusters that override it; the
 * others use federation.match in fleet.yaml.
 */
export function checkCoverage(
  queries: readonly Query[],
  clusters: readonly Cluster[],
  matchFiles: ReadonlyMap<string, string>,
): Problem[] {
  const problems: Problem[] = [];
  const parsedMatch = new Map<string, Selector>();
  const matchSelector = (m: string) => {
    let s = parsedMatch.get(m);
    if (!s) {
      s = selectorsOf(m).selectors[0] ?? { matchers: [], text: m };
      parsedMatch.set(m, s);
    }
    return s;
  };
  for (const q of queries) {
    const { selectors, error } = selectorsOf(concreteQuery(q.expr));
    if (error) {
      problems.push({
        file: q.where,
        message: `query does not parse (${error}): ${q.expr}`,
        hint: "this is a fleetfed bug; please report it",
      });
      continue;
    }
    for (const s of selectors) {
      if (s.metric !== undefined && SCRAPE_SERIES.has(s.metric)) continue;
      const missing = new Map<string, string[]>();
      for (const c of clusters) {
        if (c.match.some((m) => covers(matchSelector(m), s))) continue;
        const source = matchFiles.get(c.id) ?? "fleet.yaml (federation.match)";
        missing.set(source, [...(missing.get(source) ?? []), c.id]);
      }
      for (const [source, ids] of missing) {
        problems.push({
          file: q.where,
          message: `queries ${s.text}, which the match[] in ${source} does not federate (${ids.length === clusters.length ? "every cluster" : ids.join(", ")}), so it shows no data`,
          hint: `add a selector that matches it, e.g. '{__name__=~"${s.metric ?? "…"}"}', to that match list`,
        });
      }
    }
  }
  return problems;
}
