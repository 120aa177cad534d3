import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Everything that runs the Worker: inside workerd, against real Postgres and the stubs.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                DB_WS_PROXY: inject("wsProxy"),
                TEST_PROVISIONER_URL: inject("provisionerUrl"),
                TEST_DATABASE_KIND: inject("databaseKind"),
                RAZORPAY_API_BASE: inject("razorpayUrl"),
                RESEND_API_BASE: inject("resendUrl"),
                TEST_SINK_URL: inject("sinkUrl"),
                // Each test file gets its own database through the provisioner; none is bound globally.
                DATABASE_URL: "",
                RAZORPAY_KEY_ID: "rzp_test_key",
                RAZORPAY_KEY_SECRET: "rzp_test_secret",
                RAZORPAY_WEBHOOK_SECRET: "whsec_test",
                RESEND_API_KEY: "re_test_key",
                ADMIN_TOKEN: "test-admin-token",
                COURIER_WEBHOOK_TOKEN: "test-courier-token",
                ADMIN_EMAIL: "ops@ora.test,owner@ora.test",
              },
            },
          })),
        ],
        test: {
          name: "worker",
          globalSetup: ["./test/setup/global.ts"],
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
