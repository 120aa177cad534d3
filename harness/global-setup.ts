// Runs in Node before the workerd test pool starts: the WebSocket proxy in front of Postgres, the
// per-file database provisioner and the provider stubs. Their addresses reach the Worker as bindings.
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { TestProject } from "vitest/node";
import { startDatabaseProvisioner } from "../scripts/lib/test-databases.mjs";
import { startWsProxy } from "../scripts/lib/ws-proxy.mjs";
import { startRazorpayStub } from "../scripts/stubs/razorpay-stub.mjs";
import { startResendStub } from "../scripts/stubs/resend-stub.mjs";
import { startWebhookSink } from "../scripts/stubs/webhook-sink.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    wsProxy: string;
    provisionerUrl: string;
    databaseKind: string;
    razorpayUrl: string;
    resendUrl: string;
    sinkUrl: string;
    collectorUrl: string;
    chaosRuns: string;
  }
}

export default async function setup(project: TestProject) {
  // The database first: under CI a missing Postgres fails here, before anything else is listening.
  const provisioner = await startDatabaseProvisioner();
  const proxy = await startWsProxy();
  const razorpay = await startRazorpayStub();
  project.provide("razorpayUrl", razorpay.url);
  const resend = await startResendStub();
  project.provide("resendUrl", resend.url);
  const sink = await startWebhookSink();
  project.provide("sinkUrl", sink.url);
  // Figures the chaos suite and the bench report; their scripts turn them into docs/RELIABILITY.md
  // and bench/RESULTS.md.
  const figures: Record<string, unknown> = {};
  const collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url?.startsWith("/result/")) {
        figures[decodeURIComponent(req.url.slice(8))] = JSON.parse(Buffer.concat(chunks).toString());
        // Written as they arrive: a teardown cut short must not lose the figures.
        if (process.env.FIGURES_REPORT) writeFileSync(process.env.FIGURES_REPORT, JSON.stringify(figures, null, 2));
      }
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", () => r()));
  const caddr = collector.address();
  project.provide("collectorUrl", `http://127.0.0.1:${typeof caddr === "object" && caddr ? caddr.port : 0}`);
  // CI runs a fixed-seed subset; `npm run test:chaos` sets CHAOS_RUNS=10000.
  project.provide("chaosRuns", process.env.CHAOS_RUNS ?? "600");
  project.provide("wsProxy", `127.0.0.1:${proxy.port}`);
  project.provide("provisionerUrl", provisioner.url);
  project.provide("databaseKind", provisioner.kind);
  console.log(`[test] databases: ${provisioner.kind}; ws proxy on ${proxy.port}`);
  return async () => {
    await razorpay.close();
    await resend.close();
    await sink.close();
    await new Promise((r) => collector.close(r));
    await provisioner.close();
    await proxy.close();
  };
}
