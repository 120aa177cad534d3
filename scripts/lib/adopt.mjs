// Adopting a storefront's database (docs/CONTRACT.md §1): its tables already exist, made by its own
// ORM. We check that every column the worker relies on is there with a compatible type, then create
// only what the worker adds — its tables, columns, indexes (concurrently on storefront tables), the
// order-events trigger — derived from the same migration files an empty database gets, and finally
// record those migrations as applied so later ones run the ordinary way. Storefront rows and column
// types are never changed; every statement on a storefront table runs with a short lock_timeout.
import { readMigrationFiles } from "drizzle-orm/migrator";

/** Type families the worker can work with, by information_schema udt_name. */
const FAMILY = {
  id: ["text", "varchar", "bpchar"],
  text: ["text", "varchar", "bpchar", "citext"],
  int: ["int2", "int4", "int8"],
  bool: ["bool"],
  json: ["jsonb"],
  time: ["timestamptz", "timestamp"],
  // A Postgres enum (any name) or a text column with a CHECK holding the contract's words.
  status: ["text", "varchar", "@enum"],
};

/** docs/CONTRACT.md §1: the storefront columns the worker relies on. */
export const STOREFRONT = {
  users: { id: "id", email: "text", name: "text", is_verified: "bool", is_admin: "bool", created_at: "time" },
  products: {
    id: "id",
    name: "text",
    sku: "text",
    price: "int",
    stock: "int",
    low_stock_threshold: "int",
    is_active: "bool",
    created_at: "time",
    updated_at: "time",
  },
  inventory_locks: {
    id: "id",
    product_id: "id",
    order_id: "id",
    quantity: "int",
    expires_at: "time",
    created_at: "time",
  },
  orders: {
    id: "id",
    order_number: "text",
    user_id: "id",
    status: "status",
    total_amount: "int",
    currency: "text",
    tracking_number: "text",
    razorpay_order_id: "text",
    created_at: "time",
    updated_at: "time",
  },
  order_items: { id: "id", order_id: "id", product_id: "id", quantity: "int", unit_price: "int" },
  payments: {
    id: "id",
    order_id: "id",
    status: "status",
    transaction_id: "text",
    razorpay_payment_id: "text",
    amount: "int",
    currency: "text",
    method: "text",
    failure_reason: "text",
    created_at: "time",
    updated_at: "time",
  },
  notifications: {
    id: "id",
    user_id: "id",
    type: "text",
    title: "text",
    message: "text",
    metadata: "json",
    is_read: "bool",
    created_at: "time",
  },
  password_resets: {
    id: "id",
    user_id: "id",
    token_hash: "text",
    expires_at: "time",
    used_at: "time",
    created_at: "time",
  },
};
const STOREFRONT_TABLES = new Set(Object.keys(STOREFRONT));

/** Columns the worker adds to storefront tables (they sit inside our own CREATE TABLEs). */
const WORKER_COLUMNS = [
  { table: "payments", sql: `ADD COLUMN IF NOT EXISTS "refunded_amount" integer DEFAULT 0 NOT NULL` },
  { table: "payments", sql: `ADD COLUMN IF NOT EXISTS "needs_review" boolean DEFAULT false NOT NULL` },
  { table: "payments", sql: `ADD COLUMN IF NOT EXISTS "review_reason" text` },
  { table: "payments", sql: `ADD COLUMN IF NOT EXISTS "last_checked_at" timestamp with time zone` },
  { table: "inventory_locks", sql: `ADD COLUMN IF NOT EXISTS "user_id" text` },
  { table: "notifications", sql: `ADD COLUMN IF NOT EXISTS "dedupe_key" text` },
];
/** Unique indexes that stood as table constraints in our CREATE TABLEs. */
const WORKER_UNIQUE = [
  `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "notifications_dedupe_key_unique" ON "notifications" ("dedupe_key")`,
];

/** Is this a storefront database the worker has not adopted yet? */
export async function needsAdoption(client) {
  const r = await client.query(`
    select to_regclass('public.orders') is not null as storefront,
           to_regclass('drizzle.__drizzle_migrations') is not null as managed`);
  return r.rows[0].storefront && !r.rows[0].managed;
}

