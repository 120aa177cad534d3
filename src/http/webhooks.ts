import { createMiddleware } from "hono/factory";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { requireSecret } from "../lib/config";
import { secretsEqual, sha256Hex, verifyHmacSha256Hex } from "../lib/crypto";
import { describeIssues } from "../lib/validation";
import { enqueueEmails } from "../notices/outbox";
import { settle } from "../payments/settle";
import { recordEvent } from "../payments/settlement-store";
import { parseRazorpayEvent, type SettleCommand } from "../payments/webhook-event";
import { applyCourierUpdate, courierTarget } from "../shipping/courier";
import { readBodyLimited } from "./body";
import { type Bound, withDeps } from "./context";
import { AppError } from "./errors";

export const webhooks = new Hono<Bound>();

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function parseJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(raw));
  } catch {
    throw new AppError("bad_request", "body is not valid JSON");
  }
}

/** What the signature check learned, for the handler after it (this route's own variable). */
type RazorpayEnv = Bound & {
  Variables: { razorpay: { eventId: string; type: string; command: SettleCommand } };
};

/**
 * Razorpay: the signature is checked over the raw bytes before anything is parsed or written (so
 * the body is read here, bounded, rather than by Hono's bodyLimit, which would hand us parsed text).
 */
const verifyRazorpay = createMiddleware<RazorpayEnv>(async (c, next) => {
  const raw = await readBodyLimited(c.req.raw);
  const signature = c.req.header("x-razorpay-signature");
  const secret = requireSecret(c.env, "RAZORPAY_WEBHOOK_SECRET");
  if (!signature || !(await verifyHmacSha256Hex(secret, raw, signature))) {
    throw new AppError("unauthorized", "missing or invalid X-Razorpay-Signature");
  }
  const parsed = parseRazorpayEvent(parseJson(raw));
  if (!parsed.ok) throw new AppError("bad_request", `malformed Razorpay event: ${parsed.message}`);
  const eventId = c.req.header("x-razorpay-event-id")?.trim() || `sha256:${await sha256Hex(raw)}`;
  if (eventId.length > 200) throw new AppError("bad_request", "x-razorpay-event-id is too long");
  c.set("razorpay", { eventId, type: parsed.type, command: parsed.command });
  await next();
});

// Everything after the check is one settlement (two round trips), well inside Razorpay's 5 s.
webhooks.post("/razorpay", verifyRazorpay, withDeps, async (c) => {
  const { eventId, type, command } = c.get("razorpay");
  const deps = c.get("deps");
  const now = deps.clock();
  const event = { id: eventId, type };
  let outcome: string;
  let orderId: string | null = null;
  if (command.action === "ignore") {
    outcome = (await recordEvent(deps.db, event, "ignored", { attempts: [], refunds: [], razorpayOrderId: null }, now))
      ? "ignored"
      : "duplicate";
  } else {
    const result = await settle(deps, { facts: command.facts, lookup: command.lookup, abandon: null }, now, event);
    outcome = result.outcome;
    orderId = result.orderId;
  }
  deps.log.info("webhook.razorpay", { eventId, type, outcome, orderId });
  return c.json({ status: outcome === "duplicate" ? "duplicate" : "processed", outcome });
});

// An AWB is a tracking number: it reaches customers' emails and notifications, so nothing else passes.
const CourierUpdate = z.looseObject({
  awb: z.pipe(
    z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
    z.string().check(z.regex(/^[A-Za-z0-9-]{4,40}$/, "must be 4–40 letters, digits or dashes")),
  ),
  order_id: z.pipe(
    z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
    z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an order number (letters, digits, - or _)")),
  ),
  current_status: z
    .string()
    .check(z.trim(), z.minLength(1), z.maxLength(40), z.regex(/^[A-Za-z _-]+$/, "must be a status word")),
  current_timestamp: z.optional(z.string().check(z.maxLength(40))),
});

/** The courier's key, checked before the body is read or the database opened. */
const courierKey = createMiddleware<Bound>(async (c, next) => {
  const token = requireSecret(c.env, "COURIER_WEBHOOK_TOKEN");
  const given = c.req.header("x-api-key") ?? "";
  if (!given || !(await secretsEqual(given, token))) throw new AppError("unauthorized", "missing or invalid x-api-key");
  await next();
});

webhooks.post("/courier", courierKey, withDeps, async (c) => {
  const body = CourierUpdate.safeParse(parseJson(await readBodyLimited(c.req.raw)));
  if (!body.success) {
    throw new AppError("bad_request", `malformed courier update: ${describeIssues(body.error, 1)}`);
  }
  const u = body.data;
  // The courier sends no event id: the update's own content identifies a redelivery.
  const eventId = `sha256:${await sha256Hex(`${u.awb}|${u.order_id}|${u.current_status.toUpperCase()}|${u.current_timestamp ?? ""}`)}`;
  const deps = c.get("deps");
  const result = await applyCourierUpdate(
    deps.db,
    {
      eventId,
      orderNumber: u.order_id,
      awb: u.awb,
      target: courierTarget(u.current_status),
      rawStatus: u.current_status,
    },
    deps.clock(),
  );
  if (result.outcome === "unknown_order") throw new AppError("not_found", `no order ${u.order_id}`);
  await enqueueEmails(deps, result.emailIds);
  deps.log.info("webhook.courier", { outcome: result.outcome, orderId: result.orderId });
  return c.json({ status: result.outcome === "duplicate" ? "duplicate" : "processed", outcome: result.outcome });
});
