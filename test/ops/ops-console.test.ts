import { createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, razorpayStub, rzpId, signedRequest } from "../../harness/razorpay";
import { resendStub } from "../../harness/resend";
import {
  callWorker,
  RecordingQueue,
  TEST_ORIGIN,
  type TestDatabase,
  testCtx,
  testDeps,
  testEnv,
} from "../../harness/worker";
import worker from "../../src/index";
import { recordEmails } from "../../src/notices/outbox";
import { readSearchTerm, timeline } from "../../src/ops/order-desk";
import { checkout, orderState } from "../helpers/checkout";
import { count } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

const TOKEN = "test-admin-token";
const KEY = `rzp_test_console_${Date.now().toString(36)}`;
const MAIL_KEY = `re_console_${Date.now().toString(36)}`;
const razorpay = razorpayStub(KEY);
const resend = resendStub(MAIL_KEY);
let db: TestDatabase;
let queue: RecordingQueue;

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await razorpay.reset();
    await resend.reset();
    queue = new RecordingQueue();
  },
});

const env = () => testEnv(db, { RAZORPAY_KEY_ID: KEY, RESEND_API_KEY: MAIL_KEY, EMAIL_QUEUE: queue });
const basic = (user = "priya") => `Basic ${btoa(`${user}:${TOKEN}`)}`;

/** A browser at the console: Basic credentials, and a form post from the console's own origin. */
async function browse(
  path: string,
  opts: { form?: Record<string, string>; auth?: string | null; origin?: string; user?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.auth !== null) headers.authorization = opts.auth ?? basic(opts.user);
  if (opts.form) headers.origin = opts.origin ?? TEST_ORIGIN;
  const res = await callWorker(env(), path, { headers, body: opts.form && new URLSearchParams(opts.form) });
  return { status: res.status, location: res.headers.get("location"), html: await res.text(), headers: res.headers };
}

/** Delivers what the console put on EMAIL_QUEUE to the Worker's consumer, as the runtime would. */
async function deliverQueued() {
  const sent = queue.sent.splice(0);
  if (sent.length === 0) return;
  const batch = createMessageBatch(
    "ora-email",
    sent.map((m, i) => ({ id: `m${Date.now()}-${i}`, timestamp: new Date(), attempts: 1, body: m.body })),
  );
  const ctx = testCtx();
  await worker.queue(batch, env(), ctx);
  await getQueueResult(batch, ctx);
}

const PAGES = [
  "/admin",
  "/admin/search?q=ORA",
  "/admin/orders/ORA-NOPE",
  "/admin/emails?status=failed",
  "/admin/runs/nope",
  "/admin/tasks/cleanup-expired-locks",
  "/admin/reviews",
];

