import type { TestDatabase } from "../../harness/worker";

let seq = 0;
const uniq = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(++seq).toString(36)}`;

export async function insertUser(
  db: TestDatabase,
  u: { email?: string; isVerified?: boolean; isAdmin?: boolean; createdAt?: string | Date } = {},
): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `insert into users (email, name, is_verified, is_admin, created_at)
     values ($1, 'Test User', $2, $3, coalesce($4::timestamptz, now())) returning id`,
    [u.email ?? `${uniq("user")}@example.test`, u.isVerified ?? true, u.isAdmin ?? false, u.createdAt ?? null],
  );
  if (!row) throw new Error("no user");
  return row.id;
}

export async function insertProduct(
  db: TestDatabase,
  p: { name?: string; stock?: number; price?: number; threshold?: number | null; isActive?: boolean } = {},
): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `insert into products (name, sku, price, stock, low_stock_threshold, is_active)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [p.name ?? "Gold Ring", uniq("SKU"), p.price ?? 250_000, p.stock ?? 10, p.threshold ?? null, p.isActive ?? true],
  );
  if (!row) throw new Error("no product");
  return row.id;
}

export async function insertLock(
  db: TestDatabase,
  l: { productId: string; expiresAt: string | Date; quantity?: number; orderId?: string | null },
): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `insert into inventory_locks (product_id, order_id, quantity, expires_at) values ($1, $2, $3, $4) returning id`,
    [l.productId, l.orderId ?? null, l.quantity ?? 1, l.expiresAt],
  );
  if (!row) throw new Error("no lock");
  return row.id;
}

export async function insertOrder(
  db: TestDatabase,
  o: {
    userId: string;
    status?: string;
    totalAmount?: number;
    createdAt?: string | Date;
    orderNumber?: string;
    razorpayOrderId?: string | null;
  },
): Promise<{ id: string; orderNumber: string }> {
  const orderNumber = o.orderNumber ?? uniq("ORA");
  const [row] = await db.query<{ id: string }>(
    `insert into orders (order_number, user_id, status, total_amount, created_at, updated_at, razorpay_order_id)
     values ($1, $2, $3, $4, coalesce($5::timestamptz, now()), coalesce($5::timestamptz, now()), $6) returning id`,
    [
      orderNumber,
      o.userId,
      o.status ?? "PENDING",
      o.totalAmount ?? 250_000,
      o.createdAt ?? null,
      o.razorpayOrderId ?? null,
    ],
  );
  if (!row) throw new Error("no order");
  return { id: row.id, orderNumber };
}

export async function insertOrderItem(
  db: TestDatabase,
  i: { orderId: string; productId: string; quantity?: number; unitPrice?: number },
): Promise<void> {
  await db.query(`insert into order_items (order_id, product_id, quantity, unit_price) values ($1, $2, $3, $4)`, [
    i.orderId,
    i.productId,
    i.quantity ?? 1,
    i.unitPrice ?? 250_000,
  ]);
}

export async function insertPayment(
  db: TestDatabase,
  p: {
    orderId: string;
    status?: string;
    transactionId: string;
    amount?: number;
    currency?: string;
    createdAt?: string | Date;
    razorpayPaymentId?: string | null;
  },
): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `insert into payments (order_id, status, transaction_id, razorpay_payment_id, amount, currency, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, coalesce($7::timestamptz, now()), coalesce($7::timestamptz, now())) returning id`,
    [
      p.orderId,
      p.status ?? "PENDING",
      p.transactionId,
      p.razorpayPaymentId ?? null,
      p.amount ?? 250_000,
      p.currency ?? "INR",
      p.createdAt ?? null,
    ],
  );
  if (!row) throw new Error("no payment");
  return row.id;
}

export async function count(db: TestDatabase, table: string, where = "true", params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`, params);
  return row?.n ?? 0;
}
