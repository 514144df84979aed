// Where fleetfed's inputs and outputs live in a fleet repository, relative to its root.

export const CLUSTERS_DIR = "clusters";
export const MANIFESTS_DIR = "manifests";
