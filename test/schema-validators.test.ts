// scripts/schema/validators.js is generated from the schemas; it must never drift from them.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateValidators, VALIDATORS_FILE } from "./support/schema-validators.ts";

describe("scripts/schema/validators.js", () => {
  it("is exactly what Ajv compiles from scripts/schema/*.schema.json (npm run schema:write)", () => {
    expect(readFileSync(VALIDATORS_FILE, "utf8") === generateValidators()).toBe(true);
  });
});
