// Node side of `npm run bench`: the same proxy, database provisioner and stubs as the tests, plus a
// collector the scenarios (running inside workerd) post their figures to, and the proxy's
// round-trip counter. Results land in bench/.results.json for scripts/bench.mjs.
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
  const proxy = await startWsProxy();
  const provisioner = await startDatabaseProvisioner();
  const razorpay = await startRazorpayStub();
  const resend = await startResendStub();
  const sink = await startWebhookSink();
  const results: Record<string, unknown> = {};
  const collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/proxy-stats") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(proxy.stats));
        return;
      }
      if (req.method === "POST" && req.url?.startsWith("/result/")) {
        results[decodeURIComponent(req.url.slice(8))] = JSON.parse(Buffer.concat(chunks).toString());
        res.writeHead(200).end("ok");
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", () => r()));
  const address = collector.address();
  project.provide("wsProxy", `127.0.0.1:${proxy.port}`);
  project.provide("provisionerUrl", provisioner.url);
  project.provide("databaseKind", provisioner.kind);
  project.provide("razorpayUrl", razorpay.url);
  project.provide("resendUrl", resend.url);
  project.provide("sinkUrl", sink.url);
  project.provide("chaosRuns", "0");
  project.provide("collectorUrl", `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`);
  return async () => {
    writeFileSync("bench/.results.json", JSON.stringify({ databaseKind: provisioner.kind, results }, null, 2));
    await new Promise((r) => collector.close(r));
    await Promise.all([razorpay.close(), resend.close(), sink.close()]);
    await provisioner.close();
    await proxy.close();
  };
}
