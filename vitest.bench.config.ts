import { defineConfig } from "vitest/config";
import { workersRuntime } from "./vitest.workers.ts";

// `npm run bench` (scripts/bench.mjs): scenarios inside workerd against the machine's Postgres.
export default defineConfig({
  plugins: [workersRuntime()],
  test: {
    globalSetup: ["./harness/global-setup.ts"],
    include: ["bench/**/*.run.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
