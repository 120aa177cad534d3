// What an invocation costs beyond its SQL, counted (not timed) by the WebSocket proxy for this
// file's database alone: connections opened and query round trips (docs/ARCHITECTURE.md, README).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, rzpId, signedRequest } from "../../harness/razorpay";
import { callWorker, RecordingQueue, type TestDatabase, testCtx, testEnv } from "../../harness/worker";
import worker from "../../src/index";
import { checkout } from "../helpers/checkout";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
fileSetup({
  setDb: (d) => {
    db = d;
  },
});

/** Connections and round trips this file's database saw while `work` ran. */
async function counted(work: () => Promise<unknown>): Promise<{ connections: number; roundTrips: number }> {
  const name = new URL(db.url).pathname.slice(1);
  const read = async () => {
    const stats = (await (await fetch(`http://${env.DB_WS_PROXY}/__stats`)).json()) as {
      byDatabase: Record<string, { connections: number; roundTrips: number }>;
    };
    return stats.byDatabase[name] ?? { connections: 0, roundTrips: 0 };
  };
  const before = await read();
  await work();
  const after = await read();
  return { connections: after.connections - before.connections, roundTrips: after.roundTrips - before.roundTrips };
}

describe("round trips per invocation", () => {
  it("a capture webhook: one connection, two round trips (read, then one guarded write)", async () => {
    const c = await checkout(db);
    const body = eventBody("payment.captured", {
      payment: {
        entity: paymentEntity({ id: rzpId("pay"), orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
      },
    });
    const req = await signedRequest(body, { eventId: rzpId("evt") });
    let outcome = "";
    const cost = await counted(async () => {
      const res = await callWorker(testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }), req);
      outcome = ((await res.json()) as { outcome: string }).outcome;
    });
    expect(outcome).toBe("confirmed");
    expect(cost).toEqual({ connections: 1, roundTrips: 2 });
  });

  it("an empty cron firing: one connection and three round trips (claim with settings, the work, the record)", async () => {
    await db.query("delete from inventory_locks");
    const slot = Date.parse("2026-11-28T10:05:00Z");
    const cost = await counted(async () => {
      const ctx = testCtx();
      await worker.scheduled(
        { cron: "*/5 * * * *", scheduledTime: slot, noRetry() {} } as ScheduledController,
        testEnv(db),
        ctx,
      );
      await ctx.drain();
    });
    expect(cost).toEqual({ connections: 1, roundTrips: 3 });
  });
});
