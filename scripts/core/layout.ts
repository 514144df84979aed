// Where fleetfed's inputs and outputs live in a fleet repository, relative to its root.

export const CLUSTERS_DIR = "clusters";
export const MANIFESTS_DIR = "manifests";

/**
 * Present in manifests/ while a write is under way, removed when it completes: a run that finds it knows
 * the last write was interrupted, so manifests/ is not a record of where clusters were placed.
 */
export const WRITING_MARK = ".fleetfed-writing";
