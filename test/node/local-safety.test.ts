// The local stack is for the developer alone: no web page may reach their database through the
// proxy, bad control input does not kill it, and the well-known demo tokens never guard a real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
// @ts-expect-error: a plain .mjs module of the local stack (its API is exercised here, not typed)
import { localTokens } from "../../scripts/lib/stack.mjs";
import { startWsProxy } from "../../scripts/lib/ws-proxy.mjs";

let proxy: Awaited<ReturnType<typeof startWsProxy>>;
beforeAll(async () => {
  proxy = await startWsProxy({ allowedPorts: [5432] });
});
afterAll(async () => {
  await proxy.close();
});

/** How a WebSocket upgrade ends: opened, refused with an HTTP status, or closed with a code. */
function upgrade(path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}${path}`, { headers });
    ws.on("unexpected-response", (_req, res) => resolve(`refused ${res.statusCode}`));
    ws.on("close", (code) => resolve(`closed ${code}`));
    ws.on("open", () =>
      setImmediate(() => {
        if (ws.readyState !== ws.OPEN) return;
        ws.close();
        resolve("open");
      }),
    );
    ws.on("error", () => {});
  });
}

describe("the WebSocket→Postgres proxy", () => {
  it("refuses upgrades a browser makes (they carry an Origin)", async () => {
    expect(await upgrade("/v2?address=127.0.0.1:5432", { origin: "https://evil.example" })).toBe("refused 401");
  });

  it("reaches only the configured database port", async () => {
    expect(await upgrade("/v2?address=127.0.0.1:6379")).toBe("closed 1008");
    expect(await upgrade("/v2?address=10.0.0.1:5432")).toBe("closed 1008");
  });

  it("answers bad control input with 400 and keeps serving", async () => {
    const base = `http://127.0.0.1:${proxy.port}`;
    for (const body of ["{not json", '{"mode": "explode"}', "[]", "null"]) {
      expect((await fetch(`${base}/__faults`, { method: "POST", body })).status, body).toBe(400);
    }
    expect(
      (await fetch(`${base}/__faults`, { method: "POST", body: "{}", headers: { origin: "https://evil.example" } }))
        .status,
    ).toBe(403);
    expect((await fetch(`${base}/__stats`)).status).toBe(200);
  });
});

describe("local tokens", () => {
  it("the well-known demo tokens serve only the embedded database; with a DATABASE_URL they are random", () => {
    const demo = localTokens({}).tokens;
    expect(demo.ADMIN_TOKEN).toBe("local-admin-token");
    const real = localTokens({ DATABASE_URL: "postgres://shop@127.0.0.1:5432/shop" });
    expect(real.generated.sort()).toEqual(["ADMIN_TOKEN", "COURIER_WEBHOOK_TOKEN", "RAZORPAY_WEBHOOK_SECRET"]);
    for (const v of Object.values(real.tokens) as string[]) {
      expect(v).not.toMatch(/^local-/);
      expect(v.length).toBeGreaterThanOrEqual(20);
    }
    expect(
      localTokens({ DATABASE_URL: "postgres://x@127.0.0.1/x", ADMIN_TOKEN: "mine" }).tokens.ADMIN_TOKEN,
    ).toBeUndefined();
  });
});
