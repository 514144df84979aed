// `fleetfed onboard <cluster>`: prints what one workload cluster's Prometheus needs for the fleet to find
// it and for the dashboards to fill (core/render/onboarding.ts). For a cluster the fleet lists, the same
// text render writes under manifests/onboarding/<cluster>/; for one it does not list yet, the name it
// must publish is worked out from fleet.yaml and checked to read back through recordPattern as that id.

import { EXIT_INVALID, FleetfedError } from "../core/errors.ts";
import { CLUSTER_ID } from "../core/inputs/cluster-file.ts";
import { buildInventory } from "../core/plan/inventory.ts";
import {
  kubePrometheusStackValues,
  newTarget,
  type OnboardingTarget,
  prometheusOperatorFile,
  targetOf,
} from "../core/render/onboarding.ts";
import { loadInputs } from "../io/inputs.ts";
import type { Context } from "./context.ts";

const FORMS = ["kube-prometheus-stack", "prometheus-operator"] as const;

export async function onboardCommand(
  ctx: Context,
  opts: { cluster: string; form?: string },
): Promise<number> {
  const form = opts.form ?? "kube-prometheus-stack";
  if (!(FORMS as readonly string[]).includes(form))
    throw new FleetfedError(
      {
        field: "--form",
        message: `"${form}" is not a form fleetfed renders`,
        hint: `use ${FORMS.join(" or ")}`,
      },
      EXIT_INVALID,
    );
  if (!CLUSTER_ID.test(opts.cluster))
    throw new FleetfedError(
      {
        field: "<cluster>",
        message: `"${opts.cluster}" is not a cluster id`,
        hint: "a cluster id is lower-case letters, digits and '-', starting with a letter or digit",
      },
      EXIT_INVALID,
    );
  const inputs = await ctx.report.step("reading inputs", () => loadInputs(ctx.root, ctx.config));
  // The inventory alone says where the fleet reaches a cluster: no render of the whole fleet for one cluster.
  const inventory = buildInventory(inputs.settings, inputs.snapshot.clusters, inputs.clusterFiles);
  const listed = inventory.clusters.find((c) => c.id === opts.cluster);
  let target: OnboardingTarget;
  if (listed) {
    target = targetOf(listed);
    ctx.report.info(`${opts.cluster} is in the fleet (${listed.origin}), reached at ${listed.endpoint}`);
  } else {
    const t = newTarget(inputs.settings, opts.cluster);
    if (!("host" in t)) throw new FleetfedError({ file: ctx.config ?? "fleet.yaml", ...t }, EXIT_INVALID);
    target = t;
    ctx.report.info(
      `${opts.cluster} is not in the fleet yet: once ${t.host} resolves, ${inputs.settings.discovery.route53 ? "the next sync finds it" : `add clusters/${opts.cluster}.yaml with endpoint: ${t.host}:${t.port}`}`,
    );
  }
  ctx.out(
    form === "kube-prometheus-stack"
      ? kubePrometheusStackValues(inputs.settings, target)
      : prometheusOperatorFile(inputs.settings, target),
  );
  return 0;
}
