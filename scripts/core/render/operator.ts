// The prometheus-operator flavour: each federator is a `Prometheus` that selects its jobs as
// `ScrapeConfig` objects. Both are built from the same FederatorConfig as the federator's prometheus.yml
// (still rendered: promtool checks it and the end-to-end test runs it), and a test proves they agree.

import type { IPrometheus } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus";
import type { IScrapeConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/ScrapeConfig";
import { secretOf } from "../inputs/endpoint-auth.ts";
import type { Settings } from "../inputs/settings.ts";
import type { FederationTree } from "../plan/placement.ts";
import { alertsPrometheusRule } from "./alert-rules.ts";
import {
  dataClaimSpec,
  disruptionBudgetObject,
  federatorServiceObject,
  KEEP_VOLUME,
  kindOf,
  multiDocument,
  networkPolicyObject,
  POD_SECURITY_CONTEXT,
  SYNC_WAVE,
  serviceMonitorObject,
  spreadAcrossNodes,
  tierLabels,
  VOLUME_RETENTION,
  WAVES,
} from "./kubernetes.ts";
import {
  alertmanagerPort,
  type FederateJob,
  type FederatorConfig,
  federatorService,
  type SelfJob,
} from "./prometheus.ts";
import { federatorSize, retentionSize, storageOf } from "./sizing.ts";

const Prometheus = kindOf<IPrometheus>("monitoring.coreos.com/v1", "Prometheus");
const ScrapeConfig = kindOf<IScrapeConfig>("monitoring.coreos.com/v1alpha1", "ScrapeConfig");

/** Label that ties a ScrapeConfig to the Prometheus that loads it. */
export const FEDERATOR_SELECTOR_LABEL = "fleetfed.io/federator";

export function scrapeConfigName(federator: string, jobName: string): string {
  return `${federatorService(federator)}-${jobName}`;
}

/** Long on purpose: the Prometheus object as one literal, field for field with the plain flavour. */
export function renderOperatorObjects(
  { name, tier, config }: { name: string; tier: "leaf" | "global"; config: FederatorConfig },
  plan: FederationTree,
  settings: Settings,
): string {
  const selector = { [FEDERATOR_SELECTOR_LABEL]: name };
  const alerts = config.rule_files?.length
    ? [alertsPrometheusRule(`${federatorService(name)}-alerts`, selector, plan, settings)]
    : [];
  const f = settings.federation;
  const service = federatorService(name);
  const labels = tierLabels(tier);
  const size = federatorSize(tier, plan, settings);
  const prometheus = Prometheus({
    metadata: { name: service, labels, annotations: { [SYNC_WAVE]: WAVES.federator } },
    spec: {
      replicas: f.replicas,
      image: f.image,
      // The pods carry fleetfed's labels too, so no NetworkPolicy peer for other Prometheus servers admits them.
      podMetadata: { labels: { ...labels } },
      // SIGHUP from the config-reloader instead of a POST to /-/reload (prometheus-operator's ProcessSignal).
      reloadStrategy: "ProcessSignal",
      // History survives the Prometheus object's deletion and a scale-down, as in the plain flavour.
      persistentVolumeClaimRetentionPolicy: { ...VOLUME_RETENTION },
      resources: {
        requests: { cpu: size.cpuRequest, memory: size.memoryRequest },
        limits: { memory: size.memoryLimit },
      },
      retentionSize: retentionSize(settings, tier),
      affinity: spreadAcrossNodes({ prometheus: service }),
      ...(Object.keys(f.nodeSelector).length > 0 && { nodeSelector: { ...f.nodeSelector } }),
      ...(f.tolerations.length > 0 && { tolerations: f.tolerations.map((t) => ({ ...t })) }),
      ...(f.priorityClassName && { priorityClassName: f.priorityClassName }),
      ...(config.alerting && { alerting: { alertmanagers: operatorAlertmanagers(settings) } }),
      externalLabels: config.global.external_labels,
      // The operator adds prometheus= and prometheus_replica= external labels by default; federation
      // series must carry exactly the federator label, as in prometheus.yml.
      prometheusExternalLabelName: "",
      replicaExternalLabelName: "",
      scrapeInterval: config.global.scrape_interval,
      scrapeTimeout: config.global.scrape_timeout,
      evaluationInterval: config.global.evaluation_interval,
      retention: storageOf(tier, settings).retention,
      enableFeatures: ["extra-scrape-metrics"],
      scrapeConfigSelector: { matchLabels: selector },
      ...(alerts.length > 0 && { ruleSelector: { matchLabels: selector } }),
      securityContext: POD_SECURITY_CONTEXT,
      storage: {
        // The model's schema requires these two; the operator reads only metadata and spec from the template.
        volumeClaimTemplate: {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "EmbeddedPersistentVolumeClaim",
          metadata: { annotations: { ...KEEP_VOLUME } },
          spec: dataClaimSpec(settings, tier),
        },
      },
    },
  });
  // The replicas job is the plain flavour's alone (see globalConfig).
  const jobs = config.scrape_configs.filter(
    (job): job is FederateJob | SelfJob => !("dns_sd_configs" in job),
  );
  const scrapeConfigs = jobs.map((job) =>
    ScrapeConfig({
      metadata: {
        name: scrapeConfigName(name, job.job_name),
        labels: { ...labels, [FEDERATOR_SELECTOR_LABEL]: name },
        annotations: { [SYNC_WAVE]: WAVES.config },
      },
      spec: isFederateJob(job)
        ? {
            jobName: job.job_name,
            honorLabels: job.honor_labels,
            honorTimestamps: job.honor_timestamps,
            metricsPath: job.metrics_path,
            scheme: job.scheme.toUpperCase() as "HTTP" | "HTTPS",
            params: job.params,
            scrapeInterval: job.scrape_interval,
            scrapeTimeout: job.scrape_timeout,
            ...(job.sample_limit !== undefined && { sampleLimit: job.sample_limit }),
            bodySizeLimit: job.body_size_limit,
            staticConfigs: job.static_configs,
            ...operatorAuth(job),
            ...(job.metric_relabel_configs && {
              metricRelabelings: job.metric_relabel_configs.map((r) => ({
                ...(r.source_labels && { sourceLabels: r.source_labels }),
                ...(r.regex !== undefined && { regex: r.regex }),
                ...(r.target_label && { targetLabel: r.target_label }),
                ...(r.replacement !== undefined && { replacement: r.replacement }),
                ...(r.action && { action: r.action }),
              })),
            }),
          }
        : { jobName: job.job_name, staticConfigs: job.static_configs },
    }),
  );
  return multiDocument([
    federatorServiceObject(name, tier),
    prometheus,
    ...(f.replicas > 1 ? [disruptionBudgetObject(name, tier, { prometheus: service })] : []),
    ...scrapeConfigs,
    ...alerts,
    // The operator labels its pods app.kubernetes.io/instance=<this name> and name=prometheus too, so the
    // plain flavour's policy selects them; its reloader listens on 8080 as well.
    ...(f.networkPolicy.enabled ? [networkPolicyObject(name, tier, plan, settings)] : []),
    // The monitoring cluster's Prometheus scrapes each replica behind that Service on its own: in this
    // flavour, that is where a dead or failing replica shows (the global has no replicas job here).
    ...(f.serviceMonitor.enabled ? [serviceMonitorObject(name, tier, settings)] : []),
  ]);
}

/** alerting.alertmanagers as the operator's endpoints: each URL must name a Service (<name>.<namespace>.svc). */
function operatorAlertmanagers(settings: Settings) {
  return settings.alerting.alertmanagers.map((raw) => {
    const url = new URL(raw);
    const [name, namespace] = url.hostname.split(".");
    return {
      name: name as string,
      namespace: namespace ?? settings.federation.namespace,
      port: String(alertmanagerPort(url)),
      scheme: url.protocol.replace(":", "") as "http" | "https",
      ...(url.pathname !== "/" && { pathPrefix: url.pathname }),
      apiVersion: "v2" as const,
    };
  });
}

function isFederateJob(job: FederateJob | SelfJob): job is FederateJob {
  return "metrics_path" in job;
}

/**
 * The ScrapeConfig CRD reads credentials from Secrets, not files: each file under SECRETS_DIR becomes
 * the Secret and key it is mounted from (inputs are checked to name only such files in this flavour).
 */
function operatorAuth(job: FederateJob): Record<string, unknown> {
  const ref = (path: string | undefined) => {
    const s = path === undefined ? undefined : secretOf(path);
    return s && { name: s.name, key: s.key };
  };
  const t = job.tls_config;
  const b = job.basic_auth;
  const a = job.authorization;
  return {
    ...(t && {
      tlsConfig: {
        ...(t.ca_file && { ca: { secret: ref(t.ca_file) } }),
        ...(t.cert_file && { cert: { secret: ref(t.cert_file) } }),
        ...(t.key_file && { keySecret: ref(t.key_file) }),
        ...(t.server_name && { serverName: t.server_name }),
        ...(t.insecure_skip_verify !== undefined && { insecureSkipVerify: t.insecure_skip_verify }),
      },
    }),
    ...(b && { basicAuth: { username: ref(b.username_file), password: ref(b.password_file) } }),
    ...(a && { authorization: { type: a.type, credentials: ref(a.credentials_file) } }),
  };
}
