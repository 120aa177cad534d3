import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, WEBHOOK_SECRET } from "../../harness/razorpay";
import { callWorker, RecordingQueue, type TestDatabase, testEnv } from "../../harness/worker";
import { hmacSha256Hex } from "../../src/lib/crypto";
import { chaosRuns, reportFigure } from "../helpers/chaos";
import { count } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

// Property-based attack on both webhook endpoints: generated and mutated bodies, headers and
// signatures. Invariants: never a 5xx; nothing written without a valid signature or token; every
// valid event processed exactly once however often it is sent.
const SEED = 20261128;
const ORDERS = 40;
let db: TestDatabase;

fileSetup({
  setDb: (d) => {
    db = d;
  },
  seed: async () => {
    await db.query("insert into users (id, email) values ('u1', 'buyer@example.test')");
    await db.query("insert into products (id, name, sku, price, stock) values ('p1', 'Ring', 'R1', 100000, 1000)");
    await db.query(
      `insert into orders (id, order_number, user_id, total_amount, razorpay_order_id)
       select 'o' || g, 'ORA-H' || g, 'u1', 100000, 'order_h' || g from generate_series(1, ${ORDERS}) g`,
    );
    await db.query(
      "insert into order_items (order_id, product_id, quantity, unit_price) select id, 'p1', 1, 100000 from orders",
    );
    await db.query(
      "insert into payments (order_id, status, transaction_id, amount) select id, 'PENDING', razorpay_order_id, 100000 from orders",
    );
  },
});

type Attack =
  | { kind: "valid"; order: number; eventId: string }
  | { kind: "mutated"; order: number; at: number; byte: number }
  | { kind: "garbage"; body: Uint8Array; signature: string }
  | { kind: "signed-junk"; json: unknown }
  | { kind: "wrong-secret"; order: number; secret: string }
  | { kind: "header-chaos"; order: number; eventId: string; sigCase: "upper" | "spaced" | "truncated" | "doubled" };

const validBody = (order: number) =>
  eventBody("payment.captured", {
    payment: {
      entity: paymentEntity({ id: `pay_h${order}`, orderId: `order_h${order}`, amount: 100000, status: "captured" }),
    },
  });

const attack: fc.Arbitrary<Attack> = fc.oneof(
  fc.record({
    kind: fc.constant("valid" as const),
    order: fc.integer({ min: 1, max: ORDERS }),
    eventId: fc.constantFrom("a", "b", "c"),
  }),
  fc.record({
    kind: fc.constant("mutated" as const),
    order: fc.integer({ min: 1, max: ORDERS }),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant("garbage" as const),
    body: fc.uint8Array({ maxLength: 2048 }),
    signature: fc.string({ maxLength: 80 }),
  }),
  fc.record({ kind: fc.constant("signed-junk" as const), json: fc.jsonValue({ maxDepth: 4 }) }),
  fc.record({
    kind: fc.constant("wrong-secret" as const),
    order: fc.integer({ min: 1, max: ORDERS }),
    secret: fc.string({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant("header-chaos" as const),
    order: fc.integer({ min: 1, max: ORDERS }),
    eventId: fc.string({ maxLength: 300 }),
    sigCase: fc.constantFrom("upper", "spaced", "truncated", "doubled") as fc.Arbitrary<
      "upper" | "spaced" | "truncated" | "doubled"
    >,
  }),
);

async function send(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return callWorker(testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }), "/api/webhooks/razorpay", { headers, body });
}