/** Every missing or incompatible column, in words; empty when the storefront fits the contract. */
export async function storefrontProblems(client) {
  const r = await client.query(
    `select c.table_name, c.column_name, c.udt_name, t.typtype
     from information_schema.columns c
     join pg_type t on t.typname = c.udt_name
     where c.table_schema = 'public' and c.table_name = any($1)`,
    [[...STOREFRONT_TABLES]],
  );
  const have = new Map(r.rows.map((x) => [`${x.table_name}.${x.column_name}`, x]));
  const problems = [];
  for (const [table, columns] of Object.entries(STOREFRONT)) {
    for (const [column, family] of Object.entries(columns)) {
      const c = have.get(`${table}.${column}`);
      if (!c) {
        problems.push(`${table}.${column} is missing`);
        continue;
      }
      const ok = FAMILY[family].includes(c.udt_name) || (FAMILY[family].includes("@enum") && c.typtype === "e");
      if (!ok) {
        const hint = c.udt_name === "uuid" ? " (uuid ids are not supported yet: the worker compares ids as text)" : "";
        problems.push(
          `${table}.${column} is ${c.udt_name}, the worker needs ${family} (${FAMILY[family].join(" or ")})${hint}`,
        );
      }
    }
  }
  return problems;
}

const tableOf = (stmt) =>
  /^\s*(?:CREATE TABLE|ALTER TABLE|CREATE (?:UNIQUE )?INDEX \S+ ON|CREATE TRIGGER [\s\S]*? ON) "?([a-z_]+)"?/i.exec(
    stmt,
  )?.[1];

/**
 * The worker's part of every migration, made safe to run on a storefront's live tables. Returns the
 * statements with what each does, in order.
 */
export function adoptionPlan(migrationsFolder, from = 0) {
  const plan = [];
  for (const m of readMigrationFiles({ migrationsFolder }).slice(from)) {
    for (const chunk of m.sql) {
      for (const raw of chunk.split(/;\s*(?=ALTER TABLE|CREATE )/)) {
        // Later migrations write storefront indexes IF NOT EXISTS (see prebuildStorefrontIndexes):
        // read them as plain CREATE INDEX, which the plan rewrites for its own use.
        const stmt = raw
          .trim()
          .replace(/;$/, "")
          .replace(/^CREATE (UNIQUE )?INDEX IF NOT EXISTS/i, (_m, u) => `CREATE ${u ?? ""}INDEX`);
        if (!stmt) continue;
        const table = tableOf(stmt);
        const onStorefront = table !== undefined && STOREFRONT_TABLES.has(table);
        if (/^CREATE TYPE "public"\."(order_status|payment_status)"/.test(stmt)) continue; // theirs
        if (/^CREATE TABLE/i.test(stmt)) {
          if (onStorefront) continue; // theirs
          plan.push({
            what: `create table ${table}`,
            sql: stmt.replace(/^CREATE TABLE/i, "CREATE TABLE IF NOT EXISTS"),
          });
        } else if (/^ALTER TABLE [^\n]* ADD CONSTRAINT/i.test(stmt)) {
          if (onStorefront) continue; // the storefront's own relationships
          const name = /ADD CONSTRAINT "([^"]+)"/.exec(stmt)?.[1];
          plan.push({ what: `add constraint ${name}`, sql: stmt, constraint: name });
        } else if (/^CREATE (UNIQUE )?INDEX/i.test(stmt)) {
          const name = /INDEX "([^"]+)"/.exec(stmt)?.[1];
          plan.push({
            what: `create index ${name} on ${table}${onStorefront ? " (concurrently)" : ""}`,
            sql: onStorefront
              ? stmt.replace(/^CREATE (UNIQUE )?INDEX/i, (_m, u) => `CREATE ${u ?? ""}INDEX CONCURRENTLY IF NOT EXISTS`)
              : stmt.replace(/^CREATE (UNIQUE )?INDEX/i, (_m, u) => `CREATE ${u ?? ""}INDEX IF NOT EXISTS`),
            index: name,
            concurrently: onStorefront,
          });
        } else if (/^ALTER TABLE [^\n]* ADD COLUMN/i.test(stmt)) {
          plan.push({
            what: `add column on ${table}`,
            sql: stmt.replace(/ADD COLUMN "/i, 'ADD COLUMN IF NOT EXISTS "'),
            storefront: onStorefront,
          });
        } else {
          // Functions, the trigger on orders, drops of our own old functions, backfills of our tables.
          plan.push({
            what:
              stmt
                .split("\n")
                .find((l) => l.trim() && !l.trim().startsWith("--"))
                ?.slice(0, 80) ?? "statement",
            sql: stmt,
            storefront: onStorefront,
          });
        }
      }
    }
  }
  // The worker's own columns on storefront tables, then their unique index.
  const firstIndex = plan.findIndex((p) => p.index);
  const columns = WORKER_COLUMNS.map((c) => ({
    what: `add column on ${c.table}: ${c.sql.split('"')[1]}`,
    sql: `ALTER TABLE "${c.table}" ${c.sql}`,
    storefront: true,
  }));
  plan.splice(firstIndex === -1 ? plan.length : firstIndex, 0, ...columns);
  plan.push(
    ...WORKER_UNIQUE.map((sql) => ({
      what: "create unique index notifications_dedupe_key_unique (concurrently)",
      sql,
      index: "notifications_dedupe_key_unique",
      concurrently: true,
    })),
    {
      what: "add constraint inventory_locks_user_id_users_id_fk (not valid: no scan of existing rows)",
      sql: `ALTER TABLE "inventory_locks" ADD CONSTRAINT "inventory_locks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade NOT VALID`,
      constraint: "inventory_locks_user_id_users_id_fk",
      storefront: true,
    },
  );
  return plan;
}

