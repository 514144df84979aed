// What we test is what we ship: the federators' image, the binaries every test and `check` run, CI's
// tools script and the fleet's check workflow all name one Prometheus release series.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { $ } from "zx";
import {
  imageSeries,
  PROMETHEUS_IMAGE,
  PROMETHEUS_VERSION,
  printedSeries,
  promtoolMismatch,
  releaseSeries,
} from "../scripts/core/versions.ts";
import fleetSchema from "../scripts/schema/fleet.schema.json" with { type: "json" };
import { PROJECT_ROOT } from "./support/repo.ts";
import { tool } from "./support/tools.ts";

const shipped = releaseSeries(PROMETHEUS_VERSION) as string;
const binaries = {
  prometheus: await tool("prometheus", "bash .ci/prometheus-tools"),
  promtool: await tool("promtool", "bash .ci/prometheus-tools"),
  alertmanager: await tool("prometheus-alertmanager", "bash .ci/prometheus-tools"),
};
const version = async (path: string) => {
  const r = await $({ nothrow: true, quiet: true })`${path} --version`;
  return `${r.stdout}${r.stderr}`;
};

describe("the Prometheus release fleetfed ships", () => {
  it("is the schema's default image, and the one constant names it", () => {
    expect(fleetSchema.properties.federation.properties.image.default).toBe(PROMETHEUS_IMAGE);
    expect(imageSeries(PROMETHEUS_IMAGE)).toBe(shipped);
  });

  it.each(["prometheus", "promtool"] as const)(
    "is the release series of the %s every test runs",
    async (name) => {
      const path = binaries[name];
      if (!path) return; // tool() failed the run under CI=true; elsewhere nothing to compare
      expect(printedSeries(await version(path)), path).toBe(shipped);
    },
  );

  it("runs the tests' Alertmanager at 0.28 or later", async () => {
    if (!binaries.alertmanager) return;
    const [major, minor] = (printedSeries(await version(binaries.alertmanager)) ?? "0.0")
      .split(".")
      .map(Number);
    expect((major as number) * 1000 + (minor as number)).toBeGreaterThanOrEqual(28);
  });

  it("is what CI's tools script fetches and what the fleet's check workflow downloads", () => {
    const script = readFileSync(join(PROJECT_ROOT, ".ci", "prometheus-tools"), "utf8");
    expect(/^want_prometheus="([^"]+)"$/m.exec(script)?.[1]).toBe(shipped);
    const run = readFileSync(join(PROJECT_ROOT, ".ci", "run"), "utf8");
    expect(run).toMatch(/^tools_bin=\$\(bash \.ci\/prometheus-tools\)$/m);
    const fleet = parse(readFileSync(join(PROJECT_ROOT, ".github", "workflows", "fleet.yml"), "utf8"));
    const versions = fleet.jobs.check.steps
      .map((s: { env?: Record<string, string> }) => s.env?.PROMETHEUS_VERSION)
      .filter(Boolean);
    expect(versions).toEqual([PROMETHEUS_VERSION]);
  });

  it("reads release series from versions, image tags and --version output", () => {
    expect(releaseSeries("3.5.3+ds1")).toBe("3.5");
    expect(releaseSeries("v2.42.0")).toBe("2.42");
    expect(releaseSeries("latest")).toBeUndefined();
    expect(imageSeries("quay.io/prometheus/prometheus:v3.5.0@sha256:0123abcd")).toBe("3.5");
    expect(imageSeries("registry.local:5000/prometheus")).toBeUndefined();
    expect(printedSeries("promtool, version 2.42.0+ds (branch: debian/sid)\n  build user: x")).toBe("2.42");
  });

  it("makes check warn when promtool is of another series than the image, and only then", () => {
    const old = "promtool, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0+ds-5)";
    expect(promtoolMismatch(old, PROMETHEUS_IMAGE)?.message).toBe(
      `promtool 2.42 checks configs that the federators run on Prometheus ${shipped} (federation.image: ${PROMETHEUS_IMAGE})`,
    );
    expect(promtoolMismatch(`promtool, version ${PROMETHEUS_VERSION}`, PROMETHEUS_IMAGE)).toBeUndefined();
    expect(promtoolMismatch(old, "registry.local/prometheus:latest")).toBeUndefined();
  });
});
