/// <reference types="vite/client" />
// Bindings that exist only in the test runtime (vitest.config.ts); the Worker's own come from
// `wrangler types` in worker-configuration.d.ts.
declare namespace Cloudflare {
  interface Env {
    TEST_PROVISIONER_URL: string;
    TEST_DATABASE_KIND: string;
    TEST_SINK_URL: string;
    BENCH_COLLECTOR_URL: string;
    CHAOS_RUNS: string;
  }
}
declare module "*?raw" {
  const text: string;
  export default text;
}
