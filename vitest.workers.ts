import { cloudflareTest } from "@cloudflare/vitest-plugin";

/** The Workers runtime for tests and benches: wrangler.toml plus the addresses the Node setup provides. */
export function workersRuntime(extra: (inject: (key: string) => string) => Record<string, string> = () => ({})) {
  return cloudflareTest(({ inject }) => {
    const get = (key: string) => inject(key as never) as string;
    return {
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          DB_WS_PROXY: get("wsProxy"),
          TEST_PROVISIONER_URL: get("provisionerUrl"),
          TEST_DATABASE_KIND: get("databaseKind"),
          RAZORPAY_API_BASE: get("razorpayUrl"),
          RESEND_API_BASE: get("resendUrl"),
          TEST_SINK_URL: get("sinkUrl"),
          BENCH_COLLECTOR_URL: get("collectorUrl"),
          CHAOS_RUNS: get("chaosRuns") ?? "600",
          // Each test file gets its own database through the provisioner; none is bound globally.
          DATABASE_URL: "",
          RAZORPAY_KEY_ID: "rzp_test_key",
          RAZORPAY_KEY_SECRET: "rzp_test_secret",
          RAZORPAY_WEBHOOK_SECRET: "whsec_test",
          RESEND_API_KEY: "re_test_key",
          ADMIN_TOKEN: "test-admin-token",
          COURIER_WEBHOOK_TOKEN: "test-courier-token",
          ADMIN_EMAIL: "ops@ora.test,owner@ora.test",
          // Each test sees the database as it is now; one test turns the cache on to check it.
          HEALTH_CACHE_SECONDS: "0",
          ...extra(get),
        },
      },
    };
  });
}
