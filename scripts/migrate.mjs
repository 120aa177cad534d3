#!/usr/bin/env node
import { migrateUrl } from "./lib/migrate.mjs";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("db:migrate needs DATABASE_URL (postgres://user:pass@host:5432/db)");
  process.exit(2);
}
try {
  await migrateUrl(url);
  console.log(`migrations applied to ${new URL(url).host}${new URL(url).pathname}`);
} catch (err) {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
