// WebSocket → TCP proxy so the Neon serverless driver, running inside workerd, can reach a plain
// Postgres (local server or PGlite) the way it reaches Neon in production. Loopback only.
import net from "node:net";
import { WebSocketServer } from "ws";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/** @returns {Promise<{ port: number, close: () => Promise<void> }>} */
export async function startWsProxy({ port = 0, host = "127.0.0.1" } = {}) {
  const wss = new WebSocketServer({ port, host });
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://x").searchParams.get("address") ?? "";
    const sep = address.lastIndexOf(":");
    const targetHost = address.slice(0, sep);
    const targetPort = Number(address.slice(sep + 1));
    if (!LOOPBACK.has(targetHost) || !Number.isInteger(targetPort)) {
      ws.close(1008, "only loopback Postgres targets are proxied");
      return;
    }
    const socket = net.connect({ host: targetHost, port: targetPort });
    socket.setNoDelay(true);
    const pending = [];
    let connected = false;
    socket.on("connect", () => {
      connected = true;
      for (const chunk of pending.splice(0)) socket.write(chunk);
    });
    ws.on("message", (data) => {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (connected) socket.write(chunk);
      else pending.push(chunk);
      // The client's Terminate message ('X', length 4) ends the session. Postgres then hangs up;
      // PGlite's socket server does not, so end the TCP side here as Postgres would.
      if (chunk.length >= 5 && chunk.subarray(chunk.length - 5).equals(TERMINATE)) socket.end();
    });
    socket.on("data", (chunk) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk);
    });
    // When the client ends a connection it closes its WebSocket right after Postgres hangs up; a
    // close frame from us racing its own surfaces in workerd as "Network connection lost". So give
    // the client a moment to close first, and close normally only if it does not (server-side end).
    socket.on("end", () => {
      setTimeout(() => ws.readyState === ws.OPEN && ws.close(1000), 250).unref();
    });
    socket.on("close", () => {
      setTimeout(() => ws.readyState === ws.OPEN && ws.close(1000), 250).unref();
    });
    socket.on("error", () => ws.readyState === ws.OPEN && ws.close(1011, "upstream error"));
    ws.on("close", () => socket.end());
    ws.on("error", () => socket.destroy());
  });
  await new Promise((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  const addr = wss.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : port,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
