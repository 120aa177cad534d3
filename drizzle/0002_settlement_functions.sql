-- The money path and order-event delivery as database functions: each settlement is one statement,
-- so it is atomic (a dropped connection leaves nothing half done), one round trip from the Worker,
-- and the same code for the webhook, the reconciler and the admin API.

-- Delivers pending order events: the customer's notification row and email row, once per event
-- (dedupe keys like order-confirmed/<orderId>), then marks the event delivered.
CREATE OR REPLACE FUNCTION ora_deliver_order_events(p_order_id text, p_now timestamptz, p_limit integer)
RETURNS TABLE (r_seq bigint, r_email_id text)
LANGUAGE plpgsql AS $$
DECLARE
  ev record;
  o record;
  v_type text;
  v_title text;
  v_message text;
  v_key text;
  v_items jsonb;
  v_email_id text;
BEGIN
  FOR ev IN
    SELECT e.seq, e.order_id, e.event_type, e.to_status
    FROM order_events e
    WHERE e.delivered_at IS NULL AND (p_order_id IS NULL OR e.order_id = p_order_id)
    ORDER BY e.seq
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    v_email_id := NULL;
    SELECT od.id, od.order_number, od.user_id, od.total_amount, od.currency, od.tracking_number, od.created_at,
           u.email, u.name
      INTO o
      FROM orders od JOIN users u ON u.id = od.user_id
     WHERE od.id = ev.order_id;
    v_type := CASE
      WHEN ev.event_type = 'ORDER_PLACED' THEN 'ORDER_PLACED'
      WHEN ev.to_status = 'CONFIRMED' THEN 'ORDER_CONFIRMED'
      WHEN ev.to_status = 'SHIPPED' THEN 'ORDER_SHIPPED'
      WHEN ev.to_status = 'DELIVERED' THEN 'ORDER_DELIVERED'
      WHEN ev.to_status = 'CANCELLED' THEN 'ORDER_CANCELLED'
      WHEN ev.to_status = 'RETURN_APPROVED' THEN 'RETURN_APPROVED'
    END;
    IF v_type IS NOT NULL AND o.id IS NOT NULL THEN
      v_title := CASE v_type
        WHEN 'ORDER_PLACED' THEN 'Order Placed'
        WHEN 'ORDER_CONFIRMED' THEN 'Order Confirmed'
        WHEN 'ORDER_SHIPPED' THEN 'Order Shipped'
        WHEN 'ORDER_DELIVERED' THEN 'Order Delivered'
        WHEN 'ORDER_CANCELLED' THEN 'Order Cancelled'
        WHEN 'RETURN_APPROVED' THEN 'Return Approved'
      END;
      v_message := CASE v_type
        WHEN 'ORDER_PLACED' THEN 'We have received your order ' || o.order_number || ' and are waiting for the payment.'
        WHEN 'ORDER_CONFIRMED' THEN 'Your payment has been received and order is being prepared.'
        WHEN 'ORDER_SHIPPED' THEN 'Your order is on the way. Tracking: ' || coalesce(o.tracking_number, 'to follow')
        WHEN 'ORDER_DELIVERED' THEN 'Your order has been delivered. Please confirm receipt.'
        WHEN 'ORDER_CANCELLED' THEN 'Your order ' || o.order_number || ' has been cancelled. Any amount paid will be refunded.'
        WHEN 'RETURN_APPROVED' THEN 'Your return for order ' || o.order_number || ' has been approved.'
      END;
      v_key := lower(replace(v_type, '_', '-')) || '/' || o.id;
      INSERT INTO notifications (user_id, type, title, message, metadata, dedupe_key, created_at)
      VALUES (o.user_id, v_type, v_title, v_message,
              jsonb_build_object('orderId', o.id, 'orderNumber', o.order_number), v_key, p_now)
      ON CONFLICT (dedupe_key) DO NOTHING;
      SELECT coalesce(jsonb_agg(jsonb_build_object('name', p.name, 'sku', p.sku, 'quantity', oi.quantity,
                                                   'unitPrice', oi.unit_price) ORDER BY p.name), '[]'::jsonb)
        INTO v_items
        FROM order_items oi JOIN products p ON p.id = oi.product_id
       WHERE oi.order_id = o.id;
      INSERT INTO emails (idempotency_key, kind, to_addresses, payload, enqueued_at, created_at, updated_at)
      VALUES (v_key, 'order-status', ARRAY[o.email::text],
              jsonb_build_object('type', v_type, 'title', v_title, 'message', v_message, 'orderId', o.id,
                                 'orderNumber', o.order_number, 'customerName', o.name,
                                 'totalAmount', o.total_amount, 'currency', o.currency,
                                 'trackingNumber', o.tracking_number, 'orderCreatedAt', o.created_at,
                                 'at', p_now, 'items', v_items),
              p_now, p_now, p_now)
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id INTO v_email_id;
    END IF;
    UPDATE order_events SET delivered_at = p_now, attempts = attempts + 1 WHERE seq = ev.seq;
    r_seq := ev.seq;
    r_email_id := v_email_id;
    RETURN NEXT;
  END LOOP;
