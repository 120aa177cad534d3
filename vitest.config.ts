import { defineConfig } from "vitest/config";
import { workersRuntime } from "./vitest.workers.ts";

export default defineConfig({
  test: {
    // Test files mostly wait on Postgres, the stubs and Chromium, not on the CPU: more files at once
    // than cores (2 here) cuts \`npm test\` from about 230 s to about 120 s, and every test owns its data.
    maxWorkers: 6,
    projects: [
      {
        // Everything that runs the Worker: inside workerd, against real Postgres and the stubs.
        plugins: [workersRuntime()],
        test: {
          name: "worker",
          globalSetup: ["./harness/global-setup.ts"],
          include: ["test/**/*.test.ts"],
          exclude: ["test/node/**"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Real processes and a real browser, from Node: screenshots, the dashboard, `npm start`.
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
