// The addresses a rendered federator config names inside Kubernetes, put where a test runs its servers,
// changing nothing else: each federator scrapes itself at localhost:9090 (its pod's own address), and the
// global's replicas job finds every replica of every federator through DNS (each headless Service answers
// with its pods' addresses), which tests do not have. And the flags the rendered StatefulSet gives
// Prometheus, so each test's servers run as the pods would.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { FEDERATOR_PORT, federatorPodsService, REPLICAS_JOB } from "../../scripts/core/render/prometheus.ts";
import { toYaml } from "../../scripts/core/yaml.ts";

/**
 * The rendered prometheus container's flags of `federator` (under a rendered manifests/), but the two
 * paths a test gives its own server (--config.file, --storage.tsdb.path).
 */
export async function renderedFlags(manifests: string, federator: string): Promise<string[]> {
  const text = await readFile(join(manifests, "federation", federator, "federator.yaml"), "utf8");
  const sts = parseAllDocuments(text)
    .map((d) => d.toJS())
    .find((o) => o?.kind === "StatefulSet");
  const container = sts?.spec.template.spec.containers.find((c: { name: string }) => c.name === "prometheus");
  if (!container) throw new Error(`${federator}: no prometheus container in its rendered StatefulSet`);
  return (container.args as string[]).filter(
    (a) => !a.startsWith("--config.file=") && !a.startsWith("--storage.tsdb.path="),
  );
}

/** `config` with the federator's self-scrape pointed at `address` (host:port) instead of its pod's own. */
export function scrapingItselfAt(config: string, address: string): string {
  return config.replaceAll(`localhost:${FEDERATOR_PORT}`, address);
}

/**
 * `config` (a rendered global prometheus.yml) with the replicas job's DNS answered by `replicas`
 * (federator → host:port): each address becomes a target carrying the __meta_dns_name its headless
 * Service's answer would, so the rendered job runs as it is (its relabelling names the federator from
 * that name; its limits, timestamps and metric relabelling apply unchanged).
 */
export function withReplicasAt(config: string, replicas: Record<string, readonly string[]>): string {
  const parsed = parse(config) as { scrape_configs: Record<string, unknown>[] };
  const job = parsed.scrape_configs.find((j) => j.job_name === REPLICAS_JOB);
  const dns = job?.dns_sd_configs as { names: string[] }[] | undefined;
  if (!job || !dns) throw new Error(`the rendered config has no ${REPLICAS_JOB} job with dns_sd_configs`);
  const names = new Set(dns.flatMap((d) => d.names));
  delete job.dns_sd_configs;
  job.static_configs = Object.entries(replicas).map(([federator, targets]) => {
    const name = [...names].find((n) => n.startsWith(`${federatorPodsService(federator)}.`));
    if (!name) throw new Error(`the replicas job does not look up ${federator}'s headless Service`);
    return { targets: [...targets], labels: { __meta_dns_name: name } };
  });
  return toYaml(parsed);
}
