// The names of the series every cluster records for fleetfed (recording-rules.ts defines the rules), and
// what is built from the names alone: the default match[], the cluster-level set, the expression for a
// cluster that sends none of them. Names only, so sizing and alerts can use them without the rules.

/** The name of every series the cluster rules record: the one list the match[] default and checks use. */
export const RECORDS = {
  nodeCpu: "cluster:node_cpu_utilisation:ratio",
  nodeMemory: "cluster:node_memory_utilisation:ratio",
  cpuRequests: "cluster:kube_pod_container_resource_requests_cpu:ratio",
  memoryRequests: "cluster:kube_pod_container_resource_requests_memory:ratio",
  nodes: "cluster:kube_node_info:count",
  nodesReady: "cluster:kube_node_ready:sum",
  podsRunning: "cluster:kube_pod_running:sum",
  applications: "cluster:kube_applications:count",
  applicationsPerNode: "cluster:kube_applications_per_node:ratio",
  namespaceApplications: "namespace:kube_applications:count",
  namespaceCpu: "namespace:container_cpu_usage_seconds:sum_rate",
  namespaceMemory: "namespace:container_memory_working_set_bytes:sum",
} as const;

/**
 * The default federation match[]: fleetfed's own aggregates, by exact name (schema/fleet.schema.json's
 * default is this string; test/ecosystem.test.ts holds them equal).
 */
export const FEDERATED_BY_DEFAULT = `{__name__=~"${Object.values(RECORDS).join("|")}"}`;

/** The cluster-level records (one series per cluster): present for every cluster that loads the rules. */
export function clusterLevelRecords(): string[] {
  return Object.values(RECORDS).filter((name) => name.startsWith("cluster:"));
}

/**
 * The cluster targets in `up` that are up but send none of the cluster aggregates: the one expression the
 * FleetfedClusterAggregatesMissing alert and the Fleet overview's status both use. Each aggregate is named
 * on its own, so check proves the match[] federates every one of them.
 */
export function upWithoutAggregates(up: string, clusterLabel: string): string {
  return `${up} == 1 unless on (${clusterLabel}) (${clusterLevelRecords().join(" or ")})`;
}
