// WebSocket → TCP proxy so the Neon serverless driver, running inside workerd, can reach a plain
// Postgres (local server or PGlite) the way it reaches Neon in production. Loopback only.
// For tests it also counts round trips and injects faults: per database (read from the startup
// message and the target port, "5432/ora_test_1"), drop the connection before a chosen query reaches
// Postgres, or after it ran but before its answer gets back.
// Control: POST /__faults {database: "<port>/<name>", mode, at, times}; GET /__stats.

import { appendFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { WebSocketServer } from "ws";

// PROXY_TRACE=<file>: one line per hop event (ms since the WebSocket opened, direction, message
// types), to see where a round trip's time goes between the Worker, this proxy and Postgres.
const TRACE = process.env.PROXY_TRACE;
let traceId = 0;
function tracer() {
  if (!TRACE) return () => {};
  const id = ++traceId;
  const t0 = performance.now();
  return (what, chunk) => {
    let types = "";
    if (chunk && chunk.length > 0) {
      // Each message's type byte, read as if the chunk starts on a message boundary (a chunk that
      // does not shows noise after the first); the startup message shows as "0".
      for (let i = 0; i + 5 <= chunk.length; ) {
        types += String.fromCharCode(chunk[i]) === "\0" ? "0" : String.fromCharCode(chunk[i]);
        const len = chunk.readInt32BE(i + 1);
        if (len < 4) break;
        i += len + 1;
      }
    }
    appendFileSync(TRACE, `${id}\t${(performance.now() - t0).toFixed(2)}\t${what}\t${chunk?.length ?? ""}\t${types}\n`);
  };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);
const SSL_REQUEST = 80877103;

function startupDatabase(buf) {
  // int32 length, int32 protocol, then key\0value\0 pairs.
  const parts = buf.subarray(8).toString("utf8").split("\0");
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === "database") return parts[i + 1];
  return parts.includes("user") ? (parts[parts.indexOf("user") + 1] ?? "") : "";
}

/**
 * Reads the client→server stream: the startup message, then typed messages. Each Sync or simple
 * Query is one round trip (the client then waits for ReadyForQuery). Returns the round-trip numbers
 * (1-based, per connection) that this chunk completes.
 */
function protocolReader(conn, stats) {
  let started = false;
  let buf = Buffer.alloc(0);
  return (chunk) => {
    const completed = [];
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (!started) {
        if (buf.length < 8) return completed;
        const len = buf.readInt32BE(0);
        if (buf.length < len) return completed;
        if (buf.readInt32BE(4) !== SSL_REQUEST) {
          started = true;
          conn.database = startupDatabase(buf.subarray(0, len));
          stats.connections += 1;
          conn.counts = stats.byDatabase[conn.database] ??= { connections: 0, roundTrips: 0 };
          conn.counts.connections += 1;
        }
        buf = buf.subarray(len);
        continue;
      }
      if (buf.length < 5) return completed;
      const len = buf.readInt32BE(1);
      if (buf.length < len + 1) return completed;
      const type = String.fromCharCode(buf[0]);
      if (type === "S" || type === "Q") {
        stats.roundTrips += 1;
        conn.roundTrips += 1;
        if (conn.counts) conn.counts.roundTrips += 1;
        completed.push(conn.roundTrips);
      }
      buf = buf.subarray(len + 1);
    }
  };
}

/**
 * @param {{ port?: number, host?: string, allowedPorts?: number[] | null }} [opts] allowedPorts: the
 *   only Postgres ports it will connect to (null: any loopback port, for the test provisioner's PGlite).
 * @returns {Promise<{ port: number, close: () => Promise<void>, stats: { connections: number, roundTrips: number }, faults: Map<string, any> }>}
 */
