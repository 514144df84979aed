import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { useShippedTools } from "./test/support/shipped-tools.ts";

// Workers inherit this process's PATH: every test runs the Prometheus release fleetfed ships.
useShippedTools();

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Deadlines catch hangs, never slowness: generous enough for a busy 2-core runner. Speed is measured
    // in npm run bench, not here.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One test file per core: on a 2-core runner more files at once than cores only slowed each one
    // past its deadlines (the real servers and processes they start need the cores too).
    maxWorkers: availableParallelism(),
  },
});
