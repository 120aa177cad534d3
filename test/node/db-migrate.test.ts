// `npm run db:migrate` as an operator runs it: on an empty database, again, twice at once, and on a
// storefront's existing database (adopted without changing a row or a column type), or refused with
// every missing column named and nothing changed.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ADMIN = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const STOREFRONT_SQL = readFileSync(path.join(ROOT, "test/fixtures/storefront-schema.sql"), "utf8");
const run = promisify(execFile);

let admin: pg.Client | null = null;
const created: string[] = [];
beforeAll(async () => {
  const c = new pg.Client({ connectionString: ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    admin = c;
  } catch {
    if (process.env.CI === "true" || process.env.REQUIRE_POSTGRES === "1")
      throw new Error(`PostgreSQL is required at ${ADMIN}`);
    console.warn("[test] db:migrate tests skipped: no PostgreSQL answers");
  }
});
afterAll(async () => {
  for (const name of created) await admin?.query(`drop database if exists ${name} with (force)`);
  await admin?.end();
});

async function database(
  sqlText = "",
): Promise<{ url: string; q: (text: string, params?: unknown[]) => Promise<pg.QueryResult> }> {
  const name = `ora_migrate_${process.pid}_${created.length}_${Date.now().toString(36)}`;
  await admin?.query(`create database ${name}`);
  created.push(name);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  const url = u.toString();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (sqlText) await client.query(sqlText);
  } finally {
    await client.end();
  }
  const q = async (text: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(text, params);
    } finally {
      await c.end();
    }
  };
  return { url, q };
}

