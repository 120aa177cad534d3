import { rzpId } from "../../harness/razorpay";
import type { TestDatabase } from "../../harness/worker";
import { insertOrder, insertOrderItem, insertPayment, insertProduct, insertUser } from "./factories";

export interface Checkout {
  userId: string;
  orderId: string;
  orderNumber: string;
  razorpayOrderId: string;
  paymentRowId: string;
  productId: string;
  amount: number;
}

/** A storefront checkout: PENDING order with one item, a live lock, and a PENDING payment row. */
export async function checkout(
  db: TestDatabase,
  o: {
    stock?: number;
    quantity?: number;
    unitPrice?: number;
    lock?: "live" | "expired" | "none";
    transactionId?: "order" | string;
    createdAt?: Date;
    productId?: string;
  } = {},
): Promise<Checkout> {
  const quantity = o.quantity ?? 1;
  const unitPrice = o.unitPrice ?? 125_000_00;
  const amount = quantity * unitPrice;
  const userId = await insertUser(db);
  const productId = o.productId ?? (await insertProduct(db, { stock: o.stock ?? 10, price: unitPrice }));
  const razorpayOrderId = rzpId("order");
  const createdAt = o.createdAt ?? new Date();
  const order = await insertOrder(db, { userId, totalAmount: amount, razorpayOrderId, createdAt });
  await insertOrderItem(db, { orderId: order.id, productId, quantity, unitPrice });
  if ((o.lock ?? "live") !== "none") {
    const expires =
      o.lock === "expired" ? new Date(createdAt.getTime() - 1) : new Date(createdAt.getTime() + 15 * 60_000);
    await db.query("insert into inventory_locks (product_id, order_id, quantity, expires_at) values ($1, $2, $3, $4)", [
      productId,
      order.id,
      quantity,
      expires,
    ]);
  }
  const paymentRowId = await insertPayment(db, {
    orderId: order.id,
    transactionId: !o.transactionId || o.transactionId === "order" ? razorpayOrderId : o.transactionId,
    amount,
    createdAt,
  });
  return {
    userId,
    orderId: order.id,
    orderNumber: order.orderNumber,
    razorpayOrderId,
    paymentRowId,
    productId,
    amount,
  };
}

export async function orderState(db: TestDatabase, c: Checkout) {
  const [row] = await db.query<{
    order_status: string;
    payment_status: string;
    razorpay_payment_id: string | null;
    stock: number;
    locks: number;
    needs_review: boolean;
    refunded_amount: number;
    failure_reason: string | null;
  }>(
    `select o.status as order_status, p.status as payment_status, p.razorpay_payment_id, pr.stock,
            (select count(*)::int from inventory_locks l where l.order_id = o.id) as locks,
            p.needs_review, p.refunded_amount, p.failure_reason
     from orders o join payments p on p.id = $2 join products pr on pr.id = $3 where o.id = $1`,
    [c.orderId, c.paymentRowId, c.productId],
  );
  if (!row) throw new Error("no order state");
  return row;
}
