// Receives Slack/Discord-style incoming-webhook posts (POST /hook/<name>) and lists them back
// (GET /__control/hooks?ns=<name>), so tests can assert exactly which alerts went out.
import http from "node:http";

export async function startWebhookSink({ port = 0 } = {}) {
  const hooks = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://sink");
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const m = /^\/hook\/([^/]+)$/.exec(url.pathname);
      if (req.method === "POST" && m) {
        const list = hooks.get(m[1]) ?? [];
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString());
        } catch {
          body = null;
        }
        list.push(body);
        hooks.set(m[1], list);
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
        return;
      }
      if (url.pathname === "/__control/hooks") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ posts: hooks.get(url.searchParams.get("ns") ?? "") ?? [] }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
