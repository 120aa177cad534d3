import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithBrowser, launchChromium } from "./browser";

const ROOT = path.resolve(__dirname, "../..");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "ora-jobs-start-"));
const TOKEN = "local-admin-token";
let port = 0;
let child: ChildProcess;
let log = "";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  // A developer's machine with nothing configured: every §4 variable unset.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOCAL_CRON: "off" };
  for (const k of ["DATABASE_URL", "RAZORPAY_KEY_ID", "RESEND_API_KEY", "ADMIN_TOKEN", "RAZORPAY_WEBHOOK_SECRET"])
    delete env[k];
  return env;
}

async function startServer(): Promise<void> {
  log = "";
  // Its own process group, like a terminal's foreground job, so "Ctrl-C" can signal the whole group.
  child = spawn("npm", ["start"], { cwd: ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.on("data", (d) => {
    log += String(d);
  });
  child.stderr?.on("data", (d) => {
    log += String(d);
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${log}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok && log.includes("ORA Jobs is running")) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`npm start did not serve /api/health:\n${log}`);
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole foreground group (npm, sh, node). */
async function stopServer(): Promise<boolean> {
  if (child.pid) {
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {}
  }
  // npm exits at once on SIGINT; the start script goes on to stop what it started and says so.
  const deadline = Date.now() + 30_000;
  while (!log.includes("stopped cleanly") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return log.includes("stopped cleanly");
}

const api = async (p: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${p}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) },
  });

type Run = { taskName: string; status: string; trigger: string; result: Record<string, unknown> | null };
const runs = async (task: string): Promise<Run[]> =>
  ((await (await api(`/api/admin/runs?task=${task}`)).json()) as { runs: Run[] }).runs;

beforeAll(async () => {
  port = await freePort();
  await startServer();
}, 180_000);

afterAll(async () => {
  if (child && !log.includes("stopped cleanly")) await stopServer();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start (embedded database, no keys)", () => {
  it("says where things are, serves health, and runs a fired trigger against the seeded data", async () => {
    expect(log).toContain(`dashboard     http://127.0.0.1:${port}/admin`);
    expect(log).toContain("embedded PGlite");
    expect(log).toMatch(/Razorpay: no RAZORPAY_KEY_ID, so the local stub/);
    expect(log).toContain("mail preview");
    const minute = Date.now() - (Date.now() % 60_000);
    const fired = await fetch(
      `http://127.0.0.1:${port}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("*/5 * * * *")}&time=${minute}`,
    );
    expect(fired.status).toBe(200);
    const [run] = await runs("cleanup-expired-locks");
    expect(run).toMatchObject({ status: "succeeded", trigger: "cron" });
    expect(run?.result?.deleted).toBe(3); // exactly the seed's three expired locks; the three live ones stay
  });

  it("the reconciler settles the seeded stale payments through the Razorpay stub, and the mail goes out", async () => {
    const minute = Date.now() - (Date.now() % 60_000);
    await fetch(
      `http://127.0.0.1:${port}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("*/10 * * * *")}&time=${minute}`,
    );
    const [run] = await runs("reconcile-stale-payments");
    expect(run?.result).toMatchObject({ stale: 3, confirmed: 1, failed: 1, authorized: 1 });
    // The queue consumer runs inside wrangler dev: wait for the customer's confirmation email.
    const deadline = Date.now() + 30_000;
    let sent = 0;
    while (Date.now() < deadline && sent < 2) {
      sent = ((await (await api("/api/admin/emails")).json()) as { emails: { sent: number } }).emails.sent;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(sent).toBeGreaterThanOrEqual(2); // confirmed + cancelled
  });

  it("npm run task runs one task against the running instance and prints its record", () => {
    const out = execFileSync("npm", ["run", "--silent", "task", "--", "cleanup-password-resets", "--dry-run"], {
      cwd: ROOT,
      env: cleanEnv(),
      encoding: "utf8",
    });
    const body = JSON.parse(out) as { run: Run & { dryRun: boolean } };
    expect(body.run).toMatchObject({ taskName: "cleanup-password-resets", status: "succeeded", dryRun: true });
    expect(body.run.result).toEqual({ wouldDelete: 2 });
  });

  it("npm run task -- --at replays a past slot (recorded as a replay) and refuses a future one", () => {
    const at = new Date(Date.now() - 3 * 60 * 60_000);
    at.setUTCMinutes(0, 0, 0);
    const run = (when: string) =>
      execFileSync("npm", ["run", "--silent", "task", "--", "check-low-stock", "--at", when], {
        cwd: ROOT,
        env: cleanEnv(),
        encoding: "utf8",
      });
    const body = JSON.parse(run(at.toISOString())) as { run: Run & { scheduledAt: string } };
    expect(body.run).toMatchObject({ taskName: "check-low-stock", trigger: "replay", scheduledAt: at.toISOString() });
    let refused = "";
    try {
      run(new Date(Date.now() + 86_400_000).toISOString());
    } catch (err) {
      refused = String((err as { stdout?: string }).stdout ?? "");
    }
    expect(refused).toMatch(/in the future/);
  });
});

describeWithBrowser("the dashboard in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders for the admin, shows nothing to others, and Run now creates a run", async () => {
    const denied = await fetch(`http://127.0.0.1:${port}/admin`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toContain("Basic");
    expect(await denied.text()).not.toContain("Run now");

    const ctx = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
      httpCredentials: { username: "ops", password: TOKEN },
    });
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${port}/admin`);
    expect(await page.locator("#tasks tbody tr").count()).toBeGreaterThanOrEqual(10);
    // Without provider keys the stubs stand in, and the sent mail is one click away.
    const preview = await page.locator("#mail-preview").getAttribute("href");
    expect(preview).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/preview$/);
    expect(await (await fetch(preview ?? "")).text()).toContain("Sent mail");
    mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, "test-results/dashboard.png"), fullPage: true });
    const before = (await runs("check-low-stock")).filter((r) => r.trigger === "manual").length;
    await page.locator('tr[data-task="check-low-stock"] button', { hasText: "Run now" }).click();
    // Run now lands on the run's own page, its result and the task's recent runs.
    await page.waitForURL(/\/admin\/runs\/[^?]+\?done=/);
    expect(await page.locator("#notice").textContent()).toContain("check-low-stock: succeeded");
    const after = (await runs("check-low-stock")).filter((r) => r.trigger === "manual").length;
    expect(after).toBe(before + 1);
    await ctx.close();
  });
});

describeWithBrowser("the ops console in Chromium", () => {
  let browser: Browser;
  const shots = path.join(ROOT, "test-results/console");
  beforeAll(async () => {
    browser = await launchChromium();
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const console_ = async (width: number) =>
    browser.newContext({
      viewport: { width, height: width < 600 ? 844 : 1000 },
      httpCredentials: { username: "asha.ops", password: TOKEN },
    });
  /** Reloads `url` until `done` holds (the queue consumer works in the background): no sleeps. */
  async function reloadUntil(page: import("playwright-core").Page, url: string, done: () => Promise<boolean>) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      await page.goto(url);
      if (await done()) return;
      if (Date.now() > deadline) throw new Error(`gave up waiting on ${url}`);
      await page.waitForTimeout(250);
    }
  }

  it("search → order → Ask Razorpay now → confirmed; its refused email → Resend → delivered once", async () => {
    const base = `http://127.0.0.1:${port}`;
    const preview = (log.match(/mail preview\s+(\S+)\/preview/) ?? [])[1];
    expect(preview).toBeTruthy();
    const stub = (p: string, body?: unknown) =>
      fetch(
        `${preview}/__control/${p}?ns=re_localstub`,
        body === undefined ? {} : { method: "POST", body: JSON.stringify(body) },
      );
    // Meera's authorized payment on ORA-DEMO-S03 is captured at Razorpay; no webhook has told us.
    const razorpay = (log.match(/local stub at (\S+) stands in/) ?? [])[1];
    expect(razorpay).toBeTruthy();
    await fetch(`${razorpay}/__control/payments?ns=rzp_test_localstub`, {
      method: "POST",
      body: JSON.stringify({
        payments: [{ id: "pay_console_s03", order_id: "order_stale_authorized", amount: 450000, status: "captured" }],
      }),
    });
    // Resend refuses the confirmation (as for a suppressed address) until told otherwise.
    await stub("faults", { faults: [{ kind: "422", match: "ORA-DEMO-S03" }] });

    const ctx = await console_(1400);
    const page = await ctx.newPage();
    await page.goto(`${base}/admin`);
    await page.getByLabel("Search orders").fill("meera@example.com");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/admin\/search\?q=/);
    await page.screenshot({ path: path.join(shots, "search-desktop.png"), fullPage: true });
    await page.getByRole("link", { name: "ORA-DEMO-S03" }).click();
    await page.waitForURL(/\/admin\/orders\/ORA-DEMO-S03$/);
    expect(await page.locator("#order .badge").textContent()).toBe("PENDING");
    await page.getByRole("button", { name: "Ask Razorpay now" }).click();
    await page.waitForURL(/\/admin\/orders\/ORA-DEMO-S03\?done=/);
    expect(await page.locator("#notice").textContent()).toContain("The order is CONFIRMED");
    expect(await page.locator("#order .badge").textContent()).toBe("CONFIRMED");
    expect(await page.locator("#checks").textContent()).toContain("console");

    await reloadUntil(
      page,
      `${base}/admin/emails?status=failed`,
      async () =>
        (
          await page
            .locator("#emails")
            .textContent()
            .catch(() => "")
        )?.includes("ORA-DEMO-S03") ?? false,
    );
    await page.screenshot({ path: path.join(shots, "emails-failed-desktop.png"), fullPage: true });
    await stub("faults", { faults: [] });
    const row = page.locator("#emails tr", { hasText: "ORA-DEMO-S03" });
    await row.getByRole("button", { name: /Resend/ }).click();
    await page.waitForURL(/\/admin\/emails\?status=failed&done=/);
    expect(await page.locator("#notice").textContent()).toContain("queued again");
    await reloadUntil(
      page,
      `${base}/admin/orders/ORA-DEMO-S03`,
      async () =>
        ((await page.locator("#messages").textContent()) ?? "").includes("resent 1×") &&
        (await page.locator("#messages .badge.sent").count()) > 0,
    );
    await page.screenshot({ path: path.join(shots, "order-desktop.png"), fullPage: true });
    const sent = (await (await stub("emails")).json()) as { emails: { subject: string; html: string }[] };
    expect(sent.emails.filter((e) => e.html.includes("ORA-DEMO-S03"))).toHaveLength(1);

    // The same order on a phone.
    const phone = await console_(390);
    const p2 = await phone.newPage();
    await p2.goto(`${base}/admin/orders/ORA-DEMO-S03`);
    await p2.screenshot({ path: path.join(shots, "order-phone.png"), fullPage: true });
    await p2.goto(`${base}/admin`);
    await p2.screenshot({ path: path.join(shots, "overview-phone.png"), fullPage: true });
    await phone.close();
    await ctx.close();
  });

  it("a bad setting is shown back with its reason; the keyboard reaches every control", async () => {
    const base = `http://127.0.0.1:${port}`;
    const ctx = await console_(1400);
    const page = await ctx.newPage();
    await page.goto(`${base}/admin/tasks/cleanup-expired-locks`);
    await page.getByLabel("batchSize").fill("lots");
    await page.getByRole("button", { name: "Save settings" }).click();
    expect(await page.locator("#problem").textContent()).toContain("batchSize");
    expect(await page.getByLabel("batchSize").inputValue()).toBe("lots");
    await page.screenshot({ path: path.join(shots, "task-bad-setting-desktop.png"), fullPage: true });
    // Preview an override by keyboard alone: type, Tab to Preview, Enter.
    await page.getByLabel(/^Cron/).fill("15 9 * * *");
    await page.getByLabel(/^Cron/).focus();
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.locator("#preview").waitFor();
    expect(await page.locator("#preview li").count()).toBe(5);
    const phone = await console_(390);
    const p2 = await phone.newPage();
    await p2.goto(`${base}/admin/tasks/cleanup-expired-locks`);
    await p2.screenshot({ path: path.join(shots, "task-phone.png"), fullPage: true });
    await phone.close();
    await ctx.close();
  });
});

describe("stopping and starting again", () => {
  it("Ctrl-C stops everything it started, and the next start finds the same data", async () => {
    const history = (await runs("cleanup-expired-locks")).length;
    expect(await stopServer()).toBe(true);
    // Nothing is left listening, and no process still refers to this data directory.
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    const leftovers = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(dataDir));
    expect(leftovers).toEqual([]);

    await startServer();
    expect(log).not.toContain("seeded demo data");
    expect((await runs("cleanup-expired-locks")).length).toBe(history);
  });
});