async function migrate(url: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["scripts/migrate.mjs"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

/** Per storefront table: its columns with types, and a digest of every row over those columns. */
async function snapshot(q: (text: string) => Promise<pg.QueryResult>, only?: Map<string, string[]>) {
  const cols = await q(
    `select table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
     from information_schema.columns where table_schema = 'public'
       and table_name in ('users','products','orders','order_items','inventory_locks','payments','notifications','password_resets','reviews','_prisma_migrations')
     order by table_name, ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const r of cols.rows) byTable.set(r.table_name, [...(byTable.get(r.table_name) ?? []), r.column_name]);
  const columns = only ?? byTable;
  const rows: Record<string, string> = {};
  for (const [table, names] of columns) {
    const list = names.map((n) => `"${n}"`).join(", ");
    const r = await q(
      `select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as d from (select ${list} from "${table}") x`,
    );
    rows[table] = r.rows[0].d;
  }
  const types = cols.rows.filter((r) => columns.get(r.table_name)?.includes(r.column_name));
  return { columns: byTable, rows, types };
}

const skip = () => admin === null;

describe("npm run db:migrate", () => {
  it("on an empty database: applies every migration; again: nothing to do; twice at once: both succeed", async (ctx) => {
    if (skip()) ctx.skip();
    const { url, q } = await database();
    const first = await migrate(url);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toMatch(/applied \d+ migration/);
    expect((await migrate(url)).out).toMatch(/nothing to do/);
    const [a, b] = await Promise.all([migrate(url), migrate(url)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const n = await q("select count(*)::int as n from drizzle.__drizzle_migrations");
    const journal = JSON.parse(readFileSync(path.join(ROOT, "drizzle/meta/_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    expect(n.rows[0].n).toBe(journal.entries.length);
    // No business rule hides in a migration: the SQL functions left after every migration are
    // bookkeeping, none longer than 60 lines (the money path's old PL/pgSQL is dropped by 0005).
    const fns = await q(
      `select p.proname as name, array_length(string_to_array(p.prosrc, E'\\n'), 1) as lines
       from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace
       where ns.nspname = 'public' and p.prolang = (select oid from pg_language where lanname = 'plpgsql')`,
    );
    expect(fns.rows.length).toBeGreaterThan(0);
    expect(fns.rows.filter((r) => r.lines > 60)).toEqual([]);
  });

  it("adopts a storefront's database: only the worker's objects are added, no row or column type changes", async (ctx) => {
    if (skip()) ctx.skip();
    const { url, q } = await database(STOREFRONT_SQL);
    const before = await snapshot(q);
    const res = await migrate(url);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/adopted the storefront database/);
    expect(res.out).toMatch(/create table cron_runs/);
    expect(res.out).toMatch(/create index orders_created_status_idx on orders \(concurrently\)/);
    const after = await snapshot(q, before.columns);
    expect(after.rows).toEqual(before.rows);
    expect(after.types).toEqual(before.types);
    // Statuses stay text with their CHECK; no enum type was created.
    expect(
      (await q("select count(*)::int as n from pg_type where typname in ('order_status','payment_status')")).rows[0].n,
    ).toBe(0);
    // The worker's objects are there, and every index is valid.
    for (const t of [
      "cron_runs",
      "webhook_events",
      "emails",
      "order_events",
      "payment_attempts",
      "order_settlements",
    ]) {
      expect((await q("select to_regclass($1) is not null as ok", [`public.${t}`])).rows[0].ok, t).toBe(true);
    }
    expect((await q("select count(*)::int as n from pg_index where not indisvalid")).rows[0].n).toBe(0);
    expect((await q("select count(*)::int as n from pg_trigger where tgname = 'orders_capture_event'")).rows[0].n).toBe(
      1,
    );
    // The storefront's settled payment became a fact, so a later refund finds its capture.
    expect((await q("select status from payment_attempts where id = 'pay_sf_done'")).rows).toEqual([
      { status: "captured" },
    ]);
    // Repeatable, and from now on the ordinary migrator's.
    expect((await migrate(url)).out).toMatch(/nothing to do/);
  });

  it("a later migration builds its storefront indexes concurrently first, then applies the ordinary way", async (ctx) => {
    if (skip()) ctx.skip();
    const { url, q } = await database(STOREFRONT_SQL);
    expect((await migrate(url)).code).toBe(0);
    // As if the last migration had not shipped yet when the shop adopted: undo it.
    const journal = JSON.parse(readFileSync(path.join(ROOT, "drizzle/meta/_journal.json"), "utf8")) as {
      entries: { tag: string }[];
    };
    const last = journal.entries.at(-1)?.tag ?? "";
    const text = readFileSync(path.join(ROOT, `drizzle/${last}.sql`), "utf8");
    const storefrontIndexes = [
      ...text.matchAll(
        /CREATE (?:UNIQUE )?INDEX (IF NOT EXISTS )?"([^"]+)" ON "(users|products|inventory_locks|orders|order_items|payments|notifications|password_resets)"/g,
      ),
    ];
    // Every such index and column is written IF NOT EXISTS, so the transactional run finds the prebuilt one.
    for (const m of storefrontIndexes) expect(m[1], m[2]).toBe("IF NOT EXISTS ");
    const storefrontColumns = [
      ...text.matchAll(
        /ALTER TABLE "(users|products|inventory_locks|orders|order_items|payments|notifications|password_resets)" ADD COLUMN (IF NOT EXISTS )?"([^"]+)"/g,
      ),
    ];
    for (const m of storefrontColumns) expect(m[2], m[3]).toBe("IF NOT EXISTS ");
    // Undo 0006_ops_console by hand (its table, columns and indexes), then forget it was applied.
    expect(last).toBe("0006_ops_console");
    await q(`drop table payment_checks;
      drop index order_events_order_idx; drop index emails_order_idx;
      drop index payments_review_idx; drop index payments_review_resolved_idx;
      alter table emails drop column resends;
      alter table payments drop column review_resolved_at, drop column review_resolved_by, drop column review_note`);
    await q("delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)");
    const res = await migrate(url);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/applied 1 migration/);
    for (const m of storefrontIndexes) expect(res.out).toContain(`create index ${m[2]} on ${m[3]} (concurrently)`);
    expect((await q("select count(*)::int as n from pg_index where not indisvalid")).rows[0].n).toBe(0);
    expect((await migrate(url)).out).toMatch(/nothing to do/);
  });

  it("refuses a storefront missing a column (or with an incompatible one), naming each, and changes nothing", async (ctx) => {
    if (skip()) ctx.skip();
    // The same storefront, made before it had razorpay_order_id, and with json metadata.
    const broken = `${STOREFRONT_SQL}
      ALTER TABLE orders DROP COLUMN razorpay_order_id;
      ALTER TABLE notifications ALTER COLUMN metadata TYPE json;`;
    const { url, q } = await database(broken);
    const res = await migrate(url);
    expect(res.code).toBe(1);
    expect(res.out).toContain("orders.razorpay_order_id is missing");
    expect(res.out).toContain("notifications.metadata is json");
    expect(res.out).toContain("nothing was changed");
    expect((await q("select to_regclass('public.cron_runs') is null as untouched")).rows[0].untouched).toBe(true);
    expect((await q("select to_regclass('drizzle.__drizzle_migrations') is null as untouched")).rows[0].untouched).toBe(
      true,
    );
  });
});
