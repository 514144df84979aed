// The addresses a rendered federator config names inside Kubernetes, put where a test runs its servers,
// changing nothing else: each federator scrapes itself at localhost:9090 (its pod's own address), and the
// global's replicas job finds every replica of every federator through DNS (each headless Service answers
// with its pods' addresses), which tests do not have.

import { parse } from "yaml";
import { FEDERATOR_PORT, REPLICAS_JOB } from "../../scripts/core/render/prometheus.ts";
import { toYaml } from "../../scripts/core/yaml.ts";

/** `config` with the federator's self-scrape pointed at `address` (host:port) instead of its pod's own. */
export function scrapingItselfAt(config: string, address: string): string {
  return config.replaceAll(`localhost:${FEDERATOR_PORT}`, address);
}

/** `config` (a rendered global prometheus.yml) with the replicas job's DNS answered by `replicas` (federator → host:port). */
export function withReplicasAt(config: string, replicas: Record<string, readonly string[]>): string {
  const parsed = parse(config) as { scrape_configs: Record<string, unknown>[] };
  const job = parsed.scrape_configs.find((j) => j.job_name === REPLICAS_JOB);
  if (!job?.dns_sd_configs)
    throw new Error(`the rendered config has no ${REPLICAS_JOB} job with dns_sd_configs`);
  delete job.dns_sd_configs;
  job.static_configs = Object.entries(replicas).map(([federator, targets]) => ({
    targets: [...targets],
    labels: { federator },
  }));
  return toYaml(parsed);
}
