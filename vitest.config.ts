import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Most test time is spent waiting on real servers and processes (Prometheus, git, promtool, the
    // CLI), not computing: more test files at once than cores keeps the machine busy (2 cores: 4 files).
    maxWorkers: Math.max(4, availableParallelism()),
  },
});
