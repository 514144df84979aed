// Generates docs/settings.md, the settings reference, from scripts/schema/fleet.schema.json
// (core/inputs/settings-doc.ts). `npm run docs:write` rewrites it; test/settings-doc.test.ts fails when the
// committed page differs from the schema.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { settingsReference } from "../../scripts/core/inputs/settings-doc.ts";

export const SETTINGS_DOC = join(import.meta.dirname, "..", "..", "docs", "settings.md");

if (process.argv.includes("--write")) {
  writeFileSync(SETTINGS_DOC, settingsReference());
  console.log(`wrote ${SETTINGS_DOC}`);
}
