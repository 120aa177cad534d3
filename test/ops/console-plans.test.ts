import { expect, it } from "vitest";
import { explain } from "../../harness/plans";
import { type TestDatabase, testDeps } from "../../harness/worker";
import { listEmails } from "../../src/ops/email-desk";
import { dossierQuery, searchQuery } from "../../src/ops/order-desk";
import { flaggedPayments, resolvedReviews } from "../../src/ops/payment-reviews";
import { settlementQuery } from "../../src/payments/settlement-store";
import { describeOnPostgres, fileSetup } from "../helpers/file-setup";

// A shop with 100,000 orders from 20,000 customers, each order with a payment, an attempt, webhook
// events, status changes, a notification and an email: every console lookup must go through an index.
const ORDERS = 100_000;
const NOW = new Date("2026-11-28T12:30:00Z");
let db: TestDatabase;

fileSetup({
  // 100,000 orders and their story take minutes to write on a slow machine.
  timeoutMs: 240_000,
  setDb: (d) => {
    db = d;
  },
  seed: async () => {
    await db.query(
      `insert into users (email, name, is_verified, created_at)
       select 'c' || g || '@example.test', 'Customer ' || g, true, $1::timestamptz - interval '400 days'
       from generate_series(1, ${ORDERS / 5}) g`,
      [NOW],
    );
    await db.query(
      `insert into products (name, sku, price, stock) select 'P' || g, 'SKU' || g, 100000, 5 from generate_series(1, 500) g`,
    );
    await db.query(
      `insert into orders (order_number, user_id, status, total_amount, razorpay_order_id, created_at)
       select 'ORA-' || g, u.ids[1 + g % ${ORDERS / 5}],
              (array['CONFIRMED','PENDING','DELIVERED','CANCELLED','SHIPPED']::order_status[])[1 + g % 5],
              100000 + g, 'order_' || g, $1::timestamptz - (g * 5 || ' minutes')::interval
       from generate_series(1, ${ORDERS}) g, (select array_agg(id order by email) as ids from users) u`,
      [NOW],
    );
    await db.query(`insert into order_items (order_id, product_id, quantity, unit_price)
      select o.id, p.ids[1 + (hashtext(o.id) & 511) % 500], 1, o.total_amount from orders o, (select array_agg(id) ids from products) p`);
    await db.query(`insert into payments (order_id, status, transaction_id, razorpay_payment_id, amount, created_at)
      select o.id, case when o.status = 'PENDING' then 'PENDING'::payment_status else 'CAPTURED'::payment_status end,
             o.razorpay_order_id, 'pay_' || substr(o.order_number, 5), o.total_amount, o.created_at from orders o`);
    await db.query(`insert into payment_attempts (id, order_id, razorpay_order_id, status, amount, currency)
      select 'pay_' || substr(o.order_number, 5), o.id, o.razorpay_order_id, 'captured', o.total_amount, 'INR' from orders o`);
    await db.query(`insert into webhook_events (provider, event_id, event_type, outcome, order_id, received_at)
      select 'razorpay', 'evt_' || o.order_number || '_' || k, 'payment.captured', 'confirmed', o.id, o.created_at
      from orders o, generate_series(1, 2) k`);
    await db.query(`insert into payment_checks (order_id, payment_id, razorpay_id, source, outcome, checked_at)
      select o.id, null, o.razorpay_order_id, 'reconciler', 'no_attempt', o.created_at from orders o where o.status = 'PENDING'`);
    await db.query(`insert into notifications (user_id, type, title, message, metadata, created_at)
      select o.user_id, 'ORDER_PLACED', 't', 'm', jsonb_build_object('orderId', o.id), o.created_at from orders o`);
    await db.query(`insert into emails (idempotency_key, kind, to_addresses, payload, status, created_at)
      select 'order-placed/' || o.id, 'order-status', array['x@example.test'],
             jsonb_build_object('orderId', o.id, 'orderNumber', o.order_number, 'title', 'Placed'),
             case when o.order_number like '%00' then 'failed' else 'sent' end, o.created_at from orders o`);
    await db.query("update payments set needs_review = true where ctid in (select ctid from payments limit 20)");
    await db.query("analyze");
  },
});

