#!/usr/bin/env node
// `npm run db:migrate`: migrations on an empty or our own database; adoption of a storefront's.
// Use the direct (unpooled) connection string: the advisory lock needs one session throughout.
import { migrateUrl } from "./lib/migrate.mjs";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("db:migrate needs DATABASE_URL (postgres://user:pass@host:5432/db; on Neon the direct, unpooled one)");
  process.exit(2);
}
const where = `${new URL(url).host}${new URL(url).pathname}`;
try {
  const lines = await migrateUrl(url, (line) => console.log(line));
  console.log(`${where}: ${lines[0]}`);
} catch (err) {
  console.error(`db:migrate on ${where} failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
