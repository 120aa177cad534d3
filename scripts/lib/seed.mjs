// Demo data for `npm start` on an empty embedded database: something for every task to do.
// Times are relative to now, so a fresh start always has expired locks, stale payments and so on.
export const SEED_SQL = `
create table if not exists ora_local_seed (seeded_at timestamptz not null);

insert into users (id, email, name, is_verified, is_admin, created_at) values
  ('u_admin', 'ops@ora-jewellery.example', 'Ops Desk', true, true, now() - interval '400 days'),
  ('u_asha', 'asha@example.com', 'Asha Rao', true, false, now() - interval '200 days'),
  ('u_ravi', 'ravi@example.com', 'Ravi Kumar', true, false, now() - interval '90 days'),
  ('u_meera', 'meera@example.com', 'Meera Iyer', true, false, now() - interval '20 days'),
  ('u_old1', 'never.verified.1@example.com', 'Old Unverified', false, false, now() - interval '45 days'),
  ('u_old2', 'never.verified.2@example.com', 'Old Unverified 2', false, false, now() - interval '33 days'),
  ('u_oldorder', 'unverified.buyer@example.com', 'Unverified With Order', false, false, now() - interval '60 days'),
  ('u_new', 'just.signed.up@example.com', 'New Unverified', false, false, now() - interval '3 days');

insert into products (id, name, sku, price, stock, low_stock_threshold, is_active) values
  ('p_necklace', 'Kundan Polki Necklace', 'NK-001', 12500000, 12, null, true),
  ('p_ring', 'Solitaire Diamond Ring', 'RG-014', 8999900, 3, null, true),
  ('p_jhumka', 'Temple Jhumka Earrings', 'ER-207', 2450000, 0, null, true),
  ('p_bangle', 'Antique Gold Bangle', 'BG-033', 6400000, 9, 10, true),
  ('p_anklet', 'Silver Payal Anklet', 'AN-002', 450000, 40, null, true),
  ('p_nosepin', 'Diamond Nose Pin', 'NP-010', 1250000, 6, null, true),
  ('p_mangalsutra', 'Mangalsutra Classic', 'MS-100', 7800000, 25, null, true),
  ('p_retired', 'Retired Pendant', 'PD-999', 999900, 0, null, false);

-- Orders in every status over the last 10 shop days.
insert into orders (id, order_number, user_id, status, total_amount, currency, tracking_number, razorpay_order_id, created_at, updated_at)
select 'o_' || g, 'ORA-DEMO-' || lpad(g::text, 4, '0'),
       (array['u_asha','u_ravi','u_meera','u_admin'])[1 + g % 4],
       (array['CONFIRMED','PROCESSING','SHIPPED','DELIVERED','DELIVERED','CANCELLED','RETURN_REQUESTED','RETURN_APPROVED','REFUNDED','CONFIRMED'])[1 + g % 10]::order_status,
       (array[12500000, 8999900, 2450000, 6400000, 450000])[1 + g % 5], 'INR',
       case when g % 10 in (2, 3, 4) then 'AWB' || (100000 + g) end,
       'order_demo' || g,
       now() - (g * interval '5 hours'), now() - (g * interval '5 hours')
from generate_series(1, 48) g;

insert into order_items (order_id, product_id, quantity, unit_price)
select o.id, (array['p_necklace','p_ring','p_jhumka','p_bangle','p_anklet'])[1 + (substr(o.id, 3)::int) % 5], 1, o.total_amount
from orders o where o.id like 'o\\_%';

insert into payments (order_id, status, transaction_id, razorpay_payment_id, amount, currency, method, created_at, updated_at)
select o.id,
       case when o.status = 'CANCELLED' then 'FAILED' when o.status = 'REFUNDED' then 'REFUNDED' else 'CAPTURED' end::payment_status,
       'pay_demo' || substr(o.id, 3), 'pay_demo' || substr(o.id, 3), o.total_amount, 'INR', 'upi', o.created_at, o.created_at
from orders o where o.id like 'o\\_%';

-- Checkouts still waiting: stale PENDING payments for the reconciler (the Razorpay stub knows them).
insert into orders (id, order_number, user_id, status, total_amount, razorpay_order_id, created_at, updated_at) values
  ('o_stale_captured', 'ORA-DEMO-S01', 'u_asha', 'PENDING', 8999900, 'order_stale_captured', now() - interval '25 minutes', now() - interval '25 minutes'),
  ('o_stale_failed', 'ORA-DEMO-S02', 'u_ravi', 'PENDING', 2450000, 'order_stale_failed', now() - interval '95 minutes', now() - interval '95 minutes'),
  ('o_stale_authorized', 'ORA-DEMO-S03', 'u_meera', 'PENDING', 450000, 'order_stale_authorized', now() - interval '15 minutes', now() - interval '15 minutes'),
  ('o_oldorder', 'ORA-DEMO-U01', 'u_oldorder', 'CANCELLED', 450000, 'order_unverified', now() - interval '50 days', now() - interval '50 days');
insert into order_items (order_id, product_id, quantity, unit_price) values
  ('o_stale_captured', 'p_ring', 1, 8999900), ('o_stale_failed', 'p_jhumka', 1, 2450000),
  ('o_stale_authorized', 'p_anklet', 1, 450000), ('o_oldorder', 'p_anklet', 1, 450000);
insert into payments (order_id, status, transaction_id, amount, currency, created_at, updated_at) values
  ('o_stale_captured', 'PENDING', 'order_stale_captured', 8999900, 'INR', now() - interval '25 minutes', now() - interval '25 minutes'),
  ('o_stale_failed', 'PENDING', 'order_stale_failed', 2450000, 'INR', now() - interval '95 minutes', now() - interval '95 minutes'),
  ('o_stale_authorized', 'PENDING', 'order_stale_authorized', 450000, 'INR', now() - interval '15 minutes', now() - interval '15 minutes');

insert into inventory_locks (product_id, order_id, user_id, quantity, expires_at) values
  ('p_ring', 'o_stale_captured', null, 1, now() + interval '5 minutes'),
  ('p_anklet', 'o_stale_authorized', null, 1, now() + interval '10 minutes'),
  ('p_necklace', null, 'u_meera', 1, now() - interval '20 minutes'),
  ('p_necklace', null, 'u_ravi', 2, now() - interval '2 hours'),
  ('p_nosepin', null, 'u_asha', 1, now() + interval '12 minutes'),
  ('p_bangle', null, 'u_old1', 1, now() - interval '1 day');

insert into notifications (user_id, type, title, message, metadata, is_read, created_at)
select (array['u_asha','u_ravi','u_meera'])[1 + g % 3], 'ORDER_DELIVERED', 'Order Delivered',
       'Your order has been delivered. Please confirm receipt.', '{}'::jsonb, g % 3 <> 0, now() - (g * interval '2 days')
from generate_series(1, 30) g;

insert into password_resets (user_id, token_hash, expires_at, used_at) values
  ('u_asha', 'demo-expired', now() - interval '3 hours', null),
  ('u_ravi', 'demo-used', now() + interval '30 minutes', now() - interval '10 minutes'),
  ('u_meera', 'demo-live', now() + interval '50 minutes', null);

-- The demo's history starts now: what happened before is delivered, not news.
update order_events set delivered_at = now();
insert into ora_local_seed values (now());
`;

/** What the local Razorpay stub should answer for the seeded stale checkouts. */
export const SEED_RAZORPAY = {
  payments: [
    { id: "pay_demo_stale_ok", order_id: "order_stale_captured", amount: 8999900, status: "captured", method: "card" },
    {
      id: "pay_demo_stale_fail",
      order_id: "order_stale_failed",
      amount: 2450000,
      status: "failed",
      error_description: "Payment declined by the bank",
    },
    { id: "pay_demo_stale_auth", order_id: "order_stale_authorized", amount: 450000, status: "authorized" },
  ],
};
