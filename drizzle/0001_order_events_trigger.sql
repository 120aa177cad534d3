-- Every new order and every change of orders.status, whoever writes it (storefront, admin panel or
-- this Worker), lands in the order_events outbox inside the writer's own transaction: an event can
-- neither be lost while the Worker is down nor exist for a change that rolled back.
CREATE OR REPLACE FUNCTION ora_capture_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO order_events (order_id, event_type, from_status, to_status)
    VALUES (NEW.id, 'ORDER_PLACED', NULL, NEW.status::text);
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO order_events (order_id, event_type, from_status, to_status)
    VALUES (NEW.id, 'STATUS_CHANGED', OLD.status::text, NEW.status::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS orders_capture_event ON orders;
--> statement-breakpoint
CREATE TRIGGER orders_capture_event
AFTER INSERT OR UPDATE OF status ON orders
FOR EACH ROW EXECUTE FUNCTION ora_capture_order_event();