/** Tables that grow with the shop: never read by a sequential scan. */
const BIG = [
  "orders",
  "users",
  "payments",
  "payment_attempts",
  "webhook_events",
  "emails",
  "notifications",
  "order_events",
  "payment_checks",
  "order_items",
];

describeOnPostgres(`the console's lookups on ${ORDERS.toLocaleString("en")} orders`, () => {
  const noSeqScan = (seq: string[]) => expect(seq.filter((t) => BIG.includes(t))).toEqual([]);

  it("search by order number, email, payment id and Razorpay order id reads unique or foreign-key indexes", async () => {
    for (const term of [
      { kind: "order-number" as const, value: "ORA-4242" },
      { kind: "email" as const, value: "c77@example.test" },
      { kind: "payment" as const, value: "pay_4242" },
      { kind: "razorpay-order" as const, value: "order_4242" },
    ]) {
      const plan = await explain(db, searchQuery(term));
      noSeqScan(plan.seqScans);
      expect(plan.indexes.length, term.kind).toBeGreaterThan(0);
    }
  });

  it("the order page is one statement, every part keyed by the order through an index", async () => {
    const plan = await explain(db, dossierQuery("ORA-4242"));
    noSeqScan(plan.seqScans);
    expect(plan.indexes).toEqual(
      expect.arrayContaining([
        "orders_order_number_unique",
        "order_items_order_idx",
        "payments_order_idx",
        "payment_attempts_order_idx",
        "webhook_events_order_idx",
        "payment_checks_order_idx",
        "order_events_order_idx",
        "notifications_user_idx",
        "emails_order_idx",
      ]),
    );
  });

  it("the email list and the review queue read their indexes", async () => {
    const deps = testDeps(db);
    try {
      const emails = await explain(db, listEmails(deps, "failed"));
      noSeqScan(emails.seqScans);
      expect(emails.indexes).toContain("emails_status_created_idx");
      const flagged = await explain(db, flaggedPayments(deps));
      noSeqScan(flagged.seqScans);
      expect(flagged.indexes).toContain("payments_review_idx");
      const resolved = await explain(db, resolvedReviews(deps));
      noSeqScan(resolved.seqScans);
      expect(resolved.indexes).toContain("payments_review_resolved_idx");
    } finally {
      await deps.close();
    }
  });
});

describeOnPostgres(`the webhook's settlement read on ${ORDERS.toLocaleString("en")} orders`, () => {
  it("finds the order by each kind of Razorpay id, and reads its facts, through indexes", async () => {
    // The worker's own per-order tables at the size a year of trade gives them.
    await db.query(`insert into order_settlements (order_id, version, stock_taken_at)
      select id, 1, created_at from orders on conflict do nothing`);
    await db.query(`insert into payment_refunds (id, payment_id, order_id, amount)
      select 'rfnd_' || o.order_number, 'pay_' || substr(o.order_number, 5), o.id, 100 from orders o
      where o.order_number like '%7' on conflict do nothing`);
    await db.query(
      `insert into inventory_locks (product_id, order_id, quantity, expires_at)
      select i.product_id, i.order_id, 1, $1::timestamptz + interval '15 minutes' from order_items i
      join orders o on o.id = i.order_id where o.status = 'PENDING'`,
      [NOW],
    );
    await db.query("analyze order_settlements, payment_refunds, inventory_locks");
    const all = [...BIG, "order_settlements", "payment_refunds", "inventory_locks"];
    for (const [kind, lookup, via] of [
      ["razorpay order", { razorpayOrderId: "order_4242", paymentId: "pay_new" }, "orders_razorpay_order_id_unique"],
      ["payment attempt", { razorpayOrderId: null, paymentId: "pay_4242" }, "payment_attempts_pkey"],
      ["payment row", { razorpayOrderId: "order_none", paymentId: "pay_none" }, "payments_razorpay_payment_idx"],
      ["known order", { razorpayOrderId: null, paymentId: null, orderId: "o_unknown" }, "orders_pkey"],
    ] as const) {
      const plan = await explain(db, settlementQuery(lookup, "evt_plan"));
      expect(
        plan.seqScans.filter((t) => all.includes(t)),
        kind,
      ).toEqual([]);
      expect(plan.indexes, kind).toEqual(
        expect.arrayContaining([
          via,
          "webhook_events_provider_event_uq",
          "order_settlements_pkey",
          "payments_order_idx",
        ]),
      );
    }
  });
});
