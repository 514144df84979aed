// Where fleetfed's inputs and outputs live in a fleet repository, relative to its root.

export const CLUSTERS_DIR = "clusters";
export const MANIFESTS_DIR = "manifests";

/**
 * Present in manifests/ while a write is under way, removed when it completes: a run that finds it knows
 * the last write was interrupted, so manifests/ is not a record of where clusters were placed.
 */
export const WRITING_MARK = ".fleetfed-writing";

/** The folder under manifests/ that holds every federator, one subfolder each. */
export const FEDERATION_DIR = "federation";

/** The Prometheus configuration file in each federator's folder. */
export const PROMETHEUS_FILE = "prometheus.yml";
/** The plain flavour's Kubernetes objects for one federator (StatefulSet, Services, PDB, policy…). */
export const FEDERATOR_OBJECTS_FILE = "federator.yaml";

/** A federator's file, relative to manifests/: `federation/<name>/<file>`. */
export function federatorPath(name: string, file: string): string {
  return `${FEDERATION_DIR}/${name}/${file}`;
}

/** The federator and file a path under manifests/ names, when it is one federator's file. */
export function federatorOf(path: string): { name: string; file: string } | undefined {
  const parts = path.split("/");
  if (parts.length !== 3 || parts[0] !== FEDERATION_DIR || !parts[1] || !parts[2]) return undefined;
  return { name: parts[1], file: parts[2] };
}
