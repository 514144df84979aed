// The one adapter around @grafana/grafana-foundation-sdk: fleetfed's dashboards are described as plain
// data (rows of panels with PromQL targets) and built into classic dashboard JSON here, so the rest of
// the code never touches the SDK's builders. The SDK comes from grafana-sdk.ts, which loads it from one
// file when it can.

import { type GrafanaSdk, withGrafanaSdk } from "./grafana-sdk.ts";

export interface Target {
  expr: string;
  legend?: string;
}

export interface PanelSpec {
  /** A table is an instant query, one sortable row per series: per-cluster status at hundreds of clusters. */
  kind: "timeseries" | "stat" | "table";
  title: string;
  description: string;
  targets: readonly Target[];
  unit?: string;
  min?: number;
  max?: number;
  /** A link on every series to another dashboard, e.g. the cluster detail with var-cluster. */
  link?: { title: string; url: string };
  width?: number;
  /** Colour steps: from each value up, this colour (the first step's value is the base, null). */
  thresholds?: readonly { value: number | null; color: string }[];
  /** Values shown as words, e.g. 1 → up (green), 0 → down (red). */
  mappings?: Readonly<Record<string, { text: string; color: string }>>;
  /** Tables: the column to sort by, and whether largest first. */
  sortBy?: { column: string; desc: boolean };
}

/** `up` and the like: 1 reads "up" in green, 0 "down" in red. */
export const UP_MAPPING = {
  "1": { text: "up", color: "green" },
  "0": { text: "down", color: "red" },
} as const;

/** UP_MAPPING, and 2 for a cluster that is up but sends none of fleetfed's aggregates. */
export const STATUS_MAPPING = {
  ...UP_MAPPING,
  "2": { text: "up, no aggregates", color: "orange" },
} as const;

export interface RowSpec {
  title: string;
  panels: readonly PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: readonly string[];
  /** Datasource uid the datasource variable selects by default. */
  datasourceUid: string;
  /** A `cluster` variable listing the values of this label. */
  clusterVariable?: { label: string; query: string };
  /** Multi-value filters on the fleet's own labels (env, region, team…): every value selected by default. */
  filterVariables?: readonly { name: string; query: string }[];
  links: readonly { title: string; url: string }[];
  rows: readonly RowSpec[];
}

/** The name Grafana shows for the fleet's datasource, in the provisioning file and the dashboards' picker. */
export const DATASOURCE_NAME = "Fleet (fleetfed)";

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${datasource} variable, not a JS template
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

function panel(p: PanelSpec, sdk: GrafanaSdk) {
  const { common, dashboard, prometheus } = sdk;
  const builder =
    p.kind === "stat"
      ? new sdk.stat.PanelBuilder()
      : p.kind === "table"
        ? new sdk.table.PanelBuilder()
        : new sdk.timeseries.PanelBuilder();
  builder
    .title(p.title)
    .description(p.description)
    .datasource(DATASOURCE)
    .height(p.kind === "stat" ? 4 : 8)
    .span(p.width ?? (p.kind === "stat" ? 6 : 12));
  if (p.unit) builder.unit(p.unit);
  if (p.min !== undefined) builder.min(p.min);
  if (p.max !== undefined) builder.max(p.max);
  if (p.link) builder.dataLinks([new dashboard.DashboardLinkBuilder(p.link.title).url(p.link.url)]);
  if (p.thresholds)
    builder.thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps(p.thresholds.map((t) => ({ ...t }))),
    );
  if (p.mappings)
    builder.mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: Object.fromEntries(
          Object.entries(p.mappings).map(([value, m], index) => [
            value,
            { text: m.text, color: m.color, index },
          ]),
        ),
      },
    ]);
  if (p.kind === "table" && p.sortBy)
    (builder as InstanceType<GrafanaSdk["table"]["PanelBuilder"]>).sortBy([
      new common.TableSortByFieldStateBuilder().displayName(p.sortBy.column).desc(p.sortBy.desc),
    ]);
  p.targets.forEach((t, i) => {
    const q = new prometheus.DataqueryBuilder().expr(t.expr).refId(String.fromCharCode(65 + i));
    if (t.legend) q.legendFormat(t.legend);
    if (p.kind !== "timeseries") q.instant();
    if (p.kind === "table") q.format(prometheus.PromQueryFormat.Table);
    builder.withTarget(q);
  });
  return builder;
}

/**
 * The dashboard as Grafana's classic JSON model (schemaVersion as the SDK emits it). `sdk` is for the
 * test that builds the same dashboards from the bundled SDK and from the package.
 */
export function buildDashboard(spec: DashboardSpec, sdk?: GrafanaSdk): object {
  return sdk ? build(spec, sdk) : withGrafanaSdk((s) => build(spec, s));
}

function build(spec: DashboardSpec, sdk: GrafanaSdk): object {
  const { dashboard } = sdk;
  const d = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([...spec.tags])
    .editable()
    .refresh("1m")
    .time({ from: "now-6h", to: "now" })
    .timezone("browser")
    // One crosshair across panels: at hundreds of clusters the same moment is compared panel to panel.
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(
      new dashboard.DatasourceVariableBuilder("datasource")
        .label("Data source")
        .type("prometheus")
        .current({ selected: true, text: DATASOURCE_NAME, value: spec.datasourceUid }),
    );
  if (spec.clusterVariable) {
    d.withVariable(
      new dashboard.QueryVariableBuilder("cluster")
        .label("Cluster")
        .query(spec.clusterVariable.query)
        .datasource(DATASOURCE)
        .refresh(2) // on time range change, so new clusters appear
        .sort(1),
    );
  }
  for (const filter of spec.filterVariables ?? []) {
    d.withVariable(
      new dashboard.QueryVariableBuilder(filter.name)
        .label(filter.name)
        .query(filter.query)
        .datasource(DATASOURCE)
        .refresh(2)
        .sort(1)
        .multi(true)
        .includeAll(true)
        // "All" as a regex that also matches a cluster without the label.
        .allValue(".*"),
    );
  }
  // Links keep the time range and every variable (the datasource and the filters among them).
  for (const link of spec.links)
    d.link(
      new dashboard.DashboardLinkBuilder(link.title)
        .type(dashboard.DashboardLinkType.Link)
        .url(link.url)
        .keepTime(true)
        .includeVars(true),
    );
  for (const row of spec.rows) {
    d.withRow(new dashboard.RowBuilder(row.title));
    for (const p of row.panels) d.withPanel(panel(p, sdk));
  }
  return d.build();
}
