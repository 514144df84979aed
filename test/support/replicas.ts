// The global's replicas job finds every replica of every federator through DNS (each headless Service
// answers with its pods' addresses). Tests have no cluster DNS: this puts in DNS's place the addresses
// the test runs each federator's replicas at, and changes nothing else in the rendered config.

import { parse } from "yaml";
import { REPLICAS_JOB } from "../../scripts/core/render/prometheus.ts";
import { toYaml } from "../../scripts/core/yaml.ts";

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
