// Applies drizzle/ migrations. Safe to run again (drizzle records what it applied) and safe to run
// concurrently (an advisory lock serialises two deploys racing each other). On a storefront's
// existing database it first adopts it (adopt.mjs): checks the contract's columns, adds only what
// the worker owns, and records the migrations so later ones apply the ordinary way.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { adopt, needsAdoption, prebuildStorefrontIndexes, storefrontProblems } from "./adopt.mjs";

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../drizzle");
const LOCK_KEY = 7_240_913; // arbitrary, stable: "ora-jobs migrations"

async function appliedCount(client) {
  const exists = await client.query("select to_regclass('drizzle.__drizzle_migrations') is not null as ok");
  if (!exists.rows[0].ok) return 0;
  return (await client.query("select count(*)::int as n from drizzle.__drizzle_migrations")).rows[0].n;
}

/** Migrates (or adopts) the database at `url`; returns what it did, one line each. */
export async function migrateUrl(url, log = () => {}) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [LOCK_KEY]);
    if (await needsAdoption(client)) {
      log("storefront tables found: adopting the database");
      const done = await adopt(client, MIGRATIONS_DIR, log);
      return [`adopted the storefront database (${done.length} changes)`, ...done];
    }
    const before = await appliedCount(client);
    if (before > 0) {
      // Whoever else writes the storefront tables may have changed them since: check again.
      const problems = await storefrontProblems(client);
      if (problems.length > 0) {
        throw new Error(
          `the storefront tables no longer fit the contract (nothing was changed):\n  - ${problems.join("\n  - ")}`,
        );
      }
    }
    const prebuilt = before > 0 ? await prebuildStorefrontIndexes(client, MIGRATIONS_DIR, before, log) : [];
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    const after = await appliedCount(client);
    return after === before
      ? ["nothing to do: every migration is applied"]
      : [`applied ${after - before} migration(s)`, ...prebuilt];
  } finally {
    await client.query("select pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
