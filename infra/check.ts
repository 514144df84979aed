// `npm run infra:check`: synthesizes the AWS templates, checks them with cdk-nag (the AWS Solutions rules
// and fleetfed's own, below), and proves the committed templates are exactly what the code says.
// `node infra/check.ts --flaw wildcard-action|trust-without-sub` synthesizes a deliberately flawed
// variant: the checks must fail on it (the negative controls the tests run).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import cdk from "aws-cdk-lib";
import nag from "cdk-nag";
import { type Flaw, fleetfedApp } from "./fleetfed-aws.ts";

const GITHUB_OIDC = "token.actions.githubusercontent.com";

/**
 * fleetfed's own rule, which AWS Solutions does not have: a role that trusts GitHub's OIDC provider must
 * pin the token's `sub` to one repository (and branch). Without it any repository on GitHub could assume it.
 */
class FleetfedChecks extends nag.NagPack {
  readonly name = "Fleetfed";

  constructor() {
    super();
    this.packName = "Fleetfed";
  }

  protected checkResource(node: cdk.CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: "OIDC1",
      info: "A role trusting GitHub's OIDC provider does not pin token.actions.githubusercontent.com:sub.",
      explanation: "Without a sub condition, a workflow in any GitHub repository can assume the role.",
      level: nag.NagMessageLevel.ERROR,
      node,
      rule: (resource) => {
        if (!(resource instanceof cdk.aws_iam.CfnRole)) return nag.NagRuleCompliance.NOT_APPLICABLE;
        const doc = cdk.Stack.of(resource).resolve(resource.assumeRolePolicyDocument) as {
          Statement?: {
            Principal?: { Federated?: unknown };
            Condition?: Record<string, Record<string, unknown>>;
          }[];
        };
        const github = (doc.Statement ?? []).filter((s) =>
          JSON.stringify(s.Principal?.Federated ?? "").includes(GITHUB_OIDC),
        );
        if (github.length === 0) return nag.NagRuleCompliance.NOT_APPLICABLE;
        const pinned = github.every((s) =>
          Object.values(s.Condition ?? {}).some((c) => Object.keys(c).includes(`${GITHUB_OIDC}:sub`)),
        );
        return pinned ? nag.NagRuleCompliance.COMPLIANT : nag.NagRuleCompliance.NON_COMPLIANT;
      },
    });
  }
}

const TEMPLATES: Record<string, string> = {
  FleetfedAws: join(import.meta.dirname, "fleetfed-aws.template.json"),
  FleetfedZoneReader: join(import.meta.dirname, "fleetfed-zone-reader.template.json"),
};

const args = process.argv.slice(2);
const flawArg = args.includes("--flaw") ? (args[args.indexOf("--flaw") + 1] as Flaw) : undefined;
const write = args.includes("--write");
const outdir = mkdtempSync(join(tmpdir(), "fleetfed-cdk-"));
try {
  const app = fleetfedApp(outdir, flawArg);
  const assembly = app.synth();
  const problems: string[] = [];
  for (const pack of [new nag.AwsSolutionsChecks(), new FleetfedChecks()]) {
    const report = pack.validateScope(app);
    for (const v of report.violations ?? [])
      problems.push(
        `${v.ruleName}: ${v.description} (${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(", ")})`,
      );
  }
  for (const stack of assembly.stacks) {
    const path = TEMPLATES[stack.stackName];
    if (!path) continue;
    const text = `${JSON.stringify(stack.template, null, 2)}\n`;
    if (write) writeFileSync(path, text);
    else if (!flawArg && readFileSync(path, "utf8") !== text)
      problems.push(
        `${path}: differs from what infra/fleetfed-aws.ts synthesizes; run npm run infra:write and commit it`,
      );
  }
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`error: ${p}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `ok: ${assembly.stacks.length} templates pass cdk-nag (AwsSolutions, Fleetfed) and match the committed ones\n`,
    );
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
