// The runbook: what each alert means and what to do, one entry per alert. Rendered into the fleet's
// manifests/RUNBOOK.md, so that it travels with the fleetfed version that rendered the alerts (an upgrade
// re-renders both), and every alert's runbook_url points at its entry there (core/render/alert-rules.ts).
// test/alerts.test.ts holds one entry per alert, no more.

import { GENERATED_HEADER } from "../yaml.ts";

/** The file under manifests/. */
export const RUNBOOK_FILE = "RUNBOOK.md";

/** Alert name → what it means and what to do, in Markdown (one paragraph). */
export const RUNBOOK: Readonly<Record<string, string>> = {
  FleetfedClusterNotSending: `**Means:** (remote-write) a cluster the fleet's inventory lists has sent none of fleetfed's aggregates to the engine for \`remoteWrite.notSendingFor\`. **Do:** on that cluster, check that its Prometheus runs, loads fleetfed's PrometheusRule (\`FleetfedClusterAggregatesMissing\` says the same under federation), and writes: \`prometheus_remote_storage_samples_failed_total\`, \`prometheus_remote_storage_samples_pending\` and its log name a refused write (credentials, tenant, an engine limit) or a network failure. A decommissioned cluster leaves the inventory with its Route 53 record or its cluster file.`,
  FleetfedWatchdog: `**Means:** always firing. **Do:** route it to a dead man's switch; when it stops arriving, the global, its Alertmanager or the path between them is down.`,
  FleetfedClusterFederationDown: `**Means:** a leaf cannot scrape a cluster's \`/federate\` for 10 min. **Do:** check the cluster's Prometheus, its Route 53 record, the network path, TLS and credentials.`,
  FleetfedClusterAggregatesMissing: `**Means:** a cluster is up but sends none of fleetfed's aggregates. **Do:** the PrometheusRule is not selected: check its labels against the ruleSelector (\`clusterRules.labels\`, e.g. \`release: <name>\`).`,
  FleetfedLeafFederatorDown: `**Means:** the global cannot scrape a leaf for 5 min. **Do:** \`kubectl -n monitoring get pods -l app.kubernetes.io/instance=fleetfed-<leaf>\`; every cluster on it is missing from the dashboards.`,
  FleetfedClusterOverLimit: `**Means:** every scrape of one cluster fails because it sends more than its limits allow: more samples than its \`sample_limit\`, or a \`/federate\` body over \`body_size_limit\`. Only that cluster is refused: its leaf and the other clusters on it carry on (the leaf's memory limit holds every cluster at its limit). **Do:** usually the cluster's rules record per-pod or per-container series under an aggregate's name: compare \`curl -G <cluster>/federate --data-urlencode 'match[]=…'\` with the aggregates in \`manifests/cluster-rules/\`, and narrow the selector it is federated with (\`match\` in its cluster file, \`federation.match\` by default). If it really has that many (hundreds of namespaces), raise \`sampleLimit\` in its cluster file; every leaf's memory limit follows the largest limit in the fleet.`,
  FleetfedFederationScrapeNearTimeout: `**Means:** a scrape takes > 80 % of its own timeout for 15 min. **Do:** narrow that cluster's \`match\`, or raise its \`scrapeTimeout\`.`,
  FleetfedFederationSamplesNearLimit: `**Means:** a cluster sends > 80 % of \`sample_limit\` for 15 min. **Do:** above it every scrape of that cluster fails: narrow its \`match\` or raise \`federation.sampleLimit\`.`,
  FleetfedFederatorConfigReloadFailed: `**Means:** a federator replica (\`instance\`) has had no good reload for ten federation scrapes, for twenty more (5 + 10 min at 30 s), while its sibling may have loaded: the two federate different clusters. **Do:** it runs its old config; read that pod's \`config-reloader\` and \`prometheus\` logs, run \`fleetfed check\` on \`main\`.`,
  FleetfedFederatorRuleFailures: `**Means:** rule evaluation failures for 15 min. **Do:** alerts may not fire: read the global's log for the failing group.`,
  FleetfedFederatorReplicasDegraded: `**Means:** a federator has fewer healthy replicas than \`federation.replicas\`, for twenty federation scrapes (10 min at 30 s; the global scrapes every replica through its headless Service). **Do:** \`kubectl -n <namespace> get pods -l app.kubernetes.io/instance=fleetfed-<federator>\` and the pod's events: the federator has no spare, and the Service may send the tier above to the failing replica.`,
  FleetfedFederatorReplicaMissesCluster: `**Means:** one replica of a federator cannot scrape a cluster that its sibling scrapes, for twenty federation scrapes (10 min at 30 s). The cluster is up; this pod's path to it is not. **Do:** open that pod's targets page (\`kubectl -n <namespace> port-forward pod/<pod> 9090\`, then \`/targets\`) for the error; check its node's network, NetworkPolicies and DNS. The sibling keeps the cluster's data, but when the tier above is moved to this replica the cluster's history has a gap.`,
  FleetfedFederatorHeadSeriesNearBudget: `**Means:** > 80 % of the series the federator is sized for, for 30 min. **Do:** raise \`expectedSeriesPerCluster\` (memory follows), narrow \`match[]\`, or lower \`shardSize\`.`,
  FleetfedFederatorMemoryNearLimit: `**Means:** > 80 % of the memory limit for 15 min. **Do:** it will be OOM-killed: raise \`federation.resources\` or \`expectedSeriesPerCluster\`, or lower \`shardSize\`.`,
};

const INTRO = `All alerts are evaluated by the global federator and sent to \`alerting.alertmanagers\`; a firing alert
is re-sent every \`alerting.resendDelay\` (default \`30s\`, \`--rules.alert.resend-delay\`; the \`operator\`
flavour keeps the operator's default of 1 m, as its \`Prometheus\` has no field for it).`;

/** manifests/RUNBOOK.md: one section per alert, its heading the alert's name (GitHub's anchor: lower case). */
export function renderRunbook(alerts: readonly string[]): string {
  const sections = alerts.map(
    (alert) => `#### ${alert}\n\n${RUNBOOK[alert] ?? "**Means:** see the alert's description."}\n`,
  );
  return [
    `<!-- ${GENERATED_HEADER.replace(/^# /, "")} -->`,
    "",
    "# fleetfed runbook: the federation's alerts and what to do",
    "",
    INTRO,
    "",
    ...sections,
  ].join("\n");
}
