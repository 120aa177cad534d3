// A local Razorpay REST stub that follows the documented shapes: ids `pay_…`/`order_…`, amounts in
// paise, `notes` that may be `[]`, HTTP 400 BAD_REQUEST_ERROR for an id that does not exist, 401 for
// bad keys. Faults and latency are injectable through /__control. State is kept per API key id, so
// parallel test files (each with its own key) never see each other's payments or faults.
import http from "node:http";

function namespaceOf(req) {
  const auth = req.headers.authorization ?? "";
  if (!auth.startsWith("Basic ")) return null;
  const [keyId, secret] = Buffer.from(auth.slice(6), "base64").toString().split(":");
  return keyId && secret ? keyId : null;
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const badRequest = (description, field) => ({
  error: {
    code: "BAD_REQUEST_ERROR",
    description,
    source: "business",
    step: "payment_initiation",
    reason: "input_validation_failed",
    metadata: {},
    field,
  },
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

export async function startRazorpayStub({ port = 0 } = {}) {
  /** @type {Map<string, {payments: Map<string, any>, faults: any[], latencyMs: number, stats: any}>} */
  const spaces = new Map();
  const space = (ns) => {
    let s = spaces.get(ns);
    if (!s) {
      s = {
        payments: new Map(),
        orders: new Set(),
        faults: [],
        latencyMs: 0,
        stats: { requests: 0, inFlight: 0, maxInFlight: 0, byPath: {} },
      };
      spaces.set(ns, s);
    }
    return s;
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    try {
      if (url.pathname.startsWith("/__control/")) {
        const ns = url.searchParams.get("ns") ?? "default";
        const s = space(ns);
        const body = req.method === "POST" ? JSON.parse((await readBody(req)) || "{}") : {};
        switch (url.pathname) {
          case "/__control/payments":
            for (const p of body.payments ?? []) {
              s.payments.set(p.id, normalisePayment(p));
              if (p.order_id) s.orders.add(p.order_id);
            }
            for (const o of body.orders ?? []) s.orders.add(o);
            return json(res, 200, { ok: true, count: s.payments.size });
          case "/__control/faults":
            // [{ kind: "429" | "500" | "timeout" | "garbage" | "latency", times?: n, ms?: n }]
            s.faults = body.faults ?? [];
            if (typeof body.latencyMs === "number") s.latencyMs = body.latencyMs;
            // gate: N holds requests until N are in flight at once, then lets them all go: a client
            // that reaches N proves it, one that cannot is released after gateTimeoutMs.
            s.gate =
              typeof body.gate === "number"
                ? { size: body.gate, waiting: [], timeoutMs: body.gateTimeoutMs ?? 3000 }
                : null;
            return json(res, 200, { ok: true });
          case "/__control/stats":
            return json(res, 200, s.stats);
          case "/__control/reset":
            spaces.delete(ns);
            return json(res, 200, { ok: true });
          default:
            return json(res, 404, { error: "unknown control" });
        }
      }

      const ns = namespaceOf(req);
      if (!ns)
        return json(res, 401, { error: { code: "BAD_REQUEST_ERROR", description: "The api key provided is invalid" } });
      const s = space(ns);
      const key = `${req.method} ${url.pathname.replace(/(pay|order)_[A-Za-z0-9]+/g, "$1_:id")}`;
      s.stats.requests += 1;
      s.stats.byPath[key] = (s.stats.byPath[key] ?? 0) + 1;
      s.stats.inFlight += 1;
      s.stats.maxInFlight = Math.max(s.stats.maxInFlight, s.stats.inFlight);
      res.on("close", () => {
        s.stats.inFlight -= 1;
      });

      if (s.gate) {
        const gate = s.gate;
        await new Promise((release) => {
          gate.waiting.push(release);
          if (gate.waiting.length >= gate.size) for (const r of gate.waiting.splice(0)) r();
          else setTimeout(release, gate.timeoutMs).unref();
        });
      }
      const fault = s.faults.find((f) => (f.times ?? Number.POSITIVE_INFINITY) > 0);
      if (fault && fault.times !== undefined) fault.times -= 1;
      const delay = (fault?.kind === "latency" ? fault.ms : 0) || s.latencyMs;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (fault?.kind === "timeout") return; // never answers; the client's timeout must fire
      if (fault?.kind === "429") {
        return json(
          res,
          429,
          { error: { code: "BAD_REQUEST_ERROR", description: "Too many requests" } },
          { "retry-after": "1" },
        );
      }
      if (fault?.kind === "500") {
        return json(res, 500, {
          error: {
            code: "SERVER_ERROR",
            description: "The server encountered an error. The incident has been reported to admins.",
          },
        });
      }
      if (fault?.kind === "garbage") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("<html>upstream hiccup</html>");
      }

      let m = /^\/v1\/payments\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && m) {
        const p = s.payments.get(m[1]);
        return p ? json(res, 200, p) : json(res, 400, badRequest("The id provided does not exist", "id"));
      }
      m = /^\/v1\/orders\/([^/]+)\/payments$/.exec(url.pathname);
      if (req.method === "GET" && m) {
        const orderId = m[1];
        const items = [...s.payments.values()].filter((p) => p.order_id === orderId);
        if (!s.orders.has(orderId)) return json(res, 400, badRequest("The id provided does not exist", "id"));
        return json(res, 200, { entity: "collection", count: items.length, items });
      }
      return json(res, 400, badRequest("The requested URL was not found on the server.", "url"));
    } catch (err) {
      return json(res, 500, { error: { code: "SERVER_ERROR", description: String(err) } });
    }
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function normalisePayment(p) {
  return {
    entity: "payment",
    currency: "INR",
    status: "created",
    order_id: null,
    invoice_id: null,
    international: false,
    method: "upi",
    amount_refunded: 0,
    refund_status: null,
    captured: p.status === "captured",
    description: null,
    email: "customer@example.com",
    contact: "+919000000000",
    notes: [],
    fee: null,
    tax: null,
    error_code: null,
    error_description: null,
    error_reason: null,
    created_at: Math.floor(Date.now() / 1000),
    ...p,
  };
}