export async function startWsProxy({ port = 0, host = "127.0.0.1", allowedPorts = null } = {}) {
  // Totals, and per database name (each test file owns one, so a test can count only its own).
  const stats = { connections: 0, roundTrips: 0, dropped: 0, byDatabase: {} };
  /** database → { mode: "drop-before" | "drop-after", at: n, times: n } */
  const faults = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("error", () => res.destroy());
    if (req.headers.origin !== undefined) {
      res.writeHead(403).end("not for browsers");
      return;
    }
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/__stats") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
        return;
      }
      if (req.method === "POST" && req.url === "/__faults") {
        // Control input is checked, never trusted: a bad post is a 400, not a dead `npm start`.
        let f;
        try {
          f = JSON.parse(Buffer.concat(chunks).toString() || "{}");
        } catch {
          res.writeHead(400).end("body is not JSON");
          return;
        }
        const modes = ["none", "drop-before", "drop-after"];
        if (!f || typeof f.database !== "string" || !modes.includes(f.mode)) {
          res
            .writeHead(400)
            .end('expected {"database": "<port>/<name>", "mode": "none" | "drop-before" | "drop-after"}');
          return;
        }
        if (f.mode === "none") faults.delete(f.database);
        else faults.set(f.database, { mode: f.mode, at: Number(f.at ?? 1) || 1, times: Number(f.times ?? 1) || 1 });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  // A browser always sends Origin on a WebSocket upgrade; the Worker's driver never does. Refusing
  // it keeps any web page the developer opens from talking to their database through us.
  const wss = new WebSocketServer({
    server,
    verifyClient: ({ req }) => req.headers.origin === undefined,
  });
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://x").searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const targetHost = address.slice(0, sep);
    const targetPort = Number(address.slice(sep + 1));
    if (
      !LOOPBACK.has(targetHost) ||
      !Number.isInteger(targetPort) ||
      (allowedPorts && !allowedPorts.includes(targetPort))
    ) {
      ws.close(1008, "only the configured loopback Postgres is proxied");
      return;
    }
    const trace = tracer();
    trace("ws-open");
    const conn = { database: "", roundTrips: 0, blackhole: false, fault: null };
    const read = protocolReader(conn, stats);
    const socket = net.connect({ host: targetHost, port: targetPort });
    socket.setNoDelay(true);
    const pending = [];
    let connected = false;
    const kill = () => {
      stats.dropped += 1;
      ws.terminate();
      socket.destroy();
    };
    socket.on("connect", () => {
      trace("tcp-connected");
      connected = true;
      for (const chunk of pending.splice(0)) socket.write(chunk);
    });
    ws.on("message", (data) => {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data);
      trace("w->p", chunk);
      const completed = read(chunk);
      const key = `${targetPort}/${conn.database}`;
      if (!conn.fault && conn.database && faults.has(key)) {
        const f = faults.get(key);
        if (f.times > 0) {
          f.times -= 1;
          conn.fault = f;
        }
      }
      if (conn.fault && completed.includes(conn.fault.at)) {
        if (conn.fault.mode === "drop-before") return kill();
        conn.blackhole = true; // the query runs; its answer never arrives
        setTimeout(kill, 300).unref();
      }
      if (connected) socket.write(chunk);
      else pending.push(chunk);
      // The client's Terminate message ('X', length 4) ends the session. Postgres then hangs up;
      // PGlite's socket server does not, so end the TCP side here as Postgres would.
      if (chunk.length >= 5 && chunk.subarray(chunk.length - 5).equals(TERMINATE)) socket.end();
    });
    socket.on("data", (chunk) => {
      trace("p->w", chunk);
      if (!conn.blackhole && ws.readyState === ws.OPEN) ws.send(chunk);
    });
    // When the client ends a connection it closes its WebSocket right after Postgres hangs up; a
    // close frame from us racing its own surfaces in workerd as "Network connection lost". So give
    // the client a moment to close first, and close normally only if it does not (server-side end).
    const closeSoon = () => setTimeout(() => ws.readyState === ws.OPEN && ws.close(1000), 250).unref();
    socket.on("end", closeSoon);
    socket.on("close", closeSoon);
    socket.on("error", () => ws.readyState === ws.OPEN && ws.close(1011, "upstream error"));
    ws.on("close", () => {
      trace("ws-close");
      socket.end();
    });
    ws.on("error", () => socket.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
    server.listen(port, host);
  });
  const addr = server.address();
  return {
    stats,
    faults,
    port: typeof addr === "object" && addr ? addr.port : port,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => server.close(() => resolve()));
      }),
  };
}
