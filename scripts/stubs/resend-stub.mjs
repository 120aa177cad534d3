// A local Resend API stub following the documented behaviour: POST /emails and POST /emails/batch
// (≤ 100), Bearer API keys, error bodies {statusCode, name, message}, Idempotency-Key replay for 24 h
// (same key + same body → the first answer; same key + other body → 409), rate-limit headers, and
// injectable 429 / 500 / 422 / latency through /__control. State is kept per API key, so parallel
// test files never see each other's mail. GET /__control/emails lists what was "sent".
import crypto from "node:crypto";
import http from "node:http";

const err = (statusCode, name, message) => ({ statusCode, name, message });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function validate(email) {
  for (const f of ["from", "to", "subject"]) {
    if (email?.[f] === undefined || email[f] === "" || (Array.isArray(email[f]) && email[f].length === 0)) {
      return err(422, "missing_required_field", `Missing \`${f}\` field.`);
    }
  }
  const to = Array.isArray(email.to) ? email.to : [email.to];
  if (to.length > 50) return err(422, "validation_error", "Too many recipients: the maximum is 50.");
  if (to.some((t) => typeof t !== "string" || !/^[^\s@]+@[^\s@]+$/.test(t))) {
    return err(
      422,
      "validation_error",
      "Invalid `to` field. The email address needs to follow the `email@example.com` format.",
    );
  }
  if (!email.html && !email.text) return err(422, "validation_error", "Missing `html` or `text` field.");
  return null;
}

export async function startResendStub({ port = 0 } = {}) {
  const spaces = new Map();
  const space = (ns) => {
    let s = spaces.get(ns);
    if (!s) {
      s = { emails: [], idempotency: new Map(), faults: [], latencyMs: 0, calls: { single: 0, batch: 0 } };
      spaces.set(ns, s);
    }
    return s;
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const send = (status, body, headers = {}) => {
      res.writeHead(status, {
        "content-type": "application/json",
        "ratelimit-limit": "10",
        "ratelimit-remaining": "9",
        "ratelimit-reset": "1",
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    try {
      if (url.pathname === "/preview" || url.pathname.startsWith("/preview/")) return preview(url, res);
      if (url.pathname.startsWith("/__control/")) {
        const s = space(url.searchParams.get("ns") ?? "default");
        if (url.pathname === "/__control/emails") return send(200, { emails: s.emails, calls: s.calls });
        if (url.pathname === "/__control/faults") {
          const body = JSON.parse((await readBody(req)) || "{}");
          s.faults = body.faults ?? [];
          s.latencyMs = body.latencyMs ?? 0;
          return send(200, { ok: true });
        }
        if (url.pathname === "/__control/reset") {
          spaces.delete(url.searchParams.get("ns") ?? "default");
          return send(200, { ok: true });
        }
        return send(404, { error: "unknown control" });
      }
      const auth = req.headers.authorization ?? "";
      if (!auth.startsWith("Bearer ") || auth.length < 10) {
        return send(401, err(401, "missing_api_key", "Missing API key in the authorization header."));
      }
      const s = space(auth.slice(7));
      const batch = url.pathname === "/emails/batch";
      if (req.method !== "POST" || !(url.pathname === "/emails" || batch)) {
        return send(404, err(404, "not_found", "The requested endpoint does not exist."));
      }
      const raw = await readBody(req);
      if (s.latencyMs) await new Promise((r) => setTimeout(r, s.latencyMs));
      const fault = s.faults.find(
        (f) => (f.times ?? Number.POSITIVE_INFINITY) > 0 && (!f.match || raw.includes(f.match)),
      );
      if (fault && fault.times !== undefined) fault.times -= 1;
      if (fault?.kind === "429") {
        return send(
          429,
          err(429, "rate_limit_exceeded", "Too many requests. You can only make 10 requests per second."),
          {
            "retry-after": String(fault.retryAfter ?? 1),
            "ratelimit-remaining": "0",
          },
        );
      }
      if (fault?.kind === "500") return send(500, err(500, "internal_server_error", "An unexpected error occurred."));
      if (fault?.kind === "422")
        return send(422, err(422, "validation_error", fault.message ?? "The `to` address is on the suppression list."));

      let payload;
      try {
        payload = JSON.parse(raw);
      } catch {
        return send(422, err(422, "validation_error", "Invalid JSON body."));
      }
      const key = req.headers["idempotency-key"];
      const hash = crypto.createHash("sha256").update(`${url.pathname}\n${raw}`).digest("hex");
      if (typeof key === "string") {
        if (key.length > 256)
          return send(400, err(400, "invalid_idempotency_key", "The key must be between 1-256 chars."));
        const seen = s.idempotency.get(key);
        if (seen && seen.hash !== hash) {
          return send(
            409,
            err(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."),
          );
        }
        if (seen) return send(seen.status, seen.body);
      }
      let status = 200;
      let body;
      if (batch) {
        s.calls.batch += 1;
        if (!Array.isArray(payload) || payload.length === 0 || payload.length > 100) {
          status = 422;
          body = err(422, "validation_error", "The batch must contain between 1 and 100 emails.");
        } else {
          const invalid = payload.map(validate).find(Boolean);
          if (invalid) {
            status = invalid.statusCode;
            body = invalid;
          } else {
            const data = payload.map((e) => {
              const id = crypto.randomUUID();
              s.emails.push({ id, ...e, idempotencyKey: key ?? null, via: "batch" });
              return { id };
            });
            body = { data };
          }
        }
      } else {
        s.calls.single += 1;
        const invalid = validate(payload);
        if (invalid) {
          status = invalid.statusCode;
          body = invalid;
        } else {
          const id = crypto.randomUUID();
          s.emails.push({ id, ...payload, idempotencyKey: key ?? null, via: "single" });
          body = { id };
        }
      }
      if (typeof key === "string") s.idempotency.set(key, { hash, status, body });
      return send(status, body);
    } catch (e) {
      return send(500, err(500, "internal_server_error", String(e)));
    }
  });
  // A local mail preview: every email "sent" through this stub, newest first, rendered as sent.
  function preview(url, res) {
    const all = [...spaces.values()].flatMap((s) => s.emails).reverse();
    const id = url.pathname.slice("/preview/".length);
    const strict = { "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:" };
    if (id) {
      const email = all.find((e) => e.id === id);
      res.writeHead(email ? 200 : 404, { "content-type": "text/html; charset=utf-8", ...strict });
      return res.end(email ? (email.html ?? `<pre>${escapeHtml(email.text ?? "")}</pre>`) : "no such email");
    }
    const rows = all
      .map(
        (e) =>
          `<tr><td><a href="/preview/${e.id}">${escapeHtml(e.subject)}</a></td><td>${escapeHtml([].concat(e.to).join(", "))}</td><td>${e.via}</td></tr>`,
      )
      .join("");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...strict });
    return res.end(
      `<!doctype html><meta charset="utf-8"><title>ORA Jobs mail preview</title><style>body{font-family:sans-serif;margin:24px}td{padding:4px 10px;border-bottom:1px solid #eee}</style><h1>Sent mail (${all.length})</h1><table>${rows}</table>`,
    );
  }
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
