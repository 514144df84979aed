// Every Kubernetes object fleetfed renders is validated against its API schema by `fleetfed check`.

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { objectProblems } from "../scripts/core/check/objects.ts";
import { readTree } from "../scripts/io/files.ts";
import { EXAMPLE_FLEET } from "./support/repo.ts";

const GOLDEN = join(import.meta.dirname, "golden");
const fleets = [...readdirSync(GOLDEN).map((d) => join(GOLDEN, d)), EXAMPLE_FLEET];

describe("objectProblems", () => {
  it.each(fleets)("finds every object of %s valid, and a model for each of them", async (root) => {
    const tree = await readTree(join(root, "manifests"));
    const docs = [...tree]
      .filter(([p]) => p.endsWith(".yaml"))
      .flatMap(([, text]) => [...text.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1]));
    const { objects, problems } = await objectProblems(tree);
    expect(problems).toEqual([]);
    // Every object but kustomize's own kustomization.yaml files went through a model.
    expect(objects).toBe(
      docs.length - [...tree.keys()].filter((p) => p.endsWith("kustomization.yaml")).length,
    );
    expect(objects).toBeGreaterThan(5);
  });

  it("names the file, the object and the field the API schema rejects, and a kind it has no schema for", async () => {
    const tree = new Map([
      [
        "federation/leaf-000/federator.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: fleetfed-leaf-000\nspec:\n  replicas: two\n  serviceName: x\n  selector: {}\n  template: {}\n",
      ],
      ["federation/extra.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n"],
    ]);
    const { objects, problems } = await objectProblems(tree);
    expect(objects).toBe(2);
    expect(problems).toEqual([
      expect.objectContaining({
        file: "manifests/federation/leaf-000/federator.yaml",
        message: expect.stringMatching(
          /^StatefulSet fleetfed-leaf-000 is not valid for the Kubernetes API: spec\.replicas must be integer/,
        ),
      }),
      expect.objectContaining({
        file: "manifests/federation/extra.yaml",
        message: "example.com/v1/Gadget has no schema fleetfed knows, so it cannot be validated",
      }),
    ]);
  });
});
