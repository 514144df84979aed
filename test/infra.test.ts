// The AWS template (infra/): CDK synthesizes it, cdk-nag checks it (AWS Solutions and fleetfed's own
// rule), and the committed templates users deploy are exactly what the code says. Negative controls: a
// wildcard action and a trust policy without the `sub` condition must each fail the check.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { $ } from "zx";
import { PROJECT_ROOT } from "./support/repo.ts";

const INFRA = join(PROJECT_ROOT, "infra");
const installed = existsSync(join(INFRA, "node_modules", "aws-cdk-lib"));
if (!installed && process.env.CI === "true")
  throw new Error("infra/ dependencies are not installed and CI=true requires them (npm ci --prefix infra)");

const check = (...args: string[]) =>
  $({ cwd: PROJECT_ROOT, nothrow: true, quiet: true })`node ${join(INFRA, "check.ts")} ${args}`;

describe.skipIf(!installed)("the AWS template", () => {
  it("typechecks, passes cdk-nag and matches the committed templates", async () => {
    const tsc = await $({
      cwd: PROJECT_ROOT,
      nothrow: true,
      quiet: true,
    })`tsc -p ${join(INFRA, "tsconfig.json")}`;
    expect(tsc.exitCode, `${tsc.stdout}${tsc.stderr}`).toBe(0);
    const r = await check();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^ok: 2 templates pass cdk-nag \(AwsSolutions, Fleetfed\) and match the committed ones/,
    );
  }, 120_000);

  it.each([
    ["wildcard-action", /error: AwsSolutions-IAM5\[Action::route53:\*\]: .*\(FleetfedAws\/SyncRole\)/],
    [
      "trust-without-sub",
      /error: Fleetfed-OIDC1: A role trusting GitHub's OIDC provider does not pin .*:sub/,
    ],
  ])(
    "fails on a deliberately flawed template: %s",
    async (flaw, says) => {
      const r = await check("--flaw", flaw);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(says);
    },
    120_000,
  );
});