/**
 * Adopts the database: check, then apply the plan statement by statement (concurrent index builds
 * cannot run in a transaction), skipping what exists. Returns the lines it did.
 */
export async function adopt(client, migrationsFolder, log = console.log) {
  const problems = await storefrontProblems(client);
  if (problems.length > 0) {
    const err = new Error(
      `the storefront database does not fit the contract (nothing was changed):\n  - ${problems.join("\n  - ")}`,
    );
    err.problems = problems;
    throw err;
  }
  const done = [];
  await client.query("set lock_timeout = '5s'");
  for (const step of adoptionPlan(migrationsFolder)) {
    if (step.constraint) {
      const r = await client.query("select 1 from pg_constraint where conname = $1", [step.constraint]);
      if (r.rowCount > 0) continue;
    }
    if (step.index) {
      const r = await client.query(
        "select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = $1",
        [step.index],
      );
      if (r.rowCount > 0 && r.rows[0].indisvalid) continue;
      // A concurrent build that was interrupted leaves an invalid index behind: build it again.
      if (r.rowCount > 0) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS "${step.index}"`);
    }
    if (step.sql.startsWith("CREATE TABLE IF NOT EXISTS")) {
      const name = step.what.replace("create table ", "");
      const r = await client.query("select to_regclass($1) is not null as exists", [`public.${name}`]);
      if (r.rows[0].exists) continue;
    }
    if (/ADD COLUMN IF NOT EXISTS "([^"]+)"/.test(step.sql)) {
      const [, table] = /ALTER TABLE "([^"]+)"/.exec(step.sql) ?? [];
      const [, column] = /ADD COLUMN IF NOT EXISTS "([^"]+)"/.exec(step.sql) ?? [];
      const r = await client.query(
        "select 1 from information_schema.columns where table_schema = 'public' and table_name = $1 and column_name = $2",
        [table, column],
      );
      if (r.rowCount > 0) continue;
    }
    await client.query(step.sql);
    done.push(step.what);
    log(`  ${step.what}`);
  }
  // Recorded as applied: from here on drizzle's migrator runs only what comes after.
  const migrations = readMigrationFiles({ migrationsFolder });
  await client.query("create schema if not exists drizzle");
  await client.query(
    "create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)",
  );
  for (const m of migrations) {
    await client.query("insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)", [
      m.hash,
      m.folderMillis,
    ]);
  }
  return done;
}

/**
 * An already-migrated database gets later migrations the ordinary way, in one transaction, where an
 * index on a storefront table would lock the shop's writes while it builds. So the pending
 * migrations' new storefront columns and indexes come first, the indexes built concurrently (the
 * migration's own ADD COLUMN / CREATE INDEX IF NOT EXISTS then find them). Returns the lines it did.
 */
export async function prebuildStorefrontIndexes(client, migrationsFolder, applied, log = console.log) {
  const done = [];
  await client.query("set lock_timeout = '5s'");
  const pending = adoptionPlan(migrationsFolder, applied).filter(
    (s) => s.concurrently || (s.storefront && /ADD COLUMN IF NOT EXISTS/.test(s.sql)),
  );
  for (const step of pending) {
    if (!step.index) {
      // A new column on a storefront table (nullable or with a constant default: no rewrite), first,
      // so the indexes on it can be built.
      const [, table] = /ALTER TABLE "([^"]+)"/.exec(step.sql) ?? [];
      const [, column] = /ADD COLUMN IF NOT EXISTS "([^"]+)"/.exec(step.sql) ?? [];
      const c = await client.query(
        "select 1 from information_schema.columns where table_schema = 'public' and table_name = $1 and column_name = $2",
        [table, column],
      );
      if (c.rowCount > 0) continue;
      await client.query(step.sql);
      log(`add column ${table}.${column}`);
      done.push(`add column ${table}.${column}`);
      continue;
    }
    const r = await client.query(
      "select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = $1",
      [step.index],
    );
    if (r.rowCount > 0 && r.rows[0].indisvalid) continue;
    if (r.rowCount > 0) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS "${step.index}"`);
    await client.query(step.sql);
    log(step.what);
    done.push(step.what);
  }
  await client.query("reset lock_timeout");
  return done;
}
