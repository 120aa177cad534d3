// The Worker on a storefront's own database (test/fixtures/storefront-schema.sql: text statuses with
// CHECKs, Prisma-style timestamps without time zone, extra columns and tables, live rows), adopted by
// db:migrate: payments, notifications, courier updates and every task work as on ours, and the
// storefront's rows that nothing should touch come out unchanged.
import { expect, it } from "vitest";
import { eventBody, paymentEntity, rzpId, signedRequest } from "../../harness/razorpay";
import { callWorker, RecordingQueue, type TestDatabase, taskDeps, testDeps, testEnv } from "../../harness/worker";
import { TASKS } from "../../src/ops/registry";
import { count } from "../helpers/factories";
import { describeOnPostgres, fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
const queue = new RecordingQueue();

/** The storefront's own columns of rows nothing in this test should change, as text. */
const UNTOUCHED = `
  select (select string_agg(x::text, '|' order by x::text) from (select id, email, name, phone, is_verified, is_admin, created_at from users where id like 'sf_%') x) as users,
         (select string_agg(x::text, '|' order by x::text) from (select id, order_number, user_id, status, total_amount, currency, tracking_number, razorpay_order_id, shipping_address, created_at, updated_at from orders where id = 'sf_o_done') x) as done_order,
         (select string_agg(x::text, '|' order by x::text) from (select id, order_id, status, transaction_id, razorpay_payment_id, amount, currency, method, failure_reason, gateway_payload, created_at, updated_at from payments where id = 'sf_pay_done') x) as done_payment,
         (select string_agg(x::text, '|' order by x::text) from (select id, name, sku, description, price, low_stock_threshold, is_active from products) x) as products,
         (select string_agg(x::text, '|' order by x::text) from reviews x) as reviews,
         (select string_agg(x::text, '|' order by x::text) from "_prisma_migrations" x) as prisma,
         (select string_agg(x::text, '|' order by x::text) from (select id, user_id, type, title, message, metadata, is_read, created_at from notifications where id = 'sf_n_1') x) as old_notification`;
let before: Record<string, unknown>;

fileSetup({
  shape: "storefront",
  setDb: (d) => {
    db = d;
  },
  seed: async () => {
    [before] = (await db.query(UNTOUCHED)) as [Record<string, unknown>];
  },
});

async function send(req: Request) {
  const res = await callWorker(testEnv(db, { EMAIL_QUEUE: queue }), req);
  return res;
}

const task = (name: string) => {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new Error(name);
  return t;
};

describeOnPostgres("the Worker on an adopted storefront database", () => {
  it("confirms a payment, tells the customer, ships, refunds and runs every task; untouched rows stay as they were", async () => {
    // A live lock the storefront takes while we work (its clock writes UTC wall time).
    await db.query(
      "insert into inventory_locks (id, product_id, quantity, expires_at) values ('sf_l_new', 'sf_p_chain', 1, (now() at time zone 'UTC') + interval '10 minutes')",
    );

    const payId = rzpId("pay");
    const captured = eventBody("payment.captured", {
      payment: { entity: paymentEntity({ id: payId, orderId: "order_sf_open", amount: 12500000, status: "captured" }) },
    });
    const res = await send(await signedRequest(captured, { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    const [open] = await db.query<{ status: string; stock: number; locks: number; pay: string }>(
      `select o.status, (select stock from products where id = 'sf_p_ring') as stock,
              (select count(*)::int from inventory_locks where order_id = o.id) as locks,
              (select status from payments where id = 'sf_pay_open') as pay
       from orders o where o.id = 'sf_o_open'`,
    );
    expect(open).toEqual({ status: "CONFIRMED", stock: 0, locks: 0, pay: "CAPTURED" });
    expect(await count(db, "notifications", "user_id = 'sf_u_asha' and type = 'ORDER_CONFIRMED'")).toBe(1);
    expect(await count(db, "emails", "idempotency_key = 'order-confirmed/sf_o_open'")).toBe(1);

    const courier = await send(
      new Request("https://ora-jobs.test/api/webhooks/courier", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "test-courier-token" },
        body: JSON.stringify({ awb: "AWB-SF-2002", order_id: "SF-1002", current_status: "IN TRANSIT" }),
      }),
    );
    expect(await courier.json()).toMatchObject({ outcome: "shipped" });
    expect(await count(db, "notifications", "user_id = 'sf_u_asha' and type = 'ORDER_SHIPPED'")).toBe(1);

    const refund = eventBody("refund.processed", {
      refund: { entity: { id: rzpId("rfnd"), entity: "refund", payment_id: payId, amount: 12500000, currency: "INR" } },
      payment: {
        entity: paymentEntity({
          id: payId,
          orderId: "order_sf_open",
          amount: 12500000,
          status: "refunded",
          amountRefunded: 12500000,
        }),
      },
    });
    expect(await (await send(await signedRequest(refund, { eventId: rzpId("evt") }))).json()).toMatchObject({
      outcome: "refunded",
    });
    // Refunded after shipping: the piece is with the customer, so stock is not given back.
    expect((await db.query("select status from orders where id = 'sf_o_open'"))[0]).toEqual({ status: "REFUNDED" });
    expect((await db.query("select stock from products where id = 'sf_p_ring'"))[0]).toEqual({ stock: 0 });

    // An old never-verified account with nothing attached, for the monthly cleanup.
    await db.query(
      "insert into users (id, email, is_verified, created_at) values ('sf_u_stale', 'stale@ora-shop.example', false, now() - interval '60 days')",
    );
    const deps = testDeps(db, { now: new Date(), realClock: true });
    const results: Record<string, unknown> = {};
    for (const name of [
      "cleanup-expired-locks",
      "check-low-stock",
      "cleanup-password-resets",
      "deliver-order-events",
      "reconcile-stale-payments",
      "daily-sales-report",
      "cleanup-unverified-users",
      "cleanup-read-notifications",
    ]) {
      results[name] = await task(name).run(taskDeps(deps), new Date());
    }
    await deps.close();
    expect(results["cleanup-expired-locks"]).toMatchObject({ deleted: 1 });
    expect((await db.query<{ id: string }>("select id from inventory_locks order by id")).map((r) => r.id)).toEqual([
      "sf_l_new",
    ]);
    expect(results["check-low-stock"]).toMatchObject({ alerted: 1 });
    expect(results["daily-sales-report"]).toMatchObject({ reportsSent: 1 });
    expect(results["cleanup-unverified-users"]).toMatchObject({ deleted: 1 });
    expect(await count(db, "users", "id = 'sf_u_new'")).toBe(1); // two days old: kept

    const [after] = (await db.query(UNTOUCHED)) as [Record<string, unknown>];
    expect(after).toEqual(before);
  });
});
