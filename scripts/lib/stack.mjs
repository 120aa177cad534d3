// The local system behind `npm start`, `npm run task` and the end-to-end tests: a database (the
// embedded PGlite under .data/, or DATABASE_URL), the WebSocket proxy the Worker's Neon driver uses,
// stand-ins for Razorpay and Resend when no keys are configured, `wrangler dev`, and the local cron
// schedule. stop() ends every process it started.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startRazorpayStub } from "../stubs/razorpay-stub.mjs";
import { startResendStub } from "../stubs/resend-stub.mjs";
import { cronFires, wranglerCrons } from "./cron.mjs";
import { MIGRATIONS_DIR, migrateUrl } from "./migrate.mjs";
import { SEED_RAZORPAY, SEED_SQL } from "./seed.mjs";
import { startWsProxy } from "./ws-proxy.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** docs/CONTRACT.md §4, plus the two local-only settings. */
export const CONFIG_KEYS = [
  "DATABASE_URL",
  "RAZORPAY_KEY_ID",
  "RAZORPAY_KEY_SECRET",
  "RAZORPAY_WEBHOOK_SECRET",
  "RAZORPAY_API_BASE",
  "RESEND_API_KEY",
  "RESEND_API_BASE",
  "EMAIL_FROM",
  "ADMIN_EMAIL",
  "ADMIN_TOKEN",
  "COURIER_WEBHOOK_TOKEN",
  "ALERT_WEBHOOK_URL",
  "BUSINESS_TIMEZONE",
  "LOW_STOCK_THRESHOLD",
  "DB_POOL_MAX",
];

/** Well-known tokens: for the embedded demo database only (anyone reading this file knows them). */
const DEMO_TOKENS = {
  ADMIN_TOKEN: "local-admin-token",
  RAZORPAY_WEBHOOK_SECRET: "local-webhook-secret",
  COURIER_WEBHOOK_TOKEN: "local-courier-token",
};
const LOCAL_DEFAULTS = { ADMIN_EMAIL: "ops@ora-jewellery.example" };

/**
 * Tokens for this run: the configured ones; with a DATABASE_URL (a real database) any missing one is
 * made up at random and printed in the banner, never the well-known demo strings.
 */
export function localTokens(config) {
  const generated = [];
  const out = {};
  for (const [key, demo] of Object.entries(DEMO_TOKENS)) {
    if (config[key]) continue;
    if (config.DATABASE_URL) {
      out[key] = randomBytes(18).toString("base64url");
      generated.push(key);
    } else out[key] = demo;
  }
  return { tokens: out, generated };
}

export function readDevVars(file) {
  if (!existsSync(file)) return {};
  const out = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith("#")) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}

