// What manifests/ as it stands federates: the clusters each leaf's prometheus.yml scrapes, read back from
// the files. This is the "before" of every change: a cluster file added, edited or disabled by hand is a
// change against what is deployed, even when the snapshot did not move. A round-trip test keeps this
// reader in step with render/prometheus.ts.

import { type Duration, parseDuration } from "../duration.ts";
import { fromPrometheusAuth } from "../inputs/endpoint-auth.ts";
import type { Scheme } from "../inputs/settings.ts";
import { federatorPath, PROMETHEUS_FILE } from "../layout.ts";
import { sortedBy } from "../order.ts";
import type { Cluster } from "../plan/inventory.ts";
import { GLOBAL } from "../plan/placement.ts";
import { leafOfConfig } from "../render/manifests.ts";
import { CLUSTER_JOB, type FederateJob } from "../render/prometheus.ts";
import { yamlLibrary } from "../yaml.ts";

interface ScrapeConfig {
  job_name?: string;
  tls_config?: FederateJob["tls_config"];
  basic_auth?: FederateJob["basic_auth"];
  authorization?: FederateJob["authorization"];
  scheme?: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  params?: { "match[]"?: string[] };
  static_configs?: { targets?: string[]; labels?: Record<string, string> }[];
}

interface PrometheusYml {
  global?: { scrape_interval?: string; scrape_timeout?: string };
  scrape_configs?: ScrapeConfig[];
}

export interface PlacedCluster {
  cluster: Cluster;
  leaf: string;
}

export interface FleetCounts {
  clusters: number;
  leaves: number;
  global: boolean;
}

export interface Deployed {
  clusters: Map<string, PlacedCluster>;
  counts: FleetCounts;
}

/** Reads the clusters out of `federation/leaf-*\/prometheus.yml`; files it cannot read count as empty. */
export function deployedFleet(tree: ReadonlyMap<string, string>, clusterLabel: string): Deployed {
  const clusters = new Map<string, PlacedCluster>();
  let leaves = 0;
  let global = false;
  for (const [path, text] of tree) {
    if (path === federatorPath(GLOBAL, PROMETHEUS_FILE)) global = true;
    const leaf = leafOfConfig(path);
    if (!leaf) continue;
    leaves++;
    let config: PrometheusYml | undefined;
    try {
      config = yamlLibrary().parse(text) as PrometheusYml | undefined;
    } catch {
      continue;
    }
    const defaults = config?.global ?? {};
    for (const job of config?.scrape_configs ?? []) {
      if (!job.job_name?.startsWith(CLUSTER_JOB)) continue;
      for (const sc of job.static_configs ?? []) {
        const { [clusterLabel]: id, ...labels } = sc.labels ?? {};
        const endpoint = sc.targets?.[0];
        if (!id || !endpoint) continue;
        const cluster: Cluster = {
          id,
          endpoint,
          scheme: (job.scheme ?? "http") as Scheme,
          labels: sortedBy(Object.entries(labels), ([k]) => k),
          scrapeInterval: duration(job.scrape_interval ?? defaults.scrape_interval),
          scrapeTimeout: duration(job.scrape_timeout ?? defaults.scrape_timeout),
          match: job.params?.["match[]"] ?? [],
          auth: fromPrometheusAuth(job),
          origin: "manual",
        };
        clusters.set(id, { cluster, leaf });
      }
    }
  }
  return { clusters, counts: { clusters: clusters.size, leaves, global } };
}

function duration(text: string | undefined): Duration {
  return parseDuration(text ?? "") ?? { text: text ?? "", ms: Number.NaN };
}
