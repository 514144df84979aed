// Every Kubernetes object fleetfed renders is validated against its API schema by `fleetfed check`.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { objectProblems } from "../scripts/core/check/objects.ts";
import { renderFleet } from "../scripts/core/fleet.ts";
import { collectingObjects } from "../scripts/core/render/kubernetes.ts";
import { readTree } from "../scripts/io/files.ts";
import { loadInputs } from "../scripts/io/inputs.ts";
import { EXAMPLE_FLEET } from "./support/repo.ts";

const GOLDEN = join(import.meta.dirname, "golden");
const fleets = [...readdirSync(GOLDEN).map((d) => join(GOLDEN, d)), EXAMPLE_FLEET];

describe("objectProblems", () => {
  it.each(fleets)("finds every object of %s valid, and a model for each of them", async (root) => {
    const inputs = await loadInputs(root);
    const tree = await readTree(join(root, "manifests"));
    const { objects } = collectingObjects(() =>
      renderFleet(inputs.settings, inputs.snapshot, inputs.clusterFiles, tree),
    );
    expect(await objectProblems(objects)).toEqual([]);
    // Every object in the tree but kustomize's own kustomization.yaml files went through a model.
    const written = [...tree]
      .filter(([p]) => p.endsWith(".yaml") && !p.endsWith("kustomization.yaml"))
      .flatMap(([, text]) => [...text.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1]));
    expect(objects.map((o) => (o as { kind: string }).kind).sort()).toEqual(written.sort());
    expect(objects.length).toBeGreaterThan(5);
  });

  it("names the object and the field the API schema rejects, and a kind it has no schema for", async () => {
    const problems = await objectProblems([
      { apiVersion: "v1", kind: "Service", metadata: { name: "ok" } },
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "fleetfed-leaf-000", namespace: "monitoring" },
        spec: { replicas: "two", serviceName: "x", selector: {}, template: {} },
      },
      { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g" } },
    ]);
    expect(problems).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /^StatefulSet monitoring\/fleetfed-leaf-000 is not valid for the Kubernetes API: spec\.replicas must be integer/,
        ),
      }),
      expect.objectContaining({
        message: "Gadget g: example.com/v1/Gadget has no schema fleetfed knows, so it cannot be validated",
      }),
    ]);
  });
});