describe("hostile input: razorpay webhook", () => {
  it("never 5xx, never writes without a valid signature, processes every valid event exactly once", async () => {
    const runs = chaosRuns();
    const statuses: Record<string, number> = {};
    const validSent = new Map<string, number>();
    let unsignedWrites = 0;
    await fc.assert(
      fc.asyncProperty(attack, async (a) => {
        const before = await count(db, "webhook_events");
        let res: Response;
        let signedValid = false;
        if (a.kind === "valid") {
          const body = validBody(a.order);
          const id = `evt_h${a.order}_${a.eventId}`;
          validSent.set(id, (validSent.get(id) ?? 0) + 1);
          signedValid = true;
          res = await send(body, {
            "x-razorpay-signature": await hmacSha256Hex(WEBHOOK_SECRET, body),
            "x-razorpay-event-id": id,
          });
        } else if (a.kind === "mutated") {
          const body = new TextEncoder().encode(validBody(a.order));
          const sig = await hmacSha256Hex(WEBHOOK_SECRET, body);
          const i = a.at % body.length;
          const mutated = body.slice();
          mutated[i] = body[i] === a.byte ? (a.byte + 1) % 256 : a.byte;
          res = await send(mutated, { "x-razorpay-signature": sig, "x-razorpay-event-id": `evt_mut_${a.at}` });
        } else if (a.kind === "garbage") {
          res = await send(a.body, { "x-razorpay-signature": a.signature.replace(/[^\x20-\x7e]/g, "") });
        } else if (a.kind === "signed-junk") {
          const body = JSON.stringify(a.json);
          signedValid = true;
          res = await send(body, {
            "x-razorpay-signature": await hmacSha256Hex(WEBHOOK_SECRET, body),
            "x-razorpay-event-id": `evt_junk_${validSent.size}_${Math.random()}`,
          });
        } else if (a.kind === "wrong-secret") {
          const body = validBody(a.order);
          res = await send(body, {
            "x-razorpay-signature": await hmacSha256Hex(a.secret === WEBHOOK_SECRET ? `${a.secret}x` : a.secret, body),
          });
        } else {
          const body = validBody(a.order);
          const sig = await hmacSha256Hex(WEBHOOK_SECRET, body);
          const mangled = {
            upper: sig.toUpperCase(),
            spaced: ` ${sig} `,
            truncated: sig.slice(0, 63),
            doubled: sig + sig,
          }[a.sigCase];
          // Hex is case-insensitive and surrounding spaces are trimmed: those two stay valid.
          signedValid = a.sigCase === "upper" || a.sigCase === "spaced";
          const eventId = a.eventId.replace(/[^\x20-\x7e]/g, "");
          if (signedValid && eventId.trim() && eventId.trim().length <= 200)
            validSent.set(eventId.trim(), (validSent.get(eventId.trim()) ?? 0) + 1);
          res = await send(body, { "x-razorpay-signature": mangled, "x-razorpay-event-id": eventId });
        }
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        await res.arrayBuffer();
        expect(res.status).toBeLessThan(500);
        if (!signedValid) {
          const after = await count(db, "webhook_events");
          if (after !== before) unsignedWrites++;
          expect(res.status === 401 || res.status === 413).toBe(true);
          expect(after).toBe(before);
        }
      }),
      { numRuns: runs, seed: SEED, endOnFailure: true },
    );
    // Exactly once: one event row per distinct valid id, one confirmation and one decrement per order.
    const [events] = await db.query<{ n: number }>(
      "select count(*)::int as n from webhook_events where event_id = any($1)",
      [[...validSent.keys()]],
    );
    expect(events?.n).toBe(validSent.size);
    const [stock] = await db.query<{ stock: number; confirmed: number; notes: number }>(
      `select (select stock from products where id = 'p1') as stock,
              (select count(*)::int from orders where status = 'CONFIRMED') as confirmed,
              (select count(*)::int from notifications where type = 'ORDER_CONFIRMED') as notes`,
    );
    expect(stock?.stock).toBe(1000 - (stock?.confirmed ?? 0));
    expect(stock?.notes).toBe(stock?.confirmed);
    await reportFigure("hostile-razorpay", {
      requests: runs,
      statuses,
      distinctValidEvents: validSent.size,
      validDeliveries: [...validSent.values()].reduce((a, b) => a + b, 0),
      ordersConfirmed: stock?.confirmed,
      unsignedWrites,
      seed: SEED,
    });
  }, 600_000);
});

describe("hostile input: courier webhook", () => {
  it("never 5xx and never writes without the right x-api-key", async () => {
    const runs = Math.ceil(chaosRuns() / 2);
    const statuses: Record<string, number> = {};
    let unkeyedWrites = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          key: fc.oneof(fc.constant("test-courier-token"), fc.string({ maxLength: 40 }), fc.constant("")),
          body: fc.oneof(
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
            fc
              .record({
                awb: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
                order_id: fc.oneof(fc.constantFrom("ORA-H1", "ORA-H2", "ORA-NOPE"), fc.string({ maxLength: 120 })),
                current_status: fc.oneof(
                  fc.constantFrom("SHIPPED", "IN TRANSIT", "DELIVERED", "RTO"),
                  fc.string({ maxLength: 120 }),
                ),
              })
              .map((v) => JSON.stringify(v)),
            fc.string({ maxLength: 500 }),
          ),
        }),
        async ({ key, body }) => {
          const before = await count(db, "webhook_events", "provider = 'courier'");
          const headers: Record<string, string> = { "content-type": "application/json" };
          const k = key.replace(/[^\x20-\x7e]/g, "");
          if (k) headers["x-api-key"] = k;
          const res = await callWorker(testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }), "/api/webhooks/courier", {
            headers,
            body,
          });
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          expect(res.status).toBeLessThan(500);
          if (k !== "test-courier-token") {
            const after = await count(db, "webhook_events", "provider = 'courier'");
            if (after !== before) unkeyedWrites++;
            expect(res.status).toBe(401);
            expect(after).toBe(before);
          }
        },
      ),
      { numRuns: runs, seed: SEED, endOnFailure: true },
    );
    await reportFigure("hostile-courier", { requests: runs, statuses, unkeyedWrites, seed: SEED });
  }, 600_000);
});