describe("the ops console", () => {
  it("every page answers 401 and nothing of its data without credentials, or with a wrong password", async () => {
    const c = await checkout(db);
    for (const path of [...PAGES, `/admin/orders/${c.orderNumber}`]) {
      for (const auth of [null, `Basic ${btoa("priya:wrong")}`]) {
        const res = await browse(path, { auth });
        expect(res.status, path).toBe(401);
        expect(res.html).not.toContain(c.orderNumber);
        expect(res.html).not.toContain("ORA JOBS");
      }
    }
  });

  it("every page has a title, a phone viewport and no script; the search box is labelled", async () => {
    const c = await checkout(db);
    for (const path of ["/admin", `/admin/orders/${c.orderNumber}`, "/admin/emails?status=sent", "/admin/reviews"]) {
      const res = await browse(path);
      expect(res.status, path).toBe(200);
      expect(res.html).toMatch(/<title>[^<]+ · ORA Jobs<\/title>/);
      expect(res.html).toContain('name="viewport"');
      expect(res.html).toContain('<label for="q"');
      expect(res.html).not.toContain("<script");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("a post from another origin is refused (403) and changes nothing", async () => {
    const c = await checkout(db);
    await razorpay.seed([
      paymentEntity({ id: rzpId("pay"), orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
    ]);
    const res = await browse(`/admin/orders/${c.orderNumber}/reconcile`, { form: {}, origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect((await orderState(db, c)).order_status).toBe("PENDING");
    expect((await razorpay.stats()).requests).toBe(0);
  });
});

describe("search", () => {
  it("reads what was typed", () => {
    expect(readSearchTerm(" Priya@Example.com ")).toEqual({ kind: "email", value: "Priya@Example.com" });
    expect(readSearchTerm("pay_ABC")).toEqual({ kind: "payment", value: "pay_ABC" });
    expect(readSearchTerm("order_ABC")).toEqual({ kind: "razorpay-order", value: "order_ABC" });
    expect(readSearchTerm("ora-1")).toEqual({ kind: "order-number", value: "ora-1" });
    expect(readSearchTerm("   ")).toHaveProperty("problem");
    expect(readSearchTerm("x".repeat(201))).toHaveProperty("problem");
  });

  it("finds an order by its number, its customer's email, its Razorpay order id and a payment id", async () => {
    const c = await checkout(db);
    const other = await checkout(db);
    const pay = rzpId("pay");
    await db.query("update payments set razorpay_payment_id = $1 where id = $2", [pay, c.paymentRowId]);
    const [u] = await db.query<{ email: string }>("select email from users where id = $1", [c.userId]);
    for (const q of [
      c.orderNumber,
      ` ${c.orderNumber} `,
      u?.email ?? "",
      (u?.email ?? "").toUpperCase(),
      c.razorpayOrderId,
      pay,
    ]) {
      const res = await browse(`/admin/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(res.html, q).toContain(`href="/admin/orders/${c.orderNumber}"`);
      expect(res.html, q).not.toContain(other.orderNumber);
    }
  });

  it("says so when nothing matches (200), and asks for something when the box is empty", async () => {
    const none = await browse("/admin/search?q=pay_doesnotexist");
    expect(none.status).toBe(200);
    expect(none.html).toContain('id="no-results"');
    const empty = await browse("/admin/search?q=");
    expect(empty.status).toBe(200);
    expect(empty.html).toContain('id="problem"');
  });
});

describe("the order page", () => {
  it("404 for an unknown order", async () => {
    const res = await browse("/admin/orders/ORA-NOPE");
    expect(res.status).toBe(404);
  });

  it("shows every webhook event about the order, its attempts, notices and emails, in one timeline", async () => {
    const c = await checkout(db);
    const failed = rzpId("pay");
    const captured = rzpId("pay");
    const deliver = async (type: string, id: string, status: string) => {
      const body = eventBody(type, {
        payment: { entity: paymentEntity({ id, orderId: c.razorpayOrderId, amount: c.amount, status }) },
      });
      const res = await callWorker(env(), await signedRequest(body, { eventId: rzpId("evt") }));
      expect(res.status).toBe(200);
    };
    await deliver("payment.failed", failed, "failed");
    await deliver("payment.captured", captured, "captured");
    const res = await browse(`/admin/orders/${c.orderNumber}`);
    expect(res.status).toBe(200);
    expect(res.html).toContain(failed);
    expect(res.html).toContain(captured);
    expect(res.html).toContain("payment.failed");
    expect(res.html).toContain("payment.captured");
    expect(res.html).toContain("ORDER_CONFIRMED");
    expect(res.html).toMatch(/email · order-status/);
    // The timeline is ordered: the failed attempt's event before the capture's.
    const tl = res.html.slice(res.html.indexOf('id="timeline"'));
    expect(tl.indexOf("payment.failed")).toBeGreaterThan(0);
    expect(tl.indexOf("payment.failed")).toBeLessThan(tl.indexOf("payment.captured"));
  });

  it("Ask Razorpay now settles a pending order through the webhook's path and keeps what it learned", async () => {
    const c = await checkout(db, { stock: 3 });
    const pay = rzpId("pay");
    await razorpay.seed(
      [paymentEntity({ id: pay, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" })],
      [c.razorpayOrderId],
    );
    const res = await browse(`/admin/orders/${c.orderNumber}/reconcile`, { form: {} });
    expect(res.status).toBe(303);
    expect(res.location).toMatch(new RegExp(`^/admin/orders/${c.orderNumber}\\?done=`));
    expect(decodeURIComponent(res.location ?? "")).toContain("The order is CONFIRMED");
    const state = await orderState(db, c);
    expect(state).toMatchObject({ order_status: "CONFIRMED", payment_status: "CAPTURED", stock: 2, locks: 0 });
    expect(await count(db, "payment_checks", "order_id = $1 and source = 'console'", [c.orderId])).toBe(1);
    expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
    // A second click settles nothing twice.
    await browse(`/admin/orders/${c.orderNumber}/reconcile`, { form: {} });
    expect((await orderState(db, c)).stock).toBe(2);
    expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
    const page = await browse(res.location ?? "");
    expect(page.html).toContain('id="notice"');
    expect(page.html).toContain("asked Razorpay (operator)");
  });

  it("timeline() orders entries by time whatever their kind", () => {
    const base = {
      id: "o1",
      orderNumber: "ORA-1",
      status: "CONFIRMED",
      totalAmount: 100,
      currency: "INR",
      trackingNumber: null,
      razorpayOrderId: null,
      createdAt: "2026-11-28T10:00:00Z",
      updatedAt: "2026-11-28T10:05:00Z",
      email: "a@b.c",
      name: null,
      items: [],
      payments: [],
      attempts: [],
      refunds: [],
      checks: [],
      notifications: [],
    };
    const entries = timeline({
      ...base,
      events: [
        {
          provider: "razorpay",
          eventId: "e2",
          eventType: "order.paid",
          outcome: "confirmed",
          receivedAt: "2026-11-28T10:03:00Z",
        },
      ],
      statusChanges: [{ fromStatus: "PENDING", toStatus: "CONFIRMED", createdAt: "2026-11-28T10:03:00.001Z" }],
      emails: [
        {
          id: "m",
          kind: "order-status",
          subject: "Confirmed",
          to: ["a@b.c"],
          status: "sent",
          attempts: 1,
          resends: 0,
          lastError: null,
          createdAt: "2026-11-28T10:03:00.002Z",
          sentAt: "2026-11-28T10:04:00Z",
        },
      ],
    });
    expect(entries.map((e) => e.what)).toEqual(["order placed", "razorpay webhook", "status", "email sent"]);
    const times = entries.map((e) => e.at);
    expect([...times].sort()).toEqual(times);
  });
});

describe("emails", () => {
  it("a failed email is resent once, however often the button is pressed, and delivered once", async () => {
    const deps = testDeps(db, { env: { RESEND_API_KEY: MAIL_KEY } });
    const to = `refused-${Date.now()}@example.com`;
    const [id] = await recordEmails(
      deps.db,
      [
        {
          key: `test-resend/${to}`,
          kind: "task-alert",
          to: [to],
          payload: { title: "Resend me", message: "m", severity: "warning", task: "t", at: new Date().toISOString() },
        },
      ],
      new Date(),
    );
    await deps.close();
    if (!id) throw new Error("not recorded");
    // Resend refuses it first (as a suppressed address would be), so it is failed.
    await resend.faults([{ kind: "422", times: 1, match: to }]);
    queue.sent.push({ body: { emailId: id } });
    await deliverQueued();
    const [before] = await db.query<{ status: string }>("select status from emails where id = $1", [id]);
    expect(before?.status).toBe("failed");

    const list = await browse("/admin/emails?status=failed");
    expect(list.html).toContain(to);
    expect(list.html).toContain(`action="/admin/emails/${id}/resend"`);

    // A double click: two posts at once; only one re-queues.
    const clicks = await Promise.all(
      [1, 2].map(() => browse(`/admin/emails/${id}/resend`, { form: { back: "/admin/emails?status=failed" } })),
    );
    for (const c of clicks) expect(c.status).toBe(303);
    expect(clicks.filter((c) => decodeURIComponent(c.location ?? "").includes("queued again"))).toHaveLength(1);
    expect(queue.sent).toHaveLength(1);
    await deliverQueued();

    const [after] = await db.query<{ status: string; resends: number }>(
      "select status, resends from emails where id = $1",
      [id],
    );
    expect(after).toMatchObject({ status: "sent", resends: 1 });
    const accepted = (await resend.emails()).emails.filter((e) => e.to.includes(to));
    expect(accepted).toHaveLength(1);
    // A resend after it went out does nothing.
    const late = await browse(`/admin/emails/${id}/resend`, { form: {} });
    expect(decodeURIComponent(late.location ?? "")).toContain("Nothing done: the email is sent");
    expect(queue.sent).toHaveLength(0);
  });

  it("an unknown status is a 400; an unknown email's resend is a 404", async () => {
    expect((await browse("/admin/emails?status=lost")).status).toBe(400);
    expect((await browse("/admin/emails/nope/resend", { form: {} })).status).toBe(404);
  });

  it("a back link to another site is not followed", async () => {
    const res = await browse("/admin/emails/nope2/resend", { form: { back: "//evil.example/admin" } });
    expect(res.status).toBe(404);
    const r2 = await browse("/admin/tasks/check-low-stock/pause", { form: { back: "https://evil.example/" } });
    expect(r2.location).toMatch(/^\/admin\?done=/);
    await browse("/admin/tasks/check-low-stock/resume", { form: {} });
  });
});

describe("runs and tasks", () => {
  it("the overview's word is the health endpoint's: a paused HIGH task is degraded on both", async () => {
    const overall = async () => /id="overall">([a-z]+)</.exec((await browse("/admin")).html)?.[1];
    const health = async () =>
      ((await (await callWorker(env(), "/api/health/cron")).json()) as { status: string }).status;
    expect(await overall()).toBe(await health());
    await browse("/admin/tasks/reconcile-stale-payments/pause", { form: {} });
    try {
      expect(await health()).not.toBe("ok");
      expect(await overall()).toBe(await health());
    } finally {
      await browse("/admin/tasks/reconcile-stale-payments/resume", { form: {} });
    }
  });

  it("run now goes to the run's page, which shows its result and the task's recent runs", async () => {
    const res = await browse("/admin/tasks/cleanup-expired-locks/run", { form: { dryRun: "true" } });
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/admin\/runs\/[^?]+\?done=/);
    const page = await browse(res.location ?? "");
    expect(page.status).toBe(200);
    expect(page.html).toContain("wouldDelete");
    expect(page.html).toContain("(dry run)");
    expect(page.html).toContain('id="recent"');
    expect((await browse("/admin/runs/no-such-run")).status).toBe(404);
  });

  it("a bad setting is shown back with its reason and changes nothing; a good one is saved", async () => {
    const task = "cleanup-expired-locks";
    const before = await count(db, "task_settings", "task_name = $1", [task]);
    const bad = await browse(`/admin/tasks/${task}/settings`, { form: { batchSize: "ten" } });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('id="problem"');
    expect(bad.html).toContain("batchSize");
    expect(bad.html).toContain('value="ten"');
    expect(await count(db, "task_settings", "task_name = $1", [task])).toBe(before);
    const tooBig = await browse(`/admin/tasks/${task}/settings`, { form: { batchSize: "99999999" } });
    expect(tooBig.status).toBe(400);
    const good = await browse(`/admin/tasks/${task}/settings`, { form: { batchSize: "2000" } });
    expect(good.status).toBe(303);
    const [row] = await db.query<{ settings: Record<string, unknown> }>(
      "select settings from task_settings where task_name = $1",
      [task],
    );
    expect(row?.settings).toEqual({ batchSize: 2000 });
    await db.query("delete from task_settings where task_name = $1", [task]);
  });

  it("a cron override is previewed before it is saved; a cron that never fires is refused", async () => {
    const task = "check-low-stock";
    const preview = await browse(`/admin/tasks/${task}/schedule`, { form: { cron: "15 9 * * *", action: "preview" } });
    expect(preview.status).toBe(200);
    expect(preview.html).toContain('id="preview"');
    expect(preview.html).toMatch(/09:15/);
    expect(await count(db, "task_settings", "task_name = $1 and schedule_override is not null", [task])).toBe(0);
    const never = await browse(`/admin/tasks/${task}/schedule`, { form: { cron: "0 0 30 2 *", action: "save" } });
    expect(never.status).toBe(400);
    expect(never.html).toContain("never fires");
    expect(await count(db, "task_settings", "task_name = $1 and schedule_override is not null", [task])).toBe(0);
    const saved = await browse(`/admin/tasks/${task}/schedule`, { form: { cron: "15 9 * * *", action: "save" } });
    expect(saved.status).toBe(303);
    expect(await count(db, "task_settings", "task_name = $1 and schedule_override = '15 9 * * *'", [task])).toBe(1);
    const page = await browse(`/admin/tasks/${task}`);
    expect(page.html).toContain("override");
    await browse(`/admin/tasks/${task}/schedule`, { form: { action: "remove" } });
    expect(await count(db, "task_settings", "task_name = $1 and schedule_override is not null", [task])).toBe(0);
  });
});

describe("payments needing review", () => {
  it("are listed and resolved with who, when and why; a second resolve changes nothing", async () => {
    const c = await checkout(db);
    await db.query(
      "update payments set needs_review = true, review_reason = 'amount mismatch: paid 1, expected 2' where id = $1",
      [c.paymentRowId],
    );
    const page = await browse("/admin/reviews");
    expect(page.html).toContain(c.orderNumber);
    expect(page.html).toContain("amount mismatch");
    const empty = await browse(`/admin/reviews/${c.paymentRowId}/resolve`, { form: { note: "  " } });
    expect(empty.location).toContain("problem=");
    // Every refusal of the note comes back beside the form, not as an error page.
    const long = await browse(`/admin/reviews/${c.paymentRowId}/resolve`, { form: { note: "x".repeat(501) } });
    expect(long.status).toBe(303);
    expect(decodeURIComponent(long.location ?? "")).toContain("longer than 500 characters");
    expect(await count(db, "payments", "id = $1 and needs_review", [c.paymentRowId])).toBe(1);
    const done = await browse(`/admin/reviews/${c.paymentRowId}/resolve`, {
      form: { note: "refunded the difference" },
      user: "asha",
    });
    expect(decodeURIComponent(done.location ?? "")).toContain("Resolved by asha");
    const [row] = await db.query<{
      needs_review: boolean;
      review_resolved_by: string;
      review_note: string;
      review_resolved_at: Date | null;
    }>("select needs_review, review_resolved_by, review_note, review_resolved_at from payments where id = $1", [
      c.paymentRowId,
    ]);
    expect(row).toMatchObject({
      needs_review: false,
      review_resolved_by: "asha",
      review_note: "refunded the difference",
    });
    expect(row?.review_resolved_at).not.toBeNull();
    const again = await browse(`/admin/reviews/${c.paymentRowId}/resolve`, { form: { note: "again" }, user: "ravi" });
    expect(decodeURIComponent(again.location ?? "")).toContain("Already resolved");
    expect(await count(db, "payments", "id = $1 and review_resolved_by = 'asha'", [c.paymentRowId])).toBe(1);
    const after = await browse("/admin/reviews");
    expect(after.html).toContain("asha: refunded the difference");
  });
});