/** .dev.vars, then every §4 variable set in the environment on top (non-empty values only). */
export function resolveConfig(env = process.env, devVarsFile = path.join(ROOT, ".dev.vars")) {
  const merged = { ...readDevVars(devVarsFile) };
  for (const k of CONFIG_KEYS) if (env[k]) merged[k] = env[k];
  for (const [k, v] of Object.entries(merged)) if (v === "") delete merged[k];
  return merged;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function isLoopback(url) {
  try {
    return ["127.0.0.1", "localhost", "::1", "[::1]"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A running `npm start` that owns the embedded database, if any. */
export function runningInstance(dataDir) {
  const lock = path.join(dataDir, "instance.json");
  if (!existsSync(lock)) return null;
  try {
    const info = JSON.parse(readFileSync(lock, "utf8"));
    return pidAlive(info.pid) ? info : null;
  } catch {
    return null;
  }
}

async function startEmbeddedDatabase(dataDir, log) {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const dir = path.join(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const db = new PGlite(dir);
  await db.waitReady;
  await migrate(drizzle(db), { migrationsFolder: MIGRATIONS_DIR });
  const seeded = await db.query("select to_regclass('ora_local_seed') is not null as seeded");
  let seededNow = false;
  if (!seeded.rows[0]?.seeded) {
    await db.transaction(async (tx) => {
      await tx.exec(SEED_SQL);
    });
    seededNow = true;
    log("seeded demo data (products, users, orders over 10 days, locks, stale payments, notifications, tokens)");
  }
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 100 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    seededNow,
    async stop() {
      await server.stop().catch(() => {});
      await db.close().catch(() => {});
    },
  };
}

async function waitFor(url, timeoutMs, isExited) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (isExited()) throw new Error("wrangler dev exited before it served");
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/**
 * Starts the whole local system. Options: port, dataDir, localCron (default true), quiet (pipe
 * wrangler's output instead of inheriting it), env (defaults to process.env).
 */
export async function startStack(opts = {}) {
  const env = opts.env ?? process.env;
  const port = Number(opts.port ?? env.PORT ?? 8787);
  const dataDir = path.resolve(opts.dataDir ?? env.DATA_DIR ?? path.join(ROOT, ".data"));
  const localCron = opts.localCron ?? env.LOCAL_CRON !== "off";
  const log = opts.log ?? ((line) => console.log(`[ora-jobs] ${line}`));
  mkdirSync(dataDir, { recursive: true });
  const cleanups = [];
  const stopAll = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
  };

  try {
    const config = { ...LOCAL_DEFAULTS, ...resolveConfig(env, opts.devVarsFile) };
    const notes = [];
    const { tokens, generated } = localTokens(config);
    Object.assign(config, tokens);
    if (generated.length > 0) notes.push(`generated for this run (DATABASE_URL is set): ${generated.join(", ")}`);

    // Database.
    let database;
    if (config.DATABASE_URL) {
      await migrateUrl(config.DATABASE_URL);
      database = { kind: "external", url: config.DATABASE_URL };
      notes.push(`database: DATABASE_URL (${new URL(config.DATABASE_URL).host}), migrations applied, nothing seeded`);
    } else {
      const other = runningInstance(dataDir);
      if (other)
        throw new Error(`another npm start (pid ${other.pid}) already uses ${dataDir}; stop it or set DATA_DIR`);
      const embedded = await startEmbeddedDatabase(dataDir, log);
      cleanups.push(() => embedded.stop());
      database = { kind: "embedded", url: embedded.url };
      config.DATABASE_URL = embedded.url;
      config.DB_POOL_MAX = "1"; // PGlite is a single session
      notes.push(`database: embedded PGlite in ${path.relative(process.cwd(), path.join(dataDir, "pglite")) || "."}`);
    }
    if (isLoopback(config.DATABASE_URL)) {
      // The proxy reaches only this database's port.
      const proxy = await startWsProxy({ allowedPorts: [Number(new URL(config.DATABASE_URL).port || 5432)] });
      cleanups.push(() => proxy.close());
      config.DB_WS_PROXY = `127.0.0.1:${proxy.port}`;
    }

    // Stand-ins for providers without keys.
    let razorpayStub = null;
    if (!config.RAZORPAY_KEY_ID) {
      razorpayStub = await startRazorpayStub();
      cleanups.push(() => razorpayStub.close());
      config.RAZORPAY_KEY_ID = "rzp_test_localstub";
      config.RAZORPAY_KEY_SECRET = "localstub";
      config.RAZORPAY_API_BASE = razorpayStub.url;
      await fetch(`${razorpayStub.url}/__control/payments?ns=rzp_test_localstub`, {
        method: "POST",
        body: JSON.stringify(SEED_RAZORPAY),
      });
      notes.push(`Razorpay: no RAZORPAY_KEY_ID, so the local stub at ${razorpayStub.url} stands in`);
    }
    let resendStub = null;
    if (!config.RESEND_API_KEY) {
      resendStub = await startResendStub();
      cleanups.push(() => resendStub.close());
      config.RESEND_API_KEY = "re_localstub";
      config.RESEND_API_BASE = resendStub.url;
      notes.push(`Resend: no RESEND_API_KEY, so the local stub stands in; read sent mail at ${resendStub.url}/preview`);
    }

    // wrangler dev with the merged configuration (written privately, never logged).
    const envFile = path.join(dataDir, "dev.env");
    writeFileSync(
      envFile,
      `${Object.entries(config)
        .map(([k, v]) => `${k}=${JSON.stringify(String(v))}`)
        .join("\n")}\n`,
      {
        mode: 0o600,
      },
    );
    const args = [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--env-file",
      envFile,
      "--persist-to",
      path.join(dataDir, "wrangler"),
      "--show-interactive-dev-session=false",
    ];
    const wranglerBin = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: ROOT,
      detached: true, // its own process group, so stop() ends workerd too
      stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "" },
    });
    let exited = false;
    const output = [];
    if (opts.quiet) {
      child.stdout.on("data", (d) => output.push(String(d)));
      child.stderr.on("data", (d) => output.push(String(d)));
    }
    child.on("exit", () => {
      exited = true;
    });
    cleanups.push(async () => {
      if (exited) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const deadline = Date.now() + 5_000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!exited) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(`${base}/api/health`, 90_000, () => exited);
    } catch (err) {
      throw new Error(`${err.message}\n${output.join("").slice(-4000)}`);
    }

    writeFileSync(
      path.join(dataDir, "instance.json"),
      JSON.stringify({ pid: process.pid, url: base, adminToken: config.ADMIN_TOKEN }),
      {
        mode: 0o600,
      },
    );
    cleanups.push(async () => rmSync(path.join(dataDir, "instance.json"), { force: true }));

    // The schedule: each trigger at its UTC minute through wrangler's local scheduled endpoint.
    const crons = wranglerCrons(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"));
    let timer = null;
    const fire = async (cron, at) => {
      const url = `${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}&time=${at.getTime()}`;
      try {
        await fetch(url, { signal: AbortSignal.timeout(60_000) });
      } catch (err) {
        log(`cron ${cron}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const tick = () => {
      const now = Date.now();
      const minute = new Date(now - (now % 60_000));
      for (const cron of crons) if (cronFires(cron, minute)) void fire(cron, minute);
      timer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 200);
    };
    if (localCron) {
      timer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 200);
      cleanups.push(async () => clearTimeout(timer));
    }

    return {
      url: base,
      port,
      dataDir,
      database: database.kind,
      adminToken: config.ADMIN_TOKEN,
      generatedTokens: Object.fromEntries(generated.map((k) => [k, config[k]])),
      webhookSecret: config.RAZORPAY_WEBHOOK_SECRET,
      courierToken: config.COURIER_WEBHOOK_TOKEN,
      mailPreview: resendStub ? `${resendStub.url}/preview` : null,
      crons,
      localCron,
      notes,
      output,
      fire,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
