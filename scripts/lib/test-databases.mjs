// Hands each test file a database of its own, already migrated: a clone of a template database on
// the real Postgres when one answers, otherwise a fresh embedded PGlite behind its own socket.
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { MIGRATIONS_DIR, migrateUrl } from "./migrate.mjs";

async function postgresAnswers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const STOREFRONT_SQL = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../test/fixtures/storefront-schema.sql",
);

async function postgresBackend(adminUrl) {
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const template = `ora_tpl_${tag}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await migrateUrl(withDatabase(adminUrl, template));
  const created = [];
  let n = 0;
  return {
    kind: "postgres",
    async create(shape) {
      const name = `ora_test_${tag}_${++n}`;
      if (shape === "storefront") {
        // A storefront's own database (hand-made schema and live rows), then adopted by db:migrate.
        await admin.query(`create database ${name}`);
        created.push(name);
        const url = withDatabase(adminUrl, name);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          await c.query(readFileSync(STOREFRONT_SQL, "utf8"));
        } finally {
          await c.end();
        }
        await migrateUrl(url);
        return { url, poolMax: 3 };
      }
      await admin.query(`create database ${name} template ${template}`);
      created.push(name);
      return { url: withDatabase(adminUrl, name), poolMax: 3 };
    },
    async close() {
      for (const name of [...created, template]) {
        await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
      }
      await admin.end();
    },
  };
}

async function pgliteBackend() {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const template = new PGlite();
  await migrate(drizzle(template), { migrationsFolder: MIGRATIONS_DIR });
  const dump = await template.dumpDataDir("none");
  await template.close();
  const servers = [];
  return {
    kind: "pglite",
    async create() {
      const db = new PGlite({ loadDataDir: dump });
      const port = await freePort();
      const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 100 });
      await server.start();
      servers.push({ server, db });
      // PGlite is one session: a second pooled connection would interleave transactions.
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, poolMax: 1 };
    },
    async close() {
      for (const { server, db } of servers) {
        await server.stop().catch(() => {});
        await db.close().catch(() => {});
      }
    },
  };
}

/** Starts the provisioner: POST /db answers {url, poolMax} for a new, migrated database. */
export async function startDatabaseProvisioner() {
  const adminUrl = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  const answers = await postgresAnswers(adminUrl);
  // The embedded fallback is for a newcomer's first `npm test`. Where the suite is the proof (CI),
  // a serialised single-session engine would let race and plan tests pass without showing anything.
  if (!answers && (process.env.CI === "true" || process.env.REQUIRE_POSTGRES === "1")) {
    const where = new URL(adminUrl);
    throw new Error(
      `PostgreSQL is required (CI=true or REQUIRE_POSTGRES=1) but does not answer at ${where.host}${where.pathname}: start it or set TEST_DATABASE_URL`,
    );
  }
  const backend = answers ? await postgresBackend(adminUrl) : await pgliteBackend();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method !== "POST" || url.pathname !== "/db") {
      res.writeHead(404).end();
      return;
    }
    const shape = url.searchParams.get("shape");
    if (shape === "storefront" && backend.kind !== "postgres") {
      res.writeHead(501).end("storefront-shaped databases need PostgreSQL");
      return;
    }
    backend.create(shape).then(
      (db) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(db)),
      (err) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  return {
    kind: backend.kind,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await backend.close();
    },
  };
}
