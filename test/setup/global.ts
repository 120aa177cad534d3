// Runs in Node before the workerd test pool starts: the WebSocket proxy in front of Postgres, the
// per-file database provisioner and the provider stubs. Their addresses reach the Worker as bindings.
import type { TestProject } from "vitest/node";
import { startDatabaseProvisioner } from "../../scripts/lib/test-databases.mjs";
import { startWsProxy } from "../../scripts/lib/ws-proxy.mjs";
import { startRazorpayStub } from "../../scripts/stubs/razorpay-stub.mjs";
import { startResendStub } from "../../scripts/stubs/resend-stub.mjs";
import { startWebhookSink } from "../../scripts/stubs/webhook-sink.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    wsProxy: string;
    provisionerUrl: string;
    databaseKind: string;
    razorpayUrl: string;
    resendUrl: string;
    sinkUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const proxy = await startWsProxy();
  const provisioner = await startDatabaseProvisioner();
  const razorpay = await startRazorpayStub();
  project.provide("razorpayUrl", razorpay.url);
  const resend = await startResendStub();
  project.provide("resendUrl", resend.url);
  const sink = await startWebhookSink();
  project.provide("sinkUrl", sink.url);
  project.provide("wsProxy", `127.0.0.1:${proxy.port}`);
  project.provide("provisionerUrl", provisioner.url);
  project.provide("databaseKind", provisioner.kind);
  console.log(`[test] databases: ${provisioner.kind}; ws proxy on ${proxy.port}`);
  return async () => {
    await razorpay.close();
    await resend.close();
    await sink.close();
    await provisioner.close();
    await proxy.close();
  };
}
