import { describe, expect, it } from "vitest";
import { callWorker, RecordingQueue, type TestDatabase, testEnv } from "../../harness/worker";
import { courierTarget } from "../../src/shipping/courier";
import { checkout } from "../helpers/checkout";
import { count } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
fileSetup({
  setDb: (d) => {
    db = d;
  },
});

async function post(body: unknown, key: string | null = "test-courier-token") {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers["x-api-key"] = key;
  return callWorker(testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }), "/api/webhooks/courier", { headers, body });
}

async function confirmedOrder() {
  const c = await checkout(db);
  await db.query("update orders set status = 'CONFIRMED' where id = $1", [c.orderId]);
  return c;
}

const orderRow = async (id: string) =>
  (
    await db.query<{ status: string; tracking_number: string | null }>(
      "select status, tracking_number from orders where id = $1",
      [id],
    )
  )[0];

describe("courier webhook", () => {
  it("maps Shiprocket statuses", () => {
    expect(["SHIPPED", "In Transit", "OUT_FOR_DELIVERY", "out for delivery"].map(courierTarget)).toEqual([
      "SHIPPED",
      "SHIPPED",
      "SHIPPED",
      "SHIPPED",
    ]);
    expect(courierTarget("Delivered")).toBe("DELIVERED");
    expect(courierTarget("RTO INITIATED")).toBe("IGNORE");
  });

  it("SHIPPED sets the tracking number and tells the customer; DELIVERED completes the order", async () => {
    const c = await confirmedOrder();
    const shipped = await post({ awb: "AWB123", order_id: c.orderNumber, current_status: "IN TRANSIT" });
    expect(await shipped.json()).toEqual({ status: "processed", outcome: "shipped" });
    expect(await orderRow(c.orderId)).toEqual({ status: "SHIPPED", tracking_number: "AWB123" });
    const [note] = await db.query<{ message: string }>("select message from notifications where dedupe_key = $1", [
      `order-shipped/${c.orderId}`,
    ]);
    expect(note?.message).toContain("AWB123");
    const delivered = await post({ awb: "AWB123", order_id: c.orderNumber, current_status: "DELIVERED" });
    expect(await delivered.json()).toMatchObject({ outcome: "delivered" });
    expect((await orderRow(c.orderId))?.status).toBe("DELIVERED");
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-delivered/${c.orderId}`])).toBe(1);
  });

  it("a redelivered update is a duplicate, and a late IN TRANSIT never undoes DELIVERED", async () => {
    const c = await confirmedOrder();
    const update = { awb: "AWB9", order_id: c.orderNumber, current_status: "DELIVERED" };
    await post(update);
    expect(await (await post(update)).json()).toMatchObject({ status: "duplicate" });
    const late = await post({ awb: "AWB9", order_id: c.orderNumber, current_status: "IN TRANSIT" });
    expect(await late.json()).toMatchObject({ outcome: "ignored_status_delivered" });
    expect((await orderRow(c.orderId))?.status).toBe("DELIVERED");
  });

  it("an unknown order is 404 and writes nothing", async () => {
    const before = await count(db, "webhook_events");
    const res = await post({ awb: "AWB1", order_id: "ORA-NOPE", current_status: "SHIPPED" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    expect(await count(db, "webhook_events")).toBe(before);
  });

  it("401 without the right x-api-key, 400 for a malformed update; neither writes", async () => {
    const c = await confirmedOrder();
    const before = await count(db, "webhook_events");
    expect((await post({ awb: "A", order_id: c.orderNumber, current_status: "SHIPPED" }, null)).status).toBe(401);
    expect((await post({ awb: "A", order_id: c.orderNumber, current_status: "SHIPPED" }, "wrong")).status).toBe(401);
    expect((await post("{not json")).status).toBe(400);
    expect((await post({ order_id: c.orderNumber, current_status: "SHIPPED" })).status).toBe(400);
    expect(await count(db, "webhook_events")).toBe(before);
    expect((await orderRow(c.orderId))?.status).toBe("CONFIRMED");
  });

  it("an AWB that is not a tracking number (markup, CR/LF, too long) is 400 and changes nothing", async () => {
    const c = await confirmedOrder();
    const events = await count(db, "webhook_events");
    for (const awb of ["<b>AWB</b>", "AWB1\r\nBcc: x@y", "A".repeat(41), "abc", "AWB 123"]) {
      const res = await post({ awb, order_id: c.orderNumber, current_status: "SHIPPED" });
      expect(res.status, awb).toBe(400);
    }
    const longStatus = await post({ awb: "AWB12345", order_id: c.orderNumber, current_status: "S".repeat(200) });
    expect(longStatus.status).toBe(400);
    expect(await orderRow(c.orderId)).toMatchObject({ status: "CONFIRMED", tracking_number: null });
    expect(await count(db, "webhook_events")).toBe(events);
    expect(await count(db, "notifications", "metadata->>'orderId' = $1 and type = 'ORDER_SHIPPED'", [c.orderId])).toBe(
      0,
    );
  });

  it("the key is checked before anything else: a wrong key is 401 even with no database configured", async () => {
    const res = await callWorker(testEnv(db, { DATABASE_URL: "" }), "/api/webhooks/courier", {
      headers: { "content-type": "application/json", "x-api-key": "wrong" },
      body: "{not json",
    });
    expect(res.status).toBe(401);
  });
});
