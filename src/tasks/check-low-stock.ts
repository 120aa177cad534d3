import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { textArray } from "../db/sql-helpers";
import { adminRecipients, enqueueEmails, recordEmails } from "../notices/outbox";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  /** Overrides LOW_STOCK_THRESHOLD for products without their own threshold. */
  threshold: z.optional(z.int().check(z.minimum(0), z.maximum(1_000_000))),
  /** A product still low is mentioned again after this long, even if nothing changed. */
  reminderHours: z._default(z.int().check(z.minimum(1), z.maximum(24 * 7)), 24),
});

export interface LowStockItem {
  productId: string;
  name: string;
  sku: string;
  stock: number;
  available: number;
  threshold: number;
  reason: "new" | "worse" | "reminder";
  severity: "oversold" | "out_of_stock" | "low";
}

interface Row {
  id: string;
  name: string;
  sku: string;
  stock: number;
  threshold: number;
  available: number;
  last_available: number | null;
  last_alerted_at: Date | string | null;
  [key: string]: unknown;
}

/** Products at or below threshold; the per-product lock sum uses inventory_locks_product_expires_idx. */
export const lowStockQuery = (now: Date, fallback: number) => sql`
  select p.id, p.name, p.sku, p.stock,
         coalesce(p.low_stock_threshold, ${fallback})::int as threshold,
         (p.stock - coalesce(l.locked, 0))::int as available,
         st.last_available, st.last_alerted_at
  from products p
  left join lateral (
    select sum(il.quantity) as locked from inventory_locks il
    where il.product_id = p.id and il.expires_at > ${now}
  ) l on true
  left join low_stock_state st on st.product_id = p.id
  where p.is_active = true
    and p.stock - coalesce(l.locked, 0) <= coalesce(p.low_stock_threshold, ${fallback})`;

const SEVERITY_ORDER = { oversold: 0, out_of_stock: 1, low: 2 } as const;

/**
 * Active products whose available stock (stock minus unexpired locks) is at or below their
 * threshold. Admins hear of a product when it first crosses, when it falls further, and once a day
 * while it stays low; a product that recovers is re-armed. Oversold and out-of-stock come first.
 */
export const checkLowStock: Task = {
  name: "check-low-stock",
  cron: "0 * * * *",
  priority: "MEDIUM",
  description: "Alert the admins about products at or below their low-stock threshold",
  budgetMs: 25_000,
  deletes: false,
  settingsSchema: Settings,
  async run(deps, now) {
    const s = parseSettings(Settings, deps.settings, this.name);
    const fallback = s.threshold ?? deps.config.LOW_STOCK_THRESHOLD;
    const res = await deps.db.execute<Row>(lowStockQuery(now, fallback));
    const reminderCutoff = now.getTime() - s.reminderHours * 3_600_000;
    const low = res.rows;
    const items: LowStockItem[] = [];
    for (const r of low) {
      const lastAt = r.last_alerted_at === null ? null : new Date(r.last_alerted_at).getTime();
      const reason =
        r.last_available === null
          ? "new"
          : r.available < r.last_available
            ? "worse"
            : lastAt !== null && lastAt <= reminderCutoff
              ? "reminder"
              : null;
      if (!reason) continue;
      const severity = r.stock < 0 || r.available < 0 ? "oversold" : r.available === 0 ? "out_of_stock" : "low";
      items.push({
        productId: r.id,
        name: r.name,
        sku: r.sku,
        stock: r.stock,
        available: r.available,
        threshold: r.threshold,
        reason,
        severity,
      });
    }
    items.sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        a.available - b.available ||
        a.name.localeCompare(b.name),
    );
    const counts = {
      low: low.length,
      alerted: items.length,
      newlyLow: items.filter((i) => i.reason === "new").length,
      worse: items.filter((i) => i.reason === "worse").length,
      reminders: items.filter((i) => i.reason === "reminder").length,
      outOfStock: items.filter((i) => i.severity === "out_of_stock").length,
      oversold: items.filter((i) => i.severity === "oversold").length,
    };
    if (deps.dryRun) return { ...counts, dryRun: true };

    const recipients = items.length > 0 ? await adminRecipients(deps) : [];
    const lowIds = low.map((r) => r.id);
    const outcome = await deps.db.transaction(async (tx) => {
      // Recovered (or deactivated) products are re-armed: the next crossing alerts again. Both
      // statements stay set-based (one array or JSON parameter): thousands of low products would
      // otherwise be thousands of bind parameters.
      const recovered = await tx.execute(
        sql`delete from low_stock_state where not (product_id = any(${textArray(lowIds)}))`,
      );
      if (items.length === 0) return { recovered: recovered.rowCount ?? 0, notified: 0, emailIds: [] as string[] };
      await tx.execute(sql`
        insert into low_stock_state (product_id, last_available, last_alerted_at)
        select x.id, x.available, ${now}
        from jsonb_to_recordset(${JSON.stringify(items.map((i) => ({ id: i.productId, available: i.available })))}::jsonb)
          as x(id text, available int)
        on conflict (product_id) do update
          set last_available = excluded.last_available, last_alerted_at = excluded.last_alerted_at`);
      const title = `Low stock: ${items.length} product${items.length === 1 ? "" : "s"} need attention`;
      const message = items
        .slice(0, 10)
        .map((i) => `${i.name} (${i.sku}): ${i.available} available`)
        .join("; ");
      const notified = await tx.execute(sql`
        insert into notifications (user_id, type, title, message, metadata, dedupe_key)
        select u.id, 'LOW_STOCK_ALERT', ${title}, ${message},
               ${JSON.stringify({ products: items.map((i) => ({ id: i.productId, sku: i.sku, available: i.available, severity: i.severity })), at: now.toISOString() })}::jsonb,
               'low-stock/' || ${now.toISOString()} || '/' || u.id
        from users u where u.is_admin = true
        on conflict (dedupe_key) do nothing`);
      const emailIds = await recordEmails(
        tx,
        [
          {
            key: `low-stock/${now.toISOString()}`,
            kind: "low-stock",
            to: recipients,
            payload: { at: now.toISOString(), items },
          },
        ],
        now,
      );
      return { recovered: recovered.rowCount ?? 0, notified: notified.rowCount ?? 0, emailIds };
    });
    await enqueueEmails(deps, outcome.emailIds);
    return { ...counts, recovered: outcome.recovered, notified: outcome.notified, emailed: outcome.emailIds.length };
  },
};