END
$$;
--> statement-breakpoint

-- Confirms, fails or refunds the order behind a Razorpay payment, or just records an ignored event.
-- With p_event_id, the webhook_events row is the dedupe claim: a concurrent duplicate waits on the
-- unique key and then answers 'duplicate'; if this transaction rolls back, the redelivery runs again.
CREATE OR REPLACE FUNCTION ora_settle_payment(
  p_action text,            -- confirm | fail | refund | ignore
  p_event_id text,          -- x-razorpay-event-id, or NULL outside webhooks
  p_event_type text,
  p_payment_id text,        -- pay_…
  p_rzp_order_id text,      -- order_…
  p_amount bigint,          -- captured amount (confirm) or this refund's amount (refund), paise
  p_currency text,
  p_method text,
  p_reason text,            -- failure reason
  p_amount_refunded bigint, -- Razorpay's cumulative amount_refunded, when it sent one
  p_admin_emails text[],
  p_now timestamptz
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_order_id text;
  v_order orders%ROWTYPE;
  v_pay payments%ROWTYPE;
  v_outcome text;
  v_review text;
  v_oversold jsonb := '[]'::jsonb;
  v_email_ids text[] := '{}';
  v_eid text;
  v_refunded bigint;
  v_admins text[];
BEGIN
  IF p_event_id IS NOT NULL THEN
    INSERT INTO webhook_events (provider, event_id, event_type, received_at)
    VALUES ('razorpay', p_event_id, coalesce(p_event_type, 'unknown'), p_now)
    ON CONFLICT (provider, event_id) DO NOTHING;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'duplicate', 'emailIds', '[]'::jsonb, 'oversold', '[]'::jsonb);
    END IF;
  END IF;

  IF p_action = 'ignore' THEN
    v_outcome := 'ignored';
  ELSE
    IF p_rzp_order_id IS NOT NULL THEN
      SELECT id INTO v_order_id FROM orders WHERE razorpay_order_id = p_rzp_order_id;
    END IF;
    IF v_order_id IS NULL THEN
      SELECT order_id INTO v_order_id FROM payments
       WHERE transaction_id = p_payment_id OR razorpay_payment_id = p_payment_id OR transaction_id = p_rzp_order_id
       ORDER BY created_at DESC LIMIT 1;
    END IF;
    -- The order row lock serialises every settlement of one order (webhook, reconciler, admin).
    SELECT * INTO v_order FROM orders WHERE id = v_order_id FOR UPDATE;
    IF v_order.id IS NULL THEN
      v_outcome := 'unknown_order';
    ELSE
      SELECT * INTO v_pay FROM payments pm
       WHERE pm.order_id = v_order.id
       ORDER BY (pm.razorpay_payment_id = p_payment_id OR pm.transaction_id = p_payment_id) IS TRUE DESC,
                (pm.status = 'PENDING') DESC, pm.created_at DESC
       LIMIT 1
       FOR UPDATE;

      IF p_action = 'confirm' THEN
        IF v_pay.id IS NOT NULL AND v_pay.status = 'CAPTURED' THEN
          IF v_pay.razorpay_payment_id IS NULL OR v_pay.razorpay_payment_id = p_payment_id THEN
            v_outcome := 'already_captured';
          ELSE
            v_outcome := 'duplicate_capture';
            v_review := format('order %s was captured twice: %s and %s', v_order.order_number,
                               v_pay.razorpay_payment_id, p_payment_id);
          END IF;
        ELSIF v_pay.id IS NOT NULL AND v_pay.status = 'REFUNDED' THEN
          v_outcome := 'ignored_refunded';
        ELSIF p_amount IS DISTINCT FROM v_order.total_amount::bigint
              OR upper(coalesce(p_currency, '')) <> upper(v_order.currency) THEN
          v_outcome := 'amount_mismatch';
          v_review := format('amount mismatch on order %s: Razorpay %s %s paise, order %s %s paise',
                             v_order.order_number, upper(coalesce(p_currency, '?')), coalesce(p_amount::text, '?'),
                             v_order.currency, v_order.total_amount);
          IF v_pay.id IS NOT NULL THEN
            UPDATE payments SET needs_review = true, review_reason = v_review,
                   razorpay_payment_id = coalesce(razorpay_payment_id, p_payment_id), updated_at = p_now
             WHERE id = v_pay.id;
          END IF;
        ELSE
          IF v_pay.id IS NULL THEN
            INSERT INTO payments (order_id, status, transaction_id, razorpay_payment_id, amount, currency, method,
                                  created_at, updated_at)
            VALUES (v_order.id, 'CAPTURED', p_payment_id, p_payment_id, p_amount, upper(p_currency), p_method,
                    p_now, p_now);
          ELSE
            UPDATE payments SET status = 'CAPTURED', razorpay_payment_id = p_payment_id,
                   method = coalesce(p_method, method), failure_reason = NULL, updated_at = p_now
             WHERE id = v_pay.id;
          END IF;
          -- A capture after a failure or abandonment still confirms: the customer paid.
          UPDATE orders SET status = 'CONFIRMED', updated_at = p_now
           WHERE id = v_order.id AND status IN ('PENDING', 'CANCELLED');
          IF FOUND THEN
            -- What was sold is the order's items (its locks may have expired); locks only stand in
            -- for an order the storefront wrote without items. Products are locked in id order so
            -- two confirmations sharing products cannot deadlock.
            PERFORM 1 FROM products
             WHERE id IN (SELECT product_id FROM order_items WHERE order_id = v_order.id
                          UNION SELECT product_id FROM inventory_locks WHERE order_id = v_order.id)
             ORDER BY id
             FOR UPDATE;
            WITH items AS (
              SELECT product_id, sum(quantity)::int AS q FROM order_items WHERE order_id = v_order.id GROUP BY product_id
            ), src AS (
              SELECT product_id, q FROM items
              UNION ALL
              SELECT product_id, sum(quantity)::int FROM inventory_locks
               WHERE order_id = v_order.id AND NOT EXISTS (SELECT 1 FROM items) GROUP BY product_id
            ), upd AS (
              UPDATE products p SET stock = p.stock - src.q, updated_at = p_now
                FROM src WHERE p.id = src.product_id
              RETURNING p.id, p.name, p.sku, p.stock
            )
            SELECT coalesce(jsonb_agg(jsonb_build_object('productId', id, 'name', name, 'sku', sku, 'stock', stock)
                                      ORDER BY name) FILTER (WHERE stock < 0), '[]'::jsonb)
              INTO v_oversold FROM upd;
            DELETE FROM inventory_locks WHERE order_id = v_order.id;
            v_outcome := 'confirmed';
          ELSE
            v_outcome := 'captured';
          END IF;
        END IF;

      ELSIF p_action = 'fail' THEN
        IF v_pay.id IS NOT NULL AND v_pay.status IN ('CAPTURED', 'REFUNDED') THEN
          v_outcome := 'ignored_captured'; -- a failure never undoes a capture
        ELSIF v_pay.id IS NOT NULL AND v_pay.status = 'FAILED' THEN
          v_outcome := 'already_failed';
        ELSE
          IF v_pay.id IS NOT NULL THEN
            UPDATE payments SET status = 'FAILED', failure_reason = left(coalesce(p_reason, 'payment failed'), 500),
                   razorpay_payment_id = coalesce(razorpay_payment_id, p_payment_id), updated_at = p_now
             WHERE id = v_pay.id;
          END IF;
          UPDATE orders SET status = 'CANCELLED', updated_at = p_now WHERE id = v_order.id AND status = 'PENDING';
          IF FOUND THEN
            DELETE FROM inventory_locks WHERE order_id = v_order.id;
            v_outcome := 'failed';
          ELSE
            v_outcome := 'failed_attempt';
          END IF;
        END IF;

      ELSIF p_action = 'refund' THEN
        IF v_pay.id IS NULL OR v_pay.status NOT IN ('CAPTURED', 'REFUNDED') THEN
          v_outcome := 'unknown_payment';
        ELSE
          v_refunded := greatest(v_pay.refunded_amount::bigint,
                                 coalesce(p_amount_refunded, v_pay.refunded_amount::bigint + coalesce(p_amount, 0)));
          IF v_refunded >= v_pay.amount THEN
            UPDATE payments SET refunded_amount = v_refunded, status = 'REFUNDED', updated_at = p_now WHERE id = v_pay.id;
            UPDATE orders SET status = 'REFUNDED', updated_at = p_now WHERE id = v_order.id AND status <> 'REFUNDED';
            v_outcome := 'refunded';
          ELSE
            UPDATE payments SET refunded_amount = v_refunded, updated_at = p_now WHERE id = v_pay.id;
            v_outcome := 'partial_refund';
          END IF;
        END IF;
      ELSE
        RAISE EXCEPTION 'unknown settlement action %', p_action;
      END IF;
    END IF;
  END IF;

  IF (v_review IS NOT NULL OR jsonb_array_length(v_oversold) > 0) THEN
    v_admins := CASE WHEN cardinality(p_admin_emails) > 0 THEN p_admin_emails
                     ELSE (SELECT array_agg(email ORDER BY email) FROM users WHERE is_admin) END;
  END IF;
  IF v_review IS NOT NULL AND cardinality(v_admins) > 0 THEN
    INSERT INTO emails (idempotency_key, kind, to_addresses, payload, enqueued_at, created_at, updated_at)
    VALUES ('payment-review/' || v_order.id || '/' || coalesce(p_payment_id, '-'), 'payment-review', v_admins,
            jsonb_build_object('orderId', v_order.id, 'orderNumber', v_order.order_number, 'paymentId', p_payment_id,
                               'reason', v_review, 'at', p_now),
            p_now, p_now, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_eid;
    IF v_eid IS NOT NULL THEN v_email_ids := v_email_ids || v_eid; END IF;
  END IF;
  IF jsonb_array_length(v_oversold) > 0 AND cardinality(v_admins) > 0 THEN
    v_eid := NULL;
    INSERT INTO emails (idempotency_key, kind, to_addresses, payload, enqueued_at, created_at, updated_at)
    VALUES ('oversell/' || v_order.id, 'oversell', v_admins,
            jsonb_build_object('orderId', v_order.id, 'orderNumber', v_order.order_number, 'products', v_oversold,
                               'at', p_now),
            p_now, p_now, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_eid;
    IF v_eid IS NOT NULL THEN v_email_ids := v_email_ids || v_eid; END IF;
  END IF;

  IF v_order.id IS NOT NULL THEN
    v_email_ids := v_email_ids || coalesce(
      (SELECT array_agg(r_email_id) FROM ora_deliver_order_events(v_order.id, p_now, 50) WHERE r_email_id IS NOT NULL),
      '{}');
  END IF;

  IF p_event_id IS NOT NULL THEN
    UPDATE webhook_events SET processed_at = p_now, outcome = v_outcome
     WHERE provider = 'razorpay' AND event_id = p_event_id;
  END IF;

  RETURN jsonb_build_object('outcome', v_outcome, 'orderId', v_order.id, 'orderNumber', v_order.order_number,
                            'review', v_review, 'oversold', v_oversold, 'emailIds', to_jsonb(v_email_ids));
END
$$;
--> statement-breakpoint

-- Applies a courier tracking update. An unknown order changes nothing (not even the event log).
-- Statuses only move forward: a late "IN TRANSIT" never undoes DELIVERED.
CREATE OR REPLACE FUNCTION ora_courier_update(
  p_event_id text, p_order_number text, p_awb text, p_target text, p_raw_status text, p_now timestamptz
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_order orders%ROWTYPE;
  v_outcome text;
  v_email_ids text[] := '{}';
BEGIN
  SELECT * INTO v_order FROM orders WHERE order_number = p_order_number FOR UPDATE;
  IF v_order.id IS NULL THEN
    RETURN jsonb_build_object('outcome', 'unknown_order', 'emailIds', '[]'::jsonb);
  END IF;
  INSERT INTO webhook_events (provider, event_id, event_type, received_at)
  VALUES ('courier', p_event_id, left(coalesce(p_raw_status, 'unknown'), 100), p_now)
  ON CONFLICT (provider, event_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'duplicate', 'orderId', v_order.id, 'emailIds', '[]'::jsonb);
  END IF;

  IF p_target = 'SHIPPED' THEN
    IF v_order.status IN ('CONFIRMED', 'PROCESSING') THEN
      UPDATE orders SET status = 'SHIPPED', tracking_number = p_awb, updated_at = p_now WHERE id = v_order.id;
      v_outcome := 'shipped';
    ELSIF v_order.status = 'SHIPPED' AND v_order.tracking_number IS DISTINCT FROM p_awb THEN
      UPDATE orders SET tracking_number = p_awb, updated_at = p_now WHERE id = v_order.id;
      v_outcome := 'tracking_updated';
    ELSIF v_order.status = 'SHIPPED' THEN
      v_outcome := 'unchanged';
    ELSE
      v_outcome := 'ignored_status_' || lower(v_order.status::text);
    END IF;
  ELSIF p_target = 'DELIVERED' THEN
    IF v_order.status IN ('CONFIRMED', 'PROCESSING', 'SHIPPED') THEN
      UPDATE orders SET status = 'DELIVERED', tracking_number = coalesce(tracking_number, p_awb), updated_at = p_now
       WHERE id = v_order.id;
      v_outcome := 'delivered';
    ELSIF v_order.status = 'DELIVERED' THEN
      v_outcome := 'unchanged';
    ELSE
      v_outcome := 'ignored_status_' || lower(v_order.status::text);
    END IF;
  ELSE
    v_outcome := 'ignored';
  END IF;

  v_email_ids := coalesce(
    (SELECT array_agg(r_email_id) FROM ora_deliver_order_events(v_order.id, p_now, 50) WHERE r_email_id IS NOT NULL),
    '{}');
  UPDATE webhook_events SET processed_at = p_now, outcome = v_outcome WHERE provider = 'courier' AND event_id = p_event_id;
  RETURN jsonb_build_object('outcome', v_outcome, 'orderId', v_order.id, 'emailIds', to_jsonb(v_email_ids));
END
$$;
